/* Discovery of GPU PCI functions in sysfs: which are SR-IOV physical functions, which are virtual
 * functions of which PF, their drivers and IOMMU groups. Shared by the collectors that report per
 * GPU function; reads only plain attributes and links (never sriov_numvfs, which can block). */
#ifndef COLLECTORS_PCI_H
#define COLLECTORS_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../exporter/collector.h"
#include "../exporter/parse.h"

enum pci_role {
	PCI_ROLE_NONE, /* neither: a GPU without SR-IOV, or a VF seen inside a guest */
	PCI_ROLE_PF,   /* has sriov_totalvfs */
	PCI_ROLE_VF,   /* has a physfn link */
};

struct pci_fn {
	char bdf[PARSE_BDF_SIZE];
	enum pci_role role;
	char pf[PARSE_BDF_SIZE]; /* VF: its PF; "" otherwise */
	unsigned vf_number;      /* VF: 1-based (virtfn0 is VF 1); 0 when not found */
	char driver[64];         /* bound driver, "" when unbound */
	long iommu_group;        /* -1 without an IOMMU group */
	unsigned vendor;
	unsigned device;
	uint32_t class_code;
};

struct pci_list {
	struct pci_fn *fns; /* sorted by bdf */
	size_t n;
};

/* Which PCI classes count as GPU functions: class-code prefixes of 2, 4 or 6 hex digits
 * ("03" = every display controller, "0108" = NVMe). Default "03". Call before any thread uses
 * this module (main does, from --sriov.device-class); the strings are borrowed. Returns -EINVAL
 * for a malformed prefix and keeps the old setting. */
int pci_set_device_classes(const char *const *prefixes, size_t n);
/* True when a "03"-style prefix is well formed. */
bool pci_device_class_valid(const char *prefix);

/* Lists the functions of the device classes above (display by default: SR-IOV NICs are no GPUs)
 * under sys/bus/pci/devices of sys_fd. Unusable
 * entries are reported with collector_skip(c, ...) and left out. Caller frees with
 * pci_list_free(). Returns 0 (an empty list when there is no PCI bus) or -errno. */
int pci_list_gpus(struct collector *c, int sys_fd, struct pci_list *ret);
void pci_list_free(struct pci_list *l);

/* The entry for bdf, or NULL. Borrowed from l. */
const struct pci_fn *pci_find(const struct pci_list *l, const char *bdf);

/* Closes the descriptor scans keep on bus/pci/devices and frees what they remember; the next
 * scan starts afresh. main() calls it when no thread scans any more, before closing the roots. */
void pci_forget(void);

/* Changes whenever a scan finds a PCI function added, removed or re-read: what depends only on
 * which devices exist (IOMMU group membership) can be kept while it stays the same. */
uint64_t pci_generation(void);

/* VFs enabled now: the PF's virtfn* links, counted without the device lock that reading
 * sriov_numvfs takes. Returns the count or -errno. */
int pci_count_vfs(int sys_fd, const char *pf_bdf);

#endif
