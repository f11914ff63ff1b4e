/* The checks both --check tables hold. The kernel check compares the running kernel with the
 * minimum of the SR-IOV driver in use. Only minimums: a kernel too new for the installed DKMS
 * release shows up as a missing build in the "dkms" check, which reads what DKMS did rather than
 * a version table that would age. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "check_common.h"
#include "check_read.h"

/* Minimum kernels per driver build, and where the numbers come from:
 * - i915 with SR-IOV means strongtz/i915-sriov-dkms (stock i915 has no PF support on any kernel,
 *   so it is judged by what the DKMS build it needs requires). Its README: current releases need
 *   6.12 to 6.18; "for older kernel (v6.8 ~ v6.12), please use the 2025.07.22 release" and
 *   "for v6.1 ~ v6.7, please use the intel-lts-v6.1 branch", both no longer maintained. The
 *   user's runbook asks for 6.11 or newer on host and guest. So: below 6.1 nothing builds (fail),
 *   below 6.12 only unmaintained releases do (warn).
 * - xe from the same DKMS package (taint O): its xe backport ships only in the releases for 6.12+.
 * - xe in-tree: mainline xe enables SR-IOV PF mode on Tiger/Alder Lake from 6.18 on (users in
 *   PVE-Tools/PVE-Tools-9#97), seen working on 7.0 with an N100 without DKMS
 *   (strongtz/i915-sriov-dkms#429); below that the in-tree xe offers no VFs on these GPUs. */
struct kernel_need {
	const char *driver;
	bool out_of_tree; /* which build of driver the row is for, unless any_build */
	bool any_build;
	unsigned fail_major, fail_minor; /* below this: fail */
	unsigned warn_major, warn_minor; /* below this: warn */
	const char *build;               /* names what needs it, for the detail */
	const char *fix;
};

static const struct kernel_need needs[] = {
	{"i915", false, true, 6, 1, 6, 12, "i915-sriov-dkms",
	 "boot a kernel >= 6.12 with its headers (Proxmox VE: apt install proxmox-kernel-6.17 "
	 "proxmox-headers-6.17), then install the current i915-sriov-dkms release"},
	{"xe", true, false, 6, 12, 6, 12, "the xe of i915-sriov-dkms",
	 "boot a kernel >= 6.12 with its headers, then install the current i915-sriov-dkms release"},
	{"xe", false, false, 6, 18, 6, 18, "in-tree xe SR-IOV (PF mode on Alder Lake)",
	 "boot a kernel >= 6.18, or use i915-sriov-dkms with module_blacklist=xe on the command line"},
};

int
check_kernel_version(const char *release, unsigned *ret_major, unsigned *ret_minor)
{
	unsigned v[2] = {0, 0};
	const char *p = release;

	for (size_t i = 0; i < 2; i++) {
		size_t digits = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (++digits > 4)
				return -EINVAL;
			v[i] = v[i] * 10 + (unsigned)(*p - '0');
		}
		if (digits == 0 || (i == 0 && *p != '.'))
			return -EINVAL;
		if (i == 0)
			p++;
	}
	*ret_major = v[0];
	*ret_minor = v[1];
	return 0;
}

static bool
below(unsigned major, unsigned minor, unsigned want_major, unsigned want_minor)
{
	return major < want_major || (major == want_major && minor < want_minor);
}

void
check_kernel_eval(const struct expo *e, struct check_result *ret)
{
	struct check_driver d;
	unsigned major, minor;

	if (check_collector_unusable(e, "kernel", ret))
		return;
	const char *release = check_running_kernel(e);
	if (release == NULL || check_kernel_version(release, &major, &minor) < 0) {
		check_set(ret, CHECK_WARN, "not checked: the running kernel's release %s%s%s",
			  release != NULL ? "'" : "", release != NULL ? release : "is unknown",
			  release != NULL ? "' has no <major>.<minor>" : "");
		return;
	}
	check_driver(e, &d);
	if (d.name == NULL) {
		check_set(ret, CHECK_WARN,
			  "%s; not checked: neither i915 nor xe is loaded or bound, so the driver "
			  "whose minimum applies is unknown",
			  release);
		return;
	}
	const struct kernel_need *n = NULL;
	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]) && n == NULL; i++) {
		if (strcmp(needs[i].driver, d.name) == 0 &&
		    (needs[i].any_build || needs[i].out_of_tree == d.out_of_tree))
			n = &needs[i];
	}
	if (n == NULL)
		return; /* every driver check_driver() returns has its rows */
	if (below(major, minor, n->fail_major, n->fail_minor)) {
		check_set(ret, CHECK_FAIL, "%s is too old: %s needs %u.%u or newer (%s, %s)", release,
			  n->build, n->fail_major, n->fail_minor, d.name, d.from);
		check_fix(ret, "%s", n->fix);
	} else if (below(major, minor, n->warn_major, n->warn_minor)) {
		check_set(ret, CHECK_WARN,
			  "%s: only unmaintained %s releases support kernels below %u.%u (%s, %s)",
			  release, n->build, n->warn_major, n->warn_minor, d.name, d.from);
		check_fix(ret, "%s", n->fix);
	} else {
		check_set(ret, CHECK_PASS, "%s; %s needs %u.%u or newer (%s, %s)", release, n->build,
			  n->warn_major, n->warn_minor, d.name, d.from);
	}
}

/* enable_guc is a bit set: bit 0 GuC submission, bit 1 HuC loading; -1 lets i915 choose per
 * platform. SR-IOV needs submission; the runbook (and the i915-sriov-dkms README) set 3. The
 * module collector reads an int; the range check keeps the conversion defined for any double. */
bool
check_guc_param(const struct expo *e, int64_t *ret)
{
	struct expo_label m[] = {{"module", "i915"}, {"param", "enable_guc"}};
	double v;

	if (!expo_value(e, "gpu_sriov_module_param", m, 2, &v) || !(v >= INT32_MIN && v <= INT32_MAX))
		return false;
	*ret = (int64_t)v;
	return true;
}

bool
check_guc_submits(int64_t guc)
{
	return guc > 0 && (guc & 1) != 0;
}

static void
guc_eval(const struct expo *e, struct check_result *ret, const char *fix)
{
	struct check_driver d;
	int64_t guc;

	check_driver(e, &d);
	if (d.name != NULL && strcmp(d.name, "xe") == 0) {
		check_set(ret, CHECK_PASS, "xe always submits through GuC");
		return;
	}
	if (check_collector_unusable(e, "module", ret))
		return;
	if (d.name == NULL || !d.loaded) {
		check_set(ret, CHECK_WARN, "not checked: i915 is not loaded");
		return;
	}
	if (!check_guc_param(e, &guc)) {
		check_set(ret, CHECK_WARN,
			  "not checked: i915 is loaded but its enable_guc parameter was not readable");
		return;
	}
	if (check_guc_submits(guc) && (guc & 2) != 0) {
		check_set(ret, CHECK_PASS, "i915.enable_guc=%lld: GuC submission and HuC",
			  (long long)guc);
		return;
	}
	if (check_guc_submits(guc))
		check_set(ret, CHECK_WARN, "i915.enable_guc=%lld: GuC submission without HuC; the "
			  "runbook sets 3", (long long)guc);
	else if (guc < 0)
		check_set(ret, CHECK_WARN, "i915.enable_guc=%lld: i915 chooses per platform; SR-IOV "
			  "needs GuC submission, set 3 explicitly", (long long)guc);
	else
		check_set(ret, CHECK_FAIL, "i915.enable_guc=%lld: GuC submission is off, so the GPU "
			  "cannot run SR-IOV", (long long)guc);
	check_fix(ret, "%s", fix);
}

void
check_guc_host_eval(const struct expo *e, struct check_result *ret)
{
	guc_eval(e, ret,
		 "add i915.enable_guc=3 to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, then "
		 "update-grub and reboot");
}

void
check_guc_guest_eval(const struct expo *e, struct check_result *ret)
{
	guc_eval(e, ret,
		 "echo 'options i915 enable_guc=3' > /etc/modprobe.d/i915.conf && "
		 "update-initramfs -u && reboot");
}
