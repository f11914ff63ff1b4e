/* proxmox collector: which host PCI functions the Proxmox VE VMs on this node are configured to
 * take. The failure it exists for: a VM config that passes the GPU's PF (hostpciN: 0000:00:02.0,
 * or a function-less 00:02 that means every function) makes Proxmox rebind the PF to vfio-pci at
 * VM start, which disables every VF and breaks all other GPU VMs. Configs are looked at on each
 * scrape (they change with qm set) and read again only when they changed (pve_config_for_scrape);
 * nothing is emitted on hosts without etc/pve. Whether an address is an SR-IOV GPU PF is a fixed
 * fact of the device: it is kept per device directory (its inode; a device added again gets a new
 * one), looked at only when the bus's entries changed, and read again after PF_MAX_AGE_NS. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../exporter/log.h"
#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "collectors.h"
#include "pve.h"

static const char help_info[] =
    "PCI functions a Proxmox VE VM on this node is configured to take (hostpciN in the main "
    "section of /etc/pve/qemu-server/<vmid>.conf, mapping= resolved for this node, 00:02 "
    "expanded to every function present); machine is the machine type, i440fx when unset; "
    "always 1.";
static const char help_missing[] =
    "1 for each hostpciN address of a Proxmox VE VM that does not exist on this host (stale "
    "config, VFs not enabled yet; empty pci_address: a mapping= with no entry for this node).";

static void
skip_cb(void *arg, const char *what, int err)
{
	collector_skip(arg, what, err);
}

/* The same bound as the PCI scan's fixed facts (pci.c): a class file rewritten in place in a tree
 * that is not sysfs is seen within it. */
#define PF_MAX_AGE_NS (60LL * 1000000000LL)

/* Whether one address named by a config is an SR-IOV GPU PF, as last read. */
struct pf_memo {
	char bdf[32];
	dev_t dev; /* of its device directory */
	ino_t ino;
	int64_t read_ns;
	uint64_t devices_gen; /* pve_config.devices_gen when the directory was last looked at */
	bool is_pf;
	bool seen; /* named in this scrape */
};

struct proxmox_state {
	struct pf_memo *pfs;
	size_t n;
	int64_t now;
	uint64_t devices_gen; /* of this scrape's config */
};

/* An SR-IOV capable display controller: PCI class 0x03xxxx with sriov_totalvfs, which only PFs
 * have (whatever its value: 0 still means a PF whose driver has VFs off). */
static bool
read_is_pf(int sys, const char *bdf)
{
	char rel[96];
	uint64_t class;

	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/class", bdf);
	if (sysfs_read_u64(sys, rel, 16, 0xffffff, &class) < 0 || (class >> 16) != 0x03)
		return false;
	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/sriov_totalvfs", bdf);
	return faccessat(sys, rel, F_OK, AT_EACCESS) == 0;
}

static bool
fresh(const struct proxmox_state *st, const struct pf_memo *m)
{
	return st->now >= m->read_ns && st->now - m->read_ns < PF_MAX_AGE_NS;
}

/* read_is_pf() answered from the memo while the device directory is the one it was read from:
 * without a system call while the bus's entries are unchanged (pve_config.devices_gen), else
 * after one fstatat() of the directory. */
static bool
is_sriov_gpu_pf(struct proxmox_state *st, int sys, const char *bdf)
{
	char rel[96];
	struct stat sb;
	struct pf_memo *m = NULL;

	if (strlen(bdf) >= sizeof(m->bdf))
		return read_is_pf(sys, bdf);
	for (size_t i = 0; i < st->n && m == NULL; i++) {
		if (strcmp(st->pfs[i].bdf, bdf) == 0)
			m = &st->pfs[i];
	}
	if (m != NULL && st->devices_gen != 0 && m->devices_gen == st->devices_gen && fresh(st, m)) {
		m->seen = true;
		return m->is_pf;
	}
	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	if (fstatat(sys, rel, &sb, 0) < 0) {
		if (m != NULL)
			m->read_ns = INT64_MIN; /* gone: read again when it is back */
		return false; /* no such device: its class cannot be read either */
	}
	if (m == NULL) {
		if (st->n % 8 == 0)
			st->pfs = xrealloc(st->pfs, (st->n + 8) * sizeof(*st->pfs));
		m = &st->pfs[st->n++];
		memset(m, 0, sizeof(*m));
		memcpy(m->bdf, bdf, strlen(bdf) + 1);
	} else if (m->dev == sb.st_dev && m->ino == sb.st_ino && fresh(st, m)) {
		m->devices_gen = st->devices_gen;
		m->seen = true;
		return m->is_pf;
	}
	m->devices_gen = st->devices_gen;
	m->dev = sb.st_dev;
	m->ino = sb.st_ino;
	m->read_ns = st->now;
	m->is_pf = read_is_pf(sys, bdf);
	m->seen = true;
	return m->is_pf;
}

static int
proxmox_init(struct collector *c, const struct roots *roots)
{
	(void)roots;
	collector_set_data(c, xcalloc(1, sizeof(struct proxmox_state)));
	return 0;
}

static void
proxmox_fini(struct collector *c)
{
	struct proxmox_state *st = collector_get_data(c);

	if (st == NULL)
		return;
	free(st->pfs);
	free(st);
	collector_set_data(c, NULL);
}

/* A (vmid, PF) pair already reported: the same PF may appear in several hostpci entries. */
static bool
seen_pf(const struct pve_hostpci *hostpci, size_t upto, size_t addr_upto, const char *bdf)
{
	for (size_t i = 0; i <= upto; i++) {
		const struct pve_hostpci *h = &hostpci[i];
		size_t n = i == upto ? addr_upto : h->naddresses;
		for (size_t k = 0; k < n; k++) {
			if (strcmp(h->addresses[k], bdf) == 0)
				return true;
		}
	}
	return false;
}

static void
emit_entry(struct proxmox_state *st, struct expo *out, int sys, const struct pve_vm *vm, size_t j,
           const char *vmid, const char *machine)
{
	const struct pve_hostpci *h = &vm->hostpci[j];
	char key[16];

	(void)snprintf(key, sizeof(key), "hostpci%u", h->index);
	if (h->naddresses == 0) {
		/* A mapping= with no entry for this node: show the entry, with no address. */
		(void)expo_add(out, "gpu_sriov_vm_hostpci_info", EXPO_GAUGE, help_info, 1,
		               EXPO_LABELS({"vmid", vmid}, {"name", vm->name}, {"hostpci", key},
		                           {"pci_address", ""}, {"machine", machine}));
		(void)expo_add(out, "gpu_sriov_vm_hostpci_missing", EXPO_GAUGE, help_missing, 1,
		               EXPO_LABELS({"vmid", vmid}, {"hostpci", key}, {"pci_address", ""}));
		return;
	}
	for (size_t k = 0; k < h->naddresses; k++) {
		const char *bdf = h->addresses[k];
		(void)expo_add(out, "gpu_sriov_vm_hostpci_info", EXPO_GAUGE, help_info, 1,
		               EXPO_LABELS({"vmid", vmid}, {"name", vm->name}, {"hostpci", key},
		                           {"pci_address", bdf}, {"machine", machine}));
		if (!h->present[k]) {
			(void)expo_add(
			    out, "gpu_sriov_vm_hostpci_missing", EXPO_GAUGE, help_missing, 1,
			    EXPO_LABELS({"vmid", vmid}, {"hostpci", key}, {"pci_address", bdf}));
			continue;
		}
		if (!is_sriov_gpu_pf(st, sys, bdf) || seen_pf(vm->hostpci, j, k, bdf))
			continue;
		(void)expo_add(
		    out, "gpu_sriov_vm_pf_assigned", EXPO_GAUGE,
		    "1 for each Proxmox VE VM configured to take an SR-IOV GPU's physical "
		    "function (never safe: starting it moves the PF to vfio-pci and "
		    "disables every VF).",
		    1, EXPO_LABELS({"vmid", vmid}, {"pci_address", bdf}));
	}
}

static int
proxmox_collect(struct collector *c, struct expo *out)
{
	const struct roots *roots = collector_roots(c);
	struct proxmox_state *st = collector_get_data(c);
	int r;

	const struct pve_config *cfg = pve_config_for_scrape(roots->root, roots->sys,
							     collector_scrape_id(c), skip_cb, c, &r);
	if (cfg == NULL)
		return r;
	if (!cfg->found)
		return 0;
	(void)expo_add(out, "gpu_sriov_vms_configured", EXPO_GAUGE,
	               "Proxmox VE VM configs of this node read from /etc/pve/qemu-server.",
	               (double)cfg->nvms, NULL, 0);
	st->now = monotonic_ns();
	st->devices_gen = cfg->devices_gen;
	for (size_t i = 0; i < st->n; i++)
		st->pfs[i].seen = false;
	for (size_t i = 0; i < cfg->nvms; i++) {
		const struct pve_vm *vm = &cfg->vms[i];
		char vmid[16], machine[sizeof(vm->machine)];
		(void)snprintf(vmid, sizeof(vmid), "%u", vm->vmid);
		pve_machine_type(vm, machine, sizeof(machine));
		for (size_t j = 0; j < vm->nhostpci; j++)
			emit_entry(st, out, roots->sys, vm, j, vmid, machine);
	}
	/* Forget addresses no config names any more. */
	size_t w = 0;
	for (size_t i = 0; i < st->n; i++) {
		if (st->pfs[i].seen)
			st->pfs[w++] = st->pfs[i];
	}
	st->n = w;
	return 0;
}

const struct collector_ops proxmox_collector = {
    .name = "proxmox",
    .help = "Proxmox VE VM PCI passthrough configuration (hostpciN, PF passed to a VM)",
    .default_enabled = true,
    .init = proxmox_init,
    .collect = proxmox_collect,
    .fini = proxmox_fini,
};
