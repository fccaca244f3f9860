/*
 * classification.c - the classification file (see classification.h).
 *
 * Parsed by hand rather than with Suricata's regex so that an error can
 * say which column is wrong; the accepted language is the regex's
 *   ^\s*config\s*classification\s*:\s*([a-zA-Z][a-zA-Z0-9-_]*)\s*,\s*(.+)\s*,\s*(\d+)\s*$
 * with the description trimmed and the priority limited to 1..255.
 * A table holds some tens of classes and is only read at rule load, so
 * lookups are a linear scan.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classification.h"

struct class_ent {
	char *name; /* lowercase */
	char *desc;
	unsigned prio;
};

struct class_table {
	struct class_ent *v;
	unsigned n, cap;
	unsigned dups;
};

struct class_table *class_table_new(void)
{
	return calloc(1, sizeof(struct class_table));
}

void class_table_free(struct class_table *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].desc);
	}
	free(t->v);
	free(t);
}

static int find(const struct class_table *t, const char *name, size_t len)
{
	for (unsigned i = 0; i < t->n; i++)
		if (strlen(t->v[i].name) == len && strncasecmp(t->v[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

int class_lookup(const struct class_table *t, const char *name, const char **desc,
                 unsigned *prio)
{
	int i;
	if (!t || !name)
		return -1;
	i = find(t, name, strlen(name));
	if (i < 0)
		return -1;
	if (desc)
		*desc = t->v[i].desc;
	if (prio)
		*prio = t->v[i].prio;
	return 0;
}

unsigned class_table_count(const struct class_table *t)
{
	return t ? t->n : 0;
}

int class_table_get(const struct class_table *t, unsigned idx, const char **name,
                    const char **desc, unsigned *prio)
{
	if (!t || idx >= t->n)
		return -1;
	if (name)
		*name = t->v[idx].name;
	if (desc)
		*desc = t->v[idx].desc;
	if (prio)
		*prio = t->v[idx].prio;
	return 0;
}

unsigned class_table_duplicates(const struct class_table *t)
{
	return t ? t->dups : 0;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

/* Suricata's \s: space, tab, CR, VT, FF (LF ends the line). */
static int is_sp(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static int is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

struct line {
	const char *p;
	size_t len;
	uint32_t no;
};

/* Records the first error; always returns -1. */
__attribute__((format(printf, 4, 5))) static int line_err(struct class_err *e,
                                                          const struct line *l, size_t col,
                                                          const char *fmt, ...)
{
	va_list ap;
	e->n_errors++;
	if (e->n_errors > 1)
		return -1;
	e->line = l->no;
	e->col = (uint32_t)col + 1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static size_t skip_sp(const struct line *l, size_t i)
{
	while (i < l->len && is_sp(l->p[i]))
		i++;
	return i;
}

static int word(const struct line *l, size_t i, const char *w)
{
	size_t n = strlen(w);
	return i + n <= l->len && memcmp(l->p + i, w, n) == 0;
}

static char *dup_range(const char *p, size_t n, int lower)
{
	char *s = malloc(n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		s[i] = lower && p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] - 'A' + 'a') : p[i];
	s[n] = '\0';
	return s;
}

static int parse_line(struct class_table *t, const struct line *l, struct class_err *e)
{
	size_t i = skip_sp(l, 0), name_at, name_len, desc_at, desc_end, comma = 0, prio_at, k;
	unsigned long prio = 0;
	struct class_ent ent;

	if (i == l->len || l->p[i] == '#')
		return 0;
	for (k = 0; k < l->len; k++)
		if (l->p[k] == '\0')
			return line_err(e, l, k, "NUL byte in line");
	if (!word(l, i, "config"))
		return line_err(e, l, i, "expected 'config classification:'");
	i = skip_sp(l, i + 6);
	if (!word(l, i, "classification"))
		return line_err(e, l, i, "expected 'classification' after 'config'");
	i = skip_sp(l, i + 14);
	if (i == l->len || l->p[i] != ':')
		return line_err(e, l, i, "expected ':' after 'config classification'");
	i = skip_sp(l, i + 1);

	name_at = i;
	if (i == l->len || !is_alpha(l->p[i]))
		return line_err(e, l, i, "a classtype name starts with a letter");
	while (i < l->len && (is_alpha(l->p[i]) || is_digit(l->p[i]) || l->p[i] == '-' ||
	                      l->p[i] == '_'))
		i++;
	name_len = i - name_at;
	if (name_len > CLASS_NAME_MAX)
		return line_err(e, l, name_at, "classtype name longer than %d characters",
		                CLASS_NAME_MAX);
	i = skip_sp(l, i);
	if (i == l->len || l->p[i] != ',')
		return line_err(e, l, i, "expected ',' after the classtype name (letters, digits, '-', '_')");
	i = skip_sp(l, i + 1);

	/* The description runs to the last ',' of the line. */
	desc_at = i;
	for (k = i; k < l->len; k++)
		if (l->p[k] == ',')
			comma = k + 1;
	if (!comma)
		return line_err(e, l, l->len, "expected ',priority' after the description");
	desc_end = comma - 1;
	while (desc_end > desc_at && is_sp(l->p[desc_end - 1]))
		desc_end--;
	if (desc_end == desc_at)
		return line_err(e, l, desc_at, "empty description");
	if (desc_end - desc_at > CLASS_DESC_MAX)
		return line_err(e, l, desc_at, "description longer than %d characters",
		                CLASS_DESC_MAX);

	prio_at = i = skip_sp(l, comma);
	while (i < l->len && is_digit(l->p[i])) {
		prio = prio * 10 + (unsigned long)(l->p[i] - '0');
		if (prio > 255)
			break;
		i++;
	}
	if (i == prio_at)
		return line_err(e, l, prio_at, "expected a priority number after the last ','");
	if (prio < 1 || prio > 255)
		return line_err(e, l, prio_at, "priority must be from 1 to 255");
	i = skip_sp(l, i);
	if (i != l->len)
		return line_err(e, l, i, "unexpected '%c' after the priority", l->p[i]);

	if (find(t, l->p + name_at, name_len) >= 0) {
		t->dups++; /* the first definition wins, as in Suricata */
		return 0;
	}
	if (t->n == t->cap) {
		unsigned ncap = t->cap ? t->cap * 2 : 64;
		struct class_ent *v = realloc(t->v, ncap * sizeof(*v));
		if (!v)
			return line_err(e, l, 0, "out of memory");
		t->v = v;
		t->cap = ncap;
	}
	ent.name = dup_range(l->p + name_at, name_len, 1);
	ent.desc = dup_range(l->p + desc_at, desc_end - desc_at, 0);
	ent.prio = (unsigned)prio;
	if (!ent.name || !ent.desc) {
		free(ent.name);
		free(ent.desc);
		return line_err(e, l, 0, "out of memory");
	}
	t->v[t->n++] = ent;
	return 0;
}

int class_table_parse(struct class_table *t, const char *text, size_t len, struct class_err *e)
{
	struct class_err dummy;
	size_t i = 0;
	uint32_t no = 0;
	if (!e)
		e = &dummy;
	memset(e, 0, sizeof(*e));
	if (!t)
		return -1;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		struct line l;
		l.p = text + i;
		l.len = nl ? (size_t)(nl - (text + i)) : len - i;
		l.no = ++no;
		parse_line(t, &l, e);
		i += l.len + (nl ? 1 : 0);
	}
	return e->n_errors ? -1 : 0;
}

int class_table_load(struct class_table *t, const char *path, struct class_err *e)
{
	struct class_err dummy;
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc;
	if (!e)
		e = &dummy;
	memset(e, 0, sizeof(*e));
	f = fopen(path, "rb");
	if (!f) {
		e->n_errors = 1;
		snprintf(e->msg, sizeof(e->msg), "cannot open: %s", strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			char *nb;
			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				e->n_errors = 1;
				snprintf(e->msg, sizeof(e->msg), "out of memory");
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		e->n_errors = 1;
		snprintf(e->msg, sizeof(e->msg), "read error");
		return -1;
	}
	fclose(f);
	rc = class_table_parse(t, buf, len, e);
	free(buf);
	return rc;
}
