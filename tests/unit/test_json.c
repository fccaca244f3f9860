/*
 * test_json.c - the EVE JSON builder (engine/json.c).
 *
 * Rows: string escaping (one input, the exact JSON text expected), whole
 * documents built by a small script, misuse that must set err, and
 * timestamps whose expected text was worked out by hand from the epoch.
 */
#include "test_util.h"

#include "common.h"
#include "json.h"

/* ------------------------------------------------------------------ */
/* Escaping                                                            */

struct esc_row {
	const char *name;
	const char *in;
	size_t len;        /* bytes of in (may hold NUL) */
	const char *want;  /* the JSON string, quotes included */
};

#define E(name, lit, want) { name, lit, sizeof(lit) - 1, want }

static const struct esc_row esc_rows[] = {
	E("escape: plain ascii", "INVITE sip:bob@example.com SIP/2.0", "\"INVITE sip:bob@example.com SIP/2.0\""),
	E("escape: empty", "", "\"\""),
	E("escape: double quote", "say \"hi\"", "\"say \\\"hi\\\"\""),
	E("escape: backslash", "a\\b\\", "\"a\\\\b\\\\\""),
	E("escape: slash is left alone", "a/b", "\"a/b\""),
	E("escape: CR LF TAB", "l1\r\nl2\tx", "\"l1\\r\\nl2\\tx\""),
	E("escape: other control chars as \\u00XX", "\x01\x08\x0c\x1f", "\"\\u0001\\u0008\\u000c\\u001f\""),
	E("escape: NUL inside", "a\0b", "\"a\\u0000b\""),
	E("escape: DEL is valid JSON", "\x7f", "\"\x7f\""),
	E("utf-8: 2-byte kept", "caf\xc3\xa9", "\"caf\xc3\xa9\""),
	E("utf-8: 3-byte kept", "\xe2\x82\xac 5", "\"\xe2\x82\xac 5\""),
	E("utf-8: 4-byte kept", "\xf0\x9f\x93\x9e", "\"\xf0\x9f\x93\x9e\""),
	E("utf-8: U+10FFFF kept", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""),
	E("invalid: lone continuation byte", "\x80", "\"\\u0080\""),
	E("invalid: 0xff", "a\xff" "b", "\"a\\u00ffb\""),
	E("invalid: truncated 2-byte at end", "x\xc3", "\"x\\u00c3\""),
	E("invalid: truncated 3-byte", "\xe2\x82", "\"\\u00e2\\u0082\""),
	E("invalid: lead then ascii", "\xe2" "ab", "\"\\u00e2ab\""),
	E("invalid: overlong 2-byte (c0 af)", "\xc0\xaf", "\"\\u00c0\\u00af\""),
	E("invalid: overlong 3-byte (e0 80 af)", "\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\""),
	E("invalid: overlong 4-byte (f0 80 80 af)", "\xf0\x80\x80\xaf", "\"\\u00f0\\u0080\\u0080\\u00af\""),
	E("invalid: surrogate (ed a0 80)", "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\""),
	E("invalid: above U+10FFFF (f4 90 80 80)", "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\""),
	E("invalid: f5 lead", "\xf5\x80\x80\x80", "\"\\u00f5\\u0080\\u0080\\u0080\""),
	E("invalid then valid", "\xff\xc3\xa9", "\"\\u00ff\xc3\xa9\""),
	E("mixed hostile", "\"\\\x01\xc3(", "\"\\\"\\\\\\u0001\\u00c3(\""),
};

static void run_esc(void **state)
{
	const struct esc_row *r = *state;
	struct json_buf j;
	struct guard_buf g;
	const char *in = guard_copy(&g, r->in, r->len);
	char want[512];

	memset(&j, 0, sizeof(j));
	/* As a top-level value ... */
	json_set_strn(&j, NULL, in, r->len);
	assert_int_equal(j.err, 0);
	assert_string_equal(j.buf, r->want);
	assert_int_equal(j.len, strlen(r->want));
	/* ... as a member value ... */
	json_reset(&j);
	json_open_object(&j, NULL);
	json_set_strn(&j, "k", in, r->len);
	json_close_object(&j);
	snprintf(want, sizeof(want), "{\"k\":%s}", r->want);
	assert_int_equal(j.err, 0);
	assert_string_equal(j.buf, want);
	/* ... and as a key (keys are escaped the same way). */
	if (memchr(r->in, '\0', r->len) == NULL) {
		char key[128];
		memcpy(key, r->in, r->len);
		key[r->len] = '\0';
		json_reset(&j);
		json_open_object(&j, NULL);
		json_set_uint(&j, key, 1);
		json_close_object(&j);
		snprintf(want, sizeof(want), "{%s:1}", r->want);
		assert_int_equal(j.err, 0);
		assert_string_equal(j.buf, want);
	}
	json_free(&j);
	guard_free(&g);
}

/* ------------------------------------------------------------------ */
/* Documents and misuse                                                */

enum op { O_END = 0, O_OBJ, O_CLOSE_OBJ, O_ARR, O_CLOSE_ARR, O_STR, O_UINT, O_INT, O_BOOL, O_ASTR,
	  O_AUINT, O_RESET };

struct step {
	enum op op;
	const char *key;
	const char *s;
	int64_t v;
};

struct doc_row {
	const char *name;
	struct step steps[24];
	int err;           /* err expected at the end */
	const char *want;  /* text expected (when !err) */
	int depth;         /* depth expected at the end */
};

#define OBJ(k) { O_OBJ, k, NULL, 0 }
#define COBJ { O_CLOSE_OBJ, NULL, NULL, 0 }
#define ARR(k) { O_ARR, k, NULL, 0 }
#define CARR { O_CLOSE_ARR, NULL, NULL, 0 }
#define STR(k, s) { O_STR, k, s, 0 }
#define UINT(k, v) { O_UINT, k, NULL, v }
#define INT(k, v) { O_INT, k, NULL, v }
#define BOOL(k, v) { O_BOOL, k, NULL, v }
#define ASTR(s) { O_ASTR, NULL, s, 0 }
#define AUINT(v) { O_AUINT, NULL, NULL, v }
#define RESET { O_RESET, NULL, NULL, 0 }

static const struct doc_row doc_rows[] = {
	{ "doc: empty object", { OBJ(NULL), COBJ }, 0, "{}", 0 },
	{ "doc: empty array", { ARR(NULL), CARR }, 0, "[]", 0 },
	{ "doc: flat object, every type",
	  { OBJ(NULL), STR("s", "x"), UINT("u", 18446744073709551615ULL), INT("i", INT64_MIN), INT("p", 42),
	    BOOL("t", 1), BOOL("f", 0), STR("null_str", NULL), COBJ },
	  0, "{\"s\":\"x\",\"u\":18446744073709551615,\"i\":-9223372036854775808,\"p\":42,"
	     "\"t\":true,\"f\":false,\"null_str\":\"\"}", 0 },
	{ "doc: nesting and arrays",
	  { OBJ(NULL), OBJ("a"), ARR("b"), AUINT(1), AUINT(2), OBJ(NULL), BOOL("c", 1), COBJ, ASTR("d"),
	    ARR(NULL), CARR, CARR, COBJ, INT("e", -5), COBJ },
	  0, "{\"a\":{\"b\":[1,2,{\"c\":true},\"d\",[]]},\"e\":-5}", 0 },
	{ "doc: EVE-like record",
	  { OBJ(NULL), STR("timestamp", "1970-01-01T00:00:00.000000+0000"), UINT("flow_id", 1),
	    STR("event_type", "sip"), OBJ("sip"), STR("method", "INVITE"), ARR("via"),
	    ASTR("SIP/2.0/UDP 192.0.2.10"), CARR, COBJ, COBJ },
	  0, "{\"timestamp\":\"1970-01-01T00:00:00.000000+0000\",\"flow_id\":1,\"event_type\":\"sip\","
	     "\"sip\":{\"method\":\"INVITE\",\"via\":[\"SIP/2.0/UDP 192.0.2.10\"]}}", 0 },
	{ "doc: reset starts over and clears err",
	  { OBJ(NULL), COBJ, COBJ, RESET, ARR(NULL), AUINT(7), CARR }, 0, "[7]", 0 },
	{ "doc: a top-level scalar", { UINT(NULL, 5) }, 0, "5", 0 },
	{ "doc: unclosed object is not an error, depth says so", { OBJ(NULL), UINT("a", 1) }, 0, "{\"a\":1", 1 },
	/* Misuse. */
	{ "misuse: close with nothing open", { COBJ }, 1, NULL, 0 },
	{ "misuse: close array with nothing open", { CARR }, 1, NULL, 0 },
	{ "misuse: close one more than opened", { OBJ(NULL), COBJ, COBJ }, 1, NULL, 0 },
	{ "misuse: object closed as array", { OBJ(NULL), CARR }, 1, NULL, 0 },
	{ "misuse: array closed as object", { OBJ(NULL), ARR("a"), COBJ }, 1, NULL, 0 },
	{ "misuse: member without key in object", { OBJ(NULL), UINT(NULL, 1), COBJ }, 1, NULL, 0 },
	{ "misuse: object without key in object", { OBJ(NULL), OBJ(NULL), COBJ, COBJ }, 1, NULL, 0 },
	{ "misuse: key inside array", { ARR(NULL), STR("k", "v"), CARR }, 1, NULL, 0 },
	{ "misuse: key at top level", { STR("k", "v") }, 1, NULL, 0 },
	{ "misuse: keyed object at top level", { OBJ("k"), COBJ }, 1, NULL, 0 },
	{ "misuse: second top-level value", { OBJ(NULL), COBJ, OBJ(NULL), COBJ }, 1, NULL, 0 },
	{ "misuse: later calls are no-ops", { OBJ(NULL), CARR, STR("a", "b"), OBJ("c"), COBJ }, 1, NULL, 0 },
};

static void run_doc(void **state)
{
	const struct doc_row *r = *state;
	struct json_buf j;
	memset(&j, 0, sizeof(j)); /* the all-zero builder is valid */
	for (const struct step *s = r->steps; s->op != O_END; s++) {
		size_t before = j.len;
		int err_before = j.err;
		switch (s->op) {
		case O_OBJ: json_open_object(&j, s->key); break;
		case O_CLOSE_OBJ: json_close_object(&j); break;
		case O_ARR: json_open_array(&j, s->key); break;
		case O_CLOSE_ARR: json_close_array(&j); break;
		case O_STR: json_set_str(&j, s->key, s->s); break;
		case O_UINT: json_set_uint(&j, s->key, (uint64_t)s->v); break;
		case O_INT: json_set_int(&j, s->key, s->v); break;
		case O_BOOL: json_set_bool(&j, s->key, (int)s->v); break;
		case O_ASTR: json_append_str(&j, s->s, strlen(s->s)); break;
		case O_AUINT: json_append_uint(&j, (uint64_t)s->v); break;
		case O_RESET: json_reset(&j); break;
		default: break;
		}
		if (err_before && s->op != O_RESET)
			assert_int_equal(j.len, before); /* no-op after an error */
	}
	assert_int_equal(j.err, r->err);
	if (!r->err) {
		assert_non_null(j.buf);
		assert_string_equal(j.buf, r->want);
		assert_int_equal(j.len, strlen(r->want));
		assert_int_equal(j.depth, r->depth);
	}
	json_free(&j);
	assert_null(j.buf);
	assert_int_equal(j.len, 0);
	assert_int_equal(j.cap, 0);
}

/* JSON_MAX_DEPTH containers nest; one more is an error. */
static void test_depth_limit(void **state)
{
	struct json_buf j;
	char want[2 * JSON_MAX_DEPTH + 1];
	(void)state;

	memset(&j, 0, sizeof(j));
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_open_array(&j, NULL);
	assert_int_equal(j.err, 0);
	assert_int_equal(j.depth, JSON_MAX_DEPTH);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_close_array(&j);
	assert_int_equal(j.err, 0);
	memset(want, '[', JSON_MAX_DEPTH);
	memset(want + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
	want[2 * JSON_MAX_DEPTH] = '\0';
	assert_string_equal(j.buf, want);

	json_reset(&j);
	json_open_object(&j, NULL);
	for (int i = 1; i < JSON_MAX_DEPTH; i++)
		json_open_object(&j, "o");
	assert_int_equal(j.err, 0);
	json_open_object(&j, "too_deep");
	assert_int_equal(j.err, 1);
	json_free(&j);
}

/* A long string grows the buffer; the text stays NUL-terminated. */
static void test_growth(void **state)
{
	struct json_buf j;
	size_t n = 100000;
	char *big = malloc(n);
	(void)state;

	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (i % 10 == 9) ? '"' : 'a';
	memset(&j, 0, sizeof(j));
	json_open_array(&j, NULL);
	json_append_str(&j, big, n);
	json_append_str(&j, "\xff", 1);
	json_close_array(&j);
	assert_int_equal(j.err, 0);
	/* [ " + 90000 'a' + 10000 \" + " , "\u00ff" ] */
	assert_int_equal(j.len, 1 + 2 + 90000 + 20000 + 1 + 8 + 1);
	assert_int_equal(strlen(j.buf), j.len);
	assert_true(j.cap > j.len);
	/* reset keeps the memory */
	{
		char *b = j.buf;
		json_reset(&j);
		assert_ptr_equal(j.buf, b);
		assert_string_equal(j.buf, "");
	}
	json_free(&j);
	json_free(&j); /* twice is fine: zeroed */
	free(big);
}

/* ------------------------------------------------------------------ */
/* Timestamps                                                          */

struct ts_row {
	const char *name;
	uint64_t usec;
	const char *want;
};

/*
 * Worked by hand: 2000-01-01 is day 10957 of the epoch (30 years, 7 of
 * them leap), 2000-02-29 is day 10957 + 31 + 28 = 11016, 11016 * 86400 =
 * 951782400. 1700000000 s = 19675 days + 80000 s: day 19675 is 2023-11-14
 * and 80000 s is 22:13:20. 4102444800 s is 2100-01-01 (47482 days).
 */
static const struct ts_row ts_rows[] = {
	{ "ts: epoch", 0, "1970-01-01T00:00:00.000000+0000" },
	{ "ts: one microsecond", 1, "1970-01-01T00:00:00.000001+0000" },
	{ "ts: last microsecond of the first second", 999999, "1970-01-01T00:00:00.999999+0000" },
	{ "ts: end of the first day", 86399999999ULL, "1970-01-01T23:59:59.999999+0000" },
	{ "ts: 2000-02-29 (leap day, century rule)", 951782400000000ULL, "2000-02-29T00:00:00.000000+0000" },
	{ "ts: 1700000000.123456", 1700000000123456ULL, "2023-11-14T22:13:20.123456+0000" },
	{ "ts: 2024-02-29", 1709164800000000ULL, "2024-02-29T00:00:00.000000+0000" },
	{ "ts: past 2^31 s (2038)", 2147483648000000ULL, "2038-01-19T03:14:08.000000+0000" },
	{ "ts: last microsecond of 2099", 4102444799999999ULL, "2099-12-31T23:59:59.999999+0000" },
	{ "ts: 9999-12-31T23:59:59", 253402300799000000ULL, "9999-12-31T23:59:59.000000+0000" },
};

static void run_ts(void **state)
{
	const struct ts_row *r = *state;
	char out[64];
	size_t n = strlen(r->want);

	memset(out, 'X', sizeof(out));
	assert_int_equal(json_ts_format(out, sizeof(out), r->usec), (int)n);
	assert_string_equal(out, r->want);
	/* 32 bytes suffice; exactly len+1 works, len does not */
	assert_int_equal(json_ts_format(out, 32, r->usec), (int)n);
	assert_int_equal(json_ts_format(out, n + 1, r->usec), (int)n);
	assert_int_equal(json_ts_format(out, n, r->usec), -1);
	assert_int_equal(json_ts_format(out, 0, r->usec), -1);
}

/*
 * Long plain runs are scanned 8 bytes at a time: every byte value, at every
 * position of a word and of the tail after the last whole word, must still
 * come out as the one-byte rules say (worked by hand below, byte by byte).
 */
static size_t esc_one(unsigned c, char *out)
{
	static const char hex[] = "0123456789abcdef";
	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c == '\n' || c == '\r' || c == '\t') {
		out[0] = '\\';
		out[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		return 2;
	}
	if (c >= 0x20 && c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	/* control characters, and a lone byte >= 0x80 between ASCII (never
	 * valid UTF-8) */
	memcpy(out, "\\u00", 4);
	out[4] = hex[c >> 4];
	out[5] = hex[c & 15];
	return 6;
}

static void test_word_scan(void **state)
{
	struct json_buf j;
	(void)state;
	memset(&j, 0, sizeof(j));
	for (size_t len = 1; len <= 19; len++) {
		for (size_t pos = 0; pos < len; pos++) {
			for (unsigned c = 0; c < 256; c++) {
				char in[19], want[64];
				size_t w = 0;
				memset(in, 'a', sizeof(in));
				in[pos] = (char)c;
				want[w++] = '"';
				for (size_t i = 0; i < len; i++)
					w += esc_one((unsigned char)in[i], want + w);
				want[w++] = '"';
				want[w] = '\0';
				json_reset(&j);
				json_append_str(&j, in, len);
				assert_int_equal(j.err, 0);
				if (strcmp(j.buf, want) != 0)
					fail_msg("len %zu, byte 0x%02x at %zu: got %s, want %s", len, c, pos,
					         j.buf, want);
			}
		}
	}
	json_free(&j);
}

#define NAMED(n, f) { n, f, NULL, NULL, NULL }

int main(void)
{
	static const struct CMUnitTest extra[] = {
		NAMED("depth limit: JSON_MAX_DEPTH nest, one more is err", test_depth_limit),
		NAMED("growth: 100 kB string, reset keeps memory", test_growth),
		NAMED("escape: every byte at every position of 1..19-byte strings", test_word_scan),
	};
	size_t ne = SW_ARRAY_SIZE(esc_rows), nd = SW_ARRAY_SIZE(doc_rows), nt = SW_ARRAY_SIZE(ts_rows);
	size_t n = ne + nd + nt + SW_ARRAY_SIZE(extra), k = 0;
	struct CMUnitTest *t = calloc(n, sizeof(*t));
	int rc;

	assert_non_null(t);
	for (size_t i = 0; i < ne; i++, k++) {
		t[k].name = esc_rows[i].name;
		t[k].test_func = run_esc;
		t[k].initial_state = (void *)&esc_rows[i];
	}
	for (size_t i = 0; i < nd; i++, k++) {
		t[k].name = doc_rows[i].name;
		t[k].test_func = run_doc;
		t[k].initial_state = (void *)&doc_rows[i];
	}
	for (size_t i = 0; i < nt; i++, k++) {
		t[k].name = ts_rows[i].name;
		t[k].test_func = run_ts;
		t[k].initial_state = (void *)&ts_rows[i];
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(extra); i++, k++)
		t[k] = extra[i];
	rc = _cmocka_run_group_tests("json", t, n, NULL, NULL);
	free(t);
	return rc;
}
