/*
 * sip_parse.h - zero-copy SIP message parser (RFC 3261 §7, §20, §25).
 *
 * Shape of picohttpparser: no allocation; every field is an sw_str view into
 * the caller's buffer; the caller supplies the header array and its
 * capacity. Header values are raw (they may contain folded CRLF SP
 * sequences); use sip_unfold() when copying one out.
 *
 * Malformed input never aborts the parse of what can be parsed: problems are
 * recorded as named anomalies (anomaly_sip.def) in msg->anom[] with the byte
 * offset where they were found, and the parse returns -1 only when the
 * message cannot be framed at all (no valid start line, header section
 * broken beyond recovery, limits exceeded).
 */
#ifndef SW_SIP_PARSE_H
#define SW_SIP_PARSE_H

#include "common.h"

/* Hard limits (also enforced in stream framing). */
#define SIP_MAX_HEADERS_DEFAULT 128
#define SIP_MAX_LINE 8192               /* one header line, unfolded length */
#define SIP_MAX_MSG 65535               /* whole message incl. body */
#define SIP_MAX_ANOM 16

enum sip_method {
	SIP_M_UNKNOWN = 0, /* syntactically valid extension method */
	SIP_M_INVITE,
	SIP_M_ACK,
	SIP_M_BYE,
	SIP_M_CANCEL,
	SIP_M_OPTIONS,
	SIP_M_REGISTER,
	SIP_M_PRACK,
	SIP_M_SUBSCRIBE,
	SIP_M_NOTIFY,
	SIP_M_PUBLISH,
	SIP_M_INFO,
	SIP_M_REFER,
	SIP_M_MESSAGE,
	SIP_M_UPDATE,
	SIP_M__COUNT
};

/* Headers the parser recognises by long or compact name (RFC 3261 §7.3.3,
 * RFC 3265, RFC 3515, RFC 3841 compact forms included). */
enum sip_hdr {
	SIP_H_OTHER = 0,
	SIP_H_VIA,              /* v */
	SIP_H_FROM,             /* f */
	SIP_H_TO,               /* t */
	SIP_H_CALL_ID,          /* i */
	SIP_H_CSEQ,
	SIP_H_CONTACT,          /* m */
	SIP_H_MAX_FORWARDS,
	SIP_H_EXPIRES,
	SIP_H_CONTENT_TYPE,     /* c */
	SIP_H_CONTENT_LENGTH,   /* l */
	SIP_H_CONTENT_ENCODING, /* e */
	SIP_H_USER_AGENT,
	SIP_H_SERVER,
	SIP_H_AUTHORIZATION,
	SIP_H_PROXY_AUTHORIZATION,
	SIP_H_WWW_AUTHENTICATE,
	SIP_H_PROXY_AUTHENTICATE,
	SIP_H_ROUTE,
	SIP_H_RECORD_ROUTE,
	SIP_H_REQUIRE,
	SIP_H_PROXY_REQUIRE,
	SIP_H_SUPPORTED,        /* k */
	SIP_H_ALLOW,
	SIP_H_EVENT,            /* o */
	SIP_H_SUBJECT,          /* s */
	SIP_H_REFER_TO,         /* r */
	SIP_H_REFERRED_BY,      /* b */
	SIP_H_ACCEPT,
	SIP_H_ACCEPT_CONTACT,   /* a */
	SIP_H_SESSION_EXPIRES,  /* x */
	SIP_H_DATE,
	SIP_H_MIN_EXPIRES,
	SIP_H_UNSUPPORTED,
	SIP_H_WARNING,
	SIP_H_P_ASSERTED_IDENTITY,
	SIP_H__COUNT
};

enum sip_scheme { SIP_SCHEME_NONE = 0, SIP_SCHEME_SIP, SIP_SCHEME_SIPS, SIP_SCHEME_TEL, SIP_SCHEME_OTHER };

struct sip_header {
	sw_str name;   /* as written (may be compact) */
	sw_str value;  /* raw, leading/trailing LWS trimmed, may contain folds */
	uint8_t id;    /* enum sip_hdr */
};

struct sip_uri {
	sw_str raw;        /* the whole URI */
	uint8_t scheme;    /* enum sip_scheme */
	sw_str scheme_str;
	sw_str user;       /* userinfo user part (tel: the number) */
	sw_str password;
	sw_str host;       /* IPv6 references keep their brackets */
	sw_str port_str;
	uint16_t port;     /* 0 if absent */
	uint8_t host_is_ip;/* 4, 6 or 0 (hostname) */
	sw_str params;     /* ";a=b;c" without the leading ';' */
	sw_str headers;    /* "?x=y" part without '?' */
	sw_str transport;  /* value of transport= param, if any */
	sw_str user_param; /* value of user= param, if any */
	sw_str maddr;      /* value of maddr= param, if any */
	uint8_t lr;        /* lr param present (loose routing; escaped forms too) */
};

/* name-addr / addr-spec with header params: From, To, Contact, Route... */
struct sip_nameaddr {
	sw_str raw;
	sw_str display;    /* without quotes; escapes left as written */
	struct sip_uri uri;
	sw_str tag;        /* tag= param value */
	sw_str params;     /* header params after the URI, without leading ';' */
	sw_str expires;    /* Contact expires= param */
	uint8_t star;      /* Contact: * */
};

struct sip_via {
	sw_str raw;
	sw_str protocol;   /* "SIP/2.0" */
	sw_str transport;  /* UDP, TCP, TLS, SCTP, WS, WSS... */
	sw_str host;
	uint16_t port;
	sw_str branch, received, rport, maddr, ttl;
	uint8_t has_rport; /* rport present, with or without value */
	sw_str proto_name;    /* "SIP" (protocol above keeps any LWS around '/') */
	sw_str proto_version; /* "2.0" */
};

struct sip_cseq {
	uint32_t num;
	sw_str method;
	uint8_t method_id; /* enum sip_method */
	uint8_t valid;
};

/* Authorization / Proxy-Authorization / WWW- / Proxy-Authenticate. */
struct sip_auth {
	uint8_t present;
	uint8_t proxy;     /* the Proxy- form */
	sw_str raw;
	sw_str scheme;     /* "Digest" */
	sw_str username, realm, nonce, uri, response, qop, nc, cnonce, algorithm, opaque, stale;
};

struct sip_msg {
	const char *base;
	uint32_t len;        /* bytes of this message incl. body (as consumed) */
	uint32_t hdr_len;    /* start line + headers + empty line */

	uint8_t is_request;
	/* Request. */
	sw_str method;
	uint8_t method_id;   /* enum sip_method */
	sw_str ruri_raw;
	struct sip_uri ruri;
	/* Response. */
	uint16_t status;
	sw_str reason;
	/* Both. */
	sw_str version;      /* "SIP/2.0" */
	sw_str start_line;   /* request line or status line, without CRLF */

	struct sip_header *hdrs;
	uint16_t n_hdrs;
	uint16_t hdr_cap;
	uint16_t hdr_count[SIP_H__COUNT]; /* occurrences per known header */

	/* Decoded key headers (first occurrence; Via = topmost). */
	struct sip_via via;
	uint16_t n_via;      /* Via values including comma-separated ones */
	struct sip_nameaddr from, to, contact;
	uint16_t n_contact;
	sw_str call_id;
	struct sip_cseq cseq;
	int32_t max_forwards;   /* -1 absent */
	int64_t expires;        /* -1 absent */
	int64_t content_length; /* -1 absent */
	sw_str content_type;
	sw_str user_agent;
	sw_str server;
	struct sip_auth authz;     /* Authorization, else Proxy-Authorization */
	struct sip_auth challenge; /* WWW-Authenticate, else Proxy-Authenticate */

	sw_str body;

	uint16_t anom[SIP_MAX_ANOM];
	uint32_t anom_off[SIP_MAX_ANOM]; /* byte offset in the message */
	uint8_t n_anom;

	/* Internal to sip_parse()/sip_decode(): the work an SIP_PARSE_INDEX
	 * parse left for sip_decode(), and where in anom[] its anomalies go.
	 * Both 0 after an eager parse and after sip_decode(). */
	uint8_t pending;
	uint8_t anom_mark[3];
};

/* sip_parse flags */
#define SIP_PARSE_DATAGRAM 0x1 /* UDP: a missing Content-Length means "rest of
                                  datagram"; a larger one is an anomaly
                                  (content_length_mismatch), not incomplete */
#define SIP_PARSE_STREAM   0x2 /* TCP/TLS: Content-Length required; a body
                                  shorter than it returns -2 */
#define SIP_PARSE_INDEX    0x4 /* index only; sip_decode() does the rest */

/*
 * Parses one SIP message at buf[0..len). hdrs/hdr_cap is the caller's header
 * array; m's views point into buf and hdrs. Returns:
 *   > 0  bytes consumed by a complete message (CRLFs before the start line
 *        included);
 *   -2   STREAM only: more bytes are needed (every strict prefix of a valid
 *        message gives -2);
 *   -1   not a SIP message that can be framed: no valid start line, a line
 *        over SIP_MAX_LINE, more headers than hdr_cap, or (STREAM) a message
 *        over SIP_MAX_MSG. m->anom says why.
 * DATAGRAM never returns -2: a datagram that ends inside the header section
 * is parsed as far as it goes (sip.no_header_terminator). If a datagram
 * holds bytes after the message's body and they start another SIP message,
 * the return stops before them (sip.multiple_messages): call again at
 * buf + consumed. Other trailing bytes are counted in this message
 * (sip.content_length_mismatch). A UAS would discard both (RFC 3261 §18.3).
 */
int sip_parse(const char *buf, size_t len, struct sip_msg *m, struct sip_header *hdrs,
              size_t hdr_cap, unsigned flags);

/*
 * Two-step parsing. With SIP_PARSE_INDEX, sip_parse() does only what
 * picohttpparser does plus what framing needs, and returns the same value
 * as without it:
 *   - the start line split: method, method_id, ruri_raw (not its structure:
 *     m->ruri stays zero), version; or status and reason; start_line;
 *   - every header line indexed: name, trimmed value, id, hdr_count[];
 *   - Content-Length decoded into content_length (with sip.bad_content_length
 *     and sip.duplicate_header for a conflicting second one), the first
 *     Content-Type into content_type, and the body;
 *   - every anomaly of the line tokeniser, of the start line's shape and of
 *     the body's framing.
 * The other decoded fields (ruri, via, n_via, from, to, contact, n_contact,
 * call_id, cseq, max_forwards, expires, user_agent, server, authz,
 * challenge) keep their initial values, and their anomalies are not raised.
 *
 * sip_decode() then does the rest: the Request-URI's structure and the
 * header decoding, with their anomalies put in anom[] where an eager parse
 * raises them. sip_parse(f | SIP_PARSE_INDEX) followed by sip_decode() leaves
 * *m identical, field by field, anom[] order and offsets included, to
 * sip_parse(f), whatever sip_parse() returned. It reads m->base and m->hdrs:
 * the buffer and the header array must still be there, unchanged. A no-op
 * on a message parsed without SIP_PARSE_INDEX or already decoded.
 */
void sip_decode(struct sip_msg *m);

/* Sub-parsers, usable on any header value. 0 on success, -1 malformed. */
int sip_parse_uri(sw_str s, struct sip_uri *u);
int sip_parse_nameaddr(sw_str s, struct sip_nameaddr *na);
int sip_parse_via(sw_str s, struct sip_via *v);
int sip_parse_auth(sw_str s, struct sip_auth *a);

/* enum sip_method for a method token (case-sensitive per RFC 3261). */
int sip_method_id(sw_str s);
const char *sip_method_name(int id);
/* enum sip_hdr for a header name, long or compact, case-insensitive. */
int sip_header_id(sw_str name);
/* Canonical long name of a known header ("Call-ID"), NULL for OTHER. */
const char *sip_header_name(int id);

/* Next header with that id after `after` (NULL: from the start); NULL if none. */
const struct sip_header *sip_find_header(const struct sip_msg *m, int id,
                                         const struct sip_header *after);
/* Same by name (long or compact forms of known headers both match). */
const struct sip_header *sip_find_header_name(const struct sip_msg *m, sw_str name,
                                              const struct sip_header *after);

/*
 * Copies s into out (cap bytes, NUL-terminated), replacing each fold
 * (CRLF followed by SP/HTAB, and the surrounding LWS) by one SP. Returns the
 * length written.
 */
size_t sip_unfold(sw_str s, char *out, size_t cap);

/*
 * Content sniffing: 1 if buf starts like a SIP request line ("METHOD uri
 * SIP/2.0") or status line ("SIP/2.0 ddd "), 0 otherwise. HTTP, SSDP
 * ("M-SEARCH * HTTP/1.1", "NOTIFY * HTTP/1.1") and RTSP are not SIP.
 */
int sip_probe(const uint8_t *buf, size_t len);

/*
 * For stream resynchronisation: 1 if buf[0..len), which holds no complete
 * line, could still grow into a SIP start line (a method token or "SIP/"
 * so far, no byte a start line cannot hold), 0 if it never can.
 */
int sip_probe_prefix(const uint8_t *buf, size_t len);

#endif
