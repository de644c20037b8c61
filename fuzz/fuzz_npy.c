/* libFuzzer target: a .npy file from outside, as traj-convert --import npy
 * reads it (npy_parse over the whole file in memory). */
#include <stdint.h>
#include <stdlib.h>

#include "format/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct traj_tensor t;
	struct traj_error err;
	if (npy_parse(data, size, "x", &t, &err) < 0)
		return 0;
	if (tensor_nbytes(&t) > size)
		abort(); /* the data came from the file, so it cannot be larger */
	tensor_free(&t);
	return 0;
}
