#!/bin/sh
# Checks the layer rule of lib/README.md: a module includes headers of its
# own module and of modules below it, never of one above, and never
# another module's private header (*_impl.h). The order is read
# from the "Layers:" line of lib/README.md, lowest first, so the picture in
# the README and the rule checked here are the same text.
# Usage: scripts/check-layers.sh [LIBDIR]   (default lib)
# Exit status: 0 the rule holds, 1 an include points up (each one named),
# 2 LIBDIR/README.md has no "Layers:" line.
set -u
lib=${1:-lib}
layers=$(sed -n 's/^Layers: *//p' "$lib/README.md" | head -n 1)
if [ -z "$layers" ]; then
	echo "check-layers: $lib/README.md: no 'Layers:' line" >&2
	exit 2
fi
# rank of each module: its position in the Layers line
ranks=$(i=0; for m in $layers; do i=$((i + 1)); echo "$m $i"; done)
status=0
for src in "$lib"/*/*.[ch]; do
	own=$(basename "$(dirname "$src")")
	own_rank=$(echo "$ranks" | awk -v m="$own" '$1 == m {print $2}')
	if [ -z "$own_rank" ]; then
		echo "check-layers: $src: module '$own' is not in the Layers line" >&2
		status=1
		continue
	fi
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$src" |
	while IFS= read -r line; do
		target=$(echo "$line" | sed 's/^[^"]*"\([^"]*\)".*/\1/')
		lineno=${line%%:*}
		case $target in
		*/*) mod=${target%%/*} ;;
		*) echo "$src:$lineno: include \"$target\" names no module"; continue ;;
		esac
		rank=$(echo "$ranks" | awk -v m="$mod" '$1 == m {print $2}')
		if [ -z "$rank" ]; then
			echo "$src:$lineno: include \"$target\": no module '$mod'"
		elif [ "$rank" -gt "$own_rank" ]; then
			echo "$src:$lineno: $own includes \"$target\", a module above it"
		elif [ "$mod" != "$own" ] && [ "${target%_impl.h}" != "$target" ]; then
			echo "$src:$lineno: $own includes \"$target\", private to $mod"
		fi
	done
done > "${TMPDIR:-/tmp}/check-layers.$$"
if [ -s "${TMPDIR:-/tmp}/check-layers.$$" ]; then
	sed 's/^/check-layers: /' "${TMPDIR:-/tmp}/check-layers.$$" >&2
	status=1
fi
rm -f "${TMPDIR:-/tmp}/check-layers.$$"
exit $status
