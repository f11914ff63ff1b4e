#!/bin/sh
# Golden test: for every fixture scenario, the exposition from --once and from a real HTTP scrape
# must equal tests/fixtures/<scenario>/metrics.txt (volatile families removed), and promtool must
# accept each golden file. --update rewrites the golden files from the current binary (review the
# diff before committing). --once-only skips HTTP (used for the sanitizer build).
# Optional per-scenario flags live in tests/fixtures/<scenario>/args.
set -u
update=0
http=1
while [ $# -gt 1 ]; do
	case $1 in
	--update) update=1 ;;
	--once-only) http=0 ;;
	*) echo "usage: $0 [--update] [--once-only] BINARY" >&2; exit 2 ;;
	esac
	shift
done
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
fixtures="$here/../fixtures"
WORK=$(mktemp -d)
trap 'stop_exporter; rm -rf "$WORK"' EXIT
fail=0
count=0

for dir in "$fixtures"/*/; do
	dir=${dir%/}
	name=$(basename "$dir")
	[ -d "$dir/sys" ] || continue
	count=$((count + 1))
	extra=""
	[ -f "$dir/args" ] && extra=$(cat "$dir/args")
	golden="$dir/metrics.txt"
	if ! dir=$(runnable_fixture "$dir"); then
		echo "FAIL $name: cannot create device nodes (mknod needs root)"; fail=1; continue
	fi
	# shellcheck disable=SC2046,SC2086
	"$bin" --once $(fixture_args "$dir") $extra >"$WORK/once.raw" 2>"$WORK/once.log"
	rc=$?
	filter_volatile <"$WORK/once.raw" >"$WORK/once.txt"
	if [ $update -eq 1 ]; then
		cp "$WORK/once.txt" "$golden"
		echo "updated $golden"
		continue
	fi
	if [ $rc -ne 0 ]; then
		echo "FAIL $name: --once exited $rc"; cat "$WORK/once.log"; fail=1; continue
	fi
	if ! diff -u "$golden" "$WORK/once.txt"; then
		echo "FAIL $name: --once output differs from $golden"; fail=1
	else
		echo "ok   $name: --once matches golden"
	fi
	if ! promtool check metrics <"$golden" >"$WORK/promtool.out" 2>&1; then
		echo "FAIL $name: promtool check metrics rejects the golden file"
		cat "$WORK/promtool.out"; fail=1
	else
		echo "ok   $name: promtool check metrics"
	fi
	# The unfiltered output must pass promtool too: the volatile families are real output.
	if ! promtool check metrics <"$WORK/once.raw" >"$WORK/promtool.out" 2>&1; then
		echo "FAIL $name: promtool check metrics rejects the full output"
		cat "$WORK/promtool.out"; fail=1
	fi
	[ $http -eq 1 ] || continue
	# shellcheck disable=SC2046,SC2086
	if ! start_exporter "$bin" $(fixture_args "$dir") $extra; then
		fail=1; continue
	fi
	curl -sf "http://127.0.0.1:$PORT/metrics" | filter_volatile >"$WORK/http.txt"
	stop_exporter
	if ! diff -u "$golden" "$WORK/http.txt"; then
		echo "FAIL $name: HTTP output differs from $golden"; fail=1
	else
		echo "ok   $name: HTTP scrape matches golden"
	fi
done
if [ $count -eq 0 ]; then
	echo "FAIL: no fixture scenarios found under $fixtures"
	exit 1
fi
exit $fail
