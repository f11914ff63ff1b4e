#!/bin/bash
# HTTP behaviour over a real loopback socket, plus the command-line error contract.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
fixture="$here/../fixtures/host_n150"
WORK=$(mktemp -d)
trap 'stop_exporter; rm -rf "$WORK"' EXIT
# fetch ARGS...: curl into $WORK/h (headers) and $WORK/b (body); prints the status code.
fetch() {
	curl -s -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' "$@"
}
header() { # header NAME: value of a response header from the last fetch
	tr -d '\r' <"$WORK/h" | sed -n "s/^$1: //Ip" | head -n 1
}
has_header() { tr -d '\r' <"$WORK/h" | grep -qi "^$1:"; }

# shellcheck disable=SC2046
start_exporter "$bin" $(fixture_args "$fixture") || exit 1
base="http://127.0.0.1:$PORT"

check "GET / is the landing page" test "$(fetch "$base/")" = 200
check "landing page is HTML" test "$(header Content-Type)" = "text/html; charset=UTF-8"
check "landing page links the metrics path" grep -q 'href="metrics"' "$WORK/b"

check "GET /metrics is 200" test "$(fetch "$base/metrics")" = 200
check "metrics Content-Type is text 0.0.4" \
	test "$(header Content-Type)" = "text/plain; version=0.0.4; charset=utf-8"
check "metrics carry Vary: Accept-Encoding" test "$(header Vary)" = "Accept-Encoding"
check "no Content-Encoding without Accept-Encoding" sh -c "! tr -d '\r' <'$WORK/h' | grep -qi '^Content-Encoding:'"
check "metrics body has collector success" grep -q '^gpu_sriov_scrape_collector_success{collector="iommu"} 1$' "$WORK/b"
check "text body has no # EOF" sh -c "! grep -q '^# EOF' '$WORK/b'"
cp "$WORK/b" "$WORK/plain"

check "HEAD /metrics is 200" test "$(fetch -I "$base/metrics")" = 200
# curl -I never reads a body, so ask over a raw socket: HTTP/1.0 closes after the response.
raw_head() {
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf 'HEAD /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
	cat <&3 >"$WORK/raw"
	exec 3<&-
	# Everything after the blank line that ends the headers is body.
	awk 'body { n += length($0) + 1 } /^\r?$/ { body = 1 } END { exit n != 0 }' "$WORK/raw" &&
		grep -q '^HTTP/1.[01] 200' "$WORK/raw"
}
check "HEAD sends no body" raw_head
check "HEAD keeps Content-Type" \
	test "$(header Content-Type)" = "text/plain; version=0.0.4; charset=utf-8"
check "HEAD announces a Content-Length" sh -c "test \"\$(tr -d '\r' <'$WORK/h' | sed -n 's/^Content-Length: //Ip')\" -gt 0"
check "HEAD / is 200" test "$(fetch -I "$base/")" = 200

check "unknown path is 404" test "$(fetch "$base/nope")" = 404
check "404 has a Content-Type" test "$(header Content-Type)" = "text/plain; charset=utf-8"
check "/metrics/ (trailing slash) is 404" test "$(fetch "$base/metrics/")" = 404

check "POST is 405" test "$(fetch -X POST -d x=1 "$base/metrics")" = 405
check "405 sends Allow: GET, HEAD" test "$(header Allow)" = "GET, HEAD"
check "PUT on / is 405" test "$(fetch -X PUT "$base/")" = 405
check "DELETE on unknown path is 405" test "$(fetch -X DELETE "$base/x")" = 405

prom3='application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1'
check "OpenMetrics for Prometheus 3's Accept" test "$(fetch -H "Accept: $prom3" "$base/metrics")" = 200
check "OpenMetrics Content-Type" \
	test "$(header Content-Type)" = "application/openmetrics-text; version=1.0.0; charset=utf-8"
check "OpenMetrics body ends with # EOF" test "$(tail -n 1 "$WORK/b")" = "# EOF"
check "OpenMetrics counter family drops _total" grep -q '^# TYPE process_cpu_seconds counter$' "$WORK/b"
check "OpenMetrics counter sample keeps _total" grep -q '^process_cpu_seconds_total ' "$WORK/b"
check "text for Accept: text/plain" test "$(fetch -H 'Accept: text/plain' "$base/metrics")" = 200
check "text/plain gives 0.0.4" \
	test "$(header Content-Type)" = "text/plain; version=0.0.4; charset=utf-8"
check "unsupported Accept falls back to text" test "$(fetch -H 'Accept: application/json' "$base/metrics")" = 200
check "fallback Content-Type is text 0.0.4" \
	test "$(header Content-Type)" = "text/plain; version=0.0.4; charset=utf-8"

check "gzip when asked" test "$(fetch -H 'Accept-Encoding: gzip' "$base/metrics")" = 200
check "Content-Encoding: gzip" test "$(header Content-Encoding)" = "gzip"
gzip -dc <"$WORK/b" | filter_volatile >"$WORK/unzipped"
filter_volatile <"$WORK/plain" >"$WORK/plain.f"
check "gzip body inflates to the plain body" cmp -s "$WORK/unzipped" "$WORK/plain.f"
check "gzip;q=0 is honoured" test "$(fetch -H 'Accept-Encoding: gzip;q=0, identity' "$base/metrics")" = 200
check "no gzip with q=0" sh -c "! tr -d '\r' <'$WORK/h' | grep -qi '^Content-Encoding:'"
check "gzip HEAD has no body" test "$(fetch -I -H 'Accept-Encoding: gzip' "$base/metrics")" = 200
check "gzip HEAD says gzip" test "$(header Content-Encoding)" = "gzip"

check "/healthz is 200" test "$(fetch "$base/healthz")" = 200
check "/healthz says ok" test "$(cat "$WORK/b")" = "ok"

check "scrape timeout header accepted" test "$(fetch -H 'X-Prometheus-Scrape-Timeout-Seconds: 2.5' "$base/metrics")" = 200
check "garbage scrape timeout header ignored" test "$(fetch -H 'X-Prometheus-Scrape-Timeout-Seconds: nan' "$base/metrics")" = 200
check "oversized Accept header still answered" test "$(fetch -H "Accept: $(head -c 6000 /dev/zero | tr '\0' 'a')" "$base/metrics")" = 200

# A second exporter on the same port must fail clearly, not hang.
"$bin" --web.listen-address="127.0.0.1:$PORT" $(fixture_args "$fixture") 2>"$WORK/dup.log" &
dup=$!
i=0; while kill -0 $dup 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $dup 2>/dev/null; then kill $dup; dup_rc=999; else wait $dup; dup_rc=$?; fi
check "port in use exits 1" test "$dup_rc" = 1
check "port in use is logged" grep -q "cannot listen on 127.0.0.1:$PORT" "$WORK/dup.log"

stop_exporter_rc() { kill -TERM "$PID"; wait "$PID"; rc=$?; PID=""; return $rc; }
check "SIGTERM exits 0" stop_exporter_rc

# Telemetry path "/" serves metrics at the root, no landing page.
# shellcheck disable=SC2046
start_exporter "$bin" --web.telemetry-path=/ $(fixture_args "$fixture") || exit 1
check "telemetry path / serves metrics" test "$(fetch "http://127.0.0.1:$PORT/")" = 200
check "telemetry path / uses the metrics Content-Type" \
	test "$(header Content-Type)" = "text/plain; version=0.0.4; charset=utf-8"
stop_exporter

# --web.disable-exporter-metrics drops the exporter's own families.
# shellcheck disable=SC2046
start_exporter "$bin" --web.disable-exporter-metrics $(fixture_args "$fixture") || exit 1
fetch "http://127.0.0.1:$PORT/metrics" >/dev/null
check "disable-exporter-metrics drops build_info" sh -c "! grep -q '^gpu_sriov_build_info' '$WORK/b'"
check "disable-exporter-metrics keeps collectors" grep -q '^gpu_sriov_iommu_enabled 1$' "$WORK/b"
stop_exporter

# Logs: the garbage fixture makes collectors skip values, which they log once each.
garbage="$here/../fixtures/garbage_values"
# shellcheck disable=SC2046
"$bin" --once --log.format=json $(fixture_args "$garbage") >/dev/null 2>"$WORK/json.log"
check "json log lines parse as JSON objects with level and msg" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no log lines"
for l in lines:
    o = json.loads(l)
    assert o["level"] in ("debug", "info", "warn", "error") and o["msg"], l
' "$WORK/json.log"
check "json log names the collector" grep -q '"collector":"iommu"' "$WORK/json.log"
# shellcheck disable=SC2046
"$bin" --once $(fixture_args "$garbage") >/dev/null 2>"$WORK/logfmt.log"
check "logfmt log has level, collector, msg, err" \
	grep -q '^ts=[^ ]* level=warn collector=iommu msg="skipping unusable value from kernel/iommu_groups/1/type" err="Invalid argument"$' "$WORK/logfmt.log"
check "each bad value logged once per run" test "$(grep -c 'iommu_groups/1/type' "$WORK/logfmt.log")" = 1
# shellcheck disable=SC2046
start_exporter "$bin" $(fixture_args "$garbage") || exit 1
for i in 1 2 3; do fetch "http://127.0.0.1:$PORT/metrics" >/dev/null; done
check "a bad value is logged once across scrapes" \
	test "$(grep -c 'iommu_groups/1/type' "$WORK/exporter.log")" = 1
check "and still counted in every scrape" \
	grep -q '^gpu_sriov_scrape_collector_skipped_values{collector="iommu"} 3$' "$WORK/b"
stop_exporter
# shellcheck disable=SC2046
"$bin" --once --log.level=error $(fixture_args "$garbage") >/dev/null 2>"$WORK/quiet.log"
check "--log.level=error hides warnings" test ! -s "$WORK/quiet.log"

# Command-line errors: one line, exit 2, nothing started.
cli_error() { # cli_error ARGS...: exit 2 with exactly one line on stderr naming the problem
	"$bin" "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] && [ ! -s "$WORK/out" ] &&
		grep -q "error:" "$WORK/err"
}
check "unknown flag" cli_error --nope
check "bad listen address" cli_error --web.listen-address=nonsense
check "bad port" cli_error --web.listen-address=:70000
check "bad log level" cli_error --log.level=loud
check "bad max requests" cli_error --web.max-requests=-3
check "missing sysfs directory" cli_error --path.sysfs=/nonexistent/sys --once
check "sysfs path that is a file" cli_error --path.sysfs=/etc/hostname --once
check "unknown collector" cli_error --collector.nope
check "positional argument" cli_error extra
check "web config not yet supported" cli_error --web.config.file=/dev/null
check "bad device class" cli_error --sriov.device-class=0x3
check "device class with junk" cli_error --sriov.device-class=zz
# The class filter: an SR-IOV NIC is no GPU by default, but can be watched on request.
nic="$here/../fixtures/no_gpu_no_iommu"
# shellcheck disable=SC2046
"$bin" --once $(fixture_args "$nic") >"$WORK/nic1" 2>/dev/null
check "SR-IOV NIC not a PF by default" sh -c "! grep -q '^gpu_sriov_pf_info' '$WORK/nic1'"
# shellcheck disable=SC2046
"$bin" --once --sriov.device-class=03 --sriov.device-class=0200 $(fixture_args "$nic") \
	>"$WORK/nic2" 2>/dev/null
check "--sriov.device-class=0200 watches the NIC PF" \
	grep -q '^gpu_sriov_vfs_enabled{pci_address="0000:03:00.0"} 2$' "$WORK/nic2"
check "and its VFs with their numbers" \
	grep -q '^gpu_sriov_vf_info{pci_address="0000:03:10.2",pf="0000:03:00.0",index="2",driver="igbvf"' "$WORK/nic2"
check "--help exits 0" sh -c "'$bin' --help >'$WORK/help' && grep -q -- '--web.listen-address' '$WORK/help'"
check "--help documents every collector" sh -c "grep -q -- '--\[no-\]collector.iommu' '$WORK/help' && grep -q -- '--\[no-\]collector.kernel' '$WORK/help'"
check "--version" sh -c "'$bin' --version | grep -q '^gpu_sriov_exporter, version '"

report http
