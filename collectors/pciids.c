/* Streaming pci.ids lookup (see pciids.h): a line classifier and the line assembly around it. */
#include <string.h>

#include "../exporter/parse.h"
#include "pciids.h"

/* Bytes a line may hold before its newline: libpci's fgets() buffer less the newline and NUL. */
#define LINE_CONTENT_MAX (PCIIDS_LINE_MAX - 2)

static bool
white(char c)
{
	return c == ' ' || c == '\t';
}

/* "<digits hex><white><white...><name>" at p[0..len): libpci's form of every entry. */
static bool
entry(const char *p, size_t len, size_t digits, uint16_t *ret_id, const char **ret_name,
      size_t *ret_name_len)
{
	unsigned id = 0;

	if (len <= digits || !white(p[digits]))
		return false;
	for (size_t i = 0; i < digits; i++) {
		int d = parse_hex_digit(p[i]);
		if (d < 0)
			return false;
		id = id << 4 | (unsigned)d;
	}
	size_t i = digits + 1;
	while (i < len && white(p[i]))
		i++;
	if (i == len)
		return false;
	*ret_id = (uint16_t)id;
	*ret_name = p + i;
	*ret_name_len = len - i;
	return true;
}

void
pciids_parse_line(const char *line, size_t len, struct pciids_line *ret)
{
	size_t end = 0, depth = 0, i = 0;
	uint16_t id = 0;
	const char *name = NULL;
	size_t name_len = 0;

	*ret = (struct pciids_line){.kind = PCIIDS_MALFORMED};
	while (depth < len && line[depth] == '\t')
		depth++;
	ret->depth = (unsigned)depth;
	/* libpci ends a line at '\r' as well; a NUL before that is its "Line too long". */
	while (end < len && line[end] != '\r' && line[end] != '\n') {
		if (line[end] == '\0')
			return;
		end++;
	}
	if (end > 0 && white(line[end - 1]))
		end--;
	while (i < end && white(line[i]))
		i++;
	if (i == end || line[i] == '#') {
		ret->kind = PCIIDS_BLANK;
		return;
	}
	if (depth > end)
		depth = end;
	const char *p = line + depth;
	size_t n = end - depth;
	if (depth >= 2) {
		ret->kind = PCIIDS_NESTED;
	} else if (depth == 1) {
		if (entry(p, n, 4, &id, &name, &name_len))
			*ret = (struct pciids_line){PCIIDS_DEVICE, 1, id, name, name_len};
	} else if (n >= 2 && p[0] >= 'A' && p[0] <= 'Z' && p[1] == ' ') {
		/* Classes carry a name, a generic subsystem block a vendor ID and nothing else. */
		if (p[0] == 'C') {
			if (entry(p + 2, n - 2, 2, &id, &name, &name_len))
				ret->kind = PCIIDS_BLOCK;
		} else if (p[0] == 'S') {
			if (n == 6 && parse_hex_digit(p[2]) >= 0 && parse_hex_digit(p[3]) >= 0 &&
			    parse_hex_digit(p[4]) >= 0 && parse_hex_digit(p[5]) >= 0)
				ret->kind = PCIIDS_BLOCK;
		} else {
			ret->kind = PCIIDS_BLOCK;
		}
	} else if (entry(p, n, 4, &id, &name, &name_len)) {
		*ret = (struct pciids_line){PCIIDS_VENDOR, 0, id, name, name_len};
	}
}

void
pciids_scan_init(struct pciids_scan *s, uint16_t vendor, uint16_t device)
{
	memset(s, 0, sizeof(*s));
	s->vendor = vendor;
	s->device = device;
	s->block = PCIIDS_IN_NONE;
}

static void
malformed(struct pciids_scan *s)
{
	if (s->malformed++ == 0)
		s->first_malformed = s->lineno;
}

/* libpci's cut of a name that does not fit its buffer: the first size - 4 bytes and "...". */
static void
copy_name(struct pciids_scan *s, const char *name, size_t len)
{
	if (len < sizeof(s->name)) {
		memcpy(s->name, name, len);
		s->name[len] = '\0';
		return;
	}
	memcpy(s->name, name, sizeof(s->name) - 4);
	memcpy(s->name + sizeof(s->name) - 4, "...", 4);
}

static void
end_line(struct pciids_scan *s)
{
	struct pciids_line l;

	s->lineno++;
	pciids_parse_line(s->line, s->len, &l);
	if (s->overlong)
		l.kind = PCIIDS_MALFORMED; /* depth still comes from the part kept */
	s->len = 0;
	s->overlong = false;
	switch (l.kind) {
	case PCIIDS_BLANK:
	case PCIIDS_NESTED:
		break;
	case PCIIDS_VENDOR:
		s->block = l.id == s->vendor ? PCIIDS_IN_MATCH : PCIIDS_IN_VENDOR;
		break;
	case PCIIDS_BLOCK:
		s->block = PCIIDS_IN_OTHER;
		break;
	case PCIIDS_DEVICE:
		if (s->block == PCIIDS_IN_MATCH && l.id == s->device) {
			copy_name(s, l.name, l.name_len);
			s->found = true;
		} else if (s->block == PCIIDS_IN_NONE) {
			malformed(s);
		}
		break;
	case PCIIDS_MALFORMED:
		/* Depth 1 lines of class blocks ("\tss  name") are not devices, and not errors. */
		if (l.depth == 0) {
			s->block = PCIIDS_IN_NONE;
			malformed(s);
		} else if (l.depth == 1 && s->block != PCIIDS_IN_OTHER) {
			malformed(s);
		}
		break;
	}
}

bool
pciids_scan_feed(struct pciids_scan *s, const char *data, size_t n)
{
	size_t i = 0;

	while (!s->found && i < n) {
		const char *nl = memchr(data + i, '\n', n - i);
		size_t take = nl != NULL ? (size_t)(nl - (data + i)) : n - i;
		if (!s->overlong) {
			if (take > LINE_CONTENT_MAX - s->len) {
				/* Keep what fits: its leading tabs still tell the depth. */
				memcpy(s->line + s->len, data + i, LINE_CONTENT_MAX - s->len);
				s->len = LINE_CONTENT_MAX;
				s->overlong = true;
			} else {
				memcpy(s->line + s->len, data + i, take);
				s->len += take;
			}
		}
		i += take;
		if (nl != NULL) {
			i++;
			end_line(s);
		}
	}
	return s->found;
}

bool
pciids_scan_end(struct pciids_scan *s)
{
	if (!s->found && (s->len > 0 || s->overlong))
		end_line(s);
	return s->found;
}
