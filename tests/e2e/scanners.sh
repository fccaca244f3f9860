#!/bin/bash
# scanners.sh - real SIPVicious runs against the lab's Kamailio through
# sipwire inline: each is detected, blocked, and gets (almost) nothing from
# the PBX.
#
# Seven runs at once, each from a host of its own on the outside segment
# (the lab's attacker 192.0.2.66 and six more, .67-.72), so that each one's
# block is its own:
#   .66 svmap sweep of 192.0.2.0/28            stock (User-Agent friendly-scanner)
#   .67 svwar REGISTER enumeration 100-199     stock
#   .68 svwar -m INVITE enumeration 100-199    stock
#   .69 svcrack user 101, 200-entry dictionary stock
#   .70 svwar REGISTER 100-199                 a phone's User-Agent
#   .71 svwar -m INVITE 100-199                a phone's User-Agent
#   .72 svcrack user 101, same dictionary      a phone's User-Agent
# The dictionary is tests/replay/real-svcrack/dictionary.txt: 101's
# password on line 200. The phone-User-Agent runs use a patched copy of the
# SIPVicious module, as tools/lab_capture.sh does (no option sets it).
#
# Checks, per run: the rule that should stop it alerted (7100001 for the
# stock tools, svmap's From also 7100002; 7100102 enumeration for the
# phone-UA svwar, 7100301 failed authentication for the phone-UA svcrack)
# and a block record names its address with that rule; drop records for it;
# what reached the PBX (captured on the PBX's own interface): nothing from
# the stock tools, a few attempts (at most 10) from the disguised ones; the
# tool's own report (svmap finds no PBX, svwar never 120, svcrack no
# password) and the PBX never answered 200 to a guesser.
. "$(dirname "$0")/lib.sh"

e2e_begin scanners sipp svmap svwar svcrack
DICT=$ROOT/tests/replay/real-svcrack/dictionary.txt

lab_up
# The lab's attacker is 192.0.2.66; six more attacker hosts, .67-.72.
for a in 67 68 69 70 71 72; do
	node_add "s$a" 192.0.2.$a || { nok "attacker host 192.0.2.$a"; e2e_end; exit 1; }
done

# The patched SIPVicious (User-Agent of a phone), run from $W/bin.
patched_tools() {
	"$ROOT/tools/sipvicious_ua.sh" "$W" "$PHONE_UA" 2>"$W/patch.err"
}
if patched_tools; then
	ok "SIPVicious copy with a phone's User-Agent"
else
	nok "SIPVicious copy with a phone's User-Agent" "$(cat "$W/patch.err")"
fi
right=$(pw 101)
if [ "$(sed -n 200p "$DICT")" = "$right" ] && [ "$(grep -cx -- "$right" "$DICT")" = 1 ]; then
	ok "dictionary: 101's password on line 200 only"
else
	nok "dictionary: 101's password on line 200 only" "$DICT"
fi

sw_start_or_bail
cap_start pbx pbx eth0 udp port 5060

# scan NAME NODE SECONDS CMD...: a scanner in NODE, bounded.
SCANS=()
scan() {
	local name=$1 node=$2 t=$3
	shift 3
	(
		timeout -k 5 "$t" ip netns exec "$PREFIX$node" "$@" </dev/null >"$W/$name.out" 2>&1
		echo $? >"$W/$name.rc"
	) &
	BG_PIDS+=($!)
	SCANS+=("$name")
}
# -x: the address the tools put in Via (else whatever the host name gives)
scan svmap attacker 40 svmap -x 192.0.2.66 192.0.2.0/28
scan svwar s67 40 svwar -x 192.0.2.67 --maximumtime 4 -e100-199 $PBX
scan svwar-invite s68 40 svwar -x 192.0.2.68 --maximumtime 4 -m INVITE -e100-199 $PBX
scan svcrack s69 40 svcrack -x 192.0.2.69 --maximumtime 4 -u 101 -d "$DICT" $PBX
scan svwar-phone s70 40 "$W/bin/svwar" -x 192.0.2.70 --maximumtime 4 -e100-199 $PBX
scan svwar-invite-phone s71 40 "$W/bin/svwar" -x 192.0.2.71 --maximumtime 4 -m INVITE -e100-199 $PBX
scan svcrack-phone s72 40 "$W/bin/svcrack" -x 192.0.2.72 --maximumtime 4 -u 101 -d "$DICT" $PBX
for s in "${SCANS[@]}"; do
	for _ in $(seq 500); do
		[ -s "$W/$s.rc" ] && break
		sleep 0.1
	done
done
sleep 0.5
cap_stop pbx
sw_stop
check_sw_exit
for s in "${SCANS[@]}"; do
	note "$s: status $(cat "$W/$s.rc" 2>/dev/null || echo none), $(grep -c . "$W/$s.out") output lines"
done

# checks_for NAME ADDR SID METHOD MAX: the common checks of one run.
checks_for() {
	local name=$1 a=$2 sid=$3 method=$4 max=$5 got
	expect "$name: alerts $sid from or to $a" \
		"$(eve "count(.event_type == \"alert\" and .alert.signature_id == $sid and (.src_ip == \"$a\" or .dest_ip == \"$a\"))")" -ge 1
	expect "$name: block record for $a by $sid" \
		"$(eve "count(.event_type == \"block\" and .block.ip == \"$a\" and .block.signature_id == $sid)")" -eq 1 \
		"blocks: $(eve "[ev(\"block\")[] | select(.block.ip == \"$a\") | .block.signature_id]")"
	expect "$name: drop records for packets from $a" \
		"$(eve "count(.event_type == \"drop\" and .src_ip == \"$a\")")" -ge 1
	got=$(pkts pbx "\$2 == \"$a\" && \$6 == \"REQ\" && \$7 == \"$method\"")
	expect "$name: $method requests from $a that reached the PBX" "$got" -le "$max"
	expect "$name: 200 answers the PBX sent to $a" "$(pkts pbx "\$4 == \"$a\" && \$6 == \"RESP\" && \$7 == \"200\"")" -eq 0
}

# Stock tools: stopped by their fingerprint at the first packet.
checks_for svmap 192.0.2.66 7100001 OPTIONS 0
expect "svmap: alerts 7100002 (From \"sipvicious\")" \
	"$(eve 'count(.event_type == "alert" and .alert.signature_id == 7100002 and .src_ip == "192.0.2.66")')" -ge 1
expect "svmap: reports no SIP device at the PBX" "$(grep -c '192\.0\.2\.5:5060' "$W/svmap.out")" -eq 0 "$(tail -3 "$W/svmap.out")"
checks_for svwar 192.0.2.67 7100001 REGISTER 0
expect "svwar: reports no extension" "$(grep -Ec 'reqauth|noauth' "$W/svwar.out")" -eq 0 "$(tail -3 "$W/svwar.out")"
checks_for svwar-invite 192.0.2.68 7100001 INVITE 0
expect "svwar -m INVITE: reports no extension" "$(grep -Ec 'reqauth|noauth' "$W/svwar-invite.out")" -eq 0
checks_for svcrack 192.0.2.69 7100001 REGISTER 0
expect "svcrack: does not report the password" "$(grep -c -- "$right" "$W/svcrack.out")" -eq 0 "$(tail -3 "$W/svcrack.out")"

# Disguised as a phone: no fingerprint, stopped by behaviour after a few.
for a in 70 71 72; do
	expect "no fingerprint alert (7100001) for 192.0.2.$a" \
		"$(eve "count(.event_type == \"alert\" and .alert.signature_id == 7100001 and .src_ip == \"192.0.2.$a\")")" -eq 0
done
checks_for svwar-phone 192.0.2.70 7100102 REGISTER 10
expect "svwar-phone: at least 5 REGISTERs reached the PBX (stopped by behaviour, not at once)" \
	"$(pkts pbx '$2 == "192.0.2.70" && $6 == "REQ" && $7 == "REGISTER"')" -ge 5
expect "svwar-phone: never finds 120 (after the block)" "$(grep -Ec '^\| *120 ' "$W/svwar-phone.out")" -eq 0 \
	"$(grep -E '^\| *[0-9]' "$W/svwar-phone.out" | tr '\n' ' ')"
checks_for svwar-invite-phone 192.0.2.71 7100102 INVITE 10
expect "svwar-invite-phone: at least 5 INVITEs reached the PBX" \
	"$(pkts pbx '$2 == "192.0.2.71" && $6 == "REQ" && $7 == "INVITE"')" -ge 5
checks_for svcrack-phone 192.0.2.72 7100301 REGISTER 10
expect "svcrack-phone: at least 5 REGISTERs reached the PBX" \
	"$(pkts pbx '$2 == "192.0.2.72" && $6 == "REQ" && $7 == "REGISTER"')" -ge 5
expect "svcrack-phone: does not report the password" "$(grep -c -- "$right" "$W/svcrack-phone.out")" -eq 0 \
	"$(tail -3 "$W/svcrack-phone.out")"
expect "svcrack-phone: 401 challenges to its guesses that reached it (at most 10 of 200)" \
	"$(pkts pbx '$2 == "192.0.2.5" && $4 == "192.0.2.72" && $6 == "RESP" && $7 == "401"')" -le 10
expect "no REGISTER answered 200 by the PBX to anyone" "$(pkts pbx '$6 == "RESP" && $7 == "200" && $9 == "REGISTER"')" -eq 0
expect "stats: sipwire.capture.missed" "$(eve 'stats.sipwire.capture.missed')" -eq 0

e2e_end
