/*
 * test_classification.c - the classification file (engine/classification.c)
 * and the shipped rules/classification.config.
 *
 * Rows: lookups in the shipped file (name, description, priority); small
 * files that must load, with what they define; bad lines with the line,
 * column and a piece of the message expected. Then: every classtype the
 * ET Open VoIP rules use must be defined (skipped without the corpus),
 * duplicates, several bad lines, files read through a guard page.
 */
#include <dirent.h>

#include "test_util.h"

#include "classification.h"
#include "common.h"

#define SHIPPED "rules/classification.config"
#define ET_DIR "../shared/corpus/suricata-verify/et-open-voip-rules"

static struct class_table *shipped;

static int load_shipped(void **state)
{
	struct class_err e;
	shipped = class_table_new();
	if (!shipped || class_table_load(shipped, SHIPPED, &e) != 0) {
		fprintf(stderr, "%s:%u:%u: %s\n", SHIPPED, e.line, e.col, e.msg);
		return -1;
	}
	return 0;
}

static int free_shipped(void **state)
{
	class_table_free(shipped);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The shipped file                                                    */

struct lookup_row {
	const char *name;
	const char *cls;
	const char *desc; /* NULL: must be unknown */
	unsigned prio;
};

static const struct lookup_row lookup_rows[] = {
	{ "shipped: not-suspicious", "not-suspicious", "Not Suspicious Traffic", 3 },
	{ "shipped: bad-unknown", "bad-unknown", "Potentially Bad Traffic", 2 },
	{ "shipped: attempted-recon", "attempted-recon", "Attempted Information Leak", 2 },
	{ "shipped: attempted-dos", "attempted-dos", "Attempted Denial of Service", 2 },
	{ "shipped: attempted-user", "attempted-user", "Attempted User Privilege Gain", 1 },
	{ "shipped: attempted-admin", "attempted-admin", "Attempted Administrator Privilege Gain", 1 },
	{ "shipped: tcp-connection", "tcp-connection", "A TCP connection was detected", 4 },
	{ "shipped: trojan-activity", "trojan-activity", "A Network Trojan was detected", 1 },
	{ "shipped: web-application-activity", "web-application-activity",
	  "access to a potentially vulnerable web application", 2 },
	{ "shipped: misc-activity", "misc-activity", "Misc activity", 3 },
	{ "shipped: misc-attack", "misc-attack", "Misc Attack", 2 },
	{ "shipped: policy-violation", "policy-violation", "Potential Corporate Privacy Violation", 1 },
	{ "shipped: command-and-control", "command-and-control",
	  "Malware Command and Control Activity Detected", 1 },
	{ "shipped: voip-scan (description with a comma)", "voip-scan",
	  "VoIP reconnaissance (SIP scan, extension enumeration)", 2 },
	{ "shipped: voip-brute-force", "voip-brute-force", "SIP password guessing", 1 },
	{ "shipped: voip-toll-fraud", "voip-toll-fraud", "Toll fraud attempt", 1 },
	{ "shipped: voip-dos", "voip-dos", "SIP/RTP flood", 2 },
	{ "shipped: voip-hijack", "voip-hijack", "Call or registration hijack attempt", 1 },
	{ "shipped: voip-media-injection", "voip-media-injection", "RTP injection", 1 },
	{ "shipped: protocol-anomaly", "protocol-anomaly", "Malformed or non-compliant SIP", 3 },
	{ "shipped: lookup ignores case", "Attempted-RECON", "Attempted Information Leak", 2 },
	{ "shipped: unknown class", "no-such-class", NULL, 0 },
	{ "shipped: prefix is not a match", "attempted", NULL, 0 },
	{ "shipped: empty name", "", NULL, 0 },
};

static void run_lookup(void **state)
{
	const struct lookup_row *r = *state;
	const char *desc = NULL;
	unsigned prio = 0;
	int rc = class_lookup(shipped, r->cls, &desc, &prio);
	if (!r->desc) {
		assert_int_equal(rc, -1);
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(desc, r->desc);
	assert_int_equal(prio, r->prio);
}

static void test_shipped_whole(void **state)
{
	const char *name, *desc;
	unsigned prio;
	unsigned n = class_table_count(shipped);
	assert_true(n >= 50);
	assert_int_equal(class_table_duplicates(shipped), 0);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(class_table_get(shipped, i, &name, &desc, &prio), 0);
		assert_true(prio >= 1 && prio <= 4);
		assert_true(desc[0] != '\0');
		for (const char *p = name; *p; p++)
			assert_false(*p >= 'A' && *p <= 'Z');
	}
	assert_int_equal(class_table_get(shipped, n, &name, &desc, &prio), -1);
	assert_int_equal(class_lookup(NULL, "misc-activity", &desc, &prio), -1);
	assert_int_equal(class_lookup(shipped, NULL, &desc, &prio), -1);
	assert_int_equal(class_lookup(shipped, "misc-activity", NULL, NULL), 0);
}

/* Every classtype:NAME in the ET Open VoIP rules is defined. */
static void test_et_classtypes(void **state)
{
	DIR *d = opendir(ET_DIR);
	struct dirent *de;
	int files = 0, uses = 0;
	if (!d)
		skip();
	while ((de = readdir(d)) != NULL) {
		char path[512];
		size_t nl = strlen(de->d_name), len = 0;
		char *buf, *p;
		if (nl < 7 || strcmp(de->d_name + nl - 6, ".rules") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", ET_DIR, de->d_name);
		buf = slurp_file(path, &len);
		assert_non_null(buf);
		files++;
		for (p = buf; (p = strstr(p, "classtype:")) != NULL;) {
			char name[CLASS_NAME_MAX + 1];
			size_t k = 0;
			p += strlen("classtype:");
			while (*p == ' ')
				p++;
			while (*p && *p != ';' && *p != ' ' && k < CLASS_NAME_MAX)
				name[k++] = *p++;
			name[k] = '\0';
			if (class_lookup(shipped, name, NULL, NULL) != 0)
				fail_msg("%s: classtype '%s' is not in %s", de->d_name, name, SHIPPED);
			uses++;
		}
		free(buf);
	}
	closedir(d);
	assert_true(files > 0);
	assert_true(uses > 0);
}

/* Every prefix of the shipped file, against a guard page: no over-read;
 * a prefix cut inside a line may fail but never crashes. */
static void test_shipped_prefixes(void **state)
{
	size_t len = 0;
	char *buf = slurp_file(SHIPPED, &len);
	assert_non_null(buf);
	for (size_t n = 0; n <= len; n++) {
		struct guard_buf g;
		const char *s = guard_copy(&g, buf, n);
		struct class_table *t = class_table_new();
		struct class_err e;
		assert_non_null(t);
		if (class_table_parse(t, s, n, &e) != 0)
			assert_true(e.line >= 1 && e.n_errors == 1);
		class_table_free(t);
		guard_free(&g);
	}
	free(buf);
}

/* ------------------------------------------------------------------ */
/* Small files that load                                               */

struct ok_row {
	const char *name;
	const char *text;
	const char *cls, *desc; /* one class it must define */
	unsigned prio;
	unsigned count;
};

static const struct ok_row ok_rows[] = {
	{ "ok: plain", "config classification: foo,Bar,1\n", "foo", "Bar", 1, 1 },
	{ "ok: no newline at the end", "config classification: foo,Bar,1", "foo", "Bar", 1, 1 },
	{ "ok: no blank after ':'", "config classification:foo,Bar,1", "foo", "Bar", 1, 1 },
	{ "ok: blanks everywhere", "  config \t classification  :  foo  ,  Bar baz  ,  7  \n", "foo",
	  "Bar baz", 7, 1 },
	{ "ok: 'configclassification' (Suricata's \\s*)", "configclassification: foo,Bar,1", "foo",
	  "Bar", 1, 1 },
	{ "ok: CRLF", "config classification: foo,Bar,2\r\nconfig classification: x,Y,3\r\n", "x", "Y",
	  3, 2 },
	{ "ok: comments and blank lines",
	  "# header\n\n   # indented comment\n\t\nconfig classification: foo,Bar,1\n#\n", "foo", "Bar",
	  1, 1 },
	{ "ok: commas in the description", "config classification: foo,A, B, and C,3\n", "foo",
	  "A, B, and C", 3, 1 },
	{ "ok: name with digits, '-' and '_'", "config classification: a1-b_2,D,255\n", "a1-b_2", "D",
	  255, 1 },
	{ "ok: name stored lowercase", "config classification: Foo-BAR,D,4\n", "foo-bar", "D", 4, 1 },
	{ "ok: first definition wins",
	  "config classification: foo,First,1\nconfig classification: FOO,Second,2\n", "foo", "First",
	  1, 1 },
	{ "ok: empty file", "", NULL, NULL, 0, 0 },
	{ "ok: only comments", "# a\n# b\n", NULL, NULL, 0, 0 },
	{ "ok: leading zeros in priority", "config classification: foo,Bar,007\n", "foo", "Bar", 7, 1 },
};

static void run_ok(void **state)
{
	const struct ok_row *r = *state;
	struct guard_buf g;
	const char *s = guard_copy(&g, r->text, strlen(r->text));
	struct class_table *t = class_table_new();
	struct class_err e;
	const char *desc, *name;
	unsigned prio;
	assert_non_null(t);
	if (class_table_parse(t, s, strlen(r->text), &e) != 0)
		fail_msg("line %u col %u: %s", e.line, e.col, e.msg);
	assert_int_equal(e.n_errors, 0);
	assert_int_equal(class_table_count(t), r->count);
	if (r->cls) {
		assert_int_equal(class_lookup(t, r->cls, &desc, &prio), 0);
		assert_string_equal(desc, r->desc);
		assert_int_equal(prio, r->prio);
		assert_int_equal(class_table_get(t, 0, &name, NULL, NULL), 0);
		if (r->count == 1)
			assert_string_equal(name, r->cls);
	}
	class_table_free(t);
	guard_free(&g);
}

/* ------------------------------------------------------------------ */
/* Bad lines                                                           */

struct err_row {
	const char *name;
	const char *text;
	size_t len; /* bytes of text (may hold a NUL) */
	uint32_t line, col;
	const char *msg;
};

#define E(name, lit, line, col, msg) { name, lit, sizeof(lit) - 1, line, col, msg }

#define LONG65 "a1234567890123456789012345678901234567890123456789012345678901234"

static const struct err_row err_rows[] = {
	E("err: not a config line", "conf classification: foo,Bar,1", 1, 1,
	  "expected 'config classification:'"),
	E("err: wrong keyword", "config class: foo,Bar,1", 1, 8, "expected 'classification'"),
	E("err: missing ':'", "config classification foo,Bar,1", 1, 23, "expected ':'"),
	E("err: name starts with a digit", "# c\n\nconfig classification: 1abc,Bar,1", 3, 24,
	  "starts with a letter"),
	E("err: name missing", "config classification: ,Bar,1", 1, 24, "starts with a letter"),
	E("err: name only", "config classification: foo", 1, 27, "expected ',' after the classtype"),
	E("err: blank inside the name", "config classification: foo bar,Bar,1", 1, 28,
	  "expected ',' after the classtype"),
	E("err: bad character in the name", "config classification: fo$o,Bar,1", 1, 26,
	  "expected ',' after the classtype"),
	E("err: name too long", "config classification: " LONG65 ",D,1", 1, 24,
	  "longer than 64"),
	E("err: no priority", "config classification: foo,Bar", 1, 31, "expected ',priority'"),
	E("err: priority not a number", "config classification: foo,Bar,x", 1, 32,
	  "expected a priority number"),
	E("err: priority empty", "config classification: foo,Bar,", 1, 32,
	  "expected a priority number"),
	E("err: priority 0", "config classification: foo,Bar,0", 1, 32, "from 1 to 255"),
	E("err: priority 256", "config classification: foo,Bar,256", 1, 32, "from 1 to 255"),
	E("err: priority huge", "config classification: foo,Bar,99999999999999999999", 1, 32,
	  "from 1 to 255"),
	E("err: negative priority", "config classification: foo,Bar,-1", 1, 32,
	  "expected a priority number"),
	E("err: empty description", "config classification: foo,,1", 1, 28, "empty description"),
	E("err: blank description", "config classification: foo, ,1", 1, 29, "empty description"),
	E("err: trailing comment", "config classification: foo,Bar,1 # x", 1, 34, "unexpected '#'"),
	E("err: second line bad", "config classification: foo,Bar,1\nconfig classification: x", 2, 25,
	  "expected ','"),
	E("err: NUL byte", "config classification: fo\0o,Bar,1", 1, 26, "NUL byte"),
};

static void run_err(void **state)
{
	const struct err_row *r = *state;
	size_t len = r->len;
	struct guard_buf g;
	const char *s = guard_copy(&g, r->text, len);
	struct class_table *t = class_table_new();
	struct class_err e;
	assert_non_null(t);
	assert_int_equal(class_table_parse(t, s, len, &e), -1);
	if (e.line != r->line || e.col != r->col || !strstr(e.msg, r->msg))
		fail_msg("got %u:%u \"%s\", want %u:%u containing \"%s\"", e.line, e.col, e.msg, r->line,
		         r->col, r->msg);
	assert_int_equal(e.n_errors, 1);
	class_table_free(t);
	guard_free(&g);
}

/* Bad lines are counted, the first is reported, good ones still load. */
static void test_many_errors(void **state)
{
	static const char text[] = "config classification: a,A,1\n"
	                           "junk\n"
	                           "config classification: b,B,2\n"
	                           "config classification: c,C\n"
	                           "config classification: d,D,300\n"
	                           "config classification: e,E,3\n";
	struct class_table *t = class_table_new();
	struct class_err e;
	assert_int_equal(class_table_parse(t, text, sizeof(text) - 1, &e), -1);
	assert_int_equal(e.n_errors, 3);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.col, 1);
	assert_int_equal(class_table_count(t), 3);
	assert_int_equal(class_lookup(t, "e", NULL, NULL), 0);
	assert_int_equal(class_lookup(t, "c", NULL, NULL), -1);
	class_table_free(t);
}

static void test_duplicates(void **state)
{
	static const char text[] = "config classification: a,A,1\n"
	                           "config classification: b,B,2\n"
	                           "config classification: A,Again,3\n"
	                           "config classification: a,Thrice,4\n";
	struct class_table *t = class_table_new();
	const char *desc;
	unsigned prio;
	assert_int_equal(class_table_parse(t, text, sizeof(text) - 1, NULL), 0);
	assert_int_equal(class_table_count(t), 2);
	assert_int_equal(class_table_duplicates(t), 2);
	assert_int_equal(class_lookup(t, "a", &desc, &prio), 0);
	assert_string_equal(desc, "A");
	assert_int_equal(prio, 1);
	class_table_free(t);
}

/* Two files into one table: the second adds, the first's names stay. */
static void test_two_parses(void **state)
{
	struct class_table *t = class_table_new();
	const char *desc;
	assert_int_equal(class_table_parse(t, "config classification: a,A,1\n", 29, NULL), 0);
	assert_int_equal(class_table_parse(t, "config classification: a,Z,1\nconfig classification: b,B,1\n",
	                                   58, NULL),
	                 0);
	assert_int_equal(class_table_count(t), 2);
	assert_int_equal(class_lookup(t, "a", &desc, NULL), 0);
	assert_string_equal(desc, "A");
	class_table_free(t);
}

static void test_missing_file(void **state)
{
	struct class_table *t = class_table_new();
	struct class_err e;
	assert_int_equal(class_table_load(t, "/nonexistent/classification.config", &e), -1);
	assert_int_equal(e.line, 0);
	assert_non_null(strstr(e.msg, "cannot open"));
	class_table_free(t);
	class_table_free(NULL);
	assert_int_equal(class_table_parse(NULL, "", 0, &e), -1);
	assert_int_equal(class_table_count(NULL), 0);
}

static void test_long_line(void **state)
{
	size_t n = 200000;
	char *s = malloc(n + 64);
	struct class_table *t = class_table_new();
	struct class_err e;
	assert_non_null(s);
	strcpy(s, "config classification: foo,");
	memset(s + strlen(s), 'x', n);
	strcpy(s + 27 + n, ",1");
	assert_int_equal(class_table_parse(t, s, strlen(s), &e), -1);
	assert_non_null(strstr(e.msg, "description longer than"));
	assert_int_equal(e.col, 28);
	class_table_free(t);
	free(s);
}

#define NAMED(n, f) { n, f, NULL, NULL, NULL }

int main(void)
{
	static const struct CMUnitTest extra[] = {
		NAMED("shipped: whole file well formed, no duplicates", test_shipped_whole),
		NAMED("shipped: every classtype of the ET Open VoIP rules is defined",
		      test_et_classtypes),
		NAMED("shipped: every prefix through a guard page", test_shipped_prefixes),
		NAMED("errors: counted, first reported, good lines kept", test_many_errors),
		NAMED("duplicates: first wins, counted", test_duplicates),
		NAMED("two files into one table", test_two_parses),
		NAMED("missing file, NULL table", test_missing_file),
		NAMED("200 kB description line", test_long_line),
	};
	size_t nl = SW_ARRAY_SIZE(lookup_rows), no = SW_ARRAY_SIZE(ok_rows),
	       ne = SW_ARRAY_SIZE(err_rows);
	size_t n = nl + no + ne + SW_ARRAY_SIZE(extra), k = 0;
	struct CMUnitTest *t = calloc(n, sizeof(*t));
	int rc;

	assert_non_null(t);
	for (size_t i = 0; i < nl; i++, k++) {
		t[k].name = lookup_rows[i].name;
		t[k].test_func = run_lookup;
		t[k].initial_state = (void *)&lookup_rows[i];
	}
	for (size_t i = 0; i < no; i++, k++) {
		t[k].name = ok_rows[i].name;
		t[k].test_func = run_ok;
		t[k].initial_state = (void *)&ok_rows[i];
	}
	for (size_t i = 0; i < ne; i++, k++) {
		t[k].name = err_rows[i].name;
		t[k].test_func = run_err;
		t[k].initial_state = (void *)&err_rows[i];
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(extra); i++, k++)
		t[k] = extra[i];
	rc = _cmocka_run_group_tests("classification", t, n, load_shipped, free_shipped);
	free(t);
	return rc;
}
