/* The HTTP front end (libmicrohttpd): landing page, metrics, health, the status codes and headers
 * Prometheus expects, and the web config (TLS, basic auth, headers, rate limit). It serves only
 * memory it owns or holds a reference to: a metrics body is shared, read-only, by every request
 * answered from the same collection (scrape.h); other bodies are made per request. */
#ifndef EXPORTER_HTTP_H
#define EXPORTER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scrape.h"
#include "webconfig.h"

struct http_options {
	const int *fds; /* listening sockets; ownership passes to the server */
	size_t nfds;
	const char *telemetry_path;
	uint64_t max_requests;	 /* concurrent scrapes; 0 = unlimited */
	uint64_t max_connections; /* open connections, at least 1 */
	uint64_t max_connections_per_ip; /* 0 = unlimited */
	unsigned int idle_timeout_s; /* a connection idle this long is closed */
	const char *web_config_file; /* NULL = plain HTTP without auth; re-read by http_reload() */
	struct scraper *scraper;
	/* /healthz answers 200 while this returns true; reason says why not. */
	bool (*healthy)(void *arg, const char **ret_reason);
	void *health_arg;
};

struct http_server;

/* Starts one daemon per socket. wc is the already loaded web config (NULL when
 * o->web_config_file is NULL); the server takes what it owns and zeroes *wc. Pointers in o are
 * borrowed for the server's life. Returns 0 and *ret (free with http_stop()), or -errno; on
 * failure the fds are closed. */
int http_start(const struct http_options *o, struct web_config *wc, struct http_server **ret);

/* Re-reads the web config file (SIGHUP). The listening sockets stay open throughout: when the
 * TLS settings change, new daemons start on the same sockets before the old ones stop. A file
 * that does not load makes every request answer 500 until a reload succeeds (the last good
 * config is not silently kept: it may be the one an operator is revoking). Returns 0, or
 * -errno with the reason logged. Call from one thread only. */
int http_reload(struct http_server *s);

/* Stops the daemons (closing their sockets) and frees; NULL-safe. */
void http_stop(struct http_server *s);

#endif
