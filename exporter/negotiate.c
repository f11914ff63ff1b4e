/* Content negotiation for the metrics endpoint.
 *
 * Accept and Accept-Encoding come from anyone who can reach the port, so both go through one
 * strict tokenizer for the RFC 7230/7231 list grammar: a header longer than HEADER_MAX is ignored
 * as a whole, at most ENTRIES_MAX list elements are looked at, and an element that does not parse
 * is skipped up to the next comma outside a quoted string. Nothing is allocated or written: spans
 * point into the caller's string, whose length is known before any byte is inspected. */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "expo.h"
#include "negotiate.h"
#include "xalloc.h"

#define HEADER_MAX 4096
#define ENTRIES_MAX 64
#define Q_MAX 1000 /* qvalues are kept in thousandths: they have at most three decimals */

enum output {
	OUT_TEXT, /* also the fallback */
	OUT_OM_1_0_0,
	OUT_OM_0_0_1,
	OUT_COUNT,
};

static const struct negotiation outputs[OUT_COUNT] = {
	[OUT_TEXT] = {EXPO_FORMAT_TEXT, "text/plain; version=0.0.4; charset=utf-8"},
	[OUT_OM_1_0_0] = {EXPO_FORMAT_OPENMETRICS,
			  "application/openmetrics-text; version=1.0.0; charset=utf-8"},
	[OUT_OM_0_0_1] = {EXPO_FORMAT_OPENMETRICS,
			  "application/openmetrics-text; version=0.0.1; charset=utf-8"},
};

/* Media ranges we can answer. Wildcards have no version: their parameters select nothing. A full
 * type matches its version, or a missing version when that version is the implied one. As in RFC
 * 7231 5.3.2, a more specific range overrides a wildcard for the same output: a client that
 * refuses OpenMetrics 1.0.0 with q=0 does not get it through the application wildcard. */
static const struct range {
	const char *type;
	const char *subtype;
	const char *version;
	bool implied;
	int specificity; /* 0 for any type, 1 for any subtype, 2 for a full type */
	enum output out;
} ranges[] = {
	{"*", "*", NULL, false, 0, OUT_TEXT},
	{"text", "*", NULL, false, 1, OUT_TEXT},
	{"application", "*", NULL, false, 1, OUT_OM_1_0_0},
	{"text", "plain", "0.0.4", true, 2, OUT_TEXT},
	{"application", "openmetrics-text", "1.0.0", false, 2, OUT_OM_1_0_0},
	{"application", "openmetrics-text", "0.0.1", true, 2, OUT_OM_0_0_1},
};

struct cursor {
	const char *s;
	size_t len;
	size_t pos;
	unsigned entries; /* non-empty list elements seen, well-formed or not */
};

/* A run of header bytes. Quoted values exclude the quotes but keep their backslash escapes. */
struct span {
	const char *p; /* NULL when absent */
	size_t len;
	bool quoted;
};

/* One list element: token ["/" token] *(OWS ";" OWS token "=" (token / quoted-string)). */
struct entry {
	struct span type;
	struct span subtype;
	struct span version; /* only when given before q */
	int q;
	bool has_q;
	unsigned nparams; /* parameters other than q */
};

/* What the header says about one output: the most specific matching range decides, the highest
 * q among equally specific ones, and the position of the element that gave it breaks ties. */
struct score {
	int specificity; /* -1: not mentioned */
	int q;
	unsigned pos;
};

/* tchar, RFC 7230 3.2.6. */
static bool
is_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Bytes a quoted-string may hold, plain or after a backslash: HTAB, SP, VCHAR, obs-text. */
static bool
is_qtext(char ch)
{
	unsigned char u = (unsigned char)ch;

	return u == '\t' || (u >= 0x20 && u != 0x7f);
}

/* '\0' past the end: the header holds no NUL before len, and no rule accepts one. */
static char
peek(const struct cursor *c)
{
	if (c->pos >= c->len)
		return '\0';
	return c->s[c->pos];
}

static bool
eat(struct cursor *c, char ch)
{
	if (peek(c) != ch)
		return false;
	c->pos++;
	return true;
}

static void
skip_ows(struct cursor *c)
{
	while (peek(c) == ' ' || peek(c) == '\t')
		c->pos++;
}

static bool
parse_token(struct cursor *c, struct span *ret)
{
	size_t start = c->pos;

	while (is_tchar(peek(c)))
		c->pos++;
	if (c->pos == start)
		return false;
	*ret = (struct span){c->s + start, c->pos - start, false};
	return true;
}

/* quoted-string, RFC 7230 3.2.6; the cursor is on the opening quote. */
static bool
parse_quoted(struct cursor *c, struct span *ret)
{
	size_t start = c->pos + 1;

	for (size_t i = start; i < c->len; i++) {
		if (c->s[i] == '"') {
			*ret = (struct span){c->s + start, i - start, true};
			c->pos = i + 1;
			return true;
		}
		/* A backslash takes the next byte with it, so an escaped quote does not end it. */
		if (c->s[i] == '\\')
			i++;
		if (i == c->len || !is_qtext(c->s[i]))
			return false;
	}
	return false;
}

/* No white space around "=": RFC 7231 3.1.1.1 does not allow it. */
static bool
parse_param(struct cursor *c, struct span *ret_name, struct span *ret_value)
{
	if (!parse_token(c, ret_name) || !eat(c, '='))
		return false;
	if (peek(c) == '"')
		return parse_quoted(c, ret_value);
	return parse_token(c, ret_value);
}

/* Media types, codings and parameter names compare case-insensitively. */
static bool
token_is(const struct span *t, const char *lit)
{
	return t->len == strlen(lit) && strncasecmp(t->p, lit, t->len) == 0;
}

/* Parameter values compare exactly, after undoing quoted-pair escapes. */
static bool
value_is(const struct span *v, const char *lit)
{
	size_t j = 0;

	for (size_t i = 0; i < v->len; i++, j++) {
		/* parse_quoted() never leaves an escaping backslash as the last byte. */
		if (v->quoted && v->p[i] == '\\')
			i++;
		if (lit[j] != v->p[i])
			return false;
	}
	return lit[j] == '\0';
}

/* qvalue, RFC 7231 5.3.1, in thousandths; -1 for anything else ("1.5", ".5", "0.1234", quoted). */
static int
parse_qvalue(const struct span *v)
{
	if (v->quoted || v->len == 0 || v->len > 5 || (v->p[0] != '0' && v->p[0] != '1'))
		return -1;
	if (v->len > 1 && v->p[1] != '.')
		return -1;
	int q = (v->p[0] - '0') * Q_MAX;
	int scale = Q_MAX / 10;
	for (size_t i = 2; i < v->len; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return -1;
		q += (v->p[i] - '0') * scale;
		scale /= 10;
	}
	return q <= Q_MAX ? q : -1;
}

/* Parameters after q are accept-ext (RFC 7231 5.3.2) and no longer describe the media type, so a
 * version there selects nothing. A repeated q or version is ambiguous and drops the element. */
static bool
add_param(struct entry *e, const struct span *name, const struct span *value)
{
	if (token_is(name, "q")) {
		if (e->has_q)
			return false;
		e->has_q = true;
		e->q = parse_qvalue(value);
		return e->q >= 0;
	}
	e->nparams++;
	if (e->has_q || !token_is(name, "version"))
		return true;
	if (e->version.p != NULL)
		return false;
	e->version = *value;
	return true;
}

static bool
parse_entry(struct cursor *c, struct entry *ret)
{
	struct entry e = {.q = Q_MAX};
	struct span name;
	struct span value;

	if (!parse_token(c, &e.type))
		return false;
	if (eat(c, '/') && !parse_token(c, &e.subtype))
		return false;
	skip_ows(c);
	while (eat(c, ';')) {
		skip_ows(c);
		if (!parse_param(c, &name, &value) || !add_param(&e, &name, &value))
			return false;
		skip_ows(c);
	}
	if (c->pos != c->len && peek(c) != ',')
		return false;
	*ret = e;
	return true;
}

/* Resynchronises after a malformed element: a comma inside a quoted string does not end it, and
 * an unterminated quote swallows the rest of the header. */
static void
skip_element(struct cursor *c)
{
	bool quoted = false;

	for (; c->pos < c->len; c->pos++) {
		char ch = c->s[c->pos];
		if (!quoted && ch == ',')
			return;
		if (ch == '"')
			quoted = !quoted;
		else if (quoted && ch == '\\' && c->pos + 1 < c->len)
			c->pos++;
	}
}

/* NULL and over-long headers yield no elements at all. */
static void
cursor_init(struct cursor *c, const char *header)
{
	*c = (struct cursor){.s = header};
	if (header == NULL)
		return;
	size_t len = strnlen(header, HEADER_MAX + 1);
	if (len <= HEADER_MAX)
		c->len = len;
}

/* Next well-formed list element. Empty elements ("a,,b") are legal list syntax and do not count
 * towards ENTRIES_MAX; malformed ones count and are skipped. */
static bool
next_entry(struct cursor *c, struct entry *ret)
{
	while (c->entries < ENTRIES_MAX) {
		while (peek(c) == ',' || peek(c) == ' ' || peek(c) == '\t')
			c->pos++;
		if (c->pos == c->len)
			return false;
		c->entries++;
		size_t start = c->pos;
		if (parse_entry(c, ret))
			return true;
		c->pos = start;
		skip_element(c);
	}
	return false;
}

static const struct range *
match_range(const struct entry *e)
{
	for (size_t i = 0; i < nitems(ranges); i++) {
		const struct range *r = &ranges[i];
		if (!token_is(&e->type, r->type) || !token_is(&e->subtype, r->subtype))
			continue;
		if (r->version == NULL)
			return r;
		if (e->version.p == NULL ? r->implied : value_is(&e->version, r->version))
			return r;
	}
	return NULL;
}

static void
score_entry(struct score *scores, const struct entry *e, unsigned pos)
{
	const struct range *r = match_range(e);

	if (r == NULL)
		return;
	struct score *s = &scores[r->out];
	if (r->specificity > s->specificity || (r->specificity == s->specificity && e->q > s->q))
		*s = (struct score){r->specificity, e->q, pos};
}

/* Highest q wins, then the earlier element; when nothing is acceptable we still answer text. */
static enum output
best_output(const struct score *scores)
{
	enum output best = OUT_TEXT;

	for (enum output o = OUT_TEXT; o < OUT_COUNT; o++) {
		const struct score *s = &scores[o];
		if (s->q > scores[best].q || (s->q == scores[best].q && s->pos < scores[best].pos))
			best = o;
	}
	return scores[best].q > 0 ? best : OUT_TEXT;
}

static int
max_int(int a, int b)
{
	return a > b ? a : b;
}

void
negotiate_format(const char *accept, struct negotiation *ret)
{
	struct score scores[OUT_COUNT];
	struct cursor c;
	struct entry e;

	for (size_t i = 0; i < nitems(scores); i++)
		scores[i] = (struct score){.specificity = -1, .q = 0, .pos = UINT_MAX};
	cursor_init(&c, accept);
	while (next_entry(&c, &e))
		score_entry(scores, &e, c.entries);
	*ret = outputs[best_output(scores)];
}

bool
negotiate_gzip(const char *accept_encoding)
{
	struct cursor c;
	struct entry e;
	int gzip_q = -1;
	int any_q = -1;

	cursor_init(&c, accept_encoding);
	while (next_entry(&c, &e)) {
		/* Accept-Encoding has no parameters besides q (RFC 7231 5.3.4). */
		if (e.subtype.p != NULL || e.nparams > 0)
			continue;
		if (token_is(&e.type, "gzip") || token_is(&e.type, "x-gzip"))
			gzip_q = max_int(gzip_q, e.q);
		else if (token_is(&e.type, "*"))
			any_q = max_int(any_q, e.q);
	}
	/* A listed gzip overrides the wildcard, so "*, gzip;q=0" refuses gzip. */
	return gzip_q >= 0 ? gzip_q > 0 : any_q > 0;
}
