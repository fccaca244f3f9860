/*
 * test_flow.c - the flow table (engine/flow.c).
 *
 * Packets are built directly as the decoders would leave them (ip_v,
 * addresses, proto, ports, VLANs, ts). Tables of rows cover which packets
 * share a flow and which do not, and the per-protocol timeouts; the other
 * tests cover LRU eviction, deterministic flow ids, flow_lookup and
 * shutdown.
 */
#include "test_util.h"

#include <netinet/in.h>

#include "flow.h"
#include "stream_tcp.h"

#define SEC(s) ((sw_time)(s) * SW_USEC_PER_SEC)
#define T0 SEC(1700000000)

/* A packet as the decoders leave it; addresses are "a.b.c.d" or IPv6 text. */
struct pk {
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint16_t vlan0, vlan1;
	uint8_t vlan_n;
};

static packet mkpkt(const struct pk *k, sw_time ts)
{
	packet p;
	memset(&p, 0, sizeof(p));
	assert_int_equal(sw_addr_parse(sw_str_make(k->src, strlen(k->src)), &p.src), 0);
	assert_int_equal(sw_addr_parse(sw_str_make(k->dst, strlen(k->dst)), &p.dst), 0);
	p.ip_v = p.src.family;
	p.proto = k->proto;
	p.sport = k->sport;
	p.dport = k->dport;
	p.vlan[0] = k->vlan0;
	p.vlan[1] = k->vlan1;
	p.vlan_n = k->vlan_n;
	p.ts = ts;
	p.caplen = p.wirelen = 100;
	return p;
}

/* End callback log. */
#define MAX_ENDS 64
struct ends {
	unsigned n;
	uint64_t id[MAX_ENDS];
	enum flow_end_reason why[MAX_ENDS];
	uint16_t sport[MAX_ENDS];
};

static void on_end(void *ud, struct flow *f, enum flow_end_reason why)
{
	struct ends *e = ud;
	if (e->n < MAX_ENDS) {
		e->id[e->n] = f->flow_id;
		e->why[e->n] = why;
		e->sport[e->n] = f->key.sport;
	}
	e->n++;
}

static int has_anom(const packet *p, unsigned id)
{
	for (unsigned i = 0; i < p->anom_n; i++)
		if (p->anom[i] == id)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Same flow or not                                                    */

struct pair_row {
	const char *name;
	struct pk a, b;  /* a creates the flow, then b arrives */
	int same;        /* b maps to a's flow */
	uint8_t dir;     /* b's direction when same */
};

#define UDP4(s, sp, d, dp) { s, d, sp, dp, IPPROTO_UDP, 0, 0, 0 }
#define TCP4(s, sp, d, dp) { s, d, sp, dp, IPPROTO_TCP, 0, 0, 0 }
#define UDPV(s, sp, d, dp, v) { s, d, sp, dp, IPPROTO_UDP, v, 0, 1 }

static const struct pair_row pair_rows[] = {
	{ "same packet twice: same flow, dir 0", UDP4("192.0.2.10", 5060, "192.0.2.5", 5060),
	  UDP4("192.0.2.10", 5060, "192.0.2.5", 5060), 1, 0 },
	{ "reply: same flow, dir 1", UDP4("192.0.2.10", 5060, "192.0.2.5", 5080),
	  UDP4("192.0.2.5", 5080, "192.0.2.10", 5060), 1, 1 },
	{ "tcp reply: same flow, dir 1", TCP4("192.0.2.10", 40000, "192.0.2.5", 5060),
	  TCP4("192.0.2.5", 5060, "192.0.2.10", 40000), 1, 1 },
	{ "client with the higher address: reply is dir 1",
	  UDP4("198.51.100.200", 5060, "192.0.2.1", 5060), UDP4("192.0.2.1", 5060, "198.51.100.200", 5060), 1, 1 },
	{ "same host, ports swapped: dir 1", UDP4("192.0.2.10", 5060, "192.0.2.10", 5080),
	  UDP4("192.0.2.10", 5080, "192.0.2.10", 5060), 1, 1 },
	{ "ipv6 reply: dir 1", UDP4("2001:db8::10", 5060, "2001:db8::5", 5060),
	  UDP4("2001:db8::5", 5060, "2001:db8::10", 5060), 1, 1 },
	{ "ipv6 same direction: dir 0", TCP4("2001:db8::10", 40000, "2001:db8::5", 5060),
	  TCP4("2001:db8::10", 40000, "2001:db8::5", 5060), 1, 0 },
	{ "vlan tagged reply: dir 1", UDPV("192.0.2.10", 5060, "192.0.2.5", 5060, 100),
	  UDPV("192.0.2.5", 5060, "192.0.2.10", 5060, 100), 1, 1 },
	{ "icmp: no ports, same flow", { "192.0.2.10", "192.0.2.5", 0, 0, IPPROTO_ICMP, 0, 0, 0 },
	  { "192.0.2.5", "192.0.2.10", 0, 0, IPPROTO_ICMP, 0, 0, 0 }, 1, 1 },
	/* Different flows. */
	{ "other vlan", UDPV("192.0.2.10", 5060, "192.0.2.5", 5060, 100),
	  UDPV("192.0.2.10", 5060, "192.0.2.5", 5060, 200), 0, 0 },
	{ "tagged vs untagged", UDPV("192.0.2.10", 5060, "192.0.2.5", 5060, 100),
	  UDP4("192.0.2.10", 5060, "192.0.2.5", 5060), 0, 0 },
	{ "qinq: inner tag differs", { "192.0.2.10", "192.0.2.5", 5060, 5060, IPPROTO_UDP, 100, 7, 2 },
	  { "192.0.2.10", "192.0.2.5", 5060, 5060, IPPROTO_UDP, 100, 8, 2 }, 0, 0 },
	{ "other protocol", UDP4("192.0.2.10", 5060, "192.0.2.5", 5060),
	  TCP4("192.0.2.10", 5060, "192.0.2.5", 5060), 0, 0 },
	{ "other source port", UDP4("192.0.2.10", 5060, "192.0.2.5", 5060),
	  UDP4("192.0.2.10", 5061, "192.0.2.5", 5060), 0, 0 },
	{ "other destination port", UDP4("192.0.2.10", 5060, "192.0.2.5", 5060),
	  UDP4("192.0.2.10", 5060, "192.0.2.5", 5061), 0, 0 },
	{ "other source", UDP4("192.0.2.10", 5060, "192.0.2.5", 5060),
	  UDP4("192.0.2.11", 5060, "192.0.2.5", 5060), 0, 0 },
	{ "other destination", UDP4("192.0.2.10", 5060, "192.0.2.5", 5060),
	  UDP4("192.0.2.10", 5060, "192.0.2.6", 5060), 0, 0 },
	{ "half reversed (ports only)", UDP4("192.0.2.10", 5060, "192.0.2.5", 5080),
	  UDP4("192.0.2.10", 5080, "192.0.2.5", 5060), 0, 0 },
	{ "v4-mapped v6 is not v4", UDP4("192.0.2.10", 5060, "192.0.2.5", 5060),
	  UDP4("::ffff:192.0.2.10", 5060, "::ffff:192.0.2.5", 5060), 0, 0 },
	{ "v6 with v4 bytes is not v4", UDP4("192.0.2.10", 5060, "192.0.2.5", 5060),
	  UDP4("c000:20a::", 5060, "c000:205::", 5060), 0, 0 },
};

static void run_pair(void **state)
{
	const struct pair_row *r = *state;
	/* One bucket as well: every flow chains, matching must still be exact. */
	for (uint32_t hs = 0; hs <= 1; hs++) {
		struct flow_cfg cfg = { .max_flows = 16, .hash_size = hs };
		struct ends e = { 0 };
		struct flow_table *ft = flow_table_create(&cfg, on_end, &e);
		packet a = mkpkt(&r->a, T0), b = mkpkt(&r->b, T0 + 1000);
		struct flow *fa, *fb;

		assert_non_null(ft);
		fa = flow_handle_packet(ft, &a);
		assert_non_null(fa);
		assert_ptr_equal(a.flow, fa);
		assert_int_equal(a.dir, 0);
		fb = flow_handle_packet(ft, &b);
		assert_non_null(fb);
		assert_ptr_equal(b.flow, fb);
		if (r->same) {
			assert_ptr_equal(fa, fb);
			assert_int_equal(b.dir, r->dir);
			assert_int_equal(fa->pkts[0] + fa->pkts[1], 2);
			assert_int_equal(fa->pkts[r->dir], r->dir ? 1 : 2);
			assert_int_equal(fa->bytes[b.dir], r->dir ? 100 : 200);
			assert_int_equal(flow_table_stats(ft)->created, 1);
		} else {
			assert_ptr_not_equal(fa, fb);
			assert_int_equal(b.dir, 0);
			assert_int_equal(flow_table_stats(ft)->created, 2);
			assert_true(fa->flow_id != fb->flow_id);
		}
		assert_int_equal(fa->first_ts, T0);
		assert_int_equal(fb->last_ts, T0 + 1000);
		flow_table_destroy(ft);
		assert_int_equal(e.n, r->same ? 1 : 2);
	}
}

/* ------------------------------------------------------------------ */
/* Timeouts                                                            */

struct timeout_row {
	const char *name;
	struct pk k;
	int closed;        /* TCP session closed (FIN both ways or RST) */
	uint32_t timeout;  /* seconds expected with the configuration below */
};

static const struct flow_cfg timeout_cfg = {
	.max_flows = 8, .timeout_udp = 120, .timeout_tcp = 3600, .timeout_tcp_closed = 30,
	.timeout_other = 60,
};

static const struct timeout_row timeout_rows[] = {
	{ "timeout: udp 120 s", UDP4("192.0.2.10", 5060, "192.0.2.5", 5060), 0, 120 },
	{ "timeout: tcp established 3600 s", TCP4("192.0.2.10", 40000, "192.0.2.5", 5060), 0, 3600 },
	{ "timeout: tcp closed 30 s", TCP4("192.0.2.10", 40000, "192.0.2.5", 5060), 1, 30 },
	{ "timeout: icmp (other) 60 s", { "192.0.2.10", "192.0.2.5", 0, 0, IPPROTO_ICMP, 0, 0, 0 }, 0, 60 },
	{ "timeout: sctp (other) 60 s", { "2001:db8::1", "2001:db8::2", 0, 0, 132, 0, 0, 0 }, 0, 60 },
};

static void run_timeout(void **state)
{
	const struct timeout_row *r = *state;
	struct ends e = { 0 };
	struct flow_table *ft = flow_table_create(&timeout_cfg, on_end, &e);
	packet p = mkpkt(&r->k, T0), q;
	struct flow *f = flow_handle_packet(ft, &p);
	uint64_t id;

	assert_non_null(f);
	id = f->flow_id;
	if (r->closed)
		f->tcp_state = TCP_CLOSED;
	/* A later packet restarts the idle time. */
	q = mkpkt(&r->k, T0 + SEC(10));
	assert_ptr_equal(flow_handle_packet(ft, &q), f);

	flow_timeout_sweep(ft, T0 + SEC(10) + SEC(r->timeout) - 1);
	assert_int_equal(e.n, 0);
	assert_int_equal(flow_table_stats(ft)->active, 1);
	flow_timeout_sweep(ft, T0 + SEC(10) + SEC(r->timeout));
	assert_int_equal(e.n, 1);
	assert_int_equal(e.why[0], FLOW_END_TIMEOUT);
	assert_int_equal(e.id[0], id);
	assert_int_equal(flow_table_stats(ft)->timed_out, 1);
	assert_int_equal(flow_table_stats(ft)->active, 0);
	/* Time going backwards ends nothing. */
	p = mkpkt(&r->k, T0 + SEC(5000));
	assert_non_null(flow_handle_packet(ft, &p));
	flow_timeout_sweep(ft, T0);
	assert_int_equal(e.n, 1);
	flow_table_destroy(ft);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.why[1], FLOW_END_SHUTDOWN);
}

/* A long-lived flow at the LRU tail must not shield younger, shorter-lived ones. */
static void test_timeout_mixed(void **state)
{
	static const struct pk tcp = TCP4("192.0.2.10", 40000, "192.0.2.5", 5060);
	static const struct pk udp = UDP4("192.0.2.10", 5060, "192.0.2.5", 5060);
	static const struct pk icmp = { "192.0.2.10", "192.0.2.5", 0, 0, IPPROTO_ICMP, 0, 0, 0 };
	struct ends e = { 0 };
	struct flow_table *ft = flow_table_create(&timeout_cfg, on_end, &e);
	packet a = mkpkt(&tcp, T0), b = mkpkt(&udp, T0 + SEC(1)), c = mkpkt(&icmp, T0 + SEC(2));
	(void)state;

	assert_non_null(flow_handle_packet(ft, &a));
	assert_non_null(flow_handle_packet(ft, &b));
	assert_non_null(flow_handle_packet(ft, &c));
	flow_timeout_sweep(ft, T0 + SEC(62));
	assert_int_equal(e.n, 1); /* icmp: 60 s */
	assert_int_equal(e.sport[0], 0);
	flow_timeout_sweep(ft, T0 + SEC(121));
	assert_int_equal(e.n, 2); /* udp: 120 s */
	assert_int_equal(e.sport[1], 5060);
	flow_timeout_sweep(ft, T0 + SEC(3599));
	assert_int_equal(e.n, 2);
	flow_timeout_sweep(ft, T0 + SEC(3600));
	assert_int_equal(e.n, 3);
	assert_int_equal(e.sport[2], 40000);
	assert_int_equal(flow_table_stats(ft)->timed_out, 3);
	flow_table_destroy(ft);
	assert_int_equal(e.n, 3);
}

/* Zero timeouts in the configuration take the documented defaults. */
static void test_timeout_defaults(void **state)
{
	static const struct pk udp = UDP4("192.0.2.10", 5060, "192.0.2.5", 5060);
	struct flow_cfg cfg = { .max_flows = 4 };
	struct ends e = { 0 };
	struct flow_table *ft = flow_table_create(&cfg, on_end, &e);
	packet p = mkpkt(&udp, T0);
	(void)state;

	assert_non_null(flow_handle_packet(ft, &p));
	flow_timeout_sweep(ft, T0 + SEC(119));
	assert_int_equal(e.n, 0);
	flow_timeout_sweep(ft, T0 + SEC(120));
	assert_int_equal(e.n, 1);
	flow_table_destroy(ft);
}

/* ------------------------------------------------------------------ */
/* Eviction                                                            */

static void test_evict_lru(void **state)
{
	struct flow_cfg cfg = { .max_flows = 3, .hash_size = 2 };
	struct ends e = { 0 };
	struct flow_table *ft = flow_table_create(&cfg, on_end, &e);
	struct pk k = UDP4("192.0.2.10", 1000, "192.0.2.5", 5060);
	struct flow *f[4];
	uint64_t id1;
	packet p;
	(void)state;

	for (int i = 0; i < 3; i++) {
		k.sport = (uint16_t)(1000 + i);
		p = mkpkt(&k, T0 + SEC(i));
		f[i] = flow_handle_packet(ft, &p);
		assert_non_null(f[i]);
		assert_int_equal(p.anom_n, 0);
	}
	id1 = f[1]->flow_id;
	/* Touch flow 0 (oldest) from the other side: flow 1 becomes the LRU. */
	{
		struct pk r = UDP4("192.0.2.5", 5060, "192.0.2.10", 1000);
		p = mkpkt(&r, T0 + SEC(10));
		assert_ptr_equal(flow_handle_packet(ft, &p), f[0]);
		assert_int_equal(p.dir, 1);
	}
	k.sport = 2000;
	p = mkpkt(&k, T0 + SEC(11));
	f[3] = flow_handle_packet(ft, &p);
	assert_non_null(f[3]);
	assert_true(has_anom(&p, ANOM_FLOW_EVICTED));
	assert_int_equal(e.n, 1);
	assert_int_equal(e.why[0], FLOW_END_FORCED);
	assert_int_equal(e.id[0], id1);
	assert_int_equal(e.sport[0], 1001);
	assert_int_equal(flow_table_stats(ft)->evicted, 1);
	assert_int_equal(flow_table_stats(ft)->active, 3);
	assert_int_equal(flow_table_stats(ft)->max_active, 3);
	assert_int_equal(flow_table_stats(ft)->created, 4);

	/* The evicted flow is gone; the others are still found. */
	{
		struct flow_key key;
		int dir = -1;
		memset(&key, 0, sizeof(key));
		key.src = f[0]->key.src;
		key.dst = f[0]->key.dst;
		key.proto = IPPROTO_UDP;
		key.dport = 5060;
		key.sport = 1001;
		assert_null(flow_lookup(ft, &key, &dir));
		key.sport = 1000;
		assert_ptr_equal(flow_lookup(ft, &key, &dir), f[0]);
		key.sport = 1002;
		assert_ptr_equal(flow_lookup(ft, &key, &dir), f[2]);
		key.sport = 2000;
		assert_ptr_equal(flow_lookup(ft, &key, &dir), f[3]);
		assert_int_equal(dir, 0);
	}
	/* Packet of the evicted flow again: a new flow, evicting the next LRU (flow 2). */
	k.sport = 1001;
	p = mkpkt(&k, T0 + SEC(12));
	assert_non_null(flow_handle_packet(ft, &p));
	assert_true(has_anom(&p, ANOM_FLOW_EVICTED));
	assert_int_equal(e.n, 2);
	assert_int_equal(e.sport[1], 1002);
	assert_int_equal(flow_table_stats(ft)->evicted, 2);

	/* Shutdown ends the rest oldest first. */
	flow_table_destroy(ft);
	assert_int_equal(e.n, 5);
	assert_int_equal(e.why[2], FLOW_END_SHUTDOWN);
	assert_int_equal(e.sport[2], 1000);
	assert_int_equal(e.sport[3], 2000);
	assert_int_equal(e.sport[4], 1001);
}

/* A table of one: every new flow evicts the previous one. */
static void test_evict_single(void **state)
{
	struct flow_cfg cfg = { .max_flows = 1 };
	struct ends e = { 0 };
	struct flow_table *ft = flow_table_create(&cfg, on_end, &e);
	struct pk k = UDP4("192.0.2.10", 1000, "192.0.2.5", 5060);
	(void)state;

	for (int i = 0; i < 50; i++) {
		packet p;
		k.sport = (uint16_t)(1000 + i % 3);
		p = mkpkt(&k, T0 + SEC(i));
		assert_non_null(flow_handle_packet(ft, &p));
		assert_int_equal(p.dir, 0);
		assert_int_equal(has_anom(&p, ANOM_FLOW_EVICTED), i > 0);
	}
	assert_int_equal(e.n, 49);
	assert_int_equal(flow_table_stats(ft)->evicted, 49);
	assert_int_equal(flow_table_stats(ft)->active, 1);
	flow_table_destroy(ft);
	assert_int_equal(e.n, 50);
}

/* ------------------------------------------------------------------ */
/* Ids, lookup, odd packets                                            */

static void test_flow_id(void **state)
{
	static const struct pk k = UDP4("192.0.2.10", 5060, "192.0.2.5", 5060);
	static const struct pk r = UDP4("192.0.2.5", 5060, "192.0.2.10", 5060);
	struct flow_cfg c1 = { .max_flows = 4 }, c2 = { .max_flows = 1024, .hash_size = 7 };
	struct flow_table *t1 = flow_table_create(&c1, NULL, NULL);
	struct flow_table *t2 = flow_table_create(&c2, NULL, NULL);
	packet a = mkpkt(&k, T0), b = mkpkt(&k, T0), c = mkpkt(&r, T0 + 5), d = mkpkt(&k, T0 + 1);
	struct flow *fa, *fb;
	uint64_t id;
	(void)state;

	fa = flow_handle_packet(t1, &a);
	fb = flow_handle_packet(t2, &b);
	id = fa->flow_id;
	/* Same first packet, same id, whatever the table's size. */
	assert_int_equal(fa->flow_id, fb->flow_id);
	assert_true(fa->flow_id != 0);
	assert_true(fa->flow_id < (1ULL << 51)); /* exact in a JSON double */
	assert_ptr_equal(flow_handle_packet(t1, &c), fa);
	assert_int_equal(fa->flow_id, fb->flow_id);
	flow_table_destroy(t1);
	flow_table_destroy(t2);

	/* The same 5-tuple started at another time is another flow id. */
	t1 = flow_table_create(&c1, NULL, NULL);
	fa = flow_handle_packet(t1, &d);
	assert_true(fa->flow_id != id);
	flow_table_destroy(t1);

	/* Seen first from the other side: the reply's sender is the client. */
	t1 = flow_table_create(&c1, NULL, NULL);
	c = mkpkt(&r, T0);
	fa = flow_handle_packet(t1, &c);
	assert_int_equal(c.dir, 0);
	assert_int_equal(fa->key.sport, 5060);
	assert_true(sw_addr_eq(&fa->key.src, &c.src));
	flow_table_destroy(t1);
}

static void test_lookup(void **state)
{
	static const struct pk k = TCP4("2001:db8::10", 40000, "2001:db8::5", 5060);
	struct flow_cfg cfg = { .max_flows = 8 };
	struct flow_table *ft = flow_table_create(&cfg, NULL, NULL);
	packet p = mkpkt(&k, T0);
	struct flow *f = flow_handle_packet(ft, &p);
	struct flow_key key, rev;
	int dir = -1;
	(void)state;

	key = f->key;
	assert_ptr_equal(flow_lookup(ft, &key, &dir), f);
	assert_int_equal(dir, 0);
	memset(&rev, 0, sizeof(rev));
	rev.src = key.dst;
	rev.dst = key.src;
	rev.sport = key.dport;
	rev.dport = key.sport;
	rev.proto = key.proto;
	dir = -1;
	assert_ptr_equal(flow_lookup(ft, &rev, &dir), f);
	assert_int_equal(dir, 1);
	assert_ptr_equal(flow_lookup(ft, &rev, NULL), f);
	rev.proto = IPPROTO_UDP;
	assert_null(flow_lookup(ft, &rev, &dir));
	rev.proto = IPPROTO_TCP;
	rev.vlan[0] = 5;
	assert_null(flow_lookup(ft, &rev, &dir));
	/* Lookups do not count as packets. */
	assert_int_equal(f->pkts[0] + f->pkts[1], 1);
	flow_table_destroy(ft);
}

static void test_not_ip(void **state)
{
	struct flow_cfg cfg = { .max_flows = 2 };
	struct flow_table *ft = flow_table_create(&cfg, NULL, NULL);
	packet p;
	(void)state;

	memset(&p, 0, sizeof(p));
	assert_null(flow_handle_packet(ft, &p));
	assert_null(p.flow);
	assert_int_equal(flow_table_stats(ft)->created, 0);
	flow_table_destroy(ft);
	flow_table_destroy(NULL);
}

/* Stress: many flows through a small table, every one found while alive. */
static void test_churn(void **state)
{
	struct flow_cfg cfg = { .max_flows = 64, .hash_size = 8, .timeout_udp = 5 };
	struct ends e = { 0 };
	struct flow_table *ft = flow_table_create(&cfg, on_end, &e);
	struct pk k = UDP4("192.0.2.10", 0, "192.0.2.5", 5060);
	(void)state;

	for (unsigned i = 0; i < 5000; i++) {
		packet p, q;
		struct flow *f;
		k.sport = (uint16_t)(1 + (i * 7919) % 200);
		p = mkpkt(&k, T0 + (sw_time)i * 100000);
		f = flow_handle_packet(ft, &p);
		assert_non_null(f);
		q = mkpkt(&(struct pk)UDP4("192.0.2.5", 5060, "192.0.2.10", k.sport), p.ts);
		assert_ptr_equal(flow_handle_packet(ft, &q), f);
		assert_int_equal(q.dir, 1);
		if (i % 100 == 0)
			flow_timeout_sweep(ft, p.ts);
		assert_true(flow_table_stats(ft)->active <= 64);
	}
	{
		const struct flow_stats *st = flow_table_stats(ft);
		uint64_t created = st->created;
		assert_int_equal(created, st->active + st->evicted + st->timed_out);
		assert_int_equal(e.n, st->evicted + st->timed_out);
		assert_true(st->timed_out > 0);
		flow_table_destroy(ft);
		assert_int_equal(e.n, created);
	}
}

#define NAMED(n, f) { n, f, NULL, NULL, NULL }

int main(void)
{
	size_t np = SW_ARRAY_SIZE(pair_rows), nt = SW_ARRAY_SIZE(timeout_rows), k = 0;
	static const struct CMUnitTest extra[] = {
		NAMED("timeout: a long-lived tcp flow at the LRU tail does not shield others",
		      test_timeout_mixed),
		NAMED("timeout: zero config values take the defaults", test_timeout_defaults),
		NAMED("max_flows: the LRU flow is evicted (FORCED, stats, anomaly)", test_evict_lru),
		NAMED("max_flows 1: every new flow evicts", test_evict_single),
		NAMED("flow_id: deterministic, 51 bits, same both ways", test_flow_id),
		NAMED("flow_lookup: both directions, exact key", test_lookup),
		NAMED("non-IP packet: no flow", test_not_ip),
		NAMED("churn: 5000 packets, 200 flows, 64 slots, 8 buckets", test_churn),
	};
	size_t n = np + nt + SW_ARRAY_SIZE(extra);
	struct CMUnitTest *t = calloc(n, sizeof(*t));
	int rc;

	assert_non_null(t);
	for (size_t i = 0; i < np; i++, k++) {
		t[k].name = pair_rows[i].name;
		t[k].test_func = run_pair;
		t[k].initial_state = (void *)&pair_rows[i];
	}
	for (size_t i = 0; i < nt; i++, k++) {
		t[k].name = timeout_rows[i].name;
		t[k].test_func = run_timeout;
		t[k].initial_state = (void *)&timeout_rows[i];
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(extra); i++, k++)
		t[k] = extra[i];
	rc = _cmocka_run_group_tests("flow", t, n, NULL, NULL);
	free(t);
	return rc;
}
