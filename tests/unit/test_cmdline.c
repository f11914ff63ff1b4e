/* Unit tests for the kernel command line tokenizer (collectors/cmdline.c): the pairs reported by
 * cmdline_parse(), the lookup rules of cmdline_get() and the '-' == '_' name comparison. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmdline.h"

#define N150_LINE                                                                                  \
	"BOOT_IMAGE=/boot/vmlinuz-6.17.4-2-pve root=/dev/mapper/pve-root ro quiet intel_iommu=on " \
	"iommu=pt i915.enable_guc=3 i915.max_vfs=7 module_blacklist=xe"

#define CMDLINE_MAX (64 * 1024)
#define MAX_PAIRS 16

struct pair {
	char name[128];
	char value[128];
	bool has_value;
};

/* What the callback saw; stop_after > 0 makes it return false on that call. */
struct seen {
	struct pair pairs[MAX_PAIRS];
	size_t n;
	size_t calls;
	size_t stop_after;
	size_t last_value_len;
};

static bool
collect(const char *name, const char *value, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	if (value != NULL)
		s->last_value_len = strlen(value);
	if (s->n < MAX_PAIRS) {
		struct pair *p = &s->pairs[s->n++];
		(void)snprintf(p->name, sizeof(p->name), "%s", name);
		p->has_value = value != NULL;
		(void)snprintf(p->value, sizeof(p->value), "%s", value != NULL ? value : "");
	}
	return s->stop_after == 0 || s->calls < s->stop_after;
}

/* Asserts pair i; want_value NULL means a bare word. A macro so a failure names the test line. */
#define assert_pair(s, i, want_name, want_value)                                                   \
	do {                                                                                       \
		const char *wv_ = (want_value);                                                    \
		assert_true((i) < (s)->n);                                                         \
		assert_string_equal((s)->pairs[(i)].name, (want_name));                            \
		if (wv_ == NULL) {                                                                 \
			assert_false((s)->pairs[(i)].has_value);                                   \
		} else {                                                                           \
			assert_true((s)->pairs[(i)].has_value);                                    \
			assert_string_equal((s)->pairs[(i)].value, wv_);                           \
		}                                                                                  \
	} while (0)

static void
assert_n150(const struct seen *s)
{
	assert_int_equal(s->n, 9);
	assert_pair(s, 0, "BOOT_IMAGE", "/boot/vmlinuz-6.17.4-2-pve");
	assert_pair(s, 1, "root", "/dev/mapper/pve-root");
	assert_pair(s, 2, "ro", NULL);
	assert_pair(s, 3, "quiet", NULL);
	assert_pair(s, 4, "intel_iommu", "on");
	assert_pair(s, 5, "iommu", "pt");
	assert_pair(s, 6, "i915.enable_guc", "3");
	assert_pair(s, 7, "i915.max_vfs", "7");
	assert_pair(s, 8, "module_blacklist", "xe");
}

/* A line of len characters: "x=" followed by 'y's. Caller frees. */
static char *
long_line(size_t len)
{
	char *line = malloc(len + 1);

	assert_non_null(line);
	memset(line, 'y', len);
	line[0] = 'x';
	line[1] = '=';
	line[len] = '\0';
	return line;
}

static void
test_parse_n150(void **state)
{
	struct seen s = {0};

	(void)state;
	assert_int_equal(cmdline_parse(N150_LINE, collect, &s), 9);
	assert_n150(&s);
}

static void
test_parse_n150_proc_newline(void **state)
{
	struct seen s = {0};

	(void)state;
	/* /proc/cmdline ends in a newline; it is not part of the last value. */
	assert_int_equal(cmdline_parse(N150_LINE "\n", collect, &s), 9);
	assert_n150(&s);
}

static void
test_parse_does_not_modify_line(void **state)
{
	char line[] = "a=\"b c\" d=e";
	struct seen s = {0};

	(void)state;
	assert_int_equal(cmdline_parse(line, collect, &s), 2);
	assert_string_equal(line, "a=\"b c\" d=e");
}

static void
test_parse_quoted_value(void **state)
{
	struct seen s = {0};

	(void)state;
	assert_int_equal(cmdline_parse("dyndbg=\"file x +p\" quiet", collect, &s), 2);
	assert_pair(&s, 0, "dyndbg", "file x +p");
	assert_pair(&s, 1, "quiet", NULL);
}

static void
test_parse_quoted_token(void **state)
{
	struct seen s = {0};

	(void)state;
	/* The kernel allows the whole parameter in quotes. */
	assert_int_equal(cmdline_parse("\"a=b c\" d", collect, &s), 2);
	assert_pair(&s, 0, "a", "b c");
	assert_pair(&s, 1, "d", NULL);
}

static void
test_parse_quotes_in_middle(void **state)
{
	struct seen s = {0};

	(void)state;
	/* Quotes group spaces and are removed wherever they are (cmdline.h). */
	assert_int_equal(cmdline_parse("a=x\"y z\"w b", collect, &s), 2);
	assert_pair(&s, 0, "a", "xy zw");
	assert_pair(&s, 1, "b", NULL);
	memset(&s, 0, sizeof(s));
	assert_int_equal(cmdline_parse("a=\"\" b=\"\"\"\"", collect, &s), 2);
	assert_pair(&s, 0, "a", "");
	assert_pair(&s, 1, "b", "");
}

static void
test_parse_whitespace(void **state)
{
	struct seen s = {0};

	(void)state;
	assert_int_equal(cmdline_parse("  \t a=1 \t\t  b   \tc=3\t\n", collect, &s), 3);
	assert_pair(&s, 0, "a", "1");
	assert_pair(&s, 1, "b", NULL);
	assert_pair(&s, 2, "c", "3");
	memset(&s, 0, sizeof(s));
	assert_int_equal(cmdline_parse("a\tb\nc", collect, &s), 3);
	assert_pair(&s, 0, "a", NULL);
	assert_pair(&s, 1, "b", NULL);
	assert_pair(&s, 2, "c", NULL);
}

static void
test_parse_empty(void **state)
{
	struct seen s = {0};

	(void)state;
	assert_int_equal(cmdline_parse("", collect, &s), 0);
	assert_int_equal(cmdline_parse("\n", collect, &s), 0);
	assert_int_equal(cmdline_parse(" \t \n", collect, &s), 0);
	assert_int_equal(s.calls, 0);
}

static void
test_parse_unterminated_quote(void **state)
{
	struct seen s = {0};

	(void)state;
	assert_int_equal(cmdline_parse("a=1 b c=\"x y", collect, &s), -EINVAL);
	assert_int_equal(s.calls, 2);
	assert_pair(&s, 0, "a", "1");
	assert_pair(&s, 1, "b", NULL);
	memset(&s, 0, sizeof(s));
	assert_int_equal(cmdline_parse("\"", collect, &s), -EINVAL);
	assert_int_equal(s.calls, 0);
	assert_int_equal(cmdline_parse("a=\"b\" \"c", collect, &s), -EINVAL);
	assert_int_equal(s.calls, 1);
	assert_pair(&s, 0, "a", "b");
}

static void
test_parse_callback_stops(void **state)
{
	struct seen s = {0};

	(void)state;
	s.stop_after = 2;
	assert_int_equal(cmdline_parse("a=1 b=2 c=3 d=4", collect, &s), 2);
	assert_int_equal(s.calls, 2);
	assert_pair(&s, 0, "a", "1");
	assert_pair(&s, 1, "b", "2");
	/* stopping before a bad quote is not an error */
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	assert_int_equal(cmdline_parse("a=1 b=\"", collect, &s), 1);
	assert_int_equal(s.calls, 1);
}

static void
test_parse_too_long(void **state)
{
	struct seen s = {0};
	char *line;

	(void)state;
	line = long_line(CMDLINE_MAX + 1);
	assert_int_equal(cmdline_parse(line, collect, &s), -E2BIG);
	assert_int_equal(s.calls, 0);
	free(line);
	/* exactly 64 KiB is still accepted */
	line = long_line(CMDLINE_MAX);
	assert_int_equal(cmdline_parse(line, collect, &s), 1);
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.pairs[0].name, "x");
	assert_int_equal(s.last_value_len, CMDLINE_MAX - 2);
	free(line);
}

static void
test_parse_value_with_equals(void **state)
{
	struct seen s = {0};

	(void)state;
	assert_int_equal(cmdline_parse("a=b=c d== e=", collect, &s), 3);
	assert_pair(&s, 0, "a", "b=c");
	assert_pair(&s, 1, "d", "=");
	/* an empty value is not a bare word */
	assert_pair(&s, 2, "e", "");
}

static void
test_get(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(cmdline_get(N150_LINE, "i915.max_vfs", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "7");
	assert_int_equal(cmdline_get(N150_LINE, "root", buf, sizeof(buf)), 20);
	assert_string_equal(buf, "/dev/mapper/pve-root");
	assert_int_equal(cmdline_get(N150_LINE "\n", "module_blacklist", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "xe");
	assert_int_equal(cmdline_get("dyndbg=\"file x +p\"", "dyndbg", buf, sizeof(buf)), 9);
	assert_string_equal(buf, "file x +p");
	assert_int_equal(cmdline_get("a=", "a", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(cmdline_get("a=b=c", "a", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "b=c");
}

static void
test_get_last_wins(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(cmdline_get("a=1 b a=22 c=3", "a", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "22");
	assert_int_equal(cmdline_get("i915.max_vfs=2 i915.max-vfs=7", "i915.max_vfs", buf,
				     sizeof(buf)),
			 1);
	assert_string_equal(buf, "7");
	/* a later bare word overrides an earlier value, and the other way round */
	assert_int_equal(cmdline_get("a=1 a", "a", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(cmdline_get("a a=1", "a", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "1");
}

static void
test_get_dash_underscore(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(cmdline_get("quiet i915.max-vfs=7", "i915.max_vfs", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "7");
	assert_int_equal(cmdline_get(N150_LINE, "i915.enable-guc", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "3");
	assert_int_equal(cmdline_get(N150_LINE, "intel-iommu", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "on");
}

static void
test_get_errors(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(cmdline_get(N150_LINE, "quiet", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(cmdline_get(N150_LINE, "ro", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(cmdline_get(N150_LINE, "i915.max_vfs_x", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cmdline_get(N150_LINE, "i915", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cmdline_get(N150_LINE, "intel", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cmdline_get(N150_LINE, "INTEL_IOMMU", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cmdline_get("", "a", buf, sizeof(buf)), -ENOENT);
	/* "pt" needs 3 bytes */
	assert_int_equal(cmdline_get(N150_LINE, "iommu", buf, 2), -EFBIG);
	assert_int_equal(cmdline_get(N150_LINE, "BOOT_IMAGE", buf, sizeof(buf)), -EFBIG);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'x');
	assert_int_equal(cmdline_get(N150_LINE, "iommu", buf, 3), 2);
	assert_string_equal(buf, "pt");
}

static void
test_get_bad_line(void **state)
{
	char buf[16];

	(void)state;
	/* parameters before an unterminated quote are still found */
	assert_int_equal(cmdline_get("a=1 b=\"x y", "a", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "1");
	assert_int_equal(cmdline_get("a=1 b=\"x y", "b", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cmdline_get("a=1 b=\"x y", "c", buf, sizeof(buf)), -EINVAL);
	char *line = long_line(CMDLINE_MAX + 1);
	assert_int_equal(cmdline_get(line, "x", buf, sizeof(buf)), -E2BIG);
	free(line);
}

static void
test_name_eq(void **state)
{
	(void)state;
	assert_true(cmdline_name_eq("i915.max_vfs", "i915.max_vfs"));
	assert_true(cmdline_name_eq("i915.max-vfs", "i915.max_vfs"));
	assert_true(cmdline_name_eq("i915.max_vfs", "i915.max-vfs"));
	assert_true(cmdline_name_eq("a-b_c", "a_b-c"));
	assert_true(cmdline_name_eq("-", "_"));
	assert_true(cmdline_name_eq("", ""));
	assert_false(cmdline_name_eq("iommu", "intel_iommu"));
	assert_false(cmdline_name_eq("intel_iommu", "iommu"));
	assert_false(cmdline_name_eq("i915", "i915.max_vfs"));
	assert_false(cmdline_name_eq("i915.max_vfs", "i915"));
	assert_false(cmdline_name_eq("a", ""));
	assert_false(cmdline_name_eq("", "a"));
	assert_false(cmdline_name_eq("a_", "a"));
	assert_false(cmdline_name_eq("Quiet", "quiet"));
	assert_false(cmdline_name_eq("i915.max_vfs", "i915_max_vfs"));
	assert_false(cmdline_name_eq("a-", "a."));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_n150),
		cmocka_unit_test(test_parse_n150_proc_newline),
		cmocka_unit_test(test_parse_does_not_modify_line),
		cmocka_unit_test(test_parse_quoted_value),
		cmocka_unit_test(test_parse_quoted_token),
		cmocka_unit_test(test_parse_quotes_in_middle),
		cmocka_unit_test(test_parse_whitespace),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_unterminated_quote),
		cmocka_unit_test(test_parse_callback_stops),
		cmocka_unit_test(test_parse_too_long),
		cmocka_unit_test(test_parse_value_with_equals),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_get_last_wins),
		cmocka_unit_test(test_get_dash_underscore),
		cmocka_unit_test(test_get_errors),
		cmocka_unit_test(test_get_bad_line),
		cmocka_unit_test(test_name_eq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
