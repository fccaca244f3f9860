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
 * PCRE therefore runs only after the prefilter passed.
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
			pf->always[k] = 1;
			pf->n_always++;
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

struct scan_ctx {
	const struct pf_db *d;
	uint8_t *cand;
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ud)
{
	struct scan_ctx *c = ud;
	if (id < c->d->n)
		c->cand[c->d->pos[id]] = 1;
	return 0;
}

uint32_t prefilter_run(const struct prefilter *pf, struct det_thread *t, const struct det_msg *m,
                       uint8_t *cand)
{
	uint32_t scanned = 0;
	memcpy(cand, pf->always, pf->n_rules);
	for (uint32_t d = 0; d < pf->n_dbs; d++) {
		struct scan_ctx c = { &pf->dbs[d], cand };
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
					cand[pf->dbs[d].pos[i]] = 1;
				break;
			}
			scanned++;
		}
	}
	return scanned;
}

uint32_t prefilter_always(const struct prefilter *pf)
{
	return pf ? pf->n_always : 0;
}
