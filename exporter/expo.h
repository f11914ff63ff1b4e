/* Metric exposition: a per-scrape builder of metric families and samples, rendered as Prometheus
 * text 0.0.4 or OpenMetrics 1.0. Names are validated, label values and HELP text are made valid
 * UTF-8 (U+FFFD for each invalid byte), output is sorted (families by name, series by labels) and
 * free of duplicate series. Not thread-safe: each scrape owns its own builder. */
#ifndef EXPORTER_EXPO_H
#define EXPORTER_EXPO_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum expo_type {
	EXPO_GAUGE,
	EXPO_COUNTER, /* sample name must end in _total */
};

enum expo_format {
	EXPO_FORMAT_TEXT,        /* text/plain; version=0.0.4 */
	EXPO_FORMAT_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

struct expo_label {
	const char *name;
	const char *value;
};

/* Expands to "array, count" for expo_add(): EXPO_LABELS({"pci_address", bdf}, {"driver", d}). */
#define EXPO_LABELS(...)                                                                           \
	((const struct expo_label[]){__VA_ARGS__}),                                                \
	    (sizeof((const struct expo_label[]){__VA_ARGS__}) / sizeof(struct expo_label))

struct expo;

/* Caller frees with expo_free(); NULL-safe. */
struct expo *expo_new(void);
void expo_free(struct expo *e);

/* Adds one sample to family name, declaring the family on first use. Everything is copied; help
 * and label values as valid UTF-8. An invalid name, label name, duplicate label, empty help, or a
 * type/help that differs from the family's first use (compared after sanitising; a help pointer
 * already found equal is not read again, so help must not be a buffer rewritten between calls)
 * returns -EINVAL,
 * adds nothing and is remembered in expo_error(). */
int expo_add(struct expo *e, const char *name, enum expo_type type, const char *help, double value,
	     const struct expo_label *labels, size_t nlabels);

/* First error seen by expo_add() or expo_merge(), or 0. A collector whose builder has an error is
 * a bug and is reported as failed. */
int expo_error(const struct expo *e);

/* Sorts families and series and drops repeated series (first one wins). Returns how many were
 * dropped. Rendering calls it too; collectors' builders are checked with it to catch bugs. */
size_t expo_sort(struct expo *e);

/* Moves every sample of src into dst (src is left empty). A family present in both with another
 * type or help sets dst's error and keeps dst's samples for it. Returns how many families were
 * dropped that way (0 when all merged). */
size_t expo_merge(struct expo *dst, struct expo *src);
/* True when every family of src that dst also has agrees in type and help, i.e. expo_merge()
 * would drop nothing. */
bool expo_can_merge(struct expo *dst, const struct expo *src);

/* Number of samples held. */
size_t expo_samples(const struct expo *e);

/* Read access for views built from a collection (the status page, --check). A series is valid
 * until the builder changes; labels hold name0, value0, name1, value1, ... */
struct expo_series {
	double value;
	size_t nlabels;
	const char *const *labels;
};

/* Calls fn for each series of the family with this sample name (counters keep _total), in the
 * order of the last expo_sort(), until fn returns false. Returns how many series fn was given. */
size_t expo_each(const struct expo *e, const char *name,
		 bool (*fn)(const struct expo_series *series, void *arg), void *arg);
/* Value of label name in a series, or NULL when the series has no such label. */
const char *expo_label(const struct expo_series *s, const char *name);
/* Value of the first series (in expo_each() order) of family name whose labels include every
 * pair in match (nmatch may be 0). Returns false, leaving *ret alone, when none does. */
bool expo_value(const struct expo *e, const char *name, const struct expo_label *match,
		size_t nmatch, double *ret);

/* Appends the exposition to out. OpenMetrics output ends with "# EOF". */
void expo_render(struct expo *e, enum expo_format format, struct buf *out);

/* Formats a sample value: NaN, +Inf, -Inf; integers below 2^53 without exponent; otherwise the
 * shortest text that parses back to the same double. buf must hold 32 bytes. */
void expo_format_value(double v, char *buf, size_t size);

#endif
