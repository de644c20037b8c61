/* Passes over a whole batch with edges ablated, and the clean passes that
 * measure the replacements (edges.h). */
#include "interp/edge_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "model/xent.h"

static float **sender_buffers(const struct edge_graph *g, size_t per_row)
{
	float **buf = calloc((size_t)g->nsend, sizeof *buf);
	for (int s = 0; buf && s < g->nsend; s++) {
		size_t count = per_row * edge_sender_positions(g, s) *
			       g->cfg.d_model;
		buf[s] = calloc(count ? count : 1, sizeof **buf);
		if (!buf[s]) {
			for (int k = 0; k < s; k++)
				free(buf[k]);
			free(buf);
			return NULL;
		}
	}
	return buf;
}

static void free_senders(float **buf, int n)
{
	for (int s = 0; buf && s < n; s++)
		free(buf[s]);
	free(buf);
}

/* Bytes of every sender's outputs for n examples. */
static size_t outputs_bytes(const struct edge_graph *g, int n)
{
	size_t floats = 0;
	for (int s = 0; s < g->nsend; s++)
		floats += (size_t)edge_sender_positions(g, s) * g->cfg.d_model;
	return floats * (size_t)n * sizeof(float);
}

int edge_ablator_init(struct edge_ablator *ea, struct model *m,
		      const struct edge_graph *g, const struct batch *data,
		      enum ablate_method method, uint64_t seed,
		      struct traj_error *err)
{
	memset(ea, 0, sizeof *ea);
	struct transformer_config c;
	if (transformer_config_of(m, &c) < 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "the model is not a "
				 "transformer");
	ea->m = m;
	ea->g = g;
	ea->data = *data;
	ea->method = method;
	ea->cut_scale = 1.0f;
	ea->label = -1;
	ea->cut = calloc((size_t)g->nedges + 1, 1);
	ea->perm = malloc(((size_t)data->n + 1) * sizeof *ea->perm);
	/* Resample and patch need every example's outputs; for zero and
	 * mean they only save time, so they are dropped when too large. */
	int need_all = method == ABL_RESAMPLE || method == ABL_PATCH;
	size_t bytes = outputs_bytes(g, data->n);
	if (need_all && bytes > EDGE_OUTPUTS_MAX) {
		edge_ablator_free(ea);
		return traj_fail(err, TRAJ_EUSAGE, -1, "%s ablation of edges "
				 "over %d examples keeps %zu MiB of sender "
				 "outputs (at most %zu): use fewer examples",
				 ablate_method_name(method), data->n,
				 bytes >> 20, EDGE_OUTPUTS_MAX >> 20);
	}
	ea->mean = sender_buffers(g, 1);
	if (bytes <= EDGE_OUTPUTS_MAX)
		ea->clean = sender_buffers(g, (size_t)data->n);
	ea->dirty = malloc((size_t)g->nsend);
	ea->sc = edge_scratch_new(g);
	ea->w = malloc(sizeof *ea->w);
	if (method == ABL_PATCH)
		ea->src = sender_buffers(g, (size_t)data->n);
	if (!ea->cut || !ea->perm || !ea->mean || !ea->dirty || !ea->sc ||
	    !ea->w || (need_all && !ea->clean) ||
	    (method == ABL_PATCH && !ea->src)) {
		edge_ablator_free(ea);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	if (edge_weights_find(m, g, ea->w, err) < 0) {
		edge_ablator_free(ea);
		return -1;
	}
	for (int32_t e = 0; e < data->n; e++)
		ea->perm[e] = e;
	struct rng r;
	rng_seed(&r, seed);
	rng_shuffle(&r, ea->perm, data->n);
	return 0;
}

void edge_ablator_free(struct edge_ablator *ea)
{
	int n = ea->g ? ea->g->nsend : 0;
	free_senders(ea->mean, n);
	free_senders(ea->clean, n);
	free_senders(ea->src, n);
	free(ea->cut);
	free(ea->dirty);
	free(ea->perm);
	edge_scratch_free(ea->sc);
	free(ea->w);
	memset(ea, 0, sizeof *ea);
}

enum capture { CAPTURE_NONE, CAPTURE_CLEAN, CAPTURE_SOURCE };

/* Copies the chunk's sender outputs (examples e0..) to the clean outputs,
 * adding them to the sums for the means, or to the patch source. */
static void capture_chunk(struct edge_ablator *ea, enum capture what,
			  double **sum, int64_t e0, int n)
{
	const struct edge_graph *g = ea->g;
	int D = g->cfg.d_model;
	for (int s = 0; what != CAPTURE_NONE && s < g->nsend; s++) {
		size_t row = (size_t)edge_sender_positions(g, s) * D;
		const float *o = ea->sc->out[s];
		float **dst = what == CAPTURE_SOURCE ? ea->src : ea->clean;
		if (dst)
			memcpy(dst[s] + (size_t)e0 * row, o,
			       (size_t)n * row * sizeof *o);
		for (int b = 0; what == CAPTURE_CLEAN && b < n; b++)
			for (size_t i = 0; i < row; i++)
				sum[s][i] += o[(size_t)b * row + i];
	}
}

/* Which senders this pass must compute: those with an ablated edge into
 * one of their inputs, and those reading (through an edge left alone) a
 * sender that must. Without clean outputs to copy, every sender. */
static void mark_dirty(struct edge_ablator *ea)
{
	const struct edge_graph *g = ea->g;
	memset(ea->dirty, 1, (size_t)g->nsend);
	if (!ea->have_clean || ea->attrib)
		return;
	memset(ea->dirty, 0, (size_t)g->nsend);
	for (int r = 0; r < g->nrecv; r++) {
		const struct edge_receiver *rr = &g->recv[r];
		int owner = rr->input <= EI_V ? edge_head_sender(g, rr->layer, rr->head)
			    : rr->input == EI_MLP ? edge_mlp_sender(g, rr->layer)
						  : -1;
		for (int s = 0; owner >= 0 && s < rr->nsend; s++)
			if (ea->cut[rr->first_edge + s] || ea->dirty[s])
				ea->dirty[owner] = 1;
	}
}

static double **new_sums(const struct edge_graph *g)
{
	double **sum = calloc((size_t)g->nsend, sizeof *sum);
	for (int s = 0; sum && s < g->nsend; s++) {
		sum[s] = calloc((size_t)edge_sender_positions(g, s) *
				g->cfg.d_model, sizeof **sum);
		if (!sum[s]) {
			for (int k = 0; k < s; k++)
				free(sum[k]);
			free(sum);
			return NULL;
		}
	}
	return sum;
}

static void finish_means(struct edge_ablator *ea, double **sum)
{
	const struct edge_graph *g = ea->g;
	for (int s = 0; s < g->nsend; s++) {
		size_t row = (size_t)edge_sender_positions(g, s) * g->cfg.d_model;
		for (size_t i = 0; i < row; i++)
			ea->mean[s][i] = ea->data.n > 0 ?
				(float)(sum[s][i] / ea->data.n) : 0.0f;
		free(sum[s]);
	}
	free(sum);
}

/* One pass over b with the edges in ea->cut ablated. */
static struct eval_result pass(struct edge_ablator *ea, const struct batch *b,
			       enum capture what, double **sum, float *logits)
{
	const struct transformer_config *c = &ea->g->cfg;
	int T = c->n_ctx, K = c->n_outputs, U = c->d_vocab_out;
	double loss = 0.0;
	int64_t right = 0;
	mark_dirty(ea);
	for (int64_t e0 = 0; e0 < b->n; e0 += EDGE_CHUNK) {
		int n = b->n - e0 < EDGE_CHUNK ? (int)(b->n - e0) : EDGE_CHUNK;
		edge_pass_chunk(ea, b->tokens + (size_t)e0 * T, e0, n);
		capture_chunk(ea, what, sum, e0, n);
		const int32_t *y = b->labels + (size_t)e0 * K;
		for (int r = 0; r < n * K; r++) {
			if (ea->label >= 0 && r % K != ea->label)
				continue;
			const float *z = ea->sc->logits + (size_t)r * U;
			loss += xent_row(z, U, y[r]);
			right += xent_argmax(z, U) == y[r];
		}
		if (logits)
			memcpy(logits + (size_t)e0 * K * U, ea->sc->logits,
			       (size_t)n * K * U * sizeof *logits);
	}
	ea->forward_passes++;
	struct eval_result res = { NAN, NAN, b->n }; /* n = 0: the mean of nothing */
	int per = ea->label >= 0 ? 1 : K; /* labels counted per example */
	if (b->n > 0) {
		res.loss = loss / ((double)b->n * per);
		res.acc = (double)right / ((double)b->n * per);
	}
	return res;
}

int edge_baseline(struct edge_ablator *ea, struct eval_result *r,
		  struct traj_error *err)
{
	memset(ea->cut, 0, (size_t)ea->g->nedges);
	double **sum = new_sums(ea->g);
	if (!sum)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	ea->have_clean = 0;
	*r = pass(ea, &ea->data, CAPTURE_CLEAN, sum, NULL);
	finish_means(ea, sum);
	ea->have_clean = ea->clean != NULL;
	return 0;
}

int edge_capture_source(struct edge_ablator *ea, const struct batch *source,
			struct eval_result *r, struct traj_error *err)
{
	if (!ea->src || source->n != ea->data.n)
		return traj_fail(err, TRAJ_EINTERNAL, -1, "edge patch source "
				 "of %d examples for %d%s", source->n,
				 ea->data.n, ea->src ? "" : " (not patching)");
	memset(ea->cut, 0, (size_t)ea->g->nedges);
	int had = ea->have_clean;
	ea->have_clean = 0; /* another batch: compute every sender */
	*r = pass(ea, source, CAPTURE_SOURCE, NULL, NULL);
	ea->have_clean = had;
	return 0;
}

struct eval_result edge_eval(struct edge_ablator *ea, const int *active,
			     int n, float *logits)
{
	memset(ea->cut, 0, (size_t)ea->g->nedges);
	for (int i = 0; i < n; i++)
		ea->cut[active[i]] = 1;
	return pass(ea, &ea->data, CAPTURE_NONE, NULL, logits);
}
