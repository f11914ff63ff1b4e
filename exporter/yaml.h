/* A bounded parser for the subset of YAML that configuration files use, built for the web
 * configuration file (webconfig.c): block and flow mappings and sequences, plain, quoted and block
 * scalars, comments and one document (empty ones may follow it). Everything else is refused with
 * an error naming the line: anchors, aliases, tags, merge keys, directives, complex keys, several
 * non-empty documents, tabs used for indentation, duplicate keys. Scalars are not typed here: the caller decides what "true", "1"
 * or "null" mean for the field it fills, using the node's style (only plain scalars resolve to
 * non-strings).
 *
 * Every input is safe to parse: size, nesting depth, node count and scalar length are bounded,
 * invalid UTF-8, NUL bytes and control characters are errors, recursion is bounded by the depth
 * limit and the time spent is linear in the input (duplicate keys are found by sorting). */
#ifndef EXPORTER_YAML_H
#define EXPORTER_YAML_H

#include <stdbool.h>
#include <stddef.h>

#define YAML_MAX_INPUT (1024 * 1024) /* bytes of input */
#define YAML_MAX_DEPTH 32	     /* collections nested in each other, the root counting as 1 */
#define YAML_MAX_NODES 20000	     /* nodes of all kinds (keys included) in one document */
#define YAML_MAX_SCALAR (256 * 1024) /* bytes of one scalar after unescaping and folding */
#define YAML_MAX_KEY 1024	     /* bytes of a mapping key, as YAML limits implicit keys */

enum yaml_kind {
	YAML_SCALAR,
	YAML_MAPPING,
	YAML_SEQUENCE,
};

/* How a scalar was written. Only plain scalars can mean null, a boolean or a number. */
enum yaml_style {
	YAML_PLAIN,
	YAML_SINGLE_QUOTED,
	YAML_DOUBLE_QUOTED,
	YAML_LITERAL, /* | */
	YAML_FOLDED,  /* > */
};

struct yaml_node;

struct yaml_pair {
	struct yaml_node *key; /* always a scalar; keys of one mapping are unique */
	struct yaml_node *value;
};

/* A node of the document tree. Only the members of its kind are set; the others are zero. */
struct yaml_node {
	enum yaml_kind kind;
	unsigned line; /* 1-based line where the node starts; an empty value has its key's line */
	/* YAML_SCALAR: the content after unescaping and folding, NUL-terminated. A "\0" escape can
	 * put a NUL byte inside, so text is a C string only when strlen(text) == len. An empty
	 * value ("key:" with nothing after it) is an empty plain scalar. */
	enum yaml_style style;
	char *text;
	size_t len;
	/* YAML_MAPPING: its entries in document order. */
	struct yaml_pair *pairs;
	size_t npairs;
	/* YAML_SEQUENCE: its items in document order. */
	struct yaml_node **items;
	size_t nitems;
};

/* A parsed document: owns every node. */
struct yaml_doc;

/* Parses TEXT (LEN bytes, need not be NUL-terminated; LEN <= YAML_MAX_INPUT) as one YAML
 * document. On success stores a document the caller frees with yaml_doc_free() in *ret and
 * returns 0. On failure returns -EINVAL (-EFBIG when LEN is above YAML_MAX_INPUT), leaves *ret
 * untouched and writes one line naming the line number into ERR (ERRLEN bytes, may be 0). Out of
 * memory is fatal (xalloc.h). */
int yaml_parse(const char *text, size_t len, struct yaml_doc **ret, char *err, size_t errlen);

/* The root node, or NULL for an empty document (nothing, only comments, or only "---").
 * Borrowed: valid until yaml_doc_free(). */
const struct yaml_node *yaml_doc_root(const struct yaml_doc *doc);

/* Frees the document and all its nodes; NULL-safe. */
void yaml_doc_free(struct yaml_doc *doc);

/* True for the scalars YAML reads as null: an empty plain scalar, "~", "null", "Null", "NULL".
 * False for anything quoted and for collections. */
bool yaml_is_null(const struct yaml_node *n);

/* Writes S (LEN bytes) into DST (SIZE bytes, at least 1) for quoting in a one-line message:
 * printable ASCII except '"' and '\\' is copied, every other byte becomes \xNN, and input beyond
 * MAX bytes is cut and marked with "...". Always NUL-terminates; returns DST. */
char *yaml_escape(char *dst, size_t size, const char *s, size_t len, size_t max);

#endif
