/* Unit tests for --check: the evaluations over hand-built collections (healthy host, each broken
 * piece on its own, collectors failed or disabled, guest cases), the mode decision, exit status,
 * text and JSON rendering with hostile label values, and when colour is used. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "check.h"
#include "check_common.h"
#include "flags.h"
#include "registry.h"
#include "testlib.h"

/* Ends the label list of add() and parse(): a typed null pointer, as varargs need. */
#define END ((char *)NULL)

/* Adds one sample; the variadic part is label name/value pairs ending with END. */
static void
add(struct expo *e, const char *name, double value, ...)
{
	struct expo_label labels[8];
	size_t n = 0;
	va_list ap;

	va_start(ap, value);
	for (const char *k = va_arg(ap, const char *); k != NULL; k = va_arg(ap, const char *)) {
		assert_true(n < 8);
		labels[n].name = k;
		labels[n].value = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	assert_int_equal(expo_add(e, name, EXPO_GAUGE, "test", value, labels, n), 0);
}

/* What to break in an otherwise healthy host (the seed's N150 after its runbook). */
struct host {
	const char *release;
	bool stock_i915;     /* module without max_vfs, not out of tree */
	double vfs_enabled;
	bool no_source;      /* no persistence line */
	const char *machine; /* of the VM with the VF */
	bool pf_to_vm;
	const char *failed;   /* a collector that failed */
	const char *disabled; /* a collector that did not run */
	const char *vm_name;
	const char *domain; /* IOMMU default domain type */
	bool xe_loaded;
	bool guc_set; /* enable_guc is guc instead of the runbook's 3 */
	double guc;
};

static const char *const host_collectors[] = {"dkms", "drm",   "iommu", "kernel",
					      "kmsg", "module", "pmu",  "proxmox", "sriov"};

static struct expo *
host(const struct host *h)
{
	struct expo *e = expo_new();
	const char *kver = h->release != NULL ? h->release : "6.17.4-2-pve";
	const char *pf = "0000:00:02.0", *vf = "0000:00:02.1";

	for (size_t i = 0; i < sizeof(host_collectors) / sizeof(host_collectors[0]); i++) {
		const char *c = host_collectors[i];
		if (h->disabled != NULL && strcmp(c, h->disabled) == 0)
			continue;
		add(e, "gpu_sriov_scrape_collector_success",
		    h->failed != NULL && strcmp(c, h->failed) == 0 ? 0 : 1, "collector", c, END);
	}
	add(e, "gpu_sriov_kernel_info", 1, "release", kver, END);
	add(e, "gpu_sriov_installed_kernel_info", 1, "release", kver, "running", "true", "newest",
	    "true", END);
	add(e, "gpu_sriov_iommu_enabled", 1, END);
	add(e, "gpu_sriov_iommu_units", 2, END);
	add(e, "gpu_sriov_iommu_groups", 12, END);
	add(e, "gpu_sriov_iommu_default_domain_info", 1, "type",
	    h->domain != NULL ? h->domain : "identity", END);
	add(e, "gpu_sriov_kernel_cmdline_param_info", 1, "param", "intel_iommu", "value", "on",
	    END);
	add(e, "gpu_sriov_kernel_cmdline_param_info", 1, "param", "iommu", "value", "pt", END);
	add(e, "gpu_sriov_kernel_cmdline_param_info", 1, "param", "i915.enable_guc", "value", "3",
	    END);
	add(e, "gpu_sriov_kernel_cmdline_param_info", 1, "param", "i915.max_vfs", "value", "7",
	    END);
	add(e, "gpu_sriov_kernel_cmdline_param_info", 1, "param", "module_blacklist", "value", "xe",
	    END);
	add(e, "gpu_sriov_module_loaded", 1, "module", "i915", END);
	add(e, "gpu_sriov_module_loaded", h->xe_loaded ? 1 : 0, "module", "xe", END);
	add(e, "gpu_sriov_module_sriov_capable", h->stock_i915 ? 0 : 1, "module", "i915", END);
	add(e, "gpu_sriov_module_out_of_tree", h->stock_i915 ? 0 : 1, "module", "i915", END);
	add(e, "gpu_sriov_module_param", h->guc_set ? h->guc : 3, "module", "i915", "param",
	    "enable_guc", END);
	add(e, "gpu_sriov_dkms_ready", h->stock_i915 ? 0 : 1, "module", "i915-sriov-dkms", "kernel",
	    kver, END);
	add(e, "gpu_sriov_dkms_module_state", 1, "module", "i915-sriov-dkms", "version",
	    "2026.03.05", "kernel", kver, "arch", "x86_64", "state",
	    h->stock_i915 ? "missing" : "installed", END);
	add(e, "gpu_sriov_pf_info", 1, "pci_address", pf, "driver", h->pf_to_vm ? "vfio-pci" : "i915",
	    "vendor", "8086", "device", "46d4", "name", "Alder Lake-N", END);
	add(e, "gpu_sriov_pf_driver_ok", h->pf_to_vm ? 0 : 1, "pci_address", pf, END);
	add(e, "gpu_sriov_vfs_enabled", h->vfs_enabled, "pci_address", pf, END);
	add(e, "gpu_sriov_vfs_supported", h->stock_i915 ? 0 : 7, "pci_address", pf, END);
	if (!h->no_source) {
		add(e, "gpu_sriov_vfs_expected", 7, "pci_address", pf, END);
		add(e, "gpu_sriov_vfs_expected_source_info", 1, "pci_address", pf, "source",
		    "etc/sysfs.conf:2", END);
	}
	add(e, "gpu_sriov_device_iommu_group_size", 1, "pci_address", pf, END);
	if (h->vfs_enabled > 0) {
		add(e, "gpu_sriov_device_iommu_group_size", 1, "pci_address", vf, END);
		add(e, "gpu_sriov_vf_info", 1, "pci_address", vf, "pf", pf, "index", "1", "driver",
		    "vfio-pci", "iommu_group", "1", "vmid", "101", END);
	}
	add(e, "gpu_sriov_vms_configured", h->pf_to_vm ? 2 : 1, END);
	add(e, "gpu_sriov_vm_hostpci_info", 1, "vmid", "101", "name",
	    h->vm_name != NULL ? h->vm_name : "docker-vm", "hostpci", "hostpci0", "pci_address", vf,
	    "machine", h->machine != NULL ? h->machine : "q35", END);
	if (h->pf_to_vm) {
		add(e, "gpu_sriov_vm_hostpci_info", 1, "vmid", "103", "name", "media", "hostpci",
		    "hostpci0", "pci_address", pf, "machine", "q35", END);
		add(e, "gpu_sriov_vm_pf_assigned", 1, "vmid", "103", "pci_address", pf, END);
	}
	(void)expo_sort(e);
	assert_int_equal(expo_error(e), 0);
	return e;
}

static char *
report(const struct expo *e, enum check_output format, bool colour, int *ret_rc)
{
	struct buf out = BUF_INIT;
	size_t len;

	*ret_rc = check_report(e, format, colour, &out);
	return buf_steal(&out, &len);
}

/* The report line of the check whose title is title, "" when absent; caller frees. */
static char *
line_of(const char *text, const char *title)
{
	char key[128];

	xsnprintf(key, sizeof(key), "  %s: ", title);
	const char *p = strstr(text, key);
	if (p == NULL)
		return strdup("");
	while (p > text && p[-1] != '\n')
		p--;
	const char *end = strchr(p, '\n');
	/* The fix line, when there is one, belongs to the check. */
	if (end != NULL && strncmp(end + 1, "      fix: ", 11) == 0)
		end = strchr(end + 1, '\n');
	size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
	char *s = malloc(n + 1);
	assert_non_null(s);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Asserts the check titled title has status and its line (with the fix) contains part. */
static void
assert_check(const char *text, const char *title, const char *status, const char *part)
{
	char *l = line_of(text, title);
	if (strncmp(l, status, strlen(status)) != 0 || strstr(l, part) == NULL) {
		print_error("want %s with '%s' for '%s' in:\n%s\n", status, part, title, text);
		free(l);
		fail();
	}
	free(l);
}

static void
test_kernel_version(void **state)
{
	unsigned major = 99, minor = 99;

	(void)state;
	assert_int_equal(check_kernel_version("6.17.4-2-pve", &major, &minor), 0);
	assert_int_equal(major, 6);
	assert_int_equal(minor, 17);
	assert_int_equal(check_kernel_version("7.0", &major, &minor), 0);
	assert_int_equal(major, 7);
	assert_int_equal(minor, 0);
	assert_int_equal(check_kernel_version("6.12.63+deb13-amd64", &major, &minor), 0);
	assert_int_equal(minor, 12);
	major = minor = 99;
	assert_int_equal(check_kernel_version("", &major, &minor), -EINVAL);
	assert_int_equal(check_kernel_version("6", &major, &minor), -EINVAL);
	assert_int_equal(check_kernel_version("6.", &major, &minor), -EINVAL);
	assert_int_equal(check_kernel_version("v6.1", &major, &minor), -EINVAL);
	assert_int_equal(check_kernel_version("123456.1", &major, &minor), -EINVAL);
	assert_int_equal(major, 99); /* untouched on failure */
}

static void
test_healthy_host(void **state)
{
	struct host h = {.vfs_enabled = 7};
	struct expo *e = host(&h);
	int rc;

	(void)state;
	char *text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 0);
	text_assert_line(text, "mode: host (SR-IOV PF 0000:00:02.0)");
	text_assert_line(text, "summary: 13 passed, 0 warnings, 0 failed");
	text_assert_lacks(text, "fix:");
	text_assert_lacks(text, "\033");
	assert_check(text, "VFs present as intended", "pass", "7 of 7 intended VFs");
	assert_check(text, "VF count persisted across reboots", "pass", "etc/sysfs.conf:2");
	free(text);
	expo_free(e);
}

static void
test_stock_i915(void **state)
{
	struct host h = {.vfs_enabled = 0, .stock_i915 = true, .release = "7.0.2-6-pve"};
	struct expo *e = host(&h);
	int rc;

	(void)state;
	char *text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 1);
	assert_check(text, "SR-IOV GPU driver loaded", "fail",
		     "dkms autoinstall -k 7.0.2-6-pve && update-initramfs -u -k 7.0.2-6-pve");
	assert_check(text, "DKMS build for running and next kernels", "fail",
		     "not installed for 7.0.2-6-pve (running kernel, state missing)");
	assert_check(text, "VFs present as intended", "fail", "the PF offers 0");
	/* The kernel itself is new enough for i915-sriov-dkms. */
	assert_check(text, "Kernel version", "pass", "needs 6.12 or newer");
	free(text);
	expo_free(e);
}

static void
test_kernel_minimums(void **state)
{
	struct host h = {.vfs_enabled = 7, .release = "6.8.12-4-pve"};
	struct expo *e = host(&h);
	int rc;

	(void)state;
	char *text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 0); /* a warning only */
	assert_check(text, "Kernel version", "warn", "only unmaintained i915-sriov-dkms releases");
	free(text);
	expo_free(e);
	h.release = "5.15.0-1-pve";
	e = host(&h);
	text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 1);
	assert_check(text, "Kernel version", "fail", "5.15.0-1-pve is too old");
	free(text);
	expo_free(e);
}

static void
test_vfs_and_persistence(void **state)
{
	struct host h = {.vfs_enabled = 3, .no_source = true};
	struct expo *e = host(&h);
	int rc;

	(void)state;
	char *text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 0);
	assert_check(text, "VFs present as intended", "pass", "3 VFs (intended count unknown");
	assert_check(text, "VF count persisted across reboots", "warn",
		     "fix: apt install sysfsutils && echo "
		     "'devices/pci0000:00/0000:00:02.0/sriov_numvfs = 3' >> /etc/sysfs.conf");
	free(text);
	expo_free(e);
	h = (struct host){.vfs_enabled = 2};
	e = host(&h);
	text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 1);
	assert_check(text, "VFs present as intended", "fail", "2 of 7 intended VFs");
	assert_check(text, "VFs present as intended", "fail",
		     "fix: echo 0 > /sys/bus/pci/devices/0000:00:02.0/sriov_numvfs; "
		     "echo 7 > /sys/bus/pci/devices/0000:00:02.0/sriov_numvfs");
	free(text);
	expo_free(e);
}

static void
test_vm_checks(void **state)
{
	struct host h = {.vfs_enabled = 7, .machine = "i440fx"};
	struct expo *e = host(&h);
	int rc;

	(void)state;
	char *text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 1);
	assert_check(text, "VMs with a VF use machine type q35", "fail",
		     "fix: qm stop 101 && qm set 101 -machine q35 && qm start 101");
	free(text);
	expo_free(e);
	/* pc-q35-9.0+pve1 is q35 too. */
	h.machine = "pc-q35-9.0+pve1";
	e = host(&h);
	text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 0);
	assert_check(text, "VMs with a VF use machine type q35", "pass", "1 VM takes VFs");
	free(text);
	expo_free(e);
	h = (struct host){.vfs_enabled = 0, .pf_to_vm = true};
	e = host(&h);
	text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 1);
	assert_check(text, "PF not assigned to a VM", "fail", "fix: qm set 103 -delete hostpci0");
	assert_check(text, "PF bound to its GPU driver", "fail",
		     "echo 0000:00:02.0 > /sys/bus/pci/drivers/vfio-pci/unbind");
	free(text);
	expo_free(e);
}

static void
test_iommu_mode(void **state)
{
	struct host h = {.vfs_enabled = 7, .domain = "DMA-FQ"};
	struct expo *e = host(&h);
	int rc;

	(void)state;
	char *text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 0);
	assert_check(text, "IOMMU on, passthrough mode", "warn", "iommu=pt i915.enable_guc=3");
	free(text);
	expo_free(e);
}

static void
test_xe_loaded_next_to_i915(void **state)
{
	struct host h = {.vfs_enabled = 7, .xe_loaded = true};
	struct expo *e = host(&h);
	int rc;

	(void)state;
	char *text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 0);
	assert_check(text, "Competing GPU driver kept off", "warn", "xe is loaded");
	free(text);
	expo_free(e);
}

/* Each enable_guc value the module can hold, and one no int can: never converted blindly. */
static void
test_guc_values(void **state)
{
	static const struct {
		double guc;
		const char *status, *part;
	} cases[] = {
	    {7, "pass", "enable_guc=7: GuC submission and HuC"},
	    {1, "warn", "enable_guc=1: GuC submission without HuC"},
	    {-1, "warn", "i915 chooses per platform"},
	    {2, "fail", "enable_guc=2: GuC submission is off"},
	    {0, "fail", "enable_guc=0: GuC submission is off"},
	    {1e12, "warn", "enable_guc parameter was not readable"},
	    {-1e300, "warn", "enable_guc parameter was not readable"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct host h = {.vfs_enabled = 7, .guc_set = true, .guc = cases[i].guc};
		struct expo *e = host(&h);
		int rc;
		char *text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
		assert_check(text, "GuC submission", cases[i].status, cases[i].part);
		free(text);
		expo_free(e);
	}
	assert_true(check_guc_submits(1));
	assert_true(check_guc_submits(3));
	assert_false(check_guc_submits(2));
	assert_false(check_guc_submits(-1));
	assert_false(check_guc_submits(0));
}

/* A collector that failed or did not run is a warning saying why, never a pass. */
static void
test_collector_unusable(void **state)
{
	struct host h = {.vfs_enabled = 7, .failed = "proxmox"};
	struct expo *e = host(&h);
	int rc;

	(void)state;
	char *text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 0);
	assert_check(text, "PF not assigned to a VM", "warn", "run as root");
	assert_check(text, "VMs with a VF use machine type q35", "warn", "proxmox collector failed");
	free(text);
	expo_free(e);
	h = (struct host){.vfs_enabled = 7, .disabled = "module"};
	e = host(&h);
	text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_check(text, "SR-IOV GPU driver loaded", "warn", "fix: run with --collector.module");
	assert_check(text, "GuC submission", "warn", "module collector is disabled");
	free(text);
	expo_free(e);
}

static void
test_mode(void **state)
{
	struct buf reason = BUF_INIT;
	struct expo *e = expo_new();

	(void)state;
	add(e, "gpu_sriov_dkms_ready", 1, "module", "i915-sriov-dkms", "kernel", "6.12.63", END);
	add(e, "gpu_sriov_kernel_info", 1, "release", "6.12.63+deb13-amd64", END);
	(void)expo_sort(e);
	/* DKMS alone is no hypervisor: the i915-sriov-dkms README installs it in guests too. */
	assert_int_equal(check_mode(e, &reason), CHECK_MODE_GUEST);
	expo_free(e);
	buf_reset(&reason);
	e = expo_new();
	add(e, "gpu_sriov_kernel_info", 1, "release", "6.8.12-4-pve", END);
	(void)expo_sort(e);
	assert_int_equal(check_mode(e, &reason), CHECK_MODE_HOST);
	assert_string_equal(reason.data, "Proxmox VE kernel 6.8.12-4-pve");
	expo_free(e);
	buf_reset(&reason);
	e = expo_new();
	add(e, "gpu_sriov_kernel_cmdline_param_info", 1, "param", "xe.max_vfs", "value", "7", END);
	(void)expo_sort(e);
	assert_int_equal(check_mode(e, &reason), CHECK_MODE_HOST);
	expo_free(e);
	buf_reset(&reason);
	e = expo_new();
	add(e, "gpu_sriov_scrape_collector_success", 0, "collector", "proxmox", END);
	(void)expo_sort(e);
	assert_int_equal(check_mode(e, &reason), CHECK_MODE_HOST);
	expo_free(e);
	buf_free(&reason);
}

static struct expo *
guest(const char *open_error, double clients, const char *pmu_error)
{
	struct expo *e = expo_new();
	const char *vf = "0000:01:00.0";
	const char *const collectors[] = {"drm", "fdinfo", "kernel", "module", "pmu"};

	for (size_t i = 0; i < sizeof(collectors) / sizeof(collectors[0]); i++)
		add(e, "gpu_sriov_scrape_collector_success", 1, "collector", collectors[i], END);
	add(e, "gpu_sriov_kernel_info", 1, "release", "6.12.63+deb13-amd64", END);
	add(e, "gpu_sriov_module_loaded", 1, "module", "i915", END);
	add(e, "gpu_sriov_module_param", 3, "module", "i915", "param", "enable_guc", END);
	add(e, "gpu_sriov_drm_card_info", 1, "card", "card0", "render_node", "renderD128",
	    "pci_address", vf, "driver", "i915", "function", "none", END);
	add(e, "gpu_sriov_render_node_present", 1, "render_node", "renderD128", "pci_address", vf,
	    END);
	add(e, "gpu_sriov_render_node_accessible", open_error == NULL ? 1 : 0, "render_node",
	    "renderD128", "pci_address", vf, END);
	if (open_error != NULL)
		add(e, "gpu_sriov_render_node_open_error_info", 1, "render_node", "renderD128",
		    "pci_address", vf, "error", open_error, END);
	add(e, "gpu_sriov_pmu_available", 0, "pci_address", vf, END);
	add(e, "gpu_sriov_pmu_open_error_info", 1, "pci_address", vf, "error",
	    pmu_error != NULL ? pmu_error : "ENOENT", END);
	add(e, "gpu_sriov_drm_clients", clients, "pci_address", vf, END);
	(void)expo_sort(e);
	return e;
}

static void
test_guest(void **state)
{
	int rc;

	(void)state;
	struct expo *e = guest(NULL, 3, NULL);
	char *text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 0);
	text_assert_line(text, "summary: 7 passed, 0 warnings, 0 failed");
	/* No PMU in a VF guest is the normal case. */
	assert_check(text, "GPU PMU", "pass", "as usual in a VF guest");
	free(text);
	expo_free(e);

	e = guest("EACCES", 0, NULL);
	text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 1);
	assert_check(text, "Render node openable", "fail", "usermod -aG render");
	assert_check(text, "DRM clients", "warn", "fallen back to the CPU");
	free(text);
	expo_free(e);

	/* A display function without a DRM driver (QEMU's VGA next to the VF) is not judged. */
	e = guest(NULL, 3, NULL);
	add(e, "gpu_sriov_drm_clients", 0, "pci_address", "0000:00:01.0", END);
	(void)expo_sort(e);
	text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_int_equal(rc, 0);
	assert_check(text, "DRM clients", "pass", "3 DRM clients on 0000:01:00.0");
	assert_null(strstr(text, "0000:00:01.0"));
	free(text);
	expo_free(e);

	/* Only a permission error gets the permission fix. */
	e = guest(NULL, 3, "EPERM");
	text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_check(text, "GPU PMU", "warn", "perf_event_paranoid=0");
	free(text);
	expo_free(e);
	e = guest(NULL, 3, "ENODEV");
	text = report(e, CHECK_OUTPUT_TEXT, false, &rc);
	assert_check(text, "GPU PMU", "warn", "(ENODEV: it went away or changed");
	char *line = line_of(text, "GPU PMU");
	assert_null(strstr(line, "fix:"));
	assert_null(strstr(line, "CAP_PERFMON"));
	free(line);
	free(text);
	expo_free(e);
}

/* Label values are data from files anyone may have written: nothing in them may break the JSON
 * document or reach the terminal as a control sequence. */
static void
test_hostile_labels(void **state)
{
	const char *evil = "evil\"\\name\n\033[31mred\t\xc2\x9b" "2J end";
	struct host h = {.vfs_enabled = 7, .machine = "i440fx", .vm_name = evil};
	struct expo *e = host(&h);
	int rc;

	(void)state;
	char *json = report(e, CHECK_OUTPUT_JSON, false, &rc);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(json, "evil\\\"\\\\name\\n\\u001b[31mred\\t\xc2\x9b" "2J end"));
	for (const char *p = json; *p != '\0'; p++)
		assert_true((unsigned char)*p >= 0x20 || *p == '\n');
	assert_non_null(strstr(json, "\"summary\": {\"passed\": 12, \"warnings\": 0, \"failed\": 1}"));
	assert_non_null(strstr(json, "\"exit_status\": 1"));
	assert_non_null(strstr(json, "\"fix\": null"));
	free(json);

	char *text = report(e, CHECK_OUTPUT_TEXT, true, &rc);
	/* Colour codes of our own only, the value's ESC and C1 CSI neutralised. */
	assert_non_null(strstr(text, "VM 101 (evil\"\\name??[31mred??2J end)"));
	for (const char *p = text; (p = strchr(p, '\033')) != NULL; p++)
		assert_true(strncmp(p, "\033[32m", 5) == 0 || strncmp(p, "\033[33m", 5) == 0 ||
			    strncmp(p, "\033[1;31m", 7) == 0 || strncmp(p, "\033[0m", 4) == 0);
	assert_non_null(strstr(text, "\033[1;31mfail\033[0m  VMs with a VF"));
	free(text);
	expo_free(e);
}

static void
test_colour_wanted(void **state)
{
	int fds[2];

	(void)state;
	assert_int_equal(unsetenv("NO_COLOR"), 0);
	assert_int_equal(setenv("TERM", "xterm", 1), 0);
	assert_int_equal(pipe(fds), 0);
	assert_false(check_colour_wanted(fds[1])); /* a pipe is no terminal */
	(void)close(fds[0]);
	(void)close(fds[1]);
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0) {
		skip();
		return;
	}
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	assert_true(check_colour_wanted(slave));
	assert_int_equal(setenv("NO_COLOR", "1", 1), 0);
	assert_false(check_colour_wanted(slave));
	assert_int_equal(setenv("NO_COLOR", "", 1), 0); /* empty means unset (no-color.org) */
	assert_true(check_colour_wanted(slave));
	assert_int_equal(setenv("TERM", "dumb", 1), 0);
	assert_false(check_colour_wanted(slave));
	assert_int_equal(unsetenv("NO_COLOR"), 0);
	(void)close(slave);
	(void)close(master);
}

/* Parses argv (END-terminated after argv[0]) and returns flags_parse()'s result. */
static int
parse(struct config *c, char *err, size_t errlen, ...)
{
	static char prog[] = "gpu_sriov_exporter";
	char *argv[16] = {prog};
	int argc = 1;
	va_list ap;
	size_t nops;
	const struct collector_ops *const *ops = registry_builtin(&nops);

	va_start(ap, errlen);
	for (char *a = va_arg(ap, char *); a != NULL; a = va_arg(ap, char *)) {
		assert_true(argc < 15);
		argv[argc++] = a;
	}
	va_end(ap);
	return flags_parse(argc, argv, ops, nops, c, err, errlen);
}

static bool
fdinfo_on(const struct config *c)
{
	size_t nops;
	const struct collector_ops *const *ops = registry_builtin(&nops);

	for (size_t i = 0; i < nops; i++) {
		if (strcmp(ops[i]->name, "fdinfo") == 0)
			return c->collector_enabled[i];
	}
	fail();
	return false;
}

static void
test_flags(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c, err, sizeof(err), "--check", END), 0);
	assert_true(c.check);
	assert_false(c.check_json);
	assert_true(fdinfo_on(&c)); /* off by default, on for --check */
	assert_int_equal(c.log_level, LOG_LEVEL_WARN);
	config_free(&c);
	assert_int_equal(parse(&c, err, sizeof(err), "--check", "--output=json", "--log.level=debug",
			       "--no-collector.fdinfo", END),
			 0);
	assert_true(c.check_json);
	assert_false(fdinfo_on(&c));
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	config_free(&c);
	assert_int_equal(parse(&c, err, sizeof(err), "--output", "text", "--check", END), 0);
	assert_false(c.check_json);
	config_free(&c);
	assert_int_equal(parse(&c, err, sizeof(err), END), 0);
	assert_false(fdinfo_on(&c)); /* unchanged without --check */
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	config_free(&c);

	assert_int_equal(parse(&c, err, sizeof(err), "--output=json", END), -EINVAL);
	assert_string_equal(err, "flag --output needs --check");
	assert_int_equal(parse(&c, err, sizeof(err), "--check", "--output=yaml", END), -EINVAL);
	assert_string_equal(err, "flag --output: 'yaml' is not one of text, json");
	assert_int_equal(parse(&c, err, sizeof(err), "--check", "--once", END), -EINVAL);
	assert_string_equal(err, "flags --check and --once exclude each other");
	assert_int_equal(parse(&c, err, sizeof(err), "--check", "--check", END), -EINVAL);
	assert_int_equal(parse(&c, err, sizeof(err), "--check", "--output=", END), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kernel_version),
	    cmocka_unit_test(test_healthy_host),
	    cmocka_unit_test(test_stock_i915),
	    cmocka_unit_test(test_kernel_minimums),
	    cmocka_unit_test(test_vfs_and_persistence),
	    cmocka_unit_test(test_vm_checks),
	    cmocka_unit_test(test_iommu_mode),
	    cmocka_unit_test(test_xe_loaded_next_to_i915),
	    cmocka_unit_test(test_guc_values),
	    cmocka_unit_test(test_collector_unusable),
	    cmocka_unit_test(test_mode),
	    cmocka_unit_test(test_guest),
	    cmocka_unit_test(test_hostile_labels),
	    cmocka_unit_test(test_colour_wanted),
	    cmocka_unit_test(test_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
