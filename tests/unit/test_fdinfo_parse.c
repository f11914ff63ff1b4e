/* The DRM fdinfo parser: i915 and xe blocks as the kernel prints them, and every
 * kind of bad input the limits exist for (no tab, missing or wrong unit, numbers past 64 bits,
 * binary garbage, overlong lines, too many lines, too many keys). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fdinfo_parse.h"

/* Made-up i915 block in the kernel's order: generic lines, drm core, memory, engines. */
static const char i915_block[] = "pos:\t0\n"
				 "flags:\t02100002\n"
				 "mnt_id:\t26\n"
				 "ino:\t1039\n"
				 "drm-driver:\ti915\n"
				 "drm-client-id:\t7\n"
				 "drm-pdev:\t0000:01:00.0\n"
				 "drm-total-system0:\t24 MiB\n"
				 "drm-shared-system0:\t0\n"
				 "drm-active-system0:\t0\n"
				 "drm-resident-system0:\t24 MiB\n"
				 "drm-purgeable-system0:\t0\n"
				 "drm-total-stolen-system0:\t0\n"
				 "drm-resident-stolen-system0:\t0\n"
				 "drm-engine-render:\t1203345000 ns\n"
				 "drm-engine-copy:\t0 ns\n"
				 "drm-engine-video:\t88000000 ns\n"
				 "drm-engine-capacity-video:\t2\n"
				 "drm-engine-video-enhance:\t0 ns\n";

/* xe on a PF or native: cycle keys, capacity per class, memory in B and KiB. */
static const char xe_block[] = "pos:\t0\n"
			       "flags:\t0100002\n"
			       "mnt_id:\t26\n"
			       "ino:\t1110\n"
			       "drm-driver:\txe\n"
			       "drm-client-id:\t42\n"
			       "drm-pdev:\t0000:00:02.0\n"
			       "drm-total-system:\t0\n"
			       "drm-resident-system:\t0\n"
			       "drm-total-gtt:\t8 KiB\n"
			       "drm-resident-gtt:\t8 KiB\n"
			       "drm-resident-vram0:\t512 B\n"
			       "drm-cycles-rcs:\t28257900\n"
			       "drm-total-cycles-rcs:\t7655183225\n"
			       "drm-cycles-bcs:\t0\n"
			       "drm-total-cycles-bcs:\t7655183225\n"
			       "drm-cycles-vcs:\t0\n"
			       "drm-total-cycles-vcs:\t7655183225\n"
			       "drm-engine-capacity-vcs:\t2\n"
			       "drm-cycles-vecs:\t0\n"
			       "drm-total-cycles-vecs:\t7655183225\n"
			       "drm-cycles-ccs:\t11\n"
			       "drm-total-cycles-ccs:\t7655183225\n"
			       "drm-engine-capacity-ccs:\t4\n";

static unsigned problems;
static struct fdinfo_client fi;

static int
parse(const char *text)
{
	return fdinfo_parse(text, strlen(text), &fi, &problems);
}

static const struct fdinfo_engine *
engine(const char *name)
{
	for (size_t i = 0; i < fi.nengines; i++) {
		if (strcmp(fi.engines[i].name, name) == 0)
			return &fi.engines[i];
	}
	return NULL;
}

static const struct fdinfo_region *
region(const char *name)
{
	for (size_t i = 0; i < fi.nregions; i++) {
		if (strcmp(fi.regions[i].name, name) == 0)
			return &fi.regions[i];
	}
	return NULL;
}

static void
test_i915(void **state)
{
	(void)state;
	assert_int_equal(parse(i915_block), 1);
	assert_int_equal(problems, 0);
	assert_string_equal(fi.driver, "i915");
	assert_true(fi.has_client_id);
	assert_int_equal(fi.client_id, 7);
	assert_string_equal(fi.pdev, "0000:01:00.0");
	assert_int_equal(fi.nengines, 4);
	assert_string_equal(fi.engines[0].name, "render");
	assert_true(engine("render")->has_busy);
	assert_int_equal(engine("render")->busy_ns, 1203345000ULL);
	assert_int_equal(engine("render")->capacity, 1);
	assert_false(engine("render")->has_cycles);
	assert_int_equal(engine("video")->busy_ns, 88000000ULL);
	assert_int_equal(engine("video")->capacity, 2);
	assert_int_equal(engine("video-enhance")->busy_ns, 0);
	assert_true(engine("video-enhance")->has_busy);
	assert_null(engine("compute"));
	assert_int_equal(fi.nregions, 2);
	assert_int_equal(region("system0")->resident_bytes, 24ULL << 20);
	assert_false(region("system0")->from_alias);
	assert_int_equal(region("stolen-system0")->resident_bytes, 0);
	/* i915 prints class names already. */
	assert_string_equal(fdinfo_engine_class("render"), "render");
	assert_string_equal(fdinfo_engine_class("video-enhance"), "video-enhance");
}

static void
test_xe(void **state)
{
	(void)state;
	assert_int_equal(parse(xe_block), 1);
	assert_int_equal(problems, 0);
	assert_string_equal(fi.driver, "xe");
	assert_int_equal(fi.client_id, 42);
	assert_string_equal(fi.pdev, "0000:00:02.0");
	assert_int_equal(fi.nengines, 5);
	const struct fdinfo_engine *rcs = engine("rcs");
	assert_non_null(rcs);
	assert_false(rcs->has_busy);
	assert_true(rcs->has_cycles);
	assert_int_equal(rcs->cycles, 28257900);
	assert_true(rcs->has_total_cycles);
	assert_int_equal(rcs->total_cycles, 7655183225ULL);
	assert_int_equal(engine("ccs")->capacity, 4);
	assert_int_equal(engine("ccs")->cycles, 11);
	assert_int_equal(engine("vcs")->capacity, 2);
	/* drm-total-cycles-<k> is an engine key, not the memory key drm-total-<region>. */
	assert_null(region("cycles-rcs"));
	assert_int_equal(region("gtt")->resident_bytes, 8192);
	assert_int_equal(region("vram0")->resident_bytes, 512);
	assert_string_equal(fdinfo_engine_class("rcs"), "render");
	assert_string_equal(fdinfo_engine_class("bcs"), "copy");
	assert_string_equal(fdinfo_engine_class("vcs"), "video");
	assert_string_equal(fdinfo_engine_class("vecs"), "video-enhance");
	assert_string_equal(fdinfo_engine_class("ccs"), "compute");
}

/* An xe VF prints memory only (the timestamp registers are out of reach). */
static void
test_xe_vf_memory_only(void **state)
{
	(void)state;
	assert_int_equal(parse("drm-driver:\txe\ndrm-client-id:\t3\ndrm-pdev:\t0000:00:02.1\n"
			       "drm-resident-system:\t4 MiB\n"),
			 1);
	assert_int_equal(problems, 0);
	assert_int_equal(fi.nengines, 0);
	assert_int_equal(region("system")->resident_bytes, 4ULL << 20);
}

static void
test_not_drm(void **state)
{
	(void)state;
	assert_int_equal(parse("pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t1057\n"
			       "eventfd-count:                0\neventfd-id: 3\n"),
			 0);
	assert_int_equal(problems, 0);
	assert_string_equal(fi.driver, "");
	/* A /dev/dri fd on a kernel without DRM fdinfo: generic lines only. */
	assert_int_equal(parse("pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t1039\n"), 0);
	assert_int_equal(problems, 0);
	assert_int_equal(parse(""), 0);
	assert_int_equal(problems, 0);
}

/* Spaces instead of a tab, CRLF endings, no final newline, a short pdev. */
static void
test_lenient_forms(void **state)
{
	(void)state;
	assert_int_equal(parse("drm-driver:  i915\r\ndrm-client-id: 12\r\ndrm-pdev:\t01:00.0\r\n"
			       "drm-engine-render: 5 ns\r\ndrm-memory-system0:\t3 KiB"),
			 1);
	assert_int_equal(problems, 0);
	assert_int_equal(fi.client_id, 12);
	assert_string_equal(fi.pdev, "0000:01:00.0");
	assert_int_equal(engine("render")->busy_ns, 5);
	/* drm-memory-<region> is the deprecated name of drm-resident-<region>. */
	assert_int_equal(region("system0")->resident_bytes, 3072);
	assert_true(region("system0")->from_alias);
}

static void
test_memory_alias_loses(void **state)
{
	(void)state;
	assert_int_equal(parse("drm-driver:\ti915\ndrm-client-id:\t1\n"
			       "drm-resident-local0:\t0\ndrm-memory-local0:\t9 MiB\n"
			       "drm-memory-system0:\t1 MiB\ndrm-resident-system0:\t2 MiB\n"),
			 1);
	assert_int_equal(problems, 0);
	assert_int_equal(region("local0")->resident_bytes, 0);
	assert_int_equal(region("system0")->resident_bytes, 2ULL << 20);
	assert_int_equal(fi.nregions, 2);
	/* A DRM client outside PCI (virtio-gpu, vgem) has no drm-pdev. */
	assert_string_equal(fi.pdev, "");
}

/* Each bad line is skipped with its problem bit; the good lines around it still count. */
static void
check_bad(const char *line, unsigned bit)
{
	char text[1024];

	(void)snprintf(text, sizeof(text),
		       "drm-driver:\ti915\ndrm-client-id:\t7\ndrm-pdev:\t0000:01:00.0\n%s\n"
		       "drm-engine-copy:\t9 ns\n",
		       line);
	assert_int_equal(parse(text), 1);
	if (problems != bit)
		fail_msg("\"%s\": problems 0x%x, expected 0x%x", line, problems, bit);
	assert_int_equal(engine("copy")->busy_ns, 9);
	assert_int_equal(fi.client_id, 7);
}

static void
test_malformed_lines(void **state)
{
	(void)state;
	/* No tab or space after the colon. */
	check_bad("drm-engine-render:1203345000 ns", FDINFO_BAD_LINE);
	assert_null(engine("render"));
	check_bad("no colon at all", FDINFO_BAD_LINE);
	check_bad(":\t5", FDINFO_BAD_LINE);
	check_bad("drm engine render:\t5 ns", FDINFO_BAD_LINE);
	check_bad("drm-engine-render:\t", FDINFO_BAD_LINE);
	check_bad("drm-engine-render:\t\x01\x02 ns", FDINFO_BAD_LINE);
	/* Missing, wrong or doubled unit; signs; junk. */
	check_bad("drm-engine-render:\t1203345000", FDINFO_BAD_ENGINE);
	assert_null(engine("render"));
	check_bad("drm-engine-render:\t1203345000 us", FDINFO_BAD_ENGINE);
	check_bad("drm-engine-render:\t1203345000  ns", FDINFO_BAD_ENGINE);
	check_bad("drm-engine-render:\t12 ns ns", FDINFO_BAD_ENGINE);
	check_bad("drm-engine-render:\t-5 ns", FDINFO_BAD_ENGINE);
	check_bad("drm-engine-render:\t0x10 ns", FDINFO_BAD_ENGINE);
	check_bad("drm-engine-render:\tns", FDINFO_BAD_ENGINE);
	/* Numbers past 64 bits. */
	check_bad("drm-engine-render:\t18446744073709551616 ns", FDINFO_BAD_ENGINE);
	check_bad("drm-engine-render:\t99999999999999999999999999999 ns", FDINFO_BAD_ENGINE);
	check_bad("drm-cycles-rcs:\t18446744073709551616", FDINFO_BAD_CYCLES);
	check_bad("drm-total-cycles-rcs:\tmany", FDINFO_BAD_CYCLES);
	check_bad("drm-resident-system0:\t18446744073709551615 KiB", FDINFO_BAD_MEMORY);
	check_bad("drm-resident-system0:\t1 TiB", FDINFO_BAD_MEMORY);
	check_bad("drm-resident-system0:\t1 ns", FDINFO_BAD_MEMORY);
	check_bad("drm-engine-capacity-video:\t0", FDINFO_BAD_CAPACITY);
	check_bad("drm-engine-capacity-video:\t99999", FDINFO_BAD_CAPACITY);
	/* Names that would make odd label values. */
	check_bad("drm-engine-ren/der:\t5 ns", FDINFO_BAD_ENGINE);
	check_bad("drm-engine-:\t5 ns", FDINFO_BAD_ENGINE);
	check_bad("drm-engine-a-very-long-engine-class-name:\t5 ns", FDINFO_BAD_ENGINE);
	check_bad("drm-resident-:\t5", FDINFO_BAD_MEMORY);
	check_bad("drm-pdev:\tnot-a-bdf", FDINFO_BAD_PDEV);
	check_bad("drm-driver:\ti9 15", FDINFO_BAD_DRIVER);
	/* The largest value still fits. */
	check_bad("drm-engine-render:\t18446744073709551615 ns", 0);
	assert_int_equal(engine("render")->busy_ns, UINT64_MAX);
	/* Unknown keys, even odd ones, are not problems. */
	check_bad("drm-client-name:\tffmpeg worker", 0);
	check_bad("drm-shared-system0:\tlots", 0);
}

static void
test_client_id(void **state)
{
	(void)state;
	assert_int_equal(parse("drm-driver:\ti915\ndrm-client-id:\t18446744073709551616\n"), 1);
	assert_int_equal(problems, FDINFO_BAD_CLIENT_ID | FDINFO_NO_CLIENT_ID);
	assert_false(fi.has_client_id);
	assert_int_equal(parse("drm-driver:\ti915\ndrm-pdev:\t0000:01:00.0\n"), 1);
	assert_int_equal(problems, FDINFO_NO_CLIENT_ID);
	/* A later line wins, as a reader of a changing file would see. */
	assert_int_equal(parse("drm-driver:\ti915\ndrm-client-id:\t1\ndrm-client-id:\t2\n"), 1);
	assert_int_equal(fi.client_id, 2);
}

static void
test_overlong_line(void **state)
{
	(void)state;
	char text[1024];
	char line[FDINFO_LINE_MAX + 2];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "drm-engine-render:\t", 19);
	(void)snprintf(text, sizeof(text), "drm-driver:\ti915\n%s\ndrm-client-id:\t3\n", line);
	assert_int_equal(parse(text), 1);
	assert_int_equal(problems, FDINFO_LONG_LINE);
	assert_int_equal(fi.client_id, 3);
	assert_null(engine("render"));

	/* Exactly FDINFO_LINE_MAX bytes is still a line. */
	char ok[FDINFO_LINE_MAX + 1];
	memset(ok, ' ', FDINFO_LINE_MAX);
	ok[FDINFO_LINE_MAX] = '\0';
	memcpy(ok, "drm-engine-render:\t5 ns", 23);
	(void)snprintf(text, sizeof(text), "drm-driver:\ti915\n%s\ndrm-client-id:\t3\n", ok);
	assert_int_equal(parse(text), 1);
	assert_int_equal(problems, 0);
	assert_int_equal(engine("render")->busy_ns, 5);
}

static void
test_too_many_lines(void **state)
{
	(void)state;
	size_t size = 16 * (FDINFO_LINES_MAX + 16);
	char *text = malloc(size);
	size_t n = 0;

	assert_non_null(text);
	n += (size_t)snprintf(text + n, size - n, "drm-driver:\ti915\ndrm-client-id:\t4\n");
	for (int i = 2; i < FDINFO_LINES_MAX - 1; i++)
		n += (size_t)snprintf(text + n, size - n, "x-%d:\t1\n", i);
	/* Line FDINFO_LINES_MAX is read, the next one is not. */
	n += (size_t)snprintf(text + n, size - n, "drm-engine-copy:\t1 ns\n");
	n += (size_t)snprintf(text + n, size - n, "drm-engine-render:\t1 ns\n");
	assert_int_equal(fdinfo_parse(text, n, &fi, &problems), 1);
	assert_int_equal(problems, FDINFO_TOO_MANY_LINES);
	assert_non_null(engine("copy"));
	assert_null(engine("render"));
	/* Blank lines are not counted. */
	memset(text, '\n', size);
	memcpy(text + size - 16, "drm-driver:\txe\n", 15);
	assert_int_equal(fdinfo_parse(text, size - 1, &fi, &problems), 1);
	assert_int_equal(problems, FDINFO_NO_CLIENT_ID);
	free(text);
}

static void
test_too_many_keys(void **state)
{
	(void)state;
	char text[4096];
	size_t n = 0;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "drm-driver:\ti915\ndrm-client-id:\t4\n");
	for (int i = 0; i < FDINFO_ENGINES_MAX + 3; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "drm-engine-e%d:\t%d ns\n", i, i);
	for (int i = 0; i < FDINFO_REGIONS_MAX + 1; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "drm-resident-r%d:\t%d\n", i, i);
	assert_int_equal(parse(text), 1);
	assert_int_equal(problems, FDINFO_TOO_MANY_KEYS);
	assert_int_equal(fi.nengines, FDINFO_ENGINES_MAX);
	assert_int_equal(fi.nregions, FDINFO_REGIONS_MAX);
	/* A key already held still updates. */
	n += (size_t)snprintf(text + n, sizeof(text) - n, "drm-engine-e0:\t77 ns\n");
	assert_int_equal(parse(text), 1);
	assert_int_equal(engine("e0")->busy_ns, 77);
}

/* NUL bytes, high bytes and control characters: skipped lines, no crash, no overread (the
 * buffer is not NUL-terminated and the sanitizer build checks every access). */
static void
test_binary_garbage(void **state)
{
	(void)state;
	static const char bin[] = "drm-driver:\ti915\n\0\0\0\xff\xfe:\t1\ndrm-client-id:\t5\0junk\n"
				  "\x7f\x80\x81\ndrm-engine-render:\t7 ns\n\xc3(";
	char *copy = malloc(sizeof(bin) - 1);

	assert_non_null(copy);
	memcpy(copy, bin, sizeof(bin) - 1);
	assert_int_equal(fdinfo_parse(copy, sizeof(bin) - 1, &fi, &problems), 1);
	assert_true((problems & FDINFO_BAD_LINE) != 0);
	assert_false(fi.has_client_id); /* its line holds a NUL */
	assert_int_equal(engine("render")->busy_ns, 7);
	free(copy);

	/* Pseudo-random blocks, some seeded with real keys. */
	unsigned seed = 12345;
	char buf[512];
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(seed % sizeof(buf));
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (char)(seed >> 16);
			if ((seed >> 8) % 7 == 0)
				buf[i] = "\n\t :-0123456789 nsKiB"[(seed >> 24) % 21];
		}
		if (round % 3 == 0 && len > 40)
			memcpy(buf + len / 2 - 20, "\ndrm-engine-render:\t", 20);
		char *p = malloc(len == 0 ? 1 : len);
		assert_non_null(p);
		memcpy(p, buf, len);
		int r = fdinfo_parse(p, len, &fi, &problems);
		assert_true(r == 0 || r == 1);
		assert_true(fi.nengines <= FDINFO_ENGINES_MAX);
		assert_true(fi.nregions <= FDINFO_REGIONS_MAX);
		free(p);
		seed = seed * 1103515245u + 12345u;
	}
}

static void
test_file_limit(void **state)
{
	(void)state;
	size_t size = FDINFO_FILE_MAX + 64;
	char *text = malloc(size);

	assert_non_null(text);
	memset(text, '\n', size);
	memcpy(text, "drm-driver:\ti915\ndrm-client-id:\t4\n", 34);
	/* Past FDINFO_FILE_MAX nothing is read. */
	memcpy(text + FDINFO_FILE_MAX + 10, "drm-engine-render:\t1 ns\n", 24);
	assert_int_equal(fdinfo_parse(text, size, &fi, &problems), 1);
	assert_int_equal(problems, 0);
	assert_null(engine("render"));
	free(text);
}

static void
test_problem_names(void **state)
{
	(void)state;
	for (unsigned i = 0; i < FDINFO_PROBLEMS; i++) {
		const char *w = fdinfo_problem_what(1u << i);
		assert_non_null(strstr(w, "proc/*/fdinfo"));
		assert_null(strstr(w, "unknown"));
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(w, fdinfo_problem_what(1u << j));
	}
	assert_non_null(strstr(fdinfo_problem_what(3), "unknown"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_i915),
		cmocka_unit_test(test_xe),
		cmocka_unit_test(test_xe_vf_memory_only),
		cmocka_unit_test(test_not_drm),
		cmocka_unit_test(test_lenient_forms),
		cmocka_unit_test(test_memory_alias_loses),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_client_id),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_too_many_lines),
		cmocka_unit_test(test_too_many_keys),
		cmocka_unit_test(test_binary_garbage),
		cmocka_unit_test(test_file_limit),
		cmocka_unit_test(test_problem_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
