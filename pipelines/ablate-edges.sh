#!/bin/bash
# The circuit check with the edges between a transformer's components as
# the components (traj ablate --by edge); see pipelines/circuit-check.sh.
# Usage: pipelines/ablate-edges.sh RUN.traj [OUTDIR]  (default edges-out)
BY=edge exec "$(dirname "$0")/circuit-check.sh" "$1" "${2:-edges-out}"
