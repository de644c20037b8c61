/* Element encodings of the checkpoint stream (formats/traj-stream.md,
 * section "Encodings"). All of them are lossless and bit-exact: NaN
 * payloads, -0.0 and denormals survive. They work on whole elements of
 * `esize` bytes (1, 2, 4 or 8), little-endian in memory and in the stream.
 *
 * `ref1` is the same tensor in the previous checkpoint, `ref0` the one
 * before it (NULL when absent). XOR needs ref1; PRED2 needs ref1 and
 * predicts linearly when ref0 is also given, else from ref1 alone. */
#ifndef TRAJ_ENCODE_H
#define TRAJ_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "format/stream.h"
#include "common/tensor.h"

/* Whether an encoding reads earlier checkpoints. */
int stream_encoding_needs_ref(enum traj_encoding enc);

/* Whether pred2 (extrapolation from ref1 and ref0) is expected to compress
 * better than delta (ref1 alone), judged on a sample of the elements.
 * Checkpoints far apart, or early in training, often extrapolate worse. */
int stream_pred2_beats_delta(enum traj_dtype dtype, size_t n, const void *cur,
		      const void *ref1, const void *ref0);

/* Encodes n elements of `cur` into `out` (n * dtype_size bytes each). */
void stream_encode_elements(enum traj_encoding enc, enum traj_dtype dtype, size_t n,
		     const void *cur, const void *ref1, const void *ref0,
		     void *out);
/* The inverse of encode_elements: `in` back into `out`. */
void stream_decode_elements(enum traj_encoding enc, enum traj_dtype dtype, size_t n,
		     const void *in, const void *ref1, const void *ref0,
		     void *out);

#endif
