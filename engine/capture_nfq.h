/*
 * capture_nfq.h - the inline capture backend: one NFQUEUE queue, through
 * libmnl and libnetfilter_queue's nfq_nlmsg_* API.
 *
 * A queue is bound in copy-packet mode with NFQA_CFG_F_FAIL_OPEN (when the
 * kernel's queue is full it accepts instead of dropping; configurable) and
 * NFQA_CFG_F_GSO (super-packets arrive whole instead of being segmented
 * for us). Packets are received in batches with recvmmsg() and answered in
 * one sendmsg(): one verdict per packet that is not a plain accept, then one
 * NFQNL_MSG_VERDICT_BATCH accepting everything else up to the highest
 * accepted id.
 *
 * Kernel packet ids are consecutive per queue and are consumed even by
 * packets that never reach us (queue full, socket buffer full): the gaps are
 * counted as "missed", the only trace a fail-open pass leaves.
 *
 * One queue belongs to one thread; different queues are independent.
 */
#ifndef SW_CAPTURE_NFQ_H
#define SW_CAPTURE_NFQ_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

struct nfq_queue;

struct nfq_opts {
	uint32_t queue_maxlen;  /* kernel queue length */
	uint64_t buffer_size;   /* socket receive buffer, bytes */
	uint32_t batch;         /* packets per receive call (1..1024) */
	int fail_open;          /* NFQA_CFG_F_FAIL_OPEN */
	int gso;                /* NFQA_CFG_F_GSO */
	/* The mark bit that says the bridge saw an 802.1Q tag, whose VLAN id
	 * is then the mark's low 12 bits (tools/sipwire-bridge.sh sets them:
	 * the queue itself does not say the tag); 0: marks carry no VLAN. */
	uint32_t vlan_mark;
};

/* What the kernel told us about a packet besides its bytes. */
struct nfq_meta {
	uint32_t id;
	uint16_t hw_proto;      /* EtherType, host order */
	uint32_t mark;
	uint32_t indev, outdev;         /* ifindex (0 = unknown) */
	uint32_t physindev, physoutdev; /* bridge ports (0 = not bridged) */
	uint8_t hwaddr[8];      /* source MAC */
	uint8_t hwaddr_len;     /* 0 = unknown */
	uint32_t skbinfo;       /* NFQA_SKB_* */
	uint16_t vlan;          /* 802.1Q VLAN id from the mark (nfq_opts.vlan_mark), 0: none */
	uint16_t queue;
};

/* The verdict for one packet, filled by the packet callback. */
enum nfq_action { NFQ_ACCEPT, NFQ_DROP, NFQ_BYPASS };

struct nfq_verdict {
	enum nfq_action action;
	uint32_t mark;          /* NFQ_BYPASS: the mark that makes the rules skip the queue */
	/* A rewritten packet (NAT helper, SRTP): sent with the verdict when set. */
	const uint8_t *payload;
	uint32_t payload_len;
};

/*
 * Called for each received packet: p has ts, data, caplen, wirelen and
 * linktype (SW_DLT_RAW) filled, and PKT_L4_CSUM_UNKNOWN set when the kernel
 * says the checksum is not computed yet. v starts as NFQ_ACCEPT.
 */
typedef void (*nfq_packet_cb)(void *ud, packet *p, const struct nfq_meta *m,
                              struct nfq_verdict *v);

struct nfq_stats { /* uint64_t fields only (nfq_queue_stats() copies them as such) */
	uint64_t packets, bytes;
	uint64_t batches;       /* receive calls that returned packets */
	uint64_t accepted, dropped, bypassed, mangled;
	uint64_t missed;        /* packet ids we never received (fail-open or lost) */
	uint64_t enobufs;       /* socket receive buffer overflows */
	uint64_t verdict_errors;/* error answers from the kernel to our verdicts */
	uint64_t gso;           /* GSO super-packets */
	uint64_t truncated;     /* packets larger than the copy range */
};

/*
 * Binds queue num (needs CAP_NET_ADMIN). Fails with a message in err when
 * the queue is taken by another process, or the kernel lacks nfnetlink_queue.
 */
struct nfq_queue *nfq_queue_open(uint16_t num, const struct nfq_opts *o, char *err, size_t cap);
/*
 * Waits up to timeout_ms for packets, then receives up to a batch, calls cb
 * for each and sends their verdicts. Returns the number of packets, 0 on
 * timeout or EINTR, -1 on a fatal socket error (message in err).
 */
int nfq_queue_poll(struct nfq_queue *q, int timeout_ms, nfq_packet_cb cb, void *ud, char *err,
                   size_t cap);
/* A snapshot of q's counters (safe from any thread while q's worker runs). */
void nfq_queue_stats(const struct nfq_queue *q, struct nfq_stats *out);
uint16_t nfq_queue_num(const struct nfq_queue *q);
/* Unbinds: packets still queued get the kernel's default (with --queue-bypass: accept). */
void nfq_queue_close(struct nfq_queue *q);

/*
 * Parses a queue list "0", "2:5" (inclusive range) into out (at most cap
 * entries), appending after *n. 0, or -1 with a message.
 */
int nfq_parse_queues(const char *s, uint16_t *out, unsigned *n, unsigned cap, char *err,
                     size_t errcap);

#endif
