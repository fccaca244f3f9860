#!/usr/bin/env python3
"""Checks one suricata-verify case's expectations against sipwire's eve.json.

usage: sv_check.py TEST_YAML EVE_JSON [EXCEPTIONS_FILE CASE]

Prints one TAP-ish line per check this script can judge ("PASS name" /
"FAIL name detail" / "XFAIL name why"), i.e. every `filter` check whose
match names event_type alert or drop: the alert and drop counts per
signature that Suricata must produce on the case's capture. Checks on other
event types (sip, flow, stats) are judged by tests/replay/cases.sh against
tshark, not here: sipwire pairs requests and responses into one `sip`
record where Suricata logs one per message.
"""
import json
import re
import sys

import yaml


def lookup(obj, path):
    """Value at a dotted path with [n] indexes (suricata-verify's syntax)."""
    for part in path.split("."):
        m = re.fullmatch(r"([^\[]+)((?:\[\d+\])*)", part)
        if not m or not isinstance(obj, dict) or m.group(1) not in obj:
            return KeyError
        obj = obj[m.group(1)]
        for idx in re.findall(r"\[(\d+)\]", m.group(2)):
            i = int(idx)
            if not isinstance(obj, list) or i >= len(obj):
                return KeyError
            obj = obj[i]
    return obj


def matches(ev, match):
    for k, want in match.items():
        got = lookup(ev, k)
        if got is KeyError:
            return False
        if isinstance(want, bool) or isinstance(got, bool):
            if got != want:
                return False
        elif str(got) != str(want):
            return False
    return True


def main():
    test = yaml.safe_load(open(sys.argv[1]))
    events = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
    xfail = {}
    if len(sys.argv) > 4:
        for line in open(sys.argv[3]):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            f = line.split(None, 2)
            if f[0] == sys.argv[4]:
                xfail[f[1]] = f[2] if len(f) > 2 else ""
    n = 0
    for chk in test.get("checks", []):
        flt = chk.get("filter") if isinstance(chk, dict) else None
        if not flt:
            continue
        match = flt.get("match", {}) or {}
        if match.get("event_type") not in ("alert", "drop"):
            continue
        n += 1
        want = flt.get("count")
        got = sum(1 for e in events if matches(e, match))
        desc = ",".join("%s=%s" % (k, v) for k, v in match.items() if k != "event_type")
        name = "%s %s count %s" % (match["event_type"], desc or "(any)", want)
        key = "%s:%s" % (match["event_type"], desc or "any")
        if want is None:
            ok = got > 0
        else:
            ok = got == int(want)
        if key in xfail:
            print("XFAIL %s (got %d) -- %s" % (name, got, xfail[key]))
        elif ok:
            print("PASS %s" % name)
        else:
            print("FAIL %s: got %d" % (name, got))
    if n == 0:
        print("NONE")


if __name__ == "__main__":
    main()
