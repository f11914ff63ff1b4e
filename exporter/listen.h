/* Listening sockets for the HTTP server: our own sockets (so ":PORT" is dual-stack and port 0 can
 * be reported), or the ones systemd passed. */
#ifndef EXPORTER_LISTEN_H
#define EXPORTER_LISTEN_H

#include <stddef.h>

/* Binds and listens on addr ("[HOST]:PORT", ":PORT" = every address, IPv6 and IPv4). Returns a
 * SOCK_CLOEXEC fd the caller owns, or -errno (-EINVAL for a bad address, -ENOENT for a host name
 * that does not resolve). The bound address, with the real port, goes into ret_bound. */
int listen_open(const char *addr, char *ret_bound, size_t boundlen);

/* Collects the listening TCP sockets systemd passed (LISTEN_FDS). Returns how many were stored in
 * fds (at most max), -ENOENT when none were passed, -EINVAL when one is not a listening TCP socket. */
int listen_systemd(int *fds, size_t max);

/* Text form of the socket's local address, "[::]:9863" or "127.0.0.1:9863". */
void listen_describe(int fd, char *buf, size_t size);

#endif
