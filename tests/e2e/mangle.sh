#!/bin/bash
# mangle.sh - verdicts that carry a changed packet, through the real
# bridge: the path the NAT helper and the SRTP upgrade will take. No
# sipwire feature rewrites packets yet, so the peer on the queue is
# tools/nfq_mangle, built on sipwire's own capture layer
# (engine/capture_nfq.c): it replaces a payload prefix with a longer or a
# shorter one and recomputes the lengths and checksums.
#
# The phone sends UDP datagrams to the PBX's 10500 (in the queued RTP
# range); a socket on the PBX records what arrives. A UDP socket only
# receives datagrams whose lengths and checksum are right, so each arrival
# is the kernel having taken the rewritten packet as it was sent.
#
# Checks: grown ("MANGLEME a" -> a 39-byte prefix), untouched ("keep b")
# and shrunk ("MANGLEME c" -> "m c") datagrams arrive exactly so, and the
# capture layer counted one mangled verdict in each run.
. "$(dirname "$0")/lib.sh"

MANGLE=$ROOT/$BUILD/tools/nfq_mangle
[ -x "$MANGLE" ] || MANGLE=$ROOT/build/rel/tools/nfq_mangle
[ -x "$MANGLE" ] || skip_all "no tools/nfq_mangle build (make tools)"
LONG="SIP/2.0 200 OK and a good deal longer.."
e2e_begin mangle python3
lab_up

# What arrives at the PBX's 10500, one payload a line (netprobe recv).
probe_bg pbx "$W/pbx.ready" recv $PBX 10500 60 "$W/pbx.ready" 0 "$W/pbx.rx"
send() { # payloads...: one datagram each from the phone's 10502
	ns phone python3 "$PROBE" send $PBX 10500 $# 10502 "$@"
}
# run TO PAYLOADS...: nfq_mangle -f MANGLEME -t TO on queue 0 while PAYLOADS are sent
run() {
	local to=$1 i
	shift
	ip netns exec "${PREFIX}sipwire" "$MANGLE" -q 0 -f MANGLEME -t "$to" -s 20 >"$W/mangle.out" 2>"$W/mangle.err" &
	MPID=$!
	for i in $(seq 50); do
		grep -q bound "$W/mangle.err" && break
		sleep 0.1
	done
	send "$@"
	sleep 0.5
	kill -TERM "$MPID"
	wait "$MPID"
}
run "$LONG" "MANGLEME a" "keep b"
expect_str "first run: the capture layer's counts" "$(cat "$W/mangle.out")" "nfq_mangle packets=2 mangled=1" \
	"$(cat "$W/mangle.err")"
run "m" "MANGLEME c"
expect_str "second run: the capture layer's counts" "$(cat "$W/mangle.out")" "nfq_mangle packets=1 mangled=1" \
	"$(cat "$W/mangle.err")"
sleep 0.3
expect "grown by 31 bytes: arrived as rewritten" "$(grep -cxF "$LONG a" "$W/pbx.rx")" -eq 1 "$(cat "$W/pbx.rx")"
expect "untouched: arrived as sent" "$(grep -cxF "keep b" "$W/pbx.rx")" -eq 1 "$(cat "$W/pbx.rx")"
expect "shrunk by 7 bytes: arrived as rewritten" "$(grep -cxF "m c" "$W/pbx.rx")" -eq 1 "$(cat "$W/pbx.rx")"
expect "nothing arrived unrewritten" "$(grep -c MANGLEME "$W/pbx.rx")" -eq 0 "$(cat "$W/pbx.rx")"

e2e_end
