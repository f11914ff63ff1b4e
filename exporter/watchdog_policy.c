/* The watchdog's decision rules and its backoff and budget arithmetic. Side: unprivileged.
 *
 * Everything here is a pure function of its arguments: no clock, no I/O, no logging. Times are
 * int64 nanoseconds and may come from a state file that survived a restart, so every sum
 * saturates instead of overflowing (signed overflow is undefined behaviour, and a wrapped
 * deadline would turn "wait a very long time" into "repair now"). */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"
#include "watchdog_policy.h"

const char *const wd_state_names[WD_STATES] = {
	[WD_STATE_OK] = "ok",
	[WD_STATE_REPAIRING] = "repairing",
	[WD_STATE_BACKOFF] = "backoff",
	[WD_STATE_GAVE_UP] = "gave_up",
	[WD_STATE_BLOCKED] = "blocked",
};

const char *const wd_reason_names[WD_REASONS] = {
	[WD_REASON_NONE] = "",
	[WD_REASON_NO_TARGET] = "no_target",
	[WD_REASON_PF_UNBOUND] = "pf_unbound",
	[WD_REASON_PF_DRIVER] = "pf_driver",
	[WD_REASON_MODULE_NOT_SRIOV] = "module_not_sriov",
	[WD_REASON_TOTALVFS_TOO_LOW] = "totalvfs_too_low",
	[WD_REASON_PF_ASSIGNED_TO_VM] = "pf_assigned_to_vm",
	[WD_REASON_PARTIAL_COUNT] = "partial_count",
	[WD_REASON_HELPER_UNAVAILABLE] = "helper_unavailable",
	[WD_REASON_NOT_ALLOWED] = "not_allowed",
};

static_assert(WD_STATE_BLOCKED + 1 == WD_STATES, "wd_state_names out of step with enum wd_state");
static_assert(WD_REASON_NOT_ALLOWED + 1 == WD_REASONS,
	      "wd_reason_names out of step with enum wd_reason");

/* a + b, clamped to the int64 range. */
static int64_t
sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* A negative duration from a bad config means "none", never a deadline in the past that a
 * later sum could wrap around. */
static int64_t
nonneg(int64_t v)
{
	return v < 0 ? 0 : v;
}

static bool
driver_allowed(const struct wd_config *cfg, const char *driver)
{
	for (size_t i = 0; i < cfg->npf_drivers; i++) {
		if (cfg->pf_drivers[i] != NULL && strcmp(cfg->pf_drivers[i], driver) == 0)
			return true;
	}
	return false;
}

/* The budget window of h covers now: [window_start, window_start + window_ns). */
static bool
in_window(const struct wd_config *cfg, const struct wd_history *h, int64_t now)
{
	if (h->window_start == 0)
		return false;
	return now >= h->window_start && now < sat_add(h->window_start, nonneg(cfg->window_ns));
}

static struct wd_decision
blocked(enum wd_reason reason)
{
	return (struct wd_decision){WD_ACTION_NONE, WD_STATE_BLOCKED, reason};
}

static struct wd_decision
waiting(enum wd_state state)
{
	return (struct wd_decision){WD_ACTION_NONE, state, WD_REASON_NONE};
}

struct wd_decision
wd_decide(const struct wd_config *cfg, const struct wd_input *in, const struct wd_history *h,
	  int64_t now)
{
	if (!in->has_target)
		return blocked(WD_REASON_NO_TARGET);
	/* More VFs than intended is never "repaired": reducing them destroys VFs in use. */
	if (in->current >= in->target)
		return waiting(WD_STATE_OK);
	if (in->pf_assigned_to_vm)
		return blocked(WD_REASON_PF_ASSIGNED_TO_VM);
	if (in->driver == NULL || in->driver[0] == '\0')
		return blocked(WD_REASON_PF_UNBOUND);
	if (!driver_allowed(cfg, in->driver))
		return blocked(WD_REASON_PF_DRIVER);
	if (!in->module_sriov_capable)
		return blocked(WD_REASON_MODULE_NOT_SRIOV);
	/* Unknown totalvfs does not block: the helper reads it again before writing. */
	if (in->totalvfs_known && in->totalvfs < in->target)
		return blocked(WD_REASON_TOTALVFS_TOO_LOW);
	/* Fixing a partial count means writing 0 first, which destroys the VFs that exist. */
	if (in->current > 0 && !cfg->force_partial)
		return blocked(WD_REASON_PARTIAL_COUNT);
	if (!in->helper_available)
		return blocked(WD_REASON_HELPER_UNAVAILABLE);
	if (!in->helper_allows)
		return blocked(WD_REASON_NOT_ALLOWED);
	if (cfg->max_repairs > 0 && in_window(cfg, h, now) && h->attempts >= cfg->max_repairs)
		return waiting(WD_STATE_GAVE_UP);
	if (now < h->next_attempt)
		return waiting(WD_STATE_BACKOFF);
	return (struct wd_decision){WD_ACTION_REPAIR, WD_STATE_REPAIRING, WD_REASON_NONE};
}

/* The step after cur: the first step, then doubling up to the cap. A cap below the first step
 * would make the first step the longest; the first step then is the cap. */
static int64_t
next_backoff(const struct wd_config *cfg, int64_t cur)
{
	int64_t first = nonneg(cfg->backoff_first_ns);
	int64_t cap = nonneg(cfg->backoff_max_ns);

	if (cap < first)
		cap = first;
	if (cur <= 0)
		return first;
	if (cur > cap / 2)
		return cap;
	return cur * 2;
}

void
wd_record_attempt(const struct wd_config *cfg, struct wd_history *h, int result, int64_t now)
{
	/* A window also restarts when now lies before its start: the realtime clock was set back,
	 * and counting from now keeps the budget in force instead of suspending it. */
	if (h->window_start == 0 || now < h->window_start ||
	    now >= sat_add(h->window_start, nonneg(cfg->window_ns))) {
		h->window_start = now;
		h->attempts = 0;
	}
	if (h->attempts < UINT32_MAX)
		h->attempts++;
	h->last_repair = now;
	h->last_result = (int32_t)result;
	if (result == 0) {
		if (h->successes < UINT64_MAX)
			h->successes++;
		h->backoff = 0;
		h->next_attempt = 0;
		return;
	}
	if (h->failures < UINT64_MAX)
		h->failures++;
	h->backoff = next_backoff(cfg, h->backoff);
	h->next_attempt = sat_add(now, h->backoff);
}

enum wd_burst
wd_burst_step(bool removals_only, const struct wd_vf_count *pfs, size_t n)
{
	bool emptied = false;

	if (!removals_only)
		return WD_BURST_SETTLE;
	for (size_t i = 0; i < n; i++) {
		const struct wd_vf_count *c = &pfs[i];
		if (c->now == c->last)
			continue;
		if (c->now == 0) {
			emptied = emptied || c->last > 0;
			continue;
		}
		if (c->has_target ? c->now < c->target : c->now < c->last)
			return WD_BURST_SETTLE;
	}
	return emptied ? WD_BURST_LOOK : WD_BURST_QUIET;
}

bool
wd_event_removal(const char *action)
{
	return action != NULL && (strcmp(action, "remove") == 0 || strcmp(action, "unbind") == 0);
}

int
wd_event_function(const char *devpath, char *ret_bdf)
{
	char part[PARSE_BDF_SIZE + 1], found[PARSE_BDF_SIZE];
	bool any = false;

	if (devpath == NULL)
		return -ENOENT;
	for (const char *p = devpath; *p != '\0';) {
		const char *slash = strchr(p, '/');
		size_t len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		/* A full address is 12 characters: anything longer is no PCI function. */
		if (len > 0 && len < sizeof(part)) {
			memcpy(part, p, len);
			part[len] = '\0';
			if (parse_bdf(part, part) == 0) {
				memcpy(found, part, sizeof(found));
				any = true;
			}
		}
		p += len + (slash != NULL);
	}
	if (!any)
		return -ENOENT;
	memcpy(ret_bdf, found, sizeof(found));
	return 0;
}
