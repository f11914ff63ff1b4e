/* Parser for kernel log records as /dev/kmsg delivers them, and the table of message signatures
 * worth counting (SR-IOV VF changes, stock i915 loaded, GuC handshake failures, hangs, IOMMU
 * faults). Pure functions: no I/O. */
#ifndef COLLECTORS_KMSG_PARSE_H
#define COLLECTORS_KMSG_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "../exporter/parse.h"

struct kmsg_record {
	unsigned prio;       /* syslog priority and facility, as in the record */
	uint64_t seq;        /* sequence number: a jump means records were lost */
	const char *text;    /* message text, borrowed from the parsed buffer, not NUL-terminated */
	size_t text_len;
	char device[PARSE_BDF_SIZE]; /* PCI address from DEVICE=+pci:<bdf> or a "drv <bdf>: " prefix;
				      * "" when the record names none */
};

/* Parses one record: "<prio>,<seq>,<usec>,<flags>;<text>" followed by optional continuation lines
 * " KEY=value" (the dictionary), len bytes at buf (no NUL needed). Returns 0, or -EINVAL for
 * something that is not a record. */
int kmsg_parse_record(const char *buf, size_t len, struct kmsg_record *ret);

/* Names of the counted events, in a fixed order; KMSG_EVENTS entries. */
#define KMSG_EVENTS 12
extern const char *const kmsg_event_names[KMSG_EVENTS];

/* Index into kmsg_event_names of the signature text matches, or -1. */
int kmsg_match(const char *text, size_t len);

#endif
