/* Bounded number parsing on top of strtoull/strtoll/strtod with errno reset and full-input checks. */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
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
