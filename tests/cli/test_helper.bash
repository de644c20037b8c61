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

# Whether Debian's /usr/bin/python3 can import torch (the PyTorch
# cross-checks): sets and exports HAVE_TORCH (1 or 0); status 0 if so.
detect_torch() {
	HAVE_TORCH=0
	/usr/bin/python3 -c 'import torch' 2>/dev/null && HAVE_TORCH=1
	export HAVE_TORCH
	[ "$HAVE_TORCH" = 1 ]
}

skip_without_torch() {
	[ "$HAVE_TORCH" = 1 ] ||
		skip "/usr/bin/python3 cannot import torch (Debian: apt-get install python3-torch)"
}

# out_value METRIC: the value of metric line METRIC in $output (from run).
out_value() {
	printf '%s\n' "$output" | awk -F'\t' -v m="$1" '$3 == m { print $4 }'
}

# The components a --circuit run kept ($output), one a line.
circuit_kept() {
	printf '%s\n' "$output" | awk -F'\t' '$3 ~ /importance$/ {
		sub(/^circuit\//, "", $3); sub(/\/importance$/, "", $3); print $3 }'
}

# nan_stream OUT: a small MLP run whose one checkpoint has every weight
# NaN (through an npy export edited by NumPy); skips without NumPy.
nan_stream() {
	/usr/bin/python3 -c 'import numpy' 2>/dev/null || skip "no NumPy"
	local dir=$BATS_TEST_TMPDIR/nan
	small_train --steps 20 --every 10 >"$dir.traj"
	traj-convert --export npy "$dir" --step 20 "$dir.traj"
	/usr/bin/python3 - "$dir" <<'PY'
import glob, sys
import numpy as np
for f in glob.glob(sys.argv[1] + "/*.npy"):
    a = np.load(f)
    a[...] = np.nan
    np.save(f, a)
PY
	traj-convert --import npy "$dir" >"$1"
}
