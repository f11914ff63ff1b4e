/* libFuzzer target: perf PMU sysfs text parsers (collectors/pmu_events.h). The first byte picks
 * the parser; the rest is the file text. */
#include "fuzz_common.h"
#include "pmu_events.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmu_term terms[PMU_MAX_TERMS];
	struct pmu_format fmt[2] = {{"event", 0xff}, {"umask", 0xff00}};
	size_t n = 0;
	uint64_t mask, config = 0;
	unsigned cls, inst, gt;
	int cpu;
	char engine[16], name[64];
	char *s;

	if (size < 1)
		return 0;
	s = fuzz_strdup(data + 1, size - 1);
	switch (data[0] % 6) {
	case 0:
		if (pmu_format_parse(s, &mask) == 0)
			(void)pmu_field_place(mask, 0x1234, &config);
		break;
	case 1:
		if (pmu_event_parse(s, terms, PMU_MAX_TERMS, &n) == 0) {
			if (n > PMU_MAX_TERMS)
				abort();
			(void)pmu_config_compose(terms, n, fmt, 2, &config);
		}
		break;
	case 2:
		(void)pmu_cpumask_first(s, &cpu);
		break;
	case 3:
		if (pmu_engine_parse(s, &cls, &inst) == 0) {
			if (!pmu_class_name(cls) || !pmu_class_prefix(cls))
				abort();
		}
		break;
	case 4:
		if (pmu_i915_classify(s, engine, sizeof(engine), &cls, &gt) == PMU_I915_BUSY &&
		    !memchr(engine, '\0', sizeof(engine)))
			abort();
		break;
	default:
		(void)pmu_name_for_bdf("i915", s, name, sizeof(name));
		break;
	}
	free(s);
	return 0;
}
