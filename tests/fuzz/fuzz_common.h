/* Shared by the libFuzzer targets: bounded, NUL-terminated copies of the fuzz input. */
#ifndef TESTS_FUZZ_COMMON_H
#define TESTS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd copy of data[0..size) with a NUL appended (size bounded to FUZZ_MAX_INPUT). The
 * copy is exactly size + 1 bytes so ASan sees any read past the terminator. */
static inline char *
fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s;

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* An exact-size malloc'd copy without terminator, for APIs taking (buf, len). */
static inline char *
fuzz_memdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	return s;
}

#endif
