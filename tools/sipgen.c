/*
 * sipgen - a deterministic generator of realistic SIP + RTP captures.
 *
 *   sipgen [-o FILE] [--calls N] [--concurrent N] [--duration SECONDS]
 *          [--regs N] [--options N] [--rtp-pps N] [--seed N] [--start TIME]
 *          SCENARIO
 *
 * Writes a pcap file (libpcap pcap_open_dead + pcap_dump, linktype Ethernet)
 * in which every packet has correct IPv4/IPv6/UDP/TCP lengths and checksums
 * and every SIP message is valid RFC 3261 unless it is one of the
 * intentionally malformed ones. The same arguments give byte-identical
 * output: time starts at 2026-11-24T10:00:00Z (or --start) and every random
 * choice comes from a PRNG seeded by --seed (default 1).
 *
 * Scenarios (see usage() for their content):
 *   demo       register to malformed in one small (< 1 MiB) readable capture
 *   register   digest-authenticated registrations and qualify OPTIONS
 *   calls      answered (B2BUA, two legs), answered, rejected and cancelled calls
 *   tcp        one call over a TCP connection (split and coalesced messages)
 *   ipv6       one call over IPv6
 *   frag       IPv4 and IPv6 calls whose INVITE is IP-fragmented
 *   scan       a SIPVicious-style OPTIONS sweep across 20 hosts
 *   malformed  four malformed requests
 *
 * Attacks and benign look-alikes, replay captures for detection rules (the
 * comment above each scenario's function gives its addresses and times):
 *   enum             SIPVicious svwar-like REGISTER enumeration of extensions
 *                    100-159 from 203.0.113.66 with a phone's User-Agent and
 *                    no sipvicious marks; 404 for unknown users, 401 for
 *                    100, 101, 120
 *   enum-invite      the same with INVITE: 404 or 407, each ACKed
 *   crack            svcrack-like guessing of 101's password from
 *                    198.51.100.77: 40 guesses, each REGISTER -> 401 (new
 *                    nonce) -> REGISTER with a real digest -> 403; the phone
 *                    192.0.2.11 registered 101 before
 *   crack-success    the same, guess 30 is right: 200 binds 101 to the
 *                    attacker's address
 *   flood            300 INVITEs in 3 s from 203.0.113.66 to random
 *                    extensions, among 3 ordinary calls with RTP
 *   bye-hijack       a forged BYE (sniffed dialog identifiers) from
 *                    203.0.113.66 in an answered call, accepted with 200;
 *                    the call goes on
 *   bye-normal       the same call, ended at that time by the callee side
 *   cancel-hijack    a forged CANCEL from 203.0.113.66 (the ringing INVITE's
 *                    branch, as if sniffed, in a Via of its own) gets 200;
 *                    the call is answered all the same
 *   cancel-normal    the same call, cancelled by the caller: 200, 487, ACK
 *   rtp-inject       RTP from 203.0.113.66 to a caller's RTP port
 *   ssrc-change      a caller's re-INVITE, after which its SSRC changes
 *   reinvite-hijack  a re-INVITE from 203.0.113.66 with the dialog's
 *                    identifiers moves the media to 203.0.113.66:40000
 *   reinvite-normal  the caller puts the call on hold (a=sendonly)
 *   toll-fraud       198.51.100.77, never registered, calls premium and
 *                    satellite numbers with 101's stolen password after a
 *                    407; a registered phone calls 200 and a landline abroad
 *   benign-mix       10 registrations (one mistyped password), 31 calls
 *                    through the PBX (answered, 486, CANCEL; G.729 RTP),
 *                    one to a number abroad, OPTIONS every 30 s
 *   options-flood    100 OPTIONS in 5 s from 203.0.113.66 (a phone's
 *                    User-Agent), each answered 200, among the PBX's
 *                    keep-alives to two phones every 30 s
 *   register-flood   60 REGISTERs for user 100 in 5 s from 203.0.113.66
 *                    without credentials, each 401; the phone of 100
 *                    registered before
 *   exploits         from 203.0.113.66, one a second: a 5000-byte INVITE
 *                    (IP-fragmented), an INVITE with a 1500-byte Subject, a
 *                    digest username 100' OR '1'='1, a MESSAGE from
 *                    "<script>alert(1)</script>", smap's and sipsak's OPTIONS
 *   exploits-benign  the same shapes done right by a registered phone
 *   call-rate        the phone of 130 (192.0.2.20) calls 200-211 in 46 s,
 *                    each challenged and answered; another phone, 3 calls
 *   concurrent       130's password from 198.51.100.77: 6 calls at once,
 *                    20 s each (G.729 at 10 pps); 130's own phone calls
 *   unregistered-call 131's phone (192.0.2.21) registers and calls;
 *                    198.51.100.77 calls with 131's password
 *   media-move       a call whose caller re-INVITEs (from its own address)
 *                    its media to 198.51.100.200:50000; the PBX sends there
 *   timer-spread     a NOTIFY from 192.0.2.10 never answered; from 31.9 s
 *                    to 32.1 s non-SIP UDP from 192.0.2.30 every 5 ms; at
 *                    32.050001 s an OPTIONS from 203.0.113.66 (User-Agent
 *                    friendly-scanner)
 *
 *   bench      --calls calls, --concurrent at once, --duration each, with RTP
 *              at --rtp-pps per stream, --regs registrations, --options
 *              keep-alives; streamed in time order (a heap of actors over
 *              precomputed RTP frames), millions of packets per second
 *
 * The small scenarios are built in memory and sorted by time; each draws its
 * random numbers from its own stream (seed + scenario name), so a scenario
 * alone holds the same messages as its part of the demo, shifted in time.
 *
 * Addresses are from RFC 5737 / RFC 3849 only: PBX 192.0.2.5 and
 * 2001:db8::5, phones 192.0.2.10-.30 and 2001:db8::10-.20, media servers
 * 192.0.2.5-.9 (bench), router 192.0.2.1, attackers 203.0.113.66 and
 * 198.51.100.77 (and 198.51.100.200, media-move's new media address). The
 * digest realm is "sipwire.test".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USEC    1ULL
#define MSEC    1000ULL
#define SEC     1000000ULL

#define ETH_HLEN      14
#define FRAME_MAX     1514
#define MTU_DEFAULT   1500
#define TOS_SIP       0x68 /* AF31 */
#define TOS_RTP       0xb8 /* EF */
#define IPPROTO_UDP_  17
#define IPPROTO_TCP_  6
#define IPPROTO_FRAG6 44

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MSG_MAX 16384
#define RTP_PAYLOAD_MAX 1000
#define RTP_FRAME_MAX (ETH_HLEN + 40 + 8 + 12 + RTP_PAYLOAD_MAX)

static const char *const ALLOW =
	"INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, MESSAGE, UPDATE";
static const char *const PBX_UA = "Asterisk PBX 20.5.2";
static const char *const REALM = "sipwire.test";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("sipgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q)
		die("out of memory (%zu bytes)", n);
	return q;
}

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64, one stream per scenario / call          */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_next(r) % (hi - lo + 1);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

/* A stream of its own for (seed, name, index). */
static struct rng rng_for(uint64_t seed, const char *name, uint64_t idx)
{
	struct rng r = { hash_str(0xcbf29ce484222325ULL ^ seed, name) ^ (idx * 0x9e3779b97f4a7c15ULL) };
	rng_next(&r);
	return r;
}

/* ------------------------------------------------------------------ */
/* Bytes and checksums                                                 */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One's complement sum of n bytes as big-endian 16-bit words (odd tail padded). */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t s = sum;
	size_t i;
	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		s += (uint32_t)p[i] << 8;
	while (s >> 32)
		s = (s & 0xffffffffULL) + (s >> 32);
	return (uint32_t)s;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* ------------------------------------------------------------------ */
/* Endpoints                                                           */

struct ep {
	uint8_t v; /* 4 or 6 */
	uint8_t ip[16];
	uint8_t mac[6];
	uint16_t port;
};

/* Hosts on the PBX's segment have their own MAC; others come through the router. */
static void ep_set_mac(struct ep *e)
{
	static const uint8_t net4[3] = { 192, 0, 2 };
	static const uint8_t net6[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0 };
	uint8_t ip[16];
	uint64_t h = 0xcbf29ce484222325ULL;
	int n = e->v == 4 ? 4 : 16;

	memcpy(ip, e->ip, 16);
	if (!(e->v == 4 ? memcmp(ip, net4, 3) == 0 : memcmp(ip, net6, 8) == 0)) {
		memset(ip, 0, 16);
		if (e->v == 4) {
			memcpy(ip, net4, 3);
			ip[3] = 1;
		} else {
			memcpy(ip, net6, 8);
			ip[15] = 1;
		}
	}
	for (int i = 0; i < n; i++)
		h = (h ^ ip[i]) * 0x100000001b3ULL;
	e->mac[0] = 0x02; /* locally administered, unicast */
	for (int i = 1; i < 6; i++)
		e->mac[i] = (uint8_t)(h >> (8 * i));
}

static struct ep mk_ep(const char *ip, uint16_t port)
{
	struct ep e;
	memset(&e, 0, sizeof(e));
	if (inet_pton(AF_INET, ip, e.ip) == 1) {
		e.v = 4;
	} else if (inet_pton(AF_INET6, ip, e.ip) == 1) {
		e.v = 6;
	} else {
		die("bad address %s", ip);
	}
	e.port = port;
	ep_set_mac(&e);
	return e;
}

static struct ep ep4_octet(unsigned last, uint16_t port)
{
	char b[20];
	snprintf(b, sizeof(b), "192.0.2.%u", last);
	return mk_ep(b, port);
}

/* "192.0.2.10" or "[2001:db8::10]" */
static const char *ep_host(const struct ep *e, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN];
	inet_ntop(e->v == 4 ? AF_INET : AF_INET6, e->ip, a, sizeof(a));
	snprintf(out, cap, e->v == 4 ? "%s" : "[%s]", a);
	return out;
}

/* Address without brackets (SDP c=/o= lines). */
static const char *ep_addr(const struct ep *e, char *out, size_t cap)
{
	inet_ntop(e->v == 4 ? AF_INET : AF_INET6, e->ip, out, (socklen_t)cap);
	return out;
}

static const char *ep_hostport(const struct ep *e, char *out, size_t cap)
{
	char h[64];
	snprintf(out, cap, "%s:%u", ep_host(e, h, sizeof(h)), e->port);
	return out;
}

/* ------------------------------------------------------------------ */
/* Output: direct (time-ordered) or collected and sorted               */

struct pkt {
	uint64_t t, seq;
	size_t off;
	uint32_t len;
};

struct gen {
	uint64_t seed;
	uint64_t start; /* microseconds since the epoch */
	unsigned pps;
	FILE *fp;
	pcap_t *pd;
	pcap_dumper_t *dump;
	int collect;
	struct pkt *pk;
	size_t npk, cappk;
	uint8_t *arena;
	size_t alen, acap;
	uint64_t seq, last_t, first_t, n_written;
	uint16_t ipid;
	uint32_t frag6_id;
	uint8_t frame[FRAME_MAX + 64];
	uint8_t dgram[70000];
	/* counters for the summary line */
	uint64_t n_pkts, n_bytes, n_sip, n_rtp, n_rtcp, n_tcp, n_frags, n_late;
	uint64_t n_calls, n_answered, n_regs, n_options, n_malformed, max_active;
};

static void write_pkt(struct gen *g, uint64_t t, const uint8_t *f, size_t len)
{
	struct pcap_pkthdr h;
	if (t < g->last_t) {
		g->n_late++; /* a bug: the stream must be time-ordered */
		t = g->last_t;
	}
	if (!g->n_written++)
		g->first_t = t;
	g->last_t = t;
	h.ts.tv_sec = (time_t)(t / SEC);
	h.ts.tv_usec = (suseconds_t)(t % SEC);
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)g->dump, &h, f);
}

/* Every frame goes through here. */
static void emit(struct gen *g, uint64_t t, const uint8_t *f, size_t len)
{
	g->n_bytes += len;
	if (!g->collect) {
		write_pkt(g, t, f, len);
		g->n_pkts++;
		return;
	}
	g->n_pkts++;
	if (g->npk == g->cappk) {
		g->cappk = g->cappk ? g->cappk * 2 : 4096;
		g->pk = xrealloc(g->pk, g->cappk * sizeof(*g->pk));
	}
	if (g->alen + len > g->acap) {
		while (g->alen + len > g->acap)
			g->acap = g->acap ? g->acap * 2 : (1 << 20);
		g->arena = xrealloc(g->arena, g->acap);
	}
	memcpy(g->arena + g->alen, f, len);
	g->pk[g->npk].t = t;
	g->pk[g->npk].seq = g->seq++;
	g->pk[g->npk].off = g->alen;
	g->pk[g->npk].len = (uint32_t)len;
	g->npk++;
	g->alen += len;
}

static int pkt_cmp(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts the collected packets by time (stable by emission order) and writes them. */
static void flush_collected(struct gen *g)
{
	qsort(g->pk, g->npk, sizeof(*g->pk), pkt_cmp);
	for (size_t i = 0; i < g->npk; i++)
		write_pkt(g, g->pk[i].t, g->arena + g->pk[i].off, g->pk[i].len);
	free(g->pk);
	free(g->arena);
	g->pk = NULL;
	g->arena = NULL;
	g->npk = g->alen = 0;
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */

static size_t put_eth(uint8_t *f, const struct ep *s, const struct ep *d)
{
	memcpy(f, d->mac, 6);
	memcpy(f + 6, s->mac, 6);
	put16(f + 12, s->v == 4 ? 0x0800 : 0x86dd);
	return ETH_HLEN;
}

static void put_ip4(uint8_t *h, const struct ep *s, const struct ep *d, uint8_t proto,
                    uint16_t total, uint16_t id, uint16_t frag, uint8_t tos)
{
	h[0] = 0x45;
	h[1] = tos;
	put16(h + 2, total);
	put16(h + 4, id);
	put16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	h[10] = h[11] = 0;
	memcpy(h + 12, s->ip, 4);
	memcpy(h + 16, d->ip, 4);
	put16(h + 10, csum_fold(csum_add(0, h, 20)));
}

static void put_ip6(uint8_t *h, const struct ep *s, const struct ep *d, uint8_t nh,
                    uint16_t plen, uint8_t tclass)
{
	put32(h, 0x60000000u | (uint32_t)tclass << 20);
	put16(h + 4, plen);
	h[6] = nh;
	h[7] = 64;
	memcpy(h + 8, s->ip, 16);
	memcpy(h + 24, d->ip, 16);
}

/* Sum of the TCP/UDP pseudo-header. */
static uint32_t pseudo_sum(const struct ep *s, const struct ep *d, uint8_t proto, uint32_t len)
{
	uint8_t ph[40];
	uint32_t sum;
	if (s->v == 4) {
		sum = csum_add(0, s->ip, 4);
		sum = csum_add(sum, d->ip, 4);
		ph[0] = 0;
		ph[1] = proto;
		put16(ph + 2, (uint16_t)len);
		return csum_add(sum, ph, 4);
	}
	sum = csum_add(0, s->ip, 16);
	sum = csum_add(sum, d->ip, 16);
	put32(ph, len);
	ph[4] = ph[5] = ph[6] = 0;
	ph[7] = proto;
	return csum_add(sum, ph, 8);
}

/*
 * Sends an IP packet carrying payload (a whole UDP datagram or TCP
 * segment), fragmented to mtu when it does not fit (never for TCP: df).
 */
static void send_ip(struct gen *g, uint64_t t, const struct ep *s, const struct ep *d,
                    uint8_t proto, const uint8_t *pl, size_t plen, uint8_t tos, unsigned mtu,
                    int df)
{
	uint8_t *f = g->frame;
	size_t hl = s->v == 4 ? 20 : 40;

	if (hl + plen <= mtu) {
		size_t o = put_eth(f, s, d);
		if (s->v == 4)
			put_ip4(f + o, s, d, proto, (uint16_t)(hl + plen), g->ipid++, df ? 0x4000 : 0, tos);
		else
			put_ip6(f + o, s, d, proto, (uint16_t)plen, tos);
		memcpy(f + o + hl, pl, plen);
		emit(g, t, f, o + hl + plen);
		return;
	}
	if (df)
		die("internal: %zu-byte segment does not fit the MTU", plen);
	if (s->v == 4) {
		size_t chunk = (mtu - 20) & ~(size_t)7;
		uint16_t id = g->ipid++;
		for (size_t off = 0; off < plen; off += chunk) {
			size_t n = plen - off < chunk ? plen - off : chunk;
			int more = off + n < plen;
			size_t o = put_eth(f, s, d);
			put_ip4(f + o, s, d, proto, (uint16_t)(20 + n), id,
			        (uint16_t)((off / 8) | (more ? 0x2000 : 0)), tos);
			memcpy(f + o + 20, pl + off, n);
			emit(g, t, f, o + 20 + n);
			g->n_frags++;
			t += 12;
		}
	} else {
		size_t chunk = (mtu - 48) & ~(size_t)7;
		uint32_t id = g->frag6_id++;
		for (size_t off = 0; off < plen; off += chunk) {
			size_t n = plen - off < chunk ? plen - off : chunk;
			int more = off + n < plen;
			size_t o = put_eth(f, s, d);
			uint8_t *fh = f + o + 40;
			put_ip6(f + o, s, d, IPPROTO_FRAG6, (uint16_t)(8 + n), tos);
			fh[0] = proto;
			fh[1] = 0;
			put16(fh + 2, (uint16_t)(off | (more ? 1 : 0)));
			put32(fh + 4, id);
			memcpy(fh + 8, pl + off, n);
			emit(g, t, f, o + 48 + n);
			g->n_frags++;
			t += 12;
		}
	}
}

static void send_udp(struct gen *g, uint64_t t, const struct ep *s, const struct ep *d,
                     const void *data, size_t len, uint8_t tos, unsigned mtu)
{
	uint8_t *u = g->dgram;
	size_t ulen = 8 + len;
	uint16_t c;
	if (ulen > 65507)
		die("internal: datagram too large");
	put16(u, s->port);
	put16(u + 2, d->port);
	put16(u + 4, (uint16_t)ulen);
	put16(u + 6, 0);
	memcpy(u + 8, data, len);
	c = csum_fold(csum_add(pseudo_sum(s, d, IPPROTO_UDP_, (uint32_t)ulen), u, ulen));
	put16(u + 6, c ? c : 0xffff);
	send_ip(g, t, s, d, IPPROTO_UDP_, u, ulen, tos, mtu ? mtu : MTU_DEFAULT, 0);
}

/* A TCP connection: ep[0] is the client; nxt[i] is the next sequence number side i sends. */
struct tcpc {
	struct ep ep[2];
	uint32_t nxt[2];
};

static void tcp_seg(struct gen *g, uint64_t t, struct tcpc *c, int dir, uint8_t flags,
                    const void *data, size_t len)
{
	uint8_t *s = g->dgram;
	size_t hl = flags & TH_SYN ? 24 : 20;
	const struct ep *src = &c->ep[dir], *dst = &c->ep[!dir];
	uint16_t ck;

	put16(s, src->port);
	put16(s + 2, dst->port);
	put32(s + 4, c->nxt[dir]);
	put32(s + 8, flags & TH_ACK ? c->nxt[!dir] : 0);
	s[12] = (uint8_t)((hl / 4) << 4);
	s[13] = flags;
	put16(s + 14, 64240);
	put16(s + 16, 0);
	put16(s + 18, 0);
	if (flags & TH_SYN) {
		s[20] = 2; /* MSS 1460 */
		s[21] = 4;
		put16(s + 22, 1460);
	}
	if (len)
		memcpy(s + hl, data, len);
	ck = csum_fold(csum_add(pseudo_sum(src, dst, IPPROTO_TCP_, (uint32_t)(hl + len)), s, hl + len));
	put16(s + 16, ck);
	send_ip(g, t, src, dst, IPPROTO_TCP_, s, hl + len, TOS_SIP, MTU_DEFAULT, 1);
	c->nxt[dir] += (uint32_t)len + (flags & (TH_SYN | TH_FIN) ? 1 : 0);
	g->n_tcp++;
}

/* Data in MSS-sized segments, PSH on the last; returns the time after the last. */
static uint64_t tcp_send(struct gen *g, uint64_t t, struct tcpc *c, int dir, const void *data,
                         size_t len)
{
	const uint8_t *p = data;
	while (len) {
		size_t n = len > 1460 ? 1460 : len;
		tcp_seg(g, t, c, dir, (uint8_t)(TH_ACK | (n == len ? TH_PSH : 0)), p, n);
		p += n;
		len -= n;
		t += 30;
	}
	return t;
}

/* ------------------------------------------------------------------ */
/* RTP and RTCP                                                        */

/*
 * One RTP stream: a frame template (Ethernet, IP, UDP, RTP header, PCMU
 * payload) whose per-packet fields (IP id, RTP sequence and timestamp,
 * marker) are patched in place, the checksums updated incrementally from
 * sums precomputed with those fields at zero. No allocation per packet.
 */
struct rtp {
	uint8_t f[RTP_FRAME_MAX];
	uint16_t len, ip_off, udp_off, rtp_off;
	uint8_t v, marker, pt;
	uint16_t seq, ipid;
	uint32_t ts, ssrc, samples, pl_len;
	uint32_t ip_sum, udp_sum;
	uint32_t jit;     /* xorshift32 state for capture-time jitter */
	uint32_t k;       /* index of the next packet */
	uint64_t t0, t_end, interval_num;
	uint32_t pps;
	uint64_t pkts, octets;
};

#define PT_PCMU 0
#define PT_G729 18

/* Stream of payload type pt: PT_PCMU (one byte per sample) or PT_G729 (one per 8). */
static void rtp_init_pt(struct rtp *r, const struct ep *s, const struct ep *d, uint64_t seed,
                        unsigned pps, uint8_t pt)
{
	struct rng rr = { seed };
	uint8_t *f = r->f, *u, *h;
	size_t o, hl = s->v == 4 ? 20 : 40;

	rng_next(&rr);
	memset((uint8_t *)r + sizeof(r->f), 0, sizeof(*r) - sizeof(r->f));
	r->pps = pps;
	r->pt = pt;
	r->samples = 8000 / pps;
	r->pl_len = pt == PT_G729 ? r->samples / 8 : r->samples;
	r->v = s->v;
	r->seq = (uint16_t)rng_next(&rr);
	r->ts = (uint32_t)rng_next(&rr);
	r->ssrc = (uint32_t)rng_next(&rr);
	r->ipid = (uint16_t)rng_next(&rr);
	r->jit = (uint32_t)rng_next(&rr) | 1;
	r->marker = 1;

	o = put_eth(f, s, d);
	r->ip_off = (uint16_t)o;
	r->udp_off = (uint16_t)(o + hl);
	r->rtp_off = (uint16_t)(o + hl + 8);
	r->len = (uint16_t)(o + hl + 8 + 12 + r->pl_len);
	if (s->v == 4) {
		put_ip4(f + o, s, d, IPPROTO_UDP_, (uint16_t)(hl + 8 + 12 + r->pl_len), 0, 0x4000,
		        TOS_RTP);
		put16(f + o + 10, 0);
		r->ip_sum = csum_add(0, f + o, 20);
	} else {
		put_ip6(f + o, s, d, IPPROTO_UDP_, (uint16_t)(8 + 12 + r->pl_len), TOS_RTP);
	}
	u = f + r->udp_off;
	put16(u, s->port);
	put16(u + 2, d->port);
	put16(u + 4, (uint16_t)(8 + 12 + r->pl_len));
	put16(u + 6, 0);
	h = f + r->rtp_off;
	h[0] = 0x80; /* V=2 */
	h[1] = pt;   /* the marker (0x80) is patched per packet: the sum takes it as + 0x80 */
	put16(h + 2, 0);
	put32(h + 4, 0);
	put32(h + 8, r->ssrc);
	/* Low-level noise around mu-law silence (0xff / 0x7f); G.729 frames are just bytes. */
	for (uint32_t i = 0; i < r->pl_len; i++) {
		uint64_t x = rng_next(&rr);
		h[12 + i] = pt == PT_G729 ? (uint8_t)(x >> 16)
		                          : (uint8_t)((x & 1 ? 0xf8 : 0x78) | ((x >> 8) & 7));
	}
	r->udp_sum = csum_add(pseudo_sum(s, d, IPPROTO_UDP_, 8 + 12 + r->pl_len), u,
	                      8 + 12 + r->pl_len);
}

static void rtp_init(struct rtp *r, const struct ep *s, const struct ep *d, uint64_t seed,
                     unsigned pps)
{
	rtp_init_pt(r, s, d, seed, pps, PT_PCMU);
}

/* Capture time of packet k: nominal spacing plus up to 1/8 of it (max 400 us) of jitter. */
static uint64_t rtp_time(struct rtp *r, uint32_t k)
{
	uint64_t iv = SEC / r->pps, jmax = iv / 8 < 400 ? iv / 8 : 400;
	r->jit ^= r->jit << 13;
	r->jit ^= r->jit >> 17;
	r->jit ^= r->jit << 5;
	return r->t0 + (uint64_t)k * SEC / r->pps + (jmax ? r->jit % jmax : 0);
}

static void rtp_emit(struct gen *g, struct rtp *r, uint64_t t)
{
	uint8_t *h = r->f + r->rtp_off;
	uint32_t us = r->udp_sum;
	uint16_t c;

	h[1] = (uint8_t)((r->marker ? 0x80 : 0x00) | r->pt);
	put16(h + 2, r->seq);
	put32(h + 4, r->ts);
	us += (uint32_t)r->seq + (r->ts >> 16) + (r->ts & 0xffff) + (r->marker ? 0x80u : 0u);
	c = csum_fold(us);
	put16(r->f + r->udp_off + 6, c ? c : 0xffff);
	if (r->v == 4) {
		put16(r->f + r->ip_off + 4, r->ipid);
		put16(r->f + r->ip_off + 10, csum_fold(r->ip_sum + r->ipid));
	}
	emit(g, t, r->f, r->len);
	r->marker = 0;
	r->seq++;
	r->ts += r->samples;
	r->ipid++;
	r->pkts++;
	r->octets += r->pl_len;
	g->n_rtp++;
}

/* RTCP sender report + SDES CNAME for stream r, from s (RTP port + 1) to d (+ 1). */
static void rtcp_sr(struct gen *g, uint64_t t, const struct rtp *r, const struct ep *s,
                    const struct ep *d, const char *cname)
{
	uint8_t b[128];
	struct ep s1 = *s, d1 = *d;
	size_t cl = strlen(cname), sl, n;
	uint64_t ntp_sec = t / SEC + 2208988800ULL;
	uint64_t ntp_frac = ((t % SEC) << 32) / SEC;

	s1.port++;
	d1.port++;
	b[0] = 0x80;
	b[1] = 200;
	put16(b + 2, 6);
	put32(b + 4, r->ssrc);
	put32(b + 8, (uint32_t)ntp_sec);
	put32(b + 12, (uint32_t)ntp_frac);
	put32(b + 16, r->ts);
	put32(b + 20, (uint32_t)r->pkts);
	put32(b + 24, (uint32_t)r->octets);
	n = 28;
	if (cl > 60)
		cl = 60;
	sl = 4 + 2 + cl + 1;         /* SSRC, CNAME item, END */
	sl = (sl + 3) & ~(size_t)3; /* padded to 32 bits with END (zero) octets */
	memset(b + n, 0, 4 + sl);
	b[n] = 0x81;
	b[n + 1] = 202;
	put16(b + n + 2, (uint16_t)(sl / 4));
	put32(b + n + 4, r->ssrc);
	b[n + 8] = 1;
	b[n + 9] = (uint8_t)cl;
	memcpy(b + n + 10, cname, cl);
	n += 4 + sl;
	send_udp(g, t, &s1, &d1, b, n, TOS_RTP, 0);
	g->n_rtcp++;
}

/* ------------------------------------------------------------------ */
/* Text                                                                */

struct sb {
	char *p;
	size_t len, cap;
};

static void sb_init(struct sb *s, char *buf, size_t cap)
{
	s->p = buf;
	s->len = 0;
	s->cap = cap;
	buf[0] = '\0';
}

static void sb_mem(struct sb *s, const void *m, size_t n)
{
	if (s->len + n + 1 > s->cap)
		die("internal: message longer than %zu bytes", s->cap);
	memcpy(s->p + s->len, m, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void sb_str(struct sb *s, const char *str)
{
	sb_mem(s, str, strlen(str));
}

static void sb_printf(struct sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= s->cap - s->len)
		die("internal: message longer than %zu bytes", s->cap);
	s->len += (size_t)n;
}

/* Content-Type (when there is a body), the exact Content-Length, the blank line and the body. */
static void sb_body(struct sb *s, const char *ctype, const char *body)
{
	size_t bl = body ? strlen(body) : 0;
	if (bl)
		sb_printf(s, "Content-Type: %s\r\n", ctype);
	sb_printf(s, "Content-Length: %zu\r\n\r\n", bl);
	if (bl)
		sb_mem(s, body, bl);
}

static void md5_hex(const char *in, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!EVP_Digest(in, strlen(in), md, &n, EVP_md5(), NULL) || n != 16)
		die("MD5 failed (OpenSSL EVP)");
	for (unsigned i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* RFC 2617 digest response with qop=auth. */
static void digest_response(const char *user, const char *pass, const char *method,
                            const char *uri, const char *nonce, const char *nc,
                            const char *cnonce, char out[33])
{
	char buf[512], ha1[33], ha2[33];
	snprintf(buf, sizeof(buf), "%s:%s:%s", user, REALM, pass);
	md5_hex(buf, ha1);
	snprintf(buf, sizeof(buf), "%s:%s", method, uri);
	md5_hex(buf, ha2);
	snprintf(buf, sizeof(buf), "%s:%s:%s:%s:auth:%s", ha1, nonce, nc, cnonce, ha2);
	md5_hex(buf, out);
}

static void http_date(uint64_t t, char *out, size_t cap)
{
	time_t s = (time_t)(t / SEC);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* ------------------------------------------------------------------ */
/* Dialogs and their messages                                          */

struct party {
	struct ep sig;   /* signalling address */
	struct ep media; /* RTP address; RTCP is port + 1 */
	char user[24];
	const char *display; /* NULL: none */
	const char *ua;
	uint8_t server; /* a PBX: answers with Server:, SDP without a user */
};

struct dlg {
	struct party p[2]; /* p[0] sends the INVITE */
	const char *domain; /* host part of the From/To URIs */
	char ruri[80];      /* Request-URI of the INVITE */
	struct tcpc *tc;    /* TCP connection (p[0] is its client), NULL: UDP */
	uint16_t mtu;
	uint64_t cid, tag[2]; /* tag[0]: caller's From tag, tag[1]: callee's To tag */
	uint32_t cseq[2], inv_cseq, sess[2];
	uint64_t br_inv;
	struct rng r;
	const char *cid_host; /* host part of the Call-ID; NULL: p[0]'s signalling address */
};

/* A request sent, as its responses need it. */
struct req {
	uint64_t branch;
	uint32_t cseq;
	int dir; /* sender: 0 p[0], 1 p[1] */
	const char *method;
};

static struct party mk_party(const char *user, const char *display, const char *ip,
                             uint16_t sport, uint16_t mport, const char *ua, int server)
{
	struct party p;
	memset(&p, 0, sizeof(p));
	p.sig = mk_ep(ip, sport);
	p.media = mk_ep(ip, mport);
	snprintf(p.user, sizeof(p.user), "%s", user);
	p.display = display;
	p.ua = ua;
	p.server = (uint8_t)server;
	return p;
}

static void d_init(struct dlg *d, uint64_t seed)
{
	d->r.s = seed;
	rng_next(&d->r);
	d->cid = rng_next(&d->r);
	d->tag[0] = rng_next(&d->r);
	d->tag[1] = rng_next(&d->r);
	d->cseq[0] = (uint32_t)rng_range(&d->r, 1, 30000);
	d->cseq[1] = (uint32_t)rng_range(&d->r, 1, 30000);
	d->sess[0] = (uint32_t)rng_range(&d->r, 100000, 999999999);
	d->sess[1] = (uint32_t)rng_range(&d->r, 100000, 999999999);
	if (!d->domain)
		d->domain = "192.0.2.5";
	if (!d->ruri[0])
		snprintf(d->ruri, sizeof(d->ruri), "sip:%s@%s", d->p[1].user, d->domain);
}

static void name_addr(char *out, size_t cap, const struct party *p, const char *domain)
{
	if (p->display)
		snprintf(out, cap, "\"%s\" <sip:%s@%s>", p->display, p->user, domain);
	else
		snprintf(out, cap, "<sip:%s@%s>", p->user, domain);
}

static void contact_uri(char *out, size_t cap, const struct party *p, int tcp)
{
	char hp[80];
	snprintf(out, cap, "sip:%s@%s%s", p->user, ep_hostport(&p->sig, hp, sizeof(hp)),
	         tcp ? ";transport=tcp" : "");
}

/* From, To and Call-ID of a message whose request was sent by side from. */
static void d_ids(struct sb *s, const struct dlg *d, int from, int to_tag)
{
	char na[160], h[64];
	name_addr(na, sizeof(na), &d->p[from], d->domain);
	sb_printf(s, "From: %s;tag=%010" PRIx64 "\r\n", na, d->tag[from] >> 24);
	name_addr(na, sizeof(na), &d->p[!from], d->domain);
	if (to_tag)
		sb_printf(s, "To: %s;tag=%010" PRIx64 "\r\n", na, d->tag[!from] >> 24);
	else
		sb_printf(s, "To: %s\r\n", na);
	if (d->cid_host)
		snprintf(h, sizeof(h), "%s", d->cid_host);
	else
		ep_addr(&d->p[0].sig, h, sizeof(h));
	sb_printf(s, "Call-ID: %016" PRIx64 "@%s\r\n", d->cid, h);
}

static size_t d_request(const struct dlg *d, char *out, const struct req *q, const char *ruri,
                        int to_tag, const char *extra, const char *ctype, const char *body)
{
	const struct party *me = &d->p[q->dir];
	char hp[80], cu[128];
	struct sb s;
	sb_init(&s, out, MSG_MAX);
	sb_printf(&s, "%s %s SIP/2.0\r\n", q->method, ruri);
	sb_printf(&s, "Via: SIP/2.0/%s %s;branch=z9hG4bK%016" PRIx64 ";rport\r\n",
	          d->tc ? "TCP" : "UDP", ep_hostport(&me->sig, hp, sizeof(hp)), q->branch);
	sb_str(&s, "Max-Forwards: 70\r\n");
	d_ids(&s, d, q->dir, to_tag);
	sb_printf(&s, "CSeq: %u %s\r\n", q->cseq, q->method);
	if (strcmp(q->method, "INVITE") == 0) {
		contact_uri(cu, sizeof(cu), me, d->tc != NULL);
		sb_printf(&s, "Contact: <%s>\r\n", cu);
	}
	sb_printf(&s, "User-Agent: %s\r\n", me->ua);
	if (extra)
		sb_str(&s, extra);
	sb_body(&s, ctype, body);
	return s.len;
}

static size_t d_response(const struct dlg *d, char *out, const struct req *q, int code,
                         const char *reason, int to_tag, int contact, const char *extra,
                         const char *ctype, const char *body)
{
	const struct party *rq = &d->p[q->dir], *me = &d->p[!q->dir];
	char hp[80], cu[128];
	struct sb s;
	sb_init(&s, out, MSG_MAX);
	sb_printf(&s, "SIP/2.0 %d %s\r\n", code, reason);
	sb_printf(&s, "Via: SIP/2.0/%s %s;branch=z9hG4bK%016" PRIx64 ";rport=%u\r\n",
	          d->tc ? "TCP" : "UDP", ep_hostport(&rq->sig, hp, sizeof(hp)), q->branch,
	          rq->sig.port);
	d_ids(&s, d, q->dir, to_tag);
	sb_printf(&s, "CSeq: %u %s\r\n", q->cseq, q->method);
	if (contact) {
		contact_uri(cu, sizeof(cu), me, d->tc != NULL);
		sb_printf(&s, "Contact: <%s>\r\n", cu);
	}
	sb_printf(&s, "%s: %s\r\n", me->server ? "Server" : "User-Agent", me->ua);
	if (extra)
		sb_str(&s, extra);
	sb_body(&s, ctype, body);
	return s.len;
}

static void d_send(struct gen *g, uint64_t t, struct dlg *d, int dir, const char *m, size_t len)
{
	g->n_sip++;
	if (d->tc)
		tcp_send(g, t, d->tc, dir, m, len);
	else
		send_udp(g, t, &d->p[dir].sig, &d->p[!dir].sig, m, len, TOS_SIP, d->mtu);
}

static const char *const INV_EXTRA =
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, MESSAGE, UPDATE\r\n"
	"Supported: replaces, timer\r\n";

/* An initial INVITE from p[0] with headers extra (INV_EXTRA and more); not counted as a call. */
static struct req d_invite_x(struct gen *g, uint64_t t, struct dlg *d, const char *sdp,
                             const char *extra)
{
	char m[MSG_MAX];
	struct req q = { rng_next(&d->r), ++d->cseq[0], 0, "INVITE" };
	size_t n;
	d->br_inv = q.branch;
	d->inv_cseq = q.cseq;
	n = d_request(d, m, &q, d->ruri, 0, extra, "application/sdp", sdp);
	d_send(g, t, d, 0, m, n);
	return q;
}

static struct req d_invite(struct gen *g, uint64_t t, struct dlg *d, const char *sdp)
{
	struct req q = d_invite_x(g, t, d, sdp, INV_EXTRA);
	g->n_calls++;
	return q;
}

/* A response to q from the other side. The To tag is left out of 100 Trying only. */
static void d_reply(struct gen *g, uint64_t t, struct dlg *d, const struct req *q, int code,
                    const char *reason, const char *sdp)
{
	char m[MSG_MAX];
	int inv = strcmp(q->method, "INVITE") == 0;
	size_t n = d_response(d, m, q, code, reason, code != 100, inv && code > 100 && code < 300,
	                      inv && code >= 200 && code < 300 ? INV_EXTRA : NULL,
	                      "application/sdp", sdp);
	d_send(g, t, d, !q->dir, m, n);
	if (inv && code >= 200 && code < 300)
		g->n_answered++;
}

/* ACK of the INVITE: in a new transaction for a 2xx, in the INVITE's otherwise. */
static void d_ack(struct gen *g, uint64_t t, struct dlg *d, int ok)
{
	char m[MSG_MAX], ru[128];
	struct req q = { ok ? rng_next(&d->r) : d->br_inv, d->inv_cseq, 0, "ACK" };
	size_t n;
	if (ok)
		contact_uri(ru, sizeof(ru), &d->p[1], d->tc != NULL);
	else
		snprintf(ru, sizeof(ru), "%s", d->ruri);
	n = d_request(d, m, &q, ru, 1, NULL, NULL, NULL);
	d_send(g, t, d, 0, m, n);
}

static struct req d_bye(struct gen *g, uint64_t t, struct dlg *d, int dir)
{
	char m[MSG_MAX], ru[128];
	struct req q = { rng_next(&d->r), ++d->cseq[dir], dir, "BYE" };
	size_t n;
	contact_uri(ru, sizeof(ru), &d->p[!dir], d->tc != NULL);
	n = d_request(d, m, &q, ru, 1, "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n",
	              NULL, NULL);
	d_send(g, t, d, dir, m, n);
	return q;
}

static struct req d_cancel(struct gen *g, uint64_t t, struct dlg *d)
{
	char m[MSG_MAX];
	struct req q = { d->br_inv, d->inv_cseq, 0, "CANCEL" };
	size_t n = d_request(d, m, &q, d->ruri, 0, NULL, NULL, NULL);
	d_send(g, t, d, 0, m, n);
	return q;
}

/*
 * An audio offer (codec first, then PCMU, PCMA, telephone-event) or answer
 * (codec, telephone-event) of session version ver, direction dir
 * ("sendrecv", "sendonly", ...); codec is PT_PCMU or PT_G729.
 */
static void sdp_audio(char *out, size_t cap, const struct party *p, uint32_t sess, uint32_t ver,
                      int answer, unsigned pps, int codec, const char *dir)
{
	char a[64];
	const char *ipv = p->media.v == 4 ? "IP4" : "IP6";
	const char *g729 = codec == PT_G729 ? "a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n" : "";
	struct sb s;
	ep_addr(&p->media, a, sizeof(a));
	sb_init(&s, out, cap);
	sb_str(&s, "v=0\r\n");
	sb_printf(&s, "o=%s %u %u IN %s %s\r\n", p->server ? "-" : p->user, sess, ver, ipv, a);
	sb_printf(&s, "s=%s\r\n", p->server ? "Asterisk" : "SIP Call");
	sb_printf(&s, "c=IN %s %s\r\n", ipv, a);
	sb_str(&s, "t=0 0\r\n");
	if (answer) {
		sb_printf(&s, "m=audio %u RTP/AVP %d 101\r\n", p->media.port, codec);
		sb_str(&s, codec == PT_G729 ? g729 : "a=rtpmap:0 PCMU/8000\r\n");
	} else {
		sb_printf(&s, "m=audio %u RTP/AVP %s0 8 101\r\n", p->media.port,
		          codec == PT_G729 ? "18 " : "");
		sb_printf(&s, "%sa=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n", g729);
	}
	sb_str(&s, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n");
	sb_printf(&s, "a=ptime:%u\r\n", pps ? 1000 / pps : 20);
	sb_printf(&s, "a=%s\r\n", dir);
}

/* A plain audio offer (PCMU, PCMA, telephone-event) or answer (PCMU, telephone-event). */
static void sdp_basic(char *out, size_t cap, const struct party *p, uint32_t sess, int answer,
                      unsigned pps)
{
	sdp_audio(out, cap, p, sess, sess, answer, pps, PT_PCMU, "sendrecv");
}

/*
 * A softphone's offer with ICE candidates, several codecs and video: the
 * kind of INVITE that outgrows the MTU and gets fragmented.
 */
static void sdp_ice(char *out, size_t cap, const struct party *p, uint32_t sess, struct rng *r,
                    const char *srflx, unsigned pps)
{
	char a[64];
	const char *ipv = p->media.v == 4 ? "IP4" : "IP6";
	unsigned ap = p->media.port, vp = p->media.port + 2;
	struct sb s;
	uint64_t u = rng_next(r), pw1 = rng_next(r), pw2 = rng_next(r);

	ep_addr(&p->media, a, sizeof(a));
	sb_init(&s, out, cap);
	sb_str(&s, "v=0\r\n");
	sb_printf(&s, "o=%s %u %u IN %s %s\r\n", p->user, sess, sess, ipv, a);
	sb_str(&s, "s=Talk\r\n");
	sb_printf(&s, "c=IN %s %s\r\n", ipv, a);
	sb_str(&s, "t=0 0\r\n");
	sb_str(&s, "a=msid-semantic: WMS *\r\n");
	sb_printf(&s, "a=ice-ufrag:%08" PRIx64 "\r\na=ice-pwd:%016" PRIx64 "%08" PRIx64 "\r\n",
	          u >> 32, pw1, pw2 >> 32);
	sb_printf(&s, "m=audio %u RTP/AVP 96 9 0 8 18 97 98 101\r\n", ap);
	sb_printf(&s, "a=rtcp:%u IN %s %s\r\n", ap + 1, ipv, a);
	sb_str(&s, "a=rtpmap:96 opus/48000/2\r\n"
	           "a=fmtp:96 useinbandfec=1; stereo=0; sprop-stereo=0; maxaveragebitrate=32000\r\n"
	           "a=rtpmap:9 G722/8000\r\n"
	           "a=rtpmap:0 PCMU/8000\r\n"
	           "a=rtpmap:8 PCMA/8000\r\n"
	           "a=rtpmap:18 G729/8000\r\n"
	           "a=fmtp:18 annexb=no\r\n"
	           "a=rtpmap:97 speex/16000\r\n"
	           "a=rtpmap:98 speex/8000\r\n"
	           "a=rtpmap:101 telephone-event/8000\r\n"
	           "a=fmtp:101 0-16\r\n");
	sb_printf(&s, "a=ptime:%u\r\n", pps ? 1000 / pps : 20);
	sb_str(&s, "a=sendrecv\r\n");
	sb_printf(&s, "a=candidate:1 1 UDP 2130706431 %s %u typ host\r\n", a, ap);
	sb_printf(&s, "a=candidate:1 2 UDP 2130706430 %s %u typ host\r\n", a, ap + 1);
	if (srflx) {
		sb_printf(&s, "a=candidate:2 1 UDP 1694498815 %s %u typ srflx raddr %s rport %u\r\n",
		          srflx, 30000 + ap % 10000, a, ap);
		sb_printf(&s, "a=candidate:2 2 UDP 1694498814 %s %u typ srflx raddr %s rport %u\r\n",
		          srflx, 30001 + ap % 10000, a, ap + 1);
	}
	sb_printf(&s, "m=video %u RTP/AVP 102 103 104\r\n", vp);
	sb_printf(&s, "a=rtcp:%u IN %s %s\r\n", vp + 1, ipv, a);
	sb_str(&s, "a=rtpmap:102 VP8/90000\r\n"
	           "a=rtcp-fb:102 nack\r\n"
	           "a=rtcp-fb:102 nack pli\r\n"
	           "a=rtcp-fb:102 ccm fir\r\n"
	           "a=rtpmap:103 H264/90000\r\n"
	           "a=fmtp:103 profile-level-id=42e01f; packetization-mode=1\r\n"
	           "a=rtcp-fb:103 nack pli\r\n"
	           "a=rtpmap:104 H264/90000\r\n"
	           "a=fmtp:104 profile-level-id=42e01f; packetization-mode=0\r\n"
	           "a=sendrecv\r\n");
	sb_printf(&s, "a=candidate:1 1 UDP 2130706431 %s %u typ host\r\n", a, vp);
	sb_printf(&s, "a=candidate:1 2 UDP 2130706430 %s %u typ host\r\n", a, vp + 1);
}

/* The PBX's answer to sdp_ice: PCMU audio, video declined. */
static void sdp_ice_answer(char *out, size_t cap, const struct party *p, uint32_t sess,
                           unsigned pps)
{
	struct sb s;
	sdp_basic(out, cap, p, sess, 1, pps);
	s.p = out;
	s.len = strlen(out);
	s.cap = cap;
	sb_str(&s, "m=video 0 RTP/AVP 102\r\n");
}

/* RTP both ways between the dialog's media addresses over [t0, t1), one RTCP SR per stream. */
static void d_media(struct gen *g, struct dlg *d, uint64_t t0, uint64_t t1)
{
	struct rtp *r;
	if (!g->pps)
		return;
	r = xrealloc(NULL, 2 * sizeof(*r));
	for (int dir = 0; dir < 2; dir++) {
		const struct party *me = &d->p[dir], *peer = &d->p[!dir];
		uint64_t rtcp_at = t1 - t0 > 1500 * MSEC ? t0 + 1200 * MSEC + (uint64_t)dir * 90 * MSEC : 0;
		char cname[80], h[64];
		snprintf(cname, sizeof(cname), "%s@%s", me->user, ep_addr(&me->sig, h, sizeof(h)));
		rtp_init(&r[dir], &me->media, &peer->media, rng_next(&d->r), g->pps);
		r[dir].t0 = t0 + (uint64_t)dir * 3 * MSEC;
		for (uint32_t k = 0;; k++) {
			uint64_t t = rtp_time(&r[dir], k);
			if (t >= t1)
				break;
			if (rtcp_at && t >= rtcp_at) {
				rtcp_sr(g, t + 150, &r[dir], &me->media, &peer->media, cname);
				rtcp_at += 5 * SEC;
			}
			rtp_emit(g, &r[dir], t);
		}
	}
	free(r);
}

/*
 * INVITE, 100, 180 (when ringing), 200 with the answer, ACK, RTP for talk,
 * BYE from bye_dir and its 200. Returns the time of the last message.
 */
static uint64_t d_answered_call(struct gen *g, struct dlg *d, uint64_t t, const char *offer,
                                const char *answer, uint64_t ring, uint64_t talk, int bye_dir)
{
	struct req inv = d_invite(g, t, d, offer), bye;
	uint64_t ta = t + ring;
	d_reply(g, t + 2 * MSEC + rng_range(&d->r, 0, 2000), d, &inv, 100, "Trying", NULL);
	if (ring > 200 * MSEC)
		d_reply(g, t + 60 * MSEC + rng_range(&d->r, 0, 40000), d, &inv, 180, "Ringing", NULL);
	d_reply(g, ta, d, &inv, 200, "OK", answer);
	d_ack(g, ta + 6 * MSEC + rng_range(&d->r, 0, 4000), d, 1);
	d_media(g, d, ta + 20 * MSEC, ta + talk);
	bye = d_bye(g, ta + talk + 5 * MSEC, d, bye_dir);
	d_reply(g, ta + talk + 8 * MSEC + rng_range(&d->r, 0, 3000), d, &bye, 200, "OK", NULL);
	return ta + talk + 12 * MSEC;
}

/* ------------------------------------------------------------------ */
/* Registrations (REGISTER -> 401 -> REGISTER with Authorization -> 200) */

struct regctx {
	struct ep phone, pbx;
	const char *user, *display, *ua, *pass;
	int accepted; /* the PBX knows this password: 200, else 403 */
	unsigned expires;
	uint64_t cid, ftag, ttag, br[2], nonce[2], opaque, cnonce;
	uint32_t cseq;
};

static void reg_init(struct regctx *c, struct rng *r)
{
	c->cid = rng_next(r);
	c->ftag = rng_next(r);
	c->ttag = rng_next(r);
	c->br[0] = rng_next(r);
	c->br[1] = rng_next(r);
	c->nonce[0] = rng_next(r);
	c->nonce[1] = rng_next(r);
	c->opaque = rng_next(r);
	c->cnonce = rng_next(r);
	c->cseq = (uint32_t)rng_range(r, 1, 200);
	if (!c->expires)
		c->expires = 3600;
}

static void reg_ids(struct sb *s, const struct regctx *c, int to_tag, uint32_t cseq)
{
	char h[64], pbx[64];
	ep_host(&c->pbx, pbx, sizeof(pbx));
	sb_printf(s, "From: \"%s\" <sip:%s@%s>;tag=%012" PRIx64 "\r\n", c->display, c->user, pbx,
	          c->ftag >> 16);
	sb_printf(s, "To: \"%s\" <sip:%s@%s>", c->display, c->user, pbx);
	if (to_tag)
		sb_printf(s, ";tag=as%08" PRIx64, c->ttag >> 32);
	sb_str(s, "\r\n");
	sb_printf(s, "Call-ID: %016" PRIx64 "@%s\r\n", c->cid, ep_addr(&c->phone, h, sizeof(h)));
	sb_printf(s, "CSeq: %u REGISTER\r\n", cseq);
}

/* Step st (0..3) of registration c at time t. */
static void reg_step(struct gen *g, uint64_t t, const struct regctx *c, int st)
{
	char m[MSG_MAX], hp[80], pbx[64], ruri[80], nonce[40], cnonce[20], resp[33], date[64];
	int auth = st >= 2;
	uint32_t cseq = c->cseq + (uint32_t)auth;
	struct sb s;

	ep_host(&c->pbx, pbx, sizeof(pbx));
	snprintf(ruri, sizeof(ruri), "sip:%s", pbx);
	snprintf(nonce, sizeof(nonce), "%016" PRIx64 "%016" PRIx64, c->nonce[0], c->nonce[1]);
	snprintf(cnonce, sizeof(cnonce), "%016" PRIx64, c->cnonce);
	ep_hostport(&c->phone, hp, sizeof(hp));
	sb_init(&s, m, sizeof(m));
	if (st == 0 || st == 2) {
		sb_printf(&s, "REGISTER %s SIP/2.0\r\n", ruri);
		sb_printf(&s, "Via: SIP/2.0/UDP %s;branch=z9hG4bK%016" PRIx64 ";rport\r\n", hp,
		          c->br[auth]);
		sb_str(&s, "Max-Forwards: 70\r\n");
		reg_ids(&s, c, 0, cseq);
		sb_printf(&s, "Contact: <sip:%s@%s>;expires=%u\r\n", c->user, hp, c->expires);
		sb_printf(&s, "Expires: %u\r\n", c->expires);
		sb_printf(&s, "User-Agent: %s\r\n", c->ua);
		sb_printf(&s, "Allow: %s\r\n", ALLOW);
		if (auth) {
			digest_response(c->user, c->pass, "REGISTER", ruri, nonce, "00000001", cnonce,
			                resp);
			sb_printf(&s,
			          "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
			          "uri=\"%s\", response=\"%s\", algorithm=MD5, cnonce=\"%s\", "
			          "opaque=\"%016" PRIx64 "\", qop=auth, nc=00000001\r\n",
			          c->user, REALM, nonce, ruri, resp, cnonce, c->opaque);
		}
		sb_body(&s, NULL, NULL);
		send_udp(g, t, &c->phone, &c->pbx, m, s.len, TOS_SIP, 0);
		if (st == 2)
			g->n_regs++;
	} else {
		int code = st == 1 ? 401 : c->accepted ? 200 : 403;
		sb_printf(&s, "SIP/2.0 %d %s\r\n", code,
		          code == 401 ? "Unauthorized" : code == 200 ? "OK" : "Forbidden");
		sb_printf(&s, "Via: SIP/2.0/UDP %s;branch=z9hG4bK%016" PRIx64 ";rport=%u\r\n", hp,
		          c->br[auth], c->phone.port);
		reg_ids(&s, c, 1, cseq);
		sb_printf(&s, "Server: %s\r\n", PBX_UA);
		sb_printf(&s, "Allow: %s\r\n", ALLOW);
		if (code == 401)
			sb_printf(&s,
			          "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", "
			          "opaque=\"%016" PRIx64 "\", algorithm=MD5, qop=\"auth\"\r\n",
			          REALM, nonce, c->opaque);
		if (code == 200) {
			http_date(t, date, sizeof(date));
			sb_printf(&s, "Contact: <sip:%s@%s>;expires=%u\r\n", c->user, hp, c->expires);
			sb_printf(&s, "Expires: %u\r\n", c->expires);
			sb_printf(&s, "Date: %s\r\n", date);
		}
		sb_body(&s, NULL, NULL);
		send_udp(g, t, &c->pbx, &c->phone, m, s.len, TOS_SIP, 0);
	}
	g->n_sip++;
}

/* ------------------------------------------------------------------ */
/* OPTIONS (qualify / keep-alive) and its 200                          */

struct optctx {
	struct ep from, to;
	const char *from_user, *to_user, *ua, *to_ua;
	int to_server;
	uint64_t cid, ftag, ttag, br;
	uint32_t cseq;
};

static void opt_init(struct optctx *c, struct rng *r)
{
	c->cid = rng_next(r);
	c->ftag = rng_next(r);
	c->ttag = rng_next(r);
	c->br = rng_next(r);
	c->cseq = (uint32_t)rng_range(r, 100, 900);
}

static void opt_step(struct gen *g, uint64_t t, const struct optctx *c, int st)
{
	char m[MSG_MAX], hp[80], fh[64], th[64], thp[80], h[64];
	struct sb s;
	ep_host(&c->from, fh, sizeof(fh));
	ep_host(&c->to, th, sizeof(th));
	ep_hostport(&c->to, thp, sizeof(thp));
	ep_hostport(&c->from, hp, sizeof(hp));
	sb_init(&s, m, sizeof(m));
	if (st == 0)
		sb_printf(&s, "OPTIONS sip:%s@%s SIP/2.0\r\n", c->to_user, thp);
	else
		sb_str(&s, "SIP/2.0 200 OK\r\n");
	sb_printf(&s, "Via: SIP/2.0/UDP %s;branch=z9hG4bK%016" PRIx64 ";rport", hp, c->br);
	if (st)
		sb_printf(&s, "=%u", c->from.port);
	sb_str(&s, "\r\n");
	if (st == 0)
		sb_str(&s, "Max-Forwards: 70\r\n");
	sb_printf(&s, "From: <sip:%s@%s>;tag=%010" PRIx64 "\r\n", c->from_user, fh, c->ftag >> 24);
	sb_printf(&s, "To: <sip:%s@%s>", c->to_user, thp);
	if (st)
		sb_printf(&s, ";tag=%010" PRIx64, c->ttag >> 24);
	sb_str(&s, "\r\n");
	sb_printf(&s, "Call-ID: %016" PRIx64 "@%s\r\n", c->cid, ep_addr(&c->from, h, sizeof(h)));
	sb_printf(&s, "CSeq: %u OPTIONS\r\n", c->cseq);
	if (st == 0) {
		sb_printf(&s, "Contact: <sip:%s@%s>\r\n", c->from_user, hp);
		sb_printf(&s, "User-Agent: %s\r\n", c->ua);
	} else {
		sb_printf(&s, "Contact: <sip:%s@%s>\r\n", c->to_user, thp);
		sb_printf(&s, "%s: %s\r\n", c->to_server ? "Server" : "User-Agent", c->to_ua);
		sb_printf(&s, "Allow: %s\r\n", ALLOW);
		sb_str(&s, "Supported: replaces, timer\r\n");
	}
	sb_str(&s, "Accept: application/sdp\r\n");
	sb_body(&s, NULL, NULL);
	if (st == 0) {
		send_udp(g, t, &c->from, &c->to, m, s.len, TOS_SIP, 0);
		g->n_options++;
	} else {
		send_udp(g, t, &c->to, &c->from, m, s.len, TOS_SIP, 0);
	}
	g->n_sip++;
}

/* ------------------------------------------------------------------ */
/* Small scenarios (collected, then sorted by time)                    */

struct phone {
	const char *user, *display, *ip, *ua, *pass;
};

static const struct phone PHONES[] = {
	{ "1001", "Alice", "192.0.2.10", "Yealink SIP-T46U 108.86.0.45", "alice-2026" },
	{ "1002", "Bob", "192.0.2.11", "Grandstream GXP2170 1.0.11.23", "bob-2026" },
	{ "1003", "Carol", "192.0.2.12", "Cisco/SPA504G-7.6.2", "carol-2026" },
	{ "1004", "Dave", "192.0.2.13", "snom D785/10.1.141.13", "dave-2026" },
	{ "1009", "Lobby", "192.0.2.19", "Fanvil X4U 2.12.2", "123456" },
};

static struct party phone_party(int i, uint16_t mport)
{
	const struct phone *p = &PHONES[i];
	return mk_party(p->user, p->display, p->ip, 5060, mport, p->ua, 0);
}

static struct party pbx_party(const char *user, const char *display, uint16_t mport)
{
	return mk_party(user, display, "192.0.2.5", 5060, mport, PBX_UA, 1);
}

/* Four phones register (digest, 200), one with a wrong password (403); the PBX qualifies four. */
static void sc_register(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "register", 0);
	struct ep pbx = mk_ep("192.0.2.5", 5060);
	for (int i = 0; i < 5; i++) {
		struct regctx c;
		uint64_t t0 = t + (uint64_t)i * 230 * MSEC + rng_range(&r, 0, 50000);
		memset(&c, 0, sizeof(c));
		c.phone = mk_ep(PHONES[i].ip, 5060);
		c.pbx = pbx;
		c.user = PHONES[i].user;
		c.display = PHONES[i].display;
		c.ua = PHONES[i].ua;
		c.pass = PHONES[i].pass;
		c.accepted = i < 4;
		reg_init(&c, &r);
		reg_step(g, t0, &c, 0);
		reg_step(g, t0 + 1500 + rng_range(&r, 0, 800), &c, 1);
		reg_step(g, t0 + 25 * MSEC + rng_range(&r, 0, 10000), &c, 2);
		reg_step(g, t0 + 40 * MSEC + rng_range(&r, 0, 5000), &c, 3);
	}
	for (int i = 0; i < 4; i++) {
		struct optctx c;
		uint64_t t0 = t + 1500 * MSEC + (uint64_t)i * 40 * MSEC;
		memset(&c, 0, sizeof(c));
		c.from = pbx;
		c.to = mk_ep(PHONES[i].ip, 5060);
		c.from_user = "asterisk";
		c.to_user = PHONES[i].user;
		c.ua = PBX_UA;
		c.to_ua = PHONES[i].ua;
		opt_init(&c, &r);
		opt_step(g, t0, &c, 0);
		opt_step(g, t0 + 1 * MSEC + rng_range(&r, 0, 3000), &c, 1);
	}
}

/*
 * Four calls: Alice -> Bob through the PBX as a B2BUA (two answered
 * dialogs, four RTP streams), Carol -> voicemail (answered by the PBX, which
 * hangs up), Dave -> Bob rejected 486 Busy Here, Dave -> 1005 cancelled.
 */
static void sc_calls(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "calls", 0);
	char offer[4096], answer[4096];
	struct dlg a1, a2, b, c, d;
	struct req inv1, inv2, bye1, bye2, q;
	uint64_t ta, te;

	/* A: leg 1 Alice -> PBX, leg 2 PBX -> Bob; media anchored at the PBX. */
	memset(&a1, 0, sizeof(a1));
	memset(&a2, 0, sizeof(a2));
	a1.p[0] = phone_party(0, 40000);
	a1.p[1] = pbx_party("1002", "Bob", 10000);
	d_init(&a1, rng_next(&r));
	a2.p[0] = pbx_party("1001", "Alice", 10002);
	a2.p[1] = phone_party(1, 40100);
	snprintf(a2.ruri, sizeof(a2.ruri), "sip:1002@192.0.2.11:5060");
	d_init(&a2, rng_next(&r));
	sdp_basic(offer, sizeof(offer), &a1.p[0], a1.sess[0], 0, g->pps);
	inv1 = d_invite(g, t, &a1, offer);
	d_reply(g, t + 2 * MSEC, &a1, &inv1, 100, "Trying", NULL);
	sdp_basic(offer, sizeof(offer), &a2.p[0], a2.sess[0], 0, g->pps);
	inv2 = d_invite(g, t + 12 * MSEC, &a2, offer);
	d_reply(g, t + 14 * MSEC, &a2, &inv2, 100, "Trying", NULL);
	d_reply(g, t + 95 * MSEC, &a2, &inv2, 180, "Ringing", NULL);
	d_reply(g, t + 98 * MSEC, &a1, &inv1, 180, "Ringing", NULL);
	ta = t + 2400 * MSEC;
	sdp_basic(answer, sizeof(answer), &a2.p[1], a2.sess[1], 1, g->pps);
	d_reply(g, ta, &a2, &inv2, 200, "OK", answer);
	d_ack(g, ta + 3 * MSEC, &a2, 1);
	sdp_basic(answer, sizeof(answer), &a1.p[1], a1.sess[1], 1, g->pps);
	d_reply(g, ta + 5 * MSEC, &a1, &inv1, 200, "OK", answer);
	d_ack(g, ta + 11 * MSEC, &a1, 1);
	te = ta + 5 * SEC;
	d_media(g, &a1, ta + 20 * MSEC, te);
	d_media(g, &a2, ta + 18 * MSEC, te);
	bye1 = d_bye(g, te + 2 * MSEC, &a1, 0);
	d_reply(g, te + 4 * MSEC, &a1, &bye1, 200, "OK", NULL);
	bye2 = d_bye(g, te + 5 * MSEC, &a2, 0);
	d_reply(g, te + 19 * MSEC, &a2, &bye2, 200, "OK", NULL);

	/* B: Carol -> *97 voicemail, answered at once, the PBX hangs up. */
	memset(&b, 0, sizeof(b));
	b.p[0] = phone_party(2, 40200);
	b.p[1] = pbx_party("*97", NULL, 10004);
	d_init(&b, rng_next(&r));
	sdp_basic(offer, sizeof(offer), &b.p[0], b.sess[0], 0, g->pps);
	sdp_basic(answer, sizeof(answer), &b.p[1], b.sess[1], 1, g->pps);
	d_answered_call(g, &b, t + 500 * MSEC, offer, answer, 150 * MSEC, 4 * SEC, 1);

	/* C: Dave -> Bob while Bob is busy: 486, ACK in the INVITE transaction. */
	memset(&c, 0, sizeof(c));
	c.p[0] = phone_party(3, 40300);
	c.p[1] = pbx_party("1002", "Bob", 10006);
	d_init(&c, rng_next(&r));
	sdp_basic(offer, sizeof(offer), &c.p[0], c.sess[0], 0, g->pps);
	q = d_invite(g, t + 4 * SEC, &c, offer);
	d_reply(g, t + 4 * SEC + 2 * MSEC, &c, &q, 100, "Trying", NULL);
	d_reply(g, t + 4 * SEC + 30 * MSEC, &c, &q, 486, "Busy Here", NULL);
	d_ack(g, t + 4 * SEC + 33 * MSEC, &c, 0);

	/* D: Dave -> 1005, rings, Dave gives up: CANCEL, 200, 487, ACK. */
	memset(&d, 0, sizeof(d));
	d.p[0] = phone_party(3, 40302);
	d.p[1] = pbx_party("1005", "Erin", 10008);
	d_init(&d, rng_next(&r));
	sdp_basic(offer, sizeof(offer), &d.p[0], d.sess[0], 0, g->pps);
	q = d_invite(g, t + 6 * SEC, &d, offer);
	d_reply(g, t + 6 * SEC + 2 * MSEC, &d, &q, 100, "Trying", NULL);
	d_reply(g, t + 6 * SEC + 80 * MSEC, &d, &q, 180, "Ringing", NULL);
	{
		struct req cq = d_cancel(g, t + 10 * SEC, &d);
		d_reply(g, t + 10 * SEC + 2 * MSEC, &d, &cq, 200, "OK", NULL);
	}
	d_reply(g, t + 10 * SEC + 3 * MSEC, &d, &q, 487, "Request Terminated", NULL);
	d_ack(g, t + 10 * SEC + 6 * MSEC, &d, 0);
}

/*
 * Frank's softphone on TCP: handshake; the INVITE in three segments (split
 * inside a header line and before the body); 100 and 180 in one segment;
 * 200, ACK, RTP over UDP, BYE, 200; FIN both ways.
 */
static void sc_tcp(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "tcp", 0);
	char offer[4096], answer[4096], m1[MSG_MAX], m2[MSG_MAX], both[2 * MSG_MAX];
	struct tcpc tc;
	struct dlg d;
	struct req inv, bye;
	size_t n, split1, split2, n1, n2;
	uint16_t cport = (uint16_t)rng_range(&r, 49152, 60999);
	uint64_t ta, te;
	const char *body;

	memset(&d, 0, sizeof(d));
	d.p[0] = mk_party("1006", "Frank", "192.0.2.15", cport, 41000, "Zoiper rv2.10.19.4", 0);
	d.p[1] = pbx_party("1003", "Carol", 10020);
	d_init(&d, rng_next(&r));
	memset(&tc, 0, sizeof(tc));
	tc.ep[0] = d.p[0].sig;
	tc.ep[1] = d.p[1].sig;
	tc.nxt[0] = (uint32_t)rng_next(&r);
	tc.nxt[1] = (uint32_t)rng_next(&r);
	d.tc = &tc;

	tcp_seg(g, t, &tc, 0, TH_SYN, NULL, 0);
	tcp_seg(g, t + 300, &tc, 1, TH_SYN | TH_ACK, NULL, 0);
	tcp_seg(g, t + 600, &tc, 0, TH_ACK, NULL, 0);

	/* The INVITE, by hand in three segments. */
	sdp_basic(offer, sizeof(offer), &d.p[0], d.sess[0], 0, g->pps);
	inv.branch = rng_next(&d.r);
	inv.cseq = ++d.cseq[0];
	inv.dir = 0;
	inv.method = "INVITE";
	d.br_inv = inv.branch;
	d.inv_cseq = inv.cseq;
	n = d_request(&d, m1, &inv, d.ruri, 0, INV_EXTRA, "application/sdp", offer);
	body = strstr(m1, "\r\n\r\n");
	split2 = (size_t)(body - m1) + 4;
	split1 = (size_t)(strstr(m1, "Call-ID: ") - m1) + 5; /* inside the Call-ID line */
	tcp_seg(g, t + 1 * MSEC, &tc, 0, TH_ACK, m1, split1);
	tcp_seg(g, t + 1 * MSEC + 40, &tc, 0, TH_ACK, m1 + split1, split2 - split1);
	tcp_seg(g, t + 1 * MSEC + 80, &tc, 0, TH_ACK | TH_PSH, m1 + split2, n - split2);
	g->n_sip++;
	g->n_calls++;
	tcp_seg(g, t + 1 * MSEC + 400, &tc, 1, TH_ACK, NULL, 0);

	/* 100 Trying and 180 Ringing coalesced in one segment. */
	n1 = d_response(&d, m1, &inv, 100, "Trying", 0, 0, NULL, NULL, NULL);
	n2 = d_response(&d, m2, &inv, 180, "Ringing", 1, 1, NULL, NULL, NULL);
	memcpy(both, m1, n1);
	memcpy(both + n1, m2, n2);
	tcp_seg(g, t + 25 * MSEC, &tc, 1, TH_ACK | TH_PSH, both, n1 + n2);
	g->n_sip += 2;
	tcp_seg(g, t + 65 * MSEC, &tc, 0, TH_ACK, NULL, 0);

	ta = t + 1800 * MSEC;
	sdp_basic(answer, sizeof(answer), &d.p[1], d.sess[1], 1, g->pps);
	d_reply(g, ta, &d, &inv, 200, "OK", answer);
	d_ack(g, ta + 9 * MSEC, &d, 1);
	tcp_seg(g, ta + 49 * MSEC, &tc, 1, TH_ACK, NULL, 0);
	te = ta + 3 * SEC;
	d_media(g, &d, ta + 20 * MSEC, te);
	bye = d_bye(g, te + 3 * MSEC, &d, 0);
	d_reply(g, te + 6 * MSEC, &d, &bye, 200, "OK", NULL);
	tcp_seg(g, te + 46 * MSEC, &tc, 0, TH_ACK, NULL, 0);
	tcp_seg(g, te + 500 * MSEC, &tc, 0, TH_FIN | TH_ACK, NULL, 0);
	tcp_seg(g, te + 500 * MSEC + 300, &tc, 1, TH_FIN | TH_ACK, NULL, 0);
	tcp_seg(g, te + 500 * MSEC + 600, &tc, 0, TH_ACK, NULL, 0);
}

/* Grace's IPv6 softphone calls the echo test; answered, RTP over IPv6, Grace hangs up. */
static void sc_ipv6(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "ipv6", 0);
	char offer[4096], answer[4096];
	struct dlg d;
	memset(&d, 0, sizeof(d));
	d.p[0] = mk_party("1007", "Grace", "2001:db8::10", 5060, 42000,
	                  "Linphone-Desktop/5.2.0 (belle-sip/5.2.0)", 0);
	d.p[1] = mk_party("*43", NULL, "2001:db8::5", 5060, 10030, PBX_UA, 1);
	d.domain = "[2001:db8::5]";
	d_init(&d, rng_next(&r));
	sdp_basic(offer, sizeof(offer), &d.p[0], d.sess[0], 0, g->pps);
	sdp_basic(answer, sizeof(answer), &d.p[1], d.sess[1], 1, g->pps);
	d_answered_call(g, &d, t, offer, answer, 300 * MSEC, 3 * SEC, 0);
}

/*
 * Two calls whose INVITE (ICE candidates, many codecs, video) does not fit
 * the path MTU: IPv4 at 1500 (2 fragments), IPv6 at 1280 (2 fragments).
 */
static void sc_frag(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "frag", 0);
	char offer[8192], answer[4096];
	struct dlg d4, d6;

	memset(&d4, 0, sizeof(d4));
	d4.p[0] = mk_party("1008", "Heidi", "192.0.2.20", 5060, 50000, "MicroSIP/3.21.3", 0);
	d4.p[1] = pbx_party("1001", "Alice", 10040);
	d4.mtu = 1500;
	d_init(&d4, rng_next(&r));
	sdp_ice(offer, sizeof(offer), &d4.p[0], d4.sess[0], &r, "198.51.100.7", g->pps);
	sdp_ice_answer(answer, sizeof(answer), &d4.p[1], d4.sess[1], g->pps);
	d_answered_call(g, &d4, t, offer, answer, 1200 * MSEC, 2 * SEC, 1);

	memset(&d6, 0, sizeof(d6));
	d6.p[0] = mk_party("1010", "Ivan", "2001:db8::20", 5060, 52000, "Bria 6 release 6.6.1", 0);
	d6.p[1] = mk_party("1003", "Carol", "2001:db8::5", 5060, 10050, PBX_UA, 1);
	d6.domain = "[2001:db8::5]";
	d6.mtu = 1280;
	d_init(&d6, rng_next(&r));
	sdp_ice(offer, sizeof(offer), &d6.p[0], d6.sess[0], &r, NULL, g->pps);
	sdp_ice_answer(answer, sizeof(answer), &d6.p[1], d6.sess[1], g->pps);
	d_answered_call(g, &d6, t + 3 * SEC, offer, answer, 900 * MSEC, 2 * SEC, 0);
}

/*
 * SIPVicious svmap: OPTIONS from 203.0.113.66:5060 to 192.0.2.1-20, 20 hosts;
 * the PBX (.5) and two phones (.10, .12) answer 200, the rest stay silent.
 */
static void sc_scan(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "scan", 0);
	struct ep atk = mk_ep("203.0.113.66", 5060);
	for (unsigned i = 1; i <= 20; i++) {
		char m[MSG_MAX], hex[64], ruri[40];
		struct ep dst = ep4_octet(i, 5060);
		uint64_t t0 = t + (uint64_t)(i - 1) * 9 * MSEC + rng_range(&r, 0, 2000);
		uint32_t br = (uint32_t)rng_range(&r, 1000000000, 2147483647);
		uint64_t cid = rng_next(&r), tag = rng_next(&r), ttag = rng_next(&r);
		struct sb s;
		size_t hl = 0;

		/* svmap's From tag: hex of ASCII digits, "01", hex of more digits. */
		for (int k = 0; k < 8; k++)
			hl += (size_t)snprintf(hex + hl, sizeof(hex) - hl, "3%u",
			                       (unsigned)((tag >> (4 * k)) % 10));
		hl += (size_t)snprintf(hex + hl, sizeof(hex) - hl, "01");
		for (int k = 8; k < 18; k++)
			hl += (size_t)snprintf(hex + hl, sizeof(hex) - hl, "3%u",
			                       (unsigned)((tag >> (3 * k)) % 10));
		snprintf(ruri, sizeof(ruri), "sip:100@192.0.2.%u", i);
		for (int resp = 0; resp < 2; resp++) {
			sb_init(&s, m, sizeof(m));
			if (resp)
				sb_str(&s, "SIP/2.0 200 OK\r\n");
			else
				sb_printf(&s, "OPTIONS %s SIP/2.0\r\n", ruri);
			sb_printf(&s, "Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-%u;rport", br);
			if (resp)
				sb_str(&s, "=5060");
			sb_str(&s, "\r\n");
			if (!resp)
				sb_str(&s, "Max-Forwards: 70\r\n");
			sb_printf(&s, "To: \"sipvicious\"<sip:100@198.51.100.1>%s", resp ? ";tag=" : "");
			if (resp)
				sb_printf(&s, "%08" PRIx64, ttag >> 32);
			sb_str(&s, "\r\n");
			sb_printf(&s, "From: \"sipvicious\"<sip:100@198.51.100.1>;tag=%s\r\n", hex);
			if (!resp)
				sb_str(&s, "User-Agent: friendly-scanner\r\n");
			sb_printf(&s, "Call-ID: %" PRIu64 "\r\n", (uint64_t)(cid % 10000000000000ULL));
			if (!resp)
				sb_str(&s, "Contact: <sip:100@203.0.113.66:5060>\r\n");
			sb_str(&s, "CSeq: 1 OPTIONS\r\n");
			if (resp) {
				sb_printf(&s, "%s\r\n",
				          i == 5    ? "Server: Asterisk PBX 20.5.2"
				          : i == 10 ? "User-Agent: Yealink SIP-T46U 108.86.0.45"
				                    : "User-Agent: Cisco/SPA504G-7.6.2");
				sb_printf(&s, "Allow: %s\r\n", ALLOW);
			}
			sb_str(&s, "Accept: application/sdp\r\n");
			sb_body(&s, NULL, NULL);
			if (!resp) {
				send_udp(g, t0, &atk, &dst, m, s.len, 0, 0);
				g->n_options++;
				g->n_sip++;
			} else if (i == 5 || i == 10 || i == 12) {
				send_udp(g, t0 + 700 + rng_range(&r, 0, 1500), &dst, &atk, m, s.len,
				         TOS_SIP, 0);
				g->n_sip++;
			}
		}
	}
}

/*
 * Four malformed requests from 203.0.113.66:5070 to the PBX, none answered:
 * an INVITE without Call-ID, an OPTIONS with a non-numeric CSeq, a MESSAGE
 * whose Content-Length exceeds its body, an OPTIONS with a NUL byte in
 * User-Agent.
 */
static void sc_malformed(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "malformed", 0);
	struct ep atk = mk_ep("203.0.113.66", 5070), pbx = mk_ep("192.0.2.5", 5060);
	char m[MSG_MAX], sdp[2048];
	struct party ap = mk_party("600", NULL, "203.0.113.66", 5070, 30000, "sipsak 0.9.8", 0);
	struct sb s;
	size_t ua_off;

	sdp_basic(sdp, sizeof(sdp), &ap, 4242, 0, 50);
	for (int k = 0; k < 4; k++) {
		uint64_t br = rng_next(&r), tag = rng_next(&r), cid = rng_next(&r);
		const char *method = k == 0 ? "INVITE" : k == 2 ? "MESSAGE" : "OPTIONS";
		const char *ruri = k == 2 ? "sip:1001@192.0.2.5" : "sip:100@192.0.2.5";
		sb_init(&s, m, sizeof(m));
		sb_printf(&s, "%s %s SIP/2.0\r\n", method, ruri);
		sb_printf(&s, "Via: SIP/2.0/UDP 203.0.113.66:5070;branch=z9hG4bK%016" PRIx64 ";rport\r\n",
		          br);
		sb_str(&s, "Max-Forwards: 70\r\n");
		sb_printf(&s, "From: <sip:600@203.0.113.66>;tag=%08" PRIx64 "\r\n", tag >> 32);
		sb_printf(&s, "To: <%s>\r\n", ruri);
		if (k != 0)
			sb_printf(&s, "Call-ID: %016" PRIx64 "@203.0.113.66\r\n", cid);
		sb_printf(&s, "CSeq: %s %s\r\n", k == 1 ? "abc" : "1", method);
		sb_str(&s, "Contact: <sip:600@203.0.113.66:5070>\r\n");
		ua_off = s.len + 12;
		sb_str(&s, "User-Agent: sipsak 0.9.8\r\n");
		if (k == 3)
			m[ua_off + 5] = '\0'; /* "sipsa\0 0.9.8" */
		if (k == 0) {
			sb_body(&s, "application/sdp", sdp);
		} else if (k == 2) {
			const char *body = "Hello from the outside";
			sb_printf(&s, "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
			          strlen(body) + 300, body);
		} else {
			sb_body(&s, NULL, NULL);
		}
		send_udp(g, t + (uint64_t)k * 700 * MSEC, &atk, &pbx, m, s.len, 0, 0);
		g->n_sip++;
		g->n_malformed++;
	}
}

static void sc_demo(struct gen *g, uint64_t t)
{
	sc_register(g, t);
	sc_calls(g, t + 2 * SEC);
	sc_tcp(g, t + 13 * SEC);
	sc_ipv6(g, t + 18 * SEC);
	sc_frag(g, t + 23 * SEC);
	sc_scan(g, t + 31 * SEC);
	sc_malformed(g, t + 33 * SEC);
}

/* ------------------------------------------------------------------ */
/* Attack scenarios and their benign twins                             */

static const char *const ATK_PHONE_UA = "Yealink SIP-T46S 66.86.0.15";

static struct ep pbx_ep(void)
{
	return mk_ep("192.0.2.5", 5060);
}

static const char *reason_of(int code)
{
	switch (code) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 200: return "OK";
	case 202: return "Accepted";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 407: return "Proxy Authentication Required";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	default: return "Unknown";
	}
}

/* "WWW-Authenticate: Digest ..." or "Proxy-Authenticate: ..." with qop="auth", CRLF included. */
static void auth_challenge(char *out, size_t cap, const char *hdr, const char *nonce,
                           uint64_t opaque)
{
	snprintf(out, cap,
	         "%s: Digest realm=\"%s\", nonce=\"%s\", opaque=\"%016" PRIx64 "\", algorithm=MD5, "
	         "qop=\"auth\"\r\n",
	         hdr, REALM, nonce, opaque);
}

/* "Authorization: Digest ..." (or Proxy-Authorization) answering nonce with pass, CRLF included. */
static void auth_credentials(char *out, size_t cap, const char *hdr, const char *user,
                             const char *pass, const char *method, const char *uri,
                             const char *nonce, uint64_t opaque, uint64_t cnonce_v)
{
	char cnonce[20], resp[33];
	snprintf(cnonce, sizeof(cnonce), "%016" PRIx64, cnonce_v);
	digest_response(user, pass, method, uri, nonce, "00000001", cnonce, resp);
	snprintf(out, cap,
	         "%s: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
	         "response=\"%s\", algorithm=MD5, cnonce=\"%s\", opaque=\"%016" PRIx64 "\", "
	         "qop=auth, nc=00000001\r\n",
	         hdr, user, REALM, nonce, uri, resp, cnonce, opaque);
}

static void new_nonce(char out[40], struct rng *r)
{
	uint64_t a = rng_next(r), b = rng_next(r);
	snprintf(out, 40, "%016" PRIx64 "%016" PRIx64, a, b);
}

/*
 * A response to q from the other side with headers extra, a Contact when
 * contact, SDP when sdp; not counted as an answered call (challenges,
 * responses to a re-INVITE).
 */
static void d_reply_x(struct gen *g, uint64_t t, struct dlg *d, const struct req *q, int code,
                      int contact, const char *extra, const char *sdp)
{
	char m[MSG_MAX];
	size_t n = d_response(d, m, q, code, reason_of(code), code != 100, contact, extra,
	                      "application/sdp", sdp);
	d_send(g, t, d, !q->dir, m, n);
}

/* A re-INVITE from side dir: To tag, Request-URI the peer's Contact; d_ack acknowledges it. */
static struct req d_reinvite(struct gen *g, uint64_t t, struct dlg *d, int dir, const char *sdp)
{
	char m[MSG_MAX], ru[128];
	struct req q = { rng_next(&d->r), ++d->cseq[dir], dir, "INVITE" };
	size_t n;
	contact_uri(ru, sizeof(ru), &d->p[!dir], d->tc != NULL);
	d->br_inv = q.branch;
	d->inv_cseq = q.cseq;
	n = d_request(d, m, &q, ru, 1, INV_EXTRA, "application/sdp", sdp);
	d_send(g, t, d, dir, m, n);
	return q;
}

/*
 * One RTP stream over time with an RTCP SR 1.2 s after it starts and every
 * 5 s after (when it has a CNAME), which a scenario can run up to a time,
 * send elsewhere (same SSRC, sequence and timestamps) or restart with a new
 * SSRC. Off when there is no RTP (--rtp-pps 0).
 */
struct stream {
	struct rtp r;
	struct ep src, dst;
	uint64_t seed, next_t, rtcp_at;
	uint32_t k;
	uint8_t pt, on;
	char cname[128]; /* "": no RTCP */
};

static void st_start(struct gen *g, struct stream *s, const struct ep *src, const struct ep *dst,
                     uint64_t seed, uint8_t pt, uint64_t t0, const char *cname)
{
	s->on = g->pps != 0;
	s->src = *src;
	s->dst = *dst;
	s->seed = seed;
	s->pt = pt;
	s->k = 0;
	snprintf(s->cname, sizeof(s->cname), "%s", cname ? cname : "");
	if (!s->on)
		return;
	rtp_init_pt(&s->r, src, dst, seed, g->pps, pt);
	s->r.t0 = t0;
	s->next_t = rtp_time(&s->r, 0);
	s->rtcp_at = t0 + 1200 * MSEC;
}

/* Emits the stream's packets before t1. */
static void st_run(struct gen *g, struct stream *s, uint64_t t1)
{
	if (!s->on)
		return;
	while (s->next_t < t1) {
		if (s->cname[0] && s->next_t >= s->rtcp_at) {
			rtcp_sr(g, s->next_t + 150, &s->r, &s->src, &s->dst, s->cname);
			s->rtcp_at += 5 * SEC;
		}
		rtp_emit(g, &s->r, s->next_t);
		s->next_t = rtp_time(&s->r, ++s->k);
	}
}

/* The same stream (SSRC, sequence numbers, timestamps, pacing) sent to dst from now on. */
static void st_retarget(struct gen *g, struct stream *s, const struct ep *dst)
{
	struct rtp keep;
	if (!s->on)
		return;
	keep = s->r;
	rtp_init_pt(&s->r, &s->src, dst, s->seed, g->pps, s->pt);
	s->r.seq = keep.seq;
	s->r.ts = keep.ts;
	s->r.ipid = keep.ipid;
	s->r.jit = keep.jit;
	s->r.t0 = keep.t0;
	s->r.pkts = keep.pkts;
	s->r.octets = keep.octets;
	s->r.marker = 0;
	s->dst = *dst;
}

/* "user@address" of a party, the CNAME of its RTCP. */
static const char *party_cname(const struct party *p, char *out, size_t cap)
{
	char h[64];
	snprintf(out, cap, "%s@%s", p->user, ep_addr(&p->sig, h, sizeof(h)));
	return out;
}

/* Both streams of dialog d (p[0] to p[1] and back), starting at t0 and t0 + 3 ms. */
static void d_streams(struct gen *g, struct dlg *d, struct stream s[2], uint8_t pt, uint64_t t0)
{
	char cn[128];
	for (int dir = 0; dir < 2; dir++)
		st_start(g, &s[dir], &d->p[dir].media, &d->p[!dir].media, rng_next(&d->r), pt,
		         t0 + (uint64_t)dir * 3 * MSEC, party_cname(&d->p[dir], cn, sizeof(cn)));
}

/* ---- registrations of several rounds -------------------------------- */

/*
 * A REGISTER transaction sequence in one Call-ID: each REGISTER takes the
 * next CSeq and a new branch, each 401 a new nonce, and a REGISTER with a
 * password answers the last nonce. Same header layout as reg_step.
 */
struct regx {
	struct ep ua, pbx;
	const char *user, *display, *ua_name;
	const char *auth_user; /* username of the Authorization; NULL: user */
	unsigned expires;
	uint64_t cid, ftag, ttag, opaque, branch;
	uint32_t cseq; /* of the last REGISTER */
	char nonce[40];
	struct rng r;
};

/* cseq0: CSeq of the first REGISTER (0: random 1-200). */
static void regx_init(struct regx *c, uint64_t seed, uint32_t cseq0)
{
	c->r.s = seed;
	rng_next(&c->r);
	c->cid = rng_next(&c->r);
	c->ftag = rng_next(&c->r);
	c->ttag = rng_next(&c->r);
	c->opaque = rng_next(&c->r);
	c->cseq = (cseq0 ? cseq0 : (uint32_t)rng_range(&c->r, 1, 200)) - 1;
	c->nonce[0] = '\0';
	if (!c->expires)
		c->expires = 3600;
}

static void regx_ids(struct sb *s, const struct regx *c, int to_tag)
{
	char h[64], pbx[64], na[128];
	ep_host(&c->pbx, pbx, sizeof(pbx));
	if (c->display)
		snprintf(na, sizeof(na), "\"%s\" <sip:%s@%s>", c->display, c->user, pbx);
	else
		snprintf(na, sizeof(na), "<sip:%s@%s>", c->user, pbx);
	sb_printf(s, "From: %s;tag=%012" PRIx64 "\r\n", na, c->ftag >> 16);
	sb_printf(s, "To: %s", na);
	if (to_tag)
		sb_printf(s, ";tag=as%08" PRIx64, c->ttag >> 32);
	sb_str(s, "\r\n");
	sb_printf(s, "Call-ID: %016" PRIx64 "@%s\r\n", c->cid, ep_addr(&c->ua, h, sizeof(h)));
	sb_printf(s, "CSeq: %u REGISTER\r\n", c->cseq);
}

/* The next REGISTER; with Authorization for the last nonce when pass is not NULL. */
static void regx_request(struct gen *g, uint64_t t, struct regx *c, const char *pass)
{
	char m[MSG_MAX], hp[80], pbx[64], ruri[80], cred[1024];
	struct sb s;
	ep_host(&c->pbx, pbx, sizeof(pbx));
	snprintf(ruri, sizeof(ruri), "sip:%s", pbx);
	ep_hostport(&c->ua, hp, sizeof(hp));
	c->branch = rng_next(&c->r);
	c->cseq++;
	sb_init(&s, m, sizeof(m));
	sb_printf(&s, "REGISTER %s SIP/2.0\r\n", ruri);
	sb_printf(&s, "Via: SIP/2.0/UDP %s;branch=z9hG4bK%016" PRIx64 ";rport\r\n", hp, c->branch);
	sb_str(&s, "Max-Forwards: 70\r\n");
	regx_ids(&s, c, 0);
	sb_printf(&s, "Contact: <sip:%s@%s>;expires=%u\r\n", c->user, hp, c->expires);
	sb_printf(&s, "Expires: %u\r\n", c->expires);
	sb_printf(&s, "User-Agent: %s\r\n", c->ua_name);
	sb_printf(&s, "Allow: %s\r\n", ALLOW);
	if (pass) {
		if (!c->nonce[0])
			die("internal: credentials without a challenge");
		auth_credentials(cred, sizeof(cred), "Authorization",
		                 c->auth_user ? c->auth_user : c->user, pass, "REGISTER", ruri,
		                 c->nonce, c->opaque, rng_next(&c->r));
		sb_str(&s, cred);
		g->n_regs++;
	}
	sb_body(&s, NULL, NULL);
	send_udp(g, t, &c->ua, &c->pbx, m, s.len, TOS_SIP, 0);
	g->n_sip++;
}

/*
 * The PBX's answer to the last REGISTER: 401 with a new nonce, 200 with the
 * binding (and the header lines in more: other bindings of the AOR), 403, 404.
 */
static void regx_reply(struct gen *g, uint64_t t, struct regx *c, int code, const char *more)
{
	char m[MSG_MAX], hp[80], ch[512], date[64];
	struct sb s;
	ep_hostport(&c->ua, hp, sizeof(hp));
	sb_init(&s, m, sizeof(m));
	sb_printf(&s, "SIP/2.0 %d %s\r\n", code, reason_of(code));
	sb_printf(&s, "Via: SIP/2.0/UDP %s;branch=z9hG4bK%016" PRIx64 ";rport=%u\r\n", hp, c->branch,
	          c->ua.port);
	regx_ids(&s, c, 1);
	sb_printf(&s, "Server: %s\r\n", PBX_UA);
	sb_printf(&s, "Allow: %s\r\n", ALLOW);
	if (code == 401) {
		new_nonce(c->nonce, &c->r);
		auth_challenge(ch, sizeof(ch), "WWW-Authenticate", c->nonce, c->opaque);
		sb_str(&s, ch);
	}
	if (code == 200) {
		http_date(t, date, sizeof(date));
		sb_printf(&s, "Contact: <sip:%s@%s>;expires=%u\r\n", c->user, hp, c->expires);
		if (more)
			sb_str(&s, more);
		sb_printf(&s, "Expires: %u\r\n", c->expires);
		sb_printf(&s, "Date: %s\r\n", date);
	}
	sb_body(&s, NULL, NULL);
	send_udp(g, t, &c->pbx, &c->ua, m, s.len, TOS_SIP, 0);
	g->n_sip++;
}

/* REGISTER, 401, REGISTER with pass, 200; returns the time of the 200. */
static uint64_t regx_plain(struct gen *g, uint64_t t, struct regx *c, const char *pass)
{
	uint64_t t3 = t + 20 * MSEC + rng_range(&c->r, 0, 10000);
	regx_request(g, t, c, NULL);
	regx_reply(g, t + 1200 + rng_range(&c->r, 0, 800), c, 401, NULL);
	regx_request(g, t3, c, pass);
	regx_reply(g, t3 + 1200 + rng_range(&c->r, 0, 800), c, 200, NULL);
	return t3 + 2 * MSEC;
}

/* ---- enum, enum-invite ------------------------------------------------ */

/*
 * SIPVicious svwar without its fingerprints: 203.0.113.66:5060 tries
 * extensions 100-159, one every 50 ms, with a Yealink User-Agent and From
 * "<ext>" <sip:<ext>@192.0.2.5>. REGISTER: 404 for unknown users, 401
 * (Digest, qop="auth") for 100, 101 and 120. INVITE (no body): 404 or 407,
 * each ACKed in the INVITE's transaction.
 */
static void enum_run(struct gen *g, uint64_t t, const char *name, int invite)
{
	struct rng r = rng_for(g->seed, name, 0);
	for (unsigned ext = 100; ext <= 159; ext++) {
		int exists = ext == 100 || ext == 101 || ext == 120;
		uint64_t t0 = t + (uint64_t)(ext - 100) * 50 * MSEC + rng_range(&r, 0, 2000);
		uint64_t t1 = t0 + 700 + rng_range(&r, 0, 1500);
		char u[8];
		snprintf(u, sizeof(u), "%u", ext);
		if (!invite) {
			struct regx c;
			memset(&c, 0, sizeof(c));
			c.ua = mk_ep("203.0.113.66", 5060);
			c.pbx = pbx_ep();
			c.user = u;
			c.display = u;
			c.ua_name = ATK_PHONE_UA;
			regx_init(&c, rng_next(&r), 1);
			regx_request(g, t0, &c, NULL);
			regx_reply(g, t1, &c, exists ? 401 : 404, NULL);
		} else {
			struct dlg d;
			struct req q;
			memset(&d, 0, sizeof(d));
			d.p[0] = mk_party(u, u, "203.0.113.66", 5060, 0, ATK_PHONE_UA, 0);
			d.p[1] = pbx_party(u, NULL, 0);
			d_init(&d, rng_next(&r));
			d.cseq[0] = 0;
			q = d_invite(g, t0, &d, NULL);
			if (exists) {
				char nonce[40], ch[512];
				new_nonce(nonce, &r);
				auth_challenge(ch, sizeof(ch), "Proxy-Authenticate", nonce, rng_next(&r));
				d_reply_x(g, t1, &d, &q, 407, 0, ch, NULL);
			} else {
				d_reply_x(g, t1, &d, &q, 404, 0, NULL, NULL);
			}
			d_ack(g, t1 + 300 + rng_range(&r, 0, 500), &d, 0);
		}
	}
}

static void sc_enum(struct gen *g, uint64_t t)
{
	enum_run(g, t, "enum", 0);
}

static void sc_enum_invite(struct gen *g, uint64_t t)
{
	enum_run(g, t, "enum-invite", 1);
}

/* ---- crack, crack-success --------------------------------------------- */

/* svcrack's kind of dictionary; entry 30 (CRACK_DICT[29]) is 101's password in crack-success. */
static const char *const CRACK_DICT[40] = {
	"101",      "1234",      "12345",    "123456", "password", "admin",    "0000",
	"1111",     "101101",    "1010",     "pass",   "sip",      "voip",     "asterisk",
	"changeme", "secret",    "qwerty",   "letmein", "welcome", "abc123",   "000000",
	"111111",   "4321",      "test",     "guest",  "default",  "pbx",      "phone",
	"sipsip",   "101abc",    "12341234", "password1", "admin123", "root",   "toor",
	"P@ssw0rd", "yealink",   "1q2w3e",   "987654", "999999",
};

/*
 * The phone 192.0.2.11 registers 101 (401, 200, Expires 3600); from 2 s on,
 * 198.51.100.77:5060 guesses 101's password, one guess every 100 ms, each in
 * a Call-ID of its own: REGISTER, 401 (new nonce), REGISTER with the digest
 * of the guess, 403. With success, guess 30 is right: 200 OK, which binds
 * 101 to 198.51.100.77 (and lists the phone's binding too), and it stops.
 */
static void crack_run(struct gen *g, uint64_t t, const char *name, int success)
{
	struct rng r = rng_for(g->seed, name, 0);
	const char *pass = success ? CRACK_DICT[29] : "Tq7#vLp2-mX9";
	struct regx c;
	uint64_t t_bound;

	memset(&c, 0, sizeof(c));
	c.ua = mk_ep("192.0.2.11", 5060);
	c.pbx = pbx_ep();
	c.user = "101";
	c.display = "Reception";
	c.ua_name = "Grandstream GXP2170 1.0.11.23";
	regx_init(&c, rng_next(&r), 0);
	t_bound = regx_plain(g, t, &c, pass);

	for (int i = 0; i < 40; i++) {
		uint64_t t0 = t + 2 * SEC + (uint64_t)i * 100 * MSEC + rng_range(&r, 0, 3000);
		int right = strcmp(CRACK_DICT[i], pass) == 0;
		char more[128];
		struct regx a;
		memset(&a, 0, sizeof(a));
		a.ua = mk_ep("198.51.100.77", 5060);
		a.pbx = pbx_ep();
		a.user = "101";
		a.display = "101";
		a.ua_name = "Grandstream GXP1625 1.0.4.138";
		regx_init(&a, rng_next(&r), 1);
		regx_request(g, t0, &a, NULL);
		regx_reply(g, t0 + 1200 + rng_range(&r, 0, 800), &a, 401, NULL);
		regx_request(g, t0 + 4 * MSEC + rng_range(&r, 0, 1000), &a, CRACK_DICT[i]);
		snprintf(more, sizeof(more), "Contact: <sip:101@192.0.2.11:5060>;expires=%u\r\n",
		         (unsigned)(3600 - (t0 - t_bound) / SEC));
		regx_reply(g, t0 + 6 * MSEC + rng_range(&r, 0, 800), &a, right ? 200 : 403,
		           right ? more : NULL);
		if (right)
			break;
	}
}

static void sc_crack(struct gen *g, uint64_t t)
{
	crack_run(g, t, "crack", 0);
}

static void sc_crack_success(struct gen *g, uint64_t t)
{
	crack_run(g, t, "crack-success", 1);
}

/* ---- flood -------------------------------------------------------------- */

/*
 * Three answered calls from 1001-1003 (192.0.2.10-.12) to the PBX (1004-1006)
 * at 0, 1 and 2 s, 1.5 s of ringing, RTP for 5 s, the caller hangs up; from
 * 0.5 s to 3.5 s 203.0.113.66:5060 sends 300 INVITEs (one every 10 ms, each
 * its own Call-ID, From sip:9000@192.0.2.5) to random extensions 1000-1999;
 * the PBX answers every tenth with 100 Trying and nothing else.
 */
static void sc_flood(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "flood", 0);
	static const char *const CALLEE[3][2] = { { "1004", "Dave" }, { "1005", "Erin" },
		                                      { "1006", "Frank" } };
	char offer[2048], answer[2048];

	for (int i = 0; i < 3; i++) {
		struct dlg d;
		memset(&d, 0, sizeof(d));
		d.p[0] = phone_party(i, (uint16_t)(40000 + 100 * i));
		d.p[1] = pbx_party(CALLEE[i][0], CALLEE[i][1], (uint16_t)(10000 + 2 * i));
		d_init(&d, rng_next(&r));
		sdp_basic(offer, sizeof(offer), &d.p[0], d.sess[0], 0, g->pps);
		sdp_basic(answer, sizeof(answer), &d.p[1], d.sess[1], 1, g->pps);
		d_answered_call(g, &d, t + (uint64_t)i * SEC, offer, answer, 1500 * MSEC,
		                5 * SEC, 0);
	}
	for (int i = 0; i < 300; i++) {
		uint64_t t0 = t + 500 * MSEC + (uint64_t)i * 10 * MSEC + rng_range(&r, 0, 3000);
		char ext[8];
		struct dlg d;
		struct req q;
		snprintf(ext, sizeof(ext), "%u", (unsigned)rng_range(&r, 1000, 1999));
		memset(&d, 0, sizeof(d));
		d.p[0] = mk_party("9000", NULL, "203.0.113.66", 5060, (uint16_t)(30000 + 2 * i),
		                  "Zoiper rv2.10.20.5", 0);
		d.p[1] = pbx_party(ext, NULL, 0);
		d_init(&d, rng_next(&r));
		sdp_basic(offer, sizeof(offer), &d.p[0], d.sess[0], 0, g->pps);
		q = d_invite(g, t0, &d, offer);
		if (i % 10 == 0)
			d_reply(g, t0 + 1 * MSEC + rng_range(&r, 0, 2000), &d, &q, 100, "Trying", NULL);
	}
}

/* ---- one call to tamper with ----------------------------------------- */

/*
 * Alice (1001, 192.0.2.10:5060, RTP 40000) calls 1002 at the PBX
 * (192.0.2.5:5060, RTP 10000): INVITE (with SDP) at t, 100 at t + 2 ms,
 * 180 (To tag) at t + 60 ms. Returns the INVITE.
 */
static struct req call_ring(struct gen *g, struct dlg *d, uint64_t seed, uint64_t t)
{
	char offer[2048];
	struct req inv;
	memset(d, 0, sizeof(*d));
	d->p[0] = phone_party(0, 40000);
	d->p[1] = pbx_party("1002", "Bob", 10000);
	d_init(d, seed);
	sdp_basic(offer, sizeof(offer), &d->p[0], d->sess[0], 0, g->pps);
	inv = d_invite(g, t, d, offer);
	d_reply(g, t + 2 * MSEC, d, &inv, 100, "Trying", NULL);
	d_reply(g, t + 60 * MSEC, d, &inv, 180, "Ringing", NULL);
	return inv;
}

/* The PBX answers inv 200 OK (SDP) at ta, Alice ACKs 6 ms later. */
static void call_answer(struct gen *g, struct dlg *d, const struct req *inv, uint64_t ta)
{
	char answer[2048];
	sdp_basic(answer, sizeof(answer), &d->p[1], d->sess[1], 1, g->pps);
	d_reply(g, ta, d, inv, 200, "OK", answer);
	d_ack(g, ta + 6 * MSEC, d, 1);
}

/* call_ring, then call_answer at t + 500 ms. Returns the time of the 200. */
static uint64_t call_setup(struct gen *g, struct dlg *d, uint64_t seed, uint64_t t)
{
	struct req inv = call_ring(g, d, seed, t);
	uint64_t ta = t + 500 * MSEC;
	call_answer(g, d, &inv, ta);
	return ta;
}

/* BYE from side dir at t and its 200. */
static void call_end(struct gen *g, struct dlg *d, int dir, uint64_t t)
{
	struct req q = d_bye(g, t, d, dir);
	d_reply(g, t + 3 * MSEC, d, &q, 200, "OK", NULL);
}

/*
 * The call; 4 s after the answer 203.0.113.66:5060 sends a BYE with the
 * call's Call-ID, Alice's From tag, the PBX's To tag and Alice's next CSeq,
 * as if sniffed; the PBX answers it 200 OK; RTP goes on both ways and Alice
 * hangs up 10 s after the answer. With normal, the PBX (the callee side)
 * hangs up at 4 s instead and nothing else happens.
 */
static void bye_run(struct gen *g, uint64_t t, const char *name, int normal)
{
	struct rng r = rng_for(g->seed, name, 0);
	struct dlg d;
	struct stream s[2];
	uint64_t ta = call_setup(g, &d, rng_next(&r), t), tb = ta + 4 * SEC, te = ta + 10 * SEC;

	d_streams(g, &d, s, PT_PCMU, ta + 20 * MSEC);
	if (normal) {
		st_run(g, &s[0], tb);
		st_run(g, &s[1], tb);
		call_end(g, &d, 1, tb);
		return;
	}
	{
		struct dlg f = d; /* the forger's copy: its own address, the dialog's identifiers */
		struct req q;
		f.p[0].sig = mk_ep("203.0.113.66", 5060);
		f.cid_host = "192.0.2.10";
		q = d_bye(g, tb, &f, 0);
		d_reply(g, tb + 2 * MSEC, &f, &q, 200, "OK", NULL);
		d.r = f.r; /* no branch of Alice's repeats the forger's */
	}
	st_run(g, &s[0], te);
	st_run(g, &s[1], te);
	call_end(g, &d, 0, te + 5 * MSEC);
}

static void sc_bye_hijack(struct gen *g, uint64_t t)
{
	bye_run(g, t, "bye-hijack", 0);
}

static void sc_bye_normal(struct gen *g, uint64_t t)
{
	bye_run(g, t, "bye-normal", 1);
}

/*
 * The call rings for 6 s. At 2 s 203.0.113.66:5060 sends a CANCEL of
 * Alice's INVITE as if sniffed: its Request-URI, Call-ID, From (with tag),
 * To (no tag, RFC 3261 9.1), CSeq number and Via branch, but a Via sent-by
 * of its own; the PBX matches the branch and answers it 200 OK (to
 * 203.0.113.66) yet keeps the INVITE: 200 OK at 6 s, ACK, 3 s of RTP both
 * ways, Alice hangs up. With normal, Alice cancels at 2 s herself: 200 to
 * the CANCEL, 487 to the INVITE, ACK; no RTP.
 */
static void cancel_run(struct gen *g, uint64_t t, const char *name, int normal)
{
	struct rng r = rng_for(g->seed, name, 0);
	struct dlg d;
	struct stream s[2];
	struct req inv = call_ring(g, &d, rng_next(&r), t), q;
	uint64_t tc = t + 2 * SEC, ta = t + 6 * SEC, te = ta + 3 * SEC;

	if (normal) {
		q = d_cancel(g, tc, &d);
		d_reply(g, tc + 2 * MSEC, &d, &q, 200, "OK", NULL);
		d_reply(g, tc + 3 * MSEC, &d, &inv, 487, "Request Terminated", NULL);
		d_ack(g, tc + 6 * MSEC, &d, 0);
		return;
	}
	{
		struct dlg f = d; /* the forger's copy: its own address, the INVITE's identifiers */
		f.p[0].sig = mk_ep("203.0.113.66", 5060);
		f.cid_host = "192.0.2.10";
		q = d_cancel(g, tc, &f);
		d_reply(g, tc + 2 * MSEC, &f, &q, 200, "OK", NULL);
	}
	call_answer(g, &d, &inv, ta);
	d_streams(g, &d, s, PT_PCMU, ta + 20 * MSEC);
	st_run(g, &s[0], te);
	st_run(g, &s[1], te);
	call_end(g, &d, 0, te + 5 * MSEC);
}

static void sc_cancel_hijack(struct gen *g, uint64_t t)
{
	cancel_run(g, t, "cancel-hijack", 0);
}

static void sc_cancel_normal(struct gen *g, uint64_t t)
{
	cancel_run(g, t, "cancel-normal", 1);
}

/*
 * The call with RTP for 8 s. rtp-inject: from 3 s after the answer,
 * 203.0.113.66:35000 sends PCMU RTP (its own SSRC, 50 pps) to Alice's RTP
 * address 192.0.2.10:40000. ssrc-change: 5 s after the answer Alice sends a
 * re-INVITE (same media, o= version + 1), 200, ACK, and her stream goes on
 * with a new SSRC, sequence and timestamp base.
 */
static void media_run(struct gen *g, uint64_t t, const char *name, int inject)
{
	struct rng r = rng_for(g->seed, name, 0);
	struct dlg d;
	struct stream s[2];
	uint64_t ta = call_setup(g, &d, rng_next(&r), t), te = ta + 8 * SEC;

	d_streams(g, &d, s, PT_PCMU, ta + 20 * MSEC);
	if (inject) {
		struct stream x;
		struct ep atk = mk_ep("203.0.113.66", 35000);
		st_start(g, &x, &atk, &d.p[0].media, rng_next(&r), PT_PCMU, ta + 3 * SEC, NULL);
		st_run(g, &x, te);
	} else {
		char offer[2048], answer[2048], cn[128];
		uint64_t tr = ta + 5 * SEC;
		struct req q;
		sdp_audio(offer, sizeof(offer), &d.p[0], d.sess[0], d.sess[0] + 1, 0, g->pps, PT_PCMU,
		          "sendrecv");
		sdp_audio(answer, sizeof(answer), &d.p[1], d.sess[1], d.sess[1] + 1, 1, g->pps, PT_PCMU,
		          "sendrecv");
		q = d_reinvite(g, tr, &d, 0, offer);
		d_reply_x(g, tr + 4 * MSEC, &d, &q, 200, 1, INV_EXTRA, answer);
		d_ack(g, tr + 9 * MSEC, &d, 1);
		st_run(g, &s[0], tr + 30 * MSEC);
		st_start(g, &s[0], &d.p[0].media, &d.p[1].media, rng_next(&d.r), PT_PCMU,
		         tr + 30 * MSEC, party_cname(&d.p[0], cn, sizeof(cn)));
	}
	st_run(g, &s[0], te);
	st_run(g, &s[1], te);
	call_end(g, &d, 0, te + 5 * MSEC);
}

static void sc_rtp_inject(struct gen *g, uint64_t t)
{
	media_run(g, t, "rtp-inject", 1);
}

static void sc_ssrc_change(struct gen *g, uint64_t t)
{
	media_run(g, t, "ssrc-change", 0);
}

/*
 * The call with RTP for 8 s; 3 s after the answer a re-INVITE arrives.
 * reinvite-hijack: from 203.0.113.66:5060 with the dialog's identifiers
 * (Alice's next CSeq, Contact at 203.0.113.66), its SDP moves Alice's media
 * to 203.0.113.66:40000; the PBX answers 200 to it, it ACKs, and the PBX's
 * RTP (same SSRC) goes to 203.0.113.66:40000 from then on while Alice still
 * sends hers. reinvite-normal: Alice puts the call on hold (a=sendonly),
 * the PBX answers a=recvonly and stops sending; Alice's RTP goes on.
 */
static void reinvite_run(struct gen *g, uint64_t t, const char *name, int hijack)
{
	struct rng r = rng_for(g->seed, name, 0);
	struct dlg d;
	struct stream s[2];
	char offer[2048], answer[2048];
	uint64_t ta = call_setup(g, &d, rng_next(&r), t), th = ta + 3 * SEC, te = ta + 8 * SEC;
	struct req q;

	d_streams(g, &d, s, PT_PCMU, ta + 20 * MSEC);
	sdp_audio(answer, sizeof(answer), &d.p[1], d.sess[1], d.sess[1] + 1, 1, g->pps, PT_PCMU,
	          hijack ? "sendrecv" : "recvonly");
	if (hijack) {
		struct dlg f = d;
		struct ep atk = mk_ep("203.0.113.66", 40000);
		f.p[0].sig = mk_ep("203.0.113.66", 5060);
		f.p[0].media = atk;
		f.cid_host = "192.0.2.10";
		sdp_audio(offer, sizeof(offer), &f.p[0], f.sess[0], f.sess[0] + 1, 0, g->pps, PT_PCMU,
		          "sendrecv");
		q = d_reinvite(g, th, &f, 0, offer);
		d_reply_x(g, th + 4 * MSEC, &f, &q, 200, 1, INV_EXTRA, answer);
		d_ack(g, th + 40 * MSEC, &f, 1);
		d.r = f.r;
		st_run(g, &s[1], th + 10 * MSEC);
		st_retarget(g, &s[1], &atk);
		st_run(g, &s[1], te);
	} else {
		sdp_audio(offer, sizeof(offer), &d.p[0], d.sess[0], d.sess[0] + 1, 0, g->pps, PT_PCMU,
		          "sendonly");
		q = d_reinvite(g, th, &d, 0, offer);
		d_reply_x(g, th + 4 * MSEC, &d, &q, 200, 1, INV_EXTRA, answer);
		d_ack(g, th + 9 * MSEC, &d, 1);
		st_run(g, &s[1], th + 4 * MSEC);
	}
	st_run(g, &s[0], te);
	call_end(g, &d, 0, te + 5 * MSEC);
}

static void sc_reinvite_hijack(struct gen *g, uint64_t t)
{
	reinvite_run(g, t, "reinvite-hijack", 1);
}

static void sc_reinvite_normal(struct gen *g, uint64_t t)
{
	reinvite_run(g, t, "reinvite-normal", 0);
}

/* ---- toll-fraud ---------------------------------------------------------- */

/*
 * d's INVITE (no credentials) gets 407 and is ACKed; the INVITE again with
 * Proxy-Authorization for user/pass (CSeq + 1, same Call-ID and From tag),
 * 100, 180, 200 after ring (the PBX's answer, media at the PBX), ACK, RTP
 * both ways for talk, the caller hangs up. codec: PT_PCMU or PT_G729.
 * offer_in: the caller's SDP (NULL: sdp_audio's); hdrs: header lines (CRLF
 * included) both INVITEs carry after INV_EXTRA, or NULL. Returns the time
 * of the 200 OK.
 */
static uint64_t auth_call_x(struct gen *g, struct dlg *d, uint64_t t, const char *user,
                            const char *pass, uint64_t ring, uint64_t talk, int codec,
                            const char *offer_in, const char *hdrs)
{
	char offer[2048], answer[2048], nonce[40], hdr[1024], extra[4096];
	uint64_t opaque = rng_next(&d->r), t1 = t + 15 * MSEC + rng_range(&d->r, 0, 10000), ta;
	struct stream s[2];
	struct req q;

	if (offer_in)
		snprintf(offer, sizeof(offer), "%s", offer_in);
	else
		sdp_audio(offer, sizeof(offer), &d->p[0], d->sess[0], d->sess[0], 0, g->pps, codec,
		          "sendrecv");
	sdp_audio(answer, sizeof(answer), &d->p[1], d->sess[1], d->sess[1], 1, g->pps, codec,
	          "sendrecv");
	snprintf(extra, sizeof(extra), "%s%s", INV_EXTRA, hdrs ? hdrs : "");
	q = d_invite_x(g, t, d, offer, extra);
	g->n_calls++;
	new_nonce(nonce, &d->r);
	auth_challenge(hdr, sizeof(hdr), "Proxy-Authenticate", nonce, opaque);
	d_reply_x(g, t + 1200 + rng_range(&d->r, 0, 800), d, &q, 407, 0, hdr, NULL);
	d_ack(g, t + 3 * MSEC, d, 0);
	d->tag[1] = rng_next(&d->r); /* the To tag of the dialog, not of the 407 */
	auth_credentials(hdr, sizeof(hdr), "Proxy-Authorization", user, pass, "INVITE", d->ruri,
	                 nonce, opaque, rng_next(&d->r));
	snprintf(extra, sizeof(extra), "%s%s%s", INV_EXTRA, hdrs ? hdrs : "", hdr);
	q = d_invite_x(g, t1, d, offer, extra);
	d_reply(g, t1 + 2 * MSEC, d, &q, 100, "Trying", NULL);
	d_reply(g, t1 + 50 * MSEC + rng_range(&d->r, 0, 30000), d, &q, 180, "Ringing", NULL);
	ta = t1 + ring;
	d_reply(g, ta, d, &q, 200, "OK", answer);
	d_ack(g, ta + 6 * MSEC, d, 1);
	d_streams(g, d, s, (uint8_t)codec, ta + 20 * MSEC);
	st_run(g, &s[0], ta + talk);
	st_run(g, &s[1], ta + talk);
	call_end(g, d, 0, ta + talk + 5 * MSEC);
	return ta;
}

static void auth_call(struct gen *g, struct dlg *d, uint64_t t, const char *user,
                      const char *pass, uint64_t ring, uint64_t talk, int codec)
{
	auth_call_x(g, d, t, user, pass, ring, talk, codec, NULL, NULL);
}

/*
 * Alice's phone (user 100, 192.0.2.10) registers; she calls 200 (internal)
 * at 1 s; 198.51.100.77:5060, never registered, calls four premium and
 * international numbers with 101's stolen password at 5, 9, 13 and 17 s;
 * Alice calls an ordinary German landline at 21 s. Every INVITE is
 * challenged with 407 first; every call is answered by the PBX, 2 s of RTP
 * (Alice's: 3 s), the caller hangs up.
 */
static void sc_toll_fraud(struct gen *g, uint64_t t)
{
	static const char *const NUM[4] = { "00881234567", "+882123456", "900555123",
		                                "0044909876543" };
	struct rng r = rng_for(g->seed, "toll-fraud", 0);
	struct regx c;
	struct dlg d;

	memset(&c, 0, sizeof(c));
	c.ua = mk_ep("192.0.2.10", 5060);
	c.pbx = pbx_ep();
	c.user = "100";
	c.display = "Alice";
	c.ua_name = PHONES[0].ua;
	regx_init(&c, rng_next(&r), 0);
	regx_plain(g, t, &c, "alice-2026");

	for (int i = 0; i < 6; i++) {
		int fraud = i >= 1 && i <= 4;
		memset(&d, 0, sizeof(d));
		if (fraud) {
			d.p[0] = mk_party("101", NULL, "198.51.100.77", 5060, (uint16_t)(20000 + 2 * i),
			                  "Zoiper rv2.10.20.5", 0);
			d.p[1] = pbx_party(NUM[i - 1], NULL, (uint16_t)(10000 + 2 * i));
		} else {
			d.p[0] = mk_party("100", "Alice", "192.0.2.10", 5060, (uint16_t)(40000 + 2 * i),
			                  PHONES[0].ua, 0);
			d.p[1] = pbx_party(i == 0 ? "200" : "0049301234567", NULL,
			                   (uint16_t)(10000 + 2 * i));
		}
		d_init(&d, rng_next(&r));
		auth_call(g, &d, t + 1 * SEC + (uint64_t)i * 4 * SEC, fraud ? "101" : "100",
		          fraud ? "reception-101" : "alice-2026", 1200 * MSEC, fraud ? 2 * SEC : 3 * SEC,
		          PT_PCMU);
	}
}

/* ---- benign-mix ----------------------------------------------------------- */

static const struct phone BM_PHONES[10] = {
	{ "1001", "Alice", "192.0.2.10", "Yealink SIP-T46U 108.86.0.45", "alice-2026" },
	{ "1002", "Bob", "192.0.2.11", "Grandstream GXP2170 1.0.11.23", "bob-2026" },
	{ "1003", "Carol", "192.0.2.12", "Cisco/SPA504G-7.6.2", "carol-2026" },
	{ "1004", "Dave", "192.0.2.13", "snom D785/10.1.141.13", "dave-2026" },
	{ "1005", "Erin", "192.0.2.14", "Polycom/6.4.3.5018 PolycomVVX-VVX_450-UA/6.4.3.5018",
	  "erin-2026" },
	{ "1006", "Frank", "192.0.2.15", "Yealink SIP-T54W 96.86.0.100", "frank-2026" },
	{ "1007", "Grace", "192.0.2.16", "Fanvil X4U 2.12.2", "grace-2026" },
	{ "1008", "Heidi", "192.0.2.17", "Grandstream GRP2614 1.0.9.36", "heidi-2026" },
	{ "1009", "Ivan", "192.0.2.18", "snom D735/10.1.141.13", "ivan-2026" },
	{ "1010", "Judy", "192.0.2.19", "Yealink SIP-T46U 108.86.0.45", "judy-2026" },
};

enum { BM_ANSWER, BM_BUSY, BM_CANCEL };

/*
 * A call from phone a to phone b through the PBX, a B2BUA with direct
 * media: leg 1 a -> PBX (challenged 407 first), leg 2 PBX -> b; each leg's
 * SDP carries the other phone's media address, so RTP (G.729, 50 pps) flows
 * between the phones. kind: answered after ring, talk, bye_dir hangs up
 * (0 caller, 1 callee); busy (486 from b); cancelled by a after ring.
 * Returns the time the call is over.
 */
static uint64_t bm_call(struct gen *g, struct rng *r, uint64_t t, int a, int b, uint16_t pa,
                        uint16_t pb, int kind, uint64_t ring, uint64_t talk, int bye_dir)
{
	char offer[2048], answer[2048], nonce[40], hdr[1024], extra[1280];
	struct dlg l1, l2;
	struct req q1, q2;
	struct stream s[2];
	uint64_t opaque, t1, t2, ta;
	char cn[128];

	memset(&l1, 0, sizeof(l1));
	memset(&l2, 0, sizeof(l2));
	l1.p[0] = mk_party(BM_PHONES[a].user, BM_PHONES[a].display, BM_PHONES[a].ip, 5060, pa,
	                   BM_PHONES[a].ua, 0);
	l1.p[1] = pbx_party(BM_PHONES[b].user, BM_PHONES[b].display, pb);
	l1.p[1].media = mk_ep(BM_PHONES[b].ip, pb);
	d_init(&l1, rng_next(r));
	l2.p[0] = pbx_party(BM_PHONES[a].user, BM_PHONES[a].display, pa);
	l2.p[0].media = l1.p[0].media;
	l2.p[1] = mk_party(BM_PHONES[b].user, BM_PHONES[b].display, BM_PHONES[b].ip, 5060, pb,
	                   BM_PHONES[b].ua, 0);
	snprintf(l2.ruri, sizeof(l2.ruri), "sip:%s@%s:5060", BM_PHONES[b].user, BM_PHONES[b].ip);
	d_init(&l2, rng_next(r));

	/* Leg 1: challenged, then sent again with credentials. */
	sdp_audio(offer, sizeof(offer), &l1.p[0], l1.sess[0], l1.sess[0], 0, g->pps, PT_G729,
	          "sendrecv");
	q1 = d_invite(g, t, &l1, offer);
	opaque = rng_next(&l1.r);
	new_nonce(nonce, &l1.r);
	auth_challenge(hdr, sizeof(hdr), "Proxy-Authenticate", nonce, opaque);
	d_reply_x(g, t + 1200 + rng_range(&l1.r, 0, 800), &l1, &q1, 407, 0, hdr, NULL);
	d_ack(g, t + 3 * MSEC, &l1, 0);
	l1.tag[1] = rng_next(&l1.r);
	auth_credentials(hdr, sizeof(hdr), "Proxy-Authorization", BM_PHONES[a].user,
	                 BM_PHONES[a].pass, "INVITE", l1.ruri, nonce, opaque, rng_next(&l1.r));
	snprintf(extra, sizeof(extra), "%s%s", INV_EXTRA, hdr);
	t1 = t + 15 * MSEC + rng_range(&l1.r, 0, 10000);
	q1 = d_invite_x(g, t1, &l1, offer, extra);
	d_reply(g, t1 + 2 * MSEC, &l1, &q1, 100, "Trying", NULL);

	/* Leg 2. */
	t2 = t1 + 10 * MSEC;
	sdp_audio(offer, sizeof(offer), &l2.p[0], l2.sess[0], l2.sess[0], 0, g->pps, PT_G729,
	          "sendrecv");
	q2 = d_invite_x(g, t2, &l2, offer, INV_EXTRA);
	d_reply(g, t2 + 3 * MSEC, &l2, &q2, 100, "Trying", NULL);
	if (kind == BM_BUSY) {
		d_reply(g, t2 + 30 * MSEC, &l2, &q2, 486, "Busy Here", NULL);
		d_ack(g, t2 + 32 * MSEC, &l2, 0);
		d_reply(g, t2 + 33 * MSEC, &l1, &q1, 486, "Busy Here", NULL);
		d_ack(g, t2 + 36 * MSEC, &l1, 0);
		return t2 + 36 * MSEC;
	}
	d_reply(g, t2 + 60 * MSEC, &l2, &q2, 180, "Ringing", NULL);
	d_reply(g, t2 + 62 * MSEC, &l1, &q1, 180, "Ringing", NULL);
	ta = t2 + ring;
	if (kind == BM_CANCEL) {
		struct req c1 = d_cancel(g, ta, &l1), c2;
		d_reply(g, ta + 2 * MSEC, &l1, &c1, 200, "OK", NULL);
		c2 = d_cancel(g, ta + 3 * MSEC, &l2);
		d_reply(g, ta + 6 * MSEC, &l2, &c2, 200, "OK", NULL);
		d_reply(g, ta + 7 * MSEC, &l2, &q2, 487, "Request Terminated", NULL);
		d_ack(g, ta + 9 * MSEC, &l2, 0);
		d_reply(g, ta + 10 * MSEC, &l1, &q1, 487, "Request Terminated", NULL);
		d_ack(g, ta + 13 * MSEC, &l1, 0);
		return ta + 13 * MSEC;
	}
	sdp_audio(answer, sizeof(answer), &l2.p[1], l2.sess[1], l2.sess[1], 1, g->pps, PT_G729,
	          "sendrecv");
	d_reply(g, ta, &l2, &q2, 200, "OK", answer);
	d_ack(g, ta + 3 * MSEC, &l2, 1);
	sdp_audio(answer, sizeof(answer), &l1.p[1], l1.sess[1], l1.sess[1], 1, g->pps, PT_G729,
	          "sendrecv");
	d_reply(g, ta + 5 * MSEC, &l1, &q1, 200, "OK", answer);
	d_ack(g, ta + 11 * MSEC, &l1, 1);
	/* Media phone to phone, each stream named by its phone. */
	st_start(g, &s[0], &l1.p[0].media, &l2.p[1].media, rng_next(&l1.r), PT_G729,
	         ta + 20 * MSEC, party_cname(&l1.p[0], cn, sizeof(cn)));
	st_start(g, &s[1], &l2.p[1].media, &l1.p[0].media, rng_next(&l2.r), PT_G729,
	         ta + 23 * MSEC, party_cname(&l2.p[1], cn, sizeof(cn)));
	st_run(g, &s[0], ta + talk);
	st_run(g, &s[1], ta + talk);
	ta += talk;
	if (bye_dir == 0) {
		call_end(g, &l1, 0, ta + 5 * MSEC);
		call_end(g, &l2, 0, ta + 9 * MSEC);
	} else {
		call_end(g, &l2, 1, ta + 5 * MSEC);
		call_end(g, &l1, 1, ta + 9 * MSEC);
	}
	return ta + 12 * MSEC;
}

/*
 * Ten phones (1001-1010, 192.0.2.10-.19) register with digest auth; Grace
 * (1007) mistypes her password once: 401, 401, and 6 s later the right
 * one answers the second nonce: 200. 30 calls between
 * phones, one every 3 s from 3 s (15 answered, 8 busy 486, 7 cancelled),
 * and at 48 s one call to an ordinary international number
 * (0049301234567, answered by the PBX). The PBX qualifies every phone with
 * OPTIONS at 30, 60 and 90 s.
 */
static void sc_benign_mix(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "benign-mix", 0);
	uint64_t busy[10] = { 0 };
	unsigned ncalls[10] = { 0 };
	int slot = 0;

	for (int i = 0; i < 10; i++) {
		struct regx c;
		uint64_t t0 = t + (uint64_t)i * 200 * MSEC + rng_range(&r, 0, 50000);
		memset(&c, 0, sizeof(c));
		c.ua = mk_ep(BM_PHONES[i].ip, 5060);
		c.pbx = pbx_ep();
		c.user = BM_PHONES[i].user;
		c.display = BM_PHONES[i].display;
		c.ua_name = BM_PHONES[i].ua;
		regx_init(&c, rng_next(&r), 0);
		if (i == 6) { /* Grace typed "grace-2025" and corrects it 6 s later */
			regx_request(g, t0, &c, NULL);
			regx_reply(g, t0 + 1500, &c, 401, NULL);
			regx_request(g, t0 + 25 * MSEC, &c, "grace-2025");
			regx_reply(g, t0 + 26 * MSEC + 500, &c, 401, NULL);
			regx_request(g, t0 + 6 * SEC, &c, BM_PHONES[i].pass);
			regx_reply(g, t0 + 6 * SEC + 1500, &c, 200, NULL);
		} else {
			regx_plain(g, t0, &c, BM_PHONES[i].pass);
		}
	}
	for (int k = 0; k < 31; k++) {
		uint64_t t0 = t + 3 * SEC + (uint64_t)k * 3 * SEC + rng_range(&r, 0, 900000);
		int free_[10], nf = 0, a, b;
		for (int i = 0; i < 10; i++)
			if (busy[i] < t0)
				free_[nf++] = i;
		if (nf < 2)
			die("internal: benign-mix: fewer than two idle phones");
		a = free_[rng_range(&r, 0, (uint64_t)nf - 1)];
		do
			b = free_[rng_range(&r, 0, (uint64_t)nf - 1)];
		while (b == a);
		if (k == 15) {
			struct dlg d;
			memset(&d, 0, sizeof(d));
			d.p[0] = mk_party(BM_PHONES[a].user, BM_PHONES[a].display, BM_PHONES[a].ip, 5060,
			                  (uint16_t)(40000 + 2 * ncalls[a]++), BM_PHONES[a].ua, 0);
			d.p[1] = pbx_party("0049301234567", NULL, 10000);
			d_init(&d, rng_next(&r));
			auth_call(g, &d, t0, BM_PHONES[a].user, BM_PHONES[a].pass, 3 * SEC, 5 * SEC,
			          PT_G729);
			busy[a] = t0 + 9 * SEC;
		} else {
			int kind = slot % 4 == 1 ? BM_BUSY : slot % 4 == 3 ? BM_CANCEL : BM_ANSWER;
			uint64_t ring = 1 * SEC + rng_range(&r, 0, 3000000);
			uint64_t talk = 2 * SEC + rng_range(&r, 0, 4000000);
			int bye_dir = (int)rng_range(&r, 0, 1);
			uint16_t pa = (uint16_t)(40000 + 2 * ncalls[a]++);
			uint16_t pb = (uint16_t)(40000 + 2 * ncalls[b]++);
			uint64_t end = bm_call(g, &r, t0, a, b, pa, pb, kind, ring, talk, bye_dir);
			busy[a] = busy[b] = end;
			slot++;
		}
	}
	for (int round = 1; round <= 3; round++) {
		for (int i = 0; i < 10; i++) {
			struct optctx c;
			uint64_t t0 = t + (uint64_t)round * 30 * SEC + (uint64_t)i * 50 * MSEC;
			memset(&c, 0, sizeof(c));
			c.from = pbx_ep();
			c.to = mk_ep(BM_PHONES[i].ip, 5060);
			c.from_user = "asterisk";
			c.to_user = BM_PHONES[i].user;
			c.ua = PBX_UA;
			c.to_ua = BM_PHONES[i].ua;
			opt_init(&c, &r);
			opt_step(g, t0, &c, 0);
			opt_step(g, t0 + 1 * MSEC + rng_range(&r, 0, 3000), &c, 1);
		}
	}
}

/* ---- options-flood, register-flood ----------------------------------------- */

/*
 * The PBX qualifies Alice (1001, 192.0.2.10) and Bob (1002, 192.0.2.11)
 * with OPTIONS at 0, 30 and 60 s (each answers 200). From 10 s to 15 s
 * 203.0.113.66:5060 sends 100 OPTIONS sip:100@192.0.2.5:5060, one every
 * 50 ms, each with its own Call-ID, From tag, branch and CSeq, From
 * <sip:100@203.0.113.66> and a Yealink User-Agent; the PBX answers each
 * 200 OK.
 */
static void sc_options_flood(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "options-flood", 0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 2; i++) {
			struct optctx c;
			uint64_t t0 = t + (uint64_t)round * 30 * SEC + (uint64_t)i * 50 * MSEC;
			memset(&c, 0, sizeof(c));
			c.from = pbx_ep();
			c.to = mk_ep(PHONES[i].ip, 5060);
			c.from_user = "asterisk";
			c.to_user = PHONES[i].user;
			c.ua = PBX_UA;
			c.to_ua = PHONES[i].ua;
			opt_init(&c, &r);
			opt_step(g, t0, &c, 0);
			opt_step(g, t0 + 1 * MSEC + rng_range(&r, 0, 3000), &c, 1);
		}
	}
	for (int i = 0; i < 100; i++) {
		struct optctx c;
		uint64_t t0 = t + 10 * SEC + (uint64_t)i * 50 * MSEC + rng_range(&r, 0, 3000);
		memset(&c, 0, sizeof(c));
		c.from = mk_ep("203.0.113.66", 5060);
		c.to = pbx_ep();
		c.from_user = "100";
		c.to_user = "100";
		c.ua = ATK_PHONE_UA;
		c.to_ua = PBX_UA;
		c.to_server = 1;
		opt_init(&c, &r);
		opt_step(g, t0, &c, 0);
		opt_step(g, t0 + 700 + rng_range(&r, 0, 1500), &c, 1);
	}
}

/*
 * Alice's phone (user 100, 192.0.2.10) registers at 0 s (401, 200); from
 * 2 s to 7 s 203.0.113.66:5060 sends 60 REGISTERs for user 100 without
 * credentials, one every 83 ms, each with its own Call-ID (CSeq 1), a
 * Yealink User-Agent and Contact <sip:100@203.0.113.66:5060>; the PBX
 * answers each 401 with a new nonce.
 */
static void sc_register_flood(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "register-flood", 0);
	struct regx c;

	memset(&c, 0, sizeof(c));
	c.ua = mk_ep("192.0.2.10", 5060);
	c.pbx = pbx_ep();
	c.user = "100";
	c.display = "Alice";
	c.ua_name = PHONES[0].ua;
	regx_init(&c, rng_next(&r), 0);
	regx_plain(g, t, &c, "alice-2026");
	for (int i = 0; i < 60; i++) {
		uint64_t t0 = t + 2 * SEC + (uint64_t)i * 5 * SEC / 60 + rng_range(&r, 0, 3000);
		struct regx a;
		memset(&a, 0, sizeof(a));
		a.ua = mk_ep("203.0.113.66", 5060);
		a.pbx = pbx_ep();
		a.user = "100";
		a.ua_name = ATK_PHONE_UA;
		regx_init(&a, rng_next(&r), 1);
		regx_request(g, t0, &a, NULL);
		regx_reply(g, t0 + 1200 + rng_range(&r, 0, 800), &a, 401, NULL);
	}
}

/* ---- exploits, exploits-benign ---------------------------------------------- */

/* Replaces the first from in the string buf (of capacity cap) with to. */
static void str_sub(char *buf, size_t cap, const char *from, const char *to)
{
	char *p = strstr(buf, from);
	size_t fl = strlen(from), tl = strlen(to), n = strlen(buf);
	if (!p)
		die("internal: \"%s\" not found", from);
	if (n - fl + tl + 1 > cap)
		die("internal: %zu-byte buffer too small", cap);
	memmove(p + tl, p + fl, n - (size_t)(p - buf) - fl + 1);
	memcpy(p, to, tl);
}

/*
 * An audio offer of exactly len bytes (len >= 1500): every static and
 * dynamic payload type with its rtpmap, then ICE host candidates and an
 * a=ssrc line that fills it up; valid SDP, every line short.
 */
static void sdp_big(char *out, size_t cap, const struct party *p, uint32_t sess, size_t len)
{
	static const char *const DYN[] = {
		"opus/48000/2", "speex/16000",  "speex/8000",          "iLBC/8000",
		"AMR/8000",     "AMR-WB/16000", "G726-32/8000",        "G7221/16000",
		"red/8000",     "CN/8000",      "telephone-event/8000", "G726-40/8000",
	};
	char a[64];
	struct sb s;
	unsigned port = p->media.port, k;
	size_t fill;

	if (cap <= len || len < 1500)
		die("internal: sdp_big: bad length %zu", len);
	ep_addr(&p->media, a, sizeof(a));
	sb_init(&s, out, cap);
	sb_str(&s, "v=0\r\n");
	sb_printf(&s, "o=%s %u %u IN IP4 %s\r\n", p->user, sess, sess, a);
	sb_str(&s, "s=-\r\n");
	sb_printf(&s, "c=IN IP4 %s\r\n", a);
	sb_str(&s, "t=0 0\r\n");
	sb_printf(&s, "m=audio %u RTP/AVP 0 8 9 18 3 4", port);
	for (k = 96; k <= 127; k++)
		sb_printf(&s, " %u", k);
	sb_str(&s, "\r\n");
	sb_str(&s, "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:9 G722/8000\r\n"
	           "a=rtpmap:18 G729/8000\r\na=rtpmap:3 GSM/8000\r\na=rtpmap:4 G723/8000\r\n");
	for (k = 96; k <= 127; k++)
		sb_printf(&s, "a=rtpmap:%u %s\r\n", k, DYN[(k - 96) % N_ELEMS(DYN)]);
	sb_str(&s, "a=sendrecv\r\n");
	for (k = 0; s.len + 150 < len; k++)
		sb_printf(&s, "a=candidate:%u 1 UDP %u %s %u typ host\r\n", k + 1, 2130706431u - k, a,
		          port + 2 * k);
	/* "a=ssrc:NNNNNNNNNN cname:" + fill + CRLF */
	fill = len - s.len - 26;
	sb_printf(&s, "a=ssrc:%u cname:", 3735928559u);
	for (size_t i = 0; i < fill; i++)
		sb_mem(&s, &"0123456789abcdef"[(i * 7 + sess) % 16], 1);
	sb_str(&s, "\r\n");
	if (s.len != len)
		die("internal: sdp_big: %zu bytes, not %zu", s.len, len);
}

/*
 * A desk phone's offer of about 500 bytes: G.722, PCMU, PCMA, G.729, opus,
 * iLBC, G.726, telephone-event, its RTCP port and bandwidth.
 */
static void sdp_phone(char *out, size_t cap, const struct party *p, uint32_t sess, unsigned pps)
{
	char a[64];
	struct sb s;
	ep_addr(&p->media, a, sizeof(a));
	sb_init(&s, out, cap);
	sb_str(&s, "v=0\r\n");
	sb_printf(&s, "o=%s %u %u IN IP4 %s\r\n", p->user, sess, sess, a);
	sb_str(&s, "s=SIP Call\r\n");
	sb_printf(&s, "c=IN IP4 %s\r\n", a);
	sb_str(&s, "b=AS:84\r\n");
	sb_str(&s, "t=0 0\r\n");
	sb_printf(&s, "m=audio %u RTP/AVP 9 0 8 18 98 97 102 101\r\n", p->media.port);
	sb_printf(&s, "a=rtcp:%u IN IP4 %s\r\n", p->media.port + 1, a);
	sb_str(&s, "a=rtpmap:9 G722/8000\r\n"
	           "a=rtpmap:0 PCMU/8000\r\n"
	           "a=rtpmap:8 PCMA/8000\r\n"
	           "a=rtpmap:18 G729/8000\r\n"
	           "a=fmtp:18 annexb=no\r\n"
	           "a=rtpmap:98 opus/48000/2\r\n"
	           "a=fmtp:98 useinbandfec=1\r\n"
	           "a=rtpmap:97 iLBC/8000\r\n"
	           "a=fmtp:97 mode=30\r\n"
	           "a=rtpmap:102 G726-32/8000\r\n"
	           "a=rtpmap:101 telephone-event/8000\r\n"
	           "a=fmtp:101 0-15\r\n");
	sb_printf(&s, "a=ptime:%u\r\n", pps ? 1000 / pps : 20);
	sb_str(&s, "a=maxptime:60\r\n");
	sb_str(&s, "a=sendrecv\r\n");
}

/*
 * An OPTIONS to the PBX as a probe tool writes it and the PBX's 200 OK dt
 * later. via, from (tag included), to, cid: the values of those headers in
 * the request; via_resp: the response's Via (rport filled in); more: the
 * request's header lines after CSeq (Contact, User-Agent, Accept).
 */
struct probe {
	struct ep src;
	const char *ruri, *via, *via_resp, *from, *to, *cid, *more;
	unsigned cseq;
	uint8_t tos;
};

static void probe_options(struct gen *g, uint64_t t, uint64_t dt, const struct probe *p,
                          uint64_t ttag)
{
	char m[MSG_MAX];
	struct ep pbx = pbx_ep();
	struct sb s;

	sb_init(&s, m, sizeof(m));
	sb_printf(&s, "OPTIONS %s SIP/2.0\r\n", p->ruri);
	sb_printf(&s, "Via: %s\r\n", p->via);
	sb_str(&s, "Max-Forwards: 70\r\n");
	sb_printf(&s, "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %u OPTIONS\r\n", p->from, p->to,
	          p->cid, p->cseq);
	sb_str(&s, p->more);
	sb_body(&s, NULL, NULL);
	send_udp(g, t, &p->src, &pbx, m, s.len, p->tos, 0);
	g->n_sip++;
	g->n_options++;

	sb_init(&s, m, sizeof(m));
	sb_str(&s, "SIP/2.0 200 OK\r\n");
	sb_printf(&s, "Via: %s\r\n", p->via_resp);
	sb_printf(&s, "From: %s\r\nTo: %s;tag=as%08" PRIx64 "\r\nCall-ID: %s\r\nCSeq: %u OPTIONS\r\n",
	          p->from, p->to, ttag >> 32, p->cid, p->cseq);
	sb_printf(&s, "Server: %s\r\n", PBX_UA);
	sb_str(&s, "Contact: <sip:192.0.2.5:5060>\r\n");
	sb_printf(&s, "Allow: %s\r\n", ALLOW);
	sb_str(&s, "Supported: replaces, timer\r\n");
	sb_str(&s, "Accept: application/sdp\r\n");
	sb_body(&s, NULL, NULL);
	send_udp(g, t + dt, &pbx, &p->src, m, s.len, TOS_SIP, 0);
	g->n_sip++;
}

/* An out-of-dialog MESSAGE of d (text/plain body), with headers extra (or NULL). */
static struct req d_message(struct gen *g, uint64_t t, struct dlg *d, const char *extra,
                            const char *text)
{
	char m[MSG_MAX];
	struct req q = { rng_next(&d->r), ++d->cseq[0], 0, "MESSAGE" };
	size_t n = d_request(d, m, &q, d->ruri, 0, extra, "text/plain", text);
	d_send(g, t, d, 0, m, n);
	return q;
}

/* The 407 challenge to q (nonce and opaque stored for the retry). */
static void d_challenge(struct gen *g, uint64_t t, struct dlg *d, const struct req *q,
                        char nonce[40], uint64_t *opaque)
{
	char ch[512];
	*opaque = rng_next(&d->r);
	new_nonce(nonce, &d->r);
	auth_challenge(ch, sizeof(ch), "Proxy-Authenticate", nonce, *opaque);
	d_reply_x(g, t, d, q, 407, 0, ch, NULL);
}

static const char *const SQLI_USER = "100' OR '1'='1";

/*
 * From 203.0.113.66, one a second from 0 s, each answered by the PBX as it
 * answers any request from a host without credentials:
 *   0 s  INVITE sip:101@192.0.2.5 of exactly 5000 bytes (SDP of every
 *        payload type and about 50 ICE candidates), in 4 IP fragments: 407,
 *        ACK;
 *   1 s  INVITE with a 1500-byte Subject ("AAA..."), 2 IP fragments: 407, ACK;
 *   2 s  REGISTER for 100: 401; REGISTER whose Authorization username is
 *        100' OR '1'='1 (a digest answering the nonce): 403;
 *   3 s  MESSAGE with From "<script>alert(1)</script>" <sip:100@192.0.2.5>:
 *        407;
 *   4 s  smap's OPTIONS (From <sip:smap@192.0.2.66>, no User-Agent): 200;
 *   5 s  sipsak's OPTIONS from a random high port (From <sip:sipsak@...>,
 *        User-Agent sipsak 0.9.8): 200.
 * The first four come from port 5060 with a Yealink User-Agent.
 */
static void sc_exploits(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "exploits", 0);
	char m[MSG_MAX], offer[8192], extra[4096], nonce[40];
	uint64_t opaque;
	struct dlg d;
	struct req q;
	size_t n;

	/* (a) 5000-byte INVITE */
	memset(&d, 0, sizeof(d));
	d.p[0] = mk_party("100", NULL, "203.0.113.66", 5060, 30000, ATK_PHONE_UA, 0);
	d.p[1] = pbx_party("101", NULL, 0);
	d_init(&d, rng_next(&r));
	{
		struct req probe = { 0, d.cseq[0] + 1, 0, "INVITE" };
		memset(offer, 'x', 4000);
		offer[4000] = '\0';
		n = d_request(&d, m, &probe, d.ruri, 0, INV_EXTRA, "application/sdp", offer);
	}
	sdp_big(offer, sizeof(offer), &d.p[0], d.sess[0], 5000 - (n - 4000));
	q = d_invite_x(g, t, &d, offer, INV_EXTRA);
	g->n_calls++;
	d_challenge(g, t + 1500 + rng_range(&r, 0, 800), &d, &q, nonce, &opaque);
	d_ack(g, t + 4 * MSEC, &d, 0);

	/* (b) a 1500-byte Subject */
	t += 1 * SEC;
	memset(&d, 0, sizeof(d));
	d.p[0] = mk_party("100", NULL, "203.0.113.66", 5060, 30002, ATK_PHONE_UA, 0);
	d.p[1] = pbx_party("101", NULL, 0);
	d_init(&d, rng_next(&r));
	sdp_basic(offer, sizeof(offer), &d.p[0], d.sess[0], 0, g->pps);
	n = (size_t)snprintf(extra, sizeof(extra), "%sSubject: ", INV_EXTRA);
	memset(extra + n, 'A', 1500);
	memcpy(extra + n + 1500, "\r\n", 3);
	q = d_invite_x(g, t, &d, offer, extra);
	g->n_calls++;
	d_challenge(g, t + 1200 + rng_range(&r, 0, 800), &d, &q, nonce, &opaque);
	d_ack(g, t + 3 * MSEC, &d, 0);

	/* (c) SQL injection in the Authorization username */
	t += 1 * SEC;
	{
		struct regx a;
		memset(&a, 0, sizeof(a));
		a.ua = mk_ep("203.0.113.66", 5060);
		a.pbx = pbx_ep();
		a.user = "100";
		a.auth_user = SQLI_USER;
		a.ua_name = ATK_PHONE_UA;
		regx_init(&a, rng_next(&r), 1);
		regx_request(g, t, &a, NULL);
		regx_reply(g, t + 1200 + rng_range(&a.r, 0, 800), &a, 401, NULL);
		regx_request(g, t + 5 * MSEC, &a, "1234");
		regx_reply(g, t + 6 * MSEC + rng_range(&a.r, 0, 800), &a, 403, NULL);
	}

	/* (d) script in the From display name */
	t += 1 * SEC;
	memset(&d, 0, sizeof(d));
	d.p[0] = mk_party("100", "<script>alert(1)</script>", "203.0.113.66", 5060, 0, ATK_PHONE_UA,
	                  0);
	d.p[1] = pbx_party("101", NULL, 0);
	d_init(&d, rng_next(&r));
	q = d_message(g, t, &d, NULL, "hello");
	d_challenge(g, t + 1100 + rng_range(&r, 0, 800), &d, &q, nonce, &opaque);

	/* (e) smap */
	t += 1 * SEC;
	{
		char via[128], from[96], cid[64];
		uint32_t br = (uint32_t)rng_next(&r), tag = (uint32_t)rng_next(&r),
		         ci = (uint32_t)rng_next(&r);
		struct probe p;
		snprintf(via, sizeof(via), "SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK%08x", br);
		snprintf(from, sizeof(from), "<sip:smap@192.0.2.66>;tag=%08x", tag);
		snprintf(cid, sizeof(cid), "%08x@192.0.2.66", ci);
		memset(&p, 0, sizeof(p));
		p.src = mk_ep("203.0.113.66", 5060);
		p.ruri = "sip:192.0.2.5";
		p.via = p.via_resp = via;
		p.from = from;
		p.to = "<sip:smap@192.0.2.5>";
		p.cid = cid;
		p.cseq = 23;
		p.more = "Contact: <sip:smap@203.0.113.66:5060>\r\nAccept: application/sdp\r\n";
		{
			uint64_t dt = 900 + rng_range(&r, 0, 800);
			probe_options(g, t, dt, &p, rng_next(&r));
		}
	}

	/* (f) sipsak */
	t += 1 * SEC;
	{
		char via[160], via_r[160], from[96], cid[64], more[256];
		uint16_t port = (uint16_t)rng_range(&r, 32768, 60999);
		uint32_t br = (uint32_t)rng_next(&r), tag = (uint32_t)rng_next(&r);
		uint64_t ci = rng_next(&r) % 1000000000ULL;
		struct probe p;
		snprintf(via, sizeof(via), "SIP/2.0/UDP 203.0.113.66:%u;branch=z9hG4bK.%08x;rport;alias",
		         port, br);
		snprintf(via_r, sizeof(via_r),
		         "SIP/2.0/UDP 203.0.113.66:%u;branch=z9hG4bK.%08x;rport=%u;alias", port, br, port);
		snprintf(from, sizeof(from), "<sip:sipsak@203.0.113.66:%u>;tag=%08x", port, tag);
		snprintf(cid, sizeof(cid), "%" PRIu64 "@203.0.113.66", ci);
		snprintf(more, sizeof(more),
		         "Contact: <sip:sipsak@203.0.113.66:%u>\r\nUser-Agent: sipsak 0.9.8\r\n"
		         "Accept: text/plain\r\n",
		         port);
		memset(&p, 0, sizeof(p));
		p.src = mk_ep("203.0.113.66", port);
		p.ruri = "sip:100@192.0.2.5";
		p.via = via;
		p.via_resp = via_r;
		p.from = from;
		p.to = "<sip:100@192.0.2.5>";
		p.cid = cid;
		p.cseq = 1;
		p.more = more;
		{
			uint64_t dt = 900 + rng_range(&r, 0, 800);
			probe_options(g, t, dt, &p, rng_next(&r));
		}
	}
}

/*
 * The same shapes done right by Alice's phone (user 100, 192.0.2.10:5060):
 *   0 s  REGISTER, 401, REGISTER with Authorization username="100", 200;
 *   1 s  a call to 101 with a 500-byte SDP offer: INVITE, 407, ACK, INVITE
 *        with Proxy-Authorization, 100, 180, 200, ACK, 1 s of RTP, BYE, 200;
 *   4 s  the same to 102 with a 40-byte Subject;
 *   7 s  MESSAGE to 101 from "Alice" <sip:100@192.0.2.5>: 407, MESSAGE
 *        with Proxy-Authorization, 202 Accepted;
 *   8 s  OPTIONS sip:192.0.2.5 from <sip:100@192.0.2.5>: 200.
 */
static void sc_exploits_benign(struct gen *g, uint64_t t)
{
	static const char *const PASS = "alice-2026";
	struct rng r = rng_for(g->seed, "exploits-benign", 0);
	char offer[2048], hdr[1024], nonce[40];
	uint64_t opaque;
	struct regx c;
	struct dlg d;
	struct req q;

	memset(&c, 0, sizeof(c));
	c.ua = mk_ep("192.0.2.10", 5060);
	c.pbx = pbx_ep();
	c.user = "100";
	c.display = "Alice";
	c.ua_name = PHONES[0].ua;
	regx_init(&c, rng_next(&r), 0);
	regx_plain(g, t, &c, PASS);

	memset(&d, 0, sizeof(d));
	d.p[0] = mk_party("100", "Alice", "192.0.2.10", 5060, 40000, PHONES[0].ua, 0);
	d.p[1] = pbx_party("101", NULL, 10000);
	d_init(&d, rng_next(&r));
	sdp_phone(offer, sizeof(offer), &d.p[0], d.sess[0], g->pps);
	auth_call_x(g, &d, t + 1 * SEC, "100", PASS, 1 * SEC, 1 * SEC, PT_PCMU, offer, NULL);

	memset(&d, 0, sizeof(d));
	d.p[0] = mk_party("100", "Alice", "192.0.2.10", 5060, 40002, PHONES[0].ua, 0);
	d.p[1] = pbx_party("102", NULL, 10002);
	d_init(&d, rng_next(&r));
	auth_call_x(g, &d, t + 4 * SEC, "100", PASS, 1 * SEC, 1 * SEC, PT_PCMU, NULL,
	            "Subject: Call me back re: invoice 2026-114 please\r\n");

	memset(&d, 0, sizeof(d));
	d.p[0] = mk_party("100", "Alice", "192.0.2.10", 5060, 0, PHONES[0].ua, 0);
	d.p[1] = pbx_party("101", NULL, 0);
	d_init(&d, rng_next(&r));
	q = d_message(g, t + 7 * SEC, &d, NULL, "Lunch at 12?");
	d_challenge(g, t + 7 * SEC + 1300, &d, &q, nonce, &opaque);
	d.tag[1] = rng_next(&d.r);
	auth_credentials(hdr, sizeof(hdr), "Proxy-Authorization", "100", PASS, "MESSAGE", d.ruri,
	                 nonce, opaque, rng_next(&d.r));
	q = d_message(g, t + 7 * SEC + 20 * MSEC, &d, hdr, "Lunch at 12?");
	d_reply_x(g, t + 7 * SEC + 22 * MSEC, &d, &q, 202, 0, NULL, NULL);

	{
		char via[128], from[96], cid[64];
		uint64_t br = rng_next(&r), tag = rng_next(&r), ci = rng_next(&r);
		struct probe p;
		snprintf(via, sizeof(via), "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK%016" PRIx64,
		         br);
		snprintf(from, sizeof(from), "<sip:100@192.0.2.5>;tag=%010" PRIx64, tag >> 24);
		snprintf(cid, sizeof(cid), "%016" PRIx64 "@192.0.2.10", ci);
		memset(&p, 0, sizeof(p));
		p.src = mk_ep("192.0.2.10", 5060);
		p.ruri = "sip:192.0.2.5";
		p.via = p.via_resp = via;
		p.from = from;
		p.to = "<sip:192.0.2.5>";
		p.cid = cid;
		p.cseq = (unsigned)rng_range(&r, 100, 900);
		p.more = "Contact: <sip:100@192.0.2.10:5060>\r\n"
		         "User-Agent: Yealink SIP-T46U 108.86.0.45\r\n"
		         "Accept: application/sdp\r\n";
		p.tos = TOS_SIP;
		{
			uint64_t dt = 900 + rng_range(&r, 0, 800);
			probe_options(g, t + 8 * SEC, dt, &p, rng_next(&r));
		}
	}
}

/* ---- call-rate, concurrent, unregistered-call ------------------------------ */

/* A registration of user/pass from ip:5060 at t: REGISTER, 401, REGISTER, 200. */
static void reg_phone(struct gen *g, struct rng *r, uint64_t t, const char *ip, const char *user,
                      const char *display, const char *ua, const char *pass)
{
	struct regx c;
	memset(&c, 0, sizeof(c));
	c.ua = mk_ep(ip, 5060);
	c.pbx = pbx_ep();
	c.user = user;
	c.display = display;
	c.ua_name = ua;
	regx_init(&c, rng_next(r), 0);
	regx_plain(g, t, &c, pass);
}

/* A call from user at ip:5060 (media port mport) to num at the PBX (media pport), auth_call. */
static uint64_t call_as(struct gen *g, struct rng *r, uint64_t t, const char *user,
                        const char *display, const char *ip, uint16_t mport, const char *ua,
                        const char *pass, const char *num, uint16_t pport, uint64_t ring,
                        uint64_t talk, int codec)
{
	struct dlg d;
	memset(&d, 0, sizeof(d));
	d.p[0] = mk_party(user, display, ip, 5060, mport, ua, 0);
	d.p[1] = pbx_party(num, NULL, pport);
	d_init(&d, rng_next(r));
	return auth_call_x(g, &d, t, user, pass, ring, talk, codec, NULL, NULL);
}

static const char *const UA_130 = "snom D785/10.1.141.13";
static const char *const PASS_130 = "Kt7-sales-130";

/*
 * The phone 192.0.2.20 registers user 130 at 0 s and, from 2 s, calls
 * 200, 201, ... 211 (12 calls, one every 4.2 s, the last at 48 s): each
 * INVITE challenged (407), sent again with Proxy-Authorization for 130,
 * answered by the PBX after 0.8 s, 1 s of RTP, BYE. Alice's phone
 * (user 100, 192.0.2.10) registers at 0.3 s and calls 101, 102, 103 at
 * 10, 30 and 50 s (answered, 3 s of RTP).
 */
static void sc_call_rate(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "call-rate", 0);
	reg_phone(g, &r, t, "192.0.2.20", "130", "Sales", UA_130, PASS_130);
	reg_phone(g, &r, t + 300 * MSEC, "192.0.2.10", "100", "Alice", PHONES[0].ua, "alice-2026");
	for (int i = 0; i < 12; i++) {
		char num[16];
		snprintf(num, sizeof(num), "%u", 200u + (unsigned)i);
		call_as(g, &r, t + 2 * SEC + (uint64_t)i * 4200 * MSEC + rng_range(&r, 0, 300000), "130",
		        "Sales", "192.0.2.20", (uint16_t)(42000 + 2 * i), UA_130, PASS_130, num,
		        (uint16_t)(10000 + 2 * i), 800 * MSEC, 1 * SEC, PT_PCMU);
	}
	for (int i = 0; i < 3; i++) {
		char num[16];
		snprintf(num, sizeof(num), "%u", 101u + (unsigned)i);
		call_as(g, &r, t + 10 * SEC + (uint64_t)i * 20 * SEC, "100", "Alice", "192.0.2.10",
		        (uint16_t)(40000 + 2 * i), PHONES[0].ua, "alice-2026", num,
		        (uint16_t)(10100 + 2 * i), 2 * SEC, 3 * SEC, PT_PCMU);
	}
}

/*
 * The phone 192.0.2.20 registers user 130 at 0 s. From 2 s, 198.51.100.77
 * calls six ordinary landlines abroad with 130's password, one every 0.6 s
 * (each challenged 407 first), all answered 1 s after their second INVITE
 * (by 6.2 s) and held 20 s at once: G.729 RTP at 10 packets a second (100 ms
 * frames; none with --rtp-pps 0), BYE. At 8 s the phone itself calls 201
 * (answered, 6 s of PCMU RTP at --rtp-pps).
 */
static void sc_concurrent(struct gen *g, uint64_t t)
{
	static const char *const NUM[6] = { "0049301234501", "0033142345602", "0034912345603",
		                                "0049891234504", "0044207946005", "0039061234506" };
	struct rng r = rng_for(g->seed, "concurrent", 0);
	unsigned pps = g->pps;

	reg_phone(g, &r, t, "192.0.2.20", "130", "Sales", UA_130, PASS_130);
	if (pps)
		g->pps = 10;
	for (int i = 0; i < 6; i++)
		call_as(g, &r, t + 2 * SEC + (uint64_t)i * 600 * MSEC + rng_range(&r, 0, 100000), "130",
		        NULL, "198.51.100.77", (uint16_t)(20000 + 2 * i), "Zoiper rv2.10.20.5", PASS_130,
		        NUM[i], (uint16_t)(10000 + 2 * i), 1 * SEC, 20 * SEC, PT_G729);
	g->pps = pps;
	call_as(g, &r, t + 8 * SEC, "130", "Sales", "192.0.2.20", 42000, UA_130, PASS_130, "201",
	        10100, 2 * SEC, 6 * SEC, PT_PCMU);
}

/*
 * The phone 192.0.2.21 registers user 131 at 0 s and calls 200 at 2 s
 * (answered, 3 s of RTP). At 9 s 198.51.100.77, which never registered,
 * calls 205 with 131's password (407 first), answered, 3 s of RTP, BYE.
 */
static void sc_unregistered_call(struct gen *g, uint64_t t)
{
	static const char *const UA_131 = "Polycom/6.4.3.5018 PolycomVVX-VVX_450-UA/6.4.3.5018";
	static const char *const PASS_131 = "Mq4-support-131";
	struct rng r = rng_for(g->seed, "unregistered-call", 0);

	reg_phone(g, &r, t, "192.0.2.21", "131", "Support", UA_131, PASS_131);
	call_as(g, &r, t + 2 * SEC, "131", "Support", "192.0.2.21", 42000, UA_131, PASS_131, "200",
	        10000, 1500 * MSEC, 3 * SEC, PT_PCMU);
	call_as(g, &r, t + 9 * SEC, "131", NULL, "198.51.100.77", 20000, "Zoiper rv2.10.20.5",
	        PASS_131, "205", 10002, 1500 * MSEC, 3 * SEC, PT_PCMU);
}

/* ---- media-move ------------------------------------------------------------ */

/*
 * The call of call_setup with RTP for 8 s; 3 s after the answer Alice sends
 * a re-INVITE from her own address (her next CSeq, o= version + 1, origin
 * unchanged) whose SDP moves her media to c=IN IP4 198.51.100.200,
 * m=audio 50000. The PBX answers 200 and its RTP (same SSRC) goes to
 * 198.51.100.200:50000; Alice's RTP from 192.0.2.10:40000 stops and
 * 198.51.100.200:50000 sends to the PBX (new SSRC). Alice hangs up at 8 s.
 */
static void sc_media_move(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "media-move", 0);
	struct dlg d;
	struct stream s[2];
	struct ep nm = mk_ep("198.51.100.200", 50000);
	char offer[2048], answer[2048];
	uint64_t ta = call_setup(g, &d, rng_next(&r), t), th = ta + 3 * SEC, te = ta + 8 * SEC;
	struct req q;

	d_streams(g, &d, s, PT_PCMU, ta + 20 * MSEC);
	sdp_audio(offer, sizeof(offer), &d.p[0], d.sess[0], d.sess[0] + 1, 0, g->pps, PT_PCMU,
	          "sendrecv");
	str_sub(offer, sizeof(offer), "c=IN IP4 192.0.2.10\r\n", "c=IN IP4 198.51.100.200\r\n");
	str_sub(offer, sizeof(offer), "m=audio 40000 ", "m=audio 50000 ");
	sdp_audio(answer, sizeof(answer), &d.p[1], d.sess[1], d.sess[1] + 1, 1, g->pps, PT_PCMU,
	          "sendrecv");
	q = d_reinvite(g, th, &d, 0, offer);
	d_reply_x(g, th + 4 * MSEC, &d, &q, 200, 1, INV_EXTRA, answer);
	d_ack(g, th + 9 * MSEC, &d, 1);
	st_run(g, &s[1], th + 10 * MSEC);
	st_retarget(g, &s[1], &nm);
	st_run(g, &s[1], te);
	st_run(g, &s[0], th + 10 * MSEC);
	st_start(g, &s[0], &nm, &d.p[1].media, rng_next(&d.r), PT_PCMU, th + 30 * MSEC,
	         "1001@198.51.100.200");
	st_run(g, &s[0], te);
	call_end(g, &d, 0, te + 5 * MSEC);
}

/* ---- timer-spread ---------------------------------------------------------- */

/*
 * When a transaction that timed out gets its record. At 0 s Alice's phone
 * (192.0.2.10) sends a NOTIFY (Call-ID late@x) that is never answered; from
 * 31.900 s to 32.100 s 192.0.2.30:40000 sends a 9-byte datagram that is not
 * SIP ("filler NN") to 192.0.2.5:40000 every 5 ms, so packet time moves on;
 * at 32.050001 s 203.0.113.66 sends an OPTIONS with User-Agent
 * friendly-scanner, not answered either. With a 32 s transaction timeout
 * the NOTIFY times out at 32.000 s, between the two.
 */
static void sc_timer_spread(struct gen *g, uint64_t t)
{
	struct rng r = rng_for(g->seed, "timer-spread", 0);
	struct ep ph = mk_ep(PHONES[0].ip, 5060), pbx = pbx_ep();
	struct ep fsrc = mk_ep("192.0.2.30", 40000), fdst = mk_ep("192.0.2.5", 40000);
	struct optctx c;
	char m[MSG_MAX];
	struct sb s;

	sb_init(&s, m, sizeof(m));
	sb_str(&s, "NOTIFY sip:100@192.0.2.5 SIP/2.0\r\n");
	sb_printf(&s, "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK%016" PRIx64 "\r\n",
	          rng_next(&r));
	sb_str(&s, "Max-Forwards: 70\r\n");
	sb_printf(&s, "From: <sip:100@192.0.2.5>;tag=%08" PRIx64 "\r\n", rng_next(&r) >> 32);
	sb_str(&s, "To: <sip:100@192.0.2.5>\r\nCall-ID: late@x\r\nCSeq: 1 NOTIFY\r\n");
	sb_str(&s, "Contact: <sip:100@192.0.2.10:5060>\r\nEvent: keep-alive\r\n");
	sb_printf(&s, "User-Agent: %s\r\n", PHONES[0].ua);
	sb_body(&s, NULL, NULL);
	send_udp(g, t, &ph, &pbx, m, s.len, TOS_SIP, 0);
	g->n_sip++;
	for (unsigned i = 0; i <= 40; i++) {
		char f[16];
		int n = snprintf(f, sizeof(f), "filler %02u", i);
		send_udp(g, t + 31900 * MSEC + i * 5 * MSEC, &fsrc, &fdst, f, (size_t)n, 0, 0);
	}
	memset(&c, 0, sizeof(c));
	c.from = mk_ep("203.0.113.66", 5060);
	c.to = pbx;
	c.from_user = "100";
	c.to_user = "100";
	c.ua = "friendly-scanner";
	opt_init(&c, &r);
	opt_step(g, t + 32050 * MSEC + 1, &c, 0);
}

/* ------------------------------------------------------------------ */
/* bench: actors on a heap, streamed in time order                     */

enum { EV_CALL_START, EV_CALL, EV_RTP, EV_REG, EV_OPT };

/* An actor's next packet: ordered by time, then by when it was scheduled. */
struct ev {
	uint64_t t, seq;
	uint32_t id;
	uint8_t kind, st;
};

struct heap {
	struct ev *a;
	size_t n, cap;
	uint64_t seq;
};

static int ev_lt(const struct ev *x, const struct ev *y)
{
	return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void heap_down(struct heap *h, size_t i)
{
	struct ev e = h->a[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && ev_lt(&h->a[c + 1], &h->a[c]))
			c++;
		if (!ev_lt(&h->a[c], &e))
			break;
		h->a[i] = h->a[c];
		i = c;
	}
	h->a[i] = e;
}

static void heap_push(struct heap *h, uint64_t t, uint8_t kind, uint8_t st, uint32_t id)
{
	struct ev e = { t, h->seq++, id, kind, st };
	size_t i;
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->a = xrealloc(h->a, h->cap * sizeof(*h->a));
	}
	i = h->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!ev_lt(&e, &h->a[p]))
			break;
		h->a[i] = h->a[p];
		i = p;
	}
	h->a[i] = e;
}

static void heap_pop(struct heap *h)
{
	h->a[0] = h->a[--h->n];
	if (h->n)
		heap_down(h, 0);
}

/* Reschedules the top actor (the hot path: one sift instead of a pop and a push). */
static void heap_retime_top(struct heap *h, uint64_t t, uint8_t st)
{
	h->a[0].t = t;
	h->a[0].st = st;
	h->a[0].seq = h->seq++;
	heap_down(h, 0);
}

struct bcall {
	struct dlg d;
	struct req inv, bye;
	uint64_t t_ans, t_end;
	uint8_t bye_dir;
};

struct bench {
	struct gen *g;
	struct heap h;
	struct bcall *calls; /* slots, reused; an index is stable, a pointer is not */
	struct rtp *rtp;     /* two per slot when there is RTP */
	uint32_t *freel;
	size_t nfree, nslots;
	uint64_t ncalls, conc, dur, gap, regs, options, span;
	uint64_t active, max_active;
};

static const char *const BENCH_UA[] = {
	"Yealink SIP-T46U 108.86.0.45", "Grandstream GXP2170 1.0.11.23", "Cisco/SPA504G-7.6.2",
	"snom D785/10.1.141.13",        "Polycom/6.4.3.5018 PolycomVVX-VVX_450-UA/6.4.3.5018",
};

static uint32_t slot_alloc(struct bench *b)
{
	if (b->nfree)
		return b->freel[--b->nfree];
	b->calls = xrealloc(b->calls, (b->nslots + 1) * sizeof(*b->calls));
	b->freel = xrealloc(b->freel, (b->nslots + 1) * sizeof(*b->freel));
	if (b->g->pps)
		b->rtp = xrealloc(b->rtp, (b->nslots + 1) * 2 * sizeof(*b->rtp));
	return (uint32_t)b->nslots++;
}

static uint64_t call_start_time(const struct bench *b, uint64_t i)
{
	struct rng r = rng_for(b->g->seed, "bench-call", i);
	return b->g->start + i * b->gap + (b->gap >= 2 ? rng_next(&r) % (b->gap / 2) : 0);
}

/*
 * Call i (in slot s): phone 192.0.2.(10 + i % 21) calls a 5-digit extension 3NNNN at
 * the PBX 192.0.2.5. Media ports advance with i, as a PBX and phones cycle
 * through their RTP port ranges: the PBX's media address is 192.0.2.5-.9,
 * ports 10000-59998, so a media address comes back after 125000 calls and
 * no two calls in progress share one below that concurrency.
 */
static void bench_call_start(struct bench *b, uint64_t t, uint64_t i)
{
	struct gen *g = b->g;
	uint32_t s = slot_alloc(b), ph = 10 + (uint32_t)(i % 21);
	uint64_t pi = i / 21;
	struct bcall *c = &b->calls[s];
	struct rng r = rng_for(g->seed, "bench-call", i);
	char ip[20], user[24], offer[1024];

	rng_next(&r); /* the start jitter */
	memset(c, 0, sizeof(*c));
	snprintf(ip, sizeof(ip), "192.0.2.%u", ph);
	snprintf(user, sizeof(user), "2%03u", ph);
	c->d.p[0] = mk_party(user, NULL, ip, 5060, (uint16_t)(20000 + 2 * (pi % 20000)),
	                     BENCH_UA[ph % N_ELEMS(BENCH_UA)], 0);
	snprintf(user, sizeof(user), "3%04u", (unsigned)(i % 10000));
	c->d.p[1] = pbx_party(user, NULL, 10000);
	c->d.p[1].media =
		ep4_octet(5 + (unsigned)((i / 25000) % 5), (uint16_t)(10000 + 2 * (i % 25000)));
	d_init(&c->d, rng_next(&r));
	c->bye_dir = rng_range(&r, 0, 9) < 3;
	sdp_basic(offer, sizeof(offer), &c->d.p[0], c->d.sess[0], 0, g->pps);
	c->inv = d_invite(g, t, &c->d, offer);
	if (++b->active > b->max_active)
		b->max_active = b->active;
	heap_push(&b->h, t + 1 * MSEC + rng_range(&c->d.r, 0, 2000), EV_CALL, 1, s);
	if (i + 1 < b->ncalls)
		heap_push(&b->h, call_start_time(b, i + 1), EV_CALL_START, 0, (uint32_t)(i + 1));
}

static void bench_call_step(struct bench *b, uint64_t t, uint32_t s, int st)
{
	struct gen *g = b->g;
	struct bcall *c = &b->calls[s];
	char answer[1024];

	switch (st) {
	case 1:
		d_reply(g, t, &c->d, &c->inv, 100, "Trying", NULL);
		heap_push(&b->h, t + 30 * MSEC + rng_range(&c->d.r, 0, 50000), EV_CALL, 2, s);
		break;
	case 2:
		d_reply(g, t, &c->d, &c->inv, 180, "Ringing", NULL);
		heap_push(&b->h, t + 400 * MSEC + rng_range(&c->d.r, 0, 2600000), EV_CALL, 3, s);
		break;
	case 3:
		sdp_basic(answer, sizeof(answer), &c->d.p[1], c->d.sess[1], 1, g->pps);
		d_reply(g, t, &c->d, &c->inv, 200, "OK", answer);
		c->t_ans = t;
		c->t_end = t + b->dur;
		heap_push(&b->h, t + 5 * MSEC + rng_range(&c->d.r, 0, 15000), EV_CALL, 4, s);
		break;
	case 4:
		d_ack(g, t, &c->d, 1);
		if (g->pps && b->dur > 20 * MSEC) {
			for (int dir = 0; dir < 2; dir++) {
				struct rtp *r = &b->rtp[2 * s + (uint32_t)dir];
				rtp_init(r, &c->d.p[dir].media, &c->d.p[!dir].media, rng_next(&c->d.r),
				         g->pps);
				r->t0 = c->t_ans + 20 * MSEC + (uint64_t)dir * rng_range(&c->d.r, 0, 5000);
				r->t_end = c->t_end;
				r->k = 0;
				heap_push(&b->h, rtp_time(r, 0), EV_RTP, (uint8_t)dir, s);
			}
		}
		heap_push(&b->h, c->t_end + 1 * MSEC + rng_range(&c->d.r, 0, 40000), EV_CALL, 5, s);
		break;
	case 5:
		c->bye = d_bye(g, t, &c->d, c->bye_dir);
		heap_push(&b->h, t + 2 * MSEC + rng_range(&c->d.r, 0, 6000), EV_CALL, 6, s);
		break;
	default:
		d_reply(g, t, &c->d, &c->bye, 200, "OK", NULL);
		b->freel[b->nfree++] = s;
		b->active--;
		break;
	}
}

/* Registration j: its context and step times follow from (seed, j) alone. */
static uint64_t bench_reg_ctx(const struct bench *b, uint64_t j, struct regctx *c, char *user,
                              char *pass, uint64_t dt[4])
{
	struct rng r = rng_for(b->g->seed, "bench-reg", j);
	uint64_t t0 = b->g->start + j * b->span / b->regs + rng_range(&r, 0, 999);
	memset(c, 0, sizeof(*c));
	snprintf(user, 24, "%u", (unsigned)(10000 + j % 90000));
	snprintf(pass, 24, "pw-%016" PRIx64, rng_next(&r));
	c->phone = ep4_octet(10 + (unsigned)(j % 21), (uint16_t)(5060 + (j / 21) % 1000));
	c->pbx = mk_ep("192.0.2.5", 5060);
	c->user = user;
	c->display = user;
	c->pass = pass;
	c->ua = BENCH_UA[j % N_ELEMS(BENCH_UA)];
	c->accepted = 1;
	reg_init(c, &r);
	dt[0] = 0;
	dt[1] = 1 * MSEC + rng_range(&r, 0, 2000);
	dt[2] = dt[1] + 15 * MSEC + rng_range(&r, 0, 25000);
	dt[3] = dt[2] + 1 * MSEC + rng_range(&r, 0, 2000);
	return t0;
}

static uint64_t bench_opt_ctx(const struct bench *b, uint64_t j, struct optctx *c, char *user,
                              uint64_t dt[2])
{
	struct rng r = rng_for(b->g->seed, "bench-opt", j);
	uint64_t t0 = b->g->start + j * b->span / b->options + rng_range(&r, 0, 999);
	unsigned ph = 10 + (unsigned)(j % 21);
	memset(c, 0, sizeof(*c));
	snprintf(user, 24, "2%03u", ph);
	c->from = mk_ep("192.0.2.5", 5060);
	c->to = ep4_octet(ph, 5060);
	c->from_user = "asterisk";
	c->to_user = user;
	c->ua = PBX_UA;
	c->to_ua = BENCH_UA[ph % N_ELEMS(BENCH_UA)];
	opt_init(c, &r);
	dt[0] = 0;
	dt[1] = 500 + rng_range(&r, 0, 3000);
	return t0;
}

static void run_bench(struct gen *g, uint64_t calls, uint64_t conc, double duration,
                      uint64_t regs, uint64_t options)
{
	struct bench b;
	memset(&b, 0, sizeof(b));
	b.g = g;
	b.ncalls = calls;
	b.conc = conc ? conc : 1;
	b.dur = (uint64_t)(duration * (double)SEC + 0.5);
	/* A call lasts its ringing (0.43-3.05 s, 1.75 s on average) plus dur: on average conc in progress. */
	b.gap = (b.dur + 1750 * MSEC) / b.conc;
	b.regs = regs;
	b.options = options;
	b.span = calls ? calls * b.gap + b.dur : 0;
	if (b.span < SEC)
		b.span = SEC;

	if (calls)
		heap_push(&b.h, call_start_time(&b, 0), EV_CALL_START, 0, 0);
	if (regs) {
		struct regctx c;
		char u[24], p[24];
		uint64_t dt[4];
		heap_push(&b.h, bench_reg_ctx(&b, 0, &c, u, p, dt), EV_REG, 0, 0);
	}
	if (options) {
		struct optctx c;
		char u[24];
		uint64_t dt[2];
		heap_push(&b.h, bench_opt_ctx(&b, 0, &c, u, dt), EV_OPT, 0, 0);
	}

	while (b.h.n) {
		struct ev e = b.h.a[0];
		if (e.kind == EV_RTP) {
			struct rtp *r = &b.rtp[2 * e.id + e.st];
			uint64_t nt;
			rtp_emit(g, r, e.t);
			nt = rtp_time(r, ++r->k);
			if (nt < r->t_end)
				heap_retime_top(&b.h, nt, e.st);
			else
				heap_pop(&b.h);
			continue;
		}
		heap_pop(&b.h);
		switch (e.kind) {
		case EV_CALL_START:
			bench_call_start(&b, e.t, e.id);
			break;
		case EV_CALL:
			bench_call_step(&b, e.t, e.id, e.st);
			break;
		case EV_REG: {
			struct regctx c;
			char u[24], p[24];
			uint64_t dt[4], t0 = bench_reg_ctx(&b, e.id, &c, u, p, dt);
			reg_step(g, e.t, &c, e.st);
			if (e.st < 3)
				heap_push(&b.h, t0 + dt[e.st + 1], EV_REG, (uint8_t)(e.st + 1), e.id);
			if (e.st == 0 && e.id + 1 < regs) {
				uint64_t t1 = bench_reg_ctx(&b, e.id + 1, &c, u, p, dt);
				heap_push(&b.h, t1, EV_REG, 0, e.id + 1);
			}
			break;
		}
		case EV_OPT: {
			struct optctx c;
			char u[24];
			uint64_t dt[2], t0 = bench_opt_ctx(&b, e.id, &c, u, dt);
			opt_step(g, e.t, &c, e.st);
			if (e.st == 0) {
				heap_push(&b.h, t0 + dt[1], EV_OPT, 1, e.id);
				if (e.id + 1 < options) {
					uint64_t t1 = bench_opt_ctx(&b, e.id + 1, &c, u, dt);
					heap_push(&b.h, t1, EV_OPT, 0, e.id + 1);
				}
			}
			break;
		}
		}
	}
	g->max_active = b.max_active;
	free(b.h.a);
	free(b.calls);
	free(b.rtp);
	free(b.freel);
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */

struct scenario {
	const char *name;
	void (*run)(struct gen *g, uint64_t t);
	const char *what;
};

static const struct scenario SCENARIOS[] = {
	{ "demo", sc_demo, "register to malformed below in one capture (< 1 MiB)" },
	{ "register", sc_register,
	  "5 digest registrations (4 accepted 200, 1 wrong password 403), 4 qualify OPTIONS" },
	{ "calls", sc_calls,
	  "B2BUA call (2 answered dialogs), voicemail call, 486 Busy Here, CANCEL/487" },
	{ "tcp", sc_tcp, "a call over TCP: handshake, split INVITE, 100+180 in one segment, FIN" },
	{ "ipv6", sc_ipv6, "a call over IPv6 with RTP" },
	{ "frag", sc_frag, "two calls whose INVITE is IP-fragmented (IPv4 and IPv6)" },
	{ "scan", sc_scan, "SIPVicious OPTIONS sweep over 20 hosts, 3 answer 200" },
	{ "malformed", sc_malformed,
	  "INVITE without Call-ID, bad CSeq, Content-Length > body, NUL in a header" },
	{ "enum", sc_enum,
	  "svwar-style REGISTER enumeration of 100-159 (phone UA): 404, 401 for 100/101/120" },
	{ "enum-invite", sc_enum_invite,
	  "the same with INVITE: 404, 407 for 100/101/120, each ACKed" },
	{ "crack", sc_crack,
	  "101 registers; 40 svcrack-style password guesses for 101, each 401 then 403" },
	{ "crack-success", sc_crack_success,
	  "the same, guess 30 is right: 200 binds 101 to the attacker" },
	{ "flood", sc_flood, "300 INVITEs in 3 s to random extensions, 3 normal calls with RTP" },
	{ "bye-hijack", sc_bye_hijack,
	  "a call; a forged BYE from a third address at 4 s gets 200; RTP goes on" },
	{ "bye-normal", sc_bye_normal, "the same call, the callee side hangs up at 4 s" },
	{ "cancel-hijack", sc_cancel_hijack,
	  "a ringing call; a forged CANCEL from a third address at 2 s gets 200; answered at 6 s" },
	{ "cancel-normal", sc_cancel_normal, "the same call, the caller cancels it at 2 s: 200, 487" },
	{ "rtp-inject", sc_rtp_inject,
	  "a call; from 3 s a third address sends RTP to the caller's RTP port" },
	{ "ssrc-change", sc_ssrc_change,
	  "a call; the caller re-INVITEs at 5 s and its RTP changes SSRC" },
	{ "reinvite-hijack", sc_reinvite_hijack,
	  "a call; a re-INVITE from a third address moves the media to it, 200" },
	{ "reinvite-normal", sc_reinvite_normal, "the same call, the caller puts it on hold" },
	{ "toll-fraud", sc_toll_fraud,
	  "stolen credentials call 4 premium/satellite numbers; a phone's 2 normal calls" },
	{ "benign-mix", sc_benign_mix,
	  "10 registrations (one mistyped), 31 calls (G.729), OPTIONS every 30 s" },
	{ "options-flood", sc_options_flood,
	  "100 OPTIONS in 5 s to the PBX, each answered; OPTIONS keep-alives every 30 s" },
	{ "register-flood", sc_register_flood,
	  "a phone registers 100; 60 REGISTERs for 100 in 5 s without credentials, each 401" },
	{ "exploits", sc_exploits,
	  "5000-byte INVITE, long Subject, SQL in digest username, <script> in From, smap, sipsak" },
	{ "exploits-benign", sc_exploits_benign,
	  "the same shapes done right by a registered phone" },
	{ "call-rate", sc_call_rate,
	  "a phone's account calls 12 numbers in 50 s (407, digest, answered); 3 ordinary calls" },
	{ "concurrent", sc_concurrent,
	  "130's password from another host: 6 calls at once for 20 s; 130's phone's own call" },
	{ "unregistered-call", sc_unregistered_call,
	  "131's phone registers and calls; another host calls with 131's password" },
	{ "media-move", sc_media_move,
	  "a call; the caller re-INVITEs its media to 198.51.100.200:50000, the PBX sends there" },
	{ "timer-spread", sc_timer_spread,
	  "a NOTIFY never answered; non-SIP UDP from 31.9 s to 32.1 s; a scanner's OPTIONS at 32.05 s" },
	{ "bench", NULL, "--calls/--concurrent/--duration calls with RTP, --regs, --options" },
};

static void usage(FILE *f)
{
	fputs("usage: sipgen [-o FILE] [--calls N] [--concurrent N] [--duration SECONDS]\n"
	      "              [--regs N] [--options N] [--rtp-pps N] [--seed N] [--start TIME]\n"
	      "              SCENARIO\n\n"
	      "Writes a deterministic pcap (Ethernet) of SIP and RTP traffic to FILE\n"
	      "(default SCENARIO.pcap; - for stdout) and a summary line on stderr.\n\n"
	      "  -o FILE            output file\n"
	      "  --calls N          bench: calls in total (default 100)\n"
	      "  --concurrent N     bench: calls at once (default 10)\n"
	      "  --duration S       bench: seconds each call is connected (default 10)\n"
	      "  --regs N           bench: digest registrations (default 10)\n"
	      "  --options N        bench: OPTIONS keep-alives answered 200 (default 10)\n"
	      "  --rtp-pps N        RTP packets per second per stream, 0 = no RTP,\n"
	      "                     else 8..1000 (default 50, PCMU)\n"
	      "  --seed N           PRNG seed (default 1)\n"
	      "  --start TIME       first packet time, 2026-11-24T10:00:00Z (default) or epoch seconds\n\n"
	      "Scenarios:\n",
	      f);
	for (size_t i = 0; i < N_ELEMS(SCENARIOS); i++)
		fprintf(f, "  %-17s %s\n", SCENARIOS[i].name, SCENARIOS[i].what);
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t max)
{
	char *end;
	unsigned long long v;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		die("%s: expected a whole number up to %" PRIu64 ", got \"%s\"", opt, max, s);
	return v;
}

static uint64_t parse_start(const char *s)
{
	struct tm tm;
	const char *end;
	time_t t;
	if (s[0] >= '0' && s[0] <= '9' && !strchr(s, '-'))
		return parse_u64("--start", s, 253402300799ULL) * SEC;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z") != 0))
		die("--start: expected 2026-11-24T10:00:00Z or epoch seconds, got \"%s\"", s);
	t = timegm(&tm);
	if (t < 0)
		die("--start: before 1970: \"%s\"", s);
	return (uint64_t)t * SEC;
}

int main(int argc, char **argv)
{
	enum { O_CALLS = 256, O_CONC, O_DUR, O_REGS, O_OPTS, O_PPS, O_SEED, O_START };
	static const struct option longopts[] = {
		{ "calls", required_argument, NULL, O_CALLS },
		{ "concurrent", required_argument, NULL, O_CONC },
		{ "duration", required_argument, NULL, O_DUR },
		{ "regs", required_argument, NULL, O_REGS },
		{ "options", required_argument, NULL, O_OPTS },
		{ "rtp-pps", required_argument, NULL, O_PPS },
		{ "seed", required_argument, NULL, O_SEED },
		{ "start", required_argument, NULL, O_START },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct gen g; /* large buffers: not on the stack */
	const struct scenario *sc = NULL;
	const char *out = NULL;
	char defout[64], conc_note[64];
	uint64_t calls = 100, conc = 10, regs = 10, options = 10;
	double duration = 10;
	struct timespec c0, c1;
	double secs;
	int opt;

	g.seed = 1;
	g.pps = 50;
	g.start = 1795514400ULL * SEC; /* 2026-11-24T10:00:00Z */
	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case O_CALLS:
			calls = parse_u64("--calls", optarg, 100000000);
			break;
		case O_CONC:
			conc = parse_u64("--concurrent", optarg, 10000000);
			if (!conc)
				die("--concurrent must be at least 1");
			break;
		case O_DUR: {
			char *end;
			duration = strtod(optarg, &end);
			if (end == optarg || *end || !(duration >= 0 && duration <= 86400 * 7))
				die("--duration: expected seconds (0 to 604800), got \"%s\"", optarg);
			break;
		}
		case O_REGS:
			regs = parse_u64("--regs", optarg, 10000000);
			break;
		case O_OPTS:
			options = parse_u64("--options", optarg, 10000000);
			break;
		case O_PPS:
			g.pps = (unsigned)parse_u64("--rtp-pps", optarg, 1000);
			if (g.pps && g.pps < 8)
				die("--rtp-pps: 0 (no RTP) or 8 to 1000");
			break;
		case O_SEED:
			g.seed = parse_u64("--seed", optarg, UINT64_MAX);
			break;
		case O_START:
			g.start = parse_start(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < N_ELEMS(SCENARIOS); i++)
		if (strcmp(argv[optind], SCENARIOS[i].name) == 0)
			sc = &SCENARIOS[i];
	if (!sc) {
		fprintf(stderr, "sipgen: unknown scenario \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!out) {
		snprintf(defout, sizeof(defout), "%s.pcap", sc->name);
		out = defout;
	}

	if (strcmp(out, "-") == 0) {
		g.fp = stdout;
	} else {
		g.fp = fopen(out, "wb");
		if (!g.fp)
			die("%s: %s", out, strerror(errno));
	}
	setvbuf(g.fp, NULL, _IOFBF, 1 << 20);
	g.pd = pcap_open_dead(DLT_EN10MB, 65535);
	if (!g.pd)
		die("pcap_open_dead failed");
	g.dump = pcap_dump_fopen(g.pd, g.fp);
	if (!g.dump)
		die("%s: %s", out, pcap_geterr(g.pd));
	{
		struct rng r = rng_for(g.seed, "ip", 0);
		g.ipid = (uint16_t)rng_next(&r);
		g.frag6_id = (uint32_t)rng_next(&r);
	}

	clock_gettime(CLOCK_MONOTONIC, &c0);
	if (sc->run) {
		g.collect = 1;
		sc->run(&g, g.start);
		flush_collected(&g);
	} else {
		run_bench(&g, calls, conc, duration, regs, options);
	}
	if (pcap_dump_flush(g.dump) != 0 || ferror(g.fp))
		die("%s: write error: %s", out, strerror(errno));
	pcap_dump_close(g.dump);
	pcap_close(g.pd);
	clock_gettime(CLOCK_MONOTONIC, &c1);
	secs = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	conc_note[0] = '\0';
	if (!sc->run)
		snprintf(conc_note, sizeof(conc_note), ", at most %" PRIu64 " calls at once",
		         g.max_active);

	fprintf(stderr,
	        "sipgen: %s: %" PRIu64 " packets (%" PRIu64 " SIP messages, %" PRIu64 " RTP, %" PRIu64
	        " RTCP, %" PRIu64 " TCP segments, %" PRIu64 " IP fragments), %" PRIu64
	        " calls (%" PRIu64 " answered dialogs), %" PRIu64 " registrations, %" PRIu64
	        " OPTIONS, %" PRIu64 " malformed, %.1f s of traffic%s, %.1f MiB -> %s in %.2f s"
	        " (%.0f packets/s)\n",
	        sc->name, g.n_pkts, g.n_sip, g.n_rtp, g.n_rtcp, g.n_tcp, g.n_frags, g.n_calls,
	        g.n_answered, g.n_regs, g.n_options, g.n_malformed,
	        (double)(g.last_t - g.first_t) / (double)SEC, conc_note,
	        (double)(g.n_bytes + 16 * g.n_pkts + 24) / 1048576.0, out, secs,
	        secs > 0 ? (double)g.n_pkts / secs : 0.0);
	if (g.n_late) {
		fprintf(stderr, "sipgen: internal error: %" PRIu64 " packets out of time order\n",
		        g.n_late);
		return 1;
	}
	return 0;
}
