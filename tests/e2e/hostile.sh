#!/bin/sh
# Hostile system data: copies of the healthy N150 fixture with FIFOs, directories, garbage,
# overflowing numbers, missing newlines and dangling links where attributes should be; 1 MiB lines
# and binary bytes (NUL included) in every kind of file the exporter reads, with its peak memory
# measured; symlink loops in sysfs, the DKMS tree and /etc/pve; and a tree whose VFs and files
# come and go while 200 scrapes are served. The exporter must finish promptly, keep every
# collector successful, skip exactly the bad values, log each once, and still report everything
# that is intact.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/hostile_lib.sh"
WORK=$(mktemp -d)
CHURN=""
trap 'stop_exporter; [ -n "$CHURN" ] && kill "$CHURN" 2>/dev/null; rm -rf "$WORK"' EXIT
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
# Timestamps cut off: two identical lines a millisecond apart are still one source logged twice.
check "each bad source logged once" sh -c "
	n=\$(grep -c 'skipping unusable value' '$WORK/log')
	u=\$(grep 'skipping unusable value' '$WORK/log' | sed 's/^ts=[^ ]* //' | sort -u | wc -l)
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

# --- 1 MiB lines, and the memory they may take ------------------------------------------------
# A 1 MiB line in a sysfs attribute, /proc/cmdline, etc/sysfs.conf, a VM config and the DKMS
# tree. The readers' bounds: one read of 4 KiB at most per attribute and for the command line,
# 256 KiB per persistence file, 1 MiB per VM config and 16 MiB for all VM configs together.
L="$WORK/long"
cp -a "$here/../fixtures/host_n150" "$L"
lq="$L/root/etc/pve/nodes/pve/qemu-server"
ldk="$L/root/var/lib/dkms/i915-sriov-dkms"
chars $MiB O >"$L/sys/module/i915/taint"
{ chars $MiB a; echo ' intel_iommu=on'; } >"$L/proc/cmdline"
# Over the 256 KiB cap: sysfs.conf is skipped whole, the drop-in's setting is what counts.
{ chars $MiB x; echo; echo 'devices/pci0000:00/0000:00:02.0/sriov_numvfs = 7'; } \
	>"$L/root/etc/sysfs.conf"
mkdir "$L/root/etc/sysfs.d"
echo 'devices/pci0000:00/0000:00:02.0/sriov_numvfs = 6' >"$L/root/etc/sysfs.d/gpu.conf"
# Under the 1 MiB file cap: the long line alone is skipped and VM 102 still read. Over it: 104
# is skipped whole.
{ printf 'description: '; chars 1000000 d; echo; cat "$lq/102.conf"; } >"$lq/102.new"
mv "$lq/102.new" "$lq/102.conf"
{ echo 'name: toolong'; echo 'hostpci0: 0000:00:02.3'; printf 'description: '; chars $MiB d; echo; } \
	>"$lq/104.conf"
# The DKMS state comes from the tree's shape, never from file contents: dkms.conf and make.log
# are not read. A name cannot be 1 MiB; NAME_MAX (255) is the longest version directory.
{ printf 'PACKAGE_NAME="'; chars $MiB p; echo '"'; } \
	>>"$L/root/usr/src/i915-sriov-dkms-2026.03.05/dkms.conf"
chars $MiB m >"$ldk/2026.03.05/6.17.4-2-pve/x86_64/log/make.log"
mkdir "$ldk/$(chars 255 9)"
# For the memory check: sparse 512 MiB files (no disk used) where a reader that trusted the
# size or read to EOF would hold them whole, and 80 VM configs of 1 MB each (one file, hard
# links) against the 16 MiB total.
truncate -s $((512 * MiB)) "$L/sys/module/i915/parameters/max_vfs" \
	"$L/root/etc/sysfs.d/huge.conf" "$lq/105.conf" \
	"$ldk/2026.03.05/6.14.8-2-pve/x86_64/log/make.log"
{ echo 'name: flood'; yes '# a comment line of 64 bytes, repeated to fill a 1 MB VM config' |
	head -c 999988; } >"$WORK/flood.conf"
i=200
while [ $i -lt 280 ]; do
	ln "$WORK/flood.conf" "$lq/$i.conf"
	i=$((i + 1))
done

once "$L" long
check "long: finishes and exits 0" exited_0 long
check "long: every collector succeeds" all_succeed long
check "long: 1 MiB attribute skipped, logged once (module/i915/taint)" \
	logged_once "$WORK/long.log" module module/i915/taint "File too large"
check "long: out-of-tree flag not invented" lacks long '^gpu_sriov_module_out_of_tree'
check "long: intact module parameter still reported" \
	has long 'gpu_sriov_module_param{module="i915",param="enable_guc"} 3'
check "long: 512 MiB sparse max_vfs skipped" lacks long 'param="max_vfs"'
check "long: module skipped 2" skipped long module 2
check "long: 1 MiB /proc/cmdline skipped, logged once" \
	logged_once "$WORK/long.log" kernel cmdline "File too large"
check "long: no command line parameter invented" lacks long '^gpu_sriov_kernel_cmdline_param_info'
check "long: kernel collector still reports the kernels" \
	grep -q '^gpu_sriov_installed_kernel_info{release="6.17.4-2-pve"' "$WORK/long.out"
check "long: 1 MiB sysfs.conf skipped, logged once" \
	logged_once "$WORK/long.log" sriov etc/sysfs.conf "File too large"
check "long: 512 MiB drop-in skipped, logged once" \
	logged_once "$WORK/long.log" sriov etc/sysfs.d/huge.conf "File too large"
check "long: expected VF count from the intact drop-in" \
	has long 'gpu_sriov_vfs_expected_source_info{pci_address="0000:00:02.0",source="etc/sysfs.d/gpu.conf:1"} 1'
check "long: the 1 MB line of VM 102 skipped, logged once" \
	logged_once "$WORK/long.log" proxmox "etc/pve/qemu-server/102.conf:1" "File too large"
check "long: VM 102 still read past it" \
	has long 'gpu_sriov_vm_hostpci_info{vmid="102",name="win11",hostpci="hostpci0",pci_address="0000:00:02.2",machine="pc-q35-9.0+pve1"} 1'
check "long: VM 101 intact" grep -q '^gpu_sriov_vm_hostpci_info{vmid="101",' "$WORK/long.out"
check "long: VM config over 1 MiB skipped, logged once" \
	logged_once "$WORK/long.log" proxmox etc/pve/qemu-server/104.conf "File too large"
check "long: 512 MiB sparse VM config skipped, logged once" \
	logged_once "$WORK/long.log" proxmox etc/pve/qemu-server/105.conf "File too large"
check "long: VM configs past 16 MiB in all skipped, logged once" logged_once "$WORK/long.log" \
	proxmox "etc/pve/qemu-server: more than 16 MiB of VM configs" "Argument list too long"
check "long: some flood VMs read, not all 80" sh -c "
	n=\$(sed -n 's/^gpu_sriov_vms_configured //p' '$WORK/long.out')
	[ \"\$n\" -gt 2 ] && [ \"\$n\" -lt 82 ]"
check "long: 255-byte version directory without source skipped, logged once" \
	grep -q "collector=dkms msg=\"skipping unusable value from var/lib/dkms/i915-sriov-dkms/$(chars 255 9)/source: absent" "$WORK/long.log"
check "long: dkms skipped exactly that one" skipped long dkms 1
check "long: DKMS states unchanged (installed for both kernels)" sh -c "
	grep -c '^gpu_sriov_dkms_module_state{.*state=\"installed\"} 1$' '$WORK/long.out' | grep -qx 2"
check "long: VF 02.1 intact" grep -q \
	'^gpu_sriov_vf_info{pci_address="0000:00:02.1",pf="0000:00:02.0",index="1",driver="vfio-pci",iommu_group="1",vmid="101"} 1$' \
	"$WORK/long.out"
check "long: no source logged twice" no_repeats "$WORK/long.log"
check "long: output passes promtool" promtool_ok long

# The same tree served: three scrapes, then the peak resident set (VmHWM). The intact fixture
# peaks at about 6 MiB (libraries, libpci's ID database, one scrape's exposition). What the
# bounded readers may add at once is about 18 MiB (16 MiB of VM configs, 1 MiB of PCI mappings,
# 256 KiB per persistence file, small attribute buffers). 64 MiB is twice that sum with room for
# allocator and per-thread variance, and far below what any one unbounded reader would take
# here: each sparse file is 512 MiB, and the 80 VM configs alone are 80 MB.
# shellcheck disable=SC2046
if start_exporter "$bin" $(fixture_args "$L"); then
	codes=""
	for i in 1 2 3; do
		codes="$codes $(curl -s -o "$WORK/long.http" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")"
	done
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$PID/status")
	stop_exporter
	check "long, served: three scrapes answered 200" test "$codes" = " 200 200 200"
	# AddressSanitizer's shadow memory and quarantine are RSS too: no ceiling for such a build.
	if ldd "$bin" 2>/dev/null | grep -q libasan; then
		echo "skip long, served: peak RSS ${hwm} KiB (AddressSanitizer build, no ceiling)"
	else
		check "long, served: peak RSS ${hwm} KiB below 64 MiB" test "$hwm" -lt 65536
	fi
	check "long, served: nothing logged twice over three scrapes" no_repeats "$WORK/exporter.log"
else
	check "long, served: exporter starts" false
fi

# --- Binary bytes, NUL included ---------------------------------------------------------------
# A NUL makes a sysfs value unusable (nothing after it may be silently lost); a NUL line in a
# config file is skipped alone; other bytes that are not UTF-8 reach labels only as U+FFFD.
B="$WORK/binary"
cp -a "$here/../fixtures/host_n150" "$B"
bq="$B/root/etc/pve/nodes/pve/qemu-server"
printf '0x03\0000\n' >"$B/sys/devices/pci0000:00/0000:00:02.5/class"
printf 'DMA\0FQ\n' >"$B/sys/kernel/iommu_groups/2/type"
printf 'quiet \0 intel_iommu=off iommu=pt\n' >"$B/proc/cmdline"
mkdir "$B/root/etc/sysfs.d"
printf '# \0\377\ndevices/pci0000:00/0000:00:02.0/sriov_numvfs = 6\n' >"$B/root/etc/sysfs.d/gpu.conf"
printf 'name: caf\303\251-\377\376\nbogus\0line: x\nhostpci0: 0000:00:02.3,pcie=1\n' >"$bq/103.conf"
mkdir "$B/root/var/lib/dkms/i915-sriov-dkms/$(printf '\377\376')"
printf 'PACKAGE_NAME="\0\377"\n' >>"$B/root/usr/src/i915-sriov-dkms-2026.03.05/dkms.conf"

once "$B" binary
check "binary: finishes and exits 0" exited_0 binary
check "binary: every collector succeeds" all_succeed binary
check "binary: class with a NUL skipped, logged once" logged_once "$WORK/binary.log" sriov \
	"bus/pci/devices/0000:00:02.5/class" "Invalid argument"
check "binary: VF 02.5 left out" lacks binary '^gpu_sriov_vf_info{pci_address="0000:00:02.5"'
check "binary: IOMMU type with a NUL skipped, logged once" logged_once "$WORK/binary.log" iommu \
	kernel/iommu_groups/2/type "Invalid argument"
check "binary: no type invented from the part before the NUL" lacks binary 'type="DMA"'
check "binary: intact IOMMU type still reported" \
	has binary 'gpu_sriov_iommu_default_domain_info{type="identity"} 1'
check "binary: command line with a NUL skipped, logged once" \
	logged_once "$WORK/binary.log" kernel cmdline "Invalid argument"
check "binary: no command line parameter from either side of the NUL" \
	lacks binary '^gpu_sriov_kernel_cmdline_param_info'
check "binary: NUL line of a drop-in skipped, logged once" \
	logged_once "$WORK/binary.log" sriov etc/sysfs.d/gpu.conf:1 "Invalid argument"
check "binary: the line after the NUL still read" \
	has binary 'gpu_sriov_vfs_expected{pci_address="0000:00:02.0"} 6'
check "binary: NUL line of a VM config skipped, logged once" \
	logged_once "$WORK/binary.log" proxmox "etc/pve/qemu-server/103.conf:2" "Invalid argument"
check "binary: VM name reported with U+FFFD for the bytes that are not UTF-8" has binary \
	"$(printf 'gpu_sriov_vm_hostpci_info{vmid="103",name="caf\303\251-\357\277\275\357\277\275",hostpci="hostpci0",pci_address="0000:00:02.3",machine="i440fx"} 1')"
check "binary: version directory with a binary name skipped, logged once" \
	logged_once "$WORK/binary.log" dkms \
	"var/lib/dkms/i915-sriov-dkms: an entry that is not a version" "Invalid argument"
check "binary: DKMS states unchanged" sh -c "
	grep -c '^gpu_sriov_dkms_module_state{.*state=\"installed\"} 1$' '$WORK/binary.out' | grep -qx 2"
check "binary: no source logged twice" no_repeats "$WORK/binary.log"
check "binary: output is valid UTF-8" utf8_ok binary
check "binary: output passes promtool" promtool_ok binary

# --- Symlink loops ----------------------------------------------------------------------------
# Every loop must end in ELOOP (or be read as link text, never followed): no hang, no recursion,
# one log line per loop, the rest reported.
S="$WORK/loops"
cp -a "$here/../fixtures/host_n150" "$S"
ss="$S/sys/devices/pci0000:00"
sdk="$S/root/var/lib/dkms/i915-sriov-dkms"
sq="$S/root/etc/pve/nodes/pve/qemu-server"
ln -sfn driver "$ss/0000:00:02.4/driver"
ln -sfn iommu_group "$ss/0000:00:02.5/iommu_group"
# Group 3 (VF 02.3's) a link to itself, and a device entry that is one.
rm -r "$S/sys/kernel/iommu_groups/3" && ln -s 3 "$S/sys/kernel/iommu_groups/3"
ln -s 0000:00:03.0 "$S/sys/bus/pci/devices/0000:00:03.0"
# DKMS: a source link to itself; directories that lead back up (a walker that followed links
# would go round forever): a kernel dir and a version dir that are their own parent, a link
# under module/ to the arch dir, a kernel link to itself.
mkdir "$sdk/2026.04.01" && ln -s source "$sdk/2026.04.01/source"
ln -s . "$sdk/2026.03.05/6.99.0-loop"
ln -s . "$sdk/9.9"
ln -s .. "$sdk/2026.03.05/6.17.4-2-pve/x86_64/module/up"
ln -s kernel-6.99.0-x86_64 "$sdk/kernel-6.99.0-x86_64"
# /etc/pve: a config that is a link to itself, two that point at each other, a directory loop.
ln -s 103.conf "$sq/103.conf"
ln -s 105.conf "$sq/104.conf"
ln -s 104.conf "$sq/105.conf"
ln -s .. "$sq/up"

once "$S" loops
check "loops: finishes (no hang, no recursion) and exits 0" exited_0 loops
check "loops: every collector succeeds" all_succeed loops
check "loops: driver -> driver logged once" logged_once "$WORK/loops.log" sriov \
	"bus/pci/devices/0000:00:02.4/driver" "Too many levels of symbolic links"
check "loops: ... and names no driver (not \"driver\")" \
	grep -q '^gpu_sriov_vf_info{pci_address="0000:00:02.4",pf="0000:00:02.0",index="4",driver="",iommu_group="4",' "$WORK/loops.out"
check "loops: iommu_group -> iommu_group logged once" logged_once "$WORK/loops.log" sriov \
	"bus/pci/devices/0000:00:02.5/iommu_group" "Invalid argument"
check "loops: ... and gives no group" \
	grep -q '^gpu_sriov_vf_info{pci_address="0000:00:02.5",.*,iommu_group="",' "$WORK/loops.out"
check "loops: looping IOMMU group logged once by iommu" logged_once "$WORK/loops.log" iommu \
	kernel/iommu_groups/3/devices "Too many levels of symbolic links"
check "loops: ... and by sriov" logged_once "$WORK/loops.log" sriov \
	kernel/iommu_groups/3/devices "Too many levels of symbolic links"
check "loops: ... not counted as a group" has loops 'gpu_sriov_iommu_groups 11'
check "loops: ... and no group size invented for its VF" \
	lacks loops '^gpu_sriov_device_iommu_group_size{pci_address="0000:00:02.3"}'
check "loops: intact group sizes still reported" \
	has loops 'gpu_sriov_device_iommu_group_size{pci_address="0000:00:02.2"} 1'
check "loops: looping device entry logged once" logged_once "$WORK/loops.log" sriov \
	"bus/pci/devices/0000:00:03.0/" "Too many levels of symbolic links"
check "loops: DKMS source -> source logged once" logged_once "$WORK/loops.log" dkms \
	"var/lib/dkms/i915-sriov-dkms/2026.04.01/source: symlink loop" "Too many levels of symbolic links"
check "loops: ... and reads as not present" \
	has loops 'gpu_sriov_dkms_source_present{module="i915-sriov-dkms",version="2026.04.01"} 0'
check "loops: DKMS kernel dir leading back up logged once" logged_once "$WORK/loops.log" dkms \
	"var/lib/dkms/i915-sriov-dkms/2026.03.05/6.99.0-loop: not a kernel directory" "Not a directory"
check "loops: DKMS version dir leading back up logged once" logged_once "$WORK/loops.log" dkms \
	"var/lib/dkms/i915-sriov-dkms/9.9: not a version directory" "Not a directory"
check "loops: DKMS kernel link to itself logged once" logged_once "$WORK/loops.log" dkms \
	"var/lib/dkms/i915-sriov-dkms/kernel-6.99.0-x86_64: dangling link" "Too many levels of symbolic links"
check "loops: dkms skipped exactly those four" skipped loops dkms 4
check "loops: DKMS states unchanged" sh -c "
	grep -c '^gpu_sriov_dkms_module_state{.*state=\"installed\"} 1$' '$WORK/loops.out' | grep -qx 2"
for v in 103 104 105; do
	check "loops: VM config $v.conf loop logged once" logged_once "$WORK/loops.log" proxmox \
		"etc/pve/qemu-server/$v.conf" "Too many levels of symbolic links"
done
check "loops: VMs 101 and 102 intact" has loops 'gpu_sriov_vms_configured 2'
check "loops: no source logged twice" no_repeats "$WORK/loops.log"
check "loops: output passes promtool" promtool_ok loops

# --- Churn while serving ----------------------------------------------------------------------
# VFs and files come and go while 200 scrapes are served: sriov_numvfs lowered and raised (the
# kernel removes the PF's virtfn links, the bus links, the VF directories and their IOMMU groups,
# then adds them back), a VM config created and removed, a DKMS build directory removed and put
# back. Every scrape must answer 200 with every collector succeeding; some are linted by promtool.
R="$WORK/race"
cp -a "$here/../fixtures/host_n150" "$R"
rpf="$R/sys/devices/pci0000:00"
rq="$R/root/etc/pve/nodes/pve/qemu-server"
rk="$R/root/var/lib/dkms/i915-sriov-dkms/2026.03.05"
mkdir "$WORK/parked"
churn() {
	n=0
	while [ ! -e "$WORK/stop" ]; do
		for f in 4 5 6 7; do
			rm -f "$rpf/0000:00:02.0/virtfn$((f - 1))" "$R/sys/bus/pci/devices/0000:00:02.$f"
			mv "$rpf/0000:00:02.$f" "$WORK/parked/dev$f"
			mv "$R/sys/kernel/iommu_groups/$f" "$WORK/parked/group$f"
		done
		printf 'name: churn\nhostpci0: 0000:00:02.4\n' >"$rq/150.conf"
		mv "$rk/6.17.4-2-pve" "$WORK/parked/build"
		for f in 4 5 6 7; do
			mv "$WORK/parked/group$f" "$R/sys/kernel/iommu_groups/$f"
			mv "$WORK/parked/dev$f" "$rpf/0000:00:02.$f"
			ln -s "../../../devices/pci0000:00/0000:00:02.$f" "$R/sys/bus/pci/devices/0000:00:02.$f"
			ln -s "../0000:00:02.$f" "$rpf/0000:00:02.0/virtfn$((f - 1))"
		done
		rm -f "$rq/150.conf"
		mv "$WORK/parked/build" "$rk/6.17.4-2-pve"
		n=$((n + 1))
		echo $n >"$WORK/churns"
	done
}
# shellcheck disable=SC2046
if start_exporter "$bin" $(fixture_args "$R"); then
	churn &
	CHURN=$!
	not_200=0 failing=0 lint=0 partial=0 full=0 i=0
	while [ $i -lt 200 ]; do
		code=$(curl -s -o "$WORK/race.out" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
		[ "$code" = 200 ] || not_200=$((not_200 + 1))
		if ! all_succeed race; then
			failing=$((failing + 1))
			cp "$WORK/race.out" "$WORK/race.failing"
		fi
		if [ $((i % 20)) -eq 0 ] && ! promtool_ok race; then
			lint=$((lint + 1))
		fi
		# Whether this scrape saw the VFs away or back: the churn must really have raced.
		if [ "$(grep -c '^gpu_sriov_vf_info{' "$WORK/race.out")" -lt 7 ]; then
			partial=$((partial + 1))
		else
			full=$((full + 1))
		fi
		i=$((i + 1))
	done
	: >"$WORK/stop"
	wait "$CHURN"
	CHURN=""
	check "race: all 200 scrapes answered 200" test $not_200 -eq 0
	check "race: every collector succeeded in every scrape" test $failing -eq 0
	check "race: 10 scrapes pass promtool" test $lint -eq 0
	check "race: the churn ran ($(cat "$WORK/churns") rounds) and scrapes saw VFs both away ($partial) and back ($full)" \
		test $partial -gt 0 -a $full -gt 0
	check "race: exporter still alive" kill -0 "$PID"
	check "race: no collector failure or bug logged" sh -c "! grep -q 'failed\|bug:' '$WORK/exporter.log'"
	stop_exporter
else
	check "race: exporter starts" false
fi

report hostile
