/* The status page at /: a compact human view of one collection (PFs and their VFs, DKMS per
 * kernel, IOMMU, watchdog, render nodes, engine busy, failing collectors) as server-rendered HTML
 * with inline CSS, no script and no external asset. Every text that comes from the system is
 * HTML-escaped (html.h). The page keeps the engine busy counters of the previous view
 * (busy_window.h), so a view shows busy percentages over the time since then. */
#ifndef EXPORTER_STATUS_PAGE_H
#define EXPORTER_STATUS_PAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "expo.h"
#include "scrape.h"

/* A collection running longer than this is not waited for: the page says so instead. */
#define STATUS_STUCK_NS (15LL * 1000000000LL)

struct status_page;

/* Caller frees with status_page_free(); NULL-safe. */
struct status_page *status_page_new(void);
void status_page_free(struct status_page *p);

struct status_view {
	const struct expo *e;     /* sorted collection, borrowed; NULL when none could be had */
	const char *unavailable;  /* why e is NULL, shown escaped; ignored when e is set */
	int64_t now_ns;           /* monotonic time of this view: busy percentages span views */
	time_t wall;              /* wall clock of this view, shown in UTC */
	const char *metrics_href; /* link to the metrics, relative to the page */
};

/* Appends the whole page for v to out. Thread-safe: concurrent views serialise only on the kept
 * busy counters. */
void status_page_render(struct status_page *p, const struct status_view *v, struct buf *out);

/* When no collection can be waited for (scraper NULL, or one has been running for more than
 * STATUS_STUCK_NS), renders into out a page that says why and returns true; returns false with
 * out untouched otherwise. Borrowed arguments. */
bool status_page_without_collection(struct status_page *p, struct scraper *scraper,
				    const char *metrics_href, struct buf *out);

/* Renders into out the page for the collection of ticket (scraper_request(), after its ready
 * callback). Borrowed arguments. */
void status_page_take(struct status_page *p, struct scraper *scraper, uint64_t ticket,
		      const char *metrics_href, struct buf *out);

#endif
