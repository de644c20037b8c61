/* Times traj-probe's two stages on the last checkpoint of a stream, every
 * example of both splits as probe inputs:
 *   capture: forward passes with a hook copying one hook point's
 *            activations at the last position (inputs per second);
 *   probes:  probe_run with every task target (one probe per target:
 *            lambda chosen on a validation part, refit, test score).
 * Prints tab-separated lines (medians of `reps` runs):
 *   probe_capture_inputs_per_s  <hook>  <inputs/s>  <values/s>
 *   probe_fits_per_s            <hook>  <probes/s>  <targets>  <ms per run>
 * Usage: probe_speed STREAM [hook] [reps] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/probe.h"
#include "analysis/probe_capture.h"
#include "analysis/probe_subject.h"
#include "format/stream.h"

#include "benchtime.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const struct traj_error *err)
{
	fprintf(stderr, "probe_speed: %s\n", err->msg);
	exit(1);
}

/* Reads the stream to its end; s holds the run and c its last checkpoint
 * loaded into the model. */
static void load_last(const char *path, struct probe_subject *s)
{
	struct traj_error err;
	FILE *f = fopen(path, "rb");
	struct traj_reader *r = f ? stream_reader_open(f, path, NULL, &err) : NULL;
	if (!r) {
		fprintf(stderr, "probe_speed: cannot read '%s'\n", path);
		exit(1);
	}
	stream_reader_skip_prefix(r, "optim/");
	int rec;
	while ((rec = stream_read_next(r, &err)) > 0)
		if (rec == TRAJ_REC_RUN &&
		    probe_subject_setup(s, stream_reader_run(r), PROBE_SPLIT_ALL, 0, &err) < 0)
			die(&err);
	const struct traj_ckpt *c = stream_reader_last_ckpt(r);
	if (rec < 0 || !s->run.ready || c->step < 0 ||
	    model_load(s->run.model, c->tensors, c->ntensors, &err) < 0)
		die(&err);
	stream_reader_free(r);
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *hook_name = argc > 2 ? argv[2] : "blocks.0.hook_resid_post";
	int reps = argc > 3 ? atoi(argv[3]) : 5;
	struct probe_subject s = {0};
	struct traj_error err;
	load_last(argv[1], &s);
	int hook = model_find_hook(s.run.model, hook_name);
	struct capture cap;
	if (hook < 0 || reps < 1 ||
	    probe_capture_init(&cap, s.run.model, &hook, 1, -1, s.in.n, &err) < 0)
		return 2;
	struct target_set ts;
	struct probe_split split;
	struct probe_opts o;
	probe_opts_default(&o);
	if (targets_from_task(&s.run.rc.task, &s.in, NULL, 0, &ts, &err) < 0 ||
	    probe_split_make(&split, s.in.n, &o, &err) < 0)
		die(&err);
	struct probe_result *res = malloc((size_t)ts.count * sizeof *res);
	double *tc = malloc((size_t)reps * sizeof *tc), *tp = malloc((size_t)reps * sizeof *tp);
	for (int i = 0; i < reps; i++) {
		double t0 = now_s();
		if (probe_capture_run(&cap, s.run.model, &s.in, &err) < 0)
			die(&err);
		double t1 = now_s();
		if (probe_run(cap.act[0], cap.width[0], &ts, &split, &o, res, &err) < 0)
			die(&err);
		tc[i] = t1 - t0;
		tp[i] = now_s() - t1;
	}
	qsort(tc, (size_t)reps, sizeof *tc, cmp_double);
	qsort(tp, (size_t)reps, sizeof *tp, cmp_double);
	double c = tc[reps / 2], p = tp[reps / 2];
	printf("probe_capture_inputs_per_s\t%s\t%.0f\t%.3g values/s\t(%lld inputs, %d values each)\n",
	       hook_name, (double)s.in.n / c, (double)s.in.n * cap.width[0] / c,
	       (long long)s.in.n, cap.width[0]);
	printf("probe_fits_per_s\t%s\t%.0f\t%d targets\t%.1f ms per run\n", hook_name,
	       ts.count / p, ts.count, p * 1e3);
	free(res);
	free(tc);
	free(tp);
	probe_split_free(&split);
	targets_free(&ts);
	probe_capture_free(&cap);
	probe_subject_reset(&s);
	return 0;
}
