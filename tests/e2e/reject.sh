#!/bin/bash
# reject.sh - `reject` rules answer on the wire, as the PBX would, and no
# faster than ips.reject-max-per-second:
#   SIP request over UDP  -> a SIP 403 from the PBX's address (RFC 3261
#                            §8.2.6: Via, From, Call-ID, CSeq copied)
#   SIP over TCP          -> a RST: the phone's connection is reset (and
#                            with rejectboth the PBX's side too)
#   other UDP             -> ICMP port unreachable: the sender's connected
#                            socket gets ECONNREFUSED
# and the rejected packets never reach the PBX.
#
# Test rules (-S: only these): SIP with User-Agent "reject-me" (reject),
# "reject-both" (rejectboth: the TCP probe), UDP with payload "zap" to the
# RTP range. The phone's probes are python3 sockets;
# the PBX side has a TCP listener on 5061 (queued by the bridge rules).
# Then 20 rejected OPTIONS in a burst with ips.reject-max-per-second=5:
# 5 answered, 15 only dropped (stats reject_limited).
. "$(dirname "$0")/lib.sh"

e2e_begin reject python3
lab_up
cat >"$W/reject.rules" <<'EOF'
reject sip any any -> any any (msg:"test: reject a marked User-Agent"; sip.user_agent; content:"reject-me"; sid:9200001; rev:1;)
rejectboth sip any any -> any any (msg:"test: reset both ends"; sip.user_agent; content:"reject-both"; sid:9200003; rev:1;)
reject udp any any -> any 10000:20000 (msg:"test: reject zap"; content:"zap"; sid:9200002; rev:1;)
EOF
sw_start_or_bail -S "$W/reject.rules" --set ips.reject-max-per-second=5

# A TCP listener on the PBX side, port 5061: counts connections and bytes.
ns pbx timeout -k 2 30 python3 - "$W/tcp.count" <<'EOF' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.5", 5061))
s.listen(4)
s.settimeout(25)
got = 0
conns = []
try:
    while True:
        c, _ = s.accept()
        c.settimeout(3)
        how = "closed"
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    break
                got += len(d)
        except ConnectionResetError:
            how = "reset"
        except Exception as e:
            how = type(e).__name__
        conns.append(how)
        open(sys.argv[1], "w").write("%d %s" % (got, ",".join(conns)))
except Exception:
    pass
open(sys.argv[1], "w").write("%d %s" % (got, ",".join(conns)))
EOF
BG_PIDS+=($!)
sleep 0.5
cap_start pbx pbx eth0 udp or tcp port 5061
cap_start phone phone eth0 udp port 5060

OPT='OPTIONS sip:100@192.0.2.5 SIP/2.0\r\nVia: SIP/2.0/{T} 192.0.2.10:{P};branch=z9hG4bK-rej-{N};rport\r\nMax-Forwards: 70\r\nFrom: <sip:200@192.0.2.5>;tag=r{N}\r\nTo: <sip:100@192.0.2.5>\r\nCall-ID: rej-{N}@192.0.2.10\r\nCSeq: {N} OPTIONS\r\nUser-Agent: reject-me/1.0\r\nContent-Length: 0\r\n\r\n'
out=$(ns phone python3 - "$OPT" <<'EOF'
import errno, socket, sys, time
opt = sys.argv[1].encode().decode("unicode_escape")
res = []
# 1. SIP over UDP: a 403 comes back to our socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("192.0.2.10", 5066))
u.settimeout(2)
u.sendto(opt.replace("{T}", "UDP").replace("{P}", "5066").replace("{N}", "1").encode(), ("192.0.2.5", 5060))
try:
    d, a = u.recvfrom(4096)
    line = d.split(b"\r\n")[0].decode()
    cid = [l for l in d.split(b"\r\n") if l.lower().startswith(b"call-id:")]
    res.append("udp=%s|%s|%s" % (a[0], line, cid[0].decode() if cid else "-"))
except socket.timeout:
    res.append("udp=timeout")
# 2. SIP over TCP: the connection is reset
t = socket.socket()
t.settimeout(3)
try:
    t.connect(("192.0.2.5", 5061))
    t.send(opt.replace("{T}", "TCP").replace("{P}", "5061").replace("{N}", "2")
           .replace("reject-me", "reject-both").encode())
    d = t.recv(4096)
    res.append("tcp=read %d bytes" % len(d))
except ConnectionResetError:
    res.append("tcp=reset")
except Exception as e:
    res.append("tcp=%s" % type(e).__name__)
# 3. other UDP: ICMP port unreachable -> ECONNREFUSED on a connected socket
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.connect(("192.0.2.5", 12000))
c.settimeout(2)
c.send(b"zapzap")
try:
    c.recv(100)
    res.append("icmp=data")
except ConnectionRefusedError:
    res.append("icmp=refused")
except socket.timeout:
    res.append("icmp=timeout")
print("\n".join(res))
EOF
)
note "probes: $(echo $out)"
sleep 1.2 # the next second: a fresh reply budget
# 4. a burst of 20 rejected OPTIONS: 5 answered
ns phone python3 - "$OPT" <<'EOF'
import socket, sys
opt = sys.argv[1].encode().decode("unicode_escape")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("192.0.2.10", 5068))
for n in range(100, 120):
    u.sendto(opt.replace("{T}", "UDP").replace("{P}", "5068").replace("{N}", str(n)).encode(), ("192.0.2.5", 5060))
EOF
sleep 1
cap_stop pbx
cap_stop phone
sw_stop
check_sw_exit

mapfile -t probe <<<"$out"
expect_str "SIP over UDP: a 403 from 192.0.2.5 with the request's Call-ID" "${probe[0]:-}" \
	"udp=192.0.2.5|SIP/2.0 403 Forbidden|Call-ID: rej-1@192.0.2.10"
expect_str "SIP over TCP: the connection was reset" "${probe[1]:-}" "tcp=reset"
expect_str "UDP to the RTP range: ICMP port unreachable (ECONNREFUSED)" "${probe[2]:-}" "icmp=refused"
expect_str "rejectboth over TCP: the PBX's side was reset too, and got no byte of it" \
	"$(cat "$W/tcp.count" 2>/dev/null)" "0 reset"
expect "rejected requests that reached the PBX" "$(pkts pbx '$2 == "192.0.2.10" && $6 == "REQ"')" -eq 0
expect "burst of 20: 403s seen at the phone (max 5 a second)" \
	"$(pkts phone '$2 == "192.0.2.5" && $5 == 5068 && $6 == "RESP" && $7 == "403"')" -eq 5
expect "stats: reject_sip (1 + 5)" "$(eve 'stats.sipwire.ips.reject_sip')" -eq 6
expect "stats: reject_rst (one to each end)" "$(eve 'stats.sipwire.ips.reject_rst')" -eq 2
expect "stats: reject_icmp" "$(eve 'stats.sipwire.ips.reject_icmp')" -eq 1
expect "stats: reject_limited (20 - 5)" "$(eve 'stats.sipwire.ips.reject_limited')" -eq 15
expect "alerts of the reject rules" "$(eve 'count(.event_type == "alert" and .alert.action == "blocked")')" -ge 23

e2e_end
