/*
 * fuzz_stream_tcp.c - libFuzzer target for TCP reassembly (stream_tcp.h),
 * driven through a real flow table as the engine does.
 *
 * Input layout:
 *   byte 0      limits: bits 0-1 max_ooo_bytes_per_dir, 2-3 max_ooo_segments,
 *               4-5 memcap, bit 6 one session only, bit 7 one flow only
 *   bytes 1-8   initial sequence cursor of direction 0 and 1 (big endian),
 *               so wraparound at 2^32 is reachable. The top bit of byte 1
 *               selects "truthful" mode (below).
 *   records     ctl, tcp flags, seq delta (int16, big endian), length, payload
 *               ctl bit 0: direction; bit 1: second flow (other ports);
 *               bit 2: 200 s pass and flows are swept before this segment.
 *               seq = cursor[dir] + delta; the cursor then moves to seq + length.
 *               In truthful mode there are no payload bytes in the input:
 *               every segment carries the byte (seq & 0xff) at each seq, as
 *               if all copies came from one true stream.
 * Each payload is an exactly-sized malloc'd copy freed after the call, so
 * a stream that kept a pointer into a packet is caught. Delivered bytes
 * are read whole. In truthful mode the delivered stream must be
 * continuous (each byte the previous + 1) unless a gap was reported, and
 * overlap_different_data must never be raised: that catches reordering,
 * duplicate delivery and holes skipped silently. At the end every flow is
 * ended and the out-of-order byte count must be back to zero.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "stream_tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Truthful mode: where each (flow, direction) stream is expected to go on. */
struct cont {
	const struct flow *f;
	int dir;
	int have;
	uint8_t next;
};

static struct cont conts[16];
static int truthful;
static struct stream_ctx *g_stream;

static struct cont *cont_of(const struct flow *f, int dir)
{
	struct cont *free_slot = NULL;
	for (unsigned i = 0; i < 16; i++) {
		if (conts[i].f == f && conts[i].dir == dir)
			return &conts[i];
		if (!conts[i].f && !free_slot)
			free_slot = &conts[i];
	}
	if (!free_slot)
		abort(); /* more streams than the table allows: cannot happen */
	free_slot->f = f;
	free_slot->dir = dir;
	free_slot->have = 0;
	return free_slot;
}

static void cont_forget(const struct flow *f)
{
	for (unsigned i = 0; i < 16; i++)
		if (conts[i].f == f)
			memset(&conts[i], 0, sizeof(conts[i]));
}

static void on_data(void *ud, struct flow *f, int dir, const uint8_t *d, uint32_t len)
{
	volatile unsigned acc = 0;
	if (!f || (dir != 0 && dir != 1))
		abort();
	for (uint32_t i = 0; i < len; i++)
		acc += d[i];
	(void)acc;
	*(uint64_t *)ud += len;
	if (truthful && len) {
		struct cont *c = cont_of(f, dir);
		if (c->have && d[0] != c->next)
			abort(); /* bytes repeated, reordered or skipped without a gap */
		for (uint32_t i = 1; i < len; i++)
			if (d[i] != (uint8_t)(d[i - 1] + 1))
				abort();
		c->have = 1;
		c->next = (uint8_t)(d[len - 1] + 1);
	}
}

static void on_gap(void *ud, struct flow *f, int dir, uint32_t gap_len)
{
	if (!f || (dir != 0 && dir != 1))
		abort();
	if (truthful)
		cont_of(f, dir)->have = 0;
}

static void on_end(void *ud, struct flow *f, enum flow_end_reason why)
{
	cont_forget(f);
	stream_tcp_flow_free(g_stream, f);
}

static uint32_t rd32be(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t ooo_bytes[4] = { 0, 16, 256, 4096 };
	static const uint32_t ooo_segs[4] = { 0, 1, 2, 8 };
	static const uint64_t memcap[4] = { 0, 32, 1024, 16384 };
	struct stream_cfg sc;
	struct flow_cfg fc;
	struct stream_ctx *s;
	struct flow_table *ft;
	uint32_t cursor[2];
	uint64_t delivered = 0;
	sw_time ts = 1700000000ULL * SW_USEC_PER_SEC;
	size_t pos = 9;

	if (size < 9)
		return 0;
	memset(&sc, 0, sizeof(sc));
	sc.max_ooo_bytes_per_dir = ooo_bytes[data[0] & 3];
	sc.max_ooo_segments = ooo_segs[(data[0] >> 2) & 3];
	sc.memcap = memcap[(data[0] >> 4) & 3];
	sc.max_sessions = (data[0] & 0x40) ? 1 : 4;
	memset(&fc, 0, sizeof(fc));
	fc.max_flows = (data[0] & 0x80) ? 1 : 4;
	fc.hash_size = 4;
	cursor[0] = rd32be(data + 1);
	cursor[1] = rd32be(data + 5);

	truthful = data[1] & 0x80;
	memset(conts, 0, sizeof(conts));
	s = stream_create(&sc);
	g_stream = s;
	ft = s ? flow_table_create(&fc, on_end, NULL) : NULL;
	if (!ft) {
		stream_destroy(s);
		return 0;
	}
	while (pos + 5 <= size) {
		uint8_t ctl = data[pos], flags = data[pos + 1];
		int16_t delta = (int16_t)((uint16_t)data[pos + 2] << 8 | data[pos + 3]);
		size_t len = data[pos + 4];
		int dir = ctl & 1, other = (ctl >> 1) & 1;
		uint8_t *payload;
		packet p;

		pos += 5;
		if (!truthful && len > size - pos)
			len = size - pos;
		payload = malloc(len ? len : 1);
		if (!payload)
			break;
		if (truthful) {
			uint32_t sq = cursor[dir] + (uint32_t)(int32_t)delta;
			for (size_t i = 0; i < len; i++)
				payload[i] = (uint8_t)(sq + i);
		} else {
			memcpy(payload, data + pos, len);
			pos += len;
		}

		if (ctl & 4) {
			ts += 200 * SW_USEC_PER_SEC;
			flow_timeout_sweep(ft, ts);
		}
		ts += 1000;
		memset(&p, 0, sizeof(p));
		p.ts = ts;
		p.ip_v = 4;
		p.proto = IPPROTO_TCP;
		p.src.family = p.dst.family = 4;
		p.src.a[0] = 192, p.src.a[1] = 0, p.src.a[2] = 2, p.src.a[3] = 10;
		p.dst.a[0] = 192, p.dst.a[1] = 0, p.dst.a[2] = 2, p.dst.a[3] = 5;
		p.sport = other ? 40001 : 40000;
		p.dport = 5060;
		if (dir) {
			sw_addr t = p.src;
			p.src = p.dst;
			p.dst = t;
			p.dport = p.sport;
			p.sport = 5060;
		}
		p.tcp_seq = cursor[dir] + (uint32_t)(int32_t)delta;
		p.tcp_flags = flags;
		p.payload = payload;
		p.payload_len = (uint32_t)len;
		p.caplen = p.wirelen = (uint32_t)(40 + len);
		cursor[dir] = p.tcp_seq + (uint32_t)len;

		if (flow_handle_packet(ft, &p)) {
			if (truthful && (flags & 0x02))
				cont_forget(p.flow); /* a SYN may start the session over */
			stream_tcp_packet(s, &p, on_data, on_gap, &delivered);
			if (p.anom_n > PKT_MAX_ANOM)
				abort();
			if (truthful)
				for (unsigned i = 0; i < p.anom_n; i++)
					if (p.anom[i] == ANOM_STREAM_OVERLAP_DIFF)
						abort(); /* every copy was the same bytes */
		}
		free(payload);
	}
	flow_table_destroy(ft);
	if (stream_get_stats(s)->ooo_bytes_now != 0)
		abort(); /* out-of-order accounting leaked */
	if (stream_get_stats(s)->bytes_delivered != delivered)
		abort();
	stream_destroy(s);
	return 0;
}
