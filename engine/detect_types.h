/*
 * detect_types.h - the compiled form of rules, shared by the rule parser
 * (rule_parse.c), the keyword modules (detect_*.c) and the detection engine
 * (detect.c). Structs and enums only; prototypes live in detect.h.
 *
 * A rule is compiled once, at load or reload, into:
 *   - its header: action, protocol, address and port sets, direction;
 *   - meta data (sid, gid, rev, msg, classtype, priority, references,
 *     metadata) owned by the rule;
 *   - `match`: non-payload conditions (flow, dsize, call-aware keywords...),
 *     evaluated before any buffer is inspected;
 *   - `bufs`: one payload list per inspection buffer the rule names (the
 *     packet payload, sip.method, sdp.origin, frame:request.body...), each a
 *     sequence of payload sigmatches (content, pcre, byte_test, ...) matched
 *     in order by the payload engine (detect_payload.c) with the relative
 *     semantics of Suricata's content inspection;
 *   - `post`: what a matching rule does besides alerting (flowbits:set...).
 *
 * Every keyword lives in one module that registers a struct det_kw; the
 * generic parser looks keywords up by name and never names one itself.
 */
#ifndef SW_DETECT_TYPES_H
#define SW_DETECT_TYPES_H

#include <stdint.h>

#include "common.h"

/* Error of a keyword setup or a sub-parser: what is wrong and where, as a
 * byte offset inside the text the function was given. The rule parser
 * turns it into FILE:LINE:COLUMN. */
#define RULE_ERR_MAX 400
struct rule_err {
	uint32_t off;
	char msg[RULE_ERR_MAX];
};

enum rule_action {
	RA_NONE = 0,
	RA_ALERT,
	RA_DROP,   /* alert + drop the packet (inline) */
	RA_REJECT, /* alert + drop + answer the sender (SIP 403, ICMP, TCP RST) */
	RA_PASS,   /* stop inspecting this packet/flow, no alert */
};

/* Whom a reject rule answers (Suricata's reject/rejectsrc, rejectdst, rejectboth). */
#define REJECT_TO_SRC 1u
#define REJECT_TO_DST 2u

/* Rule protocol. Packet-level protocols match on every packet of that L4;
 * RP_SIP rules are evaluated once per parsed SIP message (any transport);
 * RP_RTP once per RTP/RTCP packet of a media flow. Protocols sipwire does
 * not inspect (http, tls, dns, ...) load but never match (RP_INACTIVE). */
enum rule_proto {
	RP_IP = 1,
	RP_TCP,
	RP_UDP,
	RP_ICMP,
	RP_SIP,
	RP_RTP,
	RP_INACTIVE,
};

/* An address set after variable expansion and negation: a sorted list of
 * inclusive ranges of one family each. `any` sets have any = 1. */
struct addr_range {
	sw_addr lo, hi;
};
struct addr_set {
	struct addr_range *r;
	uint32_t n;
	uint8_t any;
};

/* A port set: sorted, merged inclusive ranges. */
struct port_range {
	uint16_t lo, hi;
};
struct port_set {
	struct port_range *r;
	uint32_t n;
	uint8_t any;
};

/* One keyword instance in a rule. ctx is the keyword's compiled data,
 * owned by the rule and freed with the keyword's free(). */
struct sigmatch {
	uint16_t kw;    /* index in the keyword table (detect_kw_get) */
	uint16_t flags; /* SM_* below */
	void *ctx;
};
#define SM_NEGATED 0x0001u

struct sm_list {
	struct sigmatch *v;
	uint16_t n, cap;
};

/* Transforms applied to a buffer before its payload list (Suricata's
 * strip_whitespace, to_lowercase, ...). */
#define RULE_MAX_XFORM 4

struct rule_buf {
	uint16_t buf_id;        /* detect buffer registry id (DBUF_*) */
	uint8_t n_xform;
	uint16_t xform[RULE_MAX_XFORM]; /* keyword ids of KW_TRANSFORM keywords */
	uint8_t n_match;        /* KW_MATCH keywords testing this buffer (dataset) */
	struct sm_list pm;      /* payload sigmatches, in rule order */
};

struct rule_ref {
	char *type;  /* "url", "cve", ... */
	char *value;
};

/* Threshold / detection_filter (detect_threshold.c owns the meaning). */
enum thr_type { THR_NONE = 0, THR_LIMIT, THR_THRESHOLD, THR_BOTH, THR_DETECTION_FILTER };
enum thr_track { TRACK_SRC = 1, TRACK_DST, TRACK_RULE, TRACK_BOTH, TRACK_FLOW };
struct thr_spec {
	uint8_t type;   /* enum thr_type */
	uint8_t track;  /* enum thr_track */
	uint32_t count;
	uint32_t seconds;
};

#define RULE_MAX_BUFS 16

struct rule {
	/* Header. */
	uint8_t action;      /* enum rule_action */
	uint8_t reject_to;   /* RA_REJECT: REJECT_TO_SRC (reject, rejectsrc), _DST, or both */
	uint8_t proto;       /* enum rule_proto */
	uint8_t bidir;       /* "<>" */
	uint8_t noalert;
	uint8_t needs_sip;   /* set by setups whose condition exists only on SIP messages */
	struct addr_set src, dst;
	struct port_set sport, dport;

	/* Meta. */
	uint32_t gid, sid, rev;
	uint32_t priority;   /* 0 = from classtype (or 3) */
	char *msg;
	char *classtype;     /* short name, NULL if none */
	char *class_desc;    /* its description, from the classification file */
	struct rule_ref *refs;
	uint16_t n_refs;
	char **metadata;     /* "key value" strings, in rule order */
	uint16_t n_metadata;

	/* Conditions. */
	struct sm_list match;           /* KW_MATCH keywords */
	struct rule_buf bufs[RULE_MAX_BUFS];
	uint8_t n_bufs;
	struct sm_list post;            /* KW_POST keywords, run when the rule matched */
	struct thr_spec thr;            /* threshold: */
	struct thr_spec dfilter;        /* detection_filter: */

	/* Where it came from. */
	char *file;                     /* shared string owned by the rule set */
	uint32_t line;
	char *text;                     /* the rule as written (one line, joined) */

	/* Parser state, meaningless after load. */
	int cur_buf;                    /* index in bufs of the sticky buffer, -1 none */
	uint32_t index;                 /* position in the rule set (stable order) */
};

/* Keyword flags. */
#define KW_NOVALUE   0x0001u /* "nocase;" - a value is an error */
#define KW_VALUE     0x0002u /* "depth:4;" - a value is required */
#define KW_BUFFER    0x0004u /* sticky buffer: setup selects a buffer */
#define KW_PAYLOAD   0x0008u /* lives in a buffer's payload list */
#define KW_MODIFIER  0x0010u /* modifies the previous payload keyword */
#define KW_MATCH     0x0020u /* non-payload condition in rule->match */
#define KW_POST      0x0040u /* action after a match, in rule->post */
#define KW_TRANSFORM 0x0080u /* transforms the current sticky buffer */
#define KW_META      0x0100u /* msg, sid, ... (no runtime part) */
#define KW_NEGATABLE 0x0200u /* value may start with '!' (setup handles it) */
#define KW_NEEDS_SIP 0x0400u /* only meaningful on SIP messages */
#define KW_NEEDS_RTP 0x0800u /* only meaningful on RTP packets */
#define KW_LATE      0x1000u /* KW_MATCH evaluated after the buffers (counters) */

struct det_msg;
struct det_thread;

/*
 * A keyword. setup() parses the value (val/len, not NUL-terminated, as
 * written with leading/trailing blanks trimmed - quotes and escapes are
 * the keyword's business; NULL/0 when the option has no value; may be NULL
 * for pure sticky buffers) and adds what it needs to r. It returns 0, or -1 with e filled
 * (e->off relative to val). match() is for KW_MATCH and KW_POST keywords:
 * 1 when the condition holds for this message/packet, 0 otherwise.
 * free() releases a sigmatch ctx (NULL-safe).
 */
struct det_kw {
	const char *name;
	unsigned flags;
	int (*setup)(struct rule *r, const char *val, uint32_t len, struct rule_err *e);
	int (*match)(struct det_thread *t, const struct det_msg *m, const struct rule *r,
	             const struct sigmatch *sm);
	void (*free)(void *ctx);
	const char *help;     /* one line, for --list-keywords and docs */
	/* KW_BUFFER: the registered buffer the keyword selects when written
	 * without a value (the parser selects it before calling setup). */
	const char *buffer;
	/* KW_TRANSFORM: writes the transformed in[0..len) to out (room for
	 * len bytes) and returns the new length. */
	uint32_t (*transform)(const uint8_t *in, uint32_t len, uint8_t *out);
};

#endif
