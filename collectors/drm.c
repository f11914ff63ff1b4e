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

#include "../exporter/attr.h"
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


#define FREQ_KINDS 5

/* What a card has that does not change while its drm/<card> directory entry is the same: the
 * engines, and which frequency, RC6 and error files exist (kept open). */
struct card {
	char bdf[PARSE_BDF_SIZE];
	char name[32];
	ino_t ino;
	bool seen;
	int64_t read_ns;
	char (*engines)[32];
	uint8_t *engine_class, *engine_instance;
	size_t nengines;
	struct skip_note {
		char what[NAME_MAX + 128];
		int err;
	} skips[4];
	size_t nskips;
	/* Read on every scrape through kept descriptors (attr.h); rel NULL when no source exists. */
	struct attr freq[FREQ_KINDS];
	struct attr rc6;
	int error_fd; /* cardN/error, -1 when absent or unreadable */
};

/* A render node: its device numbers from sysfs, and the last open test, which stands while the
 * /dev node is the same (inode, numbers, owner, mode and ctime, which chmod, chown and ACL
 * changes move) and is younger than PROBE_MAX_AGE_NS. */
struct render {
	char bdf[PARSE_BDF_SIZE];
	char name[32];
	ino_t ino;
	bool seen;
	int dev_err; /* reading sysfs "dev" failed: -errno */
	unsigned maj, min;
	bool probed;
	int64_t probed_ns;
	struct stat node;
	int err;
};

#define MAX_CARDS 256
#define STATIC_MAX_AGE_NS (60LL * 1000000000LL)
#define PROBE_MAX_AGE_NS (60LL * 1000000000LL)

struct drm_state {
	struct rc6 rc6[RC6_KEYS];
	size_t nrc6;
	struct card *cards;
	size_t ncards;
	struct render *renders;
	size_t nrenders;
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
card_clear(struct card *k)
{
	for (size_t i = 0; i < FREQ_KINDS; i++)
		attr_fini(&k->freq[i]);
	attr_fini(&k->rc6);
	if (k->error_fd >= 0)
		(void)close(k->error_fd);
	k->error_fd = -1;
	free(k->engines);
	free(k->engine_class);
	free(k->engine_instance);
	k->engines = NULL;
	k->engine_class = k->engine_instance = NULL;
	k->nengines = 0;
	k->nskips = 0;
}

static void
drm_fini(struct collector *c)
{
	struct drm_state *st = collector_get_data(c);

	for (size_t i = 0; i < st->ncards; i++)
		card_clear(&st->cards[i]);
	free(st->cards);
	free(st->renders);
	free(st);
	collector_set_data(c, NULL);
}

struct nodes {
	char card[32];
	char render[32];
	ino_t card_ino, render_ino;
};

/* False for a function no DRM driver is bound to: unbound, or held by vfio-pci or pci-stub for
 * passthrough. Only a DRM driver registers cards, so its drm/ directory does not exist and is not
 * looked for; the driver link is read on every scan, so a function bound to a DRM driver later
 * is listed by that scrape. */
static bool
drm_capable_driver(const char *driver)
{
	return driver[0] != '\0' && strcmp(driver, "vfio-pci") != 0 && strcmp(driver, "pci-stub") != 0;
}

/* Names (and directory-entry inodes) of the card and render node under the function's drm/
 * directory ("" when absent): listed on every scrape, since nodes come and go with the driver. */
static void
find_nodes(struct collector *c, const char *bdf, struct nodes *ret)
{
	char rel[64], dents[4096];

	memset(ret, 0, sizeof(*ret));
	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/drm", bdf);
	int fd = openat(collector_roots(c)->sys, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			collector_skip(c, rel, errno);
		return;
	}
	for (;;) {
		ssize_t n = getdents64(fd, dents, sizeof(dents));
		if (n <= 0) {
			if (n < 0)
				collector_skip(c, rel, errno);
			break;
		}
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *de = (const void *)(dents + off);
			uint64_t num;
			off += de->d_reclen;
			if (strncmp(de->d_name, "card", 4) == 0 &&
			    parse_u64(de->d_name + 4, 10, 255, &num) == 0) {
				(void)snprintf(ret->card, sizeof(ret->card), "%.31s", de->d_name);
				ret->card_ino = de->d_ino;
			} else if (strncmp(de->d_name, "renderD", 7) == 0 &&
				   parse_u64(de->d_name + 7, 10, 511, &num) == 0) {
				(void)snprintf(ret->render, sizeof(ret->render), "%.31s", de->d_name);
				ret->render_ino = de->d_ino;
			}
		}
	}
	(void)close(fd);
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

static struct card *
card_entry(struct drm_state *st, const char *bdf, const char *name, ino_t ino, int64_t now,
	   bool *ret_new)
{
	for (size_t i = 0; i < st->ncards; i++) {
		struct card *k = &st->cards[i];
		if (strcmp(k->bdf, bdf) != 0 || strcmp(k->name, name) != 0)
			continue;
		*ret_new = k->ino != ino || now - k->read_ns >= STATIC_MAX_AGE_NS;
		if (*ret_new)
			card_clear(k);
		k->ino = ino;
		return k;
	}
	if (st->ncards == MAX_CARDS)
		return NULL;
	st->cards = xrealloc(st->cards, (st->ncards + 1) * sizeof(*st->cards));
	struct card *k = &st->cards[st->ncards++];
	memset(k, 0, sizeof(*k));
	(void)snprintf(k->bdf, sizeof(k->bdf), "%s", bdf);
	(void)snprintf(k->name, sizeof(k->name), "%s", name);
	k->ino = ino;
	k->error_fd = -1;
	*ret_new = true;
	return k;
}

static void
render_reset(struct render *n, const char *bdf, const char *name, ino_t ino)
{
	memset(n, 0, sizeof(*n));
	(void)snprintf(n->bdf, sizeof(n->bdf), "%s", bdf);
	(void)snprintf(n->name, sizeof(n->name), "%s", name);
	n->dev_err = 1; /* "dev" not read yet */
	n->ino = ino;
}

static struct render *
render_entry(struct drm_state *st, const char *bdf, const char *name, ino_t ino)
{
	for (size_t i = 0; i < st->nrenders; i++) {
		struct render *n = &st->renders[i];
		if (strcmp(n->bdf, bdf) != 0 || strcmp(n->name, name) != 0)
			continue;
		if (n->ino != ino)
			render_reset(n, bdf, name, ino);
		return n;
	}
	if (st->nrenders == MAX_CARDS)
		return NULL;
	st->renders = xrealloc(st->renders, (st->nrenders + 1) * sizeof(*st->renders));
	struct render *n = &st->renders[st->nrenders++];
	render_reset(n, bdf, name, ino);
	return n;
}

/* Forgets cards and nodes not seen in this scrape (their functions or drivers went away). */
static void
forget_unseen(struct drm_state *st)
{
	size_t w = 0;

	for (size_t i = 0; i < st->ncards; i++) {
		if (st->cards[i].seen)
			st->cards[w++] = st->cards[i];
		else
			card_clear(&st->cards[i]);
	}
	st->ncards = w;
	w = 0;
	for (size_t i = 0; i < st->nrenders; i++) {
		if (st->renders[i].seen)
			st->renders[w++] = st->renders[i];
	}
	st->nrenders = w;
}

static int
attr_read_u64(struct attr *a, uint64_t max, uint64_t *ret, int64_t now)
{
	char buf[32];

	ssize_t n = attr_read(a, buf, sizeof(buf), now);
	if (n < 0)
		return (int)n;
	return parse_u64(buf, 10, max, ret);
}

/* Sets a up for the first of files (below the card) that exists; rel stays NULL when none. */
static void
attr_choose(int sys, const char *bdf, const char *card, const char *const *files, size_t n,
	    struct attr *a, int64_t now)
{
	char rel[160], buf[32];

	for (size_t f = 0; f < n && files[f] != NULL; f++) {
		(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/drm/%s/%s", bdf, card,
			       files[f]);
		attr_init(a, sys, rel);
		if (attr_read(a, buf, sizeof(buf), now) != -ENOENT)
			return; /* other errors are reported when read */
		attr_fini(a);
	}
	memset(a, 0, sizeof(*a));
}

static void
note_card_skip(struct card *k, const char *what, int err)
{
	if (k->nskips < nitems(k->skips)) {
		(void)snprintf(k->skips[k->nskips].what, sizeof(k->skips[0].what), "%s", what);
		k->skips[k->nskips++].err = err;
	}
}

static void
load_engines(struct collector *c, struct card *k)
{
	char rel[96];
	DIR *d = NULL;
	struct dirent *de;

	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/drm/%s/engine", k->bdf, k->name);
	if (sysfs_opendir(collector_roots(c)->sys, rel, &d) < 0)
		return; /* xe and old kernels have no engine directory */
	while ((de = readdir(d)) != NULL) {
		char attr[NAME_MAX + 16];
		uint64_t cls = 0, in = 0; /* set for the analyzer, which cannot see into sysfs.c */
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(attr, sizeof(attr), "%s/class", de->d_name);
		int r = sysfs_read_u64(dirfd(d), attr, 10, 255, &cls);
		if (r == 0) {
			(void)snprintf(attr, sizeof(attr), "%s/instance", de->d_name);
			r = sysfs_read_u64(dirfd(d), attr, 10, 255, &in);
		}
		if (r < 0 || cls >= nitems(engine_classes) || strlen(de->d_name) >= sizeof(k->engines[0])) {
			char what[NAME_MAX + 128];
			(void)snprintf(what, sizeof(what), "%s/%s", rel, de->d_name);
			note_card_skip(k, what, r < 0 ? -r : EINVAL);
			/* Not remembered: tried again next scrape. */
			k->read_ns = INT64_MIN / 2;
			continue;
		}
		size_t n = k->nengines + 1;
		k->engines = xrealloc(k->engines, n * sizeof(*k->engines));
		k->engine_class = xrealloc(k->engine_class, n);
		k->engine_instance = xrealloc(k->engine_instance, n);
		/* Length checked above: the name fits with its NUL. */
		memcpy(k->engines[k->nengines], de->d_name, strlen(de->d_name) + 1);
		k->engine_class[k->nengines] = (uint8_t)cls;
		k->engine_instance[k->nengines] = (uint8_t)in;
		k->nengines++;
	}
	(void)closedir(d);
}

/* Frequency files: i915's gt/gt0/rps_*, the legacy gt_* copies, then xe's freq0. The first
 * source that exists for a kind wins. */
static const struct {
	const char *kind;
	const char *files[3];
} freq_kinds[FREQ_KINDS] = {
#define XE_FREQ "device/tile0/gt0/freq0/"
	{"actual", {"gt/gt0/rps_act_freq_mhz", "gt_act_freq_mhz", XE_FREQ "act_freq"}},
	{"requested", {"gt/gt0/rps_cur_freq_mhz", "gt_cur_freq_mhz", XE_FREQ "cur_freq"}},
	{"min", {"gt/gt0/rps_min_freq_mhz", "gt_min_freq_mhz", XE_FREQ "min_freq"}},
	{"max", {"gt/gt0/rps_max_freq_mhz", "gt_max_freq_mhz", XE_FREQ "max_freq"}},
	{"boost", {"gt/gt0/rps_boost_freq_mhz", "gt_boost_freq_mhz", NULL}},
#undef XE_FREQ
};

static const char *const rc6_files[] = {"gt/gt0/rc6_residency_ms", "power/rc6_residency_ms",
					"device/tile0/gt0/gtidle/idle_residency_ms"};

static void
load_card(struct collector *c, struct card *k, int64_t now)
{
	int sys = collector_roots(c)->sys;
	char rel[96];

	k->read_ns = now;
	load_engines(c, k);
	for (size_t i = 0; i < FREQ_KINDS; i++)
		attr_choose(sys, k->bdf, k->name, freq_kinds[i].files, 3, &k->freq[i], now);
	attr_choose(sys, k->bdf, k->name, rc6_files, nitems(rc6_files), &k->rc6, now);
	/* cardN/error is root-only and can be megabytes (attr_read() wants the whole value):
	 * a descriptor of its own; absent or unreadable means no metric. */
	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/drm/%s/error", k->bdf, k->name);
	int fd = openat(sys, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	k->error_fd = fd >= 0 ? fd : -1;
}

static void
collect_engines(struct collector *c, struct expo *out, const struct card *k)
{
	for (size_t i = 0; i < k->nskips; i++)
		collector_skip(c, k->skips[i].what, k->skips[i].err);
	for (size_t i = 0; i < k->nengines; i++) {
		char inst[16];
		(void)snprintf(inst, sizeof(inst), "%u", k->engine_instance[i]);
		(void)expo_add(out, "gpu_sriov_engine_info", EXPO_GAUGE,
			       "GPU engines from /sys/class/drm/<card>/engine (class is the uabi "
			       "class); always 1.",
			       1,
			       EXPO_LABELS({"pci_address", k->bdf}, {"engine", k->engines[i]},
					   {"class", engine_classes[k->engine_class[i]]},
					   {"instance", inst}));
	}
}

static void
collect_frequency(struct collector *c, struct expo *out, struct card *k, int64_t now)
{
	for (size_t i = 0; i < FREQ_KINDS; i++) {
		uint64_t mhz;
		if (k->freq[i].rel == NULL)
			continue;
		int r = attr_read_u64(&k->freq[i], 100000, &mhz, now);
		if (r < 0)
			collector_skip(c, k->freq[i].rel, -r);
		else
			(void)expo_add(out, "gpu_sriov_gpu_frequency_hertz", EXPO_GAUGE,
				       "GT frequency of GT 0 from sysfs (actual, requested, min, max, "
				       "boost); a VF has none.",
				       (double)mhz * 1e6,
				       EXPO_LABELS({"pci_address", k->bdf},
						   {"kind", freq_kinds[i].kind}));
	}
}

static void
collect_rc6(struct collector *c, struct expo *out, struct card *k, int64_t now)
{
	struct drm_state *st = collector_get_data(c);
	uint64_t ms;

	if (k->rc6.rel == NULL)
		return;
	int r = attr_read_u64(&k->rc6, UINT32_MAX, &ms, now);
	if (r < 0) {
		collector_skip(c, k->rc6.rel, -r);
		return;
	}
	struct rc6 *e = NULL;
	for (size_t i = 0; i < st->nrc6 && e == NULL; i++)
		e = strcmp(st->rc6[i].bdf, k->bdf) == 0 ? &st->rc6[i] : NULL;
	if (e == NULL && st->nrc6 < RC6_KEYS) {
		e = &st->rc6[st->nrc6++];
		(void)snprintf(e->bdf, sizeof(e->bdf), "%s", k->bdf);
		e->last = ms;
	}
	if (e == NULL)
		return;
	if (ms < e->last)
		e->wraps++;
	e->last = ms;
	(void)expo_add(out, "gpu_sriov_rc6_residency_seconds_total", EXPO_COUNTER,
		       "Time GT 0 spent in RC6 (power-gated idle), from rc6_residency_ms "
		       "(xe: gtidle/idle_residency_ms); u32 wrap-arounds are carried.",
		       ((double)e->wraps * 4294967296.0 + (double)ms) / 1000.0,
		       EXPO_LABELS({"pci_address", k->bdf}));
}

/* cardN/error can be megabytes: the first bytes decide. */
static void
collect_error_state(struct expo *out, const struct card *k)
{
	char head[64];
	static const char empty[] = "No error state collected";

	if (k->error_fd < 0)
		return;
	ssize_t n = pread(k->error_fd, head, sizeof(head) - 1, 0);
	if (n < 0)
		return; /* capture disabled: ENODEV */
	head[n] = '\0';
	(void)expo_add(out, "gpu_sriov_error_state_present", EXPO_GAUGE,
		       "1 when /sys/class/drm/<card>/error holds a captured GPU hang (root-only "
		       "file; absent when unreadable).",
		       strncmp(head, empty, strlen(empty)) == 0 ? 0 : 1,
		       EXPO_LABELS({"pci_address", k->bdf}));
}

/* dev/dri/<node> below rootfs is a character device with the numbers sysfs gives (read once
 * per node entry); *ret_node gets what fstatat() saw. */
static bool
node_present(struct collector *c, struct render *n, struct stat *ret_node)
{
	char rel[96], dev[32];

	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/drm/%s/dev", n->bdf, n->name);
	if (n->dev_err != 0) {
		ssize_t len = sysfs_read_str(collector_roots(c)->sys, rel, dev, sizeof(dev));
		char *colon = len >= 0 ? strchr(dev, ':') : NULL;
		uint64_t maj, min;
		n->dev_err = len < 0 ? (int)len : -EINVAL;
		if (colon != NULL) {
			*colon = '\0';
			if (parse_u64(dev, 10, 4095, &maj) == 0 &&
			    parse_u64(colon + 1, 10, 1048575, &min) == 0) {
				n->maj = (unsigned)maj;
				n->min = (unsigned)min;
				n->dev_err = 0;
			}
		}
	}
	if (n->dev_err != 0) {
		collector_skip(c, rel, -n->dev_err);
		n->dev_err = 1; /* read it again next scrape */
		return false;
	}
	(void)snprintf(rel, sizeof(rel), "dev/dri/%s", n->name);
	if (fstatat(collector_roots(c)->root, rel, ret_node, 0) < 0)
		return false;
	return S_ISCHR(ret_node->st_mode) && major(ret_node->st_rdev) == n->maj &&
	       minor(ret_node->st_rdev) == n->min && n->maj == DRM_MAJOR_NUM;
}

static bool
same_node(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_rdev == b->st_rdev &&
	       a->st_mode == b->st_mode && a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* The open test stands while the /dev node is the same and younger than PROBE_MAX_AGE_NS. */
static void
collect_render(struct collector *c, struct expo *out, struct render *n, int64_t now,
	       size_t *present_count)
{
	struct stat node;
	bool present = node_present(c, n, &node);
	char driver[64] = "";
	int err = -ENOENT;

	if (present) {
		if (!n->probed || !same_node(&n->node, &node) ||
		    now - n->probed_ns >= PROBE_MAX_AGE_NS) {
			n->err = node_open(c, n->bdf, n->name, driver, sizeof(driver));
			n->node = node;
			n->probed = true;
			n->probed_ns = now;
		} else if (n->err == -EXDEV) {
			char rel[96];
			(void)snprintf(rel, sizeof(rel), "dev/dri/%s: belongs to another PCI function",
				       n->name);
			collector_skip(c, rel, EXDEV);
		}
		err = n->err;
	} else {
		n->probed = false;
	}
	*present_count += present;
	(void)expo_add(out, "gpu_sriov_render_node_present", EXPO_GAUGE,
		       "1 when the render node exists in sysfs and /dev/dri/<node> is a character "
		       "device with its numbers.",
		       present ? 1 : 0,
		       EXPO_LABELS({"render_node", n->name}, {"pci_address", n->bdf}));
	(void)expo_add(out, "gpu_sriov_render_node_accessible", EXPO_GAUGE,
		       "1 when the exporter's user can open the render node read-write and libdrm "
		       "gets a DRM version from it; 0 otherwise (see "
		       "gpu_sriov_render_node_open_error_info).",
		       err == 0 ? 1 : 0,
		       EXPO_LABELS({"render_node", n->name}, {"pci_address", n->bdf}));
	if (err != 0)
		(void)expo_add(out, "gpu_sriov_render_node_open_error_info", EXPO_GAUGE,
			       "Why the render node cannot be opened: ENOENT (no node), EACCES/EPERM "
			       "(not in the render group), ENODEV/ENXIO (stale node, device gone), "
			       "ENOTTY (not a DRM device), EXDEV (libdrm maps it to another PCI "
			       "function); always 1.",
			       1,
			       EXPO_LABELS({"render_node", n->name}, {"pci_address", n->bdf},
					   {"error", errno_name(-err)}));
}

static const char *
role_name(enum pci_role role)
{
	return role == PCI_ROLE_PF ? "pf" : role == PCI_ROLE_VF ? "vf" : "none";
}

static int
drm_collect(struct collector *c, struct expo *out)
{
	struct drm_state *st = collector_get_data(c);
	struct pci_list l;
	size_t present = 0;
	int64_t now = monotonic_ns();

	int r = pci_list_gpus(c, collector_roots(c)->sys, &l);
	if (r < 0)
		return r;
	for (size_t i = 0; i < st->ncards; i++)
		st->cards[i].seen = false;
	for (size_t i = 0; i < st->nrenders; i++)
		st->renders[i].seen = false;
	for (size_t i = 0; i < l.n; i++) {
		const struct pci_fn *fn = &l.fns[i];
		struct nodes nodes;
		if (!drm_capable_driver(fn->driver))
			continue;
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
		if (nodes.render[0] != '\0') {
			struct render *n = render_entry(st, fn->bdf, nodes.render, nodes.render_ino);
			if (n != NULL) {
				n->seen = true;
				collect_render(c, out, n, now, &present);
			}
		}
		if (nodes.card[0] == '\0')
			continue;
		bool fresh;
		struct card *k = card_entry(st, fn->bdf, nodes.card, nodes.card_ino, now, &fresh);
		if (k == NULL)
			continue;
		k->seen = true;
		if (fresh)
			load_card(c, k, now);
		collect_engines(c, out, k);
		collect_frequency(c, out, k, now);
		collect_rc6(c, out, k, now);
		collect_error_state(out, k);
	}
	forget_unseen(st);
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
