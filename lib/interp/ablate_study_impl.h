/* What the families of a study (ablate_study.h) share: private to
 * lib/interp (ablate_study*.c). */
#ifndef TRAJ_ABLATE_STUDY_IMPL_H
#define TRAJ_ABLATE_STUDY_IMPL_H

#include "common/atomicfile.h"
#include "interp/ablate_fns.h"
#include "interp/ablate_lines.h"
#include "interp/ablate_study.h"
#include "interp/ablate_time.h"

/* One run of a study. */
struct ablate_job {
	const struct ablate_study *st;
	const struct ablate_selection *sel;
	struct run_subject *s, *k;
	struct metric_sink sink;
	struct ablate_cost *cost;
};

/* The families, each over its selection (ablate_study_run). */
int ablate_study_hooks(const struct ablate_job *j, struct traj_error *err);
int ablate_study_freq(const struct ablate_job *j, struct traj_error *err);
int ablate_study_edges(const struct ablate_job *j, struct traj_error *err);
int ablate_study_groups(const struct ablate_job *j, struct traj_error *err);

/* After each group of lines: TRAJ_EFAIL when writing failed. */
int ablate_study_written(const struct ablate_job *j, struct traj_error *err);
/* The metric prefix of the mode: ablate, patch or circuit. */
const char *ablate_study_prefix(const struct ablate_study *st);
/* TRAJ_EUSAGE when --budget leaves no pass for attribution after
 * `fixed` passes. */
int ablate_study_check_budget(const struct ablate_study *st, int fixed,
			      struct traj_error *err);
/* TRAJ_EUSAGE when --label names a position the model does not have. */
int ablate_study_check_label(const struct ablate_job *j,
			     struct traj_error *err);
/* The examples every pass evaluates. */
struct batch ablate_study_batch(const struct ablate_job *j);
/* The same, or for patching their corrupted copy (*corrupted, to free;
 * *clean the uncorrupted). Errors: patch_corrupt_tokens's. */
int ablate_study_inputs(const struct ablate_job *j, struct batch *data,
			struct batch *clean, int32_t **corrupted,
			struct traj_error *err);
/* patch/clean/... and patch/corrupted/... */
int ablate_study_patch_base(const struct ablate_job *j,
			    struct eval_result clean,
			    struct eval_result corrupted,
			    struct traj_error *err);
/* The time study's lines, comps[0..n) as t's pairs. */
int ablate_study_time_lines(const struct ablate_job *j,
			    const struct component *comps, int n,
			    const struct time_patch *t, struct traj_error *err);
/* fr's components ablated or patched and ranked, or (circuit mode) a
 * circuit of them ranked by real passes: its keep[] and imp[] (NULL
 * otherwise) are the caller's to free. `fixed` passes were spent. */
int ablate_study_fns(const struct ablate_job *j, const struct fn_run *fr,
		     int fixed, unsigned char **keep, double **imp,
		     struct traj_error *err);
/* The circuit's lines (ncand candidates). */
int ablate_study_circuit_lines(const struct ablate_job *j,
			       const struct component *comps, int n,
			       const unsigned char *keep, const double *imp,
			       const struct circuit_result *cr, int ncand,
			       struct eval_result base, struct traj_error *err);
/* PREFIX/forward_passes and PREFIX/backward_passes, into the cost. */
int ablate_study_passes(const struct ablate_job *j, const char *prefix,
			int64_t forward, int64_t backward, int examples,
			struct traj_error *err);
/* The same for logit frequencies, and PREFIX/logit_evals. */
int ablate_study_freq_passes(const struct ablate_job *j, const char *prefix,
			     int forward, int64_t evals, int examples,
			     struct traj_error *err);
/* Opens st->dot for writing, atomically. */
int ablate_study_dot_open(const struct ablate_job *j, struct atomic_file *af,
			  struct traj_error *err);

#endif
