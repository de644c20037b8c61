/* Atomic file output: write to a temporary file in the destination's
 * directory, then rename it over the destination, so a reader (a cron
 * job, a concurrent ls) sees either the old file or the whole new one,
 * never a half-written one. */
#ifndef TRAJ_ATOMICFILE_H
#define TRAJ_ATOMICFILE_H

#include <stdio.h>

#include "common/error.h"

struct atomic_file {
	FILE *f;
	char *path;      /* the destination */
	char *tmp;       /* the temporary file beside it */
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
