/*
 * detect_counter.c - bounded per-key counters for the call-aware keywords
 * (sip.rate, sip.distinct): how many matches, or how many distinct values,
 * a key (source address, user...) produced within a time window.
 *
 * Entries are keyed by a 64-bit hash of (rule, key bytes); a window opens
 * at a key's first event and closes `seconds` later (packet time), then the
 * next event opens a new one - Suricata's detection_filter window. Distinct
 * values are kept as 64-bit hashes, at most COUNTER_MAX_DISTINCT per entry
 * (a rule only needs to know when `count` is reached). The table holds at
 * most max entries; the least recently used is evicted when full, and
 * evictions are counted (the rule then starts that key from zero: fail-open).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "detect_counter.h"

struct centry {
	uint64_t key;
	sw_time start;
	uint32_t count;
	uint16_t n_vals;
	uint64_t *vals;           /* distinct value hashes, NULL for plain rates */
	struct centry *hnext;
	struct centry *prev, *next; /* LRU: head = most recent */
};

struct counter_table {
	pthread_mutex_t mu; /* shared by every worker's rules */
	struct centry **bucket;
	uint32_t mask;
	uint32_t n, max;
	struct centry *head, *tail;
	struct counter_stats st;
};

struct counter_table *counter_table_create(uint32_t max)
{
	struct counter_table *t = calloc(1, sizeof(*t));
	uint32_t nb = 16;
	if (!t)
		return NULL;
	while (nb < max && nb < (1u << 24))
		nb <<= 1;
	t->bucket = calloc(nb, sizeof(*t->bucket));
	if (!t->bucket) {
		free(t);
		return NULL;
	}
	t->mask = nb - 1;
	t->max = max ? max : 1;
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

static void lru_unlink(struct counter_table *t, struct centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		t->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct counter_table *t, struct centry *e)
{
	e->next = t->head;
	e->prev = NULL;
	if (t->head)
		t->head->prev = e;
	t->head = e;
	if (!t->tail)
		t->tail = e;
}

static void entry_free(struct counter_table *t, struct centry *e)
{
	struct centry **pp = &t->bucket[sw_hash_mix(e->key) & t->mask];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(t, e);
	free(e->vals);
	free(e);
	t->n--;
}

void counter_table_free(struct counter_table *t)
{
	if (!t)
		return;
	while (t->head)
		entry_free(t, t->head);
	free(t->bucket);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

void counter_table_stats(struct counter_table *t, struct counter_stats *out)
{
	pthread_mutex_lock(&t->mu);
	*out = t->st;
	pthread_mutex_unlock(&t->mu);
}

static struct centry *lookup(struct counter_table *t, uint64_t key, int distinct)
{
	uint32_t b = (uint32_t)(sw_hash_mix(key) & t->mask);
	struct centry *e;
	for (e = t->bucket[b]; e; e = e->hnext)
		if (e->key == key) {
			lru_unlink(t, e);
			lru_push(t, e);
			return e;
		}
	if (t->n >= t->max) {
		entry_free(t, t->tail);
		t->st.evicted++;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		t->st.alloc_failed++;
		return NULL;
	}
	if (distinct && !(e->vals = calloc(COUNTER_MAX_DISTINCT, sizeof(uint64_t)))) {
		free(e);
		t->st.alloc_failed++;
		return NULL;
	}
	e->key = key;
	e->hnext = t->bucket[b];
	t->bucket[b] = e;
	lru_push(t, e);
	t->n++;
	t->st.created++;
	return e;
}

static void window(struct centry *e, uint32_t seconds, sw_time now)
{
	if (e->count == 0 && e->n_vals == 0) {
		e->start = now;
	} else if (now >= e->start && now - e->start > (sw_time)seconds * SW_USEC_PER_SEC) {
		e->start = now;
		e->count = 0;
		e->n_vals = 0;
	}
}

uint32_t counter_rate(struct counter_table *t, uint64_t key, uint32_t seconds, sw_time now)
{
	struct centry *e;
	uint32_t n = 0;
	pthread_mutex_lock(&t->mu);
	e = lookup(t, key, 0);
	if (e) {
		window(e, seconds, now);
		if (e->count < UINT32_MAX)
			e->count++;
		n = e->count;
	}
	pthread_mutex_unlock(&t->mu);
	return n;
}

uint32_t counter_distinct(struct counter_table *t, uint64_t key, uint64_t value, uint32_t seconds,
                          sw_time now)
{
	struct centry *e;
	uint32_t n = 0;
	pthread_mutex_lock(&t->mu);
	e = lookup(t, key, 1);
	if (e) {
		unsigned i;
		window(e, seconds, now);
		for (i = 0; i < e->n_vals; i++)
			if (e->vals[i] == value)
				break;
		if (i == e->n_vals && e->n_vals < COUNTER_MAX_DISTINCT)
			e->vals[e->n_vals++] = value;
		n = e->n_vals;
	}
	pthread_mutex_unlock(&t->mu);
	return n;
}

uint32_t counter_table_size(struct counter_table *t)
{
	uint32_t n;
	pthread_mutex_lock(&t->mu);
	n = t->n;
	pthread_mutex_unlock(&t->mu);
	return n;
}
