# Helpers of the hostile-data suites (hostile.sh, hostile_gpu.sh), sourced after lib.sh; each
# scenario runs on its own copy of a fixture. Needs $bin and $WORK.

# once TREE NAME [FLAG...]: one --once run; output in $WORK/NAME.out, log in $WORK/NAME.log, exit
# status in $WORK/NAME.rc. A hang is cut off after 20 s (status 124), which fails the exit check.
once() {
	once_tree=$1 once_name=$2
	shift 2
	# shellcheck disable=SC2046
	timeout 20 "$bin" --once $(fixture_args "$once_tree") "$@" >"$WORK/$once_name.out" \
		2>"$WORK/$once_name.log"
	echo $? >"$WORK/$once_name.rc"
}
exited_0() { test "$(cat "$WORK/$1.rc")" = 0; }
# has NAME LINE: the output has exactly this line. lacks NAME REGEX: no output line matches.
has() { grep -qxF -- "$2" "$WORK/$1.out"; }
lacks() { ! grep -q -- "$2" "$WORK/$1.out"; }
# all_succeed NAME [N]: every collector (N, by default the ten defaults) reports success.
all_succeed() {
	n=$(grep -c '^gpu_sriov_scrape_collector_success{' "$WORK/$1.out")
	ok=$(grep -c '^gpu_sriov_scrape_collector_success{collector="[a-z]*"} 1$' "$WORK/$1.out")
	[ "$n" -eq "${2:-10}" ] && [ "$ok" -eq "${2:-10}" ]
}
skipped() { has "$1" "gpu_sriov_scrape_collector_skipped_values{collector=\"$2\"} $3"; }
# logged_once LOG COLLECTOR WHAT ERRTEXT: exactly one line of LOG skips WHAT for COLLECTOR.
logged_once() {
	n=$(grep -cF "collector=$2 msg=\"skipping unusable value from $3\" err=\"$4\"" "$1")
	[ "$n" -eq 1 ]
}
# no_repeats LOG: no skip line repeats (timestamps cut off), and there is at least one.
no_repeats() {
	n=$(grep -c 'skipping unusable value' "$1")
	u=$(grep 'skipping unusable value' "$1" | sed 's/^ts=[^ ]* //' | sort -u | wc -l)
	[ "$n" -gt 0 ] && [ "$n" -eq "$u" ]
}
promtool_ok() { promtool check metrics <"$WORK/$1.out" >/dev/null 2>&1; }
utf8_ok() { python3 -c 'import sys; sys.stdin.buffer.read().decode("utf-8")' <"$WORK/$1.out"; }
# chars N C: N copies of the character C, no newline.
chars() { head -c "$1" /dev/zero | tr '\0' "$2"; }
MiB=1048576
