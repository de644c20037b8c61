/* The checkpoint stream: round trips, test vectors, damaged input. Run
 * from the repository root (the vectors are read from formats/vectors). */
#include <float.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zstd.h>

#include "harness.h"
#include "common/jsontext.h"
#include "common/rng.h"
#include "format/stream.h"

/* ---- helpers ---- */

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

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0, k;
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
		}
		k = fread(buf + n, 1, cap - n, f);
		n += k;
	} while (k > 0);
	fclose(f);
	*len = n;
	return buf;
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

static int read_vector(const char *name, struct seen *s)
{
	char path[256];
	snprintf(path, sizeof path, "formats/vectors/%s", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("#   cannot open %s (run from the repository root)\n", path);
		return -1;
	}
	read_all(f, NULL, s);
	fclose(f);
	return 0;
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

static void check_ckpts(const struct seen *s, int nckpt, int key_every)
{
	CHECK(s->nckpt == nckpt);
	for (int k = 0; k < s->nckpt && k < nckpt; k++) {
		struct traj_tensor t[MAX_T];
		int n = make_ckpt(k, t);
		CHECK(s->step[k] == 10 * k);
		CHECK(s->key[k] == (k % key_every == 0));
		CHECK(s->ntensors[k] == n);
		for (int i = 0; i < n && i < s->ntensors[k]; i++) {
			if (!same_tensor(&s->tensors[k][i], &t[i]))
				printf("#   ckpt %d tensor '%s' differs\n", k, t[i].name);
			CHECK(same_tensor(&s->tensors[k][i], &t[i]));
		}
		for (int i = 0; i < n; i++)
			tensor_free(&t[i]);
		const cJSON *acc = cJSON_GetObjectItemCaseSensitive(s->metrics[k], "acc");
		CHECK(k == 2 ? cJSON_IsNull(acc) : acc && acc->valuedouble == 0.25 * k);
	}
}

/* ---- tests ---- */

static void test_round_trip_every_encoding(void)
{
	for (int enc = 0; enc < TRAJ_NENCODINGS; enc++) {
		struct membuf m;
		struct seen s;
		mem_open(&m);
		write_stream(m.f, (enum traj_encoding)enc, 3, 8);
		mem_close(&m);
		read_buf(m.buf, m.len, &s);
		CHECK(s.rc == TRAJ_REC_EOF);
		CHECK(s.nrun == 1 && s.nend == 1);
		check_ckpts(&s, 8, 3);
		seen_free(&s);
		free(m.buf);
	}
}

static void test_key_every_one_and_defaults(void)
{
	struct traj_write_opts o;
	stream_write_opts_default(&o);
	CHECK(o.encoding == TRAJ_ENC_PRED2 && o.key_every == 16);
	struct membuf m;
	struct seen s;
	mem_open(&m);
	write_stream(m.f, TRAJ_ENC_PRED2, 1, 4);
	mem_close(&m);
	read_buf(m.buf, m.len, &s);
	check_ckpts(&s, 4, 1);
	seen_free(&s);
	free(m.buf);
}

static void test_encoding_names(void)
{
	enum traj_encoding e;
	CHECK(strcmp(stream_encoding_name(TRAJ_ENC_PRED2), "pred2") == 0);
	CHECK(stream_encoding_from_name("xor", &e) == 0 && e == TRAJ_ENC_XOR);
	CHECK(stream_encoding_from_name("XOR", &e) == -1);
	CHECK(stream_encoding_name(TRAJ_NENCODINGS) == NULL);
}

static void test_crc32_matches_zlib(void)
{
	/* The check value of CRC-32/ISO-HDLC, as zlib.crc32(b"123456789"). */
	CHECK(stream_crc32(0, "123456789", 9) == 0xCBF43926u);
	CHECK(stream_crc32(stream_crc32(0, "1234", 4), "56789", 5) == 0xCBF43926u);
}

static void test_concatenated_streams(void)
{
	struct membuf a, b;
	mem_open(&a);
	write_stream(a.f, TRAJ_ENC_PRED2, 16, 3);
	mem_close(&a);
	mem_open(&b);
	write_stream(b.f, TRAJ_ENC_XOR, 16, 3);
	mem_close(&b);
	char *both = malloc(a.len + b.len);
	memcpy(both, a.buf, a.len);
	memcpy(both + a.len, b.buf, b.len);
	struct seen s;
	read_buf(both, a.len + b.len, &s);
	CHECK(s.rc == TRAJ_REC_EOF && s.nrun == 2 && s.nend == 2);
	CHECK(s.nckpt == 6);
	for (int k = 0; k < 3 && s.nckpt == 6; k++) {
		struct traj_tensor t[MAX_T];
		int n = make_ckpt(k, t);
		for (int i = 0; i < n; i++) {
			CHECK(same_tensor(&s.tensors[k][i], &t[i]));
			CHECK(same_tensor(&s.tensors[k + 3][i], &t[i]));
			tensor_free(&t[i]);
		}
	}
	seen_free(&s);
	/* A run cut after a checkpoint (no end record), then a new run. */
	struct seen whole;
	read_buf(a.buf, a.len, &whole);
	seen_free(&whole);
	free(both);
	free(a.buf);
	free(b.buf);
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

static void test_truncation_at_every_offset(void)
{
	struct membuf m;
	struct seen want, s;
	mem_open(&m);
	write_stream(m.f, TRAJ_ENC_PRED2, 2, 4);
	mem_close(&m);
	read_buf(m.buf, m.len, &want);
	int64_t ends[8];
	int nends = ckpt_ends(m.buf, m.len, ends, 8);
	CHECK(nends == 4);
	int bad = 0;
	for (size_t cut = 0; cut < m.len; cut++) {
		read_buf(m.buf, cut, &s);
		int complete = 0;
		while (complete < nends && ends[complete] <= (int64_t)cut)
			complete++;
		int clean = cut > 0 && complete > 0 && ends[complete - 1] == (int64_t)cut;
		int ok = s.nckpt == complete;
		for (int k = 0; ok && k < s.nckpt; k++)
			ok = same_ckpt(&s, &want, k);
		if (clean)
			ok = ok && s.rc == TRAJ_REC_EOF;
		else if (complete == 0 && cut > 0 && cut < 60)
			ok = ok && s.rc == -1; /* inside or just after the run record */
		else if (!clean && cut > (size_t)ends[0])
			ok = ok && s.rc == -1 && (s.err.status == TRAJ_ETRUNC ||
						  s.err.status == TRAJ_EDATA);
		if (cut == 0)
			ok = ok && s.rc == -1 && s.err.status == TRAJ_EDATA &&
			     strstr(s.err.msg, "empty input");
		if (!ok && bad++ < 5)
			printf("#   cut at %zu: %d ckpts, rc %d: %s\n", cut,
			       s.nckpt, s.rc, s.err.msg);
		seen_free(&s);
	}
	CHECK(bad == 0);
	printf("#   %zu truncation offsets\n", m.len);
	/* Inside a checkpoint the status is ETRUNC and names the step. */
	read_buf(m.buf, (size_t)(ends[1] + ends[2]) / 2, &s);
	CHECK(s.rc == -1 && s.err.status == TRAJ_ETRUNC);
	CHECK(has(&s.err, "truncated in checkpoint at step 20"));
	seen_free(&s);
	seen_free(&want);
	free(m.buf);
}

/* A small stream exercising every record and encoding, for bit flips. */
static void write_small(FILE *out)
{
	struct traj_error err;
	struct traj_writer *w = open_writer(out, TRAJ_ENC_PRED2, 3);
	for (int k = 0; k < 4; k++) {
		int64_t shape[] = {2, 3}, s2[] = {2};
		struct traj_tensor t[2];
		make_tensor(&t[0], "w", TRAJ_F32, 2, shape, k);
		make_tensor(&t[1], "optim/v", TRAJ_F64, 1, s2, k);
		cJSON *m = cJSON_CreateObject();
		cJSON_AddNumberToObject(m, "loss", 2.0 - k);
		stream_write_begin(w, 100 * k, 2, m, &err);
		cJSON_Delete(m);
		for (int i = 0; i < 2; i++) {
			stream_write_tensor(w, &t[i], &err);
			tensor_free(&t[i]);
		}
		stream_write_end(w, &err);
	}
	stream_writer_close(w, &err);
}

/* Reads buf with one bit flipped: either an error after checkpoints
 * equal to want's first ones, or all of want (counted in *accepted). */
static int flip_reads_same_or_fails(char *buf, size_t len, size_t bit,
				    const struct seen *want, int *accepted)
{
	struct seen s;
	buf[bit / 8] ^= (char)(1 << (bit % 8));
	read_buf(buf, len, &s);
	buf[bit / 8] ^= (char)(1 << (bit % 8));
	int ok = s.nckpt <= want->nckpt;
	for (int k = 0; ok && k < s.nckpt; k++)
		ok = same_ckpt(&s, want, k);
	if (s.rc == TRAJ_REC_EOF) {
		(*accepted)++;
		ok = ok && s.nckpt == want->nckpt;
	}
	seen_free(&s);
	return ok;
}

static void test_every_bit_flip_detected_or_harmless(void)
{
	struct membuf m;
	struct seen want;
	mem_open(&m);
	write_small(m.f);
	mem_close(&m);
	read_buf(m.buf, m.len, &want);
	CHECK(want.rc == TRAJ_REC_EOF && want.nckpt == 4);
	int silent = 0, accepted = 0;
	for (size_t bit = 0; bit < m.len * 8; bit++)
		if (!flip_reads_same_or_fails(m.buf, m.len, bit, &want, &accepted) &&
		    silent++ < 5)
			printf("#   flip of bit %zu gave different data\n", bit);
	CHECK(silent == 0);
	/* Accepted flips are in parts that do not matter: zstd frame header
	 * fields with no effect on the content, or a skipped end record. */
	printf("#   %d of %zu flips read as identical data\n", accepted, m.len * 8);
	seen_free(&want);
	free(m.buf);
}

struct bad_vector {
	const char *file;
	int nckpt;          /* checkpoints returned before the error */
	enum traj_status status;
	const char *text;   /* part of the message */
};

static void test_bad_vectors(void)
{
	static const struct bad_vector v[] = {
		{"bad-magic.traj", 0, TRAJ_EDATA, "not a traj stream"},
		{"flipped-bit.traj", 0, TRAJ_EDATA, "tensor 'w'"},
		{"bad-crc.traj", 0, TRAJ_EDATA, "header checksum mismatch"},
		{"truncated.traj", 2, TRAJ_ETRUNC, "truncated in checkpoint at step 200"},
		{"trailing-garbage.traj", 0, TRAJ_EDATA, "invalid JSON"},
		{"duplicate-key.traj", 0, TRAJ_EDATA, "duplicate key 'step'"},
		{"bad-version.traj", 0, TRAJ_EDATA, "unsupported version 2"},
		{"huge-shape.traj", 0, TRAJ_EDATA, "exceeds the limit"},
		{"nonkey-start.traj", 0, TRAJ_EDATA, "tensor 'w' refers to the previous checkpoint"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct seen s;
		if (read_vector(v[i].file, &s)) {
			CHECK(0);
			continue;
		}
		if (s.rc != -1 || s.nckpt != v[i].nckpt || s.err.status != v[i].status)
			printf("#   %s: rc %d, %d ckpts, status %d: %s\n", v[i].file,
			       s.rc, s.nckpt, s.err.status, s.err.msg);
		CHECK(s.rc == -1);
		CHECK(s.nckpt == v[i].nckpt);
		CHECK(s.err.status == v[i].status);
		CHECK(has(&s.err, v[i].text));
		seen_free(&s);
	}
}

static void test_tiny_vector(void)
{
	struct seen s;
	if (read_vector("tiny.traj", &s)) {
		CHECK(0);
		return;
	}
	static const float want[] = {0.0f, 1.0f, -2.0f, 0.5f, 3.25f, -0.0f};
	CHECK(s.rc == TRAJ_REC_EOF && s.nrun == 1 && s.nend == 1 && s.nckpt == 1);
	if (s.nckpt == 1) {
		const struct traj_tensor *t = &s.tensors[0][0];
		CHECK(s.step[0] == 0 && s.key[0] && s.ntensors[0] == 1);
		CHECK(strcmp(t->name, "w") == 0 && t->dtype == TRAJ_F32);
		CHECK(t->rank == 2 && t->shape[0] == 2 && t->shape[1] == 3);
		CHECK(memcmp(t->data, want, sizeof want) == 0);
		const cJSON *loss = cJSON_GetObjectItemCaseSensitive(s.metrics[0], "loss");
		CHECK(loss && loss->valuedouble == 0.5);
	}
	seen_free(&s);
}

/* The formulas of formats/vectors/README.md. */
static void check_vector_ckpt(const struct seen *s, int k)
{
	float w[20], m[20];
	double b[3];
	int32_t c[2];
	for (int i = 0; i < 20; i++) {
		w[i] = ((float)i - 10.0f) * 0.125f +
		       (float)(k * k) * 0.0078125f * (float)(i % 3);
		m[i] = (float)(i + k) / 1024.0f;
	}
	for (int i = 0; i < 3; i++)
		b[i] = (double)(k + 1) / 3.0 * (double)(i + 1);
	for (int i = 0; i < 2; i++)
		c[i] = k * 1000 - i;
	const struct traj_tensor *t = s->tensors[k];
	CHECK(s->ntensors[k] == 4);
	CHECK(strcmp(t[0].name, "w") == 0 && memcmp(t[0].data, w, sizeof w) == 0);
	CHECK(strcmp(t[1].name, "b") == 0 && memcmp(t[1].data, b, sizeof b) == 0);
	CHECK(strcmp(t[2].name, "optim/m") == 0 && memcmp(t[2].data, m, sizeof m) == 0);
	CHECK(strcmp(t[3].name, "count") == 0 && memcmp(t[3].data, c, sizeof c) == 0);
	const cJSON *loss = cJSON_GetObjectItemCaseSensitive(s->metrics[k], "loss");
	CHECK(loss && loss->valuedouble == 1.0 / (k + 1));
}

static void test_multi_checkpoint_vectors(void)
{
	struct seen s;
	if (read_vector("pred2.traj", &s) == 0) {
		CHECK(s.rc == TRAJ_REC_EOF && s.nckpt == 4);
		for (int k = 0; k < s.nckpt; k++) {
			CHECK(s.step[k] == 100 * k && s.key[k] == (k % 3 == 0));
			check_vector_ckpt(&s, k);
		}
		seen_free(&s);
	} else {
		CHECK(0);
	}
	if (read_vector("xor.traj", &s) == 0) {
		CHECK(s.rc == TRAJ_REC_EOF && s.nckpt == 3);
		for (int k = 0; k < s.nckpt; k++) {
			CHECK(s.step[k] == k && s.key[k] == (k == 0));
			check_vector_ckpt(&s, k);
		}
		seen_free(&s);
	} else {
		CHECK(0);
	}
	if (read_vector("concat.traj", &s) == 0) {
		CHECK(s.rc == TRAJ_REC_EOF && s.nrun == 2 && s.nend == 2 && s.nckpt == 4);
		seen_free(&s);
	} else {
		CHECK(0);
	}
}

/* ---- hand-made streams: one JSON header per record ---- */

static void put(FILE *f, const char *json)
{
	struct traj_error err;
	CHECK(stream_write_record(f, json, strlen(json), &err) == 0);
}

/* A tensor record for an f32 [2] tensor {1, 2}: `fmt` gets zbytes. */
static void put_tensor(FILE *f, const char *fmt)
{
	float x[2] = {1.0f, 2.0f};
	char z[128], json[512];
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	size_t zn = ZSTD_compress2(c, z, sizeof z, x, sizeof x);
	ZSTD_freeCCtx(c);
	snprintf(json, sizeof json, fmt, zn);
	put(f, json);
	fwrite(z, 1, zn, f);
}

#define RUN_REC "{\"type\":\"run\",\"version\":1}"
#define CKPT "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true}"
#define TENSOR "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2]," \
	       "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}"
#define END_CKPT "{\"type\":\"end-ckpt\",\"step\":3}"

struct crafted {
	const char *name;
	const char *ckpt;     /* the ckpt record */
	const char *tensor;   /* the tensor record format (gets zbytes) */
	const char *end;      /* the end-ckpt record */
	enum traj_status status;
	const char *text;
};

static void read_crafted(const struct crafted *c, struct seen *s)
{
	struct membuf m;
	mem_open(&m);
	put(m.f, RUN_REC);
	put(m.f, c->ckpt);
	if (c->tensor)
		put_tensor(m.f, c->tensor);
	put(m.f, c->end);
	mem_close(&m);
	read_buf(m.buf, m.len, s);
	free(m.buf);
}

static void test_header_validation(void)
{
	static const struct crafted v[] = {
		{"valid", CKPT, TENSOR, END_CKPT, TRAJ_OK, ""},
		{"extra fields ignored",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":[{}]}",
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"future\":1,\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 "{\"type\":\"end-ckpt\",\"step\":3,\"y\":null}", TRAJ_OK, ""},
		{"missing step", "{\"type\":\"ckpt\",\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "missing field 'step'"},
		{"keys are case-sensitive",
		 "{\"type\":\"ckpt\",\"Step\":3,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "missing field 'step'"},
		{"step not integer",
		 "{\"type\":\"ckpt\",\"step\":1.5,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'step' must be an integer"},
		{"step beyond 2^53",
		 "{\"type\":\"ckpt\",\"step\":9007199254740993e3,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'step' must be an integer"},
		{"step overflows to inf",
		 "{\"type\":\"ckpt\",\"step\":1e999,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "number out of the range of a double"},
		{"negative step",
		 "{\"type\":\"ckpt\",\"step\":-1,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'step'"},
		{"step as string",
		 "{\"type\":\"ckpt\",\"step\":\"3\",\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'step' must be a number"},
		{"key not bool", "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":1}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'key' must be true or false"},
		{"metric not number",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"a\":\"b\"}}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "metric 'a'"},
		{"nested duplicate key",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"a\":1,\"a\":2}}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "duplicate key 'a'"},
		{"too many tensors",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":65537,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'tensors'"},
		{"fewer tensors than announced",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":2,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "has 1 tensors, 2 announced"},
		{"more tensors than announced",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":0,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "more than the 0 tensors"},
		{"end-ckpt of another step", CKPT, TENSOR,
		 "{\"type\":\"end-ckpt\",\"step\":4}", TRAJ_EDATA,
		 "step 4 closes the checkpoint at step 3"},
		{"unknown dtype", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f8\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "field 'dtype': unknown dtype 'f8'"},
		{"unknown encoding", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"lz4\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "field 'encoding': unknown encoding 'lz4'"},
		{"invalid name", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"a b\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "field 'name'"},
		{"bytes disagree with shape", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[3],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "field 'bytes' is 8, shape and dtype give 12"},
		{"rank too high", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[1,1,1,1,1,1,1,1,2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "rank 9 exceeds 8"},
		{"negative dimension", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[-2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "dimension 0 must be an integer >= 0"},
		{"shape product overflows", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\","
		 "\"shape\":[4294967296,4294967296,4294967296],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "exceeds the limit"},
		{"2 GiB tensor", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"u8\",\"shape\":[2147483648],"
		 "\"encoding\":\"raw\",\"bytes\":2147483648,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "exceeds the limit of 1073741824 bytes"},
		{"zbytes beyond the bound", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":100000,\"n\":%zu}",
		 END_CKPT, TRAJ_EDATA, "field 'zbytes'"},
		{"zbytes too small", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":10,\"n\":%zu}",
		 END_CKPT, TRAJ_EDATA, "tensor 'w'"},
		{"xor in a key checkpoint", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"xor\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "key checkpoint uses encoding 'xor'"},
		{"integer 2^53 is exact: accepted",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"a\":9007199254740992}}",
		 TENSOR, END_CKPT, TRAJ_OK, ""},
		{"an exponent that makes an integer: accepted",
		 "{\"type\":\"ckpt\",\"step\":0.3e1,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_OK, ""},
		{"2^53+1 would round: refused",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"a\":9007199254740993}}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "integer beyond 2^53"},
		{"-(2^53+1) refused",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":[-9007199254740993]}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "integer beyond 2^53"},
		{"1e400 in a metric refused",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"a\":1e400}}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "out of the range of a double"},
		{"-1e400 in an unknown field refused",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":-1e400}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "out of the range of a double"},
		{"numbers inside strings are text",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":\"1e400 \\\" 9007199254740993\"}",
		 TENSOR, END_CKPT, TRAJ_OK, ""},
		{"metric name with a tab",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"a\\tb\":1}}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "metric name"},
		{"empty metric name",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"metrics\":{\"\":1}}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "metric name"},
		{"'Type' is not 'type'",
		 "{\"Type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "field 'type' missing"},
		{"duplicate top-level key",
		 "{\"type\":\"ckpt\",\"step\":3,\"step\":4,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "duplicate key 'step'"},
		{"duplicate key, differing in case only, is two keys",
		 "{\"type\":\"ckpt\",\"step\":3,\"STEP\":4,\"tensors\":1,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_OK, ""},
		{"control character in a tensor name", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\\u0001\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "field 'name'"},
		{"dtype case matters", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"F32\",\"shape\":[2],"
		 "\"encoding\":\"raw\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "unknown dtype 'F32'"},
		{"a path as encoding is only an unknown name", CKPT,
		 "{\"type\":\"tensor\",\"name\":\"w\",\"dtype\":\"f32\",\"shape\":[2],"
		 "\"encoding\":\"/etc/passwd\",\"bytes\":8,\"zbytes\":%zu}",
		 END_CKPT, TRAJ_EDATA, "unknown encoding '/etc/passwd'"},
		{"trailing garbage", "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true} x",
		 TENSOR, END_CKPT, TRAJ_EDATA, "invalid JSON header"},
		{"not an object", "[1,2]", TENSOR, END_CKPT, TRAJ_EDATA,
		 "header is not a JSON object"},
		{"duplicate tensor names",
		 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":2,\"key\":true}",
		 TENSOR, END_CKPT, TRAJ_EDATA, "has 1 tensors"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct seen s;
		read_crafted(&v[i], &s);
		int ok = v[i].status == TRAJ_OK ?
			 s.rc == TRAJ_REC_EOF && s.nckpt == 1 :
			 s.rc == -1 && s.err.status == v[i].status &&
			 strstr(s.err.msg, v[i].text) && s.err.offset > 0;
		if (!ok)
			printf("#   %s: rc %d: %s\n", v[i].name, s.rc, s.err.msg);
		CHECK(ok);
		seen_free(&s);
	}
}

static void test_duplicate_tensor_names(void)
{
	struct membuf m;
	struct seen s;
	mem_open(&m);
	put(m.f, RUN_REC);
	put(m.f, "{\"type\":\"ckpt\",\"step\":3,\"tensors\":2,\"key\":true}");
	put_tensor(m.f, TENSOR);
	put_tensor(m.f, TENSOR);
	put(m.f, END_CKPT);
	mem_close(&m);
	read_buf(m.buf, m.len, &s);
	CHECK(s.rc == -1 && s.err.status == TRAJ_EDATA);
	CHECK(has(&s.err, "duplicate tensor name 'w'"));
	seen_free(&s);
	free(m.buf);
}

static void test_foreign_frames_and_records_skipped(void)
{
	struct membuf m;
	struct seen s;
	mem_open(&m);
	put(m.f, RUN_REC);
	/* Another tool's skippable frame, and one of ours without the tag. */
	fwrite("\x50\x2a\x4d\x18\x03\x00\x00\x00" "abc", 1, 11, m.f);
	fwrite("\x5a\x2a\x4d\x18\x05\x00\x00\x00TRJ2x", 1, 13, m.f);
	put(m.f, "{\"type\":\"note\",\"text\":\"from the future\"}");
	put(m.f, CKPT);
	put_tensor(m.f, TENSOR);
	put(m.f, END_CKPT);
	put(m.f, "{\"type\":\"end\"}");
	mem_close(&m);
	read_buf(m.buf, m.len, &s);
	CHECK(s.rc == TRAJ_REC_EOF && s.nckpt == 1 && s.nend == 1);
	seen_free(&s);
	free(m.buf);
}

static void test_structure_errors(void)
{
	static const struct {
		const char *records[4];
		const char *text;
	} v[] = {
		{{"{\"type\":\"ckpt\",\"step\":0,\"tensors\":0,\"key\":true}"},
		 "not a traj stream"},
		{{"{\"type\":\"run\"}"}, "missing field 'version'"},
		{{RUN_REC, "{\"type\":\"end\"}", END_CKPT}, "record after the end of the run"},
		{{RUN_REC, END_CKPT}, "outside a checkpoint"},
		{{RUN_REC, "{\"type\":\"ckpt\",\"step\":0,\"tensors\":0,\"key\":true}", RUN_REC},
		 "checkpoint at step 0 (record at byte 42) not ended"},
		{{RUN_REC, "{\"type\":3}"}, "field 'type' missing or not a string"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct membuf m;
		struct seen s;
		mem_open(&m);
		for (int k = 0; k < 4 && v[i].records[k]; k++)
			put(m.f, v[i].records[k]);
		mem_close(&m);
		read_buf(m.buf, m.len, &s);
		CHECK(s.rc == -1 && s.err.status == TRAJ_EDATA);
		CHECK(has(&s.err, v[i].text));
		seen_free(&s);
		free(m.buf);
	}
	struct seen s;
	read_buf("\x28\xb5\x2f\xfd\0\0\0\0\0\0", 10, &s);
	CHECK(s.rc == -1 && s.err.status == TRAJ_EDATA && s.err.offset == 0);
	CHECK(has(&s.err, "not a traj stream"));
	seen_free(&s);
}

static void test_limits_before_allocation(void)
{
	/* A record frame claiming a 2 GiB header, and nothing after it: the
	 * limit is reported (EDATA), not the missing bytes (ETRUNC). */
	struct seen s;
	read_buf("\x5a\x2a\x4d\x18\x00\x00\x00\x80TRJ1", 12, &s);
	CHECK(s.rc == -1 && s.err.status == TRAJ_EDATA);
	CHECK(has(&s.err, "exceeds the limit"));
	seen_free(&s);
	/* Caller-set limits. */
	struct membuf m;
	mem_open(&m);
	put(m.f, RUN_REC);
	put(m.f, CKPT);
	put_tensor(m.f, TENSOR);
	put(m.f, END_CKPT);
	mem_close(&m);
	struct traj_read_limits lim;
	stream_read_limits_default(&lim);
	CHECK(lim.max_header == 1u << 20 && lim.max_tensor == 1 << 30 &&
	      lim.max_tensors == 65536);
	lim.max_tensor = 7;
	FILE *f = reader_file(m.buf, m.len);
	read_all(f, &lim, &s);
	fclose(f);
	CHECK(s.rc == -1 && has(&s.err, "exceeds the limit of 7 bytes"));
	seen_free(&s);
	stream_read_limits_default(&lim);
	lim.max_header = 40;
	f = reader_file(m.buf, m.len);
	read_all(f, &lim, &s);
	fclose(f);
	CHECK(s.rc == -1 && has(&s.err, "exceeds the limit of 40"));
	seen_free(&s);
	free(m.buf);
}

static void test_writer_misuse(void)
{
	struct traj_error err;
	struct membuf m;
	mem_open(&m);
	struct traj_writer *w = open_writer(m.f, TRAJ_ENC_XOR, 4);
	int64_t shape[] = {2};
	struct traj_tensor t;
	make_tensor(&t, "w", TRAJ_F32, 1, shape, 0);
	CHECK(stream_write_tensor(w, &t, &err) == -1);
	CHECK(has(&err, "no checkpoint begun"));
	CHECK(stream_write_begin(w, -1, 1, NULL, &err) == -1);
	CHECK(stream_write_begin(w, 0, 1, NULL, &err) == 0);
	CHECK(stream_write_begin(w, 1, 1, NULL, &err) == -1);
	CHECK(has(&err, "checkpoint at step 0 not ended"));
	CHECK(stream_write_end(w, &err) == -1);
	CHECK(has(&err, "has 0 tensors, 1 announced"));
	strcpy(t.name, "bad name");
	CHECK(stream_write_tensor(w, &t, &err) == -1);
	CHECK(has(&err, "invalid tensor name"));
	strcpy(t.name, "w");
	CHECK(stream_write_tensor(w, &t, &err) == 0);
	CHECK(stream_write_tensor(w, &t, &err) == -1);
	CHECK(has(&err, "more than the 1 tensors"));
	CHECK(stream_write_end(w, &err) == 0);
	cJSON *bad = cJSON_CreateObject();
	cJSON_AddStringToObject(bad, "loss", "high");
	CHECK(stream_write_begin(w, 1, 2, bad, &err) == -1);
	CHECK(has(&err, "metric 'loss' is not a number"));
	cJSON_Delete(bad);
	CHECK(stream_write_begin(w, 1, 2, NULL, &err) == 0);
	CHECK(stream_write_tensor(w, &t, &err) == 0);
	CHECK(stream_write_tensor(w, &t, &err) == -1);
	CHECK(has(&err, "duplicate tensor name 'w'"));
	CHECK(stream_writer_close(w, &err) == -1);
	CHECK(has(&err, "not ended"));
	tensor_free(&t);
	mem_close(&m);
	free(m.buf);
	struct traj_write_opts o;
	stream_write_opts_default(&o);
	o.key_every = 0;
	CHECK(stream_writer_open(stdout, NULL, &o, &err) == NULL);
	CHECK(has(&err, "key_every"));
}

static void test_write_error_reported(void)
{
	FILE *full = fopen("/dev/full", "w");
	if (!full) {
		printf("#   skipped: no /dev/full\n");
		return;
	}
	struct traj_error err = {0};
	struct traj_writer *w = open_writer(full, TRAJ_ENC_PRED2, 4);
	int rc = w ? stream_write_begin(w, 0, 0, NULL, &err) : -1;
	if (rc == 0)
		rc = stream_write_end(w, &err); /* the flush fails */
	CHECK(rc == -1 && err.status == TRAJ_EFAIL);
	CHECK(has(&err, "No space left on device"));
	if (w)
		stream_writer_free(w);
	fclose(full);
}

/* A reader on a pipe returns each checkpoint as soon as its end-ckpt is
 * in, without waiting for more input (else this test hangs: alarm). */
static void test_live_pipe(void)
{
	int fd[2];
	struct traj_error err;
	if (pipe(fd)) {
		CHECK(0);
		return;
	}
	FILE *out = fdopen(fd[1], "w"), *in = fdopen(fd[0], "r");
	alarm(10);
	struct traj_writer *w = open_writer(out, TRAJ_ENC_PRED2, 16);
	struct traj_reader *r = stream_reader_open(in, "-", NULL, &err);
	int64_t shape[] = {100};
	for (int k = 0; k < 3; k++) {
		struct traj_tensor t;
		make_tensor(&t, "w", TRAJ_F32, 1, shape, k);
		CHECK(stream_write_begin(w, k, 1, NULL, &err) == 0);
		CHECK(stream_write_tensor(w, &t, &err) == 0);
		CHECK(stream_write_end(w, &err) == 0);
		if (k == 0)
			CHECK(stream_read_next(r, &err) == TRAJ_REC_RUN);
		CHECK(stream_read_next(r, &err) == TRAJ_REC_CKPT);
		const struct traj_tensor *got = stream_ckpt_find(stream_reader_ckpt(r), "w");
		CHECK(got && same_tensor(got, &t));
		CHECK(stream_ckpt_find(stream_reader_ckpt(r), "v") == NULL);
		tensor_free(&t);
	}
	CHECK(stream_writer_close(w, &err) == 0);
	fclose(out);
	CHECK(stream_read_next(r, &err) == TRAJ_REC_END);
	CHECK(stream_read_next(r, &err) == TRAJ_REC_EOF);
	alarm(0);
	stream_reader_free(r);
	fclose(in);
}

static void test_run_record(void)
{
	struct membuf m;
	struct traj_error err;
	mem_open(&m);
	struct traj_writer *w = open_writer(m.f, TRAJ_ENC_PRED2, 16);
	CHECK(stream_writer_close(w, &err) == 0);
	mem_close(&m);
	FILE *f = reader_file(m.buf, m.len);
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	CHECK(stream_reader_run(r) == NULL);
	CHECK(stream_read_next(r, &err) == TRAJ_REC_RUN);
	const cJSON *run = stream_reader_run(r);
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(run, "type");
	const cJSON *seed = cJSON_GetObjectItemCaseSensitive(run, "seed");
	CHECK(cJSON_IsString(type) && strcmp(type->valuestring, "run") == 0);
	CHECK(cJSON_IsNumber(seed) && seed->valuedouble == 7);
	CHECK(stream_read_next(r, &err) == TRAJ_REC_END);
	CHECK(stream_read_next(r, &err) == TRAJ_REC_EOF);
	stream_reader_free(r);
	fclose(f);
	free(m.buf);
}

/* ---- issue 4: nesting, resume, skipping, follow, EINTR ---- */

/* The header object counts as one level. */
#define JSON_NESTING_OK (JSON_MAX_DEPTH - 1)

/* A ckpt record with an unknown field nested `depth` arrays deep. */
static int read_nested(int depth, struct seen *s)
{
	char json[512];
	int n = snprintf(json, sizeof json,
			 "{\"type\":\"ckpt\",\"step\":3,\"tensors\":1,\"key\":true,\"x\":");
	for (int i = 0; i < depth; i++)
		json[n++] = '[';
	for (int i = 0; i < depth; i++)
		json[n++] = ']';
	json[n++] = '}';
	json[n] = '\0';
	struct crafted c = {"nested", json, TENSOR, END_CKPT, TRAJ_OK, ""};
	read_crafted(&c, s);
	return s->rc;
}

static void test_json_nesting_limited(void)
{
	struct seen s;
	CHECK(read_nested(JSON_NESTING_OK, &s) == TRAJ_REC_EOF && s.nckpt == 1);
	seen_free(&s);
	CHECK(read_nested(JSON_NESTING_OK + 1, &s) == -1 &&
	      s.err.status == TRAJ_EDATA && has(&s.err, "nested too deeply"));
	seen_free(&s);
}

/* Reads buf[0, n) to the end (or the truncation) and resumes a writer
 * from it into `out`. */
static struct traj_writer *resume_from(const char *buf, size_t n, FILE *out,
				       enum traj_encoding enc, int key_every,
				       int64_t *ckpts)
{
	struct traj_error err;
	struct traj_write_opts o;
	stream_write_opts_default(&o);
	o.encoding = enc;
	o.key_every = key_every;
	FILE *f = reader_file(buf, n);
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	while (stream_read_next(r, &err) > 0)
		;
	*ckpts = stream_reader_run_ckpts(r);
	struct traj_writer *w = stream_writer_resume(out, r, &o, &err);
	stream_reader_free(r);
	fclose(f);
	return w;
}

/* The property behind traj-train --resume: a writer resumed from what a
 * reader decoded writes what the original writer would have, byte for
 * byte, for every encoding, key interval and resume point, including a
 * resume point inside a torn checkpoint. */
static void test_writer_resume_is_bit_identical(void)
{
	static const int keys[] = {1, 2, 3, 16};
	int bad = 0;
	for (int e = 0; e < TRAJ_NENCODINGS; e++) {
		for (int ki = 0; ki < 4; ki++) {
			struct membuf full;
			mem_open(&full);
			write_stream(full.f, (enum traj_encoding)e, keys[ki], 7);
			mem_close(&full);
			int64_t ends[8];
			CHECK(ckpt_ends(full.buf, full.len, ends, 8) == 7);
			for (int j = 1; j < 7; j++) {
				/* cut after checkpoint j-1, or midway into j */
				size_t cut = (size_t)ends[j - 1] +
					     (j % 2 ? 0 : (size_t)(ends[j] - ends[j - 1]) / 2);
				struct membuf tail;
				int64_t done = 0;
				mem_open(&tail);
				struct traj_writer *w = resume_from(full.buf, cut, tail.f,
					(enum traj_encoding)e, keys[ki], &done);
				CHECK(w && done == j);
				if (w) {
					struct traj_error err;
					write_ckpts(w, j, 7);
					CHECK(stream_writer_close(w, &err) == 0);
				}
				mem_close(&tail);
				size_t head = (size_t)ends[j - 1];
				int same = head + tail.len == full.len &&
					   memcmp(full.buf + head, tail.buf, tail.len) == 0;
				if (!same && bad++ < 5)
					printf("#   %s key_every %d resumed after %d: differs\n",
					       stream_encoding_name((enum traj_encoding)e), keys[ki], j);
				free(tail.buf);
			}
			free(full.buf);
		}
	}
	CHECK(bad == 0);
}

/* A torn key checkpoint must not take the previous one with it. */
static void test_last_ckpt_survives_torn_key_ckpt(void)
{
	struct membuf m;
	struct seen want;
	struct traj_error err;
	mem_open(&m);
	write_stream(m.f, TRAJ_ENC_PRED2, 2, 4);
	mem_close(&m);
	read_buf(m.buf, m.len, &want);
	int64_t ends[4];
	CHECK(ckpt_ends(m.buf, m.len, ends, 4) == 4);
	/* checkpoint 2 is key; cut it in the middle */
	FILE *f = reader_file(m.buf, (size_t)(ends[1] + ends[2]) / 2);
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	int rc;
	while ((rc = stream_read_next(r, &err)) > 0)
		;
	CHECK(rc == -1 && err.status == TRAJ_ETRUNC);
	const struct traj_ckpt *last = stream_reader_last_ckpt(r);
	CHECK(last->step == 10 && stream_reader_run_ckpts(r) == 2);
	CHECK(last->ntensors == want.ntensors[1]);
	for (int i = 0; i < last->ntensors && i < want.ntensors[1]; i++)
		CHECK(same_tensor(&last->tensors[i], &want.tensors[1][i]));
	stream_reader_free(r);
	fclose(f);
	seen_free(&want);
	free(m.buf);
}

/* Reading with skip: every flipped-bit copy of a stream either fails or
 * gives the kept tensors unchanged, and skipping accepts no flip that a
 * full read rejects (skipped frames are still verified). */
static void test_skip_prefix_still_verifies(void)
{
	struct membuf m;
	struct traj_error err;
	mem_open(&m);
	write_small(m.f);
	mem_close(&m);
	int accepted[2] = {0, 0}, wrong = 0;
	for (size_t bit = 0; bit < m.len * 8; bit++) {
		m.buf[bit / 8] ^= (char)(1 << (bit % 8));
		for (int skip = 0; skip < 2; skip++) {
			FILE *f = reader_file(m.buf, m.len);
			struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
			if (skip)
				stream_reader_skip_prefix(r, "optim/");
			int rc, k = 0;
			while ((rc = stream_read_next(r, &err)) > 0) {
				if (rc != TRAJ_REC_CKPT)
					continue;
				const struct traj_ckpt *c = stream_reader_ckpt(r);
				struct traj_tensor w;
				int64_t shape[] = {2, 3};
				make_tensor(&w, "w", TRAJ_F32, 2, shape, k++);
				const struct traj_tensor *got = stream_ckpt_find(c, "w");
				wrong += !got || !same_tensor(got, &w) ||
					 c->ntensors != 2 - skip;
				tensor_free(&w);
			}
			accepted[skip] += rc == TRAJ_REC_EOF;
			stream_reader_free(r);
			fclose(f);
		}
		m.buf[bit / 8] ^= (char)(1 << (bit % 8));
	}
	CHECK(wrong == 0);
	CHECK(accepted[1] == accepted[0]);
	printf("#   %zu flips: %d and %d accepted without and with skipping\n",
	       m.len * 8, accepted[0], accepted[1]);
	free(m.buf);
}

/* Asked to stop, a following reader ends cleanly even inside a
 * checkpoint, after handing out every complete one. */
static void test_follow_stop_is_a_clean_end(void)
{
	struct membuf m;
	struct traj_error err;
	static volatile sig_atomic_t stop = 1;
	mem_open(&m);
	write_stream(m.f, TRAJ_ENC_PRED2, 3, 3);
	mem_close(&m);
	int64_t ends[3];
	CHECK(ckpt_ends(m.buf, m.len, ends, 3) == 3);
	FILE *f = reader_file(m.buf, (size_t)(ends[1] + ends[2]) / 2);
	struct traj_reader *r = stream_reader_open(f, "-", NULL, &err);
	stream_reader_follow(r, &stop);
	int rc, n = 0;
	while ((rc = stream_read_next(r, &err)) > 0)
		n += rc == TRAJ_REC_CKPT;
	CHECK(rc == TRAJ_REC_EOF && n == 2);
	stream_reader_free(r);
	fclose(f);
	free(m.buf);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal every millisecond (no SA_RESTART) while the stream trickles
 * through a pipe: reads interrupted by EINTR are retried, and short
 * reads are completed. */
static void test_eintr_and_short_reads(void)
{
	struct membuf m;
	struct seen want, got;
	mem_open(&m);
	write_stream(m.f, TRAJ_ENC_PRED2, 2, 4);
	mem_close(&m);
	read_buf(m.buf, m.len, &want);
	int fd[2];
	CHECK(pipe(fd) == 0);
	pid_t child = fork();
	if (child == 0) {
		close(fd[0]);
		for (size_t i = 0; i < m.len; i += 333) {
			size_t k = m.len - i < 333 ? m.len - i : 333;
			if (write(fd[1], m.buf + i, k) != (ssize_t)k)
				_exit(1);
			usleep(200);
		}
		_exit(0);
	}
	close(fd[1]);
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &old);
	struct itimerval tick = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &tick, NULL);
	FILE *in = fdopen(fd[0], "r");
	read_all(in, NULL, &got);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	fclose(in);
	waitpid(child, NULL, 0);
	CHECK(got.rc == TRAJ_REC_EOF && got.nckpt == want.nckpt);
	for (int k = 0; k < got.nckpt && k < want.nckpt; k++)
		CHECK(same_ckpt(&got, &want, k));
	if (got.rc != TRAJ_REC_EOF)
		printf("#   %s\n", got.err.msg);
	seen_free(&want);
	seen_free(&got);
	free(m.buf);
}

/* A real traj-train stream (formats/vectors/trained-mlp.traj: an MLP on
 * a+b mod 5 with its resume state) cut at every offset and with every
 * single bit flipped: read correctly, or rejected; never different. */
static void test_trained_stream_truncation_and_flips(void)
{
	size_t len;
	char *buf = slurp("formats/vectors/trained-mlp.traj", &len);
	CHECK(buf != NULL);
	if (!buf)
		return;
	struct seen want, s;
	read_buf(buf, len, &want);
	CHECK(want.rc == TRAJ_REC_EOF && want.nckpt == 4);
	int64_t ends[8];
	int nends = ckpt_ends(buf, len, ends, 8);
	int bad = 0, accepted = 0;
	size_t ncuts = 0;
	/* every offset through the run record and first records, then
	 * every 5th (the synthetic stream above has every one) */
	for (size_t cut = 1; cut < len; cut += cut < 1024 ? 1 : 5, ncuts++) {
		read_buf(buf, cut, &s);
		int ok = s.nckpt <= nends;
		for (int k = 0; ok && k < s.nckpt; k++)
			ok = same_ckpt(&s, &want, k) && ends[k] <= (int64_t)cut;
		/* a clean end: right after a checkpoint, or after the run
		 * record and before any checkpoint */
		ok = ok && (s.rc == TRAJ_REC_EOF ?
			    (s.nckpt ? ends[s.nckpt - 1] == (int64_t)cut : cut < (size_t)ends[0]) :
			    s.rc == -1 && (s.err.status == TRAJ_ETRUNC ||
					   s.err.status == TRAJ_EDATA));
		if (!ok && bad++ < 5)
			printf("#   cut at %zu: %d ckpts, rc %d: %s\n", cut, s.nckpt,
			       s.rc, s.err.msg);
		seen_free(&s);
	}
	/* every 7th bit: each byte, at a varying bit (7 is prime to 8) */
	size_t nflips = 0;
	for (size_t bit = 0; bit < len * 8; bit += 7, nflips++)
		if (!flip_reads_same_or_fails(buf, len, bit, &want, &accepted) &&
		    bad++ < 5)
			printf("#   flip of bit %zu: different data\n", bit);
	CHECK(bad == 0);
	printf("#   trained stream: %zu cuts, %zu flips (%d read as identical)\n",
	       ncuts, nflips, accepted);
	seen_free(&want);
	free(buf);
}

int main(void)
{
	signal(SIGALRM, SIG_DFL);
	RUN(test_encoding_names);
	RUN(test_crc32_matches_zlib);
	RUN(test_round_trip_every_encoding);
	RUN(test_key_every_one_and_defaults);
	RUN(test_concatenated_streams);
	RUN(test_run_record);
	RUN(test_truncation_at_every_offset);
	RUN(test_every_bit_flip_detected_or_harmless);
	RUN(test_tiny_vector);
	RUN(test_multi_checkpoint_vectors);
	RUN(test_bad_vectors);
	RUN(test_header_validation);
	RUN(test_duplicate_tensor_names);
	RUN(test_foreign_frames_and_records_skipped);
	RUN(test_structure_errors);
	RUN(test_limits_before_allocation);
	RUN(test_writer_misuse);
	RUN(test_write_error_reported);
	RUN(test_live_pipe);
	RUN(test_json_nesting_limited);
	RUN(test_writer_resume_is_bit_identical);
	RUN(test_last_ckpt_survives_torn_key_ckpt);
	RUN(test_skip_prefix_still_verifies);
	RUN(test_follow_stop_is_a_clean_end);
	RUN(test_eintr_and_short_reads);
	RUN(test_trained_stream_truncation_and_flips);
	return harness_done();
}
