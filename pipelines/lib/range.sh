# shellcheck shell=sh
# Range checks for the study scripts in pipelines/ (sourced, not run).
# Each script compares the figures it prints with the ranges documented
# for its size: with QUICK=1, the quick size that tests/cli/pipelines*.bats
# runs in CI; otherwise the full size whose figures the docs/ pages report. A
# figure out of range is named on stderr and the script exits 1 at the
# end, so a study that stops showing what it showed fails loudly.
# CHECK=0 skips the checks (a run of another size or task, whose
# figures no range here describes).
#
#   range NAME VALUE LO HI    VALUE must be a number in [LO, HI]
#   range_done                one closing line; exit 1 if any failed
if [ "${QUICK:-0}" = 1 ]; then range_size=quick; else range_size=full; fi
range_n=0
range_bad=0

range() {
	[ "${CHECK:-1}" != 0 ] || return 0
	range_n=$((range_n + 1))
	if ! awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN {
		if (v !~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/) exit 1
		exit !(v + 0 >= lo + 0 && v + 0 <= hi + 0) }'; then
		echo "range check: $1 = '$2' is outside [$3, $4] ($range_size size)" >&2
		range_bad=$((range_bad + 1))
	fi
}

range_done() {
	if [ "${CHECK:-1}" = 0 ]; then
		echo "range check: skipped (CHECK=0)"
	elif [ "$range_bad" -gt 0 ]; then
		echo "range check: $range_bad of $range_n figures out of range ($range_size size)"
		exit 1
	else
		echo "range check: all $range_n figures in range ($range_size size)"
	fi
}
