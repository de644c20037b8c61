/* Pruning (Frankle & Carbin 2019, "The lottery ticket hypothesis"):
 * from a checkpoint's weights and the mask they trained under, the mask
 * of the next round of iterative magnitude pruning: in each prunable
 * tensor (layer-wise) or over all of them (global), the fraction `rate`
 * of the remaining weights with the smallest magnitudes is pruned; the
 * output layer has a rate of its own (Frankle & Carbin prune it at half
 * the rate). The random control prunes the same number of weights in
 * every tensor, drawn uniformly among the remaining ones.
 *
 * Prunable tensors: by default the weight matrices (parameters of rank
 * 2 or more: MLP layers.l.W, the transformer's embeddings, attention and
 * MLP weights and unembedding), not biases nor LayerNorm; name patterns
 * choose others. The output layer is the last prunable tensor in the
 * model's order (the MLP's layers.L.W, the transformer's unembed.W_U). */
#ifndef TRAJ_PRUNE_H
#define TRAJ_PRUNE_H

#include <stdint.h>

#include "common/error.h"
#include "model/mask.h"
#include "model/model.h"

struct prune_opts {
	double rate;          /* of the remaining weights, 0 <= rate < 1 */
	double output_rate;   /* the output layer's; < 0: rate */
	int global;           /* one magnitude threshold over the prunable
				 tensors but the output layer */
	int random;           /* the control: the same counts, at random */
	uint64_t seed;        /* of the random control */
	char *const *globs;   /* prunable tensors; none: rank >= 2 */
	int nglobs;
};

/* Marks the prunable views (nviews bytes) and returns the index of the
 * output layer's view, or -1 with TRAJ_EUSAGE when no tensor is
 * prunable. */
int prune_select(const struct model *m, const struct prune_opts *o,
		 uint8_t *prunable, struct traj_error *err);

/* Prunes k in place by the weights w (nparams floats, the model's
 * layout): every prunable view becomes masked. The count pruned from
 * r remaining weights is floor(rate r + 1/2); ties of magnitude go by
 * position (the earlier pruned first). TRAJ_EDATA when a tensor would
 * keep no weight ("pruning 'layers.2.W' at rate 0.99 leaves no weight
 * of 10"), TRAJ_ENOMEM. */
int prune_mask(struct model_mask *k, const struct model *m, const float *w,
	       const struct prune_opts *o, struct traj_error *err);

#endif
