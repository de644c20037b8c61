/* Allocation-failure loop: fail the k-th allocation, for k = 1, 2, ...,
 * through a decode, an encode, a training step, model evaluation and the
 * interpretability engines (ablation with and without the shortcut,
 * attribution, patching, patching across time and its lines, edges).
 * Each attempt must
 * either succeed or fail with TRAJ_ENOMEM and a message, never crash, and
 * leave no allocation behind; what an encode wrote before failing reads
 * back as complete checkpoints (plus at most a torn one).
 *
 * malloc, calloc and realloc are interposed here (the executable's
 * definitions win over libc's, also for zstd and cJSON); allocations made
 * while armed are tracked by address to detect leaks. Skipped under
 * AddressSanitizer, which owns malloc itself. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "analysis/changepoint.h"
#include "analysis/fourier.h"
#include "format/stream.h"
#include "interp/ablate.h"
#include "interp/ablate_fast.h"
#include "interp/ablate_lines.h"
#include "interp/ablate_time.h"
#include "interp/attrib.h"
#include "interp/edges.h"
#include "model/transformer.h"
#include "run/trainer.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

#ifndef SANITIZED
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static long fail_at;  /* the allocation to fail, counting from 1; 0: none */
static long count;    /* allocations while armed */
static int armed;

#define LIVE_MAX 65536
static void *live[LIVE_MAX]; /* open addressing; NULL empty, (void *)1 deleted */
static long nlive;

static size_t slot(const void *p)
{
	return ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull >> 48;
}

static void track(void *p)
{
	if (!p || !armed)
		return;
	for (size_t i = slot(p);; i = (i + 1) % LIVE_MAX)
		if (live[i] == NULL || live[i] == (void *)1) {
			live[i] = p;
			nlive++;
			return;
		}
}

static void untrack(void *p)
{
	if (!p || !nlive)
		return;
	for (size_t i = slot(p); live[i]; i = (i + 1) % LIVE_MAX)
		if (live[i] == p) {
			live[i] = (void *)1;
			nlive--;
			return;
		}
}

static int should_fail(void)
{
	return armed && ++count == fail_at;
}

void *malloc(size_t n)
{
	if (should_fail())
		return NULL;
	void *p = __libc_malloc(n);
	track(p);
	return p;
}

void *calloc(size_t n, size_t size)
{
	if (should_fail())
		return NULL;
	void *p = __libc_calloc(n, size);
	track(p);
	return p;
}

void *realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	void *q = __libc_realloc(p, n);
	if (q) {
		untrack(p);
		track(q);
	}
	return q;
}

void free(void *p)
{
	untrack(p);
	__libc_free(p);
}

static void arm(long k)
{
	memset(live, 0, sizeof live);
	nlive = 0;
	count = 0;
	fail_at = k;
	armed = 1;
}

/* Returns whether the k-th allocation was reached (else the operation
 * made fewer allocations: the loop is done). */
static int disarm(void)
{
	armed = 0;
	return count >= fail_at;
}

/* ---- the operations ---- */

static struct traj_tensor make(const char *name, int k, float *buf, int n)
{
	struct traj_tensor t;
	memset(&t, 0, sizeof t);
	snprintf(t.name, sizeof t.name, "%s", name);
	t.dtype = TRAJ_F32;
	t.rank = 1;
	t.shape[0] = n;
	for (int i = 0; i < n; i++)
		buf[i] = (float)(i * (k + 1)) * 0.001f;
	t.data = buf;
	t.borrowed = 1;
	return t;
}

/* Writes 4 checkpoints of two tensors: returns 0 or -1 with err set. */
static int encode(FILE *out, struct traj_error *err)
{
	float a[300], b[40];
	struct traj_write_opts o;
	stream_write_opts_default(&o);
	o.key_every = 3;
	struct traj_writer *w = stream_writer_open(out, NULL, &o, err);
	if (!w)
		return -1;
	for (int k = 0; k < 4; k++) {
		struct traj_tensor t1 = make("w", k, a, 300), t2 = make("optim/m/w", k, b, 40);
		cJSON *m = cJSON_CreateObject();
		if (m)
			cJSON_AddNumberToObject(m, "loss", k);
		int rc = !m ? traj_fail(err, TRAJ_ENOMEM, -1, "out of memory") :
			 stream_write_begin(w, k, 2, m, err);
		cJSON_Delete(m);
		if (rc || stream_write_tensor(w, &t1, err) ||
		    stream_write_tensor(w, &t2, err) || stream_write_end(w, err)) {
			stream_writer_free(w);
			return -1;
		}
	}
	return stream_writer_close(w, err);
}

/* Reads a whole stream: returns the last stream_read_next result. */
static int decode(FILE *in, int *nckpt, struct traj_error *err)
{
	*nckpt = 0;
	struct traj_reader *r = stream_reader_open(in, "-", NULL, err);
	if (!r)
		return -1;
	int rc;
	while ((rc = stream_read_next(r, err)) > 0)
		*nckpt += rc == TRAJ_REC_CKPT;
	stream_reader_free(r);
	return rc;
}

static int enomem(const struct traj_error *err)
{
	return err->status == TRAJ_ENOMEM && err->msg[0];
}

static void test_decode_under_allocation_failure(void)
{
	FILE *f = tmpfile();
	struct traj_error err;
	CHECK(encode(f, &err) == 0);
	long k, bad = 0;
	for (k = 1;; k++) {
		int n;
		rewind(f);
		arm(k);
		int rc = decode(f, &n, &err);
		int reached = disarm();
		int ok = (rc == TRAJ_REC_EOF && n == 4) || (rc == -1 && enomem(&err));
		if ((!ok || nlive) && bad++ < 5)
			printf("#   k=%ld: rc %d, %d ckpts, %ld leaked: %s\n", k, rc, n,
			       nlive, rc ? err.msg : "");
		if (!reached)
			break;
	}
	CHECK(bad == 0);
	printf("#   decode: %ld allocations failed in turn\n", k - 1);
	fclose(f);
}

static void test_encode_under_allocation_failure(void)
{
	long k, bad = 0;
	static char buf[1 << 16];
	for (k = 1;; k++) {
		struct traj_error err;
		FILE *f = tmpfile();
		setvbuf(f, buf, _IOFBF, sizeof buf); /* stdio's own buffer */
		arm(k);
		int rc = encode(f, &err);
		int reached = disarm();
		int ok = rc == 0 || enomem(&err);
		/* what went out reads back as whole checkpoints, maybe torn */
		int n, rrc;
		long size = ftell(f);
		rewind(f);
		rrc = decode(f, &n, &err);
		if (rc == 0)
			ok = ok && rrc == TRAJ_REC_EOF && n == 4;
		else if (size > 0)
			ok = ok && (rrc == TRAJ_REC_EOF ||
				    (rrc == -1 && err.status == TRAJ_ETRUNC));
		if ((!ok || nlive) && bad++ < 5)
			printf("#   k=%ld: rc %d, read back %d (%d), %ld leaked: %s\n", k,
			       rc, rrc, n, nlive, err.msg);
		fclose(f);
		if (!reached)
			break;
	}
	CHECK(bad == 0);
	printf("#   encode: %ld allocations failed in turn\n", k - 1);
}

static void test_training_step_under_allocation_failure(void)
{
	struct run_config rc;
	struct traj_error err;
	cJSON *json = cJSON_Parse(
		"{\"run\":\"t\",\"seed\":1,"
		"\"model\":{\"kind\":\"mlp\",\"inputs\":2,\"vocab\":5,\"width\":8,"
		"\"depth\":1,\"classes\":5,\"activation\":\"relu\",\"bias\":true},"
		"\"task\":{\"name\":\"modadd\",\"p\":5,\"frac\":0.5,\"seed\":1},"
		"\"optim\":{\"kind\":\"adamw\",\"lr\":0.001,\"weight_decay\":1,"
		"\"beta1\":0.9,\"beta2\":0.98,\"eps\":1e-08,\"warmup\":0},"
		"\"train\":{\"steps\":2,\"batch\":4,\"every\":1,\"log_every\":0,\"threads\":1}}");
	CHECK(json && run_from_json(json, &rc, &err) == 0);
	cJSON_Delete(json);
	long k, bad = 0;
	for (k = 1;; k++) {
		struct trainer t;
		FILE *f = tmpfile();
		static char buf[1 << 16];
		setvbuf(f, buf, _IOFBF, sizeof buf);
		arm(k);
		int r = trainer_init(&t, &rc, &err);
		struct traj_writer *w = NULL;
		if (r == 0)
			r = trainer_step(&t, &err);
		if (r == 0) {
			w = stream_writer_open(f, NULL, NULL, &err);
			r = w ? trainer_checkpoint(&t, w, &err) : -1;
		}
		stream_writer_free(w);
		trainer_free(&t);
		int reached = disarm();
		if (((r != 0 && !enomem(&err)) || nlive) && bad++ < 5)
			printf("#   k=%ld: rc %d, %ld leaked: %s\n", k, r, nlive,
			       r ? err.msg : "");
		fclose(f);
		if (!reached)
			break;
	}
	CHECK(bad == 0);
	printf("#   training step: %ld allocations failed in turn\n", k - 1);
	run_config_free(&rc);
}

/* ---- evaluation and the interpretability engines ---- */

enum { P = 5, N = 12 };
static int32_t ev_tokens[N * 3], ev_labels[N * 2];
static uint8_t ev_group[N * 2];

/* A 2-block transformer with two labelled positions over N examples of
 * (a, b, =), labels a + b and a * b mod P. */
static struct model *ev_model(uint64_t seed, struct batch *b)
{
	for (int e = 0; e < N; e++) {
		int x = e % P, y = (3 * e + 1) % P;
		ev_tokens[3 * e] = x;
		ev_tokens[3 * e + 1] = y;
		ev_tokens[3 * e + 2] = P;
		ev_labels[2 * e] = (x + y) % P;
		ev_labels[2 * e + 1] = (x * y) % P;
		ev_group[2 * e] = 0;
		ev_group[2 * e + 1] = e % 2;
	}
	struct transformer_config c = {
		.n_layers = 2, .d_model = 8, .n_heads = 2, .d_head = 4,
		.d_mlp = 8, .d_vocab = P + 1, .d_vocab_out = P, .n_ctx = 3,
		.n_outputs = 2, .act = ACT_RELU,
	};
	struct traj_error err;
	struct model *m = transformer_new(&c, 4, &err);
	if (m)
		model_init(m, seed);
	*b = (struct batch){ .n = N, .tokens = ev_tokens, .labels = ev_labels };
	return m;
}

struct ev_ctx {
	struct model *m, *mk;  /* a checkpoint and another (step K) */
	struct batch b;
	FILE *sink;
	double sum;            /* of every figure the op computed */
};

/* An operation under test: 0, or -1 with err set; frees what it made. */
typedef int ev_op(struct ev_ctx *c, struct traj_error *err);

static int op_evaluate(struct ev_ctx *c, struct traj_error *err)
{
	struct eval_result r;
	double pos[4], seq, loss[2], acc[2];
	if (model_evaluate(c->m, &c->b, &r, err) < 0)
		return -1;
	c->sum += r.loss + r.acc;
	if (model_evaluate_detail(c->m, &c->b, pos, pos + 2, &seq, &r, err) < 0)
		return -1;
	c->sum += r.loss + pos[0] + pos[1] + pos[2] + pos[3] + seq;
	if (model_evaluate_groups(c->m, &c->b, ev_group, 2, loss, acc, err) < 0)
		return -1;
	c->sum += loss[0] + loss[1] + acc[0] + acc[1];
	return 0;
}

/* Index of the component called name, or -1 (then the op fails). */
static int comp(const struct component *cs, int n, const char *name)
{
	return ablate_component_find(cs, n, name);
}

/* Mean ablation through the shortcut (a last-block head, a last-block
 * neuron) and a full pass (a first-block head), then attribution. */
static int op_ablate(struct ev_ctx *c, struct traj_error *err)
{
	struct component *cs;
	int n = ablate_components_list(c->m, &cs, err);
	if (n < 0)
		return -1;
	int pick[3] = { comp(cs, n, "blocks.1.attn.head0"),
			comp(cs, n, "blocks.1.mlp.n3"),
			comp(cs, n, "blocks.0.attn.head1") };
	struct ablator a;
	struct eval_result r;
	double *score = malloc((size_t)n * sizeof *score);
	int rc = score ? ablator_init(&a, c->m, &c->b, cs, n, ABL_MEAN, NULL,
				      1, err) :
		 traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	if (rc == 0) {
		rc = ablator_reuse(&a, err) < 0 ||
		     ablator_baseline(&a, &r, err) < 0 ? -1 : 0;
		for (int i = 0; rc == 0 && i < 3; i++) {
			c->sum += r.loss + r.acc;
			rc = ablator_eval(&a, &pick[i], 1, &r, err);
		}
		if (rc == 0)
			rc = ablator_attribute(&a, score, err);
		for (int i = 0; rc == 0 && i < n; i++)
			c->sum += score[i];
		ablator_free(&a);
	}
	free(score);
	free(cs);
	return rc;
}

/* Patching the clean activations, and patching across time by weights,
 * by activations, and the time lines. */
static int op_patch(struct ev_ctx *c, struct traj_error *err)
{
	struct component *cs;
	int n = ablate_components_list(c->m, &cs, err);
	if (n < 0)
		return -1;
	struct ablator a;
	struct eval_result r;
	struct time_patch t;
	struct metric_sink sink = { c->sink, "r", 1 };
	int head = comp(cs, n, "blocks.0.attn.head0");
	int rc = ablator_init(&a, c->m, &c->b, cs, n, ABL_PATCH, NULL, 1, err);
	if (rc == 0) {
		rc = ablator_capture_source(&a, c->mk, &c->b, &r, err) < 0 ||
		     ablator_baseline(&a, &r, err) < 0 ||
		     ablator_eval(&a, &head, 1, &r, err) < 0 ? -1 : 0;
		c->sum += rc == 0 ? r.loss : 0;
		for (int acts = 0; rc == 0 && acts <= 1; acts++) {
			rc = patch_time_run(&a, c->m, c->mk, acts, 2, &t, err);
			for (int i = 0; rc == 0 && i < n; i++)
				c->sum += t.pair[i].fwd.loss + t.pair[i].rev.acc;
			if (rc == 0) {
				rc = ablate_lines_time(&sink, 7, cs, n, &t, err);
				patch_time_free(&t);
			}
		}
		ablator_free(&a);
	}
	free(cs);
	return rc;
}

static int op_edges(struct ev_ctx *c, struct traj_error *err)
{
	struct edge_graph g;
	struct edge_ablator ea;
	struct eval_result r;
	if (edge_graph_build(c->m, &g, err) < 0)
		return -1;
	double *score = malloc(((size_t)g.nedges + 1) * sizeof *score);
	int rc = score ? edge_ablator_init(&ea, c->m, &g, &c->b, ABL_RESAMPLE,
					   1, err) :
		 traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	if (rc == 0) {
		int e = 1;
		rc = edge_baseline(&ea, &r, err);
		if (rc == 0) {
			c->sum += r.loss + edge_eval(&ea, &e, 1, NULL).loss;
			rc = edge_attribute(&ea, score, err);
		}
		for (int i = 0; rc == 0 && i < g.nedges; i++)
			c->sum += score[i];
		edge_ablator_free(&ea);
	}
	free(score);
	edge_graph_free(&g);
	return rc;
}

/* A series that rests, then climbs slowly (a change of 150 points: the
 * kept points outgrow their first allocation) and rests again; sums the
 * settled changes' steps and sizes. */
static int op_changepoint(struct ev_ctx *c, struct traj_error *err)
{
	const struct changepoint_opts o = { .window = 4, .threshold = 4,
					    .min_delta = 0.05 };
	struct changepoint cp;
	struct changepoint_change ch;
	if (changepoint_init(&cp, &o, err) < 0)
		return -1;
	int rc = 0;
	for (int i = 0; rc >= 0 && i < 600; i++) {
		double x = 0.01 * sin(1.7 * i) +
			   (i < 200 ? 0 : i < 350 ? (i - 200) / 150.0 : 1);
		rc = changepoint_add(&cp, &o, i, x, &ch, err);
		if (rc == 1)
			c->sum += (double)ch.from + (double)ch.to + ch.after -
				  ch.before + ch.npoints;
	}
	changepoint_free(&cp);
	return rc < 0 ? -1 : 0;
}

/* The Fourier energies of two blocks, the second wider (the projection
 * grows), with one work area. */
static int op_fourier(struct ev_ctx *c, struct traj_error *err)
{
	enum { FP = 7, FW = 5 };
	double e[FP * FW], energy[(FP / 2 + 1) * FW] = { 0 };
	for (int i = 0; i < FP * FW; i++)
		e[i] = sin(0.3 * i) + 0.1 * i;
	struct fourier_work fw;
	fourier_work_init(&fw);
	int rc = 0;
	for (int w = 2; rc == 0 && w <= FW; w += FW - 2)
		rc = fourier_add_energies(&fw, e, FP, w, energy, err);
	fourier_work_free(&fw);
	for (int i = 0; i < (FP / 2 + 1) * FW; i++)
		c->sum += energy[i];
	return rc;
}

/* Runs op once unarmed (it must succeed: lazy set-ups of BLAS and the
 * thread pool happen there), then with each of its allocations failing
 * in turn: it fails with TRAJ_ENOMEM and a message, or succeeds with the
 * same figures (no NAN standing for a failure, no fallback that rounds
 * differently), and leaks nothing. */
static void fail_each(const char *name, ev_op *op, struct ev_ctx *c)
{
	struct traj_error err;
	c->sum = 0;
	int first = op(c, &err);
	double want = c->sum;
	if (first != 0)
		printf("#   %s unarmed: %s\n", name, err.msg);
	CHECK(first == 0 && isfinite(want));
	long k, bad = 0;
	for (k = 1;; k++) {
		err = (struct traj_error){ 0 };
		c->sum = 0;
		arm(k);
		int rc = op(c, &err);
		int reached = disarm();
		int ok = rc == 0 ? c->sum == want : enomem(&err);
		if ((!ok || nlive) && bad++ < 5)
			printf("#   %s k=%ld: rc %d, sum %.17g (%.17g), %ld "
			       "leaked: %s\n", name, k, rc, c->sum, want,
			       nlive, rc ? err.msg : "");
		if (!reached)
			break;
	}
	CHECK(bad == 0);
	CHECK(k > 1); /* it allocates: the loop tested something */
	printf("#   %s: %ld allocations failed in turn\n", name, k - 1);
}

static void test_engines_under_allocation_failure(void)
{
	struct ev_ctx c;
	struct batch bk;
	c.m = ev_model(3, &c.b);
	c.mk = ev_model(4, &bk);
	c.sink = fopen("/dev/null", "w");
	CHECK(c.m && c.mk && c.sink);
	if (!c.m || !c.mk || !c.sink)
		return;
	fail_each("model_evaluate", op_evaluate, &c);
	fail_each("ablator", op_ablate, &c);
	fail_each("patching", op_patch, &c);
	fail_each("edges", op_edges, &c);
	fail_each("change points", op_changepoint, &c);
	fail_each("fourier", op_fourier, &c);
	fclose(c.sink);
	model_free(c.m);
	model_free(c.mk);
}
#endif

int main(void)
{
#ifdef SANITIZED
	printf("ok 1 # skip allocation-failure loop: not under AddressSanitizer\n");
	printf("1..1\n");
	return 0;
#else
	RUN(test_decode_under_allocation_failure);
	RUN(test_encode_under_allocation_failure);
	RUN(test_training_step_under_allocation_failure);
	RUN(test_engines_under_allocation_failure);
	return harness_done();
#endif
}
