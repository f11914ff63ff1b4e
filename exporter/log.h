/* Logging to stderr in logfmt or JSON, with journal priority prefixes, plus a throttle for repeated
 * failures. Safe to call from any thread: each record is one write(). */
#ifndef EXPORTER_LOG_H
#define EXPORTER_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

enum log_format {
	LOG_FORMAT_LOGFMT,
	LOG_FORMAT_JSON,
};

void log_setup(enum log_level min_level, enum log_format format);
/* Returns 0 and sets *ret, or -EINVAL for an unknown name. */
int log_level_parse(const char *name, enum log_level *ret);
int log_format_parse(const char *name, enum log_format *ret);
bool log_enabled(enum log_level level);

/* One record. collector may be NULL; err is a positive errno or 0 (adds err="..."). */
void log_msg(enum log_level level, const char *collector, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, NULL, 0, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, NULL, 0, __VA_ARGS__)
#define log_warnx(...) log_msg(LOG_LEVEL_WARN, NULL, 0, __VA_ARGS__)
/* Appends strerror(errno), like OpenBSD's log_warn(). */
#define log_warn(...) log_msg(LOG_LEVEL_WARN, NULL, errno, __VA_ARGS__)
#define log_errorx(...) log_msg(LOG_LEVEL_ERROR, NULL, 0, __VA_ARGS__)

/* Log at error level and exit(1). */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Repeated-failure throttle: the first failure is logged, then only after a gap that doubles each
 * time (1 s up to one day), and one "recovered" line when the condition clears. */
struct log_throttle {
	uint64_t failures;      /* consecutive failures so far */
	uint64_t suppressed;    /* failures not logged since the last logged one */
	int64_t next_log_ns;    /* monotonic time before which failures stay quiet */
	int64_t gap_ns;
};

#define LOG_THROTTLE_INIT {0, 0, 0, 0}

/* Records a failure at now_ns; returns true when this one should be logged. */
bool log_throttle_fail(struct log_throttle *t, int64_t now_ns);
/* Records a success; returns true once when it ends a run of failures (log "recovered"). */
bool log_throttle_ok(struct log_throttle *t);

/* The symbolic name of a positive errno ("ENOENT"), for metric labels; "unknown" when it has
 * none. Static storage. */
const char *errno_name(int err);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t monotonic_ns(void);

#endif
