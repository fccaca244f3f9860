/*
 * inject.c - the injector (see inject.h): an AF_PACKET socket that only
 * sends, a cache of interface MACs and the learned IP -> MAC table.
 *
 * One mutex guards both tables; the socket needs none (a packet socket's
 * sendmsg() is atomic per frame). The learned table is a fixed array of
 * INJECT_LEARN_MAX entries, chained from a hash of the address and kept in
 * a doubly linked list in learning order: learning moves an entry to the
 * head, and a new address takes a free entry or the tail's. Everything is
 * allocated by inject_open(); the packet path allocates nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netpacket/packet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "inject.h"

#define LEARN_BUCKETS 8192 /* power of two, twice the entries */
#define NIL	      0xffffu
#define MAX_IFS	      64 /* interfaces whose MAC is cached; more are looked up each time */

struct learned {
	sw_addr ip;
	uint8_t mac[6];
	uint16_t hnext;	     /* next in the hash chain */
	uint16_t prev, next; /* learning order: head = most recent */
};

struct ifmac {
	int ifindex;
	uint8_t mac[6];
};

struct injector {
	int fd;
	pthread_mutex_t mu;
	struct ifmac ifs[MAX_IFS];
	unsigned n_ifs;
	struct learned ent[INJECT_LEARN_MAX];
	uint16_t n_ent;
	uint16_t head, tail;
	uint16_t bucket[LEARN_BUCKETS];
};

struct injector *inject_open(char *err, size_t cap)
{
	struct injector *in = calloc(1, sizeof(*in));
	int rc;
	if (!in) {
		snprintf(err, cap, "injector: out of memory");
		return NULL;
	}
	in->fd = -1;
	rc = pthread_mutex_init(&in->mu, NULL);
	if (rc != 0) {
		snprintf(err, cap, "injector: mutex: %s", strerror(rc));
		free(in);
		return NULL;
	}
	/* Protocol 0: a socket for sending only, nothing is queued to it. */
	in->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (in->fd < 0) {
		snprintf(err, cap, "injector: AF_PACKET socket: %s", strerror(errno));
		goto fail;
	}
	in->head = in->tail = NIL;
	for (unsigned i = 0; i < LEARN_BUCKETS; i++)
		in->bucket[i] = NIL;
	return in;
fail:
	inject_close(in);
	return NULL;
}

void inject_close(struct injector *in)
{
	if (!in)
		return;
	if (in->fd >= 0)
		close(in->fd);
	pthread_mutex_destroy(&in->mu);
	free(in);
}

/* The MAC of ifindex, from the cache or the kernel. 0 or -1 with errno. */
static int if_mac(struct injector *in, int ifindex, uint8_t mac[6])
{
	struct ifreq ifr;
	unsigned i;

	pthread_mutex_lock(&in->mu);
	for (i = 0; i < in->n_ifs; i++) {
		if (in->ifs[i].ifindex == ifindex) {
			memcpy(mac, in->ifs[i].mac, 6);
			pthread_mutex_unlock(&in->mu);
			return 0;
		}
	}
	pthread_mutex_unlock(&in->mu);

	memset(&ifr, 0, sizeof(ifr));
	if (!if_indextoname((unsigned)ifindex, ifr.ifr_name))
		return -1;
	if (ioctl(in->fd, SIOCGIFHWADDR, &ifr) < 0)
		return -1;
	/* Our frames have an Ethernet header: only Ethernet (and loopback,
	 * which speaks the same framing) can carry them. */
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER &&
	    ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);

	pthread_mutex_lock(&in->mu);
	/* Another thread may have cached it meanwhile: once is enough. */
	for (i = 0; i < in->n_ifs && in->ifs[i].ifindex != ifindex; i++)
		;
	if (i == in->n_ifs && in->n_ifs < MAX_IFS) {
		in->ifs[i].ifindex = ifindex;
		memcpy(in->ifs[i].mac, mac, 6);
		in->n_ifs++;
	}
	pthread_mutex_unlock(&in->mu);
	return 0;
}

int inject_send(struct injector *in, int ifindex, const uint8_t dst_mac[6], const uint8_t *src_mac,
		const uint8_t *l3, size_t len)
{
	return inject_send_vlan(in, ifindex, dst_mac, src_mac, 0, l3, len);
}

int inject_send_vlan(struct injector *in, int ifindex, const uint8_t dst_mac[6],
		     const uint8_t *src_mac, uint16_t vlan, const uint8_t *l3, size_t len)
{
	uint8_t eh[18]; /* destination, source, [802.1Q tag,] EtherType */
	size_t ehl = vlan ? 18 : 14;
	struct sockaddr_ll sll;
	struct iovec iov[2];
	struct msghdr msg;
	uint16_t type;
	ssize_t n;

	if (!in || ifindex <= 0 || !dst_mac || !l3 || len < 1 || len > 65535 + 40 || vlan > 4095) {
		errno = EINVAL;
		return -1;
	}
	switch (l3[0] >> 4) {
	case 4:
		type = ETHERTYPE_IP;
		break;
	case 6:
		type = ETHERTYPE_IPV6;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	memcpy(eh, dst_mac, 6);
	if (src_mac)
		memcpy(eh + 6, src_mac, 6);
	else if (if_mac(in, ifindex, eh + 6) != 0)
		return -1;
	if (vlan) {
		eh[12] = 0x81; /* 802.1Q, priority 0 */
		eh[13] = 0x00;
		eh[14] = (uint8_t)(vlan >> 8);
		eh[15] = (uint8_t)vlan;
	}
	eh[ehl - 2] = (uint8_t)(type >> 8);
	eh[ehl - 1] = (uint8_t)type;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(vlan ? 0x8100 : type);
	sll.sll_ifindex = ifindex;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dst_mac, 6);
	/* Header and datagram from where they are: no copy, no big buffer. */
	iov[0].iov_base = eh;
	iov[0].iov_len = ehl;
	iov[1].iov_base = (void *)l3;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &sll;
	msg.msg_namelen = sizeof(sll);
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	n = sendmsg(in->fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return -1;
	if ((size_t)n != ehl + len) {
		errno = EIO; /* a packet socket sends whole frames or nothing */
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Learned addresses                                                   */

/* ip as the table keys it: an IPv4 address with its unused bytes zero,
 * whatever the caller's copy held there. 0, or -1 if not an address. */
static int learn_key(const sw_addr *ip, sw_addr *key)
{
	memset(key, 0, sizeof(*key));
	if (!ip || (ip->family != 4 && ip->family != 6))
		return -1;
	key->family = ip->family;
	memcpy(key->a, ip->a, ip->family == 4 ? 4 : 16);
	return 0;
}

static uint32_t learn_bucket(const sw_addr *ip)
{
	uint64_t h = sw_hash_bytes(0, &ip->family, 1);
	h = sw_hash_bytes(h, ip->a, 16);
	return (uint32_t)(sw_hash_mix(h) & (LEARN_BUCKETS - 1));
}

/* Entry index holding ip, or NIL. Called with the mutex held. */
static uint16_t learn_find(const struct injector *in, const sw_addr *ip)
{
	uint16_t i = in->bucket[learn_bucket(ip)];
	while (i != NIL && !sw_addr_eq(&in->ent[i].ip, ip))
		i = in->ent[i].hnext;
	return i;
}

static void lru_unlink(struct injector *in, uint16_t i)
{
	struct learned *e = &in->ent[i];
	if (e->prev != NIL)
		in->ent[e->prev].next = e->next;
	else
		in->head = e->next;
	if (e->next != NIL)
		in->ent[e->next].prev = e->prev;
	else
		in->tail = e->prev;
}

static void lru_push_head(struct injector *in, uint16_t i)
{
	struct learned *e = &in->ent[i];
	e->prev = NIL;
	e->next = in->head;
	if (in->head != NIL)
		in->ent[in->head].prev = i;
	in->head = i;
	if (in->tail == NIL)
		in->tail = i;
}

static void hash_unlink(struct injector *in, uint16_t i)
{
	uint16_t *pp = &in->bucket[learn_bucket(&in->ent[i].ip)];
	while (*pp != NIL && *pp != i)
		pp = &in->ent[*pp].hnext;
	if (*pp == i)
		*pp = in->ent[i].hnext;
}

void inject_learn(struct injector *in, const sw_addr *addr, const uint8_t mac[6])
{
	static const uint8_t zero[6];
	sw_addr key, *ip = &key;
	uint16_t i;
	uint32_t b;

	if (!in || !mac || learn_key(addr, &key) != 0)
		return;
	if ((mac[0] & 1) || memcmp(mac, zero, 6) == 0)
		return;
	pthread_mutex_lock(&in->mu);
	i = learn_find(in, ip);
	if (i != NIL) {
		memcpy(in->ent[i].mac, mac, 6);
		if (in->head != i) {
			lru_unlink(in, i);
			lru_push_head(in, i);
		}
		pthread_mutex_unlock(&in->mu);
		return;
	}
	if (in->n_ent < INJECT_LEARN_MAX) {
		i = in->n_ent++;
	} else {
		i = in->tail; /* the least recently learned makes room */
		lru_unlink(in, i);
		hash_unlink(in, i);
	}
	in->ent[i].ip = *ip;
	memcpy(in->ent[i].mac, mac, 6);
	b = learn_bucket(ip);
	in->ent[i].hnext = in->bucket[b];
	in->bucket[b] = i;
	lru_push_head(in, i);
	pthread_mutex_unlock(&in->mu);
}

int inject_lookup(struct injector *in, const sw_addr *addr, uint8_t mac_out[6])
{
	sw_addr key, *ip = &key;
	uint16_t i;
	if (!in || !mac_out || learn_key(addr, &key) != 0)
		return 0;
	pthread_mutex_lock(&in->mu);
	i = learn_find(in, ip);
	if (i != NIL)
		memcpy(mac_out, in->ent[i].mac, 6);
	pthread_mutex_unlock(&in->mu);
	return i != NIL;
}
