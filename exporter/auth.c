/* Basic authentication: libxcrypt's bcrypt behind a mutex and a small result cache. */
#include <crypt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#define CACHE_SLOTS 64
#define KEY_LEN 32

struct cache_entry {
	unsigned char key[KEY_LEN];
	bool used;
	bool ok;
};

/* One lock for the cache and for crypt_data, which is about 32 KiB: too big for a thread stack
 * that libmicrohttpd sizes, and bcrypt runs one at a time anyway. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache_entry cache[CACHE_SLOTS];
static size_t next_slot;
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
cache_key(const char *user, const char *hash, const char *pass, unsigned char key[KEY_LEN])
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

static const struct cache_entry *
cache_find(const unsigned char key[KEY_LEN])
{
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].used && equal_ct(cache[i].key, key, KEY_LEN))
			return &cache[i];
	}
	return NULL;
}

/* Round robin: the cache only has to hold the few scrapers of one exporter. */
static void
cache_store(const unsigned char key[KEY_LEN], bool ok)
{
	struct cache_entry *e = &cache[next_slot];

	next_slot = (next_slot + 1) % CACHE_SLOTS;
	memcpy(e->key, key, KEY_LEN);
	e->used = true;
	e->ok = ok;
}

static int
user_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct web_user *)elem)->name);
}

bool
auth_check(const struct web_config *c, const char *user, const char *pass)
{
	const struct web_user *u = bsearch(user, c->users, c->nusers, sizeof(*c->users), user_cmp);
	/* An unknown name is checked against a real entry's hash, so it costs what a known one
	 * does (same bcrypt cost); the result is thrown away. */
	const char *hash = u != NULL ? u->hash : c->users[0].hash;
	unsigned char key[KEY_LEN];
	bool have_key = u != NULL && cache_key(user, hash, pass, key) == 0;
	bool ok = false;

	(void)pthread_mutex_lock(&lock);
	const struct cache_entry *e = have_key ? cache_find(key) : NULL;
	if (e != NULL) {
		ok = e->ok;
	} else {
		const char *out = crypt_r(pass, hash, &crypt_buf);
		size_t n = strlen(hash);
		/* crypt_r() signals failure with a string starting with '*' or NULL. */
		bool match = out != NULL && out[0] != '*' && strlen(out) == n &&
			     equal_ct(out, hash, n);
		ok = u != NULL && match;
		if (have_key)
			cache_store(key, ok);
		explicit_bzero(&crypt_buf, sizeof(crypt_buf));
	}
	(void)pthread_mutex_unlock(&lock);
	explicit_bzero(key, sizeof(key));
	return ok;
}
