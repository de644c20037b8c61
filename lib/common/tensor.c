#include "common/tensor.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	size_t size;
} dtypes[TRAJ_NDTYPES] = {
	[TRAJ_F32] = {"f32", 4}, [TRAJ_F64] = {"f64", 8},
	[TRAJ_F16] = {"f16", 2}, [TRAJ_BF16] = {"bf16", 2},
	[TRAJ_I8] = {"i8", 1},   [TRAJ_I16] = {"i16", 2},
	[TRAJ_I32] = {"i32", 4}, [TRAJ_I64] = {"i64", 8},
	[TRAJ_U8] = {"u8", 1},
};

const char *dtype_name(enum traj_dtype dtype)
{
	if ((unsigned)dtype >= TRAJ_NDTYPES)
		return NULL;
	return dtypes[dtype].name;
}

int dtype_from_name(const char *name, enum traj_dtype *out)
{
	for (int i = 0; i < TRAJ_NDTYPES; i++) {
		if (strcmp(name, dtypes[i].name) == 0) {
			*out = (enum traj_dtype)i;
			return 0;
		}
	}
	return -1;
}

size_t dtype_size(enum traj_dtype dtype)
{
	if ((unsigned)dtype >= TRAJ_NDTYPES)
		return 0;
	return dtypes[dtype].size;
}

int64_t tensor_numel_checked(int rank, const int64_t *shape, int64_t limit)
{
	if (rank < 0 || rank > TRAJ_MAX_RANK)
		return -1;
	int64_t n = 1;
	for (int i = 0; i < rank; i++) {
		if (shape[i] < 0)
			return -1;
		if (shape[i] != 0 && n > limit / shape[i])
			return -1;
		n *= shape[i];
	}
	return n;
}

int64_t tensor_numel(const struct traj_tensor *t)
{
	return tensor_numel_checked(t->rank, t->shape, INT64_MAX);
}

size_t tensor_nbytes(const struct traj_tensor *t)
{
	return (size_t)tensor_numel(t) * dtype_size(t->dtype);
}

int tensor_name_valid(const char *name)
{
	size_t len = strnlen(name, TRAJ_NAME_MAX);
	if (len == 0 || len >= TRAJ_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c >= 0x7f)
			return 0;
	}
	return 1;
}

int tensor_alloc(struct traj_tensor *t, const char *name, enum traj_dtype dtype,
		 int rank, const int64_t *shape)
{
	memset(t, 0, sizeof *t);
	size_t esize = dtype_size(dtype);
	int64_t n = tensor_numel_checked(rank, shape, INT64_MAX / 8);
	if (esize == 0 || n < 0 || strlen(name) >= TRAJ_NAME_MAX)
		return -1;
	strcpy(t->name, name);
	t->dtype = dtype;
	t->rank = rank;
	memcpy(t->shape, shape, (size_t)rank * sizeof *shape);
	t->data = calloc(n ? (size_t)n : 1, esize);
	return t->data ? 0 : -1;
}

void tensor_free(struct traj_tensor *t)
{
	if (!t->borrowed)
		free(t->data);
	t->data = NULL;
}
