/* Unit tests for auth_queue.c: results reach their callbacks, the total and per-client bounds
 * refuse jobs (which stay the caller's), a job has left the queue before its callback, and
 * freeing the queue calls back every waiting job refused without running bcrypt. auth_verify is replaced at link time (--wrap) by one that
 * blocks until the test lets it go and passes the password "right". */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth_queue.h"
#include "testlib.h"
#include "xalloc.h"

bool __wrap_auth_verify(const struct auth_job *job);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int called;    /* callbacks so far */
static int passed;    /* of them with ok */

bool
__wrap_auth_verify(const struct auth_job *job)
{
	(void)gate_enter();
	return strcmp(job->pass, "right") == 0;
}

static void
done(void *arg, bool ok)
{
	int *slot = arg;

	(void)pthread_mutex_lock(&lock);
	*slot = ok ? 1 : -1;
	called++;
	passed += ok;
	(void)pthread_cond_broadcast(&cond);
	(void)pthread_mutex_unlock(&lock);
}

static void
wait_for(int *counter, int n)
{
	(void)pthread_mutex_lock(&lock);
	while (*counter < n)
		(void)pthread_cond_wait(&cond, &lock);
	(void)pthread_mutex_unlock(&lock);
}

static int
reset(void **state)
{
	(void)state;
	gate_reset();
	called = passed = 0;
	return 0;
}

static void
job_for(struct auth_job *job, const char *pass)
{
	memset(job, 0, sizeof(*job));
	job->hash = xstrdup("$2b$04$stand.in.hash");
	job->pass = xstrdup(pass);
	job->known = true;
}

static int
push(struct auth_queue *q, const char *pass, unsigned char client, int *slot)
{
	struct auth_job job;

	job_for(&job, pass);
	int r = auth_queue_push(q, &job, &client, 1, done, slot);
	if (r == 0)
		assert_null(job.pass); /* taken */
	else
		assert_string_equal(job.pass, pass); /* still the caller's */
	auth_job_clear(&job);
	return r;
}

static void
test_results(void **state)
{
	struct auth_queue *q = auth_queue_new();
	int slots[3] = {0};

	(void)state;
	assert_non_null(q);
	assert_int_equal(push(q, "right", 1, &slots[0]), 0);
	assert_int_equal(push(q, "wrong", 2, &slots[1]), 0);
	assert_int_equal(push(q, "right", 3, &slots[2]), 0);
	gate_allow(3);
	wait_for(&called, 3);
	assert_int_equal(slots[0], 1);
	assert_int_equal(slots[1], -1);
	assert_int_equal(slots[2], 1);
	assert_int_equal(gate_entered(), 3);
	auth_queue_free(q);
}

static void
test_bounds(void **state)
{
	struct auth_queue *q = auth_queue_new();
	int slots[AUTH_QUEUE_MAX + 4] = {0};
	int n = 0;

	(void)state;
	/* The first job runs and blocks: it still counts, for its client and in total. */
	assert_int_equal(push(q, "right", 7, &slots[n++]), 0);
	gate_wait(1);
	assert_int_equal(push(q, "x", 7, &slots[n++]), 0);
	assert_int_equal(push(q, "x", 7, &slots[n]), -EAGAIN);
	/* Other clients fill the rest, two each. */
	for (unsigned char c = 8; n < AUTH_QUEUE_MAX; c++) {
		assert_int_equal(push(q, "x", c, &slots[n++]), 0);
		if (n < AUTH_QUEUE_MAX)
			assert_int_equal(push(q, "x", c, &slots[n++]), 0);
	}
	assert_int_equal(push(q, "right", 200, &slots[n]), -EBUSY);
	/* Once the running job is done there is room again. */
	gate_allow(1);
	wait_for(&called, 1);
	assert_int_equal(slots[0], 1);
	assert_int_equal(push(q, "right", 200, &slots[n]), 0);
	gate_allow(AUTH_QUEUE_MAX + 1);
	wait_for(&called, AUTH_QUEUE_MAX + 1);
	assert_int_equal(slots[n], 1);
	assert_int_equal(passed, 2);
	auth_queue_free(q);
}

static struct auth_queue *again_q;
static int again_r = 1;

/* A callback that, like the HTTP server resuming a connection, lets the same client push its
 * next job at once. */
static void
push_again(void *arg, bool ok)
{
	struct auth_job job;
	unsigned char client = 7;

	/* No cmocka asserts here: they cannot fail on the queue's thread. */
	job_for(&job, "right");
	again_r = auth_queue_push(again_q, &job, &client, 1, done, (int *)arg + 2);
	auth_job_clear(&job);
	done(arg, ok);
}

static void
test_done_after_leaving(void **state)
{
	int slots[3] = {0};

	(void)state;
	again_q = auth_queue_new();
	assert_non_null(again_q);
	/* Client 7 is at its bound; its first job's callback must find room for a third. */
	struct auth_job job;
	unsigned char client = 7;
	job_for(&job, "right");
	assert_int_equal(auth_queue_push(again_q, &job, &client, 1, push_again, &slots[0]), 0);
	assert_int_equal(push(again_q, "wrong", 7, &slots[1]), 0);
	gate_allow(3);
	wait_for(&called, 2); /* both first jobs called back: the push in between is done */
	assert_int_equal(again_r, 0);
	wait_for(&called, 3);
	assert_int_equal(slots[0], 1);
	assert_int_equal(slots[1], -1);
	assert_int_equal(slots[2], 1);
	auth_queue_free(again_q);
}

static void *
free_queue(void *arg)
{
	auth_queue_free(arg);
	return NULL;
}

static void
test_free_refuses_waiting_jobs(void **state)
{
	struct auth_queue *q = auth_queue_new();
	int slots[AUTH_QUEUE_MAX] = {0};
	pthread_t t;
	int n = 0, r;

	(void)state;
	for (; n < 4; n++)
		assert_int_equal(push(q, "right", (unsigned char)n, &slots[n]), 0);
	gate_wait(1);
	/* Free while the first runs; once the queue takes no more jobs it is stopping. */
	assert_int_equal(pthread_create(&t, NULL, free_queue, q), 0);
	while ((r = push(q, "right", (unsigned char)n, &slots[n % AUTH_QUEUE_MAX])) != -ECANCELED) {
		if (r == 0)
			n++;
		else
			assert_int_equal(r, -EBUSY); /* full until the queue stops */
		(void)sched_yield();
	}
	/* The running one finishes; the others are refused without bcrypt. */
	gate_allow(1);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(called, n);
	assert_int_equal(gate_entered(), 1);
	assert_int_equal(slots[0], 1);
	for (int i = 1; i < n; i++)
		assert_int_equal(slots[i], -1);
}

static void
test_free_idle(void **state)
{
	(void)state;
	auth_queue_free(auth_queue_new());
	auth_queue_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_results, reset),
		cmocka_unit_test_setup(test_bounds, reset),
		cmocka_unit_test_setup(test_done_after_leaving, reset),
		cmocka_unit_test_setup(test_free_refuses_waiting_jobs, reset),
		cmocka_unit_test_setup(test_free_idle, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
