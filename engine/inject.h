/*
 * inject.h - sending a datagram built by reject.h out of one interface
 * (inject.c), and the addresses' MACs learned to send it with.
 *
 * The injector owns one AF_PACKET socket that only sends (protocol 0: the
 * kernel queues nothing to it), a cache of the interfaces' own MACs and a
 * bounded table mapping an IP address to the source MAC it was last seen
 * with, so that an answer given in the PBX's name can carry the PBX's MAC.
 * Every function is safe to call from several worker threads at once.
 */
#ifndef SW_INJECT_H
#define SW_INJECT_H

#include "common.h"

/* Learned addresses kept; when full, the least recently learned goes. */
#define INJECT_LEARN_MAX 4096

struct injector;

/*
 * Opens the socket (CAP_NET_RAW: call it before privileges are dropped)
 * and allocates the tables. Returns the injector, owned by the caller
 * until inject_close(), or NULL with the reason in err[0..cap).
 */
struct injector *inject_open(char *err, size_t cap);

/*
 * Sends the IP datagram l3[0..len) out of interface ifindex in an Ethernet
 * frame to dst_mac, from src_mac or, if NULL, from the interface's own MAC
 * (looked up once per interface). The EtherType follows l3's version
 * nibble. Never blocks: a full transmit queue is an error (the caller
 * counts it; a lost reject is not worth stalling a worker). Returns 0, or
 * -1 with errno set (EINVAL: not IPv4/IPv6, or bad arguments).
 */
int inject_send(struct injector *in, int ifindex, const uint8_t dst_mac[6], const uint8_t *src_mac,
		const uint8_t *l3, size_t len);
/* The same in a frame tagged 802.1Q with VLAN id vlan (1..4095; 0: untagged). */
int inject_send_vlan(struct injector *in, int ifindex, const uint8_t dst_mac[6],
		     const uint8_t *src_mac, uint16_t vlan, const uint8_t *l3, size_t len);

/* Closes the socket and frees everything; inject_close(NULL) is a no-op. */
void inject_close(struct injector *in);

/*
 * Records that ip was last seen with source MAC mac. A group MAC (bit 0 of
 * the first byte set) or the zero MAC is never a host's and is ignored.
 */
void inject_learn(struct injector *in, const sw_addr *ip, const uint8_t mac[6]);

/* 1 and the MAC in mac_out if ip was learned (and is still kept), else 0. */
int inject_lookup(struct injector *in, const sw_addr *ip, uint8_t mac_out[6]);

#endif
