/* Unit tests for busy percentages between looks, on an injected clock: first look, the window,
 * capacity, looks too close together keeping the older counters, new and reset counters. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "busy_window.h"

#define S_NS 1000000000LL

/* Looks at two counters, a (one engine) and b (two engines), at t seconds. */
static enum busy_window_result
look(struct busy_window *w, double t, double a, double b, struct busy_sample ret[2],
     double *ret_window_s)
{
	ret[0] = (struct busy_sample){.key = "a", .value = a, .capacity = 1};
	ret[1] = (struct busy_sample){.key = "b", .value = b, .capacity = 2};
	return busy_window_update(w, ret, 2, (int64_t)(t * S_NS), ret_window_s);
}

static void
test_window(void **state)
{
	(void)state;
	struct busy_window *w = busy_window_new();
	struct busy_sample s[2];
	double window = -1;

	assert_int_equal(look(w, 100, 10, 4, s, &window), BUSY_WINDOW_FIRST);
	assert_true(isnan(s[0].pct) && isnan(s[1].pct));
	assert_true(window == -1);

	assert_int_equal(look(w, 102, 10.5, 6, s, &window), BUSY_WINDOW_OK);
	assert_true(window == 2.0);
	assert_true(fabs(s[0].pct - 25) < 1e-9);
	assert_true(fabs(s[1].pct - 50) < 1e-9); /* 2 s over 2 engines in 2 s */

	/* Too soon: no figure, and the counters of 102 s stay the baseline. */
	window = -1;
	assert_int_equal(look(w, 102.9, 11, 6, s, &window), BUSY_WINDOW_TOO_SOON);
	assert_true(isnan(s[0].pct) && isnan(s[1].pct));
	assert_true(window == -1);
	assert_int_equal(look(w, 103, 11.25, 6, s, &window), BUSY_WINDOW_OK);
	assert_true(window == 1.0);
	assert_true(fabs(s[0].pct - 75) < 1e-9);
	assert_true(s[1].pct == 0);
	busy_window_free(w);
}

static void
test_new_and_reset(void **state)
{
	(void)state;
	struct busy_window *w = busy_window_new();
	struct busy_sample s[2];
	double window;

	s[0] = (struct busy_sample){.key = "a", .value = 5, .capacity = 1};
	assert_int_equal(busy_window_update(w, s, 1, 10 * S_NS, &window), BUSY_WINDOW_FIRST);
	/* b is new: no figure for it; a went down (device re-added): none either. */
	assert_int_equal(look(w, 12, 1, 3, s, &window), BUSY_WINDOW_OK);
	assert_true(isnan(s[0].pct) && isnan(s[1].pct));
	/* Both were kept at 12 s and count from there. */
	assert_int_equal(look(w, 14, 2, 3, s, &window), BUSY_WINDOW_OK);
	assert_true(fabs(s[0].pct - 50) < 1e-9);
	assert_true(s[1].pct == 0);
	/* A look without counters keeps none: they start over afterwards. */
	assert_int_equal(busy_window_update(w, NULL, 0, 16 * S_NS, &window), BUSY_WINDOW_OK);
	assert_int_equal(look(w, 18, 3, 4, s, &window), BUSY_WINDOW_OK);
	assert_true(isnan(s[0].pct) && isnan(s[1].pct));
	busy_window_free(w);
	busy_window_free(NULL);
}

static void
test_capacity_below_one(void **state)
{
	(void)state;
	struct busy_window *w = busy_window_new();
	struct busy_sample s = {.key = "x", .value = 0, .capacity = 0};
	double window;

	(void)busy_window_update(w, &s, 1, 0, &window);
	s.value = 0.5;
	assert_int_equal(busy_window_update(w, &s, 1, S_NS, &window), BUSY_WINDOW_OK);
	/* A capacity of 0 (not reported) counts as one engine, not a division by zero. */
	assert_true(fabs(s.pct - 50) < 1e-9);
	busy_window_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_new_and_reset),
	    cmocka_unit_test(test_capacity_below_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
