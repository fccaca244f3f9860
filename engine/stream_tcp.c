/*
 * stream_tcp.c - TCP reassembly (stream_tcp.h).
 *
 * Per direction we keep next_seq (the next byte to deliver) and a list of
 * held out-of-order segments, sorted by seq and never overlapping each
 * other: invariant, the first held segment starts after next_seq (anything
 * reachable is drained at once).
 *
 * Overlap policy, "first wins" (what BSD and Linux receivers do with data
 * they already accepted):
 *   - bytes before next_seq were delivered: a copy of them is dropped
 *     (stats.retransmissions when the whole segment is old, stats.overlaps
 *     when only its head is). They are not compared: delivered data is not
 *     kept (in-order delivery is zero-copy), so a differing copy of data
 *     already delivered goes unnoticed.
 *   - bytes that are held: the held copy is kept and delivered; the new
 *     copy is compared and, if it differs, stream.reassembly_overlap_different_data
 *     is raised (stats.overlap_diff). Only the bytes of a new segment not
 *     held yet are added, possibly as several pieces filling holes; so one
 *     segment can add more than one entry and a direction may briefly hold
 *     up to about twice max_ooo_segments entries (bytes stay within
 *     max_ooo_bytes_per_dir and memcap).
 *
 * RST: accepted when its seq is within [next_seq - 1, next_seq +
 * max_ooo_bytes_per_dir] of its sender's direction, or when nothing was
 * seen from that sender yet (refused connection); others are counted in
 * stats.rst_invalid and ignored, as an RFC 5961 receiver does, so a blind
 * RST cannot switch reassembly off. After an accepted RST both directions
 * stop (data raises stream.data_after_rst) until a new SYN starts the
 * session over (port reuse).
 *
 * SYN: sets the sender's initial sequence only during the handshake (or
 * when that direction is still unknown); a SYN inside an established
 * session does not resynchronise the stream.
 */
#include "stream_tcp.h"

#include <stdlib.h>

struct seg {
	struct seg *next;
	uint32_t seq, len;
	uint8_t data[];
};

struct tcp_dir {
	uint32_t next_seq;
	uint8_t isn_known;
	uint8_t fin;
	struct seg *ooo; /* sorted by seq */
	uint32_t ooo_bytes, ooo_n;
};

struct tcp_session {
	struct tcp_dir d[2];
	struct tcp_session *next_free;
	uint8_t rst;
};

struct stream_ctx {
	struct stream_cfg cfg;
	struct tcp_session *pool, *free_list;
	uint64_t ooo_bytes;
	struct stream_stats st;
};

static void ooo_account(struct stream_ctx *s, struct tcp_dir *d, int64_t bytes, int segs)
{
	d->ooo_bytes = (uint32_t)((int64_t)d->ooo_bytes + bytes);
	d->ooo_n = (uint32_t)((int64_t)d->ooo_n + segs);
	s->ooo_bytes = (uint64_t)((int64_t)s->ooo_bytes + bytes);
	s->st.ooo_bytes_now = s->ooo_bytes;
}

static inline int seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline int seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

struct stream_ctx *stream_create(const struct stream_cfg *cfg)
{
	struct stream_ctx *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	if (!s->cfg.max_sessions)
		s->cfg.max_sessions = 65536;
	if (!s->cfg.max_ooo_bytes_per_dir)
		s->cfg.max_ooo_bytes_per_dir = 65536;
	if (!s->cfg.memcap)
		s->cfg.memcap = 64ULL << 20;
	if (!s->cfg.max_ooo_segments)
		s->cfg.max_ooo_segments = 64;
	s->pool = calloc(s->cfg.max_sessions, sizeof(*s->pool));
	if (!s->pool) {
		free(s);
		return NULL;
	}
	for (uint32_t i = s->cfg.max_sessions; i-- > 0;) {
		s->pool[i].next_free = s->free_list;
		s->free_list = &s->pool[i];
	}
	return s;
}

static void free_segs(struct stream_ctx *s, struct tcp_dir *d)
{
	struct seg *g = d->ooo;
	while (g) {
		struct seg *n = g->next;
		ooo_account(s, d, -(int64_t)g->len, -1);
		free(g);
		g = n;
	}
	d->ooo = NULL;
}

void stream_tcp_flow_free(struct stream_ctx *s, struct flow *f)
{
	struct tcp_session *t;
	if (!s || !f || !f->tcp)
		return;
	t = f->tcp;
	free_segs(s, &t->d[0]);
	free_segs(s, &t->d[1]);
	memset(t, 0, sizeof(*t));
	t->next_free = s->free_list;
	s->free_list = t;
	f->tcp = NULL;
}

void stream_destroy(struct stream_ctx *s)
{
	if (!s)
		return;
	/* Sessions still attached to flows are freed through their flows;
	 * whatever remains (flows already gone) holds no segments. */
	for (uint32_t i = 0; i < s->cfg.max_sessions; i++) {
		free_segs(s, &s->pool[i].d[0]);
		free_segs(s, &s->pool[i].d[1]);
	}
	free(s->pool);
	free(s);
}

int stream_tcp_is_closed(const struct flow *f)
{
	return f->tcp_state == TCP_CLOSED;
}

const char *stream_tcp_state_name(uint8_t st)
{
	switch (st) {
	case TCP_ESTABLISHED:
	case TCP_CLOSING:
		return "established";
	case TCP_CLOSED:
		return "closed";
	default:
		return "new";
	}
}

const struct stream_stats *stream_get_stats(const struct stream_ctx *s)
{
	return &s->st;
}

/* Delivers held segments that the in-order point has reached. */
static void drain(struct stream_ctx *s, struct flow *f, int dir, struct tcp_dir *d,
                  stream_data_cb data_cb, void *ud)
{
	while (d->ooo && seq_leq(d->ooo->seq, d->next_seq)) {
		struct seg *g = d->ooo;
		uint32_t skip = d->next_seq - g->seq;
		d->ooo = g->next;
		ooo_account(s, d, -(int64_t)g->len, -1);
		if (skip < g->len) {
			data_cb(ud, f, dir, g->data + skip, g->len - skip);
			s->st.bytes_delivered += g->len - skip;
			d->next_seq += g->len - skip;
		}
		free(g);
	}
}

/* Skips the hole up to seq: reported to the gap callback and raised on p. */
static void skip_to(struct stream_ctx *s, packet *p, struct flow *f, int dir, struct tcp_dir *d,
                    uint32_t seq, stream_gap_cb gap_cb, void *ud)
{
	uint32_t gap = seq - d->next_seq;
	s->st.gaps++;
	s->st.gap_bytes += gap;
	pkt_anomaly(p, ANOM_STREAM_SEQ_GAP);
	if (gap_cb)
		gap_cb(ud, f, dir, gap);
	d->next_seq = seq;
}

/* Skips the hole before the earliest held segment. */
static void force_gap(struct stream_ctx *s, packet *p, struct flow *f, int dir,
                      struct tcp_dir *d, stream_data_cb data_cb, stream_gap_cb gap_cb, void *ud)
{
	if (!d->ooo)
		return;
	skip_to(s, p, f, dir, d, d->ooo->seq, gap_cb, ud);
	drain(s, f, dir, d, data_cb, ud);
}

/*
 * Delivers data that starts exactly at d->next_seq. Held segments inside
 * its range win (first wins): the new bytes before each are delivered from
 * the packet, the held ones from their copy (compared with the new bytes),
 * then the rest of the new data past them.
 */
static void deliver(struct stream_ctx *s, packet *p, struct flow *f, int dir, struct tcp_dir *d,
                    const uint8_t *data, uint32_t len, stream_data_cb data_cb, void *ud)
{
	while (len > 0) {
		struct seg *g = d->ooo;
		uint32_t head, n, start, moved;
		if (!g || !seq_lt(g->seq, d->next_seq + len)) {
			data_cb(ud, f, dir, data, len);
			s->st.bytes_delivered += len;
			d->next_seq += len;
			drain(s, f, dir, d, data_cb, ud);
			return;
		}
		head = g->seq - d->next_seq; /* > 0: held data always starts past next_seq */
		if (head > 0) {
			data_cb(ud, f, dir, data, head);
			s->st.bytes_delivered += head;
			d->next_seq += head;
			data += head;
			len -= head;
		}
		n = SW_MIN(len, g->len);
		s->st.overlaps++;
		if (memcmp(g->data, data, n) != 0) {
			s->st.overlap_diff++;
			pkt_anomaly(p, ANOM_STREAM_OVERLAP_DIFF);
		}
		start = d->next_seq;
		drain(s, f, dir, d, data_cb, ud); /* g and whatever it made contiguous */
		moved = d->next_seq - start;
		if (moved >= len)
			return;
		data += moved;
		len -= moved;
	}
}

/*
 * Holds a future segment (seq past next_seq). Bytes already held win; only
 * the holes between held segments are filled, each with a new piece, so
 * held segments never overlap. 0, or -1 if nothing could be stored.
 */
static int hold(struct stream_ctx *s, packet *p, struct tcp_dir *d, uint32_t seq,
                const uint8_t *data, uint32_t len)
{
	struct seg **pp = &d->ooo;
	int added = 0, covered = 0, diff = 0;

	while (len > 0) {
		struct seg *g, *ng;
		uint32_t n;
		while (*pp && seq_leq((*pp)->seq + (*pp)->len, seq))
			pp = &(*pp)->next;
		g = *pp;
		if (g && seq_leq(g->seq, seq)) {
			/* seq falls inside g: the held bytes stay */
			uint32_t off = seq - g->seq;
			n = SW_MIN(len, g->len - off);
			if (memcmp(g->data + off, data, n) != 0)
				diff = 1;
			covered = 1;
			pp = &g->next;
		} else {
			/* a hole, up to the next held segment or our end */
			n = len;
			if (g && seq_lt(g->seq, seq + len))
				n = g->seq - seq;
			ng = malloc(sizeof(*ng) + n);
			if (!ng)
				return added ? 0 : -1;
			ng->seq = seq;
			ng->len = n;
			memcpy(ng->data, data, n);
			ng->next = g;
			*pp = ng;
			pp = &ng->next;
			ooo_account(s, d, n, 1);
			added = 1;
		}
		seq += n;
		data += n;
		len -= n;
	}
	if (diff) {
		s->st.overlap_diff++;
		pkt_anomaly(p, ANOM_STREAM_OVERLAP_DIFF);
	}
	if (covered) {
		if (added)
			s->st.overlaps++;
		else
			s->st.retransmissions++;
	}
	if (added)
		s->st.ooo_segments++;
	return 0;
}

/* An RST is believed when it is where its sender is in the stream. */
static int rst_acceptable(const struct stream_ctx *s, const struct tcp_dir *d, uint32_t seq)
{
	uint32_t off = seq - (d->next_seq - 1);
	return !d->isn_known || off <= s->cfg.max_ooo_bytes_per_dir + 1;
}

static void session_restart(struct stream_ctx *s, struct flow *f, struct tcp_session *t)
{
	free_segs(s, &t->d[0]);
	free_segs(s, &t->d[1]);
	memset(t->d, 0, sizeof(t->d));
	t->rst = 0;
	f->tcp_state = TCP_NONE;
}

void stream_tcp_packet(struct stream_ctx *s, packet *p, stream_data_cb data_cb,
                       stream_gap_cb gap_cb, void *ud)
{
	struct flow *f = p->flow;
	struct tcp_session *t;
	struct tcp_dir *d;
	int dir = p->dir;
	uint32_t seq = p->tcp_seq, len = p->payload_len;
	const uint8_t *data = p->payload;

	if (!f)
		return;
	t = f->tcp;
	if (!t) {
		if (!s->free_list) {
			/* No session: fail open, the flow is not reassembled. */
			s->st.session_memcap++;
			pkt_anomaly(p, ANOM_STREAM_SESSION_MEMCAP);
			return;
		}
		t = s->free_list;
		s->free_list = t->next_free;
		memset(t, 0, sizeof(*t));
		f->tcp = t;
		s->st.sessions++;
	}
	d = &t->d[dir];
	s->st.segments++;

	if (p->tcp_flags & TH_RST) {
		if (!rst_acceptable(s, d, seq)) {
			s->st.rst_invalid++;
			return;
		}
		t->rst = 1;
		f->tcp_state = TCP_CLOSED;
		s->st.rst++;
		return;
	}
	if (p->tcp_flags & TH_SYN) {
		if (!(p->tcp_flags & TH_ACK) && f->tcp_state == TCP_CLOSED)
			session_restart(s, f, t); /* a new connection reusing the ports */
		if (!d->isn_known || f->tcp_state == TCP_NONE || f->tcp_state == TCP_SYN_SENT) {
			d->next_seq = seq + 1;
			d->isn_known = 1;
		}
		if (f->tcp_state == TCP_NONE)
			f->tcp_state = TCP_SYN_SENT;
		else if ((p->tcp_flags & TH_ACK) && f->tcp_state == TCP_SYN_SENT)
			f->tcp_state = TCP_ESTABLISHED;
		return; /* data on SYN is not delivered (TFO is not SIP's) */
	}
	if (f->tcp_state == TCP_NONE || f->tcp_state == TCP_SYN_SENT) {
		if (f->tcp_state == TCP_NONE && !d->isn_known)
			s->st.midstream_pickups++;
		f->tcp_state = TCP_ESTABLISHED;
	}
	if (t->rst && len) {
		pkt_anomaly(p, ANOM_STREAM_DATA_AFTER_RST);
		return;
	}
	if (!d->isn_known) {
		d->next_seq = seq;
		d->isn_known = 1;
	}
	if (len && seq_lt(seq, d->next_seq)) {
		uint32_t old = d->next_seq - seq;
		if (old >= len) {
			s->st.retransmissions++;
			len = 0;
		} else {
			s->st.overlaps++;
			data += old;
			len -= old;
			seq = d->next_seq;
		}
	}
	if (len && seq == d->next_seq) {
		deliver(s, p, f, dir, d, data, len, data_cb, ud);
	} else if (len) {
		/* Future data: make room within the limits, then hold it. When
		 * it starts before everything held, skipping to it loses less
		 * than skipping past held data. */
		while (d->ooo && seq_lt(d->ooo->seq, seq) &&
		       (d->ooo_bytes + len > s->cfg.max_ooo_bytes_per_dir ||
		        d->ooo_n + 1 > s->cfg.max_ooo_segments ||
		        s->ooo_bytes + len > s->cfg.memcap)) {
			if (s->ooo_bytes + len > s->cfg.memcap) {
				s->st.memcap_hits++;
				pkt_anomaly(p, ANOM_STREAM_MEMCAP);
			}
			force_gap(s, p, f, dir, d, data_cb, gap_cb, ud);
			if (!seq_lt(d->next_seq, seq))
				break;
		}
		if (!seq_lt(d->next_seq, seq)) {
			/* the forced gaps reached this segment */
			uint32_t old = d->next_seq - seq;
			if (old < len)
				deliver(s, p, f, dir, d, data + old, len - old, data_cb, ud);
		} else if (d->ooo_bytes + len > s->cfg.max_ooo_bytes_per_dir ||
		           d->ooo_n + 1 > s->cfg.max_ooo_segments ||
		           s->ooo_bytes + len > s->cfg.memcap || hold(s, p, d, seq, data, len) != 0) {
			/* Cannot hold it: skip straight to it. */
			if (s->ooo_bytes + len > s->cfg.memcap) {
				s->st.memcap_hits++;
				pkt_anomaly(p, ANOM_STREAM_MEMCAP);
			}
			skip_to(s, p, f, dir, d, seq, gap_cb, ud);
			deliver(s, p, f, dir, d, data, len, data_cb, ud);
		}
	}
	if (p->tcp_flags & TH_FIN) {
		d->fin = 1;
		if (d->ooo) /* the peer closed with data still missing */
			force_gap(s, p, f, dir, d, data_cb, gap_cb, ud);
		f->tcp_state = t->d[dir ^ 1].fin ? TCP_CLOSED : TCP_CLOSING;
	}
}
