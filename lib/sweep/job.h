/* One run of a sweep, done so that it can be interrupted at any moment
 * (kill -9) and started again, by any number of workers (GNU parallel,
 * Slurm array tasks, requeued tasks), with the same result as one
 * uninterrupted run: a lock per run, `traj train --resume` for a stream
 * already begun, markers written atomically once the work they record
 * is on disk. */
#ifndef TRAJ_SWEEP_JOB_H
#define TRAJ_SWEEP_JOB_H

#include <stddef.h>

#include "common/error.h"

enum sweep_job_result {
	SWEEP_JOB_DONE,      /* trained and scored now */
	SWEEP_JOB_RESUMED,   /* an interrupted stream continued, then scored */
	SWEEP_JOB_FINISHED,  /* found done or failed before: nothing to do */
	SWEEP_JOB_FAILED,    /* the trainer refused or failed: runs/ID.failed */
};

struct sweep_tools {
	const char *train;   /* path of traj-train */
	const char *score;   /* path of traj-score */
};

/* Runs configuration `id` of sweep directory `dir` (runs/ID.cfg): trains
 * into runs/ID.traj (log in runs/ID.log), scores it into runs/ID.tsv,
 * then writes runs/ID.done; a failure writes runs/ID.failed with the
 * trainer's last error line (also copied to `why`). Returns 0 with *res
 * set, or -1 with err set when the job itself cannot proceed. */
int sweep_job_run(const char *dir, const char *id, const struct sweep_tools *t,
		  enum sweep_job_result *res, char *why, size_t whylen,
		  struct traj_error *err);

/* The state of a run from its markers: "done", "failed", "running"
 * (locked), "interrupted" (a stream and no marker), "pending". */
const char *sweep_job_state(const char *dir, const char *id);

#endif
