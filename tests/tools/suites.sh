#!/bin/sh
# Runs each make target given after the make command as one suite and prints a summary line that
# CI reads: "suites: N passed, N failed". Every suite runs even when an earlier one fails.
make_cmd=$1
shift
passed=0
failed=0
failed_names=""
for t in "$@"; do
	echo "=== suite $t"
	if $make_cmd "$t"; then
		passed=$((passed + 1))
		echo "=== suite $t: PASS"
	else
		failed=$((failed + 1))
		failed_names="$failed_names $t"
		echo "=== suite $t: FAIL"
	fi
done
[ $failed -gt 0 ] && echo "failed suites:$failed_names"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
