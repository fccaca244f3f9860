#!/bin/bash
# memcap.sh - sipwire's own memory cap hit while judging a packet, inline:
# the TCP out-of-order memory (stream.memcap) runs out. With nfq.fail-open
# (the default) the packet that hit the cap still passes, counted
# (ips.overload_pass) and reported (anomaly ips.fail_open with a count);
# with fail-open false it is dropped (ips.overload_drop, anomaly
# ips.fail_closed). (overload.sh covers the other overload: the queue.)
#
# Traffic, made by hand from the phone (raw IP) to the PBX's TCP 5061 (a
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

cat >"$W/rx.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("eth0", 0))
with open(sys.argv[1], "a", buffering=1) as out:
    while True:
        f = s.recv(65535)[14:]
        if len(f) < 40 or f[9] != 6:
            continue
        ihl = (f[0] & 15) * 4
        sport, dport, seq = struct.unpack("!HHI", f[ihl:ihl + 8])
        if dport == 5061:
            out.write("%d %d %d\n" % (sport, seq, len(f) - ihl - (f[ihl + 12] >> 4) * 4))
PY
cat >"$W/tx.py" <<'PY'
import socket, struct, sys, time
src, dst = "192.0.2.10", "192.0.2.5"
ports = [int(x) for x in sys.argv[1:3]]

def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff

sa, da = socket.inet_aton(src), socket.inet_aton(dst)
def packet(sport, seq, flags, data=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, 5061, seq, 1 if flags & 0x10 else 0, 5 << 4, flags, 65535, 0, 0) + data
    c = csum(sa + da + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 7, 0x4000, 64, 6, 0, sa, da)
    return ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + tcp

s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
ISN = 1000
for sport, n in ((ports[0], 40), (ports[1], 30)):
    s.sendto(packet(sport, ISN, 0x02), (dst, 0))
    time.sleep(0.02)
    for i in range(n):
        s.sendto(packet(sport, ISN + 1 + 2000 + i * 1000, 0x18, (b"%05d " % i) + b"x" * 994), (dst, 0))
        time.sleep(0.002)
    time.sleep(0.05)
PY

ns pbx timeout -k 2 60 python3 "$W/rx.py" "$W/pbx.rx" &
BG_PIDS+=($!)
disown $! # killed by the cleanup without a "Terminated" line
sleep 0.5

# mode NAME FAILOPEN SPORT1 SPORT2 OVERLOAD-COUNTER ANOMALY
mode() {
	local name=$1 fo=$2 p1=$3 p2=$4 ctr=$5 anom=$6 seq26 got26
	: >"$W/log/eve.json"
	sw_start_or_bail --set stream.memcap=65536 --set nfq.fail-open=$fo
	ns phone python3 "$W/tx.py" "$p1" "$p2"
	sleep 1
	sw_stop
	check_sw_exit
	expect "$name: stream memcap hits (stats.tcp.segment_memcap_drop)" "$(eve 'stats.tcp.segment_memcap_drop')" -eq 1 \
		"$(eve 'stats | tostring' | head -c 600)"
	expect "$name: sipwire.ips.$ctr" "$(eve "stats.sipwire.ips.$ctr")" -eq 1
	expect "$name: anomaly $anom with count 1" \
		"$(eve "count(.event_type == \"anomaly\" and .anomaly.event == \"$anom\" and .anomaly.count == 1)")" -eq 1 \
		"$(eve '[ev("anomaly")[] | .anomaly]')"
	# the segments that reached the PBX: all 40 of the first connection
	# and 29 or 30 of the second, by whether the 26th (index 25) passed
	seq26=$((1000 + 1 + 2000 + 25 * 1000))
	got26=$(awk -v p="$p2" -v s="$seq26" '$1 == p && $2 == s' "$W/pbx.rx" | wc -l)
	expect "$name: the first connection's 40 segments reached the PBX" \
		"$(awk -v p="$p1" '$1 == p && $3 == 1000' "$W/pbx.rx" | wc -l)" -eq 40
	expect "$name: the second connection's other 29 reached the PBX" \
		"$(awk -v p="$p2" -v s="$seq26" '$1 == p && $3 == 1000 && $2 != s' "$W/pbx.rx" | wc -l)" -eq 29
	if [ "$fo" = true ]; then
		expect "$name: the segment over the cap passed (fail-open)" "$got26" -eq 1
	else
		expect "$name: the segment over the cap was dropped (fail-closed)" "$got26" -eq 0
	fi
}
mode fail-open true 41001 41002 overload_pass ips.fail_open
mode fail-closed false 41003 41004 overload_drop ips.fail_closed

e2e_end
