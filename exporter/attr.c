/* Kept attribute descriptors read with pread() at offset 0 (see attr.h for why that is correct
 * on sysfs and how other trees are kept correct). The read itself is sysfs_pread_str(). */
#include <dirent.h>
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

#define DENTS_SIZE (32 * 1024)

void
attr_dir_init(struct attr_dir *d, int dirfd, const char *rel)
{
	memset(d, 0, sizeof(*d));
	d->dirfd = dirfd;
	d->rel = xstrdup(rel);
	d->fd = -1;
}

void
attr_dir_fini(struct attr_dir *d)
{
	if (d->rel != NULL && d->fd >= 0)
		(void)close(d->fd);
	free(d->rel);
	free(d->buf);
	d->rel = NULL;
	d->buf = NULL;
	d->fd = -1;
}

static void
dir_close(struct attr_dir *d)
{
	if (d->fd >= 0)
		(void)close(d->fd);
	d->fd = -1;
	d->have_id = false;
}

/* Whether the kept descriptor still is the directory at the path. Its own identity is learnt
 * here rather than at open, so a listing done once costs no fstat(). */
static bool
dir_still_there(struct attr_dir *d)
{
	struct stat st, own;

	if (fstatat(d->dirfd, d->rel, &st, 0) < 0)
		return false;
	if (!d->have_id) {
		if (fstat(d->fd, &own) < 0)
			return false;
		d->dev = own.st_dev;
		d->ino = own.st_ino;
		d->have_id = true;
	}
	return st.st_dev == d->dev && st.st_ino == d->ino;
}

int
attr_dir_list(struct attr_dir *d, int64_t now_ns, attr_dir_fn fn, void *arg)
{
	bool due = now_ns - d->checked_ns >= ATTR_RECHECK_NS || now_ns < d->checked_ns;

	if (d->fd >= 0 && due) {
		if (!dir_still_there(d))
			dir_close(d);
		d->checked_ns = now_ns;
	}
	if (d->fd < 0) {
		if (d->err != 0 && !due)
			return -d->err;
		d->checked_ns = now_ns;
		int fd = openat(d->dirfd, d->rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			d->err = errno;
			return -d->err;
		}
		d->fd = fd;
		d->err = 0;
	} else if (lseek(d->fd, 0, SEEK_SET) < 0) {
		int r = -errno;
		dir_close(d);
		return r;
	}
	if (d->buf == NULL)
		d->buf = xmalloc(DENTS_SIZE);
	for (;;) {
		ssize_t n = getdents64(d->fd, d->buf, DENTS_SIZE);
		if (n < 0) {
			int r = -errno;
			dir_close(d); /* reopened by the next listing */
			return r;
		}
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *de = (const void *)(d->buf + off);
			off += de->d_reclen;
			const char *name = de->d_name;
			if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
				continue;
			fn(arg, name, (ino_t)de->d_ino, de->d_type);
		}
	}
}
