/* Unit tests for parse.c: the bounded number parsers every sysfs, procfs and flag value goes
 * through. Each failure case also checks that the out-parameter keeps its preset sentinel. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "parse.h"

#define U64_SENTINEL UINT64_C(0x5a5a5a5a5a5a5a5a)
#define I64_SENTINEL INT64_C(-0x5a5a5a5a5a5a5a5a)
#define DOUBLE_SENTINEL (-12345.25)

/* Macros rather than functions so that a failure reports the line of the case, not of a helper. */
#define assert_u64_ok(s, base, max, want)                                                          \
	do {                                                                                       \
		uint64_t v_ = U64_SENTINEL;                                                        \
		assert_int_equal(parse_u64((s), (base), (max), &v_), 0);                           \
		assert_int_equal(v_, (uint64_t)(want));                                            \
	} while (0)

#define assert_u64_fail(s, base, max, err)                                                         \
	do {                                                                                       \
		uint64_t v_ = U64_SENTINEL;                                                        \
		assert_int_equal(parse_u64((s), (base), (max), &v_), (err));                       \
		assert_int_equal(v_, U64_SENTINEL);                                                \
	} while (0)

#define assert_i64_ok(s, base, min, max, want)                                                     \
	do {                                                                                       \
		int64_t v_ = I64_SENTINEL;                                                         \
		assert_int_equal(parse_i64((s), (base), (min), (max), &v_), 0);                    \
		assert_true(v_ == (int64_t)(want));                                                \
	} while (0)

#define assert_i64_fail(s, base, min, max, err)                                                    \
	do {                                                                                       \
		int64_t v_ = I64_SENTINEL;                                                         \
		assert_int_equal(parse_i64((s), (base), (min), (max), &v_), (err));                \
		assert_true(v_ == I64_SENTINEL);                                                   \
	} while (0)

#define assert_double_ok(s, want)                                                                  \
	do {                                                                                       \
		double v_ = DOUBLE_SENTINEL;                                                       \
		assert_int_equal(parse_double((s), &v_), 0);                                       \
		assert_true(v_ == (want));                                                         \
	} while (0)

#define assert_double_fail(s, err)                                                                 \
	do {                                                                                       \
		double v_ = DOUBLE_SENTINEL;                                                       \
		assert_int_equal(parse_double((s), &v_), (err));                                   \
		assert_true(v_ == DOUBLE_SENTINEL);                                                \
	} while (0)

static void
test_u64_base10(void **state)
{
	(void)state;
	assert_u64_ok("0", 10, UINT64_MAX, 0);
	assert_u64_ok("42", 10, UINT64_MAX, 42);
	assert_u64_ok("007", 10, UINT64_MAX, 7);
	assert_u64_ok("4096", 10, 4096, 4096);
	assert_u64_ok("18446744073709551615", 10, UINT64_MAX, UINT64_MAX);
}

static void
test_u64_base8(void **state)
{
	(void)state;
	assert_u64_ok("17", 8, UINT64_MAX, 15);
	assert_u64_ok("017", 8, UINT64_MAX, 15);
	assert_u64_ok("0644", 8, UINT64_MAX, 0644);
	assert_u64_ok("1777777777777777777777", 8, UINT64_MAX, UINT64_MAX);
	assert_u64_fail("8", 8, UINT64_MAX, -EINVAL);
	assert_u64_fail("19", 8, UINT64_MAX, -EINVAL);
	assert_u64_fail("0x10", 8, UINT64_MAX, -EINVAL);
	/* 2^64 in octal */
	assert_u64_fail("2000000000000000000000", 8, UINT64_MAX, -ERANGE);
}

static void
test_u64_base16(void **state)
{
	(void)state;
	assert_u64_ok("ff", 16, UINT64_MAX, 255);
	assert_u64_ok("FF", 16, UINT64_MAX, 255);
	assert_u64_ok("0xff", 16, UINT64_MAX, 255);
	assert_u64_ok("0x8086", 16, UINT64_MAX, 0x8086);
	assert_u64_ok("8086\n", 16, UINT64_MAX, 0x8086);
	assert_u64_ok("0x46d0\n", 16, 0xffff, 0x46d0);
	assert_u64_ok("0", 16, UINT64_MAX, 0);
	assert_u64_ok("ffffffffffffffff", 16, UINT64_MAX, UINT64_MAX);
	assert_u64_ok("0xffffffffffffffff", 16, UINT64_MAX, UINT64_MAX);
	assert_u64_fail("0x10000000000000000", 16, UINT64_MAX, -ERANGE);
	assert_u64_fail("0x", 16, UINT64_MAX, -EINVAL);
	assert_u64_fail("0xg", 16, UINT64_MAX, -EINVAL);
	assert_u64_fail("g", 16, UINT64_MAX, -EINVAL);
	assert_u64_fail("0x0x1", 16, UINT64_MAX, -EINVAL);
	/* The 0x prefix belongs to base 16 only. */
	assert_u64_fail("0x10", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("ff", 10, UINT64_MAX, -EINVAL);
}

static void
test_u64_newline(void **state)
{
	(void)state;
	assert_u64_ok("1\n", 10, UINT64_MAX, 1);
	assert_u64_ok("0\n", 8, UINT64_MAX, 0);
	assert_u64_fail("1\n\n", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("\n", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("1\r\n", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("1 \n", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("1\n2", 10, UINT64_MAX, -EINVAL);
}

static void
test_u64_empty_and_space(void **state)
{
	(void)state;
	assert_u64_fail("", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail(" 1", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("\t1", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("\n1", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("1 ", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail(" ", 10, UINT64_MAX, -EINVAL);
}

static void
test_u64_trailing_junk(void **state)
{
	(void)state;
	assert_u64_fail("12abc", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("1.0", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("1e3", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("1,000", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("abc", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("0b1", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("12 34", 10, UINT64_MAX, -EINVAL);
}

static void
test_u64_sign(void **state)
{
	(void)state;
	assert_u64_fail("-1", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("+1", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("-0", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("+0", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("- 1", 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("-0x1", 16, UINT64_MAX, -EINVAL);
	assert_u64_fail("-1", 8, UINT64_MAX, -EINVAL);
	/* strtoull would wrap this to 2^64 - 1 */
	assert_u64_fail("-18446744073709551615", 10, UINT64_MAX, -EINVAL);
}

static void
test_u64_range(void **state)
{
	(void)state;
	/* 2^64 */
	assert_u64_fail("18446744073709551616", 10, UINT64_MAX, -ERANGE);
	assert_u64_fail("99999999999999999999999", 10, UINT64_MAX, -ERANGE);
	/* Junk outranks overflow: this is not a number at all. */
	assert_u64_fail("99999999999999999999999x", 10, UINT64_MAX, -EINVAL);
	assert_u64_ok("100", 10, 100, 100);
	assert_u64_fail("101", 10, 100, -ERANGE);
	assert_u64_ok("0", 10, 0, 0);
	assert_u64_fail("1", 10, 0, -ERANGE);
	assert_u64_ok("0xffff", 16, 0xffff, 0xffff);
	assert_u64_fail("0x10000", 16, 0xffff, -ERANGE);
	assert_u64_fail("18446744073709551615", 10, UINT64_MAX - 1, -ERANGE);
}

static void
test_u64_null_and_base(void **state)
{
	(void)state;
	assert_u64_fail(NULL, 10, UINT64_MAX, -EINVAL);
	assert_u64_fail("1", 0, UINT64_MAX, -EINVAL);
	assert_u64_fail("1", 1, UINT64_MAX, -EINVAL);
	assert_u64_fail("1", 2, UINT64_MAX, -EINVAL);
	assert_u64_fail("1", 36, UINT64_MAX, -EINVAL);
	assert_u64_fail("1", -1, UINT64_MAX, -EINVAL);
	assert_u64_fail("1", 37, UINT64_MAX, -EINVAL);
}

static void
test_i64_valid(void **state)
{
	(void)state;
	assert_i64_ok("0", 10, INT64_MIN, INT64_MAX, 0);
	assert_i64_ok("42", 10, INT64_MIN, INT64_MAX, 42);
	assert_i64_ok("-42", 10, INT64_MIN, INT64_MAX, -42);
	assert_i64_ok("+7", 10, INT64_MIN, INT64_MAX, 7);
	assert_i64_ok("-0", 10, INT64_MIN, INT64_MAX, 0);
	assert_i64_ok("-42\n", 10, INT64_MIN, INT64_MAX, -42);
	assert_i64_ok("9223372036854775807", 10, INT64_MIN, INT64_MAX, INT64_MAX);
	assert_i64_ok("-9223372036854775808", 10, INT64_MIN, INT64_MAX, INT64_MIN);
	assert_i64_ok("-17", 8, INT64_MIN, INT64_MAX, -15);
	assert_i64_ok("017", 8, INT64_MIN, INT64_MAX, 15);
	assert_i64_ok("7f", 16, INT64_MIN, INT64_MAX, 127);
	assert_i64_ok("-0x10", 16, INT64_MIN, INT64_MAX, -16);
	assert_i64_ok("0x7fffffffffffffff", 16, INT64_MIN, INT64_MAX, INT64_MAX);
	assert_i64_ok("-0x8000000000000000", 16, INT64_MIN, INT64_MAX, INT64_MIN);
}

static void
test_i64_bounds(void **state)
{
	(void)state;
	assert_i64_ok("-5", 10, -5, 5, -5);
	assert_i64_ok("5", 10, -5, 5, 5);
	assert_i64_fail("-6", 10, -5, 5, -ERANGE);
	assert_i64_fail("6", 10, -5, 5, -ERANGE);
	assert_i64_fail("-1", 10, 0, 100, -ERANGE);
	assert_i64_ok("0", 10, 0, 0, 0);
	/* one past INT64_MAX / INT64_MIN */
	assert_i64_fail("9223372036854775808", 10, INT64_MIN, INT64_MAX, -ERANGE);
	assert_i64_fail("-9223372036854775809", 10, INT64_MIN, INT64_MAX, -ERANGE);
	assert_i64_fail("0x8000000000000000", 16, INT64_MIN, INT64_MAX, -ERANGE);
	assert_i64_fail("99999999999999999999999", 10, INT64_MIN, INT64_MAX, -ERANGE);
}

static void
test_i64_invalid(void **state)
{
	(void)state;
	assert_i64_fail(NULL, 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail(" 1", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail(" -1", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("- 1", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("+ 1", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("-\t1", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("-", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("+", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("-\n", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("--1", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("+-1", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("1-", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("12x", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("1\n\n", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("1 ", 10, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("1", 0, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("1", 2, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("1", 36, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("9", 8, INT64_MIN, INT64_MAX, -EINVAL);
	assert_i64_fail("0x10", 10, INT64_MIN, INT64_MAX, -EINVAL);
}

static void
test_double_valid(void **state)
{
	(void)state;
	assert_double_ok("10", 10.0);
	assert_double_ok("9.5", 9.5);
	assert_double_ok("-0.25", -0.25);
	assert_double_ok("+3", 3.0);
	assert_double_ok("0", 0.0);
	assert_double_ok("1e3", 1000.0);
	assert_double_ok("2.5E-1", 0.25);
	assert_double_ok(".5", 0.5);
	assert_double_ok("5.", 5.0);
	assert_double_ok("0.5\n", 0.5);
	assert_double_ok("1.7976931348623157e308", 1.7976931348623157e308);
}

static void
test_double_special(void **state)
{
	(void)state;
	assert_double_fail("nan", -EINVAL);
	assert_double_fail("NaN", -EINVAL);
	assert_double_fail("-nan", -EINVAL);
	assert_double_fail("inf", -EINVAL);
	assert_double_fail("-inf", -EINVAL);
	assert_double_fail("+Inf", -EINVAL);
	assert_double_fail("infinity", -EINVAL);
	assert_double_fail("0x10", -EINVAL);
	assert_double_fail("0x1p3", -EINVAL);
	assert_double_fail("0X1.8P1", -EINVAL);
}

static void
test_double_range(void **state)
{
	(void)state;
	assert_double_fail("1e999", -ERANGE);
	assert_double_fail("-1e999", -ERANGE);
	assert_double_fail("1e999\n", -ERANGE);
	assert_double_fail("1.8e308", -ERANGE);
}

static void
test_double_junk(void **state)
{
	(void)state;
	assert_double_fail(NULL, -EINVAL);
	assert_double_fail("", -EINVAL);
	assert_double_fail(" 1", -EINVAL);
	assert_double_fail("\n", -EINVAL);
	assert_double_fail("1.5x", -EINVAL);
	assert_double_fail("1.5 ", -EINVAL);
	assert_double_fail("1.5\n\n", -EINVAL);
	assert_double_fail("1\nx", -EINVAL);
	assert_double_fail("1..5", -EINVAL);
	assert_double_fail("1.5.5", -EINVAL);
	assert_double_fail("1e", -EINVAL);
	assert_double_fail("1e+", -EINVAL);
	assert_double_fail("e5", -EINVAL);
	assert_double_fail(".", -EINVAL);
	assert_double_fail("-", -EINVAL);
	assert_double_fail("--1", -EINVAL);
	assert_double_fail("+-1", -EINVAL);
	assert_double_fail("- 1", -EINVAL);
	assert_double_fail("1-", -EINVAL);
	assert_double_fail("1,5", -EINVAL);
	assert_double_fail("1e5e5", -EINVAL);
	assert_double_fail("abc", -EINVAL);
}

static void
assert_duration(const char *s, int want_rc, int64_t want)
{
	int64_t v = -42;
	int rc = parse_duration(s, &v);
	if (rc != want_rc)
		fail_msg("parse_duration(\"%s\") = %d, want %d", s, rc, want_rc);
	assert_true(v == (want_rc == 0 ? want : -42));
}

static void
test_duration(void **state)
{
	(void)state;
	assert_duration("30s", 0, 30000000000LL);
	assert_duration("500ms", 0, 500000000LL);
	assert_duration("1m", 0, 60000000000LL);
	assert_duration("1h30m", 0, 5400000000000LL);
	assert_duration("2m500ms", 0, 120500000000LL);
	assert_duration("0", 0, 0);
	assert_duration("0s", 0, 0);
	assert_duration("", -EINVAL, 0);
	assert_duration("30", -EINVAL, 0);
	assert_duration("s", -EINVAL, 0);
	assert_duration("1d", -EINVAL, 0);
	assert_duration("-1s", -EINVAL, 0);
	assert_duration("1.5s", -EINVAL, 0);
	assert_duration("1s ", -EINVAL, 0);
	assert_duration("9999999999999999999h", -ERANGE, 0);
	assert_duration("3000000h", -ERANGE, 0);
}

static void
test_hex_digit(void **state)
{
	(void)state;
	assert_int_equal(parse_hex_digit('0'), 0);
	assert_int_equal(parse_hex_digit('9'), 9);
	assert_int_equal(parse_hex_digit('a'), 10);
	assert_int_equal(parse_hex_digit('F'), 15);
	assert_int_equal(parse_hex_digit('g'), -1);
	assert_int_equal(parse_hex_digit('G'), -1);
	assert_int_equal(parse_hex_digit('/'), -1);
	assert_int_equal(parse_hex_digit(':'), -1);
	assert_int_equal(parse_hex_digit('\0'), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_base10),
		cmocka_unit_test(test_u64_base8),
		cmocka_unit_test(test_u64_base16),
		cmocka_unit_test(test_u64_newline),
		cmocka_unit_test(test_u64_empty_and_space),
		cmocka_unit_test(test_u64_trailing_junk),
		cmocka_unit_test(test_u64_sign),
		cmocka_unit_test(test_u64_range),
		cmocka_unit_test(test_u64_null_and_base),
		cmocka_unit_test(test_i64_valid),
		cmocka_unit_test(test_i64_bounds),
		cmocka_unit_test(test_i64_invalid),
		cmocka_unit_test(test_double_valid),
		cmocka_unit_test(test_double_special),
		cmocka_unit_test(test_double_range),
		cmocka_unit_test(test_double_junk),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_hex_digit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
