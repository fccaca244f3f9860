#!/bin/bash
# vlan.sh - SIP in 802.1Q-tagged frames (a voice VLAN on the trunk the
# bridge sits on) is inspected like untagged SIP: tools/sipwire-bridge.sh
# sets net.bridge.bridge-nf-filter-vlan-tagged, without which tagged
# packets never reach iptables and cross the bridge uninspected.
#
# The kernel may lack 802.1Q interfaces (CONFIG_VLAN_8021Q), so the frames
# are made by hand: from the phone's and the attacker's eth0, raw Ethernet
# frames tagged VLAN 100 carrying IPv4/UDP SIP between 198.51.100.0/24
# addresses (the phone 198.51.100.10, the attacker .66 and .67, the PBX
# .5) to the PBX's MAC; the segment's bridge and br0 carry them as they
# are. On the PBX a packet socket on eth0 records every SIP datagram that
# arrives (tests/e2e/netprobe.py sniff; the frames are made by its
# "frame").
#
# The queue does not say a packet's tag: the bridge tool's nft table
# (bridge family, before br_netfilter) writes it into the mark, 0x1000 |
# VLAN id, and sipwire (nfq.vlan-mark) reads it from there.
#
# Checks: a phone's OPTIONS over the VLAN reaches the PBX and gets a `sip`
# record, its flow record says vlan [100]; a scanner's OPTIONS (User-Agent
# friendly-scanner) over the VLAN is alerted (7100001) and never reaches
# the PBX; an OPTIONS a test rule rejects gets its 403 back in a frame
# tagged VLAN 100 (seen on the phone's eth0 with its tag); then, with the
# sysctl put back to 0, a scanner's OPTIONS from another VLAN address
# crosses uninspected (what the sysctl is for: this check fails if tagged
# packets were inspected some other way, or if the frames did not cross).
. "$(dirname "$0")/lib.sh"

VPHONE=198.51.100.10 VPHONE2=198.51.100.11 VATT=198.51.100.66 VATT2=198.51.100.67 VPBX=198.51.100.5
e2e_begin vlan python3 nft
lab_up
expect "bridge-nf-filter-vlan-tagged in the sipwire namespace" \
	"$(ns sipwire sysctl -n net.bridge.bridge-nf-filter-vlan-tagged)" -eq 1

cat >"$W/vlan.rules" <<'RULES'
reject sip any any -> any any (msg:"test: reject over a VLAN"; sip.user_agent; content:"reject-me"; sid:9300001; rev:1;)
RULES

# mac NODE: the MAC of NODE's eth0
mac() { ns "$1" cat /sys/class/net/eth0/address; }
# options NODE SRC UA CALLID: one OPTIONS from NODE in a frame tagged VLAN 100
options() {
	printf 'OPTIONS sip:100@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s\r\nMax-Forwards: 70\r\nFrom: <sip:100@%s>;tag=%s\r\nTo: <sip:100@%s>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nContact: <sip:100@%s:5060>\r\nUser-Agent: %s\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n' \
		$VPBX "$2" "$4" $VPBX "$4" $VPBX "$4" "$2" "$3" |
		ns "$1" python3 "$PROBE" frame eth0 100 "$(mac "$1")" "$(mac pbx)" "$2" $VPBX 5060 5060
}

# What arrives (netprobe sniff: $1 vlan, $3 source, $9 Call-ID, then the
# first line): SIP at the PBX, and SIP back at the phone with its tag.
sniff pbx eth0 "$W/pbx.rx"
sniff phone eth0 "$W/phone.rx"
sw_start_or_bail -s "$W/vlan.rules"

options phone $VPHONE "$PHONE_UA" vlanphone1
options attacker $VATT "friendly-scanner" vlanscan1
options phone $VPHONE2 "reject-me" vlanreject1
sleep 1
sw_stop
check_sw_exit
expect "the phone's OPTIONS over VLAN 100 reached the PBX" "$(awk -v a=$VPHONE '$3 == a && $9 == "vlanphone1"' "$W/pbx.rx" | wc -l)" -eq 1 \
	"$(cat "$W/pbx.rx" 2>/dev/null)"
expect "a sip record of it" \
	"$(eve "count(.event_type == \"sip\" and .src_ip == \"$VPHONE\" and .sip.call_id == \"vlanphone1\")")" -eq 1
expect "the scanner's OPTIONS over VLAN 100 alerted (7100001)" \
	"$(eve "count(.event_type == \"alert\" and .src_ip == \"$VATT\" and .alert.signature_id == 7100001)")" -eq 1
expect "... and kept from the PBX" "$(awk -v a=$VATT '$3 == a' "$W/pbx.rx" | wc -l)" -eq 0 "$(cat "$W/pbx.rx" 2>/dev/null)"
expect "the phone's flow record: vlan [100]" \
	"$(eve "count(.event_type == \"flow\" and .src_ip == \"$VPHONE\" and .vlan == [100])")" -eq 1 \
	"$(eve '[ev("flow")[] | {src_ip, vlan}]')"
expect "the rejected OPTIONS: kept from the PBX" "$(awk -v a=$VPHONE2 '$3 == a' "$W/pbx.rx" | wc -l)" -eq 0
expect "... and its 403 came back tagged VLAN 100" "$(awk -v a=$VPBX '$1 == 100 && $3 == a && $9 == "vlanreject1" && $10 == "SIP/2.0" && $11 == 403' "$W/phone.rx" | wc -l)" -eq 1 \
	"$(cat "$W/phone.rx" 2>/dev/null)"

# Without the sysctl, tagged packets skip iptables, and so the queue.
ns sipwire sysctl -qw net.bridge.bridge-nf-filter-vlan-tagged=0
sw_start_or_bail
options attacker $VATT2 "friendly-scanner" vlanscan2
sleep 1
sw_stop
# running to the end, or "saw nothing" below would hold for a dead sipwire
check_sw_exit
expect "control: with bridge-nf-filter-vlan-tagged=0 a scanner's OPTIONS crosses uninspected" \
	"$(awk -v a=$VATT2 '$3 == a && $9 == "vlanscan2"' "$W/pbx.rx" | wc -l)" -eq 1 "$(cat "$W/pbx.rx" 2>/dev/null)"
expect "... and sipwire saw nothing of it" "$(eve "count(.src_ip == \"$VATT2\")")" -eq 0

e2e_end
