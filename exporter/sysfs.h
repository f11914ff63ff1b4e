/* Reads below a root directory fd (sysfs, procfs or rootfs), never through absolute paths, so
 * fixture trees can stand in for the system. Helpers here log nothing above debug: callers log. */
#ifndef EXPORTER_SYSFS_H
#define EXPORTER_SYSFS_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Opens the regular file rel below dirfd with flags (O_RDONLY or O_WRONLY, plus O_NOFOLLOW if
 * wanted); O_CLOEXEC, O_NONBLOCK and O_NOCTTY are added. A FIFO, directory or device planted in
 * its place is refused with -EINVAL without blocking. Returns the fd (caller closes) or -errno. */
int sysfs_open_file(int dirfd, const char *rel, int flags);

/* One read() of the regular file rel below dirfd into buf (size includes the NUL). Returns the
 * length with one trailing newline stripped, or -errno: -EFBIG when the value did not fit,
 * -EINVAL when rel is not a regular file (directory, FIFO, device) or the value holds a NUL
 * byte. Never blocks on a FIFO. */
ssize_t sysfs_read_str(int dirfd, const char *rel, char *buf, size_t size);

/* sysfs_read_str() then parse_u64(); -EINVAL for junk, -ERANGE above max. */
int sysfs_read_u64(int dirfd, const char *rel, int base, uint64_t max, uint64_t *ret_value);

/* The same on a descriptor kept open (from sysfs_open_file()): one pread() at offset 0, which
 * makes sysfs format the value afresh. Kept descriptors go through attr.h, which also notices
 * a file replaced behind one. */
ssize_t sysfs_pread_str(int fd, char *buf, size_t size);

/* Last path component of the symlink rel (e.g. the driver name behind ".../driver").
 * Returns its length, -ENOENT when absent, -EINVAL when rel is not a symlink. */
ssize_t sysfs_link_name(int dirfd, const char *rel, char *buf, size_t size);

/* Opens the directory rel below dirfd for listing ("." for dirfd itself). Caller closedir()s. */
int sysfs_opendir(int dirfd, const char *rel, DIR **ret_dir);

/* Opens rel below dirfd as an O_PATH directory handle. Caller closes the fd. */
int sysfs_open_dir_fd(int dirfd, const char *rel);

/* Reads a whole regular file (a config file, not a sysfs attribute) of at most max bytes into a
 * NUL-terminated buffer the caller frees. Returns the length, -EFBIG when larger than max,
 * -EINVAL when not a regular file, -errno otherwise. */
ssize_t sysfs_read_file(int dirfd, const char *rel, size_t max, char **ret);

#endif
