/*
 * conntrack.h - the few conntrack questions inline mode asks the kernel
 * (ctnetlink through libmnl) about flows it offloaded with the bypass mark:
 * is the connection still there (media still flowing in the kernel), and
 * forget it when its call has ended (so that a later flow on the same
 * addresses and ports is a new connection without the mark, and comes to
 * sipwire again).
 */
#ifndef SW_CONNTRACK_H
#define SW_CONNTRACK_H

#include <stdint.h>

#include "common.h"

struct ct_handle;

struct ct_tuple {
	sw_addr src, dst;
	uint16_t sport, dport;
	uint8_t proto;
};

struct ct_info {
	uint32_t mark;
	/* Both directions together; only when net.netfilter.nf_conntrack_acct=1. */
	uint64_t pkts, bytes;
	int have_counters;
};

/* Opens a ctnetlink socket (needs CAP_NET_ADMIN for delete). NULL + err. */
struct ct_handle *ct_open(char *err, size_t cap);
void ct_close(struct ct_handle *h);
/*
 * Looks the connection up (t in either direction). 1 and *info if it
 * exists, 0 if not, -1 on an error.
 */
int ct_get(struct ct_handle *h, const struct ct_tuple *t, struct ct_info *info);
/* Deletes the connection (t in either direction). 1 deleted, 0 none, -1 error. */
int ct_delete(struct ct_handle *h, const struct ct_tuple *t);

#endif
