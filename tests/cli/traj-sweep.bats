#!/usr/bin/env bats
# traj-sweep: sweep descriptions, run ids, plan, run on GNU parallel
# (resumable and never duplicated, also after kill -9), failed runs,
# and the refusals that come before anything runs.

# Every process under $1 (parallel puts each job in a process group of
# its own, so a group kill misses them): stopped first so that none
# forks or exits meanwhile, then killed at once.
tree() {
	local c
	echo "$1"
	for c in $(pgrep -P "$1"); do tree "$c"; done
}
kill_tree() {
	local pids
	pids=$(tree "$1")
	kill -STOP $pids 2>/dev/null || true
	pids=$(tree "$1")
	kill -KILL $pids 2>/dev/null || true
}

setup() {
	load test_helper
	command -v parallel >/dev/null ||
		skip "GNU parallel is not installed (scripts/deps.sh sweep)"
	AXES=(p=11 width=32 steps=40 every=10 frac=0.3,0.5 seed=1..2)
}

@test "--help prints usage on stdout with status 0" {
	run -0 traj-sweep --help
	assert_line --index 0 --partial "Usage: traj-sweep plan|run|slurm|job"
}

@test "plan prints one line per configuration: the run id, a tab, the traj train command" {
	run -0 traj-sweep plan "${AXES[@]}"
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 --regexp $'^frac0.3-seed1-[0-9a-f]{12}\ttraj train --p 11 --width 32 --steps 40 --every 10 --frac 0.3 --seed 1 --run-id frac0.3-seed1-[0-9a-f]{12} --threads 1 --quiet --out frac0.3-seed1-[0-9a-f]{12}.traj$'
	assert_line --index 3 --regexp $'^frac0.5-seed2-'
}

@test "a run id depends on the whole configuration and only on it" {
	run -0 traj-sweep plan "${AXES[@]}"
	a=$(printf '%s\n' "${lines[@]}" | cut -f1)
	# the same configurations, axes given in another order: the same ids
	run -0 traj-sweep plan seed=1,2 frac=0.3,0.5 every=10 steps=40 width=32 p=11
	b=$(printf '%s\n' "${lines[@]}" | cut -f1 | sort)
	assert_equal "$(sort <<<"$a")" "$b"
	# a changed fixed option changes every id
	run -0 traj-sweep plan p=11 width=32 steps=41 every=10 frac=0.3,0.5 seed=1..2
	c=$(printf '%s\n' "${lines[@]}" | cut -f1)
	assert_equal "$(comm -12 <(sort <<<"$a") <(sort <<<"$c"))" ""
	assert_equal "$(sort -u <<<"$a" | wc -l)" 4
}

@test "the plan's commands run under parallel as they are" {
	cd "$BATS_TEST_TMPDIR"
	PATH="$TRAJ_BUILD_DIR/bin:$PATH" bash -c \
		"traj-sweep plan p=11 width=32 steps=20 every=10 frac=0.3,0.5 | cut -f2 | sed 's/^traj train/traj-train/' | parallel --will-cite -j 2"
	run -0 ls
	assert_equal "$(ls ./*.traj | wc -l)" 2
}

@test "value forms: lists, integer ranges, lin and log grids, random draws with a seed, flags" {
	run -0 traj-sweep plan p=11 'lr=log:1e-4:1e-2:3' 'frac=lin:0.2:0.4:3' layernorm=yes,no model=transformer
	assert_equal "${#lines[@]}" 18
	assert_line --index 0 --partial "--lr 0.0001 --frac 0.2 --layernorm"
	assert_line --index 1 --partial "--lr 0.0001 --frac 0.2 --model"
	assert_line --index 17 --partial "--lr 0.01 --frac 0.4 --model"
	run -0 traj-sweep plan p=11 'wd=loguniform:0.01:1' 'seed=randint:1:1000' draws=5 draw-seed=7
	assert_equal "${#lines[@]}" 5
	first=$output
	run -0 traj-sweep plan p=11 'wd=loguniform:0.01:1' 'seed=randint:1:1000' draws=5 draw-seed=7
	assert_equal "$output" "$first"
	run -0 traj-sweep plan p=11 'wd=loguniform:0.01:1' 'seed=randint:1:1000' draws=5 draw-seed=8
	[ "$output" != "$first" ] || fail "another draw seed gave the same draws"
}

@test "a spec file gives axes; the command line replaces an axis of the same name" {
	printf '# a sweep\np = 11\nwidth=32   # narrow\nfrac = 0.3,0.5\n\nseed=1..3\n' \
		>"$BATS_TEST_TMPDIR/s.spec"
	run -0 traj-sweep plan --spec "$BATS_TEST_TMPDIR/s.spec" seed=5
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --partial "--p 11 --width 32 --frac 0.3 --seed 5"
}

@test "a malformed sweep is refused before anything runs, naming the axis" {
	cd "$BATS_TEST_TMPDIR"
	run -64 --separate-stderr traj-sweep run d p=11 bogus=1,2
	assert_one_error_line traj-sweep
	assert_equal "$stderr" "traj-sweep: axis 'bogus': traj train has no option --bogus"
	run -64 --separate-stderr traj-sweep run d p=11 'frac=lin:0.5:0.2:0'
	assert_equal "$stderr" "traj-sweep: axis 'frac': the number of points must be 1..100000"
	run -64 --separate-stderr traj-sweep run d p=11 seed=5..2
	assert_equal "$stderr" "traj-sweep: axis 'seed': empty range '5..2'"
	run -64 --separate-stderr traj-sweep run d p=11 frac=0.5,1.5
	assert_equal "$stderr" "traj-sweep: axis 'frac': value '1.5': traj train refuses it (--frac: 1.5 outside 0..1)"
	run -64 --separate-stderr traj-sweep run d p=11 out=x
	assert_equal "$stderr" "traj-sweep: axis 'out': traj sweep sets --out itself"
	run -64 --separate-stderr traj-sweep run d p=11 'wd=uniform:0:1'
	assert_equal "$stderr" "traj-sweep: axis 'wd': a random axis needs draws=N"
	run -64 --separate-stderr traj-sweep run d p=11 'frac=0.3;rm'
	assert_one_error_line traj-sweep
	[ ! -e d ] || fail "a refused sweep created its directory"
}

@test "run: every configuration trains and is scored; a second run does nothing" {
	cd "$BATS_TEST_TMPDIR"
	run -0 --separate-stderr traj-sweep run -j 2 sw "${AXES[@]}"
	assert_equal "$(ls sw/runs/*.done | wc -l)" 4
	assert_equal "$(ls sw/runs/*.tsv | wc -l)" 4
	assert_output ""
	[[ $stderr == *"4 configurations: 4 done, 0 failed, 0 unfinished"* ]] || fail "$stderr"
	id=$(basename sw/runs/frac0.3-seed2-*.cfg .cfg)
	run -0 awk -F'\t' -v id="$id" '$1 != id { bad = 1 } END { exit bad }' "sw/runs/$id.tsv"
	run -0 awk -F'\t' '$2 == 40 && $3 == "train/acc"' "sw/runs/$id.tsv"
	refute_output ""
	before=$(stat -c %Y sw/runs/*.traj | sort | tr '\n' ' ')
	run -0 --separate-stderr traj-sweep run -j 2 sw "${AXES[@]}"
	[[ $stderr == *"finished before"* ]] || fail "$stderr"
	[[ $stderr != *": done"* ]] || fail "a finished run ran again: $stderr"
	assert_equal "$(stat -c %Y sw/runs/*.traj | sort | tr '\n' ' ')" "$before"
}

@test "a directory that holds another sweep is refused unless --extend" {
	cd "$BATS_TEST_TMPDIR"
	traj-sweep -q run sw p=11 width=32 steps=20 frac=0.3
	run -64 --separate-stderr traj-sweep run sw p=11 width=32 steps=20 frac=0.5
	assert_equal "$stderr" "traj-sweep: 'sw' holds another sweep (its sweep.spec differs); --extend adds this one to it"
	run -0 traj-sweep -q run --extend sw p=11 width=32 steps=20 frac=0.5
	assert_equal "$(ls sw/runs/*.done | wc -l)" 2
	run -0 traj-sweep -q run sw p=11 width=32 steps=20 frac=0.3
}

@test "a configuration the trainer fails is recorded with its error line and stops no other" {
	cd "$BATS_TEST_TMPDIR"
	# moddiv with p=12 is refused (12 is not prime), though each value
	# passes the check in the first configuration that holds it
	run -0 --separate-stderr traj-sweep run sw width=32 steps=20 task=modadd,moddiv p=11,12
	[[ $stderr == *"3 done, 1 failed"* ]] || fail "$stderr"
	run -0 cat sw/runs/p12-task_moddiv-*.failed
	assert_output $'64\ttraj-train: --p: division needs a prime modulus, 12 is not prime'
	assert_equal "$(ls sw/runs/*.done | wc -l)" 3
}

@test "kill -9 of the whole sweep at random moments, then a re-run: the streams of an uninterrupted sweep, bit for bit" {
	cd "$BATS_TEST_TMPDIR"
	axes=(p=23 width=64 steps=1000 every=20 key-every=4 frac=0.3,0.5 seed=1..3)
	t0=$(date +%s.%N)
	traj-sweep -q run -j 2 ref "${axes[@]}"
	took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	# kill at random moments until every run has been caught at least
	# once in training or all are done; the moments are drawn within the
	# time the uninterrupted sweep took, so they fall inside it whatever
	# the machine's speed. A sweep that got done with no run resumed (an
	# idle machine, every kill before the runs wrote a checkpoint) tested
	# nothing: it starts over, up to 30 times in all.
	for _ in $(seq 30); do
		traj-sweep run -j 2 sw "${axes[@]}" 3>&- 2>>log &
		pid=$!
		# once the checks are done and parallel runs the jobs
		for _ in $(seq 200); do
			[ -z "$(pgrep -P "$pid")" ] || break
			sleep 0.05
		done
		sleep "$(awk -v r="$RANDOM" -v t="$took" 'BEGIN { print t * (0.1 + 0.7 * r / 32767) }')"
		kill_tree "$pid"
		wait "$pid" || true
		[ "$(ls sw/runs/*.done 2>/dev/null | wc -l)" -ge 6 ] || continue
		! grep -q ': resumed and done' log || break
		rm -rf sw
	done
	run -0 traj-sweep run -j 2 sw "${axes[@]}" 2>>log
	grep -q ': resumed and done' log || fail "no run was interrupted and resumed: $(cat log)"
	for f in ref/runs/*.traj ref/runs/*.tsv ref/runs/*.done ref/runs/*.cfg; do
		cmp "$f" "sw/${f#ref/}" || fail "$f differs after interruptions"
	done
	assert_equal "$(ls sw/runs/*.traj | wc -l)" 6
	assert_equal "$(ls sw/runs/*.done | wc -l)" 6
	[ -z "$(ls sw/runs/*.failed 2>/dev/null)" ] || fail "a run failed: $(cat sw/runs/*.failed)"
}

@test "GNU parallel missing: one line naming the Debian package" {
	cd "$BATS_TEST_TMPDIR"
	run -69 --separate-stderr env PATH="$TRAJ_BUILD_DIR/bin" traj-sweep run sw p=11 steps=10
	assert_equal "$stderr" "traj-sweep: parallel not found (Debian package: parallel)"
}

@test "slurm writes an array job script that runs 'traj-sweep job' per task" {
	cd "$BATS_TEST_TMPDIR"
	run -0 traj-sweep slurm --throttle 3 --time 10 --mem 500M --partition short sw "${AXES[@]}"
	script=$output
	run -0 cat "$script"
	assert_line "#SBATCH --array=0-3%3"
	assert_line "#SBATCH --time=10"
	assert_line "#SBATCH --mem=500M"
	assert_line "#SBATCH --partition=short"
	assert_line "#SBATCH --requeue"
	# run a task by hand the way Slurm does
	SLURM_ARRAY_TASK_ID=2 sh "$script"
	assert_equal "$(ls sw/runs/*.done | wc -l)" 1
	assert_equal "$(basename sw/runs/*.done .done)" "$(sed -n 3p sw/plan-*.ids)"
}
