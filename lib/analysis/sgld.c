#include <math.h>

#include "analysis/sgld.h"

/* GCC vectorises at -O2 only loops that need no cost model (the update
 * has a tail). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

/* Normals per piece of the update: drawn into the stack and applied
 * while in L1, rather than a noise vector of n written then read back.
 * Even, so the pieces draw the same normals as one fill of n. */
#define SGLD_PIECE 256

void sgld_step(const struct sgld_params *p, float *w, const float *g,
	       const float *w0, size_t n, struct rng *r)
{
	/* In float like the model, with the constants folded once. */
	float a = (float)(0.5 * p->eps * p->nbeta);
	float b = (float)(0.5 * p->eps * p->gamma);
	float s = (float)(sqrt(p->eps) * p->sigma);
	float xi[SGLD_PIECE];
	for (size_t i0 = 0; i0 < n; i0 += SGLD_PIECE) {
		size_t m = n - i0 < SGLD_PIECE ? n - i0 : SGLD_PIECE;
		rng_normal_fill(r, xi, m);
		float *restrict wp = w + i0;
		const float *restrict gp = g + i0, *restrict w0p = w0 + i0;
		for (size_t i = 0; i < m; i++)
			wp[i] += -(a * gp[i] + b * (wp[i] - w0p[i])) + s * xi[i];
	}
}

double sgld_default_nbeta(int batch)
{
	return batch > 1 ? batch / log((double)batch) : 1.0;
}
