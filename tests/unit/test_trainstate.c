/* The resume state of a training (run/trainstate.h): written into a
 * checkpoint and restored into a fresh trainer, it gives back the
 * parameters, the optimiser's moments and step, the batch order and the
 * step, so that both trainers then take the same updates bit for bit;
 * a checkpoint without it, or of another configuration, is refused. */
#include "run_fixture.h"
#include "run/trainstate.h"

/* Writes one checkpoint of t (with state unless policy says none) to a
 * temporary file and reads it back; the reader holds the checkpoint. */
static struct traj_reader *round_trip(struct trainer *t, FILE *f,
				      const struct traj_write_opts *wo)
{
	struct traj_error err;
	struct traj_writer *w = trainer_writer_open(t, f, wo, &err);
	CHECK(w != NULL);
	CHECK(trainer_checkpoint(t, w, &err) == 0);
	CHECK(stream_writer_close(w, &err) == 0);
	rewind(f);
	struct traj_reader *r = stream_reader_open(f, NULL, NULL, &err);
	CHECK(r != NULL);
	int rec;
	while ((rec = stream_read_next(r, &err)) > 0 && rec != TRAJ_REC_CKPT)
		;
	CHECK(rec == TRAJ_REC_CKPT);
	return r;
}

static int same_floats(const float *a, const float *b, size_t n)
{
	return memcmp(a, b, n * sizeof *a) == 0;
}

static void test_round_trip_continues_bit_identically(void)
{
	struct run_plan p;
	struct trainer a, b;
	small_plan(&p, 20);
	CHECK(trainer_init(&a, &p.rc, NULL) == 0);
	for (int i = 0; i < 7; i++) /* mid-epoch: 35 draws of 24 examples */
		CHECK(trainer_step(&a, NULL) == 0);
	FILE *f = tmpfile();
	struct traj_reader *r = round_trip(&a, f, &p.wopts);
	CHECK(trainer_init(&b, &p.rc, NULL) == 0);
	CHECK(trainstate_restore(&b, stream_reader_ckpt(r), NULL) == 0);
	size_t n = a.model->nparams;
	CHECK(b.step == 7 && b.opt.t == a.opt.t && b.last_loss == a.last_loss);
	CHECK(same_floats(a.model->params, b.model->params, n));
	CHECK(same_floats(a.opt.m, b.opt.m, n) && same_floats(a.opt.v, b.opt.v, n));
	CHECK(b.perm_pos == a.perm_pos &&
	      memcmp(a.perm, b.perm, (size_t)a.data.train.n * sizeof *a.perm) == 0);
	for (int i = 0; i < 13; i++) {
		CHECK(trainer_step(&a, NULL) == 0 && trainer_step(&b, NULL) == 0);
		float la = a.last_loss, lb = b.last_loss;
		CHECK(memcmp(&la, &lb, sizeof la) == 0);
	}
	CHECK(same_floats(a.model->params, b.model->params, n));
	stream_reader_free(r);
	fclose(f);
	trainer_free(&a);
	trainer_free(&b);
	run_config_free(&p.rc);
}

static void test_checkpoint_without_state_is_refused(void)
{
	struct run_plan p;
	struct trainer a, b;
	struct traj_error err;
	small_plan(&p, 20);
	p.rc.train.state = STATE_NONE;
	CHECK(trainer_init(&a, &p.rc, NULL) == 0);
	CHECK(trainer_step(&a, NULL) == 0);
	FILE *f = tmpfile();
	struct traj_reader *r = round_trip(&a, f, &p.wopts);
	CHECK(stream_ckpt_find(stream_reader_ckpt(r), "optim/step") == NULL);
	CHECK(trainer_init(&b, &p.rc, NULL) == 0);
	CHECK(trainstate_restore(&b, stream_reader_ckpt(r), &err) < 0);
	CHECK(err.status == TRAJ_EDATA);
	stream_reader_free(r);
	fclose(f);
	trainer_free(&a);
	trainer_free(&b);
	run_config_free(&p.rc);
}

/* The state of a wider model does not fit: refused, not half applied. */
static void test_state_of_another_model_is_refused(void)
{
	struct run_plan p, q;
	struct trainer a, b;
	struct traj_error err;
	small_plan(&p, 20);
	run_plan_default(&q);
	q.rc.task.p = 7;
	q.mlp.width = 9;
	q.rc.train.batch = 5;
	CHECK(run_plan_finish(&q, NULL) == 0);
	CHECK(trainer_init(&a, &p.rc, NULL) == 0);
	CHECK(trainer_step(&a, NULL) == 0);
	FILE *f = tmpfile();
	struct traj_reader *r = round_trip(&a, f, &p.wopts);
	CHECK(trainer_init(&b, &q.rc, NULL) == 0);
	CHECK(trainstate_restore(&b, stream_reader_ckpt(r), &err) < 0);
	CHECK(err.status == TRAJ_EDATA);
	stream_reader_free(r);
	fclose(f);
	trainer_free(&a);
	trainer_free(&b);
	run_config_free(&p.rc);
	run_config_free(&q.rc);
}

int main(void)
{
	RUN(test_round_trip_continues_bit_identically);
	RUN(test_checkpoint_without_state_is_refused);
	RUN(test_state_of_another_model_is_refused);
	return harness_done();
}
