/*
 * anomaly.h - every named anomaly sipwire can raise, defined once.
 *
 * Each layer owns one list file (anomaly_<layer>.def) of lines
 *     SW_ANOM(ID, "event.name", TYPE)
 * where ID becomes ANOM_<ID>, "event.name" is what EVE prints in
 * anomaly.event (and what rules will match on), and TYPE is one of
 * DECODE, STREAM, APPLAYER (Suricata's anomaly.type values "decode",
 * "stream", "applayer"). Adding an anomaly is adding one line; nothing
 * else needs to know.
 *
 * Raising: modules that see a packet append to the packet's list with
 * pkt_anomaly() (packet.h); parsers record into their own message struct;
 * the engine counts every raised anomaly in stats and writes one EVE
 * `anomaly` record per occurrence.
 */
#ifndef SW_ANOMALY_H
#define SW_ANOMALY_H

#include <stdint.h>

enum anomaly_type { ANOM_TYPE_DECODE, ANOM_TYPE_STREAM, ANOM_TYPE_APPLAYER };

enum anomaly_id {
	ANOM_NONE = 0,
#define SW_ANOM(id, name, type) ANOM_##id,
#include "anomaly_decode.def"
#include "anomaly_defrag.def"
#include "anomaly_flow.def"
#include "anomaly_stream.def"
#include "anomaly_sip.def"
#include "anomaly_sdp.def"
#include "anomaly_state.def"
#include "anomaly_ips.def"
#undef SW_ANOM
	ANOM__COUNT
};

/* "decoder.ipv4.trunc_pkt" style name; "unknown" for out-of-range ids. */
const char *anomaly_name(unsigned id);
/* ANOM_TYPE_* of the id. */
enum anomaly_type anomaly_type(unsigned id);
/* "decode", "stream" or "applayer". */
const char *anomaly_type_str(unsigned id);
/* Looks a name up; returns the id or ANOM_NONE. */
unsigned anomaly_by_name(const char *name);

#endif
