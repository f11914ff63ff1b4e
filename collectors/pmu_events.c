/* Parsers for perf PMU sysfs descriptions and GPU engine names. Every loop is bounded by the
 * input or a small constant, numbers go through parse_u64 or a digit-counted reader, and outputs
 * are written only on success. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../exporter/parse.h"
#include "pmu_events.h"

/* More ranges than this in one format file is not something a GPU PMU publishes. */
#define MAX_RANGES 8
/* Longest number token in an events file: "0x" and 16 hex digits, or 20 decimal digits, plus
 * a little room for leading zeros. */
#define MAX_NUMBER 24

static const char *const class_names[PMU_CLASS_COUNT] = {
	"render", "copy", "video", "video-enhance", "compute",
};
static const char *const class_prefixes[PMU_CLASS_COUNT] = {"rcs", "bcs", "vcs", "vecs", "ccs"};

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* A decimal number of at most max_digits digits and at most max at *p; advances *p. A leading
 * zero is allowed only for the number 0 itself, so "07" cannot pass for 7. */
static int
read_decimal(const char **p, unsigned max_digits, unsigned max, unsigned *ret)
{
	const char *s = *p;
	unsigned v = 0, n = 0;

	while (is_digit(s[n])) {
		if (n == max_digits)
			return -EINVAL;
		v = v * 10 + (unsigned)(s[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && s[0] == '0') || v > max)
		return -EINVAL;
	*p = s + n;
	*ret = v;
	return 0;
}

/* End of input: nothing, or one newline and nothing. */
static bool
at_end(const char *p)
{
	return p[0] == '\0' || (p[0] == '\n' && p[1] == '\0');
}

int
pmu_format_parse(const char *text, uint64_t *ret_mask)
{
	const char *p = text;
	uint64_t mask = 0;

	if (strncmp(p, "config", 6) != 0)
		return -EINVAL;
	p += 6;
	if ((p[0] == '1' || p[0] == '2') && p[1] == ':')
		return -EOPNOTSUPP;
	if (p[0] != ':')
		return -EINVAL;
	p++;
	for (unsigned ranges = 0;; ranges++) {
		unsigned lo, hi;
		if (ranges == MAX_RANGES)
			return -EINVAL;
		if (read_decimal(&p, 2, 63, &lo) < 0)
			return -EINVAL;
		hi = lo;
		if (p[0] == '-') {
			p++;
			if (read_decimal(&p, 2, 63, &hi) < 0 || hi < lo)
				return -EINVAL;
		}
		uint64_t upto = hi == 63 ? UINT64_MAX : (UINT64_C(1) << (hi + 1)) - 1;
		uint64_t bits = upto & ~((UINT64_C(1) << lo) - 1);
		if ((mask & bits) != 0)
			return -EINVAL;
		mask |= bits;
		if (p[0] != ',')
			break;
		p++;
	}
	if (!at_end(p))
		return -EINVAL;
	*ret_mask = mask;
	return 0;
}

int
pmu_field_place(uint64_t mask, uint64_t value, uint64_t *config)
{
	uint64_t out = 0, v = value;

	for (unsigned bit = 0; bit < 64 && v != 0; bit++) {
		if (((mask >> bit) & 1) == 0)
			continue;
		if ((v & 1) != 0)
			out |= UINT64_C(1) << bit;
		v >>= 1;
	}
	if (v != 0)
		return -ERANGE;
	*config |= out;
	return 0;
}

static bool
is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit(ch) || ch == '_';
}

/* One value after '=': decimal or 0x-hex, ending at ',', a newline or the end. */
static int
read_value(const char **p, uint64_t *ret)
{
	char num[MAX_NUMBER + 1];
	const char *s = *p;
	size_t n = 0;

	while (s[n] != ',' && s[n] != '\n' && s[n] != '\0') {
		if (n == MAX_NUMBER)
			return -EINVAL;
		num[n] = s[n];
		n++;
	}
	num[n] = '\0';
	bool hex = n > 2 && num[0] == '0' && (num[1] == 'x' || num[1] == 'X');
	/* Only digits: parse_u64 would take a leading "0x" in base 16 but not a sign or blank,
	 * and both are rejected here anyway so the error is -EINVAL, not a surprise. */
	for (size_t i = hex ? 2 : 0; i < n; i++) {
		char ch = num[i];
		bool hexdigit = (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
		bool ok = is_digit(ch) || (hex && hexdigit);
		if (!ok)
			return -EINVAL;
	}
	int r = parse_u64(num, hex ? 16 : 10, UINT64_MAX, ret);
	if (r < 0)
		return r;
	*p = s + n;
	return 0;
}

int
pmu_event_parse(const char *text, struct pmu_term *terms, size_t max, size_t *ret_n)
{
	struct pmu_term t[PMU_MAX_TERMS];
	const char *p = text;
	size_t n = 0;

	if (max > PMU_MAX_TERMS)
		max = PMU_MAX_TERMS;
	for (;;) {
		size_t len = 0;
		while (is_name_char(p[len])) {
			if (len == PMU_NAME_SIZE - 1)
				return -EINVAL;
			len++;
		}
		if (len == 0)
			return -EINVAL;
		if (n == max)
			return -E2BIG;
		memcpy(t[n].name, p, len);
		t[n].name[len] = '\0';
		p += len;
		t[n].value = 1;
		if (p[0] == '=') {
			p++;
			int r = read_value(&p, &t[n].value);
			if (r < 0)
				return r;
		}
		for (size_t i = 0; i < n; i++) {
			if (strcmp(t[i].name, t[n].name) == 0)
				return -EINVAL;
		}
		n++;
		if (p[0] != ',')
			break;
		p++;
	}
	if (!at_end(p))
		return -EINVAL;
	memcpy(terms, t, n * sizeof(*t));
	*ret_n = n;
	return 0;
}

int
pmu_config_compose(const struct pmu_term *terms, size_t n, const struct pmu_format *formats,
		   size_t nformats, uint64_t *ret_config)
{
	uint64_t config = 0;

	for (size_t i = 0; i < n; i++) {
		const char *name = terms[i].name;
		if (strcmp(name, "config") == 0) {
			config |= terms[i].value;
			continue;
		}
		if (strcmp(name, "config1") == 0 || strcmp(name, "config2") == 0)
			return -EOPNOTSUPP;
		const struct pmu_format *f = NULL;
		for (size_t j = 0; j < nformats && f == NULL; j++) {
			if (strcmp(formats[j].name, name) == 0)
				f = &formats[j];
		}
		if (f == NULL)
			return -ENOENT;
		int r = pmu_field_place(f->mask, terms[i].value, &config);
		if (r < 0)
			return r;
	}
	*ret_config = config;
	return 0;
}

int
pmu_cpumask_first(const char *text, int *ret_cpu)
{
	const char *p = text;
	unsigned cpu;

	/* The kernel's NR_CPUS tops out at 8192; a wider number is not a CPU. */
	if (read_decimal(&p, 5, 65535, &cpu) < 0)
		return -EINVAL;
	if (p[0] != ',' && p[0] != '-' && !at_end(p))
		return -EINVAL;
	/* The rest is only checked for its alphabet: the first CPU is all the collector uses. */
	for (; p[0] != '\0' && !at_end(p); p++) {
		if (!is_digit(p[0]) && p[0] != ',' && p[0] != '-')
			return -EINVAL;
	}
	*ret_cpu = (int)cpu;
	return 0;
}

int
pmu_engine_parse(const char *name, unsigned *ret_class, unsigned *ret_instance)
{
	for (unsigned c = 0; c < PMU_CLASS_COUNT; c++) {
		size_t len = strlen(class_prefixes[c]);
		const char *p = name + len;
		unsigned instance;
		if (strncmp(name, class_prefixes[c], len) != 0)
			continue;
		if (read_decimal(&p, 3, 255, &instance) < 0 || p[0] != '\0')
			return -EINVAL;
		*ret_class = c;
		*ret_instance = instance;
		return 0;
	}
	return -EINVAL;
}

const char *
pmu_class_name(unsigned class)
{
	return class < PMU_CLASS_COUNT ? class_names[class] : NULL;
}

const char *
pmu_class_prefix(unsigned class)
{
	return class < PMU_CLASS_COUNT ? class_prefixes[class] : NULL;
}

enum pmu_i915_kind
pmu_i915_classify(const char *name, char *ret_engine, size_t engine_size, unsigned *ret_class,
		  unsigned *ret_gt)
{
	static const char busy[] = "-busy";
	static const char rc6[] = "rc6-residency";
	size_t len = strlen(name);

	if (len > sizeof(busy) - 1 && strcmp(name + len - (sizeof(busy) - 1), busy) == 0) {
		char engine[16];
		size_t elen = len - (sizeof(busy) - 1);
		unsigned class, instance;
		if (elen >= sizeof(engine) || elen >= engine_size)
			return PMU_I915_OTHER;
		memcpy(engine, name, elen);
		engine[elen] = '\0';
		if (pmu_engine_parse(engine, &class, &instance) < 0)
			return PMU_I915_OTHER;
		memcpy(ret_engine, engine, elen + 1);
		*ret_class = class;
		return PMU_I915_BUSY;
	}
	if (strncmp(name, rc6, sizeof(rc6) - 1) == 0) {
		const char *p = name + sizeof(rc6) - 1;
		unsigned gt = 0;
		if (p[0] == '\0') {
			*ret_gt = 0;
			return PMU_I915_RC6;
		}
		/* Multi-GT parts suffix GT-wide events with -gt<N> (the gt field is 4 bits). */
		if (strncmp(p, "-gt", 3) != 0)
			return PMU_I915_OTHER;
		p += 3;
		if (read_decimal(&p, 2, 15, &gt) < 0 || p[0] != '\0')
			return PMU_I915_OTHER;
		*ret_gt = gt;
		return PMU_I915_RC6;
	}
	if (strcmp(name, "interrupts") == 0)
		return PMU_I915_IRQ;
	return PMU_I915_OTHER;
}

int
pmu_name_for_bdf(const char *prefix, const char *bdf, char *buf, size_t size)
{
	char name[128];

	int n = snprintf(name, sizeof(name), "%s_%s", prefix, bdf);
	if (n < 0 || (size_t)n >= sizeof(name) || (size_t)n >= size)
		return -ENAMETOOLONG;
	for (char *p = name; *p != '\0'; p++) {
		if (*p == ':')
			*p = '_';
	}
	memcpy(buf, name, (size_t)n + 1);
	return 0;
}
