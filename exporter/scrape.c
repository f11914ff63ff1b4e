/* Scrape orchestration. Collection is serialised (collectors keep state and caches that are not
 * thread-safe), and requests that arrive while a collection runs share the next one: each
 * request gets the result of a collection that started after it arrived, so nothing served is
 * older than the request, yet 16 concurrent scrapers cost about one collection, not 16 in a row.
 * Rendering happens outside the collection lock, once per format and result. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"
#include "scrape.h"
#include "version.h"
#include "xalloc.h"

/* One collection, shared by every request that waited for it. */
struct result {
	atomic_uint refs;
	size_t ok;
	pthread_mutex_t lock; /* serialises rendering */
	struct expo *e;
	struct buf body[2];   /* per enum expo_format, rendered on first use */
	atomic_bool rendered[2]; /* set (release) once body[f] is final: then read without the lock */
};

struct scraper {
	struct registry *registry;
	bool exporter_metrics;
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t done_cond;
	uint64_t started;      /* collections started so far */
	uint64_t done;         /* number of the last one finished */
	bool running;
	struct result *latest; /* result of collection number done */
	_Atomic int64_t running_since; /* monotonic ns of the collection in progress, 0 if none */
	double start_time;             /* wall clock seconds at creation */
};

static struct result *
result_ref(struct result *r)
{
	atomic_fetch_add(&r->refs, 1);
	return r;
}

static void
result_put(struct result *r)
{
	if (r == NULL || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	expo_free(r->e);
	buf_free(&r->body[0]);
	buf_free(&r->body[1]);
	(void)pthread_mutex_destroy(&r->lock);
	free(r);
}

struct scraper *
scraper_new(struct registry *registry, bool exporter_metrics)
{
	struct scraper *s = xcalloc(1, sizeof(*s));
	struct timespec now;

	s->registry = registry;
	s->exporter_metrics = exporter_metrics;
	(void)pthread_mutex_init(&s->lock, NULL);
	(void)pthread_cond_init(&s->done_cond, NULL);
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
	result_put(s->latest);
	(void)pthread_cond_destroy(&s->done_cond);
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

/* Runs one collection; called by the request that leads it, without s->lock. */
static struct result *
collect(struct scraper *s, int64_t deadline_ns)
{
	struct result *r = xcalloc(1, sizeof(*r));

	atomic_init(&r->refs, 1);
	atomic_init(&r->rendered[0], false);
	atomic_init(&r->rendered[1], false);
	(void)pthread_mutex_init(&r->lock, NULL);
	r->body[0] = r->body[1] = (struct buf)BUF_INIT;
	r->e = expo_new();
	atomic_store(&s->running_since, monotonic_ns());
	r->ok = registry_collect(s->registry, r->e, deadline_ns);
	if (s->exporter_metrics)
		add_exporter_metrics(s, r->e);
	atomic_store(&s->running_since, 0);
	return r;
}

/* Waits for (or runs) a collection that starts after this call began, and returns it. */
static struct result *
fresh_result(struct scraper *s, int64_t deadline_ns)
{
	(void)pthread_mutex_lock(&s->lock);
	uint64_t want = s->started + 1;
	while (s->done < want) {
		if (s->running) {
			(void)pthread_cond_wait(&s->done_cond, &s->lock);
			continue;
		}
		s->running = true;
		uint64_t n = ++s->started;
		(void)pthread_mutex_unlock(&s->lock);
		struct result *r = collect(s, deadline_ns);
		(void)pthread_mutex_lock(&s->lock);
		result_put(s->latest);
		s->latest = r;
		s->done = n;
		s->running = false;
		(void)pthread_cond_broadcast(&s->done_cond);
	}
	struct result *r = result_ref(s->latest);
	(void)pthread_mutex_unlock(&s->lock);
	return r;
}

size_t
scraper_run(struct scraper *s, enum expo_format format, int64_t deadline_ns, struct buf *out)
{
	struct result *r = fresh_result(s, deadline_ns);
	int f = format == EXPO_FORMAT_OPENMETRICS ? 1 : 0;

	if (!atomic_load_explicit(&r->rendered[f], memory_order_acquire)) {
		(void)pthread_mutex_lock(&r->lock);
		if (!atomic_load_explicit(&r->rendered[f], memory_order_relaxed)) {
			expo_render(r->e, format, &r->body[f]);
			atomic_store_explicit(&r->rendered[f], true, memory_order_release);
		}
		(void)pthread_mutex_unlock(&r->lock);
	}
	buf_append(out, r->body[f].data, r->body[f].len);
	size_t ok = r->ok;
	result_put(r);
	return ok;
}

void
scraper_view(struct scraper *s, int64_t deadline_ns,
	     void (*fn)(const struct expo *e, size_t ok, void *arg), void *arg)
{
	struct result *r = fresh_result(s, deadline_ns);

	(void)pthread_mutex_lock(&r->lock);
	/* Rendering sorts too, under the same lock; sorting a sorted builder changes nothing. */
	(void)expo_sort(r->e);
	fn(r->e, r->ok, arg);
	(void)pthread_mutex_unlock(&r->lock);
	result_put(r);
}

bool
scraper_healthy(struct scraper *s, int64_t now_ns, int64_t stuck_ns)
{
	int64_t since = atomic_load(&s->running_since);
	return since == 0 || now_ns - since < stuck_ns;
}
