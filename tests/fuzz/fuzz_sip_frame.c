/*
 * fuzz_sip_frame.c - libFuzzer target for SIP framing over a byte stream
 * (sip_frame.h).
 *
 * Input layout:
 *   byte 0       limits: bits 0-1 max_msg, 2-3 max_buffered_per_flow, 4-5 memcap
 *   byte 1       k = number of chunk records (low 4 bits)
 *   k x 2 bytes  chunk record: flags, length. flags bit 0: direction;
 *                bit 1: a gap (sip_frame_gap) before the chunk;
 *                bits 2-7: high bits of the length (length = flags>>2 << 8 | len)
 *   rest         the stream bytes, cut into the k chunks in order; what
 *                remains after them is one last chunk in direction 0.
 * Each chunk is fed from its own exactly-sized malloc'd copy that is freed
 * right after the call, so a framer that kept a pointer into it is caught.
 * Each framed message is read whole and given to the SIP parser. At the
 * end, freeing the flow must return every buffered byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip_frame.h"
#include "sip_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t g_max_msg;

static void on_msg(void *ud, struct flow *f, int dir, const char *msg, uint32_t len)
{
	static struct sip_header hdrs[SIP_MAX_HEADERS_DEFAULT];
	struct sip_msg m;
	volatile unsigned acc = 0;
	if (len == 0 || len > g_max_msg)
		abort();
	for (uint32_t i = 0; i < len; i++)
		acc += (unsigned char)msg[i];
	(void)acc;
	(void)sip_parse(msg, len, &m, hdrs, SW_ARRAY_SIZE(hdrs), SIP_PARSE_STREAM);
}

static void on_anom(void *ud, struct flow *f, int dir, unsigned id)
{
	if (id == ANOM_NONE || id >= ANOM__COUNT)
		abort();
}

static void feed(struct sip_framer_ctx *c, struct flow *f, int dir, const uint8_t *d, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return;
	if (n)
		memcpy(copy, d, n);
	sip_frame_data(c, f, dir, copy, (uint32_t)n, on_msg, on_anom, NULL);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t max_msg[4] = { 0, 512, 1024, 65535 };
	static const uint32_t max_buf[4] = { 0, 1024, 4096, 200000 };
	static const uint64_t memcap[4] = { 0, 2048, 8192, 1 << 20 };
	struct sip_frame_cfg cfg;
	struct sip_framer_ctx *c;
	struct flow f;
	size_t k, pos, rec;

	if (size < 2)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_msg = max_msg[data[0] & 3];
	cfg.max_buffered_per_flow = max_buf[(data[0] >> 2) & 3];
	cfg.memcap = memcap[(data[0] >> 4) & 3];
	g_max_msg = cfg.max_msg ? cfg.max_msg : 65535;
	k = data[1] & 15;
	rec = 2;
	pos = 2 + 2 * k;
	if (pos > size)
		pos = size;

	c = sip_frame_create(&cfg);
	if (!c)
		return 0;
	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < k && rec + 1 < size; i++, rec += 2) {
		uint8_t fl = data[rec];
		size_t len = (size_t)(fl >> 2) << 8 | data[rec + 1];
		int dir = fl & 1;
		if (len > size - pos)
			len = size - pos;
		if (fl & 2)
			sip_frame_gap(c, &f, dir);
		feed(c, &f, dir, data + pos, len);
		pos += len;
	}
	if (pos < size)
		feed(c, &f, 0, data + pos, size - pos);

	sip_frame_flow_free(c, &f);
	if (f.framer[0] || f.framer[1] || sip_frame_get_stats(c)->buffered_now != 0)
		abort(); /* buffer accounting leaked */
	sip_frame_destroy(c);
	return 0;
}
