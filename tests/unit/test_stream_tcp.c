/*
 * test_stream_tcp.c - TCP reassembly (engine/stream_tcp.c).
 *
 * Segments are built as the decoders leave them (addresses, ports,
 * IPPROTO_TCP, seq, flags, payload) and attached to a flow from a real flow
 * table (flow_handle_packet sets p->flow and p->dir), then handed to
 * stream_tcp_packet(). What the data callback receives is appended per
 * direction and compared with the expected byte stream; gaps are logged
 * as '|' markers in it so a row can say exactly where a hole was skipped.
 *
 * Scenario rows: one line per segment (direction, flags, seq relative to
 * that direction's ISN, payload), the stream expected in each direction,
 * and the anomalies and counters expected.
 */
#include "test_util.h"

#include <netinet/in.h>

#include "flow.h"
#include "stream_tcp.h"

#define MAXSEG 16
#define OUTCAP 4096

struct seg_spec {
	uint8_t dir;      /* 0 client -> server, 1 back */
	uint8_t flags;    /* TH_* */
	int64_t rel;      /* seq relative to the direction's ISN (SYN at rel -1 ... see below) */
	const char *data; /* payload, NUL-terminated; NULL = none */
	uint16_t anom;    /* anomaly expected on this segment (0: none expected) */
};

struct stream_row {
	const char *name;
	uint32_t isn[2];         /* initial sequence numbers */
	struct stream_cfg cfg;   /* zero members take the defaults */
	struct seg_spec seg[MAXSEG];
	const char *want[2];     /* bytes delivered per direction, '|' = one gap */
	uint8_t state;           /* f->tcp_state at the end */
	/* Counters checked when nonzero (use CHECK0 to require a zero). */
	uint64_t retrans, overlaps, overlap_diff, gaps, gap_bytes, ooo_segments, midstream, rst;
	uint64_t rst_invalid, memcap_hits;
};

/*
 * rel: payload of the first data segment after a SYN starts at rel 1 (the
 * SYN takes rel 0); for a mid-stream pickup the first seen byte may be any
 * rel. Rows write rel as offsets in the byte stream + 1.
 */
#define SYN_(d) { d, TH_SYN, 0, NULL, 0 }
#define SYNACK_(d) { d, TH_SYN | TH_ACK, 0, NULL, 0 }
#define ACK_(d, r) { d, TH_ACK, r, NULL, 0 }
#define D(d, r, s) { d, TH_ACK | TH_PUSH, r, s, 0 }
#define DA(d, r, s, a) { d, TH_ACK | TH_PUSH, r, s, a }
#define FIN_(d, r) { d, TH_FIN | TH_ACK, r, NULL, 0 }
#define RST_(d, r) { d, TH_RST, r, NULL, 0 }
#define HS SYN_(0), SYNACK_(1), ACK_(0, 1)
#define ZERO ((uint64_t)-1) /* "must be 0" marker for counters */

static const struct stream_row rows[] = {
	{ "in order after a handshake", { 1000, 5000 }, { 0 },
	  { HS, D(0, 1, "hello "), D(0, 7, "world"), D(1, 1, "reply") },
	  { "hello world", "reply" }, TCP_ESTABLISHED, .retrans = ZERO, .gaps = ZERO, .ooo_segments = ZERO,
	  .midstream = ZERO },
	{ "out of order: held, then delivered when filled", { 1000, 5000 }, { 0 },
	  { HS, D(0, 7, "world"), D(0, 12, "!"), D(0, 1, "hello ") },
	  { "hello world!", "" }, TCP_ESTABLISHED, .ooo_segments = 2, .gaps = ZERO },
	{ "reversed five segments", { 7, 9 }, { 0 },
	  { HS, D(0, 9, "ij"), D(0, 7, "gh"), D(0, 5, "ef"), D(0, 3, "cd"), D(0, 1, "ab") },
	  { "abcdefghij", "" }, TCP_ESTABLISHED, .ooo_segments = 4, .gaps = ZERO },
	{ "exact duplicate of delivered data is not redelivered", { 1000, 5000 }, { 0 },
	  { HS, D(0, 1, "hello"), D(0, 1, "hello"), D(0, 6, " there"), D(0, 1, "hello there") },
	  { "hello there", "" }, TCP_ESTABLISHED, .retrans = 2, .overlap_diff = ZERO },
	{ "duplicate of held data is held once", { 1000, 5000 }, { 0 },
	  { HS, D(0, 6, "world"), D(0, 6, "world"), D(0, 1, "hello") },
	  { "helloworld", "" }, TCP_ESTABLISHED, .retrans = 1, .ooo_segments = 1, .overlap_diff = ZERO },
	{ "retransmission with new tail: only the tail is new", { 1000, 5000 }, { 0 },
	  { HS, D(0, 1, "abc"), D(0, 1, "abcdef") },
	  { "abcdef", "" }, TCP_ESTABLISHED, .overlaps = 1, .retrans = ZERO },
	{ "different data over held bytes: first wins, anomaly", { 1000, 5000 }, { 0 },
	  { HS, D(0, 6, "WORLD"), DA(0, 4, "XXworld", ANOM_STREAM_OVERLAP_DIFF), D(0, 1, "hel") },
	  { "helXXWORLD", "" }, TCP_ESTABLISHED, .overlap_diff = 1 },
	{ "in-order data over held bytes that differ: held wins", { 1000, 5000 }, { 0 },
	  { HS, D(0, 4, "DEF"), DA(0, 1, "abcdefgh", ANOM_STREAM_OVERLAP_DIFF) },
	  { "abcDEFgh", "" }, TCP_ESTABLISHED, .overlap_diff = 1 },
	{ "in-order data over held bytes that match: no anomaly", { 1000, 5000 }, { 0 },
	  { HS, D(0, 4, "def"), D(0, 9, "ij"), D(0, 1, "abcdefghij") },
	  { "abcdefghij", "" }, TCP_ESTABLISHED, .overlap_diff = ZERO, .ooo_segments = 2 },
	{ "new segment spanning two held ones fills only the holes", { 1000, 5000 }, { 0 },
	  { HS, D(0, 3, "CD"), D(0, 7, "GH"), DA(0, 2, "bxdefgHi", ANOM_STREAM_OVERLAP_DIFF), D(0, 1, "a") },
	  { "abCDefGHi", "" }, TCP_ESTABLISHED, .overlap_diff = 1, .overlaps = 1 },
	{ "gap beyond max_ooo_bytes: skipped, reported, resumed", { 1000, 5000 },
	  { .max_ooo_bytes_per_dir = 16 },
	  { HS, D(0, 1, "abc"), D(0, 14, "0123456789"), DA(0, 30, "ZZZZZZZZZZ", ANOM_STREAM_SEQ_GAP),
	    DA(0, 40, "tailtailta", ANOM_STREAM_SEQ_GAP), D(0, 50, "!") },
	  { "abc|0123456789|ZZZZZZZZZZtailtailta!", "" }, TCP_ESTABLISHED, .gaps = 2, .gap_bytes = 10 + 6 },
	{ "gap beyond max_ooo_segments", { 1000, 5000 }, { .max_ooo_segments = 2 },
	  { HS, D(0, 1, "a"), D(0, 3, "c"), D(0, 5, "e"), DA(0, 7, "g", ANOM_STREAM_SEQ_GAP),
	    DA(0, 8, "h", ANOM_STREAM_SEQ_GAP), D(0, 6, "f") },
	  { "a|c|efgh", "" }, TCP_ESTABLISHED, .gaps = 2, .gap_bytes = 2 },
	{ "segment larger than max_ooo_bytes: skip straight to it", { 1000, 5000 },
	  { .max_ooo_bytes_per_dir = 4 },
	  { HS, D(0, 1, "ab"), DA(0, 10, "0123456789", ANOM_STREAM_SEQ_GAP), D(0, 20, "x") },
	  { "ab|0123456789x", "" }, TCP_ESTABLISHED, .gaps = 1, .gap_bytes = 7 },
	{ "over the limit, before everything held: skip only up to it", { 1000, 5000 },
	  { .max_ooo_segments = 1 },
	  { HS, D(0, 1, "a"), D(0, 20, "T"), DA(0, 5, "e", ANOM_STREAM_SEQ_GAP), D(0, 6, "fghijklmnopqrs") },
	  { "a|efghijklmnopqrsT", "" }, TCP_ESTABLISHED, .gaps = 1, .gap_bytes = 3 },
	{ "midstream pickup: first data seen is delivered", { 123456, 654321 }, { 0 },
	  { D(0, 50, "INVITE"), D(1, 7, "SIP/2.0 100"), D(0, 56, " sip:") },
	  { "INVITE sip:", "SIP/2.0 100" }, TCP_ESTABLISHED, .midstream = 1, .gaps = ZERO },
	{ "midstream pickup: out of order after the first", { 1, 1 }, { 0 },
	  { D(0, 10, "ab"), D(0, 14, "ef"), D(0, 12, "cd") },
	  { "abcdef", "" }, TCP_ESTABLISHED, .midstream = 1, .ooo_segments = 1 },
	{ "RST: closes, later data is not delivered", { 1000, 5000 }, { 0 },
	  { HS, D(0, 1, "abc"), RST_(1, 1), DA(0, 4, "def", ANOM_STREAM_DATA_AFTER_RST),
	    DA(1, 1, "x", ANOM_STREAM_DATA_AFTER_RST) },
	  { "abc", "" }, TCP_CLOSED, .rst = 1 },
	{ "RST with a seq far from the sender's position is ignored", { 1000, 5000 }, { 0 },
	  { HS, D(0, 1, "abc"), RST_(1, 900000), D(0, 4, "def") },
	  { "abcdef", "" }, TCP_ESTABLISHED, .rst = ZERO, .rst_invalid = 1 },
	{ "RST answering a SYN (refused connection)", { 1000, 5000 }, { 0 },
	  { SYN_(0), { 1, TH_RST | TH_ACK, 0, NULL, 0 } },
	  { "", "" }, TCP_CLOSED, .rst = 1 },
	{ "SYN after RST: the session starts over (port reuse)", { 1000, 5000 }, { 0 },
	  { HS, D(0, 1, "old"), RST_(0, 4), { 0, TH_SYN, 5000, NULL, 0 }, { 1, TH_SYN | TH_ACK, 7000, NULL, 0 },
	    D(0, 5001, "new"), D(1, 7001, "ok") },
	  { "oldnew", "ok" }, TCP_ESTABLISHED, .rst = 1 },
	{ "SYN inside an established session does not resynchronise", { 1000, 5000 }, { 0 },
	  { HS, D(0, 1, "abc"), { 0, TH_SYN, 500, NULL, 0 }, D(0, 4, "def") },
	  { "abcdef", "" }, TCP_ESTABLISHED, .gaps = ZERO },
	{ "FIN one way: closing; both ways: closed", { 1000, 5000 }, { 0 },
	  { HS, D(0, 1, "bye"), FIN_(0, 4), D(1, 1, "ok"), FIN_(1, 3) },
	  { "bye", "ok" }, TCP_CLOSED, .gaps = ZERO },
	{ "FIN with data", { 1000, 5000 }, { 0 },
	  { HS, { 0, TH_FIN | TH_ACK, 1, "last", 0 } },
	  { "last", "" }, TCP_CLOSING, .gaps = ZERO },
	{ "FIN with data still missing: held data flushed through a gap", { 1000, 5000 }, { 0 },
	  { HS, D(0, 1, "ab"), D(0, 5, "ef"), { 0, TH_FIN | TH_ACK, 7, NULL, ANOM_STREAM_SEQ_GAP } },
	  { "ab|ef", "" }, TCP_CLOSING, .gaps = 1, .gap_bytes = 2 },
	{ "sequence wraparound at 2^32, in order", { 0xfffffffaU, 0xffffffffU }, { 0 },
	  { HS, D(0, 1, "0123"), D(0, 5, "4567"), D(0, 9, "89"), D(1, 1, "wrapped") },
	  { "0123456789", "wrapped" }, TCP_ESTABLISHED, .gaps = ZERO, .ooo_segments = ZERO },
	{ "sequence wraparound at 2^32, out of order across it", { 0xfffffff0U, 5 }, { 0 },
	  { HS, D(0, 17, "after"), D(0, 9, "12345678"), D(0, 1, "abcdefgh"), D(0, 1, "abcdefgh") },
	  { "abcdefgh12345678after", "" }, TCP_ESTABLISHED, .ooo_segments = 2, .retrans = 1 },
	{ "data on SYN is not delivered", { 1000, 5000 }, { 0 },
	  { { 0, TH_SYN, 0, "tfo", 0 }, SYNACK_(1), D(0, 1, "x") },
	  { "x", "" }, TCP_ESTABLISHED, .gaps = ZERO },
	{ "empty ACKs change nothing", { 1000, 5000 }, { 0 },
	  { HS, ACK_(0, 1), ACK_(1, 1), ACK_(0, 500), D(0, 1, "a"), ACK_(0, 2) },
	  { "a", "" }, TCP_ESTABLISHED, .gaps = ZERO, .retrans = ZERO },
};

/* ------------------------------------------------------------------ */

struct sink {
	char out[2][OUTCAP];
	size_t len[2];
	uint64_t gap_calls, gap_bytes;
	const uint8_t *last_ptr;
	int wrap; /* long random runs: keep only the tail */
};

static void append(struct sink *k, int dir, const void *d, size_t n)
{
	if (k->wrap && k->len[dir] + n >= OUTCAP)
		k->len[dir] = 0;
	assert_true(k->len[dir] + n < OUTCAP);
	memcpy(k->out[dir] + k->len[dir], d, n);
	k->len[dir] += n;
	k->out[dir][k->len[dir]] = '\0';
}

static void on_data(void *ud, struct flow *f, int dir, const uint8_t *d, uint32_t len)
{
	struct sink *k = ud;
	assert_non_null(f);
	assert_true(dir == 0 || dir == 1);
	assert_true(len > 0);
	k->last_ptr = d;
	append(k, dir, d, len);
}

static void on_gap(void *ud, struct flow *f, int dir, uint32_t gap)
{
	struct sink *k = ud;
	assert_non_null(f);
	k->gap_calls++;
	k->gap_bytes += gap;
	append(k, dir, "|", 1);
}

static void on_end(void *ud, struct flow *f, enum flow_end_reason why)
{
	stream_tcp_flow_free(ud, f);
}

struct rig {
	struct stream_ctx *s;
	struct flow_table *ft;
	struct sink k;
	struct guard_buf g;
};

static void rig_init(struct rig *r, const struct stream_cfg *cfg, uint32_t max_flows)
{
	struct flow_cfg fc = { .max_flows = max_flows };
	memset(r, 0, sizeof(*r));
	r->s = stream_create(cfg);
	assert_non_null(r->s);
	r->ft = flow_table_create(&fc, on_end, r->s);
	assert_non_null(r->ft);
}

static void rig_free(struct rig *r)
{
	flow_table_destroy(r->ft);
	assert_int_equal(stream_get_stats(r->s)->ooo_bytes_now, 0);
	stream_destroy(r->s);
	guard_free(&r->g);
}

/* Sends one segment of flow `port` (client port) in direction dir. */
static packet *send_seg(struct rig *r, packet *p, int dir, uint16_t port, uint8_t flags, uint32_t seq,
                        const char *data, sw_time ts)
{
	static const sw_addr cli = { 4, { 192, 0, 2, 10 } }, srv = { 4, { 192, 0, 2, 5 } };
	memset(p, 0, sizeof(*p));
	p->ts = ts;
	p->ip_v = 4;
	p->proto = IPPROTO_TCP;
	p->src = dir ? srv : cli;
	p->dst = dir ? cli : srv;
	p->sport = dir ? 5060 : port;
	p->dport = dir ? port : 5060;
	p->tcp_seq = seq;
	p->tcp_flags = flags;
	p->caplen = p->wirelen = 54;
	guard_free(&r->g);
	if (data) {
		/* against a guard page: a read past the payload crashes */
		p->payload = (const uint8_t *)guard_copy(&r->g, data, strlen(data));
		p->payload_len = (uint32_t)strlen(data);
		p->caplen += p->payload_len;
	}
	assert_non_null(flow_handle_packet(r->ft, p));
	stream_tcp_packet(r->s, p, on_data, on_gap, &r->k);
	return p;
}

static int has_anom(const packet *p, unsigned id)
{
	for (unsigned i = 0; i < p->anom_n; i++)
		if (p->anom[i] == id)
			return 1;
	return 0;
}

static void check_counter(const char *what, uint64_t want, uint64_t got)
{
	if (want == 0)
		return;
	if (want == ZERO)
		want = 0;
	if (want != got)
		fail_msg("%s: want %llu, got %llu", what, (unsigned long long)want, (unsigned long long)got);
}

static void run_row(void **state)
{
	const struct stream_row *row = *state;
	struct rig r;
	struct flow *f = NULL;
	const struct stream_stats *st;

	rig_init(&r, &row->cfg, 4);
	for (unsigned i = 0; i < MAXSEG && (row->seg[i].flags || row->seg[i].data); i++) {
		const struct seg_spec *sp = &row->seg[i];
		packet p;
		uint32_t seq = row->isn[sp->dir] + (uint32_t)sp->rel;
		send_seg(&r, &p, sp->dir, 40000, sp->flags, seq, sp->data, 1000000 + i);
		f = p.flow;
		if (sp->anom) {
			if (!has_anom(&p, sp->anom))
				fail_msg("segment %u: anomaly %s not raised", i, anomaly_name(sp->anom));
		} else if (p.anom_n) {
			fail_msg("segment %u: unexpected anomaly %s", i, anomaly_name(p.anom[0]));
		}
	}
	assert_string_equal(r.k.out[0], row->want[0]);
	assert_string_equal(r.k.out[1], row->want[1]);
	assert_non_null(f);
	assert_int_equal(f->tcp_state, row->state);
	assert_int_equal(stream_tcp_is_closed(f), row->state == TCP_CLOSED);
	st = stream_get_stats(r.s);
	check_counter("retransmissions", row->retrans, st->retransmissions);
	check_counter("overlaps", row->overlaps, st->overlaps);
	check_counter("overlap_diff", row->overlap_diff, st->overlap_diff);
	check_counter("gaps", row->gaps, st->gaps);
	check_counter("gap_bytes", row->gap_bytes, st->gap_bytes);
	check_counter("ooo_segments", row->ooo_segments, st->ooo_segments);
	check_counter("midstream_pickups", row->midstream, st->midstream_pickups);
	check_counter("rst", row->rst, st->rst);
	check_counter("rst_invalid", row->rst_invalid, st->rst_invalid);
	check_counter("memcap_hits", row->memcap_hits, st->memcap_hits);
	assert_int_equal(st->gaps, r.k.gap_calls);
	assert_int_equal(st->gap_bytes, r.k.gap_bytes);
	assert_int_equal(st->bytes_delivered, strlen(r.k.out[0]) + strlen(r.k.out[1]) - r.k.gap_calls);
	rig_free(&r);
}

/* ------------------------------------------------------------------ */

/* In-order data is handed over straight from the packet (zero-copy). */
static void test_zero_copy(void **state)
{
	struct stream_cfg cfg = { 0 };
	struct rig r;
	packet p;
	(void)state;

	rig_init(&r, &cfg, 4);
	send_seg(&r, &p, 0, 40000, TH_SYN, 100, NULL, 1);
	send_seg(&r, &p, 0, 40000, TH_ACK, 101, "zero copy", 2);
	assert_ptr_equal(r.k.last_ptr, p.payload);
	assert_string_equal(r.k.out[0], "zero copy");
	rig_free(&r);
}

/* The global memcap: one flow's held data leaves no room for another's. */
static void test_memcap(void **state)
{
	struct stream_cfg cfg = { .memcap = 12, .max_ooo_bytes_per_dir = 1024 };
	struct rig r;
	packet p;
	const struct stream_stats *st;
	(void)state;

	rig_init(&r, &cfg, 4);
	send_seg(&r, &p, 0, 40000, TH_ACK, 1000, "a", 1);
	send_seg(&r, &p, 0, 40000, TH_ACK, 1010, "0123456789", 2); /* held: 10 of 12 bytes */
	assert_int_equal(stream_get_stats(r.s)->ooo_bytes_now, 10);
	send_seg(&r, &p, 0, 40001, TH_ACK, 5000, "b", 3);
	send_seg(&r, &p, 0, 40001, TH_ACK, 5010, "abcdef", 4); /* would make 16 > 12 */
	assert_true(has_anom(&p, ANOM_STREAM_MEMCAP));
	assert_true(has_anom(&p, ANOM_STREAM_SEQ_GAP));
	st = stream_get_stats(r.s);
	assert_int_equal(st->memcap_hits, 1);
	assert_int_equal(st->ooo_bytes_now, 10);
	/* Fail open: the second flow's data was delivered after a gap. */
	assert_string_equal(r.k.out[0], "ab|abcdef");
	/* The first flow's hole filled: its held data comes out. */
	send_seg(&r, &p, 0, 40000, TH_ACK, 1001, "bcdefghij", 5);
	assert_string_equal(r.k.out[0], "ab|abcdefbcdefghij0123456789");
	assert_int_equal(stream_get_stats(r.s)->ooo_bytes_now, 0);
	rig_free(&r);
}

/* Sessions are a pool: when it is empty a flow is not reassembled. */
static void test_session_memcap(void **state)
{
	struct stream_cfg cfg = { .max_sessions = 1 };
	struct rig r;
	packet p;
	(void)state;

	rig_init(&r, &cfg, 4);
	send_seg(&r, &p, 0, 40000, TH_ACK, 1, "one", 1);
	send_seg(&r, &p, 0, 40001, TH_ACK, 1, "two", 2);
	assert_true(has_anom(&p, ANOM_STREAM_SESSION_MEMCAP));
	assert_null(p.flow->tcp);
	assert_int_equal(stream_get_stats(r.s)->session_memcap, 1);
	assert_string_equal(r.k.out[0], "one");
	/* The first flow ends (timeout): its session returns to the pool. */
	flow_timeout_sweep(r.ft, 4000 * SW_USEC_PER_SEC);
	send_seg(&r, &p, 0, 40001, TH_ACK, 4, "three", 4000 * SW_USEC_PER_SEC + 1);
	assert_non_null(p.flow->tcp);
	assert_string_equal(r.k.out[0], "onethree");
	rig_free(&r);
}

/* Ending a flow with held data releases it. */
static void test_flow_free(void **state)
{
	struct stream_cfg cfg = { 0 };
	struct rig r;
	packet p;
	(void)state;

	rig_init(&r, &cfg, 4);
	send_seg(&r, &p, 0, 40000, TH_ACK, 1, "a", 1);
	send_seg(&r, &p, 0, 40000, TH_ACK, 100, "held", 2);
	send_seg(&r, &p, 1, 40000, TH_ACK, 1, "b", 3);
	send_seg(&r, &p, 1, 40000, TH_ACK, 200, "held too", 4);
	assert_int_equal(stream_get_stats(r.s)->ooo_bytes_now, 12);
	stream_tcp_flow_free(r.s, p.flow);
	assert_null(p.flow->tcp);
	assert_int_equal(stream_get_stats(r.s)->ooo_bytes_now, 0);
	stream_tcp_flow_free(r.s, p.flow); /* twice: no-op */
	stream_tcp_flow_free(r.s, NULL);
	stream_tcp_flow_free(NULL, p.flow);
	rig_free(&r);
	stream_destroy(NULL);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(stream_tcp_state_name(TCP_NONE), "new");
	assert_string_equal(stream_tcp_state_name(TCP_SYN_SENT), "new");
	assert_string_equal(stream_tcp_state_name(TCP_ESTABLISHED), "established");
	assert_string_equal(stream_tcp_state_name(TCP_CLOSING), "established");
	assert_string_equal(stream_tcp_state_name(TCP_CLOSED), "closed");
	assert_string_equal(stream_tcp_state_name(200), "new");
}

static uint32_t rng = 2463534242u;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/*
 * A 3000-byte stream cut into random segments, sent shuffled, duplicated
 * and partly overlapping (always with the true bytes), across the 2^32
 * wrap: with limits large enough, exactly the stream comes out.
 */
static void test_random_reorder(void **state)
{
	static char text[3001];
	(void)state;
	for (int i = 0; i < 3000; i++)
		text[i] = (char)('a' + (i * 7 + i / 26) % 26);
	for (int round = 0; round < 200; round++) {
		struct stream_cfg cfg = { .max_ooo_segments = 1000, .max_ooo_bytes_per_dir = 1 << 20 };
		struct rig r;
		packet p;
		uint32_t isn = 0xffffffffu - (rnd() % 4000);
		struct { uint32_t off, len; } segs[400];
		int n = 0;
		rig_init(&r, &cfg, 4);
		send_seg(&r, &p, 0, 40000, TH_SYN, isn, NULL, 1);
		for (uint32_t off = 0; off < 3000 && n < 400;) {
			uint32_t len = 1 + rnd() % 60;
			if (off + len > 3000)
				len = 3000 - off;
			segs[n].off = off;
			segs[n].len = len;
			n++;
			off += len;
			if (rnd() % 4 == 0 && off > 10)
				off -= rnd() % 10; /* next one overlaps this one */
		}
		for (int i = n - 1; i > 0; i--) {
			int j = (int)(rnd() % (uint32_t)(i + 1));
			__typeof__(segs[0]) t = segs[i];
			segs[i] = segs[j];
			segs[j] = t;
		}
		for (int i = 0; i < n; i++) {
			char buf[64];
			memcpy(buf, text + segs[i].off, segs[i].len);
			buf[segs[i].len] = '\0';
			send_seg(&r, &p, 0, 40000, TH_ACK, isn + 1 + segs[i].off, buf, 2 + (sw_time)i);
			assert_int_equal(p.anom_n, 0);
			if (rnd() % 8 == 0) /* a duplicate */
				send_seg(&r, &p, 0, 40000, TH_ACK, isn + 1 + segs[i].off, buf, 2 + (sw_time)i);
		}
		assert_int_equal(r.k.len[0], 3000);
		assert_memory_equal(r.k.out[0], text, 3000);
		assert_int_equal(stream_get_stats(r.s)->gaps, 0);
		assert_int_equal(stream_get_stats(r.s)->ooo_bytes_now, 0);
		rig_free(&r);
	}
}

/* Hostile: random flags, seqs and sizes under tight limits; limits hold. */
static void test_random_hostile(void **state)
{
	struct stream_cfg cfg = { .max_ooo_segments = 4, .max_ooo_bytes_per_dir = 64, .memcap = 100,
		                  .max_sessions = 2 };
	struct rig r;
	static const char junk[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	(void)state;

	rig_init(&r, &cfg, 3);
	r.k.wrap = 1;
	for (int i = 0; i < 20000; i++) {
		packet p;
		char buf[64];
		uint32_t len = rnd() % 40;
		uint8_t flags = (uint8_t)(rnd() % 4 == 0 ? rnd() & 0x3f : TH_ACK);
		memcpy(buf, junk + rnd() % 20, len);
		buf[len] = '\0';
		send_seg(&r, &p, (int)(rnd() & 1), (uint16_t)(40000 + rnd() % 4), flags,
		         (rnd() % 2) ? rnd() : 1000 + rnd() % 300, len ? buf : NULL,
		         (sw_time)i * 100000);
		assert_true(stream_get_stats(r.s)->ooo_bytes_now <= 100);
		if (i % 500 == 0)
			flow_timeout_sweep(r.ft, (sw_time)i * 100000);
	}
	rig_free(&r);
}

#define NAMED(n, f) { n, f, NULL, NULL, NULL }

int main(void)
{
	static const struct CMUnitTest extra[] = {
		NAMED("in-order data is zero-copy", test_zero_copy),
		NAMED("memcap across flows: anomaly, gap, fail open", test_memcap),
		NAMED("session pool exhausted: stream.session_memcap", test_session_memcap),
		NAMED("flow free releases held data", test_flow_free),
		NAMED("state names", test_state_names),
		NAMED("random reorder/duplicate/overlap across 2^32: exact stream", test_random_reorder),
		NAMED("random hostile segments under tight limits", test_random_hostile),
	};
	size_t nr = SW_ARRAY_SIZE(rows), n = nr + SW_ARRAY_SIZE(extra);
	struct CMUnitTest *t = calloc(n, sizeof(*t));
	int rc;

	assert_non_null(t);
	for (size_t i = 0; i < nr; i++) {
		t[i].name = rows[i].name;
		t[i].test_func = run_row;
		t[i].initial_state = (void *)&rows[i];
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(extra); i++)
		t[nr + i] = extra[i];
	rc = _cmocka_run_group_tests("stream_tcp", t, n, NULL, NULL);
	free(t);
	return rc;
}
