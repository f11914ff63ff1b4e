/* Client certificate checks after the handshake (see tls.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/x509.h>
#include <string.h>

#include "tls.h"

/* A SAN as text, the way Go prints it: the toolkit compares these strings. */
static int
san_text(int type, const char *raw, size_t len, char *out, size_t outlen)
{
	switch (type) {
	case GNUTLS_SAN_DNSNAME:
	case GNUTLS_SAN_RFC822NAME:
	case GNUTLS_SAN_URI:
		if (len >= outlen || memchr(raw, '\0', len) != NULL)
			return -EINVAL;
		memcpy(out, raw, len);
		out[len] = '\0';
		return 0;
	case GNUTLS_SAN_IPADDRESS:
		if (len == 4)
			return inet_ntop(AF_INET, raw, out, (socklen_t)outlen) != NULL ? 0 : -EINVAL;
		if (len == 16)
			return inet_ntop(AF_INET6, raw, out, (socklen_t)outlen) != NULL ? 0 : -EINVAL;
		return -EINVAL;
	default:
		return -EINVAL;
	}
}

static bool
san_allowed(const gnutls_datum_t *der, const struct web_config *c)
{
	gnutls_x509_crt_t crt;
	bool found = false;

	if (gnutls_x509_crt_init(&crt) < 0)
		return false;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	for (unsigned int seq = 0; !found; seq++) {
		char raw[1024], text[1024];
		size_t len = sizeof(raw);
		int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, raw, &len, NULL);
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue; /* longer than any name worth allowing */
		if (type < 0)
			break;
		if (san_text(type, raw, len, text, sizeof(text)) < 0)
			continue;
		for (size_t i = 0; i < c->nallowed_sans && !found; i++)
			found = strcmp(text, c->allowed_sans[i]) == 0;
	}
out:
	gnutls_x509_crt_deinit(crt);
	return found;
}

int
tls_check_client(gnutls_session_t session, const struct web_config *c, const char **ret_reason)
{
	unsigned int n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(session, &n);
	bool required = c->client_auth == WEB_CLIENT_REQUIRE_ANY ||
			c->client_auth == WEB_CLIENT_REQUIRE_AND_VERIFY || c->nallowed_sans > 0;
	bool verify = c->client_auth == WEB_CLIENT_VERIFY_IF_GIVEN ||
		      c->client_auth == WEB_CLIENT_REQUIRE_AND_VERIFY;

	if (certs == NULL || n == 0) {
		if (!required)
			return 0;
		*ret_reason = "no client certificate";
		return -EACCES;
	}
	if (verify) {
		gnutls_typed_vdata_st purpose = {
			.type = GNUTLS_DT_KEY_PURPOSE_OID,
			.data = (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_CLIENT,
		};
		unsigned int status = 0;
		if (gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0 ||
		    status != 0) {
			*ret_reason = "client certificate does not verify";
			return -EACCES;
		}
	}
	if (c->nallowed_sans > 0 && !san_allowed(&certs[0], c)) {
		*ret_reason = "client certificate has no allowed SAN";
		return -EACCES;
	}
	return 0;
}
