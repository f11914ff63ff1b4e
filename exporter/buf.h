/* Growable byte buffer used to build response bodies and log lines. */
#ifndef EXPORTER_BUF_H
#define EXPORTER_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* always NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

/* Appends; OOM is fatal. The buffer owns its memory until buf_free() or buf_steal(). */
void buf_append(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Makes room for n more bytes and returns where they go; buf_used() then appends the k <= n
 * bytes written there. For writers that know a bound and would otherwise append piece by piece. */
char *buf_room(struct buf *b, size_t n);
void buf_used(struct buf *b, size_t k);
/* Empties the buffer but keeps its memory for reuse. */
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hands the bytes to the caller, who frees them; the buffer is left empty. Never NULL. */
char *buf_steal(struct buf *b, size_t *ret_len);

#endif
