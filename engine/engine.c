/*
 * engine.c - the offline/inline pipeline glue.
 *
 *   capture -> decode_packet -> [defrag] -> flow_handle_packet
 *        UDP: sip_probe / media lookup -> sip_parse (DATAGRAM, all messages)
 *        TCP: stream_tcp -> sip_frame -> sip_parse (STREAM)
 *        -> sdp_parse -> sip_state_message -> EVE (sip, call, flow, anomaly, stats)
 *
 * Time is packet time: a worker's clock (w->now) and the engine's (the
 * latest any worker brought) only move forward (a capture whose clock
 * steps back does not rewind timers), timers run every 10 ms and every
 * second of packet time, and offline the periodic stats are written every
 * outputs.stats.interval seconds of packet time (inline: of the clock).
 */
#include "engine.h"

#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "decode.h"
#include "defrag.h"
#include "eve.h"
#include "eve_out.h"
#include "flow.h"
#include "log.h"
#include "reject.h"
#include "sdp_parse.h"
#include "sip_frame.h"
#include "block.h"
#include "detect_bits.h"
#include "detect_engine.h"
#include "eve_alert.h"
#include "sip_parse.h"
#include "sip_state.h"
#include "stats.h"
#include "stream_tcp.h"

/*
 * Threads. The state is split in two.
 *
 *  - A worker (struct engine_worker, one per NFQUEUE queue inline, one
 *    offline) owns what a queue's packets alone touch: its flow table,
 *    fragments, TCP streams and SIP framing, parse scratch, offloaded
 *    flows, its clock and its counters. A flow's packets all come to one
 *    queue (--queue-balance hashes on the addresses; one queue trivially),
 *    so no other thread ever needs them. Its mutex is taken by its own
 *    thread per packet and by the main thread for idle timers and stats:
 *    it is practically never contended.
 *  - What queues share is locked by domain, each lock its own:
 *    the call state in shards by Call-ID, a mutex each, plus a common part
 *    for what spans calls (registrations, media expectations: SIP and its
 *    RTP may come on different queues; the active-call counts) under its
 *    own (sip_state.h, sip_state_int.h); timer_mu the shared clock; de_rw the rule
 *    set (read-locked by evaluations, which run side by side with each
 *    worker's own scratch; write-locked by a reload's swap); the tables
 *    rules count and remember in (thresholds, sip.rate counters, xbits)
 *    a mutex each, inside them; block_mu the blocks and the reject
 *    budget; anom_mu the rate limit of anomaly records; the EVE writer
 *    its own.
 *
 * Lock order: worker mu, timer_mu, a call shard, the calls' common part,
 * de_rw, a rule table's, block_mu, anom_mu, EVE (never two shards, nor two
 * workers but by the stats writer, one after the other). A SIP message is
 * judged holding its call's shard (its rules read
 * what the call state made of it, and a drop must end what it opened);
 * packet and RTP rules hold no call state. Everything else (decoding,
 * reassembly, framing, parsing, flow records, per-packet counting) runs
 * under the worker's own mutex only.
 */
struct engine;

struct engine_worker {
	struct engine *e;
	pthread_mutex_t mu;
	struct flow_table *ft;
	struct defrag *df;
	struct stream_ctx *stream;
	struct sip_framer_ctx *framer;

	struct sip_header *hdrs;
	size_t hdr_cap;
	struct engine_defer *defer; /* engine_defer_start(): records to copy there, or NULL */
	struct sdp_session sdp;

	uint8_t verdict_drop;     /* the packet being processed is to be dropped */
	uint8_t verdict_bypass;   /* ... its flow is offloaded to the kernel */
	struct flow **byp;        /* offloaded flows (flow->byp_idx indexes this) */
	uint32_t n_byp, cap_byp;
	sw_time next_byp_check;
	uint64_t dlg_end_seen;    /* e->dlg_end_seq when byp was last checked against it */
	uint8_t in_msg;           /* inside sip_state_message(): collect its anomalies */
	uint8_t n_msg_anom;
	uint16_t msg_anom[SIP_MAX_ANOM + SDP_MAX_ANOM + 8];

	sw_time now, next_tick, next_fine;
	uint8_t started;
	uint64_t call_t0, call_ns; /* a call shard taken at, and held in all (inline) */

	packet *cur;         /* packet being processed (NULL from timers) */
	struct det_thread dt; /* rule evaluation scratch and counts */
	uint8_t csum_off;    /* auto mode decided the capture has offloaded checksums */
	uint32_t csum_seen, csum_bad;
	struct flow_stats flow_final; /* of the table engine_finish() tore down */
	struct sw_stats st;
};

struct engine {
	const struct sw_config *cfg;
	struct eve eve;
	struct engine_worker **w;
	unsigned n_w;
	int shard;                  /* engine_set_queue(): its queue (stats), -1: none */
	uint8_t inline_mode;        /* engine_set_inline() */
	uint8_t overload_drop;      /* ... and nfq.fail-open is false */
	uint8_t finishing;
	uint8_t csum_mode;          /* decoder.checksum-validation: CSUM_AUTO, CSUM_YES, CSUM_NO */
	struct engine_io io;

	/* The call state, in shards with a mutex each (sip_state.h). */
	struct sip_state *sip;
	struct sip_state_stats sip_final;

	/* timer_mu: the shared clock and the timers it runs. */
	pthread_mutex_t timer_mu;
	sw_time sh_now, first_ts, sh_next_tick, sh_next_fine;
	sw_time sh_next_due;        /* the earlier of the two, read without the lock (atomic) */
	uint8_t sh_started;         /* ... likewise */
	uint64_t dlg_end_seq;       /* dialogs terminated (atomic): offloaded flows to check */

	/* de_rw: the rule set (read by every evaluation, written by a
	 * reload). The tables rules count and remember in (thresholds,
	 * counters, xbits) lock themselves. */
	pthread_rwlock_t de_rw;
	struct detect_engine *de;   /* NULL: no rules */
	uint8_t has_rules;          /* de was set once (atomic: checked without the lock) */
	struct xbits_table *xbits;
	uint32_t rules_loaded, rules_inactive;

	/* block_mu: blocks and the reject budget. */
	pthread_mutex_t block_mu;
	struct block_table *blocks;
	uint32_t blocks_active;     /* blocks running (atomic: none, no lookup) */
	sw_time reject_sec;         /* reply rate limit: the current second ... */
	uint32_t reject_n;          /* ... and the replies sent in it */

	/* anom_mu: anomaly records held back. */
	pthread_mutex_t anom_mu;
	sw_time overload_logged;    /* last overload anomaly written (one per second) */
	uint64_t overload_unlogged; /* packets over a cap since then */
	sw_time cap_anom_at[16];    /* capacity anomalies: last record written ... */
	uint64_t cap_anom_held[16]; /* ... and occurrences since (anomaly_held) */

	sw_time next_stats;         /* offline: by packet time; inline: engine_stats_tick() */
};

/* ------------------------------------------------------------------ */
/* EVE helpers                                                         */

static void hdr_from_packet(struct eve_hdr *h, const packet *p)
{
	memset(h, 0, sizeof(*h));
	h->ts = p->ts;
	h->pcap_cnt = p->pcap_cnt;
	h->in_iface = p->in_iface;
	h->tx_id = -1;
	if (p->ip_v) {
		h->src = &p->src;
		h->dst = &p->dst;
		h->sport = p->sport;
		h->dport = p->dport;
		h->proto = p->proto;
		h->ip_v = p->ip_v;
	}
	if (p->flow)
		h->flow_id = p->flow->flow_id;
	h->pkt_src = p->flags & PKT_REASSEMBLED ? "defrag" : "wire/pcap";
}

static const char *layer_of(unsigned id)
{
	const char *n = anomaly_name(id);
	if (strncmp(n, "decoder.", 8) == 0)
		return "decoder";
	if (strncmp(n, "defrag.", 7) == 0)
		return "defrag";
	if (strncmp(n, "flow.", 5) == 0)
		return "flow";
	if (strncmp(n, "stream.", 7) == 0)
		return "stream";
	if (strncmp(n, "sip.state.", 10) == 0)
		return "state";
	if (strncmp(n, "ips.", 4) == 0 || strncmp(n, "capture.", 8) == 0)
		return "ips";
	if (strncmp(n, "sip.stream.", 11) == 0)
		return "framing";
	if (strncmp(n, "sdp.", 4) == 0)
		return "sdp_parser";
	return "proto_parser";
}

/* One `anomaly` record; call_id (may be empty) ties a SIP anomaly to its call. */
/*
 * Capacity anomalies (a table at its cap evicting, a memory cap hit) come
 * with load, once per packet under a flood: their records are written at
 * most once a second each, carrying the count since the last one (stats
 * count every one). Returns 0 to write now (*count set), 1 to hold back.
 */
static const uint16_t cap_anom_ids[] = {
	ANOM_FLOW_MEMCAP,          ANOM_FLOW_EVICTED,           ANOM_DEFRAG_MEMCAP,
	ANOM_STREAM_MEMCAP,        ANOM_STREAM_SESSION_MEMCAP,  ANOM_SIP_STREAM_BUFFER_MEMCAP,
	ANOM_STATE_TXN_EVICTED,    ANOM_STATE_DIALOG_EVICTED,   ANOM_STATE_REG_EVICTED,
	ANOM_STATE_MEDIA_EVICTED,
};

/* Under anom_mu; now: the caller's clock. */
static int anomaly_held(struct engine *e, unsigned id, sw_time now, uint64_t *count)
{
	unsigned slot;
	for (slot = 0; slot < SW_ARRAY_SIZE(cap_anom_ids); slot++)
		if (cap_anom_ids[slot] == id)
			break;
	if (slot == SW_ARRAY_SIZE(cap_anom_ids)) {
		*count = 1;
		return 0;
	}
	e->cap_anom_held[slot]++;
	if (e->cap_anom_at[slot] && now < e->cap_anom_at[slot] + SW_USEC_PER_SEC)
		return 1;
	e->cap_anom_at[slot] = now ? now : 1;
	*count = e->cap_anom_held[slot];
	e->cap_anom_held[slot] = 0;
	return 0;
}

static void write_anomaly(struct engine *e, const struct eve_hdr *h, unsigned id, uint64_t count,
                          int show_count, int64_t offset, sw_str call_id);

/* Writes the capacity anomalies held back for over a second (force: all,
 * at the end), with their counts (counted in stats when raised). */
static void anomaly_flush_held(struct engine *e, sw_time now, int force)
{
	pthread_mutex_lock(&e->anom_mu);
	for (unsigned slot = 0; slot < SW_ARRAY_SIZE(cap_anom_ids); slot++) {
		struct eve_hdr h;
		uint64_t n = e->cap_anom_held[slot];
		if (!n || (!force && now < e->cap_anom_at[slot] + SW_USEC_PER_SEC))
			continue;
		memset(&h, 0, sizeof(h));
		h.ts = now;
		h.tx_id = -1;
		e->cap_anom_held[slot] = 0;
		e->cap_anom_at[slot] = now;
		write_anomaly(e, &h, cap_anom_ids[slot], n, 1, -1, (sw_str){ 0 });
	}
	pthread_mutex_unlock(&e->anom_mu);
}

/* The anomaly record of id: count is written when above 1, or always with
 * show_count (a record standing for rate-limited events). */
static void write_anomaly(struct engine *e, const struct eve_hdr *h, unsigned id, uint64_t count,
                          int show_count, int64_t offset, sw_str call_id)
{
	struct json_buf *j = eve_begin(&e->eve, EVE_T_ANOMALY, h);
	if (!j)
		return;
	json_open_object(j, "anomaly");
	json_set_str(j, "type", anomaly_type_str(id));
	json_set_str(j, "event", anomaly_name(id));
	json_set_str(j, "layer", layer_of(id));
	json_set_uint(j, "code", id);
	if (show_count || count > 1)
		json_set_uint(j, "count", count);
	if (offset >= 0)
		json_set_uint(j, "offset", (uint64_t)offset);
	if (call_id.len)
		json_set_strn(j, "call_id", call_id.p, call_id.len);
	json_close_object(j);
	eve_end(&e->eve);
}

static void emit_anomaly_sip(struct engine_worker *w, const struct eve_hdr *h, unsigned id,
                             int64_t offset, sw_str call_id)
{
	struct engine *e = w->e;
	uint64_t count;
	int held;
	if (id >= ANOM__COUNT)
		return;
	w->st.anomalies[id]++;
	pthread_mutex_lock(&e->anom_mu);
	held = anomaly_held(e, id, w->now, &count);
	pthread_mutex_unlock(&e->anom_mu);
	if (!held)
		write_anomaly(e, h, id, count, 0, offset, call_id);
}

static void emit_anomaly(struct engine_worker *w, const struct eve_hdr *h, unsigned id,
                         int64_t offset)
{
	emit_anomaly_sip(w, h, id, offset, (sw_str){ 0 });
}

/* An anomaly standing for count events (rate-limited ones). */
static void emit_anomaly_count(struct engine_worker *w, const struct eve_hdr *h, unsigned id,
                               uint64_t count)
{
	if (id >= ANOM__COUNT)
		return;
	w->st.anomalies[id] += count;
	write_anomaly(w->e, h, id, count, 1, -1, (sw_str){ 0 });
}

/* Writes and clears the anomalies collected on p. */
static void flush_packet_anomalies(struct engine_worker *w, packet *p)
{
	struct eve_hdr h;
	if (!p->anom_n && !p->anom_lost)
		return;
	hdr_from_packet(&h, p);
	for (unsigned i = 0; i < p->anom_n; i++)
		emit_anomaly(w, &h, p->anom[i], -1);
	w->st.anomalies_lost += p->anom_lost;
	p->anom_n = 0;
	p->anom_lost = 0;
}

/* ------------------------------------------------------------------ */
/* Detection                                                           */

/*
 * A reject rule matched message m: answer (inline only), at most
 * ips.reject-max-per-second replies a second so that a flood with spoofed
 * sources cannot turn sipwire into an amplifier. Toward the sender
 * (reject, rejectsrc, rejectboth): a SIP request over UDP gets a SIP
 * response (RFC 3261 §8.2.6); over TCP, and any other TCP packet, a RST;
 * anything else an ICMP port unreachable. Toward the destination
 * (rejectdst, rejectboth): TCP gets a RST, so that the receiver drops its
 * side of the connection too; other protocols have no such reply (the
 * packet is only dropped). ACKs, ICMP errors and RSTs get nothing (the
 * builders refuse them).
 */
/* Under block_mu (the budget is the whole engine's). */
static int reject_budget(struct engine_worker *w, const packet *p)
{
	struct engine *e = w->e;
	sw_time sec = p->ts / SW_USEC_PER_SEC;
	if (sec != e->reject_sec) {
		e->reject_sec = sec;
		e->reject_n = 0;
	}
	if (e->reject_n >= e->cfg->ips.reject_max_per_second) {
		w->st.reject_limited++;
		return 0;
	}
	return 1;
}

static void reject_send(struct engine_worker *w, const packet *p, int to_sender, const uint8_t *buf,
                        size_t n, uint64_t *ok)
{
	struct engine *e = w->e;
	if (!n || e->io.inject(e->io.ud, p, to_sender, buf, n) != 0) {
		w->st.reject_errors++;
		return;
	}
	e->reject_n++;
	(*ok)++;
}

static void send_reject(struct engine_worker *w, const struct det_msg *m, unsigned to)
{
	struct engine *e = w->e;
	/* Replies go out unfragmented: at most an Ethernet MTU. */
	uint8_t buf[1500];
	const packet *p = w->cur;
	size_t n = 0;
	uint64_t *ok = NULL;

	if (!e->inline_mode || !e->io.inject || !p || !p->ip_v)
		return;
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6)
		return;
	if (p->proto == IPPROTO_TCP && (p->tcp_flags & TH_RST))
		return;
	if ((to & REJECT_TO_SRC) && reject_budget(w, p)) {
		if (m->kind == DM_SIP && m->sip && m->sip->is_request && p->proto == IPPROTO_UDP) {
			if (m->sip->method_id != SIP_M_ACK) { /* an ACK is never answered */
				n = reject_sip_response(p, m->sip, e->cfg->ips.reject_sip_code,
				                        e->cfg->ips.reject_sip_reason, buf, sizeof(buf));
				ok = &w->st.reject_sip;
			}
		} else if (p->proto == IPPROTO_TCP) {
			n = reject_tcp_rst(p, 1, buf, sizeof(buf));
			ok = &w->st.reject_rst;
		} else {
			n = reject_icmp_unreach(p, buf, sizeof(buf));
			ok = &w->st.reject_icmp;
		}
		if (ok)
			reject_send(w, p, 1, buf, n, ok);
	}
	if ((to & REJECT_TO_DST) && p->proto == IPPROTO_TCP && reject_budget(w, p)) {
		n = reject_tcp_rst(p, 0, buf, sizeof(buf));
		reject_send(w, p, 0, buf, n, &w->st.reject_rst);
	}
}

/* Takes a call-state shard's mutex ml (waits counted in the worker's stats). */
static void engine_lock(struct engine_worker *w, pthread_mutex_t *ml)
{
	struct timespec t0, t1;
	if (pthread_mutex_trylock(ml) == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(ml);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	w->st.capture.engine_waits++;
	w->st.capture.engine_wait_usec += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 +
	                                             (t1.tv_nsec - t0.tv_nsec) / 1000);
}

/*
 * Evaluates the rules on m (with this worker's scratch: evaluations on
 * different workers run side by side); logs the alerts; a drop/reject rule
 * makes the packet being processed a drop (inline it is not forwarded;
 * offline the drop record says it would not have been).
 */
static void run_detect(struct engine_worker *w, const struct det_msg *m)
{
	struct engine *e = w->e;
	struct det_result res;
	if (!__atomic_load_n(&e->has_rules, __ATOMIC_RELAXED))
		return;
	/* Held while res points at rules of the set. */
	pthread_rwlock_rdlock(&e->de_rw);
	if (!e->de || (!detect_eval(e->de, &w->dt, m, &res) && !res.drop)) {
		pthread_rwlock_unlock(&e->de_rw);
		return;
	}
	for (unsigned i = 0; i < res.n; i++) {
		int started;
		if (!res.a[i].suppressed) {
			w->st.alerts++;
			eve_write_alert(&e->eve, m, &res.a[i]);
		}
		if (!res.a[i].block_secs)
			continue;
		pthread_mutex_lock(&e->block_mu);
		started = block_add(e->blocks, &res.a[i].block_addr, m->ts, res.a[i].block_secs,
		                    res.a[i].r->gid, res.a[i].r->sid) == 1;
		if (started)
			__atomic_store_n(&e->blocks_active, block_table_stats(e->blocks)->active,
			                 __ATOMIC_RELAXED);
		pthread_mutex_unlock(&e->block_mu);
		if (started)
			eve_write_block(&e->eve, m->ts, &res.a[i].block_addr, "block",
			                res.a[i].block_secs, res.a[i].r, 0);
	}
	pthread_rwlock_unlock(&e->de_rw);
	if (res.drop)
		w->verdict_drop = 1;
	if (res.reject) {
		pthread_mutex_lock(&e->block_mu);
		send_reject(w, m, res.reject);
		pthread_mutex_unlock(&e->block_mu);
	}
}

/* What the rules see of one packet (packet and rtp rules, drop records). */
static void det_msg_of_packet(struct det_msg *dm, packet *p, uint8_t kind)
{
	memset(dm, 0, sizeof(*dm));
	dm->kind = kind;
	dm->to_server = p->dir == 0;
	dm->l4 = p->proto;
	dm->src = &p->src;
	dm->dst = &p->dst;
	dm->sport = p->sport;
	dm->dport = p->dport;
	dm->pkt = p;
	dm->flow = p->flow;
	dm->ts = p->ts;
}

/* Packet rules: once per IP packet (after its flow and app layer, so
 * flow state such as "established" includes this packet). */
static void detect_packet(struct engine_worker *w, packet *p)
{
	struct det_msg dm;
	det_msg_of_packet(&dm, p, DM_PACKET);
	dm.anom = p->anom;
	dm.n_anom = p->anom_n;
	run_detect(w, &dm);
}

static void on_unblock(void *ud, const struct block_info *b)
{
	struct engine *e = ud;
	eve_write_block(&e->eve, e->sh_now, &b->addr, "unblock", 0, NULL, b->dropped);
}

static void verdict_log(struct engine_worker *w, packet *p, const char *reason)
{
	struct det_msg dm;
	if (!w->verdict_drop)
		return;
	w->st.drops++;
	det_msg_of_packet(&dm, p, DM_PACKET);
	eve_write_drop(&w->e->eve, &dm, reason);
}

/* ------------------------------------------------------------------ */
/* SIP                                                                 */

static int body_is_sdp(const struct sip_msg *m)
{
	sw_str ct = sw_str_trim(m->content_type);
	if (m->body.len == 0)
		return 0;
	if (ct.len >= 15 && strncasecmp(ct.p, "application/sdp", 15) == 0)
		return 1;
	/* No Content-Type but an SDP-looking body: still worth tracking media. */
	return ct.len == 0 && m->body.len >= 4 && memcmp(m->body.p, "v=0", 3) == 0;
}

/*
 * The worker the calling thread is judging or ticking for: the call
 * state's hooks (records, anomalies), which may run under any shard, write
 * for it. Set by every entry point that may reach the call state.
 */
static __thread struct engine_worker *tl_w;

/* Takes call-state shard sh for w. */
static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void call_lock(struct engine_worker *w, struct sip_state *sh)
{
	engine_lock(w, sip_state_mutex(sh));
	if (w->e->inline_mode)
		w->call_t0 = mono_ns();
}

/* Inline, the time it was held is counted (engine_busy_usec: the part of
 * the work that queues cannot share). */
static void call_unlock(struct engine_worker *w, struct sip_state *sh)
{
	if (w->e->inline_mode)
		w->call_ns += mono_ns() - w->call_t0;
	pthread_mutex_unlock(sip_state_mutex(sh));
}

static void byp_check_ended(struct engine_worker *w);

static void msg_ctx_from(struct sip_msg_ctx *c, const struct engine_worker *w, const struct flow *f,
                         int dir, const packet *p)
{
	memset(c, 0, sizeof(*c));
	c->ts = p ? p->ts : w->now;
	c->pcap_cnt = p ? p->pcap_cnt : 0;
	c->flow_id = f->flow_id;
	c->proto = f->key.proto;
	c->ip_v = f->key.src.family;
	c->flow_dir = (uint8_t)dir;
	c->flow_tx = f->tx_count;
	if (dir == 0) {
		c->src = f->key.src;
		c->dst = f->key.dst;
		c->sport = f->key.sport;
		c->dport = f->key.dport;
	} else {
		c->src = f->key.dst;
		c->dst = f->key.src;
		c->sport = f->key.dport;
		c->dport = f->key.sport;
	}
}

static void hdr_from_ctx(struct eve_hdr *h, const struct sip_msg_ctx *c)
{
	memset(h, 0, sizeof(*h));
	h->ts = c->ts;
	h->flow_id = c->flow_id;
	h->src = &c->src;
	h->dst = &c->dst;
	h->sport = c->sport;
	h->dport = c->dport;
	h->proto = c->proto;
	h->ip_v = c->ip_v;
	h->pcap_cnt = c->pcap_cnt;
	h->tx_id = -1;
	h->app_proto = "sip";
}

/*
 * One SIP message, already parsed (r is sip_parse()'s result on it): its
 * anomalies are logged, and if it could be framed it is counted, its SDP
 * parsed and it is handed to the call state.
 */
static void sip_message_parsed(struct engine_worker *w, struct flow *f, int dir,
                               const struct sip_msg *m, int r, unsigned mode)
{
	struct engine *e = w->e;
	struct sip_msg_ctx ctx;
	struct sip_msg_result res;
	struct eve_hdr h;
	const struct sdp_session *sdp = NULL;
	struct sip_state *sh;

	msg_ctx_from(&ctx, w, f, dir, w->cur);
	hdr_from_ctx(&h, &ctx);
	h.direction = dir == 0 ? "to_server" : "to_client";

	for (unsigned i = 0; i < m->n_anom && i < SIP_MAX_ANOM; i++)
		emit_anomaly_sip(w, &h, m->anom[i], m->anom_off[i], m->call_id);
	if (r < 0) {
		w->st.sip_parse_errors++;
		return;
	}
	if (mode & SIP_PARSE_STREAM)
		w->st.sip_msgs_tcp++;
	else
		w->st.sip_msgs_udp++;
	if (m->is_request)
		w->st.sip_requests[m->method_id < SIP_M__COUNT ? m->method_id : 0]++;
	else
		w->st.sip_responses[m->status >= 100 && m->status <= 699 ? m->status / 100 : 0]++;

	if (body_is_sdp(m)) {
		w->st.sdp_bodies++;
		if (sdp_parse(m->body.p, m->body.len, &w->sdp) == 0)
			sdp = &w->sdp;
		else
			w->st.sdp_errors++;
		for (unsigned i = 0; i < w->sdp.n_anom && i < SDP_MAX_ANOM; i++)
			emit_anomaly_sip(w, &h, w->sdp.anom[i], -1, m->call_id);
	}
	/* The message's anomalies, for rules: parser, SDP, then call state. */
	w->n_msg_anom = 0;
	for (unsigned i = 0; i < m->n_anom && i < SIP_MAX_ANOM; i++)
		w->msg_anom[w->n_msg_anom++] = m->anom[i];
	if (sdp)
		for (unsigned i = 0; i < w->sdp.n_anom && i < SDP_MAX_ANOM; i++)
			w->msg_anom[w->n_msg_anom++] = w->sdp.anom[i];
	/* The call's shard is held until its rules are judged: they read what
	 * the state made of the message, and a drop ends what it opened. */
	sh = sip_state_shard_for(e->sip, m->call_id);
	call_lock(w, sh);
	w->in_msg = 1;
	sip_state_message(sh, m, sdp, &ctx, &res);
	w->in_msg = 0;
	/* Offloaded media of a call that ended ends with it, whichever
	 * worker's table holds it (byp_check_ended()). */
	if (res.dialog_id && res.dialog_state == DLG_TERMINATED)
		__atomic_add_fetch(&e->dlg_end_seq, 1, __ATOMIC_RELAXED);
	f->tx_count++;
	if (w->cur) {
		struct det_msg dm;
		memset(&dm, 0, sizeof(dm));
		dm.kind = DM_SIP;
		dm.to_server = dir == 0;
		dm.l4 = ctx.proto;
		dm.src = &ctx.src;
		dm.dst = &ctx.dst;
		dm.sport = ctx.sport;
		dm.dport = ctx.dport;
		dm.pkt = w->cur;
		dm.flow = f;
		dm.sip = m;
		dm.sdp = sdp;
		dm.state = &res;
		dm.raw = (const uint8_t *)m->base;
		dm.raw_len = m->len;
		dm.anom = w->msg_anom;
		dm.n_anom = w->n_msg_anom;
		dm.ts = ctx.ts;
		uint8_t dropped_before = w->verdict_drop;
		run_detect(w, &dm);
		/* A dropped message never reaches its destination: what it
		 * opened (a transaction, a call) ends now as "dropped" rather
		 * than waiting for an answer that cannot come. */
		if (w->verdict_drop && !dropped_before)
			sip_state_dropped(sh, ctx.ts);
	}
	call_unlock(w, sh);
}

/*
 * UDP datagram on a SIP flow: each SIP message in it, in order. RFC 5626
 * keep-alives and stray line ends between messages are skipped; parsing
 * stops after a message that cannot be framed (the rest of the datagram is
 * lost).
 */
static void handle_sip_datagram(struct engine_worker *w, packet *p)
{
	const char *buf = (const char *)p->payload;
	uint32_t len = p->payload_len, off = 0, nmsg = 0;
	struct sip_msg m;

	while (off < len) {
		uint32_t skip = 0;
		int r;
		while (off + skip < len && (buf[off + skip] == '\r' || buf[off + skip] == '\n'))
			skip++;
		if (skip) {
			if (off == 0 && skip == len)
				w->st.sip_keepalives++;
			off += skip;
			continue;
		}
		r = sip_parse(buf + off, len - off, &m, w->hdrs, w->hdr_cap, SIP_PARSE_DATAGRAM);
		sip_message_parsed(w, p->flow, p->dir, &m, r, SIP_PARSE_DATAGRAM);
		if (r <= 0)
			break;
		nmsg++;
		off += (uint32_t)r;
	}
	if (nmsg > 1)
		w->st.sip_multi_msg_datagrams++;
}

/* Whether p's sender is the address its call's SDP announced (1 yes,
 * 2 no), checked once per direction and again when the SDP changes.
 * Under the call's shard sh. */
static uint8_t rtp_source_state(struct sip_state *sh, packet *p, struct flow *f)
{
	int dir = p->dir & 1;
	if (!f->rtp_src_state[dir]) {
		int ok = sip_state_media_source_ok(sh, f->dialog_id, p->dir ^ f->media_party,
		                                   &p->src);
		f->rtp_src_state[dir] = ok == 0 ? 2 : 1;
	}
	return f->rtp_src_state[dir];
}

/* RTP rules: once per media packet of a flow tied to a call. */
static void detect_media(struct engine_worker *w, packet *p, struct flow *f, uint8_t src_state,
                         int ssrc_changed)
{
	struct det_msg dm;
	det_msg_of_packet(&dm, p, DM_RTP);
	dm.flow = f;
	dm.rtp_src_unexpected = src_state == 2;
	dm.rtp_ssrc_changed = (uint8_t)ssrc_changed;
	run_detect(w, &dm);
}

/*
 * Inline media offload: once a media flow has shown ips.media-offload-after
 * packets, all from the addresses its call's SDP announced, with one SSRC
 * per direction and nothing dropped, the kernel may forward the rest of it
 * (both directions: the mark is kept on the connection) without queueing.
 * What is given up: an RTP packet forged with the flow's own addresses and
 * ports after that point is not seen. Packets from any other address are
 * another connection and still come to sipwire.
 */
static void media_offload(struct engine_worker *w, packet *p, struct flow *f, uint8_t src_state,
                          int ssrc_changed)
{
	const struct sw_config *cfg = w->e->cfg;
	if (f->bypassed) {
		w->verdict_bypass = 1;
		return;
	}
	if (!w->e->inline_mode || !cfg->ips.media_offload || !cfg->nfq.bypass_mark ||
	    w->verdict_drop || ssrc_changed || f->rtp_ssrc_changes[0] || f->rtp_ssrc_changes[1])
		return;
	if (f->pkts[0] + f->pkts[1] < cfg->ips.media_offload_after || src_state != 1 ||
	    f->rtp_src_state[(p->dir & 1) ^ 1] == 2)
		return;
	if (w->n_byp == w->cap_byp) {
		uint32_t cap = w->cap_byp ? w->cap_byp * 2 : 64;
		struct flow **n = realloc(w->byp, cap * sizeof(*n));
		if (!n)
			return; /* not offloaded: inspected as before */
		w->byp = n;
		w->cap_byp = cap;
	}
	f->byp_idx = w->n_byp;
	w->byp[w->n_byp++] = f;
	f->bypassed = 1;
	w->verdict_bypass = 1;
	w->st.bypassed_flows++;
}

/* f leaves the table: out of the offloaded list. */
static void byp_unlink(struct engine_worker *w, struct flow *f)
{
	uint32_t i = f->byp_idx;
	if (i >= w->n_byp || w->byp[i] != f)
		return;
	w->byp[i] = w->byp[--w->n_byp];
	w->byp[i]->byp_idx = i;
}

/*
 * Asks the kernel whether offloaded flow f is still forwarded (1, 0, -1
 * as engine_io.flow_alive) and keeps what it forwarded after the offload
 * (its connection's counts less the packets sipwire saw).
 */
static int byp_query(struct engine_worker *w, struct flow *f)
{
	const struct engine_io *io = &w->e->io;
	uint64_t pkts = 0, bytes = 0;
	int counted = 0, alive;
	if (!io->flow_alive)
		return -1;
	alive = io->flow_alive(io->ud, &f->key, &pkts, &bytes, &counted);
	if (alive == 1 && counted) {
		uint64_t seen_p = f->pkts[0] + f->pkts[1], seen_b = f->bytes[0] + f->bytes[1];
		f->byp_counted = 1;
		f->byp_pkts = pkts > seen_p ? pkts - seen_p : 0;
		f->byp_bytes = bytes > seen_b ? bytes - seen_b : 0;
	}
	return alive;
}

/* Ends offloaded flow f now: what the kernel counted, then forgotten. */
static void byp_end(struct engine_worker *w, struct flow *f, enum flow_end_reason why)
{
	const struct engine_io *io = &w->e->io;
	(void)byp_query(w, f);
	if (io->flow_forget)
		io->flow_forget(io->ud, &f->key);
	flow_remove(w->ft, f, why);
}

/*
 * Offloaded flows whose call has ended end at once (forgotten by the
 * kernel, so that the next call reusing the same addresses and ports,
 * as phones do, is inspected from its first packet rather than riding on
 * the old connection's bypass mark). With query (every 10 s) the kernel
 * is asked about the others: one it still forwards stays (and keeps its
 * call from idling out), one it has dropped has ended. The call state is
 * read under the calls' shards, the kernel asked without them.
 */
static void byp_sweep(struct engine_worker *w, int query)
{
	struct engine *e = w->e;
	uint32_t n = w->n_byp, n_act = 0;
	uint64_t *live, *act, *act_sh;

	if (!n)
		return;
	live = malloc(3 * (size_t)n * sizeof(*live));
	if (!live)
		return; /* the next sweep */
	act = live + n;
	act_sh = act + n;
	for (uint32_t i = 0; i < n; i++) {
		const struct flow *f = w->byp[i];
		struct sip_state *sh = sip_state_shard(e->sip, f->dialog_shard);
		call_lock(w, sh);
		live[i] = sip_state_dialog_live(sh, f->dialog_id) ? f->dialog_id : 0;
		call_unlock(w, sh);
	}
	/* From the end: a flow leaving moves the last one into its slot, which
	 * was looked at already. */
	for (uint32_t i = n; i-- > 0;) {
		struct flow *f = w->byp[i];
		int alive;
		if (!live[i]) {
			byp_end(w, f, FLOW_END_FORCED);
			continue;
		}
		if (!query)
			continue;
		alive = byp_query(w, f);
		if (alive == 1) {
			flow_touch(w->ft, f, w->now);
			act_sh[n_act] = f->dialog_shard;
			act[n_act++] = live[i];
		} else if (alive == 0) {
			flow_remove(w->ft, f, FLOW_END_TIMEOUT);
		}
	}
	for (uint32_t i = 0; i < n_act; i++) {
		struct sip_state *sh = sip_state_shard(e->sip, (unsigned)act_sh[i]);
		call_lock(w, sh);
		sip_state_media_activity(sh, act[i], w->now);
		call_unlock(w, sh);
	}
	free(live);
}

/* A call ended somewhere (any worker): this worker's offloaded flows are
 * checked against the call state. */
static void byp_check_ended(struct engine_worker *w)
{
	uint64_t seq = __atomic_load_n(&w->e->dlg_end_seq, __ATOMIC_RELAXED);
	if (seq == w->dlg_end_seen)
		return;
	w->dlg_end_seen = seq;
	byp_sweep(w, 0);
}

#define BYP_CHECK_USEC (10 * SW_USEC_PER_SEC)
static void byp_check(struct engine_worker *w)
{
	if (!w->n_byp || w->now < w->next_byp_check)
		return;
	w->next_byp_check = w->now + BYP_CHECK_USEC;
	w->dlg_end_seen = __atomic_load_n(&w->e->dlg_end_seq, __ATOMIC_RELAXED);
	byp_sweep(w, 1);
}

/*
 * Looks p's endpoints up in the media expectations: its destination first
 * (the receiver announced it), then its source. On a hit fills *mm and the
 * flow's media_party (XOR with a packet's dir gives its sending party).
 * The expectations lock themselves (any shard's call may own one).
 */
static int media_match(struct engine_worker *w, packet *p, struct flow *f, struct media_match *mm)
{
	struct sip_state *s = w->e->sip;
	if (sip_state_media_lookup(s, &p->dst, p->dport, p->proto, mm)) {
		/* The sender is the party opposite the announcer. */
		f->media_party = (uint8_t)(mm->party ^ 1) ^ (uint8_t)p->dir;
		return 1;
	}
	if (sip_state_media_lookup(s, &p->src, p->sport, p->proto, mm)) {
		f->media_party = (uint8_t)mm->party ^ (uint8_t)p->dir;
		return 1;
	}
	return 0;
}

/*
 * Phones reuse their RTP ports call after call, often within the flow
 * timeout: when new expectations were announced since this flow was tied
 * to its dialog, look again, and follow the endpoint to the newer call.
 */
static void media_refresh(struct engine_worker *w, packet *p, struct flow *f)
{
	struct media_match mm;
	uint32_t epoch = sip_state_media_epoch(w->e->sip);
	uint8_t party = f->media_party;
	if (f->media_epoch == epoch)
		return;
	f->media_epoch = epoch;
	f->rtp_src_state[0] = f->rtp_src_state[1] = 0; /* the call's SDP changed */
	if (media_match(w, p, f, &mm) && mm.dialog_id != f->dialog_id) {
		f->dialog_id = mm.dialog_id;
		f->dialog_shard = mm.shard;
		f->media_index = mm.media_index;
		f->app = mm.is_rtcp ? FLOW_APP_RTCP : FLOW_APP_RTP;
	} else {
		f->media_party = party;
	}
}

static void handle_media(struct engine_worker *w, packet *p, struct flow *f)
{
	const uint8_t *b = p->payload;
	int ssrc_changed = 0;
	uint8_t src_state = 0;

	if (f->dialog_id) {
		struct sip_state *sh;
		media_refresh(w, p, f);
		/* One visit to the call's shard per media packet. */
		sh = sip_state_shard(w->e->sip, f->dialog_shard);
		call_lock(w, sh);
		/* party_dir: 0 = sent by the caller side, 1 = by the callee side. */
		sip_state_media_packet(sh, f->dialog_id, f->media_index, f->app == FLOW_APP_RTCP,
		                       p->dir ^ f->media_party, p->payload_len, p->ts);
		src_state = rtp_source_state(sh, p, f);
		call_unlock(w, sh);
	}
	if (f->app == FLOW_APP_RTCP) {
		w->st.rtcp_pkts++;
	} else {
		/* RTP v2 header: V=2, at least 12 bytes. */
		if (p->payload_len < 12 || (b[0] >> 6) != 2) {
			w->st.rtp_not_rtp++;
		} else {
			uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 |
			                (uint32_t)b[10] << 8 | b[11];
			if (f->rtp_ssrc[p->dir] && f->rtp_ssrc[p->dir] != ssrc) {
				f->rtp_ssrc_changes[p->dir]++;
				w->st.rtp_ssrc_changes++;
				ssrc_changed = 1;
			}
			f->rtp_ssrc[p->dir] = ssrc;
		}
		w->st.rtp_pkts++;
		w->st.rtp_bytes += p->payload_len;
	}
	if (f->dialog_id) {
		detect_media(w, p, f, src_state, ssrc_changed);
		media_offload(w, p, f, src_state, ssrc_changed);
	}
}

static int media_classify(struct engine_worker *w, packet *p, struct flow *f)
{
	struct media_match mm;
	/* Read first: an expectation added after it makes the flow look again. */
	uint32_t epoch = sip_state_media_epoch(w->e->sip);
	if (!media_match(w, p, f, &mm))
		return 0;
	f->media_epoch = epoch;
	f->app = mm.is_rtcp ? FLOW_APP_RTCP : FLOW_APP_RTP;
	f->dialog_id = mm.dialog_id;
	f->dialog_shard = mm.shard;
	f->media_index = mm.media_index;
	f->app_probed = 1;
	if (mm.is_rtcp)
		w->st.rtcp_flows++;
	else
		w->st.rtp_flows++;
	return 1;
}

static void handle_udp(struct engine_worker *w, packet *p)
{
	struct flow *f = p->flow;

	if (f->app == FLOW_APP_NONE || f->app == FLOW_APP_UNKNOWN) {
		if (p->payload_len && sip_probe(p->payload, p->payload_len)) {
			f->app = FLOW_APP_SIP;
			f->app_probed = 1;
			w->st.sip_udp_flows++;
		} else if (!media_classify(w, p, f) && p->payload_len) {
			/* Undecided: keep probing later packets (media may be
			 * announced after its first packets, early media). */
			f->app = FLOW_APP_UNKNOWN;
		}
	}
	switch (f->app) {
	case FLOW_APP_SIP:
		handle_sip_datagram(w, p);
		break;
	case FLOW_APP_RTP:
	case FLOW_APP_RTCP:
		handle_media(w, p, f);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* TCP                                                                 */

static void on_sip_frame_msg(void *ud, struct flow *f, int dir, const char *msg, uint32_t len)
{
	struct engine_worker *w = ud;
	struct sip_msg m;
	int r = sip_parse(msg, len, &m, w->hdrs, w->hdr_cap, SIP_PARSE_STREAM);
	sip_message_parsed(w, f, dir, &m, r, SIP_PARSE_STREAM);
}

static void on_sip_frame_anomaly(void *ud, struct flow *f, int dir, unsigned id)
{
	struct engine_worker *w = ud;
	struct eve_hdr h;
	struct sip_msg_ctx c;
	msg_ctx_from(&c, w, f, dir, w->cur);
	hdr_from_ctx(&h, &c);
	emit_anomaly(w, &h, id, -1);
}

static void on_stream_data(void *ud, struct flow *f, int dir, const uint8_t *data, uint32_t len)
{
	struct engine_worker *w = ud;
	if (f->app == FLOW_APP_NONE || f->app == FLOW_APP_UNKNOWN) {
		if (!sip_probe(data, len)) {
			/* Leading CRLF keep-alives may precede the first message. */
			uint32_t i = 0;
			while (i < len && (data[i] == '\r' || data[i] == '\n'))
				i++;
			if (i == len || !sip_probe(data + i, len - i)) {
				f->app = FLOW_APP_UNKNOWN;
				return;
			}
		}
		f->app = FLOW_APP_SIP;
		f->app_probed = 1;
		w->st.sip_tcp_flows++;
	}
	if (f->app == FLOW_APP_SIP)
		sip_frame_data(w->framer, f, dir, data, len, on_sip_frame_msg, on_sip_frame_anomaly, w);
}

static void on_stream_gap(void *ud, struct flow *f, int dir, uint32_t gap_len)
{
	struct engine_worker *w = ud;
	if (f->app == FLOW_APP_SIP)
		sip_frame_gap(w->framer, f, dir);
}

/* ------------------------------------------------------------------ */
/* Flows                                                               */

static void on_flow_end(void *ud, struct flow *f, enum flow_end_reason why)
{
	struct engine_worker *w = ud;
	if (f->bypassed)
		byp_unlink(w, f);
	eve_write_flow(&w->e->eve, f, why, w->now);
	stream_tcp_flow_free(w->stream, f);
	sip_frame_flow_free(w->framer, f);
}

/* ------------------------------------------------------------------ */
/* Deferred records (engine_defer_*)                                   */

/*
 * d->buf holds records one after the other, 8-byte aligned: a header
 * (kind, total size), the record struct, then its strings. In the copied
 * struct each string pointer holds the string's offset from the record's
 * start plus one (0: NULL) until engine_defer_write() turns it back.
 * Every `const char *` of the two record structs is listed here.
 */
struct engine_defer {
	uint8_t *buf;
	size_t len, cap;
};

enum { DEFER_SIP = 1, DEFER_CALL = 2 };

struct defer_hdr {
	uint32_t kind, size;
};

#define DEFER_ALIGN(n) (((n) + 7) & ~(size_t)7)
#define DEFER_BODY DEFER_ALIGN(sizeof(struct defer_hdr))
#define DEFER_KEEP (1u << 20) /* a buffer grown past this is freed once written */
#define DEFER_MAX_STRS 32     /* string fields of one record, at most */

#define TXN_STR(f) offsetof(struct sip_txn_rec, f)
static const size_t txn_strs[] = {
	TXN_STR(end),          TXN_STR(method),          TXN_STR(uri),       TXN_STR(version),
	TXN_STR(request_line), TXN_STR(reason),          TXN_STR(response_line), TXN_STR(from),
	TXN_STR(to),           TXN_STR(call_id),         TXN_STR(cseq),      TXN_STR(user_agent),
	TXN_STR(server),       TXN_STR(contact),         TXN_STR(via),       TXN_STR(from_tag),
	TXN_STR(to_tag),       TXN_STR(auth_user),       TXN_STR(auth_realm), TXN_STR(challenge_realm),
	TXN_STR(content_type), TXN_STR(reg_aor),         TXN_STR(reg_action),
};
#define DLG_STR(f) offsetof(struct sip_dialog_rec, f)
static const size_t dlg_strs[] = {
	DLG_STR(end),     DLG_STR(ended_by), DLG_STR(call_id),   DLG_STR(from),      DLG_STR(to),
	DLG_STR(from_tag), DLG_STR(to_tag),  DLG_STR(caller_ua), DLG_STR(callee_ua), DLG_STR(ruri),
};

struct engine_defer *engine_defer_new(void)
{
	return calloc(1, sizeof(struct engine_defer));
}

void engine_defer_free(struct engine_defer *d)
{
	if (d)
		free(d->buf);
	free(d);
}

void engine_thread_done(void)
{
	eve_thread_done();
}

void engine_defer_start(struct engine_worker *w, struct engine_defer *d)
{
	w->defer = d;
}

void engine_defer_stop(struct engine_worker *w)
{
	w->defer = NULL;
}

static const char *field_str(const void *rec, size_t off)
{
	const char *s;
	memcpy(&s, (const uint8_t *)rec + off, sizeof(s));
	return s;
}

/* Copies rec (size bytes, strings at offs[0..n)) into d; -1 without memory. */
static int defer_put(struct engine_defer *d, uint32_t kind, const void *rec, size_t size,
                     const size_t *offs, size_t n)
{
	size_t need = DEFER_BODY + size, at, len[DEFER_MAX_STRS];
	uint8_t *r;
	struct defer_hdr h;

	if (n > DEFER_MAX_STRS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *s = field_str(rec, offs[i]);
		len[i] = s ? strlen(s) + 1 : 0;
		need += len[i];
	}
	need = DEFER_ALIGN(need);
	if (need > UINT32_MAX)
		return -1;
	if (d->len + need > d->cap) {
		size_t ncap = d->cap ? d->cap : 16384;
		uint8_t *nb;
		while (ncap < d->len + need)
			ncap *= 2;
		nb = realloc(d->buf, ncap);
		if (!nb)
			return -1;
		d->buf = nb;
		d->cap = ncap;
	}
	r = d->buf + d->len;
	h.kind = kind;
	h.size = (uint32_t)need;
	memcpy(r, &h, sizeof(h));
	memcpy(r + DEFER_BODY, rec, size);
	at = DEFER_BODY + size;
	for (size_t i = 0; i < n; i++) {
		uintptr_t enc = 0;
		if (len[i]) {
			memcpy(r + at, field_str(rec, offs[i]), len[i]);
			enc = (uintptr_t)at + 1;
			at += len[i];
		}
		memcpy(r + DEFER_BODY + offs[i], &enc, sizeof(enc));
	}
	d->len += need;
	return 0;
}

/* The copied struct at r (size bytes) with its string pointers restored. */
static void defer_get(const uint8_t *r, void *out, size_t size, const size_t *offs, size_t n)
{
	memcpy(out, r + DEFER_BODY, size);
	for (size_t i = 0; i < n; i++) {
		uintptr_t enc;
		const char *s;
		memcpy(&enc, (uint8_t *)out + offs[i], sizeof(enc));
		s = enc ? (const char *)r + (enc - 1) : NULL;
		memcpy((uint8_t *)out + offs[i], &s, sizeof(s));
	}
}

void engine_defer_write(struct engine *e, struct engine_defer *d)
{
	size_t at = 0;
	if (!d || !d->len)
		return;
	while (at < d->len) {
		const uint8_t *r = d->buf + at;
		struct defer_hdr h;
		memcpy(&h, r, sizeof(h));
		if (h.kind == DEFER_SIP) {
			struct sip_txn_rec t;
			defer_get(r, &t, sizeof(t), txn_strs, SW_ARRAY_SIZE(txn_strs));
			eve_write_sip(&e->eve, &t);
		} else {
			struct sip_dialog_rec c;
			defer_get(r, &c, sizeof(c), dlg_strs, SW_ARRAY_SIZE(dlg_strs));
			eve_write_call(&e->eve, &c);
		}
		at += h.size;
	}
	d->len = 0;
	if (d->cap > DEFER_KEEP) {
		free(d->buf);
		d->buf = NULL;
		d->cap = 0;
	}
}

/* ------------------------------------------------------------------ */
/* State hooks (run under a call-state shard, for tl_w)               */

/* A finished record rec of EVE type t: 1 if nothing more is to be done
 * with it (type off, or copied into the calling worker's deferred
 * records), 0 to write it now. */
static int record_deferred(struct engine *e, enum eve_type t, uint32_t kind, const void *rec,
                           size_t size, const size_t *offs, size_t n)
{
	struct engine_worker *w = tl_w;
	if (!e->eve.enabled[t])
		return 1;
	return w && w->defer && defer_put(w->defer, kind, rec, size, offs, n) == 0;
}

static void on_txn_done(void *ud, const struct sip_txn_rec *t)
{
	struct engine *e = ud;
	if (!record_deferred(e, EVE_T_SIP, DEFER_SIP, t, sizeof(*t), txn_strs,
	                     SW_ARRAY_SIZE(txn_strs)))
		eve_write_sip(&e->eve, t);
}

static void on_dialog_done(void *ud, const struct sip_dialog_rec *d)
{
	struct engine *e = ud;
	if (!record_deferred(e, EVE_T_CALL, DEFER_CALL, d, sizeof(*d), dlg_strs,
	                     SW_ARRAY_SIZE(dlg_strs)))
		eve_write_call(&e->eve, d);
}

static void on_state_anomaly(void *ud, const struct sip_msg_ctx *ctx, unsigned id)
{
	struct engine *e = ud;
	struct engine_worker *w = tl_w ? tl_w : e->w[0];
	struct eve_hdr h;
	if (w->in_msg && w->n_msg_anom < SW_ARRAY_SIZE(w->msg_anom))
		w->msg_anom[w->n_msg_anom++] = (uint16_t)id;
	if (ctx) {
		hdr_from_ctx(&h, ctx);
	} else {
		memset(&h, 0, sizeof(h));
		h.ts = w->now;
		h.tx_id = -1;
		h.app_proto = "sip";
	}
	emit_anomaly(w, &h, id, -1);
}

/* ------------------------------------------------------------------ */
/* Timers and stats                                                    */

static void add_u64s(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += src[i];
}
#define ADD_STATS(dst, src) add_u64s((uint64_t *)(dst), (const uint64_t *)(src), \
                                     sizeof(*(dst)) / sizeof(uint64_t))
#define MAX_OF(a, b) ((a) > (b) ? (a) : (b))
#define MIN_OF(a, b) ((a) < (b) ? (a) : (b))

/*
 * One stats record: the workers' counters added up (held: the worker the
 * caller holds, or NULL; the others are taken one at a time, never two at
 * once), the call state's and the rules' under their locks.
 */
static void write_stats(struct engine *e, struct engine_worker *held, sw_time now)
{
	struct sw_stats st;
	struct flow_stats fl;
	struct defrag_stats df;
	struct stream_stats sm;
	struct sip_state_stats sip;
	struct detect_stats det;
	int have_det;
	sw_time first;
	struct eve_stats_src s;

	memset(&st, 0, sizeof(st));
	memset(&fl, 0, sizeof(fl));
	memset(&df, 0, sizeof(df));
	memset(&sm, 0, sizeof(sm));
	memset(&det, 0, sizeof(det));
	memset(&s, 0, sizeof(s));
	for (unsigned i = 0; i < e->n_w; i++) {
		struct engine_worker *w = e->w[i];
		uint64_t max_pkt = st.max_pkt_size, csum_off = st.csum_validation_disabled;
		if (w != held)
			pthread_mutex_lock(&w->mu);
		ADD_STATS(&st, &w->st);
		ADD_STATS(&fl, w->ft ? flow_table_stats(w->ft) : &w->flow_final);
		ADD_STATS(&df, defrag_get_stats(w->df));
		ADD_STATS(&sm, stream_get_stats(w->stream));
		ADD_STATS(&det, &w->dt.st);
		st.capture.engine_busy_usec += w->call_ns / 1000;
		s.pcre_limit_hits += detect_payload_pcre_limit_hits(&w->dt);
		s.recursion_limit_hits += detect_payload_recursion_limit_hits(&w->dt);
		/* Peaks (max_active flows, max_trackers_seen) are added up:
		 * the sum bounds the engine's. */
		st.max_pkt_size = MAX_OF(max_pkt, w->st.max_pkt_size);
		st.csum_validation_disabled = csum_off | w->st.csum_validation_disabled;
		if (w != held)
			pthread_mutex_unlock(&w->mu);
	}
	if (e->sip)
		sip_state_stats(e->sip, &sip);
	else
		sip = e->sip_final;
	pthread_mutex_lock(&e->timer_mu);
	first = e->first_ts;
	pthread_mutex_unlock(&e->timer_mu);

	pthread_rwlock_rdlock(&e->de_rw);
	have_det = e->de != NULL;
	s.rules_loaded = e->rules_loaded;
	s.rules_inactive = e->rules_inactive;
	pthread_rwlock_unlock(&e->de_rw);
	if (!have_det) {
		s.pcre_limit_hits = 0;
		s.recursion_limit_hits = 0;
	}

	s.now = now;
	s.uptime = first && now > first ? (now - first) / SW_USEC_PER_SEC : 0;
	s.st = &st;
	s.flow = &fl;
	s.defrag = &df;
	s.stream = &sm;
	s.sip = &sip;
	s.detect = have_det ? &det : NULL;
	s.eve = &e->eve;
	s.shard = e->shard;
	eve_write_stats(&e->eve, &s);
}

/*
 * Timers. What expires in age order (flows, fragments, transactions,
 * dialogs: each list is walked from its oldest end and stops at the first
 * entry still young) runs every TIMER_FINE of packet time, so a second's
 * worth of expiries is spread over the second instead of written in one
 * burst that would stall the packets queued behind it (inline, a burst
 * longer than the socket buffer holds fails open). The rest (held
 * anomalies, offloaded flows, blocks, registrations) runs once a second.
 *
 * Each worker runs its own tables' timers on its own packet time; the
 * shared ones (call state, blocks) run on the engine's clock, the latest
 * time any worker brought, by whichever worker moves it past a step.
 */
#define TIMER_FINE (SW_USEC_PER_SEC / 100)

static void shared_timers(struct engine_worker *w, sw_time ts)
{
	struct engine *e = w->e;
	if (!__atomic_load_n(&e->sh_started, __ATOMIC_ACQUIRE) ||
	    ts < __atomic_load_n(&e->sh_next_due, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&e->timer_mu);
	if (ts > e->sh_now)
		e->sh_now = ts;
	if (e->sh_now >= e->sh_next_tick) {
		sip_state_tick(e->sip, e->sh_now);
		pthread_mutex_lock(&e->block_mu);
		block_expire(e->blocks, e->sh_now, on_unblock, e);
		__atomic_store_n(&e->blocks_active, block_table_stats(e->blocks)->active,
		                 __ATOMIC_RELAXED);
		pthread_mutex_unlock(&e->block_mu);
		e->sh_next_tick = e->sh_now + SW_USEC_PER_SEC;
		e->sh_next_fine = e->sh_now + TIMER_FINE;
	} else if (e->sh_now >= e->sh_next_fine) {
		sip_state_tick(e->sip, e->sh_now);
		e->sh_next_fine = e->sh_now + TIMER_FINE;
	}
	__atomic_store_n(&e->sh_next_due, MIN_OF(e->sh_next_fine, e->sh_next_tick),
	                 __ATOMIC_RELAXED);
	pthread_mutex_unlock(&e->timer_mu);
}

/* The engine's clock starts with the first packet any worker sees. */
static void shared_start(struct engine_worker *w, sw_time ts)
{
	struct engine *e = w->e;
	if (__atomic_load_n(&e->sh_started, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&e->timer_mu);
	if (!e->sh_started) {
		uint64_t interval = e->cfg->outputs.stats.interval;
		e->first_ts = e->sh_now = ts;
		e->sh_next_tick = ts + SW_USEC_PER_SEC;
		e->sh_next_fine = ts + TIMER_FINE;
		if (!e->inline_mode)
			e->next_stats = interval ? ts + interval * SW_USEC_PER_SEC : 0;
		__atomic_store_n(&e->sh_next_due, ts + TIMER_FINE, __ATOMIC_RELAXED);
		__atomic_store_n(&e->sh_started, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&e->timer_mu);
}

static void advance_time(struct engine_worker *w, sw_time ts)
{
	struct engine *e = w->e;
	uint64_t interval = e->cfg->outputs.stats.interval;

	if (!w->started) {
		w->started = 1;
		w->now = ts;
		w->next_tick = ts + SW_USEC_PER_SEC;
		w->next_fine = ts + TIMER_FINE;
		shared_start(w, ts);
		return;
	}
	if (ts <= w->now)
		return;
	w->now = ts;
	if (w->now >= w->next_tick) {
		w->cur = NULL;
		anomaly_flush_held(e, w->now, 0);
		byp_check(w);
		flow_timeout_sweep(w->ft, w->now);
		defrag_timeout(w->df, w->now);
		shared_timers(w, w->now);
		w->next_tick = w->now + SW_USEC_PER_SEC;
		w->next_fine = w->now + TIMER_FINE;
	} else if (w->now >= w->next_fine) {
		w->cur = NULL;
		flow_timeout_sweep(w->ft, w->now);
		defrag_timeout(w->df, w->now);
		shared_timers(w, w->now);
		w->next_fine = w->now + TIMER_FINE;
	}
	/* Offline, stats follow packet time; inline the main thread writes
	 * them (engine_stats_tick()), as it must add up every worker. */
	if (!e->inline_mode && interval && w->now >= e->next_stats) {
		write_stats(e, w, w->now);
		while (e->next_stats <= w->now)
			e->next_stats += interval * SW_USEC_PER_SEC;
	}
}

/* ------------------------------------------------------------------ */
/* Packets                                                             */

enum { CSUM_AUTO = 0, CSUM_YES, CSUM_NO };
#define CSUM_AUTO_SAMPLE 1000 /* checksummed packets auto mode looks at */
#define CSUM_AUTO_MIN 10      /* ... before it may decide */

static int is_csum_anomaly(unsigned id)
{
	return id == ANOM_IPV4_CSUM_INVALID || id == ANOM_UDP_CSUM_INVALID ||
	       id == ANOM_TCP_CSUM_INVALID || id == ANOM_ICMPV4_CSUM_INVALID ||
	       id == ANOM_ICMPV6_CSUM_INVALID;
}

/*
 * decoder.checksum-validation. Captures taken on the sending host with
 * checksum offload carry wrong checksums on nearly every packet: in auto
 * mode (Suricata's default for files), once at least CSUM_AUTO_MIN of the
 * first CSUM_AUTO_SAMPLE checksummed packets were seen and more than 10 %
 * were bad, validation stops for the rest of the run (stats say so).
 * With validation off, checksum anomalies and flags are removed.
 */
static void checksum_policy(struct engine_worker *w, packet *p)
{
	int bad = (p->flags & (PKT_IPV4_CSUM_BAD | PKT_L4_CSUM_BAD)) != 0;
	uint8_t mode = w->e->csum_mode;
	unsigned i, k;

	if (mode == CSUM_AUTO && !w->csum_off && w->csum_seen < CSUM_AUTO_SAMPLE &&
	    p->ip_v && !(p->flags & (PKT_L4_CSUM_UNKNOWN | PKT_INVALID))) {
		w->csum_seen++;
		w->csum_bad += (uint32_t)bad;
		if (w->csum_seen >= CSUM_AUTO_MIN && (uint64_t)w->csum_bad * 10 > w->csum_seen) {
			w->csum_off = 1;
			w->st.csum_validation_disabled = 1;
			log_info("%u of the first %u packets have bad checksums (offload?): checksum "
			         "validation off (decoder.checksum-validation: auto)",
			         w->csum_bad, w->csum_seen);
		}
	}
	if (mode != CSUM_NO && !w->csum_off)
		return;
	p->flags &= ~(PKT_IPV4_CSUM_BAD | PKT_L4_CSUM_BAD);
	for (i = 0, k = 0; i < p->anom_n; i++)
		if (!is_csum_anomaly(p->anom[i]))
			p->anom[k++] = p->anom[i];
	p->anom_n = (uint8_t)k;
}

static void count_decoded(struct engine_worker *w, const packet *p)
{
	switch (p->linktype) {
	case SW_DLT_EN10MB:
		w->st.ethernet++;
		break;
	case SW_DLT_LINUX_SLL:
		w->st.sll++;
		break;
	case SW_DLT_LINUX_SLL2:
		w->st.sll2++;
		break;
	case SW_DLT_NULL:
	case SW_DLT_LOOP:
		w->st.null++;
		break;
	default:
		w->st.raw++;
		break;
	}
	if (p->vlan_n == 1)
		w->st.vlan++;
	else if (p->vlan_n > 1)
		w->st.vlan_qinq++;
}

static void process_ip(struct engine_worker *w, packet *p)
{
	struct engine *e = w->e;
	struct flow *f;
	int blocked = 0;

	if (p->ip_v == 4)
		w->st.ipv4++;
	else if (p->ip_v == 6)
		w->st.ipv6++;
	if (p->flags & PKT_IPV4_CSUM_BAD)
		w->st.csum_bad_ip++;
	if (p->flags & PKT_L4_CSUM_BAD)
		w->st.csum_bad_l4++;

	switch (p->proto) {
	case IPPROTO_UDP:
		w->st.udp++;
		break;
	case IPPROTO_TCP:
		w->st.tcp++;
		break;
	case IPPROTO_ICMP:
		w->st.icmpv4++;
		break;
	case IPPROTO_ICMPV6:
		w->st.icmpv6++;
		break;
	default:
		w->st.other_proto++;
		break;
	}
	if (p->flags & PKT_INVALID)
		return;
	f = flow_handle_packet(w->ft, p);
	if (!f)
		return;
	/* A blocked source: counted in its flow, then dropped before any
	 * inspection (it never reaches the protected side, so it must not
	 * change the call state either). No block anywhere: no lock. */
	if (__atomic_load_n(&e->blocks_active, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&e->block_mu);
		blocked = block_lookup(e->blocks, &p->src, p->ts) != NULL;
		pthread_mutex_unlock(&e->block_mu);
	}
	if (blocked) {
		w->verdict_drop = 1;
		/* One drop record per flow (a flood from a blocked source must not
		 * become a flood of records): the rest are counted, in stats and
		 * in the unblock record. */
		if (!f->block_logged) {
			f->block_logged = 1;
			verdict_log(w, p, "blocked");
		} else {
			w->st.drops++;
		}
		return;
	}
	if (p->proto == IPPROTO_UDP)
		handle_udp(w, p);
	else if (p->proto == IPPROTO_TCP)
		stream_tcp_packet(w->stream, p, on_stream_data, on_stream_gap, w);
	detect_packet(w, p);
	verdict_log(w, p, "rules");
}

/*
 * Memory caps that made the engine give up inspecting something: fragments
 * it could not hold for reassembly, TCP data it skipped. (A full flow
 * table is not one: the least recently seen flow makes room and the packet
 * is inspected; evictions are counted and reported as anomalies.)
 */
static uint64_t overload_mark(const struct engine_worker *w)
{
	return defrag_get_stats(w->df)->memcap_hits + stream_get_stats(w->stream)->memcap_hits;
}

/*
 * Writes the overload anomaly at most once a second (for the engine, not
 * per worker), with the packets counted since the last one (a flood must
 * not become a flood of records).
 */
static void overload_log(struct engine_worker *w, unsigned id, const packet *p, uint64_t n)
{
	struct engine *e = w->e;
	struct eve_hdr h;
	uint64_t count;
	pthread_mutex_lock(&e->anom_mu);
	e->overload_unlogged += n;
	if (e->overload_logged && w->now < e->overload_logged + SW_USEC_PER_SEC) {
		pthread_mutex_unlock(&e->anom_mu);
		return;
	}
	e->overload_logged = w->now;
	count = e->overload_unlogged;
	e->overload_unlogged = 0;
	pthread_mutex_unlock(&e->anom_mu);
	memset(&h, 0, sizeof(h));
	if (p)
		hdr_from_packet(&h, p);
	else {
		h.ts = w->now;
		h.tx_id = -1;
	}
	emit_anomaly_count(w, &h, id, count);
}

static int engine_packet_inner(struct engine_worker *w, packet *p);

int engine_packet(struct engine *e, packet *p)
{
	return engine_worker_packet(e->w[0], p);
}

int engine_worker_packet(struct engine_worker *w, packet *p)
{
	struct engine *e = w->e;
	uint64_t mark = e->inline_mode ? overload_mark(w) : 0;
	int v;
	tl_w = w;
	v = engine_packet_inner(w, p);
	if (e->inline_mode && overload_mark(w) != mark && !(v & ENGINE_DROP)) {
		/* Something was left uninspected for lack of memory. */
		if (e->overload_drop) {
			/* No drop record per packet (overload comes with floods):
			 * the anomaly, once a second, carries the count. */
			w->st.overload_drop++;
			w->st.drops++;
			v = ENGINE_DROP;
			overload_log(w, ANOM_IPS_FAIL_CLOSED, p, 1);
		} else {
			w->st.overload_pass++;
			overload_log(w, ANOM_IPS_FAIL_OPEN, p, 1);
		}
	}
	if (v == ENGINE_BYPASS)
		w->st.bypassed_pkts++;
	/* A call ended (on any worker): offloaded media here may go with it. */
	if (w->n_byp)
		byp_check_ended(w);
	return v;
}

void engine_set_inline(struct engine *e, const struct engine_io *io)
{
	e->inline_mode = 1;
	e->overload_drop = !e->cfg->nfq.fail_open;
	if (io)
		e->io = *io;
}

void engine_set_queue(struct engine *e, unsigned queue)
{
	e->shard = (int)queue;
}

unsigned engine_n_workers(const struct engine *e)
{
	return e->n_w;
}

struct engine_worker *engine_worker(struct engine *e, unsigned i)
{
	return i < e->n_w ? e->w[i] : NULL;
}

void engine_worker_lock(struct engine_worker *w)
{
	pthread_mutex_lock(&w->mu);
}

void engine_worker_unlock(struct engine_worker *w)
{
	pthread_mutex_unlock(&w->mu);
}

void engine_worker_tick(struct engine_worker *w, sw_time now)
{
	tl_w = w;
	if (w->started)
		advance_time(w, now);
	else
		/* A worker that has seen nothing yet still moves the shared
		 * timers on (once another one started the clock). */
		shared_timers(w, now);
	if (w->n_byp)
		byp_check_ended(w);
}

void engine_stats_tick(struct engine *e, sw_time now)
{
	uint64_t interval = e->cfg->outputs.stats.interval;
	if (!interval || !__atomic_load_n(&e->sh_started, __ATOMIC_ACQUIRE))
		return;
	if (!e->next_stats)
		e->next_stats = now + interval * SW_USEC_PER_SEC;
	if (now < e->next_stats)
		return;
	write_stats(e, NULL, now);
	while (e->next_stats <= now)
		e->next_stats += interval * SW_USEC_PER_SEC;
}

void engine_capture_counts(struct engine_worker *w, const struct engine_capture_counts *add)
{
	struct sw_stats *st = &w->st;
	st->capture.packets += add->packets;
	st->capture.missed += add->missed;
	st->capture.enobufs += add->enobufs;
	st->capture.verdict_errors += add->verdict_errors;
	st->capture.gso += add->gso;
	st->capture.truncated += add->truncated;
	st->capture.kernel_queue_dropped += add->kernel_queue_dropped;
	st->capture.kernel_user_dropped += add->kernel_user_dropped;
	if (add->kernel_queue_dropped)
		overload_log(w, ANOM_CAPTURE_LOST, NULL, add->kernel_queue_dropped);
	/* ENOBUFS only says that something was lost; the id gaps say how much. */
	if (add->missed)
		overload_log(w, w->e->overload_drop ? ANOM_CAPTURE_LOST : ANOM_CAPTURE_FAIL_OPEN,
		             NULL, add->missed);
}

static int engine_packet_inner(struct engine_worker *w, packet *p)
{
	w->verdict_drop = 0;
	w->verdict_bypass = 0;
	w->st.pkts++;
	w->st.bytes += p->wirelen;
	if (p->wirelen > w->st.max_pkt_size)
		w->st.max_pkt_size = p->wirelen;
	advance_time(w, p->ts);
	w->cur = p;

	if (decode_packet(p) != 0) {
		/* Non-IP frames (ARP, LLDP...) are not errors; broken ones are. */
		if (p->anom_n || (p->flags & PKT_INVALID))
			w->st.invalid++;
		else
			w->st.non_ip++;
		flush_packet_anomalies(w, p);
		w->cur = NULL;
		return 0;
	}
	count_decoded(w, p);
	checksum_policy(w, p);
	if (p->flags & PKT_IS_FRAGMENT) {
		packet whole;
		int r;
		if (p->ip_v == 4)
			w->st.ipv4_frags++;
		else
			w->st.ipv6_frags++;
		memset(&whole, 0, sizeof(whole));
		r = defrag_packet(w->df, p, &whole);
		flush_packet_anomalies(w, p);
		if (r == 1) {
			w->cur = &whole;
			checksum_policy(w, &whole);
			process_ip(w, &whole);
			flush_packet_anomalies(w, &whole);
		}
		w->cur = NULL;
		return w->verdict_drop ? ENGINE_DROP : w->verdict_bypass ? ENGINE_BYPASS : 0;
	}
	process_ip(w, p);
	flush_packet_anomalies(w, p);
	w->cur = NULL;
	return w->verdict_drop ? ENGINE_DROP : w->verdict_bypass ? ENGINE_BYPASS : 0;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

void engine_flush(struct engine *e)
{
	eve_flush(&e->eve);
}

int engine_reopen_logs(struct engine *e)
{
	return e->cfg->outputs.eve.enabled ? eve_reopen(&e->eve) : 0;
}

/* A limit of the whole engine shared out between n workers (at least 1
 * each; 0, "the module's default", stays 0). */
static uint64_t share_of(uint64_t total, unsigned n)
{
	if (!total || n <= 1)
		return total;
	return (total + n - 1) / n;
}

static void worker_destroy(struct engine_worker *w)
{
	if (!w)
		return;
	flow_table_destroy(w->ft);
	defrag_destroy(w->df);
	stream_destroy(w->stream);
	sip_frame_destroy(w->framer);
	detect_thread_free(&w->dt);
	free(w->hdrs);
	free(w->byp);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

static struct engine_worker *worker_create(struct engine *e, unsigned n)
{
	const struct sw_config *cfg = e->cfg;
	struct engine_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->e = e;
	pthread_mutex_init(&w->mu, NULL);

	struct flow_cfg fc = {
		.max_flows = (uint32_t)share_of(cfg->flow.max_flows, n),
		.hash_size = (uint32_t)share_of(cfg->flow.hash_size, n),
		.timeout_udp = cfg->flow.timeouts.udp,
		.timeout_tcp = cfg->flow.timeouts.tcp,
		.timeout_tcp_closed = cfg->flow.timeouts.tcp_closed,
		.timeout_other = cfg->flow.timeouts.other,
	};
	w->ft = flow_table_create(&fc, on_flow_end, w);

	struct defrag_cfg dc = {
		.max_trackers = (uint32_t)share_of(cfg->defrag.max_trackers, n),
		.max_bytes = (uint32_t)share_of(cfg->defrag.memcap, n),
		.timeout = cfg->defrag.timeout,
		.max_frags_per_tracker = cfg->defrag.max_frags,
	};
	w->df = defrag_create(&dc);

	struct stream_cfg sc = {
		.max_sessions = fc.max_flows,
		.max_ooo_bytes_per_dir = (uint32_t)cfg->stream.max_ooo_bytes,
		.memcap = share_of(cfg->stream.memcap, n),
		.max_ooo_segments = cfg->stream.max_ooo_segments,
	};
	w->stream = stream_create(&sc);

	struct sip_frame_cfg fr = {
		.max_msg = cfg->sip.max_message_size,
		.max_buffered_per_flow = (uint32_t)cfg->sip.max_buffered_per_flow,
	};
	w->framer = sip_frame_create(&fr);

	w->hdr_cap = cfg->sip.max_headers;
	w->hdrs = calloc(w->hdr_cap, sizeof(*w->hdrs));
	if (!w->ft || !w->df || !w->stream || !w->framer || !w->hdrs ||
	    detect_thread_init(&w->dt) != 0) {
		worker_destroy(w);
		return NULL;
	}
	return w;
}

struct engine *engine_create(const struct sw_config *cfg, const char *logdir, unsigned flags,
                             unsigned n_workers, char *err, size_t cap)
{
	struct engine *e = calloc(1, sizeof(*e));
	char path[4096];
	unsigned n_shards;

	if (!e) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	e->cfg = cfg;
	e->shard = -1;
	pthread_mutex_init(&e->timer_mu, NULL);
	pthread_mutex_init(&e->block_mu, NULL);
	{
		pthread_rwlockattr_t ra;
		pthread_rwlockattr_init(&ra);
		/* A reload's swap must not wait behind a stream of evaluations. */
		pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&e->de_rw, &ra);
		pthread_rwlockattr_destroy(&ra);
	}
	pthread_mutex_init(&e->anom_mu, NULL);
	if (cfg->decoder.checksum_validation && strcmp(cfg->decoder.checksum_validation, "yes") == 0)
		e->csum_mode = CSUM_YES;
	else if (cfg->decoder.checksum_validation &&
	         strcmp(cfg->decoder.checksum_validation, "no") == 0)
		e->csum_mode = CSUM_NO;

	snprintf(path, sizeof(path), "%s/%s", logdir, cfg->outputs.eve.filename);
	if (cfg->outputs.eve.enabled) {
		if (eve_open(&e->eve, path, !(flags & ENGINE_EVE_APPEND)) != 0) {
			snprintf(err, cap, "%s: %s", path, strerror(errno));
			goto fail;
		}
		for (unsigned i = 0; i < cfg->outputs.eve.n_types; i++) {
			int t = eve_type_by_name(cfg->outputs.eve.types[i]);
			if (t >= 0)
				e->eve.enabled[t] = 1;
		}
	}

	if (!n_workers)
		n_workers = 1;
	e->w = calloc(n_workers, sizeof(*e->w));
	if (!e->w) {
		snprintf(err, cap, "out of memory");
		goto fail;
	}
	for (; e->n_w < n_workers; e->n_w++) {
		e->w[e->n_w] = worker_create(e, n_workers);
		if (!e->w[e->n_w]) {
			snprintf(err, cap,
			         "out of memory creating tables (check the configured limits)");
			goto fail;
		}
	}

	struct sip_state_cfg ss = {
		.max_txns = cfg->sip.max_transactions,
		.max_dialogs = cfg->sip.max_dialogs,
		.max_regs = cfg->sip.max_registrations,
		.max_media = cfg->sip.max_media,
		.txn_timeout = cfg->sip.transaction_timeout,
		.dialog_early_timeout = cfg->sip.dialog_early_timeout,
		.dialog_idle_timeout = cfg->sip.dialog_idle_timeout,
		.dialog_linger = cfg->sip.dialog_linger,
		.reg_max_expires = cfg->sip.registration_max_expires,
	};
	static const struct sip_state_hooks hooks = {
		.txn_done = on_txn_done,
		.dialog_done = on_dialog_done,
		.anomaly = on_state_anomaly,
	};
	/* Call-state shards: one lets a single worker skip nothing; with
	 * several, 4 per worker make two workers rarely want the same one. */
	n_shards = cfg->sip.shards ? cfg->sip.shards : e->n_w > 1 ? 4 * e->n_w : 1;
	e->sip = sip_state_create_sharded(&ss, &hooks, e, n_shards);
	e->blocks = block_table_create(cfg->detect.max_blocks);
	e->xbits = xbits_table_create(cfg->detect.max_xbits);
	for (unsigned i = 0; i < e->n_w; i++)
		e->w[i]->dt.xbits = e->xbits;

	if (!e->sip || !e->blocks || !e->xbits) {
		snprintf(err, cap, "out of memory creating tables (check the configured limits)");
		goto fail;
	}
	return e;
fail:
	engine_destroy(e);
	return NULL;
}

int engine_load_rules(struct engine *e, const char *const *paths, unsigned n, FILE *errs,
                      unsigned *n_errors)
{
	struct detect_load_opts o = { .cfg = e->cfg, .errs = errs };
	struct detect_engine *de = detect_engine_load(paths, n, &o, n_errors);
	if (!de)
		return -1;
	if (engine_set_rules(e, de) != 0) {
		detect_engine_free(de);
		return -1;
	}
	detect_engine_free(de); /* the engine holds its own reference */
	return 0;
}

unsigned engine_rule_count(struct engine *e)
{
	unsigned n;
	pthread_rwlock_rdlock(&e->de_rw);
	n = e->rules_loaded;
	pthread_rwlock_unlock(&e->de_rw);
	return n;
}

int engine_set_rules(struct engine *e, struct detect_engine *de)
{
	struct detect_engine *old;
	pthread_rwlock_wrlock(&e->de_rw);
	old = e->de;
	e->de = detect_engine_ref(de);
	e->rules_loaded = detect_engine_rule_count(de);
	e->rules_inactive = detect_engine_inactive_count(de);
	__atomic_store_n(&e->has_rules, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&e->de_rw);
	detect_engine_free(old); /* no evaluation holds it any more */
	return 0;
}

void engine_set_pcap_filename(struct engine *e, const char *name)
{
	e->eve.pcap_filename = name;
}

/* Called with no worker running. */
void engine_finish(struct engine *e)
{
	struct engine_worker *w0 = e->w[0];
	sw_time end = e->sh_now; /* the latest time any worker saw */
	if (e->finishing)
		return;
	for (unsigned i = 0; i < e->n_w; i++)
		end = MAX_OF(end, e->w[i]->now);
	e->finishing = 1;
	/* Order matters: open transactions and dialogs first (they may
	 * reference flows), then the flows, then the last stats. */
	/* The last stats show the tables as the capture left them. */
	tl_w = w0;
	w0->cur = NULL;
	sip_state_stats(e->sip, &e->sip_final);
	sip_state_finish(e->sip);
	sip_state_destroy(e->sip);
	e->sip = NULL;
	for (unsigned i = 0; i < e->n_w; i++) {
		struct engine_worker *w = e->w[i];
		w->cur = NULL;
		w->flow_final = *flow_table_stats(w->ft);
		flow_table_destroy(w->ft);
		w->ft = NULL;
	}
	anomaly_flush_held(e, end, 1);
	write_stats(e, NULL, end);
	eve_flush(&e->eve);
	tl_w = NULL;
}

void engine_destroy(struct engine *e)
{
	if (!e)
		return;
	sip_state_destroy(e->sip);
	for (unsigned i = 0; i < e->n_w; i++)
		worker_destroy(e->w[i]);
	free(e->w);
	detect_engine_free(e->de);
	block_table_free(e->blocks);
	xbits_table_free(e->xbits);
	eve_close(&e->eve);
	pthread_mutex_destroy(&e->timer_mu);
	pthread_mutex_destroy(&e->block_mu);
	pthread_rwlock_destroy(&e->de_rw);
	pthread_mutex_destroy(&e->anom_mu);
	free(e);
}

unsigned long long engine_write_errors(const struct engine *e)
{
	uint64_t rec[EVE_T__COUNT], werr;
	eve_counts(&e->eve, rec, &werr);
	return werr;
}
