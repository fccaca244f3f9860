/*
 * engine.c - the offline/inline pipeline glue.
 *
 *   capture -> decode_packet -> [defrag] -> flow_handle_packet
 *        UDP: sip_probe / media lookup -> sip_parse (DATAGRAM, all messages)
 *        TCP: stream_tcp -> sip_frame -> sip_parse (STREAM)
 *        -> sdp_parse -> sip_state_message -> EVE (sip, call, flow, anomaly, stats)
 *
 * Time is packet time: e->now only moves forward (a capture whose clock
 * steps back does not rewind timers), timers run once per second of
 * packet time, and periodic stats are written every outputs.stats.interval
 * seconds of packet time.
 */
#include "engine.h"

#include <errno.h>
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

struct engine {
	const struct sw_config *cfg;
	struct eve eve;
	struct flow_table *ft;
	struct defrag *df;
	struct stream_ctx *stream;
	struct sip_framer_ctx *framer;
	struct sip_state *sip;

	struct sip_header *hdrs;
	size_t hdr_cap;
	const struct engine_prep *prep; /* engine_packet_prepared(): this packet's, or NULL */
	struct engine_defer *defer; /* engine_defer_start(): records to copy there, or NULL */
	int shard;                  /* engine_set_queue(): its queue (stats), -1: none */
	struct sdp_session sdp;

	struct detect_engine *de; /* NULL: no rules */
	struct block_table *blocks;
	struct xbits_table *xbits;
	struct det_thread dt;
	uint8_t verdict_drop;     /* the packet being processed is to be dropped */
	uint8_t verdict_bypass;   /* ... its flow is offloaded to the kernel */
	uint8_t inline_mode;      /* engine_set_inline() */
	uint8_t overload_drop;    /* ... and nfq.fail-open is false */
	struct engine_io io;
	sw_time reject_sec;       /* reply rate limit: the current second ... */
	uint32_t reject_n;        /* ... and the replies sent in it */
	sw_time overload_logged;  /* last overload anomaly written (one per second) */
	uint64_t overload_unlogged; /* packets over a cap since then */
	sw_time cap_anom_at[16];  /* capacity anomalies: last record written ... */
	uint64_t cap_anom_held[16]; /* ... and occurrences since (anomaly_held) */
	struct flow **byp;        /* offloaded flows (flow->byp_idx indexes this) */
	uint32_t n_byp, cap_byp;
	sw_time next_byp_check;
	uint8_t in_msg;           /* inside sip_state_message(): collect its anomalies */
	uint8_t n_msg_anom;
	uint16_t msg_anom[SIP_MAX_ANOM + SDP_MAX_ANOM + 8];
	uint32_t rules_loaded, rules_inactive;

	sw_time now, first_ts, next_tick, next_fine, next_stats;
	uint8_t started;
	uint8_t finishing;

	packet *cur;         /* packet being processed (NULL from timers) */
	/* decoder.checksum-validation */
	uint8_t csum_mode;   /* CSUM_AUTO, CSUM_YES, CSUM_NO */
	uint8_t csum_off;    /* auto mode decided the capture has offloaded checksums */
	uint32_t csum_seen, csum_bad;
	/* Counters of the tables torn down by engine_finish(), for the last stats. */
	struct flow_stats flow_final;
	struct sip_state_stats sip_final;
	struct sw_stats st;
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

static int anomaly_held(struct engine *e, unsigned id, uint64_t *count)
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
	if (e->cap_anom_at[slot] && e->now < e->cap_anom_at[slot] + SW_USEC_PER_SEC)
		return 1;
	e->cap_anom_at[slot] = e->now ? e->now : 1;
	*count = e->cap_anom_held[slot];
	e->cap_anom_held[slot] = 0;
	return 0;
}

static void emit_anomaly_count(struct engine *e, const struct eve_hdr *h, unsigned id,
                               uint64_t count);

/* Writes the capacity anomalies held back for over a second (force: all,
 * at the end), with their counts. */
static void anomaly_flush_held(struct engine *e, int force)
{
	for (unsigned slot = 0; slot < SW_ARRAY_SIZE(cap_anom_ids); slot++) {
		struct eve_hdr h;
		uint64_t n = e->cap_anom_held[slot];
		if (!n || (!force && e->now < e->cap_anom_at[slot] + SW_USEC_PER_SEC))
			continue;
		memset(&h, 0, sizeof(h));
		h.ts = e->now;
		h.tx_id = -1;
		e->cap_anom_held[slot] = 0;
		e->cap_anom_at[slot] = e->now;
		/* counted in stats when raised */
		e->st.anomalies[cap_anom_ids[slot]] -= n;
		emit_anomaly_count(e, &h, cap_anom_ids[slot], n);
	}
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

static void emit_anomaly_sip(struct engine *e, const struct eve_hdr *h, unsigned id,
                             int64_t offset, sw_str call_id)
{
	uint64_t count;
	if (id >= ANOM__COUNT)
		return;
	e->st.anomalies[id]++;
	if (anomaly_held(e, id, &count))
		return;
	write_anomaly(e, h, id, count, 0, offset, call_id);
}

static void emit_anomaly(struct engine *e, const struct eve_hdr *h, unsigned id, int64_t offset)
{
	emit_anomaly_sip(e, h, id, offset, (sw_str){ 0 });
}

/* An anomaly standing for count events (rate-limited ones). */
static void emit_anomaly_count(struct engine *e, const struct eve_hdr *h, unsigned id,
                               uint64_t count)
{
	if (id >= ANOM__COUNT)
		return;
	e->st.anomalies[id] += count;
	write_anomaly(e, h, id, count, 1, -1, (sw_str){ 0 });
}

/* Writes and clears the anomalies collected on p. */
static void flush_packet_anomalies(struct engine *e, packet *p)
{
	struct eve_hdr h;
	if (!p->anom_n && !p->anom_lost)
		return;
	hdr_from_packet(&h, p);
	for (unsigned i = 0; i < p->anom_n; i++)
		emit_anomaly(e, &h, p->anom[i], -1);
	e->st.anomalies_lost += p->anom_lost;
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
static int reject_budget(struct engine *e, const packet *p)
{
	sw_time sec = p->ts / SW_USEC_PER_SEC;
	if (sec != e->reject_sec) {
		e->reject_sec = sec;
		e->reject_n = 0;
	}
	if (e->reject_n >= e->cfg->ips.reject_max_per_second) {
		e->st.reject_limited++;
		return 0;
	}
	return 1;
}

static void reject_send(struct engine *e, const packet *p, int to_sender, const uint8_t *buf,
                        size_t n, uint64_t *ok)
{
	if (!n || e->io.inject(e->io.ud, p, to_sender, buf, n) != 0) {
		e->st.reject_errors++;
		return;
	}
	e->reject_n++;
	(*ok)++;
}

static void send_reject(struct engine *e, const struct det_msg *m, unsigned to)
{
	/* Replies go out unfragmented: at most an Ethernet MTU. */
	uint8_t buf[1500];
	const packet *p = e->cur;
	size_t n = 0;
	uint64_t *ok = NULL;

	if (!e->inline_mode || !e->io.inject || !p || !p->ip_v)
		return;
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6)
		return;
	if (p->proto == IPPROTO_TCP && (p->tcp_flags & TH_RST))
		return;
	if ((to & REJECT_TO_SRC) && reject_budget(e, p)) {
		if (m->kind == DM_SIP && m->sip && m->sip->is_request && p->proto == IPPROTO_UDP) {
			if (m->sip->method_id != SIP_M_ACK) { /* an ACK is never answered */
				n = reject_sip_response(p, m->sip, e->cfg->ips.reject_sip_code,
				                        e->cfg->ips.reject_sip_reason, buf, sizeof(buf));
				ok = &e->st.reject_sip;
			}
		} else if (p->proto == IPPROTO_TCP) {
			n = reject_tcp_rst(p, 1, buf, sizeof(buf));
			ok = &e->st.reject_rst;
		} else {
			n = reject_icmp_unreach(p, buf, sizeof(buf));
			ok = &e->st.reject_icmp;
		}
		if (ok)
			reject_send(e, p, 1, buf, n, ok);
	}
	if ((to & REJECT_TO_DST) && p->proto == IPPROTO_TCP && reject_budget(e, p)) {
		n = reject_tcp_rst(p, 0, buf, sizeof(buf));
		reject_send(e, p, 0, buf, n, &e->st.reject_rst);
	}
}

/* Evaluates the rules on m; logs the alerts; a drop/reject rule makes the
 * packet being processed a drop (inline it is not forwarded; offline the
 * drop record says it would not have been). */
static void run_detect(struct engine *e, const struct det_msg *m)
{
	struct det_result res;
	if (!detect_eval(e->de, &e->dt, m, &res) && !res.drop)
		return;
	for (unsigned i = 0; i < res.n; i++) {
		if (!res.a[i].suppressed) {
			e->st.alerts++;
			eve_write_alert(&e->eve, m, &res.a[i]);
		}
		if (res.a[i].block_secs &&
		    block_add(e->blocks, &res.a[i].block_addr, m->ts, res.a[i].block_secs,
		              res.a[i].r->gid, res.a[i].r->sid) == 1)
			eve_write_block(&e->eve, m->ts, &res.a[i].block_addr, "block",
			                res.a[i].block_secs, res.a[i].r, 0);
	}
	if (res.drop)
		e->verdict_drop = 1;
	if (res.reject)
		send_reject(e, m, res.reject);
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
static void detect_packet(struct engine *e, packet *p)
{
	struct det_msg dm;
	det_msg_of_packet(&dm, p, DM_PACKET);
	dm.anom = p->anom;
	dm.n_anom = p->anom_n;
	run_detect(e, &dm);
}

static void on_unblock(void *ud, const struct block_info *b)
{
	struct engine *e = ud;
	eve_write_block(&e->eve, e->now, &b->addr, "unblock", 0, NULL, b->dropped);
}

static void verdict_log(struct engine *e, packet *p, const char *reason)
{
	struct det_msg dm;
	if (!e->verdict_drop)
		return;
	e->st.drops++;
	det_msg_of_packet(&dm, p, DM_PACKET);
	eve_write_drop(&e->eve, &dm, reason);
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

static void byp_end_dialog(struct engine *e, uint64_t dialog_id);

static void msg_ctx_from(struct sip_msg_ctx *c, const struct engine *e, const struct flow *f,
                         int dir, const packet *p)
{
	memset(c, 0, sizeof(*c));
	c->ts = p ? p->ts : e->now;
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
static void sip_message_parsed(struct engine *e, struct flow *f, int dir, const struct sip_msg *m,
                               int r, unsigned mode)
{
	struct sip_msg_ctx ctx;
	struct sip_msg_result res;
	struct eve_hdr h;
	const struct sdp_session *sdp = NULL;

	msg_ctx_from(&ctx, e, f, dir, e->cur);
	hdr_from_ctx(&h, &ctx);
	h.direction = dir == 0 ? "to_server" : "to_client";

	for (unsigned i = 0; i < m->n_anom && i < SIP_MAX_ANOM; i++)
		emit_anomaly_sip(e, &h, m->anom[i], m->anom_off[i], m->call_id);
	if (r < 0) {
		e->st.sip_parse_errors++;
		return;
	}
	if (mode & SIP_PARSE_STREAM)
		e->st.sip_msgs_tcp++;
	else
		e->st.sip_msgs_udp++;
	if (m->is_request)
		e->st.sip_requests[m->method_id < SIP_M__COUNT ? m->method_id : 0]++;
	else
		e->st.sip_responses[m->status >= 100 && m->status <= 699 ? m->status / 100 : 0]++;

	if (body_is_sdp(m)) {
		e->st.sdp_bodies++;
		if (sdp_parse(m->body.p, m->body.len, &e->sdp) == 0)
			sdp = &e->sdp;
		else
			e->st.sdp_errors++;
		for (unsigned i = 0; i < e->sdp.n_anom && i < SDP_MAX_ANOM; i++)
			emit_anomaly_sip(e, &h, e->sdp.anom[i], -1, m->call_id);
	}
	/* The message's anomalies, for rules: parser, SDP, then call state. */
	e->n_msg_anom = 0;
	for (unsigned i = 0; i < m->n_anom && i < SIP_MAX_ANOM; i++)
		e->msg_anom[e->n_msg_anom++] = m->anom[i];
	if (sdp)
		for (unsigned i = 0; i < e->sdp.n_anom && i < SDP_MAX_ANOM; i++)
			e->msg_anom[e->n_msg_anom++] = e->sdp.anom[i];
	e->in_msg = 1;
	sip_state_message(e->sip, m, sdp, &ctx, &res);
	e->in_msg = 0;
	if (res.dialog_id && res.dialog_state == DLG_TERMINATED && e->n_byp)
		byp_end_dialog(e, res.dialog_id);
	f->tx_count++;
	if (e->de && e->cur) {
		struct det_msg dm;
		memset(&dm, 0, sizeof(dm));
		dm.kind = DM_SIP;
		dm.to_server = dir == 0;
		dm.l4 = ctx.proto;
		dm.src = &ctx.src;
		dm.dst = &ctx.dst;
		dm.sport = ctx.sport;
		dm.dport = ctx.dport;
		dm.pkt = e->cur;
		dm.flow = f;
		dm.sip = m;
		dm.sdp = sdp;
		dm.state = &res;
		dm.raw = (const uint8_t *)m->base;
		dm.raw_len = m->len;
		dm.anom = e->msg_anom;
		dm.n_anom = e->n_msg_anom;
		dm.ts = ctx.ts;
		uint8_t dropped_before = e->verdict_drop;
		run_detect(e, &dm);
		/* A dropped message never reaches its destination: what it
		 * opened (a transaction, a call) ends now as "dropped" rather
		 * than waiting for an answer that cannot come. */
		if (e->verdict_drop && !dropped_before)
			sip_state_dropped(e->sip, ctx.ts);
	}
}

/*
 * The SIP messages of a UDP datagram, parsed: RFC 5626 keep-alives and
 * stray line ends between messages are skipped; parsing stops after a
 * message that cannot be framed (the rest of the datagram is lost), at the
 * end, or after max messages. Message i's headers go to hdrs[i * hdr_cap].
 * Returns how many; *used = bytes consumed; *keepalive when the datagram
 * is only line ends; *done when nothing is left to parse. Touches nothing
 * else, so it also runs before the engine is taken (engine_prepare).
 */
struct dgram_msg {
	struct sip_msg m;
	int r;
};

static unsigned dgram_parse(const char *buf, uint32_t len, struct dgram_msg *out, unsigned max,
                            struct sip_header *hdrs, size_t hdr_cap, uint32_t *used,
                            int *keepalive, int *done)
{
	uint32_t off = 0;
	unsigned n = 0;
	*keepalive = 0;
	*done = 0;
	while (off < len && n < max) {
		uint32_t skip = 0;
		while (off + skip < len && (buf[off + skip] == '\r' || buf[off + skip] == '\n'))
			skip++;
		if (skip) {
			if (off == 0 && skip == len)
				*keepalive = 1;
			off += skip;
			continue;
		}
		out[n].r = sip_parse(buf + off, len - off, &out[n].m, hdrs + (size_t)n * hdr_cap, hdr_cap,
		                     SIP_PARSE_DATAGRAM);
		if (out[n++].r <= 0) {
			*done = 1; /* not framable: the rest of the datagram is lost */
			break;
		}
		off += (uint32_t)out[n - 1].r;
	}
	if (off >= len)
		*done = 1;
	*used = off;
	return n;
}

#define PREP_MAX_MSGS 4

/* Per worker (inline) or per run (offline): see engine_prepare(). */
struct engine_prep {
	const packet *pkt;      /* the packet decoded (in place) ... */
	int decode_rc;          /* ... and decode_packet()'s result */
	const uint8_t *payload; /* the datagram parsed (NULL: nothing prepared) */
	uint32_t len, used;
	unsigned n;
	int keepalive, done;
	size_t hdr_cap;
	struct sip_header *hdrs; /* PREP_MAX_MSGS * hdr_cap */
	struct dgram_msg msg[PREP_MAX_MSGS];
};

/* UDP datagram on a SIP flow: every message in it is parsed, once (before
 * the engine was taken when pp prepared this very datagram). */
static void handle_sip_datagram(struct engine *e, packet *p)
{
	const struct engine_prep *pp = e->prep;
	const char *buf = (const char *)p->payload;
	uint32_t len = p->payload_len, off = 0, nmsg = 0, used;
	int keepalive, done = 0;
	struct dgram_msg one;

	if (pp && pp->payload && pp->payload == p->payload && pp->len == len) {
		for (unsigned i = 0; i < pp->n; i++) {
			sip_message_parsed(e, p->flow, p->dir, &pp->msg[i].m, pp->msg[i].r,
			                   SIP_PARSE_DATAGRAM);
			nmsg += pp->msg[i].r > 0;
		}
		off = pp->used;
		done = pp->done;
		if (pp->keepalive)
			e->st.sip_keepalives++;
	}
	while (!done) {
		unsigned n = dgram_parse(buf + off, len - off, &one, 1, e->hdrs, e->hdr_cap, &used,
		                         &keepalive, &done);
		if (keepalive && off == 0)
			e->st.sip_keepalives++;
		if (n) {
			sip_message_parsed(e, p->flow, p->dir, &one.m, one.r, SIP_PARSE_DATAGRAM);
			nmsg += one.r > 0;
		}
		off += used;
		if (!n)
			break;
	}
	if (nmsg > 1)
		e->st.sip_multi_msg_datagrams++;
}

struct engine_prep *engine_prep_new(const struct sw_config *cfg)
{
	struct engine_prep *pp = calloc(1, sizeof(*pp));
	if (!pp)
		return NULL;
	pp->hdr_cap = cfg->sip.max_headers;
	pp->hdrs = calloc((size_t)PREP_MAX_MSGS * pp->hdr_cap, sizeof(*pp->hdrs));
	if (!pp->hdrs) {
		free(pp);
		return NULL;
	}
	return pp;
}

void engine_prep_free(struct engine_prep *pp)
{
	if (!pp)
		return;
	free(pp->hdrs);
	free(pp);
}

/*
 * Whether a UDP payload may be SIP: after line ends, a request's method
 * (an upper-case token) or "SIP/2.0". Cheap; the engine decides for real
 * (the flow's application), and uses what was prepared only then.
 */
static int maybe_sip(const uint8_t *b, uint32_t n)
{
	uint32_t i = 0;
	while (i < n && (b[i] == '\r' || b[i] == '\n'))
		i++;
	return i < n && b[i] >= 'A' && b[i] <= 'Z';
}

void engine_prepare(struct engine_prep *pp, packet *p)
{
	pp->payload = NULL;
	pp->n = 0;
	pp->pkt = p;
	pp->decode_rc = decode_packet(p);
	if (pp->decode_rc != 0 || p->proto != IPPROTO_UDP || (p->flags & PKT_IS_FRAGMENT) ||
	    !p->payload_len || !maybe_sip(p->payload, p->payload_len))
		return;
	pp->n = dgram_parse((const char *)p->payload, p->payload_len, pp->msg, PREP_MAX_MSGS,
	                    pp->hdrs, pp->hdr_cap, &pp->used, &pp->keepalive, &pp->done);
	pp->payload = p->payload;
	pp->len = p->payload_len;
}

static void media_refresh(struct engine *e, packet *p, struct flow *f);

/* Whether p's sender is the address its call's SDP announced (1 yes,
 * 2 no), checked once per direction and again when the SDP changes. */
static uint8_t rtp_source_state(struct engine *e, packet *p, struct flow *f)
{
	int dir = p->dir & 1;
	if (!f->rtp_src_state[dir]) {
		int ok = sip_state_media_source_ok(e->sip, f->dialog_id, p->dir ^ f->media_party,
		                                   &p->src);
		f->rtp_src_state[dir] = ok == 0 ? 2 : 1;
	}
	return f->rtp_src_state[dir];
}

/* RTP rules: once per media packet of a flow tied to a call. */
static void detect_media(struct engine *e, packet *p, struct flow *f, int ssrc_changed)
{
	struct det_msg dm;
	uint8_t src_state = rtp_source_state(e, p, f);
	det_msg_of_packet(&dm, p, DM_RTP);
	dm.flow = f;
	dm.rtp_src_unexpected = src_state == 2;
	dm.rtp_ssrc_changed = (uint8_t)ssrc_changed;
	run_detect(e, &dm);
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
static void media_offload(struct engine *e, packet *p, struct flow *f, int ssrc_changed)
{
	if (f->bypassed) {
		e->verdict_bypass = 1;
		return;
	}
	if (!e->inline_mode || !e->cfg->ips.media_offload || !e->cfg->nfq.bypass_mark ||
	    e->verdict_drop || ssrc_changed || f->rtp_ssrc_changes[0] || f->rtp_ssrc_changes[1])
		return;
	if (f->pkts[0] + f->pkts[1] < e->cfg->ips.media_offload_after ||
	    rtp_source_state(e, p, f) != 1 || f->rtp_src_state[(p->dir & 1) ^ 1] == 2)
		return;
	if (e->n_byp == e->cap_byp) {
		uint32_t cap = e->cap_byp ? e->cap_byp * 2 : 64;
		struct flow **n = realloc(e->byp, cap * sizeof(*n));
		if (!n)
			return; /* not offloaded: inspected as before */
		e->byp = n;
		e->cap_byp = cap;
	}
	f->byp_idx = e->n_byp;
	e->byp[e->n_byp++] = f;
	f->bypassed = 1;
	e->verdict_bypass = 1;
	e->st.bypassed_flows++;
}

/* f leaves the table: out of the offloaded list. */
static void byp_unlink(struct engine *e, struct flow *f)
{
	uint32_t i = f->byp_idx;
	if (i >= e->n_byp || e->byp[i] != f)
		return;
	e->byp[i] = e->byp[--e->n_byp];
	e->byp[i]->byp_idx = i;
}

/*
 * Asks the kernel whether offloaded flow f is still forwarded (1, 0, -1
 * as engine_io.flow_alive) and keeps what it forwarded after the offload
 * (its connection's counts less the packets sipwire saw).
 */
static int byp_query(struct engine *e, struct flow *f)
{
	uint64_t pkts = 0, bytes = 0;
	int counted = 0, alive;
	if (!e->io.flow_alive)
		return -1;
	alive = e->io.flow_alive(e->io.ud, &f->key, &pkts, &bytes, &counted);
	if (alive == 1 && counted) {
		uint64_t seen_p = f->pkts[0] + f->pkts[1], seen_b = f->bytes[0] + f->bytes[1];
		f->byp_counted = 1;
		f->byp_pkts = pkts > seen_p ? pkts - seen_p : 0;
		f->byp_bytes = bytes > seen_b ? bytes - seen_b : 0;
	}
	return alive;
}

/* Ends offloaded flow f now: what the kernel counted, then forgotten. */
static void byp_end(struct engine *e, struct flow *f, enum flow_end_reason why)
{
	(void)byp_query(e, f);
	if (e->io.flow_forget)
		e->io.flow_forget(e->io.ud, &f->key);
	flow_remove(e->ft, f, why);
}

/*
 * A call ended (BYE answered, CANCEL, failure): its offloaded media flows
 * end with it at once, so that the next call reusing the same addresses
 * and ports (phones reuse their media ports) is inspected from its first
 * packet rather than riding on the old connection's bypass mark.
 */
static void byp_end_dialog(struct engine *e, uint64_t dialog_id)
{
	for (uint32_t i = e->n_byp; i-- > 0;)
		if (i < e->n_byp && e->byp[i]->dialog_id == dialog_id)
			byp_end(e, e->byp[i], FLOW_END_FORCED);
}

/*
 * Every 10 s: an offloaded flow whose call has ended is forgotten by the
 * kernel (so the same ports later are inspected again) and ends here; one
 * whose connection the kernel still forwards stays (and keeps its call
 * from idling out); one the kernel has dropped has ended.
 */
#define BYP_CHECK_USEC (10 * SW_USEC_PER_SEC)
static void byp_check(struct engine *e)
{
	if (!e->n_byp || e->now < e->next_byp_check)
		return;
	e->next_byp_check = e->now + BYP_CHECK_USEC;
	for (uint32_t i = e->n_byp; i-- > 0;) {
		struct flow *f = e->byp[i];
		int alive;
		if (!sip_state_dialog_live(e->sip, f->dialog_id)) {
			byp_end(e, f, FLOW_END_FORCED);
			continue;
		}
		alive = byp_query(e, f);
		if (alive == 1) {
			flow_touch(e->ft, f, e->now);
			sip_state_media_activity(e->sip, f->dialog_id, e->now);
		} else if (alive == 0) {
			flow_remove(e->ft, f, FLOW_END_TIMEOUT);
		}
	}
}

static void handle_media(struct engine *e, packet *p, struct flow *f)
{
	const uint8_t *b = p->payload;
	int ssrc_changed = 0;
	if (f->dialog_id)
		media_refresh(e, p, f);
	if (f->app == FLOW_APP_RTCP) {
		e->st.rtcp_pkts++;
	} else {
		/* RTP v2 header: V=2, at least 12 bytes. */
		if (p->payload_len < 12 || (b[0] >> 6) != 2) {
			e->st.rtp_not_rtp++;
		} else {
			uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 |
			                (uint32_t)b[10] << 8 | b[11];
			if (f->rtp_ssrc[p->dir] && f->rtp_ssrc[p->dir] != ssrc) {
				f->rtp_ssrc_changes[p->dir]++;
				e->st.rtp_ssrc_changes++;
				ssrc_changed = 1;
			}
			f->rtp_ssrc[p->dir] = ssrc;
		}
		e->st.rtp_pkts++;
		e->st.rtp_bytes += p->payload_len;
	}
	if (f->dialog_id) {
		/* party_dir: 0 = sent by the caller side, 1 = by the callee side. */
		sip_state_media_packet(e->sip, f->dialog_id, f->media_index,
		                       f->app == FLOW_APP_RTCP, p->dir ^ f->media_party,
		                       p->payload_len, p->ts);
		if (e->de)
			detect_media(e, p, f, ssrc_changed);
		media_offload(e, p, f, ssrc_changed);
	}
}

/*
 * Looks p's endpoints up in the media expectations: its destination first
 * (the receiver announced it), then its source. On a hit fills *mm and the
 * flow's media_party (XOR with a packet's dir gives its sending party).
 */
static int media_match(struct engine *e, packet *p, struct flow *f, struct media_match *mm)
{
	if (sip_state_media_lookup(e->sip, &p->dst, p->dport, p->proto, mm)) {
		/* The sender is the party opposite the announcer. */
		f->media_party = (uint8_t)(mm->party ^ 1) ^ (uint8_t)p->dir;
		return 1;
	}
	if (sip_state_media_lookup(e->sip, &p->src, p->sport, p->proto, mm)) {
		f->media_party = (uint8_t)mm->party ^ (uint8_t)p->dir;
		return 1;
	}
	return 0;
}

static int media_classify(struct engine *e, packet *p, struct flow *f)
{
	struct media_match mm;
	if (!media_match(e, p, f, &mm))
		return 0;
	f->app = mm.is_rtcp ? FLOW_APP_RTCP : FLOW_APP_RTP;
	f->dialog_id = mm.dialog_id;
	f->media_index = mm.media_index;
	f->media_epoch = sip_state_media_epoch(e->sip);
	f->app_probed = 1;
	if (mm.is_rtcp)
		e->st.rtcp_flows++;
	else
		e->st.rtp_flows++;
	return 1;
}

/*
 * Phones reuse their RTP ports call after call, often within the flow
 * timeout: when new expectations were announced since this flow was tied
 * to its dialog, look again, and follow the endpoint to the newer call.
 */
static void media_refresh(struct engine *e, packet *p, struct flow *f)
{
	struct media_match mm;
	uint32_t epoch = sip_state_media_epoch(e->sip);
	uint8_t party = f->media_party;
	if (f->media_epoch == epoch)
		return;
	f->media_epoch = epoch;
	f->rtp_src_state[0] = f->rtp_src_state[1] = 0; /* the call's SDP changed */
	if (media_match(e, p, f, &mm) && mm.dialog_id != f->dialog_id) {
		f->dialog_id = mm.dialog_id;
		f->media_index = mm.media_index;
		f->app = mm.is_rtcp ? FLOW_APP_RTCP : FLOW_APP_RTP;
	} else {
		f->media_party = party;
	}
}

static void handle_udp(struct engine *e, packet *p)
{
	struct flow *f = p->flow;

	if (f->app == FLOW_APP_NONE || f->app == FLOW_APP_UNKNOWN) {
		if (p->payload_len && sip_probe(p->payload, p->payload_len)) {
			f->app = FLOW_APP_SIP;
			f->app_probed = 1;
			e->st.sip_udp_flows++;
		} else if (!media_classify(e, p, f) && p->payload_len) {
			/* Undecided: keep probing later packets (media may be
			 * announced after its first packets, early media). */
			f->app = FLOW_APP_UNKNOWN;
		}
	}
	switch (f->app) {
	case FLOW_APP_SIP:
		handle_sip_datagram(e, p);
		break;
	case FLOW_APP_RTP:
	case FLOW_APP_RTCP:
		handle_media(e, p, f);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* TCP                                                                 */

static void on_sip_frame_msg(void *ud, struct flow *f, int dir, const char *msg, uint32_t len)
{
	struct engine *e = ud;
	struct sip_msg m;
	int r = sip_parse(msg, len, &m, e->hdrs, e->hdr_cap, SIP_PARSE_STREAM);
	sip_message_parsed(e, f, dir, &m, r, SIP_PARSE_STREAM);
}

static void on_sip_frame_anomaly(void *ud, struct flow *f, int dir, unsigned id)
{
	struct engine *e = ud;
	struct eve_hdr h;
	struct sip_msg_ctx c;
	msg_ctx_from(&c, e, f, dir, e->cur);
	hdr_from_ctx(&h, &c);
	emit_anomaly(e, &h, id, -1);
}

static void on_stream_data(void *ud, struct flow *f, int dir, const uint8_t *data, uint32_t len)
{
	struct engine *e = ud;
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
		e->st.sip_tcp_flows++;
	}
	if (f->app == FLOW_APP_SIP)
		sip_frame_data(e->framer, f, dir, data, len, on_sip_frame_msg, on_sip_frame_anomaly, e);
}

static void on_stream_gap(void *ud, struct flow *f, int dir, uint32_t gap_len)
{
	struct engine *e = ud;
	if (f->app == FLOW_APP_SIP)
		sip_frame_gap(e->framer, f, dir);
}

/* ------------------------------------------------------------------ */
/* Flows                                                               */

static void on_flow_end(void *ud, struct flow *f, enum flow_end_reason why)
{
	struct engine *e = ud;
	if (f->bypassed)
		byp_unlink(e, f);
	eve_write_flow(&e->eve, f, why, e->now);
	stream_tcp_flow_free(e->stream, f);
	sip_frame_flow_free(e->framer, f);
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

void engine_defer_start(struct engine *e, struct engine_defer *d)
{
	e->defer = d;
}

void engine_defer_stop(struct engine *e)
{
	e->defer = NULL;
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
/* State hooks                                                         */

static void on_txn_done(void *ud, const struct sip_txn_rec *t)
{
	struct engine *e = ud;
	if (!e->eve.enabled[EVE_T_SIP])
		return;
	if (e->defer &&
	    defer_put(e->defer, DEFER_SIP, t, sizeof(*t), txn_strs, SW_ARRAY_SIZE(txn_strs)) == 0)
		return;
	eve_write_sip(&e->eve, t);
}

static void on_dialog_done(void *ud, const struct sip_dialog_rec *d)
{
	struct engine *e = ud;
	if (!e->eve.enabled[EVE_T_CALL])
		return;
	if (e->defer &&
	    defer_put(e->defer, DEFER_CALL, d, sizeof(*d), dlg_strs, SW_ARRAY_SIZE(dlg_strs)) == 0)
		return;
	eve_write_call(&e->eve, d);
}

static void on_state_anomaly(void *ud, const struct sip_msg_ctx *ctx, unsigned id)
{
	struct engine *e = ud;
	struct eve_hdr h;
	if (e->in_msg && e->n_msg_anom < SW_ARRAY_SIZE(e->msg_anom))
		e->msg_anom[e->n_msg_anom++] = (uint16_t)id;
	if (ctx) {
		hdr_from_ctx(&h, ctx);
	} else {
		memset(&h, 0, sizeof(h));
		h.ts = e->now;
		h.tx_id = -1;
		h.app_proto = "sip";
	}
	emit_anomaly(e, &h, id, -1);
}

/* ------------------------------------------------------------------ */
/* Timers and stats                                                    */

static void write_stats(struct engine *e)
{
	struct eve_stats_src s = {
		.now = e->now,
		.uptime = e->started ? (e->now - e->first_ts) / SW_USEC_PER_SEC : 0,
		.st = &e->st,
		.flow = e->ft ? flow_table_stats(e->ft) : &e->flow_final,
		.defrag = defrag_get_stats(e->df),
		.stream = stream_get_stats(e->stream),
		.sip = e->sip ? sip_state_get_stats(e->sip) : &e->sip_final,
		.detect = e->de ? detect_engine_stats(e->de) : NULL,
		.rules_loaded = e->rules_loaded,
		.rules_inactive = e->rules_inactive,
		.pcre_limit_hits = e->de ? detect_payload_pcre_limit_hits(&e->dt) : 0,
		.recursion_limit_hits = e->de ? detect_payload_recursion_limit_hits(&e->dt) : 0,
		.eve = &e->eve,
		.shard = e->shard,
	};
	eve_write_stats(&e->eve, &s);
}

static void byp_check(struct engine *e);

/*
 * Timers. What expires in age order (flows, fragments, transactions,
 * dialogs: each list is walked from its oldest end and stops at the first
 * entry still young) runs every TIMER_FINE of packet time, so a second's
 * worth of expiries is spread over the second instead of written in one
 * burst that would stall the packets queued behind it (inline, a burst
 * longer than the socket buffer holds fails open). The rest (held
 * anomalies, offloaded flows, blocks, registrations) runs once a second.
 */
#define TIMER_FINE (SW_USEC_PER_SEC / 100)

static void run_fine_timers(struct engine *e)
{
	flow_timeout_sweep(e->ft, e->now);
	defrag_timeout(e->df, e->now);
	sip_state_tick(e->sip, e->now);
}

static void run_timers(struct engine *e)
{
	anomaly_flush_held(e, 0);
	byp_check(e);
	run_fine_timers(e);
	block_expire(e->blocks, e->now, on_unblock, e);
}

static void advance_time(struct engine *e, sw_time ts)
{
	uint64_t interval = e->cfg->outputs.stats.interval;

	if (!e->started) {
		e->started = 1;
		e->first_ts = e->now = ts;
		e->next_tick = ts + SW_USEC_PER_SEC;
		e->next_fine = ts + TIMER_FINE;
		e->next_stats = interval ? ts + interval * SW_USEC_PER_SEC : 0;
		return;
	}
	if (ts <= e->now)
		return;
	e->now = ts;
	if (e->now >= e->next_tick) {
		e->cur = NULL;
		run_timers(e);
		e->next_tick = e->now + SW_USEC_PER_SEC;
		e->next_fine = e->now + TIMER_FINE;
	} else if (e->now >= e->next_fine) {
		e->cur = NULL;
		run_fine_timers(e);
		e->next_fine = e->now + TIMER_FINE;
	}
	if (interval && e->now >= e->next_stats) {
		write_stats(e);
		while (e->next_stats <= e->now)
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
static void checksum_policy(struct engine *e, packet *p)
{
	int bad = (p->flags & (PKT_IPV4_CSUM_BAD | PKT_L4_CSUM_BAD)) != 0;
	unsigned i, k;

	if (e->csum_mode == CSUM_AUTO && !e->csum_off && e->csum_seen < CSUM_AUTO_SAMPLE &&
	    p->ip_v && !(p->flags & (PKT_L4_CSUM_UNKNOWN | PKT_INVALID))) {
		e->csum_seen++;
		e->csum_bad += (uint32_t)bad;
		if (e->csum_seen >= CSUM_AUTO_MIN && (uint64_t)e->csum_bad * 10 > e->csum_seen) {
			e->csum_off = 1;
			e->st.csum_validation_disabled = 1;
			log_info("%u of the first %u packets have bad checksums (offload?): checksum "
			         "validation off (decoder.checksum-validation: auto)",
			         e->csum_bad, e->csum_seen);
		}
	}
	if (e->csum_mode != CSUM_NO && !e->csum_off)
		return;
	p->flags &= ~(PKT_IPV4_CSUM_BAD | PKT_L4_CSUM_BAD);
	for (i = 0, k = 0; i < p->anom_n; i++)
		if (!is_csum_anomaly(p->anom[i]))
			p->anom[k++] = p->anom[i];
	p->anom_n = (uint8_t)k;
}

static void count_decoded(struct engine *e, const packet *p)
{
	switch (p->linktype) {
	case SW_DLT_EN10MB:
		e->st.ethernet++;
		break;
	case SW_DLT_LINUX_SLL:
		e->st.sll++;
		break;
	case SW_DLT_LINUX_SLL2:
		e->st.sll2++;
		break;
	case SW_DLT_NULL:
	case SW_DLT_LOOP:
		e->st.null++;
		break;
	default:
		e->st.raw++;
		break;
	}
	if (p->vlan_n == 1)
		e->st.vlan++;
	else if (p->vlan_n > 1)
		e->st.vlan_qinq++;
}

static void process_ip(struct engine *e, packet *p)
{
	struct flow *f;

	if (p->ip_v == 4)
		e->st.ipv4++;
	else if (p->ip_v == 6)
		e->st.ipv6++;
	if (p->flags & PKT_IPV4_CSUM_BAD)
		e->st.csum_bad_ip++;
	if (p->flags & PKT_L4_CSUM_BAD)
		e->st.csum_bad_l4++;

	switch (p->proto) {
	case IPPROTO_UDP:
		e->st.udp++;
		break;
	case IPPROTO_TCP:
		e->st.tcp++;
		break;
	case IPPROTO_ICMP:
		e->st.icmpv4++;
		break;
	case IPPROTO_ICMPV6:
		e->st.icmpv6++;
		break;
	default:
		e->st.other_proto++;
		break;
	}
	if (p->flags & PKT_INVALID)
		return;
	f = flow_handle_packet(e->ft, p);
	if (!f)
		return;
	/* A blocked source: counted in its flow, then dropped before any
	 * inspection (it never reaches the protected side, so it must not
	 * change the call state either). */
	if (block_lookup(e->blocks, &p->src, p->ts)) {
		e->verdict_drop = 1;
		/* One drop record per flow (a flood from a blocked source must not
		 * become a flood of records): the rest are counted, in stats and
		 * in the unblock record. */
		if (!f->block_logged) {
			f->block_logged = 1;
			verdict_log(e, p, "blocked");
		} else {
			e->st.drops++;
		}
		return;
	}
	if (p->proto == IPPROTO_UDP)
		handle_udp(e, p);
	else if (p->proto == IPPROTO_TCP)
		stream_tcp_packet(e->stream, p, on_stream_data, on_stream_gap, e);
	if (e->de)
		detect_packet(e, p);
	verdict_log(e, p, "rules");
}

/*
 * Memory caps that made the engine give up inspecting something: fragments
 * it could not hold for reassembly, TCP data it skipped. (A full flow
 * table is not one: the least recently seen flow makes room and the packet
 * is inspected; evictions are counted and reported as anomalies.)
 */
static uint64_t overload_mark(const struct engine *e)
{
	return defrag_get_stats(e->df)->memcap_hits + stream_get_stats(e->stream)->memcap_hits;
}

/*
 * Writes the overload anomaly at most once a second, with the packets
 * counted since the last one (a flood must not become a flood of records).
 */
static void overload_log(struct engine *e, unsigned id, const packet *p, uint64_t n)
{
	struct eve_hdr h;
	e->overload_unlogged += n;
	if (e->overload_logged && e->now < e->overload_logged + SW_USEC_PER_SEC)
		return;
	e->overload_logged = e->now;
	memset(&h, 0, sizeof(h));
	if (p)
		hdr_from_packet(&h, p);
	else {
		h.ts = e->now;
		h.tx_id = -1;
	}
	emit_anomaly_count(e, &h, id, e->overload_unlogged);
	e->overload_unlogged = 0;
}

static int engine_packet_inner(struct engine *e, packet *p);

int engine_packet(struct engine *e, packet *p)
{
	return engine_packet_prepared(e, p, NULL);
}

int engine_packet_prepared(struct engine *e, packet *p, const struct engine_prep *pp)
{
	uint64_t mark = e->inline_mode ? overload_mark(e) : 0;
	int v;
	e->prep = pp;
	v = engine_packet_inner(e, p);
	e->prep = NULL;
	if (e->inline_mode && overload_mark(e) != mark && !(v & ENGINE_DROP)) {
		/* Something was left uninspected for lack of memory. */
		if (e->overload_drop) {
			/* No drop record per packet (overload comes with floods):
			 * the anomaly, once a second, carries the count. */
			e->st.overload_drop++;
			e->st.drops++;
			v = ENGINE_DROP;
			overload_log(e, ANOM_IPS_FAIL_CLOSED, p, 1);
		} else {
			e->st.overload_pass++;
			overload_log(e, ANOM_IPS_FAIL_OPEN, p, 1);
		}
	}
	if (v == ENGINE_BYPASS)
		e->st.bypassed_pkts++;
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

void engine_tick(struct engine *e, sw_time now)
{
	if (e->started)
		advance_time(e, now);
}

void engine_capture_counts(struct engine *e, const struct engine_capture_counts *add)
{
	e->st.capture.packets += add->packets;
	e->st.capture.missed += add->missed;
	e->st.capture.enobufs += add->enobufs;
	e->st.capture.verdict_errors += add->verdict_errors;
	e->st.capture.gso += add->gso;
	e->st.capture.truncated += add->truncated;
	e->st.capture.kernel_queue_dropped += add->kernel_queue_dropped;
	e->st.capture.kernel_user_dropped += add->kernel_user_dropped;
	e->st.capture.engine_waits += add->engine_waits;
	e->st.capture.engine_wait_usec += add->engine_wait_usec;
	e->st.capture.engine_busy_usec += add->engine_busy_usec;
	if (add->kernel_queue_dropped)
		overload_log(e, ANOM_CAPTURE_LOST, NULL, add->kernel_queue_dropped);
	/* ENOBUFS only says that something was lost; the id gaps say how much. */
	if (add->missed)
		overload_log(e, e->overload_drop ? ANOM_CAPTURE_LOST : ANOM_CAPTURE_FAIL_OPEN, NULL,
		             add->missed);
}

static int engine_packet_inner(struct engine *e, packet *p)
{
	e->verdict_drop = 0;
	e->verdict_bypass = 0;
	e->st.pkts++;
	e->st.bytes += p->wirelen;
	if (p->wirelen > e->st.max_pkt_size)
		e->st.max_pkt_size = p->wirelen;
	advance_time(e, p->ts);
	e->cur = p;

	/* Decoded already when engine_prepare() prepared this packet. */
	if ((e->prep && e->prep->pkt == p ? e->prep->decode_rc : decode_packet(p)) != 0) {
		/* Non-IP frames (ARP, LLDP...) are not errors; broken ones are. */
		if (p->anom_n || (p->flags & PKT_INVALID))
			e->st.invalid++;
		else
			e->st.non_ip++;
		flush_packet_anomalies(e, p);
		e->cur = NULL;
		return 0;
	}
	count_decoded(e, p);
	checksum_policy(e, p);
	if (p->flags & PKT_IS_FRAGMENT) {
		packet whole;
		int r;
		if (p->ip_v == 4)
			e->st.ipv4_frags++;
		else
			e->st.ipv6_frags++;
		memset(&whole, 0, sizeof(whole));
		r = defrag_packet(e->df, p, &whole);
		flush_packet_anomalies(e, p);
		if (r == 1) {
			e->cur = &whole;
			checksum_policy(e, &whole);
			process_ip(e, &whole);
			flush_packet_anomalies(e, &whole);
		}
		e->cur = NULL;
		return e->verdict_drop ? ENGINE_DROP : e->verdict_bypass ? ENGINE_BYPASS : 0;
	}
	process_ip(e, p);
	flush_packet_anomalies(e, p);
	e->cur = NULL;
	return e->verdict_drop ? ENGINE_DROP : e->verdict_bypass ? ENGINE_BYPASS : 0;
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

struct engine *engine_create(const struct sw_config *cfg, const char *logdir, unsigned flags,
                             char *err, size_t cap)
{
	struct engine *e = calloc(1, sizeof(*e));
	char path[4096];

	if (!e) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	e->cfg = cfg;
	e->shard = -1;
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

	struct flow_cfg fc = {
		.max_flows = cfg->flow.max_flows,
		.hash_size = cfg->flow.hash_size,
		.timeout_udp = cfg->flow.timeouts.udp,
		.timeout_tcp = cfg->flow.timeouts.tcp,
		.timeout_tcp_closed = cfg->flow.timeouts.tcp_closed,
		.timeout_other = cfg->flow.timeouts.other,
	};
	e->ft = flow_table_create(&fc, on_flow_end, e);

	struct defrag_cfg dc = {
		.max_trackers = cfg->defrag.max_trackers,
		.max_bytes = (uint32_t)cfg->defrag.memcap,
		.timeout = cfg->defrag.timeout,
		.max_frags_per_tracker = cfg->defrag.max_frags,
	};
	e->df = defrag_create(&dc);

	struct stream_cfg sc = {
		.max_sessions = cfg->flow.max_flows,
		.max_ooo_bytes_per_dir = (uint32_t)cfg->stream.max_ooo_bytes,
		.memcap = cfg->stream.memcap,
		.max_ooo_segments = cfg->stream.max_ooo_segments,
	};
	e->stream = stream_create(&sc);

	struct sip_frame_cfg fr = {
		.max_msg = cfg->sip.max_message_size,
		.max_buffered_per_flow = (uint32_t)cfg->sip.max_buffered_per_flow,
	};
	e->framer = sip_frame_create(&fr);

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
	e->sip = sip_state_create(&ss, &hooks, e);

	e->hdr_cap = cfg->sip.max_headers;
	e->hdrs = calloc(e->hdr_cap, sizeof(*e->hdrs));
	e->blocks = block_table_create(cfg->detect.max_blocks);
	e->xbits = xbits_table_create(cfg->detect.max_xbits);

	if (!e->ft || !e->df || !e->stream || !e->framer || !e->sip || !e->hdrs || !e->blocks ||
	    !e->xbits) {
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

unsigned engine_rule_count(const struct engine *e)
{
	return e->rules_loaded;
}

int engine_set_rules(struct engine *e, struct detect_engine *de)
{
	if (!e->dt.payload && detect_thread_init(&e->dt) != 0)
		return -1;
	e->dt.xbits = e->xbits;
	detect_engine_free(e->de);
	e->de = detect_engine_ref(de);
	e->rules_loaded = detect_engine_rule_count(de);
	e->rules_inactive = detect_engine_inactive_count(de);
	return 0;
}

void engine_set_pcap_filename(struct engine *e, const char *name)
{
	e->eve.pcap_filename = name;
}

void engine_finish(struct engine *e)
{
	if (e->finishing)
		return;
	e->finishing = 1;
	e->cur = NULL;
	/* Order matters: open transactions and dialogs first (they may
	 * reference flows), then the flows, then the last stats. */
	/* The last stats show the tables as the capture left them. */
	e->sip_final = *sip_state_get_stats(e->sip);
	sip_state_finish(e->sip);
	sip_state_destroy(e->sip);
	e->sip = NULL;
	e->flow_final = *flow_table_stats(e->ft);
	flow_table_destroy(e->ft);
	e->ft = NULL;
	anomaly_flush_held(e, 1);
	write_stats(e);
	eve_flush(&e->eve);
}

void engine_destroy(struct engine *e)
{
	if (!e)
		return;
	sip_state_destroy(e->sip);
	flow_table_destroy(e->ft);
	defrag_destroy(e->df);
	stream_destroy(e->stream);
	sip_frame_destroy(e->framer);
	detect_engine_free(e->de);
	detect_thread_free(&e->dt);
	block_table_free(e->blocks);
	xbits_table_free(e->xbits);
	free(e->hdrs);
	free(e->byp);
	eve_close(&e->eve);
	free(e);
}

unsigned long long engine_write_errors(const struct engine *e)
{
	uint64_t rec[EVE_T__COUNT], werr;
	eve_counts(&e->eve, rec, &werr);
	return werr;
}
