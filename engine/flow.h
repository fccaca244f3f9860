/*
 * flow.h - the flow table: bidirectional 5-tuple (+VLAN) flows.
 *
 * A flow is created by the first packet seen of a 5-tuple; that packet's
 * sender is the flow's "client" (src) and packets from it have dir 0
 * (to server). Flows time out by packet time with per-protocol timeouts,
 * and the table is bounded by max_flows: when full, the least recently
 * used flow is evicted (counted, reported through the end callback with
 * reason "forced"). Flows are allocated from a preallocated pool at
 * create time; the packet path never calls malloc.
 */
#ifndef SW_FLOW_H
#define SW_FLOW_H

#include "common.h"
#include "packet.h"

enum flow_app { FLOW_APP_NONE = 0, FLOW_APP_SIP, FLOW_APP_RTP, FLOW_APP_RTCP, FLOW_APP_UNKNOWN };

enum flow_end_reason { FLOW_END_TIMEOUT = 0, FLOW_END_FORCED, FLOW_END_SHUTDOWN };

struct flow_key {
	sw_addr src, dst;
	uint16_t sport, dport;
	uint16_t vlan[PKT_MAX_VLAN];
	uint8_t proto;
};

struct tcp_session; /* stream_tcp.h */
struct sip_framer;  /* per-direction SIP stream framing state */

struct flow {
	struct flow_key key;    /* as seen in the first packet (src = client) */
	uint64_t flow_id;       /* deterministic, 51 bits (JSON-safe) */
	sw_time first_ts, last_ts;
	uint64_t pkts[2], bytes[2]; /* [0] to server, [1] to client */
	uint8_t app;            /* enum flow_app */
	uint8_t app_probed;     /* probing done (decided app or gave up) */
	uint8_t alerted;
	uint8_t bypassed;       /* inline: handed to the kernel (media offload) */
	uint8_t block_logged;   /* a drop record said this flow's source is blocked */
	uint8_t byp_counted;    /* byp_pkts/bytes known (conntrack accounting) */
	uint32_t byp_idx;       /* index in the engine's list of offloaded flows */
	uint64_t byp_pkts, byp_bytes; /* forwarded by the kernel after the offload */
	uint8_t tcp_state;      /* owned by stream_tcp */
	uint32_t tx_count;      /* SIP transactions seen on this flow */
	uint64_t flowbits;      /* rule flowbits (detect_bits.c) */

	/* Media flows: the dialog that announced this stream (0 if none). */
	uint64_t dialog_id;
	uint16_t dialog_shard;  /* its call-state shard (sip_state_shard()) */
	uint8_t media_index;    /* m= line index in the SDP */
	uint8_t media_party;    /* XOR with packet dir gives the sending party (0 caller side) */
	uint32_t media_epoch;   /* sip_state_media_epoch() when dialog_id was last checked */
	uint32_t rtp_ssrc[2];
	uint8_t rtp_src_state[2]; /* per direction: 0 unchecked, 1 expected, 2 unexpected */
	uint64_t rtp_ssrc_changes[2];

	struct tcp_session *tcp; /* NULL for non-TCP; owned by stream_tcp */
	struct sip_framer *framer[2]; /* owned by the SIP stream framer */

	/* Table internals. */
	struct flow *hnext;     /* hash chain */
	struct flow *lru_prev, *lru_next;
	uint32_t bucket;
};

struct flow_cfg {
	uint32_t max_flows;        /* default 65536 */
	uint32_t hash_size;        /* buckets, default max_flows (rounded up to pow2) */
	uint32_t timeout_udp;      /* seconds, default 120 */
	uint32_t timeout_tcp;      /* established, default 3600 */
	uint32_t timeout_tcp_closed; /* after FIN/RST, default 30 */
	uint32_t timeout_other;    /* default 60 */
};

/* Called for each flow leaving the table, before it is reused. */
typedef void (*flow_end_cb)(void *ud, struct flow *f, enum flow_end_reason why);

struct flow_table;

struct flow_stats {
	uint64_t created, timed_out, evicted, active, max_active;
	uint64_t memcap_hits;
};

/* Allocates the table and its pool. NULL on allocation failure. */
struct flow_table *flow_table_create(const struct flow_cfg *cfg, flow_end_cb cb, void *ud);
/* Ends every flow (reason SHUTDOWN) through the callback and frees. NULL ok. */
void flow_table_destroy(struct flow_table *ft);

/*
 * Finds or creates the flow of decoded packet p (IP with proto set), sets
 * p->flow and p->dir, updates counters and last_ts. Returns the flow, or
 * NULL only if p has no IP layer. When the table is full the LRU flow is
 * evicted first (ANOM_FLOW_EVICTED raised on p).
 */
struct flow *flow_handle_packet(struct flow_table *ft, packet *p);
/* Ends flows idle past their timeout at packet time now. */
void flow_timeout_sweep(struct flow_table *ft, sw_time now);
const struct flow_stats *flow_table_stats(const struct flow_table *ft);
/* f is known to be active at now without a packet (offloaded to the
 * kernel): it does not time out yet. */
void flow_touch(struct flow_table *ft, struct flow *f, sw_time now);
/* Ends f now (its end callback runs). */
void flow_remove(struct flow_table *ft, struct flow *f, enum flow_end_reason why);

/* Reverse direction lookup helpers for media expectations: 1 if found. */
struct flow *flow_lookup(struct flow_table *ft, const struct flow_key *k, int *dir);

#endif
