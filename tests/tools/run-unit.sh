#!/bin/sh
# Runs each cmocka test binary; fails if any fails. cmocka writes its verdict lines to stderr next
# to the code's log lines: the verdicts are always shown, the log only for a failing binary.
# TEST_WRAPPER (e.g. valgrind) may wrap the binaries.
status=0
log=$(mktemp)
for t in "$@"; do
	echo "--- $(basename "$t")"
	if $TEST_WRAPPER "$t" 2>"$log"; then
		grep '^\[' "$log"
	else
		cat "$log"
		echo "unit test failed: $t"
		status=1
	fi
done
rm -f "$log"
exit $status
