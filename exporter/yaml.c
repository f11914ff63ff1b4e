/* A YAML-subset parser for configuration files (see yaml.h for what it accepts).
 *
 * The input is first checked and copied once: UTF-8 validity, no NUL or control bytes, CR LF and
 * lone CR turned into LF. The parser then reads that copy by recursive descent over the block
 * structure (indentation) and the flow structure (brackets). Each function that descends into a
 * collection passes depth + 1 and the collection constructors refuse depth > YAML_MAX_DEPTH, so
 * the C stack is bounded whatever the input.
 *
 * Block parsers share one convention: they return positioned on the first character of the next
 * line that has content (blank and comment lines skipped) or at the end of the input, so the
 * caller compares that line's indentation with its own to decide whether it continues. The
 * scanning rules (folding of line breaks, block scalar indentation, chomping) follow libyaml,
 * which the Go yaml package that the exporter toolkit uses is a port of. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "buf.h"
#include "xalloc.h"
#include "yaml.h"

struct yaml_doc {
	struct yaml_node *root;
	/* Every node, so freeing needs no recursion. */
	struct yaml_node **nodes;
	size_t nnodes;
	size_t cap;
};

struct parser {
	const char *s; /* the checked copy: NUL-terminated, '\n' the only line break */
	size_t len;
	size_t pos;
	size_t bol; /* offset of the first byte of the line holding pos */
	unsigned line;
	struct yaml_doc *doc;
	char *err;
	size_t errlen;
};

/* Where a block node starts: on a line of its own, after "- ", or after "key: ". */
enum start {
	AT_LINE,
	AFTER_DASH,
	AFTER_KEY,
};

static void set_error(struct parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_error(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->errlen == 0)
		return;
	n = snprintf(p->err, p->errlen, "line %u: ", line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		(void)vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
}

/* Records the message and evaluates to -EINVAL. A macro so that the static analyzer, which does
 * not follow variadic calls, sees the constant: every error path visibly returns < 0. */
#define fail(p, line, ...) (set_error((p), (line), __VA_ARGS__), -EINVAL)

char *
yaml_escape(char *dst, size_t size, const char *s, size_t len, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	size_t n = len > max ? max : len;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
		size_t need = plain ? 1 : 4;

		if (o + need >= size)
			break;
		if (plain) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	if (len > max && o + 3 < size) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o < size ? o : size - 1] = '\0';
	return dst;
}

/* ---- input check ------------------------------------------------------------------------ */

/* Length of the UTF-8 sequence at s[0..n) and its code point, or 0 when it is not valid UTF-8
 * (overlong forms, surrogates and values above U+10FFFF included). */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *ret)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80) {
		*ret = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret = cp;
	return len;
}

/* Copies text into a NUL-terminated buffer with '\n' as the only line break, refusing what YAML
 * does not allow in a stream (control characters, U+FFFE, U+FFFF) and what this subset does not
 * support (the YAML 1.1 line breaks NEL, LS and PS, which YAML 1.2 no longer treats as breaks:
 * refusing them avoids guessing). A leading byte order mark is dropped. */
static int
normalise(struct parser *p, const char *text, size_t len, char **ret, size_t *ret_len)
{
	const unsigned char *s = (const unsigned char *)text;
	char *out = xmalloc(len + 1);
	size_t i = 0, o = 0;
	unsigned line = 1;
	int r = 0;

	if (len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		i = 3;
	while (i < len) {
		uint32_t cp;
		size_t n;

		if (s[i] == '\r') {
			out[o++] = '\n';
			line++;
			i += i + 1 < len && s[i + 1] == '\n' ? 2 : 1;
			continue;
		}
		if (s[i] == '\n') {
			out[o++] = '\n';
			line++;
			i++;
			continue;
		}
		if (s[i] == '\0') {
			r = fail(p, line, "NUL byte in the input");
			goto out;
		}
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
			r = fail(p, line, "control character 0x%02x in the input", s[i]);
			goto out;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			r = fail(p, line, "invalid UTF-8 in the input");
			goto out;
		}
		if (cp == 0x85 || cp == 0x2028 || cp == 0x2029) {
			r = fail(p, line, "unsupported line break character U+%04X", (unsigned)cp);
			goto out;
		}
		if ((cp >= 0x80 && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff) {
			r = fail(p, line, "control character U+%04X in the input", (unsigned)cp);
			goto out;
		}
		if (cp == 0xfeff) {
			r = fail(p, line, "byte order mark inside the document");
			goto out;
		}
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	*ret = out;
	*ret_len = o;
	out = NULL;
out:
	free(out);
	return r;
}

/* ---- nodes -------------------------------------------------------------------------------- */

static int
node_new(struct parser *p, enum yaml_kind kind, unsigned line, struct yaml_node **ret)
{
	struct yaml_doc *d = p->doc;
	struct yaml_node *n = NULL;

	if (d->nnodes >= YAML_MAX_NODES)
		return fail(p, line, "more than %d nodes", YAML_MAX_NODES);
	if (d->nnodes == d->cap) {
		d->cap = d->cap == 0 ? 64 : d->cap * 2;
		d->nodes = xrealloc(d->nodes, d->cap * sizeof(*d->nodes));
	}
	n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = line;
	d->nodes[d->nnodes++] = n;
	*ret = n;
	return 0;
}

/* A new collection one level below depth - 1; refuses to go deeper than the limit. */
static int
collection_new(struct parser *p, enum yaml_kind kind, unsigned line, unsigned depth,
	       struct yaml_node **ret)
{
	if (depth > YAML_MAX_DEPTH)
		return fail(p, line, "nesting deeper than %d levels", YAML_MAX_DEPTH);
	return node_new(p, kind, line, ret);
}

/* A scalar node taking the bytes of b (which is left empty). */
static int
scalar_new(struct parser *p, enum yaml_style style, unsigned line, struct buf *b,
	   struct yaml_node **ret)
{
	struct yaml_node *n = NULL;
	int r = node_new(p, YAML_SCALAR, line, &n);

	if (r < 0)
		return r;
	n->style = style;
	n->text = buf_steal(b, &n->len);
	*ret = n;
	return 0;
}

/* The value of "key:" with nothing after it. */
static int
empty_new(struct parser *p, unsigned line, struct yaml_node **ret)
{
	struct buf b = BUF_INIT;

	return scalar_new(p, YAML_PLAIN, line, &b, ret);
}

static void
seq_add(struct yaml_node *seq, struct yaml_node *item)
{
	/* Grows at powers of two: the capacity is implied by the count. */
	if ((seq->nitems & (seq->nitems - 1)) == 0) {
		size_t cap = seq->nitems == 0 ? 4 : seq->nitems * 2;
		if (seq->nitems == 0 || cap > 4)
			seq->items = xrealloc(seq->items, cap * sizeof(*seq->items));
	}
	seq->items[seq->nitems++] = item;
}

static void
map_add(struct yaml_node *map, struct yaml_node *key, struct yaml_node *value)
{
	if ((map->npairs & (map->npairs - 1)) == 0) {
		size_t cap = map->npairs == 0 ? 4 : map->npairs * 2;
		if (map->npairs == 0 || cap > 4)
			map->pairs = xrealloc(map->pairs, cap * sizeof(*map->pairs));
	}
	map->pairs[map->npairs].key = key;
	map->pairs[map->npairs].value = value;
	map->npairs++;
}

struct key_ref {
	const struct yaml_node *key;
	size_t index;
};

static int
key_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	size_t n = x->key->len < y->key->len ? x->key->len : y->key->len;
	int c = memcmp(x->key->text, y->key->text, n);

	if (c != 0)
		return c;
	if (x->key->len != y->key->len)
		return x->key->len < y->key->len ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorting makes this O(n log n): a mapping of thousands of keys must not cost n^2 compares.
 * Reports the duplicate that comes first in the document. */
static int
check_duplicates(struct parser *p, const struct yaml_node *map)
{
	struct key_ref *refs;
	const struct key_ref *first = NULL, *second = NULL;
	char q[100];

	if (map->npairs < 2)
		return 0;
	refs = xmalloc(map->npairs * sizeof(*refs));
	for (size_t i = 0; i < map->npairs; i++) {
		refs[i].key = map->pairs[i].key;
		refs[i].index = i;
	}
	qsort(refs, map->npairs, sizeof(*refs), key_cmp);
	for (size_t i = 1; i < map->npairs; i++) {
		const struct yaml_node *a = refs[i - 1].key, *b = refs[i].key;

		if (a->len != b->len || memcmp(a->text, b->text, a->len) != 0)
			continue;
		if (second == NULL || refs[i].index < second->index) {
			first = &refs[i - 1];
			second = &refs[i];
		}
	}
	int r = 0;
	if (second != NULL) {
		r = fail(p, second->key->line, "mapping key \"%s\" already defined at line %u",
			 yaml_escape(q, sizeof(q), second->key->text, second->key->len, 64),
			 first->key->line);
	}
	free(refs);
	return r;
}

/* ---- scanning helpers --------------------------------------------------------------------- */

static char
cur(const struct parser *p)
{
	return p->s[p->pos];
}

static char
peek(const struct parser *p, size_t k)
{
	/* Never past the terminating NUL. */
	for (size_t i = 0; i < k; i++) {
		if (p->s[p->pos + i] == '\0')
			return '\0';
	}
	return p->s[p->pos + k];
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_breakz(char c)
{
	return c == '\n' || c == '\0';
}

static bool
is_blankz(char c)
{
	return is_blank(c) || is_breakz(c);
}

static bool
is_flow_indicator(char c)
{
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

static int
col(const struct parser *p)
{
	return (int)(p->pos - p->bol);
}

static void
skip_blanks(struct parser *p)
{
	while (is_blank(cur(p)))
		p->pos++;
}

static void
skip_to_eol(struct parser *p)
{
	while (!is_breakz(cur(p)))
		p->pos++;
}

/* At a '\n': moves to the start of the next line. */
static void
next_line(struct parser *p)
{
	p->pos++;
	p->line++;
	p->bol = p->pos;
}

static bool
at_eof(const struct parser *p)
{
	return cur(p) == '\0';
}

/* "---" or "..." at the start of a line, alone or followed by white space. */
static bool
at_doc_marker(const struct parser *p)
{
	const char *s = p->s + p->pos;

	return col(p) == 0 && (strncmp(s, "---", 3) == 0 || strncmp(s, "...", 3) == 0) &&
	       is_blankz(s[3]);
}

/* A '#' starts a comment only at the start of a line or after white space. */
static bool
at_comment(const struct parser *p)
{
	return cur(p) == '#' && (p->pos == p->bol || is_blank(p->s[p->pos - 1]));
}

/* After a node that ends on this line: only white space and a comment may follow. Moves to the
 * start of the next line. A '#' right after a token ("x"#c) starts a comment too, as in libyaml:
 * only inside plain scalars does it need white space before it. */
static int
finish_line(struct parser *p, const char *what)
{
	skip_blanks(p);
	if (cur(p) == '#')
		skip_to_eol(p);
	if (!is_breakz(cur(p)))
		return fail(p, p->line, "unexpected text after %s", what);
	if (cur(p) == '\n')
		next_line(p);
	return 0;
}

/* From the start of a line, skips blank and comment lines and stops on the first character of
 * the next line with content, or at the end. Indentation is spaces only: a tab there is an
 * error, as it is for libyaml (editors disagree on how wide a tab is). */
static int
seek_content(struct parser *p)
{
	for (;;) {
		while (cur(p) == ' ')
			p->pos++;
		if (cur(p) == '\t')
			return fail(p, p->line, "tab character used for indentation");
		if (at_comment(p))
			skip_to_eol(p);
		if (cur(p) != '\n')
			return 0;
		next_line(p);
	}
}

static int
append(struct parser *p, struct buf *b, unsigned line, const char *s, size_t n)
{
	if (n > YAML_MAX_SCALAR - b->len)
		return fail(p, line, "scalar longer than %d bytes", YAML_MAX_SCALAR);
	buf_append(b, s, n);
	return 0;
}

static int
append_breaks(struct parser *p, struct buf *b, unsigned line, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = append(p, b, line, "\n", 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Indicators this subset refuses wherever a node could start. */
static int
check_node_start(struct parser *p)
{
	char c = cur(p);

	switch (c) {
	case '&':
		return fail(p, p->line, "anchors (&) are not supported");
	case '*':
		return fail(p, p->line, "aliases (*) are not supported");
	case '!':
		return fail(p, p->line, "tags (!) are not supported");
	case '%':
		if (col(p) == 0)
			return fail(p, p->line, "directives (%%) are not supported");
		return fail(p, p->line, "a plain scalar cannot start with '%%'");
	case '@':
	case '`':
		return fail(p, p->line, "a plain scalar cannot start with '%c'", c);
	case '?':
		if (is_blankz(peek(p, 1)))
			return fail(p, p->line, "complex mapping keys (?) are not supported");
		return 0;
	case ':':
		if (is_blankz(peek(p, 1)))
			return fail(p, p->line, "a mapping key cannot be empty");
		return 0;
	case ',':
	case ']':
	case '}':
		return fail(p, p->line, "unexpected '%c'", c);
	default:
		return 0;
	}
}

/* A plain "<<" key asks YAML 1.1 to merge another mapping in (yaml.v2 does). Without anchors it
 * is rarely useful, and reading it as an ordinary key would silently change its meaning. */
static int
check_key(struct parser *p, const struct yaml_node *key)
{
	if (key->style == YAML_PLAIN && strcmp(key->text, "<<") == 0)
		return fail(p, key->line, "merge keys (<<) are not supported");
	return 0;
}

/* ---- quoted scalars ----------------------------------------------------------------------- */

static void
utf8_encode(uint32_t cp, char *out, size_t *ret_len)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		*ret_len = 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		*ret_len = 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		*ret_len = 3;
	} else {
		out[0] = (char)(0xf0 | cp >> 18);
		out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		*ret_len = 4;
	}
}

/* One escape sequence of a double-quoted scalar, pos on the backslash. An escaped line break is
 * left to the caller (it joins lines). */
static int
scan_escape(struct parser *p, struct buf *b, unsigned start)
{
	char out[4];
	size_t n = 1, digits = 0;
	char c = peek(p, 1);

	switch (c) {
	case '0': out[0] = '\0'; break;
	case 'a': out[0] = '\a'; break;
	case 'b': out[0] = '\b'; break;
	case 't':
	case '\t': out[0] = '\t'; break;
	case 'n': out[0] = '\n'; break;
	case 'v': out[0] = '\v'; break;
	case 'f': out[0] = '\f'; break;
	case 'r': out[0] = '\r'; break;
	case 'e': out[0] = '\x1b'; break;
	case ' ':
	case '"':
	case '\'':
	case '\\': out[0] = c; break;
	case 'N': utf8_encode(0x85, out, &n); break;
	case '_': utf8_encode(0xa0, out, &n); break;
	case 'L': utf8_encode(0x2028, out, &n); break;
	case 'P': utf8_encode(0x2029, out, &n); break;
	case 'x': digits = 2; break;
	case 'u': digits = 4; break;
	case 'U': digits = 8; break;
	case '/':
		/* YAML 1.2 has it; libyaml's YAML 1.1, and so the toolkit, refuses the file. */
		return fail(p, p->line,
			    "invalid escape sequence \"\\/\" (YAML 1.1 has none; write \"/\")");
	default:
		if (c == '\0' || c == '\n')
			return fail(p, p->line, "unterminated escape sequence");
		return fail(p, p->line, "invalid escape sequence in a double-quoted scalar");
	}
	p->pos += 2;
	if (digits > 0) {
		uint32_t cp = 0;

		for (size_t i = 0; i < digits; i++) {
			int v = parse_hex_digit(cur(p));
			if (v < 0)
				return fail(p, p->line, "invalid hexadecimal escape sequence");
			cp = cp << 4 | (uint32_t)v;
			p->pos++;
		}
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return fail(p, p->line, "escape sequence for an invalid Unicode character");
		utf8_encode(cp, out, &n);
	}
	return append(p, b, start, out, n);
}

/* A single- or double-quoted scalar, pos on the opening quote; it may span lines. Line breaks
 * fold as in libyaml: one break becomes a space, each further empty line a '\n', and white space
 * around breaks is dropped. *ret_multiline tells whether it spanned lines (keys may not). */
static int
scan_quoted(struct parser *p, struct yaml_node **ret, bool *ret_multiline)
{
	bool dq = cur(p) == '"';
	unsigned start = p->line;
	struct buf b = BUF_INIT;
	int r = 0;

	p->pos++;
	for (;;) {
		char c = cur(p);

		if (c == '\0') {
			r = fail(p, start, "unterminated quoted scalar");
			goto out;
		}
		if (!dq && c == '\'' && peek(p, 1) == '\'') {
			r = append(p, &b, start, "'", 1);
			p->pos += 2;
		} else if ((!dq && c == '\'') || (dq && c == '"')) {
			p->pos++;
			break;
		} else if (dq && c == '\\' && peek(p, 1) != '\n') {
			r = scan_escape(p, &b, start);
		} else if (is_blank(c) || c == '\n' || (dq && c == '\\')) {
			/* A run of white space and line breaks. */
			size_t ws = p->pos;
			bool escaped_break = dq && c == '\\';
			size_t breaks = 0;

			if (escaped_break)
				p->pos++;
			while (is_blank(cur(p)))
				p->pos++;
			size_t ws_end = p->pos;
			while (cur(p) == '\n') {
				next_line(p);
				breaks++;
				if (at_doc_marker(p)) {
					r = fail(p, p->line,
						 "document marker inside a quoted scalar");
					goto out;
				}
				while (is_blank(cur(p)))
					p->pos++;
			}
			if (breaks == 0) {
				/* Blanks inside a line are content. */
				r = append(p, &b, start, p->s + ws, ws_end - ws);
			} else if (breaks == 1 && !escaped_break) {
				r = append(p, &b, start, " ", 1);
			} else {
				/* An escaped break joins the lines; empty lines are kept. */
				r = append_breaks(p, &b, start, breaks - 1);
			}
		} else {
			/* A run of ordinary characters. */
			size_t from = p->pos;
			while (!is_blankz(cur(p)) && cur(p) != (dq ? '"' : '\'') &&
			       !(dq && cur(p) == '\\'))
				p->pos++;
			r = append(p, &b, start, p->s + from, p->pos - from);
		}
		if (r < 0)
			goto out;
	}
	*ret_multiline = p->line != start;
	r = scalar_new(p, dq ? YAML_DOUBLE_QUOTED : YAML_SINGLE_QUOTED, start, &b, ret);
out:
	buf_free(&b);
	return r;
}

/* ---- plain scalars ------------------------------------------------------------------------ */

/* End of the plain text on this line from pos: a line break, a comment, ": " (a key), or in flow
 * context a flow indicator or ":" before one. Returns the offset and sets *ret_key when the
 * text ends in a key indicator. Trailing blanks are not part of the text. */
static size_t
plain_line_end(const struct parser *p, bool flow, bool *ret_key, size_t *ret_stop)
{
	size_t i = p->pos, end = p->pos;

	*ret_key = false;
	for (;;) {
		char c = p->s[i];

		if (is_breakz(c))
			break;
		char next = p->s[i + 1];

		if (c == ':' && (is_blankz(next) || (flow && is_flow_indicator(next)))) {
			*ret_key = true;
			break;
		}
		if (flow && is_flow_indicator(c))
			break;
		if (c == '#' && i > p->pos && is_blank(p->s[i - 1]))
			break;
		i++;
		if (!is_blank(c))
			end = i;
	}
	*ret_stop = i;
	return end;
}

/* A plain scalar in block context with pos on its first character. PARENT is the indentation
 * of the enclosing block: continuation lines must be indented more. When the first line ends in
 * ": ", the text is a key: *ret_key is set and pos is left after the ':'. Otherwise the scalar
 * may continue on more-indented lines and the function returns at the next content line. */
static int
scan_plain_block(struct parser *p, int parent, struct yaml_node **ret, bool *ret_key)
{
	unsigned start = p->line;
	struct buf b = BUF_INIT;
	bool key;
	size_t stop;
	size_t end = plain_line_end(p, false, &key, &stop);
	int r = append(p, &b, start, p->s + p->pos, end - p->pos);

	if (r < 0)
		goto out;
	p->pos = stop;
	if (key) {
		if (b.len > YAML_MAX_KEY) {
			r = fail(p, start, "mapping key longer than %d bytes", YAML_MAX_KEY);
			goto out;
		}
		p->pos++; /* the ':' */
		*ret_key = true;
		r = scalar_new(p, YAML_PLAIN, start, &b, ret);
		goto out;
	}
	/* Continuation lines, unless a comment ended the text. */
	while (cur(p) == '\n') {
		size_t save_pos = p->pos, save_bol = p->bol;
		unsigned save_line = p->line;
		size_t breaks = 0;

		for (;;) {
			next_line(p);
			breaks++;
			while (cur(p) == ' ')
				p->pos++;
			if (cur(p) == '\t') {
				r = fail(p, p->line, "tab character used for indentation");
				goto out;
			}
			if (cur(p) != '\n')
				break;
		}
		if (at_eof(p) || at_comment(p) || col(p) <= parent || at_doc_marker(p)) {
			p->pos = save_pos;
			p->bol = save_bol;
			p->line = save_line;
			break;
		}
		end = plain_line_end(p, false, &key, &stop);
		if (key) {
			r = fail(p, p->line,
				 "unexpected ':' in a multi-line plain scalar (bad indentation, or "
				 "a key that is not on one line?)");
			goto out;
		}
		if (breaks == 1)
			r = append(p, &b, start, " ", 1);
		else
			r = append_breaks(p, &b, start, breaks - 1);
		if (r >= 0)
			r = append(p, &b, start, p->s + p->pos, end - p->pos);
		if (r < 0)
			goto out;
		p->pos = stop;
	}
	r = finish_line(p, "a plain scalar");
	if (r >= 0)
		r = seek_content(p);
	if (r >= 0) {
		*ret_key = false;
		r = scalar_new(p, YAML_PLAIN, start, &b, ret);
	}
out:
	buf_free(&b);
	return r;
}

/* A plain scalar inside a flow collection; it may span lines and ends before a flow indicator,
 * a ':' that introduces a value, or a comment. */
static int
scan_plain_flow(struct parser *p, struct yaml_node **ret)
{
	unsigned start = p->line;
	struct buf b = BUF_INIT;
	int r;

	for (;;) {
		bool key;
		size_t stop;
		size_t end = plain_line_end(p, true, &key, &stop);

		r = append(p, &b, start, p->s + p->pos, end - p->pos);
		if (r < 0)
			goto out;
		p->pos = stop;
		if (cur(p) != '\n')
			break;
		/* Look past the break: more text continues the scalar. */
		size_t breaks = 0;
		while (cur(p) == '\n') {
			next_line(p);
			breaks++;
			if (at_doc_marker(p)) {
				r = fail(p, p->line, "document marker inside a flow collection");
				goto out;
			}
			skip_blanks(p);
		}
		char c = cur(p);
		if (c == '\0' || at_comment(p) || is_flow_indicator(c) ||
		    (c == ':' && (is_blankz(peek(p, 1)) || is_flow_indicator(peek(p, 1)))))
			break;
		if (breaks == 1)
			r = append(p, &b, start, " ", 1);
		else
			r = append_breaks(p, &b, start, breaks - 1);
		if (r < 0)
			goto out;
	}
	r = scalar_new(p, YAML_PLAIN, start, &b, ret);
out:
	buf_free(&b);
	return r;
}

/* ---- block scalars ------------------------------------------------------------------------ */

/* Skips empty lines inside a block scalar, counting them into *breaks. With *indent 0 (not yet
 * known) it also measures the widest leading run of spaces. Stops on the first line with
 * content at or beyond the indentation, or on a less-indented line, which ends the scalar. */
static int
block_breaks(struct parser *p, int *indent, int *max_indent, size_t *breaks)
{
	for (;;) {
		while ((*indent == 0 || col(p) < *indent) && cur(p) == ' ')
			p->pos++;
		if (col(p) > *max_indent)
			*max_indent = col(p);
		if ((*indent == 0 || col(p) < *indent) && cur(p) == '\t')
			return fail(p, p->line, "tab character used for indentation");
		if (cur(p) != '\n')
			return 0;
		next_line(p);
		(*breaks)++;
	}
}

/* A literal (|) or folded (>) block scalar with pos on the indicator. PARENT is the indentation
 * of the enclosing block collection (-1 at the top): content must be indented more, and an
 * explicit indentation indicator counts from it. */
static int
scan_block_scalar(struct parser *p, int parent, struct yaml_node **ret)
{
	unsigned start = p->line;
	bool literal = cur(p) == '|';
	int chomp = 0; /* -1 strip, 0 clip, +1 keep */
	int increment = 0, indent = 0, max_indent = 0;
	struct buf b = BUF_INIT;
	size_t breaks = 0;
	bool leading_break = false, leading_blank = false;
	int r;

	p->pos++;
	for (int i = 0; i < 2; i++) {
		char c = cur(p);

		if ((c == '+' || c == '-') && chomp == 0) {
			chomp = c == '+' ? 1 : -1;
			p->pos++;
		} else if (c >= '1' && c <= '9' && increment == 0) {
			increment = c - '0';
			p->pos++;
		} else if (c == '0') {
			return fail(p, start, "block scalar indentation indicator cannot be 0");
		}
	}
	if (!is_blankz(cur(p)))
		return fail(p, start, "invalid block scalar header");
	r = finish_line(p, "a block scalar header");
	if (r < 0)
		return r;
	if (increment > 0)
		indent = parent >= 0 ? parent + increment : increment;

	r = block_breaks(p, &indent, &max_indent, &breaks);
	if (r < 0)
		goto out;
	if (indent == 0) {
		indent = max_indent;
		if (indent < parent + 1)
			indent = parent + 1;
		if (indent < 1)
			indent = 1;
	}
	while (col(p) == indent && !at_eof(p)) {
		bool trailing_blank = is_blank(cur(p));

		if (!literal && leading_break && !leading_blank && !trailing_blank) {
			if (breaks == 0)
				r = append(p, &b, start, " ", 1);
			leading_break = false;
		} else if (leading_break) {
			r = append(p, &b, start, "\n", 1);
			leading_break = false;
		}
		if (r >= 0)
			r = append_breaks(p, &b, start, breaks);
		if (r < 0)
			goto out;
		breaks = 0;
		leading_blank = is_blank(cur(p));
		size_t from = p->pos;
		skip_to_eol(p);
		r = append(p, &b, start, p->s + from, p->pos - from);
		if (r < 0)
			goto out;
		if (at_eof(p))
			break;
		next_line(p);
		leading_break = true;
		r = block_breaks(p, &indent, &max_indent, &breaks);
		if (r < 0)
			goto out;
	}
	if (chomp != -1 && leading_break)
		r = append(p, &b, start, "\n", 1);
	if (r >= 0 && chomp == 1)
		r = append_breaks(p, &b, start, breaks);
	if (r < 0)
		goto out;
	/* The line that ended the scalar starts with spaces only (block_breaks refused a tab):
	 * back to its start so that seek_content() measures its indentation. */
	if (!at_eof(p))
		p->pos = p->bol;
	r = seek_content(p);
	if (r >= 0)
		r = scalar_new(p, literal ? YAML_LITERAL : YAML_FOLDED, start, &b, ret);
out:
	buf_free(&b);
	return r;
}

/* ---- flow collections --------------------------------------------------------------------- */

/* White space, line breaks and comments between flow tokens (plain scalars keep a '#' that has
 * no white space before it, so here it always starts a comment). */
static int
flow_skip(struct parser *p)
{
	for (;;) {
		skip_blanks(p);
		if (cur(p) == '#')
			skip_to_eol(p);
		if (cur(p) != '\n')
			return 0;
		next_line(p);
		if (at_doc_marker(p))
			return fail(p, p->line, "document marker inside a flow collection");
	}
}

static int parse_flow(struct parser *p, unsigned depth, struct yaml_node **ret);

/* ':' as a value indicator inside a flow collection. A quoted key may be followed directly by
 * ':' (JSON style). */
static bool
at_flow_value(const struct parser *p, bool after_quoted)
{
	char next = peek(p, 1);

	return cur(p) == ':' && (after_quoted || is_blankz(next) || is_flow_indicator(next));
}

static int
parse_flow_node(struct parser *p, unsigned depth, struct yaml_node **ret, bool *ret_quoted)
{
	char c = cur(p);
	bool multiline;
	int r;

	*ret_quoted = false;
	if (c == '[' || c == '{')
		return parse_flow(p, depth + 1, ret);
	if (c == '"' || c == '\'') {
		*ret_quoted = true;
		return scan_quoted(p, ret, &multiline);
	}
	if (c == '|' || c == '>')
		return fail(p, p->line, "block scalars are not allowed inside a flow collection");
	if (c == '#')
		return fail(p, p->line, "unexpected '#'");
	if (c == '-' && is_blankz(peek(p, 1)))
		return fail(p, p->line,
			    "block sequence entries are not allowed inside a flow collection");
	r = check_node_start(p);
	if (r < 0)
		return r;
	return scan_plain_flow(p, ret);
}

/* A flow sequence [..] or mapping {..} with pos on the opening bracket; DEPTH is its own. */
static int
parse_flow(struct parser *p, unsigned depth, struct yaml_node **ret)
{
	bool is_map = cur(p) == '{';
	char close = is_map ? '}' : ']';
	const char *what = is_map ? "flow mapping" : "flow sequence";
	unsigned start = p->line;
	struct yaml_node *coll = NULL, *key = NULL, *value = NULL;
	bool quoted;
	int r = collection_new(p, is_map ? YAML_MAPPING : YAML_SEQUENCE, start, depth, &coll);

	if (r < 0)
		return r;
	p->pos++;
	for (;;) {
		r = flow_skip(p);
		if (r < 0)
			return r;
		if (cur(p) == close) {
			p->pos++;
			break;
		}
		if (at_eof(p))
			return fail(p, start, "unterminated %s", what);
		if (cur(p) == ',')
			return fail(p, p->line, "empty entry in a %s", what);
		if (!is_map) {
			r = parse_flow_node(p, depth, &value, &quoted);
			if (r >= 0)
				r = flow_skip(p);
			if (r < 0)
				return r;
			if (at_flow_value(p, quoted))
				return fail(p, p->line,
					    "mappings inside a flow sequence are not supported");
			seq_add(coll, value);
		} else {
			unsigned key_line = p->line;

			if (cur(p) == '[' || cur(p) == '{')
				return fail(p, p->line, "a mapping key must be a scalar");
			if (cur(p) == '?' && is_blankz(peek(p, 1)))
				return fail(p, p->line,
					    "complex mapping keys (?) are not supported");
			if (at_flow_value(p, false))
				return fail(p, p->line, "a mapping key cannot be empty");
			r = parse_flow_node(p, depth, &key, &quoted);
			if (r < 0)
				return r;
			if (key->line != p->line)
				return fail(p, key_line, "a mapping key must be on one line");
			if (key->len > YAML_MAX_KEY)
				return fail(p, key_line, "mapping key longer than %d bytes",
					    YAML_MAX_KEY);
			r = check_key(p, key);
			if (r >= 0)
				r = flow_skip(p);
			if (r < 0)
				return r;
			if (at_flow_value(p, quoted)) {
				p->pos++;
				r = flow_skip(p);
				if (r < 0)
					return r;
				if (cur(p) == ',' || cur(p) == close)
					r = empty_new(p, key_line, &value);
				else
					r = parse_flow_node(p, depth, &value, &quoted);
			} else {
				r = empty_new(p, key_line, &value);
			}
			if (r >= 0)
				r = flow_skip(p);
			if (r < 0)
				return r;
			map_add(coll, key, value);
		}
		if (cur(p) == ',') {
			p->pos++;
		} else if (cur(p) != close) {
			if (at_eof(p))
				return fail(p, start, "unterminated %s", what);
			return fail(p, p->line, "expected ',' or '%c' in a %s", close, what);
		}
	}
	if (is_map) {
		r = check_duplicates(p, coll);
		if (r < 0)
			return r;
	}
	*ret = coll;
	return 0;
}

/* ---- block collections -------------------------------------------------------------------- */

static int parse_node(struct parser *p, int parent, unsigned depth, enum start where,
		      struct yaml_node **ret);
static int parse_block_seq(struct parser *p, unsigned depth, struct yaml_node **ret);

/* A key at the start of a block mapping entry, pos on its first character. Leaves pos after the
 * ':'. Errors name what was found instead. */
static int
scan_key(struct parser *p, int indent, struct yaml_node **ret)
{
	char c = cur(p);
	unsigned line = p->line;
	bool is_key = false, multiline = false;
	int r;

	if (c == '-' && is_blankz(peek(p, 1)))
		return fail(p, line, "expected a mapping key, found a sequence entry");
	if (c == '[' || c == '{')
		return fail(p, line, "a mapping key must be a scalar");
	if (c == '|' || c == '>')
		return fail(p, line, "expected a mapping key, found a block scalar");
	r = check_node_start(p);
	if (r < 0)
		return r;
	if (c == '"' || c == '\'') {
		r = scan_quoted(p, ret, &multiline);
		if (r < 0)
			return r;
		skip_blanks(p);
		if (cur(p) != ':' || !is_blankz(peek(p, 1)))
			return fail(p, line, "expected ':' after a mapping key");
		if (multiline)
			return fail(p, line, "a mapping key must be on one line");
		if ((*ret)->len > YAML_MAX_KEY)
			return fail(p, line, "mapping key longer than %d bytes", YAML_MAX_KEY);
		p->pos++;
		return 0;
	}
	r = scan_plain_block(p, indent, ret, &is_key);
	if (r < 0)
		return r;
	if (!is_key)
		return fail(p, line, "expected a mapping key (\"key: value\")");
	return check_key(p, *ret);
}

/* The value after "key:", pos just after the ':'. INDENT is the mapping's. */
static int
parse_map_value(struct parser *p, int indent, unsigned depth, unsigned key_line,
		struct yaml_node **ret)
{
	int r;

	skip_blanks(p);
	if (!at_comment(p) && !is_breakz(cur(p)))
		return parse_node(p, indent, depth, AFTER_KEY, ret);
	r = finish_line(p, "a mapping key");
	if (r >= 0)
		r = seek_content(p);
	if (r < 0)
		return r;
	if (at_eof(p) || at_doc_marker(p))
		return empty_new(p, key_line, ret);
	if (col(p) > indent)
		return parse_node(p, indent, depth, AT_LINE, ret);
	/* YAML lets a sequence under a key start at the key's own indentation; libyaml (and so the
	 * toolkit) also takes a block scalar there. */
	if (col(p) == indent && cur(p) == '-' && is_blankz(peek(p, 1)))
		return parse_block_seq(p, depth + 1, ret);
	if (col(p) == indent && (cur(p) == '|' || cur(p) == '>'))
		return scan_block_scalar(p, indent, ret);
	return empty_new(p, key_line, ret);
}

/* A block mapping whose first key was just scanned (pos after its ':'); INDENT is the column of
 * its keys, DEPTH its own. */
static int
parse_block_map(struct parser *p, int indent, unsigned depth, struct yaml_node *key,
		struct yaml_node **ret)
{
	struct yaml_node *map = NULL, *value = NULL;
	int r = collection_new(p, YAML_MAPPING, key->line, depth, &map);

	if (r < 0)
		return r;
	for (;;) {
		r = parse_map_value(p, indent, depth, key->line, &value);
		if (r < 0)
			return r;
		map_add(map, key, value);
		if (at_eof(p) || at_doc_marker(p) || col(p) < indent)
			break;
		if (col(p) > indent)
			return fail(p, p->line, "bad indentation of a mapping entry");
		r = scan_key(p, indent, &key);
		if (r < 0)
			return r;
	}
	r = check_duplicates(p, map);
	if (r < 0)
		return r;
	*ret = map;
	return 0;
}

/* A block sequence with pos on its first "-"; the column of the dashes is its indentation. */
static int
parse_block_seq(struct parser *p, unsigned depth, struct yaml_node **ret)
{
	int indent = col(p);
	struct yaml_node *seq = NULL, *item = NULL;
	int r = collection_new(p, YAML_SEQUENCE, p->line, depth, &seq);

	if (r < 0)
		return r;
	for (;;) {
		unsigned line = p->line;

		p->pos++; /* the '-' */
		skip_blanks(p);
		if (at_comment(p) || is_breakz(cur(p))) {
			r = finish_line(p, "'-'");
			if (r >= 0)
				r = seek_content(p);
			if (r < 0)
				return r;
			if (!at_eof(p) && !at_doc_marker(p) && col(p) > indent)
				r = parse_node(p, indent, depth, AT_LINE, &item);
			else if (col(p) == indent && (cur(p) == '|' || cur(p) == '>'))
				r = scan_block_scalar(p, indent, &item); /* as under a key */
			else
				r = empty_new(p, line, &item);
		} else {
			r = parse_node(p, indent, depth, AFTER_DASH, &item);
		}
		if (r < 0)
			return r;
		seq_add(seq, item);
		if (at_eof(p) || at_doc_marker(p) || col(p) < indent)
			break;
		if (col(p) > indent)
			return fail(p, p->line, "bad indentation of a sequence entry");
		if (cur(p) != '-' || !is_blankz(peek(p, 1)))
			break; /* the enclosing mapping's next key, or an error it reports */
	}
	*ret = seq;
	return 0;
}

/* Any node in block context with pos on its first character. PARENT is the indentation of the
 * enclosing block collection (-1 at the top); DEPTH counts the collections around the node. */
static int
parse_node(struct parser *p, int parent, unsigned depth, enum start where, struct yaml_node **ret)
{
	char c = cur(p);
	int indent = col(p);
	struct yaml_node *node = NULL;
	bool is_key = false, multiline = false;
	int r;

	if (c == '-' && is_blankz(peek(p, 1))) {
		if (where == AFTER_KEY)
			return fail(p, p->line,
				    "a block sequence cannot start on the line of its key");
		return parse_block_seq(p, depth + 1, ret);
	}
	if (c == '|' || c == '>')
		return scan_block_scalar(p, parent, ret);
	r = check_node_start(p);
	if (r < 0)
		return r;
	if (c == '[' || c == '{') {
		r = parse_flow(p, depth + 1, &node);
		if (r < 0)
			return r;
		skip_blanks(p);
		if (cur(p) == ':' && is_blankz(peek(p, 1)))
			return fail(p, node->line, "a mapping key must be a scalar");
		r = finish_line(p, "a flow collection");
		if (r >= 0)
			r = seek_content(p);
		if (r < 0)
			return r;
		*ret = node;
		return 0;
	}
	if (c == '"' || c == '\'') {
		r = scan_quoted(p, &node, &multiline);
		if (r < 0)
			return r;
		skip_blanks(p);
		is_key = cur(p) == ':' && is_blankz(peek(p, 1));
		if (is_key) {
			if (multiline)
				return fail(p, node->line, "a mapping key must be on one line");
			if (node->len > YAML_MAX_KEY)
				return fail(p, node->line, "mapping key longer than %d bytes",
					    YAML_MAX_KEY);
			p->pos++;
		} else {
			r = finish_line(p, "a quoted scalar");
			if (r >= 0)
				r = seek_content(p);
			if (r < 0)
				return r;
		}
	} else {
		r = scan_plain_block(p, parent, &node, &is_key);
		if (r < 0)
			return r;
	}
	if (!is_key) {
		*ret = node;
		return 0;
	}
	if (where == AFTER_KEY)
		return fail(p, node->line, "a mapping cannot start on the line of its key");
	r = check_key(p, node);
	if (r < 0)
		return r;
	return parse_block_map(p, indent, depth + 1, node, ret);
}

/* ---- documents ---------------------------------------------------------------------------- */

/* After the root node: "---" and "..." marker lines, comments and blank lines, that is
 * document ends and empty documents. libyaml stops reading after the first document, so Go
 * silently ignores whatever follows it; an empty document loses nothing and is accepted, any
 * other content after the first document is refused rather than ignored. */
static int
parse_doc_end(struct parser *p, const struct yaml_node *root)
{
	bool last_start = false; /* the last marker was "---": content would start a document */
	unsigned start_line = 0;  /* the line of that "---" */
	int r;

	if (!at_eof(p) && !at_doc_marker(p)) {
		if (root != NULL && root->kind == YAML_SEQUENCE)
			return fail(p, p->line,
				    "expected a sequence entry (\"- \"); bad indentation?");
		return fail(p, p->line, "unexpected content; bad indentation?");
	}
	while (at_doc_marker(p)) {
		last_start = p->s[p->pos] == '-';
		start_line = p->line;
		p->pos += 3;
		skip_blanks(p);
		if (last_start && !at_comment(p) && !is_breakz(cur(p)))
			return fail(p, p->line, "multiple documents are not supported");
		r = finish_line(p, "'...'");
		if (r >= 0)
			r = seek_content(p);
		if (r < 0)
			return r;
	}
	if (at_eof(p))
		return 0;
	if (last_start)
		return fail(p, start_line, "multiple documents are not supported");
	return fail(p, p->line, "content after the document end marker '...'");
}

int
yaml_parse(const char *text, size_t len, struct yaml_doc **ret, char *err, size_t errlen)
{
	struct parser p = {.line = 1, .err = err, .errlen = errlen};
	struct yaml_node *root = NULL;
	char *norm = NULL;
	bool started = false; /* after a "---" */
	int r;

	if (errlen > 0)
		err[0] = '\0';
	if (len > YAML_MAX_INPUT) {
		(void)fail(&p, 1, "input larger than %d bytes", YAML_MAX_INPUT);
		return -EFBIG;
	}
	r = normalise(&p, text, len, &norm, &p.len);
	if (r < 0)
		return r;
	p.s = norm;
	p.doc = xcalloc(1, sizeof(*p.doc));

	r = seek_content(&p);
	if (r < 0)
		goto out;
	if (at_doc_marker(&p) && p.s[p.pos] == '-') {
		p.pos += 3;
		skip_blanks(&p);
		if (at_comment(&p) || is_breakz(cur(&p))) {
			r = finish_line(&p, "'---'");
			if (r >= 0)
				r = seek_content(&p);
		} else {
			/* "--- value": a scalar or flow node on the marker line. */
			r = parse_node(&p, -1, 0, AFTER_KEY, &root);
		}
		if (r < 0)
			goto out;
		started = true;
	}
	if (!started && at_doc_marker(&p)) {
		/* "..." first: libyaml then expects a node and refuses the file. */
		r = fail(&p, p.line, "document end marker '...' without a document before it");
		goto out;
	}
	if (root == NULL && !at_eof(&p) && !at_doc_marker(&p)) {
		r = parse_node(&p, -1, 0, AT_LINE, &root);
		if (r < 0)
			goto out;
	}
	r = parse_doc_end(&p, root);
	if (r < 0)
		goto out;
	p.doc->root = root;
	*ret = p.doc;
	p.doc = NULL;
out:
	yaml_doc_free(p.doc);
	free(norm);
	return r;
}

const struct yaml_node *
yaml_doc_root(const struct yaml_doc *doc)
{
	return doc->root;
}

void
yaml_doc_free(struct yaml_doc *doc)
{
	if (doc == NULL)
		return;
	for (size_t i = 0; i < doc->nnodes; i++) {
		free(doc->nodes[i]->text);
		free(doc->nodes[i]->pairs);
		free(doc->nodes[i]->items);
		free(doc->nodes[i]);
	}
	free(doc->nodes);
	free(doc);
}

bool
yaml_is_null(const struct yaml_node *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (n == NULL || n->kind != YAML_SCALAR || n->style != YAML_PLAIN)
		return false;
	for (size_t i = 0; i < nitems(nulls); i++) {
		if (strcmp(n->text, nulls[i]) == 0 && strlen(n->text) == n->len)
			return true;
	}
	return false;
}
