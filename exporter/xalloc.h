/* Allocation wrappers for the daemon: out of memory is fatal, so callers never handle NULL. */
#ifndef EXPORTER_XALLOC_H
#define EXPORTER_XALLOC_H

#include <stddef.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/* Each returns memory the caller frees with free(); none returns NULL. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
