#!/bin/bash
# make fuzz: builds every tests/fuzz/fuzz_<name>.c as a libFuzzer target
# (clang -fsanitize=fuzzer,address,undefined; the engine sources minus main.c
# go into a static archive built with the same instrumentation) and runs
# each one for FUZZ_SECONDS on a scratch copy of its committed corpus
# tests/fuzz/corpus/<name>/ (the committed corpus is never written).
#
#   FUZZ_SECONDS=60      time per target
#   FUZZ_TARGETS="a b"   only these targets (names without fuzz_)
#   FUZZ_CC=clang        compiler
#   FUZZ_ARGS=...        extra libFuzzer flags (e.g. -jobs=2 -workers=2)
#
# Crashing inputs are left in $BUILD/libfuzzer/artifacts/<name>/; prints one
# TAP line per target and exits 1 if any target crashed or failed to build.
set -u
cd "$(dirname "$0")/../.."

# tests/run.sh runs every executable tests/fuzz/*.sh, this one included;
# minutes of libFuzzer are `make fuzz`'s job, not `make test`'s (smoke.sh
# is the fuzz layer there).
if tr '\0' ' ' </proc/$PPID/cmdline 2>/dev/null | grep -q 'tests/run\.sh'; then
	echo "# tests/fuzz/run.sh is make fuzz (libFuzzer); the test layer is tests/fuzz/smoke.sh"
	exit 0
fi
BUILD=${BUILD:-build/rel}
OUT=$BUILD/libfuzzer
CC=${FUZZ_CC:-clang}
SECS=${FUZZ_SECONDS:-60}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=gnu11 -O1 -g -fno-omit-frame-pointer -D_GNU_SOURCE -fno-strict-aliasing -Iengine -Wall -Wno-unused-parameter"
LIBS="-lpcap -lpcre2-8 -lyaml -lhs -lcrypto -lm"

if ! command -v "$CC" >/dev/null; then
	echo "not ok - make fuzz: $CC not found (make deps installs clang)"
	exit 1
fi
mkdir -p "$OUT/obj" "$OUT/bin"
probe=$OUT/probe.c
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' >"$probe"
if ! "$CC" -fsanitize=fuzzer,address,undefined -o "$OUT/probe" "$probe" 2>"$OUT/probe.err"; then
	echo "not ok - make fuzz: $CC cannot link -fsanitize=fuzzer (libclang-rt-*-dev missing?)"
	cat "$OUT/probe.err" >&2
	exit 1
fi

# The engine, instrumented, as an archive: targets pull only what they use.
objs=()
for src in engine/*.c; do
	[ "$src" = engine/main.c ] && continue
	obj=$OUT/obj/$(basename "$src" .c).o
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find engine -name '*.h' -newer "$obj" -print -quit)" ]; then
		echo "  CC      $src (libFuzzer)"
		if ! $CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c -o "$obj" "$src"; then
			echo "not ok - make fuzz: $src does not build with $CC"
			exit 1
		fi
	fi
	objs+=("$obj")
done
rm -f "$OUT/libsipwire-fuzz.a"
ar rcs "$OUT/libsipwire-fuzz.a" "${objs[@]}"

if [ -n "${FUZZ_TARGETS:-}" ]; then
	targets=$FUZZ_TARGETS
else
	targets=$(for f in tests/fuzz/fuzz_*.c; do n=$(basename "$f" .c); echo "${n#fuzz_}"; done)
fi

n=0 failed=0
for t in $targets; do
	n=$((n + 1))
	src=tests/fuzz/fuzz_$t.c
	bin=$OUT/bin/fuzz_$t
	echo "  LD      $bin"
	if ! $CC $CFLAGS $SAN -fsanitize=fuzzer -o "$bin" "$src" "$OUT/libsipwire-fuzz.a" $LIBS; then
		echo "not ok $n - fuzz_$t: does not build"
		failed=$((failed + 1))
		continue
	fi
	work=$OUT/corpus/$t
	art=$OUT/artifacts/$t
	rm -rf "$work"
	mkdir -p "$work" "$art"
	[ -d "tests/fuzz/corpus/$t" ] && cp tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null
	dict=()
	[ -f "tests/fuzz/$t.dict" ] && dict=("-dict=tests/fuzz/$t.dict")
	log=$OUT/fuzz_$t.log
	echo "# fuzz_$t: ${SECS}s on $(ls "$work" | wc -l) seeds (log: $log)"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
		-print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" ${FUZZ_ARGS:-} "$work" >"$log" 2>&1
	rc=$?
	runs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
	cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "ok $n - fuzz_$t: ${runs:-?} runs, ${cov:-cov: ?}, corpus $(ls "$work" | wc -l)"
	else
		failed=$((failed + 1))
		echo "not ok $n - fuzz_$t: exit $rc, crash inputs in $art/"
		grep -aE '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5 | sed 's/^/#   /'
		for a in "$art"/*; do
			[ -f "$a" ] || continue
			echo "#   $a: $(head -c 512 "$a" | od -An -tx1 | tr -d ' \n')"
		done
	fi
done
echo "# make fuzz: $n targets, $failed failed (${SECS}s each)"
[ $failed -eq 0 ]
