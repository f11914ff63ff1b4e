/* DRM fdinfo parsing for the fdinfo collector.
 *
 * The kernel prints one "key:\tvalue" pair per line (drm_show_fdinfo() plus the driver's
 * show_fdinfo hook, after the generic pos/flags/mnt_id/ino lines). Nothing here trusts that:
 * every line, number and name is bounded and checked, a bad line is skipped and reported as a
 * problem bit, and the good lines around it still count, because one odd key in a future kernel
 * must not hide a client's busy time. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "fdinfo_parse.h"

/* Engine and region names become label values: keep them to what drivers print. */
static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= FDINFO_NAME_SIZE)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.')
			return false;
	}
	return true;
}

/* Splits "<number>[ <unit>]" in place: *ret_unit is "" without a unit. Exactly one space may
 * separate them; anything else is malformed. */
static int
split_unit(char *value, const char **ret_unit)
{
	char *sp = strchr(value, ' ');

	if (sp == NULL) {
		*ret_unit = "";
		return 0;
	}
	*sp = '\0';
	if (sp[1] == '\0' || strchr(sp + 1, ' ') != NULL)
		return -EINVAL;
	*ret_unit = sp + 1;
	return 0;
}

static int
parse_ns(char *value, uint64_t *ret)
{
	const char *unit;

	if (split_unit(value, &unit) < 0 || strcmp(unit, "ns") != 0)
		return -EINVAL;
	return parse_u64(value, 10, UINT64_MAX, ret);
}

/* Sizes: bare bytes (older kernels), or B, KiB, MiB (drm_print_memory_stats picks the largest
 * whole unit); GiB is accepted in case a kernel adds it. */
static int
parse_size(char *value, uint64_t *ret)
{
	static const struct {
		const char *name;
		unsigned shift;
	} units[] = {{"", 0}, {"B", 0}, {"KiB", 10}, {"MiB", 20}, {"GiB", 30}};
	const char *unit;
	uint64_t v;

	if (split_unit(value, &unit) < 0)
		return -EINVAL;
	int r = parse_u64(value, 10, UINT64_MAX, &v);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].name) != 0)
			continue;
		if (v > (UINT64_MAX >> units[i].shift))
			return -ERANGE;
		*ret = v << units[i].shift;
		return 0;
	}
	return -EINVAL;
}

static struct fdinfo_engine *
engine_slot(struct fdinfo_client *c, const char *name, unsigned *problems)
{
	for (size_t i = 0; i < c->nengines; i++) {
		if (strcmp(c->engines[i].name, name) == 0)
			return &c->engines[i];
	}
	if (c->nengines == FDINFO_ENGINES_MAX) {
		*problems |= FDINFO_TOO_MANY_KEYS;
		return NULL;
	}
	struct fdinfo_engine *e = &c->engines[c->nengines++];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, strlen(name) + 1);
	e->capacity = 1;
	return e;
}

static struct fdinfo_region *
region_slot(struct fdinfo_client *c, const char *name, unsigned *problems)
{
	for (size_t i = 0; i < c->nregions; i++) {
		if (strcmp(c->regions[i].name, name) == 0)
			return &c->regions[i];
	}
	if (c->nregions == FDINFO_REGIONS_MAX) {
		*problems |= FDINFO_TOO_MANY_KEYS;
		return NULL;
	}
	struct fdinfo_region *g = &c->regions[c->nregions++];
	memset(g, 0, sizeof(*g));
	memcpy(g->name, name, strlen(name) + 1);
	return g;
}

static bool
has_prefix(const char *s, const char *prefix, const char **ret_rest)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n) != 0)
		return false;
	*ret_rest = s + n;
	return true;
}

enum engine_field {
	FIELD_BUSY,
	FIELD_CAPACITY,
	FIELD_CYCLES,
	FIELD_TOTAL_CYCLES,
};

/* Per-engine keys: value parsed into the slot for name. Returns the problem bit or 0. */
static unsigned
engine_key(struct fdinfo_client *c, const char *name, char *value, enum engine_field field,
	   unsigned *problems)
{
	static const unsigned bad[] = {FDINFO_BAD_ENGINE, FDINFO_BAD_CAPACITY, FDINFO_BAD_CYCLES,
				       FDINFO_BAD_CYCLES};
	uint64_t v;
	int r;

	if (!valid_name(name))
		return bad[field];
	if (field == FIELD_BUSY)
		r = parse_ns(value, &v);
	else if (field == FIELD_CAPACITY)
		r = parse_u64(value, 10, 4096, &v); /* engines per class; 0 makes no sense */
	else
		r = parse_u64(value, 10, UINT64_MAX, &v);
	if (r < 0 || (field == FIELD_CAPACITY && v == 0))
		return bad[field];
	struct fdinfo_engine *e = engine_slot(c, name, problems);
	if (e == NULL)
		return 0;
	switch (field) {
	case FIELD_BUSY:
		e->busy_ns = v;
		e->has_busy = true;
		break;
	case FIELD_CAPACITY:
		e->capacity = (unsigned)v;
		break;
	case FIELD_CYCLES:
		e->cycles = v;
		e->has_cycles = true;
		break;
	case FIELD_TOTAL_CYCLES:
		e->total_cycles = v;
		e->has_total_cycles = true;
		break;
	}
	return 0;
}

static unsigned
memory_key(struct fdinfo_client *c, const char *name, char *value, bool alias, unsigned *problems)
{
	uint64_t v;

	if (!valid_name(name) || parse_size(value, &v) < 0)
		return FDINFO_BAD_MEMORY;
	/* drm-memory-<r> is the old name of drm-resident-<r>: the new key wins when both exist. */
	for (size_t i = 0; alias && i < c->nregions; i++) {
		if (strcmp(c->regions[i].name, name) == 0 && !c->regions[i].from_alias)
			return 0;
	}
	struct fdinfo_region *g = region_slot(c, name, problems);
	if (g == NULL)
		return 0;
	g->resident_bytes = v;
	g->from_alias = alias;
	return 0;
}

/* One "key:<white space>value" line, NUL-terminated and at most FDINFO_LINE_MAX long. */
static unsigned
parse_line(struct fdinfo_client *c, char *line, bool *driver_seen, unsigned *problems)
{
	const char *name;

	char *colon = strchr(line, ':');
	if (colon == NULL || colon == line)
		return FDINFO_BAD_LINE;
	for (const char *p = line; p < colon; p++) {
		if (!isgraph((unsigned char)*p))
			return FDINFO_BAD_LINE;
	}
	*colon = '\0';
	char *value = colon + 1;
	if (*value != '\t' && *value != ' ')
		return FDINFO_BAD_LINE;
	while (*value == '\t' || *value == ' ')
		value++;
	size_t vlen = strlen(value);
	while (vlen > 0 && isspace((unsigned char)value[vlen - 1]))
		value[--vlen] = '\0';
	if (vlen == 0)
		return FDINFO_BAD_LINE;
	for (size_t i = 0; i < vlen; i++) {
		if (!isprint((unsigned char)value[i]) && value[i] != '\t')
			return FDINFO_BAD_LINE;
	}

	if (strcmp(line, "drm-driver") == 0) {
		if (!valid_name(value))
			return FDINFO_BAD_DRIVER;
		memcpy(c->driver, value, vlen + 1);
		*driver_seen = true;
		return 0;
	}
	if (strcmp(line, "drm-client-id") == 0) {
		if (parse_u64(value, 10, UINT64_MAX, &c->client_id) < 0)
			return FDINFO_BAD_CLIENT_ID;
		c->has_client_id = true;
		return 0;
	}
	if (strcmp(line, "drm-pdev") == 0)
		return parse_bdf(value, c->pdev) < 0 ? FDINFO_BAD_PDEV : 0;
	/* Longest prefixes first: drm-engine-capacity- is also a drm-engine- key, and
	 * drm-total-cycles- also starts like the memory key drm-total-<region>. */
	if (has_prefix(line, "drm-engine-capacity-", &name))
		return engine_key(c, name, value, FIELD_CAPACITY, problems);
	if (has_prefix(line, "drm-engine-", &name))
		return engine_key(c, name, value, FIELD_BUSY, problems);
	if (has_prefix(line, "drm-total-cycles-", &name))
		return engine_key(c, name, value, FIELD_TOTAL_CYCLES, problems);
	if (has_prefix(line, "drm-cycles-", &name))
		return engine_key(c, name, value, FIELD_CYCLES, problems);
	if (has_prefix(line, "drm-resident-", &name))
		return memory_key(c, name, value, false, problems);
	if (has_prefix(line, "drm-memory-", &name))
		return memory_key(c, name, value, true, problems);
	/* pos, flags, mnt_id, ino, drm-total-, drm-shared-, drm-active-, drm-purgeable-, and keys
	 * of kernels to come: not used. */
	return 0;
}

int
fdinfo_parse(const char *text, size_t len, struct fdinfo_client *ret, unsigned *ret_problems)
{
	char line[FDINFO_LINE_MAX + 1];
	unsigned problems = 0;
	bool driver_seen = false;
	size_t lines = 0;

	memset(ret, 0, sizeof(*ret));
	if (len > FDINFO_FILE_MAX)
		len = FDINFO_FILE_MAX;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		size_t n = end - pos;
		const char *start = text + pos;
		pos = end + 1;
		if (n == 0)
			continue;
		if (++lines > FDINFO_LINES_MAX) {
			problems |= FDINFO_TOO_MANY_LINES;
			break;
		}
		if (n > FDINFO_LINE_MAX) {
			problems |= FDINFO_LONG_LINE;
			continue;
		}
		if (memchr(start, '\0', n) != NULL) {
			problems |= FDINFO_BAD_LINE;
			continue;
		}
		memcpy(line, start, n);
		line[n] = '\0';
		unsigned bit = parse_line(ret, line, &driver_seen, &problems);
		problems |= bit;
	}
	if (driver_seen && !ret->has_client_id)
		problems |= FDINFO_NO_CLIENT_ID;
	*ret_problems = problems;
	return driver_seen ? 1 : 0;
}

const char *
fdinfo_problem_what(unsigned bit)
{
	static const char *const what[FDINFO_PROBLEMS] = {
		"proc/*/fdinfo/*: malformed line",
		"proc/*/fdinfo/*: line longer than 256 bytes",
		"proc/*/fdinfo/*: more than 256 lines",
		"proc/*/fdinfo/*: malformed drm-driver line",
		"proc/*/fdinfo/*: malformed drm-client-id line",
		"proc/*/fdinfo/*: malformed drm-pdev line",
		"proc/*/fdinfo/*: malformed drm-engine line",
		"proc/*/fdinfo/*: malformed drm-engine-capacity line",
		"proc/*/fdinfo/*: malformed drm-cycles or drm-total-cycles line",
		"proc/*/fdinfo/*: malformed drm-resident or drm-memory line",
		"proc/*/fdinfo/*: more engine classes or memory regions than 16",
		"proc/*/fdinfo/*: drm-driver without drm-client-id",
	};

	for (unsigned i = 0; i < FDINFO_PROBLEMS; i++) {
		if (bit == 1u << i)
			return what[i];
	}
	return "proc/*/fdinfo/*: unknown problem";
}

const char *
fdinfo_engine_class(const char *name)
{
	static const char *const xe[][2] = {
		{"rcs", "render"}, {"bcs", "copy"}, {"vcs", "video"},
		{"vecs", "video-enhance"}, {"ccs", "compute"},
	};

	for (size_t i = 0; i < sizeof(xe) / sizeof(xe[0]); i++) {
		if (strcmp(name, xe[i][0]) == 0)
			return xe[i][1];
	}
	return name;
}
