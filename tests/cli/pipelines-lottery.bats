#!/usr/bin/env bats
# pipelines/lottery.sh at its quick size: three rounds of iterative
# magnitude pruning with rewinding and both controls, the table, and
# masked runs at exactly their masks' densities.

setup() {
	load test_helper
	[ -z "${TRAJ_SANITIZED:-}" ] || skip "a study at full speed only"
	[ -d "${TRAJ_FASHION_DIR:-/usr/share/datasets/fashion-mnist}" ] ||
		skip "Debian's dataset-fashion-mnist is not installed (scripts/deps.sh data)"
	export QUICK=1 TRAJ_BIN=$TRAJ_BUILD_DIR/bin
}

@test "lottery.sh: 3 rounds at 80%, 64%, 51% of the weights, with both controls" {
	local o=$BATS_TEST_TMPDIR/lt
	run -0 "$TRAJ_ROOT/pipelines/lottery.sh" "$o"
	[ "$(awk 'NR > 1' "$o/lottery.tsv" | wc -l)" -eq 10 ]
	# 20% of each hidden layer and 10% of the output layer per round
	run awk -F'\t' '$3 == "ticket" { printf "%s ", $2 }' "$o/lottery.tsv"
	assert_output "1.0000 0.8012 0.6420 0.5146 "
	run awk -F'\t' '$1 == 3 { printf "%s ", $3 }' "$o/lottery.tsv"
	assert_output "ticket reinit random "
	# every masked run, at every checkpoint, exactly at its mask's density
	for f in "$o"/ticket-3.traj "$o"/reinit-3.traj "$o"/random-3.traj; do
		for s in 20 60; do
			traj-prune --list --step $s "$f" | awk -F'\t' '
				$3 ~ /density$/ { d[substr($3, 1, length($3) - 8)] = $4 }
				$3 ~ /nonzero$/ { z[substr($3, 1, length($3) - 8)] = $4 }
				END { for (t in z) if (z[t] != d[t]) exit 1 }' ||
				fail "$f step $s: weights off their mask"
		done
	done
	# the random chain keeps the ticket's per-layer counts
	diff <(traj-prune --list "$o/mask-3.traj" | grep kept | cut -f3,4) \
	     <(traj-prune --list "$o/random-mask-3.traj" | grep kept | cut -f3,4)
	if command -v gnuplot >/dev/null; then
		[ -s "$o/lottery.png" ]
	fi
}
