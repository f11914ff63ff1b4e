/* Command-line flags of the privileged helper. Side: privileged helper. The allowlist comes
 * only from here, i.e. from the root-owned unit file or its EnvironmentFile, never from the
 * socket. Pure: no I/O, so every bad-input path is unit tested; main() prints and exits 2. */
#ifndef EXPORTER_HELPER_CONFIG_H
#define EXPORTER_HELPER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "helper_apply.h"
#include "log.h"

#define HELPER_DEFAULT_LISTEN "/run/gpu-sriov-exporter/helper.sock"

enum helper_action {
	HELPER_ACTION_RUN,
	HELPER_ACTION_HELP,
	HELPER_ACTION_VERSION,
};

struct helper_config {
	enum helper_action action;
	const char *sysfs;        /* strings borrowed from argv or static */
	const char *rootfs;
	const char *listen;       /* absolute path of the socket */
	const char *socket_group; /* NULL: leave the group as created */
	bool systemd_socket;
	enum log_level log_level;
	struct helper_policy policy; /* intervals: HELPER_MIN_INTERVAL_NS, HELPER_VERIFY_NS */
};

/* Parses argv into *ret (defaults first). Returns 0, or -EINVAL with a one-line message in err;
 * *ret is written only on success. Nothing to free. */
int helper_config_parse(int argc, char **argv, struct helper_config *ret, char *err,
			size_t errlen);

/* Writes the --help text, every flag with its default. */
void helper_config_usage(FILE *out);

#endif
