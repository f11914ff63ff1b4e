#!/bin/sh
# The common alternative to this exporter, as a user writes it: a cron job or timer that runs
# `dkms status`, reads each PF's sriov_numvfs, lists /dev/dri and leaves a .prom file for
# node_exporter's textfile collector (written to a temporary file and renamed, so node_exporter
# never reads half a file). tests/bench/bench.sh times one refresh of it against one scrape.
#
# Usage: textfile_alternative.sh OUTPUT.prom [SYSFS ROOTFS]
# SYSFS and ROOTFS (default /sys and /) let the benchmark point it at a fixture tree; dkms gets the
# trees below ROOTFS through --dkmstree/--sourcetree/--installtree, as tests/e2e/dkms_compare.sh.
set -eu
out=$1
sys=${2:-/sys}
root=${3:-/}
PATH=$PATH:/usr/sbin:/sbin
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT

{
	echo "# HELP sriov_dkms_status 1 for each module, kernel and state dkms status reports."
	echo "# TYPE sriov_dkms_status gauge"
	# "i915-sriov-dkms/2026.03.05, 6.17.4-2-pve, x86_64: installed" (dkms 3.0.x)
	dkms status --dkmstree "$root/var/lib/dkms" --sourcetree "$root/usr/src" \
		--installtree "$root/lib/modules" 2>/dev/null |
		sed -n 's|^\([^/]*\)/\([^,]*\), \([^,]*\), \([^:]*\): \([a-z]*\).*|sriov_dkms_status{module="\1",version="\2",kernel="\3",arch="\4",state="\5"} 1|p'
	echo "# HELP sriov_numvfs VFs enabled on each SR-IOV PF (sriov_numvfs)."
	echo "# TYPE sriov_numvfs gauge"
	for f in "$sys"/bus/pci/devices/*/sriov_numvfs; do
		[ -e "$f" ] || continue
		bdf=$(basename "$(dirname "$f")")
		echo "sriov_numvfs{pci_address=\"$bdf\"} $(cat "$f")"
	done
	echo "# HELP sriov_render_nodes Render nodes in /dev/dri."
	echo "# TYPE sriov_render_nodes gauge"
	# shellcheck disable=SC2010 # ls, as such scripts do; the names are the kernel's
	echo "sriov_render_nodes $(ls "$root/dev/dri" 2>/dev/null | grep -c '^renderD' || true)"
} >"$tmp"
mv "$tmp" "$out"
trap - EXIT
