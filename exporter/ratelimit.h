/* The web config's rate_limit: a token bucket like Go's rate.Limiter (one token per interval,
 * at most burst saved up, full at the start), which is what the exporter-toolkit uses. Pure:
 * the caller passes the time and does the locking. */
#ifndef EXPORTER_RATELIMIT_H
#define EXPORTER_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint64_t interval_ns; /* 0 = no limit */
	uint64_t burst;
	uint64_t tokens;      /* whole tokens saved up */
	int64_t last_ns;      /* when the fraction of a token now accruing started */
};

/* Starts full. */
void ratelimit_init(struct ratelimit *r, uint64_t interval_ns, uint64_t burst, int64_t now_ns);
/* True (and one token spent) when a request at NOW_NS may go ahead. */
bool ratelimit_allow(struct ratelimit *r, int64_t now_ns);

#endif
