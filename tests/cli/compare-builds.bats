#!/usr/bin/env bats
# scripts/compare-builds.sh, on tool directories given with --old-bin and
# --new-bin (building two trees would take minutes): a build compared
# with itself is the same everywhere; a build whose traj-score prints
# something else, whose traj-convert --import exits otherwise, or whose
# traj-convert --export npz leaves a stray file, is not, and the lines say
# which command and why.

setup() {
	load test_helper
	cd "$TRAJ_ROOT"
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR"
}

@test "compare-builds --help prints the usage on stdout, status 0" {
	run -0 --separate-stderr scripts/compare-builds.sh --help
	assert_line --index 0 "Usage: scripts/compare-builds.sh [OPTION]... [OLD_REF] [NEW_REF]"
	[ -z "$stderr" ]
}

@test "compare-builds: usage errors are one line on stderr, status 64" {
	run -64 --separate-stderr scripts/compare-builds.sh --bogus
	assert_equal "$stderr" "compare-builds: unknown option '--bogus' (try --help)"
	run -64 --separate-stderr scripts/compare-builds.sh a b c
	assert_equal "$stderr" "compare-builds: too many arguments (try --help)"
	run -64 --separate-stderr scripts/compare-builds.sh -j 0
	assert_one_error_line compare-builds
	run -64 --separate-stderr scripts/compare-builds.sh --old-bin
	assert_equal "$stderr" "compare-builds: option '--old-bin' needs a value"
}

@test "compare-builds: an unknown commit or an empty tool directory is status 66" {
	run -66 --separate-stderr scripts/compare-builds.sh no-such-ref-xyz
	assert_equal "$stderr" "compare-builds: 'no-such-ref-xyz': no such commit"
	run -66 --separate-stderr scripts/compare-builds.sh --old-bin "$BATS_TEST_TMPDIR" --new-bin "$TRAJ_BUILD_DIR/bin"
	assert_equal "$stderr" "compare-builds: '$BATS_TEST_TMPDIR': no traj-train in it"
}

@test "compare-builds: a build against itself is the same for every command, and leaves no temporaries" {
	run -0 --separate-stderr scripts/compare-builds.sh \
		--old-bin "$TRAJ_BUILD_DIR/bin" --new-bin "$TRAJ_BUILD_DIR/bin"
	refute_line --partial DIFFERENT
	assert_line "same  traj-score --threads 1 -H mlp.traj"
	assert_line "same  traj-ablate -q --threads 1 --by edge --circuit --dot edges.dot tf.traj"
	n=$(printf '%s\n' "$output" | grep -c '^same  ')
	[ "$n" -ge 70 ]
	assert_line --index "$n" "$n same, 0 different"
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "compare-builds: changed output, status or written files are DIFFERENT, with a hint" {
	fake=$BATS_TEST_TMPDIR/fake
	real=$TRAJ_BUILD_DIR/bin
	mkdir "$fake"
	for t in "$real"/traj*; do ln -s "$t" "$fake/${t##*/}"; done
	rm "$fake/traj-score" "$fake/traj-convert"
	cat >"$fake/traj-score" <<-EOF
	#!/bin/sh
	out=\$("$real/traj-score" "\$@"); st=\$?
	printf '%s\n' "\$out" | sed '1s/^/x/'
	exit \$st
	EOF
	cat >"$fake/traj-convert" <<-EOF
	#!/bin/sh
	"$real/traj-convert" "\$@"; st=\$?
	[ "\$1" = --import ] && exit 9
	[ "\$2" = npz ] && : >stray.txt
	exit \$st
	EOF
	chmod +x "$fake/traj-score" "$fake/traj-convert"
	run -1 --separate-stderr scripts/compare-builds.sh --old-bin "$real" --new-bin "$fake"
	assert_line "DIFFERENT  traj-score --threads 1 -H mlp.traj  (mlp.score line 1: '# run step metric value' vs 'x# run step metric value')"
	assert_line "DIFFERENT  traj-convert --import npy npy --step 300  (status 0 vs 9)"
	assert_line "same  traj-diff mlp.traj"
	assert_line "DIFFERENT  traj-convert --export npz tf.npz --step 100 tf.traj  (written files differ: old npz.out tf.npz vs new npz.out stray.txt tf.npz)"
	assert_line "same  traj-convert --export safetensors tf.safetensors -t '*' tf.traj"
	assert_line --regexp '^[0-9]+ same, [1-9][0-9]* different$'
	[ -z "$(ls -A "$TMPDIR")" ]
}
