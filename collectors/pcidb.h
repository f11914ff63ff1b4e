/* What sysfs alone does not give: device names from the PCI ID database (streamed from
 * usr/share/misc/pci.ids below the rootfs fd by pciids.c, only the pairs asked for kept) and,
 * through libpci, the capability list in config space (to cross-check sysfs' SR-IOV claim; libpci
 * is pointed at the sysfs fd as a /proc/self/fd/<fd>/... path). */
#ifndef COLLECTORS_PCIDB_H
#define COLLECTORS_PCIDB_H

#include <stddef.h>

struct pcidb;

/* Sets up libpci over sys_fd (sysfs root); names come from usr/share/misc/pci.ids below root_fd.
 * Both fds are borrowed for the pcidb's life. Returns NULL when libpci cannot be set up; callers
 * then report no names and no capability check. Caller frees with pcidb_close(). Not
 * thread-safe. */
struct pcidb *pcidb_open(int sys_fd, int root_fd);
void pcidb_close(struct pcidb *db);

/* Copies the device name from the ID database into buf (cut to size), "" when unknown or without
 * a database. The first call for a pair reads the file; the answer, found or not, is kept for
 * the pcidb's life (as libpci kept its loaded database). A damaged file is logged once. */
void pcidb_name(struct pcidb *db, unsigned vendor, unsigned device, char *buf, size_t size);

/* 1 when the PCIe SR-IOV extended capability is in bdf's config space, 0 when it is not,
 * -EACCES when config space past the standard header cannot be read (only root can), -errno
 * otherwise. */
int pcidb_has_sriov(struct pcidb *db, const char *bdf);

#endif
