/* Client of the privileged helper. Side: unprivileged. Every exchange is one fixed-size request
 * datagram and one fixed-size response; anything else means the peer is not our helper. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "helper_client.h"
#include "helper_proto.h"
#include "parse.h"
#include "xalloc.h"

/* The helper answers at once; a slow write in the kernel is bounded by its own checks. */
#define REPLY_TIMEOUT_MS 10000
#define MAX_TARGETS 64

struct target {
	char bdf[PARSE_BDF_SIZE];
	unsigned count;
};

struct helper_client {
	int fd;
	struct target pfs[MAX_TARGETS];
	uint32_t npfs;
	struct target vfs[MAX_TARGETS];
	uint32_t nvfs;
};

/* One request and its reply into *ret. Callers zero *ret first: the static analyzer cannot see
 * that a failed call's -errno is never 0, i.e. that 0 always comes with *ret set. */
static int
exchange(int fd, uint32_t op, uint32_t target, uint32_t value, struct helper_resp *ret)
{
	struct helper_req req = {op, target, value};
	struct helper_resp resp;
	struct pollfd p = {fd, POLLIN, 0};

	ssize_t n = send(fd, &req, sizeof(req), MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(req))
		return -EIO;
	int r = poll(&p, 1, REPLY_TIMEOUT_MS);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	n = recv(fd, &resp, sizeof(resp), MSG_TRUNC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	if ((size_t)n != sizeof(resp) || memchr(resp.bdf, '\0', sizeof(resp.bdf)) == NULL)
		return -EPROTO;
	*ret = resp;
	return 0;
}

static int
describe(int fd, uint32_t op, uint32_t i, struct target *ret)
{
	struct helper_resp resp = {0};

	int r = exchange(fd, op, i, 0, &resp);
	if (r < 0)
		return r;
	if (resp.rc < 0)
		return resp.rc;
	if (parse_bdf(resp.bdf, ret->bdf) < 0)
		return -EPROTO;
	ret->count = resp.value;
	return 0;
}

int
helper_client_connect(int root_fd, const char *path, struct helper_client **ret)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct helper_resp hello = {0};
	struct helper_client *h = NULL;
	int r;

	if (path[0] != '/')
		return -EINVAL;
	/* Resolved below the rootfs fd, like every other path the exporter touches. */
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d%s", /* checksrc: path ok */
			 root_fd, path);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	r = exchange(fd, HELPER_OP_HELLO, 0, HELPER_PROTO_VERSION, &hello);
	if (r < 0)
		goto out;
	if (hello.rc < 0 || hello.value > MAX_TARGETS || hello.count2 > MAX_TARGETS) {
		r = hello.rc < 0 ? hello.rc : -EPROTO;
		goto out;
	}
	h = xcalloc(1, sizeof(*h));
	h->npfs = hello.value;
	h->nvfs = hello.count2;
	for (uint32_t i = 0; i < h->npfs && r == 0; i++)
		r = describe(fd, HELPER_OP_DESCRIBE_PF, i, &h->pfs[i]);
	for (uint32_t i = 0; i < h->nvfs && r == 0; i++)
		r = describe(fd, HELPER_OP_DESCRIBE_VF, i, &h->vfs[i]);
	if (r < 0)
		goto out;
	h->fd = fd;
	fd = -1;
	*ret = h;
	h = NULL;
out:
	free(h);
	if (fd >= 0)
		(void)close(fd);
	return r;
}

void
helper_client_close(struct helper_client *h)
{
	if (h == NULL)
		return;
	(void)close(h->fd);
	free(h);
}

int
helper_client_pf(const struct helper_client *h, const char *bdf, unsigned *ret_count,
		 uint32_t *ret_index)
{
	for (uint32_t i = 0; i < h->npfs; i++) {
		if (strcmp(h->pfs[i].bdf, bdf) == 0) {
			*ret_count = h->pfs[i].count;
			*ret_index = i;
			return 0;
		}
	}
	return -ENOENT;
}

int
helper_client_vf(const struct helper_client *h, const char *bdf, uint32_t *ret_index)
{
	for (uint32_t i = 0; i < h->nvfs; i++) {
		if (strcmp(h->vfs[i].bdf, bdf) == 0) {
			*ret_index = i;
			return 0;
		}
	}
	return -ENOENT;
}

int
helper_client_set_numvfs(struct helper_client *h, uint32_t index, uint32_t value,
			 uint32_t *ret_count)
{
	struct helper_resp resp = {0};

	int r = exchange(h->fd, HELPER_OP_SET_NUMVFS, index, value, &resp);
	if (r < 0)
		return r;
	*ret_count = resp.value;
	return resp.rc;
}

int
helper_client_bind_vfio(struct helper_client *h, uint32_t index)
{
	struct helper_resp resp = {0};

	int r = exchange(h->fd, HELPER_OP_BIND_VFIO, index, 0, &resp);
	return r < 0 ? r : resp.rc;
}
