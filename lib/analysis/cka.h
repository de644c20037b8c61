/* Linear centred kernel alignment (Kornblith et al., 2019) between two
 * representations of the same n inputs:
 *
 *   CKA(X, Y) = ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F)
 *
 * with Xc, Yc the column-centred matrices. 1 for representations equal up
 * to an orthogonal transform and an isotropic scaling, 0 for orthogonal
 * ones; computed from the feature Gram matrices, so the cost is
 * n (dx + dy)^2, never n^2. */
#ifndef TRAJ_CKA_H
#define TRAJ_CKA_H

#include <stdint.h>

#include "common/error.h"

/* x (n, dx) and y (n, dy), row-major. *out is NAN when either
 * representation is constant. Returns 0, or -1 (TRAJ_ENOMEM). */
int cka_linear(const float *x, int dx, const float *y, int dy, int64_t n,
	       double *out, struct traj_error *err);

#endif
