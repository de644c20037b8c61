#!/usr/bin/env bats
# The stages-of-learning studies (docs/stages.md) at their quick size
# (QUICK=1): they run, and their figures fall in the documented ranges
# (pipelines/lib/range.sh).

setup() {
	load pipelines_helper
	pipelines_setup
}

@test "llc-grokking.sh: the LLC peaks in memorisation and falls through grokking" {
	run -0 "$P/llc-grokking.sh" "$W/llc"
	assert_line --regexp '^range check: all [0-9]+ figures in range \(quick size\)$'
	assert_line --regexp '^llc peaks at step [0-9]+ '
	[ -s "$W/llc/events.tsv" ]
}

@test "stages-transformer.sh: the phases by their rules, the LLC against them" {
	run -0 "$P/stages-transformer.sh" "$W/tf"
	assert_line --regexp '^range check: all [0-9]+ figures in range \(quick size\)$'
	assert_line --regexp '^phases: memorisation 0-[0-9]+, circuit formation [0-9]+-[0-9]+, clean-up [0-9]+-'
	# the rules' boundaries are in order: memorisation ends before clean-up starts
	awk -F'\t' '{ v[$1] = $2 } END { exit !(v["memorisation_end"] + 0 < v["cleanup_start"] + 0) }' \
		"$W/tf/phases.tsv"
	# every 200 steps of 800, two chains each
	[ "$(grep -c $'\tllc/mean\t' "$W/tf/llc.tsv")" -eq 5 ]
	grep -q $'\tprogress/excluded_loss\t' "$W/tf/events.tsv"
	if command -v gnuplot >/dev/null; then
		[ -s "$W/tf/stages.png" ]
	fi
}
