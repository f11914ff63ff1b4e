/* Reader for the DKMS tree (var/lib/dkms, usr/src, lib/modules below the rootfs fd) without
 * running dkms: which module versions are added, built and installed for which kernels, and the
 * per-kernel state the dkms collector exports. Also a cheap fingerprint so the collector can keep
 * a parsed tree until something changes. Nothing here logs: unusable entries are recorded in the
 * tree (see skips) for the caller to report. */
#ifndef COLLECTORS_DKMS_TREE_H
#define COLLECTORS_DKMS_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bounds: a real host has a handful of each. Entries past a bound are skipped and recorded. */
#define DKMS_MAX_MODULES 64
#define DKMS_MAX_VERSIONS 64  /* per module */
#define DKMS_MAX_KERNELS 256  /* installed kernels; also kernel dirs per version */
#define DKMS_MAX_ARCHES 4     /* arch dirs per kernel dir */
#define DKMS_MAX_BUILDS 16384 /* <ver>/<kver>/<arch> dirs in the whole tree */
#define DKMS_MAX_SKIPS 256    /* skip records kept per read */
#define DKMS_MAX_ENTRIES 4096 /* entries read from any one directory */
#define DKMS_NAME_MAX 255     /* module, version, kernel and arch names */
/* A cached tree is re-read after this long even when the fingerprint did not change: the
 * fingerprint does not see everything (e.g. a source dir replaced in place below usr/src). */
#define DKMS_TREE_MAX_AGE_NS (300LL * 1000000000LL)

/* The states of gpu_sriov_dkms_module_state, in output order. */
enum dkms_state {
	DKMS_STATE_ADDED,
	DKMS_STATE_BUILT,
	DKMS_STATE_INSTALLED,
	DKMS_STATE_BROKEN,
	DKMS_STATE_MISSING,
	DKMS_STATE_COUNT,
};

/* One <ver>/<kver>/<arch> directory. */
struct dkms_build {
	char *kernel;
	char *arch;
	bool has_module;   /* module/ is a directory: dkms calls this built */
	bool has_make_log; /* log/make.log is a regular file */
	bool installed;    /* kernel-<kver>-<arch> resolves to this dir, and has_module */
	dev_t dev;         /* of the directory, to match kernel-* links */
	ino_t ino;
};

/* One <module>/<ver> directory that has a source entry (dkms ignores versions without one). */
struct dkms_version {
	char *name;
	bool source_present;       /* source resolves to a directory; false: the link dangles */
	struct dkms_build *builds; /* sorted by kernel (strverscmp), then arch */
	size_t nbuilds;
};

struct dkms_module {
	char *name;
	struct dkms_version *versions; /* sorted oldest first (strverscmp) */
	size_t nversions;
};

/* One distinct unusable entry (or kind of entry, for garbage names) found by a read. */
struct dkms_skip {
	char *what; /* relative path and reason; never holds an unvalidated name */
	int err;    /* positive errno */
};

struct dkms_tree {
	bool present;                /* var/lib/dkms exists */
	struct dkms_module *modules; /* sorted by name */
	size_t nmodules;
	char **kernels; /* installed: lib/modules/<kver>/modules.dep exists; sorted (strverscmp) */
	size_t nkernels;
	char *arch; /* fallback arch for kernels without any build (copied from the read call) */
	struct dkms_skip *skips;
	size_t nskips;
	size_t skips_dropped; /* skips past DKMS_MAX_SKIPS */
	uint64_t fingerprint; /* set by the caller: the fingerprint taken before the read */
	int64_t read_ns;      /* set by the caller: when it was read */
};

/* The per-kernel view of one module (see dkms_tree_kernel_state). Strings borrowed from the tree.
 */
struct dkms_kernel_state {
	enum dkms_state state;
	const char *version;
	const char *arch;
};

/* Reads the tree below the rootfs directory fd root. fallback_arch labels kernels no build names
 * an arch for. Symlinks are resolved inside root (openat2 RESOLVE_IN_ROOT where the kernel has it)
 * so an absolute dkms link such as source -> /usr/src/x stays in --path.rootfs. A missing
 * var/lib/dkms gives an empty tree with present false. Returns 0 and a tree the caller frees with
 * dkms_tree_free(), or -errno when a top-level directory exists but cannot be read. */
int dkms_tree_read(int root, const char *fallback_arch, struct dkms_tree **ret);

/* NULL-safe. */
void dkms_tree_free(struct dkms_tree *t);

/* A hash of what changes when dkms or a kernel package changes the tree: inode, mtime and entry
 * names of var/lib/dkms down to the <arch> dirs, of lib/modules and its kernel dirs, and of
 * usr/src. Cheaper than a read (no link resolution, no per-build checks). Never fails: errors are
 * hashed too. */
uint64_t dkms_tree_fingerprint(int root);

/* True when t (may be NULL) must be re-read: the fingerprint differs from the one it was read
 * with, or it is DKMS_TREE_MAX_AGE_NS old at now_ns (monotonic). */
bool dkms_tree_stale(const struct dkms_tree *t, uint64_t fingerprint, int64_t now_ns);

/* The state of module m for kernel (an installed kernel, or any name):
 *  installed: a kernel-<kver>-<arch> link resolves to <ver>/<kver>/<arch> with module/;
 *  built:     some version has <ver>/<kver>/<arch>/module/ (the newest such version);
 *  and when no version has a build for kernel, by the newest version (strverscmp):
 *  broken:    its source link dangles, so it cannot be built for kernel (dkms >= 3.0.13 calls
 *             the version broken; 3.0.10 still says added, or aborts when it has builds);
 *  added:     it has no build for any kernel (what `dkms status` prints as "added");
 *  missing:   it is built for other kernels, not this one (`dkms status` prints nothing).
 * version is the installed or built version, else that newest version; arch the build's, else
 * the arch of the module's builds, else the tree's fallback arch. m must have versions. */
void dkms_tree_kernel_state(const struct dkms_tree *t, const struct dkms_module *m,
			    const char *kernel, struct dkms_kernel_state *ret);

/* State of one build as dkms status prints it: installed, built, or DKMS_STATE_MISSING when it
 * has no module/ (dkms prints nothing for it). */
enum dkms_state dkms_build_state(const struct dkms_build *b);

/* For a version without any built build: DKMS_STATE_ADDED, or DKMS_STATE_BROKEN when its source
 * dangles. For a version with builds: DKMS_STATE_BUILT (dkms prints per-build lines instead). */
enum dkms_state dkms_version_state(const struct dkms_version *v);

/* Lookups by name; NULL when absent. */
const struct dkms_module *dkms_tree_module(const struct dkms_tree *t, const char *name);
const struct dkms_version *dkms_module_version(const struct dkms_module *m, const char *name);
const struct dkms_build *dkms_version_build(const struct dkms_version *v, const char *kernel,
					    const char *arch);
bool dkms_tree_kernel_installed(const struct dkms_tree *t, const char *kernel);

/* "added", "built", ...: the state label values. Static storage. */
const char *dkms_state_name(enum dkms_state s);

#endif
