/* Helpers shared by the unit tests (linked into every test binary, never into the exporter):
 * temporary directory trees built file by file, and one collector run through its own registry
 * the way the exporter runs it, so a test sees the same text exposition a scrape would. */
#ifndef TESTS_UNIT_TESTLIB_H
#define TESTS_UNIT_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

/* Creates an empty directory <dir>/<name>.XXXXXX with mkdtemp(), so parallel runs never share a
 * tree. dir NULL means $TMPDIR, or /tmp when that is unset or empty; a test whose forked child
 * drops root passes "/tmp", as a private TMPDIR would lock that child out. Returns the path,
 * caller frees with tree_free(); NULL when it could not be made (no cmocka assert: for setup). */
char *tree_new(const char *dir, const char *name);
/* Removes the tree at root and everything below it, then frees root; NULL-safe. Returns 0, or -1
 * when something could not be removed (root is freed all the same). For teardown: no asserts. */
int tree_free(char *root);

/* cmocka teardown for a setup that made its tree with tree_new() and stored the path in *state
 * (tests usually keep a copy in a global for their helpers): tree_free(*state), *state = NULL. */
int tree_teardown(void **state);

/* cmocka fixture state for tests that work below a root fd, as the collectors do: a tree_new()
 * tree and an O_PATH handle on it. */
struct tree_fd {
	char *path;
	int fd;
};

/* Setup half of the fixture: *state becomes a struct tree_fd on a new tree named name (see
 * tree_new()). Returns 0, or -1 with nothing left behind and *state NULL. */
int tree_fd_setup(void **state, const char *name);
/* Teardown half, usable as a cmocka teardown as is: closes the fd, removes the tree, frees *state
 * and sets it NULL; a NULL *state is fine. Returns 0, or -1 when the tree was not fully removed. */
int tree_fd_teardown(void **state);

/* snprintf() into buf that fails the current test instead of truncating: a cut path would point
 * the test at some other file. */
void xsnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The helpers below fail the current test (cmocka) on any error. root is the directory that rel
 * is relative to: a tree_new() path or a directory inside one; it must exist. */

/* Writes text to root/rel, replacing the file, with missing parent directories created. */
void tree_put(const char *root, const char *rel, const char *text);
/* Makes root/rel a symlink to target (kept as given: fixtures use relative targets, as sysfs
 * does), with missing parent directories created and an old link or file at rel replaced. */
void tree_link(const char *root, const char *rel, const char *target);
/* Removes root/rel and everything below it, as when a process exits or a device goes away. */
void tree_rm(const char *root, const char *rel);

/* A display-class PCI function in the sysfs tree at sys, as pci_list_gpus() reads it:
 * devices/pci0000:00/<bdf>/{class,vendor,device} (Intel 0x46d4), the driver link to
 * bus/pci/drivers/<driver> (none when driver is NULL: unbound) and the bus/pci/devices/<bdf>
 * link. Relationships (physfn, virtfnN, sriov_totalvfs) are the test's to add. */
void tree_gpu(const char *sys, const char *bdf, const char *driver);

/* The fake monotonic clock of tests linked with -Wl,--wrap=monotonic_ns: monotonic_ns() returns
 * fake_now, which moves only when the test moves it (starts at 1000 s; threads share it through
 * __atomic builtins). A test that needs another clock defines its own __wrap_monotonic_ns, which
 * replaces testlib's weak one. */
#define SEC 1000000000LL
extern int64_t fake_now;
int64_t __wrap_monotonic_ns(void);

/* True when text holds line as a whole line (no partial match of a longer sample). */
bool text_has_line(const char *text, const char *line);
/* Fail the current test, printing text, unless it holds line as a whole line. */
void text_assert_line(const char *text, const char *line);
/* A gate for a function a test replaces (--wrap) that must block until the test lets it go:
 * the k-th gate_enter() returns once gate_allow() was given k or more. Thread-safe; one gate per
 * test binary, emptied by gate_reset(). gate_entered() counts the calls so far, gate_wait()
 * waits until there are n. */
int gate_enter(void);
void gate_allow(int n);
void gate_wait(int n);
int gate_entered(void);
void gate_reset(void);

/* Occurrences of part in text (overlapping ones too). */
size_t text_count(const char *text, const char *part);
/* A listening socket on 127.0.0.1 at a free port (stored in *ret_port), as the exporter opens
 * them (listen_open()). Fails the test on error. */
int http_listen(int *ret_port);
/* Connects to 127.0.0.1:port, from the local address src when not NULL (any 127.x.y.z works:
 * tests use them as different clients), sends req as it is and returns the socket. Fails the
 * test on any socket error. Reads on it give up after HTTP_READ_TIMEOUT_S without data. */
#define HTTP_READ_TIMEOUT_S 20
int http_send(const char *src, int port, const char *req);
/* Everything the server sends on fd until it closes the connection; closes fd, caller frees. */
char *http_read_all(int fd);
/* http_send() then http_read_all(). */
char *http_exchange(const char *src, int port, const char *req);
/* Fail the current test, printing text, when part appears anywhere in it. */
void text_assert_lacks(const char *text, const char *part);

/* One collector in a registry of its own, kept across scrapes as the exporter keeps it (the
 * collector's state lives there). The registry borrows roots, ops and on from this struct: it
 * must stay where it is between testrun_start() and testrun_stop(). */
struct testrun {
	struct roots roots;
	const struct collector_ops *ops[1];
	bool on[1];
	struct registry *reg;
	/* registry_collect()'s result for the last scrape: 1 when the collector succeeded. */
	size_t ok;
};

/* Opens sys, proc and root (paths; NULL leaves that root -1) as main() opens them and makes the
 * registry for ops. Returns 0, or -errno with nothing left open (t is then safe to stop). No
 * cmocka asserts, so a forked child that must not unwind into the test runner may use it. */
int testrun_start(struct testrun *t, const struct collector_ops *ops, const char *sys,
		  const char *proc, const char *root);
/* Runs one scrape without a deadline and returns its text exposition; caller frees. Sets t->ok.
 * No cmocka asserts (out of memory is fatal, as in the exporter). */
char *testrun_scrape(struct testrun *t);
/* testrun_scrape() at fake_now = now (for tests linked with -Wl,--wrap=monotonic_ns). */
char *testrun_scrape_at(struct testrun *t, int64_t now);
/* The same, failing the test unless the collector succeeded. */
char *testrun_scrape_ok_at(struct testrun *t, int64_t now);
/* Frees the registry (running the collector's fini) and closes the roots; safe after a failed
 * start. */
void testrun_stop(struct testrun *t);

#endif
