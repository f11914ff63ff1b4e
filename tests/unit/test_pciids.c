/* Unit tests for the streaming pci.ids lookup (collectors/pciids.c): libpci's line rules, blocks
 * that are not vendors, skipped malformed lines that never misattribute a device, and the same
 * answer however the input is split into pieces. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pciids.h"

static void
parse(const char *line, struct pciids_line *ret)
{
	pciids_parse_line(line, strlen(line), ret);
}

/* Asserts kind and, for entries, id and name. A macro so a failure names the test line. */
#define assert_line(text, want_kind, want_id, want_name)                                           \
	do {                                                                                       \
		struct pciids_line l_;                                                             \
		const char *wn_ = (want_name);                                                     \
		parse((text), &l_);                                                                \
		assert_int_equal(l_.kind, (want_kind));                                            \
		if (wn_ != NULL) {                                                                 \
			assert_int_equal(l_.id, (want_id));                                        \
			assert_int_equal(l_.name_len, strlen(wn_));                                \
			assert_memory_equal(l_.name, wn_, strlen(wn_));                            \
		}                                                                                  \
	} while (0)

static void
test_line_entries(void **state)
{
	(void)state;
	assert_line("8086  Intel Corporation", PCIIDS_VENDOR, 0x8086, "Intel Corporation");
	assert_line("\t46d4  Alder Lake-N [Intel Graphics]", PCIIDS_DEVICE, 0x46d4,
		    "Alder Lake-N [Intel Graphics]");
	/* Upper-case hex, a single separator, a tab as separator. */
	assert_line("ABCD x", PCIIDS_VENDOR, 0xabcd, "x");
	assert_line("\t00Ff\tname", PCIIDS_DEVICE, 0x00ff, "name");
	/* One trailing blank is dropped, as libpci does; a second one stays. */
	assert_line("\t1234  name ", PCIIDS_DEVICE, 0x1234, "name");
	assert_line("\t1234  name\t", PCIIDS_DEVICE, 0x1234, "name");
	assert_line("\t1234  name  ", PCIIDS_DEVICE, 0x1234, "name ");
	/* The line ends at '\r' (and at '\n', should a caller pass one). */
	assert_line("\t1234  name\r\n", PCIIDS_DEVICE, 0x1234, "name");
	assert_line("\t1234  na\rme", PCIIDS_DEVICE, 0x1234, "na");
	assert_line("\t1234  name\nrest", PCIIDS_DEVICE, 0x1234, "name");
}

static void
test_line_other(void **state)
{
	struct pciids_line l;

	(void)state;
	assert_line("", PCIIDS_BLANK, 0, NULL);
	assert_line(" \t ", PCIIDS_BLANK, 0, NULL);
	assert_line("# 8086  comment", PCIIDS_BLANK, 0, NULL);
	assert_line("\t\t# nested comment", PCIIDS_BLANK, 0, NULL);
	assert_line("\r8086  after a CR", PCIIDS_BLANK, 0, NULL);
	assert_line("C 03  Display controller", PCIIDS_BLOCK, 0, NULL);
	assert_line("S 8086", PCIIDS_BLOCK, 0, NULL);
	assert_line("X anything at all", PCIIDS_BLOCK, 0, NULL);
	assert_line("\t\t8086 1234  Subsystem", PCIIDS_NESTED, 0, NULL);
	assert_line("\t\t\tdeeper", PCIIDS_NESTED, 0, NULL);
	parse("\t\t8086 1234  Subsystem", &l);
	assert_int_equal(l.depth, 2);
}

static void
test_line_malformed(void **state)
{
	struct pciids_line l;
	static const char nul_line[] = "\t1234  na\0me";

	(void)state;
	assert_line("8086", PCIIDS_MALFORMED, 0, NULL);
	assert_line("8086 ", PCIIDS_MALFORMED, 0, NULL); /* the blank is trailing: dropped */
	assert_line("8086  \t", PCIIDS_MALFORMED, 0, NULL);
	assert_line("808g  Name", PCIIDS_MALFORMED, 0, NULL);
	assert_line("80866 Name", PCIIDS_MALFORMED, 0, NULL);
	assert_line("808  Name", PCIIDS_MALFORMED, 0, NULL);
	assert_line(" 8086  Leading space", PCIIDS_MALFORMED, 0, NULL);
	assert_line("c 03  lower-case block letter", PCIIDS_MALFORMED, 0, NULL);
	assert_line("C 3  Class", PCIIDS_MALFORMED, 0, NULL);
	assert_line("C 03", PCIIDS_MALFORMED, 0, NULL);
	assert_line("S 8086  Name", PCIIDS_MALFORMED, 0, NULL);
	assert_line("S 80", PCIIDS_MALFORMED, 0, NULL);
	assert_line("\t12  Subclass", PCIIDS_MALFORMED, 0, NULL);
	/* A NUL inside the line is libpci's "Line too long". */
	pciids_parse_line(nul_line, sizeof(nul_line) - 1, &l);
	assert_int_equal(l.kind, PCIIDS_MALFORMED);
	assert_int_equal(l.depth, 1);
	parse("zz", &l);
	assert_int_equal(l.depth, 0);
}

/* Looks vendor:device up in text fed in pieces of step bytes (0: all at once). Returns the name
 * or NULL; the scan state stays in *s for the caller to inspect. */
static const char *
lookup_in(struct pciids_scan *s, const char *text, uint16_t vendor, uint16_t device, size_t step)
{
	size_t len = strlen(text);

	pciids_scan_init(s, vendor, device);
	if (step == 0)
		step = len > 0 ? len : 1;
	for (size_t i = 0; i < len; i += step) {
		size_t n = len - i < step ? len - i : step;
		if (pciids_scan_feed(s, text + i, n))
			break;
	}
	return pciids_scan_end(s) ? s->name : NULL;
}

static const char db_text[] = "# header comment\n"
			      "\n"
			      "1234  First Vendor\n"
			      "\t46d4  Same device ID, other vendor\n"
			      "8086  Intel Corporation\n"
			      "\t0001  One\n"
			      "\t\t8086 0001  A subsystem of One\n"
			      "\t46d4  Alder Lake-N [Intel Graphics]\n"
			      "\t46d4  A duplicate: the first wins\n"
			      "ffff  Last Vendor\n"
			      "\tffff  Last Device\n"
			      "C 03  Display controller\n"
			      "\t00  VGA compatible controller\n"
			      "\t\t00  VGA controller\n"
			      "S 8086\n"
			      "\t46d5  Generic subsystem, not a device\n";

static void
test_scan_finds(void **state)
{
	struct pciids_scan s;

	(void)state;
	assert_string_equal(lookup_in(&s, db_text, 0x8086, 0x46d4, 0),
			    "Alder Lake-N [Intel Graphics]");
	assert_string_equal(lookup_in(&s, db_text, 0x1234, 0x46d4, 0),
			    "Same device ID, other vendor");
	assert_string_equal(lookup_in(&s, db_text, 0x8086, 0x0001, 0), "One");
	assert_string_equal(lookup_in(&s, db_text, 0xffff, 0xffff, 0), "Last Device");
	assert_int_equal(s.malformed, 0);
	/* Not there: a vendor without it, a subsystem ID, a class entry, a generic subsystem. */
	assert_null(lookup_in(&s, db_text, 0x8086, 0x8086, 0));
	assert_null(lookup_in(&s, db_text, 0xffff, 0x0003, 0));
	assert_null(lookup_in(&s, db_text, 0x8086, 0x46d5, 0));
	assert_null(lookup_in(&s, db_text, 0x0003, 0x0000, 0));
	assert_null(lookup_in(&s, db_text, 0x1111, 0x0000, 0));
	/* The whole file was read and found clean. */
	assert_int_equal(s.lineno, 16);
	assert_int_equal(s.malformed, 0);
}

static void
test_scan_any_split(void **state)
{
	struct pciids_scan s;

	(void)state;
	for (size_t step = 1; step <= sizeof(db_text); step++) {
		const char *name = lookup_in(&s, db_text, 0x8086, 0x46d4, step);
		assert_non_null(name);
		assert_string_equal(name, "Alder Lake-N [Intel Graphics]");
		assert_null(lookup_in(&s, db_text, 0x8086, 0x46d5, step));
		assert_int_equal(s.lineno, 16);
	}
}

static void
test_scan_stops_when_found(void **state)
{
	struct pciids_scan s;
	static const char text[] = "8086  Intel\n\t46d4  Found\nnot even looked at\n";

	(void)state;
	pciids_scan_init(&s, 0x8086, 0x46d4);
	assert_true(pciids_scan_feed(&s, text, sizeof(text) - 1));
	assert_int_equal(s.lineno, 2);
	assert_int_equal(s.malformed, 0);
	/* Feeding more after the answer changes nothing. */
	assert_true(pciids_scan_feed(&s, "8086  x\n", 8));
	assert_true(pciids_scan_end(&s));
	assert_string_equal(s.name, "Found");
}

static void
test_scan_last_line_without_newline(void **state)
{
	struct pciids_scan s;

	(void)state;
	assert_string_equal(lookup_in(&s, "8086  Intel\n\t46d4  Last", 0x8086, 0x46d4, 0), "Last");
	assert_string_equal(lookup_in(&s, "8086  Intel\r\n\t46d4  CRLF\r\n", 0x8086, 0x46d4, 3),
			    "CRLF");
	assert_null(lookup_in(&s, "", 0x8086, 0x46d4, 0));
	assert_int_equal(s.lineno, 0);
}

/* A damaged vendor line ends its block: the devices below it belong to nobody we know. */
static void
test_scan_malformed_vendor_ends_block(void **state)
{
	struct pciids_scan s;
	static const char text[] = "8086  Intel\n"
				   "\t0001  One\n"
				   "80g6  Damaged vendor line\n"
				   "\t46d4  Belongs to the damaged vendor\n"
				   "\t46d5  So does this\n"
				   "8086  Intel again\n"
				   "\t46d6  Found after the damage\n";

	(void)state;
	assert_null(lookup_in(&s, text, 0x8086, 0x46d4, 0));
	/* The damaged line and its two devices; the first at line 3. */
	assert_int_equal(s.malformed, 3);
	assert_int_equal(s.first_malformed, 3);
	assert_string_equal(lookup_in(&s, text, 0x8086, 0x46d6, 0), "Found after the damage");
}

static void
test_scan_malformed_device_skipped(void **state)
{
	struct pciids_scan s;
	static const char text[] = "\t46d4  A device before any vendor\n"
				   "8086  Intel\n"
				   "\t46d  Damaged device line\n"
				   "\t46d4  Still found\n"
				   "C 03  Display controller\n"
				   "\t00  Subclasses are no error\n";

	(void)state;
	assert_string_equal(lookup_in(&s, text, 0x8086, 0x46d4, 0), "Still found");
	assert_int_equal(s.malformed, 2);
	assert_int_equal(s.first_malformed, 1);
	assert_null(lookup_in(&s, text, 0x8086, 0x0000, 0));
	assert_int_equal(s.malformed, 2);
}

/* Builds "<prefix><n x fill><suffix>" in a malloc'd string; caller frees. */
static char *
padded(const char *prefix, char fill, size_t n, const char *suffix)
{
	size_t lp = strlen(prefix), ls = strlen(suffix);
	char *s = malloc(lp + n + ls + 1);

	assert_non_null(s);
	memcpy(s, prefix, lp);
	memset(s + lp, fill, n);
	memcpy(s + lp + n, suffix, ls + 1);
	return s;
}

/* libpci takes lines of up to 1022 bytes before the newline; a longer one is skipped, and when it
 * is a top-level line it ends the vendor block like any damaged one. */
static void
test_scan_long_lines(void **state)
{
	struct pciids_scan s;
	char *fits, *too_long, *top;

	(void)state;
	/* "\t46d4  " is 7 bytes: 1015 more make 1022. */
	fits = padded("8086  Intel\n\t46d4  ", 'n', PCIIDS_LINE_MAX - 2 - 7, "\n");
	assert_non_null(lookup_in(&s, fits, 0x8086, 0x46d4, 100));
	assert_int_equal(s.malformed, 0);
	too_long = padded("8086  Intel\n\t46d4  ", 'n', PCIIDS_LINE_MAX - 2 - 6,
			  "\n\t46d4  The next line\n");
	for (size_t step = 0; step < 1100; step += 97) {
		assert_string_equal(lookup_in(&s, too_long, 0x8086, 0x46d4, step), "The next line");
		assert_int_equal(s.malformed, 1);
		assert_int_equal(s.first_malformed, 2);
	}
	top = padded("8086  Intel\n8087  ", 'n', 5000, "\n\t46d4  Orphan\n");
	assert_null(lookup_in(&s, top, 0x8086, 0x46d4, 0));
	assert_int_equal(s.malformed, 2);
	free(fits);
	free(too_long);
	free(top);
}

/* A name that does not fit libpci's 256-byte buffer is cut as libpci cuts it: 252 bytes and
 * "...". One byte shorter fits whole. */
static void
test_scan_long_names(void **state)
{
	struct pciids_scan s;
	char *exact = padded("8086  Intel\n\t46d4  ", 'a', PCIIDS_NAME_SIZE - 1, "\n");
	char *over = padded("8086  Intel\n\t46d4  ", 'b', PCIIDS_NAME_SIZE + 40, "\n");

	(void)state;
	const char *name = lookup_in(&s, exact, 0x8086, 0x46d4, 0);
	assert_non_null(name);
	assert_int_equal(strlen(name), PCIIDS_NAME_SIZE - 1);
	assert_int_equal(name[PCIIDS_NAME_SIZE - 2], 'a');
	name = lookup_in(&s, over, 0x8086, 0x46d4, 0);
	assert_non_null(name);
	assert_int_equal(strlen(name), PCIIDS_NAME_SIZE - 1);
	assert_int_equal(name[PCIIDS_NAME_SIZE - 5], 'b');
	assert_string_equal(name + PCIIDS_NAME_SIZE - 4, "...");
	free(exact);
	free(over);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_entries),
		cmocka_unit_test(test_line_other),
		cmocka_unit_test(test_line_malformed),
		cmocka_unit_test(test_scan_finds),
		cmocka_unit_test(test_scan_any_split),
		cmocka_unit_test(test_scan_stops_when_found),
		cmocka_unit_test(test_scan_last_line_without_newline),
		cmocka_unit_test(test_scan_malformed_vendor_ends_block),
		cmocka_unit_test(test_scan_malformed_device_skipped),
		cmocka_unit_test(test_scan_long_lines),
		cmocka_unit_test(test_scan_long_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
