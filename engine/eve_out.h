/*
 * eve_out.h - the EVE record writers, one per event type (eve_<type>.c).
 * Each takes what it describes and writes one record through eve.h;
 * nothing here keeps state.
 */
#ifndef SW_EVE_OUT_H
#define SW_EVE_OUT_H

#include "eve.h"
#include "flow.h"
#include "stats.h"

struct sip_txn_rec;
struct sip_dialog_rec;
struct flow_stats;
struct defrag_stats;
struct stream_stats;
struct sip_state_stats;
struct detect_stats;

/* `flow` record for a flow leaving the table at packet time now. */
void eve_write_flow(struct eve *e, const struct flow *f, enum flow_end_reason why, sw_time now);
/* `sip` record: one transaction, request paired with its final response. */
void eve_write_sip(struct eve *e, const struct sip_txn_rec *t);
/* `call` record: one dialog at its end. */
void eve_write_call(struct eve *e, const struct sip_dialog_rec *d);

/* Everything a `stats` record reports; NULL members are left out. */
struct eve_stats_src {
	sw_time now;
	uint64_t uptime;
	const struct sw_stats *st;
	const struct flow_stats *flow;
	const struct defrag_stats *defrag;
	const struct stream_stats *stream;
	const struct sip_state_stats *sip;
	const struct detect_stats *detect; /* NULL: no rules loaded */
	uint32_t rules_loaded, rules_inactive;
	uint64_t pcre_limit_hits, recursion_limit_hits;
	const struct eve *eve;
	int shard; /* nfq.engine-per-queue: this engine's queue; -1: one engine */
};
void eve_write_stats(struct eve *e, const struct eve_stats_src *s);

#endif
