/* The watchdog's decision rules: when a PF whose VFs are gone may be repaired, when it must be
 * left alone and why, and the backoff and repair-budget arithmetic. Side: unprivileged. Pure
 * functions over plain structs, so every rule is unit-tested. The privileged helper re-checks
 * the safety rules on its side; these decide what the exporter asks for and reports. */
#ifndef EXPORTER_WATCHDOG_POLICY_H
#define EXPORTER_WATCHDOG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* gpu_sriov_watchdog_state{state}: exactly one is 1 per PF. */
enum wd_state {
	WD_STATE_OK,        /* VFs present as intended, or nothing to do */
	WD_STATE_REPAIRING, /* a repair is being attempted now */
	WD_STATE_BACKOFF,   /* a repair failed; waiting before the next attempt */
	WD_STATE_GAVE_UP,   /* the repair budget of the window is spent */
	WD_STATE_BLOCKED,   /* unsafe or impossible: see the reason */
};
#define WD_STATES 5
extern const char *const wd_state_names[WD_STATES];

/* gpu_sriov_watchdog_blocked_reason_info{reason}. */
enum wd_reason {
	WD_REASON_NONE,
	WD_REASON_NO_TARGET,           /* no --sriov.expected-vfs and no persistence config */
	WD_REASON_PF_UNBOUND,          /* no driver on the PF */
	WD_REASON_PF_DRIVER,           /* bound to a driver not in --watchdog.pf-drivers (vfio-pci) */
	WD_REASON_MODULE_NOT_SRIOV,    /* the loaded i915/xe has no max_vfs: the stock build */
	WD_REASON_TOTALVFS_TOO_LOW,    /* sriov_totalvfs below the target: the write would fail */
	WD_REASON_PF_ASSIGNED_TO_VM,   /* a VM config passes the PF itself */
	WD_REASON_PARTIAL_COUNT,       /* some VFs present but fewer than intended */
	WD_REASON_HELPER_UNAVAILABLE,  /* no privileged helper to write with */
	WD_REASON_NOT_ALLOWED,         /* the helper's allowlist lacks this PF or count */
};
#define WD_REASONS 10
extern const char *const wd_reason_names[WD_REASONS];

/* What the exporter sees of one PF right now. */
struct wd_input {
	bool has_target;
	unsigned target;           /* intended VF count */
	unsigned current;          /* virtfn links now */
	bool totalvfs_known;
	unsigned totalvfs;
	const char *driver;        /* "" when unbound */
	bool module_sriov_capable; /* the PF driver's module has max_vfs */
	bool pf_assigned_to_vm;
	bool helper_available;
	bool helper_allows;        /* the helper's allowlist has this PF with this count */
};

struct wd_config {
	const char *const *pf_drivers; /* --watchdog.pf-drivers */
	size_t npf_drivers;
	bool force_partial;
	unsigned max_repairs;          /* per window */
	int64_t window_ns;
	int64_t backoff_first_ns;
	int64_t backoff_max_ns;
};

/* Per-PF memory, persisted in the state file. Times are CLOCK_REALTIME ns so they survive a
 * restart of the exporter. */
struct wd_history {
	int64_t window_start;   /* start of the current repair-budget window, 0 = none */
	uint32_t attempts;      /* attempts in that window */
	int64_t next_attempt;   /* no attempt before this (backoff), 0 = any time */
	int64_t backoff;        /* the current backoff step, 0 after a success */
	uint64_t successes;
	uint64_t failures;
	uint64_t skipped;       /* repairs needed but refused by a rule */
	int64_t last_repair;    /* time of the last write attempt, 0 = never */
	int32_t last_result;    /* 0 or -errno of that attempt */
};

enum wd_action {
	WD_ACTION_NONE,   /* nothing to do (ok, or waiting) */
	WD_ACTION_REPAIR, /* ask the helper to write target */
};

struct wd_decision {
	enum wd_action action;
	enum wd_state state;
	enum wd_reason reason; /* WD_REASON_NONE unless state is blocked */
};

/* Decides for one PF at now. Rules, in order: no target -> blocked(no_target); current ==
 * target (or above) -> ok; a VM passes the PF -> blocked; PF unbound or on a driver not allowed
 * -> blocked; module without SR-IOV -> blocked; totalvfs known and below target -> blocked;
 * 0 < current < target without force_partial -> blocked(partial); no helper -> blocked; helper
 * disallows -> blocked; budget spent in the window -> gave_up; inside backoff -> backoff;
 * otherwise repair. */
struct wd_decision wd_decide(const struct wd_config *cfg, const struct wd_input *in,
			     const struct wd_history *h, int64_t now);

/* Coalescing udev events. Removing VFs (echo 0 > sriov_numvfs, a PF driver letting go) makes the
 * kernel unlink virtfnN and then tear VF N down, for each VF in turn, in one pass under the PF's
 * device lock: per VF a "remove" (after an "unbind" when a driver had it, and "remove"s of its DRM
 * nodes), nothing for the PF. Once a PF's virtfn links are all gone, that pass is over. */

/* One PF between two full looks: its VF count (virtfn links) at the last look and now. */
struct wd_vf_count {
	unsigned last;
	unsigned now;
	bool has_target;
	unsigned target;
};

enum wd_burst {
	WD_BURST_LOOK,   /* look now: a removal has emptied a PF */
	WD_BURST_QUIET,  /* look after a short quiet spell: nothing is half done */
	WD_BURST_SETTLE, /* look after a long quiet spell: a PF is half done, or not only removals */
};

/* What to do after draining udev events, given whether every event of the burst so far was a
 * removal ("remove" or "unbind") of something other than a PF the watchdog follows, and each
 * followed PF's counts. A burst that is not only removals (VFs or PFs added or bound, a PF's own
 * driver going or coming) settles; so does one with a PF whose count moved but is neither 0 nor
 * at its target (fewer when the target is unknown): judging it now would act on a half-finished
 * change. Otherwise a PF whose VFs were all there and are all gone is looked at now. */
enum wd_burst wd_burst_step(bool removals_only, const struct wd_vf_count *pfs, size_t n);

/* "remove" and "unbind": the udev actions a VF removal consists of. */
bool wd_event_removal(const char *action);

/* The PCI function a udev event is about: the last component of its devpath that is a PCI
 * address ("/devices/pci0000:00/0000:00:02.0/drm/card0" is about 0000:00:02.0). Writes the address
 * into ret_bdf (PARSE_BDF_SIZE bytes) and returns 0, or -ENOENT when there is none. */
int wd_event_function(const char *devpath, char *ret_bdf);

/* Books one repair attempt's result into h at now: opens or rolls the budget window, counts the
 * attempt, doubles the backoff on failure (first step backoff_first_ns, capped), clears it on
 * success. */
void wd_record_attempt(const struct wd_config *cfg, struct wd_history *h, int result, int64_t now);

#endif
