/*
 * test_config.c - configuration (engine/config.c): built-in defaults, YAML
 * files written to a temporary directory, --set overrides, the size and
 * duration syntax, and config_dump output loading back to the same values.
 *
 * Error rows give the YAML, the line and column the error must name
 * ("FILE:LINE:COLUMN: ...") and a fragment of the reason.
 */
#include "test_util.h"

#include <ftw.h>

#include "common.h"
#include "config.h"

static char tmpdir[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sw_test_config_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	return nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Writes text to a new file in tmpdir; returns its path (static buffer). */
static const char *write_yaml(const char *name, const char *text)
{
	static char path[256];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s.yaml", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
	return path;
}

/* ------------------------------------------------------------------ */
/* Defaults                                                            */

static void test_defaults(void **state)
{
	struct sw_config c;
	(void)state;

	config_defaults(&c);
	assert_int_equal(c.flow.max_flows, 65536);
	assert_int_equal(c.flow.hash_size, 0);
	assert_int_equal(c.flow.timeouts.udp, 120);
	assert_int_equal(c.flow.timeouts.tcp, 3600);
	assert_int_equal(c.flow.timeouts.tcp_closed, 30);
	assert_int_equal(c.flow.timeouts.other, 60);
	assert_int_equal(c.defrag.max_trackers, 4096);
	assert_int_equal(c.defrag.memcap, 16ULL << 20);
	assert_int_equal(c.defrag.timeout, 60);
	assert_int_equal(c.defrag.max_frags, 64);
	assert_int_equal(c.stream.memcap, 64ULL << 20);
	assert_int_equal(c.stream.max_ooo_bytes, 65536);
	assert_int_equal(c.stream.max_ooo_segments, 64);
	assert_int_equal(c.sip.max_message_size, 65535);
	assert_int_equal(c.sip.max_headers, 128);
	assert_int_equal(c.sip.max_buffered_per_flow, 128 * 1024);
	assert_int_equal(c.sip.transaction_timeout, 32);
	assert_int_equal(c.sip.max_transactions, 65536);
	assert_int_equal(c.sip.max_dialogs, 65536);
	assert_int_equal(c.sip.max_registrations, 65536);
	assert_int_equal(c.sip.max_media, 131072);
	assert_int_equal(c.sip.dialog_early_timeout, 180);
	assert_int_equal(c.sip.dialog_idle_timeout, 7200);
	assert_int_equal(c.sip.dialog_linger, 32);
	assert_int_equal(c.sip.registration_max_expires, 86400);
	assert_int_equal(c.outputs.eve.enabled, 1);
	assert_string_equal(c.outputs.eve.filename, "eve.json");
	assert_int_equal(c.outputs.eve.n_types, 8);
	assert_string_equal(c.outputs.eve.types[0], "alert");
	assert_string_equal(c.outputs.eve.types[7], "stats");
	assert_int_equal(c.detect.n_rule_files, 2);
	assert_string_equal(c.detect.rule_files[0], "sipwire.rules");
	assert_string_equal(c.detect.default_rule_path, "rules");
	assert_string_equal(c.detect.classification_file, "rules/classification.config");
	assert_int_equal(c.detect.max_rules, 100000);
	assert_int_equal(c.outputs.stats.interval, 60);
	/* HOME_NET, EXTERNAL_NET, then Suricata's server variables. */
	assert_int_equal(c.vars.n_address_groups, 8);
	assert_string_equal(c.vars.address_groups[0].name, "HOME_NET");
	assert_string_equal(c.vars.address_groups[0].value, "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]");
	assert_string_equal(c.vars.address_groups[1].name, "EXTERNAL_NET");
	assert_string_equal(c.vars.address_groups[1].value, "!$HOME_NET");
	assert_int_equal(c.vars.n_port_groups, 8);
	assert_string_equal(c.vars.port_groups[0].value, "[5060,5061]");
	assert_int_equal(c.logging.verbosity, 0);
	config_free(&c);
	config_free(&c); /* twice: everything was reset */
}

/* ------------------------------------------------------------------ */
/* Loading a valid file                                                */

static void test_load_valid(void **state)
{
	static const char yaml[] =
		"# a comment\n"
		"flow:\n"
		"  max-flows: 1000\n"
		"  timeouts:\n"
		"    udp: 5m\n"
		"    tcp: 2h\n"
		"    tcp-closed: \"45s\"\n"
		"stream:\n"
		"  memcap: 128mb\n"
		"  max-ooo-bytes: 16 KiB\n"
		"defrag:\n"
		"  memcap: 1gb\n"
		"  timeout: 1h\n"
		"sip:\n"
		"  max-headers: 64\n"
		"outputs:\n"
		"  eve:\n"
		"    enabled: no\n"
		"    filename: sip-events.json\n"
		"    types: [sip, alert, drop]\n"
		"  stats:\n"
		"    interval: 0\n"
		"vars:\n"
		"  address-groups:\n"
		"    HOME_NET: \"[192.0.2.0/24]\"\n"
		"    PBX: 192.0.2.5\n"
		"logging: {verbosity: 2}\n"
		"defrag.max-frags: 16\n";
	struct sw_config c;
	char err[512] = "";

	config_defaults(&c);
	assert_int_equal(config_load(&c, write_yaml("valid", yaml), err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(c.flow.max_flows, 1000);
	assert_int_equal(c.flow.timeouts.udp, 300);
	assert_int_equal(c.flow.timeouts.tcp, 7200);
	assert_int_equal(c.flow.timeouts.tcp_closed, 45);
	assert_int_equal(c.flow.timeouts.other, 60); /* untouched */
	assert_int_equal(c.stream.memcap, 128ULL << 20);
	assert_int_equal(c.stream.max_ooo_bytes, 16384);
	assert_int_equal(c.defrag.memcap, 1ULL << 30);
	assert_int_equal(c.defrag.timeout, 3600);
	assert_int_equal(c.sip.max_headers, 64);
	assert_int_equal(c.outputs.eve.enabled, 0);
	assert_string_equal(c.outputs.eve.filename, "sip-events.json");
	assert_int_equal(c.outputs.eve.n_types, 3);
	assert_string_equal(c.outputs.eve.types[1], "alert");
	assert_int_equal(c.outputs.stats.interval, 0);
	/* Variables merge: HOME_NET replaced, PBX added, EXTERNAL_NET kept. */
	assert_int_equal(c.vars.n_address_groups, 9);
	assert_string_equal(c.vars.address_groups[0].value, "[192.0.2.0/24]");
	assert_string_equal(c.vars.address_groups[1].name, "EXTERNAL_NET");
	assert_string_equal(c.vars.address_groups[8].name, "PBX");
	assert_string_equal(c.vars.address_groups[8].value, "192.0.2.5");
	assert_int_equal(c.logging.verbosity, 2);
	assert_int_equal(c.defrag.max_frags, 16);
	config_free(&c);
}

static void test_load_empty(void **state)
{
	struct sw_config c;
	char err[256] = "";
	(void)state;

	config_defaults(&c);
	assert_int_equal(config_load(&c, write_yaml("empty", ""), err, sizeof(err)), 0);
	assert_int_equal(config_load(&c, write_yaml("comments", "# nothing\n---\n"), err, sizeof(err)), 0);
	/* A section whose keys are all commented out is null: nothing to set. */
	assert_int_equal(config_load(&c, write_yaml("null_section", "flow:\n#  max-flows: 5\nsip:\n"), err,
	                             sizeof(err)), 0);
	assert_int_equal(c.flow.max_flows, 65536);
	config_free(&c);
}

static void test_load_missing_file(void **state)
{
	struct sw_config c;
	char err[256] = "", path[128];
	(void)state;

	snprintf(path, sizeof(path), "%s/does-not-exist.yaml", tmpdir);
	config_defaults(&c);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does-not-exist.yaml"));
	assert_non_null(strstr(err, "No such file"));
	config_free(&c);
}

/* ------------------------------------------------------------------ */
/* Errors with FILE:LINE:COLUMN                                        */

struct err_row {
	const char *name;
	const char *yaml;
	unsigned line, col;  /* 1-based position the message must name */
	const char *why;     /* fragment of the reason */
};

static const struct err_row err_rows[] = {
	{ "error: unknown key, with a suggestion", "flow:\n  max-flow: 5\n", 2, 3,
	  "unknown key \"flow.max-flow\" (did you mean \"flow.max-flows\"?)" },
	{ "error: unknown key, no suggestion", "flow:\n  max-flows: 5\n  colour: blue\n", 3, 3,
	  "unknown key \"flow.colour\"" },
	{ "error: unknown section", "flows:\n  max-flows: 5\n", 1, 1, "unknown key \"flows\"" },
	{ "error: wrong type, text for a number", "flow:\n  max-flows: lots\n", 2, 14,
	  "expected an unsigned integer, got \"lots\"" },
	{ "error: wrong type, negative number", "sip:\n  max-headers: -1\n", 2, 16, "expected an unsigned integer" },
	{ "error: wrong type, mapping for a number", "flow:\n  max-flows:\n    a: 1\n", 3, 5,
	  "flow.max-flows: expected a single value" },
	{ "error: wrong type, list for a number", "flow:\n  max-flows: [1, 2]\n", 2, 14,
	  "expected a single value" },
	{ "error: wrong type, scalar for a section", "flow: 5\n", 1, 7, "flow: expected a mapping of keys" },
	{ "error: wrong type, scalar for a list", "outputs:\n  eve:\n    types: sip\n", 3, 12,
	  "outputs.eve.types: expected a list" },
	{ "error: wrong type, list for variables", "vars:\n  port-groups: [1]\n", 2, 16,
	  "expected a mapping of NAME: value" },
	{ "error: wrong type, bool", "outputs:\n  eve:\n    enabled: maybe\n", 3, 14,
	  "expected true or false, got \"maybe\"" },
	{ "error: out of range, zero flows", "flow:\n  max-flows: 0\n", 2, 14,
	  "0 is out of range [1, 16777216]" },
	{ "error: out of range, too many", "flow:\n  max-flows: 16777217\n", 2, 14, "out of range" },
	{ "error: out of range, u32 overflow", "flow:\n  max-flows: 4294967296\n", 2, 14, "out of range" },
	{ "error: out of range, u64 overflow", "flow:\n  max-flows: 99999999999999999999\n", 2, 14,
	  "expected an unsigned integer" },
	{ "error: out of range, duration", "flow:\n  timeouts:\n    udp: 2d\n", 3, 10,
	  "172800 is out of range [1, 86400]" },
	{ "error: out of range, size", "stream:\n  memcap: 1kb\n", 2, 11, "1024 is out of range" },
	{ "error: out of range, verbosity", "logging:\n  verbosity: 4\n", 2, 14, "out of range [0, 3]" },
	{ "error: bad size unit", "stream:\n  memcap: 64zb\n", 2, 11,
	  "expected a size such as 65536, 64kb, 16mb or 1gb, got \"64zb\"" },
	{ "error: bad size, fraction", "stream:\n  memcap: 1.5mb\n", 2, 11, "expected a size" },
	{ "error: bad duration unit", "defrag:\n  timeout: 5w\n", 2, 12, "expected a duration" },
	{ "error: duplicate key", "flow:\n  max-flows: 5\n  hash-size: 8\n  max-flows: 6\n", 4, 3,
	  "duplicate key \"max-flows\" (first at line 2)" },
	{ "error: duplicate section", "flow:\n  max-flows: 5\nsip:\n  max-headers: 20\nflow:\n  hash-size: 1\n",
	  5, 1, "duplicate key \"flow\" (first at line 1)" },
	{ "error: duplicate variable", "vars:\n  port-groups:\n    A: \"1\"\n    A: \"2\"\n", 4, 5,
	  "duplicate key \"A\"" },
	{ "error: empty file name", "outputs:\n  eve:\n    filename: \"\"\n", 3, 15, "must not be empty" },
	{ "error: file name with a path", "outputs:\n  eve:\n    filename: ../../etc/x\n", 3, 15,
	  "a file name, not a path" },
	{ "error: unknown event type", "outputs:\n  eve:\n    types: [sip, dns]\n", 3, 18,
	  "unknown event type \"dns\"" },
	{ "error: list item not a scalar", "outputs:\n  eve:\n    types: [sip, [flow]]\n", 3, 18,
	  "list items must be scalars" },
	{ "error: too many list items",
	  "outputs:\n  eve:\n    types: [sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip]\n",
	  3, 77, "too many items (max 16)" },
	{ "error: bad variable name", "vars:\n  address-groups:\n    \"HOME NET\": x\n", 3, 5,
	  "letters, digits and _ only" },
	{ "error: top level is a list", "- flow\n- sip\n", 1, 1, "the top level must be a mapping" },
	{ "error: yaml syntax", "flow:\n  max-flows: [1, 2\n", 3, 1, "" },
	{ "error: yaml tab indentation", "flow:\n\tmax-flows: 5\n", 2, 1, "" },
	{ "error: key is not a name", "flow:\n  [a]: 1\n", 2, 3, "keys must be plain names" },
};

static void run_err(void **state)
{
	const struct err_row *r = *state;
	struct sw_config c;
	char err[512] = "", prefix[320];
	const char *path = write_yaml("err", r->yaml);

	config_defaults(&c);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -1);
	snprintf(prefix, sizeof(prefix), "%s:%u:%u: ", path, r->line, r->col);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("want \"%s...\", got \"%s\"", prefix, err);
	if (!strstr(err, r->why))
		fail_msg("want \"%s\" in \"%s\"", r->why, err);
	config_free(&c);
}

/* ------------------------------------------------------------------ */
/* Sizes and durations                                                 */

struct num_row {
	const char *in;
	int rc;
	uint64_t want;
};

static const struct num_row size_rows[] = {
	{ "0", 0, 0 },
	{ "123", 0, 123 },
	{ "64mb", 0, 64ULL << 20 },
	{ "64MB", 0, 64ULL << 20 },
	{ "64m", 0, 64ULL << 20 },
	{ "64 MiB", 0, 64ULL << 20 },
	{ "16kb", 0, 16384 },
	{ "16k", 0, 16384 },
	{ "1gb", 0, 1ULL << 30 },
	{ "3g", 0, 3ULL << 30 },
	{ "7b", 0, 7 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "17179869183gb", 0, 17179869183ULL << 30 },
	{ "", -1, 0 },
	{ "mb", -1, 0 },
	{ "-1", -1, 0 },
	{ " 5", -1, 0 },
	{ "1.5mb", -1, 0 },
	{ "5tb", -1, 0 },
	{ "5 mb x", -1, 0 },
	{ "0x10", -1, 0 },
	{ "18446744073709551616", -1, 0 },
	{ "17179869184gb", -1, 0 },
	{ "99999999999999999999999999999999999999", -1, 0 },
};

static const struct num_row dur_rows[] = {
	{ "0", 0, 0 },
	{ "45", 0, 45 },
	{ "30s", 0, 30 },
	{ "5m", 0, 300 },
	{ "5M", 0, 300 },
	{ "2h", 0, 7200 },
	{ "1d", 0, 86400 },
	{ "10 s", 0, 10 },
	{ "", -1, 0 },
	{ "s", -1, 0 },
	{ "5w", -1, 0 },
	{ "5ms", -1, 0 },
	{ "1.5h", -1, 0 },
	{ "-5", -1, 0 },
	{ "213503982334602d", -1, 0 },
};

static void test_sizes(void **state)
{
	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(size_rows); i++) {
		uint64_t v = 12345;
		int rc = config_parse_size(size_rows[i].in, &v);
		if (rc != size_rows[i].rc || (rc == 0 && v != size_rows[i].want))
			fail_msg("size \"%s\": rc %d value %llu", size_rows[i].in, rc, (unsigned long long)v);
	}
}

static void test_durations(void **state)
{
	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(dur_rows); i++) {
		uint64_t v = 12345;
		int rc = config_parse_duration(dur_rows[i].in, &v);
		if (rc != dur_rows[i].rc || (rc == 0 && v != dur_rows[i].want))
			fail_msg("duration \"%s\": rc %d value %llu", dur_rows[i].in, rc, (unsigned long long)v);
	}
}

/* ------------------------------------------------------------------ */
/* --set                                                               */

struct set_row {
	const char *in;
	int rc;
	const char *why; /* error fragment */
};

static const struct set_row set_rows[] = {
	{ "flow.max-flows=1000", 0, NULL },
	{ "flow.timeouts.udp=10m", 0, NULL },
	{ "stream.memcap=1gb", 0, NULL },
	{ "outputs.eve.enabled=off", 0, NULL },
	{ "outputs.eve.filename=x.json", 0, NULL },
	{ "outputs.eve.types=sip, flow,alert", 0, NULL },
	{ "vars.address-groups.PBX=192.0.2.5", 0, NULL },
	{ "vars.port-groups.SIP_PORTS=5060", 0, NULL },
	{ "nfq.bypass-mark=0x10", 0, NULL },
	{ "nfq.fail-open=false", 0, NULL },
	{ "nfq.engine-per-queue=true", 0, NULL },
	{ "nfq.engine-per-queue=maybe", -1, "nfq.engine-per-queue" },
	{ "nfq.vlan-mark=0x2000", 0, NULL },
	{ "nfq.vlan-mark=0x1001", -1, "one bit above the 12 of the VLAN id" },
	{ "nfq.vlan-mark=0x3000", -1, "one bit above the 12 of the VLAN id" },
	{ "ips.reject-sip-code=488", 0, NULL },
	{ "nfq.bypass-mark=0x", -1, "expected an unsigned integer" },
	{ "nfq.bypass-mark=0x1g", -1, "expected an unsigned integer" },
	{ "nfq.bypass-mark=0x100000000", -1, "out of range" },
	{ "ips.reject-sip-code=200", -1, "out of range" },
	{ "flow.max-flows", -1, "--set flow.max-flows: expected KEY=VALUE" },
	{ "=5", -1, "expected KEY=VALUE" },
	{ "flow.max-flow=5", -1, "--set flow.max-flow: unknown key (did you mean \"flow.max-flows\"?)" },
	{ "nothing.like.it=5", -1, "--set nothing.like.it: unknown key" },
	{ "flow=5", -1, "unknown key" },
	{ "flow.max-flows=0", -1, "--set flow.max-flows: 0 is out of range" },
	{ "flow.max-flows=abc", -1, "expected an unsigned integer" },
	{ "flow.max-flows=", -1, "expected an unsigned integer" },
	{ "outputs.eve.types=sip,dns", -1, "unknown event type \"dns\"" },
	{ "outputs.eve.types=call,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip,sip", -1,
	  "too many items" },
	{ "outputs.eve.filename=/tmp/x", -1, "a file name, not a path" },
	{ "vars.address-groups=x", -1, "expected a mapping" },
	{ "vars.address-groups.BAD-NAME=x", -1, "letters, digits and _ only" },
	{ "vars.nosuch.X=1", -1, "unknown key" },
};

static void test_set(void **state)
{
	struct sw_config c;
	(void)state;

	config_defaults(&c);
	for (size_t i = 0; i < SW_ARRAY_SIZE(set_rows); i++) {
		char err[512] = "";
		int rc = config_set(&c, set_rows[i].in, err, sizeof(err));
		if (rc != set_rows[i].rc)
			fail_msg("--set %s: rc %d (%s)", set_rows[i].in, rc, err);
		if (set_rows[i].why && !strstr(err, set_rows[i].why))
			fail_msg("--set %s: want \"%s\" in \"%s\"", set_rows[i].in, set_rows[i].why, err);
	}
	/* The successful rows took effect; the failed ones changed nothing. */
	assert_int_equal(c.flow.max_flows, 1000);
	assert_int_equal(c.nfq.bypass_mark, 16);
	assert_int_equal(c.nfq.fail_open, 0);
	assert_int_equal(c.nfq.engine_per_queue, 1);
	assert_int_equal(c.nfq.vlan_mark, 0x2000);
	assert_int_equal(c.ips.reject_sip_code, 488);
	assert_int_equal(c.flow.timeouts.udp, 600);
	assert_int_equal(c.stream.memcap, 1ULL << 30);
	assert_int_equal(c.outputs.eve.enabled, 0);
	assert_string_equal(c.outputs.eve.filename, "x.json");
	assert_int_equal(c.outputs.eve.n_types, 3);
	assert_string_equal(c.outputs.eve.types[2], "alert");
	assert_int_equal(c.vars.n_address_groups, 9);
	assert_string_equal(c.vars.address_groups[8].value, "192.0.2.5");
	assert_string_equal(c.vars.port_groups[0].value, "5060");
	config_free(&c);
}

/* ------------------------------------------------------------------ */
/* Dump and load back                                                  */

static void dump_to(const struct sw_config *c, const char *path)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	config_dump(c, f);
	assert_int_equal(fclose(f), 0);
}

static void assert_same(const struct sw_config *a, const struct sw_config *b)
{
	/* Every scalar member, then the lists and variables. */
	assert_memory_equal(&a->flow, &b->flow, sizeof(a->flow));
	assert_memory_equal(&a->defrag, &b->defrag, sizeof(a->defrag));
	assert_memory_equal(&a->stream, &b->stream, sizeof(a->stream));
	assert_memory_equal(&a->sip, &b->sip, sizeof(a->sip));
	assert_int_equal(a->outputs.eve.enabled, b->outputs.eve.enabled);
	assert_string_equal(a->outputs.eve.filename, b->outputs.eve.filename);
	assert_int_equal(a->outputs.eve.n_types, b->outputs.eve.n_types);
	for (unsigned i = 0; i < a->outputs.eve.n_types; i++)
		assert_string_equal(a->outputs.eve.types[i], b->outputs.eve.types[i]);
	assert_int_equal(a->outputs.stats.interval, b->outputs.stats.interval);
	assert_int_equal(a->vars.n_address_groups, b->vars.n_address_groups);
	for (unsigned i = 0; i < a->vars.n_address_groups; i++) {
		assert_string_equal(a->vars.address_groups[i].name, b->vars.address_groups[i].name);
		assert_string_equal(a->vars.address_groups[i].value, b->vars.address_groups[i].value);
	}
	assert_int_equal(a->vars.n_port_groups, b->vars.n_port_groups);
	for (unsigned i = 0; i < a->vars.n_port_groups; i++) {
		assert_string_equal(a->vars.port_groups[i].name, b->vars.port_groups[i].name);
		assert_string_equal(a->vars.port_groups[i].value, b->vars.port_groups[i].value);
	}
	assert_int_equal(a->logging.verbosity, b->logging.verbosity);
}

static void round_trip(const struct sw_config *a, const char *name)
{
	struct sw_config b;
	char path[256], err[512] = "";
	snprintf(path, sizeof(path), "%s/%s.yaml", tmpdir, name);
	dump_to(a, path);
	config_defaults(&b);
	if (config_load(&b, path, err, sizeof(err)) != 0)
		fail_msg("dump does not load back: %s", err);
	assert_same(a, &b);
	config_free(&b);
}

static void test_round_trip(void **state)
{
	static const char *const sets[] = {
		"flow.max-flows=777", "flow.hash-size=1024", "flow.timeouts.tcp-closed=1",
		"defrag.memcap=65536", "stream.max-ooo-segments=1", "sip.dialog-linger=0",
		"outputs.eve.enabled=false", "outputs.eve.filename=a \"quoted\" \\ name: #x.json",
		"outputs.eve.types=alert,drop", "outputs.stats.interval=0", "logging.verbosity=3",
		"vars.address-groups.HOME_NET=[10.0.0.0/8, \"odd\\\" value\"]",
		"vars.address-groups.TABS=a\tb\\n", "vars.port-groups.EMPTY=",
		"vars.port-groups.YAML_SPECIAL=- [&*!|>'%@`]: #",
	};
	struct sw_config a;
	char err[512];
	(void)state;

	/* The defaults themselves. */
	config_defaults(&a);
	round_trip(&a, "dump_defaults");
	/* Every key changed, strings with YAML and quoting specials. */
	for (size_t i = 0; i < SW_ARRAY_SIZE(sets); i++)
		if (config_set(&a, sets[i], err, sizeof(err)) != 0)
			fail_msg("%s: %s", sets[i], err);
	round_trip(&a, "dump_changed");
	config_free(&a);

	/* Empty list and no variables at all. */
	config_defaults(&a);
	assert_int_equal(config_set(&a, "outputs.eve.types=", err, sizeof(err)), 0);
	assert_int_equal(a.outputs.eve.n_types, 0);
	{
		struct sw_config b;
		char path[256];
		/* drop every variable: what a config without vars would hold */
		for (unsigned i = 0; i < a.vars.n_address_groups; i++) {
			free(a.vars.address_groups[i].name);
			free(a.vars.address_groups[i].value);
		}
		a.vars.n_address_groups = 0;
		snprintf(path, sizeof(path), "%s/dump_empty.yaml", tmpdir);
		dump_to(&a, path);
		config_defaults(&b);
		if (config_load(&b, path, err, sizeof(err)) != 0)
			fail_msg("empty lists do not load back: %s", err);
		assert_int_equal(b.outputs.eve.n_types, 0);
		/* variables merge into the defaults: the empty mapping changes nothing */
		assert_int_equal(b.vars.n_address_groups, 8);
		config_free(&b);
	}
	config_free(&a);
}

/* The dump names every key with its help text as a comment. */
static void test_dump_text(void **state)
{
	struct sw_config a;
	char path[256], *text;
	size_t len;
	(void)state;

	config_defaults(&a);
	snprintf(path, sizeof(path), "%s/dump_text.yaml", tmpdir);
	dump_to(&a, path);
	text = slurp_file(path, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "flow:\n  # flows tracked at once"));
	assert_non_null(strstr(text, "\n  max-flows: 65536\n"));
	assert_non_null(strstr(text, "\n  timeouts:\n    # idle UDP flow lifetime"));
	assert_non_null(strstr(text, "\n    filename: \"eve.json\"\n"));
	assert_non_null(strstr(text, "\n    types: [alert, drop, block, sip, call, flow, anomaly, stats]\n"));
	assert_non_null(strstr(text, "\n    EXTERNAL_NET: \"!$HOME_NET\"\n"));
	free(text);
	config_free(&a);
}

#define NAMED(n, f) { n, f, NULL, NULL, NULL }

int main(void)
{
	static const struct CMUnitTest extra[] = {
		NAMED("defaults", test_defaults),
		NAMED("load: valid file, sizes and durations, merge", test_load_valid),
		NAMED("load: empty file, null sections", test_load_empty),
		NAMED("load: missing file", test_load_missing_file),
		NAMED("sizes: 64mb, 16 KiB, overflow", test_sizes),
		NAMED("durations: 5m, 2h, 1d, overflow", test_durations),
		NAMED("--set: keys, lists, variables, errors", test_set),
		NAMED("dump: loads back to the same values", test_round_trip),
		NAMED("dump: keys with help comments", test_dump_text),
	};
	size_t ne = SW_ARRAY_SIZE(err_rows), n = SW_ARRAY_SIZE(extra) + ne, k = 0;
	struct CMUnitTest *t = calloc(n, sizeof(*t));
	int rc;

	assert_non_null(t);
	for (size_t i = 0; i < SW_ARRAY_SIZE(extra); i++, k++)
		t[k] = extra[i];
	for (size_t i = 0; i < ne; i++, k++) {
		t[k].name = err_rows[i].name;
		t[k].test_func = run_err;
		t[k].initial_state = (void *)&err_rows[i];
	}
	rc = _cmocka_run_group_tests("config", t, n, setup_dir, teardown_dir);
	free(t);
	return rc;
}
