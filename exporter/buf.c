/* Growable byte buffer: geometric growth so rendering a scrape costs few reallocations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "xalloc.h"

static void
reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need < b->len)
		fatalx("buffer size overflow");
	/* data is NULL only with cap 0; testing it too lets the analyzer see the allocation. */
	if (need <= b->cap && b->data != NULL)
		return;
	size_t cap = b->cap == 0 ? 256 : b->cap;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void
buf_append(struct buf *b, const char *s, size_t n)
{
	reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

char *
buf_room(struct buf *b, size_t n)
{
	reserve(b, n);
	return b->data + b->len;
}

void
buf_used(struct buf *b, size_t k)
{
	b->len += k;
	b->data[b->len] = '\0';
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list copy;

	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		fatalx("vsnprintf failed for format \"%s\"", fmt);
	reserve(b, (size_t)n);
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

char *
buf_steal(struct buf *b, size_t *ret_len)
{
	if (b->data == NULL)
		reserve(b, 0);
	b->data[b->len] = '\0';
	char *p = b->data;
	*ret_len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
