/* libFuzzer target: the YAML-subset parser (exporter/yaml.h) on arbitrary bytes, handed over
 * without a terminator so that ASan sees any read past the input. Besides "no crash" it checks
 * what the header promises: an error is one printable line starting with "line "; a tree has
 * NUL-terminated scalars, scalar keys that are unique per mapping, line numbers within the input,
 * collections nested at most YAML_MAX_DEPTH deep and at most YAML_MAX_NODES nodes. */
#include <errno.h>
#include <stdbool.h>

#include "fuzz_common.h"
#include "yaml.h"

struct walk {
	unsigned max_line;
	size_t nodes;
};

static void
check_message(const char *err)
{
	if (strncmp(err, "line ", 5) != 0)
		abort();
	for (const char *p = err; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	}
}

static void
check_node(struct walk *w, const struct yaml_node *n, unsigned depth)
{
	char out[64];

	if (n == NULL || n->line < 1 || n->line > w->max_line || ++w->nodes > YAML_MAX_NODES)
		abort();
	switch (n->kind) {
	case YAML_SCALAR:
		if (n->text == NULL || n->text[n->len] != '\0' || n->len > YAML_MAX_SCALAR ||
		    n->pairs != NULL || n->items != NULL)
			abort();
		(void)yaml_escape(out, sizeof(out), n->text, n->len, 16);
		if (strlen(out) >= sizeof(out))
			abort();
		break;
	case YAML_MAPPING:
		if (depth + 1 > YAML_MAX_DEPTH || n->text != NULL)
			abort();
		for (size_t i = 0; i < n->npairs; i++) {
			const struct yaml_node *k = n->pairs[i].key;

			if (k == NULL || k->kind != YAML_SCALAR || k->len > YAML_MAX_KEY)
				abort();
			/* Quadratic, but the fuzzer's inputs keep mappings small. */
			for (size_t j = 0; j < i && n->npairs < 512; j++) {
				const struct yaml_node *o = n->pairs[j].key;
				if (o->len == k->len && memcmp(o->text, k->text, k->len) == 0)
					abort();
			}
			check_node(w, k, depth + 1);
			check_node(w, n->pairs[i].value, depth + 1);
		}
		break;
	case YAML_SEQUENCE:
		if (depth + 1 > YAML_MAX_DEPTH || n->text != NULL)
			abort();
		for (size_t i = 0; i < n->nitems; i++)
			check_node(w, n->items[i], depth + 1);
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_doc *doc = NULL;
	struct walk w = {.max_line = 1};
	char err[256];
	char *text;
	int r;

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	text = fuzz_memdup(data, size);
	/* Lines as yaml.c counts them: LF, CR LF and a lone CR each end one. */
	for (size_t i = 0; i < size; i++) {
		bool lone_cr = text[i] == '\r' && (i + 1 == size || text[i + 1] != '\n');
		w.max_line += text[i] == '\n' || lone_cr;
	}
	r = yaml_parse(text, size, &doc, err, sizeof(err));
	if (r < 0) {
		if (r != -EINVAL || doc != NULL)
			abort();
		check_message(err);
	} else {
		const struct yaml_node *root = yaml_doc_root(doc);

		if (r != 0 || err[0] != '\0')
			abort();
		if (root != NULL)
			check_node(&w, root, 0);
		yaml_doc_free(doc);
	}
	free(text);
	return 0;
}
