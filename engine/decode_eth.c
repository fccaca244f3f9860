/*
 * decode_eth.c - link layers: Ethernet with 802.1Q / 802.1ad (QinQ) tags,
 * Linux SLL and SLL2, BSD null/loopback, raw IP.
 */
#include "decode.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ1 0x9100

static int invalid(packet *p, unsigned anom)
{
	pkt_anomaly(p, anom);
	p->flags |= PKT_INVALID;
	return -1;
}

/*
 * Hands b[0..len) to the IP decoder when the link layer said which IP
 * version follows (want 4 or 6; 0 = either). A receiver's IPv6 input
 * drops a datagram whose version nibble is not 6 even though the
 * ethertype said IPv6 (and likewise for IPv4), so decoding it as the other
 * version would inspect something no host accepts.
 */
static int decode_l3(packet *p, unsigned want, const uint8_t *b, uint32_t len)
{
	if (want && len == 0)
		return invalid(p, want == 6 ? ANOM_IPV6_PKT_TOO_SMALL : ANOM_IPV4_PKT_TOO_SMALL);
	if (want && (unsigned)(b[0] >> 4) != want)
		return invalid(p, want == 6 ? ANOM_IPV6_WRONG_IP_VERSION : ANOM_IPV4_WRONG_IP_VERSION);
	return decode_ip(p, b, len);
}

static int decode_ethertype(packet *p, uint16_t type, const uint8_t *b, uint32_t len)
{
	/* VLAN tags: type/TCI pairs until a non-VLAN ethertype. */
	while (type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ1) {
		if (len < 4)
			return invalid(p, ANOM_VLAN_HEADER_TOO_SMALL);
		if (p->vlan_n >= PKT_MAX_VLAN)
			return invalid(p, ANOM_VLAN_TOO_MANY_LAYERS);
		p->vlan[p->vlan_n++] = rd16(b) & 0x0fff;
		type = rd16(b + 2);
		b += 4;
		len -= 4;
	}
	if (type == ETH_P_IP)
		return decode_l3(p, 4, b, len);
	if (type == ETH_P_IPV6)
		return decode_l3(p, 6, b, len);
	return -1; /* ARP, LLDP, ...: not ours, not an anomaly */
}

static int decode_ethernet(packet *p)
{
	if (p->caplen < 14)
		return invalid(p, ANOM_ETH_PKT_TOO_SMALL);
	return decode_ethertype(p, rd16(p->data + 12), p->data + 14, p->caplen - 14);
}

static int decode_sll(packet *p)
{
	/* pkttype(2) hatype(2) halen(2) addr(8) protocol(2) */
	if (p->caplen < 16)
		return invalid(p, ANOM_SLL_PKT_TOO_SMALL);
	return decode_ethertype(p, rd16(p->data + 14), p->data + 16, p->caplen - 16);
}

static int decode_sll2(packet *p)
{
	/* protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8) */
	if (p->caplen < 20)
		return invalid(p, ANOM_SLL2_PKT_TOO_SMALL);
	return decode_ethertype(p, rd16(p->data), p->data + 20, p->caplen - 20);
}

static int decode_null(packet *p, int network_order)
{
	uint32_t fam;
	if (p->caplen < 4)
		return invalid(p, ANOM_NULL_PKT_TOO_SMALL);
	fam = network_order ? rd32(p->data)
	                    : (uint32_t)p->data[0] | (uint32_t)p->data[1] << 8 |
	                              (uint32_t)p->data[2] << 16 | (uint32_t)p->data[3] << 24;
	/* The capture's byte order may differ from ours: accept both. */
	if (fam > 0xffff)
		fam = __builtin_bswap32(fam);
	switch (fam) {
	case 2: /* AF_INET everywhere */
		return decode_l3(p, 4, p->data + 4, p->caplen - 4);
	case 24: /* AF_INET6: NetBSD, OpenBSD */
	case 28: /* FreeBSD */
	case 30: /* Darwin */
		return decode_l3(p, 6, p->data + 4, p->caplen - 4);
	default:
		return invalid(p, ANOM_NULL_UNSUPPORTED_TYPE);
	}
}

int decode_packet(packet *p)
{
	if (p->wirelen > p->caplen)
		p->flags |= PKT_TRUNCATED;
	switch (p->linktype) {
	case SW_DLT_EN10MB:
		return decode_ethernet(p);
	case SW_DLT_LINUX_SLL:
		return decode_sll(p);
	case SW_DLT_LINUX_SLL2:
		return decode_sll2(p);
	case SW_DLT_NULL:
		return decode_null(p, 0);
	case SW_DLT_LOOP:
		return decode_null(p, 1);
	case SW_DLT_IPV4:
		return decode_l3(p, 4, p->data, p->caplen);
	case SW_DLT_IPV6:
		return decode_l3(p, 6, p->data, p->caplen);
	case SW_DLT_RAW:
	case SW_DLT_RAW_OLD:
	case SW_DLT_RAW_OLD2:
		if (p->caplen >= 1 && (p->data[0] >> 4) != 4 && (p->data[0] >> 4) != 6)
			return invalid(p, ANOM_RAW_INVALID_IPV);
		return decode_ip(p, p->data, p->caplen);
	default:
		return invalid(p, ANOM_UNSUPPORTED_LINKTYPE);
	}
}
