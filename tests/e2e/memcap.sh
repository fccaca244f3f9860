#!/bin/bash
# memcap.sh - sipwire's own memory cap hit while judging a packet, inline:
# the TCP out-of-order memory (stream.memcap) runs out. With nfq.fail-open
# (the default) the packet that hit the cap still passes, counted
# (ips.overload_pass) and reported (anomaly ips.fail_open with a count);
# with fail-open false it is dropped (ips.overload_drop, anomaly
# ips.fail_closed). (overload.sh covers the other overload: the queue.)
#
# Traffic, made by hand from the phone (raw IP, tests/e2e/netprobe.py
# tcp-gap) to the PBX's TCP 5061 (a
# queued SIP port; the PBX drops it in INPUT, so its stack never resets
# anything): per mode two connections, each a SYN and then 1000-byte
# segments that start 2000 bytes after it (a gap: all are held out of
# order). With stream.memcap at its minimum (65536) the first connection
# holds 40 segments and the second's 26th does not fit: that one hits the
# cap (sipwire then skips the gap and goes on in order).
#
# Checks per mode: one stream memcap hit; the overload counter and its
# anomaly record with count 1; the 26th segment of the second connection
# reached the PBX (fail-open) or not (fail-closed), every other segment did.
. "$(dirname "$0")/lib.sh"

e2e_begin memcap python3
lab_up
ns pbx iptables -w -A INPUT -p tcp --dport 5061 -j DROP
check "the PBX drops TCP 5061 itself (no resets)" $?

sniff pbx eth0 "$W/pbx.rx"

# mode NAME FAILOPEN SPORT1 SPORT2 OVERLOAD-COUNTER ANOMALY
mode() {
	local name=$1 fo=$2 p1=$3 p2=$4 ctr=$5 anom=$6 seq26 got26 seg
	: >"$W/log/eve.json"
	sw_start_or_bail --set stream.memcap=65536 --set nfq.fail-open=$fo
	ns phone python3 "$PROBE" tcp-gap $PHONE $PBX 5061 "$p1" 40
	ns phone python3 "$PROBE" tcp-gap $PHONE $PBX 5061 "$p2" 30
	sleep 1
	sw_stop
	check_sw_exit
	expect "$name: stream memcap hits (stats.tcp.segment_memcap_drop)" "$(eve 'stats.tcp.segment_memcap_drop')" -eq 1 \
		"$(eve 'stats | tostring' | head -c 600)"
	expect "$name: sipwire.ips.$ctr" "$(eve "stats.sipwire.ips.$ctr")" -eq 1
	expect "$name: anomaly $anom with count 1" \
		"$(eve "count(.event_type == \"anomaly\" and .anomaly.event == \"$anom\" and .anomaly.count == 1)")" -eq 1 \
		"$(eve '[ev("anomaly")[] | .anomaly]')"
	# the segments that reached the PBX (netprobe sniff: $2 proto, $4
	# sport, $6 dport, $7 seq, $8 payload bytes): all 40 of the first
	# connection and 29 or 30 of the second, by whether the 26th (index
	# 25) passed
	seq26=$((1000 + 1 + 2000 + 25 * 1000))
	seg='$2 == "tcp" && $6 == 5061 && $8 == 1000 && $4 == p'
	got26=$(awk -v p="$p2" -v s="$seq26" "$seg"' && $7 == s' "$W/pbx.rx" | wc -l)
	expect "$name: the first connection's 40 segments reached the PBX" \
		"$(awk -v p="$p1" "$seg" "$W/pbx.rx" | wc -l)" -eq 40
	expect "$name: the second connection's other 29 reached the PBX" \
		"$(awk -v p="$p2" -v s="$seq26" "$seg"' && $7 != s' "$W/pbx.rx" | wc -l)" -eq 29
	if [ "$fo" = true ]; then
		expect "$name: the segment over the cap passed (fail-open)" "$got26" -eq 1
	else
		expect "$name: the segment over the cap was dropped (fail-closed)" "$got26" -eq 0
	fi
}
mode fail-open true 41001 41002 overload_pass ips.fail_open
mode fail-closed false 41003 41004 overload_drop ips.fail_closed

e2e_end
