/*
 * sip_parse.c - zero-copy SIP parser (sip_parse.h).
 *
 * One forward pass over the start line and header section; every header
 * becomes a (name, value) view; the headers sipwire needs are then decoded
 * by the sub-parsers below, which all work on views and never read past
 * them. Problems become anomalies with the offset where they were seen.
 * With SIP_PARSE_INDEX the pass stops after the index and the framing, and
 * sip_decode() does the decoding later (the same functions, the same
 * anomalies in the same order; see sip_decode()).
 *
 * The grammar is RFC 3261 §25 (ABNF); where the parser is more lenient than
 * the ABNF it says so next to the code. Sub-parsers return -1 on anything
 * the ABNF rejects so that the message-level decoder can name the header.
 */
#include "sip_parse.h"

#include "anomaly.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ------------------------------------------------------------------ */
/* Character classes (RFC 3261 §25.1)                                  */

enum {
	CT_TOKEN = 0x01, /* token */
	CT_WORD = 0x02,	 /* word (Call-ID) */
	CT_URIC = 0x04,	 /* any character a SIP URI may hold unescaped */
	CT_PARAM = 0x08, /* paramchar: param-unreserved / unreserved / "%" */
	CT_HNV = 0x10,	 /* hname/hvalue: hnv-unreserved / unreserved / "%" */
	CT_USER = 0x20,	 /* user: unreserved / "%" / user-unreserved (+ "#", see below) */
	CT_PASS = 0x40,	 /* password: unreserved / "%" / "&" "=" "+" "$" "," */
	CT_HOST = 0x80,	 /* hostname: alphanum "-" "." (+ "_", seen in the wild) */
};

#define CT_ALNUM (CT_TOKEN | CT_WORD | CT_URIC | CT_PARAM | CT_HNV | CT_USER | CT_PASS | CT_HOST)
#define CT_MARK	 (CT_TOKEN | CT_WORD | CT_URIC | CT_PARAM | CT_HNV | CT_USER | CT_PASS)

static const uint8_t ctab[256] = {
    ['0' ... '9'] = CT_ALNUM,
    ['A' ... 'Z'] = CT_ALNUM,
    ['a' ... 'z'] = CT_ALNUM,
    ['-'] = CT_MARK | CT_HOST,
    ['.'] = CT_MARK | CT_HOST,
    ['_'] = CT_MARK | CT_HOST,
    ['!'] = CT_MARK,
    ['~'] = CT_MARK,
    ['*'] = CT_MARK,
    ['\''] = CT_MARK,
    ['%'] = CT_MARK, /* escapes are checked separately */
    ['+'] = CT_MARK,
    ['('] = CT_WORD | CT_URIC | CT_PARAM | CT_HNV | CT_USER | CT_PASS,
    [')'] = CT_WORD | CT_URIC | CT_PARAM | CT_HNV | CT_USER | CT_PASS,
    ['`'] = CT_TOKEN | CT_WORD,
    [';'] = CT_URIC | CT_USER,
    ['/'] = CT_WORD | CT_URIC | CT_PARAM | CT_HNV | CT_USER,
    ['?'] = CT_WORD | CT_URIC | CT_HNV | CT_USER,
    [':'] = CT_WORD | CT_URIC | CT_PARAM | CT_HNV,
    ['@'] = CT_URIC,
    ['&'] = CT_URIC | CT_PARAM | CT_USER | CT_PASS,
    ['='] = CT_URIC | CT_USER | CT_PASS,
    ['$'] = CT_URIC | CT_PARAM | CT_HNV | CT_USER | CT_PASS,
    [','] = CT_URIC | CT_USER | CT_PASS,
    ['['] = CT_WORD | CT_URIC | CT_PARAM | CT_HNV,
    [']'] = CT_WORD | CT_URIC | CT_PARAM | CT_HNV,
    ['<'] = CT_WORD,
    ['>'] = CT_WORD,
    ['\\'] = CT_WORD,
    ['"'] = CT_WORD,
    ['{'] = CT_WORD,
    ['}'] = CT_WORD,
    /* Not in RFC 3261's user part, but dial strings ("*67#1234") put it
     * there unescaped all the time; rejecting it would only make noise. */
    ['#'] = CT_USER,
};

/* gen-value characters parse_gparams() accepts unquoted: token, and ':'
 * '[' ']' (host, IPv6reference). */
static const uint8_t gval_tab[256] = {
    ['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['-'] = 1, ['.'] = 1, ['!'] = 1,
    ['%'] = 1,	       ['*'] = 1,	  ['_'] = 1,	      ['+'] = 1, ['`'] = 1, ['\''] = 1,
    ['~'] = 1,	       [':'] = 1,	  ['['] = 1,	      [']'] = 1,
};

static inline int is_tok(unsigned char c)
{
	return ctab[c] & CT_TOKEN;
}

static inline int is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static inline int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static void anom(struct sip_msg *m, unsigned id, uint32_t off)
{
	for (unsigned i = 0; i < m->n_anom; i++)
		if (m->anom[i] == id)
			return;
	if (m->n_anom < SIP_MAX_ANOM) {
		m->anom[m->n_anom] = (uint16_t)id;
		m->anom_off[m->n_anom] = off;
		m->n_anom++;
	}
}

static uint32_t off_of(const struct sip_msg *m, sw_str s)
{
	return s.p && s.p >= m->base ? (uint32_t)(s.p - m->base) : 0;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

static const char *const method_names[SIP_M__COUNT] = {
    [SIP_M_UNKNOWN] = "UNKNOWN",   [SIP_M_INVITE] = "INVITE",	[SIP_M_ACK] = "ACK",
    [SIP_M_BYE] = "BYE",	   [SIP_M_CANCEL] = "CANCEL",	[SIP_M_OPTIONS] = "OPTIONS",
    [SIP_M_REGISTER] = "REGISTER", [SIP_M_PRACK] = "PRACK",	[SIP_M_SUBSCRIBE] = "SUBSCRIBE",
    [SIP_M_NOTIFY] = "NOTIFY",	   [SIP_M_PUBLISH] = "PUBLISH", [SIP_M_INFO] = "INFO",
    [SIP_M_REFER] = "REFER",	   [SIP_M_MESSAGE] = "MESSAGE", [SIP_M_UPDATE] = "UPDATE",
};

static inline int lit_eq(const char *p, uint32_t n, const char *lit, uint32_t ln)
{
	return n == ln && memcmp(p, lit, n) == 0;
}

int sip_method_id(sw_str s)
{
	/* Methods are case-sensitive (RFC 3261 §7.1); dispatch on length. */
#define M(lit, id)                                                                                 \
	do {                                                                                       \
		if (lit_eq(s.p, s.len, lit, sizeof(lit) - 1))                                      \
			return id;                                                                 \
	} while (0)
	switch (s.len) {
	case 3:
		M("ACK", SIP_M_ACK);
		M("BYE", SIP_M_BYE);
		break;
	case 4:
		M("INFO", SIP_M_INFO);
		break;
	case 5:
		M("PRACK", SIP_M_PRACK);
		M("REFER", SIP_M_REFER);
		break;
	case 6:
		M("INVITE", SIP_M_INVITE);
		M("CANCEL", SIP_M_CANCEL);
		M("NOTIFY", SIP_M_NOTIFY);
		M("UPDATE", SIP_M_UPDATE);
		break;
	case 7:
		M("OPTIONS", SIP_M_OPTIONS);
		M("PUBLISH", SIP_M_PUBLISH);
		M("MESSAGE", SIP_M_MESSAGE);
		break;
	case 8:
		M("REGISTER", SIP_M_REGISTER);
		break;
	case 9:
		M("SUBSCRIBE", SIP_M_SUBSCRIBE);
		break;
	default:
		break;
	}
#undef M
	return SIP_M_UNKNOWN;
}

const char *sip_method_name(int id)
{
	return id >= 0 && id < SIP_M__COUNT ? method_names[id] : "UNKNOWN";
}

struct hdr_name {
	const char *name;
	char compact;
};

static const struct hdr_name hdr_names[SIP_H__COUNT] = {
    [SIP_H_VIA] = {"Via", 'v'},
    [SIP_H_FROM] = {"From", 'f'},
    [SIP_H_TO] = {"To", 't'},
    [SIP_H_CALL_ID] = {"Call-ID", 'i'},
    [SIP_H_CSEQ] = {"CSeq", 0},
    [SIP_H_CONTACT] = {"Contact", 'm'},
    [SIP_H_MAX_FORWARDS] = {"Max-Forwards", 0},
    [SIP_H_EXPIRES] = {"Expires", 0},
    [SIP_H_CONTENT_TYPE] = {"Content-Type", 'c'},
    [SIP_H_CONTENT_LENGTH] = {"Content-Length", 'l'},
    [SIP_H_CONTENT_ENCODING] = {"Content-Encoding", 'e'},
    [SIP_H_USER_AGENT] = {"User-Agent", 0},
    [SIP_H_SERVER] = {"Server", 0},
    [SIP_H_AUTHORIZATION] = {"Authorization", 0},
    [SIP_H_PROXY_AUTHORIZATION] = {"Proxy-Authorization", 0},
    [SIP_H_WWW_AUTHENTICATE] = {"WWW-Authenticate", 0},
    [SIP_H_PROXY_AUTHENTICATE] = {"Proxy-Authenticate", 0},
    [SIP_H_ROUTE] = {"Route", 0},
    [SIP_H_RECORD_ROUTE] = {"Record-Route", 0},
    [SIP_H_REQUIRE] = {"Require", 0},
    [SIP_H_PROXY_REQUIRE] = {"Proxy-Require", 0},
    [SIP_H_SUPPORTED] = {"Supported", 'k'},
    [SIP_H_ALLOW] = {"Allow", 0},
    [SIP_H_EVENT] = {"Event", 'o'},
    [SIP_H_SUBJECT] = {"Subject", 's'},
    [SIP_H_REFER_TO] = {"Refer-To", 'r'},
    [SIP_H_REFERRED_BY] = {"Referred-By", 'b'},
    [SIP_H_ACCEPT] = {"Accept", 0},
    [SIP_H_ACCEPT_CONTACT] = {"Accept-Contact", 'a'},
    [SIP_H_SESSION_EXPIRES] = {"Session-Expires", 'x'},
    [SIP_H_DATE] = {"Date", 0},
    [SIP_H_MIN_EXPIRES] = {"Min-Expires", 0},
    [SIP_H_UNSUPPORTED] = {"Unsupported", 0},
    [SIP_H_WARNING] = {"Warning", 0},
    [SIP_H_P_ASSERTED_IDENTITY] = {"P-Asserted-Identity", 0},
};

/* Compact forms, indexed by lower-case letter - 'a'. */
static const uint8_t compact_ids[26] = {
    ['a' - 'a'] = SIP_H_ACCEPT_CONTACT,
    ['b' - 'a'] = SIP_H_REFERRED_BY,
    ['c' - 'a'] = SIP_H_CONTENT_TYPE,
    ['e' - 'a'] = SIP_H_CONTENT_ENCODING,
    ['f' - 'a'] = SIP_H_FROM,
    ['i' - 'a'] = SIP_H_CALL_ID,
    ['k' - 'a'] = SIP_H_SUPPORTED,
    ['l' - 'a'] = SIP_H_CONTENT_LENGTH,
    ['m' - 'a'] = SIP_H_CONTACT,
    ['o' - 'a'] = SIP_H_EVENT,
    ['r' - 'a'] = SIP_H_REFER_TO,
    ['s' - 'a'] = SIP_H_SUBJECT,
    ['t' - 'a'] = SIP_H_TO,
    ['v' - 'a'] = SIP_H_VIA,
    ['x' - 'a'] = SIP_H_SESSION_EXPIRES,
};

/*
 * Case-insensitive compare of a header name with a lower-case literal of the
 * same length. (c | 0x20) folds ASCII letters; header names are tokens, and
 * no other token character folds onto a letter or '-'.
 */
static inline int name_eq(const char *p, const char *lit, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		if ((p[k] | 0x20) != lit[k])
			return 0;
	return 1;
}

/*
 * Word-at-a-time form of name_eq() for the hot path: (x | 0x2020...) folds
 * each byte exactly as name_eq() does, so the result is the same. Loads are
 * within p[0..n) (overlapping loads for the tail), n >= 1.
 */
static inline uint64_t ld64(const char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

static inline uint32_t ld32(const char *p)
{
	uint32_t x;
	memcpy(&x, p, 4);
	return x;
}

static inline uint16_t ld16(const char *p)
{
	uint16_t x;
	memcpy(&x, p, 2);
	return x;
}

static inline int name_eq_w(const char *p, const char *lit, uint32_t n)
{
	if (n >= 8) {
		for (uint32_t k = 0; k + 8 < n; k += 8)
			if ((ld64(p + k) | 0x2020202020202020ULL) != ld64(lit + k))
				return 0;
		return (ld64(p + n - 8) | 0x2020202020202020ULL) == ld64(lit + n - 8);
	}
	if (n >= 4)
		return (ld32(p) | 0x20202020U) == ld32(lit) &&
		       (ld32(p + n - 4) | 0x20202020U) == ld32(lit + n - 4);
	if (n >= 2)
		return (uint16_t)(ld16(p) | 0x2020U) == ld16(lit) &&
		       (uint16_t)(ld16(p + n - 2) | 0x2020U) == ld16(lit + n - 2);
	return n == 0 || (p[0] | 0x20) == lit[0];
}

/* Known names by length and folded first byte: one candidate compare.
 * Inlined into the tokeniser's usual path; header_id_raw() elsewhere. */
static inline __attribute__((always_inline)) int header_id_inl(const char *p, uint32_t n)
{
#define H(ch, lit, id)                                                                             \
	case ch:                                                                                   \
		return name_eq_w(p, lit, sizeof(lit) - 1) ? id : SIP_H_OTHER
	if (n == 0)
		return SIP_H_OTHER;
	int c0 = p[0] | 0x20;
	switch (n) {
	case 1: {
		int c = lc((unsigned char)p[0]);
		return c >= 'a' && c <= 'z' ? compact_ids[c - 'a'] : SIP_H_OTHER;
	}
	case 2:
		switch (c0) { H('t', "to", SIP_H_TO); }
		break;
	case 3:
		switch (c0) { H('v', "via", SIP_H_VIA); }
		break;
	case 4:
		switch (c0) {
			H('f', "from", SIP_H_FROM);
			H('c', "cseq", SIP_H_CSEQ);
			H('d', "date", SIP_H_DATE);
		}
		break;
	case 5:
		switch (c0) {
			H('r', "route", SIP_H_ROUTE);
			H('a', "allow", SIP_H_ALLOW);
			H('e', "event", SIP_H_EVENT);
		}
		break;
	case 6:
		switch (c0) {
			H('s', "server", SIP_H_SERVER);
			H('a', "accept", SIP_H_ACCEPT);
		}
		break;
	case 7:
		switch (c0) {
		case 'c':
			if (name_eq_w(p, "call-id", 7))
				return SIP_H_CALL_ID;
			return name_eq_w(p, "contact", 7) ? SIP_H_CONTACT : SIP_H_OTHER;
			H('s', "subject", SIP_H_SUBJECT);
			H('e', "expires", SIP_H_EXPIRES);
			H('r', "require", SIP_H_REQUIRE);
			H('w', "warning", SIP_H_WARNING);
		}
		break;
	case 8:
		switch (c0) { H('r', "refer-to", SIP_H_REFER_TO); }
		break;
	case 9:
		switch (c0) { H('s', "supported", SIP_H_SUPPORTED); }
		break;
	case 10:
		switch (c0) { H('u', "user-agent", SIP_H_USER_AGENT); }
		break;
	case 11:
		switch (c0) {
			H('m', "min-expires", SIP_H_MIN_EXPIRES);
			H('r', "referred-by", SIP_H_REFERRED_BY);
			H('u', "unsupported", SIP_H_UNSUPPORTED);
		}
		break;
	case 12:
		switch (c0) {
			H('m', "max-forwards", SIP_H_MAX_FORWARDS);
			H('c', "content-type", SIP_H_CONTENT_TYPE);
			H('r', "record-route", SIP_H_RECORD_ROUTE);
		}
		break;
	case 13:
		switch (c0) {
			H('a', "authorization", SIP_H_AUTHORIZATION);
			H('p', "proxy-require", SIP_H_PROXY_REQUIRE);
		}
		break;
	case 14:
		switch (c0) {
			H('c', "content-length", SIP_H_CONTENT_LENGTH);
			H('a', "accept-contact", SIP_H_ACCEPT_CONTACT);
		}
		break;
	case 15:
		switch (c0) { H('s', "session-expires", SIP_H_SESSION_EXPIRES); }
		break;
	case 16:
		switch (c0) {
			H('w', "www-authenticate", SIP_H_WWW_AUTHENTICATE);
			H('c', "content-encoding", SIP_H_CONTENT_ENCODING);
		}
		break;
	case 18:
		switch (c0) { H('p', "proxy-authenticate", SIP_H_PROXY_AUTHENTICATE); }
		break;
	case 19:
		switch (c0) {
		case 'p':
			if (name_eq_w(p, "proxy-authorization", 19))
				return SIP_H_PROXY_AUTHORIZATION;
			return name_eq_w(p, "p-asserted-identity", 19) ? SIP_H_P_ASSERTED_IDENTITY
								       : SIP_H_OTHER;
		}
		break;
	default:
		break;
	}
#undef H
	return SIP_H_OTHER;
}

static int header_id_raw(const char *p, uint32_t n)
{
	return header_id_inl(p, n);
}

int sip_header_id(sw_str name)
{
	/* name_eq() relies on token characters; anything else is OTHER. */
	for (uint32_t k = 0; k < name.len; k++)
		if (!is_tok((unsigned char)name.p[k]))
			return SIP_H_OTHER;
	return header_id_raw(name.p, name.len);
}

const char *sip_header_name(int id)
{
	return id > 0 && id < SIP_H__COUNT ? hdr_names[id].name : NULL;
}

const struct sip_header *sip_find_header(const struct sip_msg *m, int id,
					 const struct sip_header *after)
{
	uint16_t i = after ? (uint16_t)(after - m->hdrs + 1) : 0;
	for (; i < m->n_hdrs; i++)
		if (m->hdrs[i].id == id)
			return &m->hdrs[i];
	return NULL;
}

const struct sip_header *sip_find_header_name(const struct sip_msg *m, sw_str name,
					      const struct sip_header *after)
{
	int id = sip_header_id(name);
	uint16_t i;
	if (id != SIP_H_OTHER)
		return sip_find_header(m, id, after);
	i = after ? (uint16_t)(after - m->hdrs + 1) : 0;
	for (; i < m->n_hdrs; i++)
		if (m->hdrs[i].id == SIP_H_OTHER && sw_str_eq_str_ci(m->hdrs[i].name, name))
			return &m->hdrs[i];
	return NULL;
}

size_t sip_unfold(sw_str s, char *out, size_t cap)
{
	size_t o = 0;
	uint32_t i = 0;
	if (cap == 0)
		return 0;
	while (i < s.len && o + 1 < cap) {
		/* Copy up to the next line break (or what fits) in one go. */
		uint32_t end = s.len - i > cap - 1 - o ? i + (uint32_t)(cap - 1 - o) : s.len;
		const char *cr = memchr(s.p + i, '\r', end - i);
		const char *lf = memchr(s.p + i, '\n', end - i);
		uint32_t stop = end;
		if (cr && (uint32_t)(cr - s.p) < stop)
			stop = (uint32_t)(cr - s.p);
		if (lf && (uint32_t)(lf - s.p) < stop)
			stop = (uint32_t)(lf - s.p);
		memcpy(out + o, s.p + i, stop - i);
		o += stop - i;
		i = stop;
		if (i >= s.len || o + 1 >= cap)
			break;
		/* A fold: collapse it and the surrounding LWS to one SP. */
		while (o > 0 && is_ws(out[o - 1]))
			o--;
		while (i < s.len && (s.p[i] == '\r' || s.p[i] == '\n' || is_ws(s.p[i])))
			i++;
		out[o++] = ' ';
	}
	out[o] = '\0';
	return o;
}

/* ------------------------------------------------------------------ */
/* Small scanners                                                      */

static inline sw_str sub(sw_str s, uint32_t a, uint32_t b)
{
	sw_str r = {s.p + a, b - a};
	return r;
}

/* Skips LWS including folds. */
static uint32_t skip_lws(sw_str s, uint32_t i)
{
	while (i < s.len && (is_ws(s.p[i]) || s.p[i] == '\r' || s.p[i] == '\n'))
		i++;
	return i;
}

static inline int is_lws_c(char c)
{
	/* c == ' ' || c == '\t' || c == '\r' || c == '\n', as one bit test. */
	unsigned char u = (unsigned char)c;
	return u <= ' ' && ((1ULL << ' ' | 1ULL << '\t' | 1ULL << '\r' | 1ULL << '\n') >> u) & 1;
}

/* sw_str_trim(), inline: it runs on every header value. */
static inline sw_str trim(sw_str s)
{
	while (s.len && is_lws_c(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_lws_c(s.p[s.len - 1]))
		s.len--;
	return s;
}

static sw_str trim_right(sw_str s)
{
	while (s.len && (is_ws(s.p[s.len - 1]) || s.p[s.len - 1] == '\r' || s.p[s.len - 1] == '\n'))
		s.len--;
	return s;
}

/*
 * Index of the closing quote of the quoted-string starting at s.p[i] == '"',
 * or s.len if unterminated. Lenient: any byte may appear inside (callers
 * that must validate use quoted_check()).
 */
static uint32_t quoted_end(sw_str s, uint32_t i)
{
	for (i++; i < s.len; i++) {
		if (s.p[i] == '\\') {
			i++;
			continue;
		}
		if (s.p[i] == '"')
			return i;
	}
	return s.len;
}

/*
 * Strict quoted-string (RFC 3261 §25.1): qdtext = LWS / %x21 / %x23-5B /
 * %x5D-7E / UTF8-NONASCII, quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F).
 * Returns the index of the closing quote, or -1.
 */
static int64_t quoted_check(sw_str s, uint32_t i)
{
	for (i++; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == '"')
			return i;
		if (c == '\\') {
			if (i + 1 >= s.len)
				return -1;
			c = (unsigned char)s.p[++i];
			if (c == '\r' || c == '\n' || c >= 0x80)
				return -1;
			continue;
		}
		if (c == '\r' || c == '\n') {
			/* Only as a fold: CRLF followed by WSP. */
			if (c == '\r' && (i + 1 >= s.len || s.p[i + 1] != '\n'))
				return -1;
			if (c == '\r')
				i++;
			if (i + 1 >= s.len || !is_ws(s.p[i + 1]))
				return -1;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
	}
	return -1;
}

/*
 * Finds the next c at top level (outside quotes and <>), from i. Returns
 * its index or s.len. *bad is set on an unterminated quote or '<'.
 */
static uint32_t find_top(sw_str s, uint32_t i, char c, int *bad)
{
	int angle = 0;
	for (; i < s.len; i++) {
		char ch = s.p[i];
		if (ch == '"') {
			i = quoted_end(s, i);
			if (i == s.len) {
				*bad = 1;
				return s.len;
			}
			continue;
		}
		if (ch == '<')
			angle = 1;
		else if (ch == '>')
			angle = 0;
		else if (ch == c && !angle)
			return i;
	}
	if (angle)
		*bad = 1;
	return s.len;
}

/* 1 if every byte of p[0..n) is in class cls or a valid %HEXHEX escape. */
static int chars_ok(const char *p, uint32_t n, uint8_t cls)
{
	for (uint32_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)p[k];
		if (!(ctab[c] & cls))
			return 0;
		if (c == '%') {
			if (k + 2 >= n || !is_hex(p[k + 1]) || !is_hex(p[k + 2]))
				return 0;
			k += 2;
		}
	}
	return 1;
}

/* Number parsing with an upper bound; leading zeros are fine (RFC 4475 wsinv). */
static int parse_num(sw_str s, uint64_t max, uint64_t *out)
{
	return sw_str_to_u64(trim(s), max, out);
}

/* ------------------------------------------------------------------ */
/* Hosts                                                               */

enum { HK_DIGIT = 1, HK_ALPHA = 2, HK_DASH = 4, HK_DOT = 8 };

static const uint8_t hk_tab[256] = {
    ['0' ... '9'] = HK_DIGIT, ['A' ... 'Z'] = HK_ALPHA, ['a' ... 'z'] = HK_ALPHA,
    ['_'] = HK_ALPHA,	      ['-'] = HK_DASH,		['.'] = HK_DOT,
};

/* IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT: 4 or 0. */
static int ipv4_kind(sw_str h)
{
	uint32_t i = 0, val, nd;
	for (int oct = 0; oct < 4; oct++) {
		if (oct && (i >= h.len || h.p[i++] != '.'))
			return 0;
		val = 0;
		nd = 0;
		while (i < h.len && is_digit(h.p[i]) && nd < 4) {
			val = val * 10 + (uint32_t)(h.p[i++] - '0');
			nd++;
		}
		if (nd == 0 || nd > 3 || val > 255)
			return 0;
	}
	return i == h.len ? 4 : 0;
}

/*
 * Scans the run of hostname characters (alphanum "-" "." "_") at p[i..n)
 * and classifies it in the same pass: returns the index where the run ends
 * and sets *kind to host_kind() of that run (1 hostname, 4 IPv4address,
 * 0 invalid or empty).
 *
 * hostname = *( domainlabel "." ) toplabel [ "." ]; labels of alphanum and
 * inner '-' (and '_', accepted). The pass also tells whether the run is all
 * digits and dots, i.e. meant as an IPv4address.
 */
static uint32_t scan_host(const char *p, uint32_t i, uint32_t n, int *kind)
{
	uint32_t a = i, seen = 0;
	uint8_t t, pt = HK_DOT; /* as if after a '.': no leading '.' or '-' */
	int ok = 1;
	for (;;) {
		/* The run of alphanumerics (HK_DIGIT or HK_ALPHA): t - 1 <= 1. */
		t = 0;
		while (i < n) {
			t = hk_tab[(unsigned char)p[i]];
			if (__builtin_expect((uint8_t)(t - 1) > 1, 0))
				break;
			seen |= t;
			i++;
		}
		if (i >= n || !t)
			break;
		/* '.' or '-': no empty label, no '-' at either end of one. */
		if (i > a)
			pt = hk_tab[(unsigned char)p[i - 1]];
		if (t == HK_DOT ? (pt & (HK_DOT | HK_DASH)) != 0 : pt == HK_DOT)
			ok = 0;
		seen |= t;
		i++;
	}
	if (i == a || !ok || hk_tab[(unsigned char)p[i - 1]] == HK_DASH)
		*kind = 0;
	else if (seen & (HK_ALPHA | HK_DASH))
		*kind = 1;
	else
		*kind = ipv4_kind((sw_str){p + a, i - a});
	return i;
}

/* 4 IPv4address, 6 IPv6reference, 1 hostname, 0 invalid. */
static int host_kind(sw_str h)
{
	int k;
	if (h.len == 0)
		return 0;
	if (h.p[0] == '[') {
		sw_addr a;
		if (h.len < 4 || h.p[h.len - 1] != ']' || sw_addr_parse(h, &a) != 0 ||
		    a.family != 6)
			return 0;
		return 6;
	}
	return scan_host(h.p, 0, h.len, &k) == h.len ? k : 0;
}

/* ------------------------------------------------------------------ */
/* Parameters                                                          */

/* A parameter the caller wants: its value (or empty) and presence. */
struct pwant {
	const char *name; /* lower case */
	uint32_t len;
	sw_str *val;
	uint8_t *present;
};

#define PW(lit, val, present)                                                                      \
	{                                                                                          \
		lit, sizeof(lit) - 1, val, present                                                 \
	}

static int hexval(char c)
{
	return is_digit(c) ? c - '0' : lc((unsigned char)c) - 'a' + 10;
}

/* Case-insensitive compare of a URI component with %XX escapes against a
 * lower-case literal: ";%6C%72" is the lr parameter (RFC 4475 esc01). The
 * escapes were validated by chars_ok(). */
static int esc_eq_ci(sw_str s, const char *lit)
{
	uint32_t i = 0;
	for (; *lit; lit++) {
		int c;
		if (i >= s.len)
			return 0;
		if (s.p[i] == '%' && i + 2 < s.len) {
			c = hexval(s.p[i + 1]) * 16 + hexval(s.p[i + 2]);
			i += 3;
		} else {
			c = (unsigned char)s.p[i++];
		}
		if (lc(c) != *lit)
			return 0;
	}
	return i == s.len;
}

static void want_match(sw_str name, sw_str val, const struct pwant *w, unsigned nw, int esc)
{
	for (unsigned k = 0; k < nw; k++) {
		if (esc ? esc_eq_ci(name, w[k].name)
			: name.len == w[k].len && name_eq(name.p, w[k].name, name.len)) {
			if (w[k].present && *w[k].present)
				return; /* first occurrence wins */
			if (w[k].val)
				*w[k].val = val;
			if (w[k].present)
				*w[k].present = 1;
			return;
		}
	}
}

/*
 * Header parameters ";" already stripped: generic-param *( SEMI generic-param ),
 * generic-param = token [ EQUAL gen-value ], gen-value = token / host /
 * quoted-string, with LWS allowed around ";" and "=". Quoted values are
 * returned without their quotes. Returns 0, or -1 if malformed.
 */
static int parse_gparams(sw_str p, const struct pwant *w, unsigned nw)
{
	uint32_t i = skip_lws(p, 0);
	if (i >= p.len)
		return -1; /* ";" with nothing after it */
	for (;;) {
		uint32_t a = i;
		while (i < p.len && is_tok((unsigned char)p.p[i]))
			i++;
		if (i == a)
			return -1;
		sw_str name = sub(p, a, i), val = {p.p + i, 0};
		i = skip_lws(p, i);
		if (i < p.len && p.p[i] == '=') {
			i = skip_lws(p, i + 1);
			if (i < p.len && p.p[i] == '"') {
				int64_t q = quoted_check(p, i);
				if (q < 0)
					return -1;
				val = sub(p, i + 1, (uint32_t)q);
				i = (uint32_t)q + 1;
			} else {
				a = i;
				while (i < p.len && gval_tab[(unsigned char)p.p[i]])
					i++;
				if (i == a)
					return -1;
				val = sub(p, a, i);
			}
			i = skip_lws(p, i);
		}
		if (nw)
			want_match(name, val, w, nw, 0);
		if (i >= p.len)
			return 0;
		if (p.p[i] != ';')
			return -1;
		i = skip_lws(p, i + 1);
		if (i >= p.len)
			return -1;
	}
}

/*
 * URI parameters (no LWS): uri-parameter *( ";" uri-parameter ), each
 * pname [ "=" pvalue ] of paramchars. Returns 0 or -1.
 */
static int parse_uparams(sw_str p, const struct pwant *w, unsigned nw)
{
	uint32_t i = 0;
	for (;;) {
		uint32_t a = i, e;
		while (i < p.len && p.p[i] != ';')
			i++;
		e = i;
		uint32_t eq = a;
		while (eq < e && p.p[eq] != '=')
			eq++;
		sw_str name = sub(p, a, eq), val = {p.p + eq, 0};
		if (!name.len || !chars_ok(name.p, name.len, CT_PARAM))
			return -1;
		if (eq < e) {
			val = sub(p, eq + 1, e);
			if (!val.len || !chars_ok(val.p, val.len, CT_PARAM))
				return -1;
		}
		if (nw)
			want_match(name, val, w, nw, 1);
		if (i >= p.len)
			return 0;
		i++;
	}
}

/* ------------------------------------------------------------------ */
/* URI                                                                 */

/* URI headers: header *( "&" header ), header = hname "=" hvalue. */
static int uri_headers_ok(sw_str h)
{
	uint32_t i = 0;
	for (;;) {
		uint32_t a = i, e, eq;
		while (i < h.len && h.p[i] != '&')
			i++;
		e = i;
		eq = a;
		while (eq < e && h.p[eq] != '=')
			eq++;
		if (eq == a || eq == e || !chars_ok(h.p + a, eq - a, CT_HNV) ||
		    !chars_ok(h.p + eq + 1, e - eq - 1, CT_HNV))
			return 0;
		if (i >= h.len)
			return 1;
		i++;
	}
}

int sip_parse_uri(sw_str s, struct sip_uri *u)
{
	uint32_t i = 0, colon, at, hs, he, q;
	memset(u, 0, sizeof(*u));
	s = trim(s);
	u->raw = s;
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if (!s.len || !is_alpha(s.p[0]))
		return -1;
	while (i < s.len && (is_alpha(s.p[i]) || is_digit(s.p[i]) || s.p[i] == '+' ||
			     s.p[i] == '-' || s.p[i] == '.'))
		i++;
	if (i >= s.len || s.p[i] != ':')
		return -1;
	colon = i;
	u->scheme_str = sub(s, 0, colon);
	/* name_eq() is safe: scheme characters never fold onto letters. */
	if (colon == 3 && name_eq(s.p, "sip", 3))
		u->scheme = SIP_SCHEME_SIP;
	else if (colon == 4 && name_eq(s.p, "sips", 4))
		u->scheme = SIP_SCHEME_SIPS;
	else if (colon == 3 && name_eq(s.p, "tel", 3))
		u->scheme = SIP_SCHEME_TEL;
	else
		u->scheme = SIP_SCHEME_OTHER;
	if (colon + 1 >= s.len)
		return -1;
	if (u->scheme == SIP_SCHEME_OTHER)
		/* absoluteURI: only that it is made of URI characters. */
		return chars_ok(s.p + colon + 1, s.len - colon - 1, CT_URIC | CT_USER) ? 0 : -1;
	if (u->scheme == SIP_SCHEME_TEL) {
		/* RFC 3966, leniently: number up to ';', then parameters. */
		uint32_t e = colon + 1;
		while (e < s.len && s.p[e] != ';')
			e++;
		u->user = sub(s, colon + 1, e);
		if (!u->user.len || !chars_ok(u->user.p, u->user.len, CT_USER))
			return -1;
		if (e < s.len) {
			u->params = sub(s, e + 1, s.len);
			if (parse_uparams(u->params, NULL, 0) != 0)
				return -1;
		}
		return 0;
	}

	/* sip/sips: [userinfo "@"] host [":" port] *(";" param) ["?" headers]. '@'
	 * can appear nowhere but after the userinfo, and the user part may hold
	 * ';', '?' and '/' (RFC 4475 intmeth, semiuri), so look for '@' first. */
	const char *atp = memchr(s.p + colon + 1, '@', s.len - colon - 1);
	at = atp ? (uint32_t)(atp - s.p) : 0;
	hs = colon + 1;
	if (at) {
		uint32_t pw = colon + 1;
		while (pw < at && s.p[pw] != ':')
			pw++;
		u->user = sub(s, colon + 1, pw);
		if (!u->user.len || !chars_ok(u->user.p, u->user.len, CT_USER))
			return -1;
		if (pw < at) {
			u->password = sub(s, pw + 1, at);
			if (!chars_ok(u->password.p, u->password.len, CT_PASS))
				return -1;
		}
		hs = at + 1;
	}
	int hk;
	if (hs < s.len && s.p[hs] == '[') {
		he = hs;
		while (he < s.len && s.p[he] != ']')
			he++;
		if (he >= s.len)
			return -1;
		he++;
		u->host = sub(s, hs, he);
		hk = host_kind(u->host);
	} else {
		he = scan_host(s.p, hs, s.len, &hk);
		u->host = sub(s, hs, he);
	}
	if (!hk)
		return -1;
	u->host_is_ip = hk == 1 ? 0 : (uint8_t)hk;
	i = he;
	if (i < s.len && s.p[i] == ':') {
		uint32_t ps = ++i;
		uint64_t port;
		while (i < s.len && is_digit(s.p[i]))
			i++;
		u->port_str = sub(s, ps, i);
		if (u->port_str.len > 5 || sw_str_to_u64(u->port_str, 65535, &port) != 0)
			return -1;
		u->port = (uint16_t)port;
	}
	q = i;
	while (q < s.len && s.p[q] != '?')
		q++;
	if (i < q) {
		if (s.p[i] != ';')
			return -1;
		u->params = sub(s, i + 1, q);
		const struct pwant w[] = {
		    PW("transport", &u->transport, NULL),
		    PW("user", &u->user_param, NULL),
		    PW("maddr", &u->maddr, NULL),
		    PW("lr", NULL, &u->lr),
		};
		if (parse_uparams(u->params, w, SW_ARRAY_SIZE(w)) != 0)
			return -1;
	}
	if (q < s.len) {
		u->headers = sub(s, q + 1, s.len);
		if (!uri_headers_ok(u->headers))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* name-addr / addr-spec                                               */

int sip_parse_nameaddr(sw_str s, struct sip_nameaddr *na)
{
	uint32_t i = 0, us, ue, pe;
	memset(na, 0, sizeof(*na));
	s = trim(s);
	na->raw = s;
	if (s.len == 0)
		return -1;
	if (s.len == 1 && s.p[0] == '*') {
		na->star = 1;
		return 0;
	}
	if (s.p[0] == '"') {
		int64_t q = quoted_check(s, 0);
		if (q < 0)
			return -1;
		na->display = sub(s, 1, (uint32_t)q);
		i = skip_lws(s, (uint32_t)q + 1);
		if (i >= s.len || s.p[i] != '<')
			return -1;
	} else {
		/* display-name = *(token LWS): tokens and LWS up to '<'. */
		uint32_t k = 0;
		while (k < s.len && (is_tok((unsigned char)s.p[k]) || is_ws(s.p[k]) ||
				     s.p[k] == '\r' || s.p[k] == '\n'))
			k++;
		if (k < s.len && s.p[k] == '<') {
			na->display = trim_right(sub(s, 0, k));
			i = k;
		} else {
			/* addr-spec: the URI ends at the first ';' (header params
			 * follow); a URI holding ',' or '?' must be in <> (§20). */
			uint32_t e = 0;
			while (e < s.len && s.p[e] != ';')
				e++;
			sw_str us_ = trim_right(sub(s, 0, e));
			for (uint32_t k2 = 0; k2 < us_.len; k2++)
				if (us_.p[k2] == '?' || us_.p[k2] == ',')
					return -1;
			if (sip_parse_uri(us_, &na->uri) != 0)
				return -1;
			pe = e;
			goto params;
		}
	}
	/* s.p[i] == '<': no LWS inside the brackets (RFC 4475 badaspec). */
	us = i + 1;
	const char *gt = memchr(s.p + us, '>', s.len - us);
	if (!gt)
		return -1;
	ue = (uint32_t)(gt - s.p);
	if (ue == us)
		return -1;
	if (is_ws(s.p[us]) || s.p[us] == '\r' || s.p[us] == '\n' || is_ws(s.p[ue - 1]) ||
	    s.p[ue - 1] == '\r' || s.p[ue - 1] == '\n')
		return -1;
	if (sip_parse_uri(sub(s, us, ue), &na->uri) != 0)
		return -1;
	pe = skip_lws(s, ue + 1);
params:
	if (pe < s.len) {
		if (s.p[pe] != ';')
			return -1;
		na->params = sub(s, pe + 1, s.len);
		const struct pwant w[] = {
		    PW("tag", &na->tag, NULL),
		    PW("expires", &na->expires, NULL),
		};
		if (parse_gparams(na->params, w, SW_ARRAY_SIZE(w)) != 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Via                                                                 */

/* One via-parm (no top-level comma in s). 0 or -1. */
static int parse_via_parm(sw_str s, struct sip_via *v)
{
	uint32_t i = 0, a;
	memset(v, 0, sizeof(*v));
	s = trim(s);
	v->raw = s;
	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport */
	while (i < s.len && is_tok((unsigned char)s.p[i]))
		i++;
	v->proto_name = sub(s, 0, i);
	i = skip_lws(s, i);
	if (i >= s.len || s.p[i] != '/')
		return -1;
	i = skip_lws(s, i + 1);
	a = i;
	while (i < s.len && is_tok((unsigned char)s.p[i]))
		i++;
	v->proto_version = sub(s, a, i);
	i = skip_lws(s, i);
	if (i >= s.len || s.p[i] != '/' || !v->proto_name.len || !v->proto_version.len)
		return -1;
	v->protocol = (sw_str){v->proto_name.p, (uint32_t)(v->proto_version.p +
							   v->proto_version.len - v->proto_name.p)};
	i = skip_lws(s, i + 1);
	a = i;
	while (i < s.len && is_tok((unsigned char)s.p[i]))
		i++;
	v->transport = sub(s, a, i);
	if (!v->transport.len)
		return -1;
	/* LWS sent-by */
	a = i;
	i = skip_lws(s, i);
	if (i == a)
		return -1;
	a = i;
	if (i < s.len && s.p[i] == '[') {
		while (i < s.len && s.p[i] != ']')
			i++;
		if (i >= s.len)
			return -1;
		i++;
		v->host = sub(s, a, i);
		if (!host_kind(v->host))
			return -1;
	} else {
		int hk;
		i = scan_host(s.p, i, s.len, &hk);
		v->host = sub(s, a, i);
		if (!hk)
			return -1;
	}
	i = skip_lws(s, i);
	if (i < s.len && s.p[i] == ':') {
		uint64_t port;
		i = skip_lws(s, i + 1);
		a = i;
		while (i < s.len && is_digit(s.p[i]))
			i++;
		if (i - a > 5 || sw_str_to_u64(sub(s, a, i), 65535, &port) != 0)
			return -1;
		v->port = (uint16_t)port;
		i = skip_lws(s, i);
	}
	if (i < s.len) {
		uint64_t n;
		if (s.p[i] != ';')
			return -1;
		const struct pwant w[] = {
		    PW("branch", &v->branch, NULL),	   PW("received", &v->received, NULL),
		    PW("maddr", &v->maddr, NULL),	   PW("ttl", &v->ttl, NULL),
		    PW("rport", &v->rport, &v->has_rport),
		};
		if (parse_gparams(sub(s, i + 1, s.len), w, SW_ARRAY_SIZE(w)) != 0)
			return -1;
		/* Values the ABNF constrains. */
		if (v->branch.p && !v->branch.len)
			return -1;
		if (v->ttl.p && (v->ttl.len > 3 || sw_str_to_u64(v->ttl, 255, &n) != 0))
			return -1;
		if (v->rport.len && (v->rport.len > 5 || sw_str_to_u64(v->rport, 65535, &n) != 0))
			return -1;
		if (v->maddr.p && !host_kind(v->maddr))
			return -1;
		if (v->received.p) {
			sw_addr ad;
			if (sw_addr_parse(v->received, &ad) != 0)
				return -1;
		}
	}
	return 0;
}

int sip_parse_via(sw_str s, struct sip_via *v)
{
	int bad = 0;
	uint32_t e;
	s = trim(s);
	/* Only the first via-parm. */
	e = find_top(s, 0, ',', &bad);
	return parse_via_parm(sub(s, 0, e), v);
}

/* ------------------------------------------------------------------ */
/* Authorization / challenges                                          */

int sip_parse_auth(sw_str s, struct sip_auth *a)
{
	uint32_t i = 0, st;
	int any = 0;
	memset(a, 0, sizeof(*a));
	s = trim(s);
	a->raw = s;
	a->present = 1;
	while (i < s.len && is_tok((unsigned char)s.p[i]))
		i++;
	a->scheme = sub(s, 0, i);
	if (!a->scheme.len)
		return -1;
	st = i;
	i = skip_lws(s, i);
	if (i >= s.len)
		return -1; /* a scheme alone says nothing */
	if (i == st)
		return -1; /* LWS must separate the scheme from its parameters */
	for (;;) {
		st = i;
		while (i < s.len && is_tok((unsigned char)s.p[i]))
			i++;
		sw_str name = sub(s, st, i);
		if (!name.len)
			return -1;
		i = skip_lws(s, i);
		if (i >= s.len || s.p[i] != '=') {
			/* token68 credentials (e.g. Basic): one token, nothing else. */
			if (!any && skip_lws(s, i) >= s.len)
				return 0;
			return -1;
		}
		i = skip_lws(s, i + 1);
		sw_str val;
		if (i < s.len && s.p[i] == '"') {
			uint32_t q = quoted_end(s, i);
			if (q >= s.len)
				return -1;
			val = sub(s, i + 1, q);
			i = q + 1;
		} else {
			st = i;
			while (i < s.len && s.p[i] != ',' && !is_ws(s.p[i]) && s.p[i] != '\r' &&
			       s.p[i] != '\n' && s.p[i] != '"')
				i++;
			val = sub(s, st, i);
			if (!val.len) {
				/* token68 padding ("abc==") ends the credentials. */
				if (!any && skip_lws(s, i) >= s.len)
					return 0;
				return -1;
			}
		}
		any = 1;
		static const struct {
			const char *n;
			size_t off;
		} f[] = {
		    {"username", offsetof(struct sip_auth, username)},
		    {"realm", offsetof(struct sip_auth, realm)},
		    {"nonce", offsetof(struct sip_auth, nonce)},
		    {"uri", offsetof(struct sip_auth, uri)},
		    {"response", offsetof(struct sip_auth, response)},
		    {"qop", offsetof(struct sip_auth, qop)},
		    {"nc", offsetof(struct sip_auth, nc)},
		    {"cnonce", offsetof(struct sip_auth, cnonce)},
		    {"algorithm", offsetof(struct sip_auth, algorithm)},
		    {"opaque", offsetof(struct sip_auth, opaque)},
		    {"stale", offsetof(struct sip_auth, stale)},
		};
		for (size_t k = 0; k < SW_ARRAY_SIZE(f); k++) {
			if (sw_str_eq_ci(name, f[k].n)) {
				sw_str *dst = (sw_str *)((char *)a + f[k].off);
				if (!dst->p) /* first occurrence wins */
					*dst = val;
				break;
			}
		}
		i = skip_lws(s, i);
		if (i >= s.len)
			return 0;
		if (s.p[i] != ',')
			return -1;
		i = skip_lws(s, i + 1);
		if (i >= s.len)
			return -1;
	}
}

/* ------------------------------------------------------------------ */
/* Probe                                                               */

/* Length of a SIP-Version ("SIP/" 1*DIGIT "." 1*DIGIT, "SIP" in any case)
 * at the start of b[0..n), or 0. */
static size_t sip_version_len(const uint8_t *b, size_t n)
{
	size_t i = 4;
	if (n < 7 || (b[0] | 0x20) != 's' || (b[1] | 0x20) != 'i' || (b[2] | 0x20) != 'p' ||
	    b[3] != '/')
		return 0;
	if (!is_digit((char)b[i]))
		return 0;
	while (i < n && is_digit((char)b[i]))
		i++;
	if (i >= n || b[i] != '.')
		return 0;
	i++;
	if (i >= n || !is_digit((char)b[i]))
		return 0;
	while (i < n && is_digit((char)b[i]))
		i++;
	return i;
}

int sip_probe(const uint8_t *buf, size_t len)
{
	size_t s = 0, e, lim;
	/* RFC 3261 §7.5: CRLFs before the start line are ignored. */
	while (s < len && s < 64 && (buf[s] == '\r' || buf[s] == '\n'))
		s++;
	buf += s;
	len -= s;
	lim = len < SIP_MAX_LINE ? len : SIP_MAX_LINE;
	e = 0;
	while (e < lim && buf[e] != '\n')
		e++;
	if (e == lim)
		return 0; /* the start line is not complete */
	if (e > 0 && buf[e - 1] == '\r')
		e--;
	while (e > 0 && is_ws((char)buf[e - 1]))
		e--; /* trailing LWS: malformed (RFC 4475 trws), but SIP */
	size_t vl = sip_version_len(buf, e);
	if (vl) {
		/* Status-Line: SIP-Version SP Status-Code ...; the code is checked
		 * loosely here (RFC 4475 bigcode is SIP, and flagged by the parser). */
		size_t i = vl;
		if (i >= e || buf[i] != ' ')
			return 0;
		while (i < e && buf[i] == ' ')
			i++;
		if (i >= e || !is_digit((char)buf[i]))
			return 0;
		while (i < e && is_digit((char)buf[i]))
			i++;
		return i == e || buf[i] == ' ';
	}
	/* Request-Line: Method SP Request-URI SP SIP-Version */
	size_t i = 0;
	while (i < e && is_tok(buf[i]))
		i++;
	if (i == 0 || i >= e || buf[i] != ' ')
		return 0;
	/* the version is the last token on the line */
	size_t v = e;
	while (v > i && buf[v - 1] != ' ')
		v--;
	if (v <= i + 1)
		return 0;
	if (sip_version_len(buf + v, e - v) != e - v)
		return 0; /* "M-SEARCH * HTTP/1.1", "OPTIONS rtsp://x RTSP/1.0" */
	/* Every SIP Request-URI is absolute: it has a scheme and a colon. */
	if (!memchr(buf + i, ':', v - i))
		return 0;
	return 1;
}

int sip_probe_prefix(const uint8_t *buf, size_t len)
{
	static const char ver[] = "SIP/";
	size_t i = 0;
	if (len > SIP_MAX_LINE)
		return 0;
	/* A status line so far: a prefix of "SIP/" then version characters. */
	while (i < len && i < 4 &&
	       (buf[i] == ver[i] || (i < 3 && (buf[i] | 0x20) == (ver[i] | 0x20))))
		i++;
	if (i == len)
		return 1;
	if (i == 4) {
		for (; i < len; i++)
			if (buf[i] < 0x20 && buf[i] != '\r' && buf[i] != '\t')
				return 0;
		return 1;
	}
	/* A method token, then SP, then printable request-line bytes. */
	i = 0;
	while (i < len && is_tok(buf[i]))
		i++;
	if (i == len)
		return 1;
	if (i == 0 || buf[i] != ' ')
		return 0;
	for (; i < len; i++)
		if ((buf[i] < 0x20 && buf[i] != '\r' && buf[i] != '\t') || buf[i] == 0x7f)
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* The message                                                         */

/* Work an SIP_PARSE_INDEX parse leaves to sip_decode() (m->pending). */
enum { PEND_RURI = 1, PEND_HDRS = 2 };

/* The Request-URI's structure; its anomalies. */
static void parse_ruri(struct sip_msg *m)
{
	if (sip_parse_uri(m->ruri_raw, &m->ruri) != 0) {
		anom(m, ANOM_SIP_BAD_URI, off_of(m, m->ruri_raw));
	} else {
		if (m->ruri.scheme == SIP_SCHEME_OTHER)
			anom(m, ANOM_SIP_RURI_UNKNOWN_SCHEME, off_of(m, m->ruri_raw));
		if (m->ruri.headers.p)
			anom(m, ANOM_SIP_RURI_HEADERS, off_of(m, m->ruri.headers));
	}
}

static int parse_start_line(struct sip_msg *m, sw_str line, int index)
{
	uint32_t i = 0, a, lo = off_of(m, line), e = line.len;
	size_t vl;
	m->start_line = line;
	vl = sip_version_len((const uint8_t *)line.p, e);
	if (!vl) {
		/* Request-Line: trailing SP/HTAB is not allowed by the ABNF
		 * (RFC 4475 trws); tolerated and flagged. (In a Status-Line it
		 * belongs to the Reason-Phrase, which may be empty.) */
		while (e > 0 && is_ws(line.p[e - 1]))
			e--;
		if (e < line.len)
			anom(m, ANOM_SIP_START_LINE_WHITESPACE, lo + e);
	}
	if (vl) {
		m->is_request = 0;
		m->version = sub(line, 0, (uint32_t)vl);
		i = (uint32_t)vl;
		if (i >= e || line.p[i] != ' ')
			return -1;
		i++;
		if (i < e && line.p[i] == ' ') {
			anom(m, ANOM_SIP_START_LINE_WHITESPACE, lo + i);
			while (i < e && line.p[i] == ' ')
				i++;
		}
		a = i;
		while (i < e && is_digit(line.p[i]))
			i++;
		if (i - a != 3) {
			anom(m, ANOM_SIP_BAD_STATUS_CODE, lo + a);
			return -1;
		}
		m->status = (uint16_t)((line.p[a] - '0') * 100 + (line.p[a + 1] - '0') * 10 +
				       (line.p[a + 2] - '0'));
		if (m->status < 100 || m->status > 699)
			anom(m, ANOM_SIP_BAD_STATUS_CODE, lo + a);
		if (i < e && line.p[i] != ' ')
			return -1;
		if (i < e)
			i++;
		m->reason = sub(line, i, e);
	} else {
		m->is_request = 1;
		while (i < e && is_tok((unsigned char)line.p[i]))
			i++;
		m->method = sub(line, 0, i);
		if (!m->method.len || i >= e || line.p[i] != ' ')
			return -1;
		m->method_id = (uint8_t)sip_method_id(m->method);
		i++;
		if (i < e && line.p[i] == ' ') {
			anom(m, ANOM_SIP_START_LINE_WHITESPACE, lo + i);
			while (i < e && line.p[i] == ' ')
				i++;
		}
		/* The version is the last token; the URI is what lies between
		 * (so embedded LWS lands in the URI and is flagged there). */
		uint32_t v = e;
		while (v > i && line.p[v - 1] != ' ')
			v--;
		if (v <= i) {
			/* One token after the method: a version without a URI,
			 * or a URI without a version (not SIP at all). */
			if (sip_version_len((const uint8_t *)line.p + i, e - i) == e - i)
				anom(m, ANOM_SIP_EMPTY_REQUEST_URI, lo + i);
			return -1;
		}
		m->version = sub(line, v, e);
		if (sip_version_len((const uint8_t *)m->version.p, m->version.len) !=
		    m->version.len)
			return -1;
		uint32_t ue = v - 1;
		while (ue > i && line.p[ue - 1] == ' ')
			ue--;
		if (ue < v - 1)
			anom(m, ANOM_SIP_START_LINE_WHITESPACE, lo + ue);
		m->ruri_raw = sub(line, i, ue);
		if (m->ruri_raw.len == 0) {
			anom(m, ANOM_SIP_EMPTY_REQUEST_URI, lo + i);
		} else if (index) {
			/* sip_decode() raises its anomalies here. */
			m->pending |= PEND_RURI;
			m->anom_mark[0] = m->n_anom;
		} else {
			parse_ruri(m);
		}
		if (m->method_id == SIP_M_UNKNOWN)
			anom(m, ANOM_SIP_UNKNOWN_METHOD, lo);
	}
	/* m->version passed sip_version_len() ("SIP" in any case, "/"), so
	 * this is sw_str_eq_ci(m->version, "SIP/2.0"). */
	if (m->version.len != 7 || memcmp(m->version.p + 4, "2.0", 3) != 0)
		anom(m, ANOM_SIP_INVALID_VERSION, off_of(m, m->version));
	return 0;
}

/* Call-ID: word [ "@" word ] (RFC 3261 §25.1). */
static int valid_call_id(sw_str s)
{
	uint32_t at = s.len;
	if (!s.len)
		return 0;
	for (uint32_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (ctab[c] & CT_WORD) /* '@' is not a word character */
			continue;
		if (c != '@' || at != s.len || i == 0 || i + 1 == s.len)
			return 0;
		at = i;
	}
	return 1;
}

/* rfc1123-date = wkday "," SP date1 SP time SP "GMT" (RFC 3261 §20.17). */
static int valid_sip_date(sw_str s)
{
	static const char wk[] = "MonTueWedThuFriSatSun";
	static const char mo[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = s.p;
	int ok = 0;
	/* "Fri, 01 Jan 2010 16:00:00 GMT" is 29 bytes. */
	if (s.len != 29)
		return 0;
	for (int k = 0; k < 7; k++)
		if (memcmp(p, wk + 3 * k, 3) == 0)
			ok = 1;
	if (!ok || p[3] != ',' || p[4] != ' ' || !is_digit(p[5]) || !is_digit(p[6]) || p[7] != ' ')
		return 0;
	ok = 0;
	for (int k = 0; k < 12; k++)
		if (memcmp(p + 8, mo + 3 * k, 3) == 0)
			ok = 1;
	if (!ok || p[11] != ' ' || !is_digit(p[12]) || !is_digit(p[13]) || !is_digit(p[14]) ||
	    !is_digit(p[15]) || p[16] != ' ')
		return 0;
	if (!is_digit(p[17]) || !is_digit(p[18]) || p[19] != ':' || !is_digit(p[20]) ||
	    !is_digit(p[21]) || p[22] != ':' || !is_digit(p[23]) || !is_digit(p[24]) ||
	    p[25] != ' ')
		return 0;
	return memcmp(p + 26, "GMT", 3) == 0;
}

/* Calls fn on each comma-separated element of v (top level). */
static void decode_via_list(struct sip_msg *m, const struct sip_header *h)
{
	sw_str v = h->value;
	uint32_t i = 0;
	int bad = 0;
	if (trim(v).len == 0) {
		anom(m, ANOM_SIP_EMPTY_VIA, off_of(m, h->name));
		return;
	}
	for (;;) {
		/* Most values hold one element: no comma, nothing to split. */
		uint32_t e = i == 0 && !memchr(v.p, ',', v.len) ? v.len : find_top(v, i, ',', &bad);
		sw_str el = trim(sub(v, i, e));
		struct sip_via tmp, *dst = m->n_via == 0 ? &m->via : &tmp;
		if (!el.len || parse_via_parm(el, dst) != 0) {
			anom(m, ANOM_SIP_BAD_VIA, off_of(m, el.len ? el : h->value));
		} else if (!(dst->proto_name.len == 3 && name_eq(dst->proto_name.p, "sip", 3)) ||
			   !lit_eq(dst->proto_version.p, dst->proto_version.len, "2.0", 3)) {
			/* name_eq() folds only letters onto "sip": same as sw_str_eq_ci(). */
			anom(m, ANOM_SIP_BAD_VIA_VERSION, off_of(m, dst->protocol));
		}
		if (m->n_via < 65535)
			m->n_via++;
		if (e >= v.len)
			break;
		i = e + 1;
	}
	if (bad)
		anom(m, ANOM_SIP_BAD_VIA, off_of(m, h->value));
}

static void decode_contact_list(struct sip_msg *m, const struct sip_header *h)
{
	sw_str v = h->value;
	uint32_t i = 0;
	int bad = 0;
	uint64_t n;
	if (trim(v).len == 0) {
		anom(m, ANOM_SIP_EMPTY_CONTACT, off_of(m, h->name));
		return;
	}
	for (;;) {
		uint32_t e = i == 0 && !memchr(v.p, ',', v.len) ? v.len : find_top(v, i, ',', &bad);
		sw_str el = trim(sub(v, i, e));
		struct sip_nameaddr tmp, *dst = m->n_contact == 0 ? &m->contact : &tmp;
		if (!el.len || sip_parse_nameaddr(el, dst) != 0) {
			anom(m, ANOM_SIP_BAD_CONTACT, off_of(m, el.len ? el : h->value));
		} else if (dst->star &&
			   (m->n_contact > 0 || e < v.len || m->hdr_count[SIP_H_CONTACT] > 1)) {
			/* "*" must be the only Contact (RFC 3261 §10.2.2). */
			anom(m, ANOM_SIP_BAD_CONTACT, off_of(m, el));
		} else if (dst->expires.p && sw_str_to_u64(dst->expires, 4294967295ULL, &n) != 0) {
			anom(m, ANOM_SIP_BAD_EXPIRES, off_of(m, dst->expires));
		}
		if (m->n_contact < 65535)
			m->n_contact++;
		if (e >= v.len)
			break;
		i = e + 1;
	}
	if (bad)
		anom(m, ANOM_SIP_BAD_CONTACT, off_of(m, h->value));
}

/* Decodes the headers sipwire tracks; records anomalies. */
static void decode_headers(struct sip_msg *m)
{
	const struct sip_header *first[SIP_H__COUNT] = {0};
	uint64_t v;

	for (uint16_t i = 0; i < m->n_hdrs; i++) {
		const struct sip_header *h = &m->hdrs[i];
		uint8_t id = h->id;
		if (id == SIP_H_OTHER)
			continue;
		if (id == SIP_H_VIA) {
			decode_via_list(m, h);
		} else if (id == SIP_H_CONTACT) {
			decode_contact_list(m, h);
		} else if (first[id] &&
			   (id == SIP_H_FROM || id == SIP_H_TO || id == SIP_H_CALL_ID ||
			    id == SIP_H_CSEQ || id == SIP_H_CONTENT_LENGTH ||
			    id == SIP_H_MAX_FORWARDS || id == SIP_H_CONTENT_TYPE)) {
			/* Single-valued (RFC 4475 multi01, mcl01). */
			if (!sw_str_eq_str_ci(first[id]->value, h->value))
				anom(m, ANOM_SIP_DUPLICATE_HEADER, off_of(m, h->name));
		}
		if (!first[id])
			first[id] = h;
	}

	const struct sip_header *h;
	if (!first[SIP_H_VIA])
		anom(m, ANOM_SIP_MISSING_VIA, m->hdr_len);
	if ((h = first[SIP_H_FROM])) {
		if (h->value.len == 0)
			anom(m, ANOM_SIP_EMPTY_FROM, off_of(m, h->name));
		else if (sip_parse_nameaddr(h->value, &m->from) != 0 || m->from.star)
			anom(m, ANOM_SIP_BAD_FROM, off_of(m, h->value));
		else if (m->is_request && !m->from.tag.len)
			anom(m, ANOM_SIP_MISSING_FROM_TAG, off_of(m, h->value));
	} else {
		anom(m, ANOM_SIP_MISSING_FROM, m->hdr_len);
	}
	if ((h = first[SIP_H_TO])) {
		if (h->value.len == 0)
			anom(m, ANOM_SIP_EMPTY_TO, off_of(m, h->name));
		else if (sip_parse_nameaddr(h->value, &m->to) != 0 || m->to.star)
			anom(m, ANOM_SIP_BAD_TO, off_of(m, h->value));
	} else {
		anom(m, ANOM_SIP_MISSING_TO, m->hdr_len);
	}
	if ((h = first[SIP_H_CALL_ID])) {
		m->call_id = h->value;
		if (h->value.len == 0)
			anom(m, ANOM_SIP_EMPTY_CALL_ID, off_of(m, h->name));
		else if (!valid_call_id(h->value))
			anom(m, ANOM_SIP_BAD_CALL_ID, off_of(m, h->value));
	} else {
		anom(m, ANOM_SIP_MISSING_CALL_ID, m->hdr_len);
	}
	if ((h = first[SIP_H_CSEQ])) {
		/* CSeq = 1*DIGIT LWS Method; the number is < 2**31 (§8.1.1.5). */
		sw_str s = h->value;
		uint32_t i = 0;
		while (i < s.len && is_digit(s.p[i]))
			i++;
		if (i == 0 || parse_num(sub(s, 0, i), 2147483647ULL, &v) != 0) {
			anom(m, ANOM_SIP_BAD_CSEQ_NUM, off_of(m, s));
		} else {
			m->cseq.num = (uint32_t)v;
			uint32_t k = skip_lws(s, i);
			uint32_t ms = k;
			while (k < s.len && is_tok((unsigned char)s.p[k]))
				k++;
			m->cseq.method = sub(s, ms, k);
			if (ms == i || m->cseq.method.len == 0 || k != s.len) {
				anom(m, ANOM_SIP_BAD_CSEQ_METHOD, off_of(m, s));
			} else {
				m->cseq.method_id = (uint8_t)sip_method_id(m->cseq.method);
				m->cseq.valid = 1;
				if (m->is_request &&
				    !(m->cseq.method.len == m->method.len &&
				      memcmp(m->cseq.method.p, m->method.p, m->method.len) == 0))
					anom(m, ANOM_SIP_CSEQ_METHOD_MISMATCH, off_of(m, s));
			}
		}
	} else {
		anom(m, ANOM_SIP_MISSING_CSEQ, m->hdr_len);
	}
	if ((h = first[SIP_H_MAX_FORWARDS])) {
		if (parse_num(h->value, 255, &v) != 0)
			anom(m, ANOM_SIP_BAD_MAX_FORWARDS, off_of(m, h->value));
		else
			m->max_forwards = (int32_t)v;
	}
	if ((h = first[SIP_H_EXPIRES])) {
		if (parse_num(h->value, 4294967295ULL, &v) != 0)
			anom(m, ANOM_SIP_BAD_EXPIRES, off_of(m, h->value));
		else
			m->expires = (int64_t)v;
	}
	if ((h = first[SIP_H_CONTENT_LENGTH])) {
		if (parse_num(h->value, 4294967295ULL, &v) != 0)
			anom(m, ANOM_SIP_BAD_CONTENT_LENGTH, off_of(m, h->value));
		else
			m->content_length = (int64_t)v;
	}
	if ((h = first[SIP_H_CONTENT_TYPE]))
		m->content_type = h->value;
	if ((h = first[SIP_H_USER_AGENT]))
		m->user_agent = h->value;
	if ((h = first[SIP_H_SERVER]))
		m->server = h->value;
	if ((h = first[SIP_H_DATE]) && !valid_sip_date(h->value))
		anom(m, ANOM_SIP_BAD_DATE, off_of(m, h->value));
	if ((h = first[SIP_H_PROXY_REQUIRE]) && m->is_request)
		anom(m, ANOM_SIP_PROXY_REQUIRE, off_of(m, h->name));
	h = first[SIP_H_AUTHORIZATION] ? first[SIP_H_AUTHORIZATION]
				       : first[SIP_H_PROXY_AUTHORIZATION];
	if (h) {
		if (sip_parse_auth(h->value, &m->authz) != 0 ||
		    (sw_str_eq_ci(m->authz.scheme, "Digest") &&
		     (!m->authz.username.len || !m->authz.realm.len || !m->authz.nonce.len ||
		      !m->authz.uri.len || !m->authz.response.len)))
			anom(m, ANOM_SIP_BAD_AUTHORIZATION, off_of(m, h->value));
		m->authz.present = 1;
		m->authz.proxy = h->id == SIP_H_PROXY_AUTHORIZATION;
	}
	h = first[SIP_H_WWW_AUTHENTICATE] ? first[SIP_H_WWW_AUTHENTICATE]
					  : first[SIP_H_PROXY_AUTHENTICATE];
	if (h) {
		if (sip_parse_auth(h->value, &m->challenge) != 0 ||
		    (sw_str_eq_ci(m->challenge.scheme, "Digest") &&
		     (!m->challenge.realm.len || !m->challenge.nonce.len)))
			anom(m, ANOM_SIP_BAD_CHALLENGE, off_of(m, h->value));
		m->challenge.present = 1;
		m->challenge.proxy = h->id == SIP_H_PROXY_AUTHENTICATE;
	}
}

/*
 * SIP_PARSE_INDEX's share of decode_headers(): what framing needs
 * (Content-Length; Content-Type for sip.empty_content_type), with the
 * anomalies decode_headers() raises about them. sip_decode() runs
 * decode_headers() in their place (anom_mark[1] .. anom_mark[2]), which
 * raises them again among the others.
 */
static void index_headers(struct sip_msg *m, const struct sip_header *cl,
			  const struct sip_header *ct)
{
	uint64_t v;

	m->pending |= PEND_HDRS;
	m->anom_mark[1] = m->n_anom;
	if (cl && m->hdr_count[SIP_H_CONTENT_LENGTH] > 1) {
		for (const struct sip_header *h = cl + 1; h < m->hdrs + m->n_hdrs; h++)
			if (h->id == SIP_H_CONTENT_LENGTH && !sw_str_eq_str_ci(cl->value, h->value))
				anom(m, ANOM_SIP_DUPLICATE_HEADER, off_of(m, h->name));
	}
	if (cl) {
		if (parse_num(cl->value, 4294967295ULL, &v) != 0)
			anom(m, ANOM_SIP_BAD_CONTENT_LENGTH, off_of(m, cl->value));
		else
			m->content_length = (int64_t)v;
	}
	if (ct)
		m->content_type = ct->value;
	m->anom_mark[2] = m->n_anom;
}

/* Raises a[from..to) again, in order; anom() keeps its dedup and cap. */
static void anom_replay(struct sip_msg *m, const uint16_t *a, const uint32_t *o, unsigned from,
			unsigned to)
{
	for (unsigned k = from; k < to; k++)
		anom(m, a[k], o[k]);
}

/*
 * An eager parse raises, in this order: start-line anomalies up to the
 * Request-URI (A), the URI's (R), the rest of the start line's and the
 * tokeniser's (B), decode_headers()'s (D), the body's (C); anom() keeps the
 * first of each id, at most SIP_MAX_ANOM. An index parse raised A B X C,
 * X being D's Content-Length share. Raising A R B D C again through anom()
 * gives the eager list: D raises X's ids again, and every anomaly that
 * makes the eager list is in the index list, where it can only sit earlier.
 */
void sip_decode(struct sip_msg *m)
{
	uint16_t a[SIP_MAX_ANOM];
	uint32_t o[SIP_MAX_ANOM];
	const uint8_t pend = m->pending;
	unsigned n = m->n_anom, p0 = 0, p1 = n, p2 = n;

	if (!pend)
		return;
	if (pend & PEND_RURI)
		p0 = m->anom_mark[0];
	if (pend & PEND_HDRS) {
		p1 = m->anom_mark[1];
		p2 = m->anom_mark[2];
	}
	memcpy(a, m->anom, sizeof(a));
	memcpy(o, m->anom_off, sizeof(o));
	memset(m->anom, 0, sizeof(m->anom));
	memset(m->anom_off, 0, sizeof(m->anom_off));
	m->n_anom = 0;
	m->pending = 0;
	memset(m->anom_mark, 0, sizeof(m->anom_mark));

	anom_replay(m, a, o, 0, p0);
	if (pend & PEND_RURI)
		parse_ruri(m);
	anom_replay(m, a, o, p0, p1);
	if (pend & PEND_HDRS)
		decode_headers(m);
	anom_replay(m, a, o, p2, n);
}

/*
 * First index >= i in buf[0..len) holding a control byte (< 0x20), or len.
 * Header text is mostly printable: test eight bytes at a time.
 */
static inline size_t scan_ctl(const char *buf, size_t i, size_t len)
{
#if defined(__SSE2__)
	/* Sixteen bytes at a time: c < 0x20 (unsigned) iff min(c, 0x1f) == c. */
	const __m128i lim = _mm_set1_epi8(0x1f);
	while (i + 16 <= len) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(buf + i));
		unsigned mk = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, lim), x));
		if (mk)
			return i + (unsigned)__builtin_ctz(mk);
		i += 16;
	}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (i + 8 <= len) {
		uint64_t x, t;
		memcpy(&x, buf + i, 8);
		/* High bit set in each byte < 0x20 (bytes >= 0x80 masked by ~x);
		 * a borrow can only mark bytes above a true hit, so the lowest
		 * marked byte is the first control byte. */
		t = (x - 0x2020202020202020ULL) & ~x & 0x8080808080808080ULL;
		if (t)
			return i + ((unsigned)__builtin_ctzll(t) >> 3);
		i += 8;
	}
#endif
	while (i < len && (unsigned char)buf[i] >= 0x20)
		i++;
	return i;
}

/*
 * First index >= i in buf[0..len) holding ':' or a control byte, or len:
 * where a header name ends, in one pass for the usual line.
 */
static inline size_t scan_colon(const char *buf, size_t i, size_t len)
{
#if defined(__SSE2__)
	const __m128i lim = _mm_set1_epi8(0x1f), colon = _mm_set1_epi8(':');
	while (i + 16 <= len) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(buf + i));
		__m128i hit =
		    _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, lim), x), _mm_cmpeq_epi8(x, colon));
		unsigned mk = (unsigned)_mm_movemask_epi8(hit);
		if (mk)
			return i + (unsigned)__builtin_ctz(mk);
		i += 16;
	}
#endif
	while (i < len && buf[i] != ':' && (unsigned char)buf[i] >= 0x20)
		i++;
	return i;
}

/* 1 if the NUL at pos is the second byte of a quoted-pair inside a
 * quoted-string of the header value starting at vs (RFC 4475 intmeth). */
static int nul_is_quoted_pair(const char *buf, size_t vs, size_t pos)
{
	int inq = 0;
	for (size_t k = vs; k < pos; k++) {
		if (inq && buf[k] == '\\') {
			if (k + 1 == pos)
				return 1;
			k++;
			continue;
		}
		if (buf[k] == '"')
			inq = !inq;
	}
	return 0;
}

int sip_parse(const char *buf, size_t len, struct sip_msg *m, struct sip_header *hdrs,
	      size_t hdr_cap, unsigned flags)
{
	size_t i = 0, ls, le, hs;
	const struct sip_header *cl = NULL, *ct = NULL; /* first of each, for index_headers() */
	const int dgram = (flags & SIP_PARSE_DATAGRAM) != 0;
	const int index = (flags & SIP_PARSE_INDEX) != 0;

	memset(m, 0, sizeof(*m));
	m->base = buf;
	m->hdrs = hdrs;
	m->hdr_cap = (uint16_t)(hdr_cap > 65535 ? 65535 : hdr_cap);
	m->max_forwards = -1;
	m->expires = -1;
	m->content_length = -1;
	if (len > 0x7fffffff) {
		/* The return value is an int; nothing that large is one message. */
		anom(m, ANOM_SIP_MESSAGE_TOO_LARGE, 0);
		return -1;
	}

	/* RFC 3261 §7.5: CRLFs before the start line are ignored. */
	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	/* Start line. */
	ls = i;
	i = scan_ctl(buf, i, len);
	while (i < len && buf[i] != '\n') {
		if (buf[i] == '\0')
			anom(m, ANOM_SIP_NUL_BYTE, (uint32_t)i);
		i = scan_ctl(buf, i + 1, len);
	}
	if (i >= len) {
		if (!dgram) {
			if (i - ls > SIP_MAX_LINE ||
			    !sip_probe_prefix((const uint8_t *)buf + ls, i - ls)) {
				anom(m,
				     i - ls > SIP_MAX_LINE ? ANOM_SIP_LINE_TOO_LONG
							   : ANOM_SIP_BAD_START_LINE,
				     (uint32_t)ls);
				return -1;
			}
			return -2;
		}
		/* A datagram is all there is: its end ends the line. */
		anom(m, ANOM_SIP_NO_HEADER_END, (uint32_t)len);
	}
	le = i;
	if (i < len) {
		if (le > ls && buf[le - 1] == '\r')
			le--;
		else
			anom(m, ANOM_SIP_BARE_LF, (uint32_t)le);
	}
	if (le - ls > SIP_MAX_LINE) {
		anom(m, ANOM_SIP_LINE_TOO_LONG, (uint32_t)ls);
		return -1;
	}
	if (parse_start_line(m, sw_str_make(buf + ls, le - ls), index) != 0) {
		anom(m, ANOM_SIP_BAD_START_LINE, (uint32_t)ls);
		return -1;
	}
	hs = i;
	if (i >= len)
		goto eof;
	i++; /* past '\n' */

	/* Header lines up to the empty line. */
	for (;;) {
		size_t n, ne, he, vs;
		int good, id = SIP_H_OTHER;
		hs = i;
		if (i >= len)
			goto eof;
		if (buf[i] == '\r') {
			if (i + 1 >= len)
				goto eof;
			if (buf[i + 1] == '\n') {
				i += 2;
				break;
			}
		} else if (buf[i] == '\n') {
			anom(m, ANOM_SIP_BARE_LF, (uint32_t)i);
			i++;
			break;
		}
		/* field-name HCOLON: token, optional SP/HTAB, ':'. The usual
		 * line has a ':' before any control byte: the name is what
		 * precedes it, less SP/HTAB. A known name needs no token check:
		 * header_id_inl() matched each of its bytes, | 0x20, against a
		 * letter or '-', and the only non-token byte that folds onto
		 * one is CR, which scan_colon() stops at. Another name is
		 * checked byte by byte. Either way good is what the byte loop
		 * below (the other lines) finds: tokens, SP/HTAB, then ':'. */
		n = scan_colon(buf, i, len);
		if (n < len && buf[n] == ':') {
			ne = n;
			while (ne > hs && is_ws(buf[ne - 1]))
				ne--;
			id = header_id_inl(buf + hs, (uint32_t)(ne - hs));
			if (id != SIP_H_OTHER) {
				good = 1;
			} else {
				size_t k = hs;
				while (k < ne && is_tok((unsigned char)buf[k]))
					k++;
				good = ne > hs && k == ne;
			}
		} else {
			n = i;
			while (n < len && is_tok((unsigned char)buf[n]))
				n++;
			ne = n;
			while (n < len && is_ws(buf[n]))
				n++;
			if (n >= len)
				goto eof;
			good = ne > hs && buf[n] == ':';
			if (good)
				id = header_id_raw(buf + hs, (uint32_t)(ne - hs));
		}
		vs = good ? n + 1 : hs;
		/* The rest of the logical line, folds included. */
		i = vs;
		for (;;) {
			char c;
			i = scan_ctl(buf, i, len);
			if (i >= len)
				break;
			c = buf[i];
			if (c == '\r' && i + 1 < len && buf[i + 1] == '\n')
				c = buf[++i]; /* CRLF: on to its LF */
			if (c == '\n') {
				if (buf[i - 1] != '\r')
					anom(m, ANOM_SIP_BARE_LF, (uint32_t)i);
				if (i + 1 >= len) {
					if (!dgram)
						i = len; /* cannot tell whether a fold follows */
					break;
				}
				if (is_ws(buf[i + 1])) {
					i += 2; /* fold: the line goes on */
					continue;
				}
				break;
			}
			if (c == '\r') {
				if (i + 1 >= len) {
					i = len;
					break;
				}
				if (buf[i + 1] != '\n')
					anom(m, ANOM_SIP_BARE_CR, (uint32_t)i);
			} else if (c == '\0') {
				if (!good || !nul_is_quoted_pair(buf, vs, i))
					anom(m, ANOM_SIP_NUL_BYTE, (uint32_t)i);
			}
			i++;
		}
		he = i; /* at '\n', or len if the data ended inside the line */
		if (he - hs > SIP_MAX_LINE) {
			anom(m, ANOM_SIP_LINE_TOO_LONG, (uint32_t)hs);
			return -1;
		}
		if (he >= len && !dgram)
			goto eof;
		i = he + 1;
		if (!good) {
			anom(m, ANOM_SIP_BAD_HEADER_LINE, (uint32_t)hs);
		} else if (m->n_hdrs >= m->hdr_cap) {
			anom(m, ANOM_SIP_TOO_MANY_HEADERS, (uint32_t)hs);
			return -1;
		} else {
			struct sip_header *h = &hdrs[m->n_hdrs++];
			h->name = sw_str_make(buf + hs, ne - hs);
			h->value = trim(sw_str_make(buf + vs, he - vs));
			h->id = (uint8_t)id;
			if (m->hdr_count[id] < 65535)
				m->hdr_count[id]++;
			if (id == SIP_H_CONTENT_LENGTH && !cl)
				cl = h;
			else if (id == SIP_H_CONTENT_TYPE && !ct)
				ct = h;
		}
		if (he >= len)
			goto eof; /* datagram: the last line had no line end */
	}
	m->hdr_len = (uint32_t)i;
	if (index)
		index_headers(m, cl, ct);
	else
		decode_headers(m);

	/* Body (RFC 3261 §18.3). */
	size_t avail = len - i, blen;
	if (m->content_length >= 0) {
		if ((uint64_t)m->content_length > avail) {
			if (!dgram) {
				if (i - ls + (uint64_t)m->content_length > SIP_MAX_MSG) {
					anom(m, ANOM_SIP_MESSAGE_TOO_LARGE, m->hdr_len);
					return -1;
				}
				return -2;
			}
			anom(m, ANOM_SIP_CONTENT_LENGTH_MISMATCH, m->hdr_len);
			blen = avail;
		} else {
			blen = (size_t)m->content_length;
		}
	} else if (!dgram) {
		/* Required on streams: without it the body cannot be framed. */
		anom(m, ANOM_SIP_MISSING_CONTENT_LENGTH, m->hdr_len);
		blen = 0;
	} else {
		blen = avail;
	}
	if (!dgram && i - ls + blen > SIP_MAX_MSG) {
		anom(m, ANOM_SIP_MESSAGE_TOO_LARGE, m->hdr_len);
		return -1;
	}
	m->body = sw_str_make(buf + i, blen);
	m->len = (uint32_t)(i + blen);
	if (blen && !m->content_type.len)
		anom(m, ANOM_SIP_EMPTY_CONTENT_TYPE, m->hdr_len);
	/* Bytes after the body in a datagram: another message, or garbage. A
	 * UAS discards them (RFC 3261 §18.3, RFC 4475 dblreq); sipwire flags
	 * them, and leaves a following SIP message for the next call. */
	if (dgram && m->len < len) {
		size_t k = m->len;
		while (k < len &&
		       (buf[k] == '\r' || buf[k] == '\n' || buf[k] == ' ' || buf[k] == '\t'))
			k++;
		if (k < len && sip_probe((const uint8_t *)buf + k, len - k)) {
			anom(m, ANOM_SIP_MULTIPLE_MESSAGES, (uint32_t)k);
		} else {
			if (k < len)
				anom(m, ANOM_SIP_CONTENT_LENGTH_MISMATCH, (uint32_t)k);
			m->len = (uint32_t)len; /* trailing junk belongs to this message */
		}
	}
	return (int)m->len;

eof:
	/* The data ended inside the header section. */
	if (dgram) {
		/* The datagram is all there is: keep what is there, say so. */
		anom(m, ANOM_SIP_NO_HEADER_END, (uint32_t)len);
		m->hdr_len = (uint32_t)len;
		m->len = (uint32_t)len;
		m->body = sw_str_make(buf + len, 0);
		if (index)
			index_headers(m, cl, ct);
		else
			decode_headers(m);
		return (int)len;
	}
	if (len - hs > SIP_MAX_LINE) {
		anom(m, ANOM_SIP_LINE_TOO_LONG, (uint32_t)hs);
		return -1;
	}
	if (len - ls > SIP_MAX_MSG) {
		anom(m, ANOM_SIP_MESSAGE_TOO_LARGE, (uint32_t)ls);
		return -1;
	}
	return -2;
}
