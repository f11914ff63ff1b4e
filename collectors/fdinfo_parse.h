/* Parser for DRM fdinfo blocks (proc/<pid>/fdinfo/<fd>, kernel
 * Documentation/gpu/drm-usage-stats.rst) as the fdinfo collector reads them. Pure functions over a
 * buffer, bounded in every dimension, no I/O. */
#ifndef COLLECTORS_FDINFO_PARSE_H
#define COLLECTORS_FDINFO_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../exporter/parse.h"

/* Limits. A real i915 or xe block is about 25 lines of under 64 bytes; anything beyond these is
 * not a DRM client worth trusting. */
#define FDINFO_FILE_MAX 16384 /* bytes read of one fdinfo file */
#define FDINFO_LINE_MAX 256   /* bytes per line, newline excluded */
#define FDINFO_LINES_MAX 256  /* lines per file */
#define FDINFO_ENGINES_MAX 16 /* distinct engine classes per client */
#define FDINFO_REGIONS_MAX 16 /* distinct memory regions per client */
#define FDINFO_NAME_SIZE 24   /* driver, engine class and region names, NUL included */

struct fdinfo_engine {
	char name[FDINFO_NAME_SIZE]; /* key suffix as the driver prints it: "render", "rcs" */
	uint64_t busy_ns;            /* drm-engine-<name>, "<n> ns" */
	uint64_t cycles;             /* drm-cycles-<name> (xe) */
	uint64_t total_cycles;       /* drm-total-cycles-<name> (xe): the GPU timestamp now */
	unsigned capacity;           /* drm-engine-capacity-<name>; 1 when absent */
	bool has_busy;
	bool has_cycles;
	bool has_total_cycles;
};

struct fdinfo_region {
	char name[FDINFO_NAME_SIZE]; /* "system0", "local0", "vram0", ... */
	uint64_t resident_bytes;     /* drm-resident-<name>, else the older drm-memory-<name> */
	bool from_alias;             /* value came from drm-memory-<name> */
};

struct fdinfo_client {
	char driver[FDINFO_NAME_SIZE]; /* drm-driver; "" when the text is no DRM client's */
	char pdev[PARSE_BDF_SIZE];     /* drm-pdev, normalised; "" when absent (not a PCI device) */
	uint64_t client_id;            /* drm-client-id, valid when has_client_id */
	bool has_client_id;
	struct fdinfo_engine engines[FDINFO_ENGINES_MAX]; /* in order of first appearance */
	size_t nengines;
	struct fdinfo_region regions[FDINFO_REGIONS_MAX];
	size_t nregions;
};

/* Problems found while parsing, as bits in the mask fdinfo_parse() returns. Each bad line is
 * skipped; the rest of the block is still used. */
enum fdinfo_problem {
	FDINFO_BAD_LINE = 1u << 0,       /* not "key:<TAB or spaces>value", bad key, NUL bytes */
	FDINFO_LONG_LINE = 1u << 1,      /* longer than FDINFO_LINE_MAX */
	FDINFO_TOO_MANY_LINES = 1u << 2, /* lines past FDINFO_LINES_MAX are ignored */
	FDINFO_BAD_DRIVER = 1u << 3,
	FDINFO_BAD_CLIENT_ID = 1u << 4,
	FDINFO_BAD_PDEV = 1u << 5,
	FDINFO_BAD_ENGINE = 1u << 6, /* drm-engine-<k> not "<n> ns" */
	FDINFO_BAD_CAPACITY = 1u << 7,
	FDINFO_BAD_CYCLES = 1u << 8,
	FDINFO_BAD_MEMORY = 1u << 9,     /* drm-resident/-memory not "<n>[ B|KiB|MiB|GiB]" */
	FDINFO_TOO_MANY_KEYS = 1u << 10, /* more engine classes or regions than the limits */
	FDINFO_NO_CLIENT_ID = 1u << 11,  /* drm-driver without a usable drm-client-id */
};
#define FDINFO_PROBLEMS 12

/* Parses len bytes of fdinfo text (need not be NUL-terminated; may hold NUL bytes) into ret,
 * which is always fully written. Returns 1 when the text is a DRM client's (a valid drm-driver
 * line, as every DRM driver prints), else 0. *ret_problems receives the fdinfo_problem bits seen
 * (0 when clean). Lines past FDINFO_LINES_MAX and bytes past FDINFO_FILE_MAX are not read. */
int fdinfo_parse(const char *text, size_t len, struct fdinfo_client *ret, unsigned *ret_problems);

/* A short generic description of one fdinfo_problem bit, for collector_skip()'s what (the same
 * text for every process, so each problem is logged once). Static storage. */
const char *fdinfo_problem_what(unsigned bit);

/* The engine class behind an engine key: xe's rcs, bcs, vcs, vecs and ccs become render, copy,
 * video, video-enhance and compute; i915 already prints class names, and any other key is its
 * own class. Returns static storage or name itself. */
const char *fdinfo_engine_class(const char *name);

#endif
