/* What the training tests share (test_resume.c, test_trainstate.c,
 * test_autockpt.c): a small run (modadd p 7, an MLP of 8 units, batches
 * of 5 so the batch order is part of the state) planned as traj-train
 * plans it, trained into a file. */
#ifndef TRAJ_RUN_FIXTURE_H
#define TRAJ_RUN_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "harness.h"
#include "run/runplan.h"
#include "run/trainer.h"
#include "run/trainloop.h"

static void small_plan(struct run_plan *p, int64_t steps)
{
	openblas_set_num_threads(1); /* the bits depend on the thread count */
	run_plan_default(p);
	p->rc.task.p = 7;
	p->mlp.width = 8;
	p->lr = 0.05;
	p->rc.train.steps = steps;
	p->rc.train.batch = 5;
	p->rc.train.every = 2;
	p->rc.train.threads = 1;
	p->wopts.key_every = 3;
	CHECK(run_plan_finish(p, NULL) == 0);
}

/* Trains the planned run into `path`; returns the checkpoints written. */
static int64_t train_to_file(struct run_plan *p, const char *path)
{
	struct trainer t;
	struct trainer_loop loop = {0};
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK(trainer_init(&t, &p->rc, NULL) == 0);
	struct traj_writer *w = trainer_writer_open(&t, f, &p->wopts, NULL);
	CHECK(w != NULL);
	CHECK(trainer_run(&t, w, &loop, NULL) == 0);
	CHECK(stream_writer_close(w, NULL) == 0);
	trainer_free(&t);
	CHECK(fclose(f) == 0);
	return loop.ckpts;
}

/* The whole file, NUL-terminated; *len its length. */
static char *slurp(const char *path, long *len)
{
	FILE *f = fopen(path, "rb");
	CHECK(f != NULL);
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)*len + 1);
	CHECK(fread(buf, 1, (size_t)*len, f) == (size_t)*len);
	fclose(f);
	return buf;
}

static void spill(const char *path, const char *buf, long len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(buf, 1, (size_t)len, f) == (size_t)len);
	CHECK(fclose(f) == 0);
}

/* A path under $TMPDIR (or /tmp) unique to this process. */
static const char *tmp_path(const char *name)
{
	static char buf[8][512];
	static int next;
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *p = buf[next++ % 8];
	snprintf(p, sizeof buf[0], "%s/traj-test-%ld-%s", dir, (long)getpid(), name);
	return p;
}

#endif
