/* Multi-layer perceptron: input -> [Linear -> activation] x depth -> Linear.
 * Hidden layers have one width, or one each (LeNet-300-100: 300, 100).
 * Token input is the concatenated one-hot encoding of the T tokens, so the
 * first layer is a row gather, never a dense product with zeros.
 * Parameters: layers.i.W (d_in, d_out), layers.i.b (d_out), i = 0..depth,
 * so a layer computes x @ W + b (TransformerLens convention).
 *
 * Batches larger than max_batch are processed in chunks of max_batch
 * examples, so the loss and logits accept any batch size; scratch
 * activations are allocated once, in mlp_new. The loss returns NAN when a
 * token or label is out of range or the batch has the wrong input kind.
 *
 * Hooks (model_set_hook): layers.i.hook_post [width of layer i], the activation of
 * hidden layer i, for i = 0..depth-1. */
#ifndef TRAJ_MLP_H
#define TRAJ_MLP_H

#include <cJSON.h>

#include "model/model.h"

#define MLP_MAX_DEPTH 64
#define MLP_MAX_DIM 65536

struct mlp_config {
	int n_inputs;        /* T (token input) or F (dense input) */
	int vocab;           /* V; 0 selects dense input */
	int width;           /* hidden units per layer */
	int depth;           /* hidden layers, >= 1 */
	int n_classes;       /* C */
	enum activation act;
	int bias;            /* 1: layers have biases */
	int widths[MLP_MAX_DEPTH]; /* hidden layer i's units when nonzero,
				      else width */
};

/* Hidden layer i's units. */
int mlp_layer_width(const struct mlp_config *cfg, int i);

struct model *mlp_new(const struct mlp_config *cfg, int max_batch,
		      struct traj_error *err);

/* Parses the "model" object of a run header, {"kind": "mlp", "inputs": T,
 * "vocab": V, "width": H, "depth": D, "classes": C, "activation": "relu",
 * "bias": true}. "width" is one integer for every hidden layer or an
 * array of depth integers, one per layer ([300, 100]). "vocab" (default
 * 0), "activation" (default "relu") and "bias" (default true) may be
 * omitted. Errors name the field. */
int mlp_config_from_json(const cJSON *json, struct mlp_config *cfg,
			 struct traj_error *err);
/* The inverse, with every field written ("width" an integer when the
 * layers have one width, as before per-layer widths); NULL when out of
 * memory. */
cJSON *mlp_config_to_json(const struct mlp_config *cfg);

#endif
