/* Logging: logfmt or JSON records on stderr. Under systemd (JOURNAL_STREAM set) each line starts
 * with a <N> priority prefix and no timestamp, since the journal adds both from the prefix. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

static enum log_level min_level = LOG_LEVEL_INFO;
static enum log_format format = LOG_FORMAT_LOGFMT;

static const char *const level_names[] = {"debug", "info", "warn", "error"};
/* syslog priorities matching level_names, for the journal prefix */
static const int level_prio[] = {7, 6, 4, 3};

void
log_setup(enum log_level level, enum log_format fmt)
{
	min_level = level;
	format = fmt;
}

int
log_level_parse(const char *name, enum log_level *ret)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*ret = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int
log_format_parse(const char *name, enum log_format *ret)
{
	if (strcmp(name, "logfmt") == 0) {
		*ret = LOG_FORMAT_LOGFMT;
		return 0;
	}
	if (strcmp(name, "json") == 0) {
		*ret = LOG_FORMAT_JSON;
		return 0;
	}
	return -EINVAL;
}

bool
log_enabled(enum log_level level)
{
	return level >= min_level;
}

const char *
errno_name(int err)
{
	const char *name = strerrorname_np(err);
	return name != NULL ? name : "unknown";
}

int64_t
monotonic_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* JSON and logfmt share the escapes for quote, backslash and control characters. */
static void
put_escaped(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c == '\n') {
			buf_puts(b, "\\n");
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_putc(b, (char)c);
		}
	}
}

static void
put_field(struct buf *b, bool *first, const char *key, const char *value)
{
	bool sep = !*first;

	*first = false;
	if (format == LOG_FORMAT_JSON) {
		if (sep)
			buf_putc(b, ',');
		buf_printf(b, "\"%s\":\"", key);
		put_escaped(b, value);
		buf_putc(b, '"');
		return;
	}
	if (sep)
		buf_putc(b, ' ');
	buf_printf(b, "%s=", key);
	bool quote = value[0] == '\0' || strpbrk(value, " =\"\\\n\t") != NULL;
	if (quote)
		buf_putc(b, '"');
	put_escaped(b, value);
	if (quote)
		buf_putc(b, '"');
}

static void
vlog(enum log_level level, const char *collector, int err, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void
vlog(enum log_level level, const char *collector, int err, const char *fmt, va_list ap)
{
	struct buf line = BUF_INIT;
	struct buf msg = BUF_INIT;
	bool journal = getenv("JOURNAL_STREAM") != NULL;
	bool first = true;

	if (journal)
		buf_printf(&line, "<%d>", level_prio[level]);
	if (format == LOG_FORMAT_JSON)
		buf_putc(&line, '{');
	if (!journal) {
		char ts[40];
		struct timespec now;
		struct tm tm;
		(void)clock_gettime(CLOCK_REALTIME, &now);
		(void)gmtime_r(&now.tv_sec, &tm);
		size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		(void)snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", now.tv_nsec / 1000000);
		put_field(&line, &first, "ts", ts);
	}
	put_field(&line, &first, "level", level_names[level]);
	if (collector != NULL)
		put_field(&line, &first, "collector", collector);
	buf_vprintf(&msg, fmt, ap);
	put_field(&line, &first, "msg", msg.data);
	if (err != 0)
		put_field(&line, &first, "err", strerror(err));
	if (format == LOG_FORMAT_JSON)
		buf_putc(&line, '}');
	buf_putc(&line, '\n');
	/* One write() per record keeps lines from concurrent threads whole. */
	ssize_t n = write(STDERR_FILENO, line.data, line.len);
	(void)n;
	buf_free(&msg);
	buf_free(&line);
}

void
log_msg(enum log_level level, const char *collector, int err, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vlog(level, collector, err, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, NULL, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

#define THROTTLE_FIRST_GAP_NS 1000000000LL
#define THROTTLE_MAX_GAP_NS (86400LL * 1000000000LL)

bool
log_throttle_fail(struct log_throttle *t, int64_t now_ns)
{
	t->failures++;
	if (t->failures > 1 && now_ns < t->next_log_ns) {
		t->suppressed++;
		return false;
	}
	if (t->gap_ns == 0)
		t->gap_ns = THROTTLE_FIRST_GAP_NS;
	else if (t->gap_ns < THROTTLE_MAX_GAP_NS / 2)
		t->gap_ns *= 2;
	else
		t->gap_ns = THROTTLE_MAX_GAP_NS;
	t->next_log_ns = now_ns + t->gap_ns;
	t->suppressed = 0;
	return true;
}

bool
log_throttle_ok(struct log_throttle *t)
{
	bool was_failing = t->failures > 0;

	t->failures = 0;
	t->suppressed = 0;
	t->next_log_ns = 0;
	t->gap_ns = 0;
	return was_failing;
}
