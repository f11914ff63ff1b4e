/* Bounded number parsing on top of strtoull/strtoll/strtod with errno reset and full-input checks. */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

/* The number must start at s[0] and end at end, optionally followed by a single newline. */
static int
check_bounds(const char *s, const char *end)
{
	if (end == s)
		return -EINVAL;
	if (*end == '\n')
		end++;
	return *end == '\0' ? 0 : -EINVAL;
}

/* Verdict on one strto* call. Junk after the digits outranks overflow: "99999999999999999999x" is
 * not a number at all, so it is -EINVAL rather than -ERANGE. */
static int
conversion_result(const char *s, const char *end, int err)
{
	int r = check_bounds(s, end);
	if (r < 0)
		return r;
	if (err == ERANGE)
		return -ERANGE;
	return err != 0 ? -EINVAL : 0;
}

static int
check_start(const char *s, int base, bool allow_sign)
{
	if (s == NULL || s[0] == '\0' || isspace((unsigned char)s[0]))
		return -EINVAL;
	if (!allow_sign && (s[0] == '-' || s[0] == '+'))
		return -EINVAL;
	if (base != 8 && base != 10 && base != 16)
		return -EINVAL;
	return 0;
}

int
parse_u64(const char *s, int base, uint64_t max, uint64_t *ret)
{
	int r = check_start(s, base, false);
	if (r < 0)
		return r;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	r = conversion_result(s, end, errno);
	if (r < 0)
		return r;
	if (v > max)
		return -ERANGE;
	*ret = (uint64_t)v;
	return 0;
}

int
parse_i64(const char *s, int base, int64_t min, int64_t max, int64_t *ret)
{
	int r = check_start(s, base, true);
	if (r < 0)
		return r;
	/* strtoll skips white space after a sign too; refuse "- 1". */
	if ((s[0] == '-' || s[0] == '+') && (s[1] == '\0' || isspace((unsigned char)s[1])))
		return -EINVAL;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, base);
	r = conversion_result(s, end, errno);
	if (r < 0)
		return r;
	if (v < min || v > max)
		return -ERANGE;
	*ret = (int64_t)v;
	return 0;
}

int
parse_double(const char *s, double *ret)
{
	if (s == NULL || s[0] == '\0' || isspace((unsigned char)s[0]))
		return -EINVAL;
	/* strtod also takes hex floats, "inf" and "nan": only plain decimals are wanted here. */
	for (const char *p = s; *p != '\0' && *p != '\n'; p++) {
		if (strchr("0123456789.+-eE", *p) == NULL)
			return -EINVAL;
	}
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	int r = conversion_result(s, end, errno);
	if (r < 0)
		return r;
	if (!isfinite(v))
		return -ERANGE;
	*ret = v;
	return 0;
}

static bool
all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

int
parse_bdf(const char *s, char *ret)
{
	char full[PARSE_BDF_SIZE];
	size_t n = s == NULL ? 0 : strlen(s);

	if (n == 7) { /* BB:DD.F */
		(void)snprintf(full, sizeof(full), "0000:%s", s);
	} else if (n == 12) {
		memcpy(full, s, 13);
	} else {
		return -EINVAL;
	}
	if (!all_hex(full, 4) || full[4] != ':' || !all_hex(full + 5, 2) || full[7] != ':' ||
	    !all_hex(full + 8, 2) || full[10] != '.' || full[11] < '0' || full[11] > '7')
		return -EINVAL;
	/* Device numbers stop at 0x1f. */
	unsigned dev = (unsigned)(isdigit((unsigned char)full[8]) ? full[8] - '0'
								   : (tolower(full[8]) - 'a' + 10));
	if (dev > 1)
		return -EINVAL;
	for (size_t i = 0; i < 12; i++)
		ret[i] = (char)tolower((unsigned char)full[i]);
	ret[12] = '\0';
	return 0;
}

int
parse_bdf_count(const char *s, char *ret_bdf, unsigned *ret_count)
{
	char bdf[32];
	uint64_t n;

	const char *eq = s == NULL ? NULL : strchr(s, '=');
	if (eq == NULL || (size_t)(eq - s) >= sizeof(bdf))
		return -EINVAL;
	memcpy(bdf, s, (size_t)(eq - s));
	bdf[eq - s] = '\0';
	char full[PARSE_BDF_SIZE];
	if (parse_bdf(bdf, full) < 0 || strchr(eq + 1, '\n') != NULL)
		return -EINVAL;
	int r = parse_u64(eq + 1, 10, 65535, &n);
	if (r < 0)
		return r;
	memcpy(ret_bdf, full, PARSE_BDF_SIZE);
	*ret_count = (unsigned)n;
	return 0;
}

int
parse_duration(const char *s, int64_t *ret_ns)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = {{"ms", 1000000LL}, {"s", 1000000000LL}, {"m", 60000000000LL},
		     {"h", 3600000000000LL}};
	int64_t total = 0;

	if (s == NULL || s[0] == '\0')
		return -EINVAL;
	if (strcmp(s, "0") == 0) {
		*ret_ns = 0;
		return 0;
	}
	for (const char *p = s; *p != '\0';) {
		uint64_t n = 0;
		const char *digits = p;
		while (*p >= '0' && *p <= '9') {
			if (n > (uint64_t)INT64_MAX / 10)
				return -ERANGE;
			n = n * 10 + (uint64_t)(*p++ - '0');
		}
		if (p == digits)
			return -EINVAL;
		size_t i = 0;
		/* "ms" before "m": the longest unit that matches. */
		while (i < sizeof(units) / sizeof(units[0]) &&
		       !(strncmp(p, units[i].unit, strlen(units[i].unit)) == 0 &&
			 !(units[i].unit[0] == 'm' && units[i].unit[1] == '\0' && p[1] == 's')))
			i++;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		p += strlen(units[i].unit);
		if (n > (uint64_t)(INT64_MAX - total) / (uint64_t)units[i].ns)
			return -ERANGE;
		total += (int64_t)n * units[i].ns;
	}
	*ret_ns = total;
	return 0;
}

int
parse_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
