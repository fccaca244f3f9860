/*
 * detect_anomaly.c - rules on named anomalies (anomaly.h).
 *
 *   anomaly:sip.content_length_mismatch;     sipwire's name for any layer
 *   app-layer-event:sip.bad_via;             Suricata's forms, same names
 *   decode-event:decoder.ipv4.trunc_pkt;     (decode-event also accepts the
 *   stream-event:stream.gap;                  name without "decoder.")
 *
 * A rule on an application-layer anomaly (SIP parser, SDP, call state) is
 * evaluated on SIP messages; decode, defrag and stream anomalies on packets.
 * The shipped rules/anomaly.rules has one rule per anomaly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly.h"
#include "detect.h"

struct anom_ctx {
	uint16_t id;
};

static int kw_id[4] = { -1, -1, -1, -1 };

static int setup_common(struct rule *r, const char *val, uint32_t len, struct rule_err *e,
                        int which, const char *prefix)
{
	char name[128];
	unsigned id;
	struct anom_ctx *c;
	int neg = 0;
	if (len && val[0] == '!')
		return rule_errf(e, 0, "negated anomaly conditions are not supported");
	if (len + strlen(prefix) + 1 > sizeof(name))
		return rule_errf(e, 0, "anomaly name too long");
	memcpy(name, val, len);
	name[len] = '\0';
	id = anomaly_by_name(name);
	if (id == ANOM_NONE && prefix[0]) {
		snprintf(name, sizeof(name), "%s%.*s", prefix, (int)len, val);
		id = anomaly_by_name(name);
	}
	if (id == ANOM_NONE)
		return rule_errf(e, 0, "unknown anomaly '%.*s' (see the anomaly tables, e.g. "
		                       "sip.bad_via, decoder.ipv4.trunc_pkt)",
		                 (int)SW_MIN(len, 64), val);
	if (which == 1 && anomaly_type(id) != ANOM_TYPE_APPLAYER)
		return rule_errf(e, 0, "'%s' is not an application-layer event", name);
	if (which == 2 && anomaly_type(id) != ANOM_TYPE_DECODE)
		return rule_errf(e, 0, "'%s' is not a decoder event", name);
	if (which == 3 && anomaly_type(id) != ANOM_TYPE_STREAM)
		return rule_errf(e, 0, "'%s' is not a stream event", name);
	c = calloc(1, sizeof(*c));
	if (!c)
		return rule_errf(e, 0, "out of memory");
	c->id = (uint16_t)id;
	if (anomaly_type(id) == ANOM_TYPE_APPLAYER)
		r->needs_sip = 1;
	if (sm_list_append(&r->match, (unsigned)kw_id[which], neg ? SM_NEGATED : 0, c, e) != 0) {
		free(c);
		return -1;
	}
	return 0;
}

static int setup_anomaly(struct rule *r, const char *v, uint32_t l, struct rule_err *e)
{
	return setup_common(r, v, l, e, 0, "");
}
static int setup_app(struct rule *r, const char *v, uint32_t l, struct rule_err *e)
{
	return setup_common(r, v, l, e, 1, "");
}
static int setup_decode(struct rule *r, const char *v, uint32_t l, struct rule_err *e)
{
	return setup_common(r, v, l, e, 2, "decoder.");
}
static int setup_stream(struct rule *r, const char *v, uint32_t l, struct rule_err *e)
{
	return setup_common(r, v, l, e, 3, "stream.");
}

static int match_anomaly(struct det_thread *t, const struct det_msg *m, const struct rule *r,
                         const struct sigmatch *sm)
{
	const struct anom_ctx *c = sm->ctx;
	for (unsigned i = 0; i < m->n_anom; i++)
		if (m->anom[i] == c->id)
			return 1;
	return 0;
}

static const struct det_kw kws[] = {
	{ .name = "anomaly", .flags = KW_MATCH | KW_VALUE, .setup = setup_anomaly,
	  .match = match_anomaly, .free = free, .help = "a named anomaly was raised (any layer)" },
	{ .name = "app-layer-event", .flags = KW_MATCH | KW_VALUE, .setup = setup_app,
	  .match = match_anomaly, .free = free, .help = "Suricata: an application-layer event" },
	{ .name = "decode-event", .flags = KW_MATCH | KW_VALUE, .setup = setup_decode,
	  .match = match_anomaly, .free = free, .help = "Suricata: a decoder event" },
	{ .name = "stream-event", .flags = KW_MATCH | KW_VALUE, .setup = setup_stream,
	  .match = match_anomaly, .free = free, .help = "Suricata: a stream event" },
};

int detect_anomaly_of(const struct sigmatch *sm)
{
	for (int i = 0; i < 4; i++)
		if (kw_id[i] >= 0 && sm->kw == (unsigned)kw_id[i])
			return ((const struct anom_ctx *)sm->ctx)->id;
	return -1;
}

void detect_anomaly_register(void)
{
	for (int i = 0; i < 4; i++)
		kw_id[i] = detect_kw_register(&kws[i]);
}
