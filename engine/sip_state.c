/*
 * sip_state.c - the call-state facade (sip_state.h): creates the tables,
 * routes each message to the transaction, dialog and registration layers,
 * runs the timers, and ends everything at shutdown.
 */
#include "sip_state_int.h"

#include <stdio.h>

#include "anomaly.h"

uint32_t ss_pow2(uint32_t n)
{
	uint32_t p = 16;
	while (p < n && p < (1u << 28))
		p <<= 1;
	return p;
}

uint64_t ss_hash_strs(const sw_str *v, unsigned n)
{
	uint64_t h = 0;
	for (unsigned i = 0; i < n; i++) {
		h = sw_hash_bytes(h, v[i].p, v[i].len);
		h = sw_hash_bytes(h, "\0", 1);
	}
	return sw_hash_mix(h);
}

void ss_anomaly(struct sip_state *s, const struct sip_msg_ctx *ctx, unsigned id)
{
	if (s->hooks && s->hooks->anomaly)
		s->hooks->anomaly(s->ud, ctx, id);
}

uint16_t strs_put(struct strs *b, sw_str s, size_t max)
{
	size_t room, n;
	uint16_t off;
	if (s.len == 0 || b->len >= STRS_CAP - 1)
		return 0;
	room = STRS_CAP - b->len; /* includes the NUL */
	if (max + 1 < room)
		room = max + 1;
	off = b->len;
	n = sip_unfold(s, b->buf + off, room);
	b->len = (uint16_t)(b->len + n + 1);
	return off;
}

uint16_t strs_put_cstr(struct strs *b, const char *s, size_t max)
{
	return strs_put(b, sw_str_make(s, strlen(s)), max);
}

struct sip_state *sip_state_create(const struct sip_state_cfg *cfg,
                                   const struct sip_state_hooks *hooks, void *ud)
{
	struct sip_state *s = calloc(1, sizeof(*s));
	uint32_t n;
	if (!s)
		return NULL;
	s->cfg = *cfg;
	if (!s->cfg.max_txns)
		s->cfg.max_txns = 65536;
	if (!s->cfg.max_dialogs)
		s->cfg.max_dialogs = 65536;
	if (!s->cfg.max_regs)
		s->cfg.max_regs = 65536;
	if (!s->cfg.max_media)
		s->cfg.max_media = 131072;
	if (!s->cfg.txn_timeout)
		s->cfg.txn_timeout = 32;
	if (!s->cfg.dialog_early_timeout)
		s->cfg.dialog_early_timeout = 180;
	if (!s->cfg.dialog_idle_timeout)
		s->cfg.dialog_idle_timeout = 7200;
	if (!s->cfg.reg_max_expires)
		s->cfg.reg_max_expires = 86400;
	s->hooks = hooks;
	s->ud = ud;

	n = ss_pow2(s->cfg.max_txns);
	s->txn_mask = n - 1;
	s->txn_h = calloc(n, sizeof(*s->txn_h));
	n = ss_pow2(s->cfg.max_dialogs);
	s->dlg_mask = n - 1;
	s->dlg_h = calloc(n, sizeof(*s->dlg_h));
	s->dlg_idh = calloc(n, sizeof(*s->dlg_idh));
	n = ss_pow2(s->cfg.max_regs);
	s->reg_mask = n - 1;
	s->reg_h = calloc(n, sizeof(*s->reg_h));
	n = ss_pow2(s->cfg.max_media);
	s->media_mask = n - 1;
	s->media_h = calloc(n, sizeof(*s->media_h));
	if (!s->txn_h || !s->dlg_h || !s->dlg_idh || !s->reg_h || !s->media_h ||
	    cmap_init(&s->calls, s->cfg.max_dialogs / 4) != 0 ||
	    cmap_init(&s->regsrc, s->cfg.max_regs / 4) != 0)
		goto fail;
	dl_init(&s->txn_wait);
	dl_init(&s->txn_inv_proc);
	dl_init(&s->txn_done);
	dl_init(&s->dlg_early);
	dl_init(&s->dlg_confirmed);
	dl_init(&s->dlg_ended);
	dl_init(&s->reg_lru);
	dl_init(&s->media_lru);
	return s;
fail:
	sip_state_destroy(s);
	return NULL;
}

void sip_state_finish(struct sip_state *s)
{
	/* Transactions first: their records name dialogs still open. */
	if (s->txn_h)
		txn_free_all(s);
	if (s->dlg_h && s->dlg_idh)
		dialog_free_all(s);
	if (s->media_h)
		media_free_all(s);
	if (s->reg_h)
		reg_free_all(s);
}

void sip_state_destroy(struct sip_state *s)
{
	if (!s)
		return;
	sip_state_finish(s);
	free(s->txn_h);
	free(s->dlg_h);
	free(s->dlg_idh);
	free(s->reg_h);
	free(s->media_h);
	cmap_free(&s->calls);
	cmap_free(&s->regsrc);
	free(s);
}

void sip_state_message(struct sip_state *s, const struct sip_msg *m,
                       const struct sdp_session *sdp, const struct sip_msg_ctx *ctx,
                       struct sip_msg_result *res)
{
	struct txn *t;

	memset(res, 0, sizeof(*res));
	s->msg_txn = NULL;
	s->msg_dialog = NULL;
	if (ctx->ts > s->now)
		s->now = ctx->ts;
	/* Without Call-ID and CSeq nothing can be matched: counted by the parser's anomalies. */
	if (m->call_id.len == 0 || !m->cseq.valid)
		return;
	if (m->is_request) {
		res->src_registered = cmap_get(&s->regsrc, ss_key_addr('r', &ctx->src)) > 0;
		t = txn_request(s, m, ctx, res);
		/* The engine parsed the body already: a usable SDP is what counts. */
		if (t && sdp && t->method_id == m->method_id)
			t->req_sdp = 1;
		dialog_request(s, m, sdp, ctx, t, res);
		/* ACK has no response: its record is written now (RFC 3261 §17.1.1.3:
		 * the ACK of a 2xx is a transaction of its own). */
		if (t && t->method_id == SIP_M_ACK && !t->written) {
			t->dialog_id = res->dialog_id;
			txn_write(s, t, "completed");
		}
	} else {
		t = txn_response(s, m, ctx, res);
		if (t && sdp && m->status >= 200 && !res->retransmission && !t->written)
			t->resp_sdp = 1;
		if (t && m->status >= 200 && !res->retransmission) {
			const char *au = txn_str(t, t->s_auth_user);
			int had = au && au[0];
			res->auth_user = had ? au : NULL;
			if (m->status == 401 || m->status == 407)
				res->auth_failed = (uint8_t)had, res->auth_challenge = (uint8_t)!had;
			else if (m->status == 403)
				res->auth_failed = (uint8_t)had;
			else if (m->status < 300)
				res->auth_ok = (uint8_t)had;
		}
		if (t && t->method_id == SIP_M_REGISTER && m->status >= 200 && !res->retransmission &&
		    !t->written)
			reg_response(s, m, ctx, t, res);
		dialog_response(s, m, sdp, ctx, t, res);
		if (t && m->status >= 200 && !t->written && !res->retransmission)
			txn_write(s, t, "completed");
	}
	if (t)
		res->txn_state = t->state;
}

void sip_state_dropped(struct sip_state *s, sw_time ts)
{
	struct txn *t = s->msg_txn;
	struct dialog *d = s->msg_dialog;
	s->msg_txn = NULL;
	s->msg_dialog = NULL;
	if (t && !t->written)
		txn_write(s, t, "dropped");
	if (d)
		dialog_dropped(s, d, ts);
}

void sip_state_tick(struct sip_state *s, sw_time now)
{
	if (now > s->now)
		s->now = now;
	txn_tick(s);
	dialog_tick(s);
	if (s->now >= s->next_reg_sweep) {
		reg_tick(s);
		s->next_reg_sweep = s->now + 5 * SW_USEC_PER_SEC;
	}
}

int sip_state_media_lookup(struct sip_state *s, const sw_addr *addr, uint16_t port,
                           uint8_t proto, struct media_match *mm)
{
	const struct media_exp *x = media_find(s, addr, port, proto);
	if (!x)
		return 0;
	mm->dialog_id = x->dlg->id;
	mm->party = x->party;
	mm->is_rtcp = x->is_rtcp;
	mm->media_index = x->index;
	return 1;
}

static void media_activity(struct sip_state *s, struct dialog *d, sw_time ts)
{
	if (ts > d->last_activity) {
		d->last_activity = ts;
		/* A confirmed dialog's idle timer restarts with media: keep the
		 * list ordered by moving it to the newest end. */
		if (d->tlist == DL_CONFIRMED) {
			dl_del(&s->dlg_confirmed, &d->tnode);
			d->timer_start = ts;
			dl_push(&s->dlg_confirmed, &d->tnode);
		}
	}
}

int sip_state_dialog_live(struct sip_state *s, uint64_t dialog_id)
{
	struct dialog *d = dialog_by_id(s, dialog_id);
	return d && d->state != DLG_TERMINATED;
}

void sip_state_media_activity(struct sip_state *s, uint64_t dialog_id, sw_time ts)
{
	struct dialog *d = dialog_by_id(s, dialog_id);
	if (d)
		media_activity(s, d, ts);
}

void sip_state_media_packet(struct sip_state *s, uint64_t dialog_id, unsigned media_index,
                            int is_rtcp, int party, uint32_t len, sw_time ts)
{
	struct dialog *d = dialog_by_id(s, dialog_id);
	party = party ? 1 : 0;
	if (!d)
		return;
	media_activity(s, d, ts);
	for (unsigned i = 0; i < d->n_m; i++) {
		if (d->m[i].index == media_index) {
			if (is_rtcp) {
				d->m[i].rtcp_pkts[party]++;
			} else {
				d->m[i].pkts[party]++;
				d->m[i].bytes[party] += len;
			}
			break;
		}
	}
}

uint32_t sip_state_media_epoch(const struct sip_state *s)
{
	return s->media_epoch;
}

const struct sip_state_stats *sip_state_get_stats(const struct sip_state *s)
{
	return &s->st;
}

const char *sip_txn_state_name(int st)
{
	static const char *const n[] = { "none", "trying", "proceeding", "completed", "terminated" };
	return st >= 0 && st < (int)SW_ARRAY_SIZE(n) ? n[st] : "unknown";
}

const char *sip_dialog_state_name(int st)
{
	static const char *const n[] = { "none", "init", "early", "confirmed", "terminated" };
	return st >= 0 && st < (int)SW_ARRAY_SIZE(n) ? n[st] : "unknown";
}

/* ------------------------------------------------------------------ */
/* Count map */

int cmap_init(struct cmap *m, uint32_t buckets)
{
	uint32_t n = ss_pow2(buckets < 64 ? 64 : buckets);
	m->b = calloc(n, sizeof(*m->b));
	m->mask = n - 1;
	return m->b ? 0 : -1;
}

void cmap_free(struct cmap *m)
{
	if (!m->b)
		return;
	for (uint32_t i = 0; i <= m->mask; i++) {
		struct cmap_ent *e = m->b[i], *n;
		for (; e; e = n) {
			n = e->next;
			free(e);
		}
	}
	free(m->b);
	m->b = NULL;
}

void cmap_add(struct cmap *m, uint64_t key, int delta)
{
	struct cmap_ent **pp, *e;
	if (!key || !m->b)
		return;
	for (pp = &m->b[sw_hash_mix(key) & m->mask]; (e = *pp); pp = &e->next)
		if (e->key == key)
			break;
	if (!e) {
		if (delta <= 0 || !(e = calloc(1, sizeof(*e))))
			return;
		e->key = key;
		*pp = e;
	}
	if (delta < 0 && e->n < (uint32_t)-delta)
		e->n = 0;
	else
		e->n = (uint32_t)((int64_t)e->n + delta);
	if (e->n == 0) {
		*pp = e->next;
		free(e);
	}
}

uint32_t cmap_get(const struct cmap *m, uint64_t key)
{
	if (!key || !m->b)
		return 0;
	for (const struct cmap_ent *e = m->b[sw_hash_mix(key) & m->mask]; e; e = e->next)
		if (e->key == key)
			return e->n;
	return 0;
}

uint64_t ss_key_addr(char kind, const sw_addr *a)
{
	return sw_hash_bytes(sw_hash_bytes(0, &kind, 1), a, sizeof(*a)) | 1;
}

uint64_t ss_key_str(char kind, sw_str s)
{
	if (!s.len)
		return 0;
	return sw_hash_bytes(sw_hash_bytes(0, &kind, 1), s.p, s.len) | 1;
}
