/*
 * detect_payload.h - what the payload keyword modules share among
 * themselves: the compiled form of content, pcre, byte_test, byte_jump,
 * byte_extract, isdataat and bsize, the helpers their setup functions use,
 * and the per-module match functions the payload engine (detect_payload.c)
 * calls. Nothing outside the detect_*.c payload modules includes this;
 * the engine's public interface is in detect.h.
 *
 * Every payload ctx starts with struct pm_hdr, so the engine and the setup
 * helpers can tell the keywords apart and find "the previous content" the
 * way Suricata does (the most recent one written in the rule, whichever
 * buffer list it went to).
 */
#ifndef SW_DETECT_PAYLOAD_H
#define SW_DETECT_PAYLOAD_H

#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "detect.h"

enum pm_type {
	PM_CONTENT = 1,
	PM_PCRE,
	PM_BYTE_TEST,
	PM_BYTE_JUMP,
	PM_BYTE_EXTRACT,
	PM_ISDATAAT,
	PM_BSIZE,
};

/* pm_hdr.next: a later keyword in the same list is relative to this one.
 * WITHIN: its position depends on where this one matched (within, pcre /R,
 * byte_* and isdataat relative), so when it fails the engine retries this
 * keyword at its next occurrence. DISTANCE: only a distance depends on it;
 * the first occurrence gives the widest window, a retry cannot help. */
#define PM_NEXT_DISTANCE 0x1u
#define PM_NEXT_WITHIN   0x2u
#define PM_NEXT_RELATIVE (PM_NEXT_DISTANCE | PM_NEXT_WITHIN)

struct pm_hdr {
	uint8_t type;  /* enum pm_type */
	uint8_t next;  /* PM_NEXT_* */
	uint32_t seq;  /* creation order across the rule's lists (load time only) */
};

/* A number a keyword takes: a literal, or a byte_extract variable of the
 * same list (var >= 0: index into the thread's variable array). */
struct pm_val {
	int64_t v;
	int8_t var;  /* -1: literal */
};

/* byte_extract variables per rule list. */
#define PM_MAX_VARS 16

/* ---------------------------------------------------------------- */
/* content */

#define CF_NOCASE     0x0001u
#define CF_NEGATED    0x0002u
#define CF_DEPTH      0x0004u
#define CF_OFFSET     0x0008u
#define CF_DISTANCE   0x0010u
#define CF_WITHIN     0x0020u
#define CF_STARTSWITH 0x0040u
#define CF_ENDSWITH   0x0080u
#define CF_FAST       0x0100u
#define CF_FAST_ONLY  0x0200u
#define CF_FAST_CHOP  0x0400u
#define CF_RAWBYTES   0x0800u

#define CONTENT_MAX_LEN 65535u

struct content_ctx {
	struct pm_hdr h;
	uint32_t flags;  /* CF_* */
	struct pm_val depth, offset, distance, within;
	uint16_t fp_off, fp_len;  /* fast_pattern:off,len (CF_FAST_CHOP) */
	uint32_t len;
	uint8_t *pat;    /* the bytes as written */
	uint8_t *lpat;   /* lowercased copy, when CF_NOCASE */
	uint16_t *skip;  /* Horspool shift table over lowercased bytes (CF_NOCASE) */
};

/* Finds pattern c in hay[0..n): offset of the first occurrence or -1.
 * Case-insensitive (ASCII) when c has CF_NOCASE. */
int64_t content_search(const struct content_ctx *c, const uint8_t *hay, uint32_t n);
/* 1 if hay[0..c->len) equals the pattern (honouring nocase). */
int content_equal_at(const struct content_ctx *c, const uint8_t *hay);

/* ---------------------------------------------------------------- */
/* pcre */

#define PF_NEGATED  0x01u
#define PF_RELATIVE 0x02u
#define PF_NOLIMIT  0x04u  /* O: no match limits */
#define PF_RAWBYTES 0x08u

struct pcre_ctx {
	struct pm_hdr h;
	uint32_t flags;   /* PF_* */
	pcre2_code *re;
	char http;        /* the HTTP buffer flag (U, H, ...) or 0 */
};

/*
 * Runs the regex over subj[0..n) starting at start. 1 and the match
 * [*ms, *me) on a match, 0 on no match, on a hit match limit (counted in
 * the thread scratch) or when the thread has no scratch.
 */
int pcre_exec_at(struct det_thread *t, const struct pcre_ctx *p, const uint8_t *subj, uint32_t n,
                 uint32_t start, uint32_t *ms, uint32_t *me);

/* ---------------------------------------------------------------- */
/* byte_test, byte_jump, byte_extract */

#define BF_RELATIVE 0x0001u
#define BF_LITTLE   0x0002u
#define BF_STRING   0x0004u
#define BF_ALIGN    0x0008u  /* byte_jump: round to 4; byte_extract: align N */
#define BF_BEGIN    0x0010u  /* from_beginning */
#define BF_END      0x0020u  /* from_end */
#define BF_NEGATED  0x0040u  /* byte_test operator prefixed with ! */
#define BF_BITMASK  0x0080u

enum bt_op { BT_LT = 1, BT_GT, BT_EQ, BT_LE, BT_GE, BT_AND, BT_OR };

struct byte_ctx {
	struct pm_hdr h;
	uint32_t flags;       /* BF_* */
	uint8_t base;         /* 8, 10, 16 with BF_STRING */
	uint8_t op;           /* enum bt_op (byte_test) */
	uint8_t align;        /* byte_extract: 2 or 4 */
	uint8_t shift;        /* trailing zero bits of bitmask */
	struct pm_val nbytes;
	struct pm_val offset;
	struct pm_val value;  /* byte_test */
	uint64_t bitmask;
	uint32_t multiplier;  /* 1 if unset */
	int32_t post_offset;  /* byte_jump */
	int8_t var;           /* byte_extract: the variable it sets */
	char *name;           /* byte_extract: its name */
};

/*
 * Reads the number a byte_* keyword describes at buf[pos..), nbytes wide:
 * 1 and *val, *used (bytes consumed, fewer than nbytes for a string) when
 * it is inside buf and well-formed, 0 otherwise.
 */
int byte_read(const struct byte_ctx *b, const uint8_t *buf, uint32_t len, int64_t pos,
              uint32_t nbytes, uint64_t *val, uint32_t *used);

/* ---------------------------------------------------------------- */
/* isdataat, bsize */

#define IF_RELATIVE 0x01u
#define IF_NEGATED  0x02u

struct isdataat_ctx {
	struct pm_hdr h;
	uint32_t flags;
	struct pm_val at;
};

enum bsize_mode { BS_EQ = 1, BS_NE, BS_LT, BS_LE, BS_GT, BS_GE, BS_RANGE };

struct bsize_ctx {
	struct pm_hdr h;
	uint8_t mode;
	uint64_t lo, hi;
};
int bsize_test(const struct bsize_ctx *b, uint64_t n);

/* ---------------------------------------------------------------- */
/* Keyword ids, set when each module registers (-1 before). */

extern int pm_kw_content, pm_kw_pcre, pm_kw_byte_test, pm_kw_byte_jump, pm_kw_byte_extract,
	pm_kw_isdataat, pm_kw_bsize;

/* The pm_hdr of sm, or NULL if sm is not one of the payload keywords. */
struct pm_hdr *pm_hdr_of(const struct sigmatch *sm);

/* A fresh creation sequence number (monotonic for the process). */
uint32_t pm_seq_next(void);

/* Where a sigmatch sits: list and index. */
struct pm_pos {
	struct sm_list *l;
	unsigned i;
	unsigned buf;  /* index in r->bufs */
};

/*
 * The most recently created payload sigmatch of r whose type bit
 * (1u << PM_*) is in types, across all of r's lists. 1 and *pos, or 0.
 */
int pm_last(struct rule *r, unsigned types, struct pm_pos *pos);
/* The last sigmatch before index i of l whose type bit is in types, or NULL. */
struct sigmatch *pm_prev_in_list(const struct sm_list *l, unsigned i, unsigned types);

/*
 * The list a new payload keyword goes to. With a sticky buffer selected,
 * that buffer's. Without one, a relative keyword follows the previous
 * content/pcre (types) into the list it went to (uricontent, pcre /U);
 * anything else goes to the packet payload. NULL with e set on error.
 */
struct sm_list *pm_target_list(struct rule *r, int relative, unsigned prev_types,
                               struct rule_err *e);
/* sm_list_append that frees ctx (with the keyword's free) when it fails. */
int pm_append(struct sm_list *l, int kw, unsigned flags, void *ctx, struct rule_err *e);

/* Marks the content/pcre before index i in l (if any) with next bits. */
void pm_mark_prev(struct sm_list *l, unsigned i, unsigned next);

/*
 * Parses a decimal (base 10) or, with any_base, C-style (0x.., 0..)
 * signed number filling s[0..n) in [min, max]. 0 and *out, or -1.
 */
int pm_parse_int(const char *s, uint32_t n, int any_base, int64_t min, int64_t max, int64_t *out);
/*
 * Parses a keyword operand: a number in [min, max] or the name of a
 * byte_extract variable defined earlier in list l (before index `before`).
 * 0 and *out, or -1 with e set (offsets relative to s, plus eoff).
 */
int pm_parse_val(const struct sm_list *l, unsigned before, const char *s, uint32_t n,
                 int any_base, int64_t min, int64_t max, struct pm_val *out, struct rule_err *e,
                 uint32_t eoff);
/* The byte_extract variable called name[0..n) defined in l before index
 * `before`: its index, or -1. */
int pm_find_var(const struct sm_list *l, unsigned before, const char *name, uint32_t n);

/* Splits s[0..n) at commas; fills up to max (offset, length) pairs of the
 * trimmed fields; returns the count, or -1 if there are more than max. */
struct pm_field {
	uint32_t off, len;
};
int pm_split(const char *s, uint32_t n, struct pm_field *f, int max);

/* Registration, one per module (called by detect_payload_register). */
void detect_content_register(void);
void detect_pcre_register(void);
void detect_byte_register(void);
void detect_isdataat_register(void);
void detect_bsize_register(void);

/* ---------------------------------------------------------------- */
/* Per-thread scratch (det_thread.payload). */

/* pcre match limits: Suricata's defaults (pcre.match-limit 3500,
 * pcre.match-limit-recursion 1500). */
#define PM_PCRE_MATCH_LIMIT 3500u
#define PM_PCRE_DEPTH_LIMIT 1500u
/* Suricata's detect.inspection-recursion-limit default. */
#define PM_RECURSION_LIMIT 3000u

struct pm_thread {
	pcre2_match_data *md;
	pcre2_match_context *mctx;         /* with the limits */
	pcre2_match_context *mctx_nolimit; /* pcre /O */
	pcre2_jit_stack *jit;
	uint64_t pcre_limit_hits;
	uint64_t recursion_limit_hits;
};

/*
 * Counters for detect.c / stats: pcre runs stopped by the match limits
 * (counted as no match) and buffers whose inspection hit
 * PM_RECURSION_LIMIT (no match). 0 for a thread without scratch.
 */
/* detect_payload_pcre_limit_hits(), detect_payload_recursion_limit_hits(): detect.h */

/* The pcre part of the scratch (detect_pcre.c). 0 or -1. */
int pcre_thread_init(struct pm_thread *pt);
void pcre_thread_free(struct pm_thread *pt);

#endif
