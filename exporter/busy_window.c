/* Busy percentages between looks (see busy_window.h). */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "busy_window.h"
#include "xalloc.h"

/* One counter as it was at the previous look. */
struct kept {
	char *key;
	double value;
};

struct busy_window {
	pthread_mutex_t lock; /* guards everything below */
	bool have;            /* at_ns and kept describe a previous look */
	int64_t at_ns;
	struct kept *kept; /* sorted by key */
	size_t nkept;
};

struct busy_window *
busy_window_new(void)
{
	struct busy_window *w = xcalloc(1, sizeof(*w));

	(void)pthread_mutex_init(&w->lock, NULL);
	return w;
}

static void
kept_free(struct kept *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(k[i].key);
	free(k);
}

void
busy_window_free(struct busy_window *w)
{
	if (w == NULL)
		return;
	kept_free(w->kept, w->nkept);
	(void)pthread_mutex_destroy(&w->lock);
	free(w);
}

static int
cmp_kept(const void *a, const void *b)
{
	return strcmp(((const struct kept *)a)->key, ((const struct kept *)b)->key);
}

static const struct kept *
kept_find(const struct busy_window *w, const char *key)
{
	struct kept k = {(char *)(uintptr_t)key, 0};

	if (w->nkept == 0)
		return NULL;
	return bsearch(&k, w->kept, w->nkept, sizeof(*w->kept), cmp_kept);
}

/* Replaces the kept counters by these. Called with w->lock held. */
static void
keep(struct busy_window *w, const struct busy_sample *s, size_t n, int64_t now_ns)
{
	struct kept *k = xcalloc(n > 0 ? n : 1, sizeof(*k));

	for (size_t i = 0; i < n; i++)
		k[i] = (struct kept){xstrdup(s[i].key), s[i].value};
	qsort(k, n, sizeof(*k), cmp_kept);
	kept_free(w->kept, w->nkept);
	w->kept = k;
	w->nkept = n;
	w->at_ns = now_ns;
	w->have = true;
}

enum busy_window_result
busy_window_update(struct busy_window *w, struct busy_sample *s, size_t n, int64_t now_ns,
		   double *ret_window_s)
{
	(void)pthread_mutex_lock(&w->lock);
	int64_t since = now_ns - w->at_ns;
	enum busy_window_result r = !w->have			  ? BUSY_WINDOW_FIRST
				    : since < BUSY_WINDOW_MIN_NS ? BUSY_WINDOW_TOO_SOON
								 : BUSY_WINDOW_OK;
	double window_s = (double)since / 1e9;
	for (size_t i = 0; i < n; i++) {
		const struct kept *k = r == BUSY_WINDOW_OK ? kept_find(w, s[i].key) : NULL;
		double cap = s[i].capacity >= 1 ? s[i].capacity : 1;
		s[i].pct = k != NULL && s[i].value >= k->value
				   ? (s[i].value - k->value) / window_s / cap * 100
				   : NAN;
	}
	if (r != BUSY_WINDOW_TOO_SOON)
		keep(w, s, n, now_ns);
	(void)pthread_mutex_unlock(&w->lock);
	if (r == BUSY_WINDOW_OK)
		*ret_window_s = window_s;
	return r;
}
