/* Command-line flags of the exporter: its flag table, the setters of its value kinds and the rules
 * between flags. The forms (--name=value, --name value, --[no-]name, -h) and the repeat rule are
 * flagparse.c's; --[no-]collector.NAME and --collector.disable-defaults are added here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../collectors/pci.h"
#include "cli.h"
#include "flagparse.h"
#include "flags.h"
#include "parse.h"
#include "xalloc.h"

/* The value kinds set_value() takes; booleans, --help and --version are flagparse.c's. */
enum flag_kind {
	FLAG_STRING = FLAGPARSE_VALUE,
	FLAG_COUNT, /* unsigned number */
	FLAG_LIST,  /* repeatable string; count at count_offset */
	FLAG_DURATION,
	FLAG_LEVEL,
	FLAG_FORMAT,
};

/* Checks one value of a list flag; hint completes "is not ..." in the error. */
struct list_check {
	bool (*ok)(const char *value);
	const char *hint;
};

#define OFF(field) offsetof(struct config, field)

static bool
listen_ok(const char *v)
{
	char host[256], port[8];
	return flags_split_address(v, host, sizeof(host), port, sizeof(port)) == 0;
}

static bool
expected_vfs_ok(const char *v)
{
	char bdf[PARSE_BDF_SIZE];
	unsigned n;
	return parse_bdf_count(v, bdf, &n) == 0;
}

/* A comma-separated list of non-empty items each accepted by ok. */
static bool
comma_list_ok(const char *v, bool (*ok)(const char *item))
{
	char item[64];

	for (const char *p = v; *p != '\0';) {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n >= sizeof(item))
			return false;
		memcpy(item, p, n);
		item[n] = '\0';
		if (!ok(item))
			return false;
		p += n + (comma != NULL);
		if (comma != NULL && *p == '\0')
			return false;
	}
	return true;
}

static bool
driver_name_ok(const char *v)
{
	for (; *v != '\0'; v++) {
		if (!((*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') || *v == '_' || *v == '-'))
			return false;
	}
	return true;
}

static bool
bdf_ok(const char *v)
{
	char bdf[PARSE_BDF_SIZE];
	return parse_bdf(v, bdf) == 0;
}

static bool
drivers_ok(const char *v)
{
	return v[0] != '\0' && comma_list_ok(v, driver_name_ok);
}

static bool
bdfs_ok(const char *v)
{
	return comma_list_ok(v, bdf_ok);
}

static bool
absolute_path_ok(const char *v)
{
	return v[0] == '\0' || v[0] == '/';
}

static const struct list_check drivers_check = {drivers_ok,
						"a comma-separated list of driver names"};
static const struct list_check bdfs_check = {bdfs_ok, "a comma-separated list of PCI addresses"};
static const struct list_check path_check = {absolute_path_ok, "an absolute path"};

static const struct list_check device_class_check = {
	pci_device_class_valid, "a PCI class prefix of 2, 4 or 6 hex digits (03 = display, 0108 = NVMe)"};

static bool
output_ok(const char *v)
{
	return strcmp(v, "text") == 0 || strcmp(v, "json") == 0;
}

static const struct list_check output_check = {output_ok, "one of text, json"};

static const struct list_check listen_check = {
	listen_ok, "[HOST]:PORT (IPv6 in brackets, port 0-65535)"};
static const struct list_check expected_vfs_check = {
	expected_vfs_ok, "BDF=N (e.g. 0000:00:02.0=7, N 0-65535)"};

static const struct flagparse_flag flags[] = {
	{"web.listen-address", FLAG_LIST, OFF(listen), "[HOST]:PORT", ":" DEFAULT_PORT,
	 "Address to listen on for HTTP requests. Repeatable.", true, OFF(nlisten), &listen_check},
	{"web.systemd-socket", FLAGPARSE_BOOL, OFF(systemd_socket), NULL, "false",
	 "Use the sockets passed by systemd (socket activation) instead of listening.", false, 0,
	 NULL},
	{"web.telemetry-path", FLAG_STRING, OFF(telemetry_path), "PATH", "/metrics",
	 "Path under which to expose metrics.", false, 0, NULL},
	{"web.config.file", FLAG_STRING, OFF(web_config_file), "FILE", "",
	 "Path to a web configuration file (TLS and basic authentication).", false, 0, NULL},
	{"web.max-requests", FLAG_COUNT, OFF(max_requests), "N", "40",
	 "Maximum number of parallel scrape requests; 0 disables the limit.", false, 0, NULL},
	{"web.max-connections", FLAG_COUNT, OFF(max_connections), "N", "256",
	 "Maximum number of open HTTP connections (at least 1); further ones are closed at once.",
	 false, 0, NULL},
	{"web.max-connections-per-ip", FLAG_COUNT, OFF(max_connections_per_ip), "N", "32",
	 "Maximum number of open HTTP connections from one client address; 0 disables the limit.",
	 false, 0, NULL},
	{"web.idle-timeout", FLAG_DURATION, OFF(idle_timeout_ns), "DURATION", "30s",
	 "Close a connection that sends or receives nothing for this long (1s to 1h).", false, 0,
	 NULL},
	{"web.disable-exporter-metrics", FLAGPARSE_BOOL, OFF(disable_exporter_metrics), NULL,
	 "false",
	 "Exclude metrics about the exporter itself (build_info, process_*).", false, 0, NULL},
	{"path.sysfs", FLAG_STRING, OFF(sysfs), "PATH", "/sys", "sysfs mount point.", false, 0,
	 NULL},
	{"path.procfs", FLAG_STRING, OFF(procfs), "PATH", "/proc", "procfs mount point.", false, 0,
	 NULL},
	{"path.rootfs", FLAG_STRING, OFF(rootfs), "PATH", "/",
	 "Root of the file system holding /dev, /etc, /var/lib/dkms, /lib/modules, /boot, /run.",
	 false, 0, NULL},
	{"sriov.expected-vfs", FLAG_LIST, OFF(expected_vfs), "BDF=N", "",
	 "Intended VF count of a PF; overrides what the persistence config (/etc/sysfs.conf, "
	 "tmpfiles.d, udev rules) says. Repeatable.",
	 true, OFF(nexpected_vfs), &expected_vfs_check},
	{"sriov.device-class", FLAG_LIST, OFF(device_classes), "HEX", "03",
	 "PCI class prefix of the functions to watch as GPUs (repeatable; 03 = display "
	 "controllers; other classes, e.g. 0108 for NVMe, for testing on emulated SR-IOV).",
	 true, OFF(ndevice_classes), &device_class_check},
	{"watchdog.enable", FLAGPARSE_BOOL, OFF(watchdog_enable), NULL, "false",
	 "Re-enable lost VFs through the privileged helper (gpu_sriov_helper).", false, 0, NULL},
	{"watchdog.interval", FLAG_DURATION, OFF(watchdog_interval_ns), "DURATION", "30s",
	 "Periodic check besides the udev events.", false, 0, NULL},
	{"watchdog.force-partial", FLAGPARSE_BOOL, OFF(watchdog_force_partial), NULL, "false",
	 "Also repair a partial VF count (writes 0 first: destroys VFs running VMs use).", false,
	 0, NULL},
	{"watchdog.pf-drivers", FLAG_STRING, OFF(watchdog_pf_drivers), "LIST", "i915,xe",
	 "PF drivers the watchdog may repair under.", false, 0, &drivers_check},
	{"watchdog.vfio-vfs", FLAG_STRING, OFF(watchdog_vfio_vfs), "BDF,...", "",
	 "VFs to bind to vfio-pci after a repair, so VMs can start.", false, 0, &bdfs_check},
	{"watchdog.exec-on-repair", FLAG_STRING, OFF(watchdog_exec), "PATH", "",
	 "Program run after each repair attempt (GPU_SRIOV_PF, GPU_SRIOV_VFS, GPU_SRIOV_RESULT in "
	 "its environment; killed after 30s).",
	 false, 0, &path_check},
	{"watchdog.max-repairs", FLAG_COUNT, OFF(watchdog_max_repairs), "N", "3",
	 "Repair attempts per PF per window; 0 = no limit.", false, 0, NULL},
	{"watchdog.window", FLAG_DURATION, OFF(watchdog_window_ns), "DURATION", "1h",
	 "Length of the repair-budget window.", false, 0, NULL},
	{"watchdog.dry-run", FLAGPARSE_BOOL, OFF(watchdog_dry_run), NULL, "false",
	 "Log and count what the watchdog would do; write nothing.", false, 0, NULL},
	{"watchdog.helper-socket", FLAG_STRING, OFF(watchdog_helper_socket), "PATH",
	 DEFAULT_HELPER_SOCKET, "Unix socket of the privileged helper.", false, 0, &path_check},
	{"once", FLAGPARSE_BOOL, OFF(once), NULL, "false",
	 "Collect once, print the text exposition to stdout and exit.", false, 0, NULL},
	{"check", FLAGPARSE_BOOL, OFF(check), NULL, "false",
	 "Collect once, print a pass/warn/fail report of the SR-IOV set-up (host or guest) with "
	 "the fix for each problem, and exit 1 if any check failed. Enables the fdinfo collector "
	 "unless --no-collector.fdinfo is given.",
	 false, 0, NULL},
	{"output", FLAG_STRING, OFF(output), "FORMAT", "text",
	 "Format of the --check report: text or json.", false, 0, &output_check},
	{"log.level", FLAG_LEVEL, OFF(log_level), "LEVEL", "info",
	 "Only log messages with the given severity or above: debug, info, warn, error.", false,
	 0, NULL},
	{"log.format", FLAG_FORMAT, OFF(log_format), "FORMAT", "logfmt",
	 "Output format of log messages: logfmt or json.", false, 0, NULL},
	{"version", FLAGPARSE_VERSION, 0, NULL, NULL, "Show the version and exit.", false, 0, NULL},
	{"help", FLAGPARSE_HELP, 0, NULL, NULL, "Show this help and exit.", false, 0, NULL},
};

int
flags_split_address(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon, *h = addr;
	size_t hl;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (close == NULL || close[1] != ':')
			return -EINVAL;
		h = addr + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
		if (hl == 0)
			return -EINVAL;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)) != NULL)
			return -EINVAL; /* bare IPv6 needs brackets */
		hl = (size_t)(colon - addr);
	}
	uint64_t p;
	if (parse_u64(colon + 1, 10, 65535, &p) < 0 || strchr(colon + 1, '\n') != NULL)
		return -EINVAL;
	if (hl >= hostlen || strlen(colon + 1) >= portlen)
		return -EINVAL;
	for (size_t i = 0; i < hl; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':' || c == '%' || c == '_'))
			return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	return 0;
}

/* The state flagparse hands to set_value() and collector_flag(). */
struct parse_state {
	struct config *c;
	const struct collector_ops *const *ops;
	size_t nops;
	bool *explicit; /* per collector: named on the command line */
	bool disable_defaults;
};

static int
set_value(void *ctx, const struct flagparse_flag *f, const char *v, char *err, size_t errlen)
{
	struct config *c = ((struct parse_state *)ctx)->c;
	const struct list_check *check = f->check;
	void *field = (char *)c + f->offset;

	switch (f->kind) {
	case FLAG_STRING:
		if (v[0] == '\0' && strcmp(f->name, "web.config.file") != 0 &&
		    strcmp(f->name, "watchdog.vfio-vfs") != 0 &&
		    strcmp(f->name, "watchdog.exec-on-repair") != 0)
			return cli_error(err, errlen, "flag --%s: value must not be empty", f->name);
		if (check != NULL && !check->ok(v))
			return cli_error(err, errlen, "flag --%s: '%s' is not %s", f->name, v,
				     check->hint);
		*(const char **)field = v;
		return 0;
	case FLAG_DURATION: {
		int64_t ns;
		if (parse_duration(v, &ns) < 0 || ns <= 0)
			return cli_error(err, errlen,
				     "flag --%s: '%s' is not a positive duration (e.g. 30s, 5m, 1h)",
				     f->name, v);
		*(int64_t *)field = ns;
		return 0;
	}
	case FLAG_COUNT:
		if (parse_u64(v, 10, 1000000, field) < 0 || strchr(v, '\n') != NULL)
			return cli_error(err, errlen,
				     "flag --%s: '%s' is not a whole number from 0 to 1000000", f->name,
				     v);
		return 0;
	case FLAG_LIST: {
		if (!check->ok(v))
			return cli_error(err, errlen, "flag --%s: '%s' is not %s", f->name, v,
				     check->hint);
		const char ***list = field;
		size_t *n = (size_t *)((char *)c + f->count_offset);
		*list = xrealloc(*list, (*n + 1) * sizeof(char *));
		(*list)[(*n)++] = v;
		return 0;
	}
	case FLAG_LEVEL:
		if (log_level_parse(v, field) < 0)
			return cli_error(err, errlen,
				     "flag --%s: '%s' is not one of debug, info, warn, error", f->name,
				     v);
		return 0;
	case FLAG_FORMAT:
		if (log_format_parse(v, field) < 0)
			return cli_error(err, errlen, "flag --%s: '%s' is not one of logfmt, json",
				     f->name, v);
		return 0;
	}
	return cli_error(err, errlen, "flag --%s takes no value", f->name);
}

/* flagparse's extra: --collector.NAME, --no-collector.NAME and --collector.disable-defaults;
 * returns 1 when arg is none of them. */
static int
collector_flag(void *ctx, const char *arg, char *err, size_t errlen)
{
	struct parse_state *st = ctx;
	bool on = true;
	const char *name = arg;

	if (strcmp(arg, "collector.disable-defaults") == 0) {
		st->disable_defaults = true;
		return 0;
	}

	if (strncmp(name, "no-", 3) == 0) {
		on = false;
		name += 3;
	}
	if (strncmp(name, "collector.", 10) != 0 || strcmp(name, "collector.disable-defaults") == 0)
		return 1;
	name += 10;
	for (size_t i = 0; i < st->nops; i++) {
		if (strcmp(st->ops[i]->name, name) == 0) {
			st->c->collector_enabled[i] = on;
			st->explicit[i] = true;
			return 0;
		}
	}
	return cli_error(err, errlen, "unknown collector in flag --%s", arg);
}

static void
defaults(struct config *c, size_t nops)
{
	memset(c, 0, sizeof(*c));
	c->action = ACTION_RUN;
	c->telemetry_path = "/metrics";
	c->max_requests = 40;
	c->max_connections = 256;
	c->max_connections_per_ip = 32;
	c->idle_timeout_ns = 30LL * 1000000000LL;
	c->sysfs = "/sys";
	c->procfs = "/proc";
	c->rootfs = "/";
	c->log_level = LOG_LEVEL_INFO;
	c->watchdog_interval_ns = 30LL * 1000000000LL;
	c->watchdog_pf_drivers = "i915,xe";
	c->watchdog_vfio_vfs = "";
	c->watchdog_max_repairs = 3;
	c->watchdog_window_ns = 3600LL * 1000000000LL;
	c->watchdog_helper_socket = DEFAULT_HELPER_SOCKET;
	c->log_format = LOG_FORMAT_LOGFMT;
	c->collector_enabled = xcalloc(nops, sizeof(bool));
}

int
flags_parse(int argc, char **argv, const struct collector_ops *const *ops, size_t nops,
	    struct config *ret, char *err, size_t errlen)
{
	struct config c;
	struct parse_state st = {.c = &c, .ops = ops, .nops = nops,
				 .explicit = xcalloc(nops, sizeof(bool))};
	struct flagparse p = {.flags = flags, .nflags = nitems(flags), .dst = &c, .ctx = &st,
			      .set = set_value, .extra = collector_flag};
	const bool *explicit = st.explicit;
	int r;

	_Static_assert(nitems(flags) <= 64, "flagparse tracks at most 64 flags");
	defaults(&c, nops);
	r = flagparse_run(&p, argc, argv, err, errlen);
	if (r < 0)
		goto out;
	if (p.action == FLAGPARSE_ACTION_HELP)
		c.action = ACTION_HELP;
	else if (p.action == FLAGPARSE_ACTION_VERSION)
		c.action = ACTION_VERSION;
	for (size_t i = 0; i < nops; i++) {
		if (!explicit[i])
			c.collector_enabled[i] = ops[i]->default_enabled && !st.disable_defaults;
		/* The guest checks count DRM clients: fdinfo runs unless turned off by name. */
		if (c.check && !explicit[i] && !st.disable_defaults &&
		    strcmp(ops[i]->name, "fdinfo") == 0)
			c.collector_enabled[i] = true;
	}
	if (c.output != NULL && !c.check) {
		r = cli_error(err, errlen, "flag --output needs --check");
		goto out;
	}
	c.check_json = c.output != NULL && strcmp(c.output, "json") == 0;
	/* Info lines on stderr would interleave with the report a person reads. */
	if (c.check && !flagparse_seen(&p, "log.level"))
		c.log_level = LOG_LEVEL_WARN;
	if (c.check && c.once) {
		r = cli_error(err, errlen, "flags --check and --once exclude each other");
		goto out;
	}
	if (c.telemetry_path[0] != '/') {
		r = cli_error(err, errlen, "flag --web.telemetry-path: '%s' must start with '/'",
			  c.telemetry_path);
		goto out;
	}
	if (c.max_connections == 0) {
		r = cli_error(err, errlen, "flag --web.max-connections: must be at least 1");
		goto out;
	}
	if (c.idle_timeout_ns < 1000000000LL || c.idle_timeout_ns > 3600LL * 1000000000LL) {
		r = cli_error(err, errlen, "flag --web.idle-timeout: must be from 1s to 1h");
		goto out;
	}
	if (c.web_config_file != NULL && c.web_config_file[0] == '\0')
		c.web_config_file = NULL;
	if (c.watchdog_exec != NULL && c.watchdog_exec[0] == '\0')
		c.watchdog_exec = NULL;
	if (c.systemd_socket && c.nlisten > 0) {
		r = cli_error(err, errlen,
			  "flags --web.systemd-socket and --web.listen-address exclude each other");
		goto out;
	}
	if (c.nlisten == 0 && !c.systemd_socket) {
		static const char *const def = ":" DEFAULT_PORT;
		c.listen = xmalloc(sizeof(char *));
		c.listen[c.nlisten++] = def;
	}
out:
	free(st.explicit);
	if (r < 0) {
		config_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

void
config_free(struct config *c)
{
	free(c->device_classes);
	c->device_classes = NULL;
	c->ndevice_classes = 0;
	free(c->expected_vfs);
	c->expected_vfs = NULL;
	c->nexpected_vfs = 0;
	free(c->listen);
	free(c->collector_enabled);
	c->listen = NULL;
	c->collector_enabled = NULL;
	c->nlisten = 0;
}

void
flags_usage(FILE *out, const struct collector_ops *const *ops, size_t nops)
{
	(void)fprintf(out, "usage: gpu_sriov_exporter [<flags>]\n\n"
		     "Prometheus exporter and watchdog for Intel GPU SR-IOV.\n\nFlags:\n");
	flagparse_usage(out, flags, nitems(flags), 36);
	(void)fprintf(out, "  %-36s %s\n", "--collector.disable-defaults",
		 "Disable every collector not enabled explicitly on the command line.");
	for (size_t i = 0; i < nops; i++) {
		char left[64];
		(void)snprintf(left, sizeof(left), "--[no-]collector.%s", ops[i]->name);
		(void)fprintf(out, "  %-36s Enable the %s collector: %s (default: %s).\n", left,
			ops[i]->name, ops[i]->help, ops[i]->default_enabled ? "enabled" : "disabled");
	}
}
