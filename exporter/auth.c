/* Basic authentication: libxcrypt's bcrypt behind a mutex and two small result caches. */
#include <crypt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "xalloc.h"

#define OK_SLOTS 32   /* the few scrapers of one exporter */
#define FAIL_SLOTS 64 /* a scraper with a stale password costs one bcrypt, not one per scrape */

struct cache {
	unsigned char (*keys)[AUTH_KEY_LEN];
	bool *used;
	size_t slots, next;
};

static unsigned char ok_keys[OK_SLOTS][AUTH_KEY_LEN], fail_keys[FAIL_SLOTS][AUTH_KEY_LEN];
static bool ok_used[OK_SLOTS], fail_used[FAIL_SLOTS];
static struct cache ok_cache = {ok_keys, ok_used, OK_SLOTS, 0};
static struct cache fail_cache = {fail_keys, fail_used, FAIL_SLOTS, 0};
/* Guards both caches. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
/* Guards crypt_buf, about 32 KiB: too big for a thread stack, and bcrypt runs one at a time. */
static pthread_mutex_t crypt_lock = PTHREAD_MUTEX_INITIALIZER;
static struct crypt_data crypt_buf;

/* Takes the same time wherever the first difference is. */
static bool
equal_ct(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(x[i] ^ y[i]);
	return d == 0;
}

/* The NUL separators keep ("ab","c") and ("a","bc") apart. */
static int
cache_key(const char *user, const char *hash, const char *pass, unsigned char key[AUTH_KEY_LEN])
{
	gnutls_hash_hd_t h;
	int r = gnutls_hash_init(&h, GNUTLS_DIG_SHA256);

	if (r < 0)
		return r;
	if (gnutls_hash(h, user, strlen(user) + 1) < 0 || gnutls_hash(h, hash, strlen(hash) + 1) < 0 ||
	    gnutls_hash(h, pass, strlen(pass)) < 0)
		r = -1;
	gnutls_hash_deinit(h, key);
	return r;
}

/* Under cache_lock. */
static bool
cache_has(const struct cache *c, const unsigned char key[AUTH_KEY_LEN])
{
	bool found = false;

	for (size_t i = 0; i < c->slots; i++)
		found |= c->used[i] && equal_ct(c->keys[i], key, AUTH_KEY_LEN);
	return found;
}

/* Under cache_lock. */
static void
cache_store(struct cache *c, const unsigned char key[AUTH_KEY_LEN])
{
	memcpy(c->keys[c->next], key, AUTH_KEY_LEN);
	c->used[c->next] = true;
	c->next = (c->next + 1) % c->slots;
}

static int
user_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct web_user *)elem)->name);
}

enum auth_result
auth_lookup(const struct web_config *c, const char *user, const char *pass,
	    struct auth_job *job)
{
	const struct web_user *u = bsearch(user, c->users, c->nusers, sizeof(*c->users), user_cmp);
	/* An unknown name is checked against a real entry's hash, so it costs what a known one
	 * does (same bcrypt cost); the result is a failure whatever bcrypt says. */
	const char *hash = u != NULL ? u->hash : c->users[0].hash;
	unsigned char key[AUTH_KEY_LEN];
	enum auth_result r = AUTH_UNKNOWN;

	memset(job, 0, sizeof(*job));
	if (cache_key(user, hash, pass, key) == 0) {
		(void)pthread_mutex_lock(&cache_lock);
		if (cache_has(&ok_cache, key))
			r = AUTH_PASSED;
		else if (cache_has(&fail_cache, key))
			r = AUTH_REFUSED;
		(void)pthread_mutex_unlock(&cache_lock);
	} else {
		/* No key, no caching: the job still decides, it just is not remembered. */
		memset(key, 0, sizeof(key));
	}
	if (r == AUTH_UNKNOWN) {
		job->hash = xstrdup(hash);
		job->pass = xstrdup(pass);
		memcpy(job->key, key, AUTH_KEY_LEN);
		job->known = u != NULL;
	}
	explicit_bzero(key, sizeof(key));
	return r;
}

bool
auth_verify(const struct auth_job *job)
{
	static const unsigned char no_key[AUTH_KEY_LEN];
	size_t n = strlen(job->hash);

	(void)pthread_mutex_lock(&crypt_lock);
	const char *out = crypt_r(job->pass, job->hash, &crypt_buf);
	/* crypt_r() signals failure with a string starting with '*' or NULL. */
	bool match = out != NULL && out[0] != '*' && strlen(out) == n && equal_ct(out, job->hash, n);
	explicit_bzero(&crypt_buf, sizeof(crypt_buf));
	(void)pthread_mutex_unlock(&crypt_lock);
	bool ok = job->known && match;
	if (!equal_ct(job->key, no_key, AUTH_KEY_LEN)) {
		(void)pthread_mutex_lock(&cache_lock);
		cache_store(ok ? &ok_cache : &fail_cache, job->key);
		(void)pthread_mutex_unlock(&cache_lock);
	}
	return ok;
}

void
auth_job_clear(struct auth_job *job)
{
	if (job->pass != NULL) {
		explicit_bzero(job->pass, strlen(job->pass));
		free(job->pass);
	}
	free(job->hash);
	memset(job, 0, sizeof(*job));
}
