/*
 * detect.c - the detection engine: groups compiled rules by what they
 * inspect and evaluates them on packets, SIP messages and RTP packets.
 *
 * Groups. Each rule is evaluated on one kind of det_msg:
 *   DM_SIP    sip rules, and tcp/udp/ip rules that use a SIP buffer or
 *             keyword (Snort 3 style: `alert udp ... (sip_method:invite;)`);
 *   DM_RTP    rtp rules;
 *   DM_PACKET every other rule, per packet of its L4 protocol.
 * Within a group the order is Suricata's action order (pass, drop, reject,
 * alert), then rule priority, then load order, so a matching pass rule stops
 * the rest and alerts come out in a deterministic order.
 *
 * Evaluation of one rule: header (protocol, addresses, ports, direction),
 * then the non-payload conditions, then each payload buffer (any instance
 * of a multi-instance buffer may match; a buffer the message lacks fails the
 * rule), then detection_filter and threshold (detect_threshold.c), then the
 * post-match actions.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "classification.h"
#include "detect_counter.h"
#include "detect_engine.h"
#include "detect_prefilter.h"
#include "detect_threshold.h"
#include "flow.h"
#include "log.h"
#include "rule_addr.h"

struct rule_group {
	uint32_t *idx;
	uint32_t n;
	struct prefilter *pf;
};

enum { G_SIP, G_RTP, G_TCP, G_UDP, G_ICMP, G_OTHER, G__N };

struct detect_engine {
	struct rule_set rs;
	struct class_table *classes;
	struct rule_group g[G__N];
	struct thr_table *thr;
	struct counter_table *counters;
	int refs;
};

static int action_rank(uint8_t a)
{
	switch (a) {
	case RA_PASS:
		return 0;
	case RA_DROP:
		return 1;
	case RA_REJECT:
		return 2;
	default:
		return 3;
	}
}

static const struct rule *const *sort_base;

static int cmp_rules(const void *a, const void *b)
{
	const struct rule *x = sort_base[*(const uint32_t *)a], *y = sort_base[*(const uint32_t *)b];
	int rx = action_rank(x->action), ry = action_rank(y->action);
	uint32_t px = x->priority ? x->priority : 3, py = y->priority ? y->priority : 3;
	if (rx != ry)
		return rx - ry;
	if (px != py)
		return px < py ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* 1 if the rule uses anything that exists only on SIP messages. */
static int rule_needs_sip(const struct rule *r)
{
	if (r->needs_sip)
		return 1;
	for (unsigned i = 0; i < r->match.n; i++)
		if (detect_kw_get(r->match.v[i].kw)->flags & KW_NEEDS_SIP)
			return 1;
	for (unsigned i = 0; i < r->n_bufs; i++) {
		unsigned f = detect_buf_flags(r->bufs[i].buf_id);
		if ((f & DBUF_F_SIP) && !(f & DBUF_F_PACKET))
			return 1;
	}
	return 0;
}

static int group_add(struct rule_group *g, uint32_t i)
{
	uint32_t *v = realloc(g->idx, (g->n + 1) * sizeof(*v));
	if (!v)
		return -1;
	g->idx = v;
	v[g->n++] = i;
	return 0;
}

static int build_groups(struct detect_engine *de)
{
	for (uint32_t i = 0; i < de->rs.n; i++) {
		const struct rule *r = de->rs.v[i];
		int g[4], ng = 0;
		if (r->proto == RP_INACTIVE)
			continue;
		if (r->proto == RP_SIP || rule_needs_sip(r)) {
			g[ng++] = G_SIP;
		} else if (r->proto == RP_RTP) {
			g[ng++] = G_RTP;
		} else if (r->proto == RP_TCP) {
			g[ng++] = G_TCP;
		} else if (r->proto == RP_UDP) {
			g[ng++] = G_UDP;
		} else if (r->proto == RP_ICMP) {
			g[ng++] = G_ICMP;
		} else {
			g[ng++] = G_TCP;
			g[ng++] = G_UDP;
			g[ng++] = G_ICMP;
			g[ng++] = G_OTHER;
		}
		for (int k = 0; k < ng; k++)
			if (group_add(&de->g[g[k]], i) != 0)
				return -1;
	}
	sort_base = (const struct rule *const *)de->rs.v;
	for (int k = 0; k < G__N; k++)
		if (de->g[k].n)
			qsort(de->g[k].idx, de->g[k].n, sizeof(uint32_t), cmp_rules);
	sort_base = NULL;
	for (int k = 0; k < G__N; k++) {
		char err[256];
		if (!de->g[k].n)
			continue;
		de->g[k].pf = prefilter_build((const struct rule *const *)de->rs.v, de->g[k].idx,
		                              de->g[k].n, err, sizeof(err));
		if (!de->g[k].pf) {
			log_warnx("%s", err);
			return -1;
		}
	}
	return 0;
}

struct detect_engine *detect_engine_load(const char *const *paths, unsigned n,
                                         const struct detect_load_opts *o, unsigned *n_errors)
{
	struct detect_engine *de = calloc(1, sizeof(*de));
	struct rule_load_ctx c;
	const struct sw_config *cfg = o->cfg;
	const char *cf = o->classification_file;
	unsigned errors = 0;

	if (n_errors)
		*n_errors = 0;
	if (!de)
		return NULL;
	de->refs = 1;
	detect_kw_setup();
	memset(&c, 0, sizeof(c));
	c.addr_vars = cfg->vars.address_groups;
	c.n_addr_vars = cfg->vars.n_address_groups;
	c.port_vars = cfg->vars.port_groups;
	c.n_port_vars = cfg->vars.n_port_groups;
	c.max_rules = cfg->detect.max_rules;
	c.signatures_path = cfg->detect.signatures_path;
	c.errs = o->errs;
	if (!cf)
		cf = cfg->detect.classification_file;
	if (n && cf && cf[0]) {
		struct class_err ce;
		memset(&ce, 0, sizeof(ce));
		de->classes = class_table_new();
		if (!de->classes || class_table_load(de->classes, cf, &ce) != 0) {
			if (o->errs && ce.line)
				fprintf(o->errs, "%s:%u:%u: error: %s\n", cf, ce.line, ce.col, ce.msg);
			else if (o->errs)
				fprintf(o->errs, "%s: error: %s\n", cf, ce.msg[0] ? ce.msg : "out of memory");
			errors++;
		}
	}
	c.classes = de->classes;
	for (unsigned i = 0; i < n; i++) {
		int rc = rule_set_load_file(&de->rs, paths[i], &c);
		errors += rc < 0 ? 1u : (unsigned)rc;
	}
	if (n_errors)
		*n_errors = errors;
	if (errors)
		goto fail;
	if (build_groups(de) != 0)
		goto fail;
	de->thr = thr_table_create(cfg->detect.max_thresholds);
	de->counters = counter_table_create(cfg->detect.max_counters);
	if (!de->thr || !de->counters)
		goto fail;
	return de;
fail:
	detect_engine_free(de);
	return NULL;
}

struct detect_engine *detect_engine_ref(struct detect_engine *de)
{
	if (de)
		__atomic_add_fetch(&de->refs, 1, __ATOMIC_RELAXED);
	return de;
}

void detect_engine_free(struct detect_engine *de)
{
	if (!de || __atomic_sub_fetch(&de->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	rule_set_free(&de->rs);
	for (int k = 0; k < G__N; k++) {
		free(de->g[k].idx);
		prefilter_free(de->g[k].pf);
	}
	class_table_free(de->classes);
	thr_table_free(de->thr);
	counter_table_free(de->counters);
	free(de);
}

uint32_t detect_engine_rule_count(const struct detect_engine *de)
{
	return de ? de->rs.n : 0;
}

uint32_t detect_engine_inactive_count(const struct detect_engine *de)
{
	return de ? de->rs.n_inactive : 0;
}

/* ------------------------------------------------------------------ */

static int header_match(const struct rule *r, const struct det_msg *m)
{
	switch (r->proto) {
	case RP_TCP:
		if (m->l4 != IPPROTO_TCP)
			return 0;
		break;
	case RP_UDP:
		if (m->l4 != IPPROTO_UDP)
			return 0;
		break;
	case RP_ICMP:
		if (m->l4 != IPPROTO_ICMP && m->l4 != IPPROTO_ICMPV6)
			return 0;
		break;
	default:
		break;
	}
	if ((r->src.any || addr_set_match(&r->src, m->src)) &&
	    (r->dst.any || addr_set_match(&r->dst, m->dst)) &&
	    (r->sport.any || port_set_match(&r->sport, m->sport)) &&
	    (r->dport.any || port_set_match(&r->dport, m->dport)))
		return 1;
	if (!r->bidir)
		return 0;
	return (r->src.any || addr_set_match(&r->src, m->dst)) &&
	       (r->dst.any || addr_set_match(&r->dst, m->src)) &&
	       (r->sport.any || port_set_match(&r->sport, m->dport)) &&
	       (r->dport.any || port_set_match(&r->dport, m->sport));
}

/* Instance idx of buffer b for m; the packet payload is special. */
static int get_buffer(const struct det_msg *m, unsigned b, uint32_t idx, const uint8_t **p,
                      uint32_t *len, struct det_thread *t)
{
	det_buf_get_fn get;
	if (b == DBUF_PKT) {
		if (idx)
			return 0;
		if (m->kind == DM_SIP) {
			*p = m->raw;
			*len = m->raw_len;
			return 1;
		}
		if (!m->pkt || (m->pkt->flags & PKT_IS_FRAGMENT))
			return 0;
		*p = m->pkt->payload;
		*len = m->pkt->payload_len;
		return *p != NULL || *len == 0;
	}
	if (m->kind != DM_SIP && (detect_buf_flags(b) & DBUF_F_SIP) &&
	    !(detect_buf_flags(b) & DBUF_F_PACKET))
		return 0;
	get = detect_buf_getter(b);
	return get ? get(m, b, idx, p, len, t) : 0;
}

static int apply_transforms(const struct rule_buf *rb, const uint8_t **p, uint32_t *len,
                            struct det_thread *t)
{
	for (unsigned k = 0; k < rb->n_xform; k++) {
		const struct det_kw *kw = detect_kw_get(rb->xform[k]);
		uint8_t *out;
		if (*len > t->xbuf_cap) {
			uint32_t cap = *len < 4096 ? 4096 : *len;
			uint8_t *nb = realloc(t->xbuf, cap);
			if (!nb)
				return -1;
			t->xbuf = nb;
			t->xbuf_cap = cap;
		}
		/* In place is fine: every transform writes at or behind its read
		 * position. */
		if (*len == 0)
			return 0; /* empty stays empty */
		out = t->xbuf;
		if (*p != out)
			memmove(out, *p, *len);
		*len = kw->transform(out, *len, out);
		*p = out;
	}
	return 0;
}

int detect_buffer_instance(const struct det_msg *m, const struct rule_buf *rb, uint32_t idx,
                           const uint8_t **p, uint32_t *len, struct det_thread *t)
{
	if (!get_buffer(m, rb->buf_id, idx, p, len, t))
		return 0;
	if (rb->n_xform && apply_transforms(rb, p, len, t) != 0)
		return 0;
	return 1;
}

static int buffer_match(const struct rule_buf *rb, const struct det_msg *m,
                        struct det_thread *t)
{
	for (uint32_t idx = 0; idx < 1024; idx++) {
		const uint8_t *p;
		uint32_t len;
		if (!detect_buffer_instance(m, rb, idx, &p, &len, t))
			return 0;
		if (detect_payload_match(t, m, &rb->pm, p, len))
			return 1;
	}
	return 0;
}

static int rule_match(const struct rule *r, const struct det_msg *m, struct det_thread *t,
                      int16_t *frame_buf)
{
	if (!header_match(r, m))
		return 0;
	for (unsigned i = 0; i < r->match.n; i++) {
		const struct det_kw *kw = detect_kw_get(r->match.v[i].kw);
		if (!(kw->flags & KW_LATE) && !kw->match(t, m, r, &r->match.v[i]))
			return 0;
	}
	*frame_buf = -1;
	for (unsigned i = 0; i < r->n_bufs; i++) {
		if (!buffer_match(&r->bufs[i], m, t))
			return 0;
		if (strncmp(detect_buf_name(r->bufs[i].buf_id), "frame:", 6) == 0)
			*frame_buf = (int16_t)r->bufs[i].buf_id;
	}
	/* Counters last: they count only what matched everything else. */
	for (unsigned i = 0; i < r->match.n; i++) {
		const struct det_kw *kw = detect_kw_get(r->match.v[i].kw);
		if ((kw->flags & KW_LATE) && !kw->match(t, m, r, &r->match.v[i]))
			return 0;
	}
	return 1;
}

int detect_eval(struct detect_engine *de, struct det_thread *t, const struct det_msg *m,
                struct det_result *res)
{
	const struct rule_group *g;
	uint32_t nc;
	memset(res, 0, sizeof(*res));
	if (!de)
		return 0;
	t->counters = de->counters;
	switch (m->kind) {
	case DM_SIP:
		g = &de->g[G_SIP];
		break;
	case DM_RTP:
		g = &de->g[G_RTP];
		break;
	default:
		g = &de->g[m->l4 == IPPROTO_TCP   ? G_TCP
		           : m->l4 == IPPROTO_UDP ? G_UDP
		           : (m->l4 == IPPROTO_ICMP || m->l4 == IPPROTO_ICMPV6) ? G_ICMP
		                                                               : G_OTHER];
		break;
	}
	if (!g->n || prefilter_idle(g->pf, m)) {
		t->st.prefilter_skipped += g->n;
		return 0;
	}
	/* Prefilter: which rules of the group are worth evaluating. */
	if (t->hs_for != de) {
		if (prefilter_scratch(de->g[G_SIP].pf, &t->hs_scratch) != 0 ||
		    prefilter_scratch(de->g[G_RTP].pf, &t->hs_scratch) != 0 ||
		    prefilter_scratch(de->g[G_TCP].pf, &t->hs_scratch) != 0 ||
		    prefilter_scratch(de->g[G_UDP].pf, &t->hs_scratch) != 0 ||
		    prefilter_scratch(de->g[G_ICMP].pf, &t->hs_scratch) != 0 ||
		    prefilter_scratch(de->g[G_OTHER].pf, &t->hs_scratch) != 0)
			return 0;
		t->hs_for = de;
	}
	if (g->n > t->cand_cap) {
		uint8_t *c = calloc(g->n, 1);
		uint32_t *l = calloc(g->n, sizeof(*l));
		if (!c || !l) {
			free(c);
			free(l);
			return 0;
		}
		free(t->cand);
		free(t->cand_list);
		t->cand = c;
		t->cand_list = l;
		t->cand_cap = g->n;
	}
	nc = prefilter_run(g->pf, t, m, t->cand, t->cand_list);
	for (uint32_t i = 0; i < nc; i++)
		t->cand[t->cand_list[i]] = 0;
	t->st.prefilter_skipped += g->n - nc;
	for (uint32_t i = 0; i < nc; i++) {
		const struct rule *r = de->rs.v[g->idx[t->cand_list[i]]];
		int16_t fb;
		int alert, tr;
		t->st.evaluated++;
		t->ev_kw = NULL;
		if (!rule_match(r, m, t, &fb))
			continue;
		/* detection_filter / threshold: a match may not count yet
		 * (NOMATCH), or count without an alert (SILENT). */
		tr = (r->thr.type || r->dfilter.type)
		             ? thr_check(de->thr, r, m->src, m->dst, m->flow ? m->flow->flow_id : 0,
		                         m->ts)
		             : THR_ALERT;
		if (tr == THR_NOMATCH)
			continue;
		t->st.matches++;
		t->block_addr = NULL;
		t->block_secs = 0;
		for (unsigned j = 0; j < r->post.n; j++) {
			const struct det_kw *kw = detect_kw_get(r->post.v[j].kw);
			kw->match(t, m, r, &r->post.v[j]);
		}
		if (r->action == RA_PASS) {
			res->pass = 1;
			break;
		}
		alert = !r->noalert && tr == THR_ALERT;
		if (!r->noalert && tr == THR_SILENT)
			t->st.suppressed++;
		if (r->action == RA_DROP || r->action == RA_REJECT) {
			res->drop = 1;
			if (r->action == RA_REJECT)
				res->reject |= r->reject_to ? r->reject_to : REJECT_TO_SRC;
		}
		if (!alert && r->action == RA_ALERT && !t->block_secs)
			continue;
		if (res->n >= DET_MAX_ALERTS) {
			res->lost++;
			t->st.alerts_lost++;
			continue;
		}
		res->a[res->n].r = r;
		res->a[res->n].action = r->action;
		res->a[res->n].suppressed = (uint8_t)!alert;
		res->a[res->n].frame_buf = fb;
		res->a[res->n].block_secs = t->block_secs;
		res->a[res->n].ev_kw = t->ev_kw;
		res->a[res->n].ev_track = t->ev_track;
		res->a[res->n].ev_field = t->ev_field;
		res->a[res->n].ev_count = t->ev_count;
		res->a[res->n].ev_seconds = t->ev_seconds;
		if (t->block_secs)
			res->a[res->n].block_addr = *t->block_addr;
		else
			memset(&res->a[res->n].block_addr, 0, sizeof(sw_addr));
		res->n++;
		if (alert)
			t->st.alerts++;
	}
	return res->n;
}

int detect_thread_init(struct det_thread *t)
{
	memset(t, 0, sizeof(*t));
	return detect_payload_thread_init(t);
}

void detect_thread_free(struct det_thread *t)
{
	if (!t)
		return;
	detect_payload_thread_free(t);
	prefilter_scratch_free(t->hs_scratch);
	free(t->cand);
	free(t->cand_list);
	free(t->xbuf);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------ */

void detect_kw_setup(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	detect_meta_register();
	detect_flow_register();
	detect_payload_register();
	detect_threshold_register();
	detect_sip_register();
	detect_transform_register();
	detect_anomaly_register();
	detect_call_register();
	detect_dataset_register();
	detect_bits_register();
	detect_rtp_register();
}
