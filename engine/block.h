/*
 * block.h - addresses blocked by `block` rules until a packet-time expiry
 * (block.c). Every packet from a blocked address is dropped inline (offline:
 * logged as it would have been). Bounded: when the table is full a new block
 * is refused and counted (fail-open), never an old one silently dropped.
 */
#ifndef SW_BLOCK_H
#define SW_BLOCK_H

#include "common.h"

struct block_stats {
	uint64_t added, extended, expired, refused_full, dropped_pkts;
	uint32_t active;
};

struct block_info {
	sw_addr addr;
	sw_time since, until;
	uint32_t gid, sid;      /* rule that (last) blocked it */
	uint64_t dropped;       /* packets dropped while blocked */
};

struct block_table;

struct block_table *block_table_create(uint32_t max);
void block_table_free(struct block_table *t);
/* Blocks a until now + seconds (extends a running block). Returns 1 when a
 * new block starts, 0 when an existing one was extended, -1 when refused
 * (table full). */
int block_add(struct block_table *t, const sw_addr *a, sw_time now, uint32_t seconds,
              uint32_t gid, uint32_t sid);
/* The running block of a at now (NULL if none); counts a dropped packet. */
struct block_info *block_lookup(struct block_table *t, const sw_addr *a, sw_time now);
/* Removes blocks expired at now, calling fn for each before it goes. */
void block_expire(struct block_table *t, sw_time now,
                  void (*fn)(void *ud, const struct block_info *b), void *ud);
const struct block_stats *block_table_stats(const struct block_table *t);

#endif
