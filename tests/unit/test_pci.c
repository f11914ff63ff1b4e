/* GPU PCI discovery on the generated fixtures (PF/VF roles, VF numbers from virtfn links,
 * drivers, IOMMU groups, NICs left out) and on a broken tree built in a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "pci.h"
#include "registry.h"

/* pci_list_gpus needs a collector (for collector_skip): run it inside a one-collector registry. */
static struct pci_list result;
static int list_rc;

static int
probe_collect(struct collector *c, struct expo *out)
{
	(void)out;
	list_rc = pci_list_gpus(c, collector_roots(c)->sys, &result);
	return 0;
}

static const struct collector_ops probe = {"probe", "p", true, NULL, probe_collect, NULL};
static const struct collector_ops *const table[] = {&probe};
static const bool on[] = {true};

/* Lists the GPUs of the sysfs tree at path; returns how many values were skipped. */
static int
list_at(const char *path)
{
	struct roots roots = {-1, -1, -1};
	struct expo *e = expo_new();
	struct buf b = BUF_INIT;

	roots.sys = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(roots.sys >= 0);
	struct registry *r = registry_new(table, 1, on, &roots, NULL);
	(void)registry_collect(r, e, INT64_MAX);
	expo_render(e, EXPO_FORMAT_TEXT, &b);
	const char *k = "gpu_sriov_scrape_collector_skipped_values{collector=\"probe\"} ";
	const char *p = strstr(b.data, k);
	assert_non_null(p);
	int skipped = (int)(p[strlen(k)] - '0');
	buf_free(&b);
	expo_free(e);
	registry_free(r);
	(void)close(roots.sys);
	return skipped;
}

static const char *
fixture(const char *scenario)
{
	static char path[512];
	const char *base = getenv("EXPORTER_TEST_DATA");

	(void)snprintf(path, sizeof(path), "%s/%s/sys", base != NULL ? base : TEST_DATA_DIR,
		       scenario);
	return path;
}

static void
test_n150(void **state)
{
	(void)state;
	assert_int_equal(list_at(fixture("host_n150")), 0);
	assert_int_equal(list_rc, 0);
	assert_int_equal(result.n, 8); /* PF + 7 VFs; host bridge, USB, NVMe are no GPUs */
	const struct pci_fn *pf = pci_find(&result, "0000:00:02.0");
	assert_non_null(pf);
	assert_int_equal(pf->role, PCI_ROLE_PF);
	assert_string_equal(pf->driver, "i915");
	assert_int_equal(pf->vendor, 0x8086);
	assert_int_equal(pf->device, 0x46d4);
	assert_int_equal(pf->class_code, 0x030000);
	assert_int_equal(pf->iommu_group, 0);
	for (unsigned i = 1; i <= 7; i++) {
		char bdf[PARSE_BDF_SIZE];
		(void)snprintf(bdf, sizeof(bdf), "0000:00:02.%u", i);
		const struct pci_fn *vf = pci_find(&result, bdf);
		assert_non_null(vf);
		assert_int_equal(vf->role, PCI_ROLE_VF);
		assert_string_equal(vf->pf, "0000:00:02.0");
		assert_int_equal(vf->vf_number, i);
		assert_int_equal(vf->iommu_group, i);
		assert_string_equal(vf->driver, i <= 2 ? "vfio-pci" : "i915");
	}
	assert_null(pci_find(&result, "0000:00:14.0"));
	pci_list_free(&result);
}

static void
test_xe_unbound_vf(void **state)
{
	(void)state;
	assert_int_equal(list_at(fixture("host_xe")), 0);
	assert_int_equal(result.n, 3);
	assert_string_equal(pci_find(&result, "0000:00:02.0")->driver, "xe");
	assert_string_equal(pci_find(&result, "0000:00:02.2")->driver, "");
	pci_list_free(&result);
}

static void
test_nic_is_not_a_gpu(void **state)
{
	(void)state;
	assert_int_equal(list_at(fixture("no_gpu_no_iommu")), 0);
	assert_int_equal(result.n, 0);
	pci_list_free(&result);
}

static void
test_count_vfs(void **state)
{
	(void)state;
	int fd = open(fixture("host_n150"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pci_count_vfs(fd, "0000:00:02.0"), 7);
	assert_int_equal(pci_count_vfs(fd, "0000:00:02.1"), 0);
	assert_int_equal(pci_count_vfs(fd, "0000:09:00.0"), -ENOENT);
	(void)close(fd);
}

/* A broken tree in a temporary directory. */
static char tmpl[] = "/tmp/test_pci.XXXXXX";
static char *tmp;

static void
put(const char *rel, const char *text)
{
	char path[512];

	(void)snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	for (char *p = path + strlen(tmp) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		(void)mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	(void)fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void
ln(const char *rel, const char *target)
{
	char path[512];

	(void)snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	memcpy(tmpl + strlen(tmpl) - 6, "XXXXXX", 6);
	tmp = mkdtemp(tmpl);
	return tmp == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
gpu(const char *bdf)
{
	char rel[128], target[128];

	(void)snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/class", bdf);
	put(rel, "0x030000\n");
	(void)snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/vendor", bdf);
	put(rel, "0x8086\n");
	(void)snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/device", bdf);
	put(rel, "0x46d4\n");
	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	(void)snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	ln(rel, target);
}

static void
test_broken_tree(void **state)
{
	(void)state;
	put("bus/pci/devices/README", "not a device\n");
	gpu("0000:00:02.0");
	put("devices/pci0000:00/0000:00:02.0/sriov_totalvfs", "7\n");
	gpu("0000:00:02.1");
	gpu("0000:00:02.2");
	gpu("0000:00:02.3");
	/* virtfn0 fine, virtfn1 points at garbage, virtfnX has no number. */
	ln("devices/pci0000:00/0000:00:02.0/virtfn0", "../0000:00:02.1");
	ln("devices/pci0000:00/0000:00:02.0/virtfn1", "../not-a-device");
	ln("devices/pci0000:00/0000:00:02.0/virtfnX", "../0000:00:02.2");
	ln("devices/pci0000:00/0000:00:02.1/physfn", "../0000:00:02.0");
	/* 02.2 claims a PF that does not list it: a VF without a number. */
	ln("devices/pci0000:00/0000:00:02.2/physfn", "../0000:00:02.0");
	/* 02.3: physfn is garbage, class is fine. */
	ln("devices/pci0000:00/0000:00:02.3/physfn", "../garbage");
	/* A directory where the class file should be, and a stray entry. */
	put("devices/pci0000:00/0000:00:03.0/class/oops", "");
	ln("bus/pci/devices/0000:00:03.0", "../../../devices/pci0000:00/0000:00:03.0");
	/* A dangling device link. */
	ln("bus/pci/devices/0000:00:04.0", "../../../devices/pci0000:00/0000:00:04.0");

	int skipped = list_at(tmp);
	assert_int_equal(list_rc, 0);
	assert_int_equal(result.n, 4);
	assert_int_equal(pci_find(&result, "0000:00:02.1")->vf_number, 1);
	assert_int_equal(pci_find(&result, "0000:00:02.2")->role, PCI_ROLE_VF);
	assert_int_equal(pci_find(&result, "0000:00:02.2")->vf_number, 0);
	assert_int_equal(pci_find(&result, "0000:00:02.3")->role, PCI_ROLE_NONE);
	/* README, 03.0's class, 04.0 dangling, 02.3's physfn, virtfn1, virtfnX */
	assert_int_equal(skipped, 6);
	pci_list_free(&result);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_n150),
		cmocka_unit_test(test_xe_unbound_vf),
		cmocka_unit_test(test_nic_is_not_a_gpu),
		cmocka_unit_test(test_count_vfs),
		cmocka_unit_test_setup_teardown(test_broken_tree, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
