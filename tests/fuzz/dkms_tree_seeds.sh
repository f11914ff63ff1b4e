#!/bin/sh
# Writes the seed corpus of fuzz_dkms_tree: one seed per fixture scenario that has a DKMS tree,
# in the target's input format (find -printf '%y\t%P\t%l\n' of var/lib/dkms, lib/modules and
# usr/src below the scenario's root/, sorted so the output does not depend on readdir order).
# `make fixtures-check` runs it into a temporary directory and compares with the checked-in seeds.
#
# usage: dkms_tree_seeds.sh FIXTURES_DIR OUT_DIR
set -eu

fixtures=$1 out=$2
mkdir -p "$out"
for root in "$fixtures"/*/root; do
	[ -d "$root/var/lib/dkms" ] || continue
	scenario=$(basename "$(dirname "$root")")
	(cd "$root" && find var/lib/dkms lib/modules usr/src -printf '%y\t%p\t%l\n' 2>/dev/null) |
		sed 's/\t$//' | LC_ALL=C sort >"$out/$scenario"
done
