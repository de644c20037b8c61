/* Attribution patching (Nanda 2023; Syed et al. 2023) of an ablator's
 * components (attrib.c). */
#ifndef TRAJ_ATTRIB_H
#define TRAJ_ATTRIB_H

#include "interp/ablate.h"

/* One gradient pass over data, then for every component c the
 * first-order estimate of the loss change its replacement causes, score[c] = sum over its elements and the examples
 * of (r - x) * d loss / d x, x the captured activation and r its
 * replacement. Needs ablator_baseline (and, for ABL_PATCH, the source)
 * first. Returns -1 with err set (TRAJ_ENOMEM). */
int ablator_attribute(struct ablator *a, double *score,
		      struct traj_error *err);

#endif
