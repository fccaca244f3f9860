/*
 * eve_alert.c - `alert` and `drop` records, Suricata's fields first.
 *
 * alert: alert{action, gid, signature_id, rev, signature, category,
 * severity, metadata{key: [values]}, references}, the `sip` object of the
 * message that matched (request or response fields, with sipwire's
 * additions: from, to, call_id, cseq, user_agent, dialog), `frame` when
 * the rule inspected a frame, and `verdict` for drop/reject rules.
 * Offline, drop and reject rules show what inline mode would have done
 * (action "blocked"), like Suricata's --simulate-ips.
 *
 * drop: one record per packet dropped inline (or that would have been),
 * with Suricata's drop{len, ttl, ...reason} object.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "eve_alert.h"
#include "flow.h"
#include "sip_parse.h"
#include "sip_state.h"

static void hdr_from(struct eve_hdr *h, const struct det_msg *m)
{
	const packet *p = m->pkt;
	memset(h, 0, sizeof(*h));
	h->ts = m->ts;
	h->flow_id = m->flow ? m->flow->flow_id : 0;
	h->src = m->src;
	h->dst = m->dst;
	h->sport = m->sport;
	h->dport = m->dport;
	h->proto = m->l4;
	h->ip_v = p->ip_v;
	h->pcap_cnt = p->pcap_cnt;
	h->in_iface = p->in_iface;
	h->tx_id = -1;
	h->direction = m->flow ? (m->to_server ? "to_server" : "to_client") : NULL;
	if (m->kind == DM_SIP)
		h->app_proto = "sip";
	else if (m->kind == DM_RTP)
		h->app_proto = "rtp";
}

static void set_view(struct json_buf *j, const char *key, sw_str s)
{
	if (s.len)
		json_set_strn(j, key, s.p, s.len);
}

static void set_first_header(struct json_buf *j, const struct sip_msg *s, const char *key, int id)
{
	const struct sip_header *h = sip_find_header(s, id, NULL);
	if (h && h->value.len) {
		char buf[1024];
		size_t n = sip_unfold(h->value, buf, sizeof(buf));
		json_set_strn(j, key, buf, n);
	}
}

/* The `sip` object of one message, as in Suricata plus sipwire's fields. */
static void write_sip(struct json_buf *j, const struct det_msg *m)
{
	const struct sip_msg *s = m->sip;
	char code[8];
	json_open_object(j, "sip");
	if (s->is_request) {
		set_view(j, "method", s->method);
		set_view(j, "uri", s->ruri_raw);
		set_view(j, "version", s->version);
		set_view(j, "request_line", s->start_line);
	} else {
		set_view(j, "version", s->version);
		snprintf(code, sizeof(code), "%u", s->status);
		json_set_str(j, "code", code);
		set_view(j, "reason", s->reason);
		set_view(j, "response_line", s->start_line);
	}
	set_first_header(j, s, "from", SIP_H_FROM);
	set_first_header(j, s, "to", SIP_H_TO);
	set_view(j, "call_id", s->call_id);
	set_first_header(j, s, "cseq", SIP_H_CSEQ);
	set_view(j, "user_agent", s->user_agent);
	set_view(j, "server", s->server);
	set_first_header(j, s, "contact", SIP_H_CONTACT);
	set_first_header(j, s, "via", SIP_H_VIA);
	if (s->authz.present)
		set_view(j, "auth_user", s->authz.username);
	if (m->state && m->state->dialog_id)
		json_set_uint(j, "dialog_id", m->state->dialog_id);
	json_close_object(j);
}

/* A reject answers this message with a SIP response (a request over UDP). */
static int sip_reply(const struct det_msg *m)
{
	return m->kind == DM_SIP && m->sip && m->sip->is_request && m->l4 == IPPROTO_UDP;
}

/*
 * What a reject sends besides dropping, in Suricata's words: a TCP reset
 * toward the source, the destination or both; an ICMP unreachable toward
 * the source for other protocols. A SIP request over UDP gets a SIP
 * response instead (sipwire.reject), which Suricata's list has no name for.
 */
static void write_reject(struct json_buf *j, const struct det_msg *m, unsigned to)
{
	const char *src_side = m->to_server ? "to_client" : "to_server";
	const char *dst_side = m->to_server ? "to_server" : "to_client";
	if (m->l4 == IPPROTO_TCP) {
		json_set_str(j, "reject_target", to == (REJECT_TO_SRC | REJECT_TO_DST) ? "both"
		                                 : to & REJECT_TO_SRC                  ? src_side
		                                                                       : dst_side);
		json_open_array(j, "reject");
		json_append_str(j, "tcp-reset", 9);
		json_close_array(j);
	} else if ((to & REJECT_TO_SRC) && !sip_reply(m) && m->l4 != IPPROTO_ICMP &&
	           m->l4 != IPPROTO_ICMPV6) {
		json_set_str(j, "reject_target", src_side);
		json_open_array(j, "reject");
		json_append_str(j, "icmp-prohib", 11);
		json_close_array(j);
	}
}

/* The call state the rule saw, in the words of the call-aware keywords. */
static void write_call_state(struct json_buf *j, const struct det_msg *m)
{
	static const char *const dstate[] = { "none", "init", "early", "confirmed", "terminated" };
	const struct sip_msg_result *st = m->state;
	json_open_object(j, "call");
	if (st->dialog_unknown)
		json_set_str(j, "dialog", "unknown");
	else
		json_set_str(j, "dialog", st->dialog_id && st->dialog_state < 5
		                                  ? dstate[st->dialog_state]
		                                  : "none");
	if (st->in_dialog)
		json_set_str(j, "sender", !st->sender_addr_match ? "not_party"
		                          : st->sender_party   ? "callee"
		                                               : "caller");
	json_set_str(j, "transaction", st->stray_response   ? "stray_response"
	                               : st->retransmission ? "retransmission"
	                                                    : "new");
	if (st->reg_changed_source)
		json_set_bool(j, "registration_rebound", 1);
	if (st->auth_failed)
		json_set_str(j, "auth", "failed");
	else if (st->auth_ok)
		json_set_str(j, "auth", "ok");
	else if (st->auth_challenge)
		json_set_str(j, "auth", "challenge");
	json_close_object(j);
}

static void write_frame(struct json_buf *j, const struct det_msg *m, int buf_id)
{
	const char *name = detect_buf_name((unsigned)buf_id) + 6;
	det_buf_get_fn get = detect_buf_getter((unsigned)buf_id);
	const uint8_t *p = NULL;
	uint32_t len = 0;
	if (!get || !get(m, (unsigned)buf_id, 0, &p, &len, NULL))
		return;
	json_open_object(j, "frame");
	json_set_str(j, "type", name);
	json_set_bool(j, "complete", 1);
	json_set_uint(j, "length", len);
	json_set_str(j, "direction", m->to_server ? "toserver" : "toclient");
	if (m->raw && p >= m->raw && p <= m->raw + m->raw_len)
		json_set_uint(j, "stream_offset", (uint64_t)(p - m->raw));
	json_close_object(j);
}

/* metadata "key value" strings grouped by key, as Suricata writes them. */
static void write_metadata(struct json_buf *j, const struct rule *r)
{
	if (!r->n_metadata)
		return;
	json_open_object(j, "metadata");
	for (unsigned i = 0; i < r->n_metadata; i++) {
		const char *kv = r->metadata[i], *sp = strchr(kv, ' ');
		size_t kl = sp ? (size_t)(sp - kv) : strlen(kv);
		int seen = 0;
		char key[128];
		for (unsigned k = 0; k < i && !seen; k++)
			seen = strncmp(r->metadata[k], kv, kl) == 0 &&
			       (r->metadata[k][kl] == ' ' || r->metadata[k][kl] == '\0');
		if (seen || kl >= sizeof(key))
			continue;
		memcpy(key, kv, kl);
		key[kl] = '\0';
		json_open_array(j, key);
		for (unsigned k = i; k < r->n_metadata; k++) {
			const char *o = r->metadata[k];
			if (strncmp(o, kv, kl) != 0 || (o[kl] != ' ' && o[kl] != '\0'))
				continue;
			o += kl;
			while (*o == ' ')
				o++;
			json_append_str(j, o, strlen(o));
		}
		json_close_array(j);
	}
	json_close_object(j);
}

static const char *action_name(uint8_t a)
{
	switch (a) {
	case RA_DROP:
		return "drop";
	case RA_REJECT:
		return "reject";
	case RA_PASS:
		return "pass";
	default:
		return "alert";
	}
}

void eve_write_alert(struct eve *e, const struct det_msg *m, const struct det_alert *a)
{
	const struct rule *r = a->r;
	struct eve_hdr h;
	struct json_buf *j;
	int blocks = a->action == RA_DROP || a->action == RA_REJECT;

	hdr_from(&h, m);
	j = eve_begin(e, EVE_T_ALERT, &h);
	if (!j)
		return;
	json_open_object(j, "alert");
	json_set_str(j, "action", blocks ? "blocked" : "allowed");
	json_set_uint(j, "gid", r->gid);
	json_set_uint(j, "signature_id", r->sid);
	json_set_uint(j, "rev", r->rev);
	json_set_str(j, "signature", r->msg ? r->msg : "");
	json_set_str(j, "category", r->class_desc ? r->class_desc : "");
	json_set_uint(j, "severity", r->priority ? r->priority : 3);
	write_metadata(j, r);
	if (r->n_refs) {
		json_open_array(j, "references");
		for (unsigned i = 0; i < r->n_refs; i++) {
			char ref[1024];
			int n = snprintf(ref, sizeof(ref), "%s,%s", r->refs[i].type, r->refs[i].value);
			json_append_str(j, ref, (size_t)SW_MIN(n, (int)sizeof(ref) - 1));
		}
		json_close_array(j);
	}
	json_close_object(j);
	if (m->kind == DM_SIP && m->sip)
		write_sip(j, m);
	if (a->frame_buf >= 0 && m->kind == DM_SIP)
		write_frame(j, m, a->frame_buf);
	if (blocks) {
		json_open_object(j, "verdict");
		json_set_str(j, "action", "drop");
		if (a->action == RA_REJECT)
			write_reject(j, m, r->reject_to ? r->reject_to : REJECT_TO_SRC);
		json_close_object(j);
	}
	json_open_object(j, "sipwire");
	json_set_str(j, "rule_action", action_name(a->action));
	if (a->ev_kw) {
		/* Which counter fired: "by_src: 5 distinct to_user in 60 s". */
		json_open_object(j, "counter");
		json_set_str(j, "keyword", a->ev_kw);
		json_set_str(j, "track", a->ev_track);
		if (a->ev_field)
			json_set_str(j, "field", a->ev_field);
		json_set_uint(j, "count", a->ev_count);
		json_set_uint(j, "seconds", a->ev_seconds);
		json_close_object(j);
	}
	if (m->kind == DM_SIP && m->state)
		write_call_state(j, m);
	if (a->block_secs)
		json_set_uint(j, "block_seconds", a->block_secs);
	if (a->suppressed)
		json_set_bool(j, "alert_suppressed", 1);
	if (a->action == RA_REJECT && sip_reply(m) &&
	    ((r->reject_to ? r->reject_to : REJECT_TO_SRC) & REJECT_TO_SRC))
		json_set_str(j, "reject", "sip-response");
	if (r->file) {
		json_set_str(j, "rule_file", r->file);
		json_set_uint(j, "rule_line", r->line);
	}
	json_close_object(j);
	eve_end(e);
}

void eve_write_drop(struct eve *e, const struct det_msg *m, const char *reason)
{
	const packet *p = m->pkt;
	struct eve_hdr h;
	struct json_buf *j;

	hdr_from(&h, m);
	h.app_proto = NULL;
	j = eve_begin(e, EVE_T_DROP, &h);
	if (!j)
		return;
	json_open_object(j, "drop");
	json_set_uint(j, "len", p->l3_len);
	json_set_uint(j, "ttl", p->ip_ttl);
	if (p->proto == IPPROTO_UDP && p->l4_len >= 8)
		json_set_uint(j, "udplen", p->l4_len);
	if (p->proto == IPPROTO_TCP) {
		json_set_uint(j, "tcpseq", p->tcp_seq);
		json_set_uint(j, "tcpack", p->tcp_ack);
		json_set_uint(j, "tcpwin", p->tcp_win);
		json_set_bool(j, "syn", (p->tcp_flags & TH_SYN) != 0);
		json_set_bool(j, "ack", (p->tcp_flags & TH_ACK) != 0);
		json_set_bool(j, "psh", (p->tcp_flags & TH_PUSH) != 0);
		json_set_bool(j, "rst", (p->tcp_flags & TH_RST) != 0);
		json_set_bool(j, "urg", (p->tcp_flags & TH_URG) != 0);
		json_set_bool(j, "fin", (p->tcp_flags & TH_FIN) != 0);
	}
	json_set_str(j, "reason", reason);
	json_close_object(j);
	eve_end(e);
}

void eve_write_block(struct eve *e, sw_time ts, const sw_addr *addr, const char *action,
                     uint32_t seconds, const struct rule *r, uint64_t dropped)
{
	struct eve_hdr h;
	struct json_buf *j;
	char ip[SW_ADDR_STRLEN];
	memset(&h, 0, sizeof(h));
	h.ts = ts;
	h.src = addr;
	h.ip_v = addr->family;
	h.tx_id = -1;
	j = eve_begin(e, EVE_T_BLOCK, &h);
	if (!j)
		return;
	json_open_object(j, "block");
	json_set_str(j, "action", action);
	json_set_str(j, "ip", sw_addr_str(addr, ip, sizeof(ip)));
	if (seconds)
		json_set_uint(j, "seconds", seconds);
	if (r) {
		json_set_uint(j, "gid", r->gid);
		json_set_uint(j, "signature_id", r->sid);
		json_set_str(j, "reason", r->msg ? r->msg : "");
	} else {
		json_set_uint(j, "dropped", dropped);
	}
	json_close_object(j);
	eve_end(e);
}
