/*
 * test_capture_nfq.c - the queue list parser behind -q (binding queues
 * needs root and a kernel queue: tests/e2e/ exercise that).
 */
#include "test_util.h"

#include "capture_nfq.h"

struct q_row {
	const char *in;
	int rc;
	unsigned n;
	uint16_t q[6];
	const char *why;
};

static const struct q_row rows[] = {
	{ "0", 0, 1, { 0 }, NULL },
	{ "3", 0, 1, { 3 }, NULL },
	{ "0:3", 0, 4, { 0, 1, 2, 3 }, NULL },
	{ "2:2", 0, 1, { 2 }, NULL },
	{ "1,4:5,9", 0, 4, { 1, 4, 5, 9 }, NULL },
	{ "65535", 0, 1, { 65535 }, NULL },
	{ "", -1, 0, { 0 }, "bad queue list" },
	{ "a", -1, 0, { 0 }, "bad queue list" },
	{ "3:1", -1, 0, { 0 }, "bad queue list" },
	{ "1:", -1, 0, { 0 }, "bad queue list" },
	{ "1,", -1, 0, { 0 }, "bad queue list" },
	{ "-1", -1, 0, { 0 }, "bad queue list" },
	{ "65536", -1, 0, { 0 }, "bad queue list" },
	{ "1 2", -1, 0, { 0 }, "bad queue list" },
	{ "1,1", -1, 0, { 0 }, "queue 1 given twice" },
	{ "0:2,1", -1, 0, { 0 }, "queue 1 given twice" },
	{ "0:6", -1, 0, { 0 }, "more than 6 queues" },
};

static void test_parse_queues(void **state)
{
	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(rows); i++) {
		uint16_t q[6];
		unsigned n = 0;
		char err[128] = "";
		int rc = nfq_parse_queues(rows[i].in, q, &n, 6, err, sizeof(err));
		if (rc != rows[i].rc)
			fail_msg("\"%s\": rc %d (%s)", rows[i].in, rc, err);
		if (rc == 0) {
			if (n != rows[i].n)
				fail_msg("\"%s\": %u queues, want %u", rows[i].in, n, rows[i].n);
			for (unsigned k = 0; k < n; k++)
				if (q[k] != rows[i].q[k])
					fail_msg("\"%s\": queue %u is %u, want %u", rows[i].in, k, q[k],
					         rows[i].q[k]);
		} else if (!strstr(err, rows[i].why)) {
			fail_msg("\"%s\": want \"%s\" in \"%s\"", rows[i].in, rows[i].why, err);
		}
	}
}

/* Repeated -q options append to one list, duplicates across them refused. */
static void test_repeated(void **state)
{
	uint16_t q[8];
	unsigned n = 0;
	char err[128];
	(void)state;
	assert_int_equal(nfq_parse_queues("0", q, &n, 8, err, sizeof(err)), 0);
	assert_int_equal(nfq_parse_queues("2:3", q, &n, 8, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(q[2], 3);
	assert_int_equal(nfq_parse_queues("3", q, &n, 8, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "given twice"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_queues),
		cmocka_unit_test(test_repeated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
