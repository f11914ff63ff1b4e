/* Scrape orchestration: serialises collection (collectors keep state and caches that are not
 * thread-safe), and renders outside the lock so slow clients never hold up collection. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"
#include "scrape.h"
#include "version.h"
#include "xalloc.h"

struct scraper {
	struct registry *registry;
	bool exporter_metrics;
	pthread_mutex_t lock;
	_Atomic int64_t running_since; /* monotonic ns of the collection in progress, 0 if none */
	double start_time;             /* wall clock seconds at creation */
};

struct scraper *
scraper_new(struct registry *registry, bool exporter_metrics)
{
	struct scraper *s = xcalloc(1, sizeof(*s));
	struct timespec now;

	s->registry = registry;
	s->exporter_metrics = exporter_metrics;
	(void)pthread_mutex_init(&s->lock, NULL);
	atomic_store(&s->running_since, 0);
	(void)clock_gettime(CLOCK_REALTIME, &now);
	s->start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	return s;
}

void
scraper_free(struct scraper *s)
{
	if (s == NULL)
		return;
	(void)pthread_mutex_destroy(&s->lock);
	free(s);
}

static void
add_exporter_metrics(struct scraper *s, struct expo *out)
{
	struct timespec cpu;

	(void)expo_add(out, "gpu_sriov_build_info", EXPO_GAUGE,
		       "Version of gpu_sriov_exporter and how it was built; always 1.", 1,
		       EXPO_LABELS({"version", version_number}, {"revision", version_revision},
				   {"branch", version_branch}, {"compiler", version_compiler}));
	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	(void)expo_add(out, "process_cpu_seconds_total", EXPO_COUNTER,
		       "Total user and system CPU time spent in seconds.",
		       (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9, NULL, 0);
	(void)expo_add(out, "process_start_time_seconds", EXPO_GAUGE,
		       "Start time of the process since unix epoch in seconds.", s->start_time, NULL,
		       0);
}

size_t
scraper_run(struct scraper *s, enum expo_format format, int64_t deadline_ns, struct buf *out)
{
	struct expo *e = expo_new();

	(void)pthread_mutex_lock(&s->lock);
	atomic_store(&s->running_since, monotonic_ns());
	size_t ok = registry_collect(s->registry, e, deadline_ns);
	atomic_store(&s->running_since, 0);
	(void)pthread_mutex_unlock(&s->lock);

	if (s->exporter_metrics)
		add_exporter_metrics(s, e);
	expo_render(e, format, out);
	expo_free(e);
	return ok;
}

bool
scraper_healthy(struct scraper *s, int64_t now_ns, int64_t stuck_ns)
{
	int64_t since = atomic_load(&s->running_since);
	return since == 0 || now_ns - since < stuck_ns;
}
