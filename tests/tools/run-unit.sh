#!/bin/sh
# Runs each cmocka test binary; fails if any fails. The code's log lines (stderr) are shown only
# for a failing binary. TEST_WRAPPER (e.g. valgrind) may wrap them.
status=0
log=$(mktemp)
for t in "$@"; do
	echo "--- $(basename "$t")"
	if ! $TEST_WRAPPER "$t" 2>"$log"; then
		cat "$log" >&2
		echo "unit test failed: $t" >&2
		status=1
	fi
done
rm -f "$log"
exit $status
