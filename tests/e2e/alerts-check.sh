#!/bin/sh
# The alert rules, their unit tests, their runbooks and the example Alertmanager config:
#   promtool check rules / test rules; every alert has alerts/runbooks/<lowercase>.md with front
#   matter (severity and for: equal to the rule's), the four sections, and a runbook_url pointing at
#   it; every metric the rules use is in the README's metric reference; amtool check-config and
#   amtool config routes test for each severity.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
top=$(cd "$here/../.." && pwd)
A="$top/alerts"
RULES="$A/gpu-sriov.rules.yml"
AM="$A/alertmanager.example.yml"

check "promtool check rules" promtool check rules "$RULES"
check "promtool test rules" sh -c "cd '$A' && promtool test rules gpu-sriov.rules_test.yml"

# Each alert: name, severity, for:, runbook_url (from the rule file, one rule at a time).
awk '
	/- alert: / { if (n) print n, s, f, u; n = $3; s = f = u = "" }
	/ severity: / { s = $2 }
	/ for: / { f = $2 }
	/ runbook_url: / { u = $2 }
	END { if (n) print n, s, f, u }' "$RULES" >"${TMPDIR:-/tmp}/alerts.$$"
runbooks_ok() {
	ok=0
	while read -r an sev forv url; do
		lc=$(echo "$an" | tr 'A-Z' 'a-z')
		rb="$A/runbooks/$lc.md"
		case "$an" in GpuSriov[A-Z]*) ;; *) echo "  $an: not GpuSriov CamelCase"; ok=1 ;; esac
		case "$sev" in critical|warning|info) ;; *) echo "  $an: severity '$sev'"; ok=1 ;; esac
		[ -n "$forv" ] || { echo "  $an: no for:"; ok=1; }
		[ "$url" = "https://github.com/OWNER/gpu-sriov-exporter/blob/main/alerts/runbooks/$lc.md" ] ||
			{ echo "  $an: runbook_url $url"; ok=1; }
		[ -f "$rb" ] || { echo "  $an: no $rb"; ok=1; continue; }
		head -n 1 "$rb" | grep -qx -- '---' || { echo "  $rb: no front matter"; ok=1; }
		grep -qx "title: $an" "$rb" || { echo "  $rb: title"; ok=1; }
		grep -qx "severity: $sev" "$rb" || { echo "  $rb: severity differs from the rule"; ok=1; }
		grep -qx "for: $forv" "$rb" || { echo "  $rb: for: differs from the rule"; ok=1; }
		for h in Meaning Impact Diagnosis Mitigation; do
			grep -qx "## $h" "$rb" || { echo "  $rb: no ## $h"; ok=1; }
		done
	done <"${TMPDIR:-/tmp}/alerts.$$"
	return $ok
}
check "every alert: name, severity, for:, runbook with front matter and four sections" runbooks_ok

every_alert_tested() {
	ok=0
	while read -r an _; do
		grep -q "alertname: $an\$" "$A/gpu-sriov.rules_test.yml" ||
			{ echo "  $an: no firing test"; ok=1; }
		grep -q "alertname: $an, exp_alerts: \[\]" "$A/gpu-sriov.rules_test.yml" ||
			{ echo "  $an: no not-firing test"; ok=1; }
	done <"${TMPDIR:-/tmp}/alerts.$$"
	return $ok
}
check "every alert has a firing and a not-firing unit test" every_alert_tested
n=$(wc -l <"${TMPDIR:-/tmp}/alerts.$$")
rm -f "${TMPDIR:-/tmp}/alerts.$$"

# Metric names: only those of the README's reference (and the Watchdog section), plus up.
metrics_known() {
	ok=0
	for m in $(grep -o 'gpu_sriov_[a-z0-9_]*' "$RULES" | sort -u); do
		grep -q "\`$m\`" "$top/README.md" || grep -q "$m{" "$top/README.md" ||
			{ echo "  $m: not in README.md"; ok=1; }
	done
	return $ok
}
check "rules use only documented metrics" metrics_known

check "amtool check-config" amtool check-config "$AM"
check "route: critical pages" amtool config routes test --config.file="$AM" \
	--verify.receivers=gpu-sriov-page alertname=GpuSriovVfsLost severity=critical
check "route: warning to tickets" amtool config routes test --config.file="$AM" \
	--verify.receivers=gpu-sriov-ticket alertname=GpuSriovDkmsNotReadyNextBoot severity=warning
check "route: info collected" amtool config routes test --config.file="$AM" \
	--verify.receivers=gpu-sriov-info alertname=GpuSriovSomething severity=info
check "route: other alerts to default" amtool config routes test --config.file="$AM" \
	--verify.receivers=default alertname=NodeDown severity=critical
echo "alerts: $n rules"
report alerts-check
