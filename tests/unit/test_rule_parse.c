/*
 * test_rule_parse.c - the rule file parser (engine/rule_parse.c) and the
 * generic keywords (meta, flow, dsize, SIP buffers, transforms).
 *
 * Rows: a rule text and either what it compiles to (sid, action, number of
 * buffers...) or the error it must give, with the byte offset the error
 * points at (counted by hand in the row). File-level rows check
 * FILE:LINE:COLUMN across continuation lines, that one bad rule does not
 * hide the next one's error, duplicates and the rule cap.
 */
#include "test_util.h"

#include "config.h"
#include "detect.h"
#include "rule_parse.h"

static struct sw_config cfg;
static struct rule_load_ctx ctx;

static int setup_all(void **state)
{
	(void)state;
	config_defaults(&cfg);
	detect_kw_setup();
	memset(&ctx, 0, sizeof(ctx));
	ctx.addr_vars = cfg.vars.address_groups;
	ctx.n_addr_vars = cfg.vars.n_address_groups;
	ctx.port_vars = cfg.vars.port_groups;
	ctx.n_port_vars = cfg.vars.n_port_groups;
	return 0;
}

static int teardown_all(void **state)
{
	(void)state;
	config_free(&cfg);
	return 0;
}

/* ------------------------------------------------------------------ */

struct ok_row {
	const char *name;
	const char *text;
	uint32_t sid, gid, rev;
	uint8_t action, proto, bidir;
	uint8_t n_bufs;    /* payload buffers, incl. pkt_data */
	uint8_t n_match;   /* non-payload conditions */
	const char *msg;
	const char *buf0;  /* name of the first buffer, NULL to skip */
};

static const struct ok_row ok_rows[] = {
	{ "minimal", "alert ip any any -> any any (sid:1;)", 1, 1, 0, RA_ALERT, RP_IP, 0, 0, 0, NULL,
	  NULL },
	{ "suricata sip.method", "alert sip any any -> any any (msg:\"m\"; sip.method; content:\"INVITE\"; sid:7; rev:2;)",
	  7, 1, 2, RA_ALERT, RP_SIP, 0, 1, 0, "m", "sip.method" },
	{ "msg escapes", "alert udp any any -> any any (msg:\"a\\;b \\\"q\\\" c\\\\\"; sid:2;)", 2, 1, 0,
	  RA_ALERT, RP_UDP, 0, 0, 0, "a;b \"q\" c\\", NULL },
	{ "drop, bidirectional, gid", "drop tcp $EXTERNAL_NET any <> $HOME_NET 5060 (gid:3; sid:9;)", 9,
	  3, 0, RA_DROP, RP_TCP, 1, 0, 0, NULL, NULL },
	{ "reject and pass", "reject udp any any -> any $SIP_PORTS (sid:10;)", 10, 1, 0, RA_REJECT,
	  RP_UDP, 0, 0, 0, NULL, NULL },
	{ "flow and dsize are conditions", "alert udp any any -> any any (flow:to_server,established; dsize:>1000; sid:11;)",
	  11, 1, 0, RA_ALERT, RP_UDP, 0, 0, 2, NULL, NULL },
	{ "two buffers, one reused", "alert sip any any -> any any (sip.from; content:\"a\"; sip.to; content:\"b\"; sip.from; content:\"c\"; sid:12;)",
	  12, 1, 0, RA_ALERT, RP_SIP, 0, 2, 0, NULL, "sip.from" },
	{ "content without buffer: packet payload", "alert udp any any -> any 5060 (content:\"INVITE\"; depth:6; sid:13;)",
	  13, 1, 0, RA_ALERT, RP_UDP, 0, 1, 0, NULL, "pkt_data" },
	{ "sip.header:<name> lower-cased", "alert sip any any -> any any (sip.header:X-Evil; content:\"1\"; sid:14;)",
	  14, 1, 0, RA_ALERT, RP_SIP, 0, 1, 0, NULL, "sip.header:x-evil" },
	{ "frame keyword", "alert sip any any -> any any (frame:sip.request.body; content:\"v=0\"; startswith; sid:15;)",
	  15, 1, 0, RA_ALERT, RP_SIP, 0, 1, 0, NULL, "frame:request.body" },
	{ "snort 3 sip keywords", "alert udp any any -> any any (sip_method:invite,cancel; sip_stat_code:4; sip_header; content:\"x\"; sid:16;)",
	  16, 1, 0, RA_ALERT, RP_UDP, 0, 1, 2, NULL, "sip.headers" },
	{ "transform after sticky buffer", "alert sip any any -> any any (sip.user_agent; to_lowercase; content:\"friendly\"; sid:17;)",
	  17, 1, 0, RA_ALERT, RP_SIP, 0, 1, 0, NULL, "sip.user_agent" },
	{ "http rule loads inactive", "alert http any any -> any 80 (uricontent:\"/g\"; sid:18;)", 18, 1,
	  0, RA_ALERT, RP_INACTIVE, 0, 1, 0, NULL, NULL },
	{ "blank around everything", "  alert   sip  any any  ->  any any  (  sid : 19 ;  msg : \"x\" ; )  ",
	  19, 1, 0, RA_ALERT, RP_SIP, 0, 0, 0, "x", NULL },
	{ "references and metadata", "alert sip any any -> any any (reference:cve,2006-0189; reference:url,example.com/a; metadata:created_at 2010_07_30, updated_at 2019; sid:20;)",
	  20, 1, 0, RA_ALERT, RP_SIP, 0, 0, 0, NULL, NULL },
	{ "address list and negation", "alert udp [192.0.2.0/24,!192.0.2.5] any -> [2001:db8::/32,198.51.100.1] [5060:5070,!5065] (sid:21;)",
	  21, 1, 0, RA_ALERT, RP_UDP, 0, 0, 0, NULL, NULL },
};

static void test_ok_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ok_rows) / sizeof(ok_rows[0]); i++) {
		const struct ok_row *w = &ok_rows[i];
		struct rule_err e;
		struct rule *r = rule_parse(w->text, &ctx, &e);
		if (!r)
			fail_msg("%s: rejected: %s (at %u)", w->name, e.msg, e.off);
		if (r->sid != w->sid || r->gid != w->gid || r->rev != w->rev || r->action != w->action ||
		    r->proto != w->proto || r->bidir != w->bidir || r->n_bufs != w->n_bufs ||
		    r->match.n != w->n_match)
			fail_msg("%s: sid %u gid %u rev %u action %u proto %u bidir %u bufs %u match %u",
			         w->name, r->sid, r->gid, r->rev, r->action, r->proto, r->bidir, r->n_bufs,
			         r->match.n);
		if (w->msg && (!r->msg || strcmp(r->msg, w->msg) != 0))
			fail_msg("%s: msg [%s]", w->name, r->msg ? r->msg : "(null)");
		if (w->buf0 && strcmp(detect_buf_name(r->bufs[0].buf_id), w->buf0) != 0)
			fail_msg("%s: first buffer %s", w->name, detect_buf_name(r->bufs[0].buf_id));
		rule_free(r);
	}
}

static void test_meta_values(void **state)
{
	struct rule_err e;
	struct rule *r;
	(void)state;
	r = rule_parse("alert sip any any -> any any (reference:cve,2006-0189; "
	               "metadata:created_at 2010_07_30, updated_at 2019; priority:2; sid:5;)",
	               &ctx, &e);
	assert_non_null(r);
	assert_int_equal(r->n_refs, 1);
	assert_string_equal(r->refs[0].type, "cve");
	assert_string_equal(r->refs[0].value, "2006-0189");
	assert_int_equal(r->n_metadata, 2);
	assert_string_equal(r->metadata[0], "created_at 2010_07_30");
	assert_string_equal(r->metadata[1], "updated_at 2019");
	assert_int_equal(r->priority, 2);
	rule_free(r);
	/* comments and blank lines are not rules and not errors */
	assert_null(rule_parse("# alert ip any any -> any any (sid:1;)", &ctx, &e));
	assert_string_equal(e.msg, "");
	assert_null(rule_parse("   ", &ctx, &e));
	assert_string_equal(e.msg, "");
}

/* ------------------------------------------------------------------ */

struct err_row {
	const char *name;
	const char *text;
	uint32_t off;        /* byte the error points at */
	const char *needle;  /* substring of the message */
};

static const struct err_row err_rows[] = {
	{ "unknown action", "alarm ip any any -> any any (sid:1;)", 0, "unknown action" },
	{ "unknown protocol", "alert sctpx any any -> any any (sid:1;)", 6, "unknown protocol" },
	{ "bad direction", "alert ip any any <- any any (sid:1;)", 17, "expected '->'" },
	{ "missing options", "alert ip any any -> any any", 27, "expected '('" },
	{ "unclosed options", "alert ip any any -> any any (sid:1;", 35, "not closed" },
	{ "text after )", "alert ip any any -> any any (sid:1;) x", 37, "after the closing" },
	{ "unknown keyword", "alert ip any any -> any any (sid:1; bogus:3;)", 36, "unknown keyword 'bogus'" },
	{ "no sid", "alert ip any any -> any any (msg:\"x\";)", 37, "no sid" },
	{ "sid zero", "alert ip any any -> any any (sid:0;)", 33, "sid" },
	{ "sid not a number", "alert ip any any -> any any (sid:12a;)", 33, "expected a number" },
	{ "value not terminated", "alert ip any any -> any any (sid:1; msg:\"x\")", 40, "not terminated" },
	{ "novalue keyword given a value", "alert sip any any -> any any (sip.method:x; content:\"a\"; sid:1;)",
	  41, "takes no value" },
	{ "value keyword without value", "alert sip any any -> any any (sid; )", 30, "needs a value" },
	{ "sticky buffer with nothing after", "alert sip any any -> any any (sip.method; sid:1;)", 48,
	  "followed by no content" },
	{ "bad source address", "alert ip 1.2.3.400 any -> any any (sid:1;)", 9, "source address" },
	{ "unknown variable", "alert ip $NOPE any -> any any (sid:1;)", 9, "NOPE" },
	{ "bad port", "alert ip any 70000 -> any any (sid:1;)", 13, "source port" },
	{ "flow twice", "alert ip any any -> any any (flow:to_server; flow:established; sid:1;)", 50,
	  "flow given twice" },
	{ "flow bad option", "alert ip any any -> any any (flow:to_server,sideways; sid:1;)", 44,
	  "unknown flow option 'sideways'" },
	{ "flow both directions", "alert ip any any -> any any (flow:to_server,to_client; sid:1;)", 34,
	  "both" },
	{ "dsize range reversed", "alert udp any any -> any any (dsize:10<>5; sid:1;)", 36, "dsize range" },
	{ "msg bad escape", "alert ip any any -> any any (msg:\"a\\qb\"; sid:1;)", 35, "invalid escape" },
	{ "reference without comma", "alert ip any any -> any any (reference:cve; sid:1;)", 39, "type,value" },
	{ "priority out of range", "alert ip any any -> any any (priority:300; sid:1;)", 38, "1 to 255" },
	{ "unknown frame", "alert sip any any -> any any (frame:request.trailer; content:\"a\"; sid:1;)", 36,
	  "unknown frame" },
	{ "transform after content", "alert sip any any -> any any (sip.from; content:\"a\"; to_lowercase; sid:1;)",
	  53, "right after its sticky buffer" },
	{ "sip_stat_code bad code", "alert sip any any -> any any (sip_stat_code:42; sid:1;)", 44, "status code" },
	{ "sip_method mixed negation", "alert sip any any -> any any (sip_method:invite,!bye; sid:1;)", 48,
	  "mix of negated" },
};

static void test_err_rows(void **state)
{
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++) {
		const struct err_row *w = &err_rows[i];
		struct rule_err e;
		struct rule *r = rule_parse(w->text, &ctx, &e);
		if (r) {
			rule_free(r);
			print_error("%s: accepted\n", w->name);
			bad++;
		} else if (!strstr(e.msg, w->needle) || e.off != w->off) {
			print_error("%s: got \"%s\" at %u, want \"%s\" at %u\n", w->name, e.msg,
			            e.off, w->needle, w->off);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* Every prefix of a valid rule is an error, never a crash or a rule. */
static void test_prefixes(void **state)
{
	const char *full = "alert sip $EXTERNAL_NET any -> $HOME_NET $SIP_PORTS (msg:\"x\\;y\"; "
	                   "flow:to_server; sip.method; content:\"INVITE\"; nocase; sid:3; rev:1;)";
	size_t n = strlen(full);
	(void)state;
	for (size_t k = 1; k < n; k++) {
		char *t = strndup(full, k);
		struct guard_buf g;
		struct rule_err e;
		struct rule *r;
		const char *p = guard_copy(&g, t, k + 1); /* the NUL is the last byte */
		r = rule_parse(p, &ctx, &e);
		if (r) {
			rule_free(r);
			fail_msg("prefix of %zu bytes accepted", k);
		}
		if (!e.msg[0] && k > 0 && t[strspn(t, " ")] != '\0')
			fail_msg("prefix of %zu bytes: no error", k);
		guard_free(&g);
		free(t);
	}
}

/* ------------------------------------------------------------------ */
/* Files */

static char *capture_errors(struct rule_set *rs, const char *name, const char *text,
                            const struct rule_load_ctx *c, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	struct rule_load_ctx cc = *c;
	cc.errs = open_memstream(&buf, &len);
	*rc = rule_set_load_string(rs, name, text, &cc);
	fclose(cc.errs);
	return buf;
}

static void test_file_locations(void **state)
{
	struct rule_set rs;
	int rc;
	char *out;
	(void)state;
	memset(&rs, 0, sizeof(rs));
	out = capture_errors(&rs, "t.rules",
	                     "# comment\n"
	                     "\n"
	                     "alert ip any any -> any any (sid:1;)\n"
	                     "alert ip any any -> any any (sid:2; bogus;)\n"         /* line 4 */
	                     "alert sip any any -> any any (msg:\"a\"; \\\n"        /* line 5 */
	                     "    sip.method; content:\"X\"; \\\n"
	                     "    nope:1; sid:3;)\n"                                 /* line 7 */
	                     "alert ip any any -> any any (sid:1;)\n"                /* line 8 dup */
	                     "alert ip any any -> any any (sid:4;)\r\n"              /* CRLF ok */
	                     "alert ip any any -> any any (sid:5;)",                 /* no final LF */
	                     &ctx, &rc);
	assert_int_equal(rc, 3);
	assert_int_equal(rs.n, 3);
	assert_int_equal(rs.v[0]->sid, 1);
	assert_int_equal(rs.v[0]->line, 3);
	assert_int_equal(rs.v[1]->sid, 4);
	assert_int_equal(rs.v[2]->sid, 5);
	assert_non_null(strstr(out, "t.rules:4:37: error: unknown keyword 'bogus'\n"));
	assert_non_null(strstr(out, "t.rules:7:5: error: unknown keyword 'nope'\n"));
	assert_non_null(strstr(out, "t.rules:8:1: error: duplicate signature 1:1 (first at t.rules:3)\n"));
	free(out);
	rule_set_free(&rs);
}

static void test_rule_cap(void **state)
{
	struct rule_set rs;
	struct rule_load_ctx c = ctx;
	int rc;
	char *out;
	(void)state;
	memset(&rs, 0, sizeof(rs));
	c.max_rules = 2;
	out = capture_errors(&rs, "cap.rules",
	                     "alert ip any any -> any any (sid:1;)\n"
	                     "alert ip any any -> any any (sid:2;)\n"
	                     "alert ip any any -> any any (sid:3;)\n"
	                     "alert ip any any -> any any (sid:4;)\n",
	                     &c, &rc);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.n_skipped_cap, 2);
	assert_true(rc > 0);
	assert_non_null(strstr(out, "cap.rules:3:1: error: more than 2 rules"));
	free(out);
	rule_set_free(&rs);
}

static void test_missing_file(void **state)
{
	struct rule_set rs;
	char *buf = NULL;
	size_t len = 0;
	struct rule_load_ctx c = ctx;
	(void)state;
	memset(&rs, 0, sizeof(rs));
	c.errs = open_memstream(&buf, &len);
	assert_int_equal(rule_set_load_file(&rs, "/nonexistent/x.rules", &c), -1);
	fclose(c.errs);
	assert_non_null(strstr(buf, "/nonexistent/x.rules: error: cannot open rule file"));
	free(buf);
	rule_set_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_rows),
		cmocka_unit_test(test_meta_values),
		cmocka_unit_test(test_err_rows),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_file_locations),
		cmocka_unit_test(test_rule_cap),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
