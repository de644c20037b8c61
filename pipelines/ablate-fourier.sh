#!/bin/bash
# The circuit check (the circuit carries the task) with the Fourier frequencies of the logits as the
# components (traj ablate --by freq); see pipelines/circuit-check.sh.
# Usage: pipelines/ablate-fourier.sh RUN.traj [OUTDIR]  (default fourier-out)
BY=freq exec "$(dirname "$0")/circuit-check.sh" "$1" "${2:-fourier-out}"
