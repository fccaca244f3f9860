/*
 * sip_frame.h - SIP message framing over a byte stream (RFC 3261 §18.3:
 * header section up to CRLFCRLF, then exactly Content-Length bytes; RFC 5626
 * CRLF keep-alives between messages). The framer scans headers itself (it
 * only needs Content-Length / compact "l"), so it does not depend on the
 * full parser.
 *
 * A message that arrives whole in one chunk is handed over straight from
 * the caller's buffer; only a partial message is copied into the flow
 * direction's buffer (malloc'd lazily, bounded by max_buffered_per_flow and
 * by a global memcap). After a gap, garbage, an oversize message, a memcap
 * hit or a message without Content-Length the framer resynchronises at the
 * next line that starts like a SIP request or status line. Header sections
 * may end with CRLF CRLF or bare LF LF (sip_parse accepts both).
 */
#ifndef SW_SIP_FRAME_H
#define SW_SIP_FRAME_H

#include "flow.h"

struct sip_frame_cfg {
	uint32_t max_msg;               /* default 65535 */
	uint32_t max_buffered_per_flow; /* default 128 KiB */
	uint64_t memcap;                /* all buffers together, default 64 MiB */
};

struct sip_frame_stats {
	uint64_t messages, keepalives, resyncs, too_large, no_content_length, memcap_hits;
	uint64_t buffered_now;
};

typedef void (*sip_frame_msg_cb)(void *ud, struct flow *f, int dir, const char *msg, uint32_t len);
typedef void (*sip_frame_anom_cb)(void *ud, struct flow *f, int dir, unsigned anom_id);

struct sip_framer_ctx;

struct sip_framer_ctx *sip_frame_create(const struct sip_frame_cfg *cfg);
void sip_frame_destroy(struct sip_framer_ctx *c);
/* Feeds in-order bytes of one direction; msg_cb once per complete message. */
void sip_frame_data(struct sip_framer_ctx *c, struct flow *f, int dir, const uint8_t *data,
                    uint32_t len, sip_frame_msg_cb msg_cb, sip_frame_anom_cb anom_cb, void *ud);
/* Bytes were lost: drop the partial message and resynchronise. */
void sip_frame_gap(struct sip_framer_ctx *c, struct flow *f, int dir);
/* Releases f's framing buffers (called when the flow ends). */
void sip_frame_flow_free(struct sip_framer_ctx *c, struct flow *f);
const struct sip_frame_stats *sip_frame_get_stats(const struct sip_framer_ctx *c);

/*
 * Scans one header section buf[0..hdr_len) for Content-Length (or "l"),
 * folding allowed. Returns 1 and *cl if found and valid, 0 if absent,
 * -1 if present but not a valid number (LWS 1*10DIGIT LWS), 2 if it appears
 * more than once with different values (*cl is the first, which is what
 * sip_parse reads too). (Exported for tests.)
 */
int sip_frame_content_length(const char *buf, uint32_t hdr_len, uint64_t *cl);

#endif
