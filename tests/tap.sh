# tests/tap.sh - TAP helpers shared by the shell test scripts (sourced).
#   ok NAME | nok NAME [DETAIL...] | skip WHY | check NAME RESULT [DETAIL...]
# Each prints one numbered line; finish with: echo "1..$n"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
check() { # name, condition-result (0 = pass), details...
	local name=$1 r=$2; shift 2
	if [ "$r" = 0 ]; then ok "$name"; else nok "$name" "$@"; fi
}
