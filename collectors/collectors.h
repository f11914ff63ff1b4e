/* Descriptors of every collector; the registry's table is the only user. */
#ifndef COLLECTORS_COLLECTORS_H
#define COLLECTORS_COLLECTORS_H

#include "../exporter/collector.h"

extern const struct collector_ops dkms_collector;
extern const struct collector_ops drm_collector;
extern const struct collector_ops iommu_collector;
extern const struct collector_ops kernel_collector;
extern const struct collector_ops kmsg_collector;
extern const struct collector_ops module_collector;
extern const struct collector_ops pmu_collector;
extern const struct collector_ops proxmox_collector;
extern const struct collector_ops sriov_collector;

#endif
