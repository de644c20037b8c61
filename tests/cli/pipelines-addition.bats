#!/usr/bin/env bats
# The addition study (docs/addition.md) at its quick size (QUICK=1): it
# runs, finds each digit's test-accuracy rise, and tabulates the probes'
# leads with the columns the docs describe.

setup() {
	load pipelines_helper
	pipelines_setup
}

@test "addition.sh: each digit's rise, and the probes' leads per digit" {
	run -0 "$TRAJ_ROOT/pipelines/addition.sh" "$W/add"
	assert_line --regexp '^range check: all [0-9]+ figures in range \(quick size\)$'
	assert_line --regexp '^digits with a test rise: [0-9]+ of 7$'
	# one line per digit and signal: 3 + 4 digits, the carry signal on
	# all but the units digit, the circuit signals (heads, direct and
	# via-mlp paths: each its rise and its threshold crossing) on all
	[ "$(wc -l <"$W/add/leads.tsv")" -eq 54 ]
	run -0 cut -f5 "$W/add/leads.tsv"
	assert_line 'digit/blocks.0.hook_resid_post'
	assert_line 'carry/blocks.0.hook_resid_post'
	assert_line 'heads/max'
	assert_line 'heads/max>=0.1'
	assert_line 'direct/max>=0.1'
	assert_line 'via-mlp/max>=0.1'
	# the circuit signal: one value per digit at every other checkpoint
	# (steps 0, 50, ..., 750), and the units digit of the learnt 3-digit
	# run depends on a head at the end
	[ "$(wc -l <"$W/add/add-d3-s1.circuits.tsv")" -eq $((4 * 16)) ]
	awk -F'\t' '$3 == "circuit/pos/3/heads/max" { v = $4 } END { exit !(v > 0.1) }' \
		"$W/add/add-d3-s1.circuits.tsv"
	# the paths signal: its two values per digit at the same checkpoints;
	# the units digit's head reaches it through the MLP, not directly
	[ "$(wc -l <"$W/add/add-d3-s1.paths.tsv")" -eq $((2 * 4 * 16)) ]
	awk -F'\t' '$3 == "circuit/pos/3/direct/max" { d = $4 }
		$3 == "circuit/pos/3/via-mlp/max" { m = $4 }
		END { exit !(m > 0.1 && m > 10 * d) }' "$W/add/add-d3-s1.paths.tsv"
	head -1 "$W/add/summary-by-digits.tsv" | grep -q '^digits	signal	learnt	first	'
	head -1 "$W/add/summary.tsv" | grep -q '^signal	learnt	first	same	later	median_lead	missed	not_learnt	false_alarms$'
	# a lead is the test rise's step minus the signal's
	awk -F'\t' '$4 != "never" && $6 != "never" && $7 != $4 - $6 { exit 1 }' \
		"$W/add/leads.tsv"
	grep -q 'test/carry/1/acc' "$W/add/add-d3-s1.scores.tsv"
	if command -v gnuplot >/dev/null; then
		[ -s "$W/add/add-d3-s1.png" ]
	fi
}
