/* decode_icmp.c - ICMPv4 and ICMPv6 type, code and checksum. */
#include <netinet/in.h>

#include "decode.h"

int decode_icmp(packet *p, const uint8_t *l4, uint32_t len)
{
	int v6 = p->proto == IPPROTO_ICMPV6;
	/* Both headers are 8 bytes (type, code, checksum and 4 bytes whose
	 * meaning depends on the type); Linux drops anything shorter, and so
	 * does Suricata (ICMPV4_HEADER_LEN, ICMPV6_HEADER_LEN). */
	if (len < 8) {
		pkt_anomaly(p, v6 ? ANOM_ICMPV6_PKT_TOO_SMALL : ANOM_ICMPV4_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return -1;
	}
	p->icmp_type = l4[0];
	p->icmp_code = l4[1];
	p->payload = l4 + 8;
	p->payload_len = len - 8;
	if (!(p->flags & PKT_L4_CSUM_UNKNOWN) && decode_l4_csum(p, l4, len, p->proto) != 0) {
		p->flags |= PKT_L4_CSUM_BAD;
		pkt_anomaly(p, v6 ? ANOM_ICMPV6_CSUM_INVALID : ANOM_ICMPV4_CSUM_INVALID);
	}
	return 0;
}
