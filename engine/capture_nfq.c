/*
 * capture_nfq.c - NFQUEUE through libmnl and libnetfilter_queue's
 * nfq_nlmsg_* helpers (see capture_nfq.h for the model).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "capture_nfq.h"

/* Copy range: the whole packet, GSO super-packets included (the kernel
 * caps NFQNL_COPY_PACKET's range at 65535 bytes of payload). */
#define NFQ_COPY_RANGE 0xffff
/* One received message: the packet plus its attributes; a multiple of 8
 * so that every slot (and the netlink headers in it) stays aligned. */
#define NFQ_SLOT (((NFQ_COPY_RANGE + 4096) + 7) & ~7)
/* A verdict message without payload is about 48 bytes. */
#define NFQ_VERDICT_ROOM 128

/* The queue's counters: written by its worker only, read by the main
 * thread for stats (nfq_queue_stats()): single-writer relaxed atomics. */
#define ST_ADD(c, n) __atomic_store_n(&(c), (c) + (uint64_t)(n), __ATOMIC_RELAXED)

struct nfq_queue {
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t num;
	uint32_t batch;
	uint32_t vlan_mark;      /* nfq_opts.vlan_mark */
	uint32_t last_id;
	int have_id;
	uint32_t early_id;       /* packets that came while configuring ... */
	int have_early;          /* ... accepted unseen once configured */
	uint8_t *slots;          /* batch * NFQ_SLOT */
	struct mmsghdr *msgs;
	struct iovec *iov;
	char *out;               /* verdict messages of one batch */
	size_t out_cap, out_len;
	struct nfq_stats st;
};

/* ------------------------------------------------------------------ */
/* Configuration messages                                              */

/*
 * Sends one config message and waits for the kernel's acknowledgement.
 * Packets may arrive already (the queue is bound first): their ids are
 * remembered and accepted as soon as the configuration is done.
 */
static int nfq_config(struct nfq_queue *q, struct nlmsghdr *nlh, const char *what, char *err,
                      size_t cap)
{
	char *buf = (char *)q->slots; /* free until packets flow */
	uint32_t seq = (uint32_t)time(NULL) ^ (uint32_t)q->num << 16;
	int n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		snprintf(err, cap, "queue %u: %s: %s", q->num, what, strerror(errno));
		return -1;
	}
	for (int tries = 0; tries < 4096; tries++) {
		const struct nlmsghdr *r;
		n = (int)mnl_socket_recvfrom(q->nl, buf, NFQ_SLOT);
		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			snprintf(err, cap, "queue %u: %s: %s", q->num, what, strerror(errno));
			return -1;
		}
		for (r = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(r, n); r = mnl_nlmsg_next(r, &n)) {
			if (r->nlmsg_type == NLMSG_ERROR && r->nlmsg_seq == seq) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(r);
				if (r->nlmsg_len < mnl_nlmsg_size(sizeof(*e)) || !e->error)
					return 0;
				errno = -e->error;
				if (errno == EBUSY)
					snprintf(err, cap, "queue %u: already bound by another process",
					         q->num);
				else if (errno == EPERM)
					snprintf(err, cap,
					         "queue %u: binding needs CAP_NET_ADMIN (run as root)", q->num);
				else
					snprintf(err, cap, "queue %u: %s: %s", q->num, what, strerror(errno));
				return -1;
			}
			if ((r->nlmsg_type & 0xff) == NFQNL_MSG_PACKET) {
				struct nlattr *attr[NFQA_MAX + 1];
				memset(attr, 0, sizeof(attr));
				if (nfq_nlmsg_parse(r, attr) >= 0 && attr[NFQA_PACKET_HDR]) {
					struct nfqnl_msg_packet_hdr *ph =
					    mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
					q->early_id = ntohl(ph->packet_id);
					q->have_early = 1;
				}
			}
		}
	}
	snprintf(err, cap, "queue %u: %s: no answer from the kernel", q->num, what);
	return -1;
}

struct nfq_queue *nfq_queue_open(uint16_t num, const struct nfq_opts *o, char *err, size_t cap)
{
	char buf[8192];
	struct nlmsghdr *nlh;
	struct nfq_queue *q = calloc(1, sizeof(*q));
	uint32_t flags = 0;
	int rcv;

	if (!q) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	q->num = num;
	q->vlan_mark = o->vlan_mark;
	q->batch = o->batch ? o->batch : 1;
	if (q->batch > 1024)
		q->batch = 1024;
	q->slots = malloc((size_t)q->batch * NFQ_SLOT);
	q->msgs = calloc(q->batch, sizeof(*q->msgs));
	q->iov = calloc(q->batch, sizeof(*q->iov));
	q->out_cap = (size_t)q->batch * NFQ_VERDICT_ROOM + NFQ_SLOT;
	q->out = malloc(q->out_cap);
	if (!q->slots || !q->msgs || !q->iov || !q->out) {
		snprintf(err, cap, "out of memory");
		goto fail;
	}
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl) {
		snprintf(err, cap, "netlink socket: %s", strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, cap, "netlink bind: %s", strerror(errno));
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->nl);

	/* The receive buffer holds packets while we are busy: SO_RCVBUFFORCE
	 * goes past rmem_max (we have CAP_NET_ADMIN). */
	rcv = o->buffer_size > (uint64_t)INT32_MAX / 2 ? INT32_MAX / 2 : (int)o->buffer_size;
	if (setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) != 0)
		(void)setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (nfq_config(q, nlh, "bind", err, cap) != 0)
		goto fail;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, NFQ_COPY_RANGE);
	if (nfq_config(q, nlh, "copy mode", err, cap) != 0)
		goto fail;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, o->queue_maxlen ? o->queue_maxlen : 1024);
	if (nfq_config(q, nlh, "queue length", err, cap) != 0)
		goto fail;

	if (o->fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	if (o->gso)
		flags |= NFQA_CFG_F_GSO;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO));
	if (nfq_config(q, nlh, "flags", err, cap) != 0)
		goto fail;

	if (q->have_early) {
		nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT_BATCH, num);
		nfq_nlmsg_verdict_put(nlh, (int)q->early_id, NF_ACCEPT);
		(void)mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
	}
	for (uint32_t i = 0; i < q->batch; i++) {
		q->iov[i].iov_base = q->slots + (size_t)i * NFQ_SLOT;
		q->iov[i].iov_len = NFQ_SLOT;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return q;
fail:
	nfq_queue_close(q);
	return NULL;
}

void nfq_queue_close(struct nfq_queue *q)
{
	if (!q)
		return;
	if (q->nl) {
		char buf[8192];
		struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
		nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
		(void)mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
		mnl_socket_close(q->nl);
	}
	free(q->slots);
	free(q->msgs);
	free(q->iov);
	free(q->out);
	free(q);
}

void nfq_queue_stats(const struct nfq_queue *q, struct nfq_stats *out)
{
	const uint64_t *in = (const uint64_t *)&q->st;
	uint64_t *o = (uint64_t *)out;
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] = __atomic_load_n(&in[i], __ATOMIC_RELAXED);
}

uint16_t nfq_queue_num(const struct nfq_queue *q)
{
	return q->num;
}

/* ------------------------------------------------------------------ */
/* Verdicts                                                            */

static void out_flush(struct nfq_queue *q)
{
	if (!q->out_len)
		return;
	if (mnl_socket_sendto(q->nl, q->out, q->out_len) < 0)
		ST_ADD(q->st.verdict_errors, 1);
	q->out_len = 0;
}

/* Room for one more verdict message with extra payload bytes. */
static char *out_room(struct nfq_queue *q, size_t extra)
{
	if (q->out_len + NFQ_VERDICT_ROOM + extra > q->out_cap)
		out_flush(q);
	return q->out + q->out_len;
}

static void out_commit(struct nfq_queue *q, const struct nlmsghdr *nlh)
{
	q->out_len += MNL_ALIGN(nlh->nlmsg_len);
}

static void verdict_one(struct nfq_queue *q, uint32_t id, const struct nfq_verdict *v)
{
	struct nlmsghdr *nlh;
	size_t extra = v->payload ? v->payload_len : 0;
	int verdict = NF_ACCEPT;

	switch (v->action) {
	case NFQ_DROP:
		verdict = NF_DROP;
		ST_ADD(q->st.dropped, 1);
		break;
	case NFQ_BYPASS:
		/* NF_REPEAT: the packet runs the hook again; the bridge rules see
		 * the mark, save it on the connection and accept, and later
		 * packets of the connection never reach the queue. */
		verdict = v->mark ? NF_REPEAT : NF_ACCEPT;
		ST_ADD(q->st.bypassed, 1);
		break;
	case NFQ_ACCEPT:
		ST_ADD(q->st.accepted, 1);
		break;
	}
	if (extra > NFQ_COPY_RANGE) {
		extra = 0; /* cannot be sent: keep the original */
		v = NULL;
	}
	nlh = nfq_nlmsg_put(out_room(q, extra), NFQNL_MSG_VERDICT, q->num);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	if (v && v->action == NFQ_BYPASS && v->mark)
		nfq_nlmsg_verdict_put_mark(nlh, v->mark);
	if (v && v->payload) {
		nfq_nlmsg_verdict_put_pkt(nlh, v->payload, v->payload_len);
		ST_ADD(q->st.mangled, 1);
	}
	out_commit(q, nlh);
}

static void verdict_batch_accept(struct nfq_queue *q, uint32_t max_id)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(out_room(q, 0), NFQNL_MSG_VERDICT_BATCH, q->num);
	nfq_nlmsg_verdict_put(nlh, (int)max_id, NF_ACCEPT);
	out_commit(q, nlh);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                           */

static uint64_t be64(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static uint32_t attr_u32(struct nlattr *a)
{
	return a ? ntohl(mnl_attr_get_u32(a)) : 0;
}

/*
 * Handles one NFQNL_MSG_PACKET. Returns 1 and sets *id / *accepted when it
 * carried a packet, 0 otherwise.
 */
static int handle_packet_msg(struct nfq_queue *q, const struct nlmsghdr *nlh, sw_time now,
                             nfq_packet_cb cb, void *ud, uint32_t *id, int *accepted)
{
	struct nlattr *attr[NFQA_MAX + 1];
	struct nfqnl_msg_packet_hdr *ph;
	struct nfq_meta m;
	struct nfq_verdict v;
	packet p;
	uint16_t plen;

	memset(attr, 0, sizeof(attr));
	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return 0;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	memset(&m, 0, sizeof(m));
	m.id = ntohl(ph->packet_id);
	m.hw_proto = ntohs(ph->hw_protocol);
	m.queue = q->num;
	m.mark = attr_u32(attr[NFQA_MARK]);
	m.indev = attr_u32(attr[NFQA_IFINDEX_INDEV]);
	m.outdev = attr_u32(attr[NFQA_IFINDEX_OUTDEV]);
	m.physindev = attr_u32(attr[NFQA_IFINDEX_PHYSINDEV]);
	m.physoutdev = attr_u32(attr[NFQA_IFINDEX_PHYSOUTDEV]);
	m.skbinfo = attr_u32(attr[NFQA_SKB_INFO]);
	if (q->vlan_mark && (m.mark & q->vlan_mark))
		m.vlan = (uint16_t)(m.mark & 0xfff);
	if (attr[NFQA_HWADDR]) {
		struct nfqnl_msg_packet_hw *hw = mnl_attr_get_payload(attr[NFQA_HWADDR]);
		uint16_t hl = ntohs(hw->hw_addrlen);
		if (hl > sizeof(m.hwaddr))
			hl = sizeof(m.hwaddr);
		memcpy(m.hwaddr, hw->hw_addr, hl);
		m.hwaddr_len = (uint8_t)hl;
	}

	/* Ids are consecutive per queue; a gap is packets the kernel passed
	 * (fail-open) or lost before they reached us. */
	if (q->have_id) {
		uint32_t gap = m.id - q->last_id - 1;
		if (gap && gap < (1u << 30))
			ST_ADD(q->st.missed, gap);
	}
	q->last_id = m.id;
	q->have_id = 1;

	memset(&p, 0, sizeof(p));
	p.linktype = SW_DLT_RAW;
	p.ts = now;
	if (attr[NFQA_TIMESTAMP] &&
	    mnl_attr_get_payload_len(attr[NFQA_TIMESTAMP]) >= sizeof(struct nfqnl_msg_packet_timestamp)) {
		const uint8_t *t = mnl_attr_get_payload(attr[NFQA_TIMESTAMP]);
		uint64_t sec = be64(t), usec = be64(t + 8);
		if (sec)
			p.ts = (sw_time)(sec * SW_USEC_PER_SEC + usec);
	}
	if (attr[NFQA_PAYLOAD]) {
		plen = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
		p.data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		p.caplen = plen;
		p.wirelen = attr[NFQA_CAP_LEN] ? attr_u32(attr[NFQA_CAP_LEN]) : plen;
		if (p.wirelen > p.caplen)
			ST_ADD(q->st.truncated, 1);
	}
	if (m.vlan) { /* as the decoder would have read it from the frame */
		p.vlan[0] = m.vlan;
		p.vlan_n = 1;
	}
	if (m.skbinfo & NFQA_SKB_GSO)
		ST_ADD(q->st.gso, 1);
	if (m.skbinfo & NFQA_SKB_CSUMNOTREADY)
		p.flags |= PKT_L4_CSUM_UNKNOWN;
	ST_ADD(q->st.packets, 1);
	ST_ADD(q->st.bytes, p.wirelen);

	memset(&v, 0, sizeof(v));
	v.action = NFQ_ACCEPT;
	cb(ud, &p, &m, &v);
	*id = m.id;
	if (v.action == NFQ_ACCEPT && !v.payload) {
		ST_ADD(q->st.accepted, 1);
		*accepted = 1;
	} else {
		verdict_one(q, m.id, &v);
		*accepted = 0;
	}
	return 1;
}

int nfq_queue_poll(struct nfq_queue *q, int timeout_ms, nfq_packet_cb cb, void *ud, char *err,
                   size_t cap)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(q->nl), .events = POLLIN };
	struct timespec now_ts;
	sw_time now;
	uint32_t max_accept = 0;
	int have_accept = 0, n, handled = 0;

	n = poll(&pfd, 1, timeout_ms);
	if (n <= 0) {
		if (n < 0 && errno != EINTR) {
			snprintf(err, cap, "queue %u: poll: %s", q->num, strerror(errno));
			return -1;
		}
		return 0;
	}
	for (uint32_t i = 0; i < q->batch; i++)
		q->msgs[i].msg_hdr.msg_flags = 0;
	n = recvmmsg(pfd.fd, q->msgs, q->batch, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == ENOBUFS) {
			/* The socket buffer overflowed: packets were lost (the
			 * kernel counts them as user_dropped, or passed them with
			 * fail-open). Not fatal. */
			ST_ADD(q->st.enobufs, 1);
			return 0;
		}
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		snprintf(err, cap, "queue %u: receive: %s", q->num, strerror(errno));
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &now_ts);
	now = (sw_time)now_ts.tv_sec * SW_USEC_PER_SEC + (sw_time)(now_ts.tv_nsec / 1000);
	ST_ADD(q->st.batches, 1);
	q->out_len = 0;
	for (int i = 0; i < n; i++) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(q->slots + (size_t)i * NFQ_SLOT);
		int len = (int)q->msgs[i].msg_len;
		while (mnl_nlmsg_ok(nlh, len)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) && e->error)
					ST_ADD(q->st.verdict_errors, 1);
			} else if ((nlh->nlmsg_type & 0xff) == NFQNL_MSG_PACKET &&
			           (nlh->nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE) {
				uint32_t id;
				int accepted;
				if (handle_packet_msg(q, nlh, now, cb, ud, &id, &accepted)) {
					handled++;
					if (accepted) {
						max_accept = id;
						have_accept = 1;
					}
				}
			}
			nlh = mnl_nlmsg_next(nlh, &len);
		}
	}
	/* After the individual verdicts: one batch accepts every other packet
	 * up to the last accepted id (entries already answered are gone from
	 * the kernel's queue, so it cannot touch them). */
	if (have_accept)
		verdict_batch_accept(q, max_accept);
	out_flush(q);
	return handled;
}

/* ------------------------------------------------------------------ */

static int parse_u16(const char **s, uint16_t *out)
{
	unsigned long v = 0;
	const char *p = *s;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return -1;
		p++;
	}
	*out = (uint16_t)v;
	*s = p;
	return 0;
}

int nfq_parse_queues(const char *s, uint16_t *out, unsigned *n, unsigned cap, char *err,
                     size_t errcap)
{
	const char *p = s;
	for (;;) {
		uint16_t a, b;
		if (parse_u16(&p, &a) != 0)
			goto bad;
		b = a;
		if (*p == ':') {
			p++;
			if (parse_u16(&p, &b) != 0 || b < a)
				goto bad;
		}
		for (unsigned v = a; v <= b; v++) {
			for (unsigned i = 0; i < *n; i++)
				if (out[i] == v) {
					snprintf(err, errcap, "queue %u given twice", v);
					return -1;
				}
			if (*n >= cap) {
				snprintf(err, errcap, "more than %u queues", cap);
				return -1;
			}
			out[(*n)++] = (uint16_t)v;
		}
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p)
			goto bad;
		return 0;
	}
bad:
	snprintf(err, errcap, "bad queue list \"%s\" (expected N, A:B or a comma list of them)", s);
	return -1;
}
