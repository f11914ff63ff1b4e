/* Test-only: loads one web configuration file with web_config_load(), as the exporter does at
 * startup, and says whether it is valid. tests/e2e/webconfig_parity.sh runs it next to
 * `promtool check web-config` on the same files.
 *
 * Usage: webconfig_check FILE
 * Exit 0 and "FILE: ok" when the config loads; exit 2 and "FILE: <error>" when it does not;
 * exit 1 on a usage error. With -v a loaded config is also summarised (TLS priority string,
 * users, headers, rate limit), to see what a file turned into. */
#include <stdio.h>
#include <string.h>

#include "../../exporter/webconfig.h"

int
main(int argc, char **argv)
{
	struct web_config c = {0};
	char err[512];
	bool verbose = argc == 3 && strcmp(argv[1], "-v") == 0;
	const char *path = argv[argc - 1];

	if (argc != 2 && !verbose) {
		(void)fprintf(stderr, "usage: webconfig_check [-v] FILE\n");
		return 1;
	}
	if (web_config_load(path, &c, err, sizeof(err)) < 0) {
		printf("%s: %s\n", path, err);
		return 2;
	}
	printf("%s: ok\n", path);
	if (verbose) {
		printf("tls: %s\n", c.tls ? "on" : "off");
		if (c.tls)
			printf("priorities: %s\nclient_auth: %d\nclient_ca: %s\n", c.priorities,
			       (int)c.client_auth, c.client_ca_pem != NULL ? "yes" : "no");
		for (size_t i = 0; i < c.nallowed_sans; i++)
			printf("allowed_san: %s\n", c.allowed_sans[i]);
		for (size_t i = 0; i < c.nusers; i++)
			printf("user: %s\n", c.users[i].name);
		for (size_t i = 0; i < c.nheaders; i++)
			printf("header: %s: %s\n", c.headers[i].name, c.headers[i].value);
		printf("rate_limit: %llu ns, burst %llu\n", (unsigned long long)c.rate_interval_ns,
		       (unsigned long long)c.rate_burst);
	}
	web_config_free(&c);
	return 0;
}
