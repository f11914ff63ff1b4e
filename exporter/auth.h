/* HTTP basic authentication against the bcrypt hashes of the web config (basic_auth_users), in
 * two steps so that bcrypt never runs where it would hold up other requests: auth_lookup()
 * answers from a cache (one SHA-256), and only what it cannot answer goes to auth_verify(), which
 * is slow on purpose and runs on a thread of its own (auth_queue.h). Nothing here logs or keeps a
 * password outside the job that needs it. */
#ifndef EXPORTER_AUTH_H
#define EXPORTER_AUTH_H

#include <stdbool.h>

#include "webconfig.h"

#define AUTH_KEY_LEN 32

enum auth_result {
	AUTH_REFUSED,
	AUTH_PASSED,
	AUTH_UNKNOWN, /* not in the cache: auth_verify() must decide */
};

/* One check that needs bcrypt, with everything copied out of the config (a reload may replace
 * it meanwhile). Owned by its holder; auth_job_clear() wipes the password and frees. */
struct auth_job {
	char *hash; /* the user's; for an unknown user, a configured one (same cost) */
	char *pass;
	unsigned char key[AUTH_KEY_LEN]; /* SHA-256 of user, hash and password */
	bool known;                      /* the user exists */
};

/* Looks USER and PASS up in the cache; c->nusers must be > 0. Returns AUTH_PASSED or
 * AUTH_REFUSED when the cache knows, else AUTH_UNKNOWN with *job filled for auth_verify(). An
 * unknown user name goes the same way as a known one (its job is checked against a configured
 * hash and its failure cached alike), so response times do not tell which names exist.
 * Thread-safe. */
enum auth_result auth_lookup(const struct web_config *c, const char *user, const char *pass,
			     struct auth_job *job);

/* Runs bcrypt for job, one at a time in the process (several at once would only let clients
 * occupy every core), compares in constant time, caches the result and returns it. Successes
 * and failures are cached apart (32 and 64 entries, round robin), so wrong passwords cannot push
 * a scraper's success out. Takes about 70 ms at cost 10. Thread-safe. */
bool auth_verify(const struct auth_job *job);

/* Wipes the password and frees the job's strings; safe on a zeroed job. */
void auth_job_clear(struct auth_job *job);

#endif
