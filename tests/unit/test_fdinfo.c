/* The fdinfo collector on proc and sys trees built in a temporary directory: a Frigate guest (a
 * detector and two ffmpeg processes, one holding its client through two fds), processes without
 * DRM fds or vanishing mid-scan, counters that stay monotonic as values grow, go backwards and
 * clients exit, xe cycle counters, the quiet-process cache, unreadable processes and the
 * no-client case. FDINFO_BENCH=N times a scan of N fake processes. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "collectors.h"
#include "fdinfo.h"
#include "fdinfo_parse.h"
#include "testlib.h"

static char *tmp;

static int
setup(void **state)
{
	/* /tmp, not TMPDIR: test_unreadable's child runs as nobody and must reach it. */
	tmp = tree_new("/tmp", "test_fdinfo");
	fake_now = 1000000000LL;
	*state = tmp;
	return tmp == NULL ? -1 : 0;
}

/* The GPU function as sysfs shows it: 0000:01:00.0, Intel 0x46d4, bound to i915 (a VF passed
 * into a guest has no physfn there: role NONE). */
static void
gpu(const char *bdf, const char *driver)
{
	char rel[128], sys[512];

	(void)snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/bind", driver);
	tree_put(tmp, rel, "");
	(void)snprintf(sys, sizeof(sys), "%s/sys", tmp);
	tree_gpu(sys, bdf, driver);
}

static void
process(int pid, const char *comm, unsigned long long start)
{
	char rel[128], text[512];

	(void)snprintf(rel, sizeof(rel), "proc/%d/comm", pid);
	(void)snprintf(text, sizeof(text), "%s\n", comm);
	tree_put(tmp, rel, text);
	(void)snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
	(void)snprintf(text, sizeof(text),
		       "%d (%s) S 1 %d %d 0 -1 4194560 5123 0 0 0 812 95 0 0 20 0 3 0 %llu "
		       "2147483648 61234 18446744073709551615 1 1 0 0 0 0 0 16781312 2 0 0 17 1 0 "
		       "0 0 0 0\n",
		       pid, comm, pid, pid, start);
	tree_put(tmp, rel, text);
	(void)snprintf(rel, sizeof(rel), "proc/%d/fd/.keep", pid);
	tree_put(tmp, rel, "");
	(void)snprintf(rel, sizeof(rel), "proc/%d/fd/.keep", pid);
	(void)snprintf(text, sizeof(text), "%s/%s", tmp, rel);
	(void)unlink(text);
}

/* A non-DRM fd: its fdinfo must never be needed. */
static void
other_fd(int pid, int fd, const char *target)
{
	char rel[128];

	(void)snprintf(rel, sizeof(rel), "proc/%d/fd/%d", pid, fd);
	tree_link(tmp, rel, target);
	(void)snprintf(rel, sizeof(rel), "proc/%d/fdinfo/%d", pid, fd);
	tree_put(tmp, rel,
		 "pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t1057\ninotify wd:1 ino:2 sdev:3\n");
}

static void
drm_fd(int pid, int fd, const char *fdinfo)
{
	char rel[128];

	(void)snprintf(rel, sizeof(rel), "proc/%d/fd/%d", pid, fd);
	/* Absolute, as the kernel shows it; the collector never follows it. */
	tree_link(tmp, rel, "/dev/dri/renderD128");
	(void)snprintf(rel, sizeof(rel), "proc/%d/fdinfo/%d", pid, fd);
	tree_put(tmp, rel, fdinfo);
}

/* An i915 client block as §5 shows it; busy times in ns. */
static const char *
i915(unsigned id, unsigned long long render, unsigned long long video, unsigned resident_mib)
{
	static char text[1024];

	(void)snprintf(text, sizeof(text),
		       "pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t1039\n"
		       "drm-driver:\ti915\ndrm-client-id:\t%u\ndrm-pdev:\t0000:01:00.0\n"
		       "drm-total-system0:\t%u MiB\ndrm-shared-system0:\t0\n"
		       "drm-active-system0:\t0\ndrm-resident-system0:\t%u MiB\n"
		       "drm-purgeable-system0:\t0\ndrm-total-stolen-system0:\t0\n"
		       "drm-resident-stolen-system0:\t0\n"
		       "drm-engine-render:\t%llu ns\ndrm-engine-copy:\t0 ns\n"
		       "drm-engine-video:\t%llu ns\ndrm-engine-capacity-video:\t2\n"
		       "drm-engine-video-enhance:\t0 ns\n",
		       id, resident_mib, resident_mib, render, video);
	return text;
}

/* Collecting: one registry per test, kept across scrapes (the collector's state lives there). */
static struct testrun run;
static char *out; /* the last scrape's text exposition */

static void
start(void)
{
	char sys[512], proc[512];

	(void)snprintf(sys, sizeof(sys), "%s/sys", tmp);
	(void)mkdir(sys, 0755);
	(void)snprintf(proc, sizeof(proc), "%s/proc", tmp);
	(void)mkdir(proc, 0755);
	assert_int_equal(testrun_start(&run, &fdinfo_collector, sys, proc, NULL), 0);
	free(out);
	out = NULL;
}

static void
stop(void)
{
	testrun_stop(&run);
	free(out);
	out = NULL;
}

static void
collect(void)
{
	free(out);
	out = testrun_scrape(&run);
	assert_int_equal(run.ok, 1);
	if (getenv("FDINFO_TEST_SHOW") != NULL)
		(void)fputs(out, stderr);
}

/* Value of the series written exactly as rendered, or NAN when absent. */
static double
value(const char *series)
{
	size_t n = strlen(series);

	for (const char *p = out; p != NULL && *p != '\0';) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NAN;
}

static size_t
count(const char *prefix)
{
	size_t k = 0;

	for (const char *p = out; p != NULL && *p != '\0';) {
		k += strncmp(p, prefix, strlen(prefix)) == 0;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return k;
}

#define BDF "pci_address=\"0000:01:00.0\""
#define DEV_BUSY(e, c) "gpu_sriov_engine_busy_seconds_total{" BDF ",engine=\"" e "\",class=\"" c \
		       "\",source=\"fdinfo\"}"
#define COMM_BUSY(comm, c) "gpu_sriov_client_engine_busy_seconds_total{" BDF ",comm=\"" comm \
			   "\",class=\"" c "\"}"
#define CAPACITY(e, c) "gpu_sriov_drm_engine_capacity{" BDF ",engine=\"" e "\",class=\"" c "\"}"
#define CLIENTS "gpu_sriov_drm_clients{" BDF "}"
#define SKIPPED "gpu_sriov_scrape_collector_skipped_values{collector=\"fdinfo\"}"
#define UNREADABLE "gpu_sriov_fdinfo_processes_unreadable"

static void
near_at(double got, double want, int line)
{
	if (isnan(got) || fabs(got - want) > 1e-9)
		fail_msg("line %d: got %.9f, expected %.9f", line, got, want);
}

#define assert_near(got, want) near_at((got), (want), __LINE__)

/* Frigate in a VF guest: detector (one client, render + video), ffmpeg 200 (one client), ffmpeg
 * 300 (one client through fds 4 and 9), a shell without DRM fds, a process gone before its fd
 * directory was read, one whose DRM fd closed before its fdinfo was read, stray proc entries. */
static void
guest_tree(void)
{
	gpu("0000:01:00.0", "i915");
	tree_put(tmp, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1\n");
	tree_put(tmp, "proc/sys/kernel/osrelease", "6.1.0-56-amd64\n");
	tree_link(tmp, "proc/self", "100");
	process(100, "frigate.detecto", 5000);
	other_fd(100, 0, "/dev/null");
	other_fd(100, 3, "socket:[48213]");
	drm_fd(100, 5, i915(7, 1203345000ULL, 88000000ULL, 24));
	process(200, "ffmpeg", 5100);
	other_fd(200, 1, "pipe:[4411]");
	drm_fd(200, 4, i915(8, 500000000ULL, 2000000000ULL, 8));
	process(300, "ffmpeg", 5200);
	drm_fd(300, 4, i915(9, 0, 1000000000ULL, 4));
	drm_fd(300, 9, i915(9, 0, 1000000000ULL, 4));
	process(400, "bash", 4000);
	other_fd(400, 0, "/dev/pts/0");
	other_fd(400, 1, "/dev/pts/0");
	other_fd(400, 255, "/dev/dri-not-really");
	tree_put(tmp, "proc/500/comm", "vanishing\n");
	process(600, "closing", 6000);
	tree_link(tmp, "proc/600/fd/3", "/dev/dri/card0");
}

static void
test_guest(void **state)
{
	(void)state;
	guest_tree();
	start();
	collect();
	assert_near(value(CLIENTS), 3);
	assert_near(value(DEV_BUSY("render", "render")), 1.703345);
	assert_near(value(DEV_BUSY("video", "video")), 3.088);
	assert_near(value(DEV_BUSY("copy", "copy")), 0);
	assert_near(value(DEV_BUSY("video-enhance", "video-enhance")), 0);
	assert_near(value(COMM_BUSY("frigate.detecto", "render")), 1.203345);
	assert_near(value(COMM_BUSY("frigate.detecto", "video")), 0.088);
	assert_near(value(COMM_BUSY("ffmpeg", "render")), 0.5);
	assert_near(value(COMM_BUSY("ffmpeg", "video")), 3); /* client 9 counted once */
	assert_near(value(CAPACITY("video", "video")), 2);
	assert_near(value(CAPACITY("render", "render")), 1);
	assert_near(value("gpu_sriov_drm_client_resident_bytes{" BDF
			  ",comm=\"frigate.detecto\",region=\"system0\"}"),
		    24 << 20);
	assert_near(value("gpu_sriov_drm_client_resident_bytes{" BDF
			  ",comm=\"ffmpeg\",region=\"system0\"}"),
		    12 << 20);
	assert_near(value(UNREADABLE), 0);
	assert_near(value(SKIPPED), 0);
	assert_int_equal(count("gpu_sriov_client_engine_busy_seconds_total{"), 8);
	assert_int_equal(count("gpu_sriov_engine_busy_seconds_total{"), 4);
	assert_int_equal(count("gpu_sriov_client_engine_cycles_total"), 0);
	/* Nothing with a pid in it. */
	assert_null(strstr(out, "pid="));

	/* Values grow; ffmpeg 300 exits (its 1 s of video stays); a new ffmpeg starts. */
	drm_fd(100, 5, i915(7, 2203345000ULL, 88000000ULL, 24));
	drm_fd(200, 4, i915(8, 500000000ULL, 2500000000ULL, 8));
	tree_rm(tmp, "proc/300");
	process(700, "ffmpeg", 7000);
	drm_fd(700, 6, i915(10, 250000000ULL, 0, 2));
	collect();
	assert_near(value(CLIENTS), 3);
	assert_near(value(DEV_BUSY("render", "render")), 2.953345);
	assert_near(value(DEV_BUSY("video", "video")), 3.588);
	assert_near(value(COMM_BUSY("frigate.detecto", "render")), 2.203345);
	assert_near(value(COMM_BUSY("ffmpeg", "render")), 0.75);
	assert_near(value(COMM_BUSY("ffmpeg", "video")), 3.5);
	assert_near(value("gpu_sriov_drm_client_resident_bytes{" BDF
			  ",comm=\"ffmpeg\",region=\"system0\"}"),
		    10 << 20);

	/* The detector's render time dips (context switched out): the total keeps its maximum,
	 * and only growth past that maximum counts later. */
	drm_fd(100, 5, i915(7, 2103345000ULL, 88000000ULL, 24));
	collect();
	assert_near(value(DEV_BUSY("render", "render")), 2.953345);
	assert_near(value(COMM_BUSY("frigate.detecto", "render")), 2.203345);
	drm_fd(100, 5, i915(7, 2403345000ULL, 88000000ULL, 24));
	collect();
	assert_near(value(DEV_BUSY("render", "render")), 3.153345);
	assert_near(value(COMM_BUSY("frigate.detecto", "render")), 2.403345);

	/* Every client gone: 0 clients, counters unchanged, memory gauges gone. */
	tree_rm(tmp, "proc/100");
	tree_rm(tmp, "proc/200");
	tree_rm(tmp, "proc/700");
	collect();
	assert_near(value(CLIENTS), 0);
	assert_near(value(DEV_BUSY("render", "render")), 3.153345);
	assert_near(value(DEV_BUSY("video", "video")), 3.588);
	assert_near(value(COMM_BUSY("ffmpeg", "video")), 3.5);
	assert_int_equal(count("gpu_sriov_drm_client_resident_bytes"), 0);

	/* A client id that comes back (a new client, as ids are not reused soon) starts from 0. */
	process(800, "frigate.detecto", 8000);
	drm_fd(800, 5, i915(7, 100000000ULL, 0, 24));
	collect();
	assert_near(value(COMM_BUSY("frigate.detecto", "render")), 2.503345);
	stop();
}

/* The same client through an inherited fd in a child with another name: one client, named
 * after the lowest pid, whatever order readdir returns. */
static void
test_inherited_fd(void **state)
{
	(void)state;
	gpu("0000:01:00.0", "i915");
	process(900, "child", 9000);
	drm_fd(900, 3, i915(21, 3000000000ULL, 0, 1));
	process(90, "parent", 900);
	drm_fd(90, 7, i915(21, 3000000000ULL, 0, 1));
	start();
	collect();
	assert_near(value(CLIENTS), 1);
	assert_near(value(COMM_BUSY("parent", "render")), 3);
	assert_true(isnan(value(COMM_BUSY("child", "render"))));
	/* The parent exits: the child carries on with the client and its growth. */
	tree_rm(tmp, "proc/90");
	drm_fd(900, 3, i915(21, 4000000000ULL, 0, 1));
	collect();
	assert_near(value(CLIENTS), 1);
	assert_near(value(COMM_BUSY("parent", "render")), 3);
	assert_near(value(COMM_BUSY("child", "render")), 1);
	assert_near(value(DEV_BUSY("render", "render")), 4);
	stop();
}

static void
test_no_clients(void **state)
{
	(void)state;
	gpu("0000:01:00.0", "i915");
	process(400, "bash", 4000);
	other_fd(400, 0, "/dev/pts/0");
	start();
	collect();
	assert_near(value(CLIENTS), 0);
	assert_int_equal(count("gpu_sriov_drm_clients{"), 1);
	assert_int_equal(count("gpu_sriov_engine_busy_seconds_total"), 0);
	assert_int_equal(count("gpu_sriov_client_engine_busy_seconds_total"), 0);
	assert_near(value(UNREADABLE), 0);
	assert_near(value("gpu_sriov_scrape_collector_success{collector=\"fdinfo\"}"), 1);
	stop();
}

/* No procfs at all: the collector fails (and says so) rather than reporting 0 clients. */
static void
test_no_proc(void **state)
{
	(void)state;
	gpu("0000:01:00.0", "i915");
	tree_put(tmp, "not-a-dir", "");
	start();
	char path[512];
	(void)snprintf(path, sizeof(path), "%s/not-a-dir", tmp);
	(void)close(run.roots.proc);
	run.roots.proc = open(path, O_PATH | O_CLOEXEC);
	assert_true(run.roots.proc >= 0);
	out = testrun_scrape(&run);
	assert_int_equal(run.ok, 0);
	assert_near(value("gpu_sriov_scrape_collector_success{collector=\"fdinfo\"}"), 0);
	assert_int_equal(count("gpu_sriov_drm_clients"), 0);
	stop();
}

static const char *
xe(unsigned id, const char *pdev, unsigned long long rcs, unsigned long long ts)
{
	static char text[1024];

	(void)snprintf(text, sizeof(text),
		       "pos:\t0\nflags:\t0100002\nmnt_id:\t26\nino:\t1110\n"
		       "drm-driver:\txe\ndrm-client-id:\t%u\ndrm-pdev:\t%s\n"
		       "drm-total-gtt:\t8 KiB\ndrm-resident-gtt:\t8 KiB\n"
		       "drm-cycles-rcs:\t%llu\ndrm-total-cycles-rcs:\t%llu\n"
		       "drm-cycles-ccs:\t0\ndrm-total-cycles-ccs:\t%llu\n"
		       "drm-engine-capacity-ccs:\t4\n",
		       id, pdev, rcs, ts, ts);
	return text;
}

/* xe: cycles per process name, the elapsed GPU timestamp as the denominator (advancing once per
 * name, not once per client), class names from rcs/ccs; an xe VF with memory keys only. */
static void
test_xe_cycles(void **state)
{
	(void)state;
	gpu("0000:00:02.0", "xe");
	gpu("0000:00:02.1", "xe");
	process(100, "frigate.detecto", 100);
	drm_fd(100, 3, xe(1, "0000:00:02.0", 1000, 50000));
	drm_fd(100, 4, xe(2, "0000:00:02.0", 500, 50010));
	process(200, "vf-user", 200);
	drm_fd(200, 3,
	       "drm-driver:\txe\ndrm-client-id:\t1\ndrm-pdev:\t0000:00:02.1\n"
	       "drm-resident-system:\t4 MiB\n");
	/* A hypothetical xe printing busy ns: engine keeps the driver's name, class is mapped. */
	process(300, "ns-user", 300);
	drm_fd(300, 3,
	       "drm-driver:\txe\ndrm-client-id:\t3\ndrm-pdev:\t0000:00:02.0\n"
	       "drm-engine-rcs:\t2000000000 ns\n");
	start();
	collect();
#define XE "pci_address=\"0000:00:02.0\""
#define DET ",comm=\"frigate.detecto\",class=\""
#define CYC(c) "gpu_sriov_client_engine_cycles_total{" XE DET c "\"}"
#define TOT(c) "gpu_sriov_client_engine_total_cycles_total{" XE DET c "\"}"
	assert_near(value("gpu_sriov_drm_clients{" XE "}"), 3);
	assert_near(value("gpu_sriov_drm_clients{pci_address=\"0000:00:02.1\"}"), 1);
	assert_near(value(CYC("render")), 1500);
	assert_near(value(TOT("render")), 0); /* the first sighting only sets the base */
	assert_near(value(CYC("compute")), 0);
	assert_near(value("gpu_sriov_drm_engine_capacity{" XE ",engine=\"ccs\",class=\"compute\"}"),
		    4);
	assert_near(value("gpu_sriov_engine_busy_seconds_total{" XE
			  ",engine=\"rcs\",class=\"render\",source=\"fdinfo\"}"),
		    2);
	assert_near(value("gpu_sriov_client_engine_busy_seconds_total{" XE
			  ",comm=\"ns-user\",class=\"render\"}"),
		    2);
	assert_near(value("gpu_sriov_drm_client_resident_bytes{pci_address=\"0000:00:02.1\","
			  "comm=\"vf-user\",region=\"system\"}"),
		    4 << 20);
	assert_int_equal(count("gpu_sriov_client_engine_cycles_total{pci_address=\"0000:00:02.1\""),
			 0);
	/* No cycles without a cycles key: xe busy in seconds only from ns keys. */
	assert_int_equal(count("gpu_sriov_engine_busy_seconds_total{" XE ",engine=\"ccs\""), 0);

	/* 10000 GPU ticks later: rcs busy for 3000 of them across both clients. */
	drm_fd(100, 3, xe(1, "0000:00:02.0", 3000, 60000));
	drm_fd(100, 4, xe(2, "0000:00:02.0", 1500, 60010));
	collect();
	assert_near(value(CYC("render")), 4500);
	assert_near(value(TOT("render")), 10000);
	assert_near(value(TOT("compute")), 10000);

	/* A GPU reset restarts the timestamp: a new base, the counter does not move. */
	drm_fd(100, 3, xe(1, "0000:00:02.0", 3000, 100));
	drm_fd(100, 4, xe(2, "0000:00:02.0", 1500, 100));
	collect();
	assert_near(value(TOT("render")), 10000);
	drm_fd(100, 3, xe(1, "0000:00:02.0", 3100, 1100));
	drm_fd(100, 4, xe(2, "0000:00:02.0", 1500, 1100));
	collect();
	assert_near(value(TOT("render")), 11000);
	assert_near(value(CYC("render")), 4600);
	stop();
}

/* Processes without DRM fds are not rescanned for 30 s unless the pid now names another process
 * (a new proc/<pid> directory). */
static void
test_quiet_cache(void **state)
{
	(void)state;
	gpu("0000:01:00.0", "i915");
	process(400, "bash", 4000);
	other_fd(400, 0, "/dev/pts/0");
	start();
	collect();
	assert_near(value(CLIENTS), 0);
	/* bash starts a GPU program in-process: not seen while remembered as quiet. */
	drm_fd(400, 5, i915(30, 1000000000ULL, 0, 1));
	fake_now += 10LL * 1000000000LL;
	collect();
	assert_near(value(CLIENTS), 0);
	/* After 30 s it is rescanned and its whole history counts. */
	fake_now += 21LL * 1000000000LL;
	collect();
	assert_near(value(CLIENTS), 1);
	assert_near(value(COMM_BUSY("bash", "render")), 1);

	/* A reused pid (a new directory) is rescanned at once. The kernel gives a new process
	 * directory a new inode number; the old one is moved aside until the new one exists, so
	 * the file system here cannot hand the old number out again. */
	process(500, "cat", 5000);
	collect();
	char from[600], to[600];
	xsnprintf(from, sizeof(from), "%s/proc/500", tmp);
	xsnprintf(to, sizeof(to), "%s/proc/gone-500", tmp);
	assert_int_equal(rename(from, to), 0);
	process(500, "vainfo", 5001);
	tree_rm(tmp, "proc/gone-500");
	drm_fd(500, 3, i915(31, 500000000ULL, 0, 1));
	collect();
	assert_near(value(CLIENTS), 2);
	assert_near(value(COMM_BUSY("vainfo", "render")), 0.5);
	/* Only processes without DRM fds are remembered: one with a client is read every time. */
	drm_fd(500, 3, i915(31, 700000000ULL, 0, 1));
	collect();
	assert_near(value(COMM_BUSY("vainfo", "render")), 0.7);
	stop();
}

/* A process with DRM fds has its fdinfo read on every scrape, but its fd table listed again only
 * every 5 s: a second client it opens shows up within 5 s, one it closes at once. */
static void
test_busy_cache(void **state)
{
	(void)state;
	gpu("0000:01:00.0", "i915");
	process(600, "ffmpeg", 6000);
	drm_fd(600, 4, i915(40, 1000000000ULL, 0, 1));
	start();
	collect();
	assert_near(value(CLIENTS), 1);
	/* Counters move: read on every scrape. */
	drm_fd(600, 4, i915(40, 2000000000ULL, 0, 1));
	fake_now += 1LL * 1000000000LL;
	collect();
	assert_near(value(COMM_BUSY("ffmpeg", "render")), 2);
	/* A second client, opened 1 s after the fd table was listed: not yet ... */
	drm_fd(600, 9, i915(41, 500000000ULL, 0, 1));
	fake_now += 3LL * 1000000000LL;
	collect();
	assert_near(value(CLIENTS), 1);
	/* ... but 5 s after the listing it is. */
	fake_now += 1LL * 1000000000LL;
	collect();
	assert_near(value(CLIENTS), 2);
	assert_near(value(COMM_BUSY("ffmpeg", "render")), 2.5);
	/* Closing one is seen by the next scrape. */
	tree_rm(tmp, "proc/600/fd/9");
	tree_rm(tmp, "proc/600/fdinfo/9");
	collect();
	assert_near(value(CLIENTS), 1);
	stop();
}

/* A client whose fdinfo cannot be read for a while is not forgotten: when it is readable again
 * only its growth counts, not its whole history a second time. A client whose process is gone
 * is forgotten. */
static void
test_partial_scan(void **state)
{
	(void)state;
	gpu("0000:01:00.0", "i915");
	process(100, "frigate.detecto", 1);
	drm_fd(100, 5, i915(7, 1000000000ULL, 0, 1));
	start();
	collect();
	assert_near(value(COMM_BUSY("frigate.detecto", "render")), 1);
	tree_rm(tmp, "proc/100/fdinfo/5");
	tree_put(tmp, "proc/100/fdinfo/5/not-a-file", "");
	collect();
	assert_near(value(CLIENTS), 0);
	assert_near(value(SKIPPED), 1);
	tree_rm(tmp, "proc/100/fdinfo/5");
	drm_fd(100, 5, i915(7, 1500000000ULL, 0, 1));
	collect();
	assert_near(value(CLIENTS), 1);
	assert_near(value(COMM_BUSY("frigate.detecto", "render")), 1.5);
	assert_near(value(DEV_BUSY("render", "render")), 1.5);
	stop();
}

/* Malformed lines are skipped and counted per fdinfo; the rest of the block still counts. */
static void
test_malformed_fdinfo(void **state)
{
	(void)state;
	char text[2048];

	gpu("0000:01:00.0", "i915");
	process(100, "a", 1);
	(void)snprintf(text, sizeof(text), "%sdrm-engine-compute:\t12\ngarbage line\n",
		       i915(1, 1000000000ULL, 0, 1));
	drm_fd(100, 3, text);
	process(200, "b", 2);
	(void)snprintf(text, sizeof(text), "%sdrm-engine-compute:\t13\n",
		       i915(2, 1000000000ULL, 0, 1));
	drm_fd(200, 3, text);
	/* No client id: not a usable client. */
	process(300, "c", 3);
	drm_fd(300, 3, "drm-driver:\ti915\ndrm-pdev:\t0000:01:00.0\ndrm-engine-render:\t5 ns\n");
	/* No drm-pdev (virtio-gpu): silently not ours. */
	process(400, "d", 4);
	drm_fd(400, 3, "drm-driver:\tvirtio_gpu\ndrm-client-id:\t1\n");
	/* Larger than 16 KiB. */
	process(500, "e", 5);
	char *big = malloc(FDINFO_FILE_MAX + 100);
	assert_non_null(big);
	memset(big, 'x', FDINFO_FILE_MAX + 99);
	big[FDINFO_FILE_MAX + 99] = '\0';
	drm_fd(500, 3, big);
	free(big);
	/* A directory where fdinfo should be, a FIFO where a fd link should be. */
	process(600, "f", 6);
	tree_link(tmp, "proc/600/fd/3", "/dev/dri/renderD128");
	tree_put(tmp, "proc/600/fdinfo/3/oops", "");
	start();
	collect();
	assert_near(value(CLIENTS), 2);
	assert_near(value(DEV_BUSY("render", "render")), 2);
	assert_true(isnan(value(DEV_BUSY("compute", "compute"))));
	/* 2 malformed engine lines + 1 garbage line + 1 missing client id + 1 too large + 1
	 * unreadable (directory). */
	assert_near(value(SKIPPED), 6);
	assert_near(value(UNREADABLE), 0);
	stop();
}

/* Without ptrace rights a process's fd directory is EACCES (another user's), or it lists but
 * its links are EACCES (the kernel's ptrace check): counted, not an error. Run in a child that
 * drops root, as root reads everything. */
static void
test_unreadable(void **state)
{
	(void)state;
	char path[512];

	gpu("0000:01:00.0", "i915");
	process(100, "frigate.detecto", 1);
	drm_fd(100, 5, i915(7, 1000000000ULL, 0, 1));
	process(200, "other-user", 2);
	drm_fd(200, 5, i915(8, 1000000000ULL, 0, 1));
	(void)snprintf(path, sizeof(path), "%s/proc/200/fd", tmp);
	assert_int_equal(chmod(path, 0700), 0);
	/* Listable, but no link can be looked up. */
	process(300, "third", 3);
	drm_fd(300, 5, i915(9, 1000000000ULL, 0, 1));
	(void)snprintf(path, sizeof(path), "%s/proc/300/fd", tmp);
	assert_int_equal(chmod(path, 0744), 0);
	assert_int_equal(chmod(tmp, 0755), 0);
	if (geteuid() != 0) {
		start();
		collect();
		assert_near(value(UNREADABLE), 2);
		assert_near(value(CLIENTS), 1);
		stop();
		return;
	}
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* No cmocka asserts here: a failure would unwind into the copied test runner. Any
		 * uid other than the tree's owner will do. */
		char sys[512];
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		(void)snprintf(sys, sizeof(sys), "%s/sys", tmp);
		(void)snprintf(path, sizeof(path), "%s/proc", tmp);
		if (testrun_start(&run, &fdinfo_collector, sys, path, NULL) < 0)
			_exit(3);
		out = testrun_scrape(&run);
		int ok = value(UNREADABLE) == 2 && value(CLIENTS) == 1 && value(SKIPPED) == 0;
		if (!ok)
			(void)fputs(out, stderr);
		stop();
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Past FDINFO_COMMS_MAX series, new process names share comm="[other]". */
static void
test_comm_cap(void **state)
{
	(void)state;
	char comm[16];

	gpu("0000:01:00.0", "i915");
	for (int i = 0; i < FDINFO_COMMS_MAX + 5; i++) {
		(void)snprintf(comm, sizeof(comm), "p%d", i);
		process(1000 + i, comm, (unsigned long long)i);
		char text[256];
		(void)snprintf(text, sizeof(text),
			       "drm-driver:\ti915\ndrm-client-id:\t%d\ndrm-pdev:\t0000:01:00.0\n"
			       "drm-engine-render:\t1000000000 ns\n",
			       i + 1);
		drm_fd(1000 + i, 3, text);
	}
	start();
	collect();
	assert_near(value(CLIENTS), FDINFO_COMMS_MAX + 5);
	assert_int_equal(count("gpu_sriov_client_engine_busy_seconds_total{"), FDINFO_COMMS_MAX + 1);
	assert_near(value(COMM_BUSY("[other]", "render")), 5);
	assert_near(value(DEV_BUSY("render", "render")), FDINFO_COMMS_MAX + 5);
	stop();
}

/* FDINFO_BENCH=N: N processes with 12 fds each, 1 in 100 holding a DRM client. */
static void
test_bench(void **state)
{
	(void)state;
	const char *env = getenv("FDINFO_BENCH");
	int n = env != NULL ? (int)strtol(env, NULL, 10) : 0;
	struct timespec a, b;

	assert_true(n > 0);
	gpu("0000:01:00.0", "i915");
	for (int p = 0; p < n; p++) {
		process(2 + p, p % 100 == 0 ? "ffmpeg" : "worker", (unsigned long long)p);
		for (int fd = 0; fd < 12; fd++)
			other_fd(2 + p, fd, fd < 3 ? "/dev/pts/0" : "socket:[123]");
		if (p % 100 == 0)
			drm_fd(2 + p, 12, i915((unsigned)p + 1, 1000, 1000, 1));
	}
	start();
	for (int round = 0; round < 3; round++) {
		(void)clock_gettime(CLOCK_MONOTONIC, &a);
		collect();
		(void)clock_gettime(CLOCK_MONOTONIC, &b);
		fprintf(stderr, "bench: %d processes, scrape %d: %.1f ms, %g clients\n", n, round,
			(double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6,
			value(CLIENTS));
		if (round == 1)
			fake_now += FDINFO_QUIET_NS; /* the third scrape rescans everything again */
	}
	stop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_guest, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_inherited_fd, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_no_clients, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_no_proc, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_xe_cycles, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_quiet_cache, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_busy_cache, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_partial_scan, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_fdinfo, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_comm_cap, setup, tree_teardown),
	};
	const struct CMUnitTest bench[] = {
		cmocka_unit_test_setup_teardown(test_bench, setup, tree_teardown),
	};
	if (getenv("FDINFO_BENCH") != NULL)
		return cmocka_run_group_tests(bench, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
