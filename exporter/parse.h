/* Bounded number parsing: explicit base and limits, no silent truncation. Replaces atoi/sscanf. */
#ifndef EXPORTER_PARSE_H
#define EXPORTER_PARSE_H

#include <stdint.h>

/* Each accepts exactly one number, optionally followed by one '\n'. Rejects empty input, leading
 * white space, a sign on unsigned values and trailing junk (-EINVAL), and values out of range
 * (-ERANGE). *ret is written only on success. Base 16 accepts an optional 0x prefix. */
int parse_u64(const char *s, int base, uint64_t max, uint64_t *ret);
int parse_i64(const char *s, int base, int64_t min, int64_t max, int64_t *ret);
/* A finite decimal number ("10", "9.5"); -EINVAL for NaN, infinities and junk. */
int parse_double(const char *s, double *ret);

#endif
