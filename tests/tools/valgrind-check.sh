#!/bin/sh
# Valgrind memcheck on the real binaries (`make valgrind-check`):
#   1. the exporter on a copy of host_n150 serving 100 scrapes (plain, gzip, OpenMetrics), plus /,
#      /healthz and a 404, then SIGTERM;
#   1b. the same with a web config (TLS, basic auth, headers): good and bad credentials, and
#      SIGHUP reloads that change the certificate, break the file and mend it;
#   2. --once on every fixture scenario (with its args file);
#   3. the helper on a copy of host_n150 answering a few requests, then SIGTERM.
# Fails on any memcheck error, any definite or indirect leak, or any file descriptor other than
# stdin/stdout/stderr still open at exit. "Still reachable" blocks (libraries' caches) are fine.
# Usage: valgrind-check.sh BUILD_DIR (holds gpu_sriov_exporter and gpu_sriov_helper)
set -u
build=$(cd "${1:-build}" && pwd)
bin=$build/gpu_sriov_exporter
helper=$build/gpu_sriov_helper
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
fixtures="$here/../fixtures"
command -v valgrind >/dev/null || { echo "valgrind-check: valgrind is not installed" >&2; exit 1; }
WORK=$(mktemp -d)
HPID=""
trap 'stop_exporter; [ -n "$HPID" ] && kill -TERM "$HPID" 2>/dev/null; rm -rf "$WORK"' EXIT

VG="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect --track-fds=yes --num-callers=30"

# vg_ok RC LOG: the process exited 0 (99 is valgrind's error exit), the log reports no errors, no
# definite or indirect leak and no descriptor open at exit besides the three inherited ones.
vg_ok() {
	rc=$1
	log=$2
	ok=0
	[ "$rc" -eq 0 ] || { echo "     exit status $rc" >&2; ok=1; }
	grep -q 'ERROR SUMMARY: 0 errors' "$log" || ok=1
	grep -Eq 'definitely lost: [1-9]|indirectly lost: [1-9]' "$log" && ok=1
	# A descriptor the program opened and never closed is listed with the stack that opened it;
	# the ones it inherited (std streams, the log file, the shell's) say "<inherited from parent>".
	leaked=$(awk '/Open (file descriptor|AF_UNIX socket|AF_INET socket)/ { fd = $0; getline;
		if ($0 !~ /inherited from parent/) print fd }' "$log")
	[ -z "$leaked" ] || { echo "     descriptors open at exit: $leaked" >&2; ok=1; }
	[ $ok -eq 0 ] || { echo "----- $log" >&2; cat "$log" >&2; echo "-----" >&2; }
	return $ok
}

# copy_scenario DIR: a writable copy in $WORK/scenario with its device nodes; prints its path.
copy_scenario() {
	rm -rf "$WORK/scenario"
	cp -a "$1" "$WORK/scenario" || return 1
	if [ -f "$WORK/scenario/devices" ]; then
		make_devices "$WORK/scenario" || return 1
	fi
	echo "$WORK/scenario"
}

# 1. Serving: 100 scrapes and the other pages, then SIGTERM.
start_vg_exporter() {
	: >"$WORK/exporter.log"
	# shellcheck disable=SC2086
	$VG --log-file="$WORK/serve.vg" "$bin" --web.listen-address=127.0.0.1:0 "$@" \
		2>"$WORK/exporter.log" &
	PID=$!
	PORT=""
	i=0
	# Valgrind starts slowly: up to 60 s.
	while [ $i -lt 600 ]; do
		PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/exporter.log" |
			head -n 1)
		[ -n "$PORT" ] && return 0
		kill -0 $PID 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "exporter did not start:" >&2
	cat "$WORK/exporter.log" "$WORK/serve.vg" >&2
	return 1
}
serve_100() {
	dir=$(copy_scenario "$fixtures/host_n150") || return 1
	# shellcheck disable=SC2046
	start_vg_exporter $(fixture_args "$dir") || return 1
	url=http://127.0.0.1:$PORT
	bad=0
	n=0
	while [ $n -lt 100 ]; do
		case $((n % 3)) in
		0) code=$(curl -s -m 30 -o "$WORK/b" -w '%{http_code}' "$url/metrics") ;;
		1) code=$(curl -s -m 30 -o "$WORK/b" -w '%{http_code}' -H 'Accept-Encoding: gzip' \
			"$url/metrics") ;;
		2) code=$(curl -s -m 30 -o "$WORK/b" -w '%{http_code}' \
			-H 'Accept: application/openmetrics-text;version=1.0.0' "$url/metrics") ;;
		esac
		[ "$code" = 200 ] && [ -s "$WORK/b" ] || { echo "     scrape $n: HTTP $code" >&2; bad=1; }
		n=$((n + 1))
	done
	for page in / /healthz; do
		code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' "$url$page")
		[ "$code" = 200 ] || { echo "     $page: HTTP $code" >&2; bad=1; }
	done
	code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' "$url/no-such-page")
	[ "$code" = 404 ] || { echo "     /no-such-page: HTTP $code (want 404)" >&2; bad=1; }
	kill -TERM "$PID"
	wait "$PID"
	rc=$?
	PID=""
	vg_ok $rc "$WORK/serve.vg" || bad=1
	return $bad
}
check "exporter: 100 scrapes (plain, gzip, OpenMetrics), /, /healthz, 404, SIGTERM" serve_100

# 1b. TLS and basic auth, and reloads: the code paths that hold and swap web configs.
web_reloads() {
	dir=$(copy_scenario "$fixtures/host_n150") || return 1
	for k in a b; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
			-subj /CN=localhost -keyout "$WORK/$k.key" -out "$WORK/$k.crt" \
			>/dev/null 2>&1 || return 1
	done
	hash=$(htpasswd -nbBC 4 "" secret | tr -d ':\n')
	write_web() { # write_web CERT
		printf 'tls_server_config:\n  cert_file: %s.crt\n  key_file: %s.key\n' "$1" "$1" \
			>"$WORK/web.yml"
		printf 'basic_auth_users:\n  prom: %s\n' "$hash" >>"$WORK/web.yml"
		printf 'http_server_config:\n  headers:\n    X-Frame-Options: deny\n' >>"$WORK/web.yml"
	}
	write_web a
	# shellcheck disable=SC2046
	start_vg_exporter --web.config.file="$WORK/web.yml" $(fixture_args "$dir") || return 1
	url=https://127.0.0.1:$PORT
	bad=0
	expect() { # expect CODE CURL-ARGS...
		want=$1
		shift
		code=$(curl -sk -m 30 -o /dev/null -w '%{http_code}' "$@")
		[ "$code" = "$want" ] || { echo "     $*: HTTP $code (want $want)" >&2; bad=1; }
	}
	round() {
		expect 200 -u prom:secret "$url/metrics"
		expect 200 -u prom:secret -H 'Accept-Encoding: gzip' "$url/metrics"
		expect 401 -u prom:wrong "$url/metrics"
		expect 401 -u nobody:secret "$url/"
	}
	round
	reload() {
		n=$(grep -c 'reloaded\|did not load' "$WORK/exporter.log")
		kill -HUP "$PID"
		i=0
		while [ $i -lt 300 ] &&
			[ "$(grep -c 'reloaded\|did not load' "$WORK/exporter.log")" -le "$n" ]; do
			sleep 0.1
			i=$((i + 1))
		done
	}
	write_web b
	reload
	round
	printf 'nonsense: [\n' >"$WORK/web.yml"
	reload
	expect 500 -u prom:secret "$url/metrics"
	write_web a
	reload
	round
	kill -TERM "$PID"
	wait "$PID"
	rc=$?
	PID=""
	vg_ok $rc "$WORK/serve.vg" || bad=1
	return $bad
}
check "exporter: TLS + basic auth, certificate reload, broken and mended reload, SIGTERM" \
	web_reloads

# 2. --once on every scenario.
once() {
	src=$1
	dir=$(copy_scenario "$src") || return 1
	extra=""
	[ -f "$src/args" ] && extra=$(cat "$src/args")
	# shellcheck disable=SC2046,SC2086
	$VG --log-file="$WORK/once.vg" "$bin" --once $(fixture_args "$dir") $extra \
		>/dev/null 2>"$WORK/once.log"
	vg_ok $? "$WORK/once.vg" || { cat "$WORK/once.log" >&2; return 1; }
}
for src in "$fixtures"/*/; do
	src=${src%/}
	[ -d "$src/sys" ] || continue
	check "exporter --once: $(basename "$src")" once "$src"
done

# 3. The helper: a few requests over its socket, then SIGTERM.
helper_run() {
	dir=$(copy_scenario "$fixtures/host_n150") || return 1
	mkdir -p "$dir/root"
	sock=$WORK/helper.sock
	# shellcheck disable=SC2086
	$VG --log-file="$WORK/helper.vg" "$helper" --path.sysfs="$dir/sys" --path.rootfs="$dir/root" \
		--allow-pf=0000:00:02.0=7 --listen="$sock" 2>"$WORK/helper.log" &
	HPID=$!
	i=0
	while [ $i -lt 600 ] && ! grep -q "listening on" "$WORK/helper.log"; do
		kill -0 $HPID 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	bad=0
	python3 "$here/helper_client.py" "$sock" hello:0:1 describe-pf:0:0 describe-vf:0:0 \
		describe-pf:1:0 set:0:3 >"$WORK/client.out" 2>&1 || bad=1
	python3 "$here/helper_client.py" "$sock" hello:0:1 raw:0102 >>"$WORK/client.out" 2>&1 ||
		bad=1
	grep -q '^rc=0 value=1 ' "$WORK/client.out" || bad=1
	[ $bad -eq 0 ] || { cat "$WORK/client.out" "$WORK/helper.log" >&2; }
	kill -TERM "$HPID"
	wait "$HPID"
	rc=$?
	HPID=""
	vg_ok $rc "$WORK/helper.vg" || bad=1
	return $bad
}
check "helper: requests over its socket, SIGTERM" helper_run

report valgrind-check
