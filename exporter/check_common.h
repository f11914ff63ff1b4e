/* The --check checks both tables hold: is the running kernel new enough for the SR-IOV driver in
 * use, and does i915 submit through GuC (which a PF and a VF both need)? The host's command line
 * check reads enable_guc through the same helpers. */
#ifndef EXPORTER_CHECK_COMMON_H
#define EXPORTER_CHECK_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "expo.h"

/* Major and minor of a kernel release ("6.17.4-2-pve" -> 6, 17). Returns 0, or -EINVAL when
 * release does not start with <major>.<minor>. */
int check_kernel_version(const char *release, unsigned *ret_major, unsigned *ret_minor);

void check_kernel_eval(const struct expo *e, struct check_result *ret);

/* i915's enable_guc as loaded (gpu_sriov_module_param). Returns false, leaving *ret alone, when
 * it was not read or is no int. */
bool check_guc_param(const struct expo *e, int64_t *ret);
/* Whether an enable_guc value turns GuC submission on (bit 0; -1 leaves it to i915). */
bool check_guc_submits(int64_t guc);
/* GuC submission: the fix is the kernel command line on a host and modprobe.d in a guest (the
 * runbook's fallback for guests). */
void check_guc_host_eval(const struct expo *e, struct check_result *ret);
void check_guc_guest_eval(const struct expo *e, struct check_result *ret);

#endif
