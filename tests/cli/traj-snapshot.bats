#!/usr/bin/env bats
# traj-snapshot: listing, selection, re-encoding, --dtype, concatenation,
# --out and --split written atomically, bad input.

setup_file() {
	load test_helper
	RUN="$BATS_FILE_TMPDIR/run.traj"
	small_train --steps 40 --every 5 >"$RUN"
	export RUN
}

setup() { load test_helper; }

steps() { traj-snapshot --list "$@" | cut -f3 | paste -sd' '; }

@test "--help prints usage on stdout with status 0" {
	run -0 traj-snapshot --help
	assert_line --index 0 "Usage: traj-snapshot [OPTION]... [FILE]..."
}

@test "--version prints the version" {
	run -0 traj-snapshot --version
	assert_output --regexp '^traj-snapshot \(traj\) [0-9.]+$'
}

@test "--list prints one line per checkpoint with sizes and ratio" {
	run -0 traj-snapshot --list "$RUN"
	assert_equal "${#lines[@]}" 9
	assert_line --index 0 --regexp $'^ckpt\tmodadd-p11-s1\t0\t[0-9]+\t[0-9]+\t[0-9]+\t[0-9.]+$'
	# the stored bytes of all checkpoints plus the run and end records
	# make up the file
	total=$(traj-snapshot --list "$RUN" | awk -F'\t' '{ s += $6 } END { print s }')
	size=$(wc -c <"$RUN")
	[ "$total" -lt "$size" ] && [ "$((size - total))" -lt 2000 ]
}

@test "--list -v adds a line per tensor with dtype, shape and norm" {
	run -0 bash -c "traj-snapshot -lv --step 0 -t 'layers.*' '$RUN'"
	assert_line --index 0 --regexp $'^ckpt\tmodadd-p11-s1\t0\t4\t'
	assert_line --index 1 --regexp $'^tensor\tmodadd-p11-s1\t0\tlayers.0.W\tf32\t22x32\t[0-9.]+$'
	assert_line --index 2 --regexp $'^tensor\tmodadd-p11-s1\t0\tlayers.0.b\tf32\t32\t'
	assert_equal "${#lines[@]}" 5
}

@test "the norm printed by -v is the L2 norm (checked with numpy)" {
	command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import numpy' 2>/dev/null ||
		skip "numpy not installed"
	norm=$(traj-snapshot -lv --step 40 -t layers.1.b "$RUN" | awk -F'\t' '$1=="tensor" { print $7 }')
	dump=$(traj-snapshot --step 40 -t layers.1.b --encoding raw "$RUN" | zstd -dc | od -An -tf4 -v | tr -s ' \n' ' ')
	run -0 /usr/bin/python3 -c "import numpy as np; v=np.array('$dump'.split(), dtype=np.float32).astype(np.float64); assert abs(np.linalg.norm(v) - $norm) < 1e-6 * $norm, (np.linalg.norm(v), $norm)"
}

@test "selection: --step, --steps, --every, --log, --first, --last" {
	assert_equal "$(steps --step 10 "$RUN")" "10"
	assert_equal "$(steps --steps 10:20 "$RUN")" "10 15 20"
	assert_equal "$(steps --steps 30: "$RUN")" "30 35 40"
	assert_equal "$(steps --steps :5 "$RUN")" "0 5"
	assert_equal "$(steps --every 20 "$RUN")" "0 20 40"
	assert_equal "$(steps --log 3 "$RUN")" "0 5 10 25"
	assert_equal "$(steps --first --steps 12: "$RUN")" "15"
	assert_equal "$(steps --last --every 10 --steps :35 "$RUN")" "30"
	assert_equal "$(steps --step 7 "$RUN")" ""
}

@test "the output is a valid stream: selections chain and score the same" {
	run -0 bash -c "traj-snapshot --every 10 '$RUN' | traj-snapshot --steps 20: | traj-score | cut -f2 | uniq | paste -sd' '"
	assert_output "20 30 40"
	a=$(traj-score "$RUN" | awk '$2==20')
	b=$(traj-snapshot --step 20 "$RUN" | traj-score)
	assert_equal "$a" "$b"
	traj-snapshot --every 10 "$RUN" >"$BATS_TEST_TMPDIR/s.traj"
	run -0 zstd -tq "$BATS_TEST_TMPDIR/s.traj"
}

@test "--tensors keeps the matching tensors only" {
	run -0 bash -c "traj-snapshot -t 'layers.*' -t optim/step '$RUN' | traj-snapshot -lv --first | cut -f4 | paste -sd' '"
	assert_output "5 layers.0.W layers.0.b layers.1.W layers.1.b optim/step"
}

@test "re-encoding with --encoding, --level and --key-every is lossless" {
	for enc in raw shuffle xor pred2; do
		traj-snapshot --encoding $enc --level 3 --key-every 4 "$RUN" >"$BATS_TEST_TMPDIR/$enc.traj"
		run -0 bash -c "cmp <(traj-score '$BATS_TEST_TMPDIR/$enc.traj') <(traj-score '$RUN')"
		run -0 bash -c "cmp <(traj-snapshot -lv '$BATS_TEST_TMPDIR/$enc.traj' | grep ^tensor) <(traj-snapshot -lv '$RUN' | grep ^tensor)"
	done
	raw=$(wc -c <"$BATS_TEST_TMPDIR/raw.traj")
	pred2=$(wc -c <"$BATS_TEST_TMPDIR/pred2.traj")
	[ "$pred2" -lt "$raw" ]
	run -64 --separate-stderr traj-snapshot --encoding lz4 "$RUN"
	run -64 --separate-stderr traj-snapshot --level 0 "$RUN"
}

@test "--dtype bf16 and f16 are lossy, marked in the run header, and close" {
	for t in bf16 f16; do
		traj-snapshot --dtype $t -t 'layers.*' "$RUN" >"$BATS_TEST_TMPDIR/$t.traj"
		run -0 bash -c "head -c 2000 '$BATS_TEST_TMPDIR/$t.traj' | tr -c '[:print:]' '\n' | grep -o '\"lossy\":{\"dtype\":\"$t\"'"
		run -0 bash -c "traj-snapshot -lv --step 40 '$BATS_TEST_TMPDIR/$t.traj' | awk -F'\t' '\$1==\"tensor\" { print \$5 }' | sort -u"
		assert_output $t
		# norms agree with the f32 ones to the format's precision
		run -0 bash -c "paste <(traj-snapshot -lv -t 'layers.*' '$RUN' | grep ^tensor | cut -f7) \
			<(traj-snapshot -lv '$BATS_TEST_TMPDIR/$t.traj' | grep ^tensor | cut -f7) |
			awk '{ d = \$1 - \$2; if (d < 0) d = -d; if (d > 0.01 * \$1) exit 1 }'"
	done
	run -64 --separate-stderr traj-snapshot --dtype f8 "$RUN"
}

@test "bf16 with xor-previous is more than 2x smaller than raw f32" {
	# (on this tiny, fast-moving run; the demo run's figure is in bench/)
	traj-snapshot -t 'layers.*' --encoding raw "$RUN" >"$BATS_TEST_TMPDIR/raw.traj"
	traj-snapshot -t 'layers.*' --dtype bf16 --encoding xor "$RUN" >"$BATS_TEST_TMPDIR/bf.traj"
	raw=$(wc -c <"$BATS_TEST_TMPDIR/raw.traj")
	bf=$(wc -c <"$BATS_TEST_TMPDIR/bf.traj")
	[ $((bf * 2)) -lt "$raw" ]
}

@test "concatenates streams of one run, dropping repeated steps" {
	traj-snapshot --steps :20 "$RUN" >"$BATS_TEST_TMPDIR/a.traj"
	traj-snapshot --steps 15: "$RUN" >"$BATS_TEST_TMPDIR/b.traj"
	run -0 bash -c "traj-snapshot '$BATS_TEST_TMPDIR/a.traj' '$BATS_TEST_TMPDIR/b.traj' | traj-snapshot -l | cut -f3 | paste -sd' '"
	assert_output "0 5 10 15 20 25 30 35 40"
	run -0 bash -c "cmp <(traj-snapshot '$BATS_TEST_TMPDIR/a.traj' '$BATS_TEST_TMPDIR/b.traj' | traj-score) <(traj-score '$RUN')"
}

@test "refuses to concatenate streams of different runs, status 65" {
	small_train --seed 2 --steps 10 >"$BATS_TEST_TMPDIR/other.traj"
	run -65 --separate-stderr traj-snapshot -o "$BATS_TEST_TMPDIR/cat.traj" "$RUN" "$BATS_TEST_TMPDIR/other.traj"
	assert_one_error_line traj-snapshot
	[[ $stderr == *"other.traj: run 'modadd-p11-s2' is not the run 'modadd-p11-s1' of "* ]]
	[ ! -e "$BATS_TEST_TMPDIR/cat.traj" ]
	run -0 bash -c "ls -A '$BATS_TEST_TMPDIR' | grep -c '^\\.cat' || true"
	assert_output 0
}

@test "--out writes the file atomically and replaces an old one" {
	mkdir "$BATS_TEST_TMPDIR/d"
	out="$BATS_TEST_TMPDIR/d/sel.traj"
	echo old >"$out"
	run -0 traj-snapshot --every 20 -o "$out" "$RUN"
	assert_output ""
	run -0 bash -c "traj-snapshot -l '$out' | cut -f3 | paste -sd' '"
	assert_output "0 20 40"
	run -0 ls -A "$BATS_TEST_TMPDIR/d"
	assert_output "sel.traj"
}

@test "--out leaves no file when the input is bad" {
	mkdir "$BATS_TEST_TMPDIR/d"
	head -c 3000 "$RUN" >"$BATS_TEST_TMPDIR/d/cut.traj"
	run -75 --separate-stderr traj-snapshot -o "$BATS_TEST_TMPDIR/d/o.traj" "$BATS_TEST_TMPDIR/d/cut.traj"
	assert_one_error_line traj-snapshot
	run -0 ls -A "$BATS_TEST_TMPDIR/d"
	assert_output "cut.traj"
}

@test "--out into a missing directory is an error, status 73" {
	run -73 --separate-stderr traj-snapshot -o "$BATS_TEST_TMPDIR/no/x.traj" "$RUN"
	assert_one_error_line traj-snapshot
}

@test "--split writes one stream per checkpoint" {
	mkdir "$BATS_TEST_TMPDIR/d"
	run -0 traj-snapshot --every 20 --split "$BATS_TEST_TMPDIR/d" "$RUN"
	run -0 ls -A "$BATS_TEST_TMPDIR/d"
	assert_output $'modadd-p11-s1-000000000.traj\nmodadd-p11-s1-000000020.traj\nmodadd-p11-s1-000000040.traj'
	run -0 bash -c "cat '$BATS_TEST_TMPDIR'/d/*.traj | traj-score | cmp - <(traj-snapshot --every 20 '$RUN' | traj-score)"
	run -73 --separate-stderr traj-snapshot --split "$BATS_TEST_TMPDIR/nodir" "$RUN"
}

@test "reads standard input and -" {
	run -0 bash -c "traj-snapshot -l <'$RUN' | wc -l"
	assert_output 9
	run -0 bash -c "traj-snapshot -l - <'$RUN' | wc -l"
	assert_output 9
}

@test "a truncated stream: complete checkpoints first, then status 75" {
	head -c 30000 "$RUN" >"$BATS_TEST_TMPDIR/cut.traj"
	run -75 --separate-stderr traj-snapshot -l "$BATS_TEST_TMPDIR/cut.traj"
	assert_line --index 0 --regexp $'^ckpt\tmodadd-p11-s1\t0\t'
	[[ $stderr == *"truncated"* ]]
}

@test "bad input and usage errors" {
	run -65 --separate-stderr traj-snapshot -l "$TRAJ_ROOT/formats/vectors/bad-crc.traj"
	assert_one_error_line traj-snapshot
	run -66 --separate-stderr traj-snapshot "$BATS_TEST_TMPDIR/none.traj"
	run -64 --separate-stderr traj-snapshot --steps 5:1 "$RUN"
	run -64 --separate-stderr traj-snapshot --steps 5 "$RUN"
	run -64 --separate-stderr traj-snapshot --first --last "$RUN"
	run -64 --separate-stderr traj-snapshot -v "$RUN"
	run -64 --separate-stderr traj-snapshot --list -o x "$RUN"
	run -64 --separate-stderr traj-snapshot --every 0 "$RUN"
}

@test "refuses to write a stream to a terminal" {
	command -v script >/dev/null || skip "script(1) not installed"
	run -64 script -qec "traj-snapshot '$RUN'" /dev/null
}

@test "| head -1 exits quietly with status 0" {
	run -0 --separate-stderr bash -c "set -o pipefail; traj-snapshot -lv '$RUN' | head -1"
	[ -z "$stderr" ]
}

@test "--step N for a step that does not exist: status 65, one line, no stream" {
	cd "$BATS_TEST_TMPDIR"
	run -65 --separate-stderr traj-snapshot --step 7 "$RUN"
	assert_one_error_line traj-snapshot
	assert_output ''
}

@test "--list reads cat a.traj b.traj of two runs, naming each" {
	cd "$BATS_TEST_TMPDIR"
	small_train --steps 20 --every 10 --seed 2 >b.traj
	run -0 bash -c "cat '$RUN' b.traj | traj-snapshot -l | cut -f2 | sort -u | wc -l"
	assert_output 2
}
