/* Resuming a training from its own file (run/resume_policy.h): a run
 * cut anywhere (a torn tail, or after any checkpoint) and resumed ends
 * as the bit-identical file of an uninterrupted run, also when the
 * resumed run goes further than planned; a complete run is left alone;
 * a step count before the last checkpoint is a usage error. */
#include "run_fixture.h"
#include "run/resume_policy.h"

/* Resumes the run in `path` (steps -1: as planned); 1 if complete. */
static int resume(const char *path, int64_t steps)
{
	struct resume_session s;
	struct traj_error err;
	struct trainer t;
	struct traj_writer *w;
	FILE *out;
	int rc = resume_begin(&s, path, steps, &err);
	if (rc < 0)
		printf("# %s\n", err.msg);
	CHECK(rc >= 0);
	if (rc == 0) {
		CHECK(resume_continue(&s, &t, &w, &out, &err) == 0);
		struct trainer_loop loop = {.resumed = 1};
		CHECK(trainer_run(&t, w, &loop, &err) == 0);
		CHECK(stream_writer_close(w, &err) == 0);
		CHECK(fclose(out) == 0);
		trainer_free(&t);
	}
	resume_session_free(&s);
	return rc;
}

static void test_torn_file_resumes_bit_identically(void)
{
	struct run_plan p;
	const char *full = tmp_path("full.traj"), *cut = tmp_path("cut.traj");
	small_plan(&p, 24);
	train_to_file(&p, full);
	long len;
	char *want = slurp(full, &len);
	/* cuts inside the header's record would leave no run to resume */
	int tried = 0, same = 0;
	for (long at = len / 4; at < len; at += len / 23) {
		spill(cut, want, at);
		resume(cut, -1);
		long got_len;
		char *got = slurp(cut, &got_len);
		tried++;
		same += got_len == len && memcmp(got, want, (size_t)len) == 0;
		free(got);
	}
	CHECK(tried > 10 && same == tried);
	free(want);
	unlink(full);
	unlink(cut);
	run_config_free(&p.rc);
}

/* Stopped by a smaller step count, then continued to the full one: the
 * run record is rewritten and the replay starts from a key checkpoint. */
static void test_longer_run_is_the_uninterrupted_one(void)
{
	struct run_plan p, q;
	const char *full = tmp_path("long.traj"), *part = tmp_path("part.traj");
	small_plan(&p, 30);
	train_to_file(&p, full);
	small_plan(&q, 13);
	train_to_file(&q, part);
	CHECK(resume(part, 30) == 0);
	long a, b;
	char *want = slurp(full, &a), *got = slurp(part, &b);
	CHECK(a == b && memcmp(want, got, (size_t)a) == 0);
	free(want);
	free(got);
	unlink(full);
	unlink(part);
	run_config_free(&p.rc);
	run_config_free(&q.rc);
}

static void test_complete_run_is_left_alone(void)
{
	struct run_plan p;
	const char *path = tmp_path("done.traj");
	small_plan(&p, 10);
	train_to_file(&p, path);
	long a, b;
	char *before = slurp(path, &a);
	CHECK(resume(path, -1) == 1);
	char *after = slurp(path, &b);
	CHECK(a == b && memcmp(before, after, (size_t)a) == 0);
	free(before);
	free(after);
	unlink(path);
	run_config_free(&p.rc);
}

static void test_steps_before_last_checkpoint_is_usage(void)
{
	struct run_plan p;
	struct resume_session s;
	struct traj_error err;
	const char *path = tmp_path("short.traj");
	small_plan(&p, 10);
	train_to_file(&p, path);
	CHECK(resume_begin(&s, path, 4, &err) < 0);
	CHECK(err.status == TRAJ_EUSAGE && strncmp(err.msg, "--steps", 7) == 0);
	resume_session_free(&s);
	CHECK(resume_begin(&s, tmp_path("missing.traj"), -1, &err) < 0);
	CHECK(err.status == TRAJ_ENOINPUT);
	resume_session_free(&s);
	unlink(path);
	run_config_free(&p.rc);
}

int main(void)
{
	RUN(test_torn_file_resumes_bit_identically);
	RUN(test_longer_run_is_the_uninterrupted_one);
	RUN(test_complete_run_is_left_alone);
	RUN(test_steps_before_last_checkpoint_is_usage);
	return harness_done();
}
