/* HTTP server on libmicrohttpd. One thread per connection, so a slow scrape never delays
 * /healthz or the landing page; collection itself is serialised in scrape.c. */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gzip.h"
#include "http.h"
#include "log.h"
#include "negotiate.h"
#include "parse.h"
#include "version.h"
#include "xalloc.h"

/* libmicrohttpd changed the handler's return type in 0.9.71; building against either must work. */
#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_result;
#else
typedef int mhd_result;
#endif

#define TEXT_PLAIN "text/plain; charset=utf-8"
#define DEFAULT_SCRAPE_TIMEOUT_S 10.0
#define CONNECTION_TIMEOUT_S 30
#define CONNECTION_LIMIT 256

struct http_server {
	struct MHD_Daemon **daemons;
	size_t ndaemons;
	struct http_options o;
	_Atomic uint64_t inflight;
};

/* The first handler call for a request carries only headers; this marks that it was seen. */
static int request_started;

static mhd_result
respond(struct MHD_Connection *conn, unsigned int status, const char *type, char *body,
	size_t len, const char *encoding)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (encoding != NULL)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, encoding);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	mhd_result r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static mhd_result
respond_text(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	struct buf b = BUF_INIT;
	size_t len;

	buf_puts(&b, text);
	buf_putc(&b, '\n');
	char *body = buf_steal(&b, &len);
	return respond(conn, status, TEXT_PLAIN, body, len, NULL);
}

static void
put_html_escaped(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_putc(b, *s);
		}
	}
}

static mhd_result
landing(struct http_server *s, struct MHD_Connection *conn)
{
	struct buf b = BUF_INIT;
	size_t len;

	buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
		     "<title>GPU SR-IOV Exporter</title></head>\n<body>\n"
		     "<h1>GPU SR-IOV Exporter</h1>\n"
		     "<p>Prometheus exporter and watchdog for Intel GPU SR-IOV.</p>\n<p>Version ");
	put_html_escaped(&b, version_number);
	buf_puts(&b, " (revision ");
	put_html_escaped(&b, version_revision);
	buf_puts(&b, ")</p>\n<ul>\n<li><a href=\"");
	put_html_escaped(&b, s->o.telemetry_path + 1);
	buf_puts(&b, "\">Metrics</a></li>\n<li><a href=\"healthz\">Health</a></li>\n</ul>\n"
		     "</body>\n</html>\n");
	char *body = buf_steal(&b, &len);
	return respond(conn, MHD_HTTP_OK, "text/html; charset=UTF-8", body, len, NULL);
}

static mhd_result
healthz(struct http_server *s, struct MHD_Connection *conn)
{
	const char *reason = NULL;

	if (s->o.healthy(s->o.health_arg, &reason))
		return respond_text(conn, MHD_HTTP_OK, "ok");
	return respond_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, reason != NULL ? reason : "unhealthy");
}

/* Prometheus tells us its scrape timeout; finish collecting a little before it. */
static int64_t
scrape_deadline(struct MHD_Connection *conn)
{
	double t = DEFAULT_SCRAPE_TIMEOUT_S;
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    "X-Prometheus-Scrape-Timeout-Seconds");
	double v;

	if (h != NULL && parse_double(h, &v) == 0 && v > 0 && v <= 3600)
		t = v;
	double margin = t > 1.0 ? 0.5 : t / 2;
	return monotonic_ns() + (int64_t)((t - margin) * 1e9);
}

static mhd_result
metrics(struct http_server *s, struct MHD_Connection *conn)
{
	struct negotiation n;
	struct buf b = BUF_INIT;
	size_t len;
	mhd_result r;

	uint64_t now_inflight = atomic_fetch_add(&s->inflight, 1) + 1;
	if (s->o.max_requests > 0 && now_inflight > s->o.max_requests) {
		char msg[96];
		(void)snprintf(msg, sizeof(msg),
			       "Limit of concurrent requests reached (%llu), try again later.",
			       (unsigned long long)s->o.max_requests);
		r = respond_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
		goto out;
	}
	negotiate_format(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
			 &n);
	(void)scraper_run(s->o.scraper, n.format, scrape_deadline(conn), &b);

	const char *encoding = NULL;
	if (negotiate_gzip(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_ACCEPT_ENCODING))) {
		struct buf z = BUF_INIT;
		if (gzip_compress(b.data, b.len, &z) == 0) {
			buf_free(&b);
			b = z;
			encoding = "gzip";
		}
	}
	char *body = buf_steal(&b, &len);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		r = MHD_NO;
		goto out;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, n.content_type);
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (encoding != NULL)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, encoding);
	r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
out:
	atomic_fetch_sub(&s->inflight, 1);
	return r;
}

static mhd_result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *version, const char *upload_data, size_t *upload_data_size, void **req)
{
	struct http_server *s = cls;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	if (!get && !head)
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed");
	if (*req == NULL) {
		*req = &request_started;
		return MHD_YES;
	}
	/* HEAD is answered like GET: libmicrohttpd drops the body and keeps Content-Length. */
	if (strcmp(url, s->o.telemetry_path) == 0)
		return metrics(s, conn);
	if (strcmp(url, "/") == 0)
		return landing(s, conn);
	if (strcmp(url, "/healthz") == 0)
		return healthz(s, conn);
	return respond_text(conn, MHD_HTTP_NOT_FOUND, "Not Found");
}

static void
mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_msg(LOG_LEVEL_DEBUG, NULL, 0, "libmicrohttpd: %s", msg);
}

int
http_start(const struct http_options *o, struct http_server **ret)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	size_t started = 0;

	s->o = *o;
	atomic_store(&s->inflight, 0);
	s->daemons = xcalloc(o->nfds, sizeof(*s->daemons));
	for (size_t i = 0; i < o->nfds; i++) {
		/* The logger goes first so errors while starting reach our log. */
		s->daemons[i] = MHD_start_daemon(
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				MHD_USE_POLL | MHD_USE_ERROR_LOG,
			0, NULL, NULL, handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			MHD_OPTION_LISTEN_SOCKET, o->fds[i], MHD_OPTION_CONNECTION_TIMEOUT,
			(unsigned int)CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
			(unsigned int)CONNECTION_LIMIT, MHD_OPTION_END);
		if (s->daemons[i] == NULL) {
			for (size_t j = i; j < o->nfds; j++)
				(void)close(o->fds[j]);
			s->ndaemons = started;
			http_stop(s);
			return -EIO;
		}
		started++;
	}
	s->ndaemons = started;
	*ret = s;
	return 0;
}

void
http_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->ndaemons; i++)
		MHD_stop_daemon(s->daemons[i]);
	free(s->daemons);
	free(s);
}
