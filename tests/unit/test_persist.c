/* Persistence config readers: sysfs.conf, tmpfiles.d and udev rule lines, malformed input, and
 * the precedence between sources on a temporary root tree. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "persist.h"
#include "testlib.h"

typedef int (*parser)(const char *line, char *ret_bdf, unsigned *ret_count);

static void
assert_line(parser p, const char *line, int want, const char *bdf, unsigned count)
{
	char got_bdf[PARSE_BDF_SIZE] = "untouched";
	unsigned got_count = 12345;

	int r = p(line, got_bdf, &got_count);
	if (r != want)
		fail_msg("'%s': got %d, want %d", line, r, want);
	if (want == 1) {
		assert_string_equal(got_bdf, bdf);
		assert_int_equal(got_count, count);
	} else {
		assert_string_equal(got_bdf, "untouched");
		assert_int_equal(got_count, 12345);
	}
}

static void
test_sysfsconf(void **state)
{
	parser p = persist_parse_sysfsconf;

	(void)state;
	assert_line(p, "devices/pci0000:00/0000:00:02.0/sriov_numvfs = 7", 1, "0000:00:02.0", 7);
	assert_line(p, "  devices/pci0000:00/0000:00:02.0/sriov_numvfs=3  ", 1, "0000:00:02.0", 3);
	assert_line(p, "bus/pci/devices/0000:00:02.0/sriov_numvfs = 0", 1, "0000:00:02.0", 0);
	/* The address is the last component before the attribute, behind any bridges. */
	assert_line(p, "devices/pci0000:00/0000:00:1c.0/0000:03:00.0/sriov_numvfs = 4", 1,
		    "0000:03:00.0", 4);
	assert_line(p, "devices/pci0000:00/0000:00:02.0/SRIOV_NUMVFS = 7", 0, NULL, 0);
	assert_line(p, "# devices/pci0000:00/0000:00:02.0/sriov_numvfs = 7", 0, NULL, 0);
	assert_line(p, "", 0, NULL, 0);
	assert_line(p, "mode devices/pci0000:00/0000:00:02.0/sriov_numvfs = 0666", 0, NULL, 0);
	assert_line(p, "owner devices/pci0000:00/0000:00:02.0/sriov_numvfs = root:root", 0, NULL, 0);
	assert_line(p, "module/i915/parameters/enable_guc = 3", 0, NULL, 0);
	assert_line(p, "devices/pci0000:00/0000:00:02.0/sriov_numvfs = seven", -EINVAL, NULL, 0);
	assert_line(p, "devices/pci0000:00/0000:00:02.0/sriov_numvfs = -1", -EINVAL, NULL, 0);
	assert_line(p, "devices/pci0000:00/0000:00:02.0/sriov_numvfs = 70000", -EINVAL, NULL, 0);
	assert_line(p, "devices/pci0000:00/0000:00:02.0/sriov_numvfs = 7 8", -EINVAL, NULL, 0);
	assert_line(p, "devices/pci0000:00/0000:00:02.0/sriov_numvfs 7", -EINVAL, NULL, 0);
	assert_line(p, "devices/pci0000:00/gpu/sriov_numvfs = 7", -EINVAL, NULL, 0);
	assert_line(p, "sriov_numvfs = 7", 0, NULL, 0);
}

static void
test_tmpfiles(void **state)
{
	parser p = persist_parse_tmpfiles;

	(void)state;
	assert_line(p, "w /sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs - - - - 7", 1,
		    "0000:00:02.0", 7);
	assert_line(p, "w+ /sys/bus/pci/devices/0000:00:02.0/sriov_numvfs - - - - 2", 1,
		    "0000:00:02.0", 2);
	assert_line(p, "w- /sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs\t-\t-\t-\t-\t3\t", 1,
		    "0000:00:02.0", 3);
	assert_line(p, "#w /sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs - - - - 7", 0, NULL, 0);
	assert_line(p, "d /run/foo 0755 root root -", 0, NULL, 0);
	assert_line(p, "wx /sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs - - - - 7", 0, NULL, 0);
	assert_line(p, "w /etc/devices/0000:00:02.0/sriov_numvfs - - - - 7", 0, NULL, 0);
	assert_line(p, "w /sys/devices/pci0000:00/0000:00:02.0/power/control - - - - auto", 0, NULL,
		    0);
	assert_line(p, "w /sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs - - - -", -EINVAL,
		    NULL, 0);
	assert_line(p, "w /sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs", -EINVAL, NULL, 0);
	assert_line(p, "w /sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs - - - - x", -EINVAL,
		    NULL, 0);
}

static void
test_udev(void **state)
{
	parser p = persist_parse_udev;

	(void)state;
	assert_line(p,
		    "ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"0000:00:02.0\", "
		    "ATTR{sriov_numvfs}=\"7\"",
		    1, "0000:00:02.0", 7);
	/* A match on the attribute is not an assignment. */
	assert_line(p, "KERNEL==\"0000:00:02.0\", ATTR{sriov_numvfs}==\"7\"", 0, NULL, 0);
	assert_line(p, "# KERNEL==\"0000:00:02.0\", ATTR{sriov_numvfs}=\"7\"", 0, NULL, 0);
	assert_line(p, "SUBSYSTEM==\"net\", ACTION==\"add\", NAME=\"eth0\"", 0, NULL, 0);
	/* Matched by IDs: which PF it means is not known from the line alone. */
	assert_line(p,
		    "ATTR{vendor}==\"0x8086\", ATTR{device}==\"0x46d4\", ATTR{sriov_numvfs}=\"7\"",
		    -EINVAL, NULL, 0);
	assert_line(p, "KERNEL==\"0000:00:02.*\", ATTR{sriov_numvfs}=\"7\"", -EINVAL, NULL, 0);
	assert_line(p, "KERNEL==\"0000:00:02.0\", ATTR{sriov_numvfs}=\"many\"", -EINVAL, NULL, 0);
	assert_line(p, "KERNEL==\"0000:00:02.0\", ATTR{sriov_numvfs}=\"7", 0, NULL, 0);
}

/* A temporary root tree. */
static char *root;

static int
setup(void **state)
{
	root = tree_new(NULL, "test_persist");
	*state = root;
	return root == NULL ? -1 : 0;
}

static int skips;
static char last_skip[256];

static void
count_skip(void *arg, const char *what, int err)
{
	(void)arg;
	(void)err;
	skips++;
	(void)snprintf(last_skip, sizeof(last_skip), "%s", what);
}

static void
load(struct persist *p)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	skips = 0;
	assert_int_equal(persist_load(fd, p, count_skip, NULL), 0);
	(void)close(fd);
}

static void
test_empty_root(void **state)
{
	struct persist p;

	(void)state;
	load(&p);
	assert_int_equal(p.n, 0);
	assert_null(persist_find(&p, "0000:00:02.0"));
	assert_int_equal(skips, 0);
	persist_free(&p);
}

static void
test_precedence(void **state)
{
	struct persist p;

	(void)state;
	tree_put(root, "etc/sysfs.conf",
		 "# comment\ndevices/pci0000:00/0000:00:02.0/sriov_numvfs = 7\n");
	tree_put(root, "usr/lib/tmpfiles.d/gpu.conf",
		 "w /sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs - - - - 1\n"
		 "w /sys/devices/pci0000:00/0000:03:00.0/sriov_numvfs - - - - 4\n");
	/* etc/ masks the same file name in usr/lib/. */
	tree_put(root, "etc/tmpfiles.d/gpu.conf",
		 "w /sys/devices/pci0000:00/0000:03:00.0/sriov_numvfs - - - - 5\n");
	/* First line for a path wins in tmpfiles. */
	tree_put(root, "etc/tmpfiles.d/zz.conf",
		 "w /sys/devices/pci0000:00/0000:03:00.0/sriov_numvfs - - - - 6\n");
	tree_put(root, "etc/udev/rules.d/70-a.rules",
		 "KERNEL==\"0000:04:00.0\", ATTR{sriov_numvfs}=\"2\"\n");
	/* A later udev assignment overrides an earlier one. */
	tree_put(root, "etc/udev/rules.d/80-b.rules",
		 "KERNEL==\"0000:04:00.0\", ATTR{sriov_numvfs}=\"3\"\n"
		 "KERNEL==\"0000:00:02.0\", ATTR{sriov_numvfs}=\"2\"\n");
	load(&p);
	assert_int_equal(p.n, 3);
	const struct persist_entry *e = persist_find(&p, "0000:00:02.0");
	assert_non_null(e);
	assert_int_equal(e->count, 7);
	assert_string_equal(e->source, "etc/sysfs.conf:2");
	e = persist_find(&p, "0000:03:00.0");
	assert_non_null(e);
	assert_int_equal(e->count, 5);
	assert_string_equal(e->source, "etc/tmpfiles.d/gpu.conf:1");
	e = persist_find(&p, "0000:04:00.0");
	assert_non_null(e);
	assert_int_equal(e->count, 3);
	assert_string_equal(e->source, "etc/udev/rules.d/80-b.rules:1");
	/* Sorted by address. */
	assert_string_equal(p.entries[0].bdf, "0000:00:02.0");
	assert_string_equal(p.entries[2].bdf, "0000:04:00.0");
	assert_int_equal(skips, 0);
	persist_free(&p);
}

static void
test_bad_input(void **state)
{
	struct persist p;
	char big[8192];

	(void)state;
	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	tree_put(root, "etc/sysfs.conf",
		 "devices/pci0000:00/0000:00:02.0/sriov_numvfs = lots\n"
		 "\x01\xff\xfe binary\n"
		 "devices/pci0000:00/0000:00:02.0/sriov_numvfs = 2\r\n");
	tree_put(root, "etc/tmpfiles.d/long.conf", big);
	tree_put(root, "etc/udev/rules.d/1.rules",
		 "ATTR{vendor}==\"0x8086\", ATTR{sriov_numvfs}=\"7\"\n");
	/* A directory named like a config file. */
	tree_put(root, "etc/tmpfiles.d/dir.conf/x", "");
	load(&p);
	assert_int_equal(p.n, 0);
	/* bad number, CR line, overlong line, udev without KERNEL, directory */
	assert_int_equal(skips, 5);
	persist_free(&p);
}

/* A NUL byte skips its own line only: the lines after it still count (strchr() line splitting
 * used to end the file at the NUL, silently). */
static void
test_nul_byte(void **state)
{
	static const char text[] = "# junk \0\xff here\n"
				   "devices/pci0000:00/0000:00:02.0/sriov_numvfs = 5\n";
	struct persist p;
	char path[512];

	(void)state;
	tree_put(root, "etc/sysfs.conf", "");
	xsnprintf(path, sizeof(path), "%s/etc/sysfs.conf", root);
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	assert_int_equal(close(fd), 0);
	load(&p);
	assert_int_equal(p.n, 1);
	const struct persist_entry *e = persist_find(&p, "0000:00:02.0");
	assert_non_null(e);
	assert_int_equal(e->count, 5);
	assert_string_equal(e->source, "etc/sysfs.conf:2");
	assert_int_equal(skips, 1);
	assert_string_equal(last_skip, "etc/sysfs.conf:1");
	persist_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysfsconf),
		cmocka_unit_test(test_tmpfiles),
		cmocka_unit_test(test_udev),
		cmocka_unit_test_setup_teardown(test_empty_root, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_precedence, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_nul_byte, setup, tree_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
