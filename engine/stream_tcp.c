/*
 * stream_tcp.c - TCP reassembly (stream_tcp.h).
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
		s->ooo_bytes -= g->len;
		free(g);
		g = n;
	}
	d->ooo = NULL;
	d->ooo_bytes = d->ooo_n = 0;
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
		d->ooo_bytes -= g->len;
		d->ooo_n--;
		s->ooo_bytes -= g->len;
		if (skip < g->len) {
			data_cb(ud, f, dir, g->data + skip, g->len - skip);
			s->st.bytes_delivered += g->len - skip;
			d->next_seq += g->len - skip;
		}
		free(g);
	}
}

/* Skips the hole before the earliest held segment. */
static void force_gap(struct stream_ctx *s, packet *p, struct flow *f, int dir,
                      struct tcp_dir *d, stream_data_cb data_cb, stream_gap_cb gap_cb, void *ud)
{
	uint32_t gap;
	if (!d->ooo)
		return;
	gap = d->ooo->seq - d->next_seq;
	s->st.gaps++;
	s->st.gap_bytes += gap;
	pkt_anomaly(p, ANOM_STREAM_SEQ_GAP);
	if (gap_cb)
		gap_cb(ud, f, dir, gap);
	d->next_seq = d->ooo->seq;
	drain(s, f, dir, d, data_cb, ud);
}

/* Holds a future segment in seq order; compares overlaps with held data. */
static int hold(struct stream_ctx *s, packet *p, struct tcp_dir *d, uint32_t seq,
                const uint8_t *data, uint32_t len)
{
	struct seg **pp = &d->ooo, *g;
	while (*pp && seq_lt((*pp)->seq, seq))
		pp = &(*pp)->next;
	/* Identical start: a retransmission of held data. */
	if (*pp && (*pp)->seq == seq) {
		uint32_t n = SW_MIN(len, (*pp)->len);
		if (memcmp((*pp)->data, data, n) != 0) {
			s->st.overlap_diff++;
			pkt_anomaly(p, ANOM_STREAM_OVERLAP_DIFF);
		}
		s->st.retransmissions++;
		if (len <= (*pp)->len)
			return 0;
	}
	g = malloc(sizeof(*g) + len);
	if (!g)
		return -1;
	g->seq = seq;
	g->len = len;
	memcpy(g->data, data, len);
	g->next = *pp;
	*pp = g;
	d->ooo_bytes += len;
	d->ooo_n++;
	s->ooo_bytes += len;
	s->st.ooo_segments++;
	return 0;
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
		t->rst = 1;
		f->tcp_state = TCP_CLOSED;
		s->st.rst++;
		return;
	}
	if (p->tcp_flags & TH_SYN) {
		d->next_seq = seq + 1;
		d->isn_known = 1;
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
	if (len) {
		if (seq_lt(seq, d->next_seq)) {
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
	}
	if (len) {
		if (seq == d->next_seq) {
			data_cb(ud, f, dir, data, len);
			s->st.bytes_delivered += len;
			d->next_seq += len;
			drain(s, f, dir, d, data_cb, ud);
		} else {
			/* Future data: make room within the limits, then hold it. */
			while (d->ooo && (d->ooo_bytes + len > s->cfg.max_ooo_bytes_per_dir ||
			                  d->ooo_n + 1 > s->cfg.max_ooo_segments ||
			                  s->ooo_bytes + len > s->cfg.memcap)) {
				s->st.memcap_hits++;
				pkt_anomaly(p, ANOM_STREAM_MEMCAP);
				force_gap(s, p, f, dir, d, data_cb, gap_cb, ud);
				if (!seq_lt(d->next_seq, seq))
					break;
			}
			if (seq_lt(seq, d->next_seq)) {
				/* the forced gap moved past part of this segment */
				uint32_t old = d->next_seq - seq;
				if (old < len) {
					data_cb(ud, f, dir, data + old, len - old);
					s->st.bytes_delivered += len - old;
					d->next_seq += len - old;
					drain(s, f, dir, d, data_cb, ud);
				}
			} else if (seq == d->next_seq) {
				data_cb(ud, f, dir, data, len);
				s->st.bytes_delivered += len;
				d->next_seq += len;
				drain(s, f, dir, d, data_cb, ud);
			} else if (len > s->cfg.max_ooo_bytes_per_dir ||
			           s->ooo_bytes + len > s->cfg.memcap ||
			           hold(s, p, d, seq, data, len) != 0) {
				/* Cannot hold even alone: skip straight to it. */
				s->st.gaps++;
				s->st.gap_bytes += seq - d->next_seq;
				pkt_anomaly(p, ANOM_STREAM_SEQ_GAP);
				if (gap_cb)
					gap_cb(ud, f, dir, seq - d->next_seq);
				d->next_seq = seq + len;
				data_cb(ud, f, dir, data, len);
				s->st.bytes_delivered += len;
			}
		}
	}
	if (p->tcp_flags & TH_FIN) {
		d->fin = 1;
		if (d->ooo) /* the peer closed with data still missing */
			force_gap(s, p, f, dir, d, data_cb, gap_cb, ud);
		f->tcp_state = t->d[dir ^ 1].fin ? TCP_CLOSED : TCP_CLOSING;
	}
}
