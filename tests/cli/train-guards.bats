#!/usr/bin/env bats
# traj-train refuses what would silently give NaN or lose work: optimiser
# values outside PyTorch's ranges, a training that becomes non-finite
# (stopped, the checkpoints before it kept), a run file replaced without
# --force, binary on a terminal named by --out; a header whose frac
# leaves an empty split is bad data (65), not a bad command line.

setup() { load test_helper; }

# Diverges at step 4 (quad activation, SGD at lr 1000).
diverging() {
	traj-train --quiet --p 7 --width 8 --activation quad --optim sgd \
		--lr 1e3 --steps 100 --every 1 "$@"
}

@test "optimiser values outside PyTorch's ranges are usage errors naming the option" {
	for bad in "--beta1 1" "--beta2 1" "--eps 0" "--lr -1" "--lr inf" \
		   "--wd -0.5" "--weight-decay nan" "--optim sgd --momentum 1.5" \
		   "--optim sgd --momentum 0 --nesterov"; do
		run -64 --separate-stderr traj-train $bad --steps 1
		opt=${bad##*--}; opt=${opt%% *}
		[[ ${stderr_lines[0]} == "traj-train: --"* ]] || fail "$bad: $stderr"
		[ -z "$output" ] || fail "$bad wrote a stream"
	done
	run -64 --separate-stderr traj-train --beta1 1
	assert_equal "${stderr_lines[0]}" "traj-train: --beta1: 1 outside [0, 1)"
	run -64 --separate-stderr traj-train --eps 0
	assert_equal "${stderr_lines[0]}" "traj-train: --eps: 0 outside (0, inf)"
}

@test "values at the edge of the ranges are accepted" {
	run -0 --separate-stderr small_train --beta1 0 --beta2 0.999999 --eps 1e-30 --lr 0 --wd 0 --steps 2
	run -0 --separate-stderr small_train --optim sgd --momentum 1 --nesterov --steps 2
}

@test "a training that becomes non-finite stops there with 65, the stream well-formed" {
	run -65 --separate-stderr diverging -o "$BATS_TEST_TMPDIR/d.traj"
	assert_one_error_line traj-train
	[[ $stderr == *"step 4: the batch loss is nan; the checkpoints before it are kept"* ]] || fail "$stderr"
	zstd -qt "$BATS_TEST_TMPDIR/d.traj"
	run -0 traj-snapshot -l "$BATS_TEST_TMPDIR/d.traj"
	# steps 0..3: every checkpoint before the step that broke
	assert_equal "$(printf '%s\n' "$output" | awk '$1 == "ckpt" { print $3 }' | tr '\n' ' ')" "0 1 2 3 "
	run -0 --separate-stderr traj-score "$BATS_TEST_TMPDIR/d.traj"
}

@test "--allow-nonfinite trains on to the last step" {
	run -0 --separate-stderr diverging --allow-nonfinite -o "$BATS_TEST_TMPDIR/d.traj"
	run -0 traj-snapshot -l "$BATS_TEST_TMPDIR/d.traj"
	assert_line --partial $'\t100\t'
}

@test "--out over an existing run refuses without --force and names --resume" {
	f=$BATS_TEST_TMPDIR/run.traj
	small_train -o "$f"
	before=$(sha256sum <"$f")
	run -73 --separate-stderr small_train --seed 2 -o "$f"
	assert_one_error_line traj-train
	[[ $stderr == *"--resume"* && $stderr == *"--force"* ]] || fail "$stderr"
	assert_equal "$(sha256sum <"$f")" "$before"
	run -0 --separate-stderr small_train --seed 2 --force -o "$f"
	[ "$(sha256sum <"$f")" != "$before" ]
	# a file that is not a stream is replaced as before
	echo notes >"$BATS_TEST_TMPDIR/notes"
	run -0 --separate-stderr small_train -o "$BATS_TEST_TMPDIR/notes"
}

@test "--out naming a terminal refuses binary unless forced" {
	/usr/bin/python3 -c 'import pty' 2>/dev/null || skip "no python3 pty"
	# runs traj-train on a new pseudo-terminal; prints its exit status
	run -0 /usr/bin/python3 -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp("traj-train", ["traj-train", "-q", "--p", "5", "--width", "4",
                             "--steps", "1", "-o", "/dev/tty"] + sys.argv[1:])
out = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
print(out.decode("latin-1").splitlines()[0] if out else "")
'
	assert_line --index 0 64
	assert_line --index 1 --partial "refusing to write a binary stream to a terminal"
}

@test "a header whose frac leaves an empty split is invalid data (65), an option a usage error" {
	f=$BATS_TEST_TMPDIR/run.traj
	small_train -o "$f"
	# the run record is the first frame: magic, length, "TRJ1", JSON, CRC-32
	/usr/bin/python3 - "$f" "$BATS_TEST_TMPDIR/tiny.traj" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<I", data[4:8])[0]
body = data[8:8 + n - 4].replace(b'"frac":0.5', b'"frac":1e-300')
assert body != data[8:8 + n - 4]
body += struct.pack("<I", zlib.crc32(body))
open(sys.argv[2], "wb").write(data[:4] + struct.pack("<I", len(body)) + body + data[8 + n:])
PY
	run -65 --separate-stderr traj-score "$BATS_TEST_TMPDIR/tiny.traj"
	[[ $stderr == *"frac"* ]] || fail "$stderr"
	run -65 --separate-stderr traj-train --resume "$BATS_TEST_TMPDIR/tiny.traj"
	run -64 --separate-stderr traj-train --frac 1e-300
	[[ ${stderr_lines[0]} == "traj-train: --frac: 1e-300 leaves an empty split"* ]] || fail "$stderr"
}
