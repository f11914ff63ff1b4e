/* libFuzzer target: the privileged helper's request decoder (exporter/helper_apply.h). Only the
 * decoder: nothing here reaches the sysfs writes. */
#include "fuzz_common.h"
#include "helper_apply.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct helper_req req;
	char *buf;

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	buf = fuzz_memdup(data, size);
	memset(&req, 0xa5, sizeof(req));
	if (helper_decode(buf, size, &req) == 0 && size != sizeof(req))
		abort();
	free(buf);
	return 0;
}
