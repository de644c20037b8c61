#include "analysis/fourier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

void fourier_work_init(struct fourier_work *w)
{
	*w = (struct fourier_work){0};
}

void fourier_work_free(struct fourier_work *w)
{
	free(w->basis);
	free(w->proj);
	fourier_work_init(w);
}

/* Row r holds frequency k = (r + 1) / 2: cos for odd r, sin for even
 * r > 0; for even p the last row (r = p - 1, k = p/2) is the Nyquist
 * cos = (-1)^a, whose sine is 0 and gets no row. The rows of k = 0 and
 * p/2 are scaled by 1/sqrt(p), the cos/sin pairs by sqrt(2/p). The angle
 * 2 pi k a / p is reduced mod p first, so large k a lose no digits. */
static void fill_basis(double *basis, int p)
{
	for (int r = 0; r < p; r++) {
		int k = (r + 1) / 2, is_sin = r > 0 && r % 2 == 0;
		double scale = sqrt((k == 0 || 2 * k == p ? 1.0 : 2.0) / p);
		double *row = basis + (size_t)r * (size_t)p;
		for (int a = 0; a < p; a++) {
			double angle = 2 * M_PI * (double)((long)k * a % p) / p;
			row[a] = scale * (is_sin ? sin(angle) : cos(angle));
		}
	}
}

static int prepare(struct fourier_work *w, int p, int width)
{
	size_t need = (size_t)p * (size_t)width;
	if (w->p != p) {
		double *basis = malloc((size_t)p * (size_t)p * sizeof *basis);
		if (!basis)
			return -1;
		fill_basis(basis, p);
		free(w->basis);
		w->basis = basis;
		w->p = p;
	}
	if (need > w->proj_cap) {
		double *proj = malloc(need * sizeof *proj);
		if (!proj)
			return -1;
		free(w->proj);
		w->proj = proj;
		w->proj_cap = need;
	}
	return 0;
}

int fourier_add_energies(struct fourier_work *w, const double *e, int p,
			 int width, double *energy, struct traj_error *err)
{
	if (width == 0)
		return 0;
	if (prepare(w, p, width) < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	/* proj = basis e: the coordinates of every column in the basis */
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p, width, p,
		    1.0, w->basis, p, e, width, 0.0, w->proj, width);
	for (int r = 0; r < p; r++) {
		const double *c = w->proj + (size_t)r * (size_t)width;
		double *row_k = energy + (size_t)((r + 1) / 2) * (size_t)width;
		for (int i = 0; i < width; i++)
			row_k[i] += c[i] * c[i];
	}
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

int fourier_embed_spec_from_run(const cJSON *run, struct embed_spec *out)
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
