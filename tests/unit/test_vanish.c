/* Files that vanish between readdir() and open(), as when VFs are disabled, a VM is destroyed or
 * a DKMS build is removed during a scrape. openat() is wrapped at link time (-Wl,--wrap=openat,
 * and --wrap=__openat_2, which glibc's fortified openat() calls when the flags are not a
 * constant, as in sysfs_open_file()): a path with a chosen component fails with ENOENT. The real
 * collectors then run over the checked-in host_n150 fixture, which is only read. Each test checks
 * that the collector still succeeds, that the vanished item is absent, that the rest is present,
 * and that the open was really attempted (a name no code opens would prove nothing). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <cmocka.h>

#include "collectors.h"
#include "pve.h"
#include "testlib.h"

int __real_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
int __real___openat_2(int dirfd, const char *path, int flags);
int __wrap___openat_2(int dirfd, const char *path, int flags);

/* The path component that "vanished" (NULL: none), and how many opens it failed. */
static const char *vanished;
static unsigned hits;

static bool
vanishes(const char *path)
{
	size_t n = vanished != NULL ? strlen(vanished) : 0;

	if (n == 0)
		return false;
	for (const char *p = path; p != NULL; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (strncmp(p, vanished, n) == 0 && (p[n] == '\0' || p[n] == '/'))
			return true;
	}
	return false;
}

int
__wrap_openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (vanishes(path)) {
		hits++;
		errno = ENOENT;
		return -1;
	}
	return __real_openat(dirfd, path, flags, mode);
}

int
__wrap___openat_2(int dirfd, const char *path, int flags)
{
	if (vanishes(path)) {
		hits++;
		errno = ENOENT;
		return -1;
	}
	return __real___openat_2(dirfd, path, flags);
}

static const char *
fixture(const char *sub)
{
	static char path[3][512];
	static unsigned next;
	const char *base = getenv("EXPORTER_TEST_DATA");
	char *p = path[next++ % 3];

	xsnprintf(p, sizeof(path[0]), "%s/host_n150/%s", base != NULL ? base : TEST_DATA_DIR, sub);
	return p;
}

/* One scrape of ops over host_n150 with name vanished; returns the text exposition (caller
 * frees) and fails the test unless the collector succeeded and the name was opened. */
static char *
scrape_without(const struct collector_ops *ops, const char *name)
{
	struct testrun t;

	/* proxmox and sriov share the parsed VM configs per scrape id, in a static cache; every
	 * test's registry starts at scrape 1, so an id no registry reaches makes the next scrape
	 * load again instead of reusing another test's configs. */
	int err;
	(void)pve_config_for_scrape(-1, -1, UINT64_MAX, NULL, NULL, &err);
	assert_int_equal(testrun_start(&t, ops, fixture("sys"), fixture("proc"), fixture("root")),
			 0);
	vanished = name;
	hits = 0;
	char *text = testrun_scrape(&t);
	vanished = NULL;
	size_t ok = t.ok;
	testrun_stop(&t);
	if (ok != 1)
		fail_msg("collector %s failed:\n%s", ops->name, text);
	if (hits == 0)
		fail_msg("nothing opened a path with %s in it", name);
	return text;
}

/* Whether text has the line line. */
/* Lines of text that start with prefix. */
static size_t
count_lines(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = text; *p != '\0';) {
		n += strncmp(p, prefix, len) == 0;
		const char *nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return n;
}

#define ASSERT_LINE(text, line)                                                                    \
	do {                                                                                       \
		if (!text_has_line((text), (line)))                                                     \
			fail_msg("missing line: %s", (line));                                      \
	} while (0)

#define ASSERT_NO_LINE(text, line)                                                                 \
	do {                                                                                       \
		if (text_has_line((text), (line)))                                                      \
			fail_msg("unexpected line: %s", (line));                                   \
	} while (0)

/* A VF's bus/pci/devices entry is listed, then gone when opened: the VF is left out and
 * reported (the walk cannot tell a VF that went away from a dangling link, which is garbage);
 * its PF and the other six VFs are all there. */
static void
test_sriov_vf_gone(void **state)
{
	(void)state;
	char *text = scrape_without(&sriov_collector, "0000:00:02.3");
	assert_int_equal(count_lines(text, "gpu_sriov_vf_info{pci_address=\"0000:00:02.3\""), 0);
	assert_int_equal(count_lines(text, "gpu_sriov_vf_info{"), 6);
	assert_int_equal(count_lines(text, "gpu_sriov_device_iommu_group_size{"), 7);
	ASSERT_LINE(text, "gpu_sriov_vf_info{pci_address=\"0000:00:02.1\",pf=\"0000:00:02.0\","
			  "index=\"1\",driver=\"vfio-pci\",iommu_group=\"1\",vmid=\"101\"} 1");
	ASSERT_LINE(text, "gpu_sriov_vf_info{pci_address=\"0000:00:02.4\",pf=\"0000:00:02.0\","
			  "index=\"4\",driver=\"i915\",iommu_group=\"4\",vmid=\"\"} 1");
	/* Counted from the PF's virtfn links, which were not opened. */
	ASSERT_LINE(text, "gpu_sriov_vfs_enabled{pci_address=\"0000:00:02.0\"} 7");
	ASSERT_LINE(text, "gpu_sriov_pf_driver_ok{pci_address=\"0000:00:02.0\"} 1");
	ASSERT_LINE(text, "gpu_sriov_scrape_collector_skipped_values{collector=\"sriov\"} 1");
	free(text);
}

/* An IOMMU group listed, gone when its devices are opened: not counted, not reported (ENOENT
 * after readdir is a group going away, not garbage); the other eleven are. */
static void
test_iommu_group_gone(void **state)
{
	(void)state;
	char *text = scrape_without(&iommu_collector, "3");
	ASSERT_LINE(text, "gpu_sriov_iommu_groups 11");
	ASSERT_LINE(text, "gpu_sriov_iommu_enabled 1");
	ASSERT_LINE(text, "gpu_sriov_iommu_default_domain_info{type=\"identity\"} 1");
	ASSERT_LINE(text, "gpu_sriov_scrape_collector_skipped_values{collector=\"iommu\"} 0");
	free(text);
}

/* The engine rcs0 listed, gone when its class is read: left out on every card and reported once
 * per card; the other three engines of each card are there. Six functions have a card (02.1 and
 * 02.2 are on vfio-pci). */
static void
test_drm_engine_gone(void **state)
{
	(void)state;
	char *text = scrape_without(&drm_collector, "rcs0");
	assert_int_equal(count_lines(text, "gpu_sriov_engine_info{"), 6 * 3);
	assert_null(strstr(text, "engine=\"rcs0\""));
	ASSERT_LINE(text, "gpu_sriov_engine_info{pci_address=\"0000:00:02.0\",engine=\"bcs0\","
			  "class=\"copy\",instance=\"0\"} 1");
	ASSERT_LINE(text, "gpu_sriov_engine_info{pci_address=\"0000:00:02.7\",engine=\"vecs0\","
			  "class=\"video-enhance\",instance=\"0\"} 1");
	assert_int_equal(count_lines(text, "gpu_sriov_drm_card_info{"), 6);
	ASSERT_LINE(text, "gpu_sriov_scrape_collector_skipped_values{collector=\"drm\"} 6");
	free(text);
}

/* The build directory of one kernel listed, gone when opened (dkms remove running): that kernel's
 * state is what dkms would say without the build (missing: built, but for another kernel), the
 * other kernel stays installed. Reported: the directory, and the kernel link that now resolves to
 * no build. */
static void
test_dkms_build_gone(void **state)
{
	(void)state;
	char *text = scrape_without(&dkms_collector, "6.17.4-2-pve");
	ASSERT_LINE(text, "gpu_sriov_dkms_module_state{module=\"i915-sriov-dkms\",version="
			  "\"2026.03.05\",kernel=\"6.17.4-2-pve\",arch=\"x86_64\",state=\"missing\"} 1");
	ASSERT_LINE(text, "gpu_sriov_dkms_ready{module=\"i915-sriov-dkms\",kernel=\"6.17.4-2-pve\"} 0");
	ASSERT_LINE(text, "gpu_sriov_dkms_module_state{module=\"i915-sriov-dkms\",version="
			  "\"2026.03.05\",kernel=\"6.14.8-2-pve\",arch=\"x86_64\",state=\"installed\"} 1");
	ASSERT_LINE(text, "gpu_sriov_dkms_ready{module=\"i915-sriov-dkms\",kernel=\"6.14.8-2-pve\"} 1");
	assert_null(strstr(text, "gpu_sriov_dkms_build_failed{module=\"i915-sriov-dkms\",version="
				 "\"2026.03.05\",kernel=\"6.17.4-2-pve\""));
	ASSERT_LINE(text, "gpu_sriov_scrape_collector_skipped_values{collector=\"dkms\"} 2");
	free(text);
}

/* VM 102's config listed, gone when opened (qm destroy): 101 alone is reported; the read
 * failure is reported like any unreadable config. */
static void
test_proxmox_vm_gone(void **state)
{
	(void)state;
	char *text = scrape_without(&proxmox_collector, "102.conf");
	ASSERT_LINE(text, "gpu_sriov_vms_configured 1");
	ASSERT_LINE(text, "gpu_sriov_vm_hostpci_info{vmid=\"101\",name=\"docker-vm\","
			  "hostpci=\"hostpci0\",pci_address=\"0000:00:02.1\",machine=\"q35\"} 1");
	assert_null(strstr(text, "vmid=\"102\""));
	ASSERT_LINE(text, "gpu_sriov_scrape_collector_skipped_values{collector=\"proxmox\"} 1");
	free(text);
}

/* A module parameter that exists when checked, gone when read (module unloading): absent, not
 * reported (ENOENT reads as "no such parameter"), everything else there. */
static void
test_module_param_gone(void **state)
{
	(void)state;
	char *text = scrape_without(&module_collector, "enable_guc");
	assert_null(strstr(text, "param=\"enable_guc\""));
	ASSERT_LINE(text, "gpu_sriov_module_param{module=\"i915\",param=\"max_vfs\"} 7");
	ASSERT_LINE(text, "gpu_sriov_module_loaded{module=\"i915\"} 1");
	ASSERT_LINE(text, "gpu_sriov_module_sriov_capable{module=\"i915\"} 1");
	ASSERT_LINE(text, "gpu_sriov_module_out_of_tree{module=\"i915\"} 1");
	ASSERT_LINE(text, "gpu_sriov_scrape_collector_skipped_values{collector=\"module\"} 0");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sriov_vf_gone),   cmocka_unit_test(test_iommu_group_gone),
		cmocka_unit_test(test_drm_engine_gone), cmocka_unit_test(test_dkms_build_gone),
		cmocka_unit_test(test_proxmox_vm_gone), cmocka_unit_test(test_module_param_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
