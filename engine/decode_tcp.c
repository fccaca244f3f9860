/* decode_tcp.c - TCP header, options bounds and checksum (RFC 9293). */
#include <netinet/in.h>

#include "decode.h"

int decode_tcp(packet *p, const uint8_t *l4, uint32_t len)
{
	uint32_t hlen;
	if (len < 20) {
		pkt_anomaly(p, ANOM_TCP_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return -1;
	}
	hlen = (uint32_t)(l4[12] >> 4) * 4;
	if (hlen < 20 || hlen > len) {
		pkt_anomaly(p, ANOM_TCP_HLEN_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return -1;
	}
	/* Options: kind, length pairs must stay inside the header. */
	for (uint32_t i = 20; i < hlen;) {
		uint8_t k = l4[i];
		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || l4[i + 1] < 2 || i + l4[i + 1] > hlen) {
			pkt_anomaly(p, ANOM_TCP_INVALID_OPTLEN);
			break;
		}
		i += l4[i + 1];
	}
	p->sport = rd16(l4);
	p->dport = rd16(l4 + 2);
	p->tcp_seq = rd32(l4 + 4);
	p->tcp_ack = rd32(l4 + 8);
	p->tcp_flags = l4[13];
	p->tcp_win = rd16(l4 + 14);
	p->payload = l4 + hlen;
	p->payload_len = len - hlen;
	if (!(p->flags & PKT_L4_CSUM_UNKNOWN) && decode_l4_csum(p, l4, len, IPPROTO_TCP) != 0) {
		p->flags |= PKT_L4_CSUM_BAD;
		pkt_anomaly(p, ANOM_TCP_CSUM_INVALID);
	}
	return 0;
}
