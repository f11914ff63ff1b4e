/* HTTP content negotiation for the metrics endpoint: which exposition format to answer an Accept
 * header with, and whether Accept-Encoding lets us gzip the body. Both parsers treat the header as
 * hostile input: bounded length and entry count, strict RFC 7230 tokens, no allocation, and the
 * input string is only read. */
#ifndef EXPORTER_NEGOTIATE_H
#define EXPORTER_NEGOTIATE_H

#include <stdbool.h>

#include "expo.h"

struct negotiation {
	enum expo_format format;
	const char *content_type; /* static string */
};

/* Picks the exposition format for an Accept header (NULL or empty = no header). Never fails:
 * anything unusable falls back to text 0.0.4. */
void negotiate_format(const char *accept, struct negotiation *ret);

/* True when Accept-Encoding (NULL = absent) allows gzip. */
bool negotiate_gzip(const char *accept_encoding);

#endif
