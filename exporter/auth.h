/* HTTP basic authentication against the bcrypt hashes of the web config (basic_auth_users). */
#ifndef EXPORTER_AUTH_H
#define EXPORTER_AUTH_H

#include <stdbool.h>

#include "webconfig.h"

/* True when USER and PASS match an entry of c->users; c->nusers must be > 0. Thread-safe.
 * bcrypt runs one at a time (it is slow on purpose, and several at once would only let a client
 * occupy every core); results are remembered in a small cache keyed by a SHA-256 of user, hash
 * and password, so a scraper pays for bcrypt once and not on every scrape. An unknown user costs
 * the same bcrypt run as a known one, so response times do not tell which names exist. Nothing
 * here logs or keeps a password. */
bool auth_check(const struct web_config *c, const char *user, const char *pass);

#endif
