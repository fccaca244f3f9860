#!/bin/bash
# Fuzz smoke test, run by `make test` (tests/run.sh): every fuzz target built
# with the standalone driver ($BUILD/tests/fuzz_<name>, ASan+UBSan under
# SAN=1) replays its committed corpus tests/fuzz/corpus/<name>/ and then
# deterministic mutations of it for FUZZ_SMOKE_SECONDS (default 8) each.
# One TAP line per target. A crashing input is saved in
# $BUILD/fuzz-artifacts/ and printed in hex in the log.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/rel}
SECS=${FUZZ_SMOKE_SECONDS:-8}
SEED=${FUZZ_SMOKE_SEED:-1}
ART=$BUILD/fuzz-artifacts
mkdir -p "$ART"
export FUZZ_ARTIFACT_DIR=$ART
# Report sanitizer findings, and exit non-zero, without a core dump.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:disable_coredump=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

targets=()
for src in tests/fuzz/fuzz_*.c; do
	n=$(basename "$src" .c)
	targets+=("${n#fuzz_}")
done
echo "1..${#targets[@]}"
i=0
for t in "${targets[@]}"; do
	i=$((i + 1))
	bin=$BUILD/tests/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "not ok $i - fuzz_$t: $bin not built (make $bin)"
		continue
	fi
	out=$("$bin" -s "$SEED" -t "$SECS" -n 100000000 "tests/fuzz/corpus/$t" 2>"$ART/fuzz_$t.err")
	rc=$?
	summary=$(printf '%s\n' "$out" | grep -E '^(not )?ok - ' | tail -1)
	printf '%s\n' "$out" | grep '^#'
	if [ $rc -eq 0 ] && [ "${summary#ok - }" != "$summary" ]; then
		echo "ok $i - ${summary#ok - }"
	else
		echo "not ok $i - fuzz_$t: exit status $rc (stderr: $ART/fuzz_$t.err)"
		grep -E 'ERROR|SUMMARY|runtime error|crash while|input written|hex:' "$ART/fuzz_$t.err" |
			head -8 | cut -c1-600 | sed 's/^/# /'
	fi
done
