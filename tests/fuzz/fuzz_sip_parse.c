/*
 * fuzz_sip_parse.c - libFuzzer target for the SIP message parser
 * (sip_parse.h): the whole input as a datagram (every message in it, as the
 * UDP path does) and as a stream message, with a generous and a tiny header
 * array, then every sub-parser on every header value and on the raw input.
 *
 * Checks beyond "does not crash": every view the parser returns lies inside
 * the input, the consumed length never exceeds it, and every parse gives
 * the same message field by field when done in two steps
 * (SIP_PARSE_INDEX, then sip_decode()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/sip_msg_eq.h"
#include "sdp_parse.h"
#include "sip_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *g_base;
static size_t g_len;

/* A returned view must point into the input (empty views may be anything). */
static void check_view(sw_str s)
{
	if (s.len == 0)
		return;
	if (s.p < g_base || s.p + s.len > g_base + g_len)
		abort();
}

static void touch(sw_str s)
{
	volatile unsigned acc = 0;
	check_view(s);
	for (uint32_t i = 0; i < s.len; i++)
		acc += (unsigned char)s.p[i];
	(void)acc;
}

static void check_uri(const struct sip_uri *u)
{
	touch(u->raw);
	touch(u->scheme_str);
	touch(u->user);
	touch(u->password);
	touch(u->host);
	touch(u->port_str);
	touch(u->params);
	touch(u->headers);
	touch(u->transport);
	touch(u->user_param);
}

static void check_nameaddr(const struct sip_nameaddr *na)
{
	touch(na->raw);
	touch(na->display);
	check_uri(&na->uri);
	touch(na->tag);
	touch(na->params);
	touch(na->expires);
}

static void check_via(const struct sip_via *v)
{
	touch(v->raw);
	touch(v->protocol);
	touch(v->transport);
	touch(v->host);
	touch(v->branch);
	touch(v->received);
	touch(v->rport);
	touch(v->maddr);
	touch(v->ttl);
}

static void check_auth(const struct sip_auth *a)
{
	touch(a->raw);
	touch(a->scheme);
	touch(a->username);
	touch(a->realm);
	touch(a->nonce);
	touch(a->uri);
	touch(a->response);
	touch(a->qop);
	touch(a->nc);
	touch(a->cnonce);
	touch(a->algorithm);
	touch(a->opaque);
	touch(a->stale);
}

static void sub_parsers(sw_str s)
{
	struct sip_uri u;
	struct sip_nameaddr na;
	struct sip_via v;
	struct sip_auth a;
	char out[512];

	memset(&u, 0, sizeof(u));
	if (sip_parse_uri(s, &u) == 0)
		check_uri(&u);
	memset(&na, 0, sizeof(na));
	if (sip_parse_nameaddr(s, &na) == 0)
		check_nameaddr(&na);
	memset(&v, 0, sizeof(v));
	if (sip_parse_via(s, &v) == 0)
		check_via(&v);
	memset(&a, 0, sizeof(a));
	if (sip_parse_auth(s, &a) == 0)
		check_auth(&a);
	if (sip_unfold(s, out, sizeof(out)) >= sizeof(out))
		abort();
	(void)sip_unfold(s, out, 1);
	(void)sip_method_id(s);
	(void)sip_header_id(s);
}

static void check_msg(const struct sip_msg *m, int rc, size_t len)
{
	if (rc > 0 && (size_t)rc > len)
		abort();
	if (m->n_hdrs > m->hdr_cap || m->n_anom > SIP_MAX_ANOM)
		abort();
	if (rc <= 0)
		return;
	touch(m->method);
	touch(m->ruri_raw);
	check_uri(&m->ruri);
	touch(m->reason);
	touch(m->version);
	touch(m->start_line);
	for (uint16_t i = 0; i < m->n_hdrs; i++) {
		touch(m->hdrs[i].name);
		touch(m->hdrs[i].value);
		if (m->hdrs[i].id >= SIP_H__COUNT)
			abort();
		(void)sip_header_name(m->hdrs[i].id);
	}
	check_via(&m->via);
	check_nameaddr(&m->from);
	check_nameaddr(&m->to);
	check_nameaddr(&m->contact);
	touch(m->call_id);
	touch(m->cseq.method);
	touch(m->content_type);
	touch(m->user_agent);
	touch(m->server);
	check_auth(&m->authz);
	check_auth(&m->challenge);
	touch(m->body);
	(void)sip_method_name(m->method_id);
	(void)sip_method_name(m->cseq.method_id);
}

/* m is what sip_parse(buf, len, ..., cap, flags) gave (rc): the two-step
 * parse must give the same. */
static void check_index(const char *buf, size_t len, size_t cap, unsigned flags,
			const struct sip_msg *m, int rc)
{
	static struct sip_header h2[SIP_MAX_HEADERS_DEFAULT];
	struct sip_msg m2;
	if (cap > SW_ARRAY_SIZE(h2))
		abort();
	if (sip_parse(buf, len, &m2, h2, cap, flags | SIP_PARSE_INDEX) != rc)
		abort();
	sip_decode(&m2);
	if (sip_msg_diff(m, &m2))
		abort();
}

static void one_message(const struct sip_msg *m)
{
	const struct sip_header *h = NULL;
	int n = 0;

	for (uint16_t i = 0; i < m->n_hdrs; i++) {
		sub_parsers(m->hdrs[i].value);
		if (sip_find_header_name(m, m->hdrs[i].name, NULL) == NULL)
			abort(); /* it is right there */
	}
	while ((h = sip_find_header(m, SIP_H_VIA, h)) != NULL && n++ < 1000)
		;
	/* The body goes to the SDP parser when it says it is SDP, as the engine does. */
	if (m->body.len && sw_str_eq_ci(m->content_type, "application/sdp")) {
		struct sdp_session *s = malloc(sizeof(*s));
		if (s) {
			(void)sdp_parse(m->body.p, m->body.len, s);
			free(s);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_header hdrs[SIP_MAX_HEADERS_DEFAULT];
	struct sip_header few[3];
	struct sip_msg m;
	const char *buf = (const char *)data;
	size_t off = 0;
	int rc, guard = 0;

	g_base = buf;
	g_len = size;

	/* Datagram: every message in it. */
	while (off < size && guard++ < 64) {
		rc = sip_parse(buf + off, size - off, &m, hdrs, SW_ARRAY_SIZE(hdrs), SIP_PARSE_DATAGRAM);
		check_msg(&m, rc, size - off);
		check_index(buf + off, size - off, SW_ARRAY_SIZE(hdrs), SIP_PARSE_DATAGRAM, &m, rc);
		if (rc <= 0)
			break;
		one_message(&m);
		off += (size_t)rc;
	}

	/* Stream framing rules, and a header array that is far too small. */
	rc = sip_parse(buf, size, &m, hdrs, SW_ARRAY_SIZE(hdrs), SIP_PARSE_STREAM);
	check_msg(&m, rc, size);
	check_index(buf, size, SW_ARRAY_SIZE(hdrs), SIP_PARSE_STREAM, &m, rc);
	if (rc > 0)
		one_message(&m);
	rc = sip_parse(buf, size, &m, few, SW_ARRAY_SIZE(few), SIP_PARSE_DATAGRAM);
	check_msg(&m, rc, size);
	check_index(buf, size, SW_ARRAY_SIZE(few), SIP_PARSE_DATAGRAM, &m, rc);
	rc = sip_parse(buf, size, &m, few, 0, SIP_PARSE_STREAM);
	check_msg(&m, rc, size);
	check_index(buf, size, 0, SIP_PARSE_STREAM, &m, rc);

	/* Sub-parsers and helpers straight on the input. */
	sub_parsers(sw_str_make(buf, size > UINT32_MAX ? UINT32_MAX : size));
	(void)sip_probe(data, size);
	return 0;
}
