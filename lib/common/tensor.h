/* Named n-dimensional arrays. A tensor owns its data buffer unless
 * `borrowed` is set; tensor_free releases only what it owns. Row-major:
 * element (i0, ..., ik) sits at sum_j i_j * prod_{l>j} shape[l]. */
#ifndef TRAJ_TENSOR_H
#define TRAJ_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#define TRAJ_MAX_RANK 8
#define TRAJ_NAME_MAX 256 /* bytes, including the terminating NUL */

enum traj_dtype {
	TRAJ_F32, TRAJ_F64, TRAJ_F16, TRAJ_BF16,
	TRAJ_I8, TRAJ_I16, TRAJ_I32, TRAJ_I64, TRAJ_U8,
	TRAJ_NDTYPES
};

struct traj_tensor {
	char name[TRAJ_NAME_MAX];
	enum traj_dtype dtype;
	int rank;
	int64_t shape[TRAJ_MAX_RANK];
	void *data;
	int borrowed;
};

/* Name used in stream headers ("f32", ...); NULL for an invalid dtype. */
const char *dtype_name(enum traj_dtype dtype);
/* Looks a name up in the fixed table; returns -1 when unknown. */
int dtype_from_name(const char *name, enum traj_dtype *out);
size_t dtype_size(enum traj_dtype dtype);

/* Element count, or -1 if a dimension is negative or the product overflows
 * `limit` elements. */
int64_t tensor_numel_checked(int rank, const int64_t *shape, int64_t limit);
int64_t tensor_numel(const struct traj_tensor *t);
size_t tensor_nbytes(const struct traj_tensor *t);

/* Valid tensor names are 1..TRAJ_NAME_MAX-1 printable ASCII bytes without
 * spaces or tabs (they appear inside metric names). */
int tensor_name_valid(const char *name);

/* Allocates zeroed data for the given shape; returns -1 on overflow/ENOMEM. */
int tensor_alloc(struct traj_tensor *t, const char *name, enum traj_dtype dtype,
		 int rank, const int64_t *shape);
void tensor_free(struct traj_tensor *t);

#endif
