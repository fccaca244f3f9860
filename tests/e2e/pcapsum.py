#!/usr/bin/env python3
"""One line per UDP/IPv4 packet of a pcap file, for the e2e tests to count
with awk (standard library only, so it needs neither tshark nor scapy).

  pcapsum.py FILE.pcap

Tab-separated columns:
  1 time (seconds.microseconds)   2 source address   3 source port
  4 destination address           5 destination port
  6 kind: REQ (a SIP request), RESP (a SIP response), RTP (RTP version 2),
    UDP (anything else)
  7 method (REQ), status code (RESP), payload type (RTP), "-" (UDP)
  8 Call-ID ("-" if none)   9 CSeq method ("-" if none)
  10 User-Agent ("-" if none)
Link types: Ethernet (tcpdump -i eth0, also Linux's lo), Linux cooked v1
and v2 (tcpdump -i any); 802.1Q tags are skipped. IP fragments after the
first are left out (their UDP header is in the first).
"""
import struct
import sys

LINKTYPE_ETHERNET, LINKTYPE_SLL, LINKTYPE_SLL2 = 1, 113, 276


def header(text, name, compact):
    for line in text.split("\r\n")[1:]:
        if not line:
            break
        k, sep, v = line.partition(":")
        if sep and k.strip().lower() in (name, compact):
            return v.strip()
    return "-"


def udp_packets(path):
    """Yields (time, src, sport, dst, dport, payload) for each UDP/IPv4
    packet of the pcap file (a capture still being written is read up to
    its last whole record)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        sys.exit("%s: not a pcap file (pcapng is not read here)" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        if off + 16 + caplen > len(data):
            break
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if linktype == LINKTYPE_ETHERNET:
            if len(pkt) < 14:
                continue
            etype, l3 = struct.unpack("!H", pkt[12:14])[0], 14
            while etype in (0x8100, 0x88A8) and len(pkt) >= l3 + 4:
                etype = struct.unpack("!H", pkt[l3 + 2:l3 + 4])[0]
                l3 += 4
        elif linktype == LINKTYPE_SLL:
            if len(pkt) < 16:
                continue
            etype, l3 = struct.unpack("!H", pkt[14:16])[0], 16
        elif linktype == LINKTYPE_SLL2:
            if len(pkt) < 20:
                continue
            etype, l3 = struct.unpack("!H", pkt[0:2])[0], 20
        else:
            sys.exit("%s: link type %d is not read here" % (path, linktype))
        if etype != 0x0800 or len(pkt) < l3 + 20:
            continue
        ip = pkt[l3:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17 or struct.unpack("!H", ip[6:8])[0] & 0x1FFF:
            continue
        udp = ip[ihl:]
        if len(udp) < 8:
            continue
        sport, dport = struct.unpack("!HH", udp[0:4])
        t = "%d.%06d" % (sec, frac // 1000 if nano else frac)
        yield (t, "%d.%d.%d.%d" % tuple(ip[12:16]), sport,
               "%d.%d.%d.%d" % tuple(ip[16:20]), dport, udp[8:])


def sip_start(text):
    """("REQ", method) or ("RESP", code) for a SIP message, else None."""
    first = text.split("\r\n", 1)[0]
    parts = first.split(" ")
    if first.startswith("SIP/2.0 ") and len(parts) >= 2:
        return "RESP", parts[1]
    if len(parts) == 3 and parts[2] == "SIP/2.0" and parts[0].isupper():
        return "REQ", parts[0]
    return None


def summarize(path, out):
    for t, src, sport, dst, dport, payload in udp_packets(path):
        kind, what, callid, cseq, ua = "UDP", "-", "-", "-", "-"
        text = payload.decode("latin-1")
        start = sip_start(text)
        if start:
            kind, what = start
        elif len(payload) >= 12 and payload[0] >> 6 == 2:
            kind, what = "RTP", str(payload[1] & 0x7F)
        if start:
            callid = header(text, "call-id", "i")
            c = header(text, "cseq", "cseq").split()
            cseq = c[1] if len(c) == 2 else "-"
            ua = header(text, "user-agent", "user-agent")
        out.write("\t".join((t, src, str(sport), dst, str(dport), kind, what,
                             callid, cseq, ua.replace("\t", " "))) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    summarize(sys.argv[1], sys.stdout)
