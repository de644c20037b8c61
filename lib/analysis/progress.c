#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/progress.h"

void progress_free(struct progress *pr)
{
	free(pr->tokens);
	free(pr->labels);
	free(pr->in_train);
	free(pr->logits);
	free(pr->sums);
	fourier_work_free(&pr->fw);
	memset(pr, 0, sizeof *pr);
}

/* The last layer called fmt % i that the model has, i = 0, 1, ... */
static int last_view(const struct model *m, const char *fmt, char *name,
		     size_t cap)
{
	int found = -1;
	char buf[64];
	for (int i = 0; i < 1024; i++) {
		snprintf(buf, sizeof buf, fmt, i);
		if (model_find_view(m, buf) < 0)
			break;
		found = i;
		snprintf(name, cap, "%s", buf);
	}
	return found;
}

int progress_init(struct progress *pr, const struct task_config *task,
		  const struct split *train, const cJSON *run,
		  const struct model *m, struct traj_error *err)
{
	memset(pr, 0, sizeof *pr);
	fourier_work_init(&pr->fw);
	int p = task_modulus(task);
	if (p == 0 || (task->op != MOD_ADD && task->op != MOD_SUB))
		return traj_fail(err, TRAJ_EUSAGE, -1, "progress measures "
				 "need a modadd or modsub run, not %s",
				 task->name);
	if (m->n_classes != p || m->n_outputs != 1)
		return traj_fail(err, TRAJ_EDATA, -1, "the model does not "
				 "predict one residue mod %d", p);
	pr->p = p;
	pr->sub = task->op == MOD_SUB;
	pr->T = task->eq_token ? 3 : 2;
	pr->n = (int64_t)p * p;
	size_t n = (size_t)pr->n;
	pr->tokens = malloc(n * (size_t)pr->T * sizeof *pr->tokens);
	pr->labels = malloc(n * sizeof *pr->labels);
	pr->in_train = calloc(n, 1);
	pr->logits = malloc(n * (size_t)p * sizeof *pr->logits);
	pr->sums = malloc((size_t)p * (size_t)p * sizeof *pr->sums);
	if (!pr->tokens || !pr->labels || !pr->in_train || !pr->logits ||
	    !pr->sums) {
		progress_free(pr);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	for (int a = 0; a < p; a++)
		for (int b = 0; b < p; b++) {
			size_t i = (size_t)a * p + b;
			int32_t *t = pr->tokens + i * (size_t)pr->T;
			t[0] = a;
			t[1] = b;
			if (pr->T == 3)
				t[2] = p;
			pr->labels[i] = pr->sub ? (a - b + p) % p : (a + b) % p;
		}
	for (int64_t e = 0; e < train->n; e++) {
		const int32_t *t = train->tokens + e * (size_t)pr->T;
		pr->in_train[(size_t)t[0] * p + t[1]] = 1;
	}
	pr->have_embed = fourier_embed_spec_from_run(run, &pr->embed) &&
			 model_find_view(m, pr->embed.tensor) >= 0;
	if (strcmp(m->kind, "mlp") == 0) {
		last_view(m, "layers.%d.W", pr->wl_first, sizeof pr->wl_first);
	} else if (last_view(m, "blocks.%d.mlp.W_out", pr->wl_first,
			     sizeof pr->wl_first) >= 0 &&
		   model_find_view(m, "unembed.W_U") >= 0) {
		snprintf(pr->wl_second, sizeof pr->wl_second, "unembed.W_U");
	} else {
		pr->wl_first[0] = 0;
	}
	return 0;
}

static int pair_s(const struct progress *pr, int64_t i)
{
	return (int)pr->labels[i];
}

/* Logits of every pair, and their sums over the pairs of each s. */
static int all_logits(struct progress *pr, struct model *m,
		      struct traj_error *err)
{
	int p = pr->p;
	struct batch b = { .n = (int)pr->n, .tokens = pr->tokens,
			   .labels = pr->labels };
	m->ops->logits(m, &b, pr->logits);
	memset(pr->sums, 0, (size_t)p * p * sizeof *pr->sums);
	for (int64_t i = 0; i < pr->n; i++) {
		const float *l = pr->logits + i * p;
		double *s = pr->sums + (size_t)pair_s(pr, i) * p;
		for (int c = 0; c < p; c++) {
			if (!isfinite(l[c]))
				return traj_fail(err, TRAJ_EDATA, -1, "a logit "
						 "is not finite");
			s[c] += l[c];
		}
	}
	return 0;
}

/* cos and sin coefficients of frequency k, per class: (2, p). */
static void coefficients(const struct progress *pr, int k, double *cs)
{
	int p = pr->p;
	memset(cs, 0, 2 * (size_t)p * sizeof *cs);
	for (int s = 0; s < p; s++) {
		double th = 2 * M_PI * k * (double)s / p;
		double co = cos(th), si = sin(th);
		const double *row = pr->sums + (size_t)s * p;
		for (int c = 0; c < p; c++) {
			cs[c] += co * row[c];
			cs[p + c] += si * row[c];
		}
	}
}

int progress_check_freqs(const struct progress *pr, const int *freqs,
			 int nfreqs, struct traj_error *err)
{
	int kmax = (pr->p - 1) / 2;
	for (int i = 0; i < nfreqs; i++) {
		if (freqs[i] < 1 || freqs[i] > kmax)
			return traj_fail(err, TRAJ_EUSAGE, -1, "key frequency "
					 "%d is outside 1..%d (p = %d)",
					 freqs[i], kmax, pr->p);
		for (int j = 0; j < i; j++)
			if (freqs[j] == freqs[i])
				return traj_fail(err, TRAJ_EUSAGE, -1, "key "
						 "frequency %d given twice",
						 freqs[i]);
	}
	return 0;
}

int progress_key_freqs(struct progress *pr, struct model *m, int nfreqs,
		       int *freqs, struct traj_error *err)
{
	int p = pr->p, kmax = (p - 1) / 2;
	if (nfreqs < 0 || nfreqs > kmax || kmax < 1)
		return traj_fail(err, TRAJ_EUSAGE, -1, "key frequencies: "
				 "expected 1..%d of them (p = %d), not %d",
				 kmax, p, nfreqs);
	if (all_logits(pr, m, err) < 0)
		return -1;
	double *energy = malloc((size_t)(kmax + 1) * sizeof *energy);
	double *cs = malloc(2 * (size_t)p * sizeof *cs);
	if (!energy || !cs) {
		free(energy);
		free(cs);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	double total = 0, taken = 0;
	for (int k = 1; k <= kmax; k++) {
		coefficients(pr, k, cs);
		energy[k] = 0;
		for (int c = 0; c < 2 * p; c++)
			energy[k] += cs[c] * cs[c];
		total += energy[k];
	}
	int n = 0;
	while (n < (nfreqs ? nfreqs : kmax) && n < PROGRESS_MAX_FREQS) {
		int best = 0;
		for (int k = 1; k <= kmax; k++)
			if (energy[k] >= 0 && (!best || energy[k] > energy[best]))
				best = k;
		freqs[n++] = best;
		taken += energy[best];
		energy[best] = -1;
		if (!nfreqs && taken >= PROGRESS_ENERGY_SHARE * total)
			break;
	}
	free(energy);
	free(cs);
	return n;
}

/* Mean cross-entropy of logits l (p) against label y, in double. */
static double xent(const double *l, int p, int y)
{
	double mx = l[0];
	for (int c = 1; c < p; c++)
		mx = l[c] > mx ? l[c] : mx;
	double z = 0;
	for (int c = 0; c < p; c++)
		z += exp(l[c] - mx);
	return mx + log(z) - l[y];
}

double progress_gini(const double *x, int n)
{
	double sum = 0, diff = 0;
	for (int i = 0; i < n; i++) {
		sum += x[i];
		for (int j = 0; j < n; j++)
			diff += fabs(x[i] - x[j]);
	}
	return sum > 0 ? diff / (2.0 * n * sum) : NAN;
}

/* Gini of the per-frequency norms of a (p, width) block set: `blocks`
 * blocks of p rows, block j starting at row j * stride. */
static int spectrum_gini(struct progress *pr, const double *e, int blocks,
			 int64_t stride, int width, double *gini,
			 struct traj_error *err)
{
	int p = pr->p, kmax = p / 2;
	double *energy = calloc((size_t)(kmax + 1) * (size_t)width,
				sizeof *energy);
	double *total = malloc((size_t)(kmax + 1) * sizeof *total);
	int rc = -1;
	if (!energy || !total) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		goto out;
	}
	for (int j = 0; j < blocks; j++)
		if (fourier_add_energies(&pr->fw, e + j * stride * width, p,
					 width, energy, err) < 0)
			goto out;
	fourier_total(energy, kmax, width, total);
	int nk = (p - 1) / 2;
	for (int k = 1; k <= nk; k++)
		total[k] = sqrt(total[k]);
	*gini = progress_gini(total + 1, nk);
	rc = 0;
out:
	free(energy);
	free(total);
	return rc;
}

static int gini_embed(struct progress *pr, struct model *m, double *gini,
		      struct traj_error *err)
{
	*gini = NAN;
	if (!pr->have_embed)
		return 0;
	const struct param_view *v = &m->views[model_find_view(m, pr->embed.tensor)];
	int width = (int)v->shape[1];
	int64_t rows = v->shape[0];
	double *e = malloc((size_t)rows * width * sizeof *e);
	if (!e)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	for (size_t i = 0; i < (size_t)rows * width; i++)
		e[i] = m->params[v->offset + i];
	int rc = spectrum_gini(pr, e, pr->embed.blocks, pr->embed.block_rows,
			       width, gini, err);
	free(e);
	return rc;
}

/* W_L along the residues, as a (p, width) block: row c holds the weights
 * from every neuron to class c. */
static int gini_wl(struct progress *pr, struct model *m, double *gini,
		   struct traj_error *err)
{
	*gini = NAN;
	if (!pr->wl_first[0])
		return 0;
	int p = pr->p;
	const struct param_view *a = &m->views[model_find_view(m, pr->wl_first)];
	const float *A = m->params + a->offset;
	int M = (int)a->shape[0], D = (int)a->shape[1];
	double *e = malloc((size_t)p * M * sizeof *e);
	if (!e)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	if (!pr->wl_second[0]) {  /* (M, C) */
		for (int c = 0; c < p; c++)
			for (int i = 0; i < M; i++)
				e[(size_t)c * M + i] = A[(size_t)i * D + c];
	} else {                  /* (M, D) @ (D, U) */
		const struct param_view *u =
			&m->views[model_find_view(m, pr->wl_second)];
		const float *U = m->params + u->offset;
		int nu = (int)u->shape[1];
		for (int c = 0; c < p; c++)
			for (int i = 0; i < M; i++) {
				double s = 0;
				for (int d = 0; d < D; d++)
					s += (double)A[(size_t)i * D + d] *
					     U[(size_t)d * nu + c];
				e[(size_t)c * M + i] = s;
			}
	}
	int rc = spectrum_gini(pr, e, 1, 0, M, gini, err);
	free(e);
	return rc;
}

int progress_measure(struct progress *pr, struct model *m, const int *freqs,
		     int nfreqs, struct progress_result *out,
		     struct traj_error *err)
{
	int p = pr->p;
	if (progress_check_freqs(pr, freqs, nfreqs, err) < 0 ||
	    all_logits(pr, m, err) < 0)
		return -1;
	/* proj[s][c]: the key frequencies' part of the logits of every
	 * pair with this s; mean[c] the constant part. */
	double *proj = calloc((size_t)p * p, sizeof *proj);
	double *mean = calloc((size_t)p, sizeof *mean);
	double *cs = malloc(2 * (size_t)p * sizeof *cs);
	double *row = malloc((size_t)p * sizeof *row);
	int rc = -1;
	if (!proj || !mean || !cs || !row) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		goto out;
	}
	double norm = (double)p * p / 2;   /* of each direction, over pairs */
	for (int i = 0; i < nfreqs; i++) {
		coefficients(pr, freqs[i], cs);
		for (int s = 0; s < p; s++) {
			double th = 2 * M_PI * freqs[i] * (double)s / p;
			double co = cos(th) / norm, si = sin(th) / norm;
			for (int c = 0; c < p; c++)
				proj[(size_t)s * p + c] += co * cs[c] + si * cs[p + c];
		}
	}
	for (int s = 0; s < p; s++)
		for (int c = 0; c < p; c++)
			mean[c] += pr->sums[(size_t)s * p + c] / ((double)p * p);
	/* Restricted: the logits depend on s only, and so does the label. */
	double rl = 0;
	for (int s = 0; s < p; s++) {
		for (int c = 0; c < p; c++)
			row[c] = mean[c] + proj[(size_t)s * p + c];
		rl += xent(row, p, s);
	}
	out->restricted_loss = rl / p;
	double el = 0;
	int64_t ntrain = 0;
	for (int64_t i = 0; i < pr->n; i++) {
		if (!pr->in_train[i])
			continue;
		int s = pair_s(pr, i);
		for (int c = 0; c < p; c++)
			row[c] = pr->logits[i * p + c] - proj[(size_t)s * p + c];
		el += xent(row, p, pr->labels[i]);
		ntrain++;
	}
	out->excluded_loss = ntrain ? el / ntrain : NAN;
	double sq = 0;
	for (size_t i = 0; i < m->nparams; i++)
		sq += (double)m->params[i] * m->params[i];
	out->weight_sq_sum = sq;
	if (gini_embed(pr, m, &out->gini_embed, err) < 0 ||
	    gini_wl(pr, m, &out->gini_wl, err) < 0)
		goto out;
	rc = 0;
out:
	free(proj);
	free(mean);
	free(cs);
	free(row);
	return rc;
}
