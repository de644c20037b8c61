#!/usr/bin/env bats
# scripts/slurm-local.sh: a real one-node Slurm (munged, slurmctld,
# slurmd) that the sweep tests submit to. Needs root and Debian's
# slurm-wlm and munge (scripts/deps.sh sweep); .ci/run has both.

setup_file() {
	export SLDIR=$BATS_FILE_TMPDIR/slurm
}

setup() {
	load test_helper
	[ "$(id -u)" -eq 0 ] || skip "needs root (the Slurm daemons switch users)"
	command -v sbatch >/dev/null || skip "slurm-wlm is not installed (scripts/deps.sh sweep)"
}

teardown_file() {
	[ -d "${SLDIR:-}" ] && "$BATS_TEST_DIRNAME/../../scripts/slurm-local.sh" stop "$SLDIR"
	return 0
}

@test "slurm-local starts a cluster that runs an array job and stops every daemon" {
	run -0 "$TRAJ_ROOT/scripts/slurm-local.sh" start "$SLDIR"
	eval "$output"
	printf '#!/bin/sh\necho "task $SLURM_ARRAY_TASK_ID"\n' >"$BATS_TEST_TMPDIR/job.sh"
	jid=$(sbatch --parsable --array=0-3 --output="$BATS_TEST_TMPDIR/out-%a.txt" \
		"$BATS_TEST_TMPDIR/job.sh")
	for _ in $(seq 300); do
		[ -z "$(squeue -h -j "$jid" 2>/dev/null)" ] && break
		sleep 0.2
	done
	[ -z "$(squeue -h -j "$jid")" ] || fail "job $jid still queued after 60 s: $(squeue)"
	for i in 0 1 2 3; do
		assert_equal "$(cat "$BATS_TEST_TMPDIR/out-$i.txt")" "task $i"
	done
	run -0 "$TRAJ_ROOT/scripts/slurm-local.sh" stop "$SLDIR"
	sleep 0.5
	run ! pgrep -f "slurmctld -f $SLDIR"
	run ! scontrol ping
}
