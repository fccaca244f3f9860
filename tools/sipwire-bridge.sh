#!/bin/bash
# sipwire-bridge.sh - put sipwire in front of a PBX: a Linux bridge whose
# SIP and RTP traffic goes to NFQUEUE, where `sipwire -q N` judges it.
#
#   sipwire-bridge.sh up     [options]   make it so (idempotent)
#   sipwire-bridge.sh down   [options]   remove what `up` installed
#   sipwire-bridge.sh status [options]   show it; exit 0 if complete, 1 if not
#   sipwire-bridge.sh -h                 this text
#
# `up`, in the target network namespace (the current one, or --netns NS):
#   1. loads br_netfilter (modprobe; a failure is fine when the module is
#      built in or already loaded: /proc/sys/net/bridge must exist after),
#   2. sets net.bridge.bridge-nf-call-iptables=1 (and -ip6tables=1 unless
#      --no-ipv6) so that bridged packets traverse iptables' FORWARD chain,
#      and net.bridge.bridge-nf-filter-vlan-tagged=1 so that 802.1Q-tagged
#      ones (a voice VLAN on a trunk) do too: without it they would cross
#      the bridge uninspected,
#   3. reuses bridge --bridge if it exists, else creates it with --ports as
#      its ports and brings it all up,
#   4. installs, in the filter table of iptables and ip6tables, a chain
#      SIPWIRE and one jump to it at position 1 of FORWARD:
#
#      -A FORWARD -i BRIDGE -m physdev --physdev-is-bridged -m comment --comment sipwire -j SIPWIRE
#      -A SIPWIRE -m connmark --mark B/B -j ACCEPT
#      -A SIPWIRE -m mark --mark B/B -j CONNMARK --save-mark --nfmask B --ctmask B
#      -A SIPWIRE -m mark --mark B/B -j ACCEPT
#      -A SIPWIRE -p udp -m multiport --ports SIP,RTP -j NFQUEUE Q [--queue-bypass]
#      -A SIPWIRE -p tcp -m multiport --ports SIP -j NFQUEUE Q [--queue-bypass]
#
#      B is the bypass mark. A flow sipwire has seen enough of (an RTP
#      stream tied to its call, say) gets the verdict NF_REPEAT with mark B:
#      the packet runs FORWARD again, rule 2 saves B on its connection,
#      rule 3 lets it go, and rule 1 forwards the rest of the connection, in
#      both directions, in the kernel without queueing it. Q is
#      `--queue-num N` or `--queue-balance A:B`. With --all the two NFQUEUE
#      rules are one, `-A SIPWIRE -j NFQUEUE Q`, for every bridged packet.
#      With --bypass-mark 0 (sipwire's "never offload") rules 1-3 are left
#      out. Bridged packets the chain does not queue return to FORWARD and
#      meet its other rules and policy (a warning says when that is DROP).
#
#   Running `up` again with the same options changes nothing (rules,
#   counters and bridge stay as they are); with other options the chain is
#   replaced in one iptables-restore transaction (never empty in between),
#   and the jump is moved back to position 1 if something was put above it.
#
# `down` removes the jump and the chain from both families and sets back
# the sysctls that `up` changed. It leaves the bridge alone on purpose: with
# the rules gone the wire still connects the PBX (deleting the bridge would
# cut it off); `down --remove-bridge` also deletes a bridge that `up`
# created, or releases the ports `up` added to a bridge it reused (a plain
# `down` remembers them for that). The br_netfilter module stays loaded
# (other namespaces may be using it).
#
# `status` prints the bridge and its ports, the br_netfilter sysctls, the
# FORWARD and SIPWIRE chains with packet counters (iptables -L -v -n), and
# the queues of /proc/net/netfilter/nfnetlink_queue; it exits 1 if anything
# `up` sets is missing or differs from what `up` with the same options would
# install. A queue nobody listens on is a warning, not a failure: with
# --queue-bypass its packets pass uninspected, without it they are dropped.
#
# Options (each also read from the environment variable named after it;
# a command-line option wins over the environment):
#   --bridge NAME       SIPWIRE_BRIDGE       bridge (default br0)
#   --ports IF1,IF2     SIPWIRE_PORTS        interfaces to enslave; needed to
#                                            create the bridge, optional when
#                                            reusing it (missing ones are added)
#   --queue N           SIPWIRE_QUEUE        NFQUEUE number (default 0); must be
#                                            sipwire's -q
#   --queues A:B        SIPWIRE_QUEUES       --queue-balance A:B (one sipwire
#                                            -q per queue)
#   --sip-ports LIST    SIPWIRE_SIP_PORTS    SIP ports, UDP and TCP (default 5060,5061)
#   --rtp-ports RANGE   SIPWIRE_RTP_PORTS    RTP ports, UDP (default 10000:20000;
#                                            "" for none)
#   --all               SIPWIRE_ALL=1        queue every bridged packet
#   --bypass-mark MARK  SIPWIRE_BYPASS_MARK  default 0x40000000; must equal
#                                            sipwire's nfq.bypass-mark (0: none)
#   --vlan-mark BIT     SIPWIRE_VLAN_MARK    default 0x1000; must equal sipwire's
#                                            nfq.vlan-mark (0: none). Needs nft:
#                                            a bridge-family table "sipwire" marks
#                                            802.1Q-tagged packets from the ports
#                                            with BIT and the VLAN id (the queue
#                                            does not say the tag), so sipwire
#                                            tells flows apart by VLAN and tags
#                                            its reject replies
#   --no-bypass         SIPWIRE_QUEUE_BYPASS=0  no --queue-bypass: fail closed,
#                                            bridged SIP/RTP is dropped while
#                                            sipwire is not running
#   --ipv6 / --no-ipv6  SIPWIRE_IPV6=1/0     ip6tables too (default) or not
#   --netns NS          SIPWIRE_NETNS        work inside network namespace NS
#   --force             SIPWIRE_FORCE=1      enslave ports that have addresses
#   --remove-bridge                          (down) see above
#   SIPWIRE_BRIDGE_STATE_DIR  where `up` records what it changed, for `down`
#                             and `status` (default /run/sipwire-bridge)
#
# `status` and `down` default to the options the last `up` in that
# namespace used (recorded in the state directory), so they need none.
#
# Examples:
#   sipwire-bridge.sh up --bridge br0 --ports eth1,eth2 --queue 0
#   sipwire-bridge.sh up --queues 0:3 --no-bypass      # four sipwire -q, fail-closed
#   sipwire-bridge.sh status; sipwire-bridge.sh down
#
# Exit status: 0 done (status: complete), 1 failed (status: incomplete),
# 2 usage error. Needs root. Uses iptables only: the nftables `queue`
# statement is not available on every kernel sipwire runs on.
set -u

PROG=sipwire-bridge
CHAIN=SIPWIRE
COMMENT=sipwire

die() {
	echo "$PROG: $*" >&2
	exit 1
}
usage_error() {
	echo "$PROG: $*" >&2
	echo "usage: $0 up|down|status [options]   ($0 -h for help)" >&2
	exit 2
}
warn() { echo "$PROG: warning: $*" >&2; }
info() { echo "$PROG: $*"; }

help() {
	sed -n '2,/^set -u$/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

# ------------------------------------------------------------------
# Options: defaults < state of the last `up` (status, down) < env < flags

CMD=""
declare -A FLAG=()
REMOVE_BRIDGE=0

while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) help; exit 0 ;;
	up | down | status)
		[ -z "$CMD" ] || usage_error "one command at a time ($CMD, $1)"
		CMD=$1 ;;
	--bridge | --ports | --queue | --queues | --sip-ports | --rtp-ports | --bypass-mark | --vlan-mark | --netns)
		[ $# -ge 2 ] || usage_error "$1 needs a value"
		FLAG[${1#--}]=$2
		shift ;;
	--bridge=* | --ports=* | --queue=* | --queues=* | --sip-ports=* | --rtp-ports=* | --bypass-mark=* | --vlan-mark=* | --netns=*)
		o=${1%%=*}
		FLAG[${o#--}]=${1#*=} ;;
	--all) FLAG[all]=1 ;;
	--no-bypass) FLAG[bypass]=0 ;;
	--bypass) FLAG[bypass]=1 ;;
	--ipv6) FLAG[ipv6]=1 ;;
	--no-ipv6) FLAG[ipv6]=0 ;;
	--force) FLAG[force]=1 ;;
	--remove-bridge) REMOVE_BRIDGE=1 ;;
	*) usage_error "unknown argument: $1" ;;
	esac
	shift
done
[ -n "$CMD" ] || usage_error "no command"
[ "$CMD" = down ] || [ "$REMOVE_BRIDGE" = 0 ] || usage_error "--remove-bridge goes with down"

# opt NAME ENVVAR: the flag's value, else the environment's, else unset (rc 1)
opt() {
	if [ -n "${FLAG[$1]+x}" ]; then
		printf '%s' "${FLAG[$1]}"
	elif [ -n "${!2+x}" ]; then
		printf '%s' "${!2}"
	else
		return 1
	fi
}

NETNS=$(opt netns SIPWIRE_NETNS) || NETNS=""
STATE_DIR=${SIPWIRE_BRIDGE_STATE_DIR:-/run/sipwire-bridge}

if [ "$(id -u)" != 0 ]; then
	die "must run as root: it changes sysctls, interfaces and iptables rules (and reads them)"
fi
for c in ip iptables iptables-save iptables-restore sysctl; do
	command -v "$c" >/dev/null || die "$c not found (Debian: apt-get install iproute2 iptables procps)"
done

# nsx CMD...: run CMD in the target namespace
nsx() {
	if [ -n "$NETNS" ]; then
		ip netns exec "$NETNS" "$@"
	else
		"$@"
	fi
}

if [ -n "$NETNS" ]; then
	[[ $NETNS =~ ^[A-Za-z0-9_.-]+$ ]] && [ "$NETNS" != . ] && [ "$NETNS" != .. ] ||
		usage_error "bad namespace name \"$NETNS\""
	[ -e "/run/netns/$NETNS" ] || die "no network namespace $NETNS (ip netns list)"
	NS_ID=$(stat -L -c %i "/run/netns/$NETNS") || die "cannot stat /run/netns/$NETNS"
	STATE=$STATE_DIR/netns-$NETNS.state
	WHERE=" in netns $NETNS"
else
	NS_ID=$(stat -L -c %i /proc/self/ns/net) || die "cannot stat /proc/self/ns/net"
	STATE=$STATE_DIR/ns-$NS_ID.state
	WHERE=""
fi

# State of the last `up` in this namespace: KEY=VALUE lines, read (never
# sourced) into ST[]. A file left by a namespace that no longer exists, or
# by an earlier namespace of the same name, is ignored and removed.
declare -A ST=()
STATE_KEYS=" NETNS_ID UP BRIDGE CREATED_BRIDGE ADDED_PORTS SYSCTL4_WAS SYSCTL6_WAS SYSCTLV_WAS VLAN_MARK QUEUE QUEUES SIP_PORTS RTP_PORTS ALL MARK BYPASS IPV6 "
prune_states() {
	local f n
	[ -d "$STATE_DIR" ] || return 0
	for f in "$STATE_DIR"/netns-*.state; do
		[ -e "$f" ] || continue
		n=${f##*/netns-}
		n=${n%.state}
		[ -e "/run/netns/$n" ] || rm -f "$f"
	done
}
load_state() {
	local k v
	ST=()
	[ -f "$STATE" ] || return 0
	while IFS='=' read -r k v; do
		case "$STATE_KEYS" in *" $k "*) ST[$k]=$v ;; esac
	done <"$STATE"
	if [ "${ST[NETNS_ID]:-}" != "$NS_ID" ]; then
		ST=()
		[ "$CMD" = status ] || rm -f "$STATE"
	fi
}
save_state() {
	local k tmp
	mkdir -p "$STATE_DIR" && chmod 700 "$STATE_DIR" || die "cannot create $STATE_DIR"
	tmp=$STATE.tmp
	ST[NETNS_ID]=$NS_ID
	for k in $STATE_KEYS; do
		if [ -n "${ST[$k]+x}" ]; then
			printf '%s=%s\n' "$k" "${ST[$k]}"
		fi
	done >"$tmp" && mv "$tmp" "$STATE" || die "cannot write $STATE"
}

# up and down one at a time per state directory; status only reads
if [ "$CMD" != status ]; then
	mkdir -p "$STATE_DIR" && chmod 700 "$STATE_DIR" || die "cannot create $STATE_DIR"
	if command -v flock >/dev/null; then
		exec 9>"$STATE_DIR/.lock"
		flock -w 30 9 || die "another $PROG holds $STATE_DIR/.lock"
	fi
	prune_states
fi
load_state

# setting NAME ENVVAR STATEKEY DEFAULT
setting() {
	local v
	if v=$(opt "$1" "$2"); then
		printf '%s' "$v"
	elif [ "$CMD" != up ] && [ -n "${ST[$3]+x}" ]; then
		printf '%s' "${ST[$3]}"
	else
		printf '%s' "$4"
	fi
}

BRIDGE=$(setting bridge SIPWIRE_BRIDGE BRIDGE br0)
# Only this bridge's packets (-i: bridged packets enter FORWARD with the
# bridge as their device): other bridges on the host (docker0, virbr0...)
# are left alone.
JUMP="-i $BRIDGE -m physdev --physdev-is-bridged -m comment --comment $COMMENT -j $CHAIN"
PORTS=$(opt ports SIPWIRE_PORTS) || PORTS=""
# --queue and --queues exclude each other; flags win over the environment
if [ -n "${FLAG[queue]+x}${FLAG[queues]+x}" ]; then
	[ -n "${FLAG[queue]+x}" ] && [ -n "${FLAG[queues]+x}" ] &&
		usage_error "--queue and --queues exclude each other"
	Q1=${FLAG[queue]:-} QN=${FLAG[queues]:-}
elif [ -n "${SIPWIRE_QUEUE+x}${SIPWIRE_QUEUES+x}" ]; then
	[ -n "${SIPWIRE_QUEUE+x}" ] && [ -n "${SIPWIRE_QUEUES+x}" ] &&
		usage_error "SIPWIRE_QUEUE and SIPWIRE_QUEUES exclude each other"
	Q1=${SIPWIRE_QUEUE:-} QN=${SIPWIRE_QUEUES:-}
else
	Q1=$(setting queue _SIPWIRE_NO_ENV QUEUE 0)
	QN=$(setting queues _SIPWIRE_NO_ENV QUEUES "")
fi
[ -n "$QN" ] && Q1=""
SIP_PORTS=$(setting sip-ports SIPWIRE_SIP_PORTS SIP_PORTS 5060,5061)
RTP_PORTS=$(setting rtp-ports SIPWIRE_RTP_PORTS RTP_PORTS 10000:20000)
ALL=$(setting all SIPWIRE_ALL ALL 0)
MARK=$(setting bypass-mark SIPWIRE_BYPASS_MARK MARK 0x40000000)
VMARK=$(setting vlan-mark SIPWIRE_VLAN_MARK VLAN_MARK 0x1000)
BYPASS=$(setting bypass SIPWIRE_QUEUE_BYPASS BYPASS 1)
IPV6=$(setting ipv6 SIPWIRE_IPV6 IPV6 1)
FORCE=$(setting force SIPWIRE_FORCE _NO_STATE 0)

# ------------------------------------------------------------------
# Validation

is_uint() { [[ $1 =~ ^[0-9]+$ ]] && [ ${#1} -le 10 ]; }
bool() { # name value
	case "$2" in 0 | 1) ;; *) usage_error "$1 must be 0 or 1, not \"$2\"" ;; esac
}
bool SIPWIRE_ALL "$ALL"
bool SIPWIRE_QUEUE_BYPASS "$BYPASS"
bool SIPWIRE_IPV6 "$IPV6"
bool SIPWIRE_FORCE "$FORCE"

[[ $BRIDGE =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || usage_error "bad bridge name \"$BRIDGE\""

if [ -n "$QN" ]; then
	[[ $QN =~ ^([0-9]+):([0-9]+)$ ]] || usage_error "--queues wants A:B, not \"$QN\""
	qa=$((10#${BASH_REMATCH[1]})) qb=$((10#${BASH_REMATCH[2]}))
	[ $qb -le 65535 ] && [ $qa -le $qb ] || usage_error "--queues $QN: want 0 <= A <= B <= 65535"
	if [ $qa = $qb ]; then
		Q1=$qa QN=""
	else
		QN=$qa:$qb
	fi
fi
if [ -z "$QN" ]; then
	is_uint "$Q1" && [ $((10#$Q1)) -le 65535 ] || usage_error "--queue wants 0-65535, not \"$Q1\""
	Q1=$((10#$Q1))
	QSPEC="--queue-num $Q1"
	QLIST=$Q1
else
	QSPEC="--queue-balance $QN"
	QLIST=$(seq "${QN%:*}" "${QN#*:}" | tr '\n' ' ')
fi
[ "$BYPASS" = 1 ] && QSPEC="$QSPEC --queue-bypass"

# norm_ports NAME LIST ALLOW_RANGE: prints the list canonical (no leading
# zeros) and its multiport element count (a range counts 2) on stdout
norm_ports() {
	local out="" n=0 p a b IFS=,
	for p in $2; do
		if [[ $p =~ ^([0-9]{1,5})$ ]]; then
			a=$((10#$p))
			[ $a -ge 1 ] && [ $a -le 65535 ] || usage_error "$1: port $p out of range"
			out=$out${out:+,}$a
			n=$((n + 1))
		elif [ "$3" = 1 ] && [[ $p =~ ^([0-9]{1,5}):([0-9]{1,5})$ ]]; then
			a=$((10#${BASH_REMATCH[1]})) b=$((10#${BASH_REMATCH[2]}))
			[ $a -ge 1 ] && [ $b -le 65535 ] && [ $a -lt $b ] || usage_error "$1: bad range $p"
			out=$out${out:+,}$a:$b
			n=$((n + 2))
		else
			usage_error "$1: bad port \"$p\""
		fi
	done
	echo "$out $n"
}
read -r SIP_PORTS nsip <<<"$(norm_ports --sip-ports "$SIP_PORTS" 0)"
[ "$nsip" -ge 1 ] || usage_error "--sip-ports: at least one port"
if [ -n "$RTP_PORTS" ]; then
	read -r RTP_PORTS nrtp <<<"$(norm_ports --rtp-ports "$RTP_PORTS" 1)"
else
	nrtp=0
fi
# multiport takes 15 ports, a range counting two
[ $((nsip + nrtp)) -le 15 ] || usage_error "--sip-ports and --rtp-ports: at most 15 ports together (a range counts 2)"

if [[ $MARK =~ ^0[xX][0-9a-fA-F]{1,8}$ ]] || [[ $MARK =~ ^[0-9]{1,10}$ ]]; then
	[ $((MARK)) -le 4294967295 ] || usage_error "--bypass-mark $MARK: more than 32 bits"
	MARK=$(printf '0x%x' $((MARK)))
else
	usage_error "--bypass-mark wants a 32-bit number (0x40000000), not \"$MARK\""
fi

if [[ $VMARK =~ ^0[xX][0-9a-fA-F]{1,8}$ ]] || [[ $VMARK =~ ^[0-9]{1,10}$ ]]; then
	v=$((VMARK))
	[ $v = 0 ] || { [ $((v & 0xfff)) = 0 ] && [ $((v & (v - 1))) = 0 ] && [ $v -le 2147483648 ]; } ||
		usage_error "--vlan-mark $VMARK: one bit above the VLAN id's 12 (0x1000, 0x2000, ...) or 0"
	[ $v = 0 ] || [ $((v & MARK)) = 0 ] || usage_error "--vlan-mark $VMARK overlaps --bypass-mark $MARK"
	VMARK=$(printf '0x%x' $v)
else
	usage_error "--vlan-mark wants a 32-bit number (0x1000), not \"$VMARK\""
fi

FAMILIES=iptables
[ "$IPV6" = 1 ] && FAMILIES="iptables ip6tables"
for f in $FAMILIES; do
	command -v "$f" >/dev/null && command -v "$f-restore" >/dev/null ||
		die "$f not found (or pass --no-ipv6)"
done

# The chain exactly as `iptables -S SIPWIRE` prints it once installed:
# `up` writes it with iptables-restore and compares it with that.
chain_rules() {
	local m=$MARK/$MARK
	if [ "$MARK" != 0x0 ]; then
		echo "-A $CHAIN -m connmark --mark $m -j ACCEPT"
		echo "-A $CHAIN -m mark --mark $m -j CONNMARK --save-mark --nfmask $MARK --ctmask $MARK"
		echo "-A $CHAIN -m mark --mark $m -j ACCEPT"
	fi
	if [ "$ALL" = 1 ]; then
		echo "-A $CHAIN -j NFQUEUE $QSPEC"
	else
		echo "-A $CHAIN -p udp -m multiport --ports $SIP_PORTS${RTP_PORTS:+,$RTP_PORTS} -j NFQUEUE $QSPEC"
		echo "-A $CHAIN -p tcp -m multiport --ports $SIP_PORTS -j NFQUEUE $QSPEC"
	fi
}

# ------------------------------------------------------------------
# Helpers on the target namespace

link_exists() { ip ${NETNS:+-n "$NETNS"} link show dev "$1" >/dev/null 2>&1; }
is_bridge() { nsx test -d "/sys/class/net/$1/bridge"; }
link_master() { # prints the master's name, if any
	local m
	m=$(nsx readlink "/sys/class/net/$1/master" 2>/dev/null) || return 0
	echo "${m##*/}"
}
bridge_ports() { nsx ls "/sys/class/net/$1/brif" 2>/dev/null | tr '\n' ' '; }
sysctl_get() { nsx sysctl -n "$1" 2>/dev/null; }
sysctl_set() { nsx sysctl -qw "$1=$2" >/dev/null || die "cannot set $1=$2$WHERE"; }

# chain_of FAMILY: the SIPWIRE chain as -S prints it (rc 1 when absent)
chain_of() {
	nsx "$1" -w -S "$CHAIN" 2>/dev/null | grep -v "^-N $CHAIN\$"
	return "${PIPESTATUS[0]}"
}
# jump_positions FAMILY: positions in FORWARD of our jump, one a line
jump_positions() {
	nsx "$1" -w -S FORWARD 2>/dev/null | grep '^-A FORWARD ' |
		awk -v j="-A FORWARD $JUMP" '$0 == j {print NR}'
}

# ------------------------------------------------------------------
# up

br_netfilter() {
	if ! nsx test -d /proc/sys/net/bridge; then
		local err="modprobe not found"
		if command -v modprobe >/dev/null; then
			err=$(modprobe br_netfilter 2>&1) && err=""
		fi
		nsx test -d /proc/sys/net/bridge ||
			die "br_netfilter is not available: /proc/sys/net/bridge is missing$WHERE after modprobe br_netfilter${err:+ ($err)}"
	fi
}

# bridge_check: everything bridge_up needs, checked before anything changes
PORT_LIST=()
bridge_check() {
	local p m addrs
	PORT_LIST=()
	if [ -n "$PORTS" ]; then
		IFS=, read -r -a PORT_LIST <<<"$PORTS"
	fi
	for p in "${PORT_LIST[@]}"; do
		[ -n "$p" ] || usage_error "--ports: empty interface name in \"$PORTS\""
		[ "$p" != "$BRIDGE" ] || usage_error "--ports: $p is the bridge itself"
		link_exists "$p" || die "no interface $p$WHERE (ip link)"
		m=$(link_master "$p")
		[ -z "$m" ] || [ "$m" = "$BRIDGE" ] || die "$p is already a port of $m$WHERE"
		if [ "$m" != "$BRIDGE" ]; then
			addrs=$(ip ${NETNS:+-n "$NETNS"} -o addr show dev "$p" scope global | awk '{printf "%s ", $4}')
			[ -z "$addrs" ] || [ "$FORCE" = 1 ] ||
				die "$p has addresses ($addrs): as a bridge port it stops using them (an SSH session over it would be cut); move them to $BRIDGE, or pass --force"
		fi
	done
	if link_exists "$BRIDGE"; then
		is_bridge "$BRIDGE" || die "$BRIDGE exists$WHERE and is not a bridge"
	else
		[ ${#PORT_LIST[@]} -ge 1 ] || die "no bridge $BRIDGE$WHERE: give --ports IF1,IF2 to create it"
	fi
}

bridge_up() {
	local p created=0
	if ! link_exists "$BRIDGE"; then
		ip ${NETNS:+-n "$NETNS"} link add "$BRIDGE" type bridge || die "cannot create bridge $BRIDGE$WHERE"
		ST[CREATED_BRIDGE]=1
		save_state
		info "created bridge $BRIDGE$WHERE"
		created=1
	fi
	for p in "${PORT_LIST[@]}"; do
		if [ "$(link_master "$p")" != "$BRIDGE" ]; then
			ip ${NETNS:+-n "$NETNS"} link set dev "$p" master "$BRIDGE" || die "cannot add $p to $BRIDGE"
			if [ $created = 0 ] && [ "${ST[CREATED_BRIDGE]:-0}" != 1 ]; then
				ST[ADDED_PORTS]=${ST[ADDED_PORTS]:-}${ST[ADDED_PORTS]:+,}$p
				save_state
			fi
			info "added $p to $BRIDGE"
		fi
		ip ${NETNS:+-n "$NETNS"} link set dev "$p" up || die "cannot bring $p up"
	done
	ip ${NETNS:+-n "$NETNS"} link set dev "$BRIDGE" up || die "cannot bring $BRIDGE up"
	set -- $(bridge_ports "$BRIDGE")
	[ $# -ge 2 ] || warn "$BRIDGE has $# port(s)$WHERE: a bump in the wire needs two"
}

rules_up() { # family
	local f=$1 want have pos n
	want=$(chain_rules)
	if have=$(chain_of "$f") && [ "$have" = "$want" ]; then
		: # already exactly so: keep the rules and their counters
	else
		{
			echo "*filter"
			echo ":$CHAIN - [0:0]"
			echo "$want"
			echo "COMMIT"
		} | nsx "$f-restore" -w --noflush || die "$f-restore failed$WHERE installing chain $CHAIN"
		have=$(chain_of "$f")
		[ "$have" = "$want" ] || die "$f: chain $CHAIN reads back differently:
$have
instead of:
$want"
		info "$f: chain $CHAIN installed$WHERE"
	fi
	pos=$(jump_positions "$f" | tr '\n' ' ')
	if [ "$pos" != "1 " ]; then
		# Insert first, then delete the old copies from the last one up:
		# the jump is never missing.
		nsx "$f" -w -I FORWARD 1 $JUMP || die "$f: cannot insert the FORWARD jump$WHERE"
		for n in $(jump_positions "$f" | sort -rn); do
			[ "$n" = 1 ] || nsx "$f" -w -D FORWARD "$n" || die "$f: cannot delete FORWARD rule $n$WHERE"
		done
		info "$f: FORWARD jump to $CHAIN at position 1$WHERE"
	fi
	if nsx "$f" -w -S FORWARD 2>/dev/null | grep -qx -- '-P FORWARD DROP'; then
		warn "$f: FORWARD's policy is DROP$WHERE: bridged traffic that $CHAIN does not queue (ARP aside) is dropped unless another rule accepts it"
	fi
}

up() {
	local f
	if [ -n "${ST[BRIDGE]:-}" ] && [ "${ST[BRIDGE]}" != "$BRIDGE" ]; then
		[ "${ST[UP]:-0}" = 1 ] && die "already up on bridge ${ST[BRIDGE]}$WHERE (state $STATE): run down first"
		ST=() # a bridge an earlier up made and down kept: no longer ours to remove
	fi
	bridge_check
	br_netfilter
	ST[BRIDGE]=$BRIDGE
	# Remember the sysctls as they were before the first `up` only.
	[ -n "${ST[SYSCTL4_WAS]+x}" ] || ST[SYSCTL4_WAS]=$(sysctl_get net.bridge.bridge-nf-call-iptables)
	if [ "$IPV6" = 1 ] && [ -z "${ST[SYSCTL6_WAS]+x}" ]; then
		ST[SYSCTL6_WAS]=$(sysctl_get net.bridge.bridge-nf-call-ip6tables)
	fi
	[ -n "${ST[SYSCTLV_WAS]+x}" ] || ST[SYSCTLV_WAS]=$(sysctl_get net.bridge.bridge-nf-filter-vlan-tagged)
	save_state
	sysctl_set net.bridge.bridge-nf-call-iptables 1
	[ "$IPV6" = 1 ] && sysctl_set net.bridge.bridge-nf-call-ip6tables 1
	sysctl_set net.bridge.bridge-nf-filter-vlan-tagged 1
	bridge_up
	for f in $FAMILIES; do
		rules_up "$f"
	done
	vlan_up
	# up --no-ipv6 after an up with IPv6: the IPv6 rules go
	[ "$IPV6" = 1 ] || rules_down ip6tables || die "ip6tables: cannot remove chain $CHAIN$WHERE"
	# Connection byte/packet accounting, so that sipwire can report what the
	# kernel forwarded of a flow after offloading it (flow records'
	# "bypassed"). Exists once the connmark rules loaded conntrack; harmless
	# to leave on (a few bytes per connection).
	if [ "$MARK" != 0x0 ] && [ "$(sysctl_get net.netfilter.nf_conntrack_acct)" = 0 ]; then
		nsx sysctl -qw net.netfilter.nf_conntrack_acct=1 >/dev/null 2>&1 ||
			warn "cannot enable net.netfilter.nf_conntrack_acct: offloaded flows' counts unknown"
	fi
	ST[QUEUE]=$Q1 ST[QUEUES]=$QN ST[SIP_PORTS]=$SIP_PORTS ST[RTP_PORTS]=$RTP_PORTS
	ST[ALL]=$ALL ST[MARK]=$MARK ST[BYPASS]=$BYPASS ST[IPV6]=$IPV6 ST[VLAN_MARK]=$VMARK ST[UP]=1
	save_state
	info "up: $BRIDGE$WHERE, NFQUEUE $QSPEC ($( [ "$ALL" = 1 ] && echo "every bridged packet" || echo "SIP $SIP_PORTS${RTP_PORTS:+, RTP $RTP_PORTS}"))"
}

# vlan_up: the bridge-family table that writes an 802.1Q tag's VLAN id
# into the mark (the NFQUEUE of an iptables rule does not pass the tag on).
# Runs before br_netfilter hands the packet to iptables (priority -300);
# replaces the mark of tagged packets from the bridge's ports.
vlan_up() {
	local ports vmap i sep=
	if [ "$VMARK" = 0x0 ]; then
		vlan_down
		return 0
	fi
	if ! command -v nft >/dev/null; then
		warn "nft not found (apt-get install nftables): 802.1Q-tagged packets are inspected, but sipwire will not know their VLAN"
		return 0
	fi
	ports=$(ip ${NETNS:+-n "$NETNS"} -o link show master "$BRIDGE" 2>/dev/null |
		awk -F': ' '{sub(/@.*/, "", $2); printf "%s\"%s\"", n++ ? ", " : "", $2}')
	[ -n "$ports" ] || { warn "bridge $BRIDGE has no ports: no VLAN marking"; return 0; }
	# A map from every VLAN id to its mark: nft copies a header field into
	# the mark in network byte order, so "set vlan id" would need a swap;
	# with the map nft converts each key and value itself.
	vmap=$(for i in $(seq 1 4094); do
		printf '%s%d : 0x%x' "${sep:-}" "$i" $((VMARK | i))
		sep=', '
	done)
	nsx nft -f - <<NFT || die "nft: cannot install table bridge sipwire$WHERE"
table bridge sipwire
delete table bridge sipwire
table bridge sipwire {
	chain tag {
		type filter hook prerouting priority -300; policy accept;
		iifname { $ports } vlan id != 0 meta mark set vlan id map { $vmap }
	}
}
NFT
	info "nft: 802.1Q-tagged packets from $ports marked $VMARK | VLAN id$WHERE"
}
vlan_down() {
	command -v nft >/dev/null || return 0
	if nsx nft list table bridge sipwire >/dev/null 2>&1; then
		nsx nft delete table bridge sipwire && info "nft: table bridge sipwire removed$WHERE"
	fi
	return 0
}

# ------------------------------------------------------------------
# down

# rules_down FAMILY: removes our FORWARD jump(s) and chain SIPWIRE, nothing
# else (a jump to SIPWIRE that someone else added stays, and so does the
# chain then, emptied)
rules_down() {
	local f=$1 rc=0 refs
	command -v "$f" >/dev/null || return 0
	while nsx "$f" -w -C FORWARD $JUMP 2>/dev/null; do
		nsx "$f" -w -D FORWARD $JUMP || { rc=1; break; }
	done
	if nsx "$f" -w -S "$CHAIN" >/dev/null 2>&1; then
		nsx "$f" -w -F "$CHAIN" || rc=1
		if nsx "$f" -w -X "$CHAIN" 2>/dev/null; then
			info "$f: chain $CHAIN and its FORWARD jump removed$WHERE"
		else
			refs=$(nsx "$f-save" -t filter 2>/dev/null | grep -- "-j $CHAIN\( \|\$\)")
			warn "$f: chain $CHAIN emptied but kept$WHERE: still referenced by rules not installed by up: $refs"
			rc=1
		fi
	fi
	return $rc
}

down() {
	local f rc=0 p
	for f in iptables ip6tables; do
		rules_down "$f" || rc=1
	done
	vlan_down
	if nsx test -d /proc/sys/net/bridge; then
		case "${ST[SYSCTL4_WAS]:-}" in 0) sysctl_set net.bridge.bridge-nf-call-iptables 0 ;; esac
		case "${ST[SYSCTL6_WAS]:-}" in 0) sysctl_set net.bridge.bridge-nf-call-ip6tables 0 ;; esac
		case "${ST[SYSCTLV_WAS]:-}" in 0) sysctl_set net.bridge.bridge-nf-filter-vlan-tagged 0 ;; esac
	fi
	if [ "$REMOVE_BRIDGE" = 1 ]; then
		if [ "${ST[CREATED_BRIDGE]:-0}" = 1 ] && [ -n "${ST[BRIDGE]:-}" ]; then
			if link_exists "${ST[BRIDGE]}"; then
				ip ${NETNS:+-n "$NETNS"} link del "${ST[BRIDGE]}" && info "deleted bridge ${ST[BRIDGE]}$WHERE" || rc=1
			fi
		elif [ -n "${ST[ADDED_PORTS]:-}" ]; then
			for p in ${ST[ADDED_PORTS]//,/ }; do
				if [ "$(link_master "$p")" = "${ST[BRIDGE]}" ]; then
					ip ${NETNS:+-n "$NETNS"} link set dev "$p" nomaster && info "released $p from ${ST[BRIDGE]}" || rc=1
				fi
			done
		else
			info "bridge ${ST[BRIDGE]:-$BRIDGE} was not created by up: left as it is"
		fi
	fi
	# Remember a bridge (or ports) that up created and down kept, so that a
	# later down --remove-bridge still knows it; forget everything else.
	if [ "$REMOVE_BRIDGE" = 0 ] && { [ "${ST[CREATED_BRIDGE]:-0}" = 1 ] || [ -n "${ST[ADDED_PORTS]:-}" ]; }; then
		local keep_b=${ST[BRIDGE]} keep_c=${ST[CREATED_BRIDGE]:-0} keep_p=${ST[ADDED_PORTS]:-}
		ST=([BRIDGE]=$keep_b [CREATED_BRIDGE]=$keep_c [ADDED_PORTS]=$keep_p)
		save_state
	else
		rm -f "$STATE"
	fi
	[ $rc = 0 ] && info "down$WHERE"
	return $rc
}

# ------------------------------------------------------------------
# status

status() {
	local bad=() warns=() f v have want pos ports q line
	echo "== bridge $BRIDGE$WHERE"
	if link_exists "$BRIDGE" && is_bridge "$BRIDGE"; then
		ip ${NETNS:+-n "$NETNS"} -br link show dev "$BRIDGE"
		ip ${NETNS:+-n "$NETNS"} -o link show dev "$BRIDGE" | grep -q '<[^>]*\bUP\b' || bad+=("bridge $BRIDGE is down")
		echo "== ports"
		ports=$(bridge_ports "$BRIDGE")
		for p in $ports; do
			ip ${NETNS:+-n "$NETNS"} -br link show dev "$p"
		done
		set -- $ports
		[ $# -ge 2 ] || bad+=("bridge $BRIDGE has $# port(s), a bump in the wire needs 2")
	else
		echo "(absent)"
		bad+=("no bridge $BRIDGE")
	fi
	if [ "$VMARK" != 0x0 ] && command -v nft >/dev/null; then
		echo "== nft table bridge sipwire (802.1Q tag -> mark $VMARK | VLAN id)"
		if nsx nft list table bridge sipwire 2>/dev/null | grep 'vlan id'; then
			:
		else
			echo "(absent)"
			bad+=("no nft table bridge sipwire: sipwire will not know the VLAN of tagged packets")
		fi
	fi
	echo "== br_netfilter sysctls"
	if nsx test -d /proc/sys/net/bridge; then
		for v in iptables ip6tables; do
			have=$(sysctl_get net.bridge.bridge-nf-call-$v)
			echo "net.bridge.bridge-nf-call-$v = $have"
			if [ "$have" != 1 ] && { [ $v = iptables ] || [ "$IPV6" = 1 ]; }; then
				bad+=("net.bridge.bridge-nf-call-$v is not 1")
			fi
		done
		have=$(sysctl_get net.bridge.bridge-nf-filter-vlan-tagged)
		echo "net.bridge.bridge-nf-filter-vlan-tagged = $have"
		[ "$have" = 1 ] || bad+=("net.bridge.bridge-nf-filter-vlan-tagged is not 1 (802.1Q-tagged packets cross uninspected)")
	else
		echo "(br_netfilter not loaded: /proc/sys/net/bridge missing)"
		bad+=("br_netfilter not loaded")
	fi
	want=$(chain_rules)
	for f in $FAMILIES; do
		echo "== $f"
		nsx "$f" -w -L FORWARD -v -n --line-numbers 2>&1
		echo
		if ! have=$(chain_of "$f"); then
			echo "(no chain $CHAIN)"
			bad+=("$f: no chain $CHAIN")
		else
			nsx "$f" -w -L "$CHAIN" -v -n --line-numbers 2>&1
		fi
		if [ -z "$have" ]; then
			:
		elif [ "$have" != "$want" ]; then
			bad+=("$f: chain $CHAIN differs from what up installs with these options:
$have
instead of:
$want")
		fi
		pos=$(jump_positions "$f" | tr '\n' ' ')
		case "$pos" in
		"1 ") ;;
		"") bad+=("$f: no jump to $CHAIN in FORWARD") ;;
		*) bad+=("$f: the jump to $CHAIN is at FORWARD position(s) $pos, not only 1") ;;
		esac
	done
	echo "== queues (/proc/net/netfilter/nfnetlink_queue)"
	printf '%6s %10s %8s %4s %6s %10s %10s %12s\n' queue portid waiting mode range dropped user_drop id_seq
	nsx cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk '{printf "%6s %10s %8s %4s %6s %10s %10s %12s\n", $1, $2, $3, $4, $5, $6, $7, $8}'
	for q in $QLIST; do
		nsx cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null | awk -v q="$q" '$1 == q {f = 1} END {exit !f}' ||
			warns+=("nobody listens on queue $q: its packets are $( [ "$BYPASS" = 1 ] && echo "forwarded uninspected (--queue-bypass)" || echo "dropped (fail-closed)")")
	done
	for line in "${warns[@]}"; do
		warn "$line"
	done
	if [ ${#bad[@]} -gt 0 ]; then
		echo "== incomplete"
		for line in "${bad[@]}"; do
			echo "- $line"
		done
		return 1
	fi
	echo "== complete: $BRIDGE$WHERE, NFQUEUE $QSPEC"
	return 0
}

case "$CMD" in
up) up ;;
down) down ;;
status) status ;;
esac
