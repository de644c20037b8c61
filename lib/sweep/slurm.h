/* A Slurm array job for a sweep: array task i runs the (i+1)-th run id
 * of the plan's id list with `traj sweep job`, which resumes or skips as
 * the run's files say, so a requeued or repeated task is harmless. */
#ifndef TRAJ_SWEEP_SLURM_H
#define TRAJ_SWEEP_SLURM_H

#include <stdio.h>

struct sweep_slurm {
	const char *sweep;      /* absolute path of traj-sweep */
	const char *dir;        /* absolute sweep directory */
	const char *ids;        /* absolute path of the id list */
	int n;                  /* array size */
	int throttle;           /* at most this many tasks at once; 0: no limit */
	const char *time;       /* --time, or NULL */
	const char *mem;        /* --mem, or NULL */
	const char *partition;  /* --partition, or NULL */
	const char *account;    /* --account, or NULL */
};

/* Writes the job script; returns 0, or -1 if a value would break the
 * script (a quote or newline in a path or option). */
int sweep_slurm_script(FILE *out, const struct sweep_slurm *j);

#endif
