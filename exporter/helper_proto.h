/* The wire protocol between the unprivileged exporter (watchdog side) and the privileged helper
 * that writes sysfs. Side: both. Requests and responses are fixed-size datagrams on a
 * SOCK_SEQPACKET unix socket; a datagram of any other size, or an unknown op, is fatal for the
 * connection. No path ever crosses it: targets are indexes into the helper's own allowlist. */
#ifndef EXPORTER_HELPER_PROTO_H
#define EXPORTER_HELPER_PROTO_H

#include <stdint.h>

#define HELPER_PROTO_VERSION 1

enum helper_op {
	/* value = HELPER_PROTO_VERSION the client speaks (-EPROTONOSUPPORT otherwise), target 0
	 * -> rc 0, value = number of PF targets, count2 = number of VF (vfio) targets, bdf = "" */
	HELPER_OP_HELLO = 1,
	/* target = PF index -> rc 0, bdf = the PF, value = the VF count it may be set to;
	 * -ENOENT past the end */
	HELPER_OP_DESCRIBE_PF = 2,
	/* target = VF index -> rc 0, bdf = the VF that may be bound to vfio-pci */
	HELPER_OP_DESCRIBE_VF = 3,
	/* target = PF index, value = VF count: the helper re-checks every precondition itself and
	 * writes sriov_numvfs once -> rc 0 and value = VFs present afterwards, or -errno: -EPERM
	 * value not the allowed count, -EBUSY VFs present (partial count), -ENODEV PF driver not
	 * allowed or unbound, -ERANGE above sriov_totalvfs, -ENOTSUP module without SR-IOV, -EAGAIN
	 * rate limit (one write per PF per 10 s), -ENOENT PF gone, -EIO written but the count did
	 * not follow, or the kernel's errno from the write; value holds the VF count also on
	 * failure */
	HELPER_OP_SET_NUMVFS = 4,
	/* target = VF index, value 0: driver_override=vfio-pci, unbind, drivers_probe -> rc 0, or
	 * -EPERM not allowlisted, -ENODEV not a VF, -ENOENT gone, -ENOTSUP vfio-pci not loaded,
	 * -EAGAIN rate limit, -EIO the driver did not change */
	HELPER_OP_BIND_VFIO = 5,
};

struct helper_req {
	uint32_t op;
	uint32_t target;
	uint32_t value;
};

struct helper_resp {
	int32_t rc; /* 0 or -errno */
	uint32_t value;
	uint32_t count2;
	char bdf[16]; /* NUL-terminated "dddd:bb:dd.f" or "" */
};

/* The sizes are the protocol: both sides must agree byte for byte. */
_Static_assert(sizeof(struct helper_req) == 12, "helper_req is 12 bytes on the wire");
_Static_assert(sizeof(struct helper_resp) == 28, "helper_resp is 28 bytes on the wire");

#endif
