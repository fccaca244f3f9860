/*
 * sip_state_int.h - what sip_state.c, sip_txn.c, sip_dialog.c, sip_reg.c and
 * media.c share: the entry structs, the tables and small list helpers. Not
 * an interface for anyone else (sip_state.h is).
 *
 * Memory: every transaction, dialog, registration and media expectation is
 * one malloc'd block sized to what it holds (its strings live right after
 * the struct), created when a request creates state (never per RTP packet),
 * and bounded by its table's cap. Tables are chained hashes with a fixed
 * bucket array sized at creation; timers are FIFO lists ordered by the time
 * an entry entered them, so a tick only touches what expires.
 */
#ifndef SW_SIP_STATE_INT_H
#define SW_SIP_STATE_INT_H

#include <pthread.h>
#include <stdlib.h>

#include "sip_state.h"

/* ------------------------------------------------------------------ */
/* Intrusive doubly linked list (FIFO timers and LRU order).           */

struct dl_node {
	struct dl_node *prev, *next;
};

struct dl_list {
	struct dl_node head; /* head.next = oldest, head.prev = newest */
	uint32_t n;
};

static inline void dl_init(struct dl_list *l)
{
	l->head.prev = l->head.next = &l->head;
	l->n = 0;
}

static inline int dl_linked(const struct dl_node *x)
{
	return x->next != NULL;
}

static inline void dl_push(struct dl_list *l, struct dl_node *x)
{
	x->prev = l->head.prev;
	x->next = &l->head;
	l->head.prev->next = x;
	l->head.prev = x;
	l->n++;
}

static inline void dl_del(struct dl_list *l, struct dl_node *x)
{
	if (!dl_linked(x))
		return;
	x->prev->next = x->next;
	x->next->prev = x->prev;
	x->prev = x->next = NULL;
	l->n--;
}

static inline struct dl_node *dl_first(const struct dl_list *l)
{
	return l->head.next == &l->head ? NULL : l->head.next;
}

#define dl_entry(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* ------------------------------------------------------------------ */
/* String blocks: strings copied out of a message, stored after a struct. */

#define STRS_CAP 4096

/* A string builder (one per state, reused); offset 0 is always "". */
struct strs {
	char buf[STRS_CAP];
	uint16_t len;
};

static inline void strs_init(struct strs *b)
{
	b->buf[0] = '\0';
	b->len = 1;
}

/* Appends s unfolded, at most max bytes; returns its offset (0 if empty or no room). */
uint16_t strs_put(struct strs *b, sw_str s, size_t max);
uint16_t strs_put_cstr(struct strs *b, const char *s, size_t max);

/* ------------------------------------------------------------------ */
/* Transactions (sip_txn.c).                                           */

enum txn_list { TL_NONE = 0, TL_WAIT, TL_INVITE_PROCEEDING, TL_COMPLETED };

struct txn {
	struct txn *hnext;
	struct dl_node tnode; /* on one of the timer lists */
	uint8_t tlist;        /* enum txn_list */
	uint64_t hash;
	uint64_t id, dialog_id;
	sw_time ts, resp_ts, timer_start;
	uint64_t pcap_cnt, flow_id;
	uint32_t flow_tx;
	sw_addr src, dst;
	uint16_t sport, dport;
	uint8_t proto, ip_v, flow_dir;
	uint8_t method_id, state;
	uint8_t req_sdp, resp_sdp, acked, contact_star, written;
	uint16_t code, first_prov, n_prov, retrans_req, retrans_resp;
	/* Registration outcome, filled by sip_reg.c on the final response. */
	const char *reg_action;
	int64_t reg_expires;
	uint16_t reg_contacts;
	/* Request strings (offsets into req[]). */
	uint16_t s_key, s_method, s_uri, s_version, s_rline, s_from, s_to, s_call_id, s_cseq,
	        s_ua, s_contact, s_via, s_from_tag, s_to_tag, s_auth_user, s_auth_realm, s_ctype;
	/* Response strings (offsets into resp, malloc'd at the first final response). */
	char *resp;
	uint16_t r_reason, r_rline, r_to, r_to_tag, r_server, r_realm, r_aor;
	char req[]; /* request string block */
};

/* ------------------------------------------------------------------ */
/* Dialogs (sip_dialog.c).                                             */

enum dlg_list { DL_NONE = 0, DL_EARLY, DL_CONFIRMED, DL_ENDED };

struct media_exp;

struct dialog {
	struct dialog *hnext;    /* by (call_id, caller tag) */
	struct dialog *idnext;   /* by id */
	struct dl_node tnode;    /* timer list */
	uint8_t tlist;           /* enum dlg_list */
	uint64_t hash, id, flow_id;
	sw_time start, answered, end_ts, last_activity, timer_start;
	sw_addr addr[2];         /* [0] caller (INVITE sender), [1] callee (2xx sender) */
	uint16_t port[2];
	uint8_t proto, ip_v, state;
	uint8_t reached_early, reached_confirmed, cancelled, challenged, ended_by;
	uint8_t counted;         /* counted in s->calls: by caller address and account */
	uint16_t final_code;
	uint32_t invite_cseq, reinvites;
	const char *end;
	struct media_exp *media;  /* expectations this dialog announced */
	struct sip_dialog_media m[SIP_DIALOG_MAX_MEDIA];
	uint8_t n_m;
	uint16_t s_call_id, s_from, s_to, s_from_tag, s_caller_ua, s_ruri;
	uint64_t acct_key;       /* c->calls key of the INVITE's Authorization username (0: none) */
	uint16_t shard;          /* its shard's index */
	char to_tag[64];         /* set by the first tagged response; forks get their own dialog */
	char callee_ua[96];
	char strs[];
};

/* ------------------------------------------------------------------ */
/* Registrations (sip_reg.c).                                          */

#define REG_MAX_BINDINGS 4
#define REG_CONTACT_MAX 96

struct reg_binding {
	char contact[REG_CONTACT_MAX];
	sw_addr src;
	uint16_t sport;
	sw_time expires_at, first_seen;
};

struct reg {
	struct reg *hnext;
	struct dl_node lru;
	uint64_t hash;
	struct reg_binding b[REG_MAX_BINDINGS];
	uint8_t n_b;
	char aor[];
};

/* ------------------------------------------------------------------ */
/* Media expectations (media.c).                                       */

struct media_exp {
	struct media_exp *hnext;
	struct media_exp *dnext; /* next of the same dialog */
	struct dl_node lru;
	struct dialog *dlg;
	sw_addr addr;
	uint16_t port;
	uint8_t proto, party, is_rtcp, index;
};

/* ------------------------------------------------------------------ */
/* The state.                                                          */

/*
 * Counts by 64-bit key (active calls per caller address / user / account,
 * registration bindings per source address). Entries at zero are freed, so
 * the map never holds more keys than there are dialogs and bindings.
 */
struct cmap_ent {
	struct cmap_ent *next;
	uint64_t key;
	uint32_t n;
};
struct cmap {
	struct cmap_ent **b;
	uint32_t mask;
};
int cmap_init(struct cmap *m, uint32_t buckets);
void cmap_free(struct cmap *m);
void cmap_add(struct cmap *m, uint64_t key, int delta);
uint32_t cmap_get(const struct cmap *m, uint64_t key);
/* Keys of the counts above. */
uint64_t ss_key_addr(char kind, const sw_addr *a);
uint64_t ss_key_str(char kind, sw_str s);

/*
 * Shards. The call state is split by Call-ID into shards (struct
 * sip_state each, the first one the handle the engine created): a shard
 * holds the transactions and dialogs of its Call-IDs and is used by one
 * thread at a time (its mutex, taken by the caller: sip_state.h). What
 * spans calls is in struct sip_common, shared by the shards under its own
 * mutex (taken inside, never held while taking a shard's): registrations
 * (by AOR, with the bindings per source address), media expectations (by
 * address and port: RTP finds its call whatever its Call-ID) and the
 * active-call counts per caller and account. Identifiers come from common
 * counters, so one shard or many number things the same way; the tables'
 * caps are over all shards (a shard makes room by evicting its own oldest).
 */
struct sip_common {
	pthread_mutex_t mu;
	struct reg **reg_h;
	uint32_t reg_mask;
	struct dl_list reg_lru;
	sw_time next_reg_sweep;

	struct media_exp **media_h;
	uint32_t media_mask;
	struct dl_list media_lru;
	uint32_t media_epoch;  /* written under mu, read without (atomic) */

	struct cmap calls;  /* active dialogs by caller address ('s') and account ('a') */
	struct cmap regsrc; /* registration bindings by source address */
	struct sip_state_stats st; /* the registrations' and media's counters */

	/* Atomic: taken and counted by shards side by side. */
	uint64_t next_txn_id, next_dialog_id;
	uint64_t txns_active, dialogs_active;

	struct sip_state **shards;
	unsigned n_shards;
};

struct sip_state {
	struct sip_state_cfg cfg;
	struct sip_common *c;
	pthread_mutex_t mu;
	uint16_t index;     /* in c->shards */
	/* What the current sip_state_message() call opened (for sip_state_dropped()). */
	struct txn *msg_txn;
	struct dialog *msg_dialog;
	const struct sip_state_hooks *hooks;
	void *ud;
	sw_time now;

	struct txn **txn_h;
	uint32_t txn_mask;
	struct dl_list txn_wait, txn_inv_proc, txn_done;

	struct dialog **dlg_h, **dlg_idh;
	uint32_t dlg_mask;
	struct dl_list dlg_early, dlg_confirmed, dlg_ended;

	struct sip_state_stats st; /* the transactions' and dialogs' counters */
	/* Strings of the message being turned into state are gathered here,
	 * then copied once into a block of their exact size. */
	struct strs scratch;
};

uint32_t ss_pow2(uint32_t n);
void ss_anomaly(struct sip_state *s, const struct sip_msg_ctx *ctx, unsigned id);
/* Room for one more transaction or dialog, the cap being over all shards
 * (sip_state.c); evict(x, ctx, open) frees one of shard x's, 0 if none. */
void ss_make_room(struct sip_state *s, const struct sip_msg_ctx *ctx, const uint64_t *active,
                  uint32_t cap, int (*evict)(struct sip_state *, const struct sip_msg_ctx *, int));
/* Hash of a list of strings (NUL-separated), case-sensitive. */
uint64_t ss_hash_strs(const sw_str *v, unsigned n);

/* sip_txn.c */
struct txn *txn_request(struct sip_state *s, const struct sip_msg *m, const struct sip_msg_ctx *ctx,
                        struct sip_msg_result *res);
struct txn *txn_response(struct sip_state *s, const struct sip_msg *m,
                         const struct sip_msg_ctx *ctx, struct sip_msg_result *res);
/* Writes t's record now (end reason) unless written; used for ACK and final responses. */
void txn_write(struct sip_state *s, struct txn *t, const char *end);
void txn_tick(struct sip_state *s);
void txn_free_all(struct sip_state *s);
const char *txn_str(const struct txn *t, uint16_t off);

/* sip_dialog.c */
void dialog_request(struct sip_state *s, const struct sip_msg *m, const struct sdp_session *sdp,
                    const struct sip_msg_ctx *ctx, struct txn *t, struct sip_msg_result *res);
void dialog_response(struct sip_state *s, const struct sip_msg *m,
                     const struct sdp_session *sdp, const struct sip_msg_ctx *ctx,
                     struct txn *t, struct sip_msg_result *res);
struct dialog *dialog_by_id(struct sip_state *s, uint64_t id);
/* The INVITE that opened d was dropped inline: the call ends, "dropped". */
void dialog_dropped(struct sip_state *s, struct dialog *d, sw_time ts);
void dialog_tick(struct sip_state *s);
void dialog_free_all(struct sip_state *s);

/* sip_reg.c */
void reg_response(struct sip_state *s, const struct sip_msg *m, const struct sip_msg_ctx *ctx,
                  struct txn *t, struct sip_msg_result *res);
/* Expires bindings at now (under c->mu). */
void reg_tick(struct sip_state *s, sw_time now);
void reg_free_all(struct sip_state *s);

/* media.c */
/* Returns 1 when a stream that had an address moves to a new one that is
 * not the party's signalling address. */
int media_from_sdp(struct sip_state *s, struct dialog *d, int party,
                    const struct sdp_session *sdp);
void media_free_dialog(struct sip_state *s, struct dialog *d);
struct media_exp *media_find(struct sip_state *s, const sw_addr *a, uint16_t port, uint8_t proto);
void media_free_all(struct sip_state *s);

#endif
