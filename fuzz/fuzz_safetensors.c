/* libFuzzer target: a .safetensors file from outside, as traj-convert
 * --import safetensors reads it: the traj_run metadata, then every tensor
 * copied out of the borrowed bytes (so ASan sees any read past the end). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/safetensors.h"

static int copy(const struct traj_tensor *t, void *ctx, struct traj_error *err)
{
	struct traj_tensor c;
	(void)ctx;
	if (tensor_alloc(&c, t->name, t->dtype, t->rank, t->shape) < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	memcpy(c.data, t->data, tensor_nbytes(t));
	tensor_free(&c);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct traj_error err;
	char *meta;
	if (safetensors_metadata(data, size, "traj_run", &meta, &err) == 0)
		free(meta);
	safetensors_read(data, size, copy, NULL, &err);
	return 0;
}
