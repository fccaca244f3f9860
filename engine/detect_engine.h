/*
 * detect_engine.h - a loaded, compiled rule set and its evaluation.
 *
 * A detect_engine is built once from rule files (detect_engine_load) and is
 * immutable afterwards except for its runtime tables (thresholds, which
 * belong to the engine so that a reload starts them afresh, as Suricata
 * does). Reload builds a new engine and swaps it in; a bad file leaves
 * the old one running.
 */
#ifndef SW_DETECT_ENGINE_H
#define SW_DETECT_ENGINE_H

#include <stdio.h>

#include "config.h"
#include "detect.h"
#include "rule_parse.h"

#define DET_MAX_ALERTS 16

struct det_alert {
	const struct rule *r;
	uint8_t action;     /* enum rule_action */
	uint8_t suppressed; /* threshold suppressed the alert; the action stands */
	int16_t frame_buf;  /* buffer id of a frame:* buffer the rule inspected, -1 */
	sw_addr block_addr; /* `block`: this address is to be blocked ... */
	uint32_t block_secs;/* ... for so long (0: no block) */
	/* The counter that fired, if any (see struct det_thread). */
	const char *ev_kw, *ev_track, *ev_field;
	uint32_t ev_count, ev_seconds;
};

struct det_result {
	struct det_alert a[DET_MAX_ALERTS];
	uint8_t n;
	uint8_t drop;       /* a drop/reject rule matched */
	uint8_t reject;     /* ... a reject rule: REJECT_TO_SRC | REJECT_TO_DST of those that matched */
	uint8_t pass;       /* a pass rule matched: nothing after it was evaluated */
	uint32_t lost;      /* matches beyond DET_MAX_ALERTS */
};


struct detect_engine;

struct detect_load_opts {
	const struct sw_config *cfg;       /* vars, caps */
	const char *classification_file;   /* NULL: rules/classification.config default */
	FILE *errs;                        /* where rule errors are printed */
};

/*
 * Loads rule files paths[0..n) into a new engine. Returns the engine when
 * every file read and every rule compiled; NULL when any file cannot be read
 * or any rule has an error (each printed to o->errs with FILE:LINE:COL;
 * all files are read so that every error is reported). *n_errors gets the
 * count. A NULL/0 list gives an engine without rules.
 */
struct detect_engine *detect_engine_load(const char *const *paths, unsigned n,
                                         const struct detect_load_opts *o, unsigned *n_errors);
/* Engines are reference counted: the loader holds one reference; every
 * packet engine (worker) using it takes one (detect_engine_ref) and drops it
 * (detect_engine_free) when it switches to a reloaded one. */
struct detect_engine *detect_engine_ref(struct detect_engine *de);
void detect_engine_free(struct detect_engine *de);

uint32_t detect_engine_rule_count(const struct detect_engine *de);
uint32_t detect_engine_inactive_count(const struct detect_engine *de);

/* Evaluates every rule that applies to m; fills res (zeroed first).
 * Returns res->n. */
int detect_eval(struct detect_engine *de, struct det_thread *t, const struct det_msg *m,
                struct det_result *res);

/* Instance idx of rule buffer rb for m, transforms applied (the output may
 * live in t's scratch until the next call). 1, or 0 when there is none. */
int detect_buffer_instance(const struct det_msg *m, const struct rule_buf *rb, uint32_t idx,
                           const uint8_t **p, uint32_t *len, struct det_thread *t);

int detect_thread_init(struct det_thread *t);
void detect_thread_free(struct det_thread *t);

#endif
