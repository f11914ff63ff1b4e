/* Unit tests for scrape.c: which collection a request is answered from, and that requests
 * answered from one collection share its bodies (one buffer per format and encoding, valid until
 * each holder drops its reference). registry_collect is
 * replaced at link time by one that numbers collections and can be held at a gate, and
 * pthread_cond_wait is wrapped to count requests waiting for a collection, and monotonic_ns to a
 * clock that moves only when a test ages the collection under way past SCRAPE_JOIN_NS, so every
 * ordering here is forced, not timed. */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#define ZLIB_CONST
#include <zlib.h>

#include "log.h"
#include "scrape.h"
#include "testlib.h"

size_t __wrap_registry_collect(struct registry *r, struct expo *out, int64_t deadline_ns);
int __real_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int collections;
static int held_below; /* collections numbered below this wait at the gate */
static int inside;     /* collections at the gate now */
static int waiting;    /* scrape requests waiting for a collection */

/* The collection under way becomes too old to join: later requests wait for the next one. */
static void
age_collection(void)
{
	(void)__atomic_add_fetch(&fake_now, SCRAPE_JOIN_NS + 1, __ATOMIC_SEQ_CST);
}

size_t
__wrap_registry_collect(struct registry *r, struct expo *out, int64_t deadline_ns)
{
	(void)r;
	(void)deadline_ns;
	(void)pthread_mutex_lock(&lock);
	int n = ++collections;
	inside++;
	while (n < held_below)
		(void)__real_pthread_cond_wait(&gate_cond, &lock);
	inside--;
	(void)pthread_mutex_unlock(&lock);
	(void)expo_add(out, "collection", EXPO_GAUGE, "Number of this collection.", n, NULL, 0);
	return 1;
}

int
__wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	(void)__atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
	int r = __real_pthread_cond_wait(c, m);
	(void)__atomic_sub_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
	return r;
}

static void
wait_until(int *counter, int want)
{
	struct timespec ts = {0, 1000000};

	while (__atomic_load_n(counter, __ATOMIC_SEQ_CST) != want)
		(void)nanosleep(&ts, NULL);
}

static void
release(void)
{
	(void)pthread_mutex_lock(&lock);
	held_below = 0;
	(void)pthread_cond_broadcast(&gate_cond);
	(void)pthread_mutex_unlock(&lock);
}

/* The number in the body's "collection N" sample. */
static int
collection_of(const char *text)
{
	const char *p = strstr(text, "\ncollection ");
	int n = 0;

	assert_non_null(p);
	for (p += 12; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (*p - '0');
	return n;
}

struct request {
	struct scraper *s;
	struct buf body;
	bool gzip;		  /* ask scraper_get() for gzip and keep its reference in shared */
	struct scrape_body shared;
};

static void *
scrape(void *arg)
{
	struct request *q = arg;

	if (!q->gzip) {
		(void)scraper_run(q->s, EXPO_FORMAT_TEXT, monotonic_ns() + 60000000000LL, &q->body);
		return NULL;
	}
	scraper_get(q->s, EXPO_FORMAT_TEXT, true, monotonic_ns() + 60000000000LL, &q->shared);
	return NULL;
}

/* The text a gzip body inflates to, appended to out. */
static void
gunzip(const struct scrape_body *b, struct buf *out)
{
	z_stream zs = {.zalloc = Z_NULL, .zfree = Z_NULL, .opaque = Z_NULL};
	char chunk[4096];
	int zr;

	assert_true(b->gzip);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (const Bytef *)b->data;
	zs.avail_in = (uInt)b->len;
	do {
		zs.next_out = (Bytef *)chunk;
		zs.avail_out = sizeof(chunk);
		zr = inflate(&zs, Z_NO_FLUSH);
		assert_true(zr == Z_OK || zr == Z_STREAM_END);
		buf_append(out, chunk, sizeof(chunk) - zs.avail_out);
	} while (zr != Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0);
	assert_int_equal(inflateEnd(&zs), Z_OK);
}

static int
setup(void **state)
{
	collections = 0;
	held_below = 0;
	inside = 0;
	waiting = 0;
	*state = scraper_new(NULL, false);
	return 0;
}

static int
teardown(void **state)
{
	scraper_free(*state);
	return 0;
}

static void
test_each_request_in_turn_collects(void **state)
{
	for (int i = 1; i <= 3; i++) {
		struct request q = {*state, BUF_INIT, false, {0}};
		(void)scrape(&q);
		assert_int_equal(collection_of(q.body.data), i);
		buf_free(&q.body);
	}
	assert_int_equal(collections, 3);
}

static void
test_no_result_older_than_the_request(void **state)
{
	struct request a = {*state, BUF_INIT, false, {0}}, b = {*state, BUF_INIT, false, {0}};
	pthread_t ta, tb;

	held_below = 2; /* collection 1 waits at the gate */
	assert_int_equal(pthread_create(&ta, NULL, scrape, &a), 0);
	wait_until(&inside, 1);
	age_collection();
	/* b arrives while collection 1 runs, which started too long before: not answered from it. */
	assert_int_equal(pthread_create(&tb, NULL, scrape, &b), 0);
	wait_until(&waiting, 1);
	release();
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_int_equal(pthread_join(tb, NULL), 0);
	assert_int_equal(collection_of(a.body.data), 1);
	assert_int_equal(collection_of(b.body.data), 2);
	buf_free(&a.body);
	buf_free(&b.body);
}

static void
test_waiting_requests_share_one_collection(void **state)
{
	struct request first = {*state, BUF_INIT, false, {0}}, q[8];
	pthread_t t0, t[8];

	held_below = 2;
	assert_int_equal(pthread_create(&t0, NULL, scrape, &first), 0);
	wait_until(&inside, 1);
	age_collection();
	for (int i = 0; i < 8; i++) {
		q[i] = (struct request){*state, BUF_INIT, false, {0}};
		assert_int_equal(pthread_create(&t[i], NULL, scrape, &q[i]), 0);
	}
	wait_until(&waiting, 8);
	release();
	assert_int_equal(pthread_join(t0, NULL), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(collection_of(q[i].body.data), 2);
		buf_free(&q[i].body);
	}
	/* Eight requests, one collection for all of them. */
	assert_int_equal(collections, 2);
	buf_free(&first.body);
}

/* Requests that share a collection share its bodies: one gzip buffer, compressed once, serves
 * every request that asked for gzip, and it outlives the scraper's own reference. */
static void
test_shared_gzip_body(void **state)
{
	struct request first = {*state, BUF_INIT, false, {0}}, q[4];
	pthread_t t0, t[4];

	held_below = 2;
	assert_int_equal(pthread_create(&t0, NULL, scrape, &first), 0);
	wait_until(&inside, 1);
	age_collection();
	for (int i = 0; i < 4; i++) {
		q[i] = (struct request){*state, BUF_INIT, true, {0}};
		assert_int_equal(pthread_create(&t[i], NULL, scrape, &q[i]), 0);
	}
	wait_until(&waiting, 4);
	release();
	assert_int_equal(pthread_join(t0, NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (int i = 1; i < 4; i++) {
		assert_ptr_equal(q[i].shared.data, q[0].shared.data);
		assert_ptr_equal(q[i].shared.ref, q[0].shared.ref);
		assert_int_equal(q[i].shared.len, q[0].shared.len);
	}
	assert_int_equal(q[0].shared.ok, 1);
	/* A later collection replaces the scraper's result; ours stays readable. */
	struct buf text = BUF_INIT;
	(void)scraper_run(*state, EXPO_FORMAT_TEXT, monotonic_ns() + 60000000000LL, &text);
	assert_int_equal(collection_of(text.data), 3);
	for (int i = 0; i < 4; i++) {
		struct buf plain = BUF_INIT;
		gunzip(&q[i].shared, &plain);
		assert_int_equal(collection_of(plain.data), 2);
		assert_null(strstr(plain.data, "# EOF"));
		buf_free(&plain);
		scrape_result_put(q[i].shared.ref);
	}
	buf_free(&text);
	buf_free(&first.body);
}

/* Without gzip, or in the other format, a request gets the identity body of its own format. */
static void
test_identity_and_gzip_bodies_differ(void **state)
{
	struct scrape_body om, plain;

	scraper_get(*state, EXPO_FORMAT_OPENMETRICS, false, monotonic_ns() + 60000000000LL, &om);
	assert_false(om.gzip);
	assert_int_equal(om.len, strlen(om.data));
	assert_non_null(strstr(om.data, "# EOF\n"));
	scraper_get(*state, EXPO_FORMAT_TEXT, false, monotonic_ns() + 60000000000LL, &plain);
	assert_false(plain.gzip);
	assert_ptr_not_equal(om.ref, plain.ref);
	assert_int_equal(collection_of(plain.data), 2);
	scrape_result_put(plain.ref);
	scrape_result_put(om.ref);
}

static void
test_formats_from_one_collection(void **state)
{
	struct buf text = BUF_INIT, om = BUF_INIT;

	(void)scraper_run(*state, EXPO_FORMAT_TEXT, monotonic_ns() + 60000000000LL, &text);
	(void)scraper_run(*state, EXPO_FORMAT_OPENMETRICS, monotonic_ns() + 60000000000LL, &om);
	assert_null(strstr(text.data, "# EOF"));
	assert_non_null(strstr(om.data, "# EOF\n"));
	/* Appended to what the buffer held. */
	struct buf again = BUF_INIT;
	buf_puts(&again, "prefix\n");
	(void)scraper_run(*state, EXPO_FORMAT_TEXT, monotonic_ns() + 60000000000LL, &again);
	assert_int_equal(strncmp(again.data, "prefix\n# HELP collection ", 25), 0);
	assert_int_equal(collection_of(again.data), 3);
	buf_free(&text);
	buf_free(&om);
	buf_free(&again);
}

static void
view_collection(const struct expo *e, size_t ok, void *arg)
{
	double *v = arg;

	assert_int_equal(ok, 1);
	assert_true(expo_value(e, "collection", NULL, 0, v));
}

/* A view is a fresh collection like a scrape, and a scrape after it does not reuse it. */
static void
test_view_is_fresh(void **state)
{
	double v = 0;
	struct buf text = BUF_INIT;

	(void)scraper_run(*state, EXPO_FORMAT_TEXT, monotonic_ns() + 60000000000LL, &text);
	scraper_view(*state, monotonic_ns() + 60000000000LL, view_collection, &v);
	assert_true(v == 2);
	(void)scraper_run(*state, EXPO_FORMAT_TEXT, monotonic_ns() + 60000000000LL, &text);
	assert_int_equal(collections, 3);
	buf_free(&text);
}

/* A request that waits without a thread (scraper_request()): what it was called back with. */
struct waiting {
	int calls;
	int seen_collections; /* collections started when it was called back */
};

static void
on_ready(void *arg)
{
	struct waiting *w = arg;

	(void)pthread_mutex_lock(&lock);
	w->calls++;
	w->seen_collections = collections;
	(void)pthread_mutex_unlock(&lock);
}

static int
calls_of(struct waiting *w)
{
	(void)pthread_mutex_lock(&lock);
	int n = w->calls;
	(void)pthread_mutex_unlock(&lock);
	return n;
}

/* The worker collects for a request without a thread, calls it back once, and the ticket takes
 * that collection. */
static void
test_request_without_thread(void **state)
{
	struct waiting w = {0, 0};
	struct scrape_body b;

	uint64_t t = scraper_request(*state, monotonic_ns() + 60000000000LL, on_ready, &w);
	struct timespec ts = {0, 1000000};
	while (calls_of(&w) == 0)
		(void)nanosleep(&ts, NULL);
	assert_int_equal(w.calls, 1);
	scraper_take(*state, t, EXPO_FORMAT_TEXT, false, &b);
	assert_int_equal(collection_of(b.data), 1);
	scrape_result_put(b.ref);
	/* A thread's request next is a new collection, and calls nobody back. */
	struct buf text = BUF_INIT;
	(void)scraper_run(*state, EXPO_FORMAT_TEXT, monotonic_ns() + 60000000000LL, &text);
	assert_int_equal(collection_of(text.data), 2);
	buf_free(&text);
	assert_int_equal(calls_of(&w), 1);
}

struct freeing {
	struct scraper *s;
};

static void *
free_scraper(void *arg)
{
	scraper_free(((struct freeing *)arg)->s);
	return NULL;
}

/* A request that arrives while the worker's collection runs waits for the next one; when the
 * scraper is freed meanwhile, every waiter is still called back exactly once. */
static void
test_free_calls_back_waiters(void **state)
{
	struct waiting a = {0, 0}, b = {0, 0};
	struct freeing f = {*state};
	pthread_t t;

	held_below = 2; /* collection 1 waits at the gate */
	(void)scraper_request(*state, monotonic_ns() + 60000000000LL, on_ready, &a);
	wait_until(&inside, 1);
	age_collection();
	(void)scraper_request(*state, monotonic_ns() + 60000000000LL, on_ready, &b);
	assert_int_equal(pthread_create(&t, NULL, free_scraper, &f), 0);
	*state = NULL; /* freed by the thread */
	release();
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.seen_collections, 1);
	/* Exactly once either way: by collection 2 when the worker started it before it saw the
	 * scraper stopping (b came after collection 1 started, so 1 cannot answer it), else by
	 * scraper_free(). */
	assert_int_equal(b.calls, 1);
	assert_true(collections == 1 || (collections == 2 && b.seen_collections == 2));
}

/* A request that arrives while a young collection runs joins it: no second collection, and the
 * same answer as the request that started it. At the bound it still joins. */
static void
test_young_collection_is_joined(void **state)
{
	struct request a = {*state, BUF_INIT, false, {0}}, b = {*state, BUF_INIT, false, {0}};
	pthread_t ta, tb;

	held_below = 2; /* collection 1 waits at the gate */
	assert_int_equal(pthread_create(&ta, NULL, scrape, &a), 0);
	wait_until(&inside, 1);
	(void)__atomic_add_fetch(&fake_now, SCRAPE_JOIN_NS, __ATOMIC_SEQ_CST);
	assert_int_equal(pthread_create(&tb, NULL, scrape, &b), 0);
	wait_until(&waiting, 1);
	release();
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_int_equal(pthread_join(tb, NULL), 0);
	assert_int_equal(collection_of(a.body.data), 1);
	assert_int_equal(collection_of(b.body.data), 1);
	assert_int_equal(collections, 1);
	buf_free(&a.body);
	buf_free(&b.body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_request_in_turn_collects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_result_older_than_the_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_young_collection_is_joined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiting_requests_share_one_collection, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shared_gzip_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_and_gzip_bodies_differ, setup, teardown),
		cmocka_unit_test_setup_teardown(test_formats_from_one_collection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_view_is_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_without_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_calls_back_waiters, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
