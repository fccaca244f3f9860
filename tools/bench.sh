#!/bin/bash
# make bench: throughput and memory figures, each beside a baseline measured
# in the same run on the same machine. Prints figures; never fails on a number.
#
#   BENCH_CALLS (default 2000)  BENCH_CONCURRENT (500)  BENCH_DURATION (20 s per call)
#   BENCH_RUNS  (default 3, medians are reported)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
GEN=$BUILD/tools/sipgen
CALLS=${BENCH_CALLS:-2000}
CONC=${BENCH_CONCURRENT:-500}
DUR=${BENCH_DURATION:-20}
RUNS=${BENCH_RUNS:-3}
W=$(mktemp -d /tmp/sipwire-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
secs() { # command... -> wall seconds (monotonic), output discarded
	local a b
	a=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	b=$(date +%s.%N)
	echo "$b - $a" | bc -l
}
peak_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

echo "# sipwire benchmarks on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $RUNS runs per figure, medians"

cap=$W/bench.pcap
"$GEN" --calls "$CALLS" --concurrent "$CONC" --duration "$DUR" --regs 200 --options 200 -o "$cap" bench || { echo "sipgen failed"; exit 0; }
pk=$("$BUILD/tools/bench_readloop" "$cap" | awk '{print $1}')
sz=$(stat -c %s "$cap")
sipmsgs=$(tshark -r "$cap" -Y sip -T fields -e frame.number 2>/dev/null | wc -l)
echo "# capture: $pk packets, $((sz / 1048576)) MiB, $sipmsgs SIP messages ($CALLS calls, $CONC concurrent, ${DUR}s each with RTP at 50 pps per stream)"
echo

run_set() { # label, command...
	local label=$1; shift
	local t
	t=$(for i in $(seq "$RUNS"); do secs "$@"; done | median)
	printf '%-34s %8.3f s  %12.0f pkt/s\n' "$label" "$t" "$(echo "$pk / $t" | bc -l)"
	echo "$t" >"$W/t.$label"
}

echo "## Whole replay (packets/s)"
run_set readloop "$BUILD/tools/bench_readloop" "$cap"
run_set sipwire ./sipwire -r "$cap" -l "$W/out"
run_set sipwire-no-rules ./sipwire -S /dev/null -r "$cap" -l "$W/out1"
run_set sipwire-no-eve ./sipwire --set outputs.eve.enabled=false -r "$cap" -l "$W/out2"
run_set tcpdump tcpdump -nr "$cap"
run_set tshark tshark -r "$cap"
base=$(cat "$W/t.readloop")
for l in sipwire sipwire-no-rules sipwire-no-eve tcpdump tshark; do
	printf 'ratio %-28s %6.3f x the libpcap read loop\n' "$l" "$(echo "$base / $(cat "$W/t.$l")" | bc -l)"
done
t=$(cat "$W/t.sipwire")
printf 'SIP messages/s (sipwire):          %12.0f\n' "$(echo "$sipmsgs / $t" | bc -l)"
printf 'peak RSS: sipwire %s KiB, readloop %s KiB, tshark %s KiB\n' \
	"$(peak_kb ./sipwire -r "$cap" -l "$W/out3")" "$(peak_kb "$BUILD/tools/bench_readloop" "$cap")" "$(peak_kb tshark -r "$cap")"
echo

echo "## SIP parser alone, beside picohttpparser in the same harness"
# index: SIP_PARSE_INDEX, the work picohttpparser does (lines split, headers
# indexed, body framed); full: the eager parse that also decodes and checks
# the Request-URI and the key headers. Medians over the runs of each figure.
for i in $(seq "$RUNS"); do "$BUILD/tools/bench_parse" 1 >"$W/parse.run.$i" 2>&1; done
for c in "sip_parse index" "sip_parse full" "picohttpparser"; do
	grep -h "^$c " "$W"/parse.run.* >"$W/parse.lines" || continue
	read -r size kind < <(awk '{print $(NF-5), $(NF-4); exit}' "$W/parse.lines")
	printf '%-16s %s %-7s %10.0f msg/s  %8.1f MB/s\n' "$c" "$size" "$kind" \
		"$(awk '{print $(NF-3)}' "$W/parse.lines" | median)" "$(awk '{print $(NF-1)}' "$W/parse.lines" | median)"
done
for c in "sip_parse index" "sip_parse full "; do
	printf 'ratio %s / picohttpparser: %.2f\n' "$c" \
		"$(grep -h "^ratio $c / " "$W"/parse.run.* | awk '{print $NF}' | median)"
done
echo

BUILD=$BUILD RUNS=$RUNS tools/bench_rules.sh "$cap" "$pk" "$sipmsgs"
echo

echo "## State per dialog"
# Two captures of INVITE transactions that stay open (no BYE): the RSS
# difference divided by the dialog difference is the state per dialog.
"$GEN" --calls 20000 --concurrent 20000 --duration 3600 --rtp-pps 0 -o "$W/d1.pcap" bench >/dev/null 2>&1
"$GEN" --calls 120000 --concurrent 120000 --duration 3600 --rtp-pps 0 -o "$W/d2.pcap" bench >/dev/null 2>&1
set_caps="--set sip.max-dialogs=1000000 --set sip.max-transactions=1000000 --set sip.max-media=2000000 --set flow.max-flows=100000"
# Without rules: the synthetic calls come faster from one source than the
# shipped flood rules allow, and a blocked source would open no dialogs.
r1=$(peak_kb ./sipwire -S /dev/null $set_caps -r "$W/d1.pcap" -l "$W/o4")
r2=$(peak_kb ./sipwire -S /dev/null $set_caps -r "$W/d2.pcap" -l "$W/o5")
echo "peak RSS with 20000 open dialogs: $r1 KiB; with 120000: $r2 KiB"
printf 'bytes of state per dialog (incl. its transactions and media expectations): %.0f\n' "$(echo "($r2 - $r1) * 1024 / 100000" | bc -l)"
echo

# Inline: the lab's bridge plain, with a bare NFQUEUE consumer, with sipwire
# (root, network namespaces). It says why when it cannot run; the figures
# above stand either way.
BUILD=$BUILD BENCH_RUNS=$RUNS tools/bench_inline.sh || echo "inline benchmark: tools/bench_inline.sh failed (exit $?)"
