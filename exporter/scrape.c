/* Scrape orchestration. Collection is serialised (collectors keep state and caches that are not
 * thread-safe). A request that arrives while a collection runs joins it if that collection
 * started at most SCRAPE_JOIN_NS earlier, and otherwise shares the next one: nothing served
 * started more than SCRAPE_JOIN_NS before the request arrived, yet 16 concurrent scrapers cost
 * about one collection, not 16 in a row, and wait for about one, not two.
 * Rendering happens outside the collection lock, once per format and result, and so does gzip
 * compression, once per format and result by the first request that asks for it: 16 clients
 * share one body instead of each copying (and compressing) its own.
 *
 * A request can wait with a thread (scraper_get(): --once, tests) or without one
 * (scraper_request(): the HTTP server, whose connections are suspended meanwhile). Requests
 * without a thread are collected for by a worker thread started with the first of them; whichever
 * thread finishes a collection calls back the waiters it satisfies. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "gzip.h"
#include "log.h"
#include "scrape.h"
#include "version.h"
#include "xalloc.h"

/* States of a body: made on first use, then read without the lock. */
enum body_state { BODY_NONE, BODY_READY, BODY_FAILED };

/* One collection, shared by every request that waited for it. */
struct scrape_result {
	atomic_uint refs;
	size_t ok;
	pthread_mutex_t lock; /* serialises rendering and compression */
	struct expo *e;
	/* [format][gzip]: per enum expo_format, identity or gzip. A state is set (release) once its
	 * body is final; a body whose compression failed stays BODY_FAILED and is not tried again. */
	struct buf body[2][2];
	atomic_int state[2][2];
};

/* A request waiting without a thread: satisfied by collection number want or a later one. */
struct waiter {
	uint64_t want;
	int64_t deadline_ns;
	void (*ready)(void *arg);
	void *arg;
};

struct scraper {
	struct registry *registry;
	bool exporter_metrics;
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t done_cond;
	pthread_cond_t work_cond; /* the worker's: waiters came, a collection ended, or stop */
	struct waiter *waiters;   /* in arrival order, so in order of want */
	size_t nwaiters, capwaiters;
	pthread_t worker;
	bool worker_started;
	bool stopping;
	uint64_t started;      /* collections started so far */
	uint64_t done;         /* number of the last one finished */
	bool running;
	struct scrape_result *latest; /* result of collection number done */
	_Atomic int64_t running_since; /* monotonic ns of the collection in progress, 0 if none */
	double start_time;             /* wall clock seconds at creation */
};

static struct scrape_result *
result_ref(struct scrape_result *r)
{
	atomic_fetch_add(&r->refs, 1);
	return r;
}

void
scrape_result_put(struct scrape_result *r)
{
	if (r == NULL || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	expo_free(r->e);
	for (int f = 0; f < 2; f++) {
		buf_free(&r->body[f][0]);
		buf_free(&r->body[f][1]);
	}
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
	(void)pthread_cond_init(&s->work_cond, NULL);
	atomic_store(&s->running_since, 0);
	(void)clock_gettime(CLOCK_REALTIME, &now);
	s->start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	return s;
}

/* Calls and frees what take_ready() collected; without s->lock, since a callback may take its
 * caller's locks (the HTTP server resumes a connection). */
static void
call_ready(struct waiter *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w[i].ready(w[i].arg);
	free(w);
}

void
scraper_free(struct scraper *s)
{
	if (s == NULL)
		return;
	(void)pthread_mutex_lock(&s->lock);
	s->stopping = true;
	(void)pthread_cond_broadcast(&s->work_cond);
	(void)pthread_mutex_unlock(&s->lock);
	/* Waits for a collection under way, as stopping the HTTP server did when connections
	 * collected on their own threads. */
	if (s->worker_started)
		(void)pthread_join(s->worker, NULL);
	/* Every waiter hears back exactly once: those no collection satisfied, now. */
	call_ready(s->waiters, s->nwaiters);
	scrape_result_put(s->latest);
	(void)pthread_cond_destroy(&s->work_cond);
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
static struct scrape_result *
collect(struct scraper *s, int64_t deadline_ns)
{
	struct scrape_result *r = xcalloc(1, sizeof(*r));

	atomic_init(&r->refs, 1);
	for (int f = 0; f < 2; f++) {
		for (int z = 0; z < 2; z++) {
			atomic_init(&r->state[f][z], BODY_NONE);
			r->body[f][z] = (struct buf)BUF_INIT;
		}
	}
	(void)pthread_mutex_init(&r->lock, NULL);
	r->e = expo_new();
	atomic_store(&s->running_since, monotonic_ns());
	r->ok = registry_collect(s->registry, r->e, deadline_ns);
	if (s->exporter_metrics)
		add_exporter_metrics(s, r->e);
	atomic_store(&s->running_since, 0);
	return r;
}

/* Moves the waiters that collection number s->done satisfies to *ret (caller frees); under
 * s->lock. */
static void
take_ready(struct scraper *s, struct waiter **ret, size_t *ret_n)
{
	size_t n = 0;

	while (n < s->nwaiters && s->waiters[n].want <= s->done)
		n++;
	if (n == 0)
		return;
	*ret = xrealloc(*ret, (*ret_n + n) * sizeof(**ret));
	memcpy(*ret + *ret_n, s->waiters, n * sizeof(**ret));
	*ret_n += n;
	memmove(s->waiters, s->waiters + n, (s->nwaiters - n) * sizeof(*s->waiters));
	s->nwaiters -= n;
}

/* Waits for (or runs) collection number want or a later one, and returns it. */
static struct scrape_result *
result_from(struct scraper *s, int64_t deadline_ns, uint64_t want)
{
	struct waiter *ready = NULL;
	size_t nready = 0;

	(void)pthread_mutex_lock(&s->lock);
	while (s->done < want) {
		if (s->running) {
			(void)pthread_cond_wait(&s->done_cond, &s->lock);
			continue;
		}
		s->running = true;
		uint64_t n = ++s->started;
		(void)pthread_mutex_unlock(&s->lock);
		struct scrape_result *r = collect(s, deadline_ns);
		(void)pthread_mutex_lock(&s->lock);
		scrape_result_put(s->latest);
		s->latest = r;
		s->done = n;
		s->running = false;
		take_ready(s, &ready, &nready);
		(void)pthread_cond_broadcast(&s->done_cond);
		(void)pthread_cond_broadcast(&s->work_cond);
	}
	struct scrape_result *r = result_ref(s->latest);
	(void)pthread_mutex_unlock(&s->lock);
	call_ready(ready, nready);
	return r;
}

/* The collection a request arriving now is answered from (under s->lock): the one under way if
 * it started at most SCRAPE_JOIN_NS ago, otherwise the next. */
static uint64_t
wanted_now(struct scraper *s)
{
	int64_t since = atomic_load(&s->running_since);

	if (s->running && since != 0 && monotonic_ns() - since <= SCRAPE_JOIN_NS)
		return s->started;
	return s->started + 1;
}

/* Waits for (or runs) a collection that started at most SCRAPE_JOIN_NS before this call, and
 * returns it. */
static struct scrape_result *
fresh_result(struct scraper *s, int64_t deadline_ns)
{
	(void)pthread_mutex_lock(&s->lock);
	uint64_t want = wanted_now(s);
	(void)pthread_mutex_unlock(&s->lock);
	return result_from(s, deadline_ns, want);
}

/* Collects for waiters while there are any and no other thread collects. */
static void *
worker_main(void *arg)
{
	struct scraper *s = arg;

	(void)pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->stopping && (s->nwaiters == 0 || s->running))
			(void)pthread_cond_wait(&s->work_cond, &s->lock);
		if (s->stopping)
			break;
		/* The oldest waiter wants the lowest number; the rest want it or the next. */
		uint64_t want = s->waiters[0].want;
		int64_t deadline_ns = s->waiters[0].deadline_ns;
		(void)pthread_mutex_unlock(&s->lock);
		scrape_result_put(result_from(s, deadline_ns, want));
		(void)pthread_mutex_lock(&s->lock);
	}
	(void)pthread_mutex_unlock(&s->lock);
	return NULL;
}

uint64_t
scraper_request(struct scraper *s, int64_t deadline_ns, void (*ready)(void *arg), void *arg)
{
	(void)pthread_mutex_lock(&s->lock);
	if (!s->worker_started) {
		int r = pthread_create(&s->worker, NULL, worker_main, s);
		if (r != 0)
			fatalx("cannot start the collection thread: %s", strerror(r));
		s->worker_started = true;
	}
	uint64_t want = wanted_now(s);
	if (s->nwaiters == s->capwaiters) {
		s->capwaiters = s->capwaiters > 0 ? 2 * s->capwaiters : 16;
		s->waiters = xrealloc(s->waiters, s->capwaiters * sizeof(*s->waiters));
	}
	s->waiters[s->nwaiters++] = (struct waiter){want, deadline_ns, ready, arg};
	(void)pthread_cond_signal(&s->work_cond);
	(void)pthread_mutex_unlock(&s->lock);
	return want;
}

/* Makes body[f][z] under r->lock; the text a gzip body compresses is made first. */
static void
make_body(struct scrape_result *r, int f, int z)
{
	if (atomic_load_explicit(&r->state[f][z], memory_order_relaxed) != BODY_NONE)
		return;
	if (z == 0) {
		expo_render(r->e, f == 1 ? EXPO_FORMAT_OPENMETRICS : EXPO_FORMAT_TEXT,
			    &r->body[f][0]);
		atomic_store_explicit(&r->state[f][0], BODY_READY, memory_order_release);
		return;
	}
	make_body(r, f, 0);
	int ok = gzip_compress(r->body[f][0].data, r->body[f][0].len, &r->body[f][1]);
	atomic_store_explicit(&r->state[f][1], ok == 0 ? BODY_READY : BODY_FAILED,
			      memory_order_release);
}

/* Fills *ret from r, handing the caller r's reference. */
static void
body_of(struct scrape_result *r, enum expo_format format, bool gzip, struct scrape_body *ret)
{
	int f = format == EXPO_FORMAT_OPENMETRICS ? 1 : 0;
	int z = gzip ? 1 : 0;

	if (atomic_load_explicit(&r->state[f][z], memory_order_acquire) == BODY_NONE) {
		(void)pthread_mutex_lock(&r->lock);
		make_body(r, f, z);
		(void)pthread_mutex_unlock(&r->lock);
	}
	/* A gzip body that could not be made falls back to the identity one, made on the way. */
	if (z == 1 && atomic_load_explicit(&r->state[f][1], memory_order_acquire) != BODY_READY)
		z = 0;
	*ret = (struct scrape_body){
		.data = r->body[f][z].data != NULL ? r->body[f][z].data : "",
		.len = r->body[f][z].len,
		.gzip = z == 1,
		.ok = r->ok,
		.ref = r,
	};
}

void
scraper_get(struct scraper *s, enum expo_format format, bool gzip, int64_t deadline_ns,
	    struct scrape_body *ret)
{
	body_of(fresh_result(s, deadline_ns), format, gzip, ret);
}

/* After a ticket's ready callback: the latest result is that collection or a later one. */
static struct scrape_result *
latest_ref(struct scraper *s)
{
	(void)pthread_mutex_lock(&s->lock);
	struct scrape_result *r = result_ref(s->latest);
	(void)pthread_mutex_unlock(&s->lock);
	return r;
}

void
scraper_take(struct scraper *s, uint64_t ticket, enum expo_format format, bool gzip,
	     struct scrape_body *ret)
{
	(void)ticket;
	body_of(latest_ref(s), format, gzip, ret);
}

size_t
scraper_run(struct scraper *s, enum expo_format format, int64_t deadline_ns, struct buf *out)
{
	struct scrape_body b;

	scraper_get(s, format, false, deadline_ns, &b);
	buf_append(out, b.data, b.len);
	scrape_result_put(b.ref);
	return b.ok;
}

/* Calls fn with r's sorted builder and drops the caller's reference to r. */
static void
view_of(struct scrape_result *r, void (*fn)(const struct expo *e, size_t ok, void *arg),
	void *arg)
{
	(void)pthread_mutex_lock(&r->lock);
	/* Rendering sorts too, under the same lock; sorting a sorted builder changes nothing. */
	(void)expo_sort(r->e);
	fn(r->e, r->ok, arg);
	(void)pthread_mutex_unlock(&r->lock);
	scrape_result_put(r);
}

void
scraper_view(struct scraper *s, int64_t deadline_ns,
	     void (*fn)(const struct expo *e, size_t ok, void *arg), void *arg)
{
	view_of(fresh_result(s, deadline_ns), fn, arg);
}

void
scraper_take_view(struct scraper *s, uint64_t ticket,
		  void (*fn)(const struct expo *e, size_t ok, void *arg), void *arg)
{
	(void)ticket;
	view_of(latest_ref(s), fn, arg);
}

bool
scraper_healthy(struct scraper *s, int64_t now_ns, int64_t stuck_ns)
{
	int64_t since = atomic_load(&s->running_since);
	return since == 0 || now_ns - since < stuck_ns;
}
