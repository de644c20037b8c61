/* Conversions between f32 and the 16-bit float formats, and reading any
 * float dtype as f32 or f64 for analysis. f32 -> f16/bf16 rounds to
 * nearest, ties to even; NaN stays NaN (quiet), infinities stay, f16
 * overflow gives infinity and underflow gives subnormals or zero, as
 * IEEE 754 conversion does (and numpy's astype, and torch's .to). */
#ifndef TRAJ_HALFPREC_H
#define TRAJ_HALFPREC_H

#include <stddef.h>
#include <stdint.h>

#include "common/tensor.h"

uint16_t half_f32_to_bf16(float x);
float half_bf16_to_f32(uint16_t h);
uint16_t half_f32_to_f16(float x);
float half_f16_to_f32(uint16_t h);

/* Whether a dtype is a float type (f16, bf16, f32, f64). */
int dtype_is_float(enum traj_dtype d);
/* Element i of a float tensor's data as a double. */
double tensor_get_f64(const void *data, enum traj_dtype d, size_t i);
/* Converts n floats from f32 to `to` (f16, bf16 or f32). */
void dtype_convert_f32(const float *in, size_t n, enum traj_dtype to, void *out);

#endif
