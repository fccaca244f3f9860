/* decode_udp.c - UDP header, length and checksum (RFC 768, RFC 8200 §8.1). */
#include <netinet/in.h>

#include "decode.h"

int decode_udp(packet *p, const uint8_t *l4, uint32_t len)
{
	uint32_t ulen;
	if (len < 8) {
		pkt_anomaly(p, ANOM_UDP_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return -1;
	}
	ulen = rd16(l4 + 4);
	if (ulen < 8) {
		pkt_anomaly(p, ANOM_UDP_HLEN_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return -1;
	}
	p->sport = rd16(l4);
	p->dport = rd16(l4 + 2);
	if (ulen > len) {
		if (!(p->flags & PKT_L4_CSUM_UNKNOWN)) {
			pkt_anomaly(p, ANOM_UDP_HLEN_INVALID);
			p->flags |= PKT_INVALID;
			return -1;
		}
		ulen = len; /* capture cut short */
	} else if (ulen < len) {
		/* Trailing bytes after the UDP datagram inside the IP payload. */
		pkt_anomaly(p, ANOM_UDP_LEN_INVALID);
	}
	p->payload = l4 + 8;
	p->payload_len = ulen - 8;
	if (p->flags & PKT_L4_CSUM_UNKNOWN)
		return 0;
	if (rd16(l4 + 6) == 0) {
		if (p->ip_v == 6)
			pkt_anomaly(p, ANOM_UDP_IPV6_ZERO_CSUM);
		return 0;
	}
	if (decode_l4_csum(p, l4, ulen, IPPROTO_UDP) != 0) {
		p->flags |= PKT_L4_CSUM_BAD;
		pkt_anomaly(p, ANOM_UDP_CSUM_INVALID);
	}
	return 0;
}
