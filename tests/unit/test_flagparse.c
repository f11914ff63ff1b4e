/* Unit tests for flagparse.c on a table of its own: the order in which a --name is resolved
 * (the caller's extra first, then the table, then --no- for booleans), which values reach the
 * setter, the repeat rule, the action and the --help lines. flags.c and helper_config.c are
 * tested through their own callers in test_flags.c and test_helper.c. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flagparse.h"

struct target {
	bool flag;
	const char *word;
	unsigned nitems;
	unsigned nextra;
	const char *extra_name;
};

enum { KIND_WORD = FLAGPARSE_VALUE, KIND_ITEM };

static const struct flagparse_flag table[] = {
	{"flag", FLAGPARSE_BOOL, offsetof(struct target, flag), NULL, "false", "A switch.", false,
	 0, NULL},
	{"word", KIND_WORD, 0, "WORD", "w", "A word.", false, 0, NULL},
	{"item", KIND_ITEM, 0, "ITEM", "", "An item. Repeatable.", true, 0, NULL},
	{"version", FLAGPARSE_VERSION, 0, NULL, NULL, "Show the version.", false, 0, NULL},
	{"help", FLAGPARSE_HELP, 0, NULL, NULL, "Show this help.", false, 0, NULL},
};

static int
set(void *ctx, const struct flagparse_flag *f, const char *v, char *err, size_t errlen)
{
	struct target *t = ctx;

	if (strcmp(v, "bad") == 0) {
		(void)snprintf(err, errlen, "flag --%s: bad", f->name);
		return -EINVAL;
	}
	if (f->kind == KIND_WORD)
		t->word = v;
	else
		t->nitems++;
	return 0;
}

/* Takes --x.NAME; everything else is the table's. */
static int
extra(void *ctx, const char *name, char *err, size_t errlen)
{
	struct target *t = ctx;

	(void)err;
	(void)errlen;
	if (strncmp(name, "x.", 2) != 0)
		return 1;
	t->nextra++;
	t->extra_name = name;
	return 0;
}

struct run {
	struct target t;
	struct flagparse p;
	char err[128];
	int rc;
};

/* argv points at string literals (static, so the values stay readable after the run); the
 * engine never writes through argv. */
static void
run_argv(struct run *r, const char *const *args, size_t n)
{
	char *argv[16];

	assert_true(n <= sizeof(argv) / sizeof(argv[0]));
	memcpy(argv, args, n * sizeof(argv[0]));
	memset(r, 0, sizeof(*r));
	r->p = (struct flagparse){.flags = table, .nflags = sizeof(table) / sizeof(table[0]),
				  .dst = &r->t, .ctx = &r->t, .set = set, .extra = extra};
	r->rc = flagparse_run(&r->p, (int)n, argv, r->err, sizeof(r->err));
}

#define RUN(r, ...)                                                                      \
	run_argv(r, (const char *const[]){"prog", __VA_ARGS__},                          \
		 sizeof((const char *const[]){"prog", __VA_ARGS__}) / sizeof(const char *))

static void
test_values(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--word=a");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.word, "a");
	RUN(&r, "--word", "--flag");
	assert_int_equal(r.rc, 0);
	/* the next argument is the value, whatever it is */
	assert_string_equal(r.t.word, "--flag");
	assert_false(r.t.flag);
	RUN(&r, "--word=");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.t.word, "");
	RUN(&r, "--word");
	assert_int_equal(r.rc, -EINVAL);
	assert_string_equal(r.err, "flag --word needs a value");
	RUN(&r, "--word=bad");
	assert_int_equal(r.rc, -EINVAL);
	assert_string_equal(r.err, "flag --word: bad");
}

static void
test_bool(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--flag");
	assert_true(r.t.flag);
	RUN(&r, "--no-flag");
	assert_int_equal(r.rc, 0);
	assert_false(r.t.flag);
	RUN(&r, "--flag=true");
	assert_true(r.t.flag);
	RUN(&r, "--flag=false");
	assert_int_equal(r.rc, 0);
	assert_false(r.t.flag);
	RUN(&r, "--flag=yes");
	assert_int_equal(r.rc, -EINVAL);
	assert_string_equal(r.err, "flag --flag: 'yes' is not true or false");
	RUN(&r, "--no-flag=true");
	assert_string_equal(r.err, "unknown flag --no-flag");
	RUN(&r, "--no-word");
	assert_string_equal(r.err, "unknown flag --no-word");
	RUN(&r, "--no-help");
	assert_string_equal(r.err, "unknown flag --no-help");
}

static void
test_repeat(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--item=a", "--item", "b", "--item=c");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.nitems, 3);
	assert_true(flagparse_seen(&r.p, "item"));
	assert_false(flagparse_seen(&r.p, "word"));
	assert_false(flagparse_seen(&r.p, "nosuch"));
	RUN(&r, "--word=a", "--word=b");
	assert_int_equal(r.rc, -EINVAL);
	assert_string_equal(r.err, "flag --word given more than once");
	RUN(&r, "--flag", "--no-flag");
	assert_string_equal(r.err, "flag --flag given more than once");
}

static void
test_extra(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--x.one", "--x.one");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.nextra, 2); /* the caller's flags keep their own repeat rules */
	assert_string_equal(r.t.extra_name, "x.one");
	RUN(&r, "--x.one=1"); /* with '=' the table alone decides */
	assert_int_equal(r.t.nextra, 0);
	assert_string_equal(r.err, "unknown flag --x.one");
}

static void
test_action_and_form(void **state)
{
	struct run r;

	(void)state;
	RUN(&r, "--word=a");
	assert_int_equal(r.p.action, FLAGPARSE_RUN);
	RUN(&r, "-h");
	assert_int_equal(r.p.action, FLAGPARSE_ACTION_HELP);
	RUN(&r, "--help", "--version");
	assert_int_equal(r.p.action, FLAGPARSE_ACTION_VERSION);
	RUN(&r, "--version=1");
	assert_string_equal(r.err, "flag --version takes no value");
	RUN(&r, "word");
	assert_string_equal(r.err, "unexpected argument 'word'");
	RUN(&r, "--");
	assert_string_equal(r.err, "unexpected argument '--'");
	RUN(&r, "--nosuch=\n1");
	assert_string_equal(r.err, "unknown flag --nosuch");
	RUN(&r, "--bad\033[31m");
	assert_string_equal(r.err, "unknown flag --bad?[31m");
}

static void
test_usage(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	flagparse_usage(f, table, sizeof(table) / sizeof(table[0]), 12);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(text, "  --[no-]flag  A switch. (default: false)\n"
				  "  --word=WORD  A word. (default: w)\n"
				  "  --item=ITEM  An item. Repeatable.\n"
				  "  --version    Show the version.\n"
				  "  -h, --help   Show this help.\n");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),  cmocka_unit_test(test_bool),
		cmocka_unit_test(test_repeat),  cmocka_unit_test(test_extra),
		cmocka_unit_test(test_action_and_form), cmocka_unit_test(test_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
