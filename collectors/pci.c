/* GPU PCI function discovery from sysfs. Everything comes from readdir, readlink and small
 * attribute reads below sys/bus/pci/devices, so one pass costs a few syscalls per function. */
#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "pci.h"

#define DEVICES "bus/pci/devices"
/* A sane upper bound: 256 buses x 32 devices x 8 functions would be 65536; GPUs are far fewer. */
#define MAX_GPU_FNS 4096

#define MAX_CLASSES 8

struct class_prefix {
	uint32_t value;
	unsigned shift; /* bits below the prefix */
};

static struct class_prefix classes[MAX_CLASSES] = {{0x03, 16}};
static size_t nclasses = 1;

bool
pci_device_class_valid(const char *prefix)
{
	size_t n = strlen(prefix);

	if (n != 2 && n != 4 && n != 6)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)prefix[i]))
			return false;
	}
	return true;
}

int
pci_set_device_classes(const char *const *prefixes, size_t n)
{
	struct class_prefix next[MAX_CLASSES];

	if (n == 0 || n > MAX_CLASSES)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		if (!pci_device_class_valid(prefixes[i]) ||
		    parse_u64(prefixes[i], 16, 0xffffff, &v) < 0)
			return -EINVAL;
		next[i].value = (uint32_t)v;
		next[i].shift = (unsigned)(24 - 4 * strlen(prefixes[i]));
	}
	memcpy(classes, next, n * sizeof(next[0]));
	nclasses = n;
	return 0;
}

static bool
class_wanted(uint32_t code)
{
	for (size_t i = 0; i < nclasses; i++) {
		if ((code >> classes[i].shift) == classes[i].value)
			return true;
	}
	return false;
}

static int
cmp_fn(const void *a, const void *b)
{
	return strcmp(((const struct pci_fn *)a)->bdf, ((const struct pci_fn *)b)->bdf);
}

static struct pci_fn *
lookup(struct pci_fn *fns, size_t n, const char *bdf)
{
	struct pci_fn key;

	if (n == 0)
		return NULL;
	(void)snprintf(key.bdf, sizeof(key.bdf), "%s", bdf);
	/* cppcheck-suppress uninitvar ; cmp_fn() reads only key.bdf, which is set */
	return bsearch(&key, fns, n, sizeof(*fns), cmp_fn);
}

const struct pci_fn *
pci_find(const struct pci_list *l, const char *bdf)
{
	return lookup(l->fns, l->n, bdf);
}

void
pci_list_free(struct pci_list *l)
{
	free(l->fns);
	l->fns = NULL;
	l->n = 0;
}

static void
skip(struct collector *c, const char *bdf, const char *attr, int err)
{
	char what[320];

	(void)snprintf(what, sizeof(what), DEVICES "/%s/%s", bdf, attr);
	collector_skip(c, what, err);
}

/* Fills fn from the function's directory (dirfd dev). Returns false when it is not a GPU. */
static bool
read_fn(struct collector *c, int dev, const char *bdf, struct pci_fn *fn)
{
	uint64_t v;
	char link[32];

	int r = sysfs_read_u64(dev, "class", 16, 0xffffff, &v);
	if (r < 0) {
		if (r != -ENOENT)
			skip(c, bdf, "class", -r);
		return false;
	}
	if (!class_wanted((uint32_t)v))
		return false;
	memset(fn, 0, sizeof(*fn));
	memcpy(fn->bdf, bdf, PARSE_BDF_SIZE);
	fn->class_code = (uint32_t)v;
	fn->iommu_group = -1;
	r = sysfs_read_u64(dev, "vendor", 16, 0xffff, &v);
	if (r == 0)
		fn->vendor = (unsigned)v;
	else
		skip(c, bdf, "vendor", -r);
	r = sysfs_read_u64(dev, "device", 16, 0xffff, &v);
	if (r == 0)
		fn->device = (unsigned)v;
	else
		skip(c, bdf, "device", -r);
	ssize_t n = sysfs_link_name(dev, "driver", fn->driver, sizeof(fn->driver));
	/* The name comes from the link text, which a dangling link still has; a link that loops
	 * (driver -> driver) names no driver at all. */
	struct stat st;
	if (n >= 0 && fstatat(dev, "driver", &st, 0) < 0 && errno == ELOOP) {
		fn->driver[0] = '\0';
		n = -ELOOP;
	}
	if (n < 0 && n != -ENOENT)
		skip(c, bdf, "driver", (int)-n);
	n = sysfs_link_name(dev, "iommu_group", link, sizeof(link));
	if (n >= 0) {
		int64_t g;
		if (parse_i64(link, 10, 0, INT32_MAX, &g) == 0)
			fn->iommu_group = (long)g;
		else
			skip(c, bdf, "iommu_group", EINVAL);
	} else if (n != -ENOENT) {
		skip(c, bdf, "iommu_group", (int)-n);
	}
	n = sysfs_link_name(dev, "physfn", link, sizeof(link));
	if (n >= 0) {
		if (parse_bdf(link, fn->pf) == 0)
			fn->role = PCI_ROLE_VF;
		else
			skip(c, bdf, "physfn", EINVAL);
	} else if (faccessat(dev, "sriov_totalvfs", F_OK, 0) == 0) {
		fn->role = PCI_ROLE_PF;
	}
	return true;
}

/* VF numbers come from the PF's side: virtfnN points at VF N+1. */
static void
number_vfs(struct collector *c, int sys_fd, struct pci_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		char rel[64];
		struct dirent *de;
		DIR *d = NULL;
		if (l->fns[i].role != PCI_ROLE_PF)
			continue;
		(void)snprintf(rel, sizeof(rel), DEVICES "/%s", l->fns[i].bdf);
		if (sysfs_opendir(sys_fd, rel, &d) < 0)
			continue;
		while ((de = readdir(d)) != NULL) {
			char target[32], vf[PARSE_BDF_SIZE];
			uint64_t idx;
			if (strncmp(de->d_name, "virtfn", 6) != 0)
				continue;
			if (parse_u64(de->d_name + 6, 10, 65535, &idx) < 0 ||
			    sysfs_link_name(dirfd(d), de->d_name, target, sizeof(target)) < 0 ||
			    parse_bdf(target, vf) < 0) {
				skip(c, l->fns[i].bdf, de->d_name, EINVAL);
				continue;
			}
			struct pci_fn *fn = lookup(l->fns, l->n, vf);
			if (fn != NULL && fn->role == PCI_ROLE_VF && strcmp(fn->pf, l->fns[i].bdf) == 0)
				fn->vf_number = (unsigned)idx + 1;
		}
		(void)closedir(d);
	}
}

int
pci_list_gpus(struct collector *c, int sys_fd, struct pci_list *ret)
{
	struct pci_list l = {NULL, 0};
	size_t cap = 0;
	DIR *d = NULL;
	struct dirent *de;

	int r = sysfs_opendir(sys_fd, DEVICES, &d);
	if (r == -ENOENT) {
		*ret = l;
		return 0;
	}
	if (r < 0)
		return r;
	while ((de = readdir(d)) != NULL) {
		char bdf[PARSE_BDF_SIZE];
		if (de->d_name[0] == '.')
			continue;
		if (parse_bdf(de->d_name, bdf) < 0 || strcmp(bdf, de->d_name) != 0) {
			collector_skip(c, DEVICES ": an entry that is not a PCI address", EINVAL);
			continue;
		}
		int dev = sysfs_open_dir_fd(dirfd(d), de->d_name);
		if (dev < 0) {
			skip(c, bdf, "", -dev);
			continue;
		}
		if (l.n == cap) {
			if (cap == MAX_GPU_FNS) {
				(void)close(dev);
				collector_skip(c, DEVICES ": more GPU functions than the limit", E2BIG);
				break;
			}
			cap = cap == 0 ? 16 : cap * 2;
			l.fns = xrealloc(l.fns, cap * sizeof(*l.fns));
		}
		if (read_fn(c, dev, bdf, &l.fns[l.n]))
			l.n++;
		(void)close(dev);
	}
	(void)closedir(d);
	if (l.n > 1)
		qsort(l.fns, l.n, sizeof(*l.fns), cmp_fn);
	number_vfs(c, sys_fd, &l);
	*ret = l;
	return 0;
}

int
pci_count_vfs(int sys_fd, const char *pf_bdf)
{
	char rel[64];
	DIR *d = NULL;
	struct dirent *de;
	int n = 0;

	(void)snprintf(rel, sizeof(rel), DEVICES "/%s", pf_bdf);
	int r = sysfs_opendir(sys_fd, rel, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "virtfn", 6) == 0)
			n++;
	}
	(void)closedir(d);
	return n;
}
