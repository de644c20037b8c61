/* Fourier-frequency components of the logits of a modular-arithmetic
 * model (traj-ablate --by freq).
 *
 * Over the p classes c = 0..p-1 the logit vector z of an example splits
 * into orthogonal parts: the constant (k = 0) and, for k = 1..(p-1)/2,
 * its projection onto span{cos(2 pi k c / p), sin(2 pi k c / p)} (an
 * orthonormal pair after scaling by sqrt(2/p); p odd). Component
 * "logits.freq.K" is that projection. Ablating it replaces the two
 * coefficients by zero (zero ablation) or by their mean over the
 * evaluated examples (mean ablation); the constant part is never
 * touched, so the softmax sees only the other frequencies changed.
 *
 * Only the clean logits are needed: one forward pass over the examples;
 * every ablated evaluation afterwards transforms the logits and counts
 * no forward pass. The engine never prints. */
#ifndef TRAJ_LOGIT_FREQ_H
#define TRAJ_LOGIT_FREQ_H

#include <stdint.h>

#include "common/error.h"
#include "model/model.h"

/* The number of frequency components for modulus p: (p - 1) / 2. */
int logit_freq_count(int p);

/* The orthonormal pair of frequency k (1 <= k <= (p-1)/2): cos_k[c] =
 * sqrt(2/p) cos(2 pi k c / p), sin_k likewise (p doubles each). */
void logit_freq_basis(int p, int k, double *cos_k, double *sin_k);

/* The coefficients of z (p floats) on the pair: co = z.cos_k, si = z.sin_k. */
void logit_freq_coef(const double *cos_k, const double *sin_k, int p,
	       const float *z, double *co, double *si);

/* Sets z's coefficients on the pair to (co_new, si_new), given its
 * current ones (co, si): z += (co_new - co) cos_k + (si_new - si) sin_k. */
void logit_freq_replace(const double *cos_k, const double *sin_k, int p, float *z,
		  double co, double si, double co_new, double si_new);

/* The clean logits of a batch and their frequency coefficients. */
struct freq_logits {
	int p, nfreq;
	int n;                   /* examples */
	float *logits;           /* (n, p) */
	const int32_t *labels;   /* (n), borrowed */
	double *basis;           /* (nfreq, 2, p): cos_k, sin_k for k = i + 1 */
	double *coef;            /* (n, nfreq, 2) */
	double *mean;            /* (nfreq, 2) over the n examples */
	int zero;                /* 1: zero ablation, 0: mean ablation */
	/* Patching (traj-ablate --by freq --from-step): when set, a
	 * frequency takes, example by example, the coefficients of these
	 * logits of the same examples (another checkpoint's) instead; zero
	 * and mean are then ignored. Borrowed; NULL by default. */
	const struct freq_logits *source;
	float *row;              /* (p) logit_freq_eval's scratch */
};

/* One forward pass of m over b (a modular task's batch: m->n_outputs 1,
 * m->n_classes p). Errors: TRAJ_EUSAGE for another model shape or an even
 * p, TRAJ_ENOMEM, TRAJ_EDATA when the logits are not finite. */
int logit_freq_init(struct freq_logits *f, struct model *m,
		     const struct batch *b, int zero, struct traj_error *err);
/* The same from given logits (n, p), copied; labels borrowed. */
int logit_freq_set(struct freq_logits *f, const float *logits, int n, int p,
		    const int32_t *labels, int zero, struct traj_error *err);
void logit_freq_free(struct freq_logits *f);

/* Loss (mean cross-entropy) and accuracy (argmax, ties to the lowest
 * class) with the frequencies ablated[i] (indices 0..nfreq-1, i.e.
 * k - 1) replaced; n == 0 gives the clean figures. Cannot fail: its
 * scratch was allocated with f (so one evaluation of f at a time). */
struct eval_result logit_freq_eval(const struct freq_logits *f, const int *ablated,
			     int n);

#endif
