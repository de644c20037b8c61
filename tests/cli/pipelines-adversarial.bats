#!/usr/bin/env bats
# pipelines/adversarial.sh at its quick size: fails when a figure leaves its
# documented range (pipelines/lib/range.sh), e.g. PGD weaker than FGSM.

setup() {
	load pipelines_helper
	pipelines_setup
	need_fashion
}

@test "adversarial.sh: fragility over training, PGD never weaker than FGSM" {
	run -0 "$TRAJ_ROOT/pipelines/adversarial.sh" "$BATS_TEST_TMPDIR/adv"
	assert_output --partial "range check: all"
	assert_output --partial "where PGD is weaker than FGSM: 0"
	[ -s "$BATS_TEST_TMPDIR/adv/attack.tsv" ]
	if command -v gnuplot >/dev/null; then
		[ -s "$BATS_TEST_TMPDIR/adv/adversarial.png" ]
	fi
}

@test "adversarial-training.sh: PGD training raises robust accuracy at a small clean cost" {
	run -0 "$TRAJ_ROOT/pipelines/adversarial-training.sh" "$BATS_TEST_TMPDIR/at"
	assert_output --partial "range check: all 2 figures in range (quick size)"
	assert_line --regexp '^robust: clean 0\.[0-9]+, FGSM eps 0\.1 0\.[0-9]+, PGD-10 eps 0\.1 0\.[0-9]+$'
	grep -aq '"adv":{"method":"pgd"' "$BATS_TEST_TMPDIR/at/robust.traj"
	if command -v gnuplot >/dev/null; then
		[ -s "$BATS_TEST_TMPDIR/at/adversarial-training.png" ]
	fi
}

@test "adversarial-neurons.sh: the attack's neurons against clean-important and random ones" {
	run -0 "$TRAJ_ROOT/pipelines/adversarial-neurons.sh" "$BATS_TEST_TMPDIR/an"
	assert_output --partial "range check: all 3 figures in range (quick size)"
	assert_line --regexp '^32	attack	0\.[0-9]+	0\.[0-9]+	0\.[0-9]+$'
	assert_line --regexp '^32	random	0\.[0-9]+	0\.[0-9]+	0\.[0-9]+$'
	[ "$(grep -c . "$BATS_TEST_TMPDIR/an/neurons.tsv")" -eq 27 ]
	if command -v gnuplot >/dev/null; then
		[ -s "$BATS_TEST_TMPDIR/an/adversarial-neurons.png" ]
	fi
}
