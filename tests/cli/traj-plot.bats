#!/usr/bin/env bats
# traj-plot: metric lines to PNG and SVG with gnuplot; quoting, atomic
# output, bad input, a missing or failing gnuplot.

setup() {
	load test_helper
	M="$BATS_TEST_TMPDIR/m.tsv"
	printf 'r\t%d\ttest/acc\t%s\n' 0 0.01 10 0.02 100 0.5 1000 0.99 >"$M"
	printf 'r\t%d\ttrain/acc\t%s\n' 0 0.01 10 0.9 100 1 1000 1 >>"$M"
	# temporary directories go here, so a test can see none is left
	export TMPDIR="$BATS_TEST_TMPDIR/tmp"
	mkdir -p "$TMPDIR"
}

need_gnuplot() { command -v gnuplot >/dev/null || skip "gnuplot not installed (scripts/deps.sh plot)"; }

# A stand-in gnuplot on PATH that keeps the script and data it is given
# (in $BATS_TEST_TMPDIR/seen) and draws a one-byte "picture".
fake_gnuplot() {
	mkdir -p "$BATS_TEST_TMPDIR/fake"
	cat >"$BATS_TEST_TMPDIR/fake/gnuplot" <<-'FAKE'
	#!/bin/sh
	dir=$(dirname "$1")
	mkdir -p "$SEEN" && cp "$dir"/* "$SEEN"/
	printf x >"$dir/picture"
	FAKE
	chmod +x "$BATS_TEST_TMPDIR/fake/gnuplot"
	export SEEN="$BATS_TEST_TMPDIR/seen"
	PATH="$BATS_TEST_TMPDIR/fake:$PATH"
}

@test "--help prints usage with status 0; traj lists and runs plot" {
	run -0 traj-plot --help
	assert_line --index 0 "Usage: traj-plot -o OUT.png|OUT.svg [OPTION]... [FILE]..."
	assert_line --partial "gnuplot-nox"
	run -0 traj plot --help
	assert_line --index 0 --partial "Usage: traj-plot"
	run -0 traj --help
	assert_line --partial "  plot "
}

@test "draws a PNG of several metrics, log steps and events" {
	need_gnuplot
	printf 'r\t100\ttest/acc\trise\t0.02\t0.5\t10\t100\tchangepoint\n' >"$BATS_TEST_TMPDIR/ev"
	run -0 traj plot -o "$BATS_TEST_TMPDIR/a.png" -m '*/acc' --logx \
		-e "$BATS_TEST_TMPDIR/ev" -t 'a title' "$M"
	# the PNG signature, and a picture of the default size
	assert_equal "$(head -c 8 "$BATS_TEST_TMPDIR/a.png" | od -An -tx1 | tr -d ' ')" 89504e470d0a1a0a
	assert_equal "$(od -An -tu1 -j16 -N8 "$BATS_TEST_TMPDIR/a.png" | tr -s ' ' | sed 's/^ //')" "0 0 3 132 0 0 1 244"
	# no temporary file beside it, no temporary directory left behind
	assert_equal "$(ls -A "$BATS_TEST_TMPDIR" | grep -c '^\.a\.png')" 0
	assert_equal "$(ls -A "$TMPDIR")" ""
}

@test "draws an SVG from standard input, with a right-hand axis" {
	need_gnuplot
	run -0 bash -c "traj-plot -o '$BATS_TEST_TMPDIR/a.svg' -m test/acc -2 train/acc --size 400x300 <'$M'"
	run -0 grep -c '<svg' "$BATS_TEST_TMPDIR/a.svg"
	grep -q 'width="400" height="300"' "$BATS_TEST_TMPDIR/a.svg"
	grep -q 'test/acc' "$BATS_TEST_TMPDIR/a.svg"
	grep -q 'train/acc' "$BATS_TEST_TMPDIR/a.svg"
}

@test "names and titles cannot add gnuplot commands" {
	need_gnuplot
	cd "$BATS_TEST_TMPDIR"
	# a quote ends a string, a line break ends a command, backquotes run
	# a shell command outside single quotes
	# (metric names hold no spaces: ':>pwned1' creates the file if run)
	printf "r\t1\tx'\`:>pwned1\`\t1\nr\t2\tx'\`:>pwned1\`\t2\n" >odd.tsv
	title=$(printf "it's'\nsystem 'touch pwned2'\n\`touch pwned3\`")
	run -0 traj-plot -o odd.svg -t "$title" odd.tsv
	[ ! -e pwned1 ] && [ ! -e pwned2 ] && [ ! -e pwned3 ]
	grep -qF "x'\`:>pwned1\`" odd.svg
	grep -qF "it's' system 'touch pwned2' \`touch pwned3\`" odd.svg
}

@test "the script: series sorted by step, step 0 at 1 with --logx, runs named when several" {
	fake_gnuplot
	printf 'b\t20\tloss\t2\nb\t0\tloss\t0.5\nb\t10\tloss\t1\na\t0\tloss\t3\n' >"$BATS_TEST_TMPDIR/u.tsv"
	run -0 traj-plot -o "$BATS_TEST_TMPDIR/u.png" --logx --logy "$BATS_TEST_TMPDIR/u.tsv"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/u.png")" x
	assert_equal "$(cat "$SEEN/s1.dat")" "$(printf '1 0.5\n10 1\n20 2')"
	assert_equal "$(cat "$SEEN/s2.dat")" "1 3"
	grep -q "title 'b loss'" "$SEEN/plot.gp"
	grep -q "title 'a loss'" "$SEEN/plot.gp"
	grep -qx "set logscale y" "$SEEN/plot.gp"
	grep -qx "set terminal pngcairo enhanced font 'sans,10' size 900,500" "$SEEN/plot.gp"
	# one run: the metric alone
	rm -r "$SEEN"
	run -0 traj-plot -o "$BATS_TEST_TMPDIR/u.svg" -2 loss <(grep '^b' "$BATS_TEST_TMPDIR/u.tsv")
	grep -q "axes x1y2 title 'loss'" "$SEEN/plot.gp"
	grep -qx "set y2tics" "$SEEN/plot.gp"
	grep -q "^set terminal svg" "$SEEN/plot.gp"
}

@test "bad input: malformed line named, no match, usage, missing file; the old picture stays" {
	fake_gnuplot
	echo old >"$BATS_TEST_TMPDIR/b.png"
	printf 'r\t5\ttest/acc\n' >>"$M"
	run -65 --separate-stderr traj-plot -o "$BATS_TEST_TMPDIR/b.png" "$M"
	assert_equal "$stderr" "traj-plot: $M: line 9: expected 4 tab-separated fields"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/b.png")" old
	sed -i '$d' "$M"
	run -65 --separate-stderr traj-plot -o "$BATS_TEST_TMPDIR/b.png" -m nothing "$M"
	assert_equal "$stderr" "traj-plot: no metric line matches"
	run -64 --separate-stderr traj-plot "$M"
	assert_equal "${stderr%%$'\n'*}" "traj-plot: --out: required (a .png or .svg file)"
	run -64 --separate-stderr traj-plot -o x.gif "$M"
	run -64 --separate-stderr traj-plot -o x.png --size 12 "$M"
	run -64 --separate-stderr traj-plot -o x.png --size 0x5 "$M"
	run -64 --separate-stderr traj-plot -o x.png --bogus "$M"
	run -66 --separate-stderr traj-plot -o x.png "$BATS_TEST_TMPDIR/none"
	assert_one_error_line traj-plot
	run -66 --separate-stderr traj-plot -o x.png -e "$BATS_TEST_TMPDIR/none" "$M"
	run -73 --separate-stderr bash -c "head -4 '$M' | traj-plot -o '$BATS_TEST_TMPDIR/no/such/dir/x.png'"
	assert_one_error_line traj-plot
	assert_equal "$(ls -A "$TMPDIR")" ""
}

@test "no gnuplot: one line naming the package, status 69; a failing one: 70" {
	plot=$(command -v traj-plot)
	run -69 --separate-stderr env PATH=/nonexistent "$plot" -o "$BATS_TEST_TMPDIR/c.png" "$M"
	assert_equal "$stderr" "traj-plot: gnuplot not found: install Debian's gnuplot-nox (scripts/deps.sh plot)"
	[ ! -e "$BATS_TEST_TMPDIR/c.png" ]
	mkdir -p "$BATS_TEST_TMPDIR/bad"
	printf '#!/bin/sh\necho "line 3: invalid command" >&2\nexit 1\n' >"$BATS_TEST_TMPDIR/bad/gnuplot"
	chmod +x "$BATS_TEST_TMPDIR/bad/gnuplot"
	run -70 --separate-stderr env PATH="$BATS_TEST_TMPDIR/bad:$PATH" "$plot" -o "$BATS_TEST_TMPDIR/c.png" "$M"
	assert_equal "$stderr" "traj-plot: gnuplot failed: line 3: invalid command"
	[ ! -e "$BATS_TEST_TMPDIR/c.png" ]
	assert_equal "$(ls -A "$TMPDIR")" ""
}
