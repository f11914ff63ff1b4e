/* --check: a one-shot preflight report for people, evaluated over one collection of the same
 * collectors that serve /metrics (no second implementation). This header holds the check
 * descriptor the host and guest tables are made of, the report runner and its two renderings
 * (text for a terminal, a stable JSON document for scripts). */
#ifndef EXPORTER_CHECK_H
#define EXPORTER_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "expo.h"
#include "scrape.h"

enum check_status {
	CHECK_PASS,
	CHECK_WARN, /* also: could not be checked (collector failed or disabled, data unreadable) */
	CHECK_FAIL,
};

/* What one evaluation found. detail and fix are owned by the result (check_result_free()); fix
 * stays empty when there is nothing to do. */
struct check_result {
	enum check_status status;
	struct buf detail;
	struct buf fix;
};

/* One check of a table: a stable id (JSON key for scripts), a short title, and a pure function
 * of one sorted collection. eval receives a result with status CHECK_PASS and empty buffers. */
struct check_desc {
	const char *id;
	const char *title;
	void (*eval)(const struct expo *e, struct check_result *ret);
};

enum check_mode {
	CHECK_MODE_HOST,  /* an SR-IOV PF, Proxmox VE, an SR-IOV DKMS module or max_vfs on the cmdline */
	CHECK_MODE_GUEST, /* anything else: a VM that should see a VF */
};

enum check_output {
	CHECK_OUTPUT_TEXT,
	CHECK_OUTPUT_JSON,
};

/* Decides host or guest from the collection and appends the reason (one phrase) to reason. */
enum check_mode check_mode(const struct expo *e, struct buf *reason);

/* Evaluates the table of the detected mode over e and appends the report to out: text (ANSI
 * colour on the status words when colour is true) or JSON. Returns the exit status: 0 when no
 * check failed (warnings allowed), 1 when one did. */
int check_report(const struct expo *e, enum check_output format, bool colour, struct buf *out);

/* Whether text output to fd may use colour: fd is a terminal, NO_COLOR is unset or empty and TERM
 * is not "dumb" (https://no-color.org). */
bool check_colour_wanted(int fd);

/* Runs one collection through s (deadline_ns monotonic), writes the report to stdout and returns
 * the exit status: check_report()'s, or 1 when stdout could not be written. */
int check_run(struct scraper *s, int64_t deadline_ns, enum check_output format);

/* Helpers for the evaluation functions (check_host.c, check_guest.c). */
void check_set(struct check_result *r, enum check_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends to the detail; "; " separates it from what is already there. */
void check_add(struct check_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a fix (a command or config line); "; " separates it from one already there. */
void check_fix(struct check_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Raises the status to at least status (pass < warn < fail). */
void check_raise(struct check_result *r, enum check_status status);
void check_result_free(struct check_result *r);

#endif
