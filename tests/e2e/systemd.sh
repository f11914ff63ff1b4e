#!/bin/sh
# systemd integration: the shipped units pass `systemd-analyze verify`; READY=1 and WATCHDOG=1
# really reach a notify socket; socket activation serves on the passed socket.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
units="$here/../../exporter"
fixture="$here/../fixtures/host_n150"
WORK=$(mktemp -d)
listener=""
trap 'stop_exporter; [ -n "$listener" ] && kill $listener 2>/dev/null; rm -rf "$WORK"' EXIT

# verify needs ExecStart to exist: point the units at the binary under test.
mkdir -p "$WORK/units/gpu-sriov-exporter.service.d"
sed "s|/usr/local/bin/gpu_sriov_exporter|$bin|" "$units/gpu-sriov-exporter.service" \
	>"$WORK/units/gpu-sriov-exporter.service"
cp "$units/gpu-sriov-exporter.socket" "$WORK/units/"
sed "s|/usr/local/bin/gpu_sriov_exporter|$bin|" "$units/gpu-sriov-exporter-socket.conf" \
	>"$WORK/units/gpu-sriov-exporter.service.d/socket.conf"
verify() {
	SYSTEMD_UNIT_PATH="$WORK/units:" systemd-analyze verify --man=no "$@" >"$WORK/verify.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$WORK/verify.out" ] || { cat "$WORK/verify.out"; return 1; }
}
check "systemd-analyze verify service" verify "$WORK/units/gpu-sriov-exporter.service"
check "systemd-analyze verify socket + service with its drop-in" verify "$WORK/units/gpu-sriov-exporter.socket" \
	"$WORK/units/gpu-sriov-exporter.service"
score=$(systemd-analyze security --offline=true --no-pager \
	"$WORK/units/gpu-sriov-exporter.service" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "     systemd-analyze security exposure: ${score:-unknown}"
check "security exposure is reported" test -n "$score"

# READY=1 after listening, WATCHDOG=1 while healthy, STOPPING=1 on SIGTERM.
python3 "$here/notify_listener.py" "$WORK/notify.sock" "$WORK/notify.log" &
listener=$!
wait_for "$WORK/notify.log" listening
# shellcheck disable=SC2046
export NOTIFY_SOCKET="$WORK/notify.sock" WATCHDOG_USEC=400000
start_exporter "$bin" $(fixture_args "$fixture")
check "READY=1 sent" wait_for "$WORK/notify.log" "READY=1"
check "WATCHDOG=1 pings" wait_for "$WORK/notify.log" "WATCHDOG=1"
sleep 1
pings=$(grep -c "WATCHDOG=1" "$WORK/notify.log")
check "watchdog pinged every half interval (>= 4 in ~1.2 s, got $pings)" test "$pings" -ge 4
check "still serving while pinging" sh -c "curl -sf http://127.0.0.1:$PORT/healthz | grep -q ok"
stop_exporter
check "STOPPING=1 on SIGTERM" wait_for "$WORK/notify.log" "STOPPING=1"
unset NOTIFY_SOCKET WATCHDOG_USEC

# Socket activation with systemd's own helper; without a passed socket the flag is an error.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# shellcheck disable=SC2046
systemd-socket-activate -l "127.0.0.1:$port" "$bin" --web.systemd-socket \
	$(fixture_args "$fixture") 2>"$WORK/sa.log" &
PID=$!
sleep 0.3
check "socket-activated exporter serves metrics" \
	sh -c "curl -sf http://127.0.0.1:$port/metrics | grep -q '^gpu_sriov_iommu_enabled 1$'"
check "socket-activated exporter logs the systemd socket" wait_for "$WORK/sa.log" "systemd socket"
stop_exporter
"$bin" --web.systemd-socket $(fixture_args "$fixture") 2>"$WORK/nosock.log"
check "--web.systemd-socket without sockets exits 1" test $? -eq 1
check "and says why" grep -q "no usable listening sockets" "$WORK/nosock.log"

report systemd
