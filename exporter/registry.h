/* The collector registry: the static table of every collector the binary has, and the runtime
 * that initialises, runs, times, backs off and reports them. */
#ifndef EXPORTER_REGISTRY_H
#define EXPORTER_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "expo.h"

/* The built-in table, in flag and output order. Static storage. */
const struct collector_ops *const *registry_builtin(size_t *ret_n);

struct registry;

/* Creates the runtime for the n descriptors in ops, of which enabled[i] says which run. Nothing is
 * initialised yet. clock returns monotonic ns (NULL: CLOCK_MONOTONIC; tests pass their own). ops,
 * enabled and roots are borrowed for the registry's life. Caller frees with registry_free(). */
struct registry *registry_new(const struct collector_ops *const *ops, size_t n, const bool *enabled,
			      const struct roots *roots, int64_t (*clock)(void));
/* Hands the command-line settings to the collectors (borrowed). Call before the first collect. */
void registry_set_options(struct registry *r, const struct collector_options *opts);
/* Runs fini of every initialised collector; NULL-safe. */
void registry_free(struct registry *r);

/* Initialises every enabled collector now, so the first scrape is not slower than the rest.
 * Failures are logged and retried on later scrapes. */
void registry_init_all(struct registry *r);

/* Runs each enabled collector once (initialising it first if needed) and adds its samples plus
 * gpu_sriov_scrape_collector_{success,duration_seconds,skipped_values} to out. Collectors still
 * in backoff after a failure, or reached after deadline_ns (monotonic), count as failed without
 * running. Returns how many collectors succeeded. Not thread-safe: callers serialise. */
size_t registry_collect(struct registry *r, struct expo *out, int64_t deadline_ns);

/* Number of collectors enabled. */
size_t registry_enabled(const struct registry *r);

/* Backoff applied after consecutive failures: doubles from the first to the cap. */
#define REGISTRY_BACKOFF_FIRST_NS 1000000000LL
#define REGISTRY_BACKOFF_MAX_NS (60LL * 1000000000LL)

#endif
