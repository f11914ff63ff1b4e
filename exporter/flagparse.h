/* The long-option engine both binaries drive with their own flag tables: --name=value,
 * --name value, --name / --no-name / --name=true|false for booleans, -h, "given more than once"
 * for every flag not marked repeatable, and the --help lines. Pure: no I/O besides
 * flagparse_usage(); errors are one line via cli_error(). Side: both. */
#ifndef EXPORTER_FLAGPARSE_H
#define EXPORTER_FLAGPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What the engine itself handles; a caller numbers its own value kinds from FLAGPARSE_VALUE on
 * and interprets them in its set callback. */
enum flagparse_kind {
	FLAGPARSE_BOOL,    /* the engine writes the bool at offset */
	FLAGPARSE_HELP,    /* -h, --help */
	FLAGPARSE_VERSION, /* --version */
	FLAGPARSE_VALUE,   /* first of the caller's kinds: a value handed to set */
};

struct flagparse_flag {
	const char *name;
	int kind;                /* enum flagparse_kind, or a caller kind >= FLAGPARSE_VALUE */
	size_t offset;           /* into dst: the bool of FLAGPARSE_BOOL, else the caller's */
	const char *placeholder; /* NULL for booleans, help and version */
	const char *def;         /* shown in --help; NULL or "" shows none */
	const char *help;
	bool repeatable;         /* exempt from "given more than once" */
	size_t count_offset;     /* the caller's: e.g. where a list's count lives */
	const void *check;       /* the caller's: e.g. how its value is validated */
};

enum flagparse_action {
	FLAGPARSE_RUN,
	FLAGPARSE_ACTION_HELP,
	FLAGPARSE_ACTION_VERSION,
};

/* One parse. The caller fills the first block; flagparse_run() fills the second. Nothing is
 * owned: flags, dst and ctx are the caller's. */
struct flagparse {
	const struct flagparse_flag *flags;
	size_t nflags; /* at most 64 */
	void *dst;     /* the struct the flags' offsets point into */
	void *ctx;     /* handed to set and extra */
	/* Takes the value of a flag of a caller kind. Returns 0 or cli_error()'s -EINVAL. */
	int (*set)(void *ctx, const struct flagparse_flag *f, const char *value, char *err,
		   size_t errlen);
	/* NULL, or consulted first for each --name without '=' (name without "--"): returns 1
	 * when name is not the caller's, 0 when taken, or -EINVAL with err set. */
	int (*extra)(void *ctx, const char *name, char *err, size_t errlen);

	enum flagparse_action action; /* the last -h, --help or --version wins */
	uint64_t seen;                /* flags given, by index into flags */
};

/* Parses argv[1..argc-1]. Returns 0, or -EINVAL with a one-line message in err; on failure the
 * values set so far stay in dst (the caller discards them). */
int flagparse_run(struct flagparse *p, int argc, char **argv, char *err, size_t errlen);

/* True when the flag called name was given. */
bool flagparse_seen(const struct flagparse *p, const char *name);

/* Writes one --help line per flag, the flag column width characters wide. */
void flagparse_usage(FILE *out, const struct flagparse_flag *flags, size_t nflags, int width);

#endif
