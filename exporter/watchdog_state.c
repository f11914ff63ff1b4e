/* The watchdog's state file: load and atomic save of per-PF repair history. Side: unprivileged.
 *
 * The file decides whether the watchdog may write to sriov_numvfs again after a restart, so it
 * is either trusted whole or not at all: a strict line format, every field required in a fixed
 * order, and a trailing "end" line with the entry count and a CRC-32 of everything before it.
 * A torn write (crash mid-save on a file system without data ordering) loses the end line or
 * breaks the checksum; a file edited by hand fails the checksum. Saving goes through a temporary
 * file and rename(), so readers only ever see the old or the new file. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "parse.h"
#include "sysfs.h"
#include "watchdog_policy.h"
#include "watchdog_state.h"
#include "xalloc.h"

static const char header[] = "gpu-sriov-exporter watchdog state 1";

/* Longest token in a valid file: "next_attempt=" and 19 digits, or "last_result=-2147483648". */
#define TOKEN_MAX 48

/* ".<name>.tmp" must still be a valid file name. */
#define NAME_LEN_MAX (NAME_MAX - 5)

enum kind {
	KIND_TIME, /* int64, >= 0 */
	KIND_U32,
	KIND_U64,
	KIND_I32,
};

/* The pf line's fields, in file order. */
static const struct {
	const char *key;
	enum kind kind;
} fields[] = {
	{"window_start", KIND_TIME}, {"attempts", KIND_U32}, {"next_attempt", KIND_TIME},
	{"backoff", KIND_TIME},      {"successes", KIND_U64}, {"failures", KIND_U64},
	{"skipped", KIND_U64},       {"last_repair", KIND_TIME}, {"last_result", KIND_I32},
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static bool
valid_name(const char *name)
{
	size_t n = name == NULL ? 0 : strnlen(name, NAME_LEN_MAX + 1);

	return n > 0 && n <= NAME_LEN_MAX && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

static uint32_t
checksum(const char *p, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	/* len is at most WD_STATE_MAX_SIZE plus one line (checked by the callers): one call. */
	crc = crc32(crc, (const Bytef *)p, (uInt)len);
	return (uint32_t)crc;
}

/* A cursor over one line (without its newline), split at single spaces. */
struct tokens {
	const char *p;
	const char *end;
};

/* Copies the next token into tok (TOKEN_MAX + 1 bytes). Returns 0, or -EINVAL at the end of the
 * line, for an empty token (two spaces, a leading or trailing space) or one longer than
 * TOKEN_MAX. */
static int
next_token(struct tokens *t, char *tok)
{
	if (t->p == NULL || t->p >= t->end)
		return -EINVAL;
	const char *sp = memchr(t->p, ' ', (size_t)(t->end - t->p));
	const char *stop = sp == NULL ? t->end : sp;
	size_t n = (size_t)(stop - t->p);
	if (n == 0 || n > TOKEN_MAX)
		return -EINVAL;
	memcpy(tok, t->p, n);
	tok[n] = '\0';
	/* After the last token p becomes NULL; a trailing space leaves an empty token behind. */
	t->p = sp == NULL ? NULL : sp + 1;
	return 0;
}

static bool
at_end(const struct tokens *t)
{
	return t->p == NULL;
}

/* Parses "key=value" for field i into ret_i (signed kinds) or ret_u (unsigned kinds). */
static int
parse_field(const char *tok, size_t i, int64_t *ret_i, uint64_t *ret_u)
{
	size_t klen = strlen(fields[i].key);

	if (strncmp(tok, fields[i].key, klen) != 0 || tok[klen] != '=')
		return -EINVAL;
	const char *v = tok + klen + 1;
	/* parse.c tolerates one trailing newline; a token has none, but be explicit. */
	if (strchr(v, '\n') != NULL)
		return -EINVAL;
	switch (fields[i].kind) {
	case KIND_TIME:
		return parse_i64(v, 10, 0, INT64_MAX, ret_i);
	case KIND_I32:
		return parse_i64(v, 10, INT32_MIN, INT32_MAX, ret_i);
	case KIND_U32:
		return parse_u64(v, 10, UINT32_MAX, ret_u);
	case KIND_U64:
		return parse_u64(v, 10, UINT64_MAX, ret_u);
	}
	return -EINVAL;
}

/* One "pf ..." line of len bytes into ret. */
static int
parse_pf(const char *line, size_t len, struct wd_state_entry *ret)
{
	struct tokens t = {line, line + len};
	char tok[TOKEN_MAX + 1];
	int64_t iv[NFIELDS] = {0};
	uint64_t uv[NFIELDS] = {0};
	char bdf[PARSE_BDF_SIZE];

	if (next_token(&t, tok) < 0 || strcmp(tok, "pf") != 0)
		return -EINVAL;
	/* Only the canonical form that save writes: anything else was not written by us. */
	if (next_token(&t, tok) < 0 || parse_bdf(tok, bdf) < 0 || strcmp(tok, bdf) != 0)
		return -EINVAL;
	for (size_t i = 0; i < NFIELDS; i++) {
		if (next_token(&t, tok) < 0 || parse_field(tok, i, &iv[i], &uv[i]) < 0)
			return -EINVAL;
	}
	if (!at_end(&t))
		return -EINVAL;
	memcpy(ret->bdf, bdf, sizeof(bdf));
	ret->h = (struct wd_history){
		.window_start = iv[0],
		.attempts = (uint32_t)uv[1],
		.next_attempt = iv[2],
		.backoff = iv[3],
		.successes = uv[4],
		.failures = uv[5],
		.skipped = uv[6],
		.last_repair = iv[7],
		.last_result = (int32_t)iv[8],
	};
	return 0;
}

/* "end <count> <crc>" of len bytes. */
static int
parse_end(const char *line, size_t len, uint64_t *ret_count, uint32_t *ret_crc)
{
	struct tokens t = {line, line + len};
	char tok[TOKEN_MAX + 1];
	uint64_t count;
	uint64_t crc;

	if (next_token(&t, tok) < 0 || strcmp(tok, "end") != 0)
		return -EINVAL;
	if (next_token(&t, tok) < 0 || parse_u64(tok, 10, WD_STATE_MAX_ENTRIES, &count) < 0)
		return -EINVAL;
	if (next_token(&t, tok) < 0 || strlen(tok) != 8 || strspn(tok, "0123456789abcdef") != 8 ||
	    parse_u64(tok, 16, UINT32_MAX, &crc) < 0)
		return -EINVAL;
	if (!at_end(&t))
		return -EINVAL;
	*ret_count = count;
	*ret_crc = (uint32_t)crc;
	return 0;
}

/* Parses the whole file text (len bytes, NUL-terminated) into ret (WD_STATE_MAX_ENTRIES slots).
 * Returns the number of entries or -EINVAL. */
static int
parse_file(const char *text, size_t len, struct wd_state_entry *ret)
{
	uint64_t want_count;
	uint32_t want_crc;
	size_t n = 0;

	if (len == 0 || text[len - 1] != '\n' || memchr(text, '\0', len) != NULL)
		return -EINVAL;
	/* The end line is the last one; the checksum covers every byte before it. */
	size_t body = len - 1;
	while (body > 0 && text[body - 1] != '\n')
		body--;
	if (body == 0)
		return -EINVAL;
	if (parse_end(text + body, len - 1 - body, &want_count, &want_crc) < 0)
		return -EINVAL;
	if (checksum(text, body) != want_crc)
		return -EINVAL;

	const char *p = text;
	const char *stop = text + body;
	const char *nl = memchr(p, '\n', (size_t)(stop - p));
	if (nl == NULL || (size_t)(nl - p) != strlen(header) ||
	    memcmp(p, header, strlen(header)) != 0)
		return -EINVAL;
	for (p = nl + 1; p < stop; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(stop - p));
		if (nl == NULL || n == WD_STATE_MAX_ENTRIES)
			return -EINVAL;
		if (parse_pf(p, (size_t)(nl - p), &ret[n]) < 0)
			return -EINVAL;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(ret[i].bdf, ret[n].bdf) == 0)
				return -EINVAL;
		}
		n++;
	}
	if (n != want_count)
		return -EINVAL;
	return (int)n;
}

int
wd_state_load(int dirfd, const char *name, struct wd_state_entry *entries, size_t max)
{
	char *text = NULL;
	struct wd_state_entry *tmp = NULL;
	int r;

	if (!valid_name(name))
		return -EINVAL;
	ssize_t len = sysfs_read_file(dirfd, name, WD_STATE_MAX_SIZE, &text);
	if (len == -ENOENT)
		return 0;
	/* Too big, or a directory or device where the file should be: not a file we wrote. */
	if (len == -EFBIG || len == -EINVAL || len == -EISDIR) {
		r = -EBADMSG;
		goto out;
	}
	if (len < 0) {
		r = (int)len;
		goto out;
	}
	tmp = xcalloc(WD_STATE_MAX_ENTRIES, sizeof(*tmp));
	r = parse_file(text, (size_t)len, tmp);
	if (r < 0 || (size_t)r > max) {
		r = -EBADMSG;
		goto out;
	}
	if (r > 0)
		memcpy(entries, tmp, (size_t)r * sizeof(*tmp));
out:
	free(tmp);
	free(text);
	return r;
}

/* The entry as load would accept it back. */
static bool
valid_entry(const struct wd_state_entry *e)
{
	char bdf[PARSE_BDF_SIZE];

	if (memchr(e->bdf, '\0', sizeof(e->bdf)) == NULL || parse_bdf(e->bdf, bdf) < 0 ||
	    strcmp(e->bdf, bdf) != 0)
		return false;
	return e->h.window_start >= 0 && e->h.next_attempt >= 0 && e->h.backoff >= 0 &&
	       e->h.last_repair >= 0;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void
format(struct buf *b, const struct wd_state_entry *entries, size_t n)
{
	buf_puts(b, header);
	buf_putc(b, '\n');
	for (size_t i = 0; i < n; i++) {
		const struct wd_history *h = &entries[i].h;
		buf_printf(b,
			   "pf %s window_start=%" PRId64 " attempts=%" PRIu32 " next_attempt=%" PRId64
			   " backoff=%" PRId64 " successes=%" PRIu64 " failures=%" PRIu64
			   " skipped=%" PRIu64 " last_repair=%" PRId64 " last_result=%" PRId32 "\n",
			   entries[i].bdf, h->window_start, h->attempts, h->next_attempt, h->backoff,
			   h->successes, h->failures, h->skipped, h->last_repair, h->last_result);
	}
	uint32_t crc = checksum(b->data, b->len);
	buf_printf(b, "end %zu %08" PRIx32 "\n", n, crc);
}

int
wd_state_save(int dirfd, const char *name, const struct wd_state_entry *entries, size_t n)
{
	struct buf b = BUF_INIT;
	char tmpname[NAME_MAX + 1];
	bool created = false;
	int fd = -1;
	int dfd = -1;
	int r;

	if (!valid_name(name))
		return -EINVAL;
	if (n > WD_STATE_MAX_ENTRIES)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		if (!valid_entry(&entries[i]))
			return -EINVAL;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(entries[i].bdf, entries[j].bdf) == 0)
				return -EINVAL;
		}
	}
	format(&b, entries, n);
	/* Only possible with absurd counters on many PFs; load would refuse the file. */
	if (b.len > WD_STATE_MAX_SIZE) {
		r = -EFBIG;
		goto out;
	}
	(void)snprintf(tmpname, sizeof(tmpname), ".%s.tmp", name);
	/* A stale temporary file from a crash would make O_EXCL fail forever. Anything else under
	 * that name (a directory) is left alone and fails the open below with EEXIST. */
	(void)unlinkat(dirfd, tmpname, 0);
	fd = openat(dirfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	created = true;
	r = write_all(fd, b.data, b.len);
	if (r < 0)
		goto out;
	if (fsync(fd) < 0) {
		r = -errno;
		goto out;
	}
	int cr = close(fd);
	fd = -1;
	if (cr < 0) {
		r = -errno;
		goto out;
	}
	/* Opened before the rename, so after it only the fsync itself can still fail. dirfd may be
	 * O_PATH, which fsync() refuses. */
	dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		goto out;
	}
	if (renameat(dirfd, tmpname, dirfd, name) < 0) {
		r = -errno;
		goto out;
	}
	created = false;
	/* Makes the rename itself durable: without it a power loss may bring back the old file. */
	r = fsync(dfd) < 0 ? -errno : 0;
out:
	if (fd >= 0)
		(void)close(fd);
	if (created)
		(void)unlinkat(dirfd, tmpname, 0);
	if (dfd >= 0)
		(void)close(dfd);
	buf_free(&b);
	return r;
}
