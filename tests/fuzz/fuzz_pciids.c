/* libFuzzer target: the streaming pci.ids lookup (collectors/pciids.h). Input: vendor (2 bytes),
 * device (2 bytes), a piece size (1 byte), then the file text. The answer must not depend on how
 * the text is split, and a found name must be a terminated string that fits. */
#include "fuzz_common.h"
#include "pciids.h"

static bool
lookup(const char *text, size_t len, uint16_t vendor, uint16_t device, size_t step,
       struct pciids_scan *s)
{
	pciids_scan_init(s, vendor, device);
	for (size_t i = 0; i < len; i += step) {
		size_t n = len - i < step ? len - i : step;
		if (pciids_scan_feed(s, text + i, n))
			break;
	}
	return pciids_scan_end(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pciids_scan whole, pieces;
	struct pciids_line l;

	if (size < 5)
		return 0;
	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	uint16_t vendor = (uint16_t)(data[0] << 8 | data[1]);
	uint16_t device = (uint16_t)(data[2] << 8 | data[3]);
	size_t step = data[4] == 0 ? 1 : data[4];
	size_t len = size - 5;
	char *text = fuzz_memdup(data + 5, len); /* no NUL: the API takes (buf, len) */

	bool a = lookup(text, len, vendor, device, len > 0 ? len : 1, &whole);
	bool b = lookup(text, len, vendor, device, step, &pieces);
	if (a != b || whole.malformed != pieces.malformed || whole.lineno != pieces.lineno)
		abort();
	if (a && (memchr(whole.name, '\0', sizeof(whole.name)) == NULL ||
		  strcmp(whole.name, pieces.name) != 0))
		abort();
	pciids_parse_line(text, len, &l);
	if ((l.kind == PCIIDS_VENDOR || l.kind == PCIIDS_DEVICE) &&
	    (l.name < text || l.name_len == 0 || l.name + l.name_len > text + len))
		abort();
	free(text);
	return 0;
}
