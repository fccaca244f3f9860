#!/bin/bash
# Rule reload on SIGHUP, through the binary (TAP). sipwire reads a capture
# from a FIFO: the first half of the packets, then (once it has processed
# them and waits for more) the rule file is changed and SIGHUP sent, then
# the second half. A good new file replaces the rules between the two
# halves; a bad one is refused with its errors and the old rules keep
# running. Bounded: every wait gives up after 10 s and the script kills what
# it started.
cd "$(dirname "$0")/../.." || exit 1
. tests/tap.sh
W=$(mktemp -d /tmp/sipwire-reload.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	exec 3>&- 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

CAP=tests/replay/scan/capture.pcap # 20 OPTIONS from 203.0.113.66, 3 answers
python3 - "$CAP" "$W/half1" "$W/half2" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
hdr, off, recs = data[:24], 24, []
while off + 16 <= len(data):
    incl = struct.unpack_from("<I", data, off + 8)[0]
    recs.append(data[off:off + 16 + incl])
    off += 16 + incl
mid = len(recs) // 2
open(sys.argv[2], "wb").write(hdr + b"".join(recs[:mid]))
open(sys.argv[3], "wb").write(b"".join(recs[mid:]))
PY

# Waits until sipwire ($PID) blocks reading the FIFO: it has then processed
# every packet written so far.
wait_blocked() {
	local i
	for i in $(seq 1 100); do
		case "$(cat /proc/"$PID"/wchan 2>/dev/null)" in
		pipe_read | pipe_wait | *pipe*) return 0 ;;
		esac
		sleep 0.1
	done
	return 1
}

OPT1='alert sip any any -> any any (msg:"before"; flow:to_server; sip.method; content:"OPTIONS"; sid:1;)'
OPT2='alert sip any any -> any any (msg:"after"; flow:to_server; sip.method; content:"OPTIONS"; sid:2;)'
BAD='alert sip any any -> any any (msg:"bad"; sip.method; content:"OPTIONS"; depht:3; sid:3;)'

run_case() { # name, rules-after
	local name=$1 after=$2
	rm -f "$W/fifo" && mkfifo "$W/fifo"
	echo "$OPT1" >"$W/test.rules"
	mkdir -p "$W/$name"
	${SIPWIRE:-./sipwire} -r "$W/fifo" -S "$W/test.rules" -l "$W/$name" 2>"$W/$name.err" &
	PID=$!
	exec 3>"$W/fifo"
	cat "$W/half1" >&3
	if ! wait_blocked; then
		nok "$name: sipwire never waited for more packets"
		return
	fi
	echo "$after" >"$W/test.rules"
	kill -HUP "$PID"
	cat "$W/half2" >&3
	exec 3>&-
	for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
	wait "$PID"
	check "$name: sipwire exits 0" $?
	PID=
}

run_case good "$OPT2"
sids=$(jq -c '[select(.event_type == "alert") | .alert.signature_id] ' "$W/good/eve.json" | jq -s -c 'add')
# Half of the 23 packets is 11: the first 11 hold the OPTIONS of pcap_cnt 1-11
# minus the answer at 6 (to .5) = 10 requests; the other 10 come after.
want='[1,1,1,1,1,1,1,1,1,1,2,2,2,2,2,2,2,2,2,2]'
check "good reload: alerts switch from sid 1 to sid 2 between the halves" \
	"$([ "$sids" = "$want" ] && echo 0 || echo 1)" "got $sids" "want $want"
check "good reload: says so on stderr" "$(grep -q 'rules reloaded: 1 rules' "$W/good.err"; echo $?)" \
	"$(cat "$W/good.err")"

run_case bad "$BAD"
sids=$(jq -c '[select(.event_type == "alert") | .alert.signature_id] ' "$W/bad/eve.json" | jq -s -c 'add')
want='[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]'
check "bad reload: the old rules keep running" "$([ "$sids" = "$want" ] && echo 0 || echo 1)" \
	"got $sids" "want $want"
check "bad reload: the error names file, line, column and keyword" \
	"$(grep -q 'test.rules:1:[0-9]*: error: unknown keyword .depht.' "$W/bad.err"; echo $?)" \
	"$(cat "$W/bad.err")"
check "bad reload: says the old rules stay" \
	"$(grep -q 'rule reload failed (1 error): keeping the 1 rules running' "$W/bad.err"; echo $?)" \
	"$(cat "$W/bad.err")"
echo "1..$n"
