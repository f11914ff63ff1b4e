/* Bounded number parsing: explicit base and limits, no silent truncation. Replaces atoi/sscanf. */
#ifndef EXPORTER_PARSE_H
#define EXPORTER_PARSE_H

#include <stdint.h>

/* The value of one hex digit (either case), or -1. */
int parse_hex_digit(char c);

/* Each accepts exactly one number, optionally followed by one '\n'. Rejects empty input, leading
 * white space, a sign on unsigned values and trailing junk (-EINVAL), and values out of range
 * (-ERANGE). *ret is written only on success. Base 16 accepts an optional 0x prefix. */
int parse_u64(const char *s, int base, uint64_t max, uint64_t *ret);
int parse_i64(const char *s, int base, int64_t min, int64_t max, int64_t *ret);
/* A finite decimal number ("10", "9.5"); -EINVAL for NaN, infinities and junk. */
int parse_double(const char *s, double *ret);

/* A Go-style duration: one or more <number><unit> with units ms, s, m, h ("30s", "1h30m",
 * "500ms"); a bare "0" is zero. Into ret_ns; -EINVAL for junk, -ERANGE above ~292 years. */
int parse_duration(const char *s, int64_t *ret_ns);

/* A PCI address: "DDDD:BB:DD.F" or "BB:DD.F" (domain 0000), hex in either case. Writes the full
 * lower-case form into ret (13 bytes) and returns 0, or -EINVAL. */
#define PARSE_BDF_SIZE 13
int parse_bdf(const char *s, char *ret);

/* "BDF=N" as in --sriov.expected-vfs: full BDF into ret_bdf (PARSE_BDF_SIZE), N (0..65535) into
 * ret_count. Returns 0 or -EINVAL / -ERANGE. */
int parse_bdf_count(const char *s, char *ret_bdf, unsigned *ret_count);

#endif
