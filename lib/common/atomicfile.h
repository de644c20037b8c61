/* Atomic file output: write to a temporary file in the destination's
 * directory, then rename it over the destination, so a reader (a cron
 * job, a concurrent ls) sees either the old file or the whole new one,
 * never a half-written one.
 *
 * Only a regular file or a new path is replaced that way, and a path is
 * never changed into something else: for a symbolic link the file at the
 * end of the link is replaced (the link stays); a FIFO, a device, a
 * directory, and the program's own descriptors (/dev/stdout, /dev/stderr,
 * /dev/fd/N, /proc/self/fd/N: a pipe, a `>(cmd)`, a file opened for
 * appending) are written through as they are. */
#ifndef TRAJ_ATOMICFILE_H
#define TRAJ_ATOMICFILE_H

#include <stdio.h>

#include "common/error.h"

struct atomic_file {
	FILE *f;
	char *path;      /* the destination (a link's target) */
	char *tmp;       /* the temporary file beside it; NULL: through */
	int through;     /* written into path as it is, no rename */
};

/* Creates the temporary file (mode 0666 & ~umask, like fopen). Returns
 * -1 with err set (TRAJ_ECREATE) on failure. */
int atomic_open(struct atomic_file *a, const char *path, struct traj_error *err);
/* Flushes, fsyncs, closes and renames; on failure removes the temporary
 * file and returns -1 with err set (TRAJ_EFAIL). */
int atomic_commit(struct atomic_file *a, struct traj_error *err);
/* Closes and removes the temporary file (after an error). */
void atomic_abort(struct atomic_file *a);

#endif
