#!/usr/bin/env bats
# traj sweep slurm --submit on a real one-node Slurm (scripts/slurm-local.sh:
# munged, slurmctld, slurmd on this host): the array job's runs equal the
# GNU parallel run of the same sweep, bit for bit. Needs root and Debian's
# slurm-wlm, munge and parallel (scripts/deps.sh sweep); .ci/run has them.

setup_file() {
	export SLDIR=$BATS_FILE_TMPDIR/slurm
}

setup() {
	load test_helper
	[ "$(id -u)" -eq 0 ] || skip "needs root (the Slurm daemons switch users)"
	command -v sbatch >/dev/null || skip "slurm-wlm is not installed (scripts/deps.sh sweep)"
	command -v parallel >/dev/null || skip "parallel is not installed (scripts/deps.sh sweep)"
}

teardown_file() {
	[ -d "${SLDIR:-}" ] && "$BATS_TEST_DIRNAME/../../scripts/slurm-local.sh" stop "$SLDIR"
	return 0
}

@test "a sweep submitted to Slurm gives the GNU parallel run's streams and metric lines, bit for bit" {
	cd "$BATS_TEST_TMPDIR"
	axes=(p=11 width=32 steps=100 every=10 frac=0.3,0.5 seed=1..2 wd=0.1,1)
	run -0 "$TRAJ_ROOT/scripts/slurm-local.sh" start "$SLDIR"
	eval "$output"
	run -0 --separate-stderr traj-sweep slurm --submit --throttle 2 --time 10 bySlurm "${axes[@]}"
	jid=$output
	[[ $jid =~ ^[0-9]+$ ]] || fail "sbatch printed '$jid'"
	traj-sweep -q run -j 2 byParallel "${axes[@]}"
	for _ in $(seq 600); do
		[ -z "$(squeue -h -j "$jid" 2>/dev/null)" ] && break
		sleep 0.2
	done
	[ -z "$(squeue -h -j "$jid")" ] || fail "job $jid still queued after 120 s: $(squeue)"
	assert_equal "$(ls bySlurm/runs/*.done | wc -l)" 8
	assert_equal "$(ls bySlurm/slurm/*.out | wc -l)" 8
	for f in byParallel/runs/*.traj byParallel/runs/*.tsv byParallel/runs/*.cfg; do
		cmp "$f" "bySlurm/${f#byParallel/}" || fail "$f differs"
	done
	# a task run again (a requeue) does nothing
	run -0 --separate-stderr traj-sweep slurm --submit bySlurm "${axes[@]}"
	jid=$output
	for _ in $(seq 600); do
		[ -z "$(squeue -h -j "$jid" 2>/dev/null)" ] && break
		sleep 0.2
	done
	run -0 cat bySlurm/slurm/"${jid}"_0.out
	assert_output --partial ": finished before"
	run -0 "$TRAJ_ROOT/scripts/slurm-local.sh" stop "$SLDIR"
}
