/* A bounded parser for one line of `dkms status` output, in the forms dkms 2.8.x ("name, ver,
 * kver, arch: state"), 2.8.6-3.1.2 ("name/ver, kver, arch: state (note)") and 3.1.3+ print.
 * The exporter never runs dkms: the tests use this to compare real dkms output with what the dkms
 * collector reads from the tree. */
#ifndef COLLECTORS_DKMS_STATUS_H
#define COLLECTORS_DKMS_STATUS_H

#include <stdbool.h>
#include <stddef.h>

/* Longest line accepted (dkms prints well under 512 bytes; notes are short fixed texts). */
#define DKMS_STATUS_LINE_MAX 1024
/* Field sizes including the NUL: names are single path components (NAME_MAX 255). */
#define DKMS_STATUS_NAME_SIZE 256
#define DKMS_STATUS_STATE_SIZE 32
#define DKMS_STATUS_NOTE_SIZE 512

enum dkms_status_state {
	DKMS_STATUS_OTHER,          /* a state word this parser does not know; see .state */
	DKMS_STATUS_ADDED,          /* "added": no kernel, no arch */
	DKMS_STATUS_BROKEN,         /* "broken" (dkms >= 3.0.13): the source link dangles */
	DKMS_STATUS_BUILT,          /* "built" */
	DKMS_STATUS_INSTALLED,      /* "installed" */
	DKMS_STATUS_INSTALLED_WEAK, /* "installed-weak from <kver>" (RHEL/SUSE weak-modules) */
};

struct dkms_status_line {
	char module[DKMS_STATUS_NAME_SIZE];
	char version[DKMS_STATUS_NAME_SIZE];
	char kernel[DKMS_STATUS_NAME_SIZE]; /* "" on added/broken lines */
	char arch[DKMS_STATUS_NAME_SIZE];   /* "" on added/broken lines */
	char state[DKMS_STATUS_STATE_SIZE]; /* the first word right of ": " */
	char note[DKMS_STATUS_NOTE_SIZE];   /* the rest, e.g. "(WARNING! Diff ...)"; may be "" */
	enum dkms_status_state kind;
	bool comma_form; /* "name, ver" (dkms 2.8.0-2.8.5, and installed-weak lines) */
};

/* Parses the len bytes at line (one trailing "\n" or "\r\n" tolerated; no NUL needed). Splits at
 * the last ": "; the left side is "name/ver" or "name, ver", optionally followed by ", kver, arch";
 * the right side is a state word and an optional note. Returns 0 and fills *ret, -EINVAL for
 * anything else (control bytes, empty or spaced fields, a '/' inside a field, an added/broken
 * state with a kernel or a built/installed state without one), -EFBIG when the line or a field
 * exceeds its limit. *ret is written only on success. */
int dkms_status_parse_line(const char *line, size_t len, struct dkms_status_line *ret);

/* The dkms word for a state ("added", ...); "other" for DKMS_STATUS_OTHER. Static storage. */
const char *dkms_status_state_name(enum dkms_status_state s);

#endif
