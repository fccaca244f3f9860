/*
 * detect.h - the detection engine's interfaces: keyword and buffer
 * registries, helpers for keyword setup functions, what is inspected
 * (struct det_msg) and per-thread scratch (struct det_thread).
 *
 * Types of compiled rules: detect_types.h.
 */
#ifndef SW_DETECT_H
#define SW_DETECT_H

#include <stdarg.h>

#include "detect_types.h"
#include "packet.h"

struct flow;
struct sip_msg;
struct sdp_session;
struct sip_msg_result;
struct counter_table;
struct xbits_table;

/* ------------------------------------------------------------------ */
/* What one evaluation looks at. */

enum det_msg_kind {
	DM_PACKET = 1, /* an IP packet (ip/tcp/udp/icmp rules) */
	DM_SIP,        /* one parsed SIP message (sip rules) */
	DM_RTP,        /* one RTP/RTCP packet of a media flow (rtp rules) */
};

struct det_msg {
	uint8_t kind;              /* enum det_msg_kind */
	uint8_t to_server;         /* 1: same direction as the flow's first packet */
	uint8_t l4;                /* IPPROTO_* of the transport */
	/* Endpoints of this message/packet (a SIP message over TCP may be
	 * completed by a packet of either direction: these are the message's). */
	const sw_addr *src, *dst;
	uint16_t sport, dport;
	const packet *pkt;         /* the packet that completed the message */
	const struct flow *flow;   /* may be NULL */
	/* DM_SIP */
	const struct sip_msg *sip;
	const struct sdp_session *sdp;      /* parsed body, NULL if none */
	const struct sip_msg_result *state; /* call state after this message */
	const uint8_t *raw;        /* the whole SIP message as received */
	uint32_t raw_len;
	/* Anomalies raised on this message (SIP parser, SDP, call state) or,
	 * for DM_PACKET, on this packet (decoder, defrag, stream). */
	const uint16_t *anom;
	uint8_t n_anom;
	/* DM_RTP */
	uint8_t rtp_src_unexpected; /* sender not announced by its side of the call */
	uint8_t rtp_ssrc_changed;   /* SSRC differs from the previous packet's */
	sw_time ts;
};

/* Per-thread scratch: one per worker, never shared. */
/* What evaluations counted (per thread; the stats record adds them up). */
struct detect_stats {
	uint64_t evaluated;   /* rule evaluations (after grouping) */
	uint64_t matches;
	uint64_t alerts;
	uint64_t suppressed;  /* by threshold */
	uint64_t alerts_lost; /* over DET_MAX_ALERTS in one evaluation */
	uint64_t prefilter_skipped;
};

struct det_thread {
	struct detect_stats st;
	void *payload;             /* owned by detect_payload.c */
	uint8_t *xbuf;             /* transform output */
	uint32_t xbuf_cap;
	void *hs_scratch;          /* prefilter (Hyperscan) scratch */
	const void *hs_for;        /* the detect engine the scratch was sized for */
	uint8_t *cand;             /* prefilter: one byte per rule of a group, zero between calls */
	uint32_t *cand_list;       /* prefilter: the candidates of one evaluation */
	uint32_t cand_cap;
	struct counter_table *counters; /* call-aware counters (sip.rate, sip.distinct) */
	struct xbits_table *xbits;      /* per-host bits (owned by the engine: survive reloads) */
	/* Set by a matching rule's `block` keyword, taken by detect_eval. */
	const sw_addr *block_addr;
	uint32_t block_secs;
	/* Set by a counter keyword that matched (sip.rate, sip.distinct): the
	 * evidence an alert shows. Reset per rule by detect_eval. */
	const char *ev_kw, *ev_track, *ev_field;
	uint32_t ev_count, ev_seconds;
};

/* ------------------------------------------------------------------ */
/* Keyword registry. */

/* Registers kw (static storage); returns its id, or -1 if the table is full
 * or the name is taken. Called at start-up only. */
int detect_kw_register(const struct det_kw *kw);
/* Keyword by id (NULL if out of range) and id by name (-1 if unknown). */
const struct det_kw *detect_kw_get(unsigned id);
int detect_kw_find(const char *name, size_t len);
unsigned detect_kw_count(void);
/* Registers every built-in keyword once (idempotent). */
void detect_kw_setup(void);

/* ------------------------------------------------------------------ */
/* Buffer registry: named inspection buffers (sticky buffers). */

/*
 * Fills *out with instance idx of the buffer for m. Multi-instance
 * buffers (one per header occurrence, per m= line...) return 1 for each idx
 * that exists and 0 past the last; single buffers only have idx 0.
 */
typedef int (*det_buf_get_fn)(const struct det_msg *m, unsigned buf_id, uint32_t idx,
                              const uint8_t **p, uint32_t *len, struct det_thread *t);

/* Buffer flags: which kinds of det_msg can have it. */
#define DBUF_F_PACKET 0x1u
#define DBUF_F_SIP    0x2u
#define DBUF_F_RTP    0x4u
#define DBUF_F_INACTIVE 0x8u /* known name, never inspected (http.uri...) */

/* The packet payload buffer: what content/pcre look at without a sticky
 * buffer. Always id 0. */
#define DBUF_PKT 0

int detect_buf_register(const char *name, det_buf_get_fn get, unsigned flags);
int detect_buf_find(const char *name, size_t len);
const char *detect_buf_name(unsigned id);
unsigned detect_buf_flags(unsigned id);
det_buf_get_fn detect_buf_getter(unsigned id);

/* ------------------------------------------------------------------ */
/* Helpers for setup functions. */

/* Formats e->msg, sets e->off; always returns -1. */
int rule_errf(struct rule_err *e, uint32_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The payload list payload keywords append to: the current sticky buffer's,
 * or the packet payload's when the rule has selected none. NULL with e set
 * when the rule already names RULE_MAX_BUFS buffers. */
struct sm_list *rule_payload_list(struct rule *r, struct rule_err *e);
/* Makes buffer buf_id the rule's current sticky buffer (reusing its list if
 * the rule named it before). 0, or -1 with e set. */
int rule_select_buffer(struct rule *r, unsigned buf_id, struct rule_err *e);
/* The current sticky buffer entry, NULL if none. */
struct rule_buf *rule_cur_buf(struct rule *r);
/* The payload list of buffer buf_id, added to the rule if needed, without
 * changing the current sticky buffer (uricontent, pcre /U). NULL + e. */
struct sm_list *rule_buffer_list(struct rule *r, unsigned buf_id, struct rule_err *e);

/* Appends a sigmatch; 0, or -1 with e set (list too long). Takes ctx. */
int sm_list_append(struct sm_list *l, unsigned kw, unsigned flags, void *ctx,
                   struct rule_err *e);
/* The last sigmatch of l whose keyword is one of kws[0..n), NULL if none. */
struct sigmatch *sm_list_last_of(struct sm_list *l, const int *kws, unsigned n);
/* Frees the ctxs (through each keyword's free) and the array. */
void sm_list_free(struct sm_list *l);

/* ------------------------------------------------------------------ */
/* Payload engine (detect_payload.c). */

/*
 * Matches payload list l against buf[0..len) with Suricata's semantics:
 * contents in order, relative keywords (distance/within, pcre /R,
 * byte_* relative, isdataat relative) anchored at the end of the previous
 * match, backtracking to the next occurrence of an earlier content when a
 * later relative one fails. 1 match, 0 no match.
 */
int detect_payload_match(struct det_thread *t, const struct det_msg *m, const struct sm_list *l,
                         const uint8_t *buf, uint32_t len);
/* Per-thread scratch of the payload engine. */
int detect_payload_thread_init(struct det_thread *t);
/* Matches given up on a limit (counted as no match): PCRE2 match/depth
 * limits, and the content inspection recursion limit. */
uint64_t detect_payload_pcre_limit_hits(const struct det_thread *t);
uint64_t detect_payload_recursion_limit_hits(const struct det_thread *t);
void detect_payload_thread_free(struct det_thread *t);

/*
 * The pattern a prefilter should look for in list l: the content marked
 * fast_pattern, else the longest non-negated content (Suricata's choice).
 * 1 and the pattern (raw bytes, nocase flag) when there is one, 0 if the
 * list has no usable content (only negated contents, pcre, byte_*...).
 */
int detect_payload_fast_pattern(const struct sm_list *l, const uint8_t **pat, uint32_t *len,
                                int *nocase);

/* Registration functions, one per keyword module. */
void detect_payload_register(void);
void detect_meta_register(void);
void detect_flow_register(void);
void detect_sip_register(void);
void detect_sdp_register(void);
void detect_transform_register(void);
void detect_threshold_register(void);
void detect_anomaly_register(void);
/* The anomaly id an anomaly/app-layer-event/decode-event/stream-event
 * sigmatch requires, or -1 for any other keyword (prefilter index). */
int detect_anomaly_of(const struct sigmatch *sm);
void detect_call_register(void);
void detect_dataset_register(void);
void detect_bits_register(void);
void detect_rtp_register(void);

#endif
