/*
 * stream_tcp.h - TCP reassembly per direction, delivering in-order bytes.
 *
 * State per flow (f->tcp), from a pool of max_sessions allocated at create.
 * Out-of-order segments are held in malloc'd buffers accounted against a
 * per-direction limit and a global memcap (out-of-order data is the rare
 * case; in-order data is delivered straight from the packet, zero-copy).
 * When a limit is hit, the stream skips to the earliest held segment and
 * reports the hole (gap callback + stream.reassembly_seq_gap): fail open,
 * never stall.
 *
 * Overlap policy: first wins (data already delivered or already held is
 * kept; a later copy of held data that differs raises
 * stream.reassembly_overlap_different_data), as BSD and Linux receivers do
 * for data they have already accepted. Delivered data is not kept, so a
 * differing copy of it is dropped unnoticed (details in stream_tcp.c).
 *
 * RST is believed only near its sender's stream position (RFC 5961
 * spirit; others count in rst_invalid). After it, data raises
 * stream.data_after_rst until a new SYN restarts the session.
 *
 * Session states (f->tcp_state):
 *   NONE  -SYN->  SYN_SENT  -SYN/ACK->  ESTABLISHED  -FIN both ways / RST->  CLOSED
 *   NONE  -data (mid-stream pickup)->  ESTABLISHED
 *   any   -FIN one way->  CLOSING (still delivering the other direction)
 *   CLOSED  -SYN (no ACK)->  SYN_SENT (port reuse: the session starts over)
 */
#ifndef SW_STREAM_TCP_H
#define SW_STREAM_TCP_H

#include "flow.h"
#include "packet.h"

enum tcp_state { TCP_NONE = 0, TCP_SYN_SENT, TCP_ESTABLISHED, TCP_CLOSING, TCP_CLOSED };

struct stream_cfg {
	uint32_t max_sessions;          /* default 65536 */
	uint32_t max_ooo_bytes_per_dir; /* default 64 KiB */
	uint64_t memcap;                /* default 64 MiB of out-of-order data */
	uint32_t max_ooo_segments;      /* per direction, default 64 */
};

struct stream_stats {
	uint64_t sessions, midstream_pickups, session_memcap;
	uint64_t segments, bytes_delivered;
	uint64_t ooo_segments, retransmissions, overlaps, overlap_diff;
	uint64_t gaps, gap_bytes, memcap_hits, rst, ooo_bytes_now;
	uint64_t rst_invalid;           /* RSTs ignored: seq far from the sender's position */
};

typedef void (*stream_data_cb)(void *ud, struct flow *f, int dir, const uint8_t *data, uint32_t len);
typedef void (*stream_gap_cb)(void *ud, struct flow *f, int dir, uint32_t gap_len);

struct stream_ctx;

struct stream_ctx *stream_create(const struct stream_cfg *cfg);
void stream_destroy(struct stream_ctx *s);
/*
 * Handles a decoded TCP packet already attached to its flow (p->flow,
 * p->dir). In-order payload goes to data_cb (possibly several chunks: this
 * segment, then held segments it made contiguous); holes that had to be
 * skipped go to gap_cb. Anomalies are raised on p.
 */
void stream_tcp_packet(struct stream_ctx *s, packet *p, stream_data_cb data_cb,
                       stream_gap_cb gap_cb, void *ud);
/* Releases f's session (called when the flow ends). */
void stream_tcp_flow_free(struct stream_ctx *s, struct flow *f);
/* 1 if f's TCP session saw RST or FIN both ways. */
int stream_tcp_is_closed(const struct flow *f);
/* "new", "established", "closed" (Suricata's flow.state words). */
const char *stream_tcp_state_name(uint8_t st);
const struct stream_stats *stream_get_stats(const struct stream_ctx *s);

#endif
