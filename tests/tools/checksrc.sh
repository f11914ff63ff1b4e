#!/bin/sh
# Fails on functions the house style bans (unbounded or unchecked parsing and copying, shelling
# out) and on absolute system paths outside main.c and the flag defaults.
status=0
files=$(ls exporter/*.c exporter/*.h collectors/*.c collectors/*.h)
banned='\b(atoi|atol|atoll|atof|sscanf|strtok|sprintf|vsprintf|strcpy|strcat|strncpy|gets|system|popen)[[:space:]]*\('
if grep -nE "$banned" $files; then
	echo "checksrc: banned function above (see house-style.md 3.6)"
	status=1
fi
paths='"/(sys|proc|var/lib/dkms|etc/pve|dev|lib/modules)(/[^" ]*)?"'
# A line may opt out with "checksrc: path ok" when the literal is no file the roots cover.
if grep -nE "$paths" $(echo "$files" | grep -v -e exporter/main.c -e exporter/flags.c) |
	grep -v "checksrc: path ok"; then
	echo "checksrc: absolute system path above; go through the root fds (house-style.md 3.4)"
	status=1
fi
if grep -nE '^\s*//' $files; then
	echo "checksrc: use /* */ comments"
	status=1
fi
[ $status -eq 0 ] && echo "checksrc: clean ($(echo "$files" | wc -w) files)"
exit $status
