/* The kernel collector on private trees, with a fake clock (-Wl,--wrap=monotonic_ns): the running
 * release and the command line are read once and kept (they cannot change while the system
 * runs), but only once they could be read; installed kernels and boot pins are looked at again
 * once COLLECTOR_RECHECK_NS has passed, not before; skipped values count in every scrape. */
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

struct env {
	char *top;
	char proc[512];
	char root[512];
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	*state = e;
	if (e == NULL)
		return -1;
	e->top = tree_new(NULL, "test_kernel");
	if (e->top == NULL)
		return -1;
	(void)snprintf(e->proc, sizeof(e->proc), "%s/proc", e->top);
	(void)snprintf(e->root, sizeof(e->root), "%s/root", e->top);
	tree_put(e->top, "proc/sys/kernel/osrelease", "6.8.12-4-pve\n");
	tree_put(e->top, "proc/cmdline", "BOOT_IMAGE=/vmlinuz intel_iommu=on i915.max_vfs=7 quiet\n");
	tree_put(e->top, "root/lib/modules/6.8.12-4-pve/modules.dep", "");
	tree_put(e->top, "root/lib/modules/6.5.13-1-pve/kernel/x.ko", "leftover, no modules.dep");
	tree_put(e->top, "root/etc/kernel/proxmox-boot-pin", "6.8.12-4-pve\n");
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	if (e == NULL)
		return 0;
	int r = tree_free(e->top);
	free(e);
	*state = NULL;
	return r;
}

#define INSTALLED(rel, running, newest)                                                            \
	"gpu_sriov_installed_kernel_info{release=\"" rel "\",running=\"" running                   \
	"\",newest=\"" newest "\"} 1"
#define PARAM(p, v) "gpu_sriov_kernel_cmdline_param_info{param=\"" p "\",value=\"" v "\"} 1"
#define PIN(rel, kind) "gpu_sriov_kernel_boot_pin_info{release=\"" rel "\",kind=\"" kind "\"} 1"
#define SKIPPED(v) "gpu_sriov_scrape_collector_skipped_values{collector=\"kernel\"} " v

/* The release and command line of the first scrape stay, whatever the files say later. */
static void
test_fixed_facts_read_once(void **state)
{
	struct env *e = *state;
	struct testrun t;
	int64_t t0 = fake_now;

	assert_int_equal(testrun_start(&t, &kernel_collector, NULL, e->proc, e->root), 0);
	char *text = testrun_scrape_at(&t, t0);
	assert_int_equal(t.ok, 1);
	text_assert_line(text, "gpu_sriov_kernel_info{release=\"6.8.12-4-pve\"} 1");
	text_assert_line(text, INSTALLED("6.8.12-4-pve", "true", "true"));
	text_assert_lacks(text, "6.5.13-1-pve");
	text_assert_line(text, PARAM("intel_iommu", "on"));
	text_assert_line(text, PARAM("i915.max_vfs", "7"));
	text_assert_line(text, PIN("6.8.12-4-pve", "pin"));
	text_assert_line(text, SKIPPED("0"));
	free(text);

	tree_put(e->top, "proc/sys/kernel/osrelease", "9.9.9\n");
	tree_put(e->top, "proc/cmdline", "intel_iommu=off\n");
	text = testrun_scrape_at(&t, t0 + 100 * COLLECTOR_RECHECK_NS);
	text_assert_line(text, "gpu_sriov_kernel_info{release=\"6.8.12-4-pve\"} 1");
	text_assert_line(text, PARAM("intel_iommu", "on"));
	text_assert_lacks(text, "9.9.9");
	free(text);
	testrun_stop(&t);
}

/* Not readable yet (procfs not mounted, a garbage command line): nothing is kept from a failure,
 * the next scrape tries again; a line that does not parse is kept and counted every scrape. */
static void
test_failures_not_kept(void **state)
{
	struct env *e = *state;
	struct testrun t;

	tree_rm(e->top, "proc/sys/kernel/osrelease");
	tree_rm(e->top, "proc/cmdline");
	assert_int_equal(testrun_start(&t, &kernel_collector, NULL, e->proc, e->root), 0);
	char *text = testrun_scrape_at(&t, fake_now);
	assert_int_equal(t.ok, 0);
	free(text);
	tree_put(e->top, "proc/sys/kernel/osrelease", "6.8.12-4-pve\n");
	/* the registry backs off after a failure: move past it */
	text = testrun_scrape_at(&t, fake_now + 3600 * SEC);
	assert_int_equal(t.ok, 1);
	text_assert_line(text, SKIPPED("1"));
	text_assert_lacks(text, "gpu_sriov_kernel_cmdline_param_info");
	free(text);
	tree_put(e->top, "proc/cmdline", "iommu=pt \"i915.enable_guc=3\n");
	text = testrun_scrape_at(&t, fake_now + 1);
	text_assert_line(text, PARAM("iommu", "pt"));
	text_assert_line(text, SKIPPED("1"));
	free(text);
	tree_put(e->top, "proc/cmdline", "iommu=off\n");
	for (int i = 0; i < 2; i++) {
		text = testrun_scrape_at(&t, fake_now + COLLECTOR_RECHECK_NS);
		text_assert_line(text, PARAM("iommu", "pt"));
		text_assert_line(text, SKIPPED("1"));
		free(text);
	}
	testrun_stop(&t);
}

/* A kernel package installed (modules.dep written by depmod), another removed, a pin moved and a
 * garbage next-boot pin: all seen once the bound has passed, not before. */
static void
test_installed_after_bound(void **state)
{
	struct env *e = *state;
	struct testrun t;
	int64_t t0 = fake_now;

	assert_int_equal(testrun_start(&t, &kernel_collector, NULL, e->proc, e->root), 0);
	free(testrun_scrape_at(&t, t0));
	tree_put(e->top, "root/lib/modules/6.11.11-2-pve/modules.dep", "");
	tree_put(e->top, "root/etc/kernel/proxmox-boot-pin", "6.11.11-2-pve\n");
	tree_put(e->top, "root/etc/kernel/next-boot-pin", "not a release!\n");
	tree_put(e->top, "root/lib/modules/bad name/modules.dep", "");
	char *text = testrun_scrape_at(&t, t0 + COLLECTOR_RECHECK_NS - 1);
	text_assert_line(text, INSTALLED("6.8.12-4-pve", "true", "true"));
	text_assert_lacks(text, "6.11.11-2-pve");
	text_assert_line(text, SKIPPED("0"));
	free(text);
	for (int i = 0; i < 2; i++) {
		text = testrun_scrape_at(&t, t0 + COLLECTOR_RECHECK_NS + i);
		text_assert_line(text, INSTALLED("6.8.12-4-pve", "true", "false"));
		text_assert_line(text, INSTALLED("6.11.11-2-pve", "false", "true"));
		text_assert_line(text, PIN("6.11.11-2-pve", "pin"));
		text_assert_lacks(text, "kind=\"next-boot\"");
		text_assert_line(text, SKIPPED("2"));
		free(text);
	}
	tree_rm(e->top, "root/lib/modules/6.8.12-4-pve");
	text = testrun_scrape_at(&t, t0 + 2 * COLLECTOR_RECHECK_NS);
	text_assert_lacks(text, INSTALLED("6.8.12-4-pve", "true", "false"));
	text_assert_line(text, "gpu_sriov_kernel_info{release=\"6.8.12-4-pve\"} 1");
	free(text);
	testrun_stop(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fixed_facts_read_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failures_not_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_installed_after_bound, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
