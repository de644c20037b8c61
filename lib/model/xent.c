#include "model/xent.h"

#include <math.h>

#include "common/vecops.h"

static float row_max(const float *z, int c)
{
	float mx = z[0];
	for (int i = 1; i < c; i++)
		mx = z[i] > mx ? z[i] : mx;
	return mx;
}

double xent_row(const float *z, int c, int y)
{
	float mx = row_max(z, c);
	double sum = 0.0;
	for (int i = 0; i < c; i++)
		sum += expf(z[i] - mx);
	return (double)mx + log(sum) - (double)z[y];
}

double xent_row_grad(float *z, int c, int y, float scale)
{
	float mx = row_max(z, c);
	double zy = z[y];
	float sum = 0.0f;
	for (int i = 0; i < c; i++) {
		z[i] = expf(z[i] - mx);
		sum += z[i];
	}
	vec_scale(c, z, scale / sum);
	z[y] -= scale;
	return (double)mx + log((double)sum) - zy;
}

int xent_argmax(const float *z, int c)
{
	int best = 0;
	for (int i = 1; i < c; i++)
		if (z[i] > z[best])
			best = i;
	return best;
}
