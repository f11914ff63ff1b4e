/* Basic auth in the HTTP server: bcrypt never runs on an event loop. crypt_r is replaced at link
 * time (--wrap) by one that blocks until the test lets it go (and matches the password "right"),
 * so the tests can hold password checks "running" in the real auth.c and see that other
 * requests are answered meanwhile, that the queue's per-address and total bounds answer 429 and
 * 503, that requests which cannot wait are answered from the cache alone, and that stopping the
 * server answers the waiting ones. scraper_request calls back at once and scraper_take hands out
 * a fixed body. */
#include <crypt.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"
#include "auth_queue.h"
#include "http.h"
#include "testlib.h"
#include "xalloc.h"

char *__wrap_crypt_r(const char *phrase, const char *setting, struct crypt_data *data);
uint64_t __wrap_scraper_request(struct scraper *s, int64_t deadline_ns, void (*ready)(void *),
				void *arg);
void __wrap_scraper_take(struct scraper *s, uint64_t ticket, enum expo_format format, bool gzip,
			 struct scrape_body *ret);
void __wrap_scrape_result_put(struct scrape_result *r);

char *
__wrap_crypt_r(const char *phrase, const char *setting, struct crypt_data *data)
{
	(void)gate_enter();
	/* What bcrypt gives for the right password: the stored hash itself. */
	(void)snprintf(data->output, sizeof(data->output), "%s",
		       strcmp(phrase, "right") == 0 ? setting : "*0");
	return data->output;
}

uint64_t
__wrap_scraper_request(struct scraper *s, int64_t deadline_ns, void (*ready)(void *), void *arg)
{
	(void)s;
	(void)deadline_ns;
	ready(arg);
	return 1;
}

void
__wrap_scraper_take(struct scraper *s, uint64_t ticket, enum expo_format format, bool gzip,
		    struct scrape_body *ret)
{
	(void)s;
	(void)ticket;
	(void)format;
	(void)gzip;
	*ret = (struct scrape_body){"fake 1\n", 7, false, 1, NULL};
}

void
__wrap_scrape_result_put(struct scrape_result *r)
{
	(void)r;
}

struct fixture {
	struct http_server *server;
	int port;
};

/* A config with the users alice and bob. Their hashes differ per test: the cache is the
 * process's, and each test starts with nothing cached. */
static int
setup(void **state)
{
	static int round;
	struct fixture *f = calloc(1, sizeof(*f));
	struct web_config wc;
	char hash[64];

	gate_reset();
	round++;
	memset(&wc, 0, sizeof(wc));
	wc.users = xcalloc(2, sizeof(*wc.users));
	(void)snprintf(hash, sizeof(hash), "$2b$04$alice.%d", round);
	wc.users[0] = (struct web_user){xstrdup("alice"), xstrdup(hash)};
	(void)snprintf(hash, sizeof(hash), "$2b$04$bob.%d", round);
	wc.users[1] = (struct web_user){xstrdup("bob"), xstrdup(hash)};
	wc.nusers = 2;
	int fd = http_listen(&f->port);
	int fds[1] = {fd};
	struct http_options o = {
		.fds = fds,
		.nfds = 1,
		.telemetry_path = "/metrics",
		.max_requests = 40,
		.max_connections = 64,
		.max_connections_per_ip = 32,
		.idle_timeout_s = 30,
	};
	assert_int_equal(http_start(&o, &wc, &f->server), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	gate_allow(1000);
	http_stop(f->server);
	free(f);
	return 0;
}

/* base64("user:pass") for the credentials the tests send. */
static const char *
basic(const char *cred)
{
	static const struct {
		const char *cred, *b64;
	} table[] = {
		{"alice:right", "YWxpY2U6cmlnaHQ="}, {"alice:wrong", "YWxpY2U6d3Jvbmc="},
		{"bob:right", "Ym9iOnJpZ2h0"},       {"bob:guess1", "Ym9iOmd1ZXNzMQ=="},
		{"bob:guess2", "Ym9iOmd1ZXNzMg=="},  {"bob:guess3", "Ym9iOmd1ZXNzMw=="},
		{"mallory:right", "bWFsbG9yeTpyaWdodA=="},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(table[i].cred, cred) == 0)
			return table[i].b64;
	}
	fail_msg("no base64 for %s", cred);
	return NULL;
}

/* Sends one HTTP/1.0 request to /metrics from src (NULL: 127.0.0.1) and returns the socket. */
static int
send_req(int port, const char *src, const char *method, const char *cred)
{
	char req[256];

	(void)snprintf(req, sizeof(req),
		       "%s /metrics HTTP/1.0\r\nHost: x\r\nAuthorization: Basic %s\r\n\r\n",
		       method != NULL ? method : "GET", basic(cred));
	return http_send(src, port, req);
}

/* Reads the answer on fd and checks its status line. */
static void
answered(int fd, const char *status)
{
	char *r = http_read_all(fd);

	if (strstr(r, status) == NULL)
		fail_msg("wanted %s, got:\n%s", status, r);
	free(r);
}

static void
expect(int port, const char *src, const char *method, const char *cred, const char *status)
{
	answered(send_req(port, src, method, cred), status);
}

/* Requests sent before this are seen by the server: it has one event loop, which reads a
 * connection that was readable before it accepts and answers a later one. alice:right must be
 * cached. */
static void
barrier(int port)
{
	expect(port, "127.0.0.99", NULL, "alice:right", "HTTP/1.1 200");
}

/* alice:right checked once (by bcrypt number n) and cached. */
static void
cache_alice(int port, int n)
{
	int fd = send_req(port, NULL, NULL, "alice:right");

	gate_wait(n);
	gate_allow(n);
	answered(fd, "HTTP/1.1 200");
}

static void
test_check_does_not_hold_up_others(void **state)
{
	struct fixture *f = *state;

	/* The first check runs bcrypt with its connection suspended; then it is cached. */
	cache_alice(f->port, 1);
	expect(f->port, NULL, NULL, "alice:right", "HTTP/1.1 200");
	assert_int_equal(gate_entered(), 1);
	/* While a check hangs in bcrypt, cached scrapes are answered. */
	int slow = send_req(f->port, "127.0.0.2", NULL, "alice:wrong");
	gate_wait(2);
	for (int i = 0; i < 5; i++)
		expect(f->port, NULL, NULL, "alice:right", "HTTP/1.1 200");
	gate_allow(2);
	answered(slow, "HTTP/1.1 401");
	/* The failure is cached too. */
	expect(f->port, NULL, NULL, "alice:wrong", "HTTP/1.1 401");
	assert_int_equal(gate_entered(), 2);
	/* An unknown user waits for bcrypt like a known one, and is refused even so. */
	slow = send_req(f->port, NULL, NULL, "mallory:right");
	gate_wait(3);
	gate_allow(3);
	answered(slow, "HTTP/1.1 401");
}

static void
test_bounds(void **state)
{
	struct fixture *f = *state;
	int held[AUTH_QUEUE_MAX];
	char src[32];
	int n = 0;

	cache_alice(f->port, 1);
	/* One address has AUTH_QUEUE_PER_CLIENT checks at a time, the running one included. */
	held[n++] = send_req(f->port, "127.0.0.10", NULL, "bob:guess1");
	gate_wait(2);
	held[n++] = send_req(f->port, "127.0.0.10", NULL, "bob:guess2");
	barrier(f->port);
	expect(f->port, "127.0.0.10", NULL, "bob:guess3", "HTTP/1.1 429");
	/* Other addresses fill the queue; past AUTH_QUEUE_MAX, 503. */
	for (int i = 1; n < AUTH_QUEUE_MAX; i++) {
		(void)snprintf(src, sizeof(src), "127.0.1.%d", i);
		held[n++] = send_req(f->port, src, NULL, "bob:right");
	}
	barrier(f->port);
	expect(f->port, "127.0.2.1", NULL, "bob:right", "HTTP/1.1 503");
	/* Meanwhile cached credentials are answered at once (the barriers were). */
	gate_allow(1000);
	for (int i = 0; i < n; i++)
		answered(held[i], i < 2 ? "HTTP/1.1 401" : "HTTP/1.1 200");
	expect(f->port, "127.0.0.10", NULL, "bob:right", "HTTP/1.1 200");
	assert_int_equal(gate_entered(), 1 + AUTH_QUEUE_MAX);
}

static void
test_other_methods_use_the_cache_only(void **state)
{
	struct fixture *f = *state;

	/* Not cached: no bcrypt for a POST (it cannot wait suspended); it counts as wrong. */
	expect(f->port, NULL, "POST", "alice:right", "HTTP/1.1 401");
	assert_int_equal(gate_entered(), 0);
	/* Once a GET has had it checked, the POST gets as far as 405. */
	cache_alice(f->port, 1);
	expect(f->port, NULL, "POST", "alice:right", "HTTP/1.1 405");
	expect(f->port, NULL, "DELETE", "alice:wrong", "HTTP/1.1 401");
	assert_int_equal(gate_entered(), 1);
}

static void *
stop_server(void *arg)
{
	http_stop(arg);
	return NULL;
}

static void
test_stop_while_checking(void **state)
{
	struct fixture *f = *state;
	pthread_t t;

	int fd = send_req(f->port, NULL, NULL, "bob:guess1");
	gate_wait(1);
	/* Stopping answers the waiting request (or closes it), then waits for the bcrypt run to
	 * end: it is never let in. */
	assert_int_equal(pthread_create(&t, NULL, stop_server, f->server), 0);
	f->server = NULL;
	char *r = http_read_all(fd);
	assert_null(strstr(r, "HTTP/1.1 200"));
	free(r);
	gate_allow(1);
	assert_int_equal(pthread_join(t, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_does_not_hold_up_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_methods_use_the_cache_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_while_checking, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
