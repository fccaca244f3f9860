/*
 * sip_dialog.c - INVITE dialogs (RFC 3261 §12, §13, §15), i.e. calls.
 *
 * A dialog is identified by Call-ID, the caller's tag (From tag of the
 * INVITE) and the callee's tag (To tag of its responses). Dialogs are
 * hashed by (Call-ID, caller tag); forks of one INVITE (responses with
 * different To tags, §12.1.2 / §13.2.2.4) share that key and each gets
 * a dialog of its own. An in-dialog request is matched in both
 * orientations: From tag = caller tag (sent by the caller side) or
 * From tag = callee tag (sent by the callee side).
 *
 *   state        on                                   next         timer list
 *   INIT         initial INVITE                       -            EARLY (early timeout)
 *   INIT/EARLY   1xx with To tag                      EARLY        EARLY
 *   INIT/EARLY   2xx                                  CONFIRMED    CONFIRMED (idle timeout,
 *                                                                  restarted by signalling
 *                                                                  and media)
 *   INIT/EARLY   3xx-6xx (487 after CANCEL: "cancel") TERMINATED   ENDED (linger)
 *   INIT/EARLY   401/407                              TERMINATED,  EARLY; a new INVITE with
 *                                                     challenged   the same Call-ID and tag
 *                                                                  (the authenticated retry)
 *                                                                  revives it: one call,
 *                                                                  one record
 *   CONFIRMED    BYE (either side)                    TERMINATED   ENDED
 *   any          timer expiry                         (record "timeout", freed)
 *
 * The `call` record is written when a dialog leaves the table: after the
 * linger of a terminated dialog (so retransmissions and trailing RTP are
 * still attributed to it), on timeout, on eviction or at shutdown.
 */
#include <stdio.h>

#include "anomaly.h"
#include "sip_state_int.h"

enum { BY_NONE = 0, BY_CALLER, BY_CALLEE };

static const char *dstr(const struct dialog *d, uint16_t off)
{
	return d->strs + off;
}

static uint64_t dkey(sw_str call_id, sw_str caller_tag)
{
	sw_str v[2] = { call_id, caller_tag };
	return ss_hash_strs(v, 2);
}

static int streq(const char *c, sw_str s)
{
	return strlen(c) == s.len && (s.len == 0 || memcmp(c, s.p, s.len) == 0);
}

#define CALL_ID_MAX 256
#define TAG_MAX 128

/*
 * Stored identifiers are cut at a maximum length (max): one that reached
 * it was cut, so compare that much. The hash covers the whole value.
 */
static int cut_eq(const char *stored, size_t max, sw_str s)
{
	size_t n = strlen(stored);
	if (n == max && s.len >= n)
		return memcmp(stored, s.p, n) == 0;
	return streq(stored, s);
}

static struct dl_list *list_of(struct sip_state *s, uint8_t l)
{
	switch (l) {
	case DL_EARLY:
		return &s->dlg_early;
	case DL_CONFIRMED:
		return &s->dlg_confirmed;
	case DL_ENDED:
		return &s->dlg_ended;
	default:
		return NULL;
	}
}

static void set_list(struct sip_state *s, struct dialog *d, uint8_t l, sw_time now)
{
	struct dl_list *old = list_of(s, d->tlist), *nw = list_of(s, l);
	if (old)
		dl_del(old, &d->tnode);
	d->tlist = l;
	d->timer_start = now;
	if (nw)
		dl_push(nw, &d->tnode);
}

struct dialog *dialog_by_id(struct sip_state *s, uint64_t id)
{
	uint64_t h = sw_hash_mix(id);
	for (struct dialog *d = s->dlg_idh[h & s->dlg_mask]; d; d = d->idnext)
		if (d->id == id)
			return d;
	return NULL;
}

static void write_rec(struct sip_state *s, struct dialog *d)
{
	struct sip_dialog_rec r;
	memset(&r, 0, sizeof(r));
	r.dialog_id = d->id;
	r.flow_id = d->flow_id;
	r.start = d->start;
	r.answered = d->answered;
	r.end_ts = d->end_ts ? d->end_ts : s->now;
	r.caller_addr = d->addr[0];
	r.callee_addr = d->addr[1];
	r.caller_port = d->port[0];
	r.callee_port = d->port[1];
	r.proto = d->proto;
	r.ip_v = d->ip_v;
	r.state = d->state;
	r.reached_early = d->reached_early;
	r.reached_confirmed = d->reached_confirmed;
	r.final_code = d->final_code;
	r.end = d->end ? d->end : "timeout";
	r.ended_by = d->ended_by == BY_CALLER ? "caller" : d->ended_by == BY_CALLEE ? "callee" : "";
	r.call_id = dstr(d, d->s_call_id);
	r.from = dstr(d, d->s_from);
	r.to = dstr(d, d->s_to);
	r.from_tag = dstr(d, d->s_from_tag);
	r.to_tag = d->to_tag;
	r.caller_ua = dstr(d, d->s_caller_ua);
	r.callee_ua = d->callee_ua;
	r.ruri = dstr(d, d->s_ruri);
	r.reinvites = d->reinvites;
	memcpy(r.media, d->m, sizeof(r.media));
	r.n_media = d->n_m;
	if (s->hooks && s->hooks->dialog_done)
		s->hooks->dialog_done(s->ud, &r);
}

static void unlink_chain(struct dialog **pp, struct dialog *d, int by_id)
{
	while (*pp && *pp != d)
		pp = by_id ? &(*pp)->idnext : &(*pp)->hnext;
	if (*pp)
		*pp = by_id ? d->idnext : d->hnext;
}

/* Active calls per caller address and per account (sip.calls rules): a
 * dialog counts from its INVITE until it terminates. */
static void count_call(struct sip_state *s, struct dialog *d, int delta)
{
	if ((delta > 0) == (d->counted != 0))
		return;
	d->counted = delta > 0;
	pthread_mutex_lock(&s->c->mu);
	cmap_add(&s->c->calls, ss_key_addr('s', &d->addr[0]), delta);
	cmap_add(&s->c->calls, d->acct_key, delta);
	pthread_mutex_unlock(&s->c->mu);
}

/* Writes d's record and frees it. */
static void finish(struct sip_state *s, struct dialog *d)
{
	count_call(s, d, -1);
	write_rec(s, d);
	unlink_chain(&s->dlg_h[d->hash & s->dlg_mask], d, 0);
	unlink_chain(&s->dlg_idh[sw_hash_mix(d->id) & s->dlg_mask], d, 1);
	set_list(s, d, DL_NONE, 0);
	media_free_dialog(s, d);
	s->st.dialogs_active--;
	__atomic_sub_fetch(&s->c->dialogs_active, 1, __ATOMIC_RELAXED);
	free(d);
}

/* Frees s's oldest ended dialog, or with open its oldest open one if it
 * has no ended one; 0 if none went. */
static int evict_one(struct sip_state *s, const struct sip_msg_ctx *ctx, int open)
{
	struct dl_node *n;
	struct dialog *d;
	n = dl_first(&s->dlg_ended);
	if (n) {
		/* Already over: its record is complete, only the linger is cut short. */
		finish(s, dl_entry(n, struct dialog, tnode));
		return 1;
	}
	if (!open)
		return 0;
	n = dl_first(&s->dlg_early);
	if (!n)
		n = dl_first(&s->dlg_confirmed);
	if (!n)
		return 0;
	d = dl_entry(n, struct dialog, tnode);
	d->end = "evicted";
	d->end_ts = s->now;
	s->st.dialogs_evicted++;
	ss_anomaly(s, ctx, ANOM_STATE_DIALOG_EVICTED);
	finish(s, d);
	return 1;
}

/* Makes room for one more dialog (ss_make_room()). */
static void make_room(struct sip_state *s, const struct sip_msg_ctx *ctx)
{
	ss_make_room(s, ctx, &s->c->dialogs_active, s->cfg.max_dialogs, evict_one);
}

static void insert(struct sip_state *s, struct dialog *d)
{
	uint32_t hb = (uint32_t)(d->hash & s->dlg_mask);
	uint32_t ib = (uint32_t)(sw_hash_mix(d->id) & s->dlg_mask);
	d->hnext = s->dlg_h[hb];
	s->dlg_h[hb] = d;
	d->idnext = s->dlg_idh[ib];
	s->dlg_idh[ib] = d;
	s->st.dialogs++;
	s->st.dialogs_active++;
	__atomic_add_fetch(&s->c->dialogs_active, 1, __ATOMIC_RELAXED);
}

static struct dialog *create(struct sip_state *s, const struct sip_msg *m,
                             const struct sip_msg_ctx *ctx)
{
	struct strs *b = &s->scratch;
	const struct sip_header *hv;
	struct dialog *d;

	make_room(s, ctx);
	strs_init(b);
	uint16_t call_id = strs_put(b, m->call_id, CALL_ID_MAX);
	hv = sip_find_header(m, SIP_H_FROM, NULL);
	uint16_t from = strs_put(b, hv ? hv->value : m->from.raw, 256);
	hv = sip_find_header(m, SIP_H_TO, NULL);
	uint16_t to = strs_put(b, hv ? hv->value : m->to.raw, 256);
	uint16_t from_tag = strs_put(b, m->from.tag, TAG_MAX);
	uint16_t ua = strs_put(b, m->user_agent, 128);
	uint16_t ruri = strs_put(b, m->ruri_raw, 256);
	d = calloc(1, sizeof(*d) + b->len);
	if (!d)
		return NULL;
	memcpy(d->strs, b->buf, b->len);
	d->s_call_id = call_id;
	d->s_from = from;
	d->s_to = to;
	d->s_from_tag = from_tag;
	d->s_caller_ua = ua;
	d->s_ruri = ruri;
	d->hash = dkey(m->call_id, m->from.tag);
	d->id = __atomic_add_fetch(&s->c->next_dialog_id, 1, __ATOMIC_RELAXED);
	d->shard = s->index;
	d->flow_id = ctx->flow_id;
	d->start = d->last_activity = ctx->ts;
	d->addr[0] = ctx->src;
	d->port[0] = ctx->sport;
	d->addr[1] = ctx->dst;
	d->port[1] = ctx->dport;
	d->proto = ctx->proto;
	d->ip_v = ctx->ip_v;
	d->state = DLG_INIT;
	d->invite_cseq = m->cseq.num;
	if (m->authz.present)
		d->acct_key = ss_key_str('a', m->authz.username);
	insert(s, d);
	set_list(s, d, DL_EARLY, ctx->ts);
	count_call(s, d, 1);
	return d;
}

/* A fork: a second callee answering the same INVITE with another To tag. */
static struct dialog *fork_of(struct sip_state *s, const struct dialog *o, sw_str to_tag,
                              const struct sip_msg_ctx *ctx)
{
	size_t sl = 0;
	struct dialog *d;
	/* The string block ends with the last NUL written; find its size. */
	const uint16_t offs[] = { o->s_call_id, o->s_from, o->s_to, o->s_from_tag, o->s_caller_ua,
		                  o->s_ruri };
	for (unsigned i = 0; i < SW_ARRAY_SIZE(offs); i++)
		sl = SW_MAX(sl, (size_t)offs[i] + strlen(o->strs + offs[i]) + 1);
	make_room(s, ctx);
	d = malloc(sizeof(*d) + sl);
	if (!d)
		return NULL;
	/* o->media is the common part's (another shard may move one of its
	 * endpoints meanwhile); the copy gets none of it. */
	pthread_mutex_lock(&s->c->mu);
	memcpy(d, o, sizeof(*d) + sl);
	pthread_mutex_unlock(&s->c->mu);
	d->hnext = d->idnext = NULL;
	d->tnode.prev = d->tnode.next = NULL;
	d->tlist = DL_NONE;
	d->media = NULL;
	d->id = __atomic_add_fetch(&s->c->next_dialog_id, 1, __ATOMIC_RELAXED);
	d->shard = s->index;
	memset(d->m, 0, sizeof(d->m));
	d->n_m = 0;
	d->callee_ua[0] = '\0';
	d->counted = 0; /* a fork is the same call for its caller: counted once */
	sw_str_copy(d->to_tag, sizeof(d->to_tag), to_tag);
	insert(s, d);
	set_list(s, d, DL_EARLY, ctx->ts);
	return d;
}

/*
 * Finds the dialog of (call_id, caller tag, callee tag). An empty callee
 * tag matches the dialog still without one first, then any. With a callee
 * tag, a dialog still without one matches too (the tag is learned later)
 * unless want_exact.
 */
static struct dialog *find(struct sip_state *s, sw_str call_id, sw_str caller_tag,
                           sw_str callee_tag, int want_exact)
{
	uint64_t h = dkey(call_id, caller_tag);
	struct dialog *untagged = NULL, *any = NULL;
	for (struct dialog *d = s->dlg_h[h & s->dlg_mask]; d; d = d->hnext) {
		if (d->hash != h || !cut_eq(dstr(d, d->s_call_id), CALL_ID_MAX, call_id) ||
		    !cut_eq(dstr(d, d->s_from_tag), TAG_MAX, caller_tag))
			continue;
		if (callee_tag.len && cut_eq(d->to_tag, sizeof(d->to_tag) - 1, callee_tag))
			return d;
		if (!d->to_tag[0] && !untagged)
			untagged = d;
		if (!any)
			any = d;
	}
	if (callee_tag.len)
		return want_exact ? NULL : untagged;
	return untagged ? untagged : any;
}

/* In-dialog lookup in both orientations; *party = side that sent From. */
static struct dialog *find_in_dialog(struct sip_state *s, const struct sip_msg *m, int *party)
{
	struct dialog *d = find(s, m->call_id, m->from.tag, m->to.tag, 1);
	if (d) {
		*party = 0;
		return d;
	}
	d = find(s, m->call_id, m->to.tag, m->from.tag, 1);
	if (d) {
		*party = 1;
		return d;
	}
	return NULL;
}

static void touch(struct sip_state *s, struct dialog *d, sw_time ts)
{
	if (ts > d->last_activity)
		d->last_activity = ts;
	if (d->tlist == DL_CONFIRMED)
		set_list(s, d, DL_CONFIRMED, ts);
}

static void terminate(struct sip_state *s, struct dialog *d, const char *end, sw_time ts,
                      uint8_t by)
{
	count_call(s, d, -1);
	d->state = DLG_TERMINATED;
	d->end = end;
	d->end_ts = ts;
	d->ended_by = by;
	set_list(s, d, DL_ENDED, ts);
}

void dialog_dropped(struct sip_state *s, struct dialog *d, sw_time ts)
{
	if (d->state != DLG_TERMINATED)
		terminate(s, d, "dropped", ts, BY_NONE);
}

static int needs_dialog(int method)
{
	switch (method) {
	case SIP_M_BYE:
	case SIP_M_ACK:
	case SIP_M_INVITE:
	case SIP_M_UPDATE:
	case SIP_M_PRACK:
	case SIP_M_INFO:
	case SIP_M_REFER:
		return 1;
	default:
		return 0;
	}
}

void dialog_request(struct sip_state *s, const struct sip_msg *m, const struct sdp_session *sdp,
                    const struct sip_msg_ctx *ctx, struct txn *t, struct sip_msg_result *res)
{
	struct dialog *d;
	int party = 0;

	if (m->method_id == SIP_M_INVITE && m->to.tag.len == 0) {
		/* Initial INVITE: a new call, or the retry of a challenged one. */
		d = find(s, m->call_id, m->from.tag, (sw_str){ 0 }, 0);
		if (d && !res->retransmission && d->state != DLG_CONFIRMED &&
		    m->cseq.num != d->invite_cseq) {
			d->state = DLG_INIT;
			d->challenged = 0;
			d->end = NULL;
			d->end_ts = 0;
			d->final_code = 0;
			d->ended_by = BY_NONE;
			d->invite_cseq = m->cseq.num;
			set_list(s, d, DL_EARLY, ctx->ts);
			s->msg_dialog = d;
			/* The retry of a challenged INVITE carries the account. */
			if (m->authz.present && !d->acct_key) {
				count_call(s, d, -1);
				d->acct_key = ss_key_str('a', m->authz.username);
			}
			count_call(s, d, 1);
		} else if (!d) {
			d = create(s, m, ctx);
			if (!d)
				return;
			s->msg_dialog = d;
		}
		if (!res->retransmission) {
			pthread_mutex_lock(&s->c->mu);
			res->calls_by_src = cmap_get(&s->c->calls, ss_key_addr('s', &ctx->src));
			res->calls_by_account =
			        m->authz.present
			                ? cmap_get(&s->c->calls, ss_key_str('a', m->authz.username))
			                : 0;
			pthread_mutex_unlock(&s->c->mu);
		}
		if (sdp && !res->retransmission)
			media_from_sdp(s, d, 0, sdp);
		goto found;
	}
	if (m->method_id == SIP_M_CANCEL) {
		d = find(s, m->call_id, m->from.tag, m->to.tag, 0);
		if (!d)
			return;
		/* A CANCEL belongs to its INVITE: only the caller may send it
		 * (RFC 3261 §9.1), from where the INVITE came. */
		res->in_dialog = 1;
		res->sender_party = 0;
		res->sender_addr_match = sw_addr_eq(&ctx->src, &d->addr[0]);
		if ((d->state == DLG_INIT || d->state == DLG_EARLY) && res->sender_addr_match)
			d->cancelled = 1;
		goto found;
	}
	if (m->method_id == SIP_M_ACK && t && t->method_id == SIP_M_INVITE) {
		/* ACK of a failure response: part of the INVITE transaction,
		 * so of its dialog, which never learned the To tag. */
		d = dialog_by_id(s, t->dialog_id);
		if (!d)
			return;
		goto found;
	}
	if (m->to.tag.len == 0 || m->from.tag.len == 0)
		return;
	d = find_in_dialog(s, m, &party);
	if (!d) {
		if (needs_dialog(m->method_id)) {
			res->dialog_unknown = 1;
			s->st.in_dialog_unknown++;
		}
		return;
	}
	res->in_dialog = 1;
	res->sender_party = (uint8_t)party;
	res->sender_addr_match = sw_addr_eq(&ctx->src, &d->addr[party]);
	if (!res->retransmission) {
		touch(s, d, ctx->ts);
		/* A BYE from a third host (forged with sniffed tags) does not end
		 * the call here: the parties' media and signalling go on, and an
		 * inline sipwire drops it (rules: sip.sender:not_party). */
		if (m->method_id == SIP_M_BYE && d->state != DLG_TERMINATED &&
		    res->sender_addr_match)
			terminate(s, d, "bye", ctx->ts, party ? BY_CALLEE : BY_CALLER);
		else if (m->method_id == SIP_M_INVITE)
			d->reinvites++;
		if (sdp && d->state != DLG_TERMINATED && media_from_sdp(s, d, party, sdp))
			res->media_moved = 1;
	}
found:
	res->dialog_id = d->id;
	res->dialog_state = d->state;
	if (t && !t->dialog_id)
		t->dialog_id = d->id;
}

void dialog_response(struct sip_state *s, const struct sip_msg *m,
                     const struct sdp_session *sdp, const struct sip_msg_ctx *ctx,
                     struct txn *t, struct sip_msg_result *res)
{
	struct dialog *d;
	int party = 0;

	if (m->cseq.method_id != SIP_M_INVITE) {
		/* BYE, UPDATE, PRACK...: only media answers matter here. */
		if (m->to.tag.len && m->from.tag.len && (d = find_in_dialog(s, m, &party))) {
			res->dialog_id = d->id;
			res->dialog_state = d->state;
			if (sdp && !res->retransmission && d->state != DLG_TERMINATED)
				media_from_sdp(s, d, !party, sdp);
		}
		return;
	}
	/* Responses to a re-INVITE: an established dialog in either orientation. */
	if (m->to.tag.len && (d = find_in_dialog(s, m, &party)) && d->state == DLG_CONFIRMED &&
	    (party == 1 || m->cseq.num != d->invite_cseq)) {
		touch(s, d, ctx->ts);
		if (sdp && !res->retransmission && m->status < 300)
			media_from_sdp(s, d, !party, sdp);
		goto out;
	}
	d = find(s, m->call_id, m->from.tag, m->to.tag, 0);
	if (!d && m->to.tag.len && m->status < 300) {
		/* Another fork answering: a dialog of its own. */
		struct dialog *o = find(s, m->call_id, m->from.tag, (sw_str){ 0 }, 0);
		if (o && o->state != DLG_TERMINATED)
			d = fork_of(s, o, m->to.tag, ctx);
	}
	if (!d)
		return;
	if (res->retransmission || m->status == 100)
		goto out;
	if (m->status < 300 && m->to.tag.len && !d->to_tag[0])
		sw_str_copy(d->to_tag, sizeof(d->to_tag), m->to.tag);
	if (m->status < 200) {
		if (m->to.tag.len && d->state == DLG_INIT) {
			d->state = DLG_EARLY;
			d->reached_early = 1;
		}
		if (sdp)
			media_from_sdp(s, d, 1, sdp);
	} else if (m->status < 300) {
		if (d->state != DLG_CONFIRMED) {
			d->state = DLG_CONFIRMED;
			d->reached_confirmed = 1;
			d->answered = ctx->ts;
			d->final_code = m->status;
			d->addr[1] = ctx->src;
			d->port[1] = ctx->sport;
			sw_str_copy(d->callee_ua, sizeof(d->callee_ua),
			            m->server.len ? m->server : m->user_agent);
			s->st.dialogs_confirmed++;
			set_list(s, d, DL_CONFIRMED, ctx->ts);
		}
		if (sdp)
			media_from_sdp(s, d, 1, sdp);
	} else if (d->state == DLG_INIT || d->state == DLG_EARLY) {
		d->final_code = m->status;
		d->challenged = m->status == 401 || m->status == 407;
		terminate(s, d, d->cancelled && m->status == 487 ? "cancel" : "rejected", ctx->ts,
		          BY_NONE);
		/* A challenged caller usually retries with credentials at once, a
		 * person maybe much later: wait as long as for an answer. */
		if (d->challenged)
			set_list(s, d, DL_EARLY, ctx->ts);
	}
out:
	res->dialog_id = d->id;
	res->dialog_state = d->state;
	if (t && !t->dialog_id)
		t->dialog_id = d->id;
}

void dialog_tick(struct sip_state *s)
{
	struct dl_node *n;
	sw_time early = (sw_time)s->cfg.dialog_early_timeout * SW_USEC_PER_SEC;
	sw_time idle = (sw_time)s->cfg.dialog_idle_timeout * SW_USEC_PER_SEC;
	sw_time linger = (sw_time)s->cfg.dialog_linger * SW_USEC_PER_SEC;

	while ((n = dl_first(&s->dlg_early))) {
		struct dialog *d = dl_entry(n, struct dialog, tnode);
		if (d->timer_start + early > s->now)
			break;
		if (!d->challenged) {
			d->end = "timeout";
			d->end_ts = s->now;
			s->st.dialog_timeouts++;
		}
		finish(s, d);
	}
	while ((n = dl_first(&s->dlg_confirmed))) {
		struct dialog *d = dl_entry(n, struct dialog, tnode);
		if (d->timer_start + idle > s->now)
			break;
		d->end = "timeout";
		d->end_ts = s->now;
		s->st.dialog_timeouts++;
		finish(s, d);
	}
	while ((n = dl_first(&s->dlg_ended))) {
		struct dialog *d = dl_entry(n, struct dialog, tnode);
		if (d->timer_start + linger > s->now)
			break;
		finish(s, d);
	}
}

void dialog_free_all(struct sip_state *s)
{
	struct dl_list *lists[] = { &s->dlg_ended, &s->dlg_early, &s->dlg_confirmed };
	struct dl_node *n;
	for (unsigned i = 0; i < SW_ARRAY_SIZE(lists); i++) {
		while ((n = dl_first(lists[i]))) {
			struct dialog *d = dl_entry(n, struct dialog, tnode);
			if (d->state != DLG_TERMINATED) {
				d->end = "shutdown";
				d->end_ts = s->now;
			}
			finish(s, d);
		}
	}
}
