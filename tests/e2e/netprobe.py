#!/usr/bin/env python3
"""Small network probes for the e2e tests, standard library only.

  netprobe.py recv ADDR PORT SECONDS READYFILE [MAX]
      Binds UDP ADDR:PORT, creates READYFILE once bound, counts the
      datagrams that arrive within SECONDS (or until MAX have) and prints
      the count.
  netprobe.py send ADDR PORT COUNT [SPORT]
      Sends COUNT UDP datagrams to ADDR:PORT from source port SPORT (one
      flow), 20 ms apart.
  netprobe.py nfq QUEUE MARK SECONDS READYFILE
      A minimal NFQUEUE consumer over raw netlink (what `sipwire -q` does
      when it offloads a flow): binds QUEUE, creates READYFILE, and answers
      every packet NF_REPEAT with mark MARK, so the bridge rules save the
      mark on the connection and the rest of the flow bypasses the queue.
      Prints the number of packets it was given so far after each one (the
      last line is the total) and exits after SECONDS. After 100
      packets it answers NF_ACCEPT without a mark: a rule set that does not
      honour the mark cannot make it loop for ever.
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


def recv(addr, port, seconds, ready, most=0):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    touch(ready)
    end = time.monotonic() + float(seconds)
    n = 0
    while not (int(most) and n >= int(most)):
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            s.recv(2048)
            n += 1
        except socket.timeout:
            break
    print(n)


def send(addr, port, count, sport=0):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(sport)))
    for i in range(int(count)):
        s.sendto(b"OPTIONS sip:probe SIP/2.0\r\nX-Probe: %d\r\n\r\n" % i, (addr, int(port)))
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


if __name__ == "__main__":
    cmds = {"recv": recv, "send": send, "nfq": nfq}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
