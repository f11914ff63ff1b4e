/* Unit tests for watchdog_policy.c: every rule of wd_decide() and each refusal reason, the order
 * in which the rules apply, the repair budget per window, the backoff sequence, the overflow
 * guards of the time arithmetic, and when a burst of udev events has ended (wd_burst_step() and
 * the event classifiers). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "parse.h"
#include "watchdog_policy.h"

#define SEC INT64_C(1000000000)
#define HOUR (3600 * SEC)
/* 2023-11-14T22:13:20Z: realistic CLOCK_REALTIME nanoseconds, far from 0 ("none"). */
#define NOW (INT64_C(1700000000) * SEC)

static const char *const default_drivers[] = {"i915", "xe"};

static struct wd_config
config(void)
{
	return (struct wd_config){
		.pf_drivers = default_drivers,
		.npf_drivers = 2,
		.force_partial = false,
		.max_repairs = 3,
		.window_ns = HOUR,
		.backoff_first_ns = 1 * SEC,
		.backoff_max_ns = 64 * SEC,
	};
}

/* A PF where every safety rule passes: VFs gone, i915 with SR-IOV, helper ready. */
static struct wd_input
safe(void)
{
	return (struct wd_input){
		.has_target = true,
		.target = 7,
		.current = 0,
		.totalvfs_known = true,
		.totalvfs = 7,
		.driver = "i915",
		.module_sriov_capable = true,
		.pf_assigned_to_vm = false,
		.helper_available = true,
		.helper_allows = true,
	};
}

static const struct wd_history fresh;

/* A macro so that a failure names the line of the case. */
#define assert_decision(d, want_action, want_state, want_reason)                                   \
	do {                                                                                       \
		struct wd_decision d_ = (d);                                                       \
		assert_int_equal(d_.action, (want_action));                                        \
		assert_string_equal(wd_state_names[d_.state], wd_state_names[(want_state)]);       \
		assert_string_equal(wd_reason_names[d_.reason], wd_reason_names[(want_reason)]);   \
	} while (0)

#define assert_repair(d) assert_decision((d), WD_ACTION_REPAIR, WD_STATE_REPAIRING, WD_REASON_NONE)
#define assert_ok(d) assert_decision((d), WD_ACTION_NONE, WD_STATE_OK, WD_REASON_NONE)
#define assert_blocked(d, reason) assert_decision((d), WD_ACTION_NONE, WD_STATE_BLOCKED, (reason))
#define assert_gave_up(d) assert_decision((d), WD_ACTION_NONE, WD_STATE_GAVE_UP, WD_REASON_NONE)
#define assert_backoff(d) assert_decision((d), WD_ACTION_NONE, WD_STATE_BACKOFF, WD_REASON_NONE)

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(wd_state_names[WD_STATE_OK], "ok");
	assert_string_equal(wd_state_names[WD_STATE_REPAIRING], "repairing");
	assert_string_equal(wd_state_names[WD_STATE_BACKOFF], "backoff");
	assert_string_equal(wd_state_names[WD_STATE_GAVE_UP], "gave_up");
	assert_string_equal(wd_state_names[WD_STATE_BLOCKED], "blocked");
	assert_string_equal(wd_reason_names[WD_REASON_NONE], "");
	assert_string_equal(wd_reason_names[WD_REASON_NO_TARGET], "no_target");
	assert_string_equal(wd_reason_names[WD_REASON_PF_UNBOUND], "pf_unbound");
	assert_string_equal(wd_reason_names[WD_REASON_PF_DRIVER], "pf_driver");
	assert_string_equal(wd_reason_names[WD_REASON_MODULE_NOT_SRIOV], "module_not_sriov");
	assert_string_equal(wd_reason_names[WD_REASON_TOTALVFS_TOO_LOW], "totalvfs_too_low");
	assert_string_equal(wd_reason_names[WD_REASON_PF_ASSIGNED_TO_VM], "pf_assigned_to_vm");
	assert_string_equal(wd_reason_names[WD_REASON_PARTIAL_COUNT], "partial_count");
	assert_string_equal(wd_reason_names[WD_REASON_HELPER_UNAVAILABLE], "helper_unavailable");
	assert_string_equal(wd_reason_names[WD_REASON_NOT_ALLOWED], "not_allowed");
}

static void
test_repair_when_safe(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	assert_repair(wd_decide(&cfg, &in, &fresh, NOW));
	in.driver = "xe";
	assert_repair(wd_decide(&cfg, &in, &fresh, NOW));
	/* totalvfs above the target is fine. */
	in.totalvfs = 63;
	assert_repair(wd_decide(&cfg, &in, &fresh, NOW));
}

static void
test_no_target(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	in.has_target = false;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_NO_TARGET);
	/* Even with VFs present: without a target nothing says what "right" is. */
	in.current = 7;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_NO_TARGET);
}

static void
test_at_or_above_target(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	in.current = 7;
	assert_ok(wd_decide(&cfg, &in, &fresh, NOW));
	/* More than intended is never reduced, not even with force_partial. */
	in.current = 8;
	assert_ok(wd_decide(&cfg, &in, &fresh, NOW));
	cfg.force_partial = true;
	assert_ok(wd_decide(&cfg, &in, &fresh, NOW));
	/* A target of 0 with no VFs: nothing to do. */
	in.target = 0;
	in.current = 0;
	assert_ok(wd_decide(&cfg, &in, &fresh, NOW));
	/* Healthy wins over every blocking condition: a PF that needs nothing is not "blocked". */
	in = safe();
	in.current = 7;
	in.pf_assigned_to_vm = true;
	in.driver = "";
	in.module_sriov_capable = false;
	in.helper_available = false;
	assert_ok(wd_decide(&cfg, &in, &fresh, NOW));
}

static void
test_pf_assigned_to_vm(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	in.pf_assigned_to_vm = true;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_ASSIGNED_TO_VM);
}

static void
test_pf_unbound(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	in.driver = "";
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_UNBOUND);
	in.driver = NULL;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_UNBOUND);
}

static void
test_pf_driver_vfio(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	in.driver = "vfio-pci";
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_DRIVER);
	/* Whole names only. */
	in.driver = "i91";
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_DRIVER);
	in.driver = "i915x";
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_DRIVER);
	in.driver = "I915";
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_DRIVER);
}

static void
test_custom_drivers(void **state)
{
	static const char *const only_xe[] = {"xe"};
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	cfg.pf_drivers = only_xe;
	cfg.npf_drivers = 1;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_DRIVER);
	in.driver = "xe";
	assert_repair(wd_decide(&cfg, &in, &fresh, NOW));
	/* An empty list allows nothing. */
	cfg.npf_drivers = 0;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_DRIVER);
	cfg.pf_drivers = NULL;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_DRIVER);
}

static void
test_module_not_sriov(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	in.module_sriov_capable = false;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_MODULE_NOT_SRIOV);
}

static void
test_totalvfs_too_low(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	in.totalvfs = 6;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_TOTALVFS_TOO_LOW);
	in.totalvfs = 0;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_TOTALVFS_TOO_LOW);
	in.totalvfs = 7;
	assert_repair(wd_decide(&cfg, &in, &fresh, NOW));
}

static void
test_totalvfs_unknown(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	/* Unreadable totalvfs does not block: the helper checks it before writing. */
	in.totalvfs_known = false;
	in.totalvfs = 0;
	assert_repair(wd_decide(&cfg, &in, &fresh, NOW));
}

static void
test_partial_count(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	in.current = 3;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PARTIAL_COUNT);
	in.current = 6;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PARTIAL_COUNT);
	cfg.force_partial = true;
	assert_repair(wd_decide(&cfg, &in, &fresh, NOW));
	in.current = 1;
	assert_repair(wd_decide(&cfg, &in, &fresh, NOW));
	/* force_partial lifts that one rule only. */
	in.pf_assigned_to_vm = true;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_ASSIGNED_TO_VM);
}

static void
test_helper_unavailable(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	in.helper_available = false;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_HELPER_UNAVAILABLE);
	/* What an absent helper would allow is unknown: unavailable is the reason. */
	in.helper_allows = false;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_HELPER_UNAVAILABLE);
}

static void
test_not_allowed(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	in.helper_allows = false;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_NOT_ALLOWED);
}

/* Everything wrong at once, then fixed one condition at a time: each step must report the next
 * reason in the documented order. */
static void
test_precedence(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = {
		.has_target = false,
		.target = 7,
		.current = 3,
		.totalvfs_known = true,
		.totalvfs = 2,
		.driver = "",
		.module_sriov_capable = false,
		.pf_assigned_to_vm = true,
		.helper_available = false,
		.helper_allows = false,
	};
	struct wd_history h = {
		.window_start = NOW - SEC,
		.attempts = 3,
		.next_attempt = NOW + SEC,
		.backoff = 2 * SEC,
	};

	(void)state;
	assert_blocked(wd_decide(&cfg, &in, &h, NOW), WD_REASON_NO_TARGET);
	in.has_target = true;
	assert_blocked(wd_decide(&cfg, &in, &h, NOW), WD_REASON_PF_ASSIGNED_TO_VM);
	in.pf_assigned_to_vm = false;
	assert_blocked(wd_decide(&cfg, &in, &h, NOW), WD_REASON_PF_UNBOUND);
	in.driver = "vfio-pci";
	assert_blocked(wd_decide(&cfg, &in, &h, NOW), WD_REASON_PF_DRIVER);
	in.driver = "xe";
	assert_blocked(wd_decide(&cfg, &in, &h, NOW), WD_REASON_MODULE_NOT_SRIOV);
	in.module_sriov_capable = true;
	assert_blocked(wd_decide(&cfg, &in, &h, NOW), WD_REASON_TOTALVFS_TOO_LOW);
	in.totalvfs_known = false;
	assert_blocked(wd_decide(&cfg, &in, &h, NOW), WD_REASON_PARTIAL_COUNT);
	in.current = 0;
	assert_blocked(wd_decide(&cfg, &in, &h, NOW), WD_REASON_HELPER_UNAVAILABLE);
	in.helper_available = true;
	assert_blocked(wd_decide(&cfg, &in, &h, NOW), WD_REASON_NOT_ALLOWED);
	in.helper_allows = true;
	/* The budget outranks the backoff: both apply here. */
	assert_gave_up(wd_decide(&cfg, &in, &h, NOW));
	h.attempts = 2;
	assert_backoff(wd_decide(&cfg, &in, &h, NOW));
	h.next_attempt = NOW;
	assert_repair(wd_decide(&cfg, &in, &h, NOW));
}

static void
test_vm_wins_over_partial(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();

	(void)state;
	in.current = 2;
	in.pf_assigned_to_vm = true;
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_ASSIGNED_TO_VM);
	/* And unbound/vfio-pci over partial: a PF handed to vfio-pci has no VFs to "repair". */
	in.pf_assigned_to_vm = false;
	in.driver = "vfio-pci";
	assert_blocked(wd_decide(&cfg, &in, &fresh, NOW), WD_REASON_PF_DRIVER);
}

/* Successful repairs that do not stick (the VFs vanish again) still spend the budget. */
static void
test_budget(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();
	struct wd_history h = fresh;
	int64_t t = NOW;

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		assert_repair(wd_decide(&cfg, &in, &h, t));
		wd_record_attempt(&cfg, &h, 0, t);
		assert_int_equal(h.window_start, NOW);
		assert_int_equal(h.attempts, i + 1);
		t += 60 * SEC;
	}
	assert_gave_up(wd_decide(&cfg, &in, &h, t));
	/* The last nanosecond of the window is still in it. */
	assert_gave_up(wd_decide(&cfg, &in, &h, NOW + HOUR - 1));
	/* The window ends: allowed again, and the next attempt opens a new window. */
	assert_repair(wd_decide(&cfg, &in, &h, NOW + HOUR));
	wd_record_attempt(&cfg, &h, 0, NOW + HOUR);
	assert_int_equal(h.window_start, NOW + HOUR);
	assert_int_equal(h.attempts, 1);
	assert_int_equal(h.successes, 4);
	assert_repair(wd_decide(&cfg, &in, &h, NOW + HOUR + SEC));
}

static void
test_budget_with_failures(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();
	struct wd_history h = fresh;

	(void)state;
	cfg.max_repairs = 2;
	wd_record_attempt(&cfg, &h, -EIO, NOW);
	assert_backoff(wd_decide(&cfg, &in, &h, NOW));
	assert_repair(wd_decide(&cfg, &in, &h, NOW + SEC));
	wd_record_attempt(&cfg, &h, -EIO, NOW + SEC);
	/* Backoff over (2 s) but budget spent. */
	assert_gave_up(wd_decide(&cfg, &in, &h, NOW + 10 * SEC));
	assert_int_equal(h.failures, 2);
	assert_int_equal(h.attempts, 2);
}

static void
test_budget_unlimited(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();
	struct wd_history h = fresh;

	(void)state;
	cfg.max_repairs = 0;
	for (unsigned i = 0; i < 1000; i++)
		wd_record_attempt(&cfg, &h, 0, NOW + i);
	assert_int_equal(h.attempts, 1000);
	assert_int_equal(h.window_start, NOW);
	assert_repair(wd_decide(&cfg, &in, &h, NOW + 1000));
	/* Backoff still applies without a budget. */
	wd_record_attempt(&cfg, &h, -EIO, NOW + 1000);
	assert_backoff(wd_decide(&cfg, &in, &h, NOW + 1000));
}

/* A window persisted from before a restart is honoured; one from before the window length
 * elapsed no longer counts. */
static void
test_window_roll(void **state)
{
	struct wd_config cfg = config();
	struct wd_history h = {.window_start = NOW, .attempts = 3};

	(void)state;
	wd_record_attempt(&cfg, &h, 0, NOW + HOUR - 1);
	assert_int_equal(h.window_start, NOW);
	assert_int_equal(h.attempts, 4);
	wd_record_attempt(&cfg, &h, 0, NOW + HOUR);
	assert_int_equal(h.window_start, NOW + HOUR);
	assert_int_equal(h.attempts, 1);
	wd_record_attempt(&cfg, &h, 0, NOW + 5 * HOUR);
	assert_int_equal(h.window_start, NOW + 5 * HOUR);
	assert_int_equal(h.attempts, 1);
}

/* The realtime clock set back behind window_start: the budget is not suspended. */
static void
test_clock_set_back(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();
	struct wd_history h = {.window_start = NOW, .attempts = 3};

	(void)state;
	/* Before the window: not inside it, so no budget verdict yet... */
	assert_repair(wd_decide(&cfg, &in, &h, NOW - HOUR));
	/* ...but the attempt opens a window at now, which then counts. */
	wd_record_attempt(&cfg, &h, 0, NOW - HOUR);
	assert_int_equal(h.window_start, NOW - HOUR);
	assert_int_equal(h.attempts, 1);
	wd_record_attempt(&cfg, &h, 0, NOW - HOUR + 1);
	wd_record_attempt(&cfg, &h, 0, NOW - HOUR + 2);
	assert_gave_up(wd_decide(&cfg, &in, &h, NOW - HOUR + 3));
}

static void
test_backoff_sequence(void **state)
{
	static const int64_t steps[] = {1, 2, 4, 8, 16, 32, 64, 64, 64};
	struct wd_config cfg = config();
	struct wd_input in = safe();
	struct wd_history h = fresh;
	int64_t t = NOW;

	(void)state;
	cfg.max_repairs = 0;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		wd_record_attempt(&cfg, &h, -EIO, t);
		assert_int_equal(h.backoff, steps[i] * SEC);
		assert_int_equal(h.next_attempt, t + steps[i] * SEC);
		assert_int_equal(h.last_repair, t);
		assert_int_equal(h.last_result, -EIO);
		assert_int_equal(h.failures, i + 1);
		assert_backoff(wd_decide(&cfg, &in, &h, t));
		assert_backoff(wd_decide(&cfg, &in, &h, h.next_attempt - 1));
		assert_repair(wd_decide(&cfg, &in, &h, h.next_attempt));
		t = h.next_attempt;
	}
	/* A success clears the backoff; the next failure starts over at the first step. */
	wd_record_attempt(&cfg, &h, 0, t);
	assert_int_equal(h.backoff, 0);
	assert_int_equal(h.next_attempt, 0);
	assert_int_equal(h.last_result, 0);
	assert_int_equal(h.successes, 1);
	assert_int_equal(h.failures, 9);
	assert_repair(wd_decide(&cfg, &in, &h, t));
	wd_record_attempt(&cfg, &h, -EIO, t + SEC);
	assert_int_equal(h.backoff, SEC);
	assert_int_equal(h.next_attempt, t + 2 * SEC);
}

/* A cap that is not a power-of-two multiple of the first step is reached exactly. */
static void
test_backoff_odd_cap(void **state)
{
	static const int64_t steps[] = {3, 6, 12, 20, 20};
	struct wd_config cfg = config();
	struct wd_history h = fresh;

	(void)state;
	cfg.backoff_first_ns = 3 * SEC;
	cfg.backoff_max_ns = 20 * SEC;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		wd_record_attempt(&cfg, &h, -EIO, NOW);
		assert_int_equal(h.backoff, steps[i] * SEC);
	}
	/* A cap below the first step: the first step is the longest there is. */
	cfg.backoff_first_ns = 10 * SEC;
	cfg.backoff_max_ns = 5 * SEC;
	h = fresh;
	wd_record_attempt(&cfg, &h, -EIO, NOW);
	assert_int_equal(h.backoff, 10 * SEC);
	wd_record_attempt(&cfg, &h, -EIO, NOW);
	assert_int_equal(h.backoff, 10 * SEC);
	/* A backoff from a state file longer than today's cap comes down to the cap. */
	cfg = config();
	h = fresh;
	h.backoff = 3600 * SEC;
	wd_record_attempt(&cfg, &h, -EIO, NOW);
	assert_int_equal(h.backoff, 64 * SEC);
}

static void
test_overflow_guards(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();
	struct wd_history h = fresh;

	(void)state;
	/* A window that never ends: start + length saturates instead of wrapping negative. */
	cfg.window_ns = INT64_MAX;
	cfg.max_repairs = 1;
	wd_record_attempt(&cfg, &h, 0, NOW);
	assert_gave_up(wd_decide(&cfg, &in, &h, NOW));
	assert_gave_up(wd_decide(&cfg, &in, &h, INT64_MAX - 1));
	wd_record_attempt(&cfg, &h, 0, INT64_MAX - 1);
	assert_int_equal(h.window_start, NOW);
	assert_int_equal(h.attempts, 2);

	/* Huge backoff steps: doubling and now + backoff saturate at INT64_MAX. */
	cfg = config();
	cfg.max_repairs = 0;
	cfg.backoff_first_ns = INT64_MAX / 2 + 1;
	cfg.backoff_max_ns = INT64_MAX;
	h = fresh;
	wd_record_attempt(&cfg, &h, -EIO, NOW);
	assert_int_equal(h.backoff, INT64_MAX / 2 + 1);
	assert_int_equal(h.next_attempt, NOW + INT64_MAX / 2 + 1);
	wd_record_attempt(&cfg, &h, -EIO, NOW);
	assert_int_equal(h.backoff, INT64_MAX);
	assert_int_equal(h.next_attempt, INT64_MAX);
	assert_backoff(wd_decide(&cfg, &in, &h, INT64_MAX - 1));
	assert_true(h.backoff > 0 && h.next_attempt > 0);

	/* Persisted values at their limits. */
	h = fresh;
	h.backoff = INT64_MAX;
	h.attempts = UINT32_MAX;
	h.successes = UINT64_MAX;
	h.failures = UINT64_MAX;
	h.window_start = NOW;
	wd_record_attempt(&cfg, &h, -EIO, NOW + 1);
	assert_int_equal(h.window_start, NOW);
	assert_int_equal(h.attempts, UINT32_MAX);
	assert_true(h.failures == UINT64_MAX);
	assert_int_equal(h.next_attempt, INT64_MAX);
	wd_record_attempt(&cfg, &h, 0, NOW + 2);
	assert_int_equal(h.attempts, UINT32_MAX);
	assert_true(h.successes == UINT64_MAX);
	/* A window starting near the end of time: its end saturates and the window is empty. */
	h = fresh;
	h.window_start = INT64_MAX - 1;
	h.attempts = 5;
	wd_record_attempt(&cfg, &h, 0, INT64_MAX);
	assert_int_equal(h.window_start, INT64_MAX);
	assert_int_equal(h.attempts, 1);
}

/* Negative durations from a broken config mean "none", never a deadline that wraps. */
static void
test_negative_config(void **state)
{
	struct wd_config cfg = config();
	struct wd_input in = safe();
	struct wd_history h = fresh;

	(void)state;
	cfg.backoff_first_ns = -SEC;
	cfg.backoff_max_ns = INT64_MIN;
	cfg.window_ns = INT64_MIN;
	wd_record_attempt(&cfg, &h, -EIO, NOW);
	assert_int_equal(h.backoff, 0);
	assert_int_equal(h.next_attempt, NOW);
	assert_repair(wd_decide(&cfg, &in, &h, NOW));
	/* A window of no length holds no attempts: each one opens a new window. */
	wd_record_attempt(&cfg, &h, -EIO, NOW);
	wd_record_attempt(&cfg, &h, -EIO, NOW);
	wd_record_attempt(&cfg, &h, -EIO, NOW);
	assert_int_equal(h.attempts, 1);
	assert_repair(wd_decide(&cfg, &in, &h, NOW));
}

/* The burst of a 3-VF removal as the watchdog sees it after each drain: 3 VFs, then 2 and 1
 * (half done: wait), then 0 (look now). */
static void
test_burst_removal(void **state)
{
	struct wd_vf_count pf = {.last = 3, .now = 3, .has_target = true, .target = 3};

	(void)state;
	/* Events that moved no count (another device went): a short quiet spell. */
	assert_int_equal(wd_burst_step(true, &pf, 1), WD_BURST_QUIET);
	pf.now = 2;
	assert_int_equal(wd_burst_step(true, &pf, 1), WD_BURST_SETTLE);
	pf.now = 1;
	assert_int_equal(wd_burst_step(true, &pf, 1), WD_BURST_SETTLE);
	pf.now = 0;
	assert_int_equal(wd_burst_step(true, &pf, 1), WD_BURST_LOOK);
	/* A PF with no VFs before is not "emptied": nothing to look at at once. */
	pf.last = 0;
	assert_int_equal(wd_burst_step(true, &pf, 1), WD_BURST_QUIET);
	/* No PF followed yet. */
	assert_int_equal(wd_burst_step(true, NULL, 0), WD_BURST_QUIET);
}

/* Anything but removals of other devices settles, even when a PF was emptied: a PF whose own
 * driver goes, VFs being added or bound. */
static void
test_burst_not_only_removals(void **state)
{
	struct wd_vf_count pf = {.last = 3, .now = 0, .has_target = true, .target = 3};

	(void)state;
	assert_int_equal(wd_burst_step(false, &pf, 1), WD_BURST_SETTLE);
	assert_int_equal(wd_burst_step(false, NULL, 0), WD_BURST_SETTLE);
}

/* Counts that moved without being half done: at the target, above it, or, without a target,
 * more than before. */
static void
test_burst_counts_not_half_done(void **state)
{
	struct wd_vf_count pf = {.last = 0, .now = 3, .has_target = true, .target = 3};

	(void)state;
	assert_int_equal(wd_burst_step(true, &pf, 1), WD_BURST_QUIET);
	pf.now = 5;
	assert_int_equal(wd_burst_step(true, &pf, 1), WD_BURST_QUIET);
	pf.now = 2; /* going up but not there */
	assert_int_equal(wd_burst_step(true, &pf, 1), WD_BURST_SETTLE);
	pf = (struct wd_vf_count){.last = 2, .now = 4, .has_target = false};
	assert_int_equal(wd_burst_step(true, &pf, 1), WD_BURST_QUIET);
	pf.now = 1;
	assert_int_equal(wd_burst_step(true, &pf, 1), WD_BURST_SETTLE);
}

/* Two PFs: one emptied, the other half way: the half-done one wins, so neither is judged in
 * the middle of its change. */
static void
test_burst_two_pfs(void **state)
{
	struct wd_vf_count pfs[2] = {
		{.last = 3, .now = 0, .has_target = true, .target = 3},
		{.last = 5, .now = 2, .has_target = true, .target = 5},
	};

	(void)state;
	assert_int_equal(wd_burst_step(true, pfs, 2), WD_BURST_SETTLE);
	pfs[1].now = 0;
	assert_int_equal(wd_burst_step(true, pfs, 2), WD_BURST_LOOK);
	pfs[1] = (struct wd_vf_count){.last = 5, .now = 5, .has_target = true, .target = 5};
	assert_int_equal(wd_burst_step(true, pfs, 2), WD_BURST_LOOK);
}

static void
test_event_removal(void **state)
{
	(void)state;
	assert_true(wd_event_removal("remove"));
	assert_true(wd_event_removal("unbind"));
	assert_false(wd_event_removal("add"));
	assert_false(wd_event_removal("bind"));
	assert_false(wd_event_removal("change"));
	assert_false(wd_event_removal("removed"));
	assert_false(wd_event_removal(""));
	assert_false(wd_event_removal(NULL));
}

/* The function an event is about: the PCI device itself, the function a DRM node hangs off, a
 * VF behind a bridge; nothing for devices outside PCI. */
static void
test_event_function(void **state)
{
	char bdf[PARSE_BDF_SIZE] = "unchanged";

	(void)state;
	assert_int_equal(wd_event_function("/devices/pci0000:00/0000:00:02.0", bdf), 0);
	assert_string_equal(bdf, "0000:00:02.0");
	assert_int_equal(wd_event_function("/devices/pci0000:00/0000:00:02.3/drm/renderD131", bdf),
			 0);
	assert_string_equal(bdf, "0000:00:02.3");
	assert_int_equal(wd_event_function("/devices/pci0000:00/0000:00:1c.0/0000:01:00.1", bdf), 0);
	assert_string_equal(bdf, "0000:01:00.1");
	assert_int_equal(wd_event_function("/devices/pci0000:00/0000:00:1C.0/0000:0A:00.0/drm/card1",
					   bdf),
			 0);
	assert_string_equal(bdf, "0000:0a:00.0");
	memcpy(bdf, "unchanged", 10);
	assert_int_equal(wd_event_function("/devices/virtual/drm/ttm", bdf), -ENOENT);
	assert_int_equal(wd_event_function("/devices/pci0000:00", bdf), -ENOENT);
	assert_int_equal(wd_event_function("", bdf), -ENOENT);
	assert_int_equal(wd_event_function(NULL, bdf), -ENOENT);
	/* Too long, too short, a device number past 0x1f: not addresses. */
	assert_int_equal(wd_event_function("/devices/00000:00:02.0/0000:00:02.00", bdf), -ENOENT);
	assert_int_equal(wd_event_function("/devices/0000:00:20.0", bdf), -ENOENT);
	assert_string_equal(bdf, "unchanged");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_repair_when_safe),
		cmocka_unit_test(test_no_target),
		cmocka_unit_test(test_at_or_above_target),
		cmocka_unit_test(test_pf_assigned_to_vm),
		cmocka_unit_test(test_pf_unbound),
		cmocka_unit_test(test_pf_driver_vfio),
		cmocka_unit_test(test_custom_drivers),
		cmocka_unit_test(test_module_not_sriov),
		cmocka_unit_test(test_totalvfs_too_low),
		cmocka_unit_test(test_totalvfs_unknown),
		cmocka_unit_test(test_partial_count),
		cmocka_unit_test(test_helper_unavailable),
		cmocka_unit_test(test_not_allowed),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_vm_wins_over_partial),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_budget_with_failures),
		cmocka_unit_test(test_budget_unlimited),
		cmocka_unit_test(test_window_roll),
		cmocka_unit_test(test_clock_set_back),
		cmocka_unit_test(test_backoff_sequence),
		cmocka_unit_test(test_backoff_odd_cap),
		cmocka_unit_test(test_overflow_guards),
		cmocka_unit_test(test_negative_config),
		cmocka_unit_test(test_burst_removal),
		cmocka_unit_test(test_burst_not_only_removals),
		cmocka_unit_test(test_burst_counts_not_half_done),
		cmocka_unit_test(test_burst_two_pfs),
		cmocka_unit_test(test_event_removal),
		cmocka_unit_test(test_event_function),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
