#!/bin/bash
# make demo: generate a realistic SIP + RTP capture with tools/sipgen,
# replay it through sipwire, and print what sipwire saw (calls,
# registrations, transactions, anomalies, top talkers) from its EVE log.
#
#   BUILD=build/rel tools/demo.sh         (make demo sets BUILD)
#   DEMO_KEEP=1 tools/demo.sh             keep the capture and the EVE log
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
GEN=$BUILD/tools/sipgen

for f in "$GEN" ./sipwire; do
	if [ ! -x "$f" ]; then
		echo "demo: $f is not built (run: make sipwire tools)" >&2
		exit 1
	fi
done

W=$(mktemp -d /tmp/sipwire-demo.XXXXXX)
if [ "${DEMO_KEEP:-0}" = 1 ]; then
	trap 'echo; echo "Kept: $W/demo.pcap and $W/out/eve.json"' EXIT
else
	trap 'rm -rf "$W"' EXIT
fi

echo "== 1. Generating a capture (tools/sipgen demo)"
echo "   registrations with digest auth, answered/rejected/cancelled calls with RTP,"
echo "   a call over TCP, calls over IPv6, fragmented INVITEs, a SIPVicious scan,"
echo "   malformed requests; RFC 5737 addresses, PBX 192.0.2.5"
"$GEN" -o "$W/demo.pcap" demo 2>"$W/gen.txt" || { cat "$W/gen.txt" >&2; exit 1; }
sed 's/^/   /' "$W/gen.txt"
echo

echo "== 2. Replaying it: ./sipwire -r demo.pcap -l out/"
rc=0
./sipwire -r "$W/demo.pcap" -l "$W/out" 2>"$W/sipwire.txt" || rc=$?
[ -s "$W/sipwire.txt" ] && sed 's/^/   /' "$W/sipwire.txt"
if [ ! -s "$W/out/eve.json" ]; then
	echo "demo: sipwire wrote no EVE log (exit $rc)" >&2
	exit 1
fi
echo "   exit status $rc, $(wc -l <"$W/out/eve.json") EVE records in out/eve.json"
echo

echo "== 3. What sipwire saw"
python3 tools/eve_summary.py "$W/out/eve.json"
echo
echo "Try: jq -c 'select(.event_type==\"sip\") | [.sip.method, .sip.code, .sip.from]' out/eve.json"
[ "${DEMO_KEEP:-0}" = 1 ] || echo "(DEMO_KEEP=1 keeps the capture and the EVE log)"
exit "$rc"
