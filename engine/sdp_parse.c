/*
 * sdp_parse.c - zero-copy SDP parser (sdp_parse.h).
 *
 * Line by line: "<type>=<value>" with CRLF or LF ends. Session-level lines
 * come before the first m=; media-level lines after it. Fixed capacities
 * bound every array; overflow is counted and flagged, never written.
 */
#include "sdp_parse.h"

#include "anomaly.h"

static void anom(struct sdp_session *s, unsigned id)
{
	for (unsigned i = 0; i < s->n_anom; i++)
		if (s->anom[i] == id)
			return;
	if (s->n_anom < SDP_MAX_ANOM)
		s->anom[s->n_anom++] = (uint16_t)id;
}

static sw_str sub(sw_str s, uint32_t a, uint32_t b)
{
	sw_str r = {s.p + a, b - a};
	return r;
}

/* Next space-separated field of s starting at *i (multiple spaces allowed). */
static sw_str field(sw_str s, uint32_t *i)
{
	uint32_t a;
	while (*i < s.len && s.p[*i] == ' ')
		(*i)++;
	a = *i;
	while (*i < s.len && s.p[*i] != ' ')
		(*i)++;
	return sub(s, a, *i);
}

static int to_u64(sw_str s, uint64_t max, uint64_t *out)
{
	return sw_str_to_u64(s, max, out);
}

static int parse_conn(sw_str v, struct sdp_conn *c)
{
	uint32_t i = 0;
	memset(c, 0, sizeof(*c));
	c->raw = v;
	c->nettype = field(v, &i);
	c->addrtype = field(v, &i);
	c->address = field(v, &i);
	c->present = 1;
	if (!c->nettype.len || !c->addrtype.len || !c->address.len)
		return -1;
	sw_str a = c->address;
	/* multicast: addr/ttl[/count] */
	for (uint32_t k = 0; k < a.len; k++)
		if (a.p[k] == '/') {
			a.len = k;
			break;
		}
	if (sw_addr_parse(a, &c->addr) == 0) {
		if ((c->addr.family == 4 && !sw_str_eq_ci(c->addrtype, "IP4")) ||
		    (c->addr.family == 6 && !sw_str_eq_ci(c->addrtype, "IP6")))
			return -1;
	}
	return 0;
}

static int parse_media(sw_str v, struct sdp_media *m)
{
	uint32_t i = 0;
	uint64_t port, np = 1;
	m->raw_m = v;
	m->media = field(v, &i);
	sw_str ps = field(v, &i);
	m->proto = field(v, &i);
	while (i < v.len && v.p[i] == ' ')
		i++;
	m->fmts = sub(v, i, v.len);
	if (!m->media.len || !ps.len || !m->proto.len)
		return -1;
	for (uint32_t k = 0; k < ps.len; k++) {
		if (ps.p[k] == '/') {
			if (to_u64(sub(ps, k + 1, ps.len), 65535, &np) != 0 || np == 0)
				return -2;
			ps.len = k;
			break;
		}
	}
	if (to_u64(ps, 65535, &port) != 0)
		return -2;
	m->port = (uint16_t)port;
	m->nports = (uint16_t)np;
	return 0;
}

static int parse_rtpmap(sw_str v, struct sdp_rtpmap *r)
{
	uint32_t i = 0;
	uint64_t pt, clk;
	sw_str pts = field(v, &i);
	sw_str enc = field(v, &i);
	memset(r, 0, sizeof(*r));
	if (to_u64(pts, 127, &pt) != 0 || !enc.len)
		return -1;
	r->pt = (uint8_t)pt;
	uint32_t s1 = 0;
	while (s1 < enc.len && enc.p[s1] != '/')
		s1++;
	r->encoding = sub(enc, 0, s1);
	if (s1 >= enc.len)
		return -1;
	uint32_t s2 = s1 + 1;
	while (s2 < enc.len && enc.p[s2] != '/')
		s2++;
	if (to_u64(sub(enc, s1 + 1, s2), 10000000, &clk) != 0)
		return -1;
	r->clock = (uint32_t)clk;
	if (s2 < enc.len)
		r->channels = sub(enc, s2 + 1, enc.len);
	return r->encoding.len ? 0 : -1;
}

/* Bytes of master key || salt that an RFC 4568 / RFC 7714 suite needs, 0 unknown. */
static uint32_t crypto_key_bytes(sw_str suite)
{
	static const struct {
		const char *name;
		uint32_t bytes;
	} suites[] = {
	    {"AES_CM_128_HMAC_SHA1_80", 30}, {"AES_CM_128_HMAC_SHA1_32", 30},
	    {"F8_128_HMAC_SHA1_80", 30},     {"AES_192_CM_HMAC_SHA1_80", 38},
	    {"AES_192_CM_HMAC_SHA1_32", 38}, {"AES_256_CM_HMAC_SHA1_80", 46},
	    {"AES_256_CM_HMAC_SHA1_32", 46}, {"AEAD_AES_128_GCM", 28},
	    {"AEAD_AES_256_GCM", 44},
	};
	for (size_t k = 0; k < SW_ARRAY_SIZE(suites); k++)
		if (sw_str_eq(suite, suites[k].name))
			return suites[k].bytes;
	return 0;
}

static int is_b64(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '+' || ch == '/';
}

/* lifetime = ["2^"] 1*DIGIT; mki = 1*DIGIT ":" 1*3DIGIT (RFC 4568 §9.2). */
static int crypto_tail_ok(sw_str t)
{
	uint32_t i = 0, a;
	uint64_t v;
	int fields = 0;
	while (i < t.len) {
		if (t.p[i] != '|' || ++fields > 2)
			return 0;
		a = ++i;
		while (i < t.len && t.p[i] != '|')
			i++;
		sw_str f = sub(t, a, i);
		uint32_t colon = 0;
		while (colon < f.len && f.p[colon] != ':')
			colon++;
		if (colon < f.len) { /* MKI:length */
			if (to_u64(sub(f, 0, colon), 4294967295ULL, &v) != 0 ||
			    to_u64(sub(f, colon + 1, f.len), 128, &v) != 0 || v == 0)
				return 0;
		} else {
			if (f.len > 2 && f.p[0] == '2' && f.p[1] == '^')
				f = sub(f, 2, f.len);
			if (to_u64(f, 1ULL << 48, &v) != 0)
				return 0;
		}
	}
	return 1;
}

static int parse_crypto(sw_str v, struct sdp_crypto *c)
{
	uint32_t i = 0;
	uint64_t tag;
	memset(c, 0, sizeof(*c));
	sw_str ts = field(v, &i);
	c->suite = field(v, &i);
	c->key_params = field(v, &i);
	while (i < v.len && v.p[i] == ' ')
		i++;
	c->session_params = sub(v, i, v.len);
	/* tag = 1*9DIGIT */
	if (ts.len > 9 || to_u64(ts, 999999999, &tag) != 0 || !c->suite.len || !c->key_params.len)
		return -1;
	c->tag = (uint32_t)tag;
	/* key-params = key-param *(";" key-param); the first one is kept. */
	if (c->key_params.len < 8 || !sw_str_eq_ci(sub(c->key_params, 0, 7), "inline:"))
		return -1;
	uint32_t e = 7;
	while (e < c->key_params.len && c->key_params.p[e] != ';')
		e++;
	sw_str kp = sub(c->key_params, 7, e);
	uint32_t bar = 0;
	while (bar < kp.len && kp.p[bar] != '|')
		bar++;
	c->key_b64 = sub(kp, 0, bar);
	if (!crypto_tail_ok(sub(kp, bar, kp.len)))
		return -1;
	/* base64: groups of four, '=' padding only at the end. */
	uint32_t n = c->key_b64.len, pad = 0;
	if (n == 0 || n % 4 != 0)
		return -1;
	while (pad < 2 && c->key_b64.p[n - 1 - pad] == '=')
		pad++;
	for (uint32_t k = 0; k < n - pad; k++)
		if (!is_b64(c->key_b64.p[k]))
			return -1;
	uint32_t bytes = n / 4 * 3 - pad, want = crypto_key_bytes(c->suite);
	if (want && bytes != want)
		return -1; /* a short key is no key: flag it before SRTP uses it */
	return 0;
}

static int parse_candidate(sw_str v, struct sdp_candidate *c)
{
	uint32_t i = 0;
	uint64_t comp, prio, port;
	memset(c, 0, sizeof(*c));
	c->foundation = field(v, &i);
	sw_str cs = field(v, &i);
	c->transport = field(v, &i);
	sw_str pr = field(v, &i);
	c->conn_addr = field(v, &i);
	sw_str po = field(v, &i);
	sw_str typ = field(v, &i);
	c->type = field(v, &i);
	if (!c->foundation.len || c->foundation.len > 32 || to_u64(cs, 256, &comp) != 0 ||
	    comp == 0 || !c->transport.len || to_u64(pr, 4294967295ULL, &prio) != 0 ||
	    !c->conn_addr.len || to_u64(po, 65535, &port) != 0 || !sw_str_eq(typ, "typ") ||
	    !c->type.len)
		return -1;
	if (!sw_str_eq(c->type, "host") && !sw_str_eq(c->type, "srflx") &&
	    !sw_str_eq(c->type, "prflx") && !sw_str_eq(c->type, "relay"))
		return -1;
	c->component = (uint32_t)comp;
	c->priority = prio;
	c->port = (uint16_t)port;
	sw_addr_parse(c->conn_addr, &c->addr);
	/* extension pairs: raddr X rport Y ... */
	for (;;) {
		sw_str n = field(v, &i), val = field(v, &i);
		if (!n.len)
			break;
		if (!val.len)
			return -1; /* extension attributes come in name/value pairs */
		if (sw_str_eq(n, "raddr")) {
			c->raddr = val;
		} else if (sw_str_eq(n, "rport")) {
			if (to_u64(val, 65535, &port) != 0)
				return -1;
			c->rport = (uint16_t)port;
		}
	}
	return 0;
}

static int dir_of(sw_str a)
{
	if (sw_str_eq(a, "sendrecv"))
		return SDP_DIR_SENDRECV;
	if (sw_str_eq(a, "sendonly"))
		return SDP_DIR_SENDONLY;
	if (sw_str_eq(a, "recvonly"))
		return SDP_DIR_RECVONLY;
	if (sw_str_eq(a, "inactive"))
		return SDP_DIR_INACTIVE;
	return SDP_DIR_NONE;
}

const char *sdp_dir_name(int dir)
{
	switch (dir) {
	case SDP_DIR_SENDONLY:
		return "sendonly";
	case SDP_DIR_RECVONLY:
		return "recvonly";
	case SDP_DIR_INACTIVE:
		return "inactive";
	default:
		return "sendrecv";
	}
}

static void media_attr(struct sdp_session *s, struct sdp_media *m, sw_str a)
{
	uint32_t k = 0;
	while (k < a.len && a.p[k] != ':')
		k++;
	sw_str name = sub(a, 0, k);
	sw_str val = k < a.len ? sub(a, k + 1, a.len) : (sw_str){a.p + a.len, 0};
	int d = dir_of(name);
	if (d && k == a.len) {
		m->dir = (uint8_t)d;
	} else if (sw_str_eq(name, "rtpmap")) {
		struct sdp_rtpmap tmp;
		if (parse_rtpmap(val, &tmp) != 0)
			anom(s, ANOM_SDP_BAD_RTPMAP);
		else if (m->n_rtpmap < SDP_MAX_RTPMAP)
			m->rtpmap[m->n_rtpmap++] = tmp;
		else
			anom(s, ANOM_SDP_TOO_MANY_ATTRIBUTES);
	} else if (sw_str_eq(name, "crypto")) {
		struct sdp_crypto tmp;
		if (parse_crypto(val, &tmp) != 0)
			anom(s, ANOM_SDP_BAD_CRYPTO);
		else if (m->n_crypto < SDP_MAX_CRYPTO)
			m->crypto[m->n_crypto++] = tmp;
		else
			anom(s, ANOM_SDP_TOO_MANY_ATTRIBUTES);
	} else if (sw_str_eq(name, "candidate")) {
		struct sdp_candidate tmp;
		if (m->n_cand_total < 65535)
			m->n_cand_total++;
		if (parse_candidate(val, &tmp) != 0)
			anom(s, ANOM_SDP_BAD_CANDIDATE);
		else if (m->n_cand < SDP_MAX_CAND)
			m->cand[m->n_cand++] = tmp;
		else
			anom(s, ANOM_SDP_TOO_MANY_ATTRIBUTES);
	} else if (sw_str_eq(name, "rtcp")) {
		uint32_t i = 0;
		uint64_t port;
		sw_str ps = field(val, &i);
		if (to_u64(ps, 65535, &port) != 0 || port == 0) {
			anom(s, ANOM_SDP_BAD_RTCP);
		} else {
			m->rtcp_port = (uint16_t)port;
			while (i < val.len && val.p[i] == ' ')
				i++;
			if (i < val.len && parse_conn(sub(val, i, val.len), &m->rtcp_conn) != 0)
				anom(s, ANOM_SDP_BAD_RTCP);
		}
	} else if (sw_str_eq(name, "rtcp-mux")) {
		m->rtcp_mux = 1;
	}
}

static void session_attr(struct sdp_session *s, sw_str a)
{
	uint32_t k = 0;
	while (k < a.len && a.p[k] != ':')
		k++;
	sw_str name = sub(a, 0, k);
	sw_str val = k < a.len ? sub(a, k + 1, a.len) : (sw_str){a.p + a.len, 0};
	int d = dir_of(name);
	if (d && k == a.len)
		s->dir = (uint8_t)d;
	else if (sw_str_eq(name, "ice-ufrag"))
		s->ice_ufrag = val;
	else if (sw_str_eq(name, "ice-pwd"))
		s->ice_pwd = val;
	else if (sw_str_eq(name, "fingerprint"))
		s->fingerprint = val;
}

int sdp_parse(const char *buf, size_t len, struct sdp_session *s)
{
	size_t i = 0;
	struct sdp_media *m = NULL;
	int first = 1, skip_media = 0, seen_s = 0;

	/* The media array is most of the struct and each entry is cleared when
	 * its m= line is met: clear the rest. */
	_Static_assert(offsetof(struct sdp_session, n_media) > offsetof(struct sdp_session, media),
		       "media[] must sit between the two cleared parts");
	memset(s, 0, offsetof(struct sdp_session, media));
	memset(&s->n_media, 0, sizeof(*s) - offsetof(struct sdp_session, n_media));
	while (i < len) {
		size_t ls = i, le;
		while (i < len && buf[i] != '\n')
			i++;
		le = i;
		if (i < len)
			i++;
		if (le > ls && buf[le - 1] == '\r')
			le--;
		if (le == ls)
			continue; /* empty line (trailing CRLF) */
		sw_str line = sw_str_make(buf + ls, le - ls);
		if (line.len < 2 || line.p[1] != '=') {
			if (first)
				return -1;
			anom(s, ANOM_SDP_LINE_WITHOUT_EQUALS);
			continue;
		}
		char t = line.p[0];
		sw_str v = sub(line, 2, line.len);
		if (first) {
			first = 0;
			if (t != 'v') {
				/* Not SDP unless it at least looks like SDP lines. */
				if (!(t >= 'a' && t <= 'z'))
					return -1;
				anom(s, ANOM_SDP_MISSING_VERSION);
			}
		}
		if (m && skip_media)
			if (t != 'm')
				continue;
		switch (t) {
		case 'v': {
			uint64_t ver;
			/* RFC 8866 §5.1: the only version is 0. */
			if (sw_str_to_u64(v, 255, &ver) != 0 || ver != 0)
				anom(s, ANOM_SDP_BAD_VERSION);
			if (sw_str_to_u64(v, 255, &ver) == 0)
				s->version = (uint32_t)ver;
			s->has_version = 1;
			if (m)
				anom(s, ANOM_SDP_SESSION_LINE_IN_MEDIA);
			break;
		}
		case 'o': {
			uint32_t k = 0;
			s->origin = v;
			s->o_username = field(v, &k);
			s->o_sess_id = field(v, &k);
			s->o_sess_version = field(v, &k);
			s->o_nettype = field(v, &k);
			s->o_addrtype = field(v, &k);
			s->o_address = field(v, &k);
			if (!s->o_address.len)
				anom(s, ANOM_SDP_BAD_ORIGIN);
			if (m)
				anom(s, ANOM_SDP_SESSION_LINE_IN_MEDIA);
			break;
		}
		case 's':
			s->session_name = v;
			seen_s = 1;
			if (m)
				anom(s, ANOM_SDP_SESSION_LINE_IN_MEDIA);
			break;
		case 'i':
			if (m)
				m->info = v;
			else
				s->info = v;
			break;
		case 'u':
			s->uri = v;
			break;
		case 'e':
			if (!s->email.len)
				s->email = v;
			break;
		case 'p':
			if (!s->phone.len)
				s->phone = v;
			break;
		case 'z':
			s->zone = v;
			break;
		case 'k':
			s->key = v;
			break;
		case 'c': {
			struct sdp_conn *c = m ? &m->conn : &s->conn;
			if (parse_conn(v, c) != 0)
				anom(s, ANOM_SDP_BAD_CONNECTION);
			break;
		}
		case 'b':
			if (m) {
				if (m->n_bw < SDP_MAX_BW)
					m->bw[m->n_bw++] = v;
			} else if (s->n_bw < SDP_MAX_BW) {
				s->bw[s->n_bw++] = v;
			}
			break;
		case 't':
			if (s->n_times < SDP_MAX_TIME)
				s->times[s->n_times++].time = v;
			break;
		case 'r':
			if (s->n_times && !s->times[s->n_times - 1].repeat.len)
				s->times[s->n_times - 1].repeat = v;
			break;
		case 'a':
			if (m) {
				m->n_attrs_total++;
				if (m->n_attrs < SDP_MAX_ATTR)
					m->attrs[m->n_attrs++] = v;
				else if (m->n_attrs_total == SDP_MAX_ATTR + 1)
					anom(s, ANOM_SDP_TOO_MANY_ATTRIBUTES);
				media_attr(s, m, v);
			} else {
				s->n_attrs_total++;
				if (s->n_attrs < SDP_MAX_ATTR)
					s->attrs[s->n_attrs++] = v;
				else if (s->n_attrs_total == SDP_MAX_ATTR + 1)
					anom(s, ANOM_SDP_TOO_MANY_ATTRIBUTES);
				session_attr(s, v);
			}
			break;
		case 'm': {
			s->n_media_total++;
			if (s->n_media >= SDP_MAX_MEDIA) {
				if (s->n_media_total == SDP_MAX_MEDIA + 1)
					anom(s, ANOM_SDP_TOO_MANY_MEDIA);
				skip_media = 1;
				m = &s->media[SDP_MAX_MEDIA - 1];
				break;
			}
			skip_media = 0;
			m = &s->media[s->n_media];
			memset(m, 0, sizeof(*m));
			int r = parse_media(v, m);
			if (r == -1) {
				anom(s, ANOM_SDP_BAD_MEDIA);
				skip_media = 1;
				break;
			}
			if (r == -2) {
				anom(s, ANOM_SDP_BAD_MEDIA_PORT);
				skip_media = 1;
				break;
			}
			s->n_media++;
			break;
		}
		default:
			anom(s, ANOM_SDP_UNKNOWN_LINE_TYPE);
			break;
		}
	}
	if (first)
		return -1;
	if (!s->origin.len)
		anom(s, ANOM_SDP_MISSING_ORIGIN);
	if (!seen_s)
		anom(s, ANOM_SDP_MISSING_SESSION_NAME);
	for (unsigned k = 0; k < s->n_media; k++)
		if (!s->media[k].conn.present && !s->conn.present && s->media[k].port)
			anom(s, ANOM_SDP_MISSING_CONNECTION);
	return 0;
}

const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, unsigned i)
{
	if (i >= s->n_media)
		return NULL;
	if (s->media[i].conn.present)
		return &s->media[i].conn;
	return s->conn.present ? &s->conn : NULL;
}

int sdp_media_dir(const struct sdp_session *s, unsigned i)
{
	if (i < s->n_media && s->media[i].dir)
		return s->media[i].dir;
	return s->dir ? s->dir : SDP_DIR_SENDRECV;
}
