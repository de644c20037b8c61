/* What the checkpoint stream's tests share (test_stream_*.c): in-memory
 * streams, a whole read collected into a struct seen, a synthetic stream
 * whose tensors have every dtype and tricky bits (NaN payloads, signed
 * zeros, denormals, shapes that change, tensors that come and go), and
 * the byte offsets where its checkpoints end. Run the tests from the
 * repository root (some read formats/vectors). */
#ifndef TRAJ_STREAM_FIXTURE_H
#define TRAJ_STREAM_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "common/rng.h"
#include "format/stream.h"

/* A growing in-memory stream, written through a FILE *. */
struct membuf {
	char *buf;
	size_t len;
	FILE *f;
};

static void mem_open(struct membuf *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
}

static void mem_close(struct membuf *m)
{
	fclose(m->f);
	m->f = NULL;
}

/* A FILE * reading the first n bytes of buf (tmpfile: fmemopen refuses
 * size 0 on some libcs). */
static FILE *reader_file(const char *buf, size_t n)
{
	FILE *f = tmpfile();
	if (n)
		fwrite(buf, 1, n, f);
	rewind(f);
	return f;
}

/* What a whole read produced: the ckpts (copied) and the final status. */
#define MAX_SEEN 32
struct seen {
	int nckpt, nrun, nend;
	int64_t step[MAX_SEEN];
	int key[MAX_SEEN];
	struct traj_tensor *tensors[MAX_SEEN];
	int ntensors[MAX_SEEN];
	cJSON *metrics[MAX_SEEN];
	int rc;              /* last return: TRAJ_REC_EOF or -1 */
	struct traj_error err;
};

static void copy_ckpt(struct seen *s, const struct traj_ckpt *c)
{
	int i = s->nckpt++;
	s->step[i] = c->step;
	s->key[i] = c->key;
	s->ntensors[i] = c->ntensors;
	s->tensors[i] = calloc((size_t)c->ntensors + 1, sizeof(struct traj_tensor));
	s->metrics[i] = c->metrics ? cJSON_Duplicate(c->metrics, 1) : NULL;
	for (int k = 0; k < c->ntensors; k++) {
		const struct traj_tensor *t = &c->tensors[k];
		struct traj_tensor *d = &s->tensors[i][k];
		tensor_alloc(d, t->name, t->dtype, t->rank, t->shape);
		memcpy(d->data, t->data, tensor_nbytes(t));
	}
}

static void seen_free(struct seen *s)
{
	for (int i = 0; i < s->nckpt; i++) {
		for (int k = 0; k < s->ntensors[i]; k++)
			tensor_free(&s->tensors[i][k]);
		free(s->tensors[i]);
		cJSON_Delete(s->metrics[i]);
	}
	memset(s, 0, sizeof *s);
}

static void read_all(FILE *in, const struct traj_read_limits *lim, struct seen *s)
{
	memset(s, 0, sizeof *s);
	struct traj_reader *r = stream_reader_open(in, "-", lim, &s->err);
	for (;;) {
		int rc = stream_read_next(r, &s->err);
		if (rc == TRAJ_REC_CKPT && s->nckpt < MAX_SEEN)
			copy_ckpt(s, stream_reader_ckpt(r));
		else if (rc == TRAJ_REC_RUN)
			s->nrun++;
		else if (rc == TRAJ_REC_END)
			s->nend++;
		else if (rc == TRAJ_REC_EOF || rc < 0 || rc == TRAJ_REC_CKPT) {
			s->rc = rc;
			break;
		}
	}
	stream_reader_free(r);
}

static void read_buf(const char *buf, size_t n, struct seen *s)
{
	FILE *f = reader_file(buf, n);
	read_all(f, NULL, s);
	fclose(f);
}

static int same_tensor(const struct traj_tensor *a, const struct traj_tensor *b)
{
	return strcmp(a->name, b->name) == 0 && a->dtype == b->dtype &&
	       a->rank == b->rank &&
	       memcmp(a->shape, b->shape, (size_t)a->rank * sizeof *a->shape) == 0 &&
	       memcmp(a->data, b->data, tensor_nbytes(a)) == 0;
}

/* Whether checkpoint i of `got` is bit-identical to that of `want`. */
static int same_ckpt(const struct seen *got, const struct seen *want, int i)
{
	if (got->step[i] != want->step[i] || got->key[i] != want->key[i] ||
	    got->ntensors[i] != want->ntensors[i])
		return 0;
	if (!!got->metrics[i] != !!want->metrics[i] ||
	    (got->metrics[i] && !cJSON_Compare(got->metrics[i], want->metrics[i], 1)))
		return 0;
	for (int k = 0; k < got->ntensors[i]; k++)
		if (!same_tensor(&got->tensors[i][k], &want->tensors[i][k]))
			return 0;
	return 1;
}

static int has(const struct traj_error *err, const char *text)
{
	if (strstr(err->msg, text))
		return 1;
	printf("#   message '%s' lacks '%s'\n", err->msg, text);
	return 0;
}

static struct traj_writer *open_writer(FILE *out, enum traj_encoding enc,
				       int key_every)
{
	struct traj_write_opts o;
	struct traj_error err;
	stream_write_opts_default(&o);
	o.encoding = enc;
	o.key_every = key_every;
	cJSON *run = cJSON_CreateObject();
	cJSON_AddStringToObject(run, "id", "test");
	cJSON_AddNumberToObject(run, "seed", 7);
	struct traj_writer *w = stream_writer_open(out, run, &o, &err);
	cJSON_Delete(run);
	return w;
}

/* ---- tensor contents with tricky bits ---- */

/* Bits of element i at checkpoint k: a slowly moving value (what
 * trajectories look like), with NaN payloads, infinities, signed zeros,
 * denormals and random bit patterns mixed in. */
static uint64_t element_bits(enum traj_dtype d, int k, int64_t i, struct rng *r)
{
	static const uint32_t f32_special[] = {
		0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00001u,
		0x7f800001u, 0xffbfffffu, 0x00000001u, 0x807fffffu, 0x7f7fffffu,
	};
	static const uint64_t f64_special[] = {
		0x8000000000000000u, 0x7ff0000000000000u, 0x7ff8000000000123u,
		0x7ff0000000000001u, 0x0000000000000001u, 0x800fffffffffffffu,
	};
	uint64_t noise = rng_next(r);
	float x = (float)(i % 13) * 0.01f - 0.06f + 0.001f * (float)(k * (i % 5));
	uint32_t xb;
	memcpy(&xb, &x, 4);
	if (i % 11 == 3)
		return noise; /* any bits at all */
	switch (d) {
	case TRAJ_F32:
		if (i % 17 == 5)
			return f32_special[(i / 17 + k) % 9];
		return xb;
	case TRAJ_F64: {
		if (i % 17 == 5)
			return f64_special[(i / 17 + k) % 6];
		double y = (double)x * (1 + 1e-9 * k);
		uint64_t yb;
		memcpy(&yb, &y, 8);
		return yb;
	}
	case TRAJ_BF16:
		return xb >> 16;
	case TRAJ_F16:
		return (uint64_t)(0x3c00 + i * 7 - k * 3);
	default:
		return (uint64_t)(i * 3 - k * 5 + (k * k) % 7);
	}
}

static void make_tensor(struct traj_tensor *t, const char *name,
			enum traj_dtype d, int rank, const int64_t *shape, int k)
{
	struct rng r;
	rng_seed(&r, (uint64_t)(k * 131 + d));
	tensor_alloc(t, name, d, rank, shape);
	size_t w = dtype_size(d);
	int64_t n = tensor_numel(t);
	for (int64_t i = 0; i < n; i++) {
		uint64_t b = element_bits(d, k, i, &r);
		memcpy((uint8_t *)t->data + i * (int64_t)w, &b, w);
	}
}

/* The tensors of checkpoint k: one per dtype, plus a scalar, an empty
 * tensor, one whose shape changes, and one that comes and goes. */
static int make_ckpt(int k, struct traj_tensor *t)
{
	int n = 0;
	for (int d = 0; d < TRAJ_NDTYPES; d++) {
		char name[32];
		int64_t shape[] = {7, 19};
		snprintf(name, sizeof name, "layer.%s", dtype_name((enum traj_dtype)d));
		make_tensor(&t[n++], name, (enum traj_dtype)d, 2, shape, k);
	}
	int64_t none[1] = {0}, grows[] = {3 + k % 2}, empty[] = {0, 4};
	make_tensor(&t[n++], "scalar", TRAJ_F32, 0, none, k);
	make_tensor(&t[n++], "empty", TRAJ_F32, 2, empty, k);
	make_tensor(&t[n++], "optim/grows", TRAJ_F32, 1, grows, k);
	if (k % 3 != 1)
		make_tensor(&t[n++], "sometimes", TRAJ_F64, 1, grows, k);
	return n;
}

#define MAX_T (TRAJ_NDTYPES + 4)

/* Checkpoints [from, to) of the write_stream sequence. */
static void write_ckpts(struct traj_writer *w, int from, int to)
{
	struct traj_error err = {0};
	for (int k = from; k < to; k++) {
		struct traj_tensor t[MAX_T];
		int n = make_ckpt(k, t);
		cJSON *m = cJSON_CreateObject();
		cJSON_AddNumberToObject(m, "loss", 1.0 / (k + 1));
		cJSON_AddNumberToObject(m, "acc", k == 2 ? NAN : 0.25 * k);
		CHECK(stream_write_begin(w, 10 * k, n, m, &err) == 0);
		cJSON_Delete(m);
		for (int i = 0; i < n; i++) {
			CHECK(stream_write_tensor(w, &t[i], &err) == 0);
			tensor_free(&t[i]);
		}
		CHECK(stream_write_end(w, &err) == 0);
	}
}

/* A stream of nckpt checkpoints (steps 10k) with metrics. */
static void write_stream(FILE *out, enum traj_encoding enc, int key_every,
			 int nckpt)
{
	struct traj_error err = {0};
	struct traj_writer *w = open_writer(out, enc, key_every);
	CHECK(w != NULL);
	write_ckpts(w, 0, nckpt);
	CHECK(stream_writer_close(w, &err) == 0);
}

/* Byte offsets where each complete checkpoint ends, from a clean read. */
static int ckpt_ends(const char *buf, size_t len, int64_t *ends, int max)
{
	struct traj_error err;
	FILE *f = reader_file(buf, len);
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	int n = 0, rc;
	while ((rc = stream_read_next(r, &err)) > 0)
		if (rc == TRAJ_REC_CKPT && n < max)
			ends[n++] = stream_reader_offset(r);
	stream_reader_free(r);
	fclose(f);
	return n;
}

#endif
