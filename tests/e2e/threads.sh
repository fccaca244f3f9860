#!/bin/bash
# threads.sh - inline mode's threads under ThreadSanitizer: sipwire built
# with -fsanitize=thread (make TSAN=1 build/tsan/sipwire; make test builds
# it) runs two queues, one worker each, on real traffic that makes every
# shared path run at once: calls with RTP from the phone on queue 0 while
# the attacker's traffic goes to queue 1 and gets blocked; NOTIFY and
# OPTIONS from both sides with a transaction table small enough that
# transactions are evicted and time out while packets flow (their `sip`
# records are written by the workers after they let the engine go, and by
# the main thread's timer tick); a rule reload with an EVE reopen (SIGHUP)
# in the middle. The calls' RTP goes to queue 1 too: its worker finds the
# calls through the shared media expectations and counts their media in
# the call-state shards the other worker fills. Any data race, lock-order
# inversion or use of a freed record is a ThreadSanitizer report in
# sipwire's stderr.
#
# Split: UDP SIP to or from the attacker (192.0.2.66) and the RTP range
# 10000:20000 to queue 1, the rest (the phone's SIP) to queue 0, as rules
# in front of the lab's own.
#
# Checks: both queues used; the calls succeed; EVE is whole JSON lines
# only, with `sip` records that ended evicted, timed out and completed,
# and the calls' `call` records; no ThreadSanitizer report; clean exit.
. "$(dirname "$0")/lib.sh"

N=2
SIPWIRE=$(tsan_build)
[ -x "$SIPWIRE" ] || skip_all "no up-to-date ThreadSanitizer build: make TSAN=1 build/tsan/sipwire"
e2e_begin threads sipp python3
UDPLOAD=$ROOT/${BUILD:-build/rel}/tools/udpload
[ -x "$UDPLOAD" ] || UDPLOAD=$ROOT/build/rel/tools/udpload
[ -x "$UDPLOAD" ] || skip_all "no tools/udpload build (make tools)"
lab_up

attacker_queue1
ns sipwire iptables -w -I SIPWIRE 4 -p udp -m multiport --ports 10000:20000 \
	-j NFQUEUE --queue-num 1 --queue-bypass
check "RTP to queue 1 in the SIPWIRE chain" $? "$(ns sipwire iptables -w -S SIPWIRE 2>&1)"

use_tsan "$SIPWIRE"
sw_start_or_bail -q 1 --set ips.media-offload=false \
	--set sip.max-transactions=64 --set sip.transaction-timeout=2
expect "queue 1 bound too" "$([ -n "$(queue_line 1)" ] && echo 1 || echo 0)" -eq 1 \
	"$(ns sipwire cat /proc/net/netfilter/nfnetlink_queue)"

uas_up "$N" -mp 16000 -rtp_echo
phone_register

# Load on both queues while the calls run: NOTIFYs from the phone's port
# 5062 to the PBX's 5061, where nobody answers (queue 0; the transactions
# time out), OPTIONS from the attacker to Kamailio (queue 1, answered,
# then blocked by 7100203 after 60 in 10 s).
ns phone timeout -k 2 25 "$UDPLOAD" send -d $PBX:5061 -p 5062 -k sip -m NOTIFY -r 200 -t 12 \
	>"$W/load-phone.out" 2>&1 &
BG_PIDS+=($!)
ns attacker timeout -k 2 25 "$UDPLOAD" send -d $PBX:5060 -p 5062 -k sip -m OPTIONS -r 200 -t 12 \
	>"$W/load-attacker.out" 2>&1 &
BG_PIDS+=($!)
( sleep 5; kill -HUP "$SW_PID" 2>/dev/null ) &
BG_PIDS+=($!)
rc=$(rtp_calls $N 1 1)
uas_rc=$(sipp_wait uas 30)
wait "${BG_PIDS[@]}" 2>/dev/null
sleep 3 # past the transaction timeout: the tick writes the rest
q0=$(queue_line 0)
q1=$(queue_line 1)
sw_stop
check_sw_exit

expect "ThreadSanitizer reports" "$(grep -c 'WARNING: ThreadSanitizer' "$SW_ERR")" -eq 0 \
	"$(grep -A12 -m2 'WARNING: ThreadSanitizer' "$SW_ERR")"
expect_str "rules reloaded on SIGHUP" "$(grep -c 'rules reloaded' "$SW_ERR")" 1 "$(tail -3 "$SW_ERR")"
expect_str "caller SIPp exit status 0" "$rc" 0 "$(tail -5 "$W/calls.log")"
expect "caller: successful calls" "$(sipp_stat calls 'SuccessfulCall(C)')" -eq $N
expect_str "UAS SIPp exit status 0" "$uas_rc" 0 "$(tail -5 "$W/uas.log")"
set -- $q0
expect "queue 0 (phone's SIP) packets" "${8:-0}" -ge 1500 "$q0"
set -- $q1
expect "queue 1 (attacker's SIP, calls' RTP) packets" "${8:-0}" -ge $((60 + N * 400)) "$q1"

lines=$(wc -l <"$W/log/eve.json")
expect "EVE: every line is one JSON object" "$(jq -c 'select(type == "object")' "$W/log/eve.json" 2>/dev/null | wc -l)" \
	-eq "$lines" "$(jq -c . "$W/log/eve.json" 2>&1 >/dev/null | head -3)"
for end in evicted timeout completed; do
	expect "sip records of the phone's transactions that ended $end" \
		"$(eve "count(.event_type == \"sip\" and .src_ip == \"$PHONE\" and .sip.end == \"$end\")")" -ge 1
done
expect "sip records of the attacker's" "$(eve "count(.event_type == \"sip\" and .src_ip == \"$ATTACKER\")")" -ge 1
expect "call records ended by BYE, with their RTP (queue 1) counted both ways" \
	"$(eve '[ev("call")[] | select(.call.end == "bye" and .call.media[0].rtp_packets.caller >= 200 and .call.media[0].rtp_packets.callee >= 200)] | length')" \
	-eq $N "$(eve '[ev("call")[] | .call]')"
expect "the attacker blocked (block record)" \
	"$(eve "count(.event_type == \"block\" and .block.ip == \"$ATTACKER\")")" -ge 1
expect "stats: sipwire.capture.missed" "$(eve 'stats.sipwire.capture.missed')" -eq 0

e2e_end
