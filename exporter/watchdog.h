/* The VF watchdog: notices a PF that lost its VFs (udev events, plus a periodic check), decides
 * with watchdog_policy.c whether a repair is safe, and asks the privileged helper to write
 * sriov_numvfs. Side: unprivileged (runs in the exporter process, on its own thread). */
#ifndef EXPORTER_WATCHDOG_H
#define EXPORTER_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

#include "collector.h"
#include "expo.h"

struct watchdog_config {
	int64_t interval_ns;
	bool force_partial;
	const char *pf_drivers;   /* comma list */
	const char *vfio_vfs;     /* comma list of BDFs, "" = none */
	const char *exec;         /* hook, NULL = none */
	unsigned max_repairs;
	int64_t window_ns;
	bool dry_run;
	const char *helper_socket; /* absolute, resolved below rootfs */
};

struct watchdog;

/* Starts the watchdog thread. roots and opts (the expected VF counts) are borrowed for its life.
 * Returns 0 and *ret (stop with watchdog_stop()) or -errno. */
int watchdog_start(const struct watchdog_config *cfg, const struct roots *roots,
		   const struct collector_options *opts, struct watchdog **ret);
/* Stops the thread and frees; NULL-safe. */
void watchdog_stop(struct watchdog *wd);

/* Adds the watchdog metrics (thread-safe; wd may be NULL: then only enabled 0). */
void watchdog_report(struct watchdog *wd, struct expo *out);

/* False when the watchdog thread has not completed a loop for much longer than its interval. */
bool watchdog_healthy(struct watchdog *wd, int64_t now_ns);

#endif
