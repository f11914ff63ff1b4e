/* Kernel log record parsing and signature matching. Signatures are fixed substrings from the
 * kernel and i915-sriov-dkms sources (kernel-interfaces.md section 12); matching is a bounded
 * substring search over one record's text. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "kmsg_parse.h"

const char *const kmsg_event_names[KMSG_EVENTS] = {
	"vfs_enabled",	     "vfs_disabled",  "no_vfs_associated",	"max_vfs_ignored",
	"guc_mmio_failure", "hwconfig_failure", "iov_version_mismatch", "vf_non_operational",
	"gpu_hang",	     "fence_timeout", "pmu_not_supported",	"dmar_fault",
};

/* Substring per event; the first that matches wins. "Enabled"/"Disabled" are common words, so
 * those count only in the "<word> <n> VFs" form. */
static const struct {
	const char *needle;
	int event;
	bool vf_count;
} signatures[] = {
	{"VFs requested; only", 0, false}, /* a partial enable still enabled some */
	{"Enabled ", 0, true},
	{"Disabled ", 1, true},
	{"No VFs could be associated with this PF", 2, false},
	{"unknown parameter 'max_vfs' ignored", 3, false},
	{"GUC: mmio request 0x4100: failure", 4, false},
	{"Failed to retrieve hwconfig table", 5, false},
	{"IOV: Unable to confirm version", 6, false},
	{"Device is non-operational", 7, false},
	{"GPU HANG", 8, false},
	{"Fence expiration time out", 9, false},
	{"PMU not supported for this GPU", 10, false},
	{"DMAR: DRHD: handling fault", 11, false},
};

static const char *
find(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	if (n > len)
		return NULL;
	for (size_t i = 0; i + n <= len; i++) {
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
			return hay + i;
	}
	return NULL;
}

/* "Enabled %u VFs" / "Disabled %u VFs": the word must be followed by a number and " VFs". */
static bool
vf_count_message(const char *at, const char *end, const char *word)
{
	const char *p = at + strlen(word);
	const char *digits = p;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > digits && (size_t)(end - p) >= 4 && memcmp(p, " VFs", 4) == 0;
}

int
kmsg_match(const char *text, size_t len)
{
	const char *end = text + len;

	for (size_t i = 0; i < sizeof(signatures) / sizeof(signatures[0]); i++) {
		const char *at = find(text, len, signatures[i].needle);
		if (at == NULL)
			continue;
		if (signatures[i].vf_count && !vf_count_message(at, end, signatures[i].needle))
			continue;
		return signatures[i].event;
	}
	return -1;
}

/* A decimal number spanning exactly [p, end). */
static int
parse_span(const char *p, const char *end, uint64_t max, uint64_t *ret)
{
	char num[24];
	size_t n = (size_t)(end - p);

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, p, n);
	num[n] = '\0';
	return parse_u64(num, 10, max, ret);
}

/* The dev_printk prefix "<driver> <bdf>: ", e.g. "i915 0000:00:02.0: Enabled 7 VFs". */
static void
device_from_text(const char *text, size_t len, char *ret)
{
	const char *sp = memchr(text, ' ', len);

	if (sp == NULL || (size_t)(text + len - sp) < 14 || sp[13] != ':')
		return;
	char bdf[PARSE_BDF_SIZE];
	memcpy(bdf, sp + 1, 12);
	bdf[12] = '\0';
	(void)parse_bdf(bdf, ret);
}

int
kmsg_parse_record(const char *buf, size_t len, struct kmsg_record *ret)
{
	const char *p = buf, *end = buf + len;
	uint64_t prio, seq, usec;
	struct kmsg_record r;

	memset(&r, 0, sizeof(r));
	/* Header: prio, seq, usec, then flags and any future fields, up to ';'. */
	const char *semi = memchr(buf, ';', len);
	if (semi == NULL)
		return -EINVAL;
	const char *c1 = memchr(p, ',', (size_t)(semi - p));
	const char *c2 = c1 == NULL ? NULL : memchr(c1 + 1, ',', (size_t)(semi - c1 - 1));
	if (c2 == NULL)
		return -EINVAL;
	const char *c3 = memchr(c2 + 1, ',', (size_t)(semi - c2 - 1));
	if (parse_span(p, c1, 0xffff, &prio) < 0 || parse_span(c1 + 1, c2, UINT64_MAX, &seq) < 0 ||
	    parse_span(c2 + 1, c3 != NULL ? c3 : semi, UINT64_MAX, &usec) < 0)
		return -EINVAL;
	p = semi + 1;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	r.prio = (unsigned)prio;
	r.seq = seq;
	r.text = p;
	r.text_len = (size_t)((nl != NULL ? nl : end) - p);
	/* Dictionary lines: " KEY=value". */
	for (const char *line = nl; line != NULL && line + 1 < end;) {
		const char *next = memchr(line + 1, '\n', (size_t)(end - line - 1));
		const char *lend = next != NULL ? next : end;
		const char *k = line + 1;
		if (k < lend && *k == ' ' && (size_t)(lend - k) >= 1 + 12 + 12 &&
		    memcmp(k + 1, "DEVICE=+pci:", 12) == 0 && (size_t)(lend - k) == 1 + 12 + 12) {
			char bdf[PARSE_BDF_SIZE];
			memcpy(bdf, k + 13, 12);
			bdf[12] = '\0';
			(void)parse_bdf(bdf, r.device);
		}
		line = next;
	}
	if (r.device[0] == '\0')
		device_from_text(r.text, r.text_len, r.device);
	*ret = r;
	return 0;
}
