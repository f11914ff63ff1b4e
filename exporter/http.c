/* HTTP server on libmicrohttpd. One event-loop thread (epoll) per listening socket serves every
 * connection; a metrics request does not hold it while its collection runs: its connection is
 * suspended, and resumed when scrape.c calls back. So slow or idle clients, a slow collection and a
 * collector hung in the kernel delay no other request (/healthz says which), and 16 concurrent
 * scrapes cost a wake-up each instead of a thread each (README "Performance" has the figures).
 * Every request passes the web config's steps in the exporter-toolkit's order: client
 * certificate, config state (500), rate limit (429), configured headers, basic auth (401), then
 * the route. */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "auth_queue.h"
#include "http.h"
#include "log.h"
#include "negotiate.h"
#include "parse.h"
#include "ratelimit.h"
#include "status_page.h"
#include "tls.h"
#include "xalloc.h"

/* Needs libmicrohttpd 0.9.73 or newer (Debian 12 has 0.9.75): shared bodies are handed over with
 * a release callback that takes an argument (0.9.73), and the handler returns enum MHD_Result
 * (0.9.71). An older library fails the build at the first of them. */
typedef enum MHD_Result mhd_result;

#define TEXT_PLAIN "text/plain; charset=utf-8"
#define DEFAULT_SCRAPE_TIMEOUT_S 10.0
#define MIN_SCRAPE_TIMEOUT_S 1.0 /* leaves collectors 0.5 s */
/* Request line and headers must fit here; libmicrohttpd answers 431 past it. Also bounds what
 * an idle or slow connection holds. */
#define CONNECTION_MEMORY_LIMIT (32 * 1024)
#define AUTH_REALM "gpu-sriov-exporter"
#define RESTARTING "The server is restarting, try again."
#define DRAIN_NS 1000000000LL

struct web_state {
	atomic_uint refs;
	bool broken; /* the file did not load: every request is answered 500 */
	struct web_config c; /* zeroed when there is no web config */
};

/* One libmicrohttpd daemon, and what its callbacks get as their argument. No thread pool: a
 * pool splits --web.max-connections between its threads, which would refuse connections below
 * the limit, and two threads served about as many scrapes per second as one. */
struct daemon {
	struct MHD_Daemon *mhd;
	struct http_server *server;
	atomic_uint open; /* connections open now */
	bool stopping; /* guarded by suspend_lock: suspended requests resumed, no new ones */
};

struct http_server {
	struct daemon **daemons; /* one per listening socket */
	int *fds;
	size_t ndaemons;
	struct http_options o;
	_Atomic uint64_t inflight;
	pthread_mutex_t lock; /* guards web and limiter */
	struct web_state *web; /* what requests use; each takes a reference */
	struct web_state *tls; /* what the daemons were started with (certificates, trust) */
	struct ratelimit limiter;
	struct request *suspended; /* guarded by suspend_lock: requests waiting for a collection
				    * or a password check */
	struct status_page *status; /* counters the status page keeps between views */
	struct auth_queue *auth;    /* runs bcrypt for password checks the cache cannot answer */
};

/* A GET or HEAD request, from its first handler call (headers only) to libmicrohttpd's
 * completion callback. A metrics request asks scrape.c for a collection, is suspended, and is
 * answered when it is resumed; so is one whose password needs bcrypt, by the auth queue. */
struct request {
	atomic_uint refs; /* libmicrohttpd's until completion; the scraper's or the auth queue's
			   * until it calls back */
	bool asked;       /* the collection was asked for: the next call answers */
	bool rated;       /* passed the rate limit: not counted again when resumed */
	struct web_state *auth_for; /* a reference to the config its password was checked for */
	enum auth_result auth;      /* that check's result; guarded by suspend_lock */
	bool page;        /* for the status page, not the metrics */
	bool counted;     /* holds one of max_requests */
	uint64_t ticket;
	struct daemon *daemon; /* used only while suspended: a stopping daemon resumes its own */
	struct MHD_Connection *conn;
	/* Guarded by suspend_lock: */
	bool suspended;
	bool aborted; /* resumed because its daemon stops; answered 503 */
	struct request *prev, *next; /* in the server's suspended list */
};

/* Guards the requests' suspended state. Not the server's: the scraper may call back after
 * the server is gone (scraper_free() calls the waiters left), and then touches only the request. */
static pthread_mutex_t suspend_lock = PTHREAD_MUTEX_INITIALIZER;

static void state_put(struct web_state *st);

static struct request *
request_ref(struct request *q)
{
	atomic_fetch_add(&q->refs, 1);
	return q;
}

static void
request_put(struct request *q)
{
	if (q != NULL && atomic_fetch_sub(&q->refs, 1) == 1) {
		state_put(q->auth_for);
		free(q);
	}
}

/* Under suspend_lock. */
static void
unlink_suspended(struct http_server *s, struct request *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		s->suspended = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
	q->suspended = false;
}

static struct web_state *
state_new(struct web_config *c, bool broken)
{
	struct web_state *st = xcalloc(1, sizeof(*st));

	atomic_init(&st->refs, 1);
	st->broken = broken;
	if (c != NULL) {
		st->c = *c;
		memset(c, 0, sizeof(*c));
	}
	return st;
}

static struct web_state *
state_ref(struct web_state *st)
{
	atomic_fetch_add(&st->refs, 1);
	return st;
}

static void
state_put(struct web_state *st)
{
	if (st != NULL && atomic_fetch_sub(&st->refs, 1) == 1) {
		web_config_free(&st->c);
		free(st);
	}
}

static struct web_state *
state_get(struct http_server *s)
{
	(void)pthread_mutex_lock(&s->lock);
	struct web_state *st = state_ref(s->web);
	(void)pthread_mutex_unlock(&s->lock);
	return st;
}

/* Configured headers go on every answer past the rate limit, 401 included (toolkit order). */
static void
add_configured_headers(struct MHD_Response *resp, const struct web_state *st)
{
	for (size_t i = 0; i < st->c.nheaders; i++)
		(void)MHD_add_response_header(resp, st->c.headers[i].name, st->c.headers[i].value);
}


/* Takes ownership of body. st is NULL for answers that come before the configured headers
 * apply (500, 429). */
static mhd_result
respond(struct MHD_Connection *conn, const struct web_state *st, unsigned int status,
	const char *type, char *body, size_t len)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (st != NULL)
		add_configured_headers(resp, st);
	mhd_result r = status == MHD_HTTP_UNAUTHORIZED
			       ? MHD_queue_basic_auth_fail_response(conn, AUTH_REALM, resp)
			       : MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static mhd_result
respond_text(struct MHD_Connection *conn, const struct web_state *st, unsigned int status,
	     const char *text)
{
	struct buf b = BUF_INIT;
	size_t len;

	buf_puts(&b, text);
	buf_putc(&b, '\n');
	char *body = buf_steal(&b, &len);
	return respond(conn, st, status, TEXT_PLAIN, body, len);
}

static mhd_result
healthz(struct http_server *s, const struct web_state *st, struct MHD_Connection *conn)
{
	const char *reason = NULL;

	if (s->o.healthy(s->o.health_arg, &reason))
		return respond_text(conn, st, MHD_HTTP_OK, "ok");
	return respond_text(conn, st, MHD_HTTP_SERVICE_UNAVAILABLE,
			    reason != NULL ? reason : "unhealthy");
}

/* Prometheus tells us its scrape timeout; finish collecting a little before it. A shorter one
 * than MIN_SCRAPE_TIMEOUT_S is raised to it: the scrapes that arrive while a collection runs
 * share it, so a client asking for a deadline already past would hand each of them a failure
 * for every collector. */
static int64_t
scrape_deadline(struct MHD_Connection *conn)
{
	double t = DEFAULT_SCRAPE_TIMEOUT_S;
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    "X-Prometheus-Scrape-Timeout-Seconds");
	double v;

	if (h != NULL && parse_double(h, &v) == 0 && v > 0 && v <= 3600)
		t = v < MIN_SCRAPE_TIMEOUT_S ? MIN_SCRAPE_TIMEOUT_S : v;
	double margin = t > 1.0 ? 0.5 : t / 2;
	return monotonic_ns() + (int64_t)((t - margin) * 1e9);
}

/* libmicrohttpd calls this when it is done with a response's body: the shared body's reference
 * goes with it, on whichever thread sent the last byte. */
static void
release_body(void *cls)
{
	scrape_result_put(cls);
}

/* Resumes q's connection unless its daemon stopping already did. Under suspend_lock. */
static void
resume(struct request *q)
{
	if (q->suspended) {
		unlink_suspended(q->daemon->server, q);
		MHD_resume_connection(q->conn);
	}
}

/* Suspends q's connection and lists it, where a stopping daemon finds it. Under suspend_lock,
 * which the callbacks and a stopping daemon take: neither can see a request that is listed but
 * not yet suspended. */
static void
suspend(struct daemon *dm, struct MHD_Connection *conn, struct request *q)
{
	struct http_server *s = dm->server;

	q->daemon = dm;
	q->conn = conn;
	q->suspended = true;
	q->next = s->suspended;
	if (s->suspended != NULL)
		s->suspended->prev = q;
	s->suspended = q;
	MHD_suspend_connection(conn);
}

static bool
aborted(struct request *q)
{
	(void)pthread_mutex_lock(&suspend_lock);
	bool a = q->aborted;
	(void)pthread_mutex_unlock(&suspend_lock);
	return a;
}

/* Called back by the scraper (any thread) when the request's collection is done, or when the
 * scraper is freed. */
static void
request_ready(void *arg)
{
	struct request *q = arg;

	(void)pthread_mutex_lock(&suspend_lock);
	resume(q);
	(void)pthread_mutex_unlock(&suspend_lock);
	request_put(q);
}

/* Gives back the request's max_requests slot. */
static void
release_slot(struct http_server *s, struct request *q)
{
	if (q->counted) {
		atomic_fetch_sub(&s->inflight, 1);
		q->counted = false;
	}
}

/* First call of a metrics or status page request: takes a max_requests slot, suspends the
 * connection and asks for a collection; the scraper's callback resumes it. */
static mhd_result
collection_ask(struct daemon *dm, const struct web_state *st, struct MHD_Connection *conn,
	    struct request *q)
{
	struct http_server *s = dm->server;

	uint64_t now_inflight = atomic_fetch_add(&s->inflight, 1) + 1;
	if (s->o.max_requests > 0 && now_inflight > s->o.max_requests) {
		char msg[96];
		atomic_fetch_sub(&s->inflight, 1);
		(void)snprintf(msg, sizeof(msg),
			       "Limit of concurrent requests reached (%llu), try again later.",
			       (unsigned long long)s->o.max_requests);
		return respond_text(conn, st, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
	}
	q->counted = true;
	(void)pthread_mutex_lock(&suspend_lock);
	if (dm->stopping) {
		(void)pthread_mutex_unlock(&suspend_lock);
		release_slot(s, q);
		return respond_text(conn, NULL, MHD_HTTP_SERVICE_UNAVAILABLE, RESTARTING);
	}
	q->asked = true;
	suspend(dm, conn, q);
	(void)pthread_mutex_unlock(&suspend_lock);
	q->ticket = scraper_request(s->o.scraper, scrape_deadline(conn), request_ready,
				    request_ref(q));
	return MHD_YES;
}

/* Answers the status page with the HTML in page (taken). */
static mhd_result
page_respond(struct MHD_Connection *conn, const struct web_state *st, struct buf *page)
{
	size_t len;
	char *body = buf_steal(page, &len);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);

	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=UTF-8");
	/* The page is the state now: a cached copy would hide a change. */
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	add_configured_headers(resp, st);
	mhd_result r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

/* First call of a status page request: answered at once when no collection can be waited for,
 * else suspended for one like a scrape. */
static mhd_result
landing(struct daemon *dm, const struct web_state *st, struct MHD_Connection *conn,
	struct request *q)
{
	struct http_server *s = dm->server;
	struct buf page = BUF_INIT;

	if (q == NULL || status_page_without_collection(s->status, s->o.scraper,
							 s->o.telemetry_path + 1, &page))
		return page_respond(conn, st, &page);
	q->page = true;
	return collection_ask(dm, st, conn, q);
}

/* The call after the connection was resumed: answers from the collection. */
static mhd_result
answer(struct daemon *dm, const struct web_state *st, struct MHD_Connection *conn,
       struct request *q)
{
	struct http_server *s = dm->server;
	struct negotiation n;
	struct scrape_body body;
	mhd_result r;

	if (aborted(q)) {
		r = respond_text(conn, NULL, MHD_HTTP_SERVICE_UNAVAILABLE, RESTARTING);
		goto out;
	}
	if (q->page) {
		struct buf page = BUF_INIT;
		status_page_take(s->status, s->o.scraper, q->ticket, s->o.telemetry_path + 1,
				 &page);
		r = page_respond(conn, st, &page);
		goto out;
	}
	negotiate_format(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
			 &n);
	bool gzip = negotiate_gzip(
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
	scraper_take(s->o.scraper, q->ticket, n.format, gzip, &body);
	/* The body is shared and never written: libmicrohttpd only reads a buffer response. */
	struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
		body.len, (void *)(uintptr_t)body.data, release_body, body.ref);
	if (resp == NULL) {
		scrape_result_put(body.ref);
		r = MHD_NO;
		goto out;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, n.content_type);
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (body.gzip)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	add_configured_headers(resp, st);
	r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
out:
	release_slot(s, q);
	return r;
}

enum auth_step {
	STEP_PASS,
	STEP_REFUSE,
	STEP_WAIT,     /* suspended until the auth queue calls back */
	STEP_BUSY,     /* the auth queue is full */
	STEP_FLOODING, /* this client has its share of the auth queue */
	STEP_STOPPING,
};

/* Called back by the auth queue (its thread) with the result of a password check. */
static void
auth_done(void *arg, bool ok)
{
	struct request *q = arg;

	(void)pthread_mutex_lock(&suspend_lock);
	q->auth = ok ? AUTH_PASSED : AUTH_REFUSED;
	resume(q);
	(void)pthread_mutex_unlock(&suspend_lock);
	request_put(q);
}

/* The bytes of the client's address that tell clients apart for the auth queue's share. */
static size_t
client_key(struct MHD_Connection *conn, unsigned char key[AUTH_CLIENT_MAX])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	if (sa != NULL && sa->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa != NULL && sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		return 16;
	}
	return 0; /* a Unix socket: one client */
}

/* Hands job to the auth queue and suspends the request until it calls back. */
static enum auth_step
auth_wait(struct daemon *dm, struct web_state *st, struct MHD_Connection *conn,
	  struct request *q, struct auth_job *job)
{
	unsigned char client[AUTH_CLIENT_MAX];
	size_t len = client_key(conn, client);

	/* Under the lock the callback takes: it cannot resume the request before it is
	 * suspended. */
	(void)pthread_mutex_lock(&suspend_lock);
	if (dm->stopping) {
		(void)pthread_mutex_unlock(&suspend_lock);
		return STEP_STOPPING;
	}
	int r = auth_queue_push(dm->server->auth, job, client, len, auth_done, request_ref(q));
	if (r < 0) {
		(void)pthread_mutex_unlock(&suspend_lock);
		request_put(q);
		return r == -EAGAIN ? STEP_FLOODING : STEP_BUSY;
	}
	state_put(q->auth_for);
	q->auth_for = state_ref(st);
	q->auth = AUTH_UNKNOWN;
	suspend(dm, conn, q);
	(void)pthread_mutex_unlock(&suspend_lock);
	return STEP_WAIT;
}

/* The basic auth step. The cache answers most checks at once; one that needs bcrypt waits,
 * suspended, for the auth queue, so no event loop ever runs bcrypt. Requests that cannot be
 * suspended (methods other than GET and HEAD, which no scraper sends) are answered from the
 * cache alone: credentials it does not know count as wrong for them. */
static enum auth_step
auth_step(struct daemon *dm, struct web_state *st, struct MHD_Connection *conn,
	  struct request *q)
{
	if (q != NULL && q->auth_for == st) {
		(void)pthread_mutex_lock(&suspend_lock);
		enum auth_result a = q->auth;
		(void)pthread_mutex_unlock(&suspend_lock);
		return a == AUTH_PASSED ? STEP_PASS : STEP_REFUSE;
	}
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(conn, &pass);
	struct auth_job job;
	enum auth_step step = STEP_REFUSE;

	memset(&job, 0, sizeof(job));
	if (user != NULL && pass != NULL) {
		enum auth_result a = auth_lookup(&st->c, user, pass, &job);
		if (a == AUTH_PASSED)
			step = STEP_PASS;
		else if (a == AUTH_UNKNOWN && q != NULL)
			step = auth_wait(dm, st, conn, q, &job);
	}
	auth_job_clear(&job);
	if (pass != NULL) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user != NULL)
		MHD_free(user);
	return step;
}

static bool
client_allowed(const struct web_state *st, struct MHD_Connection *conn)
{
	if (!st->c.tls)
		return true;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	const char *reason = NULL;
	if (ci == NULL || ci->tls_session == NULL)
		return false;
	if (tls_check_client(ci->tls_session, &st->c, &reason) == 0)
		return true;
	log_msg(LOG_LEVEL_DEBUG, NULL, 0, "refused a TLS client: %s", reason);
	return false;
}

static bool
rate_allowed(struct http_server *s)
{
	(void)pthread_mutex_lock(&s->lock);
	bool ok = ratelimit_allow(&s->limiter, monotonic_ns());
	(void)pthread_mutex_unlock(&s->lock);
	return ok;
}

static mhd_result
serve(struct daemon *dm, struct web_state *st, struct MHD_Connection *conn,
      const char *url, bool get_or_head, struct request *q)
{
	struct http_server *s = dm->server;

	/* A refused certificate ends the connection without an answer, as a failed handshake
	 * would (libmicrohttpd cannot refuse it during the handshake). */
	if (!client_allowed(st, conn))
		return MHD_NO;
	if (st->broken)
		return respond_text(conn, NULL, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "The web configuration could not be loaded; see the exporter's log.");
	if (q != NULL && aborted(q))
		return respond_text(conn, NULL, MHD_HTTP_SERVICE_UNAVAILABLE, RESTARTING);
	if (q == NULL || !q->rated) {
		if (!rate_allowed(s))
			return respond_text(conn, NULL, MHD_HTTP_TOO_MANY_REQUESTS,
					    "Too Many Requests");
		if (q != NULL)
			q->rated = true;
	}
	switch (st->c.nusers > 0 ? auth_step(dm, st, conn, q) : STEP_PASS) {
	case STEP_PASS:
		break;
	case STEP_WAIT:
		return MHD_YES;
	case STEP_BUSY:
		return respond_text(conn, st, MHD_HTTP_SERVICE_UNAVAILABLE,
				    "Too many password checks waiting, try again later.");
	case STEP_FLOODING:
		return respond_text(conn, st, MHD_HTTP_TOO_MANY_REQUESTS,
				    "Too many password checks from this address, try again later.");
	case STEP_STOPPING:
		return respond_text(conn, NULL, MHD_HTTP_SERVICE_UNAVAILABLE, RESTARTING);
	default:
		return respond_text(conn, st, MHD_HTTP_UNAUTHORIZED, "Unauthorized");
	}
	if (!get_or_head)
		return respond_text(conn, st, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed");
	/* HEAD is answered like GET: libmicrohttpd drops the body and keeps Content-Length. */
	if (strcmp(url, s->o.telemetry_path) == 0 && q != NULL)
		return collection_ask(dm, st, conn, q);
	if (strcmp(url, "/") == 0)
		return landing(dm, st, conn, q);
	if (strcmp(url, "/healthz") == 0)
		return healthz(s, st, conn);
	return respond_text(conn, st, MHD_HTTP_NOT_FOUND, "Not Found");
}

/* Whether the request says a body follows its headers (RFC 9112 6.3: only these two headers
 * do). "Content-Length: 0" counts too: libmicrohttpd closes the connection after such a GET
 * either way. */
static bool
announces_body(struct MHD_Connection *conn)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_CONTENT_LENGTH) != NULL ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

static mhd_result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *version, const char *upload_data, size_t *upload_data_size, void **req)
{
	struct daemon *dm = cls;
	struct http_server *s = dm->server;
	bool get_or_head = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
			   strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	/* Other methods are answered at once, without reading a body they may carry. So is a GET
	 * or HEAD that announces a body: libmicrohttpd 0.9.75 takes no answer while a body
	 * arrives, and would close the connection without one; answered now, the body is never
	 * read and the connection is closed after the answer. */
	if (*req == NULL && get_or_head) {
		struct request *q = xcalloc(1, sizeof(*q));
		atomic_init(&q->refs, 1);
		*req = q;
		if (!announces_body(conn))
			return MHD_YES;
	}
	struct request *q = *req;
	struct web_state *st = state_get(s);
	/* A resumed request passed every check when it was asked for; the rate limit must not
	 * count it twice. */
	mhd_result r = q != NULL && q->asked ? answer(dm, st, conn, q)
					     : serve(dm, st, conn, url, get_or_head, q);
	state_put(st);
	return r;
}

/* libmicrohttpd is done with the request (answered, or the connection closed). A request is
 * never suspended here: daemons resume every suspended request before they stop. */
static void
completed(void *cls, struct MHD_Connection *conn, void **req, enum MHD_RequestTerminationCode toe)
{
	struct daemon *dm = cls;
	struct request *q = *req;

	(void)conn;
	(void)toe;
	if (q == NULL)
		return;
	release_slot(dm->server, q);
	*req = NULL;
	request_put(q);
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

/* libmicrohttpd asks for a client certificate only when it has a trust list. For the modes
 * that take any certificate, the server's own stands in: it is only named in the request,
 * never used to verify (tls.c does that for the verifying modes, with the client CA). */
static const char *
trust_list(const struct web_config *c)
{
	if (c->client_ca_pem != NULL)
		return c->client_ca_pem;
	if (c->client_auth != WEB_CLIENT_NO_CERT || c->nallowed_sans > 0)
		return c->cert_pem;
	return NULL;
}

/* --web.max-connections: libmicrohttpd's own limit, with an event loop, stops accepting and leaves
 * further connections waiting in the listen backlog; these are accepted and closed at once, as
 * documented (and as one thread per connection did). libmicrohttpd's limit stays above ours, so
 * it never holds them back first; the slack covers connections it has not yet cleaned up. */
#define LIBRARY_LIMIT_SLACK 16

static mhd_result
accept_ok(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct daemon *dm = cls;

	(void)addr;
	(void)addrlen;
	return atomic_load(&dm->open) < dm->server->o.max_connections ? MHD_YES : MHD_NO;
}

static void
connection_event(void *cls, struct MHD_Connection *conn, void **socket_context,
		 enum MHD_ConnectionNotificationCode toe)
{
	struct daemon *dm = cls;

	(void)conn;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&dm->open, 1);
	else
		atomic_fetch_sub(&dm->open, 1);
}

/* Starts a daemon on fd; NULL when libmicrohttpd cannot. Free with stop_daemons(). */
static struct daemon *
start_daemon(struct http_server *s, int fd, const struct web_config *c)
{
	struct daemon *dm = xcalloc(1, sizeof(*dm));

	struct MHD_OptionItem opt[14];
	size_t n = 0;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_ITC;

	opt[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd, NULL};
	opt[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, dm};
	opt[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
					   (intptr_t)s->o.idle_timeout_s, NULL};
	opt[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
					   (intptr_t)connection_event, dm};
	opt[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
					   (intptr_t)(s->o.max_connections + LIBRARY_LIMIT_SLACK), NULL};
	opt[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
					   (intptr_t)s->o.max_connections_per_ip, NULL};
	opt[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
					   CONNECTION_MEMORY_LIMIT, NULL};
	if (c->tls) {
		flags |= MHD_USE_TLS;
		opt[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, c->cert_pem};
		opt[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, c->key_pem};
		if (c->priorities != NULL)
			opt[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
							   c->priorities};
		const char *trust = trust_list(c);
		if (trust != NULL)
			opt[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
							   (void *)(uintptr_t)trust};
	}
	opt[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	/* The logger goes first so errors while starting reach our log. */
	dm->server = s;
	atomic_init(&dm->open, 0);
	dm->mhd = MHD_start_daemon(flags, 0, accept_ok, dm, handler, dm, MHD_OPTION_EXTERNAL_LOGGER,
				   mhd_log, NULL, MHD_OPTION_ARRAY, opt, MHD_OPTION_END);
	if (dm->mhd == NULL) {
		free(dm);
		return NULL;
	}
	return dm;
}

/* Stops daemons: libmicrohttpd refuses to stop one with a suspended connection, so requests
 * still waiting for a collection (a hung collector) are resumed first and answered 503, and no
 * new one is suspended there. */
static void
stop_daemons(struct daemon **d, size_t n)
{
	(void)pthread_mutex_lock(&suspend_lock);
	for (size_t i = 0; i < n; i++)
		d[i]->stopping = true;
	for (struct request *q = n > 0 ? d[0]->server->suspended : NULL, *next; q != NULL;
	     q = next) {
		next = q->next;
		if (!q->daemon->stopping)
			continue;
		unlink_suspended(q->daemon->server, q);
		q->aborted = true;
		MHD_resume_connection(q->conn);
	}
	(void)pthread_mutex_unlock(&suspend_lock);
	for (size_t i = 0; i < n; i++) {
		MHD_stop_daemon(d[i]->mhd);
		free(d[i]);
	}
}
/* Stops daemons without closing their sockets, which other daemons go on serving. With drain,
 * requests under way get up to DRAIN_NS to finish first; idle keep-alive connections are then
 * closed, and clients open new ones. */
static void
stop_quiesced(struct daemon **d, size_t n, bool drain)
{
	for (size_t i = 0; i < n; i++)
		(void)MHD_quiesce_daemon(d[i]->mhd);
	int64_t until = monotonic_ns() + DRAIN_NS;
	for (size_t i = 0; drain && i < n; i++) {
		for (;;) {
			const union MHD_DaemonInfo *di =
				MHD_get_daemon_info(d[i]->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
			if (di == NULL || di->num_connections == 0 || monotonic_ns() >= until)
				break;
			struct timespec ts = {0, 10000000};
			(void)nanosleep(&ts, NULL);
		}
	}
	stop_daemons(d, n);
}

/* Starts daemons for st on the same sockets, then stops the old ones: both accept for a moment
 * (the sockets are non-blocking, so the one that loses an accept() just goes on), and the
 * sockets are never closed. On failure the old daemons keep running. */
static int
restart_daemons(struct http_server *s, struct web_state *st)
{
	struct daemon **fresh = xcalloc(s->ndaemons, sizeof(*fresh));

	for (size_t i = 0; i < s->ndaemons; i++) {
		fresh[i] = start_daemon(s, s->fds[i], &st->c);
		if (fresh[i] == NULL) {
			stop_quiesced(fresh, i, false);
			free(fresh);
			return -EIO;
		}
	}
	stop_quiesced(s->daemons, s->ndaemons, true);
	free(s->daemons);
	s->daemons = fresh;
	state_put(s->tls);
	s->tls = state_ref(st);
	return 0;
}

static bool
str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* Whether the daemons must restart: what they were started with changed. */
static bool
tls_differs(const struct web_config *a, const struct web_config *b)
{
	return a->tls != b->tls || str_differs(a->cert_pem, b->cert_pem) ||
	       str_differs(a->key_pem, b->key_pem) || str_differs(trust_list(a), trust_list(b)) ||
	       str_differs(a->priorities, b->priorities);
}

/* Swaps in st (taking the caller's reference); the rate limit starts over when it changed. */
static void
install(struct http_server *s, struct web_state *st)
{
	(void)pthread_mutex_lock(&s->lock);
	struct web_state *old = s->web;
	if (s->limiter.interval_ns != st->c.rate_interval_ns ||
	    s->limiter.burst != st->c.rate_burst)
		ratelimit_init(&s->limiter, st->c.rate_interval_ns, st->c.rate_burst,
			       monotonic_ns());
	s->web = st;
	(void)pthread_mutex_unlock(&s->lock);
	state_put(old);
}

int
http_reload(struct http_server *s)
{
	struct web_config c;
	char err[512];
	const char *path = s->o.web_config_file;

	if (path == NULL) {
		log_info("reload: no --web.config.file, nothing to reload");
		return 0;
	}
	int r = web_config_load(path, &c, err, sizeof(err));
	if (r < 0) {
		log_errorx("web config %s did not load, answering every request with 500 until it "
			   "does: %s", path, err);
		install(s, state_new(NULL, true));
		return r;
	}
	struct web_state *st = state_new(&c, false);
	if (tls_differs(&s->tls->c, &st->c)) {
		r = restart_daemons(s, st);
		if (r < 0) {
			log_msg(LOG_LEVEL_ERROR, NULL, -r, "web config %s: cannot serve with the "
				"new TLS settings, answering every request with 500", path);
			state_put(st);
			install(s, state_new(NULL, true));
			return r;
		}
	}
	install(s, st);
	log_info("web config %s reloaded", path);
	return 0;
}

int
http_start(const struct http_options *o, struct web_config *wc, struct http_server **ret)
{
	struct http_server *s = xcalloc(1, sizeof(*s));

	s->o = *o;
	atomic_init(&s->inflight, 0);
	(void)pthread_mutex_init(&s->lock, NULL);
	s->web = state_new(wc, false);
	s->tls = state_ref(s->web);
	s->status = status_page_new();
	s->auth = auth_queue_new();
	ratelimit_init(&s->limiter, s->web->c.rate_interval_ns, s->web->c.rate_burst,
		       monotonic_ns());
	s->fds = xcalloc(o->nfds, sizeof(*s->fds));
	s->daemons = xcalloc(o->nfds, sizeof(*s->daemons));
	for (size_t i = 0; i < o->nfds; i++) {
		s->fds[i] = o->fds[i];
		/* Two daemons share a socket during a reload; see restart_daemons(). */
		int fl = fcntl(o->fds[i], F_GETFL);
		if (fl >= 0)
			(void)fcntl(o->fds[i], F_SETFL, fl | O_NONBLOCK);
	}
	for (size_t i = 0; i < o->nfds; i++) {
		s->daemons[i] = s->auth != NULL ? start_daemon(s, s->fds[i], &s->web->c) : NULL;
		if (s->daemons[i] == NULL) {
			for (size_t j = i; j < o->nfds; j++)
				(void)close(o->fds[j]);
			s->ndaemons = i;
			http_stop(s);
			return -EIO;
		}
	}
	s->ndaemons = o->nfds;
	*ret = s;
	return 0;
}

void
http_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	stop_daemons(s->daemons, s->ndaemons);
	/* After the daemons: nothing is suspended any more, so its callbacks only drop requests. */
	auth_queue_free(s->auth);
	free(s->daemons);
	free(s->fds);
	state_put(s->tls);
	state_put(s->web);
	status_page_free(s->status);
	(void)pthread_mutex_destroy(&s->lock);
	free(s);
}
