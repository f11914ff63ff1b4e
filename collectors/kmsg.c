/* kmsg collector: counts kernel log messages that mark SR-IOV trouble (VFs enabled or disabled,
 * the stock i915 ignoring max_vfs, GuC handshake failures in a guest, GPU hangs, IOMMU faults),
 * read from /dev/kmsg from the exporter's start, per PCI address where the record names one.
 * Needs CAP_SYSLOG where kernel.dmesg_restrict=1 and ProtectKernelLogs=no under systemd. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../exporter/log.h"
#include "../exporter/xalloc.h"
#include "collectors.h"
#include "kmsg_parse.h"
#include "pci.h"

/* /dev/kmsg hands out one record per read(), at most about 8 KiB (kernel's CONSOLE_EXT_LOG_MAX). */
#define RECORD_MAX 8192
/* Records drained per scrape at most, so a log storm cannot stall a scrape. */
#define DRAIN_MAX 20000
#define MAX_KEYS 256

struct count {
	char device[PARSE_BDF_SIZE];
	int event;
	uint64_t n;
};

struct kmsg_state {
	int fd;              /* -1 when unreadable */
	int open_err;        /* errno of the failed open */
	bool stream;         /* a regular file (fixture): records separated by newlines */
	char *partial;       /* stream mode: an unfinished line carried to the next scrape */
	size_t partial_len;
	uint64_t next_seq;   /* expected next sequence number, to count lost records */
	uint64_t lost;
	struct count counts[MAX_KEYS];
	size_t ncounts;
	bool have_gpus;      /* the zero series of the GPU functions were seeded ... */
	int64_t gpus_ns;     /* ... from a listing taken at this time */
};

static void
open_log(struct kmsg_state *st, int root)
{
	struct stat sb;

	st->fd = openat(root, "dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (st->fd < 0) {
		st->open_err = errno;
		return;
	}
	/* From now on: older records describe a past the exporter did not watch. */
	if (fstat(st->fd, &sb) == 0 && S_ISREG(sb.st_mode))
		st->stream = true;
	(void)lseek(st->fd, 0, SEEK_END);
}

static int
kmsg_init(struct collector *c, const struct roots *roots)
{
	struct kmsg_state *st = xcalloc(1, sizeof(*st));

	open_log(st, roots->root);
	if (st->fd < 0)
		log_msg(LOG_LEVEL_INFO, "kmsg", st->open_err,
			"cannot read the kernel log (needs CAP_SYSLOG, ProtectKernelLogs=no); kernel "
			"event counters are off");
	collector_set_data(c, st);
	return 0;
}

static void
kmsg_fini(struct collector *c)
{
	struct kmsg_state *st = collector_get_data(c);

	if (st == NULL)
		return;
	if (st->fd >= 0)
		(void)close(st->fd);
	free(st->partial);
	free(st);
	collector_set_data(c, NULL);
}

static struct count *
counter(struct kmsg_state *st, const char *device, int event)
{
	for (size_t i = 0; i < st->ncounts; i++) {
		if (st->counts[i].event == event && strcmp(st->counts[i].device, device) == 0)
			return &st->counts[i];
	}
	if (st->ncounts == MAX_KEYS)
		return NULL;
	struct count *k = &st->counts[st->ncounts++];
	(void)snprintf(k->device, sizeof(k->device), "%s", device);
	k->event = event;
	k->n = 0;
	return k;
}

static void
account(struct collector *c, struct kmsg_state *st, const char *rec, size_t len)
{
	struct kmsg_record r;

	if (kmsg_parse_record(rec, len, &r) < 0) {
		collector_skip(c, "dev/kmsg: a record that does not parse", EINVAL);
		return;
	}
	if (st->next_seq != 0 && r.seq > st->next_seq)
		st->lost += r.seq - st->next_seq;
	st->next_seq = r.seq + 1;
	int ev = kmsg_match(r.text, r.text_len);
	if (ev < 0)
		return;
	struct count *k = counter(st, r.device, ev);
	if (k != NULL)
		k->n++;
	else
		collector_skip(c, "dev/kmsg: more event/address pairs than the limit", E2BIG);
}

/* Character device: one record per read(); EAGAIN when drained; EPIPE when the ring buffer
 * overwrote records we had not read (the next read resumes at the oldest one left). */
static void
drain_device(struct collector *c, struct kmsg_state *st)
{
	char buf[RECORD_MAX];

	for (int i = 0; i < DRAIN_MAX; i++) {
		ssize_t n = read(st->fd, buf, sizeof(buf));
		if (n > 0) {
			account(c, st, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EPIPE)
			continue; /* the sequence gap is counted from the next record */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			collector_skip(c, "dev/kmsg", errno);
		return;
	}
}

/* Regular file (tests): newline-separated records with " KEY=value" continuation lines. */
static void
drain_stream(struct collector *c, struct kmsg_state *st)
{
	char chunk[RECORD_MAX];

	for (int i = 0; i < DRAIN_MAX; i++) {
		ssize_t n = read(st->fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		st->partial = xrealloc(st->partial, st->partial_len + (size_t)n);
		memcpy(st->partial + st->partial_len, chunk, (size_t)n);
		st->partial_len += (size_t)n;
	}
	size_t start = 0;
	for (size_t i = 0; i < st->partial_len; i++) {
		/* A record ends at a newline not followed by a continuation line. */
		if (st->partial[i] != '\n' || (i + 1 < st->partial_len && st->partial[i + 1] == ' '))
			continue;
		if (i > start)
			account(c, st, st->partial + start, i - start);
		start = i + 1;
	}
	if (start > 0) {
		memmove(st->partial, st->partial + start, st->partial_len - start);
		st->partial_len -= start;
	}
}

static int
kmsg_collect(struct collector *c, struct expo *out)
{
	struct kmsg_state *st = collector_get_data(c);
	struct pci_list l;

	(void)expo_add(out, "gpu_sriov_kernel_log_readable", EXPO_GAUGE,
		       "1 when the exporter can read /dev/kmsg; kernel event counters need it.",
		       st->fd >= 0 ? 1 : 0, NULL, 0);
	if (st->fd < 0)
		return 0;
	if (st->stream)
		drain_stream(c, st);
	else
		drain_device(c, st);

	/* Zero series for every GPU function and event, so the first event is an increase that
	 * increase() and rate() can see rather than a series appearing at 1. Counters are never
	 * dropped, so the list is only needed for functions that appear later (a GPU hot-added):
	 * it is taken at most every COLLECTOR_RECHECK_NS. Its unusable values are the sriov and
	 * drm collectors' to count (NULL collector), so this one's count stays the same from one
	 * scrape to the next. */
	int64_t now = monotonic_ns();
	if ((!st->have_gpus || now - st->gpus_ns >= COLLECTOR_RECHECK_NS || now < st->gpus_ns) &&
	    pci_list_gpus(NULL, collector_roots(c)->sys, &l) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			for (int ev = 0; ev < KMSG_EVENTS && l.fns[i].role != PCI_ROLE_VF; ev++)
				(void)counter(st, l.fns[i].bdf, ev);
		}
		pci_list_free(&l);
		st->have_gpus = true;
		st->gpus_ns = now;
	}
	for (int ev = 0; ev < KMSG_EVENTS; ev++)
		(void)counter(st, "", ev);
	for (size_t i = 0; i < st->ncounts; i++)
		(void)expo_add(out, "gpu_sriov_kernel_events_total", EXPO_COUNTER,
			       "Kernel log records matching a known SR-IOV signature since the "
			       "exporter started, by event and the PCI address the record names "
			       "(empty when none).",
			       (double)st->counts[i].n,
			       EXPO_LABELS({"event", kmsg_event_names[st->counts[i].event]},
					   {"pci_address", st->counts[i].device}));
	(void)expo_add(out, "gpu_sriov_kernel_log_lost_records_total", EXPO_COUNTER,
		       "Kernel log records overwritten before the exporter read them (gaps in "
		       "the sequence numbers).",
		       (double)st->lost, NULL, 0);
	return 0;
}

const struct collector_ops kmsg_collector = {
	.name = "kmsg",
	.help = "kernel log signatures of SR-IOV trouble (from /dev/kmsg)",
	.default_enabled = true,
	.init = kmsg_init,
	.collect = kmsg_collect,
	.fini = kmsg_fini,
};
