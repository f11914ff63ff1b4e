/* Kept descriptors for kernel attribute files: opened once, read with pread() at offset 0 on
 * every read, reopened when the file behind the path changed. Nothing here logs.
 *
 * Why a kept descriptor reads the current value, and how a change of the file is noticed:
 *
 * On sysfs (kernfs) a read at offset 0 runs the attribute's show() again (seq_file restarts at
 * position 0), so pread(fd, ..., 0) on a kept descriptor returns what a fresh open would. When
 * the attribute goes away (device removed, module unloaded) the kernel deactivates its node and
 * every read through an old descriptor fails with ENODEV; a node created later at the same path
 * is a new node. attr_read() then closes, opens the path again and retries once: on sysfs a
 * removed or re-created attribute is seen by the very next read.
 *
 * Any other file system, such as the fixture trees of the tests or a copy of /sys, holds ordinary
 * files: a file rewritten in place is seen at once, but one replaced by rename() or deleted keeps
 * its old content behind the kept descriptor and no read ever fails. So the path is resolved
 * again with fstatat() at most every ATTR_RECHECK_NS and the file reopened when its (st_dev,
 * st_ino) differs: there a replaced or removed file is seen within that bound.
 *
 * A failed open (absent, unreadable, not a regular file) is remembered for ATTR_RECHECK_NS as
 * well, so a missing attribute costs no system call per read; one that appears later (a module
 * loaded, a parameter made readable) is seen within that bound, on sysfs too. */
#ifndef EXPORTER_ATTR_H
#define EXPORTER_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How long a resolved path (or a failed open) is trusted before fstatat() checks it again. */
#define ATTR_RECHECK_NS (5LL * 1000000000LL)

/* One attribute. Callers read rel (to name the file when they report it) and leave the rest to
 * the functions below. */
struct attr {
	int dirfd;          /* borrowed: rel is resolved below it */
	char *rel;          /* owned copy */
	int fd;             /* kept descriptor, -1 when closed */
	int err;            /* > 0: errno of the last failed open, remembered until rechecked */
	dev_t dev;          /* identity of the file behind fd */
	ino_t ino;
	int64_t checked_ns; /* when rel was last resolved (open or fstatat) */
};

/* Sets a up for the regular file rel below dirfd (borrowed; must stay open while a is used).
 * Opens nothing yet. rel is copied. */
void attr_init(struct attr *a, int dirfd, const char *rel);

/* Closes the descriptor and frees the copy of rel; a may be zero-filled or already finished. */
void attr_fini(struct attr *a);

/* One pread() at offset 0 into buf (size includes the NUL), now_ns being monotonic time. Same
 * contract as sysfs_read_str(): returns the length with one trailing newline stripped, or -errno:
 * -EFBIG when the value did not fit, -EINVAL when rel is not a regular file or the value holds a
 * NUL byte, -ENOENT when absent. Never blocks on a FIFO. */
ssize_t attr_read(struct attr *a, char *buf, size_t size, int64_t now_ns);

/* A directory listed through a kept descriptor: rewound with lseek() and read with getdents64()
 * on every listing, which sees the directory's current entries on sysfs and on other file systems
 * alike. The directory itself being replaced (removed and made again) is what a kept descriptor
 * does not see (on sysfs it then lists nothing): the path is checked with fstatat() at most every
 * ATTR_RECHECK_NS and reopened when its (st_dev, st_ino) changed, and a failed open is remembered
 * for that bound. Set up with attr_dir_init(), listed, finished with attr_dir_fini(); one
 * attr_dir used only once costs what opendir()/readdir() would, minus two system calls. */
struct attr_dir {
	int dirfd;          /* borrowed: rel is resolved below it */
	char *rel;          /* owned copy */
	int fd;             /* kept O_RDONLY | O_DIRECTORY descriptor, -1 when closed */
	int err;            /* > 0: errno of the last failed open */
	bool have_id;       /* dev and ino are known (learnt at the first recheck) */
	dev_t dev;
	ino_t ino;
	int64_t checked_ns; /* when rel was last resolved */
	char *buf;          /* getdents64 buffer, allocated at the first listing */
};

/* Called for each entry but "." and ".."; name, borrowed for the call. type is a DT_* value
 * (DT_UNKNOWN where the file system does not say). */
typedef void (*attr_dir_fn)(void *arg, const char *name, ino_t ino, unsigned char type);

/* Sets d up for the directory rel below dirfd (borrowed). Opens nothing yet. */
void attr_dir_init(struct attr_dir *d, int dirfd, const char *rel);

/* Closes and frees; d may be zero-filled or already finished. */
void attr_dir_fini(struct attr_dir *d);

/* Calls fn for every entry of the directory now. Returns 0, or -errno (-ENOENT: absent,
 * -ENOTDIR: not a directory); entries already passed to fn before an error stay passed. */
int attr_dir_list(struct attr_dir *d, int64_t now_ns, attr_dir_fn fn, void *arg);

#endif
