#!/bin/bash
# engine_per_queue.sh - nfq.engine-per-queue: two queues, each judged by an
# engine of its own (no lock between them), as a deployment that lets the
# kernel keep each pair of hosts on one queue would run it. The split is
# made certain here: UDP SIP to or from the attacker goes to queue 1,
# everything else (the phone's SIP and RTP) to queue 0.
#
# Run with the ThreadSanitizer build when an up-to-date one is there (make
# test builds it): the engines share the EVE file, the reject injector and
# the conntrack handle, and any race there is a report.
#
# Checks: sipwire says it runs an engine per queue; the phone's calls
# succeed with their RTP tied to them (SIP and RTP on queue 0, one
# engine); svwar on queue 1 is alerted and blocked, with nothing raised
# against the phone; each engine writes its own stats (sipwire.queue 0 and
# 1), each counting only its queue's packets; EVE is whole JSON lines; no
# sanitizer report, clean exit.
. "$(dirname "$0")/lib.sh"

N=2
# A SAN=1 run tests its own (ASan) build unless SIPWIRE_TSAN names one.
TSAN_BIN=$(tsan_build)
[ "${SAN:-0}" = 1 ] && [ -z "${SIPWIRE_TSAN:-}" ] && TSAN_BIN=
[ -n "$TSAN_BIN" ] && SIPWIRE=$TSAN_BIN
e2e_begin engine_per_queue sipp svwar
lab_up

attacker_queue1

[ -n "$TSAN_BIN" ] && use_tsan "$TSAN_BIN"
sw_start_or_bail -q 1 --set nfq.engine-per-queue=true --set ips.media-offload=false
expect "queue 1 bound too" "$([ -n "$(queue_line 1)" ] && echo 1 || echo 0)" -eq 1 \
	"$(ns sipwire cat /proc/net/netfilter/nfnetlink_queue)"
expect "sipwire says: an engine per queue" "$(grep -c 'inline on 2 queues, .* rules, an engine per queue' "$SW_ERR")" -eq 1 \
	"$(head -3 "$SW_ERR")"

uas_up "$N" -mp 16000 -rtp_echo
phone_register
rc=$(rtp_calls $N 1 1)
uas_rc=$(sipp_wait uas 30)
# A reload compiles a rule set for each engine and swaps them all in.
kill -HUP "$SW_PID"
for i in $(seq 100); do
	grep -q "rules reloaded" "$SW_ERR" && break
	sleep 0.2
done
timeout -k 5 30 ip netns exec "${PREFIX}attacker" svwar -x $ATTACKER --maximumtime 3 -e100-109 $PBX \
	</dev/null >"$W/svwar.out" 2>&1
sleep 1
q0=$(queue_line 0)
q1=$(queue_line 1)
sw_stop
check_sw_exit

expect "rules reloaded on SIGHUP, once for all engines" "$(grep -c 'rules reloaded' "$SW_ERR")" -eq 1 "$(tail -3 "$SW_ERR")"
expect_str "caller SIPp exit status 0" "$rc" 0 "$(tail -5 "$W/calls.log")"
expect "caller: successful calls" "$(sipp_stat calls 'SuccessfulCall(C)')" -eq $N
expect_str "UAS SIPp exit status 0" "$uas_rc" 0 "$(tail -5 "$W/uas.log")"
expect "call records ended by BYE with their RTP counted both ways (>= 230 of 236 packets each)" \
	"$(eve '[ev("call")[] | select(.call.end == "bye") | .call.media[0].rtp_packets | select(.caller >= 230 and .callee >= 230)] | length')" \
	-eq $N "$(eve '[ev("call")[] | .call.media]')"
expect "EVE alerts against the phone" "$(eve 'count(.event_type == "alert" and .src_ip == "192.0.2.10")')" -eq 0
expect "svwar alerted (7100001)" \
	"$(eve "count(.event_type == \"alert\" and .alert.signature_id == 7100001 and .src_ip == \"$ATTACKER\")")" -ge 1
expect "svwar blocked (block record)" "$(eve "count(.event_type == \"block\" and .block.ip == \"$ATTACKER\")")" -ge 1

lines=$(wc -l <"$W/log/eve.json")
expect "EVE: every line is one JSON object" "$(jq -c 'select(type == "object")' "$W/log/eve.json" 2>/dev/null | wc -l)" \
	-eq "$lines" "$(jq -c . "$W/log/eve.json" 2>&1 >/dev/null | head -3)"
# Each engine's last stats record counts its own queue's packets: the
# kernel's packet ids of that queue (column 8), nothing of the other's.
set -- $q0
expect "engine of queue 0: stats count queue 0's packets" \
	"$(eve '[ev("stats")[] | select(.stats.sipwire.queue == 0)] | last | .stats.sipwire.capture.packets')" -eq "${8:-0}" "$q0"
set -- $q1
expect "engine of queue 1: stats count queue 1's packets" \
	"$(eve '[ev("stats")[] | select(.stats.sipwire.queue == 1)] | last | .stats.sipwire.capture.packets')" -eq "${8:-0}" "$q1"
expect "queue 1 (svwar) packets" "${8:-0}" -ge 1 "$q1"
expect "queue 0's engine followed the phone's calls" \
	"$(eve '[ev("stats")[] | select(.stats.sipwire.queue == 0)] | last | .stats.sipwire.dialogs.total')" -ge $N
expect "queue 1's engine saw none of them" \
	"$(eve '[ev("stats")[] | select(.stats.sipwire.queue == 1)] | last | .stats.sipwire.dialogs.total')" -eq 0

e2e_end
