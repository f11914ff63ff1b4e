/* Unit tests for gzip.c: every body must come back byte for byte through an independent zlib
 * inflate, as one complete gzip member appended after whatever the buffer already held. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define ZLIB_CONST /* next_in is const, so test input needs no cast that drops const */

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "gzip.h"
#include "xalloc.h"

#define GZIP_HEADER_LEN 10
#define GZIP_TRAILER_LEN 8
#define MIB (1024 * 1024)

static const char metrics[] =
	"# HELP gpu_sriov_vfs Number of enabled virtual functions.\n"
	"# TYPE gpu_sriov_vfs gauge\n"
	"gpu_sriov_vfs{pci_address=\"0000:00:02.0\"} 7\n";

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* gz must be exactly one gzip member whose content is want; inflate checks CRC-32 and ISIZE. */
static void
assert_gunzips_to(const unsigned char *gz, size_t gz_len, const char *want, size_t want_len)
{
	z_stream zs = {.zalloc = Z_NULL, .zfree = Z_NULL, .opaque = Z_NULL};
	/* One spare byte: output longer than want must not fit silently. */
	unsigned char *got = xmalloc(want_len + 1);

	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = gz;
	zs.avail_in = (uInt)gz_len;
	zs.next_out = got;
	zs.avail_out = (uInt)(want_len + 1);
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	/* Nothing may follow the member. */
	assert_int_equal(zs.avail_in, 0);
	assert_int_equal(zs.total_out, want_len);
	assert_memory_equal(got, want, want_len);
	assert_int_equal(inflateEnd(&zs), Z_OK);
	free(got);
}

/* Magic, deflate method, no optional fields and no timestamp, so equal bodies compress equally. */
static void
assert_gzip_header(const unsigned char *gz, size_t gz_len)
{
	static const unsigned char want[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};

	assert_true(gz_len >= GZIP_HEADER_LEN + GZIP_TRAILER_LEN);
	assert_memory_equal(gz, want, sizeof(want));
}

/* The trailer holds CRC-32 and length mod 2^32 of the uncompressed data, little-endian. */
static void
assert_gzip_trailer(const unsigned char *gz, size_t gz_len, const char *data, size_t len)
{
	const unsigned char *t = gz + gz_len - GZIP_TRAILER_LEN;

	assert_int_equal(le32(t), crc32(0, (const Bytef *)data, (uInt)len));
	assert_int_equal(le32(t + 4), (uint32_t)len);
}

static void
assert_roundtrip(const char *data, size_t len)
{
	struct buf b = BUF_INIT;

	assert_int_equal(gzip_compress(data, len, &b), 0);
	const unsigned char *gz = (const unsigned char *)b.data;
	assert_gzip_header(gz, b.len);
	assert_gzip_trailer(gz, b.len, data, len);
	assert_gunzips_to(gz, b.len, data, len);
	buf_free(&b);
}

/* Deterministic text that looks like an exposition: varied names and numbers, so deflate has
 * repeats to find but cannot reduce it to nothing. Caller frees. */
static char *
fake_metrics(size_t len)
{
	static const char *const words[] = {"gpu_", "sriov_", "vf", "_total", "{pci=\"", "0000:",
					    "03.", "\"} ", "\n", "# HELP ", "# TYPE ", "gauge"};
	char *s = xmalloc(len);
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < len;) {
		/* xorshift32: reproducible without touching the global rand() state. */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		const char *w = x % 3 == 0 ? NULL : words[x % nitems(words)];
		if (w == NULL) {
			s[i++] = (char)('0' + (x >> 8) % 10);
			continue;
		}
		for (size_t j = 0; w[j] != '\0' && i < len; j++)
			s[i++] = w[j];
	}
	return s;
}

static void
test_empty_input(void **state)
{
	(void)state;
	assert_roundtrip("", 0);
}

static void
test_small_text(void **state)
{
	(void)state;
	assert_roundtrip(metrics, strlen(metrics));
}

static void
test_one_mebibyte(void **state)
{
	struct buf b = BUF_INIT;
	char *data = fake_metrics(MIB);
	(void)state;

	assert_roundtrip(data, MIB);
	/* Exposition text must actually shrink, or compressing it is pointless. */
	assert_int_equal(gzip_compress(data, MIB, &b), 0);
	assert_true(b.len < MIB / 2);
	buf_free(&b);
	free(data);
}

static void
test_appends_after_prefix(void **state)
{
	static const char prefix[] = "already here";
	struct buf b = BUF_INIT;
	(void)state;

	buf_puts(&b, prefix);
	assert_int_equal(gzip_compress(metrics, strlen(metrics), &b), 0);
	assert_true(b.len > strlen(prefix));
	assert_memory_equal(b.data, prefix, strlen(prefix));
	const unsigned char *gz = (const unsigned char *)b.data + strlen(prefix);
	size_t gz_len = b.len - strlen(prefix);
	assert_gzip_header(gz, gz_len);
	assert_gunzips_to(gz, gz_len, metrics, strlen(metrics));
	buf_free(&b);
}

static void
test_same_input_same_output(void **state)
{
	struct buf first = BUF_INIT;
	struct buf second = BUF_INIT;
	(void)state;

	assert_int_equal(gzip_compress(metrics, strlen(metrics), &first), 0);
	assert_int_equal(gzip_compress(metrics, strlen(metrics), &second), 0);
	assert_int_equal(first.len, second.len);
	assert_memory_equal(first.data, second.data, first.len);
	buf_free(&first);
	buf_free(&second);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_small_text),
		cmocka_unit_test(test_one_mebibyte),
		cmocka_unit_test(test_appends_after_prefix),
		cmocka_unit_test(test_same_input_same_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
