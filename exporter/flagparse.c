/* The long-option engine of both binaries; forms as in kingpin (node_exporter). Side: both. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "flagparse.h"

static const struct flagparse_flag *
find_flag(const struct flagparse *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->nflags; i++) {
		if (strlen(p->flags[i].name) == len && strncmp(p->flags[i].name, name, len) == 0)
			return &p->flags[i];
	}
	return NULL;
}

static int
set_bool(const struct flagparse *p, const struct flagparse_flag *f, const char *v, char *err,
	 size_t errlen)
{
	bool *field = (bool *)((char *)p->dst + f->offset);

	if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
		return cli_error(err, errlen, "flag --%s: '%s' is not true or false", f->name, v);
	*field = v[0] == 't';
	return 0;
}

static int
parse_one(struct flagparse *p, int argc, char **argv, int *i, char *err, size_t errlen)
{
	const char *arg = argv[*i];

	if (strcmp(arg, "-h") == 0) {
		p->action = FLAGPARSE_ACTION_HELP;
		return 0;
	}
	if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
		return cli_error(err, errlen, "unexpected argument '%s'", arg);
	const char *name = arg + 2;
	const char *eq = strchr(name, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);

	if (eq == NULL && p->extra != NULL) {
		int r = p->extra(p->ctx, name, err, errlen);
		if (r <= 0)
			return r;
	}
	bool negated = false;
	const struct flagparse_flag *f = find_flag(p, name, nlen);
	if (f == NULL && eq == NULL && strncmp(name, "no-", 3) == 0) {
		f = find_flag(p, name + 3, nlen - 3);
		negated = f != NULL && f->kind == FLAGPARSE_BOOL;
		if (!negated)
			f = NULL;
	}
	if (f == NULL)
		return cli_error(err, errlen, "unknown flag --%.*s", (int)nlen, name);
	uint64_t bit = UINT64_C(1) << (size_t)(f - p->flags);
	if (!f->repeatable && (p->seen & bit) != 0)
		return cli_error(err, errlen, "flag --%s given more than once", f->name);
	p->seen |= bit;

	switch (f->kind) {
	case FLAGPARSE_HELP:
	case FLAGPARSE_VERSION:
		if (eq != NULL)
			return cli_error(err, errlen, "flag --%s takes no value", f->name);
		p->action = f->kind == FLAGPARSE_HELP ? FLAGPARSE_ACTION_HELP
						      : FLAGPARSE_ACTION_VERSION;
		return 0;
	case FLAGPARSE_BOOL:
		if (eq != NULL)
			return set_bool(p, f, eq + 1, err, errlen);
		return set_bool(p, f, negated ? "false" : "true", err, errlen);
	default:
		break;
	}
	if (eq != NULL)
		return p->set(p->ctx, f, eq + 1, err, errlen);
	if (*i + 1 >= argc)
		return cli_error(err, errlen, "flag --%s needs a value", f->name);
	(*i)++;
	return p->set(p->ctx, f, argv[*i], err, errlen);
}

int
flagparse_run(struct flagparse *p, int argc, char **argv, char *err, size_t errlen)
{
	p->action = FLAGPARSE_RUN;
	p->seen = 0;
	for (int i = 1; i < argc; i++) {
		int r = parse_one(p, argc, argv, &i, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

bool
flagparse_seen(const struct flagparse *p, const char *name)
{
	const struct flagparse_flag *f = find_flag(p, name, strlen(name));

	return f != NULL && (p->seen & (UINT64_C(1) << (size_t)(f - p->flags))) != 0;
}

void
flagparse_usage(FILE *out, const struct flagparse_flag *flags, size_t nflags, int width)
{
	for (size_t i = 0; i < nflags; i++) {
		const struct flagparse_flag *f = &flags[i];
		char left[64];
		if (f->kind == FLAGPARSE_BOOL)
			(void)snprintf(left, sizeof(left), "--[no-]%s", f->name);
		else if (f->placeholder != NULL)
			(void)snprintf(left, sizeof(left), "--%s=%s", f->name, f->placeholder);
		else
			(void)snprintf(left, sizeof(left), "%s--%s",
				       f->kind == FLAGPARSE_HELP ? "-h, " : "", f->name);
		(void)fprintf(out, "  %-*s %s", width, left, f->help);
		if (f->def != NULL && f->def[0] != '\0')
			(void)fprintf(out, " (default: %s)", f->def);
		(void)fputc('\n', out);
	}
}
