#!/bin/sh
# Real-kernel integration test: boots the Debian 12 kernel under QEMU (TCG) on a q35 machine with
# an Intel IOMMU, two SR-IOV NVMe controllers and a virtio-gpu, and runs the real exporter and
# helper inside it (tests/vm/init, tests/vm/checks.sh).
# Usage: tests/vm/run.sh EXPORTER HELPER
# Environment: VM_KVER (e.g. 6.1.0-56-amd64; default: the newest the apt lists know),
# VM_TIMEOUT (seconds, default 170), VM_KEEP=1 keeps build/vm/out after success.
# The guest prints `PASS <name>`, `FAIL <name>: <why>`, `SKIP <name>: <why>` and a final
# `END <passed> <failed>` on its second serial port; the kernel console goes to the first.
set -eu

EXPORTER=${1:-build/gpu_sriov_exporter}
HELPER=${2:-build/gpu_sriov_helper}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
VM=${VM_DIR:-$TOP/build/vm}
OUT=$VM/out
TIMEOUT=${VM_TIMEOUT:-170}
t0=$(date +%s)

die() { echo "vm: $*" >&2; echo "vm: 0 passed, 1 failed"; exit 1; }
for t in qemu-system-x86_64 cpio gzip depmod modprobe dpkg apt-get; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing (make deps installs qemu-system-x86 busybox-static kmod cpio)"
done
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] && file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	BUSYBOX=$(dpkg -L busybox-static 2>/dev/null | grep '/busybox$' | head -n 1)
[ -n "$BUSYBOX" ] && [ -x "$BUSYBOX" ] || die "busybox-static missing"
[ -x "$EXPORTER" ] && [ -x "$HELPER" ] || die "build the exporter and helper first (make all)"
mkdir -p "$VM"

# 1. The kernel: a Debian package, downloaded once into build/vm/ and unpacked there (dpkg -x).
if [ -z "${VM_KVER:-}" ]; then
	VM_KVER=$(ls "$VM"/linux-image-6.1.0-*-amd64_*.deb 2>/dev/null | sed -n 's|.*/linux-image-\(6\.1\.0-[0-9]*-amd64\)_.*|\1|p' |
		sort -V | tail -n 1)
fi
if [ -z "$VM_KVER" ]; then
	[ -n "$(ls /var/lib/apt/lists/*_Packages* 2>/dev/null)" ] || apt-get update -qq ||
		die "apt-get update failed"
	VM_KVER=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | awk '{print $1}' |
		sed 's/^linux-image-//' | sort -V | tail -n 1)
	[ -n "$VM_KVER" ] || die "no linux-image-6.1.0-NN-amd64 in the apt lists"
fi
deb=$(ls "$VM"/linux-image-"$VM_KVER"_*.deb 2>/dev/null | tail -n 1 || true)
td=$(date +%s)
if [ -z "$deb" ]; then
	echo "vm: downloading linux-image-$VM_KVER"
	(cd "$VM" && apt-get download -q "linux-image-$VM_KVER" 2>&1 | grep -v '^W: Download is performed unsandboxed') ||
		true
	deb=$(ls "$VM"/linux-image-"$VM_KVER"_*.deb 2>/dev/null | tail -n 1 || true)
	[ -n "$deb" ] || die "apt-get download linux-image-$VM_KVER failed"
fi
KROOT=$VM/kernel-$VM_KVER
if [ ! -f "$KROOT/.unpacked" ]; then
	rm -rf "$KROOT"
	dpkg -x "$deb" "$KROOT"
	depmod -b "$KROOT" "$VM_KVER" || die "depmod of the unpacked kernel failed"
	touch "$KROOT/.unpacked"
fi
tk=$(date +%s)
echo "vm: kernel package ready in $((tk - td))s"
KERNEL=$KROOT/boot/vmlinuz-$VM_KVER
[ -f "$KERNEL" ] || die "no $KERNEL"

# 2. The initramfs: busybox, the modules (with their dependencies, in load order), the binaries
# and the shared libraries ldd lists for them, and the guest scripts.
rm -rf "$OUT"
mkdir -p "$OUT"
IR=$OUT/initramfs
mkdir -p "$IR/bin" "$IR/sbin" "$IR/dev" "$IR/proc" "$IR/sys" "$IR/run" "$IR/tmp" "$IR/etc" \
	"$IR/var/lib/gpu-sriov-exporter" "$IR/lib/modules/$VM_KVER" "$IR/test"
cp "$BUSYBOX" "$IR/bin/busybox"
for m in nvme vfio-pci virtio_pci virtio-gpu; do
	modprobe -d "$KROOT" -S "$VM_KVER" --show-depends "$m" || die "modprobe --show-depends $m failed"
done >"$OUT/modules.txt"
awk '$1 == "insmod" { print $2 }' "$OUT/modules.txt" | awk '!seen[$0]++' >"$OUT/modules.order"
while read -r ko; do
	rel=${ko#"$KROOT"/lib/modules/"$VM_KVER"/}
	mkdir -p "$IR/lib/modules/$VM_KVER/$(dirname "$rel")"
	cp "$ko" "$IR/lib/modules/$VM_KVER/$rel"
	echo "$rel" >>"$IR/test/modules.order"
done <"$OUT/modules.order"
cp "$KROOT/lib/modules/$VM_KVER/modules.order" "$KROOT/lib/modules/$VM_KVER/modules.builtin"* \
	"$IR/lib/modules/$VM_KVER/" 2>/dev/null || true
depmod -b "$IR" "$VM_KVER" || die "depmod failed"

cc_helperctl() {
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra "$HERE/helperctl.c" \
		"$(dirname "$EXPORTER")/libexporter.a" -lsystemd -o "$IR/bin/helperctl"
}
cc_helperctl || die "building tests/vm/helperctl.c failed"
cp "$EXPORTER" "$IR/bin/gpu_sriov_exporter"
cp "$HELPER" "$IR/bin/gpu_sriov_helper"
for b in "$IR/bin/gpu_sriov_exporter" "$IR/bin/gpu_sriov_helper" "$IR/bin/helperctl"; do
	ldd "$b" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'
done | sort -u | while read -r lib; do
	mkdir -p "$IR$(dirname "$lib")"
	cp -L "$lib" "$IR$lib"
done
# The loader also where usrmerge puts it, whichever path the binaries name.
[ -e "$IR/lib64/ld-linux-x86-64.so.2" ] || { mkdir -p "$IR/lib64" && cp -L /lib64/ld-linux-x86-64.so.2 "$IR/lib64/"; }
[ -f /usr/share/misc/pci.ids ] && mkdir -p "$IR/usr/share/misc" && cp /usr/share/misc/pci.ids "$IR/usr/share/misc/"
printf 'root:x:0:0:root:/:/bin/sh\n' >"$IR/etc/passwd"
printf 'root:x:0:\nrender:x:105:\n' >"$IR/etc/group"
cp "$HERE/init" "$IR/init"
cp "$HERE/checks.sh" "$IR/test/checks.sh"
chmod 0755 "$IR/init" "$IR/test/checks.sh"
(cd "$IR" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT/initrd.cpio.gz"
tb=$(date +%s)
echo "vm: initramfs $(du -k "$OUT/initrd.cpio.gz" | cut -f1) KiB built in $((tb - tk))s"

# 3. The machine. Two NVMe PFs with SR-IOV, each behind its own root port and subsystem.
QVER=$(qemu-system-x86_64 --version | head -n 1)
echo "vm: kernel $VM_KVER ($(basename "$deb")); $QVER"
set +e
: >"$OUT/results.log"
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -M q35,kernel-irqchip=split -m 1024 -smp "${VM_SMP:-1}" \
	-display none -no-reboot -monitor none \
	-serial "file:$OUT/console.log" -serial "file:$OUT/results.log" \
	-kernel "$KERNEL" -initrd "$OUT/initrd.cpio.gz" \
	-append "console=ttyS0 panic=-1 loglevel=4 intel_iommu=on" \
	-device intel-iommu,intremap=on,caching-mode=on \
	-device pcie-root-port,id=rp1,chassis=1,slot=1 \
	-device pcie-root-port,id=rp2,chassis=2,slot=2 \
	-device nvme-subsys,id=subsys0 -device nvme-subsys,id=subsys1 \
	-device nvme,serial=vmtest0,subsys=subsys0,sriov_max_vfs=7,sriov_vq_flexible=14,sriov_vi_flexible=7,bus=rp1 \
	-device nvme,serial=vmtest1,subsys=subsys1,sriov_max_vfs=7,sriov_vq_flexible=14,sriov_vi_flexible=7,bus=rp2 \
	-device virtio-gpu-pci >"$OUT/qemu.log" 2>&1
qrc=$?
set -e
# The guest's tty turns \n into \r\n.
tr -d '\r' <"$OUT/results.log" >"$OUT/results.txt"
mv "$OUT/results.txt" "$OUT/results.log"
tq=$(date +%s)

# 4. The verdict: every result line counts; FAIL, no END, a disagreeing END or a timeout fail.
passed=$(grep -c '^PASS ' "$OUT/results.log" 2>/dev/null || true)
failed=$(grep -c '^FAIL ' "$OUT/results.log" 2>/dev/null || true)
grep -E '^(PASS|FAIL|SKIP|INFO) ' "$OUT/results.log" 2>/dev/null | sed 's/^/  /' || true
bad=""
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	bad="timeout after ${TIMEOUT}s"
	failed=$((failed + 1))
elif [ "$qrc" -ne 0 ]; then
	bad="qemu exited with $qrc: $(tail -n 3 "$OUT/qemu.log")"
	failed=$((failed + 1))
fi
end=$(grep '^END ' "$OUT/results.log" 2>/dev/null | tail -n 1 || true)
if [ -z "$end" ]; then
	bad="${bad:+$bad; }no END marker"
	failed=$((failed + 1))
elif [ "$end" != "END $passed $(grep -c '^FAIL ' "$OUT/results.log")" ]; then
	bad="${bad:+$bad; }END line '$end' disagrees with the result lines"
	failed=$((failed + 1))
fi
echo "vm: boot+checks $((tq - tb))s, total $((tq - t0))s"
# The watchdog's reaction time for make bench (tests/bench/bench.sh), kept only from a run that
# measured it.
rm -f "$VM/watchdog_reaction.txt"
if grep -q '^INFO watchdog_reaction .*reaction_ms=' "$OUT/results.log" 2>/dev/null; then
	{
		echo "# make test-vm, kernel $VM_KVER under QEMU/TCG, $(date -u +%Y-%m-%dT%H:%MZ)"
		sed -n 's/^INFO watchdog_reaction //p' "$OUT/results.log"
	} >"$VM/watchdog_reaction.txt"
fi
if [ -n "$bad" ] || [ "$failed" -ne 0 ]; then
	[ -n "$bad" ] && echo "vm: $bad"
	echo "vm: console tail ($OUT/console.log):"
	tail -n 40 "$OUT/console.log" | sed 's/^/  | /'
	echo "vm: $passed passed, $failed failed"
	exit 1
fi
[ -n "${VM_KEEP:-}" ] || rm -rf "$IR"
echo "vm: $passed passed, $failed failed"
