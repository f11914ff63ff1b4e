#!/bin/sh
# Regenerates the generated fixture scenarios into a temporary directory and compares them with
# the checked-in trees (contents and symlink targets), so nobody edits one without the other.
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
[ $status -eq 0 ] && echo "fixtures-check: $(ls -d "$tmp"/*/ | wc -l) generated scenarios match"
exit $status
