#!/bin/sh
# Runs each cmocka test binary; fails if any fails. TEST_WRAPPER (e.g. valgrind) may wrap them.
status=0
for t in "$@"; do
	if ! $TEST_WRAPPER "$t"; then
		echo "unit test failed: $t" >&2
		status=1
	fi
done
exit $status
