#!/bin/bash
# Real attack-tool and phone captures for the replay tests, made in the lab
# of tools/lab.sh against its Kamailio PBX: each case builds a fresh lab
# (no registrations, cold ARP caches), runs tcpdump on sipwire's bridge br0
# (what crosses the bump in the wire), runs one tool with a time bound, and
# writes tests/replay/real-<case>/capture.pcap.
#
#   tools/lab_capture.sh [CASE...]      all cases when none is named
#   OUT=DIR tools/lab_capture.sh ...    write DIR/real-<case>/capture.pcap
#
# Cases:
#   svmap               svmap sweep of 192.0.2.0/28 from the attacker
#   svwar               svwar REGISTER enumeration of extensions 100-199
#   svwar-invite        svwar -m INVITE enumeration of 100-199
#   svcrack             svcrack on user 101 with a dictionary, the right
#                       password on line 200
#   svwar-phone-ua      svwar, svwar -m INVITE, svcrack with a phone's
#   svwar-invite-phone-ua  User-Agent (a patched copy of the SIPVicious
#   svcrack-phone-ua    module: it has no option)
#   sipp-benign         SIPp phone: register (digest), 3 calls to a SIPp UAS
#                       registered as 120 behind the PBX, unregister
#
# The attacker is 192.0.2.66 (source port 5060, the tools' default); the
# tools get -x 192.0.2.66 so their Via names that address instead of
# whatever the host name resolves to. The lab is torn down on exit, even
# on failure.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
LAB=$ROOT/tools/lab.sh
SIPP_DIR=$ROOT/tools/sipp
OUT=${OUT:-$ROOT/tests/replay}
PBX=192.0.2.5
ATTACKER=192.0.2.66
PHONE_UA="Yealink SIP-T46S 66.86.0.15"
ALL="svmap svwar svwar-invite svcrack svwar-phone-ua svwar-invite-phone-ua svcrack-phone-ua sipp-benign"
MAX_BYTES=1048576

die() {
	echo "lab_capture: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for c in tcpdump svmap svwar svcrack sipp kamailio tshark; do
	command -v "$c" >/dev/null || die "$c is missing (run tools/deps.sh)"
done

W=$(mktemp -d /tmp/sw-capture.XXXXXX)
TD_PID=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$TD_PID" ] && kill -INT "$TD_PID" 2>/dev/null || true
	"$LAB" down >/dev/null 2>&1 || true
	rm -rf "$W"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pw() { # user: the lab PBX's password for user
	"$LAB" users | awk -v u="$1" '$1 == u {print $2}'
}

# The svcrack dictionary: 199 wrong guesses (common passwords, then
# extension-like and numeric ones), 101's password on line 200, then 10
# more that are never reached.
write_dictionary() { # file
	local right
	right=$(pw 101)
	{
		printf '%s\n' 123456 password 12345678 qwerty 123456789 12345 1234 111111 \
			1234567 dragon 123123 baseball abc123 football monkey letmein shadow \
			master 666666 qwertyuiop 123321 mustang 1234567890 michael 654321 \
			superman 1qaz2wsx 7777777 121212 000000 qazwsx 123qwe killer trustno1 \
			jordan jennifer zxcvbnm asdfgh hunter buster soccer harley batman \
			andrew tigger sunshine iloveyou 2000 charlie robert thomas hockey \
			ranger daniel starwars 112233 george computer michelle jessica pepper \
			1111 zxcvbn 555555 11111111 131313 freedom 777777 pass maggie 159753 \
			aaaaaa ginger princess joshua cheese amanda summer love ashley nicole \
			chelsea biteme matthew access yankees 987654321 dallas austin thunder \
			taylor matrix secret changeme admin default voip sip asterisk pbx \
			phone 101 1010 101101 101101101 0101 101pass pass101 sip101 101sip \
			voip101 101voip 101abc abc101 101123 123101 1011 10101 100101 101100
		seq 3000 3199
	} | head -n 199 >"$1"
	[ "$(wc -l <"$1")" = 199 ] || die "dictionary: $(wc -l <"$1") wrong guesses, want 199"
	! grep -qx -- "$right" "$1" || die "dictionary: the right password is among the wrong ones"
	echo "$right" >>"$1"
	printf '%s\n' bluebird summer2024 winter2024 qwerty123 passw0rd \
		p@ssw0rd 202020 909090 abcd1234 sip12345 >>"$1"
}

# $W/bin/svwar and $W/bin/svcrack: SIPVicious with a phone's User-Agent.
patched_tools() {
	"$ROOT/tools/sipvicious_ua.sh" "$W" "$PHONE_UA" || die "no patched SIPVicious"
}

capture_start() { # pcap
	: >"$W/tcpdump.err"
	"$LAB" exec sipwire tcpdump -i br0 -s 1500 -U -Z root -w "$1" 2>"$W/tcpdump.err" &
	TD_PID=$!
	local i
	for i in $(seq 50); do
		grep -q "listening on" "$W/tcpdump.err" && return 0
		kill -0 "$TD_PID" 2>/dev/null || die "tcpdump: $(cat "$W/tcpdump.err")"
		sleep 0.1
	done
	die "tcpdump did not start in 5 s"
}

capture_stop() {
	local i
	sleep 1 # the last answers cross the bridge
	kill -INT "$TD_PID" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$TD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$TD_PID" 2>/dev/null || true
	wait "$TD_PID" 2>/dev/null || true
	TD_PID=
}

# Runs a command in a node with a time bound; its output goes to the log.
run() { # seconds node cmd...
	local t=$1 node=$2 rc=0
	shift 2
	echo "   [$node] $*"
	timeout --kill-after=5 "$t" "$LAB" exec "$node" "$@" >>"$W/log" 2>&1 || rc=$?
	[ $rc = 124 ] && echo "   (stopped after $t s)" | tee -a "$W/log"
	return $rc
}

case_svmap() {
	run 60 attacker svmap -x $ATTACKER 192.0.2.0/28
}

case_svwar() {
	run 120 attacker svwar -x $ATTACKER -e100-199 $PBX
}

case_svwar_invite() {
	run 120 attacker svwar -x $ATTACKER -m INVITE -e100-199 $PBX
}

case_svcrack() {
	run 120 attacker svcrack -x $ATTACKER -u 101 -d "$W/dictionary.txt" $PBX
}

case_svwar_phone_ua() {
	run 120 attacker "$W/bin/svwar" -x $ATTACKER -e100-199 $PBX
}

case_svwar_invite_phone_ua() {
	run 120 attacker "$W/bin/svwar" -x $ATTACKER -m INVITE -e100-199 $PBX
}

case_svcrack_phone_ua() {
	run 120 attacker "$W/bin/svcrack" -x $ATTACKER -u 101 -d "$W/dictionary.txt" $PBX
}

# The UAS (user 120) registers from inside the PBX's namespace before the
# capture starts (that traffic never crosses the bridge), then answers on
# 192.0.2.5:5070; the phone 192.0.2.10:5060 registers as 100, calls 120
# three times through Kamailio (one call at a time, one a second, each 2 s
# long), and unregisters.
SIPP="sipp -nostdin -timeout_error"
pre_sipp_benign() {
	run 20 pbx $SIPP -timeout 15s -sf "$SIPP_DIR/register.xml" -s 120 -au 120 -ap "$(pw 120)" \
		-key ua "$PHONE_UA" -key expires 3600 -i $PBX -p 5070 -m 1 $PBX:5060 ||
		die "the UAS could not register: $(tail -5 "$W/log")"
	(
		timeout --kill-after=5 60 "$LAB" exec pbx sipp -nostdin -timeout 55s -sf "$SIPP_DIR/uas.xml" \
			-key ua "$PHONE_UA" -i $PBX -p 5070 -m 3 >"$W/uas.log" 2>&1
		echo $? >"$W/uas.rc"
	) &
	UAS_JOB=$!
	sleep 0.5
}

case_sipp_benign() {
	local uas_rc
	run 20 phone $SIPP -timeout 15s -sf "$SIPP_DIR/register.xml" -s 100 -au 100 -ap "$(pw 100)" \
		-key ua "$PHONE_UA" -key expires 3600 -i 192.0.2.10 -p 5060 -m 1 $PBX:5060 ||
		die "the phone could not register"
	sleep 1
	run 60 phone $SIPP -timeout 50s -sf "$SIPP_DIR/uac.xml" -s 120 -key from 100 \
		-key ua "$PHONE_UA" -i 192.0.2.10 -p 5060 -m 3 -l 1 -r 1 $PBX:5060 ||
		die "the calls failed"
	sleep 1
	run 20 phone $SIPP -timeout 15s -sf "$SIPP_DIR/register.xml" -s 100 -au 100 -ap "$(pw 100)" \
		-key ua "$PHONE_UA" -key expires 0 -i 192.0.2.10 -p 5060 -m 1 $PBX:5060 ||
		die "the phone could not unregister"
	wait "$UAS_JOB" || true
	uas_rc=$(cat "$W/uas.rc" 2>/dev/null || echo none)
	[ "$uas_rc" = 0 ] || die "the SIPp UAS ended with status $uas_rc: $(tail -5 "$W/uas.log")"
}

one() { # case
	local c=$1 fn dir pcap size
	fn=${c//-/_}
	declare -F "case_$fn" >/dev/null || die "no case $c (cases: $ALL)"
	dir=$OUT/real-$c
	pcap=$W/$c.pcap
	echo "== real-$c"
	"$LAB" up >/dev/null
	: >"$W/log"
	# set-up that should not be in the capture
	if declare -F "pre_$fn" >/dev/null; then "pre_$fn"; fi
	capture_start "$pcap"
	# a scanner's own exit status says nothing about the capture; the
	# SIPp case dies on its own failures
	"case_$fn" || true
	capture_stop
	"$LAB" down >/dev/null
	sed 's/^/   | /' "$W/log" | grep -v '^   | *$' | tail -15
	size=$(stat -c %s "$pcap")
	[ "$size" -lt $MAX_BYTES ] || die "real-$c: capture is $size bytes (limit $MAX_BYTES)"
	tshark -r "$pcap" -Y sip >/dev/null 2>"$W/tshark.err" || die "real-$c: tshark: $(cat "$W/tshark.err")"
	mkdir -p "$dir"
	cp "$pcap" "$dir/capture.pcap"
	[ "$c" = svcrack ] && cp "$W/dictionary.txt" "$dir/dictionary.txt"
	echo "   $dir/capture.pcap: $(tshark -r "$pcap" 2>/dev/null | wc -l) packets," \
		"$(tshark -r "$pcap" -Y sip 2>/dev/null | wc -l) SIP, $size bytes"
}

write_dictionary "$W/dictionary.txt"
patched_tools
[ $# -gt 0 ] || set -- $ALL
for c in "$@"; do
	one "$c"
done
