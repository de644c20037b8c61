/* traj-ablate's metric lines (formats/metric-lines.md), written to a
 * FILE the caller passes and checks for errors: "RUN STEP
 * PREFIX/COMPONENT/WHAT VALUE", the prefix saying how components were
 * studied (ablate, patch, timepatch, circuit). */
#ifndef TRAJ_ABLATE_LINES_H
#define TRAJ_ABLATE_LINES_H

#include <stdio.h>

#include "interp/ablate_rank.h"
#include "interp/ablate_time.h"
#include "interp/circuit.h"

struct metric_sink {
	FILE *out;
	const char *run;
	int64_t step;
};

/* PREFIX/COMP/WHAT, or PREFIX/WHAT when comp is NULL. */
void ablate_line(const struct metric_sink *m, const char *prefix,
		 const char *comp, const char *what, double v);
/* PREFIX/COMP/loss and PREFIX/COMP/acc. */
void ablate_lines_eval(const struct metric_sink *m, const char *prefix,
		       const char *comp, struct eval_result r);
/* res sorted into rank order, then per component its measured deltas,
 * its attribution score and its rank. */
void ablate_lines_ranked(const struct metric_sink *m, const char *prefix,
			 const struct component *comps,
			 struct rank_result *res, int n);
/* PREFIX/joint/...: r with all n components ablated. */
void ablate_lines_joint(const struct metric_sink *m, const char *prefix,
			struct eval_result r, struct eval_result base, int n);
/* timepatch/...: the two models, then t's pairs (comps, n) in rank
 * order, the largest accuracy loss when step K's part comes in first.
 * Returns 0, or -1 with err set (TRAJ_ENOMEM; nothing written). */
int ablate_lines_time(const struct metric_sink *m, int64_t from_step,
		      const struct component *comps, int n,
		      const struct time_patch *t, struct traj_error *err);
/* circuit/COMP/importance of the kept components, then the circuit's
 * figures. */
void ablate_lines_circuit(const struct metric_sink *m,
			  const struct component *comps, int n,
			  const unsigned char *keep, const double *imp,
			  const struct circuit_result *cr, int ncand,
			  double threshold, struct eval_result base);

#endif
