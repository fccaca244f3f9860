#!/usr/bin/env python3
"""Readable summary of a sipwire EVE log.

    tools/eve_summary.py OUTDIR/eve.json      (or OUTDIR, or - for stdin)

Prints calls (from `call` records), registrations (REGISTER transactions
from `sip` records), transactions per method and response code, anomalies
by name, and top talkers (from `flow` records, else from packet headers).
Python 3 standard library only. Every key is optional: records written by
an older or newer sipwire, or by Suricata, are summarised as far as they go.
"""

import collections
import json
import os
import re
import sys

URI_USER = re.compile(r"sips?:([^@;>\s]+)@")
DISPLAY = re.compile(r'^\s*"([^"]*)"')


def get(d, *path, default=None):
    """d[path[0]][path[1]]... or default when any step is missing."""
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def num(v, default=0):
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def party(name_addr, fallback="?"):
    """'"Alice" <sip:1001@pbx>;tag=x' -> '1001 (Alice)'."""
    if not isinstance(name_addr, str) or not name_addr:
        return fallback
    m = URI_USER.search(name_addr)
    user = m.group(1) if m else None
    d = DISPLAY.match(name_addr)
    disp = d.group(1) if d and d.group(1) else None
    if user and disp and disp != user:
        return "%s (%s)" % (user, disp)
    return user or disp or fallback


def transport(rec):
    proto = rec.get("proto") or "?"
    v = rec.get("ip_v")
    return "%s/IPv%s" % (proto, v) if v else str(proto)


def table(rows, header, out):
    """Left-aligned columns, numbers right-aligned."""
    if not rows:
        out.write("  (none)\n")
        return
    rows = [[str(c) for c in r] for r in rows]
    header = [str(h) for h in header]
    width = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    numeric = [all(re.fullmatch(r"-?[0-9]+(\.[0-9]+)?|-", r[i] or "-") for r in rows) for i in range(len(header))]

    def line(cells):
        parts = []
        for i, c in enumerate(cells):
            parts.append(c.rjust(width[i]) if numeric[i] else c.ljust(width[i]))
        return "  " + "  ".join(parts).rstrip() + "\n"

    out.write(line(header))
    out.write("  " + "  ".join("-" * w for w in width) + "\n")
    for r in rows:
        out.write(line(r))


def load(path):
    if path == "-":
        f = sys.stdin
    else:
        if os.path.isdir(path):
            path = os.path.join(path, "eve.json")
        f = open(path, encoding="utf-8", errors="replace")
    recs, bad = [], 0
    with f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if isinstance(r, dict):
                recs.append(r)
            else:
                bad += 1
    return recs, bad


def call_rows(calls):
    rows = []
    for r in sorted(calls, key=lambda r: (get(r, "call", "start") or r.get("timestamp") or "")):
        c = r.get("call") or {}
        caller = party(c.get("from"), r.get("src_ip") or "?")
        callee = party(c.get("to"), "")
        if not callee:
            callee = party(c.get("request_uri"), r.get("dest_ip") or "?")
        state = c.get("state") or "?"
        end = c.get("end") or ""
        code = c.get("final_code")
        outcome = {"bye": "answered", "cancel": "cancelled", "rejected": "rejected"}.get(end, end or state)
        if code and end != "bye":
            outcome += " %s" % code
        by = c.get("ended_by")
        if end == "bye" and by:
            outcome += ", %s hung up" % by
        dur = c.get("duration_ms")
        dur = "%.1f" % (num(dur) / 1000.0) if dur is not None else "-"
        rtp = [0, 0]
        media = c.get("media") if isinstance(c.get("media"), list) else []
        for m in media:
            p = m.get("rtp_packets") if isinstance(m, dict) else None
            if isinstance(p, dict):
                rtp[0] += num(p.get("caller"))
                rtp[1] += num(p.get("callee"))
            elif p is not None:
                rtp[0] += num(p)
        rows.append([caller, "->", callee, transport(r), state, outcome, dur,
                     "%d/%d" % (rtp[0], rtp[1]) if media else "-"])
    return rows


def reg_rows(sips):
    """One row per AOR and source: the sequence of answers it got."""
    regs = collections.OrderedDict()
    for r in sips:
        s = r.get("sip") or {}
        if (s.get("method") or "").upper() != "REGISTER":
            continue
        reg = s.get("registration") if isinstance(s.get("registration"), dict) else {}
        aor = reg.get("aor") or party(s.get("to"), "?")
        key = (aor, r.get("src_ip") or "?")
        e = regs.setdefault(key, {"codes": [], "auth": None, "action": None, "expires": None, "ua": None})
        e["codes"].append(str(s.get("code") or "none"))
        e["auth"] = s.get("auth_user") or e["auth"]
        e["action"] = reg.get("action") or e["action"]
        if reg.get("expires") is not None:
            e["expires"] = reg.get("expires")
        e["ua"] = s.get("user_agent") or e["ua"]
    rows = []
    for (aor, src), e in regs.items():
        final = e["codes"][-1]
        result = "registered" if final.startswith("2") else "FAILED" if final[:1] in "3456" else "no answer"
        rows.append([aor, src, " -> ".join(e["codes"]), result, e["action"] or "-",
                     e["expires"] if e["expires"] is not None else "-", e["auth"] or "-", e["ua"] or "-"])
    return rows


def txn_rows(sips):
    per = collections.defaultdict(collections.Counter)
    for r in sips:
        s = r.get("sip") or {}
        m = s.get("method") or "(response only)"
        per[m][str(s.get("code") or "none")] += 1
    rows = []
    for m in sorted(per, key=lambda m: (-sum(per[m].values()), m)):
        codes = ", ".join("%s x%d" % (c, n) for c, n in sorted(per[m].items()))
        rows.append([m, sum(per[m].values()), codes])
    return rows


def talkers(flows, recs, n=8):
    pk, by, peers = collections.Counter(), collections.Counter(), collections.defaultdict(set)
    if flows:
        for r in flows:
            f = r.get("flow") or {}
            src, dst = r.get("src_ip"), r.get("dest_ip")
            if src:
                pk[src] += num(f.get("pkts_toserver"))
                by[src] += num(f.get("bytes_toserver"))
                if dst:
                    peers[src].add(dst)
            if dst:
                pk[dst] += num(f.get("pkts_toclient"))
                by[dst] += num(f.get("bytes_toclient"))
                if src:
                    peers[dst].add(src)
    else:
        for r in recs:
            src, dst = r.get("src_ip"), r.get("dest_ip")
            if src:
                pk[src] += 1
                if dst:
                    peers[src].add(dst)
    return [[ip, pk[ip], by[ip] if flows else "-", len(peers[ip])]
            for ip, _ in sorted(pk.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def sip_senders(sips, n=5):
    """Who sends SIP requests to how many hosts, and with which agents (scanners stand out)."""
    reqs, dsts, uas = collections.Counter(), collections.defaultdict(set), collections.defaultdict(set)
    for r in sips:
        s = r.get("sip") or {}
        src = r.get("src_ip")
        if not src or not s.get("method"):
            continue
        reqs[src] += 1
        if r.get("dest_ip"):
            dsts[src].add(r.get("dest_ip"))
        if s.get("user_agent"):
            uas[src].add(s.get("user_agent"))
    return [[ip, c, len(dsts[ip]), ", ".join(sorted(uas[ip]))[:60] or "-"]
            for ip, c in sorted(reqs.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: eve_summary.py EVE.json|LOGDIR|-\n")
        return 2
    try:
        recs, bad = load(argv[1])
    except OSError as e:
        sys.stderr.write("eve_summary.py: %s\n" % e)
        return 1
    by_type = collections.defaultdict(list)
    for r in recs:
        by_type[r.get("event_type") or "?"].append(r)
    out = sys.stdout
    counts = ", ".join("%d %s" % (len(v), k) for k, v in sorted(by_type.items()))
    out.write("EVE log: %d records (%s)%s\n" % (len(recs), counts or "none",
                                              ", %d unreadable lines" % bad if bad else ""))
    stats = by_type.get("stats")
    if stats:
        st = stats[-1].get("stats") or {}
        dec, flow = st.get("decoder") or {}, st.get("flow") or {}
        sip = get(st, "sipwire", "sip", default={}) or {}
        media = get(st, "sipwire", "media", default={}) or {}
        out.write("Traffic: %s packets, %s bytes, %s flows, %s SIP messages (%s UDP, %s TCP), %s RTP packets\n" % (
            dec.get("pkts", "?"), dec.get("bytes", "?"), flow.get("total", "?"),
            num(sip.get("messages_udp")) + num(sip.get("messages_tcp")),
            sip.get("messages_udp", "?"), sip.get("messages_tcp", "?"), media.get("rtp_pkts", "?")))
    times = sorted(r.get("timestamp") for r in recs if isinstance(r.get("timestamp"), str))
    if times:
        out.write("Time: %s .. %s\n" % (times[0], times[-1]))

    calls = by_type.get("call", [])
    out.write("\nCalls (%d dialogs)\n" % len(calls))
    table(call_rows(calls), ["caller", "", "callee", "via", "state", "outcome", "talk s", "RTP caller/callee"], out)

    sips = by_type.get("sip", [])
    rows = reg_rows(sips)
    out.write("\nRegistrations (%d REGISTER transactions)\n" % sum(1 for r in sips if (get(r, "sip", "method") or "").upper() == "REGISTER"))
    table(rows, ["AOR", "from", "answers", "result", "action", "expires", "auth user", "user agent"], out)

    out.write("\nSIP transactions (%d) by method and final response\n" % len(sips))
    table(txn_rows(sips), ["method", "count", "responses"], out)

    anoms = by_type.get("anomaly", [])
    c = collections.Counter()
    srcs = collections.defaultdict(set)
    for r in anoms:
        a = r.get("anomaly") or {}
        name = a.get("event") or a.get("type") or "?"
        c[name] += 1
        if r.get("src_ip"):
            srcs[name].add(r.get("src_ip"))
    out.write("\nAnomalies (%d)\n" % len(anoms))
    table([[n, k, ", ".join(sorted(srcs[n])) or "-"] for n, k in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))],
          ["event", "count", "sources"], out)

    alerts = by_type.get("alert", [])
    ac = collections.Counter((get(r, "alert", "signature_id"), get(r, "alert", "signature") or "?",
                              get(r, "alert", "action") or "?") for r in alerts)
    asrc = collections.defaultdict(set)
    for r in alerts:
        asrc[get(r, "alert", "signature_id")].add(r.get("src_ip") or "?")
    out.write("\nAlerts (%d)\n" % len(alerts))
    table([[sid, sig, act, n, ", ".join(sorted(asrc[sid]))] for (sid, sig, act), n in ac.most_common()],
          ["sid", "signature", "action", "count", "sources"], out)

    blocks = [r for r in by_type.get("block", []) if get(r, "block", "action") == "block"]
    drops = collections.Counter((r.get("src_ip") or "?", get(r, "drop", "reason") or "?") for r in by_type.get("drop", []))
    out.write("\nBlocked sources (%d) and packets dropped (%d)\n" % (len(blocks), sum(drops.values())))
    rows = []
    for b in blocks:
        ip = get(b, "block", "ip") or "?"
        rows.append([ip, "%s s" % get(b, "block", "seconds", default="?"), get(b, "block", "signature_id", default="?"),
                     get(b, "block", "reason") or "?", drops.get((ip, "rules"), 0) + drops.get((ip, "blocked"), 0)])
    table(rows, ["source", "for", "sid", "reason", "packets dropped"], out)

    out.write("\nTop talkers (%s)\n" % ("by packets sent, from flow records" if by_type.get("flow") else "by records"))
    table(talkers(by_type.get("flow", []), recs), ["address", "packets", "bytes", "peers"], out)
    out.write("\nTop SIP request senders\n")
    table(sip_senders(sips), ["address", "requests", "destinations", "user agents"], out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:
        sys.exit(0)
