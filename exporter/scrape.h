/* One scrape: runs the registry (one collection at a time), adds the exporter's own metrics and
 * renders the result into a buffer the caller owns. Shared by --once and the HTTP server. */
#ifndef EXPORTER_SCRAPE_H
#define EXPORTER_SCRAPE_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "expo.h"
#include "registry.h"

struct scraper;

/* registry is borrowed for the scraper's life. exporter_metrics adds build and process metrics.
 * Caller frees with scraper_free(). */
struct scraper *scraper_new(struct registry *registry, bool exporter_metrics);
void scraper_free(struct scraper *s);

/* Renders into out (appended) the result of a collection that started after this call did:
 * callers that arrive while one runs wait and share the next. Returns how many collectors
 * succeeded; the body is complete either way. */
size_t scraper_run(struct scraper *s, enum expo_format format, int64_t deadline_ns,
		   struct buf *out);

/* Calls fn with the sorted builder of a collection that started after this call did (shared as in
 * scraper_run()) and the number of collectors that succeeded. The builder is read-only and valid
 * only during the call; fn runs under the result's lock, so it must not scrape. */
void scraper_view(struct scraper *s, int64_t deadline_ns,
		  void (*fn)(const struct expo *e, size_t ok, void *arg), void *arg);

/* False while a scrape has been running longer than stuck_ns (a collector hangs in the kernel). */
bool scraper_healthy(struct scraper *s, int64_t now_ns, int64_t stuck_ns);

#endif
