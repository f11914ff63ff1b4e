#!/bin/sh
# Prints the README's metric reference (a Markdown table) from the HELP and TYPE lines in the golden
# files, which the code itself wrote, so the reference cannot drift from the exporter.
# --check README: fails when the table between the markers in README differs.
here=$(cd "$(dirname "$0")/../fixtures" && pwd)
table() {
	echo "| metric | type | meaning |"
	echo "|---|---|---|"
	cat "$here"/*/metrics.txt | awk '
		/^# HELP / { name = $3; sub(/^# HELP [^ ]+ /, ""); help[name] = $0 }
		/^# TYPE / { type[$3] = $4 }
		END { for (n in help) printf "| `%s` | %s | %s |\n", n, type[n], help[n] }' |
		sed 's/<\([a-z]*\)>/\&lt;\1\&gt;/g' | LC_ALL=C sort
}
if [ "${1:-}" = "--check" ]; then
	readme=$2
	sed -n '/<!-- metrics:begin -->/,/<!-- metrics:end -->/p' "$readme" | sed '1d;$d' >"${TMPDIR:-/tmp}/readme-metrics.$$"
	if table | diff -u "${TMPDIR:-/tmp}/readme-metrics.$$" -; then
		echo "docs-check: README metric reference matches the exporter's HELP text"
		rm -f "${TMPDIR:-/tmp}/readme-metrics.$$"
		exit 0
	fi
	rm -f "${TMPDIR:-/tmp}/readme-metrics.$$"
	echo "docs-check: README metric reference is stale: run make readme-metrics"
	exit 1
fi
table
