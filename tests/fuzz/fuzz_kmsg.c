/* libFuzzer target: /dev/kmsg record parser and the signature table (collectors/kmsg_parse.h). */
#include "fuzz_common.h"
#include "kmsg_parse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmsg_record r;
	char *buf;

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	buf = fuzz_memdup(data, size); /* no NUL: the API takes (buf, len) */
	if (kmsg_parse_record(buf, size, &r) == 0) {
		if (r.text_len > size || (r.text_len && (r.text < buf || r.text + r.text_len > buf + size)))
			abort();
		if (memchr(r.device, '\0', sizeof(r.device)) == NULL)
			abort();
		(void)kmsg_match(r.text, r.text_len);
	}
	/* The matcher on raw bytes too. */
	int m = kmsg_match(buf, size);
	if (m < -1 || m >= KMSG_EVENTS)
		abort();
	free(buf);
	return 0;
}
