#!/bin/sh
# GPU collectors over time, against a live exporter on a writable copy of the N150 fixture:
# kernel log records appended after start are counted (older ones are not), RC6's u32 counter
# wrapping keeps the exported counter monotonic, and a render node vanishing and coming back is
# seen by the next scrape.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
WORK=$(mktemp -d)
trap 'stop_exporter; rm -rf "$WORK"' EXIT
cp -a "$here/../fixtures/host_n150" "$WORK/h"
make_devices "$WORK/h" || { echo "FAIL: mknod needs root"; exit 1; }
kmsg="$WORK/h/root/dev/kmsg"
card="$WORK/h/sys/devices/pci0000:00/0000:00:02.0/drm/card0"

# shellcheck disable=SC2046
start_exporter "$bin" $(fixture_args "$WORK/h") || exit 1
scrape() { curl -sf "http://127.0.0.1:$PORT/metrics" >"$WORK/m"; }
has() { grep -q "^$1\$" "$WORK/m"; }

scrape
check "records logged before start are not counted" \
	has 'gpu_sriov_kernel_events_total{event="vfs_enabled",pci_address="0000:00:02.0"} 0'
check "kernel log readable" has 'gpu_sriov_kernel_log_readable 1'

cat >>"$kmsg" <<'K'
6,1301,9001234,-;i915 0000:00:02.0: Disabled 7 VFs
 SUBSYSTEM=pci
 DEVICE=+pci:0000:00:02.0
4,1302,9101234,-;i915: unknown parameter 'max_vfs' ignored
3,1303,9201234,-;i915 0000:00:02.0: [drm] GPU HANG: ecode 12:1:85dffffb, in ffmpeg [4242]
3,1304,9301234,-;i915 0000:00:02.0: [drm] GPU HANG: ecode 12:1:85dffffb, in ffmpeg [4242]
3,1310,9401234,-;DMAR: DRHD: handling fault status reg 3
6,1311,9501234,-;usb 1-1: Enabled interface 0
K
scrape
check "VFs disabled counted for the PF" \
	has 'gpu_sriov_kernel_events_total{event="vfs_disabled",pci_address="0000:00:02.0"} 1'
check "stock i915 counted without an address" \
	has 'gpu_sriov_kernel_events_total{event="max_vfs_ignored",pci_address=""} 1'
check "two hangs counted" \
	has 'gpu_sriov_kernel_events_total{event="gpu_hang",pci_address="0000:00:02.0"} 2'
check "IOMMU fault counted" has 'gpu_sriov_kernel_events_total{event="dmar_fault",pci_address=""} 1'
check "unrelated 'Enabled' not counted" \
	has 'gpu_sriov_kernel_events_total{event="vfs_enabled",pci_address="0000:00:02.0"} 0'
check "sequence gap 1305-1309 counted as lost" has 'gpu_sriov_kernel_log_lost_records_total 5'
scrape
check "counts stay (no double counting)" \
	has 'gpu_sriov_kernel_events_total{event="gpu_hang",pci_address="0000:00:02.0"} 2'

# RC6: u32 milliseconds wrap after ~49.7 days; the counter must keep growing.
printf '4294967000\n' >"$card/gt/gt0/rc6_residency_ms"
scrape
check "rc6 before the wrap" has 'gpu_sriov_rc6_residency_seconds_total{pci_address="0000:00:02.0"} 4294967'
printf '704\n' >"$card/gt/gt0/rc6_residency_ms"
scrape
check "rc6 after the wrap keeps counting (2^32 ms + 704 ms)" \
	has 'gpu_sriov_rc6_residency_seconds_total{pci_address="0000:00:02.0"} 4294968'

# The render node vanishes (driver reload in progress), then comes back.
mv "$WORK/h/sys/devices/pci0000:00/0000:00:02.0/drm/renderD128" "$WORK/renderD128.saved"
scrape
check "vanished render node: count drops to 5" has 'gpu_sriov_render_nodes 5'
check "vanished render node: no series for it" \
	sh -c "! grep -q 'render_node=\"renderD128\",pci_address=\"0000:00:02.0\"} 1' '$WORK/m'"
mv "$WORK/renderD128.saved" "$WORK/h/sys/devices/pci0000:00/0000:00:02.0/drm/renderD128"
rm "$WORK/h/root/dev/dri/renderD128"
scrape
check "sysfs node without /dev node: not present" \
	has 'gpu_sriov_render_node_present{render_node="renderD128",pci_address="0000:00:02.0"} 0'
check "and the reason is ENOENT" \
	has 'gpu_sriov_render_node_open_error_info{render_node="renderD128",pci_address="0000:00:02.0",error="ENOENT"} 1'
mknod "$WORK/h/root/dev/dri/renderD128" c 226 128
scrape
check "back: present again" has 'gpu_sriov_render_nodes 6'
# A /dev node with the wrong numbers is not the render node.
rm "$WORK/h/root/dev/dri/renderD128" && mknod "$WORK/h/root/dev/dri/renderD128" c 226 129
scrape
check "wrong device numbers: not present" \
	has 'gpu_sriov_render_node_present{render_node="renderD128",pci_address="0000:00:02.0"} 0'
# A captured hang in the error state file.
printf 'Kernel: 6.17.4-2-pve\nTime: 1772400000.000000\n' >"$card/error"
scrape
check "captured hang reported" has 'gpu_sriov_error_state_present{pci_address="0000:00:02.0"} 1'

# What the drm collector remembers per card (engines, which files exist, kept descriptors)
# must not hide changes: a value rewritten in place is read on the next scrape ...
printf '1300\n' >"$card/gt/gt0/rps_act_freq_mhz"
scrape
check "frequency change seen by the next scrape (kept descriptor)" \
	has 'gpu_sriov_gpu_frequency_hertz{pci_address="0000:00:02.0",kind="actual"} 1300000000'
# ... and a card that is registered again (driver rebound: a new directory entry) is read afresh,
# here with one engine fewer. cp, not mv, so the new entry has a new inode.
cp -a "$card" "$card.new" && rm -rf "$card/engine/vcs0" "$card.new/engine/vcs0" && rm -rf "$card" &&
	mv "$card.new" "$card"
scrape
check "re-registered card: engines read again" \
	sh -c "! grep -q 'gpu_sriov_engine_info{pci_address=\"0000:00:02.0\",engine=\"vcs0\"' '$WORK/m'"
check "re-registered card: the other engines still there" \
	has 'gpu_sriov_engine_info{pci_address="0000:00:02.0",engine="rcs0",class="render",instance="0"} 1'
# The card unregistered (driver unbound): no card series left behind.
mv "$card" "$WORK/card0.saved"
scrape
check "unregistered card: no frequency series left" \
	sh -c "! grep -q 'gpu_sriov_gpu_frequency_hertz{pci_address=\"0000:00:02.0\"' '$WORK/m'"
stop_exporter
report gpu
