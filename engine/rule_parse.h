/*
 * rule_parse.h - reading rule files into compiled rules.
 *
 * Suricata's syntax: `action proto src sport -> dst dport (opt; opt:val;)`,
 * one rule per line, a trailing backslash continues a rule on the next line,
 * `#` starts a comment line. Every error names FILE:LINE:COLUMN and the
 * keyword; one bad rule never hides the next one's error (the loader goes
 * on and counts).
 */
#ifndef SW_RULE_PARSE_H
#define SW_RULE_PARSE_H

#include <stdio.h>

#include "config.h"
#include "detect_types.h"

struct class_table;

/* What rules are compiled against. Not owned. */
struct rule_load_ctx {
	const struct cfg_var *addr_vars;
	unsigned n_addr_vars;
	const struct cfg_var *port_vars;
	unsigned n_port_vars;
	const struct class_table *classes; /* NULL: classtype is an error */
	uint32_t max_rules;                /* 0 = no cap */
	const char *signatures_path;       /* where relative data set files are */
	FILE *errs;                        /* "FILE:LINE:COL: error: ..." lines */
};

/* A loaded set of rules, in file order. */
struct rule_set {
	struct rule **v;
	uint32_t n, cap;
	char **files;      /* file name strings the rules point at */
	uint32_t n_files;
	uint32_t n_errors;   /* rules rejected */
	uint32_t n_inactive; /* loaded, never match (protocols not inspected) */
	uint32_t n_skipped_cap; /* over max_rules */
};

/*
 * Parses one rule (a single logical line, NUL-terminated) against c. 
 * Returns the rule (caller frees with rule_free), or NULL with e set
 * (e->off is the byte offset in text of the problem). A comment or
 * blank line returns NULL with e->msg empty.
 */
struct rule *rule_parse(const char *text, const struct rule_load_ctx *c, struct rule_err *e);

/* Frees a rule and every sigmatch it owns. NULL is a no-op. */
void rule_free(struct rule *r);

/*
 * Appends the rules of file path to rs. Every rejected rule is printed to
 * c->errs as "path:line:col: error: msg" and counted in rs->n_errors.
 * Returns the number of rules rejected (0 when all loaded), or -1 when the
 * file cannot be read (message printed).
 */
int rule_set_load_file(struct rule_set *rs, const char *path, const struct rule_load_ctx *c);

/* Appends rules from a NUL-terminated string (name is used in messages). */
int rule_set_load_string(struct rule_set *rs, const char *name, const char *text,
                         const struct rule_load_ctx *c);

void rule_set_free(struct rule_set *rs);

/* The context of the load in progress (for setups that need it), or NULL. */
const struct rule_load_ctx *rule_load_current(void);

/*
 * Unquotes a keyword value: "..." with \" \; \\ escapes (other escapes are
 * an error), or an unquoted value as is. Writes a NUL-terminated malloc'd
 * string to *out. 0, or -1 with e set.
 */
int rule_unquote(const char *val, uint32_t len, char **out, struct rule_err *e);

#endif
