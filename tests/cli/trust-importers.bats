#!/usr/bin/env bats
# Importers read what the file says, or refuse it with one line naming
# the file and the byte: ZIP64 archives are read whole; anything two
# readers could read differently (a key twice, bytes after a header, NUL
# in a name or a dtype, invalid UTF-8, safetensors data not covered
# exactly once, a zip whose records disagree) is status 65. The crafted
# files come from tests/cli/crafted_importers.py (NumPy, Python's zipfile).

setup_file() {
	load test_helper
	/usr/bin/python3 -c 'import numpy' 2>/dev/null || return 0
	cd "$BATS_FILE_TMPDIR"
	small_train --steps 10 --every 10 >run.traj
	traj-convert --export npy d run.traj
	/usr/bin/python3 "$TRAJ_ROOT/tests/cli/crafted_importers.py" crafted
}

setup() {
	load test_helper
	/usr/bin/python3 -c 'import numpy' 2>/dev/null ||
		skip "/usr/bin/python3 cannot import numpy (Debian: python3-numpy)"
	cd "$BATS_TEST_TMPDIR"
	F=$BATS_FILE_TMPDIR
}

@test "every crafted ambiguous .npy, .npz and safetensors file: status 65, one line naming file, byte and fault" {
	n=0
	while IFS=$'\t' read -r fmt file text; do
		run -65 --separate-stderr traj-convert --import "$fmt" "$F/crafted/$file" \
			--run "$F/d/run.json" -o out.traj
		assert_one_error_line traj-convert
		[[ $stderr == *"crafted/$file: "* ]] || fail "$file is not named: $stderr"
		[[ $stderr == *"$text"* ]] || fail "$file: '$text' expected: $stderr"
		[ ! -e out.traj ] || fail "$file: out.traj written"
		n=$((n + 1))
	done <"$F/crafted/cases.tsv"
	[ "$n" -eq 26 ] || fail "$n cases, 26 expected"
}

@test "the crafted files that are valid are imported: ZIP64 fields, offsets out of key order, no spaces" {
	while IFS=$'\t' read -r fmt file tensor; do
		run -0 traj-convert --import "$fmt" "$F/crafted/$file" --run "$F/d/run.json" -o ok.traj
		run -0 traj-snapshot -lv ok.traj
		assert_line --partial $'\t'"$tensor"$'\tf32\t'
	done <"$F/crafted/ok.tsv"
}

@test "numpy reads the 'descr' twice as its last (int32), so the first is not an answer" {
	run -0 /usr/bin/python3 -c "import numpy as np; print(np.load('$F/crafted/npy-descr-twice.npy').dtype)"
	assert_output int32
	run -1 /usr/bin/python3 -c "import numpy as np; np.load('$F/crafted/npy-junk-after-dict.npy')"
}

@test "an npz of 65,536 entries (ZIP64 end records by Python's zipfile) is imported whole, and exported so" {
	/usr/bin/python3 - <<'PY'
import io, zipfile, numpy as np
b = io.BytesIO()
np.save(b, np.arange(2, dtype=np.float32))
with zipfile.ZipFile("big.npz", "w") as z:
    for i in range(65536):
        z.writestr("t%d.npy" % i, b.getvalue())
PY
	grep -q $'PK\x06\x06' big.npz # the ZIP64 end record
	run -0 traj-convert --import npz big.npz --run "$F/d/run.json" -o big.traj
	run -0 traj-snapshot -l big.traj
	assert_output --regexp $'^ckpt\tmodadd-p11-s1\t0\t65536\t'
	run -0 bash -c "traj-snapshot -lv big.traj | grep -c $'\tt65535\tf32\t2\t'"
	assert_output 1
	# and written back with ZIP64 end records, which numpy reads whole
	run -0 traj-convert --export npz back.npz big.traj
	run -0 /usr/bin/python3 -c "import numpy as np; z = np.load('back.npz'); print(len(z.files), z['t65535'].tolist())"
	assert_output "65536 [0.0, 1.0]"
}

@test "stream headers: a dtype \"f32\\u0000\" is not f32, and invalid UTF-8 is refused" {
	patch() { /usr/bin/python3 "$TRAJ_ROOT/tests/cli/patch_header.py" "$F/run.traj" x.traj "$@"; }
	patch '"dtype":"f32"' '"dtype":"f32\\u0000"'
	run -65 --separate-stderr traj-score x.traj
	assert_one_error_line traj-score
	[[ $stderr == *"x.traj: "*"\\u0000 (NUL) in a string"* ]] || fail "$stderr"
	for bytes in '\xff' '\xc0\xaf' '\xed\xa0\x80' '\xe2\x82'; do
		patch '"creator":"traj' '"creator":"'"$bytes"'traj'
		run -65 --separate-stderr traj-snapshot -l x.traj
		assert_one_error_line traj-snapshot
		[[ $stderr == *"x.traj: "*"invalid UTF-8"* ]] || fail "$bytes: $stderr"
	done
	# valid UTF-8 (U+00E9) in a free text field stays valid
	patch '"creator":"traj' '"creator":"\xc3\xa9traj'
	run -0 traj-snapshot -l x.traj
}
