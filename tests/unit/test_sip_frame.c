/*
 * test_sip_frame - SIP framing over streams: Content-Length and "l",
 * several messages per chunk, every split point, byte-by-byte feeding,
 * RFC 5626 keep-alives, missing/bad Content-Length, oversize, gaps,
 * garbage, memcap. Every chunk is placed against a PROT_NONE page.
 */
#include "test_util.h"

#include "anomaly.h"
#include "flow.h"
#include "sip_frame.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define M(s)   s, sizeof(s) - 1
#define MAXREC 256

struct rec {
	int n;
	char *msg[MAXREC];
	uint32_t len[MAXREC];
	const char *ptr[MAXREC];
	int n_anom;
	unsigned anom[MAXREC];
	int dir[MAXREC];
};

static void on_msg(void *ud, struct flow *f, int dir, const char *msg, uint32_t len)
{
	struct rec *r = ud;
	(void)f;
	if (r->n >= MAXREC) { /* counted, not kept */
		r->n++;
		return;
	}
	r->msg[r->n] = malloc(len + 1);
	assert_non_null(r->msg[r->n]);
	memcpy(r->msg[r->n], msg, len);
	r->msg[r->n][len] = '\0';
	r->len[r->n] = len;
	r->ptr[r->n] = msg;
	r->dir[r->n] = dir;
	r->n++;
}

static void on_anom(void *ud, struct flow *f, int dir, unsigned id)
{
	struct rec *r = ud;
	(void)f;
	(void)dir;
	if (r->n_anom < MAXREC)
		r->anom[r->n_anom++] = id;
}

static void rec_free(struct rec *r)
{
	for (int i = 0; i < r->n && i < MAXREC; i++)
		free(r->msg[i]);
	memset(r, 0, sizeof(*r));
}

static int count_anom(const struct rec *r, const char *name)
{
	unsigned id = anomaly_by_name(name);
	int n = 0;
	assert_int_not_equal(id, ANOM_NONE);
	for (int i = 0; i < r->n_anom; i++)
		n += r->anom[i] == id;
	return n;
}

/* Feeds one chunk, placed against a guard page. */
static void feed(struct sip_framer_ctx *c, struct flow *f, int dir, const char *p, size_t len,
		 struct rec *r)
{
	struct guard_buf g;
	const char *q = guard_copy(&g, p, len);
	sip_frame_data(c, f, dir, (const uint8_t *)q, (uint32_t)len, on_msg, on_anom, r);
	guard_free(&g);
}

#define MSG_A                                                                                      \
	"INVITE sip:bob@example.com SIP/2.0\r\n"                                                   \
	"Via: SIP/2.0/TCP h.example.com;branch=z9hG4bKa\r\n"                                       \
	"From: <sip:a@example.com>;tag=1\r\n"                                                      \
	"To: <sip:bob@example.com>\r\n"                                                            \
	"Call-ID: a@h\r\n"                                                                         \
	"CSeq: 1 INVITE\r\n"                                                                       \
	"Content-Type: application/sdp\r\n"                                                        \
	"Content-Length: 10\r\n"                                                                   \
	"\r\n"                                                                                     \
	"v=0\r\ns=-\r\n"
#define MSG_B                                                                                      \
	"SIP/2.0 200 OK\r\n"                                                                       \
	"Via: SIP/2.0/TCP h.example.com;branch=z9hG4bKa\r\n"                                       \
	"From: <sip:a@example.com>;tag=1\r\n"                                                      \
	"To: <sip:bob@example.com>;tag=2\r\n"                                                      \
	"Call-ID: a@h\r\n"                                                                         \
	"CSeq: 1 INVITE\r\n"                                                                       \
	"l: 0\r\n"                                                                                 \
	"\r\n"
#define MSG_C                                                                                      \
	"MESSAGE sip:bob@example.com SIP/2.0\r\n"                                                  \
	"Via: SIP/2.0/TCP h.example.com;branch=z9hG4bKc\r\n"                                       \
	"Call-ID: c@h\r\n"                                                                         \
	"CSeq: 2 MESSAGE\r\n"                                                                      \
	"Content-Length:\r\n"                                                                      \
	"   5\r\n"                                                                                 \
	"\r\n"                                                                                     \
	"hello"
#define MSG_LF                                                                                     \
	"OPTIONS sip:bob@example.com SIP/2.0\n"                                                    \
	"Call-ID: lf@h\n"                                                                          \
	"l: 3\n"                                                                                   \
	"\n"                                                                                       \
	"abc"
#define MSG_NOCL                                                                                   \
	"OPTIONS sip:bob@example.com SIP/2.0\r\n"                                                  \
	"Call-ID: nocl@h\r\n"                                                                      \
	"\r\n"

static struct sip_framer_ctx *mk(uint32_t max_msg, uint32_t max_buf, uint64_t memcap)
{
	struct sip_frame_cfg cfg = {max_msg, max_buf, memcap};
	struct sip_framer_ctx *c = sip_frame_create(&cfg);
	assert_non_null(c);
	return c;
}

static void expect_msgs(const struct rec *r, const char *const *want, int n)
{
	if (r->n != n) {
		for (int i = 0; i < r->n; i++)
			print_message("# got %u: %.40s\n", r->len[i], r->msg[i]);
		fail_msg("%d messages framed, want %d", r->n, n);
	}
	for (int i = 0; i < n; i++) {
		if (r->len[i] != strlen(want[i]) || memcmp(r->msg[i], want[i], r->len[i]) != 0)
			fail_msg("message %d differs: \"%.60s\"", i, r->msg[i]);
	}
}

/* ------------------------------------------------------------------ */

struct frow {
	const char *name, *in;
	size_t len;
	const char *const *want; /* NULL-terminated */
	const char *anoms;	 /* "name:count,..." exact counts; NULL none */
};

static const char *const W_A[] = {MSG_A, NULL};
static const char *const W_B[] = {MSG_B, NULL};
static const char *const W_ABC[] = {MSG_A, MSG_B, MSG_C, NULL};
static const char *const W_AB[] = {MSG_A, MSG_B, NULL};
static const char *const W_LF_A[] = {MSG_LF, MSG_A, NULL};
static const char *const W_NOCL_A[] = {MSG_NOCL, MSG_A, NULL};
static const char *const W_NONE[] = {NULL};

static const struct frow frows[] = {
    {"content_length", M(MSG_A), W_A},
    {"compact_l", M(MSG_B), W_B},
    {"folded_content_length", M(MSG_C), (const char *const[]){MSG_C, NULL}},
    {"three_in_one_chunk", M(MSG_A MSG_B MSG_C), W_ABC},
    {"keepalives_between", M("\r\n\r\n" MSG_A "\r\n" MSG_B "\r\n\r\n"), W_AB},
    {"bare_lf_message", M(MSG_LF MSG_A), W_LF_A},
    {"missing_content_length_resyncs", M(MSG_NOCL "stray body bytes\r\nmore\r\n" MSG_A), W_NOCL_A,
     "sip.stream.missing_content_length:1"},
    {"bad_content_length", M("OPTIONS sip:b@h SIP/2.0\r\nContent-Length: 1 2\r\n\r\n" MSG_A),
     (const char *const[]){"OPTIONS sip:b@h SIP/2.0\r\nContent-Length: 1 2\r\n\r\n", MSG_A, NULL},
     "sip.stream.bad_content_length:1"},
    {"conflicting_content_length_uses_first",
     M("OPTIONS sip:b@h SIP/2.0\r\nContent-Length: 3\r\nl: 5\r\n\r\nabc" MSG_B),
     (const char *const[]){"OPTIONS sip:b@h SIP/2.0\r\nContent-Length: 3\r\nl: 5\r\n\r\nabc", MSG_B,
			   NULL},
     "sip.stream.bad_content_length:1"},
    {"garbage_before", M("hello there\r\nHTTP/1.1 200 OK\r\n" MSG_A), W_A,
     "sip.stream.garbage_between_messages:1"},
    {"binary_garbage_before", M("\x80\x01\x02\x03\xff\r\n" MSG_A), W_A,
     "sip.stream.garbage_between_messages:1"},
    {"oversized_content_length",
     M("INVITE sip:b@h SIP/2.0\r\nContent-Length: 70000\r\n\r\n"
       "INVITE sip:fake@h SIP/2.0 is in the body\r\nxx\r\n" MSG_B),
     W_B, "sip.stream.message_too_large:1"},
    {"only_keepalives", M("\r\n\r\n\r\n"), W_NONE},
};

static void run_frow(void **state)
{
	const struct frow *fr = *state;
	struct sip_framer_ctx *c = mk(0, 0, 0);
	struct flow f;
	struct rec r;
	int nwant = 0;
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	while (fr->want[nwant])
		nwant++;
	feed(c, &f, 0, fr->in, fr->len, &r);
	expect_msgs(&r, (const char *const *)fr->want, nwant);
	if (fr->anoms) {
		char buf[256], *save = NULL;
		int total = 0;
		snprintf(buf, sizeof(buf), "%s", fr->anoms);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			char *colon = strchr(t, ':');
			int want = atoi(colon + 1);
			*colon = '\0';
			assert_int_equal(count_anom(&r, t), want);
			total += want;
		}
		assert_int_equal(r.n_anom, total);
	} else {
		assert_int_equal(r.n_anom, 0);
	}
	/* The same stream split at every byte gives the same messages. */
	for (size_t k = 1; k < fr->len; k++) {
		struct flow f2;
		struct rec r2;
		memset(&f2, 0, sizeof(f2));
		memset(&r2, 0, sizeof(r2));
		feed(c, &f2, 1, fr->in, k, &r2);
		feed(c, &f2, 1, fr->in + k, fr->len - k, &r2);
		if (r2.n != nwant)
			fail_msg("split at %zu: %d messages, want %d", k, r2.n, nwant);
		expect_msgs(&r2, (const char *const *)fr->want, nwant);
		assert_int_equal(r2.n_anom, r.n_anom);
		sip_frame_flow_free(c, &f2);
		rec_free(&r2);
	}
	/* And byte by byte. */
	{
		struct flow f3;
		struct rec r3;
		memset(&f3, 0, sizeof(f3));
		memset(&r3, 0, sizeof(r3));
		for (size_t k = 0; k < fr->len; k++)
			feed(c, &f3, 0, fr->in + k, 1, &r3);
		expect_msgs(&r3, (const char *const *)fr->want, nwant);
		assert_int_equal(r3.n_anom, r.n_anom);
		sip_frame_flow_free(c, &f3);
		rec_free(&r3);
	}
	sip_frame_flow_free(c, &f);
	assert_int_equal(sip_frame_get_stats(c)->buffered_now, 0);
	rec_free(&r);
	sip_frame_destroy(c);
}

/* Whole messages are handed over from the caller's chunk, not copied. */
static void test_zero_copy(void **state)
{
	static const char in[] = MSG_A MSG_B;
	struct sip_framer_ctx *c = mk(0, 0, 0);
	struct flow f;
	struct rec r;
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	sip_frame_data(c, &f, 0, (const uint8_t *)in, sizeof(in) - 1, on_msg, on_anom, &r);
	assert_int_equal(r.n, 2);
	assert_ptr_equal(r.ptr[0], in);
	assert_ptr_equal(r.ptr[1], in + strlen(MSG_A));
	assert_int_equal(sip_frame_get_stats(c)->messages, 2);
	assert_int_equal(sip_frame_get_stats(c)->buffered_now, 0);
	/* a partial message is buffered; the next chunk completes it */
	sip_frame_data(c, &f, 0, (const uint8_t *)in, 30, on_msg, on_anom, &r);
	assert_int_equal(r.n, 2);
	assert_true(sip_frame_get_stats(c)->buffered_now > 0);
	sip_frame_data(c, &f, 0, (const uint8_t *)in + 30, sizeof(in) - 1 - 30, on_msg, on_anom,
		       &r);
	assert_int_equal(r.n, 4);
	assert_ptr_equal(r.ptr[3],
			 in + strlen(MSG_A)); /* after the buffered one: zero-copy again */
	sip_frame_flow_free(c, &f);
	assert_int_equal(sip_frame_get_stats(c)->buffered_now, 0);
	rec_free(&r);
	sip_frame_destroy(c);
	(void)state;
}

static void test_keepalive_stats(void **state)
{
	static const char in[] = "\r\n\r\n" MSG_B "\r\n" MSG_B;
	struct sip_framer_ctx *c = mk(0, 0, 0);
	struct flow f;
	struct rec r;
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	feed(c, &f, 0, M(in), &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(sip_frame_get_stats(c)->keepalives, 2);
	assert_int_equal(r.n_anom, 0);
	sip_frame_flow_free(c, &f);
	rec_free(&r);
	sip_frame_destroy(c);
	(void)state;
}

/* Directions are framed independently. */
static void test_two_directions(void **state)
{
	static const char a[] = MSG_A, b[] = MSG_B;
	struct sip_framer_ctx *c = mk(0, 0, 0);
	struct flow f;
	struct rec r;
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	feed(c, &f, 0, a, 20, &r);
	feed(c, &f, 1, b, 20, &r);
	feed(c, &f, 0, a + 20, sizeof(a) - 21, &r);
	feed(c, &f, 1, b + 20, sizeof(b) - 21, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.dir[0], 0);
	assert_int_equal(r.dir[1], 1);
	assert_string_equal(r.msg[0], MSG_A);
	assert_string_equal(r.msg[1], MSG_B);
	sip_frame_flow_free(c, &f);
	rec_free(&r);
	sip_frame_destroy(c);
	(void)state;
}

/* A gap drops the partial message; framing resumes at the next start line. */
static void test_gap_resync(void **state)
{
	static const char a[] = MSG_A;
	struct sip_framer_ctx *c = mk(0, 0, 0);
	struct flow f;
	struct rec r;
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	feed(c, &f, 0, a, 60, &r);
	sip_frame_gap(c, &f, 0);
	/* the rest of the lost message (after the gap), then two whole ones */
	feed(c, &f, 0, a + 90, sizeof(a) - 91, &r);
	feed(c, &f, 0, M(MSG_B MSG_A), &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.msg[0], MSG_B);
	assert_string_equal(r.msg[1], MSG_A);
	assert_int_equal(sip_frame_get_stats(c)->resyncs, 1);
	/* a gap right before a start line resumes at once */
	sip_frame_gap(c, &f, 0);
	feed(c, &f, 0, M(MSG_B), &r);
	assert_int_equal(r.n, 3);
	/* a gap with nothing buffered, on a fresh direction, is fine too */
	sip_frame_gap(c, &f, 1);
	feed(c, &f, 1, M("tail of something\r\n" MSG_B), &r);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.n_anom, 0); /* resync after a gap drops silently */
	sip_frame_flow_free(c, &f);
	rec_free(&r);
	sip_frame_destroy(c);
	(void)state;
}

/* During resync a partial line that may be a start line is kept until it
 * is complete, across chunks. */
static void test_resync_partial_start_line(void **state)
{
	struct sip_framer_ctx *c = mk(0, 0, 0);
	struct flow f;
	struct rec r;
	static const char b[] = MSG_B;
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	sip_frame_gap(c, &f, 0);
	feed(c, &f, 0, M("junk after gap\r\nSIP/2."), &r);
	feed(c, &f, 0, b + 6, sizeof(b) - 7, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.msg[0], MSG_B);
	sip_frame_flow_free(c, &f);
	rec_free(&r);
	sip_frame_destroy(c);
	(void)state;
}

/* A header section that never ends within max_msg is dropped (anomaly),
 * and framing resumes at the next start line. */
static void test_oversized_header_section(void **state)
{
	struct sip_framer_ctx *c = mk(2048, 0, 0);
	struct flow f;
	struct rec r;
	char *b = malloc(8192);
	size_t n = 0;
	assert_non_null(b);
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	n += (size_t)sprintf(b, "INVITE sip:b@h SIP/2.0\r\n");
	while (n < 5000)
		n += (size_t)sprintf(b + n, "X-Pad: 0123456789abcdef\r\n");
	n += (size_t)sprintf(b + n, "\r\n%s", MSG_B);
	/* in chunks of 100: the buffer never grows past max_msg */
	for (size_t k = 0; k < n; k += 100) {
		feed(c, &f, 0, b + k, n - k < 100 ? n - k : 100, &r);
		assert_true(sip_frame_get_stats(c)->buffered_now <= 4096);
	}
	assert_int_equal(count_anom(&r, "sip.stream.message_too_large"), 1);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.msg[0], MSG_B);
	assert_int_equal(sip_frame_get_stats(c)->too_large, 1);
	sip_frame_flow_free(c, &f);
	rec_free(&r);
	free(b);
	sip_frame_destroy(c);
	(void)state;
}

/* A message of exactly max_msg bytes passes; one byte more does not. */
static void test_max_msg_boundary(void **state)
{
	char *b = malloc(4096);
	for (int extra = 0; extra <= 1; extra++) {
		struct sip_framer_ctx *c = mk(1000, 0, 0);
		struct flow f;
		struct rec r;
		const char *head = "MESSAGE sip:b@h SIP/2.0\r\nContent-Length: ";
		size_t hl = strlen(head);
		/* header: head + 3 digits + CRLF CRLF = hl + 7 */
		size_t body = 1000 - (hl + 7) + (size_t)extra;
		size_t n = (size_t)sprintf(b, "%s%03zu\r\n\r\n", head, body);
		memset(b + n, 'x', body);
		n += body;
		/* resync needs a line start: a CRLF (a keep-alive when in sync) */
		memcpy(b + n, "\r\n", 2);
		n += 2;
		memcpy(b + n, MSG_B, strlen(MSG_B));
		n += strlen(MSG_B);
		memset(&f, 0, sizeof(f));
		memset(&r, 0, sizeof(r));
		for (size_t k = 0; k < n; k += 7)
			feed(c, &f, 0, b + k, n - k < 7 ? n - k : 7, &r);
		if (!extra) {
			assert_int_equal(r.n, 2);
			assert_int_equal(r.len[0], 1000);
			assert_int_equal(r.n_anom, 0);
		} else {
			assert_int_equal(count_anom(&r, "sip.stream.message_too_large"), 1);
			assert_int_equal(r.n, 1);
			assert_string_equal(r.msg[0], MSG_B);
		}
		sip_frame_flow_free(c, &f);
		rec_free(&r);
		sip_frame_destroy(c);
	}
	free(b);
	(void)state;
}

/* The global memcap: flows that cannot buffer their partial message get an
 * anomaly and resync; the others are unaffected. */
static void test_memcap(void **state)
{
	/* max_msg 2048, per-flow 4096: one partial needs a 2048-byte buffer. */
	struct sip_framer_ctx *c = mk(2048, 4096, 5000);
	struct flow f[3];
	struct rec r;
	static const char a[] = MSG_A;
	memset(f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	for (int k = 0; k < 3; k++)
		feed(c, &f[k], 0, a, 50, &r);
	/* two buffers of 2048 fit in 5000, the third does not */
	assert_int_equal(count_anom(&r, "sip.stream.buffer_memcap"), 1);
	assert_int_equal(sip_frame_get_stats(c)->memcap_hits, 1);
	assert_true(sip_frame_get_stats(c)->buffered_now <= 5000);
	for (int k = 0; k < 3; k++)
		feed(c, &f[k], 0, a + 50, sizeof(a) - 51, &r);
	assert_int_equal(r.n, 2); /* flow 2 lost its partial message */
	/* flow 2 recovers at the next start line */
	feed(c, &f[2], 0, M(MSG_B), &r);
	assert_int_equal(r.n, 3);
	for (int k = 0; k < 3; k++)
		sip_frame_flow_free(c, &f[k]);
	assert_int_equal(sip_frame_get_stats(c)->buffered_now, 0);
	rec_free(&r);
	sip_frame_destroy(c);
	(void)state;
}

/* Big segments full of messages while a partial one is buffered: only the
 * partial message is copied, so max_buffered_per_flow is never hit. */
static void test_max_buffered_per_flow(void **state)
{
	struct sip_framer_ctx *c = mk(1024, 1024, 0);
	struct flow f;
	struct rec r;
	char *b = malloc(200000);
	size_t n = 0;
	int want = 0;
	assert_non_null(b);
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	while (n + sizeof(MSG_A) < 200000) {
		memcpy(b + n, MSG_A, sizeof(MSG_A) - 1);
		n += sizeof(MSG_A) - 1;
		want++;
	}
	/* an odd first chunk leaves a partial message buffered, then one huge chunk */
	feed(c, &f, 0, b, 77, &r);
	feed(c, &f, 0, b + 77, n - 77, &r);
	assert_int_equal(r.n, want);
	assert_int_equal(r.n_anom, 0);
	assert_true(sip_frame_get_stats(c)->buffered_now <= 1024);
	sip_frame_flow_free(c, &f);
	rec_free(&r);
	free(b);
	sip_frame_destroy(c);
	(void)state;
}

/* Deterministic random chunking of a long stream gives the same messages. */
static void test_random_chunks(void **state)
{
	static const char *const parts[] = {MSG_A, MSG_B, MSG_C, "\r\n", MSG_LF, "\r\n\r\n"};
	static const int is_msg[] = {1, 1, 1, 0, 1, 0};
	char *b = malloc(65536);
	size_t n = 0;
	int want = 0;
	uint64_t x = 88172645463325252ULL;
	struct sip_framer_ctx *c = mk(0, 0, 0);
	struct flow f;
	struct rec r;
	assert_non_null(b);
	for (int k = 0; k < 200; k++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int p = (int)(x % 6);
		size_t l = strlen(parts[p]);
		memcpy(b + n, parts[p], l);
		n += l;
		want += is_msg[p];
	}
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	for (size_t k = 0; k < n;) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t l = 1 + x % 300;
		if (l > n - k)
			l = n - k;
		feed(c, &f, 0, b + k, l, &r);
		k += l;
	}
	assert_int_equal(r.n, want);
	assert_int_equal(r.n_anom, 0);
	sip_frame_flow_free(c, &f);
	rec_free(&r);
	free(b);
	sip_frame_destroy(c);
	(void)state;
}

/* Garbage of every kind, random chunks, guard pages: never crash. */
static void test_garbage_robustness(void **state)
{
	uint64_t x = 0x853c49e6748fea9bULL;
	struct sip_framer_ctx *c = mk(4096, 0, 1 << 20);
	static const char alphabet[] = "\r\n :0123456789lLINVITE SIP/2.0 Content-Length\x80\x00";
	char buf[600];
	struct rec r;
	memset(&r, 0, sizeof(r));
	for (int it = 0; it < 3000; it++) {
		struct flow f;
		memset(&f, 0, sizeof(f));
		for (int chunk = 0; chunk < 6; chunk++) {
			size_t len = 0;
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			len = 1 + x % sizeof(buf);
			for (size_t k = 0; k < len; k++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				buf[k] = alphabet[x % (sizeof(alphabet) - 1)];
			}
			if (x % 5 == 0)
				memcpy(buf, MSG_B,
				       len < sizeof(MSG_B) - 1 ? len : sizeof(MSG_B) - 1);
			feed(c, &f, (int)(x % 2), buf, len, &r);
			if (x % 7 == 0)
				sip_frame_gap(c, &f, 0);
		}
		sip_frame_flow_free(c, &f);
		rec_free(&r);
	}
	assert_int_equal(sip_frame_get_stats(c)->buffered_now, 0);
	sip_frame_destroy(c);
	(void)state;
}

struct clrow {
	const char *name, *hdr;
	int rc;
	uint64_t cl;
};

static const struct clrow clrows[] = {
    {"long_form", "INVITE sip:a SIP/2.0\r\nContent-Length: 42\r\n\r\n", 1, 42},
    {"compact", "INVITE sip:a SIP/2.0\r\nl:7\r\n\r\n", 1, 7},
    {"compact_upper_ws", "INVITE sip:a SIP/2.0\r\nL  :  7  \r\n\r\n", 1, 7},
    {"case", "INVITE sip:a SIP/2.0\r\ncOnTeNt-LeNgTh: 0\r\n\r\n", 1, 0},
    {"folded", "INVITE sip:a SIP/2.0\r\nContent-Length:\r\n 12\r\n\r\n", 1, 12},
    {"leading_zeros", "INVITE sip:a SIP/2.0\r\nContent-Length: 007\r\n\r\n", 1, 7},
    {"absent", "INVITE sip:a SIP/2.0\r\nCall-ID: x\r\n\r\n", 0, 0},
    {"not_in_other_name", "INVITE sip:a SIP/2.0\r\nX-Content-Length: 5\r\n\r\n", 0, 0},
    {"not_in_value", "INVITE sip:a SIP/2.0\r\nSubject: l: 5\r\n\r\n", 0, 0},
    {"not_in_folded_value", "INVITE sip:a SIP/2.0\r\nSubject: x\r\n l: 5\r\n\r\n", 0, 0},
    {"not_in_start_line", "INVITE sip:l:5 SIP/2.0\r\n\r\n", 0, 0},
    {"bare_lf", "INVITE sip:a SIP/2.0\nl: 9\n\n", 1, 9},
    {"empty", "INVITE sip:a SIP/2.0\r\nContent-Length: \r\n\r\n", -1, 0},
    {"negative", "INVITE sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n", -1, 0},
    {"inner_space", "INVITE sip:a SIP/2.0\r\nContent-Length: 1 2\r\n\r\n", -1, 0},
    {"hex", "INVITE sip:a SIP/2.0\r\nContent-Length: 0x10\r\n\r\n", -1, 0},
    {"eleven_digits", "INVITE sip:a SIP/2.0\r\nContent-Length: 12345678901\r\n\r\n", -1, 0},
    {"duplicate_same", "INVITE sip:a SIP/2.0\r\nl: 4\r\nContent-Length: 4\r\n\r\n", 1, 4},
    {"duplicate_different", "INVITE sip:a SIP/2.0\r\nContent-Length: 13\r\nl: 5\r\n\r\n", 2, 13},
};

static void run_clrow(void **state)
{
	const struct clrow *r = *state;
	struct guard_buf g;
	uint64_t cl = 999;
	size_t len = strlen(r->hdr);
	const char *p = guard_copy(&g, r->hdr, len);
	assert_int_equal(sip_frame_content_length(p, (uint32_t)len, &cl), r->rc);
	if (r->rc > 0)
		assert_int_equal(cl, r->cl);
	guard_free(&g);
}

#define MAX_TESTS 128

int main(void)
{
	static struct CMUnitTest t[MAX_TESTS];
	static char names[MAX_TESTS][96];
	size_t n = 0;
#define ADD(prefix, fn, st, nm)                                                                    \
	do {                                                                                       \
		snprintf(names[n], sizeof(names[n]), "%s%s", prefix, nm);                          \
		t[n] = (struct CMUnitTest){names[n], fn, NULL, NULL, (void *)(st)};                \
		n++;                                                                               \
	} while (0)
	for (size_t k = 0; k < SW_ARRAY_SIZE(frows); k++)
		ADD("frame/", run_frow, &frows[k], frows[k].name);
	ADD("frame/", test_zero_copy, NULL, "zero_copy_whole_messages");
	ADD("frame/", test_keepalive_stats, NULL, "keepalive_stats");
	ADD("frame/", test_two_directions, NULL, "two_directions");
	ADD("frame/", test_gap_resync, NULL, "gap_then_resync");
	ADD("frame/", test_resync_partial_start_line, NULL, "resync_partial_start_line");
	ADD("frame/", test_oversized_header_section, NULL, "oversized_header_section");
	ADD("frame/", test_max_msg_boundary, NULL, "max_msg_boundary");
	ADD("frame/", test_memcap, NULL, "memcap");
	ADD("frame/", test_max_buffered_per_flow, NULL, "max_buffered_per_flow");
	ADD("frame/", test_random_chunks, NULL, "random_chunks");
	ADD("frame/", test_garbage_robustness, NULL, "garbage_robustness");
	for (size_t k = 0; k < SW_ARRAY_SIZE(clrows); k++)
		ADD("content_length/", run_clrow, &clrows[k], clrows[k].name);
#undef ADD
	return _cmocka_run_group_tests("sip_frame", t, n, NULL, NULL);
}
