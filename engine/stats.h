/*
 * stats.h - engine-level counters (the pipeline's own; each module keeps
 * its own stats struct too). Written into EVE `stats` records by
 * eve_stats.c. The all-zero struct is the initial state.
 */
#ifndef SW_STATS_H
#define SW_STATS_H

#include "anomaly.h"
#include "sip_parse.h"

struct sw_stats {
	uint64_t pkts, bytes, max_pkt_size;
	uint64_t invalid;          /* broken before or at the IP layer */
	uint64_t non_ip;           /* well-formed frames that are not IP (ARP...) */
	uint64_t ethernet, vlan, vlan_qinq, sll, sll2, raw, null;
	uint64_t ipv4, ipv6, udp, tcp, icmpv4, icmpv6, other_proto;
	uint64_t ipv4_frags, ipv6_frags;
	uint64_t csum_bad_ip, csum_bad_l4;
	uint64_t csum_validation_disabled; /* auto mode turned checksum validation off */

	uint64_t sip_udp_flows, sip_tcp_flows, rtp_flows, rtcp_flows;
	uint64_t sip_msgs_udp, sip_msgs_tcp;
	uint64_t sip_requests[SIP_M__COUNT];
	uint64_t sip_responses[7]; /* [1..6] = 1xx..6xx, [0] = out of range */
	uint64_t sip_parse_errors; /* messages that could not be framed */
	uint64_t sip_multi_msg_datagrams;
	uint64_t sip_keepalives;
	uint64_t sdp_bodies, sdp_errors;
	uint64_t rtp_pkts, rtp_bytes, rtcp_pkts, rtp_not_rtp;
	uint64_t rtp_ssrc_changes;

	uint64_t alerts;           /* alert records written */
	uint64_t drops;            /* packets dropped (offline: that would have been) */

	/* Inline. */
	uint64_t bypassed_flows, bypassed_pkts; /* flows offloaded to the kernel */
	uint64_t reject_sip, reject_icmp, reject_rst; /* replies sent */
	uint64_t reject_limited;   /* not sent: ips.reject-max-per-second */
	uint64_t reject_errors;    /* could not be built or sent */
	uint64_t overload_pass, overload_drop; /* packets over a cap: fail-open / fail-closed */
	struct {
		uint64_t packets, missed, enobufs, verdict_errors, gso, truncated;
		uint64_t kernel_queue_dropped, kernel_user_dropped;
		/* The shared call state: times a worker found the shard it
		 * needed taken by another thread, the time spent waiting, and
		 * the time workers held shards (the part of the work queues
		 * take turns at). */
		uint64_t engine_waits, engine_wait_usec, engine_busy_usec;
	} capture;

	uint64_t anomalies[ANOM__COUNT];
	uint64_t anomalies_lost;
	uint64_t eve_records;
};

#endif
