#!/usr/bin/env bats
# Nothing lost, nothing trusted: crash-safe --out, --resume, --follow,
# torn tails, full disks and closed pipes.

load test_helper

# A run long enough to be killed in the middle: about 1000 checkpoints.
long_train() {
	traj-train --quiet --p 11 --width 32 --batch 16 --steps 2000 --every 2 "$@"
}

setup_file() {
	PATH="$TRAJ_BUILD_DIR/bin:$PATH"
	# the uninterrupted reference runs
	long_train --out "$BATS_FILE_TMPDIR/full.traj"
	traj-score "$BATS_FILE_TMPDIR/full.traj" >"$BATS_FILE_TMPDIR/full.txt"
	small_train --batch 8 --key-every 3 --out "$BATS_FILE_TMPDIR/small.traj"
}

# Starts a long run on $1 in the background, kills it with SIGKILL once
# the file holds more than $2 bytes.
kill_midway() {
	local out=$1 min=$2
	long_train --out "$out" &
	local pid=$!
	while [ "$(stat -c %s "$out" 2>/dev/null || echo 0)" -lt "$min" ]; do
		kill -0 $pid 2>/dev/null || break
		sleep 0.01
	done
	kill -9 $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
}

# The bytes of $1 are a prefix of $2.
is_prefix() {
	cmp -s -n "$(stat -c %s "$1")" "$1" "$2"
}

@test "kill -9 mid-run: the file is a prefix of the full run and every complete checkpoint scores" {
	f="$BATS_TEST_TMPDIR/killed.traj"
	kill_midway "$f" 3000000
	size=$(stat -c %s "$f")
	[ "$size" -lt "$(stat -c %s "$BATS_FILE_TMPDIR/full.traj")" ] || skip "the run ended before the kill"
	is_prefix "$f" "$BATS_FILE_TMPDIR/full.traj"
	run --separate-stderr traj-score "$f"
	[[ $status -eq 0 || $status -eq 75 ]] || fail "status $status: $stderr"
	[ "${#lines[@]}" -ge 4 ]
	[ $(( ${#lines[@]} % 4 )) -eq 0 ]
	diff <(printf '%s\n' "${lines[@]}") <(head -n ${#lines[@]} "$BATS_FILE_TMPDIR/full.txt")
	if [ "$status" -eq 75 ]; then
		assert_one_error_line traj-score
		[[ $stderr == "traj-score: $f: byte "[0-9]*": truncated"* ]]
	fi
}

@test "a torn tail cut at many offsets: complete checkpoints, one error line naming the byte offset, status 75" {
	full="$BATS_FILE_TMPDIR/small.traj"
	traj-score "$full" >"$BATS_TEST_TMPDIR/want.txt"
	size=$(stat -c %s "$full")
	for ((cut = 200; cut < size; cut += 1009)); do
		head -c $cut "$full" >"$BATS_TEST_TMPDIR/cut.traj"
		run --separate-stderr timeout 10 traj-score "$BATS_TEST_TMPDIR/cut.traj"
		[[ $status -eq 0 || $status -eq 75 ]] || fail "cut $cut: status $status: $stderr"
		if [ "$status" -eq 75 ]; then
			assert_one_error_line traj-score
			[[ $stderr == *": byte "[0-9]*": truncated"* ]] || fail "cut $cut: $stderr"
		fi
		diff <(printf '%s\n' "${lines[@]}" | grep .) <(head -n ${#lines[@]} "$BATS_TEST_TMPDIR/want.txt" | grep .) >/dev/null ||
			fail "cut $cut: not a prefix of the full scoring"
	done
}

@test "--resume after kill -9 gives the bit-identical stream of an uninterrupted run" {
	f="$BATS_TEST_TMPDIR/killed.traj"
	kill_midway "$f" 2000000
	run -0 --separate-stderr traj-train --quiet --resume "$f"
	cmp "$f" "$BATS_FILE_TMPDIR/full.traj"
}

@test "--resume after a torn tail at many offsets is bit-identical" {
	full="$BATS_FILE_TMPDIR/small.traj"
	size=$(stat -c %s "$full")
	for cut in $((size / 5)) $((size / 3)) $((size / 2 + 7)) $((size - 30)) $((size - 1)); do
		head -c $cut "$full" >"$BATS_TEST_TMPDIR/cut.traj"
		run -0 --separate-stderr traj-train --quiet --resume "$BATS_TEST_TMPDIR/cut.traj"
		cmp "$BATS_TEST_TMPDIR/cut.traj" "$full" || fail "cut at $cut"
	done
}

@test "a run stopped by --steps N and resumed with the full --steps is bit-identical" {
	f="$BATS_TEST_TMPDIR/part.traj"
	small_train --batch 8 --key-every 3 --steps 20 --out "$f"
	run -0 --separate-stderr traj-train --quiet --resume "$f" --steps 40
	cmp "$f" "$BATS_FILE_TMPDIR/small.traj"
	# twice in a row, through a key checkpoint, with sgd momentum state
	small_train --optim sgd --steps 40 --out "$BATS_TEST_TMPDIR/sgd.traj"
	small_train --optim sgd --steps 10 --force --out "$f"
	traj-train --quiet --resume "$f" --steps 30
	traj-train --quiet --resume "$f" --steps 40
	cmp "$f" "$BATS_TEST_TMPDIR/sgd.traj"
}

@test "full-batch runs resume bit-identically too" {
	small_train --out "$BATS_TEST_TMPDIR/want.traj"
	small_train --steps 20 --out "$BATS_TEST_TMPDIR/part.traj"
	traj-train --quiet --resume "$BATS_TEST_TMPDIR/part.traj" --steps 40
	cmp "$BATS_TEST_TMPDIR/part.traj" "$BATS_TEST_TMPDIR/want.traj"
}

@test "--resume of a complete run changes nothing and says so" {
	cp "$BATS_FILE_TMPDIR/small.traj" "$BATS_TEST_TMPDIR/done.traj"
	run -0 --separate-stderr traj-train --resume "$BATS_TEST_TMPDIR/done.traj"
	[[ $stderr == *"already complete at step 40"* ]]
	cmp "$BATS_TEST_TMPDIR/done.traj" "$BATS_FILE_TMPDIR/small.traj"
}

@test "--resume with run options is a usage error" {
	run -64 --separate-stderr traj-train --resume x.traj --p 13
	[[ ${stderr_lines[0]} == "traj-train: --resume: the run's options come from 'x.traj'"* ]]
	run -64 --separate-stderr traj-train --resume x.traj --out y.traj
	run -64 --separate-stderr traj-train --resume x.traj --no-state
}

@test "--resume of a missing file: status 66" {
	run -66 --separate-stderr traj-train --resume "$BATS_TEST_TMPDIR/nope.traj"
	assert_one_error_line traj-train
}

@test "--resume of a damaged file: status 65 and the file is left alone" {
	f="$BATS_TEST_TMPDIR/bad.traj"
	cp "$BATS_FILE_TMPDIR/small.traj" "$f"
	printf 'X' | dd of="$f" bs=1 seek=600 conv=notrunc status=none
	cp "$f" "$BATS_TEST_TMPDIR/bad.copy"
	run -65 --separate-stderr traj-train --resume "$f"
	assert_one_error_line traj-train
	cmp "$f" "$BATS_TEST_TMPDIR/bad.copy"
}

@test "--resume without a complete checkpoint: status 65" {
	head -c 300 "$BATS_FILE_TMPDIR/small.traj" >"$BATS_TEST_TMPDIR/early.traj"
	run -65 --separate-stderr traj-train --resume "$BATS_TEST_TMPDIR/early.traj"
	[[ $stderr == *"no complete checkpoint with resume state"* ]]
}

@test "--resume with --steps before the last checkpoint is a usage error" {
	cp "$BATS_FILE_TMPDIR/small.traj" "$BATS_TEST_TMPDIR/s.traj"
	run -64 --separate-stderr traj-train --resume "$BATS_TEST_TMPDIR/s.traj" --steps 5
	[[ $stderr == *"before the last checkpoint"* ]]
}

@test "--resume of a run without resume state: status 65" {
	small_train --no-state --out "$BATS_TEST_TMPDIR/s.traj"
	run -65 --separate-stderr traj-train --resume "$BATS_TEST_TMPDIR/s.traj" --steps 60
	assert_one_error_line traj-train
	[[ $stderr == *"no complete checkpoint with resume state (optim/ tensors)"* ]]
	# and a stream that traj-train did not write
	cp "$TRAJ_ROOT/formats/vectors/tiny.traj" "$BATS_TEST_TMPDIR/t.traj"
	run -65 --separate-stderr traj-train --resume "$BATS_TEST_TMPDIR/t.traj"
	assert_one_error_line traj-train
}

@test "--state all: every checkpoint carries the state; key (default) only some" {
	small_train --state all --out "$BATS_TEST_TMPDIR/all.traj"
	small_train --key-every 2 --out "$BATS_TEST_TMPDIR/key.traj"
	run -0 traj-snapshot --list "$BATS_TEST_TMPDIR/all.traj"
	all=$(traj-snapshot --list -v "$BATS_TEST_TMPDIR/all.traj" | grep -c 'optim/step')
	key=$(traj-snapshot --list -v "$BATS_TEST_TMPDIR/key.traj" | grep -c 'optim/step')
	[ "$all" -eq 5 ] # steps 0 10 20 30 40
	[ "$key" -eq 3 ] # key checkpoints at steps 0, 20, 40; 40 is also the last
	cmp <(traj-score "$BATS_TEST_TMPDIR/all.traj") <(traj-score "$BATS_TEST_TMPDIR/key.traj")
}

@test "--resume replays from the last key checkpoint bit for bit" {
	small_train --key-every 2 --out "$BATS_TEST_TMPDIR/full.traj"
	# cut inside the 4th checkpoint (step 30): the last state is at step 20
	small_train --key-every 2 --steps 30 --every 10 --out "$BATS_TEST_TMPDIR/part.traj"
	traj-train --quiet --resume "$BATS_TEST_TMPDIR/part.traj" --steps 40
	cmp "$BATS_TEST_TMPDIR/full.traj" "$BATS_TEST_TMPDIR/part.traj"
}

@test "--resume refuses a lossy (bf16) snapshot of a run" {
	small_train --out "$BATS_TEST_TMPDIR/full.traj"
	traj-snapshot --dtype bf16 --out "$BATS_TEST_TMPDIR/bf16.traj" "$BATS_TEST_TMPDIR/full.traj"
	run -65 --separate-stderr traj-train --resume "$BATS_TEST_TMPDIR/bf16.traj"
	assert_one_error_line traj-train
	[[ $stderr == *"a lossy stream (converted by traj snapshot --dtype) cannot be resumed" ]] || fail "$stderr"
}

@test "--no-state writes the same parameters without the optim/ tensors" {
	small_train --no-state --out "$BATS_TEST_TMPDIR/s.traj"
	cmp <(traj-score "$BATS_TEST_TMPDIR/s.traj") <(small_train | traj-score)
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/s.traj")" -lt "$(small_train | wc -c)" ]
}

@test "scorers skip the optimiser state: same scores as the parameters alone" {
	run -0 traj-score "$BATS_FILE_TMPDIR/small.traj"
	[ "${#lines[@]}" -eq 20 ]
}

@test "--out to a full disk: a clear error, status 74" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -74 --separate-stderr traj-train --quiet --p 11 --width 8 --steps 2 --out /dev/full
	assert_one_error_line traj-train
	[[ $stderr == *"No space left on device"* ]]
	run -74 --separate-stderr sh -c 'traj-train --quiet --p 11 --width 8 --steps 2 > /dev/full'
	[[ $stderr == *"No space left on device"* ]]
}

@test "traj-score to a full disk: a clear error, status 74" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -74 --separate-stderr sh -c "traj-score '$BATS_FILE_TMPDIR/small.traj' > /dev/full"
	assert_one_error_line traj-score
	[[ $stderr == *"No space left on device"* ]]
}

@test "| head ends train and score quietly with status 0" {
	run -0 --separate-stderr bash -c "set -o pipefail; traj-score '$BATS_FILE_TMPDIR/full.traj' | head -1"
	[ -z "$stderr" ]
	run -0 --separate-stderr bash -c "set -o pipefail; long_train() { traj-train --quiet --p 11 --width 32 --steps 2000 --every 2; }; long_train | head -c 100 >/dev/null"
	[ -z "$stderr" ]
}

@test "score --follow: waits inside a torn checkpoint, scores the rest as it is appended, stops at the end record" {
	full="$BATS_FILE_TMPDIR/small.traj"
	f="$BATS_TEST_TMPDIR/live.traj"
	size=$(stat -c %s "$full")
	cut=$((size / 2 + 13))
	head -c $cut "$full" >"$f"
	timeout 20 traj-score --follow "$f" >"$BATS_TEST_TMPDIR/out.txt" 2>"$BATS_TEST_TMPDIR/err.txt" &
	pid=$!
	sleep 0.3
	kill -0 $pid # still waiting
	tail -c +$((cut + 1)) "$full" >>"$f"
	wait $pid # status 0: the end record arrived
	[ ! -s "$BATS_TEST_TMPDIR/err.txt" ]
	cmp "$BATS_TEST_TMPDIR/out.txt" <(traj-score "$full")
}

@test "score --follow on a live training ends with it" {
	f="$BATS_TEST_TMPDIR/live.traj"
	: >"$f"
	timeout 30 traj-score --follow "$f" >"$BATS_TEST_TMPDIR/out.txt" &
	pid=$!
	long_train --steps 400 --every 4 --out "$f"
	wait $pid
	cmp "$BATS_TEST_TMPDIR/out.txt" <(traj-score "$f")
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out.txt")" -eq 404 ]
}

@test "score --follow stops cleanly on SIGTERM and SIGINT, with every complete checkpoint scored" {
	full="$BATS_FILE_TMPDIR/small.traj"
	size=$(stat -c %s "$full")
	head -c $((size - 30)) "$full" >"$BATS_TEST_TMPDIR/open.traj" # no end record
	for sig in TERM INT; do
		traj-score --follow "$BATS_TEST_TMPDIR/open.traj" >"$BATS_TEST_TMPDIR/out.txt" &
		pid=$!
		sleep 0.3
		kill -$sig $pid
		st=0
		wait $pid || st=$?
		[ "$st" -eq 0 ] || fail "SIG$sig: status $st"
		cmp "$BATS_TEST_TMPDIR/out.txt" <(traj-score "$full")
	done
}

@test "score --follow on a file that shrinks: status 65" {
	f="$BATS_TEST_TMPDIR/shrink.traj"
	head -c 3000 "$BATS_FILE_TMPDIR/small.traj" >"$f"
	traj-score --follow "$f" >/dev/null 2>"$BATS_TEST_TMPDIR/err.txt" &
	pid=$!
	sleep 0.3
	: >"$f"
	st=0
	wait $pid || st=$?
	[ "$st" -eq 65 ] || fail "status $st"
	grep -q "shrank" "$BATS_TEST_TMPDIR/err.txt"
}

@test "score --follow on a pipe reads to the end as usual" {
	run -0 bash -c "traj-score --follow < '$BATS_FILE_TMPDIR/small.traj' | wc -l"
	[ "$output" -eq 20 ]
}

@test "a read error (a directory as input, EISDIR) is status 74 with the reason" {
	run -74 --separate-stderr traj-score "$BATS_TEST_TMPDIR"
	assert_one_error_line traj-score
	[[ $stderr == *"read error: Is a directory"* ]]
}

@test "--resume --threads N is accepted and the stream stays identical" {
	f="$BATS_TEST_TMPDIR/part.traj"
	small_train --batch 8 --key-every 3 --steps 20 --out "$f"
	run -0 --separate-stderr traj-train --quiet --resume "$f" --steps 40 --threads 2
	cmp "$f" "$BATS_FILE_TMPDIR/small.traj"
}

# forge_run_id IN OUT ID: IN with its run record's "run" set to ID (a
# Python string literal), the header CRC recomputed: a crafted stream.
forge_run_id() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import ast, json, struct, sys, zlib
d = open(sys.argv[1], "rb").read()
n = struct.unpack("<I", d[4:8])[0]
h = json.loads(d[12:8 + n - 4])
h["run"] = ast.literal_eval(sys.argv[3])
body = b"TRJ1" + json.dumps(h).encode()
rec = struct.pack("<II", 0x184D2A5A, len(body) + 4) + body + struct.pack("<I", zlib.crc32(body))
open(sys.argv[2], "wb").write(rec + d[8 + n:])
PY
}

@test "a run id that would forge metric lines is refused by every reader: one line, status 65" {
	cd "$BATS_TEST_TMPDIR"
	small_train --out ok.traj
	forge_run_id ok.traj forged.traj '"x\t50\ttest/acc\t0.99\n"'
	# the forged fields are there: without the reader's check they print
	grep -q 'test/acc' forged.traj
	run -0 bash -c "traj-diff ok.traj | traj-emerge -w 'test/acc>=0.95' | wc -l"
	assert_output 0
	run -65 --separate-stderr traj-diff forged.traj
	assert_output ""
	assert_one_error_line traj-diff
	[[ $stderr == *"byte 0: field 'run': not a run id"* ]] || fail "$stderr"
	run -0 bash -c "traj-diff forged.traj 2>/dev/null | traj-emerge -w 'test/acc>=0.95'"
	assert_output ""
	for prog in "traj-snapshot -l" "traj-snapshot -lv" traj-score traj-probe traj-ablate; do
		run -65 --separate-stderr $prog forged.traj
		assert_output ""
		assert_one_error_line "${prog%% *}"
	done
	forge_run_id ok.traj dots.traj '".."'
	run -65 --separate-stderr traj-snapshot -l dots.traj
	assert_one_error_line traj-snapshot
}

# peak_kb FILE: the peak resident set (KiB) that /usr/bin/time -f %M wrote.
peak_kb() {
	tail -n 1 "$1"
}

@test "a checkpoint's memory budget: zstd bombs (1 GiB of zeros each) are refused or verified in pieces, never held" {
	command -v zstd >/dev/null || skip "zstd is not installed (Debian: zstd)"
	[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed (Debian: time)"
	cd "$BATS_TEST_TMPDIR"
	small_train --out ok.traj
	head -c 1073741824 /dev/zero | zstd -q --check --stream-size=1073741824 -c >bomb.zst
	bombs="$TRAJ_ROOT/tests/cli/zstd_bombs.py"
	/usr/bin/python3 "$bombs" ok.traj kept.traj 64 "" bomb.zst
	/usr/bin/python3 "$bombs" ok.traj skipped.traj 8 optim/ bomb.zst
	[ "$(stat -c %s kept.traj)" -lt 3000000 ]
	# 64 GiB of tensors a scorer would keep: refused before any allocation
	run -65 --separate-stderr env TRAJ_CKPT_BUDGET=64M /usr/bin/time -f %M -o kept.kb \
		traj-score kept.traj
	assert_output ""
	[[ $stderr == "traj-score: kept.traj: byte "*"tensor 'junk.0' (1073741824 bytes) takes the checkpoint at step 0 past its budget of 67108864 bytes (TRAJ_CKPT_BUDGET raises it)" ]] ||
		fail "$stderr"
	# 8 GiB of optimiser state a scorer skips: verified, scores as without
	run -0 --separate-stderr env TRAJ_CKPT_BUDGET=64M /usr/bin/time -f %M -o skipped.kb \
		traj-score skipped.traj
	assert_output "$(traj-score ok.traj)"
	# a flipped bit deep in a skipped bomb is still caught
	/usr/bin/python3 -c "
import sys; d = bytearray(open('skipped.traj', 'rb').read())
i = d.index(b'optim/junk.7'); d[i + 20000] ^= 0x40
open('flipped.traj', 'wb').write(d)"
	run -65 --separate-stderr traj-score flipped.traj
	assert_one_error_line traj-score
	[[ $stderr == *"optim/junk.7"* ]] || fail "$stderr"
	run -64 --separate-stderr env TRAJ_CKPT_BUDGET=lots traj-score ok.traj
	assert_one_error_line traj-score
	[[ $stderr == *"TRAJ_CKPT_BUDGET: 'lots' is not a size"* ]] || fail "$stderr"
	if [ -z "${TRAJ_SANITIZED:-}" ]; then
		# the model of ok.traj is a few hundred KiB: peaks stay far below
		# the budget (64 MiB = 65536 KiB)
		[ "$(peak_kb kept.kb)" -lt 65536 ] || fail "peak $(peak_kb kept.kb) KiB"
		[ "$(peak_kb skipped.kb)" -lt 65536 ] || fail "peak $(peak_kb skipped.kb) KiB"
	fi
}
