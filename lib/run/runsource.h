/* One checkpoint of another run, read from a file: the source of the
 * weights of `traj train --init-from`, of a mask (`--mask`), of the
 * weights `traj prune` prunes. The file's first run is read up to the
 * checkpoint asked for; its header is parsed (run_from_json). Never
 * prints. */
#ifndef TRAJ_RUNSOURCE_H
#define TRAJ_RUNSOURCE_H

#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#include "common/error.h"
#include "format/stream.h"
#include "run/runmeta.h"

struct run_source {
	const char *path;
	FILE *f;
	struct traj_reader *r;
	struct run_config rc;        /* the run's header */
	const cJSON *run;            /* the run record (the reader's) */
	const struct traj_ckpt *c;   /* the checkpoint asked for */
};

/* Opens `path` ("-": standard input) and reads its first run up to the
 * checkpoint at `step` (-1: the last one). Tensors whose name begins
 * with `skip` (NULL: none) are verified but not kept. Errors begin with
 * the path: TRAJ_ENOINPUT ("cannot open"), the reader's, TRAJ_EDATA for
 * a header that is not a run's, several runs, no checkpoint ("no
 * checkpoint at step 37 (steps 0..300)"). On error s holds nothing. */
int run_source_open(struct run_source *s, const char *path, int64_t step,
		    const char *skip, struct traj_error *err);
void run_source_close(struct run_source *s);

/* "STREAM[:STEP]": the path and the step (-1 when not given). The step
 * is the digits after the last ':'; a path with a ':' and no step must
 * end with ':' ("a:b.traj:" is a:b.traj's default step). -1 when STEP is
 * not a whole number of at most 18 digits. path receives at most len-1
 * bytes; -1 when it does not fit. */
int run_source_parse(const char *arg, char *path, size_t len, int64_t *step);

/* The first field of `what` ("model", "task") where two run headers
 * differ, as "model.width is 300 there, 200 here" (a is "there") into
 * buf; 0 when they are the same. */
int run_json_diff(const cJSON *a, const cJSON *b, const char *what,
		  char *buf, size_t len);

#endif
