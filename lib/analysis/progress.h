/* The progress measures of Nanda et al. 2023 ("Progress measures for
 * grokking via mechanistic interpretability") for modular addition and
 * subtraction, for any model that computes logits (MLP, transformer):
 *
 * restricted loss: the cross-entropy over all p^2 pairs of the logits
 *   projected, over the inputs, on the key frequencies' directions
 *   cos(2 pi k s / p) and sin(2 pi k s / p), s = a + b (a - b for
 *   subtraction) mod p, plus the constant: what the Fourier algorithm
 *   alone achieves;
 * excluded loss: the cross-entropy on the training pairs of the logits
 *   with those components removed: what memorisation alone achieves.
 *   Nanda et al. project the last MLP layer's activations; for an MLP,
 *   whose logits are an affine map of them, projecting the logits is the
 *   same, and for a transformer it also projects the residual paths.
 * key frequencies: given, or the k in 1 .. (p-1)/2 with the largest
 *   logit energy along those directions at a checkpoint (the last, by
 *   the caller's choice): `nfreqs` of them, or by default the fewest that
 *   hold PROGRESS_ENERGY_SHARE of that energy (a transformer that grokked
 *   uses a handful, a wide MLP many: each neuron has its frequency);
 * Gini coefficients of the Fourier spectra (the norms per frequency
 *   k = 1 .. (p-1)/2, 0 when spread evenly, near 1 when one frequency
 *   holds everything) of the token embedding and of the neuron-logit map
 *   W_L (an MLP's last layer weight; a transformer's
 *   blocks.L.mlp.W_out @ unembed.W_U), along the residues;
 * and the sum of the squared weights (all parameters). */
#ifndef TRAJ_PROGRESS_H
#define TRAJ_PROGRESS_H

#include <stdint.h>

#include <cJSON.h>

#include "analysis/fourier.h"
#include "common/error.h"
#include "model/model.h"
#include "task/task.h"

#define PROGRESS_MAX_FREQS 64
#define PROGRESS_ENERGY_SHARE 0.9

struct progress {
	int p, sub;              /* sub: s = a - b */
	int64_t n;               /* p^2 */
	int32_t *tokens;         /* (n, T): all pairs, a-major */
	int32_t *labels;         /* (n) */
	uint8_t *in_train;       /* (n) */
	int T;
	float *logits;           /* (n, p) */
	double *sums;            /* (p, p): logits summed over pairs with s */
	struct embed_spec embed; /* have_embed */
	int have_embed;
	char wl_first[64], wl_second[64]; /* W_L = first (@ second) */
	struct fourier_work fw;
};

/* For a modadd or modsub run (its task config, its train split, its run
 * header for the embedding's place): all pairs and the train mask.
 * TRAJ_EUSAGE for another task, TRAJ_ENOMEM. */
int progress_init(struct progress *pr, const struct task_config *task,
		  const struct split *train, const cJSON *run,
		  const struct model *m, struct traj_error *err);
void progress_free(struct progress *pr);

/* The key frequencies of the model's current parameters, in decreasing
 * energy, into freqs (PROGRESS_MAX_FREQS): nfreqs of them, or with
 * nfreqs 0 the fewest holding PROGRESS_ENERGY_SHARE of the energy.
 * Returns how many, or -1 with err. */
int progress_key_freqs(struct progress *pr, struct model *m, int nfreqs,
		       int *freqs, struct traj_error *err);

/* Checks that every frequency is in 1 .. (p-1)/2 and none repeats. */
int progress_check_freqs(const struct progress *pr, const int *freqs,
			 int nfreqs, struct traj_error *err);

struct progress_result {
	double restricted_loss, excluded_loss;
	double gini_embed;       /* nan without a known embedding */
	double gini_wl;          /* nan without an MLP layer */
	double weight_sq_sum;
};

int progress_measure(struct progress *pr, struct model *m, const int *freqs,
		     int nfreqs, struct progress_result *out,
		     struct traj_error *err);

/* Gini coefficient of x[0 .. n) (>= 0): sum_i sum_j |x_i - x_j| /
 * (2 n sum x); nan when the sum is 0. */
double progress_gini(const double *x, int n);

#endif
