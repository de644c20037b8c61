/* Patching (traj-ablate(1)): the corrupted inputs a task defines for
 * activation patching, and the weights that belong to a component, for
 * patching across training time. */
#ifndef TRAJ_PATCH_H
#define TRAJ_PATCH_H

#include <stddef.h>
#include <stdint.h>

#include "interp/ablate.h"
#include "common/error.h"
#include "model/model.h"
#include "task/task.h"

/* Which operand a corruption changes. */
enum corruption { CORRUPT_A, CORRUPT_B };
int patch_corruption_from_name(const char *name, enum corruption *out);

/* The task's corrupted inputs with operand a or b replaced
 * (task_corrupt_tokens): tasks that define none are TRAJ_EUSAGE. *out is
 * malloc'd. */
int patch_corrupt_tokens(const struct task_config *task, const struct split *s,
		   int n_inputs, enum corruption which, uint64_t seed,
		   int32_t **out, struct traj_error *err);

/* A strided slice of the parameter buffer: floats
 * offset + r * stride + [0, len) for r in [0, count). */
struct weight_slice { size_t offset, stride; int count, len; };
#define COMP_MAX_SLICES 8

/* The weights of component c (a neuron: its input column, bias and
 * output row; a head: its W_Q, W_K, W_V, W_O and biases; a layer: all of
 * them and the output bias; a direction: none). Returns the number of
 * slices (at most COMP_MAX_SLICES), or -1 with err set (TRAJ_EDATA,
 * naming the view) when m lacks one the component needs. */
int patch_component_weights(const struct model *m, const struct component *c,
			    struct weight_slice *out, struct traj_error *err);
/* dst takes src's values on the slices. */
void patch_weights_copy(float *dst, const float *src, const struct weight_slice *s,
		  int n);

#endif
