#!/bin/sh
# Checks that two builds of traj behave the same: builds OLD_REF and
# NEW_REF (default: the working tree), runs one fixed set of small
# commands with each build's tools (train an MLP and a transformer, score,
# snapshot, diff, emerge, probe, every mode of ablate, convert both ways,
# a few errors), and compares byte for byte what each command printed on
# standard output, the files it wrote, and its exit status. Standard
# error is not compared (progress and pass counts); --keep keeps it, with
# the outputs and build logs, for a closer look.
#
# Prints one line per command, "same  CMD" or "DIFFERENT  CMD  (hint)",
# then "N same, N different". The defaults compare the last commit before
# lib/ became modules (2545ab8) with the working tree:
#
#   scripts/compare-builds.sh                 # 2545ab8 vs the working tree
#   scripts/compare-builds.sh main HEAD       # two commits
#   scripts/compare-builds.sh --old-bin /tmp/old/build/bin   # reuse a build
#
# A commit is exported with git archive into a temporary directory and
# built there with `make all`; the working tree is built in place. Each
# run of the commands costs a few seconds of CPU; the builds take the time
# (a few minutes on 2 cores). tests/cli/compare-builds.bats checks the
# comparison itself on ready-made tool directories.
#
# Exit status: 0 every command the same, 1 some differ, 64 usage error,
# 66 no such commit or tool directory, 70 a build failed.
set -u
prog=compare-builds

usage() {
	cat <<'EOF'
Usage: scripts/compare-builds.sh [OPTION]... [OLD_REF] [NEW_REF]
Build traj at OLD_REF (2545ab8) and NEW_REF (default: the working tree),
run the same small commands with both builds' tools, and compare their
standard output, the files they write and their exit statuses byte for
byte. Prints "same  CMD" or "DIFFERENT  CMD  (hint)" per command, then
"N same, N different".

      --old-bin DIR  use the tools in DIR (traj-*) instead of building OLD_REF
      --new-bin DIR  use the tools in DIR instead of building NEW_REF
  -j, --jobs N       make -jN (2)
  -k, --keep         keep the temporary directory (builds, outputs, stderr)
                     and print its path on standard error
  -h, --help         show this help

Exit status: 0 all the same, 1 some differ, 64 usage error, 66 no such
commit or tool directory, 70 a build failed.
EOF
}

die() {
	status=$1
	shift
	echo "$prog: $*" >&2
	exit "$status"
}

old_bin='' new_bin='' jobs=2 keep=0 old_ref='' new_ref='' nrefs=0
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--old-bin | --new-bin | -j | --jobs)
		[ $# -ge 2 ] || die 64 "option '$1' needs a value"
		case $1 in
		--old-bin) old_bin=$2 ;;
		--new-bin) new_bin=$2 ;;
		*) jobs=$2 ;;
		esac
		shift 2 ;;
	-k | --keep) keep=1; shift ;;
	--) shift; break ;;
	-?*) die 64 "unknown option '$1' (try --help)" ;;
	*) break ;;
	esac
done
for ref in "$@"; do
	nrefs=$((nrefs + 1))
	case $nrefs in
	1) old_ref=$ref ;;
	2) new_ref=$ref ;;
	*) die 64 "too many arguments (try --help)" ;;
	esac
done
old_ref=${old_ref:-2545ab8}
case $jobs in
'' | *[!0-9]* | 0) die 64 "--jobs: '$jobs' is not a positive integer" ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd) || exit 70
git -C "$root" rev-parse --git-dir >/dev/null 2>&1 ||
	die 66 "$root: not a git repository"
for ref in "$old_ref" $new_ref; do
	# with --old-bin the old ref is not used
	[ "$ref" = "$old_ref" ] && [ -n "$old_bin" ] && continue
	git -C "$root" rev-parse --verify -q "$ref^{commit}" >/dev/null ||
		die 66 "'$ref': no such commit"
done
for dir in "$old_bin" "$new_bin"; do
	[ -z "$dir" ] || [ -x "$dir/traj-train" ] ||
		die 66 "'$dir': no traj-train in it"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/compare-builds.XXXXXX") ||
	die 73 "cannot create a temporary directory"
cleanup() {
	if [ "$keep" = 1 ]; then
		echo "$prog: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Deterministic tools: one BLAS thread, C number formatting.
export OPENBLAS_NUM_THREADS=1 LC_ALL=C

# build WHICH REF: builds REF (empty: the working tree in place) with
# make all; prints the absolute path of its tool directory.
build() {
	log=$tmp/build-$1.log
	if [ -z "$2" ]; then
		src=$root
	else
		src=$tmp/src-$1
		mkdir -p "$src"
		git -C "$root" archive --format=tar "$2" | tar -x -C "$src" ||
			die 70 "'$2': cannot export the tree"
	fi
	echo "$prog: building ${2:-the working tree} ($1)" >&2
	if ! make -C "$src" -j"$jobs" all >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		die 70 "${2:-the working tree}: make all failed (log above)"
	fi
	echo "$src/build/bin"
}

[ -n "$old_bin" ] || old_bin=$(build old "$old_ref") || exit $?
[ -n "$new_bin" ] || new_bin=$(build new "$new_ref") || exit $?
old_bin=$(cd "$old_bin" && pwd) && new_bin=$(cd "$new_bin" && pwd) || exit 66

# The commands: what each prints on standard output goes to a file named
# by the first word, in a work directory of their own (relative names
# only, so that outputs naming files are the same in both). Later commands
# read earlier outputs. The MLP learns its train split; the transformer
# reaches 0.9 test accuracy, so the ablations have something to find.
commands() {
	cat <<'EOF'
mlp.traj        traj-train --quiet --threads 1 --p 11 --frac 0.8 --width 48 --lr 1e-2 --steps 600 --every 20 --seed 3
tf.traj         traj-train --quiet --threads 1 --model transformer --p 11 --frac 0.8 --layers 2 --d-model 16 --heads 2 --d-head 8 --d-mlp 16 --lr 1e-2 --steps 300 --every 20 --seed 2
sgd.traj        traj-train --quiet --threads 1 --p 7 --width 16 --depth 2 --optim sgd --batch 8 --steps 40 --every 5 --encoding xor --key-every 3 --log-every 2
lnt.traj        traj-train --quiet --threads 1 --model transformer --task repeat --seq-len 4 --vocab 6 --n-train 64 --n-test 32 --layers 1 --d-model 16 --heads 2 --d-mlp 16 --layernorm --activation gelu --steps 30 --every 10
auto.traj       traj-train --quiet --threads 1 --p 11 --width 32 --lr 1e-2 --steps 200 --every auto:10 --encoding delta
resume.out      traj-train --quiet --threads 1 --p 7 --width 16 --batch 8 --steps 20 --every 5 --key-every 2 --out resumed.traj && traj-train --quiet --threads 1 --resume resumed.traj --steps 40
mlp.score       traj-score --threads 1 -H mlp.traj
tf.score        traj-score --threads 1 tf.traj
sgd.score       traj-score --threads 1 sgd.traj
resume.score    traj-score --threads 1 resumed.traj
lnt.score       traj-score --threads 1 lnt.traj
auto.score      traj-score --threads 1 auto.traj
stdin.score     traj score --threads 1 - < tf.traj
torn.score      head -c 30000 tf.traj | traj-score --threads 1
missing.score   traj-score --threads 1 no-such.traj
last.traj       traj-snapshot --last mlp.traj
step.traj       traj-snapshot --step 100 tf.traj
list.txt        traj-snapshot -l tf.traj
listv.txt       traj-snapshot -l -v --steps 40:80 mlp.traj
sel.traj        traj-snapshot --log 2 --every 40 --tensors 'layers.*' --encoding xor --dtype bf16 --key-every 2 mlp.traj
split.out       mkdir parts && traj-snapshot --steps :100 --split parts tf.traj && ls parts
join.traj       traj-snapshot --step 40 --out first.traj tf.traj && traj-snapshot first.traj step.traj
mlp.diff        traj-diff mlp.traj
tf.diff         traj-diff --ref-step 100 --sv 2 --top 3 --header tf.traj
ref.diff        traj-diff --ref step.traj --no-fourier -t 'blocks.1.*' tf.traj
emerge.txt      traj-emerge mlp.score tf.score
when.txt        traj-emerge -w 'test/acc>=0.5' -w 'train/loss<0.5' mlp.score tf.score
cusum.txt       traj-emerge -c -m '*/loss' -d 0.1 --threshold 4 --warmup 5 tf.score
steep.txt       traj-emerge -s --window 0.5 mlp.diff
probe.txt       traj-probe --threads 1 tf.traj
probe2.txt      traj-probe --threads 1 -k 'blocks.*.hook_resid_post' --freq 1,3 --show-lambda --cka blocks.0.hook_resid_mid --cka-ref 100 tf.traj
probe3.txt      traj-probe --threads 1 --group a --split train --max 60 --seed 2 mlp.traj
hooks.txt       traj-probe -l tf.traj
inputs.txt      traj-probe --inputs --split test tf.traj
dir.out         traj-convert --export npy dirv -t blocks.1.attn.b_O tf.traj
comps.txt       traj-ablate --list tf.traj
ablate.txt      traj-ablate -q --threads 1 tf.traj
zero.txt        traj-ablate -q --threads 1 -m zero --step 200 tf.traj
resample.txt    traj-ablate -q --threads 1 -m resample --seed 2 -c 'blocks.1.*' tf.traj
joint.txt       traj-ablate -q --threads 1 --joint -c 'blocks.0.attn.head*,blocks.1.mlp' tf.traj
train.txt       traj-ablate -q --threads 1 --split train --limit 40 -c 'blocks.0.*' tf.traj
patcha.txt      traj-ablate -q --threads 1 --patch a tf.traj
patchb.txt      traj-ablate -q --threads 1 --patch b --budget 8 tf.traj
attrib.txt      traj-ablate -q --threads 1 --attrib tf.traj
budget.txt      traj-ablate -q --threads 1 --budget 6 tf.traj
circuit.txt     traj-ablate -q --threads 1 --circuit --dot circuit.dot tf.traj
rcircuit.txt    traj-ablate -q --threads 1 -m resample --circuit --threshold 0.3 tf.traj
direction.txt   traj-ablate -q --threads 1 --direction dirv/blocks.1.attn.b_O.npy tf.traj
dirhook.txt     traj-ablate -q --threads 1 --direction dirv/blocks.1.attn.b_O.npy --direction-hook blocks.0.hook_resid_post --circuit tf.traj
time.txt        traj-ablate -q --threads 1 --from-step 100 tf.traj
timeacts.txt    traj-ablate -q --threads 1 --from-step 100 --from-mode acts -c 'blocks.1.*' tf.traj
timefile.txt    traj-ablate -q --threads 1 --from step.traj -c 'blocks.0.attn*' tf.traj
freq.txt        traj-ablate -q --threads 1 --by freq tf.traj
freqjoint.txt   traj-ablate -q --threads 1 --by freq --joint -m zero -c 'logits.freq.1,logits.freq.4' tf.traj
freqcirc.txt    traj-ablate -q --threads 1 --by freq --circuit --threshold 0.3 tf.traj
freqtime.txt    traj-ablate -q --threads 1 --by freq --step 200 --from-step 100 tf.traj
edge.txt        traj-ablate -q --threads 1 --by edge tf.traj
edgezero.txt    traj-ablate -q --threads 1 --by edge -m zero --joint -c 'embed->*' tf.traj
edgeattr.txt    traj-ablate -q --threads 1 --by edge --attrib tf.traj
edgebudget.txt  traj-ablate -q --threads 1 --by edge --budget 8 tf.traj
edgepatch.txt   traj-ablate -q --threads 1 --by edge --patch b tf.traj
edgecirc.txt    traj-ablate -q --threads 1 --by edge --circuit --dot edges.dot tf.traj
edgeres.txt     traj-ablate -q --threads 1 --by edge -m resample -c 'blocks.1.*' tf.traj
nfreq.txt       traj-ablate -q --threads 1 --by neuron-freq tf.traj
nfreqattr.txt   traj-ablate -q --threads 1 --by neuron-freq --attrib tf.traj
nfreqcirc.txt   traj-ablate -q --threads 1 --by neuron-freq --circuit tf.traj
mlpablate.txt   traj-ablate -q --threads 1 --step 300 mlp.traj
mlpcirc.txt     traj-ablate -q --threads 1 --circuit --budget 12 mlp.traj
lntablate.txt   traj-ablate -q --threads 1 --attrib lnt.traj
badbudget.txt   traj-ablate -q --threads 1 --budget 1 tf.traj
npy.out         traj-convert --export npy npy tf.traj && find npy -type f | sort
npz.out         traj-convert --export npz tf.npz --step 100 tf.traj
st.out          traj-convert --export safetensors tf.safetensors -t '*' tf.traj
bf16.out        traj-convert --export safetensors bf16.safetensors sel.traj
back-npy.traj   traj-convert --import npy npy --step 300
back-npz.traj   traj-convert --import npz tf.npz --run npy/run.json --step 100
back-st.traj    traj-convert --import safetensors tf.safetensors
back.score      cat back-npy.traj back-npz.traj back-st.traj | traj-score --threads 1
EOF
}

# listing: the files under the current directory with size and mtime,
# to tell which ones a command created or changed without reading them.
listing() {
	find . -type f -printf '%p %s %T@\n' | sort
}

# run_all BIN WHICH: runs every command with BIN first on PATH, in
# $tmp/run-WHICH; per command N, meta-WHICH/N.status and N.files (the
# files it created or changed: checksum, size, name), stderr in err-WHICH.
run_all() {
	work=$tmp/run-$2 meta=$tmp/meta-$2 errs=$tmp/err-$2
	mkdir -p "$work" "$meta" "$errs"
	n=0
	: >"$meta/before"
	commands | while read -r out cmd; do
		n=$((n + 1))
		(cd "$work" && PATH=$1:$PATH sh -c "$cmd" >"$out" 2>"$errs/$n")
		echo $? >"$meta/$n.status"
		(cd "$work" && listing) >"$meta/after"
		comm -13 "$meta/before" "$meta/after" | cut -d' ' -f1 |
			(cd "$work" && xargs -r cksum) | sort -k3 >"$meta/$n.files"
		mv "$meta/after" "$meta/before"
	done
}

# same_files N: command N wrote the same files, byte for byte (the
# checksums first, then every byte).
same_files() {
	cmp -s "$tmp/meta-old/$1.files" "$tmp/meta-new/$1.files" || return 1
	while read -r _ _ f; do
		cmp -s "$tmp/run-old/$f" "$tmp/run-new/$f" || return 1
	done <"$tmp/meta-old/$1.files"
}

# hint N: why command N differs, in one short phrase.
hint() {
	so=$(cat "$tmp/meta-old/$1.status") sn=$(cat "$tmp/meta-new/$1.status")
	if [ "$so" != "$sn" ]; then
		echo "status $so vs $sn"
		return
	fi
	fo=$(awk '{sub(/^\.\//, "", $3); print $3}' "$tmp/meta-old/$1.files" | tr '\n' ' ')
	fn=$(awk '{sub(/^\.\//, "", $3); print $3}' "$tmp/meta-new/$1.files" | tr '\n' ' ')
	if [ "$fo" != "$fn" ]; then
		echo "written files differ: old ${fo% } vs new ${fn% }"
		return
	fi
	for f in $fo; do
		a=$tmp/run-old/$f b=$tmp/run-new/$f
		cmp -s "$a" "$b" && continue
		if grep -Iq . "$a" && grep -Iq . "$b"; then
			line=$(cmp "$a" "$b" 2>/dev/null | sed -n 's/.* line \([0-9]*\).*/\1/p')
			if [ -z "$line" ]; then
				echo "$f: one is a prefix of the other"
			else
				echo "$f line $line: '$(sed -n "${line}p" "$a" | cut -c1-60)'" \
					"vs '$(sed -n "${line}p" "$b" | cut -c1-60)'"
			fi
		else
			echo "$f: $(cmp "$a" "$b" 2>&1 | sed 's/^[^ ]* [^ ]* //' | head -n 1)"
		fi
		return
	done
	echo "same bytes, different file set"
}

echo "$prog: running the commands with $old_bin (old)" >&2
run_all "$old_bin" old
echo "$prog: running the commands with $new_bin (new)" >&2
run_all "$new_bin" new

same=0 different=0 n=0
tab=$(printf '\t')
while read -r out cmd; do
	n=$((n + 1))
	if cmp -s "$tmp/meta-old/$n.status" "$tmp/meta-new/$n.status" &&
		same_files "$n"; then
		same=$((same + 1))
		echo "same  $cmd"
	else
		different=$((different + 1))
		echo "DIFFERENT  $cmd  ($(hint "$n" | tr "$tab" ' '))"
	fi
done <<EOF
$(commands)
EOF
echo "$same same, $different different"
[ "$different" -eq 0 ]
