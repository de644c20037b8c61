#!/usr/bin/env bats
# Nothing read from a stream or an imported file becomes a path outside
# the directory the user named (a hostile tensor name or run id is one
# error line naming it, status 65), and -o PATH writes where it is told
# without replacing what PATH is.

setup_file() {
	load test_helper
	RUN="$BATS_FILE_TMPDIR/run.traj"
	small_train --steps 20 --every 10 >"$RUN"
	export RUN
}

setup() {
	load test_helper
	cd "$BATS_TEST_TMPDIR"
	mkdir -p top/dest
}

# rename FIELD OLD NEW: $RUN with one header field renamed, as hostile.traj
rename() {
	/usr/bin/python3 "$TRAJ_ROOT/tests/cli/rename_in_stream.py" "$RUN" hostile.traj "$@"
}

# Nothing but DEST itself (and what is inside it) under top/.
assert_nothing_escaped() {
	run -0 find top -mindepth 1 -not -path 'top/dest' -not -path 'top/dest/*'
	assert_output ''
}

@test "convert --export npy: a tensor named ../x/evil is refused, nothing leaves DEST" {
	rename name layers.0.W ../x/evil
	run -65 --separate-stderr traj-convert --export npy top/dest/out hostile.traj
	assert_one_error_line traj-convert
	[[ $stderr == *"'../x/evil'"* ]] || fail "the name is not named: $stderr"
	assert_nothing_escaped
	[ ! -e top/dest/out ] || [ -z "$(ls -A top/dest/out)" ]
}

@test "convert --export npy: a/../../x/evil and /tmp names are refused" {
	for bad in a/../../x/evil /tmp/evil ./a a//b; do
		rename name layers.0.W "$bad"
		run -65 --separate-stderr traj-convert --export npy top/dest/out hostile.traj
		assert_one_error_line traj-convert
		[[ $stderr == *"'$bad'"* ]] || fail "$bad is not named: $stderr"
	done
	assert_nothing_escaped
}

@test "convert --export npz: a name that would escape an unzip is refused" {
	rename name layers.0.W ../x/evil
	run -65 --separate-stderr traj-convert --export npz top/dest/out.npz hostile.traj
	assert_one_error_line traj-convert
	[ ! -e top/dest/out.npz ]
}

@test "convert --export npy: names with / still make subdirectories" {
	rename name layers.0.W deep/er/W
	run -0 traj-convert --export npy top/dest/out hostile.traj
	[ -f top/dest/out/deep/er/W.npy ]
	assert_nothing_escaped
}

@test "snapshot --split: a run id ../../x/escaped is refused, nothing leaves DIR" {
	rename run modadd-p11-s1 ../../x/escaped
	run -65 --separate-stderr traj-snapshot --split top/dest/a/b hostile.traj
	assert_one_error_line traj-snapshot
	# the reader refuses it (naming the field), or --split does (naming it)
	[[ $stderr == *"../../x/escaped"* || $stderr == *"'run'"* ]] ||
		fail "the run id is not named: $stderr"
	assert_nothing_escaped
}

# An .npz (stored entries) with one entry NAME.npy, by Python's zipfile.
hostile_npz() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys, zipfile
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
hdr += " " * (64 - 10 - len(hdr) - 1) + "\n"
npy = b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode() + bytes(8)
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr(sys.argv[2] + ".npy", npy)
PY
}

# A safetensors file with one f32 tensor NAME of two elements.
hostile_safetensors() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, struct, sys
h = json.dumps({sys.argv[2]: {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + bytes(8))
PY
}

@test "convert --import npz and safetensors: names like ../../evil or /tmp/evil are refused" {
	traj-convert --export npy top/dest/ok "$RUN"
	for bad in ../../evil /tmp/evil a/./b; do
		hostile_npz h.npz "$bad"
		run -65 --separate-stderr traj-convert --import npz h.npz --run top/dest/ok/run.json
		assert_one_error_line traj-convert
		[[ $stderr == *"'$bad'"* ]] || fail "$bad is not named: $stderr"
		hostile_safetensors h.safetensors "$bad"
		run -65 --separate-stderr traj-convert --import safetensors h.safetensors --run top/dest/ok/run.json
		assert_one_error_line traj-convert
		[[ $stderr == *"'$bad'"* ]] || fail "$bad is not named: $stderr"
	done
	# the same files with a plain name are imported
	hostile_npz h.npz good/name
	run -0 traj-convert --import npz h.npz --run top/dest/ok/run.json -o ok.traj
	run -0 traj-snapshot -lv ok.traj
	assert_line --partial $'\tgood/name\tf32\t2\t'
}

# The bytes of the last checkpoint as a stream, as -o - writes them.
expected_bytes() { traj-snapshot --last "$RUN" | wc -c; }

@test "-o /dev/stdout writes through to the pipe, and /dev/stdout stays what it is" {
	want=$(expected_bytes)
	[ "$want" -gt 1000 ]
	run -0 bash -c "traj-snapshot --last '$RUN' -o /dev/stdout | wc -c"
	assert_output "$want"
	[ -L /dev/stdout ]
	run -0 bash -c "traj-convert --export npz /dev/stdout '$RUN' | wc -c"
	[ "$output" -gt 1000 ]
}

@test "-o FIFO writes to its reader; -o >(cmd) works" {
	want=$(expected_bytes)
	mkfifo fifo
	wc -c <fifo >count &
	run -0 traj-snapshot --last "$RUN" -o fifo
	wait
	assert_equal "$(cat count)" "$want"
	[ -p fifo ]
	run -0 bash -c "traj-snapshot --last '$RUN' -o >(wc -c >sub); sleep 1; cat sub"
	assert_output "$want"
}

@test "-o LINK replaces the file the link names; the link stays a link" {
	echo old >target.traj
	ln -s target.traj link.traj
	run -0 traj-snapshot --last "$RUN" -o link.traj
	[ -L link.traj ]
	assert_equal "$(readlink link.traj)" target.traj
	assert_equal "$(wc -c <target.traj)" "$(expected_bytes)"
	ln -s new.traj dangling.traj
	run -0 traj-convert --export npz dangling.traj "$RUN"
	[ -L dangling.traj ] && [ -f new.traj ]
}
