#!/bin/sh
# Regenerates the generated fixture scenarios into a temporary directory and compares them with
# the checked-in trees (contents and symlink targets), so nobody edits one without the other.
# Also the DKMS tree fuzz seeds made from the checked-in fixtures (hand-made hand_* seeds aside).
here=$(cd "$(dirname "$0")/../fixtures" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/generate.py" "$tmp" || exit 1
status=0
for d in "$tmp"/*/; do
	name=$(basename "$d")
	for f in devices args; do
		if [ -f "$d/$f" ] || [ -f "$here/$name/$f" ]; then
			cmp -s "$d/$f" "$here/$name/$f" || {
				echo "fixtures-check: $name/$f differs from what generate.py makes"
				status=1
			}
		fi
	done
	for sub in sys proc root; do
		if ! diff -r --no-dereference "$d/$sub" "$here/$name/$sub" >"$tmp/diff.txt" 2>&1; then
			echo "fixtures-check: $name/$sub differs from what generate.py makes:"
			head -20 "$tmp/diff.txt"
			status=1
		fi
	done
done
seeds=$here/../fuzz/fuzz_dkms_tree_corpus
sh "$here/../fuzz/dkms_tree_seeds.sh" "$here" "$tmp/seeds" || exit 1
for name in $( (ls "$tmp/seeds"; ls "$seeds") | sort -u); do
	case $name in hand_*) continue ;; esac
	if ! cmp -s "$tmp/seeds/$name" "$seeds/$name"; then
		echo "fixtures-check: fuzz seed $name differs from what tests/fuzz/dkms_tree_seeds.sh makes"
		status=1
	fi
done
[ $status -eq 0 ] && echo "fixtures-check: $(ls -d "$tmp"/*/ | wc -l) generated scenarios match"
exit $status
