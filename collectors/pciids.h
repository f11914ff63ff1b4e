/* A streaming lookup of one device name in the PCI ID database text (pci.ids), so that naming the
 * few devices a host has never holds the whole 1.3 MB database in memory, as libpci's hash did
 * (about 2 MiB of heap). Pure: the caller feeds the bytes (pcidb.c reads them through the rootfs
 * fd). Lines are read by libpci's rules (lib/names-parse.c): '#' comments and blank lines
 * skipped, a line ends at '\n' or '\r', one trailing space or tab is dropped, top-level
 * "vvvv  name" opens a vendor block, "\tdddd  name" is a device of it, "C " (classes), "S "
 * (generic subsystems) and any other "X " line open blocks that are not vendors. Unlike libpci,
 * which refuses the whole file on one bad line or duplicate, a malformed line is skipped and
 * counted (a malformed top-level line ends the vendor block, so no device is misattributed) and
 * the first matching entry wins. */
#ifndef COLLECTORS_PCIIDS_H
#define COLLECTORS_PCIIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libpci's line buffer (MAX_LINE): a line of more than PCIIDS_LINE_MAX - 2 bytes before its
 * newline does not fit and is skipped as malformed. */
#define PCIIDS_LINE_MAX 1024
/* libpci's lookup buffer as pcidb used it: longer names end in "..." the way libpci cuts them. */
#define PCIIDS_NAME_SIZE 256

enum pciids_kind {
	PCIIDS_BLANK,     /* empty, white space only, or a '#' comment */
	PCIIDS_VENDOR,    /* top level "vvvv<white>name" */
	PCIIDS_DEVICE,    /* one tab, "dddd<white>name" */
	PCIIDS_BLOCK,     /* top level "X " (A-Z): class, generic subsystem or a future block */
	PCIIDS_NESTED,    /* two or more tabs (subsystems, prog-ifs): not looked at */
	PCIIDS_MALFORMED, /* anything else at depth 0 or 1, including a NUL byte */
};

struct pciids_line {
	enum pciids_kind kind;
	unsigned depth;   /* leading tabs */
	uint16_t id;      /* PCIIDS_VENDOR and PCIIDS_DEVICE */
	const char *name; /* VENDOR and DEVICE: points into the line, not terminated */
	size_t name_len;
};

/* Classifies the len bytes at line (no newline; no NUL terminator needed). Always fills *ret;
 * name borrows from line. */
void pciids_parse_line(const char *line, size_t len, struct pciids_line *ret);

enum pciids_block {
	PCIIDS_IN_NONE,   /* before the first block, or after a malformed top-level line */
	PCIIDS_IN_VENDOR, /* another vendor's block */
	PCIIDS_IN_MATCH,  /* the block of the vendor looked up */
	PCIIDS_IN_OTHER,  /* a class, generic subsystem or unknown block */
};

/* State of one lookup; the caller owns it (about 1.3 KiB, fine on a stack). */
struct pciids_scan {
	uint16_t vendor, device; /* what is looked up */
	enum pciids_block block;
	bool overlong;           /* the current line is longer than libpci takes: skipped */
	bool found;
	size_t len;              /* bytes of the current line in line[] */
	unsigned long lineno;    /* lines completed so far */
	unsigned long malformed; /* lines skipped as malformed (overlong ones included) */
	unsigned long first_malformed; /* line number (from 1) of the first; 0 when none */
	char line[PCIIDS_LINE_MAX];
	char name[PCIIDS_NAME_SIZE]; /* the device name once found */
};

/* Starts a lookup of vendor:device. */
void pciids_scan_init(struct pciids_scan *s, uint16_t vendor, uint16_t device);
/* Feeds the next n bytes of the file, in pieces of any size. Returns true once the name is found
 * (s->name); the rest of the file need not be fed. */
bool pciids_scan_feed(struct pciids_scan *s, const char *data, size_t n);
/* End of input: a last line without a newline counts. Returns s->found. */
bool pciids_scan_end(struct pciids_scan *s);

#endif
