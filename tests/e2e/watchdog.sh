#!/bin/sh
# The VF watchdog end to end: the real exporter and the real privileged helper on a writable copy
# of the N150 fixture. A small "fake kernel" loop plays the kernel's part: when sriov_numvfs is
# written it creates the virtfn links, as the PCI core would.
set -u
exporter=$1
helper=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
WORK=$(mktemp -d)
HPID=""
KPID=""
cleanup() {
	stop_exporter
	[ -n "$HPID" ] && kill "$HPID" 2>/dev/null
	[ -n "$KPID" ] && kill "$KPID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# fresh NAME: a copy of host_n150 whose PF lost its VFs (links gone, sriov_numvfs 0).
fresh() {
	rm -rf "$WORK/$1"
	cp -a "$here/../fixtures/host_n150" "$WORK/$1"
	H="$WORK/$1"
	PFDIR="$H/sys/devices/pci0000:00/0000:00:02.0"
	rm -f "$PFDIR"/virtfn*
	printf '0\n' >"$PFDIR/sriov_numvfs"
	mkdir -p "$H/root/run/gpu-sriov-exporter"
}

# The PCI core's part: sriov_numvfs "N" -> virtfn0..N-1 links (the VF directories exist).
fake_kernel() {
	(
		while :; do
			n=$(cat "$PFDIR/sriov_numvfs" 2>/dev/null)
			if [ "$n" = 7 ] && [ ! -e "$PFDIR/virtfn6" ]; then
				for i in 0 1 2 3 4 5 6; do
					ln -s "../0000:00:02.$((i + 1))" "$PFDIR/virtfn$i"
				done
			fi
			sleep 0.05
		done
	) &
	KPID=$!
}

start_helper() {
	"$helper" --path.sysfs="$H/sys" --path.rootfs="$H/root" --allow-pf=0000:00:02.0=7 \
		--listen="$H/root/run/gpu-sriov-exporter/helper.sock" "$@" 2>"$WORK/helper.log" &
	HPID=$!
	wait_for_socket "$H/root/run/gpu-sriov-exporter/helper.sock"
}

wait_for_socket() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$1" ]
}

stop_all() {
	stop_exporter
	[ -n "$HPID" ] && kill "$HPID" 2>/dev/null && wait "$HPID" 2>/dev/null
	[ -n "$KPID" ] && kill "$KPID" 2>/dev/null && wait "$KPID" 2>/dev/null
	HPID=""
	KPID=""
}

scrape() { curl -sf "http://127.0.0.1:$PORT/metrics" >"$WORK/m"; }
has() { grep -q "^$1\$" "$WORK/m"; }
# wait_metric LINE: scrape until LINE appears (10 s).
wait_metric() {
	i=0
	while [ $i -lt 100 ]; do
		scrape && has "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

WD="--watchdog.enable --watchdog.interval=1s"

# 1. VFs lost -> repaired to the intended count (sysfs.conf says 7), then the listed VF is handed
#    to vfio-pci and the user's hook runs with the PF, count and result in its environment.
fresh loss
fake_kernel
start_helper --allow-vfio=0000:00:02.3
cat >"$WORK/hook.sh" <<HOOK
#!/bin/sh
env | grep '^GPU_SRIOV_' | sort >"$WORK/hook.out"
HOOK
chmod +x "$WORK/hook.sh"
# shellcheck disable=SC2046,SC2086
start_exporter "$exporter" $WD --watchdog.vfio-vfs=0000:00:02.3 \
	--watchdog.exec-on-repair="$WORK/hook.sh" $(fixture_args "$H") || exit 1
check "VF loss is repaired (success counted)" \
	wait_metric 'gpu_sriov_watchdog_repairs_total{pci_address="0000:00:02.0",result="success"} 1'
check "the helper wrote exactly 7" test "$(cat "$PFDIR/sriov_numvfs")" = 7
check "state ok afterwards" \
	wait_metric 'gpu_sriov_watchdog_state{pci_address="0000:00:02.0",state="ok"} 1'
check "VFs present again" has 'gpu_sriov_vfs_enabled{pci_address="0000:00:02.0"} 7'
check "last repair timestamp reported" grep -q '^gpu_sriov_watchdog_last_repair_timestamp_seconds{pci_address="0000:00:02.0"} [0-9]' "$WORK/m"
check "the action is logged with old and new count" \
	grep -q 'sriov_numvfs 0 -> 7: success, 7 VFs now' "$WORK/exporter.log"
check "state file written" grep -q '^pf 0000:00:02.0 ' "$H/root/var/lib/gpu-sriov-exporter/watchdog.state"
check "listed VF handed to vfio-pci (driver_override)" \
	wait_for "$H/sys/devices/pci0000:00/0000:00:02.3/driver_override" vfio-pci
check "hook ran with PF, count and result" sh -c "wait_for() { i=0; while [ \$i -lt 100 ]; do grep -q \"\$2\" \"\$1\" 2>/dev/null && return 0; sleep 0.1; i=\$((i+1)); done; return 1; }; wait_for '$WORK/hook.out' 'GPU_SRIOV_RESULT=success' && grep -q '^GPU_SRIOV_PF=0000:00:02.0$' '$WORK/hook.out' && grep -q '^GPU_SRIOV_VFS=7$' '$WORK/hook.out'"
stop_all

# 1b. A VM config that passes the PF itself: never repaired.
fresh vmpf
printf 'hostpci0: 0000:00:02.0,pcie=1\nmachine: q35\nname: media\n' \
	>"$H/root/etc/pve/nodes/pve/qemu-server/103.conf"
start_helper
# shellcheck disable=SC2046,SC2086
start_exporter "$exporter" $WD $(fixture_args "$H") || exit 1
check "VM config passes the PF: blocked with the reason" \
	wait_metric 'gpu_sriov_watchdog_blocked_reason_info{pci_address="0000:00:02.0",reason="pf_assigned_to_vm"} 1'
check "VM config passes the PF: nothing written" test "$(cat "$PFDIR/sriov_numvfs")" = 0
stop_all

# 1c. No intended count known: the watchdog does nothing for that PF and says so.
fresh notarget
rm "$H/root/etc/sysfs.conf"
start_helper
# shellcheck disable=SC2046,SC2086
start_exporter "$exporter" $WD $(fixture_args "$H") || exit 1
check "no target: blocked with the reason" \
	wait_metric 'gpu_sriov_watchdog_blocked_reason_info{pci_address="0000:00:02.0",reason="no_target"} 1'
stop_all

# 1d. No helper running: blocked, the exporter keeps serving.
fresh nohelper
# shellcheck disable=SC2046,SC2086
start_exporter "$exporter" $WD $(fixture_args "$H") || exit 1
check "no helper: blocked with the reason" \
	wait_metric 'gpu_sriov_watchdog_blocked_reason_info{pci_address="0000:00:02.0",reason="helper_unavailable"} 1'
check "/healthz still ok" sh -c "curl -sf http://127.0.0.1:$PORT/healthz | grep -q ok"
stop_all

# 2. A partial count is never reset.
fresh partial
for i in 0 1 2; do ln -s "../0000:00:02.$((i + 1))" "$PFDIR/virtfn$i"; done
printf '3\n' >"$PFDIR/sriov_numvfs"
start_helper
# shellcheck disable=SC2046,SC2086
start_exporter "$exporter" $WD $(fixture_args "$H") || exit 1
check "partial count: blocked with the reason" \
	wait_metric 'gpu_sriov_watchdog_blocked_reason_info{pci_address="0000:00:02.0",reason="partial_count"} 1'
check "partial count: nothing written" test "$(cat "$PFDIR/sriov_numvfs")" = 3
stop_all

# 3. The PF on vfio-pci (a VM took it): blocked, nothing written.
fresh vfio
rm "$PFDIR/driver" && ln -s ../../../bus/pci/drivers/vfio-pci "$PFDIR/driver"
start_helper
# shellcheck disable=SC2046,SC2086
start_exporter "$exporter" $WD $(fixture_args "$H") || exit 1
check "PF on vfio-pci: blocked with the reason" \
	wait_metric 'gpu_sriov_watchdog_blocked_reason_info{pci_address="0000:00:02.0",reason="pf_driver"} 1'
check "PF on vfio-pci: nothing written" test "$(cat "$PFDIR/sriov_numvfs")" = 0
stop_all

# 4. Dry run: counted as skipped, nothing written.
fresh dry
start_helper
# shellcheck disable=SC2046,SC2086
start_exporter "$exporter" $WD --watchdog.dry-run $(fixture_args "$H") || exit 1
check "dry run: counted as skipped" \
	wait_metric 'gpu_sriov_watchdog_repairs_total{pci_address="0000:00:02.0",result="skipped"} 1'
check "dry run: nothing written" test "$(cat "$PFDIR/sriov_numvfs")" = 0
check "dry run: logged" grep -q 'dry run: would set sriov_numvfs 0 -> 7' "$WORK/exporter.log"
stop_all

# 5. No kernel answers (the write does nothing): failure, backoff, and both survive a restart of
#    the exporter (state file), so a crash loop cannot become a repair loop.
fresh nokernel
start_helper
# shellcheck disable=SC2046,SC2086
start_exporter "$exporter" $WD --watchdog.max-repairs=2 $(fixture_args "$H") || exit 1
check "no VFs after the write: failure counted" \
	wait_metric 'gpu_sriov_watchdog_repairs_total{pci_address="0000:00:02.0",result="failure"} 1'
check "then backoff" wait_metric 'gpu_sriov_watchdog_state{pci_address="0000:00:02.0",state="backoff"} 1'
stop_exporter
printf '0\n' >"$PFDIR/sriov_numvfs"
# shellcheck disable=SC2046,SC2086
start_exporter "$exporter" $WD --watchdog.max-repairs=2 $(fixture_args "$H") || exit 1
check "after a restart the failure is remembered" \
	wait_metric 'gpu_sriov_watchdog_repairs_total{pci_address="0000:00:02.0",result="failure"} 1'
check "and the backoff holds" \
	wait_metric 'gpu_sriov_watchdog_state{pci_address="0000:00:02.0",state="backoff"} 1'
sleep 1.5
check "no write during the backoff" test "$(cat "$PFDIR/sriov_numvfs")" = 0
stop_exporter
# shellcheck disable=SC2046,SC2086
start_exporter "$exporter" $WD --watchdog.max-repairs=1 $(fixture_args "$H") || exit 1
check "budget of 1 already spent: gave up" \
	wait_metric 'gpu_sriov_watchdog_state{pci_address="0000:00:02.0",state="gave_up"} 1'
check "still nothing written" test "$(cat "$PFDIR/sriov_numvfs")" = 0
stop_all

# 6. A torn state file is ignored with a warning, never trusted.
fresh torn
mkdir -p "$H/root/var/lib/gpu-sriov-exporter"
printf 'gpu-sriov-exporter watchdog state 1\npf 0000:00:02.0 window_start=17' \
	>"$H/root/var/lib/gpu-sriov-exporter/watchdog.state"
# shellcheck disable=SC2046,SC2086
start_exporter "$exporter" $WD --watchdog.dry-run $(fixture_args "$H") || exit 1
check "torn state file: warned" wait_for "$WORK/exporter.log" 'torn or not ours'
stop_all

report watchdog
