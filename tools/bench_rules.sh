#!/bin/bash
# Matching cost against the number of rules (part of make bench; can run
# alone on any capture):
#   tools/bench_rules.sh CAPTURE [PACKETS SIP_MESSAGES]
# Replays CAPTURE with no rules (the baseline, -S /dev/null) and with 1,
# 100, 1,000 and 10,000 generated sip rules (-S, nothing else), each a
# distinct 10-byte content in sip.user_agent, one in five with a pcre behind
# it, none matching. Prints packets/s, the ratio to the baseline, the load
# time, and rule evaluations per second: rules x SIP messages / replay
# seconds (what a matcher without a prefilter would have to do), beside how
# many evaluations the prefilter let through (sipwire's stats). Medians of
# RUNS runs (default 3). Never fails on a number.
set -u
cd "$(dirname "$0")/.."
CAP=$1
RUNS=${RUNS:-3}
W=$(mktemp -d /tmp/sipwire-bench-rules.XXXXXX)
trap 'rm -rf "$W"' EXIT
PK=${2:-$(tshark -r "$CAP" 2>/dev/null | wc -l)}
SIPMSGS=${3:-$(tshark -r "$CAP" -Y sip -T fields -e frame.number 2>/dev/null | wc -l)}

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
secs() {
	local a b
	a=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	b=$(date +%s.%N)
	echo "$b - $a" | bc -l
}

echo "## Matching cost against the number of rules ($PK packets, $SIPMSGS SIP messages)"
: >"$W/none.rules"
tb=$(for i in $(seq "$RUNS"); do secs ./sipwire -S "$W/none.rules" -r "$CAP" -l "$W/o0"; done | median)
printf '%-14s replay %7.3f s  %10.0f pkt/s  (baseline)\n' "no rules" "$tb" "$(echo "$PK / $tb" | bc -l)"
for n in 1 100 1000 10000; do
	awk -v n="$n" 'BEGIN { srand(7); for (i = 1; i <= n; i++) { s = ""; for (k = 0; k < 10; k++) s = s sprintf("%c", 97 + int(rand() * 26));
		printf "alert sip any any -> any any (msg:\"gen %d\"; sip.user_agent; content:\"%s\"; %ssid:%d;)\n", i, s, (i % 5 == 0 ? "pcre:\"/" s "[0-9]+/i\"; " : ""), 9000000 + i } }' >"$W/gen$n.rules"
	tl=$(for i in $(seq "$RUNS"); do secs ./sipwire -T -S "$W/gen$n.rules"; done | median)
	t=$(for i in $(seq "$RUNS"); do secs ./sipwire -S "$W/gen$n.rules" -r "$CAP" -l "$W/o$n"; done | median)
	ev=$(jq -s '[.[] | select(.event_type == "stats")] | last | .stats.sipwire.detect.evaluated' "$W/o$n/eve.json")
	printf '%6d rules    replay %7.3f s  %10.0f pkt/s  %.3f x the baseline; load %.2f s; %.3g rule evaluations/s (%s passed the prefilter)\n' \
		"$n" "$t" "$(echo "$PK / $t" | bc -l)" "$(echo "$tb / $t" | bc -l)" "$tl" \
		"$(echo "$n * $SIPMSGS / ($t - $tl)" | bc -l)" "$ev"
done
