/* --check runner: decides host or guest, evaluates that table over one collection and renders the
 * report as text (for people; colour only on a terminal) or JSON (for scripts). The exit status
 * says whether anything failed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "check_guest.h"
#include "check_host.h"
#include "check_read.h"
#include "log.h"

/* Bumped when a key changes meaning or goes away; new keys may appear without a bump. */
#define CHECK_JSON_VERSION 1

static const char *const status_names[] = {"pass", "warn", "fail"};

void
check_set(struct check_result *r, enum check_status status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	buf_reset(&r->detail);
	va_start(ap, fmt);
	buf_vprintf(&r->detail, fmt, ap);
	va_end(ap);
}

/* Appends to b, after "; " when b already holds something. */
static void append(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void
append(struct buf *b, const char *fmt, va_list ap)
{
	if (b->len > 0)
		buf_puts(b, "; ");
	buf_vprintf(b, fmt, ap);
}

void
check_add(struct check_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append(&r->detail, fmt, ap);
	va_end(ap);
}

void
check_fix(struct check_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append(&r->fix, fmt, ap);
	va_end(ap);
}

void
check_raise(struct check_result *r, enum check_status status)
{
	if (status > r->status)
		r->status = status;
}

void
check_result_free(struct check_result *r)
{
	buf_free(&r->detail);
	buf_free(&r->fix);
}

static bool
has_series(const struct expo *e, const char *name)
{
	double v;
	return expo_value(e, name, NULL, 0, &v);
}

/* A PF is the plain sign of a hypervisor. Without one (driver not loaded, PF on vfio-pci is still
 * a PF, but a host after a failed DKMS build may show none), Proxmox VE, its kernel or a VF
 * ceiling on the command line still say "host". An SR-IOV DKMS module does not: the
 * i915-sriov-dkms README asks for it in guests too. */
enum check_mode
check_mode(const struct expo *e, struct buf *reason)
{
	struct check_list l;
	enum check_mode mode = CHECK_MODE_GUEST;

	check_list(e, "gpu_sriov_pf_info", &l);
	if (l.n > 0) {
		buf_printf(reason, "SR-IOV PF %s", check_label(&l.v[0], "pci_address"));
		check_list_free(&l);
		return CHECK_MODE_HOST;
	}
	check_list_free(&l);
	const char *release = check_running_kernel(e);
	size_t rlen = release != NULL ? strlen(release) : 0;
	if (has_series(e, "gpu_sriov_vms_configured") ||
	    check_collector(e, "proxmox") == CHECK_COLLECTOR_FAILED) {
		buf_puts(reason, "Proxmox VE configuration in /etc/pve");
		mode = CHECK_MODE_HOST;
	} else if (rlen > 4 && strcmp(release + rlen - 4, "-pve") == 0) {
		buf_printf(reason, "Proxmox VE kernel %s", release);
		mode = CHECK_MODE_HOST;
	} else if (check_cmdline(e, "i915.max_vfs") != NULL || check_cmdline(e, "xe.max_vfs") != NULL) {
		buf_puts(reason, "max_vfs on the kernel command line");
		mode = CHECK_MODE_HOST;
	} else {
		buf_puts(reason, "no SR-IOV PF, Proxmox VE or max_vfs on the kernel command line");
	}
	return mode;
}

/* Text for a terminal: control characters (C0, DEL and the C1 range, which some terminals obey as
 * escapes) from label values become '?', so a hostile value cannot move the cursor or recolour. */
static void
put_text(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			buf_putc(out, '?');
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			buf_putc(out, '?');
			p++;
		} else {
			buf_putc(out, (char)*p);
		}
	}
}

/* A JSON string. The collection holds valid UTF-8 only (expo_add() sanitises label values), so
 * only quote, backslash and control characters need escapes. */
static void
put_json(struct buf *out, const char *s)
{
	buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			buf_putc(out, '\\');
			buf_putc(out, (char)*p);
		} else if (*p == '\n') {
			buf_puts(out, "\\n");
		} else if (*p == '\t') {
			buf_puts(out, "\\t");
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(out, "\\u%04x", *p);
		} else {
			buf_putc(out, (char)*p);
		}
	}
	buf_putc(out, '"');
}

static const char *const colours[] = {"\033[32m", "\033[33m", "\033[1;31m"};

static void
render_text_line(struct buf *out, const struct check_desc *d, const struct check_result *r,
		 bool colour)
{
	if (colour)
		buf_printf(out, "%s%-4s\033[0m", colours[r->status], status_names[r->status]);
	else
		buf_printf(out, "%-4s", status_names[r->status]);
	buf_printf(out, "  %s: ", d->title);
	put_text(out, r->detail.len > 0 ? r->detail.data : "");
	buf_putc(out, '\n');
	if (r->status != CHECK_PASS && r->fix.len > 0) {
		buf_puts(out, "      fix: ");
		put_text(out, r->fix.data);
		buf_putc(out, '\n');
	}
}

static void
render_json_check(struct buf *out, const struct check_desc *d, const struct check_result *r,
		  bool first)
{
	buf_puts(out, first ? "\n    {\"id\": " : ",\n    {\"id\": ");
	put_json(out, d->id);
	buf_printf(out, ", \"status\": \"%s\", \"title\": ", status_names[r->status]);
	put_json(out, d->title);
	buf_puts(out, ", \"detail\": ");
	put_json(out, r->detail.len > 0 ? r->detail.data : "");
	buf_puts(out, ", \"fix\": ");
	if (r->status != CHECK_PASS && r->fix.len > 0)
		put_json(out, r->fix.data);
	else
		buf_puts(out, "null");
	buf_putc(out, '}');
}

int
check_report(const struct expo *e, enum check_output format, bool colour, struct buf *out)
{
	struct buf reason = BUF_INIT;
	size_t count[3] = {0, 0, 0};
	size_t n;
	enum check_mode mode = check_mode(e, &reason);
	const struct check_desc *table =
	    mode == CHECK_MODE_HOST ? check_host_table(&n) : check_guest_table(&n);
	const char *mode_name = mode == CHECK_MODE_HOST ? "host" : "guest";

	if (format == CHECK_OUTPUT_JSON) {
		buf_printf(out, "{\n  \"format_version\": %d,\n  \"mode\": \"%s\",\n  \"mode_reason\": ",
			   CHECK_JSON_VERSION, mode_name);
		put_json(out, reason.data);
		buf_puts(out, ",\n  \"checks\": [");
	} else {
		buf_printf(out, "mode: %s (", mode_name);
		put_text(out, reason.data);
		buf_puts(out, ")\n");
	}
	for (size_t i = 0; i < n; i++) {
		struct check_result r = {CHECK_PASS, BUF_INIT, BUF_INIT};
		table[i].eval(e, &r);
		count[r.status]++;
		if (format == CHECK_OUTPUT_JSON)
			render_json_check(out, &table[i], &r, i == 0);
		else
			render_text_line(out, &table[i], &r, colour);
		check_result_free(&r);
	}
	int rc = count[CHECK_FAIL] > 0 ? 1 : 0;
	if (format == CHECK_OUTPUT_JSON)
		buf_printf(out,
			   "\n  ],\n  \"summary\": {\"passed\": %zu, \"warnings\": %zu, "
			   "\"failed\": %zu},\n  \"exit_status\": %d\n}\n",
			   count[CHECK_PASS], count[CHECK_WARN], count[CHECK_FAIL], rc);
	else
		buf_printf(out, "summary: %zu passed, %zu warnings, %zu failed\n", count[CHECK_PASS],
			   count[CHECK_WARN], count[CHECK_FAIL]);
	buf_free(&reason);
	return rc;
}

bool
check_colour_wanted(int fd)
{
	const char *no_colour = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (no_colour != NULL && no_colour[0] != '\0')
		return false;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fd) == 1;
}

struct run_arg {
	enum check_output format;
	bool colour;
	struct buf out;
	int rc;
};

static void
run_view(const struct expo *e, size_t ok, void *arg)
{
	struct run_arg *a = arg;

	(void)ok; /* each check reports its own collector's failure */
	a->rc = check_report(e, a->format, a->colour, &a->out);
}

int
check_run(struct scraper *s, int64_t deadline_ns, enum check_output format)
{
	struct run_arg a = {format, false, BUF_INIT, 1};

	a.colour = format == CHECK_OUTPUT_TEXT && check_colour_wanted(STDOUT_FILENO);
	scraper_view(s, deadline_ns, run_view, &a);
	bool wrote = fwrite(a.out.data, 1, a.out.len, stdout) == a.out.len && fflush(stdout) == 0;
	if (!wrote)
		log_errorx("writing to stdout failed");
	buf_free(&a.out);
	return wrote ? a.rc : 1;
}
