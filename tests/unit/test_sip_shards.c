/*
 * test_sip_shards.c - the call state split by Call-ID into shards
 * (sip_state.h, sip_state_create_sharded), checked the way the engine
 * relies on it: a Call-ID always goes to one shard, what a sharded state
 * reports (records, identifiers, counters) is what one state would report
 * for the same messages, media is found from any shard, the caps hold over
 * all shards, and threads driving different calls side by side lose or
 * duplicate nothing. Every message is parsed from its text by sip_parse and
 * sdp_parse and handed to the shard of its Call-ID under that shard's
 * mutex, as engine.c does. Expected values are worked out by hand from the
 * message sequences below; one-shard runs are the reference for sharded
 * ones.
 *
 * The Makefile also builds this file with ThreadSanitizer
 * (build/tsan/tests/test_sip_shards, run by tests/run.sh), for the
 * threaded case.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <time.h>

#include "test_util.h"

#include "anomaly.h"
#include "sdp_parse.h"
#include "sip_parse.h"
#include "sip_state.h"

#define T0  1700000000000000ULL
#define MS  1000ULL
#define SEC 1000000ULL

#define PBX "192.0.2.5"

/* ------------------------------------------------------------------ */
/* What the hooks reported. Hooks run on whichever thread holds the     */
/* shard (or ticks), so the recorder has a mutex of its own.           */

struct rec_txn {
	uint64_t txn_id, dialog_id;
	char call_id[48], method[12], end[12];
};

struct rec_dlg {
	uint64_t dialog_id;
	char call_id[48], end[12], ended_by[8];
	uint8_t n_media;
	uint32_t rtp[2], rtcp[2];
	uint64_t bytes[2];
};

struct recorder {
	pthread_mutex_t mu;
	struct rec_txn *t;
	size_t nt, cap_t;
	struct rec_dlg *d;
	size_t nd, cap_d;
	unsigned anom_txn_evicted, anom_dlg_evicted, anom_other;
	/* A hook cannot fail a cmocka test from another thread: it notes
	 * what did not fit and the test checks this is 0. */
	unsigned overflow;
};

static void rec_init(struct recorder *r, size_t cap_t, size_t cap_d)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	r->t = calloc(cap_t, sizeof(*r->t));
	r->d = calloc(cap_d, sizeof(*r->d));
	assert_non_null(r->t);
	assert_non_null(r->d);
	r->cap_t = cap_t;
	r->cap_d = cap_d;
}

static void rec_free(struct recorder *r)
{
	free(r->t);
	free(r->d);
	pthread_mutex_destroy(&r->mu);
}

static void on_txn(void *ud, const struct sip_txn_rec *t)
{
	struct recorder *r = ud;
	pthread_mutex_lock(&r->mu);
	if (r->nt < r->cap_t) {
		struct rec_txn *x = &r->t[r->nt++];
		x->txn_id = t->txn_id;
		x->dialog_id = t->dialog_id;
		snprintf(x->call_id, sizeof(x->call_id), "%s", t->call_id);
		snprintf(x->method, sizeof(x->method), "%s", t->method);
		snprintf(x->end, sizeof(x->end), "%s", t->end);
	} else {
		r->overflow++;
	}
	pthread_mutex_unlock(&r->mu);
}

static void on_dlg(void *ud, const struct sip_dialog_rec *d)
{
	struct recorder *r = ud;
	pthread_mutex_lock(&r->mu);
	if (r->nd < r->cap_d) {
		struct rec_dlg *x = &r->d[r->nd++];
		x->dialog_id = d->dialog_id;
		snprintf(x->call_id, sizeof(x->call_id), "%s", d->call_id);
		snprintf(x->end, sizeof(x->end), "%s", d->end);
		snprintf(x->ended_by, sizeof(x->ended_by), "%s", d->ended_by);
		x->n_media = d->n_media;
		for (int p = 0; p < 2; p++) {
			x->rtp[p] = d->media[0].pkts[p];
			x->rtcp[p] = d->media[0].rtcp_pkts[p];
			x->bytes[p] = d->media[0].bytes[p];
		}
	} else {
		r->overflow++;
	}
	pthread_mutex_unlock(&r->mu);
}

static void on_anom(void *ud, const struct sip_msg_ctx *c, unsigned id)
{
	struct recorder *r = ud;
	(void)c;
	pthread_mutex_lock(&r->mu);
	if (id == ANOM_STATE_TXN_EVICTED)
		r->anom_txn_evicted++;
	else if (id == ANOM_STATE_DIALOG_EVICTED)
		r->anom_dlg_evicted++;
	else
		r->anom_other++;
	pthread_mutex_unlock(&r->mu);
}

static const struct sip_state_hooks hooks = { on_txn, on_dlg, on_anom };

/* A state of n shards reporting to r; caps of 0 take the defaults. */
static struct sip_state *mk(struct recorder *r, unsigned n, uint32_t max_txns,
                            uint32_t max_dialogs, uint32_t dialog_linger)
{
	struct sip_state_cfg c = {
		.max_txns = max_txns,
		.max_dialogs = max_dialogs,
		.txn_timeout = 32,
		.dialog_early_timeout = 180,
		.dialog_idle_timeout = 3600,
		.dialog_linger = dialog_linger,
		.reg_max_expires = 3600,
	};
	struct sip_state *s = sip_state_create_sharded(&c, &hooks, r, n);
	assert_non_null(s);
	assert_int_equal(sip_state_shards(s), n);
	/* The handle is shard 0: it stands for the whole state. */
	assert_int_equal(sip_state_shard_index(s), 0);
	assert_ptr_equal(sip_state_shard(s, 0), s);
	return s;
}

/* ------------------------------------------------------------------ */
/* Messages.                                                           */

/*
 * One call: its Call-ID, who calls whom, and the RTP port each side
 * announces in its SDP (0: no SDP). Tags are the same for every call: the
 * Call-ID tells calls apart (dialogs are keyed by Call-ID and tags), and
 * branches carry the Call-ID so that transactions differ too.
 */
struct call {
	char id[40];
	const char *caller, *callee;
	uint16_t caller_rtp, callee_rtp;
};

enum step { S_INVITE, S_OK_INVITE, S_ACK, S_BYE, S_OK_BYE, S__COUNT };

/* Who sends each step: requests the caller, responses the callee. */
static int from_callee(enum step k)
{
	return k == S_OK_INVITE || k == S_OK_BYE;
}

/* Writes step k of call c (CRLF line ends, exact Content-Length) into out. */
static size_t msg_text(char *out, size_t cap, const struct call *c, enum step k)
{
	static const char *const start[S__COUNT] = {
		"INVITE sip:bob@example.com SIP/2.0", "SIP/2.0 200 OK",
		"ACK sip:bob@" PBX " SIP/2.0",         "BYE sip:bob@" PBX " SIP/2.0",
		"SIP/2.0 200 OK",
	};
	/* Branch (one per transaction) and CSeq of each step. */
	static const int branch[S__COUNT] = { 1, 1, 2, 3, 3 };
	static const char *const cseq[S__COUNT] = { "1 INVITE", "1 INVITE", "1 ACK", "2 BYE",
		                                    "2 BYE" };
	char sdp[256] = "";
	uint16_t rtp = k == S_INVITE ? c->caller_rtp : k == S_OK_INVITE ? c->callee_rtp : 0;
	const char *who = k == S_INVITE ? c->caller : c->callee;
	int n;

	if (rtp)
		snprintf(sdp, sizeof(sdp),
		         "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		         "m=audio %u RTP/AVP 0\r\n",
		         who, who, rtp);
	n = snprintf(out, cap,
	             "%s\r\n"
	             "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-%s-%d\r\n"
	             "Max-Forwards: 70\r\n"
	             "From: <sip:alice@example.com>;tag=ft1\r\n"
	             "To: <sip:bob@example.com>%s\r\n"
	             "Call-ID: %s\r\n"
	             "CSeq: %s\r\n"
	             "%s"
	             "Content-Length: %zu\r\n\r\n%s",
	             start[k], c->caller, c->id, branch[k], k == S_INVITE ? "" : ";tag=tt1", c->id,
	             cseq[k], rtp ? "Content-Type: application/sdp\r\n" : "", strlen(sdp), sdp);
	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

/*
 * Parses text and hands it to the shard of its Call-ID, holding that
 * shard's mutex as the engine does (sip_state.h). Returns the shard used.
 * No cmocka assertions on the way: threads call this too (they check the
 * return and res instead); a message that does not parse returns NULL.
 */
static struct sip_state *deliver(struct sip_state *s, const char *text, size_t len,
                                 const char *src, const char *dst, sw_time ts,
                                 struct sip_msg_result *res)
{
	struct sip_header hdrs[32];
	struct sip_msg m;
	struct sdp_session sdp;
	const struct sdp_session *sp = NULL;
	struct sip_msg_ctx ctx;
	struct sip_state *sh;

	if (sip_parse(text, len, &m, hdrs, SW_ARRAY_SIZE(hdrs), SIP_PARSE_DATAGRAM) <= 0)
		return NULL;
	if (m.body.len && sdp_parse(m.body.p, m.body.len, &sdp) == 0)
		sp = &sdp;
	memset(&ctx, 0, sizeof(ctx));
	ctx.ts = ts;
	if (sw_addr_parse(sw_str_make(src, strlen(src)), &ctx.src) != 0 ||
	    sw_addr_parse(sw_str_make(dst, strlen(dst)), &ctx.dst) != 0)
		return NULL;
	ctx.sport = ctx.dport = 5060;
	ctx.proto = IPPROTO_UDP;
	ctx.ip_v = 4;
	sh = sip_state_shard_for(s, m.call_id);
	pthread_mutex_lock(sip_state_mutex(sh));
	sip_state_message(sh, &m, sp, &ctx, res);
	pthread_mutex_unlock(sip_state_mutex(sh));
	return sh;
}

/* Step k of call c at ts, from the main thread; returns the shard used. */
static struct sip_state *step(struct sip_state *s, const struct call *c, enum step k, sw_time ts,
                              struct sip_msg_result *res)
{
	char buf[2048];
	struct sip_msg_result tmp;
	size_t n = msg_text(buf, sizeof(buf), c, k);
	struct sip_state *sh = deliver(s, buf, n, from_callee(k) ? c->callee : c->caller,
	                               from_callee(k) ? c->caller : c->callee, ts, res ? res : &tmp);
	assert_non_null(sh);
	return sh;
}

static void call_init(struct call *c, const char *id, const char *caller, uint16_t caller_rtp,
                      uint16_t callee_rtp)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->caller = caller;
	c->callee = PBX;
	c->caller_rtp = caller_rtp;
	c->callee_rtp = callee_rtp;
}

static unsigned shard_of(struct sip_state *s, const char *call_id)
{
	return sip_state_shard_index(sip_state_shard_for(s, sw_str_make(call_id, strlen(call_id))));
}

/*
 * Call-IDs "<prefix>-<n>@sipwire.test", n from 0 up, whose shards in s are
 * pairwise distinct and, if not_zero, not shard 0 (so that a test really
 * crosses shards rather than passing because everything sits in one).
 */
static void pick_ids(struct sip_state *s, const char *prefix, int not_zero, char ids[][40],
                     unsigned count)
{
	unsigned got = 0, used = 0; /* bit i: shard i taken */
	assert_true(count <= sip_state_shards(s) - (not_zero ? 1 : 0));
	for (unsigned n = 0; got < count && n < 10000; n++) {
		char id[40];
		unsigned sh;
		snprintf(id, sizeof(id), "%s-%u@sipwire.test", prefix, n);
		sh = shard_of(s, id);
		if ((not_zero && sh == 0) || (used & (1u << sh)))
			continue;
		used |= 1u << sh;
		memcpy(ids[got++], id, sizeof(id));
	}
	assert_int_equal(got, count);
}

/* ------------------------------------------------------------------ */
/* 1. Routing.                                                          */

static void test_routing_spread_and_stable(void **st)
{
	(void)st;
	struct recorder r;
	unsigned per[8] = { 0 };
	char a[64], b[64];
	rec_init(&r, 4, 4);
	struct sip_state *s = mk(&r, 8, 0, 0, 0);
	struct sip_state *one = mk(&r, 1, 0, 0, 0);

	for (unsigned i = 0; i < 1000; i++) {
		struct sip_state *sh;
		snprintf(a, sizeof(a), "%u-route@192.0.2.%u", i * 7919, i % 250);
		/* The same Call-ID from another buffer (a retransmission, the
		 * other direction) goes to the same shard. */
		memcpy(b, a, sizeof(a));
		sh = sip_state_shard_for(s, sw_str_make(a, strlen(a)));
		assert_ptr_equal(sip_state_shard_for(s, sw_str_make(b, strlen(b))), sh);
		assert_ptr_equal(sip_state_shard_for(s, sw_str_make(a, strlen(a))), sh);
		assert_true(sip_state_shard_index(sh) < 8);
		assert_ptr_equal(sip_state_shard(s, sip_state_shard_index(sh)), sh);
		per[sip_state_shard_index(sh)]++;
		/* With one shard everything is the handle itself. */
		assert_ptr_equal(sip_state_shard_for(one, sw_str_make(a, strlen(a))), one);
	}
	/* A hash spreads 1000 Call-IDs over all 8 shards, none getting less
	 * than half its fair share (125) or more than twice it: otherwise
	 * shards would not share the load. */
	for (unsigned i = 0; i < 8; i++) {
		assert_true(per[i] >= 62);
		assert_true(per[i] <= 250);
	}
	/* An index out of range is shard 0, not a wild pointer. */
	assert_ptr_equal(sip_state_shard(s, 8), s);
	sip_state_destroy(s);
	sip_state_destroy(one);
	assert_int_equal(r.nt + r.nd, 0);
	rec_free(&r);
}

/*
 * Three calls A, B, C interleaved (each on its own shard of 8), then
 * records and identifiers compared with one shard. The plan and what each
 * message opens (txn id, dialog id) or writes:
 *
 *   #  message        opens        txn record written (txn, dialog)
 *   0  INVITE A       txn 1, dlg 1
 *   1  INVITE B       txn 2, dlg 2
 *   2  INVITE C       txn 3, dlg 3
 *   3  200 B                       (2, 2)
 *   4  200 A                       (1, 1)
 *   5  ACK A          txn 4        (4, 1)  an ACK's record goes out at once
 *   6  200 C                       (3, 3)
 *   7  ACK B          txn 5        (5, 2)
 *   8  ACK C          txn 6        (6, 3)
 *   9  BYE C          txn 7
 *  10  BYE A          txn 8
 *  11  200 BYE A                   (8, 1)
 *  12  BYE B          txn 9
 *  13  200 BYE C                   (7, 3)
 *  14  200 BYE B                   (9, 2)
 *
 * then one call record per call, end "bye" by the caller.
 */
static const struct {
	int call; /* 0 A, 1 B, 2 C */
	enum step k;
	uint64_t txn_id, dialog_id; /* sip_msg_result after the message */
} plan[] = {
	{ 0, S_INVITE, 1, 1 }, { 1, S_INVITE, 2, 2 }, { 2, S_INVITE, 3, 3 },
	{ 1, S_OK_INVITE, 2, 2 }, { 0, S_OK_INVITE, 1, 1 }, { 0, S_ACK, 4, 1 },
	{ 2, S_OK_INVITE, 3, 3 }, { 1, S_ACK, 5, 2 }, { 2, S_ACK, 6, 3 },
	{ 2, S_BYE, 7, 3 }, { 0, S_BYE, 8, 1 }, { 0, S_OK_BYE, 8, 1 },
	{ 1, S_BYE, 9, 2 }, { 2, S_OK_BYE, 7, 3 }, { 1, S_OK_BYE, 9, 2 },
};
static const struct {
	uint64_t txn_id, dialog_id;
	int call;
	const char *method;
} plan_txn_recs[] = {
	{ 2, 2, 1, "INVITE" }, { 1, 1, 0, "INVITE" }, { 4, 1, 0, "ACK" },
	{ 3, 3, 2, "INVITE" }, { 5, 2, 1, "ACK" },    { 6, 3, 2, "ACK" },
	{ 8, 1, 0, "BYE" },    { 7, 3, 2, "BYE" },    { 9, 2, 1, "BYE" },
};

/* Runs the plan on s (calls' Call-IDs in ids) and checks what each message reported. */
static void run_plan(struct sip_state *s, char ids[3][40], struct recorder *r)
{
	struct call c[3];
	for (int i = 0; i < 3; i++)
		call_init(&c[i], ids[i], "192.0.2.10", 0, 0);
	for (unsigned i = 0; i < SW_ARRAY_SIZE(plan); i++) {
		struct sip_msg_result res;
		const struct call *x = &c[plan[i].call];
		struct sip_state *sh = step(s, x, plan[i].k, T0 + i * 10 * MS, &res);
		assert_ptr_equal(sh, sip_state_shard_for(s, sw_str_make(x->id, strlen(x->id))));
		assert_int_equal(res.txn_id, plan[i].txn_id);
		assert_int_equal(res.dialog_id, plan[i].dialog_id);
		/* The dialog lives in its call's shard, and only there. */
		if (sip_state_shards(s) > 1 && plan[i].k == S_INVITE) {
			for (unsigned j = 0; j < sip_state_shards(s); j++) {
				struct sip_state *o = sip_state_shard(s, j);
				pthread_mutex_lock(sip_state_mutex(o));
				assert_int_equal(sip_state_dialog_live(o, res.dialog_id), o == sh);
				pthread_mutex_unlock(sip_state_mutex(o));
			}
		}
	}
	/* Past the linger (10 s): the three call records. */
	assert_int_equal(r->nd, 0);
	sip_state_tick(s, T0 + 20 * SEC);
	assert_int_equal(r->nd, 3);
}

static int cmp_dlg_id(const void *x, const void *y)
{
	const struct rec_dlg *a = x, *b = y;
	return a->dialog_id < b->dialog_id ? -1 : a->dialog_id > b->dialog_id;
}

static void test_routing_same_records_as_one_shard(void **st)
{
	(void)st;
	struct recorder r1, r8;
	char ids[3][40];
	rec_init(&r1, 32, 8);
	rec_init(&r8, 32, 8);
	struct sip_state *s1 = mk(&r1, 1, 0, 0, 10);
	struct sip_state *s8 = mk(&r8, 8, 0, 0, 10);

	pick_ids(s8, "plan", 0, ids, 3);
	run_plan(s1, ids, &r1);
	run_plan(s8, ids, &r8);
	sip_state_destroy(s1);
	sip_state_destroy(s8);

	/* Transaction records: the hand-worked sequence, in both. */
	assert_int_equal(r1.nt, SW_ARRAY_SIZE(plan_txn_recs));
	assert_int_equal(r8.nt, SW_ARRAY_SIZE(plan_txn_recs));
	for (unsigned i = 0; i < SW_ARRAY_SIZE(plan_txn_recs); i++) {
		const struct rec_txn *x1 = &r1.t[i], *x8 = &r8.t[i];
		assert_int_equal(x1->txn_id, plan_txn_recs[i].txn_id);
		assert_int_equal(x1->dialog_id, plan_txn_recs[i].dialog_id);
		assert_string_equal(x1->call_id, ids[plan_txn_recs[i].call]);
		assert_string_equal(x1->method, plan_txn_recs[i].method);
		assert_string_equal(x1->end, "completed");
		assert_int_equal(x8->txn_id, x1->txn_id);
		assert_int_equal(x8->dialog_id, x1->dialog_id);
		assert_string_equal(x8->call_id, x1->call_id);
		assert_string_equal(x8->method, x1->method);
		assert_string_equal(x8->end, x1->end);
	}
	/* Call records: one per call. Shards are ticked one after the other,
	 * so their order may differ from one shard's: compared by id. */
	assert_int_equal(r1.nd, 3);
	assert_int_equal(r8.nd, 3);
	qsort(r1.d, r1.nd, sizeof(r1.d[0]), cmp_dlg_id);
	qsort(r8.d, r8.nd, sizeof(r8.d[0]), cmp_dlg_id);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(r1.d[i].dialog_id, i + 1);
		assert_string_equal(r1.d[i].call_id, ids[i]);
		assert_string_equal(r1.d[i].end, "bye");
		assert_string_equal(r1.d[i].ended_by, "caller");
		assert_int_equal(r8.d[i].dialog_id, r1.d[i].dialog_id);
		assert_string_equal(r8.d[i].call_id, r1.d[i].call_id);
		assert_string_equal(r8.d[i].end, r1.d[i].end);
		assert_string_equal(r8.d[i].ended_by, r1.d[i].ended_by);
	}
	assert_int_equal(r1.overflow + r8.overflow, 0);
	assert_int_equal(r1.anom_other + r8.anom_other, 0);
	rec_free(&r1);
	rec_free(&r8);
}

/* ------------------------------------------------------------------ */
/* 2. Media across shards.                                              */

static void lookup_ok(struct sip_state *s, const char *addr, uint16_t port, uint64_t dialog_id,
                      unsigned shard, int party, int is_rtcp)
{
	struct media_match mm;
	sw_addr a;
	memset(&mm, 0xff, sizeof(mm));
	assert_int_equal(sw_addr_parse(sw_str_make(addr, strlen(addr)), &a), 0);
	assert_int_equal(sip_state_media_lookup(s, &a, port, IPPROTO_UDP, &mm), 1);
	assert_int_equal(mm.dialog_id, dialog_id);
	assert_int_equal(mm.shard, shard);
	assert_int_equal(mm.party, party);
	assert_int_equal(mm.is_rtcp, is_rtcp);
	assert_int_equal(mm.media_index, 0);
}

static int media_found(struct sip_state *s, const char *addr, uint16_t port)
{
	struct media_match mm;
	sw_addr a;
	assert_int_equal(sw_addr_parse(sw_str_make(addr, strlen(addr)), &a), 0);
	return sip_state_media_lookup(s, &a, port, IPPROTO_UDP, &mm);
}

/* RTP (is_rtcp 0) or RTCP packets counted on shard index sh, under its mutex. */
static void media_pkts(struct sip_state *s, unsigned sh, uint64_t dialog_id, int is_rtcp,
                       int party, unsigned n, sw_time ts)
{
	struct sip_state *x = sip_state_shard(s, sh);
	pthread_mutex_lock(sip_state_mutex(x));
	for (unsigned i = 0; i < n; i++)
		sip_state_media_packet(x, dialog_id, 0, is_rtcp, party, 172, ts + i * 20 * MS);
	pthread_mutex_unlock(sip_state_mutex(x));
}

static void test_media_across_shards(void **st)
{
	(void)st;
	struct recorder r;
	struct sip_msg_result res;
	struct call c[2];
	char ids[2][40];
	uint64_t did[2];
	unsigned sh[2];
	rec_init(&r, 16, 4);
	struct sip_state *s = mk(&r, 8, 0, 0, 10);

	/* Two calls, neither on shard 0 (the handle the lookup goes through). */
	pick_ids(s, "media", 1, ids, 2);
	call_init(&c[0], ids[0], "192.0.2.10", 40000, 50000);
	call_init(&c[1], ids[1], "192.0.2.11", 40010, 50010);
	for (int i = 0; i < 2; i++) {
		sh[i] = sip_state_shard_index(step(s, &c[i], S_INVITE, T0 + (uint64_t)i * MS, &res));
		assert_int_not_equal(sh[i], 0);
		did[i] = res.dialog_id;
	}
	assert_int_not_equal(sh[0], sh[1]);
	assert_int_equal(did[0], 1);
	assert_int_equal(did[1], 2);

	/* The offer's RTP and RTCP (port + 1) are found from shard 0, with
	 * the shard that holds their dialog. */
	lookup_ok(s, "192.0.2.10", 40000, 1, sh[0], 0, 0);
	lookup_ok(s, "192.0.2.10", 40001, 1, sh[0], 0, 1);
	lookup_ok(s, "192.0.2.11", 40010, 2, sh[1], 0, 0);
	/* The answer's only once it is seen. */
	assert_int_equal(media_found(s, PBX, 50000), 0);
	for (int i = 0; i < 2; i++)
		step(s, &c[i], S_OK_INVITE, T0 + 100 * MS, NULL);
	lookup_ok(s, PBX, 50000, 1, sh[0], 1, 0);
	lookup_ok(s, PBX, 50011, 2, sh[1], 1, 1);
	/* Nothing was announced at port + 2. */
	assert_int_equal(media_found(s, "192.0.2.10", 40002), 0);

	/* The engine counts RTP on the shard the match names. */
	media_pkts(s, sh[0], did[0], 0, 0, 5, T0 + 200 * MS);
	media_pkts(s, sh[0], did[0], 0, 1, 3, T0 + 200 * MS);
	media_pkts(s, sh[0], did[0], 1, 0, 1, T0 + 300 * MS);
	media_pkts(s, sh[1], did[1], 0, 1, 2, T0 + 200 * MS);
	/* On another shard the dialog is unknown: nothing counted there. */
	media_pkts(s, sh[1], did[0], 0, 0, 7, T0 + 200 * MS);
	media_pkts(s, 0, did[1], 0, 0, 7, T0 + 200 * MS);
	{
		struct sip_state *x = sip_state_shard(s, sh[0]);
		sw_addr a;
		sw_addr_parse(SW_STR_LIT("192.0.2.10"), &a);
		pthread_mutex_lock(sip_state_mutex(x));
		assert_int_equal(sip_state_dialog_live(x, did[0]), 1);
		assert_int_equal(sip_state_media_source_ok(x, did[0], 0, &a), 1);
		assert_int_equal(sip_state_media_source_ok(x, did[1], 0, &a), -1);
		pthread_mutex_unlock(sip_state_mutex(x));
	}

	for (int i = 0; i < 2; i++) {
		step(s, &c[i], S_ACK, T0 + SEC, NULL);
		step(s, &c[i], S_BYE, T0 + 2 * SEC, NULL);
		step(s, &c[i], S_OK_BYE, T0 + 2 * SEC + 10 * MS, NULL);
	}
	sip_state_tick(s, T0 + 20 * SEC);
	assert_int_equal(r.nd, 2);
	qsort(r.d, r.nd, sizeof(r.d[0]), cmp_dlg_id);
	assert_int_equal(r.d[0].dialog_id, did[0]);
	assert_string_equal(r.d[0].end, "bye");
	assert_int_equal(r.d[0].n_media, 1);
	assert_int_equal(r.d[0].rtp[0], 5);
	assert_int_equal(r.d[0].rtp[1], 3);
	assert_int_equal(r.d[0].rtcp[0], 1);
	assert_int_equal(r.d[0].rtcp[1], 0);
	assert_int_equal(r.d[0].bytes[0], 5 * 172);
	assert_int_equal(r.d[0].bytes[1], 3 * 172);
	assert_int_equal(r.d[1].dialog_id, did[1]);
	assert_int_equal(r.d[1].rtp[0], 0);
	assert_int_equal(r.d[1].rtp[1], 2);
	/* Expectations left with their dialogs. */
	assert_int_equal(media_found(s, "192.0.2.10", 40000), 0);
	assert_int_equal(media_found(s, PBX, 50010), 0);
	sip_state_destroy(s);
	assert_int_equal(r.overflow, 0);
	rec_free(&r);
}

/* ------------------------------------------------------------------ */
/* 3. Caps over all shards.                                             */

/*
 * 20 unanswered INVITEs (distinct Call-IDs, so spread over the shards)
 * into a state of n shards capped at 4 dialogs (which_cap 0) or 4
 * transactions (1): after each message exactly min(i + 1, 4) are active,
 * the 16 others were evicted with a record and an anomaly each. Returns
 * the stats after the 20th.
 */
static void caps_run(unsigned n, int which_cap, struct sip_state_stats *out)
{
	struct recorder r;
	struct sip_state_stats sst;
	rec_init(&r, 64, 64);
	struct sip_state *s = mk(&r, n, which_cap ? 4 : 0, which_cap ? 0 : 4, 10);
	unsigned used = 0;

	for (unsigned i = 0; i < 20; i++) {
		struct call c;
		char id[40];
		snprintf(id, sizeof(id), "cap-%u@sipwire.test", i);
		call_init(&c, id, "192.0.2.10", 0, 0);
		used |= 1u << sip_state_shard_index(step(s, &c, S_INVITE, T0 + i * MS, NULL));
		sip_state_stats(s, &sst);
		uint64_t active = which_cap ? sst.txns_active : sst.dialogs_active;
		assert_int_equal(active, i < 4 ? i + 1 : 4);
		assert_int_equal(which_cap ? sst.txn_evicted : sst.dialogs_evicted, i < 4 ? 0 : i - 3);
	}
	/* With 8 shards the calls really were spread (else the cap would
	 * only have been tested within one shard). */
	if (n > 1)
		assert_true(__builtin_popcount(used) > 4);
	assert_int_equal(sst.txns, 20);
	assert_int_equal(sst.dialogs, 20);
	if (which_cap) {
		assert_int_equal(sst.txn_evicted, 16);
		assert_int_equal(r.anom_txn_evicted, 16);
		assert_int_equal(r.nt, 16);
		for (unsigned i = 0; i < r.nt; i++)
			assert_string_equal(r.t[i].end, "evicted");
		assert_int_equal(sst.dialogs_evicted, 0);
	} else {
		assert_int_equal(sst.dialogs_evicted, 16);
		assert_int_equal(sst.dialogs_active, 4);
		assert_int_equal(r.anom_dlg_evicted, 16);
		assert_int_equal(r.nd, 16);
		for (unsigned i = 0; i < r.nd; i++)
			assert_string_equal(r.d[i].end, "evicted");
		assert_int_equal(sst.txn_evicted, 0);
	}
	assert_int_equal(r.anom_other, 0);
	*out = sst;
	sip_state_destroy(s);
	/* The 4 left end at shutdown: every INVITE got exactly one record. */
	if (which_cap)
		assert_int_equal(r.nt, 20);
	else
		assert_int_equal(r.nd, 20);
	assert_int_equal(r.overflow, 0);
	rec_free(&r);
}

static void test_caps_over_all_shards(void **st)
{
	(void)st;
	struct sip_state_stats one, eight;
	for (int which = 0; which < 2; which++) {
		caps_run(1, which, &one);
		caps_run(8, which, &eight);
		assert_memory_equal(&one, &eight, sizeof(one));
	}
}

/* ------------------------------------------------------------------ */
/* 4. Counters add up as one state's.                                   */

static void reg_text(char *out, size_t cap, int response)
{
	int n = snprintf(out, cap,
	                 "%s\r\n"
	                 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-reg1\r\n"
	                 "From: <sip:alice@example.com>;tag=rt1\r\n"
	                 "To: <sip:alice@example.com>%s\r\n"
	                 "Call-ID: reg-1@sipwire.test\r\n"
	                 "CSeq: 1 REGISTER\r\n"
	                 "Contact: <sip:alice@192.0.2.10:5060>%s\r\n"
	                 "Expires: 600\r\n"
	                 "Content-Length: 0\r\n\r\n",
	                 response ? "SIP/2.0 200 OK" : "REGISTER sip:example.com SIP/2.0",
	                 response ? ";tag=srv" : "", response ? ";expires=600" : "");
	assert_true(n > 0 && (size_t)n < cap);
}

/*
 * The scenario: 3 calls with SDP both ways (3 txns each: INVITE, ACK,
 * BYE; 4 media expectations each: RTP and RTCP of offer and answer), one
 * INVITE retransmitted, one stray 200, one REGISTER bound by its 200.
 */
static void stats_scenario(struct sip_state *s, struct sip_state_stats *mid,
                           struct sip_state_stats *end)
{
	char buf[2048];
	struct call c[3];
	struct sip_msg_result res;
	for (int i = 0; i < 3; i++) {
		char id[40];
		snprintf(id, sizeof(id), "stats-%d@sipwire.test", i);
		call_init(&c[i], id, "192.0.2.10", (uint16_t)(40000 + 10 * i),
		          (uint16_t)(50000 + 10 * i));
	}
	for (int i = 0; i < 3; i++)
		step(s, &c[i], S_INVITE, T0 + (uint64_t)i * MS, NULL);
	step(s, &c[1], S_INVITE, T0 + 500 * MS, &res);
	assert_int_equal(res.retransmission, 1);
	for (int i = 0; i < 3; i++) {
		step(s, &c[i], S_OK_INVITE, T0 + SEC, NULL);
		step(s, &c[i], S_ACK, T0 + SEC + 10 * MS, NULL);
	}
	{
		/* A 200 to an INVITE never seen: stray. */
		struct call x;
		call_init(&x, "stray@sipwire.test", "192.0.2.10", 0, 0);
		step(s, &x, S_OK_INVITE, T0 + 2 * SEC, &res);
		assert_int_equal(res.stray_response, 1);
	}
	reg_text(buf, sizeof(buf), 0);
	assert_non_null(deliver(s, buf, strlen(buf), "192.0.2.10", PBX, T0 + 3 * SEC, &res));
	reg_text(buf, sizeof(buf), 1);
	assert_non_null(deliver(s, buf, strlen(buf), PBX, "192.0.2.10", T0 + 3 * SEC, &res));
	for (int i = 0; i < 3; i++) {
		step(s, &c[i], S_BYE, T0 + 4 * SEC, NULL);
		step(s, &c[i], S_OK_BYE, T0 + 4 * SEC + 10 * MS, NULL);
	}
	sip_state_stats(s, mid);
	/* Past every linger (dialogs 10 s, transactions 32 s), not past the
	 * registration's 600 s. */
	sip_state_tick(s, T0 + 60 * SEC);
	sip_state_stats(s, end);
}

static void test_stats_add_up(void **st)
{
	(void)st;
	struct recorder r1, r8;
	struct sip_state_stats m1, e1, m8, e8;
	rec_init(&r1, 32, 8);
	rec_init(&r8, 32, 8);
	struct sip_state *s1 = mk(&r1, 1, 0, 0, 10);
	struct sip_state *s8 = mk(&r8, 8, 0, 0, 10);
	stats_scenario(s1, &m1, &e1);
	stats_scenario(s8, &m8, &e8);

	/* Worked out from the scenario. */
	assert_int_equal(m1.txns, 3 * 3 + 1);
	assert_int_equal(m1.txns_active, 10); /* completed ones linger */
	assert_int_equal(m1.txn_retrans_req, 1);
	assert_int_equal(m1.stray_responses, 1);
	assert_int_equal(m1.acks_2xx, 3);
	assert_int_equal(m1.dialogs, 3);
	assert_int_equal(m1.dialogs_active, 3);
	assert_int_equal(m1.dialogs_confirmed, 3);
	assert_int_equal(m1.regs_active, 1);
	assert_int_equal(m1.reg_binds, 1);
	assert_int_equal(m1.media_added, 12);
	assert_int_equal(m1.media_active, 12);
	assert_int_equal(e1.txns_active, 0);
	assert_int_equal(e1.dialogs_active, 0);
	assert_int_equal(e1.media_active, 0);
	assert_int_equal(e1.regs_active, 1);
	/* The sharded state's sums are the same, field by field. */
	assert_memory_equal(&m1, &m8, sizeof(m1));
	assert_memory_equal(&e1, &e8, sizeof(e1));
	sip_state_destroy(s1);
	sip_state_destroy(s8);
	assert_int_equal(r1.nt, 10);
	assert_int_equal(r8.nt, 10);
	assert_int_equal(r1.nd, 3);
	assert_int_equal(r8.nd, 3);
	rec_free(&r1);
	rec_free(&r8);
}

/* ------------------------------------------------------------------ */
/* 5. Threads.                                                          */

#define NT    4    /* worker threads */
#define CALLS 2000 /* calls per worker */

/* Packet time shared by all workers (one clock, as the engine's shards
 * see one capture): 1 ms per message or RTP packet, so 48 s in all, past
 * the 32 s transaction linger, which the ticker thus really expires while
 * the workers run. */
static uint64_t g_clock;
static int g_done;

static sw_time next_ts(void)
{
	return T0 + __atomic_add_fetch(&g_clock, MS, __ATOMIC_RELAXED);
}

struct worker {
	pthread_t th;
	struct sip_state *s;
	unsigned k;
	char caller[16];
	/* What went wrong, counted (asserted on by the main thread). */
	unsigned bad_msg, bad_result, bad_lookup;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char buf[2048];
	for (unsigned i = 0; i < CALLS; i++) {
		struct call c;
		struct sip_msg_result res;
		struct media_match mm;
		struct sip_state *sh = NULL;
		uint64_t did = 0;
		char id[40];
		sw_addr a;
		snprintf(id, sizeof(id), "t%u-c%u@sipwire.test", w->k, i);
		/* Ports come round again every 500 calls: an endpoint may still
		 * belong to an older dialog (in any shard) and move. */
		call_init(&c, id, w->caller, (uint16_t)(20000 + 2 * (i % 500)),
		          (uint16_t)(30000 + 1000 * w->k + 2 * (i % 500)));
		for (enum step k = S_INVITE; k < S__COUNT; k++) {
			size_t n = msg_text(buf, sizeof(buf), &c, k);
			sh = deliver(w->s, buf, n, from_callee(k) ? c.callee : c.caller,
			             from_callee(k) ? c.caller : c.callee, next_ts(), &res);
			if (!sh) {
				w->bad_msg++;
				break;
			}
			if (k == S_INVITE)
				did = res.dialog_id;
			/* Without linger, the ticker may have written the call
			 * between BYE and its 200: that 200 finds no dialog. */
			if (k == S_OK_BYE && res.dialog_id == 0)
				res.dialog_id = did;
			if (!res.txn_id || !did || res.dialog_id != did ||
			    (k == S_OK_INVITE && res.dialog_state != DLG_CONFIRMED) ||
			    (k == S_BYE && res.dialog_state != DLG_TERMINATED))
				w->bad_result++;
			if (k != S_OK_INVITE)
				continue;
			/* RTP from the caller's announced port: found through
			 * shard 0 while other threads hold shards, then counted
			 * on the shard the match names. */
			sw_addr_parse(sw_str_make(c.caller, strlen(c.caller)), &a);
			if (!sip_state_media_lookup(w->s, &a, c.caller_rtp, IPPROTO_UDP, &mm) ||
			    mm.dialog_id != did || mm.shard != sip_state_shard_index(sh)) {
				w->bad_lookup++;
				continue;
			}
			struct sip_state *x = sip_state_shard(w->s, mm.shard);
			pthread_mutex_lock(sip_state_mutex(x));
			sip_state_media_packet(x, mm.dialog_id, mm.media_index, mm.is_rtcp, mm.party,
			                       160, next_ts());
			pthread_mutex_unlock(sip_state_mutex(x));
		}
	}
	return NULL;
}

struct ticker {
	pthread_t th;
	struct sip_state *s;
	unsigned loops, bad;
};

/* Timers and stats while the workers run, as the engine's timer and
 * stats paths do (holding no shard). */
static void *ticker_main(void *arg)
{
	struct ticker *t = arg;
	struct sip_state_stats prev, cur;
	memset(&prev, 0, sizeof(prev));
	while (!__atomic_load_n(&g_done, __ATOMIC_ACQUIRE)) {
		struct timespec nap = { 0, 200000 };
		sip_state_tick(t->s, T0 + __atomic_load_n(&g_clock, __ATOMIC_RELAXED));
		sip_state_stats(t->s, &cur);
		/* Each shard's counters only grow and are read one shard after
		 * the other, later each time: the sums only grow too. */
		if (cur.txns < prev.txns || cur.dialogs < prev.dialogs ||
		    cur.media_added < prev.media_added || cur.dialogs_active > cur.dialogs ||
		    cur.txns_active > cur.txns || cur.txns > (uint64_t)NT * CALLS * 3 ||
		    cur.dialogs > (uint64_t)NT * CALLS)
			t->bad++;
		prev = cur;
		t->loops++;
		nanosleep(&nap, NULL);
	}
	return NULL;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* ids[0..n) sorted are exactly 1..n: unique, none lost. */
static void assert_ids_1_to_n(uint64_t *ids, size_t n)
{
	qsort(ids, n, sizeof(ids[0]), cmp_u64);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ids[i], i + 1);
}

static void threads_run(unsigned n_shards)
{
	struct recorder r;
	struct worker w[NT];
	struct ticker t;
	struct sip_state_stats sst;
	const size_t n_calls = (size_t)NT * CALLS, n_txns = n_calls * 3;
	uint64_t *ids;
	uint8_t *seen;

	rec_init(&r, n_txns + 1, n_calls + 1);
	/* No linger: ended calls are written by the ticker's thread while the
	 * workers run. */
	struct sip_state *s = mk(&r, n_shards, 0, 0, 0);
	__atomic_store_n(&g_clock, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g_done, 0, __ATOMIC_RELAXED);
	memset(&t, 0, sizeof(t));
	t.s = s;
	assert_int_equal(pthread_create(&t.th, NULL, ticker_main, &t), 0);
	for (unsigned k = 0; k < NT; k++) {
		memset(&w[k], 0, sizeof(w[k]));
		w[k].s = s;
		w[k].k = k;
		snprintf(w[k].caller, sizeof(w[k].caller), "192.0.2.%u", 20 + k);
		assert_int_equal(pthread_create(&w[k].th, NULL, worker_main, &w[k]), 0);
	}
	for (unsigned k = 0; k < NT; k++) {
		assert_int_equal(pthread_join(w[k].th, NULL), 0);
		assert_int_equal(w[k].bad_msg, 0);
		assert_int_equal(w[k].bad_result, 0);
		assert_int_equal(w[k].bad_lookup, 0);
	}
	__atomic_store_n(&g_done, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(t.th, NULL), 0);
	assert_int_equal(t.bad, 0);
	assert_true(t.loops > 0);

	sip_state_stats(s, &sst);
	assert_int_equal(sst.txns, n_txns);
	assert_int_equal(sst.dialogs, n_calls);
	assert_int_equal(sst.dialogs_confirmed, n_calls);
	assert_int_equal(sst.acks_2xx, n_calls);
	assert_int_equal(sst.media_added, n_calls * 4);
	assert_int_equal(sst.stray_responses + sst.in_dialog_unknown, 0);
	sip_state_destroy(s);

	/* Every transaction and every call written once, ids unique. */
	assert_int_equal(r.overflow, 0);
	assert_int_equal(r.nt, n_txns);
	assert_int_equal(r.nd, n_calls);
	assert_int_equal(r.anom_txn_evicted + r.anom_dlg_evicted + r.anom_other, 0);
	ids = calloc(n_txns, sizeof(*ids));
	seen = calloc(n_calls, 1);
	assert_non_null(ids);
	assert_non_null(seen);
	for (size_t i = 0; i < r.nt; i++) {
		ids[i] = r.t[i].txn_id;
		/* A thread preempted for 32 s of the others' packet time would
		 * see its INVITE time out: unlikely, and not a fault. */
		assert_true(strcmp(r.t[i].end, "completed") == 0 ||
		            strcmp(r.t[i].end, "timeout") == 0);
	}
	assert_ids_1_to_n(ids, r.nt);
	for (size_t i = 0; i < r.nd; i++) {
		unsigned k, c;
		ids[i] = r.d[i].dialog_id;
		assert_string_equal(r.d[i].end, "bye");
		/* The one RTP packet each call's caller sent. */
		assert_int_equal(r.d[i].rtp[0], 1);
		assert_int_equal(sscanf(r.d[i].call_id, "t%u-c%u@", &k, &c), 2);
		assert_true(k < NT && c < CALLS);
		assert_int_equal(seen[k * CALLS + c], 0);
		seen[k * CALLS + c] = 1;
	}
	assert_ids_1_to_n(ids, r.nd);
	free(ids);
	free(seen);
	rec_free(&r);
}

static void test_threads_8_shards(void **st)
{
	(void)st;
	threads_run(8);
}

/* Several threads on one shard: the same guarantees, all serialised by
 * its one mutex. */
static void test_threads_1_shard(void **st)
{
	(void)st;
	threads_run(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routing_spread_and_stable),
		cmocka_unit_test(test_routing_same_records_as_one_shard),
		cmocka_unit_test(test_media_across_shards),
		cmocka_unit_test(test_caps_over_all_shards),
		cmocka_unit_test(test_stats_add_up),
		cmocka_unit_test(test_threads_8_shards),
		cmocka_unit_test(test_threads_1_shard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
