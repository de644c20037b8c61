#!/usr/bin/env bats
# pipelines/lmc-rewind.sh at its quick size: copies from one rewind point
# with different batch orders end apart but within the documented
# barrier ranges; the control (the same order twice) ends in the same
# bits, barrier 0, so the orders really are what differs.

setup() {
	load pipelines_helper
	pipelines_setup
	need_fashion
	W=$BATS_TEST_TMPDIR
}

# The test accuracies at the two ends of the first pair at rewind step $1.
ends() {
	awk -F'\t' -v k="$1" '$1 == "lmc-r1" && $2 == k &&
		($3 == "interp/0/test/loss" || $3 == "interp/1/test/loss") { print $4 }' "$W/lmc/lmc.tsv"
}

@test "lmc-rewind.sh: the barrier per rewind step, in range; the copies differ" {
	run -0 "$TRAJ_ROOT/pipelines/lmc-rewind.sh" "$W/lmc"
	assert_output --partial "range check: all"
	assert_line --regexp '^earliest stable rewind step \(test error barrier <= 0.02 from there on\): [0-9]+$'
	[ "$(ends 0 | uniq | wc -l)" -eq 2 ] || fail "the two copies from step 0 end the same: $(ends 0)"
	if command -v gnuplot >/dev/null; then
		[ -s "$W/lmc/lmc.png" ]
	fi
}

@test "lmc-rewind.sh SAME_ORDER=1: the same order twice ends in the same bits" {
	SAME_ORDER=1 REWIND=100 STEPS=160 CHECK=0 run -0 "$TRAJ_ROOT/pipelines/lmc-rewind.sh" "$W/lmc"
	[ "$(ends 100 | uniq | wc -l)" -eq 1 ] || fail "$(ends 100)"
	run -0 awk -F'\t' '$3 ~ /^interp\/barrier\// && $4 != 0 { print; bad = 1 } END { exit bad }' "$W/lmc/lmc.tsv"
}
