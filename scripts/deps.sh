#!/bin/sh
# Installs the Debian packages a purpose needs, if any are missing.
# Usage: scripts/deps.sh build|test|bench|data|plot|fuzz|sweep ...
set -eu

pkgs=""
for purpose in "$@"; do
	case $purpose in
	build) pkgs="$pkgs build-essential pkg-config libzstd-dev libcjson-dev libopenblas-dev zlib1g-dev" ;;
	test)  pkgs="$pkgs bats bats-assert bats-support zstd man-db" ;;
	bench) pkgs="$pkgs python3-torch python3-numpy zstd time" ;;
	plot)  pkgs="$pkgs gnuplot-nox" ;;
	data)  pkgs="$pkgs dataset-fashion-mnist" ;; # --task fashion
	fuzz)  pkgs="$pkgs clang-14 libclang-rt-14-dev valgrind" ;;
	sweep) pkgs="$pkgs parallel slurm-wlm munge" ;; # traj sweep, a one-node Slurm in the tests
	*) echo "deps.sh: unknown purpose '$purpose'" >&2; exit 2 ;;
	esac
done

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2 || true
$sudo apt-get install -y -q --no-install-recommends $missing >&2
