/* Parser for `dkms status` lines. Only the tests feed it (the collector reads the DKMS tree
 * itself), but it is written like any parser of outside text: every field has a length limit and
 * a character set, and anything unexpected is rejected rather than guessed at. */
#include <errno.h>
#include <string.h>

#include "dkms_status.h"

static const char *const state_names[] = {
	[DKMS_STATUS_OTHER] = "other",         [DKMS_STATUS_ADDED] = "added",
	[DKMS_STATUS_BROKEN] = "broken",       [DKMS_STATUS_BUILT] = "built",
	[DKMS_STATUS_INSTALLED] = "installed", [DKMS_STATUS_INSTALLED_WEAK] = "installed-weak",
};

const char *
dkms_status_state_name(enum dkms_status_state s)
{
	if ((size_t)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "other";
	return state_names[s];
}

/* A span of the input line: fields are not NUL-terminated until copied out. */
struct span {
	const char *p;
	size_t n;
};

/* Module names, versions, kernel releases and arches are single path components that dkms builds
 * directory names from; they never hold white space, '/', ',' or ':'. */
static bool
field_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       strchr("._+~-", ch) != NULL;
}

static int
copy_field(struct span s, char *dst, size_t size)
{
	if (s.n == 0)
		return -EINVAL;
	if (s.n >= size)
		return -EFBIG;
	for (size_t i = 0; i < s.n; i++) {
		if (!field_char(s.p[i]))
			return -EINVAL;
	}
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return 0;
}

/* Finds the last occurrence of the two bytes ": " in s, or NULL. */
static const char *
last_colon_space(struct span s)
{
	for (size_t i = s.n; i >= 2; i--) {
		if (s.p[i - 2] == ':' && s.p[i - 1] == ' ')
			return s.p + i - 2;
	}
	return NULL;
}

/* Splits the left side at ", " into at most 5 parts (one more than valid, to detect excess). */
static size_t
split_commas(struct span s, struct span *parts, size_t max)
{
	size_t n = 0;
	const char *start = s.p, *end = s.p + s.n;

	for (const char *q = s.p; q + 1 < end; q++) {
		if (q[0] != ',' || q[1] != ' ')
			continue;
		if (n + 1 == max)
			return max; /* too many: the caller rejects the line */
		parts[n++] = (struct span){start, (size_t)(q - start)};
		start = q + 2;
		q++;
	}
	parts[n++] = (struct span){start, (size_t)(end - start)};
	return n;
}

static enum dkms_status_state
state_kind(const char *word)
{
	for (size_t i = 1; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (strcmp(word, state_names[i]) == 0)
			return (enum dkms_status_state)i;
	}
	return DKMS_STATUS_OTHER;
}

static int
parse_right(struct span s, struct dkms_status_line *l)
{
	size_t w = 0;

	while (w < s.n && s.p[w] != ' ')
		w++;
	if (w == 0)
		return -EINVAL;
	if (w >= sizeof(l->state))
		return -EFBIG;
	for (size_t i = 0; i < w; i++) {
		/* State words are lower-case with dashes: "installed-weak". */
		if (!((s.p[i] >= 'a' && s.p[i] <= 'z') || s.p[i] == '-'))
			return -EINVAL;
	}
	memcpy(l->state, s.p, w);
	l->state[w] = '\0';
	l->kind = state_kind(l->state);

	size_t rest = w;
	while (rest < s.n && s.p[rest] == ' ')
		rest++;
	size_t end = s.n;
	while (end > rest && s.p[end - 1] == ' ')
		end--;
	if (end - rest >= sizeof(l->note))
		return -EFBIG;
	memcpy(l->note, s.p + rest, end - rest);
	l->note[end - rest] = '\0';
	return 0;
}

int
dkms_status_parse_line(const char *line, size_t len, struct dkms_status_line *ret)
{
	struct dkms_status_line l;
	struct span parts[5];
	int r;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > DKMS_STATUS_LINE_MAX)
		return -EFBIG;
	for (size_t i = 0; i < len; i++) {
		/* Also rejects embedded NULs and a second line. */
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return -EINVAL;
	}
	memset(&l, 0, sizeof(l));

	/* The state and its note are right of the last ": "; the names left of it never contain
	 * one, so a note with ": " inside would make the left side invalid, never misread. */
	const char *colon = last_colon_space((struct span){line, len});
	if (colon == NULL)
		return -EINVAL;
	struct span left = {line, (size_t)(colon - line)};
	struct span right = {colon + 2, len - left.n - 2};

	size_t n = split_commas(left, parts, sizeof(parts) / sizeof(parts[0]));
	size_t first_kernel;
	const char *slash = memchr(parts[0].p, '/', parts[0].n);
	if (slash != NULL) {
		/* "name/ver" (dkms >= 2.8.6), then optionally kver, arch. */
		if (n != 1 && n != 3)
			return -EINVAL;
		struct span name = {parts[0].p, (size_t)(slash - parts[0].p)};
		struct span ver = {slash + 1, parts[0].n - name.n - 1};
		r = copy_field(name, l.module, sizeof(l.module));
		if (r == 0)
			r = copy_field(ver, l.version, sizeof(l.version));
		first_kernel = 1;
	} else {
		/* "name, ver" (dkms 2.8.0-2.8.5 and installed-weak lines), then optionally kver,
		 * arch. */
		if (n != 2 && n != 4)
			return -EINVAL;
		l.comma_form = true;
		r = copy_field(parts[0], l.module, sizeof(l.module));
		if (r == 0)
			r = copy_field(parts[1], l.version, sizeof(l.version));
		first_kernel = 2;
	}
	if (r < 0)
		return r;
	bool has_kernel = n > first_kernel;
	if (has_kernel) {
		r = copy_field(parts[first_kernel], l.kernel, sizeof(l.kernel));
		if (r == 0)
			r = copy_field(parts[first_kernel + 1], l.arch, sizeof(l.arch));
		if (r < 0)
			return r;
	}
	r = parse_right(right, &l);
	if (r < 0)
		return r;
	switch (l.kind) {
	case DKMS_STATUS_ADDED:
	case DKMS_STATUS_BROKEN:
		if (has_kernel)
			return -EINVAL;
		break;
	case DKMS_STATUS_BUILT:
	case DKMS_STATUS_INSTALLED:
	case DKMS_STATUS_INSTALLED_WEAK:
		if (!has_kernel)
			return -EINVAL;
		break;
	case DKMS_STATUS_OTHER:
		break;
	}
	*ret = l;
	return 0;
}
