/* The privileged helper's request decoder and its two sysfs writes. Side: privileged helper.
 * Everything here works on (policy, rate-limit memory, sysfs dirfd, request, clock value) and
 * nothing else: no global state, no path that is not relative to the dirfd. Tests therefore run
 * it on a mkdtemp() copy of a fixture tree and have no way to reach the real /sys. */
#ifndef EXPORTER_HELPER_APPLY_H
#define EXPORTER_HELPER_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "helper_proto.h"
#include "parse.h"

/* Allowlist sizes; the exporter's client (helper_client.c) accepts at most 64 of each. */
#define HELPER_MAX_PFS 64
#define HELPER_MAX_VFS 64
#define HELPER_MAX_PF_DRIVERS 8
#define HELPER_DRIVER_SIZE 64
/* At most one write attempt per target in this interval, whatever the exporter asks: a
 * compromised or buggy exporter cannot hammer a PF whose writes have hung hosts. */
#define HELPER_MIN_INTERVAL_NS (10LL * 1000000000LL)
/* How long a write's effect is re-checked before it counts as failed. The kernel creates the
 * virtfn links and binds drivers before the write returns, so on real hardware the first check
 * decides; the grace only tolerates a slower stand-in and costs nothing on success. */
#define HELPER_VERIFY_NS (1000LL * 1000000LL)

/* A PF the helper may write sriov_numvfs of, and the only value it may write there. */
struct helper_pf {
	char bdf[PARSE_BDF_SIZE];
	uint32_t count;
};

/* The allowlist and the rules, filled from the helper's own command line (its root-owned unit
 * or EnvironmentFile), never from the client. Targets in requests are indexes into pfs / vfs. */
struct helper_policy {
	struct helper_pf pfs[HELPER_MAX_PFS];
	uint32_t npfs;
	char vfs[HELPER_MAX_VFS][PARSE_BDF_SIZE]; /* VFs that may be bound to vfio-pci */
	uint32_t nvfs;
	char pf_drivers[HELPER_MAX_PF_DRIVERS][HELPER_DRIVER_SIZE];
	uint32_t npf_drivers;
	bool force_partial;      /* a partial count may be written as 0, then N */
	int64_t min_interval_ns; /* between two write attempts on one target */
	int64_t verify_ns;       /* re-check a write's effect for up to this long */
};

/* Per-target rate-limit memory: no write attempt before these CLOCK_MONOTONIC times. Start
 * zeroed; only the helper_* functions below change it. */
struct helper_limits {
	int64_t pf_next[HELPER_MAX_PFS];
	int64_t vf_next[HELPER_MAX_VFS];
};

/* Checks that buf is exactly one struct helper_req with a known op and copies it into *ret.
 * Returns 0, -EMSGSIZE for any other length or -EBADMSG for an unknown op; *ret is untouched
 * then. Either error means the peer does not speak the protocol: drop the connection. */
int helper_decode(const void *buf, size_t len, struct helper_req *ret);

/* Answers one decoded request into *ret (fully written, bdf always NUL-terminated): HELLO and
 * DESCRIBE_* from the policy, SET_NUMVFS and BIND_VFIO through the functions below. now_ns is
 * CLOCK_MONOTONIC. -EINVAL for fields helper_proto.h says must be 0 and are not. */
void helper_handle(const struct helper_policy *p, struct helper_limits *lim, int sys_fd,
		   const struct helper_req *req, int64_t now_ns, struct helper_resp *ret);

/* SET_NUMVFS on PF index target, below sys_fd (the sysfs root). Checks, in this order: target
 * allowlisted and value == its count (-EPERM); the PF's driver is one of pf_drivers (-ENODEV,
 * also when unbound); module/<driver>/parameters/max_vfs exists (-ENOTSUP); sriov_totalvfs >=
 * value (-ERANGE; -ENOTSUP without the attribute); the virtfn* links: value present -> 0
 * without writing, another non-zero count -> -EBUSY unless force_partial; the rate limit
 * (-EAGAIN). Then one write() of "N\n" (after "0\n" for a forced partial count), the kernel's
 * errno returned unchanged, and the virtfn* links counted again (for up to verify_ns): 0
 * when value are present, -EIO otherwise. *ret_count is always set to the last count seen (0 before the first count),
 * also on failure, because the caller reports it either way. Logs every decision at info. */
int helper_set_numvfs(const struct helper_policy *p, struct helper_limits *lim, int sys_fd,
		      uint32_t target, uint32_t value, int64_t now_ns, uint32_t *ret_count);

/* BIND_VFIO on VF index target: refuses with -EPERM past the allowlist, -ENOENT when the
 * device is gone, -ENODEV when it is not a VF (no physfn link), -ENOTSUP when vfio-pci is not
 * loaded, -EAGAIN inside the rate limit. Already on vfio-pci -> 0 without writing. Otherwise
 * writes "vfio-pci" to driver_override, the BDF to driver/unbind when bound elsewhere, the BDF
 * to bus/pci/drivers_probe, and checks that the driver link names vfio-pci (for up to
 * verify_ns; -EIO if not).
 * A failing write returns the kernel's errno. Logs every decision at info. */
int helper_bind_vfio(const struct helper_policy *p, struct helper_limits *lim, int sys_fd,
		     uint32_t target, int64_t now_ns);

#endif
