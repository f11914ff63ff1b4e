#!/bin/sh
# Every header must compile on its own (house-style.md 3.10). Usage: check-headers.sh CC CFLAGS
cc=$1
# Dependency output (-MMD) would leave a stray file for the stdin input.
cflags=$(echo "$2" | sed "s/-MMD//; s/-MP//")
status=0
n=0
for h in exporter/*.h collectors/*.h; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	if ! printf '#include "%s"\n' "$PWD/$h" |
		$cc $cflags -Wno-missing-prototypes -fsyntax-only -x c - 2>&1; then
		echo "check-headers: $h does not compile alone"
		status=1
	fi
done
[ $status -eq 0 ] && echo "check-headers: $n headers compile alone"
exit $status
