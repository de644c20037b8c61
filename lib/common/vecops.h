/* Element-wise float loops written as fixed 16-float blocks plus a tail.
 * GCC and Clang vectorize a constant-trip inner loop at -O2, where a plain
 * loop of unknown length needs -O3; restrict rules out the aliasing checks.
 * Each function works on one row (H or C floats), which stays in L1. */
#ifndef TRAJ_VECOPS_H
#define TRAJ_VECOPS_H

#define VEC_BLOCK 16

/* y += x */
static inline void vec_add(int n, float *restrict y, const float *restrict x)
{
	int j = 0;
	for (; j + VEC_BLOCK <= n; j += VEC_BLOCK)
		for (int k = 0; k < VEC_BLOCK; k++)
			y[j + k] += x[j + k];
	for (; j < n; j++)
		y[j] += x[j];
}

/* y *= a */
static inline void vec_scale(int n, float *restrict y, float a)
{
	int j = 0;
	for (; j + VEC_BLOCK <= n; j += VEC_BLOCK)
		for (int k = 0; k < VEC_BLOCK; k++)
			y[j + k] *= a;
	for (; j < n; j++)
		y[j] *= a;
}

/* y = max(y, 0), in place */
static inline void vec_relu(int n, float *restrict y)
{
	int j = 0;
	for (; j + VEC_BLOCK <= n; j += VEC_BLOCK)
		for (int k = 0; k < VEC_BLOCK; k++)
			y[j + k] = y[j + k] > 0.0f ? y[j + k] : 0.0f;
	for (; j < n; j++)
		y[j] = y[j] > 0.0f ? y[j] : 0.0f;
}

/* d = x > 0 ? d : 0, the relu backward */
static inline void vec_relu_grad(int n, const float *restrict x,
				 float *restrict d)
{
	int j = 0;
	for (; j + VEC_BLOCK <= n; j += VEC_BLOCK)
		for (int k = 0; k < VEC_BLOCK; k++)
			d[j + k] = x[j + k] > 0.0f ? d[j + k] : 0.0f;
	for (; j < n; j++)
		d[j] = x[j] > 0.0f ? d[j] : 0.0f;
}

/* y += x > 0 ? d : 0: the relu backward of d added to y */
static inline void vec_add_relu_grad(int n, float *restrict y,
				     const float *restrict x,
				     const float *restrict d)
{
	int j = 0;
	for (; j + VEC_BLOCK <= n; j += VEC_BLOCK)
		for (int k = 0; k < VEC_BLOCK; k++) {
			float v = d[j + k]; /* loaded always: no branch */
			y[j + k] += x[j + k] > 0.0f ? v : 0.0f;
		}
	for (; j < n; j++)
		y[j] += x[j] > 0.0f ? d[j] : 0.0f;
}

/* y = max((a + b) + c, 0), or max(a + b, 0) without c: two rows of a
 * one-hot layer, its bias and relu in one pass */
static inline void vec_add2_relu(int n, float *restrict y,
				 const float *restrict a,
				 const float *restrict b,
				 const float *restrict c)
{
	int j = 0;
	if (c) {
		for (; j + VEC_BLOCK <= n; j += VEC_BLOCK)
			for (int k = 0; k < VEC_BLOCK; k++) {
				float v = (a[j + k] + b[j + k]) + c[j + k];
				y[j + k] = v > 0.0f ? v : 0.0f;
			}
		for (; j < n; j++) {
			float v = (a[j] + b[j]) + c[j];
			y[j] = v > 0.0f ? v : 0.0f;
		}
		return;
	}
	for (; j + VEC_BLOCK <= n; j += VEC_BLOCK)
		for (int k = 0; k < VEC_BLOCK; k++) {
			float v = a[j + k] + b[j + k];
			y[j + k] = v > 0.0f ? v : 0.0f;
		}
	for (; j < n; j++) {
		float v = a[j] + b[j];
		y[j] = v > 0.0f ? v : 0.0f;
	}
}

/* y = x^2 */
static inline void vec_square(int n, const float *restrict x,
			      float *restrict y)
{
	int j = 0;
	for (; j + VEC_BLOCK <= n; j += VEC_BLOCK)
		for (int k = 0; k < VEC_BLOCK; k++)
			y[j + k] = x[j + k] * x[j + k];
	for (; j < n; j++)
		y[j] = x[j] * x[j];
}

/* d *= 2x, the square backward */
static inline void vec_square_grad(int n, const float *restrict x,
				   float *restrict d)
{
	int j = 0;
	for (; j + VEC_BLOCK <= n; j += VEC_BLOCK)
		for (int k = 0; k < VEC_BLOCK; k++)
			d[j + k] *= 2.0f * x[j + k];
	for (; j < n; j++)
		d[j] *= 2.0f * x[j];
}

#endif
