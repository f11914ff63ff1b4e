/* The web configuration file (--web.config.file), in the Prometheus exporter-toolkit format:
 * TLS, basic authentication, response headers and a request rate limit. Parsed and checked in
 * full before it is used, at startup and on every reload: a config either loads completely or
 * not at all. */
#ifndef EXPORTER_WEBCONFIG_H
#define EXPORTER_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* tls_server_config.client_auth_type, in the toolkit's order of strictness. */
enum web_client_auth {
	WEB_CLIENT_NO_CERT,		/* NoClientCert (default) */
	WEB_CLIENT_REQUEST,		/* RequestClientCert */
	WEB_CLIENT_REQUIRE_ANY,		/* RequireAnyClientCert, alias RequireClientCert */
	WEB_CLIENT_VERIFY_IF_GIVEN,	/* VerifyClientCertIfGiven */
	WEB_CLIENT_REQUIRE_AND_VERIFY,	/* RequireAndVerifyClientCert */
};

struct web_user {
	char *name;
	char *hash; /* bcrypt ($2a$, $2b$ or $2y$), checked to be well-formed */
};

struct web_header {
	char *name; /* one of the five names the toolkit allows, in its canonical spelling */
	char *value;
};

/* Everything is owned by the struct and freed by web_config_free(). */
struct web_config {
	bool tls;		/* any tls_server_config key was set */
	char *cert_pem;		/* NUL-terminated PEM: inline `cert` or the contents of cert_file */
	char *key_pem;		/* likewise for key / key_file */
	char *client_ca_pem;	/* NULL when no client CA is configured */
	enum web_client_auth client_auth;
	char **allowed_sans;	/* client_allowed_sans; exact match against any SAN */
	size_t nallowed_sans;
	char *priorities;	/* GnuTLS priority string for versions, cipher suites, curves, preference */
	struct web_user *users; /* basic_auth_users, sorted by name; none = no authentication */
	size_t nusers;
	struct web_header *headers; /* http_server_config.headers */
	size_t nheaders;
	uint64_t rate_interval_ns; /* rate_limit.interval; 0 = no rate limit */
	uint64_t rate_burst;	   /* rate_limit.burst */
};

/* Parses TEXT (LEN bytes, need not be NUL-terminated) and checks every value. Relative
 * `*_file` paths resolve against the directory DIRFD; DIRFD < 0 means "do not open files", for
 * the fuzzer: such references are then an error. On success fills *ret and returns 0; on
 * failure returns -EINVAL (or the -errno of a file that could not be read), leaves *ret
 * untouched and writes one line without a trailing newline into ERR, naming the line where that
 * helps ("line 3: field foo not found in type web.Config"). Never logs. */
int web_config_parse(const char *text, size_t len, int dirfd, struct web_config *ret, char *err,
		     size_t errlen);

/* Reads PATH (at most 1 MiB) and parses it with its own directory as the base for relative
 * file references; same contract as web_config_parse(). */
int web_config_load(const char *path, struct web_config *ret, char *err, size_t errlen);

/* Frees what the struct owns and zeroes it; NULL-safe and safe on a zeroed struct. */
void web_config_free(struct web_config *c);

#endif
