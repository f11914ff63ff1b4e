#!/bin/sh
# Hostile system data: a copy of the healthy N150 fixture with FIFOs, directories, garbage,
# overflowing numbers, missing newlines and dangling links where attributes should be. The
# exporter must finish promptly, keep every collector successful, skip exactly the bad values,
# log each once, and still report everything that is intact.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -a "$here/../fixtures/host_n150" "$WORK/h"
s="$WORK/h/sys/devices/pci0000:00"
r="$WORK/h/root"

rm "$s/0000:00:02.0/sriov_totalvfs" && mkfifo "$s/0000:00:02.0/sriov_totalvfs"
rm "$s/0000:00:02.3/class" && mkdir "$s/0000:00:02.3/class"
printf '0x03zz00\n' >"$s/0000:00:02.4/class"
printf '99999999999999999999999' >"$s/0000:00:02.0/sriov_drivers_autoprobe"
printf '0x8086' >"$s/0000:00:02.5/vendor" # no newline: fine
rm "$s/0000:00:02.6/driver" && ln -s ../../../bus/pci/drivers/gone "$s/0000:00:02.6/driver"
rm "$WORK/h/sys/kernel/iommu_groups/1/type" && mkfifo "$WORK/h/sys/kernel/iommu_groups/1/type"
printf '\377\376garbage\n' >"$WORK/h/sys/module/i915/parameters/enable_guc"
head -c 70000 /dev/zero | tr '\0' '7' >"$WORK/h/sys/module/i915/parameters/max_vfs"
printf 'devices/pci0000:00/0000:00:02.0/sriov_numvfs = -7\n' >"$r/etc/sysfs.conf"
mkfifo "$r/etc/pve/nodes/pve/qemu-server/999.conf"

# shellcheck disable=SC2046
timeout 20 "$bin" --once $(fixture_args "$WORK/h") >"$WORK/out" 2>"$WORK/log"
rc=$?
check "finishes (no hang on FIFOs) and exits 0" test $rc -eq 0
for c in dkms iommu kernel module proxmox sriov; do
	check "collector $c still succeeds" \
		grep -q "^gpu_sriov_scrape_collector_success{collector=\"$c\"} 1$" "$WORK/out"
done
check "intact values still reported (VF 02.1 on vfio-pci, VM 101)" grep -q \
	'^gpu_sriov_vf_info{pci_address="0000:00:02.1",pf="0000:00:02.0",index="1",driver="vfio-pci",iommu_group="1",vmid="101"} 1$' \
	"$WORK/out"
check "VF count still from virtfn links" \
	grep -q '^gpu_sriov_vfs_enabled{pci_address="0000:00:02.0"} 7$' "$WORK/out"
check "FIFO sriov_totalvfs: no supported value invented" \
	sh -c "! grep -q '^gpu_sriov_vfs_supported' '$WORK/out'"
check "bad expected count: no expected value invented" \
	sh -c "! grep -q '^gpu_sriov_vfs_expected{' '$WORK/out'"
check "VF with a directory as class left out" \
	sh -c "! grep -q 'pci_address=\"0000:00:02.3\"' '$WORK/out'"
check "dangling driver link reads as the driver it names" \
	grep -q 'pci_address="0000:00:02.6",pf="0000:00:02.0",index="6",driver="gone"' "$WORK/out"
check "garbage module parameter not reported" \
	sh -c "! grep -q 'param=\"enable_guc\"' '$WORK/out'"
check "skipped values counted for sriov" \
	sh -c "grep -q '^gpu_sriov_scrape_collector_skipped_values{collector=\"sriov\"} [1-9]' '$WORK/out'"
check "skipped values counted for module" \
	grep -q '^gpu_sriov_scrape_collector_skipped_values{collector="module"} 2$' "$WORK/out"
check "skipped values counted for iommu" \
	grep -q '^gpu_sriov_scrape_collector_skipped_values{collector="iommu"} 1$' "$WORK/out"
check "each bad source logged once" sh -c "
	n=\$(grep -c 'skipping unusable value' '$WORK/log')
	u=\$(grep 'skipping unusable value' '$WORK/log' | sort -u | wc -l)
	[ \$n -gt 5 ] && [ \$n -eq \$u ]"
check "output still passes promtool" sh -c "promtool check metrics <'$WORK/out' >/dev/null 2>&1"
# libpci's cross-check: config space without the SR-IOV capability reads 0; config space cut to
# the 64-byte header (what a non-root reader gets) leaves the series out instead of guessing.
cp -a "$here/../fixtures/host_n150" "$WORK/c"
python3 - "$WORK/c/sys/devices/pci0000:00/0000:00:02.0/config" <<'PY'
import sys
p = sys.argv[1]
c = bytearray(open(p, "rb").read())
c[0x100:0x104] = b"\0\0\0\0"
open(p, "wb").write(c)
PY
# shellcheck disable=SC2046
"$bin" --once $(fixture_args "$WORK/c") >"$WORK/out2" 2>/dev/null
check "PF config space without SR-IOV capability reads 0" grep -q \
	'^gpu_sriov_pf_sriov_capability_present{pci_address="0000:00:02.0"} 0$' "$WORK/out2"
head -c 64 "$here/../fixtures/host_n150/sys/devices/pci0000:00/0000:00:02.0/config" \
	>"$WORK/c/sys/devices/pci0000:00/0000:00:02.0/config"
# shellcheck disable=SC2046
"$bin" --once $(fixture_args "$WORK/c") >"$WORK/out3" 2>/dev/null
check "header-only config space: capability not reported" \
	sh -c "! grep -q '^gpu_sriov_pf_sriov_capability_present' '$WORK/out3'"
check "header-only config space: PF still reported" \
	grep -q '^gpu_sriov_pf_info{pci_address="0000:00:02.0"' "$WORK/out3"
report hostile
