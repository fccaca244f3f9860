/*
 * sip_state.c - the call-state facade (sip_state.h): creates the tables,
 * routes each message to the transaction, dialog and registration layers,
 * runs the timers, and ends everything at shutdown.
 */
#include "sip_state_int.h"

#include <stdio.h>
#include <string.h>

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

static void common_free(struct sip_common *c)
{
	if (!c)
		return;
	free(c->reg_h);
	free(c->media_h);
	cmap_free(&c->calls);
	cmap_free(&c->regsrc);
	free(c->shards);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* A shard's tables (its entries are gone already) and the shard. */
static void shard_free(struct sip_state *s)
{
	free(s->txn_h);
	free(s->dlg_h);
	free(s->dlg_idh);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* One shard: its transaction and dialog tables sized for its part of the caps. */
static struct sip_state *shard_create(const struct sip_state_cfg *cfg,
                                      const struct sip_state_hooks *hooks, void *ud,
                                      struct sip_common *c, unsigned index, unsigned n)
{
	struct sip_state *s = calloc(1, sizeof(*s));
	uint32_t b;
	if (!s)
		return NULL;
	s->cfg = *cfg;
	s->c = c;
	s->index = (uint16_t)index;
	s->hooks = hooks;
	s->ud = ud;
	pthread_mutex_init(&s->mu, NULL);
	b = ss_pow2((cfg->max_txns + n - 1) / n);
	s->txn_mask = b - 1;
	s->txn_h = calloc(b, sizeof(*s->txn_h));
	b = ss_pow2((cfg->max_dialogs + n - 1) / n);
	s->dlg_mask = b - 1;
	s->dlg_h = calloc(b, sizeof(*s->dlg_h));
	s->dlg_idh = calloc(b, sizeof(*s->dlg_idh));
	dl_init(&s->txn_wait);
	dl_init(&s->txn_inv_proc);
	dl_init(&s->txn_done);
	dl_init(&s->dlg_early);
	dl_init(&s->dlg_confirmed);
	dl_init(&s->dlg_ended);
	if (!s->txn_h || !s->dlg_h || !s->dlg_idh) {
		shard_free(s);
		return NULL;
	}
	return s;
}

struct sip_state *sip_state_create_sharded(const struct sip_state_cfg *cfg,
                                           const struct sip_state_hooks *hooks, void *ud,
                                           unsigned n_shards)
{
	struct sip_state_cfg k = *cfg;
	struct sip_common *c;
	uint32_t n;

	if (!n_shards)
		n_shards = 1;
	if (n_shards > SIP_STATE_MAX_SHARDS)
		n_shards = SIP_STATE_MAX_SHARDS;
	if (!k.max_txns)
		k.max_txns = 65536;
	if (!k.max_dialogs)
		k.max_dialogs = 65536;
	if (!k.max_regs)
		k.max_regs = 65536;
	if (!k.max_media)
		k.max_media = 131072;
	if (!k.txn_timeout)
		k.txn_timeout = 32;
	if (!k.dialog_early_timeout)
		k.dialog_early_timeout = 180;
	if (!k.dialog_idle_timeout)
		k.dialog_idle_timeout = 7200;
	if (!k.reg_max_expires)
		k.reg_max_expires = 86400;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	n = ss_pow2(k.max_regs);
	c->reg_mask = n - 1;
	c->reg_h = calloc(n, sizeof(*c->reg_h));
	n = ss_pow2(k.max_media);
	c->media_mask = n - 1;
	c->media_h = calloc(n, sizeof(*c->media_h));
	dl_init(&c->reg_lru);
	dl_init(&c->media_lru);
	c->shards = calloc(n_shards, sizeof(*c->shards));
	if (!c->reg_h || !c->media_h || !c->shards ||
	    cmap_init(&c->calls, k.max_dialogs / 4) != 0 ||
	    cmap_init(&c->regsrc, k.max_regs / 4) != 0) {
		common_free(c);
		return NULL;
	}
	for (; c->n_shards < n_shards; c->n_shards++) {
		c->shards[c->n_shards] = shard_create(&k, hooks, ud, c, c->n_shards, n_shards);
		if (!c->shards[c->n_shards]) {
			if (c->n_shards)
				sip_state_destroy(c->shards[0]);
			else
				common_free(c);
			return NULL;
		}
	}
	return c->shards[0];
}

struct sip_state *sip_state_create(const struct sip_state_cfg *cfg,
                                   const struct sip_state_hooks *hooks, void *ud)
{
	return sip_state_create_sharded(cfg, hooks, ud, 1);
}

unsigned sip_state_shards(const struct sip_state *s)
{
	return s->c->n_shards;
}

struct sip_state *sip_state_shard(struct sip_state *s, unsigned i)
{
	return s->c->shards[i < s->c->n_shards ? i : 0];
}

struct sip_state *sip_state_shard_for(struct sip_state *s, sw_str call_id)
{
	if (s->c->n_shards == 1)
		return s->c->shards[0];
	return s->c->shards[sw_hash_mix(sw_hash_bytes(0, call_id.p, call_id.len)) % s->c->n_shards];
}

unsigned sip_state_shard_index(const struct sip_state *s)
{
	return s->index;
}

pthread_mutex_t *sip_state_mutex(struct sip_state *s)
{
	return &s->mu;
}

/*
 * Makes room for one more entry when *active (over all shards) is at cap:
 * what is over goes first (evict(x, ctx, 0)), from this shard or another
 * one free now, then the oldest open one the same way (evict(x, ctx, 1)),
 * as one state would, up to age across shards. Another shard is only
 * tried (trylock): one is never waited for while holding one. Workers
 * checking at once may each pass the check, and all shards may be busy:
 * the cap is then exceeded by at most one entry per worker, for a while.
 */
void ss_make_room(struct sip_state *s, const struct sip_msg_ctx *ctx, const uint64_t *active,
                  uint32_t cap, int (*evict)(struct sip_state *, const struct sip_msg_ctx *, int))
{
	struct sip_common *c = s->c;
	if (__atomic_load_n(active, __ATOMIC_RELAXED) < cap)
		return;
	for (int open = 0; open <= 1; open++) {
		if (evict(s, ctx, open))
			return;
		for (unsigned i = 1; i < c->n_shards; i++) {
			struct sip_state *x = c->shards[(s->index + i) % c->n_shards];
			int done;
			if (pthread_mutex_trylock(&x->mu) != 0)
				continue;
			done = evict(x, ctx, open);
			pthread_mutex_unlock(&x->mu);
			if (done)
				return;
		}
	}
}

void sip_state_finish(struct sip_state *s)
{
	struct sip_common *c = s->c;
	sw_time now = 0;
	/* Ended at the latest time any shard saw, as one state would be. */
	for (unsigned i = 0; i < c->n_shards; i++)
		now = SW_MAX(now, c->shards[i]->now);
	for (unsigned i = 0; i < c->n_shards; i++)
		c->shards[i]->now = now;
	/* Transactions first: their records name dialogs still open. */
	for (unsigned i = 0; i < c->n_shards; i++)
		txn_free_all(c->shards[i]);
	for (unsigned i = 0; i < c->n_shards; i++)
		dialog_free_all(c->shards[i]);
	media_free_all(s);
	pthread_mutex_lock(&c->mu);
	reg_free_all(s);
	pthread_mutex_unlock(&c->mu);
}

void sip_state_destroy(struct sip_state *s)
{
	struct sip_common *c;
	if (!s)
		return;
	c = s->c;
	sip_state_finish(s);
	for (unsigned i = 0; i < c->n_shards; i++)
		shard_free(c->shards[i]);
	common_free(c);
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
		pthread_mutex_lock(&s->c->mu);
		res->src_registered = cmap_get(&s->c->regsrc, ss_key_addr('r', &ctx->src)) > 0;
		pthread_mutex_unlock(&s->c->mu);
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
		    !t->written) {
			pthread_mutex_lock(&s->c->mu);
			reg_response(s, m, ctx, t, res);
			pthread_mutex_unlock(&s->c->mu);
		}
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
	struct sip_common *c = s->c;
	sw_time latest = now;
	for (unsigned i = 0; i < c->n_shards; i++) {
		struct sip_state *x = c->shards[i];
		pthread_mutex_lock(&x->mu);
		if (now > x->now)
			x->now = now;
		latest = SW_MAX(latest, x->now);
		txn_tick(x);
		dialog_tick(x);
		pthread_mutex_unlock(&x->mu);
	}
	/* Registrations on the latest time any shard saw (a shard's own
	 * clock is read under its mutex only). */
	pthread_mutex_lock(&c->mu);
	if (latest >= c->next_reg_sweep) {
		reg_tick(s, latest);
		c->next_reg_sweep = latest + 5 * SW_USEC_PER_SEC;
	}
	pthread_mutex_unlock(&c->mu);
}

int sip_state_media_lookup(struct sip_state *s, const sw_addr *addr, uint16_t port,
                           uint8_t proto, struct media_match *mm)
{
	const struct media_exp *x;
	int hit = 0;
	pthread_mutex_lock(&s->c->mu);
	x = media_find(s, addr, port, proto);
	if (x) {
		mm->dialog_id = x->dlg->id;
		mm->shard = x->dlg->shard;
		mm->party = x->party;
		mm->is_rtcp = x->is_rtcp;
		mm->media_index = x->index;
		hit = 1;
	}
	pthread_mutex_unlock(&s->c->mu);
	return hit;
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
	return __atomic_load_n(&s->c->media_epoch, __ATOMIC_RELAXED);
}

void sip_state_stats(struct sip_state *s, struct sip_state_stats *out)
{
	struct sip_common *c = s->c;
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)out;
	size_t n = sizeof(*out) / sizeof(uint64_t);

	memset(out, 0, sizeof(*out));
	/* Shards count transactions and dialogs, the common part the rest:
	 * every counter is a sum. */
	for (unsigned i = 0; i < c->n_shards; i++) {
		struct sip_state *x = c->shards[i];
		pthread_mutex_lock(&x->mu);
		src = (const uint64_t *)&x->st;
		for (size_t k = 0; k < n; k++)
			dst[k] += src[k];
		pthread_mutex_unlock(&x->mu);
	}
	pthread_mutex_lock(&c->mu);
	src = (const uint64_t *)&c->st;
	for (size_t k = 0; k < n; k++)
		dst[k] += src[k];
	pthread_mutex_unlock(&c->mu);
}

const struct sip_state_stats *sip_state_get_stats(struct sip_state *s)
{
	static __thread struct sip_state_stats sum;
	sip_state_stats(s, &sum);
	return &sum;
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
