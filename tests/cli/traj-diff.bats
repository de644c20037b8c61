#!/usr/bin/env bats
# traj-diff: norms, distances, singular values and the embedding's Fourier
# spectrum, on the format's test vectors (values known by hand) and on a
# tiny trained run (checked with numpy where installed); bad input.

setup_file() {
	load test_helper
	RUN="$BATS_FILE_TMPDIR/run.traj"
	small_train --steps 20 --every 10 >"$RUN"
	export RUN
}

setup() { load test_helper; }

V="$BATS_TEST_DIRNAME/../../formats/vectors"

# value STEP METRIC [traj-diff args...]: the value of one metric line
value() {
	local step=$1 metric=$2
	shift 2
	traj-diff "$@" | awk -F'\t' -v s="$step" -v m="$metric" \
		'$2 == s && $3 == m { print $4 }'
}

have_numpy() {
	command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import numpy' 2>/dev/null
}

@test "--help prints usage on stdout with status 0" {
	run -0 traj-diff --help
	assert_line --index 0 "Usage: traj-diff [OPTION]... [FILE]"
}

@test "--version prints the version" {
	run -0 traj-diff --version
	assert_output --regexp '^traj-diff \(traj\) [0-9.]+$'
}

@test "norm, singular values and effective rank of a known matrix" {
	# w = [[0, 1, -2], [0.5, 3.25, -0]]: ||w||^2 = 15.8125; singular
	# values from numpy.linalg.svd; eff_rank = exp(entropy of s / sum s)
	run -0 traj-diff "$V/tiny.traj"
	assert_output "tiny	0	weights/w/norm	3.97649343
tiny	0	weights/w/eff_rank	1.91027242
tiny	0	weights/w/sv1	3.50230738
tiny	0	weights/w/sv2	1.88317365"
}

@test "consecutive checkpoints: l2, rel_change and cos by hand" {
	# b at checkpoint k is (k+1) * (1/3, 2/3, 1): each step adds
	# (1/3, 2/3, 1), of norm sqrt(14)/3 = 1.24721913
	run -0 traj-diff -t b "$V/xor.traj"
	assert_output "xor	0	weights/b/norm	1.24721913
xor	1	weights/b/norm	2.49443826
xor	1	diff/b/l2	1.24721913
xor	1	diff/b/rel_change	1
xor	1	diff/b/cos	1
xor	2	weights/b/norm	3.74165739
xor	2	diff/b/l2	1.24721913
xor	2	diff/b/rel_change	0.5
xor	2	diff/b/cos	1"
}

@test "--ref-step N compares with the checkpoint at step N of the file" {
	assert_equal "$(value 2 diff/b/rel_change -s 0 -t b "$V/xor.traj")" 2
	assert_equal "$(value 2 diff/b/l2 -s 0 -t b "$V/xor.traj")" 2.49443826
	assert_equal "$(value 0 diff/b/l2 -s 0 -t b "$V/xor.traj")" 0
	# before the reference step, too, when reading a file
	assert_equal "$(value 0 diff/b/rel_change -s 2 -t b "$V/xor.traj")" 0.666666667
}

@test "--ref-step on standard input: checkpoints before it get no diff" {
	run -0 bash -c "traj-diff -s 1 -t b <'$V/xor.traj'"
	refute_line --regexp $'^xor\t0\tdiff/'
	assert_line $'xor\t1\tdiff/b/l2\t0'
	assert_line $'xor\t2\tdiff/b/rel_change\t0.5'
}

@test "--ref FILE compares with another stream's first checkpoint" {
	# w of pred2 at k = 0 equals w of xor at k = 0 (same formula)
	assert_equal "$(value 0 diff/w/l2 -r "$V/xor.traj" -t w --sv 0 "$V/pred2.traj")" 0
	run -0 traj-diff -r "$V/xor.traj" -s 2 -t b "$V/pred2.traj"
	assert_line $'pred2\t0\tdiff/b/rel_change\t0.666666667'
}

@test "a --ref-step that is not in the stream is an error" {
	run -65 --separate-stderr traj-diff -s 7 "$V/xor.traj"
	assert_one_error_line traj-diff
	assert_equal "$stderr" "traj-diff: $V/xor.traj: no checkpoint at step 7"
}

@test "--sv K prints K singular values; --sv 0 skips the SVD" {
	run -0 traj-diff --sv 1 "$V/tiny.traj"
	assert_line --partial sv1
	refute_line --partial sv2
	run -0 traj-diff --sv 0 "$V/tiny.traj"
	refute_line --partial sv1
	refute_line --partial eff_rank
	run -64 traj-diff --sv -1 "$V/tiny.traj"
}

@test "--tensors selects by glob; optimiser state is left out" {
	run -0 traj-diff --sv 0 --no-fourier -t 'layers.1.*' "$RUN"
	assert_line $'modadd-p11-s1\t0\tweights/layers.1.b/norm\t'"$(traj-snapshot -lv --step 0 -t layers.1.b "$RUN" | awk -F'\t' '$1 == "tensor" { print $7 }')"
	refute_line --partial layers.0
	run -0 traj-diff "$RUN"
	refute_line --partial optim/
	# 2 diffs x 4 tensors x 3 metrics, 3 x 4 norms, 3 x 2 x (eff_rank +
	# 3 sv), 3 x (5 frequencies + top5 + ipr + column_top1)
	assert_equal "${#lines[@]}" $((24 + 12 + 24 + 24))
}

@test "the embedding's Fourier spectrum for p = 11: k1..k5, top5_frac 1" {
	run -0 traj-diff --sv 0 -t layers.0.W "$RUN"
	for k in 1 2 3 4 5; do assert_line --regexp $'\t20\tfourier/embed/k'$k$'\t'; done
	refute_line --partial fourier/embed/k6
	# p = 11 has 5 frequencies: the top 5 hold all the energy
	assert_line $'modadd-p11-s1\t20\tfourier/embed/top5_frac\t1'
	ipr=$(value 20 fourier/embed/ipr -t layers.0.W "$RUN")
	awk -v v="$ipr" 'BEGIN { exit !(v >= 0.2 && v <= 1) }'
	assert_equal "$(value 0 fourier/embed/top1_frac --top 1 "$RUN" | wc -l)" 1
	run -0 traj-diff --no-fourier "$RUN"
	refute_line --partial fourier/
	# no embedding spectrum for a run without task.p
	run -0 traj-diff "$V/xor.traj"
	refute_line --partial fourier/
}

@test "the Fourier norms and the SVD agree with numpy" {
	have_numpy || skip "numpy not installed"
	dump=$(traj-snapshot --step 20 -t layers.0.W --encoding raw "$RUN" | zstd -dc | od -An -tf4 -v | tr -s ' \n' ' ')
	out=$(traj-diff -t layers.0.W --sv 3 "$RUN" | awk -F'\t' '$2 == 20 { print $3, $4 }')
	run -0 /usr/bin/python3 -c "
import numpy as np, sys
p = 11
W = np.array('$dump'.split(), dtype=np.float32).astype(np.float64).reshape(2 * p, 32)
got = dict(l.split() for l in '''$out'''.splitlines())
s = np.linalg.svd(W, compute_uv=False)
for i in range(3):
    assert abs(float(got['weights/layers.0.W/sv%d' % (i + 1)]) - s[i]) < 1e-6 * s[0]
q = s / s.sum()
assert abs(float(got['weights/layers.0.W/eff_rank']) - np.exp(-(q * np.log(q)).sum())) < 1e-6
# orthonormal DFT over the token axis, each token block, k = 1..5
F = np.fft.rfft(W[:p], axis=0), np.fft.rfft(W[p:], axis=0)
e = sum(2 / p * np.abs(f) ** 2 for f in F)   # per frequency and column
tot = e.sum(axis=1)
for k in range(1, 6):
    assert abs(float(got['fourier/embed/k%d' % k]) - np.sqrt(tot[k])) < 1e-6 * np.sqrt(tot[k]), k
q = tot[1:] / tot[1:].sum()
assert abs(float(got['fourier/embed/ipr']) - (q ** 2).sum()) < 1e-6
c = e[1:].max(axis=0).sum() / e[1:].sum()
assert abs(float(got['fourier/embed/column_top1']) - c) < 1e-6
"
}

@test "concatenated runs: the second starts with no diff" {
	run -0 traj-diff --sv 0 "$V/concat.traj"
	refute_line --regexp $'^xor\t0\tdiff/'
	assert_line $'xor\t1\tdiff/b/rel_change\t1'
}

@test "--header prints the column names first" {
	run -0 traj-diff --header "$V/tiny.traj"
	assert_line --index 0 $'# run\tstep\tmetric\tvalue'
}

@test "reads standard input and -" {
	run -0 bash -c "traj-diff - <'$V/tiny.traj' | wc -l"
	assert_output 4
}

@test "a closed pipe ends quietly with status 0" {
	run -0 --separate-stderr bash -c "traj-diff '$RUN' | head -1 >/dev/null; exit \${PIPESTATUS[0]}"
	assert_equal "$stderr" ""
}

@test "bad input: not a stream, missing file, truncated, usage" {
	run -65 --separate-stderr traj-diff "$V/bad-magic.traj"
	assert_one_error_line traj-diff
	run -66 --separate-stderr traj-diff "$BATS_TEST_TMPDIR/none.traj"
	assert_one_error_line traj-diff
	run -75 --separate-stderr traj-diff --sv 0 -t w "$V/truncated.traj"
	[[ $stderr == *truncated* ]] || fail "stderr: $stderr"
	# every complete checkpoint was reported first
	assert_equal "$(printf '%s\n' "$output" | cut -f2 | sort -un | paste -sd' ')" "0 100"
	run -64 --separate-stderr traj-diff a b
	run -64 --separate-stderr traj-diff --bogus
	run -66 --separate-stderr traj-diff -r "$BATS_TEST_TMPDIR/none.traj" "$RUN"
	run -65 --separate-stderr traj-diff -r "$V/bad-crc.traj" "$RUN"
}

@test "a transformer's spectrum is that of embed.W_E rows 0..p-1 (numpy)" {
	have_numpy || skip "numpy not installed"
	tf="$BATS_TEST_TMPDIR/tf.traj"
	traj-train --quiet --model transformer --p 11 --d-model 16 --heads 2 --d-mlp 32 \
		--steps 10 --every 10 >"$tf"
	dump=$(traj-snapshot --step 10 -t embed.W_E --encoding raw "$tf" | zstd -dc | od -An -tf4 -v | tr -s ' \n' ' ')
	out=$(traj-diff --sv 0 -t embed.W_E "$tf" | awk -F'\t' '$2 == 10 && $3 ~ /^fourier/ { print $3, $4 }')
	run -0 /usr/bin/python3 -c "
import numpy as np
E = np.array('$dump'.split(), dtype=np.float32).astype(np.float64).reshape(12, 16)[:11]
got = dict(l.split() for l in '''$out'''.splitlines())
e = (2 / 11 * np.abs(np.fft.rfft(E, axis=0)) ** 2).sum(axis=1)
for k in range(1, 6):
    assert abs(float(got['fourier/embed/k%d' % k]) - np.sqrt(e[k])) < 1e-6 * np.sqrt(e[k]), k
"
}
