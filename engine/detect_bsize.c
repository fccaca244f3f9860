/*
 * detect_bsize.c - bsize: the length of the current sticky buffer.
 *
 *   bsize:N  bsize:=N  bsize:!N  bsize:!=N  bsize:<N  bsize:<=N
 *   bsize:>N  bsize:>=N  bsize:A<>B  bsize:A-B   (ranges are exclusive)
 *
 * Needs a sticky buffer, as in Suricata. Contents of the buffer written
 * before bsize that could never fit make the rule an error.
 */
#include <stdlib.h>
#include <string.h>

#include "detect_payload.h"

int bsize_test(const struct bsize_ctx *b, uint64_t n)
{
	switch (b->mode) {
	case BS_EQ: return n == b->lo;
	case BS_NE: return n != b->lo;
	case BS_LT: return n < b->lo;
	case BS_LE: return n <= b->lo;
	case BS_GT: return n > b->lo;
	case BS_GE: return n >= b->lo;
	case BS_RANGE: return n > b->lo && n < b->hi;
	}
	return 0;
}

static int num(const char *s, uint32_t n, uint64_t *out)
{
	int64_t v;
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || s[0] == '-' || s[0] == '+' || pm_parse_int(s, n, 0, 0, INT64_MAX, &v) != 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* The largest buffer size the test allows (UINT64_MAX: unbounded). */
static uint64_t bsize_max(const struct bsize_ctx *b)
{
	switch (b->mode) {
	case BS_EQ: case BS_LE: return b->lo;
	case BS_LT: return b->lo ? b->lo - 1 : 0;
	case BS_RANGE: return b->hi - 1;
	default: return UINT64_MAX;
	}
}

static int setup_bsize(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct bsize_ctx *b;
	struct sm_list *l;
	const char *sep;
	uint32_t i = 0;
	int bad;

	if (r->cur_buf < 0)
		return rule_errf(e, 0, "bsize needs a sticky buffer before it (e.g. sip.uri; bsize:<64;)");
	b = calloc(1, sizeof(*b));
	if (!b)
		return rule_errf(e, 0, "out of memory");
	b->h.type = PM_BSIZE;
	b->h.seq = pm_seq_next();
	if ((sep = memmem(val, len, "<>", 2)) != NULL ||
	    (len && val[0] != '-' && (sep = memchr(val, '-', len)) != NULL)) {
		uint32_t at = (uint32_t)(sep - val), w = sep[0] == '<' ? 2 : 1;
		b->mode = BS_RANGE;
		bad = num(val, at, &b->lo) != 0 || num(val + at + w, len - at - w, &b->hi) != 0;
		if (!bad && b->lo >= b->hi) {
			free(b);
			return rule_errf(e, 0, "bsize range: the first number must be below the second");
		}
	} else {
		if (len >= 2 && (memcmp(val, "<=", 2) == 0 || memcmp(val, ">=", 2) == 0 ||
		                 memcmp(val, "!=", 2) == 0)) {
			b->mode = val[0] == '<' ? BS_LE : val[0] == '>' ? BS_GE : BS_NE;
			i = 2;
		} else if (len && (val[0] == '<' || val[0] == '>' || val[0] == '=' || val[0] == '!')) {
			b->mode = val[0] == '<' ? BS_LT : val[0] == '>' ? BS_GT : val[0] == '=' ? BS_EQ : BS_NE;
			i = 1;
		} else {
			b->mode = BS_EQ;
		}
		bad = num(val + i, len - i, &b->lo) != 0;
	}
	if (bad) {
		free(b);
		return rule_errf(e, i, "bsize expects N, <N, <=N, >N, >=N, !N or A<>B");
	}
	if (!(l = rule_payload_list(r, e))) {
		free(b);
		return -1;
	}
	for (unsigned k = 0; k < l->n; k++) {
		struct pm_hdr *h = pm_hdr_of(&l->v[k]);
		const struct content_ctx *c = (const struct content_ctx *)h;
		if (h && h->type == PM_CONTENT && !(c->flags & CF_NEGATED) && c->len > bsize_max(b)) {
			free(b);
			return rule_errf(e, 0, "bsize can never match: a content of this buffer is %u bytes",
			                 c->len);
		}
	}
	return pm_append(l, pm_kw_bsize, 0, b, e);
}

static const struct det_kw kw_bsize = {
	.name = "bsize",
	.flags = KW_PAYLOAD | KW_VALUE,
	.setup = setup_bsize,
	.free = free,
	.help = "test the sticky buffer's length: bsize:N, <N, >N, <=N, >=N, !N, A<>B",
};

void detect_bsize_register(void)
{
	pm_kw_bsize = detect_kw_register(&kw_bsize);
}
