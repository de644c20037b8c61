/* The pred2 writer falls back to delta per tensor when extrapolation from
 * two checkpoints predicts worse than the previous value alone. */
#include <stdlib.h>
#include <string.h>

#include "format/encode.h"
#include "harness.h"
#include "format/stream.h"

enum { N = 4096 };

/* Step t of two trajectories: "smooth" moves at constant speed (linear
 * extrapolation is exact), "zigzag" goes back and forth (extrapolation
 * doubles the error of a plain delta). */
static void fill(float *smooth, float *zigzag, int t)
{
	for (int i = 0; i < N; i++) {
		float base = 0.01f * (float)(i % 97) - 0.4f;
		smooth[i] = base + 1e-4f * (float)t * (float)(1 + i % 7);
		zigzag[i] = base + ((t & 1) ? 3e-4f : -3e-4f) * (float)(1 + i % 5);
	}
}

static size_t count(const char *hay, size_t len, const char *needle)
{
	size_t n = 0, k = strlen(needle);
	for (size_t i = 0; i + k <= len; i++)
		n += memcmp(hay + i, needle, k) == 0;
	return n;
}

static void test_choice_per_tensor(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct traj_write_opts opts;
	stream_write_opts_default(&opts);
	opts.encoding = TRAJ_ENC_PRED2;
	cJSON *run = cJSON_CreateObject();
	struct traj_writer *w = stream_writer_open(f, run, &opts, NULL);
	CHECK(w != NULL);
	struct traj_tensor a, b;
	int64_t shape[1] = {N};
	tensor_alloc(&a, "smooth", TRAJ_F32, 1, shape);
	tensor_alloc(&b, "zigzag", TRAJ_F32, 1, shape);
	for (int t = 0; t < 4; t++) {
		fill(a.data, b.data, t);
		CHECK(stream_write_begin(w, t, 2, NULL, NULL) == 0);
		CHECK(stream_write_tensor(w, &a, NULL) == 0);
		CHECK(stream_write_tensor(w, &b, NULL) == 0);
		CHECK(stream_write_end(w, NULL) == 0);
	}
	CHECK(stream_writer_close(w, NULL) == 0);
	fclose(f);
	/* t=0 key (shuffle x2); t=1 has only P1 (pred2 as a delta x2);
	 * t=2,3: smooth -> pred2, zigzag -> delta */
	CHECK(count(buf, len, "\"encoding\":\"delta\"") == 2);
	CHECK(count(buf, len, "\"encoding\":\"pred2\"") == 4);

	/* and it reads back bit for bit */
	FILE *in = fmemopen(buf, len, "rb");
	struct traj_reader *r = stream_reader_open(in, "mem", NULL, NULL);
	int rec, t = 0;
	while ((rec = stream_read_next(r, NULL)) > 0) {
		if (rec != TRAJ_REC_CKPT)
			continue;
		const struct traj_ckpt *c = stream_reader_ckpt(r);
		fill(a.data, b.data, t++);
		CHECK(memcmp(stream_ckpt_find(c, "smooth")->data, a.data, 4 * N) == 0);
		CHECK(memcmp(stream_ckpt_find(c, "zigzag")->data, b.data, 4 * N) == 0);
	}
	CHECK(rec == TRAJ_REC_EOF && t == 4);
	stream_reader_free(r);
	fclose(in);
	tensor_free(&a);
	tensor_free(&b);
	cJSON_Delete(run);
	free(buf);
}

static void test_estimate(void)
{
	float cur[N], r1[N], r0[N];
	for (int i = 0; i < N; i++) {
		r0[i] = 1.0f + 1e-3f * (float)i;
		r1[i] = r0[i] + 1e-4f;
		cur[i] = r1[i] + 1e-4f; /* constant speed */
	}
	CHECK(stream_pred2_beats_delta(TRAJ_F32, N, cur, r1, r0));
	for (int i = 0; i < N; i++)
		cur[i] = r0[i]; /* came back */
	CHECK(!stream_pred2_beats_delta(TRAJ_F32, N, cur, r1, r0));
}

int main(void)
{
	RUN(test_choice_per_tensor);
	RUN(test_estimate);
	return harness_done();
}
