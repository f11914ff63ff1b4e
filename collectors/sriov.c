/* sriov collector: SR-IOV GPU physical functions and their virtual functions — how many VFs are
 * supported, enabled and intended, which driver each function is bound to, its IOMMU group, and
 * which Proxmox VM claims each VF. This is where "VFs gone after reboot" and "a VM took the PF"
 * become visible. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../exporter/attr.h"
#include "../exporter/log.h"
#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "collectors.h"
#include "pci.h"
#include "pcidb.h"
#include "persist.h"
#include "pve.h"

/* The persistence config (etc/sysfs.conf, tmpfiles.d, udev rules: a dozen files and
 * directories) is re-read at most every PERSIST_MAX_AGE_NS; what it skipped is reported on every
 * scrape. IOMMU group sizes, the PFs' attribute descriptors and their SR-IOV capability are kept
 * while no PCI function comes, goes or is re-read (pci_generation()). */
#define PERSIST_MAX_AGE_NS (5LL * 1000000000LL)
#define MAX_SKIPS 16

struct group_size {
	long group;
	ssize_t size; /* or -errno */
};

/* What is kept per PF while no PCI function comes, goes or is re-read (pci_generation(); a PF
 * removed and added again is a new directory entry, so a new generation): the descriptors of
 * sriov_totalvfs and sriov_drivers_autoprobe, read with pread() on every scrape (attr.h), and
 * the SR-IOV capability libpci finds in config space, which is fixed for a function (a failed
 * check is not kept). */
struct pf_cache {
	char bdf[PARSE_BDF_SIZE];
	struct attr totalvfs;
	struct attr autoprobe;
	bool cap_known;
	int cap;
};

struct sriov_state {
	struct pcidb *db;
	struct persist persist;
	bool persist_loaded;
	int64_t persist_ns;
	struct {
		char what[128];
		int err;
	} skips[MAX_SKIPS];
	size_t nskips;
	struct group_size *groups;
	size_t ngroups;
	uint64_t groups_generation;
	struct pf_cache *pfs;
	size_t npfs;
	uint64_t pfs_generation;
};

static void
pfs_clear(struct sriov_state *st)
{
	for (size_t i = 0; i < st->npfs; i++) {
		attr_fini(&st->pfs[i].totalvfs);
		attr_fini(&st->pfs[i].autoprobe);
	}
	st->npfs = 0;
}

static struct pf_cache *
pf_cache_get(struct collector *c, const char *bdf)
{
	struct sriov_state *st = collector_get_data(c);
	uint64_t gen = pci_generation();
	char rel[96];

	if (gen != st->pfs_generation) {
		pfs_clear(st);
		st->pfs_generation = gen;
	}
	for (size_t i = 0; i < st->npfs; i++) {
		if (strcmp(st->pfs[i].bdf, bdf) == 0)
			return &st->pfs[i];
	}
	st->pfs = xrealloc(st->pfs, (st->npfs + 1) * sizeof(*st->pfs));
	struct pf_cache *p = &st->pfs[st->npfs++];
	memset(p, 0, sizeof(*p));
	(void)snprintf(p->bdf, sizeof(p->bdf), "%s", bdf);
	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/sriov_totalvfs", bdf);
	attr_init(&p->totalvfs, collector_roots(c)->sys, rel);
	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/sriov_drivers_autoprobe", bdf);
	attr_init(&p->autoprobe, collector_roots(c)->sys, rel);
	return p;
}

/* One kept attribute as a number up to max; 0 or -errno. */
static int
read_u64(struct attr *a, uint64_t max, int64_t now, uint64_t *ret)
{
	char buf[32];

	ssize_t n = attr_read(a, buf, sizeof(buf), now);
	if (n < 0)
		return (int)n;
	return parse_u64(buf, 10, max, ret);
}

static void
skip_cb(void *arg, const char *what, int err)
{
	struct collector *c = arg;
	struct sriov_state *st = collector_get_data(c);

	if (st->nskips < MAX_SKIPS) {
		(void)snprintf(st->skips[st->nskips].what, sizeof(st->skips[0].what), "%s", what);
		st->skips[st->nskips++].err = err;
	}
}

static const struct persist *
persist_get(struct collector *c, int64_t now)
{
	struct sriov_state *st = collector_get_data(c);

	if (!st->persist_loaded || now - st->persist_ns >= PERSIST_MAX_AGE_NS) {
		persist_free(&st->persist);
		st->nskips = 0;
		(void)persist_load(collector_roots(c)->root, &st->persist, skip_cb, c);
		st->persist_loaded = true;
		st->persist_ns = now;
	}
	for (size_t i = 0; i < st->nskips; i++)
		collector_skip(c, st->skips[i].what, st->skips[i].err);
	return &st->persist;
}

static int
sriov_init(struct collector *c, const struct roots *roots)
{
	struct sriov_state *st = xcalloc(1, sizeof(*st));

	st->db = pcidb_open(roots->sys, roots->root);
	if (st->db == NULL)
		log_msg(LOG_LEVEL_WARN, "sriov", 0, "libpci unavailable: no device names");
	collector_set_data(c, st);
	return 0;
}

static void
sriov_fini(struct collector *c)
{
	struct sriov_state *st = collector_get_data(c);

	if (st == NULL)
		return;
	pcidb_close(st->db);
	persist_free(&st->persist);
	free(st->groups);
	pfs_clear(st);
	free(st->pfs);
	free(st);
	collector_set_data(c, NULL);
}

/* The intended VF count: --sriov.expected-vfs first, then the persistence config. */
static bool
expected_vfs(struct collector *c, const struct persist *p, const char *bdf, unsigned *ret,
	     const char **ret_source)
{
	const struct collector_options *o = collector_options(c);

	for (size_t i = 0; i < o->nexpected_vfs; i++) {
		char b[PARSE_BDF_SIZE];
		unsigned n;
		if (parse_bdf_count(o->expected_vfs[i], b, &n) == 0 && strcmp(b, bdf) == 0) {
			*ret = n;
			*ret_source = "flag";
			return true;
		}
	}
	const struct persist_entry *e = persist_find(p, bdf);
	if (e == NULL)
		return false;
	*ret = e->count;
	*ret_source = e->source;
	return true;
}

/* Devices in the IOMMU group, or -errno (reported) when its devices directory cannot be listed:
 * then there is no size to report, and 0 would read as an empty group. */
static ssize_t
group_size_read(struct collector *c, long group)
{
	char rel[64];
	DIR *d = NULL;
	struct dirent *de;
	ssize_t n = 0;

	(void)snprintf(rel, sizeof(rel), "kernel/iommu_groups/%ld/devices", group);
	int r = sysfs_opendir(collector_roots(c)->sys, rel, &d);
	if (r < 0) {
		collector_skip(c, rel, -r);
		return r;
	}
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	(void)closedir(d);
	return n;
}

static ssize_t
group_size(struct collector *c, long group)
{
	struct sriov_state *st = collector_get_data(c);
	uint64_t gen = pci_generation();

	if (gen != st->groups_generation) {
		st->ngroups = 0;
		st->groups_generation = gen;
	}
	for (size_t i = 0; i < st->ngroups; i++) {
		if (st->groups[i].group == group) {
			if (st->groups[i].size < 0)
				break; /* failures are not kept: read again, and reported */
			return st->groups[i].size;
		}
	}
	ssize_t n = group_size_read(c, group);
	st->groups = xrealloc(st->groups, (st->ngroups + 1) * sizeof(*st->groups));
	st->groups[st->ngroups++] = (struct group_size){group, n};
	return n;
}

static void
collect_pf(struct collector *c, struct expo *out, const struct pci_fn *fn, const struct persist *p,
	   int64_t now)
{
	struct sriov_state *st = collector_get_data(c);
	int sys = collector_roots(c)->sys;
	char vendor[8], device[8], name[160];
	uint64_t v;
	struct pf_cache *pc = pf_cache_get(c, fn->bdf);

	(void)snprintf(vendor, sizeof(vendor), "%04x", fn->vendor);
	(void)snprintf(device, sizeof(device), "%04x", fn->device);
	pcidb_name(st->db, fn->vendor, fn->device, name, sizeof(name));
	(void)expo_add(out, "gpu_sriov_pf_info", EXPO_GAUGE,
		       "SR-IOV capable GPU physical function (display class with sriov_totalvfs); "
		       "name from the PCI ID database; always 1.",
		       1,
		       EXPO_LABELS({"pci_address", fn->bdf}, {"driver", fn->driver},
				   {"vendor", vendor}, {"device", device}, {"name", name}));
	bool ok = strcmp(fn->driver, "i915") == 0 || strcmp(fn->driver, "xe") == 0;
	(void)expo_add(out, "gpu_sriov_pf_driver_ok", EXPO_GAUGE,
		       "1 when the PF is bound to i915 or xe; 0 when unbound or bound to another "
		       "driver such as vfio-pci (a VM took the PF and every VF with it).",
		       ok ? 1 : 0, EXPO_LABELS({"pci_address", fn->bdf}));

	int r = read_u64(&pc->totalvfs, 65535, now, &v);
	if (r == 0)
		(void)expo_add(out, "gpu_sriov_vfs_supported", EXPO_GAUGE,
			       "VFs the PF's driver allows, from sriov_totalvfs (0 with the stock i915 "
			       "or i915.max_vfs unset).",
			       (double)v, EXPO_LABELS({"pci_address", fn->bdf}));
	else
		collector_skip(c, pc->totalvfs.rel, -r);

	int n = pci_count_vfs(sys, fn->bdf);
	if (n >= 0)
		(void)expo_add(out, "gpu_sriov_vfs_enabled", EXPO_GAUGE,
			       "VFs present now: the PF's virtfn links (sriov_numvfs is not read: "
			       "reading it can block).",
			       n, EXPO_LABELS({"pci_address", fn->bdf}));

	unsigned expected;
	const char *source;
	if (expected_vfs(c, p, fn->bdf, &expected, &source)) {
		(void)expo_add(out, "gpu_sriov_vfs_expected", EXPO_GAUGE,
			       "Intended VF count, from --sriov.expected-vfs or the persistence "
			       "config (sysfs.conf, tmpfiles.d, udev rules); absent when unknown.",
			       expected, EXPO_LABELS({"pci_address", fn->bdf}));
		(void)expo_add(out, "gpu_sriov_vfs_expected_source_info", EXPO_GAUGE,
			       "Where the intended VF count comes from (\"flag\" or file:line); "
			       "always 1.",
			       1, EXPO_LABELS({"pci_address", fn->bdf}, {"source", source}));
	}

	r = read_u64(&pc->autoprobe, 1, now, &v);
	if (r == 0)
		(void)expo_add(out, "gpu_sriov_vfs_drivers_autoprobe", EXPO_GAUGE,
			       "1 when new VFs are probed by drivers (sriov_drivers_autoprobe).",
			       (double)v, EXPO_LABELS({"pci_address", fn->bdf}));
	else if (r != -ENOENT)
		collector_skip(c, pc->autoprobe.rel, -r);

	if (!pc->cap_known) {
		pc->cap = pcidb_has_sriov(st->db, fn->bdf);
		pc->cap_known = pc->cap >= 0;
	}
	r = pc->cap;
	if (r >= 0)
		(void)expo_add(out, "gpu_sriov_pf_sriov_capability_present", EXPO_GAUGE,
			       "1 when libpci finds the SR-IOV extended capability in the PF's "
			       "config space (cross-check of sysfs); absent when config space is "
			       "not readable (non-root).",
			       r, EXPO_LABELS({"pci_address", fn->bdf}));
}

static void
collect_vf(struct expo *out, const struct pci_fn *fn, const struct pve_config *pve)
{
	char index[16], group[24], vmid[16];

	(void)snprintf(index, sizeof(index), "%u", fn->vf_number);
	if (fn->iommu_group >= 0)
		(void)snprintf(group, sizeof(group), "%ld", fn->iommu_group);
	else
		group[0] = '\0';
	unsigned vm = pve != NULL ? pve_vm_for_address(pve, fn->bdf) : 0;
	if (vm > 0)
		(void)snprintf(vmid, sizeof(vmid), "%u", vm);
	else
		vmid[0] = '\0';
	(void)expo_add(out, "gpu_sriov_vf_info", EXPO_GAUGE,
		       "GPU virtual function: its PF, VF number (virtfnN + 1), bound driver (empty "
		       "when unbound), IOMMU group and the Proxmox VM whose config claims it (empty "
		       "when none); always 1.",
		       1,
		       EXPO_LABELS({"pci_address", fn->bdf}, {"pf", fn->pf}, {"index", index},
				   {"driver", fn->driver}, {"iommu_group", group}, {"vmid", vmid}));
}

static int
sriov_collect(struct collector *c, struct expo *out)
{
	const struct roots *roots = collector_roots(c);
	struct pci_list l;
	int pve_err;
	int64_t now = monotonic_ns();

	int r = pci_list_gpus(c, roots->sys, &l);
	if (r < 0)
		return r;
	const struct persist *p = persist_get(c, now);
	/* Only for the vmid label: shared with the proxmox collector, which reports problems. */
	const struct pve_config *pve = pve_config_for_scrape(roots->root, roots->sys,
							     collector_scrape_id(c), NULL, NULL,
							     &pve_err);
	for (size_t i = 0; i < l.n; i++) {
		const struct pci_fn *fn = &l.fns[i];
		if (fn->role == PCI_ROLE_PF)
			collect_pf(c, out, fn, p, now);
		else if (fn->role == PCI_ROLE_VF)
			collect_vf(out, fn, pve);
		ssize_t size = fn->role != PCI_ROLE_NONE && fn->iommu_group >= 0
				   ? group_size(c, fn->iommu_group)
				   : -ENOENT;
		if (size >= 0)
			(void)expo_add(out, "gpu_sriov_device_iommu_group_size", EXPO_GAUGE,
				       "Devices in the IOMMU group of this GPU PF or VF (1 = isolated, "
				       "as passthrough needs).",
				       (double)size, EXPO_LABELS({"pci_address", fn->bdf}));
	}
	pci_list_free(&l);
	return 0;
}

const struct collector_ops sriov_collector = {
	.name = "sriov",
	.help = "SR-IOV GPU PFs and VFs: counts, drivers, IOMMU groups, owning VMs",
	.default_enabled = true,
	.init = sriov_init,
	.collect = sriov_collect,
	.fini = sriov_fini,
};
