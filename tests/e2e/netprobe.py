#!/usr/bin/env python3
"""Small network probes for the e2e tests, standard library only.

  netprobe.py recv ADDR PORT SECONDS READYFILE [MAX [OUT]]
      Binds UDP ADDR:PORT, creates READYFILE once bound, counts the
      datagrams that arrive within SECONDS (or until MAX have; 0: no
      limit) and prints the count. With OUT, each datagram's payload is
      appended to OUT as one line, as it arrives.
  netprobe.py send ADDR PORT COUNT [SPORT [PAYLOAD...]]
      Sends COUNT UDP datagrams to ADDR:PORT from source port SPORT (one
      flow), 20 ms apart: a small OPTIONS each, or the PAYLOADs in turn.
  netprobe.py nfq QUEUE MARK SECONDS READYFILE
      A minimal NFQUEUE consumer over raw netlink (what `sipwire -q` does
      when it offloads a flow): binds QUEUE, creates READYFILE, and answers
      every packet NF_REPEAT with mark MARK, so the bridge rules save the
      mark on the connection and the rest of the flow bypasses the queue.
      Prints the number of packets it was given so far after each one (the
      last line is the total) and exits after SECONDS. After 100
      packets it answers NF_ACCEPT without a mark: a rule set that does not
      honour the mark cannot make it loop for ever.
  netprobe.py sniff IFACE OUT SECONDS
      A packet socket on IFACE: one line per IPv4 UDP or TCP packet that
      arrives, appended to OUT, "vlan proto src sport dst dport seq
      paylen call-id first-line" (vlan 0: untagged, whether the tag was in
      the frame or the kernel moved it into the socket's auxiliary data;
      seq 0 for UDP; call-id and first line "-" unless the payload is SIP).
      Left out: packets whose headers are not all there, shorter than their
      IP total length, or fragments after the first; bytes after the total
      length are padding, not payload.
  netprobe.py frame IFACE VLAN SMAC DMAC SRC DST SPORT DPORT
      Sends one hand-made Ethernet frame on IFACE, tagged 802.1Q VLAN (0:
      untagged), carrying IPv4/UDP with the payload read from stdin.
  netprobe.py tcp-gap SRC DST DPORT SPORT COUNT
      Raw IPv4: a SYN from SRC:SPORT (ISN 1000), then COUNT 1000-byte
      segments that start 2000 bytes after it, in order, so that all of
      them are out of order for a reassembler; segment i starts at
      1000 + 1 + 2000 + i * 1000.
"""
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR, NFQA_MARK = 1, 2, 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_ACCEPT, NF_REPEAT = 1, 4


def touch(path):
    with open(path, "w"):
        pass


def recv(addr, port, seconds, ready, most=0, out=None):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    o = open(out, "a", buffering=1) if out else None
    touch(ready)
    end = time.monotonic() + float(seconds)
    n = 0
    while not (int(most) and n >= int(most)):
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            d = s.recv(65535)
            n += 1
        except socket.timeout:
            break
        if o:
            o.write(d.decode("latin-1") + "\n")
    print(n)


def send(addr, port, count, sport=0, *payloads):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(sport)))
    for i in range(int(count)):
        if payloads:
            m = payloads[i % len(payloads)].encode("latin-1")
        else:
            m = b"OPTIONS sip:probe SIP/2.0\r\nX-Probe: %d\r\n\r\n" % i
        s.sendto(m, (addr, int(port)))
        time.sleep(0.02)


def nlattr(t, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, t) + data + b"\0" * ((4 - n % 4) % 4)


def nlmsg(mtype, flags, seq, queue, attrs):
    body = struct.pack(">BBH", socket.AF_UNSPEC, 0, queue) + attrs
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | mtype, flags, seq, 0) + body


def messages(buf):
    off = 0
    while off + 16 <= len(buf):
        n, mtype, _flags, seq, _pid = struct.unpack_from("=IHHII", buf, off)
        if n < 16:
            break
        yield mtype, seq, buf[off + 16:off + n]
        off += (n + 3) & ~3


def attrs(data):
    off = 0
    while off + 4 <= len(data):
        n, t = struct.unpack_from("=HH", data, off)
        if n < 4:
            break
        yield t & 0x3FFF, data[off + 4:off + n]
        off += (n + 3) & ~3


def nfq(queue, mark, seconds, ready):
    queue, mark = int(queue), int(mark, 0)
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    s.settimeout(5)
    cmd = nlattr(NFQA_CFG_CMD, struct.pack(">BBH", NFQNL_CFG_CMD_BIND, 0, 0))
    params = nlattr(NFQA_CFG_PARAMS, struct.pack(">IB", 0, NFQNL_COPY_META))
    for seq, a in ((1, cmd), (2, params)):
        s.send(nlmsg(NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq, queue, a))
        for mtype, _seq, data in messages(s.recv(65536)):
            if mtype == NLMSG_ERROR:
                err = struct.unpack_from("=i", data)[0]
                if err != 0:
                    sys.exit("nfq: config step %d failed: errno %d" % (seq, -err))
    touch(ready)
    end = time.monotonic() + float(seconds)
    n = 0
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            buf = s.recv(65536)
        except socket.timeout:
            break
        for mtype, _seq, data in messages(buf):
            if mtype != (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                continue
            for t, v in attrs(data[4:]):
                if t == NFQA_PACKET_HDR:
                    pid = struct.unpack_from(">I", v)[0]
                    n += 1
                    if n <= 100:
                        a = nlattr(NFQA_VERDICT_HDR, struct.pack(">II", NF_REPEAT, pid))
                        a += nlattr(NFQA_MARK, struct.pack(">I", mark))
                    else:
                        a = nlattr(NFQA_VERDICT_HDR, struct.pack(">II", NF_ACCEPT, pid))
                    s.send(nlmsg(NFQNL_MSG_VERDICT, NLM_F_REQUEST, 0, queue, a))
                    print(n, flush=True)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def ipv4(src, dst, proto, seg):
    """An IPv4 packet carrying the UDP or TCP segment seg (its checksum
    field zero): both checksums filled in."""
    sa, da = socket.inet_aton(src), socket.inet_aton(dst)
    at = 6 if proto == 17 else 16
    c = csum(sa + da + struct.pack("!BBH", 0, proto, len(seg)) + seg)
    if proto == 17 and c == 0:
        c = 0xffff
    seg = seg[:at] + struct.pack("!H", c) + seg[at + 2:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 7, 0x4000, 64, proto, 0, sa, da)
    return ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + seg


def sniff_line(f, vlan):
    """sniff's line for Ethernet frame f (vlan: the tag the kernel gave in
    auxiliary data, 0 if none), or None unless f is IPv4 UDP or TCP."""
    if len(f) < 14:
        return None
    at, et = 14, struct.unpack("!H", f[12:14])[0]
    while et in (0x8100, 0x88a8) and len(f) >= at + 4:
        vlan = struct.unpack("!H", f[at:at + 2])[0] & 0xfff
        et = struct.unpack("!H", f[at + 2:at + 4])[0]
        at += 4
    ip = f[at:]
    # Every length and offset from the packet is checked against what
    # arrived: IPv4 with a header of at least 20 bytes, a total length
    # within the frame (what follows it is padding), not a fragment after
    # the first, and a whole UDP or TCP header.
    if et != 0x0800 or len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] not in (6, 17):
        return None
    ihl = (ip[0] & 15) * 4
    tot = struct.unpack("!H", ip[2:4])[0]
    if ihl < 20 or not ihl <= tot <= len(ip) or struct.unpack("!H", ip[6:8])[0] & 0x1fff:
        return None
    ip = ip[:tot]
    if len(ip) < ihl + (20 if ip[9] == 6 else 8):
        return None
    sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
    if ip[9] == 6:
        seq = struct.unpack("!I", ip[ihl + 4:ihl + 8])[0]
        doff = (ip[ihl + 12] >> 4) * 4
        if doff < 20 or ihl + doff > len(ip):
            return None
        pl = ip[ihl + doff:]
    else:
        seq, pl = 0, ip[ihl + 8:]
    cid, first = "-", "-"
    if pl.startswith(b"SIP/2.0") or pl[:1].isalpha() and b" SIP/2.0\r\n" in pl[:200]:
        lines = pl.split(b"\r\n")
        first = lines[0].decode("latin-1")
        ids = [l[9:] for l in lines if l.startswith(b"Call-ID: ")]
        cid = ids[0].decode("latin-1") if ids else "-"
    return "%d %s %s %d %s %d %d %d %s %s\n" % (
        vlan, "tcp" if ip[9] == 6 else "udp", socket.inet_ntoa(ip[12:16]), sport,
        socket.inet_ntoa(ip[16:20]), dport, seq, len(pl), cid, first)


def sniff(iface, out, seconds):
    PACKET_AUXDATA, TP_STATUS_VLAN_VALID = 8, 0x10
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.setsockopt(263, PACKET_AUXDATA, 1)  # SOL_PACKET
    s.bind((iface, 0))
    end = time.monotonic() + float(seconds)
    with open(out, "a", buffering=1) as o:
        while time.monotonic() < end:
            s.settimeout(max(0.01, end - time.monotonic()))
            try:
                f, anc, _, _ = s.recvmsg(65535, socket.CMSG_SPACE(20))
            except socket.timeout:
                break
            vlan = 0
            for lvl, typ, data in anc:
                if lvl == 263 and typ == PACKET_AUXDATA and len(data) >= 18:
                    st, _, _, _, _, tci = struct.unpack("IIIHHH", data[:18])
                    if st & TP_STATUS_VLAN_VALID:
                        vlan = tci & 0xfff
            line = sniff_line(f, vlan)
            if line:
                o.write(line)


def frame(iface, vlan, smac, dmac, src, dst, sport, dport):
    mac = lambda a: bytes(int(x, 16) for x in a.split(":"))
    pl = sys.stdin.buffer.read()
    udp = struct.pack("!HHHH", int(sport), int(dport), 8 + len(pl), 0) + pl
    tag = struct.pack("!HH", 0x8100, int(vlan)) if int(vlan) else b""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    s.send(mac(dmac) + mac(smac) + tag + struct.pack("!H", 0x0800) + ipv4(src, dst, 17, udp))


def tcp_gap(src, dst, dport, sport, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    isn = 1000

    def seg(seq, flags, data=b""):
        hdr = struct.pack("!HHIIBBHHH", int(sport), int(dport), seq, 1 if flags & 0x10 else 0,
                          5 << 4, flags, 65535, 0, 0)
        return ipv4(src, dst, 6, hdr + data)

    s.sendto(seg(isn, 0x02), (dst, 0))
    time.sleep(0.02)
    for i in range(int(count)):
        s.sendto(seg(isn + 1 + 2000 + i * 1000, 0x18, (b"%05d " % i) + b"x" * 994), (dst, 0))
        time.sleep(0.002)


if __name__ == "__main__":
    cmds = {"recv": recv, "send": send, "nfq": nfq, "sniff": sniff, "frame": frame, "tcp-gap": tcp_gap}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
