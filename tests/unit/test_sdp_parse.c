/*
 * test_sdp_parse - the SDP parser, table-driven: one row per named case,
 * inputs against a PROT_NONE page (guard_copy).
 */
#include "test_util.h"

#include "anomaly.h"
#include "sdp_parse.h"

/* Table rows leave trailing fields out when they do not apply. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define M(s) s, sizeof(s) - 1

static int has_anom(const struct sdp_session *s, const char *name)
{
	unsigned id = anomaly_by_name(name);
	for (unsigned i = 0; i < s->n_anom; i++)
		if (s->anom[i] == id)
			return 1;
	return 0;
}

static void str_eq(sw_str s, const char *want)
{
	if (!sw_str_eq(s, want))
		fail_msg("\"%.*s\" != \"%s\"", (int)s.len, s.p ? s.p : "", want);
}

struct srow {
	const char *name, *in;
	size_t len;
	int rc;
	const char *anoms; /* comma-separated, all raised; NULL: none at all */
	void (*check)(const struct sdp_session *s);
};

/* RFC 4566 §5 example, every session-level line type. */
static const char rfc4566[] = "v=0\r\n"
			      "o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\n"
			      "s=SDP Seminar\r\n"
			      "i=A Seminar on the session description protocol\r\n"
			      "u=http://www.example.com/seminars/sdp.pdf\r\n"
			      "e=j.doe@example.com (Jane Doe)\r\n"
			      "p=+1 617 555-6011\r\n"
			      "c=IN IP4 224.2.17.12/127\r\n"
			      "b=AS:128\r\n"
			      "t=2873397496 2873404696\r\n"
			      "r=7d 1h 0 25h\r\n"
			      "z=2882844526 -1h 2898848070 0\r\n"
			      "k=prompt\r\n"
			      "a=recvonly\r\n"
			      "m=audio 49170 RTP/AVP 0\r\n"
			      "m=video 51372/2 RTP/AVP 99\r\n"
			      "i=the video\r\n"
			      "b=TIAS:64000\r\n"
			      "a=rtpmap:99 h263-1998/90000\r\n";

static void c_rfc4566(const struct sdp_session *s)
{
	assert_true(s->has_version);
	assert_int_equal(s->version, 0);
	str_eq(s->o_username, "jdoe");
	str_eq(s->o_sess_id, "2890844526");
	str_eq(s->o_sess_version, "2890842807");
	str_eq(s->o_nettype, "IN");
	str_eq(s->o_addrtype, "IP4");
	str_eq(s->o_address, "10.47.16.5");
	str_eq(s->session_name, "SDP Seminar");
	str_eq(s->info, "A Seminar on the session description protocol");
	str_eq(s->uri, "http://www.example.com/seminars/sdp.pdf");
	str_eq(s->email, "j.doe@example.com (Jane Doe)");
	str_eq(s->phone, "+1 617 555-6011");
	str_eq(s->zone, "2882844526 -1h 2898848070 0");
	str_eq(s->key, "prompt");
	assert_true(s->conn.present);
	str_eq(s->conn.address, "224.2.17.12/127");
	assert_int_equal(s->conn.addr.family, 4);
	assert_int_equal(s->n_bw, 1);
	str_eq(s->bw[0], "AS:128");
	assert_int_equal(s->n_times, 1);
	str_eq(s->times[0].time, "2873397496 2873404696");
	str_eq(s->times[0].repeat, "7d 1h 0 25h");
	assert_int_equal(s->dir, SDP_DIR_RECVONLY);
	assert_int_equal(s->n_media, 2);
	str_eq(s->media[0].media, "audio");
	assert_int_equal(s->media[0].port, 49170);
	assert_int_equal(s->media[0].nports, 1);
	str_eq(s->media[0].proto, "RTP/AVP");
	str_eq(s->media[0].fmts, "0");
	str_eq(s->media[1].media, "video");
	assert_int_equal(s->media[1].port, 51372);
	assert_int_equal(s->media[1].nports, 2);
	str_eq(s->media[1].info, "the video");
	assert_int_equal(s->media[1].n_bw, 1);
	assert_int_equal(s->media[1].n_rtpmap, 1);
	assert_int_equal(s->media[1].rtpmap[0].pt, 99);
	str_eq(s->media[1].rtpmap[0].encoding, "h263-1998");
	assert_int_equal(s->media[1].rtpmap[0].clock, 90000);
	/* media without c= inherit the session's; direction too */
	assert_ptr_equal(sdp_media_conn(s, 0), &s->conn);
	assert_int_equal(sdp_media_dir(s, 1), SDP_DIR_RECVONLY);
}

static const char offer[] = "v=0\n"
			    "o=alice 2890844526 2890844526 IN IP4 192.0.2.10\n"
			    "s=-\n"
			    "c=IN IP4 192.0.2.10\n"
			    "t=0 0\n"
			    "m=audio 49170 RTP/AVP 0 8 97 101\n"
			    "a=rtpmap:0 PCMU/8000\n"
			    "a=rtpmap:8 PCMA/8000\n"
			    "a=rtpmap:97 opus/48000/2\n"
			    "a=rtpmap:101 telephone-event/8000\n"
			    "a=fmtp:101 0-16\n"
			    "a=sendonly\n"
			    "a=ptime:20\n"
			    "m=video 51372 RTP/AVP 31\n"
			    "c=IN IP6 2001:db8::2\n"
			    "a=inactive\n"
			    "m=audio 0 RTP/AVP 0\n"
			    "m=application 5000 UDP/BFCP *\n"
			    "a=recvonly\n";

static void c_offer(const struct sdp_session *s)
{
	assert_int_equal(s->n_media, 4);
	assert_int_equal(s->media[0].n_rtpmap, 4);
	str_eq(s->media[0].rtpmap[2].encoding, "opus");
	assert_int_equal(s->media[0].rtpmap[2].clock, 48000);
	str_eq(s->media[0].rtpmap[2].channels, "2");
	assert_int_equal(s->media[0].n_attrs, 7);
	str_eq(s->media[0].attrs[4], "fmtp:101 0-16");
	assert_int_equal(sdp_media_dir(s, 0), SDP_DIR_SENDONLY);
	assert_int_equal(sdp_media_dir(s, 1), SDP_DIR_INACTIVE);
	assert_int_equal(sdp_media_dir(s, 2), SDP_DIR_SENDRECV);
	assert_int_equal(sdp_media_dir(s, 3), SDP_DIR_RECVONLY);
	assert_string_equal(sdp_dir_name(SDP_DIR_SENDONLY), "sendonly");
	assert_string_equal(sdp_dir_name(SDP_DIR_NONE), "sendrecv");
	/* per-media c= (IPv6) overrides the session's */
	const struct sdp_conn *c = sdp_media_conn(s, 1);
	assert_ptr_equal(c, &s->media[1].conn);
	assert_int_equal(c->addr.family, 6);
	str_eq(c->addrtype, "IP6");
	assert_ptr_equal(sdp_media_conn(s, 0), &s->conn);
	assert_int_equal(s->media[2].port, 0); /* disabled stream */
	assert_null(sdp_media_conn(s, 9));
}

static const char ipv6_only[] = "v=0\r\n"
				"o=- 1 1 IN IP6 2001:db8::1\r\n"
				"s= \r\n"
				"c=IN IP6 2001:db8::1\r\n"
				"t=0 0\r\n"
				"m=audio 4000 RTP/AVP 0\r\n";

static void c_ipv6(const struct sdp_session *s)
{
	assert_int_equal(s->conn.addr.family, 6);
	assert_int_equal(s->conn.addr.a[0], 0x20);
	assert_int_equal(s->conn.addr.a[15], 1);
	str_eq(s->o_address, "2001:db8::1");
}

static const char srtp[] =
    "v=0\r\n"
    "o=- 1 1 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/SAVP 0\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32 "
    "KDR=1 UNENCRYPTED_SRTCP\r\n"
    "a=crypto:3 AES_256_CM_HMAC_SHA1_80 "
    "inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdA==\r\n"
    "a=rtcp-mux\r\n";

static void c_srtp(const struct sdp_session *s)
{
	const struct sdp_media *m = &s->media[0];
	str_eq(m->proto, "RTP/SAVP");
	assert_int_equal(m->n_crypto, 3);
	assert_int_equal(m->crypto[0].tag, 1);
	str_eq(m->crypto[0].suite, "AES_CM_128_HMAC_SHA1_80");
	str_eq(m->crypto[0].key_b64, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
	str_eq(m->crypto[0].key_params,
	       "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
	str_eq(m->crypto[1].session_params, "KDR=1 UNENCRYPTED_SRTCP");
	str_eq(m->crypto[2].suite, "AES_256_CM_HMAC_SHA1_80");
	assert_true(m->rtcp_mux);
}

#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
#define AUDIO	 "m=audio 49170 RTP/AVP 0\r\n"

static void c_rtcp(const struct sdp_session *s)
{
	assert_int_equal(s->n_media, 3);
	assert_int_equal(s->media[0].rtcp_port, 53020);
	assert_false(s->media[0].rtcp_conn.present);
	assert_int_equal(s->media[1].rtcp_port, 53021);
	assert_true(s->media[1].rtcp_conn.present);
	str_eq(s->media[1].rtcp_conn.address, "126.16.64.4");
	assert_int_equal(s->media[1].rtcp_conn.addr.family, 4);
	assert_int_equal(s->media[2].rtcp_conn.addr.family, 6);
	str_eq(s->media[2].rtcp_conn.address, "2001:2345:6789:ABCD:EF01:2345:6789:ABCD");
}

static const char ice[] =
    "v=0\r\n"
    "o=jdoe 2890844526 2890842807 IN IP4 10.0.1.1\r\n"
    "s=\r\n"
    "c=IN IP4 192.0.2.3\r\n"
    "t=0 0\r\n"
    "a=ice-pwd:asd88fgpdd777uzjYhagZg\r\n"
    "a=ice-ufrag:8hhY\r\n"
    "a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\r\n"
    "m=audio 45664 RTP/AVP 0\r\n"
    "b=RS:0\r\n"
    "b=RR:0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host\r\n"
    "a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998\r\n"
    "a=candidate:3 1 udp 2122262783 2001:db8::5 9000 typ host generation 0\r\n"
    "a=candidate:4 2 TCP 1 198.51.100.7 9 typ relay raddr 0.0.0.0 rport 0 tcptype active\r\n";

static void c_ice(const struct sdp_session *s)
{
	str_eq(s->ice_ufrag, "8hhY");
	str_eq(s->ice_pwd, "asd88fgpdd777uzjYhagZg");
	str_eq(s->fingerprint,
	       "sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB");
	const struct sdp_media *m = &s->media[0];
	assert_int_equal(m->n_bw, 2);
	assert_int_equal(m->n_cand, 4);
	assert_int_equal(m->n_cand_total, 4);
	str_eq(m->cand[0].foundation, "1");
	assert_int_equal(m->cand[0].component, 1);
	str_eq(m->cand[0].transport, "UDP");
	assert_int_equal(m->cand[0].priority, 2130706431);
	str_eq(m->cand[0].conn_addr, "10.0.1.1");
	assert_int_equal(m->cand[0].addr.family, 4);
	assert_int_equal(m->cand[0].port, 8998);
	str_eq(m->cand[0].type, "host");
	str_eq(m->cand[1].type, "srflx");
	str_eq(m->cand[1].raddr, "10.0.1.1");
	assert_int_equal(m->cand[1].rport, 8998);
	assert_int_equal(m->cand[2].addr.family, 6);
	str_eq(m->cand[3].type, "relay");
	assert_int_equal(m->cand[3].component, 2);
}

static void c_lf_equals_crlf(const struct sdp_session *s)
{
	assert_int_equal(s->n_media, 1);
	str_eq(s->session_name, "-");
	str_eq(s->media[0].attrs[0], "rtpmap:0 PCMU/8000");
	assert_int_equal(s->media[0].n_rtpmap, 1);
}

static void c_garbage_line(const struct sdp_session *s)
{
	assert_int_equal(s->n_media, 1);
}

static void c_bad_media_skipped(const struct sdp_session *s)
{
	/* the bad m= section's lines are dropped; the next one is kept */
	assert_int_equal(s->n_media, 1);
	str_eq(s->media[0].media, "video");
	assert_int_equal(s->media[0].n_attrs, 0);
}

static const struct srow srows[] = {
    {"rfc4566_all_session_lines", M(rfc4566), 0, NULL, c_rfc4566},
    {"offer_several_m_lines_directions", M(offer), 0, NULL, c_offer},
    {"ipv6_connection", M(ipv6_only), 0, NULL, c_ipv6},
    {"crypto_rfc4568_inline_keys", M(srtp), 0, NULL, c_srtp},
    {"rtcp_port_and_addr",
     M(SDP_HEAD AUDIO "a=rtcp:53020\r\n" AUDIO "a=rtcp:53021 IN IP4 126.16.64.4\r\n" AUDIO
		      "a=rtcp:53022 IN IP6 2001:2345:6789:ABCD:EF01:2345:6789:ABCD\r\n"),
     0, NULL, c_rtcp},
    {"ice_candidates_host_srflx_relay", M(ice), 0, NULL, c_ice},
    {"lf_line_ends",
     M("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
       "m=audio 49170 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"),
     0, NULL, c_lf_equals_crlf},
    {"crlf_line_ends", M(SDP_HEAD AUDIO "a=rtpmap:0 PCMU/8000\r\n"), 0, NULL, c_lf_equals_crlf},
    {"no_final_line_end", M(SDP_HEAD AUDIO "a=rtpmap:0 PCMU/8000"), 0, NULL, c_lf_equals_crlf},
    /* malformed, still SDP */
    {"version_1", M("v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"), 0, "sdp.bad_version"},
    {"missing_version", M("o=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"), 0,
     "sdp.missing_version"},
    {"missing_origin_and_name", M("v=0\r\nt=0 0\r\n"), 0,
     "sdp.missing_origin,sdp.missing_session_name"},
    {"bad_origin", M("v=0\r\no=jdoe 1\r\ns=-\r\nt=0 0\r\n"), 0, "sdp.bad_origin"},
    {"line_without_equals", M(SDP_HEAD "garbage line\r\n" AUDIO), 0, "sdp.line_without_equals",
     c_garbage_line},
    {"space_before_equals", M(SDP_HEAD AUDIO "m =video 3227 RTP/AVP 31\r\n"), 0,
     "sdp.line_without_equals", c_garbage_line},
    {"unknown_line_type", M(SDP_HEAD "X=foo\r\n" AUDIO), 0, "sdp.unknown_line_type"},
    {"bad_connection_family",
     M("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
       "c=IN IP4 2001:db8::1\r\nt=0 0\r\n" AUDIO),
     0, "sdp.bad_connection"},
    {"connection_missing_fields", M(SDP_HEAD "m=audio 1 RTP/AVP 0\r\nc=IN IP4\r\n"), 0,
     "sdp.bad_connection"},
    {"missing_connection", M("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n" AUDIO), 0,
     "sdp.missing_connection"},
    {"media_port_too_big",
     M(SDP_HEAD "m=audio 70000 RTP/AVP 0\r\na=sendonly\r\n"
		"m=video 3227 RTP/AVP 31\r\n"),
     0, "sdp.bad_media_port", c_bad_media_skipped},
    {"media_missing_proto", M(SDP_HEAD "m=audio 4000\r\na=sendonly\r\nm=video 3227 RTP/AVP 31\r\n"),
     0, "sdp.bad_media", c_bad_media_skipped},
    {"media_port_count_zero", M(SDP_HEAD "m=audio 4000/0 RTP/AVP 0\r\n"), 0, "sdp.bad_media_port"},
    {"session_line_in_media", M(SDP_HEAD AUDIO "s=again\r\n"), 0, "sdp.session_line_in_media"},
    {"bad_rtpmap", M(SDP_HEAD AUDIO "a=rtpmap:200 PCMU/8000\r\na=rtpmap:0 PCMU\r\n"), 0,
     "sdp.bad_rtpmap"},
    {"crypto_short_key", M(SDP_HEAD AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QUJD\r\n"), 0,
     "sdp.bad_crypto"},
    {"crypto_bad_base64",
     M(SDP_HEAD AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
		      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!\r\n"),
     0, "sdp.bad_crypto"},
    {"crypto_not_inline",
     M(SDP_HEAD AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
		      "uri:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"),
     0, "sdp.bad_crypto"},
    {"crypto_bad_lifetime",
     M(SDP_HEAD AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
		      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^x\r\n"),
     0, "sdp.bad_crypto"},
    {"crypto_bad_tag",
     M(SDP_HEAD AUDIO "a=crypto:1234567890 AES_CM_128_HMAC_SHA1_80 "
		      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"),
     0, "sdp.bad_crypto"},
    {"candidate_missing_typ", M(SDP_HEAD AUDIO "a=candidate:1 1 UDP 2130706431 10.0.1.1 8998\r\n"),
     0, "sdp.bad_candidate"},
    {"candidate_bad_type", M(SDP_HEAD AUDIO "a=candidate:1 1 UDP 1 10.0.1.1 8998 typ bogus\r\n"), 0,
     "sdp.bad_candidate"},
    {"candidate_bad_rport",
     M(SDP_HEAD AUDIO "a=candidate:1 1 UDP 1 10.0.1.1 8998 typ srflx "
		      "raddr 10.0.0.1 rport 99999\r\n"),
     0, "sdp.bad_candidate"},
    {"rtcp_bad_port", M(SDP_HEAD AUDIO "a=rtcp:x\r\n"), 0, "sdp.bad_rtcp"},
    {"rtcp_bad_addr", M(SDP_HEAD AUDIO "a=rtcp:5000 IN IP4\r\n"), 0, "sdp.bad_rtcp"},
    /* not SDP */
    {"empty", M(""), -1},
    {"only_newlines", M("\r\n\r\n"), -1},
    {"garbage_text", M("hello world\r\nthis is not sdp\r\n"), -1},
    {"binary", M("\x80\x00\x01\x02\x03=\xff\r\n"), -1},
    {"xml_body", M("<audio>\r\n <pcmu port=\"443\"/>\r\n</audio>\r\n"), -1},
    {"nul_bytes_inside", M(SDP_HEAD "a=x\0y\r\n" AUDIO "a=rtpmap:0 PC\0MU/8000\r\n"), 0, ""},
};

static void run_srow(void **state)
{
	const struct srow *r = *state;
	struct guard_buf g;
	static struct sdp_session s;
	const char *p = guard_copy(&g, r->in, r->len);
	int rc = sdp_parse(p, r->len, &s);
	assert_int_equal(rc, r->rc);
	if (rc == 0) {
		if (!r->anoms) {
			for (unsigned i = 0; i < s.n_anom; i++)
				print_message("# raised: %s\n", anomaly_name(s.anom[i]));
			assert_int_equal(s.n_anom, 0);
		} else if (*r->anoms) {
			char buf[256], *save = NULL;
			snprintf(buf, sizeof(buf), "%s", r->anoms);
			for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
				if (!has_anom(&s, t))
					fail_msg("anomaly %s not raised", t);
		}
		if (r->check)
			r->check(&s);
	}
	guard_free(&g);
}

/* Capacity: more media / attributes / candidates / rtpmaps than fit are
 * counted and flagged, and nothing is written past the arrays. */
static void test_limits(void **state)
{
	char *b = malloc(65536);
	size_t n = 0;
	static struct sdp_session s;
	struct guard_buf g;
	assert_non_null(b);
	n += (size_t)sprintf(b + n, "%s", SDP_HEAD);
	for (int k = 0; k < 40; k++)
		n += (size_t)sprintf(b + n, "a=sess%d\r\n", k);
	n += (size_t)sprintf(b + n, "m=audio 4000 RTP/AVP 0\r\n");
	for (int k = 0; k < 20; k++)
		n += (size_t)sprintf(b + n, "a=rtpmap:%d X%d/8000\r\n", 96 + k, k);
	for (int k = 0; k < 12; k++)
		n += (size_t)sprintf(b + n, "a=candidate:%d 1 UDP 1 10.0.0.%d %d typ host\r\n", k,
				     k, 5000 + k);
	for (int k = 0; k < 6; k++)
		n += (size_t)sprintf(b + n,
				     "a=crypto:%d AES_CM_128_HMAC_SHA1_80 "
				     "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n",
				     k + 1);
	for (int k = 1; k < 12; k++)
		n += (size_t)sprintf(b + n, "m=video %d RTP/AVP 31\r\na=sendonly\r\n", 6000 + k);
	const char *p = guard_copy(&g, b, n);
	assert_int_equal(sdp_parse(p, n, &s), 0);
	assert_int_equal(s.n_attrs, SDP_MAX_ATTR);
	assert_int_equal(s.n_attrs_total, 40);
	assert_int_equal(s.n_media, SDP_MAX_MEDIA);
	assert_int_equal(s.n_media_total, 12);
	assert_int_equal(s.media[0].n_rtpmap, SDP_MAX_RTPMAP);
	assert_int_equal(s.media[0].n_cand, SDP_MAX_CAND);
	assert_int_equal(s.media[0].n_cand_total, 12);
	assert_int_equal(s.media[0].n_crypto, SDP_MAX_CRYPTO);
	assert_int_equal(s.media[0].n_attrs, SDP_MAX_ATTR);
	assert_int_equal(s.media[0].n_attrs_total, 38);
	assert_int_equal(s.media[SDP_MAX_MEDIA - 1].port, 6000 + SDP_MAX_MEDIA - 1);
	assert_true(has_anom(&s, "sdp.too_many_media"));
	assert_true(has_anom(&s, "sdp.too_many_attributes"));
	assert_true(s.n_anom <= SDP_MAX_ANOM);
	guard_free(&g);
	free(b);
	(void)state;
}

/* The same session parsed twice gives the same result (no stale state). */
static void test_reuse(void **state)
{
	static struct sdp_session s;
	assert_int_equal(sdp_parse(offer, sizeof(offer) - 1, &s), 0);
	assert_int_equal(s.n_media, 4);
	assert_int_equal(sdp_parse(ipv6_only, sizeof(ipv6_only) - 1, &s), 0);
	assert_int_equal(s.n_media, 1);
	assert_int_equal(s.media[0].n_rtpmap, 0);
	assert_int_equal(s.media[0].dir, SDP_DIR_NONE);
	assert_int_equal(s.n_anom, 0);
	assert_int_equal(s.dir, SDP_DIR_NONE);
	(void)state;
}

static void test_mutations(void **state)
{
	static const char *const seeds[] = {rfc4566, offer, srtp, ice, ipv6_only};
	static const char alphabet[] = "\r\n =:/ \0\x80"
				       "0123456789aIPmvca";
	static struct sdp_session s;
	uint64_t x = 0x2545f4914f6cdd1dULL;
	char buf[2048];
	for (int it = 0; it < 20000; it++) {
		const char *sd = seeds[it % (int)SW_ARRAY_SIZE(seeds)];
		size_t len = strlen(sd), k;
		struct guard_buf g;
		memcpy(buf, sd, len);
		for (int j = 0; j < 1 + it % 5 && len; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			k = x % len;
			if ((x >> 32) % 3 == 0) {
				buf[k] = alphabet[(x >> 40) % (sizeof(alphabet) - 1)];
			} else if ((x >> 32) % 3 == 1) {
				memmove(buf + k, buf + k + 1, len - k - 1);
				len--;
			} else {
				len = k;
			}
		}
		const char *p = guard_copy(&g, buf, len);
		int rc = sdp_parse(p, len, &s);
		assert_true(rc == 0 || rc == -1);
		assert_true(s.n_media <= SDP_MAX_MEDIA && s.n_attrs <= SDP_MAX_ATTR &&
			    s.n_anom <= SDP_MAX_ANOM);
		for (unsigned m = 0; m < s.n_media; m++)
			assert_true(s.media[m].n_cand <= SDP_MAX_CAND &&
				    s.media[m].n_rtpmap <= SDP_MAX_RTPMAP &&
				    s.media[m].n_crypto <= SDP_MAX_CRYPTO &&
				    s.media[m].n_bw <= SDP_MAX_BW);
		guard_free(&g);
	}
	(void)state;
}

#define MAX_TESTS 128

int main(void)
{
	static struct CMUnitTest t[MAX_TESTS];
	static char names[MAX_TESTS][96];
	size_t n = 0;
#define ADD(prefix, fn, st, nm)                                                                    \
	do {                                                                                       \
		snprintf(names[n], sizeof(names[n]), "%s%s", prefix, nm);                          \
		t[n] = (struct CMUnitTest){names[n], fn, NULL, NULL, (void *)(st)};                \
		n++;                                                                               \
	} while (0)
	for (size_t k = 0; k < SW_ARRAY_SIZE(srows); k++)
		ADD("sdp/", run_srow, &srows[k], srows[k].name);
	ADD("sdp/", test_limits, NULL, "limits_counted_and_flagged");
	ADD("sdp/", test_reuse, NULL, "reuse_no_stale_state");
	ADD("sdp/", test_mutations, NULL, "mutations_20000");
#undef ADD
	return _cmocka_run_group_tests("sdp_parse", t, n, NULL, NULL);
}
