/* libpci wrapper. libpci reports fatal conditions through an error callback that must not
 * return; ours logs and jumps back to the call site, after which this pcidb is retired (libpci's
 * state is unknown then) and later calls answer "unknown". */
#include <errno.h>
#include <fcntl.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../exporter/log.h"
#include "../exporter/parse.h"
#include "../exporter/xalloc.h"
#include "pcidb.h"

/* libpci's callbacks carry no user pointer: one active call at a time (collectors run
 * serialised), whose jump buffer lives here. */
static jmp_buf *active_jump;

struct pcidb {
	struct pci_access *pacc;
	int sys_fd;
	bool broken;
	char sysfs_path[64];
	char ids_path[96];
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
	/* libpci takes paths, not fds: name our own fds, which keeps it inside the roots. */
	(void)snprintf(db->sysfs_path, sizeof(db->sysfs_path),
		       "/proc/self/fd/%d/bus/pci", sys_fd); /* checksrc: path ok */
	(void)snprintf(db->ids_path, sizeof(db->ids_path),
		       "/proc/self/fd/%d/usr/share/misc/pci.ids", root_fd); /* checksrc: path ok */
	db->pacc = pci_alloc();
	if (db->pacc == NULL) {
		free(db);
		return NULL;
	}
	db->pacc->error = on_error;
	db->pacc->warning = on_warning;
	db->pacc->debug = on_debug;
	db->pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	pci_set_name_list_path(db->pacc, db->ids_path, 0);
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
	free(db);
}

void
pcidb_name(struct pcidb *db, unsigned vendor, unsigned device, char *buf, size_t size)
{
	char name[256];
	jmp_buf jump;
	const char *r = NULL;

	buf[0] = '\0';
	if (db == NULL || db->broken || size == 0)
		return;
	if (setjmp(jump) != 0) {
		active_jump = NULL;
		db->broken = true;
		return;
	}
	active_jump = &jump;
	r = pci_lookup_name(db->pacc, name, sizeof(name),
			    PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB,
			    (int)vendor, (int)device);
	active_jump = NULL;
	if (r != NULL)
		(void)snprintf(buf, size, "%s", r);
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
