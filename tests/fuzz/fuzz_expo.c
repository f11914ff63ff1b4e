/* libFuzzer target: the exposition builder and renderer (exporter/expo.h): label value escaping
 * and UTF-8 sanitising, HELP escaping, name validation. The input is NUL-separated parts: the
 * first is a family's HELP text, the others label values (and also tried as metric and label
 * names). Both formats are rendered and checked: valid UTF-8, no NUL, and every line starts like a
 * sample or a comment (an unescaped newline would break that). */
#include <stdbool.h>

#include "fuzz_common.h"
#include "buf.h"
#include "expo.h"

#define FUZZ_EXPO_PARTS 16

static bool
valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static void
check(const struct buf *b)
{
	const char *p, *end;

	if (!b->len)
		return;
	if (memchr(b->data, '\0', b->len) || !valid_utf8((const unsigned char *)b->data, b->len))
		abort();
	for (p = b->data, end = b->data + b->len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char c = *p;

		if (!(c == '#' || c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			abort();
		if (!nl)
			break;
		p = nl + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *parts[FUZZ_EXPO_PARTS] = {NULL}; /* the loop below always sets parts[0] */
	size_t nparts = 0;
	struct expo *e, *e2;
	struct buf out = BUF_INIT;
	const char *p, *end;
	double v;
	char vbuf[32];

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	s = fuzz_strdup(data, size);
	for (p = s, end = s + size; nparts < FUZZ_EXPO_PARTS;) {
		parts[nparts++] = (char *)(uintptr_t)p;
		p += strlen(p) + 1;
		if (p > end)
			break;
	}
	e = expo_new();
	e2 = expo_new();
	for (size_t i = 0; i < nparts; i++) {
		const char *help = parts[0][0] ? parts[0] : "help";
		const char *val = parts[i];

		v = (double)(int64_t)(strlen(val) * 977 + i) / 7.0;
		(void)expo_add(e, "fuzz_info", EXPO_GAUGE, help, 1,
			       EXPO_LABELS({"value", val}, {"index", i % 2 ? "odd" : "even"}));
		(void)expo_add(e, "fuzz_events_total", EXPO_COUNTER, "Events.", v,
			       EXPO_LABELS({"a", val}));
		/* Fuzz bytes as names: must be refused unless valid. */
		(void)expo_add(e2, val, EXPO_GAUGE, help, v, EXPO_LABELS({"x", val}));
		(void)expo_add(e2, "fuzz_label_names", EXPO_GAUGE, "Label names.", v,
			       EXPO_LABELS({val, "y"}));
		memcpy(&v, val, strlen(val) >= sizeof(v) ? sizeof(v) : 0);
		expo_format_value(v, vbuf, sizeof(vbuf));
	}
	/* HELP and label values are both made valid UTF-8 (expo.h): the output always is. */
	(void)expo_can_merge(e, e2);
	(void)expo_merge(e, e2);
	(void)expo_samples(e);
	expo_render(e, EXPO_FORMAT_TEXT, &out);
	check(&out);
	buf_reset(&out);
	expo_render(e, EXPO_FORMAT_OPENMETRICS, &out);
	check(&out);
	buf_free(&out);
	expo_free(e2);
	expo_free(e);
	free(s);
	return 0;
}
