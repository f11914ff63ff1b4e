/* Unit tests for the DKMS tree reader and the dkms collector: the states of the checked-in
 * dkms_* scenarios, garbage and oversize trees (skipped and counted, never fatal), links resolved
 * inside the rootfs, the fingerprint, and the cache: a change to the tree between two collects is
 * seen, a change the fingerprint cannot see is not (until the cache ages out). Trees that get
 * modified are built in a mkdtemp() directory per test and removed with nftw(). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "collectors.h"
#include "dkms_tree.h"
#include "registry.h"
#include "testlib.h"

#define MOD "i915-sriov-dkms"
#define MODDIR "var/lib/dkms/" MOD

struct env {
	char *path; /* the tree_new() dir */
	int top;    /* path as an O_PATH handle */
	int root;   /* <top>/root, <top>/proc, <top>/sys as O_PATH handles, as main() opens them */
	int proc;
	int sys;
};

/* mkdir -p of rel below dirfd. */
static void
mkdirs(int dirfd, const char *rel)
{
	char buf[PATH_MAX];

	assert_true(strlen(rel) < sizeof(buf));
	memcpy(buf, rel, strlen(rel) + 1);
	for (char *p = buf;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdirat(dirfd, buf, 0755) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", buf, strerror(errno));
		*p = saved;
		if (saved == '\0')
			break;
	}
}

static void
parent_dirs(int dirfd, const char *rel)
{
	char buf[PATH_MAX];
	const char *slash = strrchr(rel, '/');

	if (slash == NULL)
		return;
	assert_true((size_t)(slash - rel) < sizeof(buf));
	memcpy(buf, rel, (size_t)(slash - rel));
	buf[slash - rel] = '\0';
	mkdirs(dirfd, buf);
}

static void
put(int dirfd, const char *rel, const char *data)
{
	parent_dirs(dirfd, rel);
	int fd = openat(dirfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	size_t n = strlen(data);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

static void
lnk(int dirfd, const char *rel, const char *target)
{
	parent_dirs(dirfd, rel);
	if (symlinkat(target, dirfd, rel) != 0)
		fail_msg("symlink %s: %s", rel, strerror(errno));
}

static int
teardown(void **state)
{
	struct env *e = *state;

	if (e == NULL)
		return 0;
	int fds[] = {e->top, e->root, e->proc, e->sys};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (fds[i] >= 0)
			(void)close(fds[i]);
	}
	int r = tree_free(e->path);
	free(e);
	*state = NULL;
	return r;
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return -1;
	e->top = e->root = e->proc = e->sys = -1;
	*state = e;
	e->path = tree_new(NULL, "test_dkms");
	if (e->path == NULL)
		goto fail;
	e->top = open(e->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (e->top < 0 || mkdirat(e->top, "root", 0755) != 0 ||
	    mkdirat(e->top, "proc", 0755) != 0 || mkdirat(e->top, "sys", 0755) != 0)
		goto fail;
	e->root = openat(e->top, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	e->proc = openat(e->top, "proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	e->sys = openat(e->top, "sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (e->root < 0 || e->proc < 0 || e->sys < 0)
		goto fail;
	return 0;
fail:
	(void)teardown(state);
	return -1;
}

static void
kernel(int root, const char *kver)
{
	char rel[PATH_MAX];

	xsnprintf(rel, sizeof(rel), "lib/modules/%s/modules.dep", kver);
	put(root, rel, "kernel/drivers/gpu/drm/i915/i915.ko:\n");
}

/* Adds version ver of MOD with its usr/src dir (unless dangling) and a relative source link. */
static void
add_version(int root, const char *ver, bool dangling)
{
	char rel[PATH_MAX], target[PATH_MAX];

	if (!dangling) {
		xsnprintf(rel, sizeof(rel), "usr/src/" MOD "-%s/dkms.conf", ver);
		put(root, rel, "PACKAGE_NAME=\"" MOD "\"\n");
	}
	xsnprintf(rel, sizeof(rel), MODDIR "/%s/source", ver);
	xsnprintf(target, sizeof(target), "../../../../../usr/src/" MOD "-%s", ver);
	lnk(root, rel, target);
}

/* A build of MOD ver for kver/x86_64: module/ when built, log/make.log always. */
static void
build(int root, const char *ver, const char *kver, bool built)
{
	char rel[PATH_MAX];

	xsnprintf(rel, sizeof(rel), MODDIR "/%s/%s/x86_64/log/make.log", ver, kver);
	put(root, rel, "DKMS make.log\n");
	if (built) {
		xsnprintf(rel, sizeof(rel), MODDIR "/%s/%s/x86_64/module/i915.ko", ver, kver);
		put(root, rel, "");
	}
}

static void
install(int root, const char *ver, const char *kver)
{
	char rel[PATH_MAX], target[PATH_MAX];

	xsnprintf(rel, sizeof(rel), MODDIR "/kernel-%s-x86_64", kver);
	xsnprintf(target, sizeof(target), "%s/%s/x86_64", ver, kver);
	lnk(root, rel, target);
}

static struct dkms_tree *
read_tree(int root)
{
	struct dkms_tree *t = NULL;

	assert_int_equal(dkms_tree_read(root, "x86_64", &t), 0);
	assert_non_null(t);
	return t;
}

static void
assert_kernel_state(const struct dkms_tree *t, const char *module, const char *kver,
		    enum dkms_state want, const char *want_version)
{
	struct dkms_kernel_state ks;
	const struct dkms_module *m = dkms_tree_module(t, module);

	assert_non_null(m);
	dkms_tree_kernel_state(t, m, kver, &ks);
	if (ks.state != want || strcmp(ks.version, want_version) != 0)
		fail_msg("%s on %s: %s %s, want %s %s", module, kver, dkms_state_name(ks.state),
			 ks.version, dkms_state_name(want), want_version);
	assert_string_equal(ks.arch, "x86_64");
}

static bool
has_skip(const struct dkms_tree *t, const char *part, int err)
{
	for (size_t i = 0; i < t->nskips; i++) {
		if (strstr(t->skips[i].what, part) != NULL && (err == 0 || t->skips[i].err == err))
			return true;
	}
	return false;
}

static int
open_fixture_root(const char *scenario)
{
	const char *dir = getenv("EXPORTER_TEST_DATA");
	char path[PATH_MAX];

	if (dir == NULL || dir[0] == '\0')
		dir = TEST_DATA_DIR;
	xsnprintf(path, sizeof(path), "%s/%s/root", dir, scenario);
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	return fd;
}

static void
test_fixture_upgrade_pending(void **state)
{
	(void)state;
	int root = open_fixture_root("dkms_upgrade_pending");
	struct dkms_tree *t = read_tree(root);

	assert_true(t->present);
	assert_int_equal(t->nkernels, 3);
	assert_string_equal(t->kernels[0], "6.8.12-4-pve");
	assert_string_equal(t->kernels[2], "6.11.11-2-pve");
	assert_int_equal(t->nmodules, 1);
	assert_int_equal(t->nskips, 0);
	assert_kernel_state(t, MOD, "6.8.12-4-pve", DKMS_STATE_INSTALLED, "2025.07.22");
	assert_kernel_state(t, MOD, "6.8.12-9-pve", DKMS_STATE_MISSING, "2025.07.22");
	assert_kernel_state(t, MOD, "6.11.11-2-pve", DKMS_STATE_MISSING, "2025.07.22");
	const struct dkms_version *v = dkms_module_version(dkms_tree_module(t, MOD), "2025.07.22");
	assert_non_null(v);
	assert_true(v->source_present);
	const struct dkms_build *b = dkms_version_build(v, "6.11.11-2-pve", "x86_64");
	assert_non_null(b);
	assert_true(b->has_make_log && !b->has_module);
	assert_int_equal(dkms_build_state(b), DKMS_STATE_MISSING);
	/* the leftover build for a removed kernel is still installed as far as dkms is concerned */
	b = dkms_version_build(v, "6.8.12-1-pve", "x86_64");
	assert_non_null(b);
	assert_int_equal(dkms_build_state(b), DKMS_STATE_INSTALLED);
	assert_false(dkms_tree_kernel_installed(t, "6.8.12-1-pve"));
	dkms_tree_free(t);
	(void)close(root);
}

static void
test_fixture_broken_source(void **state)
{
	(void)state;
	int root = open_fixture_root("dkms_broken_source");
	struct dkms_tree *t = read_tree(root);
	const struct dkms_module *m = dkms_tree_module(t, MOD);

	assert_non_null(m);
	assert_int_equal(m->nversions, 3);
	assert_string_equal(m->versions[0].name, "2024.12.30");
	assert_false(m->versions[0].source_present);
	assert_true(m->versions[1].source_present);
	assert_false(m->versions[2].source_present);
	assert_int_equal(dkms_version_state(&m->versions[0]), DKMS_STATE_BROKEN);
	assert_int_equal(dkms_version_state(&m->versions[1]), DKMS_STATE_BUILT);
	assert_kernel_state(t, MOD, "6.8.12-9-pve", DKMS_STATE_INSTALLED, "2025.07.22");
	assert_kernel_state(t, MOD, "6.11.11-2-pve", DKMS_STATE_BROKEN, "2025.10.10");
	/* kernel-6.8.12-2-pve-x86_64 points at a build dir that was removed */
	assert_int_equal(t->nskips, 1);
	assert_true(has_skip(t, "kernel-6.8.12-2-pve-x86_64: dangling link", ENOENT));
	dkms_tree_free(t);
	(void)close(root);
}

static void
test_fixture_multi(void **state)
{
	(void)state;
	int root = open_fixture_root("dkms_multi");
	struct dkms_tree *t = read_tree(root);

	assert_int_equal(t->nmodules, 2);
	assert_string_equal(t->modules[0].name, MOD);
	assert_string_equal(t->modules[1].name, "r8125");
	assert_kernel_state(t, MOD, "6.8.12-4-pve", DKMS_STATE_INSTALLED, "2025.07.22");
	assert_kernel_state(t, MOD, "6.8.12-9-pve", DKMS_STATE_INSTALLED, "2025.10.10");
	assert_kernel_state(t, MOD, "6.11.11-2-pve", DKMS_STATE_BUILT, "2025.10.10");
	assert_kernel_state(t, "r8125", "6.8.12-4-pve", DKMS_STATE_INSTALLED, "9.013.02");
	assert_kernel_state(t, "r8125", "6.8.12-9-pve", DKMS_STATE_INSTALLED, "9.013.02");
	assert_kernel_state(t, "r8125", "6.11.11-2-pve", DKMS_STATE_ADDED, "9.014.01");
	/* the older version's build for 6.8.12-9-pve is built, superseded by 2025.10.10 */
	const struct dkms_version *v = dkms_module_version(&t->modules[0], "2025.07.22");
	assert_int_equal(dkms_build_state(dkms_version_build(v, "6.8.12-9-pve", "x86_64")),
			 DKMS_STATE_BUILT);
	assert_int_equal(t->nskips, 0);
	dkms_tree_free(t);
	(void)close(root);
}

static void
test_fixture_source_gone(void **state)
{
	(void)state;
	int root = open_fixture_root("dkms_source_gone");
	struct dkms_tree *t = read_tree(root);

	/* installed and still loadable, but it cannot be built for the next kernel */
	assert_kernel_state(t, MOD, "6.8.12-9-pve", DKMS_STATE_INSTALLED, "2025.07.22");
	assert_kernel_state(t, MOD, "6.11.11-2-pve", DKMS_STATE_BROKEN, "2025.07.22");
	dkms_tree_free(t);
	(void)close(root);
}

static void
test_no_dkms(void **state)
{
	struct env *e = *state;

	kernel(e->root, "6.8.12-4-pve");
	struct dkms_tree *t = read_tree(e->root);
	assert_false(t->present);
	assert_int_equal(t->nmodules, 0);
	assert_int_equal(t->nkernels, 0);
	dkms_tree_free(t);
	/* a file where var/lib/dkms should be */
	put(e->root, "var/lib/dkms", "not a directory\n");
	t = read_tree(e->root);
	assert_false(t->present);
	assert_true(has_skip(t, "var/lib/dkms: not a directory", ENOTDIR));
	dkms_tree_free(t);
}

/* Newest by strverscmp: 2025.10.10 is newer than 2025.9.1 although it sorts lower as text. */
static void
test_newest_version(void **state)
{
	struct env *e = *state;

	kernel(e->root, "6.8.12-4-pve");
	add_version(e->root, "2025.9.1", false);
	add_version(e->root, "2025.10.10", false);
	add_version(e->root, "2025.1.2", false);
	struct dkms_tree *t = read_tree(e->root);
	assert_kernel_state(t, MOD, "6.8.12-4-pve", DKMS_STATE_ADDED, "2025.10.10");
	assert_string_equal(t->modules[0].versions[0].name, "2025.1.2");
	dkms_tree_free(t);
	/* two built versions for one kernel, none installed: the newer is reported */
	build(e->root, "2025.1.2", "6.8.12-4-pve", true);
	build(e->root, "2025.9.1", "6.8.12-4-pve", true);
	t = read_tree(e->root);
	assert_kernel_state(t, MOD, "6.8.12-4-pve", DKMS_STATE_BUILT, "2025.9.1");
	dkms_tree_free(t);
	/* the installed one wins over a newer built one */
	install(e->root, "2025.1.2", "6.8.12-4-pve");
	t = read_tree(e->root);
	assert_kernel_state(t, MOD, "6.8.12-4-pve", DKMS_STATE_INSTALLED, "2025.1.2");
	dkms_tree_free(t);
}

/* A link to a build without module/ is not installed (dkms checks built first). */
static void
test_link_to_failed_build(void **state)
{
	struct env *e = *state;

	kernel(e->root, "6.8.12-4-pve");
	add_version(e->root, "1.0", false);
	build(e->root, "1.0", "6.8.12-4-pve", false);
	install(e->root, "1.0", "6.8.12-4-pve");
	struct dkms_tree *t = read_tree(e->root);
	assert_kernel_state(t, MOD, "6.8.12-4-pve", DKMS_STATE_ADDED, "1.0");
	assert_true(has_skip(t, "kernel-6.8.12-4-pve-x86_64: resolves to no build", ENOENT));
	dkms_tree_free(t);
}

static void
test_garbage(void **state)
{
	struct env *e = *state;
	char longname[256];

	kernel(e->root, "6.8.12-4-pve");
	put(e->root, "lib/modules/bad\"name/modules.dep", "");
	add_version(e->root, "1.0", false);
	build(e->root, "1.0", "6.8.12-4-pve", true);
	install(e->root, "1.0", "6.8.12-4-pve");
	/* top level: garbage names, a file, a symlink to a module dir, dkms 2.x's dbversion file */
	mkdirs(e->root, "var/lib/dkms/bad\"module\\x");
	put(e->root, "var/lib/dkms/afile", "x");
	lnk(e->root, "var/lib/dkms/alink", MOD);
	put(e->root, "var/lib/dkms/dkms_dbversion", "2.0.0\n");
	/* module level */
	mkdirs(e->root, MODDIR "/bad version");
	put(e->root, MODDIR "/2.0", "a file where a version dir should be");
	mkdirs(e->root, MODDIR "/3.0/6.8.12-4-pve/x86_64/module"); /* no source: not added */
	mkdirs(e->root, MODDIR "/4.0");
	put(e->root, MODDIR "/4.0/source", "a file where the source link should be");
	mkdirs(e->root, MODDIR "/kernel-6.8.12-4-pve-x86_65"); /* a dir, not a link */
	lnk(e->root, MODDIR "/kernel-", "1.0/6.8.12-4-pve/x86_64");
	lnk(e->root, MODDIR "/kernel-x86_64", "1.0/6.8.12-4-pve/x86_64");
	lnk(e->root, MODDIR "/kernel-6.8.12-4-pve-arm64", "1.0/6.8.12-4-pve/arm64"); /* dangling */
	lnk(e->root, MODDIR "/kernel-6.8.12-5-pve-x86_64", "../../../../../etc");    /* escapes */
	lnk(e->root, MODDIR "/kernel-6.8.12-6-pve-x86_64", "kernel-6.8.12-6-pve-x86_64"); /* loop */
	mkdirs(e->root, MODDIR "/original_module/6.8.12-4-pve/x86_64");
	/* version level */
	mkdirs(e->root, MODDIR "/1.0/build/drivers");
	mkdirs(e->root, MODDIR "/1.0/notakernel");
	put(e->root, MODDIR "/1.0/6.9.0-1-pve", "a file where a kernel dir should be");
	lnk(e->root, MODDIR "/1.0/6.10.0-1-pve", "6.8.12-4-pve");
	/* kernel and arch level */
	put(e->root, MODDIR "/1.0/6.11.0-1-pve/x86_64", "a file where an arch dir should be");
	lnk(e->root, MODDIR "/1.0/6.12.0-1-pve/x86_64", "../6.8.12-4-pve/x86_64");
	mkdirs(e->root, MODDIR "/1.0/6.13.0-1-pve/bad arch");
	put(e->root, MODDIR "/1.0/6.14.0-1-pve/x86_64/module", "a file where module/ should be");
	mkdirs(e->root, MODDIR "/1.0/6.15.0-1-pve/x86_64/log");
	assert_int_equal(mkfifoat(e->root, MODDIR "/1.0/6.15.0-1-pve/x86_64/log/make.log", 0644),
			 0);
	/* 255 bytes is a valid name length */
	memset(longname, 'v', 255);
	longname[255] = '\0';
	char rel[PATH_MAX];
	xsnprintf(rel, sizeof(rel), MODDIR "/%s", longname);
	mkdirs(e->root, rel);

	struct dkms_tree *t = read_tree(e->root);
	assert_int_equal(t->nmodules, 1); /* only MOD: the rest is garbage or not added */
	assert_int_equal(t->nkernels, 1);
	const struct dkms_module *m = dkms_tree_module(t, MOD);
	assert_int_equal(m->nversions, 1);
	assert_kernel_state(t, MOD, "6.8.12-4-pve", DKMS_STATE_INSTALLED, "1.0");
	const struct dkms_version *v = &m->versions[0];
	assert_false(dkms_version_build(v, "6.14.0-1-pve", "x86_64")->has_module);
	assert_false(dkms_version_build(v, "6.15.0-1-pve", "x86_64")->has_make_log);
	assert_null(dkms_version_build(v, "6.12.0-1-pve", "x86_64"));
	assert_true(has_skip(t, "lib/modules: a name that is not a kernel release", EINVAL));
	assert_true(has_skip(t, "var/lib/dkms: an entry that is not a module name", EINVAL));
	assert_true(has_skip(t, "var/lib/dkms/afile: not a module directory", ENOTDIR));
	assert_true(has_skip(t, "var/lib/dkms/alink: not a module directory", 0));
	assert_true(has_skip(t, MODDIR ": an entry that is not a version", EINVAL));
	assert_true(has_skip(t, MODDIR "/2.0: not a version directory", ENOTDIR));
	assert_true(has_skip(t, MODDIR "/3.0/source: absent", ENOENT));
	assert_true(has_skip(t, MODDIR "/4.0/source: neither a link nor a directory", ENOTDIR));
	assert_true(has_skip(t, MODDIR "/kernel-6.8.12-4-pve-x86_65: not a symlink", EINVAL));
	assert_true(has_skip(t, MODDIR "/kernel-: not kernel-<kver>-<arch>", EINVAL));
	assert_true(has_skip(t, MODDIR "/kernel-x86_64: not kernel-<kver>-<arch>", EINVAL));
	assert_true(has_skip(t, MODDIR "/kernel-6.8.12-4-pve-arm64: dangling link", ENOENT));
	assert_true(has_skip(t, MODDIR "/kernel-6.8.12-5-pve-x86_64", 0));
	assert_true(has_skip(t, MODDIR "/kernel-6.8.12-6-pve-x86_64: dangling link", ELOOP));
	assert_true(has_skip(t, MODDIR "/1.0: an entry that is not a kernel release", EINVAL));
	assert_true(has_skip(t, MODDIR "/1.0/6.9.0-1-pve: not a kernel directory", ENOTDIR));
	assert_true(has_skip(t, MODDIR "/1.0/6.10.0-1-pve: not a kernel directory", 0));
	assert_true(has_skip(t, MODDIR "/1.0/6.11.0-1-pve/x86_64: not a build directory", ENOTDIR));
	assert_true(has_skip(t, MODDIR "/1.0/6.12.0-1-pve/x86_64: not a build directory", 0));
	assert_true(has_skip(t, MODDIR "/1.0/6.13.0-1-pve: a name that is not an arch", EINVAL));
	assert_true(
	    has_skip(t, MODDIR "/1.0/6.14.0-1-pve/x86_64/module: not a directory", ENOTDIR));
	assert_true(has_skip(t, "/vvvvvvvv", 0)); /* the long version: no source */
	/* skip records never carry a garbage name */
	for (size_t i = 0; i < t->nskips; i++) {
		assert_null(strchr(t->skips[i].what, '"'));
		assert_null(strchr(t->skips[i].what, '\\'));
		assert_null(strstr(t->skips[i].what, "bad "));
	}
	dkms_tree_free(t);
}

static void
test_bounds(void **state)
{
	struct env *e = *state;
	char rel[PATH_MAX];

	for (int i = 0; i < DKMS_MAX_MODULES + 6; i++) {
		xsnprintf(rel, sizeof(rel), "var/lib/dkms/mod%03d/1.0/source", i);
		lnk(e->root, rel, "../../../../../usr/src");
	}
	for (int i = 0; i < DKMS_MAX_VERSIONS + 6; i++) {
		xsnprintf(rel, sizeof(rel), "var/lib/dkms/mod000/2.%d/source", i);
		lnk(e->root, rel, "../../../../../usr/src");
	}
	for (int i = 0; i < DKMS_MAX_KERNELS + 10; i++) {
		xsnprintf(rel, sizeof(rel), "6.%d.0-1-pve", i);
		kernel(e->root, rel);
		xsnprintf(rel, sizeof(rel),
			  "var/lib/dkms/mod001/1.0/6.%d.0-1-pve/x86_64/module/m.ko", i);
		put(e->root, rel, "");
	}
	for (int i = 0; i < DKMS_MAX_ARCHES + 2; i++) {
		xsnprintf(rel, sizeof(rel),
			  "var/lib/dkms/mod002/1.0/6.1.0-1-pve/arch%d/module/m.ko", i);
		put(e->root, rel, "");
	}
	/* a flooded directory is read only up to DKMS_MAX_ENTRIES */
	lnk(e->root, "var/lib/dkms/flood/1.0/source", "../../../../../usr/src");
	for (int i = 0; i < DKMS_MAX_ENTRIES + 5; i++) {
		xsnprintf(rel, sizeof(rel), "var/lib/dkms/flood/1.0/junk%d", i);
		put(e->root, rel, "");
	}
	mkdirs(e->root, "usr/src");
	struct dkms_tree *t = read_tree(e->root);
	assert_int_equal(t->nmodules, DKMS_MAX_MODULES);
	assert_int_equal(t->nkernels, DKMS_MAX_KERNELS);
	assert_true(has_skip(t, "var/lib/dkms: more than 64 modules", E2BIG));
	assert_true(has_skip(t, "lib/modules: more than 256 kernels", E2BIG));
	const struct dkms_module *m = dkms_tree_module(t, "mod000");
	if (m != NULL) { /* readdir order decides which 64 modules were read */
		assert_int_equal(m->nversions, DKMS_MAX_VERSIONS);
		assert_true(has_skip(t, "var/lib/dkms/mod000: more than 64 versions", E2BIG));
	}
	m = dkms_tree_module(t, "mod001");
	if (m != NULL) {
		assert_int_equal(m->versions[0].nbuilds, DKMS_MAX_KERNELS);
		assert_true(has_skip(t, "mod001/1.0: more than 256 kernel directories", E2BIG));
	}
	m = dkms_tree_module(t, "mod002");
	if (m != NULL)
		assert_int_equal(m->versions[0].nbuilds, DKMS_MAX_ARCHES);
	if (dkms_tree_module(t, "flood") != NULL)
		assert_true(has_skip(t, "flood/1.0: more than 4096 entries", E2BIG));
	dkms_tree_free(t);
}

/* dkms writes source -> /usr/src/<module>-<ver>: with --path.rootfs that must resolve in the
 * rootfs, not on the host running the exporter. Needs openat2 (Linux 5.6). */
static void
test_absolute_links_stay_in_root(void **state)
{
	struct env *e = *state;
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_IN_ROOT;
	long fd = syscall(SYS_openat2, e->root, ".", &how, sizeof(how));
	if (fd < 0)
		skip();
	(void)close((int)fd);

	kernel(e->root, "6.8.12-4-pve");
	put(e->root, "usr/src/" MOD "-1.0/dkms.conf", "PACKAGE_NAME=\"" MOD "\"\n");
	lnk(e->root, MODDIR "/1.0/source", "/usr/src/" MOD "-1.0");
	/* exists inside the root only (never on the test host) */
	lnk(e->root, MODDIR "/2.0/source", "/usr/src/" MOD "-2.0");
	build(e->root, "1.0", "6.8.12-4-pve", true);
	lnk(e->root, MODDIR "/kernel-6.8.12-4-pve-x86_64",
	    "/var/lib/dkms/" MOD "/1.0/6.8.12-4-pve/x86_64");
	struct dkms_tree *t = read_tree(e->root);
	const struct dkms_module *m = dkms_tree_module(t, MOD);
	assert_true(m->versions[0].source_present);
	assert_false(m->versions[1].source_present);
	assert_kernel_state(t, MOD, "6.8.12-4-pve", DKMS_STATE_INSTALLED, "1.0");
	dkms_tree_free(t);
}

static void
test_fingerprint(void **state)
{
	struct env *e = *state;

	kernel(e->root, "6.8.12-4-pve");
	add_version(e->root, "1.0", false);
	build(e->root, "1.0", "6.8.12-4-pve", false);
	uint64_t a = dkms_tree_fingerprint(e->root);
	assert_true(a == dkms_tree_fingerprint(e->root));

	/* module/ appears inside an <arch> dir */
	mkdirs(e->root, MODDIR "/1.0/6.8.12-4-pve/x86_64/module");
	uint64_t b = dkms_tree_fingerprint(e->root);
	assert_true(b != a);
	/* a kernel package's depmod writes modules.dep into an existing dir */
	mkdirs(e->root, "lib/modules/6.8.12-9-pve/kernel");
	uint64_t c = dkms_tree_fingerprint(e->root);
	assert_true(c != b);
	kernel(e->root, "6.8.12-9-pve");
	uint64_t d = dkms_tree_fingerprint(e->root);
	assert_true(d != c);
	/* the source dir is removed: the link dangles */
	assert_int_equal(unlinkat(e->root, "usr/src/" MOD "-1.0/dkms.conf", 0), 0);
	assert_int_equal(unlinkat(e->root, "usr/src/" MOD "-1.0", AT_REMOVEDIR), 0);
	uint64_t f = dkms_tree_fingerprint(e->root);
	assert_true(f != d);
	/* a kernel link is re-pointed the way ln -sfn does it: a new link renamed over the old */
	install(e->root, "1.0", "6.8.12-4-pve");
	uint64_t g = dkms_tree_fingerprint(e->root);
	assert_true(g != f);
	lnk(e->root, MODDIR "/tmp-link", "1.0/6.8.12-9-pve/x86_64");
	assert_int_equal(
	    renameat(e->root, MODDIR "/tmp-link", e->root, MODDIR "/kernel-6.8.12-4-pve-x86_64"),
	    0);
	assert_true(dkms_tree_fingerprint(e->root) != g);
	/* without any tree it still answers, and stays stable */
	assert_true(dkms_tree_fingerprint(e->proc) == dkms_tree_fingerprint(e->proc));
}

static void
test_stale(void **state)
{
	struct dkms_tree t;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.fingerprint = 42;
	t.read_ns = 1000;
	assert_true(dkms_tree_stale(NULL, 42, 1000));
	assert_false(dkms_tree_stale(&t, 42, 1000));
	assert_false(dkms_tree_stale(&t, 42, 1000 + DKMS_TREE_MAX_AGE_NS - 1));
	assert_true(dkms_tree_stale(&t, 42, 1000 + DKMS_TREE_MAX_AGE_NS));
	assert_true(dkms_tree_stale(&t, 43, 1000));
	assert_true(dkms_tree_stale(&t, 42, 999)); /* a clock that went back */
}

/* Runs the dkms collector once through the registry; returns the text exposition. */
static char *
collect(struct registry *r)
{
	struct expo *out = expo_new();
	struct buf b = BUF_INIT;
	size_t len;

	(void)registry_collect(r, out, INT64_MAX);
	assert_int_equal(expo_error(out), 0);
	expo_render(out, EXPO_FORMAT_TEXT, &b);
	expo_free(out);
	return buf_steal(&b, &len);
}

static void
assert_has(const char *text, const char *line)
{
	if (strstr(text, line) == NULL)
		fail_msg("missing: %s\n--- in ---\n%s", line, text);
}

static const struct collector_ops *const only_dkms[] = {&dkms_collector};
static const bool enabled[] = {true};

#define STATE(ver, kver, st)                                                                       \
	"gpu_sriov_dkms_module_state{module=\"" MOD "\",version=\"" ver "\",kernel=\"" kver        \
	"\",arch=\"x86_64\",state=\"" st "\"} 1\n"
#define READY(kver, v) "gpu_sriov_dkms_ready{module=\"" MOD "\",kernel=\"" kver "\"} " v "\n"
#define FAILED(ver, kver, v)                                                                       \
	"gpu_sriov_dkms_build_failed{module=\"" MOD "\",version=\"" ver "\",kernel=\"" kver        \
	"\",arch=\"x86_64\"} " v "\n"

/* The tree changes between two collects (a build finishes and is installed for the next kernel):
 * a collect within COLLECTOR_RECHECK_NS of the last look still reports the cached tree, the first
 * one after it sees the change. A change the fingerprint does not cover is seen only when the tree
 * ages out (DKMS_TREE_MAX_AGE_NS), which shows the cached copy is what gets reported. */
static void
test_cache_sees_change(void **state)
{
	struct env *e = *state;
	struct roots roots = {e->sys, e->proc, e->root};

	kernel(e->root, "6.8.12-4-pve");
	kernel(e->root, "6.8.12-9-pve");
	kernel(e->root, "6.11.11-2-pve");
	add_version(e->root, "2025.07.22", false);
	build(e->root, "2025.07.22", "6.8.12-4-pve", true);
	install(e->root, "2025.07.22", "6.8.12-4-pve");
	build(e->root, "2025.07.22", "6.11.11-2-pve", false);
	struct registry *r = registry_new(only_dkms, 1, enabled, &roots, NULL);

	int64_t t0 = fake_now;
	char *text = collect(r);
	assert_has(text, STATE("2025.07.22", "6.8.12-4-pve", "installed"));
	assert_has(text, STATE("2025.07.22", "6.8.12-9-pve", "missing"));
	assert_has(text, READY("6.8.12-9-pve", "0"));
	assert_has(text, FAILED("2025.07.22", "6.11.11-2-pve", "1"));
	assert_has(text, "gpu_sriov_scrape_collector_success{collector=\"dkms\"} 1\n");
	assert_has(text, "cached; re-read when the tree changes");
	free(text);

	build(e->root, "2025.07.22", "6.8.12-9-pve", true);
	install(e->root, "2025.07.22", "6.8.12-9-pve");
	fake_now = t0 + COLLECTOR_RECHECK_NS - 1;
	text = collect(r);
	assert_has(text, READY("6.8.12-9-pve", "0"));
	free(text);
	fake_now = t0 + COLLECTOR_RECHECK_NS;
	text = collect(r);
	assert_has(text, STATE("2025.07.22", "6.8.12-9-pve", "installed"));
	assert_has(text, READY("6.8.12-9-pve", "1"));
	free(text);
	int64_t read_at = fake_now;

	/* log/ is below what the fingerprint lists: the cached tree still has the failed build,
	 * after the recheck bound too, until the tree is old enough to be read again anyway */
	assert_int_equal(
	    unlinkat(e->root, MODDIR "/2025.07.22/6.11.11-2-pve/x86_64/log/make.log", 0), 0);
	fake_now += 2 * COLLECTOR_RECHECK_NS;
	text = collect(r);
	assert_has(text, FAILED("2025.07.22", "6.11.11-2-pve", "1"));
	free(text);
	fake_now = read_at + DKMS_TREE_MAX_AGE_NS - 1;
	text = collect(r);
	assert_has(text, FAILED("2025.07.22", "6.11.11-2-pve", "1"));
	free(text);
	fake_now = read_at + DKMS_TREE_MAX_AGE_NS;
	text = collect(r);
	assert_has(text, FAILED("2025.07.22", "6.11.11-2-pve", "0"));
	free(text);

	/* the rebuild succeeds: module/ appears, the tree is re-read */
	mkdirs(e->root, MODDIR "/2025.07.22/6.11.11-2-pve/x86_64/module");
	fake_now += COLLECTOR_RECHECK_NS;
	text = collect(r);
	assert_has(text, FAILED("2025.07.22", "6.11.11-2-pve", "0"));
	assert_has(text, STATE("2025.07.22", "6.11.11-2-pve", "built"));
	free(text);

	/* the kernel package is removed: its modules.dep goes, and so do its series */
	assert_int_equal(unlinkat(e->root, "lib/modules/6.11.11-2-pve/modules.dep", 0), 0);
	fake_now += 1;
	text = collect(r);
	assert_has(text, "6.11.11-2-pve");
	free(text);
	fake_now += COLLECTOR_RECHECK_NS;
	text = collect(r);
	text_assert_lacks(text, "6.11.11-2-pve");
	free(text);
	registry_free(r);
}

static void
test_collect_skips_every_scrape(void **state)
{
	struct env *e = *state;
	struct roots roots = {e->sys, e->proc, e->root};

	kernel(e->root, "6.8.12-4-pve");
	add_version(e->root, "1.0", false);
	lnk(e->root, MODDIR "/kernel-6.8.12-4-pve-x86_64", "1.0/6.8.12-4-pve/x86_64");
	mkdirs(e->root, "var/lib/dkms/bad\"name");
	struct registry *r = registry_new(only_dkms, 1, enabled, &roots, NULL);
	for (int i = 0; i < 3; i++) {
		/* the same count whether the tree was read or came from the cache */
		char *text = collect(r);
		assert_has(text,
			   "gpu_sriov_scrape_collector_skipped_values{collector=\"dkms\"} 2\n");
		assert_has(text, STATE("1.0", "6.8.12-4-pve", "added"));
		assert_has(text,
			   "gpu_sriov_dkms_source_present{module=\"" MOD "\",version=\"1.0\"} 1\n");
		free(text);
	}
	registry_free(r);
}

static void
test_collect_no_dkms(void **state)
{
	struct env *e = *state;
	struct roots roots = {e->sys, e->proc, e->root};

	kernel(e->root, "6.8.12-4-pve");
	struct registry *r = registry_new(only_dkms, 1, enabled, &roots, NULL);
	char *text = collect(r);
	text_assert_lacks(text, "gpu_sriov_dkms_");
	assert_has(text, "gpu_sriov_scrape_collector_success{collector=\"dkms\"} 1\n");
	assert_has(text, "gpu_sriov_scrape_collector_skipped_values{collector=\"dkms\"} 0\n");
	free(text);
	registry_free(r);
}

/* Kernels without any build are labelled with proc/sys/kernel/arch; garbage there falls back to
 * the arch the exporter was built for. */
static void
test_arch_fallback(void **state)
{
	struct env *e = *state;
	struct roots roots = {e->sys, e->proc, e->root};

	kernel(e->root, "6.8.12-4-pve");
	add_version(e->root, "1.0", false);
	put(e->proc, "sys/kernel/arch", "aarch64\n");
	struct registry *r = registry_new(only_dkms, 1, enabled, &roots, NULL);
	char *text = collect(r);
	assert_has(text, "kernel=\"6.8.12-4-pve\",arch=\"aarch64\",state=\"added\"} 1\n");
	free(text);
	registry_free(r);

	put(e->proc, "sys/kernel/arch", "x86 64; rm -rf\n");
	r = registry_new(only_dkms, 1, enabled, &roots, NULL);
	text = collect(r);
	text_assert_lacks(text, "rm -rf");
#if defined(__x86_64__)
	assert_has(text, "kernel=\"6.8.12-4-pve\",arch=\"x86_64\",state=\"added\"} 1\n");
#endif
	free(text);
	registry_free(r);

	/* a build's own arch wins over the fallback */
	build(e->root, "1.0", "6.8.12-9-pve", true);
	put(e->proc, "sys/kernel/arch", "aarch64\n");
	r = registry_new(only_dkms, 1, enabled, &roots, NULL);
	text = collect(r);
	assert_has(text, "kernel=\"6.8.12-4-pve\",arch=\"x86_64\",state=\"missing\"} 1\n");
	free(text);
	registry_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture_upgrade_pending),
	    cmocka_unit_test(test_fixture_broken_source),
	    cmocka_unit_test(test_fixture_multi),
	    cmocka_unit_test(test_fixture_source_gone),
	    cmocka_unit_test_setup_teardown(test_no_dkms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newest_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_to_failed_build, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_absolute_links_stay_in_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fingerprint, setup, teardown),
	    cmocka_unit_test(test_stale),
	    cmocka_unit_test_setup_teardown(test_cache_sees_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_collect_skips_every_scrape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_collect_no_dkms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_arch_fallback, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
