/*
 * detect_sip.c - SIP and SDP inspection buffers and the SIP match keywords.
 *
 * Suricata's sticky buffers (sip.method, sip.uri, sip.request_line,
 * sip.stat_code, sip.stat_msg, sip.response_line, sip.protocol, sip.from,
 * sip.to, sip.via, sip.user_agent, sip.content_type, sip.content_length,
 * sdp.*) and frames (frame:pdu, request.line/headers/body,
 * response.line/headers/body); sipwire's own buffers (sip.call_id,
 * sip.cseq, sip.contact, sip.authorization, sip.headers, sip.body,
 * sip.header:<name>); Snort 3's sip_method, sip_stat_code (match
 * keywords) and sip_header, sip_body (sticky buffers).
 *
 * Header buffers are multi-instance: one instance per occurrence of the
 * header (long and compact names alike, e.g. "f:" is sip.from), so a rule
 * matches when any occurrence does (RFC 3261 allows repeated headers, and
 * an attacker can repeat one to hide behind the first).
 *
 * Every buffer is a view into the message as received: nothing is copied.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "sdp_parse.h"
#include "sip_parse.h"

static int set(const uint8_t **p, uint32_t *len, sw_str s)
{
	*p = (const uint8_t *)s.p;
	*len = s.len;
	return 1;
}

/*
 * The body as inspected: over UDP a Content-Length shorter than the
 * datagram leaves bytes that RFC 3261 §18.3 says to discard, but lenient
 * user agents read them (and an attacker can hide there behind a short
 * Content-Length), so the inspected body runs to the end of what the
 * parser counted as this message - as Suricata inspects it.
 */
static sw_str insp_body(const struct sip_msg *s)
{
	const char *end = s->base + s->len;
	if (!s->body.p || s->body.p > end)
		return s->body;
	return sw_str_make(s->body.p, (size_t)(end - s->body.p));
}

/* ---- start line ---- */

static int get_method(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                      uint32_t *len, struct det_thread *t)
{
	return idx == 0 && m->sip->is_request ? set(p, len, m->sip->method) : 0;
}

static int get_uri(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                   uint32_t *len, struct det_thread *t)
{
	return idx == 0 && m->sip->is_request ? set(p, len, m->sip->ruri_raw) : 0;
}

static int get_request_line(const struct det_msg *m, unsigned id, uint32_t idx,
                            const uint8_t **p, uint32_t *len, struct det_thread *t)
{
	return idx == 0 && m->sip->is_request ? set(p, len, m->sip->start_line) : 0;
}

static int get_response_line(const struct det_msg *m, unsigned id, uint32_t idx,
                             const uint8_t **p, uint32_t *len, struct det_thread *t)
{
	return idx == 0 && !m->sip->is_request ? set(p, len, m->sip->start_line) : 0;
}

static int get_stat_code(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                         uint32_t *len, struct det_thread *t)
{
	/* The three digits after "SIP/2.0 " in the status line. */
	sw_str l = m->sip->start_line;
	if (idx || m->sip->is_request || m->sip->version.len + 4 > l.len)
		return 0;
	return set(p, len, sw_str_make(l.p + m->sip->version.len + 1, 3));
}

static int get_stat_msg(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                        uint32_t *len, struct det_thread *t)
{
	return idx == 0 && !m->sip->is_request ? set(p, len, m->sip->reason) : 0;
}

static int get_protocol(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                        uint32_t *len, struct det_thread *t)
{
	return idx == 0 ? set(p, len, m->sip->version) : 0;
}

/* ---- headers ---- */

/* idx-th occurrence of header hid (enum sip_hdr). */
static int nth_header(const struct sip_msg *s, int hid, uint32_t idx, const uint8_t **p,
                      uint32_t *len)
{
	const struct sip_header *h = NULL;
	if (s->hdr_count[hid] <= idx)
		return 0;
	for (uint32_t k = 0; k <= idx; k++)
		if (!(h = sip_find_header(s, hid, h)))
			return 0;
	return set(p, len, h->value);
}

#define HDR_GETTER(fn, hid)                                                                    \
	static int fn(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,   \
	              uint32_t *len, struct det_thread *t)                                     \
	{                                                                                      \
		return nth_header(m->sip, hid, idx, p, len);                                   \
	}

HDR_GETTER(get_from, SIP_H_FROM)
HDR_GETTER(get_to, SIP_H_TO)
HDR_GETTER(get_via, SIP_H_VIA)
HDR_GETTER(get_user_agent, SIP_H_USER_AGENT)
HDR_GETTER(get_content_type, SIP_H_CONTENT_TYPE)
HDR_GETTER(get_content_length, SIP_H_CONTENT_LENGTH)
HDR_GETTER(get_call_id, SIP_H_CALL_ID)
HDR_GETTER(get_cseq, SIP_H_CSEQ)
HDR_GETTER(get_contact, SIP_H_CONTACT)
HDR_GETTER(get_server, SIP_H_SERVER)

/* User parts of the decoded URIs (first From/To, the Request-URI) and the
 * username of the first Authorization/Proxy-Authorization. */
static int get_from_user(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                         uint32_t *len, struct det_thread *t)
{
	return idx == 0 && m->sip->from.uri.user.len ? set(p, len, m->sip->from.uri.user) : 0;
}

static int get_to_user(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                       uint32_t *len, struct det_thread *t)
{
	return idx == 0 && m->sip->to.uri.user.len ? set(p, len, m->sip->to.uri.user) : 0;
}

static int get_ruri_user(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                         uint32_t *len, struct det_thread *t)
{
	return idx == 0 && m->sip->is_request && m->sip->ruri.user.len
	               ? set(p, len, m->sip->ruri.user)
	               : 0;
}

static int get_auth_user(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                         uint32_t *len, struct det_thread *t)
{
	return idx == 0 && m->sip->authz.present && m->sip->authz.username.len
	               ? set(p, len, m->sip->authz.username)
	               : 0;
}

/* Authorization, then Proxy-Authorization occurrences. */
static int get_authorization(const struct det_msg *m, unsigned id, uint32_t idx,
                             const uint8_t **p, uint32_t *len, struct det_thread *t)
{
	uint32_t na = m->sip->hdr_count[SIP_H_AUTHORIZATION];
	if (idx < na)
		return nth_header(m->sip, SIP_H_AUTHORIZATION, idx, p, len);
	return nth_header(m->sip, SIP_H_PROXY_AUTHORIZATION, idx - na, p, len);
}

/* The header section: from the first header line to the CRLF ending the
 * last one (the empty line excluded). Suricata's request/response.headers
 * frame, Snort's sip_header. */
static sw_str header_section(const struct sip_msg *s)
{
	const char *b, *e;
	if (!s->n_hdrs)
		return sw_str_make(s->base, 0);
	b = s->hdrs[0].name.p;
	e = s->base + s->hdr_len;
	/* hdr_len includes the empty line; drop it (CRLF or bare LF). */
	if (e - b >= 2 && e[-1] == '\n' && e[-2] == '\r')
		e -= 2;
	else if (e - b >= 1 && e[-1] == '\n')
		e -= 1;
	if (e < b)
		e = b;
	return sw_str_make(b, (size_t)(e - b));
}

static int get_headers(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                       uint32_t *len, struct det_thread *t)
{
	return idx == 0 ? set(p, len, header_section(m->sip)) : 0;
}

static int get_body(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                    uint32_t *len, struct det_thread *t)
{
	return idx == 0 ? set(p, len, insp_body(m->sip)) : 0;
}

/* sip.header:<name> - the buffer name carries the header name. */
static int get_named_header(const struct det_msg *m, unsigned id, uint32_t idx,
                            const uint8_t **p, uint32_t *len, struct det_thread *t)
{
	const char *bn = detect_buf_name(id);
	const char *colon = bn ? strchr(bn, ':') : NULL;
	const struct sip_header *h = NULL;
	sw_str name;
	if (!colon)
		return 0;
	name = sw_str_make(colon + 1, strlen(colon + 1));
	for (uint32_t k = 0; k <= idx; k++)
		if (!(h = sip_find_header_name(m->sip, name, h)))
			return 0;
	return set(p, len, h->value);
}

/* ---- frames (Suricata 7) ---- */

static sw_str frame_line(const struct sip_msg *s)
{
	/* The start line with its line end. */
	const char *b = s->start_line.p, *e = b + s->start_line.len;
	const char *end = s->base + s->len;
	if (e < end && *e == '\r')
		e++;
	if (e < end && *e == '\n')
		e++;
	return sw_str_make(b, (size_t)(e - b));
}

/* frame buffers are named frame:<dir>.<part>; a request frame never
 * matches a response and vice versa. */
static int get_frame(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                     uint32_t *len, struct det_thread *t)
{
	const char *bn = detect_buf_name(id) + 6; /* after "frame:" */
	const struct sip_msg *s = m->sip;
	if (idx)
		return 0;
	if (strcmp(bn, "pdu") == 0)
		return set(p, len, sw_str_make(s->start_line.p, (size_t)(s->base + s->len - s->start_line.p)));
	if ((strncmp(bn, "request.", 8) == 0) != (s->is_request != 0))
		return 0;
	bn = strchr(bn, '.') + 1;
	if (strcmp(bn, "line") == 0)
		return set(p, len, frame_line(s));
	if (strcmp(bn, "headers") == 0)
		return set(p, len, header_section(s));
	return insp_body(s).len ? set(p, len, insp_body(s)) : 0;
}

/* ---- SDP ---- */

/*
 * idx-th line of type c ('o', 'a', ...) in the SDP body: at session level
 * (media < 0: before the first m= line) or inside any media section
 * (media >= 0; instances run across sections in order).
 */
static int sdp_line(const struct det_msg *m, char c, int media, uint32_t idx, const uint8_t **p,
                    uint32_t *len)
{
	const char *b, *end;
	int in_media = 0;
	if (!m->sdp)
		return 0;
	b = insp_body(m->sip).p;
	end = b + insp_body(m->sip).len;
	while (b < end) {
		const char *nl = memchr(b, '\n', (size_t)(end - b));
		const char *le = nl ? nl : end;
		const char *v = b + 2;
		if (le > b && le[-1] == '\r')
			le--;
		if (le - b >= 2 && b[1] == '=') {
			if (b[0] == 'm')
				in_media = 1;
			if (b[0] == c && (media < 0 ? !in_media : in_media) && idx-- == 0)
				return set(p, len, sw_str_make(v, (size_t)(le - v)));
		}
		b = nl ? nl + 1 : end;
	}
	return 0;
}

struct sdp_buf {
	const char *name;
	char line;
	int media;
};

static const struct sdp_buf sdp_bufs[] = {
	{ "sdp.origin", 'o', -1 },          { "sdp.session_name", 's', -1 },
	{ "sdp.session_info", 'i', -1 },    { "sdp.uri", 'u', -1 },
	{ "sdp.email", 'e', -1 },           { "sdp.phone_number", 'p', -1 },
	{ "sdp.connection_data", 'c', -1 }, { "sdp.bandwidth", 'b', -1 },
	{ "sdp.time", 't', -1 },            { "sdp.repeat_time", 'r', -1 },
	{ "sdp.timezone", 'z', -1 },        { "sdp.encryption_key", 'k', -1 },
	{ "sdp.attribute", 'a', -1 },       { "sdp.media.media", 'm', 1 },
	{ "sdp.media.media_info", 'i', 1 }, { "sdp.media.connection_data", 'c', 1 },
	{ "sdp.media.encryption_key", 'k', 1 }, { "sdp.media.bandwidth", 'b', 1 },
	{ "sdp.media.attribute", 'a', 1 },
};

static int get_sdp(const struct det_msg *m, unsigned id, uint32_t idx, const uint8_t **p,
                   uint32_t *len, struct det_thread *t)
{
	const char *bn = detect_buf_name(id);
	for (size_t k = 0; k < SW_ARRAY_SIZE(sdp_bufs); k++)
		if (strcmp(bn, sdp_bufs[k].name) == 0)
			return sdp_line(m, sdp_bufs[k].line, sdp_bufs[k].media, idx, p, len);
	return 0;
}

/* ---- registration tables ---- */

struct sipbuf {
	const char *name;
	det_buf_get_fn get;
	const char *help;
};

static const struct sipbuf sip_bufs[] = {
	{ "sip.method", get_method, "request method" },
	{ "sip.uri", get_uri, "Request-URI" },
	{ "sip.request_line", get_request_line, "request line without CRLF" },
	{ "sip.stat_code", get_stat_code, "response status code" },
	{ "sip.stat_msg", get_stat_msg, "response reason phrase" },
	{ "sip.response_line", get_response_line, "status line without CRLF" },
	{ "sip.protocol", get_protocol, "SIP version (SIP/2.0)" },
	{ "sip.from", get_from, "From header value(s) (also f:)" },
	{ "sip.to", get_to, "To header value(s) (also t:)" },
	{ "sip.via", get_via, "Via header value(s) (also v:)" },
	{ "sip.user_agent", get_user_agent, "User-Agent header value(s)" },
	{ "sip.server", get_server, "Server header value(s)" },
	{ "sip.content_type", get_content_type, "Content-Type value(s) (also c:)" },
	{ "sip.content_length", get_content_length, "Content-Length value(s) (also l:)" },
	{ "sip.call_id", get_call_id, "Call-ID value(s) (also i:)" },
	{ "sip.cseq", get_cseq, "CSeq value(s)" },
	{ "sip.contact", get_contact, "Contact value(s) (also m:)" },
	{ "sip.authorization", get_authorization, "Authorization / Proxy-Authorization value(s)" },
	{ "sip.from_user", get_from_user, "user part of the From URI" },
	{ "sip.to_user", get_to_user, "user part of the To URI" },
	{ "sip.ruri_user", get_ruri_user, "user part of the Request-URI (the dialled number)" },
	{ "sip.auth_user", get_auth_user, "username of the Authorization header" },
	{ "sip.headers", get_headers, "all header lines (no start line, no empty line)" },
	{ "sip.body", get_body, "message body" },
};

/* Keywords of the sticky buffers above (same names) and aliases. */
static struct det_kw sip_buf_kws[SW_ARRAY_SIZE(sip_bufs)];

static const struct det_kw kw_alias[] = {
	{ .name = "sip_header", .flags = KW_BUFFER | KW_NOVALUE, .buffer = "sip.headers",
	  .help = "Snort 3: the SIP header section" },
	{ .name = "sip_body", .flags = KW_BUFFER | KW_NOVALUE, .buffer = "sip.body",
	  .help = "Snort 3: the SIP body" },
};

static struct det_kw sdp_buf_kws[SW_ARRAY_SIZE(sdp_bufs)];

/* sip.header:<name> */
static int setup_named_header(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	char name[96];
	int b;
	if (len == 0 || len + 12 >= sizeof(name))
		return rule_errf(e, 0, "header name must be 1 to 80 characters");
	for (uint32_t i = 0; i < len; i++)
		if (!isgraph((unsigned char)val[i]) || val[i] == ':' || val[i] == ';')
			return rule_errf(e, i, "invalid character in header name");
	memcpy(name, "sip.header:", 11);
	for (uint32_t i = 0; i < len; i++)
		name[11 + i] = (char)tolower((unsigned char)val[i]);
	name[11 + len] = '\0';
	b = detect_buf_find(name, 11 + len);
	if (b < 0) {
		char *keep = strdup(name); /* registry entries live for the process */
		if (!keep)
			return rule_errf(e, 0, "out of memory");
		b = detect_buf_register(keep, get_named_header, DBUF_F_SIP);
		if (b < 0) {
			free(keep);
			return rule_errf(e, 0, "too many distinct buffers (sip.header:<name>)");
		}
	}
	return rule_select_buffer(r, (unsigned)b, e);
}

/* frame:<name> */
static int setup_frame(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	char name[48];
	sw_str v = sw_str_make(val, len);
	int b;
	if (len > 4 && memcmp(val, "sip.", 4) == 0)
		v = sw_str_make(val + 4, len - 4);
	if (v.len + 7 > sizeof(name))
		return rule_errf(e, 0, "unknown frame '%.*s'", (int)SW_MIN(len, 32), val);
	memcpy(name, "frame:", 6);
	memcpy(name + 6, v.p, v.len);
	name[6 + v.len] = '\0';
	b = detect_buf_find(name, 6 + v.len);
	if (b < 0)
		return rule_errf(e, 0,
		                 "unknown frame '%.*s' (SIP frames: pdu, request.line, request.headers, "
		                 "request.body, response.line, response.headers, response.body)",
		                 (int)SW_MIN(len, 32), val);
	return rule_select_buffer(r, (unsigned)b, e);
}

/* Snort 3 sip_method:invite,!cancel / sip_stat_code:200,4 */
#define SM_MAX_ITEMS 16
struct list_ctx {
	uint8_t n, neg;
	sw_str item[SM_MAX_ITEMS]; /* methods (points into text below) */
	uint16_t code[SM_MAX_ITEMS];
	char *text;
};

static void list_free(void *p)
{
	struct list_ctx *c = p;
	if (c)
		free(c->text);
	free(c);
}

static int kw_sip_method_id = -1, kw_sip_stat_code_id = -1;

static int parse_list(const char *val, uint32_t len, struct list_ctx *c, int codes,
                      struct rule_err *e)
{
	uint32_t i = 0;
	c->text = strndup(val, len);
	if (!c->text)
		return rule_errf(e, 0, "out of memory");
	while (i < len) {
		uint32_t s = i;
		sw_str tok;
		int neg = 0;
		while (i < len && val[i] != ',')
			i++;
		tok = sw_str_trim(sw_str_make(c->text + s, i - s));
		if (tok.len && tok.p[0] == '!') {
			neg = 1;
			tok = sw_str_trim(sw_str_make(tok.p + 1, tok.len - 1));
		}
		if (!tok.len)
			return rule_errf(e, s, "empty list item");
		if (c->n && neg != c->neg)
			return rule_errf(e, s, "mix of negated and plain items");
		if (c->n >= SM_MAX_ITEMS)
			return rule_errf(e, s, "more than %d items", SM_MAX_ITEMS);
		c->neg = (uint8_t)neg;
		if (codes) {
			uint64_t v;
			if (sw_str_to_u64(tok, 999, &v) != 0 || (v > 9 && v < 100))
				return rule_errf(e, (uint32_t)(tok.p - c->text),
				                 "status code must be 100-999, or 1-9 for a class");
			c->code[c->n] = (uint16_t)v;
		} else {
			for (uint32_t k = 0; k < tok.len; k++)
				if (!isalpha((unsigned char)tok.p[k]) && tok.p[k] != '_' && tok.p[k] != '-')
					return rule_errf(e, (uint32_t)(tok.p - c->text) + k,
					                 "invalid character in method name");
		}
		c->item[c->n++] = tok;
		i++;
	}
	return c->n ? 0 : rule_errf(e, 0, "empty list");
}

static int setup_list(struct rule *r, const char *val, uint32_t len, struct rule_err *e, int codes)
{
	struct list_ctx *c = calloc(1, sizeof(*c));
	int id = codes ? kw_sip_stat_code_id : kw_sip_method_id;
	if (!c)
		return rule_errf(e, 0, "out of memory");
	if (parse_list(val, len, c, codes, e) != 0 ||
	    sm_list_append(&r->match, (unsigned)id, 0, c, e) != 0) {
		list_free(c);
		return -1;
	}
	return 0;
}

static int setup_sip_method(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return setup_list(r, val, len, e, 0);
}

static int setup_sip_stat_code(struct rule *r, const char *val, uint32_t len, struct rule_err *e)
{
	return setup_list(r, val, len, e, 1);
}

static int match_sip_method(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                            const struct sigmatch *sm)
{
	const struct list_ctx *c = sm->ctx;
	int hit = 0;
	if (!m->sip || !m->sip->is_request)
		return 0;
	for (unsigned k = 0; k < c->n && !hit; k++)
		hit = sw_str_eq_str_ci(c->item[k], m->sip->method);
	return hit != c->neg;
}

static int match_sip_stat_code(struct det_thread *t, const struct det_msg *m,
                               const struct rule *r, const struct sigmatch *sm)
{
	const struct list_ctx *c = sm->ctx;
	int hit = 0;
	if (!m->sip || m->sip->is_request)
		return 0;
	for (unsigned k = 0; k < c->n && !hit; k++)
		hit = c->code[k] < 10 ? m->sip->status / 100 == c->code[k]
		                      : m->sip->status == c->code[k];
	return hit != c->neg;
}

static const struct det_kw kw_sip_match[] = {
	{ .name = "sip.header", .flags = KW_VALUE | KW_NEEDS_SIP, .setup = setup_named_header,
	  .help = "sticky buffer: value(s) of the named header (compact forms included)" },
	{ .name = "frame", .flags = KW_VALUE | KW_NEEDS_SIP, .setup = setup_frame,
	  .help = "sticky buffer: a SIP frame (pdu, request.line/headers/body, response.*)" },
	{ .name = "sip_method", .flags = KW_MATCH | KW_VALUE | KW_NEEDS_SIP,
	  .setup = setup_sip_method, .match = match_sip_method, .free = list_free,
	  .help = "Snort 3: request method in a list (invite,cancel or !invite)" },
	{ .name = "sip_stat_code", .flags = KW_MATCH | KW_VALUE | KW_NEEDS_SIP,
	  .setup = setup_sip_stat_code, .match = match_sip_stat_code, .free = list_free,
	  .help = "Snort 3: response code in a list (200,180; 4 = any 4xx)" },
};

static const char *const frame_names[] = {
	"frame:pdu",           "frame:request.line",  "frame:request.headers",
	"frame:request.body",  "frame:response.line", "frame:response.headers",
	"frame:response.body",
};

void detect_sip_register(void)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(sip_bufs); i++) {
		detect_buf_register(sip_bufs[i].name, sip_bufs[i].get, DBUF_F_SIP);
		sip_buf_kws[i].name = sip_bufs[i].name;
		sip_buf_kws[i].flags = KW_BUFFER | KW_NOVALUE | KW_NEEDS_SIP;
		sip_buf_kws[i].buffer = sip_bufs[i].name;
		sip_buf_kws[i].help = sip_bufs[i].help;
		detect_kw_register(&sip_buf_kws[i]);
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(sdp_bufs); i++) {
		detect_buf_register(sdp_bufs[i].name, get_sdp, DBUF_F_SIP);
		sdp_buf_kws[i].name = sdp_bufs[i].name;
		sdp_buf_kws[i].flags = KW_BUFFER | KW_NOVALUE | KW_NEEDS_SIP;
		sdp_buf_kws[i].buffer = sdp_bufs[i].name;
		sdp_buf_kws[i].help = "SDP line value(s)";
		detect_kw_register(&sdp_buf_kws[i]);
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(frame_names); i++)
		detect_buf_register(frame_names[i], get_frame, DBUF_F_SIP);
	for (size_t i = 0; i < SW_ARRAY_SIZE(kw_alias); i++)
		detect_kw_register(&kw_alias[i]);
	for (size_t i = 0; i < SW_ARRAY_SIZE(kw_sip_match); i++) {
		int id = detect_kw_register(&kw_sip_match[i]);
		if (strcmp(kw_sip_match[i].name, "sip_method") == 0)
			kw_sip_method_id = id;
		else if (strcmp(kw_sip_match[i].name, "sip_stat_code") == 0)
			kw_sip_stat_code_id = id;
	}
}
