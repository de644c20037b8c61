/* NumPy's .npy format, version 1.0 written, 1.0 to 3.0 read
 * (numpy.lib.format): the magic "\x93NUMPY", two version bytes, a
 * little-endian header length (2 bytes in 1.0, 4 in 2.0 and 3.0), a
 * Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape':
 * (2, 3), } padded with spaces and a newline so the data starts at a
 * multiple of 64 bytes, then the data, C order. bf16 has no NumPy dtype:
 * it is written as f32 (exactly). */
#ifndef TRAJ_NPY_H
#define TRAJ_NPY_H

#include <stddef.h>
#include <stdio.h>

#include "common/error.h"
#include "common/tensor.h"

/* Writes t as a whole .npy file. Returns 0, or -1 with err set. */
int npy_write(FILE *out, const struct traj_tensor *t, struct traj_error *err);
/* Bytes npy_write writes for t. */
size_t npy_size(const struct traj_tensor *t);

/* Parses a whole .npy file held in buf[0 .. len) into t (named `name`,
 * with its own copy of the data). Refuses a bad magic, an unknown version
 * or dtype, Fortran order, a shape that disagrees with the bytes present
 * (truncated or trailing data), and a header dict that numpy would read
 * otherwise or not at all: a key twice or unknown, bytes after the dict,
 * (3) as a shape, escapes, NUL or non-ASCII bytes. Returns 0, or -1 with err set
 * (TRAJ_EDATA, offsets into buf). */
int npy_parse(const unsigned char *buf, size_t len, const char *name,
	      struct traj_tensor *t, struct traj_error *err);

#endif
