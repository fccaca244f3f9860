# tests/e2e/lib.sh - shared by the end-to-end tests (sourced, not run; not
# executable, so tests/run.sh does not take it for a test).
#
# Each test builds its own lab (tools/lab.sh with a prefix and a state
# directory of its own, LAB_NFQUEUE=0: the deployment rules of
# tools/sipwire-bridge.sh on br0), runs the sipwire under test inside the
# lab's sipwire namespace on queue 0, runs real peers in the end
# namespaces, and asserts on what crossed the wire (captures taken in the
# end namespaces, SIPp's statistics) and on the EVE log. The lab is torn
# down on exit whatever happens (trap); every wait is bounded.
#
#   . "$(dirname "$0")/lib.sh"
#   e2e_begin NAME [COMMAND...]   checks root, kernel and COMMANDs (skips the
#                                 whole test when one is missing), traps
#   lab_up                        the lab (fails the test if it cannot)
#   sw_start [ARGS...]            sipwire -q 0 -l $W/log ARGS, waits for the bind
#   ...                           peers, captures, checks (tests/tap.sh)
#   e2e_end                       stops sipwire, tears down, checks nothing is
#                                 left, prints the plan
#
# Environment: BUILD (default build/rel; SAN=1 runs use build/san) picks
# $BUILD/sipwire; SIPWIRE overrides the binary; E2E_KEEP=1 keeps the work
# directory (logs, captures, EVE) for a look after a failure;
# E2E_NO_SIPWIRE=1 runs the test without sipwire (the bridge forwards
# everything, --queue-bypass): what the attacks do unhindered, and proof
# that the checks can fail.
# Namespaces are sw-e2e-NAME-PID-<node>: two runs of a test (say, make test
# and make test SAN=1 at the same time) never meet, nor meet the default
# lab (sw-*) of the benchmark or the demo.

set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
. tests/tap.sh

BUILD=${BUILD:-build/rel}
SIPWIRE=${SIPWIRE:-$ROOT/$BUILD/sipwire}
LAB=$ROOT/tools/lab.sh
SIPP_DIR=$ROOT/tools/sipp
PCAPSUM=$ROOT/tests/e2e/pcapsum.py
PROBE=$ROOT/tests/e2e/netprobe.py
# used by the tests that source this file
# shellcheck disable=SC2034
PBX=192.0.2.5 PHONE=192.0.2.10 ATTACKER=192.0.2.66 ATTACKER2=192.0.2.77
PHONE_UA="Yealink SIP-T46S 66.86.0.15"
T0=$(date +%s)
BG_PIDS=()
SW_PID=
SW_N=0
SW_RC=
CAP_PIDS=()
declare -A CAP_PID=()

# Bash's own "Terminated" notices for killed background jobs would go to
# stderr; keep the TAP on stdout clean whatever the peers do.
skip_all() {
	skip "$1"
	echo "1..$n"
	exit 0
}

note() { echo "# $*"; }

# nok as tests/tap.sh's, but every line of a multi-line detail (a log's
# tail) is a TAP comment: none of it can pass for a test line.
nok() {
	local l
	n=$((n + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/#   /'
	done
}

# pw USER: the lab PBX's password for USER
pw() { "$LAB" users | awk -v u="$1" '$1 == u {print $2}'; }

e2e_begin() { # name commands...
	local c
	E2E_NAME=$1
	shift
	[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, iptables, NFQUEUE)"
	for c in ip iptables ethtool ss tcpdump python3 jq timeout kamailio "$@"; do
		command -v "$c" >/dev/null || skip_all "$c is missing (make deps)"
	done
	# The kernel side: bridged packets to iptables, and NFQUEUE.
	[ -d /proc/sys/net/bridge ] || modprobe br_netfilter 2>/dev/null
	[ -d /proc/sys/net/bridge ] || skip_all "the kernel has no br_netfilter (/proc/sys/net/bridge is missing)"
	[ -e /proc/net/netfilter/nfnetlink_queue ] || modprobe nfnetlink_queue 2>/dev/null
	[ -e /proc/net/netfilter/nfnetlink_queue ] ||
		skip_all "the kernel has no nfnetlink_queue (/proc/net/netfilter/nfnetlink_queue is missing)"
	if [ ! -x "$SIPWIRE" ]; then
		nok "sipwire binary $SIPWIRE exists (make sipwire, or BUILD=...)"
		echo "1..$n"
		exit 1
	fi
	W=$(mktemp -d "/tmp/sw-e2e-$E2E_NAME.XXXXXX") || exit 1
	chmod 755 "$W"
	mkdir -p "$W/log"
	PREFIX=sw-e2e-$E2E_NAME-$$-
	export LAB_PREFIX=$PREFIX LAB_DIR=$W/lab LAB_NFQUEUE=0
	export SIPWIRE_BRIDGE_STATE_DIR=$W/bridge-state
	unset LAB_BRIDGE_OPTS LAB_NFQUEUE_OPTS LAB_WRONGPW
	trap e2e_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

# The trap: stops whatever is left, tears the lab down. Runs on every exit.
e2e_cleanup() {
	local rc=$? p
	trap - EXIT INT TERM HUP
	for p in "${CAP_PIDS[@]}" "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	[ -n "$SW_PID" ] && sw_stop
	nodes_del
	"$LAB" down >"$W/lab-down.log" 2>&1 || echo "# lab down failed: $(tail -3 "$W/lab-down.log")"
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		echo "# kept $W"
	else
		rm -rf "$W"
	fi
	exit $rc
}

# ns NODE CMD...: run CMD in the lab's node NODE
ns() {
	local node=$1
	shift
	ip netns exec "$PREFIX$node" "$@"
}

lab_up() {
	if ! timeout -k 5 60 "$LAB" up >"$W/lab-up.log" 2>&1; then
		nok "lab up" "$(tail -5 "$W/lab-up.log")"
		echo "1..$n"
		exit 1
	fi
}

# node_add NAME ADDR: one more host on the outside segment (a namespace
# $PREFIX$NAME whose eth0 has ADDR/24, on the lab's segment bridge), for
# tests that need more sources than the lab's attackers. Torn down by
# e2e_end and the trap (tools/lab.sh knows only its own nodes).
EXTRA_NODES=()
node_add() {
	local name=$1 addr=$2 peer=x$1
	ip netns add "$PREFIX$name" || return 1
	EXTRA_NODES+=("$name")
	ip -n "$PREFIX$name" link set lo up
	ns "$name" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "${PREFIX}outside" link add "$peer" type veth peer name eth0 netns "$PREFIX$name" || return 1
	# no transmit checksum offload, as tools/lab.sh does for its nodes
	ns outside ethtool -K "$peer" tx off >/dev/null
	ns "$name" ethtool -K eth0 tx off >/dev/null
	ip -n "${PREFIX}outside" link set "$peer" master seg up
	ip -n "$PREFIX$name" link set eth0 up
	ip -n "$PREFIX$name" addr add "$addr/24" dev eth0
}

nodes_del() {
	local name pids
	for name in "${EXTRA_NODES[@]}"; do
		pids=$(ip netns pids "$PREFIX$name" 2>/dev/null)
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
		ip netns del "$PREFIX$name" 2>/dev/null
	done
	EXTRA_NODES=()
}

# This test's namespaces that exist now, one a line.
my_namespaces() {
	ip netns list 2>/dev/null | awk -v p="$PREFIX" 'index($1, p) == 1 {print $1}'
}

# queue_line [N]: queue N's line of /proc/net/netfilter/nfnetlink_queue in
# the sipwire namespace (empty when nobody is bound). Columns: queue, peer
# portid, waiting, copy mode, copy range, queue_dropped, user_dropped,
# id sequence, 1.
queue_line() {
	ns sipwire cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null | awk -v q="${1:-0}" '$1 == q'
}

# sw_start [ARGS...]: sipwire on queue 0 in the lab's sipwire namespace,
# EVE into $W/log (appended across restarts), stderr into $W/sipwire.N.err
# ($SW_ERR). Returns once the queue is bound; 1 if it is not within 30 s
# (a sanitizer build compiles the rules more slowly) or sipwire exited.
sw_start() {
	local i
	SW_N=$((SW_N + 1))
	SW_ERR=$W/sipwire.$SW_N.err
	SW_RC=
	# ip netns exec execs: $! is sipwire itself
	ip netns exec "${PREFIX}sipwire" "$SIPWIRE" -q 0 -l "$W/log" "$@" </dev/null >"$SW_ERR" 2>&1 &
	SW_PID=$!
	for i in $(seq 300); do
		if [ -n "$(queue_line 0)" ] && grep -q "sipwire: inline on" "$SW_ERR"; then
			return 0
		fi
		if ! kill -0 "$SW_PID" 2>/dev/null; then
			wait "$SW_PID" 2>/dev/null
			SW_RC=$?
			SW_PID=
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# sw_start_or_bail [ARGS...]: sw_start as a TAP line; without a running
# sipwire nothing else can be checked: the test ends there (failed).
sw_start_or_bail() {
	if [ "${E2E_NO_SIPWIRE:-0}" = 1 ]; then
		note "E2E_NO_SIPWIRE=1: nobody on the queue, the kernel forwards everything (--queue-bypass)"
		touch "$W/log/eve.json"
		SW_ERR=/dev/null SW_RC="(no sipwire)"
		return 0
	fi
	if sw_start "$@"; then
		ok "sipwire bound queue 0 in ${PREFIX}sipwire"
	else
		nok "sipwire bound queue 0 in ${PREFIX}sipwire" "status ${SW_RC:-running}" "$(tail -5 "$SW_ERR")"
		e2e_end
		exit 1
	fi
}

# sw_stop: SIGTERM, up to 20 s for it to write its last records, then
# SIGKILL. Its exit status is in $SW_RC.
sw_stop() {
	local i
	[ -n "$SW_PID" ] || return 0
	kill -TERM "$SW_PID" 2>/dev/null
	for i in $(seq 200); do
		kill -0 "$SW_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$SW_PID" 2>/dev/null
	wait "$SW_PID" 2>/dev/null
	SW_RC=$?
	SW_PID=
}

# sw_kill9: what a crash does.
sw_kill9() {
	kill -KILL "$SW_PID" 2>/dev/null
	wait "$SW_PID" 2>/dev/null
	SW_RC=$?
	SW_PID=
}

# check_sw_exit: a TAP line on how the last sipwire stopped: status 0 and
# no sanitizer report in its stderr.
check_sw_exit() {
	local err=${1:-$SW_ERR}
	if [ "$SW_RC" = 0 ] && ! grep -q "Sanitizer\|runtime error" "$err"; then
		ok "sipwire stopped cleanly on SIGTERM (status 0, no sanitizer report)"
	else
		nok "sipwire stopped cleanly on SIGTERM (status 0, no sanitizer report)" \
			"status $SW_RC" "$(grep -m3 "Sanitizer\|runtime error\|error" "$err")" "$(tail -3 "$err")"
	fi
}

# cap_start NAME NODE IFACE [FILTER...]: tcpdump in NODE on IFACE into
# $W/NAME.pcap; returns once it listens (up to 5 s).
cap_start() {
	local name=$1 node=$2 ifc=$3 i
	shift 3
	ns "$node" tcpdump -i "$ifc" -n -s 0 -U -Z root -w "$W/$name.pcap" "$@" \
		</dev/null >/dev/null 2>"$W/$name.tcpdump.err" &
	CAP_PID[$name]=$!
	CAP_PIDS+=($!)
	for i in $(seq 50); do
		grep -q "listening on" "$W/$name.tcpdump.err" && return 0
		sleep 0.1
	done
	nok "tcpdump $name listening in $node" "$(cat "$W/$name.tcpdump.err")"
	return 1
}

# cap_stop NAME: stops the capture and writes $W/NAME.tsv (tests/e2e/pcapsum.py).
cap_stop() {
	local name=$1 pid=${CAP_PID[$1]} i
	# TERM: a background job of a script ignores SIGINT
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	python3 "$PCAPSUM" "$W/$name.pcap" >"$W/$name.tsv" 2>"$W/$name.pcapsum.err" ||
		note "pcapsum $name: $(cat "$W/$name.pcapsum.err")"
}

# pkts NAME AWK-CONDITION: packets of capture NAME matching the condition
# on pcapsum's columns ($2 src, $3 sport, $4 dst, $5 dport, $6 kind,
# $7 method/code, $8 Call-ID, $9 CSeq method, $10 User-Agent).
pkts() {
	awk -F'\t' "$2 {n++} END {print n + 0}" "$W/$1.tsv"
}

# sipp_bg NAME NODE SECONDS SIPP-ARGS...: SIPp in NODE in the background,
# bounded by SECONDS; output in $W/NAME.log, statistics in $W/NAME.csv,
# exit status in $W/NAME.rc once done. Runs in $W (SIPp writes its error
# trace there). At the time bound, or on sipp_stop, SIPp gets SIGUSR1 (its
# "q": no new calls, the running ones finish), and SIGKILL 5 s later.
sipp_bg() {
	local name=$1 node=$2 t=$3
	shift 3
	rm -f "$W/$name.rc" "$W/$name.tpid"
	(
		cd "$W" || exit 1
		timeout -s USR1 -k 5 "$t" ip netns exec "$PREFIX$node" sipp -nostdin -trace_stat -stf "$W/$name.csv" -fd 1 \
			-trace_err -error_file "$W/$name.errors" "$@" </dev/null >"$W/$name.log" 2>&1 &
		echo $! >"$W/$name.tpid"
		wait $!
		echo $? >"$W/$name.rc"
	) &
	BG_PIDS+=($!)
}

# sipp_stop NAME: asks a background SIPp to finish (timeout(1) passes the
# SIGUSR1 on to it), waits up to 10 s. Its running calls are given up to
# 3 s to end first (a UAS lingers a second after each BYE; a SIPp asked to
# quit in the middle of calls aborts them and may hang on its way out).
sipp_stop() {
	local pid i
	for i in $(seq 30); do
		[ "$(sipp_stat "$1" CurrentCall)" = 0 ] && break
		sleep 0.1
	done
	pid=$(cat "$W/$1.tpid" 2>/dev/null) && kill -USR1 "$pid" 2>/dev/null
	sipp_wait "$1" 10 >/dev/null
}

# sipp_wait NAME [SECONDS]: waits for a background SIPp (bounded); prints
# its exit status (124 if it was stopped by the time bound, "none" if it
# is still running after SECONDS).
sipp_wait() {
	local i lim=$((${2:-120} * 10))
	for ((i = 0; i < lim; i++)); do
		[ -s "$W/$1.rc" ] && break
		sleep 0.1
	done
	cat "$W/$1.rc" 2>/dev/null || echo none
}

# sipp_run NAME NODE SECONDS SIPP-ARGS...: SIPp in the foreground; prints
# its exit status.
sipp_run() {
	sipp_bg "$@"
	sipp_wait "$1" "$(($3 + 10))"
}

# sipp_stat NAME FIELD: FIELD (e.g. "SuccessfulCall(C)") of the last line
# of SIPp's statistics file (";"-separated, a header line first).
sipp_stat() {
	[ -f "$W/$1.csv" ] || { echo "none"; return; }
	awk -F';' -v f="$2" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == f) c = i; next}
		{v = $c} END {print (c && v != "") ? v + 0 : "none"}' "$W/$1.csv"
}

# register NAME NODE IP PORT USER [UA]: a digest registration from IP:PORT
# (tools/sipp/register.xml: REGISTER, 401, REGISTER with credentials, 200);
# prints SIPp's exit status.
register() {
	local name=$1 node=$2 ip=$3 port=$4 user=$5 ua=${6:-$PHONE_UA}
	sipp_run "$name" "$node" 20 -timeout 15s -timeout_error -sf "$SIPP_DIR/register.xml" \
		-s "$user" -au "$user" -ap "$(pw "$user")" -key ua "$ua" -key expires 3600 \
		-i "$ip" -p "$port" -m 1 "$PBX:5060"
}

# uas_start NAME CALLS [SIPP-ARGS...]: user 120 registers from inside the
# PBX's namespace (that never crosses the bridge) and a SIPp UAS answers
# on 192.0.2.5:5070 (tools/sipp/uas.xml), in the background for up to 120 s,
# ending after CALLS calls (0: until stopped). Returns 1 if the
# registration failed.
uas_start() {
	local name=$1 calls=$2 rc
	shift 2
	rc=$(register "$name-reg" pbx $PBX 5070 120)
	[ "$rc" = 0 ] || return 1
	if [ "$calls" = 0 ]; then
		sipp_bg "$name" pbx 120 -sf "$SIPP_DIR/uas.xml" -key ua "$PHONE_UA" -i $PBX -p 5070 "$@"
	else
		sipp_bg "$name" pbx 120 -sf "$SIPP_DIR/uas.xml" -key ua "$PHONE_UA" -i $PBX -p 5070 -m "$calls" "$@"
	fi
	# SIPp binds its socket at once; give it a moment to be there.
	local i
	for i in $(seq 50); do
		ns pbx ss -Hlun "sport = :5070" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# uas_up CALLS [SIPP-ARGS...]: uas_start as a TAP line.
uas_up() {
	if uas_start uas "$@"; then
		ok "UAS 120 registered inside the PBX and listening"
	else
		nok "UAS 120 registered inside the PBX and listening" "$(tail -5 "$W/uas-reg.log")"
	fi
}

# phone_register: the phone registers as 100 (digest auth), as a TAP line.
phone_register() {
	local rc
	rc=$(register reg phone $PHONE 5060 100)
	expect_str "phone 100 registers with digest auth (SIPp status)" "$rc" 0 "$(tail -5 "$W/reg.log")"
}

# rtp_calls N LIMIT RATE: the phone calls 120 N times with RTP from :10000
# (tools/sipp/uac_rtp.xml), at most LIMIT at once, RATE new calls a second,
# as SIPp "calls" (90 s at most); prints SIPp's exit status.
rtp_calls() {
	sipp_run calls phone 90 -timeout 80s -timeout_error -sf "$SIPP_DIR/uac_rtp.xml" -s 120 \
		-key from 100 -key ua "$PHONE_UA" -i $PHONE -p 5060 -mp 10000 -m "$1" -l "$2" -r "$3" $PBX:5060
}

# attacker_queue1: the attacker's UDP SIP (to and from it) goes to queue 1,
# in front of the lab's rules (which send the rest to queue 0); a TAP line.
attacker_queue1() {
	ns sipwire iptables -w -I SIPWIRE 4 -p udp -s $ATTACKER -m multiport --ports 5060,5061 \
		-j NFQUEUE --queue-num 1 --queue-bypass &&
		ns sipwire iptables -w -I SIPWIRE 5 -p udp -d $ATTACKER -m multiport --ports 5060,5061 \
			-j NFQUEUE --queue-num 1 --queue-bypass
	check "the attacker's SIP to queue 1 in the SIPWIRE chain" $? "$(ns sipwire iptables -w -S SIPWIRE 2>&1)"
}

# tsan_build: prints the ThreadSanitizer build of sipwire to test:
# $SIPWIRE_TSAN when set (empty: none), else build/tsan/sipwire when make
# says it is up to date with the sources (make test builds it; a stale one
# would test old code); nothing otherwise.
tsan_build() {
	if [ -n "${SIPWIRE_TSAN+x}" ]; then
		echo "$SIPWIRE_TSAN"
	elif [ -x "$ROOT/build/tsan/sipwire" ] &&
		make -C "$ROOT" -s -q TSAN=1 build/tsan/sipwire >/dev/null 2>&1; then
		echo "$ROOT/build/tsan/sipwire"
	fi
}

# use_tsan BINARY: run the ThreadSanitizer build BINARY as sipwire, under
# setarch -R (no address-space randomisation): a gcc 12 TSan runtime
# refuses some layouts (high ASLR entropy) before main. The wrapper execs,
# so $SW_PID is still sipwire itself.
use_tsan() {
	export TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1"
	printf '#!/bin/sh\nexec setarch "$(uname -m)" -R "%s" "$@"\n' "$1" >"$W/sipwire-tsan"
	chmod 755 "$W/sipwire-tsan"
	SIPWIRE=$W/sipwire-tsan
	note "sipwire under ThreadSanitizer ($1)"
}

# probe_bg NODE READY NETPROBE-ARGS...: tests/e2e/netprobe.py in NODE in
# the background (60 s at most, its stdout dropped); returns once it has
# created READY (up to 5 s, else a failed TAP line and 1).
probe_bg() {
	local node=$1 ready=$2 i
	shift 2
	rm -f "$ready"
	# exec'd directly, not through ns: killed by the cleanup without a
	# "Terminated" line
	ip netns exec "$PREFIX$node" timeout -k 2 60 python3 "$PROBE" "$@" >/dev/null &
	BG_PIDS+=($!)
	disown $!
	for i in $(seq 50); do
		[ -e "$ready" ] && return 0
		sleep 0.1
	done
	nok "netprobe $1 ready in $node"
	return 1
}

# sniff NODE IFACE OUT: netprobe.py sniff in NODE (60 s at most) in the
# background, writing OUT; returns once it is listening (OUT exists).
sniff() {
	probe_bg "$1" "$3" sniff "$2" "$3" 60
}

# eve JQ: the jq program run on the whole EVE log as one array (jq -s), with
# helpers: ev(t) records of event type t; count(f); alerts(sid); stats
# (the last stats record's .stats).
EVE_PRELUDE='def ev(t): [.[] | select(.event_type == t)];
def count(f): [.[] | select(f)] | length;
def alerts(sid): [.[] | select(.event_type == "alert" and .alert.signature_id == sid)];
def stats: [.[] | select(.event_type == "stats")] | last | .stats;'
eve() {
	jq -s -c "$EVE_PRELUDE $1" "$W/log/eve.json" 2>"$W/jq.err" || echo "jq-error: $(head -2 "$W/jq.err")"
}

# expect NAME VALUE OP WANT [DETAIL...]: a numeric check as one TAP line
# (OP: -eq -ne -lt -le -gt -ge); a non-number fails.
expect() {
	local name=$1 v=$2 op=$3 want=$4
	shift 4
	if [[ $v =~ ^-?[0-9]+$ ]] && test "$v" "$op" "$want"; then
		ok "$name ($v)"
	else
		nok "$name" "got $v, want $op $want" "$@"
	fi
}

# expect_str NAME VALUE WANT [DETAIL...]
expect_str() {
	local name=$1 v=$2 want=$3
	shift 3
	if [ "$v" = "$want" ]; then
		ok "$name"
	else
		nok "$name" "got $v" "want $want" "$@"
	fi
}

# iptables_pkts RULE-PATTERN: packet counter of the first SIPWIRE rule whose
# iptables -L -v -n -x line matches the (grep -E) pattern.
iptables_pkts() {
	ns sipwire iptables -w -L SIPWIRE -v -n -x 2>/dev/null | grep -E -m1 -- "$1" | awk '{print $1}'
}

# e2e_end: stops sipwire (its status checked by the test with check_sw_exit
# if it wants), tears the lab down, checks that none of the test's
# namespaces is left, prints the run time and the plan.
e2e_end() {
	local left
	[ -n "$SW_PID" ] && sw_stop
	nodes_del
	"$LAB" down >"$W/lab-down.log" 2>&1
	left=$(my_namespaces | tr '\n' ' ')
	if [ -z "$left" ]; then
		ok "lab torn down: no ${PREFIX}* namespace left"
	else
		nok "lab torn down: no ${PREFIX}* namespace left" "left: $left" "$(tail -3 "$W/lab-down.log")"
	fi
	note "$E2E_NAME: $(($(date +%s) - T0)) s"
	echo "1..$n"
}
