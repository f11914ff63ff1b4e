/* Unit tests for the privileged helper (Side: privileged helper): the request decoder, the
 * answers to HELLO / DESCRIBE, the SET_NUMVFS and BIND_VFIO apply steps and the flag parser.
 *
 * Every apply test runs on its own mkdtemp() copy of tests/fixtures/host_pf_to_vm/sys, opened
 * as the sysfs dirfd; the apply functions take nothing else, so no test can reach /sys. The
 * binary is linked with -Wl,--wrap=write: __wrap_write() records each write into the copy (file
 * and bytes, in order) and, when a test asks for it, plays the kernel's part: creates or removes
 * virtfn links on a sriov_numvfs write (refusing N over another non-zero count with EBUSY, as
 * the PCI core does), drops the driver link on unbind, binds vfio-pci on drivers_probe when
 * driver_override names it, or fails a chosen attribute with a chosen errno. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helper_apply.h"
#include "helper_config.h"
#include "helper_proto.h"
#include "log.h"
#include "testlib.h"

#define PF "0000:00:02.0"
#define VF "0000:00:02.1"
#define PF_DIR "devices/pci0000:00/" PF
#define VF_DIR "devices/pci0000:00/" VF
#define NUMVFS PF_DIR "/sriov_numvfs"
#define T0 (100LL * 1000000000LL) /* a CLOCK_MONOTONIC value well past boot */
#define SEC 1000000000LL

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);

/* ---- the write() recorder and kernel stand-in ------------------------------------------- */

#define MAX_WRITES 16

struct write_rec {
	char rel[128];
	char data[64];
};

static struct {
	bool recording;
	char root[PATH_MAX]; /* realpath of the fixture copy: /proc/self/fd links show it */
	size_t n;
	struct write_rec w[MAX_WRITES];
	bool kernel;          /* react to writes as the kernel would */
	unsigned vf_limit;    /* kernel: enable at most this many VFs (UINT_MAX: all) */
	const char *fail_rel; /* this attribute fails with fail_errno, nothing written */
	int fail_errno;
} sim;

/* The path of fd relative to the fixture copy, or -1 when it is somewhere else. */
static int
fd_rel(int fd, char *rel, size_t size)
{
	char link[64], path[PATH_MAX];

	(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return -1;
	path[n] = '\0';
	size_t rl = strlen(sim.root);
	if (strncmp(path, sim.root, rl) != 0 || path[rl] != '/' || strlen(path + rl + 1) >= size)
		return -1;
	memcpy(rel, path + rl + 1, strlen(path + rl + 1) + 1);
	return 0;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void
sim_path(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
sim_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(buf, size, "%s/", sim.root);

	va_start(ap, fmt);
	(void)vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	va_end(ap);
}

static unsigned
sim_count_vfs(const char *dir)
{
	char path[PATH_MAX + 32];
	unsigned n = 0;
	struct stat st;

	for (unsigned i = 0; i < 256; i++) {
		(void)snprintf(path, sizeof(path), "%s/virtfn%u", dir, i);
		if (lstat(path, &st) == 0)
			n++;
	}
	return n;
}

/* The PCI core and the driver's sriov_configure, reduced to what the helper can observe. */
static int
sim_numvfs(const char *rel, const char *data)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	unsigned long v = strtoul(data, NULL, 10);

	sim_path(dir, sizeof(dir), "%.*s", (int)(strrchr(rel, '/') - rel), rel);
	unsigned cur = sim_count_vfs(dir);
	if (v == cur)
		return 0;
	if (cur != 0 && v != 0)
		return -EBUSY;
	for (unsigned i = 0; i < 256; i++) {
		(void)snprintf(path, sizeof(path), "%s/virtfn%u", dir, i);
		(void)unlink(path);
	}
	for (unsigned i = 0; i < v && i < sim.vf_limit; i++) {
		char target[32];
		(void)snprintf(path, sizeof(path), "%s/virtfn%u", dir, i);
		(void)snprintf(target, sizeof(target), "../0000:00:02.%u", i + 1);
		if (symlink(target, path) < 0)
			return -errno;
	}
	return 0;
}

static void
sim_bind(const char *rel, const char *data)
{
	char path[PATH_MAX], buf[64] = "";

	if (ends_with(rel, "/unbind")) {
		sim_path(path, sizeof(path), "bus/pci/devices/%s/driver", data);
		(void)unlink(path);
		return;
	}
	if (strcmp(rel, "bus/pci/drivers_probe") != 0)
		return;
	sim_path(path, sizeof(path), "bus/pci/devices/%s/driver_override", data);
	FILE *f = fopen(path, "re");
	if (f != NULL) {
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		(void)fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	sim_path(path, sizeof(path), "bus/pci/drivers/%s", buf);
	struct stat st;
	if (buf[0] == '\0' || stat(path, &st) != 0)
		return;
	sim_path(path, sizeof(path), "bus/pci/devices/%s/driver", data);
	(void)unlink(path);
	char target[128];
	(void)snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", buf);
	assert_int_equal(symlink(target, path), 0);
}

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	char rel[128], data[64];

	if (!sim.recording || fd_rel(fd, rel, sizeof(rel)) < 0)
		return __real_write(fd, buf, n);
	size_t dl = n < sizeof(data) - 1 ? n : sizeof(data) - 1;
	memcpy(data, buf, dl);
	data[dl] = '\0';
	if (sim.n < MAX_WRITES) {
		memcpy(sim.w[sim.n].rel, rel, sizeof(rel));
		memcpy(sim.w[sim.n].data, data, sizeof(data));
		sim.n++;
	}
	if (sim.fail_rel != NULL && strcmp(rel, sim.fail_rel) == 0) {
		errno = sim.fail_errno;
		return -1;
	}
	if (sim.kernel && ends_with(rel, "/sriov_numvfs")) {
		int r = sim_numvfs(rel, data);
		if (r < 0) {
			errno = -r;
			return -1;
		}
	}
	ssize_t r = __real_write(fd, buf, n);
	if (sim.kernel && r >= 0)
		sim_bind(rel, data);
	return r;
}

/* ---- the fixture copy --------------------------------------------------------------------- */

struct fx {
	char *path; /* tree_new(), freed and removed by tree_free() */
	int sys;
	struct helper_policy pol;
	struct helper_limits lim;
};

static const char *copy_src;
static const char *copy_dst;

static int
copy_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char dst[PATH_MAX], target[PATH_MAX];
	const char *rel = path + strlen(copy_src);

	(void)ftw;
	if (snprintf(dst, sizeof(dst), "%s%s", copy_dst, rel) >= (int)sizeof(dst))
		return -1;
	if (type == FTW_D)
		return rel[0] == '\0' ? 0 : mkdir(dst, 0755);
	if (type == FTW_SL) {
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			return -1;
		target[n] = '\0';
		return symlink(target, dst);
	}
	if (type != FTW_F)
		return -1;
	int in = open(path, O_RDONLY | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st->st_mode & 0777);
	int r = in >= 0 && out >= 0 ? 0 : -1;
	char buf[8192];
	ssize_t n;
	while (r == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		r = __real_write(out, buf, (size_t)n) == n ? 0 : -1;
	if (in >= 0)
		(void)close(in);
	if (out >= 0)
		(void)close(out);
	return r;
}

static void
put(struct fx *f, const char *rel, const char *text)
{
	int fd = openat(f->sys, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(__real_write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

static void
relink(struct fx *f, const char *rel, const char *target)
{
	(void)unlinkat(f->sys, rel, 0);
	assert_int_equal(symlinkat(target, f->sys, rel), 0);
}

static void
rm(struct fx *f, const char *rel)
{
	assert_int_equal(unlinkat(f->sys, rel, 0), 0);
}

/* The whole content of rel (never a sysfs file here: a copy), for comparisons. */
static const char *
content(struct fx *f, const char *rel)
{
	static char buf[256];
	int fd = openat(f->sys, rel, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	(void)close(fd);
	return buf;
}

static void
add_virtfns(struct fx *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char rel[64], target[32];
		(void)snprintf(rel, sizeof(rel), PF_DIR "/virtfn%u", i);
		(void)snprintf(target, sizeof(target), "../0000:00:02.%u", i + 1);
		assert_int_equal(symlinkat(target, f->sys, rel), 0);
	}
}

static bool
is_link_to(struct fx *f, const char *rel, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(f->sys, rel, buf, sizeof(buf) - 1);

	if (n < 0)
		return false;
	buf[n] = '\0';
	return strcmp(buf, target) == 0;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *data = getenv("EXPORTER_TEST_DATA");
	char src[PATH_MAX];

	if (f == NULL)
		return -1;
	*state = f;
	f->sys = -1;
	if (data == NULL || data[0] == '\0')
		data = TEST_DATA_DIR;
	(void)snprintf(src, sizeof(src), "%s/host_pf_to_vm/sys", data);
	f->path = tree_new(NULL, "test_helper");
	if (f->path == NULL)
		return -1;
	copy_src = src;
	copy_dst = f->path;
	if (nftw(src, copy_entry, 16, FTW_PHYS) != 0)
		return -1;
	f->sys = open(f->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->sys < 0 || realpath(f->path, sim.root) == NULL)
		return -1;

	/* The fixture's PF is passed to a VM (vfio-pci). The tests that need a host PF on i915
	 * rebind it; the VF and the write-only attributes the fixture lacks are added here. */
	(void)mkdirat(f->sys, "bus/pci/drivers/i915", 0755);
	put(f, "bus/pci/drivers/i915/unbind", "");
	put(f, "bus/pci/drivers_probe", "");
	assert_int_equal(mkdirat(f->sys, VF_DIR, 0755), 0);
	relink(f, VF_DIR "/physfn", "../" PF);
	relink(f, VF_DIR "/driver", "../../../bus/pci/drivers/i915");
	put(f, VF_DIR "/driver_override", "(null)\n");
	relink(f, "bus/pci/devices/" VF, "../../../devices/pci0000:00/" VF);

	f->pol.pfs[0] = (struct helper_pf){PF, 7};
	f->pol.npfs = 1;
	memcpy(f->pol.vfs[0], VF, sizeof(VF));
	f->pol.nvfs = 1;
	memcpy(f->pol.pf_drivers[0], "i915", 5);
	memcpy(f->pol.pf_drivers[1], "xe", 3);
	f->pol.npf_drivers = 2;
	f->pol.min_interval_ns = HELPER_MIN_INTERVAL_NS;
	f->pol.verify_ns = 0; /* one count: the stand-in kernel acts inside write() */

	sim.n = 0;
	sim.kernel = false;
	sim.vf_limit = UINT_MAX;
	sim.fail_rel = NULL;
	sim.recording = true;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int r = 0;

	sim.recording = false;
	if (f == NULL)
		return 0;
	if (f->sys >= 0)
		(void)close(f->sys);
	if (f->path != NULL)
		r = tree_free(f->path);
	free(f);
	return r;
}

/* The host case: the PF on i915, whose SR-IOV build has max_vfs (as in the fixture). */
static void
host_pf(struct fx *f)
{
	relink(f, PF_DIR "/driver", "../../../bus/pci/drivers/i915");
}

static int
set(struct fx *f, uint32_t value, int64_t now, uint32_t *count)
{
	*count = 0xdead;
	return helper_set_numvfs(&f->pol, &f->lim, f->sys, 0, value, now, count);
}

static int bind_vf(struct fx *f, uint32_t target, int64_t now);

static void
assert_writes(size_t n, ...)
{
	va_list ap;

	assert_int_equal(sim.n, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		const char *rel = va_arg(ap, const char *);
		const char *data = va_arg(ap, const char *);
		assert_string_equal(sim.w[i].rel, rel);
		assert_string_equal(sim.w[i].data, data);
	}
	va_end(ap);
}

/* ---- decoder and the answers that need no sysfs ------------------------------------------ */

static void
test_decode_sizes(void **state)
{
	unsigned char buf[64];
	struct helper_req req, poison;
	static const size_t bad[] = {0, 1, 4, 8, 11, 13, 16, 28, 64};

	(void)state;
	memset(buf, 0, sizeof(buf));
	buf[0] = HELPER_OP_HELLO;
	memset(&poison, 0xa5, sizeof(poison));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req = poison;
		assert_int_equal(helper_decode(buf, bad[i], &req), -EMSGSIZE);
		assert_memory_equal(&req, &poison, sizeof(req));
	}
	assert_int_equal(sizeof(struct helper_req), 12);
	assert_int_equal(sizeof(struct helper_resp), 28);
	assert_int_equal(helper_decode(buf, sizeof(struct helper_req), &req), 0);
	assert_int_equal(req.op, HELPER_OP_HELLO);
}

static void
test_decode_ops(void **state)
{
	static const uint32_t bad[] = {0, 6, 7, 99, 0x100, 0x01000000, UINT32_MAX};
	struct helper_req in = {0, 3, 7}, out;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in.op = bad[i];
		memset(&out, 0xa5, sizeof(out));
		assert_int_equal(helper_decode(&in, sizeof(in), &out), -EBADMSG);
		assert_int_equal(out.op, 0xa5a5a5a5);
	}
	for (uint32_t op = HELPER_OP_HELLO; op <= HELPER_OP_BIND_VFIO; op++) {
		in.op = op;
		assert_int_equal(helper_decode(&in, sizeof(in), &out), 0);
		assert_memory_equal(&in, &out, sizeof(in));
	}
}

static void
handle(struct fx *f, uint32_t op, uint32_t target, uint32_t value, struct helper_resp *resp)
{
	struct helper_req req = {op, target, value};

	memset(resp, 0xa5, sizeof(*resp));
	helper_handle(&f->pol, &f->lim, f->sys, &req, T0, resp);
	/* Every answer is fully written, bdf NUL-terminated and zero-padded. */
	size_t len = strnlen(resp->bdf, sizeof(resp->bdf));
	assert_true(len < sizeof(resp->bdf));
	for (size_t i = len; i < sizeof(resp->bdf); i++)
		assert_int_equal(resp->bdf[i], 0);
}

static void
test_hello(void **state)
{
	struct fx *f = *state;
	struct helper_resp r;

	handle(f, HELPER_OP_HELLO, 0, HELPER_PROTO_VERSION, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.value, 1);
	assert_int_equal(r.count2, 1);
	assert_string_equal(r.bdf, "");
	handle(f, HELPER_OP_HELLO, 1, HELPER_PROTO_VERSION, &r);
	assert_int_equal(r.rc, -EINVAL);
	assert_int_equal(r.value, 0);
	/* A client speaking another protocol version is refused. */
	handle(f, HELPER_OP_HELLO, 0, 0, &r);
	assert_int_equal(r.rc, -EPROTONOSUPPORT);
	handle(f, HELPER_OP_HELLO, 0, HELPER_PROTO_VERSION + 1, &r);
	assert_int_equal(r.rc, -EPROTONOSUPPORT);
	assert_int_equal(sim.n, 0);
}

static void
test_describe(void **state)
{
	struct fx *f = *state;
	struct helper_resp r;

	handle(f, HELPER_OP_DESCRIBE_PF, 0, 0, &r);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.bdf, PF);
	assert_int_equal(r.value, 7);
	assert_int_equal(r.count2, 0);
	handle(f, HELPER_OP_DESCRIBE_PF, 1, 0, &r);
	assert_int_equal(r.rc, -ENOENT);
	assert_string_equal(r.bdf, "");
	handle(f, HELPER_OP_DESCRIBE_PF, UINT32_MAX, 0, &r);
	assert_int_equal(r.rc, -ENOENT);
	handle(f, HELPER_OP_DESCRIBE_PF, 0, 1, &r);
	assert_int_equal(r.rc, -EINVAL);
	assert_string_equal(r.bdf, "");
	handle(f, HELPER_OP_DESCRIBE_VF, 0, 0, &r);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.bdf, VF);
	assert_int_equal(r.value, 0);
	handle(f, HELPER_OP_DESCRIBE_VF, 1, 0, &r);
	assert_int_equal(r.rc, -ENOENT);
	assert_int_equal(sim.n, 0);
}

static void
test_handle_out_of_range(void **state)
{
	struct fx *f = *state;
	struct helper_resp r;

	host_pf(f);
	handle(f, HELPER_OP_SET_NUMVFS, 1, 7, &r);
	assert_int_equal(r.rc, -EPERM);
	handle(f, HELPER_OP_SET_NUMVFS, UINT32_MAX, 7, &r);
	assert_int_equal(r.rc, -EPERM);
	handle(f, HELPER_OP_BIND_VFIO, 1, 0, &r);
	assert_int_equal(r.rc, -EPERM);
	handle(f, HELPER_OP_BIND_VFIO, UINT32_MAX, 0, &r);
	assert_int_equal(r.rc, -EPERM);
	handle(f, HELPER_OP_BIND_VFIO, 0, 1, &r);
	assert_int_equal(r.rc, -EINVAL);
	assert_int_equal(sim.n, 0);
	assert_string_equal(content(f, NUMVFS), "0\n");
}

static void
test_handle_set_numvfs(void **state)
{
	struct fx *f = *state;
	struct helper_resp r;

	host_pf(f);
	sim.kernel = true;
	handle(f, HELPER_OP_SET_NUMVFS, 0, 7, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.value, 7);
	assert_int_equal(r.count2, 0);
	assert_string_equal(r.bdf, "");
}

/* ---- SET_NUMVFS ---------------------------------------------------------------------------- */

/* VFs lost: no virtfn link, PF on i915 with max_vfs. Nothing in a fixture creates VFs, so the
 * write happens, the verification counts 0 and the answer is -EIO with 0. */
static void
test_vf_loss_writes_once(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	assert_int_equal(set(f, 7, T0, &count), -EIO);
	assert_int_equal(count, 0);
	assert_string_equal(content(f, NUMVFS), "7\n");
	assert_writes(1, NUMVFS, "7\n");
}

static void
test_vf_loss_repaired(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	sim.kernel = true;
	assert_int_equal(set(f, 7, T0, &count), 0);
	assert_int_equal(count, 7);
	assert_writes(1, NUMVFS, "7\n");
	assert_true(is_link_to(f, PF_DIR "/virtfn6", "../0000:00:02.7"));
}

static void
test_already_at_value(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	add_virtfns(f, 7);
	assert_int_equal(set(f, 7, T0, &count), 0);
	assert_int_equal(count, 7);
	assert_int_equal(sim.n, 0);
	assert_string_equal(content(f, NUMVFS), "0\n");
	/* "already there" writes nothing, so it does not use up the rate limit either. */
	assert_int_equal(set(f, 7, T0 + 1, &count), 0);
}

static void
test_partial_busy(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	add_virtfns(f, 3);
	assert_int_equal(set(f, 7, T0, &count), -EBUSY);
	assert_int_equal(count, 3);
	assert_int_equal(sim.n, 0);
	/* More VFs than allowed is no better: never N over another non-zero count. */
	f->pol.pfs[0].count = 2;
	assert_int_equal(set(f, 2, T0, &count), -EBUSY);
	assert_int_equal(sim.n, 0);
}

static void
test_force_partial_sequence(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	add_virtfns(f, 3);
	f->pol.force_partial = true;
	sim.kernel = true;
	assert_int_equal(set(f, 7, T0, &count), 0);
	assert_int_equal(count, 7);
	assert_writes(2, NUMVFS, "0\n", NUMVFS, "7\n");
}

/* If the VFs do not go away after "0", N is not written over them. */
static void
test_force_partial_stuck(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	add_virtfns(f, 3);
	f->pol.force_partial = true;
	assert_int_equal(set(f, 7, T0, &count), -EIO);
	assert_int_equal(count, 3);
	assert_writes(1, NUMVFS, "0\n");
}

static void
test_force_partial_zero_refused(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	add_virtfns(f, 3);
	f->pol.force_partial = true;
	sim.kernel = true;
	sim.fail_rel = NUMVFS;
	sim.fail_errno = EPERM; /* i915: "Can't disable VFs, still assigned" */
	assert_int_equal(set(f, 7, T0, &count), -EPERM);
	assert_int_equal(count, 3);
	assert_writes(1, NUMVFS, "0\n");
}

static void
test_pf_on_vfio(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	/* The fixture as checked in: the PF itself is passed to a VM. */
	assert_int_equal(set(f, 7, T0, &count), -ENODEV);
	assert_int_equal(count, 0);
	assert_int_equal(sim.n, 0);
	assert_string_equal(content(f, NUMVFS), "0\n");
}

static void
test_pf_unbound(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	rm(f, PF_DIR "/driver");
	assert_int_equal(set(f, 7, T0, &count), -ENODEV);
	assert_int_equal(sim.n, 0);
}

static void
test_pf_driver_not_listed(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	memcpy(f->pol.pf_drivers[0], "xe", 3);
	f->pol.npf_drivers = 1;
	assert_int_equal(set(f, 7, T0, &count), -ENODEV);
	assert_int_equal(sim.n, 0);
}

static void
test_module_without_max_vfs(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	rm(f, "module/i915/parameters/max_vfs");
	assert_int_equal(set(f, 7, T0, &count), -ENOTSUP);
	assert_int_equal(sim.n, 0);
}

/* xe bound, i915's max_vfs present: the check is on the PF's own driver's module. */
static void
test_module_of_the_bound_driver(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	relink(f, PF_DIR "/driver", "../../../bus/pci/drivers/xe");
	assert_int_equal(set(f, 7, T0, &count), -ENOTSUP);
	assert_int_equal(mkdirat(f->sys, "module/xe", 0755), 0);
	assert_int_equal(mkdirat(f->sys, "module/xe/parameters", 0755), 0);
	put(f, "module/xe/parameters/max_vfs", "7\n");
	sim.kernel = true;
	assert_int_equal(set(f, 7, T0, &count), 0);
	assert_int_equal(count, 7);
}

/* A PF driver without a stock/SR-IOV split (nvme, as in the real-kernel test) needs no max_vfs. */
static void
test_other_pf_driver_needs_no_max_vfs(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	relink(f, PF_DIR "/driver", "../../../bus/pci/drivers/nvme");
	memcpy(f->pol.pf_drivers[0], "nvme", 5);
	f->pol.npf_drivers = 1;
	sim.kernel = true;
	assert_int_equal(set(f, 7, T0, &count), 0);
	assert_int_equal(count, 7);
}

static void
test_totalvfs_too_low(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	put(f, PF_DIR "/sriov_totalvfs", "4\n");
	assert_int_equal(set(f, 7, T0, &count), -ERANGE);
	put(f, PF_DIR "/sriov_totalvfs", "0\n"); /* i915 with max_vfs=0 */
	assert_int_equal(set(f, 7, T0, &count), -ERANGE);
	put(f, PF_DIR "/sriov_totalvfs", "garbage\n");
	assert_int_equal(set(f, 7, T0, &count), -EINVAL);
	rm(f, PF_DIR "/sriov_totalvfs");
	assert_int_equal(set(f, 7, T0, &count), -ENOTSUP);
	assert_int_equal(sim.n, 0);
}

static void
test_value_not_allowed(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	assert_int_equal(set(f, 3, T0, &count), -EPERM);
	assert_int_equal(count, 0);
	assert_int_equal(set(f, 0, T0, &count), -EPERM);
	assert_int_equal(set(f, 8, T0, &count), -EPERM);
	assert_int_equal(set(f, UINT32_MAX, T0, &count), -EPERM);
	assert_int_equal(helper_set_numvfs(&f->pol, &f->lim, f->sys, 1, 7, T0, &count), -EPERM);
	assert_int_equal(sim.n, 0);
	/* Refusals do not use up the rate limit. */
	sim.kernel = true;
	assert_int_equal(set(f, 7, T0, &count), 0);
}

static void
test_rate_limit(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	assert_int_equal(set(f, 7, T0, &count), -EIO);
	assert_int_equal(sim.n, 1);
	assert_int_equal(set(f, 7, T0 + 1 * SEC, &count), -EAGAIN);
	assert_int_equal(count, 0);
	assert_int_equal(set(f, 7, T0 + 10 * SEC - 1, &count), -EAGAIN);
	assert_int_equal(sim.n, 1);
	assert_int_equal(set(f, 7, T0 + 10 * SEC, &count), -EIO);
	assert_int_equal(sim.n, 2);
}

static void
test_kernel_errno_passed_through(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	sim.fail_rel = NUMVFS;
	sim.fail_errno = ENOMEM; /* i915 provisioning failure */
	assert_int_equal(set(f, 7, T0, &count), -ENOMEM);
	assert_int_equal(count, 0);
	assert_writes(1, NUMVFS, "7\n");
	assert_string_equal(content(f, NUMVFS), "0\n");
}

static void
test_kernel_enables_fewer(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	sim.kernel = true;
	sim.vf_limit = 5; /* "7 VFs requested; only 5 enabled" */
	assert_int_equal(set(f, 7, T0, &count), -EIO);
	assert_int_equal(count, 5);
}

/* Without VFs after the write, the helper re-counts for verify_ns before giving up. */
static void
test_verify_grace(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	f->pol.verify_ns = 150 * 1000000LL;
	int64_t t = monotonic_ns();
	assert_int_equal(set(f, 7, T0, &count), -EIO);
	assert_true(monotonic_ns() - t >= f->pol.verify_ns);
	assert_int_equal(count, 0);
	assert_int_equal(bind_vf(f, 0, T0), -EIO);
	/* On success the first count decides: no wait. */
	sim.kernel = true;
	t = monotonic_ns();
	assert_int_equal(set(f, 7, T0 + 10 * SEC, &count), 0);
	assert_int_equal(bind_vf(f, 0, T0 + 10 * SEC), 0);
	assert_true(monotonic_ns() - t < f->pol.verify_ns);
}

static void
test_pf_missing(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	memcpy(f->pol.pfs[0].bdf, "0000:00:03.0", PARSE_BDF_SIZE);
	assert_int_equal(set(f, 7, T0, &count), -ENOENT);
	assert_int_equal(sim.n, 0);
}

/* A FIFO where the attribute should be (only possible in a fake tree) must not hang. */
static void
test_numvfs_not_a_file(void **state)
{
	struct fx *f = *state;
	uint32_t count;

	host_pf(f);
	rm(f, NUMVFS);
	assert_int_equal(mkfifoat(f->sys, NUMVFS, 0644), 0);
	int r = set(f, 7, T0, &count);
	assert_true(r == -ENXIO || r == -EINVAL);
	assert_int_equal(sim.n, 0);
	rm(f, NUMVFS);
	assert_int_equal(symlinkat("sriov_totalvfs", f->sys, NUMVFS), 0);
	assert_int_equal(set(f, 7, T0 + 20 * SEC, &count), -ELOOP);
	assert_string_equal(content(f, PF_DIR "/sriov_totalvfs"), "7\n");
}

/* ---- BIND_VFIO ----------------------------------------------------------------------------- */

#define OVERRIDE VF_DIR "/driver_override"
#define UNBIND "bus/pci/drivers/i915/unbind"
#define PROBE "bus/pci/drivers_probe"

static int
bind_vf(struct fx *f, uint32_t target, int64_t now)
{
	return helper_bind_vfio(&f->pol, &f->lim, f->sys, target, now);
}

static void
test_bind_writes(void **state)
{
	struct fx *f = *state;

	/* No kernel: the writes land, the driver link stays i915, so verification fails. */
	assert_int_equal(bind_vf(f, 0, T0), -EIO);
	assert_writes(3, OVERRIDE, "vfio-pci", UNBIND, VF, PROBE, VF);
	assert_string_equal(content(f, OVERRIDE), "vfio-pci");
	assert_string_equal(content(f, UNBIND), VF);
	assert_string_equal(content(f, PROBE), VF);
}

static void
test_bind_kernel(void **state)
{
	struct fx *f = *state;

	sim.kernel = true;
	assert_int_equal(bind_vf(f, 0, T0), 0);
	assert_true(is_link_to(f, VF_DIR "/driver", "../../../bus/pci/drivers/vfio-pci"));
	assert_writes(3, OVERRIDE, "vfio-pci", UNBIND, VF, PROBE, VF);
}

static void
test_bind_unbound_vf(void **state)
{
	struct fx *f = *state;

	rm(f, VF_DIR "/driver");
	sim.kernel = true;
	assert_int_equal(bind_vf(f, 0, T0), 0);
	assert_writes(2, OVERRIDE, "vfio-pci", PROBE, VF);
}

static void
test_bind_already_vfio(void **state)
{
	struct fx *f = *state;

	relink(f, VF_DIR "/driver", "../../../bus/pci/drivers/vfio-pci");
	assert_int_equal(bind_vf(f, 0, T0), 0);
	assert_int_equal(bind_vf(f, 0, T0 + 1), 0);
	assert_int_equal(sim.n, 0);
}

static void
test_bind_not_allowlisted(void **state)
{
	struct fx *f = *state;

	assert_int_equal(bind_vf(f, 1, T0), -EPERM);
	assert_int_equal(bind_vf(f, UINT32_MAX, T0), -EPERM);
	assert_int_equal(sim.n, 0);
	assert_string_equal(content(f, OVERRIDE), "(null)\n");
}

static void
test_bind_not_a_vf(void **state)
{
	struct fx *f = *state;

	host_pf(f);
	memcpy(f->pol.vfs[0], PF, sizeof(PF));
	assert_int_equal(bind_vf(f, 0, T0), -ENODEV);
	memcpy(f->pol.vfs[0], "0000:00:02.5", PARSE_BDF_SIZE);
	assert_int_equal(bind_vf(f, 0, T0), -ENOENT);
	assert_int_equal(sim.n, 0);
}

static void
test_bind_vfio_not_loaded(void **state)
{
	struct fx *f = *state;

	rm(f, "bus/pci/drivers/vfio-pci/bind");
	assert_int_equal(unlinkat(f->sys, "bus/pci/drivers/vfio-pci", AT_REMOVEDIR), 0);
	assert_int_equal(bind_vf(f, 0, T0), -ENOTSUP);
	assert_int_equal(sim.n, 0);
}

static void
test_bind_rate_limit_and_errno(void **state)
{
	struct fx *f = *state;

	sim.fail_rel = UNBIND;
	sim.fail_errno = ENODEV;
	assert_int_equal(bind_vf(f, 0, T0), -ENODEV);
	assert_writes(2, OVERRIDE, "vfio-pci", UNBIND, VF);
	assert_int_equal(bind_vf(f, 0, T0 + 5 * SEC), -EAGAIN);
	assert_int_equal(sim.n, 2);
	sim.fail_rel = NULL;
	sim.kernel = true;
	assert_int_equal(bind_vf(f, 0, T0 + 10 * SEC), 0);
}

/* ---- flags ------------------------------------------------------------------------------- */

static char prog[] = "gpu_sriov_helper";

/* Ends parse()'s argument list: through "...", a bare NULL may arrive as an int 0. */
#define ARGS_END ((const char *)NULL)

/* The config borrows strings from argv: the copies live as long as the test's config. */
static int
parse(struct helper_config *c, char *err, size_t errlen, ...)
{
	static char copies[31][128];
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = prog;
	va_start(ap, errlen);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 31; argc++) {
		(void)snprintf(copies[argc], sizeof(copies[argc]), "%s", a);
		argv[argc] = copies[argc];
	}
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return helper_config_parse(argc, argv, c, err, errlen);
}

static void
test_config_defaults(void **state)
{
	struct helper_config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c, err, sizeof(err), "--allow-pf=00:02.0=7", ARGS_END), 0);
	assert_int_equal(c.action, HELPER_ACTION_RUN);
	assert_string_equal(c.sysfs, "/sys");
	assert_string_equal(c.rootfs, "/");
	assert_string_equal(c.listen, HELPER_DEFAULT_LISTEN);
	assert_null(c.socket_group);
	assert_false(c.systemd_socket);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	assert_int_equal(c.policy.npfs, 1);
	assert_string_equal(c.policy.pfs[0].bdf, PF);
	assert_int_equal(c.policy.pfs[0].count, 7);
	assert_int_equal(c.policy.nvfs, 0);
	assert_int_equal(c.policy.npf_drivers, 2);
	assert_string_equal(c.policy.pf_drivers[0], "i915");
	assert_string_equal(c.policy.pf_drivers[1], "xe");
	assert_false(c.policy.force_partial);
	assert_true(c.policy.min_interval_ns == HELPER_MIN_INTERVAL_NS);
	assert_true(c.policy.verify_ns == HELPER_VERIFY_NS);
}

static void
test_config_all(void **state)
{
	struct helper_config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c, err, sizeof(err), "--path.sysfs", "/x/sys", "--path.rootfs=/x",
			       "--allow-pf=0000:00:02.0=7", "--allow-pf=0000:03:00.0=31",
			       "--allow-vfio=0000:00:02.1", "--allow-vfio", "00:02.2",
			       "--pf-drivers=xe", "--force-partial", "--listen=/tmp/h.sock",
			       "--socket-group=gpu-sriov", "--log.level=debug", ARGS_END),
			 0);
	assert_string_equal(c.sysfs, "/x/sys");
	assert_string_equal(c.rootfs, "/x");
	assert_int_equal(c.policy.npfs, 2);
	assert_int_equal(c.policy.pfs[1].count, 31);
	assert_int_equal(c.policy.nvfs, 2);
	assert_string_equal(c.policy.vfs[1], "0000:00:02.2");
	assert_int_equal(c.policy.npf_drivers, 1);
	assert_string_equal(c.policy.pf_drivers[0], "xe");
	assert_true(c.policy.force_partial);
	assert_string_equal(c.listen, "/tmp/h.sock");
	assert_string_equal(c.socket_group, "gpu-sriov");
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(parse(&c, err, sizeof(err), "--allow-vfio=00:02.1", "--systemd-socket",
			       "--no-force-partial", ARGS_END),
			 0);
	assert_true(c.systemd_socket);
	assert_false(c.policy.force_partial);
	assert_int_equal(parse(&c, err, sizeof(err), "-h", ARGS_END), 0);
	assert_int_equal(c.action, HELPER_ACTION_HELP);
	assert_int_equal(parse(&c, err, sizeof(err), "--version", ARGS_END), 0);
	assert_int_equal(c.action, HELPER_ACTION_VERSION);
}

static void
test_config_errors(void **state)
{
	static const struct {
		const char *args[4];
		const char *msg;
	} cases[] = {
		{{NULL}, "nothing is allowed"},
		{{"--allow-pf=0000:00:02.0", NULL}, "is not BDF=N"},
		{{"--allow-pf=0000:00:02.0=0", NULL}, "is not BDF=N"},
		{{"--allow-pf=0000:00:02.0=65536", NULL}, "is not BDF=N"},
		{{"--allow-pf=0000:00:02.0=-1", NULL}, "is not BDF=N"},
		{{"--allow-pf=../../x=7", NULL}, "is not BDF=N"},
		{{"--allow-pf=00:02.0=7", "--allow-pf=0000:00:02.0=3", NULL}, "more than once"},
		{{"--allow-vfio=00:02.1", "--allow-vfio=00:02.1", NULL}, "more than once"},
		{{"--allow-vfio=0000:00:02.1\n", NULL}, "not a PCI address"},
		{{"--allow-pf=00:02.0=7", "--allow-vfio=00:02.0", NULL}, "never bound to vfio-pci"},
		{{"--allow-pf=00:02.0=7", "--pf-drivers=i915,vfio-pci", NULL}, "vfio-pci means"},
		{{"--allow-pf=00:02.0=7", "--pf-drivers=i915,", NULL}, "comma-separated"},
		{{"--allow-pf=00:02.0=7", "--pf-drivers=../x", NULL}, "comma-separated"},
		{{"--allow-pf=00:02.0=7", "--pf-drivers=", NULL}, "comma-separated"},
		{{"--allow-pf=00:02.0=7", "--listen=rel.sock", NULL}, "absolute path"},
		{{"--allow-pf=00:02.0=7", "--listen=/x", "--systemd-socket", NULL}, "exclude"},
		{{"--allow-pf=00:02.0=7", "--systemd-socket", "--socket-group=g", NULL},
		 "SocketGroup"},
		{{"--allow-pf=00:02.0=7", "--listen=/a", "--listen=/b", NULL}, "more than once"},
		{{"--allow-pf=00:02.0=7", "--force-partial=yes", NULL}, "true or false"},
		{{"--allow-pf=00:02.0=7", "--log.level=trace", NULL}, "is not one of"},
		{{"--allow-pf=00:02.0=7", "--bogus", NULL}, "unknown flag --bogus"},
		{{"--allow-pf=00:02.0=7", "--no-listen", NULL}, "unknown flag"},
		{{"--allow-pf=00:02.0=7", "--path.sysfs=", NULL}, "must not be empty"},
		{{"--allow-pf=00:02.0=7", "--path.sysfs", NULL}, "needs a value"},
		{{"--allow-pf=00:02.0=7", "extra", NULL}, "unexpected argument"},
		{{"--allow-pf=00:02.0=7", "--version=1", NULL}, "takes no value"},
	};
	struct helper_config c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&c, 0xa5, sizeof(c));
		const char *const *a = cases[i].args;
		int r = parse(&c, err, sizeof(err), a[0], a[0] != NULL ? a[1] : NULL,
			      a[0] != NULL && a[1] != NULL ? a[2] : NULL, ARGS_END);
		if (r != -EINVAL || strstr(err, cases[i].msg) == NULL)
			fail_msg("case %zu: rc %d, message '%s', expected '%s'", i, r, err,
				 cases[i].msg);
		assert_null(strchr(err, '\n'));
		assert_int_equal(c.action, 0xa5a5a5a5);
	}
}

static void
test_config_limits(void **state)
{
	struct helper_config c;
	char err[256];
	char *argv[HELPER_MAX_VFS + 3];
	char args[HELPER_MAX_VFS + 1][32];

	(void)state;
	argv[0] = prog;
	for (int i = 0; i <= HELPER_MAX_VFS; i++) {
		(void)snprintf(args[i], sizeof(args[i]), "--allow-vfio=0000:%02x:00.1", i);
		argv[i + 1] = args[i];
	}
	assert_int_equal(helper_config_parse(HELPER_MAX_VFS + 1, argv, &c, err, sizeof(err)), 0);
	assert_int_equal(c.policy.nvfs, HELPER_MAX_VFS);
	argv[HELPER_MAX_VFS + 2] = NULL;
	assert_int_equal(helper_config_parse(HELPER_MAX_VFS + 2, argv, &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "at most"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_sizes),
		cmocka_unit_test(test_decode_ops),
		T(test_hello),
		T(test_describe),
		T(test_handle_out_of_range),
		T(test_handle_set_numvfs),
		T(test_vf_loss_writes_once),
		T(test_vf_loss_repaired),
		T(test_already_at_value),
		T(test_partial_busy),
		T(test_force_partial_sequence),
		T(test_force_partial_stuck),
		T(test_force_partial_zero_refused),
		T(test_pf_on_vfio),
		T(test_pf_unbound),
		T(test_pf_driver_not_listed),
		T(test_module_without_max_vfs),
		T(test_module_of_the_bound_driver),
		T(test_other_pf_driver_needs_no_max_vfs),
		T(test_totalvfs_too_low),
		T(test_value_not_allowed),
		T(test_rate_limit),
		T(test_kernel_errno_passed_through),
		T(test_kernel_enables_fewer),
		T(test_verify_grace),
		T(test_pf_missing),
		T(test_numvfs_not_a_file),
		T(test_bind_writes),
		T(test_bind_kernel),
		T(test_bind_unbound_vf),
		T(test_bind_already_vfio),
		T(test_bind_not_allowlisted),
		T(test_bind_not_a_vf),
		T(test_bind_vfio_not_loaded),
		T(test_bind_rate_limit_and_errno),
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_all),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
