/* Collector registry: one static table lists every collector (one grep shows them all), and a
 * small runtime wraps each with init retry, exponential backoff, timing and throttled logging. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../collectors/collectors.h"
#include "log.h"
#include "registry.h"
#include "xalloc.h"

static const struct collector_ops *const all_collectors[] = {
	&dkms_collector,
	&drm_collector,
	&fdinfo_collector,
	&iommu_collector,
	&kernel_collector,
	&kmsg_collector,
	&module_collector,
	&pmu_collector,
	&proxmox_collector,
	&sriov_collector,
	&watchdog_collector,
};

/* Distinct skipped values remembered per collector, so each is logged once. Past this, further
 * new ones are still counted but no longer logged. */
#define SKIP_MEMORY 1024

struct collector {
	const struct collector_ops *ops;
	const struct roots *roots;
	const struct collector_options *opts; /* the registry's */
	const uint64_t *scrape_id;            /* the registry's */
	void *data;
	bool enabled;
	bool ready;       /* init succeeded */
	int64_t next_try; /* monotonic ns before which a failed collector is not retried */
	int64_t backoff;
	struct log_throttle throttle;
	uint64_t skipped; /* this scrape */
	uint64_t *skip_seen;
	size_t nskip_seen;
};

struct registry {
	struct collector *c;
	size_t n;
	int64_t (*clock)(void);
	struct collector_options opts;
	uint64_t scrape_id;
};

const struct collector_ops *const *
registry_builtin(size_t *ret_n)
{
	*ret_n = nitems(all_collectors);
	return all_collectors;
}

void
collector_set_data(struct collector *c, void *data)
{
	c->data = data;
}

void *
collector_get_data(const struct collector *c)
{
	return c->data;
}

const struct roots *
collector_roots(const struct collector *c)
{
	return c->roots;
}

const char *
collector_name(const struct collector *c)
{
	return c->ops->name;
}

uint64_t
collector_scrape_id(const struct collector *c)
{
	return *c->scrape_id;
}

const struct collector_options *
collector_options(const struct collector *c)
{
	return c->opts;
}

void
registry_set_options(struct registry *r, const struct collector_options *opts)
{
	r->opts = *opts;
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
collector_skip(struct collector *c, const char *what, int err)
{
	/* Shared readers (pci.c, persist.c) also run outside any collector, e.g. in the watchdog. */
	if (c == NULL) {
		log_msg(LOG_LEVEL_DEBUG, NULL, err, "skipping unusable value from %s", what);
		return;
	}
	uint64_t h = fnv1a(what);

	c->skipped++;
	for (size_t i = 0; i < c->nskip_seen; i++) {
		if (c->skip_seen[i] == h)
			return;
	}
	if (c->nskip_seen == SKIP_MEMORY)
		return;
	if (c->nskip_seen % 16 == 0)
		c->skip_seen = xrealloc(c->skip_seen, (c->nskip_seen + 16) * sizeof(uint64_t));
	c->skip_seen[c->nskip_seen++] = h;
	log_msg(LOG_LEVEL_WARN, c->ops->name, err, "skipping unusable value from %s", what);
}

struct registry *
registry_new(const struct collector_ops *const *ops, size_t n, const bool *enabled,
	     const struct roots *roots, int64_t (*clock)(void))
{
	struct registry *r = xcalloc(1, sizeof(*r));

	r->c = xcalloc(n, sizeof(*r->c));
	r->n = n;
	r->clock = clock != NULL ? clock : monotonic_ns;
	for (size_t i = 0; i < n; i++) {
		r->c[i].ops = ops[i];
		r->c[i].roots = roots;
		r->c[i].opts = &r->opts;
		r->c[i].scrape_id = &r->scrape_id;
		r->c[i].enabled = enabled[i];
	}
	return r;
}

void
registry_free(struct registry *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct collector *c = &r->c[i];
		if (c->ready && c->ops->fini != NULL)
			c->ops->fini(c);
		free(c->skip_seen);
	}
	free(r->c);
	free(r);
}

size_t
registry_enabled(const struct registry *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->c[i].enabled;
	return n;
}

static void
failed(struct collector *c, int64_t now, int err, const char *what)
{
	c->backoff = c->backoff == 0 ? REGISTRY_BACKOFF_FIRST_NS
		     : c->backoff >= REGISTRY_BACKOFF_MAX_NS / 2 ? REGISTRY_BACKOFF_MAX_NS
								  : c->backoff * 2;
	c->next_try = now + c->backoff;
	if (log_throttle_fail(&c->throttle, now))
		log_msg(LOG_LEVEL_WARN, c->ops->name, -err, "%s failed (%llu in a row), retrying in %llds",
			what, (unsigned long long)c->throttle.failures,
			(long long)(c->backoff / 1000000000LL));
}

static int
init_collector(struct collector *c)
{
	if (c->ready)
		return 0;
	int r = c->ops->init != NULL ? c->ops->init(c, c->roots) : 0;
	if (r < 0) {
		if (c->ops->fini != NULL)
			c->ops->fini(c);
		c->data = NULL;
		return r;
	}
	c->ready = true;
	return 0;
}

/* Runs one collector into its own builder so a failure can be discarded whole. */
static int
run_one(struct collector *c, struct expo *out, const char **ret_what)
{
	*ret_what = "init";
	int r = init_collector(c);
	if (r < 0)
		return r;
	*ret_what = "collect";
	struct expo *mine = expo_new();
	c->skipped = 0;
	r = c->ops->collect(c, mine);
	if (r >= 0 && expo_error(mine) != 0) {
		log_msg(LOG_LEVEL_ERROR, c->ops->name, 0, "bug: collector produced an invalid metric");
		r = expo_error(mine);
	}
	if (r >= 0) {
		size_t dup = expo_sort(mine);
		if (dup > 0)
			log_msg(LOG_LEVEL_ERROR, c->ops->name, 0, "bug: %zu duplicate series dropped",
				dup);
		/* Two collectors sharing a family must agree on its type and help; if not, this
		 * collector's output is dropped whole and it counts as failed, so the bug shows. */
		if (expo_can_merge(out, mine)) {
			(void)expo_merge(out, mine);
		} else {
			log_msg(LOG_LEVEL_ERROR, c->ops->name, 0,
				"bug: a metric family differs in type or help from another collector's");
			r = -EINVAL;
		}
	}
	expo_free(mine);
	return r < 0 ? r : 0;
}

void
registry_init_all(struct registry *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct collector *c = &r->c[i];
		if (!c->enabled)
			continue;
		int err = init_collector(c);
		if (err < 0)
			failed(c, r->clock(), err, "init");
	}
}

static void
add_meta(struct expo *out, const char *name, bool ok, double seconds, uint64_t skipped)
{
	(void)expo_add(out, "gpu_sriov_scrape_collector_success", EXPO_GAUGE,
		       "Whether the collector succeeded in this scrape (1) or failed (0).",
		       ok ? 1 : 0, EXPO_LABELS({"collector", name}));
	(void)expo_add(out, "gpu_sriov_scrape_collector_duration_seconds", EXPO_GAUGE,
		       "Time the collector took in this scrape.", seconds,
		       EXPO_LABELS({"collector", name}));
	(void)expo_add(out, "gpu_sriov_scrape_collector_skipped_values", EXPO_GAUGE,
		       "Values the collector skipped in this scrape because the system returned "
		       "unusable data (see the log).",
		       (double)skipped, EXPO_LABELS({"collector", name}));
}

/* Scrape ids are unique in the process, not per registry: what collectors share within one
 * scrape (PCI list, VM configs) must never be taken for another registry's. */
static _Atomic uint64_t last_scrape_id;

size_t
registry_collect(struct registry *r, struct expo *out, int64_t deadline_ns)
{
	size_t ok = 0;

	r->scrape_id = atomic_fetch_add(&last_scrape_id, 1) + 1;
	for (size_t i = 0; i < r->n; i++) {
		struct collector *c = &r->c[i];
		if (!c->enabled)
			continue;
		int64_t start = r->clock();
		int err;
		const char *what = "collect";
		if (start < c->next_try) {
			err = -EAGAIN; /* still backing off: not hammering a broken source */
			c->skipped = 0;
		} else if (start >= deadline_ns) {
			err = -ETIMEDOUT;
			c->skipped = 0;
			what = "scrape deadline reached before collect";
		} else {
			err = run_one(c, out, &what);
		}
		int64_t end = r->clock();
		if (err == 0) {
			ok++;
			c->backoff = 0;
			c->next_try = 0;
			if (log_throttle_ok(&c->throttle))
				log_msg(LOG_LEVEL_INFO, c->ops->name, 0, "collector recovered");
		} else if (err == -ETIMEDOUT) {
			/* The scrape ran out of time, not this collector: no backoff. */
			log_msg(LOG_LEVEL_DEBUG, c->ops->name, 0, "%s", what);
		} else if (err != -EAGAIN) {
			failed(c, end, err, what);
		}
		add_meta(out, c->ops->name, err == 0, (double)(end - start) / 1e9, c->skipped);
	}
	return ok;
}
