# Shared set-up for the BATS suites: built tools first on PATH, assertions.
bats_require_minimum_version 1.5.0
TRAJ_ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
TRAJ_BUILD_DIR="$TRAJ_ROOT/${TRAJ_BUILD:-build}"
PATH="$TRAJ_BUILD_DIR/bin:$PATH"
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2}

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

# A small, fast run: p=11 trains in well under a second.
small_train() {
	traj-train --quiet --p 11 --width 32 --steps 40 --every 10 "$@"
}

# Asserts that stderr ($stderr, from run --separate-stderr) is exactly one
# line that starts with the program name.
assert_one_error_line() {
	local prog=$1
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] ||
		fail "expected one line on stderr, got: $stderr"
	[[ $stderr == "$prog: "* ]] || fail "stderr does not start with '$prog: ': $stderr"
}
