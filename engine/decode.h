/*
 * decode.h - link, network and transport decoders (decode_eth.c,
 * decode_ip.c, decode_udp.c, decode_tcp.c, decode_icmp.c).
 *
 * Decoders fill the packet's views (packet.h) and never read outside
 * p->data[0..caplen). Malformed input raises a named anomaly
 * (anomaly_decode.def); checksum failures are flagged but the packet is
 * still decoded and inspected (an IPS must see what the receiver may
 * accept). A capture cut short (caplen < wirelen) is decoded as far as it
 * goes and flagged PKT_TRUNCATED; its L4 checksum is not judged.
 */
#ifndef SW_DECODE_H
#define SW_DECODE_H

#include "packet.h"

/*
 * Decodes p->data by p->linktype down to the payload. Returns 0 if p was
 * decoded to IP at least (it may still be an IP fragment, PKT_IS_FRAGMENT),
 * -1 if it is not IP, the link type is unsupported, or it is broken before
 * the IP layer (anomalies say why; non-IP ethertypes such as ARP raise none).
 */
int decode_packet(packet *p);
/* Decodes an IP datagram at l3[0..len) into p (raw link types, defrag). 0 / -1. */
int decode_ip(packet *p, const uint8_t *l3, uint32_t len);

/* Internal steps, exported for the IP decoder and tests. 0 / -1. */
int decode_udp(packet *p, const uint8_t *l4, uint32_t len);
int decode_tcp(packet *p, const uint8_t *l4, uint32_t len);
int decode_icmp(packet *p, const uint8_t *l4, uint32_t len);

/* One's complement sum helpers, usable when mangling packets later. */
uint32_t decode_csum_add(uint32_t sum, const void *buf, size_t len);
uint16_t decode_csum_fold(uint32_t sum);
/* TCP/UDP/ICMPv6 checksum over l4[0..len) with p's pseudo-header (ICMPv4: none).
 * Returns the folded value: 0 means "correct" when the stored checksum is included. */
uint16_t decode_l4_csum(const packet *p, const uint8_t *l4, uint32_t len, uint8_t proto);

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

#endif
