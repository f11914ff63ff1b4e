#!/bin/sh
# Static analysis (`make static-check`, house style §4):
#   cppcheck --enable=warning,performance,portability over exporter/ and collectors/, over
#     tests/unit/ with cmocka's assertions modelled (tests/tools/cmocka.cfg), and over
#     tests/fuzz/ and tests/tools/ (which use no cmocka: fuzz_pve.c has a skip() of its own, which
#     the model's skip() macro would replace); suppressions in
#     tests/tools/cppcheck-suppressions.txt and inline ones, each with its reason;
#   clang-tidy on exporter/ and collectors/ with the checked-in .clang-tidy (bugprone-*,
#     cert-err33-c, clang-analyzer-*, minus the exclusions listed there), every warning an error.
# Both see the -D and -I flags the build uses.
# Usage: static-check.sh [JOBS]
set -u
cd "$(dirname "$0")/../.." || exit 1
jobs=${1:-$(nproc 2>/dev/null || echo 2)}
pkgs="libmicrohttpd libsystemd zlib libpci libdrm libudev"
pkg_cflags=$(pkg-config --cflags $pkgs) || { echo "static-check: pkg-config failed" >&2; exit 1; }
defs="-D_GNU_SOURCE -D_FORTIFY_SOURCE=2"
# version.c takes these from the Makefile.
vdefs='-DVERSION="0" -DREVISION="0" -DBRANCH="0" -DBUILD_DATE="0"'
fail=0

for tool in cppcheck clang-tidy; do
	command -v $tool >/dev/null || { echo "static-check: $tool is not installed" >&2; exit 1; }
done

# cppcheck_run LABEL ARGS...: one cppcheck run with the shared options; any finding fails it.
cppcheck_run() {
	label=$1
	shift
	# shellcheck disable=SC2086
	if cppcheck --enable=warning,performance,portability --error-exitcode=1 --inline-suppr -q \
		-j "$jobs" --std=c11 $defs -Iexporter -Icollectors --library=posix \
		--suppressions-list=tests/tools/cppcheck-suppressions.txt "$@"; then
		echo "ok   cppcheck $label"
	else
		echo "FAIL cppcheck $label"
		fail=1
	fi
}

echo "cppcheck $(cppcheck --version | sed 's/^Cppcheck //')"
cppcheck_run "exporter collectors" exporter collectors
# TEST_DATA_DIR comes from the Makefile in a real build.
cppcheck_run "tests/unit" -Itests/unit --library=tests/tools/cmocka.cfg \
	-DTEST_DATA_DIR='"tests/fixtures"' tests/unit
cppcheck_run "tests/fuzz tests/tools" -Itests/fuzz tests/fuzz/*.c tests/tools/*.c

echo "clang-tidy $(clang-tidy --version | sed -n 's/.*version \([0-9.]*\).*/\1/p')"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# One clang-tidy per file, $jobs at a time; a file's findings are printed together.
TIDY_FLAGS="-std=c11 $defs $vdefs -Iexporter -Icollectors $pkg_cflags"
export TIDY_FLAGS
ls exporter/*.c collectors/*.c | xargs -P "$jobs" -I{} sh -c '
	# shellcheck disable=SC2086
	o=$(clang-tidy --quiet --warnings-as-errors="*" "$1" -- $TIDY_FLAGS 2>&1) ||
		{ printf "%s\n" "$o"; echo "FAILED $1"; }
' sh {} >"$out" 2>&1
if grep -q '^FAILED ' "$out"; then
	grep -v '^[0-9]* warnings\? generated\.$' "$out"
	echo "FAIL clang-tidy"
	fail=1
else
	echo "ok   clang-tidy ($(ls exporter/*.c collectors/*.c | wc -l) files)"
fi
[ $fail -eq 0 ] && echo "static-check: passed" || echo "static-check: FAILED"
exit $fail
