/*
 * bench_parse - the SIP parser alone, in bytes/s, beside picohttpparser
 * (as shipped inside Debian's libh2o-evloop) on an HTTP request of the same
 * length, measured in the same run and the same harness.
 *
 *   bench_parse [seconds-per-case]
 *
 * The SIP side is measured twice: `sip_parse index` (SIP_PARSE_INDEX: start
 * line split, header lines indexed, Content-Length and body framed, which is
 * the work picohttpparser does) and `sip_parse full` (the eager parse: the
 * Request-URI and the key headers decoded and checked as well). The HTTP
 * request is a browser-like GET with as many header lines as the INVITE and
 * lines of similar lengths, its last header's value padded to the INVITE's
 * exact length.
 *
 * The cases take turns in five rounds so that a noisy neighbour hits them
 * alike; each rate is the median of its rounds. Prints one line per case
 * (name, message length, messages/s, MB/s) and the ratio of each SIP case to
 * picohttpparser. Never fails on a number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sip_parse.h"

/* picohttpparser's public API (phr_*), exported by libh2o-evloop. */
struct phr_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len,
		      const char **path, size_t *path_len, int *minor_version,
		      struct phr_header *headers, size_t *num_headers, size_t last_len);

/* 533 bytes: a start line and 11 header lines of 16 to 81 bytes. */
static const char sip_invite[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "User-Agent: Yealink SIP-T46S 66.86.0.15\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

/* A browser's GET: a start line and 11 header lines of 22 to 82 bytes, the
 * last one (Cookie) padded by make_http(). */
static const char http_head[] =
    "GET /catalog/item.html?id=4711 HTTP/1.1\r\n"
    "Host: shop.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: https://shop.example.com/catalog/index.html?page=2\r\n"
    "Connection: keep-alive\r\n"
    "If-Modified-Since: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "Cookie: session=";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t count_crlf(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '\r' && s[i + 1] == '\n')
			c++;
	return c;
}

/* The GET, exactly len bytes, with as many lines as the INVITE. */
static char *make_http(size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t hl = strlen(http_head), pad;
	char *b = malloc(len + 1);
	if (!b || len < hl + 8 + 4) {
		fprintf(stderr, "bench_parse: the HTTP request does not fit in %zu bytes\n", len);
		exit(1);
	}
	pad = len - hl - 4;
	memcpy(b, http_head, hl);
	for (size_t k = 0; k < pad; k++)
		b[hl + k] = hex[(k * 7 + 3) % 16]; /* a session id */
	memcpy(b + hl + pad, "\r\n\r\n", 4);
	b[len] = '\0';
	if (strlen(b) != len || count_crlf(b, len) != count_crlf(sip_invite, len)) {
		fprintf(stderr, "bench_parse: the HTTP request is not shaped like the INVITE\n");
		exit(1);
	}
	return b;
}

enum { C_INDEX, C_FULL, C_PICO, C__N };
#define ROUNDS 5

static volatile unsigned long sink;

/* Messages/s of one case over about secs seconds. */
static double run_case(int c, const char *http, size_t len, double secs)
{
	struct sip_header hdrs[64];
	struct phr_header ph[64];
	unsigned long n = 0, s = 0;
	double t0 = now_s(), el;
	do {
		for (int i = 0; i < 10000; i++) {
			if (c == C_PICO) {
				const char *method, *path;
				size_t ml, pl, nh = 64;
				int minor;
				int r = phr_parse_request(http, len, &method, &ml, &path, &pl,
							  &minor, ph, &nh, 0);
				s += (unsigned long)r + nh;
			} else {
				struct sip_msg m;
				unsigned fl =
				    SIP_PARSE_DATAGRAM | (c == C_INDEX ? SIP_PARSE_INDEX : 0);
				int r = sip_parse(sip_invite, len, &m, hdrs, 64, fl);
				s += (unsigned long)r + m.n_hdrs;
			}
		}
		n += 10000;
		el = now_s() - t0;
	} while (el < secs);
	sink += s;
	return (double)n / el;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	size_t len = strlen(sip_invite);
	char *http = make_http(len);
	double rate[C__N][ROUNDS], med[C__N];
	static const char *const name[C__N] = {"sip_parse index", "sip_parse full",
					       "picohttpparser"};

	for (int r = 0; r < ROUNDS; r++)
		for (int c = 0; c < C__N; c++)
			rate[c][r] = run_case(c, http, len, secs / ROUNDS);
	for (int c = 0; c < C__N; c++) {
		qsort(rate[c], ROUNDS, sizeof(double), cmp_double);
		med[c] = rate[c][ROUNDS / 2];
		printf("%-16s %4zu-byte %-7s %10.0f msg/s  %8.1f MB/s\n", name[c], len,
		       c == C_PICO ? "GET" : "INVITE", med[c], med[c] * (double)len / 1e6);
	}
	printf("ratio sip_parse index / picohttpparser: %.2f\n", med[C_INDEX] / med[C_PICO]);
	printf("ratio sip_parse full  / picohttpparser: %.2f\n", med[C_FULL] / med[C_PICO]);
	free(http);
	return sink == 42 ? 1 : 0;
}
