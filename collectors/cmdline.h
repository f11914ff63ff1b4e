/* Parser for the kernel command line (proc/cmdline), close to the kernel's own tokenizer:
 * space-separated, double quotes group spaces and are removed, '-' and '_' are the same in names. */
#ifndef COLLECTORS_CMDLINE_H
#define COLLECTORS_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* Called for each parameter in order; value is NULL for a bare word ("quiet"). Both strings are
 * borrowed for the duration of the call. Return false to stop. */
typedef bool (*cmdline_cb)(const char *name, const char *value, void *arg);

/* Tokenizes line (not modified). Returns the number of parameters seen, -EINVAL for an unterminated
 * quote (parameters before it were still reported) or -E2BIG for a line over 64 KiB. */
int cmdline_parse(const char *line, cmdline_cb cb, void *arg);

/* Copies the value of the last occurrence of name (dashes and underscores equal) into buf.
 * Returns its length, -ENOENT when absent, -ENODATA for a bare word, -EFBIG when too long. */
int cmdline_get(const char *line, const char *name, char *buf, size_t size);

/* True when a and b name the same parameter ('-' == '_'). */
bool cmdline_name_eq(const char *a, const char *b);

#endif
