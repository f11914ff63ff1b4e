/* Command-line plumbing shared by both binaries (the exporter and the privileged helper): the
 * one-line error contract and opening the root directories. Side: both. */
#ifndef EXPORTER_CLI_H
#define EXPORTER_CLI_H

#include <stddef.h>

/* Formats a flag error into err as one plain line (control characters from argv become '?', so
 * a hostile argument cannot add lines or terminal escapes). Always returns -EINVAL. */
int cli_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prints "<prog>: error: <msg>, try --help" on stderr and returns 2, the exit status for bad
 * command lines. */
int cli_usage_error(const char *prog, const char *msg);

/* Prints "<prog>: error: <file>: <msg>" on stderr (one line, control characters neutralised)
 * and returns 2: a configuration file the exporter cannot use is as fatal as a bad flag. */
int cli_config_error(const char *prog, const char *file, const char *msg);

/* Opens path as an O_PATH directory handle for flag --<flag>. Returns 0 and *ret_fd (caller
 * closes), or prints the one-line error and returns 2. */
int cli_open_root(const char *prog, const char *flag, const char *path, int *ret_fd);

#endif
