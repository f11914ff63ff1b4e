/* Liveness check shared by the systemd watchdog ping and /healthz. */
#include <stdatomic.h>

#include "health.h"
#include "log.h"
#include "watchdog.h"

void
health_init(struct health *h, struct scraper *scraper, struct watchdog *watchdog, int64_t now_ns)
{
	h->scraper = scraper;
	h->watchdog = watchdog;
	atomic_store(&h->heartbeat, now_ns);
}

void
health_beat(struct health *h, int64_t now_ns)
{
	atomic_store(&h->heartbeat, now_ns);
}

bool
health_check_at(struct health *h, int64_t now_ns, const char **ret_reason)
{
	if (now_ns - atomic_load(&h->heartbeat) > HEALTH_HEARTBEAT_STALE_NS) {
		*ret_reason = "main loop stalled";
		return false;
	}
	if (!scraper_healthy(h->scraper, now_ns, HEALTH_STUCK_NS)) {
		*ret_reason = "collection stuck for more than 60s";
		return false;
	}
	if (!watchdog_healthy(h->watchdog, now_ns)) {
		*ret_reason = "watchdog thread stalled";
		return false;
	}
	return true;
}

bool
health_check(void *arg, const char **ret_reason)
{
	return health_check_at(arg, monotonic_ns(), ret_reason);
}
