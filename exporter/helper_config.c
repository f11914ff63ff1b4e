/* Side: privileged helper. Its command line, table-driven like the exporter's flags.c so --help,
 * parsing and validation cannot drift apart. Forms: --name=value, --name value, --name /
 * --no-name for booleans, repeatable --allow-pf and --allow-vfio, -h. Everything that would
 * widen what the helper may write is rejected here rather than guessed: a count of 0, a
 * duplicate target, vfio-pci as a PF driver, a device listed both as PF and as VF. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include "cli.h"
#include "helper_config.h"
#include "parse.h"

enum hflag_kind {
	HF_STRING,
	HF_BOOL,
	HF_ALLOW_PF,
	HF_ALLOW_VFIO,
	HF_PF_DRIVERS,
	HF_LEVEL,
	HF_HELP,
	HF_VERSION,
};

struct hflag {
	const char *name;
	enum hflag_kind kind;
	size_t offset; /* HF_STRING, HF_BOOL: into struct helper_config */
	const char *placeholder;
	const char *def; /* shown in --help */
	const char *help;
};

#define OFF(field) offsetof(struct helper_config, field)
#define NFLAGS (sizeof(hflags) / sizeof(hflags[0]))

static const struct hflag hflags[] = {
	{"path.sysfs", HF_STRING, OFF(sysfs), "PATH", "/sys", /* flag default; checksrc: path ok */
	 "sysfs mount point."},
	{"path.rootfs", HF_STRING, OFF(rootfs), "PATH", "/", "Root of the file system."},
	{"allow-pf", HF_ALLOW_PF, 0, "BDF=N", "",
	 "A PF whose sriov_numvfs may be set, and the only VF count it may be set to (N >= 1). "
	 "Repeatable."},
	{"allow-vfio", HF_ALLOW_VFIO, 0, "BDF", "",
	 "A VF that may be bound to vfio-pci. Repeatable."},
	{"pf-drivers", HF_PF_DRIVERS, 0, "LIST", "i915,xe",
	 "Drivers a PF must be bound to before its VF count is written (never vfio-pci)."},
	{"force-partial", HF_BOOL, OFF(policy.force_partial), NULL, "false",
	 "Repair a partial VF count by writing 0, then N (otherwise refused with EBUSY)."},
	{"listen", HF_STRING, OFF(listen), "PATH", HELPER_DEFAULT_LISTEN,
	 "Unix SOCK_SEQPACKET socket to create (mode 0660)."},
	{"socket-group", HF_STRING, OFF(socket_group), "NAME", "",
	 "Group to give the socket, e.g. the exporter's."},
	{"systemd-socket", HF_BOOL, OFF(systemd_socket), NULL, "false",
	 "Use the socket passed by systemd (socket activation) instead of --listen."},
	{"log.level", HF_LEVEL, 0, "LEVEL", "info",
	 "Only log messages with the given severity or above: debug, info, warn, error."},
	{"version", HF_VERSION, 0, NULL, NULL, "Show the version and exit."},
	{"help", HF_HELP, 0, NULL, NULL, "Show this help and exit."},
};

struct parse_state {
	struct helper_config c;
	uint32_t seen; /* non-repeatable flags given so far, by index */
	bool listen_given;
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
parse_bool_value(const char *v, bool *ret)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		*ret = v[0] == 't';
		return 0;
	}
	return -EINVAL;
}

static int
set_value(const struct hflag *f, struct parse_state *st, const char *v, char *err, size_t errlen)
{
	void *field = (char *)&st->c + f->offset;

	switch (f->kind) {
	case HF_STRING:
		if (v[0] == '\0')
			return cli_error(err, errlen, "flag --%s: value must not be empty", f->name);
		*(const char **)field = v;
		return 0;
	case HF_BOOL:
		if (parse_bool_value(v, field) < 0)
			return cli_error(err, errlen, "flag --%s: '%s' is not true or false", f->name,
				     v);
		return 0;
	case HF_ALLOW_PF:
		return add_pf(&st->c.policy, v, err, errlen);
	case HF_ALLOW_VFIO:
		return add_vf(&st->c.policy, v, err, errlen);
	case HF_PF_DRIVERS:
		return set_drivers(&st->c.policy, v, err, errlen);
	case HF_LEVEL:
		if (log_level_parse(v, &st->c.log_level) < 0)
			return cli_error(err, errlen,
				     "flag --%s: '%s' is not one of debug, info, warn, error",
				     f->name, v);
		return 0;
	case HF_HELP:
	case HF_VERSION:
		break;
	}
	return cli_error(err, errlen, "flag --%s takes no value", f->name);
}

static const struct hflag *
find_flag(const char *name, size_t len)
{
	for (size_t i = 0; i < NFLAGS; i++) {
		if (strlen(hflags[i].name) == len && strncmp(hflags[i].name, name, len) == 0)
			return &hflags[i];
	}
	return NULL;
}

static int
parse_one(int argc, char **argv, int *i, struct parse_state *st, char *err, size_t errlen)
{
	const char *arg = argv[*i];

	if (strcmp(arg, "-h") == 0) {
		st->c.action = HELPER_ACTION_HELP;
		return 0;
	}
	if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
		return cli_error(err, errlen, "unexpected argument '%s'", arg);
	const char *name = arg + 2;
	const char *eq = strchr(name, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
	bool negated = false;
	const struct hflag *f = find_flag(name, nlen);
	if (f == NULL && eq == NULL && strncmp(name, "no-", 3) == 0) {
		f = find_flag(name + 3, nlen - 3);
		negated = f != NULL && f->kind == HF_BOOL;
		if (!negated)
			f = NULL;
	}
	if (f == NULL)
		return cli_error(err, errlen, "unknown flag --%.*s", (int)nlen, name);
	size_t idx = (size_t)(f - hflags);
	if (f->kind != HF_ALLOW_PF && f->kind != HF_ALLOW_VFIO && (st->seen & (1u << idx)) != 0)
		return cli_error(err, errlen, "flag --%s given more than once", f->name);
	st->seen |= 1u << idx;
	if (strcmp(f->name, "listen") == 0)
		st->listen_given = true;

	switch (f->kind) {
	case HF_HELP:
	case HF_VERSION:
		if (eq != NULL)
			return cli_error(err, errlen, "flag --%s takes no value", f->name);
		st->c.action = f->kind == HF_HELP ? HELPER_ACTION_HELP : HELPER_ACTION_VERSION;
		return 0;
	case HF_BOOL:
		if (eq == NULL) {
			*(bool *)((char *)&st->c + f->offset) = !negated;
			return 0;
		}
		return set_value(f, st, eq + 1, err, errlen);
	default:
		break;
	}
	if (eq != NULL)
		return set_value(f, st, eq + 1, err, errlen);
	if (*i + 1 >= argc)
		return cli_error(err, errlen, "flag --%s needs a value", f->name);
	(*i)++;
	return set_value(f, st, argv[*i], err, errlen);
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
check(const struct parse_state *st, char *err, size_t errlen)
{
	const struct helper_config *c = &st->c;
	struct sockaddr_un sa;

	if (c->systemd_socket && st->listen_given)
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
	struct parse_state st;
	int r;

	_Static_assert(NFLAGS <= 32, "seen is a 32-bit set");
	memset(&st, 0, sizeof(st));
	defaults(&st.c);
	for (int i = 1; i < argc; i++) {
		r = parse_one(argc, argv, &i, &st, err, errlen);
		if (r < 0)
			return r;
	}
	if (st.c.action == HELPER_ACTION_RUN) {
		r = check(&st, err, errlen);
		if (r < 0)
			return r;
	}
	*ret = st.c;
	return 0;
}

void
helper_config_usage(FILE *out)
{
	(void)fprintf(out, "usage: gpu_sriov_helper [<flags>]\n\n"
		     "Privileged helper of gpu_sriov_exporter: the only part that writes\n"
		     "sysfs, and only what the allowlist below permits.\n\nFlags:\n");
	for (size_t i = 0; i < NFLAGS; i++) {
		const struct hflag *f = &hflags[i];
		char left[64];
		if (f->kind == HF_BOOL)
			(void)snprintf(left, sizeof(left), "--[no-]%s", f->name);
		else if (f->placeholder != NULL)
			(void)snprintf(left, sizeof(left), "--%s=%s", f->name, f->placeholder);
		else
			(void)snprintf(left, sizeof(left), "%s--%s",
				       f->kind == HF_HELP ? "-h, " : "", f->name);
		(void)fprintf(out, "  %-28s %s", left, f->help);
		if (f->def != NULL && f->def[0] != '\0')
			(void)fprintf(out, " (default: %s)", f->def);
		(void)fputc('\n', out);
	}
}
