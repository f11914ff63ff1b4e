/* gpu_sriov_helper entry point. Side: privileged helper. The only part of the project that
 * writes sysfs: it parses its own allowlist from the command line, opens the sysfs root once,
 * then answers fixed-size requests from the exporter on a unix SOCK_SEQPACKET socket, one
 * request at a time, until SIGTERM. What may be written, and when, is decided in
 * helper_apply.c; this file only moves datagrams. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "helper_apply.h"
#include "helper_config.h"
#include "helper_proto.h"
#include "cli.h"
#include "log.h"
#include "version.h"

#define HELPER_PROGRAM "gpu_sriov_helper"
/* Requests are served one at a time whatever the number of connections; a few connections are
 * accepted so that one idle client (e.g. a stale exporter) cannot lock the real one out. */
#define MAX_CLIENTS 4

struct client {
	int fd;
	pid_t pid; /* SO_PEERCRED at connect time, for the log */
	uid_t uid;
};

static void
print_version(void)
{
	printf("%s, version %s (branch: %s, revision: %s)\n  build date:       %s\n"
	       "  compiler:         %s\n  platform:         %s\n  protocol:         %d\n",
	       HELPER_PROGRAM, version_number, version_branch, version_revision,
	       version_build_date, version_compiler, version_platform, HELPER_PROTO_VERSION);
}

static int
lookup_group(const char *name, gid_t *ret)
{
	struct group gr, *found = NULL;
	char buf[4096];

	int r = getgrnam_r(name, &gr, buf, sizeof(buf), &found);
	if (r != 0)
		return -r;
	if (found == NULL)
		return -ENOENT;
	*ret = gr.gr_gid;
	return 0;
}

/* Creates the listening socket at path, mode 0660 from the start (umask around bind(), so it
 * is never briefly open to everyone), group gid unless gid is (gid_t)-1. */
static int
listen_unix(const char *path, gid_t gid, int *ret_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int r = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket left by a helper that did not exit cleanly would make bind() fail; anything
	 * that is not a socket is someone else's file and stays. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			r = -EEXIST;
			goto out;
		}
		if (unlink(path) < 0) {
			r = -errno;
			goto out;
		}
	}
	mode_t old = umask(0117);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	(void)umask(old);
	if (r < 0)
		goto out;
	if (chmod(path, 0660) < 0 || (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) ||
	    listen(fd, MAX_CLIENTS) < 0) {
		r = -errno;
		(void)unlink(path);
		goto out;
	}
out:
	if (r < 0) {
		(void)close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* Exactly one listening SOCK_SEQPACKET unix socket from systemd (ListenSequentialPacket=). */
static int
listen_systemd(int *ret_fd)
{
	int n = sd_listen_fds(1);
	if (n < 0)
		return n;
	if (n != 1)
		return n == 0 ? -ENOENT : -E2BIG;
	int fd = SD_LISTEN_FDS_START;
	if (sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) <= 0)
		return -EINVAL;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

static void
client_drop(struct client *clients, size_t *n, size_t i, const char *why)
{
	log_info("client pid=%d uid=%u disconnected: %s", (int)clients[i].pid,
		 (unsigned)clients[i].uid, why);
	(void)close(clients[i].fd);
	clients[i] = clients[*n - 1];
	(*n)--;
}

static void
client_accept(int lfd, struct client *clients, size_t *n)
{
	struct ucred cred = {0, (uid_t)-1, (gid_t)-1};
	socklen_t len = sizeof(cred);

	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept failed");
		return;
	}
	(void)getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	if (*n >= MAX_CLIENTS) {
		log_warnx("client pid=%d uid=%u refused: already %d clients", (int)cred.pid,
			  (unsigned)cred.uid, MAX_CLIENTS);
		(void)close(fd);
		return;
	}
	clients[*n] = (struct client){fd, cred.pid, cred.uid};
	(*n)++;
	log_info("client pid=%d uid=%u gid=%u connected", (int)cred.pid, (unsigned)cred.uid,
		 (unsigned)cred.gid);
}

/* Reads and answers one datagram. Returns NULL to keep the client, or why it was dropped.
 *
 * Deviation from house-style.md 3.8 ("any other size or unknown op -> log and exit"): here a
 * datagram of the wrong size or with an unknown op ends that connection, not the helper. The
 * helper is shared by whoever may connect to the socket; if a hostile or broken client could
 * make it exit, it could also keep it from repairing anything. Nothing from the bad datagram
 * is acted on, and the logged line says who sent it. */
static const char *
client_serve(struct client *c, const struct helper_policy *p, struct helper_limits *lim,
	     int sys_fd)
{
	/* One byte more than a request, and MSG_TRUNC for the real length: a longer datagram
	 * must not pass as a request cut to size. */
	unsigned char buf[sizeof(struct helper_req) + 1];
	struct helper_req req;
	struct helper_resp resp;

	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? NULL : "receive error";
	if (n == 0)
		return "closed by the client";
	int r = helper_decode(buf, (size_t)n, &req);
	if (r == -EMSGSIZE) {
		log_warnx("client pid=%d uid=%u sent a datagram of %zd bytes, not %zu: protocol "
			  "violation",
			  (int)c->pid, (unsigned)c->uid, n, sizeof(struct helper_req));
		return "malformed request";
	}
	if (r < 0) {
		uint32_t op;
		memcpy(&op, buf, sizeof(op)); /* the decoder leaves req untouched */
		log_warnx("client pid=%d uid=%u sent unknown op %u: protocol violation",
			  (int)c->pid, (unsigned)c->uid, op);
		return "malformed request";
	}
	log_debug("client pid=%d request op=%u target=%u value=%u", (int)c->pid, req.op,
		  req.target, req.value);
	helper_handle(p, lim, sys_fd, &req, monotonic_ns(), &resp);
	/* Never blocks: a client that does not read its answers is dropped, not waited for. */
	n = send(c->fd, &resp, sizeof(resp), MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != (ssize_t)sizeof(resp))
		return "cannot send the answer";
	return NULL;
}

static void
serve(int lfd, int sigfd, const struct helper_policy *p, int sys_fd)
{
	struct helper_limits lim;
	struct client clients[MAX_CLIENTS];
	struct pollfd pfd[2 + MAX_CLIENTS];
	size_t n = 0;

	memset(&lim, 0, sizeof(lim));
	for (;;) {
		pfd[0] = (struct pollfd){sigfd, POLLIN, 0};
		pfd[1] = (struct pollfd){lfd, POLLIN, 0};
		for (size_t i = 0; i < n; i++)
			pfd[2 + i] = (struct pollfd){clients[i].fd, POLLIN, 0};
		if (poll(pfd, 2 + n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll failed");
			break;
		}
		if (pfd[0].revents != 0) {
			struct signalfd_siginfo si;
			ssize_t r = read(sigfd, &si, sizeof(si));
			log_info("received %s, shutting down",
				 r == (ssize_t)sizeof(si) && si.ssi_signo == SIGINT ? "SIGINT"
										  : "SIGTERM");
			(void)sd_notify(0, "STOPPING=1");
			break;
		}
		/* Downwards, so dropping client i (the last one moves into its slot) never skips
		 * an entry whose poll result is still pending. */
		for (size_t i = n; i-- > 0;) {
			const char *why = NULL;
			if ((pfd[2 + i].revents & POLLIN) != 0)
				why = client_serve(&clients[i], p, &lim, sys_fd);
			else if ((pfd[2 + i].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0)
				why = "connection closed";
			if (why != NULL)
				client_drop(clients, &n, i, why);
		}
		if ((pfd[1].revents & POLLIN) != 0)
			client_accept(lfd, clients, &n);
	}
	while (n > 0)
		client_drop(clients, &n, n - 1, "helper shutting down");
}

static void
log_start(const struct helper_config *cfg)
{
	const struct helper_policy *p = &cfg->policy;
	char drivers[HELPER_MAX_PF_DRIVERS * HELPER_DRIVER_SIZE] = "";
	size_t len = 0;

	log_info("starting %s version %s (revision %s), protocol %d", HELPER_PROGRAM,
		 version_number, version_revision, HELPER_PROTO_VERSION);
	for (uint32_t i = 0; i < p->npf_drivers; i++) {
		int w = snprintf(drivers + len, sizeof(drivers) - len, "%s%s", i > 0 ? "," : "",
				 p->pf_drivers[i]);
		if (w > 0 && (size_t)w < sizeof(drivers) - len)
			len += (size_t)w;
	}
	for (uint32_t i = 0; i < p->npfs; i++)
		log_info("allow PF %s: sriov_numvfs=%u (pf-drivers %s, force-partial %s)",
			 p->pfs[i].bdf, p->pfs[i].count, drivers, p->force_partial ? "on" : "off");
	for (uint32_t i = 0; i < p->nvfs; i++)
		log_info("allow VF %s: bind to vfio-pci", p->vfs[i]);
}

int
main(int argc, char **argv)
{
	struct helper_config cfg;
	char err[512];
	int sys_fd = -1, root_fd = -1, lfd = -1, sigfd = -1;
	gid_t gid = (gid_t)-1;
	sigset_t signals;
	int rc;

	if (helper_config_parse(argc, argv, &cfg, err, sizeof(err)) < 0)
		return cli_usage_error(HELPER_PROGRAM, err);
	if (cfg.action == HELPER_ACTION_HELP) {
		helper_config_usage(stdout);
		return 0;
	}
	if (cfg.action == HELPER_ACTION_VERSION) {
		print_version();
		return 0;
	}
	log_setup(cfg.log_level, LOG_FORMAT_LOGFMT);
	/* The rootfs handle is opened and checked like the exporter's, for the flag to mean the
	 * same in both binaries; nothing below it is written. */
	rc = cli_open_root(HELPER_PROGRAM, "path.sysfs", cfg.sysfs, &sys_fd);
	if (rc == 0)
		rc = cli_open_root(HELPER_PROGRAM, "path.rootfs", cfg.rootfs, &root_fd);
	if (rc != 0)
		goto out;
	if (cfg.socket_group != NULL && lookup_group(cfg.socket_group, &gid) < 0) {
		(void)snprintf(err, sizeof(err), "flag --socket-group: no group '%s'",
			       cfg.socket_group);
		rc = cli_usage_error(HELPER_PROGRAM, err);
		goto out;
	}
	log_start(&cfg);

	/* Signals arrive through a descriptor in the poll set, so a write in progress is never
	 * interrupted half-way and shutdown happens between two requests. */
	(void)sigemptyset(&signals);
	(void)sigaddset(&signals, SIGTERM);
	(void)sigaddset(&signals, SIGINT);
	(void)sigprocmask(SIG_BLOCK, &signals, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &signals, SFD_CLOEXEC);
	if (sigfd < 0) {
		log_warn("signalfd failed");
		rc = 1;
		goto out;
	}
	int r = cfg.systemd_socket ? listen_systemd(&lfd) : listen_unix(cfg.listen, gid, &lfd);
	if (r < 0) {
		if (cfg.systemd_socket)
			log_msg(LOG_LEVEL_ERROR, NULL, -r,
				"--systemd-socket: systemd passed no single SOCK_SEQPACKET unix "
				"listening socket");
		else
			log_msg(LOG_LEVEL_ERROR, NULL, -r, "cannot listen on %s", cfg.listen);
		rc = 1;
		goto out;
	}
	log_info("listening on %s%s", cfg.systemd_socket ? "the systemd socket" : cfg.listen,
		 geteuid() == 0 ? " (as root)" : "");
	(void)sd_notify(0, "READY=1\nSTATUS=serving requests");
	serve(lfd, sigfd, &cfg.policy, sys_fd);
	if (!cfg.systemd_socket)
		(void)unlink(cfg.listen);
	rc = 0;
out:
	if (lfd >= 0)
		(void)close(lfd);
	if (sigfd >= 0)
		(void)close(sigfd);
	if (sys_fd >= 0)
		(void)close(sys_fd);
	if (root_fd >= 0)
		(void)close(root_fd);
	return rc;
}
