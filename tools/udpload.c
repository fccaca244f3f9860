/*
 * udpload - a UDP load generator and sink that measures one-way latency,
 * for the inline benchmark (tools/bench_inline.sh). Sender and sink run in
 * different network namespaces of the same host: CLOCK_MONOTONIC is the same
 * clock in every namespace, so the sink subtracts the sender's timestamp
 * from its own receive time.
 *
 *   udpload send -d ADDR:PORT [-k sip|rtp] [-m METHOD] [-s SIZE] [-r PPS]
 *                [-t SECONDS] [-b BATCH] [-p SRCPORT]
 *   udpload sink -p PORT [-a ADDR] [-t SECONDS] [-i IDLE_MS] [-b BATCH]
 *
 * send: -k sip (default) sends an OPTIONS request, a phone's keepalive, or
 * with -m NOTIFY a NOTIFY with "Event: keep-alive" (another keepalive
 * phones send): a new transaction each time (the Via branch and the
 * Call-ID carry the sequence number, an RFC 3261 Timestamp header the send
 * time in ns), padded with an X-Pad header to SIZE bytes when SIZE is larger
 * than it; -k rtp
 * sends RTP (version 2, PCMU, one SSRC; default SIZE 172: 12 bytes of header
 * and 160 of payload, 20 ms of G.711) whose payload starts with the 64-bit
 * sequence number and send time. -r PPS paces the packets: one sendto each,
 * stamped just before it goes out, sleeping between them (spinning when the
 * gap is under 20 us), and when behind a sendmmsg of what is due (at most
 * BATCH); -r 0 (default) sends as fast as it can with sendmmsg batches of
 * BATCH (default 64). The packets of one sendmmsg share one stamp.
 * -t SECONDS (default 3) of sending. Prints one line:
 *   sent=N errors=N seconds=S rate=PPS
 *
 * sink: receives on PORT with recvmmsg batches until SECONDS have passed
 * (default 30) or, once something arrived, IDLE_MS (default 500) pass
 * without a packet, or SIGTERM/SIGINT. Prints one line:
 *   rx=N bytes=N maxseq=N lost=N seconds=S rate=PPS min_us=.. p50_us=.. p90_us=.. p99_us=..
 * max_us=.. lost is maxseq+1-rx (packets lost at the end of a run are not seen); seconds runs from
 * the first packet to the last; latency is the receive time (after recvmmsg returns) minus the
 * sender's stamp.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PKT	  1500
#define MAX_BATCH 1024

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: udpload send -d ADDR:PORT [-k sip|rtp] [-m METHOD] [-s SIZE] [-r PPS]"
		" [-t SECONDS] [-b BATCH] [-p SRCPORT]\n"
		"       udpload sink -p PORT [-a ADDR] [-t SECONDS] [-i IDLE_MS] [-b BATCH]\n");
	exit(2);
}

static int parse_addr(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 && sin->sin_port ? 0 : -1;
}

/* ---------------------------------------------------------------- sender */

enum kind { K_SIP, K_RTP };

struct tmpl {
	enum kind kind;
	unsigned char pkt[MAX_PKT];
	size_t len;
	size_t off_branch, off_callid, off_ts; /* sip: fixed-width fields */
};

static void put_hex16(unsigned char *p, uint64_t v)
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, v >>= 4)
		p[i] = (unsigned char)hx[v & 15];
}

static void put_dec20(unsigned char *p, uint64_t v)
{
	for (int i = 19; i >= 0; i--, v /= 10)
		p[i] = (unsigned char)('0' + v % 10);
}

/* Writes sequence number seq and send time ts into the template's packet. */
static void stamp(struct tmpl *t, unsigned char *pkt, uint64_t seq, uint64_t ts)
{
	if (t->kind == K_SIP) {
		put_hex16(pkt + t->off_branch, seq);
		put_hex16(pkt + t->off_callid, seq);
		put_dec20(pkt + t->off_ts, ts);
	} else {
		uint16_t s16 = htons((uint16_t)seq);
		uint32_t rts = htonl((uint32_t)(seq * 160));
		memcpy(pkt + 2, &s16, 2);
		memcpy(pkt + 4, &rts, 4);
		memcpy(pkt + 12, &seq, 8);
		memcpy(pkt + 20, &ts, 8);
	}
}

static size_t field_off(const unsigned char *p, const char *marker)
{
	const char *f = strstr((const char *)p, marker);
	return f ? (size_t)(f - (const char *)p) + strlen(marker) : 0;
}

/* Builds the packet for kind and size; returns 0, or -1 when size cannot fit. */
static int build(struct tmpl *t, enum kind kind, const char *method, size_t size,
		 const struct sockaddr_in *src, const struct sockaddr_in *dst)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	char *p = (char *)t->pkt;
	int n;

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	if (kind == K_RTP) {
		t->len = size ? size : 172;
		if (t->len < 28 || t->len > MAX_PKT)
			return -1;
		memset(t->pkt, 0xff, t->len); /* PCMU silence */
		t->pkt[0] = 0x80;	      /* V=2 */
		t->pkt[1] = 0;		      /* PT 0, PCMU */
		uint32_t ssrc = htonl(0x5157a11e);
		memcpy(t->pkt + 8, &ssrc, 4);
		return 0;
	}
	inet_ntop(AF_INET, &src->sin_addr, s, sizeof(s));
	inet_ntop(AF_INET, &dst->sin_addr, d, sizeof(d));
	unsigned sp = ntohs(src->sin_port), dp = ntohs(dst->sin_port);
	n = snprintf(p, MAX_PKT,
		     "%s sip:%s:%u SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-0000000000000000;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: \"Phone 100\" <sip:100@%s>;tag=5f3a9c01\r\n"
		     "To: <sip:%s:%u>\r\n"
		     "Call-ID: 0000000000000000@%s\r\n"
		     "CSeq: 1 %s\r\n"
		     "%s"
		     "Contact: <sip:100@%s:%u>\r\n"
		     "Accept: application/sdp\r\n"
		     "Supported: replaces, timer\r\n"
		     "User-Agent: udpload/1 (sipwire inline benchmark)\r\n"
		     "Timestamp: 00000000000000000000\r\n"
		     "Content-Length: 0\r\n\r\n",
		     method, d, dp, s, sp, d, d, dp, s, method,
		     strcmp(method, "NOTIFY") == 0 ? "Event: keep-alive\r\n" : "", s, sp);
	if (n < 0 || n >= MAX_PKT)
		return -1;
	if (size > (size_t)n) {
		/* "X-Pad: " + pad + CRLF before Content-Length */
		size_t pad = size - (size_t)n;
		if (pad < 10 || size > MAX_PKT)
			return -1;
		char *cl = strstr(p, "Content-Length:");
		size_t tail = strlen(cl);
		memmove(cl + pad, cl, tail + 1);
		memcpy(cl, "X-Pad: ", 7);
		memset(cl + 7, 'x', pad - 9);
		memcpy(cl + pad - 2, "\r\n", 2);
		n = (int)size;
	} else if (size && size < (size_t)n) {
		fprintf(stderr, "udpload: a SIP packet is at least %d bytes\n", n);
		return -1;
	}
	t->len = (size_t)n;
	t->off_branch = field_off(t->pkt, "branch=z9hG4bK-");
	t->off_callid = field_off(t->pkt, "Call-ID: ");
	t->off_ts = field_off(t->pkt, "Timestamp: ");
	return 0;
}

static int cmd_send(int argc, char **argv)
{
	struct sockaddr_in dst, src;
	enum kind kind = K_SIP;
	const char *method = "OPTIONS";
	size_t size = 0;
	double rate = 0, secs = 3;
	unsigned long batch = 64, sport = 0;
	int opt, have_dst = 0;
	struct tmpl t;

	while ((opt = getopt(argc, argv, "d:k:m:s:r:t:b:p:")) != -1) {
		switch (opt) {
		case 'd':
			if (parse_addr(optarg, &dst) < 0)
				usage();
			have_dst = 1;
			break;
		case 'k':
			if (strcmp(optarg, "sip") == 0)
				kind = K_SIP;
			else if (strcmp(optarg, "rtp") == 0)
				kind = K_RTP;
			else
				usage();
			break;
		case 'm':
			method = optarg;
			if (strlen(method) > 16 ||
			    strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method))
				usage();
			break;
		case 's':
			size = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			sport = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (!have_dst || optind != argc || rate < 0 || secs <= 0 || batch < 1 ||
	    batch > MAX_BATCH || sport > 65535)
		usage();

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpload: socket");
		return 1;
	}
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_port = htons((uint16_t)sport);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		perror("udpload: bind");
		return 1;
	}
	/*
	 * The source address the route gives: a connected probe socket tells
	 * (the load socket stays unconnected, so an ICMP port unreachable does
	 * not turn into send errors).
	 */
	int probe = socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t sl = sizeof(src);
	if (probe < 0 || connect(probe, (struct sockaddr *)&dst, sizeof(dst)) < 0 ||
	    getsockname(probe, (struct sockaddr *)&src, &sl) < 0) {
		perror("udpload: no route to the destination");
		return 1;
	}
	close(probe);
	struct sockaddr_in bound;
	sl = sizeof(bound);
	getsockname(fd, (struct sockaddr *)&bound, &sl);
	src.sin_port = bound.sin_port;
	if (build(&t, kind, method, size, &src, &dst) < 0) {
		fprintf(stderr, "udpload: bad packet size %zu\n", size);
		return 1;
	}
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	static unsigned char pkts[MAX_BATCH][MAX_PKT];
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	unsigned long nb = batch;
	for (unsigned long i = 0; i < nb; i++) {
		memcpy(pkts[i], t.pkt, t.len);
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = t.len;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
	}

	signal(SIGPIPE, SIG_IGN);
	uint64_t seq = 0, errors = 0;
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)(secs * 1e9), now = t0;
	double gap = rate > 0 ? 1e9 / rate : 0;
	while (now < end) {
		if (rate > 0) {
			uint64_t due_at = t0 + (uint64_t)((double)seq * gap);
			if (due_at > now) {
				/* Sleep for long gaps; spin for short ones (a sleep costs more). */
				if (due_at - now > 20000) {
					struct timespec ts = {
					    .tv_sec = (time_t)(due_at / 1000000000ull),
					    .tv_nsec = (long)(due_at % 1000000000ull)};
					clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
				}
				while ((now = now_ns()) < due_at)
					;
				continue;
			}
			uint64_t due = (uint64_t)((double)(now - t0) / gap) + 1 - seq;
			if (due <= 1) {
				/* On time: one packet, stamped as it goes. */
				stamp(&t, pkts[0], seq, now);
				if (sendto(fd, pkts[0], t.len, 0, (struct sockaddr *)&dst,
					   sizeof(dst)) < 0)
					errors++;
				seq++;
				now = now_ns();
				continue;
			}
			/* Behind: catch up in a batch (the batch shares a stamp). */
			unsigned long k = due < nb ? (unsigned long)due : nb;
			for (unsigned long i = 0; i < k; i++)
				stamp(&t, pkts[i], seq + i, now);
			int n = sendmmsg(fd, msgs, (unsigned)k, 0);
			if (n < 0) {
				errors++;
				n = 1;
			}
			seq += (uint64_t)n;
			now = now_ns();
			continue;
		}
		for (unsigned long i = 0; i < nb; i++)
			stamp(&t, pkts[i], seq + i, now);
		int n = sendmmsg(fd, msgs, (unsigned)nb, 0);
		if (n < 0) {
			errors++;
			n = 1; /* the first one failed; its sequence number is skipped */
		}
		seq += (uint64_t)n;
		now = now_ns();
	}
	double el = (double)(now - t0) / 1e9;
	printf("sent=%llu errors=%llu seconds=%.3f rate=%.0f\n", (unsigned long long)seq,
	       (unsigned long long)errors, el, (double)seq / el);
	return 0;
}

/* ------------------------------------------------------------------ sink */

/* Reads the sequence number and send stamp from a packet; 0 if found. */
static int read_stamp(const unsigned char *p, size_t len, uint64_t *seq, uint64_t *ts)
{
	if (len >= 28 && p[0] == 0x80) {
		memcpy(seq, p + 12, 8);
		memcpy(ts, p + 20, 8);
		return 0;
	}
	const unsigned char *c = memmem(p, len, "\r\nCall-ID: ", 11);
	const unsigned char *s = memmem(p, len, "\r\nTimestamp: ", 13);
	if (!c || !s || c + 11 + 16 > p + len || s + 13 + 20 > p + len)
		return -1;
	uint64_t v = 0;
	for (int i = 0; i < 16; i++) {
		unsigned char ch = c[11 + i];
		v = v * 16 + (uint64_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
	}
	*seq = v;
	v = 0;
	for (int i = 0; i < 20; i++)
		v = v * 10 + (uint64_t)(s[13 + i] - '0');
	*ts = v;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

static int cmd_sink(int argc, char **argv)
{
	struct sockaddr_in me;
	unsigned long port = 0, batch = 256;
	double secs = 30, idle_ms = 500;
	const char *addr = "0.0.0.0";
	int opt;

	while ((opt = getopt(argc, argv, "p:a:t:i:b:")) != -1) {
		switch (opt) {
		case 'p':
			port = strtoul(optarg, NULL, 0);
			break;
		case 'a':
			addr = optarg;
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'i':
			idle_ms = strtod(optarg, NULL);
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || port < 1 || port > 65535 || secs <= 0 || idle_ms <= 0 || batch < 1 ||
	    batch > MAX_BATCH)
		usage();
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &me.sin_addr) != 1)
		usage();

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpload: socket");
		return 1;
	}
	int sz = 32 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	struct timeval tv = {.tv_sec = 0, .tv_usec = 50000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("udpload: bind");
		return 1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	static unsigned char bufs[MAX_BATCH][MAX_PKT];
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	for (unsigned long i = 0; i < batch; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = MAX_PKT;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	size_t cap = 1 << 20, nlat = 0;
	uint32_t *lat = malloc(cap * sizeof(*lat));
	if (!lat) {
		fprintf(stderr, "udpload: out of memory\n");
		return 1;
	}
	uint64_t rx = 0, bytes = 0, maxseq = 0, first = 0, last = 0;
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)(secs * 1e9);
	uint64_t idle = (uint64_t)(idle_ms * 1e6);
	while (!stop) {
		int n = recvmmsg(fd, msgs, (unsigned)batch, MSG_WAITFORONE, NULL);
		uint64_t now = now_ns();
		if (n < 0) {
			if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
				perror("udpload: recvmmsg");
				break;
			}
		}
		for (int i = 0; i < n; i++) {
			uint64_t seq, ts;
			rx++;
			bytes += msgs[i].msg_len;
			if (read_stamp(bufs[i], msgs[i].msg_len, &seq, &ts) < 0)
				continue;
			if (seq > maxseq)
				maxseq = seq;
			if (nlat == cap) {
				uint32_t *nl = realloc(lat, 2 * cap * sizeof(*lat));
				if (!nl)
					continue;
				lat = nl;
				cap *= 2;
			}
			uint64_t d = now > ts ? now - ts : 0;
			lat[nlat++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
		}
		if (n > 0) {
			if (!first)
				first = now;
			last = now;
		}
		if (now >= end || (first && now - last >= idle))
			break;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	double el = first && last > first ? (double)(last - first) / 1e9 : 0;
	uint64_t lost = rx && maxseq + 1 > rx ? maxseq + 1 - rx : 0;
	printf("rx=%llu bytes=%llu maxseq=%llu lost=%llu seconds=%.3f rate=%.0f min_us=%.1f "
	       "p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f\n",
	       (unsigned long long)rx, (unsigned long long)bytes, (unsigned long long)maxseq,
	       (unsigned long long)lost, el, el > 0 ? (double)rx / el : 0, pct(lat, nlat, 0),
	       pct(lat, nlat, 0.5), pct(lat, nlat, 0.9), pct(lat, nlat, 0.99), pct(lat, nlat, 1));
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "send") == 0)
		return cmd_send(argc - 1, argv + 1);
	if (strcmp(argv[1], "sink") == 0)
		return cmd_sink(argc - 1, argv + 1);
	usage();
	return 2;
}
