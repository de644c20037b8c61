/* A phase diagram from a collect table (traj plot --phase): one square
 * per point of two configuration axes, coloured by the commonest outcome
 * of its runs (comprehension blue, memorisation red, confusion grey) and,
 * for grokking, green shaded by the median grokking delay (darker:
 * longer). Writes DIR/phase.dat and DIR/plot.gp. */
#ifndef TRAJ_SWEEP_PHASE_H
#define TRAJ_SWEEP_PHASE_H

#include "common/error.h"
#include "format/gnuplot.h"
#include "format/tsv.h"

int sweep_phase_write(const char *dir, const struct gnuplot_plot *plot,
		      const struct tsv_table *t, const char *xcol, const char *ycol,
		      struct traj_error *err);

#endif
