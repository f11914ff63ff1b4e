/* drm collector: the DRM cards and render nodes of each GPU function, whether the render node a
 * workload needs (Frigate's /dev/dri/renderD128) exists and can be opened, engines, GT frequency,
 * RC6 residency and captured hangs. Cards are found from the PCI side (bus/pci/devices/<bdf>/drm),
 * never by assuming card0. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <xf86drm.h>

#include "../exporter/log.h"
#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "collectors.h"
#include "pci.h"

#define DRM_MAJOR_NUM 226
#define RC6_KEYS 64

/* rc6_residency_ms is a u32 of milliseconds: it wraps after about 49.7 days. Keeping the last
 * raw value per function turns it into a monotonic counter. */
struct rc6 {
	char bdf[PARSE_BDF_SIZE];
	uint64_t last;
	uint64_t wraps;
};

struct drm_state {
	struct rc6 rc6[RC6_KEYS];
	size_t nrc6;
};

static const char *const engine_classes[] = {"render", "copy", "video", "video-enhance",
					     "compute"};

static int
drm_init(struct collector *c, const struct roots *roots)
{
	(void)roots;
	collector_set_data(c, xcalloc(1, sizeof(struct drm_state)));
	return 0;
}

static void
drm_fini(struct collector *c)
{
	free(collector_get_data(c));
	collector_set_data(c, NULL);
}

struct nodes {
	char card[32];
	char render[32];
};

/* Names of the card and render node under the function's drm/ directory ("" when absent). */
static void
find_nodes(struct collector *c, const char *bdf, struct nodes *ret)
{
	char rel[64];
	DIR *d = NULL;
	struct dirent *de;

	memset(ret, 0, sizeof(*ret));
	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/drm", bdf);
	int r = sysfs_opendir(collector_roots(c)->sys, rel, &d);
	if (r < 0) {
		if (r != -ENOENT)
			collector_skip(c, rel, -r);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		uint64_t n;
		if (strncmp(de->d_name, "card", 4) == 0 && parse_u64(de->d_name + 4, 10, 255, &n) == 0)
			(void)snprintf(ret->card, sizeof(ret->card), "%.31s", de->d_name);
		else if (strncmp(de->d_name, "renderD", 7) == 0 &&
			 parse_u64(de->d_name + 7, 10, 511, &n) == 0)
			(void)snprintf(ret->render, sizeof(ret->render), "%.31s", de->d_name);
	}
	(void)closedir(d);
}

/* dev/dri/<node> below rootfs is a character device with the numbers sysfs gives. */
static bool
node_present(struct collector *c, const char *bdf, const char *node)
{
	char rel[96], dev[32];
	struct stat st;

	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/drm/%s/dev", bdf, node);
	ssize_t n = sysfs_read_str(collector_roots(c)->sys, rel, dev, sizeof(dev));
	if (n < 0) {
		collector_skip(c, rel, (int)-n);
		return false;
	}
	char *colon = strchr(dev, ':');
	uint64_t maj, min;
	if (colon == NULL) {
		collector_skip(c, rel, EINVAL);
		return false;
	}
	*colon = '\0';
	if (parse_u64(dev, 10, 4095, &maj) < 0 || parse_u64(colon + 1, 10, 1048575, &min) < 0) {
		collector_skip(c, rel, EINVAL);
		return false;
	}
	(void)snprintf(rel, sizeof(rel), "dev/dri/%s", node);
	if (fstatat(collector_roots(c)->root, rel, &st, 0) < 0)
		return false;
	return S_ISCHR(st.st_mode) && major(st.st_rdev) == maj && minor(st.st_rdev) == min &&
	       maj == DRM_MAJOR_NUM;
}

/* libdrm's own view of the opened device must be the PCI function sysfs mapped it to: a mismatch
 * means the /dev node belongs to another device (stale udev state, reused minor). */
static bool
same_pci_function(int fd, const char *bdf)
{
	drmDevicePtr dev = NULL;
	char got[32];

	if (drmGetDevice2(fd, 0, &dev) != 0 || dev == NULL)
		return true; /* libdrm cannot tell: nothing to contradict */
	bool same = true;
	if (dev->bustype == DRM_BUS_PCI) {
		(void)snprintf(got, sizeof(got), "%04x:%02x:%02x.%u", dev->businfo.pci->domain,
			       dev->businfo.pci->bus, dev->businfo.pci->dev, dev->businfo.pci->func);
		same = strcmp(got, bdf) == 0;
	}
	drmFreeDevice(&dev);
	return same;
}

/* Opens the node read-write as a workload would. Returns 0 or -errno; on success ret_driver gets
 * the DRM driver name libdrm reports. */
static int
node_open(struct collector *c, const char *bdf, const char *node, char *ret_driver, size_t size)
{
	char rel[128];

	(void)snprintf(rel, sizeof(rel), "dev/dri/%s", node);
	int fd = openat(collector_roots(c)->root, rel, O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	drmVersionPtr v = drmGetVersion(fd);
	int r = 0;
	if (v == NULL) {
		r = -ENOTTY; /* opened, but no DRM device answered */
	} else if (!same_pci_function(fd, bdf)) {
		(void)snprintf(rel, sizeof(rel), "dev/dri/%s: belongs to another PCI function", node);
		collector_skip(c, rel, EXDEV);
		r = -EXDEV;
	} else {
		(void)snprintf(ret_driver, size, "%.*s", v->name_len, v->name);
	}
	drmFreeVersion(v);
	(void)close(fd);
	return r;
}

static void
collect_render(struct collector *c, struct expo *out, const char *bdf, const char *node,
	       size_t *present_count)
{
	bool present = node_present(c, bdf, node);
	char driver[64] = "";
	int err = present ? node_open(c, bdf, node, driver, sizeof(driver)) : -ENOENT;

	*present_count += present;
	(void)expo_add(out, "gpu_sriov_render_node_present", EXPO_GAUGE,
		       "1 when the render node exists in sysfs and /dev/dri/<node> is a character "
		       "device with its numbers.",
		       present ? 1 : 0, EXPO_LABELS({"render_node", node}, {"pci_address", bdf}));
	(void)expo_add(out, "gpu_sriov_render_node_accessible", EXPO_GAUGE,
		       "1 when the exporter's user can open the render node read-write and libdrm "
		       "gets a DRM version from it; 0 otherwise (see "
		       "gpu_sriov_render_node_open_error_info).",
		       err == 0 ? 1 : 0, EXPO_LABELS({"render_node", node}, {"pci_address", bdf}));
	if (err != 0)
		(void)expo_add(out, "gpu_sriov_render_node_open_error_info", EXPO_GAUGE,
			       "Why the render node cannot be opened: ENOENT (no node), EACCES/EPERM "
			       "(not in the render group), ENODEV/ENXIO (stale node, device gone), "
			       "ENOTTY (not a DRM device), EXDEV (libdrm maps it to another PCI "
			       "function); always 1.",
			       1,
			       EXPO_LABELS({"render_node", node}, {"pci_address", bdf},
					   {"error", errno_name(-err)}));
}

static void
collect_engines(struct collector *c, struct expo *out, const char *bdf, const char *card)
{
	char rel[96];
	DIR *d = NULL;
	struct dirent *de;

	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/drm/%s/engine", bdf, card);
	int dfd = collector_roots(c)->sys;
	if (sysfs_opendir(dfd, rel, &d) < 0)
		return; /* xe and old kernels have no engine directory */
	while ((de = readdir(d)) != NULL) {
		char attr[NAME_MAX + 16], inst[16];
		uint64_t cls = 0, in = 0; /* set for the analyzer, which cannot see into sysfs.c */
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(attr, sizeof(attr), "%s/class", de->d_name);
		int r = sysfs_read_u64(dirfd(d), attr, 10, 255, &cls);
		if (r == 0) {
			(void)snprintf(attr, sizeof(attr), "%s/instance", de->d_name);
			r = sysfs_read_u64(dirfd(d), attr, 10, 255, &in);
		}
		if (r < 0 || cls >= nitems(engine_classes)) {
			char what[NAME_MAX + 128];
			(void)snprintf(what, sizeof(what), "%s/%s", rel, de->d_name);
			collector_skip(c, what, r < 0 ? -r : EINVAL);
			continue;
		}
		(void)snprintf(inst, sizeof(inst), "%llu", (unsigned long long)in);
		(void)expo_add(out, "gpu_sriov_engine_info", EXPO_GAUGE,
			       "GPU engines from /sys/class/drm/<card>/engine (class is the uabi "
			       "class); always 1.",
			       1,
			       EXPO_LABELS({"pci_address", bdf}, {"engine", de->d_name},
					   {"class", engine_classes[cls]}, {"instance", inst}));
	}
	(void)closedir(d);
}

/* Frequency files: i915's gt/gt0/rps_*, the legacy gt_* copies, then xe's freq0. The first
 * source that exists for a kind wins. */
static void
collect_frequency(struct collector *c, struct expo *out, const char *bdf, const char *card)
{
	static const struct {
		const char *kind;
		const char *files[3];
	} kinds[] = {
#define XE_FREQ "device/tile0/gt0/freq0/"
		{"actual", {"gt/gt0/rps_act_freq_mhz", "gt_act_freq_mhz", XE_FREQ "act_freq"}},
		{"requested", {"gt/gt0/rps_cur_freq_mhz", "gt_cur_freq_mhz", XE_FREQ "cur_freq"}},
		{"min", {"gt/gt0/rps_min_freq_mhz", "gt_min_freq_mhz", XE_FREQ "min_freq"}},
		{"max", {"gt/gt0/rps_max_freq_mhz", "gt_max_freq_mhz", XE_FREQ "max_freq"}},
		{"boost", {"gt/gt0/rps_boost_freq_mhz", "gt_boost_freq_mhz", NULL}},
#undef XE_FREQ
	};
	int sys = collector_roots(c)->sys;

	for (size_t k = 0; k < nitems(kinds); k++) {
		for (size_t f = 0; f < 3 && kinds[k].files[f] != NULL; f++) {
			char rel[160];
			uint64_t mhz;
			(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/drm/%s/%s", bdf, card,
				       kinds[k].files[f]);
			int r = sysfs_read_u64(sys, rel, 10, 100000, &mhz);
			if (r == -ENOENT)
				continue;
			if (r < 0)
				collector_skip(c, rel, -r);
			else
				(void)expo_add(out, "gpu_sriov_gpu_frequency_hertz", EXPO_GAUGE,
					       "GT frequency of GT 0 from sysfs (actual, requested, "
					       "min, max, boost); a VF has none.",
					       (double)mhz * 1e6,
					       EXPO_LABELS({"pci_address", bdf}, {"kind", kinds[k].kind}));
			break;
		}
	}
}

static void
collect_rc6(struct collector *c, struct expo *out, const char *bdf, const char *card)
{
	static const char *const files[] = {"gt/gt0/rc6_residency_ms", "power/rc6_residency_ms",
					    "device/tile0/gt0/gtidle/idle_residency_ms"};
	struct drm_state *st = collector_get_data(c);

	for (size_t f = 0; f < nitems(files); f++) {
		char rel[160];
		uint64_t ms;
		(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/drm/%s/%s", bdf, card, files[f]);
		int r = sysfs_read_u64(collector_roots(c)->sys, rel, 10, UINT32_MAX, &ms);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			collector_skip(c, rel, -r);
			return;
		}
		struct rc6 *k = NULL;
		for (size_t i = 0; i < st->nrc6 && k == NULL; i++)
			k = strcmp(st->rc6[i].bdf, bdf) == 0 ? &st->rc6[i] : NULL;
		if (k == NULL && st->nrc6 < RC6_KEYS) {
			k = &st->rc6[st->nrc6++];
			(void)snprintf(k->bdf, sizeof(k->bdf), "%s", bdf);
			k->last = ms;
		}
		if (k == NULL)
			return;
		if (ms < k->last)
			k->wraps++;
		k->last = ms;
		(void)expo_add(out, "gpu_sriov_rc6_residency_seconds_total", EXPO_COUNTER,
			       "Time GT 0 spent in RC6 (power-gated idle), from rc6_residency_ms "
			       "(xe: gtidle/idle_residency_ms); u32 wrap-arounds are carried.",
			       ((double)k->wraps * 4294967296.0 + (double)ms) / 1000.0,
			       EXPO_LABELS({"pci_address", bdf}));
		return;
	}
}

/* cardN/error is root-only and can be megabytes: the first line decides. */
static void
collect_error_state(struct collector *c, struct expo *out, const char *bdf, const char *card)
{
	char rel[96], head[64];
	static const char empty[] = "No error state collected";

	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/drm/%s/error", bdf, card);
	int fd = openat(collector_roots(c)->sys, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return; /* absent (xe, VF), or not root */
	ssize_t n = read(fd, head, sizeof(head) - 1);
	(void)close(fd);
	if (n < 0)
		return; /* capture disabled: ENODEV */
	head[n] = '\0';
	(void)expo_add(out, "gpu_sriov_error_state_present", EXPO_GAUGE,
		       "1 when /sys/class/drm/<card>/error holds a captured GPU hang (root-only "
		       "file; absent when unreadable).",
		       strncmp(head, empty, strlen(empty)) == 0 ? 0 : 1,
		       EXPO_LABELS({"pci_address", bdf}));
}

static const char *
role_name(enum pci_role role)
{
	return role == PCI_ROLE_PF ? "pf" : role == PCI_ROLE_VF ? "vf" : "none";
}

static int
drm_collect(struct collector *c, struct expo *out)
{
	struct pci_list l;
	size_t present = 0;

	int r = pci_list_gpus(c, collector_roots(c)->sys, &l);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l.n; i++) {
		const struct pci_fn *fn = &l.fns[i];
		struct nodes nodes;
		find_nodes(c, fn->bdf, &nodes);
		if (nodes.card[0] == '\0' && nodes.render[0] == '\0')
			continue;
		(void)expo_add(out, "gpu_sriov_drm_card_info", EXPO_GAUGE,
			       "DRM devices per PCI function (function: pf, vf, or none when no "
			       "SR-IOV relation is visible, as for a VF inside a guest); always 1.",
			       1,
			       EXPO_LABELS({"card", nodes.card}, {"render_node", nodes.render},
					   {"pci_address", fn->bdf}, {"driver", fn->driver},
					   {"function", role_name(fn->role)}));
		if (nodes.render[0] != '\0')
			collect_render(c, out, fn->bdf, nodes.render, &present);
		if (nodes.card[0] == '\0')
			continue;
		collect_engines(c, out, fn->bdf, nodes.card);
		collect_frequency(c, out, fn->bdf, nodes.card);
		collect_rc6(c, out, fn->bdf, nodes.card);
		collect_error_state(c, out, fn->bdf, nodes.card);
	}
	(void)expo_add(out, "gpu_sriov_render_nodes", EXPO_GAUGE,
		       "Render nodes present (sysfs and /dev/dri agree).", (double)present, NULL, 0);
	pci_list_free(&l);
	return 0;
}

const struct collector_ops drm_collector = {
	.name = "drm",
	.help = "DRM cards and render nodes, engines, GT frequency, RC6, captured hangs",
	.default_enabled = true,
	.init = drm_init,
	.collect = drm_collect,
	.fini = drm_fini,
};
