/* fdinfo collector: GPU use per DRM client, from proc/<pid>/fdinfo. Inside a VF guest this is the
 * only busy source (i915 registers no PMU there), and it is the only way to see that a process
 * such as Frigate's detector holds no GPU client at all, i.e. silently fell back to the CPU.
 *
 * Reading other users' fdinfo needs ptrace-read rights (root or CAP_SYS_PTRACE) and the scan
 * visits every process, so the collector is off by default; guests enable it with
 * --collector.fdinfo. Cost is kept down by skipping fds whose link is not below /dev/dri/ before
 * reading anything, by remembering processes seen without DRM fds for 30 s, and by listing the
 * fds of processes with DRM fds again only every 5 s (their fdinfo is read on every scrape).
 *
 * Clients come and go, so the busy counters are running totals built from per-client deltas: the
 * last value of each (drm-pdev, drm-client-id) is kept, only growth is added, and a value that
 * goes backwards keeps the old maximum. A client's history stays in the totals after it exits. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../exporter/log.h"
#include "../exporter/parse.h"
#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "collectors.h"
#include "fdinfo.h"
#include "fdinfo_parse.h"
#include "pci.h"

/* Per-scrape bounds for a host with thousands of processes. Hitting one is logged once. A client
 * is only forgotten when the process that held it was fully scanned or is gone: one that was
 * merely not visited would otherwise have its whole history added again when next seen. */
#define MAX_PROCS 16384
#define MAX_FDS 1024
#define MAX_OBS 4096     /* DRM fds recorded */
#define MAX_CLIENTS 4096 /* clients remembered */
#define MAX_DEV_ENGINES 256
/* A process found without DRM fds is not rescanned (only its proc directory is checked to still be
 * the same process) for FDINFO_QUIET_NS less up to SPREAD_STEPS - 1 steps: 20.1 to 30 s by pid,
 * so rescans spread over scrapes instead of all falling due together (2,000 processes found by
 * the first scrape come due in clumps of 20, not 200: each clump is one slow scrape, a latency
 * spike). */
#define QUIET_STEP_NS (100LL * 1000000LL)
#define SPREAD_STEPS 100
#define COMM_SIZE 64
/* Relative paths below the procfs root: "<pid>/fdinfo/<fd>" with names from readdir. */
#define REL_SIZE 528
#define DRI_PREFIX "/dev/dri/" /* checksrc: path ok (compared with link text, never opened) */

/* One DRM fd seen in this scrape. */
struct obs {
	int pid;
	char comm[COMM_SIZE];
	struct fdinfo_client fi;
};

/* Last values of one engine of a client, so only growth is added to the totals. */
struct client_last {
	char name[FDINFO_NAME_SIZE];
	uint64_t busy_ns;
	uint64_t cycles;
};

struct client {
	char pdev[PARSE_BDF_SIZE];
	uint64_t id;
	uint64_t seen; /* generation of the last scrape that saw it */
	int pid;       /* the lowest pid that held it then */
	size_t neng;
	struct client_last eng[FDINFO_ENGINES_MAX];
};

/* Running total per (device, engine key). */
struct dev_engine {
	uint32_t hash; /* key_hash() of the key: compared before the strings */
	char pdev[PARSE_BDF_SIZE];
	char engine[FDINFO_NAME_SIZE];
	uint64_t busy_ns;
	unsigned capacity;
	bool has_busy;
};

/* Running totals per (device, process name, class). */
struct comm_class {
	uint32_t hash; /* key_hash() of the key */
	char pdev[PARSE_BDF_SIZE];
	char comm[COMM_SIZE];
	char class[FDINFO_NAME_SIZE];
	uint64_t busy_ns;
	uint64_t cycles;
	uint64_t total_cycles;
	uint64_t last_ts; /* GPU timestamp (drm-total-cycles) at the previous sighting */
	uint64_t ts_now;  /* the largest one seen in this scrape */
	bool has_busy;
	bool has_cycles;
	bool has_ts;
	bool ts_seen;
};

/* A process without DRM fds. procfs makes a new inode (a new number) for each process behind a
 * pid, and the /proc listing gives it (d_ino), so a reused pid is rescanned at once without a
 * system call per process. */
struct quiet_pid {
	int pid;
	uint64_t ino; /* of proc/<pid> as the /proc listing gives it: a new process has a new one */
	int64_t expires;
};

/* A process holding DRM fds: which fds they are and its name. Its fdinfo is read on every scrape
 * (the counters move), but its fd table is listed again only after 2.525 to 5 s by pid (a DRM fd
 * it opens later is seen within 5 s; one it closes, at once: its fdinfo read fails), spread like
 * the quiet ones: the DRM clients found by one scrape do not all come due in another. */
#define BUSY_NS (5LL * 1000000000LL)
#define BUSY_STEP_NS (25LL * 1000000LL)
#define BUSY_FDS 16

struct busy_pid {
	int pid;
	uint64_t ino;
	int64_t expires;
	char comm[COMM_SIZE];
	unsigned nfds;
	int fds[BUSY_FDS];
};

/* Per-scrape memory gauge and client count. */
struct mem {
	char pdev[PARSE_BDF_SIZE];
	char comm[COMM_SIZE];
	char region[FDINFO_NAME_SIZE];
	uint64_t bytes;
};

struct dev_count {
	char pdev[PARSE_BDF_SIZE];
	unsigned clients;
};

/* A pid listed in this scrape, and whether all its fds were checked. */
struct visit {
	int pid;
	bool full;
};

struct fdinfo_state {
	struct client *clients;
	size_t nclients, capclients;
	struct dev_engine *engines;
	size_t nengines, capengines;
	struct comm_class *comms;
	size_t ncomms, capcomms;
	struct quiet_pid *quiet; /* sorted by pid */
	size_t nquiet;
	struct busy_pid *busy; /* sorted by pid */
	size_t nbusy;
	uint64_t generation;
	bool warned_procs, warned_fds, warned_obs, warned_clients, warned_comms;
	char buf[FDINFO_FILE_MAX + 1];
};

/* What one scrape found. */
struct scan {
	struct obs *obs;
	size_t nobs, capobs;
	struct quiet_pid *quiet;
	size_t nquiet, capquiet;
	struct busy_pid *busy;
	size_t nbusy, capbusy;
	struct mem *mem;
	size_t nmem, capmem;
	struct dev_count *devs;
	size_t ndevs, capdevs;
	struct visit *visits; /* sorted by pid once the walk is done */
	size_t nvisits, capvisits;
	unsigned unreadable;
	bool truncated; /* MAX_PROCS reached: unlisted pids may still exist */
};

/* Makes room for one more element in *p (capacity *cap, n in use). */
static void
grow(void *p, size_t *cap, size_t n, size_t size)
{
	void **pp = p;

	if (n < *cap)
		return;
	*cap = *cap == 0 ? 16 : *cap * 2;
	*pp = xrealloc(*pp, *cap * size);
}

/* ENOENT/ESRCH: the process or the fd went away during the scan, which is normal. */
static bool
vanished(int err)
{
	return err == ENOENT || err == ESRCH;
}

static bool
denied(int err)
{
	return err == EACCES || err == EPERM;
}

static void
warn_once(bool *warned, const char *what, int limit)
{
	if (*warned)
		return;
	*warned = true;
	log_msg(LOG_LEVEL_WARN, "fdinfo", 0, "%s (limit %d; logged once)", what, limit);
}

static int
fdinfo_init(struct collector *c, const struct roots *roots)
{
	(void)roots;
	collector_set_data(c, xcalloc(1, sizeof(struct fdinfo_state)));
	return 0;
}

static void
fdinfo_fini(struct collector *c)
{
	struct fdinfo_state *st = collector_get_data(c);

	if (st == NULL)
		return;
	free(st->clients);
	free(st->engines);
	free(st->comms);
	free(st->quiet);
	free(st->busy);
	free(st);
	collector_set_data(c, NULL);
}

static int
cmp_quiet(const void *a, const void *b)
{
	int x = ((const struct quiet_pid *)a)->pid, y = ((const struct quiet_pid *)b)->pid;

	return (x > y) - (x < y);
}

/* True when pid was found without DRM fds less than FDINFO_QUIET_NS ago and is still the same process;
 * it is then carried over into this scrape's list. */
static int
cmp_quiet_busy(const void *a, const void *b)
{
	int x = ((const struct busy_pid *)a)->pid, y = ((const struct busy_pid *)b)->pid;

	return (x > y) - (x < y);
}

static bool
still_quiet(struct fdinfo_state *st, struct scan *sc, int pid, uint64_t ino, int64_t now)
{
	struct quiet_pid key = {pid, 0, 0};

	if (st->nquiet == 0)
		return false;
	const struct quiet_pid *q = bsearch(&key, st->quiet, st->nquiet, sizeof(key), cmp_quiet);
	if (q == NULL || q->expires <= now || q->ino != ino)
		return false;
	grow(&sc->quiet, &sc->capquiet, sc->nquiet, sizeof(*sc->quiet));
	sc->quiet[sc->nquiet++] = *q;
	return true;
}

static void
remember_quiet(struct scan *sc, int pid, uint64_t ino, int64_t now)
{
	struct quiet_pid id = {pid, ino, now + FDINFO_QUIET_NS - (int64_t)(pid % SPREAD_STEPS) * QUIET_STEP_NS};

	grow(&sc->quiet, &sc->capquiet, sc->nquiet, sizeof(*sc->quiet));
	sc->quiet[sc->nquiet++] = id;
}

static void
report_problems(struct collector *c, unsigned problems)
{
	for (unsigned i = 0; i < FDINFO_PROBLEMS; i++) {
		if ((problems & (1u << i)) != 0)
			collector_skip(c, fdinfo_problem_what(1u << i), EINVAL);
	}
}

/* Reads one DRM fd's fdinfo into a new observation. Returns false when the fd is unusable;
 * *ret_complete is cleared when that may hide a live client. */
static bool
read_client(struct collector *c, struct fdinfo_state *st, struct scan *sc, int proc,
	    const char *pid, const char *fd, bool *ret_denied, bool *ret_complete)
{
	char rel[REL_SIZE];
	unsigned problems;

	(void)snprintf(rel, sizeof(rel), "%s/fdinfo/%s", pid, fd);
	ssize_t n = sysfs_read_str(proc, rel, st->buf, sizeof(st->buf));
	if (n < 0) {
		if (denied((int)-n)) {
			*ret_denied = true;
			*ret_complete = false;
		} else if (n == -EFBIG) {
			collector_skip(c, "proc/*/fdinfo/*: larger than 16 KiB", EFBIG);
		} else if (!vanished((int)-n)) {
			collector_skip(c, "proc/*/fdinfo/*: unreadable", (int)-n);
			*ret_complete = false;
		}
		return false;
	}
	if (sc->nobs == MAX_OBS) {
		warn_once(&st->warned_obs, "too many DRM fds: the rest are not read", MAX_OBS);
		*ret_complete = false;
		return false;
	}
	grow(&sc->obs, &sc->capobs, sc->nobs, sizeof(*sc->obs));
	struct obs *o = &sc->obs[sc->nobs];
	int drm = fdinfo_parse(st->buf, (size_t)n, &o->fi, &problems);
	report_problems(c, problems);
	/* Without drm-pdev the device is not a PCI function (virtio-gpu, vgem): not ours. */
	return drm == 1 && o->fi.has_client_id && o->fi.pdev[0] != '\0';
}

/* One process: its DRM fds become observations; a process without any is remembered as quiet.
 * Returns false when some fds could not be checked. */
static bool
scan_pid(struct collector *c, struct fdinfo_state *st, struct scan *sc, int proc,
	 const char *name, int pid, uint64_t ino, int64_t now)
{
	char rel[REL_SIZE], link[64], comm[COMM_SIZE];
	struct dirent *de;
	DIR *d = NULL;
	bool drm = false, complete = true, no_access = false;
	size_t nfds = 0;
	ssize_t comm_len = -1;
	struct busy_pid busy = {
		.pid = pid,
		.ino = ino,
		.expires = now + BUSY_NS - (int64_t)(pid % SPREAD_STEPS) * BUSY_STEP_NS,
	};
	bool busy_ok = true;

	(void)snprintf(rel, sizeof(rel), "%s/fd", name);
	int r = sysfs_opendir(proc, rel, &d);
	if (r < 0) {
		if (vanished(-r))
			return true;
		if (denied(-r))
			sc->unreadable++;
		else
			collector_skip(c, "proc/*/fd: unreadable", -r);
		return false;
	}
	while ((de = readdir(d)) != NULL) {
		uint64_t fd;
		if (parse_u64(de->d_name, 10, INT32_MAX, &fd) < 0)
			continue; /* ".", "..", and nothing else in a real fd directory */
		if (++nfds > MAX_FDS) {
			warn_once(&st->warned_fds, "a process has too many fds, rest skipped",
				  MAX_FDS);
			complete = false;
			break;
		}
		/* The link text names the device; it is never followed (in a fixture tree it would
		 * lead into the real /dev). */
		ssize_t n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n < 0) {
			/* Denied once is denied for every fd: ptrace access is per process. */
			if (denied(errno)) {
				no_access = true;
				complete = false;
				break;
			}
			continue;
		}
		link[n] = '\0';
		if (strncmp(link, DRI_PREFIX, strlen(DRI_PREFIX)) != 0)
			continue;
		drm = true;
		if (!read_client(c, st, sc, proc, name, de->d_name, &no_access, &complete))
			continue;
		if (comm_len < 0) {
			(void)snprintf(rel, sizeof(rel), "%s/comm", name);
			comm_len = sysfs_read_str(proc, rel, comm, sizeof(comm));
		}
		if (comm_len < 0) {
			/* Gone since (its clients are closing), or a comm no kernel writes. */
			if (!vanished((int)-comm_len))
				collector_skip(c, "proc/*/comm: unreadable", (int)-comm_len);
			continue;
		}
		struct obs *o = &sc->obs[sc->nobs++];
		o->pid = pid;
		memcpy(o->comm, comm, (size_t)comm_len + 1);
		uint64_t fdn;
		if (busy.nfds < BUSY_FDS && parse_u64(de->d_name, 10, INT32_MAX, &fdn) == 0)
			busy.fds[busy.nfds++] = (int)fdn;
		else
			busy_ok = false;
	}
	(void)closedir(d);
	if (busy.nfds > 0 && busy_ok && complete && !no_access) {
		memcpy(busy.comm, comm, sizeof(busy.comm));
		grow(&sc->busy, &sc->capbusy, sc->nbusy, sizeof(*sc->busy));
		sc->busy[sc->nbusy++] = busy;
	}
	if (no_access)
		sc->unreadable++;
	if (!drm && complete)
		remember_quiet(sc, pid, ino, now);
	return complete;
}

static int
cmp_obs(const void *a, const void *b)
{
	const struct obs *x = a, *y = b;

	int r = strcmp(x->fi.pdev, y->fi.pdev);
	if (r != 0)
		return r;
	if (x->fi.client_id != y->fi.client_id)
		return x->fi.client_id < y->fi.client_id ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static struct client *
client_get(struct fdinfo_state *st, const char *pdev, uint64_t id)
{
	for (size_t i = 0; i < st->nclients; i++) {
		if (st->clients[i].id == id && strcmp(st->clients[i].pdev, pdev) == 0)
			return &st->clients[i];
	}
	if (st->nclients == MAX_CLIENTS)
		return NULL;
	grow(&st->clients, &st->capclients, st->nclients, sizeof(*st->clients));
	struct client *cl = &st->clients[st->nclients++];
	memset(cl, 0, sizeof(*cl));
	memcpy(cl->pdev, pdev, PARSE_BDF_SIZE);
	cl->id = id;
	return cl;
}

static struct client_last *
client_engine(struct client *cl, const char *name)
{
	for (size_t i = 0; i < cl->neng; i++) {
		if (strcmp(cl->eng[i].name, name) == 0)
			return &cl->eng[i];
	}
	/* The parser keeps at most FDINFO_ENGINES_MAX names per block, but a client could
	 * print other names later: reuse the last slot rather than grow. */
	struct client_last *l = &cl->eng[cl->neng < FDINFO_ENGINES_MAX ? cl->neng++ : cl->neng - 1];
	memset(l, 0, sizeof(*l));
	(void)snprintf(l->name, sizeof(l->name), "%s", name);
	return l;
}

/* FNV-1a over the strings of a key, each with its NUL (so "ab","c" and "a","bc" differ). The
 * totals are looked up once per engine of every DRM fd in every scrape: with hundreds of clients
 * and process names, comparing strings only where the hashes match keeps that linear search
 * cheap. */
static uint32_t
key_hash(const char *a, const char *b, const char *c)
{
	const char *parts[3] = {a, b, c};
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < nitems(parts) && parts[i] != NULL; i++) {
		const unsigned char *p = (const unsigned char *)parts[i];
		do {
			h = (h ^ *p) * 16777619u;
		} while (*p++ != '\0');
	}
	return h;
}

static struct dev_engine *
dev_engine_get(struct fdinfo_state *st, const char *pdev, const char *engine)
{
	uint32_t h = key_hash(pdev, engine, NULL);

	for (size_t i = 0; i < st->nengines; i++) {
		if (st->engines[i].hash == h && strcmp(st->engines[i].engine, engine) == 0 &&
		    strcmp(st->engines[i].pdev, pdev) == 0)
			return &st->engines[i];
	}
	if (st->nengines == MAX_DEV_ENGINES)
		return NULL;
	grow(&st->engines, &st->capengines, st->nengines, sizeof(*st->engines));
	struct dev_engine *e = &st->engines[st->nengines++];
	memset(e, 0, sizeof(*e));
	e->hash = h;
	memcpy(e->pdev, pdev, PARSE_BDF_SIZE);
	(void)snprintf(e->engine, sizeof(e->engine), "%s", engine);
	return e;
}

static struct comm_class *
comm_find(struct fdinfo_state *st, uint32_t h, const char *pdev, const char *comm,
	  const char *class)
{
	for (size_t i = 0; i < st->ncomms; i++) {
		struct comm_class *k = &st->comms[i];
		if (k->hash == h && strcmp(k->class, class) == 0 && strcmp(k->comm, comm) == 0 &&
		    strcmp(k->pdev, pdev) == 0)
			return k;
	}
	return NULL;
}

static struct comm_class *
comm_get(struct fdinfo_state *st, const char *pdev, const char *comm, const char *class)
{
	uint32_t h = key_hash(pdev, comm, class);
	struct comm_class *k = comm_find(st, h, pdev, comm, class);

	if (k != NULL)
		return k;
	if (st->ncomms >= FDINFO_COMMS_MAX) {
		warn_once(&st->warned_comms, "too many comm series, new names go to [other]",
			  FDINFO_COMMS_MAX);
		comm = FDINFO_OTHER_COMM;
		h = key_hash(pdev, comm, class);
		k = comm_find(st, h, pdev, comm, class);
		if (k != NULL)
			return k;
	}
	grow(&st->comms, &st->capcomms, st->ncomms, sizeof(*st->comms));
	k = &st->comms[st->ncomms++];
	memset(k, 0, sizeof(*k));
	k->hash = h;
	memcpy(k->pdev, pdev, PARSE_BDF_SIZE);
	(void)snprintf(k->comm, sizeof(k->comm), "%s", comm);
	(void)snprintf(k->class, sizeof(k->class), "%s", class);
	return k;
}

static void
mem_add(struct scan *sc, const char *pdev, const char *comm, const char *region, uint64_t bytes)
{
	for (size_t i = 0; i < sc->nmem; i++) {
		struct mem *m = &sc->mem[i];
		if (strcmp(m->region, region) == 0 && strcmp(m->comm, comm) == 0 &&
		    strcmp(m->pdev, pdev) == 0) {
			m->bytes = bytes > UINT64_MAX - m->bytes ? UINT64_MAX : m->bytes + bytes;
			return;
		}
	}
	grow(&sc->mem, &sc->capmem, sc->nmem, sizeof(*sc->mem));
	struct mem *m = &sc->mem[sc->nmem++];
	memcpy(m->pdev, pdev, PARSE_BDF_SIZE);
	(void)snprintf(m->comm, sizeof(m->comm), "%s", comm);
	(void)snprintf(m->region, sizeof(m->region), "%s", region);
	m->bytes = bytes;
}

static void
count_client(struct scan *sc, const char *pdev)
{
	for (size_t i = 0; i < sc->ndevs; i++) {
		if (strcmp(sc->devs[i].pdev, pdev) == 0) {
			sc->devs[i].clients++;
			return;
		}
	}
	grow(&sc->devs, &sc->capdevs, sc->ndevs, sizeof(*sc->devs));
	memcpy(sc->devs[sc->ndevs].pdev, pdev, PARSE_BDF_SIZE);
	sc->devs[sc->ndevs++].clients = 1;
}

/* Adds growth of a counter since the client's last value; a value that went backwards keeps
 * the old maximum (i915 runtime can dip briefly while a context is switched out). */
static uint64_t
growth(uint64_t now, uint64_t *last)
{
	if (now <= *last)
		return 0;
	uint64_t d = now - *last;
	*last = now;
	return d;
}

/* One distinct client, seen through o (its lowest pid, which names it). */
static void
account(struct fdinfo_state *st, struct scan *sc, const struct obs *o)
{
	const struct fdinfo_client *fi = &o->fi;

	count_client(sc, fi->pdev);
	struct client *cl = client_get(st, fi->pdev, fi->client_id);
	if (cl == NULL) {
		warn_once(&st->warned_clients, "too many DRM clients: the rest are not counted",
			  MAX_CLIENTS);
		return;
	}
	cl->seen = st->generation;
	cl->pid = o->pid;
	for (size_t i = 0; i < fi->nengines; i++) {
		const struct fdinfo_engine *e = &fi->engines[i];
		struct client_last *last = client_engine(cl, e->name);
		struct dev_engine *de = dev_engine_get(st, fi->pdev, e->name);
		struct comm_class *k = comm_get(st, fi->pdev, o->comm,
						fdinfo_engine_class(e->name));
		if (de != NULL)
			de->capacity = e->capacity;
		if (e->has_busy) {
			uint64_t d = growth(e->busy_ns, &last->busy_ns);
			if (de != NULL) {
				de->has_busy = true;
				de->busy_ns += d;
			}
			k->has_busy = true;
			k->busy_ns += d;
		}
		if (e->has_cycles) {
			k->has_cycles = true;
			k->cycles += growth(e->cycles, &last->cycles);
		}
		if (e->has_total_cycles && (!k->ts_seen || e->total_cycles > k->ts_now)) {
			k->ts_now = e->total_cycles;
			k->ts_seen = true;
		}
	}
	for (size_t i = 0; i < fi->nregions; i++)
		mem_add(sc, fi->pdev, o->comm, fi->regions[i].name, fi->regions[i].resident_bytes);
}

/* drm-total-cycles is the GPU timestamp when fdinfo was read, the same clock for every client:
 * a process name's elapsed cycles advance by how far it moved since that name was last seen,
 * not by the sum over its clients. A clock that went backwards (GPU reset, driver reload)
 * only sets a new base. */
static void
advance_timestamps(struct fdinfo_state *st)
{
	for (size_t i = 0; i < st->ncomms; i++) {
		struct comm_class *k = &st->comms[i];
		if (!k->ts_seen)
			continue;
		if (k->has_ts && k->ts_now > k->last_ts)
			k->total_cycles += k->ts_now - k->last_ts;
		k->last_ts = k->ts_now;
		k->has_ts = true;
		k->ts_seen = false;
	}
}

static int
cmp_visit(const void *a, const void *b)
{
	int x = ((const struct visit *)a)->pid, y = ((const struct visit *)b)->pid;

	return (x > y) - (x < y);
}

/* An unseen client has exited when its process was fully scanned or is gone; its history stays
 * in the totals. One whose process could not be (fully) read is kept for later. */
static void
forget_clients(struct fdinfo_state *st, const struct scan *sc)
{
	size_t j = 0;

	for (size_t i = 0; i < st->nclients; i++) {
		const struct client *cl = &st->clients[i];
		bool keep = cl->seen == st->generation;
		if (!keep) {
			struct visit key = {cl->pid, false};
			const struct visit *v = sc->nvisits == 0 ? NULL
					      : bsearch(&key, sc->visits, sc->nvisits,
							sizeof(key), cmp_visit);
			keep = v != NULL ? !v->full : sc->truncated;
		}
		if (keep)
			st->clients[j++] = *cl;
	}
	st->nclients = j;
}

/* A process whose DRM fds were listed less than BUSY_NS ago: reads their fdinfo only, and sets
 * *ret_full as scan_pid() returns it. Returns false when it is not known (or no longer the same
 * process, or due for a full scan); after a failed read its fds are listed again next time. */
static bool
known_busy(struct collector *c, struct fdinfo_state *st, struct scan *sc, int proc,
	   const char *name, int pid, uint64_t ino, int64_t now, bool *ret_full)
{
	struct busy_pid key = {.pid = pid};
	bool no_access = false, complete = true;

	if (st->nbusy == 0)
		return false;
	const struct busy_pid *b = bsearch(&key, st->busy, st->nbusy, sizeof(key), cmp_quiet_busy);
	if (b == NULL || b->expires <= now || b->ino != ino)
		return false;
	for (unsigned i = 0; i < b->nfds; i++) {
		char fd[16];
		(void)snprintf(fd, sizeof(fd), "%d", b->fds[i]);
		if (!read_client(c, st, sc, proc, name, fd, &no_access, &complete))
			continue;
		struct obs *o = &sc->obs[sc->nobs++];
		o->pid = pid;
		(void)snprintf(o->comm, sizeof(o->comm), "%s", b->comm);
	}
	if (no_access)
		sc->unreadable++;
	*ret_full = complete && !no_access;
	if (*ret_full) {
		grow(&sc->busy, &sc->capbusy, sc->nbusy, sizeof(*sc->busy));
		sc->busy[sc->nbusy++] = *b;
	}
	return true;
}

static int
walk_proc(struct collector *c, struct fdinfo_state *st, struct scan *sc, int proc, int64_t now)
{
	struct dirent *de;
	DIR *d = NULL;
	size_t n = 0;

	int r = sysfs_opendir(proc, ".", &d);
	if (r < 0)
		return r;
	while ((de = readdir(d)) != NULL) {
		uint64_t pid;
		if (parse_u64(de->d_name, 10, INT32_MAX, &pid) < 0)
			continue; /* self, sys, cmdline, ... */
		if (++n > MAX_PROCS) {
			warn_once(&st->warned_procs, "too many processes: the rest are not scanned",
				  MAX_PROCS);
			sc->truncated = true;
			break;
		}
		uint64_t ino = (uint64_t)de->d_ino;
		bool full = true;
		if (!still_quiet(st, sc, (int)pid, ino, now) &&
		    !known_busy(c, st, sc, proc, de->d_name, (int)pid, ino, now, &full))
			full = scan_pid(c, st, sc, proc, de->d_name, (int)pid, ino, now);
		grow(&sc->visits, &sc->capvisits, sc->nvisits, sizeof(*sc->visits));
		sc->visits[sc->nvisits++] = (struct visit){(int)pid, full};
	}
	(void)closedir(d);
	if (sc->nvisits > 0)
		qsort(sc->visits, sc->nvisits, sizeof(*sc->visits), cmp_visit);
	return 0;
}

/* HELP texts; the families are documented by them (README reference, promtool). */
#define CLIENTS_HELP                                                                               \
	"Distinct DRM clients (drm-client-id) open on the device now, from /proc/<pid>/fdinfo; " \
	"0 while a GPU user such as Frigate runs means it fell back to the CPU. Processes seen "   \
	"without DRM fds are rechecked within 30 s, so a new client can show up to 30 s late."
#define CAPACITY_HELP                                                                              \
	"Engines of this class on the device as DRM fdinfo reports them "                          \
	"(drm-engine-capacity-<engine>, 1 when absent): divide a busy rate by it for a 0-1 ratio."
#define COMM_BUSY_HELP                                                                             \
	"Busy time of one engine class summed over the DRM clients of every process with this "    \
	"name (/proc/<pid>/comm), from drm-engine-<engine> in fdinfo; never decreases while the "  \
	"exporter runs."
#define CYCLES_HELP                                                                                \
	"GPU cycles one engine class was busy for the DRM clients of processes with this name "    \
	"(xe drm-cycles-<engine>); busy ratio = rate(this) / "                                     \
	"rate(gpu_sriov_client_engine_total_cycles_total)."
#define TOTAL_CYCLES_HELP                                                                          \
	"GPU timestamp cycles elapsed while processes with this name held DRM clients (advance "   \
	"of xe drm-total-cycles-<engine>): the denominator for "                                   \
	"gpu_sriov_client_engine_cycles_total."
#define RESIDENT_HELP                                                                              \
	"GPU memory of one region resident for the DRM clients of processes with this name now "   \
	"(drm-resident-<region>, or the older drm-memory-<region>, in fdinfo)."
#define UNREADABLE_HELP                                                                            \
	"Processes whose open files could not be inspected in this scrape (EACCES on "             \
	"/proc/<pid>/fd: the exporter needs root or CAP_SYS_PTRACE); their DRM clients are "       \
	"missing from the fdinfo metrics."

static void
emit_engine(struct expo *out, const struct dev_engine *e)
{
	const char *class = fdinfo_engine_class(e->engine);

	if (e->has_busy)
		(void)expo_add(out, "gpu_sriov_engine_busy_seconds_total", EXPO_COUNTER,
			       ENGINE_BUSY_HELP, (double)e->busy_ns / 1e9,
			       EXPO_LABELS({"pci_address", e->pdev}, {"engine", e->engine},
					   {"class", class}, {"source", "fdinfo"}));
	(void)expo_add(out, "gpu_sriov_drm_engine_capacity", EXPO_GAUGE, CAPACITY_HELP, e->capacity,
		       EXPO_LABELS({"pci_address", e->pdev}, {"engine", e->engine},
				   {"class", class}));
}

static void
emit_comm(struct expo *out, const struct comm_class *k)
{
	const struct expo_label l[] = {
		{"pci_address", k->pdev},
		{"comm", k->comm},
		{"class", k->class},
	};

	if (k->has_busy)
		(void)expo_add(out, "gpu_sriov_client_engine_busy_seconds_total", EXPO_COUNTER,
			       COMM_BUSY_HELP, (double)k->busy_ns / 1e9, l, nitems(l));
	if (k->has_cycles)
		(void)expo_add(out, "gpu_sriov_client_engine_cycles_total", EXPO_COUNTER,
			       CYCLES_HELP, (double)k->cycles, l, nitems(l));
	if (k->has_ts)
		(void)expo_add(out, "gpu_sriov_client_engine_total_cycles_total", EXPO_COUNTER,
			       TOTAL_CYCLES_HELP, (double)k->total_cycles, l, nitems(l));
}

static void
emit(struct expo *out, const struct fdinfo_state *st, const struct scan *sc,
     const struct pci_list *gpus)
{
	for (size_t i = 0; i < st->nengines; i++)
		emit_engine(out, &st->engines[i]);

	/* GPU functions without clients get 0, not nothing, so "nothing uses the GPU" shows. */
	for (size_t i = 0; i < sc->ndevs; i++)
		(void)expo_add(out, "gpu_sriov_drm_clients", EXPO_GAUGE, CLIENTS_HELP,
			       sc->devs[i].clients, EXPO_LABELS({"pci_address", sc->devs[i].pdev}));
	for (size_t i = 0; i < gpus->n; i++) {
		bool seen = false;
		for (size_t j = 0; j < sc->ndevs && !seen; j++)
			seen = strcmp(sc->devs[j].pdev, gpus->fns[i].bdf) == 0;
		if (!seen)
			(void)expo_add(out, "gpu_sriov_drm_clients", EXPO_GAUGE, CLIENTS_HELP, 0,
				       EXPO_LABELS({"pci_address", gpus->fns[i].bdf}));
	}

	for (size_t i = 0; i < st->ncomms; i++)
		emit_comm(out, &st->comms[i]);

	for (size_t i = 0; i < sc->nmem; i++) {
		const struct mem *m = &sc->mem[i];
		(void)expo_add(out, "gpu_sriov_drm_client_resident_bytes", EXPO_GAUGE,
			       RESIDENT_HELP, (double)m->bytes,
			       EXPO_LABELS({"pci_address", m->pdev}, {"comm", m->comm},
					   {"region", m->region}));
	}

	(void)expo_add(out, "gpu_sriov_fdinfo_processes_unreadable", EXPO_GAUGE, UNREADABLE_HELP,
		       sc->unreadable, NULL, 0);
}

static void
scan_free(struct scan *sc)
{
	free(sc->obs);
	free(sc->quiet);
	free(sc->busy);
	free(sc->mem);
	free(sc->devs);
	free(sc->visits);
}

static int
fdinfo_collect(struct collector *c, struct expo *out)
{
	struct fdinfo_state *st = collector_get_data(c);
	const struct roots *roots = collector_roots(c);
	struct scan sc;
	struct pci_list gpus = {NULL, 0};
	int64_t now = monotonic_ns();

	memset(&sc, 0, sizeof(sc));
	int r = walk_proc(c, st, &sc, roots->proc, now);
	if (r < 0)
		goto out;
	st->generation++;
	/* Lowest pid first per client: a dup'ed or inherited fd is one client, named after the
	 * process that opened it (usually the parent). */
	if (sc.nobs > 0)
		qsort(sc.obs, sc.nobs, sizeof(*sc.obs), cmp_obs);
	for (size_t i = 0; i < sc.nobs; i++) {
		if (i > 0 && sc.obs[i].fi.client_id == sc.obs[i - 1].fi.client_id &&
		    strcmp(sc.obs[i].fi.pdev, sc.obs[i - 1].fi.pdev) == 0)
			continue;
		account(st, &sc, &sc.obs[i]);
	}
	advance_timestamps(st);
	forget_clients(st, &sc);
	if (sc.nquiet > 0)
		qsort(sc.quiet, sc.nquiet, sizeof(*sc.quiet), cmp_quiet);
	free(st->quiet);
	st->quiet = sc.quiet;
	st->nquiet = sc.nquiet;
	sc.quiet = NULL;
	/* Busy pids are found in pid order already (walk_proc), so no sort is needed to bsearch;
	 * sort anyway: the /proc listing order is not promised. */
	if (sc.nbusy > 0)
		qsort(sc.busy, sc.nbusy, sizeof(*sc.busy), cmp_quiet_busy);
	free(st->busy);
	st->busy = sc.busy;
	st->nbusy = sc.nbusy;
	sc.busy = NULL;

	r = pci_list_gpus(c, roots->sys, &gpus);
	if (r < 0) {
		collector_skip(c, "bus/pci/devices", -r);
		gpus.n = 0;
	}
	emit(out, st, &sc, &gpus);
	r = 0;
out:
	pci_list_free(&gpus);
	scan_free(&sc);
	return r;
}

const struct collector_ops fdinfo_collector = {
	.name = "fdinfo",
	.help = "GPU busy, clients and memory per process name from /proc/*/fdinfo (needs "
		"CAP_SYS_PTRACE; for guests)",
	.default_enabled = false,
	.init = fdinfo_init,
	.collect = fdinfo_collect,
	.fini = fdinfo_fini,
};
