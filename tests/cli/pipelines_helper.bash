# Shared by the study tests (pipelines*.bats): every study script in
# pipelines/ at its quick size (QUICK=1) runs, and the figures it prints
# fall in the ranges documented for that size (pipelines/lib/range.sh), so
# a study cannot rot unseen.

pipelines_setup() {
	load test_helper
	[ -z "${TRAJ_SANITIZED:-}" ] ||
		skip "the studies run in the plain suite; under the sanitizers they take too long"
	export QUICK=1 TRAJ_BIN=$TRAJ_BUILD_DIR/bin
	P=$TRAJ_ROOT/pipelines
	W=$BATS_FILE_TMPDIR
}

# For the studies of Fashion-MNIST: skip where Debian's data is missing.
need_fashion() {
	[ -d "${TRAJ_FASHION_DIR:-/usr/share/datasets/fashion-mnist}" ] ||
		skip "Debian's dataset-fashion-mnist is not installed (scripts/deps.sh data)"
}

in_range() {
	assert_line --regexp '^range check: all [0-9]+ figures in range \(quick size\)$'
}

# The quick streams, made on first use in a file (or by the tests of their
# studies).
grok_stream() {
	[ -s "$W/grok/run.traj" ] || "$P/transformer-grokking.sh" "$W/grok" >/dev/null 2>&1
	echo "$W/grok/run.traj"
}
induction_stream() {
	[ -s "$W/induction/run.traj" ] || "$P/induction.sh" "$W/induction" >/dev/null 2>&1
	echo "$W/induction/run.traj"
}
