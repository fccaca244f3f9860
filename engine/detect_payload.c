/*
 * detect_payload.c - the payload inspection engine: matches one buffer
 * against a rule's payload list (content, pcre, byte_test, byte_jump,
 * byte_extract, isdataat, bsize) with the semantics of Suricata's
 * detect-engine-content-inspection, plus the helpers the payload keyword
 * modules share at setup time and the per-thread scratch.
 *
 * Matching. The keywords of a list are evaluated in rule order; a cursor
 * (`off`, Suricata's buffer_offset) holds the end of the last match and is
 * what relative keywords count from. Each step returns
 *     1  the rest of the list matched,
 *     0  no match here, an earlier keyword may retry at its next occurrence,
 *    -1  no match and no retry can help (absolute keyword failed, or the
 *        recursion limit was reached): give up on the whole list.
 * When a content (or pcre) matched but what follows failed, it is retried at
 * its next occurrence only if a later keyword depends on its exact position
 * (within, pcre /R, byte_* or isdataat relative: PM_NEXT_WITHIN); a distance
 * alone does not, since the first occurrence already gave it the widest
 * window. Recursion depth is bounded by the list length (retries loop), and
 * the number of steps per buffer by PM_RECURSION_LIMIT, as in Suricata.
 *
 * Windows of a content (all in bytes of the buffer):
 *   absolute  [offset, offset + depth)  (startswith: [0, len))
 *   relative  [off + distance, off + distance + within), clamped to the
 *             buffer; a negative start is clamped to 0.
 * endswith requires the window to reach the buffer end and the pattern to
 * be its last bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "detect_payload.h"

int pm_kw_content = -1, pm_kw_pcre = -1, pm_kw_byte_test = -1, pm_kw_byte_jump = -1,
    pm_kw_byte_extract = -1, pm_kw_isdataat = -1, pm_kw_bsize = -1;

/* ------------------------------------------------------------------ */
/* Setup helpers                                                       */

struct pm_hdr *pm_hdr_of(const struct sigmatch *sm)
{
	int k = (int)sm->kw;
	if (!sm->ctx || k < 0)
		return NULL;
	if (k == pm_kw_content || k == pm_kw_pcre || k == pm_kw_byte_test || k == pm_kw_byte_jump ||
	    k == pm_kw_byte_extract || k == pm_kw_isdataat || k == pm_kw_bsize)
		return (struct pm_hdr *)sm->ctx;
	return NULL;
}

uint32_t pm_seq_next(void)
{
	static uint32_t seq;
	return __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
}

int pm_last(struct rule *r, unsigned types, struct pm_pos *pos)
{
	uint32_t best = 0;
	int found = 0;
	for (unsigned b = 0; b < r->n_bufs; b++) {
		struct sm_list *l = &r->bufs[b].pm;
		for (unsigned i = 0; i < l->n; i++) {
			struct pm_hdr *h = pm_hdr_of(&l->v[i]);
			/* seq wraps after 4e9 keywords; compare as a difference */
			if (h && (types & (1u << h->type)) && (!found || (int32_t)(h->seq - best) > 0)) {
				best = h->seq;
				found = 1;
				pos->l = l;
				pos->i = i;
				pos->buf = b;
			}
		}
	}
	return found;
}

struct sigmatch *pm_prev_in_list(const struct sm_list *l, unsigned i, unsigned types)
{
	while (i-- > 0) {
		struct pm_hdr *h = pm_hdr_of(&l->v[i]);
		if (h && (types & (1u << h->type)))
			return &l->v[i];
	}
	return NULL;
}

void pm_mark_prev(struct sm_list *l, unsigned i, unsigned next)
{
	struct sigmatch *p = pm_prev_in_list(l, i, (1u << PM_CONTENT) | (1u << PM_PCRE));
	if (p)
		((struct pm_hdr *)p->ctx)->next |= (uint8_t)next;
}

struct sm_list *pm_target_list(struct rule *r, int relative, unsigned prev_types,
                               struct rule_err *e)
{
	struct pm_pos pos;
	if (r->cur_buf < 0 && relative && pm_last(r, prev_types, &pos))
		return pos.l;
	return rule_payload_list(r, e);
}

int pm_append(struct sm_list *l, int kw, unsigned flags, void *ctx, struct rule_err *e)
{
	const struct det_kw *k = kw >= 0 ? detect_kw_get((unsigned)kw) : NULL;
	if (kw >= 0 && sm_list_append(l, (unsigned)kw, flags, ctx, e) == 0)
		return 0;
	if (kw < 0)
		rule_errf(e, 0, "keyword not registered");
	if (k && k->free)
		k->free(ctx);
	return -1;
}

int pm_parse_int(const char *s, uint32_t n, int any_base, int64_t min, int64_t max, int64_t *out)
{
	uint32_t i = 0;
	int neg = 0, base = 10;
	uint64_t v = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (any_base && i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		base = 16;
		i += 2;
	} else if (any_base && i + 1 < n && s[i] == '0') {
		base = 8;
		i++;
	}
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		unsigned d;
		char c = s[i];
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		if (d >= (unsigned)base)
			return -1;
		if (v > (UINT64_MAX - d) / (unsigned)base)
			return -1;
		v = v * (unsigned)base + d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return -1;
		if (v == (uint64_t)INT64_MAX + 1) {
			if (min > INT64_MIN)
				return -1;
			*out = INT64_MIN;
			return 0;
		}
		if (-(int64_t)v < min)
			return -1;
		*out = -(int64_t)v;
		return 0;
	}
	/* max < 0 never happens for callers, but keep the compare signed-safe */
	if (v > (uint64_t)INT64_MAX || (int64_t)v > max || (int64_t)v < min)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int pm_find_var(const struct sm_list *l, unsigned before, const char *name, uint32_t n)
{
	if (!l)
		return -1;
	for (unsigned i = 0; i < before && i < l->n; i++) {
		struct pm_hdr *h = pm_hdr_of(&l->v[i]);
		if (h && h->type == PM_BYTE_EXTRACT) {
			const struct byte_ctx *b = (const struct byte_ctx *)h;
			if (strlen(b->name) == n && memcmp(b->name, name, n) == 0)
				return b->var;
		}
	}
	return -1;
}

int pm_parse_val(const struct sm_list *l, unsigned before, const char *s, uint32_t n,
                 int any_base, int64_t min, int64_t max, struct pm_val *out, struct rule_err *e,
                 uint32_t eoff)
{
	if (n && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) {
		int v = pm_find_var(l, before, s, n);
		if (v < 0)
			return rule_errf(e, eoff, "'%.*s' is not a number nor a byte_extract variable of this buffer",
			                 (int)SW_MIN(n, 64), s);
		out->var = (int8_t)v;
		out->v = 0;
		return 0;
	}
	out->var = -1;
	if (pm_parse_int(s, n, any_base, min, max, &out->v) != 0)
		return rule_errf(e, eoff, "expected a number from %lld to %lld, found '%.*s'",
		                 (long long)min, (long long)max, (int)SW_MIN(n, 64), s);
	return 0;
}

int pm_split(const char *s, uint32_t n, struct pm_field *f, int max)
{
	int k = 0;
	uint32_t i = 0;
	for (;;) {
		uint32_t a = i, b;
		while (i < n && s[i] != ',')
			i++;
		b = i;
		while (a < b && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
			b--;
		if (k >= max)
			return -1;
		f[k].off = a;
		f[k].len = b - a;
		k++;
		if (i >= n)
			return k;
		i++; /* the comma */
	}
}

/* ------------------------------------------------------------------ */
/* Thread scratch                                                      */

int detect_payload_thread_init(struct det_thread *t)
{
	struct pm_thread *pt;
	if (t->payload)
		return 0;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -1;
	if (pcre_thread_init(pt) != 0) {
		pcre_thread_free(pt);
		free(pt);
		return -1;
	}
	t->payload = pt;
	return 0;
}

void detect_payload_thread_free(struct det_thread *t)
{
	if (!t || !t->payload)
		return;
	pcre_thread_free(t->payload);
	free(t->payload);
	t->payload = NULL;
}

uint64_t detect_payload_pcre_limit_hits(const struct det_thread *t)
{
	const struct pm_thread *pt = t ? t->payload : NULL;
	return pt ? pt->pcre_limit_hits : 0;
}

uint64_t detect_payload_recursion_limit_hits(const struct det_thread *t)
{
	const struct pm_thread *pt = t ? t->payload : NULL;
	return pt ? pt->recursion_limit_hits : 0;
}

/* ------------------------------------------------------------------ */
/* The engine                                                          */

struct insp {
	struct det_thread *t;
	struct pm_thread *pt;
	const struct sm_list *l;
	const uint8_t *buf;
	uint32_t len;
	uint32_t off;   /* end of the last match: what relative keywords count from */
	uint32_t steps; /* keyword evaluations so far (PM_RECURSION_LIMIT) */
	uint64_t vars[PM_MAX_VARS];
};

/* Variable values are clamped so that sums with offsets cannot overflow;
 * anything this large is past any buffer anyway. */
#define PM_VAL_CLAMP ((int64_t)1 << 40)

static int64_t val_of(const struct insp *s, const struct pm_val *v)
{
	uint64_t x;
	if (v->var < 0)
		return v->v;
	x = s->vars[(unsigned)v->var % PM_MAX_VARS];
	return x > (uint64_t)PM_VAL_CLAMP ? PM_VAL_CLAMP : (int64_t)x;
}

static int inspect(struct insp *s, unsigned i);

/* The keyword at i matched: go on with the rest of the list. */
static int next(struct insp *s, unsigned i)
{
	if (i + 1 >= s->l->n)
		return 1;
	return inspect(s, i + 1);
}

/* A content that neither is relative nor has anything relative to it nor
 * any window: when negated and found, nothing later can change that. */
static int content_single(const struct content_ctx *c)
{
	return !(c->flags & (CF_DISTANCE | CF_WITHIN | CF_DEPTH | CF_OFFSET)) && !c->h.next;
}

static int do_content(struct insp *s, unsigned i, const struct content_ctx *c)
{
	const uint32_t prev = s->off;
	const int relative = (c->flags & (CF_DISTANCE | CF_WITHIN)) != 0;
	const int neg = (c->flags & CF_NEGATED) != 0;
	int64_t retry = 0;

	for (;;) {
		int64_t o, e, found = -1;
		if (relative) {
			int64_t dist = (c->flags & CF_DISTANCE) ? val_of(s, &c->distance) : 0;
			o = (int64_t)prev + dist;
			e = s->len;
			if (c->flags & CF_WITHIN) {
				int64_t we = (int64_t)prev + dist + val_of(s, &c->within);
				if (we < e)
					e = we;
			}
			if (o < 0)
				o = 0;
			if (e < 0)
				e = 0;
		} else {
			o = (c->flags & CF_OFFSET) ? val_of(s, &c->offset) : 0;
			e = (c->flags & CF_DEPTH) ? o + val_of(s, &c->depth) : (int64_t)s->len;
		}
		if (retry)
			o = retry;
		if (e > s->len)
			e = s->len;
		if (o > e || e == 0)
			return neg ? next(s, i) : 0;

		if (c->flags & CF_ENDSWITH) {
			if (e == s->len && e - o >= c->len && content_equal_at(c, s->buf + s->len - c->len))
				found = s->len - c->len;
		} else if (e - o >= c->len) {
			int64_t r = content_search(c, s->buf + o, (uint32_t)(e - o));
			if (r >= 0)
				found = o + r;
		}

		if (found < 0) {
			if (neg)
				return next(s, i);
			/* an absolute content is not found anywhere else either */
			return relative ? 0 : -1;
		}
		if (neg)
			return content_single(c) ? -1 : 0;

		s->off = (uint32_t)(found + c->len);
		if (i + 1 >= s->l->n)
			return 1;
		int r = inspect(s, i + 1);
		if (r != 0)
			return r;
		if (!(c->h.next & PM_NEXT_WITHIN))
			return -1;
		if (c->flags & CF_ENDSWITH)
			return 0; /* there is only one place it can be */
		retry = found + 1;
	}
}

static int do_pcre(struct insp *s, unsigned i, const struct pcre_ctx *p)
{
	const uint32_t base = (p->flags & PF_RELATIVE) ? s->off : 0;
	const uint8_t *subj = s->buf + base;
	const uint32_t n = s->len - base;
	uint32_t start = 0, ms, me;

	for (;;) {
		int r = start > n ? 0 : pcre_exec_at(s->t, p, subj, n, start, &ms, &me);
		if (p->flags & PF_NEGATED) {
			/* an error (limit) is not an absence: no match either way */
			return r == 0 ? next(s, i) : 0;
		}
		if (r != 1)
			return 0;
		s->off = base + me;
		if (!(p->h.next & PM_NEXT_RELATIVE))
			return next(s, i);
		r = next(s, i);
		if (r != 0)
			return r;
		start = ms + 1;
	}
}

static int do_isdataat(struct insp *s, unsigned i, const struct isdataat_ctx *d)
{
	const int neg = (d->flags & IF_NEGATED) != 0;
	const int var = d->at.var >= 0;
	int64_t at = val_of(s, &d->at);
	int present;

	if (var && at >= 100000000)
		return neg ? next(s, i) : 0;
	if (d->flags & IF_RELATIVE) {
		present = (int64_t)s->off + at <= (int64_t)s->len;
		if (present)
			return neg ? 0 : next(s, i);
		/* a later occurrence of the previous match only moves the cursor
		 * further: give up (Suricata does, for literal offsets) */
		return neg ? next(s, i) : (var ? 0 : -1);
	}
	present = at < (int64_t)s->len;
	if (present == !neg)
		return next(s, i);
	return var ? 0 : -1;
}

static uint64_t apply_bitmask(const struct byte_ctx *b, uint64_t v)
{
	if (b->flags & BF_BITMASK) {
		v &= b->bitmask;
		if (v && b->shift)
			v >>= b->shift;
	}
	return v;
}

/* nbytes from a variable must fit what setup would have accepted. */
static int nbytes_ok(const struct byte_ctx *b, int64_t n, int allow0)
{
	if (b->flags & BF_STRING)
		return n >= 1 && n <= 23;
	return n <= 8 && (n > 0 || (allow0 && n == 0));
}

static int do_byte_test(struct insp *s, unsigned i, const struct byte_ctx *b)
{
	int64_t nb = val_of(s, &b->nbytes);
	int64_t pos = val_of(s, &b->offset);
	uint64_t v, want;
	uint32_t used;
	int m;

	want = b->value.var >= 0 ? s->vars[(unsigned)b->value.var % PM_MAX_VARS] : (uint64_t)b->value.v;
	if (!nbytes_ok(b, nb, 0))
		return 0;
	if (b->flags & BF_RELATIVE)
		pos += s->off;
	if (!byte_read(b, s->buf, s->len, pos, (uint32_t)nb, &v, &used))
		return 0;
	v = apply_bitmask(b, v);
	switch (b->op) {
	case BT_LT: m = v < want; break;
	case BT_GT: m = v > want; break;
	case BT_EQ: m = v == want; break;
	case BT_LE: m = v <= want; break;
	case BT_GE: m = v >= want; break;
	case BT_AND: m = (v & want) != 0; break;
	case BT_OR: m = (v ^ want) != 0; break;
	default: m = 0; break;
	}
	if (b->flags & BF_NEGATED)
		m = !m;
	return m ? next(s, i) : 0;
}

static int do_byte_jump(struct insp *s, unsigned i, const struct byte_ctx *b)
{
	int64_t nb = val_of(s, &b->nbytes);
	int64_t pos = val_of(s, &b->offset);
	int64_t j, target;
	uint64_t v = 0;
	uint32_t used = 0;

	if (s->len == 0 || !nbytes_ok(b, nb, 1))
		return 0;
	if (b->flags & BF_RELATIVE) {
		pos += s->off;
		if (nb && (int64_t)s->len - pos <= 0)
			return 0;
	}
	if (nb) {
		if (!byte_read(b, s->buf, s->len, pos, (uint32_t)nb, &v, &used))
			return 0;
	} else if (pos < 0 || pos > s->len) {
		return 0;
	}
	v = apply_bitmask(b, v);
	if (v > ((uint64_t)1 << 33))
		return 0; /* past any buffer whatever the multiplier */
	j = (int64_t)v * (int64_t)b->multiplier;
	if ((b->flags & BF_ALIGN) && (j % 4))
		j += 4 - (j % 4);
	j += b->post_offset;
	if (b->flags & BF_BEGIN)
		target = j;
	else if (b->flags & BF_END)
		target = (int64_t)s->len + j;
	else
		target = pos + used + j;
	if (target < 0)
		target = 0; /* Suricata: a jump before the start lands on the start */
	if (target > s->len)
		return 0;
	s->off = (uint32_t)target;
	return next(s, i);
}

static int do_byte_extract(struct insp *s, unsigned i, const struct byte_ctx *b)
{
	int64_t nb = val_of(s, &b->nbytes);
	int64_t pos = val_of(s, &b->offset);
	uint64_t v;
	uint32_t used;

	if (b->flags & BF_RELATIVE) {
		pos += s->off;
		if ((int64_t)s->len - pos <= 0)
			return 0;
	}
	if (!byte_read(b, s->buf, s->len, pos, (uint32_t)nb, &v, &used))
		return 0;
	if (v > ((uint64_t)1 << 40))
		v = (uint64_t)1 << 40;
	v *= b->multiplier;
	if (b->align && (v % b->align))
		v += b->align - (v % b->align);
	s->vars[(unsigned)b->var % PM_MAX_VARS] = v;
	s->off = (uint32_t)(pos + used);
	return next(s, i);
}

static int inspect(struct insp *s, unsigned i)
{
	const struct pm_hdr *h;

	if (++s->steps >= PM_RECURSION_LIMIT) {
		if (s->steps == PM_RECURSION_LIMIT && s->pt)
			s->pt->recursion_limit_hits++;
		return -1;
	}
	h = pm_hdr_of(&s->l->v[i]);
	if (!h)
		return -1; /* not a payload keyword this engine knows: cannot match */
	switch (h->type) {
	case PM_CONTENT:
		return do_content(s, i, (const struct content_ctx *)h);
	case PM_PCRE:
		return do_pcre(s, i, (const struct pcre_ctx *)h);
	case PM_ISDATAAT:
		return do_isdataat(s, i, (const struct isdataat_ctx *)h);
	case PM_BYTE_TEST:
		return do_byte_test(s, i, (const struct byte_ctx *)h);
	case PM_BYTE_JUMP:
		return do_byte_jump(s, i, (const struct byte_ctx *)h);
	case PM_BYTE_EXTRACT:
		return do_byte_extract(s, i, (const struct byte_ctx *)h);
	case PM_BSIZE:
		/* the size does not depend on where earlier keywords matched */
		return bsize_test((const struct bsize_ctx *)h, s->len) ? next(s, i) : -1;
	}
	return -1;
}

int detect_payload_match(struct det_thread *t, const struct det_msg *m, const struct sm_list *l,
                         const uint8_t *buf, uint32_t len)
{
	struct insp s;
	int r;

	if (!l || l->n == 0)
		return 1;
	memset(&s, 0, sizeof(s));
	s.t = t;
	s.pt = t ? t->payload : NULL;
	s.l = l;
	s.buf = buf ? buf : (const uint8_t *)"";
	s.len = buf ? len : 0;
	r = inspect(&s, 0);
	return r == 1;
}

int detect_payload_fast_pattern(const struct sm_list *l, const uint8_t **pat, uint32_t *len,
                                int *nocase)
{
	const struct content_ctx *best = NULL, *forced = NULL, *c;

	if (!l)
		return 0;
	for (unsigned i = 0; i < l->n; i++) {
		const struct pm_hdr *h = pm_hdr_of(&l->v[i]);
		if (!h || h->type != PM_CONTENT)
			continue;
		c = (const struct content_ctx *)h;
		/* a negated content is no evidence the rule can match */
		if (c->flags & CF_NEGATED)
			continue;
		if ((c->flags & CF_FAST) && !forced)
			forced = c;
		if (!best || c->len > best->len)
			best = c;
	}
	c = forced ? forced : best;
	if (!c)
		return 0;
	if (c->flags & CF_FAST_CHOP) {
		*pat = c->pat + c->fp_off;
		*len = c->fp_len;
	} else {
		*pat = c->pat;
		*len = c->len;
	}
	*nocase = (c->flags & CF_NOCASE) != 0;
	return 1;
}

void detect_payload_register(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	detect_content_register();
	detect_pcre_register();
	detect_byte_register();
	detect_isdataat_register();
	detect_bsize_register();
}
