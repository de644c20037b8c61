/* A probe study of a checkpoint stream (traj-probe's engine): at a run
 * record it rebuilds the model and probe inputs (probe_subject.h), finds
 * the hooks and the targets, cuts the split (probe.h) and captures the
 * --cka-ref reference; at each checkpoint it captures the activations,
 * fits and scores the probes and measures CKA (cka.h), handing every
 * figure to a callback as a metric line's fields. Never prints. */
#ifndef TRAJ_PROBE_STUDY_H
#define TRAJ_PROBE_STUDY_H

#include <stdint.h>

#include <cJSON.h>

#include "common/error.h"
#include "format/stream.h"
#include "analysis/probe.h"
#include "analysis/probe_capture.h"
#include "analysis/probe_subject.h"

/* What to probe; every pointer is borrowed for the study's lifetime.
 * The option names in error messages are traj-probe(1)'s. */
struct probe_study_opts {
	char *const *hooks;         /* globs; none: every '*hook_resid_post'
				       of a transformer, 'layers.*.hook_post'
				       of an MLP */
	int nhooks;
	char *const *targets;       /* globs; none: all */
	int ntargets;
	const int *freqs;           /* modular arithmetic; none: all */
	int nfreq;
	int pos;                    /* position kept, negative from the end */
	enum probe_split_set split;
	int64_t max;                /* inputs kept, 0: all */
	const char *labels;         /* a file of labels instead of the task's */
	const char *group;          /* split over this variable's values */
	int show_lambda, no_probe;
	const char *cka_hook;       /* CKA with this hook, or NULL */
	const char *cka_ref;        /* STEP of `input`, or a stream file */
	int64_t ref_step;           /* the reference file's step, -1: last */
	const char *input;          /* the probed stream's path (NULL, "-":
				       standard input, which cannot be read
				       twice for --cka-ref STEP) */
	struct probe_opts probe;
};

/* Fills o with traj-probe's defaults: last position, all inputs, no
 * reference step, probe_opts_default. */
void probe_study_opts_default(struct probe_study_opts *o);

/* Receives one figure: a metric line's fields. */
typedef void probe_emit_fn(void *ctx, const char *run, int64_t step,
			   const char *metric, double value);

/* Everything rebuilt at a run record. */
struct probe_study {
	struct probe_subject subj;   /* the model and the probe inputs */
	struct target_set ts;
	struct probe_split split;
	struct capture cap;          /* probed hooks, then the --cka hook */
	int nprobe;                  /* slots 0..nprobe-1 are probed */
	int cka_slot;                /* -1 without --cka */
	struct capture ref;          /* --cka-ref: the same hooks, reference */
	struct probe_result *res;
	/* The last failure concerns an option (a hook, target, label file,
	 * reference) rather than the stream. */
	int option_error;
};

/* s zeroed, or set up before. */
void probe_study_free(struct probe_study *s);

/* Sets up the subject of a run record only: enough for its hooks and
 * probe inputs (s->subj), none of the probes. */
int probe_study_subject(struct probe_study *s, const cJSON *run,
			const struct probe_study_opts *o, struct traj_error *err);

/* Sets s up for a run record: the subject, then the hooks, targets,
 * split and reference, whose failures set s->option_error (TRAJ_EUSAGE
 * for an unknown hook or target or a bad reference, TRAJ_ENOINPUT for a
 * file that cannot be opened, a label file's errors). */
int probe_study_setup(struct probe_study *s, const cJSON *run,
		      const struct probe_study_opts *o, struct traj_error *err);

/* Probes checkpoint c, emitting probe/HOOK/TARGET/{acc,r2,lambda} and
 * cka/HOOK/{HOOK2,ref} per probed hook in the model's order. */
int probe_study_ckpt(struct probe_study *s, const struct traj_ckpt *c,
		     const struct probe_study_opts *o, probe_emit_fn *emit,
		     void *ctx, struct traj_error *err);

#endif
