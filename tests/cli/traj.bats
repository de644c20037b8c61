#!/usr/bin/env bats
# The git-style dispatcher.

setup() { load test_helper; }

@test "traj --help lists the commands on stdout" {
	run -0 --separate-stderr traj --help
	assert_output --partial "Usage: traj COMMAND"
	assert_output --partial "train"
	assert_output --partial "score"
	[ -z "$stderr" ]
}

@test "traj --version names the program and version" {
	run -0 traj --version
	assert_output --regexp '^traj \(traj\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "traj train runs traj-train with the arguments" {
	run -0 traj train --help
	assert_output --partial "Usage: traj-train"
}

@test "traj help score shows the help of traj-score" {
	run -0 traj help score
	assert_output --partial "Usage: traj-score"
}

@test "traj with no command is a usage error" {
	run -64 --separate-stderr traj
	assert_equal "${stderr_lines[0]}" "traj: missing command"
}

@test "traj with an unknown command says so, status 64" {
	run -64 --separate-stderr traj frobnicate
	[[ ${stderr_lines[0]} == *"'frobnicate' is not a traj command"* ]]
}

@test "traj refuses command names that look like paths" {
	run -64 --separate-stderr traj ../../bin/sh
	[[ $stderr == *"is not a traj command"* ]]
}

@test "traj finds its tools next to itself without PATH" {
	run -0 env PATH=/usr/bin:/bin "$TRAJ_BUILD_DIR/bin/traj" score --version
	assert_output --partial "traj-score (traj)"
}

@test "traj train | traj score works as a pipeline" {
	run -0 bash -c "traj train --quiet --p 11 --width 16 --steps 20 --every 10 | traj score | wc -l"
	assert_output "12"
}
