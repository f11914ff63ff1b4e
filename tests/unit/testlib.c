/* Helpers shared by the unit tests: temporary trees and one-collector runs (see testlib.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "listen.h"
#include "parse.h"
#include "testlib.h"

char *
tree_new(const char *dir, const char *name)
{
	char *path = NULL;

	if (dir == NULL)
		dir = getenv("TMPDIR");
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if (asprintf(&path, "%s/%s.XXXXXX", dir, name) < 0)
		return NULL;
	if (mkdtemp(path) == NULL) {
		free(path);
		return NULL;
	}
	return path;
}

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	/* FTW_DEPTH hands over a directory after its contents, so remove() finds it empty. */
	return remove(path);
}

/* rm -rf without a shell; FTW_PHYS removes links and never follows them out of the tree. */
static int
remove_tree(const char *path)
{
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
tree_free(char *root)
{
	if (root == NULL)
		return 0;
	int r = remove_tree(root);
	free(root);
	return r == 0 ? 0 : -1;
}

int
tree_teardown(void **state)
{
	int r = tree_free(*state);

	*state = NULL;
	return r;
}

int
tree_fd_teardown(void **state)
{
	struct tree_fd *t = *state;

	if (t == NULL)
		return 0;
	if (t->fd >= 0)
		(void)close(t->fd);
	int r = tree_free(t->path);
	free(t);
	*state = NULL;
	return r;
}

int
tree_fd_setup(void **state, const char *name)
{
	struct tree_fd *t = calloc(1, sizeof(*t));

	*state = t;
	if (t == NULL)
		return -1;
	t->fd = -1;
	t->path = tree_new(NULL, name);
	if (t->path == NULL)
		goto fail;
	t->fd = open(t->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t->fd < 0)
		goto fail;
	return 0;
fail:
	(void)tree_fd_teardown(state);
	return -1;
}

void
xsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		fail_msg("too long for %zu bytes: %s", size, fmt);
}

/* mkdir -p of the directories between root and the last component of path (root/...). Errors
 * are left to the open or symlink that follows, which names the path. */
static void
parents(char *path, const char *root)
{
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		(void)mkdir(path, 0755);
		*p = '/';
	}
}

void
tree_put(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/%s", root, rel);
	parents(path, root);
	FILE *f = fopen(path, "we");
	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

void
tree_link(const char *root, const char *rel, const char *target)
{
	char path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/%s", root, rel);
	parents(path, root);
	/* Tests re-point links between scrapes (an fd reopened, a device rebound). */
	(void)unlink(path);
	if (symlink(target, path) != 0)
		fail_msg("symlink %s -> %s: %s", path, target, strerror(errno));
}

void
tree_rm(const char *root, const char *rel)
{
	char path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/%s", root, rel);
	if (remove_tree(path) != 0)
		fail_msg("remove %s: %s", path, strerror(errno));
}

void
tree_gpu(const char *sys, const char *bdf, const char *driver)
{
	char rel[PATH_MAX], target[PATH_MAX];

	xsnprintf(rel, sizeof(rel), "devices/pci0000:00/%s/class", bdf);
	tree_put(sys, rel, "0x030000\n");
	xsnprintf(rel, sizeof(rel), "devices/pci0000:00/%s/vendor", bdf);
	tree_put(sys, rel, "0x8086\n");
	xsnprintf(rel, sizeof(rel), "devices/pci0000:00/%s/device", bdf);
	tree_put(sys, rel, "0x46d4\n");
	if (driver != NULL) {
		xsnprintf(rel, sizeof(rel), "devices/pci0000:00/%s/driver", bdf);
		xsnprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
		tree_link(sys, rel, target);
	}
	xsnprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	xsnprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	tree_link(sys, rel, target);
}

/* Opens one root directory; a NULL path leaves it unset (-1), as a collector without that root. */
static int
open_root(const char *path, int *ret_fd)
{
	if (path == NULL) {
		*ret_fd = -1;
		return 0;
	}
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

int
testrun_start(struct testrun *t, const struct collector_ops *ops, const char *sys,
	      const char *proc, const char *root)
{
	int r;

	memset(t, 0, sizeof(*t));
	t->roots.sys = t->roots.proc = t->roots.root = -1;
	r = open_root(sys, &t->roots.sys);
	if (r < 0)
		goto out;
	r = open_root(proc, &t->roots.proc);
	if (r < 0)
		goto out;
	r = open_root(root, &t->roots.root);
	if (r < 0)
		goto out;
	t->ops[0] = ops;
	t->on[0] = true;
	t->reg = registry_new(t->ops, 1, t->on, &t->roots, NULL);
out:
	if (r < 0)
		testrun_stop(t);
	return r;
}

char *
testrun_scrape(struct testrun *t)
{
	struct expo *e = expo_new();
	struct buf b = BUF_INIT;
	size_t len;

	/* No deadline: a slow test machine must not turn into a failed collector. */
	t->ok = registry_collect(t->reg, e, INT64_MAX);
	expo_render(e, EXPO_FORMAT_TEXT, &b);
	expo_free(e);
	return buf_steal(&b, &len);
}

void
testrun_stop(struct testrun *t)
{
	registry_free(t->reg);
	t->reg = NULL;
	if (t->roots.sys >= 0)
		(void)close(t->roots.sys);
	if (t->roots.proc >= 0)
		(void)close(t->roots.proc);
	if (t->roots.root >= 0)
		(void)close(t->roots.root);
	t->roots.sys = t->roots.proc = t->roots.root = -1;
}

bool
text_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	}
	return false;
}

void
text_assert_line(const char *text, const char *line)
{
	if (!text_has_line(text, line))
		fail_msg("missing line: %s\n--- in ---\n%s", line, text);
}

void
text_assert_lacks(const char *text, const char *part)
{
	if (strstr(text, part) != NULL)
		fail_msg("unexpected: %s\n--- in ---\n%s", part, text);
}

int64_t fake_now = 1000 * SEC;

__attribute__((weak)) int64_t
__wrap_monotonic_ns(void)
{
	return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}

char *
testrun_scrape_at(struct testrun *t, int64_t now)
{
	__atomic_store_n(&fake_now, now, __ATOMIC_SEQ_CST);
	return testrun_scrape(t);
}

char *
testrun_scrape_ok_at(struct testrun *t, int64_t now)
{
	char *text = testrun_scrape_at(t, now);
	assert_int_equal(t->ok, 1);
	return text;
}

size_t
text_count(const char *text, const char *part)
{
	size_t n = 0;

	for (const char *p = strstr(text, part); p != NULL; p = strstr(p + 1, part))
		n++;
	return n;
}

int
http_listen(int *ret_port)
{
	char bound[64];
	uint64_t port;
	int fd = listen_open("127.0.0.1:0", bound, sizeof(bound));

	assert_true(fd >= 0);
	assert_int_equal(parse_u64(strrchr(bound, ':') + 1, 10, 65535, &port), 0);
	*ret_port = (int)port;
	return fd;
}

int
http_send(const char *src, int port, const char *req)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	/* A server that never answers fails the test instead of hanging it. */
	struct timeval tv = {HTTP_READ_TIMEOUT_S, 0};
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	if (src != NULL) {
		struct sockaddr_in from = {.sin_family = AF_INET};
		assert_int_equal(inet_pton(AF_INET, src, &from.sin_addr), 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	}
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	return fd;
}

char *
http_read_all(int fd)
{
	struct buf b = BUF_INIT;
	char chunk[1024];
	size_t len;
	ssize_t r;

	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)r);
	(void)close(fd);
	return buf_steal(&b, &len);
}

char *
http_exchange(const char *src, int port, const char *req)
{
	return http_read_all(http_send(src, port, req));
}

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_calls, gate_open;

int
gate_enter(void)
{
	(void)pthread_mutex_lock(&gate_lock);
	int me = ++gate_calls;
	(void)pthread_cond_broadcast(&gate_cond);
	while (gate_open < me)
		(void)pthread_cond_wait(&gate_cond, &gate_lock);
	(void)pthread_mutex_unlock(&gate_lock);
	return me;
}

void
gate_allow(int n)
{
	(void)pthread_mutex_lock(&gate_lock);
	gate_open = n;
	(void)pthread_cond_broadcast(&gate_cond);
	(void)pthread_mutex_unlock(&gate_lock);
}

void
gate_wait(int n)
{
	(void)pthread_mutex_lock(&gate_lock);
	while (gate_calls < n)
		(void)pthread_cond_wait(&gate_cond, &gate_lock);
	(void)pthread_mutex_unlock(&gate_lock);
}

int
gate_entered(void)
{
	(void)pthread_mutex_lock(&gate_lock);
	int n = gate_calls;
	(void)pthread_mutex_unlock(&gate_lock);
	return n;
}

void
gate_reset(void)
{
	(void)pthread_mutex_lock(&gate_lock);
	gate_calls = gate_open = 0;
	(void)pthread_mutex_unlock(&gate_lock);
}
