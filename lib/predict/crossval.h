/* Cross-validation of traj predict, grouped by configuration: the
 * configuration groups (runs that differ only in their seeds) are dealt
 * into folds, so that no seed of a held-out configuration is ever in the
 * fit. For each fold the models are fitted on the other folds and predict
 * its runs:
 *
 *   generalises within the budget (comprehension or grokking): P(yes);
 *   the outcome class: the most probable of the four;
 *   log10 of the test transition step (fitted on the runs that have one).
 *
 * Models: logistic regression with an L2 penalty (one against the rest
 * for the classes) and ridge regression for the step, on the features
 * standardised with the fit's mean and s.d. and, with degree 2, their
 * squares and pairwise products; or the k nearest neighbours in the
 * standardised features. */
#ifndef TRAJ_PREDICT_CROSSVAL_H
#define TRAJ_PREDICT_CROSSVAL_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "predict/design.h"

enum predict_model { PREDICT_LOGISTIC, PREDICT_KNN };

struct predict_opts {
	enum predict_model model;
	int folds;          /* 5 */
	uint64_t seed;      /* the shuffle of groups into folds (1) */
	double l2;          /* penalty on standardised features (1) */
	int degree;         /* 1 or 2 (2) */
	int k;              /* neighbours (5) */
	int min_class;      /* runs of each class of "generalises" needed (folds) */
};
void predict_opts_init(struct predict_opts *o);

/* Out-of-fold predictions, one per run of the data. */
struct predict_result {
	int *fold;          /* (n) */
	double *p;          /* (n) P(generalises) */
	int *cls;           /* (n) predicted outcome */
	double *logstep;    /* (n) predicted log10 test step */
};

/* Refuses (TRAJ_EDATA, one line): fewer runs of a class of "generalises"
 * than min_class, fewer configuration groups than folds. */
int predict_crossval(const struct predict_data *D, const struct predict_opts *o,
		     struct predict_result *r, struct traj_error *err);
void predict_result_free(struct predict_result *r);

/* The figures, one "measure<TAB>value" line each: n, folds, accuracy,
 * majority (the accuracy of always answering the commoner class), auroc,
 * brier, outcome_accuracy, log_step_n, log_step_rmse, log_step_mae (in
 * decades), log_step_baseline_rmse (predicting the mean of the fit), and
 * calibration/LO-HI/{n,mean_p,observed} for 10 bins. */
void predict_report(FILE *out, const struct predict_data *D,
		    const struct predict_result *r, int folds);

#endif
