/* Unit tests for device names in collectors/pcidb.c: read through the rootfs fd, answered the way
 * libpci's own lookup answers (compared with libpci entry by entry, on a generated file and on
 * this machine's pci.ids when there is one), kept once looked up, and never blocking or failing
 * on a file that is not a regular file. */
#include <errno.h>
#include <fcntl.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "pcidb.h"
#include "testlib.h"

#define IDS_REL "usr/share/misc/pci.ids"
#define SYSTEM_IDS "/usr/share/misc/pci.ids"

struct fx {
	char *path;
	int sys_fd;
	int root_fd;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char dir[512];

	if (f == NULL)
		return -1;
	f->sys_fd = f->root_fd = -1;
	f->path = tree_new(NULL, "test_pcidb");
	if (f->path == NULL)
		goto fail;
	(void)snprintf(dir, sizeof(dir), "%s/sys", f->path);
	if (mkdir(dir, 0755) < 0)
		goto fail;
	f->sys_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	(void)snprintf(dir, sizeof(dir), "%s/root", f->path);
	if (mkdir(dir, 0755) < 0)
		goto fail;
	f->root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->sys_fd < 0 || f->root_fd < 0)
		goto fail;
	*state = f;
	return 0;
fail:
	if (f->sys_fd >= 0)
		(void)close(f->sys_fd);
	if (f->root_fd >= 0)
		(void)close(f->root_fd);
	(void)tree_free(f->path);
	free(f);
	return -1;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f == NULL)
		return 0;
	(void)close(f->sys_fd);
	(void)close(f->root_fd);
	int r = tree_free(f->path);
	free(f);
	*state = NULL;
	return r;
}

static void
put_ids(const struct fx *f, const char *text)
{
	char root[512];

	xsnprintf(root, sizeof(root), "%s/root", f->path);
	tree_put(root, IDS_REL, text);
}

static void
ids_path(const struct fx *f, char *buf, size_t size)
{
	xsnprintf(buf, size, "%s/root/%s", f->path, IDS_REL);
}

static const char small_ids[] = "8086  Intel Corporation\n"
				"\t46d4  Alder Lake-N [Intel Graphics]\n"
				"\t56c0  ATS-M [Data Center GPU Flex 170]\n"
				"144d  Samsung Electronics Co Ltd\n"
				"\ta80a  NVMe SSD Controller PM9A1/PM9A3/980PRO\n";

static void
test_names(void **state)
{
	struct fx *f = *state;
	char name[160];

	put_ids(f, small_ids);
	struct pcidb *db = pcidb_open(f->sys_fd, f->root_fd);
	assert_non_null(db);
	pcidb_name(db, 0x8086, 0x46d4, name, sizeof(name));
	assert_string_equal(name, "Alder Lake-N [Intel Graphics]");
	pcidb_name(db, 0x144d, 0xa80a, name, sizeof(name));
	assert_string_equal(name, "NVMe SSD Controller PM9A1/PM9A3/980PRO");
	pcidb_name(db, 0x8086, 0x1234, name, sizeof(name));
	assert_string_equal(name, "");
	pcidb_name(db, 0x1234, 0x46d4, name, sizeof(name));
	assert_string_equal(name, "");
	/* IDs past 16 bits are nobody's, not their low half. */
	pcidb_name(db, 0x18086, 0x46d4, name, sizeof(name));
	assert_string_equal(name, "");
	pcidb_name(db, 0x8086, 0x146d4, name, sizeof(name));
	assert_string_equal(name, "");
	/* Cut to the caller's buffer; a zero-sized one is not written. */
	pcidb_name(db, 0x8086, 0x46d4, name, 6);
	assert_string_equal(name, "Alder");
	name[0] = 'x';
	pcidb_name(db, 0x8086, 0x46d4, name, 0);
	assert_int_equal(name[0], 'x');
	pcidb_close(db);
	pcidb_name(NULL, 0x8086, 0x46d4, name, sizeof(name));
	assert_string_equal(name, "");
}

/* Once looked up, found or not, a pair is not read again: the file may go or change (as libpci
 * kept its database once loaded); a pair not asked for yet is read from the file as it is now. */
static void
test_names_kept(void **state)
{
	struct fx *f = *state;
	char name[160], path[600];

	put_ids(f, small_ids);
	struct pcidb *db = pcidb_open(f->sys_fd, f->root_fd);
	assert_non_null(db);
	pcidb_name(db, 0x8086, 0x46d4, name, sizeof(name));
	assert_string_equal(name, "Alder Lake-N [Intel Graphics]");
	pcidb_name(db, 0x8086, 0x0bad, name, sizeof(name));
	assert_string_equal(name, "");
	put_ids(f, "8086  Intel\n\t46d4  Renamed\n\t0bad  Added later\n\t56c0  Renamed too\n");
	pcidb_name(db, 0x8086, 0x46d4, name, sizeof(name));
	assert_string_equal(name, "Alder Lake-N [Intel Graphics]");
	pcidb_name(db, 0x8086, 0x0bad, name, sizeof(name));
	assert_string_equal(name, "");
	pcidb_name(db, 0x8086, 0x56c0, name, sizeof(name));
	assert_string_equal(name, "Renamed too");
	ids_path(f, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	pcidb_name(db, 0x8086, 0x46d4, name, sizeof(name));
	assert_string_equal(name, "Alder Lake-N [Intel Graphics]");
	pcidb_name(db, 0x8086, 0x56c0, name, sizeof(name));
	assert_string_equal(name, "Renamed too");
	pcidb_close(db);
}

/* More distinct pairs than are kept: every answer stays right, old pairs are read again. */
static void
test_names_many_pairs(void **state)
{
	struct fx *f = *state;
	char name[160], want[64];
	size_t size = 64 + 200 * 32, len = 0;
	char *text = malloc(size);

	assert_non_null(text);
	len += (size_t)snprintf(text + len, size - len, "8086  Intel\n");
	for (unsigned i = 0; i < 200; i++)
		len += (size_t)snprintf(text + len, size - len, "\t%04x  Device %u\n", i, i);
	assert_true(len < size);
	put_ids(f, text);
	free(text);
	struct pcidb *db = pcidb_open(f->sys_fd, f->root_fd);
	assert_non_null(db);
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < 200; i += 1 + round) {
			pcidb_name(db, 0x8086, i, name, sizeof(name));
			xsnprintf(want, sizeof(want), "Device %u", i);
			assert_string_equal(name, want);
		}
	}
	pcidb_close(db);
}

/* No database, or something other than a file in its place: no names, no hang, no failure. */
static void
test_no_usable_file(void **state)
{
	struct fx *f = *state;
	char name[160], path[600];
	struct pcidb *db;

	db = pcidb_open(f->sys_fd, f->root_fd);
	assert_non_null(db);
	pcidb_name(db, 0x8086, 0x46d4, name, sizeof(name));
	assert_string_equal(name, "");
	pcidb_close(db);

	/* A FIFO with no writer: a blocking open or read would hang the scrape. */
	put_ids(f, "");
	ids_path(f, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	db = pcidb_open(f->sys_fd, f->root_fd);
	pcidb_name(db, 0x8086, 0x46d4, name, sizeof(name));
	assert_string_equal(name, "");
	pcidb_close(db);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(mkdir(path, 0755), 0);
	db = pcidb_open(f->sys_fd, f->root_fd);
	pcidb_name(db, 0x8086, 0x46d4, name, sizeof(name));
	assert_string_equal(name, "");
	pcidb_close(db);
	assert_int_equal(rmdir(path), 0);
}

/* A damaged line costs only what it damages (libpci refused the whole file). */
static void
test_damaged_file(void **state)
{
	struct fx *f = *state;
	char name[160];

	put_ids(f, "8086  Intel Corporation\n"
		   "\tzzzz  damaged\n"
		   "\t46d4  Alder Lake-N [Intel Graphics]\n"
		   "144d Samsung\x01\n"
		   "1a2b\n"
		   "\ta80a  under a damaged vendor line\n");
	struct pcidb *db = pcidb_open(f->sys_fd, f->root_fd);
	assert_non_null(db);
	pcidb_name(db, 0x8086, 0x46d4, name, sizeof(name));
	assert_string_equal(name, "Alder Lake-N [Intel Graphics]");
	pcidb_name(db, 0x1a2b, 0xa80a, name, sizeof(name));
	assert_string_equal(name, "");
	pcidb_close(db);
}

/* libpci's own answer for vendor:device, "" when it has none. */
static void
libpci_name(struct pci_access *pacc, unsigned vendor, unsigned device, char *buf, size_t size)
{
	char name[256];
	int flags = PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;
	const char *r = pci_lookup_name(pacc, name, sizeof(name), flags, (int)vendor, (int)device);
	xsnprintf(buf, size, "%s", r != NULL ? r : "");
}

static void __attribute__((noreturn, format(printf, 1, 2)))
libpci_error(char *msg, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, msg);
	(void)vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	fail_msg("libpci refused the file: %s", buf);
	abort();
}

static void __attribute__((format(printf, 1, 2)))
libpci_quiet(char *msg, ...)
{
	(void)msg;
}

struct pair {
	unsigned vendor, device;
};

/* Compares pcidb with libpci on every pair, both reading the file at path (below f's root). */
static void
compare_with_libpci(const struct fx *f, const char *path, const struct pair *pairs, size_t n)
{
	char ours[256], theirs[256];
	char *p = strdup(path);
	struct pci_access *pacc = pci_alloc();

	assert_non_null(p);
	assert_non_null(pacc);
	pacc->error = libpci_error;
	pacc->warning = libpci_quiet;
	pacc->debug = libpci_quiet;
	pci_set_name_list_path(pacc, p, 1);
	struct pcidb *db = pcidb_open(f->sys_fd, f->root_fd);
	assert_non_null(db);
	for (size_t i = 0; i < n; i++) {
		pcidb_name(db, pairs[i].vendor, pairs[i].device, ours, sizeof(ours));
		libpci_name(pacc, pairs[i].vendor, pairs[i].device, theirs, sizeof(theirs));
		if (strcmp(ours, theirs) != 0)
			fail_msg("%04x:%04x: pcidb \"%s\", libpci \"%s\"", pairs[i].vendor,
				 pairs[i].device, ours, theirs);
	}
	pcidb_close(db);
	pci_cleanup(pacc);
}

/* A file with every form libpci reads: comments, classes, generic subsystems, an unknown block,
 * subsystems, CRLF, trailing blanks, upper-case IDs, tab separators and a name too long for the
 * 256-byte buffer. */
static void
test_same_as_libpci(void **state)
{
	struct fx *f = *state;
	char path[600], long_line[400];
	static const struct pair pairs[] = {
		{0x8086, 0x46d4}, {0x8086, 0x56c0}, {0x8086, 0x0001}, {0x8086, 0x00ff},
		{0x8086, 0x1234}, {0x8086, 0xabcd}, {0x8086, 0x0002}, {0x8086, 0x5555},
		{0x144d, 0xa80a}, {0x144d, 0x46d4}, {0x10de, 0x2684}, {0x10de, 0x0003},
		{0x1af4, 0x1050}, {0x0300, 0x0000}, {0x0003, 0x0000}, {0x8086, 0x8086},
		{0xffff, 0xffff}, {0x0000, 0x0000}, {0x1ab8, 0x0001}, {0x1ab8, 0x46d4},
	};

	memset(long_line, 'L', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	size_t size = 4096;
	char *text = malloc(size);
	assert_non_null(text);
	int n = snprintf(text, size,
			 "# generated for test_pcidb\n"
			 "#\t46d4  a commented device\n"
			 "\n"
			 "0000  Zero vendor\n"
			 "\t0000  Zero device\n"
			 "8086  Intel Corporation\n"
			 "\t0001  One \n"
			 "\t0002\tTab separated\t\n"
			 "\t00FF  Upper-case ID\n"
			 "\t1234  Two trailing blanks  \n"
			 "\t46d4  Alder Lake-N [Intel Graphics]\n"
			 "\t\t1849 46d4  A subsystem\n"
			 "\t\t\t# deeper comment\n"
			 "\t56c0  ATS-M [Data Center GPU Flex 170]\r\n"
			 "\tabcd  %s\n"
			 "10de  NVIDIA Corporation\r\n"
			 "\t2684  AD102 [GeForce RTX 4090]\r\n"
			 "144d  Samsung Electronics Co Ltd\n"
			 "\ta80a  NVMe SSD Controller PM9A1/PM9A3/980PRO\n"
			 "1ab8  Parallels, Inc.\n"
			 "\t0001  Virtual Machine Bus\n"
			 "1af4  Red Hat, Inc.\n"
			 "\t1050  Virtio 1.0 GPU\n"
			 "ffff  Illegal Vendor ID\n"
			 "C 03  Display controller\n"
			 "\t00  VGA compatible controller\n"
			 "\t\t00  VGA controller\n"
			 "\t80  Display controller\n"
			 "S 8086\n"
			 "\t5555  generic subsystem entry\n"
			 "X future block\n"
			 "\t46d4  not a device\n",
			 long_line);
	assert_true(n > 0 && (size_t)n < size);
	put_ids(f, text);
	free(text);
	ids_path(f, path, sizeof(path));
	compare_with_libpci(f, path, pairs, sizeof(pairs) / sizeof(pairs[0]));
}

/* This machine's pci.ids (Debian's package), every 250th device and some that are not there. */
static void
test_same_as_libpci_system_file(void **state)
{
	struct fx *f = *state;
	char root[512], line[1100];
	struct pair *pairs = NULL;
	size_t n = 0, cap = 0, devices = 0;
	unsigned vendor = 0;
	bool in_vendor = false;

	FILE *in = fopen(SYSTEM_IDS, "re");
	if (in == NULL) {
		skip();
		return;
	}
	xsnprintf(root, sizeof(root), "%s/root", f->path);
	tree_link(root, IDS_REL, SYSTEM_IDS);
	while (fgets(line, sizeof(line), in) != NULL) {
		char *end = NULL;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (line[0] != '\t') {
			errno = 0;
			unsigned long v = strtoul(line, &end, 16);
			in_vendor = errno == 0 && end == line + 4 && line[1] != ' ';
			vendor = (unsigned)v;
			continue;
		}
		if (!in_vendor || line[1] == '\t' || devices++ % 250 != 0)
			continue;
		errno = 0;
		unsigned long d = strtoul(line + 1, &end, 16);
		if (errno != 0 || end != line + 5)
			continue;
		if (n + 2 > cap) {
			cap = cap == 0 ? 1024 : cap * 2;
			struct pair *grown = realloc(pairs, cap * sizeof(*pairs));
			assert_non_null(grown);
			pairs = grown;
		}
		pairs[n++] = (struct pair){vendor, (unsigned)d};
		pairs[n++] = (struct pair){vendor, (unsigned)d ^ 0x5a5a};
	}
	(void)fclose(in);
	assert_true(n > 50);
	compare_with_libpci(f, SYSTEM_IDS, pairs, n);
	free(pairs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_many_pairs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_usable_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_as_libpci, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_as_libpci_system_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
