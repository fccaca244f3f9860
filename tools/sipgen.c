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
 *   demo       everything below in one small (< 1 MiB) readable capture
 *   register   digest-authenticated registrations and qualify OPTIONS
 *   calls      answered (B2BUA, two legs), answered, rejected and cancelled calls
 *   tcp        one call over a TCP connection (split and coalesced messages)
 *   ipv6       one call over IPv6
 *   frag       IPv4 and IPv6 calls whose INVITE is IP-fragmented
 *   scan       a SIPVicious-style OPTIONS sweep across 20 hosts
 *   malformed  four malformed requests
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
 * 192.0.2.5-.9 (bench), router 192.0.2.1, attacker 203.0.113.66.
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
	uint8_t v, marker;
	uint16_t seq, ipid;
	uint32_t ts, ssrc, samples, pl_len;
	uint32_t ip_sum, udp_sum;
	uint32_t jit;     /* xorshift32 state for capture-time jitter */
	uint32_t k;       /* index of the next packet */
	uint64_t t0, t_end, interval_num;
	uint32_t pps;
	uint64_t pkts, octets;
};

static void rtp_init(struct rtp *r, const struct ep *s, const struct ep *d, uint64_t seed,
                     unsigned pps)
{
	struct rng rr = { seed };
	uint8_t *f = r->f, *u, *h;
	size_t o, hl = s->v == 4 ? 20 : 40;

	rng_next(&rr);
	memset((uint8_t *)r + sizeof(r->f), 0, sizeof(*r) - sizeof(r->f));
	r->pps = pps;
	r->samples = 8000 / pps;
	r->pl_len = r->samples; /* PCMU: one byte per sample */
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
	h[1] = 0;    /* PT 0 PCMU, marker patched per packet */
	put16(h + 2, 0);
	put32(h + 4, 0);
	put32(h + 8, r->ssrc);
	/* Low-level noise around mu-law silence (0xff / 0x7f). */
	for (uint32_t i = 0; i < r->pl_len; i++) {
		uint64_t x = rng_next(&rr);
		h[12 + i] = (uint8_t)((x & 1 ? 0xf8 : 0x78) | ((x >> 8) & 7));
	}
	r->udp_sum = csum_add(pseudo_sum(s, d, IPPROTO_UDP_, 8 + 12 + r->pl_len), u,
	                      8 + 12 + r->pl_len);
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

	h[1] = r->marker ? 0x80 : 0x00;
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

static struct req d_invite(struct gen *g, uint64_t t, struct dlg *d, const char *sdp)
{
	char m[MSG_MAX];
	struct req q = { rng_next(&d->r), ++d->cseq[0], 0, "INVITE" };
	size_t n;
	d->br_inv = q.branch;
	d->inv_cseq = q.cseq;
	n = d_request(d, m, &q, d->ruri, 0, INV_EXTRA, "application/sdp", sdp);
	d_send(g, t, d, 0, m, n);
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

/* A plain audio offer (PCMU, PCMA, telephone-event) or answer (PCMU, telephone-event). */
static void sdp_basic(char *out, size_t cap, const struct party *p, uint32_t sess, int answer,
                      unsigned pps)
{
	char a[64];
	const char *ipv = p->media.v == 4 ? "IP4" : "IP6";
	struct sb s;
	ep_addr(&p->media, a, sizeof(a));
	sb_init(&s, out, cap);
	sb_str(&s, "v=0\r\n");
	sb_printf(&s, "o=%s %u %u IN %s %s\r\n", p->server ? "-" : p->user, sess, sess, ipv, a);
	sb_printf(&s, "s=%s\r\n", p->server ? "Asterisk" : "SIP Call");
	sb_printf(&s, "c=IN %s %s\r\n", ipv, a);
	sb_str(&s, "t=0 0\r\n");
	if (answer) {
		sb_printf(&s, "m=audio %u RTP/AVP 0 101\r\n", p->media.port);
		sb_str(&s, "a=rtpmap:0 PCMU/8000\r\n");
	} else {
		sb_printf(&s, "m=audio %u RTP/AVP 0 8 101\r\n", p->media.port);
		sb_str(&s, "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n");
	}
	sb_str(&s, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n");
	sb_printf(&s, "a=ptime:%u\r\n", pps ? 1000 / pps : 20);
	sb_str(&s, "a=sendrecv\r\n");
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
	{ "demo", sc_demo, "all of the scenarios below in one capture (< 1 MiB)" },
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
		fprintf(f, "  %-10s %s\n", SCENARIOS[i].name, SCENARIOS[i].what);
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
