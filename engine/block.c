/*
 * block.c - the block table (see block.h): a small open hash of blocked
 * addresses. Expiry is checked on lookup and swept by block_expire() from
 * the engine's timer tick, so an unblock event is written at packet time
 * even if the address never sends again.
 */
#include <stdlib.h>
#include <string.h>

#include "block.h"

struct bent {
	struct block_info b;
	struct bent *next;
};

struct block_table {
	struct bent **bucket;
	uint32_t mask, max;
	struct block_stats st;
};

static uint32_t bucket_of(const struct block_table *t, const sw_addr *a)
{
	return (uint32_t)(sw_hash_mix(sw_hash_bytes(0, a, sizeof(*a))) & t->mask);
}

struct block_table *block_table_create(uint32_t max)
{
	struct block_table *t = calloc(1, sizeof(*t));
	uint32_t nb = 64;
	if (!t)
		return NULL;
	while (nb < max && nb < (1u << 22))
		nb <<= 1;
	t->bucket = calloc(nb, sizeof(*t->bucket));
	if (!t->bucket) {
		free(t);
		return NULL;
	}
	t->mask = nb - 1;
	t->max = max ? max : 1;
	return t;
}

void block_table_free(struct block_table *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct bent *e = t->bucket[i], *n;
		for (; e; e = n) {
			n = e->next;
			free(e);
		}
	}
	free(t->bucket);
	free(t);
}

int block_add(struct block_table *t, const sw_addr *a, sw_time now, uint32_t seconds,
              uint32_t gid, uint32_t sid)
{
	uint32_t b = bucket_of(t, a);
	sw_time until = now + (sw_time)seconds * SW_USEC_PER_SEC;
	struct bent *e;
	for (e = t->bucket[b]; e; e = e->next)
		if (sw_addr_eq(&e->b.addr, a)) {
			if (until > e->b.until)
				e->b.until = until;
			e->b.gid = gid;
			e->b.sid = sid;
			t->st.extended++;
			return 0;
		}
	if (t->st.active >= t->max || !(e = calloc(1, sizeof(*e)))) {
		t->st.refused_full++;
		return -1;
	}
	e->b.addr = *a;
	e->b.since = now;
	e->b.until = until;
	e->b.gid = gid;
	e->b.sid = sid;
	e->next = t->bucket[b];
	t->bucket[b] = e;
	t->st.added++;
	t->st.active++;
	return 1;
}

struct block_info *block_lookup(struct block_table *t, const sw_addr *a, sw_time now)
{
	struct bent *e;
	if (!t->st.active)
		return NULL;
	for (e = t->bucket[bucket_of(t, a)]; e; e = e->next)
		if (sw_addr_eq(&e->b.addr, a)) {
			if (now >= e->b.until)
				return NULL; /* expired; the sweep writes its unblock */
			e->b.dropped++;
			t->st.dropped_pkts++;
			return &e->b;
		}
	return NULL;
}

void block_expire(struct block_table *t, sw_time now,
                  void (*fn)(void *ud, const struct block_info *b), void *ud)
{
	if (!t->st.active)
		return;
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct bent **pp = &t->bucket[i];
		while (*pp) {
			struct bent *e = *pp;
			if (now >= e->b.until) {
				if (fn)
					fn(ud, &e->b);
				*pp = e->next;
				free(e);
				t->st.expired++;
				t->st.active--;
			} else {
				pp = &e->next;
			}
		}
	}
}

const struct block_stats *block_table_stats(const struct block_table *t)
{
	return &t->st;
}
