/* Reads a traj stream on stdin and prints, per checkpoint, its step, its
 * size in the stream and its raw float32 size: "step<TAB>bytes<TAB>raw". */
#include <stdio.h>

#include "format/stream.h"

int main(void)
{
	struct traj_error err;
	struct traj_reader *r = stream_reader_open(stdin, "-", NULL, &err);
	if (!r) {
		fprintf(stderr, "stream_sizes: %s\n", err.msg);
		return 1;
	}
	int64_t last = 0;
	int rec;
	while ((rec = stream_read_next(r, &err)) > 0) {
		int64_t here = stream_reader_offset(r);
		if (rec == TRAJ_REC_CKPT) {
			const struct traj_ckpt *c = stream_reader_ckpt(r);
			size_t raw = 0;
			for (int i = 0; i < c->ntensors; i++)
				raw += tensor_nbytes(&c->tensors[i]);
			printf("%lld\t%lld\t%zu\n", (long long)c->step,
			       (long long)(here - last), raw);
		}
		last = here;
	}
	stream_reader_free(r);
	if (rec < 0) {
		fprintf(stderr, "stream_sizes: byte %lld: %s\n",
			(long long)err.offset, err.msg);
		return 1;
	}
	return 0;
}
