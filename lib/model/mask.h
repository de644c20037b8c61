/* Masks over a model's parameters (lottery tickets, Frankle & Carbin
 * 2019): a pruned parameter is held at exactly zero. A mask is one byte
 * per parameter, in the layout of the parameter buffer, so that masking
 * the parameters, their gradients and the optimiser's moments is one
 * loop over one array each. In a stream a mask is the u8 tensor
 * "mask/<parameter>" of the parameter's shape, 1 where the parameter
 * trains and 0 where it is pruned (formats/traj-stream.md, "Masks"). */
#ifndef TRAJ_MASK_H
#define TRAJ_MASK_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "common/error.h"
#include "common/tensor.h"
#include "model/model.h"

#define MASK_PREFIX "mask/"

struct model_mask {
	size_t n;            /* the model's nparams */
	uint8_t *keep;       /* (nparams) 1 trains, 0 pruned */
	int nviews;
	uint8_t *masked;     /* (nviews) 1: the view has a mask tensor */
};

/* Keeps every parameter; no view masked. TRAJ_ENOMEM. */
int mask_init(struct model_mask *k, const struct model *m,
	      struct traj_error *err);
void mask_free(struct model_mask *k);

/* Loads the tensors "mask/<view>" among t[0..n) into k (set up by
 * mask_init for m); other tensors are ignored. Each must name a
 * parameter of m, be u8 of that parameter's shape, hold only 0 and 1,
 * and keep at least one parameter. Returns the number of mask tensors
 * (0: none, k unchanged), or -1 with TRAJ_EDATA naming the tensor ("mask
 * tensor 'mask/layers.0.W': shape [3,4], the parameter's is [784,300]");
 * on error k is unchanged. */
int mask_load(struct model_mask *k, const struct model *m,
	      const struct traj_tensor *t, int n, struct traj_error *err);

/* Zeroes the entries of x (nparams floats in the parameter layout:
 * parameters, gradients, moments) that k prunes. */
void mask_apply(const struct model_mask *k, const struct model *m, float *x);

/* Views with a mask tensor. */
int mask_count(const struct model_mask *k);
/* Parameters of view i that k keeps. */
int64_t mask_kept(const struct model_mask *k, const struct model *m, int i);
/* Nonzero entries of view i of x (nparams floats). */
int64_t mask_nonzero(const struct model *m, const float *x, int i);

/* The u8 tensor "mask/<view i>", borrowing k's bytes; name receives the
 * name (TRAJ_NAME_MAX). -1 when the name would be too long. */
int mask_view_tensor(const struct model_mask *k, const struct model *m,
		     int i, struct traj_tensor *out);

/* {"<view>": density, ...} over the masked views and "total": kept over
 * the masked views' parameters; a new object, NULL when out of memory. */
cJSON *mask_densities_json(const struct model_mask *k, const struct model *m);

#endif
