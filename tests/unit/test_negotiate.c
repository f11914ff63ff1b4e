/* Unit tests for negotiate.c: Accept and Accept-Encoding headers as real scrapers send them, and
 * as hostile clients might. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "expo.h"
#include "negotiate.h"
#include "xalloc.h"

#define CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define CT_OM_1 "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define CT_OM_0 "application/openmetrics-text; version=0.0.1; charset=utf-8"
#define OM_1_0_0 "application/openmetrics-text;version=1.0.0"
#define OM_0_0_1 "application/openmetrics-text;version=0.0.1"
#define HEADER_MAX 4096
#define ENTRIES_MAX 64

/* Macros rather than functions so that a failure names the line of the test. ret starts out as the
 * wrong answer, so a negotiate_format() that forgot to set it fails too. */
#define assert_negotiates(accept, want_format, want_type)                                          \
	do {                                                                                       \
		struct negotiation n_ = {(want_format) == EXPO_FORMAT_TEXT                         \
					     ? EXPO_FORMAT_OPENMETRICS                             \
					     : EXPO_FORMAT_TEXT,                                   \
					 "unset"};                                                 \
		negotiate_format((accept), &n_);                                                   \
		assert_int_equal(n_.format, (want_format));                                        \
		assert_string_equal(n_.content_type, (want_type));                                 \
	} while (0)
#define assert_text(accept) assert_negotiates(accept, EXPO_FORMAT_TEXT, CT_TEXT)
#define assert_om_1(accept) assert_negotiates(accept, EXPO_FORMAT_OPENMETRICS, CT_OM_1)
#define assert_om_0(accept) assert_negotiates(accept, EXPO_FORMAT_OPENMETRICS, CT_OM_0)

/* Appends n copies of filler, then last, to b. */
static void
repeat_then(struct buf *b, const char *filler, unsigned n, const char *last)
{
	for (unsigned i = 0; i < n; i++)
		buf_puts(b, filler);
	buf_puts(b, last);
}

static void
test_prometheus3_default(void **state)
{
	(void)state;
	assert_om_1("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
		    "application/openmetrics-text;version=0.0.1;q=0.4,"
		    "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
		    "text/plain;version=0.0.4;q=0.2,*/*;q=0.1");
}

static void
test_prometheus2_default(void **state)
{
	(void)state;
	assert_om_1("application/openmetrics-text;version=1.0.0,"
		    "application/openmetrics-text;version=0.0.1;q=0.75,"
		    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
}

static void
test_curl_default(void **state)
{
	(void)state;
	assert_text("*/*");
}

static void
test_no_header(void **state)
{
	(void)state;
	assert_text(NULL);
	assert_text("");
}

static void
test_highest_q_wins(void **state)
{
	(void)state;
	assert_om_1("text/plain;q=0.5," OM_1_0_0 ";q=0.9");
	assert_om_0(OM_1_0_0 ";q=0.7," OM_0_0_1 ";q=0.8");
	assert_om_0("text/plain;q=0.001," OM_0_0_1 ";q=0.002");
	/* A missing q is 1. */
	assert_om_1("text/plain;q=0.999," OM_1_0_0);
}

static void
test_q_zero_refuses(void **state)
{
	(void)state;
	assert_text(OM_1_0_0 ";q=0");
	assert_om_0(OM_1_0_0 ";q=0," OM_0_0_1 ";q=0.1");
	/* An explicit refusal is not undone by a wildcard, before or after it. */
	assert_text(OM_1_0_0 ";q=0,application/*");
	assert_text("application/*," OM_1_0_0 ";q=0");
	assert_om_0("text/plain;q=0,*/*;q=0.1," OM_0_0_1 ";q=0.05");
}

static void
test_ties_prefer_first(void **state)
{
	(void)state;
	assert_text("text/plain;q=0.5," OM_1_0_0 ";q=0.5");
	assert_om_1(OM_1_0_0 ";q=0.5,text/plain;q=0.5");
	assert_text("*/*," OM_1_0_0);
	assert_om_0(OM_0_0_1 "," OM_1_0_0);
	/* The position is that of the element which gave the winning q. */
	assert_om_1(OM_1_0_0 ";q=0.5,text/plain;q=0.2,text/plain;q=0.5");
}

static void
test_wildcards(void **state)
{
	(void)state;
	assert_om_1("application/*");
	assert_text("text/*");
	assert_text("text/*;q=0.2," OM_0_0_1 ";q=0.1");
	assert_om_1("*/*;q=0.1,application/*;q=0.2");
	assert_text("*/*;q=0.3,application/*;q=0.2");
	/* Wildcard parameters select no version. */
	assert_om_1("application/*;version=0.0.1");
	/* A full type overrides the wildcards for the same output, even with a lower q. */
	assert_om_1("text/plain;q=0.1,*/*;q=0.9," OM_1_0_0 ";q=0.5");
	/* "*" with a concrete subtype is not a media range. */
	assert_om_1("*/plain,application/*;q=0.1");
}

static void
test_unsupported_versions(void **state)
{
	(void)state;
	assert_om_0("text/plain;version=1.0.0," OM_0_0_1 ";q=0.1");
	assert_om_0("application/openmetrics-text;version=2.0.0," OM_0_0_1 ";q=0.1");
	assert_text("application/openmetrics-text;version=1.0,text/plain;q=0.1");
	assert_om_0("application/openmetrics-text;version=\"\",application/openmetrics-text;q=0.1");
	assert_om_1("application/json,text/html;q=0.9," OM_1_0_0 ";q=0.1");
}

static void
test_missing_version_defaults(void **state)
{
	(void)state;
	assert_om_0("application/openmetrics-text");
	assert_text("text/plain," OM_1_0_0 ";q=0.9");
	assert_text("text/plain;version=0.0.4;charset=utf-8," OM_1_0_0 ";q=0.9");
}

static void
test_case_insensitive(void **state)
{
	(void)state;
	assert_om_1("APPLICATION/OpenMetrics-Text;VERSION=1.0.0;Q=0.9,text/plain;q=0.8");
	assert_text("Text/Plain;Version=0.0.4;q=0.9," OM_1_0_0 ";q=0.8");
	assert_om_1("Application/*");
}

static void
test_quoted_params(void **state)
{
	(void)state;
	assert_om_1("application/openmetrics-text;version=\"1.0.0\"");
	assert_om_1("application/openmetrics-text;version=\"1\\.0\\.0\"");
	/* Commas, semicolons and equals signs inside quotes are data. */
	assert_om_1("application/openmetrics-text;note=\"a,b;c=d\";version=1.0.0;q=0.9,"
		    "text/plain;q=0.8");
	/* HTAB and obs-text are allowed inside quotes. */
	assert_om_1("application/openmetrics-text;x=\"a\tb\xc3\xa9\";version=1.0.0");
	/* An escaped quote does not end the string: the version is 1.0.0". */
	assert_om_0("application/openmetrics-text;version=\"1.0.0\\\"\";q=0.9," OM_0_0_1 ";q=0.1");
	/* q is a qvalue, never a quoted string. */
	assert_text(OM_1_0_0 ";q=\"0.5\",text/plain;q=0.1");
}

static void
test_params_after_q_are_extensions(void **state)
{
	(void)state;
	assert_text("text/plain;q=0.5;version=1.0.0," OM_0_0_1 ";q=0.4");
	assert_om_0("application/openmetrics-text;q=0.5;version=1.0.0");
}

static void
test_optional_whitespace(void **state)
{
	(void)state;
	assert_om_1("application/openmetrics-text ; version=1.0.0 ;\tq=0.5 , text/plain;q=0.4");
	assert_om_1(" \tapplication/*  ");
	/* No white space around "=" or "/". */
	assert_text("application/openmetrics-text;version = 1.0.0,text/plain;q=0.1");
	assert_text("application / openmetrics-text;version=1.0.0");
}

static void
test_garbage(void **state)
{
	(void)state;
	assert_text("garbage");
	assert_text("%%%");
	assert_text("\x01\x02\x03");
	assert_text("\xff\xfe/\xfd");
	assert_text(";;;===\"\"\\");
	/* A bad element does not spoil the ones after it. */
	assert_om_1("garbage," OM_1_0_0);
	assert_om_1("te xt/plain," OM_1_0_0);
	assert_om_1("application/," OM_1_0_0);
	assert_om_1("\x7f/\x7f," OM_1_0_0);
}

static void
test_unterminated_quote(void **state)
{
	(void)state;
	assert_text("application/openmetrics-text;version=\"1.0.0");
	assert_om_1(OM_1_0_0 ";q=0.5,text/plain;x=\"abc");
	/* The open quote swallows the commas after it, so nothing later counts. */
	assert_text("text/plain;x=\"abc, " OM_1_0_0);
	assert_om_0(OM_0_0_1 ";q=0.1,text/plain;x=\"\\");
}

static void
test_invalid_qvalues(void **state)
{
	static const char *const bad[] = {"1.5", "abc", "0.1234", "", ".5", "-0", "+1", "2",
					  "1.001", "01", "0.5x", "1e0", " 0.5", "0..5"};
	(void)state;
	for (size_t i = 0; i < nitems(bad); i++) {
		struct buf b = BUF_INIT;
		/* Were the q accepted (or clamped), OpenMetrics would beat the q=0.1 text. */
		buf_printf(&b, "%s;q=%s,text/plain;q=0.1", OM_1_0_0, bad[i]);
		assert_text(b.data);
		buf_free(&b);
	}
}

static void
test_valid_qvalue_forms(void **state)
{
	(void)state;
	assert_om_1(OM_1_0_0 ";q=1");
	assert_om_1(OM_1_0_0 ";q=1.");
	assert_om_1(OM_1_0_0 ";q=1.000");
	assert_om_1(OM_1_0_0 ";q=0.001");
	assert_text(OM_1_0_0 ";q=0.");
	assert_text(OM_1_0_0 ";q=0.000");
}

static void
test_empty_entries(void **state)
{
	(void)state;
	assert_om_1(",," OM_1_0_0 ",,");
	assert_om_1(", ,\t," OM_1_0_0);
}

static void
test_only_commas(void **state)
{
	(void)state;
	assert_text(",");
	assert_text(",,,,");
	assert_text(" , \t, ");
}

static void
test_duplicate_params(void **state)
{
	(void)state;
	assert_text(OM_1_0_0 ";version=0.0.1,text/plain;q=0.1");
	assert_text(OM_1_0_0 ";q=0.9;q=0.9,text/plain;q=0.1");
}

static void
test_malformed_syntax(void **state)
{
	(void)state;
	/* Each OpenMetrics element is broken; were it accepted, it would beat the q=0.1 text. */
	assert_text(OM_1_0_0 ";q=0.9;,text/plain;q=0.1");
	assert_text("application/openmetrics-text;version,text/plain;q=0.1");
	assert_text("application/openmetrics-text;=1.0.0,text/plain;q=0.1");
	assert_text(OM_1_0_0 " x,text/plain;q=0.1");
	assert_text("application/openmetrics-text/x;version=1.0.0,text/plain;q=0.1");
	assert_text(OM_1_0_0 "\r\n,text/plain;q=0.1");
	assert_text("application/openmetrics-text version=1.0.0");
	/* A type without a subtype is not a media range. */
	assert_om_1("application," OM_1_0_0);
}

static void
test_header_length_cap(void **state)
{
	char h[HEADER_MAX + 2];
	(void)state;

	/* A valid element padded with commas to HEADER_MAX + 1 bytes. */
	memset(h, ',', sizeof(h) - 1);
	h[sizeof(h) - 1] = '\0';
	memcpy(h, OM_1_0_0, strlen(OM_1_0_0));
	assert_text(h);
	h[HEADER_MAX] = '\0';
	assert_om_1(h);
}

static void
test_entry_limit(void **state)
{
	struct buf last = BUF_INIT;
	struct buf beyond = BUF_INIT;
	struct buf empties = BUF_INIT;
	(void)state;

	/* Well-formed and malformed elements count; empty ones do not. */
	repeat_then(&last, "x/y,", ENTRIES_MAX - 1, OM_1_0_0);
	repeat_then(&beyond, "@@,", ENTRIES_MAX, OM_1_0_0);
	repeat_then(&empties, ",", 4 * ENTRIES_MAX, OM_1_0_0);
	assert_om_1(last.data);
	assert_text(beyond.data);
	assert_om_1(empties.data);
	buf_free(&last);
	buf_free(&beyond);
	buf_free(&empties);
}

static void
test_input_not_modified(void **state)
{
	char h[] = "application/openmetrics-text;v=\"1\\.0\";version=1.0.0;q=0.5 , text/plain;x=\"";
	char copy[sizeof(h)];
	(void)state;

	memcpy(copy, h, sizeof(h));
	assert_om_1(h);
	assert_false(negotiate_gzip(h));
	assert_memory_equal(h, copy, sizeof(h));
}

static void
test_gzip_absent(void **state)
{
	(void)state;
	assert_false(negotiate_gzip(NULL));
	assert_false(negotiate_gzip(""));
}

static void
test_gzip_listed(void **state)
{
	(void)state;
	assert_true(negotiate_gzip("gzip"));
	assert_true(negotiate_gzip("x-gzip"));
	assert_true(negotiate_gzip("GZIP"));
	assert_true(negotiate_gzip("gzip, deflate, br"));
	assert_true(negotiate_gzip("deflate, gzip;q=0.001"));
	assert_true(negotiate_gzip(" gzip ; Q=1 "));
}

static void
test_gzip_not_listed(void **state)
{
	(void)state;
	assert_false(negotiate_gzip("deflate"));
	assert_false(negotiate_gzip("br, identity"));
	assert_false(negotiate_gzip("identity;q=1"));
	assert_false(negotiate_gzip("gzipx, xgzip"));
}

static void
test_gzip_q_zero(void **state)
{
	(void)state;
	assert_false(negotiate_gzip("gzip;q=0"));
	assert_false(negotiate_gzip("gzip;q=0.000"));
	assert_false(negotiate_gzip("x-gzip;q=0, deflate"));
}

static void
test_gzip_wildcard(void **state)
{
	(void)state;
	assert_true(negotiate_gzip("*"));
	assert_true(negotiate_gzip("identity, *;q=0.5"));
	assert_false(negotiate_gzip("*;q=0"));
	/* A listed gzip decides, whatever the wildcard says. */
	assert_false(negotiate_gzip("*, gzip;q=0"));
	assert_false(negotiate_gzip("gzip;q=0, *"));
	assert_true(negotiate_gzip("*;q=0, gzip"));
}

static void
test_gzip_malformed(void **state)
{
	(void)state;
	assert_false(negotiate_gzip("gzip;q=1.5"));
	assert_false(negotiate_gzip("gzip;q=abc"));
	assert_false(negotiate_gzip("gzip;q=0.5;q=0.5"));
	/* Accept-Encoding has no parameters besides q, and codings have no subtype. */
	assert_false(negotiate_gzip("gzip;level=9"));
	assert_false(negotiate_gzip("gzip/x"));
	assert_false(negotiate_gzip("g zip"));
	assert_false(negotiate_gzip("\"gzip\""));
	assert_false(negotiate_gzip(",,,"));
	assert_false(negotiate_gzip("gzip;q=\"1\""));
	/* A malformed gzip is not a listed gzip: the wildcard still counts. */
	assert_true(negotiate_gzip("gzip;q=1.5, *"));
	assert_true(negotiate_gzip("gzip;q=0.5, \"unterminated"));
	assert_true(negotiate_gzip("\xff\xfe, gzip"));
}

static void
test_gzip_length_cap(void **state)
{
	char h[HEADER_MAX + 2];
	(void)state;

	memset(h, ' ', sizeof(h) - 1);
	h[sizeof(h) - 1] = '\0';
	memcpy(h, "gzip", 4);
	assert_false(negotiate_gzip(h));
	h[HEADER_MAX] = '\0';
	assert_true(negotiate_gzip(h));
}

static void
test_gzip_entry_limit(void **state)
{
	struct buf last = BUF_INIT;
	struct buf beyond = BUF_INIT;
	(void)state;

	repeat_then(&last, "br,", ENTRIES_MAX - 1, "gzip");
	repeat_then(&beyond, "br,", ENTRIES_MAX, "gzip");
	assert_true(negotiate_gzip(last.data));
	assert_false(negotiate_gzip(beyond.data));
	buf_free(&last);
	buf_free(&beyond);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus3_default),
		cmocka_unit_test(test_prometheus2_default),
		cmocka_unit_test(test_curl_default),
		cmocka_unit_test(test_no_header),
		cmocka_unit_test(test_highest_q_wins),
		cmocka_unit_test(test_q_zero_refuses),
		cmocka_unit_test(test_ties_prefer_first),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_unsupported_versions),
		cmocka_unit_test(test_missing_version_defaults),
		cmocka_unit_test(test_case_insensitive),
		cmocka_unit_test(test_quoted_params),
		cmocka_unit_test(test_params_after_q_are_extensions),
		cmocka_unit_test(test_optional_whitespace),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_invalid_qvalues),
		cmocka_unit_test(test_valid_qvalue_forms),
		cmocka_unit_test(test_empty_entries),
		cmocka_unit_test(test_only_commas),
		cmocka_unit_test(test_duplicate_params),
		cmocka_unit_test(test_malformed_syntax),
		cmocka_unit_test(test_header_length_cap),
		cmocka_unit_test(test_entry_limit),
		cmocka_unit_test(test_input_not_modified),
		cmocka_unit_test(test_gzip_absent),
		cmocka_unit_test(test_gzip_listed),
		cmocka_unit_test(test_gzip_not_listed),
		cmocka_unit_test(test_gzip_q_zero),
		cmocka_unit_test(test_gzip_wildcard),
		cmocka_unit_test(test_gzip_malformed),
		cmocka_unit_test(test_gzip_length_cap),
		cmocka_unit_test(test_gzip_entry_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
