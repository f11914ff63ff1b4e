/* gpu_sriov_exporter entry point: parses flags, opens the root directories every collector reads
 * through, then either collects once (--once) or serves HTTP until SIGTERM, telling systemd when
 * it is ready and, while healthy, that it is alive. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "flags.h"
#include "health.h"
#include "http.h"
#include "listen.h"
#include "../collectors/pci.h"
#include "check.h"
#include "cli.h"
#include "log.h"
#include "registry.h"
#include "scrape.h"
#include "version.h"
#include "watchdog.h"
#include "webconfig.h"
#include "webconfig_watch.h"
#include "xalloc.h"

#define MAX_LISTEN 16
/* The main loop wakes at least this often, so /healthz can tell it is alive. */
#define TICK_NS 1000000000LL
#define ONCE_DEADLINE_NS (60LL * 1000000000LL)

static void
print_version(void)
{
	printf("%s, version %s (branch: %s, revision: %s)\n  build date:       %s\n"
	       "  compiler:         %s\n  platform:         %s\n",
	       PROGRAM_NAME, version_number, version_branch, version_revision, version_build_date,
	       version_compiler, version_platform);
}

static int
run_once(struct scraper *s)
{
	struct buf out = BUF_INIT;

	size_t ok = scraper_run(s, EXPO_FORMAT_TEXT, monotonic_ns() + ONCE_DEADLINE_NS, &out);
	size_t written = fwrite(out.data, 1, out.len, stdout);
	int r = written == out.len && fflush(stdout) == 0 ? 0 : 1;
	buf_free(&out);
	if (r != 0)
		log_errorx("writing to stdout failed");
	else if (ok == 0)
		log_errorx("no collector succeeded");
	return r != 0 || ok == 0 ? 1 : 0;
}

static int
open_listeners(const struct config *cfg, int *fds, size_t *ret_n)
{
	char bound[128];

	if (cfg->systemd_socket) {
		int n = listen_systemd(fds, MAX_LISTEN);
		if (n < 0) {
			log_msg(LOG_LEVEL_ERROR, NULL, -n,
				"--web.systemd-socket: no usable listening sockets from systemd");
			return n;
		}
		for (int i = 0; i < n; i++) {
			listen_describe(fds[i], bound, sizeof(bound));
			log_info("listening on %s (systemd socket)", bound);
		}
		*ret_n = (size_t)n;
		return 0;
	}
	if (cfg->nlisten > MAX_LISTEN) {
		log_errorx("at most %d listen addresses", MAX_LISTEN);
		return -E2BIG;
	}
	for (size_t i = 0; i < cfg->nlisten; i++) {
		int fd = listen_open(cfg->listen[i], bound, sizeof(bound));
		if (fd < 0) {
			log_msg(LOG_LEVEL_ERROR, NULL, -fd, "cannot listen on %s", cfg->listen[i]);
			for (size_t j = 0; j < i; j++)
				(void)close(fds[j]);
			return fd;
		}
		fds[i] = fd;
		log_info("listening on %s", bound);
	}
	*ret_n = cfg->nlisten;
	return 0;
}

/* Watches the web config at path (NULL: none) and the files it names from now on. */
static void
watch_web_config(struct web_watch *w, const char *path)
{
	char *paths[WEB_WATCH_MAX] = {NULL};
	size_t n = path != NULL ? web_config_files(path, paths, WEB_WATCH_MAX) : 0;

	web_watch_set(w, (const char *const *)paths, n);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
}

/* Reloads the web config. The watch is re-armed first: a change made while the files are read
 * then still triggers the next reload. */
static void
reload_web_config(struct web_watch *w, const char *path, struct http_server *server)
{
	watch_web_config(w, path);
	(void)http_reload(server);
}

/* Waits for signals; wakes every tick to refresh the heartbeat, to look for changes to the web
 * config and its files (a reload without SIGHUP, as the toolkit re-reads them) and, when
 * systemd's watchdog is on, to ping it only after a real health check, so a stuck exporter gets
 * restarted. */
static void
main_loop(struct health *h, const sigset_t *signals, struct http_server *server,
	  const char *web_config_file)
{
	struct web_watch watch = {0};
	uint64_t wd_usec = 0;
	int64_t next_ping = 0;
	bool watchdog = sd_watchdog_enabled(0, &wd_usec) > 0;

	watch_web_config(&watch, web_config_file);
	for (;;) {
		int64_t tick = TICK_NS;
		if (watchdog && (int64_t)wd_usec * 500 < tick)
			tick = (int64_t)wd_usec * 500;
		struct timespec ts = {tick / 1000000000LL, tick % 1000000000LL};
		siginfo_t info;
		int sig = sigtimedwait(signals, &info, &ts);
		int64_t now = monotonic_ns();
		health_beat(h, now);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			(void)sd_notify(0, "STOPPING=1");
			web_watch_free(&watch);
			return;
		}
		if (sig == SIGHUP) {
			log_info("received SIGHUP, reloading the web config");
			reload_web_config(&watch, web_config_file, server);
		} else if (web_watch_poll(&watch)) {
			log_info("web config %s or a file it names changed, reloading",
				 web_config_file);
			reload_web_config(&watch, web_config_file, server);
		}
		const char *reason = NULL;
		if (watchdog && now >= next_ping) {
			if (health_check_at(h, now, &reason)) {
				(void)sd_notify(0, "WATCHDOG=1");
				next_ping = now + (int64_t)wd_usec * 500;
			} else {
				log_warnx("not pinging the systemd watchdog: %s", reason);
			}
		}
	}
}

static int
serve(const struct config *cfg, struct web_config *wc, struct scraper *s, struct registry *r,
      struct watchdog *wd)
{
	int fds[MAX_LISTEN];
	size_t nfds = 0;
	struct health h;
	struct http_server *server = NULL;
	sigset_t signals;

	/* Block the signals before any thread exists, so only sigtimedwait() receives them. */
	(void)sigemptyset(&signals);
	(void)sigaddset(&signals, SIGTERM);
	(void)sigaddset(&signals, SIGINT);
	(void)sigaddset(&signals, SIGHUP);
	(void)pthread_sigmask(SIG_BLOCK, &signals, NULL);
	(void)signal(SIGPIPE, SIG_IGN);

	if (open_listeners(cfg, fds, &nfds) < 0)
		return 1;
	registry_init_all(r);
	health_init(&h, s, wd, monotonic_ns());
	struct http_options o = {
		.fds = fds,
		.nfds = nfds,
		.telemetry_path = cfg->telemetry_path,
		.max_requests = cfg->max_requests,
		.max_connections = cfg->max_connections,
		.max_connections_per_ip = cfg->max_connections_per_ip,
		/* Whole seconds for libmicrohttpd, rounded up; the flag allows 1 s to 1 h. */
		.idle_timeout_s = (unsigned int)((cfg->idle_timeout_ns + 999999999LL) / 1000000000LL),
		.web_config_file = cfg->web_config_file,
		.scraper = s,
		.healthy = health_check,
		.health_arg = &h,
	};
	int err = http_start(&o, wc, &server);
	if (err < 0) {
		log_msg(LOG_LEVEL_ERROR, NULL, -err, "cannot start the HTTP server");
		return 1;
	}
	(void)sd_notify(0, "READY=1\nSTATUS=serving metrics");
	main_loop(&h, &signals, server, cfg->web_config_file);
	http_stop(server);
	return 0;
}

/* glibc's malloc gives each thread that allocates while another holds the lock an arena of its
 * own, up to 8 per core, and an arena keeps what its threads freed. Measured when libmicrohttpd
 * still ran a thread per connection: 16 keep-alive clients left every arena holding a
 * collection's worth of freed memory, peak RSS 10.9 MiB instead of 8.1 on host_n150 and 33 MiB
 * instead of 12.7 on the large fixture, while one arena cost nothing measurable in latency or
 * scrapes/s. The event-loop server has fewer threads (one per listening socket, the collection
 * worker, the watchdog), which still allocate concurrently, so one arena keeps bounding the peak.
 * The mmap and trim thresholds stay glibc's (dynamic): fixed at 128 KiB they saved 0.8 MiB more
 * on the large fixture but cost it 10% of its scrapes/s, every 265 KiB body then being a fresh
 * mmap(). Called first, before any thread exists. */
static void
tune_malloc(void)
{
	(void)mallopt(M_ARENA_MAX, 1);
}

static void
log_start(const struct config *cfg, const struct collector_ops *const *ops, size_t nops)
{
	struct buf on = BUF_INIT;

	log_info("starting %s version %s (revision %s)", PROGRAM_NAME, version_number,
		 version_revision);
	for (size_t i = 0; i < nops; i++) {
		if (cfg->collector_enabled[i])
			buf_printf(&on, "%s%s", on.len > 0 ? "," : "", ops[i]->name);
	}
	log_info("enabled collectors: %s", on.len > 0 ? on.data : "(none)");
	buf_free(&on);
	if (geteuid() == 0)
		log_warnx("running as root: the exporter needs no root privileges");
}

int
main(int argc, char **argv)
{
	size_t nops;
	const struct collector_ops *const *ops = registry_builtin(&nops);
	struct config cfg;
	char err[512];
	struct roots roots = {-1, -1, -1};
	struct web_config webcfg = {0};
	int rc;

	tune_malloc();
	if (flags_parse(argc, argv, ops, nops, &cfg, err, sizeof(err)) < 0)
		return cli_usage_error(PROGRAM_NAME, err);
	if (cfg.action == ACTION_HELP) {
		flags_usage(stdout, ops, nops);
		rc = 0;
		goto out;
	}
	if (cfg.action == ACTION_VERSION) {
		print_version();
		rc = 0;
		goto out;
	}
	log_setup(cfg.log_level, cfg.log_format);
	/* Checked before anything starts, so a bad file is one line and exit 2 like a bad flag. */
	if (cfg.web_config_file != NULL &&
	    web_config_load(cfg.web_config_file, &webcfg, err, sizeof(err)) < 0) {
		rc = cli_config_error(PROGRAM_NAME, cfg.web_config_file, err);
		goto out;
	}
	rc = cli_open_root(PROGRAM_NAME, "path.sysfs", cfg.sysfs, &roots.sys);
	if (rc == 0)
		rc = cli_open_root(PROGRAM_NAME, "path.procfs", cfg.procfs, &roots.proc);
	if (rc == 0)
		rc = cli_open_root(PROGRAM_NAME, "path.rootfs", cfg.rootfs, &roots.root);
	if (rc != 0)
		goto out;

	if (!cfg.once && !cfg.check)
		log_start(&cfg, ops, nops);
	if (cfg.ndevice_classes > 0 &&
	    pci_set_device_classes(cfg.device_classes, cfg.ndevice_classes) < 0) {
		rc = cli_usage_error(PROGRAM_NAME, "flag --sriov.device-class: at most 8 prefixes");
		goto out;
	}
	struct collector_options opts = {cfg.expected_vfs, cfg.nexpected_vfs, NULL};
	if (cfg.watchdog_enable && !cfg.once && !cfg.check) {
		struct watchdog_config wc = {
			.interval_ns = cfg.watchdog_interval_ns,
			.force_partial = cfg.watchdog_force_partial,
			.pf_drivers = cfg.watchdog_pf_drivers,
			.vfio_vfs = cfg.watchdog_vfio_vfs,
			.exec = cfg.watchdog_exec,
			.max_repairs = (unsigned)cfg.watchdog_max_repairs,
			.window_ns = cfg.watchdog_window_ns,
			.dry_run = cfg.watchdog_dry_run,
			.helper_socket = cfg.watchdog_helper_socket,
		};
		int werr = watchdog_start(&wc, &roots, &opts, &opts.watchdog);
		if (werr < 0) {
			log_msg(LOG_LEVEL_ERROR, NULL, -werr, "cannot start the watchdog");
			rc = 1;
			goto out;
		}
	}
	struct registry *r = registry_new(ops, nops, cfg.collector_enabled, &roots, NULL);
	registry_set_options(r, &opts);
	struct scraper *s = scraper_new(r, !cfg.disable_exporter_metrics);
	if (cfg.check)
		rc = check_run(s, monotonic_ns() + ONCE_DEADLINE_NS,
			       cfg.check_json ? CHECK_OUTPUT_JSON : CHECK_OUTPUT_TEXT);
	else
		rc = cfg.once ? run_once(s) : serve(&cfg, &webcfg, s, r, opts.watchdog);
	/* The watchdog reads nothing the registry owns, but the collector reads the watchdog. */
	scraper_free(s);
	registry_free(r);
	watchdog_stop(opts.watchdog);
	pci_forget();
out:
	for (size_t i = 0; i < 3; i++) {
		int fd = i == 0 ? roots.sys : i == 1 ? roots.proc : roots.root;
		if (fd >= 0)
			(void)close(fd);
	}
	web_config_free(&webcfg);
	config_free(&cfg);
	return rc;
}
