/* Unit tests for watchdog_state.c: the state file round trip, and every way a file can be torn,
 * garbled, edited or out of range, each of which must be refused whole (-EBADMSG) with the
 * caller's entries untouched; saving is atomic: a failed save leaves the old file as it was. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "watchdog_state.h"

#define NAME WD_STATE_FILE
#define TMPNAME "." WD_STATE_FILE ".tmp"
#define SLOTS 8

/* A fresh temporary directory per test. Local helpers rather than testlib.h: these tests need
 * only a directory, and a dirfd-relative writer that can also write NUL bytes. */
static char *root;
static int dfd = -1;

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if (asprintf(&root, "%s/test_watchdog_state.XXXXXX", tmp) < 0)
		return -1;
	if (mkdtemp(root) == NULL)
		return -1;
	/* O_PATH, as main() opens its roots: load and save must cope with it. */
	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return dfd < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	(void)chmod(root, 0700);
	(void)close(dfd);
	dfd = -1;
	int r = nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
	root = NULL;
	return r;
}

/* Writes len bytes as name below the test directory, replacing what was there. */
static void
put_bytes(const char *name, const char *data, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* The file's content, NUL-terminated; caller frees. */
static char *
get(const char *name, size_t *ret_len)
{
	struct stat st;

	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	size_t len = (size_t)st.st_size;
	char *text = malloc(len + 1);
	assert_non_null(text);
	assert_int_equal(read(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	text[len] = '\0';
	*ret_len = len;
	return text;
}

static bool
exists(const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* body followed by the end line with the given count and a correct checksum: a file whose only
 * faults are those written into body. */
static void
put_signed(const char *body, unsigned count)
{
	char *text = NULL;
	uLong crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)body, (uInt)strlen(body));

	assert_true(asprintf(&text, "%send %u %08lx\n", body, count, crc) > 0);
	put_bytes(NAME, text, strlen(text));
	free(text);
}

#define HEADER "gpu-sriov-exporter watchdog state 1\n"
#define PF_A                                                                                       \
	"pf 0000:00:02.0 window_start=1 attempts=2 next_attempt=3 backoff=4 successes=5 "          \
	"failures=6 skipped=7 last_repair=8 last_result=-5\n"
#define PF_B                                                                                       \
	"pf 0000:03:00.0 window_start=0 attempts=0 next_attempt=0 backoff=0 successes=0 "          \
	"failures=0 skipped=0 last_repair=0 last_result=0\n"

static void
sentinel(struct wd_state_entry *e, size_t n)
{
	memset(e, 0x5a, n * sizeof(*e));
}

static void
assert_untouched(const struct wd_state_entry *e, size_t n)
{
	for (size_t i = 0; i < n * sizeof(*e); i++) {
		if (((const unsigned char *)e)[i] != 0x5a)
			fail_msg("entries written at byte %zu", i);
	}
}

/* The file must be refused whole with the caller's array untouched. A macro around a function
 * so that a failure names the case's line. */
static void
load_bad(int line)
{
	struct wd_state_entry e[SLOTS];

	sentinel(e, SLOTS);
	int r = wd_state_load(dfd, NAME, e, SLOTS);
	if (r != -EBADMSG)
		fail_msg("case %d: got %d, want -EBADMSG", line, r);
	assert_untouched(e, SLOTS);
}

#define assert_load_bad() load_bad(__LINE__)

#define assert_signed_bad(body)                                                                    \
	do {                                                                                       \
		put_signed(HEADER body, 1);                                                        \
		assert_load_bad();                                                                 \
	} while (0)

/* The load side of the same file must work, so a refusal is down to the fault alone. */
static void
test_signed_helper_valid(void **state)
{
	struct wd_state_entry e[SLOTS];

	(void)state;
	put_signed(HEADER PF_A PF_B, 2);
	assert_int_equal(wd_state_load(dfd, NAME, e, SLOTS), 2);
	assert_string_equal(e[0].bdf, "0000:00:02.0");
	assert_int_equal(e[0].h.window_start, 1);
	assert_int_equal(e[0].h.attempts, 2);
	assert_int_equal(e[0].h.next_attempt, 3);
	assert_int_equal(e[0].h.backoff, 4);
	assert_int_equal(e[0].h.successes, 5);
	assert_int_equal(e[0].h.failures, 6);
	assert_int_equal(e[0].h.skipped, 7);
	assert_int_equal(e[0].h.last_repair, 8);
	assert_int_equal(e[0].h.last_result, -5);
	assert_string_equal(e[1].bdf, "0000:03:00.0");
}

static void
sample(struct wd_state_entry *e)
{
	memset(e, 0, 3 * sizeof(*e));
	memcpy(e[0].bdf, "0000:00:02.0", PARSE_BDF_SIZE);
	e[0].h = (struct wd_history){
		.window_start = INT64_C(1700000000000000000),
		.attempts = 3,
		.next_attempt = INT64_C(1700000064000000000),
		.backoff = INT64_C(64000000000),
		.successes = 12,
		.failures = 34,
		.skipped = 56,
		.last_repair = INT64_C(1700000000000000000),
		.last_result = -16, /* -EBUSY */
	};
	/* All zero: a PF that never needed anything. */
	memcpy(e[1].bdf, "0000:03:00.0", PARSE_BDF_SIZE);
	/* Every field at its limit. */
	memcpy(e[2].bdf, "abcd:ef:1f.7", PARSE_BDF_SIZE);
	e[2].h = (struct wd_history){
		.window_start = INT64_MAX,
		.attempts = UINT32_MAX,
		.next_attempt = INT64_MAX,
		.backoff = INT64_MAX,
		.successes = UINT64_MAX,
		.failures = UINT64_MAX,
		.skipped = UINT64_MAX,
		.last_repair = INT64_MAX,
		.last_result = INT32_MIN,
	};
}

static void
assert_entries_equal(const struct wd_state_entry *a, const struct wd_state_entry *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(a[i].bdf, b[i].bdf);
		assert_true(a[i].h.window_start == b[i].h.window_start);
		assert_true(a[i].h.attempts == b[i].h.attempts);
		assert_true(a[i].h.next_attempt == b[i].h.next_attempt);
		assert_true(a[i].h.backoff == b[i].h.backoff);
		assert_true(a[i].h.successes == b[i].h.successes);
		assert_true(a[i].h.failures == b[i].h.failures);
		assert_true(a[i].h.skipped == b[i].h.skipped);
		assert_true(a[i].h.last_repair == b[i].h.last_repair);
		assert_true(a[i].h.last_result == b[i].h.last_result);
	}
}

static void
test_round_trip(void **state)
{
	struct wd_state_entry in[3];
	struct wd_state_entry out[SLOTS];
	struct stat st;
	size_t len;

	(void)state;
	sample(in);
	assert_int_equal(wd_state_save(dfd, NAME, in, 3), 0);
	sentinel(out, SLOTS);
	assert_int_equal(wd_state_load(dfd, NAME, out, SLOTS), 3);
	assert_entries_equal(in, out, 3);
	/* Only what was loaded is written. */
	assert_untouched(out + 3, SLOTS - 3);
	/* Exactly the documented format. */
	char *text = get(NAME, &len);
	const char *want = HEADER "pf 0000:00:02.0 window_start=1700000000000000000 attempts=3 "
				  "next_attempt=1700000064000000000 backoff=64000000000 successes=12 "
				  "failures=34 skipped=56 last_repair=1700000000000000000 "
				  "last_result=-16\n";
	assert_memory_equal(text, want, strlen(want));
	assert_non_null(strstr(text, "\npf abcd:ef:1f.7 window_start=9223372036854775807 "
				     "attempts=4294967295 next_attempt=9223372036854775807 "
				     "backoff=9223372036854775807 successes=18446744073709551615 "
				     "failures=18446744073709551615 skipped=18446744073709551615 "
				     "last_repair=9223372036854775807 last_result=-2147483648\nend 3 "));
	free(text);
	/* Private to its owner, and no temporary file left behind. */
	assert_int_equal(fstatat(dfd, NAME, &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_false(exists(TMPNAME));
	/* Saving again replaces the file. */
	in[1].h.skipped = 99;
	assert_int_equal(wd_state_save(dfd, NAME, in, 2), 0);
	assert_int_equal(wd_state_load(dfd, NAME, out, SLOTS), 2);
	assert_entries_equal(in, out, 2);
}

static void
test_round_trip_empty(void **state)
{
	struct wd_state_entry e[SLOTS];
	size_t len;

	(void)state;
	assert_int_equal(wd_state_save(dfd, NAME, NULL, 0), 0);
	char *text = get(NAME, &len);
	/* crc32("gpu-sriov-exporter watchdog state 1\n"), worked out independently by zlib. */
	char want[128];
	uLong crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)HEADER, strlen(HEADER));
	(void)snprintf(want, sizeof(want), HEADER "end 0 %08lx\n", crc);
	assert_string_equal(text, want);
	free(text);
	sentinel(e, SLOTS);
	assert_int_equal(wd_state_load(dfd, NAME, e, 0), 0);
	assert_int_equal(wd_state_load(dfd, NAME, e, SLOTS), 0);
	assert_untouched(e, SLOTS);
}

static void
test_missing_file(void **state)
{
	struct wd_state_entry e[SLOTS];

	(void)state;
	sentinel(e, SLOTS);
	assert_int_equal(wd_state_load(dfd, NAME, e, SLOTS), 0);
	assert_untouched(e, SLOTS);
}

static void
test_truncated_everywhere(void **state)
{
	struct wd_state_entry in[3];
	size_t len;

	(void)state;
	sample(in);
	assert_int_equal(wd_state_save(dfd, NAME, in, 3), 0);
	char *text = get(NAME, &len);
	for (size_t cut = 0; cut < len; cut++) {
		put_bytes(NAME, text, cut);
		load_bad((int)cut);
	}
	put_bytes(NAME, text, len);
	struct wd_state_entry e[SLOTS];
	assert_int_equal(wd_state_load(dfd, NAME, e, SLOTS), 3);
	free(text);
}

/* Every digit of a valid file changed, one at a time: the checksum (or the end line) catches it. */
static void
test_flipped_digit(void **state)
{
	struct wd_state_entry in[3];
	size_t len;
	size_t flips = 0;

	(void)state;
	sample(in);
	assert_int_equal(wd_state_save(dfd, NAME, in, 3), 0);
	char *text = get(NAME, &len);
	for (size_t i = 0; i < len; i++) {
		char was = text[i];
		if (was < '0' || was > '9')
			continue;
		text[i] = was == '9' ? '0' : (char)(was + 1);
		put_bytes(NAME, text, len);
		load_bad((int)i);
		text[i] = was;
		flips++;
	}
	assert_true(flips > 100);
	/* A flipped letter in a key too. */
	char *k = strstr(text, "skipped");
	assert_non_null(k);
	k[0] = 'S';
	put_bytes(NAME, text, len);
	assert_load_bad();
	free(text);
}

static void
test_wrong_header(void **state)
{
	(void)state;
	put_signed("gpu-sriov-exporter watchdog state 2\n" PF_A, 1);
	assert_load_bad();
	put_signed("gpu-sriov-exporter watchdog state 1 \n" PF_A, 1);
	assert_load_bad();
	put_signed("gpu-sriov-exporter watchdog state\n" PF_A, 1);
	assert_load_bad();
	put_signed("GPU-SRIOV-EXPORTER WATCHDOG STATE 1\n" PF_A, 1);
	assert_load_bad();
	put_signed("\n" HEADER PF_A, 1);
	assert_load_bad();
	/* No header at all. */
	put_signed(PF_A, 1);
	assert_load_bad();
	put_signed("", 0);
	assert_load_bad();
}

static void
test_garbage(void **state)
{
	char junk[4096];
	uint32_t x = 12345;

	(void)state;
	/* Deterministic noise, NUL bytes included. */
	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (char)(x >> 16);
	}
	put_bytes(NAME, junk, sizeof(junk));
	assert_load_bad();
	put_bytes(NAME, "\0", 1);
	assert_load_bad();
	put_bytes(NAME, "\n", 1);
	assert_load_bad();
	put_bytes(NAME, "hello world\n", 12);
	assert_load_bad();
	put_bytes(NAME, "end 0 00000000\n", 15);
	assert_load_bad();
	/* A NUL inside an otherwise valid, correctly signed file. */
	char *text = NULL;
	const char body[] = HEADER "pf 0000:00:02.0\0 window_start=1\n";
	uLong crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)body, sizeof(body) - 1);
	int n = asprintf(&text, "%08lx", crc);
	assert_true(n == 8);
	char file[256];
	memcpy(file, body, sizeof(body) - 1);
	size_t len = sizeof(body) - 1;
	memcpy(file + len, "end 1 ", 6);
	len += 6;
	memcpy(file + len, text, 8);
	len += 8;
	file[len++] = '\n';
	put_bytes(NAME, file, len);
	assert_load_bad();
	free(text);
	/* CRLF line ends. */
	put_signed("gpu-sriov-exporter watchdog state 1\r\n", 0);
	assert_load_bad();
}

static void
test_unknown_field(void **state)
{
	(void)state;
	assert_signed_bad("pf 0000:00:02.0 window_start=1 attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5 color=red\n");
	assert_signed_bad("pf 0000:00:02.0 window_start=1 attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 ignored=7 last_repair=8 last_result=-5\n");
	assert_signed_bad("pf 0000:00:02.0 window_start=1 attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5 x\n");
	assert_signed_bad("vf 0000:00:02.0 window_start=1 attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5\n");
	assert_signed_bad("comment\n");
	assert_signed_bad("\n");
}

static void
test_missing_field(void **state)
{
	(void)state;
	assert_signed_bad("pf 0000:00:02.0 window_start=1 attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 last_repair=8 last_result=-5\n");
	assert_signed_bad("pf 0000:00:02.0 window_start=1 attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8\n");
	assert_signed_bad("pf window_start=1 attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5\n");
	assert_signed_bad("pf\n");
	/* Out of order is as bad as missing. */
	assert_signed_bad("pf 0000:00:02.0 attempts=2 window_start=1 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5\n");
	/* A field given twice. */
	assert_signed_bad("pf 0000:00:02.0 window_start=1 window_start=1 attempts=2 next_attempt=3 "
			  "backoff=4 successes=5 failures=6 skipped=7 last_repair=8 "
			  "last_result=-5\n");
	/* Empty values, and no value at all. */
	assert_signed_bad("pf 0000:00:02.0 window_start= attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5\n");
	assert_signed_bad("pf 0000:00:02.0 window_start attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5\n");
}

static void
test_whitespace(void **state)
{
	(void)state;
	assert_signed_bad("pf 0000:00:02.0  window_start=1 attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5\n");
	assert_signed_bad("pf 0000:00:02.0 window_start=1 attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5 \n");
	assert_signed_bad(" pf 0000:00:02.0 window_start=1 attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5\n");
	assert_signed_bad("pf\t0000:00:02.0 window_start=1 attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5\n");
	assert_signed_bad("pf 0000:00:02.0 window_start=1 attempts= 2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5\n");
	assert_signed_bad("pf 0000:00:02.0 window_start=1 attempts=2 next_attempt=3 backoff=4 "
			  "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5\r\n");
}

static void
test_duplicate_pf(void **state)
{
	(void)state;
	put_signed(HEADER PF_A PF_B PF_A, 3);
	assert_load_bad();
	/* The same PF with other values is still a duplicate. */
	put_signed(HEADER PF_B
		   "pf 0000:03:00.0 window_start=1 attempts=2 next_attempt=3 backoff=4 "
		   "successes=5 failures=6 skipped=7 last_repair=8 last_result=-5\n",
		   2);
	assert_load_bad();
}

#define PF_WITH_BDF(bdf)                                                                           \
	"pf " bdf " window_start=1 attempts=2 next_attempt=3 backoff=4 successes=5 failures=6 "    \
	"skipped=7 last_repair=8 last_result=-5\n"

static void
test_bad_bdf(void **state)
{
	(void)state;
	assert_signed_bad(PF_WITH_BDF("0000:00:02.8"));
	assert_signed_bad(PF_WITH_BDF("0000:00:20.0"));
	assert_signed_bad(PF_WITH_BDF("0000:00:02"));
	assert_signed_bad(PF_WITH_BDF("garbage"));
	assert_signed_bad(PF_WITH_BDF("0000:00:02.0.1"));
	assert_signed_bad(PF_WITH_BDF("../../../etc"));
	/* Forms parse_bdf() accepts but save never writes: not canonical, not ours. */
	assert_signed_bad(PF_WITH_BDF("00:02.0"));
	assert_signed_bad(PF_WITH_BDF("0000:0A:00.0"));
	/* The canonical form of the same is fine. */
	put_signed(HEADER PF_WITH_BDF("0000:0a:00.0"), 1);
	struct wd_state_entry e[SLOTS];
	assert_int_equal(wd_state_load(dfd, NAME, e, SLOTS), 1);
	assert_string_equal(e[0].bdf, "0000:0a:00.0");
}

#define PF_FIELDS(ws, at, na, bo, su, fa, sk, lr, res)                                             \
	"pf 0000:00:02.0 window_start=" ws " attempts=" at " next_attempt=" na " backoff=" bo      \
	" successes=" su " failures=" fa " skipped=" sk " last_repair=" lr " last_result=" res "\n"

static void
test_out_of_range(void **state)
{
	struct wd_state_entry e[SLOTS];

	(void)state;
	/* The limits themselves load. */
	put_signed(HEADER PF_FIELDS("9223372036854775807", "4294967295", "9223372036854775807",
				    "9223372036854775807", "18446744073709551615",
				    "18446744073709551615", "18446744073709551615",
				    "9223372036854775807", "2147483647"),
		   1);
	assert_int_equal(wd_state_load(dfd, NAME, e, SLOTS), 1);
	assert_int_equal(e[0].h.last_result, INT32_MAX);
	/* One past each. */
	assert_signed_bad(PF_FIELDS("9223372036854775808", "1", "1", "1", "1", "1", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "4294967296", "1", "1", "1", "1", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "1", "9223372036854775808", "1", "1", "1", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "1", "1", "9223372036854775808", "1", "1", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "1", "1", "1", "18446744073709551616", "1", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "1", "1", "1", "1", "18446744073709551616", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "1", "1", "1", "1", "1", "18446744073709551616", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "1", "1", "1", "1", "1", "1", "9223372036854775808", "0"));
	assert_signed_bad(PF_FIELDS("1", "1", "1", "1", "1", "1", "1", "1", "2147483648"));
	assert_signed_bad(PF_FIELDS("1", "1", "1", "1", "1", "1", "1", "1", "-2147483649"));
	/* Times and the backoff are never negative. */
	assert_signed_bad(PF_FIELDS("-1", "1", "1", "1", "1", "1", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "1", "-1", "1", "1", "1", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "1", "1", "-1", "1", "1", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "1", "1", "1", "1", "1", "1", "-1", "0"));
	/* Signs on unsigned values, other bases, junk. */
	assert_signed_bad(PF_FIELDS("1", "-1", "1", "1", "1", "1", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "+1", "1", "1", "1", "1", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "0x10", "1", "1", "1", "1", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "1", "1", "1", "1e3", "1", "1", "1", "0"));
	assert_signed_bad(PF_FIELDS("1", "1", "1", "1", "1", "1", "1", "1", "-"));
	/* Longer than any valid token. */
	assert_signed_bad(PF_FIELDS("1", "1", "1", "1", "1", "1", "1", "1",
				    "0000000000000000000000000000000000000000000000000000000000"));
}

static void
test_end_line(void **state)
{
	char body[512];

	(void)state;
	/* Wrong count, both ways. */
	put_signed(HEADER PF_A PF_B, 1);
	assert_load_bad();
	put_signed(HEADER PF_A PF_B, 3);
	assert_load_bad();
	put_signed(HEADER PF_A PF_B, 257);
	assert_load_bad();
	/* No end line: the last pf line is taken for one and fails. */
	(void)snprintf(body, sizeof(body), "%s", HEADER PF_A PF_B);
	put_bytes(NAME, body, strlen(body));
	assert_load_bad();
	/* Something after the end line. */
	put_signed(HEADER PF_A, 1);
	size_t len;
	char *text = get(NAME, &len);
	assert_true(len + 3 < sizeof(body));
	memcpy(body, text, len);
	memcpy(body + len, "x\n", 2);
	put_bytes(NAME, body, len + 2);
	assert_load_bad();
	/* The checksum in capitals, short, with 0x, or followed by more. */
	char *crc = strrchr(text, ' ') + 1;
	for (char *p = crc; *p != '\n'; p++) {
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	}
	if (strpbrk(crc, "ABCDEF") != NULL) {
		put_bytes(NAME, text, len);
		assert_load_bad();
	}
	free(text);
	put_bytes(NAME, HEADER "end 0 1234567\n", strlen(HEADER "end 0 1234567\n"));
	assert_load_bad();
	put_bytes(NAME, HEADER "end 0 0x1234567\n", strlen(HEADER "end 0 0x1234567\n"));
	assert_load_bad();
	put_bytes(NAME, HEADER "end 0\n", strlen(HEADER "end 0\n"));
	assert_load_bad();
	put_bytes(NAME, HEADER "end\n", strlen(HEADER "end\n"));
	assert_load_bad();
	char *two = NULL;
	uLong c = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)HEADER, strlen(HEADER));
	assert_true(asprintf(&two, HEADER "end 0 %08lx 0\n", c) > 0);
	put_bytes(NAME, two, strlen(two));
	assert_load_bad();
	free(two);
	/* The count with a sign. */
	assert_true(asprintf(&two, HEADER "end +0 %08lx\n", c) > 0);
	put_bytes(NAME, two, strlen(two));
	assert_load_bad();
	free(two);
}

static void
test_more_than_max(void **state)
{
	struct wd_state_entry in[3];
	struct wd_state_entry e[SLOTS];

	(void)state;
	sample(in);
	assert_int_equal(wd_state_save(dfd, NAME, in, 3), 0);
	sentinel(e, SLOTS);
	assert_int_equal(wd_state_load(dfd, NAME, e, 2), -EBADMSG);
	assert_untouched(e, SLOTS);
	assert_int_equal(wd_state_load(dfd, NAME, e, 0), -EBADMSG);
	assert_untouched(e, SLOTS);
	assert_int_equal(wd_state_load(dfd, NAME, e, 3), 3);
	assert_untouched(e + 3, SLOTS - 3);
}

/* Bounded by WD_STATE_MAX_ENTRIES whatever the caller's array holds. */
static void
test_entry_limit(void **state)
{
	size_t cap = WD_STATE_MAX_ENTRIES + 1;
	struct wd_state_entry *e = calloc(cap, sizeof(*e));
	struct wd_state_entry *out = calloc(cap + 1, sizeof(*out));

	(void)state;
	assert_non_null(e);
	assert_non_null(out);
	for (size_t i = 0; i < cap; i++) {
		(void)snprintf(e[i].bdf, sizeof(e[i].bdf), "0000:%02zx:%02zx.0", i / 32,
			       i % 32);
		e[i].h.attempts = (uint32_t)i;
	}
	assert_int_equal(wd_state_save(dfd, NAME, e, cap), -E2BIG);
	assert_false(exists(NAME));
	assert_false(exists(TMPNAME));
	assert_int_equal(wd_state_save(dfd, NAME, e, cap - 1), 0);
	assert_int_equal(wd_state_load(dfd, NAME, out, cap + 1), WD_STATE_MAX_ENTRIES);
	assert_entries_equal(e, out, cap - 1);

	/* 257 lines signed correctly by someone else: refused. */
	char *body = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);
	assert_non_null(f);
	(void)fputs(HEADER, f);
	for (size_t i = 0; i < cap; i++)
		(void)fprintf(f,
			      "pf %s window_start=0 attempts=0 next_attempt=0 backoff=0 "
			      "successes=0 failures=0 skipped=0 last_repair=0 last_result=0\n",
			      e[i].bdf);
	assert_int_equal(fclose(f), 0);
	put_signed(body, (unsigned)cap);
	sentinel(out, cap + 1);
	assert_int_equal(wd_state_load(dfd, NAME, out, cap + 1), -EBADMSG);
	assert_untouched(out, cap + 1);
	free(body);
	free(out);
	free(e);
}

static void
test_directory_instead(void **state)
{
	(void)state;
	assert_int_equal(mkdirat(dfd, NAME, 0700), 0);
	assert_load_bad();
	/* A save cannot rename a file over a directory: it fails and cleans up. */
	struct wd_state_entry in[3];
	sample(in);
	put_bytes(NAME "/keep", "x", 1);
	int r = wd_state_save(dfd, NAME, in, 3);
	assert_true(r == -EISDIR || r == -ENOTEMPTY || r == -EEXIST);
	assert_false(exists(TMPNAME));
}

static void
test_oversize(void **state)
{
	(void)state;
	/* A valid file followed by padding: refused on its size before anything else. */
	char *big = malloc(WD_STATE_MAX_SIZE + 2);
	assert_non_null(big);
	memset(big, '#', WD_STATE_MAX_SIZE + 1);
	memcpy(big, HEADER, strlen(HEADER));
	big[WD_STATE_MAX_SIZE] = '\n';
	put_bytes(NAME, big, WD_STATE_MAX_SIZE + 1);
	assert_load_bad();
	put_bytes(NAME, big, WD_STATE_MAX_SIZE);
	assert_load_bad();
	free(big);
	assert_int_equal(unlinkat(dfd, NAME, 0), 0);

	/* A save that would exceed the limit is refused rather than written unreadable. */
	struct wd_state_entry *e = calloc(WD_STATE_MAX_ENTRIES, sizeof(*e));
	assert_non_null(e);
	for (size_t i = 0; i < WD_STATE_MAX_ENTRIES; i++) {
		(void)snprintf(e[i].bdf, sizeof(e[i].bdf), "0000:%02zx:00.0", i);
		e[i].h = (struct wd_history){INT64_MAX, UINT32_MAX, INT64_MAX, INT64_MAX, UINT64_MAX,
					     UINT64_MAX, UINT64_MAX, INT64_MAX, INT32_MIN};
	}
	assert_int_equal(wd_state_save(dfd, NAME, e, WD_STATE_MAX_ENTRIES), -EFBIG);
	assert_false(exists(NAME));
	assert_false(exists(TMPNAME));
	free(e);
}

/* Saves in, then checks that a failing save of other values left it in place. */
static void
assert_old_kept(const struct wd_state_entry *in)
{
	struct wd_state_entry out[SLOTS];

	assert_int_equal(wd_state_load(dfd, NAME, out, SLOTS), 3);
	assert_entries_equal(in, out, 3);
}

static void
test_save_tmp_name_taken(void **state)
{
	struct wd_state_entry in[3];
	struct wd_state_entry other[3];

	(void)state;
	sample(in);
	sample(other);
	other[0].h.attempts = 1;
	assert_int_equal(wd_state_save(dfd, NAME, in, 3), 0);
	/* A directory under the temporary name: never removed, and the save fails. */
	assert_int_equal(mkdirat(dfd, TMPNAME, 0700), 0);
	assert_int_equal(wd_state_save(dfd, NAME, other, 3), -EEXIST);
	assert_old_kept(in);
	assert_int_equal(unlinkat(dfd, TMPNAME, AT_REMOVEDIR), 0);
	/* A stale regular temporary file from a crash is removed and the save goes through. */
	put_bytes(TMPNAME, "torn", 4);
	assert_int_equal(wd_state_save(dfd, NAME, other, 3), 0);
	assert_false(exists(TMPNAME));
	struct wd_state_entry out[SLOTS];
	assert_int_equal(wd_state_load(dfd, NAME, out, SLOTS), 3);
	assert_entries_equal(other, out, 3);
	/* A symlink there is removed, not followed. */
	assert_int_equal(symlinkat("victim", dfd, TMPNAME), 0);
	assert_int_equal(wd_state_save(dfd, NAME, in, 3), 0);
	assert_false(exists("victim"));
	assert_false(exists(TMPNAME));
	assert_old_kept(in);
}

/* Runs a save of e in a child without root's override of permissions (uid/gid 65534) and returns
 * its result; cmocka asserts must not run in the child. */
static int
save_as_nobody(const struct wd_state_entry *e, size_t n)
{
	int status;

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(100);
		int r = wd_state_save(dfd, NAME, e, n);
		_exit(r < 0 && r > -100 ? -r : r == 0 ? 0 : 101);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 100);
	return -WEXITSTATUS(status);
}

/* A save of e into the test directory made read-only for the saver; restores the mode. */
static int
save_read_only(const struct wd_state_entry *e)
{
	int r;

	if (geteuid() == 0) {
		/* root writes anyway: a child without root's privileges does the save. */
		assert_int_equal(chmod(root, 0755), 0);
		r = save_as_nobody(e, 3);
	} else {
		assert_int_equal(chmod(root, 0500), 0);
		r = wd_state_save(dfd, NAME, e, 3);
	}
	assert_int_equal(chmod(root, 0700), 0);
	return r;
}

static void
test_save_read_only_dir(void **state)
{
	struct wd_state_entry in[3];
	struct wd_state_entry other[3];

	(void)state;
	sample(in);
	sample(other);
	other[2].h.skipped = 1;
	assert_int_equal(wd_state_save(dfd, NAME, in, 3), 0);
	assert_int_equal(save_read_only(other), -EACCES);
	assert_old_kept(in);
	assert_false(exists(TMPNAME));
	/* A stale temporary file the save cannot remove either: O_EXCL refuses it. */
	put_bytes(TMPNAME, "torn", 4);
	assert_int_equal(save_read_only(other), -EEXIST);
	assert_old_kept(in);
	size_t len;
	char *text = get(TMPNAME, &len);
	assert_string_equal(text, "torn");
	free(text);
}

static void
test_save_invalid(void **state)
{
	struct wd_state_entry e[3];
	char longname[300];

	(void)state;
	sample(e);
	assert_int_equal(wd_state_save(dfd, "", e, 3), -EINVAL);
	assert_int_equal(wd_state_save(dfd, "a/b", e, 3), -EINVAL);
	assert_int_equal(wd_state_save(dfd, ".", e, 3), -EINVAL);
	assert_int_equal(wd_state_save(dfd, "..", e, 3), -EINVAL);
	assert_int_equal(wd_state_save(dfd, NULL, e, 3), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(wd_state_save(dfd, longname, e, 3), -EINVAL);
	assert_int_equal(wd_state_load(dfd, longname, e, 3), -EINVAL);
	assert_int_equal(wd_state_load(dfd, "../x", e, 3), -EINVAL);
	/* Entries load would refuse are not written. */
	memcpy(e[1].bdf, "00:02.0", 8);
	assert_int_equal(wd_state_save(dfd, NAME, e, 3), -EINVAL);
	memcpy(e[1].bdf, "0000:00:02.0", PARSE_BDF_SIZE);
	assert_int_equal(wd_state_save(dfd, NAME, e, 3), -EINVAL);
	sample(e);
	memset(e[1].bdf, 'a', sizeof(e[1].bdf));
	assert_int_equal(wd_state_save(dfd, NAME, e, 3), -EINVAL);
	sample(e);
	e[0].h.next_attempt = -1;
	assert_int_equal(wd_state_save(dfd, NAME, e, 3), -EINVAL);
	sample(e);
	e[0].h.backoff = INT64_MIN;
	assert_int_equal(wd_state_save(dfd, NAME, e, 3), -EINVAL);
	assert_false(exists(NAME));
	assert_false(exists(TMPNAME));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signed_helper_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_digit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whitespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_pf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_bdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_more_than_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_instead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_tmp_name_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_read_only_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_invalid, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
