#!/usr/bin/env python3
"""Builds the large host fixture of `make bench` (generated, never checked in): a Proxmox VDI host
with 4 discrete Intel GPUs (Data Center GPU Flex, i915-sriov-dkms), each with 63 VFs enabled
(48 on vfio-pci for VMs, 15 on i915 with DRM nodes, so card0..63 and renderD128..191: the 64 DRM
minors of each kind the kernel hands out), 3 DKMS modules on 6 installed kernels, 192 VM configs,
and 2,000 processes of which 200 hold DRM fds on the host's render nodes.

The layout comes from tests/fixtures/generate.py (the same Host class that builds host_n150), so
it is laid out as sysfs, procfs and DKMS lay it out: relative links, VFs beside their PF at the
routing IDs of an ARI device (03:00.1..03:07.7), one IOMMU group per function.

Usage: gen_large.py OUTDIR   (e.g. build/bench/large; OUTDIR is replaced)"""
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import generate as g  # noqa: E402

FLEX = 0x56C0  # Data Center GPU Flex 170
VFS = 63
VFIO_VFS = 48  # per PF; the other 15 stay on i915 on the host
PFS = [("0000:00:01.0", "0000:03:00.0"), ("0000:00:03.0", "0000:23:00.0"),
       ("0000:00:05.0", "0000:43:00.0"), ("0000:00:07.0", "0000:63:00.0")]
RUNNING = "6.17.4-2-pve"
KERNELS = ["6.8.12-4-pve", "6.8.12-11-pve", "6.14.8-2-pve", "6.17.2-1-pve", "6.17.4-1-pve",
           RUNNING]
PROCESSES = 2000
DRM_PROCESSES = 200
KTHREADS = 300  # kernel threads: a proc directory with an empty fd/

PCI_IDS = """# Fixture excerpt of the PCI ID database
8086  Intel Corporation
\t0bd0  Ponte Vecchio XL (2 Tile)
\t09a2  Ice Lake Memory Map/VT-d
\t347a  Ice Lake PCIe Root Port
\t56c0  ATS-M [Data Center GPU Flex 170]
\t56c1  ATS-M [Data Center GPU Flex 140]
144d  Samsung Electronics Co Ltd
\ta80a  NVMe SSD Controller PM9A1/PM9A3/980PRO
"""


def vf_bdf(pf, n):
    """BDF of VF n (0-based) of a PF at function 0, offset 1, stride 1 (as gpu_pf lays them)."""
    fn = 1 + n
    return "%s:%02x.%d" % (pf[:7], fn >> 3, fn & 7)


def build(out):
    h = g.Host(out)
    h.iommu_units(4, "identity")
    h.pci("0000:00:00.0", g.INTEL, 0x09A2, 0x088000)
    nodes = []  # (render node, pdev)
    card = 0
    for port, pf_bdf in PFS:
        h.pci(port, g.INTEL, 0x347A, 0x060400, driver="pcieport")
        drivers = ["vfio-pci"] * VFIO_VFS + ["i915"] * (VFS - VFIO_VFS)
        pf = h.gpu_pf("i915", VFS, VFS, drivers, hw_total=VFS, bdf=pf_bdf, parent=port,
                      device=FLEX)
        h.drm(pf, "card%d" % card, "renderD%d" % (128 + card))
        nodes.append(("renderD%d" % (128 + card), pf_bdf))
        card += 1
        for n in range(VFIO_VFS, VFS):
            bdf = vf_bdf(pf_bdf, n)
            h.drm(os.path.join(os.path.dirname(pf), bdf), "card%d" % card,
                  "renderD%d" % (128 + card), vf=True)
            nodes.append(("renderD%d" % (128 + card), bdf))
            card += 1
        h.i915_pmu("i915_" + pf_bdf.replace(":", "_"))
    h.pci("0000:00:1d.0", g.INTEL, 0x347A, 0x060400, driver="pcieport")
    h.pci("0000:81:00.0", 0x144D, 0xA80A, 0x010802, driver="nvme", parent="0000:00:1d.0")
    h.kmsg(["6,%d,%d,-;i915 %s: Enabled %d VFs" % (1201 + i, 5001234 + i * 1000, pf, VFS)
            for i, (_, pf) in enumerate(PFS)])
    h.module("i915", params={"enable_guc": ("3", 0o444), "max_vfs": ("63", 0o400)}, taint="OE")
    g.vfio(h)
    h.kernel(RUNNING, "BOOT_IMAGE=/boot/vmlinuz-%s root=/dev/mapper/pve-root ro quiet "
             "intel_iommu=on iommu=pt i915.enable_guc=3 i915.max_vfs=63" % RUNNING)
    h.installed_kernels(KERNELS)
    # Three DKMS modules on six kernels; an older i915-sriov-dkms is still built for three.
    h.dkms("2025.12.10", KERNELS[:3], [], "", name="i915-sriov-dkms", ko="i915")
    h.dkms("2026.03.05", KERNELS, KERNELS, "", name="i915-sriov-dkms", ko="i915")
    h.dkms("9.016.01", KERNELS, KERNELS, "", name="r8125", ko="r8125")
    h.dkms("1.0.0", KERNELS, KERNELS, "", name="it87", ko="it87")
    h.file("usr/share/misc/pci.ids", PCI_IDS)
    h.file("etc/sysfs.conf", "# sysfsutils: applied at boot\n" +
           "".join("devices/pci0000:00/%s/%s/sriov_numvfs = %d\n" % (port, pf, VFS)
                   for port, pf in PFS))
    vms = {}
    for i, (_, pf) in enumerate(PFS):
        for n in range(VFIO_VFS):
            vmid = 101 + i * VFIO_VFS + n
            vms[vmid] = ("cores: 4\nhostpci0: %s,pcie=1\nmachine: q35\nmemory: 8192\n"
                         "name: vdi-%d\nostype: win11\nscsi0: local-lvm:vm-%d-disk-0,size=64G\n"
                         % (vf_bdf(pf, n), vmid, vmid))
    h.proxmox(vms)
    processes(h, nodes)
    h.file("../args", "--collector.fdinfo\n")


def processes(h, nodes):
    """PROCESSES proc/<pid> directories: kernel threads without fds, daemons with ordinary fds,
    and DRM_PROCESSES media processes each holding one or two render-node fds of one device."""
    rnd = random.Random(150)
    client = {}  # per device: next drm-client-id
    drm_pids = set(rnd.sample(range(KTHREADS + 1, PROCESSES), DRM_PROCESSES))
    pid = 1
    for i in range(PROCESSES):
        fds = {}
        if i == 0:
            comm = "systemd"
        elif i <= KTHREADS:
            comm = "kworker/%d:%d" % (i % 64, i % 3)
        elif i in drm_pids:
            # One media container per render node: its application's processes share a name.
            k = rnd.randrange(len(nodes))
            node, pdev = nodes[k]
            comm = ["ffmpeg", "jellyfin-ffmpeg", "frigate.detecto", "Plex Transcoder"][k % 4]
            client[pdev] = client.get(pdev, 0) + 1
            info = g.i915_fdinfo(client[pdev], [("render", rnd.randrange(10**10)), ("copy", 0),
                                                ("video", rnd.randrange(10**10)),
                                                ("video-enhance", rnd.randrange(10**8)),
                                                ("compute", rnd.randrange(10**10))],
                                 pdev=pdev, resident="%d MiB" % rnd.randrange(8, 512))
            fds[rnd.randrange(3, 40)] = ("/dev/dri/" + node, info)
            if rnd.random() < 0.3:  # a second fd on the same client (dup), counted once
                fds[rnd.randrange(40, 60)] = ("/dev/dri/" + node, info)
        else:
            comm = rnd.choice(["sshd", "pvedaemon worke", "pveproxy worker", "qemu-system-x86",
                               "rsyslogd", "cron", "zed", "pmxcfs", "corosync", "bash"])
        if i == 0 or i > KTHREADS:
            for fd in range(rnd.randrange(3, 12)):
                if fd in fds:
                    continue
                target = rnd.choice(["/dev/null", "socket:[%d]" % rnd.randrange(10**6),
                                     "pipe:[%d]" % rnd.randrange(10**6), "anon_inode:[eventfd]",
                                     "/var/log/daemon.log", "/dev/pts/0"])
                fds[fd] = (target, None)
        h.process(pid, comm, fds)
        pid += rnd.randrange(1, 4)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_large.py OUTDIR")
    out = sys.argv[1]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    build(out)


if __name__ == "__main__":
    main()
