/* The exporter's side of the privileged helper's socket. Side: unprivileged. Connects, learns
 * the helper's allowlist (which PFs, which counts, which VFs may go to vfio-pci) and sends fixed
 * requests by index. Not thread-safe: the watchdog thread owns it. */
#ifndef EXPORTER_HELPER_CLIENT_H
#define EXPORTER_HELPER_CLIENT_H

#include <stdint.h>

struct helper_client;

/* Connects to the SOCK_SEQPACKET socket at path (absolute; resolved below root_fd so a fixture
 * root can hold it) and reads the allowlist. Returns 0 and *ret (free with
 * helper_client_close()) or -errno. */
int helper_client_connect(int root_fd, const char *path, struct helper_client **ret);
void helper_client_close(struct helper_client *h);

/* The count the helper allows for PF bdf and its index; -ENOENT when not allowlisted. */
int helper_client_pf(const struct helper_client *h, const char *bdf, unsigned *ret_count,
		     uint32_t *ret_index);
/* The index of VF bdf in the helper's vfio allowlist; -ENOENT when not allowlisted. */
int helper_client_vf(const struct helper_client *h, const char *bdf, uint32_t *ret_index);

/* Asks for sriov_numvfs = value on PF index. Returns the helper's answer (0 or -errno) and the
 * VFs present afterwards in *ret_count; -EPIPE/-ECONNRESET when the helper went away (the caller
 * reconnects). */
int helper_client_set_numvfs(struct helper_client *h, uint32_t index, uint32_t value,
			     uint32_t *ret_count);
int helper_client_bind_vfio(struct helper_client *h, uint32_t index);

#endif
