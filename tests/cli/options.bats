#!/usr/bin/env bats
# Every program's options come from one table (lib/cli/options.h): the
# --help text lists them, the man page documents each, and a bad option is
# one line plus the "Try --help" hint, status 64.

setup() { load test_helper; }

tools() {
	for src in "$TRAJ_ROOT"/bin/traj-*.c; do
		basename "$src" .c
	done
}

@test "every long option in a program's --help is documented in its man page" {
	for tool in $(tools); do
		page=$TRAJ_ROOT/man/$tool.1
		[ -f "$page" ] || fail "$tool has no man page"
		for opt in $("$tool" --help | grep -oE '^ +(-[a-zA-Z0-9], )?--[a-z0-9][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+'); do
			roff=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
			grep -qE -- "$roff|$opt" "$page" ||
				fail "$tool: $opt is in --help but not in man/$tool.1"
		done
	done
}

@test "--help goes to stdout with status 0, --version names the program" {
	for tool in $(tools); do
		run -0 --separate-stderr "$tool" --help
		[[ $output == "Usage: $tool"* ]] || fail "$tool --help: $output"
		[ -z "$stderr" ]
		run -0 "$tool" --version
		[[ $output == "$tool "* ]] || fail "$tool --version: $output"
	done
}

@test "traj-emerge: a missing value names the option" {
	run -64 --separate-stderr traj-emerge --when
	assert_equal "${stderr%%$'\n'*}" "traj-emerge: --when: a value is required"
}

@test "an unknown option is exactly two lines, the error and the hint, status 64, for every tool" {
	for tool in $(tools); do
		run -64 --separate-stderr "$tool" --no-such-option
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 2 ] ||
			fail "$tool: $stderr"
		[[ ${stderr%%$'\n'*} == "$tool: "*no-such-option* ]] || fail "$tool: $stderr"
		[[ ${stderr#*$'\n'} == "Try '$tool --help' for more information." ]] ||
			fail "$tool: $stderr"
		[ -z "$output" ] || fail "$tool wrote to stdout: $output"
	done
}

@test "a tool that reads one stream refuses a second FILE in one usage line, status 64" {
	for tool in traj-ablate traj-attack traj-llc traj-probe traj-progress traj-prune traj-score; do
		run -64 --separate-stderr "$tool" a b
		[ "${stderr%%$'\n'*}" = "$tool: expected at most one FILE, got 2" ] || fail "$tool: $stderr"
		[ -z "$output" ] || fail "$tool wrote to stdout: $output"
	done
}
