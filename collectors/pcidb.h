/* libpci for what sysfs alone does not give: device names from the PCI ID database and the
 * capability list in config space (to cross-check sysfs' SR-IOV claim). Both are read through the
 * root fds: libpci is pointed at /proc/self/fd/<fd>/... paths. */
#ifndef COLLECTORS_PCIDB_H
#define COLLECTORS_PCIDB_H

#include <stddef.h>

struct pcidb;

/* Sets up libpci over sys_fd (sysfs root) and root_fd (for usr/share/misc/pci.ids). Returns NULL
 * when libpci cannot be set up; callers then report no names and no capability check. Caller
 * frees with pcidb_close(). Not thread-safe. */
struct pcidb *pcidb_open(int sys_fd, int root_fd);
void pcidb_close(struct pcidb *db);

/* Copies the device name from the ID database into buf, "" when unknown or without a database. */
void pcidb_name(struct pcidb *db, unsigned vendor, unsigned device, char *buf, size_t size);

/* 1 when the PCIe SR-IOV extended capability is in bdf's config space, 0 when it is not,
 * -EACCES when config space past the standard header cannot be read (only root can), -errno
 * otherwise. */
int pcidb_has_sriov(struct pcidb *db, const char *bdf);

#endif
