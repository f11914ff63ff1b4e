/* The pmu collector against real perf events: each test builds a sysfs tree in a temporary
 * directory whose "GPU PMU" says type 1 (PERF_TYPE_SOFTWARE), so its events are the kernel's
 * software events (config 0 cpu-clock, 1 task-clock, 3 context switches). perf_event_open and the
 * group read really run; cpu-clock counted system-wide on CPU 0 advances with wall time, which
 * is what the busy assertions rely on. Tests that need perf skip when this process may not open
 * system-wide events (not root, no CAP_PERFMON, perf_event_paranoid > 0). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "collectors.h"
#include "testlib.h"

static char *tmp;

static void
path_of(const char *rel, char *buf, size_t size)
{
	(void)snprintf(buf, size, "%s/%s", tmp, rel);
}

static int
setup(void **state)
{
	/* /tmp, not TMPDIR: test_permission_denied's child runs as nobody and must reach it. */
	tmp = tree_new("/tmp", "test_pmu");
	*state = tmp;
	return tmp == NULL ? -1 : 0;
}

/* pmu/<file> below the event source directory. */
static void
pmu_put(const char *pmu, const char *file, const char *text)
{
	char rel[256];

	(void)snprintf(rel, sizeof(rel), "bus/event_source/devices/%s/%s", pmu, file);
	tree_put(tmp, rel, text);
}

static void
i915_pmu(const char *pmu)
{
	pmu_put(pmu, "type", "1\n");
	pmu_put(pmu, "cpumask", "0\n");
	pmu_put(pmu, "format/i915_eventid", "config:0-20\n");
	pmu_put(pmu, "events/rcs0-busy", "config=0x0\n");
	pmu_put(pmu, "events/rcs0-busy.unit", "ns\n");
	pmu_put(pmu, "events/bcs0-busy", "config=0x1\n");
	pmu_put(pmu, "events/bcs0-busy.unit", "ns\n");
	pmu_put(pmu, "events/vcs0-busy", "config=0x0\n");
	pmu_put(pmu, "events/vcs0-busy.unit", "ns\n");
	pmu_put(pmu, "events/vecs0-busy", "config=0x1\n");
	pmu_put(pmu, "events/vecs0-busy.unit", "ns\n");
	pmu_put(pmu, "events/rc6-residency", "config=0x1\n");
	pmu_put(pmu, "events/rc6-residency.unit", "ns\n");
	pmu_put(pmu, "events/interrupts", "config=0x3\n");
	/* Events the collector does not read. */
	pmu_put(pmu, "events/rcs0-wait", "config=0x1\n");
	pmu_put(pmu, "events/actual-frequency", "config=0x100000\n");
	pmu_put(pmu, "events/actual-frequency.unit", "M\n");
}

static void
xe_pmu(const char *pmu)
{
	pmu_put(pmu, "type", "1\n");
	pmu_put(pmu, "cpumask", "0\n");
	pmu_put(pmu, "format/event", "config:0-11\n");
	pmu_put(pmu, "format/engine_instance", "config:12-19\n");
	pmu_put(pmu, "format/engine_class", "config:20-27\n");
	pmu_put(pmu, "format/function", "config:44-59\n");
	pmu_put(pmu, "format/gt", "config:60-63\n");
	pmu_put(pmu, "events/engine-active-ticks", "event=0x00\n");
	pmu_put(pmu, "events/engine-total-ticks", "event=0x01\n");
}

/* Whether this process may open a system-wide software event on CPU 0, as the tests' PMU does. */
static int
perf_probe(void)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	long fd = syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	(void)close((int)fd);
	return 0;
}

#define need_perf()                                                                                \
	do {                                                                                       \
		if (perf_probe() < 0) {                                                            \
			(void)fprintf(stderr, "no system-wide perf events here: skipped\n");       \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* The value of the series whose line starts with series (name and labels), or -1 when absent. */
static double
value(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; *p != '\0';) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		const char *nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return -1;
}

static void
assert_has(const char *text, const char *line)
{
	if (strstr(text, line) == NULL) {
		print_error("missing: %s\nin:\n%s\n", line, text);
		fail();
	}
}

#define BUSY(engine, class)                                                                        \
	"gpu_sriov_engine_busy_seconds_total{pci_address=\"0000:00:02.0\",engine=\"" engine        \
	"\",class=\"" class "\",source=\"pmu\"}"
#define SKIPPED "gpu_sriov_scrape_collector_skipped_values{collector=\"pmu\"}"
#define AVAILABLE(bdf) "gpu_sriov_pmu_available{pci_address=\"" bdf "\"}"
#define OPEN_ERROR(bdf, err)                                                                       \
	"gpu_sriov_pmu_open_error_info{pci_address=\"" bdf "\",error=\"" err "\"} 1\n"
#define SUCCESS "gpu_sriov_scrape_collector_success{collector=\"pmu\"} 1\n"

static const char *const busy_series[] = {
	BUSY("rcs0", "render"),
	BUSY("bcs0", "copy"),
	BUSY("vcs0", "video"),
	BUSY("vecs0", "video-enhance"),
};

/* Keeps a CPU busy for ms milliseconds; the sum goes to a global the compiler must keep. */
static volatile uint64_t spin_sink;

static void
spin(long ms)
{
	struct timespec start, now;

	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		for (int i = 0; i < 10000; i++)
			spin_sink += (uint64_t)i;
		(void)clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
}

static void
test_i915_busy(void **state)
{
	struct testrun r;

	(void)state;
	need_perf();
	tree_gpu(tmp, "0000:00:02.0", "i915");
	tree_put(tmp, "devices/pci0000:00/0000:00:02.0/sriov_totalvfs", "7\n");
	i915_pmu("i915");
	assert_int_equal(testrun_start(&r, &pmu_collector, tmp, NULL, NULL), 0);
	char *t1 = testrun_scrape(&r);
	spin(30);
	char *t2 = testrun_scrape(&r);

	assert_has(t2, SUCCESS);
	assert_has(t2, AVAILABLE("0000:00:02.0") " 1\n");
	assert_null(strstr(t2, "gpu_sriov_pmu_open_error_info{"));
	assert_true(value(t2, SKIPPED) == 0);
	for (size_t i = 0; i < 4; i++) {
		double a = value(t1, busy_series[i]), b = value(t2, busy_series[i]);
		assert_true(a >= 0);
		assert_true(b >= a);
	}
	/* cpu-clock on CPU 0 runs with wall time: rcs0 and vcs0 advanced by about 30 ms. */
	for (size_t i = 0; i < 4; i += 2) {
		double d = value(t2, busy_series[i]) - value(t1, busy_series[i]);
		assert_true(d > 0.02);
		assert_true(d < 5);
	}
	assert_true(value(t2, "gpu_sriov_pmu_rc6_seconds_total{pci_address=\"0000:00:02.0\","
			      "gt=\"0\"}") >= 0);
	assert_true(value(t2, "gpu_sriov_pmu_interrupts_total{pci_address=\"0000:00:02.0\"}") >= 0);
	/* Events the collector does not read stay out. */
	assert_null(strstr(t2, "rcs0-wait"));
	assert_null(strstr(t2, "frequency"));
	free(t1);
	free(t2);
	testrun_stop(&r);
}

/* A PF whose PMU has no directory (as in a VF guest, or a driver without PMU): unavailable,
 * with a reason, and no busy series at all. */
static void
test_no_pmu(void **state)
{
	struct testrun r;

	(void)state;
	tree_gpu(tmp, "0000:00:02.0", "i915");
	tree_gpu(tmp, "0000:00:03.0", "xe");
	tree_gpu(tmp, "0000:00:04.0", "vfio-pci"); /* not a GPU driver: no series */
	tree_put(tmp, "bus/event_source/devices/software/type", "1\n");
	assert_int_equal(testrun_start(&r, &pmu_collector, tmp, NULL, NULL), 0);
	char *t = testrun_scrape(&r);
	assert_has(t, SUCCESS);
	assert_has(t, AVAILABLE("0000:00:02.0") " 0\n");
	assert_has(t, AVAILABLE("0000:00:03.0") " 0\n");
	assert_has(t, OPEN_ERROR("0000:00:02.0", "ENOENT"));
	assert_has(t, OPEN_ERROR("0000:00:03.0", "ENOENT"));
	assert_null(strstr(t, "0000:00:04.0"));
	assert_null(strstr(t, "busy_seconds_total{"));
	assert_null(strstr(t, "ticks_total{"));
	assert_true(value(t, SKIPPED) == 0);
	free(t);
	/* Still absent on the next scrape (looked for again, no backoff needed). */
	t = testrun_scrape(&r);
	assert_has(t, AVAILABLE("0000:00:02.0") " 0\n");
	free(t);
	testrun_stop(&r);
}

/* A VF bound to i915 on the host has no PMU of its own: no series for it. No GPU: nothing. */
static void
test_vf_and_unbound(void **state)
{
	struct testrun r;

	(void)state;
	tree_gpu(tmp, "0000:00:02.1", "i915");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.1/physfn", "../0000:00:02.0");
	assert_int_equal(testrun_start(&r, &pmu_collector, tmp, NULL, NULL), 0);
	char *t = testrun_scrape(&r);
	assert_has(t, SUCCESS);
	assert_null(strstr(t, "gpu_sriov_pmu_available"));
	free(t);
	testrun_stop(&r);
}

static void
test_garbage_events(void **state)
{
	struct testrun r;
	char path[512];

	(void)state;
	need_perf();
	tree_gpu(tmp, "0000:00:02.0", "i915");
	i915_pmu("i915");
	pmu_put("i915", "events/vcs1-busy", "config=zzz\n");
	pmu_put("i915", "events/vcs2-busy", "");
	pmu_put("i915", "events/vcs3-busy", "config=0x0,config=0x1\n");
	pmu_put("i915", "events/vcs4-busy", "config=0x0\n");
	pmu_put("i915", "events/vcs4-busy.unit", "ms\n"); /* seconds would be wrong */
	pmu_put("i915", "events/vcs5-busy", "umask=0x1\n"); /* no such format */
	pmu_put("i915", "events/ccs0-busy/oops", "a directory\n");
	path_of("bus/event_source/devices/i915/events/ccs1-busy", path, sizeof(path));
	assert_int_equal(mkfifo(path, 0644), 0);
	char big[300];
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	pmu_put("i915", "events/ccs2-busy", big);
	pmu_put("i915", "events/gsc0-busy", "config=0x0\n");       /* unknown engine: ignored */
	pmu_put("i915", "events/rc6-residency-gtX", "config=0x0\n"); /* not an rc6 name */
	assert_int_equal(testrun_start(&r, &pmu_collector, tmp, NULL, NULL), 0);
	char *t = testrun_scrape(&r);
	assert_has(t, SUCCESS);
	assert_has(t, AVAILABLE("0000:00:02.0") " 1\n");
	for (size_t i = 0; i < 4; i++)
		assert_true(value(t, busy_series[i]) >= 0);
	assert_null(strstr(t, "engine=\"vcs1\""));
	assert_null(strstr(t, "engine=\"ccs"));
	assert_null(strstr(t, "gsc0"));
	/* vcs1..vcs5, ccs0 (directory), ccs1 (FIFO), ccs2 (too long). */
	assert_true(value(t, SKIPPED) == 8);
	free(t);
	/* The broken files were read at open time only; later scrapes reuse the open group. */
	t = testrun_scrape(&r);
	assert_true(value(t, SKIPPED) == 0);
	assert_true(value(t, busy_series[0]) >= 0);
	free(t);
	testrun_stop(&r);
}

static void
test_refused_config(void **state)
{
	struct testrun r;

	(void)state;
	need_perf();
	tree_gpu(tmp, "0000:00:02.0", "i915");
	i915_pmu("i915");
	/* A software event number the kernel does not have: ENOENT at open. It sorts first, so
	 * the leader is refused and the next event leads. */
	pmu_put("i915", "events/bcs1-busy", "config=0xfffff\n");
	pmu_put("i915", "events/aaa-busy", "config=0xfffff\n"); /* ignored: not an engine */
	assert_int_equal(testrun_start(&r, &pmu_collector, tmp, NULL, NULL), 0);
	char *t1 = testrun_scrape(&r);
	spin(10);
	char *t2 = testrun_scrape(&r);
	assert_has(t2, AVAILABLE("0000:00:02.0") " 1\n");
	assert_null(strstr(t2, "engine=\"bcs1\""));
	assert_true(value(t1, SKIPPED) == 1);
	for (size_t i = 0; i < 4; i++)
		assert_true(value(t2, busy_series[i]) >= value(t1, busy_series[i]));
	assert_true(value(t2, busy_series[0]) > value(t1, busy_series[0]));
	free(t1);
	free(t2);
	testrun_stop(&r);
}

/* Every event refused: the PMU exists but gives nothing, which is not "available". */
static void
test_all_refused(void **state)
{
	struct testrun r;

	(void)state;
	need_perf();
	tree_gpu(tmp, "0000:00:02.0", "i915");
	pmu_put("i915", "type", "1\n");
	pmu_put("i915", "cpumask", "0\n");
	pmu_put("i915", "events/rcs0-busy", "config=0xfffff\n");
	assert_int_equal(testrun_start(&r, &pmu_collector, tmp, NULL, NULL), 0);
	char *t = testrun_scrape(&r);
	assert_has(t, AVAILABLE("0000:00:02.0") " 0\n");
	assert_has(t, "error=\"ENODATA\"");
	assert_null(strstr(t, "busy_seconds_total{"));
	free(t);
	testrun_stop(&r);
}

static void
test_bad_description(void **state)
{
	struct testrun r;

	(void)state;
	tree_gpu(tmp, "0000:00:02.0", "i915");
	tree_gpu(tmp, "0000:03:00.0", "i915");
	i915_pmu("i915");
	pmu_put("i915", "type", "software\n");
	i915_pmu("i915_0000_03_00.0");
	pmu_put("i915_0000_03_00.0", "cpumask", "all\n");
	assert_int_equal(testrun_start(&r, &pmu_collector, tmp, NULL, NULL), 0);
	char *t = testrun_scrape(&r);
	assert_has(t, SUCCESS);
	assert_has(t, OPEN_ERROR("0000:00:02.0", "EINVAL"));
	assert_has(t, OPEN_ERROR("0000:03:00.0", "EINVAL"));
	assert_true(value(t, SKIPPED) == 2);
	free(t);
	testrun_stop(&r);
}

/* The integrated GPU's PMU is "i915"; a discrete one is named by address. The shared name is
 * given to one function only, so a second GPU never reports the first one's engines. */
static void
test_pmu_names(void **state)
{
	struct testrun r;

	(void)state;
	need_perf();
	tree_gpu(tmp, "0000:00:02.0", "i915");
	tree_gpu(tmp, "0000:03:00.0", "i915");
	tree_gpu(tmp, "0000:04:00.0", "i915");
	i915_pmu("i915");
	i915_pmu("i915_0000_03_00.0");
	assert_int_equal(testrun_start(&r, &pmu_collector, tmp, NULL, NULL), 0);
	char *t = testrun_scrape(&r);
	assert_has(t, AVAILABLE("0000:00:02.0") " 1\n");
	assert_has(t, AVAILABLE("0000:03:00.0") " 1\n");
	assert_has(t, AVAILABLE("0000:04:00.0") " 0\n");
	assert_has(t, OPEN_ERROR("0000:04:00.0", "ENOENT"));
	assert_has(t, "{pci_address=\"0000:03:00.0\",engine=\"rcs0\",class=\"render\"");
	assert_null(strstr(t, "{pci_address=\"0000:04:00.0\",engine="));
	free(t);
	testrun_stop(&r);
}

static void
test_xe(void **state)
{
	struct testrun r;

	(void)state;
	need_perf();
	tree_gpu(tmp, "0000:00:02.0", "xe");
	tree_put(tmp, "devices/pci0000:00/0000:00:02.0/sriov_totalvfs", "7\n");
	tree_gpu(tmp, "0000:00:02.1", "vfio-pci");
	tree_gpu(tmp, "0000:00:02.2", "xe");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.0/virtfn0", "../0000:00:02.1");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.0/virtfn1", "../0000:00:02.2");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.1/physfn", "../0000:00:02.0");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.2/physfn", "../0000:00:02.0");
	xe_pmu("xe_0000_00_02.0");
	assert_int_equal(testrun_start(&r, &pmu_collector, tmp, NULL, NULL), 0);
	char *t1 = testrun_scrape(&r);
	spin(20);
	char *t2 = testrun_scrape(&r);
	static const char active[] =
	    "gpu_sriov_engine_active_ticks_total{pci_address=\"0000:00:02.0\",engine=\"rcs0\","
	    "class=\"render\",function=\"0\"}";
	static const char total[] =
	    "gpu_sriov_engine_total_ticks_total{pci_address=\"0000:00:02.0\",engine=\"rcs0\","
	    "class=\"render\",function=\"0\"}";
	assert_has(t2, SUCCESS);
	assert_has(t2, AVAILABLE("0000:00:02.0") " 1\n");
	assert_null(strstr(t2, AVAILABLE("0000:00:02.2")));
	assert_true(value(t1, active) >= 0);
	assert_true(value(t2, active) > value(t1, active) + 1e7); /* cpu-clock ns: 20 ms */
	assert_true(value(t2, total) >= value(t1, total));
	/* Only class 0 instance 0 function 0 exists on the software PMU: the probes of the other
	 * engines, GTs and of VFs 1-2 are refused and quietly left out (no skipped values). */
	const char *p = t2;
	int n = 0;
	while ((p = strstr(p, "gpu_sriov_engine_active_ticks_total{")) != NULL) {
		n++;
		p++;
	}
	assert_int_equal(n, 1);
	assert_null(strstr(t2, "function=\"1\""));
	assert_null(strstr(t2, "busy_seconds_total{"));
	assert_true(value(t1, SKIPPED) == 0);
	/* One more VF: the per-function events are probed again, and the PF's counters continue
	 * from where they were. */
	tree_gpu(tmp, "0000:00:02.3", "vfio-pci");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.0/virtfn2", "../0000:00:02.3");
	tree_link(tmp, "devices/pci0000:00/0000:00:02.3/physfn", "../0000:00:02.0");
	char *t3 = testrun_scrape(&r);
	assert_has(t3, AVAILABLE("0000:00:02.0") " 1\n");
	assert_true(value(t3, active) > value(t2, active));
	assert_true(value(t3, total) >= value(t2, total));
	free(t1);
	free(t2);
	free(t3);
	testrun_stop(&r);
}

static void
test_xe_without_engine_activity(void **state)
{
	struct testrun r;
	char path[512];

	(void)state;
	need_perf();
	tree_gpu(tmp, "0000:00:02.0", "xe");
	xe_pmu("xe_0000_00_02.0");
	/* The kernel hides engine activity without GuC support. */
	path_of("bus/event_source/devices/xe_0000_00_02.0/events/engine-total-ticks", path,
		sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(testrun_start(&r, &pmu_collector, tmp, NULL, NULL), 0);
	char *t = testrun_scrape(&r);
	assert_has(t, AVAILABLE("0000:00:02.0") " 0\n");
	assert_has(t, "error=\"ENODATA\"");
	assert_true(value(t, SKIPPED) == 0);
	free(t);
	testrun_stop(&r);
}

/* Replaces every perf descriptor of this process by /dev/null: the next group read comes back
 * short, as after a failed device. Returns how many were replaced. */
static int
break_perf_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_non_null(d);
	assert_true(null >= 0);
	while ((de = readdir(d)) != NULL) {
		char link[300], target[64];
		(void)snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "anon_inode:[perf_event]") != 0)
			continue;
		assert_true(dup2(null, (int)strtol(de->d_name, NULL, 10)) >= 0);
		n++;
	}
	(void)closedir(d);
	(void)close(null);
	return n;
}

static void
test_reopen_after_read_error(void **state)
{
	struct testrun r;

	(void)state;
	need_perf();
	tree_gpu(tmp, "0000:00:02.0", "i915");
	i915_pmu("i915");
	assert_int_equal(testrun_start(&r, &pmu_collector, tmp, NULL, NULL), 0);
	char *t1 = testrun_scrape(&r);
	assert_int_equal(break_perf_fds(), 6);
	spin(10);
	char *t2 = testrun_scrape(&r);
	/* Reopened at once; totals carried over, so the counters did not restart. */
	assert_has(t2, AVAILABLE("0000:00:02.0") " 1\n");
	for (size_t i = 0; i < 4; i++)
		assert_true(value(t2, busy_series[i]) >= value(t1, busy_series[i]));
	spin(10);
	char *t3 = testrun_scrape(&r);
	assert_true(value(t3, busy_series[0]) > value(t2, busy_series[0]));
	/* t3 read the reopened group, so the next failure is reopened at once too; a failure
	 * right after that reopen waits for the backoff, unavailable meanwhile. */
	assert_int_equal(break_perf_fds(), 6);
	char *t4 = testrun_scrape(&r);
	assert_has(t4, AVAILABLE("0000:00:02.0") " 1\n");
	assert_int_equal(break_perf_fds(), 6);
	char *t5 = testrun_scrape(&r);
	assert_has(t5, AVAILABLE("0000:00:02.0") " 0\n");
	assert_has(t5, OPEN_ERROR("0000:00:02.0", "ENODEV"));
	assert_null(strstr(t5, "busy_seconds_total{"));
	free(t1);
	free(t2);
	free(t3);
	free(t4);
	free(t5);
	testrun_stop(&r);
}

/* Driver unbind removes the PMU; a rebind registers it again (usually with a new type). */
static void
test_pmu_gone_and_back(void **state)
{
	struct testrun r;
	char from[512], to[512];

	(void)state;
	need_perf();
	tree_gpu(tmp, "0000:00:02.0", "i915");
	i915_pmu("i915");
	path_of("bus/event_source/devices/i915", from, sizeof(from));
	path_of("bus/event_source/devices/i915.gone", to, sizeof(to));
	assert_int_equal(testrun_start(&r, &pmu_collector, tmp, NULL, NULL), 0);
	char *t1 = testrun_scrape(&r);
	assert_int_equal(rename(from, to), 0);
	char *t2 = testrun_scrape(&r);
	assert_has(t2, AVAILABLE("0000:00:02.0") " 0\n");
	assert_has(t2, "error=\"ENOENT\"");
	assert_null(strstr(t2, "busy_seconds_total{"));
	assert_int_equal(rename(to, from), 0);
	spin(10);
	char *t3 = testrun_scrape(&r);
	assert_has(t3, AVAILABLE("0000:00:02.0") " 1\n");
	for (size_t i = 0; i < 4; i++)
		assert_true(value(t3, busy_series[i]) >= value(t1, busy_series[i]));
	/* A scrape that reads the reopened events ends the backoff of the earlier change... */
	free(testrun_scrape(&r));
	/* ...so a type that no longer exists is tried at once: reopening fails, and the GPU
	 * reads as unavailable. */
	pmu_put("i915", "type", "999999\n");
	char *t4 = testrun_scrape(&r);
	assert_has(t4, AVAILABLE("0000:00:02.0") " 0\n");
	assert_has(t4, "error=\"ENODATA\"");
	/* Fixed again, but the failed reopen backs off: not retried yet. */
	pmu_put("i915", "type", "1\n");
	char *t5 = testrun_scrape(&r);
	assert_has(t5, AVAILABLE("0000:00:02.0") " 0\n");
	assert_has(t5, "error=\"ENODATA\"");
	free(t5);
	free(t1);
	free(t2);
	free(t3);
	free(t4);
	testrun_stop(&r);
}

/* Without CAP_PERFMON and with perf_event_paranoid > 0 the open fails with EACCES: the
 * collector still succeeds and says why. Run in a child that drops root. */
static void
test_permission_denied(void **state)
{
	(void)state;
	if (geteuid() != 0 && perf_probe() == 0)
		skip(); /* this user may open the events: nothing to deny */
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	int paranoid = 2;
	if (f != NULL) {
		char line[16] = "";
		if (fgets(line, sizeof(line), f) != NULL)
			paranoid = (int)strtol(line, NULL, 10);
		(void)fclose(f);
	}
	if (paranoid <= 0)
		skip(); /* anyone may count system-wide */
	tree_gpu(tmp, "0000:00:02.0", "i915");
	i915_pmu("i915");
	assert_int_equal(chmod(tmp, 0755), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct testrun r;
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(10);
		if (testrun_start(&r, &pmu_collector, tmp, NULL, NULL) < 0)
			_exit(15);
		char *t = testrun_scrape(&r);
		int rc = 0;
		if (strstr(t, SUCCESS) == NULL)
			rc = 11;
		else if (strstr(t, AVAILABLE("0000:00:02.0") " 0\n") == NULL)
			rc = 12;
		else if (strstr(t, "error=\"EACCES\"") == NULL)
			rc = 13;
		else if (strstr(t, "busy_seconds_total{") != NULL)
			rc = 14;
		/* Freed so a leak checker wrapping the tests finds nothing in the child either. */
		free(t);
		testrun_stop(&r);
		_exit(rc);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_i915_busy, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_no_pmu, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_vf_and_unbound, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_garbage_events, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_refused_config, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_all_refused, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_bad_description, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_pmu_names, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_xe, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_xe_without_engine_activity, setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_reopen_after_read_error, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_pmu_gone_and_back, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_permission_denied, setup, tree_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
