/*
 * test_sip_parse - the SIP parser, table-driven: one row per named case,
 * every input placed against a PROT_NONE page (guard_copy) so a one-byte
 * over-read crashes the case.
 */
#include "test_util.h"

#include <dirent.h>

#include "anomaly.h"
#include "sip_msg_eq.h"
#include "sip_parse.h"

/* Table rows leave trailing fields out when they do not apply. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define HCAP 64

/* A string literal with its exact length (it may hold NUL bytes). */
#define M(s) s, sizeof(s) - 1

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static int has_anom(const struct sip_msg *m, const char *name)
{
	unsigned id = anomaly_by_name(name);
	for (unsigned i = 0; i < m->n_anom; i++)
		if (m->anom[i] == id)
			return 1;
	return 0;
}

/* Each comma-separated name in list must have been raised. */
static void expect_anoms(const struct sip_msg *m, const char *list)
{
	char buf[512], *save = NULL;
	if (!list || !*list)
		return;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (anomaly_by_name(t) == ANOM_NONE)
			fail_msg("test names unknown anomaly %s", t);
		if (!has_anom(m, t)) {
			for (unsigned i = 0; i < m->n_anom; i++)
				print_message("# raised: %s\n", anomaly_name(m->anom[i]));
			fail_msg("anomaly %s not raised", t);
		}
	}
}

static void expect_no_anoms(const struct sip_msg *m)
{
	for (unsigned i = 0; i < m->n_anom; i++)
		print_message("# raised: %s at %u\n", anomaly_name(m->anom[i]), m->anom_off[i]);
	assert_int_equal(m->n_anom, 0);
}

static void str_eq(sw_str s, const char *want)
{
	if (!sw_str_eq(s, want))
		fail_msg("\"%.*s\" != \"%s\"", (int)s.len, s.p ? s.p : "", want);
}

/*
 * sip_parse(flags | SIP_PARSE_INDEX) then sip_decode() must give what
 * sip_parse(flags) gives, field by field; before sip_decode() the decoded
 * fields must still be untouched. msg is placed against the guard page.
 */
static void expect_index_equiv(const char *what, const char *msg, size_t len, unsigned flags,
			       size_t cap)
{
	struct guard_buf g;
	struct sip_header *h1 = calloc(cap ? cap : 1, sizeof(*h1));
	struct sip_header *h2 = calloc(cap ? cap : 1, sizeof(*h2));
	struct sip_msg m1, m2;
	const char *p = guard_copy(&g, msg, len), *d;
	int r1, r2;
	assert_non_null(h1);
	assert_non_null(h2);
	r1 = sip_parse(p, len, &m1, h1, cap, flags);
	r2 = sip_parse(p, len, &m2, h2, cap, flags | SIP_PARSE_INDEX);
	if (m2.ruri.raw.p || m2.via.raw.p || m2.n_via || m2.from.raw.p || m2.to.raw.p ||
	    m2.contact.raw.p || m2.n_contact || m2.call_id.p || m2.cseq.method.p ||
	    m2.max_forwards != -1 || m2.expires != -1 || m2.user_agent.p || m2.server.p ||
	    m2.authz.present || m2.challenge.present)
		d = "a field the index parse must leave to sip_decode()";
	else if (r1 != r2)
		d = "return value";
	else {
		sip_decode(&m2);
		d = sip_msg_diff(&m1, &m2);
		if (!d) {
			sip_decode(&m2); /* a second call does nothing */
			d = sip_msg_diff(&m1, &m2);
		}
	}
	guard_free(&g);
	free(h1);
	free(h2);
	if (d)
		fail_msg(
		    "%s (flags %#x, %zu bytes, cap %zu): index + sip_decode() differs from the "
		    "eager parse in %s",
		    what, flags, len, cap, d);
}

/* ------------------------------------------------------------------ */
/* Message rows                                                        */

enum { WANT_LEN = 1000000 }; /* want_r: the whole input */

struct prow {
	const char *name;
	const char *msg;
	size_t len;
	unsigned flags;
	int want_r;	   /* exact return, or WANT_LEN */
	const char *anoms; /* comma-separated, all must be raised; NULL: none at all */
	void (*check)(const struct sip_msg *m);
	size_t hdr_cap; /* 0: HCAP */
	int any_anoms;	/* 1: extra anomalies beyond `anoms` are fine */
};

#define INVITE_HEAD                                                                                \
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"                                            \
	"Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"         \
	"Max-Forwards: 70\r\n"                                                                     \
	"To: Bob <sip:bob@biloxi.example.com>\r\n"                                                 \
	"From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"                       \
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"                                     \
	"CSeq: 314159 INVITE\r\n"                                                                  \
	"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"

static const char invite_sdp[] = INVITE_HEAD "Content-Type: application/sdp\r\n"
					     "Content-Length: 4\r\n"
					     "\r\n"
					     "v=0\n";

static void c_request_basic(const struct sip_msg *m)
{
	assert_true(m->is_request);
	assert_int_equal(m->method_id, SIP_M_INVITE);
	str_eq(m->method, "INVITE");
	str_eq(m->ruri_raw, "sip:bob@biloxi.example.com");
	assert_int_equal(m->ruri.scheme, SIP_SCHEME_SIP);
	str_eq(m->ruri.user, "bob");
	str_eq(m->ruri.host, "biloxi.example.com");
	str_eq(m->version, "SIP/2.0");
	str_eq(m->start_line, "INVITE sip:bob@biloxi.example.com SIP/2.0");
	assert_int_equal(m->n_via, 1);
	str_eq(m->via.protocol, "SIP/2.0");
	str_eq(m->via.transport, "UDP");
	str_eq(m->via.host, "pc33.atlanta.example.com");
	assert_int_equal(m->via.port, 5060);
	str_eq(m->via.branch, "z9hG4bK776asdhds");
	assert_true(m->via.has_rport);
	assert_int_equal(m->via.rport.len, 0);
	assert_int_equal(m->max_forwards, 70);
	str_eq(m->to.display, "Bob");
	str_eq(m->to.uri.user, "bob");
	assert_int_equal(m->to.tag.len, 0);
	str_eq(m->from.display, "Alice");
	str_eq(m->from.tag, "1928301774");
	str_eq(m->call_id, "a84b4c76e66710@pc33.atlanta.example.com");
	assert_int_equal(m->cseq.num, 314159);
	assert_int_equal(m->cseq.method_id, SIP_M_INVITE);
	assert_true(m->cseq.valid);
	str_eq(m->contact.uri.host, "pc33.atlanta.example.com");
	assert_int_equal(m->n_contact, 1);
	str_eq(m->content_type, "application/sdp");
	assert_int_equal(m->content_length, 4);
	str_eq(m->body, "v=0\n");
	assert_int_equal(m->n_hdrs, 9);
	assert_int_equal(m->hdr_len, sizeof(invite_sdp) - 1 - 4);
	assert_int_equal(m->expires, -1);
}

static const char response_200[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bK4b43c2ff8.1"
    ";received=192.0.2.3\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.4>\r\n"
    "Server: Kamailio (5.6.3 (x86_64/linux))\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static void c_response(const struct sip_msg *m)
{
	assert_false(m->is_request);
	assert_int_equal(m->status, 200);
	str_eq(m->reason, "OK");
	str_eq(m->version, "SIP/2.0");
	assert_int_equal(m->n_via, 2);
	str_eq(m->via.host, "server10.biloxi.example.com");
	str_eq(m->via.received, "192.0.2.3");
	str_eq(m->to.tag, "a6c85cf");
	str_eq(m->server, "Kamailio (5.6.3 (x86_64/linux))");
	assert_int_equal(m->contact.uri.host_is_ip, 4);
	assert_int_equal(m->content_length, 0);
	assert_int_equal(m->body.len, 0);
}

static const char compact_forms[] = "SUBSCRIBE sip:bob@example.com SIP/2.0\r\n"
				    "v: SIP/2.0/TCP host.example.com;branch=z9hG4bKc1\r\n"
				    "f: <sip:alice@example.com>;tag=ab\r\n"
				    "t: <sip:bob@example.com>\r\n"
				    "i: compact@example.com\r\n"
				    "m: <sip:alice@192.0.2.1>\r\n"
				    "CSeq: 1 SUBSCRIBE\r\n"
				    "c: text/plain\r\n"
				    "e: gzip\r\n"
				    "k: path, 100rel\r\n"
				    "s: hello\r\n"
				    "o: presence\r\n"
				    "r: <sip:carol@example.com>\r\n"
				    "b: <sip:alice@example.com>\r\n"
				    "a: *;audio\r\n"
				    "x: 1800\r\n"
				    "l: 2\r\n"
				    "\r\n"
				    "hi";

static void c_compact(const struct sip_msg *m)
{
	static const uint8_t ids[] = {SIP_H_VIA,
				      SIP_H_FROM,
				      SIP_H_TO,
				      SIP_H_CALL_ID,
				      SIP_H_CONTACT,
				      SIP_H_CONTENT_TYPE,
				      SIP_H_CONTENT_ENCODING,
				      SIP_H_SUPPORTED,
				      SIP_H_SUBJECT,
				      SIP_H_EVENT,
				      SIP_H_REFER_TO,
				      SIP_H_REFERRED_BY,
				      SIP_H_ACCEPT_CONTACT,
				      SIP_H_SESSION_EXPIRES,
				      SIP_H_CONTENT_LENGTH};
	for (size_t k = 0; k < sizeof(ids); k++) {
		if (m->hdr_count[ids[k]] != 1)
			fail_msg("compact header %s seen %u times", sip_header_name(ids[k]),
				 m->hdr_count[ids[k]]);
	}
	str_eq(m->via.transport, "TCP");
	str_eq(m->from.tag, "ab");
	str_eq(m->call_id, "compact@example.com");
	str_eq(m->contact.uri.host, "192.0.2.1");
	str_eq(m->content_type, "text/plain");
	assert_int_equal(m->content_length, 2);
	str_eq(m->body, "hi");
	str_eq(sip_find_header(m, SIP_H_EVENT, NULL)->value, "presence");
	str_eq(sip_find_header_name(m, SW_STR_LIT("Session-Expires"), NULL)->value, "1800");
	str_eq(sip_find_header_name(m, SW_STR_LIT("x"), NULL)->value, "1800");
}

static const char case_names[] = "OPTIONS sip:bob@example.com SIP/2.0\r\n"
				 "VIA: SIP/2.0/UDP h.example.com;BRANCH=z9hG4bKx\r\n"
				 "fRoM: <sip:a@example.com>;TAG=1\r\n"
				 "TO: <sip:bob@example.com>\r\n"
				 "call-id: ci@h\r\n"
				 "CSEQ: 2 OPTIONS\r\n"
				 "max-FORWARDS: 10\r\n"
				 "CONTENT-length: 0\r\n"
				 "\r\n";

static void c_case(const struct sip_msg *m)
{
	str_eq(m->via.branch, "z9hG4bKx");
	str_eq(m->from.tag, "1");
	str_eq(m->call_id, "ci@h");
	assert_int_equal(m->cseq.num, 2);
	assert_int_equal(m->max_forwards, 10);
	assert_int_equal(m->content_length, 0);
}

static const char folded[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP\r\n"
			     "  h.example.com\r\n"
			     "\t;branch=z9hG4bKf\r\n"
			     "From: \"Alice\"\r\n"
			     " <sip:a@example.com>\r\n"
			     " ;tag=77\r\n"
			     "To: <sip:bob@example.com>\r\n"
			     "Call-ID: fold@h\r\n"
			     "CSeq:\r\n"
			     " 5\r\n"
			     " INVITE\r\n"
			     "Subject: I know you're there,\r\n"
			     "         pick up the phone\r\n"
			     "         and talk to me!\r\n"
			     "Content-Length: 0\r\n"
			     "\r\n";

static void c_folded(const struct sip_msg *m)
{
	char u[128];
	str_eq(m->via.host, "h.example.com");
	str_eq(m->via.branch, "z9hG4bKf");
	str_eq(m->from.tag, "77");
	str_eq(m->from.display, "Alice");
	assert_int_equal(m->cseq.num, 5);
	assert_int_equal(m->cseq.method_id, SIP_M_INVITE);
	sip_unfold(sip_find_header(m, SIP_H_SUBJECT, NULL)->value, u, sizeof(u));
	assert_string_equal(u, "I know you're there, pick up the phone and talk to me!");
}

static const char lists[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP first.example.com;branch=z9hG4bK1, SIP/2.0/TCP "
			    "second.example.com:5070;branch=z9hG4bK2\r\n"
			    "Via: SIP/2.0/UDP third.example.com;branch=z9hG4bK3\r\n"
			    "From: <sip:a@example.com>;tag=1\r\n"
			    "To: <sip:bob@example.com>\r\n"
			    "Call-ID: lists@h\r\n"
			    "CSeq: 1 INVITE\r\n"
			    "Contact: \"A, B\" <sip:a@h1.example.com>;q=0.7, "
			    "<sip:a@h2.example.com;transport=tcp>;expires=30\r\n"
			    "Contact: <sip:a@h3.example.com>\r\n"
			    "Content-Length: 0\r\n"
			    "\r\n";

static void c_lists(const struct sip_msg *m)
{
	assert_int_equal(m->n_via, 3);
	str_eq(m->via.host, "first.example.com");
	str_eq(m->via.branch, "z9hG4bK1");
	assert_int_equal(m->n_contact, 3);
	str_eq(m->contact.display, "A, B");
	str_eq(m->contact.uri.host, "h1.example.com");
	assert_int_equal(m->hdr_count[SIP_H_VIA], 2);
	assert_int_equal(m->hdr_count[SIP_H_CONTACT], 2);
	const struct sip_header *v1 = sip_find_header(m, SIP_H_VIA, NULL);
	const struct sip_header *v2 = sip_find_header(m, SIP_H_VIA, v1);
	assert_non_null(v2);
	assert_null(sip_find_header(m, SIP_H_VIA, v2));
	struct sip_via v;
	assert_int_equal(sip_parse_via(v2->value, &v), 0);
	str_eq(v.host, "third.example.com");
}

static const char quoted[] =
    "MESSAGE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKq\r\n"
    "From: \"A \\\"quoted\\\" \\\\ name; <not uri>, x\" <sip:a@example.com>"
    ";tag=q1\r\n"
    "To: \"J\xc3\xbcrgen M\xc3\xbcller \xe6\x9d\x8e\" <sip:j@example.com>\r\n"
    "Call-ID: q@h\r\n"
    "CSeq: 1 MESSAGE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static void c_quoted(const struct sip_msg *m)
{
	str_eq(m->from.display, "A \\\"quoted\\\" \\\\ name; <not uri>, x");
	str_eq(m->from.tag, "q1");
	str_eq(m->from.uri.user, "a");
	str_eq(m->to.display, "J\xc3\xbcrgen M\xc3\xbcller \xe6\x9d\x8e");
	str_eq(m->to.uri.user, "j");
}

static const char sips_ipv6[] = "INVITE sips:alice@[2001:db8::1]:5061;transport=tls SIP/2.0\r\n"
				"Via: SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bK6"
				";received=2001:db8::9\r\n"
				"From: <sips:bob@[2001:db8::9]>;tag=6\r\n"
				"To: <sips:alice@[2001:db8::1]:5061>\r\n"
				"Call-ID: v6@[2001:db8::9]\r\n"
				"CSeq: 1 INVITE\r\n"
				"Content-Length: 0\r\n"
				"\r\n";

static void c_sips_ipv6(const struct sip_msg *m)
{
	assert_int_equal(m->ruri.scheme, SIP_SCHEME_SIPS);
	str_eq(m->ruri.host, "[2001:db8::1]");
	assert_int_equal(m->ruri.host_is_ip, 6);
	assert_int_equal(m->ruri.port, 5061);
	str_eq(m->ruri.port_str, "5061");
	str_eq(m->ruri.transport, "tls");
	str_eq(m->via.host, "[2001:db8::9]");
	assert_int_equal(m->via.port, 5061);
	str_eq(m->via.received, "2001:db8::9");
	assert_int_equal(m->to.uri.port, 5061);
}

static const char tel_uri[] = "INVITE tel:+1-201-555-0123;phone-context=example.com SIP/2.0\r\n"
			      "Via: SIP/2.0/UDP gw.example.com;branch=z9hG4bKt\r\n"
			      "From: <tel:+12015550100>;tag=t1\r\n"
			      "To: tel:+12015550123\r\n"
			      "Call-ID: tel@gw\r\n"
			      "CSeq: 1 INVITE\r\n"
			      "Content-Length: 0\r\n"
			      "\r\n";

static void c_tel(const struct sip_msg *m)
{
	assert_int_equal(m->ruri.scheme, SIP_SCHEME_TEL);
	str_eq(m->ruri.user, "+1-201-555-0123");
	str_eq(m->ruri.params, "phone-context=example.com");
	assert_int_equal(m->from.uri.scheme, SIP_SCHEME_TEL);
	str_eq(m->from.uri.user, "+12015550100");
	str_eq(m->to.uri.user, "+12015550123");
}

static const char uri_params[] =
    "INVITE sip:alice:secret@atlanta.example.com:5080;maddr=239.255.255.1;ttl=15"
    ";transport=udp;user=phone;lr SIP/2.0\r\n"
    "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKp\r\n"
    "From: <sip:a@example.com>;tag=p\r\n"
    "To: <sip:alice@atlanta.example.com?subject=project%20x&priority=urgent>\r\n"
    "Call-ID: p@h\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static void c_uri_params(const struct sip_msg *m)
{
	str_eq(m->ruri.user, "alice");
	str_eq(m->ruri.password, "secret");
	str_eq(m->ruri.host, "atlanta.example.com");
	assert_int_equal(m->ruri.port, 5080);
	str_eq(m->ruri.maddr, "239.255.255.1");
	str_eq(m->ruri.transport, "udp");
	str_eq(m->ruri.user_param, "phone");
	assert_true(m->ruri.lr);
	str_eq(m->ruri.params, "maddr=239.255.255.1;ttl=15;transport=udp;user=phone;lr");
	str_eq(m->to.uri.headers, "subject=project%20x&priority=urgent");
	assert_int_equal(m->to.uri.params.len, 0);
}

static const char via_params[] =
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5062;received=192.0.2.1;rport=5062;maddr=224.2.0.1;ttl=16"
    ";branch=z9hG4bKvp\r\n"
    "Via: SIP/2.0/UDP 10.0.0.2;rport;branch=z9hG4bKvq\r\n"
    "From: <sip:a@example.com>;tag=v\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: vp@h\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static void c_via_params(const struct sip_msg *m)
{
	str_eq(m->via.host, "10.0.0.1");
	assert_int_equal(m->via.port, 5062);
	str_eq(m->via.received, "192.0.2.1");
	str_eq(m->via.rport, "5062");
	assert_true(m->via.has_rport);
	str_eq(m->via.maddr, "224.2.0.1");
	str_eq(m->via.ttl, "16");
	str_eq(m->via.branch, "z9hG4bKvp");
	str_eq(m->via.proto_name, "SIP");
	str_eq(m->via.proto_version, "2.0");
	struct sip_via v;
	assert_int_equal(
	    sip_parse_via(sip_find_header(m, SIP_H_VIA, sip_find_header(m, SIP_H_VIA, NULL))->value,
			  &v),
	    0);
	assert_true(v.has_rport);
	assert_int_equal(v.rport.len, 0);
	assert_int_equal(m->n_via, 2);
}

static const char register_star[] = "REGISTER sip:registrar.example.com SIP/2.0\r\n"
				    "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKr\r\n"
				    "Max-Forwards: 70\r\n"
				    "From: <sip:a@example.com>;tag=r\r\n"
				    "To: <sip:a@example.com>\r\n"
				    "Call-ID: star@h\r\n"
				    "CSeq: 3 REGISTER\r\n"
				    "Contact: *\r\n"
				    "Expires: 0\r\n"
				    "Content-Length: 0\r\n"
				    "\r\n";

static void c_star(const struct sip_msg *m)
{
	assert_int_equal(m->method_id, SIP_M_REGISTER);
	assert_true(m->contact.star);
	assert_int_equal(m->n_contact, 1);
	assert_int_equal(m->expires, 0);
}

static const char register_expires[] =
    "REGISTER sip:registrar.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKr\r\n"
    "From: <sip:a@example.com>;tag=r\r\n"
    "To: <sip:a@example.com>\r\n"
    "Call-ID: exp@h\r\n"
    "CSeq: 4 REGISTER\r\n"
    "Contact: <sip:a@192.0.2.7:5060;transport=udp>;expires=3600;+sip.instance=\"<urn:uuid:1>\"\r\n"
    "Expires: 7200\r\n"
    "User-Agent: Yealink SIP-T46S 66.86.0.15\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static void c_expires(const struct sip_msg *m)
{
	str_eq(m->contact.expires, "3600");
	str_eq(m->contact.uri.transport, "udp");
	assert_int_equal(m->contact.uri.port, 5060);
	assert_int_equal(m->expires, 7200);
	str_eq(m->user_agent, "Yealink SIP-T46S 66.86.0.15");
}

#define AUTHZ_VALUE                                                                                \
	"Digest username=\"bob\", realm=\"biloxi.com\",\r\n"                                       \
	" nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:bob@biloxi.com\", qop=auth,\r\n" \
	" nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\",\r\n"    \
	" algorithm=MD5, opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"\r\n"

static const char authz[] = "REGISTER sip:biloxi.com SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKa\r\n"
			    "From: <sip:bob@biloxi.com>;tag=a\r\n"
			    "To: <sip:bob@biloxi.com>\r\n"
			    "Call-ID: auth@h\r\n"
			    "CSeq: 2 REGISTER\r\n"
			    "Authorization: " AUTHZ_VALUE "Content-Length: 0\r\n"
			    "\r\n";

static void check_digest(const struct sip_auth *a)
{
	assert_true(a->present);
	str_eq(a->scheme, "Digest");
	str_eq(a->username, "bob");
	str_eq(a->realm, "biloxi.com");
	str_eq(a->nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
	str_eq(a->uri, "sip:bob@biloxi.com");
	str_eq(a->response, "6629fae49393a05397450978507c4ef1");
	str_eq(a->qop, "auth");
	str_eq(a->nc, "00000001");
	str_eq(a->cnonce, "0a4f113b");
	str_eq(a->algorithm, "MD5");
	str_eq(a->opaque, "5ccc069c403ebaf9f0171e9517f40e41");
}

static void c_authz(const struct sip_msg *m)
{
	check_digest(&m->authz);
	assert_false(m->authz.proxy);
}

static const char proxy_authz[] = "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKa\r\n"
				  "From: <sip:bob@biloxi.com>;tag=a\r\n"
				  "To: <sip:bob@biloxi.com>\r\n"
				  "Call-ID: pauth@h\r\n"
				  "CSeq: 2 INVITE\r\n"
				  "Proxy-Authorization: " AUTHZ_VALUE "Content-Length: 0\r\n"
				  "\r\n";

static void c_proxy_authz(const struct sip_msg *m)
{
	check_digest(&m->authz);
	assert_true(m->authz.proxy);
}

static const char www_auth[] =
    "SIP/2.0 401 Unauthorized\r\n"
    "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKa;received=192.0.2.1\r\n"
    "From: <sip:bob@biloxi.com>;tag=a\r\n"
    "To: <sip:bob@biloxi.com>;tag=srv\r\n"
    "Call-ID: auth@h\r\n"
    "CSeq: 1 REGISTER\r\n"
    "WWW-Authenticate: Digest realm=\"atlanta.com\", "
    "domain=\"sip:ss1.carrier.com\", qop=\"auth\", "
    "nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, "
    "algorithm=MD5\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static void c_www_auth(const struct sip_msg *m)
{
	assert_int_equal(m->status, 401);
	assert_true(m->challenge.present);
	assert_false(m->challenge.proxy);
	str_eq(m->challenge.scheme, "Digest");
	str_eq(m->challenge.realm, "atlanta.com");
	str_eq(m->challenge.qop, "auth");
	str_eq(m->challenge.nonce, "f84f1cec41e6cbe5aea9c8e88d359");
	assert_non_null(m->challenge.opaque.p);
	assert_int_equal(m->challenge.opaque.len, 0);
	str_eq(m->challenge.stale, "FALSE");
	str_eq(m->challenge.algorithm, "MD5");
}

static const char proxy_auth[] = "SIP/2.0 407 Proxy Authentication Required\r\n"
				 "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKa\r\n"
				 "From: <sip:bob@biloxi.com>;tag=a\r\n"
				 "To: <sip:bob@biloxi.com>;tag=srv\r\n"
				 "Call-ID: pa@h\r\n"
				 "CSeq: 1 INVITE\r\n"
				 "Proxy-Authenticate: Digest realm=\"atlanta.com\", qop=\"auth\", "
				 "nonce=\"wf84f1ceczx41ae6cbe5aea9c8e88d359\", algorithm=MD5\r\n"
				 "Content-Length: 0\r\n"
				 "\r\n";

static void c_proxy_auth(const struct sip_msg *m)
{
	assert_true(m->challenge.proxy);
	str_eq(m->challenge.nonce, "wf84f1ceczx41ae6cbe5aea9c8e88d359");
}

static const char space_colon[] =
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"
    "Via   :   SIP / 2.0 / UDP   h.example.com ; branch = z9hG4bKs\r\n"
    "From\t: <sip:a@example.com> ; tag = s\r\n"
    "To:<sip:bob@example.com>\r\n"
    "Call-ID:s@h\r\n"
    "CSeq: 0009 OPTIONS\r\n"
    "Max-Forwards: 0068\r\n"
    "Content-Length   : 0\r\n"
    "\r\n";

static void c_space_colon(const struct sip_msg *m)
{
	str_eq(m->via.branch, "z9hG4bKs");
	str_eq(m->via.proto_version, "2.0");
	str_eq(m->from.tag, "s");
	str_eq(m->call_id, "s@h");
	assert_int_equal(m->cseq.num, 9);
	assert_int_equal(m->max_forwards, 68);
}

static const char bare_lf_msg[] = "OPTIONS sip:bob@example.com SIP/2.0\n"
				  "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKl\n"
				  "From: <sip:a@example.com>;tag=l\n"
				  "To: <sip:bob@example.com>\n"
				  "Call-ID: lf@h\n"
				  "CSeq: 1 OPTIONS\n"
				  "Content-Type: text/plain\n"
				  "Content-Length: 3\n"
				  "\n"
				  "abc";

static void c_bare_lf(const struct sip_msg *m)
{
	str_eq(m->call_id, "lf@h");
	str_eq(m->body, "abc");
	assert_int_equal(m->n_hdrs, 7);
}

/* Body with NUL bytes: not an anomaly. */
static const char nul_body[] = "MESSAGE sip:bob@example.com SIP/2.0\r\n"
			       "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKn\r\n"
			       "From: <sip:a@example.com>;tag=n\r\n"
			       "To: <sip:bob@example.com>\r\n"
			       "Call-ID: nb@h\r\n"
			       "CSeq: 1 MESSAGE\r\n"
			       "Content-Type: application/octet-stream\r\n"
			       "Content-Length: 4\r\n"
			       "\r\n"
			       "\0\1\0\2";

static void c_nul_body(const struct sip_msg *m)
{
	assert_int_equal(m->body.len, 4);
}

/* Hostile rows share one skeleton with a line spliced in. */
#define SKEL_START "OPTIONS sip:bob@example.com SIP/2.0\r\n"
#define SKEL_HDRS                                                                                  \
	"Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKh\r\n"                                       \
	"From: <sip:a@example.com>;tag=h\r\n"                                                      \
	"To: <sip:bob@example.com>\r\n"                                                            \
	"Call-ID: hostile@h\r\n"                                                                   \
	"CSeq: 1 OPTIONS\r\n"
#define WITH(line) SKEL_START SKEL_HDRS line "\r\n\r\n"

static void c_cl_mismatch(const struct sip_msg *m)
{
	assert_int_equal(m->content_length, 4294967295LL);
	str_eq(m->body, "abc");
}

static void c_bad_cl(const struct sip_msg *m)
{
	assert_int_equal(m->content_length, -1);
}

static void c_missing_cl(const struct sip_msg *m)
{
	assert_int_equal(m->body.len, 0);
}

static void c_garbage_after(const struct sip_msg *m)
{
	str_eq(m->body, "abc");
}

static void c_bad_status(const struct sip_msg *m)
{
	assert_int_equal(m->status, 99);
}

static void c_ruri_sp(const struct sip_msg *m)
{
	str_eq(m->ruri_raw, "sip:a@b; lr");
}

static void c_stray(const struct sip_msg *m)
{
	/* the bad line is skipped; the good ones around it are kept */
	assert_non_null(sip_find_header(m, SIP_H_CALL_ID, NULL));
	assert_int_equal(m->n_hdrs, 6);
}

static void c_rfc2543(const struct sip_msg *m)
{
	assert_null(m->via.branch.p);
	str_eq(m->body, "v=0\r\n");
}

static const struct prow prows[] = {
    /* Valid messages */
    {"request_basic", M(invite_sdp), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_request_basic},
    {"request_basic_stream", M(invite_sdp), SIP_PARSE_STREAM, WANT_LEN, NULL, c_request_basic},
    {"response_200", M(response_200), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_response},
    {"compact_forms_vftimlcekso_rbax", M(compact_forms), SIP_PARSE_DATAGRAM, WANT_LEN, NULL,
     c_compact},
    {"case_insensitive_names", M(case_names), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_case},
    {"line_folding", M(folded), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_folded},
    {"repeated_headers_and_comma_lists", M(lists), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_lists},
    {"quoted_escapes_utf8_display", M(quoted), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_quoted},
    {"sips_ipv6_reference", M(sips_ipv6), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_sips_ipv6},
    {"tel_uri", M(tel_uri), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_tel},
    {"uri_params_and_headers", M(uri_params), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_uri_params},
    {"via_received_rport_maddr_ttl", M(via_params), SIP_PARSE_DATAGRAM, WANT_LEN, NULL,
     c_via_params},
    {"contact_star_expires_0", M(register_star), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_star},
    {"contact_expires_param_user_agent", M(register_expires), SIP_PARSE_DATAGRAM, WANT_LEN, NULL,
     c_expires},
    {"authorization_digest", M(authz), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_authz},
    {"proxy_authorization", M(proxy_authz), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_proxy_authz},
    {"www_authenticate", M(www_auth), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_www_auth},
    {"proxy_authenticate", M(proxy_auth), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_proxy_auth},
    {"lws_around_colons_leading_zeros", M(space_colon), SIP_PARSE_DATAGRAM, WANT_LEN, NULL,
     c_space_colon},
    {"nul_in_body_is_fine", M(nul_body), SIP_PARSE_DATAGRAM, WANT_LEN, NULL, c_nul_body},
    {"leading_crlf_ignored", M("\r\n\r\n" WITH("Content-Length: 0")), SIP_PARSE_STREAM, WANT_LEN,
     NULL, NULL},
    {"rfc2543_no_branch_no_cl",
     M(SKEL_START "Via: SIP/2.0/UDP old.example.com\r\n"
		  "From: <sip:a@example.com>\r\n"
		  "To: <sip:bob@example.com>\r\n"
		  "Call-ID: 2543@h\r\nCSeq: 1 OPTIONS\r\n"
		  "Content-Type: application/sdp\r\n\r\nv=0\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.missing_from_tag", c_rfc2543},

    /* Hostile: lengths */
    {"content_length_huge_stream", M(WITH("Content-Length: 4294967295") "abc"), SIP_PARSE_STREAM,
     -1, "sip.message_too_large"},
    {"content_length_huge_datagram", M(WITH("Content-Length: 4294967295") "abc"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.content_length_mismatch", c_cl_mismatch, 0, 1},
    {"content_length_negative", M(WITH("Content-Length: -1") "abc"), SIP_PARSE_DATAGRAM, WANT_LEN,
     "sip.bad_content_length,sip.empty_content_type", c_bad_cl},
    {"content_length_overflow", M(WITH("Content-Length: 99999999999999999999999")),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_content_length", c_bad_cl},
    {"content_length_trailing_junk", M(WITH("Content-Length: 12x")), SIP_PARSE_DATAGRAM, WANT_LEN,
     "sip.bad_content_length", c_bad_cl},
    {"content_length_missing_stream", M(WITH("Max-Forwards: 70")), SIP_PARSE_STREAM, WANT_LEN,
     "sip.missing_content_length", c_missing_cl},
    {"content_length_short_body_stream", M(WITH("Content-Length: 10") "abc"), SIP_PARSE_STREAM, -2,
     "", NULL, 0, 1},
    {"content_length_conflicting", M(WITH("Content-Length: 3\r\nl: 5") "abc"), SIP_PARSE_DATAGRAM,
     WANT_LEN, "sip.duplicate_header", NULL, 0, 1},
    {"garbage_after_body_datagram", M(WITH("Content-Length: 3") "abc\x01\x02junk"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.content_length_mismatch", c_garbage_after, 0, 1},
    {"cseq_overflow",
     M(SKEL_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
		  "To: <sip:c@d>\r\nCall-ID: x@y\r\n"
		  "CSeq: 4294967296 OPTIONS\r\nContent-Length: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_cseq_num"},
    {"max_forwards_256", M(WITH("Max-Forwards: 256\r\nContent-Length: 0")), SIP_PARSE_DATAGRAM,
     WANT_LEN, "sip.bad_max_forwards"},
    {"expires_overflow", M(WITH("Expires: 4294967296\r\nContent-Length: 0")), SIP_PARSE_DATAGRAM,
     WANT_LEN, "sip.bad_expires"},

    /* Hostile: bytes */
    {"nul_in_header", M(WITH("Subject: a\0b\r\nContent-Length: 0")), SIP_PARSE_DATAGRAM, WANT_LEN,
     "sip.nul_byte_in_headers"},
    {"nul_in_header_name", M(WITH("Sub\0ject: x\r\nContent-Length: 0")), SIP_PARSE_DATAGRAM,
     WANT_LEN, "sip.nul_byte_in_headers,sip.bad_header_line"},
    {"nul_in_request_uri",
     M("OPTIONS sip:a@b\0c SIP/2.0\r\n" SKEL_HDRS "Content-Length: 0\r\n\r\n"), SIP_PARSE_DATAGRAM,
     WANT_LEN, "sip.nul_byte_in_headers,sip.bad_request_uri"},
    {"nul_escaped_in_quoted_string", M(WITH("Subject: \"a\\\0b\"\r\nContent-Length: 0")),
     SIP_PARSE_DATAGRAM, WANT_LEN, NULL},
    {"bare_lf_line_ends", M(bare_lf_msg), SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bare_lf", c_bare_lf},
    {"bare_lf_stream", M(bare_lf_msg), SIP_PARSE_STREAM, WANT_LEN, "sip.bare_lf", c_bare_lf},
    {"bare_cr_in_value", M(WITH("Subject: a\rInjected: b\r\nContent-Length: 0")),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bare_cr"},
    {"too_many_headers", M(WITH("Content-Length: 0")), SIP_PARSE_DATAGRAM, -1,
     "sip.too_many_headers", NULL, 3},
    {"missing_start_line", M(SKEL_HDRS "Content-Length: 0\r\n\r\n"), SIP_PARSE_DATAGRAM, -1,
     "sip.bad_start_line"},
    {"missing_start_line_stream", M(SKEL_HDRS "Content-Length: 0\r\n\r\n"), SIP_PARSE_STREAM, -1,
     "sip.bad_start_line"},
    {"binary_garbage", M("\x80\x00\xde\xad\xbe\xef\x01\x02\r\n\xff\xfe\r\n\r\n"),
     SIP_PARSE_DATAGRAM, -1, "sip.bad_start_line", NULL, 0, 1},
    {"binary_garbage_stream_partial", M("\x80\x00\xde\xad\xbe\xef"), SIP_PARSE_STREAM, -1,
     "sip.bad_start_line", NULL, 0, 1},
    {"empty_datagram", M(""), SIP_PARSE_DATAGRAM, -1, "sip.bad_start_line", NULL, 0, 1},
    {"empty_stream", M(""), SIP_PARSE_STREAM, -2, ""},
    {"only_crlf_stream", M("\r\n\r\n"), SIP_PARSE_STREAM, -2, ""},
    {"http_request", M("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), SIP_PARSE_DATAGRAM, -1,
     "sip.bad_start_line"},
    {"ssdp_notify", M("NOTIFY * HTTP/1.1\r\nHost: 239.255.255.250:1900\r\n\r\n"),
     SIP_PARSE_DATAGRAM, -1, "sip.bad_start_line"},
    {"truncated_datagram", M(SKEL_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.no_header_terminator,sip.missing_to", NULL, 0, 1},

    /* Hostile: syntax */
    {"missing_required_headers", M(SKEL_START "Content-Length: 0\r\n\r\n"), SIP_PARSE_DATAGRAM,
     WANT_LEN,
     "sip.missing_via,sip.missing_from,sip.missing_to,sip.missing_call_id,sip.missing_cseq"},
    {"header_without_colon", M(WITH("This is not a header\r\nContent-Length: 0")),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_header_line", c_stray},
    {"header_empty_name", M(WITH(": value\r\nContent-Length: 0")), SIP_PARSE_DATAGRAM, WANT_LEN,
     "sip.bad_header_line", c_stray},
    {"status_code_4_digits", M("SIP/2.0 2000 OK\r\n" SKEL_HDRS "\r\n"), SIP_PARSE_DATAGRAM, -1,
     "sip.bad_status_code,sip.bad_start_line"},
    {"status_code_99", M("SIP/2.0 099 Low\r\n" SKEL_HDRS "\r\n"), SIP_PARSE_DATAGRAM, WANT_LEN,
     "sip.bad_status_code", c_bad_status},
    {"version_3", M("OPTIONS sip:bob@example.com SIP/3.0\r\n" SKEL_HDRS "l: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.invalid_version"},
    {"request_uri_empty", M("OPTIONS  SIP/2.0\r\n" SKEL_HDRS "l: 0\r\n\r\n"), SIP_PARSE_DATAGRAM,
     -1, "sip.empty_request_uri", NULL, 0, 1},
    {"request_line_without_version", M("INVITE sip:alan@jasomi.com\r\n" SKEL_HDRS "l: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, -1, "sip.bad_start_line"},
    {"request_uri_with_space", M("OPTIONS sip:a@b; lr SIP/2.0\r\n" SKEL_HDRS "l: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_request_uri", c_ruri_sp},
    {"request_uri_unknown_scheme", M("OPTIONS foo:bar SIP/2.0\r\n" SKEL_HDRS "l: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.ruri_unknown_scheme"},
    {"request_uri_headers",
     M("OPTIONS sip:bob@example.com?Route=x SIP/2.0\r\n" SKEL_HDRS "l: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.ruri_has_headers"},
    {"request_uri_bad_escape",
     M("OPTIONS sip:b%4@example.com SIP/2.0\r\n" SKEL_HDRS "l: 0\r\n\r\n"), SIP_PARSE_DATAGRAM,
     WANT_LEN, "sip.bad_request_uri"},
    {"start_line_extra_spaces",
     M("OPTIONS  sip:bob@example.com  SIP/2.0  \r\n" SKEL_HDRS "l: 0\r\n\r\n"), SIP_PARSE_DATAGRAM,
     WANT_LEN, "sip.start_line_whitespace"},
    {"lowercase_method_is_unknown",
     M("options sip:bob@example.com SIP/2.0\r\n" SKEL_HDRS "l: 0\r\n\r\n"), SIP_PARSE_DATAGRAM,
     WANT_LEN, "sip.unknown_method,sip.cseq_method_mismatch"},
    {"cseq_method_mismatch",
     M(SKEL_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
		  "Call-ID: x@y\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.cseq_method_mismatch"},
    {"cseq_no_method",
     M(SKEL_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
		  "Call-ID: x@y\r\nCSeq: 1\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_cseq_method"},
    {"duplicate_call_id", M(WITH("Call-ID: other@h\r\nl: 0")), SIP_PARSE_DATAGRAM, WANT_LEN,
     "sip.duplicate_header"},
    {"call_id_with_space",
     M(SKEL_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
		  "Call-ID: a b@c\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_call_id"},
    {"call_id_empty",
     M(SKEL_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
		  "Call-ID:\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.empty_call_id"},
    {"from_unterminated_quote",
     M(SKEL_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: \"Mr. A <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
		  "Call-ID: x@y\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_from"},
    {"from_without_tag",
     M(SKEL_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:a@b>\r\nTo: <sip:c@d>\r\n"
		  "Call-ID: x@y\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.missing_from_tag"},
    {"to_lws_inside_angle",
     M(SKEL_START "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: < sip:c@d >\r\n"
		  "Call-ID: x@y\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_to"},
    {"via_empty",
     M(SKEL_START "Via:\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
		  "Call-ID: x@y\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.empty_via"},
    {"via_empty_params",
     M(SKEL_START "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
		  "Call-ID: x@y\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_via"},
    {"via_bad_port",
     M(SKEL_START "Via: SIP/2.0/UDP h.example.com:65536;branch=z9hG4bK1\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
		  "Call-ID: x@y\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_via"},
    {"via_bad_received",
     M(SKEL_START "Via: SIP/2.0/UDP h.example.com;received=h.example.com\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
		  "Call-ID: x@y\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_via"},
    {"via_second_element_bad",
     M(SKEL_START "Via: SIP/2.0/UDP a.example.com, garbage\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
		  "Call-ID: x@y\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_via"},
    {"via_version_1",
     M(SKEL_START "Via: SIP/1.0/UDP a.example.com\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
		  "Call-ID: x@y\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_via_version"},
    {"contact_star_with_others", M(WITH("Contact: *, <sip:a@b>\r\nl: 0")), SIP_PARSE_DATAGRAM,
     WANT_LEN, "sip.bad_contact"},
    {"contact_empty", M(WITH("Contact: \r\nl: 0")), SIP_PARSE_DATAGRAM, WANT_LEN,
     "sip.empty_contact"},
    {"contact_aspec_with_headers", M(WITH("Contact: sip:a@b?Route=x\r\nl: 0")), SIP_PARSE_DATAGRAM,
     WANT_LEN, "sip.bad_contact"},
    {"contact_expires_overflow", M(WITH("Contact: <sip:a@b>;expires=4294967296\r\nl: 0")),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_expires"},
    {"digest_missing_response",
     M(WITH("Authorization: Digest username=\"a\", realm=\"b\", "
	    "nonce=\"c\", uri=\"sip:b\"\r\nl: 0")),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_authorization"},
    {"digest_unterminated_quote", M(WITH("Authorization: Digest username=\"a\r\nl: 0")),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_authorization"},
    {"challenge_without_nonce",
     M("SIP/2.0 401 Unauthorized\r\n" SKEL_HDRS
       "WWW-Authenticate: Digest realm=\"a\"\r\nl: 0\r\n\r\n"),
     SIP_PARSE_DATAGRAM, WANT_LEN, "sip.bad_challenge"},
    {"proxy_require", M(WITH("Proxy-Require: foo\r\nl: 0")), SIP_PARSE_DATAGRAM, WANT_LEN,
     "sip.proxy_require"},
    {"date_not_gmt", M(WITH("Date: Fri, 01 Jan 2010 16:00:00 EST\r\nl: 0")), SIP_PARSE_DATAGRAM,
     WANT_LEN, "sip.bad_date"},
    {"date_gmt_ok", M(WITH("Date: Sat, 13 Nov 2010 23:29:00 GMT\r\nl: 0")), SIP_PARSE_DATAGRAM,
     WANT_LEN, NULL},
    {"body_without_content_type", M(WITH("l: 3") "abc"), SIP_PARSE_DATAGRAM, WANT_LEN,
     "sip.empty_content_type"},
};

static void run_prow(void **state)
{
	const struct prow *r = *state;
	struct guard_buf g;
	struct sip_header hdrs[HCAP];
	struct sip_msg m;
	const char *p = guard_copy(&g, r->msg, r->len);
	int want = r->want_r == WANT_LEN ? (int)r->len : r->want_r;
	int got = sip_parse(p, r->len, &m, hdrs, r->hdr_cap ? r->hdr_cap : HCAP, r->flags);
	if (got != want) {
		for (unsigned i = 0; i < m.n_anom; i++)
			print_message("# raised: %s at %u\n", anomaly_name(m.anom[i]),
				      m.anom_off[i]);
		fail_msg("%s: sip_parse returned %d, want %d", r->name, got, want);
	}
	if (!r->anoms)
		expect_no_anoms(&m);
	else
		expect_anoms(&m, r->anoms);
	if (r->anoms && *r->anoms && !r->any_anoms) {
		/* Only the listed anomalies. */
		for (unsigned i = 0; i < m.n_anom; i++) {
			const char *n = anomaly_name(m.anom[i]);
			if (!strstr(r->anoms, n))
				fail_msg("%s: unexpected anomaly %s", r->name, n);
		}
	}
	if (r->check)
		r->check(&m);
	guard_free(&g);
}

/* ------------------------------------------------------------------ */
/* Generated hostile inputs                                            */

static char *make_long_header(size_t vlen, size_t *len)
{
	const char *head = SKEL_START SKEL_HDRS "X-Long: ";
	const char *tail = "\r\nContent-Length: 0\r\n\r\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *b = malloc(hl + vlen + tl);
	assert_non_null(b);
	memcpy(b, head, hl);
	memset(b + hl, 'a', vlen);
	memcpy(b + hl + vlen, tail, tl);
	*len = hl + vlen + tl;
	return b;
}

static void parse_guarded(const char *msg, size_t len, unsigned flags, size_t cap,
			  struct sip_msg *m, int *r)
{
	struct guard_buf g;
	/* m->hdrs points into this array: callers read m's scalars only. */
	struct sip_header *hdrs = calloc(cap ? cap : 1, sizeof(*hdrs));
	const char *p = guard_copy(&g, msg, len);
	assert_non_null(hdrs);
	*r = sip_parse(p, len, m, hdrs, cap, flags);
	guard_free(&g);
	free(hdrs);
}

static void test_header_line_too_long(void **state)
{
	size_t len;
	struct sip_msg m;
	int r;
	char *b = make_long_header(SIP_MAX_LINE + 10, &len);
	parse_guarded(b, len, SIP_PARSE_DATAGRAM, HCAP, &m, &r);
	assert_int_equal(r, -1);
	expect_anoms(&m, "sip.line_too_long");
	/* A stream must not wait for the rest of an over-long line either. */
	parse_guarded(b, len - 30, SIP_PARSE_STREAM, HCAP, &m, &r);
	assert_int_equal(r, -1);
	expect_anoms(&m, "sip.line_too_long");
	free(b);
	/* Just under the limit is fine. */
	b = make_long_header(SIP_MAX_LINE - 100, &len);
	parse_guarded(b, len, SIP_PARSE_DATAGRAM, HCAP, &m, &r);
	assert_int_equal(r, (int)len);
	expect_no_anoms(&m);
	free(b);
	(void)state;
}

static void test_start_line_too_long(void **state)
{
	size_t n = SIP_MAX_LINE + 50;
	char *b = malloc(n + 64);
	struct sip_msg m;
	int r;
	assert_non_null(b);
	memcpy(b, "INVITE sip:", 11);
	memset(b + 11, 'a', n);
	/* no line end yet: a stream must give up rather than wait */
	parse_guarded(b, n, SIP_PARSE_STREAM, HCAP, &m, &r);
	assert_int_equal(r, -1);
	expect_anoms(&m, "sip.line_too_long");
	memcpy(b + n, "@h SIP/2.0\r\n\r\n", 14);
	parse_guarded(b, n + 14, SIP_PARSE_DATAGRAM, HCAP, &m, &r);
	assert_int_equal(r, -1);
	expect_anoms(&m, "sip.line_too_long");
	free(b);
	(void)state;
}

static void test_header_section_too_large_stream(void **state)
{
	/* Many short headers, never ending: -2 until SIP_MAX_MSG, then -1. */
	size_t cap = SIP_MAX_MSG + 4096, len = 0;
	char *b = malloc(cap);
	struct sip_msg m;
	int r;
	assert_non_null(b);
	len += (size_t)sprintf(b, "%s", SKEL_START);
	while (len + 20 < cap)
		len += (size_t)sprintf(b + len, "X-Pad: 0123456789\r\n");
	parse_guarded(b, 4000, SIP_PARSE_STREAM, 65535, &m, &r);
	assert_int_equal(r, -2);
	parse_guarded(b, len, SIP_PARSE_STREAM, 65535, &m, &r);
	assert_int_equal(r, -1);
	expect_anoms(&m, "sip.message_too_large");
	free(b);
	(void)state;
}

/* A stream message over SIP_MAX_MSG is refused even when all of it is there. */
static void test_stream_message_too_large_complete(void **state)
{
	size_t body = SIP_MAX_MSG, len;
	char *b = malloc(SIP_MAX_MSG * 2);
	struct sip_msg m;
	int r;
	assert_non_null(b);
	len = (size_t)sprintf(b,
			      SKEL_START SKEL_HDRS "Content-Type: text/plain\r\n"
						   "Content-Length: %zu\r\n\r\n",
			      body);
	memset(b + len, 'x', body);
	len += body;
	parse_guarded(b, len, SIP_PARSE_STREAM, HCAP, &m, &r);
	assert_int_equal(r, -1);
	expect_anoms(&m, "sip.message_too_large");
	/* the same bytes as a datagram: parsed (a datagram is what it is) */
	parse_guarded(b, len, SIP_PARSE_DATAGRAM, HCAP, &m, &r);
	assert_int_equal(r, (int)len);
	free(b);
	(void)state;
}

static void test_hdr_cap_zero(void **state)
{
	struct sip_msg m;
	int r;
	static const char msg[] = WITH("l: 0");
	parse_guarded(msg, sizeof(msg) - 1, SIP_PARSE_DATAGRAM, 0, &m, &r);
	assert_int_equal(r, -1);
	expect_anoms(&m, "sip.too_many_headers");
	(void)state;
}

/* Every strict prefix in stream mode is incomplete, never a crash. */
static const struct {
	const char *name, *msg;
	size_t len;
} prefix_rows[] = {
    {"invite_sdp", M(invite_sdp)}, {"response_200", M(response_200)},
    {"compact", M(compact_forms)}, {"folded", M(folded)},
    {"lists", M(lists)},	   {"quoted", M(quoted)},
    {"sips_ipv6", M(sips_ipv6)},   {"authz", M(authz)},
    {"www_auth", M(www_auth)},	   {"bare_lf", M(bare_lf_msg)},
    {"nul_body", M(nul_body)},	   {"crlf_first", M("\r\n" WITH("l: 0"))},
};

static void test_prefixes(void **state)
{
	const size_t *ip = *state;
	const char *msg = prefix_rows[*ip].msg;
	size_t len = prefix_rows[*ip].len;
	struct sip_msg m;
	int r;
	for (size_t n = 0; n < len; n++) {
		parse_guarded(msg, n, SIP_PARSE_STREAM, HCAP, &m, &r);
		if (r != -2)
			fail_msg("%s: prefix of %zu/%zu bytes returned %d", prefix_rows[*ip].name,
				 n, len, r);
	}
	parse_guarded(msg, len, SIP_PARSE_STREAM, HCAP, &m, &r);
	assert_int_equal(r, (int)len);
	/* Datagram mode never returns -2, on any prefix, and never crashes. */
	for (size_t n = 0; n <= len; n++) {
		parse_guarded(msg, n, SIP_PARSE_DATAGRAM, HCAP, &m, &r);
		if (r == -2 || r > (int)n)
			fail_msg("%s: datagram prefix of %zu bytes returned %d",
				 prefix_rows[*ip].name, n, r);
	}
}

/* Several messages in one UDP datagram: call again at buf + consumed. */
static void test_datagram_several_messages(void **state)
{
	static const char dg[] =
	    WITH("Content-Length: 3") "abc"
				      "\r\n\r\n" /* keep-alive between */
				      "SIP/2.0 200 OK\r\n" SKEL_HDRS "Content-Length: 0\r\n\r\n"
				      "BYE sip:bob@example.com SIP/2.0\r\n" SKEL_HDRS "\r\n";
	struct guard_buf g;
	struct sip_header hdrs[HCAP];
	struct sip_msg m;
	const char *p = guard_copy(&g, dg, sizeof(dg) - 1);
	size_t off = 0, left = sizeof(dg) - 1;
	int kinds[3], n = 0;
	while (left > 0 && n < 3) {
		int r = sip_parse(p + off, left, &m, hdrs, HCAP, SIP_PARSE_DATAGRAM);
		assert_true(r > 0);
		kinds[n++] = m.is_request ? m.method_id : 1000 + m.status;
		if (n < 3)
			expect_anoms(&m, "sip.multiple_messages");
		off += (size_t)r;
		left -= (size_t)r;
	}
	assert_int_equal(n, 3);
	assert_int_equal(left, 0);
	assert_int_equal(kinds[0], SIP_M_OPTIONS);
	assert_int_equal(kinds[1], 1200);
	assert_int_equal(kinds[2], SIP_M_BYE); /* no CL, last: body is the (empty) rest */
	guard_free(&g);
	(void)state;
}

/* Deterministic mutations of valid messages under the guard page: never
 * crash, never claim more bytes than given. */
static void test_mutations(void **state)
{
	static const char *const seeds[] = {invite_sdp, response_200, compact_forms, folded,
					    lists,	quoted,	      authz,	     www_auth};
	static const char alphabet[] = "\r\n \t:;,<>\"\\@%=?[]\0\x80\xff/0123456789aZ";
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char buf[2048];
	for (int it = 0; it < 20000; it++) {
		const char *s = seeds[it % (int)SW_ARRAY_SIZE(seeds)];
		size_t len = strlen(s), k;
		memcpy(buf, s, len);
		for (int j = 0; j < 1 + it % 4; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			k = x % len;
			switch ((x >> 32) % 3) {
			case 0:
				buf[k] = alphabet[(x >> 40) % (sizeof(alphabet) - 1)];
				break;
			case 1: /* delete */
				memmove(buf + k, buf + k + 1, len - k - 1);
				len--;
				break;
			default: /* truncate */
				len = k + 1;
				break;
			}
			if (len == 0)
				break;
		}
		struct sip_msg m;
		int r;
		unsigned fl = (it & 1) ? SIP_PARSE_STREAM : SIP_PARSE_DATAGRAM;
		parse_guarded(buf, len, fl, (size_t)(it % 20), &m, &r);
		assert_true(r == -1 || r == -2 || (r > 0 && (size_t)r <= len));
		assert_true(m.n_anom <= SIP_MAX_ANOM);
		expect_index_equiv("mutation", buf, len, fl, (size_t)(it % 20));
	}
	(void)state;
}

/* ------------------------------------------------------------------ */
/* SIP_PARSE_INDEX + sip_decode() == eager parse                       */

/* A table row: whole, in both framings, with its header array and a tiny
 * one, and every prefix. */
static void run_index_prow(void **state)
{
	const struct prow *r = *state;
	size_t cap = r->hdr_cap ? r->hdr_cap : HCAP;
	static const unsigned modes[] = {SIP_PARSE_DATAGRAM, SIP_PARSE_STREAM};
	for (size_t k = 0; k < SW_ARRAY_SIZE(modes); k++) {
		expect_index_equiv(r->name, r->msg, r->len, modes[k], cap);
		expect_index_equiv(r->name, r->msg, r->len, modes[k], 3);
		for (size_t n = 0; n < r->len; n++)
			expect_index_equiv(r->name, r->msg, n, modes[k], cap);
	}
}

/* More anomalies than SIP_MAX_ANOM, the Request-URI's among the first: the
 * ones sip_decode() adds must push the same ones out as the eager parse. */
static void test_index_many_anoms(void **state)
{
	static const char msg[] = "options sip:a@b%4;lr?x  SIP/3.0 \r\n"
				  "Via: SIP/1.0/UDP h\r\n"
				  "Bad line\r\n"
				  "Subject: a\rb\0c\n"
				  "From: <sip:a@b>\r\n"
				  "From: <sip:c@d>\r\n"
				  "Max-Forwards: 300\r\n"
				  "Expires: x\r\n"
				  "Date: yesterday\r\n"
				  "Proxy-Require: foo\r\n"
				  "Authorization: Digest\r\n"
				  "WWW-Authenticate: Digest\r\n"
				  "CSeq: x\r\n"
				  "Content-Length: 3\r\n"
				  "l: 4x\r\n"
				  "\r\n"
				  "abcdef";
	struct sip_header h[HCAP];
	struct sip_msg m;
	int r = sip_parse(msg, sizeof(msg) - 1, &m, h, HCAP, SIP_PARSE_DATAGRAM);
	assert_true(r > 0);
	assert_int_equal(m.n_anom, SIP_MAX_ANOM);
	expect_anoms(&m, "sip.bad_request_uri");
	for (size_t cap = 0; cap <= HCAP; cap += cap < 20 ? 1 : HCAP - 20) {
		expect_index_equiv("many_anoms", msg, sizeof(msg) - 1, SIP_PARSE_DATAGRAM, cap);
		expect_index_equiv("many_anoms", msg, sizeof(msg) - 1, SIP_PARSE_STREAM, cap);
	}
	for (size_t n = 0; n < sizeof(msg) - 1; n++) {
		expect_index_equiv("many_anoms", msg, n, SIP_PARSE_DATAGRAM, HCAP);
		expect_index_equiv("many_anoms", msg, n, SIP_PARSE_STREAM, HCAP);
	}
	(void)state;
}

/* The generated over-limit messages of the limits/ tests. */
static void test_index_limits(void **state)
{
	size_t len, cap = SIP_MAX_MSG * 2;
	char *b = make_long_header(SIP_MAX_LINE + 10, &len);
	expect_index_equiv("long_header", b, len, SIP_PARSE_DATAGRAM, HCAP);
	expect_index_equiv("long_header", b, len - 30, SIP_PARSE_STREAM, HCAP);
	free(b);
	b = malloc(cap);
	assert_non_null(b);
	len = (size_t)sprintf(b,
			      SKEL_START SKEL_HDRS "Content-Type: text/plain\r\n"
						   "Content-Length: %d\r\n\r\n",
			      SIP_MAX_MSG);
	memset(b + len, 'x', SIP_MAX_MSG);
	len += SIP_MAX_MSG;
	expect_index_equiv("too_large", b, len, SIP_PARSE_STREAM, HCAP);
	expect_index_equiv("too_large", b, len, SIP_PARSE_DATAGRAM, HCAP);
	len = (size_t)sprintf(b, "%s", SKEL_START);
	while (len + 20 < cap)
		len += (size_t)sprintf(b + len, "X-Pad: 0123456789\r\n");
	expect_index_equiv("endless_headers", b, len, SIP_PARSE_STREAM, 65535);
	expect_index_equiv("endless_headers", b, len, SIP_PARSE_DATAGRAM, 65535);
	free(b);
	(void)state;
}

/* The RFC 4475 torture messages, when the corpus is there. */
#define TORTURE_DIR "../shared/corpus/torture/rfc4475"

static void test_index_torture(void **state)
{
	DIR *d = opendir(TORTURE_DIR);
	struct dirent *e;
	int files = 0;
	if (!d)
		skip();
	while ((e = readdir(d)) != NULL) {
		char path[512];
		size_t nl = strlen(e->d_name), len = 0;
		char *buf;
		if (nl < 5 || strcmp(e->d_name + nl - 4, ".dat") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", TORTURE_DIR, e->d_name);
		buf = slurp_file(path, &len);
		assert_non_null(buf);
		files++;
		for (int mode = 0; mode < 2; mode++) {
			unsigned fl = mode ? SIP_PARSE_STREAM : SIP_PARSE_DATAGRAM;
			expect_index_equiv(e->d_name, buf, len, fl, HCAP);
			expect_index_equiv(e->d_name, buf, len, fl, 4);
			for (size_t n = 0; n < len; n++)
				expect_index_equiv(e->d_name, buf, n, fl, HCAP);
		}
		free(buf);
	}
	closedir(d);
	assert_true(files > 0);
	(void)state;
}

/* ------------------------------------------------------------------ */
/* Sub-parsers                                                         */

struct urow {
	const char *name, *in;
	int rc;
	int scheme;
	const char *user, *password, *host;
	int port, host_is_ip;
	const char *params, *headers, *transport, *user_param, *maddr;
	int lr;
};

static const struct urow urows[] = {
    {"sip_simple", "sip:alice@atlanta.com", 0, SIP_SCHEME_SIP, "alice", NULL, "atlanta.com", 0, 0},
    {"sip_no_user", "sip:atlanta.com:5070", 0, SIP_SCHEME_SIP, NULL, NULL, "atlanta.com", 5070, 0},
    {"sips_password", "sips:alice:pw@192.0.2.4:5061", 0, SIP_SCHEME_SIPS, "alice", "pw",
     "192.0.2.4", 5061, 4},
    {"ipv6_ref", "sip:[2001:db8::1]:5060", 0, SIP_SCHEME_SIP, NULL, NULL, "[2001:db8::1]", 5060, 6},
    {"ipv6_v4mapped", "sip:u@[::ffff:192.0.2.1]", 0, SIP_SCHEME_SIP, "u", NULL,
     "[::ffff:192.0.2.1]", 0, 6},
    {"params_all", "sip:u@h.com;transport=TCP;user=phone;maddr=10.0.0.1;lr;method=INVITE", 0,
     SIP_SCHEME_SIP, "u", NULL, "h.com", 0, 0,
     "transport=TCP;user=phone;maddr=10.0.0.1;lr;method=INVITE", NULL, "TCP", "phone", "10.0.0.1",
     1},
    {"headers", "sip:u@h.com?subject=x&to=sip%3Ab%40c", 0, SIP_SCHEME_SIP, "u", NULL, "h.com", 0, 0,
     NULL, "subject=x&to=sip%3Ab%40c"},
    {"escaped_user", "sip:%61lice@h.com", 0, SIP_SCHEME_SIP, "%61lice", NULL, "h.com", 0, 0},
    {"user_with_semicolon", "sip:user;par=u%40x@h.com", 0, SIP_SCHEME_SIP, "user;par=u%40x", NULL,
     "h.com", 0, 0},
    {"dial_string_hash", "sip:*67#123@h.com", 0, SIP_SCHEME_SIP, "*67#123", NULL, "h.com", 0, 0},
    {"trailing_dot_host", "sip:h.example.com.", 0, SIP_SCHEME_SIP, NULL, NULL, "h.example.com.", 0,
     0},
    {"tel_global", "tel:+1-201-555-0123", 0, SIP_SCHEME_TEL, "+1-201-555-0123"},
    {"tel_params", "tel:7042;phone-context=example.com", 0, SIP_SCHEME_TEL, "7042", NULL, NULL, 0,
     0, "phone-context=example.com"},
    {"other_scheme", "urn:service:sos", 0, SIP_SCHEME_OTHER},
    {"scheme_case", "SIP:bob@h.com", 0, SIP_SCHEME_SIP, "bob", NULL, "h.com"},
    /* malformed */
    {"empty", "", -1},
    {"no_scheme", "alice@atlanta.com", -1},
    {"scheme_only", "sip:", -1},
    {"angle_brackets", "<sip:a@b>", -1},
    {"space_inside", "sip:a b@c", -1},
    {"empty_user", "sip:@h.com", -1},
    {"bad_escape", "sip:a%2@h.com", -1},
    {"bad_escape_end", "sip:a@h.com;x=%", -1},
    {"port_too_big", "sip:h.com:65536", -1},
    {"port_empty", "sip:h.com:", -1},
    {"port_garbage", "sip:h.com:50a", -1},
    {"ipv6_unterminated", "sip:[2001:db8::1", -1},
    {"ipv6_garbage", "sip:[2001:zz::1]", -1},
    {"ipv4_octet_256", "sip:192.0.2.256", -1},
    {"empty_label", "sip:a..b.com", -1},
    {"dash_label_end", "sip:a-.b.com", -1},
    {"empty_param", "sip:h.com;;lr", -1},
    {"empty_param_value", "sip:h.com;transport=", -1},
    {"header_without_value_sign", "sip:h.com?subject", -1},
    {"utf8_in_uri", "sip:j\xc3\xbcrgen@h.com", -1},
    {"nul_in_uri", "sip:a\0b@h.com", -1},
};

static void run_urow(void **state)
{
	const struct urow *r = *state;
	struct guard_buf g;
	struct sip_uri u;
	size_t len = strlen(r->in);
	if (strcmp(r->name, "nul_in_uri") == 0)
		len = 13;
	const char *p = guard_copy(&g, r->in, len);
	int rc = sip_parse_uri(sw_str_make(p, len), &u);
	assert_int_equal(rc, r->rc);
	if (rc == 0) {
		assert_int_equal(u.scheme, r->scheme);
		if (r->user)
			str_eq(u.user, r->user);
		if (r->password)
			str_eq(u.password, r->password);
		if (r->host)
			str_eq(u.host, r->host);
		assert_int_equal(u.port, r->port);
		if (r->host)
			assert_int_equal(u.host_is_ip, r->host_is_ip);
		if (r->params)
			str_eq(u.params, r->params);
		if (r->headers)
			str_eq(u.headers, r->headers);
		if (r->transport)
			str_eq(u.transport, r->transport);
		if (r->user_param)
			str_eq(u.user_param, r->user_param);
		if (r->maddr)
			str_eq(u.maddr, r->maddr);
		assert_int_equal(u.lr, r->lr);
		str_eq(u.raw, r->in);
	}
	guard_free(&g);
}

struct narow {
	const char *name, *in;
	int rc;
	const char *display, *uri_user, *tag, *params, *expires;
	int star;
};

static const struct narow narows[] = {
    {"name_addr", "\"Bob\" <sip:bob@b.com>;tag=1", 0, "Bob", "bob", "1", "tag=1"},
    {"token_display", "Bob Smith <sip:bob@b.com>", 0, "Bob Smith", "bob"},
    {"no_lws_before_angle", "caller<sip:c@b.com>;tag=2", 0, "caller", "c", "2"},
    {"addr_spec_params", "sip:a@b.com;tag=9;expires=60", 0, "", "a", "9", "tag=9;expires=60", "60"},
    {"addr_spec_lws_before_semi", "sip:a@b.com ;  tag = 3", 0, "", "a", "3"},
    {"quoted_param_value", "<sip:a@b.com>;+sip.instance=\"<urn:uuid:x>\";tag=t", 0, "", "a", "t"},
    {"escaped_quote_display", "\"a \\\"b\\\"\" <sip:a@b.com>", 0, "a \\\"b\\\"", "a"},
    {"utf8_display", "\"\xe5\xbc\xa0\xe4\xb8\x89\" <sip:z@b.com>", 0, "\xe5\xbc\xa0\xe4\xb8\x89",
     "z"},
    {"star", "*", 0, NULL, NULL, NULL, NULL, NULL, 1},
    {"empty_display_quotes", "\"\" <sip:a@b.com>", 0, "", "a"},
    /* malformed */
    {"empty", "", -1},
    {"unterminated_quote", "\"Bob <sip:bob@b.com>", -1},
    {"unterminated_angle", "<sip:bob@b.com", -1},
    {"lws_in_angle", "< sip:bob@b.com>", -1},
    {"comma_display", "Bell, Alexander <sip:a@b.com>", -1},
    {"addr_spec_with_headers", "sip:a@b.com?Route=x", -1},
    {"empty_params", "<sip:a@b.com>;;", -1},
    {"trailing_semicolon", "<sip:a@b.com>;", -1},
    {"garbage_after_angle", "<sip:a@b.com> junk", -1},
    {"param_value_bad", "<sip:a@b.com>;tag=a@b", -1},
    {"ctl_in_quoted", "\"a\x01\" <sip:a@b.com>", -1},
    {"empty_angle", "<>", -1},
};

static void run_narow(void **state)
{
	const struct narow *r = *state;
	struct guard_buf g;
	struct sip_nameaddr na;
	size_t len = strlen(r->in);
	const char *p = guard_copy(&g, r->in, len);
	int rc = sip_parse_nameaddr(sw_str_make(p, len), &na);
	assert_int_equal(rc, r->rc);
	if (rc == 0) {
		assert_int_equal(na.star, r->star);
		if (r->display)
			str_eq(na.display, r->display);
		if (r->uri_user)
			str_eq(na.uri.user, r->uri_user);
		if (r->tag)
			str_eq(na.tag, r->tag);
		if (r->params)
			str_eq(na.params, r->params);
		if (r->expires)
			str_eq(na.expires, r->expires);
	}
	guard_free(&g);
}

struct vrow {
	const char *name, *in;
	int rc;
	const char *transport, *host;
	int port;
	const char *branch, *received, *rport;
	int has_rport;
	const char *maddr, *ttl;
};

static const struct vrow vrows[] = {
    {"udp_branch", "SIP/2.0/UDP h.com;branch=z9hG4bK1", 0, "UDP", "h.com", 0, "z9hG4bK1"},
    {"port", "SIP/2.0/TCP 192.0.2.1:5070;branch=z9hG4bK2", 0, "TCP", "192.0.2.1", 5070, "z9hG4bK2"},
    {"rport_empty", "SIP/2.0/UDP h.com;rport;branch=b", 0, "UDP", "h.com", 0, "b", NULL, "", 1},
    {"rport_value", "SIP/2.0/UDP h.com;rport=1234;received=192.0.2.9", 0, "UDP", "h.com", 0, NULL,
     "192.0.2.9", "1234", 1},
    {"maddr_ttl", "SIP/2.0/UDP h.com;maddr=224.0.1.75;ttl=1", 0, "UDP", "h.com", 0, NULL, NULL,
     NULL, 0, "224.0.1.75", "1"},
    {"ipv6", "SIP/2.0/TLS [2001:db8::2]:5061;received=[2001:db8::3]", 0, "TLS", "[2001:db8::2]",
     5061, NULL, "[2001:db8::3]"},
    {"ws_transport", "SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKx", 0, "WSS",
     "df7jal23ls0d.invalid"},
    {"lws_everywhere", "SIP / 2.0 / UDP  h.com : 5060 ; branch = z9hG4bK3", 0, "UDP", "h.com", 5060,
     "z9hG4bK3"},
    {"first_of_list", "SIP/2.0/UDP a.com;branch=1, SIP/2.0/UDP b.com", 0, "UDP", "a.com", 0, "1"},
    {"quoted_ext_param", "SIP/2.0/UDP a.com;x=\"y;z\";branch=q", 0, "UDP", "a.com", 0, "q"},
    /* malformed */
    {"empty", "", -1},
    {"no_transport", "SIP/2.0 h.com", -1},
    {"no_host", "SIP/2.0/UDP", -1},
    {"no_lws_before_host", "SIP/2.0/UDPh.com", -1},
    {"ttl_256", "SIP/2.0/UDP h.com;ttl=256", -1},
    {"rport_garbage", "SIP/2.0/UDP h.com;rport=x", -1},
    {"received_host", "SIP/2.0/UDP h.com;received=h.com", -1},
    {"empty_param", "SIP/2.0/UDP h.com;;branch=x", -1},
    {"branch_without_value", "SIP/2.0/UDP h.com;branch", -1},
    {"bad_port", "SIP/2.0/UDP h.com:99999", -1},
    {"garbage_after_host", "SIP/2.0/UDP h.com junk", -1},
};

static void run_vrow(void **state)
{
	const struct vrow *r = *state;
	struct guard_buf g;
	struct sip_via v;
	size_t len = strlen(r->in);
	const char *p = guard_copy(&g, r->in, len);
	int rc = sip_parse_via(sw_str_make(p, len), &v);
	assert_int_equal(rc, r->rc);
	if (rc == 0) {
		str_eq(v.transport, r->transport);
		str_eq(v.host, r->host);
		assert_int_equal(v.port, r->port);
		if (r->branch)
			str_eq(v.branch, r->branch);
		if (r->received)
			str_eq(v.received, r->received);
		if (r->rport)
			str_eq(v.rport, r->rport);
		assert_int_equal(v.has_rport, r->has_rport);
		if (r->maddr)
			str_eq(v.maddr, r->maddr);
		if (r->ttl)
			str_eq(v.ttl, r->ttl);
	}
	guard_free(&g);
}

struct arow {
	const char *name, *in;
	int rc;
	const char *scheme, *username, *realm, *nonce, *uri, *response, *qop, *nc, *cnonce,
	    *algorithm, *opaque;
};

static const struct arow arows[] = {
    {"digest_full",
     "Digest username=\"bob\",realm=\"biloxi.com\",nonce=\"n1\",uri=\"sip:b.com\","
     "response=\"r1\",qop=auth,nc=00000001,cnonce=\"c1\",algorithm=MD5,opaque=\"o1\"",
     0, "Digest", "bob", "biloxi.com", "n1", "sip:b.com", "r1", "auth", "00000001", "c1", "MD5",
     "o1"},
    {"names_case_insensitive", "Digest USERNAME=\"u\", Realm=\"r\"", 0, "Digest", "u", "r"},
    {"quoted_comma", "Digest realm=\"a,b\", nonce=\"x\"", 0, "Digest", NULL, "a,b", "x"},
    {"challenge_qop_list", "Digest realm=\"r\", qop=\"auth,auth-int\", nonce=\"n\"", 0, "Digest",
     NULL, "r", "n", NULL, NULL, "auth,auth-int"},
    {"unknown_scheme", "NoOneKnowsThisScheme opaque-data=here", 0, "NoOneKnowsThisScheme"},
    {"basic_token68", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", 0, "Basic"},
    /* malformed */
    {"empty", "", -1},
    {"scheme_only", "Digest", -1},
    {"no_lws_after_scheme", "Digest,username=\"a\"", -1},
    {"unterminated_quote", "Digest username=\"bob", -1},
    {"missing_comma", "Digest username=\"a\" realm=\"b\"", -1},
    {"trailing_comma", "Digest username=\"a\",", -1},
    {"empty_value", "Digest username=, realm=\"b\"", -1},
};

static void run_arow(void **state)
{
	const struct arow *r = *state;
	struct guard_buf g;
	struct sip_auth a;
	size_t len = strlen(r->in);
	const char *p = guard_copy(&g, r->in, len);
	int rc = sip_parse_auth(sw_str_make(p, len), &a);
	assert_int_equal(rc, r->rc);
	if (rc == 0) {
		const struct {
			const char *want;
			sw_str got;
		} f[] = {{r->scheme, a.scheme}, {r->username, a.username},
			 {r->realm, a.realm},	{r->nonce, a.nonce},
			 {r->uri, a.uri},	{r->response, a.response},
			 {r->qop, a.qop},	{r->nc, a.nc},
			 {r->cnonce, a.cnonce}, {r->algorithm, a.algorithm},
			 {r->opaque, a.opaque}};
		for (size_t k = 0; k < SW_ARRAY_SIZE(f); k++)
			if (f[k].want)
				str_eq(f[k].got, f[k].want);
	}
	guard_free(&g);
}

/* ------------------------------------------------------------------ */
/* Probe, names, unfold                                                */

struct brow {
	const char *name, *in;
	size_t len;
	int want;
};

static const struct brow brows[] = {
    {"sip_request", M("INVITE sip:bob@biloxi.com SIP/2.0\r\nVia: x\r\n"), 1},
    {"sip_request_extension_method", M("FOO sip:bob@biloxi.com SIP/2.0\r\n"), 1},
    {"sip_response", M("SIP/2.0 180 Ringing\r\n"), 1},
    {"sip_response_no_reason", M("SIP/2.0 100\r\n"), 1},
    {"sip_response_bigcode", M("SIP/2.0 4294967301 x\r\n"), 1},
    {"sip_bare_lf", M("OPTIONS sip:h SIP/2.0\n"), 1},
    {"sip_leading_crlf", M("\r\n\r\nOPTIONS sip:h SIP/2.0\r\n"), 1},
    {"sip_trailing_space", M("OPTIONS sip:h SIP/2.0  \r\n"), 1},
    {"http_get", M("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0},
    {"http_response", M("HTTP/1.1 200 OK\r\n"), 0},
    {"ssdp_msearch", M("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"), 0},
    {"ssdp_notify", M("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"), 0},
    {"rtsp_request", M("OPTIONS rtsp://example.com/media.mp4 RTSP/1.0\r\nCSeq: 1\r\n"), 0},
    {"rtsp_response", M("RTSP/1.0 200 OK\r\nCSeq: 1\r\n"), 0},
    {"rtp_packet", M("\x80\x00\x12\x34\x00\x00\x00\xa0\xde\xad\xbe\xef\xff\xff\r\n"), 0},
    {"rtcp_packet", M("\x81\xc8\x00\x06\xde\xad\xbe\xef\n"), 0},
    {"stun", M("\x00\x01\x00\x00\x21\x12\xa4\x42\n"), 0},
    {"sip_no_uri_colon", M("OPTIONS * SIP/2.0\r\n"), 0},
    {"sip_incomplete_line", M("INVITE sip:bob@biloxi.com SIP/2.0"), 0},
    {"empty", M(""), 0},
    {"keepalive_only", M("\r\n\r\n"), 0},
    {"status_without_code", M("SIP/2.0 OK\r\n"), 0},
};

static void run_brow(void **state)
{
	const struct brow *r = *state;
	struct guard_buf g;
	const char *p = guard_copy(&g, r->in, r->len);
	assert_int_equal(sip_probe((const uint8_t *)p, r->len), r->want);
	guard_free(&g);
}

static void test_header_ids(void **state)
{
	static const struct {
		const char *name;
		int id;
	} rows[] = {
	    {"Via", SIP_H_VIA},
	    {"v", SIP_H_VIA},
	    {"V", SIP_H_VIA},
	    {"vIa", SIP_H_VIA},
	    {"f", SIP_H_FROM},
	    {"t", SIP_H_TO},
	    {"i", SIP_H_CALL_ID},
	    {"CALL-ID", SIP_H_CALL_ID},
	    {"m", SIP_H_CONTACT},
	    {"l", SIP_H_CONTENT_LENGTH},
	    {"c", SIP_H_CONTENT_TYPE},
	    {"e", SIP_H_CONTENT_ENCODING},
	    {"k", SIP_H_SUPPORTED},
	    {"s", SIP_H_SUBJECT},
	    {"o", SIP_H_EVENT},
	    {"r", SIP_H_REFER_TO},
	    {"b", SIP_H_REFERRED_BY},
	    {"a", SIP_H_ACCEPT_CONTACT},
	    {"x", SIP_H_SESSION_EXPIRES},
	    {"u", SIP_H_OTHER},
	    {"z", SIP_H_OTHER},
	    {"proxy-authorization", SIP_H_PROXY_AUTHORIZATION},
	    {"WWW-AUTHENTICATE", SIP_H_WWW_AUTHENTICATE},
	    {"P-Asserted-Identity", SIP_H_P_ASSERTED_IDENTITY},
	    {"Content-Lengthx", SIP_H_OTHER},
	    {"Vía", SIP_H_OTHER},
	    {"", SIP_H_OTHER},
	    {"T\xcf", SIP_H_OTHER},
	    {"C%6Fntact", SIP_H_OTHER},
	};
	for (size_t k = 0; k < SW_ARRAY_SIZE(rows); k++) {
		int id = sip_header_id(sw_str_make(rows[k].name, strlen(rows[k].name)));
		if (id != rows[k].id)
			fail_msg("header \"%s\" -> %d, want %d", rows[k].name, id, rows[k].id);
	}
	/* Every known header by its canonical name, any case. */
	for (int id = 1; id < SIP_H__COUNT; id++) {
		char up[64];
		const char *n = sip_header_name(id);
		size_t k;
		for (k = 0; n[k]; k++)
			up[k] = (char)((n[k] >= 'a' && n[k] <= 'z') ? n[k] - 32 : n[k]);
		assert_int_equal(sip_header_id(sw_str_make(n, strlen(n))), id);
		assert_int_equal(sip_header_id(sw_str_make(up, k)), id);
	}
	assert_null(sip_header_name(SIP_H_OTHER));
	(void)state;
}

static void test_method_ids(void **state)
{
	for (int id = 1; id < SIP_M__COUNT; id++) {
		const char *n = sip_method_name(id);
		assert_int_equal(sip_method_id(sw_str_make(n, strlen(n))), id);
	}
	assert_int_equal(sip_method_id(SW_STR_LIT("invite")), SIP_M_UNKNOWN);
	assert_int_equal(sip_method_id(SW_STR_LIT("INVITEX")), SIP_M_UNKNOWN);
	assert_int_equal(sip_method_id(SW_STR_LIT("")), SIP_M_UNKNOWN);
	assert_string_equal(sip_method_name(99), "UNKNOWN");
	assert_string_equal(sip_method_name(-1), "UNKNOWN");
	(void)state;
}

static void test_unfold(void **state)
{
	char out[64];
	assert_int_equal(sip_unfold(SW_STR_LIT("a  \r\n   b\r\n\tc"), out, sizeof(out)), 5);
	assert_string_equal(out, "a b c");
	/* bounded by the output capacity, always terminated */
	assert_int_equal(sip_unfold(SW_STR_LIT("abcdef"), out, 4), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(sip_unfold(SW_STR_LIT("abc"), out, 0), 0);
	assert_int_equal(sip_unfold(SW_STR_LIT(""), out, sizeof(out)), 0);
	assert_string_equal(out, "");
	(void)state;
}

static void test_probe_prefix(void **state)
{
	static const struct {
		const char *in;
		int want;
	} rows[] = {
	    {"", 1},
	    {"I", 1},
	    {"INVITE", 1},
	    {"INVITE sip:a@b SIP/2", 1},
	    {"S", 1},
	    {"SIP/2.0 2", 1},
	    {"sip", 1},
	    {"\x80", 0},
	    {"GET\x01", 0},
	    {"INVITE\x02", 0},
	    {"INVITE sip:\x01", 0},
	    {"<sip", 0},
	};
	for (size_t k = 0; k < SW_ARRAY_SIZE(rows); k++)
		if (sip_probe_prefix((const uint8_t *)rows[k].in, strlen(rows[k].in)) !=
		    rows[k].want)
			fail_msg("sip_probe_prefix(\"%s\") != %d", rows[k].in, rows[k].want);
	(void)state;
}

/* ------------------------------------------------------------------ */

#define MAX_TESTS 512

int main(void)
{
	static struct CMUnitTest t[MAX_TESTS];
	static char names[MAX_TESTS][96];
	static size_t prefix_idx[SW_ARRAY_SIZE(prefix_rows)];
	size_t n = 0;

#define ADD(prefix, fn, st, nm)                                                                    \
	do {                                                                                       \
		snprintf(names[n], sizeof(names[n]), "%s%s", prefix, nm);                          \
		t[n] = (struct CMUnitTest){names[n], fn, NULL, NULL, (void *)(st)};                \
		n++;                                                                               \
	} while (0)

	for (size_t k = 0; k < SW_ARRAY_SIZE(prows); k++)
		ADD("parse/", run_prow, &prows[k], prows[k].name);
	for (size_t k = 0; k < SW_ARRAY_SIZE(prefix_rows); k++) {
		prefix_idx[k] = k;
		ADD("prefixes/", test_prefixes, &prefix_idx[k], prefix_rows[k].name);
	}
	ADD("limits/", test_header_line_too_long, NULL, "header_line_too_long");
	ADD("limits/", test_start_line_too_long, NULL, "start_line_too_long");
	ADD("limits/", test_header_section_too_large_stream, NULL,
	    "header_section_too_large_stream");
	ADD("limits/", test_stream_message_too_large_complete, NULL,
	    "stream_message_too_large_complete");
	ADD("limits/", test_hdr_cap_zero, NULL, "hdr_cap_zero");
	ADD("datagram/", test_datagram_several_messages, NULL, "several_messages");
	ADD("robustness/", test_mutations, NULL, "mutations_20000");
	for (size_t k = 0; k < SW_ARRAY_SIZE(prows); k++)
		ADD("index/", run_index_prow, &prows[k], prows[k].name);
	ADD("index/", test_index_many_anoms, NULL, "more_anomalies_than_slots");
	ADD("index/", test_index_limits, NULL, "limits");
	ADD("index/", test_index_torture, NULL, "rfc4475_torture");
	for (size_t k = 0; k < SW_ARRAY_SIZE(urows); k++)
		ADD("uri/", run_urow, &urows[k], urows[k].name);
	for (size_t k = 0; k < SW_ARRAY_SIZE(narows); k++)
		ADD("nameaddr/", run_narow, &narows[k], narows[k].name);
	for (size_t k = 0; k < SW_ARRAY_SIZE(vrows); k++)
		ADD("via/", run_vrow, &vrows[k], vrows[k].name);
	for (size_t k = 0; k < SW_ARRAY_SIZE(arows); k++)
		ADD("auth/", run_arow, &arows[k], arows[k].name);
	for (size_t k = 0; k < SW_ARRAY_SIZE(brows); k++)
		ADD("probe/", run_brow, &brows[k], brows[k].name);
	ADD("probe/", test_probe_prefix, NULL, "prefix");
	ADD("names/", test_header_ids, NULL, "header_ids");
	ADD("names/", test_method_ids, NULL, "method_ids");
	ADD("names/", test_unfold, NULL, "unfold");
#undef ADD
	return _cmocka_run_group_tests("sip_parse", t, n, NULL, NULL);
}
