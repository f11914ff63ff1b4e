/* Unit tests for ratelimit.c on a fake clock: the token bucket must behave like Go's
 * rate.Limiter with rate.Every(interval) and the same burst, which is what the toolkit uses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ratelimit.h"

#define S 1000000000LL

static int
allowed_in_a_row(struct ratelimit *r, int64_t now)
{
	int n = 0;

	while (n < 1000 && ratelimit_allow(r, now))
		n++;
	return n;
}

static void
test_no_limit(void **state)
{
	struct ratelimit r;

	(void)state;
	ratelimit_init(&r, 0, 0, 0);
	assert_int_equal(allowed_in_a_row(&r, 5), 1000);
}

static void
test_burst_then_one_per_interval(void **state)
{
	struct ratelimit r;

	(void)state;
	ratelimit_init(&r, S, 3, 100 * S);
	assert_int_equal(allowed_in_a_row(&r, 100 * S), 3);
	/* Not yet a whole interval: still nothing. */
	assert_false(ratelimit_allow(&r, 101 * S - 1));
	assert_true(ratelimit_allow(&r, 101 * S));
	assert_false(ratelimit_allow(&r, 101 * S));
	/* 2.5 intervals later: two tokens, and the half interval carries over. */
	assert_int_equal(allowed_in_a_row(&r, 103 * S + S / 2), 2);
	assert_false(ratelimit_allow(&r, 104 * S - 1));
	assert_true(ratelimit_allow(&r, 104 * S));
}

static void
test_refill_caps_at_burst(void **state)
{
	struct ratelimit r;

	(void)state;
	ratelimit_init(&r, S, 2, 0);
	assert_int_equal(allowed_in_a_row(&r, 0), 2);
	/* An hour idle saves up only burst tokens. */
	assert_int_equal(allowed_in_a_row(&r, 3600 * S), 2);
	/* From full, the next token's interval starts at the first spend, not at the refill. */
	assert_false(ratelimit_allow(&r, 3601 * S - 1));
	assert_true(ratelimit_allow(&r, 3601 * S));
}

static void
test_full_bucket_saves_no_fraction(void **state)
{
	struct ratelimit r;

	(void)state;
	ratelimit_init(&r, 10 * S, 1, 0);
	/* Full for 25 s, then spent: the next token needs a whole interval from the spend. */
	assert_true(ratelimit_allow(&r, 25 * S));
	assert_false(ratelimit_allow(&r, 34 * S));
	assert_true(ratelimit_allow(&r, 35 * S));
}

static void
test_burst_zero_refuses_everything(void **state)
{
	struct ratelimit r;

	(void)state;
	ratelimit_init(&r, S, 0, 0);
	assert_false(ratelimit_allow(&r, 0));
	assert_false(ratelimit_allow(&r, 1000 * S));
}

static void
test_clock_going_back(void **state)
{
	struct ratelimit r;

	(void)state;
	ratelimit_init(&r, S, 1, 50 * S);
	assert_true(ratelimit_allow(&r, 50 * S));
	/* An earlier time earns nothing and does not break the later refill. */
	assert_false(ratelimit_allow(&r, 10 * S));
	assert_true(ratelimit_allow(&r, 51 * S));
}

static void
test_huge_gap_no_overflow(void **state)
{
	struct ratelimit r;

	(void)state;
	ratelimit_init(&r, 1, UINT64_MAX, INT64_MIN + 1);
	assert_true(ratelimit_allow(&r, INT64_MIN + 1));
	assert_true(ratelimit_allow(&r, INT64_MAX));
	assert_int_equal(r.tokens, UINT64_MAX - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_limit),
		cmocka_unit_test(test_burst_then_one_per_interval),
		cmocka_unit_test(test_refill_caps_at_burst),
		cmocka_unit_test(test_full_bucket_saves_no_fraction),
		cmocka_unit_test(test_burst_zero_refuses_everything),
		cmocka_unit_test(test_clock_going_back),
		cmocka_unit_test(test_huge_gap_no_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
