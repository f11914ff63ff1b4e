/* Unit tests for the collector runtime: partial output of failing collectors is dropped, meta
 * metrics are always there, init is retried, backoff doubles and resets, the scrape deadline is
 * honoured without punishing collectors, skipped values are counted. Time is a fake clock. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "registry.h"

static int64_t fake_now;
static int calls_good, calls_bad, calls_init, calls_initfail_collect;
static int bad_result = -EIO;
static int init_failures_left;

static int64_t
fake_clock(void)
{
	return fake_now;
}

static int
good_collect(struct collector *c, struct expo *out)
{
	(void)c;
	calls_good++;
	return expo_add(out, "t_good", EXPO_GAUGE, "Good.", 1, NULL, 0);
}

static int
bad_collect(struct collector *c, struct expo *out)
{
	(void)c;
	calls_bad++;
	/* Written before failing: must not reach the output. */
	(void)expo_add(out, "t_partial", EXPO_GAUGE, "Partial.", 1, NULL, 0);
	return bad_result;
}

static int
buggy_collect(struct collector *c, struct expo *out)
{
	(void)c;
	(void)expo_add(out, "t_buggy", EXPO_GAUGE, "Fine.", 1, NULL, 0);
	(void)expo_add(out, "t-invalid name", EXPO_GAUGE, "Bad.", 1, NULL, 0);
	return 0;
}

static int
initfail_init(struct collector *c, const struct roots *roots)
{
	(void)roots;
	calls_init++;
	if (init_failures_left > 0) {
		init_failures_left--;
		return -ENODEV;
	}
	collector_set_data(c, strdup("state"));
	return 0;
}

static int
initfail_collect(struct collector *c, struct expo *out)
{
	calls_initfail_collect++;
	assert_string_equal(collector_get_data(c), "state");
	return expo_add(out, "t_init", EXPO_GAUGE, "Init.", 1, NULL, 0);
}

static void
initfail_fini(struct collector *c)
{
	free(collector_get_data(c));
	collector_set_data(c, NULL);
}

static int
skipper_collect(struct collector *c, struct expo *out)
{
	collector_skip(c, "a/file", EINVAL);
	collector_skip(c, "a/file", EINVAL);
	collector_skip(c, "b/file", ERANGE);
	return expo_add(out, "t_skipper", EXPO_GAUGE, "Skipper.", 1, NULL, 0);
}

static int
dup_collect(struct collector *c, struct expo *out)
{
	(void)c;
	(void)expo_add(out, "t_dup", EXPO_GAUGE, "Dup.", 1, EXPO_LABELS({"a", "x"}));
	(void)expo_add(out, "t_dup", EXPO_GAUGE, "Dup.", 2, EXPO_LABELS({"a", "x"}));
	return 0;
}

static int
clash_collect(struct collector *c, struct expo *out)
{
	(void)c;
	(void)expo_add(out, "t_clash_own", EXPO_GAUGE, "Own.", 1, NULL, 0);
	/* good's family with another help text */
	return expo_add(out, "t_good", EXPO_GAUGE, "Other help.", 2, EXPO_LABELS({"x", "y"}));
}

static const struct collector_ops good = {"good", "g", true, NULL, good_collect, NULL};
static const struct collector_ops bad = {"bad", "b", true, NULL, bad_collect, NULL};
static const struct collector_ops buggy = {"buggy", "b", true, NULL, buggy_collect, NULL};
static const struct collector_ops initfail = {"initfail", "i", true, initfail_init,
					      initfail_collect, initfail_fini};
static const struct collector_ops skipper = {"skipper", "s", true, NULL, skipper_collect, NULL};
static const struct collector_ops dup = {"dup", "d", true, NULL, dup_collect, NULL};
static const struct collector_ops off = {"off", "o", false, NULL, good_collect, NULL};

static const struct collector_ops *const table[] = {&good, &bad, &buggy, &initfail,
						    &skipper, &dup, &off};
static const bool enabled[] = {true, true, true, true, true, true, false};
static const struct roots roots = {-1, -1, -1};

static int
setup(void **state)
{
	fake_now = 1000000000LL;
	calls_good = calls_bad = calls_init = calls_initfail_collect = 0;
	bad_result = -EIO;
	init_failures_left = 0;
	*state = registry_new(table, sizeof(table) / sizeof(table[0]), enabled, &roots, fake_clock);
	return 0;
}

static int
teardown(void **state)
{
	registry_free(*state);
	return 0;
}

/* Runs one collection with a far deadline and returns the text exposition (caller frees). */
static char *
scrape(struct registry *r, size_t *ret_ok)
{
	struct expo *e = expo_new();
	struct buf b = BUF_INIT;
	size_t len;

	*ret_ok = registry_collect(r, e, fake_now + 10000000000LL);
	assert_int_equal(expo_error(e), 0);
	expo_render(e, EXPO_FORMAT_TEXT, &b);
	expo_free(e);
	return buf_steal(&b, &len);
}

static void
assert_has(const char *text, const char *line)
{
	if (strstr(text, line) == NULL)
		fail_msg("missing line: %s\n--- in ---\n%s", line, text);
}

static void
test_first_scrape(void **state)
{
	size_t ok;
	char *t = scrape(*state, &ok);

	assert_int_equal(ok, 4); /* good, initfail, skipper, dup */
	assert_int_equal(registry_enabled(*state), 6);
	assert_has(t, "t_good 1\n");
	assert_has(t, "t_init 1\n");
	assert_null(strstr(t, "t_partial"));
	assert_null(strstr(t, "t_buggy"));
	assert_has(t, "gpu_sriov_scrape_collector_success{collector=\"good\"} 1\n");
	assert_has(t, "gpu_sriov_scrape_collector_success{collector=\"bad\"} 0\n");
	assert_has(t, "gpu_sriov_scrape_collector_success{collector=\"buggy\"} 0\n");
	assert_has(t, "gpu_sriov_scrape_collector_duration_seconds{collector=\"bad\"} 0\n");
	assert_has(t, "gpu_sriov_scrape_collector_skipped_values{collector=\"skipper\"} 3\n");
	assert_has(t, "gpu_sriov_scrape_collector_skipped_values{collector=\"good\"} 0\n");
	/* Duplicates are dropped, the first kept, the collector still succeeds. */
	assert_has(t, "t_dup{a=\"x\"} 1\n");
	assert_null(strstr(t, "t_dup{a=\"x\"} 2\n"));
	assert_has(t, "gpu_sriov_scrape_collector_success{collector=\"dup\"} 1\n");
	/* Disabled collectors run not and report nothing. */
	assert_null(strstr(t, "collector=\"off\""));
	assert_int_equal(calls_good, 1);
	free(t);
}

static void
test_backoff_doubles_and_resets(void **state)
{
	size_t ok;

	free(scrape(*state, &ok));
	assert_int_equal(calls_bad, 1);
	/* 0.5 s later: still in the first 1 s backoff, not called, reported failed. */
	fake_now += 500000000LL;
	char *t = scrape(*state, &ok);
	assert_int_equal(calls_bad, 1);
	assert_has(t, "gpu_sriov_scrape_collector_success{collector=\"bad\"} 0\n");
	free(t);
	fake_now += 500000000LL; /* 1 s after the failure: retried, fails, backoff now 2 s */
	free(scrape(*state, &ok));
	assert_int_equal(calls_bad, 2);
	fake_now += 1999999999LL;
	free(scrape(*state, &ok));
	assert_int_equal(calls_bad, 2);
	fake_now += 1;
	bad_result = 0; /* the source recovers */
	t = scrape(*state, &ok);
	assert_int_equal(calls_bad, 3);
	assert_has(t, "gpu_sriov_scrape_collector_success{collector=\"bad\"} 1\n");
	assert_has(t, "t_partial 1\n");
	free(t);
	/* After a success the next scrape runs it again at once. */
	free(scrape(*state, &ok));
	assert_int_equal(calls_bad, 4);
	/* Good collectors are never held back. */
	assert_int_equal(calls_good, 6);
}

static void
test_backoff_caps(void **state)
{
	static const int64_t want_s[] = {1, 2, 4, 8, 16, 32, 60, 60, 60};
	size_t ok;

	/* Scrape every second while the collector keeps failing; measure the gaps between tries. */
	free(scrape(*state, &ok));
	assert_int_equal(calls_bad, 1);
	int64_t last_try = fake_now;
	for (size_t i = 0; i < sizeof(want_s) / sizeof(want_s[0]); i++) {
		int before = calls_bad;
		while (calls_bad == before) {
			fake_now += REGISTRY_BACKOFF_FIRST_NS;
			if (fake_now - last_try > 2 * REGISTRY_BACKOFF_MAX_NS)
				fail_msg("no retry within twice the cap");
			free(scrape(*state, &ok));
		}
		assert_int_equal((fake_now - last_try) / REGISTRY_BACKOFF_FIRST_NS, want_s[i]);
		last_try = fake_now;
	}
}

static void
test_init_retried(void **state)
{
	size_t ok;

	registry_free(*state);
	init_failures_left = 2;
	*state = registry_new(table, sizeof(table) / sizeof(table[0]), enabled, &roots, fake_clock);
	registry_init_all(*state); /* fails, backoff 1 s */
	assert_int_equal(calls_init, 1);
	char *t = scrape(*state, &ok);
	assert_int_equal(calls_init, 1); /* still backing off */
	assert_has(t, "gpu_sriov_scrape_collector_success{collector=\"initfail\"} 0\n");
	free(t);
	fake_now += REGISTRY_BACKOFF_FIRST_NS;
	free(scrape(*state, &ok));
	assert_int_equal(calls_init, 2); /* fails again, backoff 2 s */
	assert_int_equal(calls_initfail_collect, 0);
	fake_now += 2 * REGISTRY_BACKOFF_FIRST_NS;
	t = scrape(*state, &ok);
	assert_int_equal(calls_init, 3);
	assert_int_equal(calls_initfail_collect, 1);
	assert_has(t, "t_init 1\n");
	free(t);
	free(scrape(*state, &ok));
	assert_int_equal(calls_init, 3); /* initialised once only */
}

static void
test_deadline(void **state)
{
	struct expo *e = expo_new();
	struct buf b = BUF_INIT;
	size_t len;

	/* A deadline already passed: nothing runs, all report failure... */
	size_t ok = registry_collect(*state, e, fake_now);
	assert_int_equal(ok, 0);
	assert_int_equal(calls_good, 0);
	expo_render(e, EXPO_FORMAT_TEXT, &b);
	char *t = buf_steal(&b, &len);
	assert_has(t, "gpu_sriov_scrape_collector_success{collector=\"good\"} 0\n");
	free(t);
	expo_free(e);
	/* ...but without backoff: the next scrape with time left runs them. */
	free(scrape(*state, &ok));
	assert_int_equal(calls_good, 1);
	assert_int_equal(ok, 4);
}

static void
test_family_clash(void **state)
{
	static const struct collector_ops clash = {"clash", "c", true, NULL, clash_collect, NULL};
	static const struct collector_ops *const t2[] = {&good, &clash};
	static const bool on2[] = {true, true};
	size_t ok;

	registry_free(*state);
	*state = registry_new(t2, 2, on2, &roots, fake_clock);
	char *t = scrape(*state, &ok);
	assert_int_equal(ok, 1);
	assert_has(t, "t_good 1\n");
	assert_has(t, "gpu_sriov_scrape_collector_success{collector=\"clash\"} 0\n");
	/* Dropped whole: not even its own family is half-written. */
	assert_null(strstr(t, "t_clash_own"));
	assert_null(strstr(t, "Other help."));
	free(t);
}

static void
test_builtin_table(void **state)
{
	size_t n;
	const struct collector_ops *const *ops = registry_builtin(&n);

	(void)state;
	assert_true(n >= 2);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(ops[i]->name);
		assert_non_null(ops[i]->help);
		assert_non_null(ops[i]->collect);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(ops[i]->name, ops[j]->name);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_scrape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_doubles_and_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_family_clash, setup, teardown),
		cmocka_unit_test(test_builtin_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
