/*
 * detect_prefilter.c - multi-pattern prefilter over the rules' fast patterns.
 *
 * Each rule contributes one literal, its fast pattern (the content marked
 * fast_pattern, else its longest plain content; detect_payload.c chooses),
 * in the buffer that content inspects. For each rule group and each buffer
 * (with its transform chain) the patterns are compiled into one Hyperscan
 * literal database; at run time each buffer is scanned once and a rule is
 * evaluated in full only if its literal occurred, or if it has none (rules
 * with only negated contents, pcre, byte tests or no payload at all).
 * PCRE therefore runs only after the prefilter passed. Rules without a
 * fast pattern that require a named anomaly (the anomaly rules) are indexed
 * by that anomaly instead, so they cost nothing on packets without one.
 *
 * Why Hyperscan: it is what Suricata recommends for its multi-pattern
 * matcher, it is packaged by Debian, and it scans thousands of literals in
 * one SIMD pass with a per-thread scratch and no allocation at scan time; a
 * hand-written Aho-Corasick would be slower per byte and more code to
 * trust. Matching is exact: the prefilter only ever lets through more rules
 * than match, never fewer (caseless literals are checked again by the
 * payload engine with the content's real case rule).
 */
#include <hs/hs.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly.h"
#include "detect_prefilter.h"

struct pf_db {
	uint16_t buf_id;
	uint8_t n_xform;
	uint16_t xform[RULE_MAX_XFORM];
	const struct rule_buf *proto; /* a rule_buf with this key, for instance lookup */
	hs_database_t *db;
	uint32_t *pos;                /* pattern id -> position in the group */
	uint32_t n;
};

struct prefilter {
	uint32_t n_rules;             /* group size */
	uint8_t *always;              /* 1: no fast pattern, always evaluated */
	uint32_t *always_list;        /* the same as a list of positions */
	uint32_t *by_anom;            /* rules indexed by a required anomaly ... */
	uint32_t *anom_start;         /* ... anomaly id -> [anom_start[id], anom_start[id+1]) */
	struct pf_db *dbs;
	uint32_t n_dbs;
	uint32_t n_always;
};

static int same_key(const struct pf_db *d, const struct rule_buf *b)
{
	return d->buf_id == b->buf_id && d->n_xform == b->n_xform &&
	       memcmp(d->xform, b->xform, b->n_xform * sizeof(b->xform[0])) == 0;
}

/* The rule's fast pattern: the longest among its buffers' choices. */
static const struct rule_buf *rule_fast_pattern(const struct rule *r, const uint8_t **pat,
                                                uint32_t *len, int *nocase)
{
	const struct rule_buf *best = NULL;
	for (unsigned i = 0; i < r->n_bufs; i++) {
		const uint8_t *p;
		uint32_t l;
		int nc;
		if (!detect_payload_fast_pattern(&r->bufs[i].pm, &p, &l, &nc) || l == 0)
			continue;
		if (!best || l > *len) {
			best = &r->bufs[i];
			*pat = p;
			*len = l;
			*nocase = nc;
		}
	}
	return best;
}

/* The anomaly a rule requires (its first anomaly condition), or -1. */
static int rule_anomaly(const struct rule *r)
{
	for (unsigned i = 0; i < r->match.n; i++) {
		int a = detect_anomaly_of(&r->match.v[i]);
		if (a >= 0)
			return a;
	}
	return -1;
}

/* Index of the rules (group positions) that have no fast pattern and
 * require an anomaly, by anomaly id (counting sort). */
static int build_anomaly_index(struct prefilter *pf, const struct rule *const *rules,
                               const uint32_t *idx, uint32_t n)
{
	pf->anom_start = calloc(ANOM__COUNT + 1, sizeof(*pf->anom_start));
	pf->by_anom = calloc(n ? n : 1, sizeof(*pf->by_anom));
	if (!pf->anom_start || !pf->by_anom)
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		int a = pf->always[k] ? -1 : rule_anomaly(rules[idx[k]]);
		const uint8_t *p;
		uint32_t len = 0;
		int nc;
		if (a >= 0 && !rule_fast_pattern(rules[idx[k]], &p, &len, &nc))
			pf->anom_start[a + 1]++;
	}
	for (unsigned a = 0; a < ANOM__COUNT; a++)
		pf->anom_start[a + 1] += pf->anom_start[a];
	{
		uint32_t *fill = calloc(ANOM__COUNT, sizeof(*fill));
		if (!fill)
			return -1;
		for (uint32_t k = 0; k < n; k++) {
			int a = pf->always[k] ? -1 : rule_anomaly(rules[idx[k]]);
			const uint8_t *p;
			uint32_t len = 0;
			int nc;
			if (a >= 0 && !rule_fast_pattern(rules[idx[k]], &p, &len, &nc))
				pf->by_anom[pf->anom_start[a] + fill[a]++] = k;
		}
		free(fill);
	}
	return 0;
}

struct build_pat {
	const char *p;
	size_t len;
	unsigned flags;
	unsigned id;
};

struct prefilter *prefilter_build(const struct rule *const *rules, const uint32_t *idx,
                                  uint32_t n, char *err, size_t cap)
{
	struct prefilter *pf = calloc(1, sizeof(*pf));
	struct build_pat **pats = NULL;
	uint32_t *npats = NULL;

	if (!pf)
		goto oom;
	pf->n_rules = n;
	pf->always = calloc(n ? n : 1, 1);
	if (!pf->always)
		goto oom;
	/* Pass 1: one database key per distinct buffer + transforms. */
	for (uint32_t k = 0; k < n; k++) {
		const struct rule *r = rules[idx[k]];
		const uint8_t *p = NULL;
		uint32_t len = 0, d;
		int nc = 0;
		const struct rule_buf *b = rule_fast_pattern(r, &p, &len, &nc);
		if (!b) {
			if (rule_anomaly(r) < 0) {
				pf->always[k] = 1;
				pf->n_always++;
			}
			continue;
		}
		for (d = 0; d < pf->n_dbs; d++)
			if (same_key(&pf->dbs[d], b))
				break;
		if (d == pf->n_dbs) {
			struct pf_db *v = realloc(pf->dbs, (pf->n_dbs + 1) * sizeof(*v));
			struct build_pat **pv = realloc(pats, (pf->n_dbs + 1) * sizeof(*pv));
			uint32_t *nv = realloc(npats, (pf->n_dbs + 1) * sizeof(*nv));
			if (v)
				pf->dbs = v;
			if (pv)
				pats = pv;
			if (nv)
				npats = nv;
			if (!v || !pv || !nv)
				goto oom;
			memset(&pf->dbs[d], 0, sizeof(pf->dbs[d]));
			pf->dbs[d].buf_id = b->buf_id;
			pf->dbs[d].n_xform = b->n_xform;
			memcpy(pf->dbs[d].xform, b->xform, sizeof(b->xform));
			pf->dbs[d].proto = b;
			pats[d] = NULL;
			npats[d] = 0;
			pf->n_dbs++;
		}
		{
			struct build_pat *pv = realloc(pats[d], (npats[d] + 1) * sizeof(*pv));
			uint32_t *posv = realloc(pf->dbs[d].pos, (npats[d] + 1) * sizeof(*posv));
			if (pv)
				pats[d] = pv;
			if (posv)
				pf->dbs[d].pos = posv;
			if (!pv || !posv)
				goto oom;
			pv[npats[d]].p = (const char *)p;
			pv[npats[d]].len = len;
			pv[npats[d]].flags = HS_FLAG_SINGLEMATCH | (nc ? HS_FLAG_CASELESS : 0);
			pv[npats[d]].id = npats[d];
			posv[npats[d]] = k;
			npats[d]++;
			pf->dbs[d].n = npats[d];
		}
	}
	if (build_anomaly_index(pf, rules, idx, n) != 0)
		goto oom;
	pf->always_list = calloc(pf->n_always ? pf->n_always : 1, sizeof(*pf->always_list));
	if (!pf->always_list)
		goto oom;
	for (uint32_t k = 0, j = 0; k < n; k++)
		if (pf->always[k])
			pf->always_list[j++] = k;
	/* Pass 2: compile. */
	for (uint32_t d = 0; d < pf->n_dbs; d++) {
		uint32_t m = npats[d];
		const char **ex = calloc(m, sizeof(*ex));
		unsigned *fl = calloc(m, sizeof(*fl)), *ids = calloc(m, sizeof(*ids));
		size_t *lens = calloc(m, sizeof(*lens));
		hs_compile_error_t *ce = NULL;
		hs_error_t rc;
		if (!ex || !fl || !ids || !lens) {
			free(ex);
			free(fl);
			free(ids);
			free(lens);
			goto oom;
		}
		for (uint32_t i = 0; i < m; i++) {
			ex[i] = pats[d][i].p;
			lens[i] = pats[d][i].len;
			fl[i] = pats[d][i].flags;
			ids[i] = pats[d][i].id;
		}
		rc = hs_compile_lit_multi(ex, fl, ids, lens, m, HS_MODE_BLOCK, NULL, &pf->dbs[d].db, &ce);
		free(ex);
		free(fl);
		free(ids);
		free(lens);
		if (rc != HS_SUCCESS) {
			snprintf(err, cap, "prefilter: hyperscan cannot compile the fast patterns: %s",
			         ce && ce->message ? ce->message : "unknown error");
			hs_free_compile_error(ce);
			goto fail;
		}
	}
	for (uint32_t d = 0; d < pf->n_dbs; d++)
		free(pats[d]);
	free(pats);
	free(npats);
	return pf;
oom:
	snprintf(err, cap, "prefilter: out of memory");
fail:
	if (pats)
		for (uint32_t d = 0; d < (pf ? pf->n_dbs : 0); d++)
			free(pats[d]);
	free(pats);
	free(npats);
	prefilter_free(pf);
	return NULL;
}

void prefilter_free(struct prefilter *pf)
{
	if (!pf)
		return;
	for (uint32_t d = 0; d < pf->n_dbs; d++) {
		hs_free_database(pf->dbs[d].db);
		free(pf->dbs[d].pos);
	}
	free(pf->dbs);
	free(pf->always);
	free(pf->always_list);
	free(pf->by_anom);
	free(pf->anom_start);
	free(pf);
}

int prefilter_scratch(const struct prefilter *pf, void **scratch)
{
	for (uint32_t d = 0; pf && d < pf->n_dbs; d++)
		if (hs_alloc_scratch(pf->dbs[d].db, (hs_scratch_t **)scratch) != HS_SUCCESS)
			return -1;
	return 0;
}

void prefilter_scratch_free(void *scratch)
{
	if (scratch)
		hs_free_scratch(scratch);
}

/* Candidates: a list of group positions, deduplicated by a byte map that
 * is all zero between calls (the caller clears what the list names). */
struct cands {
	uint8_t *seen;
	uint32_t *list;
	uint32_t n;
};

static inline void cand_add(struct cands *c, uint32_t k)
{
	if (!c->seen[k]) {
		c->seen[k] = 1;
		c->list[c->n++] = k;
	}
}

struct scan_ctx {
	const struct pf_db *d;
	struct cands *c;
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ud)
{
	struct scan_ctx *c = ud;
	if (id < c->d->n)
		cand_add(c->c, c->d->pos[id]);
	return 0;
}

static int cmp_pos(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

uint32_t prefilter_run(const struct prefilter *pf, struct det_thread *t, const struct det_msg *m,
                       uint8_t *seen, uint32_t *list)
{
	struct cands cs = { seen, list, 0 };
	for (uint32_t i = 0; i < pf->n_always; i++)
		cand_add(&cs, pf->always_list[i]);
	for (unsigned i = 0; i < m->n_anom; i++) {
		unsigned a = m->anom[i];
		if (a < ANOM__COUNT)
			for (uint32_t j = pf->anom_start[a]; j < pf->anom_start[a + 1]; j++)
				cand_add(&cs, pf->by_anom[j]);
	}
	for (uint32_t d = 0; d < pf->n_dbs; d++) {
		struct scan_ctx c = { &pf->dbs[d], &cs };
		for (uint32_t idx = 0; idx < 1024; idx++) {
			const uint8_t *p;
			uint32_t len;
			if (!detect_buffer_instance(m, pf->dbs[d].proto, idx, &p, &len, t))
				break;
			if (len == 0)
				continue;
			/* A scan error (scratch in use, bad scratch) must not hide
			 * rules: let every rule of this database through. */
			if (hs_scan(pf->dbs[d].db, (const char *)p, len, 0, t->hs_scratch, on_match, &c) !=
			    HS_SUCCESS) {
				for (uint32_t i = 0; i < pf->dbs[d].n; i++)
					cand_add(&cs, pf->dbs[d].pos[i]);
				break;
			}
		}
	}
	/* Group order (action order, priority, load order) is evaluation order.
	 * The list is short and mostly in order already (the always-candidates
	 * come sorted): insertion sort beats qsort's setup there. */
	if (cs.n > 64) {
		qsort(list, cs.n, sizeof(*list), cmp_pos);
	} else {
		for (uint32_t i = 1; i < cs.n; i++) {
			uint32_t v = list[i], k = i;
			while (k > 0 && list[k - 1] > v) {
				list[k] = list[k - 1];
				k--;
			}
			list[k] = v;
		}
	}
	return cs.n;
}

int prefilter_idle(const struct prefilter *pf, const struct det_msg *m)
{
	return !pf || (pf->n_always == 0 && pf->n_dbs == 0 &&
	               (m->n_anom == 0 || pf->anom_start[ANOM__COUNT] == 0));
}

uint32_t prefilter_always(const struct prefilter *pf)
{
	return pf ? pf->n_always : 0;
}
