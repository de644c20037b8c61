/* One checkpoint under attack: the metric lines of traj-attack. */
#include "interp/attack_study.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format/metrics.h"
#include "format/npy.h"
#include "format/zipstore.h"

static const char *norm_name(enum attack_norm n)
{
	return n == ATTACK_LINF ? "linf" : "l2";
}

/* Accuracy and mean loss of the true labels at inputs x, and the
 * predictions; per class accuracy into cls_acc (C) when not NULL. */
struct scored { double acc, loss; };

static int score_inputs(struct model *m, const float *x, const int32_t *y,
			int64_t n, int32_t *pred, double *cls_acc,
			struct scored *out, struct traj_error *err)
{
	int C = m->n_classes;
	float *z = malloc((size_t)(n > 0 ? n : 1) * C * sizeof *z);
	int64_t *hits = calloc((size_t)C * 2, sizeof *hits);
	if (!z || !hits) {
		free(z);
		free(hits);
		return traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
	}
	struct batch b = { (int)n, NULL, x, y };
	m->ops->logits(m, &b, z);
	attack_predict(z, n, C, pred);
	double right = 0.0, loss = 0.0;
	for (int64_t e = 0; e < n; e++) {
		const float *ze = z + e * C;
		double mx = ze[0], s = 0.0;
		for (int c = 1; c < C; c++)
			mx = ze[c] > mx ? ze[c] : mx;
		for (int c = 0; c < C; c++)
			s += exp((double)ze[c] - mx);
		loss += mx + log(s) - ze[y[e]];
		right += pred[e] == y[e];
		hits[2 * y[e]] += pred[e] == y[e];
		hits[2 * y[e] + 1]++;
	}
	out->acc = n ? right / n : NAN;
	out->loss = n ? loss / n : NAN;
	for (int c = 0; cls_acc && c < C; c++)
		cls_acc[c] = hits[2 * c + 1] ?
			(double)hits[2 * c] / hits[2 * c + 1] : NAN;
	free(z);
	free(hits);
	return 0;
}

static void line(FILE *out, const char *run, int64_t step, const char *what,
		 const char *name, double v)
{
	char metric[160];
	snprintf(metric, sizeof metric, "attack/%s/%s", what, name);
	metric_print(out, run, step, metric, v);
}

static void lines_scored(FILE *out, const char *run, int64_t step,
			 const char *what, struct scored r,
			 const double *cls_acc, int C)
{
	line(out, run, step, what, "acc", r.acc);
	line(out, run, step, what, "loss", r.loss);
	for (int c = 0; cls_acc && c < C; c++) {
		char name[32];
		snprintf(name, sizeof name, "class/%d/acc", c);
		line(out, run, step, what, name, cls_acc[c]);
	}
}

static struct attack_params params_for(const struct attack_study *s,
				       struct model *m, int fgsm, double eps)
{
	struct attack_params p = {
		.norm = s->norm, .iters = fgsm ? 1 : s->iters,
		.random_start = !fgsm && s->random_start,
		.restarts = fgsm ? 1 : s->restarts, .every_iterate = !fgsm,
		.targeted = s->target != -1, .seed = s->seed,
		.lo = 0.0f, .hi = 1.0f,
	};
	(void)m;
	if (fgsm)
		p.step = 1.0;
	else if (s->alpha > 0 && eps > 0)
		p.step = s->alpha / eps;
	else
		p.step = attack_default_step(s->iters);
	return p;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* The q-quantile of sorted v (n > 0), by linear interpolation. */
static double quantile(const float *v, int64_t n, double q)
{
	double at = q * (double)(n - 1);
	int64_t i = (int64_t)at;
	if (i + 1 >= n)
		return v[n - 1];
	if (isinf(v[i + 1]))
		return at > (double)i ? INFINITY : v[i];
	return v[i] + (at - (double)i) * (v[i + 1] - v[i]);
}

static int study_min_eps(const struct attack_study *s, struct model *m,
			 const struct batch *tb, FILE *out, const char *run,
			 int64_t step, struct traj_error *err)
{
	int64_t n = tb->n;
	float *me = malloc((size_t)(n > 0 ? n : 1) * sizeof *me);
	if (!me)
		return traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
	struct attack_params p = params_for(s, m, 0, s->min_eps_max);
	p.step = s->alpha > 0 ? s->alpha / s->min_eps_max :
				attack_default_step(s->iters);
	if (attack_min_eps(m, tb, &p, s->min_eps_max, s->bisections, me,
			   err) < 0) {
		free(me);
		return -1;
	}
	qsort(me, (size_t)n, sizeof *me, cmp_float);
	int64_t unbroken = 0;
	for (int64_t e = 0; e < n; e++)
		unbroken += isinf(me[e]);
	char what[64];
	snprintf(what, sizeof what, "pgd/%s/min_eps", norm_name(s->norm));
	line(out, run, step, what, "q1", n ? quantile(me, n, 0.25) : NAN);
	line(out, run, step, what, "median", n ? quantile(me, n, 0.5) : NAN);
	line(out, run, step, what, "q3", n ? quantile(me, n, 0.75) : NAN);
	line(out, run, step, what, "unbroken", n ? (double)unbroken / n : NAN);
	free(me);
	return 0;
}

void attack_kept_free(struct attack_kept *k)
{
	free(k->adv);
	free(k->pred);
	memset(k, 0, sizeof *k);
}

/* The labels an attack aims at: the true ones, or the targets. */
static int32_t *aim(const struct attack_study *s, const struct batch *b,
		    int C)
{
	int32_t *t = malloc((size_t)(b->n > 0 ? b->n : 1) * sizeof *t);
	for (int64_t e = 0; t && e < b->n; e++)
		t[e] = s->target == -1 ? b->labels[e] :
		       s->target == -2 ? (b->labels[e] + 1) % C : s->target;
	return t;
}

static int study_one(const struct attack_study *s, struct model *m,
		     const struct batch *b, const struct batch *tb, int fgsm,
		     double eps, FILE *out, const char *run, int64_t step,
		     struct attack_result *r, struct attack_kept *kept,
		     double *cls_acc, struct traj_error *err)
{
	struct attack_params p = params_for(s, m, fgsm, eps);
	if (attack_run(m, tb, NULL, eps, &p, r, err) < 0)
		return -1;
	struct scored sc;
	if (score_inputs(m, r->adv, b->labels, b->n, kept->pred,
			 s->per_class ? cls_acc : NULL, &sc, err) < 0)
		return -1;
	snprintf(kept->what, sizeof kept->what, "%s/%s/%g",
		 fgsm ? "fgsm" : "pgd", norm_name(s->norm), eps);
	lines_scored(out, run, step, kept->what, sc,
		     s->per_class ? cls_acc : NULL, m->n_classes);
	if (s->target != -1) {
		int64_t hit = 0;
		for (int64_t e = 0; e < b->n; e++)
			hit += r->fooled[e];
		line(out, run, step, kept->what, "hit",
		     b->n ? (double)hit / b->n : NAN);
	}
	memcpy(kept->adv, r->adv,
	       (size_t)b->n * m->n_inputs * sizeof *r->adv);
	return 0;
}

int attack_study_ckpt(const struct attack_study *s, struct model *m,
		      const struct batch *b, FILE *out, const char *run,
		      int64_t step, struct attack_kept *kept,
		      struct traj_error *err)
{
	int C = m->n_classes, F = m->n_inputs;
	size_t n = (size_t)(b->n > 0 ? b->n : 1);
	if (!kept->adv) {
		kept->adv = malloc(n * F * sizeof *kept->adv);
		kept->pred = malloc(n * sizeof *kept->pred);
	}
	kept->clean = b->features;
	kept->labels = b->labels;
	kept->n = b->n;
	kept->features = F;
	double *cls_acc = malloc((size_t)C * sizeof *cls_acc);
	int32_t *targets = aim(s, b, C);
	struct attack_result r = {0};
	int rc = -1;
	if (!kept->adv || !kept->pred || !cls_acc || !targets) {
		traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
		goto out;
	}
	if (attack_result_init(&r, b->n, F, err) < 0)
		goto out;
	struct scored clean;
	if (score_inputs(m, b->features, b->labels, b->n, kept->pred,
			 s->per_class ? cls_acc : NULL, &clean, err) < 0)
		goto out;
	lines_scored(out, run, step, "clean", clean,
		     s->per_class ? cls_acc : NULL, C);
	struct batch tb = *b;
	tb.labels = targets;
	for (int fgsm = 1; fgsm >= 0; fgsm--) {
		if (fgsm ? !s->fgsm : !s->pgd)
			continue;
		for (int i = 0; i < s->neps; i++)
			if (study_one(s, m, b, &tb, fgsm, s->eps[i], out, run,
				      step, &r, kept, cls_acc, err) < 0)
				goto out;
	}
	if (s->min_eps_max > 0 &&
	    study_min_eps(s, m, &tb, out, run, step, err) < 0)
		goto out;
	rc = 0;
out:
	attack_result_free(&r);
	free(cls_acc);
	free(targets);
	return rc;
}

/* One array as an .npy entry of the archive. */
static int add_array(struct zip_writer *z, const char *name,
		     enum traj_dtype dtype, int rank, const int64_t *shape,
		     const void *data, struct traj_error *err)
{
	struct traj_tensor t;
	memset(&t, 0, sizeof t);
	snprintf(t.name, sizeof t.name, "%s", name);
	t.dtype = dtype;
	t.rank = rank;
	for (int k = 0; k < rank; k++)
		t.shape[k] = shape[k];
	t.data = (void *)data;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem) {
		return traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
	}
	int rc = npy_write(mem, &t, err);
	if (fclose(mem) != 0 && rc == 0)
		rc = traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
	char entry[80];
	snprintf(entry, sizeof entry, "%s.npy", name);
	if (rc == 0)
		rc = zip_add(z, entry, buf, len, err);
	free(buf);
	return rc;
}

int attack_kept_write_npz(const struct attack_kept *k, FILE *f,
			  struct traj_error *err)
{
	size_t nf = (size_t)k->n * k->features;
	float *delta = malloc((nf ? nf : 1) * sizeof *delta);
	if (!delta)
		return traj_fail(err, TRAJ_ENOMEM, -1, "attack: out of memory");
	for (size_t i = 0; i < nf; i++)
		delta[i] = k->adv[i] - k->clean[i];
	int64_t shape[2] = { k->n, k->features };
	struct zip_writer z;
	zip_writer_init(&z, f);
	int rc = add_array(&z, "adv", TRAJ_F32, 2, shape, k->adv, err);
	if (rc == 0)
		rc = add_array(&z, "delta", TRAJ_F32, 2, shape, delta, err);
	if (rc == 0)
		rc = add_array(&z, "label", TRAJ_I32, 1, shape, k->labels, err);
	if (rc == 0)
		rc = add_array(&z, "pred", TRAJ_I32, 1, shape, k->pred, err);
	if (rc == 0)
		rc = zip_finish(&z, err);
	zip_writer_free(&z);
	free(delta);
	return rc;
}
