/* Busy percentages from cumulative busy counters between two looks at them: the status page keeps
 * the counters of its previous view and shows how busy each engine was since. */
#ifndef EXPORTER_BUSY_WINDOW_H
#define EXPORTER_BUSY_WINDOW_H

#include <stddef.h>
#include <stdint.h>

/* A look younger than this after the previous one computes nothing and keeps the older counters:
 * over a few milliseconds (two views sharing one collection) a percentage means nothing. */
#define BUSY_WINDOW_MIN_NS 1000000000LL

struct busy_sample {
	const char *key; /* names the counter; copied when kept */
	double value;    /* busy seconds so far */
	double capacity; /* engines the counter adds up (at least 1): 2 busy engines are 100 % */
	double pct;      /* set by busy_window_update(): percent busy, NAN when unknown */
};

struct busy_window;

/* Caller frees with busy_window_free(); NULL-safe. */
struct busy_window *busy_window_new(void);
void busy_window_free(struct busy_window *w);

enum busy_window_result {
	BUSY_WINDOW_OK,       /* percentages over *ret_window_s seconds */
	BUSY_WINDOW_FIRST,    /* no earlier counters: every pct is NAN */
	BUSY_WINDOW_TOO_SOON, /* within BUSY_WINDOW_MIN_NS of the kept ones: every pct is NAN */
};

/* Sets pct of each of the n samples from the counters kept at the previous look, over the time
 * since then (now_ns, monotonic), and keeps these counters instead (unless too soon). A counter
 * that is new or went down (reset) gets NAN. *ret_window_s is set for BUSY_WINDOW_OK only.
 * Thread-safe. */
enum busy_window_result busy_window_update(struct busy_window *w, struct busy_sample *s, size_t n,
					   int64_t now_ns, double *ret_window_s);

#endif
