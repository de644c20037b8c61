#!/usr/bin/env bats
# A run pinned to an OpenBLAS core gives the same bits on every machine
# that has the core's instructions (docs/reproducibility.md): the stream
# of a small pinned run must hash to the figure published there, its
# header records what the bits depend on, and --resume pins the run's
# core whatever the environment asks for.

setup() { load test_helper; }

has_flag() { grep -qw "$1" /proc/cpuinfo; }

pinned() {
	traj-train --quiet --p 11 --width 32 --steps 100 --every 10 --threads 1 \
		--blas-core Haswell "$@"
}

# The figures of docs/reproducibility.md, made with Debian 12's OpenBLAS
# 0.3.21 and zstd 1.5.4 (the stream holds their versions and zstd's
# bytes); the scores depend on the weights only.
STREAM_SHA=4fc847c2eab92a1d16705415ed4a4f9e7aaa6907c15c17d3adee9b92eeed1066
SCORES_SHA=f2e2e552ed9ae7f51018f244b2c1099257979f660122fded8c4f90feb8d2ec16

@test "a run pinned to Haswell reproduces the published sha256" {
	has_flag avx2 && has_flag fma || skip "this CPU cannot run the Haswell kernels"
	pinned -o "$BATS_TEST_TMPDIR/p.traj"
	run -0 env OPENBLAS_CORETYPE=Haswell traj-score --threads 1 "$BATS_TEST_TMPDIR/p.traj"
	assert_equal "$(printf '%s\n' "$output" | sha256sum | cut -d' ' -f1)" "$SCORES_SHA"
	head=$(head -c 2000 "$BATS_TEST_TMPDIR/p.traj" | tr -c '[:print:]' '\n' | grep -o '"build":{[^}]*}')
	if [[ $head == *'"OpenBLAS 0.3.21 '* && $head == *'"zstd":"1.5.4"'* ]]; then
		assert_equal "$(sha256sum <"$BATS_TEST_TMPDIR/p.traj" | cut -d' ' -f1)" "$STREAM_SHA"
	fi
}

@test "the header records the versions, the core and the pin" {
	has_flag avx2 && has_flag fma || skip "this CPU cannot run the Haswell kernels"
	pinned -o "$BATS_TEST_TMPDIR/p.traj"
	head=$(head -c 2000 "$BATS_TEST_TMPDIR/p.traj" | tr -c '[:print:]' '\n')
	[[ $head == *'"blas_core":"Haswell"},"writer"'* ]] || fail "train.blas_core: $head"
	[[ $head == *'"build":{"traj":"'*'","openblas":"OpenBLAS '*'","blas_core":"Haswell","zstd":"'* ]] || fail "build: $head"
	[[ $head == *'"threads":1'* ]] || fail "threads: $head"
	# an unpinned run says which core OpenBLAS chose, and no pin
	traj-train --quiet --p 11 --width 8 --steps 1 -o "$BATS_TEST_TMPDIR/u.traj"
	head=$(head -c 2000 "$BATS_TEST_TMPDIR/u.traj" | tr -c '[:print:]' '\n')
	[[ $head == *'"build":{'*'"blas_core":"'* ]] || fail "$head"
	[[ $head != *'"state":"key","blas_core"'* ]] || fail "unpinned run records a pin: $head"
	# readers that do not know the fields ignore them
	run -0 --separate-stderr traj-score "$BATS_TEST_TMPDIR/p.traj"
}

@test "TRAJ_BLAS_CORE pins like --blas-core; an unknown or impossible core is a usage error" {
	has_flag avx2 && has_flag fma || skip "this CPU cannot run the Haswell kernels"
	run -0 cmp <(pinned) <(TRAJ_BLAS_CORE=haswell traj-train --quiet --p 11 --width 32 \
		--steps 100 --every 10 --threads 1)
	run -64 --separate-stderr traj-train --blas-core Pentium4 --steps 1
	[[ ${stderr_lines[0]} == "traj-train: --blas-core: unknown BLAS core 'Pentium4'"* ]] || fail "$stderr"
	if ! has_flag avx512_bf16; then
		run -64 --separate-stderr traj-train --blas-core Cooperlake --steps 1
		[[ $stderr == *"lacks"* ]] || fail "$stderr"
	fi
}

@test "--resume pins the run's core even when the environment asks for another" {
	has_flag avx512f && has_flag avx512bw && has_flag avx512vl && has_flag avx512dq &&
		has_flag avx512cd || skip "needs a CPU that runs the SkylakeX kernels too"
	f=$BATS_TEST_TMPDIR/r.traj
	pinned --key-every 2 -o "$BATS_TEST_TMPDIR/full.traj"
	# the SkylakeX kernels give other bits on this run (else the test is void)
	traj-train --quiet --p 11 --width 32 --steps 100 --every 10 --threads 1 \
		--key-every 2 --blas-core SkylakeX -o "$BATS_TEST_TMPDIR/sk.traj"
	if cmp -s <(OPENBLAS_CORETYPE=Haswell traj-score --threads 1 "$BATS_TEST_TMPDIR/sk.traj") \
		  <(OPENBLAS_CORETYPE=Haswell traj-score --threads 1 "$BATS_TEST_TMPDIR/full.traj"); then
		skip "Haswell and SkylakeX kernels agree on this run"
	fi
	head -c "$(( $(stat -c %s "$BATS_TEST_TMPDIR/full.traj") * 2 / 3 ))" "$BATS_TEST_TMPDIR/full.traj" >"$f"
	OPENBLAS_CORETYPE=SkylakeX run -0 --separate-stderr traj-train --quiet --resume "$f"
	run -0 cmp "$f" "$BATS_TEST_TMPDIR/full.traj"
}
