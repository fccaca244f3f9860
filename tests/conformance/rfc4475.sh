#!/bin/sh
# RFC 4475 torture messages through the SIP parser (TAP). The corpus lives
# outside the repository (../shared/corpus); without it the test is skipped.
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build/rel}
CORPUS=../shared/corpus/torture/rfc4475
if [ ! -f "$CORPUS/MANIFEST.tsv" ]; then
	echo "1..1"
	echo "ok 1 # SKIP corpus absent"
	exit 0
fi
exec "$BUILD/tests/conf_rfc4475" "$CORPUS"
