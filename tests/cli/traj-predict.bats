#!/usr/bin/env bats
# traj predict: predictions grouped by configuration, the figures, early
# features, the NumPy reference of its numbers, and the refusals.

setup() {
	load test_helper
	cd "$BATS_TEST_TMPDIR"
	# a synthetic collect table: 40 configurations (frac x wd) x 2 seeds;
	# a run generalises when frac is large enough and wd moderate, the
	# test step falls with frac
	awk 'BEGIN {
		OFS = "\t"
		print "id", "group", "status", "frac", "wd", "seed", "final_step",
		      "train_step", "test_step", "outcome", "delay"
		for (i = 0; i < 8; i++) for (j = 0; j < 5; j++) for (s = 1; s <= 2; s++) {
			frac = 0.2 + 0.1 * i; wd = 0.01 * 10 ^ j
			g = frac >= 0.5 && wd >= 0.1 && wd <= 10
			if (i == 3 && s == 2) g = !g  # a little noise
			step = int(100 * frac ^ -2)
			out = g ? (wd >= 1 ? "comprehension" : "grokking") : (wd > 10 ? "confusion" : "memorisation")
			print "r" i j s, "g" i j, "done", frac, wd, s, 3000, 60,
			      g ? step : "NA", out, g ? step - 60 : "NA"
		}
		print "r-run", "gx", "running", 0.5, 1, 1, "NA", "NA", "NA", "NA", "NA"
	}' >t.tsv
}

@test "predicts every run held out with its configuration; the figures in --report" {
	run -0 --separate-stderr traj-predict --report fig.tsv t.tsv
	assert_line --index 0 $'id\tgroup\tfold\toutcome\tpredicted_outcome\tgeneralises\tp_generalises\tlog_step\tpredicted_log_step'
	assert_equal "${#lines[@]}" 81
	# both seeds of a configuration are in the same fold
	assert_equal "$(tail -n +2 <<<"$output" | cut -f2,3 | sort -u | wc -l)" 40
	[[ $stderr == *"80 runs (1 left out), 40 configurations, 5 folds, 2 features"* ]] || fail "$stderr"
	run -0 cut -f1 fig.tsv
	assert_equal "$(head -10 <<<"$output" | tr '\n' ' ')" "n folds accuracy majority auroc brier outcome_accuracy log_step_n log_step_rmse log_step_mae "
	acc=$(awk '$1 == "accuracy" { print $2 }' fig.tsv)
	auroc=$(awk '$1 == "auroc" { print $2 }' fig.tsv)
	awk -v a="$acc" -v r="$auroc" 'BEGIN { exit !(a >= 0.9 && r >= 0.9) }' ||
		fail "accuracy $acc, AUROC $auroc on an easy table"
	# the calibration bins hold every run
	assert_equal "$(awk -F'\t' '$1 ~ /^calibration.*\/n$/ { s += $2 } END { print s }' fig.tsv)" 80
	# the step model beats the mean of the fit
	awk '$1 == "log_step_rmse" { r = $2 } $1 == "log_step_baseline_rmse" { b = $2 }
	     END { exit !(r < b) }' fig.tsv || fail "$(cat fig.tsv)"
}

@test "knn and the options of the model; the same seed, the same folds" {
	run -0 traj-predict -q --model knn -k 3 t.tsv
	assert_equal "${#lines[@]}" 81
	a=$(traj-predict -q --seed 7 t.tsv | cut -f3)
	b=$(traj-predict -q --seed 7 --degree 1 --l2 0.1 t.tsv | cut -f3)
	assert_equal "$a" "$b"
	run -64 traj-predict --model tree t.tsv
}

@test "early features: the value at the end of the first 10% of steps, or its change" {
	awk -F'\t' 'NR > 1 && $3 == "done" {
		for (s = 0; s <= 3000; s += 100)
			print $1 "\t" s "\ttest/loss\t" ($10 == "memorisation" || $10 == "confusion" ? 5 + s / 1000 : 5 - s / 1000)
	}' t.tsv >early.tsv
	run -0 --separate-stderr traj-predict --early early.tsv --features 'test/loss,delta:test/loss' --report fig.tsv t.tsv
	[[ $stderr == *"2 features"* ]] || fail "$stderr"
	# at step 300 (10% of 3000) the two kinds of runs are apart: perfect
	assert_equal "$(awk '$1 == "auroc" { print $2 }' fig.tsv)" 1
	run -65 --separate-stderr traj-predict --early early.tsv --features 'fourier/*' t.tsv
	assert_one_error_line traj-predict
	[[ $stderr == *"feature 'fourier/*': no such column"* ]] || fail "$stderr"
	grep -v '^r001' early.tsv >less.tsv
	run -65 --separate-stderr traj-predict --early less.tsv --features test/loss t.tsv
	assert_equal "$stderr" "traj-predict: run r001: no 'test/loss' line in its first 10% of steps"
}

@test "bad input: no target column, too few of a class, a constant feature" {
	cut -f1-9 t.tsv >no-outcome.tsv
	run -65 --separate-stderr traj-predict no-outcome.tsv
	assert_equal "$stderr" "traj-predict: no-outcome.tsv: no column 'outcome' (the target)"
	awk -F'\t' 'NR == 1 || $10 == "memorisation" || NR < 6' t.tsv >few.tsv
	run -65 --separate-stderr traj-predict few.tsv
	assert_one_error_line traj-predict
	[[ $stderr == *"runs generalise within the budget: at least 5 of each class are needed (--min-class)"* ]] || fail "$stderr"
	run -65 --separate-stderr traj-predict --features frac,seed,final_step t.tsv
	assert_equal "$stderr" "traj-predict: t.tsv: feature 'final_step' is constant (3000) over the 80 runs"
	run -65 --separate-stderr traj-predict --features outcome t.tsv
	assert_equal "$stderr" "traj-predict: t.tsv: feature 'outcome': 'memorisation' is not a number"
	run -65 --separate-stderr traj-predict --features log:seed,frac --folds 50 --min-class 5 t.tsv
	assert_equal "$stderr" "traj-predict: 40 configurations for 50 folds (--folds)"
	printf 'a\tb\n1\n' >ragged.tsv
	run -65 --separate-stderr traj-predict ragged.tsv
	assert_equal "$stderr" "traj-predict: ragged.tsv: line 2: 1 fields, the header has 2"
	run -66 traj-predict none.tsv
}

@test "its logistic regression, ridge and AUROC agree with an independent NumPy reference" {
	/usr/bin/python3 -c 'import numpy' 2>/dev/null ||
		skip "/usr/bin/python3 cannot import numpy (Debian: python3-numpy)"
	"$TRAJ_BUILD_DIR/tests/test_predict" >unit.out
	run -0 /usr/bin/python3 "$TRAJ_ROOT/bench/predict_reference.py" --check unit.out
	assert_line --partial "logistic_w0"
	assert_line --partial "auroc"
}
