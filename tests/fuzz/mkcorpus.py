#!/usr/bin/env python3
"""Writes the committed seed corpora of sipwire's fuzz targets.

    python3 tests/fuzz/mkcorpus.py      (from the repository root)

Every seed is hand-written here, so the corpus can be reviewed and
regenerated; the files under tests/fuzz/corpus/<target>/ are committed.
Addresses are RFC 5737 / RFC 3849 documentation ranges.
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("latin-1")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def crlf(s):
    return s.replace("\n", "\r\n")


# ---------------------------------------------------------------- SDP

SDP_BASIC = crlf("""v=0
o=alice 2890844526 2890844526 IN IP4 192.0.2.10
s=-
c=IN IP4 192.0.2.10
t=0 0
m=audio 49170 RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
""")

SDP_SRTP = crlf("""v=0
o=- 20518 0 IN IP4 192.0.2.5
s=SDP Seminar
i=A Seminar on the session description protocol
u=http://www.example.com/seminars/sdp.pdf
e=j.doe@example.com (Jane Doe)
p=+1 617 555-6011
c=IN IP4 192.0.2.5
b=AS:64
t=2873397496 2873404696
r=7d 1h 0 25h
k=prompt
a=recvonly
m=audio 49170/2 RTP/SAVP 0 18
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32 KDR=1
a=rtcp:53020 IN IP4 192.0.2.5
a=rtpmap:18 G729/8000
m=video 51372 RTP/AVP 99
c=IN IP4 192.0.2.6/127
a=rtpmap:99 h263-1998/90000
a=inactive
""")

SDP_ICE = crlf("""v=0
o=jdoe 2890844526 2890842807 IN IP6 2001:db8::1
s=
c=IN IP6 2001:db8::1
t=0 0
a=ice-ufrag:8hhY
a=ice-pwd:asd88fgpdd777uzjYhagZg
a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB
a=group:BUNDLE 0
m=audio 45664 UDP/TLS/RTP/SAVPF 111
a=mid:0
a=rtcp-mux
a=candidate:1 1 UDP 2130706431 2001:db8::1 45664 typ host
a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998
a=candidate:3 1 TCP 1518280447 192.0.2.3 9 typ host tcptype active
a=rtpmap:111 opus/48000/2
a=sendonly
""")

# LF line ends and a truncated last line, as some peers send.
SDP_LF = ("v=0\no=- 1 1 IN IP4 198.51.100.7\ns=x\nc=IN IP4 0.0.0.0\nt=0 0\n"
          "m=audio 0 RTP/AVP 0\na=rtcp:9\nm=application 5000 udp wb\na=orient:portrait")

put("sdp_parse", "basic", SDP_BASIC)
put("sdp_parse", "srtp_two_media", SDP_SRTP)
put("sdp_parse", "ice_ipv6", SDP_ICE)
put("sdp_parse", "lf_hold", SDP_LF)

# ---------------------------------------------------------------- SIP

INVITE = crlf("""INVITE sip:bob@192.0.2.5 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport
Max-Forwards: 70
To: Bob <sip:bob@192.0.2.5>
From: "Alice" <sip:alice@192.0.2.10>;tag=1928301774
Call-ID: a84b4c76e66710@192.0.2.10
CSeq: 314159 INVITE
Contact: <sip:alice@192.0.2.10:5060;transport=udp>
User-Agent: softphone/1.0
Content-Type: application/sdp
Content-Length: %d

""") % len(SDP_BASIC) + SDP_BASIC

REGISTER = crlf("""REGISTER sips:registrar.example.com SIP/2.0
Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKnashds7;received=198.51.100.1;rport=5061
Max-Forwards: 70
To: <sip:alice@example.com>
From: <sip:alice@example.com>;tag=456248
Call-ID: 843817637684230@998sdasdh09
CSeq: 1826 REGISTER
Contact: <sip:alice@192.0.2.10>;expires=3600, <sip:alice@[2001:db8::10]:5070>;q=0.5
Authorization: Digest username="alice", realm="example.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sips:registrar.example.com", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001, opaque="5ccc069c403ebaf9f0171e9517f40e41"
Expires: 7200
Content-Length: 0

""")

CHALLENGE = crlf("""SIP/2.0 401 Unauthorized
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds7;received=192.0.2.10
From: <sip:alice@example.com>;tag=456248
To: <sip:alice@example.com>;tag=2493k59kd
Call-ID: 843817637684230@998sdasdh09
CSeq: 1826 REGISTER
WWW-Authenticate: Digest realm="example.com", qop="auth", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", stale=FALSE, algorithm=MD5
Server: pbx/5.4
Content-Length: 0

""")

OK200 = crlf("""SIP/2.0 200 OK
Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK4b43c2ff8.1
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;received=192.0.2.10
To: Bob <sip:bob@192.0.2.5>;tag=a6c85cf
From: Alice <sip:alice@192.0.2.10>;tag=1928301774
Call-ID: a84b4c76e66710@192.0.2.10
CSeq: 314159 INVITE
Contact: <sip:bob@192.0.2.5>
Record-Route: <sip:proxy.example.com;lr>
Content-Type: application/sdp
Content-Length: %d

""") % len(SDP_SRTP) + SDP_SRTP

# Compact header names, folding, a comma-separated Via, tel: URI.
COMPACT = crlf("""MESSAGE tel:+1-201-555-0123;phone-context=example.com SIP/2.0
v: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKkjshdyff, SIP/2.0/TCP [2001:db8::9]:5060;branch=z9hG4bK2
f: <sip:alice@example.com>;tag=49583
t: "Bob \\"B\\"" <sip:bob@example.com>
i: asd88asd77a@192.0.2.10
CSeq: 4711 MESSAGE
m: <sip:alice@192.0.2.10>
k: path, 100rel
s: folded
 subject line
c: text/plain
e: identity
l: 5

hello""")

OPTIONS_BYE = crlf("""OPTIONS sip:192.0.2.5 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.66:5060;branch=z9hG4bK-scan-1
From: "sipvicious"<sip:100@1.1.1.1>;tag=6133
To: "sipvicious"<sip:100@1.1.1.1>
Call-ID: 1209382@192.0.2.66
CSeq: 1 OPTIONS
Max-Forwards: 70
Accept: application/sdp
User-Agent: friendly-scanner
Content-Length: 0

BYE sip:alice@192.0.2.10 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.5;branch=z9hG4bKnashds10
From: Bob <sip:bob@192.0.2.5>;tag=a6c85cf
To: Alice <sip:alice@192.0.2.10>;tag=1928301774
Call-ID: a84b4c76e66710@192.0.2.10
CSeq: 231 BYE
Content-Length: 0

""")

# No Content-Length (datagram: the body is the rest), bare LF, odd spacing.
LOOSE = ("NOTIFY sip:alice@192.0.2.10 SIP/2.0\nVia : SIP/2.0/UDP 192.0.2.5 ;branch=z9hG4bKx\n"
         "From:<sip:pbx@192.0.2.5>;tag=1\nTo:<sip:alice@192.0.2.10>;tag=2\nCall-ID:n1\n"
         "CSeq:7 NOTIFY\nEvent: message-summary\nSubscription-State: active;expires=100\n"
         "Content-Type: application/simple-message-summary\n\nMessages-Waiting: yes\n")

TRYING = crlf("""SIP/2.0 100 Trying
Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK776asdhds
From: <sip:alice@192.0.2.10>;tag=1928301774
To: <sip:bob@192.0.2.5>
Call-ID: a84b4c76e66710@192.0.2.10
CSeq: 314159 INVITE
Content-Length: 0

""")

for name, msg in [("invite_sdp", INVITE), ("register_auth", REGISTER), ("401_challenge", CHALLENGE),
                  ("200_ok_sdp", OK200), ("compact_folded", COMPACT), ("options_then_bye", OPTIONS_BYE),
                  ("notify_lf_no_cl", LOOSE), ("100_trying", TRYING)]:
    put("sip_parse", name, msg)

# ---------------------------------------------------------------- SIP stream framing

def frame_seed(ctl, chunks, stream):
    """ctl byte, then (flags, length) records, then the stream."""
    out = bytes([ctl, len(chunks)])
    for fl, ln in chunks:
        out += bytes([fl | ((ln >> 8) << 2), ln & 0xff])
    return out + stream.encode("latin-1")


two = REGISTER + CHALLENGE
put("sip_frame", "two_messages_split",
    frame_seed(0x33, [(0, 10), (0, 200), (1, 0), (0, 300)], two))
put("sip_frame", "keepalive_then_invite",
    frame_seed(0x00, [(0, 4), (0, 2)], "\r\n\r\n\r\n" + INVITE))
put("sip_frame", "gap_then_resync",
    frame_seed(0x15, [(0, 120), (2, 40)], OPTIONS_BYE + TRYING))
put("sip_frame", "both_directions",
    frame_seed(0x2a, [(0, 64), (1, 64), (0, 500), (1, 300)], INVITE[:564] + TRYING[:364] + INVITE[564:] + TRYING[364:]))

# ---------------------------------------------------------------- TCP segments

def seg(ctl, flags, delta, payload=b""):
    if isinstance(payload, str):
        payload = payload.encode("latin-1")
    assert len(payload) < 256
    return bytes([ctl, flags]) + struct.pack(">h", delta) + bytes([len(payload)]) + payload


SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10
hs = seg(0, SYN, 0) + seg(1, SYN | ACK, 0) + seg(0, ACK, 1)
put("stream_tcp", "handshake_data_fin",
    b"\x00" + struct.pack(">II", 1000, 5000) + hs +
    seg(0, PSH | ACK, 0, OPTIONS_BYE[:200]) + seg(1, ACK, 1) +
    seg(0, PSH | ACK, 0, OPTIONS_BYE[200:400]) + seg(0, FIN | ACK, 0) + seg(1, FIN | ACK, 0))
put("stream_tcp", "out_of_order_wrap",
    b"\x05" + struct.pack(">II", 0xfffffff0, 0x7ffffff0) +
    seg(0, ACK, 0) + seg(0, PSH | ACK, 64, "B" * 64) + seg(0, PSH | ACK, -128, "A" * 64) +
    seg(0, PSH | ACK, 64, "C" * 32) + seg(0, PSH | ACK, -96, "C" * 32) + seg(1, ACK, 0, "resp"))
put("stream_tcp", "retransmit_overlap_rst",
    b"\x1a" + struct.pack(">II", 4242, 9999) + hs +
    seg(0, ACK, 0, "INVITE sip:x SIP/2.0\r\n") + seg(0, ACK, -10, "DIFFERENT DATA HERE") +
    seg(0, ACK, 20, "held") + seg(0, ACK, -4, "HELD") + seg(1, RST, 0) + seg(0, ACK, 0, "late"))
put("stream_tcp", "midstream_gaps_sweep",
    b"\xc3" + struct.pack(">II", 77, 88) +
    seg(2, ACK, 0, "x" * 30) + seg(2, ACK, 100, "y" * 30) + seg(2, ACK, 100, "z" * 30) +
    seg(4 | 3, ACK, 0, "w" * 10) + seg(0, ACK, 0, "v" * 10))

# Truthful mode (top bit of byte 1): records carry a length but no bytes;
# every copy of a sequence number carries the same byte.
def tseg(ctl, flags, delta, length):
    return bytes([ctl, flags]) + struct.pack(">h", delta) + bytes([length])


put("stream_tcp", "truthful_reorder_wrap",
    b"\x00" + struct.pack(">II", 0xffffff80, 0x80000010) +
    tseg(0, SYN, 0, 0) + tseg(1, SYN | ACK, 0, 0) + tseg(0, ACK, 1, 0) +
    tseg(0, ACK, 100, 50) + tseg(0, ACK, -150, 60) + tseg(0, ACK, -20, 90) +
    tseg(0, ACK, -200, 255) + tseg(1, ACK, 1, 40) + tseg(1, ACK, 60, 40) + tseg(1, ACK, -100, 200) +
    tseg(0, FIN | ACK, 0, 0))
put("stream_tcp", "truthful_tight_limits",
    b"\x15" + struct.pack(">II", 0x80000000, 12345) +
    tseg(0, ACK, 0, 10) + tseg(0, ACK, 30, 20) + tseg(0, ACK, 30, 20) + tseg(0, ACK, -70, 40) +
    tseg(0, ACK, 500, 100) + tseg(2, ACK, 0, 5) + tseg(4 | 2, ACK, 9, 5) + tseg(0, RST, 0, 0) +
    tseg(0, SYN, 1000, 0) + tseg(0, ACK, 1, 30))

# ---------------------------------------------------------------- frames

def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ip4(src, dst, proto, l4, ident=1, frag=0, ttl=64):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, frag, ttl, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + l4


def l4_ip4(src, dst, proto, l4, ck_off):
    ph = src + dst + struct.pack("!BBH", 0, proto, len(l4))
    c = csum(ph + l4)
    return l4[:ck_off] + struct.pack("!H", c) + l4[ck_off + 2:]


def l4_ip6(src, dst, proto, l4, ck_off):
    ph = src + dst + struct.pack("!IxxxB", len(l4), proto)
    c = csum(ph + l4)
    return l4[:ck_off] + struct.pack("!H", c) + l4[ck_off + 2:]


def udp(sp, dp, payload):
    return struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload


def tcp(sp, dp, seq, ack, flags, payload, opts=b""):
    off = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sp, dp, seq, ack, off << 4, flags, 65535, 0, 0) + opts + payload


A = bytes([192, 0, 2, 10])
B = bytes([192, 0, 2, 5])
A6 = bytes.fromhex("20010db8000000000000000000000010")
B6 = bytes.fromhex("20010db8000000000000000000000005")
ETH = bytes.fromhex("020000000005" "02000000000a")
sip_small = OPTIONS_BYE.split("\r\n\r\n")[0].encode() + b"\r\n\r\n"

u = l4_ip4(A, B, 17, udp(5060, 5060, sip_small), 6)
v4udp = ip4(A, B, 17, u)
t = l4_ip4(A, B, 6, tcp(40000, 5060, 1000, 2000, PSH | ACK, TRYING[:120].encode(),
                        b"\x02\x04\x05\xb4\x01\x01\x04\x02"), 16)
v4tcp = ip4(A, B, 6, t)
u6 = l4_ip6(A6, B6, 17, udp(5060, 5060, sip_small[:200]), 6)
v6udp = struct.pack("!IHBB", 0x60000000, len(u6), 17, 64) + A6 + B6 + u6
# IPv6 with hop-by-hop then a fragment header (first fragment, M=1).
frag_payload = u6[:64]
v6frag = (struct.pack("!IHBB", 0x60000000, 8 + 8 + len(frag_payload), 0, 64) + A6 + B6 +
          bytes([44, 0, 1, 4, 0, 0, 0, 0]) + bytes([17, 0]) + struct.pack("!HI", 0x0001, 0x1234) +
          frag_payload)
v4frag = ip4(A, B, 17, u[:64], ident=77, frag=0x2000)

LT = {"en10mb": 0, "raw": 1, "null": 2, "loop": 3, "sll": 4, "sll2": 5, "ipv4": 6, "ipv6": 7}
put("decode", "eth_ipv4_udp_sip", bytes([LT["en10mb"]]) + ETH + b"\x08\x00" + v4udp)
put("decode", "eth_qinq_ipv4_tcp", bytes([LT["en10mb"]]) + ETH + b"\x88\xa8\x00\x64\x81\x00\x00\xc8\x08\x00" + v4tcp)
put("decode", "eth_ipv6_udp", bytes([LT["en10mb"]]) + ETH + b"\x86\xdd" + v6udp)
put("decode", "raw_ipv4_frag", bytes([LT["raw"]]) + v4frag)
put("decode", "raw_ipv6_hbh_frag", bytes([LT["raw"]]) + v6frag)
put("decode", "null_ipv4_tcp", bytes([LT["null"]]) + b"\x02\x00\x00\x00" + v4tcp)
put("decode", "loop_ipv6", bytes([LT["loop"]]) + b"\x00\x00\x00\x18" + v6udp)
put("decode", "sll_ipv4_udp", bytes([LT["sll"]]) + bytes.fromhex("0000" "0001" "0006" "02000000000a0000" "0800") + v4udp)
put("decode", "sll2_ipv6_udp", bytes([LT["sll2"]]) + bytes.fromhex("86dd" "0000" "00000002" "0001" "00" "06" "02000000000a0000") + v6udp)
put("decode", "ipv4_truncated_tcp", bytes([LT["ipv4"] | 0x10]) + v4tcp[:60])
put("decode", "ipv6_udp", bytes([LT["ipv6"]]) + v6udp)
