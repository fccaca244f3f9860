#!/bin/bash
# overload.sh - sipwire cannot keep up: with nfq.fail-open (the default)
# the packets it cannot take pass uninspected, with fail-open false they
# are dropped; either way every one is counted and an anomaly record says
# so. "Cannot keep up" is made exact by stopping sipwire (SIGSTOP) while
# the phone sends to the PBX: its socket buffer (nfq.buffer-size, set to
# the minimum) fills after a few dozen packets and the kernel passes or
# drops the rest, each still consuming a queue packet id, which is how
# sipwire counts them (capture.missed) once it runs again (SIGCONT).
#
# Per mode: N UDP datagrams to 192.0.2.5:1506x (queued) while stopped,
# then SIGCONT, then one more datagram (it shows the gap in packet ids).
#   fail-open:   every datagram reaches the PBX (those beyond the buffer at
#                once, the buffered ones after SIGCONT); capture.missed > 0;
#                anomaly capture.fail_open with a count.
#   fail-closed: the datagrams beyond the buffer never reach the PBX, the
#                buffered ones do after SIGCONT; the kernel counted them
#                (user_dropped), sipwire too (capture.missed = what did not
#                arrive); anomaly capture.lost.
. "$(dirname "$0")/lib.sh"

N=600
e2e_begin overload python3
lab_up

# send N: N small datagrams from the phone to the PBX's $PORT (in the
# RTP range the bridge queues; Kamailio has 5060)
send() {
	ns phone python3 - "$1" "$PORT" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.10", 5099))
for i in range(int(sys.argv[1])):
    s.sendto(b"overload %06d\r\n" % i, ("192.0.2.5", int(sys.argv[2])))
    if i % 50 == 49:
        time.sleep(0.002)
EOF
}
# sink NAME SECONDS: count datagrams arriving at the PBX's $PORT, in the background
sink() {
	ns pbx timeout -k 2 "$2" python3 - "$W/$1.count" "$PORT" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.5", int(sys.argv[2])))
s.settimeout(0.5)
n = 0
out = sys.argv[1]
try:
    while True:
        try:
            s.recvfrom(2048)
            n += 1
            if n % 20 == 0:
                open(out, "w").write(str(n))
        except socket.timeout:
            open(out, "w").write(str(n))
finally:
    open(out, "w").write(str(n))
EOF
	BG_PIDS+=($!)
	sleep 0.5
}
count() { cat "$W/$1.count" 2>/dev/null || echo 0; }
# (the log starts with a cut line: records are read line by line, skipping it)
records() { jq -R -c 'fromjson? // empty' "$W/log/eve.json"; }
stat_of() { # jq path under .stats: the last stats record
	records | jq -s -c "[.[] | select(.event_type == \"stats\")] | last | .stats.$1 // 0"
}
anom() { # event name: the sum of the counts of its anomaly records
	records | jq -s -c "[.[] | select(.event_type == \"anomaly\" and .anomaly.event == \"$1\") | .anomaly.count] | add // 0"
}

PORT=15060
for mode in open closed; do
	PORT=$((PORT + 2)) # a port of its own per mode (the last sink may linger)
	# A log whose last line was cut (a writer killed mid-record): sipwire
	# appends on a new line, so only that fragment is not JSON.
	CUT='{"timestamp":"2026-11-24T00:00:00.000000+0000","event_type":"fl'
	printf '%s' "$CUT" >"$W/log/eve.json"
	if [ $mode = open ]; then
		sw_start_or_bail --set nfq.buffer-size=64kb
	else
		sw_start_or_bail --set nfq.buffer-size=64kb --set nfq.fail-open=false
	fi
	sink $mode 30
	kill -STOP "$SW_PID"
	send $N
	sleep 1
	while_stopped=$(count $mode)
	kill -CONT "$SW_PID"
	sleep 1.5
	send 1
	sleep 1.5
	total=$(count $mode)
	note "kernel: $(queue_line 0)"
	sw_stop
	missed=$(stat_of sipwire.capture.missed)
	judged=$(stat_of sipwire.capture.packets)
	note "fail-$mode: $while_stopped of $N arrived while sipwire was stopped, $total of $((N + 1)) in all; sipwire judged $judged, missed $missed"
	if [ $mode = open ]; then
		expect "fail-open: datagrams beyond the buffer passed while sipwire was stopped" \
			"$while_stopped" -ge $((N / 2))
		expect "fail-open: every datagram reached the PBX in the end" "$total" -eq $((N + 1))
		expect "fail-open: capture.missed counts the ones passed uninspected" \
			"$((missed + judged))" -eq $((N + 1))
		expect "fail-open: an anomaly record capture.fail_open counts them" "$(anom capture.fail_open)" \
			-eq "$missed"
	else
		expect "fail-closed: nothing passed while sipwire was stopped" "$while_stopped" -eq 0
		expect "fail-closed: only what sipwire judged reached the PBX" "$total" -eq "$judged"
		expect "fail-closed: some datagrams were dropped" "$total" -lt $((N + 1))
		expect "fail-closed: capture.missed counts the dropped ones" "$missed" -eq $((N + 1 - total))
		expect "fail-closed: the kernel counted them too (user_dropped)" \
			"$(stat_of sipwire.capture.kernel_user_dropped)" -eq "$missed"
		expect "fail-closed: an anomaly record capture.lost counts them" "$(anom capture.lost)" -eq "$missed"
	fi
	check_sw_exit
	expect_str "EVE lines that are not JSON: only the cut one found there, alone on its line" \
		"$(jq -R -r 'select((fromjson? // null) == null)' "$W/log/eve.json")" "$CUT"
done

e2e_end
