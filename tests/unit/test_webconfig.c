/* Unit tests for webconfig.c: each key and its defaults, the GnuTLS priority strings the TLS
 * options become, and every error with its exact message and line. Certificate files are the
 * checked-in fixtures (tests/fixtures/webconfig/, found through $EXPORTER_TEST_DATA or
 * TEST_DATA_DIR), copied into a mkdtemp() tree that the tests also write configs and broken
 * files into. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "testlib.h"
#include "webconfig.h"

/* Password hashes for "secret", "hunter2" and "other" (cost 4, 4, 10). */
#define HASH_A "$2y$04$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTS"
#define HASH_B "$2a$04$XpVBcB1ghdl7Qbf6NKl5se/KYgwbdAtcts22.abLy9vQATMBvvJDW"
#define HASH_C "$2b$10$zc58O2H97kouaXdcVTDk7uq.j6xadFNZKvAvlwCTmgAS0PsXg.l4q"

#define TLS_FILES "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
#define PRIO_DEFAULT "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE"

static char *tree;   /* the mkdtemp() tree with the certificate files */
static int tree_dfd = -1;
static char *pem_cert, *pem_key, *pem_other_key, *pem_ca;

static char *
slurp(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t len;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)n);
	(void)close(fd);
	return buf_steal(&b, &len);
}

static int
setup(void **state)
{
	const char *base = getenv("EXPORTER_TEST_DATA");
	char path[PATH_MAX];
	char **pems[] = {&pem_cert, &pem_key, &pem_other_key, &pem_ca};
	static const char *const names[] = {"server.crt", "server.key", "other.key", "ca.crt"};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		(void)snprintf(path, sizeof(path), "%s/webconfig/%s",
			       base != NULL ? base : TEST_DATA_DIR, names[i]);
		*pems[i] = slurp(path);
		if (*pems[i] == NULL)
			return -1;
	}
	tree = tree_new(NULL, "webconfig");
	if (tree == NULL)
		return -1;
	tree_dfd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return tree_dfd < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (tree_dfd >= 0)
		(void)close(tree_dfd);
	free(pem_cert);
	free(pem_key);
	free(pem_other_key);
	free(pem_ca);
	return tree_free(tree);
}

/* Each test starts with the certificate files, and only them, in the tree. */
static int
put_files(void **state)
{
	(void)state;
	/* tree_rm() wants the path to exist: whatever the last test left in sub/ goes. */
	tree_put(tree, "sub/x", "");
	tree_rm(tree, "sub");
	tree_put(tree, "server.crt", pem_cert);
	tree_put(tree, "server.key", pem_key);
	tree_put(tree, "other.key", pem_other_key);
	tree_put(tree, "ca.crt", pem_ca);
	tree_put(tree, "not-a-cert.pem", "no PEM here\n");
	return 0;
}

static void
parse_ok_at(const char *text, int dfd, struct web_config *c)
{
	char err[512] = "";
	int r;

	memset(c, 0xa5, sizeof(*c));
	r = web_config_parse(text, strlen(text), dfd, c, err, sizeof(err));
	if (r != 0)
		fail_msg("web_config_parse() = %d: %s\ninput:\n%s", r, err, text);
}

static void
parse_ok(const char *text, struct web_config *c)
{
	parse_ok_at(text, tree_dfd, c);
}

/* The call must fail with RC and exactly WANT (or, with SUBSTRING, a message containing it),
 * leave *ret untouched and write one printable line. */
static void
check_fail(const char *text, size_t len, int dfd, int rc, const char *want, bool substring)
{
	struct web_config c, sentinel;
	char err[512];
	int r;

	memset(&c, 0x5a, sizeof(c));
	memset(&sentinel, 0x5a, sizeof(sentinel));
	memset(err, 'X', sizeof(err));
	r = web_config_parse(text, len, dfd, &c, err, sizeof(err));
	if (r != rc || (substring ? strstr(err, want) == NULL : strcmp(err, want) != 0))
		fail_msg("web_config_parse() = %d \"%s\", want %d \"%s\"\ninput:\n%s", r, err, rc,
			 want, text);
	assert_memory_equal(&c, &sentinel, sizeof(c));
	for (const char *p = err; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("control character in the message \"%s\"", err);
	}
}

#define assert_fail(text, want) check_fail((text), strlen(text), tree_dfd, -EINVAL, (want), false)
#define assert_fail_rc(text, rc, want)                                                             \
	check_fail((text), strlen(text), tree_dfd, (rc), (want), false)
#define assert_fail_sub(text, want) check_fail((text), strlen(text), tree_dfd, -EINVAL, (want), true)

static void
assert_empty_config(const struct web_config *c)
{
	assert_false(c->tls);
	assert_null(c->cert_pem);
	assert_null(c->key_pem);
	assert_null(c->client_ca_pem);
	assert_int_equal(c->client_auth, WEB_CLIENT_NO_CERT);
	assert_null(c->allowed_sans);
	assert_int_equal(c->nallowed_sans, 0);
	assert_null(c->priorities);
	assert_null(c->users);
	assert_int_equal(c->nusers, 0);
	assert_null(c->headers);
	assert_int_equal(c->nheaders, 0);
	assert_int_equal(c->rate_interval_ns, 0);
	assert_int_equal(c->rate_burst, 0);
}

static void
test_empty(void **state)
{
	static const char *const texts[] = {
		"", "# comment only\n", "---\n", "~\n", "null\n",
		"tls_server_config:\nhttp_server_config: ~\nbasic_auth_users: null\nrate_limit:\n",
		"tls_server_config: {}\nhttp_server_config: {}\nbasic_auth_users: {}\n"
		"rate_limit: {}\n",
		"http_server_config:\n  http2: true\n  headers: {}\n",
		"rate_limit: {interval: 0, burst: 0}\n",
		/* TLS options without cert, key, CA or client auth: TLS stays off. */
		"tls_server_config:\n  min_version: TLS10\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"
		"  curve_preferences: [X25519]\n  prefer_server_cipher_suites: false\n"
		"  cert_file: \"\"\n  client_allowed_sans: [x]\n",
	};
	struct web_config c;
	(void)state;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		parse_ok(texts[i], &c);
		assert_empty_config(&c);
		web_config_free(&c);
	}
	/* A burst without an interval is kept, and unused. */
	parse_ok("rate_limit: {interval: 0, burst: 3}\n", &c);
	assert_int_equal(c.rate_interval_ns, 0);
	assert_int_equal(c.rate_burst, 3);
	web_config_free(&c);
	/* Free is NULL-safe, and safe twice (the struct is zeroed). */
	web_config_free(NULL);
	web_config_free(&c);
	assert_empty_config(&c);
}

static void
test_tls_files(void **state)
{
	struct web_config c;
	(void)state;

	parse_ok(TLS_FILES, &c);
	assert_true(c.tls);
	assert_string_equal(c.cert_pem, pem_cert);
	assert_string_equal(c.key_pem, pem_key);
	assert_null(c.client_ca_pem);
	assert_int_equal(c.client_auth, WEB_CLIENT_NO_CERT);
	assert_null(c.allowed_sans);
	assert_string_equal(c.priorities, PRIO_DEFAULT);
	assert_null(c.users);
	web_config_free(&c);
	assert_empty_config(&c);

	/* Paths below the base directory and absolute paths. */
	tree_put(tree, "sub/dir/c.pem", pem_cert);
	char text[PATH_MAX + 128];
	xsnprintf(text, sizeof(text),
		  "tls_server_config:\n  cert_file: sub/dir/c.pem\n  key_file: %s/server.key\n",
		  tree);
	parse_ok(text, &c);
	assert_string_equal(c.cert_pem, pem_cert);
	assert_string_equal(c.key_pem, pem_key);
	web_config_free(&c);
}

/* A literal block scalar holding PEM, indented for a key at two spaces. */
static char *
inline_pem(const char *key, const char *pem)
{
	struct buf b = BUF_INIT;
	size_t len;

	buf_printf(&b, "  %s: |\n", key);
	for (const char *p = pem; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

		buf_puts(&b, "    ");
		buf_append(&b, p, n);
		buf_putc(&b, '\n');
		p += n + (nl != NULL);
	}
	return buf_steal(&b, &len);
}

static unsigned
lines(const char *s)
{
	unsigned n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
test_tls_inline(void **state)
{
	struct web_config c;
	struct buf b = BUF_INIT;
	size_t len;
	char *cert = inline_pem("cert", pem_cert), *key = inline_pem("key", pem_key);
	char *ca = inline_pem("client_ca", pem_ca);
	(void)state;

	buf_printf(&b, "tls_server_config:\n%s%s%s  client_auth_type: RequireAndVerifyClientCert\n",
		   cert, key, ca);
	char *text = buf_steal(&b, &len);
	/* Inline values need no base directory. */
	parse_ok_at(text, -1, &c);
	assert_true(c.tls);
	assert_string_equal(c.cert_pem, pem_cert);
	assert_string_equal(c.key_pem, pem_key);
	assert_string_equal(c.client_ca_pem, pem_ca);
	assert_int_equal(c.client_auth, WEB_CLIENT_REQUIRE_AND_VERIFY);
	web_config_free(&c);
	free(text);

	/* Inline and file together is an error, for each of the three; the line is the file
	 * key's, after the "key: |" line and the PEM's lines. */
	char want[128];
	buf_printf(&b, "tls_server_config:\n%s  cert_file: server.crt\n  key_file: server.key\n",
		   cert);
	text = buf_steal(&b, &len);
	xsnprintf(want, sizeof(want), "line %u: cannot specify both cert and cert_file",
		  3 + lines(pem_cert));
	assert_fail(text, want);
	free(text);
	buf_printf(&b, "tls_server_config:\n  cert_file: server.crt\n%s  key_file: server.key\n",
		   key);
	text = buf_steal(&b, &len);
	xsnprintf(want, sizeof(want), "line %u: cannot specify both key and key_file",
		  4 + lines(pem_key));
	assert_fail(text, want);
	free(text);
	buf_printf(&b, "%s%s  client_auth_type: RequireAnyClientCert\n  client_ca_file: ca.crt\n",
		   TLS_FILES, ca);
	text = buf_steal(&b, &len);
	xsnprintf(want, sizeof(want), "line %u: cannot specify both client_ca and client_ca_file",
		  6 + lines(pem_ca));
	assert_fail(text, want);
	free(text);
	free(cert);
	free(key);
	free(ca);
}

static void
test_tls_file_errors(void **state)
{
	char big[64];
	(void)state;

	assert_fail("tls_server_config:\n  cert_file: server.crt\n",
		    "line 1: tls_server_config: missing one of key or key_file");
	assert_fail("# c\ntls_server_config:\n  key_file: server.key\n",
		    "line 2: tls_server_config: missing one of cert or cert_file");
	assert_fail("tls_server_config:\n  client_auth_type: RequestClientCert\n",
		    "line 1: tls_server_config: missing one of cert or cert_file");
	assert_fail("tls_server_config:\n  client_ca_file: ca.crt\n",
		    "line 1: tls_server_config: missing one of cert or cert_file");
	assert_fail_rc("tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n",
		       -ENOENT, "line 2: cert_file: cannot read \"nope.crt\": No such file or directory");
	assert_fail_rc("tls_server_config:\n  cert_file: server.crt\n  key_file: sub\n", -ENOENT,
		       "line 3: key_file: cannot read \"sub\": No such file or directory");
	tree_put(tree, "sub/x", "");
	assert_fail_rc("tls_server_config:\n  cert_file: sub\n  key_file: server.key\n", -EINVAL,
		       "line 2: cert_file: cannot read \"sub\": not a regular file");
	/* dirfd < 0 (the fuzzer's mode): no file is opened. */
	check_fail(TLS_FILES, strlen(TLS_FILES), -1, -EINVAL,
		   "line 2: cert_file: files cannot be read here (no base directory)", false);
	/* A file above 1 MiB, and one with a NUL byte. */
	char *huge = malloc((1 << 20) + 2);
	assert_non_null(huge);
	memset(huge, 'A', (1 << 20) + 1);
	huge[(1 << 20) + 1] = '\0';
	tree_put(tree, "huge.crt", huge);
	free(huge);
	xsnprintf(big, sizeof(big), "line 2: cert_file: \"huge.crt\" is larger than %d bytes",
		  1 << 20);
	assert_fail_rc("tls_server_config:\n  cert_file: huge.crt\n  key_file: server.key\n",
		       -EFBIG, big);
	int fd = openat(tree_dfd, "nul.crt", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "-----BEGIN\0", 11), 11);
	assert_int_equal(close(fd), 0);
	assert_fail("tls_server_config:\n  cert_file: nul.crt\n  key_file: server.key\n",
		    "line 2: cert_file: \"nul.crt\" contains a NUL byte: not PEM text (DER?)");
	/* GnuTLS refuses the pair. */
	assert_fail("tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n",
		    "line 2: tls_server_config: cannot load the certificate (cert_file "
		    "\"server.crt\") and key (key_file \"other.key\"): The certificate and the "
		    "given key do not match.");
	assert_fail("tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n",
		    "line 2: tls_server_config: cannot load the certificate (cert_file "
		    "\"server.key\") and key (key_file \"server.key\"): No certificate was found. "
		    "(the certificate input holds a private key: switched?)");
	assert_fail("tls_server_config:\n  cert_file: server.crt\n  key: not a key\n",
		    "line 2: tls_server_config: cannot load the certificate (cert_file "
		    "\"server.crt\") and key (key): The requested data were not available.");
	assert_fail("tls_server_config:\n  cert: not a cert\n  key_file: server.key\n",
		    "line 2: tls_server_config: cannot load the certificate (cert) and key "
		    "(key_file \"server.key\"): No certificate was found.");
	/* A damaged certificate (the fuzzer's find: GnuTLS's key_mem2 leaks on it, the ASan and
	 * valgrind runs of this test would report that). */
	char *bad = strdup(pem_cert);
	assert_non_null(bad);
	char *line3 = strchr(strchr(bad, '\n') + 1, '\n') + 1;
	line3[16] = '\t';
	tree_put(tree, "damaged.crt", bad);
	free(bad);
	assert_fail("tls_server_config:\n  cert_file: damaged.crt\n  key_file: server.key\n",
		    "line 2: tls_server_config: cannot load the certificate (cert_file "
		    "\"damaged.crt\") and key (key_file \"server.key\"): Base64 unexpected header "
		    "error.");
	/* A file name with control characters is quoted escaped. */
	assert_fail_rc("tls_server_config:\n  cert_file: \"a\\tb\"\n  key_file: server.key\n",
		       -ENOENT, "line 2: cert_file: cannot read \"a\\x09b\": No such file or directory");
	assert_fail("tls_server_config:\n  cert_file: \"a\\0b\"\n  key_file: server.key\n",
		    "line 2: cert_file contains a NUL byte");
}

static void
test_client_auth(void **state)
{
	static const struct {
		const char *name;
		enum web_client_auth want;
	} auths[] = {
		{"NoClientCert", WEB_CLIENT_NO_CERT},
		{"RequestClientCert", WEB_CLIENT_REQUEST},
		{"RequireAnyClientCert", WEB_CLIENT_REQUIRE_ANY},
		{"RequireClientCert", WEB_CLIENT_REQUIRE_ANY},
		{"VerifyClientCertIfGiven", WEB_CLIENT_VERIFY_IF_GIVEN},
		{"RequireAndVerifyClientCert", WEB_CLIENT_REQUIRE_AND_VERIFY},
	};
	struct web_config c;
	char text[512];
	(void)state;

	for (size_t i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
		xsnprintf(text, sizeof(text), TLS_FILES "  client_auth_type: %s\n%s", auths[i].name,
			  auths[i].want != WEB_CLIENT_NO_CERT ? "  client_ca_file: ca.crt\n" : "");
		parse_ok(text, &c);
		assert_true(c.tls);
		assert_int_equal(c.client_auth, auths[i].want);
		if (auths[i].want != WEB_CLIENT_NO_CERT)
			assert_string_equal(c.client_ca_pem, pem_ca);
		else
			assert_null(c.client_ca_pem);
		web_config_free(&c);
	}
	/* Go verifies against the system roots without a CA; we refuse (see webconfig.c). */
	assert_fail(TLS_FILES "  client_auth_type: VerifyClientCertIfGiven\n",
		    "line 4: client_auth_type VerifyClientCertIfGiven verifies client certificates "
		    "and needs client_ca_file (or client_ca) to verify them against");
	assert_fail(TLS_FILES "  client_auth_type: RequireAndVerifyClientCert\n",
		    "line 4: client_auth_type RequireAndVerifyClientCert verifies client "
		    "certificates and needs client_ca_file (or client_ca) to verify them against");
	/* The modes that do not verify need none. */
	parse_ok(TLS_FILES "  client_auth_type: RequireAnyClientCert\n", &c);
	assert_null(c.client_ca_pem);
	web_config_free(&c);
	/* Empty means NoClientCert. */
	parse_ok(TLS_FILES "  client_auth_type: \"\"\n", &c);
	assert_int_equal(c.client_auth, WEB_CLIENT_NO_CERT);
	web_config_free(&c);

	assert_fail(TLS_FILES "  client_auth_type: requireclientcert\n",
		    "line 4: invalid client_auth_type: requireclientcert (one of NoClientCert, "
		    "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, "
		    "RequireAndVerifyClientCert)");
	assert_fail(TLS_FILES "  client_ca_file: ca.crt\n",
		    "line 4: client_ca_file is set but client_auth_type is NoClientCert (client CAs "
		    "need a client auth policy)");
	assert_fail(TLS_FILES "  client_auth_type: NoClientCert\n  client_ca: x\n",
		    "line 5: client_ca is set but client_auth_type is NoClientCert (client CAs need "
		    "a client auth policy)");
	assert_fail(TLS_FILES "  client_auth_type: RequireAnyClientCert\n"
			      "  client_ca_file: not-a-cert.pem\n",
		    "line 5: client_ca_file: no PEM certificate found");
	assert_fail(TLS_FILES "  client_auth_type: RequireAnyClientCert\n"
			      "  client_ca: \"-----BEGIN CERTIFICATE-----\\nAAAA\\n"
			      "-----END CERTIFICATE-----\\n\"\n",
		    "line 5: client_ca: cannot load the client CAs: ASN1 parser: Error in TAG.");
	assert_fail_rc(TLS_FILES "  client_auth_type: RequireAnyClientCert\n"
				 "  client_ca_file: missing.pem\n",
		       -ENOENT,
		       "line 5: client_ca_file: cannot read \"missing.pem\": No such file or directory");
}

static void
test_allowed_sans(void **state)
{
	struct web_config c;
	(void)state;

	parse_ok(TLS_FILES "  client_auth_type: RequireAnyClientCert\n"
			   "  client_allowed_sans: [a.example, ~, 'spiffe://x/y', 10.0.0.1]\n",
		 &c);
	assert_int_equal(c.nallowed_sans, 3);
	assert_string_equal(c.allowed_sans[0], "a.example");
	assert_string_equal(c.allowed_sans[1], "spiffe://x/y");
	assert_string_equal(c.allowed_sans[2], "10.0.0.1");
	web_config_free(&c);
	parse_ok(TLS_FILES "  client_auth_type: RequireAndVerifyClientCert\n"
			   "  client_ca_file: ca.crt\n  client_allowed_sans:\n    - only\n",
		 &c);
	assert_int_equal(c.nallowed_sans, 1);
	web_config_free(&c);
	/* Null is "not given". */
	parse_ok(TLS_FILES "  client_allowed_sans:\n", &c);
	assert_null(c.allowed_sans);
	web_config_free(&c);

	assert_fail(TLS_FILES "  client_auth_type: VerifyClientCertIfGiven\n"
			      "  client_ca_file: ca.crt\n  client_allowed_sans: [a]\n",
		    "line 6: client_allowed_sans requires client_auth_type RequireAnyClientCert "
		    "or RequireAndVerifyClientCert");
	assert_fail(TLS_FILES "  client_allowed_sans: [a]\n",
		    "line 4: client_allowed_sans requires client_auth_type RequireAnyClientCert "
		    "or RequireAndVerifyClientCert");
	assert_fail(TLS_FILES "  client_auth_type: RequireAnyClientCert\n"
			      "  client_allowed_sans: []\n",
		    "line 5: client_allowed_sans is empty: no client certificate could match");
	/* Types are checked even with TLS off, as the Go decoder does. */
	assert_fail("tls_server_config:\n  client_allowed_sans: a\n",
		    "line 2: cannot unmarshal !!str `a` into []string");
	assert_fail("tls_server_config:\n  client_allowed_sans: [[a]]\n",
		    "line 2: cannot unmarshal !!seq into string");
}

static void
check_priorities(const char *options, const char *want)
{
	struct web_config c;
	char text[1024];

	xsnprintf(text, sizeof(text), TLS_FILES "%s", options);
	parse_ok(text, &c);
	assert_string_equal(c.priorities, want);
	web_config_free(&c);
}

static void
test_priorities(void **state)
{
	(void)state;
	check_priorities("", PRIO_DEFAULT);
	check_priorities("  min_version: TLS12\n  max_version: TLS13\n"
			 "  prefer_server_cipher_suites: true\n",
			 PRIO_DEFAULT);
	check_priorities("  min_version: ~\n  max_version: null\n", PRIO_DEFAULT);
	check_priorities("  prefer_server_cipher_suites: false\n",
			 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
	check_priorities("  prefer_server_cipher_suites: no\n  min_version: TLS10\n",
			 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0");
	check_priorities("  min_version: TLS13\n",
			 "NORMAL:-VERS-ALL:+VERS-TLS1.3:%SERVER_PRECEDENCE");
	check_priorities("  min_version: TLS11\n  max_version: TLS11\n",
			 "NORMAL:-VERS-ALL:+VERS-TLS1.1:%SERVER_PRECEDENCE");
	/* Suites become the union of their parts, in the order listed, each once; TLS 1.3 suites
	 * add no key exchange; repeats are dropped. */
	check_priorities("  cipher_suites:\n"
			 "  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n"
			 "  - TLS_AES_128_GCM_SHA256\n"
			 "  - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n"
			 "  - TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\n"
			 "  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n",
			 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:-MAC-ALL:-KX-ALL"
			 ":+AES-256-GCM:+AES-128-GCM:+AES-128-CBC:+AEAD:+SHA1:+ECDHE-RSA:+ECDHE-ECDSA"
			 ":%SERVER_PRECEDENCE");
	check_priorities("  cipher_suites: [TLS_CHACHA20_POLY1305_SHA256, "
			 "TLS_RSA_WITH_AES_256_CBC_SHA]\n"
			 "  curve_preferences: [CurveP521, X25519, CurveP521, CurveP384, CurveP256]\n",
			 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:-MAC-ALL:-KX-ALL"
			 ":+CHACHA20-POLY1305:+AES-256-CBC:+AEAD:+SHA1:+RSA:-GROUP-ALL"
			 ":+GROUP-SECP521R1:+GROUP-X25519:+GROUP-SECP384R1:+GROUP-SECP256R1"
			 ":%SERVER_PRECEDENCE");
	/* Null entries are skipped (Go's zero value matches nothing). */
	check_priorities("  cipher_suites: [~, TLS_AES_256_GCM_SHA384]\n"
			 "  curve_preferences: [~, X25519]\n",
			 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:-MAC-ALL:-KX-ALL"
			 ":+AES-256-GCM:+AEAD:-GROUP-ALL:+GROUP-X25519:%SERVER_PRECEDENCE");
	check_priorities("  cipher_suites: []\n  curve_preferences: []\n", PRIO_DEFAULT);
}

static void
test_tls_value_errors(void **state)
{
	(void)state;
	assert_fail(TLS_FILES "  min_version: TLS1.2\n",
		    "line 4: unknown TLS version: \"TLS1.2\" (one of TLS10, TLS11, TLS12, TLS13)");
	assert_fail(TLS_FILES "  max_version: tls13\n",
		    "line 4: unknown TLS version: \"tls13\" (one of TLS10, TLS11, TLS12, TLS13)");
	assert_fail(TLS_FILES "  min_version: ''\n",
		    "line 4: unknown TLS version: \"\" (one of TLS10, TLS11, TLS12, TLS13)");
	assert_fail(TLS_FILES "  min_version: [TLS12]\n",
		    "line 4: cannot unmarshal !!seq into string");
	assert_fail(TLS_FILES "  min_version: TLS13\n  max_version: TLS12\n",
		    "line 4: min_version TLS13 is above max_version TLS12");
	assert_fail(TLS_FILES "  max_version: TLS10\n",
		    "line 4: min_version TLS12 is above max_version TLS10");
	assert_fail(TLS_FILES "  cipher_suites:\n    - TLS_AES_128_GCM_SHA256\n"
			      "    - TLS_RSA_WITH_RC4_128_SHA\n",
		    "line 6: unknown cipher: \"TLS_RSA_WITH_RC4_128_SHA\"");
	assert_fail(TLS_FILES "  cipher_suites: [tls_aes_128_gcm_sha256]\n",
		    "line 4: unknown cipher: \"tls_aes_128_gcm_sha256\"");
	assert_fail(TLS_FILES "  cipher_suites: {a: b}\n",
		    "line 4: cannot unmarshal !!map into []web.Cipher");
	assert_fail(TLS_FILES "  curve_preferences: [P256]\n", "line 4: unknown curve: \"P256\"");
	assert_fail(TLS_FILES "  curve_preferences: X25519\n",
		    "line 4: cannot unmarshal !!str `X25519` into []web.Curve");
	assert_fail(TLS_FILES "  prefer_server_cipher_suites: 1\n",
		    "line 4: cannot unmarshal !!int `1` into bool");
	/* Only nulls: Go keeps a list that matches nothing; skipping them would mean defaults. */
	assert_fail(TLS_FILES "  cipher_suites: [~]\n",
		    "line 4: only null entries in the cipher list (Go reads them as cipher 0, which "
		    "matches no cipher)");
	assert_fail(TLS_FILES "  curve_preferences:\n  -\n  - null\n",
		    "line 5: only null entries in the curve list (Go reads them as curve 0, which "
		    "matches no curve)");
	/* Name errors come from decoding, before and without TLS. */
	assert_fail("tls_server_config:\n  cipher_suites: [X]\n", "line 2: unknown cipher: \"X\"");
	/* Nothing left to negotiate. */
	assert_fail(TLS_FILES "  max_version: TLS12\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
		    "line 1: tls_server_config: no cipher suite is left for the enabled TLS "
		    "versions (cipher_suites, min_version, max_version)");
	assert_fail(TLS_FILES "  min_version: TLS13\n"
			      "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA]\n",
		    "line 1: tls_server_config: no cipher suite is left for the enabled TLS "
		    "versions (cipher_suites, min_version, max_version): No or insufficient "
		    "priorities were set.");
}

static void
test_users(void **state)
{
	struct web_config c;
	(void)state;

	parse_ok("basic_auth_users:\n"
		 "  zed: " HASH_C "\n"
		 "  alice: '" HASH_A "'\n"
		 "  \"\": " HASH_B "\n"
		 "  J\xc3\xb6rg: " HASH_A "\n"
		 "  Bob: \"" HASH_B "\"\n",
		 &c);
	assert_false(c.tls);
	assert_int_equal(c.nusers, 5);
	/* Sorted bytewise. */
	assert_string_equal(c.users[0].name, "");
	assert_string_equal(c.users[1].name, "Bob");
	assert_string_equal(c.users[2].name, "J\xc3\xb6rg");
	assert_string_equal(c.users[3].name, "alice");
	assert_string_equal(c.users[4].name, "zed");
	assert_string_equal(c.users[1].hash, HASH_B);
	assert_string_equal(c.users[3].hash, HASH_A);
	assert_string_equal(c.users[4].hash, HASH_C);
	web_config_free(&c);

	/* A plain null key is the empty name, as Go decodes it. */
	parse_ok("basic_auth_users: {~: " HASH_A "}\n", &c);
	assert_string_equal(c.users[0].name, "");
	web_config_free(&c);
}

static void
test_user_errors(void **state)
{
	(void)state;
#define BAD_HASH(hash, why)                                                                        \
	assert_fail("basic_auth_users:\n  alice: '" hash "'\n",                                    \
		    "line 2: basic_auth_users: the password hash of user \"alice\" is not a bcrypt " \
		    "hash: " why)
	BAD_HASH("", "too short to be a bcrypt hash");
	BAD_HASH("$2y$04", "too short to be a bcrypt hash");
	BAD_HASH("x2y$04$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTS",
		 "a bcrypt hash starts with \"$2a$\", \"$2b$\" or \"$2y$\"");
	BAD_HASH("$2x$04$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTS",
		 "a bcrypt hash starts with \"$2a$\", \"$2b$\" or \"$2y$\"");
	BAD_HASH("$1y$04$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTS",
		 "a bcrypt hash starts with \"$2a$\", \"$2b$\" or \"$2y$\"");
	BAD_HASH("$2y04$$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTS",
		 "a bcrypt hash starts with \"$2a$\", \"$2b$\" or \"$2y$\"");
	BAD_HASH("$2y$4$$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTS",
		 "the cost must be two digits followed by '$'");
	BAD_HASH("$2y$+4$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTS",
		 "the cost must be two digits followed by '$'");
	BAD_HASH("$2y$04XMCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTS",
		 "the cost must be two digits followed by '$'");
	BAD_HASH("$2y$03$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTS",
		 "cost 3 is outside the allowed range 4..31");
	BAD_HASH("$2y$32$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTS",
		 "cost 32 is outside the allowed range 4..31");
	BAD_HASH("$2y$04$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFT",
		 "59 characters long, a bcrypt hash has 60");
	BAD_HASH("$2y$04$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTSS",
		 "61 characters long, a bcrypt hash has 60");
	BAD_HASH("$2y$04$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvF+S",
		 "character 59 is not in bcrypt's base64 alphabet [./A-Za-z0-9]");
	BAD_HASH("$2y$04$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvF$S",
		 "character 59 is not in bcrypt's base64 alphabet [./A-Za-z0-9]");
#undef BAD_HASH
	/* The extremes of the cost range are fine. */
	struct web_config c;
	parse_ok("basic_auth_users:\n"
		 "  a: $2y$04$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTS\n"
		 "  b: $2y$31$MCJ3aeT6Lw8/krEes1lyAOWUPjSIBfpcDhNfAVmJ58ukyOK2CvFTS\n",
		 &c);
	web_config_free(&c);

	assert_fail("basic_auth_users:\n  alice:\n",
		    "line 2: basic_auth_users: the password hash of user \"alice\" is not a bcrypt "
		    "hash: too short to be a bcrypt hash");
	assert_fail("basic_auth_users:\n  alice: [x]\n",
		    "line 2: cannot unmarshal !!seq into string");
	assert_fail("basic_auth_users:\n  alice: \"" HASH_A "\\0\"\n",
		    "line 2: password hash contains a NUL byte");
	assert_fail("basic_auth_users: [alice]\n",
		    "line 1: cannot unmarshal !!seq into map[string]config.Secret");
	assert_fail("basic_auth_users: " HASH_A "\n",
		    "line 1: cannot unmarshal !!str `" HASH_A "` into map[string]config.Secret");
#define BAD_NAME(name, shown)                                                                      \
	assert_fail("basic_auth_users:\n  " name ": " HASH_A "\n",                               \
		    "line 2: basic_auth_users: user name \"" shown "\" contains ':' or a control "   \
		    "character and could never log in")
	BAD_NAME("\"a:b\"", "a:b");
	BAD_NAME("\":\"", ":");
	BAD_NAME("\"a\\tb\"", "a\\x09b");
	BAD_NAME("\"a\\nb\"", "a\\x0ab");
	BAD_NAME("\"a\\x7f\"", "a\\x7f");
	BAD_NAME("\"a\\x85\"", "a\\xc2\\x85");
	BAD_NAME("\"a\\x9f\"", "a\\xc2\\x9f");
#undef BAD_NAME
	assert_fail("basic_auth_users:\n  \"a\\0\": " HASH_A "\n",
		    "line 2: user name contains a NUL byte");
	/* U+00A0 is not a control character. */
	parse_ok("basic_auth_users:\n  \"a\\_b\": " HASH_A "\n", &c);
	assert_string_equal(c.users[0].name, "a\xc2\xa0" "b");
	web_config_free(&c);
	assert_fail("basic_auth_users:\n  alice: " HASH_A "\n  alice: " HASH_B "\n",
		    "line 3: mapping key \"alice\" already defined at line 2");
}

static void
test_headers(void **state)
{
	struct web_config c;
	(void)state;

	parse_ok("http_server_config:\n"
		 "  http2: false\n"
		 "  headers:\n"
		 "    X-Frame-Options: sameorigin\n"
		 "    Content-Security-Policy: >-\n"
		 "      default-src 'self';\n"
		 "      frame-ancestors 'none'\n"
		 "    X-Content-Type-Options: nosniff\n"
		 "    X-XSS-Protection: \"1;\\tmode=block\"\n"
		 "    Strict-Transport-Security: ''\n",
		 &c);
	assert_false(c.tls);
	/* File order, values as written (a tab is allowed, an empty value too). */
	assert_int_equal(c.nheaders, 5);
	assert_string_equal(c.headers[0].name, "X-Frame-Options");
	assert_string_equal(c.headers[0].value, "sameorigin");
	assert_string_equal(c.headers[1].name, "Content-Security-Policy");
	assert_string_equal(c.headers[1].value, "default-src 'self'; frame-ancestors 'none'");
	assert_string_equal(c.headers[2].name, "X-Content-Type-Options");
	assert_string_equal(c.headers[2].value, "nosniff");
	assert_string_equal(c.headers[3].value, "1;\tmode=block");
	assert_string_equal(c.headers[4].name, "Strict-Transport-Security");
	assert_string_equal(c.headers[4].value, "");
	web_config_free(&c);

	/* A null value is the empty string, which the free-form headers accept. */
	parse_ok("http_server_config:\n  headers:\n    X-XSS-Protection:\n", &c);
	assert_string_equal(c.headers[0].value, "");
	web_config_free(&c);
	parse_ok("http_server_config:\n  headers: {X-Frame-Options: deny}\n", &c);
	assert_string_equal(c.headers[0].value, "deny");
	web_config_free(&c);
}

static void
test_header_errors(void **state)
{
	(void)state;
	assert_fail("http_server_config:\n  headers:\n    Server: x\n",
		    "line 3: HTTP header \"Server\" can not be configured (only "
		    "Content-Security-Policy, Strict-Transport-Security, X-Content-Type-Options, "
		    "X-Frame-Options, X-XSS-Protection)");
	assert_fail_sub("http_server_config:\n  headers:\n    x-frame-options: deny\n",
			"line 3: HTTP header \"x-frame-options\" can not be configured");
	assert_fail_sub("http_server_config:\n  headers:\n    \"X-Frame-Options \": deny\n",
			"line 3: HTTP header \"X-Frame-Options \" can not be configured");
	assert_fail("http_server_config:\n  headers:\n    X-Frame-Options: DENY\n",
		    "line 3: invalid value for X-Frame-Options: \"DENY\" (expected \"deny\" or "
		    "\"sameorigin\")");
	assert_fail("http_server_config:\n  headers:\n    X-Frame-Options:\n",
		    "line 3: invalid value for X-Frame-Options: \"\" (expected \"deny\" or "
		    "\"sameorigin\")");
	assert_fail("http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff \"\"\n",
		    "line 3: invalid value for X-Content-Type-Options: \"nosniff \\x22\\x22\" "
		    "(expected \"nosniff\")");
	assert_fail("http_server_config:\n  headers:\n    X-XSS-Protection: \"0\\r\\nX: y\"\n",
		    "line 3: value of header X-XSS-Protection contains the control character 0x0d");
	assert_fail("http_server_config:\n  headers:\n    Content-Security-Policy: |\n      a\n",
		    "line 3: value of header Content-Security-Policy contains the control "
		    "character 0x0a");
	assert_fail("http_server_config:\n  headers:\n    X-XSS-Protection: \"\\x7f\"\n",
		    "line 3: value of header X-XSS-Protection contains the control character 0x7f");
	assert_fail("http_server_config:\n  headers:\n    X-XSS-Protection: \"\\e\"\n",
		    "line 3: value of header X-XSS-Protection contains the control character 0x1b");
	assert_fail("http_server_config:\n  headers:\n    X-XSS-Protection: \"a\\0\"\n",
		    "line 3: header value contains a NUL byte");
	assert_fail("http_server_config:\n  headers:\n    X-XSS-Protection: [1]\n",
		    "line 3: cannot unmarshal !!seq into string");
	assert_fail("http_server_config:\n  headers: [X-XSS-Protection]\n",
		    "line 2: cannot unmarshal !!seq into map[string]string");
	assert_fail("http_server_config:\n  headers: 1.5\n",
		    "line 2: cannot unmarshal !!float `1.5` into map[string]string");
}

static void
test_http2(void **state)
{
	static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE",
					    "yes",  "Yes",  "YES",  "no",    "No",	"NO",
					    "on",   "On",   "ON",   "off",   "Off",	"OFF",
					    "y",    "Y",    "n",    "N",     "~",	""};
	struct web_config c;
	char text[128];
	(void)state;

	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		xsnprintf(text, sizeof(text), "http_server_config:\n  http2: %s\n", bools[i]);
		parse_ok(text, &c);
		assert_empty_config(&c);
		web_config_free(&c);
	}
	assert_fail("http_server_config:\n  http2: tRue\n",
		    "line 2: cannot unmarshal !!str `tRue` into bool");
	assert_fail("http_server_config:\n  http2: 'true'\n",
		    "line 2: cannot unmarshal !!str `true` into bool");
	assert_fail("http_server_config:\n  http2: 1\n",
		    "line 2: cannot unmarshal !!int `1` into bool");
	assert_fail("http_server_config:\n  http2: -1.5\n",
		    "line 2: cannot unmarshal !!float `-1.5` into bool");
	assert_fail("http_server_config:\n  http2: {}\n", "line 2: cannot unmarshal !!map into bool");
	assert_fail("http_server_config:\n  http3: true\n",
		    "line 2: field http3 not found in type web.HTTPConfig");
}

static void
check_rate(const char *interval, uint64_t want_ns)
{
	struct web_config c;
	char text[256];

	xsnprintf(text, sizeof(text), "rate_limit:\n  interval: %s\n  burst: 7\n", interval);
	parse_ok(text, &c);
	assert_int_equal(c.rate_interval_ns, want_ns);
	assert_int_equal(c.rate_burst, 7);
	web_config_free(&c);
}

static void
test_rate_limit(void **state)
{
	struct web_config c;
	(void)state;

	check_rate("1s", 1000000000);
	check_rate("'1s'", 1000000000);
	check_rate("200ms", 200000000);
	check_rate("1.5s", 1500000000);
	check_rate(".5s", 500000000);
	check_rate("1.s", 1000000000);
	check_rate("2h45m30.5s", 9930500000000);
	check_rate("1m1m", 120000000000);
	check_rate("300ns", 300);
	check_rate("10us", 10000);
	check_rate("10\xc2\xb5s", 10000);
	check_rate("10\xce\xbcs", 10000);
	check_rate("+3ms", 3000000);
	check_rate("0.000000001s", 1);
	check_rate("2562047h47m16.854775807s", INT64_MAX);
	/* Zero disables the limit; a null interval too. */
	check_rate("0", 0);
	check_rate("0s", 0);
	parse_ok("rate_limit:\n  interval:\n  burst: 1\n", &c);
	assert_int_equal(c.rate_interval_ns, 0);
	assert_int_equal(c.rate_burst, 1);
	web_config_free(&c);
	parse_ok("rate_limit:\n  interval: 1h\n  burst: 9223372036854775807\n", &c);
	assert_int_equal(c.rate_burst, INT64_MAX);
	web_config_free(&c);

	assert_fail("rate_limit:\n  interval: 5\n  burst: 1\n",
		    "line 2: rate_limit: interval \"5\": missing unit in duration (ns, us, ms, s, m, "
		    "h)");
	assert_fail("rate_limit:\n  interval: 1s5\n  burst: 1\n",
		    "line 2: rate_limit: interval \"1s5\": missing unit in duration (ns, us, ms, s, "
		    "m, h)");
	assert_fail("rate_limit:\n  interval: 1d\n  burst: 1\n",
		    "line 2: rate_limit: interval \"1d\": unknown unit in duration (ns, us, ms, s, "
		    "m, h)");
	assert_fail("rate_limit:\n  interval: -1s\n  burst: 1\n",
		    "line 2: rate_limit: interval \"-1s\": must not be negative");
	assert_fail("rate_limit:\n  interval: ''\n  burst: 1\n",
		    "line 2: rate_limit: interval \"\": invalid duration");
	assert_fail("rate_limit:\n  interval: .s\n  burst: 1\n",
		    "line 2: rate_limit: interval \".s\": invalid duration");
	assert_fail("rate_limit:\n  interval: 2562047h47m16.854775808s\n  burst: 1\n",
		    "line 2: rate_limit: interval \"2562047h47m16.854775808s\": too large");
	assert_fail("rate_limit:\n  interval: 99999999999999999999ns\n  burst: 1\n",
		    "line 2: rate_limit: interval \"99999999999999999999ns\": too large");
	assert_fail("rate_limit:\n  interval: [1s]\n", "line 2: cannot unmarshal !!seq into string");
	assert_fail("rate_limit:\n  interval: 1s\n",
		    "line 1: rate_limit: burst must be at least 1 when interval is set");
	assert_fail("rate_limit:\n  interval: 1s\n  burst: 0\n",
		    "line 1: rate_limit: burst must be at least 1 when interval is set");
	assert_fail("rate_limit:\n  burst: -1\n", "line 2: rate_limit: burst must not be negative");
	assert_fail("rate_limit:\n  burst: '5'\n", "line 2: cannot unmarshal !!str `5` into int");
	assert_fail("rate_limit:\n  burst: 1.5\n", "line 2: cannot unmarshal !!float `1.5` into int");
	assert_fail("rate_limit:\n  burst: 9223372036854775808\n",
		    "line 2: rate_limit: burst 9223372036854775808 is too large");
	assert_fail("rate_limit:\n  bursts: 1\n",
		    "line 2: field bursts not found in type web.RateLimiterConfig");
	assert_fail("rate_limit: 1s\n",
		    "line 1: cannot unmarshal !!str `1s` into web.RateLimiterConfig");
}

static void
test_structure_errors(void **state)
{
	(void)state;
	assert_fail("foo: 1\n", "line 1: field foo not found in type web.Config");
	assert_fail("# c\n\nTLS_server_config: {}\n",
		    "line 3: field TLS_server_config not found in type web.Config");
	assert_fail("tls_server_config:\n  cert_file: server.crt\n  certfile: x\n",
		    "line 3: field certfile not found in type web.TLSConfig");
	assert_fail("{\"tls_server_config\": {\"a\\nb\": 1}}\n",
		    "line 1: field a\\x0ab not found in type web.TLSConfig");
	assert_fail("http_server_config:\n  header: {}\n",
		    "line 2: field header not found in type web.HTTPConfig");
	assert_fail("[]\n", "line 1: cannot unmarshal !!seq into web.Config");
	assert_fail("text\n", "line 1: cannot unmarshal !!str `text` into web.Config");
	assert_fail("42\n", "line 1: cannot unmarshal !!int `42` into web.Config");
	assert_fail("true\n", "line 1: cannot unmarshal !!bool `true` into web.Config");
	assert_fail("''\n", "line 1: cannot unmarshal !!str `` into web.Config");
	assert_fail("tls_server_config: []\n", "line 1: cannot unmarshal !!seq into web.TLSConfig");
	assert_fail("tls_server_config: 1\n",
		    "line 1: cannot unmarshal !!int `1` into web.TLSConfig");
	assert_fail("http_server_config: [a]\n",
		    "line 1: cannot unmarshal !!seq into web.HTTPConfig");
	assert_fail("tls_server_config:\n  cert_file: {a: b}\n",
		    "line 2: cannot unmarshal !!map into string");
	/* A long value is cut in the message. */
	assert_fail("x" "0123456789012345678901234567890123456789012345678901234567890123456789\n",
		    "line 1: cannot unmarshal !!str `x0123456789012345678901234567890123456789012345"
		    "67890123456789012...` into web.Config");
	/* YAML errors come through unchanged, and duplicate fields are YAML's to report. */
	assert_fail("a: &x 1\n", "line 1: anchors (&) are not supported");
	assert_fail("http_server_config: {}\nhttp_server_config: {}\n",
		    "line 2: mapping key \"http_server_config\" already defined at line 1");
	assert_fail("tls_server_config:\n\tcert_file: x\n",
		    "line 2: tab character used for indentation");
	char big_want[64];
	xsnprintf(big_want, sizeof(big_want), "line 1: input larger than %d bytes", 1 << 20);
	check_fail("", (1 << 20) + 1, tree_dfd, -EFBIG, big_want, false);
}

/* Checks run in the toolkit's order: YAML decoding, headers, users, TLS. */
static void
test_error_order(void **state)
{
	(void)state;
	assert_fail("tls_server_config:\n  cert_file: missing.crt\n  key_file: x\n"
		    "basic_auth_users:\n  a: b\n"
		    "http_server_config:\n  headers:\n    Foo: bar\n"
		    "rate_limit: {bad: 1}\n",
		    "line 9: field bad not found in type web.RateLimiterConfig");
	assert_fail("tls_server_config:\n  cert_file: missing.crt\n  key_file: x\n"
		    "basic_auth_users:\n  a: b\n"
		    "http_server_config:\n  headers:\n    Foo: bar\n",
		    "line 8: HTTP header \"Foo\" can not be configured (only "
		    "Content-Security-Policy, Strict-Transport-Security, X-Content-Type-Options, "
		    "X-Frame-Options, X-XSS-Protection)");
	assert_fail("tls_server_config:\n  cert_file: missing.crt\n  key_file: x\n"
		    "basic_auth_users:\n  a: b\n",
		    "line 5: basic_auth_users: the password hash of user \"a\" is not a bcrypt hash: "
		    "too short to be a bcrypt hash");
}

static void
test_everything(void **state)
{
	struct web_config c;
	(void)state;

	parse_ok("---\n"
		 "tls_server_config:\n"
		 "  cert_file: server.crt\n"
		 "  key_file: server.key\n"
		 "  client_auth_type: RequireAndVerifyClientCert\n"
		 "  client_ca_file: ca.crt\n"
		 "  client_allowed_sans: [scraper.example]\n"
		 "  min_version: TLS13\n"
		 "  cipher_suites: [TLS_AES_256_GCM_SHA384]\n"
		 "  curve_preferences: [X25519]\n"
		 "http_server_config:\n"
		 "  headers:\n"
		 "    X-Frame-Options: deny\n"
		 "basic_auth_users:\n"
		 "  prometheus: " HASH_A "\n"
		 "rate_limit:\n"
		 "  interval: 100ms\n"
		 "  burst: 20\n"
		 "...\n",
		 &c);
	assert_true(c.tls);
	assert_string_equal(c.cert_pem, pem_cert);
	assert_string_equal(c.key_pem, pem_key);
	assert_string_equal(c.client_ca_pem, pem_ca);
	assert_int_equal(c.client_auth, WEB_CLIENT_REQUIRE_AND_VERIFY);
	assert_int_equal(c.nallowed_sans, 1);
	assert_string_equal(c.allowed_sans[0], "scraper.example");
	assert_string_equal(c.priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:-MAC-ALL"
					  ":-KX-ALL:+AES-256-GCM:+AEAD:-GROUP-ALL:+GROUP-X25519"
					  ":%SERVER_PRECEDENCE");
	assert_int_equal(c.nheaders, 1);
	assert_int_equal(c.nusers, 1);
	assert_string_equal(c.users[0].name, "prometheus");
	assert_int_equal(c.rate_interval_ns, 100000000);
	assert_int_equal(c.rate_burst, 20);
	web_config_free(&c);
	assert_empty_config(&c);
}

static void
test_load(void **state)
{
	struct web_config c;
	char path[PATH_MAX], want[PATH_MAX + 128], err[512];
	int cwd;
	(void)state;

	/* Relative file references resolve from the config's directory, not the cwd. */
	tree_put(tree, "sub/conf/web.yml",
		 "tls_server_config:\n  cert_file: ../../server.crt\n  key_file: k.key\n");
	tree_put(tree, "sub/conf/k.key", pem_key);
	xsnprintf(path, sizeof(path), "%s/sub/conf/web.yml", tree);
	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(web_config_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_true(c.tls);
	assert_string_equal(c.cert_pem, pem_cert);
	assert_string_equal(c.key_pem, pem_key);
	web_config_free(&c);

	/* A bare file name: the directory is the cwd. */
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(cwd >= 0);
	xsnprintf(path, sizeof(path), "%s/sub/conf", tree);
	assert_int_equal(chdir(path), 0);
	int r = web_config_load("web.yml", &c, err, sizeof(err));
	assert_int_equal(fchdir(cwd), 0);
	assert_int_equal(close(cwd), 0);
	assert_int_equal(r, 0);
	assert_string_equal(c.key_pem, pem_key);
	web_config_free(&c);

	/* Errors reading the config itself name the path. */
	xsnprintf(path, sizeof(path), "%s/missing.yml", tree);
	xsnprintf(want, sizeof(want), "%s: No such file or directory", path);
	struct web_config sentinel;
	memset(&c, 0x5a, sizeof(c));
	memset(&sentinel, 0x5a, sizeof(sentinel));
	assert_int_equal(web_config_load(path, &c, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, want);
	assert_memory_equal(&c, &sentinel, sizeof(c));
	xsnprintf(path, sizeof(path), "%s/sub", tree);
	xsnprintf(want, sizeof(want), "%s: not a regular file", path);
	assert_int_equal(web_config_load(path, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	char *huge = malloc((1 << 20) + 2);
	assert_non_null(huge);
	memset(huge, '#', (1 << 20) + 1);
	huge[(1 << 20) + 1] = '\0';
	tree_put(tree, "sub/huge.yml", huge);
	free(huge);
	xsnprintf(path, sizeof(path), "%s/sub/huge.yml", tree);
	xsnprintf(want, sizeof(want), "%s: larger than %d bytes", path, 1 << 20);
	assert_int_equal(web_config_load(path, &c, err, sizeof(err)), -EFBIG);
	assert_string_equal(err, want);
	/* Errors in the file name lines as web_config_parse() does. */
	tree_put(tree, "sub/bad.yml", "\n\nfoo: 1\n");
	xsnprintf(path, sizeof(path), "%s/sub/bad.yml", tree);
	assert_int_equal(web_config_load(path, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 3: field foo not found in type web.Config");
	/* A file of exactly 1 MiB is fine. */
	huge = malloc((1 << 20) + 1);
	assert_non_null(huge);
	memset(huge, '#', 1 << 20);
	huge[1 << 20] = '\0';
	tree_put(tree, "sub/max.yml", huge);
	free(huge);
	xsnprintf(path, sizeof(path), "%s/sub/max.yml", tree);
	assert_int_equal(web_config_load(path, &c, err, sizeof(err)), 0);
	assert_empty_config(&c);
	web_config_free(&c);
}

static void
test_error_buffer(void **state)
{
	struct web_config c;
	char small[10];
	(void)state;

	memset(&c, 0, sizeof(c));
	assert_int_equal(web_config_parse("foo: 1", 6, -1, &c, NULL, 0), -EINVAL);
	assert_int_equal(web_config_parse("foo: 1", 6, -1, &c, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "line 1: f");
	assert_int_equal(web_config_parse("basic_auth_users: {a: b}", 24, -1, &c, small,
					  sizeof(small)),
			 -EINVAL);
	assert_string_equal(small, "line 1: b");
	assert_int_equal(web_config_load("/nonexistent/dir/web.yml", &c, small, sizeof(small)),
			 -ENOENT);
	assert_string_equal(small, "/nonexist");
	/* Success clears the buffer. */
	assert_int_equal(web_config_parse("", 0, -1, &c, small, sizeof(small)), 0);
	assert_string_equal(small, "");
	web_config_free(&c);
}

/* web_config_files(PATH) as one "|"-separated string, the tree's path shown as "T". */
static void
assert_files(const char *path, size_t max, const char *want)
{
	char *paths[4];
	struct buf b = BUF_INIT;
	size_t n = web_config_files(path, paths, max);

	assert_true(n <= max);
	for (size_t i = 0; i < n; i++) {
		const char *p = paths[i];
		if (strncmp(p, tree, strlen(tree)) == 0) {
			buf_putc(&b, 'T');
			p += strlen(tree);
		}
		buf_printf(&b, "%s%s", p, i + 1 < n ? "|" : "");
		free(paths[i]);
	}
	assert_string_equal(b.data != NULL ? b.data : "", want);
	buf_free(&b);
}

static void
test_files(void **state)
{
	char path[PATH_MAX];

	(void)state;
	xsnprintf(path, sizeof(path), "%s/sub/web.yml", tree);
	tree_put(tree, "sub/web.yml",
		 "tls_server_config:\n  client_ca_file: /etc/ca.pem\n  cert_file: server.crt\n"
		 "  key_file: ../keys/server.key\n  client_auth_type: RequireAndVerifyClientCert\n");
	assert_files(path, 4, "T/sub/web.yml|/etc/ca.pem|T/sub/server.crt|T/sub/../keys/server.key");
	assert_files(path, 2, "T/sub/web.yml|/etc/ca.pem");
	assert_files(path, 0, "");
	/* A config that does not load (no such files, unknown key) still names its files. */
	tree_put(tree, "sub/web.yml", "tls_server_config:\n  cert_file: gone.crt\nfoo: 1\n");
	assert_files(path, 4, "T/sub/web.yml|T/sub/gone.crt");
	/* Inline PEM, empty, null and non-scalar values name no file. */
	tree_put(tree, "sub/web.yml",
		 "tls_server_config:\n  cert: inline\n  key_file:\n  client_ca_file: [a]\n");
	assert_files(path, 4, "T/sub/web.yml");
	tree_put(tree, "sub/web.yml", "basic_auth_users:\n  a: b\n");
	assert_files(path, 4, "T/sub/web.yml");
	tree_put(tree, "sub/web.yml", "tls_server_config: [\n");
	assert_files(path, 4, "T/sub/web.yml");
	/* The config itself missing: still watched, for when it comes back. */
	assert_files("/nonexistent/web.yml", 4, "/nonexistent/web.yml");
	/* A bare name resolves from the working directory, as the config itself does. */
	tree_put(tree, "sub/web.yml", "tls_server_config:\n  cert_file: c.pem\n");
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(cwd >= 0);
	assert_int_equal(chdir(tree), 0);
	assert_files("sub/web.yml", 4, "sub/web.yml|sub/c.pem");
	assert_files("web.yml", 4, "web.yml");
	assert_int_equal(chdir("sub"), 0);
	assert_files("web.yml", 4, "web.yml|./c.pem");
	assert_int_equal(fchdir(cwd), 0);
	(void)close(cwd);
}

#define T(f) cmocka_unit_test_setup(f, put_files)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_empty),
		T(test_tls_files),
		T(test_tls_inline),
		T(test_tls_file_errors),
		T(test_client_auth),
		T(test_allowed_sans),
		T(test_priorities),
		T(test_tls_value_errors),
		T(test_users),
		T(test_user_errors),
		T(test_headers),
		T(test_header_errors),
		T(test_http2),
		T(test_rate_limit),
		T(test_structure_errors),
		T(test_error_order),
		T(test_everything),
		T(test_load),
		T(test_error_buffer),
		T(test_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
