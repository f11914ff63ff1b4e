/* See webconfig_watch.h. */
#include "webconfig_watch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xalloc.h"

static void
identify(const char *path, struct web_watch_id *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (stat(path, &st) != 0) {
		id->err = errno;
		return;
	}
	id->dev = (uint64_t)st.st_dev;
	id->ino = (uint64_t)st.st_ino;
	id->size = (uint64_t)st.st_size;
	id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	/* ctime too: a copy that keeps the old mtime (cp -p, rsync -t) still changes it. */
	id->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
}

static bool
same(const struct web_watch_id *a, const struct web_watch_id *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].dev != b[i].dev || a[i].ino != b[i].ino || a[i].size != b[i].size ||
		    a[i].mtime_ns != b[i].mtime_ns || a[i].ctime_ns != b[i].ctime_ns ||
		    a[i].err != b[i].err)
			return false;
	}
	return true;
}

void
web_watch_set(struct web_watch *w, const char *const *paths, size_t n)
{
	web_watch_free(w);
	if (n > WEB_WATCH_MAX)
		n = WEB_WATCH_MAX;
	for (size_t i = 0; i < n; i++)
		w->paths[i] = xstrdup(paths[i]);
	w->n = n;
	web_watch_rearm(w);
}

void
web_watch_rearm(struct web_watch *w)
{
	for (size_t i = 0; i < w->n; i++)
		identify(w->paths[i], &w->armed[i]);
	memcpy(w->seen, w->armed, sizeof(w->seen));
}

bool
web_watch_poll(struct web_watch *w)
{
	struct web_watch_id now[WEB_WATCH_MAX];

	if (w->n == 0)
		return false;
	for (size_t i = 0; i < w->n; i++)
		identify(w->paths[i], &now[i]);
	bool settled = same(now, w->seen, w->n);
	memcpy(w->seen, now, w->n * sizeof(now[0]));
	return settled && !same(now, w->armed, w->n);
}

void
web_watch_free(struct web_watch *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->paths[i]);
	memset(w, 0, sizeof(*w));
}
