/*
 * flow.c - the flow table (flow.h).
 *
 * Buckets hold singly linked chains; every live flow is also on an LRU
 * list (head = most recently seen). The pool of max_flows entries is
 * allocated at create time; a free list hands entries out. Timeouts are
 * swept from the LRU tail, which holds the flows idle the longest, so a
 * sweep stops at the first flow that has not expired for its own timeout
 * class... except that timeouts differ by protocol, so the sweep walks
 * from the tail while flows are older than the shortest timeout.
 */
#include "flow.h"

#include <netinet/in.h>
#include <stdlib.h>

#include "stream_tcp.h"

struct flow_table {
	struct flow_cfg cfg;
	struct flow *pool;
	struct flow *free_list;
	struct flow **buckets;
	uint32_t mask;
	struct flow *lru_head, *lru_tail;
	flow_end_cb end_cb;
	void *ud;
	uint32_t min_timeout;
	struct flow_stats st;
};

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;
	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

struct flow_table *flow_table_create(const struct flow_cfg *cfg, flow_end_cb cb, void *ud)
{
	struct flow_table *ft = calloc(1, sizeof(*ft));
	uint32_t nb;
	if (!ft)
		return NULL;
	ft->cfg = *cfg;
	if (!ft->cfg.max_flows)
		ft->cfg.max_flows = 65536;
	if (!ft->cfg.timeout_udp)
		ft->cfg.timeout_udp = 120;
	if (!ft->cfg.timeout_tcp)
		ft->cfg.timeout_tcp = 3600;
	if (!ft->cfg.timeout_tcp_closed)
		ft->cfg.timeout_tcp_closed = 30;
	if (!ft->cfg.timeout_other)
		ft->cfg.timeout_other = 60;
	nb = pow2_at_least(ft->cfg.hash_size ? ft->cfg.hash_size : ft->cfg.max_flows);
	ft->mask = nb - 1;
	ft->buckets = calloc(nb, sizeof(*ft->buckets));
	ft->pool = calloc(ft->cfg.max_flows, sizeof(*ft->pool));
	if (!ft->buckets || !ft->pool) {
		free(ft->buckets);
		free(ft->pool);
		free(ft);
		return NULL;
	}
	for (uint32_t i = ft->cfg.max_flows; i-- > 0;) {
		ft->pool[i].hnext = ft->free_list;
		ft->free_list = &ft->pool[i];
	}
	ft->min_timeout = SW_MIN(SW_MIN(ft->cfg.timeout_udp, ft->cfg.timeout_tcp_closed),
	                         SW_MIN(ft->cfg.timeout_tcp, ft->cfg.timeout_other));
	ft->end_cb = cb;
	ft->ud = ud;
	return ft;
}

/* Direction-independent hash of a key: the smaller endpoint goes first. */
static uint64_t key_hash(const struct flow_key *k)
{
	const sw_addr *a = &k->src, *b = &k->dst;
	uint16_t pa = k->sport, pb = k->dport;
	int c = memcmp(a->a, b->a, 16);
	uint64_t h = 0;
	if (c > 0 || (c == 0 && pa > pb)) {
		const sw_addr *t = a;
		uint16_t tp = pa;
		a = b;
		b = t;
		pa = pb;
		pb = tp;
	}
	h = sw_hash_bytes(h, a->a, 16);
	h = sw_hash_bytes(h, b->a, 16);
	h = sw_hash_bytes(h, &pa, 2);
	h = sw_hash_bytes(h, &pb, 2);
	h = sw_hash_bytes(h, &k->proto, 1);
	h = sw_hash_bytes(h, k->vlan, sizeof(k->vlan));
	return sw_hash_mix(h);
}

/* 0 = same direction, 1 = reversed, -1 = different flow. */
static int key_match(const struct flow_key *f, const struct flow_key *k)
{
	if (f->proto != k->proto || memcmp(f->vlan, k->vlan, sizeof(f->vlan)) != 0)
		return -1;
	if (f->sport == k->sport && f->dport == k->dport && sw_addr_eq(&f->src, &k->src) &&
	    sw_addr_eq(&f->dst, &k->dst))
		return 0;
	if (f->sport == k->dport && f->dport == k->sport && sw_addr_eq(&f->src, &k->dst) &&
	    sw_addr_eq(&f->dst, &k->src))
		return 1;
	return -1;
}

static void lru_unlink(struct flow_table *ft, struct flow *f)
{
	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		ft->lru_head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		ft->lru_tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_push_head(struct flow_table *ft, struct flow *f)
{
	f->lru_prev = NULL;
	f->lru_next = ft->lru_head;
	if (ft->lru_head)
		ft->lru_head->lru_prev = f;
	ft->lru_head = f;
	if (!ft->lru_tail)
		ft->lru_tail = f;
}

static void bucket_unlink(struct flow_table *ft, struct flow *f)
{
	struct flow **pp = &ft->buckets[f->bucket];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	f->hnext = NULL;
}

/* Removes f from the table, tells the owner, and returns it to the pool. */
static void flow_end(struct flow_table *ft, struct flow *f, enum flow_end_reason why)
{
	bucket_unlink(ft, f);
	lru_unlink(ft, f);
	if (ft->end_cb)
		ft->end_cb(ft->ud, f, why);
	memset(f, 0, sizeof(*f));
	f->hnext = ft->free_list;
	ft->free_list = f;
	ft->st.active--;
}

static uint32_t flow_timeout(const struct flow_table *ft, const struct flow *f)
{
	switch (f->key.proto) {
	case IPPROTO_UDP:
		return ft->cfg.timeout_udp;
	case IPPROTO_TCP:
		return stream_tcp_is_closed(f) ? ft->cfg.timeout_tcp_closed : ft->cfg.timeout_tcp;
	default:
		return ft->cfg.timeout_other;
	}
}

static void key_from_packet(struct flow_key *k, const packet *p)
{
	memset(k, 0, sizeof(*k));
	k->src = p->src;
	k->dst = p->dst;
	k->proto = p->proto;
	for (unsigned i = 0; i < p->vlan_n && i < PKT_MAX_VLAN; i++)
		k->vlan[i] = p->vlan[i];
	if (p->proto == IPPROTO_UDP || p->proto == IPPROTO_TCP) {
		k->sport = p->sport;
		k->dport = p->dport;
	}
}

struct flow *flow_lookup(struct flow_table *ft, const struct flow_key *k, int *dir)
{
	uint32_t b = (uint32_t)key_hash(k) & ft->mask;
	for (struct flow *f = ft->buckets[b]; f; f = f->hnext) {
		int m = key_match(&f->key, k);
		if (m >= 0) {
			if (dir)
				*dir = m;
			return f;
		}
	}
	return NULL;
}

struct flow *flow_handle_packet(struct flow_table *ft, packet *p)
{
	struct flow_key k;
	struct flow *f;
	uint64_t h;
	uint32_t b;

	if (!p->ip_v)
		return NULL;
	key_from_packet(&k, p);
	h = key_hash(&k);
	b = (uint32_t)h & ft->mask;
	for (f = ft->buckets[b]; f; f = f->hnext) {
		int m = key_match(&f->key, &k);
		if (m >= 0) {
			p->dir = (uint8_t)m;
			goto found;
		}
	}
	if (!ft->free_list) {
		/* Full: the least recently seen flow makes room. */
		ft->st.evicted++;
		ft->st.memcap_hits++;
		pkt_anomaly(p, ANOM_FLOW_EVICTED);
		flow_end(ft, ft->lru_tail, FLOW_END_FORCED);
	}
	f = ft->free_list;
	ft->free_list = f->hnext;
	memset(f, 0, sizeof(*f));
	f->key = k;
	f->first_ts = p->ts;
	f->bucket = b;
	/* Deterministic 51-bit id: the key's hash mixed with the start time. */
	f->flow_id = sw_hash_mix(h ^ (p->ts * 0x9e3779b97f4a7c15ULL)) & ((1ULL << 51) - 1);
	if (!f->flow_id)
		f->flow_id = 1;
	f->hnext = ft->buckets[b];
	ft->buckets[b] = f;
	ft->st.created++;
	ft->st.active++;
	if (ft->st.active > ft->st.max_active)
		ft->st.max_active = ft->st.active;
	p->dir = 0;
	lru_push_head(ft, f);
	goto counted;
found:
	if (ft->lru_head != f) {
		lru_unlink(ft, f);
		lru_push_head(ft, f);
	}
counted:
	if (p->ts > f->last_ts)
		f->last_ts = p->ts;
	f->pkts[p->dir]++;
	f->bytes[p->dir] += p->wirelen ? p->wirelen : p->caplen;
	p->flow = f;
	return f;
}

void flow_timeout_sweep(struct flow_table *ft, sw_time now)
{
	struct flow *f = ft->lru_tail;
	while (f) {
		struct flow *prev = f->lru_prev;
		uint64_t idle = now > f->last_ts ? now - f->last_ts : 0;
		if (idle < (uint64_t)ft->min_timeout * SW_USEC_PER_SEC)
			break; /* everything nearer the head is younger still */
		if (idle >= (uint64_t)flow_timeout(ft, f) * SW_USEC_PER_SEC) {
			ft->st.timed_out++;
			flow_end(ft, f, FLOW_END_TIMEOUT);
		}
		f = prev;
	}
}

void flow_touch(struct flow_table *ft, struct flow *f, sw_time now)
{
	if (now > f->last_ts)
		f->last_ts = now;
	lru_unlink(ft, f);
	lru_push_head(ft, f);
}

void flow_remove(struct flow_table *ft, struct flow *f, enum flow_end_reason why)
{
	if (why == FLOW_END_TIMEOUT)
		ft->st.timed_out++;
	flow_end(ft, f, why);
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft)
{
	return &ft->st;
}

void flow_table_destroy(struct flow_table *ft)
{
	if (!ft)
		return;
	/* Oldest first, so output order is stable and meaningful. */
	while (ft->lru_tail)
		flow_end(ft, ft->lru_tail, FLOW_END_SHUTDOWN);
	free(ft->buckets);
	free(ft->pool);
	free(ft);
}
