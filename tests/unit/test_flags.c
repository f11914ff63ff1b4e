/* Unit tests for flags.c: defaults, every flag form, validation errors (one-line messages naming
 * the flag, nothing written to the result), collector switches, address splitting and --help text.
 * Each test owns a struct run in its state; the teardown frees the last successful config. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collector.h"
#include "flags.h"
#include "log.h"

/* Only name, help and default_enabled matter to flags.c. */
static const struct collector_ops alpha_ops = {
	.name = "alpha",
	.help = "Alpha facts.",
	.default_enabled = true,
};
static const struct collector_ops beta_ops = {
	.name = "beta",
	.help = "Beta facts.",
	.default_enabled = false,
};
static const struct collector_ops *const test_ops[] = {&alpha_ops, &beta_ops};
#define NOPS (sizeof(test_ops) / sizeof(test_ops[0]))
#define ALPHA 0
#define BETA 1

#define MAX_ARGS 16
#define POISON 0xa5

struct run {
	char *argv[MAX_ARGS + 2]; /* copies: the config borrows strings from argv */
	int argc;
	struct config cfg;
	bool have_cfg;
	char err[256];
	int rc;
};

static void
run_reset(struct run *r)
{
	if (r->have_cfg)
		config_free(&r->cfg);
	r->have_cfg = false;
	for (int i = 0; i < r->argc; i++)
		free(r->argv[i]);
	r->argc = 0;
	r->argv[0] = NULL;
}

static int
setup(void **state)
{
	struct run *r = calloc(1, sizeof(*r));

	*state = r;
	return r == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	struct run *r = *state;

	run_reset(r);
	free(r);
	return 0;
}

/* Parses "gpu_sriov_exporter" followed by the NULL-terminated args with the two fake collectors.
 * The result and the error buffer are poisoned first so that untouched output can be checked. */
static struct run *
run_parse(void **state, const struct collector_ops *const *ops, size_t nops,
	  const char *const *args)
{
	struct run *r = *state;

	run_reset(r);
	r->argv[r->argc++] = strdup("gpu_sriov_exporter");
	for (size_t i = 0; args[i] != NULL; i++) {
		assert_true(i < MAX_ARGS);
		r->argv[r->argc++] = strdup(args[i]);
	}
	r->argv[r->argc] = NULL;
	for (int i = 0; i < r->argc; i++)
		assert_non_null(r->argv[i]);
	memset(&r->cfg, POISON, sizeof(r->cfg));
	memset(r->err, 0, sizeof(r->err));
	r->rc = flags_parse(r->argc, r->argv, ops, nops, &r->cfg, r->err, sizeof(r->err));
	r->have_cfg = r->rc == 0;
	return r;
}

#define PARSE(state, ...)                                                                          \
	run_parse((state), test_ops, NOPS, (const char *const[]){__VA_ARGS__, NULL})

static bool
cfg_untouched(const struct config *c)
{
	const unsigned char *p = (const unsigned char *)c;

	for (size_t i = 0; i < sizeof(*c); i++) {
		if (p[i] != POISON)
			return false;
	}
	return true;
}

#define assert_ok(r)                                                                               \
	do {                                                                                       \
		if ((r)->rc != 0)                                                                  \
			print_error("unexpected error: %s\n", (r)->err);                           \
		assert_int_equal((r)->rc, 0);                                                      \
	} while (0)

/* -EINVAL, a one-line message containing want, and nothing written to the result. */
#define assert_fails(r, want)                                                                      \
	do {                                                                                       \
		assert_int_equal((r)->rc, -EINVAL);                                                \
		if (strstr((r)->err, (want)) == NULL)                                              \
			print_error("message '%s' lacks '%s'\n", (r)->err, (want));                \
		assert_non_null(strstr((r)->err, (want)));                                         \
		assert_null(strchr((r)->err, '\n'));                                               \
		assert_true(cfg_untouched(&(r)->cfg));                                             \
	} while (0)

static void
test_defaults(void **state)
{
	struct run *r = PARSE(state, NULL);

	assert_ok(r);
	assert_int_equal(r->cfg.action, ACTION_RUN);
	assert_int_equal(r->cfg.nlisten, 1);
	assert_string_equal(r->cfg.listen[0], ":" DEFAULT_PORT);
	assert_string_equal(r->cfg.listen[0], ":9863");
	assert_false(r->cfg.systemd_socket);
	assert_string_equal(r->cfg.telemetry_path, "/metrics");
	assert_null(r->cfg.web_config_file);
	assert_int_equal(r->cfg.max_requests, 40);
	assert_false(r->cfg.disable_exporter_metrics);
	assert_string_equal(r->cfg.sysfs, "/sys");
	assert_string_equal(r->cfg.procfs, "/proc");
	assert_string_equal(r->cfg.rootfs, "/");
	assert_false(r->cfg.once);
	assert_int_equal(r->cfg.log_level, LOG_LEVEL_INFO);
	assert_int_equal(r->cfg.log_format, LOG_FORMAT_LOGFMT);
	assert_non_null(r->cfg.collector_enabled);
	assert_true(r->cfg.collector_enabled[ALPHA]);
	assert_false(r->cfg.collector_enabled[BETA]);
}

static void
test_listen_forms(void **state)
{
	struct run *r = PARSE(state, "--web.listen-address=:9100");

	assert_ok(r);
	assert_int_equal(r->cfg.nlisten, 1);
	assert_string_equal(r->cfg.listen[0], ":9100");
	/* borrowed from argv, not copied */
	assert_ptr_equal(r->cfg.listen[0], r->argv[1] + strlen("--web.listen-address="));

	r = PARSE(state, "--web.listen-address", ":9100");
	assert_ok(r);
	assert_int_equal(r->cfg.nlisten, 1);
	assert_string_equal(r->cfg.listen[0], ":9100");
	assert_ptr_equal(r->cfg.listen[0], r->argv[2]);
}

static void
test_listen_repeated(void **state)
{
	struct run *r = PARSE(state, "--web.listen-address=127.0.0.1:9100", "--web.listen-address",
			      "[::1]:9100", "--once", "--web.listen-address=:9200");

	assert_ok(r);
	assert_int_equal(r->cfg.nlisten, 3);
	assert_string_equal(r->cfg.listen[0], "127.0.0.1:9100");
	assert_string_equal(r->cfg.listen[1], "[::1]:9100");
	assert_string_equal(r->cfg.listen[2], ":9200");
	assert_true(r->cfg.once);
}

static void
test_listen_valid(void **state)
{
	static const char *const good[] = {
		"[::1]:9100",     "127.0.0.1:0",       "localhost:9100", "0.0.0.0:65535",
		":1",             "[fe80::1%eth0]:80", "[::]:9863",      "my-host.example_1:8080",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct run *r = PARSE(state, "--web.listen-address", good[i]);
		assert_ok(r);
		assert_int_equal(r->cfg.nlisten, 1);
		assert_string_equal(r->cfg.listen[0], good[i]);
	}
}

static void
test_listen_invalid(void **state)
{
	static const char *const bad[] = {
		"9100",   "::1:9100", "[::1]9100", ":99999",     ":",          "host:abc",
		"[]:1",   "",         ":65536",    ":-1",        ":+1",        "[::1]:",
		"[::1",   "::1]:1",   "ho st:1",   "host:9100 ", "host:9100x", "[::1]:9100]",
		"a/b:1",  "host:",    " :1",       "[a]b]:1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char arg[64];
		(void)snprintf(arg, sizeof(arg), "--web.listen-address=%s", bad[i]);
		struct run *r = PARSE(state, arg);
		assert_fails(r, "--web.listen-address");
		r = PARSE(state, "--web.listen-address", bad[i]);
		assert_fails(r, "--web.listen-address");
		/* the message quotes the offending value */
		char quoted[64];
		(void)snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		assert_fails(r, quoted);
	}
}

static void
test_split_address(void **state)
{
	static const struct {
		const char *addr, *host, *port;
	} cases[] = {
		{":9100", "", "9100"},
		{"[::1]:9100", "::1", "9100"},
		{"127.0.0.1:0", "127.0.0.1", "0"},
		{"localhost:9100", "localhost", "9100"},
		{"0.0.0.0:65535", "0.0.0.0", "65535"},
		{"[fe80::1%eth0]:9863", "fe80::1%eth0", "9863"},
		{"[::]:1", "::", "1"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[64], port[8];
		assert_int_equal(flags_split_address(cases[i].addr, host, sizeof(host), port,
						     sizeof(port)),
				 0);
		assert_string_equal(host, cases[i].host);
		assert_string_equal(port, cases[i].port);
	}
}

static void
test_split_address_invalid(void **state)
{
	static const char *const bad[] = {
		"9100",  "::1:9100", "[::1]9100",   ":99999", ":",     "host:abc", "[]:1",
		"",      ":65536",   ":-1",         ":+1",    "[::1]:", "[::1",    "ho st:1",
		":1\n",  "host:1 ",  "[::1]:9100]", "host:",  "h*:1",  "[a]b]:1",  ":0x10",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char host[64], port[16];
		memset(host, 'h', sizeof(host));
		memset(port, 'p', sizeof(port));
		int r = flags_split_address(bad[i], host, sizeof(host), port, sizeof(port));
		if (r != -EINVAL)
			print_error("bad[%zu] gave %d\n", i, r);
		assert_int_equal(r, -EINVAL);
		for (size_t j = 0; j < sizeof(host); j++)
			assert_int_equal(host[j], 'h');
		for (size_t j = 0; j < sizeof(port); j++)
			assert_int_equal(port[j], 'p');
	}
}

static void
test_split_address_buffers(void **state)
{
	char host[10], port[6];

	(void)state;
	/* 9 characters and the NUL fit exactly */
	assert_int_equal(flags_split_address("localhost:65535", host, sizeof(host), port,
					     sizeof(port)),
			 0);
	assert_string_equal(host, "localhost");
	assert_string_equal(port, "65535");
	assert_int_equal(flags_split_address("localhost1:1", host, sizeof(host), port,
					     sizeof(port)),
			 -EINVAL);
	assert_int_equal(flags_split_address("h:65535", host, sizeof(host), port, 5), -EINVAL);
	assert_int_equal(flags_split_address("h:1", host, 1, port, sizeof(port)), -EINVAL);
	assert_int_equal(flags_split_address(":1", host, 1, port, sizeof(port)), 0);
	assert_string_equal(host, "");
}

static void
test_collector_switches(void **state)
{
	struct run *r = PARSE(state, "--no-collector.alpha");

	assert_ok(r);
	assert_false(r->cfg.collector_enabled[ALPHA]);
	assert_false(r->cfg.collector_enabled[BETA]);

	r = PARSE(state, "--collector.beta");
	assert_ok(r);
	assert_true(r->cfg.collector_enabled[ALPHA]);
	assert_true(r->cfg.collector_enabled[BETA]);

	r = PARSE(state, "--collector.beta", "--no-collector.alpha");
	assert_ok(r);
	assert_false(r->cfg.collector_enabled[ALPHA]);
	assert_true(r->cfg.collector_enabled[BETA]);

	r = PARSE(state, "--collector.alpha", "--no-collector.beta");
	assert_ok(r);
	assert_true(r->cfg.collector_enabled[ALPHA]);
	assert_false(r->cfg.collector_enabled[BETA]);
}

static void
test_disable_defaults(void **state)
{
	struct run *r = PARSE(state, "--collector.disable-defaults");

	assert_ok(r);
	assert_false(r->cfg.collector_enabled[ALPHA]);
	assert_false(r->cfg.collector_enabled[BETA]);

	r = PARSE(state, "--collector.disable-defaults", "--collector.alpha");
	assert_ok(r);
	assert_true(r->cfg.collector_enabled[ALPHA]);
	assert_false(r->cfg.collector_enabled[BETA]);

	r = PARSE(state, "--collector.disable-defaults", "--collector.beta");
	assert_ok(r);
	assert_false(r->cfg.collector_enabled[ALPHA]);
	assert_true(r->cfg.collector_enabled[BETA]);

	/* position does not matter */
	r = PARSE(state, "--collector.beta", "--collector.disable-defaults");
	assert_ok(r);
	assert_false(r->cfg.collector_enabled[ALPHA]);
	assert_true(r->cfg.collector_enabled[BETA]);
}

static void
test_unknown_collector(void **state)
{
	struct run *r = PARSE(state, "--collector.gamma");

	assert_fails(r, "--collector.gamma");
	r = PARSE(state, "--no-collector.gamma");
	assert_fails(r, "--no-collector.gamma");
	r = PARSE(state, "--collector.");
	assert_fails(r, "--collector.");
	r = PARSE(state, "--collector.alph");
	assert_fails(r, "--collector.alph");
}

static void
test_no_collectors(void **state)
{
	struct run *r = run_parse(state, NULL, 0, (const char *const[]){"--once", NULL});

	assert_ok(r);
	assert_true(r->cfg.once);
	r = run_parse(state, NULL, 0, (const char *const[]){"--collector.alpha", NULL});
	assert_fails(r, "--collector.alpha");
}

static void
test_once(void **state)
{
	struct run *r = PARSE(state, "--once");

	assert_ok(r);
	assert_true(r->cfg.once);
	r = PARSE(state, "--no-once");
	assert_ok(r);
	assert_false(r->cfg.once);
	r = PARSE(state, "--once=true");
	assert_ok(r);
	assert_true(r->cfg.once);
	r = PARSE(state, "--once=false");
	assert_ok(r);
	assert_false(r->cfg.once);
	r = PARSE(state, "--once=maybe");
	assert_fails(r, "--once");
	assert_fails(r, "'maybe'");
	r = PARSE(state, "--once=");
	assert_fails(r, "--once");
	r = PARSE(state, "--no-once=true");
	assert_fails(r, "--no-once");
}

static void
test_bool_flags(void **state)
{
	struct run *r = PARSE(state, "--web.disable-exporter-metrics");

	assert_ok(r);
	assert_true(r->cfg.disable_exporter_metrics);
	r = PARSE(state, "--no-web.disable-exporter-metrics");
	assert_ok(r);
	assert_false(r->cfg.disable_exporter_metrics);
	/* a boolean does not consume the next argument */
	r = PARSE(state, "--once", "true");
	assert_fails(r, "'true'");
}

static void
test_max_requests(void **state)
{
	static const char *const bad[] = {"abc", "-1", "1000001", "", " 5", "5x", "+5", "0x10",
					  "18446744073709551616"};
	struct run *r = PARSE(state, "--web.max-requests=0");

	assert_ok(r);
	assert_int_equal(r->cfg.max_requests, 0);
	r = PARSE(state, "--web.max-requests=1000000");
	assert_ok(r);
	assert_int_equal(r->cfg.max_requests, 1000000);
	r = PARSE(state, "--web.max-requests", "7");
	assert_ok(r);
	assert_int_equal(r->cfg.max_requests, 7);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = PARSE(state, "--web.max-requests", bad[i]);
		assert_fails(r, "--web.max-requests");
	}
	r = PARSE(state, "--web.max-requests=abc");
	assert_fails(r, "'abc'");
	r = PARSE(state, "--web.max-requests");
	assert_fails(r, "--web.max-requests");
}

static void
test_connection_limits(void **state)
{
	struct run *r = PARSE(state, "--once");

	assert_ok(r);
	assert_int_equal(r->cfg.max_connections, 256);
	assert_int_equal(r->cfg.max_connections_per_ip, 32);
	assert_int_equal(r->cfg.idle_timeout_ns, 30000000000LL);
	r = PARSE(state, "--web.max-connections=1", "--web.max-connections-per-ip=0",
		  "--web.idle-timeout=1h");
	assert_ok(r);
	assert_int_equal(r->cfg.max_connections, 1);
	assert_int_equal(r->cfg.max_connections_per_ip, 0);
	assert_int_equal(r->cfg.idle_timeout_ns, 3600000000000LL);
	r = PARSE(state, "--web.max-connections=0");
	assert_fails(r, "--web.max-connections: must be at least 1");
	r = PARSE(state, "--web.max-connections-per-ip=-1");
	assert_fails(r, "--web.max-connections-per-ip");
	r = PARSE(state, "--web.idle-timeout=999ms");
	assert_fails(r, "--web.idle-timeout: must be from 1s to 1h");
	r = PARSE(state, "--web.idle-timeout=61m");
	assert_fails(r, "--web.idle-timeout: must be from 1s to 1h");
	r = PARSE(state, "--web.idle-timeout=0s");
	assert_fails(r, "--web.idle-timeout");
}

static void
test_log_flags(void **state)
{
	static const struct {
		const char *arg;
		enum log_level level;
	} levels[] = {
		{"--log.level=debug", LOG_LEVEL_DEBUG},
		{"--log.level=info", LOG_LEVEL_INFO},
		{"--log.level=warn", LOG_LEVEL_WARN},
		{"--log.level=error", LOG_LEVEL_ERROR},
	};
	struct run *r;

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		r = PARSE(state, levels[i].arg);
		assert_ok(r);
		assert_int_equal(r->cfg.log_level, levels[i].level);
	}
	r = PARSE(state, "--log.level=verbose");
	assert_fails(r, "--log.level");
	assert_fails(r, "'verbose'");
	r = PARSE(state, "--log.level", "DEBUG");
	assert_fails(r, "--log.level");
	r = PARSE(state, "--log.format=json");
	assert_ok(r);
	assert_int_equal(r->cfg.log_format, LOG_FORMAT_JSON);
	r = PARSE(state, "--log.format", "logfmt");
	assert_ok(r);
	assert_int_equal(r->cfg.log_format, LOG_FORMAT_LOGFMT);
	r = PARSE(state, "--log.format=text");
	assert_fails(r, "--log.format");
	r = PARSE(state, "--log.format");
	assert_fails(r, "--log.format");
}

static void
test_telemetry_path(void **state)
{
	struct run *r = PARSE(state, "--web.telemetry-path=/custom/metrics");

	assert_ok(r);
	assert_string_equal(r->cfg.telemetry_path, "/custom/metrics");
	r = PARSE(state, "--web.telemetry-path=metrics");
	assert_fails(r, "--web.telemetry-path");
	assert_fails(r, "'metrics'");
	r = PARSE(state, "--web.telemetry-path=");
	assert_fails(r, "--web.telemetry-path");
}

static void
test_paths(void **state)
{
	struct run *r = PARSE(state, "--path.sysfs=/fx/sys", "--path.procfs", "/fx/proc",
			      "--path.rootfs=/fx/root");

	assert_ok(r);
	assert_string_equal(r->cfg.sysfs, "/fx/sys");
	assert_string_equal(r->cfg.procfs, "/fx/proc");
	assert_string_equal(r->cfg.rootfs, "/fx/root");
	r = PARSE(state, "--path.sysfs=");
	assert_fails(r, "--path.sysfs");
	r = PARSE(state, "--path.procfs", "");
	assert_fails(r, "--path.procfs");
	r = PARSE(state, "--path.sysfs");
	assert_fails(r, "--path.sysfs");
	r = PARSE(state, "--once", "--path.rootfs");
	assert_fails(r, "--path.rootfs");
}

static void
test_web_config_file(void **state)
{
	struct run *r = PARSE(state, "--web.config.file=");

	assert_ok(r);
	assert_null(r->cfg.web_config_file);
	r = PARSE(state, "--web.config.file=/etc/gpu_sriov_exporter/web.yml");
	assert_ok(r);
	assert_string_equal(r->cfg.web_config_file, "/etc/gpu_sriov_exporter/web.yml");
	r = PARSE(state, "--web.config.file", "web.yml");
	assert_ok(r);
	assert_string_equal(r->cfg.web_config_file, "web.yml");
}

static void
test_unknown_flag(void **state)
{
	struct run *r = PARSE(state, "--nope");

	assert_fails(r, "--nope");
	r = PARSE(state, "--nope=1");
	assert_fails(r, "--nope");
	r = PARSE(state, "--no-web.telemetry-path");
	assert_fails(r, "--no-web.telemetry-path");
	r = PARSE(state, "--no-help");
	assert_fails(r, "--no-help");
	r = PARSE(state, "--web.listen");
	assert_fails(r, "--web.listen");
	r = PARSE(state, "--ONCE");
	assert_fails(r, "--ONCE");
}

static void
test_positional(void **state)
{
	struct run *r = PARSE(state, "foo");

	assert_fails(r, "'foo'");
	r = PARSE(state, "--once", "extra");
	assert_fails(r, "'extra'");
	r = PARSE(state, "-x");
	assert_fails(r, "'-x'");
	r = PARSE(state, "--");
	assert_fails(r, "'--'");
	r = PARSE(state, "-");
	assert_fails(r, "'-'");
}

static void
test_repeated_flag(void **state)
{
	struct run *r = PARSE(state, "--path.sysfs=/a", "--path.sysfs=/b");

	assert_fails(r, "--path.sysfs");
	r = PARSE(state, "--once", "--once");
	assert_fails(r, "--once");
	r = PARSE(state, "--log.level=info", "--log.level", "debug");
	assert_fails(r, "--log.level");
	r = PARSE(state, "--web.max-requests=1", "--web.max-requests=1");
	assert_fails(r, "--web.max-requests");
}

static void
test_help_version(void **state)
{
	struct run *r = PARSE(state, "-h");

	assert_ok(r);
	assert_int_equal(r->cfg.action, ACTION_HELP);
	r = PARSE(state, "--help");
	assert_ok(r);
	assert_int_equal(r->cfg.action, ACTION_HELP);
	r = PARSE(state, "--once", "--help");
	assert_ok(r);
	assert_int_equal(r->cfg.action, ACTION_HELP);
	r = PARSE(state, "--version");
	assert_ok(r);
	assert_int_equal(r->cfg.action, ACTION_VERSION);
	r = PARSE(state, "--help=x");
	assert_fails(r, "--help");
	r = PARSE(state, "--version=1");
	assert_fails(r, "--version");
}

static void
test_systemd_socket(void **state)
{
	struct run *r = PARSE(state, "--web.systemd-socket");

	assert_ok(r);
	assert_true(r->cfg.systemd_socket);
	assert_int_equal(r->cfg.nlisten, 0);
	r = PARSE(state, "--web.systemd-socket", "--web.listen-address=:9100");
	assert_fails(r, "--web.systemd-socket");
	assert_fails(r, "--web.listen-address");
	r = PARSE(state, "--web.listen-address", ":9100", "--web.systemd-socket=true");
	assert_fails(r, "--web.systemd-socket");
	r = PARSE(state, "--web.systemd-socket=false", "--web.listen-address=:9100");
	assert_ok(r);
	assert_false(r->cfg.systemd_socket);
	assert_int_equal(r->cfg.nlisten, 1);
}

static void
test_error_buffer_truncated(void **state)
{
	char *argv[] = {NULL, NULL, NULL};
	struct config cfg;
	char err[12];

	(void)state;
	argv[0] = strdup("gpu_sriov_exporter");
	argv[1] = strdup("--a-very-long-unknown-flag-name");
	assert_non_null(argv[0]);
	assert_non_null(argv[1]);
	memset(err, 'x', sizeof(err));
	assert_int_equal(flags_parse(2, argv, test_ops, NOPS, &cfg, err, sizeof(err)), -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_memory_equal(err, "unknown fla", sizeof(err));
	free(argv[0]);
	free(argv[1]);
}

static void
test_error_messages_single_line(void **state)
{
	/* Values from argv are echoed into the message; a newline in one must not split it into two
	 * log lines (flags.h promises a one-line message). */
	static const char *const args[] = {
		"--web.max-requests=1\n",
		"--web.listen-address=:9100\n",
		"--log.level=info\n",
		"--log.format=json\n",
		"--once=true\n",
		"--web.telemetry-path=metrics\n",
		"--nope\nINJECTED",
		"--collector.alpha\nx",
		"positional\nINJECTED",
	};
	size_t multi = 0;

	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		struct run *r = PARSE(state, args[i]);
		assert_int_equal(r->rc, -EINVAL);
		if (strchr(r->err, '\n') != NULL) {
			print_error("args[%zu] gave a multi-line message\n", i);
			multi++;
		}
	}
	assert_int_equal(multi, 0);
}

static char *
usage_text(const struct collector_ops *const *ops, size_t nops)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	flags_usage(f, ops, nops);
	assert_int_equal(fclose(f), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

/* The line of text containing needle, copied into line. */
static bool
find_line(const char *text, const char *needle, char *line, size_t size)
{
	const char *p = strstr(text, needle);

	if (p == NULL)
		return false;
	while (p > text && p[-1] != '\n')
		p--;
	const char *end = strchr(p, '\n');
	size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
	if (n >= size)
		return false;
	memcpy(line, p, n);
	line[n] = '\0';
	return true;
}

static void
test_usage(void **state)
{
	static const char *const names[] = {
		"--web.listen-address=[HOST]:PORT", "--[no-]web.systemd-socket",
		"--web.telemetry-path=PATH",        "--web.config.file=FILE",
		"--web.max-requests=N",             "--[no-]web.disable-exporter-metrics",
		"--path.sysfs=PATH",                "--path.procfs=PATH",
		"--path.rootfs=PATH",               "--[no-]once",
		"--log.level=LEVEL",                "--log.format=FORMAT",
		"--version",                        "-h, --help",
		"--collector.disable-defaults",     "--[no-]collector.alpha",
		"--[no-]collector.beta",
	};
	static const char *const defaults[] = {
		"(default: :" DEFAULT_PORT ")", "(default: /metrics)", "(default: 40)",
		"(default: /sys)",              "(default: /proc)",    "(default: info)",
		"(default: logfmt)",
	};
	char line[256];
	char *text = usage_text(test_ops, NOPS);

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strstr(text, names[i]) == NULL)
			print_error("usage lacks '%s'\n", names[i]);
		assert_non_null(strstr(text, names[i]));
	}
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		assert_non_null(strstr(text, defaults[i]));
	assert_true(find_line(text, "collector.alpha", line, sizeof(line)));
	assert_non_null(strstr(line, "Alpha facts."));
	assert_non_null(strstr(line, "(default: enabled)"));
	assert_true(find_line(text, "collector.beta", line, sizeof(line)));
	assert_non_null(strstr(line, "Beta facts."));
	assert_non_null(strstr(line, "(default: disabled)"));
	/* the flag with an empty default shows none */
	assert_true(find_line(text, "--web.config.file", line, sizeof(line)));
	assert_null(strstr(line, "(default:"));
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);

	text = usage_text(NULL, 0);
	assert_null(strstr(text, "collector.alpha"));
	assert_non_null(strstr(text, "--collector.disable-defaults"));
	free(text);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_listen_forms),
		T(test_listen_repeated),
		T(test_listen_valid),
		T(test_listen_invalid),
		T(test_split_address),
		T(test_split_address_invalid),
		T(test_split_address_buffers),
		T(test_collector_switches),
		T(test_disable_defaults),
		T(test_unknown_collector),
		T(test_no_collectors),
		T(test_once),
		T(test_bool_flags),
		T(test_max_requests),
		T(test_connection_limits),
		T(test_log_flags),
		T(test_telemetry_path),
		T(test_paths),
		T(test_web_config_file),
		T(test_unknown_flag),
		T(test_positional),
		T(test_repeated_flag),
		T(test_help_version),
		T(test_systemd_socket),
		T(test_error_buffer_truncated),
		T(test_error_messages_single_line),
		T(test_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
