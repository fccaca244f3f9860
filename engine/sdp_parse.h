/*
 * sdp_parse.h - zero-copy SDP parser (RFC 8866, with RFC 4566 leniency).
 *
 * Parses a session description into views of the caller's buffer. Fixed
 * capacities bound everything; what does not fit is counted (n_*_total) and
 * flagged as an anomaly, never written past the arrays.
 */
#ifndef SW_SDP_PARSE_H
#define SW_SDP_PARSE_H

#include "common.h"

#define SDP_MAX_MEDIA 8
#define SDP_MAX_ATTR 32      /* per session and per media section */
#define SDP_MAX_RTPMAP 16
#define SDP_MAX_CRYPTO 4
#define SDP_MAX_CAND 8
#define SDP_MAX_BW 4
#define SDP_MAX_TIME 4
#define SDP_MAX_ANOM 8

enum sdp_dir { SDP_DIR_NONE = 0, SDP_DIR_SENDRECV, SDP_DIR_SENDONLY, SDP_DIR_RECVONLY, SDP_DIR_INACTIVE };

struct sdp_conn {        /* c=<nettype> <addrtype> <address> */
	sw_str raw;
	sw_str nettype, addrtype, address;
	sw_addr addr;        /* family 0 if not a literal IP (FQDN) */
	uint8_t present;
};

struct sdp_rtpmap {      /* a=rtpmap:<pt> <encoding>/<clock>[/<channels>] */
	uint8_t pt;
	sw_str encoding;
	uint32_t clock;
	sw_str channels;
};

struct sdp_crypto {      /* a=crypto:<tag> <suite> <key-params> [<session-params>] (RFC 4568) */
	uint32_t tag;
	sw_str suite;
	sw_str key_params;   /* "inline:base64|lifetime|MKI" */
	sw_str key_b64;      /* just the base64 key||salt */
	sw_str session_params;
};

struct sdp_candidate {   /* a=candidate (RFC 8445/8839) */
	sw_str foundation;
	uint32_t component;
	sw_str transport;
	uint64_t priority;
	sw_str conn_addr;
	sw_addr addr;
	uint16_t port;
	sw_str type;         /* host, srflx, prflx, relay */
	sw_str raddr;
	uint16_t rport;
};

struct sdp_media {
	sw_str raw_m;        /* whole m= value */
	sw_str media;        /* audio, video, application, ... */
	uint16_t port;
	uint16_t nports;     /* m=audio 49170/2: 2 (default 1) */
	sw_str proto;        /* RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF, ... */
	sw_str fmts;         /* rest of the m= line */
	sw_str info;         /* i= */
	struct sdp_conn conn;/* c= of this media (else inherit session's) */
	sw_str bw[SDP_MAX_BW];
	uint8_t n_bw;
	uint8_t dir;         /* enum sdp_dir, SDP_DIR_NONE if not given */
	uint16_t rtcp_port;  /* a=rtcp: port (0 absent) */
	struct sdp_conn rtcp_conn;
	uint8_t rtcp_mux;
	sw_str attrs[SDP_MAX_ATTR]; /* every a= value of this section, raw */
	uint8_t n_attrs;
	uint16_t n_attrs_total;
	struct sdp_rtpmap rtpmap[SDP_MAX_RTPMAP];
	uint8_t n_rtpmap;
	struct sdp_crypto crypto[SDP_MAX_CRYPTO];
	uint8_t n_crypto;
	struct sdp_candidate cand[SDP_MAX_CAND];
	uint8_t n_cand;
	uint16_t n_cand_total;
};

struct sdp_time {
	sw_str time;         /* t= */
	sw_str repeat;       /* first r= after it */
};

struct sdp_session {
	uint32_t version;    /* v= */
	uint8_t has_version;
	sw_str origin;       /* o= whole value */
	sw_str o_username, o_sess_id, o_sess_version, o_nettype, o_addrtype, o_address;
	sw_str session_name; /* s= */
	sw_str info, uri, email, phone, zone, key; /* i= u= e= p= z= k= (first of each) */
	struct sdp_conn conn;
	sw_str bw[SDP_MAX_BW];
	uint8_t n_bw;
	struct sdp_time times[SDP_MAX_TIME];
	uint8_t n_times;
	uint8_t dir;         /* session-level direction attribute */
	sw_str attrs[SDP_MAX_ATTR];
	uint8_t n_attrs;
	uint16_t n_attrs_total;
	sw_str ice_ufrag, ice_pwd, fingerprint;
	struct sdp_media media[SDP_MAX_MEDIA];
	uint8_t n_media;
	uint16_t n_media_total;

	uint16_t anom[SDP_MAX_ANOM]; /* ANOM_* ids from anomaly_sdp.def */
	uint8_t n_anom;
};

/*
 * Parses buf[0..len) (LF or CRLF line ends). Returns 0 if it is a usable SDP
 * (possibly with anomalies recorded), -1 if it is not SDP at all (no v= /
 * garbage). Never reads outside buf. Every field is a view into buf; array
 * entries at or past their count (media[n_media], cand[n_cand], ...) are
 * not cleared and must not be read. What does not fit an array is counted
 * where a *_total field exists and raises too_many_media/too_many_attributes.
 */
int sdp_parse(const char *buf, size_t len, struct sdp_session *s);

/* Effective connection address of media i: its own c=, else the session's;
 * NULL if there is none or i >= n_media. */
const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, unsigned i);
/* Effective direction of media i (media attr, else session attr, else sendrecv). */
int sdp_media_dir(const struct sdp_session *s, unsigned i);
const char *sdp_dir_name(int dir);

#endif
