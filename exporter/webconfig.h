/* The web configuration file (--web.config.file), in the Prometheus exporter-toolkit format:
 * TLS, basic authentication, response headers and a request rate limit. Parsed and checked in
 * full before it is used, at startup and on every reload: a config either loads completely or
 * not at all. The YAML subset is exporter/yaml.h's; where this module is stricter than the
 * toolkit, tests/e2e/webconfig_parity.sh lists each difference and its reason. */
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
	char *name; /* UTF-8 without ':' or control characters (Basic auth could not carry them) */
	char *hash; /* bcrypt ($2a$, $2b$ or $2y$, cost 4..31, 60 characters), checked to be
		     * well formed, not that it is the hash of anything */
};

struct web_header {
	char *name;  /* one of the five names the toolkit allows, spelled exactly as it does */
	char *value; /* no control character except tab (no CR or LF), may be empty */
};

/* Everything is owned by the struct and freed by web_config_free(). The TLS members are set only
 * when tls is true (NULL, 0 and WEB_CLIENT_NO_CERT otherwise). */
struct web_config {
	/* TLS is on when any of cert, cert_file, key, key_file, client_ca, client_ca_file or
	 * client_auth_type is non-empty, as in the toolkit; the pair then loaded with GnuTLS. */
	bool tls;
	char *cert_pem;	     /* NUL-terminated PEM: inline `cert` or the contents of cert_file */
	char *key_pem;	     /* likewise for key / key_file */
	char *client_ca_pem; /* NULL when no client CA is configured; else holds >= 1 certificate.
			      * Go verifies client certificates against the system roots when
			      * there is none. */
	enum web_client_auth client_auth;
	/* client_allowed_sans (only with RequireAnyClientCert or RequireAndVerifyClientCert):
	 * exact match against any DNS, IP, email or URI SAN. NULL when not given, else at least
	 * one entry (an empty list, which would admit no client, is an error). */
	char **allowed_sans;
	size_t nallowed_sans;
	/* GnuTLS priority string (MHD_OPTION_HTTPS_PRIORITIES) for min/max_version (default TLS12,
	 * TLS13), cipher_suites, curve_preferences and prefer_server_cipher_suites (default true:
	 * %SERVER_PRECEDENCE), checked with gnutls_priority_init() to leave a usable suite. */
	char *priorities;
	struct web_user *users; /* basic_auth_users, sorted by name (strcmp); none = no auth */
	size_t nusers;
	struct web_header *headers; /* http_server_config.headers, in file order */
	size_t nheaders;
	uint64_t rate_interval_ns; /* rate_limit.interval (a Go duration); 0 = no rate limit */
	uint64_t rate_burst;	   /* rate_limit.burst; >= 1 whenever the interval is not 0 */
};

/* Parses TEXT (LEN bytes, need not be NUL-terminated) and checks every value. Relative
 * `*_file` paths resolve against the directory DIRFD (absolute ones as they are); each file is
 * read whole, at most 1 MiB. DIRFD < 0 means "do not open files", for the fuzzer: such
 * references are then an error. On success fills *ret (the caller frees it with
 * web_config_free()) and returns 0. On failure returns -EINVAL, -EFBIG when TEXT or a file is
 * larger than 1 MiB, or the -errno of a file that could not be read; leaves *ret untouched and
 * writes one line without a trailing newline or control characters into ERR (ERRLEN bytes, may
 * be 0), naming the line ("line 3: field foo not found in type web.Config"). Never logs. */
int web_config_parse(const char *text, size_t len, int dirfd, struct web_config *ret, char *err,
		     size_t errlen);

/* Reads PATH (at most 1 MiB) and parses it with its own directory as the base for relative
 * file references; same contract as web_config_parse(). An error reading PATH itself names
 * the path instead of a line. */
int web_config_load(const char *path, struct web_config *ret, char *err, size_t errlen);

/* The files whose change should reload the config at PATH, for webconfig_watch.h: PATH itself,
 * then the cert_file, key_file and client_ca_file it names (relative ones joined to PATH's
 * directory), as far as the file reads as YAML; nothing else is checked, so a config that does
 * not load still names its files. Stores at most MAX malloc'd paths in RET (the caller frees
 * each) and returns how many; PATH is always the first when MAX > 0. */
size_t web_config_files(const char *path, char **ret, size_t max);

/* Frees what the struct owns and zeroes it; NULL-safe and safe on a zeroed struct. */
void web_config_free(struct web_config *c);

#endif
