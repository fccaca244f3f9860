/*
 * detect_call.c - call-aware keywords: what only an engine that tracks
 * transactions, dialogs, registrations and per-user behaviour can test.
 *
 *   sip.dialog: <state>[,<state>...]     (or !list) state of the message's
 *       dialog after it: none, init, early, confirmed, terminated, or
 *       unknown - an in-dialog request (both tags) that matches no dialog
 *       (forged BYE/re-INVITE from someone who never saw the call).
 *   sip.sender: party | not_party | caller | callee
 *       for in-dialog requests: party = the tags match a dialog and the
 *       packet comes from the address that side used; not_party = the tags
 *       match but the address does not (hijack from a third host). When the
 *       tags match no dialog sipwire cannot tell (a call older than the
 *       process, or evicted): neither matches; sip.dialog:unknown says so.
 *   sip.transaction: new | retransmission | stray_response
 *   sip.registration: rebound       a REGISTER answered 2xx that moved an
 *       AOR to a new source address (or an unregistered AOR taken over).
 *   sip.auth: failed | challenge | ok   (final responses) failed = 401/407/
 *       403 to a request that carried credentials (a wrong password);
 *       challenge = 401/407 to one without; ok = 2xx to one with.
 *   sip.rate: track <key>, count N, seconds S
 *       true from the N-th time the rest of the rule matched for the key
 *       within S seconds (a window opens at the key's first match).
 *   sip.distinct: <field>, track <key>, count N, seconds S
 *       true once the key produced N distinct values of field within S
 *       seconds (e.g. distinct to_user per source: extension enumeration).
 *   sip.calls: track by_src|by_auth_user, count N
 *       on an initial INVITE: N or more calls are in progress (from INVITE
 *       to termination, this one included) from the sender's address, or
 *       for the account named in its Authorization.
 *   sip.registered: yes | no   the request's source address holds (or not)
 *       a registration binding of any AOR (calls from unregistered hosts).
 *   sip.media: moved   an in-dialog request's SDP (re-INVITE, UPDATE) moves a
 *       stream of the sender's side to an address it did not use before and
 *       that is not the sender's own (media redirected to a third host).
 *   block: by_src|by_dst, <seconds>
 *       when the rule matches, every later packet from that address is
 *       dropped until the block expires (block/unblock EVE events).
 *
 * Keys (track): by_src, by_dst, by_from_user, by_to_user, by_ruri_user,
 * by_auth_user, by_call_id (on a response, by_auth_user is the username of
 * the request it answers). Fields: the same names without "by_", plus
 * user_agent and dst_port. A message without the key or field (no
 * Authorization for by_auth_user) does not match.
 *
 * sip.rate and sip.distinct count only messages on which everything else in
 * the rule matched: they run after the buffers (KW_LATE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "detect_counter.h"
#include "sip_parse.h"
#include "sip_state.h"

enum { CK_SRC = 1, CK_DST, CK_FROM_USER, CK_TO_USER, CK_RURI_USER, CK_AUTH_USER, CK_CALL_ID,
       CK_USER_AGENT, CK_DST_PORT };

static const struct {
	const char *name;
	uint8_t id;
} ckeys[] = {
	{ "src", CK_SRC },           { "dst", CK_DST },           { "from_user", CK_FROM_USER },
	{ "to_user", CK_TO_USER },   { "ruri_user", CK_RURI_USER }, { "auth_user", CK_AUTH_USER },
	{ "call_id", CK_CALL_ID },   { "user_agent", CK_USER_AGENT }, { "dst_port", CK_DST_PORT },
};

/* Bytes of key/field k for m into *out (a view); 0 if absent. */
static int ckey_bytes(const struct det_msg *m, int k, sw_str *out, uint8_t *tmp)
{
	const struct sip_msg *s = m->sip;
	switch (k) {
	case CK_SRC:
		*out = sw_str_make(m->src, sizeof(*m->src));
		return 1;
	case CK_DST:
		*out = sw_str_make(m->dst, sizeof(*m->dst));
		return 1;
	case CK_DST_PORT:
		tmp[0] = (uint8_t)(m->dport >> 8);
		tmp[1] = (uint8_t)m->dport;
		*out = sw_str_make(tmp, 2);
		return 1;
	default:
		break;
	}
	if (!s)
		return 0;
	switch (k) {
	case CK_FROM_USER:
		*out = s->from.uri.user;
		break;
	case CK_TO_USER:
		*out = s->to.uri.user;
		break;
	case CK_RURI_USER:
		*out = s->is_request ? s->ruri.user : (sw_str){ 0 };
		break;
	case CK_AUTH_USER:
		/* A response counts against the username its request used. */
		if (!s->is_request)
			*out = m->state && m->state->auth_user
			               ? sw_str_make(m->state->auth_user, strlen(m->state->auth_user))
			               : (sw_str){ 0 };
		else
			*out = s->authz.present ? s->authz.username : (sw_str){ 0 };
		break;
	case CK_CALL_ID:
		*out = s->call_id;
		break;
	case CK_USER_AGENT:
		*out = s->user_agent;
		break;
	default:
		return 0;
	}
	return out->len > 0;
}

static int ckey_parse(sw_str v, int track)
{
	if (track) {
		if (v.len < 3 || memcmp(v.p, "by_", 3) != 0)
			return 0;
		v = sw_str_make(v.p + 3, v.len - 3);
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(ckeys); i++)
		if (sw_str_eq(v, ckeys[i].name) && (!track || ckeys[i].id <= CK_CALL_ID))
			return ckeys[i].id;
	return 0;
}

/* ------------------------------------------------------------------ */
/* State keywords */

enum { KW_DIALOG, KW_SENDER, KW_TXN, KW_REG, KW_AUTH, KW_RATE, KW_DISTINCT, KW_BLOCK, KW_CALLS,
       KW_REGISTERED, KW_MEDIA, KW__N };
static int kw_ids[KW__N];

#define DS_NONE       0x01u
#define DS_INIT       0x02u
#define DS_EARLY      0x04u
#define DS_CONFIRMED  0x08u
#define DS_TERMINATED 0x10u
#define DS_UNKNOWN    0x20u

struct flag_ctx {
	unsigned bits;
	uint8_t neg;
};

struct flag_name {
	const char *name;
	unsigned bit;
};

static int parse_flags(const char *val, uint32_t len, const struct flag_name *names, size_t nn,
                       struct flag_ctx *c, struct rule_err *e)
{
	uint32_t i = 0;
	if (len && val[0] == '!') {
		c->neg = 1;
		i = 1;
	}
	while (i < len) {
		uint32_t s = i;
		sw_str tok;
		size_t k;
		while (i < len && val[i] != ',')
			i++;
		tok = sw_str_trim(sw_str_make(val + s, i - s));
		for (k = 0; k < nn; k++)
			if (sw_str_eq(tok, names[k].name))
				break;
		if (k == nn) {
			char list[256] = "";
			for (size_t q = 0; q < nn; q++) {
				strncat(list, names[q].name, sizeof(list) - strlen(list) - 3);
				if (q + 1 < nn)
					strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			}
			return rule_errf(e, (uint32_t)(tok.p - val), "unknown value '%.*s' (%s)",
			                 (int)SW_MIN(tok.len, 32), tok.p, list);
		}
		c->bits |= names[k].bit;
		i++;
	}
	return c->bits ? 0 : rule_errf(e, 0, "empty value");
}

static int add_flags(struct rule *r, const char *val, uint32_t len, struct rule_err *e, int which,
                     const struct flag_name *names, size_t nn)
{
	struct flag_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return rule_errf(e, 0, "out of memory");
	if (parse_flags(val, len, names, nn, c, e) != 0 ||
	    sm_list_append(&r->match, (unsigned)kw_ids[which], 0, c, e) != 0) {
		free(c);
		return -1;
	}
	r->needs_sip = 1;
	return 0;
}

static const struct flag_name dialog_names[] = {
	{ "none", DS_NONE },           { "init", DS_INIT },   { "early", DS_EARLY },
	{ "confirmed", DS_CONFIRMED }, { "terminated", DS_TERMINATED }, { "unknown", DS_UNKNOWN },
};

static int setup_dialog(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return add_flags(r, val, len, e, KW_DIALOG, dialog_names, SW_ARRAY_SIZE(dialog_names));
}

static int match_dialog(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                        const struct sigmatch *sm)
{
	const struct flag_ctx *c = sm->ctx;
	const struct sip_msg_result *st = m->state;
	unsigned bit;
	if (!st)
		return 0;
	if (st->dialog_unknown)
		bit = DS_UNKNOWN;
	else
		switch (st->dialog_id ? st->dialog_state : DLG_NONE) {
		case DLG_INIT:
			bit = DS_INIT;
			break;
		case DLG_EARLY:
			bit = DS_EARLY;
			break;
		case DLG_CONFIRMED:
			bit = DS_CONFIRMED;
			break;
		case DLG_TERMINATED:
			bit = DS_TERMINATED;
			break;
		default:
			bit = DS_NONE;
			break;
		}
	return ((c->bits & bit) != 0) != c->neg;
}

#define SP_PARTY 0x1u
#define SP_NOT_PARTY 0x2u
#define SP_CALLER 0x4u
#define SP_CALLEE 0x8u

static const struct flag_name sender_names[] = {
	{ "party", SP_PARTY }, { "not_party", SP_NOT_PARTY }, { "caller", SP_CALLER },
	{ "callee", SP_CALLEE },
};

static int setup_sender(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return add_flags(r, val, len, e, KW_SENDER, sender_names, SW_ARRAY_SIZE(sender_names));
}

static int match_sender(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                        const struct sigmatch *sm)
{
	const struct flag_ctx *c = sm->ctx;
	const struct sip_msg_result *st = m->state;
	unsigned bits = 0;
	if (!st || !m->sip || !m->sip->is_request)
		return 0;
	if (st->in_dialog) {
		bits |= st->sender_addr_match ? SP_PARTY : SP_NOT_PARTY;
		if (st->sender_addr_match)
			bits |= st->sender_party ? SP_CALLEE : SP_CALLER;
	} else {
		/* Not an in-dialog request, or one for a dialog sipwire does not
		 * know (a call that began before sipwire started, or was evicted):
		 * whether the sender is a party cannot be told. Treating it as a
		 * stranger would drop the BYE of every call in progress when
		 * sipwire restarts. */
		return 0;
	}
	return ((c->bits & bits) != 0) != c->neg;
}

#define TX_NEW 0x1u
#define TX_RETRANS 0x2u
#define TX_STRAY 0x4u

static const struct flag_name txn_names[] = {
	{ "new", TX_NEW }, { "retransmission", TX_RETRANS }, { "stray_response", TX_STRAY },
};

static int setup_txn(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return add_flags(r, val, len, e, KW_TXN, txn_names, SW_ARRAY_SIZE(txn_names));
}

static int match_txn(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                     const struct sigmatch *sm)
{
	const struct flag_ctx *c = sm->ctx;
	const struct sip_msg_result *st = m->state;
	unsigned bits;
	if (!st)
		return 0;
	bits = st->stray_response ? TX_STRAY : st->retransmission ? TX_RETRANS : TX_NEW;
	return ((c->bits & bits) != 0) != c->neg;
}

static const struct flag_name reg_names[] = { { "rebound", 1 } };

static int setup_reg(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return add_flags(r, val, len, e, KW_REG, reg_names, SW_ARRAY_SIZE(reg_names));
}

static int match_reg(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                     const struct sigmatch *sm)
{
	const struct flag_ctx *c = sm->ctx;
	int hit = m->state && m->state->reg_changed_source;
	return hit != c->neg;
}

#define AU_FAILED 0x1u
#define AU_CHALLENGE 0x2u
#define AU_OK 0x4u

static const struct flag_name auth_names[] = {
	{ "failed", AU_FAILED }, { "challenge", AU_CHALLENGE }, { "ok", AU_OK },
};

static int setup_auth(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return add_flags(r, val, len, e, KW_AUTH, auth_names, SW_ARRAY_SIZE(auth_names));
}

static int match_auth(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                      const struct sigmatch *sm)
{
	const struct flag_ctx *c = sm->ctx;
	const struct sip_msg_result *st = m->state;
	unsigned bits = 0;
	if (!st || !m->sip || m->sip->is_request || m->sip->status < 200)
		return 0;
	if (st->auth_failed)
		bits |= AU_FAILED;
	if (st->auth_challenge)
		bits |= AU_CHALLENGE;
	if (st->auth_ok)
		bits |= AU_OK;
	return ((c->bits & bits) != 0) != c->neg;
}

/* ------------------------------------------------------------------ */
/* Counters */

struct count_ctx {
	uint8_t track, field;
	uint32_t count, seconds;
	uint64_t seed; /* gid/sid of the rule: each rule counts on its own */
};

/* "track by_src, count 10, seconds 60" (+ a leading field for distinct). */
static int parse_count(const char *val, uint32_t len, struct count_ctx *c, int distinct,
                       int windowed, struct rule_err *e)
{
	uint32_t i = 0;
	int first = 1;
	while (i <= len) {
		uint32_t s = i;
		sw_str tok, k, v;
		const char *sp;
		uint64_t n;
		while (i < len && val[i] != ',')
			i++;
		tok = sw_str_trim(sw_str_make(val + s, i - s));
		i++;
		if (!tok.len)
			return rule_errf(e, s, "empty item");
		if (distinct && first) {
			first = 0;
			if (!(c->field = (uint8_t)ckey_parse(tok, 0)))
				return rule_errf(e, (uint32_t)(tok.p - val),
				                 "unknown field '%.*s' (src, dst, dst_port, from_user, "
				                 "to_user, ruri_user, auth_user, call_id, user_agent)",
				                 (int)SW_MIN(tok.len, 32), tok.p);
			continue;
		}
		sp = memchr(tok.p, ' ', tok.len);
		if (!sp)
			return rule_errf(e, (uint32_t)(tok.p - val), "expected 'name value'");
		k = sw_str_make(tok.p, (size_t)(sp - tok.p));
		v = sw_str_trim(sw_str_make(sp, tok.len - k.len));
		if (sw_str_eq(k, "track")) {
			if (c->track)
				return rule_errf(e, (uint32_t)(tok.p - val), "track given twice");
			if (!(c->track = (uint8_t)ckey_parse(v, 1)))
				return rule_errf(e, (uint32_t)(v.p - val),
				                 "unknown track '%.*s' (by_src, by_dst, by_from_user, "
				                 "by_to_user, by_ruri_user, by_auth_user, by_call_id)",
				                 (int)SW_MIN(v.len, 32), v.p);
		} else if (sw_str_eq(k, "count") || sw_str_eq(k, "seconds")) {
			uint32_t *dst = k.p[0] == 'c' ? &c->count : &c->seconds;
			uint32_t max = k.p[0] == 'c' ? (distinct ? COUNTER_MAX_DISTINCT : 1000000u)
			                             : 86400u * 7;
			if (*dst)
				return rule_errf(e, (uint32_t)(tok.p - val), "%.*s given twice",
				                 (int)k.len, k.p);
			if (sw_str_to_u64(v, max, &n) != 0 || n == 0)
				return rule_errf(e, (uint32_t)(v.p - val), "%.*s must be 1 to %u",
				                 (int)k.len, k.p, max);
			*dst = (uint32_t)n;
		} else {
			return rule_errf(e, (uint32_t)(tok.p - val), "unknown option '%.*s'",
			                 (int)SW_MIN(k.len, 32), k.p);
		}
	}
	if (distinct && !c->field)
		return rule_errf(e, 0, "missing the field to count");
	if (!windowed && c->seconds)
		return rule_errf(e, 0, "no seconds here: the count is of calls in progress");
	if (!c->track || !c->count || (windowed && !c->seconds))
		return rule_errf(e, 0, windowed ? "track, count and seconds are all required"
		                                : "track and count are required");
	return 0;
}

static int setup_count(struct rule *r, const char *val, uint32_t len, struct rule_err *e,
                       int which)
{
	struct count_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return rule_errf(e, 0, "out of memory");
	if (sm_list_last_of(&r->match, &kw_ids[which], 1)) {
		free(c);
		return rule_errf(e, 0, "given twice");
	}
	if (parse_count(val, len, c, which == KW_DISTINCT, 1, e) != 0 ||
	    sm_list_append(&r->match, (unsigned)kw_ids[which], 0, c, e) != 0) {
		free(c);
		return -1;
	}
	if (c->track >= CK_FROM_USER || (which == KW_DISTINCT && c->field >= CK_FROM_USER &&
	                                 c->field != CK_DST_PORT))
		r->needs_sip = 1;
	return 0;
}

static int setup_rate(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return setup_count(r, val, len, e, KW_RATE);
}

static int setup_distinct(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return setup_count(r, val, len, e, KW_DISTINCT);
}

static uint64_t key_hash(const struct rule *r, int which, sw_str key)
{
	uint64_t seed = ((uint64_t)r->gid << 32 | r->sid) * 2 + (uint64_t)(which == KW_DISTINCT);
	uint64_t h = sw_hash_bytes(0, &seed, sizeof(seed));
	return sw_hash_bytes(h, key.p, key.len);
}

static const char *ckey_name(int k)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(ckeys); i++)
		if (ckeys[i].id == k)
			return ckeys[i].name;
	return "?";
}

/* Records what fired, for the alert's sipwire.counter object. */
static int evidence(struct det_thread *t, const struct count_ctx *c, const char *kw, uint32_t n)
{
	if (n < c->count)
		return 0;
	t->ev_kw = kw;
	{
		static const char *const by[] = { "?", "by_src", "by_dst", "by_from_user", "by_to_user",
		                                  "by_ruri_user", "by_auth_user", "by_call_id" };
		t->ev_track = c->track < SW_ARRAY_SIZE(by) ? by[c->track] : "?";
	}
	t->ev_field = c->field ? ckey_name(c->field) : NULL;
	t->ev_count = n;
	t->ev_seconds = c->seconds;
	return 1;
}

static int match_rate(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                      const struct sigmatch *sm)
{
	const struct count_ctx *c = sm->ctx;
	sw_str key;
	uint8_t tmp[2];
	if (!t->counters || !ckey_bytes(m, c->track, &key, tmp))
		return 0;
	return evidence(t, c, "sip.rate",
	                counter_rate(t->counters, key_hash(r, KW_RATE, key), c->seconds, m->ts));
}

static int match_distinct(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                          const struct sigmatch *sm)
{
	const struct count_ctx *c = sm->ctx;
	sw_str key, val;
	uint8_t tmp[2], tmp2[2];
	if (!t->counters || !ckey_bytes(m, c->track, &key, tmp) ||
	    !ckey_bytes(m, c->field, &val, tmp2))
		return 0;
	return evidence(t, c, "sip.distinct",
	                counter_distinct(t->counters, key_hash(r, KW_DISTINCT, key),
	                                 sw_hash_bytes(0, val.p, val.len), c->seconds, m->ts));
}

/* ------------------------------------------------------------------ */
/* Concurrent calls and registered sources */

struct calls_ctx {
	uint8_t by_account;
	uint32_t count;
};

/* sip.calls: track by_src|by_auth_user, count N */
static int setup_calls(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	struct count_ctx tmp;
	struct calls_ctx *c;
	memset(&tmp, 0, sizeof(tmp));
	if (parse_count(val, len, &tmp, 0, 0, e) != 0)
		return -1;
	if (tmp.track != CK_SRC && tmp.track != CK_AUTH_USER)
		return rule_errf(e, 0, "sip.calls tracks by_src or by_auth_user");
	c = calloc(1, sizeof(*c));
	if (!c)
		return rule_errf(e, 0, "out of memory");
	c->by_account = tmp.track == CK_AUTH_USER;
	c->count = tmp.count;
	if (sm_list_append(&r->match, (unsigned)kw_ids[KW_CALLS], 0, c, e) != 0) {
		free(c);
		return -1;
	}
	r->needs_sip = 1;
	return 0;
}

static int match_calls(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                       const struct sigmatch *sm)
{
	const struct calls_ctx *c = sm->ctx;
	uint32_t n;
	if (!m->state)
		return 0;
	n = c->by_account ? m->state->calls_by_account : m->state->calls_by_src;
	if (n < c->count)
		return 0;
	t->ev_kw = "sip.calls";
	t->ev_track = c->by_account ? "by_auth_user" : "by_src";
	t->ev_field = NULL;
	t->ev_count = n;
	t->ev_seconds = 0;
	return 1;
}

static const struct flag_name registered_names[] = { { "yes", 1 }, { "no", 2 } };

static int setup_registered(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return add_flags(r, val, len, e, KW_REGISTERED, registered_names,
	                 SW_ARRAY_SIZE(registered_names));
}

static int match_registered(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                            const struct sigmatch *sm)
{
	const struct flag_ctx *c = sm->ctx;
	unsigned bit;
	if (!m->state || !m->sip || !m->sip->is_request)
		return 0;
	bit = m->state->src_registered ? 1u : 2u;
	return ((c->bits & bit) != 0) != c->neg;
}

static const struct flag_name media_names[] = { { "moved", 1 } };

static int setup_media(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return add_flags(r, val, len, e, KW_MEDIA, media_names, SW_ARRAY_SIZE(media_names));
}

static int match_media(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                       const struct sigmatch *sm)
{
	const struct flag_ctx *c = sm->ctx;
	int hit = m->state && m->state->media_moved;
	return hit != c->neg;
}

/* ------------------------------------------------------------------ */
/* block */

struct block_ctx {
	uint8_t dst;      /* 0 by_src, 1 by_dst */
	uint32_t seconds;
};

static int setup_block(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	const char *comma = memchr(val, ',', len);
	struct block_ctx *c;
	sw_str who, secs;
	uint64_t n;
	if (!comma)
		return rule_errf(e, 0, "expected 'by_src|by_dst, seconds'");
	if (sm_list_last_of(&r->post, &kw_ids[KW_BLOCK], 1))
		return rule_errf(e, 0, "block given twice");
	who = sw_str_trim(sw_str_make(val, (size_t)(comma - val)));
	secs = sw_str_trim(sw_str_make(comma + 1, len - (uint32_t)(comma - val) - 1));
	if (!sw_str_eq(who, "by_src") && !sw_str_eq(who, "by_dst"))
		return rule_errf(e, 0, "block target must be by_src or by_dst");
	if (sw_str_to_u64(secs, 86400 * 30, &n) != 0 || n == 0)
		return rule_errf(e, (uint32_t)(secs.p - val), "block seconds must be 1 to 2592000");
	c = calloc(1, sizeof(*c));
	if (!c)
		return rule_errf(e, 0, "out of memory");
	c->dst = sw_str_eq(who, "by_dst");
	c->seconds = (uint32_t)n;
	if (sm_list_append(&r->post, (unsigned)kw_ids[KW_BLOCK], 0, c, e) != 0) {
		free(c);
		return -1;
	}
	return 0;
}

static int post_block(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                      const struct sigmatch *sm)
{
	const struct block_ctx *c = sm->ctx;
	t->block_addr = c->dst ? m->dst : m->src;
	t->block_secs = c->seconds;
	return 1;
}

static const struct det_kw kws[KW__N] = {
	[KW_DIALOG] = { .name = "sip.dialog", .flags = KW_MATCH | KW_VALUE | KW_NEEDS_SIP,
	                .setup = setup_dialog, .match = match_dialog, .free = free,
	                .help = "dialog state: none, init, early, confirmed, terminated, unknown" },
	[KW_SENDER] = { .name = "sip.sender", .flags = KW_MATCH | KW_VALUE | KW_NEEDS_SIP,
	                .setup = setup_sender, .match = match_sender, .free = free,
	                .help = "in-dialog request sender: party, not_party, caller, callee" },
	[KW_TXN] = { .name = "sip.transaction", .flags = KW_MATCH | KW_VALUE | KW_NEEDS_SIP,
	             .setup = setup_txn, .match = match_txn, .free = free,
	             .help = "new, retransmission, stray_response" },
	[KW_REG] = { .name = "sip.registration", .flags = KW_MATCH | KW_VALUE | KW_NEEDS_SIP,
	             .setup = setup_reg, .match = match_reg, .free = free,
	             .help = "rebound: a 2xx moved an AOR to a new source" },
	[KW_AUTH] = { .name = "sip.auth", .flags = KW_MATCH | KW_VALUE | KW_NEEDS_SIP,
	              .setup = setup_auth, .match = match_auth, .free = free,
	              .help = "final response to credentials: failed, challenge, ok" },
	[KW_RATE] = { .name = "sip.rate", .flags = KW_MATCH | KW_VALUE | KW_LATE,
	              .setup = setup_rate, .match = match_rate, .free = free,
	              .help = "track <key>, count N, seconds S: N-th match of the key in S s" },
	[KW_DISTINCT] = { .name = "sip.distinct", .flags = KW_MATCH | KW_VALUE | KW_LATE,
	                  .setup = setup_distinct, .match = match_distinct, .free = free,
	                  .help = "<field>, track <key>, count N, seconds S: N distinct values" },
	[KW_CALLS] = { .name = "sip.calls", .flags = KW_MATCH | KW_VALUE | KW_NEEDS_SIP,
	               .setup = setup_calls, .match = match_calls, .free = free,
	               .help = "track by_src|by_auth_user, count N: N calls in progress (INVITEs)" },
	[KW_REGISTERED] = { .name = "sip.registered", .flags = KW_MATCH | KW_VALUE | KW_NEEDS_SIP,
	                    .setup = setup_registered, .match = match_registered, .free = free,
	                    .help = "yes|no: the request's source address holds a registration" },
	[KW_MEDIA] = { .name = "sip.media", .flags = KW_MATCH | KW_VALUE | KW_NEEDS_SIP,
	               .setup = setup_media, .match = match_media, .free = free,
	               .help = "moved: an in-dialog SDP moves the sender's media to a new address" },
	[KW_BLOCK] = { .name = "block", .flags = KW_POST | KW_VALUE, .setup = setup_block,
	               .match = post_block, .free = free,
	               .help = "by_src|by_dst, seconds: drop that address's packets for a while" },
};

void detect_call_register(void)
{
	for (int i = 0; i < KW__N; i++)
		kw_ids[i] = detect_kw_register(&kws[i]);
}
