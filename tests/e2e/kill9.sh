#!/bin/bash
# kill9.sh - sipwire killed with SIGKILL in the middle of calls: the wire
# keeps working (the deployment's NFQUEUE rules have --queue-bypass: with
# nobody bound to the queue the kernel forwards), and a restarted sipwire
# binds again, follows new calls and blocks a scanner again.
#
# Timeline (SIPp UAS registered as 120 behind the PBX; the phone calls it;
# each phase's calls have a Call-ID prefix of their own, -cid_str):
#   steady  the phone: 24 calls of 2 s, 2 a second, from :5060, all along
#   long    the phone: 2 calls of 14 s from :5066, set up before the kill,
#           hung up after the restart
#   svwar   the attacker 192.0.2.66 (stock svwar, friendly-scanner): blocked
#   kill -9 sipwire
#   dead    the phone: 3 new calls from :5062 while nobody is on the queue
#   restart sipwire (same EVE file, appended)
#   post    the phone: 3 new calls from :5064; svwar from 192.0.2.66 again
#
# Checks: queue 0 has no listener after the kill; the dead calls succeed
# and their INVITEs reached the PBX; the restarted sipwire binds; the post
# calls succeed and have call records written by the new process (EVE
# lines after the restart); svwar is alerted (7100001) and blocked by the
# new process too, and no REGISTER of it ever reached the PBX; every
# steady call and both long calls succeeded across the kill and the
# restart (a call set up before the restart, under the killed sipwire or
# with nobody on the queue, must still be able to hang up); nothing was
# raised against the phone.
. "$(dirname "$0")/lib.sh"

STEADY=24
e2e_begin kill9 sipp svwar
lab_up
sw_start_or_bail
cap_start pbx pbx eth0 udp port 5060
uas_up 0

calls() { # name port count rate: the phone calls 120
	sipp_bg "$1" phone 60 -timeout 50s -timeout_error -sf "$SIPP_DIR/uac.xml" -s 120 -key from 100 \
		-key ua "$PHONE_UA" -i $PHONE -p "$2" -m "$3" -l "$3" -r "$4" -cid_str "$1%u-%p@%s" $PBX:5060
}
svwar_run() { # name
	timeout -k 5 30 ip netns exec "${PREFIX}attacker" svwar -x $ATTACKER --maximumtime 3 -e100-109 $PBX \
		</dev/null >"$W/$1.out" 2>&1
}

# eve_lines [FROM]: the EVE records from line FROM on (default 1), one a
# line, read as a log shipper that resynchronises would: a record cut by
# the kill and the next record written on the same line are split at the
# next record's start, and what is not JSON is left out.
eve_lines() {
	tail -n +"${1:-1}" "$W/log/eve.json" | sed 's/\(.\){"timestamp":/\1\n{"timestamp":/g' |
		jq -R -c 'fromjson? // empty'
}
# new_eve JQ: JQ on the records written after the restart (lines after L0).
new_eve() {
	eve_lines $((L0 + 1)) | jq -s -c "$EVE_PRELUDE $1"
}
sed 's|<pause milliseconds="2000"/>|<pause milliseconds="14000"/>|' "$SIPP_DIR/uac.xml" >"$W/uac_14s.xml"
calls steady 5060 $STEADY 2
sipp_bg long phone 60 -timeout 50s -timeout_error -sf "$W/uac_14s.xml" -s 120 -key from 100 \
	-key ua "$PHONE_UA" -i $PHONE -p 5066 -m 2 -l 2 -r 2 -cid_str "long%u-%p@%s" $PBX:5060
svwar_run svwar1
# the first sipwire saw the scanner (its records are flushed once a second;
# the file may end in a record being written: eve_lines)
sleep 1.2
expect "first sipwire: svwar alerted (7100001)" \
	"$(eve_lines | jq -s -c "$EVE_PRELUDE"' count(.event_type == "alert" and .alert.signature_id == 7100001 and .src_ip == "192.0.2.66")')" -eq 1

# SIGKILL: no chance to unbind or flush.
sw_kill9
gone=1
for _ in $(seq 20); do
	[ -z "$(queue_line 0)" ] && { gone=0; break; }
	sleep 0.1
done
check "queue 0 has no listener after kill -9" $gone "$(queue_line 0)"
calls dead 5062 3 3
dead_rc=$(sipp_wait dead 30)
expect_str "while sipwire is dead: new calls, SIPp status" "$dead_rc" 0 "$(tail -5 "$W/dead.log")"
expect "while sipwire is dead: successful calls" "$(sipp_stat dead 'SuccessfulCall(C)')" -eq 3
dead_queue=$(queue_line 0)
check "nobody bound queue 0 during those calls" "$([ -z "$dead_queue" ]; echo $?)" "$dead_queue"

# Restart: records from here on are the new process's.
L0=$(wc -l <"$W/log/eve.json")
tail -c 1 "$W/log/eve.json" | od -An -c | grep -q '\\n'
note "the killed sipwire left $L0 EVE lines; last byte a newline: $([ $? = 0 ] && echo yes || echo no)"
if sw_start; then
	ok "sipwire restarted and bound queue 0"
else
	nok "sipwire restarted and bound queue 0" "$(tail -5 "$SW_ERR")"
fi
calls post 5064 3 3
svwar_run svwar2
post_rc=$(sipp_wait post 30)
steady_rc=$(sipp_wait steady 60)
long_rc=$(sipp_wait long 60)
sipp_stop uas
sleep 0.3
cap_stop pbx
sw_stop
check_sw_exit

# sipwire writes whole lines only, and starts a new line when it appends to
# a file whose last line is unfinished: the kill cut no record.
bad=$(jq -R -c 'fromjson? // "bad"' "$W/log/eve.json" | grep -c '^"bad"$')
expect "EVE lines that are not JSON (a record cut by the kill, or glued to the next)" "$bad" -eq 0 \
	"$(jq -R -r 'select((fromjson? // null) == null)' "$W/log/eve.json" | head -1 | cut -c1-160)"

expect_str "after the restart: new calls, SIPp status" "$post_rc" 0 "$(tail -5 "$W/post.log")"
expect "after the restart: successful calls" "$(sipp_stat post 'SuccessfulCall(C)')" -eq 3
expect "after the restart: call records of the new calls (by the new process)" \
	"$(new_eve 'count(.event_type == "call" and (.call.call_id | startswith("post")) and .call.end == "bye")')" -eq 3
expect "after the restart: svwar alerted (7100001) again" \
	"$(new_eve 'count(.event_type == "alert" and .alert.signature_id == 7100001 and .src_ip == "192.0.2.66")')" -eq 1
expect "after the restart: block record for 192.0.2.66" \
	"$(new_eve 'count(.event_type == "block" and .block.ip == "192.0.2.66")')" -eq 1
expect "REGISTERs of svwar that reached the PBX (both runs)" \
	"$(pkts pbx '$2 == "192.0.2.66" && $6 == "REQ"')" -eq 0
expect "INVITEs of the calls made while sipwire was dead that reached the PBX" \
	"$(pkts pbx '$2 == "192.0.2.10" && $6 == "REQ" && $7 == "INVITE" && $8 ~ /^dead/')" -eq 3
expect_str "steady calls across the kill and the restart: SIPp status" "$steady_rc" 0 "$(tail -5 "$W/steady.log")"
expect "steady calls: successful" "$(sipp_stat steady 'SuccessfulCall(C)')" -eq $STEADY
expect "steady calls: failed" "$(sipp_stat steady 'FailedCall(C)')" -eq 0
expect_str "long calls set up before the kill, hung up after the restart: SIPp status" "$long_rc" 0 \
	"$(tail -5 "$W/long.log")"
expect "long calls: successful" "$(sipp_stat long 'SuccessfulCall(C)')" -eq 2
expect "no alert from or to the phone (before or after the restart)" \
	"$(eve_lines | jq -s -c "$EVE_PRELUDE"' count(.event_type == "alert" and (.src_ip == "192.0.2.10" or .dest_ip == "192.0.2.10"))')" -eq 0 \
	"$(eve_lines | jq -s -c "$EVE_PRELUDE"' [ev("alert")[] | select(.src_ip == "192.0.2.10") | {sid: .alert.signature_id, call_id: .sip.call_id, method: .sip.method, call: .sipwire.call}] | group_by(.call_id) | map(.[0] + {n: length})[]')"

e2e_end
