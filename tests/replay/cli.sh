#!/bin/bash
# Command-line behaviour of sipwire, through the binary: errors are clear
# and non-zero, damaged captures are processed up to the damage, config
# errors name file:line:column. TAP output.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/rel}
GEN=$BUILD/tools/sipgen
W=$(mktemp -d /tmp/sipwire-cli.XXXXXX)
trap 'rm -rf "$W"' EXIT
. tests/tap.sh

if [ ! -x ./sipwire ]; then
	echo "1..1"
	echo "not ok 1 - ./sipwire is not built"
	exit 1
fi

# --help and --version
./sipwire --help >"$W/help" 2>&1; r=$?
grep -q -- '-r PATH' "$W/help"; check "--help exits 0 and documents -r" $((r + $?))
./sipwire --version | grep -q '^sipwire [0-9]'; check "--version prints the version" $?

# Unknown option and nothing to do
./sipwire --no-such-option >/dev/null 2>&1; r=$?
[ $r -ne 0 ]; check "unknown option exits non-zero" $?
./sipwire >/dev/null 2>"$W/err"; r=$?
[ $r -ne 0 ] && grep -q 'nothing to do' "$W/err"; check "no -r: non-zero with a message" $? "$(cat "$W/err")"

# Missing file
./sipwire -r "$W/nope.pcap" -l "$W/o1" 2>"$W/err"; r=$?
[ $r -ne 0 ] && grep -q "nope.pcap" "$W/err"; check "missing capture: non-zero, names the file" $? "$(cat "$W/err")"

# Not a capture
head -c 3000 /dev/urandom >"$W/garbage.pcap"
./sipwire -r "$W/garbage.pcap" -l "$W/o2" 2>"$W/err"; r=$?
[ $r -ne 0 ] && grep -q "garbage.pcap" "$W/err"; check "garbage file: non-zero, names the file" $? "$(cat "$W/err")"

# Truncated capture: processed up to the damage, exit 1
if [ -x "$GEN" ] && "$GEN" -o "$W/demo.pcap" demo >/dev/null 2>&1; then
	full=$(stat -c %s "$W/demo.pcap")
	head -c $((full * 2 / 3 + 7)) "$W/demo.pcap" >"$W/trunc.pcap"
	./sipwire -r "$W/trunc.pcap" -l "$W/o3" 2>"$W/err"; r=$?
	[ $r -eq 1 ] && grep -qi "trunc" "$W/err"; check "truncated capture: exit 1 with a message" $? "rc=$r" "$(cat "$W/err")"
	s=$(grep -c '"event_type":"sip"' "$W/o3/eve.json" 2>/dev/null || echo 0)
	[ "$s" -gt 0 ]; check "truncated capture: records before the damage are written ($s sip)" $?
	grep -q '"event_type":"stats"' "$W/o3/eve.json"; check "truncated capture: final stats written" $?

	# Directory input: same records as the file alone
	mkdir -p "$W/dir"
	cp "$W/demo.pcap" "$W/dir/a.pcap"
	echo "not a capture" >"$W/dir/README"
	./sipwire -r "$W/demo.pcap" -l "$W/o4" 2>/dev/null
	./sipwire -r "$W/dir" -l "$W/o5" 2>"$W/err"; r=$?
	a=$(grep -c '"event_type":"sip"' "$W/o4/eve.json")
	b=$(grep -c '"event_type":"sip"' "$W/o5/eve.json")
	[ $r -eq 0 ] && [ "$a" = "$b" ] && [ "$a" -gt 0 ]; check "directory input gives the same sip records ($a vs $b)" $? "rc=$r" "$(cat "$W/err")"

	# Log directory that is a file
	./sipwire -r "$W/demo.pcap" -l "$W/demo.pcap" 2>"$W/err"; r=$?
	[ $r -ne 0 ]; check "log dir that is a file: non-zero" $?
else
	for t in "truncated capture" "truncated records" "truncated stats" "directory input" "log dir"; do
		nok "$t (sipgen missing or failed)"
	done
fi

# Configuration errors name file:line:column
printf 'flow:\n  max-flows: 100\n  max-flwos: 3\n' >"$W/bad.yaml"
./sipwire -c "$W/bad.yaml" -T 2>"$W/err"; r=$?
[ $r -eq 1 ] && grep -q "bad.yaml:3:[0-9]" "$W/err"; check "unknown config key: exit 1 with file:line:col" $? "$(cat "$W/err")"
printf 'flow:\n  max-flows: lots\n' >"$W/bad2.yaml"
./sipwire -c "$W/bad2.yaml" -T 2>"$W/err"; r=$?
[ $r -eq 1 ] && grep -q "bad2.yaml:2:[0-9]" "$W/err"; check "wrong value type: exit 1 with file:line:col" $? "$(cat "$W/err")"
./sipwire -c tools/sipwire.yaml -T 2>"$W/err"; r=$?
[ $r -eq 0 ]; check "shipped example config passes -T" $? "$(cat "$W/err")"
./sipwire --set flow.max-flows=abc -T 2>"$W/err"; r=$?
[ $r -eq 1 ] && grep -q "flow.max-flows" "$W/err"; check "--set with a bad value: exit 1 naming the key" $? "$(cat "$W/err")"
./sipwire --dump-config >"$W/dump.yaml" 2>&1 && ./sipwire -c "$W/dump.yaml" -T 2>"$W/err"
check "--dump-config output loads back" $? "$(cat "$W/err")"

# Call-state shards (sip.shards): one state split by Call-ID must judge and
# log exactly as one, offline where the order of packets is fixed: every
# record (sorted: timers visit shards in turn) and the stats' sums alike.
# These captures have concurrent calls with RTP (found through the shared
# media expectations, counted in each call's shard), registrations and alerts.
for c in concurrent port-reuse benign-mix rtp-inject media-move; do
	./sipwire -r "tests/replay/$c/capture.pcap" -l "$W/sh1-$c" >/dev/null 2>&1 &&
		./sipwire --set sip.shards=16 -r "tests/replay/$c/capture.pcap" -l "$W/sh16-$c" \
			>/dev/null 2>"$W/err" &&
		[ -s "$W/sh1-$c/eve.json" ] &&
		cmp -s <(sort "$W/sh1-$c/eve.json") <(sort "$W/sh16-$c/eve.json")
	check "sip.shards=16 logs what one shard logs ($c)" $? \
		"$(diff <(sort "$W/sh1-$c/eve.json") <(sort "$W/sh16-$c/eve.json") 2>&1 | head -4 | cut -c1-300)"
done
./sipwire --set sip.shards=257 -T 2>"$W/err"; r=$?
[ $r -eq 1 ] && grep -q "sip.shards" "$W/err"; check "sip.shards over 256: exit 1 naming the key" $? "$(cat "$W/err")"

echo "1..$n"
