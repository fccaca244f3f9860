#!/bin/bash
# The lab of ../shared/docs/TESTING.md in network namespaces: an outside
# segment with a phone and attackers, sipwire's namespace holding a plain
# Linux bridge br0 (the bump in the wire), and a PBX (Kamailio) inside.
# Every namespace is named sw-<node>; everything lives in them, so `down`
# (deleting the namespaces and ending the processes inside) leaves nothing.
#
#   tools/lab.sh up                  tear down any previous lab, build a new one
#   tools/lab.sh down                end the lab's processes, delete its namespaces
#   tools/lab.sh status              what exists and what runs
#   tools/lab.sh exec NODE CMD...    run CMD inside node NODE (e.g. pbx, attacker)
#   tools/lab.sh users               the PBX's users and passwords, "user password"
#
#  phone     192.0.2.10 ─┐
#  attacker  192.0.2.66 ─┤ sw-outside:          sw-sipwire:
#  attacker2 192.0.2.77 ─┼─ bridge seg ── out0 ─ br0 ─ in0 ── eth0 pbx 192.0.2.5
#  natrtr    192.0.2.20 ─┘                                    (Kamailio :5060)
#    └─ lan0 10.66.0.1/24 ── natphone 10.66.0.10 (MASQUERADE behind natrtr)
#
# Every node's interface toward the segment is eth0, with MAC 02:00 and its
# IPv4 address in hex (192.0.2.5 is 02:00:c0:00:02:05). IPv6 and multicast
# snooping are off in the lab (no router solicitations, MLD or IGMP reports
# in the captures).
#
# The PBX is Kamailio from Debian (5.6), a registrar with digest auth
# (challenges carry qop="auth", realm "sipwire.test", see TESTING.md on
# svcrack), users from `users` below with plain-text passwords in an
# htable. REGISTER for a user it does not have: 404. A wrong password: a
# new 401 challenge, as Kamailio's default configuration does (LAB_WRONGPW=403
# answers 403 Forbidden instead). INVITE to an unknown user: 404; to a known
# one: relayed to its registered contact (Record-Route), or 480 when it has
# none. OPTIONS to the PBX: 200. No authentication on INVITE.
#
# Environment:
#   LAB_DIR       state directory (default /tmp/sw-lab): kamailio.cfg, logs, pids
#   LAB_PREFIX    namespace name prefix (default sw-): two labs with
#                 different prefixes and LAB_DIRs can run at once
#   LAB_NFQUEUE   unset: a plain bridge. A number N: br0 gets the rules of
#                 a deployment, from tools/sipwire-bridge.sh up --queue N
#                 (bridged SIP and RTP go to NFQUEUE N; see sipwire_hook)
#   LAB_BRIDGE_OPTS  more sipwire-bridge.sh options with LAB_NFQUEUE, e.g.
#                 "--no-bypass" (fail-closed), "--all" (every bridged packet),
#                 "--rtp-ports 6000:6010" (SIPp's media ports); default
#                 none (see tools/sipwire-bridge.sh -h)
#   LAB_WRONGPW   401 (default) or 403: the PBX's answer to a wrong password
set -eu

LAB_DIR=${LAB_DIR:-/tmp/sw-lab}
# Namespace names are $PREFIX<node>; a test gives its own prefix so that
# labs of different tests (or a test and the benchmark) never meet.
PREFIX=${LAB_PREFIX:-sw-}
PBX_IP=192.0.2.5
REALM=sipwire.test

# node  address/prefix  (all on the outside segment but pbx, natphone)
NODES="phone attacker attacker2 natrtr natphone outside sipwire pbx"
declare -A ADDR=(
	[phone]=192.0.2.10/24
	[attacker]=192.0.2.66/24
	[attacker2]=192.0.2.77/24
	[natrtr]=192.0.2.20/24
	[pbx]=$PBX_IP/24
)
NATRTR_LAN=10.66.0.1/24
NATPHONE_LAN=10.66.0.10/24

# The PBX's users: user password. 101's password is at position 200 of
# tools/lab_capture.sh's dictionary.
users() {
	cat <<-'EOF'
		100 Yh7-fox-422
		101 bluebird77
		120 uas120pass
	EOF
}

die() {
	echo "lab: $*" >&2
	exit 1
}

nsx() { # node cmd...: run cmd in the node's namespace
	local n=$1
	shift
	ip netns exec "$PREFIX$n" "$@"
}

# This lab's namespaces: exactly $PREFIX<node> for the lab's nodes (not
# every name starting with the prefix: another lab's prefix may extend it).
lab_namespaces() {
	local n have
	have=$(ip netns list 2>/dev/null | awk '{print $1}')
	for n in $NODES; do
		printf '%s\n' "$have" | grep -qx -- "$PREFIX$n" && echo "$PREFIX$n"
	done
	return 0
}

# Ends every process inside the lab's namespaces (each one was started in
# them by this script or by a test using the lab), by pid: TERM, up to 5 s,
# then KILL; then deletes the namespaces, which deletes their veths and
# bridges with them.
down() {
	local ns pids i
	for ns in $(lab_namespaces); do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		[ -n "$pids" ] && kill $pids 2>/dev/null || true
	done
	for i in $(seq 50); do
		pids=""
		for ns in $(lab_namespaces); do
			pids="$pids$(ip netns pids "$ns" 2>/dev/null || true)"
		done
		[ -z "$pids" ] && break
		sleep 0.1
	done
	for ns in $(lab_namespaces); do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
	done
	for ns in $(lab_namespaces); do
		ip netns del "$ns" 2>/dev/null || true
	done
	# only what up wrote, in case LAB_DIR names a directory of other things
	rm -rf "$LAB_DIR/run"
	rm -f "$LAB_DIR"/kamailio.cfg "$LAB_DIR"/kamailio.log "$LAB_DIR"/kamailio-check.log "$LAB_DIR"/kamailio.pid
	rmdir "$LAB_DIR" 2>/dev/null || true
	[ -z "$(lab_namespaces)" ] || die "namespaces left: $(lab_namespaces | tr '\n' ' ')"
}

# A fixed, locally administered MAC for an interface with IPv4 address $1
# (02:00 then the address), so captures from different runs look alike.
mac() {
	local IFS=./
	set -- $1
	printf '02:00:%02x:%02x:%02x:%02x' "$1" "$2" "$3" "$4"
}

# A veth pair: $1 in namespace node $2, $3 in node $4. Transmit checksum
# offload is off on both ends: a veth otherwise hands on UDP packets with a
# partial checksum, so captures and sipwire would see bad checksums where a
# real wire carries complete ones.
veth() {
	ip -n "$PREFIX$2" link add "$1" type veth peer name "$3" netns "$PREFIX$4"
	nsx "$2" ethtool -K "$1" tx off >/dev/null
	nsx "$4" ethtool -K "$3" tx off >/dev/null
	ip -n "$PREFIX$2" link set "$1" up
	ip -n "$PREFIX$4" link set "$3" up
}

# The hook for sipwire's inline mode. A plain bridge by default; with
# LAB_NFQUEUE=N, the deployment tool installs on the lab's br0 (which it
# reuses, out0 and in0 as they are) exactly what it installs in front of a
# real PBX: br_netfilter sysctls, and iptables/ip6tables chain SIPWIRE
# jumped to from FORWARD for bridged packets, queueing SIP and RTP to
# NFQUEUE N with --queue-bypass unless LAB_BRIDGE_OPTS says otherwise (the
# nftables queue statement does not work on these kernels, see TESTING.md).
# `down` deletes the namespace, rules with it.
sipwire_hook() {
	[ -n "${LAB_NFQUEUE:-}" ] || return 0
	[ -z "${LAB_NFQUEUE_OPTS+x}" ] ||
		die "LAB_NFQUEUE_OPTS is gone: use LAB_BRIDGE_OPTS (e.g. --no-bypass for no --queue-bypass)"
	# LAB_BRIDGE_OPTS is a list of options: split on purpose
	# shellcheck disable=SC2086
	"$(dirname "${BASH_SOURCE[0]}")/sipwire-bridge.sh" up --netns "${PREFIX}sipwire" \
		--bridge br0 --queue "$LAB_NFQUEUE" ${LAB_BRIDGE_OPTS:-} >/dev/null
}

kamailio_modules() {
	local d
	for d in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
		[ -f "$d/registrar.so" ] && { echo "$d"; return 0; }
	done
	return 1
}

write_kamailio_cfg() { # file mpath
	local wrong
	case "${LAB_WRONGPW:-401}" in
	401) wrong='www_challenge("'$REALM'", "1");' ;;
	403) wrong='sl_send_reply("403", "Forbidden");' ;;
	*) die "LAB_WRONGPW must be 401 or 403" ;;
	esac
	{
		cat <<-EOF
			#!KAMAILIO
			# Written by tools/lab.sh: the lab PBX (see the comment there).
			debug=2
			log_stderror=yes
			children=2
			tcp_children=1
			auto_aliases=no
			listen=udp:$PBX_IP:5060
			listen=tcp:$PBX_IP:5060
			alias="$REALM"
			rundir="$LAB_DIR/run"

			mpath="$2"
			loadmodule "kex.so"
			loadmodule "corex.so"
			loadmodule "tm.so"
			loadmodule "sl.so"
			loadmodule "rr.so"
			loadmodule "pv.so"
			loadmodule "maxfwd.so"
			loadmodule "usrloc.so"
			loadmodule "registrar.so"
			loadmodule "textops.so"
			loadmodule "siputils.so"
			loadmodule "xlog.so"
			loadmodule "sanity.so"
			loadmodule "htable.so"
			loadmodule "auth.so"

			modparam("htable", "htable", "users=>size=4;")
			modparam("auth", "secret", "sw-lab-nonce-secret")
			modparam("usrloc", "db_mode", 0)
			modparam("registrar", "default_expires", 3600)
			modparam("registrar", "max_expires", 3600)
			modparam("rr", "append_fromtag", 1)

			event_route[htable:mod-init] {
		EOF
		users | while read -r u p; do
			printf '    $sht(users=>%s) = "%s";\n' "$u" "$p"
		done
		cat <<-'EOF'
			}

			request_route {
			    if (!mf_process_maxfwd_header("10")) {
			        sl_send_reply("483", "Too Many Hops");
			        exit;
			    }
			    if (!sanity_check()) {
			        xlog("L_WARN", "malformed $rm from $si:$sp\n");
			        exit;
			    }
			    # In-dialog requests follow the route set this proxy recorded.
			    if (has_totag()) {
			        if (loose_route()) {
			            t_relay();
			            exit;
			        }
			        if (is_method("ACK") && t_check_trans())
			            t_relay();
			        else if (!is_method("ACK"))
			            sl_send_reply("404", "Not here");
			        exit;
			    }
			    if (is_method("CANCEL")) {
			        if (t_check_trans())
			            t_relay();
			        exit;
			    }
			    if (is_method("ACK")) {
			        if (t_check_trans())
			            t_relay();
			        exit;
			    }
			    t_check_trans();
			    if (uri != myself) {
			        sl_send_reply("403", "Relaying Forbidden");
			        exit;
			    }
			    if (is_method("OPTIONS")) {
			        sl_send_reply("200", "OK");
			        exit;
			    }
			    if (is_method("REGISTER"))
			        route(REGISTRAR);
			    if (!is_method("INVITE|MESSAGE")) {
			        sl_send_reply("405", "Method Not Allowed");
			        exit;
			    }
			    if ($sht(users=>$rU) == $null) {
			        sl_send_reply("404", "Not Found");
			        exit;
			    }
			    if (!lookup("location")) {
			        sl_send_reply("480", "Temporarily Unavailable");
			        exit;
			    }
			    record_route();
			    t_relay();
			    exit;
			}

			route[REGISTRAR] {
			    if ($sht(users=>$tU) == $null) {
			        sl_send_reply("404", "Not Found");
			        exit;
			    }
			    $var(pw) = $sht(users=>$tU);
		EOF
		printf '    if (!is_present_hf("Authorization")) {\n        www_challenge("%s", "1");\n        exit;\n    }\n' "$REALM"
		printf '    if (!pv_www_authenticate("%s", "$var(pw)", "0")) {\n        %s\n        exit;\n    }\n' "$REALM" "$wrong"
		cat <<-'EOF'
			    if ($au != $tU) {
			        sl_send_reply("403", "Forbidden");
			        exit;
			    }
			    consume_credentials();
			    if (!save("location"))
			        sl_reply_error();
			    exit;
			}
		EOF
	} >"$1"
}

start_kamailio() {
	local mpath i
	mpath=$(kamailio_modules) || die "no Kamailio modules found (run tools/deps.sh)"
	mkdir -p "$LAB_DIR/run"
	write_kamailio_cfg "$LAB_DIR/kamailio.cfg" "$mpath"
	kamailio -c -f "$LAB_DIR/kamailio.cfg" >"$LAB_DIR/kamailio-check.log" 2>&1 ||
		die "kamailio.cfg does not check: $(tail -5 "$LAB_DIR/kamailio-check.log")"
	nsx pbx kamailio -f "$LAB_DIR/kamailio.cfg" -DD -E -m 64 -M 8 \
		</dev/null >"$LAB_DIR/kamailio.log" 2>&1 &
	echo $! >"$LAB_DIR/kamailio.pid"
	for i in $(seq 100); do
		if nsx pbx ss -Hlun "sport = :5060" | grep -q .; then
			return 0
		fi
		kill -0 "$(cat "$LAB_DIR/kamailio.pid")" 2>/dev/null ||
			die "kamailio exited: $(tail -5 "$LAB_DIR/kamailio.log")"
		sleep 0.1
	done
	die "kamailio is not listening on $PBX_IP:5060 after 10 s"
}

up() {
	local n
	[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
	for c in ip kamailio iptables ss ethtool; do
		command -v "$c" >/dev/null || die "$c is missing (run tools/deps.sh)"
	done
	down
	mkdir -p "$LAB_DIR"
	# Half a lab is worse than none.
	trap 'rc=$?; trap - EXIT; if [ $rc != 0 ]; then echo "lab: up failed, tearing down" >&2; down; fi; exit $rc' EXIT
	for n in $NODES; do
		ip netns add "$PREFIX$n"
		nsx "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		ip -n "$PREFIX$n" link set lo up
	done

	# The outside segment: a bridge of its own, in its own namespace.
	ip -n "${PREFIX}outside" link add seg type bridge mcast_snooping 0
	ip -n "${PREFIX}outside" link set seg up
	for n in phone attacker attacker2 natrtr; do
		veth eth0 "$n" "$n" outside
		ip -n "${PREFIX}outside" link set "$n" master seg
		ip -n "$PREFIX$n" link set eth0 address "$(mac "${ADDR[$n]}")"
		ip -n "$PREFIX$n" addr add "${ADDR[$n]}" dev eth0
	done

	# sipwire: br0 with one port toward the outside, one toward the PBX.
	nsx sipwire sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
	ip -n "${PREFIX}sipwire" link add br0 type bridge mcast_snooping 0
	veth out0 sipwire sipwire outside
	ip -n "${PREFIX}outside" link set sipwire master seg
	veth in0 sipwire eth0 pbx
	ip -n "${PREFIX}sipwire" link set out0 master br0
	ip -n "${PREFIX}sipwire" link set in0 master br0
	ip -n "${PREFIX}sipwire" link set br0 up
	ip -n "${PREFIX}pbx" link set eth0 address "$(mac "${ADDR[pbx]}")"
	ip -n "${PREFIX}pbx" addr add "${ADDR[pbx]}" dev eth0
	sipwire_hook

	# The NAT router and the phone behind it.
	veth lan0 natrtr eth0 natphone
	ip -n "${PREFIX}natrtr" link set lan0 address "$(mac "$NATRTR_LAN")"
	ip -n "${PREFIX}natrtr" addr add "$NATRTR_LAN" dev lan0
	ip -n "${PREFIX}natphone" link set eth0 address "$(mac "$NATPHONE_LAN")"
	ip -n "${PREFIX}natphone" addr add "$NATPHONE_LAN" dev eth0
	ip -n "${PREFIX}natphone" route add default via "${NATRTR_LAN%/*}"
	nsx natrtr sysctl -qw net.ipv4.ip_forward=1
	nsx natrtr iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE

	start_kamailio
	trap - EXIT
	echo "lab: up (state in $LAB_DIR; tools/lab.sh status)"
}

status() {
	local n ns
	if [ -z "$(lab_namespaces)" ]; then
		echo "lab: down"
		return 0
	fi
	for n in $NODES; do
		ns=$PREFIX$n
		if ! ip netns list | awk '{print $1}' | grep -qx "$ns"; then
			printf '%-10s missing\n' "$n"
			continue
		fi
		printf '%-10s %s\n' "$n" "$(ip -n "$ns" -4 -br addr show | awk '$1 != "lo" {printf "%s %s  ", $1, $3}')"
	done
	echo "br0 ports:  $(ip -n "${PREFIX}sipwire" -br link show master br0 2>/dev/null | awk '{printf "%s(%s) ", $1, $2}')"
	echo "bridge-nf-call-iptables in sipwire: $(nsx sipwire sysctl -n net.bridge.bridge-nf-call-iptables 2>/dev/null)"
	echo "sipwire FORWARD rules: $(nsx sipwire iptables -S FORWARD 2>/dev/null | grep -c -- -A || true)"
	if [ -f "$LAB_DIR/kamailio.pid" ] && kill -0 "$(cat "$LAB_DIR/kamailio.pid")" 2>/dev/null; then
		echo "kamailio:   running, pid $(cat "$LAB_DIR/kamailio.pid"), log $LAB_DIR/kamailio.log"
	else
		echo "kamailio:   not running"
	fi
}

case "${1:-}" in
up) up ;;
down) down && echo "lab: down" ;;
status) status ;;
users) users ;;
exec)
	[ $# -ge 3 ] || die "usage: lab.sh exec NODE CMD..."
	n=$2
	shift 2
	case " $NODES " in *" $n "*) ;; *) die "no node $n (nodes: $NODES)" ;; esac
	exec ip netns exec "$PREFIX$n" "$@"
	;;
*)
	echo "usage: tools/lab.sh up|down|status|users|exec NODE CMD..." >&2
	exit 2
	;;
esac
