#!/bin/bash
# forged_bye.sh - a BYE forged by a third host for a live call is dropped
# by sipwire inline, and the call goes on to its normal end.
#
# The phone 192.0.2.10 calls 120 (a SIPp UAS registered behind the PBX,
# answering on 192.0.2.5:5070) through Kamailio, which record-routes; the
# call lasts 8 s (tools/sipp/uac.xml with a longer pause). Once it is
# answered, the test reads the dialog (Call-ID, tags, the UAS's Contact,
# the route set) from a capture on the phone, and the attacker 192.0.2.66
# sends the caller's BYE for it to the PBX (tests/e2e/forge_bye.py),
# twice, as a UA retransmits. Without sipwire Kamailio would relay it to
# the UAS and the call would end there; the caller's own BYE would then
# fail.
#
# Checks: the hijack rule 7100501 (BYE from a host that is not a party)
# alerted on 192.0.2.66 and a drop record says so; no packet from
# 192.0.2.66 reached the PBX (capture on its interface) and the attacker
# got no answer; exactly one BYE reached the UAS (the caller's, relayed by
# Kamailio: capture on the PBX's loopback), after the call's 8 s; the
# caller's SIPp reports the call successful, its BYE answered 200 (seen at
# the phone); the call record ends by the caller's BYE with 200.
. "$(dirname "$0")/lib.sh"

e2e_begin forged_bye sipp
lab_up
sw_start_or_bail
cap_start pbx pbx eth0 udp port 5060
cap_start uas pbx lo udp port 5070
cap_start phone phone eth0 udp port 5060
uas_up 1

# An 8-second call.
sed 's|<pause milliseconds="2000"/>|<pause milliseconds="8000"/>|' "$SIPP_DIR/uac.xml" >"$W/uac_8s.xml"
grep -q 'pause milliseconds="8000"' "$W/uac_8s.xml" || nok "an 8 s call scenario from tools/sipp/uac.xml"
sipp_bg call phone 40 -timeout 30s -timeout_error -sf "$W/uac_8s.xml" -s 120 -key from 100 \
	-key ua "$PHONE_UA" -i $PHONE -p 5060 -m 1 $PBX:5060
t_call=$(date +%s.%N)

# Wait for the answer to show in the phone's capture (bounded).
got=1
for _ in $(seq 100); do
	if python3 tests/e2e/forge_bye.py dialog "$W/phone.pcap" $PHONE >"$W/dialog.txt" 2>/dev/null; then
		got=0
		break
	fi
	sleep 0.1
done
check "the call is answered and its dialog read from the phone's capture" $got
sed 's/^/# dialog: /' "$W/dialog.txt"
sleep 1
t_forged=$(date +%s)
ns attacker timeout 10 python3 tests/e2e/forge_bye.py send "$W/dialog.txt" $ATTACKER 5060 $PBX 5060 "$W/forged.txt"
check "the attacker sent the forged BYE" $? "$(cat "$W/forged.txt" 2>/dev/null)"

call_rc=$(sipp_wait call 40)
uas_rc=$(sipp_wait uas 10)
t_end=$(date +%s.%N)
sleep 0.3
cap_stop pbx
cap_stop uas
cap_stop phone
sw_stop
check_sw_exit
note "call lasted $(echo "$t_end - $t_call" | bc) s; forged BYE sent at $(date -d @"$t_forged" +%T)"

# The forged BYE.
expect "alerts 7100501 (BYE from a host that is not a party) from 192.0.2.66" \
	"$(eve 'count(.event_type == "alert" and .alert.signature_id == 7100501 and .src_ip == "192.0.2.66")')" -ge 1
callid=$(awk -F'\t' '$1 == "call_id" {print $2}' "$W/dialog.txt")
expect "7100501 alerts for another Call-ID than the live call's ($callid)" \
	"$(eve "count(.event_type == \"alert\" and .alert.signature_id == 7100501 and .sip.call_id != \"$callid\")")" -eq 0
expect "drop records for 192.0.2.66" "$(eve 'count(.event_type == "drop" and .src_ip == "192.0.2.66")')" -ge 1
expect "packets from 192.0.2.66 that reached the PBX" "$(pkts pbx '$2 == "192.0.2.66"')" -eq 0
expect "answers the attacker got" "$(awk '/^answers:/ {print $2}' "$W/forged.txt")" -eq 0

# The call.
expect_str "caller SIPp exit status 0" "$call_rc" 0 "$(tail -5 "$W/call.log")"
expect "caller: successful calls" "$(sipp_stat call 'SuccessfulCall(C)')" -eq 1
expect "caller: failed calls" "$(sipp_stat call 'FailedCall(C)')" -eq 0
expect_str "UAS SIPp exit status 0" "$uas_rc" 0 "$(tail -5 "$W/uas.log")"
expect "BYEs that reached the UAS" "$(pkts uas '$5 == 5070 && $6 == "REQ" && $7 == "BYE"')" -eq 1
first_bye=$(awk -F'\t' '$5 == 5070 && $6 == "REQ" && $7 == "BYE" {print int($1); exit}' "$W/uas.tsv")
expect "the UAS's BYE came after the forged one (s later)" "$((${first_bye:-0} - t_forged))" -ge 4
expect "the phone's BYE answered 200" \
	"$(pkts phone '$2 == "192.0.2.5" && $6 == "RESP" && $7 == "200" && $9 == "BYE"')" -eq 1
expect "call record ended by the caller's BYE" \
	"$(eve 'count(.event_type == "call" and .call.end == "bye" and .call.ended_by == "caller" and .call.final_code == 200)')" -eq 1 \
	"$(eve '[ev("call")[] | .call | {"state": .state, "end": .end, "ended_by": .ended_by}]')"
expect "no alert but 7100501" "$(eve 'count(.event_type == "alert" and .alert.signature_id != 7100501)')" -eq 0
expect "no drop record for the phone" \
	"$(eve 'count(.event_type == "drop" and (.src_ip == "192.0.2.10" or .dest_ip == "192.0.2.10"))')" -eq 0

e2e_end
