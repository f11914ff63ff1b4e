/* libFuzzer target: the bounded number, duration and PCI address parsers (exporter/parse.h). Every
 * parser sees the same NUL-terminated input. */
#include "fuzz_common.h"
#include "parse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	char bdf[PARSE_BDF_SIZE];
	uint64_t u;
	int64_t i;
	double d;
	unsigned count;
	static const int bases[] = {0, 8, 10, 16};

	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		if (parse_u64(s, bases[b], 4096, &u) == 0 && u > 4096)
			abort();
		(void)parse_u64(s, bases[b], UINT64_MAX, &u);
		if (parse_i64(s, bases[b], -100, 100, &i) == 0 && (i < -100 || i > 100))
			abort();
		(void)parse_i64(s, bases[b], INT64_MIN, INT64_MAX, &i);
	}
	(void)parse_double(s, &d);
	(void)parse_duration(s, &i);
	if (parse_bdf(s, bdf) == 0 && strlen(bdf) != PARSE_BDF_SIZE - 1)
		abort();
	(void)parse_bdf_count(s, bdf, &count);
	free(s);
	return 0;
}
