#!/usr/bin/env bats
# The stages-of-learning studies (docs/stages.md) at their quick size
# (QUICK=1): they run, and their figures fall in the documented ranges
# (pipelines/lib/range.sh).

setup() {
	load test_helper
	[ -z "${TRAJ_SANITIZED:-}" ] ||
		skip "the studies run in the plain suite; under the sanitizers they take too long"
	export QUICK=1
	P=$TRAJ_ROOT/pipelines
	W=$BATS_FILE_TMPDIR
}

@test "llc-grokking.sh: the LLC peaks in memorisation and falls through grokking" {
	run -0 "$P/llc-grokking.sh" "$W/llc"
	assert_line --regexp '^range check: all [0-9]+ figures in range \(quick size\)$'
	assert_line --regexp '^llc peaks at step [0-9]+ '
	[ -s "$W/llc/events.tsv" ]
}
