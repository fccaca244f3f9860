/*
 * test_sip_state.c - transactions, dialogs, registrations and media
 * expectations driven by real message texts through sip_parse/sdp_parse,
 * as the engine drives them. Expected values come from RFC 3261's rules,
 * written by hand in each case.
 */
#include <netinet/in.h>

#include "test_util.h"

#include "anomaly.h"
#include "sdp_parse.h"
#include "sip_parse.h"
#include "sip_state.h"

#define MAXREC 32

/* Copies of what the hooks reported. */
struct rec_txn {
	char method[16], end[16], reg_action[16], aor[64];
	uint16_t code, retrans_req, retrans_resp;
	uint64_t dialog_id;
	int64_t reg_expires;
};
struct rec_dlg {
	char end[16], ended_by[8], to_tag[32];
	uint8_t state, early, confirmed;
	uint16_t final_code;
	uint32_t reinvites, rtp_caller, rtp_callee, rtcp_caller;
	uint8_t n_media;
};

static struct {
	struct rec_txn t[MAXREC];
	int nt;
	struct rec_dlg d[MAXREC];
	int nd;
	unsigned anom[MAXREC];
	int na;
} got;

static void on_txn(void *ud, const struct sip_txn_rec *r)
{
	(void)ud;
	assert_true(got.nt < MAXREC);
	struct rec_txn *x = &got.t[got.nt++];
	snprintf(x->method, sizeof(x->method), "%s", r->method);
	snprintf(x->end, sizeof(x->end), "%s", r->end);
	snprintf(x->reg_action, sizeof(x->reg_action), "%s", r->reg_action ? r->reg_action : "");
	snprintf(x->aor, sizeof(x->aor), "%s", r->reg_aor ? r->reg_aor : "");
	x->code = r->code;
	x->retrans_req = r->retrans_req;
	x->retrans_resp = r->retrans_resp;
	x->dialog_id = r->dialog_id;
	x->reg_expires = r->reg_expires;
}

static void on_dlg(void *ud, const struct sip_dialog_rec *r)
{
	(void)ud;
	assert_true(got.nd < MAXREC);
	struct rec_dlg *x = &got.d[got.nd++];
	snprintf(x->end, sizeof(x->end), "%s", r->end);
	snprintf(x->ended_by, sizeof(x->ended_by), "%s", r->ended_by);
	snprintf(x->to_tag, sizeof(x->to_tag), "%s", r->to_tag);
	x->state = r->state;
	x->early = r->reached_early;
	x->confirmed = r->reached_confirmed;
	x->final_code = r->final_code;
	x->reinvites = r->reinvites;
	x->n_media = r->n_media;
	if (r->n_media) {
		x->rtp_caller = r->media[0].pkts[0];
		x->rtp_callee = r->media[0].pkts[1];
		x->rtcp_caller = r->media[0].rtcp_pkts[0];
	}
}

static void on_anom(void *ud, const struct sip_msg_ctx *c, unsigned id)
{
	(void)ud;
	(void)c;
	if (got.na < MAXREC)
		got.anom[got.na++] = id;
}

static const struct sip_state_hooks hooks = { on_txn, on_dlg, on_anom };

static struct sip_state *mk(uint32_t max_txns, uint32_t max_dialogs, uint32_t max_regs,
                            uint32_t max_media)
{
	struct sip_state_cfg c = {
		.max_txns = max_txns,
		.max_dialogs = max_dialogs,
		.max_regs = max_regs,
		.max_media = max_media,
		.txn_timeout = 32,
		.dialog_early_timeout = 180,
		.dialog_idle_timeout = 3600,
		.dialog_linger = 10,
		.reg_max_expires = 3600,
	};
	memset(&got, 0, sizeof(got));
	struct sip_state *s = sip_state_create(&c, &hooks, NULL);
	assert_non_null(s);
	return s;
}

#define CALLER "192.0.2.10"
#define PBX "192.0.2.5"
#define OTHER "203.0.113.66"
#define T0 1700000000000000ULL
#define SEC 1000000ULL

/*
 * Feeds one message text (LF line ends are turned into CRLF) sent from
 * src to dst at t0 + ms milliseconds; returns the result.
 */
static struct sip_msg_result feed(struct sip_state *s, const char *src, const char *dst,
                                  uint64_t ms, const char *text)
{
	char buf[4096];
	size_t n = 0;
	struct sip_header hdrs[64];
	struct sip_msg m;
	struct sdp_session sdp;
	struct sip_msg_ctx ctx;
	struct sip_msg_result res;
	const struct sdp_session *sp = NULL;
	struct guard_buf g;
	const char *body;

	for (const char *p = text; *p && n < sizeof(buf) - 2; p++) {
		if (*p == '\n')
			buf[n++] = '\r';
		buf[n++] = *p;
	}
	/* Fix Content-Length to the real body. */
	body = memmem(buf, n, "\r\n\r\n", 4);
	assert_non_null(body);
	body += 4;
	{
		char *cl = memmem(buf, n, "Content-Length: 0", 17);
		size_t blen = n - (size_t)(body - buf);
		if (cl && blen) {
			char tmp[4096];
			int k = snprintf(tmp, sizeof(tmp), "%.*sContent-Length: %zu%.*s",
			                 (int)(cl - buf), buf, blen, (int)(n - (size_t)(cl + 17 - buf)),
			                 cl + 17);
			memcpy(buf, tmp, (size_t)k);
			n = (size_t)k;
		}
	}
	guard_copy(&g, buf, n);
	int r = sip_parse(g.data, g.len, &m, hdrs, 64, SIP_PARSE_DATAGRAM);
	assert_true(r > 0);
	if (m.body.len && sdp_parse(m.body.p, m.body.len, &sdp) == 0)
		sp = &sdp;
	memset(&ctx, 0, sizeof(ctx));
	ctx.ts = T0 + ms * 1000;
	assert_int_equal(sw_addr_parse(sw_str_make(src, strlen(src)), &ctx.src), 0);
	assert_int_equal(sw_addr_parse(sw_str_make(dst, strlen(dst)), &ctx.dst), 0);
	ctx.sport = ctx.dport = 5060;
	ctx.proto = IPPROTO_UDP;
	ctx.ip_v = 4;
	sip_state_message(s, &m, sp, &ctx, &res);
	guard_free(&g);
	return res;
}

#define HDRS(method, branch, cseq, ftag, totag)                                                    \
	"Via: SIP/2.0/UDP " CALLER ":5060;branch=" branch ";rport\n"                               \
	"Max-Forwards: 70\n"                                                                       \
	"From: \"Alice\" <sip:alice@example.com>;tag=" ftag "\n"                                    \
	"To: <sip:bob@example.com>" totag "\n"                                                     \
	"Call-ID: call-1@" CALLER "\n"                                                            \
	"CSeq: " cseq " " method "\n"

#define SDP_CALLER                                                                                 \
	"v=0\no=- 1 1 IN IP4 " CALLER "\ns=-\nc=IN IP4 " CALLER "\nt=0 0\nm=audio 40000 RTP/AVP 0\n"
#define SDP_PBX "v=0\no=- 2 2 IN IP4 " PBX "\ns=-\nc=IN IP4 " PBX "\nt=0 0\nm=audio 50000 RTP/AVP 0\n"

static const char invite[] = "INVITE sip:bob@example.com SIP/2.0\n" HDRS(
	"INVITE", "z9hG4bK-inv1", "1", "ft1", "") "Contact: <sip:alice@" CALLER
                                                  ">\nContent-Type: application/sdp\nContent-Length: "
                                                  "0\n\n" SDP_CALLER;
static const char trying[] = "SIP/2.0 100 Trying\n" HDRS("INVITE", "z9hG4bK-inv1", "1", "ft1",
                                                            "") "Content-Length: 0\n\n";
static const char ringing[] = "SIP/2.0 180 Ringing\n" HDRS("INVITE", "z9hG4bK-inv1", "1", "ft1",
                                                              ";tag=tt1") "Content-Length: 0\n\n";
static const char ok_inv[] = "SIP/2.0 200 OK\n" HDRS(
	"INVITE", "z9hG4bK-inv1", "1", "ft1",
	";tag=tt1") "Server: TestPBX\nContent-Type: application/sdp\nContent-Length: 0\n\n" SDP_PBX;
static const char ack[] = "ACK sip:bob@" PBX " SIP/2.0\n" HDRS("ACK", "z9hG4bK-ack1", "1", "ft1",
                                                                 ";tag=tt1") "Content-Length: 0\n\n";
static const char bye[] = "BYE sip:bob@" PBX " SIP/2.0\n" HDRS("BYE", "z9hG4bK-bye1", "2", "ft1",
                                                                 ";tag=tt1") "Content-Length: 0\n\n";
static const char ok_bye[] = "SIP/2.0 200 OK\n" HDRS("BYE", "z9hG4bK-bye1", "2", "ft1",
                                                       ";tag=tt1") "Content-Length: 0\n\n";

static void test_basic_call(void **st)
{
	(void)st;
	struct sip_state *s = mk(100, 100, 100, 100);
	struct sip_msg_result r;
	struct media_match mm;
	sw_addr a;

	r = feed(s, CALLER, PBX, 0, invite);
	assert_int_not_equal(r.txn_id, 0);
	assert_int_not_equal(r.dialog_id, 0);
	assert_int_equal(r.dialog_state, DLG_INIT);
	uint64_t did = r.dialog_id;
	feed(s, PBX, CALLER, 10, trying);
	r = feed(s, PBX, CALLER, 20, ringing);
	assert_int_equal(r.dialog_state, DLG_EARLY);
	r = feed(s, PBX, CALLER, 2000, ok_inv);
	assert_int_equal(r.dialog_state, DLG_CONFIRMED);
	assert_int_equal(r.dialog_id, did);
	assert_int_equal(got.nt, 1); /* the INVITE's record, at its 200 */
	assert_string_equal(got.t[0].method, "INVITE");
	assert_int_equal(got.t[0].code, 200);
	assert_int_equal(got.t[0].dialog_id, did);

	/* Media: both sides' announced RTP and RTCP (port + 1). */
	sw_addr_parse(SW_STR_LIT(CALLER), &a);
	assert_int_equal(sip_state_media_lookup(s, &a, 40000, IPPROTO_UDP, &mm), 1);
	assert_int_equal(mm.dialog_id, did);
	assert_int_equal(mm.party, 0);
	assert_int_equal(mm.is_rtcp, 0);
	assert_int_equal(sip_state_media_lookup(s, &a, 40001, IPPROTO_UDP, &mm), 1);
	assert_int_equal(mm.is_rtcp, 1);
	sw_addr_parse(SW_STR_LIT(PBX), &a);
	assert_int_equal(sip_state_media_lookup(s, &a, 50000, IPPROTO_UDP, &mm), 1);
	assert_int_equal(mm.party, 1);
	assert_int_equal(sip_state_media_lookup(s, &a, 40000, IPPROTO_UDP, &mm), 0);
	for (int i = 0; i < 5; i++)
		sip_state_media_packet(s, did, 0, 0, 0, 172, T0 + 2100000 + i * 20000);
	for (int i = 0; i < 3; i++)
		sip_state_media_packet(s, did, 0, 0, 1, 172, T0 + 2100000 + i * 20000);
	sip_state_media_packet(s, did, 0, 1, 0, 80, T0 + 2200000);

	r = feed(s, CALLER, PBX, 2050, ack);
	assert_int_equal(r.in_dialog, 1);
	assert_int_equal(r.sender_party, 0);
	assert_int_equal(got.nt, 2);
	assert_string_equal(got.t[1].method, "ACK");
	r = feed(s, CALLER, PBX, 60000, bye);
	assert_int_equal(r.in_dialog, 1);
	assert_int_equal(r.sender_addr_match, 1);
	assert_int_equal(r.dialog_state, DLG_TERMINATED);
	feed(s, PBX, CALLER, 60010, ok_bye);
	assert_int_equal(got.nt, 3);
	assert_string_equal(got.t[2].method, "BYE");
	assert_int_equal(got.t[2].dialog_id, did);
	/* The call record waits for the linger (10 s). */
	sip_state_tick(s, T0 + 65 * SEC);
	assert_int_equal(got.nd, 0);
	sip_state_tick(s, T0 + 71 * SEC);
	assert_int_equal(got.nd, 1);
	assert_string_equal(got.d[0].end, "bye");
	assert_string_equal(got.d[0].ended_by, "caller");
	assert_int_equal(got.d[0].state, DLG_TERMINATED);
	assert_int_equal(got.d[0].early, 1);
	assert_int_equal(got.d[0].confirmed, 1);
	assert_int_equal(got.d[0].final_code, 200);
	assert_string_equal(got.d[0].to_tag, "tt1");
	assert_int_equal(got.d[0].rtp_caller, 5);
	assert_int_equal(got.d[0].rtp_callee, 3);
	assert_int_equal(got.d[0].rtcp_caller, 1);
	/* Expectations leave with the dialog. */
	assert_int_equal(sip_state_media_lookup(s, &a, 50000, IPPROTO_UDP, &mm), 0);
	assert_int_equal(sip_state_get_stats(s)->media_active, 0);
	assert_int_equal(sip_state_get_stats(s)->dialogs_active, 0);
	sip_state_destroy(s);
	assert_int_equal(got.nt, 3);
	assert_int_equal(got.na, 0);
}

static void test_retransmissions(void **st)
{
	(void)st;
	struct sip_state *s = mk(100, 100, 100, 100);
	struct sip_msg_result r;
	r = feed(s, CALLER, PBX, 0, invite);
	assert_int_equal(r.retransmission, 0);
	r = feed(s, CALLER, PBX, 500, invite);
	assert_int_equal(r.retransmission, 1);
	feed(s, PBX, CALLER, 900, ok_inv);
	r = feed(s, PBX, CALLER, 1400, ok_inv);
	assert_int_equal(r.retransmission, 1);
	assert_int_equal(got.nt, 1);
	sip_state_destroy(s);
	assert_int_equal(got.t[0].retrans_req, 1);
	/* The record went out at the first 200; the retransmitted 200 is counted in stats. */
	assert_int_equal(got.nd, 1);
	assert_string_equal(got.d[0].end, "shutdown");
}

static const char busy[] = "SIP/2.0 486 Busy Here\n" HDRS("INVITE", "z9hG4bK-inv1", "1", "ft1",
                                                            ";tag=tt9") "Content-Length: 0\n\n";
static const char ack_busy[] = "ACK sip:bob@example.com SIP/2.0\n" HDRS(
	"ACK", "z9hG4bK-inv1", "1", "ft1", ";tag=tt9") "Content-Length: 0\n\n";

static void test_rejected(void **st)
{
	(void)st;
	struct sip_state *s = mk(100, 100, 100, 100);
	struct sip_msg_result r;
	feed(s, CALLER, PBX, 0, invite);
	feed(s, PBX, CALLER, 100, busy);
	r = feed(s, CALLER, PBX, 110, ack_busy);
	/* The ACK of a failure is part of the INVITE transaction (§17.1.1.3). */
	assert_int_equal(r.dialog_unknown, 0);
	assert_int_not_equal(r.dialog_id, 0);
	assert_int_equal(got.nt, 1);
	assert_int_equal(got.t[0].code, 486);
	sip_state_tick(s, T0 + 20 * SEC);
	assert_int_equal(got.nd, 1);
	assert_string_equal(got.d[0].end, "rejected");
	assert_int_equal(got.d[0].final_code, 486);
	assert_int_equal(got.d[0].confirmed, 0);
	sip_state_destroy(s);
	assert_int_equal(got.nt, 1);
}

static const char cancel[] = "CANCEL sip:bob@example.com SIP/2.0\n" HDRS(
	"CANCEL", "z9hG4bK-inv1", "1", "ft1", "") "Content-Length: 0\n\n";
static const char ok_cancel[] = "SIP/2.0 200 OK\n" HDRS("CANCEL", "z9hG4bK-inv1", "1", "ft1",
                                                          ";tag=tt1") "Content-Length: 0\n\n";
static const char terminated[] = "SIP/2.0 487 Request Terminated\n" HDRS(
	"INVITE", "z9hG4bK-inv1", "1", "ft1", ";tag=tt1") "Content-Length: 0\n\n";

static void test_cancel(void **st)
{
	(void)st;
	struct sip_state *s = mk(100, 100, 100, 100);
	feed(s, CALLER, PBX, 0, invite);
	feed(s, PBX, CALLER, 100, ringing);
	feed(s, CALLER, PBX, 3000, cancel);
	feed(s, PBX, CALLER, 3010, ok_cancel);
	feed(s, PBX, CALLER, 3020, terminated);
	assert_int_equal(got.nt, 2);
	assert_string_equal(got.t[0].method, "CANCEL");
	assert_int_equal(got.t[0].code, 200);
	assert_string_equal(got.t[1].method, "INVITE");
	assert_int_equal(got.t[1].code, 487);
	sip_state_destroy(s);
	assert_int_equal(got.nd, 1);
	assert_string_equal(got.d[0].end, "cancel");
	assert_int_equal(got.d[0].early, 1);
}

static const char proxy_auth[] = "SIP/2.0 407 Proxy Authentication Required\n" HDRS(
	"INVITE", "z9hG4bK-inv1", "1", "ft1",
	";tag=px1") "Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"abc\", "
                    "qop=\"auth\"\nContent-Length: 0\n\n";
static const char invite2[] = "INVITE sip:bob@example.com SIP/2.0\n" HDRS(
	"INVITE", "z9hG4bK-inv2", "2", "ft1",
	"") "Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"abc\", "
            "uri=\"sip:bob@example.com\", response=\"0123456789abcdef0123456789abcdef\"\n"
            "Content-Length: 0\n\n";
static const char ok_inv2[] = "SIP/2.0 200 OK\n" HDRS("INVITE", "z9hG4bK-inv2", "2", "ft1",
                                                        ";tag=tt2") "Content-Length: 0\n\n";

static void test_challenge_is_one_call(void **st)
{
	(void)st;
	struct sip_state *s = mk(100, 100, 100, 100);
	struct sip_msg_result r1, r2;
	r1 = feed(s, CALLER, PBX, 0, invite);
	feed(s, PBX, CALLER, 50, proxy_auth);
	/* The authenticated retry may come much later than the linger (10 s). */
	sip_state_tick(s, T0 + 40 * SEC);
	assert_int_equal(got.nd, 0);
	r2 = feed(s, CALLER, PBX, 41000, invite2);
	assert_int_equal(r1.dialog_id, r2.dialog_id);
	r2 = feed(s, PBX, CALLER, 41100, ok_inv2);
	assert_int_equal(r2.dialog_state, DLG_CONFIRMED);
	sip_state_destroy(s);
	assert_int_equal(got.nd, 1);
	assert_int_equal(got.d[0].confirmed, 1);
	assert_string_equal(got.d[0].end, "shutdown");
	assert_int_equal(got.nt, 2);
	assert_int_equal(got.t[0].code, 407);
	assert_int_equal(got.t[1].code, 200);
}

static const char options[] = "OPTIONS sip:100@" PBX " SIP/2.0\n"
                              "Via: SIP/2.0/UDP " OTHER ":5060;branch=z9hG4bK-opt1\n"
                              "From: \"sipvicious\" <sip:100@1.1.1.1>;tag=6434396633\n"
                              "To: <sip:100@1.1.1.1>\n"
                              "Call-ID: scan-1\nCSeq: 1 OPTIONS\nUser-Agent: friendly-scanner\n"
                              "Content-Length: 0\n\n";

static void test_timeout(void **st)
{
	(void)st;
	struct sip_state *s = mk(100, 100, 100, 100);
	feed(s, OTHER, PBX, 0, options);
	sip_state_tick(s, T0 + 31 * SEC);
	assert_int_equal(got.nt, 0);
	sip_state_tick(s, T0 + 33 * SEC);
	assert_int_equal(got.nt, 1);
	assert_string_equal(got.t[0].method, "OPTIONS");
	assert_string_equal(got.t[0].end, "timeout");
	assert_int_equal(got.t[0].code, 0);
	assert_int_equal(sip_state_get_stats(s)->txn_timeouts, 1);
	assert_int_equal(sip_state_get_stats(s)->txns_active, 0);
	sip_state_destroy(s);
}

/* RFC 2543 peer: no magic cookie; the response matches by Call-ID/CSeq/From tag/Via. */
static const char old_req[] = "OPTIONS sip:100@" PBX " SIP/2.0\n"
                              "Via: SIP/2.0/UDP " CALLER ":5060\n"
                              "From: <sip:a@b>;tag=x1\nTo: <sip:100@b>\n"
                              "Call-ID: old-1\nCSeq: 7 OPTIONS\nContent-Length: 0\n\n";
static const char old_resp[] = "SIP/2.0 200 OK\n"
                               "Via: SIP/2.0/UDP " CALLER ":5060\n"
                               "From: <sip:a@b>;tag=x1\nTo: <sip:100@b>;tag=y\n"
                               "Call-ID: old-1\nCSeq: 7 OPTIONS\nContent-Length: 0\n\n";
static const char stray[] = "SIP/2.0 200 OK\n"
                            "Via: SIP/2.0/UDP " CALLER ":5060;branch=z9hG4bK-nothing\n"
                            "From: <sip:a@b>;tag=x1\nTo: <sip:100@b>;tag=y\n"
                            "Call-ID: old-2\nCSeq: 7 OPTIONS\nContent-Length: 0\n\n";

static void test_rfc2543_and_stray(void **st)
{
	(void)st;
	struct sip_state *s = mk(100, 100, 100, 100);
	struct sip_msg_result r;
	feed(s, CALLER, PBX, 0, old_req);
	r = feed(s, PBX, CALLER, 5, old_resp);
	assert_int_equal(r.stray_response, 0);
	assert_int_equal(got.nt, 1);
	assert_int_equal(got.t[0].code, 200);
	r = feed(s, PBX, CALLER, 6, stray);
	assert_int_equal(r.stray_response, 1);
	assert_int_equal(sip_state_get_stats(s)->stray_responses, 1);
	sip_state_destroy(s);
}

static const char ring_a[] = "SIP/2.0 180 Ringing\n" HDRS("INVITE", "z9hG4bK-inv1", "1", "ft1",
                                                             ";tag=forkA") "Content-Length: 0\n\n";
static const char ring_b[] = "SIP/2.0 180 Ringing\n" HDRS("INVITE", "z9hG4bK-inv1", "1", "ft1",
                                                             ";tag=forkB") "Content-Length: 0\n\n";
static const char ok_b[] = "SIP/2.0 200 OK\n" HDRS("INVITE", "z9hG4bK-inv1", "1", "ft1",
                                                     ";tag=forkB") "Content-Length: 0\n\n";

static void test_forking(void **st)
{
	(void)st;
	struct sip_state *s = mk(100, 100, 100, 100);
	struct sip_msg_result ra, rb, ro;
	feed(s, CALLER, PBX, 0, invite);
	ra = feed(s, PBX, CALLER, 10, ring_a);
	rb = feed(s, PBX, CALLER, 20, ring_b);
	assert_int_not_equal(ra.dialog_id, rb.dialog_id);
	ro = feed(s, PBX, CALLER, 30, ok_b);
	assert_int_equal(ro.dialog_id, rb.dialog_id);
	assert_int_equal(ro.dialog_state, DLG_CONFIRMED);
	assert_int_equal(sip_state_get_stats(s)->dialogs, 2);
	sip_state_destroy(s);
	assert_int_equal(got.nd, 2);
}

static const char bye_unknown[] = "BYE sip:bob@" PBX " SIP/2.0\n" HDRS(
	"BYE", "z9hG4bK-byeX", "5", "nope", ";tag=nada") "Content-Length: 0\n\n";
static const char bye_callee[] = "BYE sip:alice@" CALLER " SIP/2.0\n"
                                 "Via: SIP/2.0/UDP " PBX ":5060;branch=z9hG4bK-bb\n"
                                 "From: <sip:bob@example.com>;tag=tt1\n"
                                 "To: \"Alice\" <sip:alice@example.com>;tag=ft1\n"
                                 "Call-ID: call-1@" CALLER "\nCSeq: 1 BYE\nContent-Length: 0\n\n";

static const char bye_callee2[] = "BYE sip:alice@" CALLER " SIP/2.0\n"
                                  "Via: SIP/2.0/UDP " PBX ":5060;branch=z9hG4bK-bb2\n"
                                  "From: <sip:bob@example.com>;tag=tt1\n"
                                  "To: \"Alice\" <sip:alice@example.com>;tag=ft1\n"
                                  "Call-ID: call-1@" CALLER "\nCSeq: 2 BYE\nContent-Length: 0\n\n";

static void test_in_dialog_matching(void **st)
{
	(void)st;
	struct sip_state *s = mk(100, 100, 100, 100);
	struct sip_msg_result r;
	r = feed(s, OTHER, PBX, 0, bye_unknown);
	assert_int_equal(r.dialog_unknown, 1);
	assert_int_equal(r.in_dialog, 0);
	feed(s, CALLER, PBX, 10, invite);
	feed(s, PBX, CALLER, 20, ok_inv);
	/* A BYE from the callee's side, but sent from an address that side never used. */
	r = feed(s, OTHER, CALLER, 5000, bye_callee);
	assert_int_equal(r.in_dialog, 1);
	assert_int_equal(r.sender_party, 1);
	assert_int_equal(r.sender_addr_match, 0);
	/* ... does not end the call (a forged BYE: the parties go on) ... */
	assert_int_equal(r.dialog_state, DLG_CONFIRMED);
	/* ... the same BYE from the callee's own address does. */
	r = feed(s, PBX, CALLER, 6000, bye_callee2);
	assert_int_equal(r.sender_addr_match, 1);
	assert_int_equal(r.dialog_state, DLG_TERMINATED);
	sip_state_destroy(s);
	assert_int_equal(got.nd, 1);
	assert_string_equal(got.d[0].ended_by, "callee");
}

#define REG(branch, cseq, extra)                                                                   \
	"REGISTER sip:example.com SIP/2.0\n"                                                       \
	"Via: SIP/2.0/UDP " CALLER ":5060;branch=" branch "\n"                                     \
	"From: <sip:alice@example.com>;tag=r1\nTo: <sip:alice@example.com>\n"                      \
	"Call-ID: reg-1\nCSeq: " cseq " REGISTER\nContact: <sip:alice@" CALLER ":5060>\n" extra     \
	"Content-Length: 0\n\n"
#define REG_RESP(code, branch, cseq, extra)                                                        \
	"SIP/2.0 " code "\n"                                                                       \
	"Via: SIP/2.0/UDP " CALLER ":5060;branch=" branch "\n"                                     \
	"From: <sip:alice@example.com>;tag=r1\nTo: <sip:alice@example.com>;tag=srv\n"              \
	"Call-ID: reg-1\nCSeq: " cseq " REGISTER\n" extra "Content-Length: 0\n\n"

static void test_registration(void **st)
{
	(void)st;
	struct sip_state *s = mk(100, 100, 100, 100);
	struct sip_msg_result r;
	feed(s, CALLER, PBX, 0, REG("z9hG4bK-r1", "1", ""));
	feed(s, PBX, CALLER, 5,
	     REG_RESP("401 Unauthorized", "z9hG4bK-r1", "1",
	              "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n1\", qop=\"auth\"\n"));
	feed(s, CALLER, PBX, 10,
	     REG("z9hG4bK-r2", "2",
	         "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"n1\", "
	         "uri=\"sip:example.com\", response=\"00112233445566778899aabbccddeeff\"\n"));
	r = feed(s, PBX, CALLER, 15,
	         REG_RESP("200 OK", "z9hG4bK-r2", "2",
	                  "Contact: <sip:alice@" CALLER ":5060>;expires=60\n"));
	assert_int_equal(r.reg_changed_source, 0);
	assert_int_equal(got.nt, 2);
	assert_string_equal(got.t[0].reg_action, "challenged");
	assert_string_equal(got.t[1].reg_action, "bind");
	assert_string_equal(got.t[1].aor, "alice@example.com");
	assert_int_equal(got.t[1].reg_expires, 60);
	assert_int_equal(sip_state_get_stats(s)->regs_active, 1);

	/* The same AOR bound from another address: what hijack detection needs. */
	feed(s, OTHER, PBX, 20000, REG("z9hG4bK-r3", "3", ""));
	r = feed(s, PBX, OTHER, 20005,
	         REG_RESP("200 OK", "z9hG4bK-r3", "3",
	                  "Contact: <sip:alice@" CALLER ":5060>;expires=60, <sip:alice@" OTHER
	                  ">;expires=120\n"));
	assert_int_equal(r.reg_changed_source, 1);
	assert_string_equal(got.t[2].reg_action, "bind");

	/* Expiry by packet time: the first binding at 80 s, the second at 140 s. */
	sip_state_tick(s, T0 + 100 * SEC);
	assert_int_equal(sip_state_get_stats(s)->reg_expired, 1);
	assert_int_equal(sip_state_get_stats(s)->regs_active, 1);
	sip_state_tick(s, T0 + 150 * SEC);
	assert_int_equal(sip_state_get_stats(s)->reg_expired, 2);
	assert_int_equal(sip_state_get_stats(s)->regs_active, 0);

	/* Unbind with expires=0. */
	feed(s, CALLER, PBX, 200000, REG("z9hG4bK-r4", "4", ""));
	feed(s, PBX, CALLER, 200005,
	     REG_RESP("200 OK", "z9hG4bK-r4", "4", "Contact: <sip:alice@" CALLER ":5060>;expires=30\n"));
	feed(s, CALLER, PBX, 201000, REG("z9hG4bK-r5", "5", "Expires: 0\n"));
	feed(s, PBX, CALLER, 201005,
	     REG_RESP("200 OK", "z9hG4bK-r5", "5", "Contact: <sip:alice@" CALLER ":5060>;expires=0\n"));
	assert_string_equal(got.t[got.nt - 1].reg_action, "unbind");
	assert_int_equal(sip_state_get_stats(s)->regs_active, 0);
	sip_state_destroy(s);
}

/* Tables at their caps: the oldest goes, with a record and an anomaly. */
static void test_caps(void **st)
{
	(void)st;
	char msg[1024];
	struct sip_state *s = mk(2, 1, 1, 2);
	for (int i = 0; i < 3; i++) {
		snprintf(msg, sizeof(msg),
		         "OPTIONS sip:%d@" PBX " SIP/2.0\nVia: SIP/2.0/UDP " OTHER
		         ":5060;branch=z9hG4bK-c%d\nFrom: <sip:x@y>;tag=a%d\nTo: <sip:%d@y>\n"
		         "Call-ID: cap-%d\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n",
		         i, i, i, i, i);
		feed(s, OTHER, PBX, (uint64_t)i, msg);
	}
	assert_int_equal(got.nt, 1);
	assert_string_equal(got.t[0].end, "evicted");
	assert_int_equal(got.na, 1);
	assert_int_equal(got.anom[0], ANOM_STATE_TXN_EVICTED);
	assert_int_equal(sip_state_get_stats(s)->txns_active, 2);

	/* One dialog allowed: the second INVITE evicts the first call. */
	feed(s, CALLER, PBX, 10, invite);
	assert_int_equal(sip_state_get_stats(s)->dialogs_active, 1);
	snprintf(msg, sizeof(msg),
	         "INVITE sip:carol@example.com SIP/2.0\nVia: SIP/2.0/UDP " CALLER
	         ":5060;branch=z9hG4bK-x2\nFrom: <sip:alice@example.com>;tag=z2\n"
	         "To: <sip:carol@example.com>\nCall-ID: call-2\nCSeq: 1 INVITE\n"
	         "Content-Type: application/sdp\nContent-Length: 0\n\n" SDP_CALLER);
	feed(s, CALLER, PBX, 20, msg);
	assert_int_equal(sip_state_get_stats(s)->dialogs_active, 1);
	assert_int_equal(sip_state_get_stats(s)->dialogs_evicted, 1);
	assert_int_equal(got.nd, 1);
	assert_string_equal(got.d[0].end, "evicted");
	/* Media: 2 allowed (RTP + RTCP of the second call). */
	assert_int_equal(sip_state_get_stats(s)->media_active, 2);
	sip_state_destroy(s);
}

/* Identifiers longer than what a dialog stores still match (compared as far as stored). */
static void test_long_identifiers(void **st)
{
	(void)st;
	char cid[301], tag[121], msg[2048];
	struct sip_state *s = mk(100, 100, 100, 100);
	struct sip_msg_result r;
	memset(cid, 'c', 300);
	cid[300] = '\0';
	memset(tag, 't', 120);
	tag[120] = '\0';
	snprintf(msg, sizeof(msg),
	         "INVITE sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP " CALLER
	         ":5060;branch=z9hG4bK-L1\nFrom: <sip:alice@example.com>;tag=ft1\n"
	         "To: <sip:bob@example.com>\nCall-ID: %s\nCSeq: 1 INVITE\nContent-Length: 0\n\n",
	         cid);
	r = feed(s, CALLER, PBX, 0, msg);
	uint64_t did = r.dialog_id;
	snprintf(msg, sizeof(msg),
	         "SIP/2.0 200 OK\nVia: SIP/2.0/UDP " CALLER
	         ":5060;branch=z9hG4bK-L1\nFrom: <sip:alice@example.com>;tag=ft1\n"
	         "To: <sip:bob@example.com>;tag=%s\nCall-ID: %s\nCSeq: 1 INVITE\nContent-Length: 0\n\n",
	         tag, cid);
	r = feed(s, PBX, CALLER, 10, msg);
	assert_int_equal(r.dialog_id, did);
	assert_int_equal(r.dialog_state, DLG_CONFIRMED);
	snprintf(msg, sizeof(msg),
	         "BYE sip:bob@" PBX " SIP/2.0\nVia: SIP/2.0/UDP " CALLER
	         ":5060;branch=z9hG4bK-L2\nFrom: <sip:alice@example.com>;tag=ft1\n"
	         "To: <sip:bob@example.com>;tag=%s\nCall-ID: %s\nCSeq: 2 BYE\nContent-Length: 0\n\n",
	         tag, cid);
	r = feed(s, CALLER, PBX, 1000, msg);
	assert_int_equal(r.in_dialog, 1);
	assert_int_equal(r.dialog_id, did);
	assert_int_equal(r.dialog_state, DLG_TERMINATED);
	sip_state_destroy(s);
	assert_int_equal(got.nd, 1);
	assert_string_equal(got.d[0].end, "bye");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_call),
		cmocka_unit_test(test_retransmissions),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_challenge_is_one_call),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_rfc2543_and_stray),
		cmocka_unit_test(test_forking),
		cmocka_unit_test(test_in_dialog_matching),
		cmocka_unit_test(test_registration),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_long_identifiers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
