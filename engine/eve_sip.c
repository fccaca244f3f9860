/*
 * eve_sip.c - `sip` records (one per transaction, request paired with its
 * final response) and `call` records (one per dialog, at its end).
 *
 * The `sip` object keeps Suricata's keys and types (method, uri, version,
 * request_line, code as a string, reason, response_line) and adds what
 * an analyst needs: parties, Call-ID, CSeq, agents, auth user, the dialog,
 * how the transaction ended, provisional responses, retransmissions,
 * response time and, for REGISTER, the registration outcome. Empty
 * values are left out rather than written as "".
 */
#include <netinet/in.h>

#include "eve_out.h"
#include "sip_state.h"

static void set_nonempty(struct json_buf *j, const char *key, const char *v)
{
	if (v && v[0])
		json_set_str(j, key, v);
}

void eve_write_sip(struct eve *e, const struct sip_txn_rec *t)
{
	struct eve_hdr h;
	struct json_buf *j;
	char code[8];

	memset(&h, 0, sizeof(h));
	h.ts = t->resp_ts ? t->resp_ts : t->ts;
	h.flow_id = t->flow_id;
	h.src = &t->src;
	h.dst = &t->dst;
	h.sport = t->sport;
	h.dport = t->dport;
	h.proto = t->proto;
	h.ip_v = t->ip_v;
	h.pcap_cnt = t->pcap_cnt;
	h.tx_id = t->flow_tx;
	h.app_proto = "sip";
	h.direction = t->flow_dir ? "to_client" : "to_server";
	j = eve_begin(e, EVE_T_SIP, &h);
	if (!j)
		return;
	json_open_object(j, "sip");
	set_nonempty(j, "method", t->method);
	set_nonempty(j, "uri", t->uri);
	set_nonempty(j, "version", t->version);
	set_nonempty(j, "request_line", t->request_line);
	if (t->code) {
		snprintf(code, sizeof(code), "%u", t->code);
		json_set_str(j, "code", code);
	}
	set_nonempty(j, "reason", t->reason);
	set_nonempty(j, "response_line", t->response_line);
	set_nonempty(j, "from", t->from);
	set_nonempty(j, "to", t->to);
	set_nonempty(j, "from_tag", t->from_tag);
	set_nonempty(j, "to_tag", t->to_tag);
	set_nonempty(j, "call_id", t->call_id);
	set_nonempty(j, "cseq", t->cseq);
	set_nonempty(j, "user_agent", t->user_agent);
	set_nonempty(j, "server", t->server);
	set_nonempty(j, "contact", t->contact);
	set_nonempty(j, "via", t->via);
	set_nonempty(j, "auth_user", t->auth_user);
	set_nonempty(j, "auth_realm", t->auth_realm);
	set_nonempty(j, "challenge_realm", t->challenge_realm);
	set_nonempty(j, "content_type", t->content_type);
	if (t->request_has_sdp)
		json_set_bool(j, "request_sdp", 1);
	if (t->response_has_sdp)
		json_set_bool(j, "response_sdp", 1);
	json_set_uint(j, "transaction_id", t->txn_id);
	if (t->dialog_id)
		json_set_uint(j, "dialog_id", t->dialog_id);
	json_set_str(j, "end", t->end);
	if (t->first_provisional) {
		json_set_uint(j, "first_provisional", t->first_provisional);
		json_set_uint(j, "provisional_count", t->n_provisional);
	}
	if (t->resp_ts && t->resp_ts >= t->ts)
		json_set_uint(j, "response_time_us", t->resp_ts - t->ts);
	if (t->retrans_req || t->retrans_resp) {
		json_open_object(j, "retransmissions");
		json_set_uint(j, "request", t->retrans_req);
		json_set_uint(j, "response", t->retrans_resp);
		json_close_object(j);
	}
	if (t->reg_action) {
		json_open_object(j, "registration");
		set_nonempty(j, "aor", t->reg_aor);
		json_set_str(j, "action", t->reg_action);
		if (t->reg_expires >= 0)
			json_set_uint(j, "expires", (uint64_t)t->reg_expires);
		json_set_uint(j, "bindings", t->reg_contacts);
		json_close_object(j);
	}
	json_close_object(j);
	eve_end(e);
}

static void set_party_addr(struct json_buf *j, const char *ipkey, const char *portkey,
                           const sw_addr *a, uint16_t port)
{
	char s[SW_ADDR_STRLEN];
	if (!a->family)
		return;
	json_set_str(j, ipkey, sw_addr_str(a, s, sizeof(s)));
	json_set_uint(j, portkey, port);
}

void eve_write_call(struct eve *e, const struct sip_dialog_rec *d)
{
	struct eve_hdr h;
	struct json_buf *j;
	char ts[64];

	memset(&h, 0, sizeof(h));
	h.ts = d->end_ts;
	h.flow_id = d->flow_id;
	h.src = &d->caller_addr;
	h.dst = &d->callee_addr;
	h.sport = d->caller_port;
	h.dport = d->callee_port;
	h.proto = d->proto;
	h.ip_v = d->ip_v;
	h.tx_id = -1;
	h.app_proto = "sip";
	j = eve_begin(e, EVE_T_CALL, &h);
	if (!j)
		return;
	json_open_object(j, "call");
	json_set_uint(j, "dialog_id", d->dialog_id);
	set_nonempty(j, "call_id", d->call_id);
	set_nonempty(j, "from", d->from);
	set_nonempty(j, "to", d->to);
	set_nonempty(j, "from_tag", d->from_tag);
	set_nonempty(j, "to_tag", d->to_tag);
	set_nonempty(j, "request_uri", d->ruri);
	set_nonempty(j, "caller_user_agent", d->caller_ua);
	set_nonempty(j, "callee_user_agent", d->callee_ua);
	json_set_str(j, "state", sip_dialog_state_name(d->state));
	json_open_array(j, "states");
	json_append_str(j, "init", 4);
	if (d->reached_early)
		json_append_str(j, "early", 5);
	if (d->reached_confirmed)
		json_append_str(j, "confirmed", 9);
	if (d->state == DLG_TERMINATED)
		json_append_str(j, "terminated", 10);
	json_close_array(j);
	json_set_str(j, "end", d->end);
	set_nonempty(j, "ended_by", d->ended_by);
	if (d->final_code)
		json_set_uint(j, "final_code", d->final_code);
	json_ts_format(ts, sizeof(ts), d->start);
	json_set_str(j, "start", ts);
	if (d->answered) {
		json_ts_format(ts, sizeof(ts), d->answered);
		json_set_str(j, "answered", ts);
		json_set_uint(j, "setup_ms", (d->answered - d->start) / 1000);
		json_set_uint(j, "duration_ms",
		              d->end_ts > d->answered ? (d->end_ts - d->answered) / 1000 : 0);
	}
	json_ts_format(ts, sizeof(ts), d->end_ts);
	json_set_str(j, "end_time", ts);
	json_set_uint(j, "reinvites", d->reinvites);
	if (d->n_media) {
		json_open_array(j, "media");
		for (unsigned i = 0; i < d->n_media && i < SIP_DIALOG_MAX_MEDIA; i++) {
			const struct sip_dialog_media *m = &d->media[i];
			json_open_object(j, NULL);
			json_set_uint(j, "index", m->index);
			set_nonempty(j, "media", m->media);
			set_party_addr(j, "caller_ip", "caller_port", &m->addr[0], m->port[0]);
			set_party_addr(j, "callee_ip", "callee_port", &m->addr[1], m->port[1]);
			json_open_object(j, "rtp_packets");
			json_set_uint(j, "caller", m->pkts[0]);
			json_set_uint(j, "callee", m->pkts[1]);
			json_close_object(j);
			json_open_object(j, "rtp_bytes");
			json_set_uint(j, "caller", m->bytes[0]);
			json_set_uint(j, "callee", m->bytes[1]);
			json_close_object(j);
			json_open_object(j, "rtcp_packets");
			json_set_uint(j, "caller", m->rtcp_pkts[0]);
			json_set_uint(j, "callee", m->rtcp_pkts[1]);
			json_close_object(j);
			json_close_object(j);
		}
		json_close_array(j);
	}
	json_close_object(j);
	eve_end(e);
}
