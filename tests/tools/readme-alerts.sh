#!/bin/sh
# Checks that README's troubleshooting table has one row per alert of the shipped rules, in the
# rules' order, each linking to that alert's runbook, and that every runbook it links exists.
# Usage: readme-alerts.sh README.md alerts/gpu-sriov.rules.yml
readme=$1
rules=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
sed -n 's/^ *- alert: *\([A-Za-z0-9]*\) *$/\1/p' "$rules" >"$tmp/rules"
sed -n '/^## Troubleshooting/,/^## /p' "$readme" |
	sed -n 's/^| \[\([A-Za-z0-9]*\)\](\([^)]*\)) |.*/\1 \2/p' >"$tmp/rows"
cut -d' ' -f1 "$tmp/rows" >"$tmp/names"
status=0
if [ ! -s "$tmp/rules" ]; then
	echo "readme-alerts: no alerts found in $rules"
	exit 1
fi
if ! diff -u "$tmp/rules" "$tmp/names"; then
	echo "readme-alerts: README's troubleshooting rows differ from the alerts in $rules (- rules, + README)"
	status=1
fi
dir=$(dirname "$readme")
while read -r name link; do
	want="alerts/runbooks/$(echo "$name" | tr 'A-Z' 'a-z').md"
	if [ "$link" != "$want" ]; then
		echo "readme-alerts: $name links to $link, not $want"
		status=1
	elif [ ! -f "$dir/$link" ]; then
		echo "readme-alerts: $name: runbook $link does not exist"
		status=1
	fi
done <"$tmp/rows"
[ $status -eq 0 ] && echo "readme-alerts: $(wc -l <"$tmp/rows") alerts, each with its troubleshooting row and runbook"
exit $status
