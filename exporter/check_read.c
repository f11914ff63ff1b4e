/* Read helpers for the --check evaluations (see check_read.h): the collection is the only input,
 * so every check can be unit tested with a hand-built struct expo. */
#include <stdlib.h>
#include <string.h>

#include "check_read.h"
#include "xalloc.h"

struct list_acc {
	struct check_list *l;
	size_t cap;
};

static bool
list_add(const struct expo_series *s, void *arg)
{
	struct list_acc *a = arg;

	if (a->l->n == a->cap) {
		a->cap = a->cap == 0 ? 8 : a->cap * 2;
		a->l->v = xrealloc(a->l->v, a->cap * sizeof(*a->l->v));
	}
	a->l->v[a->l->n++] = *s;
	return true;
}

void
check_list(const struct expo *e, const char *name, struct check_list *ret)
{
	struct list_acc a = {ret, 0};

	ret->v = NULL;
	ret->n = 0;
	(void)expo_each(e, name, list_add, &a);
}

void
check_list_free(struct check_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const char *
check_label(const struct expo_series *s, const char *name)
{
	const char *v = expo_label(s, name);
	return v != NULL ? v : "";
}

const struct expo_series *
check_find(const struct check_list *l, const char *name, const char *value)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(check_label(&l->v[i], name), value) == 0)
			return &l->v[i];
	}
	return NULL;
}

bool
check_value(const struct expo *e, const char *name, const char *label, const char *value,
	    double *ret)
{
	struct expo_label m = {label, value};
	return expo_value(e, name, &m, label != NULL ? 1 : 0, ret);
}

enum check_collector
check_collector(const struct expo *e, const char *name)
{
	double v;

	if (!check_value(e, "gpu_sriov_scrape_collector_success", "collector", name, &v))
		return CHECK_COLLECTOR_OFF;
	return v == 1 ? CHECK_COLLECTOR_OK : CHECK_COLLECTOR_FAILED;
}

/* What a collector most likely lacked when it failed; the log line on stderr has the errno. */
static const char *
failure_hint(const char *name)
{
	if (strcmp(name, "proxmox") == 0)
		return "/etc/pve is readable by root and group www-data only: run as root";
	if (strcmp(name, "kmsg") == 0)
		return "/dev/kmsg needs CAP_SYSLOG: run as root";
	if (strcmp(name, "fdinfo") == 0)
		return "other users' /proc/<pid>/fdinfo needs root or CAP_SYS_PTRACE: run as root";
	return "see its log line on stderr; run as root if it says EACCES";
}

bool
check_collector_unusable(const struct expo *e, const char *name, struct check_result *r)
{
	switch (check_collector(e, name)) {
	case CHECK_COLLECTOR_OK:
		return false;
	case CHECK_COLLECTOR_FAILED:
		check_set(r, CHECK_WARN, "not checked: the %s collector failed (%s)", name,
			  failure_hint(name));
		return true;
	case CHECK_COLLECTOR_OFF:
		break;
	}
	check_set(r, CHECK_WARN, "not checked: the %s collector is disabled", name);
	check_fix(r, "run with --collector.%s", name);
	return true;
}

bool
check_dkms_is_sriov(const char *module)
{
	return strstr(module, "sriov") != NULL;
}

bool
check_module_flag(const struct expo *e, const char *family, const char *module)
{
	double v;
	return check_value(e, family, "module", module, &v) && v == 1;
}

/* The driver name when it is one this project knows as an SR-IOV GPU driver. */
static const char *
gpu_driver(const char *name)
{
	if (strcmp(name, "i915") == 0)
		return "i915";
	if (strcmp(name, "xe") == 0)
		return "xe";
	return NULL;
}

static const char *
first_driver(const struct expo *e, const char *family)
{
	struct check_list l;
	const char *found = NULL;

	check_list(e, family, &l);
	for (size_t i = 0; i < l.n && found == NULL; i++)
		found = gpu_driver(check_label(&l.v[i], "driver"));
	check_list_free(&l);
	return found;
}

void
check_driver(const struct expo *e, struct check_driver *ret)
{
	struct check_list dkms;

	memset(ret, 0, sizeof(*ret));
	check_list(e, "gpu_sriov_dkms_module_state", &dkms);
	for (size_t i = 0; i < dkms.n; i++) {
		if (check_dkms_is_sriov(check_label(&dkms.v[i], "module")))
			ret->dkms_sriov = true;
	}
	check_list_free(&dkms);

	ret->name = first_driver(e, "gpu_sriov_pf_info");
	ret->from = "the PF's driver";
	if (ret->name == NULL) {
		ret->name = first_driver(e, "gpu_sriov_drm_card_info");
		ret->from = "the DRM card's driver";
	}
	if (ret->name == NULL) {
		ret->from = "the loaded module";
		if (check_module_flag(e, "gpu_sriov_module_loaded", "i915"))
			ret->name = "i915";
		else if (check_module_flag(e, "gpu_sriov_module_loaded", "xe"))
			ret->name = "xe";
	}
	if (ret->name == NULL && ret->dkms_sriov) {
		ret->name = "i915";
		ret->from = "the SR-IOV DKMS module";
	}
	if (check_cmdline(e, "xe.max_vfs") != NULL)
		ret->intended = "xe";
	else if (check_cmdline(e, "i915.max_vfs") != NULL)
		ret->intended = "i915";
	else
		ret->intended = ret->name != NULL ? ret->name : "i915";
	if (ret->name == NULL) {
		ret->from = NULL;
		return;
	}
	ret->loaded = check_module_flag(e, "gpu_sriov_module_loaded", ret->name);
	ret->sriov_capable = check_module_flag(e, "gpu_sriov_module_sriov_capable", ret->name);
	ret->out_of_tree = check_module_flag(e, "gpu_sriov_module_out_of_tree", ret->name);
}

double
check_pf_value(const struct expo *e, const char *family, const char *bdf, double dflt)
{
	double v;
	return check_value(e, family, "pci_address", bdf, &v) ? v : dflt;
}

unsigned
check_wanted_vfs(const struct expo *e, const char *bdf)
{
	double v = check_pf_value(e, "gpu_sriov_vfs_expected", bdf, -1);
	if (v <= 0)
		v = check_pf_value(e, "gpu_sriov_vfs_enabled", bdf, -1);
	return v > 0 && v < 65536 ? (unsigned)v : CHECK_RUNBOOK_VFS;
}

const char *
check_running_kernel(const struct expo *e)
{
	struct check_list l;

	check_list(e, "gpu_sriov_kernel_info", &l);
	const char *release = l.n > 0 ? check_label(&l.v[0], "release") : NULL;
	check_list_free(&l);
	return release;
}

const char *
check_cmdline(const struct expo *e, const char *param)
{
	struct check_list l;

	check_list(e, "gpu_sriov_kernel_cmdline_param_info", &l);
	const struct expo_series *s = check_find(&l, "param", param);
	const char *value = s != NULL ? check_label(s, "value") : NULL;
	check_list_free(&l);
	return value;
}

bool
check_comma_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; *p != '\0';) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, item, n) == 0)
			return true;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return false;
}
