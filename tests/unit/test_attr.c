/* Kept attribute descriptors (exporter/attr.c) on a private tree: the same answers as
 * sysfs_read_str() (newline, truncation, NUL, FIFO, directory, absent), a value rewritten in place
 * seen at once through the kept descriptor, a file replaced by rename or removed seen only once
 * ATTR_RECHECK_NS has passed (not before), failed opens remembered for that bound, and ENODEV from
 * a kept descriptor (the sysfs node was removed) answered by one reopen; directories listed through
 * a kept descriptor the same way. Time is passed in by the test; pread() is wrapped at link time (-Wl,--wrap=pread) to count reads and inject ENODEV. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "attr.h"
#include "testlib.h"

ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);

static unsigned preads;
static int fail_next; /* errno for the next pread, 0 for none */

ssize_t
__wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	preads++;
	if (fail_next != 0) {
		errno = fail_next;
		fail_next = 0;
		return -1;
	}
	return __real_pread(fd, buf, n, off);
}

#define T0 (1000 * SEC)

static int
setup(void **state)
{
	preads = 0;
	fail_next = 0;
	return tree_fd_setup(state, "test_attr");
}

/* Writes text to a new file and renames it over rel: a new inode, as when a fixture file (or a
 * config) is replaced rather than rewritten. */
static void
replace(const char *root, const char *rel, const char *text)
{
	char tmp[512], path[512];

	xsnprintf(tmp, sizeof(tmp), "%s.new", rel);
	tree_put(root, tmp, text);
	xsnprintf(tmp, sizeof(tmp), "%s/%s.new", root, rel);
	xsnprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(rename(tmp, path), 0);
}

static void
test_read_like_sysfs(void **state)
{
	struct tree_fd *t = *state;
	struct attr a;
	char buf[8];

	tree_put(t->path, "value", "42\n");
	tree_put(t->path, "long", "123456789\n");
	char fifo[512];
	/* tree_put() writes a C string: the NUL byte needs a write() of its own. */
	xsnprintf(fifo, sizeof(fifo), "%s/nul", t->path);
	int fd = open(fifo, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "4\0002\n", 4), 4);
	assert_int_equal(close(fd), 0);
	xsnprintf(fifo, sizeof(fifo), "%s/fifo", t->path);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	tree_put(t->path, "dir/x", "1");

	attr_init(&a, t->fd, "value");
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0), 2);
	assert_string_equal(buf, "42");
	assert_int_equal(attr_read(&a, buf, 1, T0), -EINVAL);
	attr_fini(&a);

	attr_init(&a, t->fd, "long");
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0), -EFBIG);
	attr_fini(&a);

	const char *bad[] = {"nul", "fifo", "dir"};
	for (size_t i = 0; i < 3; i++) {
		attr_init(&a, t->fd, bad[i]);
		assert_int_equal(attr_read(&a, buf, sizeof(buf), T0), -EINVAL);
		attr_fini(&a);
	}
	attr_init(&a, t->fd, "absent");
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0), -ENOENT);
	attr_fini(&a);
	attr_fini(&a); /* twice is fine */
}

/* The descriptor is kept: later reads are one pread() each and see an in-place rewrite at once. */
static void
test_kept_and_rewritten(void **state)
{
	struct tree_fd *t = *state;
	struct attr a;
	char buf[16];

	tree_put(t->path, "value", "1\n");
	attr_init(&a, t->fd, "value");
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0), 1);
	int fd = a.fd;
	assert_true(fd >= 0);
	tree_put(t->path, "value", "22\n");
	preads = 0;
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0 + SEC), 2);
	assert_string_equal(buf, "22");
	assert_int_equal(preads, 1);
	assert_int_equal(a.fd, fd);
	attr_fini(&a);
}

/* Replaced by rename: the kept descriptor still reads the old file until the bound, then the
 * path is checked and the new file opened. */
static void
test_replaced_seen_after_bound(void **state)
{
	struct tree_fd *t = *state;
	struct attr a;
	char buf[16];

	tree_put(t->path, "value", "old\n");
	attr_init(&a, t->fd, "value");
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0), 3);
	replace(t->path, "value", "new\n");
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0 + ATTR_RECHECK_NS - 1), 3);
	assert_string_equal(buf, "old");
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0 + ATTR_RECHECK_NS), 3);
	assert_string_equal(buf, "new");
	/* A clock that went back also makes the path be checked again. */
	replace(t->path, "value", "back\n");
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0), 4);
	assert_string_equal(buf, "back");
	attr_fini(&a);
}

/* Removed: ENOENT once the bound has passed; absent is then remembered for the bound, and a file
 * that appears again is seen after it. */
static void
test_removed_and_back(void **state)
{
	struct tree_fd *t = *state;
	struct attr a;
	char buf[16];

	tree_put(t->path, "value", "7\n");
	attr_init(&a, t->fd, "value");
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0), 1);
	tree_rm(t->path, "value");
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0 + SEC), 1);
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0 + ATTR_RECHECK_NS), -ENOENT);
	tree_put(t->path, "value", "8\n");
	preads = 0;
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0 + 2 * ATTR_RECHECK_NS - 1), -ENOENT);
	assert_int_equal(preads, 0);
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0 + 2 * ATTR_RECHECK_NS), 1);
	assert_string_equal(buf, "8");
	attr_fini(&a);
}

/* ENODEV from a kept descriptor is what sysfs answers once the node is gone: the path is opened
 * again at once (no waiting for the bound) and read once more. */
static void
test_enodev_reopens(void **state)
{
	struct tree_fd *t = *state;
	struct attr a;
	char buf[16];

	tree_put(t->path, "value", "before\n");
	attr_init(&a, t->fd, "value");
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0), 6);
	replace(t->path, "value", "after\n");
	fail_next = ENODEV;
	preads = 0;
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0 + 1), 5);
	assert_string_equal(buf, "after");
	assert_int_equal(preads, 2);
	/* Other errors are the attribute's answer (show() failed): returned, descriptor kept. */
	int fd = a.fd;
	fail_next = EIO;
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0 + 2), -EIO);
	assert_int_equal(a.fd, fd);
	/* ENODEV on a descriptor just opened is an answer too: no loop. */
	attr_fini(&a);
	attr_init(&a, t->fd, "value");
	fail_next = ENODEV;
	preads = 0;
	assert_int_equal(attr_read(&a, buf, sizeof(buf), T0), -ENODEV);
	assert_int_equal(preads, 1);
	attr_fini(&a);
}

/* Directory listing helper: the names of a directory, as a sorted, comma-separated string. */
struct names {
	char text[512];
	unsigned n;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
collect_name(void *arg, const char *name, ino_t ino, unsigned char type)
{
	struct names *n = arg;

	(void)ino;
	(void)type;
	size_t len = strlen(n->text);
	xsnprintf(n->text + len, sizeof(n->text) - len, "%s%s", len > 0 ? "," : "", name);
	n->n++;
}

/* Lists d at now_ns into a sorted comma-separated string; returns attr_dir_list()'s result. */
static int
list(struct attr_dir *d, int64_t now_ns, char *out, size_t size)
{
	struct names n;
	char *parts[32] = {NULL};
	size_t k = 0;

	memset(&n, 0, sizeof(n));
	int r = attr_dir_list(d, now_ns, collect_name, &n);
	for (char *p = n.text; *p != '\0' && k < 32; k++) {
		parts[k] = p;
		p += strcspn(p, ",");
		if (*p == ',')
			*p++ = '\0';
	}
	qsort(parts, k, sizeof(char *), cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < k; i++) {
		size_t len = strlen(out);
		xsnprintf(out + len, size - len, "%s%s", i > 0 ? "," : "", parts[i]);
	}
	return r;
}

/* Entries added or removed show in the next listing through the kept descriptor (one lseek()
 * and getdents64() calls, no open); the directory replaced by rename shows after the bound. */
static void
test_dir_listing(void **state)
{
	struct tree_fd *t = *state;
	struct attr_dir d;
	char got[512], from[512], to[512];

	tree_put(t->path, "groups/1/type", "DMA\n");
	tree_put(t->path, "groups/2/type", "DMA\n");
	attr_dir_init(&d, t->fd, "groups");
	assert_int_equal(list(&d, T0, got, sizeof(got)), 0);
	assert_string_equal(got, "1,2");
	int fd = d.fd;
	tree_put(t->path, "groups/3/type", "identity\n");
	tree_rm(t->path, "groups/1");
	assert_int_equal(list(&d, T0 + 1, got, sizeof(got)), 0);
	assert_string_equal(got, "2,3");
	assert_int_equal(d.fd, fd);

	/* another directory renamed into its place */
	tree_put(t->path, "other/7/type", "DMA\n");
	xsnprintf(from, sizeof(from), "%s/groups", t->path);
	xsnprintf(to, sizeof(to), "%s/old", t->path);
	assert_int_equal(rename(from, to), 0);
	xsnprintf(from, sizeof(from), "%s/other", t->path);
	xsnprintf(to, sizeof(to), "%s/groups", t->path);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(list(&d, T0 + ATTR_RECHECK_NS - 1, got, sizeof(got)), 0);
	assert_string_equal(got, "2,3");
	assert_int_equal(list(&d, T0 + ATTR_RECHECK_NS, got, sizeof(got)), 0);
	assert_string_equal(got, "7");

	/* gone: ENOENT after the bound, remembered for the bound, then found again */
	tree_rm(t->path, "groups");
	assert_int_equal(list(&d, T0 + 2 * ATTR_RECHECK_NS, got, sizeof(got)), -ENOENT);
	tree_put(t->path, "groups/9/type", "DMA\n");
	assert_int_equal(list(&d, T0 + 3 * ATTR_RECHECK_NS - 1, got, sizeof(got)), -ENOENT);
	assert_int_equal(list(&d, T0 + 3 * ATTR_RECHECK_NS, got, sizeof(got)), 0);
	assert_string_equal(got, "9");
	attr_dir_fini(&d);
	attr_dir_fini(&d);

	attr_dir_init(&d, t->fd, "groups/9/type");
	assert_int_equal(list(&d, T0, got, sizeof(got)), -ENOTDIR);
	attr_dir_fini(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_read_like_sysfs, setup, tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_kept_and_rewritten, setup, tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_replaced_seen_after_bound, setup, tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_removed_and_back, setup, tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_enodev_reopens, setup, tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_dir_listing, setup, tree_fd_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
