/*
 * detect_threshold.c - threshold: and detection_filter: (see
 * detect_threshold.h for the syntax and the exact semantics).
 *
 * The table is a fixed array of entries allocated at creation, a chained
 * hash index over it (indices, not pointers) and an LRU list. An entry
 * holds one counter: (rule gid/sid, which keyword, track key) -> start of
 * the current window and matches counted in it. Nothing is allocated
 * after thr_table_create(); when every entry is in use the least
 * recently used one is reused.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "detect_threshold.h"

/* ------------------------------------------------------------------ */
/* Keyword values                                                      */

enum { O_TYPE, O_TRACK, O_COUNT, O_SECONDS, N_OPT };
static const char *const opt_name[N_OPT] = { "type", "track", "count", "seconds" };

static const struct {
	const char *name;
	uint8_t v;
} types[] = {
	{ "limit", THR_LIMIT },
	{ "threshold", THR_THRESHOLD },
	{ "both", THR_BOTH },
}, tracks[] = {
	{ "by_src", TRACK_SRC },
	{ "by_dst", TRACK_DST },
	{ "by_rule", TRACK_RULE },
	{ "by_both", TRACK_BOTH },
	{ "by_flow", TRACK_FLOW },
};

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int tok_is(const char *p, uint32_t n, const char *w)
{
	return strlen(w) == n && memcmp(p, w, n) == 0;
}

static int parse_u32(const char *p, uint32_t n, uint32_t *out)
{
	uint64_t v = 0;
	if (n == 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int thr_spec_parse(const char *s, uint32_t len, int dfilter, struct thr_spec *out,
                   struct rule_err *e)
{
	const char *kw = dfilter ? "detection_filter" : "threshold";
	uint32_t i = 0, val_at[N_OPT] = { 0 };
	int seen[N_OPT] = { 0 };
	struct thr_spec sp;

	memset(&sp, 0, sizeof(sp));
	memset(out, 0, sizeof(*out));
	if (!s)
		len = 0;
	while (i < len && is_blank(s[i]))
		i++;
	if (i == len)
		return rule_errf(e, 0, "%s needs a value: %s", kw,
		                 dfilter ? "track <by_...>, count <N>, seconds <T>"
		                         : "type <limit|threshold|both>, track <by_...>, count <N>, "
		                           "seconds <T>");
	for (;;) {
		uint32_t key_at = i, klen, vat, vlen;
		int o = -1;
		while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			i++;
		klen = i - key_at;
		if (klen == 0)
			return rule_errf(e, key_at, s[key_at] == ',' ? "empty option" : "unexpected '%c'",
			                 s[key_at]);
		for (int k = 0; k < N_OPT; k++)
			if (tok_is(s + key_at, klen, opt_name[k]))
				o = k;
		if (o == O_TYPE && dfilter)
			return rule_errf(e, key_at, "detection_filter has no 'type' (use threshold:)");
		if (o < 0) {
			if (tok_is(s + key_at, klen, "multiplier"))
				return rule_errf(e, key_at, "'multiplier' (type backoff) is not supported");
			if (tok_is(s + key_at, klen, "unique_on"))
				return rule_errf(e, key_at, "'unique_on' is not supported");
			return rule_errf(e, key_at, "unknown %s option '%.*s' (expected %s)", kw,
			                 (int)SW_MIN(klen, 32), s + key_at,
			                 dfilter ? "track, count, seconds" : "type, track, count, seconds");
		}
		if (seen[o])
			return rule_errf(e, key_at, "'%s' given twice", opt_name[o]);
		seen[o] = 1;
		if (i == len || s[i] == ',')
			return rule_errf(e, i, "missing value for '%s'", opt_name[o]);
		if (!is_blank(s[i]))
			return rule_errf(e, i, "expected a blank between '%s' and its value", opt_name[o]);
		while (i < len && is_blank(s[i]))
			i++;
		vat = i;
		while (i < len && !is_blank(s[i]) && s[i] != ',')
			i++;
		vlen = i - vat;
		val_at[o] = vat;
		if (vlen == 0)
			return rule_errf(e, vat, "missing value for '%s'", opt_name[o]);

		if (o == O_TYPE) {
			for (size_t k = 0; k < SW_ARRAY_SIZE(types); k++)
				if (tok_is(s + vat, vlen, types[k].name))
					sp.type = types[k].v;
			if (!sp.type)
				return rule_errf(e, vat,
				                 tok_is(s + vat, vlen, "backoff")
				                         ? "type backoff is not supported"
				                         : "unknown threshold type '%.*s' (limit, threshold or both)",
				                 (int)SW_MIN(vlen, 32), s + vat);
		} else if (o == O_TRACK) {
			for (size_t k = 0; k < SW_ARRAY_SIZE(tracks); k++)
				if (tok_is(s + vat, vlen, tracks[k].name))
					sp.track = tracks[k].v;
			if (!sp.track)
				return rule_errf(e, vat,
				                 "unknown track '%.*s' (by_src, by_dst, by_rule, by_both or by_flow)",
				                 (int)SW_MIN(vlen, 32), s + vat);
		} else {
			uint32_t *dst = o == O_COUNT ? &sp.count : &sp.seconds;
			if (parse_u32(s + vat, vlen, dst) != 0)
				return rule_errf(e, vat, "'%s' needs a number from 0 to 4294967295, found '%.*s'",
				                 opt_name[o], (int)SW_MIN(vlen, 32), s + vat);
		}

		while (i < len && is_blank(s[i]))
			i++;
		if (i == len)
			break;
		if (s[i] != ',')
			return rule_errf(e, i, "expected ',' after '%s %.*s'", opt_name[o],
			                 (int)SW_MIN(vlen, 32), s + vat);
		i++;
		while (i < len && is_blank(s[i]))
			i++;
		if (i == len)
			return rule_errf(e, i, "nothing after ','");
	}
	for (int o = dfilter ? O_TRACK : O_TYPE; o < N_OPT; o++)
		if (!seen[o])
			return rule_errf(e, len, "%s: missing '%s'", kw, opt_name[o]);
	if (sp.count == 0)
		return rule_errf(e, val_at[O_COUNT], "count must be at least 1");
	if (dfilter && sp.seconds == 0)
		return rule_errf(e, val_at[O_SECONDS], "seconds must be at least 1");
	if (dfilter)
		sp.type = THR_DETECTION_FILTER;
	*out = sp;
	return 0;
}

static int setup_threshold(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	if (r->dfilter.type != THR_NONE)
		return rule_errf(e, 0, "detection_filter and threshold are not allowed in the same rule");
	if (r->thr.type != THR_NONE)
		return rule_errf(e, 0, "threshold given twice");
	return thr_spec_parse(val, len, 0, &r->thr, e);
}

static int setup_dfilter(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	if (r->thr.type != THR_NONE)
		return rule_errf(e, 0, "detection_filter and threshold are not allowed in the same rule");
	if (r->dfilter.type != THR_NONE)
		return rule_errf(e, 0, "detection_filter given twice");
	return thr_spec_parse(val, len, 1, &r->dfilter, e);
}

static const struct det_kw kw_thr[] = {
	{ .name = "threshold", .flags = KW_META | KW_VALUE, .setup = setup_threshold,
	  .help = "type limit|threshold|both, track by_src|by_dst|by_rule|by_both|by_flow, "
	          "count N, seconds T: alert frequency" },
	{ .name = "detection_filter", .flags = KW_META | KW_VALUE, .setup = setup_dfilter,
	  .help = "track by_src|by_dst|by_rule|by_both|by_flow, count N, seconds T: "
	          "alert on every match after N within T seconds" },
};

void detect_threshold_register(void)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(kw_thr); i++)
		detect_kw_register(&kw_thr[i]);
}

/* ------------------------------------------------------------------ */
/* Table                                                               */

#define NIL UINT32_MAX

/* Compared and hashed as bytes: always built from a zeroed struct. */
struct thr_key {
	uint32_t gid, sid;
	uint8_t kind;  /* 0 threshold, 1 detection_filter */
	uint8_t track;
	uint8_t fam_a, fam_b;
	uint32_t pad;  /* explicit: no implicit padding in a byte-compared key */
	uint8_t a[16], b[16];
	uint64_t flow;
};

_Static_assert(sizeof(struct thr_key) == 56, "struct thr_key must have no padding");

struct thr_ent {
	struct thr_key k;
	sw_time tv1;      /* start of the current window */
	uint64_t span;    /* window length, microseconds */
	uint32_t count;   /* matches counted in the window */
	uint32_t hnext;   /* hash chain */
	uint32_t prev, next; /* LRU list, head = most recent */
};

struct thr_table {
	pthread_mutex_t mu; /* shared by every worker's rules */
	struct thr_ent *e;
	uint32_t *bucket;
	uint32_t mask;
	uint32_t cap, n;
	uint32_t free_head; /* unused entries, chained through hnext */
	uint32_t head, tail;
	uint64_t evictions, expired;
};

struct thr_table *thr_table_create(uint32_t max_entries)
{
	struct thr_table *t;
	uint32_t nb = 1;
	if (max_entries == 0 || max_entries > (1u << 30))
		return NULL;
	while (nb < max_entries)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto fail;
	pthread_mutex_init(&t->mu, NULL);
	t->e = calloc(max_entries, sizeof(*t->e));
	t->bucket = malloc((size_t)nb * sizeof(*t->bucket));
	if (!t->e || !t->bucket)
		goto fail;
	for (uint32_t i = 0; i < nb; i++)
		t->bucket[i] = NIL;
	for (uint32_t i = 0; i < max_entries; i++)
		t->e[i].hnext = i + 1 < max_entries ? i + 1 : NIL;
	t->mask = nb - 1;
	t->cap = max_entries;
	t->free_head = 0;
	t->head = t->tail = NIL;
	return t;
fail:
	thr_table_free(t);
	return NULL;
}

void thr_table_free(struct thr_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->bucket);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

void thr_table_stats(struct thr_table *t, struct thr_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	out->entries = t->n;
	out->capacity = t->cap;
	out->evictions = t->evictions;
	out->expired = t->expired;
	pthread_mutex_unlock(&t->mu);
}

static uint32_t key_bucket(const struct thr_table *t, const struct thr_key *k)
{
	return (uint32_t)sw_hash_mix(sw_hash_bytes(0, k, sizeof(*k))) & t->mask;
}

static void lru_unlink(struct thr_table *t, uint32_t i)
{
	struct thr_ent *x = &t->e[i];
	if (x->prev != NIL)
		t->e[x->prev].next = x->next;
	else
		t->head = x->next;
	if (x->next != NIL)
		t->e[x->next].prev = x->prev;
	else
		t->tail = x->prev;
}

static void lru_push_head(struct thr_table *t, uint32_t i)
{
	struct thr_ent *x = &t->e[i];
	x->prev = NIL;
	x->next = t->head;
	if (t->head != NIL)
		t->e[t->head].prev = i;
	t->head = i;
	if (t->tail == NIL)
		t->tail = i;
}

static struct thr_ent *lookup(struct thr_table *t, const struct thr_key *k)
{
	for (uint32_t i = t->bucket[key_bucket(t, k)]; i != NIL; i = t->e[i].hnext) {
		if (memcmp(&t->e[i].k, k, sizeof(*k)) == 0) {
			if (t->head != i) {
				lru_unlink(t, i);
				lru_push_head(t, i);
			}
			return &t->e[i];
		}
	}
	return NULL;
}

static void hash_remove(struct thr_table *t, uint32_t i)
{
	uint32_t *pp = &t->bucket[key_bucket(t, &t->e[i].k)];
	while (*pp != NIL && *pp != i)
		pp = &t->e[*pp].hnext;
	if (*pp == i)
		*pp = t->e[i].hnext;
}

/* A new entry for k, window starting at now with one match counted. */
static void insert(struct thr_table *t, const struct thr_key *k, sw_time now, uint64_t span)
{
	uint32_t i, b;
	struct thr_ent *x;
	if (t->free_head != NIL) {
		i = t->free_head;
		t->free_head = t->e[i].hnext;
		t->n++;
	} else {
		/* Reuse the least recently used entry. */
		i = t->tail;
		x = &t->e[i];
		if (now > x->tv1 && now - x->tv1 > x->span)
			t->expired++;
		else
			t->evictions++;
		hash_remove(t, i);
		lru_unlink(t, i);
	}
	x = &t->e[i];
	memcpy(&x->k, k, sizeof(*k));
	x->tv1 = now;
	x->span = span;
	x->count = 1;
	b = key_bucket(t, k);
	x->hnext = t->bucket[b];
	t->bucket[b] = i;
	lru_push_head(t, i);
}

/* Orders two addresses (family, then bytes) for the unordered by_both key. */
static int addr_cmp(const sw_addr *x, const sw_addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, sizeof(x->a));
}

/* Builds the key; 0, or -1 when the track needs a flow and there is none. */
static int make_key(struct thr_key *k, const struct rule *r, const struct thr_spec *sp,
                    const sw_addr *src, const sw_addr *dst, uint64_t flow_id)
{
	static const sw_addr none;
	const sw_addr *a = NULL, *b = NULL;
	memset(k, 0, sizeof(*k));
	k->gid = r->gid;
	k->sid = r->sid;
	k->kind = sp->type == THR_DETECTION_FILTER;
	k->track = sp->track;
	src = src ? src : &none;
	dst = dst ? dst : &none;
	switch (sp->track) {
	case TRACK_SRC:
		a = src;
		break;
	case TRACK_DST:
		a = dst;
		break;
	case TRACK_BOTH:
		if (addr_cmp(src, dst) <= 0) {
			a = src;
			b = dst;
		} else {
			a = dst;
			b = src;
		}
		break;
	case TRACK_FLOW:
		if (!flow_id)
			return -1;
		k->flow = flow_id;
		break;
	default: /* TRACK_RULE */
		break;
	}
	if (a) {
		k->fam_a = a->family;
		memcpy(k->a, a->a, sizeof(k->a));
	}
	if (b) {
		k->fam_b = b->family;
		memcpy(k->b, b->a, sizeof(k->b));
	}
	return 0;
}

/* One spec, Suricata's ThresholdHandlePacket(). */
static int check_spec(struct thr_table *t, const struct rule *r, const struct thr_spec *sp,
                      const sw_addr *src, const sw_addr *dst, uint64_t flow_id, sw_time now)
{
	struct thr_key k;
	struct thr_ent *x;
	uint64_t span = (uint64_t)sp->seconds * SW_USEC_PER_SEC;
	int in_window;

	if (make_key(&k, r, sp, src, dst, flow_id) != 0)
		return THR_NOMATCH;
	x = lookup(t, &k);
	if (!x) {
		switch (sp->type) {
		case THR_LIMIT:
			insert(t, &k, now, span);
			return THR_ALERT;
		case THR_THRESHOLD:
			/* count 1: every match alerts, nothing to remember */
			if (sp->count == 1)
				return THR_ALERT;
			insert(t, &k, now, span);
			return THR_NOMATCH;
		case THR_BOTH:
			insert(t, &k, now, span);
			return sp->count == 1 ? THR_ALERT : THR_NOMATCH;
		default: /* THR_DETECTION_FILTER */
			insert(t, &k, now, span);
			return THR_NOMATCH;
		}
	}
	/* Within the window: now <= tv1 + seconds (a packet older than tv1
	 * counts as inside, as in Suricata). */
	in_window = now <= x->tv1 || now - x->tv1 <= span;
	if (!in_window) {
		x->tv1 = now;
		x->count = 1;
		x->span = span;
		switch (sp->type) {
		case THR_LIMIT:
			return THR_ALERT;
		case THR_BOTH:
			return sp->count == 1 ? THR_ALERT : THR_NOMATCH;
		default:
			return THR_NOMATCH;
		}
	}
	if (x->count < UINT32_MAX)
		x->count++;
	switch (sp->type) {
	case THR_LIMIT:
		return x->count <= sp->count ? THR_ALERT : THR_SILENT;
	case THR_THRESHOLD:
		if (x->count >= sp->count) {
			x->count = 0;
			return THR_ALERT;
		}
		return THR_NOMATCH;
	case THR_BOTH:
		if (x->count == sp->count)
			return THR_ALERT;
		return x->count > sp->count ? THR_SILENT : THR_NOMATCH;
	default:
		return x->count > sp->count ? THR_ALERT : THR_NOMATCH;
	}
}

int thr_check(struct thr_table *t, const struct rule *r, const sw_addr *src, const sw_addr *dst,
              uint64_t flow_id, sw_time now)
{
	int rc = THR_ALERT;
	pthread_mutex_lock(&t->mu);
	if (r->dfilter.type == THR_DETECTION_FILTER)
		rc = check_spec(t, r, &r->dfilter, src, dst, flow_id, now);
	if (rc != THR_NOMATCH && r->thr.type >= THR_LIMIT && r->thr.type <= THR_BOTH) {
		int rt = check_spec(t, r, &r->thr, src, dst, flow_id, now);
		if (rt != THR_ALERT)
			rc = rt;
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}
