#!/usr/bin/env bats
# formats/run-header.md specifies the run header and the train/test split
# exactly: an independent NumPy implementation written from it
# (bench/split_reference.py) rebuilds the examples traj probe --inputs
# prints, from the header alone.

setup() {
	load test_helper
	/usr/bin/python3 -c 'import numpy' 2>/dev/null ||
		skip "/usr/bin/python3 cannot import numpy (Debian: apt-get install python3-numpy)"
	REF=$TRAJ_ROOT/bench/split_reference.py
}

# same_split STREAM: every split of STREAM, traj against the reference.
same_split() {
	for split in train test all; do
		traj-probe --inputs --split "$split" "$1" >"$BATS_TEST_TMPDIR/traj.txt"
		/usr/bin/python3 "$REF" "$1" "$split" >"$BATS_TEST_TMPDIR/ref.txt"
		[ -s "$BATS_TEST_TMPDIR/traj.txt" ] || fail "no inputs printed for $split"
		cmp "$BATS_TEST_TMPDIR/traj.txt" "$BATS_TEST_TMPDIR/ref.txt" ||
			fail "$1: the $split split differs from the reference"
	done
}

@test "modular splits (an MLP, a transformer with '=', division) match the spec's reference" {
	run_ok() { traj-train -q --steps 1 --every 1 "$@"; }
	run_ok --p 11 --width 8 --seed 3 -o "$BATS_TEST_TMPDIR/m.traj"
	same_split "$BATS_TEST_TMPDIR/m.traj"
	run_ok --model transformer --d-model 8 --heads 2 --p 13 --frac 0.3 \
		--data-seed 17 -o "$BATS_TEST_TMPDIR/t.traj"
	same_split "$BATS_TEST_TMPDIR/t.traj"
	run_ok --task moddiv --p 13 --frac 0.7 --width 8 -o "$BATS_TEST_TMPDIR/d.traj"
	same_split "$BATS_TEST_TMPDIR/d.traj"
	run_ok --task modquad --p 7 --frac 0.45 --width 8 -o "$BATS_TEST_TMPDIR/q.traj"
	same_split "$BATS_TEST_TMPDIR/q.traj"
}

@test "sampled splits (add, parity enumerated and drawn, repeat with filler) match the spec's reference" {
	run_ok() { traj-train -q --steps 1 --every 1 "$@"; }
	run_ok --model transformer --d-model 8 --heads 2 --task add --digits 2 \
		--n-train 40 --n-test 15 -o "$BATS_TEST_TMPDIR/a.traj"
	same_split "$BATS_TEST_TMPDIR/a.traj"
	run_ok --task parity --bits 9 --k 3 --n-train 40 --n-test 15 --width 8 \
		--seed 5 -o "$BATS_TEST_TMPDIR/p.traj"
	same_split "$BATS_TEST_TMPDIR/p.traj"
	run_ok --task parity --bits 40 --k 4 --n-train 40 --n-test 15 --width 8 \
		-o "$BATS_TEST_TMPDIR/pb.traj"
	same_split "$BATS_TEST_TMPDIR/pb.traj"
	run_ok --model transformer --d-model 8 --heads 2 --task repeat --seq-len 4 \
		--vocab 5 --filler 3 --n-train 20 --n-test 10 -o "$BATS_TEST_TMPDIR/r.traj"
	same_split "$BATS_TEST_TMPDIR/r.traj"
	run_ok --model transformer --d-model 8 --heads 2 --task repeat --seq-len 12 \
		--vocab 30 --n-train 20 --n-test 10 -o "$BATS_TEST_TMPDIR/r2.traj"
	same_split "$BATS_TEST_TMPDIR/r2.traj"
}

@test "the reference is not vacuous: another seed gives another split" {
	traj-train -q --steps 1 --every 1 --p 11 --width 8 --data-seed 1 -o "$BATS_TEST_TMPDIR/a.traj"
	traj-train -q --steps 1 --every 1 --p 11 --width 8 --data-seed 2 -o "$BATS_TEST_TMPDIR/b.traj"
	/usr/bin/python3 "$REF" "$BATS_TEST_TMPDIR/a.traj" train >"$BATS_TEST_TMPDIR/a.txt"
	traj-probe --inputs --split train "$BATS_TEST_TMPDIR/b.traj" >"$BATS_TEST_TMPDIR/b.txt"
	run ! cmp -s "$BATS_TEST_TMPDIR/a.txt" "$BATS_TEST_TMPDIR/b.txt"
}
