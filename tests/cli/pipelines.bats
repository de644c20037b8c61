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
	# traj emerge: one fall of the repeat loss, and it is the change that
	# carries the loss through the drop (docs/emergence.md); --warmup 4,
	# as 16 checkpoints are too few for the default 8 (it compares 2 x 8
	# points). Its STEP is the middle of a ramp fitted to a fall of two
	# stages (slow from 200, sudden from 900), which the study's drop (the
	# first step below half the other labels' loss) need not be: a check
	# of STEP against the drop within 2 checkpoints sat at its tolerance
	# (800 against 1000): one checkpoint of drift would fail it. The
	# event's own interval is what it claims: FROM is the last step still
	# within a quarter of the change of BEFORE, TO the first within a
	# quarter of AFTER, so the drop must come after FROM and by TO, and
	# the level of the drop (half the other labels' loss there) must lie
	# between BEFORE and AFTER. Both move with the curve, not with the
	# CPU; both fail if the event is the slow first stage alone (TO before
	# the drop, AFTER above its level), another change, or none.
	local drop
	drop=$(printf '%s\n' "$output" | sed -n "s/^repeat loss below half the other labels' from step //p")
	run -0 traj-emerge -c --warmup 4 -m test/repeat/loss "$W/induction/scores.tsv"
	assert_equal "${#lines[@]}" 1
	assert_output --regexp $'\ttest/repeat/loss\tfall(ing)?\t'
	local level
	level=$(awk -v d="$drop" '$1 == d { print $2 / 2 }' "$W/induction/halves.tsv")
	awk -F'\t' -v d="$drop" -v l="$level" '{ exit !($7 < d && d <= $8 && $5 > l && l > $6) }' <<<"$output" ||
		fail "the drop at $drop (level $level) is not inside the event: $output"
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
