#!/bin/bash
# sipvicious_ua.sh DIR USER-AGENT - a copy of the installed SIPVicious
# module that sends USER-AGENT instead of "friendly-scanner", and wrappers
# DIR/bin/svwar and DIR/bin/svcrack running it (the module in DIR/pylib).
#
# "friendly-scanner" is makeRequest's default, which svwar and svcrack never
# override (no option sets it); their From display name is already the
# extension, never "sipvicious" (that one is svmap's, which has
# --fromname), so nothing else needs a change. Used by tools/lab_capture.sh
# and tests/e2e/scanners.sh: scanners seen by behaviour, not fingerprint.
# Exit status 0, or 1 with a message when the module is missing or the
# patch did not take.
set -u
[ $# = 2 ] || { echo "usage: $0 DIR USER-AGENT" >&2; exit 2; }
dir=$1 ua=$2
src=/usr/share/sipvicious/sipvicious dst=$dir/pylib/sipvicious
fail() {
	echo "sipvicious_ua: $*" >&2
	exit 1
}
[ -f "$src/libs/svhelper.py" ] || fail "SIPVicious module not found at $src"
mkdir -p "$dir/pylib" "$dir/bin" || fail "cannot create $dir"
rm -rf "$dst"
cp -r "$src" "$dst" || fail "cannot copy $src"
find "$dst" -name __pycache__ -prune -exec rm -rf {} +
sed -i "s/useragent='friendly-scanner'/useragent='$ua'/" "$dst/libs/svhelper.py"
grep -q "useragent='$ua'" "$dst/libs/svhelper.py" || fail "could not patch the User-Agent"
! grep -q "friendly-scanner" "$dst/libs/svhelper.py" || fail "friendly-scanner is still in the patched svhelper.py"
for t in svwar svcrack; do
	cat >"$dir/bin/$t" <<-EOF
		#!/bin/sh
		# SIPVicious $t from the patched copy in $dir/pylib
		PYTHONPATH=$dir/pylib exec /usr/bin/python3 -c '
		import sys, sipvicious.$t as m
		assert m.__file__.startswith("$dir/pylib/"), m.__file__
		sys.argv[0] = "$t"
		sys.exit(m.main())' "\$@"
	EOF
	chmod +x "$dir/bin/$t"
done
