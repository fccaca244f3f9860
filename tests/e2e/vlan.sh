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
# arrives (tagged or not: the kernel may have moved the tag out of the
# frame) as "source Call-ID".
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

cat >"$W/rx.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind(("eth0", 0))
with open(sys.argv[1], "a", buffering=1) as out:
    while True:
        f = s.recv(65535)
        o, et = 14, struct.unpack("!H", f[12:14])[0]
        while et in (0x8100, 0x88a8) and len(f) >= o + 4:
            et = struct.unpack("!H", f[o + 2:o + 4])[0]
            o += 4
        if et != 0x0800 or len(f) < o + 28 or f[o + 9] != 17:
            continue
        ihl = (f[o] & 15) * 4
        if struct.unpack("!H", f[o + ihl + 2:o + ihl + 4])[0] != 5060:
            continue
        cid = [l[9:] for l in f[o + ihl + 8:].split(b"\r\n") if l.startswith(b"Call-ID: ")]
        out.write("%s %s\n" % (socket.inet_ntoa(f[o + 12:o + 16]), cid[0].decode() if cid else "-"))
PY
cat >"$W/tx.py" <<'PY'
import socket, struct, sys
src, dst, ua, cid, smac, dmac = sys.argv[1:7]
m = ("OPTIONS sip:100@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s\r\n"
     "Max-Forwards: 70\r\nFrom: <sip:100@%s>;tag=%s\r\nTo: <sip:100@%s>\r\nCall-ID: %s\r\n"
     "CSeq: 1 OPTIONS\r\nContact: <sip:100@%s:5060>\r\nUser-Agent: %s\r\n"
     "Accept: application/sdp\r\nContent-Length: 0\r\n\r\n") % (dst, src, cid, dst, cid, dst, cid, src, ua)
pl = m.encode()

def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff

sa, da = socket.inet_aton(src), socket.inet_aton(dst)
udp = struct.pack("!HHHH", 5060, 5060, 8 + len(pl), 0) + pl
c = csum(sa + da + struct.pack("!BBH", 0, 17, len(udp)) + udp) or 0xffff
udp = udp[:6] + struct.pack("!H", c) + udp[8:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, sa, da)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
mac = lambda a: bytes(int(x, 16) for x in a.split(":"))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
s.send(mac(dmac) + mac(smac) + struct.pack("!HHH", 0x8100, 100, 0x0800) + ip + udp)
PY
# The phone's side: every SIP response that comes back, with the frame's
# VLAN as the kernel reports it (in the frame, or moved into the packet
# socket's auxiliary data): "vlan source Call-ID first-line".
cat >"$W/back.py" <<'PY'
import socket, struct, sys
PACKET_AUXDATA, TP_STATUS_VLAN_VALID = 8, 0x10
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.setsockopt(263, PACKET_AUXDATA, 1) # SOL_PACKET
s.bind(("eth0", 0))
with open(sys.argv[1], "a", buffering=1) as out:
    while True:
        f, anc, _, _ = s.recvmsg(65535, socket.CMSG_SPACE(20))
        vlan = 0
        for lvl, typ, data in anc:
            if lvl == 263 and typ == PACKET_AUXDATA and len(data) >= 20:
                st, _, _, _, _, tci = struct.unpack("IIIHHH", data[:18])
                if st & TP_STATUS_VLAN_VALID:
                    vlan = tci & 0xfff
        o, et = 14, struct.unpack("!H", f[12:14])[0]
        while et in (0x8100, 0x88a8) and len(f) >= o + 4:
            vlan = struct.unpack("!H", f[o:o + 2])[0] & 0xfff
            et = struct.unpack("!H", f[o + 2:o + 4])[0]
            o += 4
        if et != 0x0800 or len(f) < o + 28 or f[o + 9] != 17:
            continue
        ihl = (f[o] & 15) * 4
        pl = f[o + ihl + 8:]
        if not pl.startswith(b"SIP/2.0"):
            continue
        cid = [l[9:] for l in pl.split(b"\r\n") if l.startswith(b"Call-ID: ")]
        out.write("%d %s %s %s\n" % (vlan, socket.inet_ntoa(f[o + 12:o + 16]), cid[0].decode() if cid else "-",
                                       pl.split(b"\r\n", 1)[0].decode()))
PY
cat >"$W/vlan.rules" <<'RULES'
reject sip any any -> any any (msg:"test: reject over a VLAN"; sip.user_agent; content:"reject-me"; sid:9300001; rev:1;)
RULES

# lab_mac ADDR: the MAC tools/lab.sh gives a node (02:00 and the address's bytes)
lab_mac() {
	local IFS=.
	set -- $1
	printf '02:00:%02x:%02x:%02x:%02x' "$1" "$2" "$3" "$4"
}
# options NODE NODE-ADDR SRC UA CALLID: one OPTIONS from NODE in a frame tagged VLAN 100
options() {
	ns "$1" python3 "$W/tx.py" "$3" "$VPBX" "$4" "$5" "$(lab_mac "$2")" "$(lab_mac $PBX)"
}

ns pbx timeout -k 2 60 python3 "$W/rx.py" "$W/pbx.rx" &
BG_PIDS+=($!)
disown $! # killed by the cleanup without a "Terminated" line
ns phone timeout -k 2 60 python3 "$W/back.py" "$W/phone.rx" &
BG_PIDS+=($!)
disown $!
sw_start_or_bail -s "$W/vlan.rules"
sleep 0.5 # the PBX's packet socket is bound by now

options phone $PHONE $VPHONE "$PHONE_UA" vlanphone1
options attacker $ATTACKER $VATT "friendly-scanner" vlanscan1
options phone $PHONE $VPHONE2 "reject-me" vlanreject1
sleep 1
sw_stop
check_sw_exit
expect "the phone's OPTIONS over VLAN 100 reached the PBX" "$(grep -c "^$VPHONE vlanphone1" "$W/pbx.rx" 2>/dev/null)" -eq 1 \
	"$(cat "$W/pbx.rx" 2>/dev/null)"
expect "a sip record of it" \
	"$(eve "count(.event_type == \"sip\" and .src_ip == \"$VPHONE\" and .sip.call_id == \"vlanphone1\")")" -eq 1
expect "the scanner's OPTIONS over VLAN 100 alerted (7100001)" \
	"$(eve "count(.event_type == \"alert\" and .src_ip == \"$VATT\" and .alert.signature_id == 7100001)")" -eq 1
expect "... and kept from the PBX" "$(grep -c "^$VATT " "$W/pbx.rx" 2>/dev/null)" -eq 0 "$(cat "$W/pbx.rx" 2>/dev/null)"
expect "the phone's flow record: vlan [100]" \
	"$(eve "count(.event_type == \"flow\" and .src_ip == \"$VPHONE\" and .vlan == [100])")" -eq 1 \
	"$(eve '[ev("flow")[] | {src_ip, vlan}]')"
expect "the rejected OPTIONS: kept from the PBX" "$(grep -c "^$VPHONE2 " "$W/pbx.rx" 2>/dev/null)" -eq 0
expect "... and its 403 came back tagged VLAN 100" "$(grep -c "^100 $VPBX vlanreject1 SIP/2.0 403" "$W/phone.rx" 2>/dev/null)" -eq 1 \
	"$(cat "$W/phone.rx" 2>/dev/null)"

# Without the sysctl, tagged packets skip iptables, and so the queue.
ns sipwire sysctl -qw net.bridge.bridge-nf-filter-vlan-tagged=0
sw_start_or_bail
options attacker $ATTACKER $VATT2 "friendly-scanner" vlanscan2
sleep 1
sw_stop
expect "control: with bridge-nf-filter-vlan-tagged=0 a scanner's OPTIONS crosses uninspected" \
	"$(grep -c "^$VATT2 vlanscan2" "$W/pbx.rx" 2>/dev/null)" -eq 1 "$(cat "$W/pbx.rx" 2>/dev/null)"
expect "... and sipwire saw nothing of it" "$(eve "count(.src_ip == \"$VATT2\")")" -eq 0

e2e_end
