#include "anomaly.h"

#include <string.h>

struct anomaly_def {
	const char *name;
	enum anomaly_type type;
};

static const struct anomaly_def anomaly_defs[ANOM__COUNT] = {
	[ANOM_NONE] = { "none", ANOM_TYPE_DECODE },
#define SW_ANOM(id, name, type) [ANOM_##id] = { name, ANOM_TYPE_##type },
#include "anomaly_decode.def"
#include "anomaly_defrag.def"
#include "anomaly_flow.def"
#include "anomaly_stream.def"
#include "anomaly_sip.def"
#include "anomaly_sdp.def"
#include "anomaly_state.def"
#include "anomaly_ips.def"
#undef SW_ANOM
};

const char *anomaly_name(unsigned id)
{
	if (id >= ANOM__COUNT)
		return "unknown";
	return anomaly_defs[id].name;
}

enum anomaly_type anomaly_type(unsigned id)
{
	if (id >= ANOM__COUNT)
		return ANOM_TYPE_DECODE;
	return anomaly_defs[id].type;
}

const char *anomaly_type_str(unsigned id)
{
	switch (anomaly_type(id)) {
	case ANOM_TYPE_STREAM:
		return "stream";
	case ANOM_TYPE_APPLAYER:
		return "applayer";
	default:
		return "decode";
	}
}

unsigned anomaly_by_name(const char *name)
{
	for (unsigned i = 1; i < ANOM__COUNT; i++)
		if (strcmp(anomaly_defs[i].name, name) == 0)
			return i;
	return ANOM_NONE;
}
