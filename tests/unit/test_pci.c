/* GPU PCI discovery on the generated fixtures (PF/VF roles, VF numbers from virtfn links,
 * drivers, IOMMU groups, NICs left out) and on a broken tree built in a temporary directory. */
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

#include "pci.h"
#include "testlib.h"

int64_t __real_monotonic_ns(void);
int64_t __wrap_monotonic_ns(void);

/* The scan's clock, moved forward by tests of the bound on remembered facts. */
static int64_t clock_offset;

int64_t
__wrap_monotonic_ns(void)
{
	return __real_monotonic_ns() + clock_offset;
}

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

/* Lists the GPUs of the sysfs tree at path; returns how many values were skipped. */
static int
list_at(const char *path)
{
	struct testrun t;

	assert_int_equal(testrun_start(&t, &probe, path, NULL, NULL), 0);
	char *text = testrun_scrape(&t);
	const char *k = "gpu_sriov_scrape_collector_skipped_values{collector=\"probe\"} ";
	const char *p = strstr(text, k);
	assert_non_null(p);
	int skipped = (int)(p[strlen(k)] - '0');
	free(text);
	testrun_stop(&t);
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
static char *tmp;

static int
setup(void **state)
{
	tmp = tree_new(NULL, "test_pci");
	*state = tmp;
	return tmp == NULL ? -1 : 0;
}

static void
test_broken_tree(void **state)
{
	(void)state;
	tree_put(tmp, "bus/pci/devices/README", "not a device\n");
	tree_gpu(tmp, "0000:00:02.0", NULL);
	tree_put(tmp, "devices/pci0000:00/0000:00:02.0/sriov_totalvfs", "7\n");
	tree_gpu(tmp, "0000:00:02.1", NULL);
	tree_gpu(tmp, "0000:00:02.2", NULL);
	tree_gpu(tmp, "0000:00:02.3", NULL);
	/* virtfn0 fine, virtfn1 points at garbage, virtfnX has no number. */
	tree_link(tmp, "devices/pci0000:00/0000:00:02.0/virtfn0", "../0000:00:02.1");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.0/virtfn1", "../not-a-device");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.0/virtfnX", "../0000:00:02.2");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.1/physfn", "../0000:00:02.0");
	/* 02.2 claims a PF that does not list it: a VF without a number. */
	tree_link(tmp, "devices/pci0000:00/0000:00:02.2/physfn", "../0000:00:02.0");
	/* 02.3: physfn is garbage, class is fine. */
	tree_link(tmp, "devices/pci0000:00/0000:00:02.3/physfn", "../garbage");
	/* A directory where the class file should be, and a stray entry. */
	tree_put(tmp, "devices/pci0000:00/0000:00:03.0/class/oops", "");
	tree_link(tmp, "bus/pci/devices/0000:00:03.0", "../../../devices/pci0000:00/0000:00:03.0");
	/* A dangling device link. */
	tree_link(tmp, "bus/pci/devices/0000:00:04.0", "../../../devices/pci0000:00/0000:00:04.0");

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

/* The scan remembers fixed facts between calls: what changes must still be seen. The bound driver
 * at once; a device removed, or removed and added again (a new directory entry), at once; a
 * fixed fact changed in place under the same entry (which sysfs never does) within 60 s. */
static void
test_changes_between_scans(void **state)
{
	(void)state;
	tree_gpu(tmp, "0000:00:02.0", "i915");
	tree_put(tmp, "devices/pci0000:00/0000:00:02.0/sriov_totalvfs", "7\n");
	tree_gpu(tmp, "0000:00:02.1", "i915");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.0/virtfn0", "../0000:00:02.1");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.1/physfn", "../0000:00:02.0");
	assert_int_equal(list_at(tmp), 0);
	assert_int_equal(result.n, 2);
	assert_string_equal(pci_find(&result, "0000:00:02.1")->driver, "i915");
	assert_int_equal(pci_find(&result, "0000:00:02.1")->vf_number, 1);
	pci_list_free(&result);

	/* Handed to vfio-pci: seen in the next scan. */
	tree_link(tmp, "devices/pci0000:00/0000:00:02.1/driver", "../../../bus/pci/drivers/vfio-pci");
	assert_int_equal(list_at(tmp), 0);
	assert_string_equal(pci_find(&result, "0000:00:02.1")->driver, "vfio-pci");
	pci_list_free(&result);

	/* VFs disabled: gone in the next scan. */
	tree_rm(tmp, "bus/pci/devices/0000:00:02.1");
	tree_rm(tmp, "devices/pci0000:00/0000:00:02.1");
	tree_rm(tmp, "devices/pci0000:00/0000:00:02.0/virtfn0");
	assert_int_equal(list_at(tmp), 0);
	assert_int_equal(result.n, 1);
	assert_null(pci_find(&result, "0000:00:02.1"));
	pci_list_free(&result);

	/* Enabled again: a new entry, read afresh (new IOMMU group, VF number from virtfn1). */
	tree_gpu(tmp, "0000:00:02.1", "i915");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.1/physfn", "../0000:00:02.0");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.1/iommu_group", "../../../kernel/iommu_groups/9");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.0/virtfn1", "../0000:00:02.1");
	assert_int_equal(list_at(tmp), 0);
	const struct pci_fn *vf = pci_find(&result, "0000:00:02.1");
	assert_non_null(vf);
	assert_int_equal(vf->iommu_group, 9);
	assert_int_equal(vf->vf_number, 2);
	pci_list_free(&result);

	/* Removed and added again between two scans (sriov_numvfs 0, then 1): the entry is new, so
	 * its facts are read again. The new link is renamed over the old one, so its inode cannot
	 * be the old one's, reused. */
	char from[600], to[600];
	tree_link(tmp, "devices/pci0000:00/0000:00:02.1/iommu_group", "../../../kernel/iommu_groups/11");
	tree_link(tmp, "bus/pci/devices/new", "../../../devices/pci0000:00/0000:00:02.1");
	xsnprintf(from, sizeof(from), "%s/bus/pci/devices/new", tmp);
	xsnprintf(to, sizeof(to), "%s/bus/pci/devices/0000:00:02.1", tmp);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(list_at(tmp), 0);
	assert_int_equal(pci_find(&result, "0000:00:02.1")->iommu_group, 11);
	pci_list_free(&result);

	/* Rewritten in place under the same entry: remembered for up to 60 s, then read again. */
	tree_put(tmp, "devices/pci0000:00/0000:00:02.0/device", "0x56c0\n");
	assert_int_equal(list_at(tmp), 0);
	assert_int_equal(pci_find(&result, "0000:00:02.0")->device, 0x46d4);
	pci_list_free(&result);
	clock_offset += 61LL * 1000000000LL;
	assert_int_equal(list_at(tmp), 0);
	assert_int_equal(pci_find(&result, "0000:00:02.0")->device, 0x56c0);
	pci_list_free(&result);
}

/* A value that could not be read is not remembered: it is tried again, and counted, each scan. */
static void
test_failures_not_remembered(void **state)
{
	(void)state;
	tree_gpu(tmp, "0000:00:02.0", "i915");
	tree_rm(tmp, "devices/pci0000:00/0000:00:02.0/vendor");
	tree_put(tmp, "devices/pci0000:00/0000:00:02.0/vendor/oops", "");
	assert_int_equal(list_at(tmp), 1);
	assert_int_equal(pci_find(&result, "0000:00:02.0")->vendor, 0);
	pci_list_free(&result);
	assert_int_equal(list_at(tmp), 1);
	pci_list_free(&result);
	tree_rm(tmp, "devices/pci0000:00/0000:00:02.0/vendor");
	tree_put(tmp, "devices/pci0000:00/0000:00:02.0/vendor", "0x8086\n");
	assert_int_equal(list_at(tmp), 0);
	assert_int_equal(pci_find(&result, "0000:00:02.0")->vendor, 0x8086);
	pci_list_free(&result);
}

/* Links that loop: the walk must not hang, and a driver link pointing at itself names no driver
 * (its text is "driver"), while a dangling one still names the driver it points at. */
static void
test_link_loops(void **state)
{
	(void)state;
	tree_gpu(tmp, "0000:00:02.0", NULL);
	tree_put(tmp, "devices/pci0000:00/0000:00:02.0/sriov_totalvfs", "7\n");
	tree_gpu(tmp, "0000:00:02.1", NULL);
	tree_gpu(tmp, "0000:00:02.2", "gone");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.0/driver", "driver");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.1/iommu_group", "iommu_group");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.1/physfn", "physfn");
	/* A device entry that is a loop itself. */
	tree_link(tmp, "bus/pci/devices/0000:00:05.0", "0000:00:05.0");

	int skipped = list_at(tmp);
	assert_int_equal(list_rc, 0);
	assert_int_equal(result.n, 3);
	const struct pci_fn *pf = pci_find(&result, "0000:00:02.0");
	assert_int_equal(pf->role, PCI_ROLE_PF);
	assert_string_equal(pf->driver, "");
	const struct pci_fn *fn = pci_find(&result, "0000:00:02.1");
	assert_int_equal(fn->iommu_group, -1);
	assert_int_equal(fn->role, PCI_ROLE_NONE);
	assert_string_equal(pci_find(&result, "0000:00:02.2")->driver, "gone");
	/* 02.0's driver, 02.1's iommu_group and physfn, 05.0 */
	assert_int_equal(skipped, 4);
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
		cmocka_unit_test_setup_teardown(test_broken_tree, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_link_loops, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_changes_between_scans, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_failures_not_remembered, setup, tree_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
