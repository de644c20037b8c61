#!/usr/bin/env bats
# Every study script in pipelines/ at its quick size (QUICK=1): it runs,
# and the figures it prints fall in the ranges documented for that size
# (pipelines/lib/range.sh), so a study cannot rot unseen. The streams of
# transformer-grokking.sh and induction.sh feed the analysis studies; each
# is made once per run of this file.

setup() {
	load test_helper
	[ -z "${TRAJ_SANITIZED:-}" ] ||
		skip "the studies run in the plain suite; under the sanitizers they take too long"
	export QUICK=1
	P=$TRAJ_ROOT/pipelines
	W=$BATS_FILE_TMPDIR
}

in_range() {
	assert_line --regexp '^range check: all [0-9]+ figures in range \(quick size\)$'
}

# The quick streams, made on first use (or by the tests of their studies).
grok_stream() {
	[ -s "$W/grok/run.traj" ] || "$P/transformer-grokking.sh" "$W/grok" >/dev/null 2>&1
	echo "$W/grok/run.traj"
}
induction_stream() {
	[ -s "$W/induction/run.traj" ] || "$P/induction.sh" "$W/induction" >/dev/null 2>&1
	echo "$W/induction/run.traj"
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
	[ -d "${TRAJ_FASHION_DIR:-/usr/share/datasets/fashion-mnist}" ] ||
		skip "Debian's dataset-fashion-mnist is not installed (scripts/deps.sh data)"
	run -0 "$P/fashion-mlp.sh" "$BATS_TEST_TMPDIR/fashion"
	in_range
}

@test "ablate-grokked.sh: the circuit of neurons and heads, budget against exhaustive ranking" {
	run -0 "$P/ablate-grokked.sh" "$(grok_stream)" "$BATS_TEST_TMPDIR/ablate"
	in_range
}

@test "ablate-fourier.sh: the circuit of the logits' frequencies" {
	run -0 "$P/ablate-fourier.sh" "$(grok_stream)" "$BATS_TEST_TMPDIR/fourier"
	in_range
}

@test "ablate-edges.sh: the circuit of edges" {
	run -0 "$P/ablate-edges.sh" "$(grok_stream)" "$BATS_TEST_TMPDIR/edges"
	in_range
}

@test "circuit-check.sh: the same check, its default components" {
	run -0 "$P/circuit-check.sh" "$(grok_stream)" "$BATS_TEST_TMPDIR/circuit"
	in_range
}

@test "ablate-neuron-freq.sh: neurons grouped by frequency" {
	run -0 "$P/ablate-neuron-freq.sh" "$(grok_stream)"
	in_range
}

@test "probe-fourier.sh: the key frequencies, the answer probe over training" {
	run -0 "$P/probe-fourier.sh" "$(grok_stream)" "$BATS_TEST_TMPDIR/probe"
	in_range
}

@test "timepatch-sweep.sh: metric lines on stdout, the table and the check on stderr" {
	run -0 bash -c "'$P/timepatch-sweep.sh' '$(grok_stream)' 2>&1 >'$BATS_TEST_TMPDIR/lines'"
	in_range
	[ -s "$BATS_TEST_TMPDIR/lines" ]
	awk -F'\t' 'NF != 4 || $3 !~ /^timepatch\/.*\/carried$/ { exit 1 }' "$BATS_TEST_TMPDIR/lines"
}

@test "edge-formation.sh: the K-composition edge forms with the repeat skill" {
	run -0 "$P/edge-formation.sh" "$(induction_stream)"
	in_range
}

@test "a figure out of its range fails the study and is named" {
	# the quick stream against the full size's ranges
	run -1 --separate-stderr env -u QUICK "$P/probe-fourier.sh" "$(grok_stream)" "$BATS_TEST_TMPDIR/probe"
	assert_line --regexp '^range check: [0-9]+ of [0-9]+ figures out of range \(full size\)$'
	[[ $stderr == *"range check: last checkpoint: answer probe accuracy = '"*"' is outside [0.95, 1] (full size)"* ]]
	run -0 env -u QUICK CHECK=0 "$P/probe-fourier.sh" "$(grok_stream)" "$BATS_TEST_TMPDIR/probe"
	assert_line "range check: skipped (CHECK=0)"
}
