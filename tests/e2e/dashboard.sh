#!/bin/sh
# The Grafana dashboard against real data: three real exporters (host_n150 with the watchdog in
# dry-run, guest_vf with fdinfo, host_stock_i915) scraped every second by a real Prometheus; every
# panel target must return data unless dashboards/gpu-sriov.lint allows it to be empty
# (tests/tools/dashboard-query.py). Prints "dashboard: N passed, N failed".
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dashboard=${2:-$top/dashboards/gpu-sriov.json}
. "$here/lib.sh"
TOP_WORK=$(mktemp -d)
PIDS=""
PROM_PID=""
cleanup() {
	for p in $PIDS $PROM_PID; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS $PROM_PID; do wait "$p" 2>/dev/null; done
	rm -rf "$TOP_WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

prometheus=$(command -v prometheus || echo /usr/bin/prometheus)
[ -x "$prometheus" ] || { echo "FAIL: prometheus not found (apt-get install prometheus)"; echo "dashboard: 0 passed, 1 failed"; exit 1; }

# run NAME FIXTURE ARGS...: a copy of the fixture and an exporter on it; appends its port to TARGETS.
TARGETS=""
run() {
	name=$1
	fixture=$2
	shift 2
	WORK="$TOP_WORK/$name"
	mkdir -p "$WORK"
	cp -a "$top/tests/fixtures/$fixture" "$WORK/fx"
	if [ -f "$WORK/fx/devices" ]; then
		make_devices "$WORK/fx" || { echo "FAIL: mknod needs root"; return 1; }
	fi
	extra=""
	[ -f "$WORK/fx/args" ] && extra=$(cat "$WORK/fx/args")
	# shellcheck disable=SC2046,SC2086
	start_exporter "$bin" $(fixture_args "$WORK/fx") $extra "$@" || return 1
	PIDS="$PIDS $PID"
	PID=""
	TARGETS="$TARGETS${TARGETS:+, }'127.0.0.1:$PORT'"
	echo "exporter $name ($fixture) on 127.0.0.1:$PORT"
}

fail_setup() {
	echo "FAIL: $1"
	echo "dashboard: 0 passed, 1 failed"
	exit 1
}

start=$(date +%s)
run n150 host_n150 --watchdog.enable --watchdog.dry-run --watchdog.interval=1s || fail_setup "exporter on host_n150"
run guest guest_vf || fail_setup "exporter on guest_vf"
run stock host_stock_i915 || fail_setup "exporter on host_stock_i915"

PROM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$TOP_WORK/prometheus.yml" <<Y
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: gpu-sriov-exporter
    static_configs:
      - targets: [$TARGETS]
Y
"$prometheus" --config.file="$TOP_WORK/prometheus.yml" --storage.tsdb.path="$TOP_WORK/data" \
	--web.listen-address="127.0.0.1:$PROM_PORT" >"$TOP_WORK/prometheus.log" 2>&1 &
PROM_PID=$!
URL="http://127.0.0.1:$PROM_PORT"

# up == 1 for all three targets (90 s at most), then a few more scrapes so rates have points.
ups() {
	curl -sf "$URL/api/v1/query" --data-urlencode 'query=count(up{job="gpu-sriov-exporter"} == 1)' 2>/dev/null |
		sed -n 's/.*"value":\[[^,]*,"\([0-9]*\)"\].*/\1/p'
}
i=0
while [ "$(ups)" != 3 ]; do
	i=$((i + 1))
	if [ $i -gt 180 ] || ! kill -0 "$PROM_PID" 2>/dev/null; then
		tail -n 20 "$TOP_WORK/prometheus.log"
		fail_setup "targets not up within 90 s"
	fi
	sleep 0.5
done
sleep 5
echo "prometheus on $URL: 3 targets up after $(($(date +%s) - start)) s"

python3 "$top/tests/tools/dashboard-query.py" "$URL" "$dashboard"
