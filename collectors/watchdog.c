/* watchdog collector: the VF watchdog's state, repairs and reasons (the watchdog itself runs on
 * its own thread, exporter/watchdog.c; this only reads its snapshot). */
#include "../exporter/watchdog.h"
#include "collectors.h"

static int
watchdog_collect(struct collector *c, struct expo *out)
{
	watchdog_report(collector_options(c)->watchdog, out);
	return 0;
}

const struct collector_ops watchdog_collector = {
	.name = "watchdog",
	.help = "state and repairs of the VF watchdog (--watchdog.enable)",
	.default_enabled = true,
	.collect = watchdog_collect,
};
