/* Liveness as systemd's watchdog and /healthz see it: the main loop keeps beating and no
 * collection has been stuck for long. One check serves both, so they cannot disagree. */
#ifndef EXPORTER_HEALTH_H
#define EXPORTER_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "scrape.h"

/* The main loop beats at least once a second; five seconds of silence means it is stalled. */
#define HEALTH_HEARTBEAT_STALE_NS (5LL * 1000000000LL)
/* A collection running longer than this is stuck (a read hangs in the kernel). */
#define HEALTH_STUCK_NS (60LL * 1000000000LL)

struct watchdog;

struct health {
	_Atomic int64_t heartbeat; /* monotonic ns of the main loop's last beat */
	struct scraper *scraper;   /* borrowed */
	struct watchdog *watchdog; /* borrowed; NULL when not enabled */
};

/* watchdog may be NULL. */
void health_init(struct health *h, struct scraper *scraper, struct watchdog *watchdog,
		 int64_t now_ns);
void health_beat(struct health *h, int64_t now_ns);

/* True when healthy at now_ns; otherwise *ret_reason (static text) says why. Thread-safe. */
bool health_check_at(struct health *h, int64_t now_ns, const char **ret_reason);
/* health_check_at() now; arg is a struct health. Fits http_options.healthy. */
bool health_check(void *arg, const char **ret_reason);

#endif
