/*
 * test_defrag.c - IPv4/IPv6 reassembly (engine/defrag.c).
 *
 * Each row of the table is one named scenario: a datagram (a UDP datagram
 * with a valid checksum, or a hostile variant), a script of fragments cut
 * from it (offset, length, MF, and what is wrong with them) fed through
 * decode_packet() and defrag_packet() with every frame placed against a
 * guard page, the return and anomaly expected at each step, and the stats
 * expected at the end. A completed datagram is checked byte for byte and
 * its checksums recomputed here, independently of the decoder.
 */
#include "test_util.h"

#include "decode.h"
#include "defrag.h"

#define MAX_DG 4
#define MAX_STEPS 16
#define DG_SIZE 65536

enum { OP_END = 0, OP_FRAG, OP_TIMEOUT };

/* What is wrong with a fragment. */
#define F_CORRUPT 0x01 /* same range, different bytes */
#define F_BADCSUM 0x02 /* IPv4 header checksum broken */
#define F_TRUNC   0x04 /* capture cut 4 bytes short of the frame */
#define F_CORRUPT_HEAD 0x08 /* only the first 8 bytes differ */

#define ANY_ANOM 0xffff

/* IPv6 extension headers placed before the Fragment header. */
#define EXT_HBH 0x01
#define EXT_RT  0x02
#define EXT_DST 0x04

struct step {
	uint8_t op;
	uint8_t dg;     /* which datagram (id, ports, contents) */
	uint32_t off, len;
	uint8_t mf;
	uint8_t flags;  /* F_* */
	uint8_t nh;     /* protocol / fragment next header; 0 = the datagram's */
	uint16_t vlan;  /* 0 = untagged frame */
	uint16_t id;    /* 0 = 0x1000 + dg */
	uint32_t ts;    /* seconds */
	int want;       /* defrag_packet() return */
	uint16_t anom;  /* anomaly expected on the fragment; 0 = none at all */
};

struct row {
	const char *name;
	int v6;
	uint32_t dlen;   /* bytes after the IP header(s): UDP header + payload */
	uint32_t opts;   /* IPv4 option bytes (multiple of 4) */
	uint32_t ext;    /* IPv6 EXT_* */
	int nested;      /* IPv6: the datagram itself starts with a Fragment header */
	struct defrag_cfg cfg;
	struct step steps[MAX_STEPS];
	struct defrag_stats want; /* fragments counters are derived from the steps */
};

#define FR(o, l, m, w) { .op = OP_FRAG, .off = (o), .len = (l), .mf = (m), .want = (w) }
#define FRA(o, l, m, w, a) { .op = OP_FRAG, .off = (o), .len = (l), .mf = (m), .want = (w), .anom = (a) }
#define FRD(d, o, l, m, w) { .op = OP_FRAG, .dg = (d), .off = (o), .len = (l), .mf = (m), .want = (w) }
#define TMO(s) { .op = OP_TIMEOUT, .ts = (s) }

static const struct row rows[] = {
	/* ---------------- IPv4 ---------------- */
	{ "v4 in order", 0, 1032, .steps = { FR(0, 512, 1, 0), FR(512, 512, 1, 0), FR(1024, 8, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v4 reverse order", 0, 1032, .steps = { FR(1024, 8, 0, 0), FR(512, 512, 1, 0), FR(0, 512, 1, 1) },
	  .want = { .ipv4_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v4 shuffled", 0, 1300,
	  .steps = { FR(512, 256, 1, 0), FR(1024, 276, 0, 0), FR(0, 256, 1, 0), FR(768, 256, 1, 0),
	             FR(256, 256, 1, 1) },
	  .want = { .ipv4_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v4 header with options kept", 0, 1032, .opts = 8,
	  .steps = { FR(512, 520, 0, 0), FR(0, 512, 1, 1) },
	  .want = { .ipv4_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v4 tiny first fragment (8 bytes)", 0, 1032, .steps = { FR(0, 8, 1, 0), FR(8, 1024, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v4 first fragment last", 0, 200, .steps = { FR(8, 192, 0, 0), FR(0, 8, 1, 1) },
	  .want = { .ipv4_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v4 exact duplicate counted", 0, 1032,
	  .steps = { FR(0, 512, 1, 0), FR(0, 512, 1, 0), FR(512, 520, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .duplicates = 1, .max_trackers_seen = 1 } },
	{ "v4 duplicate after completion starts a new tracker", 0, 1032,
	  .steps = { FR(0, 512, 1, 0), FR(512, 520, 0, 1), FR(512, 520, 0, 0) },
	  .want = { .ipv4_reassembled = 1, .trackers_now = 1, .max_trackers_seen = 1 } },
	{ "v4 overlap, same data", 0, 1032,
	  .steps = { FR(0, 512, 1, 0), FR(256, 512, 1, 0), FR(768, 264, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .overlaps = 1, .max_trackers_seen = 1 } },
	{ "v4 overlap inside held data, different data: anomaly, first wins", 0, 1032,
	  .steps = { FR(0, 512, 1, 0),
	             { .op = OP_FRAG, .off = 256, .len = 256, .mf = 1, .flags = F_CORRUPT,
	               .anom = ANOM_IPV4_FRAG_OVERLAP },
	             FR(512, 520, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .overlaps = 1, .overlap_diff = 1, .max_trackers_seen = 1 } },
	{ "v4 partial overlap, different data: held part kept, new part added", 0, 1032,
	  .steps = { FR(0, 512, 1, 0),
	             { .op = OP_FRAG, .off = 504, .len = 264, .mf = 1, .flags = F_CORRUPT_HEAD,
	               .anom = ANOM_IPV4_FRAG_OVERLAP },
	             FR(768, 264, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .overlaps = 1, .overlap_diff = 1, .max_trackers_seen = 1 } },
	{ "v4 overlap rewriting the UDP ports (RFC 1858 style)", 0, 64,
	  .steps = { FR(0, 16, 1, 0),
	             { .op = OP_FRAG, .off = 0, .len = 24, .mf = 1, .flags = F_CORRUPT_HEAD,
	               .anom = ANOM_IPV4_FRAG_OVERLAP },
	             FR(24, 40, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .overlaps = 1, .overlap_diff = 1, .max_trackers_seen = 1 } },
	{ "v4 one fragment fills several holes", 0, 1032,
	  .steps = { FR(0, 8, 1, 0), FR(16, 8, 1, 0), FR(512, 8, 1, 0), FR(8, 1024, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .overlaps = 1, .max_trackers_seen = 1 } },
	{ "v4 fully covered by two pieces with different data", 0, 64,
	  .steps = { FR(0, 16, 1, 0), FR(16, 16, 1, 0),
	             { .op = OP_FRAG, .off = 8, .len = 16, .mf = 1, .flags = F_CORRUPT,
	               .anom = ANOM_IPV4_FRAG_OVERLAP },
	             FR(32, 32, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .overlaps = 1, .overlap_diff = 1, .max_trackers_seen = 1 } },
	{ "v4 missing middle, then timeout frees the tracker", 0, 1032,
	  .steps = { FR(0, 512, 1, 0), FR(1024, 8, 0, 0), TMO(59), TMO(61),
	             { .op = OP_FRAG, .off = 512, .len = 512, .mf = 1, .ts = 62 } },
	  .want = { .timeouts = 1, .trackers_now = 1, .max_trackers_seen = 1 } },
	{ "v4 expired by a later fragment's time", 0, 1032,
	  .steps = { FR(0, 512, 1, 0), { .op = OP_FRAG, .off = 512, .len = 520, .ts = 61 } },
	  .want = { .timeouts = 1, .trackers_now = 1, .max_trackers_seen = 1 } },
	{ "v4 timeout honours cfg", 0, 1032, .cfg = { .timeout = 5 },
	  .steps = { FR(0, 512, 1, 0), TMO(5), { .op = OP_FRAG, .off = 512, .len = 520, .ts = 5, .want = 1 },
	             FR(0, 512, 1, 0), TMO(6) },
	  .want = { .ipv4_reassembled = 1, .timeouts = 1, .max_trackers_seen = 1 } },
	{ "v4 too many fragments drops the datagram", 0, 72, .cfg = { .max_frags_per_tracker = 4 },
	  .steps = { FR(0, 8, 1, 0), FR(8, 8, 1, 0), FR(16, 8, 1, 0), FR(24, 8, 1, 0),
	             FRA(32, 8, 1, -1, ANOM_DEFRAG_TOO_MANY_FRAGS), FR(40, 32, 0, 0) },
	  .want = { .too_many_frags = 1, .trackers_now = 1, .max_trackers_seen = 1 } },
	{ "v4 duplicates count towards max fragments", 0, 72, .cfg = { .max_frags_per_tracker = 2 },
	  .steps = { FR(0, 8, 1, 0), FR(0, 8, 1, 0), FRA(0, 8, 1, -1, ANOM_DEFRAG_TOO_MANY_FRAGS) },
	  .want = { .too_many_frags = 1, .duplicates = 1, .max_trackers_seen = 1 } },
	{ "v4 datagram over 65535 bytes", 0, 1032,
	  .steps = { FRA(65512, 16, 1, -1, ANOM_IPV4_FRAG_PKT_TOO_LARGE) },
	  .want = { .too_large = 1, .max_trackers_seen = 1 } },
	{ "v4 over 65535 only with the first fragment's options", 0, 1032, .opts = 20,
	  .steps = { FR(65480, 16, 0, 0), FRA(0, 8, 1, -1, ANOM_IPV4_FRAG_PKT_TOO_LARGE) },
	  .want = { .too_large = 1, .max_trackers_seen = 1 } },
	{ "v4 two last fragments disagree", 0, 1032,
	  .steps = { FR(0, 512, 1, 0), FR(1024, 8, 0, 0), FRA(1024, 16, 0, -1, ANOM_DEFRAG_END_MISMATCH) },
	  .want = { .max_trackers_seen = 1 } },
	{ "v4 data past the last fragment", 0, 1032,
	  .steps = { FR(1024, 8, 0, 0), FRA(1024, 16, 1, -1, ANOM_DEFRAG_END_MISMATCH) },
	  .want = { .max_trackers_seen = 1 } },
	{ "v4 last fragment ends before held data", 0, 1032,
	  .steps = { FR(512, 512, 1, 0), FRA(256, 8, 0, -1, ANOM_DEFRAG_END_MISMATCH) },
	  .want = { .max_trackers_seen = 1 } },
	{ "v4 non-last length not a multiple of 8 is trimmed", 0, 1032,
	  .steps = { FRA(0, 13, 1, 0, ANOM_IPV4_FRAG_INVALID_LENGTH), FR(8, 1024, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v4 empty non-last fragment ignored", 0, 1032,
	  .steps = { FRA(512, 0, 1, -1, ANOM_IPV4_FRAG_IGNORED) },
	  .want = { 0 } },
	{ "v4 bad header checksum: not held (the receiver drops it)", 0, 1032,
	  .steps = { { .op = OP_FRAG, .off = 0, .len = 512, .mf = 1, .flags = F_BADCSUM | F_CORRUPT,
	               .want = -1, .anom = ANOM_IPV4_FRAG_IGNORED },
	             FR(0, 512, 1, 0), FR(512, 520, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v4 fragment cut by the capture is not held", 0, 1032,
	  .steps = { { .op = OP_FRAG, .off = 0, .len = 512, .mf = 1, .flags = F_TRUNC, .want = -1,
	               .anom = ANOM_IPV4_FRAG_IGNORED } },
	  .want = { 0 } },
	{ "v4 memcap evicts the oldest datagram", 0, 1032, .cfg = { .max_bytes = 2500 },
	  .steps = { FRD(0, 0, 1024, 1, 0), FRD(1, 0, 1024, 1, 0),
	             { .op = OP_FRAG, .dg = 2, .off = 0, .len = 1024, .mf = 1, .anom = ANOM_DEFRAG_MEMCAP },
	             FRD(2, 1024, 8, 0, 1), FRD(1, 1024, 8, 0, 1), FRD(0, 1024, 8, 0, 0) },
	  .want = { .ipv4_reassembled = 2, .evicted = 1, .memcap_hits = 1, .trackers_now = 1,
	            .max_trackers_seen = 3 } },
	{ "v4 fragment larger than the memcap refused", 0, 1032, .cfg = { .max_bytes = 1000 },
	  .steps = { FRA(0, 1024, 1, -1, ANOM_DEFRAG_MEMCAP), FR(1024, 8, 0, 0) },
	  .want = { .memcap_hits = 1, .trackers_now = 1, .max_trackers_seen = 1 } },
	{ "v4 max trackers evicts the oldest", 0, 1032, .cfg = { .max_trackers = 2 },
	  .steps = { FRD(0, 0, 512, 1, 0), FRD(1, 0, 512, 1, 0),
	             { .op = OP_FRAG, .dg = 2, .off = 0, .len = 512, .mf = 1, .anom = ANOM_DEFRAG_MAX_TRACKERS },
	             FRD(1, 512, 520, 0, 1), FRD(2, 512, 520, 0, 1), FRD(0, 512, 520, 0, 0) },
	  .want = { .ipv4_reassembled = 2, .evicted = 1, .trackers_now = 1, .max_trackers_seen = 2 } },
	{ "v4 same id, other protocol: another datagram", 0, 1032,
	  .steps = { FR(0, 512, 1, 0), { .op = OP_FRAG, .off = 512, .len = 520, .nh = 6 }, FR(512, 520, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .trackers_now = 1, .max_trackers_seen = 2 } },
	{ "v4 same id, other VLAN: another datagram", 0, 1032,
	  .steps = { { .op = OP_FRAG, .off = 0, .len = 512, .mf = 1, .vlan = 10 },
	             { .op = OP_FRAG, .off = 512, .len = 520, .vlan = 20 },
	             { .op = OP_FRAG, .off = 512, .len = 520, .vlan = 10, .want = 1 } },
	  .want = { .ipv4_reassembled = 1, .trackers_now = 1, .max_trackers_seen = 2 } },
	{ "v4 untagged and tagged do not mix", 0, 1032,
	  .steps = { { .op = OP_FRAG, .off = 0, .len = 512, .mf = 1, .vlan = 10 }, FR(512, 520, 0, 0) },
	  .want = { .trackers_now = 2, .max_trackers_seen = 2 } },
	{ "v4 largest datagram (65535 bytes)", 0, 65515,
	  .steps = { FR(0, 32768, 1, 0), FR(32768, 32747, 0, 1) },
	  .want = { .ipv4_reassembled = 1, .max_trackers_seen = 1 } },

	/* ---------------- IPv6 ---------------- */
	{ "v6 in order", 1, 1032, .steps = { FR(0, 512, 1, 0), FR(512, 512, 1, 0), FR(1024, 8, 0, 1) },
	  .want = { .ipv6_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v6 reverse order", 1, 1032, .steps = { FR(1024, 8, 0, 0), FR(512, 512, 1, 0), FR(0, 512, 1, 1) },
	  .want = { .ipv6_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v6 shuffled", 1, 1300,
	  .steps = { FR(768, 256, 1, 0), FR(0, 256, 1, 0), FR(1024, 276, 0, 0), FR(512, 256, 1, 0),
	             FR(256, 256, 1, 1) },
	  .want = { .ipv6_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v6 hop-by-hop, routing, dest-options before the fragment header", 1, 1032,
	  .ext = EXT_HBH | EXT_RT | EXT_DST,
	  .steps = { FR(512, 520, 0, 0), FR(0, 512, 1, 1) },
	  .want = { .ipv6_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v6 hop-by-hop only", 1, 1032, .ext = EXT_HBH,
	  .steps = { FR(0, 512, 1, 0), FR(512, 520, 0, 1) },
	  .want = { .ipv6_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v6 tiny first fragment (8 bytes)", 1, 1032, .steps = { FR(0, 8, 1, 0), FR(8, 1024, 0, 1) },
	  .want = { .ipv6_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v6 exact duplicate counted, not dropped", 1, 1032,
	  .steps = { FR(0, 512, 1, 0), FR(0, 512, 1, 0), FR(512, 520, 0, 1) },
	  .want = { .ipv6_reassembled = 1, .duplicates = 1, .max_trackers_seen = 1 } },
	{ "v6 overlap, same data: datagram dropped (RFC 5722)", 1, 1032,
	  .steps = { FR(0, 512, 1, 0), FRA(256, 512, 1, -1, ANOM_IPV6_FRAG_OVERLAP), FR(512, 520, 0, 0) },
	  .want = { .overlaps = 1, .trackers_now = 1, .max_trackers_seen = 1 } },
	{ "v6 overlap, different data: datagram dropped", 1, 1032,
	  .steps = { FR(0, 512, 1, 0),
	             { .op = OP_FRAG, .off = 256, .len = 512, .mf = 1, .flags = F_CORRUPT, .want = -1,
	               .anom = ANOM_IPV6_FRAG_OVERLAP } },
	  .want = { .overlaps = 1, .overlap_diff = 1, .max_trackers_seen = 1 } },
	{ "v6 same range, different data: dropped", 1, 1032,
	  .steps = { FR(0, 512, 1, 0),
	             { .op = OP_FRAG, .off = 0, .len = 512, .mf = 1, .flags = F_CORRUPT, .want = -1,
	               .anom = ANOM_IPV6_FRAG_OVERLAP } },
	  .want = { .overlaps = 1, .overlap_diff = 1, .max_trackers_seen = 1 } },
	{ "v6 non-last length not a multiple of 8 refused", 1, 1032,
	  .steps = { FRA(0, 13, 1, -1, ANOM_IPV6_FRAG_INVALID_LENGTH) },
	  .want = { 0 } },
	{ "v6 next header taken from the first fragment", 1, 1032,
	  .steps = { FR(0, 512, 1, 0), { .op = OP_FRAG, .off = 512, .len = 520, .nh = 6, .want = 1 } },
	  .want = { .ipv6_reassembled = 1, .max_trackers_seen = 1 } },
	{ "v6 fragment inside a fragment refused", 1, 1032, .nested = 1,
	  .steps = { FR(0, 512, 1, 0), FRA(512, 520, 0, -1, ANOM_IPV6_EXTHDR_DUPL_FH) },
	  .want = { .max_trackers_seen = 1 } },
	{ "v6 payload over 65535 with extension headers", 1, 1032, .ext = EXT_HBH,
	  .steps = { FR(0, 8, 1, 0), FRA(65512, 16, 0, -1, ANOM_IPV6_FRAG_PKT_TOO_LARGE) },
	  .want = { .too_large = 1, .max_trackers_seen = 1 } },
	{ "v6 missing middle, then timeout", 1, 1032,
	  .steps = { FR(0, 512, 1, 0), FR(1024, 8, 0, 0), TMO(61) },
	  .want = { .timeouts = 1, .max_trackers_seen = 1 } },
	{ "v6 memcap eviction", 1, 1032, .cfg = { .max_bytes = 2500 },
	  .steps = { FRD(0, 0, 1024, 1, 0), FRD(1, 0, 1024, 1, 0),
	             { .op = OP_FRAG, .dg = 2, .off = 0, .len = 1024, .mf = 1, .anom = ANOM_DEFRAG_MEMCAP },
	             FRD(2, 1024, 8, 0, 1) },
	  .want = { .ipv6_reassembled = 1, .evicted = 1, .memcap_hits = 1, .trackers_now = 1,
	            .max_trackers_seen = 3 } },
	{ "v6 VLAN-tagged", 1, 1032,
	  .steps = { { .op = OP_FRAG, .off = 0, .len = 512, .mf = 1, .vlan = 7 },
	             { .op = OP_FRAG, .off = 512, .len = 520, .vlan = 7, .want = 1 } },
	  .want = { .ipv6_reassembled = 1, .max_trackers_seen = 1 } },
};

/* ------------------------------------------------------------------ */
/* Packet building                                                     */

static const uint8_t v4src[4] = { 192, 0, 2, 10 }, v4dst[4] = { 192, 0, 2, 5 };
static const uint8_t v6src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
static const uint8_t v6dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x05 };

static uint8_t dgram[MAX_DG][DG_SIZE];

static void put16(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Plain RFC 1071 sum, written apart from the decoder's on purpose. */
static uint32_t sum16(uint32_t s, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s += (i & 1) ? b[i] : (uint32_t)b[i] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint16_t l4_sum(int v6, const uint8_t *l4, uint32_t len, uint8_t proto)
{
	uint32_t s = 0;
	if (v6) {
		s = sum16(s, v6src, 16);
		s = sum16(s, v6dst, 16);
	} else {
		s = sum16(s, v4src, 4);
		s = sum16(s, v4dst, 4);
	}
	s += proto + (len & 0xffff) + (len >> 16);
	return fold(sum16(s, l4, len));
}

/* Datagram i: UDP 5060 -> 5060+i with a checksum over dlen bytes; bytes
 * past dlen (for hostile offsets) are a pattern. */
static void make_dgram(const struct row *r, unsigned i)
{
	uint8_t *d = dgram[i];
	uint32_t u = r->nested ? 8 : 0;

	for (uint32_t k = 0; k < DG_SIZE; k++)
		d[k] = (uint8_t)(k * 7 + i * 31 + 1);
	if (r->nested) {
		/* An inner Fragment header: UDP, offset 8, more fragments. */
		memset(d, 0, 8);
		d[0] = 17;
		put16(d + 2, 8 | 1);
		d[7] = 0x42;
	}
	put16(d + u, 5060);
	put16(d + u + 2, 5060 + i);
	put16(d + u + 4, r->dlen - u);
	put16(d + u + 6, 0);
	put16(d + u + 6, l4_sum(r->v6, d + u, r->dlen - u, 17));
}

static uint32_t v4_hlen(const struct row *r)
{
	return 20 + r->opts;
}

static uint32_t v6_ext_len(const struct row *r)
{
	return (r->ext & EXT_HBH ? 8 : 0) + (r->ext & EXT_RT ? 24 : 0) + (r->ext & EXT_DST ? 8 : 0);
}

/* Builds the frame for one step into out; returns its length. */
static uint32_t build_frag(const struct row *r, const struct step *s, uint8_t *out)
{
	uint32_t n = 0;
	uint8_t *ip;

	if (s->vlan) {
		static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 5, 2, 0, 0, 0, 0, 10 };
		memcpy(out, macs, 12);
		put16(out + 12, 0x8100);
		put16(out + 14, s->vlan);
		put16(out + 16, r->v6 ? 0x86dd : 0x0800);
		n = 18;
	}
	ip = out + n;
	if (!r->v6) {
		uint32_t hl = v4_hlen(r);
		memset(ip, 0, hl);
		ip[0] = (uint8_t)(0x40 | hl / 4);
		put16(ip + 2, hl + s->len);
		put16(ip + 4, s->id ? s->id : 0x1000u + s->dg);
		put16(ip + 6, (s->mf ? 0x2000 : 0) | s->off / 8);
		ip[8] = 64;
		ip[9] = s->nh ? s->nh : 17;
		memcpy(ip + 12, v4src, 4);
		memcpy(ip + 16, v4dst, 4);
		for (uint32_t k = 20; k < hl; k++)
			ip[k] = 1; /* NOP options */
		put16(ip + 10, fold(sum16(0, ip, hl)));
		if (s->flags & F_BADCSUM)
			ip[11] ^= 0x55;
		n += hl;
	} else {
		uint8_t *nhp = ip + 6;
		uint32_t k = 40;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		ip[7] = 64;
		memcpy(ip + 8, v6src, 16);
		memcpy(ip + 24, v6dst, 16);
		if (r->ext & EXT_HBH) {
			*nhp = 0;
			memset(ip + k, 0, 8);
			ip[k + 2] = 1; /* PadN, 4 bytes */
			ip[k + 3] = 4;
			nhp = ip + k;
			k += 8;
		}
		if (r->ext & EXT_RT) {
			*nhp = 43;
			memset(ip + k, 0, 24);
			ip[k + 1] = 2; /* type 2 routing header, segments left 0 */
			ip[k + 2] = 2;
			memcpy(ip + k + 8, v6dst, 16);
			nhp = ip + k;
			k += 24;
		}
		if (r->ext & EXT_DST) {
			*nhp = 60;
			memset(ip + k, 0, 8);
			ip[k + 2] = 1;
			ip[k + 3] = 4;
			nhp = ip + k;
			k += 8;
		}
		*nhp = 44;
		ip[k] = s->nh ? s->nh : (r->nested ? 44 : 17);
		ip[k + 1] = 0;
		put16(ip + k + 2, s->off | (s->mf ? 1 : 0));
		put16(ip + k + 4, 0);
		put16(ip + k + 6, s->id ? s->id : 0x1000u + s->dg);
		k += 8;
		put16(ip + 4, k - 40 + s->len);
		n += k;
	}
	memcpy(out + n, dgram[s->dg] + s->off, s->len);
	if (s->flags & (F_CORRUPT | F_CORRUPT_HEAD))
		for (uint32_t i = 0; i < s->len && (i < 8 || !(s->flags & F_CORRUPT_HEAD)); i++)
			out[n + i] ^= 0x5a;
	return n + s->len;
}

static int has_anom(const packet *p, unsigned id)
{
	for (unsigned i = 0; i < p->anom_n; i++)
		if (p->anom[i] == id)
			return 1;
	return 0;
}

/* Checks a completed datagram against what was fragmented. */
static void check_whole(const struct row *r, const struct step *s, const packet *w)
{
	uint32_t hl = r->v6 ? 40 + v6_ext_len(r) : v4_hlen(r);
	const uint8_t *b = w->data;

	assert_true(w->flags & PKT_REASSEMBLED);
	assert_int_equal(w->flags & (PKT_IS_FRAGMENT | PKT_INVALID | PKT_L4_CSUM_BAD |
	                             PKT_IPV4_CSUM_BAD | PKT_TRUNCATED | PKT_L4_CSUM_UNKNOWN),
	                 0);
	assert_int_equal(w->anom_n, 0);
	assert_int_equal(w->caplen, hl + r->dlen);
	assert_int_equal(w->wirelen, hl + r->dlen);
	assert_int_equal(w->l3_len, hl + r->dlen);
	assert_true(w->l3 == b);
	assert_int_equal(w->ts, (uint64_t)s->ts * 1000000);
	assert_int_equal(w->vlan_n, s->vlan ? 1 : 0);
	if (s->vlan)
		assert_int_equal(w->vlan[0], s->vlan);
	assert_int_equal(w->linktype, s->vlan ? SW_DLT_EN10MB : SW_DLT_RAW);
	assert_int_equal(w->ip_v, r->v6 ? 6 : 4);
	assert_int_equal(w->proto, 17);
	assert_int_equal(w->sport, 5060);
	assert_int_equal(w->dport, 5060 + s->dg);
	assert_int_equal(w->payload_len, r->dlen - 8);
	assert_memory_equal(w->payload, dgram[s->dg] + 8, r->dlen - 8);
	assert_memory_equal(b + hl, dgram[s->dg], r->dlen);
	assert_int_equal(l4_sum(r->v6, b + hl, r->dlen, 17), 0);
	if (!r->v6) {
		assert_int_equal(get16(b + 2), hl + r->dlen);
		assert_int_equal(get16(b + 6) & 0x3fff, 0);
		assert_int_equal(fold(sum16(0, b, hl)), 0);
		assert_int_equal(b[9], 17);
	} else {
		/* The chain must lead from the IPv6 header to UDP, no Fragment header left. */
		uint8_t nh = b[6];
		uint32_t k = 40;
		assert_int_equal(get16(b + 4), hl - 40 + r->dlen);
		while (k < hl) {
			assert_true(nh == 0 || nh == 43 || nh == 60);
			nh = b[k];
			k += ((uint32_t)b[k + 1] + 1) * 8;
		}
		assert_int_equal(k, hl);
		assert_int_equal(nh, 17);
	}
}

static void run_row(void **state)
{
	const struct row *r = *state;
	struct defrag *d = defrag_create(&r->cfg);
	static uint8_t frame[DG_SIZE + 256];
	uint64_t nfrag = 0;
	const struct defrag_stats *st;

	assert_non_null(d);
	for (unsigned i = 0; i < MAX_DG; i++)
		make_dgram(r, i);
	for (unsigned i = 0; i < MAX_STEPS && r->steps[i].op != OP_END; i++) {
		const struct step *s = &r->steps[i];
		struct guard_buf g;
		packet p, whole;
		uint32_t n;
		int rc;

		if (s->op == OP_TIMEOUT) {
			defrag_timeout(d, (sw_time)s->ts * 1000000);
			continue;
		}
		nfrag++;
		n = build_frag(r, s, frame);
		memset(&p, 0, sizeof(p));
		memset(&whole, 0, sizeof(whole));
		p.data = (const uint8_t *)guard_copy(&g, frame, (s->flags & F_TRUNC) ? n - 4 : n);
		p.caplen = (uint32_t)g.len;
		p.wirelen = n;
		p.linktype = s->vlan ? SW_DLT_EN10MB : SW_DLT_RAW;
		p.ts = (sw_time)s->ts * 1000000;
		p.pcap_cnt = i + 1;
		assert_int_equal(decode_packet(&p), 0);
		assert_true(p.flags & PKT_IS_FRAGMENT);
		rc = defrag_packet(d, &p, &whole);
		/* The frame is gone before the result is looked at: defrag must
		 * have copied what it keeps. */
		guard_free(&g);
		if (rc != s->want)
			fail_msg("step %u: defrag_packet returned %d, want %d", i, rc, s->want);
		if (s->anom && s->anom != ANY_ANOM) {
			if (!has_anom(&p, s->anom))
				fail_msg("step %u: anomaly %s not raised", i, anomaly_name(s->anom));
		} else if (!s->anom && !(s->flags & (F_BADCSUM | F_TRUNC)) && p.anom_n) {
			fail_msg("step %u: unexpected anomaly %s", i, anomaly_name(p.anom[0]));
		}
		if (rc == 1) {
			check_whole(r, s, &whole);
			assert_int_equal(whole.pcap_cnt, i + 1);
		}
		st = defrag_get_stats(d);
		assert_true(st->bytes_now <= (r->cfg.max_bytes ? r->cfg.max_bytes : 16u << 20));
		if (st->trackers_now == 0)
			assert_int_equal(st->bytes_now, 0);
	}

	st = defrag_get_stats(d);
	assert_int_equal(st->ipv4_fragments, r->v6 ? 0 : nfrag);
	assert_int_equal(st->ipv6_fragments, r->v6 ? nfrag : 0);
	assert_int_equal(st->ipv4_reassembled, r->want.ipv4_reassembled);
	assert_int_equal(st->ipv6_reassembled, r->want.ipv6_reassembled);
	assert_int_equal(st->timeouts, r->want.timeouts);
	assert_int_equal(st->evicted, r->want.evicted);
	assert_int_equal(st->memcap_hits, r->want.memcap_hits);
	assert_int_equal(st->overlaps, r->want.overlaps);
	assert_int_equal(st->overlap_diff, r->want.overlap_diff);
	assert_int_equal(st->duplicates, r->want.duplicates);
	assert_int_equal(st->too_many_frags, r->want.too_many_frags);
	assert_int_equal(st->too_large, r->want.too_large);
	assert_int_equal(st->trackers_now, r->want.trackers_now);
	assert_int_equal(st->max_trackers_seen, r->want.max_trackers_seen);
	if (st->trackers_now == 0)
		assert_int_equal(st->bytes_now, 0);
	else
		assert_true(st->bytes_now > 0);
	/* Timing out everything must give every byte back. */
	defrag_timeout(d, (sw_time)1000000 * 1000000);
	assert_int_equal(st->trackers_now, 0);
	assert_int_equal(st->bytes_now, 0);
	defrag_destroy(d);
}

/* ------------------------------------------------------------------ */
/* Tests outside the table                                             */

/* Feeds one IPv4 fragment of datagram dg; returns defrag_packet()'s result. */
static int feed(struct defrag *d, const struct row *r, struct step s, packet *whole)
{
	static uint8_t frame[DG_SIZE + 256];
	struct guard_buf g;
	packet p;
	uint32_t n = build_frag(r, &s, frame);
	int rc;

	memset(&p, 0, sizeof(p));
	p.data = (const uint8_t *)guard_copy(&g, frame, n);
	p.caplen = p.wirelen = n;
	p.linktype = s.vlan ? SW_DLT_EN10MB : SW_DLT_RAW;
	p.ts = (sw_time)s.ts * 1000000;
	if (decode_packet(&p) != 0 || !(p.flags & PKT_IS_FRAGMENT))
		rc = -2;
	else
		rc = defrag_packet(d, &p, whole);
	guard_free(&g);
	return rc;
}

static void test_defaults(void **state)
{
	static const struct row r = { .name = "defaults", .dlen = 1032 };
	struct defrag_cfg zero;
	struct defrag *d;
	packet whole;
	const struct defrag_stats *st;

	(void)state;
	defrag_destroy(NULL);
	memset(&zero, 0, sizeof(zero));
	d = defrag_create(&zero);
	assert_non_null(d);
	make_dgram(&r, 0);
	/* 64 fragments are fine, the 65th drops the datagram. */
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(feed(d, &r, (struct step){ .off = i * 8, .len = 8, .mf = 1 }, &whole), 0);
	assert_int_equal(feed(d, &r, (struct step){ .off = 512, .len = 8, .mf = 1 }, &whole), -1);
	st = defrag_get_stats(d);
	assert_int_equal(st->too_many_frags, 1);
	/* 4096 trackers, then the oldest goes. */
	for (unsigned i = 0; i < 4097; i++) {
		struct step s = { .off = 0, .len = 8, .mf = 1, .id = (uint16_t)(1 + i) };
		assert_int_equal(feed(d, &r, s, &whole), 0);
	}
	assert_int_equal(st->evicted, 1);
	assert_int_equal(st->trackers_now, 4096);
	assert_int_equal(st->max_trackers_seen, 4096);
	/* 60 s of packet time. */
	defrag_timeout(d, 60 * 1000000ULL);
	assert_int_equal(st->trackers_now, 4096);
	defrag_timeout(d, 60 * 1000000ULL + 1);
	assert_int_equal(st->trackers_now, 0);
	assert_int_equal(st->timeouts, 4096);
	assert_int_equal(st->bytes_now, 0);
	defrag_destroy(d);
	d = defrag_create(NULL);
	assert_non_null(d);
	defrag_destroy(d);
}

static uint32_t rng_state = 12345;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/*
 * Random fragments of a few datagrams, with overlaps, corruption, odd
 * lengths and tight limits: nothing may crash or leak (ASan), the limits
 * must hold after every packet, and whatever completes must decode.
 */
static void test_random(void **state)
{
	/* Tight limits of each kind, so every eviction path runs. */
	static const struct defrag_cfg cfgs[] = {
		{ .max_trackers = 3, .max_bytes = 5000, .timeout = 2, .max_frags_per_tracker = 24 },
		{ .max_trackers = 8, .max_bytes = 3000, .timeout = 1, .max_frags_per_tracker = 6 },
		{ .max_trackers = 128, .max_bytes = 1 << 20, .timeout = 1, .max_frags_per_tracker = 64 },
	};
	struct defrag_stats sum;

	(void)state;
	memset(&sum, 0, sizeof(sum));
	for (unsigned c = 0; c < SW_ARRAY_SIZE(cfgs); c++) {
		for (int v6 = 0; v6 <= 1; v6++) {
			struct row r = { .name = "random", .v6 = v6, .dlen = 1500 };
			const struct defrag_cfg *cfg = &cfgs[c];
			struct defrag *d = defrag_create(cfg);
			const struct defrag_stats *st = defrag_get_stats(d);

			for (unsigned i = 0; i < MAX_DG; i++)
				make_dgram(&r, i);
			for (unsigned i = 0; i < 20000; i++) {
				struct step s;
				packet whole;
				int rc;
				memset(&s, 0, sizeof(s));
				s.dg = (uint8_t)(rnd() % MAX_DG);
				s.id = (uint16_t)(1 + rnd() % (c == 2 ? 64 : MAX_DG));
				s.off = rnd() % 4 ? (rnd() % 188) * 8 : 0;
				s.len = 8 + rnd() % 600;
				if (s.off + s.len >= r.dlen) {
					s.len = r.dlen - s.off;
					s.mf = 0;
				} else {
					s.mf = 1;
					if (rnd() % 4)
						s.len &= ~7u;
				}
				if (rnd() % 8 == 0)
					s.flags |= F_CORRUPT;
				if (rnd() % 16 == 0)
					s.mf ^= 1;
				s.ts = i / 1000;
				rc = feed(d, &r, s, &whole);
				assert_true(rc >= -2 && rc <= 1); /* -2: not a fragment after all */
				if (rc == 1) {
					assert_true(whole.flags & PKT_REASSEMBLED);
					assert_false(whole.flags & PKT_IS_FRAGMENT);
					assert_int_equal(whole.ip_v, v6 ? 6 : 4);
					assert_int_equal(whole.l3_len, whole.caplen);
				}
				assert_true(st->bytes_now <= cfg->max_bytes);
				assert_true(st->trackers_now <= cfg->max_trackers);
			}
			sum.ipv4_reassembled += st->ipv4_reassembled;
			sum.ipv6_reassembled += st->ipv6_reassembled;
			sum.overlaps += st->overlaps;
			sum.overlap_diff += st->overlap_diff;
			sum.duplicates += st->duplicates;
			sum.evicted += st->evicted;
			sum.memcap_hits += st->memcap_hits;
			sum.too_many_frags += st->too_many_frags;
			sum.timeouts += st->timeouts;
			defrag_destroy(d);
		}
	}
	assert_true(sum.ipv4_reassembled > 0);
	assert_true(sum.ipv6_reassembled > 0);
	assert_true(sum.overlaps > 0 && sum.overlap_diff > 0 && sum.duplicates > 0);
	assert_true(sum.evicted > 0 && sum.memcap_hits > 0);
	assert_true(sum.too_many_frags > 0 && sum.timeouts > 0);
}

int main(void)
{
	size_t n = SW_ARRAY_SIZE(rows);
	struct CMUnitTest *t = calloc(n + 2, sizeof(*t));
	int rc;

	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		t[i].name = rows[i].name;
		t[i].test_func = run_row;
		t[i].initial_state = (void *)&rows[i];
	}
	t[n].name = "defaults: 64 fragments, 4096 trackers, 60 s";
	t[n].test_func = test_defaults;
	t[n + 1].name = "random fragments under tight limits";
	t[n + 1].test_func = test_random;
	rc = _cmocka_run_group_tests("defrag", t, n + 2, NULL, NULL);
	free(t);
	return rc;
}
