/* pmu collector: engine busy time from the host's GPU perf PMUs. i915 publishes busy nanoseconds
 * per engine (for a PF the aggregate of PF and VF work); xe publishes engine active and total
 * ticks, per VF when the kernel has the PMU "function" field. A VF guest has no PMU at all and a
 * process without CAP_PERFMON cannot open one: both show as gpu_sriov_pmu_available 0 with a
 * reason, and the busy series are left out, never reported as idle engines.
 *
 * Events are opened on the first collect and kept open: one perf group per i915 GPU and one
 * active+total pair per xe engine and function, each read with a single read() of its leader so
 * the values of a group are taken at the same instant. Configs come from the PMU's events/ and
 * format/ files, never from constants, so a test can stand in a software PMU for the GPU one. */
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../exporter/log.h"
#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "collectors.h"
#include "pci.h"
#include "pmu_events.h"

#define EVENT_SOURCE "bus/event_source/devices"
#define MAX_GPUS 16
#define MAX_ENGINES 64
/* One i915 group: every engine's busy plus rc6 per GT and interrupts. */
#define MAX_I915_EVENTS (MAX_ENGINES + 17)
/* xe: engine x function pairs per GPU (64 engines or 8 engines x 31 functions...). */
#define MAX_XE_GROUPS 256
/* Descriptors over all GPUs: stays well below the usual 1024 soft RLIMIT_NOFILE so HTTP
 * connections still get theirs. */
#define MAX_FDS 512
#define MAX_FORMATS 16
/* Probed per xe GT and class: the uapi numbers instances densely from 0, so the first refusal
 * ends a class. The gt field is 4 bits, but no part has more than a few GTs. */
#define XE_MAX_INSTANCES 16
#define XE_MAX_GTS 4
/* After a failed open (other than "no PMU here"): retry after 1 s, doubling up to 5 min. */
#define BACKOFF_FIRST_NS 1000000000LL
#define BACKOFF_MAX_NS (300LL * 1000000000LL)
#define NAME_LEN 48

enum pmu_driver {
	DRV_I915,
	DRV_XE,
};

enum counter_kind {
	CTR_BUSY,   /* i915 <engine>-busy, ns */
	CTR_RC6,    /* i915 rc6-residency[-gtN], ns */
	CTR_IRQ,    /* i915 interrupts */
	CTR_ACTIVE, /* xe engine-active-ticks */
	CTR_TOTAL,  /* xe engine-total-ticks */
};

struct counter {
	enum counter_kind kind;
	char engine[24];   /* "rcs0", xe "vcs0-gt1"; "" for GPU-wide counters */
	const char *class; /* static; NULL for GPU-wide counters */
	unsigned gt;
	unsigned function; /* xe: 0 = PF, n = VF n */
	int fd;
	uint64_t last; /* highest value read from fd */
	uint64_t base; /* carried over from descriptors closed before, so the sum never drops */
};

/* Counters first .. first+n-1 form one perf group; the first is the leader. */
struct group {
	size_t first;
	size_t n;
};

struct gpu {
	char bdf[PARSE_BDF_SIZE];
	enum pmu_driver driver;
	enum pci_role role;
	bool present; /* in this scrape's GPU list */
	bool open;
	char pmu[64]; /* PMU name while open */
	uint64_t type;
	int nvfs;       /* xe PF: VFs enabled at open */
	int err;        /* positive errno: why not open */
	int logged_err; /* the err last logged, so each new reason is logged once */
	int64_t next_try;
	int64_t backoff;
	struct counter *ctr;
	size_t nctr;
	struct group *grp;
	size_t ngrp;
};

struct pmu_state {
	struct gpu gpu[MAX_GPUS];
	size_t n;
	size_t nfds;
};

/* What one open attempt builds before it replaces a GPU's counters. */
struct build {
	struct counter *ctr;
	size_t nctr, cap;
	struct group *grp;
	size_t ngrp, gcap;
};

/* The parts of a PMU's sysfs directory every event needs. */
struct pmu_dir {
	int fd; /* O_PATH */
	char name[64];
	uint64_t type;
	int cpu;
	struct pmu_format fmt[MAX_FORMATS];
	size_t nfmt;
};

static void
skip_file(struct collector *c, const char *pmu, const char *rel, int err)
{
	char what[256];

	(void)snprintf(what, sizeof(what), EVENT_SOURCE "/%s/%s", pmu, rel);
	collector_skip(c, what, err);
}

/* Opens one counting event on cpu, system-wide (pid -1), as a group leader when group_fd < 0. */
static int
perf_open(struct pmu_state *st, uint64_t type, uint64_t config, int cpu, int group_fd)
{
	struct perf_event_attr attr;

	if (st->nfds >= MAX_FDS)
		return -EMFILE;
	memset(&attr, 0, sizeof(attr));
	attr.type = (uint32_t)type;
	attr.size = sizeof(attr);
	attr.config = config;
	/* Counting only: i915 and xe refuse a sample period (EINVAL). The read format matters on
	 * the leader; members get the same so the group stays consistent. */
	attr.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED;
	long fd = syscall(SYS_perf_event_open, &attr, -1, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	st->nfds++;
	return (int)fd;
}

static void
close_fd(struct pmu_state *st, int *fd)
{
	if (*fd < 0)
		return;
	(void)close(*fd);
	*fd = -1;
	st->nfds--;
}

/* The kernel does not have this event, engine or function: leave it out, keep the rest. */
static bool
refused(int err)
{
	return err == -ENOENT || err == -EINVAL || err == -ENODEV || err == -EOPNOTSUPP ||
	       err == -ERANGE;
}

static struct counter *
build_counter(struct build *b, enum counter_kind kind, const char *engine, const char *class,
	      unsigned gt, unsigned function, int fd)
{
	if (b->nctr == b->cap) {
		b->cap = b->cap == 0 ? 16 : b->cap * 2;
		b->ctr = xrealloc(b->ctr, b->cap * sizeof(*b->ctr));
	}
	struct counter *k = &b->ctr[b->nctr++];
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	(void)snprintf(k->engine, sizeof(k->engine), "%s", engine);
	k->class = class;
	k->gt = gt;
	k->function = function;
	k->fd = fd;
	return k;
}

static void
build_group(struct build *b, size_t first)
{
	if (b->ngrp == b->gcap) {
		b->gcap = b->gcap == 0 ? 8 : b->gcap * 2;
		b->grp = xrealloc(b->grp, b->gcap * sizeof(*b->grp));
	}
	b->grp[b->ngrp].first = first;
	b->grp[b->ngrp].n = b->nctr - first;
	b->ngrp++;
}

static void
close_counters(struct pmu_state *st, struct counter *ctr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close_fd(st, &ctr[i].fd);
}

static void
build_free(struct pmu_state *st, struct build *b)
{
	close_counters(st, b->ctr, b->nctr);
	free(b->ctr);
	free(b->grp);
	memset(b, 0, sizeof(*b));
}

/* A small text file below dirfd; an embedded NUL makes it garbage (-EINVAL). */
static int
read_text(int dirfd, const char *rel, char *buf, size_t size)
{
	ssize_t n = sysfs_read_str(dirfd, rel, buf, size);
	if (n < 0)
		return (int)n;
	return (size_t)n == strlen(buf) ? 0 : -EINVAL;
}

static uint64_t
format_mask(const struct pmu_dir *d, const char *name)
{
	for (size_t i = 0; i < d->nfmt; i++) {
		if (strcmp(d->fmt[i].name, name) == 0)
			return d->fmt[i].mask;
	}
	return 0;
}

static void
read_formats(struct collector *c, struct pmu_dir *d)
{
	DIR *dir = NULL;
	struct dirent *de;

	if (sysfs_opendir(d->fd, "format", &dir) < 0)
		return; /* i915 events carry raw configs and need no format */
	while ((de = readdir(dir)) != NULL) {
		char rel[PMU_NAME_SIZE + 8], text[64];
		uint64_t mask;
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		if (len >= PMU_NAME_SIZE) {
			skip_file(c, d->name, "format/: a name too long for a format", EINVAL);
			continue;
		}
		(void)snprintf(rel, sizeof(rel), "format/%.*s", PMU_NAME_SIZE - 1, de->d_name);
		int r = read_text(d->fd, rel, text, sizeof(text));
		if (r == 0)
			r = pmu_format_parse(text, &mask);
		if (r < 0) {
			skip_file(c, d->name, rel, -r);
			continue;
		}
		if (d->nfmt == MAX_FORMATS) {
			skip_file(c, d->name, "format/: more formats than the limit", E2BIG);
			break;
		}
		memcpy(d->fmt[d->nfmt].name, de->d_name, len + 1);
		d->fmt[d->nfmt].mask = mask;
		d->nfmt++;
	}
	(void)closedir(dir);
}

/* Opens the PMU directory name and reads type, cpumask and formats. -ENOENT when there is no
 * such PMU; -EINVAL (reported) when its description is unusable. */
static int
pmu_dir_open(struct collector *c, const char *name, struct pmu_dir *ret)
{
	char rel[128], text[256];
	struct pmu_dir d;
	int r;

	memset(&d, 0, sizeof(d));
	(void)snprintf(d.name, sizeof(d.name), "%s", name);
	(void)snprintf(rel, sizeof(rel), EVENT_SOURCE "/%s", name);
	d.fd = sysfs_open_dir_fd(collector_roots(c)->sys, rel);
	if (d.fd < 0)
		return d.fd;
	r = sysfs_read_u64(d.fd, "type", 10, UINT32_MAX, &d.type);
	if (r < 0) {
		skip_file(c, name, "type", -r);
		r = -EINVAL;
		goto out;
	}
	/* Uncore-style PMUs count on one CPU; without a cpumask, CPU 0 is what perf would use. */
	r = read_text(d.fd, "cpumask", text, sizeof(text));
	if (r == 0)
		r = pmu_cpumask_first(text, &d.cpu);
	if (r == -ENOENT) {
		d.cpu = 0;
	} else if (r < 0) {
		skip_file(c, name, "cpumask", -r);
		r = -EINVAL;
		goto out;
	}
	read_formats(c, &d);
	*ret = d;
	d.fd = -1;
	r = 0;
out:
	if (d.fd >= 0)
		(void)close(d.fd);
	return r;
}

/* The config of events/<event>. An unusable file (or a unit other than ns when want_ns) is
 * reported and gives -EINVAL; a missing one gives -ENOENT, reported only when report_missing. */
static int
event_config(struct collector *c, const struct pmu_dir *d, const char *event, bool want_ns,
	     bool report_missing, uint64_t *ret)
{
	char rel[NAME_LEN + 16], text[128];
	struct pmu_term terms[PMU_MAX_TERMS];
	size_t nterms;
	uint64_t config = 0; /* set for the analyzer, which cannot see into pmu_events.c */

	(void)snprintf(rel, sizeof(rel), "events/%s", event);
	int r = read_text(d->fd, rel, text, sizeof(text));
	if (r == 0)
		r = pmu_event_parse(text, terms, PMU_MAX_TERMS, &nterms);
	if (r == 0)
		r = pmu_config_compose(terms, nterms, d->fmt, d->nfmt, &config);
	if (r == 0 && want_ns) {
		/* busy and rc6 are converted from ns: any other unit would give wrong seconds. */
		(void)snprintf(rel, sizeof(rel), "events/%s.unit", event);
		r = read_text(d->fd, rel, text, sizeof(text));
		if (r == 0 && strcmp(text, "ns") != 0)
			r = -EINVAL;
		else if (r == -ENOENT)
			r = 0; /* i915 documents ns for these; the unit file is a cross-check */
	}
	if (r == -ENOENT && !report_missing)
		return r;
	if (r < 0) {
		skip_file(c, d->name, rel, -r);
		return r == -ENOENT ? r : -EINVAL;
	}
	*ret = config;
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The names in events/ this collector reads, sorted so the group (and its leader) does not
 * depend on readdir order. */
static int
i915_event_names(struct collector *c, const struct pmu_dir *d, char (*names)[NAME_LEN],
		 size_t *ret_n)
{
	DIR *dir = NULL;
	struct dirent *de;
	size_t n = 0;

	int r = sysfs_opendir(d->fd, "events", &dir);
	if (r < 0)
		return r;
	while ((de = readdir(dir)) != NULL) {
		char engine[24];
		unsigned class, gt;
		/* Skips ".", "..", and the .unit/.scale companions of each event. */
		if (strchr(de->d_name, '.') != NULL || strlen(de->d_name) >= NAME_LEN)
			continue;
		if (pmu_i915_classify(de->d_name, engine, sizeof(engine), &class, &gt) ==
		    PMU_I915_OTHER)
			continue;
		if (n == MAX_I915_EVENTS) {
			skip_file(c, d->name, "events/: more events than the limit", E2BIG);
			break;
		}
		memcpy(names[n++], de->d_name, strlen(de->d_name) + 1);
	}
	(void)closedir(dir);
	qsort(names, n, NAME_LEN, cmp_name);
	*ret_n = n;
	return 0;
}

/* One group with every busy, rc6 and interrupts event of an i915 PMU. */
static int
open_i915(struct collector *c, struct pmu_state *st, const struct pmu_dir *d, struct build *b)
{
	char (*names)[NAME_LEN] = xcalloc(MAX_I915_EVENTS, NAME_LEN);
	size_t n = 0;
	int leader = -1;

	int r = i915_event_names(c, d, names, &n);
	if (r < 0) {
		r = r == -ENOENT ? -ENODATA : r;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char engine[24] = "";
		unsigned class = 0, gt = 0;
		uint64_t config;
		enum pmu_i915_kind kind =
		    pmu_i915_classify(names[i], engine, sizeof(engine), &class, &gt);
		if (event_config(c, d, names[i], kind != PMU_I915_IRQ, true, &config) < 0)
			continue;
		int fd = perf_open(st, d->type, config, d->cpu, leader);
		if (fd < 0) {
			char rel[NAME_LEN + 32];
			if (!refused(fd)) {
				r = fd;
				goto out;
			}
			(void)snprintf(rel, sizeof(rel), "events/%s: refused by perf_event_open",
				       names[i]);
			skip_file(c, d->name, rel, -fd);
			continue;
		}
		if (leader < 0)
			leader = fd;
		enum counter_kind k = kind == PMU_I915_BUSY  ? CTR_BUSY
				      : kind == PMU_I915_RC6 ? CTR_RC6
							     : CTR_IRQ;
		const char *cls = kind == PMU_I915_BUSY ? pmu_class_name(class) : NULL;
		(void)build_counter(b, k, engine, cls, gt, 0, fd);
	}
	r = b->nctr > 0 ? 0 : -ENODATA;
	if (r == 0)
		build_group(b, 0);
out:
	free(names);
	return r;
}

struct xe_engine {
	unsigned gt, class, instance;
	char name[24];
};

/* The two configs (active, total) of one xe engine and function; -ERANGE when a value does not
 * fit its field (or the field is missing and the value is not 0). */
static int
xe_configs(const struct pmu_dir *d, const uint64_t event[2], const struct xe_engine *e,
	   unsigned function, uint64_t ret[2])
{
	uint64_t fields = 0;
	int r = pmu_field_place(format_mask(d, "engine_class"), e->class, &fields);
	if (r == 0)
		r = pmu_field_place(format_mask(d, "engine_instance"), e->instance, &fields);
	if (r == 0)
		r = pmu_field_place(format_mask(d, "gt"), e->gt, &fields);
	if (r == 0)
		r = pmu_field_place(format_mask(d, "function"), function, &fields);
	if (r < 0)
		return r;
	ret[0] = event[0] | fields;
	ret[1] = event[1] | fields;
	return 0;
}

/* Opens the active+total pair of one engine and function as a group. Returns 0, 1 when the
 * kernel refuses it (no such engine or function), or -errno. */
static int
open_xe_pair(struct collector *c, struct pmu_state *st, const struct pmu_dir *d,
	     struct build *b, const uint64_t event[2], const struct xe_engine *e,
	     unsigned function)
{
	uint64_t config[2];

	if (xe_configs(d, event, e, function, config) < 0)
		return 1;
	int lead = perf_open(st, d->type, config[0], d->cpu, -1);
	if (lead < 0)
		return refused(lead) ? 1 : lead;
	int member = perf_open(st, d->type, config[1], d->cpu, lead);
	if (member < 0) {
		close_fd(st, &lead);
		if (!refused(member))
			return member;
		/* active without total gives no ratio: the engine is left out. */
		skip_file(c, d->name, "events/engine-total-ticks: refused by perf_event_open",
			  -member);
		return 1;
	}
	size_t first = b->nctr;
	const char *class = pmu_class_name(e->class);
	(void)build_counter(b, CTR_ACTIVE, e->name, class, e->gt, function, lead);
	(void)build_counter(b, CTR_TOTAL, e->name, class, e->gt, function, member);
	build_group(b, first);
	return 0;
}

/* The PF's engines, GT x class x instance; the first refused instance ends a class. Fills eng
 * and returns how many were opened, or -errno. */
static int
probe_engines(struct collector *c, struct pmu_state *st, const struct pmu_dir *d,
	      struct build *b, const uint64_t event[2], struct xe_engine *eng)
{
	unsigned ngt = format_mask(d, "gt") != 0 ? XE_MAX_GTS : 1;
	int n = 0;

	for (unsigned gt = 0; gt < ngt; gt++) {
		for (unsigned class = 0; class < PMU_CLASS_COUNT; class++) {
			for (unsigned inst = 0; inst < XE_MAX_INSTANCES; inst++) {
				if (n == MAX_ENGINES) {
					skip_file(c, d->name, "engines: over the limit", E2BIG);
					return n;
				}
				struct xe_engine *e = &eng[n];
				e->gt = gt;
				e->class = class;
				e->instance = inst;
				/* GTs other than 0 are named like i915's multi-GT events. */
				if (gt == 0)
					(void)snprintf(e->name, sizeof(e->name), "%s%u",
						       pmu_class_prefix(class), inst);
				else
					(void)snprintf(e->name, sizeof(e->name), "%s%u-gt%u",
						       pmu_class_prefix(class), inst, gt);
				int r = open_xe_pair(c, st, d, b, event, e, 0);
				if (r < 0)
					return r;
				if (r == 1)
					break;
				n++;
			}
		}
	}
	return n;
}

/* Functions 1..nvfs (the VFs) of each PF engine. Per-function counters exist only with the
 * function field and VFs enabled; a kernel that refuses function 1 on the first engine has
 * none, so the rest is not probed. Returns 0 or -errno. */
static int
probe_functions(struct collector *c, struct pmu_state *st, const struct pmu_dir *d,
		struct build *b, const uint64_t event[2], const struct xe_engine *eng, int neng,
		int nvfs)
{
	if (format_mask(d, "function") == 0)
		return 0;
	for (int i = 0; i < neng; i++) {
		for (int fn = 1; fn <= nvfs; fn++) {
			if (b->ngrp == MAX_XE_GROUPS) {
				skip_file(c, d->name, "functions: over the limit", E2BIG);
				return 0;
			}
			int r = open_xe_pair(c, st, d, b, event, &eng[i], (unsigned)fn);
			if (r < 0)
				return r;
			if (r == 1 && i == 0 && fn == 1)
				return 0;
			if (r == 1)
				break;
		}
	}
	return 0;
}

/* Every engine of an xe PMU, as active+total pairs for the PF and each VF. */
static int
open_xe(struct collector *c, struct pmu_state *st, const struct pmu_dir *d, int nvfs,
	struct build *b)
{
	static const char *const names[2] = {"engine-active-ticks", "engine-total-ticks"};
	struct xe_engine *eng = xcalloc(MAX_ENGINES, sizeof(*eng));
	uint64_t event[2];
	int r;

	/* Hidden when engine activity is unsupported (it needs GuC support): not an error. */
	for (int i = 0; i < 2; i++) {
		r = event_config(c, d, names[i], false, false, &event[i]);
		if (r < 0) {
			r = r == -ENOENT ? -ENODATA : r;
			goto out;
		}
	}
	if (format_mask(d, "engine_class") == 0 || format_mask(d, "engine_instance") == 0) {
		skip_file(c, d->name, "format/engine_class", ENOENT);
		r = -ENODATA;
		goto out;
	}
	r = probe_engines(c, st, d, b, event, eng);
	if (r == 0)
		r = -ENODATA;
	if (r > 0)
		r = probe_functions(c, st, d, b, event, eng, r, nvfs);
out:
	free(eng);
	return r;
}

/* Keeps each counter's total across a reopen (driver rebind, VF count change), so exported
 * counters do not restart from 0 while the exporter runs. */
static void
carry_over(const struct gpu *g, struct build *b)
{
	for (size_t i = 0; i < b->nctr; i++) {
		struct counter *k = &b->ctr[i];
		for (size_t j = 0; j < g->nctr; j++) {
			const struct counter *o = &g->ctr[j];
			if (o->kind == k->kind && o->gt == k->gt && o->function == k->function &&
			    strcmp(o->engine, k->engine) == 0) {
				k->base = o->base + o->last;
				break;
			}
		}
	}
}

/* The PMU name of g: xe_<bdf>; for i915 i915_<bdf> (discrete), else the shared "i915"
 * (integrated) when may_share. *ret_shared says whether g asked for the shared name. */
static int
open_dir(struct collector *c, const struct gpu *g, bool may_share, bool *ret_shared,
	 struct pmu_dir *ret)
{
	char name[64];

	*ret_shared = false;
	int r = pmu_name_for_bdf(g->driver == DRV_XE ? "xe" : "i915", g->bdf, name, sizeof(name));
	if (r < 0)
		return r;
	r = pmu_dir_open(c, name, ret);
	if (r != -ENOENT || g->driver == DRV_XE)
		return r;
	*ret_shared = true;
	return may_share ? pmu_dir_open(c, "i915", ret) : -ENOENT;
}

static void
close_gpu(struct pmu_state *st, struct gpu *g)
{
	close_counters(st, g->ctr, g->nctr);
	g->open = false;
}

static int
open_gpu(struct collector *c, struct pmu_state *st, struct gpu *g, bool may_share,
	 bool *ret_shared)
{
	struct pmu_dir d = {.fd = -1};
	struct build b;
	int sys = collector_roots(c)->sys;

	memset(&b, 0, sizeof(b));
	int r = open_dir(c, g, may_share, ret_shared, &d);
	if (r < 0)
		goto out;
	int nvfs = 0;
	if (g->driver == DRV_XE && g->role == PCI_ROLE_PF) {
		nvfs = pci_count_vfs(sys, g->bdf);
		nvfs = nvfs < 0 ? 0 : nvfs;
	}
	r = g->driver == DRV_XE ? open_xe(c, st, &d, nvfs, &b) : open_i915(c, st, &d, &b);
	if (r < 0)
		goto out;
	close_gpu(st, g);
	carry_over(g, &b);
	free(g->ctr);
	free(g->grp);
	g->ctr = b.ctr;
	g->nctr = b.nctr;
	g->grp = b.grp;
	g->ngrp = b.ngrp;
	memset(&b, 0, sizeof(b));
	(void)snprintf(g->pmu, sizeof(g->pmu), "%s", d.name);
	g->type = d.type;
	g->nvfs = nvfs;
	g->open = true;
out:
	build_free(st, &b);
	if (d.fd >= 0)
		(void)close(d.fd);
	return r;
}

/* One read() per group. A short read or an error means the events are no longer usable. */
static int
read_gpu(struct gpu *g)
{
	uint64_t buf[2 + MAX_I915_EVENTS];

	for (size_t i = 0; i < g->ngrp; i++) {
		const struct group *gr = &g->grp[i];
		size_t want = (2 + gr->n) * sizeof(uint64_t);
		ssize_t n = read(g->ctr[gr->first].fd, buf, want);
		if (n < 0)
			return -errno;
		if ((size_t)n != want || buf[0] != gr->n)
			return -EIO;
		for (size_t j = 0; j < gr->n; j++) {
			struct counter *k = &g->ctr[gr->first + j];
			/* Counters only rise; a kernel that briefly reports less is held at the
			 * highest value seen. */
			if (buf[2 + j] > k->last)
				k->last = buf[2 + j];
		}
	}
	return 0;
}

static int64_t
next_backoff(int64_t backoff)
{
	if (backoff == 0)
		return BACKOFF_FIRST_NS;
	return backoff >= BACKOFF_MAX_NS / 2 ? BACKOFF_MAX_NS : backoff * 2;
}

static void
try_open(struct collector *c, struct pmu_state *st, struct gpu *g, bool may_share,
	 bool *ret_shared, int64_t now)
{
	int r = open_gpu(c, st, g, may_share, ret_shared);
	/* Freshly opened counters are read at once, so the first scrape has values. */
	if (r == 0) {
		r = read_gpu(g);
		if (r < 0)
			close_gpu(st, g);
	}
	if (r == 0) {
		log_msg(LOG_LEVEL_INFO, "pmu", 0, "%s: PMU %s opened: %zu counters in %zu groups",
			g->bdf, g->pmu, g->nctr, g->ngrp);
		/* The backoff stays until a later scrape reads the events: a PMU that opens but
		 * fails every read is not reopened on every scrape. */
		g->err = 0;
		g->logged_err = 0;
		g->next_try = 0;
		return;
	}
	g->err = -r;
	if (g->err != g->logged_err) {
		/* No PMU is normal in a VF guest; anything else hides data the user wants. */
		log_msg(r == -ENOENT ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "pmu", -r,
			"%s: no usable %s PMU, engine busy not reported", g->bdf,
			g->driver == DRV_XE ? "xe" : "i915");
		g->logged_err = g->err;
	}
	/* A missing PMU directory costs one openat per scrape to look for again. */
	if (r == -ENOENT) {
		g->next_try = 0;
		return;
	}
	g->backoff = next_backoff(g->backoff);
	g->next_try = now + g->backoff;
}

/* Whether the open PMU is still the one registered: a driver rebind registers a new PMU with a
 * new type, and xe's per-function events depend on the VF count. */
static bool
still_current(struct collector *c, const struct gpu *g)
{
	char rel[128];
	uint64_t type;
	int sys = collector_roots(c)->sys;

	(void)snprintf(rel, sizeof(rel), EVENT_SOURCE "/%s/type", g->pmu);
	if (sysfs_read_u64(sys, rel, 10, UINT32_MAX, &type) < 0 || type != g->type)
		return false;
	if (g->driver == DRV_XE && g->role == PCI_ROLE_PF) {
		int n = pci_count_vfs(sys, g->bdf);
		if (n >= 0 && n != g->nvfs)
			return false;
	}
	return true;
}

static void
gpu_free(struct pmu_state *st, struct gpu *g)
{
	close_gpu(st, g);
	free(g->ctr);
	free(g->grp);
	memset(g, 0, sizeof(*g));
}

static int
pmu_init(struct collector *c, const struct roots *roots)
{
	(void)roots;
	collector_set_data(c, xcalloc(1, sizeof(struct pmu_state)));
	return 0;
}

static void
pmu_fini(struct collector *c)
{
	struct pmu_state *st = collector_get_data(c);

	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n; i++)
		gpu_free(st, &st->gpu[i]);
	free(st);
	collector_set_data(c, NULL);
}

static int
cmp_gpu(const void *a, const void *b)
{
	return strcmp(((const struct gpu *)a)->bdf, ((const struct gpu *)b)->bdf);
}

/* Brings the GPU table in line with the PCI list: new functions added, functions gone or
 * rebound to another driver closed and dropped. */
static void
sync_gpus(struct collector *c, struct pmu_state *st, const struct pci_list *l)
{
	for (size_t i = 0; i < st->n; i++)
		st->gpu[i].present = false;
	for (size_t i = 0; i < l->n; i++) {
		const struct pci_fn *fn = &l->fns[i];
		enum pmu_driver drv;
		struct gpu *g = NULL;
		/* A VF never has a PMU of its own: xe reports VFs through the PF's "function". */
		if (fn->role == PCI_ROLE_VF)
			continue;
		if (strcmp(fn->driver, "i915") == 0)
			drv = DRV_I915;
		else if (strcmp(fn->driver, "xe") == 0)
			drv = DRV_XE;
		else
			continue;
		for (size_t j = 0; j < st->n && g == NULL; j++) {
			if (strcmp(st->gpu[j].bdf, fn->bdf) == 0)
				g = &st->gpu[j];
		}
		if (g != NULL && (g->driver != drv || g->role != fn->role))
			gpu_free(st, g);
		if (g == NULL) {
			if (st->n == MAX_GPUS) {
				collector_skip(c, "GPU functions: more than the limit", E2BIG);
				continue;
			}
			g = &st->gpu[st->n++];
		}
		if (g->bdf[0] == '\0') {
			memcpy(g->bdf, fn->bdf, PARSE_BDF_SIZE);
			g->driver = drv;
			g->role = fn->role;
		}
		g->present = true;
	}
	size_t kept = 0;
	for (size_t i = 0; i < st->n; i++) {
		if (!st->gpu[i].present) {
			gpu_free(st, &st->gpu[i]);
			continue;
		}
		if (kept != i) {
			st->gpu[kept] = st->gpu[i];
			memset(&st->gpu[i], 0, sizeof(st->gpu[i]));
		}
		kept++;
	}
	st->n = kept;
	qsort(st->gpu, st->n, sizeof(st->gpu[0]), cmp_gpu);
}

/* HELP texts; the busy one is shared with the fdinfo collector (collectors.h). */
static const char help_available[] =
    "1 when the i915/xe perf PMU of this GPU function was found and its events opened; 0 when "
    "not (no PMU in a VF guest, no CAP_PERFMON, PMU gone): engine busy is then absent, not 0. "
    "Reason in gpu_sriov_pmu_open_error_info.";
static const char help_error[] =
    "Why the PMU of this GPU function is unavailable, as an errno name: ENOENT no PMU "
    "registered (VF guest), EACCES/EPERM not permitted (needs CAP_PERFMON or "
    "perf_event_paranoid <= 0), ENODATA no usable events, ENODEV PMU gone or changed (reopened "
    "after a backoff), EINVAL unusable sysfs description; always 1.";
static const char help_busy[] = ENGINE_BUSY_HELP;
static const char help_rc6[] =
    "Time the GT spent in RC6 (powered down), from the i915 PMU rc6-residency event.";
static const char help_irq[] = "GPU interrupts, from the i915 PMU interrupts event.";
static const char help_active[] =
    "GPU timestamp ticks the engine was active, from the xe PMU engine-active-ticks event; "
    "function 0 is the PF, n is VF n. Busy fraction: rate(active) / rate(total).";
static const char help_total[] =
    "GPU timestamp ticks elapsed while engine activity was counted, from the xe PMU "
    "engine-total-ticks event (the denominator of the busy fraction).";

static void
emit_counter(struct expo *out, const struct gpu *g, const struct counter *k)
{
	double v = (double)(k->base + k->last);
	char gt[8], fn[8];

	(void)snprintf(gt, sizeof(gt), "%u", k->gt);
	(void)snprintf(fn, sizeof(fn), "%u", k->function);
	switch (k->kind) {
	case CTR_BUSY:
		(void)expo_add(out, "gpu_sriov_engine_busy_seconds_total", EXPO_COUNTER, help_busy,
			       v / 1e9,
			       EXPO_LABELS({"pci_address", g->bdf}, {"engine", k->engine},
					   {"class", k->class}, {"source", "pmu"}));
		break;
	case CTR_RC6:
		(void)expo_add(out, "gpu_sriov_pmu_rc6_seconds_total", EXPO_COUNTER, help_rc6,
			       v / 1e9, EXPO_LABELS({"pci_address", g->bdf}, {"gt", gt}));
		break;
	case CTR_IRQ:
		(void)expo_add(out, "gpu_sriov_pmu_interrupts_total", EXPO_COUNTER, help_irq, v,
			       EXPO_LABELS({"pci_address", g->bdf}));
		break;
	case CTR_ACTIVE:
		(void)expo_add(out, "gpu_sriov_engine_active_ticks_total", EXPO_COUNTER,
			       help_active, v,
			       EXPO_LABELS({"pci_address", g->bdf}, {"engine", k->engine},
					   {"class", k->class}, {"function", fn}));
		break;
	case CTR_TOTAL:
		(void)expo_add(out, "gpu_sriov_engine_total_ticks_total", EXPO_COUNTER, help_total,
			       v,
			       EXPO_LABELS({"pci_address", g->bdf}, {"engine", k->engine},
					   {"class", k->class}, {"function", fn}));
		break;
	}
}

static void
emit(struct expo *out, const struct gpu *g)
{
	(void)expo_add(out, "gpu_sriov_pmu_available", EXPO_GAUGE, help_available, g->open ? 1 : 0,
		       EXPO_LABELS({"pci_address", g->bdf}));
	if (!g->open) {
		(void)expo_add(out, "gpu_sriov_pmu_open_error_info", EXPO_GAUGE, help_error, 1,
			       EXPO_LABELS({"pci_address", g->bdf}, {"error", errno_name(g->err)}));
		return;
	}
	for (size_t i = 0; i < g->nctr; i++)
		emit_counter(out, g, &g->ctr[i]);
}

static int
pmu_collect(struct collector *c, struct expo *out)
{
	struct pmu_state *st = collector_get_data(c);
	struct pci_list l;
	bool shared_taken = false;
	int64_t now = monotonic_ns();

	int r = pci_list_gpus(c, collector_roots(c)->sys, &l);
	if (r < 0)
		return r;
	sync_gpus(c, st, &l);
	pci_list_free(&l);

	/* The shared "i915" PMU (the integrated GPU's) goes to one function only: the one holding
	 * it already, else the lowest address without its own PMU. */
	for (size_t i = 0; i < st->n; i++) {
		struct gpu *g = &st->gpu[i];
		if (!g->open)
			continue;
		/* Read before checking, so a reopen loses nothing since the last scrape. */
		if (read_gpu(g) < 0 || !still_current(c, g)) {
			/* The first reopen is immediate (a rebind or a new VF count is ready by
			 * now); repeated ones back off. */
			log_msg(LOG_LEVEL_INFO, "pmu", 0, "%s: PMU %s changed or gone, reopening",
				g->bdf, g->pmu);
			close_gpu(st, g);
			g->err = ENODEV;
			g->next_try = now + g->backoff;
			g->backoff = next_backoff(g->backoff);
			continue;
		}
		g->backoff = 0;
		shared_taken = shared_taken || strcmp(g->pmu, "i915") == 0;
	}
	for (size_t i = 0; i < st->n; i++) {
		struct gpu *g = &st->gpu[i];
		bool shared = false;
		if (!g->open && now >= g->next_try) {
			try_open(c, st, g, !shared_taken, &shared, now);
			shared_taken = shared_taken || shared;
		}
		emit(out, g);
	}
	return 0;
}

const struct collector_ops pmu_collector = {
	.name = "pmu",
	.help = "Engine busy time from the i915/xe perf PMUs (host; needs CAP_PERFMON)",
	.default_enabled = true,
	.init = pmu_init,
	.collect = pmu_collect,
	.fini = pmu_fini,
};
