/* Resuming a training from its own output file (traj-train --resume):
 * find the last complete checkpoint of the last run, drop what follows
 * it (a torn tail, or the closing `end` record), and optionally give the
 * run record a new step count. The engine behind --resume; never prints. */
#ifndef TRAJ_RESUME_H
#define TRAJ_RESUME_H

#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#include "common/error.h"
#include "format/stream.h"

/* A tensor every checkpoint with resume state holds (trainstate.h). */
#define RESUME_STATE_MARK "optim/step"

struct resume_point {
	struct traj_reader *r;  /* holds the last complete checkpoint and the
				   reference window (stream_writer_resume) */
	const cJSON *run;       /* the last run's record (owned by r) */
	int64_t run_at;         /* byte offset of that run record */
	int64_t run_end;        /* and of the byte after it */
	int64_t cut;            /* byte after its last complete checkpoint
				   that carries the resume state */
	int64_t size;           /* bytes in the file */
	int64_t key_cut;        /* byte after its last key checkpoint with
				   state, or -1 */
	int ended;              /* the run's `end` record is there */
	int torn;               /* the file ends inside a record/checkpoint */
};

/* Reads the whole stream `f`. Fails with TRAJ_EDATA for invalid data
 * anywhere (a damaged file is not silently cut short) or when the last
 * run has no complete checkpoint with resume state; a truncated tail is
 * fine. Checkpoints after the last one with state are cut: training
 * replays them bit for bit. */
int resume_scan(FILE *f, struct resume_point *p, struct traj_error *err);
/* Reads `f` again from the start up to byte `cut` (the end of a
 * checkpoint with state, such as p->key_cut), which becomes p->cut. */
int resume_rescan(FILE *f, struct resume_point *p, int64_t cut,
		  struct traj_error *err);
void resume_point_free(struct resume_point *p);

/* Whether `path` is a regular file that begins with a run record: a run
 * that --resume continues, or a finished one, which a new run must not
 * silently replace. */
int resume_file_holds_run(const char *path);

/* Cuts the file after the last complete checkpoint, leaving `f`
 * positioned there for appending. */
int resume_truncate(FILE *f, const struct resume_point *p,
		    struct traj_error *err);
/* Replaces the file at `path` (read through `f`) by: what precedes the
 * last run record, a record holding `run` (the full JSON object, with
 * "type" and "version"), and the checkpoints of that run up to the cut;
 * through a temporary file and rename. Returns the new file opened for
 * appending, positioned at its end, or NULL. */
FILE *resume_rewrite(FILE *f, const char *path, const struct resume_point *p,
		     const cJSON *run, struct traj_error *err);

#endif
