/*
 * test_reject.c - the reject answers (engine/reject.c) and the injector
 * (engine/inject.c).
 *
 * Requests are built byte by byte here (IPv4/IPv6, UDP/TCP/ICMP, with
 * checksums from a plain RFC 1071 sum of this file's own), decoded with
 * decode_packet() from a buffer that ends at a PROT_NONE page, and SIP
 * payloads parsed with sip_parse() as the engine does. Every answer is
 * checked three ways: decoded again by decode_packet() (no checksum flag,
 * no anomaly), summed again here, and read by tshark from a pcap with its
 * checksum validation on (skipped when tshark is not installed).
 *
 * The injector's learned table is tested directly; inject_send() on the
 * loopback interface of a throwaway network namespace, towards sockets of
 * a child process (skipped without CAP_NET_RAW / CAP_SYS_ADMIN).
 */
#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "decode.h"
#include "inject.h"
#include "reject.h"
#include "sip_parse.h"

#define FRAME_MAX 2048
#define HCAP 64

#define TH_PSH TH_PUSH

/* ------------------------------------------------------------------ */
/* Building requests                                                   */

static uint32_t sum16(uint32_t s, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static int family_of(const char *s)
{
	return strchr(s, ':') ? 6 : 4;
}

static void addr_bytes(const char *s, uint8_t *out)
{
	assert_int_equal(inet_pton(family_of(s) == 6 ? AF_INET6 : AF_INET, s, out), 1);
}

/* Pseudo-header sum for proto over len bytes between the header's addresses. */
static uint32_t pseudo(const uint8_t *ip, uint8_t proto, size_t len)
{
	uint32_t s = 0;
	if ((ip[0] >> 4) == 4)
		s = sum16(s, ip + 12, 8);
	else
		s = sum16(s, ip + 8, 32);
	return s + proto + (uint32_t)(len & 0xffff) + (uint32_t)(len >> 16);
}

/* Offset of the checksum field in the transport header, -1 if none. */
static int csum_off(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 2;
	default:
		return -1;
	}
}

/*
 * An IP datagram from src to dst carrying l4[0..n) of proto, its transport
 * checksum filled in (frag: IPv4 fragment offset field, left unsummed).
 */
static size_t mk_ip(uint8_t *b, const char *src, const char *dst, uint8_t proto,
		    const uint8_t *l4, size_t n, uint16_t frag)
{
	int v = family_of(src);
	size_t hl = v == 4 ? 20 : 40;
	int co = csum_off(proto);
	memset(b, 0, hl);
	if (v == 4) {
		b[0] = 0x45;
		put16(b + 2, (uint16_t)(hl + n));
		put16(b + 4, 0x1234);
		put16(b + 6, frag);
		b[8] = 57;
		b[9] = proto;
		addr_bytes(src, b + 12);
		addr_bytes(dst, b + 16);
		put16(b + 10, fold(sum16(0, b, 20)));
	} else {
		b[0] = 0x60;
		put16(b + 4, (uint16_t)n);
		b[6] = proto;
		b[7] = 57;
		addr_bytes(src, b + 8);
		addr_bytes(dst, b + 24);
	}
	memcpy(b + hl, l4, n);
	if (co >= 0 && !(frag & 0x1fff)) {
		uint32_t s = proto == IPPROTO_ICMP ? 0 : pseudo(b, proto, n);
		uint16_t c;
		put16(b + hl + co, 0);
		c = fold(sum16(s, b + hl, n));
		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		put16(b + hl + co, c);
	}
	return hl + n;
}

static size_t mk_udp(uint8_t *b, const char *src, const char *dst, uint16_t sport,
		     uint16_t dport, const void *pl, size_t plen)
{
	uint8_t l4[FRAME_MAX];
	assert_true(plen + 8 <= sizeof(l4));
	put16(l4, sport);
	put16(l4 + 2, dport);
	put16(l4 + 4, (uint16_t)(8 + plen));
	put16(l4 + 6, 0);
	memcpy(l4 + 8, pl, plen);
	return mk_ip(b, src, dst, IPPROTO_UDP, l4, 8 + plen, 0);
}

static size_t mk_tcp(uint8_t *b, const char *src, const char *dst, uint16_t sport,
		     uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const void *pl,
		     size_t plen)
{
	uint8_t l4[FRAME_MAX];
	assert_true(plen + 20 <= sizeof(l4));
	memset(l4, 0, 20);
	put16(l4, sport);
	put16(l4 + 2, dport);
	put32(l4 + 4, seq);
	put32(l4 + 8, ack);
	l4[12] = 5 << 4;
	l4[13] = flags;
	put16(l4 + 14, 29200);
	memcpy(l4 + 20, pl, plen);
	return mk_ip(b, src, dst, IPPROTO_TCP, l4, 20 + plen, 0);
}

static size_t mk_icmp(uint8_t *b, const char *src, const char *dst, uint8_t type, uint8_t code,
		      const void *body, size_t blen)
{
	uint8_t l4[FRAME_MAX];
	assert_true(blen + 8 <= sizeof(l4));
	memset(l4, 0, 8);
	l4[0] = type;
	l4[1] = code;
	put16(l4 + 4, 0x4242);
	put16(l4 + 6, 1);
	memcpy(l4 + 8, body, blen);
	return mk_ip(b, src, dst, family_of(src) == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, l4,
		     8 + blen, 0);
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */

struct dec {
	packet p;
	struct guard_buf g;
};

/* Decodes b[0..n) as a raw IP capture of wire bytes placed against a
 * guard page; returns decode_packet()'s result. */
static int dec_raw(struct dec *d, const uint8_t *b, size_t n, size_t wire)
{
	memset(d, 0, sizeof(*d));
	d->p.data = (const uint8_t *)guard_copy(&d->g, b, n);
	d->p.caplen = (uint32_t)n;
	d->p.wirelen = (uint32_t)wire;
	d->p.linktype = SW_DLT_RAW;
	return decode_packet(&d->p);
}

static void dec_ok(struct dec *d, const uint8_t *b, size_t n)
{
	assert_int_equal(dec_raw(d, b, n, n), 0);
	assert_int_equal(d->p.anom_n, 0);
	assert_int_equal(d->p.flags & (PKT_IPV4_CSUM_BAD | PKT_L4_CSUM_BAD | PKT_INVALID), 0);
}

static void dec_free(struct dec *d)
{
	guard_free(&d->g);
}

/* Every checksum of datagram r[0..n) verified with this file's own sum,
 * and the IP/UDP length fields match n. */
static void check_sums(const uint8_t *r, size_t n)
{
	size_t hl;
	uint8_t proto;
	int co;
	assert_true(n >= 20);
	if ((r[0] >> 4) == 4) {
		hl = 20;
		assert_int_equal(r[0], 0x45);
		assert_int_equal(get16(r + 2), n);
		assert_int_equal(fold(sum16(0, r, 20)), 0);
		proto = r[9];
	} else {
		assert_int_equal(r[0] >> 4, 6);
		assert_true(n >= 40);
		hl = 40;
		assert_int_equal(get16(r + 4), n - 40);
		proto = r[6];
	}
	co = csum_off(proto);
	assert_true(co >= 0);
	if (proto == IPPROTO_UDP) {
		assert_int_equal(get16(r + hl + 4), n - hl);
		assert_int_not_equal(get16(r + hl + 6), 0);
	}
	assert_int_equal(fold(sum16(proto == IPPROTO_ICMP ? 0 : pseudo(r, proto, n - hl), r + hl,
				    n - hl)),
			 0);
}

/* ------------------------------------------------------------------ */
/* SIP requests                                                        */

#define HDRS_TAIL "Max-Forwards: 70\r\nContact: <sip:alice@198.51.100.7:5062>\r\n"

static const char invite_v4[] =
	"INVITE sip:bob@192.0.2.10 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK-top;rport\r\n"
	"v: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK-mid;received=198.51.100.7 ,"
	" SIP/2.0/TCP edge.example.com;branch=z9hG4bK-bottom\r\n" HDRS_TAIL
	"From: \"Alice\" <sip:alice@example.com>;tag=a1b2\r\n"
	"To: <sip:bob@192.0.2.10>\r\n"
	"Call-ID: 3848276298220188511@198.51.100.7\r\n"
	"CSeq: 1 INVITE\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 4\r\n\r\n"
	"v=0\n";

static const char invite_v4_tag[] =
	"INVITE sip:bob@192.0.2.10 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK-re;rport\r\n"
	"v: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK-mid2\r\n" HDRS_TAIL
	"From: <sip:alice@example.com>;tag=a1b2\r\n"
	"To: Bob <sip:bob@192.0.2.10>;tag=bob-77\r\n"
	"Call-ID: re-invite-1@198.51.100.7\r\n"
	"CSeq: 2 INVITE\r\n"
	"Content-Length: 0\r\n\r\n";

static const char invite_v6[] =
	"INVITE sip:bob@[2001:db8::10] SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [2001:db8::7]:5062;branch=z9hG4bK-v6top;rport\r\n"
	"v: SIP/2.0/UDP [2001:db8:1::1];branch=z9hG4bK-v6mid\r\n"
	"Max-Forwards: 70\r\n"
	"f: <sip:alice@example.com>;tag=6x\r\n"
	"t: sip:bob@example.com\r\n"
	"i: f81d4fae-7dec-11d0-a765-00a0c91e6bf6@2001:db8::7\r\n"
	"CSeq: 314159 INVITE\r\n"
	"l: 0\r\n\r\n";

/* Folds in Via and From; a bare-LF fold in Call-ID. */
static const char options_fold[] =
	"OPTIONS sip:pbx.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.7:5062\r\n"
	"  ;branch=z9hG4bK-fold\r\n"
	"From: \"Folded\"\r\n\t<sip:scan@example.com>;tag=f1\r\n"
	"To: <sip:100@pbx.example.com>\r\n"
	"Call-ID: fold-1\r\n"
	"CSeq: 7 OPTIONS\r\n"
	"Content-Length: 0\r\n\r\n";

static const char register_v6_tag[] =
	"REGISTER sip:example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [2001:db8::7]:5062;branch=z9hG4bK-reg\r\n"
	"From: <sip:100@example.com>;tag=r1\r\n"
	"To: <sip:100@example.com>;TAG=already\r\n"
	"Call-ID: reg-1\r\n"
	"CSeq: 20 REGISTER\r\n"
	"Expires: 3600\r\n"
	"Content-Length: 0\r\n\r\n";

struct sip_row {
	const char *name;
	const char *msg;
	const char *src, *dst;
	int has_tag;
	unsigned n_via; /* Via header lines */
};

static const struct sip_row sip_rows[] = {
	{ "sip: INVITE/UDP/IPv4, Via + compact v: with two values, no To tag", invite_v4,
	  "198.51.100.7", "192.0.2.10", 0, 2 },
	{ "sip: INVITE/UDP/IPv4, To tag present: To copied unchanged", invite_v4_tag,
	  "198.51.100.7", "192.0.2.10", 1, 2 },
	{ "sip: INVITE/UDP/IPv6, compact f/t/i, addr-spec To, no To tag", invite_v6,
	  "2001:db8::7", "2001:db8::10", 0, 2 },
	{ "sip: OPTIONS/UDP/IPv4, folded Via and From are unfolded", options_fold,
	  "198.51.100.7", "192.0.2.10", 0, 1 },
	{ "sip: REGISTER/UDP/IPv6, To tag (upper-case name) present", register_v6_tag,
	  "2001:db8::7", "2001:db8::10", 1, 1 },
};

/* A request decoded and parsed, as engine.c has it when a rule matches. */
struct req {
	struct dec d;
	struct sip_msg m;
	struct sip_header hdrs[HCAP];
};

static void req_build(struct req *q, const char *src, const char *dst, uint16_t sport,
		      uint16_t dport, const char *msg, unsigned flags)
{
	uint8_t f[FRAME_MAX];
	size_t n = mk_udp(f, src, dst, sport, dport, msg, strlen(msg));
	dec_ok(&q->d, f, n);
	assert_int_equal(q->d.p.proto, IPPROTO_UDP);
	assert_true(sip_parse((const char *)q->d.p.payload, q->d.p.payload_len, &q->m, q->hdrs,
			      HCAP, SIP_PARSE_DATAGRAM | flags) > 0);
}

static void unfold_eq(sw_str a, sw_str b)
{
	char x[SIP_MAX_LINE + 1], y[SIP_MAX_LINE + 1];
	sip_unfold(a, x, sizeof(x));
	sip_unfold(b, y, sizeof(y));
	assert_string_equal(x, y);
}

static sw_str hval(const struct sip_msg *m, int id)
{
	const struct sip_header *h = sip_find_header(m, id, NULL);
	assert_non_null(h);
	return h->value;
}

/*
 * Checks reply r[0..n) against request q: a datagram from q's destination
 * to its source, status code and reason, the headers RFC 3261 §8.2.6.2
 * asks for. Returns the To tag (static buffer).
 */
static const char *check_sip_reply(const struct req *q, const uint8_t *r, size_t n,
				   unsigned code, const char *reason, int has_tag)
{
	static char tag[64];
	struct dec d;
	struct sip_msg m;
	struct sip_header hdrs[HCAP];
	struct sip_nameaddr to, rto;
	const struct sip_header *a, *b;
	const packet *p = &q->d.p;

	check_sums(r, n);
	dec_ok(&d, r, n);
	assert_int_equal(d.p.ip_v, p->ip_v);
	assert_int_equal(d.p.proto, IPPROTO_UDP);
	assert_int_equal(d.p.ip_ttl, 64);
	assert_true(sw_addr_eq(&d.p.src, &p->dst));
	assert_true(sw_addr_eq(&d.p.dst, &p->src));
	assert_int_equal(d.p.sport, p->dport);
	assert_int_equal(d.p.dport, p->sport);
	if (p->ip_v == 4)
		assert_int_equal(get16(r + 6) & 0x4000, 0x4000); /* DF */

	assert_int_equal(sip_parse((const char *)d.p.payload, d.p.payload_len, &m, hdrs, HCAP,
				   SIP_PARSE_DATAGRAM),
			 (int)d.p.payload_len);
	assert_int_equal(m.n_anom, 0);
	assert_false(m.is_request);
	assert_int_equal(m.status, code);
	assert_int_equal(m.reason.len, strlen(reason));
	assert_memory_equal(m.reason.p, reason, m.reason.len);
	assert_int_equal(m.content_length, 0);
	assert_int_equal(m.body.len, 0);

	/* Via: every value, in order, same count of header lines. */
	for (a = sip_find_header(&q->m, SIP_H_VIA, NULL), b = sip_find_header(&m, SIP_H_VIA, NULL);
	     a || b; a = sip_find_header(&q->m, SIP_H_VIA, a), b = sip_find_header(&m, SIP_H_VIA, b)) {
		assert_non_null(a);
		assert_non_null(b);
		unfold_eq(a->value, b->value);
	}
	assert_int_equal(m.n_via, q->m.n_via ? q->m.n_via : m.n_via);
	unfold_eq(hval(&q->m, SIP_H_FROM), hval(&m, SIP_H_FROM));
	unfold_eq(hval(&q->m, SIP_H_CALL_ID), hval(&m, SIP_H_CALL_ID));
	unfold_eq(hval(&q->m, SIP_H_CSEQ), hval(&m, SIP_H_CSEQ));
	assert_int_equal(m.cseq.num, q->m.cseq.valid ? q->m.cseq.num : m.cseq.num);

	assert_int_equal(sip_parse_nameaddr(hval(&q->m, SIP_H_TO), &rto), 0);
	assert_int_equal(sip_parse_nameaddr(hval(&m, SIP_H_TO), &to), 0);
	assert_non_null(to.tag.p);
	if (has_tag) {
		unfold_eq(hval(&q->m, SIP_H_TO), hval(&m, SIP_H_TO));
	} else {
		/* The request's To, then ";tag=" and 16 hex digits. */
		sw_str qv = hval(&q->m, SIP_H_TO), rv = hval(&m, SIP_H_TO);
		assert_null(rto.tag.p);
		assert_int_equal(rv.len, qv.len + 5 + 16);
		assert_memory_equal(rv.p, qv.p, qv.len);
		assert_memory_equal(rv.p + qv.len, ";tag=", 5);
		assert_int_equal(to.tag.len, 16);
		for (unsigned i = 0; i < 16; i++)
			assert_non_null(strchr("0123456789abcdef", to.tag.p[i]));
	}
	assert_true(to.tag.len < sizeof(tag));
	memcpy(tag, to.tag.p, to.tag.len);
	tag[to.tag.len] = '\0';
	dec_free(&d);
	return tag;
}

static void run_sip_row(void **state)
{
	const struct sip_row *row = *state;
	struct req q, qi;
	uint8_t r1[FRAME_MAX], r2[FRAME_MAX], r3[FRAME_MAX];
	size_t n1, n2, n3;
	char tag1[64];
	unsigned nvia = 0;

	req_build(&q, row->src, row->dst, 5062, 5060, row->msg, 0);
	for (const struct sip_header *h = sip_find_header(&q.m, SIP_H_VIA, NULL); h;
	     h = sip_find_header(&q.m, SIP_H_VIA, h))
		nvia++;
	assert_int_equal(nvia, row->n_via);

	n1 = reject_sip_response(&q.d.p, &q.m, 403, "Forbidden", r1, sizeof(r1));
	assert_true(n1 > 0);
	snprintf(tag1, sizeof(tag1), "%s",
		 check_sip_reply(&q, r1, n1, 403, "Forbidden", row->has_tag));

	/* Stable: the same request answers with the same bytes. */
	n2 = reject_sip_response(&q.d.p, &q.m, 403, "Forbidden", r2, sizeof(r2));
	assert_int_equal(n2, n1);
	assert_memory_equal(r1, r2, n1);

	/* An index-only parse (SIP_PARSE_INDEX) gives the same answer. */
	req_build(&qi, row->src, row->dst, 5062, 5060, row->msg, SIP_PARSE_INDEX);
	n3 = reject_sip_response(&qi.d.p, &qi.m, 403, "Forbidden", r3, sizeof(r3));
	assert_int_equal(n3, n1);
	assert_memory_equal(r1, r3, n1);

	/* Another code and reason: same tag. */
	n2 = reject_sip_response(&q.d.p, &q.m, 488, "Not Acceptable Here", r2, sizeof(r2));
	assert_true(n2 > 0);
	assert_string_equal(check_sip_reply(&q, r2, n2, 488, "Not Acceptable Here", row->has_tag),
			    tag1);
	dec_free(&qi.d);
	dec_free(&q.d);
}

/* A To tag hash: same for the same Call-ID and branch, else different. */
static void test_sip_tag_inputs(void **state)
{
	static const char fmt[] = "INVITE sip:bob@192.0.2.10 SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=%s\r\n"
				  "From: <sip:a@example.com>;tag=1\r\n"
				  "To: <sip:bob@192.0.2.10>\r\n"
				  "Call-ID: %s\r\n"
				  "CSeq: 1 INVITE\r\n"
				  "Content-Length: 0\r\n\r\n";
	static const char *const cases[][2] = {
		{ "z9hG4bK-1", "call-a" }, { "z9hG4bK-1", "call-a" }, /* a retransmission */
		{ "z9hG4bK-2", "call-a" }, { "z9hG4bK-1", "call-b" },
	};
	char tags[4][64], msg[512];
	uint8_t r[FRAME_MAX];
	(void)state;

	for (unsigned i = 0; i < 4; i++) {
		struct req q;
		size_t n;
		snprintf(msg, sizeof(msg), fmt, cases[i][0], cases[i][1]);
		/* A retransmission comes from the same place; the others need not. */
		req_build(&q, "198.51.100.7", "192.0.2.10", (uint16_t)(5062 + (i > 1)), 5060, msg,
			  0);
		n = reject_sip_response(&q.d.p, &q.m, 403, "Forbidden", r, sizeof(r));
		assert_true(n > 0);
		snprintf(tags[i], sizeof(tags[i]), "%s",
			 check_sip_reply(&q, r, n, 403, "Forbidden", 0));
		dec_free(&q.d);
	}
	assert_string_equal(tags[0], tags[1]);
	assert_string_not_equal(tags[0], tags[2]);
	assert_string_not_equal(tags[0], tags[3]);
	assert_string_not_equal(tags[2], tags[3]);
}

/* Requests that get no answer, and answers refused by argument. */
static void test_sip_refused(void **state)
{
	static const struct {
		const char *why, *msg;
	} rows[] = {
		{ "ACK", "ACK sip:bob@192.0.2.10 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK-ack\r\n"
			 "From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@192.0.2.10>;tag=2\r\n"
			 "Call-ID: c1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n" },
		{ "response", "SIP/2.0 200 OK\r\n"
			      "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK-r\r\n"
			      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n"
			      "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n" },
		{ "no Via", "INVITE sip:b@example.com SIP/2.0\r\n"
			    "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
			    "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n" },
		{ "no From", "INVITE sip:b@example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK-x\r\n"
			     "To: <sip:b@example.com>\r\n"
			     "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n" },
		{ "no To", "INVITE sip:b@example.com SIP/2.0\r\n"
			   "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK-x\r\n"
			   "From: <sip:a@example.com>;tag=1\r\n"
			   "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n" },
		{ "no Call-ID", "INVITE sip:b@example.com SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK-x\r\n"
				"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
				"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n" },
		{ "no CSeq", "INVITE sip:b@example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK-x\r\n"
			     "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
			     "Call-ID: c1\r\nContent-Length: 0\r\n\r\n" },
		{ "malformed To", "INVITE sip:b@example.com SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK-x\r\n"
				  "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com\r\n"
				  "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n" },
	};
	uint8_t r[FRAME_MAX];
	(void)state;

	for (unsigned i = 0; i < SW_ARRAY_SIZE(rows); i++) {
		struct req q;
		req_build(&q, "198.51.100.7", "192.0.2.10", 5062, 5060, rows[i].msg, 0);
		if (reject_sip_response(&q.d.p, &q.m, 403, "Forbidden", r, sizeof(r)) != 0)
			fail_msg("answered a request with %s", rows[i].why);
		dec_free(&q.d);
	}
}

static void test_sip_args(void **state)
{
	struct req q;
	uint8_t r[FRAME_MAX];
	char longr[200];
	size_t n;
	(void)state;

	req_build(&q, "198.51.100.7", "192.0.2.10", 5062, 5060, invite_v4, 0);
	assert_int_equal(reject_sip_response(&q.d.p, &q.m, 299, "OK", r, sizeof(r)), 0);
	assert_int_equal(reject_sip_response(&q.d.p, &q.m, 700, "X", r, sizeof(r)), 0);
	assert_int_equal(reject_sip_response(&q.d.p, &q.m, 403, "Forbidden\r\nX-Evil: 1", r,
					     sizeof(r)),
			 0);
	assert_int_equal(reject_sip_response(&q.d.p, &q.m, 403, "No\001", r, sizeof(r)), 0);
	memset(longr, 'a', sizeof(longr) - 1);
	longr[sizeof(longr) - 1] = '\0';
	assert_int_equal(reject_sip_response(&q.d.p, &q.m, 403, longr, r, sizeof(r)), 0);
	assert_int_equal(reject_sip_response(NULL, &q.m, 403, "F", r, sizeof(r)), 0);
	assert_int_equal(reject_sip_response(&q.d.p, NULL, 403, "F", r, sizeof(r)), 0);
	assert_int_equal(reject_sip_response(&q.d.p, &q.m, 403, "F", NULL, sizeof(r)), 0);
	/* The edges of the code range, an empty and a NULL reason. */
	n = reject_sip_response(&q.d.p, &q.m, 300, "", r, sizeof(r));
	assert_true(n > 0);
	check_sip_reply(&q, r, n, 300, "", 0);
	n = reject_sip_response(&q.d.p, &q.m, 699, NULL, r, sizeof(r));
	assert_true(n > 0);
	check_sip_reply(&q, r, n, 699, "", 0);
	n = reject_sip_response(&q.d.p, &q.m, 603, "Decline\tnow", r, sizeof(r));
	assert_true(n > 0);
	check_sip_reply(&q, r, n, 603, "Decline\tnow", 0);
	dec_free(&q.d);
}

/* The same request over TCP, or to/from an address that is no host. */
static void test_sip_wrong_packet(void **state)
{
	static const char *const bad[][2] = {
		{ "198.51.100.7", "224.0.1.75" }, { "0.0.0.0", "192.0.2.10" },
		{ "198.51.100.7", "255.255.255.255" }, { "2001:db8::7", "ff02::fb" },
		{ "::", "2001:db8::10" },
	};
	uint8_t f[FRAME_MAX], r[FRAME_MAX];
	struct dec d;
	struct sip_msg m;
	struct sip_header hdrs[HCAP];
	size_t n;
	(void)state;

	n = mk_tcp(f, "198.51.100.7", "192.0.2.10", 5062, 5060, 1, 1, TH_ACK | TH_PSH, invite_v4,
		   strlen(invite_v4));
	dec_ok(&d, f, n);
	assert_true(sip_parse((const char *)d.p.payload, d.p.payload_len, &m, hdrs, HCAP,
			      SIP_PARSE_STREAM) > 0);
	assert_int_equal(reject_sip_response(&d.p, &m, 403, "Forbidden", r, sizeof(r)), 0);
	dec_free(&d);

	for (unsigned i = 0; i < SW_ARRAY_SIZE(bad); i++) {
		struct req q;
		req_build(&q, bad[i][0], bad[i][1], 5062, 5060, invite_v4, 0);
		if (reject_sip_response(&q.d.p, &q.m, 403, "Forbidden", r, sizeof(r)) != 0)
			fail_msg("answered %s -> %s", bad[i][0], bad[i][1]);
		if (reject_icmp_unreach(&q.d.p, r, sizeof(r)) != 0)
			fail_msg("icmp for %s -> %s", bad[i][0], bad[i][1]);
		dec_free(&q.d);
	}
}

/* A frame to an Ethernet group address is not answered; to a host's is. */
static void test_sip_ethernet(void **state)
{
	uint8_t f[FRAME_MAX], e[FRAME_MAX], r[FRAME_MAX];
	size_t n = mk_udp(f, "198.51.100.7", "192.0.2.10", 5062, 5060, invite_v4,
			  strlen(invite_v4));
	(void)state;

	for (int bcast = 0; bcast < 2; bcast++) {
		struct dec d;
		struct sip_msg m;
		struct sip_header hdrs[HCAP];
		static const uint8_t host[6] = { 0x02, 0, 0, 0, 0, 1 };
		memset(e, 0xff, 6);
		if (!bcast)
			memcpy(e, host, 6);
		memcpy(e + 6, host, 6);
		e[11] = 2;
		put16(e + 12, 0x0800);
		memcpy(e + 14, f, n);
		memset(&d, 0, sizeof(d));
		d.p.data = (const uint8_t *)guard_copy(&d.g, e, n + 14);
		d.p.caplen = d.p.wirelen = (uint32_t)(n + 14);
		d.p.linktype = SW_DLT_EN10MB;
		assert_int_equal(decode_packet(&d.p), 0);
		assert_true(sip_parse((const char *)d.p.payload, d.p.payload_len, &m, hdrs, HCAP,
				      SIP_PARSE_DATAGRAM) > 0);
		if (bcast) {
			assert_int_equal(reject_sip_response(&d.p, &m, 403, "F", r, sizeof(r)), 0);
			assert_int_equal(reject_icmp_unreach(&d.p, r, sizeof(r)), 0);
		} else {
			assert_true(reject_sip_response(&d.p, &m, 403, "F", r, sizeof(r)) > 0);
			assert_true(reject_icmp_unreach(&d.p, r, sizeof(r)) > 0);
		}
		dec_free(&d);
	}
}

/*
 * Writable buffer of exactly cap bytes ending at a PROT_NONE page: a
 * builder writing one byte past cap crashes.
 */
static uint8_t *guard_out(struct guard_buf *g, size_t cap)
{
	static uint8_t zero[FRAME_MAX];
	assert_true(cap <= sizeof(zero));
	return (uint8_t *)(uintptr_t)guard_copy(g, zero, cap);
}

/* Every cap below the answer's length gives 0 and writes nothing past
 * cap; the exact length gives the same answer as a large buffer. */
static void test_caps(void **state)
{
	struct req q4, q6;
	uint8_t f[FRAME_MAX], big[FRAME_MAX];
	struct dec dt;
	size_t n, t;
	(void)state;

	req_build(&q4, "198.51.100.7", "192.0.2.10", 5062, 5060, invite_v4, 0);
	req_build(&q6, "2001:db8::7", "2001:db8::10", 5062, 5060, invite_v6, 0);
	t = mk_tcp(f, "198.51.100.7", "192.0.2.10", 40000, 5060, 100, 200, TH_ACK, "x", 1);
	dec_ok(&dt, f, t);

	for (int k = 0; k < 5; k++) {
		const packet *p = k == 0 ? &q4.d.p : k == 1 ? &q6.d.p : k == 2 ? &q4.d.p : &dt.p;
		memset(big, 0, sizeof(big));
		switch (k) {
		case 0:
		case 1:
			n = reject_sip_response(p, k ? &q6.m : &q4.m, 403, "Forbidden", big,
						sizeof(big));
			break;
		case 2:
			n = reject_icmp_unreach(p, big, sizeof(big));
			break;
		case 3:
			n = reject_tcp_rst(p, 1, big, sizeof(big));
			break;
		default:
			n = reject_tcp_rst(p, 0, big, sizeof(big));
			break;
		}
		assert_true(n > 0);
		for (size_t cap = 0; cap <= n; cap++) {
			struct guard_buf g;
			uint8_t *out = guard_out(&g, cap);
			size_t got;
			switch (k) {
			case 0:
			case 1:
				got = reject_sip_response(p, k ? &q6.m : &q4.m, 403, "Forbidden",
							  out, cap);
				break;
			case 2:
				got = reject_icmp_unreach(p, out, cap);
				break;
			case 3:
				got = reject_tcp_rst(p, 1, out, cap);
				break;
			default:
				got = reject_tcp_rst(p, 0, out, cap);
				break;
			}
			if (k == 2) {
				/* ICMP quotes what fits: from IP header + 8 on. */
				size_t min = 20 + 8 + 20 + 8;
				assert_int_equal(got, cap < min ? 0 : cap);
				if (got)
					check_sums(out, got);
			} else if (cap < n) {
				assert_int_equal(got, 0);
			} else {
				assert_int_equal(got, n);
				assert_memory_equal(out, big, n);
			}
			guard_free(&g);
		}
	}
	dec_free(&dt);
	dec_free(&q6.d);
	dec_free(&q4.d);
}

/* ------------------------------------------------------------------ */
/* ICMP                                                                */

struct icmp_row {
	const char *name;
	const char *src, *dst;
	uint8_t proto;      /* of the request: UDP, TCP, or ICMP (then type below) */
	uint8_t itype;      /* ICMP request's type */
	size_t plen;        /* request payload */
	size_t want_len;    /* 0: no answer */
};

static const struct icmp_row icmp_rows[] = {
	{ "icmp: UDP/IPv4 non-SIP datagram quoted whole", "198.51.100.7", "192.0.2.10",
	  IPPROTO_UDP, 0, 32, 20 + 8 + 20 + 8 + 32 },
	{ "icmp: UDP/IPv6 non-SIP datagram quoted whole", "2001:db8::7", "2001:db8::10",
	  IPPROTO_UDP, 0, 32, 40 + 8 + 40 + 8 + 32 },
	{ "icmp: UDP/IPv4 1400 bytes: answer cut at 576", "198.51.100.7", "192.0.2.10",
	  IPPROTO_UDP, 0, 1372, 576 },
	{ "icmp: UDP/IPv6 1400 bytes: answer cut at 1280", "2001:db8::7", "2001:db8::10",
	  IPPROTO_UDP, 0, 1352, 1280 },
	{ "icmp: TCP/IPv4 segment", "198.51.100.7", "192.0.2.10", IPPROTO_TCP, 0, 10,
	  20 + 8 + 20 + 20 + 10 },
	{ "icmp: ICMPv4 echo request is answered", "198.51.100.7", "192.0.2.10", IPPROTO_ICMP,
	  8, 16, 20 + 8 + 20 + 8 + 16 },
	{ "icmp: ICMPv6 echo request is answered", "2001:db8::7", "2001:db8::10",
	  IPPROTO_ICMPV6, 128, 16, 40 + 8 + 40 + 8 + 16 },
	{ "icmp: ICMPv4 port unreachable is not answered", "198.51.100.7", "192.0.2.10",
	  IPPROTO_ICMP, 3, 28, 0 },
	{ "icmp: ICMPv4 time exceeded is not answered", "198.51.100.7", "192.0.2.10",
	  IPPROTO_ICMP, 11, 28, 0 },
	{ "icmp: ICMPv4 unknown type 42 is not answered", "198.51.100.7", "192.0.2.10",
	  IPPROTO_ICMP, 42, 8, 0 },
	{ "icmp: ICMPv6 destination unreachable is not answered", "2001:db8::7",
	  "2001:db8::10", IPPROTO_ICMPV6, 1, 48, 0 },
	{ "icmp: ICMPv6 packet too big is not answered", "2001:db8::7", "2001:db8::10",
	  IPPROTO_ICMPV6, 2, 48, 0 },
	{ "icmp: ICMPv6 neighbour solicitation is not answered", "2001:db8::7", "2001:db8::10",
	  IPPROTO_ICMPV6, 135, 16, 0 },
};

static size_t mk_row_frame(uint8_t *f, const struct icmp_row *row)
{
	uint8_t pl[FRAME_MAX];
	for (size_t i = 0; i < row->plen; i++)
		pl[i] = (uint8_t)(i * 7 + 1);
	switch (row->proto) {
	case IPPROTO_UDP:
		return mk_udp(f, row->src, row->dst, 40000, 9999, pl, row->plen);
	case IPPROTO_TCP:
		return mk_tcp(f, row->src, row->dst, 40000, 5060, 1000, 2000, TH_ACK | TH_PSH, pl,
			      row->plen);
	default:
		return mk_icmp(f, row->src, row->dst, row->itype, 0, pl, row->plen);
	}
}

static void run_icmp_row(void **state)
{
	const struct icmp_row *row = *state;
	uint8_t f[FRAME_MAX], r[FRAME_MAX];
	struct dec d, rd;
	size_t n, got, hl;
	int v6 = family_of(row->src) == 6;

	n = mk_row_frame(f, row);
	dec_ok(&d, f, n);
	got = reject_icmp_unreach(&d.p, r, sizeof(r));
	assert_int_equal(got, row->want_len);
	if (got) {
		hl = v6 ? 40 : 20;
		check_sums(r, got);
		dec_ok(&rd, r, got);
		assert_int_equal(rd.p.proto, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
		assert_int_equal(rd.p.icmp_type, v6 ? 1 : 3);
		assert_int_equal(rd.p.icmp_code, v6 ? 4 : 3);
		assert_int_equal(rd.p.ip_ttl, 64);
		assert_true(sw_addr_eq(&rd.p.src, &d.p.dst));
		assert_true(sw_addr_eq(&rd.p.dst, &d.p.src));
		assert_memory_equal(r + hl + 4, "\0\0\0\0", 4);
		/* The quote is the request as received, from its IP header on. */
		assert_memory_equal(r + hl + 8, f, got - hl - 8);
		dec_free(&rd);
	}
	dec_free(&d);
}

/* Fragments: the first is answered (it has the ports), the others not. */
static void test_icmp_fragments(void **state)
{
	uint8_t l4[64], f[FRAME_MAX], r[FRAME_MAX];
	struct dec d;
	size_t n;
	(void)state;

	memset(l4, 0x33, sizeof(l4));
	put16(l4, 40000);
	put16(l4 + 2, 5060);
	put16(l4 + 4, 1000);
	n = mk_ip(f, "198.51.100.7", "192.0.2.10", IPPROTO_UDP, l4, sizeof(l4), 0x2000);
	assert_int_equal(dec_raw(&d, f, n, n), 0);
	assert_true(d.p.flags & PKT_IS_FRAGMENT);
	assert_int_equal(reject_icmp_unreach(&d.p, r, sizeof(r)), 20 + 8 + n);
	check_sums(r, 20 + 8 + n);
	assert_int_equal(reject_tcp_rst(&d.p, 1, r, sizeof(r)), 0);
	dec_free(&d);

	n = mk_ip(f, "198.51.100.7", "192.0.2.10", IPPROTO_UDP, l4, sizeof(l4), 0x2000 | 8);
	assert_int_equal(dec_raw(&d, f, n, n), 0);
	assert_true(d.p.flags & PKT_IS_FRAGMENT);
	assert_int_equal(reject_icmp_unreach(&d.p, r, sizeof(r)), 0);
	dec_free(&d);

	/* An ICMP error's first fragment is still an error. */
	memset(l4, 0, sizeof(l4));
	l4[0] = 3;
	l4[1] = 1;
	n = mk_ip(f, "198.51.100.7", "192.0.2.10", IPPROTO_ICMP, l4, sizeof(l4), 0x2000);
	assert_int_equal(dec_raw(&d, f, n, n), 0);
	assert_int_equal(reject_icmp_unreach(&d.p, r, sizeof(r)), 0);
	dec_free(&d);
}

/* ------------------------------------------------------------------ */
/* TCP RST                                                             */

struct rst_row {
	const char *name;
	const char *src, *dst;
	uint8_t flags;
	uint32_t seq, ack;
	size_t plen;
	int to_sender;
	/* Expected: 0 flags = no answer. */
	uint8_t w_flags;
	uint32_t w_seq, w_ack;
};

static const struct rst_row rst_rows[] = {
	{ "rst: PSH|ACK with data, to sender: SEQ = its ACK", "198.51.100.7", "192.0.2.10",
	  TH_PSH | TH_ACK, 1000, 5000, 10, 1, TH_RST, 5000, 0 },
	{ "rst: PSH|ACK with data, on to destination: SEQ = its SEQ", "198.51.100.7",
	  "192.0.2.10", TH_PSH | TH_ACK, 1000, 5000, 10, 0, TH_RST | TH_ACK, 1000, 5000 },
	{ "rst: SYN, to sender: RST|ACK, ACK = SEQ + 1", "198.51.100.7", "192.0.2.10", TH_SYN,
	  777, 0, 0, 1, TH_RST | TH_ACK, 0, 778 },
	{ "rst: SYN at 2^32-1, to sender: ACK wraps to 0", "198.51.100.7", "192.0.2.10", TH_SYN,
	  0xffffffffu, 0, 0, 1, TH_RST | TH_ACK, 0, 0 },
	{ "rst: data without ACK, FIN, to sender: ACK = SEQ + len + 1", "198.51.100.7",
	  "192.0.2.10", TH_PSH | TH_FIN, 4000, 0, 10, 1, TH_RST | TH_ACK, 0, 4011 },
	{ "rst: SYN, on to destination: RST at its SEQ", "198.51.100.7", "192.0.2.10", TH_SYN,
	  777, 0, 0, 0, TH_RST, 777, 0 },
	{ "rst: IPv6 PSH|ACK, to sender", "2001:db8::7", "2001:db8::10", TH_PSH | TH_ACK,
	  0x80000000u, 42, 100, 1, TH_RST, 42, 0 },
	{ "rst: IPv6 PSH|ACK, on to destination", "2001:db8::7", "2001:db8::10",
	  TH_PSH | TH_ACK, 0x80000000u, 42, 100, 0, TH_RST | TH_ACK, 0x80000000u, 42 },
	{ "rst: IPv6 SYN, to sender", "2001:db8::7", "2001:db8::10", TH_SYN, 9, 0, 0, 1,
	  TH_RST | TH_ACK, 0, 10 },
	{ "rst: a RST is not answered (to sender)", "198.51.100.7", "192.0.2.10", TH_RST, 1, 0,
	  0, 1, 0, 0, 0 },
	{ "rst: a RST|ACK is not answered (on to destination)", "198.51.100.7", "192.0.2.10",
	  TH_RST | TH_ACK, 1, 2, 0, 0, 0, 0, 0 },
};

static void run_rst_row(void **state)
{
	const struct rst_row *row = *state;
	uint8_t f[FRAME_MAX], r[FRAME_MAX], pl[128];
	struct dec d, rd;
	size_t n, got;

	assert_true(row->plen <= sizeof(pl));
	memset(pl, 'd', sizeof(pl));
	n = mk_tcp(f, row->src, row->dst, 40000, 5060, row->seq, row->ack, row->flags, pl,
		   row->plen);
	dec_ok(&d, f, n);
	got = reject_tcp_rst(&d.p, row->to_sender, r, sizeof(r));
	if (!row->w_flags) {
		assert_int_equal(got, 0);
		dec_free(&d);
		return;
	}
	assert_int_equal(got, d.p.ip_v == 4 ? 40 : 60);
	check_sums(r, got);
	dec_ok(&rd, r, got);
	assert_int_equal(rd.p.proto, IPPROTO_TCP);
	assert_int_equal(rd.p.ip_ttl, 64);
	assert_int_equal(rd.p.tcp_flags, row->w_flags);
	assert_int_equal(rd.p.tcp_seq, row->w_seq);
	assert_int_equal(rd.p.tcp_ack, row->w_ack);
	assert_int_equal(rd.p.payload_len, 0);
	assert_int_equal(rd.p.tcp_win, 0);
	if (row->to_sender) {
		assert_true(sw_addr_eq(&rd.p.src, &d.p.dst));
		assert_true(sw_addr_eq(&rd.p.dst, &d.p.src));
		assert_int_equal(rd.p.sport, d.p.dport);
		assert_int_equal(rd.p.dport, d.p.sport);
	} else {
		assert_true(sw_addr_eq(&rd.p.src, &d.p.src));
		assert_true(sw_addr_eq(&rd.p.dst, &d.p.dst));
		assert_int_equal(rd.p.sport, d.p.sport);
		assert_int_equal(rd.p.dport, d.p.dport);
	}
	dec_free(&rd);
	dec_free(&d);
}

static void test_rst_other(void **state)
{
	uint8_t f[FRAME_MAX], r[FRAME_MAX];
	struct dec d;
	size_t n;
	(void)state;

	/* Not TCP. */
	n = mk_udp(f, "198.51.100.7", "192.0.2.10", 1, 2, "x", 1);
	dec_ok(&d, f, n);
	assert_int_equal(reject_tcp_rst(&d.p, 1, r, sizeof(r)), 0);
	assert_int_equal(reject_tcp_rst(&d.p, 0, r, sizeof(r)), 0);
	dec_free(&d);

	/* A SYN cut by the snap length: its length is unknown, so no ACK
	 * can be computed for it; with ACK set the RST needs no length. */
	n = mk_tcp(f, "198.51.100.7", "192.0.2.10", 40000, 5060, 5, 0, TH_SYN, "abcdefgh", 8);
	assert_int_equal(dec_raw(&d, f, n - 4, n), 0);
	assert_true(d.p.flags & PKT_TRUNCATED);
	assert_int_equal(reject_tcp_rst(&d.p, 1, r, sizeof(r)), 0);
	assert_int_equal(reject_tcp_rst(&d.p, 0, r, sizeof(r)), 40);
	dec_free(&d);
	n = mk_tcp(f, "198.51.100.7", "192.0.2.10", 40000, 5060, 5, 9, TH_ACK, "abcdefgh", 8);
	assert_int_equal(dec_raw(&d, f, n - 4, n), 0);
	assert_int_equal(reject_tcp_rst(&d.p, 1, r, sizeof(r)), 40);
	check_sums(r, 40);
	dec_free(&d);
}

/* ------------------------------------------------------------------ */
/* Unusable input                                                      */

static void test_zero_packet(void **state)
{
	packet p;
	struct sip_msg m;
	uint8_t r[FRAME_MAX];
	(void)state;

	memset(&p, 0, sizeof(p));
	memset(&m, 0, sizeof(m));
	assert_int_equal(reject_sip_response(&p, &m, 403, "F", r, sizeof(r)), 0);
	assert_int_equal(reject_icmp_unreach(&p, r, sizeof(r)), 0);
	assert_int_equal(reject_tcp_rst(&p, 1, r, sizeof(r)), 0);
	assert_int_equal(reject_tcp_rst(&p, 0, r, sizeof(r)), 0);
	assert_int_equal(reject_icmp_unreach(NULL, r, sizeof(r)), 0);
	assert_int_equal(reject_tcp_rst(NULL, 1, r, sizeof(r)), 0);
	/* A packet that claims IP but has no header behind it. */
	p.ip_v = 4;
	p.proto = IPPROTO_TCP;
	p.src.family = p.dst.family = 4;
	p.src.a[0] = p.dst.a[0] = 10;
	assert_int_equal(reject_icmp_unreach(&p, r, sizeof(r)), 0);
	assert_int_equal(reject_tcp_rst(&p, 1, r, sizeof(r)), 0);
}

/*
 * Every prefix of valid requests, cut on the wire and cut by the snap
 * length, each at the end of a guard page: whatever decodes is given to
 * every builder, which may refuse but must not crash nor over-read, and
 * whatever they build is a datagram with valid checksums.
 */
static void test_prefixes(void **state)
{
	uint8_t frames[6][FRAME_MAX], r[FRAME_MAX];
	size_t len[6];
	unsigned answers = 0;
	(void)state;

	len[0] = mk_udp(frames[0], "198.51.100.7", "192.0.2.10", 5062, 5060, invite_v4,
			strlen(invite_v4));
	len[1] = mk_udp(frames[1], "2001:db8::7", "2001:db8::10", 5062, 5060, invite_v6,
			strlen(invite_v6));
	len[2] = mk_tcp(frames[2], "198.51.100.7", "192.0.2.10", 40000, 5060, 1, 2,
			TH_ACK | TH_PSH, "hello", 5);
	len[3] = mk_tcp(frames[3], "2001:db8::7", "2001:db8::10", 40000, 5060, 1, 0, TH_SYN,
			"", 0);
	len[4] = mk_icmp(frames[4], "198.51.100.7", "192.0.2.10", 8, 0, "ping", 4);
	len[5] = mk_udp(frames[5], "198.51.100.7", "192.0.2.10", 1, 2, "not sip", 7);

	for (unsigned k = 0; k < 6; k++) {
		for (size_t cut = 0; cut <= len[k]; cut++) {
			for (int snap = 0; snap < 2; snap++) {
				struct dec d;
				struct sip_msg m;
				struct sip_header hdrs[HCAP];
				size_t got[4];
				if (dec_raw(&d, frames[k], cut, snap ? len[k] : cut) != 0) {
					dec_free(&d);
					continue;
				}
				memset(&m, 0, sizeof(m));
				if (d.p.proto == IPPROTO_UDP && d.p.payload)
					sip_parse((const char *)d.p.payload, d.p.payload_len, &m,
						  hdrs, HCAP, SIP_PARSE_DATAGRAM);
				got[0] = reject_sip_response(&d.p, &m, 403, "F", r, sizeof(r));
				if (got[0])
					check_sums(r, got[0]);
				got[1] = reject_icmp_unreach(&d.p, r, sizeof(r));
				if (got[1])
					check_sums(r, got[1]);
				got[2] = reject_tcp_rst(&d.p, 1, r, sizeof(r));
				if (got[2])
					check_sums(r, got[2]);
				got[3] = reject_tcp_rst(&d.p, 0, r, sizeof(r));
				if (got[3])
					check_sums(r, got[3]);
				answers += (got[0] != 0) + (got[1] != 0) + (got[2] != 0) +
					   (got[3] != 0);
				dec_free(&d);
			}
		}
	}
	assert_true(answers > 0);
}

/* ------------------------------------------------------------------ */
/* tshark, as an independent reader                                    */

struct tsx {
	uint8_t data[FRAME_MAX];
	size_t len;
	int v;
	const char *kind; /* "sip", "icmp", "tcp" */
	unsigned want;    /* SIP status, ICMP type << 8 | code, or TCP flags */
};

static void pcap_write(FILE *f, const struct tsx *x, size_t n)
{
	const uint32_t gh[6] = { 0xa1b2c3d4u, 2u | 4u << 16, 0, 0, 65535, 101 };
	assert_int_equal(fwrite(gh, 4, 6, f), 6);
	for (size_t i = 0; i < n; i++) {
		uint32_t rh[4] = { (uint32_t)(1700000000 + i), 0, (uint32_t)x[i].len,
				   (uint32_t)x[i].len };
		assert_int_equal(fwrite(rh, 4, 4, f), 4);
		assert_int_equal(fwrite(x[i].data, 1, x[i].len, f), x[i].len);
	}
}

static int tshark_present(void)
{
	return system("tshark --version >/dev/null 2>&1") == 0;
}

static void add_sip(struct tsx *x, size_t *n, const char *src, const char *dst, const char *msg,
		    unsigned code)
{
	struct req q;
	req_build(&q, src, dst, 5062, 5060, msg, 0);
	x[*n].len = reject_sip_response(&q.d.p, &q.m, code, "Rejected", x[*n].data, FRAME_MAX);
	assert_true(x[*n].len > 0);
	x[*n].v = q.d.p.ip_v;
	x[*n].kind = "sip";
	x[*n].want = code;
	(*n)++;
	dec_free(&q.d);
}

static void test_tshark(void **state)
{
	static struct tsx x[32];
	char dir[] = "/tmp/sw_test_reject_XXXXXX", path[128], cmd[1024], line[512];
	size_t n = 0, rows = 0;
	FILE *f;
	(void)state;

	if (!tshark_present()) {
		print_message("# tshark not installed: independent check skipped\n");
		skip();
	}
	for (unsigned i = 0; i < SW_ARRAY_SIZE(sip_rows); i++)
		add_sip(x, &n, sip_rows[i].src, sip_rows[i].dst, sip_rows[i].msg, 403 + i);
	for (unsigned i = 0; i < SW_ARRAY_SIZE(icmp_rows); i++) {
		uint8_t fr[FRAME_MAX];
		struct dec d;
		size_t fl = mk_row_frame(fr, &icmp_rows[i]);
		if (!icmp_rows[i].want_len)
			continue;
		dec_ok(&d, fr, fl);
		x[n].len = reject_icmp_unreach(&d.p, x[n].data, FRAME_MAX);
		assert_true(x[n].len > 0);
		x[n].v = d.p.ip_v;
		x[n].kind = "icmp";
		x[n].want = d.p.ip_v == 4 ? 3u << 8 | 3 : 1u << 8 | 4;
		n++;
		dec_free(&d);
	}
	for (unsigned i = 0; i < SW_ARRAY_SIZE(rst_rows); i++) {
		uint8_t fr[FRAME_MAX], pl[128];
		struct dec d;
		size_t fl;
		if (!rst_rows[i].w_flags)
			continue;
		assert_true(rst_rows[i].plen <= sizeof(pl));
		memset(pl, 'd', sizeof(pl));
		fl = mk_tcp(fr, rst_rows[i].src, rst_rows[i].dst, 40000, 5060, rst_rows[i].seq,
			    rst_rows[i].ack, rst_rows[i].flags, pl, rst_rows[i].plen);
		dec_ok(&d, fr, fl);
		x[n].len = reject_tcp_rst(&d.p, rst_rows[i].to_sender, x[n].data, FRAME_MAX);
		assert_true(x[n].len > 0);
		x[n].v = d.p.ip_v;
		x[n].kind = "tcp";
		x[n].want = rst_rows[i].w_flags;
		n++;
		dec_free(&d);
	}
	assert_true(n <= SW_ARRAY_SIZE(x));

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/replies.pcap", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	pcap_write(f, x, n);
	fclose(f);

	/* First occurrence of each field: the outer headers, not the quote
	 * inside an ICMP error. Checksum status: 0 bad, 1 good, 2 unchecked. */
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE"
		 " -o tcp.check_checksum:TRUE -T fields -E occurrence=f -E separator=';'"
		 " -e frame.number -e ip.checksum.status -e udp.checksum.status"
		 " -e tcp.checksum.status -e icmp.checksum.status -e icmpv6.checksum.status"
		 " -e sip.Status-Code -e icmp.type -e icmp.code -e icmpv6.type -e icmpv6.code"
		 " -e tcp.flags 2>/dev/null",
		 path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *fld[12], *s = line;
		unsigned nf = 0, no;
		const struct tsx *t;
		line[strcspn(line, "\n")] = '\0';
		/* strsep keeps empty fields, which strtok would merge. */
		while (nf < 12 && (fld[nf] = strsep(&s, ";")) != NULL)
			nf++;
		assert_int_equal(nf, 12);
		no = (unsigned)atoi(fld[0]);
		assert_true(no >= 1 && no <= n);
		t = &x[no - 1];
		print_message("# tshark frame %u (%s): %s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n", no,
			      t->kind, fld[1], fld[2], fld[3], fld[4], fld[5], fld[6], fld[7],
			      fld[8], fld[9], fld[10], fld[11]);
		if (t->v == 4)
			assert_string_equal(fld[1], "1");
		if (!strcmp(t->kind, "sip")) {
			assert_string_equal(fld[2], "1");
			assert_int_equal(atoi(fld[6]), t->want);
		} else if (!strcmp(t->kind, "icmp")) {
			assert_string_equal(fld[t->v == 4 ? 4 : 5], "1");
			assert_int_equal(atoi(fld[t->v == 4 ? 7 : 9]), t->want >> 8);
			assert_int_equal(atoi(fld[t->v == 4 ? 8 : 10]), t->want & 0xff);
		} else {
			assert_string_equal(fld[3], "1");
			assert_int_equal(strtoul(fld[11], NULL, 16), t->want);
		}
		rows++;
	}
	assert_int_equal(WEXITSTATUS(pclose(f)), 0);
	assert_int_equal(rows, n);
	unlink(path);
	rmdir(dir);
}

/* ------------------------------------------------------------------ */
/* Injector                                                            */

/* The injector, or skip when this process may not open AF_PACKET. */
static struct injector *open_or_skip(void)
{
	char err[256];
	struct injector *in = inject_open(err, sizeof(err));
	if (!in) {
		print_message("# %s: skipped (needs CAP_NET_RAW)\n", err);
		skip();
	}
	return in;
}

static sw_addr v4(uint32_t x)
{
	sw_addr a;
	memset(&a, 0, sizeof(a));
	a.family = 4;
	put32(a.a, x);
	return a;
}

static void mac_of(uint8_t mac[6], uint32_t x)
{
	mac[0] = 0x02;
	mac[1] = 0x5e;
	put32(mac + 2, x);
}

static void test_learn(void **state)
{
	struct injector *in;
	uint8_t m[6], want[6];
	sw_addr a = v4(0xc0000201), b, six;
	static const uint8_t group[6] = { 0x01, 0, 0x5e, 0, 0, 1 }, zero[6];
	(void)state;

	inject_close(NULL);
	in = open_or_skip();
	assert_int_equal(inject_lookup(in, &a, m), 0);
	mac_of(want, 1);
	inject_learn(in, &a, want);
	assert_int_equal(inject_lookup(in, &a, m), 1);
	assert_memory_equal(m, want, 6);
	/* Last seen wins. */
	mac_of(want, 2);
	inject_learn(in, &a, want);
	assert_int_equal(inject_lookup(in, &a, m), 1);
	assert_memory_equal(m, want, 6);
	/* An IPv4 key with junk past its 4 bytes is the same address. */
	b = a;
	memset(b.a + 4, 0xee, 12);
	assert_int_equal(inject_lookup(in, &b, m), 1);
	/* The IPv6 address with the same leading bytes is another. */
	six = a;
	six.family = 6;
	assert_int_equal(inject_lookup(in, &six, m), 0);
	/* Group and zero MACs are no host's: ignored. */
	inject_learn(in, &six, group);
	inject_learn(in, &six, zero);
	assert_int_equal(inject_lookup(in, &six, m), 0);
	/* Not an address. */
	memset(&b, 0, sizeof(b));
	inject_learn(in, &b, want);
	assert_int_equal(inject_lookup(in, &b, m), 0);
	assert_int_equal(inject_lookup(in, NULL, m), 0);
	inject_learn(NULL, &a, want);
	assert_int_equal(inject_lookup(NULL, &a, m), 0);
	inject_close(in);
}

/* Bounded: the least recently learned address goes first. */
static void test_learn_evict(void **state)
{
	struct injector *in = open_or_skip();
	uint8_t mac[6], m[6];
	unsigned found = 0;
	(void)state;

	for (uint32_t i = 0; i < INJECT_LEARN_MAX; i++) {
		sw_addr a = v4(0x0a000000 + i);
		mac_of(mac, i);
		inject_learn(in, &a, mac);
	}
	for (uint32_t i = 0; i < INJECT_LEARN_MAX; i++) {
		sw_addr a = v4(0x0a000000 + i);
		found += (unsigned)inject_lookup(in, &a, m);
	}
	assert_int_equal(found, INJECT_LEARN_MAX);
	/* Seen again: 10.0.0.0 becomes the most recent; 10.0.0.1 is oldest. */
	{
		sw_addr a0 = v4(0x0a000000), a1 = v4(0x0a000001), a2 = v4(0x0a000002),
			n1 = v4(0x0b000001), n2 = v4(0x0b000002);
		mac_of(mac, 0);
		inject_learn(in, &a0, mac);
		mac_of(mac, 0x999);
		inject_learn(in, &n1, mac);
		assert_int_equal(inject_lookup(in, &a1, m), 0);
		assert_int_equal(inject_lookup(in, &a0, m), 1);
		assert_int_equal(inject_lookup(in, &n1, m), 1);
		assert_memory_equal(m, mac, 6);
		assert_int_equal(inject_lookup(in, &a2, m), 1);
		inject_learn(in, &n2, mac);
		assert_int_equal(inject_lookup(in, &a2, m), 0);
	}
	/* A full turnover keeps exactly the last INJECT_LEARN_MAX. */
	for (uint32_t i = 0; i < 3 * INJECT_LEARN_MAX; i++) {
		sw_addr a = v4(0x0c000000 + i);
		mac_of(mac, i);
		inject_learn(in, &a, mac);
	}
	found = 0;
	for (uint32_t i = 0; i < 3 * INJECT_LEARN_MAX; i++) {
		sw_addr a = v4(0x0c000000 + i);
		int hit = inject_lookup(in, &a, m);
		assert_int_equal(hit, i >= 2 * INJECT_LEARN_MAX);
		if (hit) {
			mac_of(mac, i);
			assert_memory_equal(m, mac, 6);
		}
		found += (unsigned)hit;
	}
	assert_int_equal(found, INJECT_LEARN_MAX);
	inject_close(in);
}

struct learn_thread {
	struct injector *in;
	uint32_t base;
};

static void *learn_worker(void *arg)
{
	struct learn_thread *t = arg;
	uint8_t mac[6], m[6];
	for (uint32_t i = 0; i < 20000; i++) {
		sw_addr a = v4(t->base + (i % 3000));
		mac_of(mac, t->base + i);
		inject_learn(t->in, &a, mac);
		(void)inject_lookup(t->in, &a, m);
	}
	return NULL;
}

/* Several workers learning at once (run it under TSan to judge races). */
static void test_learn_threads(void **state)
{
	struct injector *in = open_or_skip();
	pthread_t th[4];
	struct learn_thread t[4];
	uint8_t m[6];
	unsigned found = 0;
	(void)state;

	for (int i = 0; i < 4; i++) {
		t[i].in = in;
		t[i].base = 0x0a000000u + (uint32_t)i * 0x10000u;
		assert_int_equal(pthread_create(&th[i], NULL, learn_worker, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++)
		for (uint32_t k = 0; k < 3000; k++) {
			sw_addr a = v4(t[i].base + k);
			found += (unsigned)inject_lookup(in, &a, m);
		}
	assert_int_equal(found, INJECT_LEARN_MAX);
	inject_close(in);
}

static void test_send_args(void **state)
{
	struct injector *in = open_or_skip();
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	uint8_t l3[40] = { 0x50 };
	(void)state;

	errno = 0;
	assert_int_equal(inject_send(in, 1, mac, mac, l3, sizeof(l3)), -1);
	assert_int_equal(errno, EINVAL);
	l3[0] = 0x45;
	assert_int_equal(inject_send(in, 0, mac, mac, l3, sizeof(l3)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(inject_send(in, 1, NULL, mac, l3, sizeof(l3)), -1);
	assert_int_equal(inject_send(in, 1, mac, mac, l3, 0), -1);
	assert_int_equal(inject_send(NULL, 1, mac, mac, l3, sizeof(l3)), -1);
	/* No such interface: its MAC cannot be found. */
	errno = 0;
	assert_int_equal(inject_send(in, 0x7ffffff0, mac, NULL, l3, sizeof(l3)), -1);
	assert_int_not_equal(errno, 0);
	inject_close(in);
}

/*
 * inject_send() on the loopback interface of a throwaway network
 * namespace: a child process unshares one (nothing of the host's network
 * is touched), brings its lo up, lets IPv4 accept a 127/8 local source
 * arriving on it (a frame sent on lo by a packet socket is routed as
 * input, where such a source is a martian: route_localnet and
 * accept_local say otherwise), and binds the sockets the
 * answers are addressed to. The answers are built by the parent, where
 * cmocka's asserts work; the child only sends, receives and exits with
 * 0 (ok), 1 (failed, why on stderr) or 77 (cannot set up: skip).
 *
 * A SIP response injected towards a bound UDP socket is received: the
 * kernel checked its UDP checksum on the way in. A port unreachable
 * injected towards a connected UDP socket makes it fail with ECONNREFUSED:
 * the kernel matched the quote to the socket.
 */
#define LOOP_CLIENT_PORT 40000 /* the request's source: where the answers go */
#define LOOP_CLOSED_PORT 9     /* the port the ICMP says is closed */

struct loop_case {
	int v6;
	uint8_t sip[FRAME_MAX], icmp[FRAME_MAX];
	size_t sip_len, icmp_len;
};

static void loop_prepare(struct loop_case *c, int v6)
{
	const char *host = v6 ? "::1" : "127.0.0.1";
	uint8_t f[FRAME_MAX];
	struct req q;
	struct dec d;
	size_t n;

	c->v6 = v6;
	req_build(&q, host, host, LOOP_CLIENT_PORT, 5060, v6 ? invite_v6 : invite_v4, 0);
	c->sip_len = reject_sip_response(&q.d.p, &q.m, 403, "Forbidden", c->sip, FRAME_MAX);
	assert_true(c->sip_len > 0);
	dec_free(&q.d);
	n = mk_udp(f, host, host, LOOP_CLIENT_PORT + 1, LOOP_CLOSED_PORT, "probe", 5);
	dec_ok(&d, f, n);
	c->icmp_len = reject_icmp_unreach(&d.p, c->icmp, FRAME_MAX);
	assert_true(c->icmp_len > 0);
	dec_free(&d);
}

/* A UDP socket on the loopback address bound to port; -1 on error. */
static int loop_socket(int v6, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct timeval tv = { 2, 0 };
	int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons(port);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons(port);
		sl = sizeof(*a);
	}
	if (bind(s, (struct sockaddr *)&ss, sl) != 0 ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
		close(s);
		return -1;
	}
	return s;
}

/* In the child: one address family's two checks. NULL, or what failed. */
static const char *loop_run(struct injector *in, int lo, const struct loop_case *c)
{
	static const uint8_t zero_mac[6];
	static char why[256];
	uint8_t got[FRAME_MAX];
	size_t hl = c->v6 ? 48 : 28;
	struct sockaddr_storage ss;
	socklen_t sl;
	ssize_t k;
	int s;

	s = loop_socket(c->v6, LOOP_CLIENT_PORT);
	if (s < 0)
		return "bind the client socket";
	if (inject_send(in, lo, zero_mac, NULL, c->sip, c->sip_len) != 0) {
		snprintf(why, sizeof(why), "inject SIP response: %s", strerror(errno));
		return why;
	}
	k = recv(s, got, sizeof(got), 0);
	close(s);
	if (k < 0) {
		snprintf(why, sizeof(why), "SIP response not received: %s", strerror(errno));
		return why;
	}
	if ((size_t)k != c->sip_len - hl || memcmp(got, c->sip + hl, (size_t)k) != 0)
		return "SIP response received altered";

	s = loop_socket(c->v6, LOOP_CLIENT_PORT + 1);
	if (s < 0)
		return "bind the connected socket";
	sl = sizeof(ss);
	getsockname(s, (struct sockaddr *)&ss, &sl);
	if (c->v6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(LOOP_CLOSED_PORT);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons(LOOP_CLOSED_PORT);
	if (connect(s, (struct sockaddr *)&ss, sl) != 0) {
		close(s);
		return "connect";
	}
	if (inject_send(in, lo, zero_mac, NULL, c->icmp, c->icmp_len) != 0) {
		snprintf(why, sizeof(why), "inject port unreachable: %s", strerror(errno));
		close(s);
		return why;
	}
	k = recv(s, got, sizeof(got), 0);
	close(s);
	if (k >= 0 || errno != ECONNREFUSED) {
		snprintf(why, sizeof(why), "port unreachable: recv gave %zd (%s), not ECONNREFUSED",
			 k, k < 0 ? strerror(errno) : "data");
		return why;
	}
	return NULL;
}

/* Writes s to /proc/sys/<path>; 0 or -1. */
static int set_sysctl(const char *path, const char *s)
{
	char p[256];
	FILE *f;
	int rc;
	snprintf(p, sizeof(p), "/proc/sys/%s", path);
	f = fopen(p, "w");
	if (!f)
		return -1;
	rc = fputs(s, f) < 0 ? -1 : 0;
	return fclose(f) != 0 ? -1 : rc;
}

static void test_send_loopback(void **state)
{
	static struct loop_case cases[2];
	int status;
	pid_t pid;
	(void)state;

	loop_prepare(&cases[0], 0);
	loop_prepare(&cases[1], 1);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ifreq ifr;
		struct injector *in;
		char err[256];
		int fd, lo;
		if (unshare(CLONE_NEWNET) != 0) {
			fprintf(stderr, "# unshare(CLONE_NEWNET): %s\n", strerror(errno));
			_exit(77);
		}
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
		if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
			_exit(77);
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
			_exit(77);
		close(fd);
		if (set_sysctl("net/ipv4/conf/lo/route_localnet", "1") != 0 ||
		    set_sysctl("net/ipv4/conf/lo/accept_local", "1") != 0)
			_exit(77);
		in = inject_open(err, sizeof(err));
		if (!in) {
			fprintf(stderr, "# %s\n", err);
			_exit(77);
		}
		lo = (int)if_nametoindex("lo");
		for (int i = 0; i < 2; i++) {
			const char *why = loop_run(in, lo, &cases[i]);
			if (why) {
				fprintf(stderr, "%s: %s\n", i ? "IPv6" : "IPv4", why);
				_exit(1);
			}
		}
		inject_close(in);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("# no private network namespace or AF_PACKET here: skipped\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

#define NAMED(n, f) { n, f, NULL, NULL, NULL }

int main(void)
{
	static const struct CMUnitTest extra[] = {
		NAMED("sip: To tag depends on Call-ID and branch only", test_sip_tag_inputs),
		NAMED("sip: ACK, responses and requests missing a key header get nothing",
		      test_sip_refused),
		NAMED("sip: code range, reason phrase checks, NULL arguments", test_sip_args),
		NAMED("sip/icmp: TCP carrier, multicast/broadcast/unspecified addresses refused",
		      test_sip_wrong_packet),
		NAMED("sip/icmp: Ethernet broadcast frame not answered", test_sip_ethernet),
		NAMED("caps: every cap below the answer's length fails cleanly", test_caps),
		NAMED("icmp: first fragment answered, others and ICMP errors not",
		      test_icmp_fragments),
		NAMED("rst: not TCP; a SYN cut by the snap length", test_rst_other),
		NAMED("unusable: zeroed packet, NULL, IP without header", test_zero_packet),
		NAMED("unusable: every prefix of valid requests, wire cut and snap cut",
		      test_prefixes),
		NAMED("tshark: answers in a pcap have good checksums and the right fields",
		      test_tshark),
		NAMED("inject: learn, last MAC wins, key normalised, group MAC ignored",
		      test_learn),
		NAMED("inject: learned table bounded, least recently learned evicted",
		      test_learn_evict),
		NAMED("inject: four threads learning at once", test_learn_threads),
		NAMED("inject: send argument errors", test_send_args),
		NAMED("inject: send on loopback in a throwaway network namespace", test_send_loopback),
	};
	size_t ns = SW_ARRAY_SIZE(sip_rows), ni = SW_ARRAY_SIZE(icmp_rows),
	       nr = SW_ARRAY_SIZE(rst_rows), k = 0;
	size_t n = ns + ni + nr + SW_ARRAY_SIZE(extra);
	struct CMUnitTest *t = calloc(n, sizeof(*t));
	int rc;

	assert_non_null(t);
	for (size_t i = 0; i < ns; i++, k++) {
		t[k].name = sip_rows[i].name;
		t[k].test_func = run_sip_row;
		t[k].initial_state = (void *)&sip_rows[i];
	}
	for (size_t i = 0; i < ni; i++, k++) {
		t[k].name = icmp_rows[i].name;
		t[k].test_func = run_icmp_row;
		t[k].initial_state = (void *)&icmp_rows[i];
	}
	for (size_t i = 0; i < nr; i++, k++) {
		t[k].name = rst_rows[i].name;
		t[k].test_func = run_rst_row;
		t[k].initial_state = (void *)&rst_rows[i];
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(extra); i++, k++)
		t[k] = extra[i];
	rc = _cmocka_run_group_tests("reject", t, n, NULL, NULL);
	free(t);
	return rc;
}
