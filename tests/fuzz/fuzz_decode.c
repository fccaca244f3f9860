/*
 * fuzz_decode.c - libFuzzer target for the packet decoders (decode.h).
 *
 * Input: byte 0 picks the link type (low 4 bits) and whether the capture
 * is "cut short" (bit 4: wirelen > caplen, so checksums are not judged);
 * the rest is the captured frame. A decoded IP packet then goes through a
 * small flow table and, for TCP, the stream reassembler, as in the engine.
 * Checks that every view the decoders set lies inside the frame.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "flow.h"
#include "stream_tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[16] = {
	SW_DLT_EN10MB, SW_DLT_RAW,        SW_DLT_NULL,    SW_DLT_LOOP,
	SW_DLT_LINUX_SLL, SW_DLT_LINUX_SLL2, SW_DLT_IPV4, SW_DLT_IPV6,
	SW_DLT_RAW_OLD, SW_DLT_RAW_OLD2,  SW_DLT_EN10MB,  SW_DLT_EN10MB,
	SW_DLT_RAW,    SW_DLT_LINUX_SLL,  9999,           SW_DLT_EN10MB,
};

static const uint8_t *g_base;
static size_t g_len;

static void check_span(const uint8_t *p, uint32_t len)
{
	volatile unsigned acc = 0;
	if (!p || len == 0)
		return;
	if (p < g_base || p + len > g_base + g_len)
		abort();
	for (uint32_t i = 0; i < len; i++)
		acc += p[i];
	(void)acc;
}

static void on_data(void *ud, struct flow *f, int dir, const uint8_t *d, uint32_t len)
{
	check_span(d, len);
}

static void on_end(void *ud, struct flow *f, enum flow_end_reason why)
{
	stream_tcp_flow_free(ud, f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	packet p;
	uint8_t *frame;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1;
	frame = malloc(n ? n : 1); /* exactly the frame: over-reads are caught */
	if (!frame)
		return 0;
	memcpy(frame, data + 1, n);
	g_base = frame;
	g_len = n;

	memset(&p, 0, sizeof(p));
	p.ts = 1700000000ULL * 1000000ULL;
	p.data = frame;
	p.caplen = (uint32_t)n;
	p.wirelen = (uint32_t)n + ((data[0] & 0x10) ? 64 : 0);
	p.linktype = linktypes[data[0] & 15];
	p.pcap_cnt = 1;

	int rc = decode_packet(&p);
	if (p.anom_n > PKT_MAX_ANOM || p.vlan_n > PKT_MAX_VLAN)
		abort();
	check_span(p.l3, p.l3_len);
	check_span(p.l4, p.l4_len);
	check_span(p.payload, p.payload_len);
	if (p.flags & PKT_IS_FRAGMENT)
		check_span(p.frag_data, p.frag_len);
	if (rc == 0 && p.ip_v != 4 && p.ip_v != 6)
		abort();

	if (rc == 0 && !(p.flags & PKT_IS_FRAGMENT)) {
		struct flow_cfg fc = { .max_flows = 2, .hash_size = 2 };
		struct stream_cfg sc = { .max_sessions = 2, .max_ooo_bytes_per_dir = 1024,
			                 .memcap = 4096, .max_ooo_segments = 4 };
		struct stream_ctx *s = stream_create(&sc);
		struct flow_table *ft = s ? flow_table_create(&fc, on_end, s) : NULL;
		if (ft && flow_handle_packet(ft, &p)) {
			if (p.proto == IPPROTO_TCP)
				stream_tcp_packet(s, &p, on_data, NULL, NULL);
		}
		flow_table_destroy(ft);
		stream_destroy(s);
	}
	free(frame);
	return 0;
}
