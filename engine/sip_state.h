/*
 * sip_state.h - SIP call state: transactions (RFC 3261 §17), dialogs
 * (§12), registrations (§10) and media expectations (RFC 3264 offer/answer).
 *
 * The engine hands every parsed SIP message to sip_state_message() with
 * where it came from; the state module matches it to its transaction and
 * dialog, updates registrations and media expectations, and reports what
 * it learned in a sip_msg_result (for detection) and, when a transaction
 * or dialog ends, through the hooks as a self-contained record (every
 * string copied: records outlive packets).
 *
 * Modules: sip_txn.c (transactions), sip_dialog.c (dialogs), sip_reg.c
 * (registrations), media.c (media expectations), sip_state.c (the facade,
 * tables and timers). Every table is bounded by its cap; when full, the
 * least recently used entry is evicted: a transaction or dialog evicted
 * still gets its record (reason "evicted"), and the anomaly hook reports
 * the eviction. Time is packet time: sip_state_tick() runs timers.
 */
#ifndef SW_SIP_STATE_H
#define SW_SIP_STATE_H

#include <pthread.h>

#include "common.h"
#include "sdp_parse.h"
#include "sip_parse.h"

/* Where a message came from. Addresses are the message's sender (src) and receiver (dst). */
struct sip_msg_ctx {
	sw_time ts;
	uint64_t pcap_cnt;
	uint64_t flow_id;
	sw_addr src, dst;
	uint16_t sport, dport;
	uint8_t proto;    /* IPPROTO_UDP / IPPROTO_TCP */
	uint8_t ip_v;
	uint8_t flow_dir; /* 0 to server, 1 to client */
	uint32_t flow_tx; /* per-flow index of this message's transaction (EVE tx_id) */
};

enum sip_txn_state {
	TXN_NONE = 0,
	TXN_TRYING,     /* request seen, no response */
	TXN_PROCEEDING, /* provisional response seen */
	TXN_COMPLETED,  /* final response seen (record written), absorbing retransmissions */
	TXN_TERMINATED,
};

/* Dialog states (RFC 3261 §12); see sip_dialog.c for the transition table. */
enum sip_dialog_state {
	DLG_NONE = 0,
	DLG_INIT,       /* INVITE sent, no answer yet */
	DLG_EARLY,      /* provisional response with a To tag */
	DLG_CONFIRMED,  /* 2xx */
	DLG_TERMINATED, /* BYE, CANCEL, failure response or timeout */
};

/* What sip_state_message() learned about one message (for detection). */
struct sip_msg_result {
	uint64_t txn_id;        /* 0: none (e.g. a stray response) */
	uint64_t dialog_id;     /* 0: not part of a tracked dialog */
	uint8_t txn_state;      /* enum sip_txn_state after this message */
	uint8_t dialog_state;   /* enum sip_dialog_state after this message */
	uint8_t retransmission; /* same request/response seen before */
	uint8_t in_dialog;      /* request carried both tags and matched a dialog */
	uint8_t dialog_unknown; /* request carried both tags but no dialog matched */
	uint8_t sender_party;   /* in-dialog: 0 caller side, 1 callee side */
	uint8_t sender_addr_match; /* in-dialog: sender address is the one that party used before */
	uint8_t stray_response; /* response matching no transaction */
	uint8_t reg_changed_source; /* REGISTER 2xx bound an AOR already bound from another source */
	/* Final responses: how the request's credentials fared. */
	uint8_t auth_failed;    /* 401/407/403 to a request that carried credentials */
	uint8_t auth_challenge; /* 401/407 to a request without credentials */
	uint8_t auth_ok;        /* 2xx to a request that carried credentials */
	const char *auth_user;  /* the request's Authorization username (NUL-terminated,
	                           valid until the next sip_state call), NULL if none */
	/* Initial INVITEs: active calls (dialogs from INVITE to termination,
	 * this one included) from the sender's address and for the account in
	 * its Authorization (0 without one). */
	uint32_t calls_by_src, calls_by_account;
	/* Requests: the sender's address holds a registration binding. */
	uint8_t src_registered;
	/* In-dialog request: its SDP moved a stream of the sender's side to a
	 * new address that is not the sender's own. */
	uint8_t media_moved;
};

/* A completed transaction, as written in an EVE `sip` record. Strings are
 * NUL-terminated. (A new string field goes into engine.c's txn_strs too:
 * inline, records are copied field by field and written later.) */
struct sip_txn_rec {
	uint64_t txn_id, dialog_id;
	sw_time ts;                 /* request time */
	sw_time resp_ts;            /* final response time (0: none) */
	uint64_t pcap_cnt;          /* of the request */
	uint64_t flow_id;
	uint32_t flow_tx;
	sw_addr src, dst;           /* request sender / receiver */
	uint16_t sport, dport;
	uint8_t proto, ip_v;
	uint8_t flow_dir;           /* direction of the request in its flow */
	uint8_t method_id;
	uint16_t code;              /* final (or last provisional) status, 0: none */
	uint16_t first_provisional; /* first 1xx code, 0: none */
	uint16_t n_provisional;
	uint16_t retrans_req, retrans_resp;
	const char *end;            /* "completed", "timeout", "evicted", "shutdown" */
	const char *method, *uri, *version, *request_line;
	const char *reason, *response_line;
	const char *from, *to, *call_id, *cseq, *user_agent, *server, *contact, *via;
	const char *from_tag, *to_tag;
	const char *auth_user, *auth_realm, *challenge_realm;
	const char *content_type;
	uint8_t request_has_sdp, response_has_sdp;
	/* Registration outcome (REGISTER only). */
	const char *reg_aor;
	const char *reg_action;     /* "bind", "refresh", "unbind", "unbind_all", "challenged", "failed" */
	int64_t reg_expires;        /* -1 unknown */
	uint16_t reg_contacts;
};

#define SIP_DIALOG_MAX_MEDIA 2

struct sip_dialog_media {
	uint8_t index;              /* m= line index */
	char media[12];             /* audio, video, ... */
	sw_addr addr[2];            /* [0] announced by the caller, [1] by the callee */
	uint16_t port[2];
	uint32_t pkts[2], rtcp_pkts[2]; /* RTP / RTCP packets sent by caller [0], callee [1] */
	uint64_t bytes[2];          /* RTP payload bytes */
};

/* A finished dialog, as written in an EVE `call` record. (A new string
 * field goes into engine.c's dlg_strs too.) */
struct sip_dialog_rec {
	uint64_t dialog_id;
	uint64_t flow_id;           /* signalling flow of the INVITE */
	sw_time start, answered, end_ts;
	sw_addr caller_addr, callee_addr;
	uint16_t caller_port, callee_port;
	uint8_t proto, ip_v;
	uint8_t state;              /* final enum sip_dialog_state */
	uint8_t reached_early, reached_confirmed;
	uint16_t final_code;        /* INVITE final response */
	const char *end;            /* "bye", "cancel", "rejected", "timeout", "evicted", "shutdown" */
	const char *ended_by;       /* "caller", "callee", "" */
	const char *call_id, *from, *to, *from_tag, *to_tag;
	const char *caller_ua, *callee_ua, *ruri;
	uint32_t reinvites;
	struct sip_dialog_media media[SIP_DIALOG_MAX_MEDIA];
	uint8_t n_media;
};

struct sip_state_cfg {
	uint32_t max_txns, max_dialogs, max_regs, max_media;
	uint32_t txn_timeout;          /* seconds a request waits for a final response */
	uint32_t dialog_early_timeout; /* unanswered INVITE dialog */
	uint32_t dialog_idle_timeout;  /* confirmed dialog without signalling or media */
	uint32_t dialog_linger;        /* terminated dialog kept for retransmissions */
	uint32_t reg_max_expires;      /* cap on a binding's lifetime */
};

struct sip_state_hooks {
	void (*txn_done)(void *ud, const struct sip_txn_rec *t);
	void (*dialog_done)(void *ud, const struct sip_dialog_rec *d);
	/* A state anomaly (eviction, ...); ctx is NULL when raised by a timer. */
	void (*anomaly)(void *ud, const struct sip_msg_ctx *ctx, unsigned anom_id);
};

struct sip_state_stats {
	uint64_t txns, txns_active, txn_retrans_req, txn_retrans_resp, txn_timeouts, txn_evicted;
	uint64_t stray_responses, acks_2xx;
	uint64_t dialogs, dialogs_active, dialogs_confirmed, dialogs_evicted, dialog_timeouts;
	uint64_t in_dialog_unknown;
	uint64_t regs_active, reg_binds, reg_refreshes, reg_unbinds, reg_expired, reg_evicted;
	uint64_t media_active, media_added, media_evicted;
};

/* A media expectation that matched an RTP/RTCP endpoint. */
struct media_match {
	uint64_t dialog_id;
	uint16_t shard;      /* the dialog's shard (sip_state_shard()) */
	uint8_t party;       /* who announced this address: 0 caller, 1 callee */
	uint8_t is_rtcp;
	uint8_t media_index;
};

struct sip_state;

/* Allocates the state tables. hooks and ud must outlive it. NULL on ENOMEM. */
struct sip_state *sip_state_create(const struct sip_state_cfg *cfg,
                                   const struct sip_state_hooks *hooks, void *ud);

/*
 * Shards (sip_state_int.h): the same, split by Call-ID into n_shards (at
 * most SIP_STATE_MAX_SHARDS) that threads may use side by side. The handle
 * returned is shard 0 and stands for the whole state in create, finish,
 * destroy, tick, stats and the media lookup; a message, sip_state_dropped()
 * and the functions taking a dialog_id go to one shard
 * (sip_state_shard_for() its Call-ID, sip_state_shard() a media match's),
 * whose mutex the caller holds (with one shard, single-threaded callers
 * need not). What spans calls locks itself. The tables' caps are over all
 * shards (exceeded for a while by at most one entry per thread racing to
 * the last room); identifiers number things as one state would.
 */
#define SIP_STATE_MAX_SHARDS 256
struct sip_state *sip_state_create_sharded(const struct sip_state_cfg *cfg,
                                           const struct sip_state_hooks *hooks, void *ud,
                                           unsigned n_shards);
unsigned sip_state_shards(const struct sip_state *s);
struct sip_state *sip_state_shard(struct sip_state *s, unsigned i);
struct sip_state *sip_state_shard_for(struct sip_state *s, sw_str call_id);
unsigned sip_state_shard_index(const struct sip_state *s);
pthread_mutex_t *sip_state_mutex(struct sip_state *s);
/*
 * Ends every open transaction and dialog now (records with end "shutdown";
 * terminated dialogs still lingering get their own end reason). The
 * tables stay usable and their counters readable.
 */
void sip_state_finish(struct sip_state *s);
/* sip_state_finish(), then frees everything. NULL is a no-op. Both with
 * no other thread using the state (they take no shard's mutex). */
void sip_state_destroy(struct sip_state *s);

/*
 * Tracks one parsed message m (with its parsed SDP body, or NULL) sent as
 * ctx says. Fills *res. Never fails: what cannot be tracked is counted.
 */
void sip_state_message(struct sip_state *s, const struct sip_msg *m,
                       const struct sdp_session *sdp, const struct sip_msg_ctx *ctx,
                       struct sip_msg_result *res);

/*
 * The message of the last sip_state_message() call was dropped (inline: it
 * never reached its destination): the transaction it opened is written
 * with end "dropped" (its answer will never come), and the call an initial
 * INVITE opened ends, "dropped", no longer counted as a call in progress.
 * Nothing else the message did is undone. Call it before the next message.
 */
void sip_state_dropped(struct sip_state *s, sw_time ts);

/* Expires transactions, dialogs, registrations and media at packet time
 * now (taking each shard's mutex in turn: the caller holds none). */
void sip_state_tick(struct sip_state *s, sw_time now);

/* 1 and *mm if addr:port (proto) was announced in a live dialog's SDP. */
/*
 * Whether src may send the media of party (0 caller side, 1 callee side) in
 * dialog dialog_id: 1 if src is an address that party announced in its SDP
 * or signals from, 0 if not (RTP injected from elsewhere), -1 if the dialog
 * is gone.
 */
int sip_state_media_source_ok(struct sip_state *s, uint64_t dialog_id, int party,
                              const sw_addr *src);
int sip_state_media_lookup(struct sip_state *s, const sw_addr *addr, uint16_t port,
                           uint8_t proto, struct media_match *mm);

/* Changes whenever a media expectation is added: a flow tied earlier may belong to a newer call. */
uint32_t sip_state_media_epoch(const struct sip_state *s);

/*
 * Counts one RTP (is_rtcp 0) or RTCP packet of media stream media_index of
 * dialog_id sent by party (0 caller, 1 callee); media keeps a confirmed
 * dialog from idling out.
 */
void sip_state_media_packet(struct sip_state *s, uint64_t dialog_id, unsigned media_index,
                            int is_rtcp, int party, uint32_t len, sw_time ts);

/* 1 if dialog_id is tracked and not terminated. */
int sip_state_dialog_live(struct sip_state *s, uint64_t dialog_id);
/*
 * Media of dialog_id is known to flow at ts without sipwire seeing it (an
 * offloaded flow the kernel still forwards): the dialog's idle timer
 * restarts as it would with a media packet, without counting one.
 */
void sip_state_media_activity(struct sip_state *s, uint64_t dialog_id, sw_time ts);

/* The counters of all shards and the common part, added up (the caller
 * holds no shard). */
void sip_state_stats(struct sip_state *s, struct sip_state_stats *out);
/* The same into a per-thread buffer (single-threaded callers, tests). */
const struct sip_state_stats *sip_state_get_stats(struct sip_state *s);

const char *sip_txn_state_name(int st);
const char *sip_dialog_state_name(int st);

#endif
