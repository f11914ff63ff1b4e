/* Kept attribute descriptors read with pread() at offset 0 (see attr.h for why that is correct
 * on sysfs and how other trees are kept correct). The read itself is sysfs_pread_str(). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attr.h"
#include "sysfs.h"
#include "xalloc.h"

void
attr_init(struct attr *a, int dirfd, const char *rel)
{
	memset(a, 0, sizeof(*a));
	a->dirfd = dirfd;
	a->rel = xstrdup(rel);
	a->fd = -1;
}

static void
close_fd(struct attr *a)
{
	if (a->fd >= 0)
		(void)close(a->fd);
	a->fd = -1;
}

void
attr_fini(struct attr *a)
{
	/* A zero-filled struct has fd 0, which is not ours: only an initialised one owns its fd. */
	if (a->rel != NULL)
		close_fd(a);
	free(a->rel);
	a->rel = NULL;
	a->fd = -1;
}

/* Whether the last resolution of the path is too old to trust (or the clock went back). */
static bool
due(const struct attr *a, int64_t now_ns)
{
	return now_ns - a->checked_ns >= ATTR_RECHECK_NS || now_ns < a->checked_ns;
}

static int
open_file(struct attr *a, int64_t now_ns)
{
	struct stat st;

	a->checked_ns = now_ns;
	/* O_NONBLOCK: a FIFO planted where an attribute should be must not hang the scrape. */
	int fd = openat(a->dirfd, a->rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		a->err = errno;
		return -a->err;
	}
	int e = fstat(fd, &st) < 0 ? errno : S_ISREG(st.st_mode) ? 0 : EINVAL;
	if (e != 0) {
		(void)close(fd);
		a->err = e;
		return -e;
	}
	a->fd = fd;
	a->err = 0;
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	return 0;
}

ssize_t
attr_read(struct attr *a, char *buf, size_t size, int64_t now_ns)
{
	bool fresh = false;
	int r;

	if (size < 2)
		return -EINVAL;
	if (a->fd >= 0 && due(a, now_ns)) {
		struct stat st;
		if (fstatat(a->dirfd, a->rel, &st, 0) == 0 && st.st_dev == a->dev &&
		    st.st_ino == a->ino)
			a->checked_ns = now_ns;
		else
			close_fd(a); /* replaced or removed: open the path again below */
	}
	if (a->fd < 0) {
		if (a->err != 0 && !due(a, now_ns))
			return -a->err;
		r = open_file(a, now_ns);
		if (r < 0)
			return r;
		fresh = true;
	}
	ssize_t n = sysfs_pread_str(a->fd, buf, size);
	/* ENODEV: the sysfs node behind the kept descriptor was removed; the path may name a new
	 * one (a device or module that came back). ESTALE: the same on network file systems. */
	if (!fresh && (n == -ENODEV || n == -ESTALE)) {
		close_fd(a);
		r = open_file(a, now_ns);
		if (r < 0)
			return r;
		n = sysfs_pread_str(a->fd, buf, size);
	}
	return n;
}
