#!/usr/bin/env python3
"""One SIP call over UDP for the inline benchmark (tools/bench_inline.sh):
a caller (uac) in the lab's phone and a callee (uas) on the PBX side, so
that sipwire sees an INVITE with an SDP offer and its 200 OK with the
answer, ties the RTP flow they announce to the call and offloads it.

  bench_call.py uas --bind 192.0.2.5:5060 --rtp 18002 [--seconds 300]
  bench_call.py uac --bind 192.0.2.10:5060 --to 192.0.2.5:5060 --rtp 18000 [--seconds 300]

uac: INVITE (SDP offer: its address, m=audio RTP PORT, PCMU) -> 200 OK
(SDP answer) -> ACK; prints "confirmed" and waits; on SIGTERM or SIGINT
(or after SECONDS) sends a BYE, waits for its 200, prints "ended" and
exits. Requests are retransmitted every 0.5 s, 6 times at most (RFC 3261
timer A, not doubled). Exits 1 when the INVITE or the BYE is not answered.
uas: answers each INVITE (and its retransmissions) with the same 200 OK
(SDP answer: its address, m=audio RTP PORT), each BYE with a 200 OK, and
exits after answering a BYE (or after SECONDS). Other requests: 200 OK.
Messages it got and sent go to stdout, one summary line each.
"""
import argparse
import random
import select
import signal
import socket
import sys
import time

T1 = 0.5
TRIES = 6


def hexid(n=16):
    return "%0*x" % (n, random.getrandbits(4 * n))


def addr(s):
    h, _, p = s.rpartition(":")
    return h, int(p)


def sdp(ip, port):
    return ("v=0\r\n"
            "o=bench %d 1 IN IP4 %s\r\n"
            "s=-\r\n"
            "c=IN IP4 %s\r\n"
            "t=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n") % (random.randint(1, 1 << 30), ip, ip, port)


def message(start, headers, body=""):
    h = "".join("%s: %s\r\n" % kv for kv in headers)
    if body:
        h += "Content-Type: application/sdp\r\n"
    return ("%s\r\n%sContent-Length: %d\r\n\r\n%s" % (start, h, len(body.encode()), body)).encode()


def parse(data):
    """(start line, {lower-case name: [values]}, body) or None."""
    try:
        text = data.decode("utf-8", "replace")
    except Exception:
        return None
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            hdrs.setdefault(name.strip().lower(), []).append(value.strip())
    return lines[0], hdrs, body


def first(hdrs, name):
    v = hdrs.get(name)
    return v[0] if v else ""


def say(*a):
    print(*a, flush=True)


def uas(args):
    ip, port = addr(args.bind)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    tag = hexid(8)
    answer = sdp(ip, args.rtp)
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            continue
        data, peer = s.recvfrom(65535)
        m = parse(data)
        if not m or m[0].startswith("SIP/2.0"):
            continue
        start, hdrs, _ = m
        method = start.split(" ", 1)[0]
        say("uas: got %s from %s:%d" % (method, peer[0], peer[1]))
        if method == "ACK":
            continue
        to = first(hdrs, "to")
        if ";tag=" not in to:
            to += ";tag=" + tag
        headers = [("Via", v) for v in hdrs.get("via", [])]
        headers += [("From", first(hdrs, "from")), ("To", to),
                    ("Call-ID", first(hdrs, "call-id")), ("CSeq", first(hdrs, "cseq")),
                    ("Contact", "<sip:bench@%s:%d>" % (ip, port)),
                    ("User-Agent", "bench_call/1 (sipwire inline benchmark)")]
        body = answer if method == "INVITE" else ""
        s.sendto(message("SIP/2.0 200 OK", headers, body), peer)
        say("uas: sent 200 OK to %s" % method)
        if method == "BYE":
            return 0
    return 0


class Uac:
    def __init__(self, args):
        self.ip, self.port = addr(args.bind)
        self.to = addr(args.to)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((self.ip, self.port))
        self.call_id = "%s@%s" % (hexid(), self.ip)
        self.from_ = '"Phone 100" <sip:100@%s>;tag=%s' % (self.ip, hexid(8))
        self.to_uri = "sip:200@%s" % self.to[0]
        self.to_hdr = "<%s>" % self.to_uri
        self.target = self.to_uri
        self.rtp = args.rtp

    def request(self, method, cseq, body="", branch=None):
        branch = branch or "z9hG4bK-" + hexid()
        headers = [("Via", "SIP/2.0/UDP %s:%d;branch=%s;rport" % (self.ip, self.port, branch)),
                   ("Max-Forwards", "70"), ("From", self.from_), ("To", self.to_hdr),
                   ("Call-ID", self.call_id), ("CSeq", "%d %s" % (cseq, method)),
                   ("Contact", "<sip:100@%s:%d>" % (self.ip, self.port)),
                   ("User-Agent", "bench_call/1 (sipwire inline benchmark)")]
        return message("%s %s SIP/2.0" % (method, self.target), headers, body)

    def transaction(self, method, cseq, body=""):
        """Sends the request until a final response to it: (code, headers) or None."""
        msg = self.request(method, cseq, body)
        for _ in range(TRIES):
            self.s.sendto(msg, self.to)
            say("uac: sent %s" % method)
            end = time.monotonic() + T1
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    break
                r, _, _ = select.select([self.s], [], [], left)
                if not r:
                    break
                m = parse(self.s.recvfrom(65535)[0])
                if not m or not m[0].startswith("SIP/2.0 "):
                    continue
                start, hdrs, _ = m
                code = int(start.split(" ")[1])
                if first(hdrs, "cseq") != "%d %s" % (cseq, method) or code < 200:
                    continue
                say("uac: got %d to %s" % (code, method))
                return code, hdrs
        return None


def uac(args):
    u = Uac(args)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    r = u.transaction("INVITE", 1, sdp(u.ip, args.rtp))
    if not r:
        say("uac: no answer to the INVITE")
        return 1
    code, hdrs = r
    if code >= 300:
        say("uac: INVITE failed: %d" % code)
        return 1
    u.to_hdr = first(hdrs, "to")
    contact = first(hdrs, "contact")
    if "<" in contact:
        u.target = contact.split("<", 1)[1].split(">", 1)[0]
    u.s.sendto(u.request("ACK", 1), u.to)
    say("uac: sent ACK")
    say("confirmed")
    end = time.monotonic() + args.seconds
    while not stop and time.monotonic() < end:
        # 200 retransmissions (a lost ACK): acknowledge again
        r, _, _ = select.select([u.s], [], [], 0.1)
        if r:
            m = parse(u.s.recvfrom(65535)[0])
            if m and m[0].startswith("SIP/2.0 200") and first(m[1], "cseq") == "1 INVITE":
                u.s.sendto(u.request("ACK", 1), u.to)
    r = u.transaction("BYE", 2)
    if not r:
        say("uac: no answer to the BYE")
        return 1
    say("ended")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("role", choices=["uac", "uas"])
    ap.add_argument("--bind", required=True)
    ap.add_argument("--to")
    ap.add_argument("--rtp", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=300)
    args = ap.parse_args()
    if args.role == "uac" and not args.to:
        ap.error("uac needs --to")
    return uas(args) if args.role == "uas" else uac(args)


if __name__ == "__main__":
    sys.exit(main())
