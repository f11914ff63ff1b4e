/* kernel collector: the running kernel, the kernels installed under /lib/modules, and the command
 * line parameters that decide whether SR-IOV can work (IOMMU mode, i915/xe VF ceilings, GuC).
 *
 * The running release and the command line cannot change while the system runs: they are read by
 * the first scrape that can read them and kept. Installed kernels and boot pins change when
 * packages are installed; they are looked at again at most every COLLECTOR_RECHECK_NS (5 s), so a
 * change shows within that bound. Values skipped while reading are counted again in every scrape
 * that reports from the kept copy. */
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
#define NPARAMS (sizeof(watched_params) / sizeof(watched_params[0]))
#define MAX_SKIPS 64

struct kernel_list {
	char **names;
	size_t n;
};

struct skip_note {
	const char *what; /* static storage */
	int err;
};

static const char *const pins[][2] = {{"etc/kernel/proxmox-boot-pin", "pin"},
				      {"etc/kernel/next-boot-pin", "next-boot"}};
#define NPINS (sizeof(pins) / sizeof(pins[0]))

struct kernel_state {
	/* Fixed while the system runs. */
	bool have_running;
	char running[RELEASE_MAX];
	bool have_cmdline;
	bool cmdline_bad;     /* an unterminated quote: counted as skipped in every scrape */
	char *values[NPARAMS]; /* last occurrence of each watched parameter, NULL when absent */
	/* Re-read at most every COLLECTOR_RECHECK_NS. */
	bool scanned;
	int64_t scanned_ns;
	struct kernel_list installed;
	char pins[NPINS][RELEASE_MAX]; /* empty: no pin */
	struct skip_note skips[MAX_SKIPS];
	size_t nskips;
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
static void
note_skip(struct kernel_state *st, const char *what, int err)
{
	if (st->nskips < MAX_SKIPS)
		st->skips[st->nskips++] = (struct skip_note){what, err};
}

static int
list_installed(struct kernel_state *st, int root, struct kernel_list *ret)
{
	struct kernel_list l = {NULL, 0};
	DIR *d = NULL;

	int r = sysfs_opendir(root, "lib/modules", &d);
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
			note_skip(st, "lib/modules: a name that is not a kernel release", EINVAL);
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
	char *values[NPARAMS];
};

static bool
param_cb(const char *name, const char *value, void *arg)
{
	struct param_ctx *p = arg;

	for (size_t i = 0; i < NPARAMS; i++) {
		if (!cmdline_name_eq(name, watched_params[i]))
			continue;
		/* The kernel applies the last occurrence; report what it applied. */
		free(p->values[i]);
		p->values[i] = xstrdup(value != NULL ? value : "");
	}
	return true;
}

/* Reads and parses proc/cmdline once; an unreadable one is tried again by the next scrape. */
static void
read_cmdline(struct collector *c, struct kernel_state *st)
{
	char line[4096];
	struct param_ctx p;

	memset(&p, 0, sizeof(p));
	ssize_t n = sysfs_read_str(collector_roots(c)->proc, "cmdline", line, sizeof(line));
	if (n < 0) {
		collector_skip(c, "cmdline", (int)-n);
		return;
	}
	st->cmdline_bad = cmdline_parse(line, param_cb, &p) < 0;
	memcpy(st->values, p.values, sizeof(st->values));
	st->have_cmdline = true;
}

static void
emit_cmdline(struct collector *c, const struct kernel_state *st, struct expo *out)
{
	if (st->cmdline_bad)
		collector_skip(c, "cmdline", EINVAL);
	for (size_t i = 0; i < NPARAMS; i++) {
		if (st->values[i] == NULL)
			continue;
		(void)expo_add(out, "gpu_sriov_kernel_cmdline_param_info", EXPO_GAUGE,
			       "Kernel command line parameters that matter for SR-IOV, from "
			       "/proc/cmdline (last occurrence wins, as in the kernel).",
			       1, EXPO_LABELS({"param", watched_params[i]}, {"value", st->values[i]}));
	}
}

/* proxmox-boot-tool pins: the kernel the next boot (or every boot) will use. A pin onto a kernel
 * without the DKMS module is the reboot that loses the VFs. */
static void
read_pins(struct kernel_state *st, int root)
{
	for (size_t i = 0; i < NPINS; i++) {
		char release[RELEASE_MAX];
		st->pins[i][0] = '\0';
		ssize_t n = sysfs_read_str(root, pins[i][0], release, sizeof(release));
		if (n == -ENOENT)
			continue;
		if (n < 0 || n == 0 || !plausible_release(release)) {
			note_skip(st, pins[i][0], n < 0 ? (int)-n : EINVAL);
			continue;
		}
		memcpy(st->pins[i], release, (size_t)n + 1);
	}
}

/* Installed kernels and pins, read again when the last read is COLLECTOR_RECHECK_NS old. */
static int
scan(struct collector *c, struct kernel_state *st)
{
	int root = collector_roots(c)->root;
	int64_t now = monotonic_ns();
	struct kernel_list l;

	if (st->scanned && now - st->scanned_ns < COLLECTOR_RECHECK_NS && now >= st->scanned_ns)
		return 0;
	st->nskips = 0;
	int r = list_installed(st, root, &l);
	if (r < 0) {
		st->scanned = false; /* a failure is not kept: the next scrape tries again */
		return r;
	}
	list_free(&st->installed);
	st->installed = l;
	read_pins(st, root);
	st->scanned = true;
	st->scanned_ns = now;
	return 0;
}

static int
kernel_init(struct collector *c, const struct roots *roots)
{
	(void)roots;
	collector_set_data(c, xcalloc(1, sizeof(struct kernel_state)));
	return 0;
}

static void
kernel_fini(struct collector *c)
{
	struct kernel_state *st = collector_get_data(c);

	if (st == NULL)
		return;
	list_free(&st->installed);
	for (size_t i = 0; i < NPARAMS; i++)
		free(st->values[i]);
	free(st);
	collector_set_data(c, NULL);
}

static int
kernel_collect(struct collector *c, struct expo *out)
{
	struct kernel_state *st = collector_get_data(c);

	if (!st->have_running) {
		ssize_t n = sysfs_read_str(collector_roots(c)->proc, "sys/kernel/osrelease",
					   st->running, sizeof(st->running));
		if (n < 0)
			return (int)n; /* no procfs at all: nothing here can be trusted */
		st->have_running = true;
	}
	(void)expo_add(out, "gpu_sriov_kernel_info", EXPO_GAUGE,
		       "Running kernel release, from /proc/sys/kernel/osrelease; always 1.", 1,
		       EXPO_LABELS({"release", st->running}));

	int r = scan(c, st);
	if (r < 0)
		return r;
	for (size_t i = 0; i < st->nskips; i++)
		collector_skip(c, st->skips[i].what, st->skips[i].err);
	const struct kernel_list *l = &st->installed;
	for (size_t i = 0; i < l->n; i++) {
		bool is_running = strcmp(l->names[i], st->running) == 0;
		bool newest = i == l->n - 1;
		(void)expo_add(out, "gpu_sriov_installed_kernel_info", EXPO_GAUGE,
			       "Kernels installed under /lib/modules (with modules.dep); always 1.", 1,
			       EXPO_LABELS({"release", l->names[i]},
					   {"running", is_running ? "true" : "false"},
					   {"newest", newest ? "true" : "false"}));
	}
	if (!st->have_cmdline)
		read_cmdline(c, st);
	if (st->have_cmdline)
		emit_cmdline(c, st, out);
	for (size_t i = 0; i < NPINS; i++) {
		if (st->pins[i][0] == '\0')
			continue;
		(void)expo_add(out, "gpu_sriov_kernel_boot_pin_info", EXPO_GAUGE,
			       "Kernel pinned with proxmox-boot-tool (kind pin: every boot, from "
			       "/etc/kernel/proxmox-boot-pin; next-boot: the next boot only); always 1.",
			       1, EXPO_LABELS({"release", st->pins[i]}, {"kind", pins[i][1]}));
	}
	return 0;
}

const struct collector_ops kernel_collector = {
	.name = "kernel",
	.help = "running and installed kernels, SR-IOV command line parameters",
	.default_enabled = true,
	.init = kernel_init,
	.collect = kernel_collect,
	.fini = kernel_fini,
};
