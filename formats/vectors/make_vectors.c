/* Writes the test vectors of formats/vectors/ (see README.md there).
 * Build and run from the repository root, after `make`:
 *
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L $(pkg-config --cflags libzstd libcjson) \
 *      -Ilib -o build/make_vectors formats/vectors/make_vectors.c \
 *      build/libtraj.a $(pkg-config --libs libzstd libcjson) -lm
 *   build/make_vectors formats/vectors
 *
 * The tensor values are exact formulas (README.md) so that a reader in any
 * language can check them. zstd output may differ between zstd versions;
 * the decoded values may not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "format/stream.h"

static const char *dir;

static void die(const char *what, const struct traj_error *err)
{
	fprintf(stderr, "make_vectors: %s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

static FILE *create(const char *name)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	return f;
}

static void finish(FILE *f, const char *name)
{
	if (fclose(f)) {
		perror(name);
		exit(1);
	}
}

/* The multi-checkpoint vectors: four tensors whose values at checkpoint
 * k are exact in binary floating point (README.md, "Values"). */
static void fill(int k, struct traj_tensor t[4])
{
	int64_t s45[] = {4, 5}, s3[] = {3}, s2[] = {2};
	if (tensor_alloc(&t[0], "w", TRAJ_F32, 2, s45) ||
	    tensor_alloc(&t[1], "b", TRAJ_F64, 1, s3) ||
	    tensor_alloc(&t[2], "optim/m", TRAJ_F32, 2, s45) ||
	    tensor_alloc(&t[3], "count", TRAJ_I32, 1, s2))
		die("fill", NULL);
	float *w = t[0].data, *m = t[2].data;
	double *b = t[1].data;
	int32_t *c = t[3].data;
	for (int i = 0; i < 20; i++) {
		w[i] = ((float)i - 10.0f) * 0.125f +
		       (float)(k * k) * 0.0078125f * (float)(i % 3);
		m[i] = (float)(i + k) / 1024.0f;
	}
	for (int i = 0; i < 3; i++)
		b[i] = (double)(k + 1) / 3.0 * (double)(i + 1);
	for (int i = 0; i < 2; i++)
		c[i] = k * 1000 - i;
}

static void write_multi(FILE *f, const char *id, enum traj_encoding enc,
			int key_every, int nckpt, int64_t step_every)
{
	struct traj_error err;
	struct traj_write_opts o;
	stream_write_opts_default(&o);
	o.encoding = enc;
	o.key_every = key_every;
	cJSON *run = cJSON_CreateObject();
	cJSON_AddStringToObject(run, "run", id);
	struct traj_writer *w = stream_writer_open(f, run, &o, &err);
	cJSON_Delete(run);
	if (!w)
		die(id, &err);
	for (int k = 0; k < nckpt; k++) {
		struct traj_tensor t[4];
		fill(k, t);
		cJSON *metrics = cJSON_CreateObject();
		cJSON_AddNumberToObject(metrics, "loss", 1.0 / (k + 1));
		if (stream_write_begin(w, k * step_every, 4, metrics, &err))
			die(id, &err);
		cJSON_Delete(metrics);
		for (int i = 0; i < 4; i++) {
			if (stream_write_tensor(w, &t[i], &err))
				die(id, &err);
			tensor_free(&t[i]);
		}
		if (stream_write_end(w, &err))
			die(id, &err);
	}
	if (stream_writer_close(w, &err))
		die(id, &err);
}

static void write_tiny(FILE *f)
{
	struct traj_error err;
	struct traj_write_opts o;
	stream_write_opts_default(&o);
	o.encoding = TRAJ_ENC_RAW;
	cJSON *run = cJSON_CreateObject();
	cJSON_AddStringToObject(run, "run", "tiny");
	struct traj_writer *w = stream_writer_open(f, run, &o, &err);
	cJSON_Delete(run);
	int64_t shape[] = {2, 3};
	float v[] = {0.0f, 1.0f, -2.0f, 0.5f, 3.25f, -0.0f};
	struct traj_tensor t = {.name = "w", .dtype = TRAJ_F32, .rank = 2,
				.data = v, .borrowed = 1};
	memcpy(t.shape, shape, sizeof shape);
	cJSON *metrics = cJSON_CreateObject();
	cJSON_AddNumberToObject(metrics, "loss", 0.5);
	if (!w || stream_write_begin(w, 0, 1, metrics, &err) ||
	    stream_write_tensor(w, &t, &err) || stream_write_end(w, &err) ||
	    stream_writer_close(w, &err))
		die("tiny", &err);
	cJSON_Delete(metrics);
}

/* A whole vector in memory, to cut or damage. */
static char *in_memory(void (*gen)(FILE *), size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	gen(f);
	fclose(f);
	return buf;
}

static void gen_pred2(FILE *f)
{
	write_multi(f, "pred2", TRAJ_ENC_PRED2, 3, 4, 100);
}

static void save(const char *name, const char *buf, size_t len)
{
	FILE *f = create(name);
	fwrite(buf, 1, len, f);
	finish(f, name);
}

static void record(FILE *f, const char *json)
{
	struct traj_error err;
	if (stream_write_record(f, json, strlen(json), &err))
		die(json, &err);
}

/* A tensor record and its frame, from hand-written JSON. */
static void tensor_frame(FILE *f, const char *json_fmt, const void *data,
			 size_t bytes)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	char z[256], json[512];
	size_t zn = ZSTD_compress2(c, z, sizeof z, data, bytes);
	ZSTD_freeCCtx(c);
	snprintf(json, sizeof json, json_fmt, zn);
	record(f, json);
	fwrite(z, 1, zn, f);
}

/* Offset of the first ordinary zstd frame. */
static size_t zstd_frame(const char *buf, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(buf + i, "\x28\xb5\x2f\xfd", 4) == 0)
			return i;
	die("no zstd frame", NULL);
	return 0;
}

/* A cut inside the tensors of the third checkpoint (step 200). */
static size_t middle_of_third_ckpt(const char *buf, size_t len)
{
	struct traj_error err;
	FILE *f = fmemopen((void *)buf, len, "rb");
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	int64_t ends[3];
	int n = 0, rc;
	while (n < 3 && (rc = stream_read_next(r, &err)) > 0)
		if (rc == TRAJ_REC_CKPT)
			ends[n++] = stream_reader_offset(r);
	stream_reader_free(r);
	fclose(f);
	if (n < 3)
		die("pred2", &err);
	return (size_t)(ends[1] + ends[2]) / 2;
}

#define RUN_V1 "{\"type\":\"run\",\"version\":1,\"run\":\"bad\"}"

static void write_bad(void)
{
	size_t len;
	char *tiny = in_memory(write_tiny, &len);
	char *copy = malloc(len);
	memcpy(copy, tiny, len);
	copy[0] ^= 0x01;
	save("bad-magic.traj", copy, len);
	memcpy(copy, tiny, len);
	copy[zstd_frame(tiny, len) + 12] ^= 0x10; /* in the content of "w" */
	save("flipped-bit.traj", copy, len);
	memcpy(copy, tiny, len);
	copy[20] ^= 0x02; /* inside the JSON of the run record */
	save("bad-crc.traj", copy, len);
	free(copy);
	free(tiny);

	char *p2 = in_memory(gen_pred2, &len);
	save("truncated.traj", p2, middle_of_third_ckpt(p2, len));
	free(p2);

	FILE *f = create("trailing-garbage.traj");
	record(f, "{\"type\":\"run\",\"version\":1}x");
	finish(f, "trailing-garbage.traj");

	f = create("duplicate-key.traj");
	record(f, RUN_V1);
	record(f, "{\"type\":\"ckpt\",\"step\":1,\"step\":2,\"tensors\":0,\"key\":true}");
	record(f, "{\"type\":\"end-ckpt\",\"step\":1}");
	finish(f, "duplicate-key.traj");

	f = create("bad-version.traj");
	record(f, "{\"type\":\"run\",\"version\":2}");
	finish(f, "bad-version.traj");

	f = create("huge-shape.traj");
	record(f, RUN_V1);
	record(f, "{\"type\":\"ckpt\",\"step\":0,\"tensors\":1,\"key\":true}");
	record(f, "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\","
		  "\"shape\":[1099511627776],\"encoding\":\"raw\","
		  "\"bytes\":4398046511104,\"zbytes\":100}");
	finish(f, "huge-shape.traj");

	float x[2] = {1.0f, 2.0f};
	f = create("nonkey-start.traj");
	record(f, RUN_V1);
	record(f, "{\"type\":\"ckpt\",\"step\":5,\"tensors\":1,\"key\":false}");
	tensor_frame(f, "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\","
		     "\"shape\":[2],\"encoding\":\"xor\",\"bytes\":8,\"zbytes\":%zu}",
		     x, sizeof x);
	record(f, "{\"type\":\"end-ckpt\",\"step\":5}");
	finish(f, "nonkey-start.traj");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_vectors DIR\n");
		return 2;
	}
	dir = argv[1];
	FILE *f = create("tiny.traj");
	write_tiny(f);
	finish(f, "tiny.traj");
	f = create("pred2.traj");
	gen_pred2(f);
	finish(f, "pred2.traj");
	f = create("xor.traj");
	write_multi(f, "xor", TRAJ_ENC_XOR, 16, 3, 1);
	finish(f, "xor.traj");
	f = create("concat.traj");
	write_tiny(f);
	write_multi(f, "xor", TRAJ_ENC_XOR, 16, 3, 1);
	finish(f, "concat.traj");
	write_bad();
	return 0;
}
