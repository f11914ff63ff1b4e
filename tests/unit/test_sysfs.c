/* Unit tests for sysfs.c: bounded single reads, number reads, symlink names and directory handles
 * below a root fd. The group setup builds a private tree under mkdtemp() (regular files, a FIFO,
 * relative symlinks as sysfs has them) and the teardown removes it with nftw(). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sysfs.h"
#include "testlib.h"

/* 41 characters: longer than the small buffers below. */
#define LONG_NAME "a_driver_name_that_is_much_too_long_xxxxx"

static int
write_file(int dirfd, const char *rel, const char *data, size_t len)
{
	int fd = openat(dirfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			int r = -errno;
			(void)close(fd);
			return r;
		}
		data += n;
		len -= (size_t)n;
	}
	return close(fd) < 0 ? -errno : 0;
}

struct file {
	const char *rel;
	const char *data;
	size_t len;
};

#define FILE_ENTRY(rel, lit) {(rel), (lit), sizeof(lit) - 1}

/* 79 digits and a newline: more than sysfs_read_u64()'s 64-byte buffer. */
#define LONG_VALUE                                                                                 \
	"0000000000000000000000000000000000000000000000000000000000000000000000000000001\n"

static int
build_tree(int fd)
{
	static const char *const dirs[] = {
		"dir",
		"dir/sub",
		"bus",
		"bus/pci",
		"bus/pci/drivers",
		"bus/pci/drivers/i915",
		"devices",
		"devices/pci0000:00",
		"devices/pci0000:00/0000:00:02.0",
	};
	static const struct file files[] = {
		FILE_ENTRY("value", "42\n"),
		FILE_ENTRY("nonl", "abc"),
		FILE_ENTRY("empty", ""),
		FILE_ENTRY("only_newline", "\n"),
		FILE_ENTRY("two_newlines", "7\n\n"),
		FILE_ENTRY("fits7", "1234567"),
		FILE_ENTRY("fits6", "123456"),
		FILE_ENTRY("fits6nl", "123456\n"),
		FILE_ENTRY("junk", "12abc\n"),
		FILE_ENTRY("nul", "12\0" "34\n"),
		FILE_ENTRY("huge", "18446744073709551616\n"),
		FILE_ENTRY("max", "18446744073709551615\n"),
		FILE_ENTRY("hex", "0x8086\n"),
		FILE_ENTRY("negative", "-1\n"),
		FILE_ENTRY("spaced", " 1\n"),
		FILE_ENTRY("longval", LONG_VALUE),
		FILE_ENTRY("dir/a", "1\n"),
		FILE_ENTRY("dir/b", "2\n"),
	};
	/* Relative targets, as sysfs has them; the driver link resolves to bus/pci/drivers/i915. */
	static const char *const links[][2] = {
		{"devices/pci0000:00/0000:00:02.0/driver", "../../../bus/pci/drivers/i915"},
		{"slash", "../drivers/xe/"},
		{"slashes", "../drivers/xe//"},
		{"plain", "vfio-pci"},
		{"dangling", "nowhere/at/all/vfio-pci"},
		{"longlink", "../x/" LONG_NAME},
		{"dirlink", "dir"},
		{"valuelink", "value"},
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (mkdirat(fd, dirs[i], 0755) < 0)
			return -errno;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int r = write_file(fd, files[i].rel, files[i].data, files[i].len);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (symlinkat(links[i][1], fd, links[i][0]) < 0)
			return -errno;
	}
	if (mkfifoat(fd, "fifo", 0644) < 0)
		return -errno;
	return 0;
}

/* A relative link from the tree to /dev/null, so a character device sits where a value should. */
static int
link_dev_null(int fd, const char *path)
{
	char real[PATH_MAX], target[PATH_MAX] = "";
	size_t len = 0;

	if (realpath(path, real) == NULL)
		return -errno;
	for (const char *p = real; *p != '\0'; p++) {
		if (*p != '/' || p[1] == '\0')
			continue;
		if (len + 4 > sizeof(target))
			return -ENAMETOOLONG;
		memcpy(target + len, "../", 4);
		len += 3;
	}
	if (len + sizeof("dev/null") > sizeof(target))
		return -ENAMETOOLONG;
	memcpy(target + len, "dev/null", sizeof("dev/null"));
	return symlinkat(target, fd, "devnull") < 0 ? -errno : 0;
}

static int
setup(void **state)
{
	if (tree_fd_setup(state, "test_sysfs") < 0)
		return -1;
	const struct tree_fd *t = *state;
	if (build_tree(t->fd) != 0 || link_dev_null(t->fd, t->path) != 0) {
		(void)tree_fd_teardown(state);
		return -1;
	}
	return 0;
}

static int
root_fd(void **state)
{
	const struct tree_fd *t = *state;

	return t->fd;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_read_str_strips_newline(void **state)
{
	char buf[16];

	assert_int_equal(sysfs_read_str(root_fd(state), "value", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "42");
	/* only one newline is stripped */
	assert_int_equal(sysfs_read_str(root_fd(state), "two_newlines", buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "7\n", 3);
	assert_int_equal(sysfs_read_str(root_fd(state), "only_newline", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* symlinks to attributes are followed */
	assert_int_equal(sysfs_read_str(root_fd(state), "valuelink", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "42");
	assert_int_equal(sysfs_read_str(root_fd(state), "dir/a", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "1");
}

static void
test_read_str_no_newline(void **state)
{
	char buf[16];

	assert_int_equal(sysfs_read_str(root_fd(state), "nonl", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
}

static void
test_read_str_empty(void **state)
{
	char buf[16];

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(sysfs_read_str(root_fd(state), "empty", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void
test_read_str_buffer_bounds(void **state)
{
	char buf[8];

	/* 7 bytes fill all of buf but the NUL: it cannot be told from a truncated value. */
	assert_int_equal(sysfs_read_str(root_fd(state), "fits7", buf, sizeof(buf)), -EFBIG);
	assert_int_equal(sysfs_read_str(root_fd(state), "fits6nl", buf, sizeof(buf)), -EFBIG);
	assert_int_equal(sysfs_read_str(root_fd(state), "fits6", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "123456");
	/* The newline counts: "42\n" needs 3 bytes plus the spare one. */
	assert_int_equal(sysfs_read_str(root_fd(state), "value", buf, 4), -EFBIG);
	assert_int_equal(sysfs_read_str(root_fd(state), "value", buf, 5), 2);
	assert_string_equal(buf, "42");
	char big[9];
	assert_int_equal(sysfs_read_str(root_fd(state), "fits7", big, sizeof(big)), 7);
	assert_string_equal(big, "1234567");
}

static void
test_read_str_missing(void **state)
{
	char buf[16];

	assert_int_equal(sysfs_read_str(root_fd(state), "missing", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(sysfs_read_str(root_fd(state), "missing/value", buf, sizeof(buf)),
			 -ENOENT);
	assert_int_equal(sysfs_read_str(root_fd(state), "dangling", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(sysfs_read_str(root_fd(state), "value/x", buf, sizeof(buf)), -ENOTDIR);
}

static void
test_read_str_nul(void **state)
{
	char buf[16];

	/* Not "12": the bytes after the NUL would be lost without a word. */
	assert_int_equal(sysfs_read_str(root_fd(state), "nul", buf, sizeof(buf)), -EINVAL);
}

static void
test_read_str_directory(void **state)
{
	char buf[16];

	assert_int_equal(sysfs_read_str(root_fd(state), "dir", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sysfs_read_str(root_fd(state), "dirlink", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sysfs_read_str(root_fd(state), ".", buf, sizeof(buf)), -EINVAL);
}

static void
test_read_str_device(void **state)
{
	char buf[16];
	uint64_t v = 7;

	assert_int_equal(sysfs_read_str(root_fd(state), "devnull", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sysfs_read_u64(root_fd(state), "devnull", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(v, 7);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

static void
test_read_str_fifo(void **state)
{
	struct sigaction sa, old;
	char buf[16];
	uint64_t v = 7;

	/* Safety net: a blocking open() or read() is interrupted (-EINTR, no SA_RESTART) by a timer
	 * firing every second, so the test fails instead of hanging the run. */
	struct itimerval tick = {{1, 0}, {1, 0}}, off = {{0, 0}, {0, 0}};
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	assert_int_equal(sigemptyset(&sa.sa_mask), 0);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &tick, NULL), 0);
	int64_t start = now_ms();
	ssize_t r1 = sysfs_read_str(root_fd(state), "fifo", buf, sizeof(buf));
	int r2 = sysfs_read_u64(root_fd(state), "fifo", 10, UINT64_MAX, &v);
	int64_t elapsed = now_ms() - start;
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	assert_int_equal(r1, -EINVAL);
	assert_int_equal(r2, -EINVAL);
	assert_true(elapsed < 1000);
	assert_int_equal(v, 7);
}

static void
test_read_u64(void **state)
{
	uint64_t v = 0;

	assert_int_equal(sysfs_read_u64(root_fd(state), "value", 10, UINT64_MAX, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(sysfs_read_u64(root_fd(state), "hex", 16, 0xffff, &v), 0);
	assert_int_equal(v, 0x8086);
	assert_int_equal(sysfs_read_u64(root_fd(state), "max", 10, UINT64_MAX, &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(sysfs_read_u64(root_fd(state), "value", 10, 42, &v), 0);
	assert_int_equal(v, 42);
}

static void
test_read_u64_errors(void **state)
{
	const uint64_t sentinel = UINT64_C(0xdeadbeefcafe);
	uint64_t v = sentinel;

	assert_int_equal(sysfs_read_u64(root_fd(state), "junk", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(sysfs_read_u64(root_fd(state), "nul", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(sysfs_read_u64(root_fd(state), "empty", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(sysfs_read_u64(root_fd(state), "only_newline", 10, UINT64_MAX, &v),
			 -EINVAL);
	assert_int_equal(sysfs_read_u64(root_fd(state), "negative", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(sysfs_read_u64(root_fd(state), "spaced", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(sysfs_read_u64(root_fd(state), "hex", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(sysfs_read_u64(root_fd(state), "huge", 10, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(sysfs_read_u64(root_fd(state), "value", 10, 41, &v), -ERANGE);
	assert_int_equal(sysfs_read_u64(root_fd(state), "max", 10, UINT64_MAX - 1, &v), -ERANGE);
	assert_int_equal(sysfs_read_u64(root_fd(state), "value", 7, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(sysfs_read_u64(root_fd(state), "longval", 10, UINT64_MAX, &v), -EFBIG);
	assert_int_equal(sysfs_read_u64(root_fd(state), "missing", 10, UINT64_MAX, &v), -ENOENT);
	assert_int_equal(sysfs_read_u64(root_fd(state), "dir", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(v, sentinel);
}

static void
test_link_name(void **state)
{
	char buf[32];

	assert_int_equal(sysfs_link_name(root_fd(state), "devices/pci0000:00/0000:00:02.0/driver",
					 buf, sizeof(buf)),
			 4);
	assert_string_equal(buf, "i915");
	assert_int_equal(sysfs_link_name(root_fd(state), "plain", buf, sizeof(buf)), 8);
	assert_string_equal(buf, "vfio-pci");
	/* exactly fits: 4 characters and the NUL */
	assert_int_equal(sysfs_link_name(root_fd(state), "devices/pci0000:00/0000:00:02.0/driver",
					 buf, 5),
			 4);
	assert_string_equal(buf, "i915");
}

static void
test_link_name_trailing_slash(void **state)
{
	char buf[32];

	assert_int_equal(sysfs_link_name(root_fd(state), "slash", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "xe");
	assert_int_equal(sysfs_link_name(root_fd(state), "slashes", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "xe");
}

static void
test_link_name_dangling(void **state)
{
	char buf[32];

	assert_int_equal(sysfs_link_name(root_fd(state), "dangling", buf, sizeof(buf)), 8);
	assert_string_equal(buf, "vfio-pci");
}

static void
test_link_name_errors(void **state)
{
	char buf[32];

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(sysfs_link_name(root_fd(state), "value", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sysfs_link_name(root_fd(state), "dir", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sysfs_link_name(root_fd(state), "missing", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(sysfs_link_name(root_fd(state), "devices/pci0000:00/0000:00:02.0/nodriver",
					 buf, sizeof(buf)),
			 -ENOENT);
	assert_int_equal(sysfs_link_name(root_fd(state), "longlink", buf, sizeof(buf)), -EFBIG);
	assert_int_equal(sysfs_link_name(root_fd(state), "devices/pci0000:00/0000:00:02.0/driver",
					 buf, 4),
			 -EFBIG);
	/* nothing written on failure */
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'x');
	char big[64];
	assert_int_equal(sysfs_link_name(root_fd(state), "longlink", big, sizeof(big)),
			 (ssize_t)strlen(LONG_NAME));
	assert_string_equal(big, LONG_NAME);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sorted entry names of d without "." and "..", or -1 when more than max or too long. */
static int
list_dir(DIR *d, char names[][16], size_t max)
{
	struct dirent *de;
	size_t n = 0;

	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == max || strlen(de->d_name) >= 16)
			return -1;
		memcpy(names[n], de->d_name, strlen(de->d_name) + 1);
		n++;
	}
	qsort(names, n, sizeof(names[0]), compare_names);
	return (int)n;
}

static void
test_opendir(void **state)
{
	char names[8][16];
	DIR *d = NULL;

	assert_int_equal(sysfs_opendir(root_fd(state), "dir", &d), 0);
	assert_non_null(d);
	int flags = fcntl(dirfd(d), F_GETFD);
	assert_true(flags >= 0 && (flags & FD_CLOEXEC) != 0);
	assert_int_equal(list_dir(d, names, 8), 3);
	assert_string_equal(names[0], "a");
	assert_string_equal(names[1], "b");
	assert_string_equal(names[2], "sub");
	assert_int_equal(closedir(d), 0);

	d = NULL;
	assert_int_equal(sysfs_opendir(root_fd(state), "dirlink", &d), 0);
	assert_int_equal(list_dir(d, names, 8), 3);
	assert_int_equal(closedir(d), 0);

	/* "." lists the root fd itself, although it is an O_PATH handle */
	d = NULL;
	assert_int_equal(sysfs_opendir(root_fd(state), ".", &d), 0);
	struct dirent *de;
	int found = 0;
	while ((de = readdir(d)) != NULL)
		found += strcmp(de->d_name, "devices") == 0 || strcmp(de->d_name, "fifo") == 0;
	assert_int_equal(found, 2);
	assert_int_equal(closedir(d), 0);
}

static void
test_opendir_errors(void **state)
{
	DIR *d = NULL;

	assert_int_equal(sysfs_opendir(root_fd(state), "missing", &d), -ENOENT);
	assert_null(d);
	assert_int_equal(sysfs_opendir(root_fd(state), "value", &d), -ENOTDIR);
	assert_null(d);
	assert_int_equal(sysfs_opendir(root_fd(state), "fifo", &d), -ENOTDIR);
	assert_null(d);
	assert_int_equal(sysfs_opendir(root_fd(state), "dangling", &d), -ENOENT);
	assert_null(d);
}

static void
test_open_dir_fd(void **state)
{
	struct stat st;
	char buf[16];

	int fd = sysfs_open_dir_fd(root_fd(state), "dir");
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	int fl = fcntl(fd, F_GETFD);
	assert_true(fl >= 0 && (fl & FD_CLOEXEC) != 0);
	fl = fcntl(fd, F_GETFL);
	assert_true(fl >= 0 && (fl & O_PATH) != 0);
	/* usable as a root for the other helpers */
	assert_int_equal(sysfs_read_str(fd, "b", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "2");
	DIR *d = NULL;
	assert_int_equal(sysfs_opendir(fd, ".", &d), 0);
	assert_int_equal(closedir(d), 0);
	assert_int_equal(close(fd), 0);

	fd = sysfs_open_dir_fd(root_fd(state), "devices/pci0000:00/0000:00:02.0/driver");
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	fd = sysfs_open_dir_fd(root_fd(state), ".");
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
}

static void
test_open_dir_fd_errors(void **state)
{
	assert_int_equal(sysfs_open_dir_fd(root_fd(state), "missing"), -ENOENT);
	assert_int_equal(sysfs_open_dir_fd(root_fd(state), "value"), -ENOTDIR);
	assert_int_equal(sysfs_open_dir_fd(root_fd(state), "dangling"), -ENOENT);
	assert_int_equal(sysfs_open_dir_fd(root_fd(state), "fifo"), -ENOTDIR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_str_strips_newline),
		cmocka_unit_test(test_read_str_no_newline),
		cmocka_unit_test(test_read_str_empty),
		cmocka_unit_test(test_read_str_buffer_bounds),
		cmocka_unit_test(test_read_str_missing),
		cmocka_unit_test(test_read_str_nul),
		cmocka_unit_test(test_read_str_directory),
		cmocka_unit_test(test_read_str_device),
		cmocka_unit_test(test_read_str_fifo),
		cmocka_unit_test(test_read_u64),
		cmocka_unit_test(test_read_u64_errors),
		cmocka_unit_test(test_link_name),
		cmocka_unit_test(test_link_name_trailing_slash),
		cmocka_unit_test(test_link_name_dangling),
		cmocka_unit_test(test_link_name_errors),
		cmocka_unit_test(test_opendir),
		cmocka_unit_test(test_opendir_errors),
		cmocka_unit_test(test_open_dir_fd),
		cmocka_unit_test(test_open_dir_fd_errors),
	};
	return cmocka_run_group_tests(tests, setup, tree_fd_teardown);
}
