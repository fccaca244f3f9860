/*
 * rfc4475 - RFC 4475 torture messages through sip_parse, as TAP.
 *
 *   conf_rfc4475 <corpus-dir>    (the directory holding MANIFEST.tsv)
 *
 * One TAP line per message of MANIFEST.tsv. The outcome column says what a
 * careful parser reaches:
 *   parse     the message parses (> 0) with the fields the RFC describes,
 *             and raises no anomaly beyond the ones listed for it;
 *   reject    it is flagged: -1, or the named anomalies the RFC's reason
 *             for rejecting it maps to;
 *   semantic  it parses without a syntax anomaly; the line notes what a
 *             proxy or UAS would refuse (RFC 4475 §3.2-3.4).
 * Expected values come from the RFC's text about each message, not from
 * this parser's output. Every message is also fed, prefix by prefix, in
 * stream mode (each strict prefix must give -2 or -1, never crash), and is
 * placed right before a PROT_NONE page so that an over-read crashes.
 * Messages are datagrams (SIP_PARSE_DATAGRAM): the corpus is byte-exact.
 * The file's size and SHA-256 are checked against the manifest first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anomaly.h"
#include "sip_parse.h"

#define MAX_HDRS 128

/* ------------------------------------------------------------------ */
/* SHA-256 (FIPS 180-4), to check the corpus is byte-exact.            */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh;
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) +
			      K256[i] + w[i];
		uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

static void sha256_hex(const uint8_t *data, size_t len, char out[65])
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	uint8_t blk[64];
	size_t i = 0;
	for (; i + 64 <= len; i += 64)
		sha256_block(h, data + i);
	size_t r = len - i;
	memset(blk, 0, sizeof(blk));
	memcpy(blk, data + i, r);
	blk[r] = 0x80;
	if (r >= 56) {
		sha256_block(h, blk);
		memset(blk, 0, sizeof(blk));
	}
	uint64_t bits = (uint64_t)len * 8;
	for (int k = 0; k < 8; k++)
		blk[63 - k] = (uint8_t)(bits >> (8 * k));
	sha256_block(h, blk);
	for (int k = 0; k < 8; k++)
		snprintf(out + 8 * k, 9, "%08x", h[k]);
}

/* ------------------------------------------------------------------ */
/* Guarded input                                                       */

struct gbuf {
	uint8_t *map;
	size_t map_len;
	const char *data;
};

/* Copies src so its last byte sits right before a PROT_NONE page. */
static const char *gplace(struct gbuf *g, const void *src, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (len + pg - 1) / pg;
	if (pages == 0)
		pages = 1;
	g->map_len = (pages + 1) * pg;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	if (mprotect(g->map + pages * pg, pg, PROT_NONE) != 0) {
		perror("mprotect");
		exit(2);
	}
	uint8_t *dst = g->map + pages * pg - len;
	if (len)
		memcpy(dst, src, len);
	g->data = (const char *)dst;
	return g->data;
}

static void gfree(struct gbuf *g)
{
	if (g->map)
		munmap(g->map, g->map_len);
	memset(g, 0, sizeof(*g));
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */

struct ctx {
	const char *buf;
	size_t len;
	struct sip_msg m;
	struct sip_header hdrs[MAX_HDRS];
	int r;
	char why[512];	/* first failure */
	char note[256]; /* for semantic rows: what a UAS would refuse */
	int failed;
};

static void fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	if (c->failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

static void note(struct ctx *c, const char *s)
{
	snprintf(c->note, sizeof(c->note), "%s", s);
}

/* Percent-decodes s into out (NUL-terminated). */
static const char *unesc(sw_str s, char *out, size_t cap)
{
	size_t o = 0;
	for (uint32_t i = 0; i < s.len && o + 1 < cap; i++) {
		if (s.p[i] == '%' && i + 2 < s.len) {
			char hx[3] = {s.p[i + 1], s.p[i + 2], 0};
			out[o++] = (char)strtol(hx, NULL, 16);
			i += 2;
		} else {
			out[o++] = s.p[i];
		}
	}
	out[o] = '\0';
	return out;
}

#define STR_EQ(c, s, lit)                                                                          \
	do {                                                                                       \
		if (!sw_str_eq((s), (lit)))                                                        \
			fail((c), "%s is \"%.*s\", want \"%s\"", #s, (int)(s).len,                 \
			     (s).p ? (s).p : "", (lit));                                           \
	} while (0)
#define NUM_EQ(c, v, want)                                                                         \
	do {                                                                                       \
		if ((long long)(v) != (long long)(want))                                           \
			fail((c), "%s is %lld, want %lld", #v, (long long)(v), (long long)(want)); \
	} while (0)
#define TRUE(c, cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail((c), "not true: %s", #cond);                                          \
	} while (0)

static int has_anom(const struct sip_msg *m, const char *name)
{
	unsigned id = anomaly_by_name(name);
	for (unsigned i = 0; i < m->n_anom; i++)
		if (m->anom[i] == id)
			return 1;
	return 0;
}

/* Every anomaly raised must be one of the NULL-terminated list. */
static void only_anoms(struct ctx *c, const char *const *allowed)
{
	for (unsigned i = 0; i < c->m.n_anom; i++) {
		const char *n = anomaly_name(c->m.anom[i]);
		int ok = 0;
		for (const char *const *a = allowed; a && *a; a++)
			if (strcmp(*a, n) == 0)
				ok = 1;
		if (!ok)
			fail(c, "unexpected anomaly %s at offset %u", n, c->m.anom_off[i]);
	}
}

/* Every anomaly of the NULL-terminated list must have been raised. */
static void want_anoms(struct ctx *c, const char *const *names)
{
	for (const char *const *a = names; *a; a++) {
		if (anomaly_by_name(*a) == ANOM_NONE)
			fail(c, "test names unknown anomaly %s", *a);
		else if (!has_anom(&c->m, *a))
			fail(c, "anomaly %s not raised", *a);
	}
}

static const char *const NONE[] = {NULL};
#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

static void parsed(struct ctx *c)
{
	if (c->r <= 0)
		fail(c, "sip_parse returned %d", c->r);
}

/* ---- 3.1.1 valid messages ---- */

static void t_wsinv(struct ctx *c)
{
	/* "A Short Tortuous INVITE": folding everywhere, escaped quotes, an
	 * empty Subject, LWS around separators, comma-separated and separate
	 * Via values, compact and long forms mixed, unknown URI and header
	 * parameters, leading zeros in Max-Forwards (68) and CSeq (9). */
	char u[256];
	parsed(c);
	TRUE(c, c->m.is_request && c->m.method_id == SIP_M_INVITE);
	STR_EQ(c, c->m.ruri.host, "chair-dnrc.example.com");
	STR_EQ(c, c->m.ruri.user, "vivekg");
	STR_EQ(c, c->m.ruri.params, "unknownparam");
	STR_EQ(c, c->m.call_id, "wsinv.ndaksdj@192.0.2.1");
	NUM_EQ(c, c->m.cseq.num, 9);
	TRUE(c, c->m.cseq.method_id == SIP_M_INVITE);
	NUM_EQ(c, c->m.max_forwards, 68);
	NUM_EQ(c, c->m.n_via, 3);
	STR_EQ(c, c->m.via.host, "192.0.2.2");
	STR_EQ(c, c->m.via.transport, "UDP");
	STR_EQ(c, c->m.via.branch, "390skdjuw");
	STR_EQ(c, c->m.to.tag, "1918181833n");
	STR_EQ(c, c->m.from.tag, "98asjd8");
	STR_EQ(c, c->m.from.display, "J Rosenberg \\\\\\\"");
	STR_EQ(c, c->m.contact.display, "Quoted string \\\"\\\"");
	STR_EQ(c, c->m.contact.uri.user, "jdrosen");
	NUM_EQ(c, c->m.content_length, 150);
	NUM_EQ(c, c->m.body.len, 150);
	STR_EQ(c, c->m.content_type, "application/sdp");
	NUM_EQ(c, c->m.hdr_count[SIP_H_SUBJECT], 1);
	const struct sip_header *s = sip_find_header(&c->m, SIP_H_SUBJECT, NULL);
	TRUE(c, s && s->value.len == 0);
	const struct sip_header *nf =
	    sip_find_header_name(&c->m, SW_STR_LIT("newfangledheader"), NULL);
	TRUE(c, nf != NULL);
	if (nf) {
		sip_unfold(nf->value, u, sizeof(u));
		if (strcmp(u, "newfangled value continued newfangled value") != 0)
			fail(c, "unfolded NewFangledHeader is \"%s\"", u);
	}
	NUM_EQ(c, (size_t)c->r, c->len);
	only_anoms(c, NONE);
}

static void t_intmeth(struct ctx *c)
{
	/* "Wide Range of Valid Characters": an extension method of every token
	 * character, a Request-URI whose user and password use every allowed
	 * character (';', '?' and '/' in the user), escaped BEL/NUL/DEL in a
	 * quoted display name, UTF-8 in a parameter and a header value. */
	static const char meth[] = "!interesting-Method0123456789_*+`.%indeed'~";
	parsed(c);
	TRUE(c, c->m.is_request && c->m.method_id == SIP_M_UNKNOWN);
	STR_EQ(c, c->m.method, meth);
	STR_EQ(c, c->m.cseq.method, meth);
	NUM_EQ(c, c->m.cseq.num, 139122385);
	STR_EQ(c, c->m.ruri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	STR_EQ(c, c->m.ruri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	STR_EQ(c, c->m.ruri.host, "example.com");
	STR_EQ(c, c->m.to.uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	NUM_EQ(c, c->m.to.display.len, 20); /* BEL:\<BEL> NUL:\<NUL> DEL:\<DEL> */
	STR_EQ(c, c->m.from.display, "token1~` token2'+_ token3*%!.-");
	STR_EQ(c, c->m.from.tag, "_token~1'+`*%!-.");
	STR_EQ(c, c->m.call_id, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
	STR_EQ(c, c->m.via.branch, "z9hG4bK-.!%66*_+`'~");
	NUM_EQ(c, c->m.max_forwards, 255);
	NUM_EQ(c, c->m.n_via, 1);
	TRUE(c, sip_find_header_name(&c->m, SW_STR_LIT("extensionHeader-!.%*+_`'~"), NULL));
	NUM_EQ(c, c->m.content_length, 0);
	only_anoms(c, L("sip.unknown_method"));
}

static void t_esc01(struct ctx *c)
{
	/* "Valid Use of the % Escaping Mechanism": the Request-URI has
	 * sips:user@example.com embedded in its userpart; From and To URIs
	 * have escaped characters in their userparts; the Contact URI has
	 * escaped characters in its URI parameters (lr, name=value%41). */
	char u[128];
	parsed(c);
	TRUE(c, c->m.method_id == SIP_M_INVITE);
	STR_EQ(c, c->m.ruri.user, "sips%3Auser%40example.com");
	if (strcmp(unesc(c->m.ruri.user, u, sizeof(u)), "sips:user@example.com") != 0)
		fail(c, "Request-URI user unescapes to \"%s\"", u);
	STR_EQ(c, c->m.ruri.host, "example.net");
	if (strcmp(unesc(c->m.to.uri.user, u, sizeof(u)), "user") != 0)
		fail(c, "To user unescapes to \"%s\"", u);
	if (strcmp(unesc(c->m.from.uri.user, u, sizeof(u)), "I have spaces") != 0)
		fail(c, "From user unescapes to \"%s\"", u);
	STR_EQ(c, c->m.call_id, "esc01.239409asdfakjkn23onasd0-3234");
	NUM_EQ(c, c->m.cseq.num, 234234);
	NUM_EQ(c, c->m.max_forwards, 87);
	STR_EQ(c, c->m.content_type, "application/sdp");
	STR_EQ(c, c->m.contact.uri.host, "host5.example.net");
	TRUE(c, c->m.contact.uri.lr); /* written ;%6C%72 */
	if (strcmp(unesc(c->m.contact.uri.user, u, sizeof(u)), "caller") != 0)
		fail(c, "Contact user unescapes to \"%s\"", u);
	NUM_EQ(c, c->m.body.len, 150);
	only_anoms(c, NONE);
}

static void t_escnull(struct ctx *c)
{
	/* "Escaped Nulls in URIs": From/To users null-%00-null, two Contacts
	 * with users %00 and %00%00, Content-Length as "L:0". */
	parsed(c);
	TRUE(c, c->m.method_id == SIP_M_REGISTER);
	STR_EQ(c, c->m.to.uri.user, "null-%00-null");
	STR_EQ(c, c->m.from.uri.user, "null-%00-null");
	STR_EQ(c, c->m.contact.uri.user, "%00");
	NUM_EQ(c, c->m.n_contact, 2);
	NUM_EQ(c, c->m.content_length, 0);
	NUM_EQ(c, c->m.cseq.num, 14398234);
	only_anoms(c, NONE);
}

static void t_esc02(struct ctx *c)
{
	/* "Use of % When It Is Not an Escape": the method RE%47IST%45R is not
	 * REGISTER; display names are "%Z%45"; C%6Fntact is an extension
	 * header, so there are two Contact values, not three. */
	parsed(c);
	TRUE(c, c->m.method_id == SIP_M_UNKNOWN);
	STR_EQ(c, c->m.method, "RE%47IST%45R");
	STR_EQ(c, c->m.to.display, "%Z%45");
	STR_EQ(c, c->m.from.display, "%Z%45");
	NUM_EQ(c, c->m.n_contact, 2);
	STR_EQ(c, c->m.via.branch, "z9hG4bK209%fzsnel234");
	NUM_EQ(c, c->m.cseq.num, 29344);
	only_anoms(c, L("sip.unknown_method"));
}

static void t_lwsdisp(struct ctx *c)
{
	/* "No LWS between Display Name and <": From: caller<sip:...>. */
	parsed(c);
	TRUE(c, c->m.method_id == SIP_M_OPTIONS);
	STR_EQ(c, c->m.from.display, "caller");
	STR_EQ(c, c->m.from.uri.user, "caller");
	STR_EQ(c, c->m.from.tag, "323");
	NUM_EQ(c, c->m.cseq.num, 60);
	only_anoms(c, NONE);
}

static void t_longreq(struct ctx *c)
{
	/* "Long Values in Header Fields": a long display name and URI
	 * parameters in To, long header parameters and tag in From, a long
	 * Call-ID, 34 Via values in every case of "Via" and "v". */
	parsed(c);
	TRUE(c, c->m.method_id == SIP_M_INVITE);
	NUM_EQ(c, c->m.n_via, 34);
	STR_EQ(c, c->m.via.host, "sip33.example.com");
	STR_EQ(c, c->m.via.transport, "TCP");
	NUM_EQ(c, c->m.to.uri.port, 6000);
	TRUE(c, c->m.to.display.len > 80);
	TRUE(c, c->m.from.tag.len > 150);
	TRUE(c, c->m.call_id.len > 100);
	NUM_EQ(c, c->m.cseq.num, 3882340);
	NUM_EQ(c, c->m.max_forwards, 70);
	NUM_EQ(c, c->m.content_length, 150);
	NUM_EQ(c, c->m.body.len, 150);
	only_anoms(c, NONE);
}

static void t_dblreq(struct ctx *c)
{
	/* "Extra Trailing Octets in a UDP Datagram": one REGISTER with
	 * Content-Length 0; the octets after it look like an INVITE but are
	 * noise a UAS ignores (RFC 3261 §18.3). sipwire returns the REGISTER's
	 * length and flags the rest as a second message. */
	parsed(c);
	TRUE(c, c->m.method_id == SIP_M_REGISTER);
	STR_EQ(c, c->m.call_id, "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
	NUM_EQ(c, c->m.cseq.num, 8);
	NUM_EQ(c, c->m.content_length, 0);
	NUM_EQ(c, c->m.body.len, 0);
	TRUE(c, c->r > 0 && (size_t)c->r < c->len);
	if (c->r > 0 && (size_t)c->r + 2 < c->len && memcmp(c->buf + c->r, "\r\nINVITE ", 9) != 0)
		fail(c, "REGISTER does not end right before the trailing octets");
	only_anoms(c, L("sip.multiple_messages"));
}

static void t_semiuri(struct ctx *c)
{
	/* "Semicolon-Separated Parameters in URI User Part": the user part is
	 * "user;par=u@example.net" (unescaped); the host is example.com. */
	char u[128];
	parsed(c);
	TRUE(c, c->m.method_id == SIP_M_OPTIONS);
	if (strcmp(unesc(c->m.ruri.user, u, sizeof(u)), "user;par=u@example.net") != 0)
		fail(c, "Request-URI user unescapes to \"%s\"", u);
	STR_EQ(c, c->m.ruri.host, "example.com");
	NUM_EQ(c, c->m.ruri.params.len, 0);
	NUM_EQ(c, c->m.max_forwards, 3);
	only_anoms(c, NONE);
}

static void t_transports(struct ctx *c)
{
	/* "Varied and Unknown Transport Types": UDP, SCTP, TLS, UNKNOWN, TCP. */
	parsed(c);
	NUM_EQ(c, c->m.n_via, 5);
	STR_EQ(c, c->m.via.transport, "UDP");
	STR_EQ(c, c->m.via.host, "t1.example.com");
	STR_EQ(c, c->m.call_id, "transports.kijh4akdnaqjkwendsasfdj");
	only_anoms(c, NONE);
}

static void t_mpart01(struct ctx *c)
{
	/* "Multipart MIME Message": a MESSAGE whose multipart body holds
	 * binary (NUL bytes): the body is Content-Length (553) bytes, and NULs
	 * in a body are no anomaly. */
	parsed(c);
	TRUE(c, c->m.method_id == SIP_M_MESSAGE);
	NUM_EQ(c, c->m.content_length, 553);
	NUM_EQ(c, c->m.body.len, 553);
	TRUE(c, memchr(c->m.body.p, 0, c->m.body.len) != NULL);
	TRUE(c, c->m.via.has_rport && c->m.via.rport.len == 0);
	NUM_EQ(c, c->m.via.port, 5070);
	STR_EQ(c, c->m.content_type, "multipart/mixed;boundary=7a9cbec02ceef655");
	STR_EQ(c, c->m.user_agent, "SIPimp.org/0.2.5 (curses)");
	only_anoms(c, NONE);
}

static void t_unreason(struct ctx *c)
{
	/* "Unusual Reason Phrase": a 200 whose reason holds UTF-8. */
	parsed(c);
	TRUE(c, !c->m.is_request);
	NUM_EQ(c, c->m.status, 200);
	TRUE(c, c->m.reason.len > 14 && memcmp(c->m.reason.p, "= 2**3 * 5**2 ", 14) == 0);
	NUM_EQ(c, c->m.cseq.num, 35);
	NUM_EQ(c, c->m.body.len, 154);
	only_anoms(c, NONE);
}

static void t_noreason(struct ctx *c)
{
	/* "Empty Reason Phrase": "SIP/2.0 100 " then CRLF. */
	parsed(c);
	TRUE(c, !c->m.is_request);
	NUM_EQ(c, c->m.status, 100);
	NUM_EQ(c, c->m.reason.len, 0);
	STR_EQ(c, c->m.to.tag, "902jndnke3");
	only_anoms(c, NONE);
}

/* ---- 3.1.2 invalid messages ---- */

#define REJECT(fn, cond, ...)                                                                      \
	static void fn(struct ctx *c)                                                              \
	{                                                                                          \
		if (!(cond))                                                                       \
			fail(c, "return %d: %s", c->r, #cond);                                     \
		want_anoms(c, L(__VA_ARGS__));                                                     \
	}

/* Via ";;,;,," and Contact ";;;;": empty parameters and list elements. */
REJECT(t_badinv01, c->r > 0, "sip.bad_via", "sip.bad_contact")
/* Content-Length 9999 in a datagram holding a 154-byte body. */
REJECT(t_clerr, c->r > 0 && c->m.content_length == 9999, "sip.content_length_mismatch")
/* Content-Length: -999. */
REJECT(t_ncl, c->r > 0 && c->m.content_length == -1, "sip.bad_content_length")
/* CSeq >2**32-1, Max-Forwards >255, Expires and Contact expires >2**32-1. */
REJECT(t_scalar02, c->r > 0, "sip.bad_cseq_num", "sip.bad_max_forwards", "sip.bad_expires")
/* Response: CSeq >2**32-1 (Retry-After huge, Warning code of 4 digits). */
REJECT(t_scalarlg, c->r > 0 && !c->m.is_request, "sip.bad_cseq_num")
/* To: "Mr. J. User <sip:j.user@example.com> (the quote never ends). */
REJECT(t_quotbal, c->r > 0, "sip.bad_to")
/* INVITE <sip:user@example.com> SIP/2.0. */
REJECT(t_ltgtruri, c->r > 0, "sip.bad_request_uri")
/* INVITE sip:user@example.com; lr SIP/2.0. */
REJECT(t_lwsruri, c->r > 0, "sip.bad_request_uri")
/* INVITE  sip:user@example.com  SIP/2.0 (two SPs each). */
REJECT(t_lwsstart, c->r > 0 && c->m.method_id == SIP_M_INVITE, "sip.start_line_whitespace")
/* SP characters after SIP/2.0. */
REJECT(t_trws, c->r > 0 && c->m.method_id == SIP_M_OPTIONS, "sip.start_line_whitespace")
/* Request-URI with ?Route=... (headers are not allowed in a Request-URI). */
REJECT(t_escruri, c->r > 0 && c->m.ruri.headers.len > 0, "sip.ruri_has_headers")
/* Date: ... EST (must be GMT). */
REJECT(t_baddate, c->r > 0, "sip.bad_date")
/* Contact: sip:user@example.com?Route=... not enclosed in <>. */
REJECT(t_regbadct, c->r > 0, "sip.bad_contact")
/* To: "Watson, Thomas" < sip:t.watson@example.org > (LWS inside <>). */
REJECT(t_badaspec, c->r > 0, "sip.bad_to")
/* From: Bell, Alexander <...> (comma in an unquoted display name). */
REJECT(t_baddn, c->r > 0, "sip.bad_from", "sip.bad_to")
/* SIP/7.0 on the request line and in Via: a UAS answers 505. */
REJECT(t_badvers, c->r > 0, "sip.invalid_version", "sip.bad_via_version")
/* OPTIONS with CSeq: 8 INVITE. */
REJECT(t_mismatch01, c->r > 0, "sip.cseq_method_mismatch")
/* NEWMETHOD with CSeq: 8 INVITE. */
REJECT(t_mismatch02, c->r > 0, "sip.cseq_method_mismatch", "sip.unknown_method")
/* SIP/2.0 4294967301: a response code of more than three digits. */
REJECT(t_bigcode, c->r == -1, "sip.bad_status_code", "sip.bad_start_line")
/* No To, From or Call-ID (3.3.1: a UAS answers 400). */
REJECT(t_insuf, c->r > 0, "sip.missing_to", "sip.missing_from", "sip.missing_call_id")
/* Two CSeq, Call-ID, To, From, Max-Forwards values (3.3.8: 400). */
REJECT(t_multi01, c->r > 0, "sip.duplicate_header")
/* Content-Length 13 and 5 (3.3.9: 400, the body cannot be framed). */
REJECT(t_mcl01, c->r > 0, "sip.duplicate_header")

/* ---- 3.2 - 3.4: syntactically valid, refused above the parser ---- */

static void t_badbranch(struct ctx *c)
{
	parsed(c);
	STR_EQ(c, c->m.via.branch, "z9hG4bK");
	note(c, "branch is the bare magic cookie: a UAS may answer 400 or fall back "
		"to RFC 2543 transaction matching");
	only_anoms(c, NONE);
}

static void t_unkscm(struct ctx *c)
{
	parsed(c);
	TRUE(c, c->m.ruri.scheme == SIP_SCHEME_OTHER);
	STR_EQ(c, c->m.ruri.scheme_str, "nobodyKnowsThisScheme");
	want_anoms(c, L("sip.ruri_unknown_scheme"));
	note(c, "unknown Request-URI scheme: 416 Unsupported URI Scheme");
	only_anoms(c, L("sip.ruri_unknown_scheme"));
}

static void t_novelsc(struct ctx *c)
{
	parsed(c);
	STR_EQ(c, c->m.ruri.scheme_str, "soap.beep");
	note(c, "registered but atypical Request-URI scheme: 416, or 404 if some "
		"soap.beep URIs are served");
	only_anoms(c, L("sip.ruri_unknown_scheme"));
}

static void t_unksm2(struct ctx *c)
{
	parsed(c);
	TRUE(c, c->m.method_id == SIP_M_REGISTER);
	STR_EQ(c, c->m.to.uri.scheme_str, "isbn");
	STR_EQ(c, c->m.from.uri.scheme_str, "http");
	STR_EQ(c, c->m.contact.uri.scheme_str, "name");
	note(c, "To/From/Contact with non-SIP schemes: a registrar cannot bind the "
		"isbn: AOR and refuses it");
	only_anoms(c, NONE);
}

static void t_bext01(struct ctx *c)
{
	parsed(c);
	TRUE(c, c->m.hdr_count[SIP_H_REQUIRE] == 1 && c->m.hdr_count[SIP_H_PROXY_REQUIRE] == 1);
	want_anoms(c, L("sip.proxy_require"));
	note(c, "unsupported Require/Proxy-Require: 420 Bad Extension with Unsupported");
	only_anoms(c, L("sip.proxy_require"));
}

static void t_invut(struct ctx *c)
{
	parsed(c);
	STR_EQ(c, c->m.content_type, "application/unknownformat");
	NUM_EQ(c, c->m.body.len, 40);
	note(c, "unknown body type: 415 Unsupported Media Type with Accept");
	only_anoms(c, NONE);
}

static void t_regaut01(struct ctx *c)
{
	parsed(c);
	TRUE(c, c->m.authz.present);
	STR_EQ(c, c->m.authz.scheme, "NoOneKnowsThisScheme");
	note(c, "unknown Authorization scheme: 401 with a Digest challenge");
	only_anoms(c, NONE);
}

static void t_bcast(struct ctx *c)
{
	parsed(c);
	TRUE(c, !c->m.is_request && c->m.status == 200);
	NUM_EQ(c, c->m.n_via, 2);
	TRUE(c, memmem(c->buf, c->len, "Via: SIP/2.0/UDP 255.255.255.255", 32) != NULL);
	note(c, "second Via sent-by 255.255.255.255: a proxy must not send the "
		"response to the broadcast address");
	only_anoms(c, NONE);
}

static void t_zeromf(struct ctx *c)
{
	parsed(c);
	NUM_EQ(c, c->m.max_forwards, 0);
	note(c, "Max-Forwards 0: a proxy answers 483 Too Many Hops (a UAS may answer "
		"the OPTIONS itself)");
	only_anoms(c, NONE);
}

static void t_cparam01(struct ctx *c)
{
	/* ;unknownparam is a contact-param, not a URI parameter. */
	parsed(c);
	NUM_EQ(c, c->m.contact.uri.params.len, 0);
	STR_EQ(c, c->m.contact.params, "unknownparam");
	note(c, "the registrar must store unknownparam as a contact parameter");
	only_anoms(c, NONE);
}

static void t_cparam02(struct ctx *c)
{
	parsed(c);
	STR_EQ(c, c->m.contact.uri.params, "unknownparam");
	NUM_EQ(c, c->m.contact.params.len, 0);
	note(c, "unknownparam belongs to the URI and is part of the binding");
	only_anoms(c, NONE);
}

static void t_regescrt(struct ctx *c)
{
	char u[128];
	parsed(c);
	if (strcmp(unesc(c->m.contact.uri.headers, u, sizeof(u)), "Route=<sip:sip.example.com>") !=
	    0)
		fail(c, "Contact URI headers unescape to \"%s\"", u);
	note(c, "Contact URI with an escaped Route header: a registrar may store it "
		"or refuse it (403)");
	only_anoms(c, NONE);
}

static void t_sdp01(struct ctx *c)
{
	parsed(c);
	const struct sip_header *a = sip_find_header(&c->m, SIP_H_ACCEPT, NULL);
	TRUE(c, a && sw_str_eq(a->value, "text/nobodyKnowsThis"));
	STR_EQ(c, c->m.content_type, "application/sdp");
	note(c, "Accept excludes application/sdp: 406 Not Acceptable");
	only_anoms(c, NONE);
}

static void t_inv2543(struct ctx *c)
{
	/* RFC 2543 syntax: no branch, no From tag, no Max-Forwards, no
	 * Content-Length (the body is the rest of the datagram). */
	parsed(c);
	TRUE(c, c->m.via.branch.p == NULL);
	NUM_EQ(c, c->m.from.tag.len, 0);
	NUM_EQ(c, c->m.max_forwards, -1);
	NUM_EQ(c, c->m.content_length, -1);
	TRUE(c, c->m.body.len > 0 && memcmp(c->m.body.p, "v=0\r\n", 5) == 0 &&
		    c->m.body.p + c->m.body.len == c->buf + c->len);
	note(c, "RFC 2543 peer: a 3261 UAS accepts it and matches transactions "
		"the 2543 way");
	only_anoms(c, L("sip.missing_from_tag"));
}

struct tcase {
	const char *file;
	void (*fn)(struct ctx *);
};

static const struct tcase cases[] = {
    {"wsinv.dat", t_wsinv},
    {"intmeth.dat", t_intmeth},
    {"esc01.dat", t_esc01},
    {"escnull.dat", t_escnull},
    {"esc02.dat", t_esc02},
    {"lwsdisp.dat", t_lwsdisp},
    {"longreq.dat", t_longreq},
    {"dblreq.dat", t_dblreq},
    {"semiuri.dat", t_semiuri},
    {"transports.dat", t_transports},
    {"mpart01.dat", t_mpart01},
    {"unreason.dat", t_unreason},
    {"noreason.dat", t_noreason},
    {"badinv01.dat", t_badinv01},
    {"clerr.dat", t_clerr},
    {"ncl.dat", t_ncl},
    {"scalar02.dat", t_scalar02},
    {"scalarlg.dat", t_scalarlg},
    {"quotbal.dat", t_quotbal},
    {"ltgtruri.dat", t_ltgtruri},
    {"lwsruri.dat", t_lwsruri},
    {"lwsstart.dat", t_lwsstart},
    {"trws.dat", t_trws},
    {"escruri.dat", t_escruri},
    {"baddate.dat", t_baddate},
    {"regbadct.dat", t_regbadct},
    {"badaspec.dat", t_badaspec},
    {"baddn.dat", t_baddn},
    {"badvers.dat", t_badvers},
    {"mismatch01.dat", t_mismatch01},
    {"mismatch02.dat", t_mismatch02},
    {"bigcode.dat", t_bigcode},
    {"badbranch.dat", t_badbranch},
    {"insuf.dat", t_insuf},
    {"unkscm.dat", t_unkscm},
    {"novelsc.dat", t_novelsc},
    {"unksm2.dat", t_unksm2},
    {"bext01.dat", t_bext01},
    {"invut.dat", t_invut},
    {"regaut01.dat", t_regaut01},
    {"multi01.dat", t_multi01},
    {"mcl01.dat", t_mcl01},
    {"bcast.dat", t_bcast},
    {"zeromf.dat", t_zeromf},
    {"cparam01.dat", t_cparam01},
    {"cparam02.dat", t_cparam02},
    {"regescrt.dat", t_regescrt},
    {"sdp01.dat", t_sdp01},
    {"inv2543.dat", t_inv2543},
};

/*
 * Stream mode on every prefix (each guarded). If the whole input frames as
 * a stream message of R bytes, every shorter prefix must give -2 and every
 * longer one R; otherwise no prefix may give a message.
 */
static void prefixes(struct ctx *c)
{
	static struct sip_msg m;
	static struct sip_header h[MAX_HDRS];
	int full = sip_parse(c->buf, c->len, &m, h, MAX_HDRS, SIP_PARSE_STREAM);
	for (size_t n = 0; n < c->len; n++) {
		struct gbuf g = {0};
		const char *p = gplace(&g, c->buf, n);
		int r = sip_parse(p, n, &m, h, MAX_HDRS, SIP_PARSE_STREAM);
		gfree(&g);
		if (full > 0 ? r != ((size_t)full > n ? -2 : full) : r > 0) {
			fail(c, "stream prefix of %zu bytes returned %d (whole: %d)", n, r, full);
			return;
		}
	}
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b) {
		b[n] = '\0';
		*len = (size_t)n;
	}
	return b;
}

#define MAX_ROWS 128

struct row {
	char file[64], section[16], outcome[16], sha[65];
	size_t size;
};

static int split_tabs(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

int main(int argc, char **argv)
{
	char path[4096], line[2048];
	struct row rows[MAX_ROWS];
	int nrows = 0, failures = 0;
	static struct ctx c;

	if (argc != 2) {
		fprintf(stderr, "usage: %s <rfc4475-corpus-dir>\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", argv[1]);
	FILE *mf = fopen(path, "r");
	if (!mf) {
		printf("1..1\nnot ok 1 - cannot open %s\n", path);
		return 1;
	}
	int col_outcome = -1, col_size = -1, col_sha = -1, col_sec = -1;
	while (fgets(line, sizeof(line), mf) && nrows < MAX_ROWS) {
		char *f[32];
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		int nf = split_tabs(line, f, 32);
		if (col_outcome < 0) {
			/* Header row: find the columns by name. */
			for (int k = 0; k < nf; k++) {
				if (strncmp(f[k], "third_party_outcome", 19) == 0 ||
				    strcmp(f[k], "outcome") == 0)
					col_outcome = k;
				else if (strcmp(f[k], "size_bytes") == 0)
					col_size = k;
				else if (strcmp(f[k], "sha256") == 0)
					col_sha = k;
				else if (strcmp(f[k], "rfc4475_section") == 0)
					col_sec = k;
			}
			if (col_outcome < 0)
				col_outcome = nf - 1;
			continue;
		}
		struct row *r = &rows[nrows++];
		memset(r, 0, sizeof(*r));
		snprintf(r->file, sizeof(r->file), "%s", f[0]);
		if (col_sec >= 0 && col_sec < nf)
			snprintf(r->section, sizeof(r->section), "%s", f[col_sec]);
		if (col_outcome < nf)
			snprintf(r->outcome, sizeof(r->outcome), "%s", f[col_outcome]);
		if (col_sha >= 0 && col_sha < nf)
			snprintf(r->sha, sizeof(r->sha), "%s", f[col_sha]);
		if (col_size >= 0 && col_size < nf)
			r->size = (size_t)strtoul(f[col_size], NULL, 10);
	}
	fclose(mf);

	printf("1..%d\n", nrows);
	for (int i = 0; i < nrows; i++) {
		struct row *rw = &rows[i];
		const struct tcase *tc = NULL;
		size_t len = 0;
		char sha[65];
		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
			if (strcmp(cases[k].file, rw->file) == 0)
				tc = &cases[k];
		memset(&c, 0, sizeof(c));
		snprintf(path, sizeof(path), "%s/%s", argv[1], rw->file);
		char *raw = slurp(path, &len);
		if (!raw) {
			fail(&c, "cannot read %s", path);
		} else if (rw->size && len != rw->size) {
			fail(&c, "size %zu, manifest says %zu (corpus not byte-exact?)", len,
			     rw->size);
		} else if (rw->sha[0] && (sha256_hex((const uint8_t *)raw, len, sha),
					  strcmp(sha, rw->sha) != 0)) {
			fail(&c, "sha256 %s differs from the manifest", sha);
		} else if (!tc) {
			fail(&c, "no check written for this message");
		} else if (strcmp(rw->outcome, "parse") != 0 &&
			   strcmp(rw->outcome, "reject") != 0 &&
			   strcmp(rw->outcome, "semantic") != 0) {
			fail(&c, "unknown outcome \"%s\"", rw->outcome);
		} else {
			struct gbuf g = {0};
			c.buf = gplace(&g, raw, len);
			c.len = len;
			c.r = sip_parse(c.buf, c.len, &c.m, c.hdrs, MAX_HDRS, SIP_PARSE_DATAGRAM);
			tc->fn(&c);
			/* The rest of a datagram parses too (dblreq), without crashing. */
			if (c.r > 0 && (size_t)c.r < len) {
				struct sip_msg m2;
				struct sip_header h2[MAX_HDRS];
				(void)sip_parse(c.buf + c.r, len - (size_t)c.r, &m2, h2, MAX_HDRS,
						SIP_PARSE_DATAGRAM);
			}
			prefixes(&c);
			gfree(&g);
		}
		free(raw);
		if (c.failed) {
			failures++;
			printf("not ok %d - %s (%s) %s: %s\n", i + 1, rw->file, rw->section,
			       rw->outcome, c.why);
		} else if (strcmp(rw->outcome, "reject") == 0) {
			char fl[256];
			size_t o = 0;
			fl[0] = '\0';
			for (unsigned k = 0; k < c.m.n_anom && o + 2 < sizeof(fl); k++)
				o += (size_t)snprintf(fl + o, sizeof(fl) - o, "%s%s", k ? "," : "",
						      anomaly_name(c.m.anom[k]));
			if (o >= sizeof(fl))
				o = sizeof(fl) - 1;
			printf("ok %d - %s (%s) %s: returned %d, flagged %s\n", i + 1, rw->file,
			       rw->section, rw->outcome, c.r, fl);
		} else if (c.note[0]) {
			printf("ok %d - %s (%s) %s: parsed; above the parser: %s\n", i + 1,
			       rw->file, rw->section, rw->outcome, c.note);
		} else {
			printf("ok %d - %s (%s) %s\n", i + 1, rw->file, rw->section, rw->outcome);
		}
	}
	return failures ? 1 : 0;
}
