#!/usr/bin/env bats
# The training studies in pipelines/ at their quick size (QUICK=1), and the
# analysis of the induction stream; the analyses of the grokked
# transformer are in pipelines-grokked.bats (a file of its own, so the two
# run side by side).

setup() {
	load pipelines_helper
	pipelines_setup
}

@test "transformer-grokking.sh: test accuracy follows train accuracy to 95%" {
	run -0 "$P/transformer-grokking.sh" "$W/grok"
	in_range
	assert_line --regexp '^test/acc first >= 0.95 at step [0-9]+ '
}

@test "induction.sh: the repeat loss drops" {
	run -0 "$P/induction.sh" "$W/induction"
	in_range
	assert_line --regexp "^repeat loss below half the other labels' from step [0-9]+$"
	# traj emerge: one fall of the repeat loss, within 2 checkpoints (200
	# steps) of that step (docs/emergence.md); --warmup 4, as 16
	# checkpoints are too few for the default 8 (it compares 2 x 8 points)
	local drop step
	drop=$(printf '%s\n' "$output" | sed -n "s/^repeat loss below half the other labels' from step //p")
	run -0 traj-emerge -c --warmup 4 -m test/repeat/loss "$W/induction/scores.tsv"
	assert_equal "${#lines[@]}" 1
	assert_output --regexp $'\ttest/repeat/loss\tfall(ing)?\t'
	step=$(cut -f2 <<<"$output")
	[ $((step - drop)) -le 200 ] && [ $((drop - step)) -le 200 ] ||
		fail "event at $step, the drop at $drop"
}

# halfway METRIC FILE: the first step at which METRIC is half-way from its
# first value to its last (the middle of its transition).
halfway() {
	awk -v m="$1" '$3 == m { v[n] = $4; s[n++] = $2 }
		END { for (i = 0; i < n; i++) if (v[i] >= (v[0] + v[n-1]) / 2) { print s[i]; exit } }' "$2"
}

@test "grokking-demo.sh: an MLP groks a+b mod p" {
	run -0 "$P/grokking-demo.sh" "$BATS_TEST_TMPDIR/demo"
	in_range
	assert_line --regexp '^grokking delay: [0-9]+ steps$'
	# traj emerge at its defaults: one level change per accuracy, each
	# within 2 checkpoints (50 steps) of its middle (docs/emergence.md)
	local scores=$BATS_TEST_TMPDIR/demo/scores.tsv m step
	run -0 traj-emerge -c -m '*/acc' "$scores"
	assert_equal "${#lines[@]}" 2
	for m in train/acc test/acc; do
		step=$(printf '%s\n' "$output" | awk -v m="$m" '$3 == m && $4 ~ /^ris/ { print $2 }')
		[ -n "$step" ] || fail "no rise of $m: $output"
		local mid
		mid=$(halfway "$m" "$scores")
		[ $((step - mid)) -le 50 ] && [ $((mid - step)) -le 50 ] ||
			fail "$m: event at $step, half-way at $mid"
	done
}

@test "fashion-mlp.sh: an MLP on Fashion-MNIST" {
	need_fashion
	run -0 "$P/fashion-mlp.sh" "$BATS_TEST_TMPDIR/fashion"
	in_range
}

@test "edge-formation.sh: the K-composition edge forms with the repeat skill" {
	run -0 "$P/edge-formation.sh" "$(induction_stream)"
	in_range
}
