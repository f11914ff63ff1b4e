/* The status page (see status_page.h). Each section reads the families it needs from one sorted
 * collection with expo_each() and expo_value(); a family that is missing (collector off or
 * failed) leaves its cells as a dash instead of a guess, and failing collectors are named at the
 * top so a missing section is never mistaken for a healthy one. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "busy_window.h"
#include "check_read.h"
#include "html.h"
#include "log.h"
#include "status_page.h"
#include "version.h"
#include "xalloc.h"

#define DASH HTML_DASH

struct status_page {
	struct busy_window *busy; /* engine busy counters of the previous view */
};

/* What the section renderers share. */
struct page {
	const struct expo *e;
	struct buf *b;
};

static const char css[] =
    "body{font:14px/1.35 system-ui,sans-serif;margin:.8em auto;max-width:76em;padding:0 1em;"
    "color:#1d1d1f;background:#fff}"
    "h1{font-size:1.35em;margin:0}"
    "h2{font-size:1.05em;margin:1.1em 0 .3em;padding-bottom:.1em;border-bottom:1px solid #ccd}"
    "header p{margin:.15em 0;color:#555}"
    "nav a{margin-right:1.2em}"
    "table{border-collapse:collapse;margin:.2em 0}"
    "th,td{padding:.12em 1.1em .12em 0;text-align:left;vertical-align:top}"
    "th{font-weight:600;color:#555;border-bottom:1px solid #dde}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".mono{font-family:ui-monospace,Menlo,Consolas,monospace}"
    ".ok{color:#17692b}.warn{color:#8a5a00}.bad{color:#b00020;font-weight:600}.muted{color:#777}"
    ".alert{border:1px solid #b00020;background:#fdecee;padding:.35em .7em;margin:.5em 0}"
    ".info{border:1px solid #99a;background:#f3f4f8;padding:.35em .7em;margin:.5em 0}"
    ".cols{display:flex;flex-wrap:wrap;gap:0 3em}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:.2em 0}"
    "dt{color:#555}dd{margin:0}"
    ".bar{display:inline-block;width:6em;height:.7em;background:#e4e6ee;margin-left:.5em}"
    ".bar span{display:block;height:100%;background:#3a6fd8}"
    "p{margin:.3em 0}";

struct status_page *
status_page_new(void)
{
	struct status_page *p = xcalloc(1, sizeof(*p));

	p->busy = busy_window_new();
	return p;
}

void
status_page_free(struct status_page *p)
{
	if (p == NULL)
		return;
	busy_window_free(p->busy);
	free(p);
}

/* ---- reading the collection ---- */

static bool
matches(const struct expo_series *s, const struct expo_label *match, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = expo_label(s, match[i].name);
		if (v == NULL || strcmp(v, match[i].value) != 0)
			return false;
	}
	return true;
}

struct find {
	const struct expo_label *match;
	size_t nmatch;
	bool set_only; /* only series whose value is 1: the true member of a state set or info */
	const char *want;
	const char *found;
};

static bool
find_one(const struct expo_series *s, void *arg)
{
	struct find *f = arg;

	if ((f->set_only && s->value != 1.0) || !matches(s, f->match, f->nmatch))
		return true;
	f->found = expo_label(s, f->want);
	return f->found == NULL;
}

/* Label want of the first series of family name carrying every label of match (and value 1 when
 * set_only), or NULL. Borrowed from e. */
static const char *
find_label(const struct expo *e, const char *name, const struct expo_label *match, size_t nmatch,
	   bool set_only, const char *want)
{
	struct find f = {match, nmatch, set_only, want, NULL};

	(void)expo_each(e, name, find_one, &f);
	return f.found;
}

static bool
stop(const struct expo_series *s, void *arg)
{
	(void)s;
	(void)arg;
	return false;
}

static bool
has_family(const struct expo *e, const char *name)
{
	return expo_each(e, name, stop, NULL) > 0;
}

/* ---- header, footer, failing collectors ---- */

static void
put_head(struct buf *b, const struct status_view *v)
{
	buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
		      "<meta name=\"viewport\" content=\"width=device-width\">"
		      "<title>GPU SR-IOV Exporter</title>\n<style>%s</style></head>\n<body>\n",
		   css);
	buf_puts(b, "<header><h1>GPU SR-IOV Exporter</h1>\n<p>Version ");
	html_escape(b, version_number);
	buf_puts(b, " (revision ");
	html_escape(b, version_revision);
	buf_puts(b, ") &middot; collected ");
	html_utc(b, (double)v->wall);
	buf_puts(b, "</p>\n<nav><a href=\"");
	html_escape(b, v->metrics_href);
	buf_puts(b, "\">Metrics</a><a href=\"healthz\">Health</a></nav></header>\n");
}

struct collectors {
	struct buf *b;
	size_t ok;
	size_t failed;
};

static bool
failed_collector(const struct expo_series *s, void *arg)
{
	struct collectors *c = arg;

	if (s->value == 1.0) {
		c->ok++;
		return true;
	}
	buf_puts(c->b, c->failed == 0 ? "" : ", ");
	buf_puts(c->b, "<b>");
	html_escape(c->b, check_label(s, "collector"));
	buf_puts(c->b, "</b>");
	c->failed++;
	return true;
}

/* A box naming every collector that failed in this collection; returns how many succeeded. */
static size_t
put_failures(struct page *pg, size_t *ret_failed)
{
	struct buf names = BUF_INIT;
	struct collectors c = {&names, 0, 0};

	(void)expo_each(pg->e, "gpu_sriov_scrape_collector_success", failed_collector, &c);
	if (c.failed > 0) {
		buf_printf(pg->b, "<div class=\"alert\">Failed collector%s: ",
			   c.failed > 1 ? "s" : "");
		buf_append(pg->b, names.data, names.len);
		buf_puts(pg->b, ". What they report is missing from this page and from the metrics; "
				"the exporter&#39;s log says why.</div>\n");
	}
	buf_free(&names);
	*ret_failed = c.failed;
	return c.ok;
}

/* ---- PFs and VFs ---- */

static void
td_vf_count(struct buf *b, bool has_enabled, double enabled, bool has_expected, double expected,
	    const char *source)
{
	char en[32], ex[32];

	if (has_enabled)
		expo_format_value(enabled, en, sizeof(en));
	if (has_expected)
		expo_format_value(expected, ex, sizeof(ex));
	const char *cls = !has_enabled || !has_expected ? "n muted"
			  : enabled == expected		? "n ok"
							: "n bad";
	buf_printf(b, "<td class=\"%s\"", cls);
	if (source != NULL) {
		buf_puts(b, " title=\"expected per ");
		html_escape(b, source);
		buf_putc(b, '"');
	}
	buf_putc(b, '>');
	html_escape(b, has_enabled ? en : DASH);
	buf_putc(b, '/');
	html_escape(b, has_expected ? ex : DASH);
	buf_puts(b, "</td>");
}

static void
td_vm(struct buf *b, const char *vmid, const char *name, const char *cls)
{
	if (vmid == NULL || vmid[0] == '\0') {
		html_td(b, "muted", DASH);
		return;
	}
	html_td_open(b, cls);
	html_escape(b, vmid);
	if (name != NULL && name[0] != '\0') {
		buf_puts(b, " <span class=\"muted\">");
		html_escape(b, name);
		buf_puts(b, "</span>");
	}
	buf_puts(b, "</td>");
}

static bool
pf_row(const struct expo_series *s, void *arg)
{
	const struct page *pg = arg;
	const char *pci = check_label(s, "pci_address");
	const char *name = check_label(s, "name");
	const struct expo_label m[] = {{"pci_address", pci}};
	double enabled, expected, supported, ok;
	bool has_enabled =
	    check_value(pg->e, "gpu_sriov_vfs_enabled", "pci_address", pci, &enabled);
	bool has_expected =
	    check_value(pg->e, "gpu_sriov_vfs_expected", "pci_address", pci, &expected);
	bool has_supported =
	    check_value(pg->e, "gpu_sriov_vfs_supported", "pci_address", pci, &supported);
	bool has_ok = check_value(pg->e, "gpu_sriov_pf_driver_ok", "pci_address", pci, &ok);
	const char *vmid = find_label(pg->e, "gpu_sriov_vm_pf_assigned", m, 1, true, "vmid");

	buf_puts(pg->b, "<tr>");
	html_td(pg->b, "mono", pci);
	html_td(pg->b, NULL, name[0] != '\0' ? name : check_label(s, "device"));
	html_td(pg->b, NULL, check_label(s, "driver"));
	td_vf_count(pg->b, has_enabled, enabled, has_expected, expected,
		    find_label(pg->e, "gpu_sriov_vfs_expected_source_info", m, 1, false, "source"));
	html_td_number(pg->b, has_supported, supported);
	html_td_yes_no(pg->b, has_ok, ok, "bad");
	td_vm(pg->b, vmid, NULL, "bad");
	buf_puts(pg->b, "</tr>\n");
	return true;
}

static bool
vf_row(const struct expo_series *s, void *arg)
{
	const struct page *pg = arg;
	const char *pci = check_label(s, "pci_address");
	const char *driver = check_label(s, "driver");
	const char *vmid = check_label(s, "vmid");
	const struct expo_label m[] = {{"vmid", vmid}, {"pci_address", pci}};

	buf_puts(pg->b, "<tr>");
	html_td(pg->b, "mono", pci);
	html_td(pg->b, "n", check_label(s, "index"));
	html_td(pg->b, "mono", check_label(s, "pf"));
	if (driver[0] == '\0')
		html_td(pg->b, "warn", "(unbound)");
	else
		html_td(pg->b, NULL, driver);
	html_td(pg->b, "n", check_label(s, "iommu_group"));
	td_vm(pg->b, vmid, find_label(pg->e, "gpu_sriov_vm_hostpci_info", m, 2, false, "name"), NULL);
	buf_puts(pg->b, "</tr>\n");
	return true;
}

static bool
missing_hostpci(const struct expo_series *s, void *arg)
{
	const struct page *pg = arg;

	if (s->value != 1.0)
		return true;
	buf_puts(pg->b, "<p class=\"bad\">VM ");
	html_escape(pg->b, check_label(s, "vmid"));
	buf_puts(pg->b, " (");
	html_escape(pg->b, check_label(s, "hostpci"));
	buf_puts(pg->b, ") is configured with ");
	html_escape(pg->b, check_label(s, "pci_address"));
	buf_puts(pg->b, ", which does not exist: it will not start.</p>\n");
	return true;
}

static void
put_sriov(struct page *pg)
{
	static const char *const pf_heads[] = {
	    "PF", "Device", "Driver", "VFs enabled/expected", "Supported", "Driver ok", "Passed to VM",
	};
	static const char *const vf_heads[] = {"VF", "#", "PF", "Driver", "IOMMU group", "VM"};

	buf_puts(pg->b, "<h2>SR-IOV</h2>\n");
	if (!has_family(pg->e, "gpu_sriov_pf_info")) {
		html_para(pg->b, "muted", "No SR-IOV physical function here (inside a VM the VF appears as "
				     "an ordinary GPU: see Render nodes).");
	} else {
		html_table_start(pg->b, pf_heads, nitems(pf_heads));
		(void)expo_each(pg->e, "gpu_sriov_pf_info", pf_row, pg);
		html_table_end(pg->b);
	}
	if (has_family(pg->e, "gpu_sriov_vf_info")) {
		html_table_start(pg->b, vf_heads, nitems(vf_heads));
		(void)expo_each(pg->e, "gpu_sriov_vf_info", vf_row, pg);
		html_table_end(pg->b);
	}
	(void)expo_each(pg->e, "gpu_sriov_vm_hostpci_missing", missing_hostpci, pg);
}

/* ---- DKMS ---- */

static const char *
dkms_state_class(const char *state)
{
	if (strcmp(state, "installed") == 0)
		return "ok";
	if (strcmp(state, "broken") == 0 || strcmp(state, "missing") == 0)
		return "bad";
	return "warn";
}

static bool
dkms_row(const struct expo_series *s, void *arg)
{
	const struct page *pg = arg;
	const char *module = check_label(s, "module");
	const char *kernel = check_label(s, "kernel");
	const char *state = check_label(s, "state");
	const struct expo_label ready_m[] = {{"module", module}, {"kernel", kernel}};
	const struct expo_label failed_m[] = {
	    {"module", module},
	    {"version", check_label(s, "version")},
	    {"kernel", kernel},
	    {"arch", check_label(s, "arch")},
	};
	const struct expo_label kernel_m[] = {{"release", kernel}, {"newest", "true"}};
	double ready, failed;

	if (s->value != 1.0)
		return true;
	bool has_ready = expo_value(pg->e, "gpu_sriov_dkms_ready", ready_m, nitems(ready_m), &ready);
	bool build_failed = expo_value(pg->e, "gpu_sriov_dkms_build_failed", failed_m,
				       nitems(failed_m), &failed) &&
			    failed != 0;
	const char *running = find_label(pg->e, "gpu_sriov_kernel_info", NULL, 0, true, "release");
	bool newest = find_label(pg->e, "gpu_sriov_installed_kernel_info", kernel_m,
				 nitems(kernel_m), true, "release") != NULL;

	buf_puts(pg->b, "<tr>");
	html_td(pg->b, NULL, module);
	html_td(pg->b, NULL, check_label(s, "version"));
	buf_puts(pg->b, "<td class=\"mono\">");
	html_escape(pg->b, kernel);
	if (running != NULL && strcmp(running, kernel) == 0)
		buf_puts(pg->b, " <b>(running)</b>");
	if (newest)
		buf_puts(pg->b, " <span class=\"muted\">(newest)</span>");
	buf_puts(pg->b, "</td>");
	html_td(pg->b, dkms_state_class(state), state);
	html_td(pg->b, build_failed ? "bad" : "muted", build_failed ? "failed" : DASH);
	html_td_yes_no(pg->b, has_ready, ready, "bad");
	buf_puts(pg->b, "</tr>\n");
	return true;
}

static void
put_dkms(struct page *pg)
{
	static const char *const heads[] = {"Module", "Version", "Kernel", "State", "Build",
					    "Ready"};

	buf_puts(pg->b, "<h2>DKMS</h2>\n");
	if (!has_family(pg->e, "gpu_sriov_dkms_module_state")) {
		html_para(pg->b, "muted", "No DKMS module.");
		return;
	}
	html_table_start(pg->b, heads, nitems(heads));
	(void)expo_each(pg->e, "gpu_sriov_dkms_module_state", dkms_row, pg);
	html_table_end(pg->b);
}

/* ---- IOMMU and watchdog (small key/value blocks side by side) ---- */

static void
dd_number(struct buf *b, const char *term, bool known, double v)
{
	char s[32];

	buf_printf(b, "<dt>%s</dt><dd>", term);
	if (known) {
		expo_format_value(v, s, sizeof(s));
		buf_puts(b, s);
	} else {
		buf_puts(b, DASH);
	}
	buf_puts(b, "</dd>");
}

static bool
domain_type(const struct expo_series *s, void *arg)
{
	struct buf *b = arg;

	if (s->value == 1.0) {
		buf_putc(b, ' ');
		html_escape(b, check_label(s, "type"));
	}
	return true;
}

static void
put_iommu(struct page *pg)
{
	double on, units, groups;
	bool has_on = check_value(pg->e, "gpu_sriov_iommu_enabled", NULL, NULL, &on);

	buf_puts(pg->b, "<section><h2>IOMMU</h2><dl><dt>Enabled</dt>");
	if (!has_on)
		buf_puts(pg->b, "<dd class=\"muted\">" DASH "</dd>");
	else
		buf_puts(pg->b, on != 0 ? "<dd class=\"ok\">yes</dd>" : "<dd class=\"warn\">no</dd>");
	bool has_units = check_value(pg->e, "gpu_sriov_iommu_units", NULL, NULL, &units);
	bool has_groups = check_value(pg->e, "gpu_sriov_iommu_groups", NULL, NULL, &groups);
	dd_number(pg->b, "Units", has_units, units);
	dd_number(pg->b, "Groups", has_groups, groups);
	buf_puts(pg->b, "<dt>Default domain</dt><dd class=\"mono\">");
	if (expo_each(pg->e, "gpu_sriov_iommu_default_domain_info", domain_type, pg->b) == 0)
		buf_puts(pg->b, DASH);
	buf_puts(pg->b, "</dd></dl></section>\n");
}

static const char *
watchdog_state_class(const char *state)
{
	if (strcmp(state, "ok") == 0)
		return "ok";
	if (strcmp(state, "gave_up") == 0 || strcmp(state, "blocked") == 0)
		return "bad";
	return "warn";
}

static bool
watchdog_row(const struct expo_series *s, void *arg)
{
	const struct page *pg = arg;
	const char *pci = check_label(s, "pci_address");
	const char *state = check_label(s, "state");
	const struct expo_label m[] = {{"pci_address", pci}};
	static const char *const results[] = {"success", "failure", "skipped"};
	double last;

	if (s->value != 1.0)
		return true;
	buf_puts(pg->b, "<tr>");
	html_td(pg->b, "mono", pci);
	buf_printf(pg->b, "<td class=\"%s\">", watchdog_state_class(state));
	html_escape(pg->b, state);
	const char *reason =
	    find_label(pg->e, "gpu_sriov_watchdog_blocked_reason_info", m, 1, true, "reason");
	if (reason != NULL) {
		buf_puts(pg->b, " (");
		html_escape(pg->b, reason);
		buf_putc(pg->b, ')');
	}
	buf_puts(pg->b, "</td>");
	for (size_t i = 0; i < nitems(results); i++) {
		const struct expo_label rm[] = {{"pci_address", pci}, {"result", results[i]}};
		double n;
		bool known = expo_value(pg->e, "gpu_sriov_watchdog_repairs_total", rm, 2, &n);
		html_td_number(pg->b, known, n);
	}
	buf_puts(pg->b, "<td>");
	if (check_value(pg->e, "gpu_sriov_watchdog_last_repair_timestamp_seconds", "pci_address",
		     pci, &last))
		html_utc(pg->b, last);
	else
		buf_puts(pg->b, "never");
	buf_puts(pg->b, "</td></tr>\n");
	return true;
}

static void
put_watchdog(struct page *pg)
{
	static const char *const heads[] = {"PF",	    "State",   "Repaired",
					    "Failed", "Skipped", "Last repair"};
	double on;
	bool has_on = check_value(pg->e, "gpu_sriov_watchdog_enabled", NULL, NULL, &on);

	buf_puts(pg->b, "<section><h2>Watchdog</h2>\n");
	if (!has_on) {
		html_para(pg->b, "muted", DASH);
	} else if (on == 0) {
		html_para(pg->b, "muted", "Off (--watchdog.enable turns it on).");
	} else if (!has_family(pg->e, "gpu_sriov_watchdog_state")) {
		html_para(pg->b, "ok", "On; no PF to watch.");
	} else {
		html_table_start(pg->b, heads, nitems(heads));
		(void)expo_each(pg->e, "gpu_sriov_watchdog_state", watchdog_row, pg);
		html_table_end(pg->b);
	}
	buf_puts(pg->b, "</section>\n");
}

/* ---- render nodes ---- */

static bool
node_row(const struct expo_series *s, void *arg)
{
	const struct page *pg = arg;
	const char *node = check_label(s, "render_node");
	const struct expo_label m[] = {{"render_node", node}};
	double accessible;
	bool has_accessible = expo_value(pg->e, "gpu_sriov_render_node_accessible", m, 1,
					 &accessible);
	const char *function = find_label(pg->e, "gpu_sriov_drm_card_info", m, 1, false, "function");
	const char *error =
	    find_label(pg->e, "gpu_sriov_render_node_open_error_info", m, 1, true, "error");

	buf_puts(pg->b, "<tr>");
	html_td(pg->b, "mono", node);
	html_td(pg->b, "mono", check_label(s, "pci_address"));
	html_td(pg->b, NULL, function != NULL ? function : DASH);
	html_td_yes_no(pg->b, true, s->value, "bad");
	html_td_yes_no(pg->b, has_accessible, accessible, "warn");
	html_td(pg->b, error != NULL ? "warn" : "muted", error != NULL ? error : DASH);
	buf_puts(pg->b, "</tr>\n");
	return true;
}

static void
put_render_nodes(struct page *pg)
{
	static const char *const heads[] = {"Node",	  "PCI address", "Function",
					    "Present", "Accessible",  "Open error"};

	buf_puts(pg->b, "<h2>Render nodes</h2>\n");
	if (!has_family(pg->e, "gpu_sriov_render_node_present")) {
		html_para(pg->b, "muted", "No render node.");
		return;
	}
	html_table_start(pg->b, heads, nitems(heads));
	(void)expo_each(pg->e, "gpu_sriov_render_node_present", node_row, pg);
	html_table_end(pg->b);
}

/* ---- engine busy: counters now against the ones of the previous view ---- */

struct busy_row {
	const char *pci, *engine, *class, *source; /* borrowed from the collection */
};

struct busy {
	const struct expo *e;
	struct busy_row *rows;
	struct busy_sample *samples; /* keys owned here */
	size_t n;
};

/* Length-prefixed parts, so no label value can make two engines' keys equal. */
static char *
busy_key(const struct busy_row *r)
{
	struct buf k = BUF_INIT;
	size_t len;

	buf_printf(&k, "%zu:%s%zu:%s%zu:%s", strlen(r->pci), r->pci, strlen(r->engine), r->engine,
		   strlen(r->source), r->source);
	return buf_steal(&k, &len);
}

static bool
busy_gather(const struct expo_series *s, void *arg)
{
	struct busy *bz = arg;
	struct busy_row r = {
	    .pci = check_label(s, "pci_address"),
	    .engine = check_label(s, "engine"),
	    .class = check_label(s, "class"),
	    .source = check_label(s, "source"),
	};
	const struct expo_label m[] = {{"pci_address", r.pci}, {"engine", r.engine}};
	struct busy_sample sm = {.key = busy_key(&r), .value = s->value, .capacity = 1};

	/* fdinfo sums the engines of a class; the PMU counts each engine on its own. */
	(void)expo_value(bz->e, "gpu_sriov_drm_engine_capacity", m, 2, &sm.capacity);
	bz->rows = xrealloc(bz->rows, (bz->n + 1) * sizeof(*bz->rows));
	bz->samples = xrealloc(bz->samples, (bz->n + 1) * sizeof(*bz->samples));
	bz->rows[bz->n] = r;
	bz->samples[bz->n++] = sm;
	return true;
}

static void
busy_free(struct busy *bz)
{
	for (size_t i = 0; i < bz->n; i++)
		free((char *)(uintptr_t)bz->samples[i].key);
	free(bz->samples);
	free(bz->rows);
}

static void
td_busy(struct buf *b, double pct)
{
	if (isnan(pct)) {
		html_td(b, "n muted", DASH);
		return;
	}
	/* The counters are read during a collection, the clock when it ends: a few milliseconds of
	 * jitter can put a saturated engine a little past 100 %, which would only confuse. */
	double shown = pct > 100 ? 100 : pct;
	buf_printf(b, "<td class=\"n\">%.1f&nbsp;%%<span class=\"bar\"><span style=\"width:%.0f%%\">"
		      "</span></span></td>",
		   shown, shown);
}

static void
put_busy_note(struct buf *b, enum busy_window_result r, double window_s)
{
	switch (r) {
	case BUSY_WINDOW_OK:
		buf_printf(b, "<p class=\"muted\">Over the %.1f s since the previous view of this "
			      "page.</p>\n",
			   window_s);
		break;
	case BUSY_WINDOW_FIRST:
		html_para(b, "muted", "First view since the exporter started: reload for percentages.");
		break;
	case BUSY_WINDOW_TOO_SOON:
		html_para(b, "muted", "Less than a second since the previous view: reload a little "
				      "later for percentages.");
		break;
	}
}

static void
put_busy(struct status_page *p, struct page *pg, int64_t now_ns)
{
	static const char *const heads[] = {"PCI address", "Engine", "Class", "Source", "Busy"};
	struct busy bz = {.e = pg->e};
	double window_s = 0;

	buf_puts(pg->b, "<h2>Engine busy</h2>\n");
	(void)expo_each(pg->e, "gpu_sriov_engine_busy_seconds_total", busy_gather, &bz);
	enum busy_window_result r = busy_window_update(p->busy, bz.samples, bz.n, now_ns, &window_s);
	if (bz.n == 0) {
		html_para(pg->b, "muted", "No engine busy counters (host: pmu collector with "
					  "CAP_PERFMON; guest: --collector.fdinfo).");
		busy_free(&bz);
		return;
	}
	put_busy_note(pg->b, r, window_s);
	html_table_start(pg->b, heads, nitems(heads));
	for (size_t i = 0; i < bz.n; i++) {
		const struct busy_row *row = &bz.rows[i];
		buf_puts(pg->b, "<tr>");
		html_td(pg->b, "mono", row->pci);
		html_td(pg->b, "mono", row->engine);
		html_td(pg->b, NULL, row->class);
		html_td(pg->b, NULL, row->source);
		td_busy(pg->b, bz.samples[i].pct);
		buf_puts(pg->b, "</tr>\n");
	}
	html_table_end(pg->b);
	busy_free(&bz);
}

/* ---- the page ---- */

static void
put_collection(struct status_page *p, struct page *pg, int64_t now_ns)
{
	size_t failed;
	size_t ok = put_failures(pg, &failed);

	if (!has_family(pg->e, "gpu_sriov_pf_info") && !has_family(pg->e, "gpu_sriov_vf_info") &&
	    !has_family(pg->e, "gpu_sriov_drm_card_info"))
		html_para(pg->b, "info", "No SR-IOV GPU found: no GPU physical function with SR-IOV, no "
				    "VF and no DRM card on this machine.");
	put_sriov(pg);
	put_dkms(pg);
	buf_puts(pg->b, "<div class=\"cols\">\n");
	put_iommu(pg);
	put_watchdog(pg);
	buf_printf(pg->b, "<section><h2>Collectors</h2><p><span class=\"ok\">%zu ok</span>", ok);
	if (failed > 0)
		buf_printf(pg->b, ", <span class=\"bad\">%zu failed</span>", failed);
	buf_puts(pg->b, "</p></section>\n</div>\n");
	put_render_nodes(pg);
	put_busy(p, pg, now_ns);
}

void
status_page_render(struct status_page *p, const struct status_view *v, struct buf *out)
{
	struct page pg = {v->e, out};

	put_head(out, v);
	if (v->e == NULL) {
		buf_puts(out, "<div class=\"alert\">Status unavailable: ");
		html_escape(out, v->unavailable != NULL ? v->unavailable : "no collection");
		buf_puts(out, "</div>\n");
	} else {
		put_collection(p, &pg, v->now_ns);
	}
	buf_puts(out, "</body>\n</html>\n");
}

struct serve {
	struct status_page *p;
	struct status_view v;
	struct buf *out;
};

static void
serve_view(const struct expo *e, size_t ok, void *arg)
{
	struct serve *sv = arg;

	(void)ok;
	sv->v.e = e;
	sv->v.now_ns = monotonic_ns();
	status_page_render(sv->p, &sv->v, sv->out);
}

bool
status_page_without_collection(struct status_page *p, struct scraper *scraper,
			       const char *metrics_href, struct buf *out)
{
	struct status_view v = {.wall = time(NULL), .metrics_href = metrics_href};

	if (scraper == NULL)
		v.unavailable = "this server has no collector registry.";
	else if (!scraper_healthy(scraper, monotonic_ns(), STATUS_STUCK_NS))
		v.unavailable = "a collection has been running for more than 15 s (a read hangs in "
				"the kernel); /healthz reports it after 60 s.";
	else
		return false;
	v.now_ns = monotonic_ns();
	status_page_render(p, &v, out);
	return true;
}

void
status_page_take(struct status_page *p, struct scraper *scraper, uint64_t ticket,
		 const char *metrics_href, struct buf *out)
{
	struct serve sv = {p, {.wall = time(NULL), .metrics_href = metrics_href}, out};

	scraper_take_view(scraper, ticket, serve_view, &sv);
}
