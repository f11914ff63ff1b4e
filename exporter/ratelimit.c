/* Token bucket in whole tokens: the fraction of the next token is kept as the time it started
 * accruing, so no floating point and no drift. */
#include "ratelimit.h"

void
ratelimit_init(struct ratelimit *r, uint64_t interval_ns, uint64_t burst, int64_t now_ns)
{
	r->interval_ns = interval_ns;
	r->burst = burst;
	r->tokens = burst;
	r->last_ns = now_ns;
}

bool
ratelimit_allow(struct ratelimit *r, int64_t now_ns)
{
	if (r->interval_ns == 0)
		return true;
	if (now_ns > r->last_ns) {
		/* In unsigned arithmetic: the difference of two int64_t can overflow int64_t. */
		uint64_t elapsed = (uint64_t)now_ns - (uint64_t)r->last_ns;
		uint64_t earned = elapsed / r->interval_ns;
		if (earned >= r->burst - r->tokens) {
			/* Full: a full bucket saves no fraction of the next token. */
			r->tokens = r->burst;
			r->last_ns = now_ns;
		} else {
			r->tokens += earned;
			r->last_ns = (int64_t)((uint64_t)r->last_ns + earned * r->interval_ns);
		}
	} else if (r->tokens == r->burst) {
		r->last_ns = now_ns;
	}
	if (r->tokens == 0)
		return false;
	/* Spending from a full bucket starts the next token's clock now. */
	if (r->tokens == r->burst)
		r->last_ns = now_ns;
	r->tokens--;
	return true;
}
