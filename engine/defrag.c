/*
 * defrag.c - IPv4 and IPv6 fragment reassembly (interface and policy in
 * defrag.h).
 *
 * Memory, and why it is laid out this way:
 *
 *  - Trackers come from one array of max_trackers allocated by
 *    defrag_create() and handed out through a free list, so a flood of
 *    first fragments never reaches malloc. A chained hash table (a power of
 *    two >= max_trackers buckets) finds them; an age list in arrival order
 *    of each datagram's first-seen fragment gives, in O(1), both the victim
 *    of an eviction and the next tracker to time out. Trackers do not move
 *    in the age list when more fragments arrive: a datagram may not keep
 *    itself alive by trickling fragments (Linux arms its timer once, too).
 *
 *  - Fragment data is held as sorted, disjoint pieces, one malloc'd piece
 *    per hole a fragment fills. Every byte (piece header included) is
 *    accounted against max_bytes before it is allocated, so malloc on the
 *    packet path is bounded by configuration, not by the attacker. A
 *    preallocated arena of max_bytes would instead charge every instance
 *    16 MiB up front for traffic that is usually absent, and a block pool
 *    would re-implement what malloc's per-size caches already do.
 *
 *  - The reassembled datagram is written into one buffer of the largest
 *    possible size (IPv6: 40 + 65535 bytes), allocated at create time and
 *    reused, which is why whole->data only lives until the next call.
 *
 * Overlaps: storing only the bytes that fill holes *is* the "first wins"
 * policy; the bytes a later fragment brings for a range already held are
 * compared, never stored.
 */
#include "defrag.h"

#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "decode.h"

#define DEFRAG_DEF_TRACKERS 4096u
#define DEFRAG_DEF_BYTES (16u * 1024 * 1024)
#define DEFRAG_DEF_TIMEOUT 60u
#define DEFRAG_DEF_FRAGS 64u
/* Largest datagram we rebuild: an IPv6 header plus a 65535-byte payload. */
#define DEFRAG_BUF_LEN (40u + 65535u)

/* A run of datagram bytes [off, off + len) received first. */
struct piece {
	struct piece *next;
	uint32_t off, len;
	uint8_t data[];
};

struct tracker {
	struct tracker *hnext, **hpprev; /* hash chain */
	struct tracker *older, *newer;   /* age list */
	struct piece *pieces;            /* sorted by off, disjoint */
	uint8_t *hdr;    /* IPv4 header / IPv6 unfragmentable part of the offset-0 fragment */
	uint32_t hdr_len;
	uint32_t nh_pos; /* IPv6: offset in hdr of the next-header byte naming the Fragment header */
	uint32_t covered; /* data bytes held (pieces are disjoint, so completion is covered == end) */
	uint32_t max_end; /* end of the highest piece */
	uint32_t end;     /* datagram data length, once the last fragment is seen */
	uint32_t bytes;   /* charged against max_bytes */
	uint32_t nfrags;  /* fragments handed in, duplicates included: they cost work too */
	uint32_t id;
	sw_time created;
	sw_addr src, dst;
	uint16_t vlan[PKT_MAX_VLAN];
	uint8_t vlan_n;
	uint8_t ip_v;
	uint8_t key_proto; /* IPv4 protocol; 0 for IPv6 (see key_match) */
	uint8_t nh;        /* IPv6: upper protocol from the offset-0 fragment */
	uint8_t seen_last;
};

struct defrag {
	struct defrag_cfg cfg;
	struct defrag_stats st;
	uint64_t seed;
	struct tracker *pool, *free_list;
	struct tracker **buckets;
	uint64_t mask;
	struct tracker *oldest, *newest;
	uint8_t *buf;
};

static void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void anom(packet *p, unsigned v4, unsigned v6)
{
	pkt_anomaly(p, p->ip_v == 6 ? v6 : v4);
}

/* ------------------------------------------------------------------ */
/* Trackers                                                            */

/*
 * IPv4 keys on the protocol because receivers do (RFC 791 §3.2). IPv6 does
 * not key on the Fragment header's next header: RFC 8200 §4.5 and Linux
 * group fragments by (src, dst, id) alone and take the upper protocol from
 * the first fragment, so keying on it would let a sender split one
 * datagram, as the receiver sees it, into trackers that never complete.
 */
static uint8_t key_proto(const packet *p)
{
	return p->ip_v == 4 ? p->proto : 0;
}

static uint64_t key_hash(const struct defrag *d, const packet *p)
{
	uint8_t k[4 + 2 * PKT_MAX_VLAN + 4 + 32];
	uint32_t n = 0;

	memset(k, 0, sizeof(k));
	k[n++] = p->ip_v;
	k[n++] = key_proto(p);
	k[n++] = p->vlan_n;
	n++;
	for (unsigned i = 0; i < PKT_MAX_VLAN; i++, n += 2)
		if (i < p->vlan_n)
			wr16(k + n, p->vlan[i]);
	wr16(k + n, (uint16_t)(p->frag_id >> 16));
	wr16(k + n + 2, (uint16_t)p->frag_id);
	n += 4;
	memcpy(k + n, p->src.a, 16);
	memcpy(k + n + 16, p->dst.a, 16);
	/* The seed only decides bucket placement, never what is reported, so
	 * a random one keeps replays deterministic while denying a sender
	 * precomputed collisions. */
	return sw_hash_mix(sw_hash_bytes(d->seed, k, sizeof(k)));
}

static int key_match(const struct tracker *t, const packet *p)
{
	if (t->ip_v != p->ip_v || t->id != p->frag_id || t->key_proto != key_proto(p) ||
	    t->vlan_n != p->vlan_n)
		return 0;
	for (unsigned i = 0; i < t->vlan_n && i < PKT_MAX_VLAN; i++)
		if (t->vlan[i] != p->vlan[i])
			return 0;
	return memcmp(t->src.a, p->src.a, 16) == 0 && memcmp(t->dst.a, p->dst.a, 16) == 0;
}

static struct tracker *tracker_find(struct defrag *d, const packet *p, uint64_t h)
{
	for (struct tracker *t = d->buckets[h & d->mask]; t; t = t->hnext)
		if (key_match(t, p))
			return t;
	return NULL;
}

static void tracker_drop_data(struct defrag *d, struct tracker *t)
{
	struct piece *pc = t->pieces;
	while (pc) {
		struct piece *next = pc->next;
		free(pc);
		pc = next;
	}
	free(t->hdr);
	d->st.bytes_now -= t->bytes;
	t->pieces = NULL;
	t->hdr = NULL;
	t->bytes = 0;
}

/* Unlinks t everywhere and returns it to the pool. Callers count why. */
static void tracker_release(struct defrag *d, struct tracker *t)
{
	tracker_drop_data(d, t);
	*t->hpprev = t->hnext;
	if (t->hnext)
		t->hnext->hpprev = t->hpprev;
	if (t->older)
		t->older->newer = t->newer;
	else
		d->oldest = t->newer;
	if (t->newer)
		t->newer->older = t->older;
	else
		d->newest = t->older;
	memset(t, 0, sizeof(*t));
	t->hnext = d->free_list;
	d->free_list = t;
	d->st.trackers_now--;
}

static struct tracker *tracker_new(struct defrag *d, packet *p, uint64_t h)
{
	struct tracker *t, **head;

	if (!d->free_list) {
		/* Pool exhausted: the oldest datagram is the likeliest to be
		 * lost already, and evicting is what keeps traffic flowing. */
		d->st.evicted++;
		pkt_anomaly(p, ANOM_DEFRAG_MAX_TRACKERS);
		tracker_release(d, d->oldest);
	}
	t = d->free_list;
	d->free_list = t->hnext;

	t->ip_v = p->ip_v;
	t->id = p->frag_id;
	t->key_proto = key_proto(p);
	t->src = p->src;
	t->dst = p->dst;
	t->vlan_n = p->vlan_n;
	for (unsigned i = 0; i < p->vlan_n && i < PKT_MAX_VLAN; i++)
		t->vlan[i] = p->vlan[i];
	t->created = p->ts;

	head = &d->buckets[h & d->mask];
	t->hnext = *head;
	if (*head)
		(*head)->hpprev = &t->hnext;
	t->hpprev = head;
	*head = t;

	t->older = d->newest;
	t->newer = NULL;
	if (d->newest)
		d->newest->newer = t;
	else
		d->oldest = t;
	d->newest = t;

	d->st.trackers_now++;
	if (d->st.trackers_now > d->st.max_trackers_seen)
		d->st.max_trackers_seen = d->st.trackers_now;
	return t;
}

/* A tracker created for a fragment that was then refused holds nothing worth a slot. */
static void tracker_release_if_empty(struct defrag *d, struct tracker *t)
{
	if (!t->pieces && !t->hdr && !t->seen_last)
		tracker_release(d, t);
}

static void expire(struct defrag *d, sw_time now)
{
	uint64_t to = (uint64_t)d->cfg.timeout * SW_USEC_PER_SEC;
	/* Arrival order approximates age order; a capture whose clock steps
	 * back only delays expiry until packet time passes the head again. */
	while (d->oldest && now > d->oldest->created && now - d->oldest->created > to) {
		d->st.timeouts++;
		tracker_release(d, d->oldest);
	}
}

/*
 * Makes room for need more bytes in t, evicting the oldest other trackers.
 * 0 when there is room, -1 when the fragment must be refused.
 */
static int make_room(struct defrag *d, struct tracker *t, uint64_t need, packet *p)
{
	struct tracker *v, *next;

	if (d->st.bytes_now + need <= d->cfg.max_bytes)
		return 0;
	d->st.memcap_hits++;
	pkt_anomaly(p, ANOM_DEFRAG_MEMCAP);
	/* A fragment that could never fit would empty the table for nothing. */
	if (need > d->cfg.max_bytes - t->bytes)
		return -1;
	for (v = d->oldest; v && d->st.bytes_now + need > d->cfg.max_bytes; v = next) {
		next = v->newer;
		if (v == t || v->bytes == 0)
			continue;
		d->st.evicted++;
		tracker_release(d, v);
	}
	return d->st.bytes_now + need <= d->cfg.max_bytes ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Reassembly                                                          */

/*
 * Finds, in the IPv6 unfragmentable part h[0..len), the next-header byte
 * that names the Fragment header, so the rebuilt datagram can skip it.
 * The decoder already walked this chain; walking it again here, with the
 * same rules, keeps defrag independent of how the decoder stores it.
 * Returns the offset or 0 if the chain does not end exactly at len.
 */
static uint32_t ipv6_nh_pos(const uint8_t *h, uint32_t len)
{
	uint32_t pos = 6, off = 40;

	while (off < len) {
		uint8_t nh = h[pos];
		uint32_t hl;
		if (off + 8 > len)
			return 0;
		if (nh == 44) /* an atomic fragment header the decoder stepped over */
			hl = 8;
		else if (nh == 51)
			hl = ((uint32_t)h[off + 1] + 2) * 4;
		else
			hl = ((uint32_t)h[off + 1] + 1) * 8;
		pos = off;
		off += hl;
	}
	return off == len ? pos : 0;
}

/* Copies the anomalies of the rebuilt datagram onto the fragment that completed it. */
static void copy_anomalies(packet *to, const packet *from)
{
	for (unsigned i = 0; i < from->anom_n; i++)
		pkt_anomaly(to, from->anom[i]);
}

static int rebuild(struct defrag *d, struct tracker *t, packet *frag, packet *whole)
{
	uint8_t *b = d->buf;
	uint32_t len = t->hdr_len + t->end;
	uint8_t ip_v = t->ip_v;
	int r;

	memcpy(b, t->hdr, t->hdr_len);
	for (const struct piece *pc = t->pieces; pc; pc = pc->next)
		memcpy(b + t->hdr_len + pc->off, pc->data, pc->len);
	if (t->ip_v == 4) {
		wr16(b + 2, (uint16_t)len);
		/* Keep DF and the reserved bit as the sender set them. */
		wr16(b + 6, rd16(b + 6) & 0xc000);
		wr16(b + 10, 0);
		wr16(b + 10, decode_csum_fold(decode_csum_add(0, b, t->hdr_len)));
	} else {
		wr16(b + 4, (uint16_t)(len - 40));
		b[t->nh_pos] = t->nh;
	}
	tracker_release(d, t);

	memset(whole, 0, sizeof(*whole));
	whole->ts = frag->ts;
	whole->pcap_cnt = frag->pcap_cnt;
	whole->in_iface = frag->in_iface;
	whole->linktype = frag->linktype;
	whole->vlan_n = frag->vlan_n;
	memcpy(whole->vlan, frag->vlan, sizeof(whole->vlan));
	whole->data = b;
	whole->caplen = whole->wirelen = len;
	r = decode_ip(whole, b, len);
	whole->flags |= PKT_REASSEMBLED;
	if (r != 0 || (whole->flags & PKT_IS_FRAGMENT)) {
		/* Broken past the fragment header, or a fragment inside a
		 * fragment: nothing a receiver delivers. Say why on the
		 * fragment, since the caller will not look at whole. */
		if (whole->flags & PKT_IS_FRAGMENT)
			pkt_anomaly(frag, ANOM_IPV6_EXTHDR_DUPL_FH);
		copy_anomalies(frag, whole);
		return -1;
	}
	if (ip_v == 4)
		d->st.ipv4_reassembled++;
	else
		d->st.ipv6_reassembled++;
	return 1;
}

/* Drops a whole datagram for a policy reason; the caller has counted it. */
static int drop_tracker(struct defrag *d, struct tracker *t)
{
	tracker_release(d, t);
	return -1;
}

/*
 * Checks that the decoder's fragment view is self-consistent and complete.
 * A fragment cut by the capture would rebuild a datagram with a hole the
 * receiver never had; one with a bad IPv4 header checksum is dropped by the
 * receiver before reassembly, so holding it would let a sender plant bytes
 * that "first wins" then keeps but the receiver never sees.
 */
static int frag_usable(const packet *p)
{
	uint32_t declared, data_at;

	if (!(p->flags & PKT_IS_FRAGMENT) || !p->l3 || !p->frag_data)
		return 0;
	if (p->ip_v == 4) {
		if (p->l3_len < 20 || p->l3_hdr_len < 20 || (p->flags & PKT_IPV4_CSUM_BAD))
			return 0;
		declared = rd16(p->l3 + 2);
	} else if (p->ip_v == 6) {
		if (p->l3_len < 40 || p->l3_hdr_len < 40)
			return 0;
		declared = 40u + rd16(p->l3 + 4);
	} else {
		return 0;
	}
	if (declared > p->l3_len || p->l3_hdr_len > p->l3_len || p->frag_data < p->l3)
		return 0;
	data_at = (uint32_t)(p->frag_data - p->l3);
	return data_at >= p->l3_hdr_len && data_at <= p->l3_len &&
	       p->frag_len <= p->l3_len - data_at;
}

int defrag_packet(struct defrag *d, packet *frag, packet *whole)
{
	struct tracker *t;
	struct piece *pc, **pp;
	uint32_t off = frag->frag_off, len = frag->frag_len, end, cur;
	uint32_t covered = 0, hole_bytes = 0, holes = 0, hdr_extra, dgram_end;
	uint64_t need, h;
	int diff = 0, new_hdr;
	const uint8_t *data = frag->frag_data;

	if (frag->ip_v == 6)
		d->st.ipv6_fragments++;
	else
		d->st.ipv4_fragments++;
	/* Expire by this packet's time too, so an inline engine that calls
	 * defrag_timeout() rarely still never completes a stale datagram. */
	expire(d, frag->ts);

	if (!frag_usable(frag)) {
		anom(frag, ANOM_IPV4_FRAG_IGNORED, ANOM_IPV6_FRAG_IGNORED);
		return -1;
	}
	if (frag->frag_mf && (len & 7)) {
		/* Only the last fragment may end off an 8-byte boundary. */
		if (frag->ip_v == 6) {
			pkt_anomaly(frag, ANOM_IPV6_FRAG_INVALID_LENGTH);
			return -1;
		}
		/* Linux trims such an IPv4 fragment; do as the receiver does. */
		pkt_anomaly(frag, ANOM_IPV4_FRAG_INVALID_LENGTH);
		len &= ~7u;
	}
	if (frag->frag_mf && len == 0) {
		anom(frag, ANOM_IPV4_FRAG_IGNORED, ANOM_IPV6_FRAG_IGNORED);
		return -1;
	}
	end = off + len;

	h = key_hash(d, frag);
	t = tracker_find(d, frag, h);
	if (!t)
		t = tracker_new(d, frag, h);

	if (t->nfrags >= d->cfg.max_frags_per_tracker) {
		d->st.too_many_frags++;
		pkt_anomaly(frag, ANOM_DEFRAG_TOO_MANY_FRAGS);
		return drop_tracker(d, t);
	}
	t->nfrags++;

	/* Where the datagram ends must be agreed on by every fragment. */
	if ((!frag->frag_mf && ((t->seen_last && end != t->end) || t->max_end > end)) ||
	    (frag->frag_mf && t->seen_last && end > t->end)) {
		pkt_anomaly(frag, ANOM_DEFRAG_END_MISMATCH);
		return drop_tracker(d, t);
	}

	/* The rebuilt datagram must fit its length field: IPv4 counts its
	 * header in it, IPv6 counts the extension headers kept before the
	 * data. Until the first fragment is seen, assume the smallest header. */
	new_hdr = off == 0 && !t->hdr;
	if (t->hdr)
		hdr_extra = t->ip_v == 4 ? t->hdr_len : t->hdr_len - 40;
	else if (new_hdr)
		hdr_extra = frag->ip_v == 4 ? frag->l3_hdr_len : frag->l3_hdr_len - 40;
	else
		hdr_extra = frag->ip_v == 4 ? 20 : 0;
	dgram_end = SW_MAX(end, t->max_end);
	if (t->seen_last)
		dgram_end = SW_MAX(dgram_end, t->end);
	if ((uint64_t)hdr_extra + dgram_end > 65535) {
		d->st.too_large++;
		anom(frag, ANOM_IPV4_FRAG_PKT_TOO_LARGE, ANOM_IPV6_FRAG_PKT_TOO_LARGE);
		return drop_tracker(d, t);
	}

	/* Compare with what is held and measure the holes this fragment fills. */
	cur = off;
	for (pc = t->pieces; pc && cur < end; pc = pc->next) {
		uint32_t ps = pc->off, pe = pc->off + pc->len, os, oe;
		if (pe <= cur)
			continue;
		if (ps >= end)
			break;
		if (ps > cur) {
			holes++;
			hole_bytes += ps - cur;
		}
		os = SW_MAX(ps, cur);
		oe = SW_MIN(pe, end);
		covered += oe - os;
		if (memcmp(pc->data + (os - ps), data + (os - off), oe - os) != 0)
			diff = 1;
		cur = oe;
	}
	if (cur < end) {
		holes++;
		hole_bytes += end - cur;
	}

	if (covered > 0) {
		if (covered == len && !diff) {
			/* Networks duplicate packets; that is not an attack. */
			d->st.duplicates++;
		} else {
			d->st.overlaps++;
			if (diff)
				d->st.overlap_diff++;
			if (t->ip_v == 6) {
				pkt_anomaly(frag, ANOM_IPV6_FRAG_OVERLAP);
				return drop_tracker(d, t);
			}
			if (diff)
				pkt_anomaly(frag, ANOM_IPV4_FRAG_OVERLAP);
		}
	}

	need = (uint64_t)holes * sizeof(struct piece) + hole_bytes;
	if (new_hdr)
		need += frag->l3_hdr_len;
	if (need && make_room(d, t, need, frag) != 0) {
		tracker_release_if_empty(d, t);
		return -1;
	}

	if (new_hdr) {
		uint32_t nh_pos = 0;
		if (frag->ip_v == 6 && (nh_pos = ipv6_nh_pos(frag->l3, frag->l3_hdr_len)) == 0)
			goto ignored;
		t->hdr = malloc(frag->l3_hdr_len);
		if (!t->hdr)
			goto ignored;
		memcpy(t->hdr, frag->l3, frag->l3_hdr_len);
		t->hdr_len = frag->l3_hdr_len;
		t->nh_pos = nh_pos;
		t->nh = frag->proto;
		t->bytes += t->hdr_len;
		d->st.bytes_now += t->hdr_len;
	}

	/* Store the holes. Each piece is linked as soon as it is filled, so
	 * a failed allocation leaves a consistent, if partial, tracker. */
	pp = &t->pieces;
	cur = off;
	while (cur < end) {
		uint32_t hole_end = end;
		while (*pp && (*pp)->off + (*pp)->len <= cur)
			pp = &(*pp)->next;
		if (*pp && (*pp)->off <= cur) {
			cur = (*pp)->off + (*pp)->len;
			continue;
		}
		if (*pp && (*pp)->off < end)
			hole_end = (*pp)->off;
		pc = malloc(sizeof(*pc) + (hole_end - cur));
		if (!pc)
			goto ignored;
		pc->off = cur;
		pc->len = hole_end - cur;
		memcpy(pc->data, data + (cur - off), pc->len);
		pc->next = *pp;
		*pp = pc;
		pp = &pc->next;
		t->covered += pc->len;
		t->bytes += (uint32_t)sizeof(*pc) + pc->len;
		d->st.bytes_now += sizeof(*pc) + pc->len;
		if (hole_end > t->max_end)
			t->max_end = hole_end;
		cur = hole_end;
	}

	if (!frag->frag_mf) {
		t->seen_last = 1;
		t->end = end;
	}
	if (t->hdr && t->seen_last && t->covered == t->end)
		return rebuild(d, t, frag, whole);
	return 0;

ignored:
	anom(frag, ANOM_IPV4_FRAG_IGNORED, ANOM_IPV6_FRAG_IGNORED);
	tracker_release_if_empty(d, t);
	return -1;
}

void defrag_timeout(struct defrag *d, sw_time now)
{
	if (d)
		expire(d, now);
}

const struct defrag_stats *defrag_get_stats(const struct defrag *d)
{
	return &d->st;
}

struct defrag *defrag_create(const struct defrag_cfg *cfg)
{
	struct defrag *d = calloc(1, sizeof(*d));
	uint64_t nb = 16;

	if (!d)
		return NULL;
	if (cfg)
		d->cfg = *cfg;
	if (!d->cfg.max_trackers)
		d->cfg.max_trackers = DEFRAG_DEF_TRACKERS;
	if (!d->cfg.max_bytes)
		d->cfg.max_bytes = DEFRAG_DEF_BYTES;
	if (!d->cfg.timeout)
		d->cfg.timeout = DEFRAG_DEF_TIMEOUT;
	if (!d->cfg.max_frags_per_tracker)
		d->cfg.max_frags_per_tracker = DEFRAG_DEF_FRAGS;
	while (nb < d->cfg.max_trackers)
		nb <<= 1;
	d->mask = nb - 1;

	d->pool = calloc(d->cfg.max_trackers, sizeof(*d->pool));
	d->buckets = calloc(nb, sizeof(*d->buckets));
	d->buf = malloc(DEFRAG_BUF_LEN);
	if (!d->pool || !d->buckets || !d->buf)
		goto fail;
	for (uint32_t i = d->cfg.max_trackers; i-- > 0;) {
		d->pool[i].hnext = d->free_list;
		d->free_list = &d->pool[i];
	}
	if (getrandom(&d->seed, sizeof(d->seed), GRND_NONBLOCK) != (ssize_t)sizeof(d->seed))
		d->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)d;
	d->seed |= 1; /* sw_hash_bytes() treats 0 as "use the FNV basis" */
	return d;
fail:
	defrag_destroy(d);
	return NULL;
}

void defrag_destroy(struct defrag *d)
{
	if (!d)
		return;
	while (d->oldest)
		tracker_release(d, d->oldest);
	free(d->pool);
	free(d->buckets);
	free(d->buf);
	free(d);
}
