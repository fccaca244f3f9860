/*
 * test_detect_dataset.c - the dataset keyword (engine/detect_dataset.c)
 * through the detection engine: lists written to temporary files, rules
 * loaded from a temporary rule file, evaluated on crafted packets.
 *
 * Rows: a list (its lines), the rule's dataset options, a payload (or a
 * source address), and whether the rule must match.
 */
#include "test_util.h"

#include <netinet/in.h>

#include "config.h"
#include "detect_engine.h"

static char dir[] = "/tmp/sipwire-ds.XXXXXX";
static struct sw_config cfg;

static int setup_all(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	config_defaults(&cfg);
	return 0;
}

static int teardown_all(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	config_free(&cfg);
	return 0;
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Loads one rule; NULL when it does not compile (errors go to err). */
static struct detect_engine *load_rule(const char *rule, char *err, size_t cap)
{
	char path[256];
	const char *paths[1] = { path };
	FILE *ef = fmemopen(err, cap, "w");
	struct detect_load_opts o = { .cfg = &cfg, .errs = ef };
	struct detect_engine *de;
	unsigned n;
	write_file("t.rules", rule);
	snprintf(path, sizeof(path), "%s/t.rules", dir);
	de = detect_engine_load(paths, 1, &o, &n);
	fclose(ef);
	return de;
}

/* 1 if the engine alerts on a UDP packet src -> 192.0.2.5:5060 carrying payload. */
static int fires(struct detect_engine *de, const char *src, const char *payload)
{
	struct det_thread t;
	struct det_msg m;
	struct det_result res;
	packet p;
	sw_addr s, d;
	memset(&p, 0, sizeof(p));
	memset(&m, 0, sizeof(m));
	assert_int_equal(sw_addr_parse(sw_str_make(src, strlen(src)), &s), 0);
	assert_int_equal(sw_addr_parse(SW_STR_LIT("192.0.2.5"), &d), 0);
	p.src = s;
	p.dst = d;
	p.proto = IPPROTO_UDP;
	p.sport = 5060;
	p.dport = 5060;
	p.payload = (const uint8_t *)payload;
	p.payload_len = (uint32_t)strlen(payload);
	m.kind = DM_PACKET;
	m.l4 = IPPROTO_UDP;
	m.src = &p.src;
	m.dst = &p.dst;
	m.sport = 5060;
	m.dport = 5060;
	m.pkt = &p;
	assert_int_equal(detect_thread_init(&t), 0);
	detect_eval(de, &t, &m, &res);
	detect_thread_free(&t);
	return res.n > 0;
}

struct row {
	const char *name;
	const char *list;     /* file contents */
	const char *opts;     /* after "dataset:" */
	const char *buffer;   /* sticky buffer before it */
	const char *src;
	const char *payload;
	int want;
};

static const struct row rows[] = {
	{ "plain exact hit", "alpha\nbeta\n", "isset,s,type string,load l.txt,format plain", "pkt_data",
	  "203.0.113.1", "beta", 1 },
	{ "plain exact miss (prefix only)", "alpha\nbeta\n", "isset,s,type string,load l.txt,format plain",
	  "pkt_data", "203.0.113.1", "betamax", 0 },
	{ "exact is case-sensitive", "Beta\n", "isset,s,type string,load l.txt,format plain", "pkt_data",
	  "203.0.113.1", "beta", 0 },
	{ "nocase", "Beta\n", "isset,s,type string,load l.txt,format plain,nocase", "pkt_data",
	  "203.0.113.1", "BETA", 1 },
	{ "comments and blanks skipped", "# beta\n\n  gamma  \n",
	  "isset,s,type string,load l.txt,format plain", "pkt_data", "203.0.113.1", "gamma", 1 },
	{ "comment is not a value", "# beta\n", "isset,s,type string,load l.txt,format plain", "pkt_data",
	  "203.0.113.1", "# beta", 0 },
	{ "prefix hit", "0088\n+882\n", "isset,p,type string,load l.txt,format plain,match prefix",
	  "pkt_data", "203.0.113.1", "00881234567", 1 },
	{ "prefix miss", "0088\n+882\n", "isset,p,type string,load l.txt,format plain,match prefix",
	  "pkt_data", "203.0.113.1", "0049301234567", 0 },
	{ "prefix longer than buffer", "00881\n", "isset,p,type string,load l.txt,format plain,match prefix",
	  "pkt_data", "203.0.113.1", "0088", 0 },
	{ "contains hit", "scanner\n", "isset,c,type string,load l.txt,format plain,match contains,nocase",
	  "pkt_data", "203.0.113.1", "friendly-SCANNER v1", 1 },
	{ "contains miss", "scanner\n", "isset,c,type string,load l.txt,format plain,match contains",
	  "pkt_data", "203.0.113.1", "Yealink", 0 },
	{ "isnotset", "alpha\n", "isnotset,s,type string,load l.txt,format plain", "pkt_data",
	  "203.0.113.1", "beta", 1 },
	{ "isnotset on a member", "alpha\n", "isnotset,s,type string,load l.txt,format plain", "pkt_data",
	  "203.0.113.1", "alpha", 0 },
	{ "Suricata base64 string file", "YmV0YQ==\nZ2FtbWFz\n", "isset,s,type string,load l.txt",
	  "pkt_data", "203.0.113.1", "beta", 1 },
	{ "base64 padding is not data", "YmV0YQ==\n", "isset,s,type string,load l.txt", "pkt_data",
	  "203.0.113.1", "beta\x01", 0 },
	{ "ip.src hit", "# bad\n203.0.113.66\n2001:db8::66\n", "isset,b,type ip,load l.txt", "ip.src",
	  "203.0.113.66", "x", 1 },
	{ "ip.src miss", "203.0.113.66\n", "isset,b,type ip,load l.txt", "ip.src", "203.0.113.67", "x",
	  0 },
	{ "ip.src IPv6 hit", "2001:db8::66\n", "isset,b,type ipv6,load l.txt", "ip.src", "2001:db8::66",
	  "x", 1 },
	{ "ip.dst", "192.0.2.5\n", "isset,b,type ipv4,load l.txt", "ip.dst", "203.0.113.1", "x", 1 },
};

static void test_rows(void **state)
{
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		char rule[512], err[1024] = "";
		struct detect_engine *de;
		write_file("l.txt", w->list);
		/* load FILE: absolute, in the temporary directory */
		snprintf(rule, sizeof(rule),
		         "alert udp any any -> any any (msg:\"t\"; %s; dataset:%.*s%s/l.txt%s; sid:1;)\n",
		         w->buffer, (int)(strstr(w->opts, "l.txt") - w->opts), w->opts, dir,
		         strstr(w->opts, "l.txt") + 5);
		de = load_rule(rule, err, sizeof(err));
		if (!de) {
			print_error("%s: does not load: %s\n", w->name, err);
			bad++;
			continue;
		}
		if (fires(de, w->src, w->payload) != w->want) {
			print_error("%s: expected %s\n", w->name, w->want ? "a match" : "no match");
			bad++;
		}
		detect_engine_free(de);
	}
	assert_int_equal(bad, 0);
}

struct err_row {
	const char *name;
	const char *list;
	const char *rule_opts; /* sticky buffer + dataset (LIST stands for the list path) */
	const char *needle;
};

static const struct err_row err_rows[] = {
	{ "no sticky buffer", "a\n", "dataset:isset,s,type string,load LIST,format plain", "sticky buffer" },
	{ "set is not supported", "a\n", "pkt_data; dataset:set,s,type string,load LIST", "not supported" },
	{ "unknown type", "a\n", "pkt_data; dataset:isset,s,type md5,load LIST", "not supported" },
	{ "missing load", "a\n", "pkt_data; dataset:isset,s,type string", "load FILE" },
	{ "bad base64", "not base64!\n", "pkt_data; dataset:isset,s,type string,load LIST", "base64" },
	{ "bad address", "300.1.1.1\n", "ip.src; dataset:isset,b,type ip,load LIST", "not an IP address" },
	{ "IPv6 in an ipv4 set", "2001:db8::1\n", "ip.src; dataset:isset,b,type ipv4,load LIST",
	  "not an IPv4 address" },
	{ "address set on a string buffer", "192.0.2.1\n", "pkt_data; dataset:isset,b,type ip,load LIST",
	  "ip.src or ip.dst" },
	{ "unknown option", "a\n", "pkt_data; dataset:isset,s,type string,load LIST,colour red",
	  "unknown dataset option" },
};

static void test_errors(void **state)
{
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++) {
		const struct err_row *w = &err_rows[i];
		char opts[512], rule[700], err[1024] = "", path[300];
		struct detect_engine *de;
		write_file("l.txt", w->list);
		snprintf(path, sizeof(path), "%s/l.txt", dir);
		{
			const char *at = strstr(w->rule_opts, "LIST");
			if (at)
				snprintf(opts, sizeof(opts), "%.*s%s%s", (int)(at - w->rule_opts), w->rule_opts,
				         path, at + 4);
			else
				snprintf(opts, sizeof(opts), "%s", w->rule_opts);
		}
		snprintf(rule, sizeof(rule), "alert udp any any -> any any (msg:\"t\"; %s; sid:1;)\n", opts);
		de = load_rule(rule, err, sizeof(err));
		if (de) {
			detect_engine_free(de);
			print_error("%s: accepted\n", w->name);
			bad++;
		} else if (!strstr(err, w->needle) || !strstr(err, "t.rules:1:")) {
			print_error("%s: error \"%s\" lacks \"%s\" or its location\n", w->name, err,
			            w->needle);
			bad++;
		}
	}
	/* A missing list file names the file. */
	{
		char err[1024] = "";
		struct detect_engine *de = load_rule(
		        "alert udp any any -> any any (pkt_data; dataset:isset,s,type string,load "
		        "/nonexistent/l.txt,format plain; sid:1;)\n",
		        err, sizeof(err));
		assert_null(de);
		assert_non_null(strstr(err, "cannot open /nonexistent/l.txt"));
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
