/*
 * fuzz_rule_parse - rule files: the input is the text of a rule file,
 * loaded with the default variables into a rule set and freed (every
 * keyword's setup and free run on hostile values). Loading never crashes,
 * leaks or reads past the text; errors go to /dev/null.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "detect.h"
#include "rule_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sw_config cfg;
static struct rule_load_ctx ctx;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_set rs;
	char *text;
	if (!ready) {
		config_defaults(&cfg);
		detect_kw_setup();
		ctx.addr_vars = cfg.vars.address_groups;
		ctx.n_addr_vars = cfg.vars.n_address_groups;
		ctx.port_vars = cfg.vars.port_groups;
		ctx.n_port_vars = cfg.vars.n_port_groups;
		ctx.max_rules = 64;
		ctx.signatures_path = "signatures";
		ctx.errs = fopen("/dev/null", "w");
		ready = 1;
	}
	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0'; /* a rule file is text: NULs end it, as they would */
	memset(&rs, 0, sizeof(rs));
	rule_set_load_string(&rs, "fuzz.rules", text, &ctx);
	rule_set_free(&rs);
	free(text);
	return 0;
}
