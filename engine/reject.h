/*
 * reject.h - the answers inline mode sends when a `reject` rule matches
 * (reject.c): a SIP final response, an ICMP port unreachable, a TCP RST.
 *
 * Each builder is a pure function of the decoded packet (packet.h): it
 * writes one complete IP datagram (IPv4 or IPv6 as p is, 20- or 40-byte
 * header, no options, TTL / hop limit 64, DF set on IPv4, every checksum
 * filled in) into the caller's out[0..cap) and returns its length, or 0
 * when there is nothing to send: the datagram does not fit in cap, the
 * input is not something to answer (see each function), or it is
 * unusable (not decoded, wrong protocol, truncated where a length is
 * needed). Nothing is allocated; out must not overlap the packet's data.
 * The caller sends the datagram (inject.h) and rate-limits it.
 *
 * No answer ever goes to or comes from an address that does not name one
 * host (unspecified, multicast, IPv4 limited broadcast or class E), nor
 * answers a frame sent to an Ethernet multicast/broadcast address
 * (RFC 1812 §4.3.2.7, RFC 4443 §2.4 (e)).
 */
#ifndef SW_REJECT_H
#define SW_REJECT_H

#include "packet.h"
#include "sip_parse.h"

/* cap large enough for any answer to a packet of the link MTU's size. */
#define REJECT_MAX_DGRAM 65535

/*
 * A SIP response to the request req received in UDP packet p, built as
 * RFC 3261 §8.2.6 asks: status line "SIP/2.0 <code> <reason>", then every
 * Via header line of the request in order (compact "v:" ones and
 * comma-separated values included) with its value, From, Call-ID and CSeq
 * with the request's values, To with the request's value plus ";tag=" if
 * it has no tag, and "Content-Length: 0". Values are copied as received
 * except that a folded line is unfolded (a fold is equivalent to one SP,
 * §7.3.1), so the response never holds a CR or LF of the request's.
 *
 * The added To tag is a hash of the Call-ID and the top Via branch: a
 * retransmitted request gets the same tag, as it would from the PBX.
 *
 * The datagram goes from p's destination address and port to p's source
 * address and port: sipwire is a transparent bridge, it answers as the
 * PBX would, and to where the request really came from (what rport and
 * received= would make a server do, §18.2.2 and RFC 3581).
 *
 * req may have been parsed eagerly or with SIP_PARSE_INDEX only: only its
 * start line and header index are read. reason is a NUL-terminated phrase
 * (NULL: empty); code must be 300..699 (a reject never accepts anything).
 * Returns 0 for an ACK (never answered, §17.2.3), a response, a request
 * missing Via, From, To, Call-ID or CSeq, a malformed To, a reason holding
 * a control character, and whenever it does not fit in cap (pass the link
 * MTU: the datagram is never fragmented).
 */
size_t reject_sip_response(const packet *p, const struct sip_msg *req, unsigned code,
			   const char *reason, uint8_t *out, size_t cap);

/*
 * An ICMP destination unreachable, port unreachable (ICMPv4 type 3 code 3,
 * ICMPv6 type 1 code 4) from p's destination to p's source, quoting p's
 * datagram from its IP header on: IPv4 as much as keeps the answer within
 * 576 bytes (RFC 1812 §4.3.2.3), IPv6 within 1280 (RFC 4443 §3.1), and
 * never less than the IP header and 8 bytes after it that p has (0 if cap
 * cannot hold that). Returns 0 for an ICMP error or any ICMP type that is
 * not a known query (errors are never answered with errors, RFC 1122
 * §3.2.2, RFC 4443 §2.4 (e); neighbour discovery is left alone), and for
 * a fragment other than the first.
 */
size_t reject_icmp_unreach(const packet *p, uint8_t *out, size_t cap);

/*
 * A TCP RST for segment p (RFC 9293 §3.10.7.1, RFC 793 "Reset Generation").
 *   to_sender = 1: to p's source, as if from p's destination. If p has
 *     ACK: <SEQ=p.ack><CTL=RST>; otherwise <SEQ=0><ACK=p.seq + data length
 *     (+1 for SYN, +1 for FIN)><CTL=RST,ACK>.
 *   to_sender = 0: on to p's destination, as if from p's source:
 *     <SEQ=p.seq><CTL=RST> (with ACK=p.ack and the ACK flag if p has
 *     them). The reject drops p, so the receiver's next expected sequence
 *     number is p's own: only that exact value resets a connection at once
 *     (RFC 5961 §3.2); p.seq + length would earn a challenge ACK.
 * Returns 0 for a RST (never answered), a segment that was not decoded,
 * and (to_sender, no ACK) a segment cut by the capture, whose true length
 * is unknown.
 */
size_t reject_tcp_rst(const packet *p, int to_sender, uint8_t *out, size_t cap);

#endif
