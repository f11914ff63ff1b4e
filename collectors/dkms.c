/* dkms collector: for every DKMS module and every installed kernel, whether the module is
 * installed, built, only added, broken or missing. The out-of-tree SR-IOV i915 is a DKMS module,
 * and a kernel without it boots with the stock i915 and no VFs: "ready" answers "will my VFs come
 * back after I reboot into this kernel?" before the reboot, and build_failed shows why not.
 *
 * The tree is read directly (never by running dkms: no forks at scrape time) and changes only
 * when packages are installed, so the parsed tree is cached in the collector's state and re-read
 * when a cheap fingerprint of the directories changes, or after DKMS_TREE_MAX_AGE_NS. The
 * fingerprint itself costs a few system calls per directory of the tree, so it is taken at most
 * every COLLECTOR_RECHECK_NS: a change is seen within 5 s, one the fingerprint misses within
 * 5 minutes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../exporter/log.h"
#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "collectors.h"
#include "dkms_tree.h"

/* The arch dkms would use for a kernel it has no build for: `uname -m`, which the running
 * kernel also reports in proc/sys/kernel/arch (Linux >= 6.1); older kernels lack it, and then the
 * arch this binary was built for is the same answer on every supported host. */
#if defined(__x86_64__)
#define BUILD_ARCH "x86_64"
#elif defined(__aarch64__)
#define BUILD_ARCH "aarch64"
#elif defined(__i386__)
#define BUILD_ARCH "i686"
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define BUILD_ARCH "ppc64le"
#elif defined(__s390x__)
#define BUILD_ARCH "s390x"
#elif defined(__riscv)
#define BUILD_ARCH "riscv64"
#else
#define BUILD_ARCH "unknown"
#endif

#define ARCH_SIZE 64

struct dkms_data {
	struct dkms_tree *tree; /* cached; NULL until the first collect */
	int64_t checked_ns;     /* when the fingerprint was last compared */
	char arch[ARCH_SIZE];
};

static bool
plausible_arch(const char *s)
{
	if (s[0] == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	}
	return true;
}

static int
dkms_init(struct collector *c, const struct roots *roots)
{
	struct dkms_data *d = xcalloc(1, sizeof(*d));

	ssize_t n = sysfs_read_str(roots->proc, "sys/kernel/arch", d->arch, sizeof(d->arch));
	if (n < 0 || (size_t)n != strlen(d->arch) || !plausible_arch(d->arch)) {
		if (n != -ENOENT)
			collector_skip(c, "sys/kernel/arch", n < 0 ? (int)-n : EINVAL);
		memcpy(d->arch, BUILD_ARCH, sizeof(BUILD_ARCH));
	}
	collector_set_data(c, d);
	return 0;
}

static void
dkms_fini(struct collector *c)
{
	struct dkms_data *d = collector_get_data(c);

	if (d == NULL)
		return;
	dkms_tree_free(d->tree);
	free(d);
	collector_set_data(c, NULL);
}

#define CACHE_NOTE                                                                                 \
	" Read from var/lib/dkms and lib/modules; cached; re-read when the tree changes, at the "  \
	"latest after 5 minutes."

static const char state_help[] =
	"DKMS state of each module for each installed kernel (lib/modules/<kver>/modules.dep), as "
	"a state set: 1 for the current state, 0 for the others. installed: kernel-<kver>-<arch> "
	"links to a build with module/; built: module/ exists but is not linked; with no build for "
	"the kernel, by the newest version (strverscmp): broken if its source link dangles (dkms "
	">= 3.0.13; 3.0.10 says added), else added if it is built for no kernel at all, else "
	"missing. "
	"version is the installed or newest built version, else the newest version; arch is the "
	"build's, else the module's builds', else the running kernel's." CACHE_NOTE;

static const char ready_help[] =
	"1 when the module is installed for this installed kernel (state installed): it will load "
	"after a reboot into that kernel." CACHE_NOTE;

static const char failed_help[] =
	"1 for a DKMS build directory <ver>/<kver>/<arch> of an installed kernel that has "
	"log/make.log but no module/ (the build failed), 0 for the others." CACHE_NOTE;

static const char source_help[] =
	"1 when the version's source link resolves to a directory, 0 when it dangles (dkms >= "
	"3.0.13 calls the version broken): it can no longer be built for new kernels." CACHE_NOTE;

static void
emit_kernel(const struct dkms_tree *t, const struct dkms_module *m, const char *kernel,
	    struct expo *out)
{
	struct dkms_kernel_state ks;

	dkms_tree_kernel_state(t, m, kernel, &ks);
	for (int s = 0; s < DKMS_STATE_COUNT; s++)
		(void)expo_add(out, "gpu_sriov_dkms_module_state", EXPO_GAUGE, state_help,
			       s == (int)ks.state ? 1 : 0,
			       EXPO_LABELS({"module", m->name}, {"version", ks.version},
					   {"kernel", kernel}, {"arch", ks.arch},
					   {"state", dkms_state_name((enum dkms_state)s)}));
	(void)expo_add(out, "gpu_sriov_dkms_ready", EXPO_GAUGE, ready_help,
		       ks.state == DKMS_STATE_INSTALLED ? 1 : 0,
		       EXPO_LABELS({"module", m->name}, {"kernel", kernel}));
	for (size_t i = 0; i < m->nversions; i++) {
		const struct dkms_version *v = &m->versions[i];
		for (size_t j = 0; j < v->nbuilds; j++) {
			const struct dkms_build *b = &v->builds[j];
			if (strcmp(b->kernel, kernel) != 0)
				continue;
			(void)expo_add(out, "gpu_sriov_dkms_build_failed", EXPO_GAUGE, failed_help,
				       b->has_make_log && !b->has_module ? 1 : 0,
				       EXPO_LABELS({"module", m->name}, {"version", v->name},
						   {"kernel", kernel}, {"arch", b->arch}));
		}
	}
}

static void
emit(const struct dkms_tree *t, struct expo *out)
{
	for (size_t i = 0; i < t->nmodules; i++) {
		const struct dkms_module *m = &t->modules[i];
		for (size_t j = 0; j < m->nversions; j++)
			(void)expo_add(
			    out, "gpu_sriov_dkms_source_present", EXPO_GAUGE, source_help,
			    m->versions[j].source_present ? 1 : 0,
			    EXPO_LABELS({"module", m->name}, {"version", m->versions[j].name}));
		for (size_t k = 0; k < t->nkernels; k++)
			emit_kernel(t, m, t->kernels[k], out);
	}
}

static int
dkms_collect(struct collector *c, struct expo *out)
{
	struct dkms_data *d = collector_get_data(c);
	int root = collector_roots(c)->root;

	int64_t now = monotonic_ns();
	/* The tree's age needs no system call; the fingerprint walk waits for the recheck bound. */
	bool check = d->tree == NULL || dkms_tree_stale(d->tree, d->tree->fingerprint, now) ||
		     now - d->checked_ns >= COLLECTOR_RECHECK_NS || now < d->checked_ns;
	/* Fingerprint first: a change during the read then shows up as a new fingerprint next time.
	 */
	uint64_t fp = check ? dkms_tree_fingerprint(root) : d->tree->fingerprint;
	if (d->tree == NULL || (check && dkms_tree_stale(d->tree, fp, now))) {
		struct dkms_tree *t = NULL;
		int r = dkms_tree_read(root, d->arch, &t);
		if (r < 0)
			return r;
		t->fingerprint = fp;
		t->read_ns = now;
		dkms_tree_free(d->tree);
		d->tree = t;
		log_msg(LOG_LEVEL_DEBUG, "dkms", 0, "read the DKMS tree: %zu modules, %zu kernels",
			t->nmodules, t->nkernels);
	}
	/* Only after success: a failed read is tried again by the next scrape. */
	if (check)
		d->checked_ns = now;
	/* Replayed on every scrape so skipped_values does not depend on whether the cache was hit.
	 */
	for (size_t i = 0; i < d->tree->nskips; i++)
		collector_skip(c, d->tree->skips[i].what, d->tree->skips[i].err);
	if (d->tree->skips_dropped > 0)
		collector_skip(c, "var/lib/dkms: more unusable entries than are recorded", E2BIG);
	emit(d->tree, out);
	return 0;
}

const struct collector_ops dkms_collector = {
	.name = "dkms",
	.help = "DKMS module state per installed kernel (read from the tree, cached)",
	.default_enabled = true,
	.init = dkms_init,
	.collect = dkms_collect,
	.fini = dkms_fini,
};
