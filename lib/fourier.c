#include "fourier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int fourier_add_energies(const double *e, int p, int width, double *energy)
{
	double *cs = malloc(2 * (size_t)p * sizeof *cs);
	double *acc = malloc(2 * (size_t)width * sizeof *acc);
	if (!cs || !acc) {
		free(cs);
		free(acc);
		return -1;
	}
	double *sn = cs + p, *c = acc, *s = acc + width;
	for (int j = 0; j < p; j++) {
		cs[j] = cos(2 * M_PI * j / p);
		sn[j] = sin(2 * M_PI * j / p);
	}
	for (int k = 0; k <= p / 2; k++) {
		memset(acc, 0, 2 * (size_t)width * sizeof *acc);
		for (int a = 0; a < p; a++) {
			int j = (int)((long)k * a % p); /* the angle 2 pi k a / p */
			const double *row = e + (size_t)a * (size_t)width;
			for (int w = 0; w < width; w++) {
				c[w] += cs[j] * row[w];
				s[w] += sn[j] * row[w];
			}
		}
		/* k = 0 and k = p/2 have one basis vector of norm 1/sqrt(p)
		 * (their sine is 0); the others two of norm sqrt(2/p). */
		double scale = (k == 0 || 2 * k == p ? 1.0 : 2.0) / p;
		double *row_k = energy + (size_t)k * (size_t)width;
		for (int w = 0; w < width; w++)
			row_k[w] += scale * (c[w] * c[w] + s[w] * s[w]);
	}
	free(cs);
	free(acc);
	return 0;
}

void fourier_total(const double *energy, int kmax, int width, double *total)
{
	for (int k = 0; k <= kmax; k++) {
		total[k] = 0;
		for (int w = 0; w < width; w++)
			total[k] += energy[(size_t)k * (size_t)width + (size_t)w];
	}
}

double fourier_column_top1(const double *energy, int kmax, int width)
{
	double best_sum = 0, sum = 0;
	for (int w = 0; w < width; w++) {
		double best = 0;
		for (int k = 1; k <= kmax; k++) {
			double v = energy[(size_t)k * (size_t)width + (size_t)w];
			sum += v;
			best = v > best ? v : best;
		}
		best_sum += best;
	}
	return sum > 0 ? best_sum / sum : NAN;
}

static int cmp_desc(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a < b) - (a > b);
}

double fourier_top_frac(const double *energy, int kmax, int top)
{
	double *v = malloc((size_t)(kmax > 0 ? kmax : 1) * sizeof *v);
	double sum = 0, best = 0;
	if (!v)
		return NAN;
	for (int k = 1; k <= kmax; k++)
		sum += v[k - 1] = energy[k];
	qsort(v, (size_t)kmax, sizeof *v, cmp_desc);
	for (int i = 0; i < top && i < kmax; i++)
		best += v[i];
	free(v);
	return sum > 0 ? best / sum : NAN;
}

double fourier_ipr(const double *energy, int kmax)
{
	double sum = 0, sq = 0;
	for (int k = 1; k <= kmax; k++)
		sum += energy[k];
	if (!(sum > 0))
		return NAN;
	for (int k = 1; k <= kmax; k++)
		sq += (energy[k] / sum) * (energy[k] / sum);
	return sq;
}

static int json_int(const cJSON *obj, const char *key, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble)
		return 0;
	*out = (int64_t)v->valuedouble;
	return 1;
}

int embed_spec_from_run(const cJSON *run, struct embed_spec *out)
{
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(run, "task");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(run, "model");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(model, "kind");
	int64_t p, inputs, vocab;
	if (!json_int(task, "p", &p) || p < 2 || p > 1 << 20 || !cJSON_IsString(kind))
		return 0;
	out->p = (int)p;
	if (strcmp(kind->valuestring, "mlp") == 0 &&
	    json_int(model, "inputs", &inputs) && json_int(model, "vocab", &vocab) &&
	    vocab >= p && inputs >= 1 && inputs <= 64) {
		*out = (struct embed_spec){"layers.0.W", (int)p, (int)inputs, vocab};
		return 1;
	}
	if (strcmp(kind->valuestring, "transformer") == 0 &&
	    json_int(model, "d_vocab", &vocab) && vocab >= p) {
		*out = (struct embed_spec){"embed.W_E", (int)p, 1, vocab};
		return 1;
	}
	return 0;
}
