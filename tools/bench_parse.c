/*
 * bench_parse - the SIP parser alone, in bytes/s, beside picohttpparser
 * (as shipped inside Debian's libh2o-evloop) on an HTTP request of the same
 * length, measured in the same run and the same harness.
 *
 *   bench_parse [seconds-per-case]
 *
 * Prints one line per case: name, message length, messages/s, MB/s, and
 * the ratio of sip_parse to picohttpparser. Never fails on a number.
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

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An HTTP request padded to exactly len bytes with a filler header. */
static char *make_http(size_t len)
{
	static const char head[] = "GET /index.html HTTP/1.1\r\n"
	                           "Host: www.example.com\r\n"
	                           "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
	                           "Accept: text/html,application/xhtml+xml\r\n"
	                           "Accept-Language: en-US,en;q=0.5\r\n"
	                           "Connection: keep-alive\r\n"
	                           "X-Fill: ";
	char *b = malloc(len + 1);
	size_t hl = strlen(head);
	if (!b || len < hl + 4)
		exit(1);
	memcpy(b, head, hl);
	memset(b + hl, 'a', len - hl - 4);
	memcpy(b + len - 4, "\r\n\r\n", 4);
	b[len] = '\0';
	return b;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	size_t len = strlen(sip_invite);
	char *http = make_http(len);
	struct sip_header hdrs[64];
	struct phr_header ph[64];
	volatile unsigned long sink = 0;
	double t0, el, sip_rate, pico_rate;
	unsigned long n;

	/* SIP parser */
	n = 0;
	t0 = now_s();
	do {
		for (int i = 0; i < 10000; i++) {
			struct sip_msg m;
			int r = sip_parse(sip_invite, len, &m, hdrs, 64, SIP_PARSE_DATAGRAM);
			sink += (unsigned long)r + m.n_hdrs;
		}
		n += 10000;
		el = now_s() - t0;
	} while (el < secs);
	sip_rate = (double)n / el;

	/* picohttpparser on an HTTP request of the same length */
	n = 0;
	t0 = now_s();
	do {
		for (int i = 0; i < 10000; i++) {
			const char *method, *path;
			size_t ml, pl, nh = 64;
			int minor;
			int r = phr_parse_request(http, len, &method, &ml, &path, &pl, &minor, ph, &nh, 0);
			sink += (unsigned long)r + nh;
		}
		n += 10000;
		el = now_s() - t0;
	} while (el < secs);
	pico_rate = (double)n / el;

	printf("sip_parse        %4zu-byte INVITE  %10.0f msg/s  %8.1f MB/s\n", len, sip_rate,
	       sip_rate * (double)len / 1e6);
	printf("picohttpparser   %4zu-byte GET     %10.0f msg/s  %8.1f MB/s\n", len, pico_rate,
	       pico_rate * (double)len / 1e6);
	printf("ratio sip_parse / picohttpparser: %.2f\n", sip_rate / pico_rate);
	free(http);
	return sink == 42 ? 1 : 0;
}
