/* The --check table for a guest VM: the runbook's step 4 ("Verify GPU in Docker VM") and the
 * failure it guards against, a workload that silently falls back to the CPU. */
#include <string.h>

#include "check_common.h"
#include "check_guest.h"
#include "check_read.h"

/* The runbook's fallback when the guest's i915 cannot drive the VF. */
#define GUEST_DKMS_FIX                                                                             \
	"install i915-sriov-dkms in the guest too: apt install build-essential dkms "              \
	"linux-headers-$(uname -r) && dpkg -i i915-sriov-dkms_*.deb && echo 'options i915 "        \
	"enable_guc=3' > /etc/modprobe.d/i915.conf && echo 'blacklist xe' > "                      \
	"/etc/modprobe.d/blacklist-xe.conf && update-initramfs -u && reboot"

static void
gpu_eval(const struct expo *e, struct check_result *r)
{
	struct check_list cards;
	struct check_driver d;

	if (check_collector_unusable(e, "drm", r))
		return;
	check_list(e, "gpu_sriov_drm_card_info", &cards);
	for (size_t i = 0; i < cards.n; i++)
		check_add(r, "%s at %s (%s)", check_label(&cards.v[i], "card"),
			  check_label(&cards.v[i], "pci_address"), check_label(&cards.v[i], "driver"));
	if (cards.n > 0) {
		check_list_free(&cards);
		return;
	}
	check_list_free(&cards);
	check_driver(e, &d);
	if (d.name != NULL && d.loaded)
		check_set(r, CHECK_FAIL,
			  "%s is loaded but no GPU has a DRM card: the VF failed to initialise (look "
			  "for GuC or hwconfig errors in dmesg) or the VM has no VF",
			  d.name);
	else
		check_set(r, CHECK_FAIL, "no GPU has a DRM card and neither i915 nor xe is loaded");
	check_fix(r, "on the host: qm config <vmid> | grep hostpci and gpu_sriov_exporter --check");
	check_fix(r, "%s", GUEST_DKMS_FIX);
}

static void
render_node_eval(const struct expo *e, struct check_result *r)
{
	struct check_list nodes;

	if (check_collector_unusable(e, "drm", r))
		return;
	check_list(e, "gpu_sriov_render_node_present", &nodes);
	if (nodes.n == 0) {
		check_set(r, CHECK_FAIL, "no render node: VA-API and OpenVINO have no GPU to use");
		check_fix(r, "see the GPU check; dmesg | grep -i -e i915 -e guc");
	}
	for (size_t i = 0; i < nodes.n; i++) {
		const char *node = check_label(&nodes.v[i], "render_node");
		const char *bdf = check_label(&nodes.v[i], "pci_address");
		if (nodes.v[i].value == 1) {
			check_add(r, "/dev/dri/%s (%s)", node, bdf);
			continue;
		}
		check_raise(r, CHECK_FAIL);
		check_add(r, "%s of %s is registered but /dev/dri/%s is missing or wrong", node, bdf,
			  node);
		check_fix(r, "udevadm trigger --subsystem-match=drm; in a container pass "
			     "/dev/dri/%s again",
			  node);
	}
	check_list_free(&nodes);
}

/* What an open error means for the person at the terminal, and what to do. */
static void
open_error(struct check_result *r, const char *node, const char *err)
{
	if (strcmp(err, "EACCES") == 0 || strcmp(err, "EPERM") == 0) {
		check_add(r, "%s: permission denied for this user (not in the render group)", node);
		check_fix(r, "usermod -aG render <user> for every user of the GPU (containers: "
			     "group_add the render GID; the exporter's unit: SupplementaryGroups=render)");
	} else if (strcmp(err, "ENODEV") == 0 || strcmp(err, "ENXIO") == 0) {
		check_add(r, "%s: %s, a stale node whose device is gone", node, err);
		check_fix(r, "dmesg | grep -i i915; reboot the VM if the VF does not come back");
	} else if (strcmp(err, "EXDEV") == 0) {
		check_add(r, "%s: libdrm maps it to another PCI function", node);
	} else {
		check_add(r, "%s: %s", node, err[0] != '\0' ? err : "not openable");
	}
}

static void
render_open_eval(const struct expo *e, struct check_result *r)
{
	struct check_list nodes, errors;

	if (check_collector_unusable(e, "drm", r))
		return;
	check_list(e, "gpu_sriov_render_node_accessible", &nodes);
	check_list(e, "gpu_sriov_render_node_open_error_info", &errors);
	if (nodes.n == 0)
		check_set(r, CHECK_WARN, "not checked: no render node to open");
	for (size_t i = 0; i < nodes.n; i++) {
		const char *node = check_label(&nodes.v[i], "render_node");
		if (nodes.v[i].value == 1) {
			check_add(r, "%s opens read-write and answers as a DRM device", node);
			continue;
		}
		const struct expo_series *s = check_find(&errors, "render_node", node);
		const char *err = s != NULL ? check_label(s, "error") : "";
		check_raise(r, CHECK_FAIL);
		open_error(r, node, err);
	}
	check_list_free(&errors);
	check_list_free(&nodes);
}

/* The pmu collector's open errors other than ENOENT and EACCES/EPERM, as its HELP explains them. */
static const char *
pmu_error_meaning(const char *err)
{
	if (strcmp(err, "ENODATA") == 0)
		return "ENODATA: it offers no event this exporter uses";
	if (strcmp(err, "ENODEV") == 0)
		return "ENODEV: it went away or changed; the exporter reopens it after a backoff";
	if (strcmp(err, "EINVAL") == 0)
		return "EINVAL: its sysfs description is unusable";
	return err[0] != '\0' ? err : "no reason recorded";
}

/* i915 registers no PMU for a VF: its absence in a guest is the normal case, never a failure. */
static void
pmu_eval(const struct expo *e, struct check_result *r)
{
	struct check_list avail, errors;

	if (check_collector_unusable(e, "pmu", r))
		return;
	check_list(e, "gpu_sriov_pmu_available", &avail);
	check_list(e, "gpu_sriov_pmu_open_error_info", &errors);
	if (avail.n == 0)
		check_set(r, CHECK_WARN, "not checked: the pmu collector saw no GPU with a driver");
	for (size_t i = 0; i < avail.n; i++) {
		const char *bdf = check_label(&avail.v[i], "pci_address");
		const struct expo_series *s = check_find(&errors, "pci_address", bdf);
		const char *err = s != NULL ? check_label(s, "error") : "";
		if (avail.v[i].value == 1) {
			check_add(r, "%s: PMU available", bdf);
		} else if (strcmp(err, "ENOENT") == 0) {
			check_add(r, "%s: no PMU, as usual in a VF guest (busy comes from fdinfo)", bdf);
		} else if (strcmp(err, "EACCES") == 0 || strcmp(err, "EPERM") == 0) {
			check_raise(r, CHECK_WARN);
			check_add(r, "%s: a PMU exists but opening it is not permitted (%s): needs "
				     "CAP_PERFMON or perf_event_paranoid <= 0",
				  bdf, err);
			check_fix(r, "run as root, or sysctl kernel.perf_event_paranoid=0");
		} else {
			/* Not a permission the fix above could grant: say what the error means. */
			check_raise(r, CHECK_WARN);
			check_add(r, "%s: a PMU exists but is unusable (%s)", bdf,
				  pmu_error_meaning(err));
		}
	}
	check_list_free(&errors);
	check_list_free(&avail);
}

static void
drm_clients_eval(const struct expo *e, struct check_result *r)
{
	struct check_list clients;
	double unreadable = 0;

	if (check_collector_unusable(e, "fdinfo", r))
		return;
	check_list(e, "gpu_sriov_drm_clients", &clients);
	(void)check_value(e, "gpu_sriov_fdinfo_processes_unreadable", NULL, NULL, &unreadable);
	double card;
	/* Next to a GPU with a DRM device, a display function without one (QEMU's VGA next to the
	 * VF) is nothing to use; without any, every function is judged (the VF's driver failed). */
	bool any_card = expo_value(e, "gpu_sriov_drm_card_info", NULL, 0, &card);
	size_t judged = 0;
	for (size_t i = 0; i < clients.n; i++) {
		const char *bdf = check_label(&clients.v[i], "pci_address");
		if (any_card && !expo_value(e, "gpu_sriov_drm_card_info",
					    EXPO_LABELS({"pci_address", bdf}), &card))
			continue;
		judged++;
		if (clients.v[i].value > 0) {
			check_add(r, "%.0f DRM clients on %s", clients.v[i].value, bdf);
			continue;
		}
		check_raise(r, CHECK_WARN);
		check_add(r, "no DRM client on %s: nothing uses the GPU, the workload may have fallen "
			     "back to the CPU",
			  bdf);
	}
	if (judged == 0)
		check_set(r, CHECK_WARN, "not checked: no GPU function");
	double nodes = 0;
	(void)check_value(e, "gpu_sriov_render_nodes", NULL, NULL, &nodes);
	if (r->status != CHECK_PASS && judged > 0 && nodes == 0) {
		/* Nothing could use it: the render node checks have the fix. */
		check_add(r, "there is no render node to use (see the render node checks)");
	} else if (r->status != CHECK_PASS && judged > 0) {
		check_fix(r, "pass /dev/dri/renderD128 into the container, set the OpenVINO detector to "
			     "device: GPU and ffmpeg hwaccel_args: preset-vaapi, restart it");
		if (unreadable > 0) {
			check_add(r, "%.0f processes could not be inspected", unreadable);
			check_fix(r, "run as root to see every process's DRM clients");
		}
	}
	check_list_free(&clients);
}

static const struct check_desc guest_checks[] = {
	{"kernel", "Kernel version", check_kernel_eval},
	{"guc", "GuC submission", check_guc_guest_eval},
	{"gpu", "GPU (VF) present", gpu_eval},
	{"render_node", "Render node present", render_node_eval},
	{"render_open", "Render node openable", render_open_eval},
	{"pmu", "GPU PMU", pmu_eval},
	{"drm_clients", "DRM clients", drm_clients_eval},
};

const struct check_desc *
check_guest_table(size_t *ret_n)
{
	*ret_n = sizeof(guest_checks) / sizeof(guest_checks[0]);
	return guest_checks;
}
