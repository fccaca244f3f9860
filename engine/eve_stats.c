/*
 * eve_stats.c - `stats` records. Suricata's layout where it has a name for
 * a counter (decoder.*, flow.*, defrag.*, tcp.*, app_layer.*), sipwire's
 * own counters under stats.sipwire: SIP per method and response class,
 * anomalies by name, state tables, evictions and memcap hits.
 */
#include "defrag.h"
#include "detect_engine.h"
#include "eve_out.h"
#include "sip_state.h"
#include "stream_tcp.h"

/* Suricata's defrag object, plus sipwire's overlap/eviction counters. */
static void eve_stats_defrag(struct json_buf *j, const struct defrag_stats *d,
                             const struct sw_stats *st)
{
	json_open_object(j, "defrag");
	json_open_object(j, "ipv4");
	json_set_uint(j, "fragments", d->ipv4_fragments);
	json_set_uint(j, "reassembled", d->ipv4_reassembled);
	json_close_object(j);
	json_open_object(j, "ipv6");
	json_set_uint(j, "fragments", d->ipv6_fragments);
	json_set_uint(j, "reassembled", d->ipv6_reassembled);
	json_close_object(j);
	json_set_uint(j, "max_trackers_reached", d->evicted);
	json_set_uint(j, "memcap_exception", d->memcap_hits);
	json_set_uint(j, "timeouts", d->timeouts);
	json_set_uint(j, "overlaps", d->overlaps);
	json_set_uint(j, "overlaps_different", d->overlap_diff);
	json_set_uint(j, "duplicates", d->duplicates);
	json_set_uint(j, "too_many_fragments", d->too_many_frags);
	json_set_uint(j, "too_large", d->too_large);
	json_set_uint(j, "trackers", d->trackers_now);
	json_set_uint(j, "bytes", d->bytes_now);
	json_close_object(j);
	(void)st;
}

/* Suricata's tcp object names where they exist. */
static void eve_stats_stream(struct json_buf *j, const struct stream_stats *s)
{
	json_open_object(j, "tcp");
	json_set_uint(j, "sessions", s->sessions);
	json_set_uint(j, "midstream_pickups", s->midstream_pickups);
	json_set_uint(j, "ssn_memcap_drop", s->session_memcap);
	json_set_uint(j, "segment_memcap_drop", s->memcap_hits);
	json_set_uint(j, "reassembly_gap", s->gaps);
	json_set_uint(j, "overlap", s->overlaps);
	json_set_uint(j, "overlap_diff_data", s->overlap_diff);
	json_set_uint(j, "rst", s->rst);
	json_set_uint(j, "segments", s->segments);
	json_set_uint(j, "ooo_segments", s->ooo_segments);
	json_set_uint(j, "retransmissions", s->retransmissions);
	json_set_uint(j, "bytes_delivered", s->bytes_delivered);
	json_set_uint(j, "gap_bytes", s->gap_bytes);
	json_set_uint(j, "ooo_bytes", s->ooo_bytes_now);
	json_close_object(j);
}

/* sipwire's call-state tables. */
static void eve_stats_sip_state(struct json_buf *j, const struct sip_state_stats *s)
{
	json_open_object(j, "transactions");
	json_set_uint(j, "total", s->txns);
	json_set_uint(j, "active", s->txns_active);
	json_set_uint(j, "request_retransmissions", s->txn_retrans_req);
	json_set_uint(j, "response_retransmissions", s->txn_retrans_resp);
	json_set_uint(j, "timeouts", s->txn_timeouts);
	json_set_uint(j, "evicted", s->txn_evicted);
	json_set_uint(j, "stray_responses", s->stray_responses);
	json_set_uint(j, "acks_2xx", s->acks_2xx);
	json_close_object(j);
	json_open_object(j, "dialogs");
	json_set_uint(j, "total", s->dialogs);
	json_set_uint(j, "active", s->dialogs_active);
	json_set_uint(j, "confirmed", s->dialogs_confirmed);
	json_set_uint(j, "timeouts", s->dialog_timeouts);
	json_set_uint(j, "evicted", s->dialogs_evicted);
	json_set_uint(j, "in_dialog_unknown", s->in_dialog_unknown);
	json_close_object(j);
	json_open_object(j, "registrations");
	json_set_uint(j, "active", s->regs_active);
	json_set_uint(j, "binds", s->reg_binds);
	json_set_uint(j, "refreshes", s->reg_refreshes);
	json_set_uint(j, "unbinds", s->reg_unbinds);
	json_set_uint(j, "expired", s->reg_expired);
	json_set_uint(j, "evicted", s->reg_evicted);
	json_close_object(j);
	json_open_object(j, "media_expectations");
	json_set_uint(j, "active", s->media_active);
	json_set_uint(j, "added", s->media_added);
	json_set_uint(j, "evicted", s->media_evicted);
	json_close_object(j);
}

static void write_decoder(struct json_buf *j, const struct sw_stats *st)
{
	json_open_object(j, "decoder");
	json_set_uint(j, "pkts", st->pkts);
	json_set_uint(j, "bytes", st->bytes);
	json_set_uint(j, "invalid", st->invalid);
	json_set_uint(j, "non_ip", st->non_ip);
	json_set_uint(j, "csum_bad_ip", st->csum_bad_ip);
	json_set_uint(j, "csum_bad_l4", st->csum_bad_l4);
	json_set_bool(j, "csum_validation_disabled", (int)st->csum_validation_disabled);
	json_set_uint(j, "ipv4", st->ipv4);
	json_set_uint(j, "ipv6", st->ipv6);
	json_set_uint(j, "ethernet", st->ethernet);
	json_set_uint(j, "sll", st->sll);
	json_set_uint(j, "sll2", st->sll2);
	json_set_uint(j, "raw", st->raw);
	json_set_uint(j, "null", st->null);
	json_set_uint(j, "vlan", st->vlan);
	json_set_uint(j, "vlan_qinq", st->vlan_qinq);
	json_set_uint(j, "tcp", st->tcp);
	json_set_uint(j, "udp", st->udp);
	json_set_uint(j, "icmpv4", st->icmpv4);
	json_set_uint(j, "icmpv6", st->icmpv6);
	json_set_uint(j, "avg_pkt_size", st->pkts ? st->bytes / st->pkts : 0);
	json_set_uint(j, "max_pkt_size", st->max_pkt_size);
	json_close_object(j);
}

static void write_anomalies(struct json_buf *j, const struct sw_stats *st)
{
	json_open_object(j, "anomalies");
	for (unsigned i = 1; i < ANOM__COUNT; i++)
		if (st->anomalies[i])
			json_set_uint(j, anomaly_name(i), st->anomalies[i]);
	json_close_object(j);
	json_set_uint(j, "anomalies_lost", st->anomalies_lost);
}

static void write_sip_counts(struct json_buf *j, const struct sw_stats *st)
{
	static const char *const cls[7] = { "invalid", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx" };
	json_open_object(j, "sip");
	json_set_uint(j, "messages_udp", st->sip_msgs_udp);
	json_set_uint(j, "messages_tcp", st->sip_msgs_tcp);
	json_set_uint(j, "unparsable", st->sip_parse_errors);
	json_set_uint(j, "multi_message_datagrams", st->sip_multi_msg_datagrams);
	json_set_uint(j, "keepalives", st->sip_keepalives);
	json_set_uint(j, "sdp_bodies", st->sdp_bodies);
	json_set_uint(j, "sdp_unparsable", st->sdp_errors);
	json_open_object(j, "requests");
	for (int m = 0; m < SIP_M__COUNT; m++)
		if (st->sip_requests[m])
			json_set_uint(j, m == SIP_M_UNKNOWN ? "other" : sip_method_name(m),
			              st->sip_requests[m]);
	json_close_object(j);
	json_open_object(j, "responses");
	for (int c = 0; c < 7; c++)
		if (st->sip_responses[c])
			json_set_uint(j, cls[c], st->sip_responses[c]);
	json_close_object(j);
	json_close_object(j);

	json_open_object(j, "media");
	json_set_uint(j, "rtp_flows", st->rtp_flows);
	json_set_uint(j, "rtcp_flows", st->rtcp_flows);
	json_set_uint(j, "rtp_pkts", st->rtp_pkts);
	json_set_uint(j, "rtp_bytes", st->rtp_bytes);
	json_set_uint(j, "rtcp_pkts", st->rtcp_pkts);
	json_set_uint(j, "not_rtp", st->rtp_not_rtp);
	json_set_uint(j, "ssrc_changes", st->rtp_ssrc_changes);
	json_close_object(j);
}

void eve_write_stats(struct eve *e, const struct eve_stats_src *s)
{
	struct eve_hdr h;
	struct json_buf *j;
	const struct sw_stats *st = s->st;

	memset(&h, 0, sizeof(h));
	h.ts = s->now;
	h.tx_id = -1;
	j = eve_begin(e, EVE_T_STATS, &h);
	if (!j)
		return;
	json_open_object(j, "stats");
	json_set_uint(j, "uptime", s->uptime);
	write_decoder(j, st);

	if (s->flow) {
		json_open_object(j, "flow");
		json_set_uint(j, "total", s->flow->created);
		json_set_uint(j, "active", s->flow->active);
		json_set_uint(j, "max_active", s->flow->max_active);
		json_set_uint(j, "timed_out", s->flow->timed_out);
		json_set_uint(j, "evicted", s->flow->evicted);
		json_set_uint(j, "memcap", s->flow->memcap_hits);
		json_close_object(j);
	}
	if (s->defrag)
		eve_stats_defrag(j, s->defrag, st);
	if (s->stream)
		eve_stats_stream(j, s->stream);

	if (s->detect) {
		/* Suricata's detect object, sipwire's detail in sipwire.detect. */
		json_open_object(j, "detect");
		json_set_uint(j, "alert", st->alerts);
		json_set_uint(j, "alert_queue_overflow", s->detect->alerts_lost);
		json_set_uint(j, "alerts_suppressed", s->detect->suppressed);
		json_open_array(j, "engines");
		json_open_object(j, NULL);
		json_set_uint(j, "id", 0);
		json_set_uint(j, "rules_loaded", s->rules_loaded);
		json_set_uint(j, "rules_failed", 0);
		json_set_uint(j, "rules_skipped", s->rules_inactive);
		json_close_object(j);
		json_close_array(j);
		json_close_object(j);
	}
	json_open_object(j, "ips");
	json_set_uint(j, "accepted", st->pkts - st->drops);
	json_set_uint(j, "blocked", st->drops);
	json_set_uint(j, "rejected", st->reject_sip + st->reject_icmp + st->reject_rst);
	json_close_object(j);

	json_open_object(j, "app_layer");
	json_open_object(j, "flow");
	json_set_uint(j, "sip_udp", st->sip_udp_flows);
	json_set_uint(j, "sip_tcp", st->sip_tcp_flows);
	json_close_object(j);
	json_open_object(j, "error");
	json_open_object(j, "sip_udp");
	json_set_uint(j, "parser", st->sip_parse_errors);
	json_close_object(j);
	json_close_object(j);
	json_close_object(j);

	json_open_object(j, "sipwire");
	if (s->shard >= 0)
		json_set_uint(j, "queue", (uint64_t)s->shard);
	write_sip_counts(j, st);
	if (s->sip)
		eve_stats_sip_state(j, s->sip);
	write_anomalies(j, st);
	if (s->detect) {
		json_open_object(j, "detect");
		json_set_uint(j, "rules_loaded", s->rules_loaded);
		json_set_uint(j, "rules_inactive", s->rules_inactive);
		json_set_uint(j, "evaluated", s->detect->evaluated);
		json_set_uint(j, "prefilter_skipped", s->detect->prefilter_skipped);
		json_set_uint(j, "matches", s->detect->matches);
		json_set_uint(j, "drops", st->drops);
		json_set_uint(j, "pcre_limit_hits", s->pcre_limit_hits);
		json_set_uint(j, "recursion_limit_hits", s->recursion_limit_hits);
		json_close_object(j);
	}
	json_open_object(j, "ips");
	json_set_uint(j, "drops", st->drops);
	json_set_uint(j, "reject_sip", st->reject_sip);
	json_set_uint(j, "reject_icmp", st->reject_icmp);
	json_set_uint(j, "reject_rst", st->reject_rst);
	json_set_uint(j, "reject_limited", st->reject_limited);
	json_set_uint(j, "reject_errors", st->reject_errors);
	json_set_uint(j, "bypassed_flows", st->bypassed_flows);
	json_set_uint(j, "bypassed_pkts", st->bypassed_pkts);
	json_set_uint(j, "overload_pass", st->overload_pass);
	json_set_uint(j, "overload_drop", st->overload_drop);
	json_close_object(j);
	if (st->capture.packets) {
		json_open_object(j, "capture");
		json_set_uint(j, "packets", st->capture.packets);
		json_set_uint(j, "missed", st->capture.missed);
		json_set_uint(j, "enobufs", st->capture.enobufs);
		json_set_uint(j, "verdict_errors", st->capture.verdict_errors);
		json_set_uint(j, "gso", st->capture.gso);
		json_set_uint(j, "truncated", st->capture.truncated);
		json_set_uint(j, "kernel_queue_dropped", st->capture.kernel_queue_dropped);
		json_set_uint(j, "kernel_user_dropped", st->capture.kernel_user_dropped);
		json_set_uint(j, "engine_waits", st->capture.engine_waits);
		json_set_uint(j, "engine_wait_usec", st->capture.engine_wait_usec);
		json_set_uint(j, "engine_busy_usec", st->capture.engine_busy_usec);
		json_close_object(j);
	}
	json_open_object(j, "eve");
	{
		uint64_t rec[EVE_T__COUNT], werr;
		eve_counts(s->eve, rec, &werr);
		for (int t = 0; t < EVE_T__COUNT; t++)
			json_set_uint(j, eve_type_name(t), rec[t]);
		json_set_uint(j, "write_errors", werr);
	}
	json_close_object(j);
	json_close_object(j);

	json_close_object(j);
	eve_end(e);
}
