/*
 * detect_rtp.c - keywords on RTP/RTCP packets of media flows tied to a call
 * (rules with protocol `rtp`, evaluated once per media packet).
 *
 *   rtp.source: unexpected | expected
 *       unexpected: the packet goes to an endpoint announced in the call's
 *       SDP but comes from an address the sending side never announced nor
 *       signalled from (RTP injection, media hijack).
 *   rtp.ssrc: changed
 *       the sender's SSRC differs from the one before on this flow (a new
 *       stream spliced in; also legitimate after a re-INVITE or transfer).
 */
#include <stdlib.h>

#include "detect.h"

enum { RS_UNEXPECTED = 1, RS_EXPECTED = 2, RS_SSRC_CHANGED = 4 };

struct rtp_ctx {
	unsigned bits;
};

static int kw_src = -1, kw_ssrc = -1;

static int setup_common(struct rule *r, const char *val, uint32_t len, struct rule_err *e,
                        int kw, const char *const *names, const unsigned *bits, unsigned n)
{
	struct rtp_ctx *c;
	sw_str v = sw_str_trim(sw_str_make(val, len));
	unsigned k;
	if (r->proto != RP_RTP)
		return rule_errf(e, 0, "only in rtp rules (alert rtp ...)");
	for (k = 0; k < n; k++)
		if (sw_str_eq(v, names[k]))
			break;
	if (k == n)
		return rule_errf(e, 0, "unknown value '%.*s'", (int)SW_MIN(v.len, 32), v.p);
	c = calloc(1, sizeof(*c));
	if (!c)
		return rule_errf(e, 0, "out of memory");
	c->bits = bits[k];
	if (sm_list_append(&r->match, (unsigned)kw, 0, c, e) != 0) {
		free(c);
		return -1;
	}
	return 0;
}

static int setup_src(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	static const char *const names[] = { "unexpected", "expected" };
	static const unsigned bits[] = { RS_UNEXPECTED, RS_EXPECTED };
	return setup_common(r, val, len, e, kw_src, names, bits, 2);
}

static int setup_ssrc(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	static const char *const names[] = { "changed" };
	static const unsigned bits[] = { RS_SSRC_CHANGED };
	return setup_common(r, val, len, e, kw_ssrc, names, bits, 1);
}

static int match_rtp(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                     const struct sigmatch *sm)
{
	const struct rtp_ctx *c = sm->ctx;
	if (m->kind != DM_RTP)
		return 0;
	switch (c->bits) {
	case RS_UNEXPECTED:
		return m->rtp_src_unexpected;
	case RS_EXPECTED:
		return !m->rtp_src_unexpected;
	default:
		return m->rtp_ssrc_changed;
	}
}

static const struct det_kw kws[] = {
	{ .name = "rtp.source", .flags = KW_MATCH | KW_VALUE | KW_NEEDS_RTP, .setup = setup_src,
	  .match = match_rtp, .free = free,
	  .help = "unexpected|expected: sender address announced by its side of the call" },
	{ .name = "rtp.ssrc", .flags = KW_MATCH | KW_VALUE | KW_NEEDS_RTP, .setup = setup_ssrc,
	  .match = match_rtp, .free = free, .help = "changed: the sender's SSRC changed" },
};

void detect_rtp_register(void)
{
	kw_src = detect_kw_register(&kws[0]);
	kw_ssrc = detect_kw_register(&kws[1]);
}
