/* Client certificate rules of the web config that libmicrohttpd leaves to the application: it
 * only asks GnuTLS for a client certificate (when given a trust list) and never verifies one. */
#ifndef EXPORTER_TLS_H
#define EXPORTER_TLS_H

#include <gnutls/gnutls.h>

#include "webconfig.h"

/* Checks the client of an established session against c->client_auth and c->allowed_sans:
 * whether a certificate was sent when one is required, whether it verifies against the
 * session's trust list for TLS client use, and whether one of its DNS, e-mail, IP or URI SANs
 * is allowed. Returns 0, or -EACCES with *ret_reason set to a static description. */
int tls_check_client(gnutls_session_t session, const struct web_config *c,
		     const char **ret_reason);

#endif
