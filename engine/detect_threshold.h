/*
 * detect_threshold.h - the `threshold:` and `detection_filter:` keywords
 * and the table that counts matches for them.
 *
 * Syntax (Suricata's, options in any order, each exactly once):
 *   threshold: type limit|threshold|both, track by_src|by_dst|by_rule|by_both|by_flow,
 *              count N, seconds T;
 *   detection_filter: track by_src|by_dst|by_rule|by_both|by_flow, count N, seconds T;
 * A rule has at most one of them (Suricata rejects both in one rule).
 *
 * Semantics, per tracked key (Suricata 7's detect-engine-threshold.c);
 * the window is [first, first + T] in packet time, both ends included:
 *   limit      alert on the first N matches of a window; later matches of
 *              the window are silent (the rule's action still applies).
 *              A match after the window opens a new one and alerts.
 *   threshold  alert on the Nth match of a window, then count again from
 *              zero inside the same window (every Nth match alerts); a
 *              match after the window opens a new one counting 1. With
 *              N = 1 every match alerts. Below N a match is no match at
 *              all (no alert, no action).
 *   both       alert once, on the Nth match of a window; matches past N
 *              are silent, matches before N no match at all.
 *   detection_filter
 *              matches 1..N of a window are no match at all; every match
 *              after the Nth inside the window alerts. A match after the
 *              window opens a new one counting 1.
 * Tracks: by_src (source address), by_dst (destination), by_both (the
 * unordered address pair, as Suricata's IP pair), by_rule (one counter
 * per rule), by_flow (the flow id; without a flow nothing matches).
 */
#ifndef SW_DETECT_THRESHOLD_H
#define SW_DETECT_THRESHOLD_H

#include <stdint.h>

#include "detect_types.h"

/* thr_check() results. */
#define THR_NOMATCH 0 /* not a match: no alert, no action */
#define THR_ALERT   1 /* alert, and the rule's action */
#define THR_SILENT  2 /* the rule's action applies, no alert */

/* Registers threshold and detection_filter (KW_META | KW_VALUE). */
void detect_threshold_register(void);

/*
 * Parses the value of threshold: (dfilter = 0) or detection_filter:
 * (dfilter = 1) from val[0..len) into *out. 0, or -1 with e set (e->off
 * relative to val). Used by the keyword setups; exported for tests.
 */
int thr_spec_parse(const char *val, uint32_t len, int dfilter, struct thr_spec *out,
                   struct rule_err *e);

struct thr_table;

struct thr_stats {
	uint64_t entries;   /* in use now */
	uint64_t capacity;  /* max_entries */
	uint64_t evictions; /* live entries dropped (least recently used) to make room */
	uint64_t expired;   /* entries past their window reused to make room */
};

/*
 * A table of at most max_entries counters, keyed by (gid, sid, track
 * key). All memory is allocated here; when full, the least recently used
 * entry is reused (counted as an eviction unless its window had ended).
 * NULL if max_entries is 0 or over 2^30, or out of memory. Not
 * thread-safe: callers sharing a table serialize thr_check().
 */
struct thr_table *thr_table_create(uint32_t max_entries);
void thr_table_free(struct thr_table *t); /* NULL-safe */
void thr_table_stats(struct thr_table *t, struct thr_stats *out);

/*
 * Called when rule r matched a packet/message from src to dst on flow
 * flow_id (0: none) at packet time now. Applies r->dfilter, then r->thr.
 * Returns THR_ALERT, THR_SILENT or THR_NOMATCH (see above); THR_ALERT
 * for a rule with neither.
 */
int thr_check(struct thr_table *t, const struct rule *r, const sw_addr *src, const sw_addr *dst,
              uint64_t flow_id, sw_time now);

#endif
