/* gzip response bodies with zlib. */
#ifndef EXPORTER_GZIP_H
#define EXPORTER_GZIP_H

#include <stddef.h>

#include "buf.h"

/* Compresses len bytes at in as one gzip member (RFC 1952) appended to out. Returns 0, or -ENOMEM
 * / -EIO when zlib fails; out is unchanged on failure. */
int gzip_compress(const char *in, size_t len, struct buf *out);

#endif
