/* traj-llc's metric lines (formats/metric-lines.md) of an LLC estimate
 * (llc.h), written to a FILE the caller passes and checks for errors. */
#ifndef TRAJ_LLC_LINES_H
#define TRAJ_LLC_LINES_H

#include <stdint.h>
#include <stdio.h>

#include "analysis/llc.h"

/* PREFIX/mean, PREFIX/std, PREFIX/init_loss and PREFIX/below_init_frac
 * of r, estimated with c, for `run` at `step`; with details also each
 * chain's PREFIX/chain/C and its loss trace PREFIX/trace/C/D at `trace`
 * evenly spaced draws D (0: none). */
void llc_lines(FILE *out, const char *run, int64_t step, const char *prefix,
	       const struct llc_result *r, const struct llc_config *c,
	       int trace, int details);

#endif
