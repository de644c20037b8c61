#!/bin/sh
# Checks that every symbol libtraj exports carries a prefix of its module,
# as declared in the table of lib/README.md (column "exported prefixes").
# Usage: scripts/check-prefixes.sh [BUILD]   (default build; reads
# BUILD/lib/MODULE/*.o)
# Exit status: 0 all prefixed, 1 a symbol without its module's prefix (each
# named with its object file), 2 no objects or no table.
set -u
build=${1:-build}
table=$(awk -F'|' '/^\| `[a-z]+\/` \|/ {
	gsub(/[` \/]/, "", $2); gsub(/`/, "", $5); print $2 ":" $5 }' lib/README.md)
if [ -z "$table" ]; then
	echo "check-prefixes: lib/README.md: no module table" >&2
	exit 2
fi
status=0 seen=0
for obj in "$build"/lib/*/*.o; do
	[ -e "$obj" ] || continue
	seen=1
	mod=$(basename "$(dirname "$obj")")
	prefixes=$(echo "$table" | awk -F: -v m="$mod" '$1 == m {print $2}')
	# __odr_asan.NAME: AddressSanitizer's one-definition-rule marker for an
	# exported global NAME, made by the compiler, not a symbol of ours
	for sym in $(nm -g --defined-only "$obj" | awk 'NF == 3 && $2 ~ /[TDBRCG]/ && $3 !~ /^__odr_asan/ {print $3}'); do
		ok=0
		for p in $prefixes; do
			case $sym in "$p"*) ok=1; break ;; esac
		done
		if [ $ok -eq 0 ]; then
			echo "check-prefixes: $obj: '$sym' has none of $mod's prefixes ($prefixes)" >&2
			status=1
		fi
	done
done
if [ $seen -eq 0 ]; then
	echo "check-prefixes: no objects under $build/lib (run make first)" >&2
	exit 2
fi
exit $status
