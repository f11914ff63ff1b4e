/* The liveness rule behind both /healthz and the systemd watchdog ping. scraper_healthy is
 * replaced at link time so the test decides whether a collection is stuck. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "health.h"

bool __wrap_scraper_healthy(struct scraper *s, int64_t now_ns, int64_t stuck_ns);

static bool scrape_stuck;
static int64_t seen_stuck_ns;

bool
__wrap_scraper_healthy(struct scraper *s, int64_t now_ns, int64_t stuck_ns)
{
	(void)s;
	(void)now_ns;
	seen_stuck_ns = stuck_ns;
	return !scrape_stuck;
}

static void
test_fresh_heartbeat_is_healthy(void **state)
{
	struct health h;
	const char *reason = NULL;

	(void)state;
	scrape_stuck = false;
	health_init(&h, NULL, NULL, 1000);
	assert_true(health_check_at(&h, 1000 + HEALTH_HEARTBEAT_STALE_NS, &reason));
	assert_null(reason);
	assert_true(seen_stuck_ns == HEALTH_STUCK_NS);
}

static void
test_stale_heartbeat(void **state)
{
	struct health h;
	const char *reason = NULL;

	(void)state;
	scrape_stuck = false;
	health_init(&h, NULL, NULL, 1000);
	assert_false(health_check_at(&h, 1001 + HEALTH_HEARTBEAT_STALE_NS, &reason));
	assert_string_equal(reason, "main loop stalled");
	/* A new beat makes it healthy again. */
	health_beat(&h, 2 * HEALTH_HEARTBEAT_STALE_NS);
	assert_true(health_check_at(&h, 2 * HEALTH_HEARTBEAT_STALE_NS + 1, &reason));
}

static void
test_stuck_scrape(void **state)
{
	struct health h;
	const char *reason = NULL;

	(void)state;
	scrape_stuck = true;
	health_init(&h, NULL, NULL, 1000);
	assert_false(health_check_at(&h, 1000, &reason));
	assert_string_equal(reason, "collection stuck for more than 60s");
	scrape_stuck = false;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_heartbeat_is_healthy),
		cmocka_unit_test(test_stale_heartbeat),
		cmocka_unit_test(test_stuck_scrape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
