/* libFuzzer target: the web configuration parser (exporter/webconfig.h) on arbitrary bytes,
 * with no base directory (dirfd -1), so no file is ever opened: *_file references are errors,
 * inline certificates and keys still reach GnuTLS. Besides "no crash" it checks the contract: an
 * error is one printable line and leaves the output untouched; a loaded config has TLS material
 * exactly when TLS is on, sorted users with usable names and well-formed hashes, the toolkit's
 * header names with values free of CR and LF, and a burst whenever there is a rate limit. */
#include <errno.h>
#include <stdbool.h>

#include "fuzz_common.h"
#include "webconfig.h"

static bool
printable_line(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	}
	return true;
}

static void
check_config(const struct web_config *c)
{
	static const char *const headers[] = {"Content-Security-Policy", "Strict-Transport-Security",
					      "X-Content-Type-Options", "X-Frame-Options",
					      "X-XSS-Protection"};

	if (c->tls != (c->cert_pem != NULL) || c->tls != (c->key_pem != NULL) ||
	    c->tls != (c->priorities != NULL))
		abort();
	if (!c->tls && (c->client_ca_pem != NULL || c->allowed_sans != NULL ||
			c->client_auth != WEB_CLIENT_NO_CERT))
		abort();
	if ((c->allowed_sans == NULL) != (c->nallowed_sans == 0))
		abort();
	for (size_t i = 0; i < c->nallowed_sans; i++) {
		if (c->allowed_sans[i] == NULL)
			abort();
	}
	for (size_t i = 0; i < c->nusers; i++) {
		const char *h = c->users[i].hash;

		if (strchr(c->users[i].name, ':') != NULL || !printable_line(c->users[i].name) ||
		    strlen(h) != 60 || h[0] != '$' || h[1] != '2')
			abort();
		if (i > 0 && strcmp(c->users[i - 1].name, c->users[i].name) >= 0)
			abort();
	}
	for (size_t i = 0; i < c->nheaders; i++) {
		bool known = false;

		for (size_t j = 0; j < sizeof(headers) / sizeof(headers[0]); j++)
			known = known || strcmp(c->headers[i].name, headers[j]) == 0;
		if (!known || strpbrk(c->headers[i].value, "\r\n") != NULL)
			abort();
	}
	if (c->rate_interval_ns > 0 && c->rate_burst == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_config c, sentinel;
	char err[512];
	char *text;
	int r;

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	text = fuzz_memdup(data, size);
	memset(&c, 0x5a, sizeof(c));
	memset(&sentinel, 0x5a, sizeof(sentinel));
	r = web_config_parse(text, size, -1, &c, err, sizeof(err));
	if (r < 0) {
		/* Without files the only failure is a rejected config. */
		if (r != -EINVAL || memcmp(&c, &sentinel, sizeof(c)) != 0 || err[0] == '\0' ||
		    !printable_line(err))
			abort();
	} else {
		if (r != 0 || err[0] != '\0')
			abort();
		check_config(&c);
		web_config_free(&c);
		if (c.cert_pem != NULL || c.nusers != 0)
			abort();
	}
	free(text);
	return 0;
}
