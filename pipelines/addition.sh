#!/bin/sh
# When each digit of addition emerges, and whether the inside of the
# network tells it first. docs/addition.md reports and discusses the
# figures.
#
# For each number of digits and seed: a small transformer learns n-digit
# addition (traj train --task add, answer digits most significant first);
# traj score gives each answer digit's test accuracy (test/pos/K/acc) and
# its accuracy by the carry chain reaching it (test/carry/L/acc); linear
# probes (traj probe) read, at the position that predicts digit K, the
# digit itself (target cK) and the carry coming into it (target carryK)
# from every layer's residual stream; and a circuit signal (traj ablate
# --label K): how much digit K's loss rises when the head it depends on
# most is mean-ablated. traj emerge --changepoint finds the rises of all
# these series with one detector, so the lead of an internal signal is
# the step of the digit's test-accuracy rise minus the step of the
# signal's rise (positive: the signal rose first); the circuit signal
# also by the step it first reaches CIRCUIT nats (heads/max>=0.1). The
# paths signal (traj ablate --by edge --label K) splits a head's effect
# on digit K by the path it takes: the largest loss increase when one
# head's edge straight into the logits is mean-ablated (direct/max), or
# its edge into the MLP (via-mlp/max). A digit with no test rise within
# the budget counts a signal's rise as a false alarm.
#
# Full size: 2 to 5 digits, seeds 1 2 3. QUICK=1 (CI): 2 and 3 digits,
# seed 1, fewer steps.
#
# Usage: pipelines/addition.sh [OUTDIR]   (default: addition-out)
# Environment: TRAJ_BIN (default build/bin), THREADS (2), QUICK, CHECK,
# DIGITS and SEEDS (lists) to choose the runs, LEARNT (0.8) the test
# accuracy a digit's rise must reach, CIRCUIT (0.1) the circuit signal's
# threshold in nats, PATHS (1 at the quick size, else 0) the paths
# signal, EVERY (25) the steps between checkpoints (and circuit
# signals), STEPS_PER_DIGIT (600; a smaller budget leaves digits
# unlearnt), REUSE=1 to analyse the runs already in OUTDIR again without
# training them.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TRAJ_BIN:-$here/build/bin}:$PATH"
. "$here/pipelines/lib/range.sh"
out=${1:-addition-out}
mkdir -p "$out"
threads=${THREADS:-2}

if [ "$range_size" = quick ]; then
	digits=${DIGITS:-2 3}
	seeds=${SEEDS:-1}
	steps_per_digit=250
	every=25
	circuit_every=50 # every other checkpoint: the ablations cost CI time
	paths=${PATHS:-1}
else
	digits=${DIGITS:-2 3 4 5}
	seeds=${SEEDS:-1 2 3}
	steps_per_digit=${STEPS_PER_DIGIT:-600}
	every=${EVERY:-25}
	circuit_every=$every
	paths=${PATHS:-0}
fi
# A digit is learnt when its test accuracy rises to this level; a probe
# signal is its first significant rise, of any size.
learnt=${LEARNT:-0.8}
# The circuit signal also counts when it first crosses this many nats
# (traj ablate --circuit's default threshold), besides its first rise.
cthr=${CIRCUIT:-0.1}
model="--model transformer --layers 1 --d-model 64 --heads 4 --d-mlp 256"

# each_digit RUN FN: FN RUN STEP K for every answer digit K at every
# checkpoint of RUN at a multiple of circuit_every steps.
each_digit() {
	for step in $(traj snapshot -l "$1.traj" |
		awk -F'\t' -v e="$circuit_every" '$3 % e == 0 { print $3 }'); do
		k=0
		while [ "$k" -le "$n" ]; do
			"$2" "$1" "$step" "$k"
			k=$((k + 1))
		done
	done
}

# heads_of_digit RUN STEP K: the circuit signal of answer digit K: each
# attention head mean-ablated with only digit K's loss counted (traj
# ablate --label K); circuit/pos/K/heads/max is the largest loss
# increase, how much the digit's logits depend on one head.
heads_of_digit() {
	traj ablate -q --threads "$threads" --step "$2" --label "$3" \
		-c 'blocks.*.attn.head*' "$1.traj" |
		awk -F'\t' -v OFS='\t' -v k="$3" '
			$3 ~ /\/loss_delta$/ && $3 != "ablate/clean/loss_delta" &&
			(!n++ || $4 > m) { m = $4; id = $1; s = $2 }
			END { print id, s, "circuit/pos/" k "/heads/max", m }'
}

# paths_of_digit RUN STEP K: the paths signal of answer digit K: each edge
# out of a head mean-ablated with only digit K's loss counted; the
# largest loss increase among the edges into the logits
# (circuit/pos/K/direct/max) and among those into the MLP
# (circuit/pos/K/via-mlp/max).
paths_of_digit() {
	traj ablate -q --threads "$threads" --step "$2" --label "$3" \
		--by edge -c 'blocks.*.attn.head*->*' "$1.traj" |
		awk -F'\t' -v OFS='\t' -v k="$3" '
			$3 !~ /\/loss_delta$/ || $3 == "ablate/clean/loss_delta" { next }
			{ p = $3 ~ /->logits\// ? "direct" : "via-mlp"
			  if (!(p in m) || $4 > m[p]) m[p] = $4; id = $1; s = $2 }
			END { for (p in m) print id, s, "circuit/pos/" k "/" p "/max", m[p] }' |
		sort -t "$(printf '\t')" -k3,3
}

circuits() { each_digit "$1" heads_of_digit >"$1.circuits.tsv"; }
paths() { each_digit "$1" paths_of_digit >"$1.paths.tsv"; }

: >"$out/leads.tsv"
for n in $digits; do
	steps=$((steps_per_digit * n))
	for seed in $seeds; do
		ntrain=20000
		[ "$n" -gt 2 ] || ntrain=5000 # of the 10,000 2-digit sums
		id=add-d$n-s$seed
		run=$out/$id
		if [ "${REUSE:-0}" = 1 ] && [ -s "$run.probes.tsv" ]; then
			echo "$id: reusing $run.*" >&2
		else
		echo "$id: traj train, score, probes ($steps steps)" >&2
		# shellcheck disable=SC2086 # model is a list of options
		traj train --quiet --threads "$threads" --task add --digits "$n" \
			--n-train "$ntrain" --n-test 1000 $model --lr 3e-3 \
			--batch 256 --steps "$steps" --every "$every" --seed "$seed" \
			--no-state --force --out "$run.traj"
		traj score --threads "$threads" "$run.traj" >"$run.scores.tsv"
		# Label K is predicted at position 2n+1+K; the carry into it
		# comes out of operand digit K (carryK), the units digit K = n
		# has none.
		: >"$run.probes.tsv"
		k=0
		while [ "$k" -le "$n" ]; do
			set -- -T "c$k"
			[ "$k" -lt "$n" ] && set -- "$@" -T "carry$k"
			traj probe --threads "$threads" --split test --pos $((2 * n + 1 + k)) \
				"$@" "$run.traj" |
				awk -F'\t' -v OFS='\t' -v k="$k" '{
					n = split($3, p, "/")  # probe/HOOK/TARGET/acc
					t = p[n - 1]; sub(/[0-9]+$/, "", t)
					$3 = "probe/pos/" k "/" (t == "c" ? "digit" : "carry") "/" p[2] "/acc"
					print }' >>"$run.probes.tsv"
			k=$((k + 1))
		done
		circuits "$run"
		fi
		[ -s "$run.circuits.tsv" ] || circuits "$run"
		signals="$run.probes.tsv $run.circuits.tsv"
		if [ "$paths" = 1 ]; then
			[ -s "$run.paths.tsv" ] || paths "$run"
			signals="$signals $run.paths.tsv"
		fi
		# shellcheck disable=SC2086 # signals is a list of files
		cat "$run.scores.tsv" $signals |
			traj emerge --changepoint -m 'test/pos/*/acc' -m 'test/carry/*/acc' \
				-m 'probe/*' -m 'circuit/*' -w "circuit/*>=$cthr" >"$run.events.tsv"
		awk -F'\t' '$3 ~ /^test\/pos\/[0-9]+\/acc$/' "$run.events.tsv" >"$run.digit-events.tsv"
		traj plot -o "$run.png" -m 'test/pos/[0-9]/loss' -m 'test/pos/[0-9][0-9]/loss' \
			-e "$run.digit-events.tsv" --size 900x450 \
			-t "$id: test loss of each answer digit (0 = carry digit, $n = units) and its rises" \
			"$run.scores.tsv" 2>/dev/null || echo "$id: no plot (gnuplot?)" >&2
		# One line per digit and signal: run, digits, K, the step of the
		# test rise (never: not learnt), the signal, the step of its
		# first rise (never), the lead (missed: the digit was learnt but
		# the signal never rose; false-alarm: it rose, the digit was not
		# learnt; -: neither).
		# shellcheck disable=SC2086 # signals is a list of files
		cat $signals |
		awk -F'\t' -v OFS='\t' -v id="$id" -v n="$n" -v learnt="$learnt" \
			-v cthr="$cthr" '
			FNR == NR { # the signal lines: which signals each digit has
				split($3, p, "/"); sigs[p[3], p[4] "/" p[5]] = 1
				if (p[1] == "circuit") sigs[p[3], p[4] "/" p[5] ">=" cthr] = 1
				next }
			$4 == "cross" && $3 ~ /^circuit\/pos\// {
				split($3, p, "/"); key = p[3] SUBSEP p[4] "/" p[5] ">=" cthr
				if (!(key in rise)) rise[key] = $2; next }
			$4 != "rise" && $4 != "rising" { next }
			$3 ~ /^test\/pos\/[0-9]+\/acc$/ && $6 >= learnt {
				split($3, p, "/"); if (!(p[3] in test)) test[p[3]] = $2; next }
			$3 ~ /^(probe|circuit)\/pos\// {
				split($3, p, "/"); key = p[3] SUBSEP p[4] "/" p[5]
				if (!(key in rise)) rise[key] = $2 }
			END {
				for (key in sigs) {
					split(key, q, SUBSEP); k = q[1]
					t = (k in test) ? test[k] : "never"
					r = (key in rise) ? rise[key] : "never"
					lead = t != "never" && r != "never" ? t - r : \
					       t != "never" ? "missed" : r != "never" ? "false-alarm" : "-"
					print id, n, k, t, q[2], r, lead
				}
			}' - "$run.events.tsv" |
			sort -t "$(printf '\t')" -k3,3n -k5,5 >>"$out/leads.tsv"
	done
done

# Summary, per signal: over the digits learnt, how often it rose first,
# at the same checkpoint, or later, its median lead in steps and how
# often it never rose; over the digits not learnt, its false alarms.
# summarise BY: over every run (BY = 0) or per number of digits (1).
summarise() {
	awk -F'\t' -v by="$1" '
	{ s = (by ? $2 "\t" : "") $5; sig[s] = 1 }
	$4 == "never" { nl[s]++; if ($7 == "false-alarm") fa[s]++; next }
	$7 == "missed" { miss[s]++; next }
	{ n[s]++; lead[s, n[s]] = $7
	  if ($7 > 0) first[s]++; else if ($7 == 0) same[s]++; else later[s]++ }
	END {
		for (s in sig) {
			m = n[s]
			for (i = 1; i <= m; i++) v[i] = lead[s, i]
			for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j-1] > v[j]; j--) {
				t = v[j]; v[j] = v[j-1]; v[j-1] = t }
			med = !m ? "-" : (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
			printf "%s\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t%d\n", s, m + miss[s], first[s],
				same[s], later[s], med, miss[s], nl[s], fa[s]
		}
	}' "$out/leads.tsv" | if [ "$1" = 1 ]; then sort -k1,1n -k2,2; else sort; fi
}
head=$(printf 'learnt\tfirst\tsame\tlater\tmedian_lead\tmissed\tnot_learnt\tfalse_alarms')
{ printf 'signal\t%s\n' "$head"; summarise 0; } >"$out/summary.tsv"
{ printf 'digits\tsignal\t%s\n' "$head"; summarise 1; } >"$out/summary-by-digits.tsv"
column -t -s "$(printf '\t')" "$out/summary.tsv"

# Every run's digits all rise in the quick runs; the first digit to rise
# is the carry digit (K = 0) or the units digit (K = n): the digits that
# need the longest carry chains come last.
rose=$(awk -F'\t' '$4 != "never" { print $1, $3 }' "$out/leads.tsv" | sort -u | wc -l)
# (every digit has the digit signal, so each appears in leads.tsv)
total=$(for n in $digits; do for s in $seeds; do echo $((n + 1)); done; done |
	awk '{ t += $1 } END { print t }')
echo "digits with a test rise: $rose of $total"
# early SIGNAL: the learnt digits whose SIGNAL came no later than their
# test rise
early() {
	awk -F'\t' -v s="$1" '$5 == s && $4 != "never" && $7 != "missed" && $7 >= 0' \
		"$out/leads.tsv" | wc -l
}
heads=$(early "heads/max>=$cthr")
echo "heads/max>=$cthr no later than the test rise: $heads of $rose"
if [ "$paths" = 1 ]; then
	via=$(early "via-mlp/max>=$cthr")
	direct=$(early "direct/max>=$cthr")
	echo "a head's path into the MLP (into the logits) no later: $via ($direct) of $rose"
fi
if [ "$range_size" = quick ]; then
	range digits_rose "$rose" $((total - 2)) "$total"
	range heads_early "$heads" $((rose - 3)) "$rose"
	if [ "$paths" = 1 ]; then
		range via_mlp_early "$via" 4 "$rose"
		range direct_early "$direct" 0 1
	fi
fi
range_done
