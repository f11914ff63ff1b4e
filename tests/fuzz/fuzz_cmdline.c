/* libFuzzer target: the kernel command line tokenizer (collectors/cmdline.h). */
#include <stdbool.h>

#include "fuzz_common.h"
#include "cmdline.h"

static bool
cb(const char *name, const char *value, void *arg)
{
	size_t *n = arg;

	/* Touch every byte so ASan checks the borrowed strings. */
	*n += strlen(name) + (value ? strlen(value) : 0);
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	char buf[64];
	size_t n = 0;

	(void)cmdline_parse(s, cb, &n);
	(void)cmdline_get(s, "i915.max_vfs", buf, sizeof(buf));
	(void)cmdline_get(s, "intel_iommu", buf, sizeof(buf));
	(void)cmdline_get(s, "xe.max_vfs", buf, 1);
	free(s);
	return 0;
}
