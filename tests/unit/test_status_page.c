/* Unit tests for the status page: what each section shows for hand-built collections, escaping of
 * every label value that reaches the page, the "no GPU" and "no collection" pages, and busy
 * percentages between views on an injected clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "status_page.h"
#include "testlib.h"

#define S_NS 1000000000LL
#define PF "0000:00:02.0"
#define HELP "test"

static void
assert_has(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		fail_msg("missing: %s\n--- in ---\n%s", part, text);
}

static void
gauge(struct expo *e, const char *name, double v, const struct expo_label *l, size_t n)
{
	assert_int_equal(expo_add(e, name, EXPO_GAUGE, HELP, v, l, n), 0);
}

static void
counter(struct expo *e, const char *name, double v, const struct expo_label *l, size_t n)
{
	assert_int_equal(expo_add(e, name, EXPO_COUNTER, HELP, v, l, n), 0);
}

/* Renders e (sorted first, as scraper_view() hands it over) at now_ns; caller frees. */
static char *
render_at(struct status_page *p, struct expo *e, int64_t now_ns)
{
	struct buf b = BUF_INIT;
	size_t len;
	struct status_view v = {
	    .e = e,
	    .now_ns = now_ns,
	    .wall = 1767225600, /* 2026-01-01 00:00:00 UTC */
	    .metrics_href = "metrics",
	};

	if (e != NULL)
		(void)expo_sort(e);
	status_page_render(p, &v, &b);
	return buf_steal(&b, &len);
}

static char *
render_once(struct expo *e)
{
	struct status_page *p = status_page_new();
	char *page = render_at(p, e, 100 * S_NS);

	status_page_free(p);
	return page;
}

static void
add_collectors(struct expo *e, const char *failed)
{
	static const char *const names[] = {"dkms", "iommu", "kernel", "sriov"};

	for (size_t i = 0; i < 4; i++)
		gauge(e, "gpu_sriov_scrape_collector_success",
		      failed != NULL && strcmp(failed, names[i]) == 0 ? 0 : 1,
		      EXPO_LABELS({"collector", names[i]}));
}

static void
add_vf(struct expo *e, const char *bdf, const char *index, const char *driver,
       const char *vmid)
{
	gauge(e, "gpu_sriov_vf_info", 1,
	      EXPO_LABELS({"pci_address", bdf}, {"pf", PF}, {"index", index}, {"driver", driver},
			  {"iommu_group", index}, {"vmid", vmid}));
}

static void
add_dkms(struct expo *e, const char *kernel, const char *state_now)
{
	static const char *const states[] = {"added", "broken", "built", "installed", "missing"};

	for (size_t i = 0; i < 5; i++)
		gauge(e, "gpu_sriov_dkms_module_state", strcmp(states[i], state_now) == 0 ? 1 : 0,
		      EXPO_LABELS({"module", "i915-sriov-dkms"}, {"version", "2026.03.05"},
				  {"kernel", kernel}, {"arch", "x86_64"}, {"state", states[i]}));
	gauge(e, "gpu_sriov_dkms_ready", strcmp(state_now, "installed") == 0 ? 1 : 0,
	      EXPO_LABELS({"module", "i915-sriov-dkms"}, {"kernel", kernel}));
}

/* The seed's N150 host: 7 of 7 VFs, VF 1 in VM 101, two kernels with DKMS, IOMMU on. */
static struct expo *
host(void)
{
	struct expo *e = expo_new();
	char bdf[16], index[4];

	gauge(e, "gpu_sriov_pf_info", 1,
	      EXPO_LABELS({"pci_address", PF}, {"driver", "i915"}, {"vendor", "8086"},
			  {"device", "46d4"}, {"name", "Alder Lake-N [Intel Graphics]"}));
	gauge(e, "gpu_sriov_vfs_enabled", 7, EXPO_LABELS({"pci_address", PF}));
	gauge(e, "gpu_sriov_vfs_expected", 7, EXPO_LABELS({"pci_address", PF}));
	gauge(e, "gpu_sriov_vfs_supported", 7, EXPO_LABELS({"pci_address", PF}));
	gauge(e, "gpu_sriov_pf_driver_ok", 1, EXPO_LABELS({"pci_address", PF}));
	for (int i = 1; i <= 7; i++) {
		xsnprintf(bdf, sizeof(bdf), "0000:00:02.%d", i);
		xsnprintf(index, sizeof(index), "%d", i);
		add_vf(e, bdf, index, i == 1 ? "vfio-pci" : "i915", i == 1 ? "101" : "");
	}
	gauge(e, "gpu_sriov_vm_hostpci_info", 1,
	      EXPO_LABELS({"vmid", "101"}, {"name", "docker-vm"}, {"hostpci", "hostpci0"},
			  {"pci_address", "0000:00:02.1"}, {"machine", "q35"}));
	add_dkms(e, "6.14.8-2-pve", "installed");
	add_dkms(e, "6.17.4-2-pve", "missing");
	gauge(e, "gpu_sriov_kernel_info", 1, EXPO_LABELS({"release", "6.14.8-2-pve"}));
	gauge(e, "gpu_sriov_installed_kernel_info", 1,
	      EXPO_LABELS({"release", "6.17.4-2-pve"}, {"running", "false"}, {"newest", "true"}));
	gauge(e, "gpu_sriov_iommu_enabled", 1, NULL, 0);
	gauge(e, "gpu_sriov_iommu_units", 2, NULL, 0);
	gauge(e, "gpu_sriov_iommu_groups", 12, NULL, 0);
	gauge(e, "gpu_sriov_iommu_default_domain_info", 1, EXPO_LABELS({"type", "identity"}));
	gauge(e, "gpu_sriov_watchdog_enabled", 0, NULL, 0);
	gauge(e, "gpu_sriov_render_node_present", 1,
	      EXPO_LABELS({"render_node", "renderD128"}, {"pci_address", PF}));
	gauge(e, "gpu_sriov_render_node_accessible", 0,
	      EXPO_LABELS({"render_node", "renderD128"}, {"pci_address", PF}));
	gauge(e, "gpu_sriov_render_node_open_error_info", 1,
	      EXPO_LABELS({"render_node", "renderD128"}, {"pci_address", PF}, {"error", "EACCES"}));
	add_collectors(e, NULL);
	return e;
}

static void
test_host(void **state)
{
	(void)state;
	struct expo *e = host();
	char *page = render_once(e);

	assert_has(page, "<td class=\"mono\">" PF "</td><td>Alder Lake-N [Intel Graphics]</td>"
			 "<td>i915</td><td class=\"n ok\">7/7</td>");
	assert_int_equal(text_count(page, "<tr><td class=\"mono\">0000:00:02."), 1 + 7);
	assert_has(page, "<td class=\"mono\">0000:00:02.1</td><td class=\"n\">1</td>"
			 "<td class=\"mono\">" PF "</td><td>vfio-pci</td><td class=\"n\">1</td>"
			 "<td>101 <span class=\"muted\">docker-vm</span></td>");
	/* The running kernel is marked, and only that one; the missing build stands out. */
	assert_has(page, "6.14.8-2-pve <b>(running)</b></td><td class=\"ok\">installed</td>");
	assert_int_equal(text_count(page, "(running)"), 1);
	assert_has(page, "6.17.4-2-pve <span class=\"muted\">(newest)</span></td>"
			 "<td class=\"bad\">missing</td>");
	assert_has(page, "<dt>Units</dt><dd>2</dd><dt>Groups</dt><dd>12</dd>");
	assert_has(page, "<dd class=\"mono\"> identity</dd>");
	assert_has(page, "Off (--watchdog.enable turns it on).");
	assert_has(page, "<td class=\"warn\">EACCES</td>");
	assert_has(page, "<span class=\"ok\">4 ok</span></p>");
	text_assert_lacks(page, "class=\"alert\"");
	text_assert_lacks(page, "No SR-IOV GPU found");
	text_assert_lacks(page, "<script");
	assert_has(page, "<a href=\"metrics\">Metrics</a><a href=\"healthz\">Health</a>");
	assert_has(page, "collected 2026-01-01 00:00:00 UTC");
	free(page);
	expo_free(e);
}

static void
test_vf_count_short(void **state)
{
	(void)state;
	struct expo *e = expo_new();

	gauge(e, "gpu_sriov_pf_info", 1,
	      EXPO_LABELS({"pci_address", PF}, {"driver", "vfio-pci"}, {"name", ""},
			  {"device", "46d4"}));
	gauge(e, "gpu_sriov_vfs_enabled", 0, EXPO_LABELS({"pci_address", PF}));
	gauge(e, "gpu_sriov_vfs_expected", 7, EXPO_LABELS({"pci_address", PF}));
	gauge(e, "gpu_sriov_pf_driver_ok", 0, EXPO_LABELS({"pci_address", PF}));
	gauge(e, "gpu_sriov_vm_pf_assigned", 1, EXPO_LABELS({"vmid", "103"}, {"pci_address", PF}));
	gauge(e, "gpu_sriov_vm_hostpci_missing", 1,
	      EXPO_LABELS({"vmid", "101"}, {"hostpci", "hostpci0"},
			  {"pci_address", "0000:00:02.1"}));
	char *page = render_once(e);

	/* No name: the device id instead; a short count, a PF driver not ok and PF passthrough are
	 * marked bad; without vfs_supported the cell is a dash, not 0. */
	assert_has(page, "<td>46d4</td><td>vfio-pci</td><td class=\"n bad\">0/7</td>"
			 "<td class=\"n muted\">\xe2\x80\x94</td><td class=\"bad\">no</td>"
			 "<td class=\"bad\">103</td>");
	assert_has(page, "<p class=\"bad\">VM 101 (hostpci0) is configured with 0000:00:02.1, "
			 "which does not exist");
	free(page);
	expo_free(e);
}

static void
test_hostile_labels(void **state)
{
	(void)state;
	static const char script[] = "<script>alert(1)</script>";
	static const char quotes[] = "a\"b'c&d";
	struct expo *e = expo_new();

	gauge(e, "gpu_sriov_pf_info", 1,
	      EXPO_LABELS({"pci_address", script}, {"driver", quotes}, {"name", script}));
	gauge(e, "gpu_sriov_vfs_enabled", 1, EXPO_LABELS({"pci_address", script}));
	gauge(e, "gpu_sriov_vfs_expected_source_info", 1,
	      EXPO_LABELS({"pci_address", script}, {"source", "x\" onmouseover=\"alert(2)"}));
	add_vf(e, "0000:00:02.1", "1", script, quotes);
	gauge(e, "gpu_sriov_vm_hostpci_info", 1,
	      EXPO_LABELS({"vmid", quotes}, {"name", "</td></tr></table><script>x()</script>"},
			  {"pci_address", "0000:00:02.1"}));
	add_dkms(e, script, "installed");
	gauge(e, "gpu_sriov_kernel_info", 1, EXPO_LABELS({"release", script}));
	gauge(e, "gpu_sriov_iommu_default_domain_info", 1, EXPO_LABELS({"type", quotes}));
	gauge(e, "gpu_sriov_render_node_present", 1,
	      EXPO_LABELS({"render_node", script}, {"pci_address", "\x01\x7f"}));
	gauge(e, "gpu_sriov_render_node_open_error_info", 1,
	      EXPO_LABELS({"render_node", script}, {"pci_address", "x"}, {"error", "\xff<b>"}));
	gauge(e, "gpu_sriov_scrape_collector_success", 0, EXPO_LABELS({"collector", script}));
	counter(e, "gpu_sriov_engine_busy_seconds_total", 1,
		EXPO_LABELS({"pci_address", script}, {"engine", quotes}, {"class", script},
			    {"source", quotes}));
	char *page = render_once(e);

	/* Nothing from the labels becomes markup: no script element, no attribute broken out of. */
	text_assert_lacks(page, "<script");
	text_assert_lacks(page, "</script");
	text_assert_lacks(page, quotes);
	text_assert_lacks(page, "\" onmouseover");
	text_assert_lacks(page, "<b>\"");
	text_assert_lacks(page, "\x01");
	text_assert_lacks(page, "\x7f");
	assert_has(page, "&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_has(page, "a&quot;b&#39;c&amp;d");
	assert_has(page, "title=\"expected per x&quot; onmouseover=&quot;alert(2)\"");
	assert_has(page, "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;x()&lt;/script&gt;");
	assert_has(page, "<td class=\"mono\">&#xFFFD;&#xFFFD;</td>");
	/* Invalid UTF-8 arrives as U+FFFD from the builder and stays that character. */
	assert_has(page, "\xef\xbf\xbd&lt;b&gt;");
	assert_has(page, "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>");
	/* Each place that got it shows it: PF address and name, VF driver, DKMS kernel, render
	 * node, failed collector, busy PCI address and class. */
	assert_int_equal(text_count(page, "&lt;script&gt;alert(1)&lt;/script&gt;"), 8);
	free(page);
	expo_free(e);
}

static void
test_no_gpu(void **state)
{
	(void)state;
	struct expo *e = expo_new();
	char *page = render_once(e);

	assert_has(page, "No SR-IOV GPU found");
	assert_has(page, "No SR-IOV physical function here");
	assert_has(page, "No DKMS module.");
	assert_has(page, "No render node.");
	assert_has(page, "No engine busy counters");
	assert_has(page, "<a href=\"metrics\">Metrics</a>");
	text_assert_lacks(page, "<table");
	text_assert_lacks(page, "class=\"alert\"");
	assert_has(page, "</body>\n</html>\n");
	free(page);
	expo_free(e);
}

static void
test_unavailable(void **state)
{
	(void)state;
	struct status_page *p = status_page_new();
	struct buf b = BUF_INIT;
	size_t len;
	struct status_view v = {.unavailable = "stuck <here>", .metrics_href = "m&x"};

	status_page_render(p, &v, &b);
	char *page = buf_steal(&b, &len);
	assert_has(page, "<div class=\"alert\">Status unavailable: stuck &lt;here&gt;</div>");
	assert_has(page, "<a href=\"m&amp;x\">Metrics</a>");
	text_assert_lacks(page, "<h2>");
	free(page);
	status_page_free(p);
}

static void
test_failed_collector(void **state)
{
	(void)state;
	struct expo *e = expo_new();

	add_collectors(e, "kernel");
	char *page = render_once(e);
	assert_has(page, "<div class=\"alert\">Failed collector: <b>kernel</b>.");
	assert_has(page, "<span class=\"ok\">3 ok</span>, <span class=\"bad\">1 failed</span>");
	free(page);
	expo_free(e);
}

static void
test_watchdog(void **state)
{
	(void)state;
	static const char *const states[] = {"backoff", "blocked", "gave_up", "ok", "repairing"};
	struct expo *e = expo_new();

	gauge(e, "gpu_sriov_watchdog_enabled", 1, NULL, 0);
	for (size_t i = 0; i < 5; i++)
		gauge(e, "gpu_sriov_watchdog_state", strcmp(states[i], "blocked") == 0 ? 1 : 0,
		      EXPO_LABELS({"pci_address", PF}, {"state", states[i]}));
	gauge(e, "gpu_sriov_watchdog_blocked_reason_info", 1,
	      EXPO_LABELS({"pci_address", PF}, {"reason", "pf_assigned_to_vm"}));
	counter(e, "gpu_sriov_watchdog_repairs_total", 2,
		EXPO_LABELS({"pci_address", PF}, {"result", "success"}));
	counter(e, "gpu_sriov_watchdog_repairs_total", 1,
		EXPO_LABELS({"pci_address", PF}, {"result", "failure"}));
	counter(e, "gpu_sriov_watchdog_repairs_total", 0,
		EXPO_LABELS({"pci_address", PF}, {"result", "skipped"}));
	gauge(e, "gpu_sriov_watchdog_last_repair_timestamp_seconds", 1767225600.5,
	      EXPO_LABELS({"pci_address", PF}));
	char *page = render_once(e);

	assert_has(page, "<tr><td class=\"mono\">" PF "</td><td class=\"bad\">blocked "
			 "(pf_assigned_to_vm)</td><td class=\"n\">2</td><td class=\"n\">1</td>"
			 "<td class=\"n\">0</td><td>2026-01-01 00:00:00 UTC</td></tr>");
	assert_int_equal(text_count(page, "<td class=\"mono\">" PF "</td>"), 1);
	free(page);
	expo_free(e);
}

static struct expo *
busy_at(double render_s, double video_s)
{
	struct expo *e = expo_new();

	counter(e, "gpu_sriov_engine_busy_seconds_total", render_s,
		EXPO_LABELS({"pci_address", PF}, {"engine", "rcs0"}, {"class", "render"},
			    {"source", "pmu"}));
	/* fdinfo sums the two video engines of the class: capacity 2 halves the percentage. */
	counter(e, "gpu_sriov_engine_busy_seconds_total", video_s,
		EXPO_LABELS({"pci_address", PF}, {"engine", "video"}, {"class", "video"},
			    {"source", "fdinfo"}));
	gauge(e, "gpu_sriov_drm_engine_capacity", 2,
	      EXPO_LABELS({"pci_address", PF}, {"engine", "video"}, {"class", "video"}));
	return e;
}

/* Renders one view of busy counters at t seconds on the fake clock; caller frees. */
static char *
busy_view(struct status_page *p, double t, double render_s, double video_s)
{
	struct expo *e = busy_at(render_s, video_s);
	char *page = render_at(p, e, (int64_t)(t * 1e9));

	expo_free(e);
	return page;
}

static void
test_busy(void **state)
{
	(void)state;
	struct status_page *p = status_page_new();

	char *page = busy_view(p, 100, 10, 4);
	assert_has(page, "First view since the exporter started");
	assert_int_equal(text_count(page, "<td class=\"n muted\">\xe2\x80\x94</td>"), 2);
	text_assert_lacks(page, "&nbsp;%");
	free(page);

	/* 2 s later: render 0.5 s busy (25 %), video 2 s over two engines (50 %). */
	page = busy_view(p, 102, 10.5, 6);
	assert_has(page, "Over the 2.0 s since the previous view");
	assert_has(page, "<td class=\"mono\">rcs0</td><td>render</td><td>pmu</td>"
			 "<td class=\"n\">25.0&nbsp;%<span class=\"bar\"><span style=\"width:25%\">");
	assert_has(page, "<td class=\"mono\">video</td><td>video</td><td>fdinfo</td>"
			 "<td class=\"n\">50.0&nbsp;%");
	free(page);

	/* Half a second later: no figure, and the counters of 102 s stay the baseline. */
	page = busy_view(p, 102.5, 11, 6);
	assert_has(page, "Less than a second since the previous view");
	text_assert_lacks(page, "&nbsp;%");
	free(page);
	page = busy_view(p, 103, 11.25, 6);
	assert_has(page, "Over the 1.0 s since the previous view");
	assert_has(page, "<td>pmu</td><td class=\"n\">75.0&nbsp;%");
	assert_has(page, "<td>fdinfo</td><td class=\"n\">0.0&nbsp;%");
	free(page);

	/* A counter that went down (device re-added) gives no figure; the other one still does. */
	page = busy_view(p, 104, 1, 7);
	assert_has(page, "<td>pmu</td><td class=\"n muted\">\xe2\x80\x94</td>");
	assert_has(page, "<td>fdinfo</td><td class=\"n\">50.0&nbsp;%");
	free(page);

	/* The counter from before the reset is gone: the next view measures from 1 s. */
	page = busy_view(p, 105, 1.1, 7);
	assert_has(page, "<td>pmu</td><td class=\"n\">10.0&nbsp;%");
	free(page);

	/* Clock jitter past saturation shows as 100 %, bar full. */
	page = busy_view(p, 106, 2.104, 7);
	assert_has(page, "<td>pmu</td><td class=\"n\">100.0&nbsp;%<span class=\"bar\">"
			 "<span style=\"width:100%\">");
	free(page);
	status_page_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host),
	    cmocka_unit_test(test_vf_count_short),
	    cmocka_unit_test(test_hostile_labels),
	    cmocka_unit_test(test_no_gpu),
	    cmocka_unit_test(test_unavailable),
	    cmocka_unit_test(test_failed_collector),
	    cmocka_unit_test(test_watchdog),
	    cmocka_unit_test(test_busy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
