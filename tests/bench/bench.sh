#!/bin/sh
# make bench: a benchmark, not a test. It measures, prints one table (stdout and TABLE) and exits 0
# whatever the figures are; it exits 1 only when the harness itself broke (a tool missing, a server
# not starting, a figure it could not measure).
#
# Usage: tests/bench/bench.sh EXPORTER WORKDIR TABLE
#   WORKDIR (e.g. build/bench) receives the generated large fixture (WORKDIR/large), fixture copies
#   with real device nodes and the raw outputs (WORKDIR/work); mknod needs root.
# Environment: BENCH_QUICK=1 (seconds-long run proving the table is complete; figures meaningless),
#   BENCH_SECONDS (per wrk run, default 5), BENCH_IDLE_SECONDS (default 60), BENCH_SHELL_RUNS
#   (refreshes of the shell alternative, default 5), VM_DIR (default build/vm).
#
# Targets measured, each on the same running server after a 1 s warm-up:
#   host_n150      tests/fixtures/host_n150 (default collectors)
#   guest_vf       tests/fixtures/guest_vf with --collector.fdinfo (its args file)
#   large          tests/bench/gen_large.py: 4 PFs x 63 VFs, 3 DKMS modules x 6 kernels, 2,000
#                  processes of which 200 hold DRM fds; with --collector.fdinfo
#   node_exporter  Debian's prometheus-node-exporter, default collectors, this machine's /proc, /sys
# Figures:
#   latency p50/p99, scrapes/s   wrk (plain GET, keep-alive, no gzip) for BENCH_SECONDS with 1
#                                client (1 thread) and 16 clients (2 threads), on loopback
#   CPU per scrape               utime+stime of the server (/proc/PID/stat) over the 1-client run
#                                divided by its scrapes
#   syscalls per scrape          strace -c -f attached to every thread over N scrapes on one
#                                keep-alive connection (curl), N = 0.5 s / p50, 10..200
#   files read per scrape        see below; syscalls/file is the ratio of the two
#   peak RSS                     VmHWM from /proc/PID/status after all of the above
#   idle CPU                     the exporter with --watchdog.enable on host_n150 (no helper socket:
#                                the watchdog still runs its checks and its udev monitor), no
#                                scrapes, CPU time summed over its threads (schedstat, ns)
#   watchdog reaction            from WORKDIR's sibling build/vm/watchdog_reaction.txt, written by
#                                make test-vm (tests/vm/checks.sh)
#   shell alternative            tests/bench/textfile_alternative.sh, wall time per refresh
#
# "Files read per scrape": the distinct files whose content one steady-state scrape reads, taken
# from `strace -f -y -e trace=read,pread64,readv,preadv,preadv2` of one scrape: every path that is
# the file descriptor of a read call (sysfs and procfs attributes, DKMS and Proxmox files, the
# fixture's /dev/kmsg, the exporter's own /proc files), counted once however often it is read.
# Not counted: directories that are only listed (getdents64), files only stat'ed or readlink'ed,
# perf event fds (anon_inode), sockets and pipes. It is what the scrape reads today, not a minimum.
set -u

[ $# -eq 3 ] || { echo "usage: $0 EXPORTER WORKDIR TABLE" >&2; exit 2; }
bin=$1
dir=$2
table=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/e2e/lib.sh"
quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
	secs=${BENCH_SECONDS:-1}
	idle_secs=${BENCH_IDLE_SECONDS:-2}
	shell_runs=${BENCH_SHELL_RUNS:-1}
	nms=100
	nmin=1
	nmax=5
else
	secs=${BENCH_SECONDS:-5}
	idle_secs=${BENCH_IDLE_SECONDS:-60}
	shell_runs=${BENCH_SHELL_RUNS:-5}
	nms=500
	nmin=10
	nmax=200
fi
vm_file=${VM_DIR:-$top/build/vm}/watchdog_reaction.txt
PATH=$PATH:/usr/sbin:/sbin
NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
TCK=$(getconf CLK_TCK)
WORK=$dir/work
RES=$WORK/results
LUA=$here/wrk_report.lua
PID=""
NPID=""
broken=""

T0=$(date +%s)
say() { echo "bench: $(($(date +%s) - T0))s: $*" >&2; }
die() { say "$*"; exit 1; }
cleanup() {
	stop_exporter
	[ -n "$NPID" ] && kill "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for t in wrk strace curl python3 dkms awk; do
	command -v $t >/dev/null 2>&1 || die "$t missing (make bench installs the Debian packages)"
done
[ -x "$bin" ] || die "no exporter binary $bin"
[ "$(id -u)" -eq 0 ] || die "run as root: the fixtures need device nodes (mknod)"
rm -rf "$WORK"
mkdir -p "$WORK" || die "cannot create $WORK"
: >"$RES"

# put KEY FIELD VALUE / get KEY FIELD: the measured figures, "?" when missing.
put() { echo "$1 $2 $3" >>"$RES"; }
get() {
	v=$(awk -v k="$1" -v f="$2" '$1 == k && $2 == f { v = $3 } END { print v }' "$RES")
	echo "${v:-?}"
}
# calc EXPR [VAR=VALUE...]: awk arithmetic; "?" when an operand is missing or a division by zero.
calc() {
	e=$1
	shift
	for a in "$@"; do
		case $a in *=\?) echo "?"; return ;; esac
	done
	r=$(awk "BEGIN { $(for a in "$@"; do printf '%s; ' "$a"; done) printf \"%.6f\", ($e) }" 2>/dev/null)
	case $r in '' | *[!0-9.-]*) echo "?" ;; *) echo "$r" ;; esac
}
# mawk prints large numbers as 1.2e+09 and caps %d at 2^31: whole numbers go through %.0f.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ printf "%.0f\n", $12 + $13 }'; }
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
# settle PID: waits (at most 20 s) until PID used no CPU for 0.3 s. wrk stops at its deadline with
# scrapes still queued in the server; they must not count in the next measurement.
settle() {
	i=0
	a=$(cpu_ticks "$1")
	while [ $i -lt 66 ]; do
		sleep 0.3
		b=$(cpu_ticks "$1")
		[ "$a" = "$b" ] && return 0
		a=$b
		i=$((i + 1))
	done
	say "pid $1 did not go idle"
}
# wait_traced PID: until every thread of PID has a tracer (strace attached).
wait_traced() {
	i=0
	while [ $i -lt 200 ]; do
		untraced=0
		for s in /proc/"$1"/task/*/status; do
			grep -q '^TracerPid:[[:space:]]*0$' "$s" 2>/dev/null && untraced=1
		done
		[ $untraced -eq 0 ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
# scrapes URL N: N GETs on one keep-alive connection; prints how many answered 200.
scrapes() {
	u=$1
	n=$2
	set --
	while [ "$n" -gt 0 ]; do
		set -- "$@" -o /dev/null "$u"
		n=$((n - 1))
	done
	curl -s -w '%{http_code}\n' "$@" | grep -c '^200$'
}
# wrk_run KEY SUFFIX THREADS CLIENTS URL: one wrk run; records p50/p99 (ms), scrapes/s, bytes.
wrk_run() {
	# A timed-out request would drop out of the latency figures: wait for every answer.
	wrk -t"$3" -c"$4" -d"${secs}s" --timeout 60s -s "$LUA" "$5" >"$WORK/$1.wrk$2" 2>&1
	line=$(grep '^BENCH ' "$WORK/$1.wrk$2")
	[ -n "$line" ] || { say "$1: wrk gave no result: $(tail -n 3 "$WORK/$1.wrk$2")"; return 1; }
	field() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	req=$(field requests)
	[ "$(field errors)" = 0 ] && [ "$(field non2xx)" = 0 ] ||
		say "$1: wrk -c$4 had errors: $line"
	put "$1" "p50$2" "$(calc 'p / 1000' p="$(field p50_us)")"
	put "$1" "p99$2" "$(calc 'p / 1000' p="$(field p99_us)")"
	put "$1" "rps$2" "$(calc 'r * 1000000 / d' r="$req" d="$(field duration_us)")"
	put "$1" "bytes" "$(calc 'b / r' b="$(field bytes)" r="$req")"
	put "$1" "req$2" "$req"
}

# measure KEY URL PID: every per-server figure.
measure() {
	key=$1
	url=$2
	pid=$3
	say "$key: warm-up, wrk 1 and 16 clients (${secs} s each)"
	if [ "$quick" = 1 ]; then
		scrapes "$url" 2 >/dev/null
	else
		wrk -t1 -c1 -d1s --timeout 60s "$url" >/dev/null 2>&1
	fi
	settle "$pid"
	c0=$(cpu_ticks "$pid")
	wrk_run "$key" c1 1 1 "$url" || return 1
	settle "$pid"
	c1=$(cpu_ticks "$pid")
	put "$key" cpu "$(calc '(c1 - c0) * 1000 / t / r' c1="$c1" c0="$c0" t="$TCK" r="$(get "$key" reqc1)")"
	wrk_run "$key" c16 2 16 "$url" || return 1
	settle "$pid"
	p50=$(get "$key" p50c1)
	n=$(calc "int($nms / (p < 0.001 ? 0.001 : p))" p="$p50")
	n=${n%%.*}
	[ "$n" = "?" ] && n=$nmin
	[ "$n" -lt $nmin ] && n=$nmin
	[ "$n" -gt $nmax ] && n=$nmax
	say "$key: strace -c over $n scrapes"
	strace -c -f -o "$WORK/$key.strace" -p "$pid" 2>"$WORK/$key.strace.err" &
	sp=$!
	wait_traced "$pid" || { kill "$sp"; say "$key: strace did not attach"; return 1; }
	ok=$(scrapes "$url" "$n")
	kill -INT $sp
	wait $sp
	[ "$ok" = "$n" ] || say "$key: only $ok of $n scrapes under strace answered 200"
	total=$(awk '$NF == "total" { print $4 }' "$WORK/$key.strace")
	put "$key" sys "$(calc 't / n' t="$total" n="$n")"
	put "$key" nstrace "$n"
	awk -v n="$n" '/^-/ { sep++; next } sep == 1 && NF >= 5 { printf "%s %.1f\n", $NF, $4 / n }' \
		"$WORK/$key.strace" | sort -k2,2nr | head -n 8 >"$WORK/$key.top"
	say "$key: strace -y of one scrape (files read)"
	strace -f -y -e trace=read,pread64,readv,preadv,preadv2 -o "$WORK/$key.reads" -p "$pid" \
		2>"$WORK/$key.reads.err" &
	sp=$!
	wait_traced "$pid" || { kill "$sp"; say "$key: strace did not attach"; return 1; }
	ok=$(scrapes "$url" 1)
	kill -INT $sp
	wait $sp
	sed -n 's/^[0-9]* *p\{0,1\}read[v0-9]*([0-9]*<\([^>]*\)>.*/\1/p' "$WORK/$key.reads" |
		grep '^/' | sort -u >"$WORK/$key.files"
	put "$key" files "$(wc -l <"$WORK/$key.files")"
	put "$key" hwm "$(awk '/^VmHWM:/ { printf "%.3f", $2 / 1024 }' "/proc/$pid/status")"
}

# fixture NAME SRC: a copy of a fixture with real device nodes; prints its directory.
fixture() {
	rm -rf "${WORK:?}/$1"
	cp -a "$2" "$WORK/$1" && make_devices "$WORK/$1" && echo "$WORK/$1"
}

# --- the machine ------------------------------------------------------------------------------
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
machine="$(nproc) CPUs ($cpu_model), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), ${os:-unknown OS}"
started=$(date -u +%Y-%m-%dT%H:%MZ)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)

# --- fixtures ---------------------------------------------------------------------------------
# Regenerated only when a generator changed: writing 40,000 files is slow on a busy disk.
large=$dir/large
if [ -f "$large/.complete" ] &&
	[ -z "$(find "$here/gen_large.py" "$top/tests/fixtures/generate.py" -newer "$large/.complete")" ]; then
	say "reusing the large fixture in $large"
else
	say "generating the large fixture in $large"
	python3 "$here/gen_large.py" "$large" || die "gen_large.py failed"
fi
make_devices "$large" || die "mknod in $large failed"
touch "$large/.complete"
n150=$(fixture host_n150 "$top/tests/fixtures/host_n150") || die "cannot copy host_n150"
guest=$(fixture guest_vf "$top/tests/fixtures/guest_vf") || die "cannot copy guest_vf"

# --- the exporter on each fixture -------------------------------------------------------------
for key in host_n150 guest_vf large; do
	case $key in
	host_n150) d=$n150 ;;
	guest_vf) d=$guest ;;
	large) d=$large ;;
	esac
	extra=""
	[ -f "$d/args" ] && extra=$(cat "$d/args")
	put "$key" flags "${extra:-defaults}"
	# shellcheck disable=SC2046,SC2086
	start_exporter "$bin" $(fixture_args "$d") $extra || die "$key: the exporter did not start"
	measure "$key" "http://127.0.0.1:$PORT/metrics" "$PID" || broken="$broken $key"
	cp "$WORK/exporter.log" "$WORK/$key.log"
	stop_exporter
done

# --- node_exporter ----------------------------------------------------------------------------
if [ -x "$NODE_EXPORTER" ]; then
	nport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$nport" >"$WORK/node_exporter.log" 2>&1 &
	NPID=$!
	i=0
	until curl -sf -o /dev/null "http://127.0.0.1:$nport/metrics"; do
		i=$((i + 1))
		[ $i -lt 100 ] && kill -0 "$NPID" 2>/dev/null || break
		sleep 0.1
	done
	node_version=$("$NODE_EXPORTER" --version 2>&1 | sed -n 's/^node_exporter, version \([^ ]*\).*/\1/p')
	measure node_exporter "http://127.0.0.1:$nport/metrics" "$NPID" || broken="$broken node_exporter"
	kill "$NPID" 2>/dev/null
	wait "$NPID" 2>/dev/null
	NPID=""
else
	say "$NODE_EXPORTER missing (Debian package prometheus-node-exporter)"
	broken="$broken node_exporter"
fi

# --- idle cost --------------------------------------------------------------------------------
say "idle exporter with --watchdog.enable for ${idle_secs} s"
# shellcheck disable=SC2046
start_exporter "$bin" $(fixture_args "$n150") --watchdog.enable || die "idle: the exporter did not start"
sleep 2
i0=$(cpu_ns "$PID")
it0=$(cpu_ticks "$PID")
sleep "$idle_secs"
i1=$(cpu_ns "$PID")
it1=$(cpu_ticks "$PID")
stop_exporter
# schedstat misses threads that ended in the window; /proc/PID/stat does not (10 ms ticks).
put idle pct "$(calc '(b > a ? b : a) / (s * 1e9) * 100' a="$((i1 - i0))" \
	b="$(calc '(t1 - t0) * 1e9 / k' t1="$it1" t0="$it0" k="$TCK")" s="$idle_secs")"

# --- the shell alternative --------------------------------------------------------------------
for key in host_n150 large; do
	case $key in host_n150) d=$n150 ;; large) d=$large ;; esac
	say "$key: $shell_runs refreshes of textfile_alternative.sh"
	root=$(cd "$d/root" && pwd -P)
	s0=$(date +%s%N)
	i=0
	while [ $i -lt "$shell_runs" ]; do
		sh "$here/textfile_alternative.sh" "$WORK/$key.prom" "$d/sys" "$root" ||
			{ broken="$broken shell-$key"; break; }
		i=$((i + 1))
	done
	s1=$(date +%s%N)
	grep -q '^sriov_dkms_status{' "$WORK/$key.prom" 2>/dev/null || broken="$broken shell-$key"
	put "$key" shell "$(calc 'ns / 1e6 / n' ns="$((s1 - s0))" n="$shell_runs")"
done

# --- watchdog reaction (real kernel) ----------------------------------------------------------
reaction="?"
reaction_note="not measured (run make test-vm)"
if [ -s "$vm_file" ]; then
	reaction=$(awk '$1 !~ /^#/ { for (i = 1; i <= NF; i++) if ($i ~ /^reaction_ms=/) {
		v = substr($i, 13) + 0; if (v > m) m = v; n++ } } END { if (n) print m }' "$vm_file")
	reaction=${reaction:-?}
	reaction_note="worst of $(grep -c 'reaction_ms=' "$vm_file") PFs, make test-vm of $(date -u -r "$vm_file" +%Y-%m-%d)"
fi

# --- the table --------------------------------------------------------------------------------
# fmt VALUE DECIMALS: a number with DECIMALS places, "?" passed through.
fmt() { [ "$1" = "?" ] && echo "?" || awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f", d, v }'; }
# ratio A B: A/B with two significant decimals and an x.
ratio() {
	r=$(calc 'a / b' a="$1" b="$2")
	[ "$r" = "?" ] && echo "?" || awk -v r="$r" 'BEGIN { printf (r < 10 ? "%.2fx" : "%.0fx"), r }'
}
# verdict VALUE TARGET le|ge: "ok" or "MISSED (by N x)".
verdict() {
	[ "$1" = "?" ] || [ "$2" = "?" ] && { echo "?"; return; }
	awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
		if ((op == "le" && v <= t) || (op == "ge" && v >= t)) { print "ok"; exit }
		f = op == "le" ? v / t : (v > 0 ? t / v : 0)
		if (f > 0) printf "MISSED (%.1fx %s)\n", f, op == "le" ? "over" : "short"
		else print "MISSED" }'
}
t_end=$(date +%s)
n150_sysf=$(calc 's / f' s="$(get host_n150 sys)" f="$(get host_n150 files)")
{
	echo "gpu-sriov-exporter benchmark, $started, $((t_end - t_start)) s$([ "$quick" = 1 ] && echo ', QUICK MODE: figures not meaningful')"
	echo "machine: $machine; load average at start $load0"
	echo "exporter: $("$bin" --version 2>&1 | head -n 1); node_exporter ${node_version:-?} (Debian, default collectors)"
	echo "wrk: ${secs} s per run, plain GET with keep-alive on loopback, 1 client (1 thread) / 16 clients (2 threads); latency in ms"
	echo
	printf '%-15s %8s %8s %8s %8s %8s %8s %9s %6s %8s %7s %8s %7s\n' "fixture" "p50 c1" "p99 c1" \
		"p50 c16" "p99 c16" "scr/s c1" "scr/s16" "syscalls" "files" "sys/file" "RSS MiB" \
		"CPU ms" "KiB"
	for key in host_n150 guest_vf large node_exporter; do
		printf '%-15s %8s %8s %8s %8s %8s %8s %9s %6s %8s %7s %8s %7s\n' "$key" \
			"$(fmt "$(get $key p50c1)" 3)" "$(fmt "$(get $key p99c1)" 3)" \
			"$(fmt "$(get $key p50c16)" 3)" "$(fmt "$(get $key p99c16)" 3)" \
			"$(fmt "$(get $key rpsc1)" 0)" "$(fmt "$(get $key rpsc16)" 0)" \
			"$(fmt "$(get $key sys)" 0)" "$(get $key files)" \
			"$(ratio "$(get $key sys)" "$(get $key files)")" "$(fmt "$(get $key hwm)" 1)" \
			"$(fmt "$(get $key cpu)" 3)" "$(fmt "$(calc 'b / 1024' b="$(get $key bytes)")" 1)"
	done
	echo "(syscalls = per scrape, strace -c over N scrapes; files = distinct files one scrape reads;"
	echo " CPU ms = server CPU time per scrape; KiB = response body; fixture flags: guest_vf $(get guest_vf flags), large $(get large flags))"
	echo
	printf '%-46s %14s %12s  %s\n' "target (2-core build machine)" "measured" "target" "verdict"
	row() { printf '%-46s %14s %12s  %s\n' "$1" "$2" "$3" "$4"; }
	v=$(get host_n150 p99c16)
	row "host_n150: p99 latency, 16 clients" "$(fmt "$v" 3) ms" "<= 1 ms" "$(verdict "$v" 1 le)"
	v=$(get host_n150 rpsc16)
	row "host_n150: scrapes/s, 16 clients" "$(fmt "$v" 0)" ">= 10000" "$(verdict "$v" 10000 ge)"
	row "host_n150: syscalls per scrape / files read" "$(fmt "$n150_sysf" 2)x" "<= 1.5x" \
		"$(verdict "$n150_sysf" 1.5 le)"
	v=$(get large p99c16)
	row "large: p99 latency, 16 clients" "$(fmt "$v" 3) ms" "<= 10 ms" "$(verdict "$v" 10 le)"
	v=$(get host_n150 hwm)
	row "host_n150: peak RSS" "$(fmt "$v" 2) MiB" "<= 4 MiB" "$(verdict "$v" 4 le)"
	v=$(get idle pct)
	row "idle CPU, --watchdog.enable, ${idle_secs} s" "$(fmt "$v" 4) %" "<= 0.05 %" "$(verdict "$v" 0.05 le)"
	if [ "$reaction" = "?" ]; then
		row "watchdog reaction, udev event -> write (VM)" "-" "<= 50 ms" "$reaction_note"
	else
		row "watchdog reaction, udev event -> write (VM)" "$reaction ms" "<= 50 ms" \
			"$(verdict "$reaction" 50 le); $reaction_note"
	fi
	echo
	echo "ratios, gpu-sriov-exporter on host_n150 / node_exporter on this machine (same run; < 1 = exporter cheaper):"
	printf '  p50 c1 %s, p99 c16 %s, CPU per scrape %s, syscalls per scrape %s, peak RSS %s, body %s; scrapes/s c16 %s\n' \
		"$(ratio "$(get host_n150 p50c1)" "$(get node_exporter p50c1)")" \
		"$(ratio "$(get host_n150 p99c16)" "$(get node_exporter p99c16)")" \
		"$(ratio "$(get host_n150 cpu)" "$(get node_exporter cpu)")" \
		"$(ratio "$(get host_n150 sys)" "$(get node_exporter sys)")" \
		"$(ratio "$(get host_n150 hwm)" "$(get node_exporter hwm)")" \
		"$(ratio "$(get host_n150 bytes)" "$(get node_exporter bytes)")" \
		"$(ratio "$(get host_n150 rpsc16)" "$(get node_exporter rpsc16)")"
	echo "shell textfile refresh (tests/bench/textfile_alternative.sh: dkms status, sriov_numvfs, ls /dev/dri), $shell_runs runs:"
	for key in host_n150 large; do
		printf '  %-9s %10s ms per refresh = %s one exporter scrape (p50 c1)\n' "$key" \
			"$(fmt "$(get $key shell)" 1)" "$(ratio "$(get $key shell)" "$(get $key p50c1)")"
	done
	echo "top system calls per scrape (strace -c):"
	for key in host_n150 guest_vf large node_exporter; do
		printf '  %-14s %s\n' "$key" "$(awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }' \
			"$WORK/$key.top" 2>/dev/null)"
	done
	echo "files read by one scrape, by tree:"
	for key in host_n150 guest_vf large; do
		case $key in host_n150) d=$n150 ;; guest_vf) d=$guest ;; large) d=$large ;; esac
		d=$(cd "$d" && pwd -P)
		printf '  %-14s %s\n' "$key" "$(awk -v d="$d/" '{ t = "other"; if (index($0, d) == 1) {
			t = substr($0, length(d) + 1); sub(/\/.*/, "", t) } n[t]++ }
			END { for (k in n) printf "%s %s %d", s++ ? "," : "", k, n[k] }' "$WORK/$key.files" 2>/dev/null)"
	done
} >"$WORK/table.txt"
mkdir -p "$(dirname "$table")"
cp "$WORK/table.txt" "$table"
cat "$WORK/table.txt"

# Every figure but the VM's must be there; a "?" means the harness broke.
missing=$(sed -n '/^fixture/,/^$/p; /^target/,/^$/p' "$WORK/table.txt" | grep -v 'watchdog reaction' |
	grep -c '?' || true)
[ -n "$broken" ] && say "broken:$broken"
[ "$missing" -gt 0 ] && say "$missing table lines have unmeasured figures (?)"
[ -z "$broken" ] && [ "$missing" -eq 0 ]
