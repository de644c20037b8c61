/* libFuzzer target: an .npz file from outside, as traj-convert --import npz
 * reads it: zip_read over the archive in memory, npy_parse on each entry. */
#include <stdint.h>
#include <stdlib.h>

#include "format/npy.h"
#include "format/zipstore.h"

static int entry(const char *name, const unsigned char *data, size_t len,
		 void *ctx, struct traj_error *err)
{
	struct traj_tensor t;
	(void)name;
	(void)ctx;
	if (npy_parse(data, len, "x", &t, err) < 0)
		return 0; /* go on: later entries exercise the walk further */
	tensor_free(&t);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct traj_error err;
	zip_read(data, size, entry, NULL, &err);
	return 0;
}
