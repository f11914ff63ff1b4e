/* libFuzzer target: the DKMS tree reader (collectors/dkms_tree.h) and the dkms collector on top
 * of it. The tree is a directory walk, so each input describes a small tree that is built in a
 * private mkdtemp() directory (created once per process, emptied before every input, removed at
 * exit) which then serves as --path.rootfs. Nothing is written outside that directory.
 *
 * Input: one entry per line, fields separated by tabs, the format of
 *   find root -printf '%y\t%P\t%l\n'
 * so seeds come straight from the fixtures (tests/fuzz/dkms_tree_seeds.sh):
 *   d<TAB>path                a directory (parents are created as needed)
 *   f<TAB>path                an empty regular file
 *   p<TAB>path                a FIFO, where dkms has files or directories
 *   l<TAB>path<TAB>target     a symlink; the target is any text (absolute, dangling, a loop)
 * Paths are relative, without "." or ".." components; other lines are ignored, so any byte
 * mutation still yields a tree. Names may hold any byte but '/', NUL, tab and newline. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "collector.h"
#include "collectors.h"
#include "dkms_tree.h"
#include "expo.h"
#include "fuzz_common.h"
#include "log.h"
#include "registry.h"

#define MAX_ENTRIES 256
#define MAX_PATH 1024

/* tmpfs when there is one: building a tree per input on a disk file system is ten times slower. */
static char dir[] = "/dev/shm/fuzz_dkms_tree.XXXXXX";
static char dir_tmp[] = "/tmp/fuzz_dkms_tree.XXXXXX";
static const char *scratch;
static int top = -1;

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0 && remove(path) != 0)
		abort();
	return 0;
}

static void
empty_dir(void)
{
	if (nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		abort();
}

static void
cleanup(void)
{
	empty_dir();
	(void)rmdir(scratch);
}

/* True when rel is a usable relative path: no empty, "." or ".." component. */
static bool
safe_path(const char *rel)
{
	const char *p = rel;

	if (*p == '\0' || strlen(p) >= MAX_PATH)
		return false;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

/* mkdir -p of the parent directories of rel below top. A parent that exists as something else
 * makes the entry fail, which the caller ignores. */
static void
make_parents(char *rel)
{
	for (char *p = rel; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		(void)mkdirat(top, rel, 0755);
		*p = '/';
	}
}

static void
make_entry(char type, char *rel, const char *target)
{
	int fd;

	if (!safe_path(rel))
		return;
	make_parents(rel);
	switch (type) {
	case 'd':
		(void)mkdirat(top, rel, 0755);
		break;
	case 'f':
		fd = openat(top, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0)
			(void)close(fd);
		break;
	case 'p':
		(void)mkfifoat(top, rel, 0644);
		break;
	case 'l':
		if (target && *target)
			(void)symlinkat(target, top, rel);
		break;
	default:
		break;
	}
}

static void
build_tree(char *text)
{
	size_t n = 0;

	for (char *line = text; line && n < MAX_ENTRIES; n++) {
		char *next = strchr(line, '\n');

		if (next)
			*next++ = '\0';
		if (line[0] != '\0' && line[1] == '\t') {
			char *rel = line + 2, *target = strchr(rel, '\t');

			if (target)
				*target++ = '\0';
			make_entry(line[0], rel, target);
		}
		line = next;
	}
}

/* The reader's promises (dkms_tree.h): sorted, bounded, states in range, names usable as labels. */
static void
check_tree(const struct dkms_tree *t)
{
	struct dkms_kernel_state ks;

	if (t->nmodules > DKMS_MAX_MODULES || t->nkernels > DKMS_MAX_KERNELS ||
	    t->nskips > DKMS_MAX_SKIPS)
		abort();
	for (size_t i = 1; i < t->nkernels; i++)
		if (strverscmp(t->kernels[i - 1], t->kernels[i]) > 0)
			abort();
	for (size_t i = 0; i < t->nmodules; i++) {
		const struct dkms_module *m = &t->modules[i];

		if (m->nversions == 0 || m->nversions > DKMS_MAX_VERSIONS ||
		    (i > 0 && strcmp(t->modules[i - 1].name, m->name) >= 0) ||
		    dkms_tree_module(t, m->name) != m)
			abort();
		for (size_t j = 0; j < m->nversions; j++) {
			const struct dkms_version *v = &m->versions[j];

			if (dkms_module_version(m, v->name) == NULL ||
			    dkms_version_state(v) >= DKMS_STATE_COUNT)
				abort();
			for (size_t k = 0; k < v->nbuilds; k++)
				if (dkms_build_state(&v->builds[k]) >= DKMS_STATE_COUNT ||
				    (v->builds[k].installed && !v->builds[k].has_module))
					abort();
		}
		for (size_t k = 0; k < t->nkernels; k++) {
			dkms_tree_kernel_state(t, m, t->kernels[k], &ks);
			if (ks.state >= DKMS_STATE_COUNT || !ks.version || !ks.arch)
				abort();
		}
		/* Any name, installed or not, as the collector's callers may pass. */
		dkms_tree_kernel_state(t, m, "6.8.12-4-pve", &ks);
		if (ks.state >= DKMS_STATE_COUNT)
			abort();
	}
}

/* The whole collector over the tree: it succeeds exactly when the reader did (bad entries are
 * skips, not failures) and renders valid text with a final newline. */
static void
collect(bool read_ok)
{
	static const struct collector_ops *const ops[] = {&dkms_collector};
	static const bool enabled[] = {true};
	struct roots roots = {top, top, top};
	struct registry *r = registry_new(ops, 1, enabled, &roots, NULL);
	struct expo *e = expo_new();
	struct buf out = BUF_INIT;

	if ((registry_collect(r, e, INT64_MAX) == 1) != read_ok || expo_error(e) != 0)
		abort();
	expo_render(e, EXPO_FORMAT_TEXT, &out);
	if (out.len == 0 || out.data[out.len - 1] != '\n')
		abort();
	buf_free(&out);
	expo_free(e);
	registry_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkms_tree *t = NULL;
	char *text;

	if (top < 0) {
		log_setup(LOG_LEVEL_ERROR, LOG_FORMAT_LOGFMT);
		scratch = mkdtemp(dir) ? dir : mkdtemp(dir_tmp);
		if (!scratch)
			abort();
		top = open(scratch, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (top < 0)
			abort();
		atexit(cleanup);
	}
	empty_dir();
	text = fuzz_strdup(data, size);
	build_tree(text);
	free(text);

	uint64_t fp = dkms_tree_fingerprint(top);
	bool read_ok = dkms_tree_read(top, "x86_64", &t) == 0;
	if (read_ok) {
		check_tree(t);
		dkms_tree_free(t);
	}
	/* Nothing changed in between: the fingerprint must say so, or the cache would never hold. */
	if (dkms_tree_fingerprint(top) != fp)
		abort();
	collect(read_ok);
	return 0;
}
