/* Listening sockets. We create them ourselves rather than letting libmicrohttpd bind, so that
 * ":PORT" means IPv6 and IPv4 on one socket, host names resolve, and port 0 can be reported. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "flags.h"
#include "listen.h"

static int
bind_listen(int family, const struct sockaddr *sa, socklen_t salen)
{
	int one = 1, zero = 0;

	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr))
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, sa, salen) < 0 || listen(fd, SOMAXCONN) < 0) {
		int r = -errno;
		(void)close(fd);
		return r;
	}
	return fd;
}

void
listen_describe(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss = {0}; /* the analyzer does not know getsockname() fills it */
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		(void)snprintf(buf, size, "fd %d", fd);
		return;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
		(void)inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		(void)snprintf(buf, size, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
		(void)inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		(void)snprintf(buf, size, "%s:%u", host, ntohs(s4->sin_port));
	} else {
		(void)snprintf(buf, size, "fd %d", fd);
	}
}

int
listen_open(const char *addr, char *ret_bound, size_t boundlen)
{
	char host[256], port[8];
	struct addrinfo hints, *res = NULL;
	int fd;

	if (flags_split_address(addr, host, sizeof(host), port, sizeof(port)) < 0)
		return -EINVAL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (host[0] == '\0') {
		/* Every address: one dual-stack socket, or IPv4 only on hosts without IPv6. */
		hints.ai_family = AF_INET6;
		if (getaddrinfo(NULL, port, &hints, &res) == 0) {
			fd = bind_listen(AF_INET6, res->ai_addr, res->ai_addrlen);
			freeaddrinfo(res);
			res = NULL;
			if (fd >= 0 || (fd != -EAFNOSUPPORT && fd != -EADDRNOTAVAIL))
				goto out;
		}
		hints.ai_family = AF_INET;
		if (getaddrinfo(NULL, port, &hints, &res) != 0)
			return -ENOENT;
	} else {
		hints.ai_family = AF_UNSPEC;
		if (getaddrinfo(host, port, &hints, &res) != 0)
			return -ENOENT;
	}
	fd = bind_listen(res->ai_family, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
out:
	if (fd >= 0)
		listen_describe(fd, ret_bound, boundlen);
	return fd;
}

int
listen_systemd(int *fds, size_t max)
{
	int n = sd_listen_fds(1);
	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	if ((size_t)n > max)
		return -E2BIG;
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) <= 0)
			return -EINVAL;
		fds[i] = fd;
	}
	return n;
}
