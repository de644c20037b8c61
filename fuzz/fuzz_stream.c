/* libFuzzer target: the checkpoint stream reader (lib/stream_read*.c) on any
 * bytes. Reads to the end or the first error, with and without skipping
 * the optimiser state, touching every tensor handed out. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "format/stream.h"

static void read_all(const uint8_t *data, size_t size, int skip)
{
	FILE *f = fmemopen((void *)data, size, "rb");
	if (!f)
		return;
	struct traj_error err;
	struct traj_read_limits lim;
	stream_read_limits_default(&lim);
	lim.max_tensor = 1 << 24; /* keep the fuzzer inside its memory limit */
	lim.max_ckpt = 1 << 26;
	struct traj_reader *r = stream_reader_open(f, "-", &lim, &err);
	if (r && skip)
		stream_reader_skip_prefix(r, "optim/");
	volatile uint8_t sink = 0;
	int rc;
	while (r && (rc = stream_read_next(r, &err)) > 0) {
		if (rc != TRAJ_REC_CKPT)
			continue;
		const struct traj_ckpt *c = stream_reader_ckpt(r);
		for (int i = 0; i < c->ntensors; i++) {
			size_t n = tensor_nbytes(&c->tensors[i]);
			if (n)
				sink ^= ((const uint8_t *)c->tensors[i].data)[n - 1];
		}
	}
	(void)sink;
	stream_reader_free(r);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0; /* fmemopen refuses an empty buffer */
	read_all(data, size, 0);
	read_all(data, size, 1);
	return 0;
}
