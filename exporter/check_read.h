/* Read helpers for the --check evaluations (the status page reads with check_label() and
 * check_value() too): series of one family as a list, collector state, and which GPU driver the
 * machine uses. Everything borrows from the collection (struct expo) and is valid while it is
 * unchanged, i.e. for one check_report() or one status page. */
#ifndef EXPORTER_CHECK_READ_H
#define EXPORTER_CHECK_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "check.h"
#include "expo.h"

/* The series of one family, in the collection's sorted order. Caller frees with
 * check_list_free(); the series borrow their labels from the collection. */
struct check_list {
	struct expo_series *v;
	size_t n;
};

void check_list(const struct expo *e, const char *name, struct check_list *ret);
void check_list_free(struct check_list *l);

/* Label value of a series, "" when the series has none (never NULL). */
const char *check_label(const struct expo_series *s, const char *name);

/* The first series of l whose label name is value, NULL when none. Borrowed from l. */
const struct expo_series *check_find(const struct check_list *l, const char *name,
				     const char *value);

/* Value of the first series of family name with label label=value (label NULL: any series).
 * Returns false, leaving *ret alone, when there is none. */
bool check_value(const struct expo *e, const char *name, const char *label, const char *value,
		 double *ret);

/* Whether a collector ran and succeeded in this collection, from
 * gpu_sriov_scrape_collector_success. */
enum check_collector {
	CHECK_COLLECTOR_OK,
	CHECK_COLLECTOR_FAILED,
	CHECK_COLLECTOR_OFF, /* disabled: no success series at all */
};

enum check_collector check_collector(const struct expo *e, const char *name);

/* Whether family (gpu_sriov_module_loaded, _sriov_capable, _out_of_tree) is 1 for module. */
bool check_module_flag(const struct expo *e, const char *family, const char *module);

/* When collector name did not succeed, sets r to a warning saying what could not be checked and
 * why (the privilege it likely needs, or the flag that turns it on) and returns true. */
bool check_collector_unusable(const struct expo *e, const char *name, struct check_result *r);

/* The GPU driver this machine runs SR-IOV with, as far as the collection tells. */
struct check_driver {
	const char *name;    /* "i915" or "xe"; NULL when nothing points at either */
	const char *from;    /* how it was found, for details: "PF driver", "DRM card", ... */
	bool loaded;         /* gpu_sriov_module_loaded is 1 */
	bool sriov_capable;  /* gpu_sriov_module_sriov_capable is 1 (has max_vfs) */
	bool out_of_tree;    /* gpu_sriov_module_out_of_tree is 1 (a DKMS build) */
	bool dkms_sriov;     /* an SR-IOV DKMS module (name containing "sriov") is known to DKMS */
	/* The driver the set-up is for: the one whose max_vfs the command line sets, else name,
	 * else "i915" (the runbook's). Never NULL. */
	const char *intended;
};

/* Order: the PF's bound driver (i915/xe), a DRM card's driver, the loaded module (i915 before xe),
 * an SR-IOV DKMS module (i915-sriov-dkms builds i915). */
void check_driver(const struct expo *e, struct check_driver *ret);

/* True for a DKMS module that provides SR-IOV (i915-sriov-dkms and its forks). */
bool check_dkms_is_sriov(const char *module);

/* VFs the fixes ask for when nothing says how many are intended: the runbook's count. */
#define CHECK_RUNBOOK_VFS 7

/* Value of family for the PCI function bdf (label pci_address), dflt when there is none. */
double check_pf_value(const struct expo *e, const char *family, const char *bdf, double dflt);
/* The VF count for config lines: intended, else enabled, else CHECK_RUNBOOK_VFS. */
unsigned check_wanted_vfs(const struct expo *e, const char *bdf);

/* Release of the running kernel (gpu_sriov_kernel_info), NULL when unknown. */
const char *check_running_kernel(const struct expo *e);

/* Whether the kernel command line watched by the kernel collector has param, and its value ("" for
 * a bare flag). NULL when absent. */
const char *check_cmdline(const struct expo *e, const char *param);
/* True when the comma-separated list has item (module_blacklist=a,b; intel_iommu=on,sm_on). */
bool check_comma_list_has(const char *list, const char *item);

#endif
