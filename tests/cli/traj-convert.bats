#!/usr/bin/env bats
# traj-convert: export to .npy, .npz and safetensors (NumPy reads the
# same values as the stream holds), import back (the scores do not
# change), and refusal of bad files.

setup_file() {
	load test_helper
	RUN="$BATS_FILE_TMPDIR/run.traj"
	small_train --steps 20 --every 10 >"$RUN"
	export RUN
}

setup() {
	load test_helper
	cd "$BATS_TEST_TMPDIR"
}

have_numpy() {
	command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import numpy' 2>/dev/null
}

# The raw little-endian bytes of one tensor of one checkpoint, from the
# stream itself (zstd -d skips the record frames).
raw() { traj-snapshot --step "$1" -t "$2" --encoding raw "$RUN" | zstd -dc >"$3"; }

# A Python reader of safetensors, with NumPy only.
ST_READ='
import json, struct, numpy as np
def st_read(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    meta = h.pop("__metadata__", {})
    dt = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4"}
    out = {}
    for k, v in h.items():
        s, e = v["data_offsets"]
        out[k] = (v["dtype"], np.frombuffer(b[8 + n + s:8 + n + e], dtype=dt.get(v["dtype"], "<u2")).reshape(v["shape"]))
    return out, meta
'

@test "--help prints usage on stdout with status 0" {
	run -0 traj-convert --help
	assert_line --index 0 "Usage: traj-convert --export FORMAT DEST [OPTION]... [FILE]"
}

@test "--version prints the version" {
	run -0 traj-convert --version
	assert_output --regexp '^traj-convert \(traj\) [0-9.]+$'
}

@test "--export npy DIR: one file per tensor and run.json, last checkpoint" {
	run -0 traj-convert --export npy out "$RUN"
	run -0 bash -c 'cd out && ls | sort | paste -sd" "'
	assert_output "layers.0.W.npy layers.0.b.npy layers.1.W.npy layers.1.b.npy run.json"
	grep -q '"run":	"modadd-p11-s1"' out/run.json
	# the npy header of NumPy's format 1.0, data aligned to 64 bytes
	assert_equal "$(head -c 6 out/layers.0.W.npy | od -An -c | tr -d ' ')" '223NUMPY'
	run -0 bash -c "head -c 128 out/layers.0.W.npy | tr -d '\0\223' | tail -c +5"
	assert_output --partial "{'descr': '<f4', 'fortran_order': False, 'shape': (22, 32), }"
	# optimiser state only when asked for
	run -0 traj-convert --export npy opt -t 'optim/m/*' "$RUN"
	[ -f opt/optim/m/layers.0.W.npy ] && [ ! -e opt/layers.0.W.npy ]
}

@test "numpy loads npy, npz and safetensors exports with the stream's values" {
	have_numpy || skip "numpy not installed"
	traj-convert --export npy d --step 10 "$RUN"
	traj-convert --export npz a.npz --step 10 "$RUN"
	traj-convert --export safetensors a.st --step 10 "$RUN"
	raw 10 layers.0.W w.bin
	raw 10 layers.1.b b.bin
	run -0 /usr/bin/python3 -c "$ST_READ
w = np.fromfile('w.bin', '<f4').reshape(22, 32)
b = np.fromfile('b.bin', '<f4')
z = np.load('a.npz')
assert sorted(z.keys()) == ['layers.0.W', 'layers.0.b', 'layers.1.W', 'layers.1.b'], list(z.keys())
st, meta = st_read('a.st')
assert meta['run'] == 'modadd-p11-s1' and meta['step'] == '10', meta
assert json.loads(meta['traj_run'])['task']['p'] == 11
for got in (np.load('d/layers.0.W.npy'), z['layers.0.W'], st['layers.0.W'][1]):
    assert got.dtype == np.float32 and got.shape == (22, 32) and np.array_equal(got, w)
assert st['layers.0.W'][0] == 'F32'
assert np.array_equal(np.load('d/layers.1.b.npy'), b) and np.array_equal(z['layers.1.b'], b)
"
}

@test "bf16 streams: npy holds exact f32, safetensors keeps BF16" {
	have_numpy || skip "numpy not installed"
	traj-snapshot --dtype bf16 -t layers.1.b "$RUN" >h.traj
	traj-convert --export npy d h.traj
	traj-convert --export safetensors h.st h.traj
	raw 20 layers.1.b b.bin
	run -0 /usr/bin/python3 -c "$ST_READ
b = np.fromfile('b.bin', '<f4')
# bf16 rounding to nearest even, by hand
u = b.view('<u4').astype(np.uint64)
r = ((u + 0x7fff + ((u >> 16) & 1)) >> 16).astype(np.uint16)
f = (r.astype(np.uint32) << 16).view('<f4')
got = np.load('d/layers.1.b.npy')
assert got.dtype == np.float32 and np.array_equal(got, f)
st, meta = st_read('h.st')
assert st['layers.1.b'][0] == 'BF16' and np.array_equal(st['layers.1.b'][1], r)
"
}

@test "import: npy DIR, npz and safetensors give back the same checkpoint" {
	traj-convert --export npy d "$RUN"
	traj-convert --export npz a.npz "$RUN"
	traj-convert --export safetensors a.st "$RUN"
	traj-snapshot --last -t 'layers.*' "$RUN" | traj-score >want
	traj-convert --import npy d --step 20 >1.traj
	traj-convert --import npz a.npz --run d/run.json --step 20 >2.traj
	traj-convert --import safetensors a.st --step 20 -o 3.traj
	for f in 1 2 3; do
		traj-score $f.traj >got
		assert_equal "$(cat got)" "$(cat want)"
	done
	# the stream is lossless: the norms of -lv agree too
	assert_equal "$(traj-snapshot -lv 2.traj | grep ^tensor | cut -f4-)" \
		"$(traj-snapshot -lv --last -t 'layers.*' "$RUN" | grep ^tensor | cut -f4-)"
	# --step sets the checkpoint's step (0 by default)
	assert_equal "$(traj-convert --import npz a.npz --run d/run.json | traj-snapshot -l | cut -f3)" 0
}

@test "import of files written by numpy: dtypes, one .npy file" {
	have_numpy || skip "numpy not installed"
	/usr/bin/python3 -c "
import numpy as np
np.savez('n.npz', x=np.arange(6, dtype=np.float64).reshape(2, 3), k=np.array([-1, 7], dtype=np.int32))
np.save('v.npy', np.array([0.5, -2.25], dtype=np.float32))
"
	echo '{"run":"from-numpy"}' >run.json
	traj-convert --import npz n.npz --run run.json >n.traj
	run -0 traj-snapshot -lv n.traj
	assert_line $'tensor\tfrom-numpy\t0\tx\tf64\t2x3\t7.41619849'
	assert_line --regexp $'^tensor\tfrom-numpy\t0\tk\ti32\t2\t'
	traj-convert --import npy v.npy --run run.json >v.traj
	run -0 traj-snapshot -lv v.traj
	assert_line $'tensor\tfrom-numpy\t0\tv\tf32\t2\t2.30488611'
	# and back out: the same values
	traj-convert --export npz back.npz -t '*' n.traj
	/usr/bin/python3 -c "
import numpy as np
a, b = np.load('n.npz'), np.load('back.npz')
assert all(np.array_equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a.keys())
"
}

@test "bad files are refused: magic, truncation, shapes, compression" {
	traj-convert --export npy d "$RUN"
	traj-convert --export npz a.npz "$RUN"
	traj-convert --export safetensors a.st "$RUN"
	echo '{"run":"x"}' >run.json
	printf 'hello world, not numpy' >bad.npy
	run -65 --separate-stderr traj-convert --import npy bad.npy --run run.json
	assert_one_error_line traj-convert
	[[ $stderr == *"bad magic"* ]] || fail "$stderr"
	head -c -4 d/layers.1.b.npy >cut.npy
	run -65 --separate-stderr traj-convert --import npy cut.npy --run run.json
	[[ $stderr == *"the shape needs 44 bytes of data, the file has 40"* ]] || fail "$stderr"
	cat d/layers.1.b.npy d/layers.1.b.npy >long.npy
	run -65 --separate-stderr traj-convert --import npy long.npy --run run.json
	[[ $stderr == *"the shape needs 44 bytes"* ]] || fail "$stderr"
	sed 's/(11,)/(12,)/' d/layers.1.b.npy >shape.npy
	run -65 --separate-stderr traj-convert --import npy shape.npy --run run.json
	head -c 3000 a.npz >cut.npz
	run -65 --separate-stderr traj-convert --import npz cut.npz --run run.json
	[[ $stderr == *truncated* ]] || fail "$stderr"
	printf 'PK\003\004garbage' >bad.npz
	run -65 --separate-stderr traj-convert --import npz bad.npz --run run.json
	run -65 --separate-stderr traj-convert --import npz d/run.json --run run.json
	[[ $stderr == *"bad magic"* ]] || fail "$stderr"
	head -c -8 a.st >cut.st
	run -65 --separate-stderr traj-convert --import safetensors cut.st
	[[ $stderr == *"outside the data"* ]] || fail "$stderr"
	sed 's/"shape":\[22,32\]/"shape":\[32,22\]/; s/"shape":\[11\]/"shape":\[12\]/' a.st >shape.st
	run -65 --separate-stderr traj-convert --import safetensors shape.st
	[[ $stderr == *"the shape needs"* ]] || fail "$stderr"
	run -65 --separate-stderr traj-convert --import safetensors bad.npy --run run.json
	echo '{"run":"x","seed":1e400}' >inf.json
	run -65 --separate-stderr traj-convert --import npz a.npz --run inf.json
	assert_one_error_line traj-convert
	[[ $stderr == *"run header, byte "* ]] || fail "$stderr"
	echo '{"run":"x","a":1,"a":2}' >dup.json
	run -65 --separate-stderr traj-convert --import npz a.npz --run dup.json
	assert_one_error_line traj-convert
	echo '[1, 2]' >notobj.json
	run -65 --separate-stderr traj-convert --import npz a.npz --run notobj.json
	run -65 --separate-stderr traj-convert --import npz "$TRAJ_ROOT/fuzz/seeds/npz/empty.npz" --run run.json
	[[ $stderr == *"no tensor to import"* ]] || fail "$stderr"
	if have_numpy; then
		/usr/bin/python3 -c "import numpy as np; np.savez_compressed('c.npz', x=np.zeros(3))"
		run -65 --separate-stderr traj-convert --import npz c.npz --run run.json
		[[ $stderr == *"savez_compressed"* ]] || fail "$stderr"
	fi
}

@test "usage and I/O errors" {
	run -64 --separate-stderr traj-convert "$RUN"
	run -64 --separate-stderr traj-convert --export npy
	run -64 --separate-stderr traj-convert --export tar x "$RUN"
	run -64 --separate-stderr traj-convert --import npz a.npz
	[[ $stderr == *"--run FILE"* ]] || fail "$stderr"
	run -64 --separate-stderr traj-convert --export npz a.npz --first --step 10 "$RUN"
	run -65 --separate-stderr traj-convert --export npz a.npz --step 7 "$RUN"
	assert_equal "$stderr" "traj-convert: $RUN: no checkpoint at step 7"
	run -65 --separate-stderr traj-convert --export npz a.npz -t nothing "$RUN"
	run -66 --separate-stderr traj-convert --export npz a.npz none.traj
	run -66 --separate-stderr traj-convert --import npz none.npz --run none.json
	run -73 --separate-stderr traj-convert --export npz no/such/a.npz "$RUN"
	[ ! -e a.npz ]
	# --first takes the first checkpoint
	traj-convert --export safetensors f.st --first "$RUN"
	grep -q '"step":"0"' f.st
}

@test "outputs go to a temporary file renamed over the destination" {
	# a hard link keeps the old inode: written in place, it would change too
	mkdir d o
	for f in a.npz a.st d/run.json o/s.traj; do
		echo old >"$f"
		ln "$f" "$f.link"
	done
	traj-convert --export npz a.npz "$RUN"
	traj-convert --export safetensors a.st "$RUN"
	traj-convert --export npy d "$RUN"
	traj-convert --import npz a.npz --run d/run.json -o o/s.traj
	for f in a.npz a.st d/run.json o/s.traj; do
		assert_equal "$(cat "$f.link")" old
		! cmp -s "$f" "$f.link" || fail "$f not replaced"
	done
	traj-snapshot -l o/s.traj >/dev/null
	# no temporary file is left beside them
	run -0 ls -A . o
	assert_output $'.:\na.npz\na.npz.link\na.st\na.st.link\nd\no\n\no:\ns.traj\ns.traj.link'
	run -1 bash -c "ls -A d | grep -v -c -e '^run\.json' -e '\.npy$'"
	assert_output 0
	# and a failed import leaves the old output alone, with nothing beside it
	printf 'not a zip' >bad.npz
	run -65 --separate-stderr traj-convert --import npz bad.npz --run d/run.json -o o/s.traj
	traj-snapshot -l o/s.traj >/dev/null
	run -0 ls -A o
	assert_output $'s.traj\ns.traj.link'
}
