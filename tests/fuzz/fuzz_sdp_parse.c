/*
 * fuzz_sdp_parse.c - libFuzzer target for the SDP parser (sdp_parse.h):
 * the whole input as a session description, then the accessors over every
 * media section (and one past the end). Checks that counts stay within the
 * fixed capacities and that every returned view lies inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *g_base;
static size_t g_len;

static void touch(sw_str s)
{
	volatile unsigned acc = 0;
	if (s.len == 0)
		return;
	if (s.p < g_base || s.p + s.len > g_base + g_len)
		abort();
	for (uint32_t i = 0; i < s.len; i++)
		acc += (unsigned char)s.p[i];
	(void)acc;
}

static void check_conn(const struct sdp_conn *c)
{
	touch(c->raw);
	touch(c->nettype);
	touch(c->addrtype);
	touch(c->address);
	if (c->addr.family != 0 && c->addr.family != 4 && c->addr.family != 6)
		abort();
}

static void check_media(const struct sdp_media *md)
{
	touch(md->raw_m);
	touch(md->media);
	touch(md->proto);
	touch(md->fmts);
	touch(md->info);
	check_conn(&md->conn);
	check_conn(&md->rtcp_conn);
	if (md->n_bw > SDP_MAX_BW || md->n_attrs > SDP_MAX_ATTR || md->n_rtpmap > SDP_MAX_RTPMAP ||
	    md->n_crypto > SDP_MAX_CRYPTO || md->n_cand > SDP_MAX_CAND)
		abort();
	for (unsigned i = 0; i < md->n_bw; i++)
		touch(md->bw[i]);
	for (unsigned i = 0; i < md->n_attrs; i++)
		touch(md->attrs[i]);
	for (unsigned i = 0; i < md->n_rtpmap; i++) {
		touch(md->rtpmap[i].encoding);
		touch(md->rtpmap[i].channels);
	}
	for (unsigned i = 0; i < md->n_crypto; i++) {
		touch(md->crypto[i].suite);
		touch(md->crypto[i].key_params);
		touch(md->crypto[i].key_b64);
		touch(md->crypto[i].session_params);
	}
	for (unsigned i = 0; i < md->n_cand; i++) {
		touch(md->cand[i].foundation);
		touch(md->cand[i].transport);
		touch(md->cand[i].conn_addr);
		touch(md->cand[i].type);
		touch(md->cand[i].raddr);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp_session s;
	const char *buf = (const char *)data;

	g_base = buf;
	g_len = size;
	memset(&s, 0xa5, sizeof(s)); /* the parser must initialise what it returns */
	if (sdp_parse(buf, size, &s) != 0)
		return 0;
	if (s.n_media > SDP_MAX_MEDIA || s.n_attrs > SDP_MAX_ATTR || s.n_bw > SDP_MAX_BW ||
	    s.n_times > SDP_MAX_TIME || s.n_anom > SDP_MAX_ANOM)
		abort();
	touch(s.origin);
	touch(s.o_username);
	touch(s.o_sess_id);
	touch(s.o_sess_version);
	touch(s.o_nettype);
	touch(s.o_addrtype);
	touch(s.o_address);
	touch(s.session_name);
	touch(s.info);
	touch(s.uri);
	touch(s.email);
	touch(s.phone);
	touch(s.zone);
	touch(s.key);
	touch(s.ice_ufrag);
	touch(s.ice_pwd);
	touch(s.fingerprint);
	check_conn(&s.conn);
	for (unsigned i = 0; i < s.n_bw; i++)
		touch(s.bw[i]);
	for (unsigned i = 0; i < s.n_times; i++) {
		touch(s.times[i].time);
		touch(s.times[i].repeat);
	}
	for (unsigned i = 0; i < s.n_attrs; i++)
		touch(s.attrs[i]);
	for (unsigned i = 0; i <= s.n_media; i++) {
		const struct sdp_conn *c = sdp_media_conn(&s, i);
		if (c)
			check_conn(c);
		(void)sdp_dir_name(sdp_media_dir(&s, i));
		if (i < s.n_media)
			check_media(&s.media[i]);
	}
	return 0;
}
