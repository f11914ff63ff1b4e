/* libFuzzer target: Accept and Accept-Encoding parsers (exporter/negotiate.h). */
#include "fuzz_common.h"
#include "negotiate.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct negotiation n;
	char *s = fuzz_strdup(data, size);

	negotiate_format(s, &n);
	if (!n.content_type || (n.format != EXPO_FORMAT_TEXT && n.format != EXPO_FORMAT_OPENMETRICS))
		abort();
	(void)negotiate_gzip(s);
	free(s);
	return 0;
}
