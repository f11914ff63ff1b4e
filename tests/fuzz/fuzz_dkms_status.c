/* libFuzzer target: one `dkms status` line (collectors/dkms_status.h). */
#include "fuzz_common.h"
#include "dkms_status.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkms_status_line l;
	char *buf;

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	buf = fuzz_memdup(data, size);
	if (dkms_status_parse_line(buf, size, &l) == 0) {
		if (!memchr(l.module, '\0', sizeof(l.module)) || !memchr(l.version, '\0', sizeof(l.version)) ||
		    !memchr(l.kernel, '\0', sizeof(l.kernel)) || !memchr(l.arch, '\0', sizeof(l.arch)) ||
		    !memchr(l.state, '\0', sizeof(l.state)) || !memchr(l.note, '\0', sizeof(l.note)))
			abort();
		(void)dkms_status_state_name(l.kind);
	}
	free(buf);
	return 0;
}
