#!/bin/sh
# Runs every libFuzzer target in BINDIR: first once over each seed file of
# tests/fuzz/fuzz_<target>_corpus/, then for SECONDS of fuzzing (-max_total_time) with a scratch
# corpus under WORKDIR (the checked-in seeds are only read). Prints one line per target with the
# executions per second; a crash, leak, timeout or sanitizer report fails the run and prints the
# reproducer path (re-run it with: BINDIR/fuzz_<target> <reproducer>).
#
# usage: run.sh BINDIR WORKDIR SECONDS [target...]
set -u

bindir=$1 workdir=$2 seconds=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
	set --
	for f in "$here"/fuzz_*.c; do
		t=${f##*/fuzz_}
		set -- "$@" "${t%.c}"
	done
fi

mkdir -p "$workdir"
failed=0
for t in "$@"; do
	bin=$bindir/fuzz_$t
	seeds=$here/fuzz_${t}_corpus
	log=$workdir/$t.log
	art=$workdir/artifacts/$t/
	corpus=$workdir/corpus/$t
	mkdir -p "$art" "$corpus"
	if [ ! -x "$bin" ]; then
		echo "fuzz $t: FAIL (no binary $bin)"
		failed=1
		continue
	fi
	# Every seed once: a seed that crashes is a regression.
	if ! "$bin" -artifact_prefix="$art" "$seeds"/* >"$log" 2>&1; then
		echo "fuzz $t: FAIL on a seed; log $log"
		grep -E 'Running:|ERROR|SUMMARY' "$log" | tail -n 5
		failed=1
		continue
	fi
	start=$(date +%s)
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$art" "$corpus" "$seeds" >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	if [ "$rc" -ne 0 ]; then
		repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		echo "fuzz $t: FAIL after $((end - start)) s; reproducer: ${repro:-none written}; log $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 3
		failed=1
	else
		echo "fuzz $t: ok, $((end - start)) s, ${execs:-?} execs, ${rate:-?} execs/s," \
			"corpus $(ls "$corpus" | wc -l) new inputs"
	fi
done
exit $failed
