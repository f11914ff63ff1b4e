/* iommu collector: whether an IOMMU is active and how devices are grouped. VFs can only be passed
 * to VMs when the IOMMU translates for them, and a VF that shares its group cannot be isolated. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../exporter/log.h"
#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "collectors.h"

#define MAX_TYPES 8

struct type_set {
	char names[MAX_TYPES][32];
	size_t n;
};

static size_t
count_entries(DIR *d)
{
	size_t n = 0;
	struct dirent *de;

	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			n++;
	}
	return n;
}

/* Domain types are short words (DMA, DMA-FQ, identity, ...): anything else is not kernel output. */
static bool
plausible_type(const char *s)
{
	if (s[0] == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '-'))
			return false;
	}
	return true;
}

static void
note_type(struct type_set *set, const char *type)
{
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->names[i], type) == 0)
			return;
	}
	if (set->n < MAX_TYPES)
		(void)snprintf(set->names[set->n++], sizeof(set->names[0]), "%s", type);
}

/* Units under class/iommu: 0 when the directory is absent (no IOMMU driver at all). */
static int
count_units(int sys, size_t *ret)
{
	DIR *d = NULL;

	int r = sysfs_opendir(sys, "class/iommu", &d);
	if (r == -ENOENT) {
		*ret = 0;
		return 0;
	}
	if (r < 0)
		return r;
	*ret = count_entries(d);
	(void)closedir(d);
	return 0;
}

struct group_stats {
	size_t groups;
	size_t devices;
	struct type_set types;
};

static void
read_group(struct collector *c, DIR *groups, const char *name, struct group_stats *st)
{
	char rel[NAME_MAX + 16], type[32], what[NAME_MAX + 64];
	DIR *members = NULL;

	/* A group counts when its devices can be listed. ENOENT: it went away since readdir (its
	 * last device was removed); anything else is not a group (a link loop, a file). */
	(void)snprintf(rel, sizeof(rel), "%s/devices", name);
	int r = sysfs_opendir(dirfd(groups), rel, &members);
	if (r < 0) {
		(void)snprintf(what, sizeof(what), "kernel/iommu_groups/%s", rel);
		if (r != -ENOENT)
			collector_skip(c, what, -r);
		return;
	}
	st->groups++;
	st->devices += count_entries(members);
	(void)closedir(members);
	(void)snprintf(rel, sizeof(rel), "%s/type", name);
	ssize_t n = sysfs_read_str(dirfd(groups), rel, type, sizeof(type));
	if (n == -ENOENT)
		return; /* kernels before 5.11 have no type file */
	if (n < 0 || !plausible_type(type)) {
		(void)snprintf(what, sizeof(what), "kernel/iommu_groups/%s", rel);
		collector_skip(c, what, n < 0 ? (int)-n : EINVAL);
		return;
	}
	note_type(&st->types, type);
}

static int
walk_groups(struct collector *c, struct group_stats *st)
{
	DIR *d = NULL;
	struct dirent *de;

	int r = sysfs_opendir(collector_roots(c)->sys, "kernel/iommu_groups", &d);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			read_group(c, d, de->d_name, st);
	}
	(void)closedir(d);
	return 0;
}

static int
iommu_collect(struct collector *c, struct expo *out)
{
	size_t units = 0;
	struct group_stats st;

	memset(&st, 0, sizeof(st));
	int r = count_units(collector_roots(c)->sys, &units);
	if (r < 0)
		return r;
	r = walk_groups(c, &st);
	if (r < 0)
		return r;

	(void)expo_add(out, "gpu_sriov_iommu_enabled", EXPO_GAUGE,
		       "1 when an IOMMU is active: units under /sys/class/iommu and devices in IOMMU "
		       "groups.",
		       units > 0 && st.devices > 0 ? 1 : 0, NULL, 0);
	(void)expo_add(out, "gpu_sriov_iommu_units", EXPO_GAUGE,
		       "IOMMU hardware units under /sys/class/iommu (dmarN, ivhdN).", (double)units,
		       NULL, 0);
	(void)expo_add(out, "gpu_sriov_iommu_groups", EXPO_GAUGE,
		       "IOMMU groups under /sys/kernel/iommu_groups.", (double)st.groups, NULL, 0);
	for (size_t i = 0; i < st.types.n; i++)
		(void)expo_add(out, "gpu_sriov_iommu_default_domain_info", EXPO_GAUGE,
			       "Default domain types seen in /sys/kernel/iommu_groups/*/type "
			       "(identity means iommu=pt); always 1.",
			       1, EXPO_LABELS({"type", st.types.names[i]}));
	return 0;
}

const struct collector_ops iommu_collector = {
	.name = "iommu",
	.help = "IOMMU units, groups and default domain type",
	.default_enabled = true,
	.collect = iommu_collect,
};
