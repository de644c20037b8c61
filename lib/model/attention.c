/* Plain loops: in the models traj trains T is small (3 for modular
 * arithmetic, tens for the sequence tasks), so the score and mix products
 * are a small part of a step next to the projections done with BLAS. */
#include "model/attention.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

static float dot(int e, const float *a, const float *b)
{
	float s = 0.0f;
	for (int i = 0; i < e; i++)
		s += a[i] * b[i];
	return s;
}

static void axpy(int e, float a, const float *x, float *y)
{
	for (int i = 0; i < e; i++)
		y[i] += a * x[i];
}

/* Offsets (in floats) of query i's and key j's rows of example b. */
static size_t q_off(const struct attn_dims *d, const struct attn_rows *rows,
		    int b, int i)
{
	size_t r = (size_t)b * d->P + i;
	return (rows ? (size_t)rows->q[r] : r) * d->H * d->E;
}

static size_t kv_off(const struct attn_dims *d, const struct attn_rows *rows,
		     int b, int j)
{
	size_t r = (size_t)b * d->T + j;
	return (rows ? (size_t)rows->kv[r] : r) * d->H * d->E;
}

void attention_scores(const struct attn_dims *d, const struct attn_rows *rows,
		      int n, const float *q, const float *k, float *scores)
{
	int T = d->T, P = d->P, H = d->H, E = d->E;
	float scale = 1.0f / sqrtf((float)E);
	for (int b = 0; b < n; b++)
		for (int i = 0; i < P; i++) {
			size_t qo = q_off(d, rows, b, i);
			int last = T - P + i;
			for (int h = 0; h < H; h++) {
				float *row = scores + (((size_t)b * H + h) * P + i) * T;
				for (int j = 0; j < T; j++)
					row[j] = j <= last ? scale * dot(E, q + qo + h * E,
						k + kv_off(d, rows, b, j) + h * E)
						: -INFINITY;
			}
		}
}

void attention_softmax(const struct attn_dims *d, int n, float *scores)
{
	int T = d->T;
	size_t nrows = (size_t)n * d->H * d->P;
	for (size_t r = 0; r < nrows; r++) {
		float *row = scores + r * T;
		float mx = row[0];
		for (int j = 1; j < T; j++)
			mx = row[j] > mx ? row[j] : mx;
		float sum = 0.0f;
		for (int j = 0; j < T; j++) {
			row[j] = row[j] == -INFINITY ? 0.0f : expf(row[j] - mx);
			sum += row[j];
		}
		for (int j = 0; j < T; j++)
			row[j] /= sum;
	}
}

void attention_mix(const struct attn_dims *d, const struct attn_rows *rows,
		   int n, const float *pattern, const float *v, float *z)
{
	int T = d->T, P = d->P, H = d->H, E = d->E, HE = H * E;
	memset(z, 0, (size_t)n * P * HE * sizeof *z);
	for (int b = 0; b < n; b++)
		for (int i = 0; i < P; i++) {
			float *zi = z + ((size_t)b * P + i) * HE;
			for (int j = 0; j <= T - P + i; j++) {
				const float *vj = v + kv_off(d, rows, b, j);
				for (int h = 0; h < H; h++)
					axpy(E, pattern[(((size_t)b * H + h) * P + i) * T + j],
					     vj + h * E, zi + h * E);
			}
		}
}

/* One query row of one head, whose slices start `ho` floats into each
 * row: dp_j = dz . v_j and dv_j += p_j dz; the softmax backward
 * ds_j = p_j (dp_j - sum_k p_k dp_k); then dq += ds_j k_j / sqrt(E) and
 * dk_j += ds_j q / sqrt(E). */
struct kv_rows { const float *k[ATTN_MAX_CTX], *v[ATTN_MAX_CTX];
		 float *dk[ATTN_MAX_CTX], *dv[ATTN_MAX_CTX]; };

static void backward_row(int last, int E, size_t ho, float scale,
			 const float *p, const float *q, const float *dz,
			 const struct kv_rows *kv, float *dq)
{
	float ds[ATTN_MAX_CTX];
	float wsum = 0.0f;
	for (int j = 0; j <= last; j++) {
		ds[j] = dot(E, dz, kv->v[j] + ho);
		wsum += p[j] * ds[j];
		axpy(E, p[j], dz, kv->dv[j] + ho);
	}
	for (int j = 0; j <= last; j++) {
		float g = p[j] * (ds[j] - wsum) * scale;
		axpy(E, g, kv->k[j] + ho, dq);
		axpy(E, g, q, kv->dk[j] + ho);
	}
}

void attention_backward(const struct attn_dims *d,
			const struct attn_rows *rows, int n, const float *q,
			const float *k, const float *v, const float *pattern,
			const float *dz, float *dq, float *dk, float *dv)
{
	int T = d->T, P = d->P, H = d->H, E = d->E, HE = H * E;
	float scale = 1.0f / sqrtf((float)E);
	static _Thread_local struct kv_rows kv; /* 128 KiB: not on the stack */
	for (int b = 0; b < n; b++) {
		for (int j = 0; j < T; j++) {
			size_t o = kv_off(d, rows, b, j);
			kv.k[j] = k + o;
			kv.v[j] = v + o;
			kv.dk[j] = dk + o;
			kv.dv[j] = dv + o;
		}
		for (int i = 0; i < P; i++) {
			size_t qo = q_off(d, rows, b, i);
			size_t zo = ((size_t)b * P + i) * HE;
			for (int h = 0; h < H; h++) {
				size_t ho = (size_t)h * E;
				const float *p = pattern + (((size_t)b * H + h) * P + i) * T;
				backward_row(T - P + i, E, ho, scale, p,
					     q + qo + ho, dz + zo + ho, &kv,
					     dq + qo + ho);
			}
		}
	}
}
