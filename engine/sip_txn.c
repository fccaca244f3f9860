/*
 * sip_txn.c - SIP transactions (RFC 3261 §17), as seen from the wire.
 *
 * Matching (§17.1.3, §17.2.3): a request whose top Via branch carries the
 * RFC 3261 magic cookie "z9hG4bK" is keyed by (branch, sent-by, method);
 * otherwise (RFC 2543 peers) by (Call-ID, From tag, CSeq number, method,
 * top Via). Responses carry the same top Via and CSeq, so the same key
 * finds their request. The method part of the key is the CSeq method,
 * except that an ACK is first looked up as itself (retransmitted ACK of a
 * 2xx) and then as INVITE (the ACK of a non-2xx final response shares the
 * INVITE's branch and belongs to the INVITE transaction).
 *
 * States and timers (each state has one FIFO list, ordered by the time the
 * transaction entered it, so the tick only looks at the oldest entries):
 *
 *   state        enters on                      leaves on                list / timer
 *   TRYING       request                        1xx -> PROCEEDING        WAIT: txn_timeout
 *                                               final -> COMPLETED
 *   PROCEEDING   1xx                            final -> COMPLETED       INVITE: early timeout
 *                                                                        other: WAIT as before
 *   COMPLETED    final response (record written) linger elapsed: freed  COMPLETED: min(32 s,
 *                ACK (record written at once)                             txn_timeout)
 *
 * A transaction that times out without a final response is written with
 * end "timeout" (an unanswered scan probe looks exactly like this). When
 * the table is full, a completed entry is recycled first (its record is
 * already out); otherwise the oldest open one is written with end
 * "evicted" and an anomaly is raised.
 */
#include <stdio.h>

#include "anomaly.h"
#include "sip_state_int.h"

#define TXN_LINGER_MAX 32

const char *txn_str(const struct txn *t, uint16_t off)
{
	return t->req + off;
}

static const char *resp_str(const struct txn *t, uint16_t off)
{
	return t->resp ? t->resp + off : "";
}

static int has_cookie(sw_str branch)
{
	return branch.len > 7 && memcmp(branch.p, "z9hG4bK", 7) == 0;
}

/*
 * Builds the matching key of m as a string into out (cap bytes, truncated
 * keys still compare consistently) and returns its hash. method overrides
 * the CSeq method (used to look an ACK up as INVITE).
 */
struct keybuf {
	char *p;
	size_t cap, len; /* cap >= 1; len < cap: the key as snprintf would truncate it */
};

static void kb_put(struct keybuf *k, const char *s, size_t n)
{
	size_t room = k->cap - 1 - k->len;
	if (n > room)
		n = room;
	if (!n)
		return; /* s may be NULL (an absent field) */
	memcpy(k->p + k->len, s, n);
	k->len += n;
}

static void kb_str(struct keybuf *k, sw_str s)
{
	kb_put(k, s.p, s.len);
}

static void kb_u32(struct keybuf *k, uint32_t v)
{
	char d[10];
	size_t n = 0;
	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	kb_put(k, d + sizeof(d) - n, n);
}

static uint64_t make_key(const struct sip_msg *m, sw_str method, char *out, size_t cap)
{
	struct keybuf k = { out, cap, 0 };
	/* The same bytes as "3|branch|host:port|method" and
	 * "2|call-id|from-tag|cseq|method|via" through snprintf, without it. */
	if (has_cookie(m->via.branch)) {
		kb_put(&k, "3|", 2);
		kb_str(&k, m->via.branch);
		kb_put(&k, "|", 1);
		kb_str(&k, m->via.host);
		kb_put(&k, ":", 1);
		kb_u32(&k, m->via.port);
		kb_put(&k, "|", 1);
		kb_str(&k, method);
	} else {
		kb_put(&k, "2|", 2);
		kb_str(&k, m->call_id);
		kb_put(&k, "|", 1);
		kb_str(&k, m->from.tag);
		kb_put(&k, "|", 1);
		kb_u32(&k, m->cseq.num);
		kb_put(&k, "|", 1);
		kb_str(&k, method);
		kb_put(&k, "|", 1);
		kb_str(&k, m->via.raw);
	}
	out[k.len] = '\0';
	return sw_hash_mix(sw_hash_bytes(0, out, k.len));
}

static struct txn *lookup(struct sip_state *s, uint64_t h, const char *key)
{
	for (struct txn *t = s->txn_h[h & s->txn_mask]; t; t = t->hnext)
		if (t->hash == h && strcmp(t->req + t->s_key, key) == 0)
			return t;
	return NULL;
}

static struct dl_list *list_of(struct sip_state *s, uint8_t l)
{
	switch (l) {
	case TL_WAIT:
		return &s->txn_wait;
	case TL_INVITE_PROCEEDING:
		return &s->txn_inv_proc;
	case TL_COMPLETED:
		return &s->txn_done;
	default:
		return NULL;
	}
}

static void set_list(struct sip_state *s, struct txn *t, uint8_t l, sw_time now)
{
	struct dl_list *old = list_of(s, t->tlist), *nw = list_of(s, l);
	if (old)
		dl_del(old, &t->tnode);
	t->tlist = l;
	t->timer_start = now;
	if (nw)
		dl_push(nw, &t->tnode);
}

static void txn_free(struct sip_state *s, struct txn *t)
{
	struct txn **pp = &s->txn_h[t->hash & s->txn_mask];
	while (*pp && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = t->hnext;
	set_list(s, t, TL_NONE, 0);
	s->st.txns_active--;
	__atomic_sub_fetch(&s->c->txns_active, 1, __ATOMIC_RELAXED);
	free(t->resp);
	free(t);
}

void txn_write(struct sip_state *s, struct txn *t, const char *end)
{
	struct sip_txn_rec r;
	if (t->written)
		return;
	t->written = 1;
	memset(&r, 0, sizeof(r));
	r.txn_id = t->id;
	r.dialog_id = t->dialog_id;
	r.ts = t->ts;
	r.resp_ts = t->resp_ts;
	r.pcap_cnt = t->pcap_cnt;
	r.flow_id = t->flow_id;
	r.flow_tx = t->flow_tx;
	r.src = t->src;
	r.dst = t->dst;
	r.sport = t->sport;
	r.dport = t->dport;
	r.proto = t->proto;
	r.ip_v = t->ip_v;
	r.flow_dir = t->flow_dir;
	r.method_id = t->method_id;
	r.code = t->code;
	r.first_provisional = t->first_prov;
	r.n_provisional = t->n_prov;
	r.retrans_req = t->retrans_req;
	r.retrans_resp = t->retrans_resp;
	r.end = end;
	r.method = txn_str(t, t->s_method);
	r.uri = txn_str(t, t->s_uri);
	r.version = txn_str(t, t->s_version);
	r.request_line = txn_str(t, t->s_rline);
	r.reason = resp_str(t, t->r_reason);
	r.response_line = resp_str(t, t->r_rline);
	r.from = txn_str(t, t->s_from);
	r.to = t->resp && t->r_to ? resp_str(t, t->r_to) : txn_str(t, t->s_to);
	r.call_id = txn_str(t, t->s_call_id);
	r.cseq = txn_str(t, t->s_cseq);
	r.user_agent = txn_str(t, t->s_ua);
	r.server = resp_str(t, t->r_server);
	r.contact = txn_str(t, t->s_contact);
	r.via = txn_str(t, t->s_via);
	r.from_tag = txn_str(t, t->s_from_tag);
	r.to_tag = t->resp && t->r_to_tag ? resp_str(t, t->r_to_tag) : txn_str(t, t->s_to_tag);
	r.auth_user = txn_str(t, t->s_auth_user);
	r.auth_realm = txn_str(t, t->s_auth_realm);
	r.challenge_realm = resp_str(t, t->r_realm);
	r.content_type = txn_str(t, t->s_ctype);
	r.request_has_sdp = t->req_sdp;
	r.response_has_sdp = t->resp_sdp;
	r.reg_aor = t->method_id == SIP_M_REGISTER ? resp_str(t, t->r_aor) : "";
	r.reg_action = t->reg_action;
	r.reg_expires = t->reg_action ? t->reg_expires : -1;
	r.reg_contacts = t->reg_contacts;
	if (s->hooks && s->hooks->txn_done)
		s->hooks->txn_done(s->ud, &r);
}

/* Frees s's oldest completed transaction, or with open its oldest open
 * one if it has no completed one; 0 if none went. */
static int evict_one(struct sip_state *s, const struct sip_msg_ctx *ctx, int open)
{
	struct dl_node *n;
	struct txn *t;
	n = dl_first(&s->txn_done);
	if (n) {
		txn_free(s, dl_entry(n, struct txn, tnode));
		return 1;
	}
	if (!open)
		return 0;
	n = dl_first(&s->txn_wait);
	if (!n)
		n = dl_first(&s->txn_inv_proc);
	if (!n)
		return 0;
	t = dl_entry(n, struct txn, tnode);
	s->st.txn_evicted++;
	ss_anomaly(s, ctx, ANOM_STATE_TXN_EVICTED);
	txn_write(s, t, "evicted");
	txn_free(s, t);
	return 1;
}

/* Makes room for one more transaction (ss_make_room()). */
static void make_room(struct sip_state *s, const struct sip_msg_ctx *ctx)
{
	ss_make_room(s, ctx, &s->c->txns_active, s->cfg.max_txns, evict_one);
}

static struct txn *create(struct sip_state *s, const struct sip_msg *m,
                          const struct sip_msg_ctx *ctx, const char *key, uint64_t h)
{
	struct strs *b = &s->scratch;
	struct txn tmp, *t = &tmp; /* offsets gathered here, then one block of the right size */
	const struct sip_header *hv;
	sw_str via = m->via.raw, contact = m->contact.raw;

	make_room(s, ctx);
	memset(&tmp, 0, sizeof(tmp));
	strs_init(b);
	t->s_key = strs_put_cstr(b, key, 1024);
	t->s_method = strs_put(b, m->method, 32);
	t->s_uri = strs_put(b, m->ruri_raw, 512);
	t->s_version = strs_put(b, m->version, 16);
	t->s_rline = strs_put(b, m->start_line, 600);
	hv = sip_find_header(m, SIP_H_FROM, NULL);
	t->s_from = strs_put(b, hv ? hv->value : m->from.raw, 384);
	hv = sip_find_header(m, SIP_H_TO, NULL);
	t->s_to = strs_put(b, hv ? hv->value : m->to.raw, 384);
	t->s_call_id = strs_put(b, m->call_id, 256);
	hv = sip_find_header(m, SIP_H_CSEQ, NULL);
	if (hv)
		t->s_cseq = strs_put(b, hv->value, 64);
	t->s_ua = strs_put(b, m->user_agent, 256);
	t->s_contact = strs_put(b, contact, 384);
	t->s_via = strs_put(b, via, 384);
	t->s_from_tag = strs_put(b, m->from.tag, 128);
	t->s_to_tag = strs_put(b, m->to.tag, 128);
	if (m->authz.present) {
		t->s_auth_user = strs_put(b, m->authz.username, 128);
		t->s_auth_realm = strs_put(b, m->authz.realm, 128);
	}
	t->s_ctype = strs_put(b, m->content_type, 128);
	if (!tmp.s_key)
		return NULL; /* the key did not fit (cannot happen with the caps above) */
	t = malloc(sizeof(*t) + b->len);
	if (!t)
		return NULL;
	*t = tmp;
	memcpy(t->req, b->buf, b->len);

	t->hash = h;
	t->id = __atomic_add_fetch(&s->c->next_txn_id, 1, __ATOMIC_RELAXED);
	t->ts = ctx->ts;
	t->pcap_cnt = ctx->pcap_cnt;
	t->flow_id = ctx->flow_id;
	t->flow_tx = ctx->flow_tx;
	t->src = ctx->src;
	t->dst = ctx->dst;
	t->sport = ctx->sport;
	t->dport = ctx->dport;
	t->proto = ctx->proto;
	t->ip_v = ctx->ip_v;
	t->flow_dir = ctx->flow_dir;
	t->method_id = (uint8_t)m->method_id;
	t->state = TXN_TRYING;
	t->contact_star = m->contact.star;
	t->reg_expires = -1;
	t->hnext = s->txn_h[h & s->txn_mask];
	s->txn_h[h & s->txn_mask] = t;
	s->st.txns++;
	s->st.txns_active++;
	__atomic_add_fetch(&s->c->txns_active, 1, __ATOMIC_RELAXED);
	if (m->method_id == SIP_M_ACK) {
		t->state = TXN_COMPLETED;
		set_list(s, t, TL_COMPLETED, ctx->ts);
	} else {
		set_list(s, t, TL_WAIT, ctx->ts);
	}
	return t;
}

struct txn *txn_request(struct sip_state *s, const struct sip_msg *m, const struct sip_msg_ctx *ctx,
                        struct sip_msg_result *res)
{
	char key[1100];
	uint64_t h = make_key(m, m->cseq.method, key, sizeof(key));
	struct txn *t = lookup(s, h, key);

	if (!t && m->method_id == SIP_M_ACK) {
		char ikey[1100];
		uint64_t ih = make_key(m, SW_STR_LIT("INVITE"), ikey, sizeof(ikey));
		struct txn *inv = lookup(s, ih, ikey);
		if (inv && inv->code >= 300) {
			/* ACK of a failure response: part of the INVITE transaction. */
			if (inv->acked) {
				res->retransmission = 1;
				s->st.txn_retrans_req++;
			}
			inv->acked = 1;
			res->txn_id = inv->id;
			return inv;
		}
	}
	if (t) {
		t->retrans_req++;
		s->st.txn_retrans_req++;
		res->retransmission = 1;
		res->txn_id = t->id;
		return t;
	}
	t = create(s, m, ctx, key, h);
	if (!t)
		return NULL;
	s->msg_txn = t;
	if (m->method_id == SIP_M_ACK)
		s->st.acks_2xx++;
	res->txn_id = t->id;
	return t;
}

/* Copies what the record needs from the first final response. */
static void keep_response(struct sip_state *s, struct txn *t, const struct sip_msg *m)
{
	struct strs *b = &s->scratch;
	const struct sip_header *hv;
	char *r;
	strs_init(b);
	t->r_reason = strs_put(b, m->reason, 128);
	t->r_rline = strs_put(b, m->start_line, 256);
	hv = sip_find_header(m, SIP_H_TO, NULL);
	t->r_to = strs_put(b, hv ? hv->value : m->to.raw, 384);
	t->r_to_tag = strs_put(b, m->to.tag, 128);
	t->r_server = strs_put(b, m->server.len ? m->server : m->user_agent, 256);
	if (m->challenge.present)
		t->r_realm = strs_put(b, m->challenge.realm, 128);
	if (t->method_id == SIP_M_REGISTER && m->to.uri.host.len) {
		char aor[320];
		int n = snprintf(aor, sizeof(aor), "%.*s%s%.*s", (int)m->to.uri.user.len,
		                 m->to.uri.user.p, m->to.uri.user.len ? "@" : "",
		                 (int)m->to.uri.host.len, m->to.uri.host.p);
		if (n > 0)
			t->r_aor = strs_put_cstr(b, aor, 256);
	}
	r = malloc(b->len);
	if (r) {
		memcpy(r, b->buf, b->len);
		free(t->resp);
		t->resp = r;
	}
}

struct txn *txn_response(struct sip_state *s, const struct sip_msg *m,
                         const struct sip_msg_ctx *ctx, struct sip_msg_result *res)
{
	char key[1100];
	uint64_t h = make_key(m, m->cseq.method, key, sizeof(key));
	struct txn *t = lookup(s, h, key);

	if (!t) {
		res->stray_response = 1;
		s->st.stray_responses++;
		return NULL;
	}
	res->txn_id = t->id;
	if (m->status < 200) {
		if (t->state == TXN_TRYING) {
			t->state = TXN_PROCEEDING;
			t->first_prov = m->status;
			if (t->method_id == SIP_M_INVITE)
				set_list(s, t, TL_INVITE_PROCEEDING, ctx->ts);
		}
		if (t->state == TXN_PROCEEDING) {
			t->n_prov++;
			if (!t->code || t->code < 200)
				t->code = m->status;
		}
		return t;
	}
	if (t->state == TXN_COMPLETED && t->code >= 200) {
		/* Same final response again, or (INVITE) a 2xx from another fork:
		 * only the former is a retransmission. */
		const char *tag = t->resp ? resp_str(t, t->r_to_tag) : "";
		if (t->code == m->status && strlen(tag) == m->to.tag.len &&
		    memcmp(tag, m->to.tag.p, m->to.tag.len) == 0) {
			t->retrans_resp++;
			s->st.txn_retrans_resp++;
			res->retransmission = 1;
		}
		return t;
	}
	t->code = m->status;
	t->resp_ts = ctx->ts;
	t->state = TXN_COMPLETED;
	keep_response(s, t, m);
	set_list(s, t, TL_COMPLETED, ctx->ts);
	return t;
}

/* Writes ("timeout") and frees the open transactions of l older than age. */
static void expire_open(struct sip_state *s, struct dl_list *l, sw_time age)
{
	struct dl_node *n;
	while ((n = dl_first(l))) {
		struct txn *t = dl_entry(n, struct txn, tnode);
		if (t->timer_start + age > s->now)
			break;
		s->st.txn_timeouts++;
		txn_write(s, t, "timeout");
		txn_free(s, t);
	}
}

void txn_tick(struct sip_state *s)
{
	struct dl_node *n;
	sw_time linger = (sw_time)SW_MIN(s->cfg.txn_timeout, TXN_LINGER_MAX) * SW_USEC_PER_SEC;

	expire_open(s, &s->txn_wait, (sw_time)s->cfg.txn_timeout * SW_USEC_PER_SEC);
	expire_open(s, &s->txn_inv_proc, (sw_time)s->cfg.dialog_early_timeout * SW_USEC_PER_SEC);
	while ((n = dl_first(&s->txn_done))) {
		struct txn *t = dl_entry(n, struct txn, tnode);
		if (t->timer_start + linger > s->now)
			break;
		txn_free(s, t);
	}
}

void txn_free_all(struct sip_state *s)
{
	struct dl_list *lists[] = { &s->txn_wait, &s->txn_inv_proc, &s->txn_done };
	struct dl_node *n;
	for (unsigned i = 0; i < SW_ARRAY_SIZE(lists); i++) {
		while ((n = dl_first(lists[i]))) {
			struct txn *t = dl_entry(n, struct txn, tnode);
			txn_write(s, t, "shutdown");
			txn_free(s, t);
		}
	}
}
