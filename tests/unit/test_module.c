/* The module collector on a private sysfs tree, with a fake clock (-Wl,--wrap=monotonic_ns): what
 * it reports for loaded, built-in and absent modules, and how its kept descriptors follow changes
 * between two scrapes: a value rewritten in place is seen by the next scrape, a file replaced by
 * rename, a module unloaded or loaded only once COLLECTOR_RECHECK_NS has passed (and not before).
 * Bad values are counted in every scrape, not only in the one that opened the file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collectors.h"
#include "testlib.h"

/* Writes text to rel through a new file renamed over it: a new inode, which a kept descriptor
 * does not see until its path is checked again. */
static void
replace(const char *root, const char *rel, const char *text)
{
	char tmp[512], from[512], to[512];

	xsnprintf(tmp, sizeof(tmp), "%s.new", rel);
	tree_put(root, tmp, text);
	xsnprintf(from, sizeof(from), "%s/%s", root, tmp);
	xsnprintf(to, sizeof(to), "%s/%s", root, rel);
	assert_int_equal(rename(from, to), 0);
}

static int
setup(void **state)
{
	char *sys = tree_new(NULL, "test_module");

	*state = sys;
	if (sys == NULL)
		return -1;
	return 0;
}

/* i915 loaded (the SR-IOV build), vfio_pci loaded, vfio_iommu_type1 built in, xe absent. */
static void
host(const char *sys)
{
	tree_put(sys, "module/i915/initstate", "live\n");
	tree_put(sys, "module/i915/taint", "OE\n");
	tree_put(sys, "module/i915/parameters/max_vfs", "7\n");
	tree_put(sys, "module/i915/parameters/enable_guc", "3\n");
	tree_put(sys, "module/vfio_pci/initstate", "live\n");
	tree_put(sys, "module/vfio_iommu_type1/parameters/dma_entry_limit", "65535\n");
}

#define LOADED(m, v) "gpu_sriov_module_loaded{module=\"" m "\"} " v
#define PARAM(m, p, v) "gpu_sriov_module_param{module=\"" m "\",param=\"" p "\"} " v
#define SKIPPED(v) "gpu_sriov_scrape_collector_skipped_values{collector=\"module\"} " v

static void
test_report(void **state)
{
	const char *sys = *state;
	struct testrun t;

	host(sys);
	assert_int_equal(testrun_start(&t, &module_collector, sys, NULL, NULL), 0);
	char *text = testrun_scrape_ok_at(&t, fake_now);
	text_assert_line(text, LOADED("i915", "1"));
	text_assert_line(text, LOADED("vfio_pci", "1"));
	text_assert_line(text, LOADED("vfio_iommu_type1", "1"));
	text_assert_line(text, LOADED("xe", "0"));
	text_assert_line(text, PARAM("i915", "max_vfs", "7"));
	text_assert_line(text, PARAM("i915", "enable_guc", "3"));
	text_assert_line(text, "gpu_sriov_module_sriov_capable{module=\"i915\"} 1");
	text_assert_line(text, "gpu_sriov_module_out_of_tree{module=\"i915\"} 1");
	text_assert_line(text, SKIPPED("0"));
	free(text);
	testrun_stop(&t);
}

/* Parameters change at run time (a root write to /sys/module/i915/parameters/...): rewritten in
 * place, the kept descriptor reads the new value in the very next scrape. */
static void
test_rewrite_seen_next_scrape(void **state)
{
	const char *sys = *state;
	struct testrun t;
	int64_t t0 = fake_now;

	host(sys);
	assert_int_equal(testrun_start(&t, &module_collector, sys, NULL, NULL), 0);
	free(testrun_scrape_ok_at(&t, t0));
	tree_put(sys, "module/i915/parameters/enable_guc", "0\n");
	tree_put(sys, "module/i915/taint", "E\n");
	char *text = testrun_scrape_ok_at(&t, t0);
	text_assert_line(text, PARAM("i915", "enable_guc", "0"));
	text_assert_line(text, "gpu_sriov_module_out_of_tree{module=\"i915\"} 0");
	free(text);
	testrun_stop(&t);
}

/* A file replaced by rename (what a fixture tree does; sysfs never does it): the old content until
 * the bound, the new one from then on. */
static void
test_replaced_seen_after_bound(void **state)
{
	const char *sys = *state;
	struct testrun t;
	int64_t t0 = fake_now;

	host(sys);
	assert_int_equal(testrun_start(&t, &module_collector, sys, NULL, NULL), 0);
	free(testrun_scrape_ok_at(&t, t0));
	replace(sys, "module/i915/parameters/max_vfs", "2\n");
	char *text = testrun_scrape_ok_at(&t, t0 + COLLECTOR_RECHECK_NS - 1);
	text_assert_line(text, PARAM("i915", "max_vfs", "7"));
	free(text);
	text = testrun_scrape_ok_at(&t, t0 + COLLECTOR_RECHECK_NS);
	text_assert_line(text, PARAM("i915", "max_vfs", "2"));
	free(text);
	testrun_stop(&t);
}

/* After a kernel update without the DKMS build: i915 unloaded, then the stock i915 (no max_vfs)
 * loaded, and xe appears. Each is seen once the bound has passed, not before. */
static void
test_unload_and_load(void **state)
{
	const char *sys = *state;
	struct testrun t;
	int64_t t0 = fake_now;

	host(sys);
	assert_int_equal(testrun_start(&t, &module_collector, sys, NULL, NULL), 0);
	free(testrun_scrape_ok_at(&t, t0));

	tree_rm(sys, "module/i915");
	char *text = testrun_scrape_ok_at(&t, t0 + 1);
	text_assert_line(text, LOADED("i915", "1"));
	free(text);
	text = testrun_scrape_ok_at(&t, t0 + COLLECTOR_RECHECK_NS);
	text_assert_line(text, LOADED("i915", "0"));
	text_assert_lacks(text, "param=");
	text_assert_lacks(text, "gpu_sriov_module_sriov_capable");
	free(text);

	tree_put(sys, "module/i915/initstate", "live\n");
	tree_put(sys, "module/i915/taint", "\n");
	tree_put(sys, "module/i915/parameters/enable_guc", "-1\n");
	tree_put(sys, "module/xe/initstate", "live\n");
	text = testrun_scrape_ok_at(&t, t0 + 2 * COLLECTOR_RECHECK_NS - 1);
	text_assert_line(text, LOADED("i915", "0"));
	text_assert_line(text, LOADED("xe", "0"));
	free(text);
	text = testrun_scrape_ok_at(&t, t0 + 2 * COLLECTOR_RECHECK_NS);
	text_assert_line(text, LOADED("i915", "1"));
	text_assert_line(text, LOADED("xe", "1"));
	text_assert_line(text, "gpu_sriov_module_sriov_capable{module=\"i915\"} 0");
	text_assert_line(text, "gpu_sriov_module_sriov_capable{module=\"xe\"} 0");
	text_assert_line(text, PARAM("i915", "enable_guc", "-1"));
	text_assert_line(text, "gpu_sriov_module_out_of_tree{module=\"i915\"} 0");
	text_assert_lacks(text, "param=\"max_vfs\"");
	free(text);
	testrun_stop(&t);
}

/* A module going (initstate "going") is reported as not loaded at once: the value is re-read
 * through the kept descriptor on every scrape. */
static void
test_initstate_read_every_scrape(void **state)
{
	const char *sys = *state;
	struct testrun t;

	host(sys);
	assert_int_equal(testrun_start(&t, &module_collector, sys, NULL, NULL), 0);
	free(testrun_scrape_ok_at(&t, fake_now));
	tree_put(sys, "module/vfio_pci/initstate", "going\n");
	char *text = testrun_scrape_ok_at(&t, fake_now);
	text_assert_line(text, LOADED("vfio_pci", "0"));
	free(text);
	testrun_stop(&t);
}

/* Unusable values are skipped and counted in every scrape, also those answered from a kept
 * descriptor or a remembered failed open. */
static void
test_skips_every_scrape(void **state)
{
	const char *sys = *state;
	struct testrun t;

	host(sys);
	tree_put(sys, "module/i915/parameters/enable_guc", "garbage\n");
	tree_rm(sys, "module/i915/taint");
	tree_put(sys, "module/i915/taint/x", "a directory where a file should be");
	assert_int_equal(testrun_start(&t, &module_collector, sys, NULL, NULL), 0);
	for (int i = 0; i < 3; i++) {
		char *text = testrun_scrape_ok_at(&t, fake_now + i);
		text_assert_line(text, SKIPPED("2"));
		text_assert_lacks(text, "param=\"enable_guc\"");
		text_assert_line(text, PARAM("i915", "max_vfs", "7"));
		free(text);
	}
	testrun_stop(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_report, setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_rewrite_seen_next_scrape, setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_replaced_seen_after_bound, setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_unload_and_load, setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_initstate_read_every_scrape, setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_skips_every_scrape, setup, tree_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
