/* The --check table for a guest VM: the runbook's verification inside the VM (VF present, render
 * node present and openable, PMU absence, something using the GPU). */
#ifndef EXPORTER_CHECK_GUEST_H
#define EXPORTER_CHECK_GUEST_H

#include <stddef.h>

#include "check.h"

/* Static storage; *ret_n checks. */
const struct check_desc *check_guest_table(size_t *ret_n);

#endif
