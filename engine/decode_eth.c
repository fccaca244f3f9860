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

static int decode_ethertype(packet *p, uint16_t type, const uint8_t *b, uint32_t len)
{
	/* VLAN tags: type/TCI pairs until a non-VLAN ethertype. */
	while (type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ1) {
		if (len < 4) {
			pkt_anomaly(p, ANOM_VLAN_HEADER_TOO_SMALL);
			p->flags |= PKT_INVALID;
			return -1;
		}
		if (p->vlan_n >= PKT_MAX_VLAN) {
			pkt_anomaly(p, ANOM_VLAN_TOO_MANY_LAYERS);
			p->flags |= PKT_INVALID;
			return -1;
		}
		p->vlan[p->vlan_n++] = rd16(b) & 0x0fff;
		type = rd16(b + 2);
		b += 4;
		len -= 4;
	}
	if (type == ETH_P_IP || type == ETH_P_IPV6)
		return decode_ip(p, b, len);
	return -1; /* ARP, LLDP, ...: not ours, not an anomaly */
}

static int decode_ethernet(packet *p)
{
	if (p->caplen < 14) {
		pkt_anomaly(p, ANOM_ETH_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return -1;
	}
	return decode_ethertype(p, rd16(p->data + 12), p->data + 14, p->caplen - 14);
}

static int decode_sll(packet *p)
{
	/* pkttype(2) hatype(2) halen(2) addr(8) protocol(2) */
	if (p->caplen < 16) {
		pkt_anomaly(p, ANOM_SLL_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return -1;
	}
	return decode_ethertype(p, rd16(p->data + 14), p->data + 16, p->caplen - 16);
}

static int decode_sll2(packet *p)
{
	/* protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8) */
	if (p->caplen < 20) {
		pkt_anomaly(p, ANOM_SLL2_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return -1;
	}
	return decode_ethertype(p, rd16(p->data), p->data + 20, p->caplen - 20);
}

static int decode_null(packet *p, int network_order)
{
	uint32_t fam;
	if (p->caplen < 4) {
		pkt_anomaly(p, ANOM_NULL_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return -1;
	}
	fam = network_order ? rd32(p->data)
	                    : (uint32_t)p->data[0] | (uint32_t)p->data[1] << 8 |
	                              (uint32_t)p->data[2] << 16 | (uint32_t)p->data[3] << 24;
	/* The capture's byte order may differ from ours: accept both. */
	if (fam > 0xffff)
		fam = __builtin_bswap32(fam);
	switch (fam) {
	case 2:  /* AF_INET everywhere */
	case 24: /* AF_INET6: NetBSD, OpenBSD */
	case 28: /* FreeBSD */
	case 30: /* Darwin */
		return decode_ip(p, p->data + 4, p->caplen - 4);
	default:
		pkt_anomaly(p, ANOM_NULL_UNSUPPORTED_TYPE);
		p->flags |= PKT_INVALID;
		return -1;
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
	case SW_DLT_RAW:
	case SW_DLT_RAW_OLD:
	case SW_DLT_RAW_OLD2:
	case SW_DLT_IPV4:
	case SW_DLT_IPV6:
		if (p->caplen >= 1 && (p->data[0] >> 4) != 4 && (p->data[0] >> 4) != 6) {
			pkt_anomaly(p, ANOM_RAW_INVALID_IPV);
			p->flags |= PKT_INVALID;
			return -1;
		}
		return decode_ip(p, p->data, p->caplen);
	default:
		pkt_anomaly(p, ANOM_UNSUPPORTED_LINKTYPE);
		p->flags |= PKT_INVALID;
		return -1;
	}
}
