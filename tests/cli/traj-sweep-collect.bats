#!/usr/bin/env bats
# traj sweep collect: one row per run, the outcome classes and their
# thresholds, runs in progress, and what is not a sweep directory.

setup() {
	load test_helper
	D=$BATS_TEST_TMPDIR/sw
	mkdir -p "$D/runs"
	echo 'frac=0.3,0.5' >"$D/sweep.spec"
}

# fake_run ID FRAC [-]: a configuration file; with -, a done run whose
# metric lines come from stdin.
fake_run() {
	printf '#group\tg%s\nfrac\t%s\n' "$2" "$2" >"$D/runs/$1.cfg"
	if [ "${3-}" = - ]; then
		cat >"$D/runs/$1.tsv"
		echo done >"$D/runs/$1.done"
	fi
}

# series ID "STEP TRAIN_ACC TEST_ACC" ...: metric lines of a run.
series() {
	local id=$1 s tr te
	shift
	for p in "$@"; do
		read -r s tr te <<<"$p"
		printf '%s\t%s\ttrain/loss\t%s\n%s\t%s\ttrain/acc\t%s\n' "$id" "$s" 0.5 "$id" "$s" "$tr"
		printf '%s\t%s\ttest/loss\t%s\n%s\t%s\ttest/acc\t%s\n' "$id" "$s" 1.5 "$id" "$s" "$te"
	done
}

# column NAME: the named column of the table in $output, one value a line
column_of() {
	awk -F'\t' -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next } { print $k }' <<<"$output"
}

@test "collect: the four outcome classes, transition steps and the grokking delay" {
	series comp "0 0 0" "100 0.95 0.5" "200 1 0.92" "1000 1 1" | fake_run a-comp 0.5 -
	series grok "0 0 0" "100 0.95 0" "500 1 0.3" "900 1 0.91" "1000 1 1" | fake_run b-grok 0.3 -
	series mem "0 0 0" "100 1 0" "1000 1 0.89" | fake_run c-mem 0.3 -
	series conf "0 0 0" "100 0.5 0" "1000 0.89 0.95" | fake_run d-conf 0.5 -
	run -0 --separate-stderr traj-sweep collect "$D"
	assert_line --index 0 $'id\tgroup\tstatus\tfrac\tfinal_step\ttrain_loss\ttrain_acc\ttest_loss\ttest_acc\ttrain_step\ttest_step\toutcome\tdelay'
	assert_line --index 1 $'a-comp\tg0.5\tdone\t0.5\t1000\t0.5\t1\t1.5\t1\t100\t200\tcomprehension\t100'
	assert_line --index 2 $'b-grok\tg0.3\tdone\t0.3\t1000\t0.5\t1\t1.5\t1\t100\t900\tgrokking\t800'
	assert_line --index 3 $'c-mem\tg0.3\tdone\t0.3\t1000\t0.5\t1\t1.5\t0.89\t100\tNA\tmemorisation\tNA'
	assert_line --index 4 $'d-conf\tg0.5\tdone\t0.5\t1000\t0.5\t0.89\t1.5\t0.95\tNA\t1000\tconfusion\tNA'
	assert_equal "${#lines[@]}" 5
}

@test "collect: the thresholds and the grokking ratio are options" {
	series grok "0 0 0" "100 0.95 0" "500 1 0.3" "900 1 0.91" "1000 1 1" | fake_run b-grok 0.3 -
	series mem "0 0 0" "100 1 0" "1000 1 0.89" | fake_run c-mem 0.3 -
	run -0 traj-sweep collect --grok-ratio 10 "$D"
	assert_equal "$(column_of outcome | tr '\n' ' ')" "comprehension memorisation "
	run -0 traj-sweep collect --test-acc 0.85 "$D"
	assert_equal "$(column_of test_step | tr '\n' ' ')" "900 1000 "
	run -0 traj-sweep collect --train-acc 0.99 "$D"
	assert_equal "$(column_of train_step | tr '\n' ' ')" "500 100 "
	assert_equal "$(column_of delay | tr '\n' ' ')" "400 NA "
}

@test "collect: runs still in progress, failed or pending are marked so" {
	series grok "0 0 0" "100 1 1" | fake_run a-done 0.3 -
	fake_run b-pending 0.5
	fake_run c-interrupted 0.3
	: >"$D/runs/c-interrupted.traj"
	fake_run d-failed 0.5
	printf '65\tdiverged\n' >"$D/runs/d-failed.failed"
	fake_run e-running 0.5
	run -0 traj-sweep collect "$D"
	assert_equal "$(column_of status | tr '\n' ' ')" "done pending interrupted failed pending "
	# a run whose lock is held is running
	flock "$D/runs/e-running.lock" traj-sweep collect "$D" >"$BATS_TEST_TMPDIR/t"
	run cut -f3,13 "$BATS_TEST_TMPDIR/t"
	assert_line --index 5 $'running\tNA'
	assert_line --index 2 $'pending\tNA'
}

@test "collect: a real sweep on GNU parallel, one row per run" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	run -0 traj-sweep run -q -j 2 "$BATS_TEST_TMPDIR/real" p=11 width=32 steps=60 every=10 frac=0.3,0.6 seed=1..2
	run -0 traj-sweep collect "$BATS_TEST_TMPDIR/real"
	assert_equal "${#lines[@]}" 5
	assert_line --index 0 --regexp $'^id\tgroup\tstatus\tp\twidth\tsteps\tevery\tfrac\tseed\tfinal_step\t'
	assert_equal "$(column_of status | sort -u)" done
	assert_equal "$(column_of final_step | sort -u)" 60
	# configurations that differ only in their seed share their group
	assert_equal "$(column_of group | sort -u | wc -l)" 2
	# the final scores are those of the last metric lines
	id=$(column_of id | head -1)
	want=$(awk '$3 == "test/acc" { v = $4 } END { print v }' "$BATS_TEST_TMPDIR/real/runs/$id.tsv")
	assert_equal "$(column_of test_acc | head -1)" "$want"
}

@test "collect: not a sweep directory, no directory, no DIR" {
	mkdir "$BATS_TEST_TMPDIR/plain"
	run -65 --separate-stderr traj-sweep collect "$BATS_TEST_TMPDIR/plain"
	assert_one_error_line traj-sweep
	assert_equal "$stderr" "traj-sweep: '$BATS_TEST_TMPDIR/plain': not a sweep directory (no sweep.spec)"
	run -66 --separate-stderr traj-sweep collect "$BATS_TEST_TMPDIR/none"
	assert_one_error_line traj-sweep
	run -64 traj-sweep collect
	printf 'a\t1\ttrain/acc\n' | fake_run bad 0.3 -
	run -65 --separate-stderr traj-sweep collect "$D"
	[[ $stderr == *"bad.tsv: line 1: "* ]] || fail "$stderr"
}
