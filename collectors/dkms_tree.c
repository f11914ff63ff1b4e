/* DKMS tree reader. dkms keeps all of its state in the file system, so the tree is the truth
 * `dkms status` itself prints:
 *
 *   var/lib/dkms/<module>/<ver>/source -> usr/src/<module>-<ver>     added
 *   var/lib/dkms/<module>/<ver>/<kver>/<arch>/module/                built
 *   var/lib/dkms/<module>/<ver>/<kver>/<arch>/log/make.log           build log (alone: failed)
 *   var/lib/dkms/<module>/kernel-<kver>-<arch> -> <ver>/<kver>/<arch> installed
 *
 * Every entry is untrusted: names are checked before they are used in a path or a label, the walk
 * never follows a symlink it did not expect, and each level has a bound. dkms writes absolute
 * source links, so links are resolved inside the rootfs (openat2 RESOLVE_IN_ROOT) to stay within
 * --path.rootfs when the exporter runs in a container. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../exporter/xalloc.h"
#include "dkms_tree.h"

#define DKMS_DIR "var/lib/dkms"
/* Paths are DKMS_DIR plus at most four validated names and a short suffix, so they always fit. */
#define PATH_SIZE 1200
_Static_assert(PATH_SIZE > sizeof(DKMS_DIR) + 4 * (DKMS_NAME_MAX + 1) + 32, "PATH_SIZE too small");
/* Entries the fingerprint walk looks at, in all: bounds its cost on a pathological tree. */
#define FP_BUDGET 65536

static const char *const state_names[DKMS_STATE_COUNT] = {
	[DKMS_STATE_ADDED] = "added",         [DKMS_STATE_BUILT] = "built",
	[DKMS_STATE_INSTALLED] = "installed", [DKMS_STATE_BROKEN] = "broken",
	[DKMS_STATE_MISSING] = "missing",
};

const char *
dkms_state_name(enum dkms_state s)
{
	return (size_t)s < DKMS_STATE_COUNT ? state_names[s] : "unknown";
}

/* Entries dkms itself keeps in a version directory besides the <kver> dirs. */
static bool
version_aux(const char *name)
{
	static const char *const aux[] = {"source", "build", "tarball", "driver_disk",
					  "rpm",    "deb",   "log"};

	for (size_t i = 0; i < nitems(aux); i++) {
		if (strcmp(name, aux[i]) == 0)
			return true;
	}
	return false;
}

/* Names dkms builds paths from: one component of a conservative character set, which also makes
 * them safe in log lines and labels. */
static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DKMS_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._+~-", *s) != NULL))
			return false;
	}
	return true;
}

/* dkms only looks at <kver> dirs matching the glob +([0-9]).* */
static bool
valid_kernel_dir(const char *s)
{
	if (!valid_name(s) || s[0] < '0' || s[0] > '9')
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '.';
}

/* snprintf() for paths built from validated names (see PATH_SIZE): cannot truncate. */
static void path_fmt(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
path_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static void skip(struct dkms_tree *t, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
skip(struct dkms_tree *t, int err, const char *fmt, ...)
{
	char what[PATH_SIZE];
	va_list ap;

	if (err <= 0)
		err = EINVAL;
	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	/* One record per distinct problem: a directory full of garbage names is one problem. */
	for (size_t i = 0; i < t->nskips; i++) {
		if (t->skips[i].err == err && strcmp(t->skips[i].what, what) == 0)
			return;
	}
	if (t->nskips == DKMS_MAX_SKIPS) {
		t->skips_dropped++;
		return;
	}
	if (t->nskips % 16 == 0)
		t->skips = xrealloc(t->skips, (t->nskips + 16) * sizeof(*t->skips));
	t->skips[t->nskips].what = xstrdup(what);
	t->skips[t->nskips].err = err;
	t->nskips++;
}

/* Opens rel below root, resolving every symlink as if root were "/". Falls back to openat() on
 * kernels before 5.6 and under seccomp filters that refuse openat2 (ENOSYS or EPERM): then an
 * absolute link resolves against the exporter's own root, which is still right for the default
 * --path.rootfs=/. */
static int
open_in_root(int root, const char *rel, int flags)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	long fd = syscall(SYS_openat2, root, rel, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno != ENOSYS && errno != EPERM)
		return -errno;
	int fd2 = openat(root, rel, flags | O_CLOEXEC);
	/* cppcheck-suppress resourceLeak ; false positive: the descriptor is returned to the caller */
	return fd2 < 0 ? -errno : fd2;
}

/* Takes ownership of fd (closed on failure too). A failing call always sets errno; the -EIO
 * fallbacks here and in open_subdir() let the static analyzer, which knows nothing of errno, see
 * that a failure never reads as success (0) with *ret unset. */
static int
dir_from_fd(int fd, DIR **ret)
{
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		int r = -errno;
		(void)close(fd);
		return r < 0 ? r : -EIO;
	}
	*ret = d;
	return 0;
}

static int
open_dir_in_root(int root, const char *rel, DIR **ret)
{
	int fd = open_in_root(root, rel, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	return dir_from_fd(fd, ret);
}

/* Opens the real directory name below dirfd for listing; a symlink or a file fails (ELOOP or
 * ENOTDIR): the walk descends only into directories dkms creates. */
static int
open_subdir(int dirfd, const char *name, DIR **ret)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;
		return r < 0 ? r : -EIO;
	}
	return dir_from_fd(fd, ret);
}

static bool
dot_entry(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* readdir() without "." and "..", stopping after DKMS_MAX_ENTRIES entries of one directory (and
 * recording that once): a directory dkms writes holds a few dozen, a flooded one must not stall
 * the scrape. path names d for the skip record. */
static struct dirent *
next_entry(struct dkms_tree *t, DIR *d, size_t *count, const char *path)
{
	struct dirent *de;

	while ((de = readdir(d)) != NULL) {
		if (dot_entry(de->d_name))
			continue;
		if (*count == DKMS_MAX_ENTRIES) {
			skip(t, E2BIG, "%s: more than %d entries", path, DKMS_MAX_ENTRIES);
			return NULL;
		}
		(*count)++;
		return de;
	}
	return NULL;
}

/* Callers skip qsort() for fewer than two elements: the array may be NULL then, which qsort()
 * does not accept. */
static int
cmp_strverscmp(const void *a, const void *b)
{
	return strverscmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmp_version(const void *a, const void *b)
{
	return strverscmp(((const struct dkms_version *)a)->name,
			  ((const struct dkms_version *)b)->name);
}

static int
cmp_build(const void *a, const void *b)
{
	const struct dkms_build *x = a, *y = b;
	int c = strverscmp(x->kernel, y->kernel);
	return c != 0 ? c : strcmp(x->arch, y->arch);
}

static int
cmp_module(const void *a, const void *b)
{
	return strcmp(((const struct dkms_module *)a)->name, ((const struct dkms_module *)b)->name);
}

/* A kernel counts as installed when lib/modules/<kver> has modules.dep, as in the kernel
 * collector: a directory left behind by a removed kernel package (often DKMS leftovers) has none.
 */
static int
read_kernels(struct dkms_tree *t, int root)
{
	DIR *d = NULL;
	struct dirent *de;
	char rel[DKMS_NAME_MAX + 16];
	size_t entries = 0;

	int r = open_dir_in_root(root, "lib/modules", &d);
	if (r == -ENOENT)
		return 0;
	if (r == -ENOTDIR) {
		skip(t, ENOTDIR, "lib/modules: not a directory");
		return 0;
	}
	if (r < 0)
		return r;
	while ((de = next_entry(t, d, &entries, "lib/modules")) != NULL) {
		if (!valid_name(de->d_name)) {
			skip(t, EINVAL, "lib/modules: a name that is not a kernel release");
			continue;
		}
		path_fmt(rel, sizeof(rel), "%s/modules.dep", de->d_name);
		if (faccessat(dirfd(d), rel, F_OK, AT_EACCESS) != 0)
			continue;
		if (t->nkernels == DKMS_MAX_KERNELS) {
			skip(t, E2BIG, "lib/modules: more than %d kernels", DKMS_MAX_KERNELS);
			break;
		}
		if (t->nkernels % 16 == 0)
			t->kernels = xrealloc(t->kernels, (t->nkernels + 16) * sizeof(char *));
		t->kernels[t->nkernels++] = xstrdup(de->d_name);
	}
	(void)closedir(d);
	if (t->nkernels > 1)
		qsort(t->kernels, t->nkernels, sizeof(char *), cmp_strverscmp);
	return 0;
}

/* State shared by the walk below one read. */
struct walk {
	struct dkms_tree *t;
	int root;
	size_t builds; /* in the whole tree so far */
};

/* A kernel-<kver>-<arch> link of one module and the directory it resolves to. */
struct kernel_link {
	char *kernel;
	char *arch;
	dev_t dev;
	ino_t ino;
	bool used;
};

static void
read_build(struct walk *w, int kfd, const char *path, const char *kernel, const char *arch,
	   struct dkms_version *v)
{
	struct stat st;
	struct dkms_build b;

	memset(&b, 0, sizeof(b));
	int fd = openat(kfd, arch, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		skip(w->t, errno, "%s/%s: not a build directory", path, arch);
		return;
	}
	if (fstat(fd, &st) != 0) {
		skip(w->t, errno, "%s/%s", path, arch);
		goto out;
	}
	b.dev = st.st_dev;
	b.ino = st.st_ino;
	if (fstatat(fd, "module", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		b.has_module = S_ISDIR(st.st_mode);
		if (!b.has_module)
			skip(w->t, ENOTDIR, "%s/%s/module: not a directory", path, arch);
	}
	b.has_make_log =
	    fstatat(fd, "log/make.log", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
	b.kernel = xstrdup(kernel);
	b.arch = xstrdup(arch);
	if (v->nbuilds % 8 == 0)
		v->builds = xrealloc(v->builds, (v->nbuilds + 8) * sizeof(*v->builds));
	v->builds[v->nbuilds++] = b;
	w->builds++;
out:
	(void)close(fd);
}

/* Reads the <arch> dirs of vfd/<kernel>; path names vfd for skip records. */
static void
read_kernel_dir(struct walk *w, int vfd, const char *path, const char *kernel,
		struct dkms_version *v)
{
	char kpath[PATH_SIZE];
	DIR *d = NULL;
	struct dirent *de;
	size_t arches = 0, entries = 0;

	path_fmt(kpath, sizeof(kpath), "%s/%s", path, kernel);
	int r = open_subdir(vfd, kernel, &d);
	if (r < 0) {
		skip(w->t, -r, "%s: not a kernel directory", kpath);
		return;
	}
	while ((de = next_entry(w->t, d, &entries, kpath)) != NULL) {
		if (!valid_name(de->d_name)) {
			skip(w->t, EINVAL, "%s: a name that is not an arch", kpath);
			continue;
		}
		if (arches == DKMS_MAX_ARCHES || w->builds == DKMS_MAX_BUILDS) {
			skip(w->t, E2BIG, "%s: more arches or builds than the limits (%d, %d)",
			     kpath, DKMS_MAX_ARCHES, DKMS_MAX_BUILDS);
			break;
		}
		arches++;
		read_build(w, dirfd(d), kpath, kernel, de->d_name, v);
	}
	(void)closedir(d);
}

/* Reads mfd/<name> into *ret_v. Returns false when it is not an added version, which dkms ignores
 * too: no source entry, or one that is neither a link nor a directory. */
static bool
read_version(struct walk *w, int mfd, const char *module, const char *name,
	     struct dkms_version *ret_v)
{
	char path[PATH_SIZE], rel[PATH_SIZE];
	struct stat st;
	struct dkms_version v;
	DIR *d = NULL;
	struct dirent *de;
	size_t kernels = 0, entries = 0;
	bool ok = false;

	memset(&v, 0, sizeof(v));
	path_fmt(path, sizeof(path), DKMS_DIR "/%s/%s", module, name);
	int r = open_subdir(mfd, name, &d);
	if (r < 0) {
		skip(w->t, -r, "%s: not a version directory", path);
		return false;
	}
	if (fstatat(dirfd(d), "source", &st, AT_SYMLINK_NOFOLLOW) != 0) {
		skip(w->t, errno, "%s/source: absent, so dkms does not list this version", path);
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		path_fmt(rel, sizeof(rel), "%s/source", path);
		int sfd = open_in_root(w->root, rel, O_PATH | O_DIRECTORY);
		v.source_present = sfd >= 0;
		if (sfd >= 0)
			(void)close(sfd);
		/* Dangling is a state dkms knows (broken); a loop is a corrupt tree, said once. */
		if (sfd == -ELOOP)
			skip(w->t, ELOOP, "%s/source: symlink loop", path);
	} else if (S_ISDIR(st.st_mode)) {
		v.source_present = true;
	} else {
		skip(w->t, ENOTDIR, "%s/source: neither a link nor a directory", path);
		goto out;
	}
	v.name = xstrdup(name);
	while ((de = next_entry(w->t, d, &entries, path)) != NULL) {
		if (version_aux(de->d_name))
			continue;
		if (!valid_kernel_dir(de->d_name)) {
			skip(w->t, EINVAL, "%s: an entry that is not a kernel release", path);
			continue;
		}
		if (kernels == DKMS_MAX_KERNELS) {
			skip(w->t, E2BIG, "%s: more than %d kernel directories", path,
			     DKMS_MAX_KERNELS);
			break;
		}
		kernels++;
		read_kernel_dir(w, dirfd(d), path, de->d_name, &v);
	}
	if (v.nbuilds > 1)
		qsort(v.builds, v.nbuilds, sizeof(*v.builds), cmp_build);
	*ret_v = v;
	ok = true;
out:
	(void)closedir(d);
	return ok;
}

static void
version_free(struct dkms_version *v)
{
	for (size_t i = 0; i < v->nbuilds; i++) {
		free(v->builds[i].kernel);
		free(v->builds[i].arch);
	}
	free(v->builds);
	free(v->name);
}

static void
module_free(struct dkms_module *m)
{
	for (size_t i = 0; i < m->nversions; i++)
		version_free(&m->versions[i]);
	free(m->versions);
	free(m->name);
}

/* Records the kernel-<kver>-<arch> link name in mfd, resolved inside the root. */
static void
read_link(struct walk *w, int mfd, const char *module, const char *name, struct kernel_link **links,
	  size_t *nlinks)
{
	char path[PATH_SIZE], kernel[DKMS_NAME_MAX + 1];
	struct stat st;

	path_fmt(path, sizeof(path), DKMS_DIR "/%s/%s", module, name);
	/* kver may contain '-', arch never does ("x86_64", "aarch64"). */
	const char *dash = strrchr(name, '-');
	const char *kv = name + strlen("kernel-");
	if (dash == NULL || dash <= kv || (size_t)(dash - kv) > DKMS_NAME_MAX) {
		skip(w->t, EINVAL, "%s: not kernel-<kver>-<arch>", path);
		return;
	}
	memcpy(kernel, kv, (size_t)(dash - kv));
	kernel[dash - kv] = '\0';
	if (!valid_name(kernel) || !valid_name(dash + 1)) {
		skip(w->t, EINVAL, "%s: not kernel-<kver>-<arch>", path);
		return;
	}
	if (*nlinks == (size_t)DKMS_MAX_KERNELS * DKMS_MAX_ARCHES) {
		skip(w->t, E2BIG, "%s: too many kernel links", path);
		return;
	}
	if (fstatat(mfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode)) {
		skip(w->t, EINVAL, "%s: not a symlink", path);
		return;
	}
	int fd = open_in_root(w->root, path, O_PATH | O_DIRECTORY);
	if (fd < 0) {
		skip(w->t, -fd, "%s: dangling link", path);
		return;
	}
	int r = fstat(fd, &st);
	(void)close(fd);
	if (r != 0) {
		skip(w->t, errno, "%s", path);
		return;
	}
	if (*nlinks % 8 == 0)
		*links = xrealloc(*links, (*nlinks + 8) * sizeof(**links));
	(*links)[(*nlinks)++] =
	    (struct kernel_link){xstrdup(kernel), xstrdup(dash + 1), st.st_dev, st.st_ino, false};
}

/* dkms calls a build installed when readlink -f kernel-<kver>-<arch> is that build's directory,
 * and only once it is built (module/ exists). Links that match no such build (a failed or removed
 * build, a version without source) are recorded as skips. */
static void
match_links(struct walk *w, struct dkms_module *m, struct kernel_link *links, size_t nlinks)
{
	for (size_t i = 0; i < m->nversions; i++) {
		struct dkms_version *v = &m->versions[i];
		for (size_t j = 0; j < v->nbuilds; j++) {
			struct dkms_build *b = &v->builds[j];
			for (size_t k = 0; k < nlinks; k++) {
				struct kernel_link *l = &links[k];
				if (!b->has_module || strcmp(l->kernel, b->kernel) != 0 ||
				    strcmp(l->arch, b->arch) != 0 || l->dev != b->dev ||
				    l->ino != b->ino)
					continue;
				l->used = true;
				b->installed = true;
			}
		}
	}
	for (size_t k = 0; k < nlinks; k++) {
		if (!links[k].used)
			skip(w->t, ENOENT,
			     DKMS_DIR
			     "/%s/kernel-%s-%s: resolves to no build with module/ of an added "
			     "version",
			     m->name, links[k].kernel, links[k].arch);
		free(links[k].kernel);
		free(links[k].arch);
	}
}

static void
read_module(struct walk *w, int dkms_fd, const char *name)
{
	struct dkms_module m;
	struct kernel_link *links = NULL;
	size_t nlinks = 0, entries = 0;
	DIR *d = NULL;
	struct dirent *de;
	char mpath[PATH_SIZE];

	memset(&m, 0, sizeof(m));
	path_fmt(mpath, sizeof(mpath), DKMS_DIR "/%s", name);
	int r = open_subdir(dkms_fd, name, &d);
	if (r < 0) {
		skip(w->t, -r, DKMS_DIR "/%s: not a module directory", name);
		return;
	}
	m.name = xstrdup(name);
	while ((de = next_entry(w->t, d, &entries, mpath)) != NULL) {
		const char *e = de->d_name;
		if (strcmp(e, "original_module") == 0)
			continue;
		if (strncmp(e, "kernel-", strlen("kernel-")) == 0) {
			if (valid_name(e))
				read_link(w, dirfd(d), name, e, &links, &nlinks);
			else
				skip(w->t, EINVAL, DKMS_DIR "/%s: a garbage kernel link name",
				     name);
			continue;
		}
		if (!valid_name(e)) {
			skip(w->t, EINVAL, DKMS_DIR "/%s: an entry that is not a version", name);
			continue;
		}
		if (m.nversions == DKMS_MAX_VERSIONS) {
			skip(w->t, E2BIG, DKMS_DIR "/%s: more than %d versions", name,
			     DKMS_MAX_VERSIONS);
			continue;
		}
		struct dkms_version v;
		if (!read_version(w, dirfd(d), name, e, &v))
			continue;
		if (m.nversions % 8 == 0)
			m.versions = xrealloc(m.versions, (m.nversions + 8) * sizeof(*m.versions));
		m.versions[m.nversions++] = v;
	}
	(void)closedir(d);
	if (m.nversions > 1)
		qsort(m.versions, m.nversions, sizeof(*m.versions), cmp_version);
	match_links(w, &m, links, nlinks);
	free(links);
	/* No added version: dkms lists nothing for this module, and neither do we. */
	if (m.nversions == 0) {
		module_free(&m);
		return;
	}
	struct dkms_tree *t = w->t;
	if (t->nmodules % 8 == 0)
		t->modules = xrealloc(t->modules, (t->nmodules + 8) * sizeof(*t->modules));
	t->modules[t->nmodules++] = m;
}

int
dkms_tree_read(int root, const char *fallback_arch, struct dkms_tree **ret)
{
	struct dkms_tree *t = xcalloc(1, sizeof(*t));
	DIR *d = NULL;
	struct dirent *de;
	struct walk w = {t, root, 0};
	size_t entries = 0;
	int r;

	t->arch = xstrdup(fallback_arch);
	r = open_dir_in_root(root, DKMS_DIR, &d);
	if (r == -ENOENT || r == -ENOTDIR) {
		/* No DKMS on this host (or garbage where its tree should be): nothing to report. */
		if (r == -ENOTDIR)
			skip(t, ENOTDIR, DKMS_DIR ": not a directory");
		r = 0;
		goto done;
	}
	if (r < 0)
		goto out;
	t->present = true;
	r = read_kernels(t, root);
	if (r < 0)
		goto out;
	while ((de = next_entry(t, d, &entries, DKMS_DIR)) != NULL) {
		const char *e = de->d_name;
		/* dkms_dbversion: a plain file dkms 2.x keeps at the top. */
		if (strcmp(e, "dkms_dbversion") == 0)
			continue;
		if (!valid_name(e)) {
			skip(t, EINVAL, DKMS_DIR ": an entry that is not a module name");
			continue;
		}
		if (t->nmodules == DKMS_MAX_MODULES) {
			skip(t, E2BIG, DKMS_DIR ": more than %d modules", DKMS_MAX_MODULES);
			break;
		}
		read_module(&w, dirfd(d), e);
	}
	if (t->nmodules > 1)
		qsort(t->modules, t->nmodules, sizeof(*t->modules), cmp_module);
done:
	*ret = t;
	t = NULL;
out:
	if (d != NULL)
		(void)closedir(d);
	dkms_tree_free(t);
	return r;
}

void
dkms_tree_free(struct dkms_tree *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nmodules; i++)
		module_free(&t->modules[i]);
	free(t->modules);
	for (size_t i = 0; i < t->nkernels; i++)
		free(t->kernels[i]);
	free(t->kernels);
	for (size_t i = 0; i < t->nskips; i++)
		free(t->skips[i].what);
	free(t->skips);
	free(t->arch);
	free(t);
}

/* FNV-1a, continuing from h. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_START 0xcbf29ce484222325ULL

/* Entries the fingerprint does not descend into: sources, build trees and backups are large and
 * do not decide any state. */
static bool
fp_no_descend(const char *name)
{
	return version_aux(name) || strcmp(name, "original_module") == 0;
}

/* Hash of directory fd (taken over and closed): its inode and mtime, plus each entry's name,
 * inode and type, and below depth > 0 each subdirectory's hash. Entries are combined by addition
 * so the readdir order does not matter. Names catch changes within one mtime tick. */
static uint64_t
fp_dir(int fd, int depth, size_t *budget)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *de;
	uint64_t sum = 0;
	uint64_t h = FNV_START;

	if (fstat(fd, &st) != 0) {
		int e = errno;
		(void)close(fd);
		return fnv(h, &e, sizeof(e));
	}
	h = fnv(h, &st.st_ino, sizeof(st.st_ino));
	h = fnv(h, &st.st_mtim.tv_sec, sizeof(st.st_mtim.tv_sec));
	h = fnv(h, &st.st_mtim.tv_nsec, sizeof(st.st_mtim.tv_nsec));
	if (dir_from_fd(fd, &d) < 0)
		return h;
	while ((de = readdir(d)) != NULL) {
		if (dot_entry(de->d_name))
			continue;
		if (*budget == 0) {
			sum += 1; /* a marker: the walk stopped here */
			break;
		}
		(*budget)--;
		uint64_t e = fnv(FNV_START, de->d_name, strlen(de->d_name) + 1);
		e = fnv(e, &de->d_ino, sizeof(de->d_ino));
		e = fnv(e, &de->d_type, sizeof(de->d_type));
		if (depth > 0 && (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) &&
		    !fp_no_descend(de->d_name)) {
			int cfd = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd >= 0) {
				uint64_t c = fp_dir(cfd, depth - 1, budget);
				e = fnv(e, &c, sizeof(c));
			}
		}
		sum += e;
	}
	(void)closedir(d);
	return fnv(h, &sum, sizeof(sum));
}

static uint64_t
fp_top(int root, const char *rel, int depth, size_t *budget)
{
	int fd = open_in_root(root, rel, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		int e = -fd;
		return fnv(FNV_START, &e, sizeof(e));
	}
	return fp_dir(fd, depth, budget);
}

uint64_t
dkms_tree_fingerprint(int root)
{
	size_t budget = FP_BUDGET;
	uint64_t parts[3];

	/* var/lib/dkms/<module>/<ver>/<kver>/<arch>: depth 4 lists each <arch> dir (module/, log/).
	 */
	parts[0] = fp_top(root, DKMS_DIR, 4, &budget);
	/* lib/modules/<kver>: sees modules.dep appear after the kernel package's depmod. */
	parts[1] = fp_top(root, "lib/modules", 1, &budget);
	/* usr/src: a source dir removed or restored makes a source link dangle or resolve. */
	parts[2] = fp_top(root, "usr/src", 0, &budget);
	return fnv(FNV_START, parts, sizeof(parts));
}

bool
dkms_tree_stale(const struct dkms_tree *t, uint64_t fingerprint, int64_t now_ns)
{
	if (t == NULL || t->fingerprint != fingerprint)
		return true;
	return now_ns - t->read_ns >= DKMS_TREE_MAX_AGE_NS || now_ns < t->read_ns;
}

/* The arch a module's kernels are labelled with when they have no build: the arch its builds use
 * (the fallback one if it is among them), else the fallback. */
static const char *
module_arch(const struct dkms_tree *t, const struct dkms_module *m)
{
	const char *first = NULL;

	for (size_t i = 0; i < m->nversions; i++) {
		const struct dkms_version *v = &m->versions[i];
		for (size_t j = 0; j < v->nbuilds; j++) {
			if (strcmp(v->builds[j].arch, t->arch) == 0)
				return t->arch;
			if (first == NULL)
				first = v->builds[j].arch;
		}
	}
	return first != NULL ? first : t->arch;
}

/* Whether b should replace the current pick cur: the first one wins, except that a build for the
 * fallback (running) arch beats one for another arch. */
static bool
better_arch(const struct dkms_tree *t, const struct dkms_build *cur, const struct dkms_build *b)
{
	if (cur == NULL)
		return true;
	return strcmp(cur->arch, t->arch) != 0 && strcmp(b->arch, t->arch) == 0;
}

void
dkms_tree_kernel_state(const struct dkms_tree *t, const struct dkms_module *m, const char *kernel,
		       struct dkms_kernel_state *ret)
{
	const struct dkms_build *inst = NULL, *built = NULL;
	const char *inst_ver = NULL, *built_ver = NULL;
	const struct dkms_version *newest = &m->versions[m->nversions - 1];

	/* Newest version first, so "built" names the newest built version. */
	for (size_t i = m->nversions; i-- > 0;) {
		const struct dkms_version *v = &m->versions[i];
		for (size_t j = 0; j < v->nbuilds; j++) {
			const struct dkms_build *b = &v->builds[j];
			if (strcmp(b->kernel, kernel) != 0)
				continue;
			if (b->installed && better_arch(t, inst, b)) {
				inst = b;
				inst_ver = v->name;
			}
			if (b->has_module && (built_ver == NULL || built_ver == v->name) &&
			    better_arch(t, built, b)) {
				built = b;
				built_ver = v->name;
			}
		}
	}
	if (inst != NULL) {
		*ret = (struct dkms_kernel_state){DKMS_STATE_INSTALLED, inst_ver, inst->arch};
		return;
	}
	if (built != NULL) {
		*ret = (struct dkms_kernel_state){DKMS_STATE_BUILT, built_ver, built->arch};
		return;
	}
	/* Broken outranks the others: whether or not it is built elsewhere, a version without its
	 * source cannot be built for this kernel. */
	enum dkms_state s = dkms_version_state(newest);
	if (!newest->source_present)
		s = DKMS_STATE_BROKEN;
	else if (s == DKMS_STATE_BUILT)
		s = DKMS_STATE_MISSING; /* built, but for other kernels */
	*ret = (struct dkms_kernel_state){s, newest->name, module_arch(t, m)};
}

enum dkms_state
dkms_build_state(const struct dkms_build *b)
{
	if (!b->has_module)
		return DKMS_STATE_MISSING;
	return b->installed ? DKMS_STATE_INSTALLED : DKMS_STATE_BUILT;
}

enum dkms_state
dkms_version_state(const struct dkms_version *v)
{
	for (size_t i = 0; i < v->nbuilds; i++) {
		if (v->builds[i].has_module)
			return DKMS_STATE_BUILT;
	}
	return v->source_present ? DKMS_STATE_ADDED : DKMS_STATE_BROKEN;
}

const struct dkms_module *
dkms_tree_module(const struct dkms_tree *t, const char *name)
{
	for (size_t i = 0; i < t->nmodules; i++) {
		if (strcmp(t->modules[i].name, name) == 0)
			return &t->modules[i];
	}
	return NULL;
}

const struct dkms_version *
dkms_module_version(const struct dkms_module *m, const char *name)
{
	for (size_t i = 0; i < m->nversions; i++) {
		if (strcmp(m->versions[i].name, name) == 0)
			return &m->versions[i];
	}
	return NULL;
}

const struct dkms_build *
dkms_version_build(const struct dkms_version *v, const char *kernel, const char *arch)
{
	for (size_t i = 0; i < v->nbuilds; i++) {
		if (strcmp(v->builds[i].kernel, kernel) == 0 &&
		    strcmp(v->builds[i].arch, arch) == 0)
			return &v->builds[i];
	}
	return NULL;
}

bool
dkms_tree_kernel_installed(const struct dkms_tree *t, const char *kernel)
{
	for (size_t i = 0; i < t->nkernels; i++) {
		if (strcmp(t->kernels[i], kernel) == 0)
			return true;
	}
	return false;
}
