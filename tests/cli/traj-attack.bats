#!/usr/bin/env bats
# traj-attack on a small Fashion-MNIST MLP: what the attacks must satisfy
# whatever the model (eps 0 is clean, PGD at least as strong as FGSM, the
# box and the ball), the output, and bad input.

setup_file() {
	load test_helper
	[ -d "${TRAJ_FASHION_DIR:-/usr/share/datasets/fashion-mnist}" ] || return 0
	traj-train --quiet --task fashion --width 64 --depth 1 --steps 150 \
		--every 50 --n-train 3000 --n-test 300 --batch 64 --lr 2e-3 \
		--no-state --out "$BATS_FILE_TMPDIR/fash.traj"
}

setup() {
	load test_helper
	[ -f "$BATS_FILE_TMPDIR/fash.traj" ] ||
		skip "Debian's dataset-fashion-mnist is not installed (scripts/deps.sh data)"
	F=$BATS_FILE_TMPDIR/fash.traj
}

@test "clean accuracy is traj score's test accuracy on the same examples" {
	run -0 --separate-stderr traj-attack -q -m fgsm -e 0.1 "$F"
	clean=$(printf '%s\n' "$output" | awk -F'\t' '$3 == "attack/clean/acc" { print $2, $4 }')
	score=$(traj-score "$F" | awk -F'\t' '$3 == "test/acc" { print $2, $4 }')
	[ -n "$clean" ]
	assert_equal "$clean" "$score"
}

@test "at eps 0 every attack gives exactly the clean accuracy" {
	for norm in linf l2; do
		run -0 --separate-stderr traj-attack -q --last --norm $norm -e 0 \
			--restarts 2 "$F"
		clean=$(out_value attack/clean/acc)
		assert_equal "$(out_value attack/fgsm/$norm/0/acc)" "$clean"
		assert_equal "$(out_value attack/pgd/$norm/0/acc)" "$clean"
	done
}

@test "PGD with restarts is never weaker than FGSM, on every checkpoint" {
	run -0 --separate-stderr traj-attack -q -e 0.02,0.05,0.1 -n 20 \
		--restarts 2 "$F"
	printf '%s\n' "$output" | awk -F'\t' '
		$3 ~ /^attack\/fgsm\/.*\/acc$/ { k = $2 " " $3; sub(/fgsm/, "pgd", k); f[k] = $4 }
		$3 ~ /^attack\/pgd\/.*\/acc$/ { p[$2 " " $3] = $4 }
		END { n = 0
		      for (k in p) { n++; if (p[k] > f[k]) { print "weaker: " k, p[k], f[k]; bad = 1 } }
		      if (n != 12) { print "pairs: " n; bad = 1 }
		      exit bad }'
	# and the attack does something: accuracy falls as eps grows
	run -0 traj-attack -q --last -m pgd -e 0.02,0.1 -n 20 "$F"
	awk -v a="$(out_value attack/pgd/linf/0.02/acc)" -v b="$(out_value attack/pgd/linf/0.1/acc)" \
		-v c="$(out_value attack/clean/acc)" 'BEGIN { exit !(b < a && a < c) }'
}

@test "--save: adversarial inputs inside [0,1] and the ball, the labels" {
	/usr/bin/python3 -c 'import numpy' 2>/dev/null || skip "no numpy"
	for norm in linf l2; do
		eps=0.1; [ $norm = l2 ] && eps=1.5
		run -0 traj-attack -q --last -m pgd --norm $norm -e $eps -n 10 \
			--save "$BATS_TEST_TMPDIR/adv.npz" "$F"
		run -0 /usr/bin/python3 - "$BATS_TEST_TMPDIR/adv.npz" $norm $eps <<'PY'
import sys, numpy as np
z = np.load(sys.argv[1]); norm = sys.argv[2]; eps = float(sys.argv[3])
adv, d, y, p = z["adv"], z["delta"], z["label"], z["pred"]
assert adv.shape == (300, 784) and d.shape == adv.shape, adv.shape
assert y.shape == (300,) and p.shape == (300,)
assert adv.min() >= 0 and adv.max() <= 1
size = np.abs(d).max(1) if norm == "linf" else np.sqrt((d.astype(np.float64) ** 2).sum(1))
assert (size <= eps * (1 + 1e-5)).all(), size.max()
assert (size > 0.5 * eps).mean() > 0.5
print((p == y).mean())
PY
		acc=$(traj-attack -q --last -m pgd --norm $norm -e $eps -n 10 "$F" |
			awk -F'\t' -v m="attack/pgd/$norm/$eps/acc" '$3 == m { print $4 }')
		awk -v a="$output" -v b="$acc" 'BEGIN { exit !((a - b) ^ 2 < 1e-12) }'
	done
}

@test "the same seed gives the same lines; another seed other starts" {
	a=$(traj-attack -q --threads 2 --last -e 0.05 --restarts 2 "$F")
	b=$(traj-attack -q --threads 2 --last -e 0.05 --restarts 2 "$F")
	assert_equal "$a" "$b"
	c=$(traj-attack -q --threads 2 --last -e 0.05 --restarts 2 --seed 7 "$F")
	[ "$a" != "$c" ]
}

@test "--min-eps: ordered quartiles within the bound; targeted hits grow with eps" {
	run -0 traj-attack -q --last -m pgd -e 0.1 -n 10 --min-eps 0.3 --bisections 6 "$F"
	q1=$(out_value attack/pgd/linf/min_eps/q1)
	med=$(out_value attack/pgd/linf/min_eps/median)
	q3=$(out_value attack/pgd/linf/min_eps/q3)
	awk -v a="$q1" -v b="$med" -v c="$q3" 'BEGIN { exit !(0 <= a && a <= b && b <= c && c <= 0.3 && b > 0) }'
	run -0 traj-attack -q --last -m pgd -e 0.01,0.2 -n 10 --target next "$F"
	awk -v a="$(out_value attack/pgd/linf/0.01/hit)" -v b="$(out_value attack/pgd/linf/0.2/hit)" \
		'BEGIN { exit !(a < b && b > 0.5) }'
}

@test "a model with token input is refused in one line" {
	small_train --out "$BATS_TEST_TMPDIR/tok.traj"
	run -64 --separate-stderr traj-attack "$BATS_TEST_TMPDIR/tok.traj"
	assert_one_error_line traj-attack
	[[ $stderr == *"takes tokens"* ]]
}

@test "bad values are one usage line; a large step warns" {
	for args in "-e -0.1" "-e nan" "-e 0.1,x" "-n 0" "--norm l3" "-m cw" \
		"--restarts 0" "--split dev" "--target -1" "-e 0.1,8" \
		"--norm l2 -e 1,40"; do
		run -64 --separate-stderr traj-attack $args "$F"
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 2 ] || fail "$args: $stderr"
		[[ $stderr == "traj-attack: "* ]] || fail "$args: $stderr"
	done
	run -0 --separate-stderr traj-attack -q --last -m pgd -e 0.05 --step-size 0.1 -n 2 "$F"
	[[ $stderr == *"larger than --eps"* ]]
	for eps in 0.1 0.25; do
		run -0 --separate-stderr traj-attack -q --last -m fgsm --norm l2 -e $eps "$F"
		[[ $stderr == *"warning: --eps $eps with --norm l2"* ]] || fail "$eps: $stderr"
	done
	run -0 --separate-stderr traj-attack -q --last -m fgsm --norm l2 -e 1 "$F"
	assert_equal "$stderr" ""
	run -65 --separate-stderr traj-attack -q --step 77 "$F"
	assert_one_error_line traj-attack
}

@test "traj-ablate --inputs: the attack's examples, its accuracy as the clean pass" {
	run -0 --separate-stderr traj-attack -q --last -m pgd -e 0.1 -n 10 \
		--save "$BATS_TEST_TMPDIR/adv.npz" "$F"
	robust=$(out_value attack/pgd/linf/0.1/acc)
	run -0 --separate-stderr traj-ablate -q -m zero -c 'layers.0.n*' \
		--inputs "$BATS_TEST_TMPDIR/adv.npz" "$F"
	assert_equal "$(out_value ablate/clean/acc)" "$robust"
	clean=$(traj-score "$F" | awk -F'\t' '$3 == "test/acc" { v = $4 } END { print v }')
	[ "$robust" != "$clean" ]
}

@test "traj-ablate --inputs: a missing file, arrays that are not inputs, tokens" {
	run -66 --separate-stderr traj-ablate -q --inputs "$BATS_TEST_TMPDIR/none.npz" "$F"
	assert_one_error_line traj-ablate
	traj-convert --export npz "$BATS_TEST_TMPDIR/w.npz" "$F"
	run -65 --separate-stderr traj-ablate -q --inputs "$BATS_TEST_TMPDIR/w.npz" "$F"
	assert_one_error_line traj-ablate
	[[ $stderr == *"w.npz: no array 'adv'"* ]]
	small_train --out "$BATS_TEST_TMPDIR/tok.traj"
	run -64 --separate-stderr traj-ablate -q --inputs "$BATS_TEST_TMPDIR/w.npz" \
		"$BATS_TEST_TMPDIR/tok.traj"
	assert_one_error_line traj-ablate
	[[ $stderr == *"input is tokens"* ]]
}

@test "--ablate: the clean pass is traj-ablate's zero ablation; the attack sees it" {
	set -- layers.0.n1,'layers.0.n2*'
	run -0 --separate-stderr traj-attack -q --last -m pgd -e 0,0.1 -n 10 --ablate "$1" "$F"
	acc=$(out_value attack/clean/acc)
	loss=$(out_value attack/clean/loss)
	assert_equal "$(out_value attack/pgd/linf/0/acc)" "$acc"
	whole=$(traj-attack -q --last -m pgd -e 0.1 -n 10 "$F" |
		awk -F'\t' '$3 == "attack/pgd/linf/0.1/loss" { print $4 }')
	[ "$(out_value attack/pgd/linf/0.1/loss)" != "$whole" ]
	run -0 --separate-stderr traj-ablate -q -m zero --joint -c "$1" "$F"
	assert_equal "$(out_value ablate/joint/acc)" "$acc"
	awk -v a="$(out_value ablate/clean/loss)" -v d="$(out_value ablate/joint/loss_delta)" \
		-v l="$loss" 'BEGIN { e = a + d - l; exit !(e * e < 1e-10) }'
	run -64 --separate-stderr traj-attack -q --ablate 'layers.0.x' "$F"
	assert_one_error_line traj-attack
	[[ $stderr == *"valid: layers.0, layers.0.n0..63"* ]]
}
