/*
 * packet.h - one captured packet and what the decoders learned of it.
 *
 * The capture backend fills the "capture" part; decode_packet() (decode.h)
 * fills the rest with views into data. Nothing here owns memory: data
 * belongs to the capture backend (or to the defragmenter for a reassembled
 * datagram) and stays valid until the packet has been fully processed.
 * The all-zero packet is a valid empty packet.
 */
#ifndef SW_PACKET_H
#define SW_PACKET_H

#include <netinet/in.h>

#include "anomaly.h"
#include "common.h"

/* Link types we decode (values are libpcap DLT_* numbers). */
#define SW_DLT_NULL 0        /* BSD loopback, 4-byte host-order family */
#define SW_DLT_EN10MB 1      /* Ethernet */
#define SW_DLT_RAW 101       /* raw IPv4/IPv6 (LINKTYPE_RAW) */
#define SW_DLT_RAW_OLD 12    /* DLT_RAW on some BSDs / old libpcap */
#define SW_DLT_RAW_OLD2 14
#define SW_DLT_LOOP 108      /* OpenBSD loopback, network-order family */
#define SW_DLT_LINUX_SLL 113
#define SW_DLT_IPV4 228
#define SW_DLT_IPV6 229
#define SW_DLT_LINUX_SLL2 276

/* Packet flags. */
#define PKT_IPV4_CSUM_BAD   0x0001u
#define PKT_L4_CSUM_BAD     0x0002u /* TCP/UDP/ICMP checksum wrong */
#define PKT_IS_FRAGMENT     0x0004u /* an IP fragment (not yet reassembled) */
#define PKT_REASSEMBLED     0x0008u /* built by the defragmenter */
#define PKT_L4_CSUM_UNKNOWN 0x0010u /* not verifiable (truncated capture) */
#define PKT_TRUNCATED       0x0020u /* caplen < on-wire length */
#define PKT_INVALID         0x0040u /* decoding stopped on an error */

#define PKT_MAX_ANOM 8
#define PKT_MAX_VLAN 2


typedef struct packet {
	/* Filled by the capture backend. */
	sw_time ts;
	uint64_t pcap_cnt;      /* 1-based index in the capture; 0 inline */
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	int linktype;           /* SW_DLT_* */
	const char *in_iface;   /* NULL offline */

	/* Layer 2. */
	uint16_t vlan[PKT_MAX_VLAN];
	uint8_t vlan_n;

	/* Layer 3. */
	const uint8_t *l3;
	uint32_t l3_len;        /* bytes from l3 to end of the IP datagram */
	uint8_t ip_v;           /* 4, 6, or 0 if not IP */
	uint8_t ip_ttl;         /* TTL / hop limit */
	uint8_t proto;          /* IPPROTO_* of the upper layer */
	sw_addr src, dst;

	/* IP fragment info (PKT_IS_FRAGMENT). */
	uint32_t frag_id;       /* IPv4 id or IPv6 fragment identification */
	uint32_t frag_off;      /* byte offset of this fragment's data */
	uint8_t frag_mf;        /* more fragments follow */
	const uint8_t *frag_data; /* fragment payload (after all headers) */
	uint32_t frag_len;
	uint32_t l3_hdr_len;    /* IPv4 header or IPv6 unfragmentable part */

	/* Layer 4. */
	const uint8_t *l4;
	uint32_t l4_len;        /* bytes from l4 to end of datagram */
	uint16_t sport, dport;
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;
	uint8_t tcp_flags;      /* TH_* bits */
	uint8_t icmp_type, icmp_code;

	/* Application payload (UDP/TCP data). */
	const uint8_t *payload;
	uint32_t payload_len;

	uint32_t flags;         /* PKT_* */

	/* Set by the flow stage. */
	struct flow *flow;
	uint8_t dir;            /* 0 = to server (initiator's direction), 1 = to client */

	/* Anomalies raised while processing this packet. */
	uint16_t anom[PKT_MAX_ANOM];
	uint8_t anom_n;
	uint8_t anom_lost;      /* raised but did not fit */
} packet;

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PUSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

/* Records anomaly id against p (deduplicated within the packet). */
static inline void pkt_anomaly(packet *p, unsigned id)
{
	for (unsigned i = 0; i < p->anom_n; i++)
		if (p->anom[i] == id)
			return;
	if (p->anom_n < PKT_MAX_ANOM)
		p->anom[p->anom_n++] = (uint16_t)id;
	else if (p->anom_lost < 255)
		p->anom_lost++;
}

#endif
