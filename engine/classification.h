/*
 * classification.h - the classification file: classtype short names, the
 * description EVE reports as alert.category and the default priority
 * (alert.severity) of rules of that class.
 *
 * Suricata's format (util-classification-config.c), one entry a line:
 *
 *     config classification: shortname,description,priority
 *
 * Blank lines and lines whose first non-blank is '#' are skipped. The name
 * is a letter then letters, digits, '-' and '_'; the description runs to
 * the last ',' of the line (so it may contain commas); the priority is a
 * number from 1 to 255. Names are case-insensitive (stored lowercase). As
 * in Suricata, when a name is defined twice the first definition wins and
 * the later one is ignored (counted as a duplicate).
 */
#ifndef SW_CLASSIFICATION_H
#define SW_CLASSIFICATION_H

#include <stddef.h>
#include <stdint.h>

#define CLASS_NAME_MAX 64
#define CLASS_DESC_MAX 512

struct class_table;

/* The first problem of a parse: where (1-based line and byte column; line
 * 0 when the file itself could not be read) and what, and how many lines
 * were rejected in all. */
struct class_err {
	uint32_t line, col;
	unsigned n_errors;
	char msg[200];
};

/* An empty table (NULL when out of memory). */
struct class_table *class_table_new(void);

/*
 * Adds the entries of text[0..len) (a whole file, need not be
 * NUL-terminated) to t. Good lines are added even when others are bad.
 * Returns 0, or -1 with e describing the first bad line (e may be NULL).
 */
int class_table_parse(struct class_table *t, const char *text, size_t len, struct class_err *e);

/* class_table_parse() on the contents of file path. */
int class_table_load(struct class_table *t, const char *path, struct class_err *e);

/*
 * Looks up name (any case). Returns 0 and sets *desc (owned by t, valid
 * until class_table_free) and *prio, or -1 if there is no such class.
 * desc or prio may be NULL.
 */
int class_lookup(const struct class_table *t, const char *name, const char **desc,
                 unsigned *prio);

/* Number of classes; the idx-th in file order (0, or -1 past the end). */
unsigned class_table_count(const struct class_table *t);
int class_table_get(const struct class_table *t, unsigned idx, const char **name,
                    const char **desc, unsigned *prio);
/* Definitions ignored because the name was already defined. */
unsigned class_table_duplicates(const struct class_table *t);

/* NULL-safe. */
void class_table_free(struct class_table *t);

#endif
