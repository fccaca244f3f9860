#!/bin/bash
# The capture generator, checked by an independent dissector (tshark):
# every SIP message of the demo decodes (also over TCP and IP fragments),
# the counts of its scenarios are what tools/sipgen.c documents, checksums
# are right, digest responses are real MD5, RTP streams are clean, bench
# captures scale with --calls and --rtp-pps, and output is deterministic;
# the replay captures it made are what it makes today.
# TAP output. Needs tshark (make deps).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/rel}
GEN=$BUILD/tools/sipgen
W=$(mktemp -d /tmp/sipwire-sipgen.XXXXXX)
trap 'rm -rf "$W"' EXIT
. tests/tap.sh
# frames FILE FILTER: number of frames tshark shows for a display filter
frames() { tshark -r "$1" -Y "$2" 2>/dev/null | wc -l; }
# expect NAME FILE FILTER COUNT
expect() {
	local got
	got=$(frames "$2" "$3")
	[ "$got" -eq "$4" ]; check "$1: $4 frames match '$3'" $? "got $got"
}
# sipstat FILE: "Number of SIP messages" from tshark's SIP statistics
sipstat() { tshark -r "$1" -q -z sip,stat 2>/dev/null | awk -F': ' '/Number of SIP messages/ {print $2}'; }
# cksum_bad FILE: packets with a bad IPv4, UDP or TCP checksum
cksum_bad() {
	tshark -r "$1" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-Y 'ip.checksum.status == 0 || udp.checksum.status == 0 || tcp.checksum.status == 0' 2>/dev/null | wc -l
}
# expert_bad FILE: warnings and errors in tshark's expert info (malformed packets included)
expert_bad() { tshark -r "$1" -q -z expert,warn 2>/dev/null | grep -cE '^(Errors|Warnings) \('; }
# monotonic FILE: 0 if packet timestamps never go back
monotonic() {
	tshark -r "$1" -T fields -e frame.time_epoch 2>/dev/null |
		awk 'NR > 1 && $1 < p { bad = 1 } { p = $1 } END { exit bad }'
}

if [ ! -x "$GEN" ]; then
	echo "1..1"
	echo "not ok 1 - $GEN is not built"
	exit 1
fi
if ! command -v tshark >/dev/null; then
	echo "1..1"
	echo "ok 1 # SKIP tshark is not installed"
	exit 0
fi

# ---------------------------------------------------------------- demo
D=$W/demo.pcap
"$GEN" -o "$D" demo 2>"$W/err"; r=$?
[ $r -eq 0 ] && [ -s "$D" ]; check "demo: exit 0 and a capture" $? "$(cat "$W/err")"
grep -q '^sipgen: demo: [0-9]* packets' "$W/err"; check "demo: one-line summary on stderr" $? "$(cat "$W/err")"
sz=$(stat -c %s "$D")
[ "$sz" -lt 1048576 ]; check "demo: smaller than 1 MiB ($sz bytes)" $?
"$GEN" -o "$W/demo2.pcap" demo 2>/dev/null
cmp -s "$D" "$W/demo2.pcap"; check "demo: byte-identical on a second run" $?
"$GEN" --seed 7 -o "$W/demo7.pcap" demo 2>/dev/null
! cmp -s "$D" "$W/demo7.pcap" && [ "$(sipstat "$W/demo7.pcap")" = "$(sipstat "$D")" ]
check "demo: --seed changes the bytes, not the messages" $?
first=$(tshark -r "$D" -c 1 -T fields -e frame.time_epoch 2>/dev/null)
case "$first" in 1795514400.*) r=0 ;; *) r=1 ;; esac
check "demo: starts at 2026-11-24T10:00:00Z" $r "first packet at $first"
"$GEN" --start 2027-03-01T08:30:00Z -o "$W/demo-s.pcap" demo 2>/dev/null
first=$(tshark -r "$W/demo-s.pcap" -c 1 -T fields -e frame.time_epoch 2>/dev/null)
case "$first" in 1803889800.*) r=0 ;; *) r=1 ;; esac
check "demo: --start moves the capture" $r "first packet at $first"
monotonic "$D"; check "demo: timestamps never go back" $?

m=$(sipstat "$D")
[ "$m" = 114 ]; check "demo: tshark decodes all 114 SIP messages" $? "got $m"
b=$(cksum_bad "$D")
[ "$b" -eq 0 ]; check "demo: IPv4/UDP/TCP checksums all correct" $? "$b bad"
b=$(expert_bad "$D")
[ "$b" -eq 0 ]; check "demo: no warnings or malformed packets in tshark's expert info" $? \
	"$(tshark -r "$D" -q -z expert,warn 2>/dev/null | head -20)"
expect "demo" "$D" 'sip.Method == "INVITE"' 10
expect "demo" "$D" 'sip.Method == "ACK"' 9
expect "demo" "$D" 'sip.Method == "BYE"' 7
expect "demo" "$D" 'sip.Method == "CANCEL"' 1
expect "demo" "$D" 'sip.Method == "OPTIONS"' 26
expect "demo" "$D" 'sip.Method == "REGISTER"' 10
expect "demo" "$D" 'sip.Method == "REGISTER" && sip.Authorization' 5
expect "demo" "$D" 'sip.Status-Code == 200' 26
expect "demo" "$D" 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE"' 7
expect "demo" "$D" 'sip.Status-Code == 401 && sip.WWW-Authenticate contains "qop=\"auth\""' 5
expect "demo" "$D" 'sip.Status-Code == 403' 1
expect "demo" "$D" 'sip.Status-Code == 486' 1
expect "demo" "$D" 'sip.Status-Code == 487' 1
expect "demo" "$D" 'sip.Status-Code == 200 && sip.CSeq.method == "REGISTER" && sip.Contact contains "expires=3600"' 4

# Digest responses are real MD5 (RFC 2617, qop=auth): Alice's password is alice-2026.
tshark -r "$D" -Y 'sip.Method == "REGISTER" && sip.Authorization contains "\"1001\""' \
	-T fields -e sip.Authorization 2>/dev/null >"$W/auth"
python3 - "$W/auth" <<'EOF'
import hashlib, re, sys
h = open(sys.argv[1]).read().strip()
f = dict(re.findall(r'(\w+)="?([^",]*)"?', h))
md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
ha1 = md5("%s:%s:%s" % (f["username"], f["realm"], "alice-2026"))
ha2 = md5("REGISTER:%s" % f["uri"])
want = md5(":".join([ha1, f["nonce"], f["nc"], f["cnonce"], f["qop"], ha2]))
sys.exit(0 if want == f["response"] else 1)
EOF
check "demo: REGISTER Authorization response is the real MD5 digest" $? "$(cat "$W/auth")"

# TCP: handshake, an INVITE in three segments, 100 + 180 in one segment, clean stream.
expect "demo/tcp" "$D" 'tcp.flags.syn == 1' 2
expect "demo/tcp" "$D" 'sip.Method == "INVITE" && tcp.segment.count == 3' 1
c=$(tshark -r "$D" -Y 'tcp && sip' -T fields -e sip.Status-Code 2>/dev/null | grep -c '^100,180$')
[ "$c" -eq 1 ]; check "demo/tcp: 100 Trying and 180 Ringing share one segment" $? "got $c"
expect "demo/tcp" "$D" 'tcp.analysis.flags' 0
# IP fragmentation: IPv4 and IPv6 INVITEs, each in two fragments, reassembled.
expect "demo/frag" "$D" 'sip.Method == "INVITE" && ip.fragment.count == 2' 1
expect "demo/frag" "$D" 'sip.Method == "INVITE" && ipv6.fragment.count == 2' 1
expect "demo/ipv6" "$D" 'ipv6 && sip' 14
# The SIPVicious sweep: 20 hosts, 3 answer.
c=$(tshark -r "$D" -Y 'sip.User-Agent == "friendly-scanner"' -T fields -e ip.dst 2>/dev/null | sort -u | wc -l)
[ "$c" -eq 20 ]; check "demo/scan: friendly-scanner OPTIONS to 20 distinct hosts" $? "got $c"
expect "demo/scan" "$D" 'ip.dst == 203.0.113.66 && sip.Status-Code == 200' 3
# Malformed: no Call-ID, bad CSeq, Content-Length past the body, a NUL byte.
expect "demo/malformed" "$D" 'sip.Method && !sip.Call-ID' 1
expect "demo/malformed" "$D" 'sip.CSeq contains "abc"' 1
expect "demo/malformed" "$D" 'sip.Method == "MESSAGE" && sip.Content-Length == 322' 1
c=$(tshark -r "$D" -Y 'ip.src == 203.0.113.66 && udp.srcport == 5070' -T fields -e udp.payload 2>/dev/null | grep -c '736970736100')
[ "$c" -eq 1 ]; check "demo/malformed: a NUL byte inside User-Agent" $? "got $c"

# RTP: 14 streams, nothing lost, 2387 packets, RTCP sender reports.
tshark -r "$D" -q -z rtp,streams 2>/dev/null >"$W/rtp"
s=$(grep -c 'g711U' "$W/rtp")
[ "$s" -eq 14 ]; check "demo/rtp: 14 PCMU streams" $? "got $s"
l=$(awk '/g711U/ && ($10 != "0" || $NF == "X")' "$W/rtp" | wc -l)
[ "$l" -eq 0 ]; check "demo/rtp: no loss and no problems" $? "$(cat "$W/rtp")"
expect "demo/rtp" "$D" 'rtp.version == 2 && rtp.p_type == 0' 2387
expect "demo/rtp" "$D" 'rtcp.pt == 200' 14
# As the brief asks: RTP decoded by port, without relying on SDP.
c=$(tshark -r "$D" -d udp.port==40000,rtp -q -z rtp,streams 2>/dev/null | grep -c ' 40000 .*g711U')
[ "$c" -eq 2 ]; check "demo/rtp: -d udp.port==40000,rtp shows both directions of Alice's call" $? "got $c"

# Each small scenario alone: clean for tshark and deterministic.
for sc in register calls tcp ipv6 frag scan malformed; do
	"$GEN" -o "$W/$sc.pcap" "$sc" 2>/dev/null && "$GEN" -o "$W/$sc.2.pcap" "$sc" 2>/dev/null
	b=$(expert_bad "$W/$sc.pcap")
	cmp -s "$W/$sc.pcap" "$W/$sc.2.pcap" && [ "$b" -eq 0 ] && [ "$(cksum_bad "$W/$sc.pcap")" -eq 0 ]
	check "$sc: deterministic, clean checksums, no tshark warnings" $?
done
m=0
for sc in register calls tcp ipv6 frag scan malformed; do
	m=$((m + $(sipstat "$W/$sc.pcap")))
done
[ "$m" -eq 114 ]; check "scenarios alone hold the demo's 114 SIP messages" $? "got $m"

# Every replay capture whose README says "Made with: build/rel/tools/sipgen
# -o capture.pcap ARGS" is what sipgen makes with ARGS today: the note is
# true, and a change to sipgen that would change a case's traffic shows.
made=0
for readme in tests/replay/*/README; do
	line=$(grep -m1 '^Made with: build/rel/tools/sipgen -o capture.pcap ' "$readme") || continue
	line=${line#Made with: build/rel/tools/sipgen -o capture.pcap }
	read -r -a args <<<"${line%%(*}" # "(sipgen defaults: ...)" is a note
	case=$(basename "$(dirname "$readme")")
	made=$((made + 1))
	"$GEN" -o "$W/case.pcap" "${args[@]}" 2>"$W/err" && cmp -s "$W/case.pcap" "$(dirname "$readme")/capture.pcap"
	check "replay/$case: capture.pcap is what 'sipgen ${args[*]}' makes" $? "$(cat "$W/err")"
done
[ "$made" -ge 1 ]; check "replay captures made by sipgen found ($made)" $?

# ---------------------------------------------------------------- bench
B=$W/b10.pcap
args="--concurrent 5 --duration 2 --regs 2 --options 2"
"$GEN" --calls 10 $args -o "$B" bench 2>"$W/err"; r=$?
[ $r -eq 0 ]; check "bench: exit 0" $? "$(cat "$W/err")"
"$GEN" --calls 10 $args -o "$W/b10.2.pcap" bench 2>/dev/null
cmp -s "$B" "$W/b10.2.pcap"; check "bench: byte-identical on a second run" $?
monotonic "$B"; check "bench: timestamps never go back" $?
m=$(sipstat "$B")
[ "$m" = 82 ]; check "bench: 82 SIP messages (10 calls x 7, 2 registrations x 4, 2 OPTIONS x 2)" $? "got $m"
expect "bench" "$B" 'sip.Method == "INVITE"' 10
expect "bench" "$B" 'sip.Method == "REGISTER" && sip.Authorization' 2
expect "bench" "$B" 'sip.Status-Code == 200' 24
b=$(cksum_bad "$B")
[ "$b" -eq 0 ]; check "bench: checksums all correct" $? "$b bad"
b=$(expert_bad "$B")
[ "$b" -eq 0 ]; check "bench: no warnings or malformed packets" $?
s=$(tshark -r "$B" -q -z rtp,streams 2>/dev/null | grep -c g711U)
[ "$s" -eq 20 ]; check "bench: 20 RTP streams for 10 calls" $? "got $s"

rtp() { frames "$1" 'rtp.version == 2'; }
r10=$(rtp "$B")
"$GEN" --calls 20 $args -o "$W/b20.pcap" bench 2>/dev/null
r20=$(rtp "$W/b20.pcap")
"$GEN" --calls 10 $args --rtp-pps 100 -o "$W/b10p100.pcap" bench 2>/dev/null
r100=$(rtp "$W/b10p100.pcap")
"$GEN" --calls 10 $args --rtp-pps 0 -o "$W/b10p0.pcap" bench 2>/dev/null
r0=$(rtp "$W/b10p0.pcap")
t0=$(tshark -r "$W/b10p0.pcap" 2>/dev/null | wc -l)
awk -v a="$r10" -v b="$r20" 'BEGIN { exit !(a > 0 && b / a > 1.9 && b / a < 2.1) }'
check "bench: RTP doubles with --calls 20 ($r10 -> $r20)" $?
awk -v a="$r10" -v b="$r100" 'BEGIN { exit !(a > 0 && b / a > 1.9 && b / a < 2.1) }'
check "bench: RTP doubles with --rtp-pps 100 ($r10 -> $r100)" $?
[ "$r0" -eq 0 ] && [ "$t0" -eq 82 ]; check "bench: --rtp-pps 0 gives SIP only ($t0 packets)" $? "rtp $r0"
awk -v a="$r10" 'BEGIN { exit !(a >= 20 * 95 && a <= 20 * 100) }'
check "bench: about 100 RTP packets per stream at 50 pps for 2 s ($r10 for 20 streams)" $?

# Bad arguments are refused with a message.
"$GEN" -o "$W/x.pcap" nosuch 2>"$W/err"; r=$?
[ $r -ne 0 ] && grep -q nosuch "$W/err"; check "unknown scenario: non-zero with a message" $?
"$GEN" --calls many -o "$W/x.pcap" bench 2>"$W/err"; r=$?
[ $r -ne 0 ] && grep -q -- --calls "$W/err"; check "bad --calls: non-zero naming the flag" $?
"$GEN" -o /nonexistent/dir/x.pcap demo 2>"$W/err"; r=$?
[ $r -ne 0 ] && grep -q nonexistent "$W/err"; check "unwritable output: non-zero naming the file" $?

echo "1..$n"
