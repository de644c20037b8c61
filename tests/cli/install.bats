#!/usr/bin/env bats
# make install / uninstall honour PREFIX and DESTDIR and are symmetric.

setup() { load test_helper; }

@test "make install puts every tool and man page under DESTDIR/PREFIX; uninstall removes them" {
	cd "$TRAJ_ROOT"
	dest="$BATS_TEST_TMPDIR/root"
	make -s install BUILD="${TRAJ_BUILD:-build}" PREFIX=/opt/traj DESTDIR="$dest"
	for tool in "$TRAJ_BUILD_DIR"/bin/traj*; do
		case $tool in *.d) continue ;; esac
		[ -x "$dest/opt/traj/bin/${tool##*/}" ] || fail "missing ${tool##*/}"
	done
	for page in man/*.1; do
		[ -f "$dest/opt/traj/share/man/man1/${page##*/}" ] || fail "missing $page"
	done
	[ -f "$dest/opt/traj/share/man/man5/traj-stream.5" ]
	run -0 "$dest/opt/traj/bin/traj" --version
	make -s uninstall BUILD="${TRAJ_BUILD:-build}" PREFIX=/opt/traj DESTDIR="$dest"
	[ -z "$(find "$dest" -type f)" ] || fail "left behind: $(find "$dest" -type f)"
}

@test "every program has a man page that man can format" {
	cd "$TRAJ_ROOT"
	for tool in "$TRAJ_BUILD_DIR"/bin/traj*; do
		case $tool in *.d) continue ;; esac
		name=${tool##*/}
		[ -f "man/$name.1" ] || fail "no man page for $name"
		run -0 --separate-stderr man -l --warnings=w "man/$name.1"
		[ -z "$stderr" ] || fail "man $name: $stderr"
	done
}
