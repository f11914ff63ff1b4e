/* kernel collector: the running kernel, the kernels installed under /lib/modules, and the command
 * line parameters that decide whether SR-IOV can work (IOMMU mode, i915/xe VF ceilings, GuC). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../exporter/log.h"
#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "cmdline.h"
#include "collectors.h"

/* Parameters worth a series: the ones users set in the reference setup, or that break it. */
static const char *const watched_params[] = {
	"intel_iommu",	   "iommu", "i915.enable_guc", "i915.max_vfs", "xe.max_vfs",
	"module_blacklist", "xe.force_probe",
};

#define RELEASE_MAX 256

struct kernel_list {
	char **names;
	size_t n;
};

static int
cmp_version(const void *a, const void *b)
{
	return strverscmp(*(const char *const *)a, *(const char *const *)b);
}

static void
list_free(struct kernel_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
}

/* Release names are version strings; anything else in lib/modules is not a kernel. */
static bool
plausible_release(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("._+~-", *s) != NULL))
			return false;
	}
	return true;
}

/* A kernel counts as installed when its module directory has modules.dep: a directory left
 * behind by a removed kernel package (DKMS leftovers) has none. */
static int
list_installed(struct collector *c, struct kernel_list *ret)
{
	const struct roots *roots = collector_roots(c);
	struct kernel_list l = {NULL, 0};
	DIR *d = NULL;

	int r = sysfs_opendir(roots->root, "lib/modules", &d);
	if (r == -ENOENT) {
		*ret = l;
		return 0;
	}
	if (r < 0)
		return r;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char rel[RELEASE_MAX + 32];
		if (de->d_name[0] == '.')
			continue;
		if (strlen(de->d_name) >= RELEASE_MAX || !plausible_release(de->d_name)) {
			collector_skip(c, "lib/modules: a name that is not a kernel release", EINVAL);
			continue;
		}
		(void)snprintf(rel, sizeof(rel), "%s/modules.dep", de->d_name);
		if (faccessat(dirfd(d), rel, F_OK, AT_EACCESS) != 0)
			continue;
		if (l.n % 8 == 0)
			l.names = xrealloc(l.names, (l.n + 8) * sizeof(char *));
		l.names[l.n++] = xstrdup(de->d_name);
	}
	(void)closedir(d);
	if (l.n > 1) /* qsort() needs a valid pointer even for 0 elements (C11 7.22.5) */
		qsort(l.names, l.n, sizeof(char *), cmp_version);
	*ret = l;
	return 0;
}

struct param_ctx {
	struct expo *out;
	const char *values[sizeof(watched_params) / sizeof(watched_params[0])];
	char *storage[sizeof(watched_params) / sizeof(watched_params[0])];
};

static bool
param_cb(const char *name, const char *value, void *arg)
{
	struct param_ctx *p = arg;

	for (size_t i = 0; i < nitems(watched_params); i++) {
		if (!cmdline_name_eq(name, watched_params[i]))
			continue;
		/* The kernel applies the last occurrence; report what it applied. */
		free(p->storage[i]);
		p->storage[i] = xstrdup(value != NULL ? value : "");
		p->values[i] = p->storage[i];
	}
	return true;
}

static void
collect_cmdline(struct collector *c, struct expo *out)
{
	char line[4096];
	struct param_ctx p = {.out = out};

	ssize_t n = sysfs_read_str(collector_roots(c)->proc, "cmdline", line, sizeof(line));
	if (n < 0) {
		collector_skip(c, "cmdline", (int)-n);
		return;
	}
	if (cmdline_parse(line, param_cb, &p) < 0)
		collector_skip(c, "cmdline", EINVAL);
	for (size_t i = 0; i < nitems(watched_params); i++) {
		if (p.values[i] == NULL)
			continue;
		(void)expo_add(out, "gpu_sriov_kernel_cmdline_param_info", EXPO_GAUGE,
			       "Kernel command line parameters that matter for SR-IOV, from "
			       "/proc/cmdline (last occurrence wins, as in the kernel).",
			       1, EXPO_LABELS({"param", watched_params[i]}, {"value", p.values[i]}));
		free(p.storage[i]);
	}
}

/* proxmox-boot-tool pins: the kernel the next boot (or every boot) will use. A pin onto a kernel
 * without the DKMS module is the reboot that loses the VFs. */
static void
collect_pins(struct collector *c, struct expo *out)
{
	static const char *const pins[][2] = {{"etc/kernel/proxmox-boot-pin", "pin"},
					      {"etc/kernel/next-boot-pin", "next-boot"}};

	for (size_t i = 0; i < nitems(pins); i++) {
		char release[RELEASE_MAX];
		ssize_t n = sysfs_read_str(collector_roots(c)->root, pins[i][0], release,
					   sizeof(release));
		if (n == -ENOENT)
			continue;
		if (n < 0 || n == 0 || !plausible_release(release)) {
			collector_skip(c, pins[i][0], n < 0 ? (int)-n : EINVAL);
			continue;
		}
		(void)expo_add(out, "gpu_sriov_kernel_boot_pin_info", EXPO_GAUGE,
			       "Kernel pinned with proxmox-boot-tool (kind pin: every boot, from "
			       "/etc/kernel/proxmox-boot-pin; next-boot: the next boot only); always 1.",
			       1, EXPO_LABELS({"release", release}, {"kind", pins[i][1]}));
	}
}

static int
kernel_collect(struct collector *c, struct expo *out)
{
	char running[RELEASE_MAX];
	struct kernel_list l;

	ssize_t n = sysfs_read_str(collector_roots(c)->proc, "sys/kernel/osrelease", running,
				   sizeof(running));
	if (n < 0)
		return (int)n; /* no procfs at all: nothing here can be trusted */
	(void)expo_add(out, "gpu_sriov_kernel_info", EXPO_GAUGE,
		       "Running kernel release, from /proc/sys/kernel/osrelease; always 1.", 1,
		       EXPO_LABELS({"release", running}));

	int r = list_installed(c, &l);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l.n; i++) {
		bool is_running = strcmp(l.names[i], running) == 0;
		bool newest = i == l.n - 1;
		(void)expo_add(out, "gpu_sriov_installed_kernel_info", EXPO_GAUGE,
			       "Kernels installed under /lib/modules (with modules.dep); always 1.", 1,
			       EXPO_LABELS({"release", l.names[i]},
					   {"running", is_running ? "true" : "false"},
					   {"newest", newest ? "true" : "false"}));
	}
	list_free(&l);
	collect_cmdline(c, out);
	collect_pins(c, out);
	return 0;
}

const struct collector_ops kernel_collector = {
	.name = "kernel",
	.help = "running and installed kernels, SR-IOV command line parameters",
	.default_enabled = true,
	.collect = kernel_collect,
};
