#!/usr/bin/env bats
# pipelines/phase-diagram.sh, small: a 4-run sweep on either side of the
# grokking boundary, collected, its figures in their ranges.

setup() {
	load test_helper
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
}

@test "phase-diagram.sh QUICK=1: every run done and collected with an outcome" {
	run -0 env QUICK=1 TRAJ_BIN="$TRAJ_BUILD_DIR/bin" "$TRAJ_ROOT/pipelines/phase-diagram.sh" "$BATS_TEST_TMPDIR/out"
	assert_line "range check: all 4 figures in range (quick size)"
	assert_line "grokking 2"
	assert_line "memorisation 2"
	t=$BATS_TEST_TMPDIR/out/collect.tsv
	assert_equal "$(wc -l <"$t")" 5
	assert_equal "$(cut -f3 "$t" | tail -n +2 | sort -u)" done
	run awk -F'\t' 'NR > 1 { print $(NF - 1) }' "$t"
	for o in "${lines[@]}"; do
		[[ $o =~ ^(comprehension|grokking|memorisation|confusion)$ ]] || fail "outcome '$o'"
	done
}

@test "traj plot --phase draws a collect table" {
	command -v gnuplot >/dev/null || skip "gnuplot is not installed"
	printf 'id\tfrac\twd\toutcome\tdelay\na\t0.3\t0.1\tgrokking\t500\nb\t0.5\t1\tconfusion\tNA\n' >"$BATS_TEST_TMPDIR/t.tsv"
	run -0 traj-plot --phase -o "$BATS_TEST_TMPDIR/p.png" "$BATS_TEST_TMPDIR/t.tsv"
	[ -s "$BATS_TEST_TMPDIR/p.png" ]
	run -65 traj-plot --phase --x lr -o "$BATS_TEST_TMPDIR/p.png" "$BATS_TEST_TMPDIR/t.tsv"
}

@test "predict-early.sh QUICK=1: early metric lines, one row of figures per feature set" {
	run -0 env QUICK=1 TRAJ_BIN="$TRAJ_BUILD_DIR/bin" "$TRAJ_ROOT/pipelines/predict-early.sh" "$BATS_TEST_TMPDIR/out"
	o=$BATS_TEST_TMPDIR/out
	assert_line --partial "range check: all 1 figures in range"
	# the early window of 400-step runs is steps <= 40: nothing later
	assert_equal "$(awk '$2 > 40' "$o/early.tsv" | wc -l)" 0
	for m in test/loss weights/layers.0.W/norm fourier/embed/column_top1; do
		assert_equal "$(awk -v m="$m" '$3 == m' "$o/early.tsv" | wc -l)" 36
	done
	assert_equal "$(cut -f1 "$o/early-figures.tsv" | tr '\n' ' ')" \
		"features config loss norm fourier early-all early+config early+config-deg1 early+config-knn "
	run awk -F'\t' 'NR > 1 && !($3 >= 0 && $3 <= 1) { print "auroc", $0 }' "$o/early-figures.tsv"
	assert_output ""
}
