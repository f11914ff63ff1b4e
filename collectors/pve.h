/* Proxmox VE VM configuration: which host PCI functions each VM on this node is configured to
 * take (hostpciN lines, mapping= entries resolved through the node's PCI mappings). Files are read
 * below the root fds; parsing itself is pure (pve_config_parse) so it can be tested and fuzzed. */
#ifndef COLLECTORS_PVE_H
#define COLLECTORS_PVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PVE_MAX_VMS 1024
#define PVE_MAX_HOSTPCI 16         /* hostpci0..hostpci15, as in qemu-server */
#define PVE_MAX_ADDRESSES 64       /* per hostpci entry, after expansion */
#define PVE_MAX_LINE 4096          /* longer lines are skipped */
#define PVE_MAX_FILE (1024 * 1024) /* larger config or mapping files are skipped */
/* VM configs are all held until they are parsed: past this many bytes in all, the remaining
 * (highest) vmids are skipped, so a flooded etc/pve cannot take PVE_MAX_VMS * PVE_MAX_FILE. */
#define PVE_MAX_CONFIGS_TOTAL (16 * PVE_MAX_FILE)

struct pve_hostpci {
	unsigned index; /* N of hostpciN */
	char raw[256];  /* the property string as written, truncated */
	/* Resolved full BDFs "0000:00:02.1" in the order written (a function-less "00:02" expands,
	 * sorted, to every function of that device present under sys/bus/pci/devices; a mapping=
	 * resolves through etc/pve/mapping/pci.cfg entries for the local node, every alternative
	 * counted). An address that does not exist on this host is kept, normalised ("0000:00:02"
	 * for a function-less device with no function present), with present[i] false. */
	char **addresses;
	size_t naddresses;
	bool whole_device; /* written without a function ("00:02") */
	bool *present;     /* per address: listed under sys/bus/pci/devices */
	/* mapping= id, empty for host=; no addresses when it has no entry for the local node. */
	char mapping[128];
	bool pcie; /* pcie=1 */
};

struct pve_vm {
	unsigned vmid;
	char name[128];              /* "name:" key, may be empty */
	char machine[64];            /* "machine:" value as written, empty when absent */
	char arch[16];               /* "arch:" value, empty when absent (the host's, x86_64) */
	struct pve_hostpci *hostpci; /* sorted by index */
	size_t nhostpci;
};

struct pve_config {
	struct pve_vm *vms; /* sorted by vmid */
	size_t nvms;
	char node[64]; /* local node name (etc/hostname, first label) */
	bool found;    /* etc/pve exists: this is a Proxmox VE host */
	/* Set by pve_cache_load(): unique in the process for one set of sys/bus/pci/devices entries
	 * (names and inodes; a device added again is a new entry). What depends only on which
	 * device sits at an address may be kept while it stays the same. 0 otherwise. */
	uint64_t devices_gen;
};

/* Called for each unusable file, line or entry: what names it (e.g.
 * "etc/pve/qemu-server/101.conf:7"), err is a positive errno. Both borrowed for the call. */
typedef void (*pve_skip_fn)(void *arg, const char *what, int err);

/* Reads etc/pve/qemu-server/<vmid>.conf (main section only: stop at the first line starting with
 * '['), etc/pve/mapping/pci.cfg and etc/hostname below root_fd, and resolves addresses against
 * sys/bus/pci/devices below sys_fd. Returns 0 and *ret (free with pve_config_free()), an empty
 * config with found false when there is no etc/pve, or -errno (e.g. -EACCES: etc/pve is only
 * readable by root and www-data). skip(arg, what, err) is called for each unusable file or line
 * (may be NULL). */
int pve_config_load(int root_fd, int sys_fd, struct pve_config **ret, pve_skip_fn skip, void *arg);

void pve_config_free(struct pve_config *c);

/* What pve_config_load() read, kept to answer the next load cheaply: a file is read again only
 * when its identity (device, inode, size, mtime, ctime) changed or it is 5 minutes old, and the
 * parsed config is reused when no input changed (see pve.c). */
struct pve_cache;

/* A kept file is read again once this old, changed or not. */
#define PVE_CACHE_MAX_AGE_NS (300LL * 1000000000LL)
/* While nothing changes, the addresses in use are checked to resolve this often (see pve.c). */
#define PVE_DEVICE_CHECK_NS (5LL * 1000000000LL)

/* An empty cache; caller frees with pve_cache_free() (NULL-safe). */
struct pve_cache *pve_cache_new(void);
void pve_cache_free(struct pve_cache *c);

/* pve_config_load() through c at monotonic time now_ns: lists etc/pve/qemu-server and
 * sys/bus/pci/devices and stats each file on every call, reads only what changed. *ret is
 * borrowed from c until its next load or free. skip is called for each unusable file or line on
 * every load, whether it was read now or before. A failed load empties c. */
int pve_cache_load(struct pve_cache *c, int root_fd, int sys_fd, int64_t now_ns,
		   const struct pve_config **ret, pve_skip_fn skip, void *arg);

/* The config for the scrape scrape_id (collector_scrape_id()): loaded by the first caller in a
 * scrape through a process-wide pve_cache, then shared, so the proxmox and sriov collectors look
 * at /etc/pve once per scrape and read only what changed. Only for collectors, which run one at a
 * time. Borrowed until a call with another scrape_id. Returns NULL with *ret_err set when loading
 * failed (which also empties the cache). */
const struct pve_config *pve_config_for_scrape(int root_fd, int sys_fd, uint64_t scrape_id,
					       pve_skip_fn skip, void *arg, int *ret_err);

/* vmid of the first VM (lowest vmid) whose hostpci entries resolve to bdf, or 0 when none. */
unsigned pve_vm_for_address(const struct pve_config *c, const char *bdf);

/* The machine type of vm: the type part of "machine:" ("q35" for "q35,viommu=intel"), or the
 * qemu-server default when absent ("i440fx", "virt" for arch aarch64). Writes a NUL-terminated,
 * possibly truncated string into buf (caller-owned, size > 0). */
void pve_machine_type(const struct pve_vm *vm, char *buf, size_t size);

/* In-memory input for pve_config_parse(); every pointer is borrowed. */
struct pve_input_vm {
	unsigned vmid;
	const char *text; /* the whole .conf file, len bytes, need not be NUL-terminated */
	size_t len;
};

struct pve_input {
	const char *node;         /* local node name */
	const char *mapping_text; /* pci.cfg contents, NULL when absent */
	size_t mapping_len;
	const struct pve_input_vm *vms;
	size_t nvms;
	const char *const *devices; /* BDFs present under sys/bus/pci/devices, any order */
	size_t ndevices;
};

/* The parsing and resolution behind pve_config_load(), without any file access. VMs with vmid 0
 * or a vmid already seen are skipped; at most PVE_MAX_VMS are kept. Returns 0 and *ret (found
 * true; caller frees with pve_config_free()). Never fails on input content. */
int pve_config_parse(const struct pve_input *in, struct pve_config **ret, pve_skip_fn skip,
                     void *arg);

#endif
