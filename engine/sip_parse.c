/*
 * sip_parse.c - zero-copy SIP parser (sip_parse.h).
 *
 * One forward pass over the start line and header section; every header
 * becomes a (name, value) view; the headers sipwire needs are then decoded
 * by the sub-parsers below, which all work on views and never read past
 * them. Problems become anomalies with the offset where they were seen.
 */
#include "sip_parse.h"

#include "anomaly.h"

/* RFC 3261 token characters. */
static const uint8_t tok_tab[256] = {
	['!'] = 1, ['%'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['_'] = 1,
	['`'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
	['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
	['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static inline int is_tok(unsigned char c)
{
	return tok_tab[c];
}

static inline int is_ws(char c)
{
	return c == ' ' || c == '\t';
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
	[SIP_M_UNKNOWN] = "UNKNOWN", [SIP_M_INVITE] = "INVITE",     [SIP_M_ACK] = "ACK",
	[SIP_M_BYE] = "BYE",         [SIP_M_CANCEL] = "CANCEL",     [SIP_M_OPTIONS] = "OPTIONS",
	[SIP_M_REGISTER] = "REGISTER", [SIP_M_PRACK] = "PRACK",     [SIP_M_SUBSCRIBE] = "SUBSCRIBE",
	[SIP_M_NOTIFY] = "NOTIFY",   [SIP_M_PUBLISH] = "PUBLISH",   [SIP_M_INFO] = "INFO",
	[SIP_M_REFER] = "REFER",     [SIP_M_MESSAGE] = "MESSAGE",   [SIP_M_UPDATE] = "UPDATE",
};

int sip_method_id(sw_str s)
{
	for (int i = 1; i < SIP_M__COUNT; i++)
		if (sw_str_eq(s, method_names[i]))
			return i;
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
	[SIP_H_VIA] = { "Via", 'v' },
	[SIP_H_FROM] = { "From", 'f' },
	[SIP_H_TO] = { "To", 't' },
	[SIP_H_CALL_ID] = { "Call-ID", 'i' },
	[SIP_H_CSEQ] = { "CSeq", 0 },
	[SIP_H_CONTACT] = { "Contact", 'm' },
	[SIP_H_MAX_FORWARDS] = { "Max-Forwards", 0 },
	[SIP_H_EXPIRES] = { "Expires", 0 },
	[SIP_H_CONTENT_TYPE] = { "Content-Type", 'c' },
	[SIP_H_CONTENT_LENGTH] = { "Content-Length", 'l' },
	[SIP_H_CONTENT_ENCODING] = { "Content-Encoding", 'e' },
	[SIP_H_USER_AGENT] = { "User-Agent", 0 },
	[SIP_H_SERVER] = { "Server", 0 },
	[SIP_H_AUTHORIZATION] = { "Authorization", 0 },
	[SIP_H_PROXY_AUTHORIZATION] = { "Proxy-Authorization", 0 },
	[SIP_H_WWW_AUTHENTICATE] = { "WWW-Authenticate", 0 },
	[SIP_H_PROXY_AUTHENTICATE] = { "Proxy-Authenticate", 0 },
	[SIP_H_ROUTE] = { "Route", 0 },
	[SIP_H_RECORD_ROUTE] = { "Record-Route", 0 },
	[SIP_H_REQUIRE] = { "Require", 0 },
	[SIP_H_PROXY_REQUIRE] = { "Proxy-Require", 0 },
	[SIP_H_SUPPORTED] = { "Supported", 'k' },
	[SIP_H_ALLOW] = { "Allow", 0 },
	[SIP_H_EVENT] = { "Event", 'o' },
	[SIP_H_SUBJECT] = { "Subject", 's' },
	[SIP_H_REFER_TO] = { "Refer-To", 'r' },
	[SIP_H_REFERRED_BY] = { "Referred-By", 'b' },
	[SIP_H_ACCEPT] = { "Accept", 0 },
	[SIP_H_ACCEPT_CONTACT] = { "Accept-Contact", 'a' },
	[SIP_H_SESSION_EXPIRES] = { "Session-Expires", 'x' },
	[SIP_H_DATE] = { "Date", 0 },
	[SIP_H_MIN_EXPIRES] = { "Min-Expires", 0 },
	[SIP_H_UNSUPPORTED] = { "Unsupported", 0 },
	[SIP_H_WARNING] = { "Warning", 0 },
	[SIP_H_P_ASSERTED_IDENTITY] = { "P-Asserted-Identity", 0 },
};

int sip_header_id(sw_str name)
{
	if (name.len == 0)
		return SIP_H_OTHER;
	if (name.len == 1) {
		int c = lc((unsigned char)name.p[0]);
		for (int i = 1; i < SIP_H__COUNT; i++)
			if (hdr_names[i].compact == c)
				return i;
		return SIP_H_OTHER;
	}
	/* Dispatch on length and first letter before comparing. */
	int c0 = lc((unsigned char)name.p[0]);
	for (int i = 1; i < SIP_H__COUNT; i++) {
		const char *n = hdr_names[i].name;
		if ((uint32_t)strlen(n) == name.len && lc((unsigned char)n[0]) == c0 &&
		    sw_str_eq_ci(name, n))
			return i;
	}
	return SIP_H_OTHER;
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
		char c = s.p[i];
		if (c == '\r' || c == '\n') {
			/* A fold: collapse it and the surrounding LWS to one SP. */
			while (o > 0 && is_ws(out[o - 1]))
				o--;
			while (i < s.len && (s.p[i] == '\r' || s.p[i] == '\n' || is_ws(s.p[i])))
				i++;
			out[o++] = ' ';
			continue;
		}
		out[o++] = c;
		i++;
	}
	out[o] = '\0';
	return o;
}

/* ------------------------------------------------------------------ */
/* Small scanners                                                      */

static sw_str sub(sw_str s, uint32_t a, uint32_t b)
{
	sw_str r = { s.p + a, b - a };
	return r;
}

/* Skips LWS including folds. */
static uint32_t skip_lws(sw_str s, uint32_t i)
{
	while (i < s.len && (is_ws(s.p[i]) || s.p[i] == '\r' || s.p[i] == '\n'))
		i++;
	return i;
}

/* Index of the closing quote of a quoted string starting at s.p[i] == '"', or s.len. */
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

/* Number of comma-separated elements at top level. */
static uint16_t count_list(sw_str s)
{
	uint16_t n = 0;
	uint32_t i = 0;
	int bad = 0;
	while (i <= s.len && n < 65535) {
		uint32_t e = find_top(s, i, ',', &bad);
		if (sw_str_trim(sub(s, i, e)).len)
			n++;
		if (e >= s.len)
			break;
		i = e + 1;
	}
	return n;
}

/* Value of param `name` in ";a=b;c=d" (params without leading ';'). */
static int get_param(sw_str params, const char *name, sw_str *val, int *present)
{
	uint32_t i = 0, nl = (uint32_t)strlen(name);
	while (i < params.len) {
		int bad = 0;
		uint32_t e = find_top(params, i, ';', &bad);
		sw_str p = sw_str_trim(sub(params, i, e));
		uint32_t k = 0;
		while (k < p.len && p.p[k] != '=')
			k++;
		sw_str pn = sw_str_trim(sub(p, 0, k));
		if (pn.len == nl && sw_str_eq_ci(pn, name)) {
			if (present)
				*present = 1;
			if (val) {
				if (k < p.len) {
					sw_str v = sw_str_trim(sub(p, k + 1, p.len));
					if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"') {
						v.p++;
						v.len -= 2;
					}
					*val = v;
				} else {
					*val = (sw_str){ 0 };
				}
			}
			return 1;
		}
		i = e + 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* URI                                                                 */

static int valid_host(sw_str h)
{
	if (h.len == 0)
		return 0;
	if (h.p[0] == '[') {
		if (h.len < 3 || h.p[h.len - 1] != ']')
			return 0;
		for (uint32_t i = 1; i + 1 < h.len; i++) {
			char c = h.p[i];
			if (!((c >= '0' && c <= '9') || (lc(c) >= 'a' && lc(c) <= 'f') || c == ':' ||
			      c == '.'))
				return 0;
		}
		return 6;
	}
	int all_num = 1;
	for (uint32_t i = 0; i < h.len; i++) {
		char c = h.p[i];
		if ((c >= '0' && c <= '9') || c == '.')
			continue;
		all_num = 0;
		if (!((lc(c) >= 'a' && lc(c) <= 'z') || c == '-' || c == '_'))
			return 0;
	}
	return all_num ? 4 : 1;
}

int sip_parse_uri(sw_str s, struct sip_uri *u)
{
	uint32_t i = 0, colon, q, at, hs, he;
	memset(u, 0, sizeof(*u));
	s = sw_str_trim(s);
	u->raw = s;
	while (i < s.len && s.p[i] != ':') {
		char c = s.p[i];
		if (!((lc(c) >= 'a' && lc(c) <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '+' ||
		                                                  c == '-' || c == '.'))))
			return -1;
		i++;
	}
	if (i == 0 || i >= s.len)
		return -1;
	colon = i;
	u->scheme_str = sub(s, 0, colon);
	if (sw_str_eq_ci(u->scheme_str, "sip"))
		u->scheme = SIP_SCHEME_SIP;
	else if (sw_str_eq_ci(u->scheme_str, "sips"))
		u->scheme = SIP_SCHEME_SIPS;
	else if (sw_str_eq_ci(u->scheme_str, "tel"))
		u->scheme = SIP_SCHEME_TEL;
	else
		u->scheme = SIP_SCHEME_OTHER;
	for (uint32_t k = colon + 1; k < s.len; k++)
		if ((unsigned char)s.p[k] <= ' ' || s.p[k] == '<' || s.p[k] == '>' || s.p[k] == '"')
			return -1;
	if (u->scheme == SIP_SCHEME_OTHER)
		return colon + 1 < s.len ? 0 : -1;
	if (u->scheme == SIP_SCHEME_TEL) {
		uint32_t e = colon + 1;
		while (e < s.len && s.p[e] != ';')
			e++;
		u->user = sub(s, colon + 1, e);
		if (e < s.len)
			u->params = sub(s, e + 1, s.len);
		return u->user.len ? 0 : -1;
	}
	/* sip/sips: [userinfo@]host[:port][;params][?headers] */
	q = colon + 1;
	while (q < s.len && s.p[q] != '?')
		q++;
	at = 0;
	for (uint32_t k = colon + 1; k < q; k++)
		if (s.p[k] == '@')
			at = k;
	hs = colon + 1;
	if (at) {
		uint32_t pw = colon + 1;
		while (pw < at && s.p[pw] != ':')
			pw++;
		u->user = sub(s, colon + 1, pw);
		if (pw < at)
			u->password = sub(s, pw + 1, at);
		hs = at + 1;
	}
	if (hs < q && s.p[hs] == '[') {
		he = hs;
		while (he < q && s.p[he] != ']')
			he++;
		if (he >= q)
			return -1;
		he++;
	} else {
		he = hs;
		while (he < q && s.p[he] != ':' && s.p[he] != ';')
			he++;
	}
	u->host = sub(s, hs, he);
	int hv = valid_host(u->host);
	if (!hv)
		return -1;
	u->host_is_ip = hv == 4 ? 4 : hv == 6 ? 6 : 0;
	i = he;
	if (i < q && s.p[i] == ':') {
		uint32_t ps = ++i;
		uint64_t port;
		while (i < q && s.p[i] != ';')
			i++;
		u->port_str = sub(s, ps, i);
		if (sw_str_to_u64(u->port_str, 65535, &port) != 0)
			return -1;
		u->port = (uint16_t)port;
	}
	if (i < q && s.p[i] == ';') {
		u->params = sub(s, i + 1, q);
		get_param(u->params, "transport", &u->transport, NULL);
		get_param(u->params, "user", &u->user_param, NULL);
	}
	if (q < s.len)
		u->headers = sub(s, q + 1, s.len);
	return 0;
}

/* ------------------------------------------------------------------ */
/* name-addr / addr-spec                                               */

int sip_parse_nameaddr(sw_str s, struct sip_nameaddr *na)
{
	uint32_t i = 0, us, ue, pe;
	memset(na, 0, sizeof(*na));
	s = sw_str_trim(s);
	na->raw = s;
	if (s.len == 0)
		return -1;
	if (s.len == 1 && s.p[0] == '*') {
		na->star = 1;
		return 0;
	}
	if (s.p[0] == '"') {
		uint32_t q = quoted_end(s, 0);
		if (q >= s.len)
			return -1;
		na->display = sub(s, 1, q);
		i = skip_lws(s, q + 1);
		if (i >= s.len || s.p[i] != '<')
			return -1;
	} else {
		/* token display name, or none, before '<'; else addr-spec */
		uint32_t k = 0;
		while (k < s.len && s.p[k] != '<' && s.p[k] != ';' && s.p[k] != ',')
			k++;
		if (k < s.len && s.p[k] == '<') {
			na->display = sw_str_trim(sub(s, 0, k));
			i = k;
		} else {
			/* addr-spec: the URI ends at the first ';' (header params follow). */
			uint32_t e = 0;
			while (e < s.len && s.p[e] != ';')
				e++;
			if (sip_parse_uri(sub(s, 0, e), &na->uri) != 0)
				return -1;
			pe = e;
			goto params;
		}
	}
	/* s.p[i] == '<' */
	us = i + 1;
	ue = us;
	while (ue < s.len && s.p[ue] != '>')
		ue++;
	if (ue >= s.len)
		return -1;
	if (sip_parse_uri(sub(s, us, ue), &na->uri) != 0)
		return -1;
	pe = skip_lws(s, ue + 1);
	if (pe < s.len && s.p[pe] != ';')
		return -1;
params:
	if (pe < s.len && s.p[pe] == ';') {
		na->params = sub(s, pe + 1, s.len);
		get_param(na->params, "tag", &na->tag, NULL);
		get_param(na->params, "expires", &na->expires, NULL);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Via                                                                 */

int sip_parse_via(sw_str s, struct sip_via *v)
{
	uint32_t i = 0, a, e;
	int bad = 0;
	memset(v, 0, sizeof(*v));
	s = sw_str_trim(s);
	/* Only the first via-parm. */
	e = find_top(s, 0, ',', &bad);
	s = sw_str_trim(sub(s, 0, e));
	v->raw = s;
	/* sent-protocol: name LWS? "/" LWS? version LWS? "/" LWS? transport */
	a = i;
	while (i < s.len && is_tok((unsigned char)s.p[i]))
		i++;
	sw_str pname = sub(s, a, i);
	i = skip_lws(s, i);
	if (i >= s.len || s.p[i] != '/')
		return -1;
	i = skip_lws(s, i + 1);
	a = i;
	while (i < s.len && is_tok((unsigned char)s.p[i]))
		i++;
	sw_str pver = sub(s, a, i);
	i = skip_lws(s, i);
	if (i >= s.len || s.p[i] != '/' || !pname.len || !pver.len)
		return -1;
	v->protocol = (sw_str){ pname.p, (uint32_t)(pver.p + pver.len - pname.p) };
	i = skip_lws(s, i + 1);
	a = i;
	while (i < s.len && is_tok((unsigned char)s.p[i]))
		i++;
	v->transport = sub(s, a, i);
	if (!v->transport.len)
		return -1;
	i = skip_lws(s, i);
	/* sent-by */
	a = i;
	if (i < s.len && s.p[i] == '[') {
		while (i < s.len && s.p[i] != ']')
			i++;
		if (i >= s.len)
			return -1;
		i++;
	} else {
		while (i < s.len && s.p[i] != ':' && s.p[i] != ';' && !is_ws(s.p[i]) && s.p[i] != '\r')
			i++;
	}
	v->host = sub(s, a, i);
	if (!valid_host(v->host))
		return -1;
	i = skip_lws(s, i);
	if (i < s.len && s.p[i] == ':') {
		uint64_t port;
		i = skip_lws(s, i + 1);
		a = i;
		while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9')
			i++;
		if (sw_str_to_u64(sub(s, a, i), 65535, &port) != 0)
			return -1;
		v->port = (uint16_t)port;
		i = skip_lws(s, i);
	}
	if (i < s.len) {
		if (s.p[i] != ';')
			return -1;
		sw_str params = sub(s, i + 1, s.len);
		int present = 0;
		get_param(params, "branch", &v->branch, NULL);
		get_param(params, "received", &v->received, NULL);
		get_param(params, "maddr", &v->maddr, NULL);
		get_param(params, "ttl", &v->ttl, NULL);
		if (get_param(params, "rport", &v->rport, &present))
			v->has_rport = 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Authorization / challenges                                          */

int sip_parse_auth(sw_str s, struct sip_auth *a)
{
	uint32_t i = 0, st;
	int any = 0;
	memset(a, 0, sizeof(*a));
	s = sw_str_trim(s);
	a->raw = s;
	a->present = 1;
	while (i < s.len && is_tok((unsigned char)s.p[i]))
		i++;
	a->scheme = sub(s, 0, i);
	if (!a->scheme.len)
		return -1;
	while (i < s.len) {
		i = skip_lws(s, i);
		if (i < s.len && s.p[i] == ',') {
			i++;
			continue;
		}
		st = i;
		while (i < s.len && is_tok((unsigned char)s.p[i]))
			i++;
		sw_str name = sub(s, st, i);
		if (!name.len)
			return -1;
		i = skip_lws(s, i);
		if (i >= s.len || s.p[i] != '=')
			return -1;
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
			while (i < s.len && s.p[i] != ',' && !is_ws(s.p[i]) && s.p[i] != '\r')
				i++;
			val = sub(s, st, i);
		}
		any = 1;
		static const struct {
			const char *n;
			size_t off;
		} f[] = {
			{ "username", offsetof(struct sip_auth, username) },
			{ "realm", offsetof(struct sip_auth, realm) },
			{ "nonce", offsetof(struct sip_auth, nonce) },
			{ "uri", offsetof(struct sip_auth, uri) },
			{ "response", offsetof(struct sip_auth, response) },
			{ "qop", offsetof(struct sip_auth, qop) },
			{ "nc", offsetof(struct sip_auth, nc) },
			{ "cnonce", offsetof(struct sip_auth, cnonce) },
			{ "algorithm", offsetof(struct sip_auth, algorithm) },
			{ "opaque", offsetof(struct sip_auth, opaque) },
			{ "stale", offsetof(struct sip_auth, stale) },
		};
		for (size_t k = 0; k < SW_ARRAY_SIZE(f); k++) {
			if (sw_str_eq_ci(name, f[k].n)) {
				*(sw_str *)((char *)a + f[k].off) = val;
				break;
			}
		}
	}
	return any ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Probe                                                               */

/* 1 if v starts with "SIP/" DIGIT "." DIGIT. */
static int sip_version_prefix(const uint8_t *b, size_t n)
{
	return n >= 7 && b[0] == 'S' && b[1] == 'I' && b[2] == 'P' && b[3] == '/' &&
	       b[4] >= '0' && b[4] <= '9' && b[5] == '.' && b[6] >= '0' && b[6] <= '9';
}

int sip_probe(const uint8_t *buf, size_t len)
{
	size_t e = 0, lim = len < SIP_MAX_LINE ? len : SIP_MAX_LINE;
	while (e < lim && buf[e] != '\n')
		e++;
	if (e == lim)
		return 0; /* the start line is not complete */
	if (e > 0 && buf[e - 1] == '\r')
		e--;
	if (sip_version_prefix(buf, e)) {
		/* Status-Line: SIP-Version SP 3DIGIT (SP reason)? */
		size_t i = 7;
		if (i >= e || buf[i] != ' ')
			return 0;
		i++;
		if (i + 3 > e || buf[i] < '0' || buf[i] > '9' || buf[i + 1] < '0' ||
		    buf[i + 1] > '9' || buf[i + 2] < '0' || buf[i + 2] > '9')
			return 0;
		return i + 3 == e || buf[i + 3] == ' ';
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
	if (!sip_version_prefix(buf + v, e - v))
		return 0;
	/* "M-SEARCH * HTTP/1.1" etc. never get here: their version is HTTP. */
	return 1;
}

/* ------------------------------------------------------------------ */
/* The message                                                         */

static int parse_start_line(struct sip_msg *m, sw_str line)
{
	uint32_t i = 0, a;
	m->start_line = line;
	if (sip_version_prefix((const uint8_t *)line.p, line.len)) {
		m->is_request = 0;
		while (i < line.len && line.p[i] != ' ')
			i++;
		m->version = sub(line, 0, i);
		if (i >= line.len)
			return -1;
		while (i < line.len && line.p[i] == ' ')
			i++;
		a = i;
		while (i < line.len && line.p[i] >= '0' && line.p[i] <= '9')
			i++;
		if (i - a != 3) {
			anom(m, ANOM_SIP_BAD_STATUS_CODE, a);
			return -1;
		}
		m->status = (uint16_t)((line.p[a] - '0') * 100 + (line.p[a + 1] - '0') * 10 +
		                       (line.p[a + 2] - '0'));
		if (m->status < 100 || m->status > 699)
			anom(m, ANOM_SIP_BAD_STATUS_CODE, a);
		if (i < line.len && line.p[i] != ' ')
			return -1;
		if (i < line.len)
			i++;
		m->reason = sub(line, i, line.len);
	} else {
		m->is_request = 1;
		while (i < line.len && is_tok((unsigned char)line.p[i]))
			i++;
		m->method = sub(line, 0, i);
		if (!m->method.len || i >= line.len || line.p[i] != ' ')
			return -1;
		m->method_id = (uint8_t)sip_method_id(m->method);
		i++;
		if (i < line.len && line.p[i] == ' ') {
			anom(m, ANOM_SIP_START_LINE_WHITESPACE, off_of(m, line) + i);
			while (i < line.len && line.p[i] == ' ')
				i++;
		}
		/* The version is the last token; the URI is what lies between. */
		uint32_t v = line.len;
		while (v > i && line.p[v - 1] != ' ')
			v--;
		if (v <= i) {
			if (i >= line.len)
				anom(m, ANOM_SIP_EMPTY_REQUEST_URI, off_of(m, line) + i);
			return -1;
		}
		m->version = sub(line, v, line.len);
		uint32_t ue = v - 1;
		while (ue > i && line.p[ue - 1] == ' ')
			ue--;
		if (ue < v - 1)
			anom(m, ANOM_SIP_START_LINE_WHITESPACE, off_of(m, line) + ue);
		m->ruri_raw = sub(line, i, ue);
		if (!sip_version_prefix((const uint8_t *)m->version.p, m->version.len))
			return -1;
		if (m->ruri_raw.len == 0) {
			anom(m, ANOM_SIP_EMPTY_REQUEST_URI, off_of(m, line) + i);
		} else if (sip_parse_uri(m->ruri_raw, &m->ruri) != 0) {
			anom(m, ANOM_SIP_BAD_URI, off_of(m, m->ruri_raw));
		} else if (m->ruri.scheme == SIP_SCHEME_OTHER) {
			anom(m, ANOM_SIP_RURI_UNKNOWN_SCHEME, off_of(m, m->ruri_raw));
		}
		if (m->method_id == SIP_M_UNKNOWN)
			anom(m, ANOM_SIP_UNKNOWN_METHOD, 0);
	}
	if (!sw_str_eq(m->version, "SIP/2.0"))
		anom(m, ANOM_SIP_INVALID_VERSION, off_of(m, m->version));
	return 0;
}

static int valid_call_id(sw_str s)
{
	/* word ["@" word]; word = 1*(alphanum / "-" / "." / "!" / "%" / "*" /
	 * "_" / "+" / "`" / "'" / "~" / "(" / ")" / "<" / ">" / ":" / "\" /
	 * DQUOTE / "/" / "[" / "]" / "?" / "{" / "}" ) */
	int ats = 0;
	if (!s.len)
		return 0;
	for (uint32_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == '@') {
			if (++ats > 1 || i == 0 || i + 1 == s.len)
				return 0;
			continue;
		}
		if (is_tok(c) || strchr("()<>:\\\"/[]?{}", c))
			continue;
		return 0;
	}
	return 1;
}

static int parse_num(sw_str s, uint64_t max, uint64_t *out)
{
	return sw_str_to_u64(sw_str_trim(s), max, out);
}

/* Decodes the headers sipwire tracks; records anomalies. */
static void decode_headers(struct sip_msg *m)
{
	const struct sip_header *first[SIP_H__COUNT] = { 0 };
	uint64_t v;

	for (uint16_t i = 0; i < m->n_hdrs; i++) {
		const struct sip_header *h = &m->hdrs[i];
		uint8_t id = h->id;
		if (id == SIP_H_OTHER)
			continue;
		if (id == SIP_H_VIA) {
			m->n_via = (uint16_t)(m->n_via + count_list(h->value));
		} else if (id == SIP_H_CONTACT) {
			m->n_contact = (uint16_t)(m->n_contact + count_list(h->value));
		} else if (first[id] && (id == SIP_H_FROM || id == SIP_H_TO || id == SIP_H_CALL_ID ||
		                         id == SIP_H_CSEQ || id == SIP_H_CONTENT_LENGTH ||
		                         id == SIP_H_MAX_FORWARDS)) {
			if (!sw_str_eq_str_ci(first[id]->value, h->value))
				anom(m, ANOM_SIP_DUPLICATE_HEADER, off_of(m, h->name));
		}
		if (!first[id])
			first[id] = h;
	}

	const struct sip_header *h;
	if ((h = first[SIP_H_VIA])) {
		if (h->value.len == 0)
			anom(m, ANOM_SIP_EMPTY_VIA, off_of(m, h->name));
		else if (sip_parse_via(h->value, &m->via) != 0)
			anom(m, ANOM_SIP_BAD_VIA, off_of(m, h->value));
		else if (!sw_str_eq(m->via.protocol, "SIP/2.0"))
			anom(m, ANOM_SIP_BAD_VIA_VERSION, off_of(m, m->via.protocol));
	} else {
		anom(m, ANOM_SIP_MISSING_VIA, m->hdr_len);
	}
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
		sw_str s = h->value;
		uint32_t i = 0;
		while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9')
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
			if (k == i || m->cseq.method.len == 0 || skip_lws(s, k) != s.len) {
				anom(m, ANOM_SIP_BAD_CSEQ_METHOD, off_of(m, s));
			} else {
				m->cseq.method_id = (uint8_t)sip_method_id(m->cseq.method);
				m->cseq.valid = 1;
				if (m->is_request && !sw_str_eq(m->cseq.method, "") &&
				    !(m->cseq.method.len == m->method.len &&
				      memcmp(m->cseq.method.p, m->method.p, m->method.len) == 0))
					anom(m, ANOM_SIP_CSEQ_METHOD_MISMATCH, off_of(m, s));
			}
		}
	} else {
		anom(m, ANOM_SIP_MISSING_CSEQ, m->hdr_len);
	}
	if ((h = first[SIP_H_CONTACT])) {
		int bad = 0;
		uint32_t e = find_top(h->value, 0, ',', &bad);
		if (sw_str_trim(h->value).len == 0)
			anom(m, ANOM_SIP_EMPTY_CONTACT, off_of(m, h->name));
		else if (bad || sip_parse_nameaddr(sub(h->value, 0, e), &m->contact) != 0)
			anom(m, ANOM_SIP_BAD_CONTACT, off_of(m, h->value));
	}
	m->max_forwards = -1;
	if ((h = first[SIP_H_MAX_FORWARDS])) {
		if (parse_num(h->value, 255, &v) != 0)
			anom(m, ANOM_SIP_BAD_MAX_FORWARDS, off_of(m, h->value));
		else
			m->max_forwards = (int32_t)v;
	}
	m->expires = -1;
	if ((h = first[SIP_H_EXPIRES])) {
		if (parse_num(h->value, 4294967295ULL, &v) != 0)
			anom(m, ANOM_SIP_BAD_EXPIRES, off_of(m, h->value));
		else
			m->expires = (int64_t)v;
	}
	m->content_length = -1;
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
	if ((h = first[SIP_H_PROXY_REQUIRE]) && m->is_request)
		anom(m, ANOM_SIP_PROXY_REQUIRE, off_of(m, h->name));
	h = first[SIP_H_AUTHORIZATION] ? first[SIP_H_AUTHORIZATION] : first[SIP_H_PROXY_AUTHORIZATION];
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

int sip_parse(const char *buf, size_t len, struct sip_msg *m, struct sip_header *hdrs,
              size_t hdr_cap, unsigned flags)
{
	size_t i = 0, ls, le;
	int ended = 0;

	memset(m, 0, sizeof(*m));
	m->base = buf;
	m->hdrs = hdrs;
	m->hdr_cap = (uint16_t)(hdr_cap > 65535 ? 65535 : hdr_cap);
	m->max_forwards = -1;
	m->expires = -1;
	m->content_length = -1;
	if (len > SIP_MAX_MSG && (flags & SIP_PARSE_STREAM)) {
		anom(m, ANOM_SIP_MESSAGE_TOO_LARGE, 0);
		return -1;
	}

	/* RFC 3261 §7.5: CRLFs before the start line are ignored. */
	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	/* Start line. */
	ls = i;
	while (i < len && buf[i] != '\n') {
		if (buf[i] == '\0') {
			anom(m, ANOM_SIP_NUL_BYTE, (uint32_t)i);
			m->n_anom = m->n_anom; /* keep scanning: the line may still be usable */
		}
		i++;
	}
	if (i >= len) {
		if (i - ls > SIP_MAX_LINE) {
			anom(m, ANOM_SIP_LINE_TOO_LONG, (uint32_t)ls);
			return -1;
		}
		return -2;
	}
	le = i;
	if (le > ls && buf[le - 1] == '\r')
		le--;
	else
		anom(m, ANOM_SIP_BARE_LF, (uint32_t)le);
	if (le - ls > SIP_MAX_LINE) {
		anom(m, ANOM_SIP_LINE_TOO_LONG, (uint32_t)ls);
		return -1;
	}
	if (parse_start_line(m, sw_str_make(buf + ls, le - ls)) != 0) {
		anom(m, ANOM_SIP_BAD_START_LINE, (uint32_t)ls);
		return -1;
	}
	i++; /* past '\n' */

	/* Header lines up to the empty line. */
	while (i < len) {
		size_t hs = i, he, colon = 0;
		if (buf[i] == '\n' || (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')) {
			if (buf[i] == '\n')
				anom(m, ANOM_SIP_BARE_LF, (uint32_t)i);
			i += buf[i] == '\n' ? 1 : 2;
			ended = 1;
			break;
		}
		if (buf[i] == '\r' && i + 1 >= len)
			break; /* CR at the very end: incomplete */
		/* One logical header line, folds included. */
		for (;;) {
			while (i < len && buf[i] != '\n') {
				if (!colon && buf[i] == ':')
					colon = i;
				if (buf[i] == '\0')
					anom(m, ANOM_SIP_NUL_BYTE, (uint32_t)i);
				i++;
			}
			if (i >= len)
				goto incomplete;
			if (i == hs || buf[i - 1] != '\r')
				anom(m, ANOM_SIP_BARE_LF, (uint32_t)i);
			/* A following line that starts with SP/HT continues this one. */
			if (i + 1 < len && is_ws(buf[i + 1])) {
				i++;
				continue;
			}
			if (i + 1 >= len && !(flags & SIP_PARSE_DATAGRAM))
				goto incomplete; /* cannot tell whether a fold follows */
			break;
		}
		he = i; /* at '\n' */
		i++;
		if (he - hs > SIP_MAX_LINE) {
			anom(m, ANOM_SIP_LINE_TOO_LONG, (uint32_t)hs);
			return -1;
		}
		if (!colon) {
			anom(m, ANOM_SIP_BAD_HEADER_LINE, (uint32_t)hs);
			continue;
		}
		size_t ne = colon;
		while (ne > hs && is_ws(buf[ne - 1]))
			ne--;
		int name_ok = ne > hs;
		for (size_t k = hs; k < ne; k++)
			if (!is_tok((unsigned char)buf[k]))
				name_ok = 0;
		if (!name_ok) {
			anom(m, ANOM_SIP_BAD_HEADER_LINE, (uint32_t)hs);
			continue;
		}
		if (m->n_hdrs >= m->hdr_cap) {
			anom(m, ANOM_SIP_TOO_MANY_HEADERS, (uint32_t)hs);
			return -1;
		}
		struct sip_header *h = &hdrs[m->n_hdrs++];
		h->name = sw_str_make(buf + hs, ne - hs);
		h->value = sw_str_trim(sw_str_make(buf + colon + 1, he - colon - 1));
		h->id = (uint8_t)sip_header_id(h->name);
		if (m->hdr_count[h->id] < 65535)
			m->hdr_count[h->id]++;
	}
	if (!ended) {
	incomplete:
		if (flags & SIP_PARSE_DATAGRAM) {
			/* The datagram is all there is: take it, and say so. */
			anom(m, ANOM_SIP_NO_HEADER_END, (uint32_t)len);
			m->hdr_len = (uint32_t)len;
			m->len = (uint32_t)len;
			m->body = sw_str_make(buf + len, 0);
			decode_headers(m);
			return (int)len;
		}
		if (len - ls > SIP_MAX_MSG) {
			anom(m, ANOM_SIP_MESSAGE_TOO_LARGE, 0);
			return -1;
		}
		return -2;
	}
	m->hdr_len = (uint32_t)i;
	decode_headers(m);

	/* Body. */
	size_t avail = len - i, blen;
	if (m->content_length >= 0) {
		if ((uint64_t)m->content_length > avail) {
			if (flags & SIP_PARSE_STREAM) {
				if (i + (uint64_t)m->content_length > SIP_MAX_MSG) {
					anom(m, ANOM_SIP_MESSAGE_TOO_LARGE, 0);
					return -1;
				}
				return -2;
			}
			anom(m, ANOM_SIP_CONTENT_LENGTH_MISMATCH, m->hdr_len);
			blen = avail;
		} else {
			blen = (size_t)m->content_length;
		}
	} else {
		if (flags & SIP_PARSE_STREAM) {
			anom(m, ANOM_SIP_MISSING_CONTENT_LENGTH, m->hdr_len);
			blen = 0;
		} else {
			blen = avail;
		}
	}
	m->body = sw_str_make(buf + i, blen);
	m->len = (uint32_t)(i + blen);
	if (blen && !m->content_type.len)
		anom(m, ANOM_SIP_EMPTY_CONTENT_TYPE, m->hdr_len);
	/* Bytes after the body in a datagram: another message, or garbage. */
	if ((flags & SIP_PARSE_DATAGRAM) && m->len < len) {
		size_t k = m->len;
		while (k < len && (buf[k] == '\r' || buf[k] == '\n' || buf[k] == ' '))
			k++;
		if (k < len) {
			if (sip_probe((const uint8_t *)buf + k, len - k))
				anom(m, ANOM_SIP_MULTIPLE_MESSAGES, (uint32_t)k);
			else
				anom(m, ANOM_SIP_CONTENT_LENGTH_MISMATCH, (uint32_t)k);
		}
		if (!sip_probe((const uint8_t *)buf + k, len - k))
			m->len = (uint32_t)len; /* trailing junk belongs to this message */
	}
	return (int)m->len;
}
