/* module collector: which GPU and VFIO kernel modules are loaded, and whether the loaded i915/xe
 * is the SR-IOV capable build. After a kernel update without a DKMS rebuild the stock i915 loads
 * instead: it has no max_vfs parameter, and VFs never come back.
 *
 * Every file is read through a kept descriptor (attr.h): one pread() per file and scrape. On sysfs
 * a module unloaded and loaded again is seen by the next scrape (its old nodes answer ENODEV and
 * are reopened); a module or parameter that appears where there was none, and files replaced in
 * trees that are not sysfs, are seen within ATTR_RECHECK_NS (5 s). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../exporter/attr.h"
#include "../exporter/log.h"
#include "../exporter/parse.h"
#include "../exporter/xalloc.h"
#include "collectors.h"

static const char *const watched_modules[] = {"i915", "xe", "vfio_pci", "vfio_iommu_type1"};
/* Modules whose build decides SR-IOV, and the parameters worth a number. max_vfs comes first: its
 * presence also decides sriov_capable. */
static const char *const gpu_modules[] = {"i915", "xe"};
static const char *const numeric_params[] = {"max_vfs", "enable_guc"};

#define NMODULES (sizeof(watched_modules) / sizeof(watched_modules[0]))
#define NPARAMS (sizeof(numeric_params) / sizeof(numeric_params[0]))

struct module_files {
	const char *name;
	bool gpu;
	struct attr initstate;
	struct attr taint;
	struct attr params[NPARAMS];
	/* Whether module/<name> exists: looked at only when initstate does not read (a built-in
	 * module has none, an unloaded one has no directory), at most every COLLECTOR_RECHECK_NS. */
	bool dir_exists;
	bool dir_known;
	int64_t dir_checked_ns;
};

struct module_state {
	struct module_files m[NMODULES];
};

static void
init_attr(struct attr *a, int sys, const char *module, const char *file)
{
	char rel[96];

	(void)snprintf(rel, sizeof(rel), "module/%s/%s", module, file);
	attr_init(a, sys, rel);
}

static int
module_init(struct collector *c, const struct roots *roots)
{
	struct module_state *st = xcalloc(1, sizeof(*st));

	for (size_t i = 0; i < NMODULES; i++) {
		struct module_files *m = &st->m[i];
		m->name = watched_modules[i];
		for (size_t j = 0; j < nitems(gpu_modules); j++)
			m->gpu |= strcmp(gpu_modules[j], m->name) == 0;
		init_attr(&m->initstate, roots->sys, m->name, "initstate");
		init_attr(&m->taint, roots->sys, m->name, "taint");
		for (size_t j = 0; j < NPARAMS; j++) {
			char file[64];
			(void)snprintf(file, sizeof(file), "parameters/%s", numeric_params[j]);
			init_attr(&m->params[j], roots->sys, m->name, file);
		}
	}
	collector_set_data(c, st);
	return 0;
}

static void
module_fini(struct collector *c)
{
	struct module_state *st = collector_get_data(c);

	if (st == NULL)
		return;
	for (size_t i = 0; i < NMODULES; i++) {
		attr_fini(&st->m[i].initstate);
		attr_fini(&st->m[i].taint);
		for (size_t j = 0; j < NPARAMS; j++)
			attr_fini(&st->m[i].params[j]);
	}
	free(st);
	collector_set_data(c, NULL);
}

static bool
dir_exists(struct module_files *m, int sys, int64_t now)
{
	char rel[64];

	if (m->dir_known && now - m->dir_checked_ns < COLLECTOR_RECHECK_NS && now >= m->dir_checked_ns)
		return m->dir_exists;
	(void)snprintf(rel, sizeof(rel), "module/%s", m->name);
	m->dir_exists = faccessat(sys, rel, F_OK, 0) == 0;
	m->dir_known = true;
	m->dir_checked_ns = now;
	return m->dir_exists;
}

/* A module is loaded when sys/module/<name> exists and, for a loadable one, its initstate is
 * "live" (built-in modules have no initstate). */
static bool
module_loaded(struct collector *c, struct module_files *m, int sys, int64_t now)
{
	char state[32];

	ssize_t n = attr_read(&m->initstate, state, sizeof(state), now);
	if (n >= 0) {
		m->dir_known = false; /* it exists now; look again if initstate goes */
		return strcmp(state, "live") == 0;
	}
	if (!dir_exists(m, sys, now))
		return false;
	if (n != -ENOENT)
		collector_skip(c, m->initstate.rel, (int)-n);
	return true;
}

static void
gpu_module(struct collector *c, struct expo *out, struct module_files *m, int64_t now)
{
	char taint[32];
	bool capable = false;

	for (size_t i = 0; i < NPARAMS; i++) {
		char value[32];
		int64_t v;
		ssize_t n = attr_read(&m->params[i], value, sizeof(value), now);
		/* The parameter exists unless the path does not resolve (what access(F_OK) says). */
		if (strcmp(numeric_params[i], "max_vfs") == 0)
			capable = n != -ENOENT && n != -ELOOP && n != -ENOTDIR;
		/* i915 makes max_vfs root-only (0400): unreadable is normal for this user. */
		if (n == -ENOENT || n == -EACCES || n == -EPERM)
			continue;
		if (n < 0 || parse_i64(value, 10, INT32_MIN, INT32_MAX, &v) < 0) {
			collector_skip(c, m->params[i].rel, n < 0 ? (int)-n : EINVAL);
			continue;
		}
		(void)expo_add(out, "gpu_sriov_module_param", EXPO_GAUGE,
			       "Numeric value of a GPU module parameter from "
			       "/sys/module/<module>/parameters (absent when unreadable: max_vfs is "
			       "root-only in i915).",
			       (double)v, EXPO_LABELS({"module", m->name}, {"param", numeric_params[i]}));
	}
	(void)expo_add(out, "gpu_sriov_module_sriov_capable", EXPO_GAUGE,
		       "1 when the loaded module has the SR-IOV parameter max_vfs (the SR-IOV "
		       "build, e.g. i915-sriov-dkms), 0 for a build without it.",
		       capable ? 1 : 0, EXPO_LABELS({"module", m->name}));

	/* O in the taint flags: an out-of-tree module, which is what a DKMS build is. */
	ssize_t n = attr_read(&m->taint, taint, sizeof(taint), now);
	if (n >= 0)
		(void)expo_add(out, "gpu_sriov_module_out_of_tree", EXPO_GAUGE,
			       "1 when the loaded module is tainted O (out of tree, as DKMS builds "
			       "are), from /sys/module/<module>/taint.",
			       strchr(taint, 'O') != NULL ? 1 : 0, EXPO_LABELS({"module", m->name}));
	else if (n != -ENOENT)
		collector_skip(c, m->taint.rel, (int)-n);
}

static int
module_collect(struct collector *c, struct expo *out)
{
	struct module_state *st = collector_get_data(c);
	int sys = collector_roots(c)->sys;
	int64_t now = monotonic_ns();

	for (size_t i = 0; i < NMODULES; i++) {
		struct module_files *m = &st->m[i];
		bool loaded = module_loaded(c, m, sys, now);
		(void)expo_add(out, "gpu_sriov_module_loaded", EXPO_GAUGE,
			       "1 when the kernel module is loaded (/sys/module/<module>).",
			       loaded ? 1 : 0, EXPO_LABELS({"module", m->name}));
		if (loaded && m->gpu)
			gpu_module(c, out, m, now);
	}
	return 0;
}

const struct collector_ops module_collector = {
	.name = "module",
	.help = "GPU and VFIO kernel modules, SR-IOV capable build, parameters",
	.default_enabled = true,
	.init = module_init,
	.collect = module_collect,
	.fini = module_fini,
};
