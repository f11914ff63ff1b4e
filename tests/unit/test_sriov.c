/* What the sriov collector keeps between scrapes, on a tree built in a temporary directory:
 * the persistence config is re-read within 5 s (the clock is moved at link time, so nothing
 * sleeps), IOMMU group sizes as soon as a PCI function comes or goes, and the PF's attributes
 * (kept descriptors) on the next scrape when rewritten, within 5 s when the file is replaced, at
 * once when the PF itself is replaced. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "collectors.h"
#include "testlib.h"

int64_t __real_monotonic_ns(void);
int64_t __wrap_monotonic_ns(void);

static int64_t clock_offset;
static char *tmp;

int64_t
__wrap_monotonic_ns(void)
{
	return __real_monotonic_ns() + clock_offset;
}

#define ASSERT_LINE(text, line)                                                                    \
	do {                                                                                       \
		if (!text_has_line((text), (line)))                                                     \
			fail_msg("missing line: %s\n%s", (line), (text));                          \
	} while (0)

static char *
scrape(struct testrun *t)
{
	return testrun_scrape(t);
}

static int
setup(void **state)
{
	char p[600];

	tmp = tree_new(NULL, "test_sriov");
	if (tmp == NULL)
		return -1;
	xsnprintf(p, sizeof(p), "%s/sys", tmp);
	if (mkdir(p, 0755) < 0)
		return -1;
	tree_gpu(p, "0000:00:02.0", "i915");
	tree_put(p, "devices/pci0000:00/0000:00:02.0/sriov_totalvfs", "7\n");
	tree_link(p, "devices/pci0000:00/0000:00:02.0/iommu_group", "../../../kernel/iommu_groups/0");
	tree_link(p, "kernel/iommu_groups/0/devices/0000:00:02.0",
		  "../../../../devices/pci0000:00/0000:00:02.0");
	xsnprintf(p, sizeof(p), "%s/root", tmp);
	if (mkdir(p, 0755) < 0)
		return -1;
	tree_put(p, "etc/sysfs.conf", "devices/pci0000:00/0000:00:02.0/sriov_numvfs = 7\n");
	*state = tmp;
	return 0;
}

static void
test_persist_within_bound(void **state)
{
	struct testrun t;
	char sys[600], root[600];

	(void)state;
	xsnprintf(sys, sizeof(sys), "%s/sys", tmp);
	xsnprintf(root, sizeof(root), "%s/root", tmp);
	assert_int_equal(testrun_start(&t, &sriov_collector, sys, NULL, root), 0);
	char *text = scrape(&t);
	ASSERT_LINE(text, "gpu_sriov_vfs_expected{pci_address=\"0000:00:02.0\"} 7");
	free(text);
	tree_put(root, "etc/sysfs.conf", "devices/pci0000:00/0000:00:02.0/sriov_numvfs = 3\n");
	clock_offset += 4LL * 1000000000LL;
	text = scrape(&t);
	/* Within the 5 s bound the kept config may still answer ... */
	ASSERT_LINE(text, "gpu_sriov_vfs_expected{pci_address=\"0000:00:02.0\"} 7");
	free(text);
	clock_offset += 1LL * 1000000000LL;
	text = scrape(&t);
	/* ... at 5 s it must not. */
	ASSERT_LINE(text, "gpu_sriov_vfs_expected{pci_address=\"0000:00:02.0\"} 3");
	free(text);
	/* A bad line is reported on every scrape, not only when the file is read. */
	tree_put(root, "etc/sysfs.conf", "devices/pci0000:00/0000:00:02.0/sriov_numvfs = x\n");
	clock_offset += 5LL * 1000000000LL;
	for (int i = 0; i < 2; i++) {
		text = scrape(&t);
		ASSERT_LINE(text, "gpu_sriov_scrape_collector_skipped_values{collector=\"sriov\"} 1");
		free(text);
	}
	testrun_stop(&t);
}

static void
test_group_size_follows_pci(void **state)
{
	struct testrun t;
	char sys[600];

	(void)state;
	xsnprintf(sys, sizeof(sys), "%s/sys", tmp);
	assert_int_equal(testrun_start(&t, &sriov_collector, sys, NULL, NULL), 0);
	char *text = scrape(&t);
	ASSERT_LINE(text, "gpu_sriov_device_iommu_group_size{pci_address=\"0000:00:02.0\"} 1");
	free(text);
	/* A new PCI function joins the PF's group (an audio function, say): seen next scrape. */
	tree_put(sys, "devices/pci0000:00/0000:00:1f.3/class", "0x040300\n");
	tree_link(sys, "bus/pci/devices/0000:00:1f.3", "../../../devices/pci0000:00/0000:00:1f.3");
	tree_link(sys, "kernel/iommu_groups/0/devices/0000:00:1f.3",
		  "../../../../devices/pci0000:00/0000:00:1f.3");
	text = scrape(&t);
	ASSERT_LINE(text, "gpu_sriov_device_iommu_group_size{pci_address=\"0000:00:02.0\"} 2");
	free(text);
	/* And leaves it. */
	tree_rm(sys, "bus/pci/devices/0000:00:1f.3");
	tree_rm(sys, "kernel/iommu_groups/0/devices/0000:00:1f.3");
	text = scrape(&t);
	ASSERT_LINE(text, "gpu_sriov_device_iommu_group_size{pci_address=\"0000:00:02.0\"} 1");
	free(text);
	testrun_stop(&t);
}

static void
put_replacing(const char *root, const char *rel, const char *text)
{
	char tmp_rel[600], from[1200], to[1200];

	xsnprintf(tmp_rel, sizeof(tmp_rel), "%s.new", rel);
	tree_put(root, tmp_rel, text);
	xsnprintf(from, sizeof(from), "%s/%s", root, tmp_rel);
	xsnprintf(to, sizeof(to), "%s/%s", root, rel);
	assert_int_equal(rename(from, to), 0);
}

#define PF_DIR "devices/pci0000:00/0000:00:02.0/"
#define SUPPORTED(n) "gpu_sriov_vfs_supported{pci_address=\"0000:00:02.0\"} " #n
#define AUTOPROBE(n) "gpu_sriov_vfs_drivers_autoprobe{pci_address=\"0000:00:02.0\"} " #n

static void
test_pf_attributes_follow(void **state)
{
	struct testrun t;
	char sys[600], link[700], from[1200], to[1200];

	(void)state;
	xsnprintf(sys, sizeof(sys), "%s/sys", tmp);
	tree_put(sys, PF_DIR "sriov_drivers_autoprobe", "1\n");
	assert_int_equal(testrun_start(&t, &sriov_collector, sys, NULL, NULL), 0);
	char *text = scrape(&t);
	ASSERT_LINE(text, SUPPORTED(7));
	ASSERT_LINE(text, AUTOPROBE(1));
	free(text);
	/* Rewritten in place, as sysfs values change: the next scrape reads the new values. */
	tree_put(sys, PF_DIR "sriov_totalvfs", "3\n");
	tree_put(sys, PF_DIR "sriov_drivers_autoprobe", "0\n");
	text = scrape(&t);
	ASSERT_LINE(text, SUPPORTED(3));
	ASSERT_LINE(text, AUTOPROBE(0));
	free(text);
	/* A file replaced (not something sysfs does; fixtures and copies can): within 5 s the kept
	 * descriptor may still answer, at 5 s it must not. */
	put_replacing(sys, PF_DIR "sriov_totalvfs", "5\n");
	clock_offset += 4LL * 1000000000LL;
	text = scrape(&t);
	ASSERT_LINE(text, SUPPORTED(3));
	free(text);
	clock_offset += 1LL * 1000000000LL;
	text = scrape(&t);
	ASSERT_LINE(text, SUPPORTED(5));
	free(text);
	/* The PF removed and added again (a new bus/pci/devices entry, made before the old one
	 * goes so it cannot reuse its inode) with other values: the next scrape reads them. */
	put_replacing(sys, PF_DIR "sriov_totalvfs", "2\n");
	xsnprintf(link, sizeof(link), "bus/pci/devices/0000:00:02.0.new");
	tree_link(sys, link, "../../../devices/pci0000:00/0000:00:02.0");
	xsnprintf(from, sizeof(from), "%s/%s", sys, link);
	xsnprintf(to, sizeof(to), "%s/bus/pci/devices/0000:00:02.0", sys);
	assert_int_equal(rename(from, to), 0);
	text = scrape(&t);
	ASSERT_LINE(text, SUPPORTED(2));
	free(text);
	testrun_stop(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_persist_within_bound, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_group_size_follows_pci, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_pf_attributes_follow, setup, tree_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
