#!/bin/sh
# Runs the real `dkms status` (Debian 12's dkms 3.0.10; `make deps` installs it) against every
# fixture scenario that has a DKMS tree and compares its answer with what the dkms collector reads,
# using tests/tools/dkms_compare.c (see there for the documented differences D1-D3).
# Usage: dkms_compare.sh COMPARE_BINARY
set -u
tool=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
fixtures="$here/../fixtures"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if ! command -v dkms >/dev/null 2>&1; then
	# dkms lives in /usr/sbin, which a user's PATH may lack.
	PATH=$PATH:/usr/sbin:/sbin
fi
if ! command -v dkms >/dev/null 2>&1; then
	echo "FAIL: dkms is not installed (make deps installs it)"
	exit 1
fi
echo "using $(dkms --version 2>&1)"

fails() {
	! "$@" >/dev/null
}
count=0
for dir in "$fixtures"/*/; do
	dir=${dir%/}
	[ -d "$dir/root/var/lib/dkms" ] || continue
	scenario=$(basename "$dir")
	count=$((count + 1))
	# Physical paths: dkms compares `readlink -f kernel-<kver>-<arch>` with the path it got.
	root=$(cd "$dir/root" && pwd -P)
	dkms status --dkmstree "$root/var/lib/dkms" --sourcetree "$root/usr/src" \
		--installtree "$root/lib/modules" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	sed "s/^/    dkms: /" "$WORK/out"
	sed "s/^/    dkms stderr: /" "$WORK/err"
	check "$scenario: dkms status exits 0" [ $rc -eq 0 ]
	check "$scenario: dkms status agrees with the collector" \
		"$tool" "$dir" "$WORK/out" "$WORK/err"
	# The comparison must be able to fail: the same output with one state changed is rejected.
	if grep -q ': installed' "$WORK/out"; then
		sed '0,/: installed/s//: built/' "$WORK/out" >"$WORK/doctored"
		check "$scenario: a doctored dkms output is rejected" \
			fails "$tool" "$dir" "$WORK/doctored" "$WORK/err"
	fi
done
check "found DKMS fixture scenarios" [ $count -gt 0 ]
report "dkms-compare"
