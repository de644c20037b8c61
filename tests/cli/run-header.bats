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

@test "a stream written from the two specs alone is accepted and scored like traj train's" {
	command -v zstd >/dev/null || skip "zstd is not installed (Debian: zstd)"
	W=$TRAJ_ROOT/bench/write_stream_reference.py
	cd "$BATS_TEST_TMPDIR"
	traj-train -q --p 11 --width 16 --steps 20 --every 10 --run-id mref -o m.traj
	traj-convert --export npz m.npz m.traj
	/usr/bin/python3 "$W" s.traj m.npz mref 20 11 0.5 1
	run -0 traj-score s.traj
	[ "${#lines[@]}" -eq 4 ]
	assert_equal "$output" "$(traj-score m.traj | grep -P '\t20\t')"
	traj-train -q --model transformer --d-model 16 --p 11 --steps 20 --every 10 --run-id tref -o t.traj
	traj-convert --export npz t.npz t.traj
	/usr/bin/python3 "$W" s2.traj t.npz tref 20 11 0.5 1 transformer
	run -0 traj-score s2.traj
	assert_equal "$output" "$(traj-score t.traj | grep -P '\t20\t')"
}

@test "a header missing a field the spec requires is refused naming the field" {
	command -v zstd >/dev/null || skip "zstd is not installed (Debian: zstd)"
	cd "$BATS_TEST_TMPDIR"
	traj-train -q --p 11 --width 16 --steps 10 --every 10 -o m.traj
	traj-convert --export npz m.npz m.traj
	/usr/bin/python3 "$TRAJ_ROOT/bench/write_stream_reference.py" s.traj m.npz mref 10 11 0.5 1
	# the same stream with the task's modulus removed from the header
	/usr/bin/python3 - <<'PY'
import json, struct, zlib
d = open("s.traj", "rb").read()
n = struct.unpack("<I", d[4:8])[0]
h = json.loads(d[12:8 + n - 4])
del h["task"]["p"]
body = b"TRJ1" + json.dumps(h).encode()
rec = struct.pack("<II", 0x184D2A5A, len(body) + 4) + body + struct.pack("<I", zlib.crc32(body))
open("bad.traj", "wb").write(rec + d[8 + n:])
PY
	run -65 --separate-stderr traj-score bad.traj
	assert_one_error_line traj-score
	[[ $stderr == *"task.p"* ]] || fail "the field is not named: $stderr"
}
