#!/bin/bash
# reload.sh - SIGHUP rule reloads under steady call traffic: no call fails,
# no packet is lost, a good rule file takes effect, a broken one is refused
# and the running rules are kept.
#
# sipwire runs with the shipped rules plus a file of its own (-s): marker
# rules that alert on an OPTIONS whose User-Agent carries a marker. The
# phone makes 30 calls of 2 s, 2 a second (15 s; the INVITE flood rule
# 7100201 blocks a source at 30 in 10 s), to a SIPp UAS registered
# as 120 behind the PBX. Meanwhile:
#   SIGHUP, the file as it was                  -> "rules reloaded: B+1"
#   marker-1 OPTIONS from 192.0.2.77            -> alert 9900001
#   the file gains marker 2, SIGHUP             -> "rules reloaded: B+2"
#   marker-2 OPTIONS                            -> alert 9900002
#   SIGHUP again                                -> "rules reloaded: B+2"
#   the file gains a broken rule, SIGHUP        -> "rule reload failed ...
#                                                  keeping the B+2 rules"
#   marker-2 OPTIONS again                      -> alert 9900002 (kept)
#   a friendly-scanner OPTIONS from 192.0.2.66  -> 7100001, dropped
# (B = the rules at start without the file.)
#
# Checks: every call succeeds (caller and UAS), every INVITE reached the
# PBX once; the kernel's queue counters queue_dropped and user_dropped are
# 0 and sipwire's capture.missed is 0; stderr has three "rules reloaded"
# with the right counts and one "rule reload failed" keeping B+2 rules;
# the marker alerts above (so each good reload took effect and the failed
# one kept the rules); the scanner's OPTIONS never reached the PBX.
. "$(dirname "$0")/lib.sh"

N=30
e2e_begin reload sipp
lab_up
RULES=$W/extra.rules
marker_rule() { # n
	echo "alert sip any any -> any any (msg:\"e2e marker $1\"; flow:to_server; sip.method; content:\"OPTIONS\"; sip.user_agent; content:\"e2e-marker-$1\"; sid:990000$1; rev:1;)"
}
marker_rule 1 >"$RULES"
sw_start_or_bail -s "$RULES"
total=$(sed -n 's/^sipwire: inline on 1 queue, \([0-9]*\) rules$/\1/p' "$SW_ERR")
B=$((${total:-0} - 1))
note "rules at start: $total (shipped $B + 1 marker)"

cap_start pbx pbx eth0 udp port 5060
uas_up 0

# options NODE ADDR UA: one OPTIONS to the PBX; prints the status code of
# the answer, or "none" after 1 s.
options() {
	ns "$1" timeout 5 python3 - "$2" "$3" <<-'EOF'
		import socket, sys, random
		src, ua = sys.argv[1], sys.argv[2]
		tag = random.randrange(1 << 30)
		msg = ("OPTIONS sip:192.0.2.5 SIP/2.0\r\n"
		       "Via: SIP/2.0/UDP %s:5070;branch=z9hG4bK-e2e-%d;rport\r\n"
		       "Max-Forwards: 70\r\n"
		       "From: <sip:probe@%s>;tag=%d\r\n"
		       "To: <sip:192.0.2.5>\r\n"
		       "Call-ID: e2e-%d@%s\r\n"
		       "CSeq: 1 OPTIONS\r\n"
		       "User-Agent: %s\r\n"
		       "Content-Length: 0\r\n\r\n") % (src, tag, src, tag, tag, src, ua)
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.bind((src, 5070))
		s.settimeout(1.0)
		s.sendto(msg.encode(), ("192.0.2.5", 5060))
		try:
		    print(s.recv(65535).decode("latin-1").split(" ")[1])
		except socket.timeout:
		    print("none")
	EOF
}

sipp_bg calls phone 60 -timeout 50s -timeout_error -sf "$SIPP_DIR/uac.xml" -s 120 -key from 100 \
	-key ua "$PHONE_UA" -i $PHONE -p 5060 -m $N -l $N -r 2 $PBX:5060
# hup: SIGHUP, then wait (bounded) for the Nth reload message on stderr
hups=0
hup() {
	hups=$((hups + 1))
	kill -HUP "$SW_PID"
	for _ in $(seq 100); do
		[ "$(grep -c 'rules reloaded\|rule reload failed' "$SW_ERR")" -ge $hups ] && return 0
		sleep 0.1
	done
	return 1
}
sleep 1.5
hup
m1=$(options attacker2 $ATTACKER2 "e2e-marker-1")
sleep 1
marker_rule 2 >>"$RULES"
hup
m2=$(options attacker2 $ATTACKER2 "e2e-marker-2")
sleep 1
hup
sleep 1
echo 'alert sip any any -> any any (msg:"broken"; content:"x"; sid:9900009;' >>"$RULES"
hup
m2b=$(options attacker2 $ATTACKER2 "e2e-marker-2")
scan=$(options attacker $ATTACKER "friendly-scanner")
calls_rc=$(sipp_wait calls 60)
sipp_stop uas
sleep 0.3
cap_stop pbx
qline=$(queue_line 0)
sw_stop
check_sw_exit

# The calls: none failed, none needed a second try.
expect_str "caller SIPp exit status 0" "$calls_rc" 0 "$(tail -5 "$W/calls.log")"
expect "caller: successful calls" "$(sipp_stat calls 'SuccessfulCall(C)')" -eq $N
expect "caller: failed calls" "$(sipp_stat calls 'FailedCall(C)')" -eq 0
expect "UAS: successful calls" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq $N
note "SIPp retransmissions: caller $(sipp_stat calls 'Retransmissions(C)'), UAS $(sipp_stat uas 'Retransmissions(C)')"
expect "INVITEs that reached the PBX (each once)" \
	"$(pkts pbx '$2 == "192.0.2.10" && $6 == "REQ" && $7 == "INVITE"')" -eq $N
expect "BYEs answered 200 by the PBX" \
	"$(pkts pbx '$4 == "192.0.2.10" && $6 == "RESP" && $7 == "200" && $9 == "BYE"')" -ge $N

# No packet lost.
set -- $qline
expect "kernel queue 0: queue_dropped" "${6:-none}" -eq 0 "$qline"
expect "kernel queue 0: user_dropped" "${7:-none}" -eq 0 "$qline"
expect "stats: sipwire.capture.missed" "$(eve 'stats.sipwire.capture.missed')" -eq 0
expect "stats: sipwire.capture.packets (every packet judged)" "$(eve 'stats.sipwire.capture.packets')" -ge $((N * 7))

# The reloads.
expect "stderr: 'rules reloaded' lines" "$(grep -c '^sipwire: rules reloaded' "$SW_ERR")" -eq 3 "$(cat "$SW_ERR")"
expect_str "stderr: the reloads' rule counts" \
	"$(sed -n 's/^sipwire: rules reloaded: \([0-9]*\) rules$/\1/p' "$SW_ERR" | tr '\n' ' ')" \
	"$((B + 1)) $((B + 2)) $((B + 2)) "
expect "stderr: 'rule reload failed ... keeping the $((B + 2)) rules running'" \
	"$(grep -c "^sipwire: rule reload failed (1 error): keeping the $((B + 2)) rules running" "$SW_ERR")" -eq 1 \
	"$(grep -i 'reload\|error' "$SW_ERR")"
expect "stderr: the broken rule's error names the file" "$(grep -c "^$RULES:[0-9]*:[0-9]*: error" "$SW_ERR")" -ge 1
expect_str "marker-1 OPTIONS answered by the PBX" "$m1" 200
expect_str "marker-2 OPTIONS answered by the PBX" "$m2" 200
expect_str "marker-2 OPTIONS after the failed reload answered by the PBX" "$m2b" 200
expect "alert 9900001 (marker rule of the first file)" "$(eve 'count(.event_type == "alert" and .alert.signature_id == 9900001)')" -eq 1
expect "alert 9900002 (added by a reload; kept by the failed one): one per marker-2 OPTIONS" \
	"$(eve 'count(.event_type == "alert" and .alert.signature_id == 9900002)')" -eq 2
expect "alert 9900009 (the broken rule never loaded)" "$(eve 'count(.event_type == "alert" and .alert.signature_id == 9900009)')" -eq 0
expect_str "after the failed reload: the scanner's OPTIONS got no answer" "$scan" none
expect "after the failed reload: alert 7100001 on the scanner" \
	"$(eve 'count(.event_type == "alert" and .alert.signature_id == 7100001 and .src_ip == "192.0.2.66")')" -eq 1
expect "the scanner's OPTIONS that reached the PBX" "$(pkts pbx '$2 == "192.0.2.66"')" -eq 0
expect "no alert from or to the phone" \
	"$(eve 'count(.event_type == "alert" and (.src_ip == "192.0.2.10" or .dest_ip == "192.0.2.10"))')" -eq 0

e2e_end
