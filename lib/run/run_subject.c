#include "run/run_subject.h"

#include <stdlib.h>
#include <string.h>

void run_subject_free(struct run_subject *s)
{
	if (!s->ready)
		return;
	model_free(s->model);
	if (s->have_data)
		task_dataset_free(&s->data);
	run_config_free(&s->rc);
	s->ready = 0;
	s->have_data = 0;
}

int run_subject_setup(struct run_subject *s, const cJSON *run, int with_data,
		      int batch, struct traj_error *err)
{
	s->step = -1;
	if (run_from_json(run, &s->rc, err) < 0)
		return -1;
	s->model = model_from_json(s->rc.model, batch, err);
	if (!s->model) {
		run_config_free(&s->rc);
		return -1;
	}
	s->ready = 1;
	if (with_data && task_dataset_build(&s->rc.task, &s->data, err) < 0)
		return -1;
	s->have_data = with_data;
	return 0;
}

struct batch run_subject_batch(const struct run_subject *s, int train,
			       int64_t limit)
{
	struct batch b = task_split_batch(train ? &s->data.train : &s->data.test);
	if (limit > 0 && limit < b.n)
		b.n = (int)limit;
	return b;
}

int run_subject_same_model(const struct run_subject *a,
			   const struct run_subject *b)
{
	char *x = cJSON_PrintUnformatted(a->rc.model);
	char *y = cJSON_PrintUnformatted(b->rc.model);
	int same = x && y && strcmp(x, y) == 0;
	free(x);
	free(y);
	return same;
}

int run_subject_same_task(const struct run_subject *a,
			  const struct run_subject *b)
{
	cJSON *x = task_to_json(&a->rc.task), *y = task_to_json(&b->rc.task);
	int same = x && y && cJSON_Compare(x, y, 1);
	cJSON_Delete(x);
	cJSON_Delete(y);
	return same;
}

/* At a run record: one run per stream. */
static int setup_once(struct run_subject *s, const cJSON *run, int with_data,
		      int batch, struct traj_error *err)
{
	if (s->ready)
		return traj_fail(err, TRAJ_EDATA, -1, "several runs in one "
				 "stream; select one with traj-snapshot");
	return run_subject_setup(s, run, with_data, batch, err);
}

/* Whether the checkpoint at `step` is the one `want` names, given what
 * s holds so far. */
static int wanted(const struct run_subject *s, int64_t want, int64_t step)
{
	return want >= 0 ? step == want :
	       want == RUN_STEP_FIRST ? s->step < 0 : 1;
}

/* Whether s holds the checkpoint `want` names for good. */
static int found(const struct run_subject *s, int64_t want)
{
	return want >= 0 ? s->step == want :
	       want == RUN_STEP_FIRST ? s->step >= 0 : 0;
}

static int load_if(struct run_subject *s, const struct traj_ckpt *c,
		   int64_t want, struct traj_error *err)
{
	if (!wanted(s, want, c->step))
		return 0;
	if (model_load(s->model, c->tensors, c->ntensors, err) < 0)
		return -1;
	s->step = c->step;
	return 0;
}

/* The missing checkpoint, if one is: first..last are the steps read. */
static int check_found(const struct run_subject *s, int64_t step,
		       const struct run_subject *other, int64_t other_step,
		       int64_t first, int64_t last, struct traj_error *err)
{
	if (s->step >= 0 && (!other || other->step >= 0))
		return 0;
	int64_t missing = s->step < 0 ? step : other_step;
	if (last < 0 || missing < 0)
		return traj_fail(err, TRAJ_EDATA, -1, "no checkpoint");
	return traj_fail(err, TRAJ_EDATA, -1, "no checkpoint at step %lld "
			 "(steps %lld..%lld)", (long long)missing,
			 (long long)first, (long long)last);
}

int run_subject_read(struct traj_reader *r, const struct run_load *want,
		     struct run_subject *s, struct run_subject *other,
		     struct traj_error *err)
{
	int rec = 0, rc = 0;
	int64_t first = -1, last = -1, step = want->step;
	s->step = -1;
	if (other)
		other->step = -1;
	while (rc == 0 && (rec = stream_read_next(r, err)) > 0) {
		if (rec == TRAJ_REC_RUN) {
			const cJSON *run = stream_reader_run(r);
			rc = setup_once(s, run, want->with_data, want->batch, err);
			if (rc == 0 && other)
				rc = setup_once(other, run, 0, want->batch, err);
			continue;
		}
		if (rec != TRAJ_REC_CKPT)
			continue;
		const struct traj_ckpt *c = stream_reader_ckpt(r);
		first = first < 0 ? c->step : first;
		last = c->step;
		rc = load_if(s, c, step, err);
		if (rc == 0 && other)
			rc = load_if(other, c, want->other_step, err);
		if (found(s, step) && (!other || found(other, want->other_step)))
			break;
	}
	if (rc < 0 && err->offset < 0)
		err->offset = stream_reader_offset(r);
	if (rc < 0 || rec < 0)
		return -1;
	return check_found(s, step, other, want->other_step, first, last, err);
}

int run_subject_next(struct traj_reader *r, struct run_subject *s,
		     int with_data, int batch, struct traj_error *err)
{
	int rec;
	while ((rec = stream_read_next(r, err)) > 0) {
		if (rec == TRAJ_REC_CKPT)
			return 1;
		if (rec == TRAJ_REC_RUN &&
		    setup_once(s, stream_reader_run(r), with_data, batch,
			       err) < 0) {
			if (err->offset < 0)
				err->offset = stream_reader_offset(r);
			return -1;
		}
	}
	return rec < 0 ? -1 : 0;
}

int run_subject_load(struct traj_reader *r, struct run_subject *s,
		     struct traj_error *err)
{
	if (load_if(s, stream_reader_ckpt(r), -1, err) < 0) {
		if (err->offset < 0)
			err->offset = stream_reader_offset(r);
		return -1;
	}
	return 0;
}
