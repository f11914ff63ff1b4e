/* iommu collector: whether an IOMMU is active and how devices are grouped. VFs can only be passed
 * to VMs when the IOMMU translates for them, and a VF that shares its group cannot be isolated.
 *
 * What changes while the system runs: groups come and go with devices (a VF gets its group when
 * sriov_numvfs creates it), devices can join an existing group (hotplug behind a bridge), and a
 * group's default domain type can be changed by writing its type file once its devices are
 * unbound. IOMMU units are fixed at boot. So kernel/iommu_groups is listed on every scrape (through
 * a kept descriptor: one lseek and two getdents64), and a group is read (its devices counted, its
 * type read) when its entry is new, or was incomplete last time; every group and the units are
 * read again at most every COLLECTOR_RECHECK_NS. Groups appearing or vanishing are seen by the
 * next scrape, type and membership changes within 5 s. */
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

#define MAX_TYPES 8
#define GROUP_SKIPS 2
#define MAX_GROUPS 65536 /* entries of kernel/iommu_groups looked at */

struct type_set {
	char names[MAX_TYPES][32];
	size_t n;
};

struct skip_note {
	char *what;
	int err;
};

/* What one read of a group found. */
struct group {
	char *name;
	ino_t ino;      /* of its kernel/iommu_groups entry: a new group has a new one */
	bool counted;   /* its devices could be listed */
	size_t devices;
	char type[32];  /* empty when absent (before Linux 5.11) or unusable */
	bool retry;     /* incomplete (a failure, no device yet): read again by the next scrape */
	struct skip_note skips[GROUP_SKIPS];
	size_t nskips;
};

struct iommu_state {
	struct attr_dir groups_dir;
	struct group *groups; /* in listing order */
	size_t n;
	size_t units;
	bool have_units;
	int64_t full_ns; /* when everything was last read */
	/* filled while listing */
	struct group *next;
	size_t nnext;
	size_t hint;
	bool full;
	bool too_many;
};

static void
count_entry(void *arg, const char *name, ino_t ino, unsigned char type)
{
	size_t *n = arg;

	(void)ino;
	(void)type;
	if (name[0] != '.')
		(*n)++;
}

/* Entries of the directory rel below dirfd (no dot names): one open, getdents64 and close, which
 * is two system calls fewer than opendir() and readdir() take. */
static int
count_entries(int dirfd, const char *rel, size_t *ret)
{
	struct attr_dir d;
	size_t n = 0;

	attr_dir_init(&d, dirfd, rel);
	int r = attr_dir_list(&d, 0, count_entry, &n);
	attr_dir_fini(&d);
	if (r < 0)
		return r;
	*ret = n;
	return 0;
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
	int r = count_entries(sys, "class/iommu", ret);
	if (r == -ENOENT) {
		*ret = 0;
		return 0;
	}
	return r;
}

static void
group_clear(struct group *g)
{
	free(g->name);
	for (size_t i = 0; i < g->nskips; i++)
		free(g->skips[i].what);
	memset(g, 0, sizeof(*g));
}

static void
note_skip(struct group *g, const char *rel, int err)
{
	char what[NAME_MAX + 64];

	if (g->nskips == GROUP_SKIPS)
		return;
	(void)snprintf(what, sizeof(what), "kernel/iommu_groups/%s", rel);
	g->skips[g->nskips].what = xstrdup(what);
	g->skips[g->nskips].err = err;
	g->nskips++;
}

/* Reads group g (name and ino set) below the groups directory fd. */
static void
read_group(int groups_fd, struct group *g)
{
	char rel[NAME_MAX + 16];

	/* A group counts when its devices can be listed. ENOENT: it went away since readdir (its
	 * last device was removed); anything else is not a group (a link loop, a file). */
	(void)snprintf(rel, sizeof(rel), "%s/devices", g->name);
	int r = count_entries(groups_fd, rel, &g->devices);
	if (r < 0) {
		if (r != -ENOENT)
			note_skip(g, rel, -r);
		g->retry = true;
		return;
	}
	g->counted = true;
	g->retry = g->devices == 0; /* being set up: its first device is on the way */
	(void)snprintf(rel, sizeof(rel), "%s/type", g->name);
	ssize_t n = sysfs_read_str(groups_fd, rel, g->type, sizeof(g->type));
	if (n == -ENOENT) {
		g->type[0] = '\0'; /* kernels before 5.11 have no type file */
		return;
	}
	if (n < 0 || !plausible_type(g->type)) {
		note_skip(g, rel, n < 0 ? (int)-n : EINVAL);
		g->type[0] = '\0';
		g->retry = true;
	}
}

/* The old entry for name, looked for at the hint first (listings come in the same order). */
static struct group *
find_old(struct iommu_state *st, const char *name)
{
	for (size_t k = 0; k < st->n; k++) {
		size_t i = (st->hint + k) % st->n;
		if (st->groups[i].name != NULL && strcmp(st->groups[i].name, name) == 0) {
			st->hint = i + 1;
			return &st->groups[i];
		}
	}
	return NULL;
}

static void
on_entry(void *arg, const char *name, ino_t ino, unsigned char type)
{
	struct iommu_state *st = arg;

	(void)type;
	if (st->nnext == MAX_GROUPS) {
		st->too_many = true;
		return;
	}
	if (st->nnext % 64 == 0)
		st->next = xrealloc(st->next, (st->nnext + 64) * sizeof(*st->next));
	struct group *g = &st->next[st->nnext++];
	struct group *old = find_old(st, name);
	if (old != NULL && old->ino == ino && !old->retry && !st->full) {
		*g = *old; /* taken over: the old slot no longer owns its strings */
		memset(old, 0, sizeof(*old));
		return;
	}
	memset(g, 0, sizeof(*g));
	g->name = xstrdup(name);
	g->ino = ino;
	read_group(st->groups_dir.fd, g);
}

static int
iommu_init(struct collector *c, const struct roots *roots)
{
	struct iommu_state *st = xcalloc(1, sizeof(*st));

	attr_dir_init(&st->groups_dir, roots->sys, "kernel/iommu_groups");
	collector_set_data(c, st);
	return 0;
}

static void
forget_groups(struct iommu_state *st)
{
	for (size_t i = 0; i < st->n; i++)
		group_clear(&st->groups[i]);
	free(st->groups);
	st->groups = NULL;
	st->n = 0;
}

static void
iommu_fini(struct collector *c)
{
	struct iommu_state *st = collector_get_data(c);

	if (st == NULL)
		return;
	forget_groups(st);
	attr_dir_fini(&st->groups_dir);
	free(st);
	collector_set_data(c, NULL);
}

/* Brings the cached groups up to date: listed now, read where needed. */
static int
update(struct collector *c, struct iommu_state *st, int64_t now)
{
	st->full = !st->have_units || now - st->full_ns >= COLLECTOR_RECHECK_NS || now < st->full_ns;
	if (st->full) {
		int r = count_units(collector_roots(c)->sys, &st->units);
		if (r < 0)
			return r;
	}
	st->next = NULL;
	st->nnext = 0;
	st->hint = 0;
	st->too_many = false;
	int r = attr_dir_list(&st->groups_dir, now, on_entry, st);
	if (r < 0 && r != -ENOENT) {
		for (size_t i = 0; i < st->nnext; i++)
			group_clear(&st->next[i]);
		free(st->next);
		st->next = NULL;
		return r;
	}
	/* ENOENT: no groups at all (no IOMMU); entries already listed are none. */
	forget_groups(st);
	st->groups = st->next;
	st->n = st->nnext;
	st->next = NULL;
	if (st->full) {
		st->have_units = true;
		st->full_ns = now;
	}
	return 0;
}

static int
iommu_collect(struct collector *c, struct expo *out)
{
	struct iommu_state *st = collector_get_data(c);
	struct type_set types;
	size_t groups = 0, devices = 0;

	int r = update(c, st, monotonic_ns());
	if (r < 0)
		return r;
	memset(&types, 0, sizeof(types));
	for (size_t i = 0; i < st->n; i++) {
		const struct group *g = &st->groups[i];
		for (size_t k = 0; k < g->nskips; k++)
			collector_skip(c, g->skips[k].what, g->skips[k].err);
		if (!g->counted)
			continue;
		groups++;
		devices += g->devices;
		if (g->type[0] != '\0')
			note_type(&types, g->type);
	}
	if (st->too_many)
		collector_skip(c, "kernel/iommu_groups: more groups than the limit", E2BIG);

	(void)expo_add(out, "gpu_sriov_iommu_enabled", EXPO_GAUGE,
		       "1 when an IOMMU is active: units under /sys/class/iommu and devices in IOMMU "
		       "groups.",
		       st->units > 0 && devices > 0 ? 1 : 0, NULL, 0);
	(void)expo_add(out, "gpu_sriov_iommu_units", EXPO_GAUGE,
		       "IOMMU hardware units under /sys/class/iommu (dmarN, ivhdN).",
		       (double)st->units, NULL, 0);
	(void)expo_add(out, "gpu_sriov_iommu_groups", EXPO_GAUGE,
		       "IOMMU groups under /sys/kernel/iommu_groups.", (double)groups, NULL, 0);
	for (size_t i = 0; i < types.n; i++)
		(void)expo_add(out, "gpu_sriov_iommu_default_domain_info", EXPO_GAUGE,
			       "Default domain types seen in /sys/kernel/iommu_groups/*/type "
			       "(identity means iommu=pt); always 1.",
			       1, EXPO_LABELS({"type", types.names[i]}));
	return 0;
}

const struct collector_ops iommu_collector = {
	.name = "iommu",
	.help = "IOMMU units, groups and default domain type",
	.default_enabled = true,
	.init = iommu_init,
	.collect = iommu_collect,
	.fini = iommu_fini,
};
