/* The iommu collector on a private sysfs tree, with a fake clock (-Wl,--wrap=monotonic_ns): groups
 * that appear, vanish or are replaced are seen by the next scrape; a changed default domain type
 * and new IOMMU units only once COLLECTOR_RECHECK_NS has passed (not before); a group caught while
 * it has no device yet, and unusable entries, are read again by every scrape and counted in each. */
#include <errno.h>
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

#include "collectors.h"
#include "testlib.h"

/* Group n of the tree at sys with one device (a relative link, as sysfs has) and type (NULL: no
 * type file, as before Linux 5.11). */
static void
group(const char *sys, const char *n, const char *bdf, const char *type)
{
	char rel[256], target[256];

	if (bdf != NULL) {
		xsnprintf(rel, sizeof(rel), "kernel/iommu_groups/%s/devices/%s", n, bdf);
		xsnprintf(target, sizeof(target), "../../../../devices/pci0000:00/%s", bdf);
		tree_link(sys, rel, target);
	} else {
		/* an empty devices directory (dot entries are not devices) */
		xsnprintf(rel, sizeof(rel), "kernel/iommu_groups/%s/devices/.keep", n);
		tree_put(sys, rel, "");
	}
	if (type != NULL) {
		xsnprintf(rel, sizeof(rel), "kernel/iommu_groups/%s/type", n);
		tree_put(sys, rel, type);
	}
}

static int
setup(void **state)
{
	char *sys = tree_new(NULL, "test_iommu");

	*state = sys;
	if (sys == NULL)
		return -1;
	tree_link(sys, "class/iommu/dmar0", "../../devices/virtual/iommu/dmar0");
	tree_link(sys, "class/iommu/dmar1", "../../devices/virtual/iommu/dmar1");
	group(sys, "0", "0000:00:00.0", "DMA-FQ\n");
	group(sys, "1", "0000:00:02.0", "DMA-FQ\n");
	return 0;
}

#define GROUPS(v) "gpu_sriov_iommu_groups " v
#define UNITS(v) "gpu_sriov_iommu_units " v
#define TYPE(v) "gpu_sriov_iommu_default_domain_info{type=\"" v "\"} 1"
#define SKIPPED(v) "gpu_sriov_scrape_collector_skipped_values{collector=\"iommu\"} " v

/* VFs created and destroyed: their groups come and go, seen by the next scrape; a group replaced
 * by another of the same number (new directory entry) is read again at once. */
static void
test_groups_seen_next_scrape(void **state)
{
	const char *sys = *state;
	struct testrun t;
	int64_t t0 = fake_now;
	char from[512], to[512];

	assert_int_equal(testrun_start(&t, &iommu_collector, sys, NULL, NULL), 0);
	char *text = testrun_scrape_ok_at(&t, t0);
	text_assert_line(text, "gpu_sriov_iommu_enabled 1");
	text_assert_line(text, UNITS("2"));
	text_assert_line(text, GROUPS("2"));
	text_assert_line(text, TYPE("DMA-FQ"));
	text_assert_line(text, SKIPPED("0"));
	free(text);

	group(sys, "2", "0000:00:02.1", "identity\n");
	group(sys, "3", "0000:00:02.2", "DMA-FQ\n");
	text = testrun_scrape_ok_at(&t, t0 + 1);
	text_assert_line(text, GROUPS("4"));
	text_assert_line(text, TYPE("identity"));
	free(text);

	tree_rm(sys, "kernel/iommu_groups/2");
	text = testrun_scrape_ok_at(&t, t0 + 2);
	text_assert_line(text, GROUPS("3"));
	text_assert_lacks(text, TYPE("identity"));
	free(text);

	group(sys, "3.new", "0000:00:02.2", "DMA\n");
	tree_rm(sys, "kernel/iommu_groups/3");
	xsnprintf(from, sizeof(from), "%s/kernel/iommu_groups/3.new", sys);
	xsnprintf(to, sizeof(to), "%s/kernel/iommu_groups/3", sys);
	assert_int_equal(rename(from, to), 0);
	text = testrun_scrape_ok_at(&t, t0 + 3);
	text_assert_line(text, GROUPS("3"));
	text_assert_line(text, TYPE("DMA"));
	free(text);
	testrun_stop(&t);
}

/* The default domain type changed through sysfs, a device added to an existing group and an IOMMU
 * unit appearing (fixed at boot on real systems): seen once the bound has passed, not before. */
static void
test_type_and_units_after_bound(void **state)
{
	const char *sys = *state;
	struct testrun t;
	int64_t t0 = fake_now;

	assert_int_equal(testrun_start(&t, &iommu_collector, sys, NULL, NULL), 0);
	free(testrun_scrape_ok_at(&t, t0));
	tree_put(sys, "kernel/iommu_groups/1/type", "identity\n");
	tree_link(sys, "class/iommu/dmar2", "../../devices/virtual/iommu/dmar2");
	char *text = testrun_scrape_ok_at(&t, t0 + COLLECTOR_RECHECK_NS - 1);
	text_assert_lacks(text, TYPE("identity"));
	text_assert_line(text, UNITS("2"));
	free(text);
	text = testrun_scrape_ok_at(&t, t0 + COLLECTOR_RECHECK_NS);
	text_assert_line(text, TYPE("identity"));
	text_assert_line(text, TYPE("DMA-FQ"));
	text_assert_line(text, UNITS("3"));
	free(text);
	testrun_stop(&t);
}

/* A group caught while the kernel sets it up (no device linked yet) does not make the IOMMU look
 * unused for the bound: it is read again by the next scrape. */
static void
test_empty_group_read_again(void **state)
{
	const char *sys = *state;
	struct testrun t;

	tree_rm(sys, "kernel/iommu_groups/0");
	tree_rm(sys, "kernel/iommu_groups/1");
	group(sys, "7", NULL, NULL);
	assert_int_equal(testrun_start(&t, &iommu_collector, sys, NULL, NULL), 0);
	char *text = testrun_scrape_ok_at(&t, fake_now);
	text_assert_line(text, "gpu_sriov_iommu_enabled 0");
	text_assert_line(text, GROUPS("1"));
	free(text);
	group(sys, "7", "0000:00:02.1", "DMA\n");
	text = testrun_scrape_ok_at(&t, fake_now + 1);
	text_assert_line(text, "gpu_sriov_iommu_enabled 1");
	text_assert_line(text, TYPE("DMA"));
	free(text);
	testrun_stop(&t);
}

/* A FIFO as type and a group that is a link to itself: skipped, counted and not left out of any
 * later scrape's count; no groups directory at all is an IOMMU that is off. */
static void
test_unusable_every_scrape(void **state)
{
	const char *sys = *state;
	struct testrun t;
	char path[512];

	xsnprintf(path, sizeof(path), "%s/kernel/iommu_groups/1/type", sys);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	tree_link(sys, "kernel/iommu_groups/5", "5");
	assert_int_equal(testrun_start(&t, &iommu_collector, sys, NULL, NULL), 0);
	for (int i = 0; i < 3; i++) {
		char *text = testrun_scrape_ok_at(&t, fake_now + i);
		text_assert_line(text, SKIPPED("2"));
		text_assert_line(text, GROUPS("2"));
		free(text);
	}
	tree_rm(sys, "kernel/iommu_groups");
	tree_rm(sys, "class/iommu");
	char *text = testrun_scrape_ok_at(&t, fake_now + COLLECTOR_RECHECK_NS);
	text_assert_line(text, "gpu_sriov_iommu_enabled 0");
	text_assert_line(text, GROUPS("0"));
	text_assert_line(text, UNITS("0"));
	text_assert_line(text, SKIPPED("0"));
	free(text);
	testrun_stop(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_groups_seen_next_scrape, setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_type_and_units_after_bound, setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_empty_group_read_again, setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_unusable_every_scrape, setup, tree_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
