#include "model/layernorm.h"

#include <math.h>
#include <stddef.h>

void layernorm_forward(int rows, int d, const float *x, const float *w,
		       const float *b, float *y, float *stats)
{
	for (int r = 0; r < rows; r++) {
		const float *xr = x + (size_t)r * d;
		float *yr = y + (size_t)r * d;
		double sum = 0.0, sq = 0.0;
		for (int j = 0; j < d; j++)
			sum += xr[j];
		float mean = (float)(sum / d);
		for (int j = 0; j < d; j++)
			sq += (double)(xr[j] - mean) * (xr[j] - mean);
		float rstd = 1.0f / sqrtf((float)(sq / d) + LAYERNORM_EPS);
		for (int j = 0; j < d; j++)
			yr[j] = (xr[j] - mean) * rstd * w[j] + b[j];
		stats[2 * r] = mean;
		stats[2 * r + 1] = rstd;
	}
}

/* With xhat = (x - mean) * rstd and g = dy * w:
 * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)). */
void layernorm_backward(int rows, int d, const float *x, const float *stats,
			const float *w, const float *dy, float *dx, float *dw,
			float *db)
{
	for (int r = 0; r < rows; r++) {
		const float *xr = x + (size_t)r * d, *dyr = dy + (size_t)r * d;
		float *dxr = dx + (size_t)r * d;
		float mean = stats[2 * r], rstd = stats[2 * r + 1];
		double gsum = 0.0, gxsum = 0.0;
		for (int j = 0; j < d; j++) {
			float xhat = (xr[j] - mean) * rstd;
			float g = dyr[j] * w[j];
			gsum += g;
			gxsum += (double)g * xhat;
			dw[j] += dyr[j] * xhat;
			db[j] += dyr[j];
		}
		float gmean = (float)(gsum / d), gxmean = (float)(gxsum / d);
		for (int j = 0; j < d; j++) {
			float xhat = (xr[j] - mean) * rstd;
			dxr[j] += rstd * (dyr[j] * w[j] - gmean - xhat * gxmean);
		}
	}
}
