/* Unit tests for the `dkms status` line parser: every form dkms 2.8.4, 3.0.10 and 3.2.2 print
 * (kernel-interfaces.md section 10), their notes, installed-weak lines, and malformed input:
 * missing separators, empty or spaced fields, control bytes, oversize lines and fields, the
 * stderr lines dkms mixes in. Every prefix and a batch of seeded mutations of the valid lines must
 * parse or fail cleanly (run under ASan by make test-asan). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dkms_status.h"

static int
parse(const char *s, struct dkms_status_line *l)
{
	return dkms_status_parse_line(s, strlen(s), l);
}

struct expect {
	const char *line;
	const char *module, *version, *kernel, *arch, *state, *note;
	enum dkms_status_state kind;
	bool comma_form;
};

#define INS "installed"
static const struct expect valid[] = {
	/* dkms 2.8.4 */
	{"i915-sriov-dkms, 2024.12.30: added", "i915-sriov-dkms", "2024.12.30", "", "", "added", "",
	 DKMS_STATUS_ADDED, true},
	{"i915-sriov-dkms, 2025.07.22, 6.8.12-4-pve, x86_64: installed (WARNING! Diff between "
	 "built and installed module!)",
	 "i915-sriov-dkms", "2025.07.22", "6.8.12-4-pve", "x86_64", INS,
	 "(WARNING! Diff between built and installed module!)", DKMS_STATUS_INSTALLED, true},
	{"i915-sriov-dkms, 2025.07.22, 6.8.12-9-pve, x86_64: built", "i915-sriov-dkms",
	 "2025.07.22", "6.8.12-9-pve", "x86_64", "built", "", DKMS_STATUS_BUILT, true},
	/* dkms 3.0.10 */
	{"i915-sriov-dkms/2024.12.30: added", "i915-sriov-dkms", "2024.12.30", "", "", "added", "",
	 DKMS_STATUS_ADDED, false},
	{"i915-sriov-dkms/2025.07.22, 6.8.12-4-pve, x86_64: installed (WARNING! Diff between built "
	 "and installed module!)",
	 "i915-sriov-dkms", "2025.07.22", "6.8.12-4-pve", "x86_64", INS,
	 "(WARNING! Diff between built and installed module!)", DKMS_STATUS_INSTALLED, false},
	{"i915-sriov-dkms/2025.07.22, 6.8.12-9-pve, x86_64: built", "i915-sriov-dkms", "2025.07.22",
	 "6.8.12-9-pve", "x86_64", "built", "", DKMS_STATUS_BUILT, false},
	{"i915-sriov-dkms/2025.07.22, 6.8.12-9-pve, x86_64: installed (original_module exists) "
	 "(WARNING! Missing some built modules!)",
	 "i915-sriov-dkms", "2025.07.22", "6.8.12-9-pve", "x86_64", INS,
	 "(original_module exists) (WARNING! Missing some built modules!)", DKMS_STATUS_INSTALLED,
	 false},
	/* dkms 3.2.2 */
	{"i915-sriov-dkms/2024.12.30: broken", "i915-sriov-dkms", "2024.12.30", "", "", "broken",
	 "", DKMS_STATUS_BROKEN, false},
	{"i915-sriov-dkms/2025.07.22, 6.8.12-4-pve, x86_64: installed (Differences between built "
	 "and installed modules)",
	 "i915-sriov-dkms", "2025.07.22", "6.8.12-4-pve", "x86_64", INS,
	 "(Differences between built and installed modules)", DKMS_STATUS_INSTALLED, false},
	{"i915-sriov-dkms/2025.07.22, 6.17.2-1-pve, x86_64: installed (Original modules exist) "
	 "(Built modules are missing in the kernel modules folder)",
	 "i915-sriov-dkms", "2025.07.22", "6.17.2-1-pve", "x86_64", INS,
	 "(Original modules exist) (Built modules are missing in the kernel modules folder)",
	 DKMS_STATUS_INSTALLED, false},
	/* RHEL/SUSE weak-modules: dkms prints these with commas in every version */
	{"i915-sriov-dkms, 2025.07.22, 4.18.0-553.el8_10.x86_64, x86_64: installed-weak from "
	 "4.18.0-513.5.1.el8_9.x86_64",
	 "i915-sriov-dkms", "2025.07.22", "4.18.0-553.el8_10.x86_64", "x86_64", "installed-weak",
	 "from 4.18.0-513.5.1.el8_9.x86_64", DKMS_STATUS_INSTALLED_WEAK, true},
	/* a state word this parser does not know is kept, not rejected */
	{"r8125/9.014.01, 6.11.11-2-pve, aarch64: uninstalled", "r8125", "9.014.01",
	 "6.11.11-2-pve", "aarch64", "uninstalled", "", DKMS_STATUS_OTHER, false},
	/* versions with '~' and '+' (Debian) */
	{"v4l2loopback/0.12.7+git~1, 6.1.0-18-amd64, x86_64: built", "v4l2loopback", "0.12.7+git~1",
	 "6.1.0-18-amd64", "x86_64", "built", "", DKMS_STATUS_BUILT, false},
};

static void
check_expect(const struct expect *e, const struct dkms_status_line *l)
{
	assert_string_equal(l->module, e->module);
	assert_string_equal(l->version, e->version);
	assert_string_equal(l->kernel, e->kernel);
	assert_string_equal(l->arch, e->arch);
	assert_string_equal(l->state, e->state);
	assert_string_equal(l->note, e->note);
	assert_int_equal(l->kind, e->kind);
	assert_int_equal(l->comma_form, e->comma_form);
}

static void
test_valid_forms(void **state)
{
	struct dkms_status_line l;

	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		int r = parse(valid[i].line, &l);
		if (r != 0)
			fail_msg("line %zu rejected (%d): %s", i, r, valid[i].line);
		check_expect(&valid[i], &l);
	}
}

static void
test_line_endings(void **state)
{
	struct dkms_status_line l;

	(void)state;
	assert_int_equal(parse("i915-sriov-dkms/2024.12.30: added\n", &l), 0);
	assert_string_equal(l.state, "added");
	assert_int_equal(parse("i915-sriov-dkms/2025.07.22, 6.8.12-9-pve, x86_64: built\r\n", &l),
			 0);
	assert_string_equal(l.arch, "x86_64");
	assert_string_equal(l.state, "built");
	/* trailing blanks after the state or note are not part of the note */
	assert_int_equal(parse("i915-sriov-dkms/2025.07.22, 6.8.12-9-pve, x86_64: built   ", &l),
			 0);
	assert_string_equal(l.note, "");
	/* the length given wins over a NUL-free buffer: only the first line is parsed */
	const char two[] = "m/1.0: added\nm/2.0: added";
	assert_int_equal(dkms_status_parse_line(two, 13, &l), 0);
	assert_string_equal(l.version, "1.0");
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "\n",
	    "no separator at all",
	    "i915-sriov-dkms/2025.07.22:added",
	    ": added",
	    "i915-sriov-dkms/: added",
	    "/2024.12.30: added",
	    "i915-sriov-dkms/2024/12: added",
	    "i915 sriov/1.0: added",
	    "i915-sriov-dkms/1.0, 6.8.12-4-pve: built",
	    "i915-sriov-dkms, 1.0, 6.8.12-4-pve: built",
	    "i915-sriov-dkms/1.0, 6.8.12-4-pve, x86_64, extra: built",
	    "i915-sriov-dkms, 1.0, 6.8.12-4-pve, x86_64, extra: built",
	    "i915-sriov-dkms/1.0, , x86_64: built",
	    "i915-sriov-dkms/1.0, 6.8.12-4-pve, : built",
	    "i915-sriov-dkms/1.0,6.8.12-4-pve,x86_64: built",
	    "i915-sriov-dkms/1.0: installed",
	    "i915-sriov-dkms/1.0: built",
	    "i915-sriov-dkms, 1.0: installed-weak from 4.18",
	    "i915-sriov-dkms/1.0, 6.8.12-4-pve, x86_64: added",
	    "i915-sriov-dkms/1.0, 6.8.12-4-pve, x86_64: broken",
	    "i915-sriov-dkms/1.0: ADDED",
	    "i915-sriov-dkms/1.0: ",
	    "i915-sriov-dkms/1.0:  added",
	    "i915-sriov-dkms/1.0: add3d",
	    "i915-sriov-dkms/1.0: added\tnote",
	    "i915-sriov-dkms/1.0\t: added",
	    "i915-sriov-dkms/1.0: added\x7f",
	    "i915-sriov-dkms/1.0, 6.8.12-4-pve, x86_64: built\nsecond line",
	    "i915-sriov-dkms/\"1.0\": added",
	    "i915-sriov-dkms/1.0, 6.8.12-4-pve, x86/64: built",
	    /* what dkms writes to stderr, should it end up in the same stream */
	    ("Error! i915-sriov-dkms/2024.12.30: Missing the module source directory or the "
	     "symbolic link pointing to it."),
	    "Error! Could not locate dkms.conf file.",
	    "Deprecated feature: REMAKE_INITRD (/usr/src/r8125-9.013.02/dkms.conf)",
	    /* a note with ": " in it makes the left side invalid; it is rejected, not misread */
	    "i915-sriov-dkms/1.0, 6.8.12-4-pve, x86_64: installed (WARNING: odd note)",
	};
	struct dkms_status_line l;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&l, 0x5a, sizeof(l));
		int r = parse(bad[i], &l);
		if (r != -EINVAL)
			fail_msg("line %zu gave %d, not -EINVAL: %s", i, r, bad[i]);
		/* nothing written on failure */
		for (size_t j = 0; j < sizeof(l); j++)
			assert_int_equal(((const unsigned char *)&l)[j], 0x5a);
	}
}

static void
test_embedded_nul(void **state)
{
	static const char line[] = "i915-sriov-dkms/1.0: ad\0ded";
	struct dkms_status_line l;

	(void)state;
	assert_int_equal(dkms_status_parse_line(line, sizeof(line) - 1, &l), -EINVAL);
	static const char name[] = "i915\0sriov/1.0: added";
	assert_int_equal(dkms_status_parse_line(name, sizeof(name) - 1, &l), -EINVAL);
}

/* Builds "<prefix><n x ch><suffix>" in buf (caller-sized). */
static const char *
fill(char *buf, size_t size, const char *prefix, char ch, size_t n, const char *suffix)
{
	size_t p = strlen(prefix), s = strlen(suffix);

	assert_true(p + n + s < size);
	memcpy(buf, prefix, p);
	memset(buf + p, ch, n);
	memcpy(buf + p + n, suffix, s + 1);
	return buf;
}

static void
test_limits(void **state)
{
	char buf[4 * DKMS_STATUS_LINE_MAX];
	struct dkms_status_line l;

	(void)state;
	/* a 255-byte name fits, 256 does not */
	assert_int_equal(parse(fill(buf, sizeof(buf), "", 'm', 255, "/1.0: added"), &l), 0);
	assert_int_equal(strlen(l.module), 255);
	assert_int_equal(parse(fill(buf, sizeof(buf), "", 'm', 256, "/1.0: added"), &l), -EFBIG);
	assert_int_equal(parse(fill(buf, sizeof(buf), "m/", '1', 256, ": added"), &l), -EFBIG);
	assert_int_equal(parse(fill(buf, sizeof(buf), "m/1, ", '6', 256, ", x86_64: built"), &l),
			 -EFBIG);
	assert_int_equal(parse(fill(buf, sizeof(buf), "m/1, 6.8, ", 'x', 256, ": built"), &l),
			 -EFBIG);
	/* state words are short */
	assert_int_equal(parse(fill(buf, sizeof(buf), "m/1: ", 'a', 31, ""), &l), 0);
	assert_int_equal(parse(fill(buf, sizeof(buf), "m/1: ", 'a', 32, ""), &l), -EFBIG);
	/* a note up to its buffer, then one byte more */
	assert_int_equal(parse(fill(buf, sizeof(buf), "m/1, 6.8, x86_64: built ", 'n',
				    DKMS_STATUS_NOTE_SIZE - 1, ""),
			       &l),
			 0);
	assert_int_equal(strlen(l.note), DKMS_STATUS_NOTE_SIZE - 1);
	assert_int_equal(parse(fill(buf, sizeof(buf), "m/1, 6.8, x86_64: built ", 'n',
				    DKMS_STATUS_NOTE_SIZE, ""),
			       &l),
			 -EFBIG);
	/* the whole line */
	assert_int_equal(parse(fill(buf, sizeof(buf), "m/1, 6.8, x86_64: built ", 'n',
				    2 * DKMS_STATUS_LINE_MAX, ""),
			       &l),
			 -EFBIG);
}

static void
test_state_names(void **state)
{
	(void)state;
	assert_string_equal(dkms_status_state_name(DKMS_STATUS_ADDED), "added");
	assert_string_equal(dkms_status_state_name(DKMS_STATUS_BROKEN), "broken");
	assert_string_equal(dkms_status_state_name(DKMS_STATUS_BUILT), "built");
	assert_string_equal(dkms_status_state_name(DKMS_STATUS_INSTALLED), "installed");
	assert_string_equal(dkms_status_state_name(DKMS_STATUS_INSTALLED_WEAK), "installed-weak");
	assert_string_equal(dkms_status_state_name(DKMS_STATUS_OTHER), "other");
	assert_string_equal(dkms_status_state_name((enum dkms_status_state)99), "other");
}

/* Every prefix of every valid line, exactly sized on the heap so ASan sees any over-read. */
static void
test_prefixes(void **state)
{
	struct dkms_status_line l;

	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		size_t n = strlen(valid[i].line);
		for (size_t k = 0; k <= n; k++) {
			char *p = malloc(k > 0 ? k : 1);
			assert_non_null(p);
			memcpy(p, valid[i].line, k);
			int r = dkms_status_parse_line(p, k, &l);
			assert_true(r == 0 || r == -EINVAL || r == -EFBIG);
			free(p);
		}
	}
}

/* Seeded random byte flips, inserts of separators and truncations of the valid lines. */
static void
test_mutations(void **state)
{
	static const char seps[] = ":, /\n\r\0(";
	struct dkms_status_line l;
	uint32_t x = 2463534242u;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		const char *src = valid[(size_t)round % (sizeof(valid) / sizeof(valid[0]))].line;
		size_t n = strlen(src);
		char *p = malloc(n);
		assert_non_null(p);
		memcpy(p, src, n);
		for (int k = 0; k < 3; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			size_t pos = x % n;
			p[pos] = (x >> 8) % 2 != 0 ? seps[(x >> 9) % (sizeof(seps) - 1)]
						   : (char)(x >> 16);
		}
		int r = dkms_status_parse_line(p, n - (x >> 24) % 4, &l);
		assert_true(r == 0 || r == -EINVAL || r == -EFBIG);
		if (r == 0) {
			assert_true(strlen(l.module) > 0 && strlen(l.version) > 0);
			assert_true(strlen(l.state) > 0);
		}
		free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_forms), cmocka_unit_test(test_line_endings),
	    cmocka_unit_test(test_malformed),   cmocka_unit_test(test_embedded_nul),
	    cmocka_unit_test(test_limits),      cmocka_unit_test(test_state_names),
	    cmocka_unit_test(test_prefixes),    cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
