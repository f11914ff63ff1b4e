/* The --check table for a hypervisor, and its checks of the kernel, IOMMU, command line, driver
 * and DKMS (check_pf.c has those of the PF, its VFs and the VMs). Each check reads the collection
 * only; the fixes are the user's runbook's commands and config lines (seed, alerts/runbooks/) with
 * this host's PCI addresses, kernels and VM ids filled in. */
#include <stdio.h>
#include <string.h>

#include "check_common.h"
#include "check_host.h"
#include "check_pf.h"
#include "check_read.h"
#include "parse.h"

/* The runbook's command line for the intended driver (strongtz/i915-sriov-dkms README for xe).
 * max_vfs keeps the command line's ceiling when it has one, else the count the PF should have. */
static void
fix_grub(const struct expo *e, const struct check_driver *d, struct check_result *r)
{
	struct check_list pfs;
	char param[32];
	uint64_t vfs = CHECK_RUNBOOK_VFS;
	const char *device = "<device id>";

	check_list(e, "gpu_sriov_pf_info", &pfs);
	if (pfs.n > 0) {
		vfs = check_wanted_vfs(e, check_label(&pfs.v[0], "pci_address"));
		device = check_label(&pfs.v[0], "device");
	}
	(void)snprintf(param, sizeof(param), "%s.max_vfs", d->intended);
	const char *ceiling = check_cmdline(e, param);
	uint64_t n;
	if (ceiling != NULL && parse_u64(ceiling, 10, 65535, &n) == 0 && n > 0)
		vfs = n;
	if (strcmp(d->intended, "xe") == 0)
		check_fix(r,
			  "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on iommu=pt xe.max_vfs=%llu "
			  "xe.force_probe=%s module_blacklist=i915\" in /etc/default/grub, then "
			  "update-grub and reboot (systemd-boot: /etc/kernel/cmdline, then "
			  "proxmox-boot-tool refresh)",
			  (unsigned long long)vfs, device);
	else
		check_fix(r,
			  "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on iommu=pt i915.enable_guc=3 "
			  "i915.max_vfs=%llu module_blacklist=xe\" in /etc/default/grub, then "
			  "update-grub and reboot (systemd-boot: /etc/kernel/cmdline, then "
			  "proxmox-boot-tool refresh)",
			  (unsigned long long)vfs);
	check_list_free(&pfs);
}

static void
iommu_eval(const struct expo *e, struct check_result *r)
{
	struct check_driver d;
	struct check_list types, groups, pfs;
	double on = 0, units = 0, ngroups = 0;
	bool translated = false, identity = false;

	if (check_collector_unusable(e, "iommu", r))
		return;
	check_driver(e, &d);
	(void)check_value(e, "gpu_sriov_iommu_enabled", NULL, NULL, &on);
	(void)check_value(e, "gpu_sriov_iommu_units", NULL, NULL, &units);
	(void)check_value(e, "gpu_sriov_iommu_groups", NULL, NULL, &ngroups);
	if (on != 1) {
		check_set(r, CHECK_FAIL,
			  "no active IOMMU (%.0f units, %.0f groups): VT-d is off in the BIOS or "
			  "intel_iommu=on is missing, so no VF can be passed to a VM",
			  units, ngroups);
		check_fix(r, "enable Intel VT-d in the BIOS");
		fix_grub(e, &d, r);
		return;
	}
	check_set(r, CHECK_PASS, "on (%.0f units, %.0f groups)", units, ngroups);
	/* Debian's kernels leave the iGPU out of the IOMMU unless intel_iommu=on is given. */
	check_list(e, "gpu_sriov_pf_info", &pfs);
	check_list(e, "gpu_sriov_device_iommu_group_size", &groups);
	for (size_t i = 0; i < pfs.n; i++) {
		const char *bdf = check_label(&pfs.v[i], "pci_address");
		if (check_find(&groups, "pci_address", bdf) == NULL &&
		    check_collector(e, "sriov") == CHECK_COLLECTOR_OK) {
			check_raise(r, CHECK_FAIL);
			check_add(r, "the PF %s is in no IOMMU group (the iGPU is left out without "
				     "intel_iommu=on)", bdf);
		}
	}
	check_list_free(&groups);
	check_list_free(&pfs);
	check_list(e, "gpu_sriov_iommu_default_domain_info", &types);
	for (size_t i = 0; i < types.n; i++) {
		const char *t = check_label(&types.v[i], "type");
		if (strcmp(t, "identity") == 0)
			identity = true;
		else if (strcmp(t, "DMA") == 0 || strcmp(t, "DMA-FQ") == 0)
			translated = true;
	}
	check_list_free(&types);
	if (translated) {
		check_raise(r, CHECK_WARN);
		check_add(r, "DMA of every device is translated (default domain DMA/DMA-FQ); the "
			     "runbook uses iommu=pt, which costs the host's own devices nothing");
	} else if (identity) {
		check_add(r, "passthrough mode (iommu=pt)");
	} else {
		check_raise(r, CHECK_WARN);
		check_add(r, "default domain type not readable, so iommu=pt could not be checked");
	}
	if (r->status != CHECK_PASS)
		fix_grub(e, &d, r);
}

/* Appends "name=value" (or "name") to the detail's list of present parameters. */
static void
note_param(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, "%s%s%s%s", b->len > 0 ? " " : "", name, value[0] != '\0' ? "=" : "", value);
}

static void
cmdline_eval(const struct expo *e, struct check_result *r)
{
	struct check_driver d;
	struct buf present = BUF_INIT, missing = BUF_INIT;
	enum check_status worst = CHECK_PASS;
	char name[32];
	uint64_t n;

	if (check_collector_unusable(e, "kernel", r))
		return;
	check_driver(e, &d);
	const char *drv = d.intended;
	const char *other = strcmp(drv, "xe") == 0 ? "i915" : "xe";

	const char *iommu = check_cmdline(e, "intel_iommu");
	if (iommu != NULL && check_comma_list_has(iommu, "on")) {
		note_param(&present, "intel_iommu", iommu);
	} else {
		note_param(&missing, "intel_iommu=on", "");
		worst = CHECK_FAIL;
	}
	(void)snprintf(name, sizeof(name), "%s.max_vfs", drv);
	const char *max_vfs = check_cmdline(e, name);
	if (max_vfs != NULL && parse_u64(max_vfs, 10, 65535, &n) == 0 && n > 0) {
		note_param(&present, name, max_vfs);
	} else {
		/* Set elsewhere (modprobe.d) is as good: the PF then offers VFs. */
		struct check_list pfs;
		bool offered = false;
		check_list(e, "gpu_sriov_vfs_supported", &pfs);
		for (size_t i = 0; i < pfs.n; i++)
			offered = offered || pfs.v[i].value > 0;
		check_list_free(&pfs);
		if (!offered) {
			note_param(&missing, name, max_vfs != NULL ? max_vfs : "");
			worst = CHECK_FAIL;
		}
	}
	if (strcmp(drv, "i915") == 0) {
		const char *guc = check_cmdline(e, "i915.enable_guc");
		int64_t g;
		if (guc != NULL && parse_i64(guc, 10, -1, 1000, &g) == 0 && check_guc_submits(g)) {
			note_param(&present, "i915.enable_guc", guc);
		} else if (!(check_guc_param(e, &g) && check_guc_submits(g))) {
			note_param(&missing, "i915.enable_guc=3", "");
			worst = CHECK_FAIL;
		}
	} else {
		const char *probe = check_cmdline(e, "xe.force_probe");
		if (probe != NULL) {
			note_param(&present, "xe.force_probe", probe);
		} else {
			note_param(&missing, "xe.force_probe=<device id>", "");
			if (worst < CHECK_WARN)
				worst = CHECK_WARN;
		}
	}
	const char *blacklist = check_cmdline(e, "module_blacklist");
	if (blacklist != NULL && check_comma_list_has(blacklist, other)) {
		note_param(&present, "module_blacklist", blacklist);
	} else {
		note_param(&missing, "module_blacklist", other);
		if (worst < CHECK_WARN)
			worst = CHECK_WARN;
	}
	if (missing.len == 0) {
		check_set(r, CHECK_PASS, "%s (for %s)", present.data, drv);
	} else {
		check_set(r, worst, "missing for %s: %s", drv, missing.data);
		if (present.len > 0)
			check_add(r, "present: %s", present.data);
		fix_grub(e, &d, r);
	}
	buf_free(&present);
	buf_free(&missing);
}

static void
other_driver_eval(const struct expo *e, struct check_result *r)
{
	struct check_driver d;

	if (check_collector_unusable(e, "module", r))
		return;
	check_driver(e, &d);
	const char *other = strcmp(d.intended, "xe") == 0 ? "i915" : "xe";
	const char *blacklist = check_cmdline(e, "module_blacklist");
	bool listed = blacklist != NULL && check_comma_list_has(blacklist, other);

	if (d.name != NULL && strcmp(d.name, other) == 0) {
		check_set(r, CHECK_FAIL,
			  "the GPU runs on %s (%s), but the set-up is for %s (%s.max_vfs): %s took "
			  "the GPU",
			  other, d.from, d.intended, d.intended, other);
	} else if (check_module_flag(e, "gpu_sriov_module_loaded", other)) {
		check_set(r, CHECK_WARN,
			  "%s is loaded (not bound to the GPU now): a rebind or reboot can let it take "
			  "the GPU from %s",
			  other, d.intended);
	} else if (!listed) {
		check_set(r, CHECK_WARN,
			  "%s is not loaded, but not blacklisted on the command line either: a kernel "
			  "update can let it take the GPU from %s",
			  other, d.intended);
	} else {
		check_set(r, CHECK_PASS, "%s is blacklisted (module_blacklist=%s) and not loaded",
			  other, blacklist);
		return;
	}
	check_fix(r, "add module_blacklist=%s to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, "
		     "then update-grub and reboot",
		  other);
}

static void
fix_dkms_running(const struct expo *e, struct check_result *r)
{
	const char *kver = check_running_kernel(e);
	if (kver == NULL)
		kver = "$(uname -r)";
	check_fix(r, "apt install proxmox-headers-%s && dkms autoinstall -k %s && "
		     "update-initramfs -u -k %s, then reboot",
		  kver, kver, kver);
}

static void
fix_dkms_install(struct check_result *r)
{
	check_fix(r, "apt install build-essential dkms proxmox-headers-$(uname -r), download the "
		     "current .deb from https://github.com/strongtz/i915-sriov-dkms/releases and "
		     "dpkg -i i915-sriov-dkms_*.deb, then reboot");
}

/* Whether an SR-IOV DKMS module is installed for the running kernel. */
static bool
dkms_ready_running(const struct expo *e)
{
	struct check_list l;
	bool ready = false;
	const char *running = check_running_kernel(e);

	check_list(e, "gpu_sriov_dkms_ready", &l);
	for (size_t i = 0; i < l.n && running != NULL; i++) {
		if (l.v[i].value == 1 && check_dkms_is_sriov(check_label(&l.v[i], "module")) &&
		    strcmp(check_label(&l.v[i], "kernel"), running) == 0)
			ready = true;
	}
	check_list_free(&l);
	return ready;
}

static void
module_eval(const struct expo *e, struct check_result *r)
{
	struct check_driver d;

	if (check_collector_unusable(e, "module", r))
		return;
	check_driver(e, &d);
	if (d.name == NULL || !d.loaded) {
		check_set(r, CHECK_FAIL, "neither i915 nor xe is loaded");
		if (dkms_ready_running(e))
			check_fix(r, "modprobe %s (the DKMS build is installed for this kernel; "
				     "dmesg | grep %s if it fails)",
				  d.intended, d.intended);
		else if (d.dkms_sriov)
			fix_dkms_running(e, r);
		else
			fix_dkms_install(r);
		return;
	}
	bool xe = strcmp(d.name, "xe") == 0;
	if (d.sriov_capable) {
		check_set(r, CHECK_PASS, "%s loaded with max_vfs (%s)", d.name,
			  d.out_of_tree ? "out-of-tree DKMS build" : "in-tree");
		return;
	}
	if (xe) {
		check_set(r, CHECK_FAIL, "xe is loaded without max_vfs: this kernel's xe has no "
					 "SR-IOV PF support");
		check_fix(r, "boot a kernel >= 6.18, or install i915-sriov-dkms and blacklist xe");
		return;
	}
	check_set(r, CHECK_FAIL,
		  "the stock i915 is loaded (no max_vfs parameter%s): the SR-IOV build is not "
		  "installed for the running kernel, i915.max_vfs is ignored",
		  d.out_of_tree ? "" : ", not out of tree");
	if (d.dkms_sriov)
		fix_dkms_running(e, r);
	else
		fix_dkms_install(r);
}

/* The series of l for module on kernel whose value is 1 (the state set's member, a failed build),
 * NULL when none. Borrowed from l. */
static const struct expo_series *
dkms_find(const struct check_list *l, const char *module, const char *kernel)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct expo_series *s = &l->v[i];
		if (s->value == 1 && strcmp(check_label(s, "module"), module) == 0 &&
		    strcmp(check_label(s, "kernel"), kernel) == 0)
			return s;
	}
	return NULL;
}

/* DKMS state name of module on kernel, "" when none. */
static const char *
dkms_state(const struct check_list *states, const char *module, const char *kernel,
	   const char **ret_version)
{
	const struct expo_series *s = dkms_find(states, module, kernel);

	*ret_version = s != NULL ? check_label(s, "version") : "";
	return s != NULL ? check_label(s, "state") : "";
}

static bool
dkms_failed(const struct expo *e, const char *module, const char *kernel, const char **ret_arch,
	    const char **ret_version)
{
	struct check_list l;

	check_list(e, "gpu_sriov_dkms_build_failed", &l);
	const struct expo_series *s = dkms_find(&l, module, kernel);
	bool failed = s != NULL;
	if (failed) {
		*ret_arch = check_label(s, "arch");
		*ret_version = check_label(s, "version");
	}
	check_list_free(&l);
	return failed;
}

/* Kernels the DKMS check looks at, with why. */
struct dkms_kernel {
	const char *kver;
	const char *role;
	enum check_status miss; /* status when the module is not ready for it */
};

static size_t
dkms_kernels(const struct expo *e, struct dkms_kernel *k, size_t max)
{
	struct check_list l;
	size_t n = 0;
	const char *running = check_running_kernel(e);

	if (running != NULL && n < max)
		k[n++] = (struct dkms_kernel){running, "running", CHECK_FAIL};
	/* The next boot's kernel if it is not the running one: a reboot would lose the VFs. The
	 * system works until then, so a warning, as the GpuSriovDkmsNotReadyNextBoot alert. */
	check_list(e, "gpu_sriov_kernel_boot_pin_info", &l);
	for (size_t i = 0; i < l.n && n < max; i++) {
		const char *kind = check_label(&l.v[i], "kind");
		k[n++] = (struct dkms_kernel){check_label(&l.v[i], "release"),
					      strcmp(kind, "pin") == 0 ? "pinned" : "next-boot",
					      CHECK_WARN};
	}
	check_list_free(&l);
	check_list(e, "gpu_sriov_installed_kernel_info", &l);
	for (size_t i = 0; i < l.n && n < max; i++) {
		if (strcmp(check_label(&l.v[i], "newest"), "true") == 0)
			k[n++] = (struct dkms_kernel){check_label(&l.v[i], "release"), "newest",
						      CHECK_WARN};
	}
	check_list_free(&l);
	/* One line per kernel: the first role wins (running before pinned before newest). */
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t j = 0; j < w && !dup; j++)
			dup = strcmp(k[j].kver, k[i].kver) == 0;
		if (!dup)
			k[w++] = k[i];
	}
	return w;
}

static void
dkms_one(const struct expo *e, const struct check_list *states, const char *module,
	 const struct dkms_kernel *k, const char *ready_kver, struct check_result *r)
{
	double ready = 0;
	struct expo_label m[] = {{"module", module}, {"kernel", k->kver}};
	const char *version, *arch, *failed_version;

	(void)expo_value(e, "gpu_sriov_dkms_ready", m, 2, &ready);
	if (ready == 1) {
		check_add(r, "%s installed for %s (%s)", module, k->kver, k->role);
		return;
	}
	const char *state = dkms_state(states, module, k->kver, &version);
	check_raise(r, k->miss);
	check_add(r, "%s not installed for %s (%s kernel%s%s)", module, k->kver, k->role,
		  state[0] != '\0' ? ", state " : ", not an installed kernel", state);
	if (dkms_failed(e, module, k->kver, &arch, &failed_version)) {
		check_add(r, "its build failed");
		check_fix(r, "read /var/lib/dkms/%s/%s/%s/%s/log/make.log; upgrade %s or keep a "
			     "working kernel with proxmox-boot-tool kernel pin %s",
			  module, failed_version, k->kver, arch, module,
			  ready_kver != NULL ? ready_kver : "<kver>");
	} else if (strcmp(state, "broken") == 0) {
		check_fix(r, "the source of %s %s is gone: reinstall the package (dpkg -i "
			     "%s_%s_amd64.deb), then dkms autoinstall -k %s",
			  module, version, module, version, k->kver);
	} else if (strcmp(state, "built") == 0) {
		check_fix(r, "dkms install %s/%s -k %s && update-initramfs -u -k %s", module,
			  version, k->kver, k->kver);
	} else {
		check_fix(r, "apt install proxmox-headers-%s && dkms autoinstall -k %s && "
			     "update-initramfs -u -k %s",
			  k->kver, k->kver, k->kver);
	}
	if (ready_kver != NULL && k->miss == CHECK_FAIL)
		check_fix(r, "if this %s release does not support %s, boot %s, which has it "
			     "(proxmox-boot-tool kernel pin %s)",
			  module, k->kver, ready_kver, ready_kver);
}

static void
dkms_eval(const struct expo *e, struct check_result *r)
{
	struct check_driver d;
	struct check_list ready, states;
	struct dkms_kernel k[8];
	const char *modules[4];
	size_t nmod = 0;

	if (check_collector_unusable(e, "dkms", r))
		return;
	check_driver(e, &d);
	check_list(e, "gpu_sriov_dkms_ready", &ready);
	for (size_t i = 0; i < ready.n; i++) {
		const char *m = check_label(&ready.v[i], "module");
		bool seen = false;
		for (size_t j = 0; j < nmod && !seen; j++)
			seen = strcmp(modules[j], m) == 0;
		if (!seen && check_dkms_is_sriov(m) && nmod < sizeof(modules) / sizeof(modules[0]))
			modules[nmod++] = m;
	}
	if (nmod == 0) {
		if (d.name != NULL && strcmp(d.name, "xe") == 0 && !d.out_of_tree && d.sriov_capable) {
			check_set(r, CHECK_PASS, "not needed: the in-tree xe has SR-IOV");
		} else if (d.sriov_capable && d.out_of_tree) {
			/* Built by hand (make install): works now, gone after the next kernel update. */
			check_set(r, CHECK_WARN, "the loaded %s is an out-of-tree SR-IOV build that DKMS "
						 "does not manage: no kernel update will rebuild it",
				  d.name);
			fix_dkms_install(r);
		} else {
			check_set(r, CHECK_FAIL, "no SR-IOV DKMS module (i915-sriov-dkms) is installed "
						 "for any kernel");
			fix_dkms_install(r);
		}
		check_list_free(&ready);
		return;
	}
	size_t nk = dkms_kernels(e, k, sizeof(k) / sizeof(k[0]));
	check_list(e, "gpu_sriov_dkms_module_state", &states);
	for (size_t m = 0; m < nmod; m++) {
		/* A kernel the module is ready for, to offer when the running one has none. */
		const char *ready_kver = NULL;
		for (size_t i = 0; i < ready.n && ready_kver == NULL; i++) {
			if (ready.v[i].value == 1 &&
			    strcmp(check_label(&ready.v[i], "module"), modules[m]) == 0)
				ready_kver = check_label(&ready.v[i], "kernel");
		}
		for (size_t i = 0; i < nk; i++)
			dkms_one(e, &states, modules[m], &k[i], ready_kver, r);
	}
	if (nk == 0)
		check_set(r, CHECK_WARN, "not checked: the running and installed kernels are unknown");
	check_list_free(&states);
	check_list_free(&ready);
}

static const struct check_desc host_checks[] = {
	{"kernel", "Kernel version", check_kernel_eval},
	{"iommu", "IOMMU on, passthrough mode", iommu_eval},
	{"cmdline", "Kernel command line", cmdline_eval},
	{"other_driver", "Competing GPU driver kept off", other_driver_eval},
	{"module", "SR-IOV GPU driver loaded", module_eval},
	{"guc", "GuC submission", check_guc_host_eval},
	{"dkms", "DKMS build for running and next kernels", dkms_eval},
	{"pf_driver", "PF bound to its GPU driver", check_pf_driver_eval},
	{"vfs", "VFs present as intended", check_vfs_eval},
	{"vfs_persist", "VF count persisted across reboots", check_persist_eval},
	{"pf_vm", "PF not assigned to a VM", check_pf_vm_eval},
	{"vm_q35", "VMs with a VF use machine type q35", check_vm_q35_eval},
	{"iommu_groups", "GPU functions isolated in IOMMU groups", check_iommu_groups_eval},
};

const struct check_desc *
check_host_table(size_t *ret_n)
{
	*ret_n = sizeof(host_checks) / sizeof(host_checks[0]);
	return host_checks;
}
