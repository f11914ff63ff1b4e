#!/bin/sh
# The man pages (man/): each renders with `man --warnings` at 80 and 65 columns with nothing on
# stderr, its .TH section is its file's, and its OPTIONS section lists exactly the
# flags (and defaults) of the binary's --help (tests/tools/man-flags.py). First the checks are
# shown to fail on pages broken on purpose, so a pass means something.
#
# Usage: man-check.sh EXPORTER HELPER
set -u
exporter=$1
helper=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
man="$here/../../man"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# renders_clean PAGE MANWIDTH: exit status 0, some text, and nothing on stderr (groff's warnings).
renders_clean() {
	MANWIDTH=$2 man --warnings -l "$1" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$WORK/err" ] && [ -s "$WORK/out" ] && return 0
	sed 's/^/    /' "$WORK/err"
	return 1
}

# section_matches PAGE: ".TH NAME 8" in gpu_sriov_helper.8.
section_matches() {
	sect=$(sed -n 's/^\.TH [^ ]* \([0-9]\) .*/\1/p' "$1")
	[ -n "$sect" ] && [ "$sect" = "${1##*.}" ]
}

flags_match() {
	python3 "$here/man-flags.py" "$1" "$2" | sed 's/^/    /'
	# The pipeline's status is sed's: ask again for the verdict, quietly.
	python3 "$here/man-flags.py" "$1" "$2" >/dev/null
}

fails() {
	! "$@" >/dev/null 2>&1
}

# The checks catch what they are for.
printf '.TH X 1\n.SH NAME\nx \\- y\n.SH DESCRIPTION\n.NOSUCHMACRO z\n' >"$WORK/macro.1"
check "an undefined macro is a warning" fails renders_clean "$WORK/macro.1" 80
printf '.TH X 1\n.SH NAME\nx \\- y\n.SH DESCRIPTION\n%0120d\n' 0 >"$WORK/long.1"
check "an unbreakable line is a warning" fails renders_clean "$WORK/long.1" 80
sed '/^\.B \\-\\-\[no\\-\]collector\.pmu$/,/^On by default\.$/d' "$man/gpu_sriov_exporter.1" \
	>"$WORK/noflag.1"
check "a flag missing from the page is found" fails flags_match "$exporter" "$WORK/noflag.1"
sed 's/^Default: 256\.$/Default: 255./' "$man/gpu_sriov_exporter.1" >"$WORK/default.1"
check "a wrong default is found" fails flags_match "$exporter" "$WORK/default.1"
sed 's/^\.BI \\-\\-pf\\-drivers= LIST$/.BI \\-\\-pf\\-driver= LIST/' "$man/gpu_sriov_helper.8" \
	>"$WORK/renamed.8"
check "a flag the binary does not have is found" fails flags_match "$helper" "$WORK/renamed.8"

# 80 columns, and 65 for a narrow terminal (long words in the examples must still fit).
for page in "$man"/gpu_sriov_exporter.1 "$man"/gpu_sriov_helper.8; do
	pg=$(basename "$page")
	check "$pg renders without warnings at 80 columns" renders_clean "$page" 80
	check "$pg renders without warnings at 65 columns" renders_clean "$page" 65
	check "$pg: .TH section is the file's" section_matches "$page"
done
check "gpu_sriov_exporter.1 OPTIONS = gpu_sriov_exporter --help" \
	flags_match "$exporter" "$man/gpu_sriov_exporter.1"
check "gpu_sriov_helper.8 OPTIONS = gpu_sriov_helper --help" \
	flags_match "$helper" "$man/gpu_sriov_helper.8"

report man-check
