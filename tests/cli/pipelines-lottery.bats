#!/usr/bin/env bats
# pipelines/lottery.sh at its quick size: three rounds of iterative
# magnitude pruning with rewinding and both controls on LeNet-300-100's
# shape (narrower), early stopping on the validation split, the table,
# and masked runs at exactly their masks' densities.

setup() {
	load pipelines_helper
	pipelines_setup
	need_fashion
}

@test "lottery.sh: 3 rounds at 80%, 64%, 51% of the weights, with both controls" {
	local o=$BATS_TEST_TMPDIR/lt
	run -0 "$TRAJ_ROOT/pipelines/lottery.sh" "$o"
	assert_output --partial "range check: all"
	[ "$(awk 'NR > 1' "$o/lottery.tsv" | wc -l)" -eq 10 ]
	# 20% of each hidden layer and 10% of the output layer per round
	run awk -F'\t' '$3 == "ticket" { printf "%s ", $2 }' "$o/lottery.tsv"
	assert_output "1.0000 0.8006 0.6411 0.5134 "
	run awk -F'\t' '$1 == 3 { printf "%s ", $3 }' "$o/lottery.tsv"
	assert_output "ticket reinit random "
	# the early-stopping step is the step of minimum validation loss
	es=$(awk -F'\t' '$3 == "val/loss" && (b == "" || $4 < b) { b = $4; s = $2 } END { print s }' "$o/seed-1/ticket-3.tsv")
	run awk -F'\t' '$1 == 3 && $3 == "ticket" { print $5 }' "$o/lottery.tsv"
	assert_output "$es"
	o=$o/seed-1
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
		[ -s "$o/../lottery.png" ]
	fi
}

@test "lottery-grokking.sh: masks from memorisation and after grokking, both controls" {
	[ -z "${TRAJ_SANITIZED:-}" ] || skip "a study at full speed only"
	local o=$BATS_TEST_TMPDIR/gl
	run -0 "$TRAJ_ROOT/pipelines/lottery-grokking.sh" "$o"
	assert_output --partial "range check: all 4 figures in range"
	run cut -f1,2,3 "$o/grokking.tsv"
	assert_output "$(printf 'kind\trate\tdensity\ndense\t0\t1\nticket-mem\t0.8\t0.2000\nticket-grok\t0.8\t0.2000\nreinit-grok\t0.8\t0.2000\nrandom\t0.8\t0.2000')"
	# the two masks come from the two phases and differ
	mem=$(awk -F'\t' '$1 == "ticket-mem" { print $4 }' "$o/grokking.tsv")
	[ "$mem" -lt 1000 ]
	! cmp -s <(traj-convert --export npz /dev/stdout -t 'mask/*' "$o/mask-mem-0.8.traj") \
		<(traj-convert --export npz /dev/stdout -t 'mask/*' "$o/mask-grok-0.8.traj")
	# the masked runs keep their masks exactly
	for f in mem grok reinit random; do
		traj-prune --list "$o/$f-0.8.traj" | awk -F'\t' '
			$3 ~ /density$/ { d[substr($3, 1, length($3) - 8)] = $4 }
			$3 ~ /nonzero$/ { z[substr($3, 1, length($3) - 8)] = $4 }
			END { for (t in z) if (z[t] != d[t]) exit 1 }' || fail "$f: weights off their mask"
	done
}
