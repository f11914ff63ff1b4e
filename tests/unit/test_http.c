/* HTTP server tests that need control over timing: the concurrent-scrape limit (503), the
 * health answer while a scrape hangs, the status page waiting for a collection without holding
 * up other requests, and stopping the server while a scrape waits. scraper_request is replaced
 * at link time (--wrap) by one that calls back only when the test releases it, scraper_take by
 * one that hands out a fixed body, scraper_take_view by one that shows an empty collection,
 * scraper_healthy by one the test sets, and scrape_result_put by one that counts the shared
 * bodies handed back: every body served must be released once libmicrohttpd is done. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "expo.h"
#include "http.h"
#include "log.h"
#include "testlib.h"

uint64_t __wrap_scraper_request(struct scraper *s, int64_t deadline_ns, void (*ready)(void *),
				void *arg);
void __wrap_scraper_take(struct scraper *s, uint64_t ticket, enum expo_format format, bool gzip,
			 struct scrape_body *ret);
void __wrap_scrape_result_put(struct scrape_result *r);
void __wrap_scraper_take_view(struct scraper *s, uint64_t ticket,
			      void (*fn)(const struct expo *e, size_t ok, void *arg), void *arg);
bool __wrap_scraper_healthy(struct scraper *s, int64_t now_ns, int64_t stuck_ns);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int entered;
static bool released;
static bool stuck;
static int put_calls;
/* Stands for the shared result: only its address is handed around. */
static char fake_result;
/* Stands for the scraper in the status page tests; NULL in the others. */
static char fake_scraper;
static struct scraper *use_scraper;
static bool collection_hangs_long; /* what scraper_healthy says */
static int views;
static int64_t last_deadline; /* of the last scraper_request */

/* Callbacks of requests waiting for the test to release their collection. */
static struct {
	void (*ready)(void *);
	void *arg;
} pending[16];
static size_t npending;

uint64_t
__wrap_scraper_request(struct scraper *s, int64_t deadline_ns, void (*ready)(void *), void *arg)
{
	(void)s;
	(void)pthread_mutex_lock(&lock);
	last_deadline = deadline_ns;
	entered++;
	(void)pthread_cond_broadcast(&cond);
	bool now = released;
	if (!now) {
		assert_true(npending < 16);
		pending[npending].ready = ready;
		pending[npending++].arg = arg;
		stuck = true;
	}
	(void)pthread_mutex_unlock(&lock);
	if (now)
		ready(arg);
	return (uint64_t)entered;
}

void
__wrap_scraper_take(struct scraper *s, uint64_t ticket, enum expo_format format, bool gzip,
		    struct scrape_body *ret)
{
	const char *text = format == EXPO_FORMAT_TEXT ? "fake 1\n" : "fake 1\n# EOF\n";

	(void)s;
	(void)ticket;
	(void)gzip;
	*ret = (struct scrape_body){text, strlen(text), false, 1, (struct scrape_result *)&fake_result};
}

void
__wrap_scrape_result_put(struct scrape_result *r)
{
	assert_ptr_equal(r, &fake_result);
	(void)pthread_mutex_lock(&lock);
	put_calls++;
	(void)pthread_cond_broadcast(&cond);
	(void)pthread_mutex_unlock(&lock);
}

void
__wrap_scraper_take_view(struct scraper *s, uint64_t ticket,
			 void (*fn)(const struct expo *e, size_t ok, void *arg), void *arg)
{
	struct expo *e = expo_new();

	assert_ptr_equal(s, &fake_scraper);
	(void)ticket;
	(void)pthread_mutex_lock(&lock);
	views++;
	(void)pthread_mutex_unlock(&lock);
	fn(e, 0, arg);
	expo_free(e);
}

bool
__wrap_scraper_healthy(struct scraper *s, int64_t now_ns, int64_t stuck_ns)
{
	assert_ptr_equal(s, &fake_scraper);
	(void)now_ns;
	(void)stuck_ns;
	return !collection_hangs_long;
}

/* Waits until n shared bodies were released; libmicrohttpd may drop its response just after the
 * client read the last byte. Fails rather than hang when that never happens. */
static void
wait_put(int n)
{
	struct timespec until;

	(void)clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	(void)pthread_mutex_lock(&lock);
	while (put_calls < n && pthread_cond_timedwait(&cond, &lock, &until) == 0)
		;
	int got = put_calls;
	(void)pthread_mutex_unlock(&lock);
	assert_int_equal(got, n);
}

static bool
fake_healthy(void *arg, const char **ret_reason)
{
	(void)arg;
	(void)pthread_mutex_lock(&lock);
	bool ok = !stuck;
	(void)pthread_mutex_unlock(&lock);
	if (!ok)
		*ret_reason = "collection stuck";
	return ok;
}

struct fixture {
	struct http_server *server;
	int port;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	entered = 0;
	put_calls = 0;
	npending = 0;
	released = false;
	stuck = false;
	views = 0;
	int fd = http_listen(&f->port);
	int fds[1] = {fd};
	struct http_options o = {
		.fds = fds,
		.nfds = 1,
		.telemetry_path = "/metrics",
		.max_requests = use_scraper != NULL ? 4 : 1,
		.max_connections = 16,
		.idle_timeout_s = 30,
		.scraper = use_scraper,
		.healthy = fake_healthy,
	};
	assert_int_equal(http_start(&o, NULL, &f->server), 0);
	*state = f;
	return 0;
}

static void release(void);

static int
teardown(void **state)
{
	struct fixture *f = *state;

	release();
	http_stop(f->server);
	free(f);
	return 0;
}

/* One HTTP/1.0 request; returns the whole response (headers and body), caller frees. */
static char *
request(int port, const char *path)
{
	char req[256];

	(void)snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
	return http_exchange(NULL, port, req);
}

struct bg {
	pthread_t thread;
	int port;
	const char *path; /* /metrics when NULL */
	char *response;
};

static void *
bg_request(void *arg)
{
	struct bg *bg = arg;

	bg->response = request(bg->port, bg->path != NULL ? bg->path : "/metrics");
	return NULL;
}

static void
wait_entered(int n)
{
	(void)pthread_mutex_lock(&lock);
	while (entered < n)
		(void)pthread_cond_wait(&cond, &lock);
	(void)pthread_mutex_unlock(&lock);
}

/* The collection is done: every waiting request is called back, as the scraper would. */
static void
release(void)
{
	(void)pthread_mutex_lock(&lock);
	released = true;
	stuck = false;
	size_t n = npending;
	npending = 0;
	(void)pthread_cond_broadcast(&cond);
	(void)pthread_mutex_unlock(&lock);
	for (size_t i = 0; i < n; i++)
		pending[i].ready(pending[i].arg);
}

static void
test_limit_503(void **state)
{
	struct fixture *f = *state;
	struct bg bg = {.port = f->port};

	assert_int_equal(pthread_create(&bg.thread, NULL, bg_request, &bg), 0);
	wait_entered(1); /* the first scrape now holds the only slot */
	char *r = request(f->port, "/metrics");
	assert_non_null(strstr(r, "HTTP/1.1 503"));
	assert_non_null(strstr(r, "Content-Type: text/plain; charset=utf-8\r\n"));
	assert_non_null(
		strstr(r, "\r\n\r\nLimit of concurrent requests reached (1), try again later.\n"));
	free(r);
	release();
	assert_int_equal(pthread_join(bg.thread, NULL), 0);
	assert_non_null(strstr(bg.response, "HTTP/1.1 200"));
	assert_non_null(strstr(bg.response, "\r\n\r\nfake 1\n"));
	free(bg.response);
	/* The slot is free again. */
	r = request(f->port, "/metrics");
	assert_non_null(strstr(r, "HTTP/1.1 200"));
	free(r);
	assert_int_equal(entered, 2);
	/* Both shared bodies went back; the 503 never took one. */
	wait_put(2);
}

static void
test_healthz_while_stuck(void **state)
{
	struct fixture *f = *state;
	struct bg bg = {.port = f->port};

	char *r = request(f->port, "/healthz");
	assert_non_null(strstr(r, "HTTP/1.1 200"));
	free(r);
	assert_int_equal(pthread_create(&bg.thread, NULL, bg_request, &bg), 0);
	wait_entered(1);
	/* A hanging scrape does not block /healthz, which reports it. */
	r = request(f->port, "/healthz");
	assert_non_null(strstr(r, "HTTP/1.1 503"));
	assert_non_null(strstr(r, "\r\n\r\ncollection stuck\n"));
	free(r);
	/* Nor the landing page. */
	r = request(f->port, "/");
	assert_non_null(strstr(r, "HTTP/1.1 200"));
	free(r);
	release();
	assert_int_equal(pthread_join(bg.thread, NULL), 0);
	free(bg.response);
}

/* Stopping the server while a scrape waits for a hung collection: libmicrohttpd refuses to stop
 * with a suspended connection, so the server resumes it first; the scrape gets no 200, the stop
 * returns, and the late callback (scraper_free() makes it) touches only the request. */
static void
test_stop_while_waiting(void **state)
{
	struct fixture *f = *state;
	struct bg bg = {.port = f->port};

	assert_int_equal(pthread_create(&bg.thread, NULL, bg_request, &bg), 0);
	wait_entered(1);
	http_stop(f->server);
	f->server = NULL;
	assert_int_equal(pthread_join(bg.thread, NULL), 0);
	assert_null(strstr(bg.response, "HTTP/1.1 200"));
	free(bg.response);
	assert_int_equal(put_calls, 0);
}

/* A GET that carries a body, which no scraper sends: answered like one without, once, and the
 * body is never read as a request of its own. libmicrohttpd takes no answer while a body
 * arrives: the connection used to close without one, on a scrape, a 404 or a 401 alike. */
static void
test_get_with_body(void **state)
{
	struct fixture *f = *state;
	static const char *const reqs[] = {
		"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 31\r\n\r\n"
		"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"1f\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n\r\n0\r\n\r\n",
		"HEAD /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
		"Content-Length: 100000000\r\n\r\n",
	};

	released = true; /* collections are done at once */
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		char *r = http_exchange(NULL, f->port, reqs[i]);
		assert_int_equal(text_count(r, "HTTP/1.1 "), 1);
		assert_non_null(strstr(r, "HTTP/1.1 200"));
		assert_non_null(strstr(r, "Connection: close\r\n"));
		assert_int_equal(text_count(r, "fake 1\n"), i == 2 ? 0 : 1);
		free(r);
	}
	char *r = http_exchange(NULL, f->port,
			   "GET /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
	assert_non_null(strstr(r, "HTTP/1.1 404"));
	free(r);
	/* Every answer gave its max_requests slot (there is one) and its body back. */
	r = request(f->port, "/metrics");
	assert_non_null(strstr(r, "HTTP/1.1 200"));
	free(r);
	wait_put(5);
}

/* The deadline a scrape asks for follows Prometheus' timeout header less a margin, but never
 * lies in the past: that collection would be shared with every scrape arriving meanwhile. */
static void
test_scrape_deadline(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *header;
		int64_t ms; /* the deadline, from the moment the request was sent */
	} cases[] = {
		{"", 9500},
		{"X-Prometheus-Scrape-Timeout-Seconds: 2.5\r\n", 2000},
		{"X-Prometheus-Scrape-Timeout-Seconds: 1e-300\r\n", 500},
		{"X-Prometheus-Scrape-Timeout-Seconds: 0.000001\r\n", 500},
		{"X-Prometheus-Scrape-Timeout-Seconds: nan\r\n", 9500},
		{"X-Prometheus-Scrape-Timeout-Seconds: -3\r\n", 9500},
	};
	char req[256];

	released = true;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)snprintf(req, sizeof(req), "GET /metrics HTTP/1.0\r\n%s\r\n", cases[i].header);
		int64_t before = monotonic_ns();
		char *r = http_exchange(NULL, f->port, req);
		int64_t after = monotonic_ns();
		assert_non_null(strstr(r, "HTTP/1.1 200"));
		free(r);
		(void)pthread_mutex_lock(&lock);
		int64_t d = last_deadline;
		(void)pthread_mutex_unlock(&lock);
		assert_true(d >= before + cases[i].ms * 1000000);
		assert_true(d <= after + cases[i].ms * 1000000);
	}
}

static int
setup_page(void **state)
{
	use_scraper = (struct scraper *)&fake_scraper;
	collection_hangs_long = false;
	return setup(state);
}

static int
teardown_page(void **state)
{
	int r = teardown(state);
	use_scraper = NULL;
	return r;
}

/* The status page waits for a collection like a scrape, suspended: meanwhile the same event loop
 * answers other requests, and the page comes once the collection is done. */
static void
test_page_waits_suspended(void **state)
{
	struct fixture *f = *state;
	struct bg bg = {.port = f->port, .path = "/"};

	assert_int_equal(pthread_create(&bg.thread, NULL, bg_request, &bg), 0);
	wait_entered(1);
	char *r = request(f->port, "/healthz");
	assert_non_null(strstr(r, "HTTP/1.1 503"));
	free(r);
	assert_int_equal(views, 0);
	release();
	assert_int_equal(pthread_join(bg.thread, NULL), 0);
	assert_non_null(strstr(bg.response, "HTTP/1.1 200"));
	assert_non_null(strstr(bg.response, "Cache-Control: no-store\r\n"));
	assert_non_null(strstr(bg.response, "No SR-IOV GPU found"));
	assert_null(strstr(bg.response, "Status unavailable"));
	free(bg.response);
	assert_int_equal(views, 1);
	/* The page's collection is not a shared body: nothing to release. */
	assert_int_equal(put_calls, 0);
}

/* A collection that has hung for long is not waited for: the page says so at once. */
static void
test_page_when_hung(void **state)
{
	struct fixture *f = *state;

	collection_hangs_long = true;
	char *r = request(f->port, "/");
	assert_non_null(strstr(r, "HTTP/1.1 200"));
	assert_non_null(strstr(r, "Status unavailable: a collection has been running"));
	free(r);
	assert_int_equal(entered, 0);
	assert_int_equal(views, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_limit_503, setup, teardown),
		cmocka_unit_test_setup_teardown(test_healthz_while_stuck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_while_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_with_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scrape_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_waits_suspended, setup_page, teardown_page),
		cmocka_unit_test_setup_teardown(test_page_when_hung, setup_page, teardown_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
