/*
 * defrag.h - IPv4 and IPv6 fragment reassembly.
 *
 * Fragments are grouped into trackers keyed by (family, src, dst, id,
 * VLANs), plus the protocol for IPv4. IPv6 leaves the Fragment header's
 * next header out of the key, as RFC 8200 §4.5 and Linux do, and takes it
 * from the first fragment: keying on it would let a sender split what the
 * receiver sees as one datagram into trackers that never complete.
 *
 * When a tracker holds the first fragment, the last fragment (MF clear)
 * and every byte in between, the datagram is rebuilt into the
 * defragmenter's own buffer and decoded again through decode_ip() into
 * the caller's packet. Everything is bounded: trackers by
 * max_trackers, bytes held across all trackers by max_bytes (the oldest
 * tracker is evicted to make room, counted and reported), fragments per
 * tracker by max_frags_per_tracker, and trackers expire after timeout
 * seconds of packet time counted from their first fragment (more fragments
 * do not extend it). Memory: trackers are preallocated; fragment bytes are
 * malloc'd per piece but charged to max_bytes first (defrag.c says why).
 *
 * Fragments the receiver would not reassemble are not held either: one
 * cut short by the capture, one with a bad IPv4 header checksum, an empty
 * non-last one, an IPv6 non-last one whose length is not a multiple of 8
 * (IPv4 ones are trimmed to a multiple of 8, as Linux does). Fragments that
 * disagree on where the datagram ends drop it.
 *
 * Overlap policy: "first" (data already received wins; Suricata's
 * "first" policy). An IPS cannot know the receiver's own policy, so it
 * keeps one consistent view and flags every disagreement: an overlap whose
 * bytes differ from what was received first raises an anomaly; for IPv6
 * any overlap discards the whole datagram (RFC 5722). Exact duplicates
 * (bytes already held, identical) are counted, not flagged, for both
 * versions.
 *
 * One struct defrag per worker thread: nothing here locks.
 */
#ifndef SW_DEFRAG_H
#define SW_DEFRAG_H

#include "packet.h"

struct defrag_cfg {
	uint32_t max_trackers;          /* datagrams being reassembled at once (default 4096) */
	uint32_t max_bytes;             /* fragment bytes held in all trackers (default 16 MiB) */
	uint32_t timeout;               /* seconds of packet time (default 60) */
	uint32_t max_frags_per_tracker; /* default 64 */
};

struct defrag_stats {
	uint64_t ipv4_fragments, ipv6_fragments;     /* fragments handed in */
	uint64_t ipv4_reassembled, ipv6_reassembled; /* datagrams rebuilt */
	uint64_t timeouts;     /* trackers expired incomplete */
	uint64_t evicted;      /* trackers evicted for max_trackers or max_bytes */
	uint64_t memcap_hits;  /* times max_bytes forced an eviction or a drop */
	uint64_t overlaps;     /* fragments overlapping earlier data */
	uint64_t overlap_diff; /* ... with different bytes */
	uint64_t duplicates;   /* exact duplicate fragments */
	uint64_t too_many_frags; /* trackers dropped for max_frags_per_tracker */
	uint64_t too_large;    /* datagrams that would exceed 65535 bytes */
	uint64_t trackers_now, bytes_now, max_trackers_seen;
};

struct defrag;

/*
 * Allocates the defragmenter with all its trackers and its reassembly
 * buffer. Zero members of cfg (or a NULL cfg) take their defaults. The
 * caller owns the result. NULL on ENOMEM.
 */
struct defrag *defrag_create(const struct defrag_cfg *cfg);
/* Frees everything, held fragments included. NULL is a no-op. */
void defrag_destroy(struct defrag *d);

/*
 * Takes a decoded fragment (frag->flags has PKT_IS_FRAGMENT; frag_id,
 * frag_off, frag_mf, frag_data/frag_len and l3_hdr_len are set). Returns:
 *   1  the datagram is complete: *whole is filled as if the datagram had been
 *      captured unfragmented (decode_ip() run on it, PKT_REASSEMBLED set,
 *      ts/pcap_cnt/in_iface/vlan/linktype copied from frag). whole->data
 *      points into the defragmenter and stays valid until the next call of
 *      defrag_packet(), defrag_timeout() or defrag_destroy().
 *   0  the fragment is held (or was a duplicate), waiting for the rest;
 *  -1  the fragment was refused, or the datagram it belonged to was
 *      dropped; anomalies on frag say why (overlap, too many fragments, too
 *      large, memcap, end mismatch, invalid length, ignored, or the rebuilt
 *      datagram failed to decode, whose anomalies are copied onto frag).
 * Counts every fragment in stats and expires stale trackers by frag->ts.
 * A fragment that needs a new tracker when all are in use evicts the
 * oldest (anomaly on frag).
 */
int defrag_packet(struct defrag *d, packet *frag, packet *whole);

/* Expires trackers whose first fragment is more than timeout seconds older
 * than packet time now. NULL is a no-op. */
void defrag_timeout(struct defrag *d, sw_time now);

/* Live counters, owned by d and valid until defrag_destroy(). */
const struct defrag_stats *defrag_get_stats(const struct defrag *d);

#endif
