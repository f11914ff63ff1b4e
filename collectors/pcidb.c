/* libpci wrapper for the capability list, and device names from our own streaming pci.ids lookup
 * (pciids.c). libpci reports fatal conditions through an error callback that must not return;
 * ours logs and jumps back to the call site, after which this pcidb's libpci side is retired
 * (libpci's state is unknown then) and later capability checks answer -ENODEV. */
#include <errno.h>
#include <fcntl.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../exporter/log.h"
#include "../exporter/parse.h"
#include "../exporter/xalloc.h"
#include "pcidb.h"
#include "pciids.h"

/* Below the rootfs fd; what libpci reads by default (Debian's pci.ids package). */
#define IDS_REL "usr/share/misc/pci.ids"
/* Today's file is 1.3 MB; reading stops here so a planted huge file costs bounded time. */
#define IDS_MAX_BYTES (16u << 20)
/* Distinct vendor:device pairs remembered; a host has a handful. Past this, the oldest goes. */
#define NAME_CACHE_MAX 64

/* libpci's callbacks carry no user pointer: one active call at a time (collectors run
 * serialised), whose jump buffer lives here. */
static jmp_buf *active_jump;

/* One looked-up pair; name NULL when pci.ids does not have it (or could not be read). */
struct name_entry {
	uint16_t vendor, device;
	char *name;
};

struct pcidb {
	struct pci_access *pacc;
	int sys_fd;
	int root_fd;
	bool broken;
	bool warned; /* about a damaged pci.ids, once */
	char sysfs_path[64];
	struct name_entry *names;
	size_t nnames;
	size_t next_evict; /* round robin once names is full */
};

static void __attribute__((noreturn, format(printf, 1, 2)))
on_error(char *msg, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, msg);
	(void)vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	log_msg(LOG_LEVEL_WARN, "sriov", 0, "libpci: %s", buf);
	if (active_jump != NULL)
		longjmp(*active_jump, 1);
	fatalx("libpci error outside a guarded call: %s", buf);
}

static void __attribute__((format(printf, 1, 2)))
on_warning(char *msg, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, msg);
	(void)vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	log_msg(LOG_LEVEL_DEBUG, "sriov", 0, "libpci: %s", buf);
}

static void __attribute__((format(printf, 1, 2)))
on_debug(char *msg, ...)
{
	(void)msg;
}

struct pcidb *
pcidb_open(int sys_fd, int root_fd)
{
	struct pcidb *db = xcalloc(1, sizeof(*db));
	jmp_buf jump;

	db->sys_fd = sys_fd;
	db->root_fd = root_fd;
	/* libpci takes paths, not fds: name our own fd, which keeps it inside the root. */
	(void)snprintf(db->sysfs_path, sizeof(db->sysfs_path),
		       "/proc/self/fd/%d/bus/pci", sys_fd); /* checksrc: path ok */
	db->pacc = pci_alloc();
	if (db->pacc == NULL) {
		free(db);
		return NULL;
	}
	db->pacc->error = on_error;
	db->pacc->warning = on_warning;
	db->pacc->debug = on_debug;
	db->pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	if (setjmp(jump) != 0) {
		active_jump = NULL;
		db->broken = true;
		return db;
	}
	active_jump = &jump;
	char param[] = "sysfs.path"; /* libpci takes non-const strings */
	(void)pci_set_param(db->pacc, param, db->sysfs_path);
	pci_init(db->pacc);
	active_jump = NULL;
	return db;
}

void
pcidb_close(struct pcidb *db)
{
	if (db == NULL)
		return;
	/* After a jump out of libpci its structures may be half-built; leaking them is safer. */
	if (!db->broken)
		pci_cleanup(db->pacc);
	for (size_t i = 0; i < db->nnames; i++)
		free(db->names[i].name);
	free(db->names);
	free(db);
}

/* Streams pci.ids from the rootfs fd through a lookup of vendor:device. Returns 1 with the name
 * in s->name, 0 when the file does not have it, -errno when it cannot be read (absent, not a
 * regular file: a FIFO would block, a directory has no text). */
static int
scan_ids(struct pcidb *db, struct pciids_scan *s)
{
	char chunk[8192];
	size_t total = 0;
	struct stat st;
	int r = 0;

	int fd = openat(db->root_fd, IDS_REL, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	while (total < IDS_MAX_BYTES) {
		size_t want = sizeof(chunk);
		if (want > IDS_MAX_BYTES - total)
			want = IDS_MAX_BYTES - total;
		ssize_t n = read(fd, chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (pciids_scan_feed(s, chunk, (size_t)n))
			break;
	}
	r = pciids_scan_end(s) ? 1 : 0;
	if (total >= IDS_MAX_BYTES && r == 0)
		r = -EFBIG;
out:
	(void)close(fd);
	return r;
}

static struct name_entry *
cached(struct pcidb *db, uint16_t vendor, uint16_t device)
{
	for (size_t i = 0; i < db->nnames; i++)
		if (db->names[i].vendor == vendor && db->names[i].device == device)
			return &db->names[i];
	return NULL;
}

static struct name_entry *
cache_slot(struct pcidb *db)
{
	if (db->nnames < NAME_CACHE_MAX) {
		db->names = xrealloc(db->names, (db->nnames + 1) * sizeof(*db->names));
		return &db->names[db->nnames++];
	}
	struct name_entry *e = &db->names[db->next_evict];
	db->next_evict = (db->next_evict + 1) % NAME_CACHE_MAX;
	free(e->name);
	return e;
}

/* Names are looked up once per pair and kept for the pcidb's life, found or not, as libpci kept
 * its database once loaded: a scrape after the first reads no file for them. */
void
pcidb_name(struct pcidb *db, unsigned vendor, unsigned device, char *buf, size_t size)
{
	struct pciids_scan scan;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (db == NULL || vendor > 0xffff || device > 0xffff)
		return;
	struct name_entry *e = cached(db, (uint16_t)vendor, (uint16_t)device);
	if (e == NULL) {
		pciids_scan_init(&scan, (uint16_t)vendor, (uint16_t)device);
		int r = scan_ids(db, &scan);
		if (r < 0 && r != -ENOENT && !db->warned) {
			log_msg(LOG_LEVEL_WARN, "sriov", -r, "cannot read %s: no device names",
				IDS_REL);
			db->warned = true;
		} else if (scan.malformed > 0 && !db->warned) {
			log_msg(LOG_LEVEL_WARN, "sriov", 0,
				"%s: skipped %lu malformed line(s), the first at line %lu", IDS_REL,
				scan.malformed, scan.first_malformed);
			db->warned = true;
		}
		e = cache_slot(db);
		*e = (struct name_entry){(uint16_t)vendor, (uint16_t)device,
					 r > 0 ? xstrdup(scan.name) : NULL};
	}
	if (e->name != NULL)
		(void)snprintf(buf, size, "%s", e->name);
}

/* libpci silently reads zeros where the kernel refuses config space (non-root users see only
 * the 64-byte header), which would look like "no capability". Check readability first. */
static int
ext_config_readable(int sys_fd, const char *bdf)
{
	char rel[64];
	unsigned char word[4];

	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/config", bdf);
	int fd = openat(sys_fd, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ssize_t n = pread(fd, word, sizeof(word), 0x100);
	int r = n < 0 ? -errno : n == (ssize_t)sizeof(word) ? 0 : -EACCES;
	(void)close(fd);
	return r;
}

int
pcidb_has_sriov(struct pcidb *db, const char *bdf)
{
	jmp_buf jump;
	unsigned domain, bus, dev, fn;
	int result;

	if (db == NULL || db->broken)
		return -ENODEV;
	int r = ext_config_readable(db->sys_fd, bdf);
	if (r < 0)
		return r;
	/* bdf is a validated "dddd:bb:dd.f" from pci.c. */
	char copy[PARSE_BDF_SIZE];
	uint64_t v;
	(void)snprintf(copy, sizeof(copy), "%s", bdf);
	copy[4] = copy[7] = copy[10] = '\0';
	if (parse_u64(copy, 16, 0xffff, &v) < 0)
		return -EINVAL;
	domain = (unsigned)v;
	if (parse_u64(copy + 5, 16, 0xff, &v) < 0)
		return -EINVAL;
	bus = (unsigned)v;
	if (parse_u64(copy + 8, 16, 0x1f, &v) < 0)
		return -EINVAL;
	dev = (unsigned)v;
	if (parse_u64(copy + 11, 16, 7, &v) < 0)
		return -EINVAL;
	fn = (unsigned)v;

	struct pci_dev *d = NULL;
	if (setjmp(jump) != 0) {
		active_jump = NULL;
		db->broken = true;
		return -EIO;
	}
	active_jump = &jump;
	d = pci_get_dev(db->pacc, (int)domain, (int)bus, (int)dev, (int)fn);
	(void)pci_fill_info(d, PCI_FILL_EXT_CAPS);
	result = pci_find_cap(d, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED) != NULL ? 1 : 0;
	pci_free_dev(d);
	active_jump = NULL;
	return result;
}
