/* Side: privileged helper. Its command line: the flag table, the setters of its value kinds and
 * the rules between flags; the forms (--name=value, --name value, --[no-]name, -h) and the repeat
 * rule are flagparse.c's, shared with the exporter. --allow-pf and --allow-vfio repeat.
 * Everything that would widen what the helper may write is rejected here rather than guessed: a
 * count of 0, a duplicate target, vfio-pci as a PF driver, a device listed both as PF and as VF. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include "cli.h"
#include "flagparse.h"
#include "helper_config.h"
#include "parse.h"

/* The value kinds set_value() takes; booleans, --help and --version are flagparse.c's. */
enum hflag_kind {
	HF_STRING = FLAGPARSE_VALUE, /* at offset into struct helper_config */
	HF_ALLOW_PF,
	HF_ALLOW_VFIO,
	HF_PF_DRIVERS,
	HF_LEVEL,
};

#define OFF(field) offsetof(struct helper_config, field)
#define NFLAGS (sizeof(hflags) / sizeof(hflags[0]))

static const struct flagparse_flag hflags[] = {
	{"path.sysfs", HF_STRING, OFF(sysfs), "PATH", "/sys", /* flag default; checksrc: path ok */
	 "sysfs mount point.", false, 0, NULL},
	{"path.rootfs", HF_STRING, OFF(rootfs), "PATH", "/", "Root of the file system.", false, 0,
	 NULL},
	{"allow-pf", HF_ALLOW_PF, 0, "BDF=N", "",
	 "A PF whose sriov_numvfs may be set, and the only VF count it may be set to (N >= 1). "
	 "Repeatable.",
	 true, 0, NULL},
	{"allow-vfio", HF_ALLOW_VFIO, 0, "BDF", "",
	 "A VF that may be bound to vfio-pci. Repeatable.", true, 0, NULL},
	{"pf-drivers", HF_PF_DRIVERS, 0, "LIST", "i915,xe",
	 "Drivers a PF must be bound to before its VF count is written (never vfio-pci).", false, 0,
	 NULL},
	{"force-partial", FLAGPARSE_BOOL, OFF(policy.force_partial), NULL, "false",
	 "Repair a partial VF count by writing 0, then N (otherwise refused with EBUSY).", false, 0,
	 NULL},
	{"listen", HF_STRING, OFF(listen), "PATH", HELPER_DEFAULT_LISTEN,
	 "Unix SOCK_SEQPACKET socket to create (mode 0660).", false, 0, NULL},
	{"socket-group", HF_STRING, OFF(socket_group), "NAME", "",
	 "Group to give the socket, e.g. the exporter's.", false, 0, NULL},
	{"systemd-socket", FLAGPARSE_BOOL, OFF(systemd_socket), NULL, "false",
	 "Use the socket passed by systemd (socket activation) instead of --listen.", false, 0,
	 NULL},
	{"log.level", HF_LEVEL, 0, "LEVEL", "info",
	 "Only log messages with the given severity or above: debug, info, warn, error.", false, 0,
	 NULL},
	{"version", FLAGPARSE_VERSION, 0, NULL, NULL, "Show the version and exit.", false, 0, NULL},
	{"help", FLAGPARSE_HELP, 0, NULL, NULL, "Show this help and exit.", false, 0, NULL},
};

static bool
known_pf(const struct helper_policy *p, const char *bdf)
{
	for (uint32_t i = 0; i < p->npfs; i++) {
		if (strcmp(p->pfs[i].bdf, bdf) == 0)
			return true;
	}
	return false;
}

static bool
known_vf(const struct helper_policy *p, const char *bdf)
{
	for (uint32_t i = 0; i < p->nvfs; i++) {
		if (strcmp(p->vfs[i], bdf) == 0)
			return true;
	}
	return false;
}

static int
add_pf(struct helper_policy *p, const char *v, char *err, size_t errlen)
{
	char bdf[PARSE_BDF_SIZE];
	unsigned n;

	if (parse_bdf_count(v, bdf, &n) < 0 || n == 0)
		return cli_error(err, errlen, "flag --allow-pf: '%s' is not BDF=N (e.g. %s, N 1-65535)",
			     v, "0000:00:02.0=7");
	if (known_pf(p, bdf))
		return cli_error(err, errlen, "flag --allow-pf: %s given more than once", bdf);
	if (p->npfs >= HELPER_MAX_PFS)
		return cli_error(err, errlen, "flag --allow-pf: at most %d PFs", HELPER_MAX_PFS);
	memcpy(p->pfs[p->npfs].bdf, bdf, PARSE_BDF_SIZE);
	p->pfs[p->npfs].count = n;
	p->npfs++;
	return 0;
}

static int
add_vf(struct helper_policy *p, const char *v, char *err, size_t errlen)
{
	char bdf[PARSE_BDF_SIZE];

	if (parse_bdf(v, bdf) < 0)
		return cli_error(err, errlen, "flag --allow-vfio: '%s' is not a PCI address", v);
	if (known_vf(p, bdf))
		return cli_error(err, errlen, "flag --allow-vfio: %s given more than once", bdf);
	if (p->nvfs >= HELPER_MAX_VFS)
		return cli_error(err, errlen, "flag --allow-vfio: at most %d VFs", HELPER_MAX_VFS);
	memcpy(p->vfs[p->nvfs], bdf, PARSE_BDF_SIZE);
	p->nvfs++;
	return 0;
}

/* A driver name as the kernel spells them in bus/pci/drivers: it becomes part of a path. */
static bool
driver_name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= HELPER_DRIVER_SIZE)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int
set_drivers(struct helper_policy *p, const char *v, char *err, size_t errlen)
{
	struct helper_policy tmp = *p;

	tmp.npf_drivers = 0;
	for (const char *s = v;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (!driver_name_ok(s, len))
			return cli_error(err, errlen,
				     "flag --pf-drivers: '%s' is not a comma-separated list of "
				     "driver names",
				     v);
		if (len == strlen("vfio-pci") && strncmp(s, "vfio-pci", len) == 0)
			return cli_error(err, errlen,
				     "flag --pf-drivers: vfio-pci means the PF is passed to a VM; "
				     "its VFs are never written");
		if (tmp.npf_drivers >= HELPER_MAX_PF_DRIVERS)
			return cli_error(err, errlen, "flag --pf-drivers: at most %d drivers",
				     HELPER_MAX_PF_DRIVERS);
		memcpy(tmp.pf_drivers[tmp.npf_drivers], s, len);
		tmp.pf_drivers[tmp.npf_drivers][len] = '\0';
		tmp.npf_drivers++;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	*p = tmp;
	return 0;
}

static int
set_value(void *ctx, const struct flagparse_flag *f, const char *v, char *err, size_t errlen)
{
	struct helper_config *c = ctx;
	void *field = (char *)c + f->offset;

	switch (f->kind) {
	case HF_STRING:
		if (v[0] == '\0')
			return cli_error(err, errlen, "flag --%s: value must not be empty", f->name);
		*(const char **)field = v;
		return 0;
	case HF_ALLOW_PF:
		return add_pf(&c->policy, v, err, errlen);
	case HF_ALLOW_VFIO:
		return add_vf(&c->policy, v, err, errlen);
	case HF_PF_DRIVERS:
		return set_drivers(&c->policy, v, err, errlen);
	case HF_LEVEL:
		if (log_level_parse(v, &c->log_level) < 0)
			return cli_error(err, errlen,
				     "flag --%s: '%s' is not one of debug, info, warn, error",
				     f->name, v);
		return 0;
	}
	return cli_error(err, errlen, "flag --%s takes no value", f->name);
}

static void
defaults(struct helper_config *c)
{
	memset(c, 0, sizeof(*c));
	c->action = HELPER_ACTION_RUN;
	c->sysfs = "/sys"; /* flag default; checksrc: path ok */
	c->rootfs = "/";
	c->listen = HELPER_DEFAULT_LISTEN;
	c->log_level = LOG_LEVEL_INFO;
	c->policy.min_interval_ns = HELPER_MIN_INTERVAL_NS;
	c->policy.verify_ns = HELPER_VERIFY_NS;
	memcpy(c->policy.pf_drivers[0], "i915", sizeof("i915"));
	memcpy(c->policy.pf_drivers[1], "xe", sizeof("xe"));
	c->policy.npf_drivers = 2;
}

/* Rules that involve more than one flag. */
static int
check(const struct helper_config *c, bool listen_given, char *err, size_t errlen)
{
	struct sockaddr_un sa;

	if (c->systemd_socket && listen_given)
		return cli_error(err, errlen, "flags --systemd-socket and --listen exclude each other");
	if (c->systemd_socket && c->socket_group != NULL)
		return cli_error(err, errlen,
			     "flag --socket-group: with --systemd-socket the .socket unit sets "
			     "SocketGroup=");
	if (c->listen[0] != '/' || strlen(c->listen) >= sizeof(sa.sun_path))
		return cli_error(err, errlen,
			     "flag --listen: '%s' is not an absolute path of at most %zu bytes",
			     c->listen, sizeof(sa.sun_path) - 1);
	for (uint32_t i = 0; i < c->policy.nvfs; i++) {
		if (known_pf(&c->policy, c->policy.vfs[i]))
			return cli_error(err, errlen,
				     "flag --allow-vfio: %s is also given to --allow-pf; a PF is "
				     "never bound to vfio-pci",
				     c->policy.vfs[i]);
	}
	if (c->policy.npfs == 0 && c->policy.nvfs == 0)
		return cli_error(err, errlen,
			     "nothing is allowed: give --allow-pf=BDF=N and/or --allow-vfio=BDF");
	return 0;
}

int
helper_config_parse(int argc, char **argv, struct helper_config *ret, char *err,
		    size_t errlen)
{
	struct helper_config c;
	struct flagparse p = {.flags = hflags, .nflags = NFLAGS, .dst = &c, .ctx = &c,
			      .set = set_value};
	int r;

	_Static_assert(NFLAGS <= 64, "flagparse tracks at most 64 flags");
	defaults(&c);
	r = flagparse_run(&p, argc, argv, err, errlen);
	if (r < 0)
		return r;
	if (p.action == FLAGPARSE_ACTION_HELP)
		c.action = HELPER_ACTION_HELP;
	else if (p.action == FLAGPARSE_ACTION_VERSION)
		c.action = HELPER_ACTION_VERSION;
	if (c.action == HELPER_ACTION_RUN) {
		r = check(&c, flagparse_seen(&p, "listen"), err, errlen);
		if (r < 0)
			return r;
	}
	*ret = c;
	return 0;
}

void
helper_config_usage(FILE *out)
{
	(void)fprintf(out, "usage: gpu_sriov_helper [<flags>]\n\n"
		     "Privileged helper of gpu_sriov_exporter: the only part that writes\n"
		     "sysfs, and only what the allowlist below permits.\n\nFlags:\n");
	flagparse_usage(out, hflags, NFLAGS, 28);
}
