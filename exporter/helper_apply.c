/* Side: privileged helper. The decoder and the apply step: every request is re-checked here
 * against the helper's own allowlist and the live sysfs state, whatever the exporter already
 * checked, because the exporter is the less trusted side of the socket.
 *
 * Only plain attributes and links are read: sriov_numvfs and driver_override are never read,
 * since reading them takes the device lock and blocks while a probe or VF configure hangs. The
 * VF count comes from the virtfn* links (kernel-interfaces.md 1.2). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "helper_apply.h"
#include "log.h"
#include "sysfs.h"

#define DEVICES "bus/pci/devices"
#define VFIO_DRIVER "vfio-pci"

int
helper_decode(const void *buf, size_t len, struct helper_req *ret)
{
	struct helper_req req;

	if (len != sizeof(req))
		return -EMSGSIZE;
	memcpy(&req, buf, sizeof(req));
	switch (req.op) {
	case HELPER_OP_HELLO:
	case HELPER_OP_DESCRIBE_PF:
	case HELPER_OP_DESCRIBE_VF:
	case HELPER_OP_SET_NUMVFS:
	case HELPER_OP_BIND_VFIO:
		*ret = req;
		return 0;
	default:
		return -EBADMSG;
	}
}

/* "virtfn" followed by a decimal number: the kernel's name for the PF's link to VF N+1. */
static bool
is_virtfn(const char *name)
{
	if (strncmp(name, "virtfn", 6) != 0 || name[6] == '\0')
		return false;
	for (const char *c = name + 6; *c != '\0'; c++) {
		if (*c < '0' || *c > '9')
			return false;
	}
	return true;
}

/* VFs present now, from the links in the PF directory dev. A plain readdir takes no device
 * lock. (collectors/pci.c has the same count, but linking it would pull the whole collector
 * framework into this privileged binary.) */
static int
count_vfs(int dev, uint32_t *ret)
{
	DIR *d = NULL;
	struct dirent *de;
	uint32_t n = 0;

	int r = sysfs_opendir(dev, ".", &d);
	if (r < 0)
		return r;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		if (is_virtfn(de->d_name))
			n++;
	}
	r = errno != 0 ? -errno : 0;
	(void)closedir(d);
	if (r == 0)
		*ret = n;
	return r;
}

/* Counts the VFs until there are want of them or verify_ns has passed (HELPER_VERIFY_NS). */
static int
count_vfs_until(int dev, uint32_t want, int64_t verify_ns, uint32_t *ret)
{
	int64_t deadline = monotonic_ns() + verify_ns;
	uint32_t n = 0;

	for (;;) {
		int r = count_vfs(dev, &n);
		if (r < 0)
			return r;
		if (n == want || monotonic_ns() >= deadline)
			break;
		struct timespec ts = {0, 20000000};
		(void)nanosleep(&ts, NULL);
	}
	*ret = n;
	return 0;
}

/* One write() of text into the attribute rel below dirfd; -errno as the kernel gave it, -EIO
 * for a short write. Never retried: a second write would be a second request to the driver.
 * O_NONBLOCK and the regular-file check keep a FIFO planted in a fake tree from hanging the
 * helper (sysfs ignores O_NONBLOCK on writes); the attribute itself is never a symlink. */
static int
write_attr(int dirfd, const char *rel, const char *text)
{
	size_t len = strlen(text);
	int r = 0;

	int fd = sysfs_open_file(dirfd, rel, O_WRONLY | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	ssize_t n = write(fd, text, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	(void)close(fd);
	return r;
}

static bool
pf_driver_allowed(const struct helper_policy *p, const char *driver)
{
	for (uint32_t i = 0; i < p->npf_drivers; i++) {
		if (strcmp(p->pf_drivers[i], driver) == 0)
			return true;
	}
	return false;
}

/* The PF's driver must be allowed, and for i915 and xe, which come as a stock build and an SR-IOV
 * build, its module must be the SR-IOV one: only that build has the max_vfs parameter
 * (kernel-interfaces.md 7). Other PF drivers (nvme in the real-kernel test) have SR-IOV built in.
 * Module names use '_' where driver names may use '-'. */
static int
check_pf_driver(const struct helper_policy *p, int sys_fd, int dev,
		char driver[static HELPER_DRIVER_SIZE], const char **ret_why)
{
	char module[HELPER_DRIVER_SIZE], rel[128];
	struct stat st;

	ssize_t n = sysfs_link_name(dev, "driver", driver, HELPER_DRIVER_SIZE);
	if (n == -ENOENT) {
		*ret_why = "PF has no driver";
		return -ENODEV;
	}
	if (n < 0) {
		*ret_why = "cannot read the PF's driver link";
		return (int)n;
	}
	if (!pf_driver_allowed(p, driver)) {
		*ret_why = "PF driver is not one of --pf-drivers";
		return -ENODEV;
	}
	if (strcmp(driver, "i915") != 0 && strcmp(driver, "xe") != 0)
		return 0;
	memcpy(module, driver, (size_t)n + 1);
	for (char *c = module; *c != '\0'; c++) {
		if (*c == '-')
			*c = '_';
	}
	(void)snprintf(rel, sizeof(rel), "module/%s/parameters/max_vfs", module);
	if (fstatat(sys_fd, rel, &st, 0) < 0) {
		int r = -errno;
		*ret_why = r == -ENOENT ? "driver module has no max_vfs: not the SR-IOV build"
					: "cannot check the module's max_vfs";
		return r == -ENOENT ? -ENOTSUP : r;
	}
	return 0;
}

static void
fmt_count(char *buf, size_t size, bool known, uint32_t v)
{
	if (known)
		(void)snprintf(buf, size, "%u", v);
	else
		(void)snprintf(buf, size, "-");
}

int
helper_set_numvfs(const struct helper_policy *p, struct helper_limits *lim, int sys_fd,
		  uint32_t target, uint32_t value, int64_t now_ns, uint32_t *ret_count)
{
	char rel[64], text[16], writes[32] = "none", pfname[PARSE_BDF_SIZE + 16];
	char old_s[16], new_s[16], driver[HELPER_DRIVER_SIZE] = "";
	const struct helper_pf *pf;
	const char *why = NULL;
	uint64_t total;
	uint32_t old = 0, count = 0;
	bool old_known = false, count_known = false;
	int dev = -1;
	int r, c;

	(void)snprintf(pfname, sizeof(pfname), "#%u", target);
	if (target >= p->npfs) {
		why = "PF index not in the allowlist";
		r = -EPERM;
		goto out;
	}
	pf = &p->pfs[target];
	(void)snprintf(pfname, sizeof(pfname), "%s", pf->bdf);
	if (value != pf->count) {
		why = "value is not the allowlisted count";
		r = -EPERM;
		goto out;
	}
	(void)snprintf(rel, sizeof(rel), DEVICES "/%s", pf->bdf);
	dev = sysfs_open_dir_fd(sys_fd, rel);
	if (dev < 0) {
		r = dev;
		why = "PF device not found";
		goto out;
	}
	r = check_pf_driver(p, sys_fd, dev, driver, &why);
	if (r < 0)
		goto out;
	r = sysfs_read_u64(dev, "sriov_totalvfs", 10, UINT16_MAX, &total);
	if (r < 0) {
		why = r == -ENOENT ? "PF has no sriov_totalvfs" : "cannot read sriov_totalvfs";
		r = r == -ENOENT ? -ENOTSUP : r;
		goto out;
	}
	if (total < value) {
		why = "sriov_totalvfs is below the value";
		r = -ERANGE;
		goto out;
	}
	r = count_vfs(dev, &old);
	if (r < 0) {
		why = "cannot count the virtfn links";
		goto out;
	}
	old_known = true;
	count = old;
	count_known = true;
	if (old == value) {
		why = "already at the value";
		r = 0;
		goto out;
	}
	if (old != 0 && !p->force_partial) {
		why = "partial VF count present and --force-partial is off";
		r = -EBUSY;
		goto out;
	}
	if (now_ns < lim->pf_next[target]) {
		why = "rate limit: another write attempt on this PF too recently";
		r = -EAGAIN;
		goto out;
	}
	lim->pf_next[target] = now_ns + p->min_interval_ns;
	if (old != 0) {
		/* The kernel refuses N over another non-zero count (EBUSY), and i915 must tear
		 * the old VFs down first anyway: 0, check that they are gone, then N. */
		log_info("SET_NUMVFS pf=%s writing 0 to sriov_numvfs (partial count %u, forced)",
			 pf->bdf, old);
		(void)snprintf(writes, sizeof(writes), "0");
		r = write_attr(dev, "sriov_numvfs", "0\n");
		c = r < 0 ? count_vfs(dev, &count) : count_vfs_until(dev, 0, p->verify_ns, &count);
		count_known = c == 0;
		if (r < 0) {
			why = "the kernel refused 0";
			goto out;
		}
		if (c < 0 || count != 0) {
			why = "VFs still present after writing 0; N not written over them";
			r = c < 0 ? c : -EIO;
			goto out;
		}
	}
	(void)snprintf(text, sizeof(text), "%u\n", value);
	log_info("SET_NUMVFS pf=%s writing %u to sriov_numvfs (old count %u)", pf->bdf, value,
		 count);
	if (old != 0)
		(void)snprintf(writes, sizeof(writes), "0,%u", value);
	else
		(void)snprintf(writes, sizeof(writes), "%u", value);
	r = write_attr(dev, "sriov_numvfs", text);
	/* Counted after a failed write too: the driver may have enabled some before failing. */
	c = r < 0 ? count_vfs(dev, &count) : count_vfs_until(dev, value, p->verify_ns, &count);
	count_known = c == 0;
	if (r < 0) {
		why = "the kernel refused the write";
		goto out;
	}
	if (c < 0) {
		why = "cannot count the virtfn links after writing";
		r = c;
		goto out;
	}
	if (count != value) {
		why = "fewer VFs than written appeared";
		r = -EIO;
		goto out;
	}
	why = "VFs enabled";
out:
	fmt_count(old_s, sizeof(old_s), old_known, old);
	fmt_count(new_s, sizeof(new_s), count_known, count);
	log_msg(LOG_LEVEL_INFO, NULL, r < 0 ? -r : 0,
		"SET_NUMVFS pf=%s driver=%s requested=%u old=%s new=%s writes=%s result=%s (%s)",
		pfname, driver[0] != '\0' ? driver : "-", value, old_s, new_s, writes,
		r == 0 ? "ok" : "error", why);
	if (dev >= 0)
		(void)close(dev);
	*ret_count = count_known ? count : 0;
	return r;
}

int
helper_bind_vfio(const struct helper_policy *p, struct helper_limits *lim, int sys_fd,
		 uint32_t target, int64_t now_ns)
{
	char rel[64], link[64], driver[HELPER_DRIVER_SIZE] = "", writes[64] = "none";
	char vfname[PARSE_BDF_SIZE + 16], now[HELPER_DRIVER_SIZE];
	const char *bdf;
	const char *why = NULL;
	struct stat st;
	int64_t deadline;
	ssize_t n;
	int dev = -1;
	int r;

	(void)snprintf(vfname, sizeof(vfname), "#%u", target);
	if (target >= p->nvfs) {
		why = "VF index not in the allowlist";
		r = -EPERM;
		goto out;
	}
	bdf = p->vfs[target];
	(void)snprintf(vfname, sizeof(vfname), "%s", bdf);
	(void)snprintf(rel, sizeof(rel), DEVICES "/%s", bdf);
	dev = sysfs_open_dir_fd(sys_fd, rel);
	if (dev < 0) {
		r = dev;
		why = "VF device not found";
		goto out;
	}
	/* Only VFs: a PF or any other device listed by mistake is never taken from its driver. */
	n = sysfs_link_name(dev, "physfn", link, sizeof(link));
	if (n < 0) {
		why = "not a VF (no physfn link)";
		r = -ENODEV;
		goto out;
	}
	n = sysfs_link_name(dev, "driver", driver, sizeof(driver));
	if (n < 0 && n != -ENOENT) {
		why = "cannot read the VF's driver link";
		r = (int)n;
		goto out;
	}
	if (strcmp(driver, VFIO_DRIVER) == 0) {
		why = "already on vfio-pci";
		r = 0;
		goto out;
	}
	if (fstatat(sys_fd, "bus/pci/drivers/" VFIO_DRIVER, &st, 0) < 0 || !S_ISDIR(st.st_mode)) {
		why = "vfio-pci is not loaded";
		r = -ENOTSUP;
		goto out;
	}
	if (now_ns < lim->vf_next[target]) {
		why = "rate limit: another bind attempt on this VF too recently";
		r = -EAGAIN;
		goto out;
	}
	lim->vf_next[target] = now_ns + p->min_interval_ns;
	/* driver_override first: from then on any probe of this VF, whoever triggers it, can
	 * only pick vfio-pci, so the old driver cannot grab it back between unbind and probe. */
	log_info("BIND_VFIO vf=%s writing driver_override, unbind from %s, drivers_probe", bdf,
		 driver[0] != '\0' ? driver : "(none)");
	(void)snprintf(writes, sizeof(writes), "driver_override");
	r = write_attr(dev, "driver_override", VFIO_DRIVER);
	if (r < 0) {
		why = "the kernel refused driver_override";
		goto out;
	}
	if (driver[0] != '\0') {
		(void)snprintf(writes, sizeof(writes), "driver_override,unbind");
		r = write_attr(dev, "driver/unbind", bdf);
		if (r < 0) {
			why = "the kernel refused unbind";
			goto out;
		}
	}
	(void)snprintf(writes, sizeof(writes), "driver_override%s,drivers_probe",
		       driver[0] != '\0' ? ",unbind" : "");
	r = write_attr(sys_fd, "bus/pci/drivers_probe", bdf);
	if (r < 0) {
		why = "the kernel refused drivers_probe";
		goto out;
	}
	deadline = monotonic_ns() + p->verify_ns;
	for (;;) {
		n = sysfs_link_name(dev, "driver", now, sizeof(now));
		if ((n >= 0 && strcmp(now, VFIO_DRIVER) == 0) || monotonic_ns() >= deadline)
			break;
		struct timespec ts = {0, 20000000};
		(void)nanosleep(&ts, NULL);
	}
	if (n < 0 || strcmp(now, VFIO_DRIVER) != 0) {
		why = "the VF is not on vfio-pci after drivers_probe";
		r = -EIO;
		goto out;
	}
	why = "bound to vfio-pci";
out:
	log_msg(LOG_LEVEL_INFO, NULL, r < 0 ? -r : 0,
		"BIND_VFIO vf=%s old_driver=%s writes=%s result=%s (%s)", vfname,
		driver[0] != '\0' ? driver : "(none)", writes, r == 0 ? "ok" : "error", why);
	if (dev >= 0)
		(void)close(dev);
	return r;
}

/* For HELLO and DESCRIBE: the fields helper_proto.h says must be 0. */
static int
check_zero(uint32_t v)
{
	return v == 0 ? 0 : -EINVAL;
}

void
helper_handle(const struct helper_policy *p, struct helper_limits *lim, int sys_fd,
	      const struct helper_req *req, int64_t now_ns, struct helper_resp *ret)
{
	struct helper_resp resp;

	memset(&resp, 0, sizeof(resp));
	switch (req->op) {
	case HELPER_OP_HELLO:
		/* The client states the protocol version it speaks; anything else is refused. */
		resp.rc = check_zero(req->target);
		if (resp.rc == 0 && req->value != HELPER_PROTO_VERSION)
			resp.rc = -EPROTONOSUPPORT;
		if (resp.rc == 0) {
			resp.value = p->npfs;
			resp.count2 = p->nvfs;
		}
		break;
	case HELPER_OP_DESCRIBE_PF:
		resp.rc = check_zero(req->value);
		if (resp.rc == 0 && req->target >= p->npfs)
			resp.rc = -ENOENT;
		if (resp.rc == 0) {
			resp.value = p->pfs[req->target].count;
			memcpy(resp.bdf, p->pfs[req->target].bdf, PARSE_BDF_SIZE);
		}
		break;
	case HELPER_OP_DESCRIBE_VF:
		resp.rc = check_zero(req->value);
		if (resp.rc == 0 && req->target >= p->nvfs)
			resp.rc = -ENOENT;
		if (resp.rc == 0)
			memcpy(resp.bdf, p->vfs[req->target], PARSE_BDF_SIZE);
		break;
	case HELPER_OP_SET_NUMVFS:
		resp.rc = helper_set_numvfs(p, lim, sys_fd, req->target, req->value, now_ns,
					    &resp.value);
		break;
	case HELPER_OP_BIND_VFIO:
		resp.rc = check_zero(req->value);
		if (resp.rc == 0)
			resp.rc = helper_bind_vfio(p, lim, sys_fd, req->target, now_ns);
		else
			log_info("BIND_VFIO vf=#%u refused: value must be 0", req->target);
		break;
	default:
		/* helper_decode() lets no other op through. */
		resp.rc = -EBADMSG;
		break;
	}
	*ret = resp;
}
