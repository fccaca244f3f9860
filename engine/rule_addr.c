/*
 * rule_addr.c - address and port specs of rule headers (see rule_addr.h
 * for the syntax and its Suricata meaning).
 *
 * One engine serves both: a spec is parsed by recursive descent into two
 * groups of ranges, positive and negated, each with one range list per
 * family (IPv4 and IPv6 for addresses, a single one for ports). Values are
 * held as 128-bit unsigned numbers so the same sort/merge/subtract code
 * works for IPv4, IPv6 and ports. A negated list or variable is resolved
 * on its own (positives minus negated) before its result joins the
 * parent's negated group; everything else is flattened into the parent, as
 * Suricata's DetectAddressParse2() does.
 *
 * Errors carry the byte offset of the offending element in the text the
 * caller passed; a problem inside a variable's value is reported at the
 * '$' that referenced it, the message naming the variable chain.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "rule_addr.h"

typedef struct u128 {
	uint64_t hi, lo;
} u128;

static inline int u_cmp(u128 a, u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static inline u128 u_inc(u128 a)
{
	if (++a.lo == 0)
		a.hi++;
	return a;
}

static inline u128 u_dec(u128 a)
{
	if (a.lo-- == 0)
		a.hi--;
	return a;
}

static inline u128 u_make(uint64_t hi, uint64_t lo)
{
	u128 r = { hi, lo };
	return r;
}

/* ------------------------------------------------------------------ */
/* Range lists                                                         */

struct rng {
	u128 lo, hi;
};

struct rs {
	struct rng *v;
	uint32_t n, cap;
};

enum { F_V4 = 0, F_V6 = 1, NFAM = 2 };

/* One group: a range list per family (ports use f[0] only). */
struct grp {
	struct rs f[NFAM];
};

static int rs_add(struct rs *r, u128 lo, u128 hi)
{
	if (r->n == r->cap) {
		uint32_t ncap = r->cap ? r->cap * 2 : 8;
		struct rng *v = realloc(r->v, ncap * sizeof(*v));
		if (!v)
			return -1;
		r->v = v;
		r->cap = ncap;
	}
	r->v[r->n].lo = lo;
	r->v[r->n].hi = hi;
	r->n++;
	return 0;
}

static void rs_free(struct rs *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static void grp_free(struct grp *g)
{
	for (int f = 0; f < NFAM; f++)
		rs_free(&g->f[f]);
}

static int rng_cmp(const void *a, const void *b)
{
	return u_cmp(((const struct rng *)a)->lo, ((const struct rng *)b)->lo);
}

/* Sorts and merges overlapping and adjacent ranges. */
static void rs_norm(struct rs *r)
{
	uint32_t k = 0;
	if (r->n < 2)
		return;
	qsort(r->v, r->n, sizeof(r->v[0]), rng_cmp);
	for (uint32_t i = 1; i < r->n; i++) {
		struct rng *cur = &r->v[k];
		const struct rng *nx = &r->v[i];
		int all_ones = cur->hi.hi == UINT64_MAX && cur->hi.lo == UINT64_MAX;
		if (u_cmp(nx->lo, cur->hi) <= 0 || all_ones || u_cmp(nx->lo, u_inc(cur->hi)) == 0) {
			if (u_cmp(nx->hi, cur->hi) > 0)
				cur->hi = nx->hi;
		} else {
			r->v[++k] = *nx;
		}
	}
	r->n = k + 1;
}

/* a = a minus b; both normalized, the result is too. 0 or -1 (memory). */
static int rs_sub(struct rs *a, const struct rs *b)
{
	struct rs out = { 0 };
	uint32_t j = 0;
	if (b->n == 0 || a->n == 0)
		return 0;
	for (uint32_t i = 0; i < a->n; i++) {
		u128 lo = a->v[i].lo, hi = a->v[i].hi;
		int done = 0;
		while (j < b->n && u_cmp(b->v[j].hi, lo) < 0)
			j++;
		for (uint32_t k = j; k < b->n && u_cmp(b->v[k].lo, hi) <= 0; k++) {
			if (u_cmp(b->v[k].lo, lo) > 0 && rs_add(&out, lo, u_dec(b->v[k].lo)) != 0)
				goto fail;
			if (u_cmp(b->v[k].hi, hi) >= 0) {
				done = 1;
				break;
			}
			lo = u_inc(b->v[k].hi);
		}
		if (!done && rs_add(&out, lo, hi) != 0)
			goto fail;
	}
	rs_free(a);
	*a = out;
	return 0;
fail:
	rs_free(&out);
	return -1;
}

static int rs_is_full(const struct rs *r, u128 max)
{
	return r->n == 1 && r->v[0].lo.hi == 0 && r->v[0].lo.lo == 0 && u_cmp(r->v[0].hi, max) == 0;
}

static int rs_append(struct rs *dst, const struct rs *src)
{
	for (uint32_t i = 0; i < src->n; i++)
		if (rs_add(dst, src->v[i].lo, src->v[i].hi) != 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Parser                                                              */

struct pctx {
	int ports;          /* 1: port spec, 0: address spec */
	unsigned nfam;      /* 1 for ports, 2 for addresses */
	u128 max[NFAM];
	const struct cfg_var *vars;
	unsigned nvars;
	unsigned stack[RULE_ADDR_MAX_DEPTH]; /* variables being expanded */
	unsigned nstack;
	unsigned depth;     /* lists + expansions open */
	uint32_t items;
	int err_final;      /* the message must not get variable prefixes */
	struct rule_err *e;
};

static const char *what(const struct pctx *c)
{
	return c->ports ? "port" : "address";
}

static int oom(struct pctx *c, uint32_t off)
{
	return rule_errf(c->e, off, "out of memory");
}

static int is_ws(char ch)
{
	return ch == ' ' || ch == '\t';
}

static void skip_ws(const char *s, uint32_t len, uint32_t *pos)
{
	while (*pos < len && is_ws(s[*pos]))
		(*pos)++;
}

static int is_name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

/* Resolves pos/neg (Suricata's MergeNot): pos becomes the result, neg is
 * freed. off is where the list being resolved starts. */
static int grp_resolve(struct pctx *c, struct grp *pos, struct grp *neg, uint32_t off)
{
	int left = 0;
	for (unsigned f = 0; f < c->nfam; f++) {
		rs_norm(&pos->f[f]);
		rs_norm(&neg->f[f]);
	}
	/* Suricata checks only the IPv4 space (and the single port space). */
	if (rs_is_full(&neg->f[0], c->max[0])) {
		grp_free(neg);
		return rule_errf(c->e, off, c->ports ? "every port is negated ('!any'?)"
		                                     : "the whole IPv4 space is negated ('!any'?)");
	}
	for (unsigned f = 0; f < c->nfam; f++) {
		if (pos->f[f].n == 0 && neg->f[f].n > 0 &&
		    rs_add(&pos->f[f], u_make(0, 0), c->max[f]) != 0)
			goto nomem;
		if (rs_sub(&pos->f[f], &neg->f[f]) != 0)
			goto nomem;
		left += pos->f[f].n > 0;
	}
	grp_free(neg);
	if (!left)
		return rule_errf(c->e, off, "no %s left after applying the negations", what(c));
	return 0;
nomem:
	grp_free(neg);
	return oom(c, off);
}

static int grp_append(struct pctx *c, struct grp *dst, const struct grp *src, uint32_t off)
{
	for (unsigned f = 0; f < c->nfam; f++)
		if (rs_append(&dst->f[f], &src->f[f]) != 0)
			return oom(c, off);
	return 0;
}

static int add_any(struct pctx *c, struct grp *g, uint32_t off)
{
	for (unsigned f = 0; f < c->nfam; f++)
		if (rs_add(&g->f[f], u_make(0, 0), c->max[f]) != 0)
			return oom(c, off);
	return 0;
}

/* An IP address (NUL-terminated) to family index and value. 0 or -1. */
static int ip_parse(const char *t, int *fam, u128 *v)
{
	uint8_t b[16];
	if (inet_pton(AF_INET, t, b) == 1) {
		*fam = F_V4;
		*v = u_make(0, (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3]);
		return 0;
	}
	if (strchr(t, ':') && inet_pton(AF_INET6, t, b) == 1) {
		uint64_t hi = 0, lo = 0;
		for (int i = 0; i < 8; i++) {
			hi = hi << 8 | b[i];
			lo = lo << 8 | b[8 + i];
		}
		*fam = F_V6;
		*v = u_make(hi, lo);
		return 0;
	}
	return -1;
}

/* The host-part mask of a /plen prefix in a family of width bits. */
static u128 host_mask(unsigned plen, unsigned width)
{
	if (width == 32)
		return u_make(0, plen >= 32 ? 0 : 0xffffffffULL >> plen);
	if (plen >= 128)
		return u_make(0, 0);
	if (plen >= 64)
		return u_make(0, plen == 64 ? UINT64_MAX : UINT64_MAX >> (plen - 64));
	return u_make(plen == 0 ? UINT64_MAX : UINT64_MAX >> plen, UINT64_MAX);
}

/* One address element (not `any`): a, a/len, a/netmask, a-b. */
static int parse_addr_elem(struct pctx *c, const char *tok, uint32_t tlen, uint32_t off,
                           struct grp *g)
{
	char buf[128];
	char *sep;
	int fam, fam2;
	u128 lo, hi;

	if (tlen >= sizeof(buf))
		return rule_errf(c->e, off, "address element too long (%u bytes)", tlen);
	memcpy(buf, tok, tlen);
	buf[tlen] = '\0';

	if ((sep = strchr(buf, '/')) != NULL) {
		unsigned width, plen = 0;
		const char *m = sep + 1;
		u128 hm;
		*sep = '\0';
		if (ip_parse(buf, &fam, &lo) != 0)
			return rule_errf(c->e, off, "invalid address '%s' in '%.*s'", buf, (int)tlen, tok);
		width = fam == F_V4 ? 32 : 128;
		if (*m && strspn(m, "0123456789") == strlen(m)) {
			if (strlen(m) > 3 || (plen = (unsigned)atoi(m)) > width)
				return rule_errf(c->e, off + (uint32_t)(m - buf),
				                 "prefix length /%s out of range for %s (0-%u)", m,
				                 fam == F_V4 ? "IPv4" : "IPv6", width);
		} else {
			u128 mv;
			int mf;
			uint32_t inv;
			if (fam != F_V4 || ip_parse(m, &mf, &mv) != 0 || mf != F_V4)
				return rule_errf(c->e, off + (uint32_t)(m - buf), "invalid prefix length '%s'",
				                 m);
			/* a dotted netmask: ones then zeros */
			inv = ~(uint32_t)mv.lo;
			if ((inv & (inv + 1)) != 0)
				return rule_errf(c->e, off + (uint32_t)(m - buf),
				                 "netmask %s is not contiguous", m);
			while (plen < 32 && ((uint32_t)mv.lo & (0x80000000u >> plen)))
				plen++;
		}
		/* Host bits are cleared, as Suricata does with 1.2.3.4/24. */
		hm = host_mask(plen, width);
		lo.hi &= ~hm.hi;
		lo.lo &= ~hm.lo;
		hi = u_make(lo.hi | hm.hi, lo.lo | hm.lo);
	} else if ((sep = strchr(buf, '-')) != NULL) {
		*sep = '\0';
		if (ip_parse(buf, &fam, &lo) != 0)
			return rule_errf(c->e, off, "invalid address '%s' in range '%.*s'", buf, (int)tlen,
			                 tok);
		if (ip_parse(sep + 1, &fam2, &hi) != 0)
			return rule_errf(c->e, off + (uint32_t)(sep + 1 - buf),
			                 "invalid address '%s' in range '%.*s'", sep + 1, (int)tlen, tok);
		if (fam != fam2)
			return rule_errf(c->e, off, "range '%.*s' mixes IPv4 and IPv6", (int)tlen, tok);
		if (u_cmp(lo, hi) > 0)
			return rule_errf(c->e, off, "range '%.*s' starts above its end", (int)tlen, tok);
	} else {
		if (ip_parse(buf, &fam, &lo) != 0)
			return rule_errf(c->e, off, "invalid address '%.*s'", (int)tlen, tok);
		hi = lo;
	}
	if (rs_add(&g->f[fam], lo, hi) != 0)
		return oom(c, off);
	return 0;
}

/* A decimal port at t[*i..]: 0 none there, 1 parsed, -1 error set. */
static int port_num(struct pctx *c, const char *t, uint32_t tlen, uint32_t *i, uint32_t off,
                    uint64_t *v)
{
	uint32_t st = *i;
	uint64_t n = 0;
	if (*i >= tlen || t[*i] < '0' || t[*i] > '9')
		return 0;
	while (*i < tlen && t[*i] >= '0' && t[*i] <= '9') {
		n = n * 10 + (uint64_t)(t[*i] - '0');
		if (n > 65535) {
			while (*i < tlen && t[*i] >= '0' && t[*i] <= '9')
				(*i)++;
			return rule_errf(c->e, off + st, "port %.*s out of range (0-65535)",
			                 (int)(*i - st), t + st);
		}
		(*i)++;
	}
	*v = n;
	return *i > st;
}

/* One port element (not `any`): N, N:, :N, N:M (blanks allowed around ':'). */
static int parse_port_elem(struct pctx *c, const char *tok, uint32_t tlen, uint32_t off,
                           struct grp *g)
{
	uint32_t i = 0;
	uint64_t lo = 0, hi = 65535;
	int have_lo, have_hi = 0, colon = 0;

	have_lo = port_num(c, tok, tlen, &i, off, &lo);
	if (have_lo < 0)
		return -1;
	while (i < tlen && is_ws(tok[i]))
		i++;
	if (i < tlen && tok[i] == ':') {
		colon = 1;
		i++;
		while (i < tlen && is_ws(tok[i]))
			i++;
		have_hi = port_num(c, tok, tlen, &i, off, &hi);
		if (have_hi < 0)
			return -1;
	}
	if (i != tlen || (!have_lo && !have_hi))
		return rule_errf(c->e, off, "invalid port '%.*s'", (int)tlen, tok);
	if (!colon)
		hi = lo;
	if (lo > hi)
		return rule_errf(c->e, off, "port range '%.*s' starts above its end", (int)tlen, tok);
	if (rs_add(&g->f[0], u_make(0, lo), u_make(0, hi)) != 0)
		return oom(c, off);
	return 0;
}

static int parse_list(struct pctx *c, const char *s, uint32_t len, uint32_t *pos, int64_t open,
                      struct grp *P, struct grp *N);

/* Prefixes e->msg with "$name: " (unless the message is final). */
static void err_in_var(struct pctx *c, const char *name)
{
	char tmp[RULE_ERR_MAX + 72];
	size_t n;
	if (c->err_final)
		return;
	snprintf(tmp, sizeof(tmp), "$%.64s: %s", name, c->e->msg);
	n = SW_MIN(strlen(tmp), sizeof(c->e->msg) - 1);
	memcpy(c->e->msg, tmp, n);
	c->e->msg[n] = '\0';
}

static int find_var(const struct pctx *c, const char *name, uint32_t nlen)
{
	for (unsigned i = 0; i < c->nvars; i++)
		if (c->vars[i].name && strlen(c->vars[i].name) == nlen &&
		    memcmp(c->vars[i].name, name, nlen) == 0)
			return (int)i;
	return -1;
}

/* Parses a whole text (top level or a variable's value) into P/N. */
static int parse_text(struct pctx *c, const char *s, uint32_t len, struct grp *P, struct grp *N)
{
	uint32_t pos = 0;
	skip_ws(s, len, &pos);
	if (pos == len)
		return rule_errf(c->e, 0, "empty %s", what(c));
	return parse_list(c, s, len, &pos, -1, P, N);
}

/* Expands variable vi (referenced at off) into P/N. */
static int expand_var(struct pctx *c, unsigned vi, uint32_t off, struct grp *P, struct grp *N)
{
	const char *name = c->vars[vi].name;
	const char *val = c->vars[vi].value ? c->vars[vi].value : "";
	int rc;

	for (unsigned i = 0; i < c->nstack; i++) {
		if (c->stack[i] == vi) {
			char chain[RULE_ERR_MAX];
			size_t n = 0;
			for (unsigned k = i; k < c->nstack && n < sizeof(chain); k++)
				n += (size_t)snprintf(chain + n, sizeof(chain) - n, "$%s -> ",
				                      c->vars[c->stack[k]].name);
			rule_errf(c->e, off, "variable loop: %s$%s", n < sizeof(chain) ? chain : "...",
			          name);
			c->err_final = 1;
			return -1;
		}
	}
	if (c->nstack >= RULE_ADDR_MAX_DEPTH) {
		rule_errf(c->e, off, "lists and variables nested deeper than %d", RULE_ADDR_MAX_DEPTH);
		c->err_final = 1;
		return -1;
	}
	if (!val[0] || strspn(val, " \t") == strlen(val))
		return rule_errf(c->e, off, "variable $%s is empty", name);
	c->stack[c->nstack++] = vi;
	rc = parse_text(c, val, (uint32_t)strlen(val), P, N);
	c->nstack--;
	if (rc != 0) {
		c->e->off = off;
		err_in_var(c, name);
	}
	return rc;
}

/* One element at s[*pos] (blanks already skipped). */
static int parse_item(struct pctx *c, const char *s, uint32_t len, uint32_t *pos, struct grp *P,
                      struct grp *N)
{
	uint32_t item = *pos;
	int neg = 0;
	char ch;

	if (++c->items > RULE_ADDR_MAX_ITEMS) {
		rule_errf(c->e, item, "more than %d elements after expanding variables",
		          RULE_ADDR_MAX_ITEMS);
		c->err_final = 1;
		return -1;
	}
	if (*pos < len && s[*pos] == '!') {
		neg = 1;
		(*pos)++;
		skip_ws(s, len, pos);
		if (*pos < len && s[*pos] == '!')
			return rule_errf(c->e, *pos, "double negation '!!'");
	}
	if (*pos == len || s[*pos] == ',' || s[*pos] == ']')
		return rule_errf(c->e, *pos < len ? *pos : item,
		                 neg ? "nothing after '!'" : "empty element in list");
	ch = s[*pos];

	if (ch == '[' || ch == '$') {
		struct grp tp = { 0 }, tn = { 0 };
		struct grp *dp = neg ? &tp : P, *dn = neg ? &tn : N;
		int rc;
		if (ch == '[') {
			uint32_t open = (*pos)++;
			rc = parse_list(c, s, len, pos, open, dp, dn);
		} else {
			uint32_t st = ++(*pos);
			int vi;
			while (*pos < len && is_name_char(s[*pos]))
				(*pos)++;
			if (*pos == st)
				return rule_errf(c->e, st - 1, "missing variable name after '$'");
			vi = find_var(c, s + st, *pos - st);
			if (vi < 0)
				return rule_errf(c->e, st - 1, "unknown %s variable $%.*s", what(c),
				                 (int)SW_MIN(*pos - st, 64), s + st);
			rc = expand_var(c, (unsigned)vi, st - 1, dp, dn);
		}
		if (rc == 0 && neg) {
			rc = grp_resolve(c, &tp, &tn, item);
			if (rc == 0)
				rc = grp_append(c, N, &tp, item);
		}
		grp_free(&tp);
		grp_free(&tn);
		return rc;
	}

	/* A plain element: up to the next ',' '[' ']' (and blank for an
	 * address; "80 : 82" is one port element), trailing blanks trimmed. */
	{
		uint32_t st = *pos, end;
		struct grp *g = neg ? N : P;
		while (*pos < len && s[*pos] != ',' && s[*pos] != '[' && s[*pos] != ']' &&
		       (c->ports || !is_ws(s[*pos])))
			(*pos)++;
		end = *pos;
		while (end > st && is_ws(s[end - 1]))
			end--;
		if (end - st == 3 && strncasecmp(s + st, "any", 3) == 0)
			return add_any(c, g, st);
		if (c->ports)
			return parse_port_elem(c, s + st, end - st, st, g);
		return parse_addr_elem(c, s + st, end - st, st, g);
	}
}

/*
 * Elements separated by ',' up to the ']' closing the '[' at offset open
 * (open < 0: up to the end of the text).
 */
static int parse_list(struct pctx *c, const char *s, uint32_t len, uint32_t *pos, int64_t open,
                      struct grp *P, struct grp *N)
{
	int rc = -1;
	if (c->depth >= RULE_ADDR_MAX_DEPTH) {
		rule_errf(c->e, open >= 0 ? (uint32_t)open : *pos,
		          "lists and variables nested deeper than %d", RULE_ADDR_MAX_DEPTH);
		c->err_final = 1;
		return -1;
	}
	c->depth++;
	skip_ws(s, len, pos);
	if (open >= 0 && *pos < len && s[*pos] == ']') {
		rule_errf(c->e, (uint32_t)open, "empty list '[]'");
		goto out;
	}
	for (;;) {
		skip_ws(s, len, pos);
		if (*pos == len && open >= 0) {
			rule_errf(c->e, (uint32_t)open, "'[' is never closed");
			goto out;
		}
		if (parse_item(c, s, len, pos, P, N) != 0)
			goto out;
		skip_ws(s, len, pos);
		if (*pos == len) {
			if (open >= 0) {
				rule_errf(c->e, (uint32_t)open, "'[' is never closed");
				goto out;
			}
			break;
		}
		if (s[*pos] == ',') {
			(*pos)++;
			continue;
		}
		if (s[*pos] == ']') {
			if (open < 0) {
				rule_errf(c->e, *pos, "']' without '['");
				goto out;
			}
			(*pos)++;
			break;
		}
		rule_errf(c->e, *pos, "expected ',' %sbefore '%c'", open >= 0 ? "or ']' " : "",
		          s[*pos]);
		goto out;
	}
	rc = 0;
out:
	c->depth--;
	return rc;
}

static void ctx_init(struct pctx *c, int ports, const struct cfg_var *vars, unsigned nvars,
                     struct rule_err *e)
{
	memset(c, 0, sizeof(*c));
	c->ports = ports;
	c->nfam = ports ? 1 : 2;
	c->max[F_V4] = u_make(0, ports ? 65535 : 0xffffffffULL);
	c->max[F_V6] = u_make(UINT64_MAX, UINT64_MAX);
	c->vars = vars;
	c->nvars = vars ? nvars : 0;
	c->e = e;
}

/* Parses and resolves s into P (normalized). */
static int parse_spec(struct pctx *c, const char *s, uint32_t len, struct grp *P)
{
	struct grp N = { 0 };
	if (!s)
		len = 0;
	if (parse_text(c, s, len, P, &N) != 0) {
		grp_free(&N);
		grp_free(P);
		return -1;
	}
	if (grp_resolve(c, P, &N, 0) != 0) {
		grp_free(P);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Addresses                                                           */

static void u_to_addr(u128 v, int fam, sw_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (fam == F_V4) {
		a->family = 4;
		for (int i = 0; i < 4; i++)
			a->a[i] = (uint8_t)(v.lo >> (24 - 8 * i));
	} else {
		a->family = 6;
		for (int i = 0; i < 8; i++) {
			a->a[i] = (uint8_t)(v.hi >> (56 - 8 * i));
			a->a[8 + i] = (uint8_t)(v.lo >> (56 - 8 * i));
		}
	}
}

/* Orders addresses: family, then value (IPv4 bytes past 4 are zero). */
static int addr_cmp(const sw_addr *x, const sw_addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, x->family == 4 ? 4 : 16);
}

int addr_set_parse(const char *s, uint32_t len, const struct cfg_var *vars, unsigned nvars,
                   struct addr_set *out, struct rule_err *e)
{
	struct pctx c;
	struct grp P = { 0 };
	struct rule_err dummy;
	uint32_t n, k = 0;

	memset(out, 0, sizeof(*out));
	ctx_init(&c, 0, vars, nvars, e ? e : &dummy);
	if (parse_spec(&c, s, len, &P) != 0)
		return -1;
	n = P.f[F_V4].n + P.f[F_V6].n;
	out->r = calloc(n, sizeof(*out->r));
	if (!out->r) {
		grp_free(&P);
		return oom(&c, 0);
	}
	for (int f = 0; f < NFAM; f++)
		for (uint32_t i = 0; i < P.f[f].n; i++, k++) {
			u_to_addr(P.f[f].v[i].lo, f, &out->r[k].lo);
			u_to_addr(P.f[f].v[i].hi, f, &out->r[k].hi);
		}
	out->n = n;
	out->any = rs_is_full(&P.f[F_V4], c.max[F_V4]) && rs_is_full(&P.f[F_V6], c.max[F_V6]);
	grp_free(&P);
	return 0;
}

int addr_set_match(const struct addr_set *s, const sw_addr *a)
{
	uint32_t lo = 0, hi;
	if (s->any)
		return 1;
	if (a->family != 4 && a->family != 6)
		return 0;
	/* The last range whose start is <= a. */
	hi = s->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (addr_cmp(&s->r[mid].lo, a) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	return s->r[lo - 1].lo.family == a->family && addr_cmp(a, &s->r[lo - 1].hi) <= 0;
}

void addr_set_free(struct addr_set *s)
{
	if (!s)
		return;
	free(s->r);
	memset(s, 0, sizeof(*s));
}

/* The prefix length if [lo,hi] is exactly one prefix, else -1. */
static int range_prefix(const sw_addr *lo, const sw_addr *hi)
{
	unsigned nb = lo->family == 4 ? 4 : 16, bits = 0;
	unsigned i = 0;
	/* common leading bits */
	while (i < nb && lo->a[i] == hi->a[i]) {
		bits += 8;
		i++;
	}
	if (i < nb) {
		uint8_t x = lo->a[i] ^ hi->a[i];
		uint8_t m = 0x80;
		while (m && !(x & m)) {
			bits++;
			m >>= 1;
		}
		/* below the common part: lo all zeros, hi all ones */
		for (unsigned b = bits; b < nb * 8; b++) {
			unsigned bi = b / 8, sh = 7 - b % 8;
			if ((lo->a[bi] >> sh & 1) != 0 || (hi->a[bi] >> sh & 1) != 1)
				return -1;
		}
	}
	return (int)bits;
}

/* snprintf at out[*n], counting what did not fit too. */
__attribute__((format(printf, 4, 5))) static void put(char *out, size_t cap, size_t *n,
                                                      const char *fmt, ...)
{
	va_list ap;
	int w;
	va_start(ap, fmt);
	w = vsnprintf(*n < cap ? out + *n : NULL, *n < cap ? cap - *n : 0, fmt, ap);
	va_end(ap);
	*n += w > 0 ? (size_t)w : 0;
}

#define PUT(...) put(out, cap, &n, __VA_ARGS__)

size_t addr_set_str(const struct addr_set *s, char *out, size_t cap)
{
	size_t n = 0;
	char a[SW_ADDR_STRLEN], b[SW_ADDR_STRLEN];
	if (cap)
		out[0] = '\0';
	if (s->any) {
		PUT("any");
		return n;
	}
	for (uint32_t i = 0; i < s->n; i++) {
		const struct addr_range *r = &s->r[i];
		int plen;
		sw_addr_str(&r->lo, a, sizeof(a));
		if (i)
			PUT(",");
		if (sw_addr_eq(&r->lo, &r->hi)) {
			PUT("%s", a);
		} else if ((plen = range_prefix(&r->lo, &r->hi)) >= 0) {
			PUT("%s/%d", a, plen);
		} else {
			sw_addr_str(&r->hi, b, sizeof(b));
			PUT("%s-%s", a, b);
		}
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Ports                                                               */

int port_set_parse(const char *s, uint32_t len, const struct cfg_var *vars, unsigned nvars,
                   struct port_set *out, struct rule_err *e)
{
	struct pctx c;
	struct grp P = { 0 };
	struct rule_err dummy;

	memset(out, 0, sizeof(*out));
	ctx_init(&c, 1, vars, nvars, e ? e : &dummy);
	if (parse_spec(&c, s, len, &P) != 0)
		return -1;
	out->r = calloc(P.f[0].n, sizeof(*out->r));
	if (!out->r) {
		grp_free(&P);
		return oom(&c, 0);
	}
	for (uint32_t i = 0; i < P.f[0].n; i++) {
		out->r[i].lo = (uint16_t)P.f[0].v[i].lo.lo;
		out->r[i].hi = (uint16_t)P.f[0].v[i].hi.lo;
	}
	out->n = P.f[0].n;
	out->any = rs_is_full(&P.f[0], c.max[0]);
	grp_free(&P);
	return 0;
}

int port_set_match(const struct port_set *s, uint16_t port)
{
	uint32_t lo = 0, hi = s->n;
	if (s->any)
		return 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->r[mid].lo <= port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && port <= s->r[lo - 1].hi;
}

void port_set_free(struct port_set *s)
{
	if (!s)
		return;
	free(s->r);
	memset(s, 0, sizeof(*s));
}

size_t port_set_str(const struct port_set *s, char *out, size_t cap)
{
	size_t n = 0;
	if (cap)
		out[0] = '\0';
	if (s->any) {
		PUT("any");
		return n;
	}
	for (uint32_t i = 0; i < s->n; i++) {
		if (i)
			PUT(",");
		if (s->r[i].lo == s->r[i].hi)
			PUT("%u", s->r[i].lo);
		else
			PUT("%u:%u", s->r[i].lo, s->r[i].hi);
	}
	return n;
#undef PUT
}

/* ------------------------------------------------------------------ */
/* Configuration check                                                 */

static int check_group(const struct cfg_var *v, unsigned n, int ports, const char *group,
                       char *err, size_t cap)
{
	for (unsigned i = 0; i < n; i++) {
		const char *name = v[i].name ? v[i].name : "";
		const char *val = v[i].value ? v[i].value : "";
		struct rule_err e;
		int rc;
		size_t nl = strlen(name);
		if (nl == 0 || nl > 64) {
			snprintf(err, cap, "vars.%s: variable name '%s' must be 1 to 64 characters", group,
			         name);
			return -1;
		}
		for (size_t k = 0; k < nl; k++)
			if (!is_name_char(name[k])) {
				snprintf(err, cap, "vars.%s.%s: a variable name is letters, digits and '_'",
				         group, name);
				return -1;
			}
		for (unsigned k = 0; k < i; k++)
			if (v[k].name && strcmp(v[k].name, name) == 0) {
				snprintf(err, cap, "vars.%s.%s: defined twice", group, name);
				return -1;
			}
		memset(&e, 0, sizeof(e));
		if (ports) {
			struct port_set ps;
			rc = port_set_parse(val, (uint32_t)strlen(val), v, n, &ps, &e);
			port_set_free(&ps);
		} else {
			struct addr_set as;
			rc = addr_set_parse(val, (uint32_t)strlen(val), v, n, &as, &e);
			addr_set_free(&as);
		}
		if (rc != 0) {
			snprintf(err, cap, "vars.%s.%s: \"%s\" at offset %u: %s", group, name, val, e.off,
			         e.msg);
			return -1;
		}
	}
	return 0;
}

int rule_vars_check(const struct cfg_var *a, unsigned na, const struct cfg_var *p, unsigned np,
                    char *err, size_t cap)
{
	if (cap)
		err[0] = '\0';
	if (check_group(a, a ? na : 0, 0, "address-groups", err, cap) != 0)
		return -1;
	return check_group(p, p ? np : 0, 1, "port-groups", err, cap);
}
