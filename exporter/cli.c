/* Command-line plumbing shared by both binaries. Side: both. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int
cli_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (char *p = err; errlen > 0 && *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return -EINVAL;
}

int
cli_usage_error(const char *prog, const char *msg)
{
	(void)fprintf(stderr, "%s: error: %s, try --help\n", prog, msg);
	return 2;
}

int
cli_config_error(const char *prog, const char *file, const char *msg)
{
	char line[1024];

	(void)cli_error(line, sizeof(line), "%s: %s", file, msg);
	(void)fprintf(stderr, "%s: error: %s\n", prog, line);
	return 2;
}

int
cli_open_root(const char *prog, const char *flag, const char *path, int *ret_fd)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		char msg[512];
		(void)snprintf(msg, sizeof(msg), "flag --%s: cannot open directory '%s': %s", flag,
			       path, strerror(errno));
		return cli_usage_error(prog, msg);
	}
	*ret_fd = fd;
	return 0;
}
