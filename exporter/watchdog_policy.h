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

/* Books one repair attempt's result into h at now: opens or rolls the budget window, counts the
 * attempt, doubles the backoff on failure (first step backoff_first_ns, capped), clears it on
 * success. */
void wd_record_attempt(const struct wd_config *cfg, struct wd_history *h, int result, int64_t now);

#endif
