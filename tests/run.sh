#!/bin/bash
# Runs sipwire's test layers and prints one summary line:
#   N passed, N failed, N skipped
# Every layer speaks TAP ("ok N - name", "not ok N - name", "ok N # SKIP why");
# this script only runs them and counts. Usage: tests/run.sh [all|unit|conformance|replay|e2e|fuzz]
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
export BUILD
WHAT=${1:-all}
LOG=$BUILD/test-logs
mkdir -p "$LOG"
pass=0 fail=0 skip=0
failed_names=()

count() { # $1 = name of the producer, stdin = TAP
	local line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		# cmocka's TAP output writes a skipped test as "not ok N # SKIP"
		"ok"*"# SKIP"* | "ok"*"# skip"* | "not ok"*"# SKIP"* | "not ok"*"# skip"*)
			skip=$((skip + 1)) ;;
		"not ok"*) fail=$((fail + 1)); failed_names+=("$1: ${line#not ok }") ;;
		"ok"*) pass=$((pass + 1)) ;;
		esac
	done
}

run_prog() { # name, command...
	local name=$1; shift
	local out="$LOG/$name.tap" rc
	"$@" >"$out" 2>"$LOG/$name.err"
	rc=$?
	count "$name" <"$out"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
		# crashed or failed outside a test case: that is a failure too
		echo "not ok - $name exited with status $rc (see $LOG/$name.err)"
		fail=$((fail + 1)); failed_names+=("$name: exit $rc")
		tail -20 "$LOG/$name.err" >&2
	fi
}

# Built by make test (TSAN=1): the sharded call state's tests, whose
# threads share it.
TSAN_UNIT=build/tsan/tests/test_sip_shards

layer_unit() {
	local t
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.d) continue ;; esac
		echo "# unit: $(basename "$t")"
		CMOCKA_MESSAGE_OUTPUT=TAP run_prog "$(basename "$t")" "$t"
	done
	if [ -x "$TSAN_UNIT" ]; then
		echo "# unit: $(basename "$TSAN_UNIT") under ThreadSanitizer"
		# Any report fails the run (exit 66) even when every test case
		# passed; all reports are listed first (halt_on_error=0).
		# setarch -R: gcc 12's TSan runtime refuses some address-space
		# layouts (high ASLR entropy) before main; as tests/e2e/lib.sh's
		# use_tsan.
		CMOCKA_MESSAGE_OUTPUT=TAP TSAN_OPTIONS="halt_on_error=0 exitcode=66" \
			run_prog "tsan-$(basename "$TSAN_UNIT")" setarch "$(uname -m)" -R "$TSAN_UNIT"
	else
		count "tsan-$(basename "$TSAN_UNIT")" \
			<<<"ok # SKIP $(basename "$TSAN_UNIT") under ThreadSanitizer: not built (make TSAN=1 $TSAN_UNIT)"
	fi
}

layer_scripts() { # directory
	local s
	for s in "$1"/*.sh; do
		[ -x "$s" ] || continue
		# tests/fuzz/run.sh is `make fuzz` (minutes of libFuzzer), not a test layer.
		[ "$s" = tests/fuzz/run.sh ] && continue
		echo "# $(basename "$1"): $(basename "$s")"
		run_prog "$(basename "$1")-$(basename "$s" .sh)" "$s"
	done
}

case "$WHAT" in
all)
	layer_unit
	layer_scripts tests/conformance
	layer_scripts tests/replay
	layer_scripts tests/e2e
	layer_scripts tests/fuzz
	;;
unit) layer_unit ;;
conformance | replay | e2e | fuzz) layer_scripts "tests/$WHAT" ;;
*) echo "usage: $0 [all|unit|conformance|replay|e2e|fuzz]" >&2; exit 2 ;;
esac

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "# failed:"
	printf '#   %s\n' "${failed_names[@]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ $((pass + fail)) -gt 0 ]
