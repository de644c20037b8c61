#!/usr/bin/env bats
# pipelines/plot: metric lines to PNG and SVG with gnuplot; bad input.

setup() {
	load test_helper
	PLOT="$TRAJ_ROOT/pipelines/plot"
	M="$BATS_TEST_TMPDIR/m.tsv"
	printf 'r\t%d\ttest/acc\t%s\n' 0 0.01 10 0.02 100 0.5 1000 0.99 >"$M"
	printf 'r\t%d\ttrain/acc\t%s\n' 0 0.01 10 0.9 100 1 1000 1 >>"$M"
}

need_gnuplot() { command -v gnuplot >/dev/null || skip "gnuplot not installed"; }

@test "--help prints usage with status 0" {
	run -0 "$PLOT" --help
	assert_line --index 0 --partial "Usage: pipelines/plot -o OUT.png|OUT.svg"
}

@test "draws a PNG of several metrics, log steps and events" {
	need_gnuplot
	printf 'r\t100\ttest/acc\trise\t0.02\t0.5\t10\t100\tchangepoint\n' >"$BATS_TEST_TMPDIR/ev"
	run -0 "$PLOT" -o "$BATS_TEST_TMPDIR/a.png" -m '*/acc' --logx \
		-e "$BATS_TEST_TMPDIR/ev" -t 'a title' "$M"
	# the PNG signature, and a picture of the default size
	assert_equal "$(head -c 8 "$BATS_TEST_TMPDIR/a.png" | od -An -tx1 | tr -d ' ')" 89504e470d0a1a0a
	assert_equal "$(od -An -tu1 -j16 -N8 "$BATS_TEST_TMPDIR/a.png" | tr -s ' ' | sed 's/^ //')" "0 0 3 132 0 0 1 244"
	# no temporary file is left beside it
	assert_equal "$(ls -A "$BATS_TEST_TMPDIR" | grep -c '^\.plot')" 0
}

@test "draws an SVG from standard input, with a right-hand axis" {
	need_gnuplot
	run -0 bash -c "'$PLOT' -o '$BATS_TEST_TMPDIR/a.svg' -m test/acc -2 train/acc --size 400x300 <'$M'"
	run -0 grep -c '<svg' "$BATS_TEST_TMPDIR/a.svg"
	grep -q 'test/acc' "$BATS_TEST_TMPDIR/a.svg"
	grep -q 'train/acc' "$BATS_TEST_TMPDIR/a.svg"
}

@test "bad input: malformed line named, no match, usage, missing file" {
	need_gnuplot
	printf 'r\t5\ttest/acc\n' >>"$M"
	run -65 --separate-stderr "$PLOT" -o "$BATS_TEST_TMPDIR/b.png" "$M"
	assert_equal "$stderr" "plot: line 9: not a metric line (RUN<TAB>STEP<TAB>METRIC<TAB>VALUE)"
	[ ! -e "$BATS_TEST_TMPDIR/b.png" ]
	sed -i '$d' "$M"
	run -65 --separate-stderr "$PLOT" -o "$BATS_TEST_TMPDIR/b.png" -m nothing "$M"
	assert_equal "$stderr" "plot: no metric line matches"
	run -64 --separate-stderr "$PLOT" "$M"
	run -64 --separate-stderr "$PLOT" -o x.gif "$M"
	run -64 --separate-stderr "$PLOT" -o x.png --size 12 "$M"
	run -64 --separate-stderr "$PLOT" -o x.png --bogus "$M"
	run -66 --separate-stderr "$PLOT" -o x.png "$BATS_TEST_TMPDIR/none"
	run -73 --separate-stderr bash -c "head -4 '$M' | '$PLOT' -o '$BATS_TEST_TMPDIR/no/such/dir/x.png'"
}
