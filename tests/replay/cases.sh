#!/bin/bash
# Replay cases: every directory tests/replay/<case>/ holds a capture
# (capture.pcap or capture.pcapng), a README saying how it was made, an
# `expect` file of field checks, and optionally `args` (extra sipwire
# arguments, one line) and `sids` (run with only these shipped rules, taken
# as written from rules/*.rules: to test one rule where an earlier one in
# the full set would block the attacker first). For each case this runs sipwire on the capture and
# checks, as TAP:
#   - exit status 0 (or the one in `status`, if present);
#   - every line of `expect`: "VALUE FILTER" where FILTER is a jq program
#     run on the whole EVE log as one array (jq -s) with the helpers below,
#     and VALUE its expected compact JSON result;
#   - every record validates against Suricata's EVE schema (when the corpus
#     is present; skipped otherwise);
#   - replaying twice gives byte-identical output;
#   - unless the case has a file `no-tshark`: SIP requests per method and
#     responses per class equal what tshark dissects in the same capture.
# The SIP captures of ../shared/corpus/suricata-verify (real third-party
# traffic) get the last three checks too, when present.
set -u
cd "$(dirname "$0")/../.."
SCHEMA=../shared/corpus/suricata-eve-schema.json
SV=../shared/corpus/suricata-verify
W=$(mktemp -d /tmp/sipwire-replay.XXXXXX)
trap 'rm -rf "$W"' EXIT
. tests/tap.sh

PRELUDE='def ev(t): [.[] | select(.event_type == t)];
def count(f): [.[] | select(f)] | length;
def stats: [.[] | select(.event_type == "stats")] | last | .stats;
def sips: ev("sip") | map(.sip);
def calls: ev("call") | map(.call);
def anomalies: ev("anomaly") | map(.anomaly.event) | group_by(.) | map({(.[0]): length}) | add // {};'

# Requests per method and responses per class seen by tshark, as compact
# JSON {"requests":{...},"responses":{...}}.
tshark_counts() {
	tshark -r "$1" -Y sip -T fields -E occurrence=a -E aggregator=, -e sip.Method -e sip.Status-Code 2>/dev/null |
		python3 -c '
import json, sys
req, resp = {}, {}
for line in sys.stdin:
    parts = line.rstrip("\n").split("\t")
    for m in filter(None, parts[0].split(",")):
        req[m] = req.get(m, 0) + 1
    for c in filter(None, (parts[1] if len(parts) > 1 else "").split(",")):
        k = c[0] + "xx"
        resp[k] = resp.get(k, 0) + 1
print(json.dumps({"requests": dict(sorted(req.items())), "responses": dict(sorted(resp.items()))}, separators=(",", ":")))'
}

ours_counts() {
	jq -s -c '[.[] | select(.event_type == "stats")] | last | .stats.sipwire.sip
		| {requests: (.requests | to_entries | sort_by(.key) | from_entries),
		   responses: (.responses | to_entries | sort_by(.key) | from_entries)}' "$1"
}

common_checks() { # name capture eve-file args...
	local name=$1 cap=$2 eve=$3; shift 3
	if [ -f "$SCHEMA" ] && python3 -c 'import jsonschema' 2>/dev/null; then
		if python3 tools/eve_validate.py "$SCHEMA" "$eve" >"$W/val" 2>&1; then
			ok "$name: every record validates against Suricata's EVE schema"
		else
			nok "$name: EVE schema validation" "$(head -5 "$W/val")"
		fi
	else
		skip "$name: EVE schema validation (corpus schema or python3-jsonschema absent)"
	fi
	./sipwire "$@" -r "$cap" -l "$W/again" >/dev/null 2>&1
	if cmp -s "$eve" "$W/again/eve.json"; then
		ok "$name: replaying twice gives identical output"
	else
		nok "$name: replaying twice gives identical output" "$(diff "$eve" "$W/again/eve.json" | head -4)"
	fi
	rm -rf "$W/again"
}

tshark_check() { # name capture eve-file
	local t o
	if ! command -v tshark >/dev/null; then
		skip "$1: tshark cross-check (tshark absent)"
		return
	fi
	t=$(tshark_counts "$2")
	o=$(ours_counts "$3")
	if [ "$t" = "$o" ]; then
		ok "$1: SIP requests per method and responses per class agree with tshark"
	else
		nok "$1: SIP counts agree with tshark" "tshark:  $t" "sipwire: $o"
	fi
	# Every Call-ID of a request tshark dissects is in one of our sip records.
	tshark -r "$2" -Y 'sip.Method' -T fields -E occurrence=a -E aggregator=' ' -e sip.Call-ID 2>/dev/null |
		tr ' ' '\n' | sed '/^$/d' | sort -u >"$W/cid.t"
	# (a message too broken to track is an anomaly record carrying its Call-ID)
	jq -r '(select(.event_type == "sip") | .sip.call_id // empty),
	       (select(.event_type == "anomaly") | .anomaly.call_id // empty)' "$3" | sort -u >"$W/cid.o"
	if cmp -s "$W/cid.t" "$W/cid.o"; then
		ok "$1: the Call-IDs of sip and anomaly records are those tshark sees ($(wc -l <"$W/cid.t"))"
	else
		nok "$1: Call-IDs differ from tshark's" "$(diff "$W/cid.t" "$W/cid.o" | head -4)"
	fi
}

if [ ! -x ./sipwire ]; then
	echo "not ok 1 - ./sipwire is not built"
	echo "1..1"
	exit 1
fi

shopt -s nullglob
for dir in tests/replay/*/; do
	name=$(basename "$dir")
	cap=$(ls "$dir"capture.pcap "$dir"capture.pcapng 2>/dev/null | head -1)
	if [ -z "$cap" ] || [ ! -f "$dir/expect" ]; then
		nok "$name: case needs capture.pcap[ng] and expect"
		continue
	fi
	args=()
	[ -f "$dir/args" ] && read -r -a args <"$dir/args"
	if [ -f "$dir/sids" ]; then
		# Only these shipped rules (taken from rules/*.rules as written).
		python3 - "$dir/sids" rules/sipwire.rules rules/anomaly.rules >"$W/$name.rules" <<'PY'
import re, sys
want = set(open(sys.argv[1]).read().split())
for path in sys.argv[2:]:
    text = re.sub(r"\\\n", "", open(path).read())
    for line in text.splitlines():
        m = re.search(r"\bsid:\s*(\d+)\s*;", line)
        if m and not line.lstrip().startswith("#") and m.group(1) in want:
            print(line)
PY
		args+=(-S "$W/$name.rules")
	fi
	want_status=0
	[ -f "$dir/status" ] && want_status=$(cat "$dir/status")
	out="$W/$name"
	./sipwire "${args[@]}" -r "$cap" -l "$out" >"$W/$name.stdout" 2>"$W/$name.stderr"
	rc=$?
	if [ "$rc" = "$want_status" ]; then
		ok "$name: exit status $rc"
	else
		nok "$name: exit status $rc, expected $want_status" "$(head -3 "$W/$name.stderr")"
		continue
	fi
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in '' | '#'*) continue ;; esac
		want=${line%% *}
		filter=${line#* }
		got=$(jq -s -c "$PRELUDE $filter" "$out/eve.json" 2>&1)
		if [ "$got" = "$want" ]; then
			ok "$name: $filter == $want"
		else
			nok "$name: $filter" "expected: $want" "got:      $got"
		fi
	done <"$dir/expect"
	common_checks "$name" "$cap" "$out/eve.json" "${args[@]}"
	[ -f "$dir/no-tshark" ] || tshark_check "$name" "$cap" "$out/eve.json"
done

# Real third-party captures: the SIP cases of suricata-verify.
if [ -d "$SV" ]; then
	for cap in $(find "$SV" -name '*.pcap' | sort); do
		name="suricata-verify/$(basename "$(dirname "$cap")")"
		out="$W/sv-$(basename "$(dirname "$cap")")"
		./sipwire -r "$cap" -l "$out" >/dev/null 2>"$W/sv.err"
		rc=$?
		if [ $rc -eq 0 ]; then ok "$name: exit 0"; else nok "$name: exit $rc" "$(head -3 "$W/sv.err")"; continue; fi
		common_checks "$name" "$cap" "$out/eve.json"
		# Where sipwire deliberately differs from tshark (a configured limit),
		# the exception file names the anomaly it must raise instead.
		exc=$(awk -v c="$(basename "$(dirname "$cap")")" '$1 == c {print $2}' tests/replay/thirdparty-exceptions)
		if [ -n "$exc" ]; then
			if jq -s -e --arg a "$exc" 'any(.[]; .event_type == "anomaly" and .anomaly.event == $a)' \
				"$out/eve.json" >/dev/null; then
				ok "$name: differs from tshark by design and raises $exc"
			else
				nok "$name: expected anomaly $exc"
			fi
		else
			tshark_check "$name" "$cap" "$out/eve.json"
		fi
	done
else
	skip "suricata-verify captures (corpus absent)"
fi
echo "1..$n"
