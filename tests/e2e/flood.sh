#!/bin/bash
# flood.sh - an INVITE flood through sipwire inline while a phone makes
# ordinary calls: the flood is blocked within its first seconds, the
# phone's calls go on.
#
# A SIPp UAS registered as 120 answers behind the PBX; the phone
# 192.0.2.10 (registered as 100) places N calls to 120 at 2 a second
# (tools/sipp/uac.xml, 2 s each). A second in, the attacker 192.0.2.66
# floods the PBX with INVITEs at 300 a second for 3 s (the same scenario
# with a phone's User-Agent, so no fingerprint gives it away; to an unknown
# user, answered 404 while they get through).
#
# Checks: >= 99% of the phone's calls succeed (SIPp caller and UAS); the
# flood rule 7100201 alerted on 192.0.2.66 and a block record names it (600
# s); drop records for it, and sipwire's drop count covers every INVITE
# held back; the PBX (captured on its own interface) received at most 5% of
# the flood's INVITEs; nothing was raised against the phone; no queued
# packet was lost.
. "$(dirname "$0")/lib.sh"

N=20
FLOOD_RATE=300
FLOOD_CALLS=900
e2e_begin flood sipp
lab_up
sw_start_or_bail
cap_start pbx pbx eth0 udp port 5060
uas_up 0
phone_register

sipp_bg calls phone 60 -timeout 50s -timeout_error -sf "$SIPP_DIR/uac.xml" -s 120 -key from 100 \
	-key ua "$PHONE_UA" -i $PHONE -p 5060 -m $N -l $N -r 2 $PBX:5060
sleep 1
# The flood: an unanswered INVITE is given up after 2 s (-recv_timeout), so
# SIPp ends about 2 s after its last one.
sipp_bg flood attacker 20 -recv_timeout 2000 -sf "$SIPP_DIR/uac.xml" -s 999 -key from 999 \
	-key ua "$PHONE_UA" -i $ATTACKER -p 5060 -m $FLOOD_CALLS -l $FLOOD_CALLS -r $FLOOD_RATE $PBX:5060
calls_rc=$(sipp_wait calls 60)
flood_rc=$(sipp_wait flood 20)
sipp_stop uas
sleep 0.3
cap_stop pbx
qline=$(queue_line 0)
sw_stop
check_sw_exit
note "caller status $calls_rc, flood status $flood_rc"

# The phone's calls.
succ=$(sipp_stat calls 'SuccessfulCall(C)')
expect "phone: successful calls (>= 99% of $N)" "$succ" -ge $(((N * 99 + 99) / 100)) "$(tail -5 "$W/calls.log")"
expect "phone: failed calls" "$(sipp_stat calls 'FailedCall(C)')" -eq 0
expect "UAS: successful calls" "$(sipp_stat uas 'SuccessfulCall(C)')" -ge $(((N * 99 + 99) / 100))

# The flood.
sent=$(sipp_stat flood 'OutgoingCall(C)')
expect "flood: INVITEs the attacker sent (calls created, of $FLOOD_CALLS)" "$sent" -ge $((FLOOD_CALLS * 2 / 3))
reached=$(pkts pbx '$2 == "192.0.2.66" && $6 == "REQ" && $7 == "INVITE"')
expect "flood: INVITEs that reached the PBX (<= 5% of those sent)" "$reached" -le $((${sent//[^0-9]/0} * 5 / 100))
expect "flood: alerts 7100201 (INVITE flood) from 192.0.2.66" \
	"$(eve 'count(.event_type == "alert" and .alert.signature_id == 7100201 and .src_ip == "192.0.2.66")')" -ge 1
expect "flood: block record for 192.0.2.66 by 7100201 for 600 s" \
	"$(eve 'count(.event_type == "block" and .block.ip == "192.0.2.66" and .block.signature_id == 7100201 and .block.seconds == 600)')" -eq 1
expect "flood: drop records for 192.0.2.66" "$(eve 'count(.event_type == "drop" and .src_ip == "192.0.2.66")')" -ge 1
# Every dropped packet is counted in the stats (records may be fewer: one
# per flow for a blocked source)
expect "stats: sipwire.ips.drops (>= INVITEs sent - reached)" "$(eve 'stats.sipwire.ips.drops')" \
	-ge $((${sent//[^0-9]/0} - reached))

# Nothing against the phone.
expect "no alert from or to the phone" \
	"$(eve 'count(.event_type == "alert" and (.src_ip == "192.0.2.10" or .dest_ip == "192.0.2.10"))')" -eq 0
expect "no block record but 192.0.2.66's" "$(eve 'count(.event_type == "block" and .block.ip != "192.0.2.66")')" -eq 0
expect "no drop record for the phone" \
	"$(eve 'count(.event_type == "drop" and (.src_ip == "192.0.2.10" or .dest_ip == "192.0.2.10"))')" -eq 0
expect "EVE call records of the phone's calls ended by BYE" \
	"$(eve 'count(.event_type == "call" and .src_ip == "192.0.2.10" and .call.end == "bye")')" -ge $(((N * 99 + 99) / 100))

expect "stats: sipwire.capture.missed" "$(eve 'stats.sipwire.capture.missed')" -eq 0
set -- $qline
expect "kernel queue 0: queue_dropped" "${6:-none}" -eq 0 "$qline"
expect "kernel queue 0: user_dropped" "${7:-none}" -eq 0 "$qline"

e2e_end
