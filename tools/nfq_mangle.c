/*
 * nfq_mangle - a test peer for sipwire's capture layer (engine/capture_nfq.c):
 * binds an NFQUEUE through it and answers every unfragmented IPv4 UDP
 * datagram whose payload starts with FROM with a rewritten packet: FROM
 * replaced by TO (any length), the IP total length, the UDP length and both
 * checksums recomputed. Everything else is accepted as it is. It exercises the
 * verdict that carries a changed packet (what the NAT helper and the SRTP
 * upgrade send) against the kernel; tests/e2e/mangle.sh drives it.
 *
 *   nfq_mangle -q QUEUE -f FROM -t TO [-s SECONDS]
 *
 * Runs until SIGINT/SIGTERM or SECONDS, then prints
 * "nfq_mangle packets=N mangled=M" (the capture layer's own counts).
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture_nfq.h"

static volatile sig_atomic_t stop;
static const char *from, *to;
static size_t from_len, to_len;
static uint8_t out[65536];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint32_t sum16(const uint8_t *b, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)(b[n - 1] << 8);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void on_packet(void *ud, packet *p, const struct nfq_meta *m, struct nfq_verdict *v)
{
	const uint8_t *ip = p->data;
	size_t ihl, n = p->caplen, plen, len;
	(void)ud;
	(void)m;
	if (n < 28 || (ip[0] >> 4) != 4 || ip[9] != 17)
		return;
	ihl = (size_t)(ip[0] & 15) * 4;
	if (ihl < 20 || n < ihl + 8 || (size_t)(ip[2] << 8 | ip[3]) != n)
		return; /* short, or not all here */
	if ((ip[6] & 0x3f) || ip[7])
		return; /* a fragment: its UDP length and checksum cover the whole datagram */
	plen = n - ihl - 8;
	if (plen < from_len || memcmp(ip + ihl + 8, from, from_len) != 0)
		return;
	len = n - from_len + to_len;
	if (len > 65535 || len > sizeof(out))
		return;
	memcpy(out, ip, ihl + 8);
	memcpy(out + ihl + 8, to, to_len);
	memcpy(out + ihl + 8 + to_len, ip + ihl + 8 + from_len, plen - from_len);
	/* IP: total length, checksum */
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	out[10] = out[11] = 0;
	uint16_t c = fold(sum16(out, ihl, 0));
	out[10] = (uint8_t)(c >> 8);
	out[11] = (uint8_t)c;
	/* UDP: length, checksum over the pseudo-header */
	size_t ulen = len - ihl;
	uint8_t *u = out + ihl;
	u[4] = (uint8_t)(ulen >> 8);
	u[5] = (uint8_t)ulen;
	u[6] = u[7] = 0;
	uint32_t s = sum16(out + 12, 8, 0) + 17 + (uint32_t)ulen;
	c = fold(sum16(u, ulen, s));
	if (!c)
		c = 0xffff;
	u[6] = (uint8_t)(c >> 8);
	u[7] = (uint8_t)c;
	v->payload = out;
	v->payload_len = (uint32_t)len;
}

int main(int argc, char **argv)
{
	struct nfq_opts o = { .queue_maxlen = 4096, .buffer_size = 1 << 20, .batch = 16, .fail_open = 1 };
	struct nfq_stats st;
	struct nfq_queue *q;
	char err[256];
	long secs = 0;
	int num = -1, c;
	time_t t0 = time(NULL);

	while ((c = getopt(argc, argv, "q:f:t:s:")) != -1) {
		switch (c) {
		case 'q':
			num = atoi(optarg);
			break;
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 's':
			secs = atol(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (num < 0 || num > 65535 || !from || !to || !*from)
		goto usage;
	from_len = strlen(from);
	to_len = strlen(to);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	q = nfq_queue_open((uint16_t)num, &o, err, sizeof(err));
	if (!q) {
		fprintf(stderr, "nfq_mangle: %s\n", err);
		return 1;
	}
	fprintf(stderr, "nfq_mangle: queue %d bound\n", num);
	while (!stop && (!secs || time(NULL) - t0 < secs)) {
		if (nfq_queue_poll(q, 200, on_packet, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "nfq_mangle: %s\n", err);
			break;
		}
	}
	nfq_queue_stats(q, &st);
	printf("nfq_mangle packets=%llu mangled=%llu\n", (unsigned long long)st.packets,
	       (unsigned long long)st.mangled);
	nfq_queue_close(q);
	return 0;
usage:
	fprintf(stderr, "usage: nfq_mangle -q QUEUE -f FROM -t TO [-s SECONDS]\n");
	return 2;
}
