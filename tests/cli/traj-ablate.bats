#!/usr/bin/env bats
# traj-ablate: ablation, patching, attribution with a budget, patching
# across training time, circuits; every option and bad input. Tiny
# models (p = 11) trained for a few steps.

setup_file() {
	load test_helper
	TF="$BATS_FILE_TMPDIR/tf.traj"
	MLP="$BATS_FILE_TMPDIR/mlp.traj"
	traj-train --quiet --model transformer --p 11 --frac 0.5 --layers 1 \
		--d-model 16 --heads 2 --d-head 8 --d-mlp 12 --steps 30 \
		--every 10 >"$TF"
	small_train --steps 30 --every 10 --width 8 >"$MLP"
	export TF MLP
}

setup() { load test_helper; }

# value METRIC [traj-ablate args...]: the value of one metric line
value() {
	local metric=$1
	shift
	traj-ablate -q "$@" | awk -F'\t' -v m="$metric" '$3 == m { print $4 }'
}

# check_circuit CANDIDATES THRESHOLD STREAM ARGS...: on $output of a
# --circuit run (ARGS its selection): candidates as given, 1 <= size <
# candidates, loss delta within THRESHOLD, and keeping the circuit is
# jointly ablating every other candidate. Sets $size.
check_circuit() {
	local ncand=$1 threshold=$2 stream=$3
	shift 3
	assert_line --regexp $'\tcircuit/candidates\t'"$ncand"'$'
	size=$(out_value circuit/size)
	[ "$size" -ge 1 ] && [ "$size" -lt "$ncand" ]
	awk -v d="$(out_value circuit/loss_delta)" -v t="$threshold" \
		'BEGIN { exit !(d <= t) }'
	local kept acc rest
	kept=$(circuit_kept)
	assert_equal "$(printf '%s\n' "$kept" | wc -l)" "$size"
	acc=$(out_value circuit/acc)
	rest=$(traj-ablate "$@" --list "$stream" | grep -vxF "$kept" | paste -sd,)
	assert_equal "$(value ablate/joint/acc "$@" --joint -c "$rest" "$stream")" "$acc"
}

@test "--help prints usage on stdout with status 0" {
	run -0 traj-ablate --help
	assert_line --index 0 "Usage: traj-ablate [OPTION]... [FILE]"
}

@test "--version prints the version" {
	run -0 traj-ablate --version
	assert_output --regexp '^traj-ablate \(traj\) [0-9.]+$'
}

@test "--list names heads, neurons and layers of a transformer" {
	run -0 traj-ablate --list "$TF"
	assert_equal "${#lines[@]}" 16 # attn, 2 heads, mlp, 12 neurons
	assert_line --index 0 blocks.0.attn
	assert_line --index 2 blocks.0.attn.head1
	assert_line --index 15 blocks.0.mlp.n11
	run -0 traj-ablate --list -c 'layers.0.n*' "$MLP"
	assert_equal "${#lines[@]}" 8
}

@test "one ranked group of lines per component, and the pass count" {
	run -0 --separate-stderr traj-ablate "$TF"
	assert_line --index 0 --regexp $'^modadd-p11-s1\t30\tablate/clean/loss\t'
	assert_equal "$(printf '%s\n' "$output" | grep -c '/rank')" 16
	assert_equal "$(printf '%s\n' "$output" | grep -c '/loss_delta')" 16
	assert_line --regexp $'ablate/forward_passes\t17$'
	assert_equal "$stderr" "traj-ablate: 17 forward passes, 0 backward passes, over 60 examples"
	# rank 1 has the largest loss delta
	first=$(printf '%s\n' "$output" | grep loss_delta | head -1 | cut -f4)
	max=$(printf '%s\n' "$output" | grep loss_delta | sort -k4 -gr | head -1 | cut -f4)
	assert_equal "$first" "$max"
}

@test "grep /rank | sort -k4 -g | head gives the most responsible first" {
	run -0 bash -c "traj-ablate -q '$TF' | grep /rank | sort -k4 -g | head -1 | cut -f4"
	assert_output 1
}

@test "--step, --split and --limit choose the checkpoint and the examples" {
	run -0 --separate-stderr traj-ablate -c blocks.0.attn --step 10 --split train --limit 7 "$TF"
	assert_line --index 0 --regexp $'\t10\tablate/clean/loss\t'
	assert_equal "$stderr" "traj-ablate: 2 forward passes, 0 backward passes, over 7 examples"
}

@test "the three methods give different deltas; zero ablation of a whole layer is not free" {
	z=$(value ablate/blocks.0.mlp/loss_delta -m zero "$TF")
	m=$(value ablate/blocks.0.mlp/loss_delta -m mean "$TF")
	r=$(value ablate/blocks.0.mlp/loss_delta -m resample "$TF")
	[ "$z" != "$m" ] && [ "$m" != "$r" ] && [ "$z" != 0 ]
}

@test "--seed changes resampling only" {
	a=$(value ablate/blocks.0.mlp/loss_delta -m resample --seed 1 "$TF")
	b=$(value ablate/blocks.0.mlp/loss_delta -m resample --seed 2 "$TF")
	c=$(value ablate/blocks.0.mlp/loss_delta -m mean --seed 2 "$TF")
	d=$(value ablate/blocks.0.mlp/loss_delta -m mean --seed 1 "$TF")
	[ "$a" != "$b" ] && [ "$c" = "$d" ]
}

@test "works on MLP streams and reads standard input" {
	run -0 bash -c "traj-ablate -q -c layers.0 < '$MLP' | cut -f3 | paste -sd' '"
	assert_output "ablate/clean/loss ablate/clean/acc ablate/layers.0/loss_delta ablate/layers.0/acc_delta ablate/layers.0/rank ablate/forward_passes ablate/backward_passes"
}

@test "--joint ablates the selection together" {
	run -0 traj-ablate -q --joint -c 'blocks.0.attn.head*' "$TF"
	assert_line --regexp $'ablate/joint/size\t2$'
	assert_line --regexp $'ablate/forward_passes\t2$'
	whole=$(value ablate/blocks.0.attn/loss_delta -c blocks.0.attn "$TF")
	joint=$(value ablate/joint/loss_delta --joint -c 'blocks.0.attn.head*' "$TF")
	assert_equal "$joint" "$whole"
}

@test "--attrib ranks every component with one forward and one backward pass" {
	run -0 --separate-stderr traj-ablate --attrib "$TF"
	assert_equal "$(printf '%s\n' "$output" | grep -c '/attrib')" 16
	assert_equal "$(printf '%s\n' "$output" | grep -c '/loss_delta')" 0
	assert_equal "$stderr" "traj-ablate: 2 forward passes, 1 backward passes, over 60 examples"
}

@test "--budget N uses N forward passes and verifies N-2 components" {
	run -0 --separate-stderr traj-ablate --budget 6 "$TF"
	assert_equal "$(printf '%s\n' "$output" | grep -c '/loss_delta')" 4
	assert_line --regexp $'ablate/forward_passes\t6$'
	assert_equal "$stderr" "traj-ablate: 6 forward passes, 1 backward passes, over 60 examples"
	# whole layers are verified first
	assert_line --partial 'ablate/blocks.0.attn/loss_delta'
	assert_line --partial 'ablate/blocks.0.mlp/loss_delta'
}

@test "a budget the method cannot meet is a usage error" {
	run -64 --separate-stderr traj-ablate --budget 1 "$TF"
	assert_one_error_line traj-ablate
	assert_output ""
	[[ $stderr == *"--budget 1: attribution patching needs 2 forward passes"* ]]
	run -64 --separate-stderr traj-ablate --patch a --budget 2 "$TF"
	[[ $stderr == *"needs 3 forward passes"* ]]
}

@test "--patch a patches clean activations into corrupted inputs" {
	run -0 traj-ablate -q --patch a "$TF"
	assert_line --regexp $'patch/clean/loss\t'
	assert_line --regexp $'patch/corrupted/acc\t'
	assert_equal "$(printf '%s\n' "$output" | grep -c 'patch/.*/rank')" 16
	# patching every head restores the clean output of the attention
	clean=$(value patch/clean/loss --patch b "$TF")
	corr=$(value patch/corrupted/loss --patch b "$TF")
	d=$(value patch/blocks.0.attn/loss_delta --patch b -c blocks.0.attn "$TF")
	run awk -v c="$clean" -v k="$corr" -v d="$d" 'BEGIN { x = k + d - c; exit !(x < 1e-5 && x > -1e-5) }'
	assert_success
}

@test "--patch on a task without corruptions is a usage error" {
	traj-train --quiet --model transformer --task parity --bits 6 --k 2 \
		--n-train 20 --n-test 10 --d-model 8 --heads 2 --d-head 4 --d-mlp 8 --steps 2 --every 2 \
		>"$BATS_TEST_TMPDIR/par.traj"
	run -64 --separate-stderr traj-ablate --patch a "$BATS_TEST_TMPDIR/par.traj"
	assert_one_error_line traj-ablate
	[[ $stderr == *"task 'parity' defines no corruption"* ]]
}

@test "--from-step K: patching across training time, weights and activations" {
	run -0 traj-ablate -q --from-step 0 "$TF"
	assert_line --regexp $'timepatch/from_step\t0$'
	assert_equal "$(printf '%s\n' "$output" | grep -c '/carried')" 16
	run -0 traj-ablate -q --from-step 0 --from-mode acts -c blocks.0.mlp "$TF"
	assert_line --regexp 'timepatch/blocks.0.mlp/reverse_carried'
	# a component patched from the same checkpoint changes nothing
	d=$(value timepatch/blocks.0.mlp/acc_delta --from-step 30 -c blocks.0.mlp "$TF")
	assert_equal "$d" 0
}

@test "--from FILE takes step K from another stream of the same model" {
	run -0 traj-ablate -q --from "$TF" --from-step 10 -c blocks.0.attn "$TF"
	assert_line --regexp $'timepatch/from_step\t10$'
	run -65 --separate-stderr traj-ablate --from "$MLP" "$TF"
	assert_one_error_line traj-ablate
	[[ $stderr == *"a different model"* ]]
}

@test "--circuit keeps the loss within the threshold and writes DOT" {
	dot="$BATS_TEST_TMPDIR/c.dot"
	run -0 traj-ablate -q --circuit --threshold 0.05 --dot "$dot" "$TF"
	assert_line --regexp $'circuit/candidates\t14$'
	d=$(out_value circuit/loss_delta)
	run awk -v d="$d" 'BEGIN { exit !(d <= 0.05) }'
	assert_success
	run -0 head -1 "$dot"
	assert_output "digraph circuit {"
	ls "$BATS_TEST_TMPDIR" | { ! grep -q tmp; }
	# a huge threshold keeps nothing
	run -0 traj-ablate -q --circuit --threshold 1000 "$TF"
	assert_line --regexp $'circuit/size\t0$'
}

@test "--direction ablates a residual direction" {
	/usr/bin/python3 -c 'import numpy' 2>/dev/null || skip "no numpy"
	/usr/bin/python3 -c "import numpy; numpy.save('$BATS_TEST_TMPDIR/u.npy', numpy.ones(16, dtype='<f4'))"
	run -0 traj-ablate -q --direction "$BATS_TEST_TMPDIR/u.npy" -c direction "$TF"
	assert_line --regexp 'ablate/direction/loss_delta'
	run -64 --separate-stderr traj-ablate --direction "$BATS_TEST_TMPDIR/u.npy" --direction-hook nope "$TF"
	assert_one_error_line traj-ablate
	[[ $stderr == *"valid: hook_embed, hook_pos_embed, blocks.0.hook_resid_pre"* ]]
}

@test "an unknown component lists the valid ones" {
	run -64 --separate-stderr traj-ablate -c blocks.3.attn "$TF"
	assert_one_error_line traj-ablate
	assert_equal "$stderr" "traj-ablate: --component: no component matches 'blocks.3.attn'; valid: blocks.0.attn, blocks.0.attn.head0..1, blocks.0.mlp, blocks.0.mlp.n0..11"
}

@test "a missing step names the steps there are" {
	run -65 --separate-stderr traj-ablate --step 7 "$TF"
	assert_one_error_line traj-ablate
	[[ $stderr == *"no checkpoint at step 7 (steps 0..30)"* ]]
}

@test "bad options are usage errors" {
	run -64 traj-ablate -m nope "$TF"
	run -64 traj-ablate --patch c "$TF"
	run -64 traj-ablate --split dev "$TF"
	run -64 traj-ablate --dot x.dot "$TF"
	run -64 traj-ablate --attrib --budget 4 "$TF"
	run -64 traj-ablate --from-mode x "$TF"
	run -64 traj-ablate "$TF" "$TF"
}

@test "a model this build cannot run is one error line, status 65" {
	run -65 --separate-stderr traj-ablate "$BATS_TEST_DIRNAME/../../formats/vectors/tiny.traj"
	assert_one_error_line traj-ablate
}

@test "a missing file is status 66; | head exits quietly" {
	run -66 --separate-stderr traj-ablate "$BATS_TEST_TMPDIR/nope.traj"
	assert_one_error_line traj-ablate
	run -0 --separate-stderr bash -c "set -o pipefail; traj-ablate -q '$TF' | head -1"
	[ -z "$stderr" ]
}

# --by freq: the Fourier frequencies of the logits (logit_freq.h).

@test "--by freq --list names the (p-1)/2 frequencies, -c selects" {
	run -0 traj-ablate --by freq --list "$TF"
	assert_equal "${#lines[@]}" 5
	assert_line --index 0 logits.freq.1
	assert_line --index 4 logits.freq.5
	run -0 traj-ablate --by freq --list -c 'logits.freq.[24]' "$MLP"
	assert_output "$(printf 'logits.freq.2\nlogits.freq.4')"
}

@test "--by freq zero-ablating every frequency leaves uniform logits: loss log p" {
	clean=$(value ablate/clean/loss --by freq -m zero "$TF")
	delta=$(value ablate/joint/loss_delta --by freq -m zero --joint "$TF")
	awk -v c="$clean" -v d="$delta" 'BEGIN { e = c + d - log(11);
		exit !(e < 1e-5 && e > -1e-5) }'
	# the clean figures are the model's own (traj-score's loss)
	run -0 value ablate/clean/acc --by freq "$TF"
	[ "$output" = "$(value ablate/clean/acc "$TF")" ]
}

@test "--by freq ranks every frequency with one forward pass" {
	run -0 traj-ablate --by freq "$MLP"
	assert_equal "$(printf '%s\n' "$output" | grep -c '/rank')" 5
	assert_line --regexp $'\tablate/forward_passes\t1$'
	assert_line --regexp $'\tablate/backward_passes\t0$'
	assert_line --regexp $'\tablate/logit_evals\t5$'
	# rank 1 has the largest loss increase
	top=$(printf '%s\n' "$output" | awk -F'\t' '$3 ~ /\/rank$/ && $4 == 1 { print $3 }')
	max=$(printf '%s\n' "$output" | awk -F'\t' '$3 ~ /loss_delta$/' |
		sort -t$'\t' -k4 -g | tail -1 | cut -f3)
	assert_equal "${top%/rank}" "${max%/loss_delta}"
}

@test "--by freq --circuit keeps a set within the threshold, one forward pass" {
	m="$BATS_TEST_TMPDIR/m.traj"
	small_train --steps 300 --every 300 >"$m"
	set -- -q --by freq --split train
	run -0 traj-ablate "$@" --circuit --threshold 0.2 "$m"
	assert_line --regexp $'\tcircuit/forward_passes\t1$'
	check_circuit 5 0.2 "$m" "$@"
	awk -v d="$(out_value circuit/loss_delta)" 'BEGIN { exit !(d > 0) }'
	# a tighter threshold keeps more
	run -0 traj-ablate "$@" --circuit --threshold 0.01 "$m"
	assert_line --regexp $'\tcircuit/size\t5$'
}

@test "--by freq: bad uses are usage errors" {
	run -64 --separate-stderr traj-ablate --by neuron "$TF"
	[[ $stderr == "traj-ablate: --by: 'neuron', expected freq, edge or neuron-freq"* ]]
	run -64 --separate-stderr traj-ablate --by freq -m resample "$TF"
	[[ $stderr == "traj-ablate: --by freq: --method zero or mean"* ]]
	for bad in "--budget 5" "--attrib" "--patch a" "--circuit --dot x.dot" \
		"--from-step 10 --from-mode acts"; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr traj-ablate --by freq $bad "$TF"
		[[ $stderr == "traj-ablate: --by freq: not with"* ]]
	done
	run -64 --separate-stderr traj-ablate --by freq -c 'blocks.*' "$TF"
	assert_one_error_line traj-ablate
	assert_output ""
	[[ $stderr == *"valid: logits.freq.1..5"* ]]
	traj-train --quiet --task parity --bits 6 --k 2 --n-train 20 --n-test 10 \
		--width 8 --steps 2 --every 2 >"$BATS_TEST_TMPDIR/par.traj"
	run -64 --separate-stderr traj-ablate --by freq "$BATS_TEST_TMPDIR/par.traj"
	[[ $stderr == "traj-ablate: --by freq: task 'parity' is not modular"* ]]
}

@test "--by freq --from-step: frequencies across training time" {
	run -0 traj-ablate -q --by freq --from-step 10 "$TF"
	assert_line --regexp $'\ttimepatch/from_step\t10$'
	assert_equal "$(printf '%s\n' "$output" | grep -c '/carried')" 5
	assert_line --regexp $'\ttimepatch/forward_passes\t2$'
	assert_line --regexp $'\ttimepatch/logit_evals\t10$'
	# every frequency from step 10 = step 10's logits, and the reverse
	run -0 traj-ablate -q --by freq --from-step 10 --joint "$TF"
	acc=$(out_value timepatch/acc)
	from=$(out_value timepatch/from_acc)
	[ "$acc" != "$from" ]
	d=$(out_value timepatch/joint/acc_delta)
	r=$(out_value timepatch/joint/reverse_carried)
	awk -v a="$acc" -v f="$from" -v d="$d" -v r="$r" 'BEGIN { e = a + d - f;
		exit !(e < 1e-9 && e > -1e-9 && r > 0.999999 && r < 1.000001) }'
	assert_line --regexp $'\ttimepatch/joint/size\t5$'
}

# --by edge: edges between a transformer's components (edges.h).

@test "--by edge --list names every edge, -c selects" {
	run -0 traj-ablate --by edge --list "$TF"
	# 2 heads x q,k,v from embed; embed, 2 heads into the MLP; 4 into logits
	assert_equal "${#lines[@]}" 13
	assert_line --index 0 'embed->blocks.0.attn.head0.q'
	assert_line --index 6 'embed->blocks.0.mlp'
	assert_line --index 12 'blocks.0.mlp->logits'
	run -0 traj-ablate --by edge --list -c '*->logits' "$TF"
	assert_equal "${#lines[@]}" 4
}

@test "--by edge: clean figures are the model's, one pass per edge" {
	run -0 traj-ablate --by edge "$TF"
	assert_equal "$(printf '%s\n' "$output" | grep -c '/rank')" 13
	assert_line --regexp $'\tablate/forward_passes\t14$'
	c=$(out_value ablate/clean/loss)
	awk -v a="$c" -v b="$(value ablate/clean/loss "$TF")" \
		'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
	# the last block reads only the '=' position, the same token in every
	# example: embed's edges into its queries, MLP and logits do nothing
	printf '%s\n' "$output" | awk -F'\t' '$3 ~ /^ablate\/embed->(.*\.q|blocks\.0\.mlp|logits)\/loss_delta$/ {
		n++; if ($4 > 1e-6 || $4 < -1e-6) bad++ } END { exit !(n == 4 && !bad) }'
}

@test "--by edge: every edge out of a component together ablates the component" {
	for m in zero mean resample; do
		for c in blocks.0.attn.head1 blocks.0.mlp; do
			e=$(value ablate/joint/loss_delta --by edge -m $m --joint -c "$c->*" "$TF")
			n=$(value ablate/joint/loss_delta -m $m --joint -c "$c" "$TF")
			awk -v a="$e" -v b="$n" 'BEGIN { d = a - b;
				exit !(d < 1e-5 && d > -1e-5 && (b > 1e-4 || b < -1e-4)) }'
		done
	done
}

@test "--by edge --circuit: within the threshold, DOT of the kept edges" {
	m="$BATS_TEST_TMPDIR/m.traj"
	traj-train --quiet --model transformer --p 11 --frac 0.6 --layers 1 \
		--d-model 16 --heads 2 --d-head 8 --d-mlp 24 --steps 300 \
		--every 300 --lr 0.01 >"$m"
	set -- -q --by edge --split train
	run -0 traj-ablate "$@" --circuit --threshold 0.1 --dot "$BATS_TEST_TMPDIR/c.dot" "$m"
	check_circuit 13 0.1 "$m" "$@"
	head -1 "$BATS_TEST_TMPDIR/c.dot" | grep -qx 'digraph circuit {'
	assert_equal "$(grep -c -- ' -> ' "$BATS_TEST_TMPDIR/c.dot")" "$size"
	# the MLP's edge to the logits carries this model
	grep -q '"blocks.0.mlp" -> "logits"' "$BATS_TEST_TMPDIR/c.dot"
}

@test "--by edge --patch a: clean outputs into corrupted inputs" {
	run -0 traj-ablate -q --by edge --patch a "$TF"
	assert_line --regexp $'\tpatch/clean/loss\t'
	assert_line --regexp $'\tpatch/corrupted/acc\t'
	assert_equal "$(printf '%s\n' "$output" | grep -c '/rank')" 13
	assert_line --regexp $'\tpatch/forward_passes\t15$'
	# patching every edge into the logits restores the clean run
	cl=$(value patch/clean/loss --by edge --patch a "$TF")
	co=$(value patch/corrupted/loss --by edge --patch a "$TF")
	d=$(value patch/joint/loss_delta --by edge --patch a --joint -c '*->logits' "$TF")
	awk -v cl="$cl" -v co="$co" -v d="$d" 'BEGIN { e = co + d - cl;
		exit !(e < 1e-5 && e > -1e-5 && (cl - co > 1e-3 || co - cl > 1e-3)) }'
}

@test "--by edge --attrib: one gradient pass ranks every edge" {
	run -0 traj-ablate -q --by edge --attrib "$TF"
	assert_equal "$(printf '%s\n' "$output" | grep -c '/attrib')" 13
	assert_equal "$(printf '%s\n' "$output" | grep -c '/loss_delta')" 0
	# clean pass, gradient pass, attribution pass
	assert_line --regexp $'\tablate/forward_passes\t3$'
	assert_line --regexp $'\tablate/backward_passes\t1$'
	# per component, its edges' estimates add up to the component's
	e=$(traj-ablate -q --by edge --attrib -c 'blocks.0.attn.head0->*' "$TF" |
		awk -F'\t' '$3 ~ /attrib$/ { s += $4 } END { printf "%.9g", s }')
	n=$(value ablate/blocks.0.attn.head0/attrib --attrib -c blocks.0.attn.head0 "$TF")
	awk -v a="$e" -v b="$n" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6 && (b > 1e-6 || b < -1e-6)) }'
}

@test "--by edge --budget N: N forward passes, the top verified" {
	run -0 traj-ablate -q --by edge --budget 6 "$TF"
	assert_line --regexp $'\tablate/forward_passes\t6$'
	assert_equal "$(printf '%s\n' "$output" | grep -c '/loss_delta')" 3
	assert_equal "$(printf '%s\n' "$output" | grep -c '/rank')" 13
	run -0 traj-ablate -q --by edge --patch b --budget 6 "$TF"
	assert_line --regexp $'\tpatch/forward_passes\t6$'
	assert_equal "$(printf '%s\n' "$output" | grep -c '/loss_delta')" 2
	run -64 --separate-stderr traj-ablate --by edge --budget 2 "$TF"
	[[ $stderr == "traj-ablate: --budget 2: attribution patching needs 3 forward passes"* ]]
}

@test "--by edge: bad uses are usage errors" {
	run -64 --separate-stderr traj-ablate --by edge "$MLP"
	[[ $stderr == "traj-ablate: --by edge: the model is not a transformer"* ]]
	for bad in "--direction x.npy" "--from-step 10"; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr traj-ablate --by edge $bad "$TF"
		[[ $stderr == "traj-ablate: --by edge: not with"* ]]
	done
	run -64 --separate-stderr traj-ablate --by edge -c 'blocks.0.attn.head0' "$TF"
	assert_one_error_line traj-ablate
	[[ $stderr == *"no edge matches 'blocks.0.attn.head0'"* ]]
}

# --by neuron-freq: the last block's neurons grouped by frequency.

@test "--by neuron-freq: groups cover every neuron; all of them = the MLP" {
	run -0 traj-ablate --by neuron-freq --list "$TF"
	for name in "${lines[@]}"; do
		[[ $name =~ ^blocks\.0\.mlp\.freq[1-5]$ ]]
	done
	run -0 traj-ablate -q --by neuron-freq "$TF"
	total=$(printf '%s\n' "$output" | awk -F'\t' '$3 ~ /\/neurons$/ { s += $4 } END { print s }')
	assert_equal "$total" 12
	# one pass per group after the clean one
	groups=$(traj-ablate --by neuron-freq --list "$TF" | wc -l)
	assert_line --regexp $'\tablate/forward_passes\t'"$((groups + 1))"'$'
	for m in zero mean resample; do
		a=$(value ablate/joint/loss_delta --by neuron-freq -m $m --joint "$TF")
		b=$(value ablate/joint/loss_delta -m $m --joint -c blocks.0.mlp "$TF")
		awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; exit !(d < 1e-5 && d > -1e-5 && (b > 1e-4 || b < -1e-4)) }'
	done
}

@test "--by neuron-freq: attribution, budget and circuit" {
	run -0 traj-ablate -q --by neuron-freq --attrib "$TF"
	assert_line --regexp $'\tablate/backward_passes\t1$'
	run -0 traj-ablate -q --by neuron-freq --budget 3 "$TF"
	assert_line --regexp $'\tablate/forward_passes\t3$'
	assert_equal "$(printf '%s\n' "$output" | grep -c '/loss_delta')" 1
	m="$BATS_TEST_TMPDIR/m.traj"
	traj-train --quiet --model transformer --p 11 --frac 0.6 --layers 1 \
		--d-model 16 --heads 2 --d-head 8 --d-mlp 24 --steps 300 \
		--every 300 --lr 0.01 >"$m"
	run -0 traj-ablate -q --by neuron-freq --split train --circuit --threshold 0.01 "$m"
	# circuit/neurons counts the neurons of the kept groups
	printf '%s\n' "$output" | awk -F'\t' '
		$3 ~ /\/neurons$/ && $3 != "circuit/neurons" { g = $3; sub(/\/neurons$/, "", g); n[g] = $4 }
		$3 ~ /\/importance$/ { g = $3; sub(/\/importance$/, "", g); kept[g] = 1 }
		$3 == "circuit/neurons" { want = $4 }
		END { for (g in kept) s += n[g]; exit !(s == want && want > 0) }'
}

@test "--by neuron-freq: bad uses are usage errors" {
	run -64 --separate-stderr traj-ablate --by neuron-freq "$MLP"
	[[ $stderr == "traj-ablate: --by neuron-freq: the model is not a transformer with MLPs"* ]]
	for bad in "--patch a" "--from-step 10" "--circuit --dot x.dot"; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr traj-ablate --by neuron-freq $bad "$TF"
		[[ $stderr == "traj-ablate: --by neuron-freq: not with"* ]]
	done
	run -64 --separate-stderr traj-ablate --by neuron-freq -c 'blocks.0.attn*' "$TF"
	assert_one_error_line traj-ablate
	[[ $stderr == *"no neuron group matches"* ]]
}

# add_stream: a 2-digit addition transformer (3 answer digits) in $a
add_stream() {
	a="$BATS_FILE_TMPDIR/add.traj"
	[ -s "$a" ] || traj-train --quiet --task add --digits 2 --n-train 500 \
		--n-test 200 --model transformer --layers 1 --d-model 16 \
		--heads 2 --d-mlp 24 --steps 40 --every 40 --lr 0.01 >"$a"
}

# label_clean_is_score OUTPUT K: the clean loss in traj-ablate --label K's
# OUTPUT is traj-score's test/pos/K/loss of the same checkpoint (40)
label_clean_is_score() {
	local pos
	pos=$(traj-score "$a" | awk -F'\t' -v m="test/pos/$2/loss" '$2 == 40 && $3 == m { print $4 }')
	awk -v a="$(printf '%s\n' "$1" | awk -F'\t' '$3 == "ablate/clean/loss" { print $4 }')" \
		-v b="$pos" 'BEGIN { d = a - b; exit !(d * d < 1e-10 * b * b) }'
}

# ablated_loss NAME: the loss with NAME ablated, from traj-ablate's output
# on stdin (the clean loss plus NAME's loss_delta)
ablated_loss() {
	awk -F'\t' -v m="ablate/$1/loss_delta" '$3 == m { d = $4 }
		$3 == "ablate/clean/loss" { c = $4 } END { print c + d }'
}

# digits_average_to A B C WHOLE: three digits' losses, each its own,
# average to the whole answer's
digits_average_to() {
	awk -v a="$1" -v b="$2" -v c="$3" -v w="$4" 'BEGIN {
		if (a == b || b == c) exit 1
		d = (a + b + c) / 3 - w; exit !(d * d < 1e-10 * w * w) }'
}

@test "--label K scores one answer digit: its clean loss is traj-score's, the digits add up" {
	add_stream
	all=$(traj-ablate -q -c 'blocks.0.attn.head*' "$a")
	local -a abl
	for k in 0 1 2; do
		one=$(traj-ablate -q --label "$k" -c 'blocks.0.attn.head*' "$a")
		# the clean pass of one digit is traj-score's figure for it
		label_clean_is_score "$one" "$k"
		abl[k]=$(ablated_loss blocks.0.attn.head1 <<<"$one")
	done
	# the three digits' ablated losses average to the whole answer's
	digits_average_to "${abl[@]}" "$(ablated_loss blocks.0.attn.head1 <<<"$all")"
	# and an ablated head changes one digit's loss, not nothing
	run -0 traj-ablate -q --label 2 -m zero -c blocks.0.attn "$a"
	awk -F'\t' '$3 == "ablate/blocks.0.attn/loss_delta" { exit !($4 != 0) }' <<<"$output"
}

@test "--by edge --label K: one digit's loss over edges, traj-score's when clean, the digits add up" {
	add_stream
	local -a abl
	for k in 0 1 2; do
		set -- --by edge --label "$k" -c 'blocks.0.attn.head1->*' "$a"
		one=$(traj-ablate -q "$@")
		# nothing ablated: the digit's loss as traj-score computes it
		label_clean_is_score "$one" "$k"
		abl[k]=$(ablated_loss 'blocks.0.attn.head1->logits' <<<"$one")
		# every edge out of the head is the head, for this digit too
		e=$(value ablate/joint/loss_delta --joint "$@")
		h=$(value ablate/joint/loss_delta --joint --label "$k" -c blocks.0.attn.head1 "$a")
		awk -v a="$e" -v b="$h" 'BEGIN { d = a - b;
			exit !(d < 1e-5 && d > -1e-5 && (b > 1e-4 || b < -1e-4)) }'
	done
	# the digits' losses with the edge ablated average to the answer's
	digits_average_to "${abl[@]}" "$(traj-ablate -q --by edge \
		-c 'blocks.0.attn.head1->logits' "$a" | ablated_loss 'blocks.0.attn.head1->logits')"
	# a digit the model does not predict
	run -64 --separate-stderr traj-ablate --by edge --label 3 "$a"
	[[ $stderr == *"--label 3: the model has labelled positions 0..2"* ]]
}

@test "--label: a position the model does not have, or a mode that needs the whole loss, is a usage error" {
	add_stream
	run -64 --separate-stderr traj-ablate --label 3 "$a"
	assert_one_error_line traj-ablate
	[[ $stderr == *"--label 3: the model has labelled positions 0..2"* ]]
	for bad in "--circuit" "--attrib" "--budget 5" "--from-step 40" \
		"--by edge --circuit" "--by edge --attrib"; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr traj-ablate --label 1 $bad "$a"
		[[ $stderr == "traj-ablate: --label: only for"* ]]
	done
	run -64 --separate-stderr traj-ablate --label -1 "$a"
}
