/*
 * conntrack.c - ctnetlink get/delete by tuple (see conntrack.h).
 *
 * Messages: IPCTNL_MSG_CT_GET / IPCTNL_MSG_CT_DELETE in the
 * NFNL_SUBSYS_CTNETLINK subsystem, with CTA_TUPLE_ORIG = { CTA_TUPLE_IP =
 * { src, dst }, CTA_TUPLE_PROTO = { proto, sport, dport } }. The kernel's
 * "original" direction is the first packet it saw, which may be either of
 * ours: a miss is retried with the tuple reversed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "conntrack.h"

struct ct_handle {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	char buf[16384];
};

struct ct_handle *ct_open(char *err, size_t cap)
{
	struct ct_handle *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	h->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!h->nl || mnl_socket_bind(h->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, cap, "ctnetlink socket: %s", strerror(errno));
		ct_close(h);
		return NULL;
	}
	h->portid = mnl_socket_get_portid(h->nl);
	h->seq = (uint32_t)time(NULL);
	return h;
}

void ct_close(struct ct_handle *h)
{
	if (!h)
		return;
	if (h->nl)
		mnl_socket_close(h->nl);
	free(h);
}

static void put_tuple(struct nlmsghdr *nlh, const struct ct_tuple *t, int reverse)
{
	const sw_addr *s = reverse ? &t->dst : &t->src, *d = reverse ? &t->src : &t->dst;
	uint16_t sp = reverse ? t->dport : t->sport, dp = reverse ? t->sport : t->dport;
	struct nlattr *tup = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (s->family == 4) {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, s->a);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, d->a);
	} else {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, s->a);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, d->a);
	}
	mnl_attr_nest_end(nlh, ip);
	struct nlattr *pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sp));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dp));
	mnl_attr_nest_end(nlh, pr);
	mnl_attr_nest_end(nlh, tup);
}

static uint64_t be64_get(const struct nlattr *a)
{
	const uint8_t *b = mnl_attr_get_payload(a);
	uint64_t v = 0;
	if (mnl_attr_get_payload_len(a) < 8)
		return 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Adds the CTA_COUNTERS_* of one direction to info. */
static void add_counters(const struct nlattr *nest, struct ct_info *info)
{
	const struct nlattr *a;
	mnl_attr_for_each_nested(a, nest)
	{
		if (mnl_attr_get_type(a) == CTA_COUNTERS_PACKETS)
			info->pkts += be64_get(a);
		else if (mnl_attr_get_type(a) == CTA_COUNTERS_BYTES)
			info->bytes += be64_get(a);
	}
	info->have_counters = 1;
}

static void parse_ct(const struct nlmsghdr *nlh, struct ct_info *info)
{
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		switch (mnl_attr_get_type(a)) {
		case CTA_MARK:
			if (mnl_attr_get_payload_len(a) >= 4)
				info->mark = ntohl(mnl_attr_get_u32(a));
			break;
		case CTA_COUNTERS_ORIG:
		case CTA_COUNTERS_REPLY:
			add_counters(a, info);
			break;
		}
	}
}

/* One request; returns 1 found (info filled for GET), 0 ENOENT, -1 error. */
static int ct_request(struct ct_handle *h, int type, const struct ct_tuple *t, int reverse,
                      struct ct_info *info)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(h->buf);
	struct nfgenmsg *nfg;
	uint32_t seq = ++h->seq;
	int found = 0;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = t->src.family == 4 ? AF_INET : AF_INET6;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	put_tuple(nlh, t, reverse);
	if (mnl_socket_sendto(h->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (int tries = 0; tries < 16; tries++) {
		int n = (int)mnl_socket_recvfrom(h->nl, h->buf, sizeof(h->buf));
		const struct nlmsghdr *r;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (r = (const struct nlmsghdr *)h->buf; mnl_nlmsg_ok(r, n); r = mnl_nlmsg_next(r, &n)) {
			if (r->nlmsg_seq != seq)
				continue;
			if (r->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(r);
				if (r->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
					return -1;
				if (e->error == 0)
					return type == IPCTNL_MSG_CT_DELETE ? 1 : found;
				return e->error == -ENOENT ? 0 : -1;
			}
			if ((r->nlmsg_type & 0xff) == IPCTNL_MSG_CT_NEW && info) {
				parse_ct(r, info);
				found = 1;
			}
		}
	}
	return -1;
}

int ct_get(struct ct_handle *h, const struct ct_tuple *t, struct ct_info *info)
{
	int r;
	memset(info, 0, sizeof(*info));
	r = ct_request(h, IPCTNL_MSG_CT_GET, t, 0, info);
	if (r == 0) {
		memset(info, 0, sizeof(*info));
		r = ct_request(h, IPCTNL_MSG_CT_GET, t, 1, info);
	}
	return r;
}

int ct_delete(struct ct_handle *h, const struct ct_tuple *t)
{
	int r = ct_request(h, IPCTNL_MSG_CT_DELETE, t, 0, NULL);
	if (r == 0)
		r = ct_request(h, IPCTNL_MSG_CT_DELETE, t, 1, NULL);
	return r;
}
