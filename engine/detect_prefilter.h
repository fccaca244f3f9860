/*
 * detect_prefilter.h - the fast-pattern prefilter of a rule group
 * (detect_prefilter.c, Hyperscan literal databases per buffer).
 */
#ifndef SW_DETECT_PREFILTER_H
#define SW_DETECT_PREFILTER_H

#include "detect_engine.h"

struct prefilter;

/* Builds the prefilter of the group rules[idx[0..n)]. NULL + err on failure. */
struct prefilter *prefilter_build(const struct rule *const *rules, const uint32_t *idx,
                                  uint32_t n, char *err, size_t cap);
void prefilter_free(struct prefilter *pf);
/* Grows *scratch (a thread's Hyperscan scratch, NULL at first) to serve
 * pf's databases. 0 or -1. */
int prefilter_scratch(const struct prefilter *pf, void **scratch);
void prefilter_scratch_free(void *scratch);
/*
 * Lists in list[] the group positions that must be evaluated for m, in
 * ascending order, and returns how many. seen[] (one byte per rule of the
 * group, all zero on entry) marks them: the caller zeroes seen[list[i]]
 * afterwards. Work is proportional to the candidates, not to the group.
 */
uint32_t prefilter_run(const struct prefilter *pf, struct det_thread *t, const struct det_msg *m,
                       uint8_t *seen, uint32_t *list);
/* 1 when no rule of the group can be a candidate for m (no rule without a
 * fast pattern, no pattern database, and no anomaly rule m could wake):
 * the whole group is skipped. */
int prefilter_idle(const struct prefilter *pf, const struct det_msg *m);
/* Rules of the group without a fast pattern. */
uint32_t prefilter_always(const struct prefilter *pf);

#endif
