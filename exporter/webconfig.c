/* The web configuration file, read the way the Prometheus exporter toolkit reads it: the Go yaml
 * package's strict mode (an unknown key anywhere is an error naming the toolkit's Go type), the
 * same keys, defaults and value names, and everything checked before the config is used, down to
 * loading the certificate and key with GnuTLS, which will serve them.
 *
 * Where this module is stricter than promtool 2.42 (exporter toolkit 0.8) or knows keys it does
 * not, the difference is deliberate and pinned by tests/e2e/webconfig_parity.sh, whose header lists
 * each one with its reason. In short: keys of newer toolkits (inline cert, key and client_ca,
 * client_allowed_sans, rate_limit) are accepted; values that could never work are refused at
 * startup rather than at the first handshake or login (min_version above max_version, a cipher
 * list that leaves no suite, a client CA that holds no certificate, a password hash that is not a
 * complete bcrypt hash, a user name with ':' or a control character, a header value with a
 * control character); and the YAML features yaml.h does not support are errors. */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "parse.h"
#include "sysfs.h"
#include "webconfig.h"
#include "xalloc.h"
#include "yaml.h"

/* Referenced files (certificates, keys, CAs) and the config itself: as yaml.h's input limit. */
#define WEB_FILE_MAX YAML_MAX_INPUT

/* How much of a user-supplied value an error message quotes. */
#define QUOTE_MAX 64
#define QUOTE_SIZE (QUOTE_MAX * 4 + 4)

struct ctx {
	int dirfd;
	char *err;
	size_t errlen;
};

static void set_error(struct ctx *c, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_error(struct ctx *c, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (c->errlen == 0)
		return;
	if (line > 0)
		n = snprintf(c->err, c->errlen, "line %u: ", line);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		(void)vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
}

/* Records the message and evaluates to -EINVAL; a macro so that the static analyzer, which does
 * not follow variadic calls, sees every error path return < 0. */
#define fail(c, line, ...) (set_error((c), (line), __VA_ARGS__), -EINVAL)

/* The reason sysfs_read_file() failed with ERR (a negative errno): its -EINVAL means the path
 * is a directory, FIFO or device rather than a regular file, which strerror() would not say. */
static const char *
read_error(int err, char *buf, size_t size)
{
	if (err == -EINVAL)
		return "not a regular file";
	return strerror_r(-err, buf, size);
}

static const char *
quote(char *buf, const char *s, size_t len)
{
	return yaml_escape(buf, QUOTE_SIZE, s, len, QUOTE_MAX);
}

/* ---- YAML values as yaml.v2 decodes them into Go types ------------------------------------ */

static bool
is_one_of(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, list[i]) == 0)
			return true;
	}
	return false;
}

/* YAML 1.1 booleans, which the Go yaml package (v2) still resolves. */
static const char *const yaml_true[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
					"true", "True", "TRUE"};
static const char *const yaml_false[] = {"n", "N", "no", "No", "NO", "off", "Off", "OFF",
					 "false", "False", "FALSE"};

static bool
is_int_text(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

/* [-+]digits.digits with a digit on at least one side of the '.'. */
static bool
is_float_text(const char *s)
{
	size_t digits = 0, dots = 0;

	if (*s == '-' || *s == '+')
		s++;
	for (; *s != '\0'; s++) {
		if (*s == '.')
			dots++;
		else if (*s >= '0' && *s <= '9')
			digits++;
		else
			return false;
	}
	return dots == 1 && digits > 0;
}

/* The tag yaml.v2 names in "cannot unmarshal" messages. Only for messages: numbers are
 * approximated (decimal integers and decimals with one '.'). */
static const char *
tag_of(const struct yaml_node *n)
{
	if (n->kind == YAML_MAPPING)
		return "!!map";
	if (n->kind == YAML_SEQUENCE)
		return "!!seq";
	if (n->style != YAML_PLAIN)
		return "!!str";
	if (yaml_is_null(n))
		return "!!null";
	if (is_one_of(n->text, yaml_true, nitems(yaml_true)) ||
	    is_one_of(n->text, yaml_false, nitems(yaml_false)))
		return "!!bool";
	if (is_int_text(n->text))
		return "!!int";
	if (is_float_text(n->text))
		return "!!float";
	return "!!str";
}

static int
type_error(struct ctx *c, const struct yaml_node *n, const char *type)
{
	char q[QUOTE_SIZE];

	if (n->kind != YAML_SCALAR)
		return fail(c, n->line, "cannot unmarshal %s into %s", tag_of(n), type);
	return fail(c, n->line, "cannot unmarshal %s `%s` into %s", tag_of(n),
		    quote(q, n->text, n->len), type);
}

/* A Go string field: any scalar, its text; null gives "". A NUL byte (from a "\0" escape) cannot
 * go into a C string and is refused. Borrowed from the document. */
static int
get_string(struct ctx *c, const struct yaml_node *n, const char *what, const char **ret)
{
	if (n->kind != YAML_SCALAR)
		return type_error(c, n, "string");
	if (strlen(n->text) != n->len)
		return fail(c, n->line, "%s contains a NUL byte", what);
	*ret = yaml_is_null(n) ? "" : n->text;
	return 0;
}

/* A Go bool field: a plain YAML 1.1 boolean; null gives false (Go's zero value). */
static int
get_bool(struct ctx *c, const struct yaml_node *n, bool *ret)
{
	if (yaml_is_null(n)) {
		*ret = false;
		return 0;
	}
	if (n->kind == YAML_SCALAR && n->style == YAML_PLAIN) {
		if (is_one_of(n->text, yaml_true, nitems(yaml_true))) {
			*ret = true;
			return 0;
		}
		if (is_one_of(n->text, yaml_false, nitems(yaml_false))) {
			*ret = false;
			return 0;
		}
	}
	return type_error(c, n, "bool");
}

/* A key is compared with its length: a "\0" escape may hide a NUL inside. */
static bool
key_is(const struct yaml_node *k, const char *name)
{
	return k->len == strlen(name) && memcmp(k->text, name, k->len) == 0;
}

/* A mapping onto a Go struct: each key must be one of NAMES, its value goes to ret[i]. Null
 * leaves all fields unset, as the Go decoder does. */
static int
decode_struct(struct ctx *c, const struct yaml_node *n, const char *type,
	      const char *const *names, size_t count, const struct yaml_node **ret)
{
	char q[QUOTE_SIZE];

	if (yaml_is_null(n))
		return 0;
	if (n->kind != YAML_MAPPING)
		return type_error(c, n, type);
	for (size_t i = 0; i < n->npairs; i++) {
		const struct yaml_node *k = n->pairs[i].key;
		size_t f = 0;

		while (f < count && !key_is(k, names[f]))
			f++;
		if (f == count)
			return fail(c, k->line, "field %s not found in type %s",
				    quote(q, k->text, k->len), type);
		ret[f] = n->pairs[i].value;
	}
	return 0;
}

/* A Go map[string]string (or map[string]config.Secret): null or a mapping whose keys and values
 * are strings. Only checked here; the values are looked at once everything is decoded. */
static int
check_string_map(struct ctx *c, const struct yaml_node *n, const char *type, const char *key_what,
		 const char *value_what)
{
	if (yaml_is_null(n))
		return 0;
	if (n->kind != YAML_MAPPING)
		return type_error(c, n, type);
	for (size_t i = 0; i < n->npairs; i++) {
		const char *s = NULL;
		int r = get_string(c, n->pairs[i].key, key_what, &s);

		if (r >= 0)
			r = get_string(c, n->pairs[i].value, value_what, &s);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- web.TLSConfig --------------------------------------------------------------------------- */

enum tls_field {
	F_CERT,
	F_CERT_FILE,
	F_KEY,
	F_KEY_FILE,
	F_CLIENT_CA,
	F_CLIENT_CA_FILE,
	F_CLIENT_AUTH,
	F_CLIENT_SANS,
	F_MIN_VERSION,
	F_MAX_VERSION,
	F_CIPHERS,
	F_CURVES,
	F_PREFER,
	NTLS,
};

static const char *const tls_names[NTLS] = {
	[F_CERT] = "cert",
	[F_CERT_FILE] = "cert_file",
	[F_KEY] = "key",
	[F_KEY_FILE] = "key_file",
	[F_CLIENT_CA] = "client_ca",
	[F_CLIENT_CA_FILE] = "client_ca_file",
	[F_CLIENT_AUTH] = "client_auth_type",
	[F_CLIENT_SANS] = "client_allowed_sans",
	[F_MIN_VERSION] = "min_version",
	[F_MAX_VERSION] = "max_version",
	[F_CIPHERS] = "cipher_suites",
	[F_CURVES] = "curve_preferences",
	[F_PREFER] = "prefer_server_cipher_suites",
};

static const struct {
	const char *go;
	const char *gnutls;
} tls_versions[] = {
	{"TLS10", "VERS-TLS1.0"},
	{"TLS11", "VERS-TLS1.1"},
	{"TLS12", "VERS-TLS1.2"},
	{"TLS13", "VERS-TLS1.3"},
};
enum { TLS10, TLS11, TLS12, TLS13 };

/* The suites Go's tls.CipherSuites() lists, which are the names the toolkit accepts (the insecure
 * ones are refused there as unknown), as GnuTLS key exchange, cipher and MAC. TLS 1.3 suites have
 * no key exchange of their own. */
static const struct cipher_suite {
	const char *go;
	const char *kx;
	const char *cipher;
	const char *mac;
} cipher_suites[] = {
	{"TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "AES-128-CBC", "SHA1"},
	{"TLS_RSA_WITH_AES_256_CBC_SHA", "RSA", "AES-256-CBC", "SHA1"},
	{"TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AES-128-GCM", "AEAD"},
	{"TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AES-256-GCM", "AEAD"},
	{"TLS_AES_128_GCM_SHA256", NULL, "AES-128-GCM", "AEAD"},
	{"TLS_AES_256_GCM_SHA384", NULL, "AES-256-GCM", "AEAD"},
	{"TLS_CHACHA20_POLY1305_SHA256", NULL, "CHACHA20-POLY1305", "AEAD"},
	{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA", "AES-128-CBC", "SHA1"},
	{"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA", "AES-256-CBC", "SHA1"},
	{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA", "AES-128-CBC", "SHA1"},
	{"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA", "AES-256-CBC", "SHA1"},
	{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA", "AES-128-GCM", "AEAD"},
	{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA", "AES-256-GCM", "AEAD"},
	{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA", "AES-128-GCM", "AEAD"},
	{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA", "AES-256-GCM", "AEAD"},
	{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA", "CHACHA20-POLY1305", "AEAD"},
	{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA", "CHACHA20-POLY1305",
	 "AEAD"},
};

static const struct {
	const char *go;
	const char *gnutls;
} curves[] = {
	{"CurveP256", "GROUP-SECP256R1"},
	{"CurveP384", "GROUP-SECP384R1"},
	{"CurveP521", "GROUP-SECP521R1"},
	{"X25519", "GROUP-X25519"},
};

static const struct {
	const char *name;
	enum web_client_auth value;
} client_auths[] = {
	{"NoClientCert", WEB_CLIENT_NO_CERT},
	{"RequestClientCert", WEB_CLIENT_REQUEST},
	{"RequireAnyClientCert", WEB_CLIENT_REQUIRE_ANY},
	{"RequireClientCert", WEB_CLIENT_REQUIRE_ANY}, /* the toolkit's old name, still accepted */
	{"VerifyClientCertIfGiven", WEB_CLIENT_VERIFY_IF_GIVEN},
	{"RequireAndVerifyClientCert", WEB_CLIENT_REQUIRE_AND_VERIFY},
};

/* tls_server_config decoded; strings are borrowed from the document. */
struct tls_in {
	unsigned line; /* of the tls_server_config key */
	const struct yaml_node *f[NTLS];
	const char *s[NTLS]; /* the string fields; "" when unset */
	int min_version, max_version;
	/* Listed suites and curves as table indexes, in the order given, each once. */
	size_t suites[nitems(cipher_suites)];
	size_t nsuites;
	size_t curves[nitems(curves)];
	size_t ncurves;
	bool prefer_server;
};

static int
decode_version(struct ctx *c, const struct yaml_node *n, int *ret)
{
	const char *s = NULL;
	char q[QUOTE_SIZE];
	int r;

	if (n == NULL || yaml_is_null(n))
		return 0; /* the default stays */
	r = get_string(c, n, "TLS version", &s);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nitems(tls_versions); i++) {
		if (strcmp(s, tls_versions[i].go) == 0) {
			*ret = (int)i;
			return 0;
		}
	}
	return fail(c, n->line, "unknown TLS version: \"%s\" (one of TLS10, TLS11, TLS12, TLS13)",
		    quote(q, s, strlen(s)));
}

static int
find_suite(const char *name)
{
	for (size_t i = 0; i < nitems(cipher_suites); i++) {
		if (strcmp(name, cipher_suites[i].go) == 0)
			return (int)i;
	}
	return -1;
}

static int
find_curve(const char *name)
{
	for (size_t i = 0; i < nitems(curves); i++) {
		if (strcmp(name, curves[i].go) == 0)
			return (int)i;
	}
	return -1;
}

/* A list of names, each mapped by FIND to a table index, into ret_idx (room for every table
 * entry) in the order given and without repeats. Null entries are skipped: Go decodes them as
 * the zero value, which matches no suite or curve and is ignored. A list of nulls only is an
 * error: Go then has a list that matches nothing (no TLS 1.2 suite, or no curve at all), where
 * skipping them would leave none, that is GnuTLS's defaults. */
static int
decode_names(struct ctx *c, const struct yaml_node *n, const char *type, const char *what,
	     int (*find)(const char *), size_t *ret_idx, size_t *ret_n)
{
	char q[QUOTE_SIZE];
	size_t used = 0;

	if (n == NULL || yaml_is_null(n))
		return 0;
	if (n->kind != YAML_SEQUENCE)
		return type_error(c, n, type);
	for (size_t i = 0; i < n->nitems; i++) {
		const struct yaml_node *item = n->items[i];
		const char *s = NULL;
		bool seen = false;
		int k, r;

		if (yaml_is_null(item))
			continue;
		r = get_string(c, item, what, &s);
		if (r < 0)
			return r;
		k = find(s);
		if (k < 0)
			return fail(c, item->line, "unknown %s: \"%s\"", what,
				    quote(q, s, strlen(s)));
		for (size_t j = 0; j < used; j++)
			seen = seen || ret_idx[j] == (size_t)k;
		if (!seen)
			ret_idx[used++] = (size_t)k;
	}
	if (n->nitems > 0 && used == 0)
		return fail(c, n->line,
			    "only null entries in the %s list (Go reads them as %s 0, which "
			    "matches no %s)",
			    what, what, what);
	*ret_n = used;
	return 0;
}

/* A list of strings: null entries skipped (borrowed). Only checked here; setup_tls() copies. */
static int
check_string_list(struct ctx *c, const struct yaml_node *n, const char *what)
{
	if (n == NULL || yaml_is_null(n))
		return 0;
	if (n->kind != YAML_SEQUENCE)
		return type_error(c, n, "[]string");
	for (size_t i = 0; i < n->nitems; i++) {
		const char *s = NULL;
		int r = yaml_is_null(n->items[i]) ? 0 : get_string(c, n->items[i], what, &s);

		if (r < 0)
			return r;
	}
	return 0;
}

static int
decode_tls(struct ctx *c, const struct yaml_node *n, struct tls_in *t)
{
	static const enum tls_field strings[] = {F_CERT,      F_CERT_FILE,	F_KEY,
						 F_KEY_FILE,  F_CLIENT_CA,	F_CLIENT_CA_FILE,
						 F_CLIENT_AUTH};
	int r = decode_struct(c, n, "web.TLSConfig", tls_names, NTLS, t->f);

	for (size_t i = 0; r >= 0 && i < nitems(strings); i++) {
		enum tls_field k = strings[i];

		if (t->f[k] != NULL)
			r = get_string(c, t->f[k], tls_names[k], &t->s[k]);
	}
	if (r >= 0)
		r = decode_version(c, t->f[F_MIN_VERSION], &t->min_version);
	if (r >= 0)
		r = decode_version(c, t->f[F_MAX_VERSION], &t->max_version);
	if (r >= 0)
		r = decode_names(c, t->f[F_CIPHERS], "[]web.Cipher", "cipher", find_suite,
				 t->suites, &t->nsuites);
	if (r >= 0)
		r = decode_names(c, t->f[F_CURVES], "[]web.Curve", "curve", find_curve, t->curves,
				 &t->ncurves);
	if (r >= 0)
		r = check_string_list(c, t->f[F_CLIENT_SANS], "client_allowed_sans");
	if (r >= 0 && t->f[F_PREFER] != NULL)
		r = get_bool(c, t->f[F_PREFER], &t->prefer_server);
	return r;
}

/* Reads a file named in the config below the config's directory. Returns its length or -errno
 * with the message written. */
static ssize_t
read_ref(struct ctx *c, const struct yaml_node *n, const char *field, const char *path,
	 char **ret)
{
	char q[QUOTE_SIZE];
	char e[128];
	ssize_t len;

	if (c->dirfd < 0)
		return fail(c, n->line, "%s: files cannot be read here (no base directory)", field);
	len = sysfs_read_file(c->dirfd, path, WEB_FILE_MAX, ret);
	if (len == -EFBIG) {
		set_error(c, n->line, "%s: \"%s\" is larger than %d bytes", field,
			  quote(q, path, strlen(path)), WEB_FILE_MAX);
		return len;
	}
	if (len < 0) {
		set_error(c, n->line, "%s: cannot read \"%s\": %s", field,
			  quote(q, path, strlen(path)), read_error((int)len, e, sizeof(e)));
		return len;
	}
	if ((size_t)len != strlen(*ret)) {
		free(*ret);
		*ret = NULL;
		return fail(c, n->line, "%s: \"%s\" contains a NUL byte: not PEM text (DER?)",
			    field, quote(q, path, strlen(path)));
	}
	return len;
}

/* PEM text from the inline field or the file field, which may not both be set. Caller frees
 * *ret; it stays NULL when neither is set. */
static int
load_pem(struct ctx *c, const struct tls_in *t, enum tls_field inline_f, enum tls_field file_f,
	 char **ret)
{
	const struct yaml_node *file = t->f[file_f];
	const char *text = t->s[inline_f], *path = t->s[file_f];

	if (text[0] != '\0' && path[0] != '\0')
		return fail(c, file->line, "cannot specify both %s and %s", tls_names[inline_f],
			    tls_names[file_f]);
	if (text[0] != '\0') {
		*ret = xstrdup(text);
		return 0;
	}
	if (path[0] != '\0') {
		ssize_t n = read_ref(c, file, tls_names[file_f], path, ret);
		return n < 0 ? (int)n : 0;
	}
	return 0;
}

enum suite_part { PART_CIPHER, PART_MAC, PART_KX };

static const char *
suite_part(size_t suite, enum suite_part part)
{
	const struct cipher_suite *cs = &cipher_suites[suite];

	switch (part) {
	case PART_CIPHER:
		return cs->cipher;
	case PART_MAC:
		return cs->mac;
	case PART_KX:
		return cs->kx;
	}
	return NULL;
}

/* GnuTLS cannot restrict cipher suites per protocol version: the listed suites become the union
 * of their ciphers, MACs and key exchanges, for every enabled version, in the order listed. So a
 * cipher list also governs TLS 1.3 (Go ignores it there), and a combination of two listed suites'
 * parts is allowed too (listing ECDHE-RSA with AES-128-GCM and ECDHE-ECDSA with AES-256-GCM
 * allows ECDHE-RSA with AES-256-GCM). */
static void
build_priorities(const struct tls_in *t, struct buf *b)
{
	static const enum suite_part parts[] = {PART_CIPHER, PART_MAC, PART_KX};

	buf_puts(b, "NORMAL:-VERS-ALL");
	for (int v = t->max_version; v >= t->min_version; v--)
		buf_printf(b, ":+%s", tls_versions[v].gnutls);
	if (t->nsuites > 0)
		buf_puts(b, ":-CIPHER-ALL:-MAC-ALL:-KX-ALL");
	for (size_t p = 0; p < nitems(parts); p++) {
		for (size_t i = 0; i < t->nsuites; i++) {
			const char *tok = suite_part(t->suites[i], parts[p]);
			bool seen = tok == NULL; /* TLS 1.3 suites have no key exchange */

			for (size_t j = 0; j < i && !seen; j++) {
				const char *prev = suite_part(t->suites[j], parts[p]);
				seen = prev != NULL && strcmp(prev, tok) == 0;
			}
			if (!seen)
				buf_printf(b, ":+%s", tok);
		}
	}
	if (t->ncurves > 0) {
		buf_puts(b, ":-GROUP-ALL");
		for (size_t i = 0; i < t->ncurves; i++)
			buf_printf(b, ":+%s", curves[t->curves[i]].gnutls);
	}
	if (t->prefer_server)
		buf_puts(b, ":%SERVER_PRECEDENCE");
}

/* gnutls_priority_init() accepts a string that leaves no cipher suite for the enabled versions
 * (a TLS 1.2-only config listing only TLS 1.3 suites, say); no client could connect then. */
static int
check_priorities(struct ctx *c, unsigned line, const char *prio)
{
	static const char no_suite[] = "no cipher suite is left for the enabled TLS versions";
	static const char no_suite_why[] = "(cipher_suites, min_version, max_version)";
	gnutls_priority_t p = NULL;
	const char *errpos = NULL;
	size_t usable = 0;
	char q[QUOTE_SIZE];
	int r = gnutls_priority_init(&p, prio, &errpos);

	if (r == GNUTLS_E_NO_PRIORITIES_WERE_SET)
		return fail(c, line, "tls_server_config: %s %s: %s", no_suite, no_suite_why,
			    gnutls_strerror(r));
	/* Not expected: the string is built from known tokens only. */
	if (r < 0) {
		const char *at = errpos != NULL ? errpos : prio;

		return fail(c, line, "tls_server_config: GnuTLS refuses the priority string at "
			    "\"%s\": %s", quote(q, at, strlen(at)), gnutls_strerror(r));
	}
	/* The index space is GnuTLS's table of suites (a few hundred); the bound only guards
	 * against a library that never reports the end. */
	for (unsigned i = 0; i < 4096; i++) {
		unsigned idx = 0;

		r = gnutls_priority_get_cipher_suite_index(p, i, &idx);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r == 0)
			usable++;
	}
	gnutls_priority_deinit(p);
	if (usable == 0)
		return fail(c, line, "tls_server_config: %s %s", no_suite, no_suite_why);
	return 0;
}

/* GnuTLS 3.7.9's gnutls_certificate_set_x509_key_mem2() leaks the certificate structures it
 * allocated (about 10 KiB) when a certificate in the PEM does not parse, which the fuzzer found
 * and valgrind confirms; configs are re-checked on every reload, so a broken certificate would
 * leak each time. gnutls_x509_crt_list_import2() fails cleanly: parse the chain with it first. */
static int
parse_chain(const gnutls_datum_t *pem)
{
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	int r = gnutls_x509_crt_list_import2(&list, &n, pem, GNUTLS_X509_FMT_PEM, 0);

	if (r < 0)
		return r;
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	return 0;
}

/* Loads the pair the way the server will, which also checks that the key belongs to the
 * certificate, and the client CAs. */
static int
check_credentials(struct ctx *c, const struct tls_in *t, const struct web_config *cfg)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_datum_t cert = {(unsigned char *)cfg->cert_pem, (unsigned)strlen(cfg->cert_pem)};
	gnutls_datum_t key = {(unsigned char *)cfg->key_pem, (unsigned)strlen(cfg->key_pem)};
	const struct yaml_node *cert_n = t->f[F_CERT] != NULL && t->s[F_CERT][0] != '\0'
						 ? t->f[F_CERT]
						 : t->f[F_CERT_FILE];
	int r = gnutls_certificate_allocate_credentials(&cred);

	if (r < 0)
		return fail(c, t->line, "tls_server_config: %s", gnutls_strerror(r));
	r = parse_chain(&cert);
	if (r >= 0)
		r = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM,
							 NULL, 0);
	if (r < 0) {
		char qc[QUOTE_SIZE], qk[QUOTE_SIZE];
		const char *cf = t->s[F_CERT_FILE], *kf = t->s[F_KEY_FILE];

		/* GnuTLS's messages ("Base64 decoding error.") say neither which input nor the
		 * likely mistake. */
		bool switched = strstr(cfg->cert_pem, "CERTIFICATE-----") == NULL &&
				strstr(cfg->cert_pem, "PRIVATE KEY-----") != NULL;
		r = fail(c, cert_n->line,
			 "tls_server_config: cannot load the certificate (%s%s%s) and key "
			 "(%s%s%s): %s%s",
			 cf[0] != '\0' ? "cert_file \"" : "cert", quote(qc, cf, strlen(cf)),
			 cf[0] != '\0' ? "\"" : "", kf[0] != '\0' ? "key_file \"" : "key",
			 quote(qk, kf, strlen(kf)), kf[0] != '\0' ? "\"" : "", gnutls_strerror(r),
			 switched ? " (the certificate input holds a private key: switched?)" : "");
		goto out;
	}
	if (cfg->client_ca_pem != NULL) {
		const struct yaml_node *ca_n = t->s[F_CLIENT_CA][0] != '\0' ? t->f[F_CLIENT_CA]
									 : t->f[F_CLIENT_CA_FILE];
		const char *name = t->s[F_CLIENT_CA][0] != '\0' ? "client_ca" : "client_ca_file";
		gnutls_datum_t ca = {(unsigned char *)cfg->client_ca_pem,
				     (unsigned)strlen(cfg->client_ca_pem)};

		r = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
		if (r < 0) {
			r = fail(c, ca_n->line, "%s: cannot load the client CAs: %s", name,
				 gnutls_strerror(r));
			goto out;
		}
		if (r == 0) {
			r = fail(c, ca_n->line, "%s: no PEM certificate found", name);
			goto out;
		}
	}
	r = 0;
out:
	gnutls_certificate_free_credentials(cred);
	return r;
}

static bool
tls_enabled(const struct tls_in *t)
{
	static const enum tls_field on[] = {F_CERT,	 F_CERT_FILE,	   F_KEY,	 F_KEY_FILE,
					    F_CLIENT_CA, F_CLIENT_CA_FILE, F_CLIENT_AUTH};

	for (size_t i = 0; i < nitems(on); i++) {
		if (t->s[on[i]][0] != '\0')
			return true;
	}
	return false;
}

/* The checks the toolkit makes when TLS is on (ConfigToTLSConfig), then GnuTLS's. */
static int
setup_tls(struct ctx *c, const struct tls_in *t, struct web_config *cfg)
{
	const struct yaml_node *sans = t->f[F_CLIENT_SANS];
	const char *auth = t->s[F_CLIENT_AUTH];
	char q[QUOTE_SIZE];
	struct buf prio = BUF_INIT;
	size_t i = 0;
	int r;

	if (!tls_enabled(t))
		return 0;
	if (t->s[F_CERT][0] == '\0' && t->s[F_CERT_FILE][0] == '\0')
		return fail(c, t->line, "tls_server_config: missing one of cert or cert_file");
	if (t->s[F_KEY][0] == '\0' && t->s[F_KEY_FILE][0] == '\0')
		return fail(c, t->line, "tls_server_config: missing one of key or key_file");
	cfg->client_auth = WEB_CLIENT_NO_CERT;
	if (auth[0] != '\0') {
		while (i < nitems(client_auths) && strcmp(auth, client_auths[i].name) != 0)
			i++;
		if (i == nitems(client_auths))
			return fail(c, t->f[F_CLIENT_AUTH]->line,
				    "invalid client_auth_type: %s (one of NoClientCert, "
				    "RequestClientCert, RequireAnyClientCert, "
				    "VerifyClientCertIfGiven, RequireAndVerifyClientCert)",
				    quote(q, auth, strlen(auth)));
		cfg->client_auth = client_auths[i].value;
	}
	if ((t->s[F_CLIENT_CA][0] != '\0' || t->s[F_CLIENT_CA_FILE][0] != '\0') &&
	    cfg->client_auth == WEB_CLIENT_NO_CERT) {
		enum tls_field ca = t->s[F_CLIENT_CA][0] != '\0' ? F_CLIENT_CA : F_CLIENT_CA_FILE;
		return fail(c, t->f[ca]->line,
			    "%s is set but client_auth_type is NoClientCert (client CAs need a "
			    "client auth policy)",
			    tls_names[ca]);
	}
	/* Go verifies against the system's public CAs when no client CA is given; a metrics
	 * endpoint that trusts every public CA for client certificates is a mistake, not a
	 * choice, and libmicrohttpd could not load that trust anyway. */
	if (t->s[F_CLIENT_CA][0] == '\0' && t->s[F_CLIENT_CA_FILE][0] == '\0' &&
	    (cfg->client_auth == WEB_CLIENT_VERIFY_IF_GIVEN ||
	     cfg->client_auth == WEB_CLIENT_REQUIRE_AND_VERIFY)) {
		return fail(c, t->f[F_CLIENT_AUTH]->line,
			    "client_auth_type %s verifies client certificates and needs "
			    "client_ca_file (or client_ca) to verify them against",
			    auth);
	}
	/* Go treats an empty list like a given one: only null means "not set". */
	if (sans != NULL && !yaml_is_null(sans)) {
		if (cfg->client_auth != WEB_CLIENT_REQUIRE_ANY &&
		    cfg->client_auth != WEB_CLIENT_REQUIRE_AND_VERIFY)
			return fail(c, sans->line,
				    "client_allowed_sans requires client_auth_type "
				    "RequireAnyClientCert or RequireAndVerifyClientCert");
		/* Types were checked by check_string_list(). */
		cfg->allowed_sans = xcalloc(sans->nitems + 1, sizeof(*cfg->allowed_sans));
		for (size_t k = 0; k < sans->nitems; k++) {
			if (!yaml_is_null(sans->items[k]))
				cfg->allowed_sans[cfg->nallowed_sans++] =
					xstrdup(sans->items[k]->text);
		}
		/* Go would take an empty list as given and then admit no client at all. */
		if (cfg->nallowed_sans == 0)
			return fail(c, sans->line, "client_allowed_sans is empty: no client "
						   "certificate could match");
	}
	if (t->min_version > t->max_version) {
		/* Either may be the default: name the line of one that was given. */
		const struct yaml_node *min = t->f[F_MIN_VERSION], *max = t->f[F_MAX_VERSION];
		const struct yaml_node *v = min != NULL && !yaml_is_null(min) ? min : max;

		return fail(c, v != NULL ? v->line : t->line,
			    "min_version %s is above max_version %s",
			    tls_versions[t->min_version].go, tls_versions[t->max_version].go);
	}

	r = load_pem(c, t, F_CERT, F_CERT_FILE, &cfg->cert_pem);
	if (r >= 0)
		r = load_pem(c, t, F_KEY, F_KEY_FILE, &cfg->key_pem);
	if (r >= 0)
		r = load_pem(c, t, F_CLIENT_CA, F_CLIENT_CA_FILE, &cfg->client_ca_pem);
	if (r >= 0)
		r = check_credentials(c, t, cfg);
	if (r < 0)
		return r;

	build_priorities(t, &prio);
	r = check_priorities(c, t->line, prio.data);
	if (r < 0) {
		buf_free(&prio);
		return r;
	}
	size_t len = 0;
	cfg->priorities = buf_steal(&prio, &len);
	cfg->tls = true;
	return 0;
}

/* ---- basic_auth_users ---------------------------------------------------------------------- */

/* bcrypt's base64 alphabet. */
static bool
is_bcrypt64(char ch)
{
	return ch == '.' || ch == '/' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9');
}

/* Go's bcrypt.Cost(), which is all the toolkit checks, reads only the "$2x$NN$" prefix. The
 * exporter verifies with libxcrypt, which can only ever match a complete hash: "$2a$", "$2b$"
 * or "$2y$" (not the buggy "$2x$"), a cost of 04..31, then 22 salt and 31 hash characters from
 * bcrypt's alphabet, 60 in all. Returns NULL when well formed, else why not. */
static const char *
bcrypt_problem(const char *h, char *buf, size_t size)
{
	size_t len = strlen(h);
	uint64_t cost = 0;
	char digits[3];

	if (len < 7)
		return "too short to be a bcrypt hash";
	if (h[0] != '$' || h[1] != '2' || (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') ||
	    h[3] != '$')
		return "a bcrypt hash starts with \"$2a$\", \"$2b$\" or \"$2y$\"";
	memcpy(digits, h + 4, 2);
	digits[2] = '\0';
	if (digits[0] < '0' || digits[0] > '9' || parse_u64(digits, 10, 99, &cost) < 0 ||
	    h[6] != '$')
		return "the cost must be two digits followed by '$'";
	if (cost < 4 || cost > 31) {
		(void)snprintf(buf, size, "cost %u is outside the allowed range 4..31",
			       (unsigned)cost);
		return buf;
	}
	if (len != 60) {
		(void)snprintf(buf, size, "%zu characters long, a bcrypt hash has 60", len);
		return buf;
	}
	for (size_t i = 7; i < len; i++) {
		if (!is_bcrypt64(h[i])) {
			(void)snprintf(buf, size,
				       "character %zu is not in bcrypt's base64 alphabet "
				       "[./A-Za-z0-9]",
				       i + 1);
			return buf;
		}
	}
	return NULL;
}

/* Basic authentication splits "user:password" at the first ':', so a name with ':' could never
 * log in; control characters (C0, DEL, C1) have no business in a header either. */
static bool
user_name_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == ':')
			return false;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return false;
	}
	return true;
}

static int
user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct web_user *)a)->name, ((const struct web_user *)b)->name);
}

/* basic_auth_users after check_string_map(): names and hashes. */
static int
check_users(struct ctx *c, const struct yaml_node *n, struct web_config *cfg)
{
	char q[QUOTE_SIZE], why[96];

	if (n == NULL || yaml_is_null(n) || n->npairs == 0)
		return 0;
	cfg->users = xcalloc(n->npairs, sizeof(*cfg->users));
	for (size_t i = 0; i < n->npairs; i++) {
		const struct yaml_node *k = n->pairs[i].key, *v = n->pairs[i].value;
		const char *name = NULL, *hash = NULL;
		const char *problem;
		int r = get_string(c, k, "user name", &name);

		if (r >= 0)
			r = get_string(c, v, "password hash", &hash);
		if (r < 0)
			return r;
		if (!user_name_ok(name))
			return fail(c, k->line,
				    "basic_auth_users: user name \"%s\" contains ':' or a control "
				    "character and could never log in",
				    quote(q, name, strlen(name)));
		problem = bcrypt_problem(hash, why, sizeof(why));
		if (problem != NULL)
			return fail(c, v->line,
				    "basic_auth_users: the password hash of user \"%s\" is not a "
				    "bcrypt hash: %s",
				    quote(q, name, strlen(name)), problem);
		cfg->users[cfg->nusers].name = xstrdup(name);
		cfg->users[cfg->nusers].hash = xstrdup(hash);
		cfg->nusers++;
	}
	qsort(cfg->users, cfg->nusers, sizeof(*cfg->users), user_cmp);
	return 0;
}

/* ---- web.HTTPConfig -------------------------------------------------------------------------- */

enum http_field { H_HTTP2, H_HEADERS, NHTTP };
static const char *const http_names[NHTTP] = {[H_HTTP2] = "http2", [H_HEADERS] = "headers"};

/* The toolkit's list, names and values matched exactly (case included), as it does. An empty
 * list of values means any value. */
static const struct {
	const char *name;
	const char *values[3];
} allowed_headers[] = {
	{"Strict-Transport-Security", {NULL}},
	{"X-Content-Type-Options", {"nosniff", NULL}},
	{"X-Frame-Options", {"deny", "sameorigin", NULL}},
	{"X-XSS-Protection", {NULL}},
	{"Content-Security-Policy", {NULL}},
};

/* http_server_config.headers after check_string_map(): names and values. */
static int
check_headers(struct ctx *c, const struct yaml_node *n, struct web_config *cfg)
{
	char q[QUOTE_SIZE], q2[QUOTE_SIZE];

	if (n == NULL || yaml_is_null(n) || n->npairs == 0)
		return 0;
	cfg->headers = xcalloc(n->npairs, sizeof(*cfg->headers));
	for (size_t i = 0; i < n->npairs; i++) {
		const struct yaml_node *k = n->pairs[i].key, *v = n->pairs[i].value;
		const char *name = NULL, *value = NULL;
		size_t h = 0;
		int r = get_string(c, k, "header name", &name);

		if (r >= 0)
			r = get_string(c, v, "header value", &value);
		if (r < 0)
			return r;
		while (h < nitems(allowed_headers) && strcmp(name, allowed_headers[h].name) != 0)
			h++;
		if (h == nitems(allowed_headers))
			return fail(c, k->line,
				    "HTTP header \"%s\" can not be configured (only "
				    "Content-Security-Policy, Strict-Transport-Security, "
				    "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection)",
				    quote(q, name, strlen(name)));
		const char *const *allowed = allowed_headers[h].values;
		bool ok = allowed[0] == NULL;
		for (size_t j = 0; allowed[j] != NULL && !ok; j++)
			ok = strcmp(value, allowed[j]) == 0;
		if (!ok) {
			bool two = allowed[1] != NULL;

			return fail(c, v->line,
				    "invalid value for %s: \"%s\" (expected \"%s\"%s%s%s)", name,
				    quote(q2, value, strlen(value)), allowed[0],
				    two ? " or \"" : "", two ? allowed[1] : "", two ? "\"" : "");
		}
		/* A line break would end the header and start another (response splitting). */
		for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
			if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
				return fail(c, v->line,
					    "value of header %s contains the control character "
					    "0x%02x",
					    name, *p);
		}
		cfg->headers[cfg->nheaders].name = xstrdup(allowed_headers[h].name);
		cfg->headers[cfg->nheaders].value = xstrdup(value);
		cfg->nheaders++;
	}
	return 0;
}

/* Stores the headers node (or NULL) in *ret_headers for check_headers(). */
static int
decode_http(struct ctx *c, const struct yaml_node *n, const struct yaml_node **ret_headers)
{
	const struct yaml_node *f[NHTTP] = {NULL};
	bool http2 = true;
	int r = decode_struct(c, n, "web.HTTPConfig", http_names, NHTTP, f);

	/* http2 is checked and then ignored: libmicrohttpd speaks HTTP/1.1 only. */
	if (r >= 0 && f[H_HTTP2] != NULL)
		r = get_bool(c, f[H_HTTP2], &http2);
	if (r >= 0 && f[H_HEADERS] != NULL)
		r = check_string_map(c, f[H_HEADERS], "map[string]string", "header name",
				     "header value");
	if (r >= 0)
		*ret_headers = f[H_HEADERS];
	return r;
}

/* ---- web.RateLimiterConfig ------------------------------------------------------------------- */

enum rate_field { R_BURST, R_INTERVAL, NRATE };
static const char *const rate_names[NRATE] = {[R_BURST] = "burst", [R_INTERVAL] = "interval"};

/* Go's time.ParseDuration without the sign: one or more <decimal><unit>, units ns, us (µs, μs),
 * ms, s, m, h; "0" alone is zero. Fractions are exact to the nanosecond up to 2^53 ns (about
 * 104 days); above, within a nanosecond or so. Returns 0 or a reason. */
static const char *
go_duration(const char *s, uint64_t *ret_ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {{"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000},
		     {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000},
		     {"h", 3600000000000}};
	const uint64_t max = INT64_MAX;
	uint64_t total = 0;

	if (*s == '-')
		return "must not be negative";
	if (*s == '+')
		s++;
	if (strcmp(s, "0") == 0) {
		*ret_ns = 0;
		return NULL;
	}
	if (*s == '\0')
		return "invalid duration";
	while (*s != '\0') {
		uint64_t whole = 0, frac = 0, scale = 1;
		bool digits = false;
		size_t u = 0;

		for (; *s >= '0' && *s <= '9'; s++, digits = true) {
			if (whole > (max - 9) / 10)
				return "too large";
			whole = whole * 10 + (uint64_t)(*s - '0');
		}
		if (*s == '.') {
			s++;
			for (; *s >= '0' && *s <= '9'; s++, digits = true) {
				/* Digits beyond 1e18 cannot change the result by a nanosecond. */
				if (scale <= UINT64_C(100000000000000000)) {
					frac = frac * 10 + (uint64_t)(*s - '0');
					scale *= 10;
				}
			}
		}
		if (!digits)
			return "invalid duration";
		/* "ms" comes before "m" in the table, so "m" never takes the "m" of "ms". */
		while (u < nitems(units) && strncmp(s, units[u].unit, strlen(units[u].unit)) != 0)
			u++;
		if (u == nitems(units))
			return *s == '\0' || (*s >= '0' && *s <= '9')
				       ? "missing unit in duration (ns, us, ms, s, m, h)"
				       : "unknown unit in duration (ns, us, ms, s, m, h)";
		s += strlen(units[u].unit);
		if (whole > max / units[u].ns)
			return "too large";
		uint64_t v = whole * units[u].ns;
		v += (uint64_t)((double)frac * ((double)units[u].ns / (double)scale));
		if (v > max - total)
			return "too large";
		total += v;
	}
	*ret_ns = total;
	return NULL;
}

static int
decode_rate(struct ctx *c, const struct yaml_node *n, unsigned line, struct web_config *cfg)
{
	const struct yaml_node *f[NRATE] = {NULL};
	char q[QUOTE_SIZE];
	uint64_t burst = 0, interval = 0;
	int r = decode_struct(c, n, "web.RateLimiterConfig", rate_names, NRATE, f);

	if (r < 0)
		return r;
	if (f[R_BURST] != NULL && !yaml_is_null(f[R_BURST])) {
		const struct yaml_node *b = f[R_BURST];

		if (b->kind != YAML_SCALAR || b->style != YAML_PLAIN || !is_int_text(b->text))
			return type_error(c, b, "int");
		if (b->text[0] == '-')
			return fail(c, b->line, "rate_limit: burst must not be negative");
		if (parse_u64(b->text[0] == '+' ? b->text + 1 : b->text, 10, INT64_MAX, &burst) < 0)
			return fail(c, b->line, "rate_limit: burst %s is too large",
				    quote(q, b->text, b->len));
	}
	if (f[R_INTERVAL] != NULL && !yaml_is_null(f[R_INTERVAL])) {
		const char *s = NULL, *why;

		r = get_string(c, f[R_INTERVAL], "rate_limit.interval", &s);
		if (r < 0)
			return r;
		why = go_duration(s, &interval);
		if (why != NULL)
			return fail(c, f[R_INTERVAL]->line, "rate_limit: interval \"%s\": %s",
				    quote(q, s, strlen(s)), why);
	}
	/* A token bucket of size 0 refuses everything; the toolkit would answer 429 forever. */
	if (interval > 0 && burst == 0)
		return fail(c, line,
			    "rate_limit: burst must be at least 1 when interval is set");
	cfg->rate_interval_ns = interval;
	cfg->rate_burst = burst;
	return 0;
}

/* ---- web.Config ------------------------------------------------------------------------------ */

enum config_field { C_TLS, C_HTTP, C_RATE, C_USERS, NCONFIG };
static const char *const config_names[NCONFIG] = {
	[C_TLS] = "tls_server_config",
	[C_HTTP] = "http_server_config",
	[C_RATE] = "rate_limit",
	[C_USERS] = "basic_auth_users",
};

int
web_config_parse(const char *text, size_t len, int dirfd, struct web_config *ret, char *err,
		 size_t errlen)
{
	struct ctx c = {.dirfd = dirfd, .err = err, .errlen = errlen};
	struct yaml_doc *doc = NULL;
	struct web_config cfg = {0};
	struct tls_in tls = {.min_version = TLS12, .max_version = TLS13, .prefer_server = true};
	const struct yaml_node *root, *headers = NULL, *users = NULL;
	char q[QUOTE_SIZE];
	int r;

	if (errlen > 0)
		err[0] = '\0';
	/* Unset string fields read as "", with or without a tls_server_config section. */
	for (size_t i = 0; i < NTLS; i++)
		tls.s[i] = "";
	r = yaml_parse(text, len, &doc, err, errlen);
	if (r < 0)
		goto out;
	root = yaml_doc_root(doc);
	if (root != NULL && !yaml_is_null(root) && root->kind != YAML_MAPPING) {
		r = type_error(&c, root, "web.Config");
		goto out;
	}
	/* First what the Go decoder checks: keys, types and names (versions, ciphers, curves),
	 * section by section in file order. The first error is reported where Go may collect
	 * several. (yaml.c has refused duplicate sections.) */
	for (size_t i = 0; root != NULL && root->kind == YAML_MAPPING && i < root->npairs; i++) {
		const struct yaml_node *k = root->pairs[i].key, *v = root->pairs[i].value;

		if (key_is(k, config_names[C_TLS])) {
			tls.line = k->line;
			r = decode_tls(&c, v, &tls);
		} else if (key_is(k, config_names[C_HTTP])) {
			r = decode_http(&c, v, &headers);
		} else if (key_is(k, config_names[C_RATE])) {
			r = decode_rate(&c, v, k->line, &cfg);
		} else if (key_is(k, config_names[C_USERS])) {
			r = check_string_map(&c, v, "map[string]config.Secret", "user name",
					     "password hash");
			users = v;
		} else {
			r = fail(&c, k->line, "field %s not found in type web.Config",
				 quote(q, k->text, k->len));
		}
		if (r < 0)
			goto out;
	}
	/* Then the toolkit's own checks, in its order: headers, password hashes, TLS. */
	r = check_headers(&c, headers, &cfg);
	if (r >= 0)
		r = check_users(&c, users, &cfg);
	if (r >= 0)
		r = setup_tls(&c, &tls, &cfg);
	if (r < 0)
		goto out;
	*ret = cfg;
	memset(&cfg, 0, sizeof(cfg));
out:
	web_config_free(&cfg);
	yaml_doc_free(doc);
	return r;
}

/* The directory relative file references resolve from: the config's own, as in the toolkit.
 * Caller frees. */
static char *
config_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
web_config_load(const char *path, struct web_config *ret, char *err, size_t errlen)
{
	struct ctx c = {.dirfd = -1, .err = err, .errlen = errlen};
	char q[QUOTE_SIZE], e[128];
	char *text = NULL, *dir = NULL;
	int dirfd = -1;
	int r;

	if (errlen > 0)
		err[0] = '\0';
	ssize_t n = sysfs_read_file(AT_FDCWD, path, WEB_FILE_MAX, &text);
	if (n < 0) {
		r = (int)n;
		if (r == -EFBIG)
			set_error(&c, 0, "%s: larger than %d bytes", quote(q, path, strlen(path)),
				  WEB_FILE_MAX);
		else
			set_error(&c, 0, "%s: %s", quote(q, path, strlen(path)),
				  read_error(r, e, sizeof(e)));
		goto out;
	}
	dir = config_dir(path);
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		r = -errno;
		set_error(&c, 0, "%s: %s", quote(q, dir, strlen(dir)),
			  strerror_r(-r, e, sizeof(e)));
		goto out;
	}
	r = web_config_parse(text, (size_t)n, dirfd, ret, err, errlen);
out:
	if (dirfd >= 0)
		(void)close(dirfd);
	free(dir);
	free(text);
	return r;
}

size_t
web_config_files(const char *path, char **ret, size_t max)
{
	static const char *const fields[] = {"cert_file", "key_file", "client_ca_file"};
	struct yaml_doc *doc = NULL;
	char *text = NULL, *dir = NULL;
	size_t n = 0;

	if (max == 0)
		return 0;
	ret[n++] = xstrdup(path);
	ssize_t len = sysfs_read_file(AT_FDCWD, path, WEB_FILE_MAX, &text);
	if (len < 0 || yaml_parse(text, (size_t)len, &doc, NULL, 0) < 0)
		goto out;
	const struct yaml_node *root = yaml_doc_root(doc), *tls = NULL;
	for (size_t i = 0; root != NULL && root->kind == YAML_MAPPING && i < root->npairs; i++) {
		if (key_is(root->pairs[i].key, config_names[C_TLS]))
			tls = root->pairs[i].value;
	}
	if (tls == NULL || tls->kind != YAML_MAPPING)
		goto out;
	dir = config_dir(path);
	for (size_t i = 0; i < tls->npairs && n < max; i++) {
		const struct yaml_node *v = tls->pairs[i].value;
		for (size_t f = 0; f < nitems(fields); f++) {
			if (!key_is(tls->pairs[i].key, fields[f]) || v->kind != YAML_SCALAR ||
			    v->len == 0 || strlen(v->text) != v->len)
				continue;
			if (v->text[0] == '/') {
				ret[n++] = xstrdup(v->text);
			} else {
				struct buf b = BUF_INIT;
				size_t blen;
				buf_printf(&b, "%s/%s", dir, v->text);
				ret[n++] = buf_steal(&b, &blen);
			}
		}
	}
out:
	free(dir);
	yaml_doc_free(doc);
	free(text);
	return n;
}

void
web_config_free(struct web_config *c)
{
	if (c == NULL)
		return;
	free(c->cert_pem);
	free(c->key_pem);
	free(c->client_ca_pem);
	for (size_t i = 0; i < c->nallowed_sans; i++)
		free(c->allowed_sans[i]);
	free(c->allowed_sans);
	free(c->priorities);
	for (size_t i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		free(c->users[i].hash);
	}
	free(c->users);
	for (size_t i = 0; i < c->nheaders; i++) {
		free(c->headers[i].name);
		free(c->headers[i].value);
	}
	free(c->headers);
	memset(c, 0, sizeof(*c));
}
