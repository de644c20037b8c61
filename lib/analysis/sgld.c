#include <math.h>

#include "analysis/sgld.h"

void sgld_step(const struct sgld_params *p, float *w, const float *g,
	       const float *w0, size_t n, struct rng *r, float *xi)
{
	rng_normal_fill(r, xi, n);
	/* In float like the model, with the constants folded once. */
	float a = (float)(0.5 * p->eps * p->nbeta);
	float b = (float)(0.5 * p->eps * p->gamma);
	float s = (float)(sqrt(p->eps) * p->sigma);
	for (size_t i = 0; i < n; i++)
		w[i] += -(a * g[i] + b * (w[i] - w0[i])) + s * xi[i];
}

double sgld_default_nbeta(int batch)
{
	return batch > 1 ? batch / log((double)batch) : 1.0;
}
