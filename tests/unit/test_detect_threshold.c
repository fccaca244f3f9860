/*
 * test_detect_threshold.c - threshold: and detection_filter:
 * (engine/detect_threshold.c).
 *
 * Rows: keyword values that parse (and what they give), values that must
 * fail (byte offset and a piece of the message), and match sequences: a
 * rule's spec and, per match, its packet time, addresses, flow and the
 * expected verdict (A alert, S silent: action without alert, - no match).
 * The expected verdicts were worked out by hand from Suricata 7's
 * ThresholdHandlePacket(). Then: the keyword setups, eviction at the cap,
 * and a long random run checked against a plain model of the semantics.
 */
#include "test_util.h"

#include "common.h"
#include "detect.h"
#include "detect_threshold.h"

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

struct parse_row {
	const char *name;
	int dfilter;
	const char *val;
	uint8_t type, track;
	uint32_t count, seconds;
};

static const struct parse_row parse_rows[] = {
	{ "parse: ET limit", 0, "type limit, track by_src, count 1, seconds 60", THR_LIMIT,
	  TRACK_SRC, 1, 60 },
	{ "parse: ET blank before comma", 0, "type both , track by_src, count 100, seconds 60",
	  THR_BOTH, TRACK_SRC, 100, 60 },
	{ "parse: ET order type,count,seconds,track", 0,
	  "type limit, count 1, seconds 10, track by_src", THR_LIMIT, TRACK_SRC, 1, 10 },
	{ "parse: threshold type", 0, "type threshold, track by_dst, count 20, seconds 15",
	  THR_THRESHOLD, TRACK_DST, 20, 15 },
	{ "parse: any order", 0, "track by_dst, type limit, seconds 60, count 10", THR_LIMIT,
	  TRACK_DST, 10, 60 },
	{ "parse: no blanks after commas", 0, "type limit,track by_dst,count 10,seconds 60",
	  THR_LIMIT, TRACK_DST, 10, 60 },
	{ "parse: blanks and tabs everywhere", 0,
	  "  type \t both ,track   by_both,\tcount 5 ,  seconds 360  ", THR_BOTH, TRACK_BOTH, 5,
	  360 },
	{ "parse: by_rule, seconds 0", 0, "type limit, track by_rule, count 1, seconds 0",
	  THR_LIMIT, TRACK_RULE, 1, 0 },
	{ "parse: by_flow, maximum values", 0,
	  "type both, track by_flow, count 4294967295, seconds 4294967295", THR_BOTH, TRACK_FLOW,
	  UINT32_MAX, UINT32_MAX },
	{ "parse: leading zeros", 0, "type limit, track by_src, count 007, seconds 010", THR_LIMIT,
	  TRACK_SRC, 7, 10 },
	{ "parse: detection_filter doc", 1, "track by_src,count 15,seconds 2",
	  THR_DETECTION_FILTER, TRACK_SRC, 15, 2 },
	{ "parse: detection_filter any order", 1, "seconds 60, count 10, track by_flow",
	  THR_DETECTION_FILTER, TRACK_FLOW, 10, 60 },
	{ "parse: detection_filter by_rule", 1, "track by_rule, count 1, seconds 1",
	  THR_DETECTION_FILTER, TRACK_RULE, 1, 1 },
	{ "parse: detection_filter by_both", 1, " track by_both , count 3 , seconds 9 ",
	  THR_DETECTION_FILTER, TRACK_BOTH, 3, 9 },
};

static void run_parse(void **state)
{
	const struct parse_row *r = *state;
	struct guard_buf g;
	const char *s = guard_copy(&g, r->val, strlen(r->val));
	struct thr_spec sp;
	struct rule_err e;
	memset(&e, 0, sizeof(e));
	if (thr_spec_parse(s, (uint32_t)strlen(r->val), r->dfilter, &sp, &e) != 0)
		fail_msg("'%s': error at %u: %s", r->val, e.off, e.msg);
	assert_int_equal(sp.type, r->type);
	assert_int_equal(sp.track, r->track);
	assert_int_equal(sp.count, r->count);
	assert_int_equal(sp.seconds, r->seconds);
	guard_free(&g);
}

struct perr_row {
	const char *name;
	int dfilter;
	const char *val;
	uint32_t off;
	const char *msg;
};

static const struct perr_row perr_rows[] = {
	{ "perr: empty", 0, "", 0, "needs a value" },
	{ "perr: blanks only", 1, "   ", 0, "needs a value" },
	{ "perr: unknown type", 0, "type any, track by_dst, count 10, seconds 60", 5,
	  "unknown threshold type 'any'" },
	{ "perr: backoff", 0, "type backoff, track by_flow, count 1, multiplier 10", 5,
	  "type backoff is not supported" },
	{ "perr: multiplier", 0, "type limit, track by_flow, count 1, multiplier 10", 36,
	  "'multiplier'" },
	{ "perr: option twice", 0, "count 10, track by_dst, seconds 60, type both, count 10", 47,
	  "'count' given twice" },
	{ "perr: seconds missing", 0, "type limit, track by_dst, count 10", 34, "missing 'seconds'" },
	{ "perr: type missing", 0, "track by_dst, count 10, seconds 1", 33, "missing 'type'" },
	{ "perr: count not a number", 0, "type limit, track by_src, count x, seconds 60", 32,
	  "needs a number" },
	{ "perr: negative count", 0, "type limit, track by_src, count -1, seconds 60", 32,
	  "needs a number" },
	{ "perr: count too big", 0, "type limit, track by_src, count 4294967296, seconds 60", 32,
	  "needs a number" },
	{ "perr: count 0", 0, "type limit, track by_src, count 0, seconds 60", 32,
	  "count must be at least 1" },
	{ "perr: seconds with unit", 0, "type limit, track by_src, count 1, seconds 60s", 43,
	  "needs a number" },
	{ "perr: track both (no by_)", 0, "type limit, track both, count 1, seconds 60", 18,
	  "unknown track 'both'" },
	{ "perr: empty option", 0, "type limit,, track by_src", 11, "empty option" },
	{ "perr: trailing comma", 0, "type limit, track by_src, count 1, seconds 60,", 46,
	  "nothing after ','" },
	{ "perr: missing comma", 0, "type limit track by_src", 11, "expected ',' after 'type limit'" },
	{ "perr: colon instead of blank", 0, "type:limit, track by_src", 4, "expected a blank" },
	{ "perr: value missing before comma", 0, "type , track by_src", 5, "missing value for 'type'" },
	{ "perr: value missing at end", 0, "type", 4, "missing value for 'type'" },
	{ "perr: keys are lowercase", 0, "Type limit, track by_src, count 1, seconds 1", 0,
	  "unexpected 'T'" },
	{ "perr: values are lowercase", 0, "type LIMIT, track by_src, count 1, seconds 1", 5,
	  "unknown threshold type 'LIMIT'" },
	{ "perr: unknown option", 0, "foo 1, type limit", 0, "unknown threshold option 'foo'" },
	{ "perr: junk after the last value", 0, "type limit, track by_src, count 1, seconds 60 x",
	  46, "expected ','" },
	{ "perr: quoted value", 0, "\"type limit, track by_src, count 1, seconds 60\"", 0,
	  "unexpected '\"'" },
	{ "perr: dfilter with type", 1, "type limit, track by_src, count 1, seconds 1", 0,
	  "has no 'type'" },
	{ "perr: dfilter track both", 1, "track both,count 10,seconds 60", 6, "unknown track 'both'" },
	{ "perr: dfilter count twice", 1, "count 10, track by_dst, seconds 60, count 10", 36,
	  "'count' given twice" },
	{ "perr: dfilter seconds 0", 1, "count 10, track by_dst, seconds 0", 32,
	  "seconds must be at least 1" },
	{ "perr: dfilter count 0", 1, "count 0, track by_dst, seconds 5", 6,
	  "count must be at least 1" },
	{ "perr: dfilter unique_on", 1, "track by_dst, count 10, seconds 60, unique_on dst_port", 36,
	  "'unique_on' is not supported" },
	{ "perr: dfilter seconds missing", 1, "track by_dst, count 10", 22, "missing 'seconds'" },
	{ "perr: dfilter unknown option", 1, "track by_dst, count 1, seconds 1, limit 3", 34,
	  "unknown detection_filter option 'limit'" },
};

static void run_perr(void **state)
{
	const struct perr_row *r = *state;
	struct guard_buf g;
	const char *s = guard_copy(&g, r->val, strlen(r->val));
	struct thr_spec sp;
	struct rule_err e;
	memset(&e, 0, sizeof(e));
	assert_int_equal(thr_spec_parse(s, (uint32_t)strlen(r->val), r->dfilter, &sp, &e), -1);
	if (e.off != r->off || !strstr(e.msg, r->msg))
		fail_msg("'%s': got off %u \"%s\", want off %u containing \"%s\"", r->val, e.off, e.msg,
		         r->off, r->msg);
	assert_int_equal(sp.type, THR_NONE);
	guard_free(&g);
}

/* ------------------------------------------------------------------ */
/* Match sequences                                                     */

struct ev {
	uint64_t t_ms;   /* packet time, milliseconds (microseconds when us is set) */
	const char *src, *dst;
	uint64_t flow;
	char want;       /* 'A' alert, 'S' silent, '-' no match */
	int us;          /* t_ms is in microseconds */
};

#define MAX_EV 16

struct seq_row {
	const char *name;
	int dfilter;
	const char *spec; /* keyword value */
	struct ev ev[MAX_EV];
};

#define S1 "10.0.0.1"
#define S2 "10.0.0.2"
#define S3 "10.0.0.3"
#define D1 "192.168.1.1"
#define D2 "192.168.1.2"
#define E(t, s, d, w) { (t), s, d, 1, w, 0 }
#define EF(t, f, w) { (t), S1, D1, f, w, 0 }
#define EU(t, w) { (t), S1, D1, 1, w, 1 }

static const struct seq_row seq_rows[] = {
	{ "limit 2/10s: 2 alerts, silent to the inclusive end, new window",
	  0,
	  "type limit, track by_src, count 2, seconds 10",
	  { E(0, S1, D1, 'A'), E(1000, S1, D1, 'A'), E(2000, S1, D1, 'S'), E(9000, S1, D1, 'S'),
	    E(10000, S1, D1, 'S'), E(10001, S1, D1, 'A'), E(11000, S1, D1, 'A'),
	    E(12000, S1, D1, 'S') } },
	{ "limit 1/60s by_src: sources counted apart",
	  0,
	  "type limit, track by_src, count 1, seconds 60",
	  { E(0, S1, D1, 'A'), E(1000, S2, D1, 'A'), E(2000, S1, D1, 'S'), E(3000, S2, D1, 'S'),
	    E(61000, S1, D1, 'A'), E(61000, S2, D1, 'S'), E(62000, S2, D1, 'A') } },
	{ "limit 1/10s: a packet older than the window start is inside it",
	  0,
	  "type limit, track by_src, count 1, seconds 10",
	  { E(100000, S1, D1, 'A'), E(50000, S1, D1, 'S'), E(110000, S1, D1, 'S'),
	    E(110001, S1, D1, 'A') } },
	{ "threshold 3/10s: every 3rd match, count restarts in the window",
	  0,
	  "type threshold, track by_dst, count 3, seconds 10",
	  { E(0, S1, D1, '-'), E(1000, S2, D1, '-'), E(2000, S3, D1, 'A'), E(3000, S1, D1, '-'),
	    E(4000, S1, D1, '-'), E(5000, S1, D1, 'A'), E(6000, S1, D1, '-'),
	    E(11000, S1, D1, '-'), E(12000, S1, D1, '-'), E(13000, S1, D1, 'A') } },
	{ "threshold 1: every match alerts",
	  0,
	  "type threshold, track by_src, count 1, seconds 10",
	  { E(0, S1, D1, 'A'), E(0, S1, D1, 'A'), E(100000, S1, D1, 'A') } },
	{ "threshold 2/5s: window ends before the 2nd match",
	  0,
	  "type threshold, track by_src, count 2, seconds 5",
	  { E(0, S1, D1, '-'), E(6000, S1, D1, '-'), E(7000, S1, D1, 'A'), E(8000, S1, D1, '-') } },
	{ "both 3/10s: one alert at the 3rd, silent after, new window",
	  0,
	  "type both, track by_src, count 3, seconds 10",
	  { E(0, S1, D1, '-'), E(1000, S1, D1, '-'), E(2000, S1, D1, 'A'), E(3000, S1, D1, 'S'),
	    E(9000, S1, D1, 'S'), E(10000, S1, D1, 'S'), E(11000, S1, D1, '-'),
	    E(12000, S1, D1, '-'), E(13000, S1, D1, 'A'), E(14000, S1, D1, 'S') } },
	{ "both 1/10s: first of each window alerts",
	  0,
	  "type both, track by_src, count 1, seconds 10",
	  { E(0, S1, D1, 'A'), E(1000, S1, D1, 'S'), E(5000, S1, D1, 'S'), E(11000, S1, D1, 'A'),
	    E(12000, S1, D1, 'S') } },
	{ "detection_filter 3/10s: every match after the 3rd, window rollover",
	  1,
	  "track by_src, count 3, seconds 10",
	  { E(0, S1, D1, '-'), E(1000, S1, D1, '-'), E(2000, S1, D1, '-'), E(3000, S1, D1, 'A'),
	    E(4000, S1, D1, 'A'), E(10000, S1, D1, 'A'), E(11000, S1, D1, '-'),
	    E(12000, S1, D1, '-'), E(13000, S1, D1, '-'), E(14000, S1, D1, 'A') } },
	{ "detection_filter 1/1s: microsecond window edge",
	  1,
	  "track by_src, count 1, seconds 1",
	  { EU(0, '-'), EU(500000, 'A'), EU(1000000, 'A'), EU(1000001, '-'), EU(1200000, 'A') } },
	{ "by_dst: sources share the destination's counter",
	  0,
	  "type limit, track by_dst, count 1, seconds 60",
	  { E(0, S1, D1, 'A'), E(1, S2, D1, 'S'), E(2, S1, D2, 'A'), E(3, S3, D2, 'S') } },
	{ "by_both: the pair is unordered",
	  0,
	  "type limit, track by_both, count 1, seconds 60",
	  { E(0, S1, S2, 'A'), E(1, S2, S1, 'S'), E(2, S1, S3, 'A'), E(3, S3, S1, 'S'),
	    E(4, S2, S3, 'A') } },
	{ "by_rule: one counter whatever the addresses",
	  0,
	  "type limit, track by_rule, count 2, seconds 60",
	  { E(0, S1, D1, 'A'), E(1, S2, D2, 'A'), E(2, S3, D1, 'S') } },
	{ "by_flow: per flow, no flow no match",
	  0,
	  "type limit, track by_flow, count 1, seconds 60",
	  { EF(0, 7, 'A'), EF(1, 7, 'S'), EF(2, 8, 'A'), EF(3, 0, '-'), EF(4, 8, 'S') } },
	{ "by_src: IPv4 and IPv6 with equal leading bytes are distinct",
	  0,
	  "type limit, track by_src, count 1, seconds 60",
	  { E(0, "10.0.0.1", D1, 'A'), E(1, "a00:1::", D1, 'A'), E(2, "10.0.0.1", D1, 'S'),
	    E(3, "a00:1::", D1, 'S') } },
	{ "detection_filter by_flow 2/5s",
	  1,
	  "track by_flow, count 2, seconds 5",
	  { EF(0, 1, '-'), EF(1, 2, '-'), EF(2, 1, '-'), EF(3, 2, '-'), EF(4, 1, 'A'), EF(5, 2, 'A'),
	    EF(6, 0, '-') } },
};

static sw_addr addr(const char *s)
{
	sw_addr a;
	assert_int_equal(sw_addr_parse(sw_str_make(s, strlen(s)), &a), 0);
	return a;
}

static char verdict(int rc)
{
	return rc == THR_ALERT ? 'A' : rc == THR_SILENT ? 'S' : rc == THR_NOMATCH ? '-' : '?';
}

static void run_seq(void **state)
{
	const struct seq_row *r = *state;
	struct thr_table *t = thr_table_create(64);
	struct rule ru;
	struct rule_err e;
	char got[MAX_EV + 1], want[MAX_EV + 1];
	int n = 0;
	assert_non_null(t);
	memset(&ru, 0, sizeof(ru));
	ru.gid = 1;
	ru.sid = 1000;
	if (thr_spec_parse(r->spec, (uint32_t)strlen(r->spec), r->dfilter,
	                   r->dfilter ? &ru.dfilter : &ru.thr, &e) != 0)
		fail_msg("%s: %s", r->spec, e.msg);
	for (; n < MAX_EV && r->ev[n].src; n++) {
		const struct ev *v = &r->ev[n];
		sw_addr s = addr(v->src), d = addr(v->dst);
		sw_time now = v->us ? v->t_ms : v->t_ms * 1000;
		got[n] = verdict(thr_check(t, &ru, &s, &d, v->flow, now));
		want[n] = v->want;
	}
	got[n] = want[n] = '\0';
	assert_string_equal(got, want);
	thr_table_free(t);
}

/* Rules without threshold always alert; separate rules count apart. */
static void test_rules_apart(void **state)
{
	struct thr_table *t = thr_table_create(16);
	struct rule a, b, plain;
	struct rule_err e;
	sw_addr s = addr(S1), d = addr(D1);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&plain, 0, sizeof(plain));
	a.gid = b.gid = plain.gid = 1;
	a.sid = 1;
	b.sid = 2;
	plain.sid = 3;
	static const char v[] = "type limit, track by_src, count 1, seconds 60";
	assert_int_equal(thr_spec_parse(v, sizeof(v) - 1, 0, &a.thr, &e), 0);
	b.thr = a.thr;
	assert_int_equal(thr_check(t, &a, &s, &d, 1, 0), THR_ALERT);
	assert_int_equal(thr_check(t, &b, &s, &d, 1, 0), THR_ALERT);
	assert_int_equal(thr_check(t, &a, &s, &d, 1, 1), THR_SILENT);
	/* same sid, other gid: another rule */
	b.sid = 1;
	b.gid = 2;
	assert_int_equal(thr_check(t, &b, &s, &d, 1, 2), THR_ALERT);
	for (int i = 0; i < 5; i++)
		assert_int_equal(thr_check(t, &plain, &s, &d, 1, (sw_time)i), THR_ALERT);
	/* NULL addresses are the empty address */
	assert_int_equal(thr_check(t, &a, NULL, NULL, 0, 3), THR_ALERT);
	assert_int_equal(thr_check(t, &a, NULL, NULL, 0, 4), THR_SILENT);
	thr_table_free(t);
}

/* ------------------------------------------------------------------ */
/* Keyword setups                                                      */

static void test_setup(void **state)
{
	const struct det_kw *kt, *kd;
	struct rule r;
	struct rule_err e;
	int it, id;
	static const char v1[] = "type both, track by_src, count 5, seconds 360";
	static const char v2[] = "track by_dst, count 2, seconds 1";

	detect_threshold_register();
	it = detect_kw_find("threshold", 9);
	id = detect_kw_find("detection_filter", 16);
	assert_true(it >= 0 && id >= 0);
	kt = detect_kw_get((unsigned)it);
	kd = detect_kw_get((unsigned)id);
	assert_int_equal(kt->flags, KW_META | KW_VALUE);
	assert_int_equal(kd->flags, KW_META | KW_VALUE);
	assert_non_null(kt->help);

	memset(&r, 0, sizeof(r));
	assert_int_equal(kt->setup(&r, v1, sizeof(v1) - 1, &e), 0);
	assert_int_equal(r.thr.type, THR_BOTH);
	assert_int_equal(r.thr.count, 5);
	assert_int_equal(r.thr.seconds, 360);
	assert_int_equal(kt->setup(&r, v1, sizeof(v1) - 1, &e), -1);
	assert_non_null(strstr(e.msg, "threshold given twice"));
	assert_int_equal(kd->setup(&r, v2, sizeof(v2) - 1, &e), -1);
	assert_non_null(strstr(e.msg, "not allowed in the same rule"));
	assert_int_equal(r.dfilter.type, THR_NONE);

	memset(&r, 0, sizeof(r));
	assert_int_equal(kd->setup(&r, v2, sizeof(v2) - 1, &e), 0);
	assert_int_equal(r.dfilter.type, THR_DETECTION_FILTER);
	assert_int_equal(r.dfilter.track, TRACK_DST);
	assert_int_equal(kd->setup(&r, v2, sizeof(v2) - 1, &e), -1);
	assert_non_null(strstr(e.msg, "detection_filter given twice"));
	assert_int_equal(kt->setup(&r, v1, sizeof(v1) - 1, &e), -1);
	assert_non_null(strstr(e.msg, "not allowed in the same rule"));
	assert_int_equal(r.thr.type, THR_NONE);

	/* a bad value leaves the rule untouched, offset inside the value */
	memset(&r, 0, sizeof(r));
	assert_int_equal(kt->setup(&r, "type limit, track by_ip", 23, &e), -1);
	assert_int_equal(e.off, 18);
	assert_int_equal(r.thr.type, THR_NONE);
	assert_int_equal(kt->setup(&r, NULL, 0, &e), -1);

	/* registering twice does not add the names twice */
	detect_threshold_register();
	assert_int_equal(detect_kw_find("threshold", 9), it);
}

/* ------------------------------------------------------------------ */
/* The table                                                           */

static struct rule limit_rule(uint32_t count, uint32_t seconds)
{
	struct rule r;
	memset(&r, 0, sizeof(r));
	r.gid = 1;
	r.sid = 42;
	r.thr.type = THR_LIMIT;
	r.thr.track = TRACK_SRC;
	r.thr.count = count;
	r.thr.seconds = seconds;
	return r;
}

static sw_addr src_n(unsigned n)
{
	sw_addr a = { 4, { 10, 1, (uint8_t)(n >> 8), (uint8_t)n } };
	return a;
}

static void test_eviction(void **state)
{
	struct thr_table *t = thr_table_create(4);
	struct rule r = limit_rule(1, 60);
	struct thr_stats st;
	sw_addr d = addr(D1);
	assert_non_null(t);
	for (unsigned i = 1; i <= 4; i++) {
		sw_addr s = src_n(i);
		assert_int_equal(thr_check(t, &r, &s, &d, 0, i), THR_ALERT);
	}
	thr_table_stats(t, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.capacity, 4);
	assert_int_equal(st.evictions, 0);
	/* touch 1: now 2 is the least recently used */
	{
		sw_addr s = src_n(1);
		assert_int_equal(thr_check(t, &r, &s, &d, 0, 10), THR_SILENT);
	}
	{
		sw_addr s = src_n(5);
		assert_int_equal(thr_check(t, &r, &s, &d, 0, 11), THR_ALERT);
	}
	thr_table_stats(t, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evictions, 1);
	/* 2 was evicted: it alerts again (a fresh counter); 1 was kept */
	{
		sw_addr s2 = src_n(2), s1 = src_n(1), s3, s4;
		assert_int_equal(thr_check(t, &r, &s2, &d, 0, 12), THR_ALERT); /* evicts 3 */
		assert_int_equal(thr_check(t, &r, &s1, &d, 0, 13), THR_SILENT);
		s3 = src_n(3);
		s4 = src_n(4);
		assert_int_equal(thr_check(t, &r, &s4, &d, 0, 14), THR_SILENT);
		assert_int_equal(thr_check(t, &r, &s3, &d, 0, 15), THR_ALERT); /* evicts 5 */
	}
	thr_table_stats(t, &st);
	assert_int_equal(st.evictions, 3);
	assert_int_equal(st.expired, 0);
	thr_table_free(t);
}

static void test_expired_reuse(void **state)
{
	struct thr_table *t = thr_table_create(2);
	struct rule r = limit_rule(1, 1);
	struct thr_stats st;
	sw_addr d = addr(D1), s1 = src_n(1), s2 = src_n(2), s3 = src_n(3);
	assert_int_equal(thr_check(t, &r, &s1, &d, 0, 0), THR_ALERT);
	assert_int_equal(thr_check(t, &r, &s2, &d, 0, 0), THR_ALERT);
	/* 5 s later both windows are over: reusing one is not an eviction */
	assert_int_equal(thr_check(t, &r, &s3, &d, 0, 5 * SW_USEC_PER_SEC), THR_ALERT);
	thr_table_stats(t, &st);
	assert_int_equal(st.evictions, 0);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.entries, 2);
	thr_table_free(t);
}

static void test_create_limits(void **state)
{
	struct thr_stats st;
	struct thr_table *t;
	assert_null(thr_table_create(0));
	assert_null(thr_table_create((1u << 30) + 1));
	thr_table_free(NULL);
	thr_table_stats(NULL, &st);
	assert_int_equal(st.entries, 0);
	t = thr_table_create(1);
	assert_non_null(t);
	{
		struct rule r = limit_rule(1, 60);
		sw_addr d = addr(D1), s1 = src_n(1), s2 = src_n(2);
		/* a table of one: two keys keep evicting each other */
		for (int i = 0; i < 10; i++) {
			assert_int_equal(thr_check(t, &r, &s1, &d, 0, (sw_time)i), THR_ALERT);
			assert_int_equal(thr_check(t, &r, &s2, &d, 0, (sw_time)i), THR_ALERT);
		}
		thr_table_stats(t, &st);
		assert_int_equal(st.entries, 1);
		assert_int_equal(st.evictions, 19);
	}
	thr_table_free(t);
}

/* A plain model of the semantics: one record per key, no cap. */
struct model_ent {
	int used;
	unsigned key;
	sw_time tv1;
	uint32_t count;
};

static int model_check(struct model_ent *m, unsigned nkeys, const struct thr_spec *sp,
                       unsigned key, sw_time now)
{
	struct model_ent *x = &m[key % nkeys];
	uint64_t span = (uint64_t)sp->seconds * SW_USEC_PER_SEC;
	if (!x->used) {
		if (sp->type == THR_THRESHOLD && sp->count == 1)
			return THR_ALERT;
		x->used = 1;
		x->tv1 = now;
		x->count = 1;
		if (sp->type == THR_LIMIT)
			return THR_ALERT;
		if (sp->type == THR_BOTH && sp->count == 1)
			return THR_ALERT;
		return THR_NOMATCH;
	}
	if (now > x->tv1 + span) {
		x->tv1 = now;
		x->count = 1;
		if (sp->type == THR_LIMIT || (sp->type == THR_BOTH && sp->count == 1))
			return THR_ALERT;
		return THR_NOMATCH;
	}
	x->count++;
	switch (sp->type) {
	case THR_LIMIT:
		return x->count <= sp->count ? THR_ALERT : THR_SILENT;
	case THR_THRESHOLD:
		if (x->count >= sp->count) {
			x->count = 0;
			return THR_ALERT;
		}
		return THR_NOMATCH;
	case THR_BOTH:
		return x->count == sp->count ? THR_ALERT
		                             : x->count > sp->count ? THR_SILENT : THR_NOMATCH;
	default:
		return x->count > sp->count ? THR_ALERT : THR_NOMATCH;
	}
}

static void test_random_vs_model(void **state)
{
	enum { NKEYS = 300, STEPS = 200000 };
	static const uint8_t types[] = { THR_LIMIT, THR_THRESHOLD, THR_BOTH, THR_DETECTION_FILTER };
	uint64_t x = 0x2545f4914f6cdd1dULL;
	for (size_t ti = 0; ti < SW_ARRAY_SIZE(types); ti++) {
		/* the table is big enough: no eviction, so it must equal the model */
		struct thr_table *t = thr_table_create(NKEYS);
		struct model_ent *m = calloc(NKEYS, sizeof(*m));
		struct rule r;
		struct thr_stats st;
		sw_time now = 1000 * SW_USEC_PER_SEC;
		sw_addr d = addr(D1);
		assert_non_null(t);
		assert_non_null(m);
		memset(&r, 0, sizeof(r));
		r.sid = 7;
		{
			struct thr_spec sp = { types[ti], TRACK_SRC, (uint32_t)(1 + ti), 3 };
			if (types[ti] == THR_DETECTION_FILTER)
				r.dfilter = sp;
			else
				r.thr = sp;
		}
		for (int i = 0; i < STEPS; i++) {
			unsigned key;
			sw_addr s;
			int got, want;
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			key = (unsigned)(x % NKEYS);
			now += (x >> 20) % 50000; /* up to 50 ms between matches */
			if ((x >> 40) % 1000 == 0)
				now += 5 * SW_USEC_PER_SEC;
			s = src_n(key);
			got = thr_check(t, &r, &s, &d, 0, now);
			want = model_check(m, NKEYS,
			                   types[ti] == THR_DETECTION_FILTER ? &r.dfilter : &r.thr, key,
			                   now);
			if (got != want)
				fail_msg("type %u step %d key %u: got %d want %d", types[ti], i, key, got,
				         want);
		}
		thr_table_stats(t, &st);
		assert_int_equal(st.evictions, 0);
		assert_true(st.entries <= NKEYS);
		thr_table_free(t);
		free(m);
	}
}

/* A small table under churn: structure stays sound (ASan, counts). */
static void test_churn(void **state)
{
	struct thr_table *t = thr_table_create(97);
	struct rule r = limit_rule(3, 2);
	struct thr_stats st;
	sw_addr d = addr(D1);
	uint64_t x = 88172645463325252ULL, alerts = 0;
	for (int i = 0; i < 300000; i++) {
		sw_addr s;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		s = src_n((unsigned)(x % 1000));
		alerts += thr_check(t, &r, &s, &d, 0, (sw_time)i * 100) == THR_ALERT;
	}
	thr_table_stats(t, &st);
	assert_int_equal(st.entries, 97);
	assert_true(st.evictions + st.expired > 0);
	assert_true(alerts > 0);
	thr_table_free(t);
}

#define NAMED(n, f) { n, f, NULL, NULL, NULL }

int main(void)
{
	static const struct CMUnitTest extra[] = {
		NAMED("rules count apart; no threshold always alerts", test_rules_apart),
		NAMED("keyword setups: register, once per rule, not both", test_setup),
		NAMED("table: LRU eviction at the cap, counted", test_eviction),
		NAMED("table: reusing an ended window is not an eviction", test_expired_reuse),
		NAMED("table: create limits, table of one", test_create_limits),
		NAMED("table: 800k random matches equal a plain model", test_random_vs_model),
		NAMED("table: 300k matches churning a 97-entry table", test_churn),
	};
	size_t np = SW_ARRAY_SIZE(parse_rows), ne = SW_ARRAY_SIZE(perr_rows),
	       ns = SW_ARRAY_SIZE(seq_rows);
	size_t n = np + ne + ns + SW_ARRAY_SIZE(extra), k = 0;
	struct CMUnitTest *t = calloc(n, sizeof(*t));
	int rc;

	assert_non_null(t);
	for (size_t i = 0; i < np; i++, k++) {
		t[k].name = parse_rows[i].name;
		t[k].test_func = run_parse;
		t[k].initial_state = (void *)&parse_rows[i];
	}
	for (size_t i = 0; i < ne; i++, k++) {
		t[k].name = perr_rows[i].name;
		t[k].test_func = run_perr;
		t[k].initial_state = (void *)&perr_rows[i];
	}
	for (size_t i = 0; i < ns; i++, k++) {
		t[k].name = seq_rows[i].name;
		t[k].test_func = run_seq;
		t[k].initial_state = (void *)&seq_rows[i];
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(extra); i++, k++)
		t[k] = extra[i];
	rc = _cmocka_run_group_tests("detect_threshold", t, n, NULL, NULL);
	free(t);
	return rc;
}
