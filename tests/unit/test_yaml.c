/* Unit tests for yaml.c: every accepted form with the tree it must give (values, styles, line
 * numbers), every error with its exact message and line, and the limits (input size, depth,
 * node count, scalar and key length) on both sides of each bound. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "yaml.h"

/* Parses TEXT (strlen bytes), failing the test with the parser's message on error. */
static struct yaml_doc *
parse_len(const char *text, size_t len)
{
	struct yaml_doc *doc = NULL;
	char err[256] = "";
	int r = yaml_parse(text, len, &doc, err, sizeof(err));

	if (r != 0)
		fail_msg("yaml_parse() = %d: %s\ninput: %s", r, err, text);
	assert_non_null(doc);
	return doc;
}

static struct yaml_doc *
parse(const char *text)
{
	return parse_len(text, strlen(text));
}

/* The error must be exactly WANT; *ret must stay untouched; the message must be one line of
 * printable text. */
static void
check_error(const char *text, size_t len, int want_rc, const char *want)
{
	struct yaml_doc *sentinel = (struct yaml_doc *)(uintptr_t)0x5a5a;
	struct yaml_doc *doc = sentinel;
	char err[256];
	int r;

	memset(err, 'X', sizeof(err));
	r = yaml_parse(text, len, &doc, err, sizeof(err));
	if (r != want_rc || strcmp(err, want) != 0)
		fail_msg("yaml_parse() = %d \"%s\", want %d \"%s\"", r, err, want_rc, want);
	assert_ptr_equal(doc, sentinel);
	for (const char *p = err; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("control character in the message \"%s\"", err);
	}
}

#define assert_error(text, want) check_error((text), strlen(text), -EINVAL, (want))

static const struct yaml_node *
get(const struct yaml_node *map, const char *key)
{
	assert_non_null(map);
	assert_int_equal(map->kind, YAML_MAPPING);
	for (size_t i = 0; i < map->npairs; i++) {
		if (strcmp(map->pairs[i].key->text, key) == 0)
			return map->pairs[i].value;
	}
	fail_msg("no key \"%s\"", key);
	return NULL;
}

static const struct yaml_node *
item(const struct yaml_node *seq, size_t i)
{
	assert_non_null(seq);
	assert_int_equal(seq->kind, YAML_SEQUENCE);
	assert_true(i < seq->nitems);
	return seq->items[i];
}

static void
check_scalar(const struct yaml_node *n, const char *text, enum yaml_style style, unsigned line)
{
	assert_non_null(n);
	assert_int_equal(n->kind, YAML_SCALAR);
	assert_string_equal(n->text, text);
	assert_int_equal(n->len, strlen(text));
	assert_int_equal(n->style, style);
	assert_int_equal(n->line, line);
	assert_null(n->pairs);
	assert_null(n->items);
}

#define assert_plain(n, text, line) check_scalar((n), (text), YAML_PLAIN, (line))

static void
test_empty_documents(void **state)
{
	static const char *const empty[] = {
		"", "\n", "   \n\n  \n", "# only a comment\n", "#c", "  # indented\n# two\n",
		"---\n", "---", "--- # comment\n", "---\n...\n", "\n\n---\n\n...\n# end\n",
		/* Empty documents after the first, as libyaml reads them: nothing is lost. */
		"---\n---\n", "---\n...\n---\n...\n", "--- # a\n--- # b\n# c\n",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		struct yaml_doc *doc = parse(empty[i]);
		assert_null(yaml_doc_root(doc));
		yaml_doc_free(doc);
	}
	/* Repeated end markers and empty documents after a document keep its content. */
	struct yaml_doc *doc = parse("a: 1\n...\n...\n---\n# c\n--- # d\n...\n");
	assert_int_equal(yaml_doc_root(doc)->kind, YAML_MAPPING);
	assert_int_equal(yaml_doc_root(doc)->npairs, 1);
	yaml_doc_free(doc);
	/* An explicit null is a node, not an empty document. */
	doc = parse("~\n");
	assert_plain(yaml_doc_root(doc), "~", 1);
	assert_true(yaml_is_null(yaml_doc_root(doc)));
	yaml_doc_free(doc);
	yaml_doc_free(NULL);
}

static void
test_block_mapping(void **state)
{
	struct yaml_doc *doc = parse("# header\n"
				     "a: 1\n"
				     "b:\n"
				     "  c: x y\n"
				     "\n"
				     "  d:\n"
				     "      e: deep\n"
				     "  f:   spaced   \n"
				     "g:\n"
				     "'h i': \"j\"\n"
				     "k:    # comment after the key\n"
				     "  v\n");
	const struct yaml_node *root = yaml_doc_root(doc);
	(void)state;

	assert_int_equal(root->kind, YAML_MAPPING);
	assert_int_equal(root->line, 2);
	assert_int_equal(root->npairs, 5);
	/* Document order is kept. */
	assert_string_equal(root->pairs[0].key->text, "a");
	assert_string_equal(root->pairs[1].key->text, "b");
	assert_string_equal(root->pairs[2].key->text, "g");
	assert_string_equal(root->pairs[3].key->text, "h i");
	assert_int_equal(root->pairs[3].key->style, YAML_SINGLE_QUOTED);
	assert_string_equal(root->pairs[4].key->text, "k");
	assert_int_equal(root->pairs[4].key->line, 11);
	assert_plain(get(root, "a"), "1", 2);
	const struct yaml_node *b = get(root, "b");
	assert_int_equal(b->kind, YAML_MAPPING);
	assert_int_equal(b->line, 4);
	assert_int_equal(b->npairs, 3);
	assert_plain(get(b, "c"), "x y", 4);
	assert_plain(get(get(b, "d"), "e"), "deep", 7);
	assert_plain(get(b, "f"), "spaced", 8);
	/* "g:" with nothing after it: an empty plain scalar on the key's line, which is null. */
	assert_plain(get(root, "g"), "", 9);
	assert_true(yaml_is_null(get(root, "g")));
	check_scalar(get(root, "h i"), "j", YAML_DOUBLE_QUOTED, 10);
	assert_false(yaml_is_null(get(root, "h i")));
	assert_plain(get(root, "k"), "v", 12);
	yaml_doc_free(doc);

	/* A mapping may start indented, and keys may have trailing blanks before the ':'. */
	doc = parse("   x  : 1\n   y: 2\n");
	root = yaml_doc_root(doc);
	assert_int_equal(root->npairs, 2);
	assert_plain(get(root, "x"), "1", 1);
	yaml_doc_free(doc);
}

static void
test_block_sequence(void **state)
{
	struct yaml_doc *doc = parse("list:\n"
				     "- a\n"
				     "-   b  # comment\n"
				     "-\n"
				     "- - nested\n"
				     "  - two\n"
				     "- key: v\n"
				     "  other: w\n"
				     "-\n"
				     "    indented item\n"
				     "more:\n"
				     "  - x\n"
				     "  -\n"
				     "  - y\n");
	const struct yaml_node *root = yaml_doc_root(doc), *list, *n;
	(void)state;

	/* A sequence may start at its key's own indentation. */
	list = get(root, "list");
	assert_int_equal(list->kind, YAML_SEQUENCE);
	assert_int_equal(list->line, 2);
	assert_int_equal(list->nitems, 6);
	assert_plain(item(list, 0), "a", 2);
	assert_plain(item(list, 1), "b", 3);
	assert_plain(item(list, 2), "", 4);
	n = item(list, 3);
	assert_int_equal(n->kind, YAML_SEQUENCE);
	assert_int_equal(n->nitems, 2);
	assert_plain(item(n, 0), "nested", 5);
	assert_plain(item(n, 1), "two", 6);
	n = item(list, 4);
	assert_int_equal(n->kind, YAML_MAPPING);
	assert_int_equal(n->npairs, 2);
	assert_plain(get(n, "key"), "v", 7);
	assert_plain(get(n, "other"), "w", 8);
	assert_plain(item(list, 5), "indented item", 10);
	n = get(root, "more");
	assert_int_equal(n->nitems, 3);
	assert_plain(item(n, 1), "", 13);
	assert_plain(item(n, 2), "y", 14);
	yaml_doc_free(doc);

	/* A sequence as the root, and "-" followed by a tab. */
	doc = parse("- 1\n-\t2\n");
	root = yaml_doc_root(doc);
	assert_int_equal(root->kind, YAML_SEQUENCE);
	assert_plain(item(root, 1), "2", 2);
	yaml_doc_free(doc);
}

static void
test_flow_collections(void **state)
{
	struct yaml_doc *doc = parse("a: [x, 'y', \"z\" , ]\n"
				     "b: {k: v, q: , r, \"j\":1, 's': [1, {n: m}]}\n"
				     "c: []\n"
				     "d: {}\n"
				     "e: [one,\n"
				     "  two, # comment inside\n"
				     "three\n"
				     "   ]\n"
				     "f: [http://host:80/p, a:b, -x, a b]\n");
	const struct yaml_node *root = yaml_doc_root(doc), *n;
	(void)state;

	n = get(root, "a");
	assert_int_equal(n->kind, YAML_SEQUENCE);
	assert_int_equal(n->nitems, 3);
	assert_plain(item(n, 0), "x", 1);
	check_scalar(item(n, 1), "y", YAML_SINGLE_QUOTED, 1);
	check_scalar(item(n, 2), "z", YAML_DOUBLE_QUOTED, 1);
	n = get(root, "b");
	assert_int_equal(n->kind, YAML_MAPPING);
	assert_int_equal(n->npairs, 5);
	assert_plain(get(n, "k"), "v", 2);
	assert_true(yaml_is_null(get(n, "q")));
	assert_true(yaml_is_null(get(n, "r")));
	assert_plain(get(n, "j"), "1", 2); /* JSON style: ':' right after a quoted key */
	assert_plain(get(item(get(n, "s"), 1), "n"), "m", 2);
	assert_int_equal(get(root, "c")->nitems, 0);
	assert_int_equal(get(root, "c")->kind, YAML_SEQUENCE);
	assert_int_equal(get(root, "d")->npairs, 0);
	assert_int_equal(get(root, "d")->kind, YAML_MAPPING);
	n = get(root, "e");
	assert_int_equal(n->nitems, 3);
	assert_plain(item(n, 1), "two", 6);
	assert_plain(item(n, 2), "three", 7);
	n = get(root, "f");
	assert_plain(item(n, 0), "http://host:80/p", 9);
	assert_plain(item(n, 1), "a:b", 9);
	assert_plain(item(n, 2), "-x", 9);
	assert_plain(item(n, 3), "a b", 9);
	yaml_doc_free(doc);

	/* A flow collection as the root, spanning lines, with a multi-line plain scalar. */
	doc = parse("{a: one\n  two,\n\n b: [c]}\n");
	root = yaml_doc_root(doc);
	assert_plain(get(root, "a"), "one two", 1);
	assert_plain(item(get(root, "b"), 0), "c", 4);
	yaml_doc_free(doc);
}

static void
test_plain_scalars(void **state)
{
	struct yaml_doc *doc = parse("url: http://example.com:8080/a#frag\n"
				     "hash: a#b\n"
				     "comment: a #b\n"
				     "dash: -x\n"
				     "colon: :x\n"
				     "question: ?x\n"
				     "punct: a, [b] {c}\n"
				     "multi: first\n"
				     "  second\n"
				     "\n"
				     "  third\n"
				     "\n"
				     "\n"
				     "  fourth\n"
				     "tab:\ta\tb\t\n"
				     "quote: it's \"x\"\n");
	const struct yaml_node *root = yaml_doc_root(doc);
	(void)state;

	assert_plain(get(root, "url"), "http://example.com:8080/a#frag", 1);
	assert_plain(get(root, "hash"), "a#b", 2);
	assert_plain(get(root, "comment"), "a", 3);
	assert_plain(get(root, "dash"), "-x", 4);
	assert_plain(get(root, "colon"), ":x", 5);
	assert_plain(get(root, "question"), "?x", 6);
	assert_plain(get(root, "punct"), "a, [b] {c}", 7);
	/* One line break folds to a space, each further empty line is a newline. */
	assert_plain(get(root, "multi"), "first second\nthird\n\nfourth", 8);
	assert_plain(get(root, "tab"), "a\tb", 15);
	assert_plain(get(root, "quote"), "it's \"x\"", 16);
	yaml_doc_free(doc);

	/* A top-level plain scalar continues on lines at any indentation. */
	doc = parse("word\nnext\n");
	assert_plain(yaml_doc_root(doc), "word next", 1);
	yaml_doc_free(doc);
}

static void
test_quoted_scalars(void **state)
{
	struct yaml_doc *doc = parse("s: 'it''s # not a comment'\n"
				     "e: ''\n"
				     "d: \"\"\n"
				     "esc: \"\\a\\b\\t\\\t\\n\\v\\f\\r\\e\\ \\\"\\'\\\\\"\n"
				     "hex: \"\\x41\\u00e9\\U0001F600\\N\\_\\L\\P\"\n"
				     "fold: 'one\n"
				     "  two\n"
				     "\n"
				     "  three  '\n"
				     "join: \"a\\\n"
				     "    b\"\n"
				     "low: \"x\n"
				     "y\"\n"
				     "hash: \"a\"#comment right after the quote\n");
	const struct yaml_node *root = yaml_doc_root(doc), *n;
	(void)state;

	check_scalar(get(root, "s"), "it's # not a comment", YAML_SINGLE_QUOTED, 1);
	check_scalar(get(root, "e"), "", YAML_SINGLE_QUOTED, 2);
	assert_false(yaml_is_null(get(root, "e")));
	check_scalar(get(root, "d"), "", YAML_DOUBLE_QUOTED, 3);
	check_scalar(get(root, "esc"), "\a\b\t\t\n\v\f\r\x1b \"'\\", YAML_DOUBLE_QUOTED, 4);
	check_scalar(get(root, "hex"),
		     "A\xc3\xa9\xf0\x9f\x98\x80\xc2\x85\xc2\xa0\xe2\x80\xa8\xe2\x80\xa9",
		     YAML_DOUBLE_QUOTED, 5);
	check_scalar(get(root, "fold"), "one two\nthree  ", YAML_SINGLE_QUOTED, 6);
	check_scalar(get(root, "join"), "ab", YAML_DOUBLE_QUOTED, 10);
	/* Continuation lines of quoted scalars may be less indented (as in libyaml). */
	check_scalar(get(root, "low"), "x y", YAML_DOUBLE_QUOTED, 12);
	check_scalar(get(root, "hash"), "a", YAML_DOUBLE_QUOTED, 14);
	yaml_doc_free(doc);

	/* "\0" puts a NUL inside: len counts it, so callers can refuse it. */
	doc = parse("n: \"a\\0b\"\n");
	n = get(yaml_doc_root(doc), "n");
	assert_int_equal(n->len, 3);
	assert_memory_equal(n->text, "a\0b", 4);
	assert_false(yaml_is_null(n));
	yaml_doc_free(doc);
}

static void
test_block_scalars(void **state)
{
	struct yaml_doc *doc = parse("lit: |\n"
				     "  line1\n"
				     "    indented\n"
				     "  line2\n"
				     "\n"
				     "fold: >\n"
				     "  a\n"
				     "  b\n"
				     "\n"
				     "  c\n"
				     "   more\n"
				     "  d\n"
				     "strip: |-\n"
				     "  x\n"
				     "\n"
				     "keep: |+\n"
				     "  x\n"
				     "\n"
				     "\n"
				     "ind: |2\n"
				     "    two extra\n"
				     "  base\n"
				     "lead: >-\n"
				     "\n"
				     "  after blank\n"
				     "hash: | # comment on the header\n"
				     "  # not a comment\n"
				     "empty: |\n"
				     "same:\n"
				     "|\n"
				     " text\n"
				     "end: >+\n"
				     "  last");
	const struct yaml_node *root = yaml_doc_root(doc);
	(void)state;

	check_scalar(get(root, "lit"), "line1\n  indented\nline2\n", YAML_LITERAL, 1);
	/* Folded: breaks between normal lines become spaces, more-indented lines keep theirs. */
	check_scalar(get(root, "fold"), "a b\nc\n more\nd\n", YAML_FOLDED, 6);
	check_scalar(get(root, "strip"), "x", YAML_LITERAL, 13);
	check_scalar(get(root, "keep"), "x\n\n\n", YAML_LITERAL, 16);
	check_scalar(get(root, "ind"), "  two extra\nbase\n", YAML_LITERAL, 20);
	check_scalar(get(root, "lead"), "\nafter blank", YAML_FOLDED, 23);
	check_scalar(get(root, "hash"), "# not a comment\n", YAML_LITERAL, 26);
	check_scalar(get(root, "empty"), "", YAML_LITERAL, 28);
	assert_false(yaml_is_null(get(root, "empty")));
	/* libyaml takes a block scalar at the key's own indentation as its value. */
	check_scalar(get(root, "same"), "text\n", YAML_LITERAL, 30);
	/* No final line break in the input: none to keep. */
	check_scalar(get(root, "end"), "last", YAML_FOLDED, 32);
	yaml_doc_free(doc);

	/* An inline PEM certificate, the reason block scalars are supported at all. */
	doc = parse("tls:\n"
		    "  cert: |\n"
		    "    -----BEGIN CERTIFICATE-----\n"
		    "    MIIB\n"
		    "    -----END CERTIFICATE-----\n"
		    "  key: x\n");
	check_scalar(get(get(yaml_doc_root(doc), "tls"), "cert"),
		     "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", YAML_LITERAL,
		     2);
	yaml_doc_free(doc);

	/* In a sequence, and at the top with "--- |". */
	doc = parse("- |\n  a\n- >\n  b\n  c\n");
	check_scalar(item(yaml_doc_root(doc), 0), "a\n", YAML_LITERAL, 1);
	check_scalar(item(yaml_doc_root(doc), 1), "b c\n", YAML_FOLDED, 3);
	yaml_doc_free(doc);
	doc = parse("--- |\n  top\n");
	check_scalar(yaml_doc_root(doc), "top\n", YAML_LITERAL, 1);
	yaml_doc_free(doc);
}

static void
test_line_endings_and_bom(void **state)
{
	struct yaml_doc *doc = parse("a: 1\r\nb: |\r\n  x\r\n  y\r\nc: 'p\r\n  q'\r\n");
	const struct yaml_node *root = yaml_doc_root(doc);
	(void)state;

	assert_plain(get(root, "a"), "1", 1);
	check_scalar(get(root, "b"), "x\ny\n", YAML_LITERAL, 2);
	check_scalar(get(root, "c"), "p q", YAML_SINGLE_QUOTED, 5);
	yaml_doc_free(doc);

	/* A lone CR is a line break too. */
	doc = parse("a: 1\rb: 2\r");
	assert_plain(get(yaml_doc_root(doc), "b"), "2", 2);
	yaml_doc_free(doc);

	doc = parse("\xef\xbb\xbf" "a: 1");
	assert_plain(get(yaml_doc_root(doc), "a"), "1", 1);
	yaml_doc_free(doc);

	/* The input need not be NUL-terminated: only len bytes are read. */
	static const char unterminated[] = {'a', ':', ' ', 'b', 'c'};
	doc = parse_len(unterminated, sizeof(unterminated));
	assert_plain(get(yaml_doc_root(doc), "a"), "bc", 1);
	yaml_doc_free(doc);
	doc = parse_len("k: v\nrest: ignored", 4);
	assert_plain(get(yaml_doc_root(doc), "k"), "v", 1);
	assert_int_equal(yaml_doc_root(doc)->npairs, 1);
	yaml_doc_free(doc);
}

static void
test_is_null(void **state)
{
	struct yaml_doc *doc = parse("[~, null, Null, NULL, '', \"~\", nul, nULL, 0, [], {}]");
	const struct yaml_node *root = yaml_doc_root(doc);
	static const bool want[] = {true, true, true, true, false, false, false, false, false,
				    false, false};
	(void)state;

	assert_int_equal(root->nitems, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < root->nitems; i++)
		assert_int_equal(yaml_is_null(root->items[i]), want[i]);
	assert_false(yaml_is_null(NULL));
	yaml_doc_free(doc);

	/* An escaped NUL is not the empty string. */
	doc = parse("a: \"\\0\"\n");
	assert_false(yaml_is_null(get(yaml_doc_root(doc), "a")));
	yaml_doc_free(doc);
}

static void
test_unsupported(void **state)
{
	(void)state;
	assert_error("a: &x 1\n", "line 1: anchors (&) are not supported");
	assert_error("a: 1\nb: *x\n", "line 2: aliases (*) are not supported");
	assert_error("a: !!str 1\n", "line 1: tags (!) are not supported");
	assert_error("!t a: 1\n", "line 1: tags (!) are not supported");
	assert_error("%YAML 1.1\n---\na: 1\n", "line 1: directives (%) are not supported");
	assert_error("a: %x\n", "line 1: a plain scalar cannot start with '%'");
	assert_error("a: @x\n", "line 1: a plain scalar cannot start with '@'");
	assert_error("a: `x\n", "line 1: a plain scalar cannot start with '`'");
	assert_error("? a\n: b\n", "line 1: complex mapping keys (?) are not supported");
	assert_error("{? a: b}\n", "line 1: complex mapping keys (?) are not supported");
	assert_error("[a]: b\n", "line 1: a mapping key must be a scalar");
	assert_error("{[a]: b}\n", "line 1: a mapping key must be a scalar");
	assert_error("<<: {a: 1}\n", "line 1: merge keys (<<) are not supported");
	assert_error("x:\n  <<: {a: 1}\n", "line 2: merge keys (<<) are not supported");
	assert_error("{<<: {a: 1}}\n", "line 1: merge keys (<<) are not supported");
	assert_error("[a: b]\n", "line 1: mappings inside a flow sequence are not supported");
	assert_error("a: 1\n---\nb: 2\n", "line 2: multiple documents are not supported");
	assert_error("---\n--- ~\n", "line 2: multiple documents are not supported");
	assert_error("---\n---\n---\nb: 2\n", "line 3: multiple documents are not supported");
	assert_error("a: 1\n...\n...\n---\n# c\n---\n...\nb\n",
		     "line 8: content after the document end marker '...'");
	assert_error("a: 1\n... b\n", "line 2: unexpected text after '...'");
	/* "..." must end a document: libyaml refuses one that comes first. */
	assert_error("...\n", "line 1: document end marker '...' without a document before it");
	assert_error("\xef\xbb\xbf# c\n\n... # c\n",
		     "line 3: document end marker '...' without a document before it");
	assert_error("a: 1\n...\n---\nb: 2\n", "line 3: multiple documents are not supported");
	assert_error("a: 1\n...\nb: 2\n", "line 3: content after the document end marker '...'");
	/* A quoted "<<" is an ordinary key. */
	struct yaml_doc *doc = parse("'<<': 1\n");
	yaml_doc_free(doc);
}

static void
test_structure_errors(void **state)
{
	(void)state;
	assert_error("a:\n\tb: 1\n", "line 2: tab character used for indentation");
	assert_error("a: 1\n\t\n", "line 2: tab character used for indentation");
	assert_error("a: 1\n \t# comment\n", "line 2: tab character used for indentation");
	assert_error("a: |\n\tx\n", "line 2: tab character used for indentation");
	assert_error("a: b\n  \tc\n", "line 2: tab character used for indentation");
	assert_error("a:\n  b: 1\n c: 2\n", "line 3: bad indentation of a mapping entry");
	assert_error("a: 1\n  b: 2\n",
		     "line 2: unexpected ':' in a multi-line plain scalar (bad indentation, or a key "
		     "that is not on one line?)");
	assert_error("- [a]\n  - b\n", "line 2: bad indentation of a sequence entry");
	assert_error("a:\n  - b: 1\n   - 2\n", "line 3: bad indentation of a sequence entry");
	assert_error("- a\nb: 1\n", "line 2: expected a sequence entry (\"- \"); bad indentation?");
	assert_error("a\nb: 1\n",
		     "line 2: unexpected ':' in a multi-line plain scalar (bad indentation, or a key "
		     "that is not on one line?)");
	assert_error("'a'\nb\n", "line 2: unexpected content; bad indentation?");
	assert_error("a: b: c\n", "line 1: a mapping cannot start on the line of its key");
	assert_error("a: 'b': c\n", "line 1: a mapping cannot start on the line of its key");
	assert_error("a: - b\n", "line 1: a block sequence cannot start on the line of its key");
	assert_error("a: 1\nb\n", "line 2: expected a mapping key (\"key: value\")");
	assert_error("a: 1\n- b\n", "line 2: expected a mapping key, found a sequence entry");
	assert_error("a: 1\n|\n", "line 2: expected a mapping key, found a block scalar");
	assert_error("a: 1\n'b'\n", "line 2: expected ':' after a mapping key");
	assert_error("a: 1\n[b]: c\n", "line 2: a mapping key must be a scalar");
	assert_error("a:\n'x'\n", "line 2: expected ':' after a mapping key");
	assert_error(": x\n", "line 1: a mapping key cannot be empty");
	assert_error("{: x}\n", "line 1: a mapping key cannot be empty");
	assert_error("'a\n b': 1\n", "line 1: a mapping key must be on one line");
	assert_error("{'a\n b': 1}\n", "line 1: a mapping key must be on one line");
	assert_error("\"a\":b\n", "line 1: unexpected text after a quoted scalar");
	assert_error("[a] b\n", "line 1: unexpected text after a flow collection");
	assert_error("a: ]\n", "line 1: unexpected ']'");
	assert_error("a: ,\n", "line 1: unexpected ','");
	assert_error("a: [b,,c]\n", "line 1: empty entry in a flow sequence");
	assert_error("a: {b: 1,,}\n", "line 1: empty entry in a flow mapping");
	assert_error("a: [b c d\n", "line 1: unterminated flow sequence");
	assert_error("a:\n  {b: 1,\n  c: 2\n", "line 2: unterminated flow mapping");
	assert_error("a: [b}\n", "line 1: expected ',' or ']' in a flow sequence");
	assert_error("a: {b: 1]\n", "line 1: expected ',' or '}' in a flow mapping");
	assert_error("a: [|]\n", "line 1: block scalars are not allowed inside a flow collection");
	assert_error("a: [- b]\n",
		     "line 1: block sequence entries are not allowed inside a flow collection");
	assert_error("a: [b,\n---\n]\n", "line 2: document marker inside a flow collection");
	assert_error("a: [b\n---\n]\n", "line 2: document marker inside a flow collection");
	assert_error("a: \"b\n---\nc\"\n", "line 2: document marker inside a quoted scalar");
	assert_error("a: 'b\n", "line 1: unterminated quoted scalar");
	assert_error("x: 1\na: \"b\nc\n", "line 2: unterminated quoted scalar");
	assert_error("a: \"\\q\"\n", "line 1: invalid escape sequence in a double-quoted scalar");
	assert_error("a: \"\\/\"\n",
		     "line 1: invalid escape sequence \"\\/\" (YAML 1.1 has none; write \"/\")");
	assert_error("a: \"\\x4\"\n", "line 1: invalid hexadecimal escape sequence");
	assert_error("a: \"\\ud800\"\n", "line 1: escape sequence for an invalid Unicode character");
	assert_error("a: \"\\U00110000\"\n",
		     "line 1: escape sequence for an invalid Unicode character");
	assert_error("a: \"\\", "line 1: unterminated escape sequence");
	assert_error("a: |0\n  x\n", "line 1: block scalar indentation indicator cannot be 0");
	assert_error("a: |x\n", "line 1: invalid block scalar header");
	assert_error("a: | x\n", "line 1: unexpected text after a block scalar header");
	assert_error("a: |++\n", "line 1: invalid block scalar header");
	assert_error("a:\n  b: |\n    x\n   c: 1\n", "line 4: bad indentation of a mapping entry");
}

static void
test_duplicate_keys(void **state)
{
	(void)state;
	assert_error("a: 1\nb: 2\na: 3\n", "line 3: mapping key \"a\" already defined at line 1");
	assert_error("x:\n  a: 1\n  'a': 2\n", "line 3: mapping key \"a\" already defined at line 2");
	assert_error("{a: 1, b: 2, \"a\": 3}\n",
		     "line 1: mapping key \"a\" already defined at line 1");
	/* The first duplicate in document order is reported, whatever the sort order. */
	assert_error("z: 1\na: 1\nz: 2\na: 2\n",
		     "line 3: mapping key \"z\" already defined at line 1");
	/* Keys are compared as text after unescaping, and with their full length. */
	assert_error("\"a\\x41\": 1\naA: 2\n", "line 2: mapping key \"aA\" already defined at line 1");
	struct yaml_doc *doc = parse("a: 1\nab: 2\n\"a\\0\": 3\nx:\n  a: 4\n");
	assert_int_equal(yaml_doc_root(doc)->npairs, 4);
	yaml_doc_free(doc);
	/* The key in the message is escaped: one printable line. */
	assert_error("\"a\\nb\": 1\n\"a\\nb\": 2\n",
		     "line 2: mapping key \"a\\x0ab\" already defined at line 1");
}

static void
test_bad_bytes(void **state)
{
	(void)state;
	check_error("a: 1\nb: x\0y\n", 11, -EINVAL, "line 2: NUL byte in the input");
	assert_error("a: \x01\n", "line 1: control character 0x01 in the input");
	assert_error("a: 1\n\x7f\n", "line 2: control character 0x7f in the input");
	assert_error("a: \xff\n", "line 1: invalid UTF-8 in the input");
	assert_error("a: \xc0\x80\n", "line 1: invalid UTF-8 in the input");	/* overlong */
	assert_error("a: \xe0\x80\xaf\n", "line 1: invalid UTF-8 in the input"); /* overlong */
	assert_error("a: \xed\xa0\x80\n", "line 1: invalid UTF-8 in the input"); /* surrogate */
	assert_error("a: \xf4\x90\x80\x80\n", "line 1: invalid UTF-8 in the input");
	assert_error("a: \xc3\n", "line 1: invalid UTF-8 in the input"); /* cut */
	assert_error("a: \xe2\x82", "line 1: invalid UTF-8 in the input");
	assert_error("a: \xc2\x80\n", "line 1: control character U+0080 in the input");
	assert_error("a: \xef\xbf\xbe\n", "line 1: control character U+FFFE in the input");
	assert_error("a: \xc2\x85\n", "line 1: unsupported line break character U+0085");
	assert_error("\n\na: \xe2\x80\xa8\n", "line 3: unsupported line break character U+2028");
	assert_error("a: \xef\xbb\xbf\n", "line 1: byte order mark inside the document");
	/* Non-ASCII text is fine. */
	struct yaml_doc *doc = parse("\xc3\xa9: \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\n");
	assert_string_equal(get(yaml_doc_root(doc), "\xc3\xa9")->text,
			    "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
	yaml_doc_free(doc);
}

/* DEPTH nested flow sequences around a scalar. */
static char *
nested_flow(size_t depth)
{
	char *s = malloc(2 * depth + 2);

	assert_non_null(s);
	memset(s, '[', depth);
	s[depth] = 'x';
	memset(s + depth + 1, ']', depth);
	s[2 * depth + 1] = '\0';
	return s;
}

/* DEPTH nested block mappings, each one level deeper. */
static char *
nested_block(size_t depth)
{
	struct buf b = BUF_INIT;
	size_t len;

	for (size_t i = 0; i < depth; i++) {
		for (size_t j = 0; j < i; j++)
			buf_puts(&b, " ");
		buf_printf(&b, "k%zu:%s\n", i, i + 1 == depth ? " leaf" : "");
	}
	return buf_steal(&b, &len);
}

static void
test_depth_limit(void **state)
{
	char want[128];
	char *s;
	(void)state;

	s = nested_flow(YAML_MAX_DEPTH);
	struct yaml_doc *doc = parse(s);
	const struct yaml_node *n = yaml_doc_root(doc);
	for (int i = 1; i < YAML_MAX_DEPTH; i++)
		n = item(n, 0);
	assert_plain(item(n, 0), "x", 1);
	yaml_doc_free(doc);
	free(s);
	s = nested_flow(YAML_MAX_DEPTH + 1);
	(void)snprintf(want, sizeof(want), "line 1: nesting deeper than %d levels", YAML_MAX_DEPTH);
	assert_error(s, want);
	free(s);
	/* Far deeper than the C stack could take, were the depth not bounded. */
	s = nested_flow(200000);
	assert_error(s, want);
	free(s);

	s = nested_block(YAML_MAX_DEPTH);
	doc = parse(s);
	yaml_doc_free(doc);
	free(s);
	s = nested_block(YAML_MAX_DEPTH + 1);
	(void)snprintf(want, sizeof(want), "line %d: nesting deeper than %d levels",
		       YAML_MAX_DEPTH + 1, YAML_MAX_DEPTH);
	assert_error(s, want);
	free(s);

	/* Block sequences nested with "- - - x". */
	struct buf b = BUF_INIT;
	size_t len;
	for (int i = 0; i < YAML_MAX_DEPTH + 1; i++)
		buf_puts(&b, "- ");
	buf_puts(&b, "x\n");
	s = buf_steal(&b, &len);
	(void)snprintf(want, sizeof(want), "line 1: nesting deeper than %d levels", YAML_MAX_DEPTH);
	assert_error(s, want);
	s[2] = '\0'; /* "- " alone: one level, an empty item */
	doc = parse(s);
	assert_plain(item(yaml_doc_root(doc), 0), "", 1);
	yaml_doc_free(doc);
	free(s);
}

static void
test_size_limit(void **state)
{
	char *s = malloc((size_t)YAML_MAX_INPUT + 2);
	char want[128];
	(void)state;

	assert_non_null(s);
	/* Exactly at the limit: a comment line, then "a: 1". */
	memset(s, ' ', YAML_MAX_INPUT);
	s[0] = '#';
	memcpy(s + YAML_MAX_INPUT - 5, "\na: 1", 5);
	struct yaml_doc *doc = parse_len(s, YAML_MAX_INPUT);
	assert_plain(get(yaml_doc_root(doc), "a"), "1", 2);
	yaml_doc_free(doc);
	(void)snprintf(want, sizeof(want), "line 1: input larger than %d bytes", YAML_MAX_INPUT);
	check_error(s, (size_t)YAML_MAX_INPUT + 1, -EFBIG, want);
	free(s);
}

static void
test_node_limit(void **state)
{
	struct buf b = BUF_INIT;
	char want[128];
	size_t len;
	char *s;
	(void)state;

	/* A sequence and YAML_MAX_NODES - 1 items: exactly the limit. */
	buf_puts(&b, "[");
	for (int i = 0; i < YAML_MAX_NODES - 1; i++)
		buf_puts(&b, i == 0 ? "1" : ",1");
	buf_puts(&b, "]");
	s = buf_steal(&b, &len);
	struct yaml_doc *doc = parse(s);
	assert_int_equal(yaml_doc_root(doc)->nitems, YAML_MAX_NODES - 1);
	yaml_doc_free(doc);
	/* One more item. */
	s[len - 1] = ',';
	buf_append(&b, s, len);
	buf_puts(&b, "1]");
	free(s);
	s = buf_steal(&b, &len);
	(void)snprintf(want, sizeof(want), "line 1: more than %d nodes", YAML_MAX_NODES);
	assert_error(s, want);
	free(s);

	/* A block mapping of many keys: duplicates are found by sorting, not n^2 compares, and
	 * the one reported is the first in document order. */
	for (int i = 0; i < 5000; i++)
		buf_printf(&b, "key%d: %d\n", i, i);
	buf_puts(&b, "key4999: again\nkey17: again\n");
	s = buf_steal(&b, &len);
	assert_error(s, "line 5001: mapping key \"key4999\" already defined at line 5000");
	free(s);
}

static void
test_scalar_limits(void **state)
{
	char want[128];
	char *s = malloc((size_t)YAML_MAX_SCALAR + 16);
	(void)state;

	assert_non_null(s);
	/* A scalar of exactly YAML_MAX_SCALAR bytes, then one byte more. */
	memcpy(s, "a: ", 3);
	memset(s + 3, 'x', YAML_MAX_SCALAR);
	s[3 + YAML_MAX_SCALAR] = '\0';
	struct yaml_doc *doc = parse(s);
	assert_int_equal(get(yaml_doc_root(doc), "a")->len, YAML_MAX_SCALAR);
	yaml_doc_free(doc);
	s[3 + YAML_MAX_SCALAR] = 'x';
	s[4 + YAML_MAX_SCALAR] = '\0';
	(void)snprintf(want, sizeof(want), "line 1: scalar longer than %d bytes", YAML_MAX_SCALAR);
	assert_error(s, want);
	/* The same bound for quoted and block scalars, also when folding adds bytes. */
	s[2] = '"';
	s[4 + YAML_MAX_SCALAR] = '"';
	s[5 + YAML_MAX_SCALAR] = '\0';
	assert_error(s + 2, want);
	free(s);

	/* Keys: YAML_MAX_KEY bytes, then one more, plain and quoted. */
	s = malloc((size_t)YAML_MAX_KEY + 16);
	assert_non_null(s);
	memset(s, 'k', YAML_MAX_KEY);
	memcpy(s + YAML_MAX_KEY, ": v", 4);
	doc = parse(s);
	assert_int_equal(yaml_doc_root(doc)->pairs[0].key->len, YAML_MAX_KEY);
	yaml_doc_free(doc);
	memset(s, 'k', YAML_MAX_KEY + 1);
	memcpy(s + YAML_MAX_KEY + 1, ": v", 4);
	(void)snprintf(want, sizeof(want), "line 1: mapping key longer than %d bytes", YAML_MAX_KEY);
	assert_error(s, want);
	memset(s + 1, 'k', YAML_MAX_KEY + 1);
	s[0] = '\'';
	memcpy(s + YAML_MAX_KEY + 2, "': v", 5);
	assert_error(s, want);
	s[0] = '{';
	memcpy(s + YAML_MAX_KEY + 2, ": v}", 5);
	assert_error(s, want);
	free(s);
}

static void
test_error_buffer(void **state)
{
	struct yaml_doc *doc = NULL;
	char small[12];
	(void)state;

	/* No buffer at all. */
	assert_int_equal(yaml_parse("a: &x 1", 7, &doc, NULL, 0), -EINVAL);
	assert_null(doc);
	/* A short buffer gets a cut, terminated message. */
	assert_int_equal(yaml_parse("a: &x 1", 7, &doc, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "line 1: anc");
	/* Success clears an old message. */
	assert_int_equal(yaml_parse("a: 1", 4, &doc, small, sizeof(small)), 0);
	assert_string_equal(small, "");
	yaml_doc_free(doc);
}

static void
test_escape(void **state)
{
	char out[64];
	(void)state;

	assert_string_equal(yaml_escape(out, sizeof(out), "plain text", 10, 64), "plain text");
	assert_string_equal(yaml_escape(out, sizeof(out), "a\"b\\c\n\x7f\xc3\xa9", 9, 64),
			    "a\\x22b\\x5cc\\x0a\\x7f\\xc3\\xa9");
	assert_string_equal(yaml_escape(out, sizeof(out), "a\0b", 3, 64), "a\\x00b");
	assert_string_equal(yaml_escape(out, sizeof(out), "abcdefgh", 8, 4), "abcd...");
	/* A small destination: cut, never overrun, always terminated. */
	assert_string_equal(yaml_escape(out, 5, "abcdefgh", 8, 64), "abcd");
	assert_string_equal(yaml_escape(out, 6, "ab\ncd", 5, 64), "ab");
	assert_string_equal(yaml_escape(out, 1, "abc", 3, 64), "");
	assert_string_equal(yaml_escape(out, sizeof(out), "", 0, 64), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_block_mapping),
		cmocka_unit_test(test_block_sequence),
		cmocka_unit_test(test_flow_collections),
		cmocka_unit_test(test_plain_scalars),
		cmocka_unit_test(test_quoted_scalars),
		cmocka_unit_test(test_block_scalars),
		cmocka_unit_test(test_line_endings_and_bom),
		cmocka_unit_test(test_is_null),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_scalar_limits),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
