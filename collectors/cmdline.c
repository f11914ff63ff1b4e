/* Kernel command line tokenizer. Splits and groups like the kernel's next_arg() (spaces separate,
 * double quotes group, the first '=' splits name from value). It is stricter in two ways: every
 * double quote is dropped (the kernel keeps inner ones), and an unterminated quote is an error
 * rather than running to the end of the line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../exporter/xalloc.h"
#include "cmdline.h"

#define CMDLINE_MAX (64 * 1024)

bool
cmdline_name_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
		if (x != y)
			return false;
	}
	return *a == *b;
}

int
cmdline_parse(const char *line, cmdline_cb cb, void *arg)
{
	size_t len = strlen(line);
	if (len > CMDLINE_MAX)
		return -E2BIG;
	/* One scratch copy: tokens are cut in place and quotes squeezed out. */
	char *copy = xstrndup(line, len);
	char *p = copy;
	int count = 0;
	int r = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		char *tok = p, *w = p, *eq = NULL;
		bool quoted = false;
		for (; *p != '\0'; p++) {
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n'))
				break;
			if (*p == '=' && eq == NULL)
				eq = w;
			*w++ = *p;
		}
		bool more = *p != '\0';
		if (more)
			p++;
		*w = '\0';
		if (quoted) {
			r = -EINVAL;
			break;
		}
		const char *value = NULL;
		if (eq != NULL) {
			*eq = '\0';
			value = eq + 1;
		}
		count++;
		if (!cb(tok, value, arg) || !more)
			break;
	}
	free(copy);
	return r < 0 ? r : count;
}

struct get_state {
	const char *name;
	char *buf;
	size_t size;
	int result;
};

static bool
get_cb(const char *name, const char *value, void *arg)
{
	struct get_state *st = arg;

	if (!cmdline_name_eq(name, st->name))
		return true;
	if (value == NULL) {
		st->result = -ENODATA;
		return true;
	}
	size_t n = strlen(value);
	if (n >= st->size) {
		st->result = -EFBIG;
		return true;
	}
	memcpy(st->buf, value, n + 1);
	st->result = (int)n;
	return true;
}

int
cmdline_get(const char *line, const char *name, char *buf, size_t size)
{
	/* Collect into scratch space: buf is written only when the last occurrence fits. */
	struct get_state st = {name, xmalloc(size == 0 ? 1 : size), size, -ENOENT};

	int r = cmdline_parse(line, get_cb, &st);
	if (r < 0 && st.result == -ENOENT)
		st.result = r;
	if (st.result >= 0)
		memcpy(buf, st.buf, (size_t)st.result + 1);
	free(st.buf);
	return st.result;
}
