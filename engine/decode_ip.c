/*
 * decode_ip.c - IPv4 and IPv6 (with extension headers), and the checksum
 * helpers. Fragments stop at layer 3: the defragmenter rebuilds the
 * datagram and decodes it again through decode_ip().
 */
#include <netinet/in.h>

#include "decode.h"

#define IPV6_MAX_EXTHDRS 8

uint32_t decode_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	size_t i;
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

uint16_t decode_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t decode_l4_csum(const packet *p, const uint8_t *l4, uint32_t len, uint8_t proto)
{
	uint32_t sum = 0;
	if (proto != IPPROTO_ICMP) {
		if (p->ip_v == 4) {
			sum = decode_csum_add(sum, p->src.a, 4);
			sum = decode_csum_add(sum, p->dst.a, 4);
		} else {
			sum = decode_csum_add(sum, p->src.a, 16);
			sum = decode_csum_add(sum, p->dst.a, 16);
		}
		sum += proto;
		sum += len & 0xffff;
		sum += len >> 16;
	}
	sum = decode_csum_add(sum, l4, len);
	return decode_csum_fold(sum);
}

static int decode_l4(packet *p, const uint8_t *l4, uint32_t len)
{
	p->l4 = l4;
	p->l4_len = len;
	switch (p->proto) {
	case IPPROTO_UDP:
		return decode_udp(p, l4, len);
	case IPPROTO_TCP:
		return decode_tcp(p, l4, len);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return decode_icmp(p, l4, len);
	default:
		return 0; /* other protocols: IP-level flow only */
	}
}

static int invalid(packet *p, unsigned anom)
{
	pkt_anomaly(p, anom);
	p->flags |= PKT_INVALID;
	return -1;
}

static int decode_ipv4(packet *p, const uint8_t *b, uint32_t len)
{
	uint32_t hlen, total, off;
	uint16_t frag;

	if (len < 20)
		return invalid(p, ANOM_IPV4_PKT_TOO_SMALL);
	if ((b[0] >> 4) != 4)
		return invalid(p, ANOM_IPV4_WRONG_IP_VERSION);
	hlen = (uint32_t)(b[0] & 0x0f) * 4;
	if (hlen < 20)
		return invalid(p, ANOM_IPV4_HLEN_TOO_SMALL);
	total = rd16(b + 2);
	if (total < hlen)
		return invalid(p, ANOM_IPV4_IPLEN_SMALLER_THAN_HLEN);
	if (len < hlen)
		return invalid(p, ANOM_IPV4_TRUNC_PKT);
	if (total > len) {
		/* Cut by the capture's snap length: decode what is there. A
		 * datagram shorter than its own length field is broken. */
		if (!(p->flags & PKT_TRUNCATED))
			return invalid(p, ANOM_IPV4_TRUNC_PKT);
		pkt_anomaly(p, ANOM_PKT_CAPTURE_TRUNCATED);
		p->flags |= PKT_L4_CSUM_UNKNOWN;
		total = len;
	}
	/* Options: walk them so a broken length is seen. */
	for (uint32_t i = 20; i < hlen;) {
		uint8_t t = b[i];
		if (t == 0)
			break;
		if (t == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || b[i + 1] < 2 || i + b[i + 1] > hlen) {
			pkt_anomaly(p, ANOM_IPV4_OPT_INVALID_LEN);
			break;
		}
		i += b[i + 1];
	}
	p->ip_v = 4;
	p->l3 = b;
	p->l3_len = total;
	p->l3_hdr_len = hlen;
	p->ip_ttl = b[8];
	p->proto = b[9];
	p->src.family = p->dst.family = 4;
	memset(p->src.a, 0, 16);
	memset(p->dst.a, 0, 16);
	memcpy(p->src.a, b + 12, 4);
	memcpy(p->dst.a, b + 16, 4);
	if (decode_csum_fold(decode_csum_add(0, b, hlen)) != 0) {
		p->flags |= PKT_IPV4_CSUM_BAD;
		pkt_anomaly(p, ANOM_IPV4_CSUM_INVALID);
	}
	frag = rd16(b + 6);
	off = (uint32_t)(frag & 0x1fff) * 8;
	if (off || (frag & 0x2000)) {
		p->flags |= PKT_IS_FRAGMENT;
		p->frag_id = rd16(b + 4);
		p->frag_off = off;
		p->frag_mf = (frag & 0x2000) != 0;
		p->frag_data = b + hlen;
		p->frag_len = total - hlen;
		if (off + p->frag_len > 65535) {
			pkt_anomaly(p, ANOM_IPV4_FRAG_PKT_TOO_LARGE);
			p->flags |= PKT_INVALID;
			return -1;
		}
		return 0;
	}
	decode_l4(p, b + hlen, total - hlen);
	return 0;
}

/*
 * A routing header rh[0..hl) with segments left: where does the datagram
 * end up? Type 0 (deprecated but still seen) and type 2 (Mobile IPv6) list
 * addresses in order, the last is the final one; a segment routing header
 * (type 4, RFC 8754) stores the list reversed, so Segment List[0] is. NULL
 * for other types: the checksum is then judged with the header's address.
 */
static const uint8_t *rh_final_dst(const uint8_t *rh, uint32_t hl)
{
	uint32_t n;
	switch (rh[2]) {
	case 0:
	case 2:
		n = rh[1] / 2; /* 16-byte addresses after 8 bytes: hl = 8 + 16n */
		return n ? rh + 8 + 16 * (n - 1) : NULL;
	case 4:
		return hl >= 24 ? rh + 8 : NULL;
	default:
		return NULL;
	}
}

static int decode_ipv6(packet *p, const uint8_t *b, uint32_t len)
{
	uint32_t plen, total, off;
	uint8_t nh;
	unsigned n_ext = 0;
	const uint8_t *final_dst = NULL;

	if (len < 40)
		return invalid(p, ANOM_IPV6_PKT_TOO_SMALL);
	if ((b[0] >> 4) != 6)
		return invalid(p, ANOM_IPV6_WRONG_IP_VERSION);
	plen = rd16(b + 4);
	total = 40 + plen;
	if (total > len) {
		if (!(p->flags & PKT_TRUNCATED))
			return invalid(p, ANOM_IPV6_TRUNC_PKT);
		pkt_anomaly(p, ANOM_PKT_CAPTURE_TRUNCATED);
		p->flags |= PKT_L4_CSUM_UNKNOWN;
		total = len;
	}
	p->ip_v = 6;
	p->l3 = b;
	p->l3_len = total;
	p->ip_ttl = b[7];
	p->src.family = p->dst.family = 6;
	memcpy(p->src.a, b + 8, 16);
	memcpy(p->dst.a, b + 24, 16);

	nh = b[6];
	off = 40;
	for (;;) {
		uint32_t hl;
		switch (nh) {
		case 0:   /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 51:  /* AH */
		case 44:  /* fragment */
			break;
		default:
			goto l4;
		}
		if (++n_ext > IPV6_MAX_EXTHDRS)
			return invalid(p, ANOM_IPV6_EXTHDR_TOO_MANY);
		if (off + 8 > total)
			return invalid(p, ANOM_IPV6_TRUNC_EXTHDR);
		if (nh == 44) {
			uint16_t fo = rd16(b + off + 2);
			if (b[off + 1] != 0 || (fo & 0x0006))
				pkt_anomaly(p, ANOM_IPV6_FH_NON_ZERO_RES);
			if ((fo & 0xfff8) == 0 && !(fo & 1)) {
				/* Atomic fragment (RFC 6946): a whole datagram. */
				nh = b[off];
				off += 8;
				continue;
			}
			p->flags |= PKT_IS_FRAGMENT;
			p->proto = b[off];
			p->l3_hdr_len = off; /* unfragmentable part */
			p->frag_id = rd32(b + off + 4);
			p->frag_off = fo & 0xfff8;
			p->frag_mf = fo & 1;
			p->frag_data = b + off + 8;
			p->frag_len = total - off - 8;
			if (p->frag_off + p->frag_len > 65535) {
				pkt_anomaly(p, ANOM_IPV6_FRAG_PKT_TOO_LARGE);
				p->flags |= PKT_INVALID;
				return -1;
			}
			return 0;
		}
		hl = nh == 51 ? ((uint32_t)b[off + 1] + 2) * 4 : ((uint32_t)b[off + 1] + 1) * 8;
		if (off + hl > total)
			return invalid(p, ANOM_IPV6_TRUNC_EXTHDR);
		if (nh == 43 && b[off + 3] != 0)
			final_dst = rh_final_dst(b + off, hl);
		nh = b[off];
		off += hl;
	}
l4:
	p->proto = nh;
	p->l3_hdr_len = off;
	if (nh == 59) /* no next header */
		return 0;
	if (final_dst) {
		/* The upper-layer checksum was computed by the sender with the
		 * final destination (RFC 8200 §8.1), not with the next hop in
		 * the header: judge it with that, then put the header's back. */
		sw_addr hop = p->dst;
		memcpy(p->dst.a, final_dst, 16);
		decode_l4(p, b + off, total - off);
		p->dst = hop;
		return 0;
	}
	decode_l4(p, b + off, total - off);
	return 0;
}

int decode_ip(packet *p, const uint8_t *l3, uint32_t len)
{
	if (len < 1)
		return invalid(p, ANOM_IPV4_PKT_TOO_SMALL);
	switch (l3[0] >> 4) {
	case 4:
		return decode_ipv4(p, l3, len);
	case 6:
		return decode_ipv6(p, l3, len);
	default:
		return invalid(p, ANOM_IPV4_WRONG_IP_VERSION);
	}
}
