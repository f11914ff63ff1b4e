-- wrk script for tests/bench/bench.sh: prints the run's figures on one line it can parse.
-- Latency is wrk's per-request time (send to last byte) in microseconds.
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d errors=%d non2xx=%d\n",
		summary.requests, summary.duration, summary.bytes, latency:percentile(50),
		latency:percentile(99), latency.max, e.connect + e.read + e.write + e.timeout, e.status))
end
