/* A whole file in memory, for formats that are read by offsets from the
 * end or from a header (zip, safetensors, npy). */
#ifndef TRAJ_FILEBUF_H
#define TRAJ_FILEBUF_H

#include <stddef.h>

#include "common/error.h"

/* Reads all of `path` ("-" for stdin) into a new buffer, refusing more
 * than `limit` bytes. Returns 0, or -1 with err set (TRAJ_ENOINPUT when it
 * cannot be opened, TRAJ_EFAIL, TRAJ_EDATA over the limit, TRAJ_ENOMEM). */
int file_read_all(const char *path, size_t limit, unsigned char **buf,
		  size_t *len, struct traj_error *err);
/* The same, as a NUL-terminated string (*text, freed by the caller) of
 * *len bytes before the NUL, for line-based text files. */
int file_read_text(const char *path, size_t limit, char **text, size_t *len,
		   struct traj_error *err);

#endif
