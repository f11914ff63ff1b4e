#!/bin/sh
# Static analysis of exporter/ and collectors/ (`make static-check`, house style §4):
#   cppcheck --enable=warning,performance,portability, suppressions in
#     tests/tools/cppcheck-suppressions.txt (each with its reason) and inline ones (three, each
#     with its reason);
#   clang-tidy with the checked-in .clang-tidy (bugprone-*, cert-err33-c, clang-analyzer-*, minus
#     the exclusions listed there), every warning an error.
# Both see the -D and -I flags the build uses. tests/ is not analysed: cmocka's assert macros
# need a library model that clashes with the project's own names (see the report in git log).
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

echo "cppcheck $(cppcheck --version | sed 's/^Cppcheck //')"
# shellcheck disable=SC2086
if cppcheck --enable=warning,performance,portability --error-exitcode=1 --inline-suppr -q \
	-j "$jobs" --std=c11 $defs -Iexporter -Icollectors --library=posix \
	--suppressions-list=tests/tools/cppcheck-suppressions.txt exporter collectors; then
	echo "ok   cppcheck"
else
	echo "FAIL cppcheck"
	fail=1
fi

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
