/* A study of the components of one checkpoint, as traj-ablate(1) runs
 * it: which components carry the model's behaviour. A study chooses its
 * components by name (ablate_study_select), then runs one mode over them
 * (ablate_study_run) and writes metric lines (ablate_lines.h) to the
 * caller's FILE:
 *
 *   ablate   each component ablated (zero, mean, resample), ranked by
 *            the loss it costs; or all of them together (joint);
 *   patch    clean activations patched into corrupted inputs (patch.h);
 *   time     each component's weights or activations from another step
 *            of training, and the reverse (ablate_time.h);
 *   circuit  a small set of components that keeps the loss within a
 *            threshold of the clean loss (circuit.h).
 *
 * Components come in four families, each its own file: the model's hooks
 * (neurons, heads, layers, a direction; ablate_study_hooks.c), a modular
 * task's logit frequencies (ablate_study_freq.c), a transformer's edges
 * (ablate_study_edges.c), neurons grouped by frequency
 * (ablate_study_groups.c). Never prints anywhere but `out`. */
#ifndef TRAJ_ABLATE_STUDY_H
#define TRAJ_ABLATE_STUDY_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "interp/ablate.h"
#include "interp/edges.h"
#include "interp/neuron_freq.h"
#include "interp/patch.h"
#include "run/run_subject.h"

enum ablate_mode { ABLATE_MODE_ABLATE, ABLATE_MODE_PATCH, ABLATE_MODE_TIME,
		   ABLATE_MODE_CIRCUIT };

enum ablate_family { ABLATE_BY_HOOK, ABLATE_BY_FREQ, ABLATE_BY_EDGE,
		     ABLATE_BY_NEURON_FREQ };

struct ablate_study {
	enum ablate_mode mode;
	enum ablate_family by;
	enum ablate_method method;  /* zero, mean or resample */
	enum corruption corrupt;    /* patch: the operand changed */
	int train;                  /* the train split, else the test split */
	int64_t limit;              /* the split's first examples; 0: all */
	int64_t label;              /* only this labelled position (a
				       sequence task's answer digit) counts
				       in loss and accuracy; -1: all */
	int joint;                  /* the components together */
	int attrib;                 /* ranked by attribution only */
	int64_t budget;             /* at most this many passes; 0: none */
	int from_acts;              /* time: activations, else weights */
	double threshold;           /* circuit: allowed loss increase */
	uint64_t seed;
	const char *dot;            /* circuit: DOT written here; NULL none */
	char *const *globs;         /* component names (none: all) */
	int nglobs;
	const float *dir;           /* a unit direction (NULL: none) */
	const struct component *dir_comp; /* and its component */
};

/* The components a study runs over: comps[0..n) in the order --list
 * prints them. The families other than hooks keep what they were
 * chosen from. */
struct ablate_selection {
	struct component *comps;
	int n;
	struct edge_graph graph;    /* ABLATE_BY_EDGE */
	struct neuron_freq nf;      /* ABLATE_BY_NEURON_FREQ: the groups */
	struct component *all;      /* the model's components, nall */
	int nall;
	int *start, *members;       /* group g: all[members[start[g]..start[g+1])] */
};

/* The family called `name` (traj-ablate --by): freq, edge or
 * neuron-freq; -1 for another name. */
int ablate_family_from_name(const char *name, enum ablate_family *out);

/* Whether the options of st go together, as traj-ablate(1) documents
 * them (the last mode given wins, so a step-K source with --patch is an
 * error): `time_source`, a step-K checkpoint was named (--from,
 * --from-step); `direction`, a direction was given (its component is
 * found later, from the model). Errors: TRAJ_EUSAGE, the message naming
 * the options. */
int ablate_study_check(const struct ablate_study *st, int time_source,
		       int direction, struct traj_error *err);

/* Chooses st's components of s's model. Errors: TRAJ_EUSAGE (a family
 * the model or task does not have, no component matching, the message
 * naming the valid ones), TRAJ_ENOMEM. sel is always freeable. */
int ablate_study_select(const struct ablate_study *st,
			const struct run_subject *s,
			struct ablate_selection *sel, struct traj_error *err);
void ablate_selection_free(struct ablate_selection *sel);

/* What a study cost: passes over the examples, and for logit
 * frequencies the evaluations of transformed logits (-1 otherwise). */
struct ablate_cost {
	int64_t forward, backward, logit_evals;
	int examples;
};

/* What it cost in words, for a summary: "N forward passes, N backward
 * passes, over N examples" (for logit frequencies "N forward pass(es), N
 * logit evaluations, over N examples"). */
void ablate_cost_describe(const struct ablate_cost *c, char *buf,
			  size_t size);

/* Runs st over sel on s's checkpoint (k: the other step of a time
 * study, its model alone), writing metric lines of s's run and step to
 * out. Errors: TRAJ_EUSAGE (a budget too small, a circuit without
 * candidates, inputs the task cannot corrupt), TRAJ_ECREATE or
 * TRAJ_EFAIL for the DOT file, TRAJ_EFAIL when writing to out failed
 * (the caller's stream says why), TRAJ_ENOMEM. */
int ablate_study_run(const struct ablate_study *st,
		     const struct ablate_selection *sel,
		     struct run_subject *s, struct run_subject *k, FILE *out,
		     struct ablate_cost *cost, struct traj_error *err);

#endif
