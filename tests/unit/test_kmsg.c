/* Kernel log record parsing and signature matching, with malformed records; and the kmsg
 * collector on a private tree (dev/kmsg a regular file, as in the fixtures) with a fake clock
 * (-Wl,--wrap=monotonic_ns): records are counted in the scrape after they are written, and a GPU
 * function that appears later gets its zero series once COLLECTOR_RECHECK_NS has passed. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collectors.h"
#include "kmsg_parse.h"
#include "testlib.h"

static int
parse(const char *rec, struct kmsg_record *r)
{
	return kmsg_parse_record(rec, strlen(rec), r);
}

static void
assert_text(const struct kmsg_record *r, const char *want)
{
	assert_int_equal(r->text_len, strlen(want));
	assert_memory_equal(r->text, want, r->text_len);
}

static void
test_record_with_dictionary(void **state)
{
	struct kmsg_record r;

	(void)state;
	assert_int_equal(parse("6,1201,5001234,-;i915 0000:00:02.0: Enabled 7 VFs\n"
			       " SUBSYSTEM=pci\n DEVICE=+pci:0000:00:02.0\n",
			       &r),
			 0);
	assert_int_equal(r.prio, 6);
	assert_int_equal(r.seq, 1201);
	assert_text(&r, "i915 0000:00:02.0: Enabled 7 VFs");
	assert_string_equal(r.device, "0000:00:02.0");
}

static void
test_device_from_prefix(void **state)
{
	struct kmsg_record r;

	(void)state;
	/* Without a dictionary the dev_printk prefix names the device. */
	assert_int_equal(parse("3,7,100,-;i915 0000:01:00.0: [drm] GPU HANG: ecode 12:1:85dffffb", &r),
			 0);
	assert_string_equal(r.device, "0000:01:00.0");
	/* Neither: no device. */
	assert_int_equal(parse("3,8,101,-;DMAR: DRHD: handling fault status reg 3", &r), 0);
	assert_string_equal(r.device, "");
	/* A future extra header field after the flags. */
	assert_int_equal(parse("6,9,102,-,caller=T1;i915: unknown parameter 'max_vfs' ignored", &r),
			 0);
	assert_text(&r, "i915: unknown parameter 'max_vfs' ignored");
	assert_string_equal(r.device, "");
	/* The dictionary wins over the prefix. */
	assert_int_equal(parse("6,10,103,-;xe 0000:03:00.0: Disabled 2 VFs\n DEVICE=+pci:0000:00:02.0",
			       &r),
			 0);
	assert_string_equal(r.device, "0000:00:02.0");
}

static void
test_malformed(void **state)
{
	struct kmsg_record r;
	static const char *const bad[] = {
		"", "no header at all", "6,1201;text", "6;text", "x,1,2,-;text", "6,x,2,-;text",
		"6,1,x,-;text", "6,1,2,-", "99999,1,2,-;text", "6,1,,-;text",
		"6,18446744073709551616,2,-;text",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &r) != -EINVAL)
			fail_msg("accepted: '%s'", bad[i]);
	}
	/* A broken dictionary line does not invent a device. */
	assert_int_equal(parse("6,1,2,-;hello\n DEVICE=+pci:zzzz:00:02.0\n DEVICE=+usb:1-1", &r), 0);
	assert_string_equal(r.device, "");
	/* Binary bytes in the text are just text. */
	assert_int_equal(kmsg_parse_record("6,1,2,-;\xff\xfe\x00x", 12, &r), 0);
	assert_int_equal(r.text_len, 4);
}

static int
match(const char *text)
{
	return kmsg_match(text, strlen(text));
}

static const char *
event(const char *text)
{
	int ev = match(text);
	return ev < 0 ? "none" : kmsg_event_names[ev];
}

static void
test_signatures(void **state)
{
	(void)state;
	assert_string_equal(event("i915 0000:00:02.0: Enabled 7 VFs"), "vfs_enabled");
	assert_string_equal(event("i915 0000:00:02.0: Disabled 7 VFs"), "vfs_disabled");
	assert_string_equal(event("i915 0000:00:02.0: 7 VFs requested; only 3 enabled"),
			    "vfs_enabled");
	assert_string_equal(event("i915 0000:00:02.0: No VFs could be associated with this PF!"),
			    "no_vfs_associated");
	assert_string_equal(event("i915: unknown parameter 'max_vfs' ignored"), "max_vfs_ignored");
	assert_string_equal(event("i915 0000:01:00.0: [drm] *ERROR* GT0: GUC: mmio request 0x4100: "
				  "failure 0xffffffff"),
			    "guc_mmio_failure");
	assert_string_equal(event("i915 0000:01:00.0: [drm] *ERROR* Failed to retrieve hwconfig "
				  "table: -ENOENT"),
			    "hwconfig_failure");
	assert_string_equal(event("i915 0000:01:00.0: [drm] *ERROR* IOV: Unable to confirm version "
				  "1.0 (-22)"),
			    "iov_version_mismatch");
	assert_string_equal(event("i915 0000:01:00.0: Device is non-operational; MMIO access returns "
				  "0xFFFFFFFF!"),
			    "vf_non_operational");
	assert_string_equal(event("i915 0000:00:02.0: [drm] GPU HANG: ecode 12:1:85dffffb, in "
				  "ffmpeg [1305]"),
			    "gpu_hang");
	assert_string_equal(event("i915 0000:00:02.0: [drm] Fence expiration time out i915-0000:00:02.0"),
			    "fence_timeout");
	assert_string_equal(event("i915 0000:01:00.0: [drm] PMU not supported for this GPU."),
			    "pmu_not_supported");
	assert_string_equal(event("DMAR: DRHD: handling fault status reg 3"), "dmar_fault");
	/* Common words alone are not VF changes. */
	assert_string_equal(event("usb 1-1: Enabled interface"), "none");
	assert_string_equal(event("Disabled 7 things"), "none");
	assert_string_equal(event("Enabled VFs"), "none");
	assert_string_equal(event("Enabled 7 VF"), "none");
	assert_string_equal(event(""), "none");
}

static void
append(const char *top, const char *rel, const char *text)
{
	char path[512];

	xsnprintf(path, sizeof(path), "%s/%s", top, rel);
	FILE *f = fopen(path, "ae");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void
gpu_pf(const char *sys, const char *bdf)
{
	char rel[256];

	tree_gpu(sys, bdf, "i915");
	xsnprintf(rel, sizeof(rel), "devices/pci0000:00/%s/sriov_totalvfs", bdf);
	tree_put(sys, rel, "7\n");
}

#define EVENT(ev, bdf, v)                                                                          \
	"gpu_sriov_kernel_events_total{event=\"" ev "\",pci_address=\"" bdf "\"} " v

static void
test_collector(void **state)
{
	const char *top = *state;
	char sys[512], root[512];
	struct testrun t;
	int64_t t0 = fake_now;

	xsnprintf(sys, sizeof(sys), "%s/sys", top);
	xsnprintf(root, sizeof(root), "%s/root", top);
	tree_put(top, "sys/.keep", "");
	gpu_pf(sys, "0000:00:02.0");
	tree_put(top, "root/dev/kmsg", "6,1,100,-;i915 0000:00:02.0: Enabled 7 VFs\n");
	assert_int_equal(testrun_start(&t, &kmsg_collector, sys, NULL, root), 0);
	fake_now = t0;
	char *text = testrun_scrape(&t);
	assert_int_equal(t.ok, 1);
	text_assert_line(text, "gpu_sriov_kernel_log_readable 1");
	/* the record from before the start is not counted; the PF has its zero series */
	text_assert_line(text, EVENT("vfs_enabled", "0000:00:02.0", "0"));
	text_assert_line(text, EVENT("gpu_hang", "", "0"));
	free(text);

	gpu_pf(sys, "0000:03:00.0");
	append(top, "root/dev/kmsg", "6,2,200,-;i915 0000:00:02.0: Disabled 7 VFs\n");
	fake_now = t0 + COLLECTOR_RECHECK_NS - 1;
	text = testrun_scrape(&t);
	text_assert_line(text, EVENT("vfs_disabled", "0000:00:02.0", "1"));
	if (strstr(text, "0000:03:00.0") != NULL)
		fail_msg("new PF seen before the bound:\n%s", text);
	free(text);
	fake_now = t0 + COLLECTOR_RECHECK_NS;
	text = testrun_scrape(&t);
	text_assert_line(text, EVENT("vfs_enabled", "0000:03:00.0", "0"));
	text_assert_line(text, EVENT("vfs_disabled", "0000:00:02.0", "1"));
	text_assert_line(text, "gpu_sriov_scrape_collector_skipped_values{collector=\"kmsg\"} 0");
	free(text);
	testrun_stop(&t);
}

static int
setup_tree(void **state)
{
	*state = tree_new(NULL, "test_kmsg");
	return *state == NULL ? -1 : 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_with_dictionary),
		cmocka_unit_test(test_device_from_prefix),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test_setup_teardown(test_collector, setup_tree, tree_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
