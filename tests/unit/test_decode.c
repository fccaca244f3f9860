/*
 * test_decode.c - link, IP and transport decoders (engine/decode_*.c).
 *
 * Each row builds one frame from a small description (link type, VLAN
 * tags, IP version, IPv4 options or IPv6 extension headers, transport,
 * payload), optionally patches bytes before or after the checksums are
 * computed (hostile rows), decodes it from a buffer that ends at a
 * PROT_NONE page, and checks the result. Checksums are computed here with
 * a plain RFC 1071 sum, not with the decoder's helpers.
 *
 * Every valid row is also decoded at every prefix, both as a datagram cut
 * on the wire (caplen = wirelen) and as a capture cut by the snap length
 * (wirelen = full length): nothing may crash, and whatever is not fully
 * decoded must say why with a named anomaly.
 */
#include "test_util.h"

#include "decode.h"

#define MAX_PATCH 4
#define MAX_EXT 10
#define FRAME_MAX 4096

enum { PL_LINK = 1, PL_IP, PL_EXT, PL_L4 };
enum { P_SET8 = 1, P_SET16, P_XOR8 };

struct patch {
	uint8_t layer, op, post; /* post: applied after checksums */
	uint16_t off, val;
};

#define PRE8(l, o, v) { (l), P_SET8, 0, (o), (v) }
#define PRE16(l, o, v) { (l), P_SET16, 0, (o), (v) }
#define POST8(l, o, v) { (l), P_SET8, 1, (o), (v) }
#define POST16(l, o, v) { (l), P_SET16, 1, (o), (v) }
#define POSTX(l, o, v) { (l), P_XOR8, 1, (o), (v) }

/* The frame: link header, IP header(s), transport, payload. */
struct frame_desc {
	int link;              /* SW_DLT_* */
	uint16_t vlan[3];      /* 802.1Q/ad tags, outermost first */
	uint16_t tpid[3];      /* 0 = 0x8100 */
	uint8_t n_vlan;
	uint16_t ethertype;    /* 0 = from the IP version */
	uint32_t family;       /* DLT_NULL/LOOP; 0 = 2 or 24 */
	int swap_family;       /* DLT_NULL written in the other byte order */
	int v6;
	uint8_t l4;            /* IPPROTO_* (17, 6, 1, 58, or any) */
	uint8_t opts;          /* IPv4 option bytes, multiple of 4 */
	uint8_t ext[MAX_EXT];  /* IPv6 extension headers in order: 0, 43, 44, 51, 60 */
	uint8_t n_ext;
	uint8_t rh_type;       /* routing header: 2 (0 means 2), RH_TYPE0 or 4 */
	uint8_t rh_segleft;    /* > 0: the header's destination is a waypoint */
	uint8_t tcp_opts;      /* option bytes, multiple of 4 */
	uint16_t plen;         /* application payload */
};

struct want {
	int ret;              /* decode_packet() */
	uint16_t anom;        /* must be raised; 0 = no anomaly at all */
	uint32_t flags_set;   /* must be set */
	uint32_t flags_clear; /* must be clear (on top of the defaults for anom == 0) */
	int no_l4_check;      /* do not compare proto/ports/payload with the description */
	int32_t payload_len;  /* -1: derive from plen */
};

struct drow {
	const char *name;
	struct frame_desc f;
	struct patch patch[MAX_PATCH];
	int cut;               /* caplen/wirelen below apply (else: the whole frame) */
	uint32_t caplen;
	uint32_t wirelen;
	struct want w;
};

#define OK_DEC { .ret = 0, .payload_len = -1 }
#define BAD(a) { .ret = -1, .anom = (a), .no_l4_check = 1 }
#define L4BAD(a) { .ret = 0, .anom = (a), .flags_set = PKT_INVALID, .no_l4_check = 1 }
#define CSUMBAD(a, fl) { .ret = 0, .anom = (a), .flags_set = (fl), .payload_len = -1 }

/* UDP4()/UDP6() give defaults that a row then overrides: intended. */
#pragma GCC diagnostic ignored "-Woverride-init"

#define ETH SW_DLT_EN10MB
#define RH_TYPE0 0xff
#define UDP4(...) { .link = ETH, .l4 = 17, .plen = 100, __VA_ARGS__ }
#define UDP6(...) { .link = ETH, .v6 = 1, .l4 = 17, .plen = 100, __VA_ARGS__ }

static const struct drow rows[] = {
	/* ------------- valid frames, every link type ------------- */
	{ "ethernet ipv4 udp", UDP4(), .w = OK_DEC },
	{ "ethernet ipv4 udp, empty payload", UDP4(.plen = 0), .w = OK_DEC },
	{ "ethernet ipv4 tcp with options", { .link = ETH, .l4 = 6, .tcp_opts = 12, .plen = 200 }, .w = OK_DEC },
	{ "ethernet ipv4 icmp echo", { .link = ETH, .l4 = 1, .plen = 56 }, .w = OK_DEC },
	{ "ethernet ipv6 udp", UDP6(), .w = OK_DEC },
	{ "ethernet ipv6 tcp", { .link = ETH, .v6 = 1, .l4 = 6, .plen = 300 }, .w = OK_DEC },
	{ "ethernet ipv6 icmpv6 echo", { .link = ETH, .v6 = 1, .l4 = 58, .plen = 56 }, .w = OK_DEC },
	{ "802.1Q ipv4 udp", UDP4(.vlan = { 100 }, .n_vlan = 1), .w = OK_DEC },
	{ "QinQ 802.1ad + 802.1Q ipv6 udp", UDP6(.vlan = { 200, 300 }, .tpid = { 0x88a8 }, .n_vlan = 2),
	  .w = OK_DEC },
	{ "QinQ 0x9100 + 802.1Q ipv4 udp", UDP4(.vlan = { 5, 4095 }, .tpid = { 0x9100 }, .n_vlan = 2),
	  .w = OK_DEC },
	{ "linux sll ipv4 udp", UDP4(.link = SW_DLT_LINUX_SLL), .w = OK_DEC },
	{ "linux sll ipv6 tcp", { .link = SW_DLT_LINUX_SLL, .v6 = 1, .l4 = 6, .plen = 10 }, .w = OK_DEC },
	{ "linux sll2 ipv6 udp", UDP6(.link = SW_DLT_LINUX_SLL2), .w = OK_DEC },
	{ "linux sll2 ipv4 tcp", { .link = SW_DLT_LINUX_SLL2, .l4 = 6, .plen = 10 }, .w = OK_DEC },
	{ "raw ipv4 udp", UDP4(.link = SW_DLT_RAW), .w = OK_DEC },
	{ "raw ipv6 udp", UDP6(.link = SW_DLT_RAW), .w = OK_DEC },
	{ "raw (DLT 12) ipv4 udp", UDP4(.link = SW_DLT_RAW_OLD), .w = OK_DEC },
	{ "raw (DLT 14) ipv6 udp", UDP6(.link = SW_DLT_RAW_OLD2), .w = OK_DEC },
	{ "DLT_IPV4 udp", UDP4(.link = SW_DLT_IPV4), .w = OK_DEC },
	{ "DLT_IPV6 udp", UDP6(.link = SW_DLT_IPV6), .w = OK_DEC },
	{ "BSD null ipv4 (host order)", UDP4(.link = SW_DLT_NULL), .w = OK_DEC },
	{ "BSD null ipv6, AF_INET6 24", UDP6(.link = SW_DLT_NULL, .family = 24), .w = OK_DEC },
	{ "BSD null ipv6, AF_INET6 28", UDP6(.link = SW_DLT_NULL, .family = 28), .w = OK_DEC },
	{ "BSD null ipv6, AF_INET6 30", UDP6(.link = SW_DLT_NULL, .family = 30), .w = OK_DEC },
	{ "BSD null ipv4 in the other byte order", UDP4(.link = SW_DLT_NULL, .swap_family = 1), .w = OK_DEC },
	{ "DLT_LOOP ipv4 (network order)", UDP4(.link = SW_DLT_LOOP), .w = OK_DEC },
	{ "DLT_LOOP ipv6", UDP6(.link = SW_DLT_LOOP, .family = 24), .w = OK_DEC },

	/* ------------- IP options and extension headers ------------- */
	{ "ipv4 with options (router alert)", UDP4(.opts = 8), .w = OK_DEC },
	{ "ipv4 with 40 bytes of options", { .link = ETH, .l4 = 6, .opts = 40, .plen = 20 }, .w = OK_DEC },
	{ "ipv6 hop-by-hop, routing, dest-options, udp",
	  UDP6(.ext = { 0, 43, 60 }, .n_ext = 3), .w = OK_DEC },
	{ "ipv6 hop-by-hop, dest-options, tcp", { .link = ETH, .v6 = 1, .l4 = 6, .ext = { 0, 60 }, .n_ext = 2,
	  .plen = 40 }, .w = OK_DEC },
	{ "ipv6 AH then udp", UDP6(.ext = { 51 }, .n_ext = 1), .w = OK_DEC },
	{ "ipv6 atomic fragment is a whole datagram", UDP6(.ext = { 44 }, .n_ext = 1),
	  .w = { .ret = 0, .payload_len = -1, .flags_clear = PKT_IS_FRAGMENT } },
	{ "ipv6 routing type 0, segments left: checksum over the final destination",
	  UDP6(.ext = { 43 }, .n_ext = 1, .rh_type = RH_TYPE0, .rh_segleft = 1), .w = OK_DEC },
	{ "ipv6 routing type 2, segments left", UDP6(.ext = { 43 }, .n_ext = 1, .rh_segleft = 1), .w = OK_DEC },
	{ "ipv6 segment routing header, segments left",
	  { .link = ETH, .v6 = 1, .l4 = 6, .ext = { 43 }, .n_ext = 1, .rh_type = 4, .rh_segleft = 1,
	    .plen = 20 }, .w = OK_DEC },
	{ "ipv6 eight extension headers (the limit)",
	  UDP6(.ext = { 0, 60, 60, 60, 60, 60, 60, 60 }, .n_ext = 8), .w = OK_DEC },
	{ "ipv4 other protocol (GRE): IP only", { .link = ETH, .l4 = 47, .plen = 24 },
	  .w = { .ret = 0, .no_l4_check = 1 } },
	{ "ipv6 no next header (59)", { .link = ETH, .v6 = 1, .l4 = 59 }, .w = { .ret = 0, .no_l4_check = 1 } },
	{ "ipv4 udp zero checksum is allowed", UDP4(), .patch = { POST16(PL_L4, 6, 0) }, .w = OK_DEC },
	{ "ipv4 first fragment stops at layer 3", UDP4(), .patch = { PRE16(PL_IP, 6, 0x2000) },
	  .w = { .ret = 0, .flags_set = PKT_IS_FRAGMENT, .no_l4_check = 1 } },
	{ "ipv4 ethernet padding after the datagram", UDP4(.plen = 2), .cut = 1, .caplen = 60, .wirelen = 60, .w = OK_DEC },

	/* ------------- checksums: flagged, still decoded ------------- */
	{ "ipv4 header checksum bad", UDP4(), .patch = { POSTX(PL_IP, 10, 0xff) },
	  .w = CSUMBAD(ANOM_IPV4_CSUM_INVALID, PKT_IPV4_CSUM_BAD) },
	{ "ipv4 udp checksum bad", UDP4(), .patch = { POSTX(PL_L4, 7, 0x01) },
	  .w = CSUMBAD(ANOM_UDP_CSUM_INVALID, PKT_L4_CSUM_BAD) },
	{ "ipv6 udp checksum bad", UDP6(), .patch = { POSTX(PL_L4, 6, 0x80) },
	  .w = CSUMBAD(ANOM_UDP_CSUM_INVALID, PKT_L4_CSUM_BAD) },
	{ "ipv6 udp zero checksum", UDP6(), .patch = { POST16(PL_L4, 6, 0) },
	  .w = { .ret = 0, .anom = ANOM_UDP_IPV6_ZERO_CSUM, .payload_len = -1 } },
	{ "ipv4 tcp checksum bad", { .link = ETH, .l4 = 6, .plen = 20 }, .patch = { POSTX(PL_L4, 16, 0x10) },
	  .w = CSUMBAD(ANOM_TCP_CSUM_INVALID, PKT_L4_CSUM_BAD) },
	{ "ipv6 tcp checksum bad", { .link = ETH, .v6 = 1, .l4 = 6, .plen = 20 },
	  .patch = { POSTX(PL_L4, 17, 0x10) }, .w = CSUMBAD(ANOM_TCP_CSUM_INVALID, PKT_L4_CSUM_BAD) },
	{ "icmpv4 checksum bad", { .link = ETH, .l4 = 1, .plen = 8 }, .patch = { POSTX(PL_L4, 2, 0x01) },
	  .w = CSUMBAD(ANOM_ICMPV4_CSUM_INVALID, PKT_L4_CSUM_BAD) },
	{ "icmpv6 checksum bad", { .link = ETH, .v6 = 1, .l4 = 58, .plen = 8 },
	  .patch = { POSTX(PL_L4, 3, 0x01) }, .w = CSUMBAD(ANOM_ICMPV6_CSUM_INVALID, PKT_L4_CSUM_BAD) },
	{ "ipv6 routing header, checksum over the waypoint is wrong",
	  UDP6(.ext = { 43 }, .n_ext = 1, .rh_segleft = 1), .patch = { POSTX(PL_L4, 6, 0x04) },
	  .w = CSUMBAD(ANOM_UDP_CSUM_INVALID, PKT_L4_CSUM_BAD) },

	/* ------------- link layer, hostile ------------- */
	{ "ethernet shorter than its header", UDP4(), .cut = 1, .caplen = 13, .wirelen = 13,
	  .w = BAD(ANOM_ETH_PKT_TOO_SMALL) },
	{ "802.1Q tag cut", UDP4(.vlan = { 1 }, .n_vlan = 1), .cut = 1, .caplen = 16, .wirelen = 16,
	  .w = BAD(ANOM_VLAN_HEADER_TOO_SMALL) },
	{ "three VLAN tags", UDP4(.vlan = { 1, 2, 3 }, .n_vlan = 3), .w = BAD(ANOM_VLAN_TOO_MANY_LAYERS) },
	{ "ARP is not ours and not an anomaly", UDP4(.ethertype = 0x0806), .w = { .ret = -1, .no_l4_check = 1 } },
	{ "ethertype IPv6 carrying IPv4", UDP4(.ethertype = 0x86dd), .w = BAD(ANOM_IPV6_WRONG_IP_VERSION) },
	{ "ethertype IPv4 carrying IPv6", UDP6(.ethertype = 0x0800), .w = BAD(ANOM_IPV4_WRONG_IP_VERSION) },
	{ "ethertype IPv6, nothing after it", UDP6(), .cut = 1, .caplen = 14, .wirelen = 14,
	  .w = BAD(ANOM_IPV6_PKT_TOO_SMALL) },
	{ "linux sll shorter than its header", UDP4(.link = SW_DLT_LINUX_SLL), .cut = 1, .caplen = 15, .wirelen = 15,
	  .w = BAD(ANOM_SLL_PKT_TOO_SMALL) },
	{ "linux sll2 shorter than its header", UDP4(.link = SW_DLT_LINUX_SLL2), .cut = 1, .caplen = 19, .wirelen = 19,
	  .w = BAD(ANOM_SLL2_PKT_TOO_SMALL) },
	{ "BSD null shorter than its header", UDP4(.link = SW_DLT_NULL), .cut = 1, .caplen = 3, .wirelen = 3,
	  .w = BAD(ANOM_NULL_PKT_TOO_SMALL) },
	{ "BSD null unknown family", UDP4(.link = SW_DLT_NULL, .family = 99),
	  .w = BAD(ANOM_NULL_UNSUPPORTED_TYPE) },
	{ "BSD null AF_INET6 carrying IPv4", UDP4(.link = SW_DLT_NULL, .family = 24),
	  .w = BAD(ANOM_IPV6_WRONG_IP_VERSION) },
	{ "raw: IP version 5", UDP4(.link = SW_DLT_RAW), .patch = { PRE8(PL_IP, 0, 0x55) },
	  .w = BAD(ANOM_RAW_INVALID_IPV) },
	{ "raw: empty", UDP4(.link = SW_DLT_RAW), .cut = 1, .caplen = 0, .wirelen = 0,
	  .w = BAD(ANOM_IPV4_PKT_TOO_SMALL) },
	{ "DLT_IPV4 carrying IPv6", UDP6(.link = SW_DLT_IPV4), .w = BAD(ANOM_IPV4_WRONG_IP_VERSION) },
	{ "DLT_IPV6 carrying IPv4", UDP4(.link = SW_DLT_IPV6), .w = BAD(ANOM_IPV6_WRONG_IP_VERSION) },
	{ "unsupported link type", UDP4(.link = 147), .w = BAD(ANOM_UNSUPPORTED_LINKTYPE) },

	/* ------------- IPv4, hostile ------------- */
	{ "ipv4 shorter than 20 bytes", UDP4(.link = SW_DLT_RAW), .cut = 1, .caplen = 19, .wirelen = 19,
	  .w = BAD(ANOM_IPV4_PKT_TOO_SMALL) },
	{ "ipv4 ihl 4 (hlen too small)", UDP4(), .patch = { PRE8(PL_IP, 0, 0x44) },
	  .w = BAD(ANOM_IPV4_HLEN_TOO_SMALL) },
	{ "ipv4 ihl 15 past the total length", UDP4(.plen = 0), .patch = { PRE8(PL_IP, 0, 0x4f) },
	  .w = BAD(ANOM_IPV4_IPLEN_SMALLER_THAN_HLEN) },
	{ "ipv4 ihl 15 past the captured bytes", UDP4(.link = SW_DLT_RAW, .plen = 0),
	  .patch = { PRE8(PL_IP, 0, 0x4f), PRE16(PL_IP, 2, 60) }, .w = BAD(ANOM_IPV4_TRUNC_PKT) },
	{ "ipv4 total length 19", UDP4(), .patch = { PRE16(PL_IP, 2, 19) },
	  .w = BAD(ANOM_IPV4_IPLEN_SMALLER_THAN_HLEN) },
	{ "ipv4 total length past the frame", UDP4(), .patch = { PRE16(PL_IP, 2, 20 + 8 + 100 + 1) },
	  .w = BAD(ANOM_IPV4_TRUNC_PKT) },
	{ "ipv4 option length 0", UDP4(.opts = 8), .patch = { PRE8(PL_IP, 21, 0) },
	  .w = { .ret = 0, .anom = ANOM_IPV4_OPT_INVALID_LEN, .payload_len = -1 } },
	{ "ipv4 option length 1", UDP4(.opts = 8), .patch = { PRE8(PL_IP, 21, 1) },
	  .w = { .ret = 0, .anom = ANOM_IPV4_OPT_INVALID_LEN, .payload_len = -1 } },
	{ "ipv4 option length past the header", UDP4(.opts = 8), .patch = { PRE8(PL_IP, 21, 9) },
	  .w = { .ret = 0, .anom = ANOM_IPV4_OPT_INVALID_LEN, .payload_len = -1 } },
	{ "ipv4 option type in the last header byte", UDP4(.opts = 4),
	  .patch = { PRE8(PL_IP, 20, 1), PRE8(PL_IP, 21, 1), PRE8(PL_IP, 22, 1), PRE8(PL_IP, 23, 0x44) },
	  .w = { .ret = 0, .anom = ANOM_IPV4_OPT_INVALID_LEN, .payload_len = -1 } },
	{ "ipv4 fragment past 65535", UDP4(), .patch = { PRE16(PL_IP, 6, 0x1fff) },
	  .w = BAD(ANOM_IPV4_FRAG_PKT_TOO_LARGE) },

	/* ------------- IPv6, hostile ------------- */
	{ "ipv6 shorter than 40 bytes", UDP6(.link = SW_DLT_RAW), .cut = 1, .caplen = 39, .wirelen = 39,
	  .w = BAD(ANOM_IPV6_PKT_TOO_SMALL) },
	{ "ipv6 payload length past the frame", UDP6(), .patch = { PRE16(PL_IP, 4, 109) },
	  .w = BAD(ANOM_IPV6_TRUNC_PKT) },
	{ "ipv6 nine extension headers (chain too long)",
	  UDP6(.ext = { 60, 60, 60, 60, 60, 60, 60, 60, 60 }, .n_ext = 9), .w = BAD(ANOM_IPV6_EXTHDR_TOO_MANY) },
	{ "ipv6 extension chain running past the datagram", UDP6(.ext = { 0, 60 }, .n_ext = 2),
	  .patch = { PRE8(PL_EXT, 8, 60), PRE16(PL_IP, 4, 16) }, .w = BAD(ANOM_IPV6_TRUNC_EXTHDR) },
	{ "ipv6 extension header length past the datagram", UDP6(.ext = { 0 }, .n_ext = 1),
	  .patch = { PRE8(PL_EXT, 1, 200) }, .w = BAD(ANOM_IPV6_TRUNC_EXTHDR) },
	{ "ipv6 extension header cut (4 bytes left)", UDP6(.ext = { 0 }, .n_ext = 1),
	  .patch = { PRE16(PL_IP, 4, 4) }, .w = BAD(ANOM_IPV6_TRUNC_EXTHDR) },
	{ "ipv6 AH length past the datagram", UDP6(.ext = { 51 }, .n_ext = 1),
	  .patch = { PRE8(PL_EXT, 1, 255) }, .w = BAD(ANOM_IPV6_TRUNC_EXTHDR) },
	{ "ipv6 fragment header reserved bits", UDP6(.ext = { 44 }, .n_ext = 1),
	  .patch = { PRE8(PL_EXT, 1, 0x11) }, .w = { .ret = 0, .anom = ANOM_IPV6_FH_NON_ZERO_RES, .payload_len = -1 } },
	{ "ipv6 fragment past 65535", UDP6(.ext = { 44 }, .n_ext = 1), .patch = { PRE16(PL_EXT, 2, 0xfff9) },
	  .w = BAD(ANOM_IPV6_FRAG_PKT_TOO_LARGE) },
	{ "ipv6 fragment stops at layer 3", UDP6(.ext = { 44 }, .n_ext = 1), .patch = { PRE16(PL_EXT, 2, 0x0001) },
	  .w = { .ret = 0, .flags_set = PKT_IS_FRAGMENT, .no_l4_check = 1 } },

	/* ------------- transport, hostile ------------- */
	{ "udp header cut (4 bytes of IP payload)", UDP4(), .patch = { PRE16(PL_IP, 2, 24) },
	  .w = L4BAD(ANOM_UDP_PKT_TOO_SMALL) },
	{ "udp length < 8", UDP4(), .patch = { PRE16(PL_L4, 4, 7) }, .w = L4BAD(ANOM_UDP_HLEN_TOO_SMALL) },
	{ "udp length past the IP payload", UDP4(), .patch = { PRE16(PL_L4, 4, 109) },
	  .w = L4BAD(ANOM_UDP_HLEN_INVALID) },
	{ "udp length short of the IP payload", UDP6(), .patch = { PRE16(PL_L4, 4, 58) },
	  .w = { .ret = 0, .anom = ANOM_UDP_LEN_INVALID, .payload_len = 50 } },
	{ "tcp segment shorter than 20 bytes", { .link = ETH, .l4 = 6 }, .patch = { PRE16(PL_IP, 2, 39) },
	  .w = L4BAD(ANOM_TCP_PKT_TOO_SMALL) },
	{ "tcp data offset 15, segment 20 bytes", { .link = ETH, .l4 = 6 }, .patch = { PRE8(PL_L4, 12, 0xf0) },
	  .w = L4BAD(ANOM_TCP_HLEN_TOO_SMALL) },
	{ "tcp data offset 4", { .link = ETH, .l4 = 6, .plen = 10 }, .patch = { PRE8(PL_L4, 12, 0x40) },
	  .w = L4BAD(ANOM_TCP_HLEN_TOO_SMALL) },
	{ "tcp option length 1", { .link = ETH, .l4 = 6, .tcp_opts = 8, .plen = 5 },
	  .patch = { PRE8(PL_L4, 21, 1) }, .w = { .ret = 0, .anom = ANOM_TCP_INVALID_OPTLEN, .payload_len = -1 } },
	{ "tcp option length past the header", { .link = ETH, .l4 = 6, .tcp_opts = 8, .plen = 5 },
	  .patch = { PRE8(PL_L4, 21, 40) }, .w = { .ret = 0, .anom = ANOM_TCP_INVALID_OPTLEN, .payload_len = -1 } },
	{ "icmpv4 shorter than 8 bytes", { .link = ETH, .l4 = 1 }, .patch = { PRE16(PL_IP, 2, 26) },
	  .w = L4BAD(ANOM_ICMPV4_PKT_TOO_SMALL) },
	{ "icmpv6 shorter than 8 bytes", { .link = ETH, .v6 = 1, .l4 = 58 }, .patch = { PRE16(PL_IP, 4, 6) },
	  .w = L4BAD(ANOM_ICMPV6_PKT_TOO_SMALL) },

	/* ------------- captures cut by the snap length ------------- */
	{ "snaplen cuts the udp payload", UDP4(), .cut = 1, .caplen = 14 + 28 + 50, .wirelen = 14 + 28 + 100,
	  .w = { .ret = 0, .anom = ANOM_PKT_CAPTURE_TRUNCATED,
	         .flags_set = PKT_TRUNCATED | PKT_L4_CSUM_UNKNOWN, .payload_len = 50 } },
	{ "snaplen cuts the ipv6 tcp payload", { .link = ETH, .v6 = 1, .l4 = 6, .plen = 100 },
	  .cut = 1, .caplen = 14 + 60 + 10, .wirelen = 14 + 60 + 100,
	  .w = { .ret = 0, .anom = ANOM_PKT_CAPTURE_TRUNCATED,
	         .flags_set = PKT_TRUNCATED | PKT_L4_CSUM_UNKNOWN, .payload_len = 10 } },
	{ "snaplen cuts the ipv4 header", UDP4(.opts = 8), .cut = 1, .caplen = 14 + 24, .wirelen = 14 + 136,
	  .w = BAD(ANOM_IPV4_TRUNC_PKT) },
};

/* ------------------------------------------------------------------ */
/* Frame building                                                      */

static const uint8_t v4src[4] = { 192, 0, 2, 10 }, v4dst[4] = { 192, 0, 2, 5 };
static const uint8_t v6src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
static const uint8_t v6dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x05 };
static const uint8_t v6hop[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x99 }; /* a routing waypoint */

struct built {
	uint8_t b[FRAME_MAX];
	uint32_t len, ip, ext, l4;
};

static void put16(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static uint32_t sum16(uint32_t s, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s += (i & 1) ? b[i] : (uint32_t)b[i] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t ext_len(const struct frame_desc *f, uint8_t t)
{
	switch (t) {
	case 43:
		return f->rh_type == 4 ? 40 : 24;
	case 51:
		return 16;
	default:
		return 8;
	}
}

static uint32_t l4_hdr_len(const struct frame_desc *f)
{
	switch (f->l4) {
	case 17:
		return 8;
	case 6:
		return 20u + f->tcp_opts;
	case 1:
	case 58:
		return 8;
	default:
		return 0;
	}
}

static void apply(struct built *fb, const struct drow *r, int post)
{
	for (unsigned i = 0; i < MAX_PATCH && r->patch[i].layer; i++) {
		const struct patch *pt = &r->patch[i];
		uint32_t at;
		if (pt->post != post)
			continue;
		at = pt->layer == PL_LINK ? 0 : pt->layer == PL_IP ? fb->ip : pt->layer == PL_EXT ? fb->ext : fb->l4;
		at += pt->off;
		if (pt->op == P_SET8)
			fb->b[at] = (uint8_t)pt->val;
		else if (pt->op == P_SET16)
			put16(fb->b + at, pt->val);
		else
			fb->b[at] ^= (uint8_t)pt->val;
	}
}

static void build(const struct drow *r, struct built *fb)
{
	const struct frame_desc *f = &r->f;
	uint8_t *b = fb->b;
	uint32_t n = 0, hl, l4len = l4_hdr_len(f) + f->plen, exts = 0;
	const uint8_t *dst6 = f->rh_segleft ? v6hop : v6dst;

	memset(fb, 0, sizeof(*fb));
	for (unsigned i = 0; i < f->n_ext; i++)
		exts += ext_len(f, f->ext[i]);

	/* Link layer. */
	switch (f->link) {
	case SW_DLT_EN10MB: {
		static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 5, 2, 0, 0, 0, 0, 10 };
		memcpy(b, macs, 12);
		n = 12;
		for (unsigned i = 0; i < f->n_vlan; i++, n += 4) {
			put16(b + n, f->tpid[i] ? f->tpid[i] : 0x8100);
			put16(b + n + 2, f->vlan[i]);
		}
		put16(b + n, f->ethertype ? f->ethertype : f->v6 ? 0x86dd : 0x0800);
		n += 2;
		break;
	}
	case SW_DLT_LINUX_SLL:
		put16(b, 0);      /* to us */
		put16(b + 2, 1);  /* ARPHRD_ETHER */
		put16(b + 4, 6);
		memcpy(b + 6, "\x02\x00\x00\x00\x00\x0a\x00\x00", 8);
		put16(b + 14, f->v6 ? 0x86dd : 0x0800);
		n = 16;
		break;
	case SW_DLT_LINUX_SLL2:
		put16(b, f->v6 ? 0x86dd : 0x0800);
		b[7] = 3;         /* ifindex */
		put16(b + 8, 1);
		b[11] = 6;
		memcpy(b + 12, "\x02\x00\x00\x00\x00\x0a\x00\x00", 8);
		n = 20;
		break;
	case SW_DLT_NULL:
	case SW_DLT_LOOP: {
		uint32_t fam = f->family ? f->family : f->v6 ? 24 : 2;
		int be = f->link == SW_DLT_LOOP || f->swap_family;
		for (int i = 0; i < 4; i++)
			b[i] = (uint8_t)(fam >> (be ? 24 - 8 * i : 8 * i));
		n = 4;
		break;
	}
	default:
		break;
	}

	/* IP. */
	fb->ip = n;
	if (!f->v6) {
		hl = 20u + f->opts;
		b[n] = (uint8_t)(0x40 | hl / 4);
		put16(b + n + 2, hl + l4len);
		put16(b + n + 4, 0x1234);
		b[n + 8] = 64;
		b[n + 9] = f->l4;
		memcpy(b + n + 12, v4src, 4);
		memcpy(b + n + 16, v4dst, 4);
		if (f->opts >= 4) {
			b[n + 20] = 0x94; /* router alert */
			b[n + 21] = 4;
			for (uint32_t k = 24; k < hl; k++)
				b[n + k] = 1; /* NOP */
			if (hl > 24)
				b[n + hl - 1] = 0; /* end of options */
		}
		fb->ext = n + 20;
		n += hl;
	} else {
		uint8_t *nhp = b + n + 6;
		b[n] = 0x60;
		put16(b + n + 4, exts + l4len);
		b[n + 7] = 64;
		memcpy(b + n + 8, v6src, 16);
		memcpy(b + n + 24, dst6, 16);
		n += 40;
		fb->ext = n;
		for (unsigned i = 0; i < f->n_ext; i++) {
			uint8_t t = f->ext[i];
			uint32_t el = ext_len(f, t);
			*nhp = t;
			nhp = b + n;
			switch (t) {
			case 43:
				b[n + 1] = (uint8_t)(el / 8 - 1);
				b[n + 2] = f->rh_type == RH_TYPE0 ? 0 : f->rh_type ? f->rh_type : 2;
				b[n + 3] = f->rh_segleft;
				if (f->rh_type == 4) {
					b[n + 4] = 1; /* last entry */
					memcpy(b + n + 8, v6dst, 16);  /* Segment List[0]: the end */
					memcpy(b + n + 24, v6hop, 16); /* Segment List[1]: next */
				} else {
					memcpy(b + n + 8, v6dst, 16);
				}
				break;
			case 44:
				put16(b + n + 6, 0x4242); /* atomic: offset 0, M = 0 */
				break;
			case 51:
				b[n + 1] = (uint8_t)(el / 4 - 2);
				put16(b + n + 6, 0x100); /* SPI */
				break;
			default: /* hop-by-hop, destination options: one PadN */
				b[n + 2] = 1;
				b[n + 3] = (uint8_t)(el - 4);
				break;
			}
			n += el;
		}
		*nhp = f->l4;
	}

	/* Transport and payload. */
	fb->l4 = n;
	switch (f->l4) {
	case 17:
		put16(b + n, 5060);
		put16(b + n + 2, 5080);
		put16(b + n + 4, l4len);
		break;
	case 6:
		put16(b + n, 5060);
		put16(b + n + 2, 5080);
		put16(b + n + 4, 0x1111);
		put16(b + n + 8, 0x2222);
		b[n + 12] = (uint8_t)((20 + f->tcp_opts) / 4 << 4);
		b[n + 13] = 0x18; /* PSH ACK */
		put16(b + n + 14, 65535);
		if (f->tcp_opts >= 4) {
			b[n + 20] = 2; /* MSS 1460 */
			b[n + 21] = 4;
			put16(b + n + 22, 1460);
			for (uint32_t k = 24; k < 20u + f->tcp_opts; k++)
				b[n + k] = 1;
		}
		break;
	case 1:
		b[n] = 8;
		put16(b + n + 4, 0x77);
		put16(b + n + 6, 1);
		break;
	case 58:
		b[n] = 128;
		put16(b + n + 4, 0x77);
		put16(b + n + 6, 1);
		break;
	default:
		break;
	}
	for (uint32_t k = 0; k < f->plen; k++)
		b[n + l4_hdr_len(f) + k] = (uint8_t)("SIP/2.0 200 OK\r\n"[k % 16]);
	fb->len = n + l4len;

	apply(fb, r, 0);
	if (!f->v6) {
		put16(b + fb->ip + 10, 0);
		put16(b + fb->ip + 10, fold(sum16(0, b + fb->ip, 20u + f->opts)));
	}
	if (f->l4 == 17 || f->l4 == 6 || f->l4 == 1 || f->l4 == 58) {
		uint32_t at = f->l4 == 17 ? 6 : f->l4 == 6 ? 16 : 2, s = 0;
		if (f->l4 != 1) {
			if (f->v6) {
				s = sum16(s, v6src, 16);
				s = sum16(s, v6dst, 16); /* the final destination */
			} else {
				s = sum16(s, v4src, 4);
				s = sum16(s, v4dst, 4);
			}
			s += f->l4 + l4len;
		}
		put16(b + fb->l4 + at, 0);
		put16(b + fb->l4 + at, fold(sum16(s, b + fb->l4, l4len)));
	}
	apply(fb, r, 1);
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */

static int has_anom(const packet *p, unsigned id)
{
	for (unsigned i = 0; i < p->anom_n; i++)
		if (p->anom[i] == id)
			return 1;
	return 0;
}

/* Every view the decoder set must lie inside the captured bytes. */
static void check_views(const packet *p)
{
	const uint8_t *lo = p->data, *hi = p->data + p->caplen;
#define INSIDE(ptr, len)                                                                   \
	do {                                                                               \
		if (ptr) {                                                                 \
			assert_true((ptr) >= lo && (ptr) <= hi);                           \
			assert_true((uint64_t)(len) <= (uint64_t)(hi - (ptr)));            \
		}                                                                          \
	} while (0)
	INSIDE(p->l3, p->l3_len);
	INSIDE(p->l4, p->l4_len);
	INSIDE(p->payload, p->payload_len);
	if (p->flags & PKT_IS_FRAGMENT)
		INSIDE(p->frag_data, p->frag_len);
	if (p->l3)
		assert_true(p->l3_hdr_len <= p->l3_len);
#undef INSIDE
}

static int decode_buf(const uint8_t *buf, uint32_t caplen, uint32_t wirelen, int link, packet *p)
{
	struct guard_buf g;
	int rc;

	memset(p, 0, sizeof(*p));
	p->data = (const uint8_t *)guard_copy(&g, buf, caplen);
	p->caplen = caplen;
	p->wirelen = wirelen;
	p->linktype = link;
	rc = decode_packet(p);
	check_views(p);
	guard_free(&g);
	return rc;
}

static void run_row(void **state)
{
	const struct drow *r = *state;
	const struct frame_desc *f = &r->f;
	static struct built fb;
	uint32_t caplen, wirelen;
	packet p;
	int rc;

	build(r, &fb);
	caplen = r->cut ? r->caplen : fb.len;
	wirelen = r->cut ? r->wirelen : caplen;
	assert_true(caplen <= FRAME_MAX);
	{
		/* decode from a guard buffer, checking views before it goes */
		struct guard_buf g;
		memset(&p, 0, sizeof(p));
		p.data = (const uint8_t *)guard_copy(&g, fb.b, caplen);
		p.caplen = caplen;
		p.wirelen = wirelen;
		p.linktype = f->link;
		rc = decode_packet(&p);
		check_views(&p);
		if (rc == 0 && !r->w.no_l4_check && p.payload_len) {
			/* The payload view must show the bytes that were built. */
			assert_memory_equal(p.payload, fb.b + fb.l4 + l4_hdr_len(f), p.payload_len);
		}
		guard_free(&g);
	}

	if (rc != r->w.ret)
		fail_msg("decode_packet returned %d, want %d (first anomaly %s)", rc, r->w.ret,
		         p.anom_n ? anomaly_name(p.anom[0]) : "none");
	if (r->w.anom) {
		if (!has_anom(&p, r->w.anom))
			fail_msg("anomaly %s not raised (first: %s)", anomaly_name(r->w.anom),
			         p.anom_n ? anomaly_name(p.anom[0]) : "none");
	} else if (p.anom_n) {
		fail_msg("unexpected anomaly %s", anomaly_name(p.anom[0]));
	}
	if (rc != 0 && r->w.anom)
		assert_true(p.flags & PKT_INVALID);
	assert_int_equal(p.flags & r->w.flags_set, r->w.flags_set);
	assert_int_equal(p.flags & r->w.flags_clear, 0);
	if (!r->w.anom)
		assert_int_equal(p.flags & (PKT_INVALID | PKT_L4_CSUM_BAD | PKT_IPV4_CSUM_BAD |
		                            PKT_TRUNCATED | PKT_L4_CSUM_UNKNOWN),
		                 r->w.flags_set & ~PKT_IS_FRAGMENT);

	if (rc != 0)
		return;
	/* Link layer results. */
	assert_int_equal(p.vlan_n, f->n_vlan);
	for (unsigned i = 0; i < f->n_vlan; i++)
		assert_int_equal(p.vlan[i], f->vlan[i] & 0x0fff);
	assert_int_equal(p.ip_v, f->v6 ? 6 : 4);
	assert_true(p.l3 == p.data + fb.ip);
	assert_int_equal(p.src.family, f->v6 ? 6 : 4);
	assert_memory_equal(p.src.a, f->v6 ? v6src : v4src, f->v6 ? 16 : 4);
	/* The header's destination, even when a routing header names another final one. */
	assert_memory_equal(p.dst.a, f->v6 ? (f->rh_segleft ? v6hop : v6dst) : v4dst, f->v6 ? 16 : 4);
	assert_int_equal(p.ip_ttl, 64);
	if (r->w.no_l4_check)
		return;
	assert_int_equal(p.proto, f->l4);
	assert_int_equal(p.l3_hdr_len, fb.l4 - fb.ip);
	assert_true(p.l4 == p.data + fb.l4);
	if (f->l4 == 17 || f->l4 == 6) {
		assert_int_equal(p.sport, 5060);
		assert_int_equal(p.dport, 5080);
	}
	if (f->l4 == 6) {
		assert_int_equal(p.tcp_seq, 0x11110000);
		assert_int_equal(p.tcp_ack, 0x22220000);
		assert_int_equal(p.tcp_flags, 0x18);
		assert_int_equal(p.tcp_win, 65535);
	}
	if (f->l4 == 1 || f->l4 == 58) {
		assert_int_equal(p.icmp_type, f->l4 == 1 ? 8 : 128);
		assert_int_equal(p.icmp_code, 0);
	}
	assert_int_equal(p.payload_len, r->w.payload_len >= 0 ? (uint32_t)r->w.payload_len : f->plen);
}

/*
 * Every prefix of a valid frame: cut on the wire (caplen = wirelen) it is
 * broken and must say so; cut by the snap length (wirelen = full) it may
 * decode partly, flagged truncated, or fail with an anomaly.
 */
static void run_prefixes(void **state)
{
	const struct drow *r = *state;
	static struct built fb;
	packet p;

	build(r, &fb);
	for (uint32_t n = 0; n < fb.len; n++) {
		for (int snap = 0; snap <= 1; snap++) {
			int rc = decode_buf(fb.b, n, snap ? fb.len : n, r->f.link, &p);
			if (p.anom_n == 0)
				fail_msg("prefix %u/%u (%s): rc %d without an anomaly", n, fb.len,
				         snap ? "snaplen" : "wire", rc);
			if (rc == 0 && !snap)
				fail_msg("prefix %u/%u: a datagram cut on the wire decoded", n, fb.len);
			if (rc == 0 && snap) {
				assert_true(p.flags & PKT_TRUNCATED);
				assert_true(has_anom(&p, ANOM_PKT_CAPTURE_TRUNCATED));
			}
		}
	}
}

/* Random byte flips of every valid frame: views stay inside the capture. */
static uint32_t rng = 0x9e3779b9;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void test_mutations(void **state)
{
	static struct built fb;
	packet p;

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(rows); i++) {
		if (rows[i].w.ret != 0 || rows[i].w.anom)
			continue;
		for (unsigned k = 0; k < 300; k++) {
			uint32_t cut;
			build(&rows[i], &fb);
			for (unsigned m = 1 + rnd() % 4; m > 0; m--)
				fb.b[rnd() % fb.len] ^= (uint8_t)(1u << (rnd() % 8));
			cut = fb.len - rnd() % (fb.len / 4 + 1);
			decode_buf(fb.b, cut, rnd() % 2 ? fb.len : cut, rows[i].f.link, &p);
		}
	}
}

/* RFC 1071 §3 worked example, and the helpers' edges. */
static void test_csum_helpers(void **state)
{
	static const uint8_t ex[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	static const uint8_t odd[3] = { 0x12, 0x34, 0x56 };
	(void)state;
	assert_int_equal(decode_csum_add(0, ex, 8), 0x2ddf0);
	assert_int_equal(decode_csum_fold(0x2ddf0), (uint16_t)~0xddf2);
	assert_int_equal(decode_csum_add(0, odd, 3), 0x1234 + 0x5600);
	assert_int_equal(decode_csum_fold(0), 0xffff);
	assert_int_equal(decode_csum_fold(0xffff), 0);
	assert_int_equal(decode_csum_add(7, ex, 0), 7);
}

int main(void)
{
	size_t n = SW_ARRAY_SIZE(rows), k = 0;
	struct CMUnitTest *t = calloc(2 * n + 2, sizeof(*t));
	char **names = calloc(n, sizeof(*names));
	int rc;

	assert_non_null(t);
	assert_non_null(names);
	for (size_t i = 0; i < n; i++) {
		t[k].name = rows[i].name;
		t[k].test_func = run_row;
		t[k++].initial_state = (void *)&rows[i];
	}
	for (size_t i = 0; i < n; i++) {
		if (rows[i].w.ret != 0 || rows[i].w.anom || rows[i].cut)
			continue;
		if (asprintf(&names[i], "every prefix of: %s", rows[i].name) < 0)
			return 1;
		t[k].name = names[i];
		t[k].test_func = run_prefixes;
		t[k++].initial_state = (void *)&rows[i];
	}
	t[k].name = "random byte flips keep views inside the capture";
	t[k++].test_func = test_mutations;
	t[k].name = "checksum helpers (RFC 1071 example)";
	t[k++].test_func = test_csum_helpers;
	rc = _cmocka_run_group_tests("decode", t, k, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(t);
	return rc;
}
