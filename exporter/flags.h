/* Command-line parsing (node_exporter flag names). Pure: no I/O, so every bad-input path is unit
 * tested; main() prints the error and exits 2. */
#ifndef EXPORTER_FLAGS_H
#define EXPORTER_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "collector.h"
#include "log.h"

#define DEFAULT_PORT "9863"
#define DEFAULT_HELPER_SOCKET "/run/gpu-sriov-exporter/helper.sock"

enum config_action {
	ACTION_RUN,
	ACTION_HELP,
	ACTION_VERSION,
};

struct config {
	enum config_action action;
	const char **listen; /* array owned, strings borrowed from argv or static */
	size_t nlisten;
	bool systemd_socket;
	const char *telemetry_path;
	const char *web_config_file; /* NULL when unset */
	uint64_t max_requests;       /* 0 = unlimited */
	uint64_t max_connections;    /* at least 1 */
	uint64_t max_connections_per_ip; /* 0 = unlimited */
	int64_t idle_timeout_ns;     /* 1 s to 1 h */
	bool disable_exporter_metrics;
	const char *sysfs;
	const char *procfs;
	const char *rootfs;
	bool once;
	bool check;          /* --check: print the preflight report and exit */
	bool check_json;     /* --output=json (only with --check) */
	const char *output;  /* --output as given, NULL when absent */
	enum log_level log_level;
	enum log_format log_format;
	bool *collector_enabled; /* owned, one per descriptor passed to flags_parse() */
	const char **expected_vfs; /* "BDF=N", validated; array owned, strings borrowed */
	size_t nexpected_vfs;
	const char **device_classes; /* hex class prefixes, validated; NULL = display only */
	size_t ndevice_classes;
	bool watchdog_enable;
	int64_t watchdog_interval_ns;
	bool watchdog_force_partial;
	const char *watchdog_pf_drivers; /* validated comma list */
	const char *watchdog_vfio_vfs;   /* validated comma list of BDFs, "" = none */
	const char *watchdog_exec;       /* absolute path or NULL */
	uint64_t watchdog_max_repairs;
	int64_t watchdog_window_ns;
	bool watchdog_dry_run;
	const char *watchdog_helper_socket;
};

/* Parses argv into *ret (defaults applied first). The collectors' names come from ops. Returns 0,
 * or -EINVAL with a one-line message in err. On failure *ret holds nothing to free. */
int flags_parse(int argc, char **argv, const struct collector_ops *const *ops, size_t nops,
		struct config *ret, char *err, size_t errlen);
void config_free(struct config *c);

/* Writes the --help text, every flag with its default. */
void flags_usage(FILE *out, const struct collector_ops *const *ops, size_t nops);

/* Splits "[HOST]:PORT" / "HOST:PORT" / ":PORT" into host (empty = every address) and port.
 * Returns 0 or -EINVAL; host and port are NUL-terminated copies in the caller's buffers. */
int flags_split_address(const char *addr, char *host, size_t hostlen, char *port, size_t portlen);

#endif
