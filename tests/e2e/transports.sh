#!/bin/bash
# transports.sh - inline over TCP and over IPv6, not only UDP/IPv4:
#   TCP:  the phone registers over TCP with digest auth (SIPp -t t1) and
#         calls the UAS over TCP (Kamailio relays to it over UDP): both
#         succeed and sipwire follows them (sip and call records over
#         TCP); a scanner's OPTIONS over TCP is alerted and never reaches
#         the PBX.
#   IPv6: phone 2001:db8::10 and PBX 2001:db8::5 on the same segment (the
#         bridge rules are in ip6tables too): an ordinary OPTIONS crosses;
#         one with a scanner's User-Agent is dropped (alert with ip_v 6);
#         one a reject rule matches gets a 403 back over IPv6, from the
#         PBX's address, and never reaches it.
. "$(dirname "$0")/lib.sh"

e2e_begin transports sipp
lab_up
cat >"$W/reject.rules" <<'EOF'
reject sip any any -> any any (msg:"test: reject a marked User-Agent"; sip.user_agent; content:"reject-me"; sid:9300001; rev:1;)
EOF
sw_start_or_bail -s "$W/reject.rules"

# --- TCP -----------------------------------------------------------------
cap_start pbx pbx eth0 tcp port 5060
uas_up 1
rc=$(sipp_run treg phone 20 -t t1 -timeout 15s -timeout_error -sf "$SIPP_DIR/register.xml" \
	-s 100 -au 100 -ap "$(pw 100)" -key ua "$PHONE_UA" -key expires 3600 -i $PHONE -p 5070 -m 1 \
	$PBX:5060)
expect_str "phone 100 registers over TCP with digest auth (SIPp status)" "$rc" 0 "$(tail -5 "$W/treg.log")"
rc=$(sipp_run tcall phone 40 -t t1 -timeout 30s -timeout_error -sf "$SIPP_DIR/uac.xml" -s 120 \
	-key from 100 -key ua "$PHONE_UA" -i $PHONE -p 5070 -m 1 $PBX:5060)
expect_str "a call over TCP through the bridge (SIPp status)" "$rc" 0 "$(tail -5 "$W/tcall.log")"
ns attacker python3 - <<'EOF'
import socket
s = socket.create_connection(("192.0.2.5", 5060), timeout=3)
s.sendall(b"OPTIONS sip:100@192.0.2.5 SIP/2.0\r\n"
          b"Via: SIP/2.0/TCP 192.0.2.66:5080;branch=z9hG4bK-tcpscan-1\r\nMax-Forwards: 70\r\n"
          b"From: \"sipvicious\" <sip:100@192.0.2.66>;tag=s1\r\nTo: <sip:100@192.0.2.5>\r\n"
          b"Call-ID: tcpscan-1@192.0.2.66\r\nCSeq: 1 OPTIONS\r\nUser-Agent: friendly-scanner\r\n"
          b"Content-Length: 0\r\n\r\n")
try:
    s.recv(100)
except Exception:
    pass
EOF
sleep 0.5
cap_stop pbx
sipp_wait uas 10 >/dev/null

# --- IPv6 ----------------------------------------------------------------
for node in phone pbx; do
	ns $node sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0
done
ns phone ip -6 addr add 2001:db8::10/64 dev eth0 nodad
ns pbx ip -6 addr add 2001:db8::5/64 dev eth0 nodad
ns pbx timeout -k 2 20 python3 - "$W/v6.got" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("2001:db8::5", 5060))
s.settimeout(6)
got = []
try:
    while True:
        d, a = s.recvfrom(4096)
        got.append(d.split(b"\r\n")[0].decode() + " | " +
                   [l for l in d.split(b"\r\n") if l.startswith(b"User-Agent")][0].decode())
except Exception:
    pass
open(sys.argv[1], "w").write("\n".join(got) + "\n")
EOF
V6_SINK=$!
BG_PIDS+=($V6_SINK)
sleep 0.5
v6=$(ns phone python3 - <<'EOF'
import socket
def opt(n, ua):
    return ("OPTIONS sip:100@[2001:db8::5] SIP/2.0\r\n"
            "Via: SIP/2.0/UDP [2001:db8::10]:5066;branch=z9hG4bK-v6-%d;rport\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:200@[2001:db8::5]>;tag=v%d\r\n"
            "To: <sip:100@[2001:db8::5]>\r\nCall-ID: v6-%d@2001:db8::10\r\n"
            "CSeq: %d OPTIONS\r\nUser-Agent: %s\r\nContent-Length: 0\r\n\r\n" % (n, n, n, n, ua)).encode()
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("2001:db8::10", 5066))
s.settimeout(2)
# ND first: a harmless packet to an unqueued port, so the neighbour is known
s.sendto(b"hello", ("2001:db8::5", 9))
import time; time.sleep(0.5)
s.sendto(opt(1, "Yealink SIP-T46S 66.86.0.15"), ("2001:db8::5", 5060))
s.sendto(opt(2, "reject-me/1.0"), ("2001:db8::5", 5060))
try:
    d, a = s.recvfrom(4096)
    print("%s %s" % (a[0], d.split(b"\r\n")[0].decode()))
except socket.timeout:
    print("no answer")
# last: the scanner's blocks this source for an hour
s.sendto(opt(3, "friendly-scanner"), ("2001:db8::5", 5060))
EOF
)
wait "$V6_SINK" 2>/dev/null # it writes what it got after 6 s of silence
sw_stop
check_sw_exit

expect "TCP: sip records over TCP" "$(eve 'count(.event_type == "sip" and .proto == "TCP")')" -ge 3
expect "TCP: the call's record over TCP, ended by BYE" \
	"$(eve 'count(.event_type == "call" and .proto == "TCP" and .call.end == "bye")')" -eq 1
expect "TCP: no alert against the phone" "$(eve 'count(.event_type == "alert" and .src_ip == "192.0.2.10")')" -eq 0
expect "TCP: the scanner's OPTIONS alerted (7100001) over TCP" \
	"$(eve 'count(.event_type == "alert" and .alert.signature_id == 7100001 and .proto == "TCP")')" -ge 1
expect "TCP: the scanner's OPTIONS never reached the PBX" \
	"$(tcpdump -r "$W/pbx.pcap" -n -A 2>/dev/null | grep -c 'friendly-scanner')" -eq 0
expect_str "IPv6: the ordinary OPTIONS crossed, the scanner's and the rejected one did not" \
	"$(cat "$W/v6.got" 2>/dev/null)" "OPTIONS sip:100@[2001:db8::5] SIP/2.0 | User-Agent: Yealink SIP-T46S 66.86.0.15"
expect_str "IPv6: the rejected OPTIONS got a 403 from the PBX's address" "$v6" \
	"2001:db8::5 SIP/2.0 403 Forbidden"
expect "IPv6: the scanner alerted (7100001) with ip_v 6" \
	"$(eve 'count(.event_type == "alert" and .alert.signature_id == 7100001 and .ip_v == 6)')" -ge 1

e2e_end
