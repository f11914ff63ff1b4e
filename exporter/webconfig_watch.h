/* Notices when the web config file or a file it names (cert_file, key_file, client_ca_file)
 * changes, so the exporter reloads without a SIGHUP, as the exporter-toolkit does (it re-reads
 * the file per request and the certificates per connection). Certificate renewal tools replace
 * files or repoint symlinks and rarely signal the exporter. main() polls once per tick.
 *
 * A change is reported once the files have stayed the same for one more poll, so a renewal that
 * writes the certificate and then the key is read when both are in place, not in between.
 * Not thread-safe: one thread polls and re-arms. */
#ifndef EXPORTER_WEBCONFIG_WATCH_H
#define EXPORTER_WEBCONFIG_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_WATCH_MAX 4 /* the config file, cert_file, key_file, client_ca_file */

/* What stat() says of one file; a file that cannot be stat'ed is its errno. */
struct web_watch_id {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	int err;
};

struct web_watch {
	char *paths[WEB_WATCH_MAX]; /* owned */
	size_t n;
	struct web_watch_id armed[WEB_WATCH_MAX]; /* when last (re)loaded */
	struct web_watch_id seen[WEB_WATCH_MAX];  /* at the previous poll */
};

/* Watches the n (<= WEB_WATCH_MAX) paths (copied; symlinks followed) from now on, replacing
 * what w watched. n == 0 watches nothing. w must be zeroed or previously set. */
void web_watch_set(struct web_watch *w, const char *const *paths, size_t n);

/* Takes the files as they are now as the loaded state, keeping the paths: after a reload that
 * failed, so only a further change triggers the next one. */
void web_watch_rearm(struct web_watch *w);

/* True when a watched file differs from the armed state and did not change since the previous
 * poll. The caller then reloads and calls web_watch_set() or web_watch_rearm(). */
bool web_watch_poll(struct web_watch *w);

/* Frees the paths and zeroes w; safe on a zeroed struct. */
void web_watch_free(struct web_watch *w);

#endif
