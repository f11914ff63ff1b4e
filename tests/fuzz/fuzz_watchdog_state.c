/* libFuzzer target: the watchdog state file reader (exporter/watchdog_state.h). The module has no
 * public pure parser, so each input is written to one file in a private mkdtemp() directory
 * (created once per process, removed at exit) and read back with wd_state_load(). Nothing is
 * written outside that directory. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "watchdog_state.h"

static char dir[] = "/tmp/fuzz_wd_state.XXXXXX";
static int dirfd = -1;

static void
cleanup(void)
{
	char path[sizeof(dir) + sizeof(WD_STATE_FILE) + 1];

	snprintf(path, sizeof(path), "%s/%s", dir, WD_STATE_FILE);
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wd_state_entry entries[WD_STATE_MAX_ENTRIES];
	int fd, n;

	if (dirfd < 0) {
		if (!mkdtemp(dir))
			abort();
		dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			abort();
		atexit(cleanup);
	}
	/* WD_STATE_MAX_SIZE + a little, so the size limit is exercised. */
	if (size > WD_STATE_MAX_SIZE + 16)
		size = WD_STATE_MAX_SIZE + 16;
	fd = openat(dirfd, WD_STATE_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, data + off, size - off);

		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	close(fd);
	n = wd_state_load(dirfd, WD_STATE_FILE, entries, WD_STATE_MAX_ENTRIES);
	if (n > WD_STATE_MAX_ENTRIES)
		abort();
	for (int i = 0; i < n; i++)
		if (strlen(entries[i].bdf) != PARSE_BDF_SIZE - 1)
			abort();
	return 0;
}
