/* The safetensors format (Hugging Face): an 8-byte little-endian header
 * length N, N bytes of a JSON object {"NAME": {"dtype": "F32", "shape":
 * [2, 3], "data_offsets": [BEGIN, END]}, ..., "__metadata__": {string:
 * string}}, then the data; offsets are relative to the end of the header.
 * Written with the header padded with spaces to a multiple of 8 bytes and
 * the tensors in the order given, as torch's safetensors.torch.load_file
 * reads. */
#ifndef TRAJ_SAFETENSORS_H
#define TRAJ_SAFETENSORS_H

#include <stddef.h>
#include <stdio.h>

#include "common/error.h"
#include "common/tensor.h"

/* `meta` (may be NULL) is a list of key, value strings ending in NULL. */
int safetensors_write(FILE *out, const struct traj_tensor *t, int n,
		      const char *const *meta, struct traj_error *err);

/* Called for each tensor (borrowing buf's bytes: t->borrowed is set);
 * returns 0 to go on, -1 (err set) to stop. */
typedef int (*st_visit)(const struct traj_tensor *t, void *ctx,
			struct traj_error *err);
/* Parses a whole file in buf[0 .. len), then visits its tensors in the
 * header's order. Refuses, as the reference reader does, a header that
 * is not such JSON (jsontext's checks: UTF-8, no \u0000, exact numbers),
 * bytes after its object other than the padding, a key twice,
 * __metadata__ other than strings, offsets outside the data, sizes that
 * disagree with the shape, and data not covered exactly once (a gap, an
 * overlap, bytes after the last tensor). Returns 0, or -1 with err set
 * (TRAJ_EDATA, byte offsets into buf). */
int safetensors_read(const unsigned char *buf, size_t len, st_visit visit,
		     void *ctx, struct traj_error *err);

/* Sets *out to the string value of `key` in the header's __metadata__
 * (a new string), or NULL when absent. Returns 0, or -1 with err set when
 * the header is malformed (the checks of safetensors_read on the header). */
int safetensors_metadata(const unsigned char *buf, size_t len, const char *key,
			 char **out, struct traj_error *err);

#endif
