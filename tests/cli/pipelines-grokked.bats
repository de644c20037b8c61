#!/usr/bin/env bats
# The analysis studies of pipelines/ on the quick grokked transformer
# (transformer-grokking.sh at QUICK=1, made once per run of this file):
# ablation, circuits, edges, frequencies, probes, time patching, and a
# figure out of its range failing the study.

setup() {
	load pipelines_helper
	pipelines_setup
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

@test "a figure out of its range fails the study and is named" {
	# the quick stream against the full size's ranges
	run -1 --separate-stderr env -u QUICK "$P/probe-fourier.sh" "$(grok_stream)" "$BATS_TEST_TMPDIR/probe"
	assert_line --regexp '^range check: [0-9]+ of [0-9]+ figures out of range \(full size\)$'
	[[ $stderr == *"range check: last checkpoint: answer probe accuracy = '"*"' is outside [0.95, 1] (full size)"* ]]
	run -0 env -u QUICK CHECK=0 "$P/probe-fourier.sh" "$(grok_stream)" "$BATS_TEST_TMPDIR/probe"
	assert_line "range check: skipped (CHECK=0)"
}
