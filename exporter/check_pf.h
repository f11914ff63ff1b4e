/* The --check host checks of the PF, its VFs and the VMs that take them (see check_pf.c); the
 * host table (check_host.c) lists them. */
#ifndef EXPORTER_CHECK_PF_H
#define EXPORTER_CHECK_PF_H

#include "check.h"
#include "expo.h"

void check_pf_driver_eval(const struct expo *e, struct check_result *ret);
void check_vfs_eval(const struct expo *e, struct check_result *ret);
void check_persist_eval(const struct expo *e, struct check_result *ret);
void check_pf_vm_eval(const struct expo *e, struct check_result *ret);
void check_vm_q35_eval(const struct expo *e, struct check_result *ret);
void check_iommu_groups_eval(const struct expo *e, struct check_result *ret);

#endif
