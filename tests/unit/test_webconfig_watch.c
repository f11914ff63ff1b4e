/* Unit tests for webconfig_watch.c on real files in a mkdtemp() tree: each way a renewal tool
 * changes a file (rewrite in place, rename over, symlink repointed, removed and put back, a copy
 * that keeps the mtime) is reported, once, and only after the files stayed the same for one
 * poll; nothing is reported while nothing changes. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testlib.h"
#include "webconfig_watch.h"

struct env {
	char *dir;
	char paths[3][512]; /* web.yml, cert.pem, key.pem */
	struct web_watch w;
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	const char *names[] = {"web.yml", "cert.pem", "key.pem"};
	const char *paths[3];

	e->dir = tree_new(NULL, "watch");
	for (int i = 0; i < 3; i++) {
		tree_put(e->dir, names[i], "first\n");
		xsnprintf(e->paths[i], sizeof(e->paths[i]), "%s/%s", e->dir, names[i]);
		paths[i] = e->paths[i];
	}
	web_watch_set(&e->w, paths, 3);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	web_watch_free(&e->w);
	tree_free(e->dir);
	free(e);
	return 0;
}

/* Polls until the watch reports (at most 3 polls); returns the number of polls it took, 0 when it
 * never did. */
static int
polls_to_report(struct web_watch *w)
{
	for (int i = 1; i <= 3; i++) {
		if (web_watch_poll(w))
			return i;
	}
	return 0;
}

static void
test_nothing_changes(void **state)
{
	struct env *e = *state;

	for (int i = 0; i < 5; i++)
		assert_false(web_watch_poll(&e->w));
}

static void
test_rewrite_in_place(void **state)
{
	struct env *e = *state;

	tree_put(e->dir, "cert.pem", "second, longer\n");
	/* First poll sees the change, the second sees it settled. */
	assert_int_equal(polls_to_report(&e->w), 2);
	/* Not reloaded yet: reported again and again until re-armed. */
	assert_true(web_watch_poll(&e->w));
	web_watch_rearm(&e->w);
	assert_int_equal(polls_to_report(&e->w), 0);
}

static void
test_waits_while_still_changing(void **state)
{
	struct env *e = *state;

	tree_put(e->dir, "cert.pem", "new cert\n");
	assert_false(web_watch_poll(&e->w));
	tree_put(e->dir, "key.pem", "new key, written a tick later\n");
	assert_false(web_watch_poll(&e->w));
	assert_true(web_watch_poll(&e->w));
}

static void
test_rename_over(void **state)
{
	struct env *e = *state;
	char tmp[600];

	tree_put(e->dir, "key.pem.new", "first\n");
	xsnprintf(tmp, sizeof(tmp), "%s/key.pem.new", e->dir);
	assert_int_equal(rename(tmp, e->paths[2]), 0);
	/* Same size and maybe the same mtime: the inode tells. */
	assert_int_equal(polls_to_report(&e->w), 2);
}

static void
test_symlink_repointed(void **state)
{
	struct env *e = *state;
	const char *paths[1];
	char link[600];

	/* certbot's live/ links into archive/: the watched path is the link. */
	tree_put(e->dir, "archive1.pem", "cert 1\n");
	tree_put(e->dir, "archive2.pem", "cert 2\n");
	tree_link(e->dir, "live.pem", "archive1.pem");
	xsnprintf(link, sizeof(link), "%s/live.pem", e->dir);
	paths[0] = link;
	web_watch_set(&e->w, paths, 1);
	assert_false(web_watch_poll(&e->w));
	tree_rm(e->dir, "live.pem");
	tree_link(e->dir, "live.pem", "archive2.pem");
	assert_int_equal(polls_to_report(&e->w), 2);
}

static void
test_removed_and_back(void **state)
{
	struct env *e = *state;

	tree_rm(e->dir, "web.yml");
	assert_int_equal(polls_to_report(&e->w), 2);
	/* The reload failed; re-armed on the missing file, its return is the next change. */
	web_watch_rearm(&e->w);
	assert_int_equal(polls_to_report(&e->w), 0);
	tree_put(e->dir, "web.yml", "first\n");
	assert_int_equal(polls_to_report(&e->w), 2);
}

static void
test_copy_keeping_mtime(void **state)
{
	struct env *e = *state;
	struct stat st;
	struct timespec times[2];

	assert_int_equal(stat(e->paths[1], &st), 0);
	tree_put(e->dir, "cert.pem", "firsx\n"); /* in place, same size */
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, e->paths[1], times, 0), 0);
	/* Same inode, size and mtime as armed: only ctime moved. */
	assert_int_equal(polls_to_report(&e->w), 2);
}

static void
test_empty_watch(void **state)
{
	struct web_watch w;

	(void)state;
	memset(&w, 0, sizeof(w));
	web_watch_set(&w, NULL, 0);
	assert_false(web_watch_poll(&w));
	web_watch_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_nothing_changes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rewrite_in_place, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_waits_while_still_changing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rename_over, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_repointed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_removed_and_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy_keeping_mtime, setup, teardown),
	    cmocka_unit_test(test_empty_watch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
