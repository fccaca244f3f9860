/*
 * reject.c - the datagrams a `reject` rule answers with (see reject.h):
 * SIP response, ICMP port unreachable, TCP RST. Checksums use the
 * decoder's one's complement helpers (decode.h), so what we send is summed
 * exactly as what we receive is checked.
 */
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>

#include "decode.h"
#include "reject.h"

#define REJECT_TTL 64
/* RFC 1812 §4.3.2.3: an ICMPv4 error holds as much of the original
 * datagram as keeps it within 576 bytes; RFC 4443 §2.4 (c): ICMPv6 within
 * the IPv6 minimum MTU. */
#define ICMP4_MAX_REPLY 576
#define ICMP6_MAX_REPLY 1280
/* A longer reason phrase is no reason phrase: refuse the configuration's
 * mistake rather than send it. */
#define REASON_MAX 128

static inline void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *b, uint32_t v)
{
	wr16(b, (uint16_t)(v >> 16));
	wr16(b + 2, (uint16_t)v);
}

/* 1 if a names one host: not unspecified, multicast, 0/8 or 240/4 (which
 * holds the limited broadcast). Nothing may be sent from or to the rest. */
static int addr_is_host(const sw_addr *a)
{
	static const uint8_t zero[16];
	if (a->family == 4)
		return a->a[0] != 0 && a->a[0] < 224;
	if (a->family == 6)
		return a->a[0] != 0xff && memcmp(a->a, zero, 16) != 0;
	return 0;
}

/* 1 if p is an IP datagram we may answer at all (see reject.h). */
static int answerable(const packet *p)
{
	if (!p || (p->ip_v != 4 && p->ip_v != 6) || !p->l3)
		return 0;
	if (p->l3_len < (p->ip_v == 4 ? 20u : 40u))
		return 0;
	if (p->src.family != p->ip_v || p->dst.family != p->ip_v)
		return 0;
	if (!addr_is_host(&p->src) || !addr_is_host(&p->dst))
		return 0;
	/* Sent to an Ethernet group address: a multicast or broadcast in
	 * disguise, which must not draw answers from every listener. */
	if (p->linktype == SW_DLT_EN10MB && p->data && p->caplen >= 6 && (p->data[0] & 1))
		return 0;
	return 1;
}

/* Writes the IP header for l4len bytes of proto from src to dst; returns
 * its length (20 or 40). The caller has checked that it fits. */
static size_t put_ip(uint8_t *out, int v, const sw_addr *src, const sw_addr *dst, uint8_t proto,
		     size_t l4len)
{
	if (v == 4) {
		out[0] = 0x45;
		out[1] = 0;
		wr16(out + 2, (uint16_t)(20 + l4len));
		/* Atomic datagram: DF set, so the ID means nothing (RFC 6864 §4.1). */
		wr16(out + 4, 0);
		wr16(out + 6, 0x4000);
		out[8] = REJECT_TTL;
		out[9] = proto;
		wr16(out + 10, 0);
		memcpy(out + 12, src->a, 4);
		memcpy(out + 16, dst->a, 4);
		wr16(out + 10, decode_csum_fold(decode_csum_add(0, out, 20)));
		return 20;
	}
	out[0] = 0x60;
	out[1] = out[2] = out[3] = 0;
	wr16(out + 4, (uint16_t)l4len);
	out[6] = proto;
	out[7] = REJECT_TTL;
	memcpy(out + 8, src->a, 16);
	memcpy(out + 24, dst->a, 16);
	return 40;
}

/* The transport checksum of l4[0..len) (its checksum field zero) between
 * src and dst, through the decoder's pseudo-header code. */
static uint16_t l4_csum(int v, const sw_addr *src, const sw_addr *dst, uint8_t proto,
			const uint8_t *l4, size_t len)
{
	packet h;
	memset(&h, 0, sizeof(h));
	h.ip_v = (uint8_t)v;
	h.src = *src;
	h.dst = *dst;
	return decode_l4_csum(&h, l4, (uint32_t)len, proto);
}

/* ------------------------------------------------------------------ */
/* SIP response                                                        */

/* A bounded writer over the response's bytes; err sticks once set. */
struct wbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void put(struct wbuf *w, const void *s, size_t n)
{
	if (w->err || n > w->cap - w->len) {
		w->err = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void put_str(struct wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

/*
 * "Name: value\r\n". A value holding CR or LF (a fold, or a bare CR the
 * parser flagged) is unfolded so the response's line structure is ours
 * alone; sip_parse() bounds a line by SIP_MAX_LINE, so it fits the scratch.
 */
static void put_header(struct wbuf *w, const char *name, sw_str v)
{
	put_str(w, name);
	put(w, ": ", 2);
	if (!memchr(v.p, '\r', v.len) && !memchr(v.p, '\n', v.len)) {
		put(w, v.p, v.len);
	} else {
		char tmp[SIP_MAX_LINE + 1];
		if (v.len > SIP_MAX_LINE) {
			w->err = 1;
			return;
		}
		put(w, tmp, sip_unfold(v, tmp, sizeof(tmp)));
	}
}

/* 1 if reason can be a Reason-Phrase: no control byte but HTAB, bounded. */
static int reason_ok(const char *reason)
{
	size_t n = strnlen(reason, REASON_MAX + 1);
	if (n > REASON_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)reason[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

size_t reject_sip_response(const packet *p, const struct sip_msg *req, unsigned code,
			   const char *reason, uint8_t *out, size_t cap)
{
	const struct sip_header *via, *from, *to, *cid, *cseq;
	struct sip_nameaddr to_na;
	struct sip_via top;
	sw_str branch = {NULL, 0};
	struct wbuf w;
	size_t hl, lim, ulen;
	uint8_t *udp;
	uint16_t sum;
	char line[32 + REASON_MAX];

	if (!answerable(p) || !req || !out || p->proto != IPPROTO_UDP || !p->l4 ||
	    (p->flags & PKT_INVALID) || !p->sport || !p->dport)
		return 0;
	if (!req->is_request || req->method_id == SIP_M_ACK || !req->hdrs)
		return 0;
	if (code < 300 || code > 699)
		return 0;
	if (!reason)
		reason = "";
	if (!reason_ok(reason))
		return 0;
	via = sip_find_header(req, SIP_H_VIA, NULL);
	from = sip_find_header(req, SIP_H_FROM, NULL);
	to = sip_find_header(req, SIP_H_TO, NULL);
	cid = sip_find_header(req, SIP_H_CALL_ID, NULL);
	cseq = sip_find_header(req, SIP_H_CSEQ, NULL);
	/* Without these the client cannot match the response to its request
	 * (§8.1.3.3, §17.1.3): it would be dropped, so send nothing. */
	if (!via || !from || !to || !cid || !cseq)
		return 0;
	if (sip_parse_nameaddr(to->value, &to_na) != 0)
		return 0;
	if (sip_parse_via(via->value, &top) == 0)
		branch = top.branch;

	hl = p->ip_v == 4 ? 20 : 40;
	if (cap < hl + 8)
		return 0;
	/* The UDP length field bounds the message; IPv4's total length too. */
	lim = SW_MIN(cap, (size_t)(p->ip_v == 4 ? 65535 : 40 + 65535)) - hl - 8;
	w.p = (char *)out + hl + 8;
	w.len = 0;
	w.cap = lim;
	w.err = 0;

	snprintf(line, sizeof(line), "SIP/2.0 %u %s\r\n", code, reason);
	put_str(&w, line);
	for (const struct sip_header *h = via; h; h = sip_find_header(req, SIP_H_VIA, h)) {
		put_header(&w, "Via", h->value);
		put(&w, "\r\n", 2);
	}
	put_header(&w, "From", from->value);
	put(&w, "\r\n", 2);
	put_header(&w, "To", to->value);
	if (!to_na.tag.p) {
		/* §8.2.6.2: the UAS adds a To tag. The same request (Call-ID
		 * and top branch) always gets the same one, as from a UAS
		 * that remembers its transaction. */
		uint64_t h = sw_hash_bytes(0, cid->value.p, cid->value.len);
		h = sw_hash_bytes(h, "\n", 1);
		h = sw_hash_bytes(h, branch.p, branch.len);
		snprintf(line, sizeof(line), ";tag=%016" PRIx64, sw_hash_mix(h));
		put_str(&w, line);
	}
	put(&w, "\r\n", 2);
	put_header(&w, "Call-ID", cid->value);
	put(&w, "\r\n", 2);
	put_header(&w, "CSeq", cseq->value);
	put_str(&w, "\r\nContent-Length: 0\r\n\r\n");
	if (w.err)
		return 0;

	ulen = 8 + w.len;
	put_ip(out, p->ip_v, &p->dst, &p->src, IPPROTO_UDP, ulen);
	udp = out + hl;
	wr16(udp, p->dport);
	wr16(udp + 2, p->sport);
	wr16(udp + 4, (uint16_t)ulen);
	wr16(udp + 6, 0);
	sum = l4_csum(p->ip_v, &p->dst, &p->src, IPPROTO_UDP, udp, ulen);
	/* 0 means "no checksum" (RFC 768); IPv6 forbids that (RFC 8200 §8.1). */
	wr16(udp + 6, sum ? sum : 0xffff);
	return hl + ulen;
}

/* ------------------------------------------------------------------ */
/* ICMP port unreachable                                               */

/* 1 if an ICMP message of this type may be answered with an error: a
 * query. Errors never are, nor types we do not know (RFC 1122 §3.2.2), nor
 * neighbour discovery and redirects (RFC 4443 §2.4 (e)). */
static int icmp_is_query(int v, uint8_t type)
{
	if (v == 6)
		return type >= 128 && !(type >= 133 && type <= 137);
	switch (type) {
	case 0:	 /* echo reply */
	case 8:	 /* echo */
	case 13: /* timestamp */
	case 14:
	case 15: /* information */
	case 16:
	case 17: /* address mask */
	case 18:
		return 1;
	default:
		return 0;
	}
}

size_t reject_icmp_unreach(const packet *p, uint8_t *out, size_t cap)
{
	const uint8_t icmp_proto = p && p->ip_v == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	size_t hl, room, have, need, q;
	uint8_t *icmp;

	if (!answerable(p) || !out)
		return 0;
	/* Only the first fragment carries the headers the sender can match
	 * an error against (RFC 1812 §4.3.2.7). */
	if ((p->flags & PKT_IS_FRAGMENT) && p->frag_off != 0)
		return 0;
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		const uint8_t *t = NULL;
		if (p->proto != icmp_proto)
			return 0; /* the other version's ICMP: not ours to judge */
		if (p->l4 && p->l4_len >= 1)
			t = p->l4;
		else if ((p->flags & PKT_IS_FRAGMENT) && p->frag_data && p->frag_len >= 1)
			t = p->frag_data;
		if (!t || !icmp_is_query(p->ip_v, t[0]))
			return 0;
	}

	hl = p->ip_v == 4 ? 20 : 40;
	room = SW_MIN(cap, (size_t)(p->ip_v == 4 ? ICMP4_MAX_REPLY : ICMP6_MAX_REPLY));
	if (room < hl + 8)
		return 0;
	room -= hl + 8;
	have = p->l3_len;
	/* The sender matches the error by the IP header and the first 8
	 * bytes of what follows (the ports): those must be quoted whole. */
	need = SW_MIN(have, (size_t)SW_MAX(p->l3_hdr_len, (uint32_t)hl) + 8);
	if (room < need)
		return 0;
	q = SW_MIN(have, room);

	put_ip(out, p->ip_v, &p->dst, &p->src, icmp_proto, 8 + q);
	icmp = out + hl;
	icmp[0] = p->ip_v == 4 ? 3 : 1; /* destination unreachable */
	icmp[1] = p->ip_v == 4 ? 3 : 4; /* port unreachable */
	memset(icmp + 2, 0, 6);		/* checksum, then unused */
	memcpy(icmp + 8, p->l3, q);
	wr16(icmp + 2, l4_csum(p->ip_v, &p->dst, &p->src, icmp_proto, icmp, 8 + q));
	return hl + 8 + q;
}

/* ------------------------------------------------------------------ */
/* TCP RST                                                             */

size_t reject_tcp_rst(const packet *p, int to_sender, uint8_t *out, size_t cap)
{
	const sw_addr *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack = 0;
	uint8_t fl = TH_RST;
	size_t hl;
	uint8_t *tcp;

	if (!answerable(p) || !out || p->proto != IPPROTO_TCP || !p->l4 || p->l4_len < 20 ||
	    (p->flags & PKT_INVALID))
		return 0;
	if (p->tcp_flags & TH_RST)
		return 0; /* a RST never draws a RST (RFC 9293 §3.10.7.1) */
	hl = p->ip_v == 4 ? 20 : 40;
	if (cap < hl + 20)
		return 0;

	if (to_sender) {
		src = &p->dst;
		dst = &p->src;
		sport = p->dport;
		dport = p->sport;
		if (p->tcp_flags & TH_ACK) {
			seq = p->tcp_ack;
		} else {
			/* The ACK must cover everything p occupies of the
			 * sequence space: a capture cut short hides some. */
			if (p->flags & PKT_TRUNCATED)
				return 0;
			seq = 0;
			ack = p->tcp_seq + p->payload_len + !!(p->tcp_flags & TH_SYN) +
			      !!(p->tcp_flags & TH_FIN);
			fl |= TH_ACK;
		}
	} else {
		src = &p->src;
		dst = &p->dst;
		sport = p->sport;
		dport = p->dport;
		seq = p->tcp_seq;
		if (p->tcp_flags & TH_ACK) {
			ack = p->tcp_ack;
			fl |= TH_ACK;
		}
	}

	put_ip(out, p->ip_v, src, dst, IPPROTO_TCP, 20);
	tcp = out + hl;
	wr16(tcp, sport);
	wr16(tcp + 2, dport);
	wr32(tcp + 4, seq);
	wr32(tcp + 8, ack);
	tcp[12] = 5 << 4; /* 20-byte header, no options */
	tcp[13] = fl;
	wr16(tcp + 14, 0); /* window */
	wr16(tcp + 16, 0); /* checksum */
	wr16(tcp + 18, 0); /* urgent pointer */
	wr16(tcp + 16, l4_csum(p->ip_v, src, dst, IPPROTO_TCP, tcp, 20));
	return hl + 20;
}
