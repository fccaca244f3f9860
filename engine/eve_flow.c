/*
 * eve_flow.c - `flow` records, written when a flow leaves the table.
 * Suricata's flow object (pkts/bytes both ways, start, end, age, state,
 * reason, alerted) plus, for media flows, the dialog the SDP tied it to.
 */
#include <netinet/in.h>

#include "eve_out.h"
#include "stream_tcp.h"

static const char *app_name(uint8_t app)
{
	switch (app) {
	case FLOW_APP_SIP:
		return "sip";
	case FLOW_APP_RTP:
		return "rtp";
	case FLOW_APP_RTCP:
		return "rtcp";
	case FLOW_APP_UNKNOWN:
		return "failed";
	default:
		return NULL;
	}
}

static const char *reason_name(enum flow_end_reason why)
{
	switch (why) {
	case FLOW_END_FORCED:
		return "forced";
	case FLOW_END_SHUTDOWN:
		return "shutdown";
	default:
		return "timeout";
	}
}

void eve_write_flow(struct eve *e, const struct flow *f, enum flow_end_reason why, sw_time now)
{
	struct eve_hdr h;
	struct json_buf *j;
	char ts[64];

	memset(&h, 0, sizeof(h));
	h.ts = f->last_ts;
	h.flow_id = f->flow_id;
	h.src = &f->key.src;
	h.dst = &f->key.dst;
	h.sport = f->key.sport;
	h.dport = f->key.dport;
	h.proto = f->key.proto;
	h.ip_v = f->key.src.family;
	h.tx_id = -1;
	h.app_proto = app_name(f->app);
	j = eve_begin(e, EVE_T_FLOW, &h);
	if (!j)
		return;
	if (f->key.vlan[0]) {
		json_open_array(j, "vlan");
		for (unsigned i = 0; i < PKT_MAX_VLAN && f->key.vlan[i]; i++)
			json_append_uint(j, f->key.vlan[i]);
		json_close_array(j);
	}
	json_open_object(j, "flow");
	json_set_uint(j, "pkts_toserver", f->pkts[0]);
	json_set_uint(j, "pkts_toclient", f->pkts[1]);
	json_set_uint(j, "bytes_toserver", f->bytes[0]);
	json_set_uint(j, "bytes_toclient", f->bytes[1]);
	json_ts_format(ts, sizeof(ts), f->first_ts);
	json_set_str(j, "start", ts);
	json_ts_format(ts, sizeof(ts), f->last_ts);
	json_set_str(j, "end", ts);
	json_set_uint(j, "age", (f->last_ts - f->first_ts) / SW_USEC_PER_SEC);
	if (f->key.proto == IPPROTO_TCP)
		json_set_str(j, "state", stream_tcp_state_name(f->tcp_state));
	else
		json_set_str(j, "state", f->pkts[1] ? "established" : "new");
	json_set_str(j, "reason", reason_name(why));
	json_set_bool(j, "alerted", f->alerted);
	if (f->bypassed) {
		/* The counters above stop at the offload (Suricata: "capture"
		 * bypass); what the kernel forwarded after it, when conntrack
		 * accounting tells. */
		json_set_str(j, "bypass", "capture");
		if (f->byp_counted) {
			json_open_object(j, "bypassed");
			json_set_uint(j, "pkts", f->byp_pkts);
			json_set_uint(j, "bytes", f->byp_bytes);
			json_close_object(j);
		}
	}
	if (f->app == FLOW_APP_SIP)
		json_set_uint(j, "sip_transactions", f->tx_count);
	if (f->dialog_id) {
		json_set_uint(j, "dialog_id", f->dialog_id);
		json_set_uint(j, "media_index", f->media_index);
	}
	if (f->app == FLOW_APP_RTP && (f->rtp_ssrc_changes[0] || f->rtp_ssrc_changes[1]))
		json_set_uint(j, "rtp_ssrc_changes", f->rtp_ssrc_changes[0] + f->rtp_ssrc_changes[1]);
	json_close_object(j);
	eve_end(e);
}
