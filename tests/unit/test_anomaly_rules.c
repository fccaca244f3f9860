/*
 * test_anomaly_rules.c - rules/anomaly.rules against the anomaly tables:
 * every named anomaly has exactly one rule (active, or shipped commented
 * out with a reason), sids are unique, and the active rules load.
 * Run from the repository root (tests/run.sh does).
 */
#include "test_util.h"

#include "anomaly.h"
#include "classification.h"
#include "config.h"
#include "detect.h"
#include "rule_parse.h"

static void test_every_anomaly_has_one_rule(void **state)
{
	size_t len;
	char *text = slurp_file("rules/anomaly.rules", &len);
	int bad = 0;
	(void)state;
	assert_non_null(text);
	for (unsigned id = 1; id < ANOM__COUNT; id++) {
		char needle[160];
		unsigned n = 0;
		const char *p = text;
		snprintf(needle, sizeof(needle), "anomaly:%s;", anomaly_name(id));
		while ((p = strstr(p, needle))) {
			n++;
			p++;
		}
		if (n != 1) {
			print_error("%s: %u rules\n", anomaly_name(id), n);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	free(text);
}

static void test_active_rules_load(void **state)
{
	struct sw_config cfg;
	struct rule_load_ctx c;
	struct rule_set rs;
	struct class_table *classes;
	(void)state;
	config_defaults(&cfg);
	detect_kw_setup();
	memset(&c, 0, sizeof(c));
	c.addr_vars = cfg.vars.address_groups;
	c.n_addr_vars = cfg.vars.n_address_groups;
	c.port_vars = cfg.vars.port_groups;
	c.n_port_vars = cfg.vars.n_port_groups;
	c.errs = stderr;
	c.classes = classes = class_table_new();
	assert_non_null(classes);
	assert_int_equal(class_table_load(classes, "rules/classification.config", NULL), 0);
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(rule_set_load_file(&rs, "rules/anomaly.rules", &c), 0);
	/* One rule per anomaly minus the five checksum rules and the four
	 * inline overload records (not raised on packets) shipped commented out. */
	assert_int_equal(rs.n, ANOM__COUNT - 1 - 5 - 4);
	for (uint32_t i = 0; i < rs.n; i++) {
		assert_int_equal(rs.v[i]->gid, 300);
		for (uint32_t k = 0; k < i; k++)
			assert_int_not_equal(rs.v[i]->sid, rs.v[k]->sid);
	}
	rule_set_free(&rs);
	class_table_free(classes);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_anomaly_has_one_rule),
		cmocka_unit_test(test_active_rules_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
