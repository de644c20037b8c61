#!/bin/sh
# A one-node Slurm cluster on this machine, for tests: munged, slurmctld and
# slurmd for the local host, state, spool and logs in one directory.
#
# Usage: scripts/slurm-local.sh start DIR   start the daemons; prints the
#                                           line to eval (SLURM_CONF=...)
#        scripts/slurm-local.sh stop DIR    stop every daemon it started
# Needs root and Debian's slurm-wlm and munge (scripts/deps.sh slurm).
# Exit status: 0 started (or stopped), 69 a package is missing, 70 a daemon
# did not come up (its log is printed).
set -eu
prog=slurm-local
die() { echo "$prog: $2" >&2; exit "$1"; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die 64 "usage: $0 start|stop DIR"

stop() {
	for p in slurmd slurmctld munged; do
		if [ -f "$dir/$p.pid" ]; then
			kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
		fi
	done
	# daemons that lost their pid file: ours are the ones using our config
	pkill -f "slurmd.*$dir" 2>/dev/null || true
	pkill -f "slurmctld.*$dir" 2>/dev/null || true
	if [ -f "$dir/munge-dir" ]; then
		mdir=$(cat "$dir/munge-dir")
		pkill -f "munged.*$mdir" 2>/dev/null || true
		case $mdir in /tmp/traj-munge.*) rm -rf "$mdir" ;; esac
		rm -f "$dir/munge-dir"
	fi
	for p in slurmd slurmctld munged; do rm -f "$dir/$p.pid"; done
}

if [ "$cmd" = stop ]; then
	stop
	exit 0
fi
[ "$cmd" = start ] || die 64 "unknown command '$cmd' (start or stop)"

for b in munged slurmctld slurmd sbatch; do
	command -v "$b" >/dev/null 2>&1 ||
		PATH=$PATH:/usr/sbin command -v "$b" >/dev/null 2>&1 ||
		die 69 "$b not found (Debian: apt-get install slurm-wlm munge)"
done
PATH=$PATH:/usr/sbin
[ "$(id -u)" -eq 0 ] || die 77 "needs root (the daemons switch users)"

mkdir -p "$dir/state" "$dir/spool"
dir=$(cd "$dir" && pwd)

# munge: a key and a socket of our own, run as the munge user, in a
# directory of /tmp: DIR's parents may be closed to other users (a test's
# temporary directory is).
mdir=$(mktemp -d /tmp/traj-munge.XXXXXX)
echo "$mdir" >"$dir/munge-dir"
chown munge:munge "$mdir"
chmod 700 "$mdir"
dd if=/dev/urandom of="$mdir/munge.key" bs=1024 count=1 2>/dev/null
chown munge:munge "$mdir/munge.key"
chmod 400 "$mdir/munge.key"
socket=$mdir/munge.socket
su -s /bin/sh munge -c "munged --key-file='$mdir/munge.key' \
	--socket='$socket' --pid-file='$mdir/munged.pid' \
	--log-file='$mdir/munged.log' --seed-file='$mdir/seed' --force" ||
	die 70 "munged did not start: $(tail -n 3 "$mdir/munged.log" 2>/dev/null)"
cp "$mdir/munged.pid" "$dir/munged.pid" 2>/dev/null || true
i=0
until munge -S "$socket" -n </dev/null 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || die 70 "munged does not answer on $socket"
	sleep 0.1
done

host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
cat >"$dir/slurm.conf" <<EOF
ClusterName=trajtest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1024
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MaxArraySize=100001
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF" || die 70 "slurmctld did not start: $(tail -n 5 "$dir/slurmctld.log")"
i=0
until scontrol ping 2>/dev/null | grep -q UP; do
	i=$((i + 1))
	[ $i -lt 100 ] || { stop; die 70 "slurmctld does not answer: $(tail -n 5 "$dir/slurmctld.log")"; }
	sleep 0.2
done
slurmd -f "$SLURM_CONF" || { stop; die 70 "slurmd did not start: $(tail -n 5 "$dir/slurmd.log")"; }
i=0
until sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; do
	i=$((i + 1))
	[ $i -lt 150 ] || { stop; die 70 "the node does not come up: $(sinfo 2>&1; tail -n 5 "$dir/slurmd.log")"; }
	sleep 0.2
done
echo "SLURM_CONF=$SLURM_CONF; export SLURM_CONF"
