/*
 * detect_flow.c - flow: and dsize:, Suricata's semantics.
 *
 * flow: to_server|from_client, to_client|from_server, established,
 *   not_established, stateless, only_stream|no_frag..., comma separated.
 *   Direction is relative to the flow's first packet (the client). A UDP
 *   flow is established once packets went both ways; a TCP flow once the
 *   handshake completed (or was picked up mid-stream).
 * dsize: N, <N, >N, N<>M, !N - the payload size of the packet (for SIP
 *   rules, of the packet that completed the message).
 */
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "flow.h"
#include "stream_tcp.h"

#define FL_TO_SERVER   0x01u
#define FL_TO_CLIENT   0x02u
#define FL_ESTABLISHED 0x04u
#define FL_NOT_EST     0x08u
#define FL_STATELESS   0x10u
#define FL_ONLY_FRAG   0x20u
#define FL_NO_FRAG     0x40u

struct flow_ctx {
	unsigned flags;
};

static int kw_flow_id = -1;

static int setup_flow(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	static const struct {
		const char *name;
		unsigned bit;
	} opts[] = {
		{ "to_server", FL_TO_SERVER }, { "from_client", FL_TO_SERVER },
		{ "to_client", FL_TO_CLIENT }, { "from_server", FL_TO_CLIENT },
		{ "established", FL_ESTABLISHED }, { "not_established", FL_NOT_EST },
		{ "stateless", FL_STATELESS }, { "only_stream", 0 }, { "no_stream", 0 },
		{ "only_frag", FL_ONLY_FRAG }, { "no_frag", FL_NO_FRAG },
	};
	struct flow_ctx *c;
	unsigned flags = 0;
	uint32_t i = 0;

	if (kw_flow_id >= 0 && sm_list_last_of(&r->match, &kw_flow_id, 1))
		return rule_errf(e, 0, "flow given twice");
	while (i < len) {
		uint32_t s = i;
		sw_str tok;
		size_t k;
		while (i < len && val[i] != ',')
			i++;
		tok = sw_str_trim(sw_str_make(val + s, i - s));
		for (k = 0; k < SW_ARRAY_SIZE(opts); k++)
			if (sw_str_eq(tok, opts[k].name))
				break;
		if (k == SW_ARRAY_SIZE(opts))
			return rule_errf(e, (uint32_t)(tok.p - val), "unknown flow option '%.*s'",
			                 (int)SW_MIN(tok.len, 32), tok.p);
		if (opts[k].bit & flags)
			return rule_errf(e, (uint32_t)(tok.p - val), "flow option '%.*s' given twice",
			                 (int)tok.len, tok.p);
		flags |= opts[k].bit;
		i++;
	}
	if ((flags & FL_TO_SERVER) && (flags & FL_TO_CLIENT))
		return rule_errf(e, 0, "flow cannot be both to_server and to_client");
	if ((flags & FL_ESTABLISHED) && (flags & (FL_NOT_EST | FL_STATELESS)))
		return rule_errf(e, 0, "established conflicts with not_established/stateless");
	if ((flags & FL_ONLY_FRAG) && (flags & FL_NO_FRAG))
		return rule_errf(e, 0, "only_frag conflicts with no_frag");
	c = calloc(1, sizeof(*c));
	if (!c)
		return rule_errf(e, 0, "out of memory");
	c->flags = flags;
	if (sm_list_append(&r->match, (unsigned)kw_flow_id, 0, c, e) != 0) {
		free(c);
		return -1;
	}
	return 0;
}

static int flow_established(const struct det_msg *m)
{
	const struct flow *f = m->flow;
	if (!f)
		return 0;
	if (f->key.proto == IPPROTO_TCP)
		return f->tcp_state == TCP_ESTABLISHED || f->tcp_state == TCP_CLOSING;
	return f->pkts[0] > 0 && f->pkts[1] > 0;
}

static int match_flow(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                      const struct sigmatch *sm)
{
	const struct flow_ctx *c = sm->ctx;
	if ((c->flags & FL_TO_SERVER) && !m->to_server)
		return 0;
	if ((c->flags & FL_TO_CLIENT) && m->to_server)
		return 0;
	if ((c->flags & FL_ESTABLISHED) && !flow_established(m))
		return 0;
	if ((c->flags & FL_NOT_EST) && flow_established(m))
		return 0;
	if (m->pkt && (c->flags & FL_ONLY_FRAG) && !(m->pkt->flags & PKT_REASSEMBLED))
		return 0;
	if (m->pkt && (c->flags & FL_NO_FRAG) && (m->pkt->flags & PKT_REASSEMBLED))
		return 0;
	return 1;
}

/* dsize */
enum { DS_EQ, DS_LT, DS_GT, DS_RANGE, DS_NE };
struct dsize_ctx {
	uint8_t op;
	uint32_t a, b;
};

static int dsize_num(const char *p, uint32_t n, uint32_t off, uint32_t *out, struct rule_err *e)
{
	uint64_t v;
	sw_str s = sw_str_trim(sw_str_make(p, n));
	if (sw_str_to_u64(s, 65535, &v) != 0)
		return rule_errf(e, off, "dsize expects a number from 0 to 65535");
	*out = (uint32_t)v;
	return 0;
}

static int setup_dsize(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	static int id = -1;
	struct dsize_ctx *c = calloc(1, sizeof(*c));
	const char *rng;
	int rc;
	if (!c)
		return rule_errf(e, 0, "out of memory");
	if (id < 0)
		id = detect_kw_find("dsize", 5);
	if (sm_list_last_of(&r->match, &id, 1)) {
		free(c);
		return rule_errf(e, 0, "dsize given twice");
	}
	if ((rng = memmem(val, len, "<>", 2))) {
		uint32_t k = (uint32_t)(rng - val);
		c->op = DS_RANGE;
		rc = dsize_num(val, k, 0, &c->a, e);
		if (rc == 0)
			rc = dsize_num(val + k + 2, len - k - 2, k + 2, &c->b, e);
		if (rc == 0 && c->a >= c->b)
			rc = rule_errf(e, 0, "dsize range must be N<>M with N < M");
	} else if (val[0] == '<') {
		c->op = DS_LT;
		rc = dsize_num(val + 1, len - 1, 1, &c->a, e);
	} else if (val[0] == '>') {
		c->op = DS_GT;
		rc = dsize_num(val + 1, len - 1, 1, &c->a, e);
	} else if (val[0] == '!') {
		c->op = DS_NE;
		rc = dsize_num(val + 1, len - 1, 1, &c->a, e);
	} else {
		c->op = DS_EQ;
		rc = dsize_num(val, len, 0, &c->a, e);
	}
	if (rc == 0)
		rc = sm_list_append(&r->match, (unsigned)id, 0, c, e);
	if (rc != 0)
		free(c);
	return rc;
}

static int match_dsize(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                       const struct sigmatch *sm)
{
	const struct dsize_ctx *c = sm->ctx;
	uint32_t n;
	if (!m->pkt || m->pkt->flags & PKT_IS_FRAGMENT)
		return 0;
	n = m->pkt->payload_len;
	switch (c->op) {
	case DS_EQ:
		return n == c->a;
	case DS_LT:
		return n < c->a;
	case DS_GT:
		return n > c->a;
	case DS_NE:
		return n != c->a;
	default:
		return n > c->a && n < c->b;
	}
}

static const struct det_kw kw_flow = {
	.name = "flow",
	.flags = KW_MATCH | KW_VALUE,
	.setup = setup_flow,
	.match = match_flow,
	.free = free,
	.help = "to_server/to_client, established/not_established/stateless",
};

static const struct det_kw kw_dsize = {
	.name = "dsize",
	.flags = KW_MATCH | KW_VALUE,
	.setup = setup_dsize,
	.match = match_dsize,
	.free = free,
	.help = "payload size: N, <N, >N, !N, N<>M",
};

/* ip.src / ip.dst: the address as raw bytes (4 or 16), for address
 * datasets (dataset:isset,NAME,type ip,load FILE). */
static int get_ip(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                  uint32_t *len, struct det_thread *t)
{
	const sw_addr *a = strcmp(detect_buf_name(id), "ip.src") == 0 ? m->src : m->dst;
	if (idx || !a || !a->family)
		return 0;
	*p = a->a;
	*len = a->family == 4 ? 4 : 16;
	return 1;
}

static const struct det_kw kw_ip[] = {
	{ .name = "ip.src", .flags = KW_BUFFER | KW_NOVALUE, .buffer = "ip.src",
	  .help = "sticky buffer: the source address (for address datasets)" },
	{ .name = "ip.dst", .flags = KW_BUFFER | KW_NOVALUE, .buffer = "ip.dst",
	  .help = "sticky buffer: the destination address (for address datasets)" },
	{ .name = "pkt_data", .flags = KW_BUFFER | KW_NOVALUE, .buffer = "pkt_data",
	  .help = "back to the packet payload (a SIP message's bytes in sip rules)" },
};

void detect_flow_register(void)
{
	detect_buf_register("ip.src", get_ip, DBUF_F_PACKET | DBUF_F_SIP | DBUF_F_RTP);
	detect_buf_register("ip.dst", get_ip, DBUF_F_PACKET | DBUF_F_SIP | DBUF_F_RTP);
	for (size_t i = 0; i < SW_ARRAY_SIZE(kw_ip); i++)
		detect_kw_register(&kw_ip[i]);
	kw_flow_id = detect_kw_register(&kw_flow);
	detect_kw_register(&kw_dsize);
}
