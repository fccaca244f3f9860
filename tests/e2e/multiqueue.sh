#!/bin/bash
# multiqueue.sh - two queues, one worker thread each, SIP on one and its
# RTP on the other: the calls' media is still tied to the calls (one shared
# call state), nothing is lost, and a scanner on either queue is blocked.
#
# The deployment rules of the lab (tools/sipwire-bridge.sh, queue 0) are
# changed in the test so that the split is certain rather than left to
# --queue-balance's hash: UDP to or from port 5060 goes to queue 0, the RTP
# range 10000:20000 to queue 1. sipwire runs with -q 0 -q 1.
#
# Lab: as benign.sh (Kamailio registrar, a SIPp UAS registered as 120
# behind it echoing RTP from :16000, the phone registering as 100 and
# calling 120 with RTP from :10000), N calls one after the other (they use
# the same media ports: concurrent calls would share one RTP flow), media
# offload off so that every RTP packet is judged on queue 1; then svwar
# from the attacker.
#
# Checks: both queues bound and used (packet ids in /proc); every call
# succeeds; every call record counts its RTP both ways (RTP judged on
# queue 1 was matched to calls seen on queue 0); no alert for the phone; svwar is
# blocked (7100001); no packet lost on either queue.
. "$(dirname "$0")/lib.sh"

N=3
e2e_begin multiqueue sipp svwar
lab_up

# SIP to queue 0, RTP to queue 1 (rules 4 and 5 of the chain: UDP and TCP).
ns sipwire iptables -w -R SIPWIRE 4 -p udp -m multiport --ports 5060,5061 \
	-j NFQUEUE --queue-num 0 --queue-bypass &&
	ns sipwire iptables -w -I SIPWIRE 5 -p udp -m multiport --ports 10000:20000 \
		-j NFQUEUE --queue-num 1 --queue-bypass
check "SIP to queue 0 and RTP to queue 1 in the SIPWIRE chain" $? \
	"$(ns sipwire iptables -w -S SIPWIRE 2>&1)"
sw_start_or_bail -q 1 --set ips.media-offload=false
expect "queue 1 bound too" "$([ -n "$(queue_line 1)" ] && echo 1 || echo 0)" -eq 1 \
	"$(ns sipwire cat /proc/net/netfilter/nfnetlink_queue)"

cap_start pbx pbx eth0 udp
uas_up "$N" -mp 16000 -rtp_echo
phone_register
rc=$(rtp_calls $N 1 1)
uas_rc=$(sipp_wait uas 30)
timeout -k 5 30 ip netns exec "${PREFIX}attacker" svwar -x $ATTACKER --maximumtime 3 -e100-109 $PBX \
	</dev/null >"$W/svwar.out" 2>&1
sleep 1
cap_stop pbx

q0=$(queue_line 0)
q1=$(queue_line 1)
sw_stop
check_sw_exit

expect_str "caller SIPp exit status 0" "$rc" 0 "$(tail -5 "$W/calls.log")"
expect "caller: successful calls" "$(sipp_stat calls 'SuccessfulCall(C)')" -eq $N
expect_str "UAS SIPp exit status 0" "$uas_rc" 0 "$(tail -5 "$W/uas.log")"

# Packet ids used per queue (column 8): both queues carried packets.
set -- $q0
expect "queue 0 (SIP) packets" "${8:-none}" -ge $((N * 6)) "$q0"
expect "queue 0: dropped by the kernel (queue_dropped + user_dropped)" "$((${6:-1} + ${7:-1}))" -eq 0 "$q0"
set -- $q1
expect "queue 1 (RTP) packets" "${8:-none}" -ge $((N * 236 * 2 * 98 / 100)) "$q1"
expect "queue 1: dropped by the kernel (queue_dropped + user_dropped)" "$((${6:-1} + ${7:-1}))" -eq 0 "$q1"

# The calls saw their media although it came through the other queue.
expect "EVE call records ended by BYE" \
	"$(eve 'count(.event_type == "call" and .call.end == "bye")')" -eq $N
expect "call records with their RTP counted both ways (>= 230 of 236 packets each)" \
	"$(eve '[ev("call")[] | select(.call.end == "bye") | .call.media[0].rtp_packets | select(.caller >= 230 and .callee >= 230)] | length')" \
	-eq $N "$(eve '[ev("call")[] | .call.media]')"
expect "EVE alerts against the phone" "$(eve 'count(.event_type == "alert" and .src_ip == "192.0.2.10")')" -eq 0
expect "svwar alerted (7100001)" "$(eve 'count(.event_type == "alert" and .alert.signature_id == 7100001 and .src_ip == "192.0.2.66")')" -ge 1
expect "svwar's REGISTERs that reached the PBX" \
	"$(pkts pbx '$2 == "192.0.2.66" && $6 == "REQ"')" -eq 0
expect "stats: sipwire.capture.missed" "$(eve 'stats.sipwire.capture.missed')" -eq 0
# The call-state shards' locks as the two workers met them: held while a
# worker tracks calls (SIP and media, so for some time), by the two at most
# for twice the run, and waited on no longer than they were held in all (a
# waiter waits for a holder; the once-a-second tick's holds are short).
busy=$(eve 'stats.sipwire.capture.engine_busy_usec')
waited=$(eve 'stats.sipwire.capture.engine_wait_usec')
expect "stats: engine_busy_usec (time call-state shards were held for packets)" "$busy" -gt 0
# Two workers may each hold a shard (different ones) at the same time.
expect "stats: engine_busy_usec under twice the run's length" "$busy" -lt $((2 * SECONDS * 1000000))
# With two workers, one waits only while the other holds the shard it wants.
expect "stats: engine_wait_usec at most engine_busy_usec" "$waited" -le "$busy"
expect "stats: engine_waits present" "$(eve 'stats.sipwire.capture.engine_waits | if . == null then -1 else . end')" -ge 0

e2e_end
