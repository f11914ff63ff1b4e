/* Where users make their VF count survive a reboot, read back so the exporter knows the intended
 * count: sysfsutils (etc/sysfs.conf, etc/sysfs.d/ *.conf), systemd-tmpfiles ("w" lines on
 * .../sriov_numvfs) and udev rules (ATTR{sriov_numvfs}="N" with KERNEL=="<BDF>"). */
#ifndef COLLECTORS_PERSIST_H
#define COLLECTORS_PERSIST_H

#include <stddef.h>

#include "../exporter/parse.h"

struct persist_entry {
	char bdf[PARSE_BDF_SIZE];
	unsigned count;
	char source[160]; /* "etc/sysfs.conf:3" */
};

struct persist {
	struct persist_entry *entries; /* one per PF, sorted by bdf */
	size_t n;
};

/* Line parsers, exposed for tests. Each returns 1 and fills ret_bdf/ret_count for a line that
 * sets sriov_numvfs, 0 for a line about something else (comments, other attributes), -EINVAL
 * for a sriov_numvfs line it cannot use (no PCI address, bad number). */
int persist_parse_sysfsconf(const char *line, char *ret_bdf, unsigned *ret_count);
int persist_parse_tmpfiles(const char *line, char *ret_bdf, unsigned *ret_count);
int persist_parse_udev(const char *line, char *ret_bdf, unsigned *ret_count);

/* Reads every source below root_fd. Precedence when several name the same PF: sysfs.conf, then
 * tmpfiles.d, then udev rules; within one kind the file systemd/sysfsutils would apply last wins.
 * skip(arg, what, err) reports unusable lines and files. Caller frees with persist_free(). */
int persist_load(int root_fd, struct persist *ret, void (*skip)(void *arg, const char *what, int err),
		 void *arg);
void persist_free(struct persist *p);
const struct persist_entry *persist_find(const struct persist *p, const char *bdf);

#endif
