# Shared helpers for the end-to-end scripts (sourced, POSIX sh).

# Series whose values change from run to run; left out of golden comparisons. The PMU families
# count real (software) perf events; engine busy from fdinfo is static in fixtures and stays.
VOLATILE_FAMILIES="gpu_sriov_scrape_collector_duration_seconds gpu_sriov_build_info process_cpu_seconds_total process_start_time_seconds gpu_sriov_pmu_rc6_seconds_total gpu_sriov_pmu_interrupts_total gpu_sriov_engine_active_ticks_total gpu_sriov_engine_total_ticks_total"
VOLATILE_SERIES='source="pmu"'

# Removes the volatile families (samples, HELP and TYPE lines) and volatile series from stdin.
filter_volatile() {
	awk -v fams="$VOLATILE_FAMILIES" -v series="$VOLATILE_SERIES" '
		BEGIN { n = split(fams, a, " "); for (i = 1; i <= n; i++) drop[a[i]] = 1 }
		/^# (HELP|TYPE) / { if ($3 in drop) next; print; next }
		index($0, series) > 0 { next }
		{ name = $0; sub(/[{ ].*/, "", name); if (name in drop) next; print }'
}

# Creates the character devices listed in SCENARIO/devices ("path c major minor" under root/).
make_devices() {
	grep -v '^#' "$1/devices" | while read -r path type maj min; do
		rm -f "$1/root/$path" && mknod "$1/root/$path" "$type" "$maj" "$min" || exit 1
	done
}

# runnable_fixture DIR: prints the directory to run the exporter on: DIR itself or, when the
# scenario lists device nodes (they cannot live in git), a copy in $WORK/scenario where they are
# real character devices. Fails, printing nothing, when they cannot be made (mknod needs root).
runnable_fixture() {
	if [ ! -f "$1/devices" ]; then
		echo "$1"
		return 0
	fi
	rm -rf "$WORK/scenario" && cp -a "$1" "$WORK/scenario" && make_devices "$WORK/scenario" &&
		echo "$WORK/scenario"
}

# Arguments that point the exporter at a fixture scenario directory.
fixture_args() {
	d=$1
	echo "--path.sysfs=$d/sys --path.procfs=$d/proc --path.rootfs=$d/root"
}

# Starts the exporter in the background on 127.0.0.1:0 with the given arguments and sets PID and
# PORT (read from its "listening on" log line). Log goes to $WORK/exporter.log.
start_exporter() {
	bin=$1
	shift
	: > "$WORK/exporter.log"
	"$bin" --web.listen-address=127.0.0.1:0 "$@" 2>"$WORK/exporter.log" &
	PID=$!
	PORT=""
	i=0
	while [ $i -lt 100 ]; do
		PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/exporter.log" | head -n 1)
		[ -n "$PORT" ] && return 0
		kill -0 $PID 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	echo "exporter did not start:" >&2
	cat "$WORK/exporter.log" >&2
	return 1
}

stop_exporter() {
	[ -n "${PID:-}" ] || return 0
	kill -TERM "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=""
}

# check NAME COMMAND...: runs one assertion; the command's exit status is the verdict.
passed=0
failed=0
check() {
	name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name"
	fi
}

# report SUITE: prints "SUITE: N passed, N failed"; fails when any check failed.
report() {
	echo "$1: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# wait_for FILE PATTERN: waits up to 10 s for PATTERN to appear in FILE.
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
