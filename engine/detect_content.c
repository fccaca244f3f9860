/*
 * detect_content.c - content, uricontent and the content modifiers
 * (nocase, depth, offset, distance, within, startswith, endswith,
 * fast_pattern, rawbytes), Suricata's syntax and checks.
 *
 * Value syntax: [!]"bytes", where |41 42| blocks are hex (blanks and commas
 * allowed between digit pairs), and \" \; \: \\ are the only escapes.
 *
 * A modifier applies to the most recent content of the rule, whichever
 * buffer it went to (so `uricontent:"/x"; nocase;` works). Checks, as in
 * Suricata: a modifier given twice on one content, an absolute modifier
 * (depth, offset, startswith) mixed with a relative one (distance, within)
 * on one content, a depth or within shorter than the pattern, values out of
 * range (depth/offset 0..65535, distance/within -1048576..1048576),
 * fast_pattern on two contents of one buffer, fast_pattern:only or a chop
 * on a negated content, and relative keywords around fast_pattern:only.
 *
 * Search. Case-sensitive patterns use glibc memmem (two-way, linear).
 * nocase patterns are kept lowercased with a Boyer-Moore-Horspool shift
 * table indexed by the lowercased text byte: linear in the common case,
 * sub-linear for long patterns, and exact for ASCII case folding (which is
 * what Suricata's nocase is).
 */
#include <stdlib.h>
#include <string.h>

#include "detect_payload.h"

#define DIST_MAX 1048576


static inline uint8_t lc(uint8_t c)
{
	return (uint8_t)(c + ((unsigned)(c - 'A') < 26u ? 32 : 0));
}

/* ------------------------------------------------------------------ */
/* Search                                                              */

int64_t content_search(const struct content_ctx *c, const uint8_t *hay, uint32_t n)
{
	const uint32_t m = c->len;
	if (m == 0 || m > n)
		return -1;
	if (!(c->flags & CF_NOCASE)) {
		const uint8_t *p = memmem(hay, n, c->pat, m);
		return p ? p - hay : -1;
	}
	for (uint32_t i = 0; i + m <= n;) {
		uint32_t j = m - 1;
		while (lc(hay[i + j]) == c->lpat[j]) {
			if (j == 0)
				return i;
			j--;
		}
		i += c->skip[lc(hay[i + m - 1])];
	}
	return -1;
}

int content_equal_at(const struct content_ctx *c, const uint8_t *hay)
{
	if (!(c->flags & CF_NOCASE))
		return memcmp(hay, c->pat, c->len) == 0;
	for (uint32_t j = 0; j < c->len; j++)
		if (lc(hay[j]) != c->lpat[j])
			return 0;
	return 1;
}

static int content_set_nocase(struct content_ctx *c, struct rule_err *e)
{
	c->lpat = malloc(c->len);
	c->skip = malloc(256 * sizeof(*c->skip));
	if (!c->lpat || !c->skip)
		return rule_errf(e, 0, "out of memory");
	for (uint32_t j = 0; j < c->len; j++)
		c->lpat[j] = lc(c->pat[j]);
	for (unsigned b = 0; b < 256; b++)
		c->skip[b] = (uint16_t)c->len;
	for (uint32_t j = 0; j + 1 < c->len; j++)
		c->skip[c->lpat[j]] = (uint16_t)(c->len - 1 - j);
	c->flags |= CF_NOCASE;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Value parsing                                                       */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Parses [!]"..." into malloc'd bytes: 0 with out, olen and neg set, or -1 with e
 * (offsets inside val).
 */
static int parse_pattern(const char *val, uint32_t len, const char *kw, uint8_t **out,
                         uint32_t *olen, int *neg, struct rule_err *e)
{
	uint32_t i = 0, end, n = 0, hex_at = 0;
	int in_hex = 0, hi = -1;
	uint8_t *p;

	*neg = 0;
	if (i < len && val[i] == '!') {
		*neg = 1;
		i++;
		while (i < len && (val[i] == ' ' || val[i] == '\t'))
			i++;
	}
	if (i >= len || val[i] != '"')
		return rule_errf(e, i, "%s value must be enclosed in double quotes", kw);
	if (len - i < 2 || val[len - 1] != '"')
		return rule_errf(e, len ? len - 1 : 0, "%s value has no closing double quote", kw);
	end = len - 1;
	i++;
	if (i == end)
		return rule_errf(e, i, "%s is empty", kw);
	p = malloc(end - i);
	if (!p)
		return rule_errf(e, 0, "out of memory");
	for (; i < end; i++) {
		char ch = val[i];
		if (ch == '|') {
			if (in_hex && hi >= 0) {
				rule_errf(e, i, "incomplete hex byte in %s (odd number of hex digits)", kw);
				goto fail;
			}
			in_hex = !in_hex;
			hex_at = i;
			continue;
		}
		if (in_hex) {
			int d = hexval(ch);
			if (ch == ' ' || ch == '\t' || ch == ',') {
				if (hi >= 0) {
					rule_errf(e, i, "incomplete hex byte in %s (hex digits come in pairs)", kw);
					goto fail;
				}
				continue;
			}
			if (d < 0) {
				rule_errf(e, i, "invalid hex digit '%c' in %s", ch, kw);
				goto fail;
			}
			if (hi < 0) {
				hi = d;
			} else {
				p[n++] = (uint8_t)(hi << 4 | d);
				hi = -1;
			}
			continue;
		}
		if (ch == '\\') {
			if (i + 1 >= end) {
				rule_errf(e, i, "%s ends with a lone backslash", kw);
				goto fail;
			}
			ch = val[++i];
			if (ch != '"' && ch != ';' && ch != ':' && ch != '\\') {
				rule_errf(e, i - 1, "invalid escape '\\%c' in %s (only \\\" \\; \\: \\\\)", ch, kw);
				goto fail;
			}
			p[n++] = (uint8_t)ch;
			continue;
		}
		if (ch == '"') {
			rule_errf(e, i, "unescaped double quote inside %s", kw);
			goto fail;
		}
		p[n++] = (uint8_t)ch;
	}
	if (in_hex) {
		rule_errf(e, hex_at, "hex block not closed with '|' in %s", kw);
		goto fail;
	}
	if (n == 0) {
		rule_errf(e, 0, "%s is empty", kw);
		goto fail;
	}
	if (n > CONTENT_MAX_LEN) {
		rule_errf(e, 0, "%s is %u bytes long (max %u)", kw, n, CONTENT_MAX_LEN);
		goto fail;
	}
	*out = p;
	*olen = n;
	return 0;
fail:
	free(p);
	return -1;
}

static void content_free(void *ctx)
{
	struct content_ctx *c = ctx;
	if (!c)
		return;
	free(c->pat);
	free(c->lpat);
	free(c->skip);
	free(c);
}

static int add_content(struct rule *r, struct sm_list *l, const char *val, uint32_t len,
                       const char *kw, struct rule_err *e)
{
	struct content_ctx *c;
	uint8_t *pat = NULL;
	uint32_t n = 0;
	int neg;

	if (parse_pattern(val, len, kw, &pat, &n, &neg, e) != 0)
		return -1;
	c = calloc(1, sizeof(*c));
	if (!c) {
		free(pat);
		return rule_errf(e, 0, "out of memory");
	}
	c->h.type = PM_CONTENT;
	c->h.seq = pm_seq_next();
	c->pat = pat;
	c->len = n;
	c->depth.var = c->offset.var = c->distance.var = c->within.var = -1;
	if (neg)
		c->flags |= CF_NEGATED;
	(void)r;
	return pm_append(l, pm_kw_content, neg ? SM_NEGATED : 0, c, e);
}

static int setup_content(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct sm_list *l = rule_payload_list(r, e);
	if (!l)
		return -1;
	return add_content(r, l, val, len, "content", e);
}

/* uricontent: content in the http.uri buffer, without making it sticky. */
static int setup_uricontent(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	int id = detect_buf_find("http.uri", 8);
	struct sm_list *l;
	if (id < 0)
		return rule_errf(e, 0, "uricontent: the http.uri buffer is not registered");
	l = rule_buffer_list(r, (unsigned)id, e);
	if (!l)
		return -1;
	return add_content(r, l, val, len, "uricontent", e);
}

/* ------------------------------------------------------------------ */
/* Modifiers                                                           */

static struct content_ctx *last_content(struct rule *r, const char *kw, struct pm_pos *pos,
                                        struct rule_err *e)
{
	if (!pm_last(r, 1u << PM_CONTENT, pos)) {
		rule_errf(e, 0, "%s needs a preceding content", kw);
		return NULL;
	}
	return (struct content_ctx *)pos->l->v[pos->i].ctx;
}

static int check_absolute(const struct content_ctx *c, const char *kw, struct rule_err *e)
{
	if (c->flags & (CF_DISTANCE | CF_WITHIN))
		return rule_errf(e, 0, "%s can't be mixed with distance/within on the same content "
		                 "(absolute and relative)", kw);
	if (c->flags & CF_STARTSWITH)
		return rule_errf(e, 0, "%s can't be combined with startswith", kw);
	if (c->flags & CF_FAST_ONLY)
		return rule_errf(e, 0, "%s can't be used with fast_pattern:only", kw);
	return 0;
}

static int check_relative(struct content_ctx *c, struct pm_pos *pos, const char *kw,
                          struct rule_err *e)
{
	struct sigmatch *prev;
	if (c->flags & (CF_DEPTH | CF_OFFSET))
		return rule_errf(e, 0, "%s can't be mixed with %s on the same content "
		                 "(relative and absolute)", kw,
		                 (c->flags & CF_STARTSWITH) ? "startswith" : "depth/offset");
	if (c->flags & CF_FAST_ONLY)
		return rule_errf(e, 0, "%s can't be used with fast_pattern:only", kw);
	if ((c->flags & CF_NEGATED) && (c->flags & CF_FAST))
		return rule_errf(e, 0, "%s can't be used on a negated content with fast_pattern", kw);
	prev = pm_prev_in_list(pos->l, pos->i, (1u << PM_CONTENT) | (1u << PM_PCRE));
	if (prev && ((struct pm_hdr *)prev->ctx)->type == PM_CONTENT &&
	    (((struct content_ctx *)prev->ctx)->flags & CF_FAST_ONLY))
		return rule_errf(e, 0, "%s: the previous content has fast_pattern:only, nothing can be "
		                 "relative to it", kw);
	return 0;
}

static int setup_nocase(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_pos pos;
	struct content_ctx *c = last_content(r, "nocase", &pos, e);
	if (!c)
		return -1;
	if (c->flags & CF_NOCASE)
		return rule_errf(e, 0, "nocase given twice for the same content");
	return content_set_nocase(c, e);
}

static int setup_rawbytes(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_pos pos;
	struct content_ctx *c = last_content(r, "rawbytes", &pos, e);
	if (!c)
		return -1;
	if (c->flags & CF_RAWBYTES)
		return rule_errf(e, 0, "rawbytes given twice for the same content");
	c->flags |= CF_RAWBYTES; /* no effect: buffers are never decoded */
	return 0;
}

static int setup_depth(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_pos pos;
	struct content_ctx *c = last_content(r, "depth", &pos, e);
	if (!c)
		return -1;
	if ((c->flags & CF_DEPTH) && !(c->flags & CF_STARTSWITH))
		return rule_errf(e, 0, "depth given twice for the same content");
	if (check_absolute(c, "depth", e) != 0)
		return -1;
	if (len && val[0] == '-')
		return rule_errf(e, 0, "depth can't be negative");
	if (pm_parse_val(pos.l, pos.i, val, len, 0, 0, 65535, &c->depth, e, 0) != 0)
		return -1;
	if (c->depth.var < 0 && c->depth.v < (int64_t)c->len)
		return rule_errf(e, 0, "depth %lld is smaller than the content length %u: it can never match",
		                 (long long)c->depth.v, c->len);
	c->flags |= CF_DEPTH;
	return 0;
}

static int setup_offset(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_pos pos;
	struct content_ctx *c = last_content(r, "offset", &pos, e);
	if (!c)
		return -1;
	if (c->flags & CF_OFFSET)
		return rule_errf(e, 0, "offset given twice for the same content");
	if (check_absolute(c, "offset", e) != 0)
		return -1;
	if (len && val[0] == '-')
		return rule_errf(e, 0, "offset can't be negative");
	if (pm_parse_val(pos.l, pos.i, val, len, 0, 0, 65535, &c->offset, e, 0) != 0)
		return -1;
	c->flags |= CF_OFFSET;
	return 0;
}

static int setup_distance(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_pos pos;
	struct content_ctx *c = last_content(r, "distance", &pos, e);
	if (!c)
		return -1;
	if (c->flags & CF_DISTANCE)
		return rule_errf(e, 0, "distance given twice for the same content");
	if (check_relative(c, &pos, "distance", e) != 0)
		return -1;
	if (pm_parse_val(pos.l, pos.i, val, len, 0, -DIST_MAX, DIST_MAX, &c->distance, e, 0) != 0)
		return -1;
	c->flags |= CF_DISTANCE;
	/* a negated relative content may fail where a later occurrence of the
	 * previous one would not: let that one retry (Suricata does the same) */
	pm_mark_prev(pos.l, pos.i, (c->flags & CF_NEGATED) ? PM_NEXT_RELATIVE : PM_NEXT_DISTANCE);
	return 0;
}

static int setup_within(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_pos pos;
	struct content_ctx *c = last_content(r, "within", &pos, e);
	if (!c)
		return -1;
	if (c->flags & CF_WITHIN)
		return rule_errf(e, 0, "within given twice for the same content");
	if (check_relative(c, &pos, "within", e) != 0)
		return -1;
	if (pm_parse_val(pos.l, pos.i, val, len, 0, -DIST_MAX, DIST_MAX, &c->within, e, 0) != 0)
		return -1;
	if (c->within.var < 0 && c->within.v < (int64_t)c->len)
		return rule_errf(e, 0, "within %lld is less than the content length %u: it can never match",
		                 (long long)c->within.v, c->len);
	c->flags |= CF_WITHIN;
	pm_mark_prev(pos.l, pos.i, PM_NEXT_RELATIVE);
	return 0;
}

static int setup_startswith(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_pos pos;
	struct content_ctx *c = last_content(r, "startswith", &pos, e);
	if (!c)
		return -1;
	if (c->flags & CF_STARTSWITH)
		return rule_errf(e, 0, "startswith given twice for the same content");
	if (c->flags & (CF_DEPTH | CF_OFFSET))
		return rule_errf(e, 0, "startswith can't be combined with depth/offset");
	if (c->flags & (CF_DISTANCE | CF_WITHIN))
		return rule_errf(e, 0, "startswith can't be combined with distance/within");
	c->flags |= CF_STARTSWITH | CF_DEPTH;
	c->depth.var = -1;
	c->depth.v = c->len;
	return 0;
}

static int setup_endswith(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_pos pos;
	struct content_ctx *c = last_content(r, "endswith", &pos, e);
	if (!c)
		return -1;
	if (c->flags & CF_ENDSWITH)
		return rule_errf(e, 0, "endswith given twice for the same content");
	c->flags |= CF_ENDSWITH;
	return 0;
}

/* fast_pattern, fast_pattern:only, fast_pattern:<offset>,<length> */
static int setup_fast_pattern(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct pm_pos pos;
	struct content_ctx *c = last_content(r, "fast_pattern", &pos, e);
	if (!c)
		return -1;
	if (c->flags & CF_FAST)
		return rule_errf(e, 0, "fast_pattern given twice for the same content");
	for (unsigned i = 0; i < pos.l->n; i++) {
		struct pm_hdr *h = pm_hdr_of(&pos.l->v[i]);
		if (h && h->type == PM_CONTENT && (((struct content_ctx *)h)->flags & CF_FAST))
			return rule_errf(e, 0, "fast_pattern can be used on only one content of a buffer");
	}
	if (!val || len == 0) {
		if ((c->flags & CF_NEGATED) && (c->flags & (CF_DISTANCE | CF_WITHIN | CF_DEPTH | CF_OFFSET)))
			return rule_errf(e, 0, "fast_pattern can't be used on a negated content with "
			                 "depth/offset/distance/within");
	} else if (len == 4 && memcmp(val, "only", 4) == 0) {
		if (c->flags & CF_NEGATED)
			return rule_errf(e, 0, "fast_pattern:only can't be used on a negated content");
		if (c->flags & (CF_DISTANCE | CF_WITHIN | CF_DEPTH | CF_OFFSET))
			return rule_errf(e, 0, "fast_pattern:only can't be used with "
			                 "depth/offset/distance/within/startswith");
		if (c->h.next)
			return rule_errf(e, 0, "fast_pattern:only can't be used on a content that later "
			                 "keywords are relative to");
		c->flags |= CF_FAST_ONLY;
	} else {
		struct pm_field f[3];
		int64_t o, n;
		int k = pm_split(val, len, f, 3);
		if (k != 2)
			return rule_errf(e, 0, "expected fast_pattern, fast_pattern:only or "
			                 "fast_pattern:<offset>,<length>");
		if (pm_parse_int(val + f[0].off, f[0].len, 0, 0, 65535, &o) != 0)
			return rule_errf(e, f[0].off, "fast_pattern offset must be a number from 0 to 65535");
		if (pm_parse_int(val + f[1].off, f[1].len, 0, 1, 65535, &n) != 0)
			return rule_errf(e, f[1].off, "fast_pattern length must be a number from 1 to 65535");
		if (o + n > (int64_t)c->len)
			return rule_errf(e, 0, "fast_pattern offset+length (%lld) exceeds the content "
			                 "length %u", (long long)(o + n), c->len);
		if (c->flags & CF_NEGATED)
			return rule_errf(e, 0, "fast_pattern:<offset>,<length> can't be used on a "
			                 "negated content");
		c->fp_off = (uint16_t)o;
		c->fp_len = (uint16_t)n;
		c->flags |= CF_FAST_CHOP;
	}
	c->flags |= CF_FAST;
	return 0;
}

/* ------------------------------------------------------------------ */

static const struct det_kw kw_content = {
	.name = "content",
	.flags = KW_PAYLOAD | KW_VALUE | KW_NEGATABLE,
	.setup = setup_content,
	.free = content_free,
	.help = "match bytes in the current buffer: content:[!]\"text|hex|\";",
};

static const struct det_kw kw_uri = {
	.name = "uricontent",
	.flags = KW_PAYLOAD | KW_VALUE | KW_NEGATABLE,
	.setup = setup_uricontent,
	.free = content_free,
	.help = "content in http.uri (loads, never matches: sipwire does not inspect HTTP)",
};

#define MODIFIER(n, fl, fn, h) \
	{ .name = n, .flags = KW_MODIFIER | (fl), .setup = fn, .help = h }

static const struct det_kw kw_mods[] = {
	MODIFIER("nocase", KW_NOVALUE, setup_nocase, "the previous content ignores ASCII case"),
	MODIFIER("depth", KW_VALUE, setup_depth, "the previous content ends within N bytes of its offset"),
	MODIFIER("offset", KW_VALUE, setup_offset, "the previous content starts at or after byte N"),
	MODIFIER("distance", KW_VALUE, setup_distance,
	         "the previous content starts N bytes after the last match (N may be negative)"),
	MODIFIER("within", KW_VALUE, setup_within,
	         "the previous content ends within N bytes of the last match (+distance)"),
	MODIFIER("startswith", KW_NOVALUE, setup_startswith, "the previous content starts the buffer"),
	MODIFIER("endswith", KW_NOVALUE, setup_endswith, "the previous content ends the buffer"),
	MODIFIER("fast_pattern", 0, setup_fast_pattern,
	         "prefilter on the previous content (fast_pattern[:only|:off,len])"),
	MODIFIER("rawbytes", KW_NOVALUE, setup_rawbytes, "accepted for Snort compatibility, no effect"),
};

void detect_content_register(void)
{
	pm_kw_content = detect_kw_register(&kw_content);
	detect_kw_register(&kw_uri);
	for (unsigned i = 0; i < SW_ARRAY_SIZE(kw_mods); i++)
		detect_kw_register(&kw_mods[i]);
}
