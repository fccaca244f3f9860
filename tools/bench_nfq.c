/*
 * bench_nfq - the baseline for inline throughput: a bare NFQUEUE consumer
 * that accepts every packet and does nothing else, configured the way
 * sipwire's inline mode is by default (copy-packet mode, fail-open, GSO,
 * queue length 65536, 8 MiB socket buffer, batches of 64: the socket, not
 * the queue, overflows first). It receives up to
 * BATCH netlink messages with one recvmmsg(MSG_WAITFORONE) and answers each
 * batch with ONE NFQNL_MSG_VERDICT_BATCH accepting every packet up to the
 * highest id it holds, so the figure is the cost of the queue itself.
 *
 *   bench_nfq [-q QUEUE] [-b BATCH] [-m MAXLEN] [-B BYTES] [-F] [-G]
 *
 *   -q QUEUE  queue number (default 0)
 *   -b BATCH  most messages per recvmmsg and per verdict (default 64, max 1024)
 *   -m MAXLEN queue length in the kernel (default 65536)
 *   -B BYTES  socket receive buffer, set with SO_RCVBUFFORCE (default 8388608)
 *   -F        no fail-open: a full queue drops instead of accepting
 *   -G        no GSO: the kernel segments GSO packets before queueing them
 *
 * Runs until SIGTERM or SIGINT, then prints one line of counters on stdout:
 *   bench_nfq queue=0 packets=N bytes=N batches=N max_batch=N enobufs=N seconds=S
 * ENOBUFS (the kernel could not queue a packet message to the socket: those
 * packets were accepted by fail-open, or dropped with -F) is counted and the
 * consumer goes on. Exit status 0, or 1 when the queue cannot be bound or
 * the socket fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* One netlink message holds at most one packet of copy range 0xffff. */
#define MSG_BUF (0xffff + 4096)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct counters {
	unsigned long long packets, bytes, batches, max_batch, enobufs;
};

/*
 * Walks the netlink messages in buf. Packet messages raise *maxid; an
 * error message returns its (negative) errno; an ack of sequence number
 * seq (error 0) sets *acked. Returns 0 or -errno.
 */
static int walk(const char *buf, size_t len, uint32_t seq, uint32_t *maxid, int *have, int *acked,
		struct counters *c)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			if (e->error != 0)
				return e->error;
			if (acked && nlh->nlmsg_seq == seq)
				*acked = 1;
			continue;
		}
		if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
			continue;
		struct nlattr *attr[NFQA_MAX + 1] = {0};
		if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
			continue;
		const struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
		uint32_t id = ntohl(ph->packet_id);
		if (!*have || id > *maxid)
			*maxid = id;
		*have = 1;
		c->packets++;
		if (attr[NFQA_PAYLOAD])
			c->bytes += mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	return 0;
}

/* Accepts every queued packet with an id up to maxid. Returns 0 or -1. */
static int verdict_batch(struct mnl_socket *nl, uint16_t queue, uint32_t maxid)
{
	char buf[256]; /* header, nfgenmsg, one verdict attribute */
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT_BATCH, queue);

	nfq_nlmsg_verdict_put(nlh, (int)maxid, NF_ACCEPT);
	return mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

/*
 * Binds the queue and sets copy-packet mode, length and flags in one config
 * message, then waits for its ack (accepting any packet that comes first).
 * Returns 0 or -errno.
 */
static int bind_queue(struct mnl_socket *nl, uint16_t queue, uint32_t maxlen, uint32_t flags,
		      struct counters *c)
{
	char buf[MSG_BUF];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	uint32_t seq = (uint32_t)time(NULL), maxid = 0;
	int have = 0, acked = 0, r;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (int tries = 0; !acked && tries < 1000; tries++) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return -errno;
		}
		r = walk(buf, (size_t)n, seq, &maxid, &have, &acked, c);
		if (r < 0)
			return r;
		if (have && verdict_batch(nl, queue, maxid) < 0)
			return -errno;
		have = 0;
	}
	return acked ? 0 : -ETIMEDOUT;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_nfq [-q QUEUE] [-b BATCH] [-m MAXLEN] [-B BYTES] [-F] [-G]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long queue = 0, batch = 64, maxlen = 65536, rcvbuf = 8u << 20;
	uint32_t flags = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
	struct counters c = {0};
	struct mnl_socket *nl;
	struct sigaction sa;
	char **bufs;
	struct mmsghdr *msgs;
	struct iovec *iov;
	int opt, fd, r, rc = 0;

	while ((opt = getopt(argc, argv, "q:b:m:B:FG")) != -1) {
		switch (opt) {
		case 'q':
			queue = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			maxlen = strtoul(optarg, NULL, 0);
			break;
		case 'B':
			rcvbuf = strtoul(optarg, NULL, 0);
			break;
		case 'F':
			flags &= ~(uint32_t)NFQA_CFG_F_FAIL_OPEN;
			break;
		case 'G':
			flags &= ~(uint32_t)NFQA_CFG_F_GSO;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || queue > 65535 || batch < 1 || batch > 1024 || maxlen < 1 ||
	    rcvbuf < 65536 || rcvbuf > (1u << 30))
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: recvmmsg returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("bench_nfq: netlink socket");
		return 1;
	}
	fd = mnl_socket_get_fd(nl);
	int sz = (int)rcvbuf;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0)
		perror("bench_nfq: socket receive buffer");
	/* Bounds the wait so a signal between the stop check and recvmmsg is seen. */
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	r = bind_queue(nl, (uint16_t)queue, (uint32_t)maxlen, flags, &c);
	if (r < 0) {
		fprintf(stderr, "bench_nfq: cannot bind queue %lu: %s\n", queue, strerror(-r));
		mnl_socket_close(nl);
		return 1;
	}

	bufs = calloc(batch, sizeof(*bufs));
	msgs = calloc(batch, sizeof(*msgs));
	iov = calloc(batch, sizeof(*iov));
	if (!bufs || !msgs || !iov) {
		fprintf(stderr, "bench_nfq: out of memory\n");
		return 1;
	}
	for (unsigned long i = 0; i < batch; i++) {
		bufs[i] = malloc(MSG_BUF);
		if (!bufs[i]) {
			fprintf(stderr, "bench_nfq: out of memory\n");
			return 1;
		}
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = MSG_BUF;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	double t0 = now_s();
	while (!stop) {
		int n = recvmmsg(fd, msgs, (unsigned)batch, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			if (errno == ENOBUFS) {
				c.enobufs++;
				continue;
			}
			perror("bench_nfq: recvmmsg");
			rc = 1;
			break;
		}
		uint32_t maxid = 0;
		int have = 0;
		for (int i = 0; i < n; i++) {
			r = walk(bufs[i], msgs[i].msg_len, 0, &maxid, &have, NULL, &c);
			if (r < 0)
				fprintf(stderr, "bench_nfq: netlink error: %s\n", strerror(-r));
		}
		if (have && verdict_batch(nl, (uint16_t)queue, maxid) < 0) {
			if (errno == ENOBUFS) {
				c.enobufs++;
			} else if (errno != EINTR) {
				perror("bench_nfq: verdict");
				rc = 1;
				break;
			}
		}
		c.batches++;
		if ((unsigned long long)n > c.max_batch)
			c.max_batch = (unsigned long long)n;
	}
	double el = now_s() - t0;

	/* Closing the socket unbinds the queue; the kernel drops what is left in it. */
	mnl_socket_close(nl);
	printf("bench_nfq queue=%lu packets=%llu bytes=%llu batches=%llu max_batch=%llu "
	       "enobufs=%llu seconds=%.3f\n",
	       queue, c.packets, c.bytes, c.batches, c.max_batch, c.enobufs, el);
	for (unsigned long i = 0; i < batch; i++)
		free(bufs[i]);
	free(bufs);
	free(msgs);
	free(iov);
	return rc;
}
