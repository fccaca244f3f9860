#!/bin/bash
# benign.sh - ordinary phone traffic through sipwire inline: nothing is
# blocked, the calls' RTP is offloaded to the kernel.
#
# Lab: Kamailio registrar (digest auth, qop=auth) at 192.0.2.5; a SIPp UAS
# registered as 120 from inside the PBX's namespace answers on :5070 and
# echoes RTP (-rtp_echo, media port 16000); the phone 192.0.2.10 registers
# as 100 through the bridge (REGISTER, 401, REGISTER with credentials, 200)
# and places N calls to 120 with RTP (tools/sipp/uac_rtp.xml: SIPp's
# g711a.pcap, 236 packets, from media port 10000), 5 a second.
# Both media ports are in the deployment's RTP range (10000:20000), so RTP
# is queued until sipwire ties it to its call and offloads it.
#
# Checks: the registration's 200 crossed; all N calls succeed at the caller
# and at the callee; the RTP crossed both ways (counted at the far ends);
# the EVE log has no alert and no drop, N call records ended by the
# caller's BYE, an RTP flow offloaded ("bypass":"capture") and
# stats bypassed_flows > 0; the SIPWIRE chain's connmark ACCEPT rule
# forwarded most of the RTP (offloaded packets never reach the queue);
# neither the kernel nor sipwire lost a queued packet.
. "$(dirname "$0")/lib.sh"

N=10
e2e_begin benign sipp conntrack
lab_up
sw_start_or_bail

cap_start pbx pbx eth0 udp
cap_start phone phone eth0 udp
uas_up "$N" -mp 16000 -rtp_echo

phone_register

rc=$(rtp_calls $N $N 5)
uas_rc=$(sipp_wait uas 30)
sleep 0.5
cap_stop pbx
cap_stop phone

# Before sipwire stops: the kernel's view.
connmark=$(iptables_pkts 'ACCEPT .*connmark match')
queued=$(iptables_pkts 'NFQUEUE +17 ')
qline=$(queue_line 0)
# The calls have ended (BYE): sipwire deleted their offloaded connections,
# so no connection with the bypass mark is left for the next call to ride.
marked=$(ns sipwire conntrack -L -m 0x40000000/0x40000000 2>/dev/null | grep -c 'mark=')
sw_stop
check_sw_exit

# What crossed the wire.
expect "the PBX saw the phone's REGISTER challenged (401)" \
	"$(pkts pbx '$2 == "192.0.2.5" && $4 == "192.0.2.10" && $6 == "RESP" && $7 == "401" && $9 == "REGISTER"')" -ge 1
expect "the phone got 200 to its REGISTER" \
	"$(pkts phone '$2 == "192.0.2.5" && $6 == "RESP" && $7 == "200" && $9 == "REGISTER"')" -ge 1
expect_str "caller SIPp exit status 0" "$rc" 0 "$(tail -5 "$W/calls.log")"
expect "caller: successful calls" "$(sipp_stat calls 'SuccessfulCall(C)')" -eq $N
expect "caller: failed calls" "$(sipp_stat calls 'FailedCall(C)')" -eq 0
expect_str "UAS SIPp exit status 0" "$uas_rc" 0 "$(tail -5 "$W/uas.log")"
expect "UAS: successful calls" "$(sipp_stat uas 'SuccessfulCall(C)')" -eq $N
expect "INVITEs that reached the PBX" \
	"$(pkts pbx '$2 == "192.0.2.10" && $6 == "REQ" && $7 == "INVITE"')" -eq $N
rtp_in=$(pkts pbx '$2 == "192.0.2.10" && $3 == 10000 && $5 == 16000 && $6 == "RTP"')
rtp_back=$(pkts phone '$2 == "192.0.2.5" && $3 == 16000 && $5 == 10000 && $6 == "RTP"')
# 236 packets a call each way; allow 2% for the echo's own timing
expect "RTP phone -> PBX packets seen at the PBX (of $((N * 236)))" "$rtp_in" -ge $((N * 236 * 98 / 100))
expect "RTP echoed PBX -> phone packets seen at the phone (of $((N * 236)))" "$rtp_back" -ge $((N * 236 * 98 / 100))

# The EVE log.
expect "EVE alert records" "$(eve 'count(.event_type == "alert")')" -eq 0 \
	"$(eve '[ev("alert")[] | .alert.signature_id] | unique')"
expect "EVE drop records" "$(eve 'count(.event_type == "drop")')" -eq 0
expect "EVE call records ended by the caller's BYE" \
	"$(eve 'count(.event_type == "call" and .call.state == "terminated" and .call.end == "bye" and .call.ended_by == "caller" and .call.final_code == 200)')" -eq $N \
	"$(eve '[ev("call")[] | .call | {"state": .state, "end": .end, "ended_by": .ended_by}] | unique')"
expect "EVE RTP flow records offloaded (bypass capture)" \
	"$(eve 'count(.event_type == "flow" and .app_proto == "rtp" and .flow.bypass == "capture")')" -ge 1
expect "stats: sipwire.ips.bypassed_flows" "$(eve 'stats.sipwire.ips.bypassed_flows')" -ge 1
expect "connections still carrying the bypass mark after the calls ended" "$marked" -eq 0
expect "offloaded flow records count what the kernel forwarded after the offload" \
	"$(eve '[ev("flow")[] | select(.flow.bypass == "capture") | .flow.bypassed.pkts // 0] | add // 0')" \
	-ge $((N * 236 * 2 * 80 / 100))
expect "stats: sipwire.capture.missed" "$(eve 'stats.sipwire.capture.missed')" -eq 0

# Offload seen from the kernel: packets of offloaded connections pass the
# connmark rule without being queued.
rtp_total=$((rtp_in + rtp_back))
expect "SIPWIRE connmark ACCEPT packets (RTP offloaded: >= 90% of $rtp_total RTP packets)" \
	"${connmark:-none}" -ge $((rtp_total * 90 / 100)) "queued UDP: $queued"
expect "packets queued to sipwire (UDP rule) < 20% of the RTP" "${queued:-none}" -lt $((rtp_total / 5))
set -- $qline
expect "kernel queue 0: queue_dropped" "${6:-none}" -eq 0 "$qline"
expect "kernel queue 0: user_dropped" "${7:-none}" -eq 0 "$qline"

e2e_end
