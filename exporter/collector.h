/* The interface between the core and the collectors: a collector is one static descriptor; its
 * private state hangs off an opaque struct collector owned by the registry. This is the only core
 * header a collector includes besides sysfs.h, parse.h, log.h and expo.h. */
#ifndef EXPORTER_COLLECTOR_H
#define EXPORTER_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "expo.h"

/* Root directory handles (O_PATH) for --path.sysfs, --path.procfs and --path.rootfs. Every file a
 * collector touches is opened relative to one of them. Borrowed: owned by main(). */
struct roots {
	int sys;
	int proc;
	int root;
};

/* Command-line settings collectors use; validated by the flag parser. Borrowed from main(). */
struct watchdog;

struct collector_options {
	const char *const *expected_vfs; /* "BDF=N" from --sriov.expected-vfs */
	size_t nexpected_vfs;
	struct watchdog *watchdog;       /* NULL without --watchdog.enable */
};

/* How stale a collector's cached view of rarely changing files may get. Collectors that cache
 * (dkms, kernel, iommu, module through attr.h, kmsg's list of GPU functions) look at their
 * sources again at most this often, so a change on disk shows in the first scrape that starts
 * this long after it. 5 s is below any sensible scrape interval (Prometheus: 15 s to 1 min), so a
 * single Prometheus still gets a fresh view on every scrape; only clients polling faster (several
 * servers, dashboards, load tests) share one, and that is the load this bound exists for. Alerts
 * on these facts wait minutes (for:), so 5 s never delays one noticeably. */
#define COLLECTOR_RECHECK_NS (5LL * 1000000000LL)

struct collector;

struct collector_ops {
	const char *name;    /* flag suffix and value of the collector= label */
	const char *help;    /* one line for --help */
	bool default_enabled;
	/* Sets up state (may be NULL). A negative return is retried with backoff before collect. */
	int (*init)(struct collector *c, const struct roots *roots);
	/* Adds this scrape's samples to out; -errno marks the collector failed and its samples are
	 * discarded. Called with no other collect of any collector running. */
	int (*collect)(struct collector *c, struct expo *out);
	/* Frees state (may be NULL); also called after a failed init. */
	void (*fini)(struct collector *c);
};

/* Private state: borrowed pointer stored for the collector, which frees it in fini. */
void collector_set_data(struct collector *c, void *data);
void *collector_get_data(const struct collector *c);
/* The roots given to init, valid for the collector's lifetime. */
const struct roots *collector_roots(const struct collector *c);
const char *collector_name(const struct collector *c);
/* Different for every scrape of every registry in the process (it grows): lets collectors share
 * a costly read within one scrape. */
uint64_t collector_scrape_id(const struct collector *c);
/* The command-line settings; never NULL (empty when none were given). */
const struct collector_options *collector_options(const struct collector *c);

/* Reports one value skipped because the system returned unusable data (garbage, a directory or
 * FIFO where a file should be, a dangling link). what names the source, e.g. a relative path; err
 * is a positive errno. Logged once per distinct what for the life of the process; counted in
 * gpu_sriov_scrape_collector_skipped_values for this scrape. c may be NULL (code shared with the
 * watchdog): then the value is only logged at debug level. */
void collector_skip(struct collector *c, const char *what, int err);

#endif
