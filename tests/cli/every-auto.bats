#!/usr/bin/env bats
# traj train --every auto[:N]: checkpoints where the metrics move
# (lib/run/autockpt.h), without changing the training itself.

setup() { load test_helper; }

steps() { traj-snapshot --list "$1" | cut -f3 | paste -sd' '; }

@test "--every auto:N: first and last step, probes on multiples of N, bit-identical weights" {
	small_train --every auto:5 --steps 60 >"$BATS_TEST_TMPDIR/a.traj"
	small_train --every 5 --steps 60 >"$BATS_TEST_TMPDIR/f.traj"
	s=$(steps "$BATS_TEST_TMPDIR/a.traj")
	[[ $s == "0 "*" 60" ]] || fail "steps: $s"
	for x in $s; do
		[ $((x % 5)) -eq 0 ] || fail "step $x is not a probe"
		# the same weights as the fixed cadence: probing changes nothing
		cmp <(traj-snapshot --step "$x" --encoding raw "$BATS_TEST_TMPDIR/a.traj" | zstd -dc) \
		    <(traj-snapshot --step "$x" --encoding raw "$BATS_TEST_TMPDIR/f.traj" | zstd -dc) ||
			fail "step $x differs"
	done
	# fewer than the fixed cadence at the probe interval
	[ "$(wc -w <<<"$s")" -lt 13 ]
	# the run header says how it was made
	traj-convert --export npy "$BATS_TEST_TMPDIR/x" "$BATS_TEST_TMPDIR/a.traj"
	grep -q '"auto_every":	5' "$BATS_TEST_TMPDIR/x/run.json"
	grep -q '"every":	0' "$BATS_TEST_TMPDIR/x/run.json"
}

@test "where nothing moves, one checkpoint per 25 probes" {
	# --lr 0: the metrics never change
	run -0 bash -c "traj-train --quiet --p 11 --width 32 --lr 0 --steps 120 --every auto:2 | traj-snapshot -l | cut -f3 | paste -sd' '"
	assert_output "0 50 100 120"
}

@test "a transition gets dense checkpoints: every accuracy step of 0.05" {
	# consecutive checkpoints, except those forced by the gap or the
	# end, differ by 0.05 in train or test accuracy, or 10x in a loss
	small_train --every auto:2 --steps 80 --width 64 >"$BATS_TEST_TMPDIR/a.traj"
	run -0 bash -c "traj-score '$BATS_TEST_TMPDIR/a.traj' | awk -F'\t' '
		{ v[\$2, \$3] = \$4; if (!(\$2 in seen)) { seen[\$2]; s[n++] = \$2 } }
		function d(a, b) { return a > b ? a - b : b - a }
		function l(x) { return log(x) / log(10) }
		END {
			for (i = 1; i < n - 1; i++) {
				p = s[i - 1]; c = s[i]
				ok = d(v[c, \"train/acc\"], v[p, \"train/acc\"]) >= 0.05 ||
				     d(v[c, \"test/acc\"], v[p, \"test/acc\"]) >= 0.05 ||
				     d(l(v[c, \"train/loss\"]), l(v[p, \"train/loss\"])) >= 1 ||
				     d(l(v[c, \"test/loss\"]), l(v[p, \"test/loss\"])) >= 1 ||
				     c - p >= 50
				if (!ok) { print \"no reason for step \" c; exit 1 }
			}
			print n
		}'"
	[ "$output" -gt 4 ] || fail "only $output checkpoints"
}

@test "--resume of an --every auto run is bit-identical" {
	full="$BATS_TEST_TMPDIR/full.traj"
	small_train --every auto:2 --steps 60 --out "$full"
	size=$(stat -c %s "$full")
	for cut in $((size / 3)) $((size / 2 + 7)) $((size - 30)); do
		head -c $cut "$full" >"$BATS_TEST_TMPDIR/cut.traj"
		run -0 --separate-stderr traj-train --quiet --resume "$BATS_TEST_TMPDIR/cut.traj"
		cmp "$BATS_TEST_TMPDIR/cut.traj" "$full" || fail "cut at $cut"
	done
}

@test "--every rejects malformed auto values" {
	for v in auto:0 auto: autox auto:-3 auto:x; do
		run -64 --separate-stderr traj-train --every "$v" --steps 1
		[[ $stderr == "traj-train: --every: "* ]] || fail "$v: $stderr"
	done
}
