/* The watchdog's state file: per-PF repair history (struct wd_history) kept across restarts, so a
 * crash-restart loop of the exporter does not turn into a repair loop. Side: unprivileged.
 *
 * Format (text, one record per line, every line ends in '\n'):
 *   gpu-sriov-exporter watchdog state 1
 *   pf <bdf> window_start=<n> attempts=<n> next_attempt=<n> backoff=<n> successes=<n>
 *      failures=<n> skipped=<n> last_repair=<n> last_result=<n>       (one line per PF)
 *   end <number of pf lines> <crc32 of every byte before this line, 8 lower-case hex digits>
 * Fields come in this order and all are required; times and backoff are >= 0, last_result is a
 * signed 32-bit number. The end line makes a torn write or a hand edit detectable: such a file is
 * rejected whole, never trusted in part. */
#ifndef EXPORTER_WATCHDOG_STATE_H
#define EXPORTER_WATCHDOG_STATE_H

#include <stddef.h>

#include "parse.h"
#include "watchdog_policy.h"

/* Where the file lives, relative to the rootfs (--path.rootfs), and its name there. */
#define WD_STATE_DIR "var/lib/gpu-sriov-exporter"
#define WD_STATE_FILE "watchdog.state"

#define WD_STATE_MAX_SIZE 65536 /* bytes */
#define WD_STATE_MAX_ENTRIES 256

struct wd_state_entry {
	char bdf[PARSE_BDF_SIZE]; /* canonical "dddd:bb:dd.f", as parse_bdf() writes it */
	struct wd_history h;
};

/* Reads the state file name (a plain file name, no '/') below dirfd, which may be an O_PATH
 * directory fd. Returns the number of entries stored into the caller's array entries (at most
 * max), 0 when the file does not exist, -EBADMSG when it is torn, garbage, from another version,
 * fails its checksum, holds more than max (or WD_STATE_MAX_ENTRIES) entries or duplicate PFs, is
 * larger than WD_STATE_MAX_SIZE or is not a regular file; the caller then starts fresh and logs a
 * warning. Other read failures return -errno (e.g. -EACCES). entries is written only on
 * success. Logs nothing. */
int wd_state_load(int dirfd, const char *name, struct wd_state_entry *entries, size_t max);

/* Writes entries[0..n) atomically as name below dirfd (which may be an O_PATH directory fd): a
 * temporary file ".<name>.tmp" in the same directory (a stale one is removed first) created with
 * O_EXCL and mode 0600, fsync, rename over name, fsync of the directory. entries is borrowed.
 * Returns 0 or -errno: -EINVAL for a bad name or an entry that load would refuse (non-canonical
 * or duplicate BDF, negative time or backoff), -E2BIG for more than WD_STATE_MAX_ENTRIES
 * entries, -EFBIG when the text would exceed WD_STATE_MAX_SIZE, -EEXIST when the temporary name
 * is taken by something that is not a regular file. On any failure up to and including the rename
 * the old file stays intact and the temporary file is removed; only a failing fsync of the
 * directory is reported after the new file has replaced the old one. Logs nothing. */
int wd_state_save(int dirfd, const char *name, const struct wd_state_entry *entries, size_t n);

#endif
