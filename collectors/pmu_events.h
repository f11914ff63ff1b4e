/* Bounded parsers for the perf PMU description the kernel publishes in sysfs
 * (bus/event_source/devices/<pmu>/{events,format,cpumask}) and for i915/xe engine names. Pure
 * functions over strings, so the pmu collector never hard-codes an event encoding and malformed
 * files are rejected instead of turning into a wrong perf config. */
#ifndef COLLECTORS_PMU_EVENTS_H
#define COLLECTORS_PMU_EVENTS_H

#include <stddef.h>
#include <stdint.h>

/* Term and format names are short identifiers ("config", "event", "engine_class"). */
#define PMU_NAME_SIZE 32
/* An events file has one to a few terms ("event=0x3c,umask=0x1"); more is garbage. */
#define PMU_MAX_TERMS 8

/* Engine classes in uapi order (the value placed in the config). */
#define PMU_CLASS_COUNT 5

struct pmu_term {
	char name[PMU_NAME_SIZE];
	uint64_t value;
};

/* A format/<name> file, as the bits of perf_event_attr.config it occupies. */
struct pmu_format {
	char name[PMU_NAME_SIZE];
	uint64_t mask;
};

/* Parses a format file: "config:<lo>[-<hi>][,<lo>[-<hi>]]..." (bits 0..63, at most 8 ranges,
 * no overlap; one trailing newline tolerated). Writes the bit mask to *ret_mask and returns 0;
 * -EOPNOTSUPP for config1/config2 fields (never placed by this collector), -EINVAL otherwise. */
int pmu_format_parse(const char *text, uint64_t *ret_mask);

/* ORs value into *config at the bits of mask, lowest value bit into the lowest mask bit (what
 * perf does). Returns 0, or -ERANGE when value has more bits than mask (*config untouched). */
int pmu_field_place(uint64_t mask, uint64_t value, uint64_t *config);

/* Parses an events file: "term[=value][,term[=value]]..." where a value is decimal or 0x-hex and
 * a bare term means 1 (perf's syntax). Fills terms[0..*ret_n). Returns 0, -EINVAL for malformed
 * text (empty, "?" parameters, duplicates, long names), -E2BIG for more than max terms,
 * -ERANGE for a value above 2^64-1. */
int pmu_event_parse(const char *text, struct pmu_term *terms, size_t max, size_t *ret_n);

/* Composes perf_event_attr.config from parsed terms: "config" sets raw bits, any other term is
 * placed at its format's bits. Returns 0, -ENOENT when a term has no format, -EOPNOTSUPP for
 * config1/config2 terms, -ERANGE when a value does not fit its format. */
int pmu_config_compose(const struct pmu_term *terms, size_t n, const struct pmu_format *formats,
		       size_t nformats, uint64_t *ret_config);

/* The first CPU of a cpumask/cpulist file ("0", "0-3", "2,4-7"). Returns 0 or -EINVAL. */
int pmu_cpumask_first(const char *text, int *ret_cpu);

/* Splits an engine name "rcs0", "vecs1", "ccs3" into class (0..PMU_CLASS_COUNT-1) and instance
 * (0..255). Returns 0 or -EINVAL. */
int pmu_engine_parse(const char *name, unsigned *ret_class, unsigned *ret_instance);

/* "render", "copy", "video", "video-enhance", "compute"; NULL for an unknown class. Static. */
const char *pmu_class_name(unsigned class);
/* "rcs", "bcs", "vcs", "vecs", "ccs"; NULL for an unknown class. Static. */
const char *pmu_class_prefix(unsigned class);

enum pmu_i915_kind {
	PMU_I915_OTHER, /* an event this collector does not read (-wait, -sema, frequency...) */
	PMU_I915_BUSY,  /* <engine>-busy */
	PMU_I915_RC6,   /* rc6-residency, rc6-residency-gt<N> */
	PMU_I915_IRQ,   /* interrupts */
};

/* Classifies an i915 events/ entry name. For BUSY, the engine name ("rcs0") is copied into
 * ret_engine (size engine_size, at least 8) and its class written to *ret_class; for RC6 the GT
 * is written to *ret_gt (0 without a suffix). Outputs are written only for the kinds named. */
enum pmu_i915_kind pmu_i915_classify(const char *name, char *ret_engine, size_t engine_size,
				     unsigned *ret_class, unsigned *ret_gt);

/* The PMU name of a PCI function: prefix "_" bdf with ':' replaced by '_' ("i915_0000_03_00.0").
 * Returns 0, or -ENAMETOOLONG when it does not fit into size bytes. */
int pmu_name_for_bdf(const char *prefix, const char *bdf, char *buf, size_t size);

#endif
