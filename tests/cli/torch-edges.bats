#!/usr/bin/env bats
# traj-ablate --by edge against an independent PyTorch reference
# (bench/torch_edges.py, written from the definition in traj-ablate(1)
# "Components" and lib/interp/edges.h): for every edge of a checkpoint exported
# by traj-convert, the loss delta of mean and zero ablation agrees to
# 1e-5 absolute, on the same examples (the script rebuilds traj's split
# from the run header; the clean losses must agree too, which checks it).
# The reference computes in float64. Skipped where /usr/bin/python3
# cannot import torch (Debian's python3-torch).

setup_file() {
	load test_helper
	detect_torch || return 0
	cd "$BATS_FILE_TMPDIR"
	# Trained hard enough (lr 0.01) that edges matter: loss deltas to ~0.5.
	traj-train --quiet --model transformer --p 13 --frac 0.5 --d-model 32 \
		--heads 2 --d-mlp 64 --lr 0.01 --steps 100 --every 100 >mlp.traj
	traj-train --quiet --model transformer --p 11 --frac 0.4 --layers 2 \
		--attn-only --d-model 16 --heads 2 --lr 0.01 --steps 100 \
		--every 100 >ao.traj
	traj-train --quiet --model transformer --task modsub --p 11 --frac 0.5 \
		--layers 2 --layernorm --activation gelu --d-model 16 --heads 2 \
		--d-mlp 32 --lr 0.01 --steps 100 --every 100 >ln.traj
	for m in mlp ao ln; do
		traj-convert --export safetensors "$m.st" "$m.traj"
	done
}

setup() {
	load test_helper
	skip_without_torch
	cd "$BATS_FILE_TMPDIR"
}

torch_edges() {
	/usr/bin/python3 "$TRAJ_ROOT/bench/torch_edges.py" --double "$@"
}

# compare MODEL EDGES [OPTION]...: traj-ablate --by edge on MODEL.traj and
# torch_edges.py on MODEL.st with the same options; fails unless both list
# the same EDGES edges and the clean loss and every loss delta agree to
# 1e-5. The largest difference is shown on fd 3.
compare() {
	local m=$1 n=$2
	shift 2
	traj-ablate -q --by edge "$@" "$m.traj" | cut -f3,4 | sort >traj.out
	torch_edges "$@" "$m.st" 2>/dev/null | cut -f3,4 | sort >torch.out
	[ -s torch.out ] || fail "torch_edges.py $* $m.st printed nothing"
	join -t "$(printf '\t')" traj.out torch.out | awk -F'\t' -v n="$n" '
		$1 ~ /loss_delta$|clean\/loss$/ {
			d = $2 - $3; if (d < 0) d = -d
			if (d > worst) { worst = d; at = $1 }
			k += ($1 ~ /loss_delta$/)
		}
		END {
			printf "# %d edges, largest loss difference %.3g (%s)\n", k, worst, at > "/dev/fd/3"
			if (k != n) { print "joined " k " edges, expected " n; exit 1 }
			if (worst > 1e-5) { print "differ by " worst " at " at; exit 1 }
		}' || fail "traj and torch disagree ($m $*)"
	[ "$(grep -c loss_delta traj.out)" = "$n" ] || fail "traj lists $(grep -c loss_delta traj.out) edges"
	[ "$(grep -c loss_delta torch.out)" = "$n" ] || fail "torch lists $(grep -c loss_delta torch.out) edges"
}

# Edges: 1 block, 2 heads, MLP: 6 into q/k/v, 3 into the MLP, 4 into the
# logits. 2 attention-only blocks of 2 heads: 6 + 18 into q/k/v, 5 into
# the logits. 2 blocks with MLPs: 6 + 3 + 24 + 6 + 7.
@test "one block with an MLP: mean ablation of every edge" {
	compare mlp 13 -m mean
}

@test "one block with an MLP: zero ablation of every edge" {
	compare mlp 13 -m zero
}

@test "two attention-only blocks: mean and zero ablation" {
	compare ao 29 -m mean
	compare ao 29 -m zero
}

@test "two blocks with LayerNorm and GELU (modsub): mean and zero ablation" {
	compare ln 46 -m mean
	compare ln 46 -m zero
}

@test "train split, first 20 examples (--split, --limit)" {
	compare mlp 13 -m mean --split train --limit 20
}

@test "the edge deltas are large enough to test: some edge moves the loss by 0.05" {
	traj-ablate -q --by edge mlp.traj | awk -F'\t' '
		$3 ~ /loss_delta$/ { d = $4 < 0 ? -$4 : $4; if (d > w) w = d }
		END { exit !(w > 0.05) }' || fail "no edge matters"
}

@test "the check is sensitive: zero ablation is not mean ablation" {
	traj-ablate -q --by edge -m zero mlp.traj | cut -f3,4 | sort >traj.out
	torch_edges -m mean mlp.st 2>/dev/null | cut -f3,4 | sort >torch.out
	run ! awk -F'\t' '$1 ~ /loss_delta$/ { d = $2 - $3; if (d < 0) d = -d; if (d > w) w = d }
		END { exit !(w <= 1e-5) }' <(join -t "$(printf '\t')" traj.out torch.out)
}

@test "the reference's full and last-only formulations agree" {
	run -0 --separate-stderr torch_edges --modes full,last-only ln.st
	[[ $stderr == *'difference between modes'* ]] || fail "$stderr"
}

@test "torch_edges.py refuses an MLP and a non-modular task with one line" {
	small_train --steps 10 --every 10 >net.traj
	traj-convert --export safetensors net.st net.traj
	run -1 --separate-stderr torch_edges net.st
	assert_one_error_line torch_edges.py
	[[ $stderr == *'not a transformer'* ]] || fail "$stderr"
	traj-train --quiet --model transformer --task parity --steps 5 --every 5 >par.traj
	traj-convert --export safetensors par.st par.traj
	run -1 --separate-stderr torch_edges par.st
	assert_one_error_line torch_edges.py
	[[ $stderr == *'not a modular task'* ]] || fail "$stderr"
}
