/* Unit tests for the exposition builder and renderer: names, escaping, number formatting, sorting,
 * duplicates, merging, and the OpenMetrics differences. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "expo.h"

static char *
render(struct expo *e, enum expo_format f)
{
	struct buf b = BUF_INIT;
	size_t len;

	expo_render(e, f, &b);
	return buf_steal(&b, &len);
}

static void
assert_value(double v, const char *want)
{
	char buf[32];

	expo_format_value(v, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
test_values(void **state)
{
	(void)state;
	assert_value(0, "0");
	assert_value(-0.0, "0");
	assert_value(1, "1");
	assert_value(-7, "-7");
	assert_value(65536, "65536");
	assert_value(9007199254740991.0, "9007199254740991");
	assert_value(18446744073709551615.0, "1.8446744073709552e+19");
	assert_value(0.1, "0.1");
	assert_value(1.5e-9, "1.5e-09");
	assert_value(0.30000000000000004, "0.30000000000000004");
	assert_value(1.0 / 3.0, "0.3333333333333333");
	assert_value(NAN, "NaN");
	assert_value(INFINITY, "+Inf");
	assert_value(-INFINITY, "-Inf");
}

static void
test_values_round_trip(void **state)
{
	(void)state;
	/* Every printed value parses back to the same double. */
	double samples[] = {0.1, 2.0 / 3.0, 1e300, 5e-324, 123456.789, 1e15 + 0.5, 3.14159};
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		char buf[32];
		expo_format_value(samples[i], buf, sizeof(buf));
		assert_true(strtod(buf, NULL) == samples[i]);
	}
}

/* The printf rule the fast paths of expo_format_value() must match byte for byte. */
static void
reference_value(double v, char *buf, size_t size)
{
	if (v == trunc(v) && fabs(v) < 9007199254740992.0) {
		(void)snprintf(buf, size, "%.0f", v == 0 ? 0.0 : v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		(void)snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static void
assert_like_printf(double v)
{
	char got[32], want[32];

	expo_format_value(v, got, sizeof(got));
	reference_value(v, want, sizeof(want));
	if (strcmp(got, want) != 0)
		fail_msg("%.17g: got %s, printf gives %s", v, got, want);
}

static void
test_values_like_printf(void **state)
{
	uint64_t x = 88172645463325252ULL;

	(void)state;
	/* Edges of the decimal fast path: 1e-4 (below it printf uses an exponent), 15 and 16
	 * significant digits, 2^53, values just off a short decimal. */
	double edges[] = {1e-4,	      0.00010000000000000002, 9.999999999999999e-5, 0.001,
			  0.1 + 0.2,  123456789012345.6,      99999999999999.98,    999999999999999.9,
			  1e15 - 0.5, 1e15 + 0.5,		      9007199254740993.0,   4503599627370495.5,
			  0.5,	      -0.5,		      -13.474946639,	    1.0000000000000002,
			  2.5e-4,     0.30000000000000004,    1e14 + 0.25,	    5e-324,
			  1.5e-5,     9.5e-5};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		assert_like_printf(edges[i]);
	for (int i = 0; i < 50000; i++) {
		/* xorshift64: reproducible without touching rand()'s state. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Decimals of 1 to 17 digits with 0 to 22 places (counters in seconds are such)... */
		double digits = pow(10, (double)(1 + (x >> 3) % 17));
		double mant = fmod((double)(x >> 11), digits);
		double p10 = pow(10, (double)((x >> 40) % 23));
		assert_like_printf(mant / p10);
		assert_like_printf(-mant / p10);
		/* ...and arbitrary finite doubles. */
		double any;
		memcpy(&any, &x, sizeof(any));
		if (isfinite(any))
			assert_like_printf(any);
	}
}

static void
test_text_basic(void **state)
{
	struct expo *e = expo_new();

	(void)state;
	assert_int_equal(expo_add(e, "b_metric", EXPO_GAUGE, "B help.", 2,
				  EXPO_LABELS({"pci_address", "0000:00:02.1"})),
			 0);
	assert_int_equal(expo_add(e, "b_metric", EXPO_GAUGE, "B help.", 1,
				  EXPO_LABELS({"pci_address", "0000:00:02.0"})),
			 0);
	assert_int_equal(expo_add(e, "a_seconds_total", EXPO_COUNTER, "A help.", 1.5, NULL, 0), 0);
	char *out = render(e, EXPO_FORMAT_TEXT);
	assert_string_equal(out, "# HELP a_seconds_total A help.\n"
				 "# TYPE a_seconds_total counter\n"
				 "a_seconds_total 1.5\n"
				 "# HELP b_metric B help.\n"
				 "# TYPE b_metric gauge\n"
				 "b_metric{pci_address=\"0000:00:02.0\"} 1\n"
				 "b_metric{pci_address=\"0000:00:02.1\"} 2\n");
	free(out);
	expo_free(e);
}

static void
test_openmetrics(void **state)
{
	struct expo *e = expo_new();

	(void)state;
	assert_int_equal(expo_add(e, "a_seconds_total", EXPO_COUNTER, "Says \"hi\".", 3, NULL, 0), 0);
	assert_int_equal(expo_add(e, "g", EXPO_GAUGE, "G.", NAN, NULL, 0), 0);
	char *out = render(e, EXPO_FORMAT_OPENMETRICS);
	assert_string_equal(out, "# TYPE a_seconds counter\n"
				 "# HELP a_seconds Says \\\"hi\\\".\n"
				 "a_seconds_total 3\n"
				 "# TYPE g gauge\n"
				 "# HELP g G.\n"
				 "g NaN\n"
				 "# EOF\n");
	free(out);
	expo_free(e);
}

static void
test_empty(void **state)
{
	struct expo *e = expo_new();

	(void)state;
	char *out = render(e, EXPO_FORMAT_TEXT);
	assert_string_equal(out, "");
	free(out);
	out = render(e, EXPO_FORMAT_OPENMETRICS);
	assert_string_equal(out, "# EOF\n");
	free(out);
	expo_free(e);
}

static void
test_escaping(void **state)
{
	struct expo *e = expo_new();

	(void)state;
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "Back\\slash, new\nline, \"quote\".", 1,
				  EXPO_LABELS({"v", "a\\b\"c\nd"})),
			 0);
	char *out = render(e, EXPO_FORMAT_TEXT);
	/* Text 0.0.4 HELP escapes backslash and newline but not the double quote. */
	assert_string_equal(out, "# HELP m Back\\\\slash, new\\nline, \"quote\".\n"
				 "# TYPE m gauge\n"
				 "m{v=\"a\\\\b\\\"c\\nd\"} 1\n");
	free(out);
	out = render(e, EXPO_FORMAT_OPENMETRICS);
	assert_non_null(strstr(out, "# HELP m Back\\\\slash, new\\nline, \\\"quote\\\".\n"));
	assert_non_null(strstr(out, "m{v=\"a\\\\b\\\"c\\nd\"} 1\n"));
	free(out);
	expo_free(e);
}

/* A sample line is written in place within a bound computed from its lengths: values that are
 * all escapes (each byte doubled) and the longest value text must still fit, in both formats. */
static void
test_escaping_worst_case(void **state)
{
	struct expo *e = expo_new();
	char value[301], want[700];

	(void)state;
	for (size_t i = 0; i < 300; i++)
		value[i] = i % 3 == 0 ? '"' : i % 3 == 1 ? '\\' : '\n';
	value[300] = '\0';
	char *w = want;
	for (size_t i = 0; i < 300; i++) {
		*w++ = '\\';
		*w++ = i % 3 == 0 ? '"' : i % 3 == 1 ? '\\' : 'n';
	}
	*w = '\0';
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, value, -1.2345678901234568e-300,
				  EXPO_LABELS({"a", value}, {"b", value})),
			 0);
	for (int f = 0; f < 2; f++) {
		char *out = render(e, f == 0 ? EXPO_FORMAT_TEXT : EXPO_FORMAT_OPENMETRICS);
		char line[1500];
		(void)snprintf(line, sizeof(line), "\nm{a=\"%s\",b=\"%s\"} -1.2345678901234568e-300\n",
			       want, want);
		assert_non_null(strstr(out, line));
		/* HELP escapes the quote in OpenMetrics only. */
		assert_non_null(strstr(out, f == 0 ? "# HELP m \"\\\\\\n\"" : "# HELP m \\\"\\\\\\n"));
		free(out);
	}
	expo_free(e);
}

static void
test_utf8_sanitised(void **state)
{
	struct expo *e = expo_new();

	(void)state;
	/* Valid multi-byte text stays; stray, overlong and surrogate bytes become U+FFFD. */
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "H.", 1,
				  EXPO_LABELS({"name", "caf\xc3\xa9 \xff \xc0\xaf \xed\xa0\x80 \xe2\x82"})),
			 0);
	char *out = render(e, EXPO_FORMAT_TEXT);
	assert_non_null(strstr(out, "m{name=\"caf\xc3\xa9 \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
				    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\"} 1\n"));
	free(out);
	expo_free(e);
}

/* HELP gets the label values' treatment: a collector may quote system text in it. The same
 * invalid text twice names one family, and families with it merge. */
/* Values are copied as they are only when every value of the sample is ASCII: a non-ASCII byte
 * in a later label, past the first 8 bytes or in the last few bytes still gets sanitised, and
 * an ASCII value next to it is kept. */
static void
test_utf8_after_ascii(void **state)
{
	struct expo *e = expo_new();

	(void)state;
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "H.", 1,
				  EXPO_LABELS({"a", "plain ascii value"},
					      {"b", "0123456789abcdef\xff"}, {"c", "x"})),
			 0);
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "H.", 2,
				  EXPO_LABELS({"a", "q"}, {"b", "01234567\x80yz"}, {"c", "\xc3\xa9"})),
			 0);
	char *out = render(e, EXPO_FORMAT_TEXT);
	assert_non_null(strstr(out, "m{a=\"plain ascii value\",b=\"0123456789abcdef\xef\xbf\xbd\","
				    "c=\"x\"} 1\n"));
	assert_non_null(strstr(out, "m{a=\"q\",b=\"01234567\xef\xbf\xbdyz\",c=\"\xc3\xa9\"} 2\n"));
	free(out);
	expo_free(e);
}

static void
test_help_utf8_sanitised(void **state)
{
	static const char help[] = "From caf\xc3\xa9 \xff\xc0\xaf.";
	static const char clean[] = "From caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd.";
	struct expo *e = expo_new(), *other = expo_new();
	char want[128];

	(void)state;
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, help, 1, NULL, 0), 0);
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, help, 2, EXPO_LABELS({"a", "b"})), 0);
	assert_int_equal(expo_add(other, "m", EXPO_GAUGE, help, 3, EXPO_LABELS({"a", "c"})), 0);
	assert_true(expo_can_merge(e, other));
	assert_int_equal(expo_merge(e, other), 0);
	assert_int_equal(expo_error(e), 0);
	char *out = render(e, EXPO_FORMAT_TEXT);
	(void)snprintf(want, sizeof(want),
		       "# HELP m %s\n# TYPE m gauge\nm 1\nm{a=\"b\"} 2\nm{a=\"c\"} 3\n", clean);
	assert_string_equal(out, want);
	free(out);
	out = render(e, EXPO_FORMAT_OPENMETRICS);
	(void)snprintf(want, sizeof(want), "# HELP m %s\n", clean);
	assert_non_null(strstr(out, want));
	free(out);
	expo_free(other);
	expo_free(e);
}

static void
test_invalid_names(void **state)
{
	struct expo *e = expo_new();

	(void)state;
	assert_int_equal(expo_add(e, "9lives", EXPO_GAUGE, "H.", 1, NULL, 0), -EINVAL);
	assert_int_equal(expo_add(e, "has:colon", EXPO_GAUGE, "H.", 1, NULL, 0), -EINVAL);
	assert_int_equal(expo_add(e, "", EXPO_GAUGE, "H.", 1, NULL, 0), -EINVAL);
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, "", 1, NULL, 0), -EINVAL);
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, NULL, 1, NULL, 0), -EINVAL);
	assert_int_equal(expo_add(e, "x_total", EXPO_GAUGE, "H.", 1, NULL, 0), -EINVAL);
	assert_int_equal(expo_add(e, "x", EXPO_COUNTER, "H.", 1, NULL, 0), -EINVAL);
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, "H.", 1, EXPO_LABELS({"__reserved", "v"})),
			 -EINVAL);
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, "H.", 1, EXPO_LABELS({"a-b", "v"})),
			 -EINVAL);
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, "H.", 1, EXPO_LABELS({"a", "v"}, {"a", "w"})),
			 -EINVAL);
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, "H.", 1, EXPO_LABELS({"a", NULL})), -EINVAL);
	assert_int_equal(expo_samples(e), 0);
	assert_int_equal(expo_error(e), -EINVAL);
	/* After a valid sample, one with other label names is checked in full again. */
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, "H.", 1, EXPO_LABELS({"a", "v"}, {"b", "w"})),
			 0);
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, "H.", 1, EXPO_LABELS({"a", "v"}, {"a", "w"})),
			 -EINVAL);
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, "H.", 1, EXPO_LABELS({"a", "v"}, {"__b", "w"})),
			 -EINVAL);
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, "H.", 1, EXPO_LABELS({"a", "v"}, {"b", NULL})),
			 -EINVAL);
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, "H.", 1,
				  EXPO_LABELS({"a", "v"}, {"b", "w"}, {"b", "x"})),
			 -EINVAL);
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, "H.", 1, EXPO_LABELS({"a-b", "v"})), -EINVAL);
	assert_int_equal(expo_add(e, "ok", EXPO_GAUGE, "H.", 1, EXPO_LABELS({"a", "v"})), 0);
	assert_int_equal(expo_samples(e), 2);
	expo_free(e);
}

static void
test_family_mismatch(void **state)
{
	struct expo *e = expo_new();

	(void)state;
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "H.", 1, NULL, 0), 0);
	assert_int_equal(expo_error(e), 0);
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "Other help.", 2, EXPO_LABELS({"a", "b"})),
			 -EINVAL);
	assert_int_equal(expo_samples(e), 1);
	assert_int_equal(expo_error(e), -EINVAL);
	expo_free(e);
}

static void
test_duplicates_dropped(void **state)
{
	struct expo *e = expo_new();

	(void)state;
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "H.", 1, EXPO_LABELS({"a", "x"})), 0);
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "H.", 2, EXPO_LABELS({"a", "x"})), 0);
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "H.", 3, EXPO_LABELS({"a", "y"})), 0);
	assert_int_equal(expo_sort(e), 1);
	assert_int_equal(expo_samples(e), 2);
	char *out = render(e, EXPO_FORMAT_TEXT);
	assert_non_null(strstr(out, "m{a=\"y\"} 3\n"));
	assert_null(strstr(out, "m{a=\"x\"} 1\nm{a=\"x\"}"));
	free(out);
	expo_free(e);
}

static void
test_sort_by_labels(void **state)
{
	struct expo *e = expo_new();

	(void)state;
	/* A shorter label set sorts before a longer one that starts the same. */
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "H.", 3, EXPO_LABELS({"a", "1"}, {"b", "2"})),
			 0);
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "H.", 2, EXPO_LABELS({"a", "1"})), 0);
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "H.", 1, NULL, 0), 0);
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "H.", 4, EXPO_LABELS({"a", "0"})), 0);
	char *out = render(e, EXPO_FORMAT_TEXT);
	assert_string_equal(out, "# HELP m H.\n# TYPE m gauge\n"
				 "m 1\n"
				 "m{a=\"0\"} 4\n"
				 "m{a=\"1\"} 2\n"
				 "m{a=\"1\",b=\"2\"} 3\n");
	free(out);
	expo_free(e);
}

static void
test_merge(void **state)
{
	struct expo *dst = expo_new(), *src = expo_new(), *bad = expo_new();

	(void)state;
	assert_int_equal(expo_add(dst, "m", EXPO_GAUGE, "H.", 1, EXPO_LABELS({"c", "a"})), 0);
	assert_int_equal(expo_add(src, "m", EXPO_GAUGE, "H.", 2, EXPO_LABELS({"c", "b"})), 0);
	assert_int_equal(expo_add(src, "n", EXPO_GAUGE, "N.", 3, NULL, 0), 0);
	assert_int_equal(expo_merge(dst, src), 0);
	assert_int_equal(expo_samples(src), 0);
	assert_int_equal(expo_samples(dst), 3);
	assert_int_equal(expo_error(dst), 0);
	/* Same family, other help: dst keeps its own, records the error. */
	assert_int_equal(expo_add(bad, "n", EXPO_GAUGE, "Different.", 4, EXPO_LABELS({"x", "y"})), 0);
	assert_int_equal(expo_merge(dst, bad), 1);
	assert_int_equal(expo_samples(dst), 3);
	assert_int_equal(expo_error(dst), -EINVAL);
	char *out = render(dst, EXPO_FORMAT_TEXT);
	assert_string_equal(out, "# HELP m H.\n# TYPE m gauge\nm{c=\"a\"} 1\nm{c=\"b\"} 2\n"
				 "# HELP n N.\n# TYPE n gauge\nn 3\n");
	free(out);
	expo_free(dst);
	expo_free(src);
	expo_free(bad);
}

/* Families and samples added in order are not sorted again; anything out of order, a repeat,
 * or a merged run that starts before the family's last sample still is, also after an earlier
 * sort. */
static void
test_sort_only_when_needed(void **state)
{
	struct expo *dst = expo_new(), *src = expo_new();

	(void)state;
	assert_int_equal(expo_add(dst, "a", EXPO_GAUGE, "A.", 1, EXPO_LABELS({"c", "b"})), 0);
	assert_int_equal(expo_add(dst, "a", EXPO_GAUGE, "A.", 2, EXPO_LABELS({"c", "d"})), 0);
	assert_int_equal(expo_add(dst, "b", EXPO_GAUGE, "B.", 3, NULL, 0), 0);
	assert_int_equal(expo_sort(dst), 0);
	char *out = render(dst, EXPO_FORMAT_TEXT);
	assert_string_equal(out, "# HELP a A.\n# TYPE a gauge\na{c=\"b\"} 1\na{c=\"d\"} 2\n"
				 "# HELP b B.\n# TYPE b gauge\nb 3\n");
	free(out);
	/* After a sort: a sample before the last one, and a repeat of the last one. */
	assert_int_equal(expo_add(dst, "a", EXPO_GAUGE, "A.", 4, EXPO_LABELS({"c", "a"})), 0);
	assert_int_equal(expo_add(dst, "a", EXPO_GAUGE, "A.", 5, EXPO_LABELS({"c", "d"})), 0);
	/* A merged run in order itself, starting between dst's samples, and a family before "a". */
	assert_int_equal(expo_add(src, "a", EXPO_GAUGE, "A.", 6, EXPO_LABELS({"c", "c"})), 0);
	assert_int_equal(expo_add(src, "a", EXPO_GAUGE, "A.", 7, EXPO_LABELS({"c", "e"})), 0);
	assert_int_equal(expo_add(src, "Z", EXPO_GAUGE, "Z.", 8, NULL, 0), 0);
	assert_int_equal(expo_sort(src), 0);
	assert_int_equal(expo_merge(dst, src), 0);
	assert_int_equal(expo_sort(dst), 1);
	out = render(dst, EXPO_FORMAT_TEXT);
	assert_string_equal(out, "# HELP Z Z.\n# TYPE Z gauge\nZ 8\n"
				 "# HELP a A.\n# TYPE a gauge\na{c=\"a\"} 4\na{c=\"b\"} 1\n"
				 "a{c=\"c\"} 6\na{c=\"d\"} 2\na{c=\"e\"} 7\n"
				 "# HELP b B.\n# TYPE b gauge\nb 3\n");
	free(out);
	expo_free(dst);
	expo_free(src);
}

static void
test_many_families(void **state)
{
	struct expo *e = expo_new();

	(void)state;
	/* Growth past the initial capacities keeps every sample, in order. */
	for (int i = 99; i >= 0; i--) {
		char name[16], v[16];
		(void)snprintf(name, sizeof(name), "f%03d", i);
		for (int j = 0; j < 20; j++) {
			(void)snprintf(v, sizeof(v), "%02d", j);
			assert_int_equal(expo_add(e, name, EXPO_GAUGE, "H.", j, EXPO_LABELS({"i", v})), 0);
		}
	}
	assert_int_equal(expo_samples(e), 2000);
	char *out = render(e, EXPO_FORMAT_TEXT);
	assert_true(strncmp(out, "# HELP f000 H.\n# TYPE f000 gauge\nf000{i=\"00\"} 0\n", 45) == 0);
	assert_non_null(strstr(out, "f099{i=\"19\"} 19\n"));
	free(out);
	expo_free(e);
}

struct seen {
	char out[256];
	size_t stop_after;
	size_t calls;
};

static bool
collect_series(const struct expo_series *sr, void *arg)
{
	struct seen *s = arg;
	const char *vf = expo_label(sr, "vf");
	size_t n = strlen(s->out);

	(void)snprintf(s->out + n, sizeof(s->out) - n, "%s=%g;", vf != NULL ? vf : "(none)",
		       sr->value);
	return ++s->calls < s->stop_after;
}

/* The read side used by the status page and --check: sorted order, label lookup, matching. */
static void
test_read_back(void **state)
{
	struct expo *e = expo_new();
	struct seen s = {"", 10, 0};
	double v = -1;

	(void)state;
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "h", 2, EXPO_LABELS({"pf", "a"}, {"vf", "2"})), 0);
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "h", 1, EXPO_LABELS({"pf", "a"}, {"vf", "1"})), 0);
	assert_int_equal(expo_add(e, "m", EXPO_GAUGE, "h", 3, EXPO_LABELS({"pf", "b"}, {"vf", "1"})), 0);
	assert_int_equal(expo_add(e, "c_total", EXPO_COUNTER, "h", 7, NULL, 0), 0);
	(void)expo_sort(e);
	assert_int_equal(expo_each(e, "m", collect_series, &s), 3);
	assert_string_equal(s.out, "1=1;2=2;1=3;");
	s = (struct seen){"", 2, 0};
	assert_int_equal(expo_each(e, "m", collect_series, &s), 2);
	assert_string_equal(s.out, "1=1;2=2;");
	assert_int_equal(expo_each(e, "absent", collect_series, &s), 0);
	assert_true(expo_value(e, "m", EXPO_LABELS({"vf", "1"}, {"pf", "b"}), &v));
	assert_true(v == 3);
	assert_true(expo_value(e, "m", NULL, 0, &v));
	assert_true(v == 1);
	assert_true(expo_value(e, "c_total", NULL, 0, &v));
	assert_true(v == 7);
	v = -1;
	assert_false(expo_value(e, "m", EXPO_LABELS({"pf", "c"}), &v));
	assert_false(expo_value(e, "m", EXPO_LABELS({"other", "a"}), &v));
	assert_false(expo_value(e, "c", NULL, 0, &v));
	assert_true(v == -1);
	expo_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_read_back),
		cmocka_unit_test(test_values_round_trip),
		cmocka_unit_test(test_values_like_printf),
		cmocka_unit_test(test_text_basic),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_escaping_worst_case),
		cmocka_unit_test(test_utf8_sanitised),
		cmocka_unit_test(test_utf8_after_ascii),
		cmocka_unit_test(test_help_utf8_sanitised),
		cmocka_unit_test(test_invalid_names),
		cmocka_unit_test(test_family_mismatch),
		cmocka_unit_test(test_duplicates_dropped),
		cmocka_unit_test(test_sort_by_labels),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_sort_only_when_needed),
		cmocka_unit_test(test_many_families),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
