/*
 * detect_byte.c - byte_test, byte_jump and byte_extract, Suricata's syntax:
 *
 *   byte_test:<nbytes>,[!]<op>,<value>,<offset>[,relative][,big|little]
 *             [,string[,hex|dec|oct]][,bitmask <mask>]
 *       op: < > = <= >= & ^ (and "!" alone, "!=": not equal)
 *   byte_jump:<nbytes>,<offset>[,relative][,multiplier <n>][,big|little]
 *             [,string[,hex|dec|oct]][,align][,from_beginning|from_end]
 *             [,post_offset <n>][,bitmask <mask>]
 *   byte_extract:<nbytes>,<offset>,<name>[,relative][,multiplier <n>]
 *             [,big|little][,string[,hex|dec|oct]][,align 2|4]
 *
 * nbytes is 1..8 for binary reads (byte_jump also 0), up to 23 characters
 * with `string` (read with strtoull, as Suricata does: leading blanks and a
 * sign are accepted, the jump counts the characters actually used).
 * nbytes, offset and byte_test's value may name a byte_extract variable
 * defined earlier in the same buffer. `dce` is rejected: sipwire has no
 * DCE/RPC. Without a sticky buffer a relative keyword goes to the buffer of
 * the previous payload keyword, as in Suricata.
 *
 * The bitmask is applied to the value read, then shifted right by the
 * mask's trailing zero bits. byte_extract moves the cursor past what it
 * read, like Suricata's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detect_payload.h"

#define PREV_ANY                                                                              \
	((1u << PM_CONTENT) | (1u << PM_PCRE) | (1u << PM_BYTE_TEST) | (1u << PM_BYTE_JUMP) |       \
	 (1u << PM_BYTE_EXTRACT) | (1u << PM_ISDATAAT))

int byte_read(const struct byte_ctx *b, const uint8_t *buf, uint32_t len, int64_t pos,
              uint32_t nbytes, uint64_t *val, uint32_t *used)
{
	if (pos < 0 || pos > (int64_t)len || nbytes > len - (uint64_t)pos)
		return 0;
	if (b->flags & BF_STRING) {
		char tmp[24], *endp;
		unsigned long long v;
		if (nbytes == 0 || nbytes > 23)
			return 0;
		memcpy(tmp, buf + pos, nbytes);
		tmp[nbytes] = '\0';
		errno = 0;
		v = strtoull(tmp, &endp, b->base);
		if (endp == tmp || errno == ERANGE)
			return 0;
		*val = v;
		*used = (uint32_t)(endp - tmp);
		return 1;
	}
	if (nbytes > 8)
		return 0;
	*val = 0;
	for (uint32_t k = 0; k < nbytes; k++) {
		uint8_t byte = buf[pos + ((b->flags & BF_LITTLE) ? nbytes - 1 - k : k)];
		*val = (*val << 8) | byte;
	}
	*used = nbytes;
	return 1;
}

static void byte_free(void *ctx)
{
	struct byte_ctx *b = ctx;
	if (!b)
		return;
	free(b->name);
	free(b);
}

static int is_word(const char *s, uint32_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* "name value" option: 1 and the value field if s starts with name + blank. */
static int opt_arg(const char *s, uint32_t n, const char *name, uint32_t *voff, uint32_t *vlen)
{
	size_t l = strlen(name);
	uint32_t i;
	if (n <= l || memcmp(s, name, l) != 0 || (s[l] != ' ' && s[l] != '\t'))
		return 0;
	for (i = (uint32_t)l; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	*voff = i;
	*vlen = n - i;
	return 1;
}

static unsigned trailing_zeros(uint64_t v)
{
	return v ? (unsigned)__builtin_ctzll(v) : 0;
}

/*
 * Options after the positional fields, common to the three keywords.
 * which: 't' byte_test, 'j' byte_jump, 'e' byte_extract.
 */
static int parse_options(struct byte_ctx *b, char which, const char *val, const struct pm_field *f,
                         int nf, int first, struct rule_err *e)
{
	int base_set = 0;
	for (int k = first; k < nf; k++) {
		const char *s = val + f[k].off;
		uint32_t n = f[k].len, vo, vl;
		int64_t x;
		if (is_word(s, n, "relative")) {
			b->flags |= BF_RELATIVE;
		} else if (is_word(s, n, "big")) {
			b->flags &= ~BF_LITTLE;
		} else if (is_word(s, n, "little")) {
			b->flags |= BF_LITTLE;
		} else if (is_word(s, n, "string")) {
			b->flags |= BF_STRING;
		} else if (is_word(s, n, "hex") || is_word(s, n, "dec") || is_word(s, n, "oct")) {
			if (base_set)
				return rule_errf(e, f[k].off, "more than one number base given");
			base_set = 1;
			b->base = s[0] == 'h' ? 16 : s[0] == 'd' ? 10 : 8;
		} else if (is_word(s, n, "dce")) {
			return rule_errf(e, f[k].off, "dce is not supported (sipwire does not decode DCE/RPC)");
		} else if (which == 'j' && is_word(s, n, "align")) {
			b->flags |= BF_ALIGN;
		} else if (which == 'j' && is_word(s, n, "from_beginning")) {
			b->flags |= BF_BEGIN;
		} else if (which == 'j' && is_word(s, n, "from_end")) {
			b->flags |= BF_END;
		} else if (which != 't' && opt_arg(s, n, "multiplier", &vo, &vl)) {
			if (pm_parse_int(s + vo, vl, 0, 1, 65535, &x) != 0)
				return rule_errf(e, f[k].off + vo, "multiplier must be a number from 1 to 65535");
			b->multiplier = (uint32_t)x;
		} else if (which == 'j' && opt_arg(s, n, "post_offset", &vo, &vl)) {
			if (pm_parse_int(s + vo, vl, 0, -65535, 65535, &x) != 0)
				return rule_errf(e, f[k].off + vo,
				                 "post_offset must be a number from -65535 to 65535");
			b->post_offset = (int32_t)x;
		} else if (which != 'e' && opt_arg(s, n, "bitmask", &vo, &vl)) {
			if (pm_parse_int(s + vo, vl, 1, 1, UINT32_MAX, &x) != 0)
				return rule_errf(e, f[k].off + vo,
				                 "bitmask must be a number from 1 to 0xffffffff");
			b->flags |= BF_BITMASK;
			b->bitmask = (uint64_t)x;
			b->shift = (uint8_t)trailing_zeros(b->bitmask);
		} else if (which == 'e' && opt_arg(s, n, "align", &vo, &vl)) {
			if (pm_parse_int(s + vo, vl, 0, 2, 4, &x) != 0 || x == 3)
				return rule_errf(e, f[k].off + vo, "align must be 2 or 4");
			b->align = (uint8_t)x;
		} else {
			return rule_errf(e, f[k].off, "unknown option '%.*s'", (int)SW_MIN(n, 40), s);
		}
	}
	if (base_set && !(b->flags & BF_STRING))
		return rule_errf(e, 0, "a number base (hex/dec/oct) needs the 'string' option");
	if (!base_set)
		b->base = 10;
	if ((b->flags & BF_BEGIN) && (b->flags & BF_END))
		return rule_errf(e, 0, "from_beginning and from_end can't be used together");
	return 0;
}

static int check_nbytes(const struct byte_ctx *b, const char *kw, int allow0, uint32_t off,
                        struct rule_err *e)
{
	int64_t n = b->nbytes.v;
	if (b->nbytes.var >= 0)
		return 0;
	if (b->flags & BF_STRING) {
		if (n < 1 || n > 23)
			return rule_errf(e, off, "%s: nbytes must be 1 to 23 with string", kw);
	} else if (n > 8 || n < (allow0 ? 0 : 1)) {
		return rule_errf(e, off, "%s: nbytes must be %d to 8 without string", kw, allow0 ? 0 : 1);
	}
	return 0;
}

static struct byte_ctx *byte_new(int type)
{
	struct byte_ctx *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->h.type = (uint8_t)type;
	b->h.seq = pm_seq_next();
	b->multiplier = 1;
	b->nbytes.var = b->offset.var = b->value.var = -1;
	b->var = -1;
	return b;
}

/* The list the keyword goes to, with the previous content/pcre marked when
 * the keyword is relative. */
static struct sm_list *byte_list(struct rule *r, const struct byte_ctx *b, struct rule_err *e)
{
	struct sm_list *l = pm_target_list(r, (b->flags & BF_RELATIVE) != 0, PREV_ANY, e);
	if (l && (b->flags & BF_RELATIVE))
		pm_mark_prev(l, l->n, PM_NEXT_RELATIVE);
	return l;
}

static int parse_op(struct byte_ctx *b, const char *s, uint32_t n, uint32_t off, struct rule_err *e)
{
	static const struct {
		const char *t;
		uint8_t op;
	} ops[] = { { "<=", BT_LE }, { ">=", BT_GE }, { "<", BT_LT }, { ">", BT_GT },
		    { "=", BT_EQ },  { "&", BT_AND },  { "^", BT_OR } };
	if (n && s[0] == '!') {
		b->flags |= BF_NEGATED;
		s++;
		n--;
		off++;
		if (n == 0) { /* "!" alone: not equal */
			b->op = BT_EQ;
			return 0;
		}
	}
	for (unsigned k = 0; k < SW_ARRAY_SIZE(ops); k++)
		if (is_word(s, n, ops[k].t)) {
			b->op = ops[k].op;
			return 0;
		}
	return rule_errf(e, off, "unknown byte_test operator '%.*s' (< > = <= >= & ^, ! negates)",
	                 (int)SW_MIN(n, 8), s);
}

static int setup_byte_test(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_field f[12];
	int nf = pm_split(val, len, f, 12);
	struct byte_ctx *b;
	struct sm_list *l;

	if (nf < 4)
		return rule_errf(e, 0, "byte_test needs <nbytes>,<operator>,<value>,<offset>");
	b = byte_new(PM_BYTE_TEST);
	if (!b)
		return rule_errf(e, 0, "out of memory");
	if (parse_options(b, 't', val, f, nf, 4, e) != 0 ||
	    parse_op(b, val + f[1].off, f[1].len, f[1].off, e) != 0)
		goto fail;
	if (!(l = byte_list(r, b, e)))
		goto fail;
	if (pm_parse_val(l, l->n, val + f[0].off, f[0].len, 0, 0, 23, &b->nbytes, e, f[0].off) != 0 ||
	    check_nbytes(b, "byte_test", 0, f[0].off, e) != 0 ||
	    pm_parse_val(l, l->n, val + f[2].off, f[2].len, 1, 0, INT64_MAX, &b->value, e,
	                 f[2].off) != 0 ||
	    pm_parse_val(l, l->n, val + f[3].off, f[3].len, 0, -65535, 65535, &b->offset, e,
	                 f[3].off) != 0)
		goto fail;
	return pm_append(l, pm_kw_byte_test, 0, b, e);
fail:
	byte_free(b);
	return -1;
}

static int setup_byte_jump(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_field f[14];
	int nf = pm_split(val, len, f, 14);
	struct byte_ctx *b;
	struct sm_list *l;

	if (nf < 2)
		return rule_errf(e, 0, "byte_jump needs <nbytes>,<offset>");
	b = byte_new(PM_BYTE_JUMP);
	if (!b)
		return rule_errf(e, 0, "out of memory");
	if (parse_options(b, 'j', val, f, nf, 2, e) != 0)
		goto fail;
	if (!(l = byte_list(r, b, e)))
		goto fail;
	if (pm_parse_val(l, l->n, val + f[0].off, f[0].len, 0, 0, 23, &b->nbytes, e, f[0].off) != 0 ||
	    check_nbytes(b, "byte_jump", 1, f[0].off, e) != 0 ||
	    pm_parse_val(l, l->n, val + f[1].off, f[1].len, 0, -65535, 65535, &b->offset, e,
	                 f[1].off) != 0)
		goto fail;
	return pm_append(l, pm_kw_byte_jump, 0, b, e);
fail:
	byte_free(b);
	return -1;
}

static int setup_byte_extract(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_field f[12];
	int nf = pm_split(val, len, f, 12);
	struct byte_ctx *b;
	struct sm_list *l;
	const char *name;
	uint32_t nl;
	int nvars = 0;

	if (nf < 3)
		return rule_errf(e, 0, "byte_extract needs <nbytes>,<offset>,<name>");
	name = val + f[2].off;
	nl = f[2].len;
	if (nl == 0 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
	                 name[0] == '_'))
		return rule_errf(e, f[2].off, "byte_extract variable name must start with a letter");
	for (uint32_t k = 0; k < nl; k++)
		if (!((name[k] >= 'a' && name[k] <= 'z') || (name[k] >= 'A' && name[k] <= 'Z') ||
		      (name[k] >= '0' && name[k] <= '9') || name[k] == '_' || name[k] == '-' ||
		      name[k] == '.'))
			return rule_errf(e, f[2].off + k, "invalid character in byte_extract variable name");
	b = byte_new(PM_BYTE_EXTRACT);
	if (!b)
		return rule_errf(e, 0, "out of memory");
	if (parse_options(b, 'e', val, f, nf, 3, e) != 0)
		goto fail;
	if (!(l = byte_list(r, b, e)))
		goto fail;
	/* names are unique in the whole rule, indexes are per list */
	for (unsigned bi = 0; bi < r->n_bufs; bi++) {
		struct sm_list *ol = &r->bufs[bi].pm;
		if (pm_find_var(ol, ol->n, name, nl) >= 0) {
			rule_errf(e, f[2].off, "byte_extract variable '%.*s' defined twice", (int)nl, name);
			goto fail;
		}
	}
	for (unsigned k = 0; k < l->n; k++) {
		struct pm_hdr *h = pm_hdr_of(&l->v[k]);
		if (h && h->type == PM_BYTE_EXTRACT)
			nvars++;
	}
	if (nvars >= PM_MAX_VARS) {
		rule_errf(e, f[2].off, "too many byte_extract variables in one buffer (max %d)",
		          PM_MAX_VARS);
		goto fail;
	}
	if (pm_parse_val(l, l->n, val + f[0].off, f[0].len, 0, 0, 23, &b->nbytes, e, f[0].off) != 0)
		goto fail;
	if (b->nbytes.var >= 0) {
		rule_errf(e, f[0].off, "byte_extract nbytes must be a number");
		goto fail;
	}
	if (check_nbytes(b, "byte_extract", 0, f[0].off, e) != 0 ||
	    pm_parse_val(l, l->n, val + f[1].off, f[1].len, 0, -65535, 65535, &b->offset, e,
	                 f[1].off) != 0)
		goto fail;
	if (b->offset.var >= 0) {
		rule_errf(e, f[1].off, "byte_extract offset must be a number");
		goto fail;
	}
	b->name = strndup(name, nl);
	if (!b->name) {
		rule_errf(e, 0, "out of memory");
		goto fail;
	}
	b->var = (int8_t)nvars;
	return pm_append(l, pm_kw_byte_extract, 0, b, e);
fail:
	byte_free(b);
	return -1;
}

static const struct det_kw kw_byte[] = {
	{ .name = "byte_test",
	  .flags = KW_PAYLOAD | KW_VALUE,
	  .setup = setup_byte_test,
	  .free = byte_free,
	  .help = "compare a number read from the buffer: byte_test:n,[!]op,value,offset[,...]" },
	{ .name = "byte_jump",
	  .flags = KW_PAYLOAD | KW_VALUE,
	  .setup = setup_byte_jump,
	  .free = byte_free,
	  .help = "move the cursor by a number read from the buffer: byte_jump:n,offset[,...]" },
	{ .name = "byte_extract",
	  .flags = KW_PAYLOAD | KW_VALUE,
	  .setup = setup_byte_extract,
	  .free = byte_free,
	  .help = "read a number into a variable for later keywords: byte_extract:n,offset,name[,...]" },
};

void detect_byte_register(void)
{
	pm_kw_byte_test = detect_kw_register(&kw_byte[0]);
	pm_kw_byte_jump = detect_kw_register(&kw_byte[1]);
	pm_kw_byte_extract = detect_kw_register(&kw_byte[2]);
}
