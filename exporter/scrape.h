/* One scrape: runs the registry (one collection at a time), adds the exporter's own metrics and
 * renders the result once per format (and gzip-compresses it once, when asked), into bodies that
 * every request answered from the same collection shares. Shared by --once and the HTTP server. */
#ifndef EXPORTER_SCRAPE_H
#define EXPORTER_SCRAPE_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "expo.h"
#include "registry.h"

struct scraper;
struct scrape_result;

/* A request is answered from a collection that started at most this long before it arrived: the
 * one under way when that is young enough, else the next. A change on disk is therefore in every
 * answer to a request that arrives more than 2 ms after it (collectors' own caches aside). */
#define SCRAPE_JOIN_NS (2LL * 1000000LL)

/* A body one request serves. data is read-only and shared with every request answered from the
 * same collection; it stays valid until scrape_result_put(ref), which may run on any thread (the
 * HTTP server drops it when libmicrohttpd has sent the response). */
struct scrape_body {
	const char *data;
	size_t len;
	bool gzip;		   /* data is one gzip member (RFC 1952) */
	size_t ok;		   /* collectors that succeeded */
	struct scrape_result *ref; /* the caller's reference */
};

/* registry is borrowed for the scraper's life. exporter_metrics adds build and process metrics.
 * Caller frees with scraper_free(), which waits for a collection under way and calls back the
 * scraper_request() waiters left. */
struct scraper *scraper_new(struct registry *registry, bool exporter_metrics);
void scraper_free(struct scraper *s);

/* Fills *ret with the body of a collection that started at most SCRAPE_JOIN_NS before this call
 * (callers share it). The body is in format, gzip-compressed when gzip
 * is true and compression worked (ret->gzip says which); it is complete whether or not every
 * collector succeeded. The caller owns one reference and drops it with scrape_result_put(). */
void scraper_get(struct scraper *s, enum expo_format format, bool gzip, int64_t deadline_ns,
		 struct scrape_body *ret);

/* Asks for a collection as scraper_get() does, without waiting for
 * it: ready(arg) is called exactly once, on the thread that finished a collection that satisfies
 * the request (a worker thread the scraper starts for such requests, or a scraper_get() caller),
 * or by scraper_free() when none did. ready must not call into the scraper. Returns the ticket
 * for scraper_take(). arg is borrowed until ready is called. */
uint64_t scraper_request(struct scraper *s, int64_t deadline_ns, void (*ready)(void *arg),
			 void *arg);

/* After ready: fills *ret as scraper_get() would, from the collection the ticket asked for or a
 * later one. The caller owns one reference. */
void scraper_take(struct scraper *s, uint64_t ticket, enum expo_format format, bool gzip,
		  struct scrape_body *ret);

/* Drops a reference taken by scraper_get() or scraper_take(); the last one frees the collection
 * and its bodies.
 * NULL-safe. */
void scrape_result_put(struct scrape_result *r);

/* scraper_get() without gzip, with the body appended to out (caller-owned); for --once and tests.
 * Returns how many collectors succeeded. */
size_t scraper_run(struct scraper *s, enum expo_format format, int64_t deadline_ns,
		   struct buf *out);

/* Calls fn with the sorted builder of a collection as scraper_get() chooses it (shared as in
 * scraper_run()) and the number of collectors that succeeded. The builder is read-only and valid
 * only during the call; fn runs under the result's lock, so it must not scrape. */
void scraper_view(struct scraper *s, int64_t deadline_ns,
		  void (*fn)(const struct expo *e, size_t ok, void *arg), void *arg);

/* After ready: calls fn as scraper_view() does, with the collection the ticket asked for or a
 * later one; does not wait. */
void scraper_take_view(struct scraper *s, uint64_t ticket,
		       void (*fn)(const struct expo *e, size_t ok, void *arg), void *arg);

/* False while a scrape has been running longer than stuck_ns (a collector hangs in the kernel). */
bool scraper_healthy(struct scraper *s, int64_t now_ns, int64_t stuck_ns);

#endif
