/* Bounded reads of kernel attribute files relative to root fds.
 *
 * sysfs attributes must be read with a single read(): the kernel formats the whole value on the
 * first read and a second read at a non-zero offset can see a different, newer value, so stdio
 * (which may split reads) is never used here. Reported file sizes are meaningless (4096). */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"
#include "sysfs.h"
#include "xalloc.h"

int
sysfs_open_file(int dirfd, const char *rel, int flags)
{
	struct stat st;

	/* O_NONBLOCK: a FIFO planted where an attribute should be must not hang the scrape. */
	int fd = openat(dirfd, rel, flags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	int r = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	if (r < 0) {
		(void)close(fd);
		return r;
	}
	return fd;
}

ssize_t
sysfs_pread_str(int fd, char *buf, size_t size)
{
	if (size < 2)
		return -EINVAL;
	ssize_t r = pread(fd, buf, size - 1, 0);
	if (r < 0)
		return -errno;
	if ((size_t)r == size - 1)
		return -EFBIG;
	/* Attributes are text: a NUL byte is not kernel output, and every caller would silently
	 * see only the part before it (a command line missing its later parameters). */
	if (memchr(buf, '\0', (size_t)r) != NULL)
		return -EINVAL;
	if (r > 0 && buf[r - 1] == '\n')
		r--;
	buf[r] = '\0';
	return r;
}

ssize_t
sysfs_read_str(int dirfd, const char *rel, char *buf, size_t size)
{
	if (size < 2)
		return -EINVAL;
	int fd = sysfs_open_file(dirfd, rel, O_RDONLY);
	if (fd < 0)
		return fd;
	ssize_t r = sysfs_pread_str(fd, buf, size);
	(void)close(fd);
	return r;
}

int
sysfs_read_u64(int dirfd, const char *rel, int base, uint64_t max, uint64_t *ret_value)
{
	char buf[64];

	ssize_t n = sysfs_read_str(dirfd, rel, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return parse_u64(buf, base, max, ret_value);
}

ssize_t
sysfs_link_name(int dirfd, const char *rel, char *buf, size_t size)
{
	char target[4096];

	ssize_t n = readlinkat(dirfd, rel, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(target) - 1)
		return -EFBIG;
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	const char *base = strrchr(target, '/');
	base = base == NULL ? target : base + 1;
	size_t len = strlen(base);
	if (len == 0 || len >= size)
		return len == 0 ? -EINVAL : -EFBIG;
	memcpy(buf, base, len + 1);
	return (ssize_t)len;
}

int
sysfs_opendir(int dirfd, const char *rel, DIR **ret_dir)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		int r = -errno;
		(void)close(fd);
		return r;
	}
	*ret_dir = d;
	return 0;
}

int
sysfs_open_dir_fd(int dirfd, const char *rel)
{
	int fd = openat(dirfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* cppcheck-suppress resourceLeak ; false positive: the descriptor is returned to the caller */
	return fd < 0 ? -errno : fd;
}

ssize_t
sysfs_read_file(int dirfd, const char *rel, size_t max, char **ret)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;

	int fd = sysfs_open_file(dirfd, rel, O_RDONLY);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	/* The size may change while reading: read until EOF, never past max. */
	size_t cap = (size_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			r = -EFBIG;
			goto out;
		}
		if (len == cap) {
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	buf[len] = '\0';
	*ret = buf;
	buf = NULL;
	r = (ssize_t)len;
out:
	free(buf);
	(void)close(fd);
	return r;
}
