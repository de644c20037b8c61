/* Fourier-frequency components of the logits; see logit_freq.h. */
#include "interp/logit_freq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int logit_freq_count(int p)
{
	return p >= 3 ? (p - 1) / 2 : 0;
}

void logit_freq_basis(int p, int k, double *cos_k, double *sin_k)
{
	double scale = sqrt(2.0 / p);
	for (int c = 0; c < p; c++) {
		/* (k c) mod p keeps the angle small, so large k c lose no
		 * precision. */
		double t = 2.0 * M_PI * (double)(((long)k * c) % p) / p;
		cos_k[c] = scale * cos(t);
		sin_k[c] = scale * sin(t);
	}
}

void logit_freq_coef(const double *cos_k, const double *sin_k, int p,
	       const float *z, double *co, double *si)
{
	double a = 0.0, b = 0.0;
	for (int c = 0; c < p; c++) {
		a += cos_k[c] * z[c];
		b += sin_k[c] * z[c];
	}
	*co = a;
	*si = b;
}

void logit_freq_replace(const double *cos_k, const double *sin_k, int p, float *z,
		  double co, double si, double co_new, double si_new)
{
	double dc = co_new - co, ds = si_new - si;
	for (int c = 0; c < p; c++)
		z[c] = (float)(z[c] + dc * cos_k[c] + ds * sin_k[c]);
}

void logit_freq_free(struct freq_logits *f)
{
	free(f->logits);
	free(f->basis);
	free(f->coef);
	free(f->mean);
	free(f->row);
	memset(f, 0, sizeof *f);
}

static int coefficients(struct freq_logits *f, struct traj_error *err)
{
	int p = f->p, nf = f->nfreq;
	for (int i = 0; i < nf; i++)
		logit_freq_basis(p, i + 1, f->basis + (size_t)i * 2 * p,
			   f->basis + ((size_t)i * 2 + 1) * p);
	for (int e = 0; e < f->n; e++) {
		const float *z = f->logits + (size_t)e * p;
		for (int c = 0; c < p; c++)
			if (!isfinite(z[c]))
				return traj_fail(err, TRAJ_EDATA, -1, "example %d: "
						 "logit %d is not finite", e, c);
		for (int i = 0; i < nf; i++) {
			double *cf = f->coef + ((size_t)e * nf + i) * 2;
			logit_freq_coef(f->basis + (size_t)i * 2 * p,
				  f->basis + ((size_t)i * 2 + 1) * p, p, z,
				  &cf[0], &cf[1]);
			f->mean[2 * i] += cf[0] / f->n;
			f->mean[2 * i + 1] += cf[1] / f->n;
		}
	}
	return 0;
}

static int freq_alloc(struct freq_logits *f, int n, int p,
		      const int32_t *labels, int zero, struct traj_error *err)
{
	*f = (struct freq_logits){ .p = p, .nfreq = logit_freq_count(p), .n = n,
				   .labels = labels, .zero = zero };
	f->logits = malloc((size_t)n * p * sizeof *f->logits);
	f->basis = malloc((size_t)f->nfreq * 2 * p * sizeof *f->basis);
	f->coef = malloc((size_t)n * f->nfreq * 2 * sizeof *f->coef);
	f->mean = calloc((size_t)f->nfreq * 2, sizeof *f->mean);
	f->row = malloc((size_t)p * sizeof *f->row);
	if (!f->logits || !f->basis || !f->coef || !f->mean || !f->row) {
		logit_freq_free(f);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	return 0;
}

static int freq_finish(struct freq_logits *f, struct traj_error *err)
{
	if (coefficients(f, err) < 0) {
		logit_freq_free(f);
		return -1;
	}
	return 0;
}

int logit_freq_set(struct freq_logits *f, const float *logits, int n, int p,
		    const int32_t *labels, int zero, struct traj_error *err)
{
	memset(f, 0, sizeof *f);
	if (p < 3 || p % 2 == 0 || n < 1)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--by freq: needs an odd "
				 "number of classes and examples, got %d, %d",
				 p, n);
	if (freq_alloc(f, n, p, labels, zero, err) < 0)
		return -1;
	memcpy(f->logits, logits, (size_t)n * p * sizeof *logits);
	return freq_finish(f, err);
}

int logit_freq_init(struct freq_logits *f, struct model *m,
		     const struct batch *b, int zero, struct traj_error *err)
{
	memset(f, 0, sizeof *f);
	int p = m->n_classes;
	if (m->n_outputs != 1 || p < 3 || p % 2 == 0 || b->n < 1)
		return traj_fail(err, TRAJ_EUSAGE, -1, "--by freq: needs one "
				 "output over an odd number of classes (a "
				 "modular task), got %d x %d", m->n_outputs, p);
	if (freq_alloc(f, b->n, p, b->labels, zero, err) < 0)
		return -1;
	m->ops->logits(m, b, f->logits);
	return freq_finish(f, err);
}

/* Cross-entropy of z at `label`, and whether the argmax is the label. */
static double xent(const float *z, int p, int label, int *correct)
{
	int best = 0;
	for (int c = 1; c < p; c++)
		if (z[c] > z[best])
			best = c;
	double sum = 0.0;
	for (int c = 0; c < p; c++)
		sum += exp((double)z[c] - z[best]);
	*correct = best == label;
	return log(sum) - ((double)z[label] - z[best]);
}

struct eval_result logit_freq_eval(const struct freq_logits *f, const int *ablated,
			     int n)
{
	struct eval_result r = { NAN, NAN, f->n };
	int p = f->p, nf = f->nfreq;
	float *z = f->row;
	double loss = 0.0;
	int64_t right = 0;
	for (int e = 0; e < f->n; e++) {
		memcpy(z, f->logits + (size_t)e * p, (size_t)p * sizeof *z);
		for (int j = 0; j < n; j++) {
			int i = ablated[j];
			const double *cf = f->coef + ((size_t)e * nf + i) * 2;
			const double *to = f->source ?
				f->source->coef + ((size_t)e * nf + i) * 2 :
				f->mean + 2 * i;
			logit_freq_replace(f->basis + (size_t)i * 2 * p,
				     f->basis + ((size_t)i * 2 + 1) * p, p, z,
				     cf[0], cf[1],
				     f->zero && !f->source ? 0.0 : to[0],
				     f->zero && !f->source ? 0.0 : to[1]);
		}
		int ok;
		loss += xent(z, p, f->labels[e], &ok);
		right += ok;
	}
	r.loss = loss / f->n;
	r.acc = (double)right / f->n;
	return r;
}
