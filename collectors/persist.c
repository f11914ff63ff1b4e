/* Persistence configuration readers. These files are small and change rarely; they are read
 * whole (bounded) and parsed line by line with fixed limits. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../exporter/sysfs.h"
#include "../exporter/xalloc.h"
#include "persist.h"

#define MAX_FILE (256 * 1024)
#define MAX_LINE 4096
#define MAX_FILES 256
#define ATTR "sriov_numvfs"

/* The PCI address is the path component right before /sriov_numvfs, whatever bridges precede it
 * ("devices/pci0000:00/0000:00:1c.0/0000:01:00.0/sriov_numvfs"). */
static int
bdf_from_path(const char *path, size_t len, char *ret_bdf)
{
	size_t alen = strlen(ATTR);
	char bdf[32];

	if (len < alen + 2 || memcmp(path + len - alen, ATTR, alen) != 0 || path[len - alen - 1] != '/')
		return 0;
	size_t end = len - alen - 1, start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (end - start >= sizeof(bdf))
		return -EINVAL;
	memcpy(bdf, path + start, end - start);
	bdf[end - start] = '\0';
	return parse_bdf(bdf, ret_bdf) == 0 ? 1 : -EINVAL;
}

static int
parse_count(const char *s, size_t len, unsigned *ret)
{
	char num[16];
	uint64_t v;

	if (len == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len);
	num[len] = '\0';
	if (parse_u64(num, 10, 65535, &v) < 0)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static size_t
word_len(const char *s)
{
	size_t n = 0;
	while (s[n] != '\0' && s[n] != ' ' && s[n] != '\t')
		n++;
	return n;
}

/* "devices/pci0000:00/0000:00:02.0/sriov_numvfs = 7"; "mode ..." and "owner ..." lines set
 * permissions, not values. */
int
persist_parse_sysfsconf(const char *line, char *ret_bdf, unsigned *ret_count)
{
	const char *p = skip_space(line);
	char bdf[PARSE_BDF_SIZE];
	unsigned count;

	if (*p == '#' || *p == '\0')
		return 0;
	size_t wlen = word_len(p);
	if ((wlen == 4 && strncmp(p, "mode", 4) == 0) || (wlen == 5 && strncmp(p, "owner", 5) == 0))
		return 0;
	/* "path = value", spaces around '=' optional. */
	const char *eq = strchr(p, '=');
	size_t plen = eq != NULL ? (size_t)(eq - p) : wlen;
	while (plen > 0 && (p[plen - 1] == ' ' || p[plen - 1] == '\t'))
		plen--;
	int r = bdf_from_path(p, plen, bdf);
	if (r <= 0)
		return r;
	if (eq == NULL || memchr(p, ' ', plen) != NULL)
		return -EINVAL;
	const char *v = skip_space(eq + 1);
	size_t vlen = word_len(v);
	if (*skip_space(v + vlen) != '\0' || parse_count(v, vlen, &count) < 0)
		return -EINVAL;
	memcpy(ret_bdf, bdf, PARSE_BDF_SIZE);
	*ret_count = count;
	return 1;
}

/* "w /sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs - - - - 7": type, path, mode, user,
 * group, age, argument. Type w with optional + - ! = ~ ^ modifiers. */
int
persist_parse_tmpfiles(const char *line, char *ret_bdf, unsigned *ret_count)
{
	const char *p = skip_space(line);
	char bdf[PARSE_BDF_SIZE];
	unsigned count;

	if (*p != 'w')
		return 0;
	size_t tlen = word_len(p);
	for (size_t i = 1; i < tlen; i++) {
		if (strchr("+-!=~^", p[i]) == NULL)
			return 0;
	}
	const char *path = skip_space(p + tlen);
	size_t plen = word_len(path);
	if (plen < 5 || strncmp(path, "/sys/", 5) != 0) /* checksrc: path ok (text in the file) */
		return 0;
	int r = bdf_from_path(path, plen, bdf);
	if (r <= 0)
		return r;
	const char *f = path + plen;
	for (int i = 0; i < 4; i++) { /* mode, user, group, age */
		f = skip_space(f);
		if (*f == '\0')
			return -EINVAL;
		f += word_len(f);
	}
	const char *arg = skip_space(f);
	size_t alen = strlen(arg);
	while (alen > 0 && (arg[alen - 1] == ' ' || arg[alen - 1] == '\t'))
		alen--;
	if (parse_count(arg, alen, &count) < 0)
		return -EINVAL;
	memcpy(ret_bdf, bdf, PARSE_BDF_SIZE);
	*ret_count = count;
	return 1;
}

/* Finds KEY<op>"value" in a udev rule line; op is "==" or "=" (assignment, not "=="). Returns a
 * pointer to the value and its length, or NULL. */
static const char *
udev_value(const char *line, const char *key, const char *op, size_t *ret_len)
{
	size_t klen = strlen(key), olen = strlen(op);

	for (const char *p = line; (p = strstr(p, key)) != NULL; p += klen) {
		if (p != line && !(p[-1] == ' ' || p[-1] == ',' || p[-1] == '\t'))
			continue;
		const char *q = p + klen;
		if (strncmp(q, op, olen) != 0 || (olen == 1 && q[1] == '='))
			continue;
		q += olen;
		if (*q != '"')
			return NULL;
		const char *end = strchr(q + 1, '"');
		if (end == NULL)
			return NULL;
		*ret_len = (size_t)(end - q - 1);
		return q + 1;
	}
	return NULL;
}

int
persist_parse_udev(const char *line, char *ret_bdf, unsigned *ret_count)
{
	const char *p = skip_space(line);
	char bdf[32], full[PARSE_BDF_SIZE];
	unsigned count;
	size_t vlen, klen;

	if (*p == '#')
		return 0;
	const char *v = udev_value(p, "ATTR{" ATTR "}", "=", &vlen);
	if (v == NULL)
		return 0;
	const char *k = udev_value(p, "KERNEL", "==", &klen);
	if (k == NULL || klen >= sizeof(bdf))
		return -EINVAL; /* matched by vendor/device or a glob: the PF cannot be known here */
	memcpy(bdf, k, klen);
	bdf[klen] = '\0';
	if (parse_bdf(bdf, full) < 0 || parse_count(v, vlen, &count) < 0)
		return -EINVAL;
	memcpy(ret_bdf, full, PARSE_BDF_SIZE);
	*ret_count = count;
	return 1;
}

typedef int (*line_parser)(const char *line, char *ret_bdf, unsigned *ret_count);

struct loader {
	struct persist *p;
	void (*skip)(void *arg, const char *what, int err);
	void *arg;
};

static void
report(struct loader *l, const char *what, int err)
{
	if (l->skip != NULL)
		l->skip(l->arg, what, err);
}

/* Records bdf=count from source unless a source of higher precedence already set it. */
static void
record(struct loader *l, const char *bdf, unsigned count, const char *source, bool override)
{
	for (size_t i = 0; i < l->p->n; i++) {
		struct persist_entry *e = &l->p->entries[i];
		if (strcmp(e->bdf, bdf) != 0)
			continue;
		if (override) {
			e->count = count;
			(void)snprintf(e->source, sizeof(e->source), "%s", source);
		}
		return;
	}
	l->p->entries = xrealloc(l->p->entries, (l->p->n + 1) * sizeof(*l->p->entries));
	struct persist_entry *e = &l->p->entries[l->p->n++];
	memcpy(e->bdf, bdf, PARSE_BDF_SIZE);
	e->count = count;
	(void)snprintf(e->source, sizeof(e->source), "%s", source);
}

static void
parse_file(struct loader *l, int root_fd, const char *rel, line_parser parse, bool later_wins)
{
	char *text = NULL;
	char source[160];

	ssize_t n = sysfs_read_file(root_fd, rel, MAX_FILE, &text);
	if (n == -ENOENT)
		return;
	if (n < 0) {
		report(l, rel, (int)-n);
		return;
	}
	/* Lines are cut by the length read, not by strchr(): a NUL byte would otherwise end the
	 * file there and silently drop every line after it. */
	unsigned lineno = 0;
	char *end = text + n;
	for (char *line = text, *next; line < end; line = next) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = (size_t)((nl != NULL ? nl : end) - line);
		next = nl != NULL ? nl + 1 : end;
		line[len] = '\0';
		lineno++;
		(void)snprintf(source, sizeof(source), "%s:%u", rel, lineno);
		if (len > MAX_LINE || strlen(line) != len || memchr(line, '\r', len) != NULL) {
			report(l, source, EINVAL);
			continue;
		}
		char bdf[PARSE_BDF_SIZE];
		unsigned count;
		int r = parse(line, bdf, &count);
		if (r < 0)
			report(l, source, -r);
		else if (r > 0)
			record(l, bdf, count, source, later_wins);
	}
	free(text);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Drop-in directories in precedence order: a file name in an earlier one masks the same name in
 * later ones; the survivors are applied in file-name order. */
static void
parse_dropins(struct loader *l, int root_fd, const char *const *dirs, size_t ndirs,
	      const char *suffix, line_parser parse, bool later_wins)
{
	char *names[MAX_FILES], *paths[MAX_FILES];
	size_t n = 0;

	for (size_t i = 0; i < ndirs; i++) {
		DIR *d = NULL;
		struct dirent *de;
		if (sysfs_opendir(root_fd, dirs[i], &d) < 0)
			continue;
		while ((de = readdir(d)) != NULL) {
			size_t len = strlen(de->d_name), slen = strlen(suffix);
			bool seen = false;
			if (de->d_name[0] == '.' || len <= slen ||
			    strcmp(de->d_name + len - slen, suffix) != 0)
				continue;
			for (size_t j = 0; j < n && !seen; j++)
				seen = strcmp(names[j], de->d_name) == 0;
			if (seen)
				continue;
			if (n == MAX_FILES) {
				report(l, dirs[i], E2BIG);
				break;
			}
			names[n] = xstrdup(de->d_name);
			size_t plen = strlen(dirs[i]) + 1 + len + 1;
			paths[n] = xmalloc(plen);
			(void)snprintf(paths[n], plen, "%s/%s", dirs[i], de->d_name);
			n++;
		}
		(void)closedir(d);
	}
	/* Sort the paths by their file names: apply order follows the name, not the directory. */
	for (size_t i = 0; i < n; i++) {
		size_t best = i;
		for (size_t j = i + 1; j < n; j++) {
			if (cmp_str(&names[j], &names[best]) < 0)
				best = j;
		}
		char *t = names[i];
		names[i] = names[best];
		names[best] = t;
		t = paths[i];
		paths[i] = paths[best];
		paths[best] = t;
	}
	for (size_t i = 0; i < n; i++) {
		parse_file(l, root_fd, paths[i], parse, later_wins);
		free(names[i]);
		free(paths[i]);
	}
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct persist_entry *)a)->bdf, ((const struct persist_entry *)b)->bdf);
}

int
persist_load(int root_fd, struct persist *ret, void (*skip)(void *arg, const char *what, int err),
	     void *arg)
{
	static const char *const sysfs_d[] = {"etc/sysfs.d"};
	static const char *const tmpfiles_d[] = {"etc/tmpfiles.d", "run/tmpfiles.d",
						 "usr/lib/tmpfiles.d"};
	static const char *const rules_d[] = {"etc/udev/rules.d", "run/udev/rules.d",
					      "usr/lib/udev/rules.d"};
	struct persist p = {NULL, 0};
	struct loader l = {&p, skip, arg};

	/* Highest precedence first; record() keeps the first kind that names a PF. */
	parse_file(&l, root_fd, "etc/sysfs.conf", persist_parse_sysfsconf, true);
	parse_dropins(&l, root_fd, sysfs_d, 1, ".conf", persist_parse_sysfsconf, true);
	/* tmpfiles: the first line for a path wins, as in systemd-tmpfiles. */
	struct persist tmp = {NULL, 0};
	struct loader lt = {&tmp, skip, arg};
	parse_dropins(&lt, root_fd, tmpfiles_d, 3, ".conf", persist_parse_tmpfiles, false);
	for (size_t i = 0; i < tmp.n; i++)
		record(&l, tmp.entries[i].bdf, tmp.entries[i].count, tmp.entries[i].source, false);
	persist_free(&tmp);
	/* udev: a later assignment overrides an earlier one. */
	struct persist udev = {NULL, 0};
	struct loader lu = {&udev, skip, arg};
	parse_dropins(&lu, root_fd, rules_d, 3, ".rules", persist_parse_udev, true);
	for (size_t i = 0; i < udev.n; i++)
		record(&l, udev.entries[i].bdf, udev.entries[i].count, udev.entries[i].source,
		       false);
	persist_free(&udev);
	if (p.n > 1)
		qsort(p.entries, p.n, sizeof(*p.entries), cmp_entry);
	*ret = p;
	return 0;
}

void
persist_free(struct persist *p)
{
	free(p->entries);
	p->entries = NULL;
	p->n = 0;
}

const struct persist_entry *
persist_find(const struct persist *p, const char *bdf)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->entries[i].bdf, bdf) == 0)
			return &p->entries[i];
	}
	return NULL;
}
