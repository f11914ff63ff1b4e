/* Unit tests for pmu_events.c: the parsers for PMU format/ and events/ files, cpumask, engine
 * names and config composition, each with the real i915/xe texts and with malformed input. Every
 * failure case checks that the out-parameter keeps its sentinel. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pmu_events.h"

#define SENTINEL UINT64_C(0x5a5a5a5a5a5a5a5a)

#define assert_format_ok(text, want)                                                               \
	do {                                                                                       \
		uint64_t m_ = SENTINEL;                                                            \
		assert_int_equal(pmu_format_parse((text), &m_), 0);                                \
		assert_true(m_ == (uint64_t)(want));                                               \
	} while (0)

#define assert_format_fail(text, err)                                                              \
	do {                                                                                       \
		uint64_t m_ = SENTINEL;                                                            \
		assert_int_equal(pmu_format_parse((text), &m_), (err));                            \
		assert_true(m_ == SENTINEL);                                                       \
	} while (0)

static void
test_format(void **state)
{
	(void)state;
	/* i915 and xe as the kernel writes them. */
	assert_format_ok("config:0-20", 0x1fffff);
	assert_format_ok("config:0-20\n", 0x1fffff);
	assert_format_ok("config:0-11", 0xfff);
	assert_format_ok("config:12-19", 0xff000);
	assert_format_ok("config:20-27", 0xff00000);
	assert_format_ok("config:44-59", UINT64_C(0xffff) << 44);
	assert_format_ok("config:60-63", UINT64_C(0xf) << 60);
	/* Single bits and split fields (as some CPU PMUs use). */
	assert_format_ok("config:5", 0x20);
	assert_format_ok("config:63", UINT64_C(1) << 63);
	assert_format_ok("config:0-63", UINT64_MAX);
	assert_format_ok("config:0-7,32-35", UINT64_C(0xf000000ff));

	assert_format_fail("config1:0-7", -EOPNOTSUPP);
	assert_format_fail("config2:0", -EOPNOTSUPP);
	assert_format_fail("", -EINVAL);
	assert_format_fail("config", -EINVAL);
	assert_format_fail("config:", -EINVAL);
	assert_format_fail("config:-3", -EINVAL);
	assert_format_fail("config:3-", -EINVAL);
	assert_format_fail("config:20-0", -EINVAL);      /* reversed */
	assert_format_fail("config:0-64", -EINVAL);      /* beyond 64 bits */
	assert_format_fail("config:100", -EINVAL);
	assert_format_fail("config:007", -EINVAL);       /* three digits */
	assert_format_fail("config:07", -EINVAL);        /* leading zero */
	assert_format_fail("config:0-7,4-9", -EINVAL);   /* overlap */
	assert_format_fail("config:0-7,", -EINVAL);
	assert_format_fail("config:0-7 ", -EINVAL);
	assert_format_fail("config:0-7\n\n", -EINVAL);
	assert_format_fail("config:1,2,3,4,5,6,7,8,9", -EINVAL); /* more than 8 ranges */
	assert_format_fail("configx:0", -EINVAL);
	assert_format_fail("event:0-7", -EINVAL);
	assert_format_fail("config:0x3", -EINVAL);
}

static void
test_place(void **state)
{
	uint64_t cfg;

	(void)state;
	cfg = 0;
	assert_int_equal(pmu_field_place(0xff00000, 4, &cfg), 0); /* xe class compute */
	assert_true(cfg == 0x400000);
	assert_int_equal(pmu_field_place(0xff000, 1, &cfg), 0); /* instance 1 */
	assert_true(cfg == 0x401000);
	assert_int_equal(pmu_field_place(UINT64_C(0xffff) << 44, 7, &cfg), 0); /* VF 7 */
	assert_true(cfg == (UINT64_C(0x401000) | UINT64_C(7) << 44));
	/* Split field: low value bits fill the low range first. */
	cfg = 0;
	assert_int_equal(pmu_field_place(UINT64_C(0xf000000ff), 0x1ab, &cfg), 0);
	assert_true(cfg == UINT64_C(0x1000000ab));
	/* Zero fits anywhere, even into a missing field. */
	cfg = 3;
	assert_int_equal(pmu_field_place(0, 0, &cfg), 0);
	assert_true(cfg == 3);
	/* Too wide: untouched. */
	cfg = SENTINEL;
	assert_int_equal(pmu_field_place(0xf, 16, &cfg), -ERANGE);
	assert_int_equal(pmu_field_place(0, 1, &cfg), -ERANGE);
	assert_int_equal(pmu_field_place(UINT64_C(0xf) << 60, 16, &cfg), -ERANGE);
	assert_true(cfg == SENTINEL);
	cfg = 0;
	assert_int_equal(pmu_field_place(UINT64_MAX, UINT64_MAX, &cfg), 0);
	assert_true(cfg == UINT64_MAX);
}

#define assert_event_fail(text, err)                                                               \
	do {                                                                                       \
		struct pmu_term t_[PMU_MAX_TERMS];                                                 \
		size_t n_ = 99;                                                                    \
		assert_int_equal(pmu_event_parse((text), t_, PMU_MAX_TERMS, &n_), (err));          \
		assert_int_equal(n_, 99);                                                          \
	} while (0)

static void
test_event(void **state)
{
	struct pmu_term t[PMU_MAX_TERMS];
	size_t n = 0;

	(void)state;
	assert_int_equal(pmu_event_parse("config=0x100000", t, PMU_MAX_TERMS, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(t[0].name, "config");
	assert_true(t[0].value == 0x100000);
	assert_int_equal(pmu_event_parse("config=0x1000000000100003\n", t, PMU_MAX_TERMS, &n), 0);
	assert_true(t[0].value == UINT64_C(0x1000000000100003));
	assert_int_equal(pmu_event_parse("event=0x02", t, PMU_MAX_TERMS, &n), 0);
	assert_string_equal(t[0].name, "event");
	assert_true(t[0].value == 2);
	/* Several terms, decimal values, bare flags (= 1), upper-case hex. */
	assert_int_equal(pmu_event_parse("event=0x3C,umask=12,edge", t, PMU_MAX_TERMS, &n), 0);
	assert_int_equal(n, 3);
	assert_true(t[0].value == 0x3c);
	assert_true(t[1].value == 12);
	assert_string_equal(t[2].name, "edge");
	assert_true(t[2].value == 1);
	assert_int_equal(pmu_event_parse("config=18446744073709551615", t, PMU_MAX_TERMS, &n), 0);
	assert_true(t[0].value == UINT64_MAX);

	assert_event_fail("", -EINVAL);
	assert_event_fail("\n", -EINVAL);
	assert_event_fail("config=", -EINVAL);
	assert_event_fail("config=zzz", -EINVAL);
	assert_event_fail("config=0x", -EINVAL);
	assert_event_fail("config=0xg1", -EINVAL);
	assert_event_fail("config=-1", -EINVAL);
	assert_event_fail("config=+1", -EINVAL);
	assert_event_fail("config= 1", -EINVAL);
	assert_event_fail("config=1 ", -EINVAL);
	assert_event_fail("event=?", -EINVAL);           /* perf parameter, needs user input */
	assert_event_fail("config=0x1,", -EINVAL);
	assert_event_fail(",config=0x1", -EINVAL);
	assert_event_fail("config=0x1,config=0x2", -EINVAL); /* duplicate */
	assert_event_fail("con-fig=1", -EINVAL);
	assert_event_fail("config=0x1\nx", -EINVAL);
	assert_event_fail("config=0x10000000000000000", -ERANGE);
	assert_event_fail("config=18446744073709551616", -ERANGE);
	assert_event_fail("config=0000000000000000000000001", -EINVAL); /* longer than any number */
	assert_event_fail("a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1", -E2BIG);
	assert_event_fail("a_name_much_longer_than_thirty_one_chars=1", -EINVAL);

	/* max smaller than the terms present. */
	n = 99;
	assert_int_equal(pmu_event_parse("a=1,b=2", t, 1, &n), -E2BIG);
	assert_int_equal(n, 99);
}

static void
test_compose(void **state)
{
	const struct pmu_format xe[] = {
		{"event", 0xfff},
		{"engine_instance", 0xff000},
		{"engine_class", 0xff00000},
		{"function", UINT64_C(0xffff) << 44},
		{"gt", UINT64_C(0xf) << 60},
	};
	struct pmu_term t[PMU_MAX_TERMS];
	size_t n;
	uint64_t cfg = SENTINEL;

	(void)state;
	assert_int_equal(pmu_event_parse("event=0x02", t, PMU_MAX_TERMS, &n), 0);
	assert_int_equal(pmu_config_compose(t, n, xe, 5, &cfg), 0);
	assert_true(cfg == 2);
	/* The uapi example: engine-active-ticks of vcs1 for VF 3 on GT 1. */
	static const char vcs1_vf3_gt1[] =
	    "event=2,engine_class=2,engine_instance=1,function=3,gt=1";
	assert_int_equal(pmu_event_parse(vcs1_vf3_gt1, t, PMU_MAX_TERMS, &n), 0);
	assert_int_equal(pmu_config_compose(t, n, xe, 5, &cfg), 0);
	assert_true(cfg == (2 | 1 << 12 | 2 << 20 | UINT64_C(3) << 44 | UINT64_C(1) << 60));
	/* i915: raw config, no format needed. */
	assert_int_equal(pmu_event_parse("config=0x2010", t, PMU_MAX_TERMS, &n), 0);
	assert_int_equal(pmu_config_compose(t, n, NULL, 0, &cfg), 0);
	assert_true(cfg == 0x2010);

	cfg = SENTINEL;
	assert_int_equal(pmu_event_parse("umask=1", t, PMU_MAX_TERMS, &n), 0);
	assert_int_equal(pmu_config_compose(t, n, xe, 5, &cfg), -ENOENT);
	assert_int_equal(pmu_event_parse("event=0x1000", t, PMU_MAX_TERMS, &n), 0);
	assert_int_equal(pmu_config_compose(t, n, xe, 5, &cfg), -ERANGE);
	assert_int_equal(pmu_event_parse("config1=1", t, PMU_MAX_TERMS, &n), 0);
	assert_int_equal(pmu_config_compose(t, n, xe, 5, &cfg), -EOPNOTSUPP);
	assert_true(cfg == SENTINEL);
}

static void
test_cpumask(void **state)
{
	int cpu = -7;

	(void)state;
	assert_int_equal(pmu_cpumask_first("0", &cpu), 0);
	assert_int_equal(cpu, 0);
	assert_int_equal(pmu_cpumask_first("0\n", &cpu), 0);
	assert_int_equal(pmu_cpumask_first("3-7", &cpu), 0);
	assert_int_equal(cpu, 3);
	assert_int_equal(pmu_cpumask_first("12,14-15\n", &cpu), 0);
	assert_int_equal(cpu, 12);

	cpu = -7;
	assert_int_equal(pmu_cpumask_first("", &cpu), -EINVAL);
	assert_int_equal(pmu_cpumask_first("\n", &cpu), -EINVAL);
	assert_int_equal(pmu_cpumask_first("-1", &cpu), -EINVAL);
	assert_int_equal(pmu_cpumask_first("x", &cpu), -EINVAL);
	assert_int_equal(pmu_cpumask_first("0x1", &cpu), -EINVAL);
	assert_int_equal(pmu_cpumask_first("1 2", &cpu), -EINVAL);
	assert_int_equal(pmu_cpumask_first("0,a", &cpu), -EINVAL);
	assert_int_equal(pmu_cpumask_first("99999999", &cpu), -EINVAL);
	assert_int_equal(pmu_cpumask_first("01", &cpu), -EINVAL);
	assert_int_equal(cpu, -7);
}

static void
test_engine(void **state)
{
	unsigned class = 99, inst = 99;

	(void)state;
	assert_int_equal(pmu_engine_parse("rcs0", &class, &inst), 0);
	assert_int_equal(class, 0);
	assert_int_equal(inst, 0);
	assert_int_equal(pmu_engine_parse("bcs8", &class, &inst), 0);
	assert_int_equal(class, 1);
	assert_int_equal(inst, 8);
	assert_int_equal(pmu_engine_parse("vcs1", &class, &inst), 0);
	assert_int_equal(class, 2);
	assert_int_equal(pmu_engine_parse("vecs0", &class, &inst), 0);
	assert_int_equal(class, 3);
	assert_int_equal(pmu_engine_parse("ccs255", &class, &inst), 0);
	assert_int_equal(class, 4);
	assert_int_equal(inst, 255);
	assert_string_equal(pmu_class_name(3), "video-enhance");
	assert_string_equal(pmu_class_prefix(4), "ccs");
	assert_null(pmu_class_name(5));
	assert_null(pmu_class_prefix(5));

	class = inst = 99;
	assert_int_equal(pmu_engine_parse("rcs", &class, &inst), -EINVAL);
	assert_int_equal(pmu_engine_parse("rcs256", &class, &inst), -EINVAL);
	assert_int_equal(pmu_engine_parse("rcs01", &class, &inst), -EINVAL);
	assert_int_equal(pmu_engine_parse("rcs0x", &class, &inst), -EINVAL);
	assert_int_equal(pmu_engine_parse("gsc0", &class, &inst), -EINVAL);
	assert_int_equal(pmu_engine_parse("", &class, &inst), -EINVAL);
	assert_int_equal(pmu_engine_parse("RCS0", &class, &inst), -EINVAL);
	assert_int_equal(class, 99);
	assert_int_equal(inst, 99);
}

static void
test_classify(void **state)
{
	char engine[16] = "";
	unsigned class = 99, gt = 99;

	(void)state;
	const size_t size = sizeof(engine);
	assert_int_equal(pmu_i915_classify("vcs1-busy", engine, size, &class, &gt), PMU_I915_BUSY);
	assert_string_equal(engine, "vcs1");
	assert_int_equal(class, 2);
	assert_int_equal(pmu_i915_classify("rc6-residency", engine, size, &class, &gt),
			 PMU_I915_RC6);
	assert_int_equal(gt, 0);
	assert_int_equal(pmu_i915_classify("rc6-residency-gt1", engine, size, &class, &gt),
			 PMU_I915_RC6);
	assert_int_equal(gt, 1);
	assert_int_equal(pmu_i915_classify("interrupts", engine, size, &class, &gt), PMU_I915_IRQ);

	static const char *const other[] = {
		"rcs0-wait", "rcs0-sema", "actual-frequency", "requested-frequency",
		"software-gt-awake-time", "-busy", "busy", "gsc0-busy", "rcs0-busy-gt0",
		"rc6-residency-gt", "rc6-residency-gt16", "rc6-residency-gt01", "rc6-residency-x",
		"interrupts-gt0", "averyveryverylongengine0-busy", "",
	};
	memcpy(engine, "kept", 5);
	class = gt = 99;
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_int_equal(pmu_i915_classify(other[i], engine, sizeof(engine), &class, &gt),
				 PMU_I915_OTHER);
	assert_string_equal(engine, "kept");
	assert_int_equal(class, 99);
	assert_int_equal(gt, 99);
	/* An engine name that does not fit the caller's buffer is not taken. */
	assert_int_equal(pmu_i915_classify("vecs0-busy", engine, 5, &class, &gt), PMU_I915_OTHER);
}

static void
test_name(void **state)
{
	char buf[32] = "kept";

	(void)state;
	assert_int_equal(pmu_name_for_bdf("i915", "0000:03:00.0", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "i915_0000_03_00.0");
	assert_int_equal(pmu_name_for_bdf("xe", "0000:00:02.0", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "xe_0000_00_02.0");
	assert_int_equal(pmu_name_for_bdf("i915", "0000:03:00.0", buf, 17), -ENAMETOOLONG);
	assert_string_equal(buf, "xe_0000_00_02.0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),  cmocka_unit_test(test_place),
		cmocka_unit_test(test_event),   cmocka_unit_test(test_compose),
		cmocka_unit_test(test_cpumask), cmocka_unit_test(test_engine),
		cmocka_unit_test(test_classify), cmocka_unit_test(test_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
