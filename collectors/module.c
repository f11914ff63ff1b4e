/* module collector: which GPU and VFIO kernel modules are loaded, and whether the loaded i915/xe
 * is the SR-IOV capable build. After a kernel update without a DKMS rebuild the stock i915 loads
 * instead: it has no max_vfs parameter, and VFs never come back. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../exporter/log.h"
#include "../exporter/parse.h"
#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "collectors.h"

static const char *const watched_modules[] = {"i915", "xe", "vfio_pci", "vfio_iommu_type1"};
/* Modules whose build decides SR-IOV, and the parameters worth a number. */
static const char *const gpu_modules[] = {"i915", "xe"};
static const char *const numeric_params[] = {"enable_guc", "max_vfs"};

/* A module is loaded when sys/module/<name> exists and, for a loadable one, its initstate is
 * "live" (built-in modules have no initstate). */
static bool
module_loaded(struct collector *c, int sys, const char *name)
{
	char rel[64], state[32];

	(void)snprintf(rel, sizeof(rel), "module/%s", name);
	if (faccessat(sys, rel, F_OK, 0) != 0)
		return false;
	(void)snprintf(rel, sizeof(rel), "module/%s/initstate", name);
	ssize_t n = sysfs_read_str(sys, rel, state, sizeof(state));
	if (n == -ENOENT)
		return true;
	if (n < 0) {
		collector_skip(c, rel, (int)-n);
		return true;
	}
	return strcmp(state, "live") == 0;
}

static void
gpu_module(struct collector *c, struct expo *out, int sys, const char *name)
{
	char rel[96], taint[32];

	(void)snprintf(rel, sizeof(rel), "module/%s/parameters/max_vfs", name);
	bool capable = faccessat(sys, rel, F_OK, 0) == 0;
	(void)expo_add(out, "gpu_sriov_module_sriov_capable", EXPO_GAUGE,
		       "1 when the loaded module has the SR-IOV parameter max_vfs (the SR-IOV "
		       "build, e.g. i915-sriov-dkms), 0 for a build without it.",
		       capable ? 1 : 0, EXPO_LABELS({"module", name}));

	for (size_t i = 0; i < nitems(numeric_params); i++) {
		char value[32];
		int64_t v;
		(void)snprintf(rel, sizeof(rel), "module/%s/parameters/%s", name, numeric_params[i]);
		ssize_t n = sysfs_read_str(sys, rel, value, sizeof(value));
		/* i915 makes max_vfs root-only (0400): unreadable is normal for this user. */
		if (n == -ENOENT || n == -EACCES || n == -EPERM)
			continue;
		if (n < 0 || parse_i64(value, 10, INT32_MIN, INT32_MAX, &v) < 0) {
			collector_skip(c, rel, n < 0 ? (int)-n : EINVAL);
			continue;
		}
		(void)expo_add(out, "gpu_sriov_module_param", EXPO_GAUGE,
			       "Numeric value of a GPU module parameter from "
			       "/sys/module/<module>/parameters (absent when unreadable: max_vfs is "
			       "root-only in i915).",
			       (double)v, EXPO_LABELS({"module", name}, {"param", numeric_params[i]}));
	}

	/* O in the taint flags: an out-of-tree module, which is what a DKMS build is. */
	(void)snprintf(rel, sizeof(rel), "module/%s/taint", name);
	ssize_t n = sysfs_read_str(sys, rel, taint, sizeof(taint));
	if (n >= 0)
		(void)expo_add(out, "gpu_sriov_module_out_of_tree", EXPO_GAUGE,
			       "1 when the loaded module is tainted O (out of tree, as DKMS builds "
			       "are), from /sys/module/<module>/taint.",
			       strchr(taint, 'O') != NULL ? 1 : 0, EXPO_LABELS({"module", name}));
	else if (n != -ENOENT)
		collector_skip(c, rel, (int)-n);
}

static int
module_collect(struct collector *c, struct expo *out)
{
	int sys = collector_roots(c)->sys;

	for (size_t i = 0; i < nitems(watched_modules); i++) {
		bool loaded = module_loaded(c, sys, watched_modules[i]);
		(void)expo_add(out, "gpu_sriov_module_loaded", EXPO_GAUGE,
			       "1 when the kernel module is loaded (/sys/module/<module>).",
			       loaded ? 1 : 0, EXPO_LABELS({"module", watched_modules[i]}));
		for (size_t j = 0; loaded && j < nitems(gpu_modules); j++) {
			if (strcmp(gpu_modules[j], watched_modules[i]) == 0)
				gpu_module(c, out, sys, watched_modules[i]);
		}
	}
	return 0;
}

const struct collector_ops module_collector = {
	.name = "module",
	.help = "GPU and VFIO kernel modules, SR-IOV capable build, parameters",
	.default_enabled = true,
	.collect = module_collect,
};
