/* Unit tests for auth.c with real bcrypt (libxcrypt, cost 4 to stay fast). crypt_r is wrapped at
 * link time to count bcrypt runs and record the hash each was run against: that is how the
 * caches, the lookup/verify split and the unknown-user rule are observable without timing
 * anything. */
#include <crypt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"

char *__real_crypt_r(const char *phrase, const char *setting, struct crypt_data *data);
char *__wrap_crypt_r(const char *phrase, const char *setting, struct crypt_data *data);

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static int runs;
static char last_setting[CRYPT_OUTPUT_SIZE];

char *
__wrap_crypt_r(const char *phrase, const char *setting, struct crypt_data *data)
{
	(void)pthread_mutex_lock(&count_lock);
	runs++;
	(void)snprintf(last_setting, sizeof(last_setting), "%s", setting);
	(void)pthread_mutex_unlock(&count_lock);
	return __real_crypt_r(phrase, setting, data);
}

/* lookup, and bcrypt when the cache does not know: what the HTTP server does in two places. */
static bool
check(const struct web_config *c, const char *user, const char *pass)
{
	struct auth_job job;
	enum auth_result r = auth_lookup(c, user, pass, &job);

	if (r != AUTH_UNKNOWN) {
		assert_null(job.pass);
		return r == AUTH_PASSED;
	}
	bool ok = auth_verify(&job);
	auth_job_clear(&job);
	return ok;
}

static char *
bcrypt(const char *prefix, const char *password)
{
	struct crypt_data cd;
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];

	memset(&cd, 0, sizeof(cd));
	assert_non_null(crypt_gensalt_rn(prefix, 4, NULL, 0, salt, sizeof(salt)));
	const char *h = __real_crypt_r(password, salt, &cd);
	assert_non_null(h);
	assert_int_equal(strlen(h), 60);
	return strdup(h);
}

struct fixture {
	struct web_config c;
	struct web_user users[3];
};

/* Sorted by name, as web_config_parse() leaves them. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->users[0] = (struct web_user){strdup("alice"), bcrypt("$2b$", "wonderland")};
	f->users[1] = (struct web_user){strdup("bob"), bcrypt("$2b$", "")};
	/* htpasswd writes $2y$; libxcrypt verifies it like $2b$. */
	char *y = bcrypt("$2b$", "s3cret:with:colons");
	y[2] = 'y';
	f->users[2] = (struct web_user){strdup("carol"), y};
	f->c.users = f->users;
	f->c.nusers = 3;
	runs = 0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < 3; i++) {
		free(f->users[i].name);
		free(f->users[i].hash);
	}
	free(f);
	return 0;
}

static void
test_right_and_wrong(void **state)
{
	struct fixture *f = *state;

	assert_true(check(&f->c, "alice", "wonderland"));
	assert_false(check(&f->c, "alice", "Wonderland"));
	assert_false(check(&f->c, "alice", "wonderland "));
	assert_false(check(&f->c, "alice", ""));
	assert_true(check(&f->c, "bob", ""));
	assert_false(check(&f->c, "bob", "x"));
	assert_true(check(&f->c, "carol", "s3cret:with:colons"));
	/* One user's password is not another's. */
	assert_false(check(&f->c, "bob", "wonderland"));
	assert_false(check(&f->c, "Alice", "wonderland"));
}

static void
test_cache_saves_bcrypt(void **state)
{
	struct fixture *f = *state;

	assert_true(check(&f->c, "alice", "wonderland"));
	assert_int_equal(runs, 1);
	for (int i = 0; i < 10; i++)
		assert_true(check(&f->c, "alice", "wonderland"));
	assert_int_equal(runs, 1);
	/* Failures are cached too: a scraper with a stale password costs one bcrypt. */
	assert_false(check(&f->c, "alice", "stale"));
	assert_false(check(&f->c, "alice", "stale"));
	assert_int_equal(runs, 2);
}

static void
test_cache_key_is_the_hash_too(void **state)
{
	struct fixture *f = *state;

	assert_true(check(&f->c, "alice", "wonderland"));
	/* A reload that changes alice's password must not be answered from the cache. */
	char *old = f->users[0].hash;
	f->users[0].hash = bcrypt("$2b$", "looking-glass");
	assert_false(check(&f->c, "alice", "wonderland"));
	assert_true(check(&f->c, "alice", "looking-glass"));
	free(old);
}

static void
test_unknown_user_costs_what_a_known_one_does(void **state)
{
	struct fixture *f = *state;

	/* A known name with a wrong password: one bcrypt, then the cached failure. */
	assert_false(check(&f->c, "alice", "guess"));
	assert_false(check(&f->c, "alice", "guess"));
	assert_int_equal(runs, 1);
	/* An unknown name: the same, against a configured hash, so it takes as long. */
	assert_false(check(&f->c, "mallory", "guess"));
	assert_int_equal(runs, 2);
	assert_string_equal(last_setting, f->users[0].hash);
	assert_false(check(&f->c, "mallory", "guess"));
	assert_int_equal(runs, 2);
	/* Even the password that matches the stand-in hash does not let an unknown name in. */
	assert_false(check(&f->c, "mallory", "wonderland"));
	assert_false(check(&f->c, "mallory", "wonderland"));
}

static void
test_lookup_then_verify(void **state)
{
	struct fixture *f = *state;
	struct auth_job job;

	assert_int_equal(auth_lookup(&f->c, "bob", "", &job), AUTH_UNKNOWN);
	assert_string_equal(job.hash, f->users[1].hash);
	assert_string_equal(job.pass, "");
	assert_true(job.known);
	assert_int_equal(runs, 0); /* lookup never runs bcrypt */
	assert_true(auth_verify(&job));
	auth_job_clear(&job);
	assert_null(job.pass);
	assert_int_equal(auth_lookup(&f->c, "bob", "", &job), AUTH_PASSED);
	assert_null(job.hash);
	assert_int_equal(auth_lookup(&f->c, "nobody", "x", &job), AUTH_UNKNOWN);
	assert_false(job.known);
	assert_string_equal(job.hash, f->users[0].hash);
	assert_false(auth_verify(&job));
	auth_job_clear(&job);
	assert_int_equal(auth_lookup(&f->c, "nobody", "x", &job), AUTH_REFUSED);
	assert_int_equal(runs, 2);
	auth_job_clear(&job); /* safe on a job lookup left empty */
}

static void
test_cache_is_bounded(void **state)
{
	struct fixture *f = *state;
	char pw[32];

	assert_false(check(&f->c, "alice", "guess-0"));
	for (int i = 1; i <= 200; i++) {
		(void)snprintf(pw, sizeof(pw), "guess-%d", i);
		assert_false(check(&f->c, "alice", pw));
	}
	assert_int_equal(runs, 201);
	/* guess-0 was pushed out by 200 newer entries: bcrypt runs again. */
	assert_false(check(&f->c, "alice", "guess-0"));
	assert_int_equal(runs, 202);
}

static void
test_failures_do_not_push_out_a_success(void **state)
{
	struct fixture *f = *state;
	char pw[32];

	assert_true(check(&f->c, "alice", "wonderland"));
	for (int i = 0; i < 500; i++) {
		(void)snprintf(pw, sizeof(pw), "guess-%d", i);
		assert_false(check(&f->c, "alice", pw));
	}
	assert_int_equal(runs, 501);
	/* The scraper's success survives a password-guessing flood. */
	assert_true(check(&f->c, "alice", "wonderland"));
	assert_int_equal(runs, 501);
}

struct worker {
	const struct web_config *c;
	const char *user, *pass;
	bool want;
	int wrong;
};

static void *
work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 20; i++)
		w->wrong += check(w->c, w->user, w->pass) != w->want;
	return NULL;
}

static void
test_threads(void **state)
{
	struct fixture *f = *state;
	pthread_t t[6];
	struct worker w[6] = {
		{&f->c, "alice", "wonderland", true, 0}, {&f->c, "alice", "no", false, 0},
		{&f->c, "bob", "", true, 0},		 {&f->c, "carol", "s3cret", false, 0},
		{&f->c, "zed", "", false, 0},		 {&f->c, "carol", "s3cret:with:colons", true, 0},
	};

	for (int i = 0; i < 6; i++)
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].wrong, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_right_and_wrong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_saves_bcrypt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_key_is_the_hash_too, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_user_costs_what_a_known_one_does, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lookup_then_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_do_not_push_out_a_success, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
