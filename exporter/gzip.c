/* gzip (RFC 1952) compression of response bodies.
 *
 * A whole scrape is compressed in one pass into a scratch buffer sized by deflateBound(), then
 * appended, so a zlib failure leaves the caller's buffer untouched. */
#define ZLIB_CONST /* next_in becomes const, so the input needs no cast that drops const */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

#include "buf.h"
#include "gzip.h"
#include "xalloc.h"

/* windowBits above 15 asks zlib for a gzip header and trailer instead of a zlib wrapper. */
#define GZIP_WINDOW_BITS (15 + 16)
#define GZIP_MEM_LEVEL 8

/* zlib counts in uInt; bodies past 4 GiB are fed and drained in slices of at most UINT_MAX. */
static uInt
slice(size_t left)
{
	return left > UINT_MAX ? UINT_MAX : (uInt)left;
}

/* Runs deflate over in until the stream ends and stores the compressed size. Returns 0, or -EIO
 * when zlib fails or dst (cap bytes) is too small, which deflateBound() rules out. */
static int
deflate_all(z_stream *zs, const char *in, size_t len, unsigned char *dst, size_t cap,
	    size_t *ret_len)
{
	size_t in_left = len;
	size_t out_left = cap;
	int zr;

	zs->next_in = (const Bytef *)in;
	zs->next_out = dst;
	do {
		if (zs->avail_in == 0) {
			zs->avail_in = slice(in_left);
			in_left -= zs->avail_in;
		}
		if (zs->avail_out == 0) {
			zs->avail_out = slice(out_left);
			out_left -= zs->avail_out;
		}
		zr = deflate(zs, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
	} while (zr == Z_OK);
	if (zr != Z_STREAM_END)
		return -EIO;
	*ret_len = cap - out_left - zs->avail_out;
	return 0;
}

int
gzip_compress(const char *in, size_t len, struct buf *out)
{
	/* Zeroed, so deflateEnd() is a harmless no-op when deflateInit2() failed. */
	z_stream zs = {.zalloc = Z_NULL, .zfree = Z_NULL, .opaque = Z_NULL};
	unsigned char *dst = NULL;
	size_t cap;
	size_t n = 0;
	int r;

	int zr = deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WINDOW_BITS,
			      GZIP_MEM_LEVEL, Z_DEFAULT_STRATEGY);
	if (zr != Z_OK) {
		r = zr == Z_MEM_ERROR ? -ENOMEM : -EIO;
		goto out;
	}
	cap = deflateBound(&zs, len);
	/* deflateBound() wraps around for sizes no allocation could hold anyway. */
	if (cap < len) {
		r = -ENOMEM;
		goto out;
	}
	dst = xmalloc(cap);
	r = deflate_all(&zs, in, len, dst, cap, &n);
	if (r < 0)
		goto out;
	buf_append(out, (const char *)dst, n);
out:
	(void)deflateEnd(&zs);
	free(dst);
	return r;
}
