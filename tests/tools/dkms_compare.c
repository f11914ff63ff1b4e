/* Test-only: compares what the real `dkms status` printed for one fixture scenario with what the
 * dkms collector reads from the same tree. Run by tests/e2e/dkms_compare.sh, which runs dkms.
 *
 * Usage: dkms_compare SCENARIO_DIR DKMS_STDOUT DKMS_STDERR
 *
 * Every stdout line must parse (collectors/dkms_status.c). For each module/version/kernel/arch
 * dkms prints, the tree reader's state must be the same, and for kernels installed in the scenario
 * the exported gpu_sriov_dkms_module_state and gpu_sriov_dkms_ready must agree; every build and
 * every unbuilt version the reader finds must be in dkms's output. Where dkms 3.0.10 and our
 * documented semantics differ, the difference is asserted explicitly:
 *   D1 a version whose source link dangles and that has no build: 3.0.10 prints "added"
 *      (>= 3.0.13 "broken"); we say broken.
 *   D2 a version with builds whose source link dangles: 3.0.10 cannot read its dkms.conf and
 *      aborts the whole status ("Could not locate dkms.conf", empty stdout); we report the builds.
 *   D3 module/ holding only compressed modules (.ko.xz, .ko.zst, .ko.gz): 3.0.10 takes the
 *      compression suffix from /lib/modules/<kver>/modules.dep of the machine it runs on, not from
 *      --installtree, so a tree from another machine does not count as built to it; we go by
 *      module/ existing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../collectors/collectors.h"
#include "../../collectors/dkms_status.h"
#include "../../collectors/dkms_tree.h"
#include "../../exporter/buf.h"
#include "../../exporter/expo.h"
#include "../../exporter/log.h"
#include "../../exporter/registry.h"

#define MAX_LINES 4096
#define FILE_MAX (1 << 20)

struct ctx {
	const char *name;
	int root;
	const struct dkms_tree *tree;
	const char *metrics;
	struct dkms_status_line *lines;
	size_t nlines;
	int ok, failed;
};

static void report(struct ctx *c, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
report(struct ctx *c, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s: ", ok ? "ok  " : "FAIL", c->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		c->ok++;
	else
		c->failed++;
}

/* Reads a whole small file; caller frees. NULL on error. */
static char *
slurp(const char *path, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0;

	if (fd < 0)
		return NULL;
	buf = malloc(FILE_MAX + 1);
	if (buf == NULL)
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf + len, FILE_MAX - len);
		if (n < 0) {
			free(buf);
			buf = NULL;
			goto out;
		}
		if (n == 0 || len + (size_t)n == FILE_MAX) {
			len += (size_t)n;
			break;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_len = len;
out:
	(void)close(fd);
	return buf;
}

static bool has_metric(const struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool
has_metric(const struct ctx *c, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return false;
	/* whole lines only */
	for (const char *p = c->metrics; (p = strstr(p, line)) != NULL; p++) {
		if (p == c->metrics || p[-1] == '\n')
			return true;
	}
	return false;
}

/* D3: module/ of this build is non-empty and holds no uncompressed <name>.ko. */
static bool
compressed_only(const struct ctx *c, const char *m, const char *v, const struct dkms_build *b)
{
	char rel[2048];
	DIR *d = NULL;
	struct dirent *de;
	size_t files = 0, plain = 0;

	(void)snprintf(rel, sizeof(rel), "var/lib/dkms/%s/%s/%s/%s/module", m, v, b->kernel,
		       b->arch);
	int fd = openat(c->root, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			(void)close(fd);
		return false;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		files++;
		if (n > 3 && strcmp(de->d_name + n - 3, ".ko") == 0)
			plain++;
	}
	(void)closedir(d);
	return files > 0 && plain == 0;
}

static const struct dkms_status_line *
find_line(const struct ctx *c, const char *m, const char *v, const char *k, const char *a)
{
	for (size_t i = 0; i < c->nlines; i++) {
		const struct dkms_status_line *l = &c->lines[i];
		if (strcmp(l->module, m) == 0 && strcmp(l->version, v) == 0 &&
		    strcmp(l->kernel, k) == 0 && strcmp(l->arch, a) == 0)
			return l;
	}
	return NULL;
}

static void
check_kernel_line(struct ctx *c, const struct dkms_status_line *l)
{
	const struct dkms_module *m = dkms_tree_module(c->tree, l->module);
	const struct dkms_version *v = m != NULL ? dkms_module_version(m, l->version) : NULL;
	const struct dkms_build *b = v != NULL ? dkms_version_build(v, l->kernel, l->arch) : NULL;
	enum dkms_state want;

	if (b == NULL) {
		report(c, false, "%s/%s %s %s: dkms says %s, the reader has no such build",
		       l->module, l->version, l->kernel, l->arch, l->state);
		return;
	}
	if (l->kind == DKMS_STATUS_INSTALLED) {
		want = DKMS_STATE_INSTALLED;
	} else if (l->kind == DKMS_STATUS_BUILT) {
		want = DKMS_STATE_BUILT;
	} else {
		report(c, false, "%s/%s %s %s: unexpected dkms state %s", l->module, l->version,
		       l->kernel, l->arch, l->state);
		return;
	}
	enum dkms_state ours = dkms_build_state(b);
	report(c, ours == want, "%s/%s %s %s: dkms %s, reader %s%s%s", l->module, l->version,
	       l->kernel, l->arch, l->state, dkms_state_name(ours),
	       l->note[0] != '\0' ? "; note " : "", l->note);
}

static void
check_version_line(struct ctx *c, const struct dkms_status_line *l)
{
	const struct dkms_module *m = dkms_tree_module(c->tree, l->module);
	const struct dkms_version *v = m != NULL ? dkms_module_version(m, l->version) : NULL;

	if (v == NULL) {
		report(c, false, "%s/%s: dkms says %s, the reader has no such version", l->module,
		       l->version, l->state);
		return;
	}
	enum dkms_state ours = dkms_version_state(v);
	bool src = has_metric(c, "gpu_sriov_dkms_source_present{module=\"%s\",version=\"%s\"} %d\n",
			      l->module, l->version, v->source_present ? 1 : 0);
	report(c, src, "%s/%s: gpu_sriov_dkms_source_present is %d", l->module, l->version,
	       v->source_present ? 1 : 0);
	if ((ours == DKMS_STATE_ADDED && l->kind == DKMS_STATUS_ADDED) ||
	    (ours == DKMS_STATE_BROKEN && l->kind == DKMS_STATUS_BROKEN)) {
		report(c, true, "%s/%s: dkms %s, reader %s", l->module, l->version, l->state,
		       dkms_state_name(ours));
		return;
	}
	if (ours == DKMS_STATE_BROKEN && l->kind == DKMS_STATUS_ADDED) {
		report(c, !v->source_present,
		       "%s/%s: dkms %s, reader broken: documented difference D1 (source link "
		       "dangles; dkms 3.0.10 says added, >= 3.0.13 broken)",
		       l->module, l->version, l->state);
		return;
	}
	if (ours == DKMS_STATE_BUILT && l->kind == DKMS_STATUS_ADDED) {
		bool all = true;
		for (size_t i = 0; i < v->nbuilds; i++) {
			if (v->builds[i].has_module)
				all = all && compressed_only(c, m->name, v->name, &v->builds[i]);
		}
		report(c, all,
		       "%s/%s: dkms %s, reader has builds: documented difference D3 (module/ holds "
		       "only compressed modules, which dkms 3.0.10 does not see off their host)",
		       l->module, l->version, l->state);
		return;
	}
	report(c, false, "%s/%s: dkms %s, reader %s", l->module, l->version, l->state,
	       dkms_state_name(ours));
}

/* Every build with module/ and every unbuilt version the reader has must be in dkms's output. */
static void
check_reverse(struct ctx *c)
{
	for (size_t i = 0; i < c->tree->nmodules; i++) {
		const struct dkms_module *m = &c->tree->modules[i];
		for (size_t j = 0; j < m->nversions; j++) {
			const struct dkms_version *v = &m->versions[j];
			if (dkms_version_state(v) != DKMS_STATE_BUILT) {
				report(c, find_line(c, m->name, v->name, "", "") != NULL,
				       "%s/%s: reader %s, listed by dkms", m->name, v->name,
				       dkms_state_name(dkms_version_state(v)));
				continue;
			}
			for (size_t k = 0; k < v->nbuilds; k++) {
				const struct dkms_build *b = &v->builds[k];
				if (!b->has_module)
					continue;
				if (find_line(c, m->name, v->name, b->kernel, b->arch) != NULL) {
					report(c, true, "%s/%s %s %s: reader %s, listed by dkms",
					       m->name, v->name, b->kernel, b->arch,
					       dkms_state_name(dkms_build_state(b)));
					continue;
				}
				report(c, compressed_only(c, m->name, v->name, b),
				       "%s/%s %s %s: reader %s, not listed by dkms: documented "
				       "difference D3",
				       m->name, v->name, b->kernel, b->arch,
				       dkms_state_name(dkms_build_state(b)));
			}
		}
	}
}

/* For each installed kernel and module: the exported state against the one dkms's lines imply
 * (installed if it prints an installed line, else the newest built version) where it prints any,
 * and "not ready" where it prints none. */
static void
check_metrics(struct ctx *c)
{
	for (size_t i = 0; i < c->tree->nmodules; i++) {
		const struct dkms_module *m = &c->tree->modules[i];
		for (size_t k = 0; k < c->tree->nkernels; k++) {
			const char *kv = c->tree->kernels[k];
			const struct dkms_status_line *inst = NULL, *built = NULL;
			for (size_t j = 0; j < c->nlines; j++) {
				const struct dkms_status_line *l = &c->lines[j];
				if (strcmp(l->module, m->name) != 0 || strcmp(l->kernel, kv) != 0)
					continue;
				if (l->kind == DKMS_STATUS_INSTALLED)
					inst = l;
				else if (l->kind == DKMS_STATUS_BUILT &&
					 (built == NULL ||
					  strverscmp(l->version, built->version) > 0))
					built = l;
			}
			const struct dkms_status_line *l = inst != NULL ? inst : built;
			struct dkms_kernel_state ks;
			dkms_tree_kernel_state(c->tree, m, kv, &ks);
			if (l == NULL) {
				bool quiet = ks.state != DKMS_STATE_INSTALLED &&
					     ks.state != DKMS_STATE_BUILT;
				if (!quiet) {
					const struct dkms_version *v =
					    dkms_module_version(m, ks.version);
					const struct dkms_build *b =
					    dkms_version_build(v, kv, ks.arch);
					quiet =
					    b != NULL && compressed_only(c, m->name, v->name, b);
				}
				report(
				    c,
				    quiet && has_metric(c,
							"gpu_sriov_dkms_ready{module=\"%s\","
							"kernel=\"%s\"} %d\n",
							m->name, kv,
							ks.state == DKMS_STATE_INSTALLED ? 1 : 0),
				    "%s on %s: dkms lists no build, exported %s %s%s", m->name, kv,
				    dkms_state_name(ks.state), ks.version,
				    ks.state == DKMS_STATE_INSTALLED || ks.state == DKMS_STATE_BUILT
					? " (documented difference D3)"
					: "");
				continue;
			}
			const char *want = inst != NULL ? "installed" : "built";
			bool ok =
			    has_metric(c,
				       "gpu_sriov_dkms_module_state{module=\"%s\",version=\"%s\","
				       "kernel=\"%s\",arch=\"%s\",state=\"%s\"} 1\n",
				       m->name, l->version, kv, l->arch, want) &&
			    has_metric(c, "gpu_sriov_dkms_ready{module=\"%s\",kernel=\"%s\"} %d\n",
				       m->name, kv, inst != NULL ? 1 : 0);
			report(c, ok, "%s on %s: dkms implies %s %s, exported %s %s", m->name, kv,
			       want, l->version, dkms_state_name(ks.state), ks.version);
		}
	}
}

/* D2: dkms 3.0.10 aborted; the reader must hold a built version whose source dangles. */
static void
check_abort(struct ctx *c)
{
	for (size_t i = 0; i < c->tree->nmodules; i++) {
		const struct dkms_module *m = &c->tree->modules[i];
		for (size_t j = 0; j < m->nversions; j++) {
			const struct dkms_version *v = &m->versions[j];
			if (v->source_present || dkms_version_state(v) != DKMS_STATE_BUILT)
				continue;
			bool src = has_metric(
			    c, "gpu_sriov_dkms_source_present{module=\"%s\",version=\"%s\"} 0\n",
			    m->name, v->name);
			report(c, src,
			       "%s/%s: dkms status aborted (Could not locate dkms.conf) with no "
			       "output, "
			       "reader has builds and a dangling source: documented difference D2",
			       m->name, v->name);
			return;
		}
	}
	report(c, false, "dkms status aborted, but the reader has no built version without source");
}

static int
parse_stdout(struct ctx *c, char *text)
{
	char *save = text;

	c->lines = calloc(MAX_LINES, sizeof(*c->lines));
	if (c->lines == NULL)
		return -ENOMEM;
	while (*save != '\0') {
		char *nl = strchr(save, '\n');
		size_t n = nl != NULL ? (size_t)(nl - save) : strlen(save);
		if (c->nlines == MAX_LINES)
			return -E2BIG;
		int r = dkms_status_parse_line(save, n, &c->lines[c->nlines]);
		report(c, r == 0, "dkms line parses: %.*s", (int)n, save);
		if (r == 0)
			c->nlines++;
		save += n + (nl != NULL ? 1 : 0);
	}
	return 0;
}

static char *
collect_metrics(int sys, int proc, int root)
{
	static const struct collector_ops *const ops[] = {&dkms_collector};
	static const bool enabled[] = {true};
	struct roots roots = {sys, proc, root};
	struct buf b = BUF_INIT;
	size_t len;

	struct registry *r = registry_new(ops, 1, enabled, &roots, NULL);
	struct expo *out = expo_new();
	(void)registry_collect(r, out, INT64_MAX);
	expo_render(out, EXPO_FORMAT_TEXT, &b);
	expo_free(out);
	registry_free(r);
	return buf_steal(&b, &len);
}

static int
open_under(const char *dir, const char *sub)
{
	char path[4096];

	int n = snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int
main(int argc, char **argv)
{
	struct ctx c;
	struct dkms_tree *tree = NULL;
	char *out = NULL, *err = NULL, *metrics = NULL;
	size_t outlen = 0, errlen = 0;
	int status = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: %s SCENARIO_DIR DKMS_STDOUT DKMS_STDERR\n", argv[0]);
		return 2;
	}
	log_setup(LOG_LEVEL_ERROR, LOG_FORMAT_LOGFMT);
	memset(&c, 0, sizeof(c));
	const char *slash = strrchr(argv[1], '/');
	c.name = slash != NULL && slash[1] != '\0' ? slash + 1 : argv[1];
	int sys = open_under(argv[1], "sys");
	int proc = open_under(argv[1], "proc");
	c.root = open_under(argv[1], "root");
	out = slurp(argv[2], &outlen);
	err = slurp(argv[3], &errlen);
	if (sys < 0 || proc < 0 || c.root < 0 || out == NULL || err == NULL) {
		fprintf(stderr, "%s: cannot open the scenario or the dkms output\n", argv[1]);
		goto out;
	}
	if (dkms_tree_read(c.root, "x86_64", &tree) < 0 || !tree->present) {
		fprintf(stderr, "%s: no DKMS tree\n", argv[1]);
		goto out;
	}
	c.tree = tree;
	metrics = collect_metrics(sys, proc, c.root);
	c.metrics = metrics;
	report(&c, has_metric(&c, "gpu_sriov_scrape_collector_success{collector=\"dkms\"} 1\n"),
	       "the collector succeeds");
	if (parse_stdout(&c, out) < 0)
		goto out;
	if (c.nlines == 0 && strstr(err, "Could not locate dkms.conf") != NULL) {
		check_abort(&c);
	} else {
		report(&c, errlen == 0, "dkms wrote nothing to stderr%s%s", errlen > 0 ? ": " : "",
		       err);
		for (size_t i = 0; i < c.nlines; i++) {
			if (c.lines[i].kernel[0] != '\0')
				check_kernel_line(&c, &c.lines[i]);
			else
				check_version_line(&c, &c.lines[i]);
		}
		check_reverse(&c);
		check_metrics(&c);
	}
	printf("%s: %d checks passed, %d failed\n", c.name, c.ok, c.failed);
	status = c.failed == 0 && c.ok > 0 ? 0 : 1;
out:
	if (sys >= 0)
		(void)close(sys);
	if (proc >= 0)
		(void)close(proc);
	if (c.root >= 0)
		(void)close(c.root);
	dkms_tree_free(tree);
	free(c.lines);
	free(out);
	free(err);
	free(metrics);
	return status;
}
