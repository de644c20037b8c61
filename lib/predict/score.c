/* AUROC by ranks, calibration by bins. */
#include <math.h>
#include <stdlib.h>

#include "predict/score.h"

struct scored {
	double s, y;
};

static int by_score(const void *a, const void *b)
{
	double x = ((const struct scored *)a)->s, z = ((const struct scored *)b)->s;
	return (x > z) - (x < z);
}

double predict_auroc(const double *s, const double *y, int n)
{
	struct scored *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
	if (!v)
		return NAN;
	double npos = 0, nneg = 0, rank_sum = 0;
	for (int i = 0; i < n; i++) {
		v[i] = (struct scored){s[i], y[i]};
		npos += y[i] > 0.5;
	}
	nneg = n - npos;
	qsort(v, (size_t)n, sizeof *v, by_score);
	/* ranks from 1, tied scores sharing their mean rank */
	for (int i = 0; i < n;) {
		int j = i;
		while (j < n && v[j].s == v[i].s)
			j++;
		double rank = (i + 1 + j) / 2.0, pos = 0;
		for (int k = i; k < j; k++)
			pos += v[k].y > 0.5;
		rank_sum += rank * pos;
		i = j;
	}
	free(v);
	if (npos == 0 || nneg == 0)
		return NAN;
	return (rank_sum - npos * (npos + 1) / 2) / (npos * nneg);
}

void predict_calibration(const double *p, const double *y, int n, int nbins,
			 int *count, double *mean_p, double *observed)
{
	for (int b = 0; b < nbins; b++) {
		count[b] = 0;
		mean_p[b] = observed[b] = 0;
	}
	for (int i = 0; i < n; i++) {
		int b = (int)(p[i] * nbins);
		b = b < 0 ? 0 : b >= nbins ? nbins - 1 : b;
		count[b]++;
		mean_p[b] += p[i];
		observed[b] += y[i] > 0.5;
	}
	for (int b = 0; b < nbins; b++) {
		mean_p[b] = count[b] ? mean_p[b] / count[b] : NAN;
		observed[b] = count[b] ? observed[b] / count[b] : NAN;
	}
}
