/* Stochastic gradient Langevin dynamics localised at a point w0, the
 * sampler of the local learning coefficient (Lau et al. 2023, "The local
 * learning coefficient: a singularity-aware complexity measure"; the
 * update devinterp's SGLD implements):
 *
 *   w <- w - eps/2 (nbeta g + gamma (w - w0)) + sqrt(eps) sigma xi
 *
 * g the gradient of the mean minibatch loss at w, nbeta the inverse
 * temperature n beta, gamma the strength of the localising pull towards
 * w0, sigma the noise scale (1 samples the tempered posterior), xi a
 * vector of independent standard normals (rng_normal_fill). */
#ifndef TRAJ_SGLD_H
#define TRAJ_SGLD_H

#include <stddef.h>

#include "common/rng.h"

struct sgld_params {
	double eps;    /* step size, > 0 */
	double nbeta;  /* inverse temperature n beta, > 0 */
	double gamma;  /* localisation, >= 0 */
	double sigma;  /* noise scale, >= 0 (1: the posterior) */
};

/* One step on the n floats of w in place, with g (n) the gradient at w
 * and w0 (n) the centre; xi is the n normals of rng_normal_fill(r, .., n),
 * drawn in order. */
void sgld_step(const struct sgld_params *p, float *w, const float *g,
	       const float *w0, size_t n, struct rng *r);

/* nbeta's default for minibatches of `batch` examples, batch / ln(batch)
 * (devinterp's default_nbeta); 1 for a batch of one. */
double sgld_default_nbeta(int batch);

#endif
