/* GPU PCI function discovery from sysfs. One listing of sys/bus/pci/devices per scan, on a kept
 * descriptor; the fixed facts of each function are read when its directory entry is new, and
 * only the bound driver (one readlink) on every scan. */
#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../exporter/log.h"
#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "pci.h"

#define DEVICES "bus/pci/devices"
/* A sane upper bound: 256 buses x 32 devices x 8 functions would be 65536; GPUs are far fewer. */
#define MAX_GPU_FNS 4096

#define MAX_CLASSES 8

struct class_prefix {
	uint32_t value;
	unsigned shift; /* bits below the prefix */
};

static struct class_prefix classes[MAX_CLASSES] = {{0x03, 16}};
static size_t nclasses = 1;

bool
pci_device_class_valid(const char *prefix)
{
	size_t n = strlen(prefix);

	if (n != 2 && n != 4 && n != 6)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)prefix[i]))
			return false;
	}
	return true;
}

int
pci_set_device_classes(const char *const *prefixes, size_t n)
{
	struct class_prefix next[MAX_CLASSES];

	if (n == 0 || n > MAX_CLASSES)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		if (!pci_device_class_valid(prefixes[i]) ||
		    parse_u64(prefixes[i], 16, 0xffffff, &v) < 0)
			return -EINVAL;
		next[i].value = (uint32_t)v;
		next[i].shift = (unsigned)(24 - 4 * strlen(prefixes[i]));
	}
	memcpy(classes, next, n * sizeof(next[0]));
	nclasses = n;
	return 0;
}

static bool
class_wanted(uint32_t code)
{
	for (size_t i = 0; i < nclasses; i++) {
		if ((code >> classes[i].shift) == classes[i].value)
			return true;
	}
	return false;
}

static int
cmp_fn(const void *a, const void *b)
{
	return strcmp(((const struct pci_fn *)a)->bdf, ((const struct pci_fn *)b)->bdf);
}

static struct pci_fn *
lookup(struct pci_fn *fns, size_t n, const char *bdf)
{
	struct pci_fn key;

	if (n == 0)
		return NULL;
	(void)snprintf(key.bdf, sizeof(key.bdf), "%s", bdf);
	/* cppcheck-suppress uninitvar ; cmp_fn() reads only key.bdf, which is set */
	return bsearch(&key, fns, n, sizeof(*fns), cmp_fn);
}

const struct pci_fn *
pci_find(const struct pci_list *l, const char *bdf)
{
	return lookup(l->fns, l->n, bdf);
}

void
pci_list_free(struct pci_list *l)
{
	free(l->fns);
	l->fns = NULL;
	l->n = 0;
}

static void
skip(struct collector *c, const char *bdf, const char *attr, int err)
{
	char what[320];

	(void)snprintf(what, sizeof(what), DEVICES "/%s/%s", bdf, attr);
	collector_skip(c, what, err);
}

/* What a scan remembers of a function between calls: everything but the bound driver is fixed
 * for as long as the device exists, and a device that is removed and added again (VFs after a
 * sriov_numvfs write) gets a new directory entry, so the entry's inode number says whether the
 * remembered facts still hold. Skips found while reading them are replayed on every call, so a
 * bad value is still counted in every scrape. */
#define MAX_SKIPS 4
#define STATIC_MAX_AGE_NS (60LL * 1000000000LL)

struct skip_note {
	char what[96];
	int err;
};

struct known_fn {
	char name[PARSE_BDF_SIZE];
	ino_t ino;
	int64_t read_ns;   /* when the fixed facts were read */
	bool retry;        /* reading them failed: read again next scan, keep nothing */
	bool seen;         /* in the current listing */
	bool gpu;          /* a wanted class: the rest is filled only then */
	bool numbered;     /* vf_number looked up */
	struct pci_fn fn;  /* all but driver */
	char link[64];     /* driver link text last checked, and whether it loops */
	bool link_loops;
	int driver_err;    /* the last scan's driver link error to report (0: none) */
	struct skip_note skips[MAX_SKIPS];
	size_t nskips;
};

static struct {
	pthread_mutex_t lock; /* the collectors and the watchdog thread both scan */
	dev_t dev;            /* identity of the bus/pci/devices directory listed */
	ino_t ino;
	int devices;          /* O_RDONLY directory fd of bus/pci/devices, -1 when not open */
	struct known_fn *fns;
	size_t n;
	char *dents;          /* getdents64 buffer */
	size_t dents_size;
	_Atomic uint64_t generation; /* bumped whenever a function appears, goes or is re-read */
	/* The last scan's list, handed again to the other collectors of the same scrape (several
	 * report per GPU function): one scan per scrape, not one per collector. */
	uint64_t memo_scrape;
	int memo_sys_fd; /* the root the memo was listed below */
	struct pci_fn *memo;
	size_t nmemo;
} known = {PTHREAD_MUTEX_INITIALIZER, 0, 0, -1, NULL, 0, NULL, 0, 0, 0, -1, NULL, 0};

static void
note_skip(struct known_fn *k, const char *attr, int err)
{
	if (k->nskips == MAX_SKIPS)
		return;
	/* A copy: GCC cannot tell that the name and the note, both in *k, do not overlap. */
	char name[sizeof(k->name)];
	memcpy(name, k->name, sizeof(name));
	struct skip_note *s = &k->skips[k->nskips++];
	(void)snprintf(s->what, sizeof(s->what), DEVICES "/%s/%s", name, attr);
	s->err = err;
}

static void
replay_skips(struct collector *c, const struct known_fn *k)
{
	for (size_t i = 0; i < k->nskips; i++)
		collector_skip(c, k->skips[i].what, k->skips[i].err);
}

/* Reads the fixed facts of one function (class first: most functions are no GPU). */
static void
read_fixed(struct known_fn *k, int64_t now)
{
	uint64_t v;
	char link[32];
	struct pci_fn *fn = &k->fn;

	k->read_ns = now;
	k->retry = false;
	k->gpu = false;
	k->numbered = false;
	k->nskips = 0;
	k->link[0] = '\0';
	memset(fn, 0, sizeof(*fn));
	memcpy(fn->bdf, k->name, PARSE_BDF_SIZE);
	fn->iommu_group = -1;
	int dev = sysfs_open_dir_fd(known.devices, k->name);
	if (dev < 0) {
		note_skip(k, "", -dev);
		k->retry = true;
		return;
	}
	int r = sysfs_read_u64(dev, "class", 16, 0xffffff, &v);
	if (r < 0) {
		if (r != -ENOENT)
			note_skip(k, "class", -r);
		k->retry = true;
		goto out;
	}
	fn->class_code = (uint32_t)v;
	if (!class_wanted(fn->class_code))
		goto out;
	k->gpu = true;
	r = sysfs_read_u64(dev, "vendor", 16, 0xffff, &v);
	if (r == 0)
		fn->vendor = (unsigned)v;
	else
		note_skip(k, "vendor", -r);
	k->retry |= r < 0;
	r = sysfs_read_u64(dev, "device", 16, 0xffff, &v);
	if (r == 0)
		fn->device = (unsigned)v;
	else
		note_skip(k, "device", -r);
	k->retry |= r < 0;
	ssize_t n = sysfs_link_name(dev, "iommu_group", link, sizeof(link));
	if (n >= 0) {
		int64_t g;
		if (parse_i64(link, 10, 0, INT32_MAX, &g) == 0)
			fn->iommu_group = (long)g;
		else
			note_skip(k, "iommu_group", EINVAL);
	} else if (n != -ENOENT) {
		note_skip(k, "iommu_group", (int)-n);
	}
	k->retry |= n < 0 && n != -ENOENT;
	n = sysfs_link_name(dev, "physfn", link, sizeof(link));
	if (n >= 0) {
		if (parse_bdf(link, fn->pf) == 0)
			fn->role = PCI_ROLE_VF;
		else
			note_skip(k, "physfn", EINVAL);
	} else if (faccessat(dev, "sriov_totalvfs", F_OK, 0) == 0) {
		fn->role = PCI_ROLE_PF;
	}
	k->retry |= n < 0 && n != -ENOENT;
out:
	(void)close(dev);
}

/* The bound driver: the only fact read on every scan. The name comes from the link text, which a
 * dangling link still has; a link that loops (driver -> driver) names no driver at all. The loop
 * check runs only when the text changes. */
static void
read_driver(struct collector *c, struct known_fn *k, struct pci_fn *out)
{
	char rel[PARSE_BDF_SIZE + 8];

	(void)snprintf(rel, sizeof(rel), "%s/driver", k->name);
	ssize_t n = sysfs_link_name(known.devices, rel, out->driver, sizeof(out->driver));
	if (n >= 0 && strcmp(out->driver, k->link) != 0) {
		struct stat st;
		k->link_loops = fstatat(known.devices, rel, &st, 0) < 0 && errno == ELOOP;
		(void)snprintf(k->link, sizeof(k->link), "%s", out->driver);
	}
	if (n >= 0 && k->link_loops)
		n = -ELOOP;
	k->driver_err = 0;
	if (n < 0) {
		out->driver[0] = '\0';
		k->link[0] = '\0';
		if (n != -ENOENT)
			k->driver_err = (int)-n;
	}
	if (k->driver_err != 0)
		skip(c, k->name, "driver", k->driver_err);
}

/* VF numbers come from the PF's side: virtfnN points at VF N+1. Looked up once per VF. */
static void
number_vfs(struct collector *c, struct known_fn *pf)
{
	DIR *d = NULL;
	struct dirent *de;

	if (sysfs_opendir(known.devices, pf->name, &d) < 0)
		return;
	while ((de = readdir(d)) != NULL) {
		char target[32], vf[PARSE_BDF_SIZE];
		uint64_t idx;
		if (strncmp(de->d_name, "virtfn", 6) != 0)
			continue;
		if (parse_u64(de->d_name + 6, 10, 65535, &idx) < 0 ||
		    sysfs_link_name(dirfd(d), de->d_name, target, sizeof(target)) < 0 ||
		    parse_bdf(target, vf) < 0) {
			skip(c, pf->name, de->d_name, EINVAL);
			continue;
		}
		for (size_t i = 0; i < known.n; i++) {
			struct known_fn *k = &known.fns[i];
			if (k->gpu && k->fn.role == PCI_ROLE_VF && strcmp(k->name, vf) == 0 &&
			    strcmp(k->fn.pf, pf->name) == 0) {
				k->fn.vf_number = (unsigned)idx + 1;
				k->numbered = true;
			}
		}
	}
	(void)closedir(d);
}

/* The listing comes in the same order every time: looking from where the last match was makes
 * this linear in the number of functions instead of quadratic. */
static struct known_fn *
known_entry(const char *name, ino_t ino, int64_t now, size_t *hint, bool *ret_new)
{
	for (size_t j = 0; j < known.n; j++) {
		size_t i = (*hint + j) % known.n;
		struct known_fn *k = &known.fns[i];
		if (strcmp(k->name, name) != 0)
			continue;
		*ret_new = k->retry || k->ino != ino || now - k->read_ns >= STATIC_MAX_AGE_NS;
		k->ino = ino;
		*hint = i + 1;
		return k;
	}
	if (known.n == MAX_GPU_FNS)
		return NULL;
	known.fns = xrealloc(known.fns, (known.n + 1) * sizeof(*known.fns));
	struct known_fn *k = &known.fns[known.n++];
	memset(k, 0, sizeof(*k));
	memcpy(k->name, name, PARSE_BDF_SIZE);
	k->ino = ino;
	*ret_new = true;
	return k;
}

/* Points the cache at sys_fd's tree, dropping what was learnt from another root (tests open
 * several fixture trees in one process). Returns 0 or -errno (-ENOENT: no PCI bus). */
static int
known_open(int sys_fd)
{
	struct stat st;

	/* The listed directory's own identity: a tree deleted and another made at the same path
	 * (tests) must not be answered from the old one's entries. */
	if (fstatat(sys_fd, DEVICES, &st, 0) < 0)
		return -errno;
	if (known.devices >= 0 && st.st_dev == known.dev && st.st_ino == known.ino)
		return 0;
	if (known.devices >= 0)
		(void)close(known.devices);
	known.devices = -1;
	known.n = 0;
	atomic_fetch_add(&known.generation, 1);
	int fd = openat(sys_fd, DEVICES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	known.devices = fd;
	known.dev = st.st_dev;
	known.ino = st.st_ino;
	if (known.dents == NULL) {
		known.dents_size = 64 * 1024;
		known.dents = xmalloc(known.dents_size);
	}
	return 0;
}

/* One listing of bus/pci/devices on the kept descriptor: rewinding re-reads the live directory. */
static int
list_devices(struct collector *c, int64_t now)
{
	size_t hint = 0;

	for (size_t i = 0; i < known.n; i++)
		known.fns[i].seen = false;
	if (lseek(known.devices, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		ssize_t n = getdents64(known.devices, known.dents, known.dents_size);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *de = (const void *)(known.dents + off);
			off += de->d_reclen;
			char bdf[PARSE_BDF_SIZE];
			bool fresh;
			if (de->d_name[0] == '.')
				continue;
			if (parse_bdf(de->d_name, bdf) < 0 || strcmp(bdf, de->d_name) != 0) {
				collector_skip(c, DEVICES ": an entry that is not a PCI address",
					       EINVAL);
				continue;
			}
			struct known_fn *k = known_entry(bdf, de->d_ino, now, &hint, &fresh);
			if (k == NULL) {
				collector_skip(c, DEVICES ": more functions than the limit", E2BIG);
				continue;
			}
			k->seen = true;
			if (fresh) {
				read_fixed(k, now);
				atomic_fetch_add(&known.generation, 1);
			}
		}
	}
	/* Forget what is gone. */
	size_t w = 0;
	for (size_t i = 0; i < known.n; i++) {
		if (known.fns[i].seen)
			known.fns[w++] = known.fns[i];
	}
	if (w != known.n)
		atomic_fetch_add(&known.generation, 1);
	known.n = w;
	return 0;
}

/* The list this scrape's first scan made, with its skips reported again for this collector.
 * Returns false when there is none (first caller of the scrape, or the watchdog). */
static bool
memo_list(struct collector *c, int sys_fd, struct pci_list *ret)
{
	/* Scrape ids are unique in the process and a scrape's collectors share one sysfs root, so
	 * the same id and descriptor mean the same tree (tests run several trees in one process,
	 * but never two in one scrape): no fstatat() needed to tell. */
	if (c == NULL || known.memo == NULL || known.memo_scrape == 0 ||
	    known.memo_scrape != collector_scrape_id(c) || known.devices < 0 ||
	    known.memo_sys_fd != sys_fd)
		return false;
	for (size_t i = 0; i < known.n; i++) {
		replay_skips(c, &known.fns[i]);
		if (known.fns[i].gpu && known.fns[i].driver_err != 0)
			skip(c, known.fns[i].name, "driver", known.fns[i].driver_err);
	}
	ret->n = known.nmemo;
	ret->fns = known.nmemo > 0 ? xmalloc(known.nmemo * sizeof(*ret->fns)) : NULL;
	if (known.nmemo > 0)
		memcpy(ret->fns, known.memo, known.nmemo * sizeof(*ret->fns));
	return true;
}

int
pci_list_gpus(struct collector *c, int sys_fd, struct pci_list *ret)
{
	struct pci_list l = {NULL, 0};
	int64_t now = monotonic_ns();

	(void)pthread_mutex_lock(&known.lock);
	if (memo_list(c, sys_fd, ret)) {
		(void)pthread_mutex_unlock(&known.lock);
		return 0;
	}
	int r = known_open(sys_fd);
	if (r == 0)
		r = list_devices(c, now);
	if (r < 0) {
		/* The descriptor may be stale (a fixture tree replaced): start over next time. */
		if (known.devices >= 0)
			(void)close(known.devices);
		known.devices = -1;
		known.n = 0;
		(void)pthread_mutex_unlock(&known.lock);
		if (r == -ENOENT) {
			*ret = l;
			return 0;
		}
		return r;
	}
	for (size_t i = 0; i < known.n; i++) {
		struct known_fn *k = &known.fns[i];
		if (k->gpu && k->fn.role == PCI_ROLE_PF) {
			bool unnumbered = false;
			for (size_t j = 0; j < known.n && !unnumbered; j++)
				unnumbered = known.fns[j].gpu && !known.fns[j].numbered &&
					     known.fns[j].fn.role == PCI_ROLE_VF &&
					     strcmp(known.fns[j].fn.pf, k->name) == 0;
			if (unnumbered)
				number_vfs(c, k);
		}
	}
	for (size_t i = 0; i < known.n; i++)
		replay_skips(c, &known.fns[i]);
	/* Room for every function, of which the GPUs are kept: one pass, no count to trust. */
	l.fns = xcalloc(known.n > 0 ? known.n : 1, sizeof(*l.fns));
	for (size_t i = 0; i < known.n; i++) {
		struct known_fn *k = &known.fns[i];
		if (!k->gpu)
			continue;
		/* A VF whose PF listing did not name it keeps number 0, as before. */
		k->numbered = true;
		l.fns[l.n] = k->fn;
		read_driver(c, k, &l.fns[l.n]);
		l.n++;
	}
	if (l.n > 1)
		qsort(l.fns, l.n, sizeof(*l.fns), cmp_fn);
	known.memo_scrape = c != NULL ? collector_scrape_id(c) : 0;
	known.memo_sys_fd = sys_fd;
	known.memo = xrealloc(known.memo, (l.n > 0 ? l.n : 1) * sizeof(*known.memo));
	if (l.n > 0)
		memcpy(known.memo, l.fns, l.n * sizeof(*l.fns));
	known.nmemo = l.n;
	(void)pthread_mutex_unlock(&known.lock);
	*ret = l;
	return 0;
}


void
pci_forget(void)
{
	(void)pthread_mutex_lock(&known.lock);
	if (known.devices >= 0)
		(void)close(known.devices);
	known.devices = -1;
	free(known.fns);
	free(known.dents);
	free(known.memo);
	known.fns = NULL;
	known.dents = NULL;
	known.memo = NULL;
	known.n = known.nmemo = 0;
	known.memo_scrape = 0;
	atomic_fetch_add(&known.generation, 1);
	(void)pthread_mutex_unlock(&known.lock);
}

uint64_t
pci_generation(void)
{
	return atomic_load(&known.generation);
}

int
pci_count_vfs(int sys_fd, const char *pf_bdf)
{
	char rel[64], dents[8192];
	int n = 0;

	/* getdents64() on the descriptor, not opendir(): fdopendir() would add an fstat() and two
	 * fcntl() calls to every scrape for nothing a directory of our own opening needs. */
	(void)snprintf(rel, sizeof(rel), DEVICES "/%s", pf_bdf);
	int fd = openat(sys_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t len = getdents64(fd, dents, sizeof(dents));
		if (len < 0) {
			n = -errno;
			break;
		}
		if (len == 0)
			break;
		for (ssize_t off = 0; off < len;) {
			const struct dirent64 *de = (const void *)(dents + off);
			off += de->d_reclen;
			if (strncmp(de->d_name, "virtfn", 6) == 0)
				n++;
		}
	}
	(void)close(fd);
	return n;
}
