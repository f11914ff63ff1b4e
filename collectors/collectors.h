/* Descriptors of every collector; the registry's table is the only user. */
#ifndef COLLECTORS_COLLECTORS_H
#define COLLECTORS_COLLECTORS_H

#include "../exporter/collector.h"

/* HELP of gpu_sriov_engine_busy_seconds_total, which the pmu and fdinfo collectors both emit: a
 * family's help must be one text, or the registry drops the second collector's output. */
#define ENGINE_BUSY_HELP                                                                           \
	"Busy time of GPU engines; rate() gives the busy fraction (above 1 when several engines "  \
	"are summed). source=\"pmu\": one engine, from the host i915 PMU <engine>-busy (for a PF, "  \
	"PF and VF work together); source=\"fdinfo\": one engine class, summed over every DRM "     \
	"client's drm-engine-<engine> in /proc/<pid>/fdinfo, kept monotonic as clients exit."

extern const struct collector_ops dkms_collector;
extern const struct collector_ops drm_collector;
extern const struct collector_ops fdinfo_collector;
extern const struct collector_ops iommu_collector;
extern const struct collector_ops kernel_collector;
extern const struct collector_ops kmsg_collector;
extern const struct collector_ops module_collector;
extern const struct collector_ops pmu_collector;
extern const struct collector_ops proxmox_collector;
extern const struct collector_ops sriov_collector;
extern const struct collector_ops watchdog_collector;

#endif
