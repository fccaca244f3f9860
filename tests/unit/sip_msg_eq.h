/*
 * sip_msg_eq.h - field-by-field comparison of two parsed SIP messages, for
 * the check that sip_parse(SIP_PARSE_INDEX) + sip_decode() gives what an
 * eager sip_parse() gives (test_sip_parse.c, fuzz_sip_parse.c).
 *
 * Fields, not memcmp(): struct padding is not a field, and sw_str has some.
 * Views must be equal as views (same pointer, same length). The header
 * arrays are compared entry by entry (each message may have its own); the
 * hdrs pointer itself is not. A field added to the structs in sip_parse.h
 * must be added here.
 */
#ifndef SW_SIP_MSG_EQ_H
#define SW_SIP_MSG_EQ_H

#include "sip_parse.h"

#define SME_S(f)                                                                                   \
	do {                                                                                       \
		if (a->f.p != b->f.p || a->f.len != b->f.len)                                      \
			return #f;                                                                 \
	} while (0)
#define SME_I(f)                                                                                   \
	do {                                                                                       \
		if (a->f != b->f)                                                                  \
			return #f;                                                                 \
	} while (0)
#define SME_SUB(fn, f)                                                                             \
	do {                                                                                       \
		const char *d_ = fn(&a->f, &b->f);                                                 \
		if (d_)                                                                            \
			return d_;                                                                 \
	} while (0)

static inline const char *sme_uri(const struct sip_uri *a, const struct sip_uri *b)
{
	SME_S(raw);
	SME_I(scheme);
	SME_S(scheme_str);
	SME_S(user);
	SME_S(password);
	SME_S(host);
	SME_S(port_str);
	SME_I(port);
	SME_I(host_is_ip);
	SME_S(params);
	SME_S(headers);
	SME_S(transport);
	SME_S(user_param);
	SME_S(maddr);
	SME_I(lr);
	return NULL;
}

static inline const char *sme_nameaddr(const struct sip_nameaddr *a, const struct sip_nameaddr *b)
{
	SME_S(raw);
	SME_S(display);
	SME_SUB(sme_uri, uri);
	SME_S(tag);
	SME_S(params);
	SME_S(expires);
	SME_I(star);
	return NULL;
}

static inline const char *sme_via(const struct sip_via *a, const struct sip_via *b)
{
	SME_S(raw);
	SME_S(protocol);
	SME_S(transport);
	SME_S(host);
	SME_I(port);
	SME_S(branch);
	SME_S(received);
	SME_S(rport);
	SME_S(maddr);
	SME_S(ttl);
	SME_I(has_rport);
	SME_S(proto_name);
	SME_S(proto_version);
	return NULL;
}

static inline const char *sme_auth(const struct sip_auth *a, const struct sip_auth *b)
{
	SME_I(present);
	SME_I(proxy);
	SME_S(raw);
	SME_S(scheme);
	SME_S(username);
	SME_S(realm);
	SME_S(nonce);
	SME_S(uri);
	SME_S(response);
	SME_S(qop);
	SME_S(nc);
	SME_S(cnonce);
	SME_S(algorithm);
	SME_S(opaque);
	SME_S(stale);
	return NULL;
}

/* NULL if a and b are the same message, else the first field that differs. */
static inline const char *sip_msg_diff(const struct sip_msg *a, const struct sip_msg *b)
{
	SME_I(base);
	SME_I(len);
	SME_I(hdr_len);
	SME_I(is_request);
	SME_S(method);
	SME_I(method_id);
	SME_S(ruri_raw);
	SME_SUB(sme_uri, ruri);
	SME_I(status);
	SME_S(reason);
	SME_S(version);
	SME_S(start_line);
	SME_I(n_hdrs);
	SME_I(hdr_cap);
	for (unsigned k = 0; k < a->n_hdrs; k++) {
		SME_S(hdrs[k].name);
		SME_S(hdrs[k].value);
		SME_I(hdrs[k].id);
	}
	for (unsigned k = 0; k < SIP_H__COUNT; k++)
		SME_I(hdr_count[k]);
	SME_SUB(sme_via, via);
	SME_I(n_via);
	SME_SUB(sme_nameaddr, from);
	SME_SUB(sme_nameaddr, to);
	SME_SUB(sme_nameaddr, contact);
	SME_I(n_contact);
	SME_S(call_id);
	SME_I(cseq.num);
	SME_S(cseq.method);
	SME_I(cseq.method_id);
	SME_I(cseq.valid);
	SME_I(max_forwards);
	SME_I(expires);
	SME_I(content_length);
	SME_S(content_type);
	SME_S(user_agent);
	SME_S(server);
	SME_SUB(sme_auth, authz);
	SME_SUB(sme_auth, challenge);
	SME_S(body);
	SME_I(n_anom);
	for (unsigned k = 0; k < SIP_MAX_ANOM; k++) {
		SME_I(anom[k]);
		SME_I(anom_off[k]);
	}
	SME_I(pending);
	for (unsigned k = 0; k < sizeof(a->anom_mark); k++)
		SME_I(anom_mark[k]);
	return NULL;
}

#undef SME_S
#undef SME_I
#undef SME_SUB

#endif
