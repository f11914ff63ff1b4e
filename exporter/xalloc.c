/* Allocation wrappers: the exporter cannot do anything useful without memory, so OOM ends it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

static void *
check(void *p)
{
	if (p == NULL)
		fatalx("out of memory");
	return p;
}

void *
xmalloc(size_t size)
{
	return check(malloc(size == 0 ? 1 : size));
}

void *
xcalloc(size_t n, size_t size)
{
	return check(calloc(n == 0 ? 1 : n, size == 0 ? 1 : size));
}

void *
xrealloc(void *p, size_t size)
{
	return check(realloc(p, size == 0 ? 1 : size));
}

char *
xstrdup(const char *s)
{
	return check(strdup(s));
}

char *
xstrndup(const char *s, size_t n)
{
	return check(strndup(s, n));
}
