/* The HTTP front end (libmicrohttpd): landing page, metrics, health, and the status codes and
 * headers Prometheus expects. It serves only memory it owns: every body is rendered per request. */
#ifndef EXPORTER_HTTP_H
#define EXPORTER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scrape.h"

struct http_options {
	const int *fds; /* listening sockets; ownership passes to the server */
	size_t nfds;
	const char *telemetry_path;
	uint64_t max_requests; /* concurrent scrapes; 0 = unlimited */
	struct scraper *scraper;
	/* /healthz answers 200 while this returns true; reason says why not. */
	bool (*healthy)(void *arg, const char **ret_reason);
	void *health_arg;
};

struct http_server;

/* Starts one daemon per socket. All pointers in o are borrowed for the server's life. Returns 0
 * and *ret (free with http_stop()), or -errno; on failure the fds are closed. */
int http_start(const struct http_options *o, struct http_server **ret);
/* Stops the daemons (closing their sockets) and frees; NULL-safe. */
void http_stop(struct http_server *s);

#endif
