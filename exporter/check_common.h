/* The --check checks both tables hold: is the running kernel new enough for the SR-IOV driver in
 * use, and does i915 submit through GuC (which a PF and a VF both need)? */
#ifndef EXPORTER_CHECK_COMMON_H
#define EXPORTER_CHECK_COMMON_H

#include "check.h"
#include "expo.h"

/* Major and minor of a kernel release ("6.17.4-2-pve" -> 6, 17). Returns 0, or -EINVAL when
 * release does not start with <major>.<minor>. */
int check_kernel_version(const char *release, unsigned *ret_major, unsigned *ret_minor);

void check_kernel_eval(const struct expo *e, struct check_result *ret);
/* GuC submission: the fix is the kernel command line on a host and modprobe.d in a guest (the
 * runbook's fallback for guests). */
void check_guc_host_eval(const struct expo *e, struct check_result *ret);
void check_guc_guest_eval(const struct expo *e, struct check_result *ret);

#endif
