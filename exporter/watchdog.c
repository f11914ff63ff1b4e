/* VF watchdog runtime. Side: unprivileged. One thread waits for udev PCI/DRM events (the
 * kernel's netlink source, so it works without udevd) or the periodic interval, takes a fresh
 * look at every SR-IOV GPU PF, lets watchdog_policy.c decide, and sends at most one fixed
 * request per PF to the privileged helper. Results go to the log, the metrics and a state file
 * under rootfs var/lib/gpu-sriov-exporter, so a restart loop cannot become a repair loop. */
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../collectors/pci.h"
#include "../collectors/persist.h"
#include "../collectors/pve.h"
#include "helper_client.h"
#include "log.h"
#include "parse.h"
#include "sysfs.h"
#include "watchdog.h"
#include "watchdog_policy.h"
#include "watchdog_state.h"
#include "xalloc.h"

#define MAX_PFS 64
#define MAX_LIST 64
#define STATE_DIR "var/lib/gpu-sriov-exporter"
#define STATE_FILE "watchdog.state"
/* udev sends a burst of events when VFs come and go; how long the watchdog waits for it to end
 * (see wait_burst()). QUIET_MS is well above the gaps inside a burst of removals (1 to 30 ms
 * between VFs under QEMU/TCG, less on hardware), SETTLE_MS the former debounce, for everything
 * that is not only removals. A stream of events is cut after BURST_MAX_MS. */
#define QUIET_MS 15
#define SETTLE_MS 150
#define BURST_MAX_MS 1000
/* How long a repair waits for VFs to bind after the write. */
#define VERIFY_NS (2LL * 1000000000LL)
#define HOOK_TIMEOUT_NS (30LL * 1000000000LL)
#define NS 1000000000LL

struct wd_pf {
	char bdf[PARSE_BDF_SIZE];
	struct wd_history h;
	struct wd_decision d;
	bool needed;       /* current < target at the last check */
	bool counted_skip; /* this episode of "needed but refused" was counted */
	bool looked;       /* vfs, has_target, target come from a check, not the state file */
	bool has_target;
	unsigned target;
	unsigned vfs;      /* virtfn links at the last check */
};

struct watchdog {
	struct watchdog_config cfg;
	const struct roots *roots;
	const struct collector_options *opts;
	struct wd_config policy;
	char *drivers[MAX_LIST];
	size_t ndrivers;
	char vfio[MAX_LIST][PARSE_BDF_SIZE];
	size_t nvfio;
	struct helper_client *helper;
	struct udev *udev;
	struct udev_monitor *mon;
	int state_dir; /* -1 without persistence */
	int stop[2];
	bool started;
	pthread_t thread;
	pthread_mutex_t lock; /* pfs, npfs: read by the metrics collector */
	struct wd_pf pfs[MAX_PFS];
	size_t npfs;
	_Atomic int64_t heartbeat;
};

static int64_t
realtime_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static size_t
split_list(const char *list, char *items, size_t item_size, size_t max)
{
	size_t n = 0;

	for (const char *p = list; *p != '\0' && n < max;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		(void)snprintf(items + n * item_size, item_size, "%.*s", (int)len, p);
		n++;
		p += len + (comma != NULL);
	}
	return n;
}

static struct wd_pf *
pf_slot(struct watchdog *wd, const char *bdf)
{
	for (size_t i = 0; i < wd->npfs; i++) {
		if (strcmp(wd->pfs[i].bdf, bdf) == 0)
			return &wd->pfs[i];
	}
	if (wd->npfs == MAX_PFS)
		return NULL;
	struct wd_pf *p = &wd->pfs[wd->npfs++];
	memset(p, 0, sizeof(*p));
	(void)snprintf(p->bdf, sizeof(p->bdf), "%s", bdf);
	return p;
}

static void
save_state(struct watchdog *wd)
{
	struct wd_state_entry e[MAX_PFS];

	if (wd->state_dir < 0)
		return;
	for (size_t i = 0; i < wd->npfs; i++) {
		memcpy(e[i].bdf, wd->pfs[i].bdf, sizeof(e[i].bdf));
		e[i].h = wd->pfs[i].h;
	}
	int r = wd_state_save(wd->state_dir, STATE_FILE, e, wd->npfs);
	if (r < 0)
		log_msg(LOG_LEVEL_WARN, "watchdog", -r, "cannot save %s/%s", STATE_DIR, STATE_FILE);
}

static void
load_state(struct watchdog *wd)
{
	struct wd_state_entry e[MAX_PFS];

	int n = wd_state_load(wd->state_dir, STATE_FILE, e, MAX_PFS);
	if (n == -EBADMSG) {
		log_msg(LOG_LEVEL_WARN, "watchdog", 0,
			"%s/%s is torn or not ours: ignored, starting fresh", STATE_DIR, STATE_FILE);
		return;
	}
	if (n < 0) {
		log_msg(LOG_LEVEL_WARN, "watchdog", -n, "cannot read %s/%s", STATE_DIR, STATE_FILE);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct wd_pf *p = pf_slot(wd, e[i].bdf);
		if (p != NULL)
			p->h = e[i].h;
	}
}

/* Runs the user's hook with the PF, the count and the result in its environment; kills it after
 * HOOK_TIMEOUT_NS so a hung hook cannot stop the watchdog. */
static void
run_hook(struct watchdog *wd, const char *bdf, unsigned count, int result)
{
	char pf[64], vfs[48], res[48];
	char *const argv[] = {(char *)(uintptr_t)wd->cfg.exec, NULL};

	(void)snprintf(pf, sizeof(pf), "GPU_SRIOV_PF=%s", bdf);
	(void)snprintf(vfs, sizeof(vfs), "GPU_SRIOV_VFS=%u", count);
	(void)snprintf(res, sizeof(res), "GPU_SRIOV_RESULT=%s", result == 0 ? "success" : "failure");
	char *const envp[] = {pf, vfs, res, (char *)(uintptr_t)"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			      NULL};
	pid_t pid = fork();
	if (pid < 0) {
		log_msg(LOG_LEVEL_WARN, "watchdog", errno, "cannot run %s", wd->cfg.exec);
		return;
	}
	if (pid == 0) {
		execve(wd->cfg.exec, argv, envp);
		_exit(127);
	}
	int status = 0;
	int64_t deadline = monotonic_ns() + HOOK_TIMEOUT_NS;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return;
		if (monotonic_ns() >= deadline) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			log_msg(LOG_LEVEL_WARN, "watchdog", 0, "%s killed after 30s", wd->cfg.exec);
			return;
		}
		struct timespec ts = {0, 50000000};
		(void)nanosleep(&ts, NULL);
	}
	log_msg(LOG_LEVEL_INFO, "watchdog", 0, "%s %s exited with %d", wd->cfg.exec, bdf,
		WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* After a good write: do the VFs bind (or stay unbound when autoprobe is off), do render nodes
 * appear for VFs on a DRM driver? Logged; the helper already checked the count. */
static void
verify_binding(struct watchdog *wd, const char *pf)
{
	int sys = wd->roots->sys;
	int64_t deadline = monotonic_ns() + VERIFY_NS;
	char rel[96];
	uint64_t autoprobe = 1;
	struct pci_list l = {NULL, 0};

	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/sriov_drivers_autoprobe", pf);
	(void)sysfs_read_u64(sys, rel, 10, 1, &autoprobe);
	size_t vfs = 0, bound = 0, nodes = 0;
	for (;;) {
		pci_list_free(&l);
		if (pci_list_gpus(NULL, sys, &l) < 0)
			return;
		vfs = bound = nodes = 0;
		for (size_t i = 0; i < l.n; i++) {
			if (l.fns[i].role != PCI_ROLE_VF || strcmp(l.fns[i].pf, pf) != 0)
				continue;
			vfs++;
			bound += l.fns[i].driver[0] != '\0';
			(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/drm", l.fns[i].bdf);
			nodes += faccessat(sys, rel, F_OK, 0) == 0;
		}
		if ((autoprobe == 0 || bound == vfs) || monotonic_ns() >= deadline)
			break;
		struct timespec ts = {0, 100000000};
		(void)nanosleep(&ts, NULL);
	}
	pci_list_free(&l);
	log_msg(autoprobe == 0 || bound == vfs ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "watchdog", 0,
		"%s: %zu VFs, %zu bound to a driver (autoprobe %s), %zu with DRM nodes", pf, vfs,
		bound, autoprobe ? "on" : "off", nodes);
}

static void
bind_vfio(struct watchdog *wd, const char *pf)
{
	for (size_t i = 0; i < wd->nvfio; i++) {
		char rel[64], target[32], pfname[32];
		uint32_t index;
		(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/physfn", wd->vfio[i]);
		if (sysfs_link_name(wd->roots->sys, rel, target, sizeof(target)) < 0 ||
		    parse_bdf(target, pfname) < 0 || strcmp(pfname, pf) != 0)
			continue;
		if (helper_client_vf(wd->helper, wd->vfio[i], &index) < 0) {
			log_msg(LOG_LEVEL_WARN, "watchdog", 0,
				"%s: not in the helper's vfio allowlist, left as it is", wd->vfio[i]);
			continue;
		}
		int r = helper_client_bind_vfio(wd->helper, index);
		log_msg(r == 0 ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "watchdog", -r,
			"%s: bind to vfio-pci: %s", wd->vfio[i], r == 0 ? "done" : "failed");
	}
}

/* One repair of one PF, already decided. */
static void
repair(struct watchdog *wd, struct wd_pf *p, unsigned current, unsigned target, uint32_t index)
{
	uint32_t after = 0;
	int64_t now = realtime_ns();

	if (wd->cfg.dry_run) {
		p->h.skipped++;
		log_msg(LOG_LEVEL_INFO, "watchdog", 0,
			"%s: dry run: would set sriov_numvfs %u -> %u", p->bdf, current, target);
		return;
	}
	int r = helper_client_set_numvfs(wd->helper, index, target, &after);
	if (r == -EPIPE || r == -ECONNRESET || r == -ETIMEDOUT || r == -EPROTO) {
		helper_client_close(wd->helper);
		wd->helper = NULL;
	}
	pthread_mutex_lock(&wd->lock);
	wd_record_attempt(&wd->policy, &p->h, r, now);
	pthread_mutex_unlock(&wd->lock);
	log_msg(r == 0 ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "watchdog", -r,
		"%s: sriov_numvfs %u -> %u: %s, %u VFs now", p->bdf, current, target,
		r == 0 ? "success" : "failure", after);
	if (r == 0) {
		verify_binding(wd, p->bdf);
		if (wd->helper != NULL)
			bind_vfio(wd, p->bdf);
	}
	if (wd->cfg.exec != NULL)
		run_hook(wd, p->bdf, target, r);
	save_state(wd);
}

/* i915 and xe exist as a stock and an SR-IOV build; only the latter has max_vfs. Other PF
 * drivers (nvme, NICs) have SR-IOV in the one build there is. */
static bool
driver_module_sriov(int sys, const char *driver)
{
	char rel[96];

	if (driver[0] == '\0')
		return false;
	if (strcmp(driver, "i915") != 0 && strcmp(driver, "xe") != 0)
		return true;
	(void)snprintf(rel, sizeof(rel), "module/%s/parameters/max_vfs", driver);
	return faccessat(sys, rel, F_OK, 0) == 0;
}

static bool
expected(const struct watchdog *wd, const struct persist *p, const char *bdf, unsigned *ret)
{
	for (size_t i = 0; i < wd->opts->nexpected_vfs; i++) {
		char b[PARSE_BDF_SIZE];
		unsigned n;
		if (parse_bdf_count(wd->opts->expected_vfs[i], b, &n) == 0 && strcmp(b, bdf) == 0) {
			*ret = n;
			return true;
		}
	}
	const struct persist_entry *e = persist_find(p, bdf);
	if (e != NULL)
		*ret = e->count;
	return e != NULL;
}

static bool
vm_takes(const struct pve_config *pve, const char *bdf)
{
	for (size_t v = 0; pve != NULL && v < pve->nvms; v++) {
		for (size_t h = 0; h < pve->vms[v].nhostpci; h++) {
			for (size_t a = 0; a < pve->vms[v].hostpci[h].naddresses; a++) {
				if (strcmp(pve->vms[v].hostpci[h].addresses[a], bdf) == 0)
					return true;
			}
		}
	}
	return false;
}

static void
check_pf(struct watchdog *wd, const struct pci_fn *fn, const struct persist *persist,
	 const struct pve_config *pve, bool pve_unreadable)
{
	struct wd_input in;
	char rel[96];
	uint64_t total;
	unsigned allowed = 0;
	uint32_t index = 0;

	memset(&in, 0, sizeof(in));
	in.has_target = expected(wd, persist, fn->bdf, &in.target);
	int n = pci_count_vfs(wd->roots->sys, fn->bdf);
	in.current = n > 0 ? (unsigned)n : 0;
	(void)snprintf(rel, sizeof(rel), "bus/pci/devices/%s/sriov_totalvfs", fn->bdf);
	in.totalvfs_known = sysfs_read_u64(wd->roots->sys, rel, 10, 65535, &total) == 0;
	in.totalvfs = in.totalvfs_known ? (unsigned)total : 0;
	in.driver = fn->driver;
	in.module_sriov_capable = driver_module_sriov(wd->roots->sys, fn->driver);
	/* Configs we cannot read might pass the PF: refuse rather than guess. */
	in.pf_assigned_to_vm = pve_unreadable || vm_takes(pve, fn->bdf);
	in.helper_available = wd->helper != NULL;
	in.helper_allows = wd->helper != NULL &&
			   helper_client_pf(wd->helper, fn->bdf, &allowed, &index) == 0 &&
			   in.has_target && allowed == in.target;

	pthread_mutex_lock(&wd->lock);
	struct wd_pf *p = pf_slot(wd, fn->bdf);
	if (p == NULL) {
		pthread_mutex_unlock(&wd->lock);
		return;
	}
	struct wd_decision prev = p->d;
	p->looked = true;
	p->has_target = in.has_target;
	p->target = in.target;
	p->vfs = in.current;
	p->d = wd_decide(&wd->policy, &in, &p->h, realtime_ns());
	p->needed = in.has_target && in.current < in.target;
	bool refused = p->needed && p->d.action != WD_ACTION_REPAIR;
	if (refused && !p->counted_skip)
		p->h.skipped++;
	p->counted_skip = refused;
	if (!p->needed)
		p->counted_skip = false;
	struct wd_decision d = p->d;
	pthread_mutex_unlock(&wd->lock);

	if (d.state != prev.state || d.reason != prev.reason)
		log_msg(d.state == WD_STATE_OK ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "watchdog", 0,
			"%s: %u of %s VFs, state %s%s%s", fn->bdf, in.current,
			in.has_target ? "the intended" : "unknown", wd_state_names[d.state],
			d.reason != WD_REASON_NONE ? ", reason " : "", wd_reason_names[d.reason]);
	if (d.action == WD_ACTION_REPAIR)
		repair(wd, p, in.current, in.target, index);
}

static void
check_all(struct watchdog *wd)
{
	struct pci_list l = {NULL, 0};
	struct persist persist = {NULL, 0};
	struct pve_config *pve = NULL;

	if (wd->helper == NULL) {
		int r = helper_client_connect(wd->roots->root, wd->cfg.helper_socket, &wd->helper);
		if (r < 0)
			log_msg(LOG_LEVEL_DEBUG, "watchdog", -r, "helper at %s not reachable",
				wd->cfg.helper_socket);
	}
	if (pci_list_gpus(NULL, wd->roots->sys, &l) < 0)
		return;
	(void)persist_load(wd->roots->root, &persist, NULL, NULL);
	/* Read afresh rather than through a pve_cache: a cache may miss a same-size edit within one
	 * mtime tick for up to 5 minutes, and this answer decides whether writing is safe. */
	int r = pve_config_load(wd->roots->root, wd->roots->sys, &pve, NULL, NULL);
	for (size_t i = 0; i < l.n; i++) {
		if (l.fns[i].role == PCI_ROLE_PF)
			check_pf(wd, &l.fns[i], &persist, pve, r < 0);
	}
	pve_config_free(pve);
	persist_free(&persist);
	pci_list_free(&l);
}

/* Time until the earliest PF leaves its backoff, capped by the interval. */
static int
next_timeout_ms(struct watchdog *wd)
{
	int64_t wait = wd->cfg.interval_ns, now = realtime_ns();

	pthread_mutex_lock(&wd->lock);
	for (size_t i = 0; i < wd->npfs; i++) {
		int64_t next = wd->pfs[i].h.next_attempt;
		if (wd->pfs[i].d.state == WD_STATE_BACKOFF && next > now && next - now < wait)
			wait = next - now;
	}
	pthread_mutex_unlock(&wd->lock);
	return (int)(wait / 1000000 + 1);
}

/* Reads every queued udev event into *n (a count); clears *removals_only on one that is not the
 * removal of something other than a PF we follow. Returns whether there was any. */
static bool
drain_udev(struct watchdog *wd, bool *removals_only, unsigned *n)
{
	bool any = false;
	struct udev_device *dev;
	char fn[PARSE_BDF_SIZE];

	while ((dev = udev_monitor_receive_device(wd->mon)) != NULL) {
		const char *action = udev_device_get_action(dev);
		log_msg(LOG_LEVEL_DEBUG, "watchdog", 0, "udev %s %s", action != NULL ? action : "?",
			udev_device_get_sysname(dev) != NULL ? udev_device_get_sysname(dev) : "?");
		if (!wd_event_removal(action)) {
			*removals_only = false;
		} else if (wd_event_function(udev_device_get_devpath(dev), fn) == 0) {
			/* The PF itself or its DRM nodes: its driver is going (or coming). */
			pthread_mutex_lock(&wd->lock);
			for (size_t i = 0; i < wd->npfs; i++) {
				if (strcmp(wd->pfs[i].bdf, fn) == 0)
					*removals_only = false;
			}
			pthread_mutex_unlock(&wd->lock);
		}
		udev_device_unref(dev);
		(*n)++;
		any = true;
	}
	return any;
}

/* The followed PFs' VF counts now, against those of the last check. */
static enum wd_burst
burst_step(struct watchdog *wd, bool removals_only)
{
	struct wd_vf_count c[MAX_PFS];
	size_t n = 0;

	if (!removals_only)
		return wd_burst_step(false, NULL, 0);
	/* Only this thread writes pfs: reading them needs no lock. */
	for (size_t i = 0; i < wd->npfs; i++) {
		const struct wd_pf *p = &wd->pfs[i];
		if (!p->looked)
			continue;
		int now = pci_count_vfs(wd->roots->sys, p->bdf);
		if (now < 0)
			continue; /* the PF is gone: its own events settle the burst */
		c[n++] = (struct wd_vf_count){p->vfs, (unsigned)now, p->has_target, p->target};
	}
	return wd_burst_step(true, c, n);
}

/* After the first event of a burst: drains the rest and returns when the watchdog should look.
 * A removal that emptied a PF is looked at at once: the kernel unlinks all its VFs in one pass,
 * and the helper's write waits for the end of that pass (the PF's device lock) anyway. Otherwise
 * wait for QUIET_MS without an event, or SETTLE_MS while a PF is half done or the burst is more
 * than removals, so that a count is never judged in the middle of a change. */
static void
wait_burst(struct watchdog *wd, int fd)
{
	static const char *const why[] = {
		[WD_BURST_LOOK] = "a removal emptied a PF",
		[WD_BURST_QUIET] = "quiet",
		[WD_BURST_SETTLE] = "settled",
	};
	bool removals_only = true;
	unsigned n = 0;
	int64_t start = monotonic_ns(), end = start + BURST_MAX_MS * 1000000LL;
	enum wd_burst step;
	const char *cut = "";

	(void)drain_udev(wd, &removals_only, &n);
	for (;;) {
		step = burst_step(wd, removals_only);
		if (step == WD_BURST_LOOK)
			break;
		int64_t left = (end - monotonic_ns()) / 1000000;
		int wait = step == WD_BURST_QUIET ? QUIET_MS : SETTLE_MS;
		if (left <= 0) {
			cut = ", cut";
			break;
		}
		if (left < wait)
			wait = (int)left;
		struct pollfd quiet = {fd, POLLIN, 0};
		if (poll(&quiet, 1, wait) <= 0 || !drain_udev(wd, &removals_only, &n))
			break;
	}
	log_msg(LOG_LEVEL_DEBUG, "watchdog", 0, "udev: %u events in %lld ms, %s%s: looking", n,
		(long long)((monotonic_ns() - start) / 1000000), why[step], cut);
}

static void *
run(void *arg)
{
	struct watchdog *wd = arg;

	check_all(wd);
	for (;;) {
		struct pollfd fds[2] = {{wd->stop[0], POLLIN, 0},
					{wd->mon != NULL ? udev_monitor_get_fd(wd->mon) : -1, POLLIN, 0}};
		atomic_store(&wd->heartbeat, monotonic_ns());
		int r = poll(fds, 2, next_timeout_ms(wd));
		if (r < 0 && errno != EINTR)
			break;
		if (fds[0].revents != 0)
			break;
		if (fds[1].revents != 0)
			wait_burst(wd, fds[1].fd);
		atomic_store(&wd->heartbeat, monotonic_ns());
		check_all(wd);
	}
	return NULL;
}

static void
open_udev(struct watchdog *wd)
{
	wd->udev = udev_new();
	if (wd->udev != NULL)
		wd->mon = udev_monitor_new_from_netlink(wd->udev, "kernel");
	if (wd->mon == NULL ||
	    udev_monitor_filter_add_match_subsystem_devtype(wd->mon, "pci", NULL) < 0 ||
	    udev_monitor_filter_add_match_subsystem_devtype(wd->mon, "drm", NULL) < 0 ||
	    udev_monitor_enable_receiving(wd->mon) < 0) {
		log_msg(LOG_LEVEL_WARN, "watchdog", 0,
			"no udev event monitor: relying on the periodic check only");
		if (wd->mon != NULL)
			udev_monitor_unref(wd->mon);
		wd->mon = NULL;
	}
}

int
watchdog_start(const struct watchdog_config *cfg, const struct roots *roots,
	       const struct collector_options *opts, struct watchdog **ret)
{
	struct watchdog *wd = xcalloc(1, sizeof(*wd));
	char drivers[MAX_LIST][32];

	wd->cfg = *cfg;
	wd->roots = roots;
	wd->opts = opts;
	wd->state_dir = -1;
	wd->stop[0] = wd->stop[1] = -1;
	wd->ndrivers = split_list(cfg->pf_drivers, &drivers[0][0], sizeof(drivers[0]), MAX_LIST);
	for (size_t i = 0; i < wd->ndrivers; i++)
		wd->drivers[i] = xstrdup(drivers[i]);
	wd->nvfio = split_list(cfg->vfio_vfs, &wd->vfio[0][0], sizeof(wd->vfio[0]), MAX_LIST);
	for (size_t i = 0; i < wd->nvfio; i++)
		(void)parse_bdf(wd->vfio[i], wd->vfio[i]);
	wd->policy.pf_drivers = (const char *const *)wd->drivers;
	wd->policy.npf_drivers = wd->ndrivers;
	wd->policy.force_partial = cfg->force_partial;
	wd->policy.max_repairs = cfg->max_repairs;
	wd->policy.window_ns = cfg->window_ns;
	wd->policy.backoff_first_ns = 10 * NS;
	wd->policy.backoff_max_ns = 3600 * NS;
	(void)pthread_mutex_init(&wd->lock, NULL);
	atomic_store(&wd->heartbeat, monotonic_ns());

	if (mkdirat(roots->root, STATE_DIR, 0750) < 0 && errno != EEXIST)
		log_msg(LOG_LEVEL_WARN, "watchdog", errno, "cannot create %s", STATE_DIR);
	wd->state_dir = openat(roots->root, STATE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (wd->state_dir < 0)
		log_msg(LOG_LEVEL_WARN, "watchdog", errno,
			"no state directory %s: repair budget not kept across restarts", STATE_DIR);
	else
		load_state(wd);
	open_udev(wd);
	wd->stop[0] = wd->stop[1] = -1;
	if (pipe2(wd->stop, O_CLOEXEC) < 0) {
		int r = -errno;
		watchdog_stop(wd);
		return r;
	}
	int err = pthread_create(&wd->thread, NULL, run, wd);
	if (err != 0) {
		watchdog_stop(wd);
		return -err;
	}
	wd->started = true;
	log_msg(LOG_LEVEL_INFO, "watchdog", 0, "watching SR-IOV PFs%s (interval %llds)",
		cfg->dry_run ? " in dry-run mode" : "", (long long)(cfg->interval_ns / NS));
	*ret = wd;
	return 0;
}

void
watchdog_stop(struct watchdog *wd)
{
	if (wd == NULL)
		return;
	if (wd->started) {
		ssize_t w = write(wd->stop[1], "x", 1);
		(void)w; /* a full pipe already wakes the thread */
		(void)pthread_join(wd->thread, NULL);
	}
	for (int i = 0; i < 2; i++) {
		if (wd->stop[i] >= 0)
			(void)close(wd->stop[i]);
	}
	helper_client_close(wd->helper);
	if (wd->mon != NULL)
		udev_monitor_unref(wd->mon);
	if (wd->udev != NULL)
		udev_unref(wd->udev);
	if (wd->state_dir >= 0)
		(void)close(wd->state_dir);
	for (size_t i = 0; i < wd->ndrivers; i++)
		free(wd->drivers[i]);
	(void)pthread_mutex_destroy(&wd->lock);
	free(wd);
}

bool
watchdog_healthy(struct watchdog *wd, int64_t now_ns)
{
	/* A loop may sit in a hook (30 s) or a helper exchange (10 s) besides the interval. */
	return wd == NULL ||
	       now_ns - atomic_load(&wd->heartbeat) < wd->cfg.interval_ns + 120 * NS;
}

void
watchdog_report(struct watchdog *wd, struct expo *out)
{
	static const char *const results[] = {"success", "failure", "skipped"};

	(void)expo_add(out, "gpu_sriov_watchdog_enabled", EXPO_GAUGE,
		       "1 when the VF watchdog runs (--watchdog.enable).", wd != NULL ? 1 : 0,
		       NULL, 0);
	if (wd == NULL)
		return;
	pthread_mutex_lock(&wd->lock);
	for (size_t i = 0; i < wd->npfs; i++) {
		const struct wd_pf *p = &wd->pfs[i];
		uint64_t counts[] = {p->h.successes, p->h.failures, p->h.skipped};
		for (size_t k = 0; k < 3; k++)
			(void)expo_add(out, "gpu_sriov_watchdog_repairs_total", EXPO_COUNTER,
				       "VF repairs by result: success and failure are writes of "
				       "sriov_numvfs through the helper; skipped counts episodes where "
				       "VFs were missing but a rule (or --watchdog.dry-run) prevented "
				       "the write.",
				       (double)counts[k],
				       EXPO_LABELS({"pci_address", p->bdf}, {"result", results[k]}));
		if (p->h.last_repair > 0)
			(void)expo_add(out, "gpu_sriov_watchdog_last_repair_timestamp_seconds",
				       EXPO_GAUGE, "When the watchdog last wrote sriov_numvfs.",
				       (double)p->h.last_repair / 1e9,
				       EXPO_LABELS({"pci_address", p->bdf}));
		for (int s = 0; s < WD_STATES; s++)
			(void)expo_add(out, "gpu_sriov_watchdog_state", EXPO_GAUGE,
				       "Watchdog state per PF, as a state set: ok, repairing, backoff, "
				       "gave_up (repair budget spent), blocked (see the reason).",
				       p->d.state == (enum wd_state)s ? 1 : 0,
				       EXPO_LABELS({"pci_address", p->bdf},
						   {"state", wd_state_names[s]}));
		if (p->d.state == WD_STATE_BLOCKED)
			(void)expo_add(out, "gpu_sriov_watchdog_blocked_reason_info", EXPO_GAUGE,
				       "Why the watchdog will not repair this PF; always 1.", 1,
				       EXPO_LABELS({"pci_address", p->bdf},
						   {"reason", wd_reason_names[p->d.reason]}));
	}
	pthread_mutex_unlock(&wd->lock);
}
