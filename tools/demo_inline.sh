#!/bin/bash
# make demo: sipwire inline, protecting a real PBX, in network namespaces.
#
# Builds the lab of ../shared/docs/TESTING.md (tools/lab.sh: a phone, two
# attackers and a host behind a NAT router on the outside segment; a plain
# Linux bridge in sipwire's namespace; Kamailio as the PBX inside, a
# registrar with digest auth), puts the deployment rules on the bridge
# (tools/sipwire-bridge.sh: bridged SIP and RTP to NFQUEUE 0), starts
# `sipwire -q 0` there with the shipped rules, and then:
#   1. a SIPp UAS (user 120) registers at the PBX and answers calls,
#      echoing their RTP; a SIPp phone (user 100) registers with digest auth
#      through the bridge and places calls to 120 with RTP: they complete,
#      and their media is offloaded to the kernel after its first packets;
#   2. SIPVicious attacks the PBX: svmap sweeps the segment, svwar
#      enumerates extensions, svcrack guesses user 101's password (the
#      right one is 200th in its dictionary): each is blocked;
#   3. prints what happened: calls completed, each attack and the rule that
#      stopped it, what reached the PBX, and sipwire's own summary;
# and tears everything down (also on failure or Ctrl-C).
#
# Needs root (namespaces, iptables) and the kernel's br_netfilter and
# nfnetlink_queue. Without them it says so and runs the offline demo
# (tools/demo.sh: a generated capture replayed) instead.
#
#   BUILD=build/rel tools/demo_inline.sh    (make demo sets BUILD)
#   DEMO_KEEP=1 ...                          keep the EVE log and captures
#   DEMO_CALLS=N                             benign calls (default 3)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build/rel}
SIPWIRE=$ROOT/sipwire
LAB=$ROOT/tools/lab.sh
SIPP_DIR=$ROOT/tools/sipp
CALLS=${DEMO_CALLS:-3}
PBX=192.0.2.5
PHONE=192.0.2.10
PHONE_UA="Yealink SIP-T46U 108.86.0.45"

export LAB_PREFIX=sw-demo-
P=$LAB_PREFIX

offline() {
	echo "demo: $* - running the offline demo instead (a generated capture replayed)" >&2
	echo
	exec env BUILD="$BUILD" "$ROOT/tools/demo.sh"
}

[ "$(id -u)" = 0 ] || offline "the inline lab needs root"
for c in ip iptables sipp svmap svwar svcrack kamailio tcpdump python3; do
	command -v "$c" >/dev/null 2>&1 || offline "$c is not installed"
done
[ -x "$SIPWIRE" ] || { echo "demo: $SIPWIRE is not built (run: make sipwire)" >&2; exit 1; }
modprobe br_netfilter 2>/dev/null || true
modprobe nfnetlink_queue 2>/dev/null || true
ip netns add "${P}probe" 2>/dev/null || offline "cannot create network namespaces"
ip netns exec "${P}probe" test -d /proc/sys/net/bridge
have_brnf=$?
ip netns del "${P}probe" 2>/dev/null
[ "$have_brnf" = 0 ] || offline "the kernel has no br_netfilter"

W=$(mktemp -d /tmp/sipwire-demo-inline.XXXXXX)
export LAB_DIR=$W/lab LAB_NFQUEUE=0
SW_PID=
cleanup() {
	local rc=$?
	[ -n "$SW_PID" ] && kill -TERM "$SW_PID" 2>/dev/null && wait "$SW_PID" 2>/dev/null
	"$LAB" down >/dev/null 2>&1 || true
	if [ "${DEMO_KEEP:-0}" = 1 ]; then
		echo "Kept: $W (log/eve.json, pbx.pcap, sipwire.txt)"
	else
		rm -rf "$W"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "== $*"; }
die() {
	echo "demo: $*" >&2
	exit 1
}
pw() { "$LAB" users | awk -v u="$1" '$1 == u {print $2}'; }
# run SECONDS NODE CMD...: in a lab node, bounded, output to $W/NODE.log
run() {
	local t=$1 n=$2
	shift 2
	timeout --kill-after=5 "$t" "$LAB" exec "$n" "$@" >>"$W/$n.log" 2>&1
}

say "1. Building the lab (tools/lab.sh up, LAB_NFQUEUE=0)"
"$LAB" up >"$W/lab.txt" 2>&1 || { cat "$W/lab.txt" >&2; die "the lab did not come up"; }
echo "   phone $PHONE, attackers 192.0.2.66 and 192.0.2.77, a host behind NAT 192.0.2.20"
echo "   -> bridge br0 in ${P}sipwire (SIP 5060-5061 and RTP 10000-20000 to NFQUEUE 0)"
echo "   -> PBX $PBX (Kamailio $(kamailio -v 2>/dev/null | awk 'NR==1{print $3}'), registrar, digest auth)"

# What reaches the PBX, seen on its own interface.
ip netns exec "${P}pbx" timeout 300 tcpdump -i eth0 -n -U -w "$W/pbx.pcap" udp port 5060 \
	>/dev/null 2>&1 &
# What was sent toward it, as it enters the bridge from outside.
ip netns exec "${P}sipwire" timeout 300 tcpdump -i out0 -Q in -n -U -w "$W/outside.pcap" \
	udp port 5060 >/dev/null 2>&1 &
mkdir -p "$W/log"
ip netns exec "${P}sipwire" "$SIPWIRE" -q 0 -l "$W/log" >"$W/sipwire.txt" 2>&1 &
SW_PID=$!
for _ in $(seq 100); do
	ip netns exec "${P}sipwire" awk '$1 == 0 {f=1} END {exit !f}' \
		/proc/net/netfilter/nfnetlink_queue 2>/dev/null && break
	kill -0 "$SW_PID" 2>/dev/null || { cat "$W/sipwire.txt" >&2; die "sipwire did not start"; }
	sleep 0.1
done
echo "   $(head -1 "$W/sipwire.txt")"
echo

say "2. Benign traffic: a phone registers and places $CALLS calls with RTP"
run 20 pbx sipp -nostdin -timeout 15s -timeout_error -sf "$SIPP_DIR/register.xml" -s 120 \
	-au 120 -ap "$(pw 120)" -key ua "$PHONE_UA" -key expires 3600 -i $PBX -p 5070 -m 1 \
	$PBX:5060 || die "the UAS could not register at the PBX"
(
	timeout --kill-after=5 90 "$LAB" exec pbx sipp -nostdin -timeout 80s -sf "$SIPP_DIR/uas.xml" \
		-key ua "$PHONE_UA" -i $PBX -p 5070 -mp 18000 -rtp_echo -m "$CALLS" >"$W/uas.log" 2>&1
	echo $? >"$W/uas.rc"
) &
UAS_JOB=$!
sleep 0.5
reg_ok=0
run 20 phone sipp -nostdin -timeout 15s -timeout_error -sf "$SIPP_DIR/register.xml" -s 100 \
	-au 100 -ap "$(pw 100)" -key ua "$PHONE_UA" -key expires 3600 -i $PHONE -p 5060 -m 1 \
	$PBX:5060 && reg_ok=1
call_rc=0
run 90 phone sipp -nostdin -timeout 80s -sf "$SIPP_DIR/uac_rtp.xml" -s 120 -key from 100 \
	-key ua "$PHONE_UA" -i $PHONE -p 5060 -mp 16000 -m "$CALLS" -l 1 -r 1 \
	-trace_stat -stf "$W/calls.csv" $PBX:5060 || call_rc=$?
wait "$UAS_JOB" 2>/dev/null
echo "   registration of 100 (401 challenge, then 200): $([ $reg_ok = 1 ] && echo done || echo FAILED)"
echo "   calls (SIPp, exit status $call_rc): see the summary below"
echo

say "3. Attacks"
echo "   svmap sweeps 192.0.2.0/28 from 192.0.2.66"
run 60 attacker svmap -x 192.0.2.66 192.0.2.0/28
echo "   svwar enumerates extensions 100-199 from 192.0.2.77"
run 120 attacker2 svwar -x 192.0.2.77 -e100-199 $PBX
echo "   svcrack guesses user 101's password from 192.0.2.20 (right one: 200th of 210)"
right=$(pw 101)
{
	seq 1000 1198 | sed 's/^/pw/'
	echo "$right"
	seq 2000 2009 | sed 's/^/pw/'
} >"$W/dictionary.txt"
run 120 natrtr svcrack -x 192.0.2.20 -u 101 -d "$W/dictionary.txt" $PBX
echo

sleep 1
kill -TERM "$SW_PID" 2>/dev/null
wait "$SW_PID" 2>/dev/null
SW_PID=
pkill -f "tcpdump -i .* -w $W/" 2>/dev/null
sleep 0.3

say "4. Summary"
python3 - "$W" "$CALLS" "$right" <<'EOF'
import json, os, subprocess, sys
w, calls_wanted, right = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ev = [json.loads(l) for l in open(os.path.join(w, "log", "eve.json")) if l.strip()]
by = lambda t: [e for e in ev if e.get("event_type") == t]

# Calls: SIPp's own count, and sipwire's call records.
ok = fail = 0
csv = os.path.join(w, "calls.csv")
if os.path.exists(csv):
    rows = [r.split(";") for r in open(csv).read().splitlines() if r]
    if len(rows) > 1:
        h = rows[0]
        last = rows[-1]
        ok = int(last[h.index("SuccessfulCall(C)")])
        fail = int(last[h.index("FailedCall(C)")])
print(f"Calls: {ok} of {calls_wanted} completed (SIPp phone -> PBX -> SIPp UAS), {fail} failed")
for c in by("call"):
    cc = c["call"]
    if cc.get("to", "").find("120@") < 0:
        continue
    media = cc.get("media") or []
    rtp = "/".join(str(sum(m.get("rtp_packets", {}).get(s, 0) for m in media))
                   for s in ("caller", "callee")) if media else "-"
    print(f"  {cc.get('call_id','')[:24]:24}  {cc.get('state',''):10}  end {cc.get('end',''):6}"
          f"  {cc.get('duration_ms', 0) / 1000:5.1f} s  RTP inspected caller/callee {rtp}")
flows = [f for f in by("flow") if f.get("app_proto") == "rtp"]
off = [f for f in flows if f["flow"].get("bypass") == "capture"]
kern = sum(f["flow"].get("bypassed", {}).get("pkts", 0) for f in off)
print(f"  RTP flows: {len(flows)}, offloaded to the kernel after their first packets: {len(off)}"
      + (f"\n  (then {kern} RTP packets forwarded by the kernel without sipwire)" if kern else ""))

# Attacks: per source, what stopped it.
print()
print("Attacks")
def requests_by_src(pcap):
    """SIP requests per source address in a capture (tshark), None if unreadable."""
    seen = {}
    try:
        out = subprocess.run(["tshark", "-r", os.path.join(w, pcap), "-T", "fields", "-e", "ip.src",
                              "-Y", "sip.Request-Line"], capture_output=True, text=True,
                             timeout=60).stdout
    except Exception:
        return None
    for ip in out.split():
        seen[ip] = seen.get(ip, 0) + 1
    return seen
pbx_seen = requests_by_src("pbx.pcap")
sent = requests_by_src("outside.pcap")
tools = [("192.0.2.66", "svmap"), ("192.0.2.77", "svwar"), ("192.0.2.20", "svcrack")]
print(f"  {'tool':8} {'source':11} {'stopped by (first alert)':55} {'action':8} {'requests sent':>13} {'reached PBX':>11}")
for ip, tool in tools:
    al = [a for a in by("alert") if a.get("src_ip") == ip]
    first = al[0]["alert"] if al else None
    blocks = [b for b in by("block") if b.get("block", {}).get("ip") == ip and b["block"].get("action") == "block"]
    sigs = f"{first['signature_id']} {first['signature']}" if first else "NOT DETECTED"
    act = "blocked" if blocks else (first["action"] if first else "-")
    n_sent = "-" if sent is None else str(sent.get(ip, 0))
    reached = "-" if pbx_seen is None else str(pbx_seen.get(ip, 0))
    print(f"  {tool:8} {ip:11} {sigs[:55]:55} {act:8} {n_sent:>13} {reached:>11}")
ok200 = [s for s in by("sip") if s.get("src_ip") == "192.0.2.20" and s["sip"].get("code") == "200"]
print(f"  svcrack found the password: {'YES' if ok200 else 'no'} (the right one was guess 200)")

st = by("stats")
if st:
    s = st[-1]["stats"]
    ips = s.get("sipwire", {}).get("ips", {})
    cap = s.get("sipwire", {}).get("capture", {})
    print()
    print(f"sipwire: {cap.get('packets', 0)} packets judged, {ips.get('drops', 0)} dropped, "
          f"{ips.get('bypassed_flows', 0)} flows offloaded, {cap.get('missed', 0)} missed, "
          f"{len(by('alert'))} alerts")
EOF
echo
echo "sipwire said:"
sed 's/^/   /' "$W/sipwire.txt"
