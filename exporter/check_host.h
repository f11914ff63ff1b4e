/* The --check table for a hypervisor: the user's runbook checklist (kernel, IOMMU, command line,
 * driver and DKMS build, VFs and their persistence, PF and VM configuration). */
#ifndef EXPORTER_CHECK_HOST_H
#define EXPORTER_CHECK_HOST_H

#include <stddef.h>

#include "check.h"

/* Static storage; *ret_n checks. */
const struct check_desc *check_host_table(size_t *ret_n);

#endif
