/* The float tensors of one checkpoint, copied as doubles for analysis
 * (traj-diff keeps at most three: the reference, the previous and the
 * current checkpoint). Buffers are reused from one checkpoint to the
 * next, so a stream of same-shaped checkpoints allocates only once. */
#ifndef TRAJ_WEIGHTSET_H
#define TRAJ_WEIGHTSET_H

#include <stdint.h>

#include "format/stream.h"

struct wtensor {
	char name[TRAJ_NAME_MAX];
	int rank;
	int64_t shape[TRAJ_MAX_RANK];
	int64_t n;           /* elements */
	double *v;           /* (n) */
	int64_t cap;
};

struct weightset {
	int have;            /* holds a checkpoint */
	int64_t step;
	int n, cap;
	struct wtensor *t;
};

/* Which tensors to keep: NULL keeps every float tensor. */
typedef int (*wset_filter)(const char *name, void *ctx);

void wset_init(struct weightset *w);
void wset_free(struct weightset *w);
/* Copies the float tensors of `c` that pass the filter. Returns 0, or -1
 * with err set (TRAJ_ENOMEM). */
int wset_load(struct weightset *w, const struct traj_ckpt *c, wset_filter keep,
	      void *ctx, struct traj_error *err);
/* Exchanges the contents of two sets (the current becomes the previous). */
void wset_swap(struct weightset *a, struct weightset *b);
/* The tensor of that name, or NULL. */
const struct wtensor *wset_find(const struct weightset *w, const char *name);
/* Same name, rank and shape. */
int wset_same_shape(const struct wtensor *a, const struct wtensor *b);

#endif
