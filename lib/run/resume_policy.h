/* The resume policy of traj-train --resume FILE: the run's configuration
 * and writer options come from FILE; only the step count (and the
 * threads) may change. FILE is cut after its last complete checkpoint
 * with resume state, and training replays what follows bit for bit, so
 * the result is the stream an uninterrupted run writes. With a new step
 * count the run record is rewritten and the replay starts from the last
 * key checkpoint, because the old last checkpoint then is an ordinary one
 * (without state unless it is a key). In two steps, so that the program
 * can set the threads between them: resume_begin reads FILE and decides,
 * resume_continue builds the trainer and opens the writer. */
#ifndef TRAJ_RESUME_POLICY_H
#define TRAJ_RESUME_POLICY_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "format/stream.h"
#include "run/resume.h"
#include "run/runmeta.h"
#include "run/trainer.h"

struct resume_session {
	const char *path;
	FILE *f;                     /* FILE, open for reading and writing */
	struct resume_point rp;
	struct run_config rc;        /* from FILE, with the new step count */
	struct traj_write_opts wopts;
	int64_t header_steps;        /* the step count FILE's header plans */
	const struct traj_ckpt *last; /* the checkpoint to continue from */
};

/* Reads FILE; steps >= 0 is a new last step (--steps). Returns 0, 1 when
 * the run is already complete at that step (s->last->step; nothing to
 * do), or -1 with err: TRAJ_ENOINPUT, TRAJ_EDATA for a damaged or lossy
 * stream or none to continue from, TRAJ_EUSAGE for a step count before
 * the last checkpoint ("--steps: ..."). */
int resume_begin(struct resume_session *s, const char *path, int64_t steps,
		 struct traj_error *err);
/* Pins the run's BLAS core if it was pinned (a CPU that cannot run it:
 * TRAJ_EDATA), builds the trainer from s->rc and restores its state,
 * cuts or rewrites FILE, and opens *w for appending to *out (FILE). */
int resume_continue(struct resume_session *s, struct trainer *t,
		    struct traj_writer **w, FILE **out, struct traj_error *err);
/* The output of a new run: standard output for NULL or "-", else `path`
 * created, unless it holds a run and not `force` (TRAJ_ECREATE: "'x'
 * holds a run: continue it with --resume, or replace it with --force"). */
FILE *resume_output_open(const char *path, int force, struct traj_error *err);
/* Frees what resume_begin and resume_continue hold but the output. */
void resume_session_free(struct resume_session *s);

#endif
