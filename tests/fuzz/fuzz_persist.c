/* libFuzzer target: sysfs.conf, tmpfiles.d and udev rule line parsers (collectors/persist.h). The
 * input is a file; every line goes through all three parsers. */
#include "fuzz_common.h"
#include "parse.h"
#include "persist.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size), *line, *next;
	char bdf[PARSE_BDF_SIZE];
	unsigned count;

	for (line = s; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (persist_parse_sysfsconf(line, bdf, &count) == 1 && !memchr(bdf, '\0', sizeof(bdf)))
			abort();
		if (persist_parse_tmpfiles(line, bdf, &count) == 1 && !memchr(bdf, '\0', sizeof(bdf)))
			abort();
		if (persist_parse_udev(line, bdf, &count) == 1 && !memchr(bdf, '\0', sizeof(bdf)))
			abort();
	}
	free(s);
	return 0;
}
