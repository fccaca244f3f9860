#!/bin/bash
# The inline part of `make bench`: packets/s through the lab's bridge and
# the latency it adds, for SIP-sized and RTP-sized UDP, in one run:
#   (a) plain bridge      br0 with no queue rule
#   (b) bare NFQUEUE      the queue rule and tools/bench_nfq (accepts all, batched)
#   (c) sipwire           the queue rule and `sipwire -q 0` with the shipped rules,
#                         started afresh for each kind of packet
#   (d) offloaded RTP     (c) once more, started afresh, with a call signalled
#                         through it (tools/bench_call.py: INVITE with an SDP offer
#                         from the phone, 200 OK with the answer from the PBX side,
#                         ACK) announcing the RTP ports the load then uses: after
#                         a ramp of RTP at 50 pkt/s past ips.media-offload-after
#                         (BENCH_INLINE_OFFLOAD_AFTER, 32) sipwire offloads the
#                         flow to the kernel and the rest is not queued; the
#                         call ends with a BYE, and its EVE call and flow records
#                         are checked (confirmed; "bypass":"capture"); its floods
#                         alternate with floods to a port no queue rule takes
#                         (30000), a baseline measured beside it
# The queue rule is what `tools/sipwire-bridge.sh up --queue 0` installs
# (a plain `-p udp -j NFQUEUE` FORWARD rule without that script). Prints
# figures and the ratios the targets are stated in; never fails on a number
# and always exits 0 (when it cannot run, it says why).
#
# Load: tools/udpload sends from the lab's phone (192.0.2.10) to a sink on
# the PBX (192.0.2.5; the lab's Kamailio is stopped to free port 5060)
# across the outside segment's bridge and br0 (see tools/lab.sh). SIP:
# NOTIFY keep-alives to 5060, a new transaction each (see SIP_METHOD below
# for why not OPTIONS); RTP: 172-byte PCMU packets to 16384.
#
#   max      (a), (d): the packets delivered per second while the sender sends
#            as fast as it can (BENCH_INLINE_FLOOD s, median of BENCH_RUNS).
#            (b)/(c): the highest paced rate with under 0.1% failed open or
#            lost: one flood (the consumer's rate under it is the packets it
#            took from the queue: id_sequence of /proc/net/netfilter/
#            nfnetlink_queue less the Drops of its socket in /proc/net/netlink;
#            with fail-open the overflow crosses the bridge without it), then
#            BENCH_INLINE_PROBES (5) paced probes bisecting from there; when nothing failed
#            open in the flood the sender was the limit (">=").
#   @L       paced at L pkt/s, the same L for every config: half sipwire's
#            max (half the bare consumer's when sipwire has no inline mode),
#            BENCH_INLINE_SECONDS s, medians: latency, losses, CPU per packet.
#   2x       paced at twice each consumer's max, once: what got through,
#            fail-open, queue and socket drops, whether the consumer lives.
#
#   BUILD (build/rel)  BENCH_RUNS (3)  BENCH_INLINE_SECONDS (3)  BENCH_INLINE_FLOOD (2)
#   SIPWIRE (./sipwire)  BENCH_INLINE_KEEP=1: keep the raw runs in /tmp
#   BENCH_INLINE_NS_PREFIX (swbench-): the lab's namespace
#   prefix (LAB_PREFIX of tools/lab.sh). A lab.sh without LAB_PREFIX uses sw-
#   and deletes every sw-* namespace, so then the benchmark does not start
#   while any exists, unless BENCH_INLINE_REPLACE_LAB=1.
set -u
cd "$(dirname "$0")/.." || exit 0
BUILD=${BUILD:-build/rel}
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_INLINE_SECONDS:-3}
FLOOD=${BENCH_INLINE_FLOOD:-2}
PROBES=${BENCH_INLINE_PROBES:-5} # bisection steps: the max is found within C / 2^(PROBES-1)
SIPWIRE=${SIPWIRE:-./sipwire}
NFQ=$BUILD/tools/bench_nfq
UDP=$BUILD/tools/udpload
PBX=192.0.2.5
QUEUE=0
LABSH=${BENCH_INLINE_LAB:-tools/lab.sh}
# A lab of our own beside the tests' when lab.sh takes a prefix (LAB_PREFIX).
if grep -q LAB_PREFIX "$LABSH" 2>/dev/null; then
	P=${BENCH_INLINE_NS_PREFIX:-swbench-}
	export LAB_PREFIX=$P
else
	P=sw-
fi
SIP_PORT=5060
# NOTIFY keep-alives, not OPTIONS: past 60 new OPTIONS transactions in 10 s
# from one source the shipped rule 7100203 blocks the source (as it should),
# and sipwire's figures would be those of a blocked flood.
SIP_METHOD=${BENCH_INLINE_SIP_METHOD:-NOTIFY}
RTP_PORT=16384 # in the media range 10000:20000 of the queue rule
PHONE=192.0.2.10
# (d): the phone's RTP port (udpload's source port), announced in the
# INVITE's SDP, and the sink's, announced in the 200 OK's; both in the
# media range of the queue rule, neither RTP_PORT
OFF_SRC=18000
OFF_DST=18002
OFF_AFTER=${BENCH_INLINE_OFFLOAD_AFTER:-32}
UNQ_PORT=30000 # outside every queued range: forwarded by the bridge, never queued
PY=$(command -v python3)

echo "## Inline: through the lab bridge ($(nproc) cores, kernel $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"

skip() {
	echo "inline benchmark skipped: $*"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for f in "$NFQ" "$UDP"; do
	[ -x "$f" ] || skip "$f is not built (make tools BUILD=$BUILD)"
done
for c in ip iptables ss ethtool kamailio timeout python3; do
	command -v "$c" >/dev/null || skip "$c is missing (make deps)"
done
if [ "$P" = sw- ] && ip netns list 2>/dev/null | grep -q "^$P" && [ "${BENCH_INLINE_REPLACE_LAB:-0}" != 1 ]; then
	skip "namespaces named $P* exist ($(ip netns list | awk -v p="$P" 'index($1, p) == 1 {printf "%s ", $1}')), which $LABSH up would delete: someone's lab or test? BENCH_INLINE_REPLACE_LAB=1 replaces them"
fi

W=$(mktemp -d /tmp/sipwire-bench-inline.XXXXXX)
export LAB_DIR=$W/lab
unset LAB_NFQUEUE
CPID= # the consumer (bench_nfq or sipwire) running in ${P}sipwire
SPID= # a sink
UACPID= # (d): the call's caller in ${P}phone
UASPID= # ... and its callee in ${P}pbx
LAB=0
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	[ -n "$UACPID" ] && kill "$UACPID" 2>/dev/null
	[ -n "$UASPID" ] && kill "$UASPID" 2>/dev/null
	stop_consumer
	[ "$LAB" = 1 ] && lab_down
	if [ "${BENCH_INLINE_KEEP:-0}" = 1 ]; then
		echo "# raw runs kept in $W (r.<config>.<kind>.<phase>.<n>)"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LAB_NODES="phone attacker attacker2 natrtr natphone outside sipwire pbx"
# A tools/lab.sh without LAB_PREFIX deletes every sw-* namespace in down:
# when others appeared during the run (another test's), end only the lab's.
lab_down() {
	local n pids
	if ip netns list | awk '{print $1}' | grep "^$P" | grep -vqxE "$P($(echo $LAB_NODES | tr ' ' '|'))"; then
		for n in $LAB_NODES; do
			pids=$(ip netns pids "$P$n" 2>/dev/null)
			[ -n "$pids" ] && kill $pids 2>/dev/null
		done
		sleep 0.5
		for n in $LAB_NODES; do
			pids=$(ip netns pids "$P$n" 2>/dev/null)
			[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
			ip netns del "$P$n" 2>/dev/null
		done
	else
		timeout 30 "$LABSH" down >/dev/null 2>&1
	fi
}
nsx() { # node cmd...
	local n=$1
	shift
	ip netns exec "$P$n" "$@"
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
kv() { # file key: the value of key=value in file (0 if absent)
	tr ' ' '\n' <"$1" | awk -F= -v k="$2" '$1 == k {print $2; f=1; exit} END {if (!f) print 0}'
}
med() { # key files...: median of key over the files
	local k=$1 f
	shift
	for f in "$@"; do kv "$f" "$k"; done | median
}
calc() { awk "BEGIN {x = ($*); print x}"; } # (an assignment: a bare "print a > b" would write a file)

# queue_dropped user_dropped id_sequence of our queue in ${P}sipwire, and
# the Drops of the consumer's netlink socket (0s without a queue). A packet
# the socket had no room for got an id but failed open (or was dropped) at
# the socket, which the kernel counts only there (sipwire's default
# nfq.queue-maxlen makes the socket, not the queue, overflow first).
qstat() {
	nsx sipwire sh -c 'cat /proc/net/netfilter/nfnetlink_queue; echo ---; cat /proc/net/netlink' 2>/dev/null |
		awk -v q=$QUEUE '$1 == "---" {s = 1; next}
			!s && $1 == q {qd = $6; ud = $7; id = $8; pid = $2; f = 1}
			s && f && $2 == 12 && $3 == pid {sd = $9}
			END {print qd + 0, ud + 0, id + 0, sd + 0}'
}
queue_bound() { nsx sipwire cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null | awk -v q=$QUEUE '$1 == q {f=1} END {exit !f}'; }
cpu_ns() { # pid: CPU time of all its threads so far, ns (schedstat; /proc/PID/stat ticks otherwise)
	local t
	[ -n "$1" ] || { echo 0; return; }
	t=$(cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {print s + 0}')
	if [ "$t" = 0 ]; then
		t=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) * 1e9 / hz}' /proc/"$1"/stat 2>/dev/null || echo 0)
	fi
	echo "$t"
}

# One run: sink in ${P}pbx, sender in ${P}phone; writes one line of key=value
# into $1: the sender's (s_sent s_seconds s_rate s_errors), the sink's (rx
# lost rate *_us), the queue's deltas (qdrop udrop ids sdrop) and cpu (ns).
one_run() { # out kind port rate seconds [source port]
	local out=$1 kind=$2 port=$3 rate=$4 secs=$5 sport=${6:-} q0 q1 c0 c1 i
	q0=$(qstat)
	c0=$(cpu_ns "$CPID")
	ip netns exec ${P}pbx "$UDP" sink -p "$port" -t $((secs + 15)) -i 300 >"$W/sink.out" 2>&1 &
	SPID=$!
	for i in $(seq 60); do
		nsx pbx ss -Hlun "sport = :$port" | grep -q . && break
		sleep 0.05
	done
	timeout $((secs + 10)) ip netns exec ${P}phone "$UDP" send -d "$PBX:$port" -k "$kind" -m "$SIP_METHOD" \
		${sport:+-p "$sport"} -r "$rate" -t "$secs" >"$W/send.out" 2>&1
	for i in $(seq 100); do # the sink leaves 0.3 s after the last packet
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	SPID=
	q1=$(qstat)
	c1=$(cpu_ns "$CPID")
	{
		sed 's/\([a-z_]*\)=/s_\1=/g' "$W/send.out" | tr '\n' ' '
		grep '^rx=' "$W/sink.out" | tr '\n' ' '
		set -- $q0 $q1
		# ids: packets the consumer took (ids handed out less socket drops)
		echo "qdrop=$(($5 - $1)) udrop=$(($6 - $2)) ids=$(($7 - $3 - ($8 - $4))) sdrop=$(($8 - $4)) cpu=$(calc "$c1 - $c0")"
	} >"$out"
	grep -q '^rx=' "$W/sink.out" || echo "  (run $out: sink said: $(head -c 200 "$W/sink.out"); sender: $(head -c 200 "$W/send.out"))"
}

start_nfq() {
	# not through nsx: $! must be the consumer itself (ip netns exec execs it)
	ip netns exec ${P}sipwire "$NFQ" -q $QUEUE >"$W/nfq.out" 2>&1 &
	CPID=$!
	wait_bound bench_nfq
}
start_sipwire() { # kind [options]: logs in $W/sw.<kind>
	local k=$1
	shift
	mkdir -p "$W/sw.$k"
	ip netns exec ${P}sipwire "$SIPWIRE" -q $QUEUE -l "$W/sw.$k" "$@" >"$W/sw.out" 2>&1 &
	CPID=$!
	wait_bound sipwire
}
# One pass over sipwire's EVE file (it can be hundreds of MiB): its size,
# events by type, alerts by sid; then the file goes.
eve_summary() { # eve.json
	[ -f "$1" ] || return 0
	printf '%s MiB; events: ' "$(calc "int($(stat -c %s "$1") / 1048576)")"
	grep -oE '"event_type":"[a-z_]+"|"signature_id":[0-9]+,"rev":[0-9]+,"signature":"[^"]*"' "$1" | sort | uniq -c | sort -rn |
		awk '/"event_type"/ {sub(/"event_type":/, "", $2); e = e $2 " " $1 ", "; next}
			{n = $1; $1 = ""; sub(/^ "signature_id":/, ""); sub(/,"rev":[0-9]+,"signature":/, " "); a = a $0 " x" n "; "}
			END {printf "%salerts (sid xcount): %s\n", e, a == "" ? "none" : a}'
	rm -f "$1"
}
alive() { # file: "alive", or how the consumer ended, into file
	local rc
	if kill -0 "$CPID" 2>/dev/null; then
		echo alive >"$1"
		return
	fi
	wait "$CPID"
	rc=$?
	CPID=
	echo "DEAD (exit status $rc$([ $rc -gt 128 ] && echo ", signal $((rc - 128))"): $(tail -1 "$W/sw.out" "$W/nfq.out" 2>/dev/null | grep -v '^==>' | grep . | tr '\n' ' '))" >"$1"
}
wait_bound() { # name: until the queue is bound, 20 s at most
	local i
	for i in $(seq 200); do
		queue_bound && return 0
		kill -0 "$CPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "$1 did not bind queue $QUEUE: $(tail -3 "$W/$([ "$1" = sipwire ] && echo sw || echo nfq).out")"
	stop_consumer
	return 1
}
stop_consumer() { # SIGTERM, 5 s, then SIGKILL
	local i
	[ -n "$CPID" ] || return 0
	kill -TERM "$CPID" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$CPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$CPID" 2>/dev/null
	wait "$CPID" 2>/dev/null
	CPID=
}

queue_rule() {
	if [ -x tools/sipwire-bridge.sh ]; then
		if timeout 30 tools/sipwire-bridge.sh up --netns ${P}sipwire --bridge br0 --queue $QUEUE >"$W/bridge.out" 2>&1; then
			RULE="tools/sipwire-bridge.sh up --netns ${P}sipwire --bridge br0 --queue $QUEUE"
			return 0
		fi
		echo "tools/sipwire-bridge.sh up failed ($(tail -1 "$W/bridge.out")); using a plain rule"
		no_rules
	fi
	nsx sipwire iptables -A FORWARD -m physdev --physdev-is-bridged -p udp -j NFQUEUE --queue-num $QUEUE --queue-bypass &&
		RULE="iptables -A FORWARD -m physdev --physdev-is-bridged -p udp -j NFQUEUE --queue-num $QUEUE --queue-bypass"
}
no_rules() { # every IPv4 table of ${P}sipwire back to empty (it is ours: the lab made it)
	local t
	for t in raw mangle nat filter; do
		nsx sipwire iptables -t "$t" -F 2>/dev/null
		nsx sipwire iptables -t "$t" -X 2>/dev/null
	done
	nsx sipwire iptables -P FORWARD ACCEPT 2>/dev/null
}

# ---------------------------------------------------------------- the lab
T0=$(date +%s)
if ! timeout 90 "$LABSH" up >"$W/lab.out" 2>&1; then
	LAB=1
	skip "the lab did not come up: $(tail -2 "$W/lab.out" | tr '\n' ' ')"
fi
LAB=1
# Kamailio holds 192.0.2.5:5060 and would answer every OPTIONS: stop it,
# by the pids in ${P}pbx (kamailio.pid is the pid of the subshell that ran it).
pids=$(ip netns pids ${P}pbx)
[ -n "$pids" ] && kill $pids 2>/dev/null
for i in $(seq 50); do
	nsx pbx ss -Hlun "sport = :$SIP_PORT" | grep -q . || break
	sleep 0.1
done
pids=$(ip netns pids ${P}pbx)
[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
# Resolve the PBX's MAC before the first run (ARP holds few packets while it resolves).
nsx phone "$UDP" send -d $PBX:9 -k rtp -r 50 -t 0.2 >/dev/null 2>&1
nsx phone ip neigh show $PBX | grep -q lladdr || skip "the phone cannot reach the PBX through the bridge (no ARP answer)"

if "$SIPWIRE" -h 2>&1 | grep -qE '^[[:space:]]+-q[[:space:]]'; then
	HAVE_SW=1
else
	HAVE_SW=0
	echo "sipwire inline: not available in this build ($SIPWIRE -h lists no -q)"
fi

# runs: config kind phase -> files $W/r.<config>.<kind>.<phase>.<i>
runs() { # config kind phase rate seconds count
	local i
	for i in $(seq "$6"); do
		one_run "$W/r.$1.$2.$3.$i" "$2" "$(port "$2" "$1")" "$4" "$5" "$(sport "$1")"
	done
}
port() { # kind [config]
	if [ "${2:-}" = off ]; then
		echo $OFF_DST
	else
		[ "$1" = sip ] && echo $SIP_PORT || echo $RTP_PORT
	fi
}
sport() { [ "$1" = off ] && echo $OFF_SRC; } # config: udpload's source port (none: any)
files() { ls "$W"/r."$1"."$2"."$3".* 2>/dev/null; }
# the plain bridge's max: delivered/s, median of the floods
maxrate() { # config kind
	local f
	for f in $(files "$1" "$2" max); do calc "$(kv "$f" rx) / $(kv "$f" s_seconds)"; done | median
}

# The highest rate a queue config sustains: one flood gives the consumer's
# rate under overload C and the sender's S; if nothing failed open the
# sender was the limit (max >= C). Otherwise PROBES paced probes of FLOOD s
# bisect, starting at C, for the highest rate that passes: the sender keeps
# up (97%) and fail-open, queue drops and losses stay under 0.1%.
declare -A MAX MARK TRACE CPU1
search() { # config kind
	local c=$1 k=$2 f S C lo=0 hi r i sent lost
	runs "$c" "$k" max 0 "$FLOOD" 1
	f=$W/r.$c.$k.max.1
	S=$(kv "$f" s_rate)
	C=$(calc "int($(kv "$f" ids) / $(kv "$f" s_seconds))")
	if [ "$(calc "$(kv "$f" rx) - $(kv "$f" ids) <= 0.001 * $(kv "$f" s_sent)")" = 1 ]; then
		MAX[$c.$k]=$C MARK[$c.$k]=">=" TRACE[$c.$k]="sender-bound: nothing failed open at $S pkt/s"
		return
	fi
	hi=$S r=$C TRACE[$c.$k]="flood: $C of $S pkt/s queued; probes"
	for i in $(seq "$PROBES"); do
		one_run "$W/r.$c.$k.probe.$i" "$k" "$(port "$k")" "$r" "$FLOOD"
		f=$W/r.$c.$k.probe.$i
		sent=$(kv "$f" s_sent)
		lost=$(calc "$sent - $(kv "$f" rx) + ($(kv "$f" rx) > $(kv "$f" ids) ? $(kv "$f" rx) - $(kv "$f" ids) : 0) + $(kv "$f" qdrop) + $(kv "$f" udrop)")
		if [ "$(calc "$(kv "$f" s_rate) < 0.97 * $r")" = 1 ] && [ "$(calc "$lost <= 0.001 * $sent")" = 1 ]; then
			# the sender fell short and all went through: it is the limit
			MAX[$c.$k]=$(kv "$f" s_rate) MARK[$c.$k]=">="
			TRACE[$c.$k]+=" $r(the sender reached ${MAX[$c.$k]}: ok)"
			return
		fi
		if [ "$(calc "$lost <= 0.001 * $sent")" = 1 ]; then
			lo=$r TRACE[$c.$k]+=" $r ok"
		else
			hi=$r TRACE[$c.$k]+=" $r failed ($lost lost or failed open)"
		fi
		r=$(calc "int(($lo + $hi) / 2)")
	done
	if [ "$lo" = 0 ]; then
		MAX[$c.$k]=$hi MARK[$c.$k]="<"
	else
		MAX[$c.$k]=$lo MARK[$c.$k]=""
	fi
}

queue_rule || skip "could not install the NFQUEUE rule"

declare -A MAX
declare -A L
# (b) bare consumer, as fast as possible
if start_nfq; then
	for k in sip rtp; do
		search nfq $k
	done
	stop_consumer
fi
# (c) sipwire, started afresh for each kind (its flows, blocks and counters
# from one do not weigh on the other): max, L, @L, 2x
if [ "$HAVE_SW" = 1 ]; then
	for k in sip rtp; do
		start_sipwire $k || continue
		search sw $k
		L[$k]=$(calc "int(${MAX[sw.$k]} / 2)")
		runs sw $k at "${L[$k]}" "$SECS" "$RUNS"
		runs sw $k 2x "$(calc "int(2 * ${MAX[sw.$k]})")" "$SECS" 1
		alive "$W/alive.sw.$k"
		stop_consumer
		eve_summary "$W/sw.$k/eve.json" >"$W/eve.$k"
	done
fi
for k in sip rtp; do
	[ -n "${L[$k]:-}" ] || L[$k]=$(calc "int(${MAX[nfq.$k]:-0} / 2)")
	[ "${L[$k]}" -gt 0 ] 2>/dev/null || L[$k]=10000
done
# (d) offloaded RTP: a call through sipwire, then RTP on the ports it announced
call_end() { # BYE (the caller sends it on SIGTERM), 5 s at most; the callee leaves after answering
	local i
	if [ -n "$UACPID" ]; then
		kill -TERM "$UACPID" 2>/dev/null
		for i in $(seq 50); do
			kill -0 "$UACPID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$UACPID" 2>/dev/null
		wait "$UACPID" 2>/dev/null
		UACPID=
	fi
	if [ -n "$UASPID" ]; then
		for i in $(seq 20); do
			kill -0 "$UASPID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$UASPID" 2>/dev/null
		wait "$UASPID" 2>/dev/null
		UASPID=
	fi
}
# What sipwire's EVE says of the call and of the RTP flow, in one line.
off_eve() { # eve.json
	"$PY" - "$1" "$PHONE" "$OFF_SRC" "$PBX" "$OFF_DST" <<-'EOF'
		import json, sys
		path, sip, sp, dip, dp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
		calls, flows = [], []
		try:
		    for line in open(path):
		        if '"event_type":"call"' in line:
		            calls.append(json.loads(line))
		        elif '"event_type":"flow"' in line and '"app_proto":"rtp"' in line:
		            flows.append(json.loads(line))
		except OSError as e:
		    print("no EVE (%s)" % e)
		    sys.exit(0)
		out = []
		ok = True
		if not calls:
		    out.append("no call record")
		    ok = False
		for r in calls:
		    c = r["call"]
		    confirmed = "confirmed" in c.get("states", [])
		    ok = ok and confirmed
		    out.append("call %s: %s (states %s, end %s)" % (c.get("call_id", "?"), "confirmed" if confirmed else "NOT confirmed",
		               ",".join(c.get("states", [])), c.get("end", "?")))
		mine = [r for r in flows if (r.get("src_ip"), r.get("src_port"), r.get("dest_ip"), r.get("dest_port")) == (sip, sp, dip, dp)]
		if not mine:
		    out.append("no flow record for %s:%d > %s:%d" % (sip, sp, dip, dp))
		    ok = False
		for r in mine:
		    f = r["flow"]
		    byp = f.get("bypass")
		    ok = ok and byp == "capture"
		    out.append("RTP flow %s:%d > %s:%d: %s, %d packets judged, %s after the offload (conntrack), ended %s" % (
		        sip, sp, dip, dp, '"bypass":"capture"' if byp == "capture" else "NOT offloaded (no bypass)",
		        f.get("pkts_toserver", 0) + f.get("pkts_toclient", 0),
		        "%d forwarded by the kernel" % f["bypassed"]["pkts"] if "bypassed" in f else "no kernel count",
		        f.get("reason", "?")))
		print(("ok: " if ok else "WRONG: ") + "; ".join(out))
	EOF
}
offload() {
	local i q0 q1 qr f
	OFF_NOTE=
	start_sipwire off --set ips.media-offload-after="$OFF_AFTER" || return
	q0=$(qstat)
	ip netns exec ${P}pbx "$PY" tools/bench_call.py uas --bind $PBX:$SIP_PORT --rtp $OFF_DST --seconds 600 >"$W/uas.out" 2>&1 &
	UASPID=$!
	for i in $(seq 60); do
		nsx pbx ss -Hlun "sport = :$SIP_PORT" | grep -q . && break
		sleep 0.05
	done
	ip netns exec ${P}phone "$PY" tools/bench_call.py uac --bind $PHONE:$SIP_PORT --to $PBX:$SIP_PORT --rtp $OFF_SRC --seconds 600 \
		>"$W/uac.out" 2>&1 &
	UACPID=$!
	for i in $(seq 100); do
		grep -qx confirmed "$W/uac.out" && break
		kill -0 "$UACPID" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -qx confirmed "$W/uac.out"; then
		OFF_NOTE="the call was not set up: caller: $(tr '\n' ' ' <"$W/uac.out" | head -c 300); callee: $(tr '\n' ' ' <"$W/uas.out" | head -c 300)"
		call_end
		stop_consumer
		return
	fi
	# A call's first packets at RTP's pace (50/s), past the offload point:
	# the offload happens at packet OFF_AFTER, as in a real call, rather than
	# in a flood with thousands queued behind it.
	one_run "$W/r.off.rtp.ramp.1" rtp $OFF_DST 50 "$(calc "int(($OFF_AFTER + 59) / 50)")" $OFF_SRC
	qr=$(qstat)
	# Floods of the offloaded flow interleaved with floods to a port no
	# queue rule takes (UNQ_PORT; same bridge, same chain, same moment):
	# the plain bridge's own floods come minutes later, under other load.
	for i in $(seq "$RUNS"); do
		one_run "$W/r.off.rtp.max.$i" rtp $OFF_DST 0 "$FLOOD" $OFF_SRC
		one_run "$W/r.unq.rtp.max.$i" rtp $UNQ_PORT 0 "$FLOOD"
	done
	MAX[off.rtp]=$(maxrate off rtp) MARK[off.rtp]="" TRACE[off.rtp]="delivered, median of $RUNS floods"
	MAX[unq.rtp]=$(maxrate unq rtp) MARK[unq.rtp]=""
	runs off rtp at "${L[rtp]}" "$SECS" "$RUNS"
	call_end
	sleep 0.2
	q1=$(qstat)
	alive "$W/alive.sw.off"
	stop_consumer
	OFF_SIPWIRE=$(grep '^sipwire: [0-9]* packets' "$W/sw.out")
	OFF_EVE=$(off_eve "$W/sw.off/eve.json")
	eve_summary "$W/sw.off/eve.json" >"$W/eve.off"
	# judged: what the queue handed sipwire (ids less socket drops) from the
	# INVITE to the BYE's answer, and up to the end of the ramp
	set -- $q0 $qr $q1
	OFF_IDS=$((${11} - $3 - (${12} - $4)))
	OFF_IDS_RAMP=$(($7 - $3 - ($8 - $4)))
	OFF_SIP=$(cat "$W/uac.out" "$W/uas.out" | grep -c '^ua[cs]: sent')
	OFF_RTP=0
	for f in $(files off rtp ramp) $(files off rtp max) $(files off rtp at); do
		OFF_RTP=$((OFF_RTP + $(kv "$f" s_sent)))
	done
}
if [ "$HAVE_SW" = 1 ]; then
	offload
fi
# (b) again for @L and 2x
if start_nfq; then
	for k in sip rtp; do
		runs nfq $k at "${L[$k]}" "$SECS" "$RUNS"
		runs nfq $k 2x "$(calc "int(2 * ${MAX[nfq.$k]:-0})")" "$SECS" 1
		alive "$W/alive.nfq.$k"
	done
	stop_consumer
	NFQ_LINE=$(grep '^bench_nfq' "$W/nfq.out")
fi
# (a) plain bridge
no_rules
for k in sip rtp; do
	runs plain $k max 0 "$FLOOD" "$RUNS"
	MAX[plain.$k]=$(maxrate plain $k) MARK[plain.$k]="" TRACE[plain.$k]="delivered, median of $RUNS floods"
	runs plain $k at "${L[$k]}" "$SECS" "$RUNS"
done
ELAPSED=$(($(date +%s) - T0))

# ---------------------------------------------------------------- report
echo "# load: tools/udpload from ${P}phone to a sink in ${P}pbx, across ${P}outside's segment bridge and br0 in ${P}sipwire"
echo "# queue rule in ${P}sipwire: ${RULE:-none}"
echo "# max: plain, offloaded = delivered/s as fast as the sender can ($RUNS x ${FLOOD}s, median); queue configs = the highest paced"
echo "#   rate with < 0.1% failed open or lost (a flood, then $PROBES probes of ${FLOOD}s; '>=': the sender was the limit)"
echo "# flood: as fast as the sender can: packets the consumer took/s (nfnetlink_queue id_sequence - its socket's Drops),"
echo "#   the sender's rate, what failed open/s (delivered - queued: the kernel counts no fail-open), consumer CPU per packet"
echo "#   (all threads, schedstat) and 1e6 / that (the packets/s of one core given to the consumer alone)"
echo "# @L: paced at L pkt/s in every config (half sipwire's max, or the bare consumer's without it), $RUNS x ${SECS}s, medians;"
echo "#   latency = sink's receive time - sender's stamp (CLOCK_MONOTONIC), us, and +p50/+p99 over the plain bridge's"
declare -A LABEL=([plain]="plain bridge" [nfq]="bare NFQUEUE" [sw]="sipwire" [off]="offloaded RTP")
cpu_per_pkt() { # files...: median CPU us per queued packet
	local f
	for f in "$@"; do calc "$(kv "$f" cpu) / 1000 / ($(kv "$f" ids) > 0 ? $(kv "$f" ids) : 1)"; done | median
}
for k in sip rtp; do
	f1=$(files plain $k at | head -1)
	size=$(calc "int($(kv "$f1" bytes) / ($(kv "$f1" rx) > 0 ? $(kv "$f1" rx) : 1) + 0.5)")
	if [ $k = sip ]; then
		echo "### SIP: $SIP_METHOD requests of $size bytes to $PBX:$SIP_PORT, a new transaction each"
	else
		echo "### RTP: $size-byte RTP (PCMU, 20 ms) to $PBX:$RTP_PORT, all queued (no call: nothing to offload);"
		echo "#   offloaded: the same from $PHONE:$OFF_SRC to $PBX:$OFF_DST, the media of a call signalled through sipwire,"
		echo "#   offloaded by it after $OFF_AFTER packets (a ramp at 50 pkt/s first), sipwire running"
	fi
	names=(plain nfq sw)
	[ $k = rtp ] && [ -n "$(files off rtp max)" ] && names+=(off)
	printf '%-13s %11s %10s %8s %8s %8s %9s  %s\n' config "max pkt/s" "flood: q/s" "sent/s" "fopen/s" "cpu us" "1/cpu" "how max was found"
	for c in "${names[@]}"; do
		fl=$(files $c $k max | head -1)
		[ -n "$fl" ] || { printf '%-13s %s\n' "${LABEL[$c]}" "not measured"; continue; }
		if [ $c = plain ] || [ $c = off ]; then
			printf '%-13s %11.0f %10s %8.0f %8s %8s %9s  %s\n' "${LABEL[$c]}" "${MAX[$c.$k]}" \
				"$([ $c = off ] && printf '%.0f' "$(for f in $(files $c $k max); do calc "$(kv "$f" ids) / $(kv "$f" s_seconds)"; done | median)" || echo -)" \
				"$(med s_rate $(files $c $k max))" - - - "${TRACE[$c.$k]}"
		else
			cf=$(cpu_per_pkt "$fl")
			printf '%-13s %2s %8.0f %10.0f %8.0f %8.0f %8.2f %9.0f  %s\n' "${LABEL[$c]}" "${MARK[$c.$k]}" "${MAX[$c.$k]}" \
				"$(calc "$(kv "$fl" ids) / $(kv "$fl" s_seconds)")" "$(kv "$fl" s_rate)" \
				"$(calc "$(kv "$fl" rx) > $(kv "$fl" ids) ? ($(kv "$fl" rx) - $(kv "$fl" ids)) / $(kv "$fl" s_seconds) : 0")" \
				"$cf" "$(calc "1e6 / ($cf > 0 ? $cf : 1e9)")" "${TRACE[$c.$k]}"
			CPU1[$c.$k]=$cf
		fi
	done
	printf '%-13s %9s %8s %8s %8s %8s %7s %7s %6s %8s\n' "at L=${L[$k]}" "pkt/s" "p50 us" "p99 us" "+p50 us" "+p99 us" "lost" "fopen" "qdrop" "cpu us"
	pp50=$(med p50_us $(files plain $k at))
	pp99=$(med p99_us $(files plain $k at))
	for c in "${names[@]}"; do
		at=$(files $c $k at)
		[ -n "$at" ] || { printf '%-13s %s\n' "${LABEL[$c]}" "not measured"; continue; }
		p50=$(med p50_us $at)
		p99=$(med p99_us $at)
		lost=$(for f in $at; do calc "$(kv "$f" s_sent) - $(kv "$f" rx)"; done | median)
		fo=- qd=- cl=- a50=- a99=-
		if [ $c = off ]; then
			qd=$(for f in $at; do calc "$(kv "$f" qdrop) + $(kv "$f" udrop)"; done | median)
			a50=$(printf '%.1f' "$(calc "$p50 - $pp50")")
			a99=$(printf '%.1f' "$(calc "$p99 - $pp99")")
		elif [ $c != plain ]; then
			fo=$(for f in $at; do calc "$(kv "$f" rx) > $(kv "$f" ids) ? $(kv "$f" rx) - $(kv "$f" ids) : 0"; done | median)
			qd=$(for f in $at; do calc "$(kv "$f" qdrop) + $(kv "$f" udrop)"; done | median)
			cl=$(printf '%.2f' "$(cpu_per_pkt $at)")
			a50=$(printf '%.1f' "$(calc "$p50 - $pp50")")
			a99=$(printf '%.1f' "$(calc "$p99 - $pp99")")
		fi
		printf '%-13s %9.0f %8.1f %8.1f %8s %8s %7.0f %7s %6s %8s\n' "${LABEL[$c]}" "$(med rate $at)" "$p50" "$p99" \
			"$a50" "$a99" "$lost" "$fo" "$qd" "$cl"
	done
	for c in nfq sw; do
		f=$(files $c $k 2x)
		[ -n "$f" ] || continue
		printf '2x %-13s asked %.0f pkt/s, sent %.0f/s; delivered %.0f/s, through the consumer %.0f/s; fail-open %s, queue_dropped %s, user_dropped %s, lost %s of %s; consumer %s\n' \
			"${LABEL[$c]}:" "$(calc "2 * ${MAX[$c.$k]}")" "$(kv "$f" s_rate)" "$(calc "$(kv "$f" rx) / $(kv "$f" s_seconds)")" \
			"$(calc "$(kv "$f" ids) / $(kv "$f" s_seconds)")" "$(calc "$(kv "$f" rx) > $(kv "$f" ids) ? $(kv "$f" rx) - $(kv "$f" ids) : 0")" \
			"$(kv "$f" qdrop)" "$(kv "$f" udrop)" "$(calc "$(kv "$f" s_sent) - $(kv "$f" rx)")" "$(kv "$f" s_sent)" "$(cat "$W/alive.$c.$k")"
	done
	[ -f "$W/eve.$k" ] && echo "# sipwire EVE in the $k runs: $(cat "$W/eve.$k")"
done
if [ -n "${OFF_NOTE:-}" ]; then
	echo "# offloaded RTP not measured: $OFF_NOTE"
elif [ -n "${OFF_EVE:-}" ]; then
	echo "# offload, sipwire's EVE: $OFF_EVE"
	echo "# offload, baseline beside it: floods to :$UNQ_PORT (no queue rule) between the offloaded ones: ${MAX[unq.rtp]:-n/a} pkt/s delivered (median)"
	echo "# offload, packets sipwire judged (queue ids less socket drops): $OFF_IDS of $((OFF_SIP + OFF_RTP)) sent through the bridge" \
		"($OFF_SIP SIP messages, $OFF_RTP RTP); $OFF_IDS_RAMP by the end of the ramp; expected $OFF_SIP + $OFF_AFTER = $((OFF_SIP + OFF_AFTER))" \
		"$([ "$OFF_IDS" -le $((OFF_SIP + OFF_AFTER + 8)) ] && echo "(ok)" || echo "(MORE: RTP still queued after the offload)")"
	echo "# offload, sipwire's own count: ${OFF_SIPWIRE:-none} (consumer: $(cat "$W/alive.sw.off" 2>/dev/null))"
	[ -f "$W/eve.off" ] && echo "# sipwire EVE in the offload runs: $(cat "$W/eve.off")"
fi
ratio() { # label num den target [num den]: num and den name MAX/MARK entries, or are numbers
	local n d b=""
	if [ -n "${5:-}" ]; then
		n=${MAX[$2]:-} d=${MAX[$3]:-}
		# a bound of a bound: ">=" above the line makes the ratio ">=", below it "<="
		case "${MARK[$2]:-}${MARK[$3]:-}" in
		">=") [ "${MARK[$2]:-}" = ">=" ] && b=">=" || b="<=" ;;
		"<") [ "${MARK[$2]:-}" = "<" ] && b="<" || b=">" ;;
		"") ;;
		*) b="~" ;;
		esac
	else
		n=$2 d=$3
	fi
	if [ -n "$n" ] && [ -n "$d" ] && [ "$(calc "$d > 0")" = 1 ]; then
		printf 'ratio %-46s %2s %6.3f   (target %s)\n' "$1" "$b" "$(calc "$n / $d")" "$4"
	else
		printf 'ratio %-46s %2s %6s   (target %s)\n' "$1" "" "n/a" "$4"
	fi
}
ratio "bare NFQUEUE / plain bridge, SIP max pkt/s" nfq.sip plain.sip "none: the cost of the queue" m
ratio "bare NFQUEUE / plain bridge, RTP max pkt/s" nfq.rtp plain.rtp "none: the cost of the queue" m
ratio "sipwire / plain bridge, SIP max pkt/s" sw.sip plain.sip ">= 0.6" m
ratio "sipwire / bare NFQUEUE, SIP max pkt/s" sw.sip nfq.sip ">= 0.9" m
ratio "sipwire / plain bridge, RTP max pkt/s (queued)" sw.rtp plain.rtp ">= 0.6" m
ratio "sipwire / bare NFQUEUE, RTP max pkt/s (queued)" sw.rtp nfq.rtp ">= 0.9" m
ratio "sipwire / bare NFQUEUE, SIP by CPU per packet" "${CPU1[nfq.sip]:-}" "${CPU1[sw.sip]:-}" "(>= 0.9 if the consumer were the limit)"
ratio "sipwire / bare NFQUEUE, RTP by CPU per packet" "${CPU1[nfq.rtp]:-}" "${CPU1[sw.rtp]:-}" "(>= 0.9 if the consumer were the limit)"
ratio "offloaded RTP / plain bridge, RTP max pkt/s" off.rtp plain.rtp \
	">= 0.95$(case "${OFF_EVE:-}" in ok:*) ;; *) echo "; the flow was NOT shown offloaded: see '# offload'" ;; esac)" m
ratio "offloaded RTP / unqueued port, interleaved" off.rtp unq.rtp \
	"(the same, measured beside it: floods to :$UNQ_PORT between the offloaded ones)" m
echo "# targets at L: no queue drops or fail-open (qdrop, fopen), added p99 < 200 us (+p99)"
[ -n "${NFQ_LINE:-}" ] && echo "# last bench_nfq: $NFQ_LINE"
echo "# inline part: ${ELAPSED}s"
exit 0
