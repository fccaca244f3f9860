/*
 * detect_counter.h - bounded per-key rate and distinct-value counters used
 * by the call-aware keywords (detect_counter.c).
 */
#ifndef SW_DETECT_COUNTER_H
#define SW_DETECT_COUNTER_H

#include "common.h"

#define COUNTER_MAX_DISTINCT 128 /* distinct values remembered per key */

struct counter_stats {
	uint64_t created, evicted, alloc_failed;
};

struct counter_table;

/* A table of at most max keys (NULL when out of memory). */
struct counter_table *counter_table_create(uint32_t max);
void counter_table_free(struct counter_table *t);
/* Counts one event of key at now; returns the events in the key's current
 * window of `seconds` (this one included). 0 only when out of memory. */
uint32_t counter_rate(struct counter_table *t, uint64_t key, uint32_t seconds, sw_time now);
/* Records value for key; returns the distinct values in the key's current
 * window (capped at COUNTER_MAX_DISTINCT). */
uint32_t counter_distinct(struct counter_table *t, uint64_t key, uint64_t value, uint32_t seconds,
                          sw_time now);
void counter_table_stats(struct counter_table *t, struct counter_stats *out);
uint32_t counter_table_size(struct counter_table *t);

#endif
