/* libFuzzer target: DRM fdinfo block parser (collectors/fdinfo_parse.h). */
#include "fuzz_common.h"
#include "fdinfo_parse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdinfo_client c;
	unsigned problems = 0;
	char *buf;

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	buf = fuzz_memdup(data, size);
	(void)fdinfo_parse(buf, size, &c, &problems);
	if (c.nengines > FDINFO_ENGINES_MAX || c.nregions > FDINFO_REGIONS_MAX)
		abort();
	if (!memchr(c.driver, '\0', sizeof(c.driver)) || !memchr(c.pdev, '\0', sizeof(c.pdev)))
		abort();
	for (size_t i = 0; i < c.nengines; i++) {
		if (!memchr(c.engines[i].name, '\0', sizeof(c.engines[i].name)))
			abort();
		(void)fdinfo_engine_class(c.engines[i].name);
	}
	for (size_t i = 0; i < c.nregions; i++)
		if (!memchr(c.regions[i].name, '\0', sizeof(c.regions[i].name)))
			abort();
	for (unsigned bit = 0; bit < FDINFO_PROBLEMS; bit++)
		if (problems & (1u << bit))
			(void)fdinfo_problem_what(1u << bit);
	free(buf);
	return 0;
}
