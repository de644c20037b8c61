#!/usr/bin/env bats
# traj-train --adv: adversarial training of the Fashion-MNIST MLP. It
# raises robust accuracy far above standard training's, is recorded in the
# run header, is reproducible and resumable bit for bit, and bad specs or
# token models are refused.

setup_file() {
	load test_helper
	[ -d "${TRAJ_FASHION_DIR:-/usr/share/datasets/fashion-mnist}" ] || return 0
	for kind in std adv; do
		adv=()
		[ $kind = adv ] && adv=(--adv pgd:eps=0.1,iters=5)
		traj-train --quiet --task fashion --width 64 --steps 200 \
			--every 100 --n-train 3000 --n-test 400 --batch 64 \
			--lr 2e-3 --wd 0 "${adv[@]}" --out "$BATS_FILE_TMPDIR/$kind.traj"
	done
}

setup() {
	load test_helper
	[ -f "$BATS_FILE_TMPDIR/std.traj" ] ||
		skip "Debian's dataset-fashion-mnist is not installed (scripts/deps.sh data)"
	D=$BATS_FILE_TMPDIR
}

pgd_acc() { # PGD accuracy at eps 0.1 of the last checkpoint of $1
	traj-attack -q -m pgd -e 0.1 -n 10 "$1" |
		awk -F'\t' '$3 == "attack/pgd/linf/0.1/acc" { v = $4 } END { print v }'
}

@test "adversarial training: robust accuracy far above standard training's" {
	std=$(pgd_acc "$D/std.traj")
	adv=$(pgd_acc "$D/adv.traj")
	awk -v s="$std" -v a="$adv" 'BEGIN { exit !(a > s + 0.2) }' ||
		fail "PGD eps 0.1 accuracy: standard $std, adversarial $adv"
}

@test "the run header records the attack, with its defaults filled in" {
	run -0 traj-snapshot -lv "$D/adv.traj"
	grep -aq '"adv":{"method":"pgd","norm":"linf","eps":0.1,"iters":5,"step":0.05,"random_start":true}' \
		"$D/adv.traj"
	! grep -aq '"adv"' "$D/std.traj"
}

@test "the same options give the same stream; --resume continues it bit for bit" {
	args=(--quiet --task fashion --width 16 --steps 40 --every 10 --n-train 500
		--n-test 100 --batch 50 --adv pgd:eps=0.05,iters=3)
	traj-train "${args[@]}" --out "$D/a.traj"
	traj-train "${args[@]}" --out "$D/b.traj"
	cmp "$D/a.traj" "$D/b.traj"
	traj-train "${args[@]/40/20}" --out "$D/c.traj"
	traj-train --quiet --resume "$D/c.traj" --steps 40
	cmp "$D/a.traj" "$D/c.traj"
	# and the attack changes the run
	traj-train "${args[@]:0:15}" --out "$D/plain.traj"
	! cmp -s "$D/a.traj" "$D/plain.traj"
}

@test "fgsm, l2, and an explicit step are accepted" {
	for spec in fgsm:eps=0.1 pgd:eps=1,norm=l2,iters=2 pgd:eps=0.1,step=0.02,iters=2,random-start=0; do
		traj-train --quiet --task fashion --width 8 --steps 2 --every 2 \
			--n-train 100 --n-test 50 --batch 50 --adv "$spec" --out "$D/s.traj" --force
	done
	grep -aq '"method":"pgd","norm":"linf","eps":0.1,"iters":2,"step":0.02,"random_start":false' "$D/s.traj"
}

@test "a step larger than eps and an L2 radius off its scale warn, and train" {
	for spec in pgd:eps=0.1,step=0.5,iters=2 pgd:eps=0.05,norm=l2,iters=2; do
		run -0 --separate-stderr traj-train --quiet --task fashion --width 8 \
			--steps 2 --every 2 --n-train 100 --n-test 50 --batch 50 \
			--adv "$spec" --out "$D/w.traj" --force
		[ "${#stderr_lines[@]}" -eq 1 ] || fail "$spec: ${stderr_lines[*]}"
		[[ ${stderr_lines[0]} == "traj-train: warning: --adv: "* ]] || fail "$spec: $stderr"
	done
	run -0 --separate-stderr traj-train --quiet --task fashion --width 8 --steps 2 \
		--every 2 --n-train 100 --n-test 50 --batch 50 --adv pgd:eps=1,norm=l2 \
		--out "$D/w.traj" --force
	assert_equal "$stderr" ""
}

@test "bad --adv specs and token models: one line, status 64" {
	for spec in pgd pgd:eps=-1 pgd:eps=nan pgd:eps=0 pgd:eps=0.1,iters=0 \
		pgd:eps=0.1,iters=2.5 pgd:eps=0.1,norm=l3 pgd:eps=0.1,foo=1 \
		fgsm:eps=0.1,iters=3 cw:eps=1 pgd:eps=0.1,step=0 pgd:eps \
		pgd:eps=0.1,random-start=2 pgd:eps=8 pgd:eps=40,norm=l2; do
		run -64 --separate-stderr traj-train --quiet --task fashion --width 8 \
			--steps 2 --n-train 100 --n-test 50 --adv "$spec" --out "$D/bad.traj"
		[ "${#stderr_lines[@]}" -eq 2 ] || fail "$spec: ${stderr_lines[*]}"
		[[ ${stderr_lines[0]} == "traj-train: --adv"* ]] || fail "$spec: ${stderr_lines[0]}"
	done
	run -64 --separate-stderr traj-train --quiet --task modadd --p 11 \
		--steps 2 --adv pgd:eps=0.1 --out "$D/tok.traj"
	assert_equal "${stderr_lines[0]}" "traj-train: --adv: the mlp model of task 'modadd' has no continuous input to attack (a dense-input classifier, such as --task fashion, has)"
	[ ! -e "$D/tok.traj" ]
	run -64 traj-train --quiet --resume "$D/adv.traj" --adv pgd:eps=0.2
}
