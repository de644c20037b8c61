/* How good held-out predictions are: the area under the ROC curve and a
 * calibration table. */
#ifndef TRAJ_PREDICT_SCORE_H
#define TRAJ_PREDICT_SCORE_H

/* The AUROC of scores s against labels y (0 or 1): the probability that a
 * positive scores above a negative, ties counting one half (the
 * Mann-Whitney U statistic over n_pos * n_neg). NAN when a class is
 * missing or out of memory. */
double predict_auroc(const double *s, const double *y, int n);

/* The calibration table over nbins equal bins of [0, 1] (p == 1 in the
 * last): per bin the count, the mean predicted probability and the
 * observed frequency of y == 1 (NAN for an empty bin). */
void predict_calibration(const double *p, const double *y, int n, int nbins,
			 int *count, double *mean_p, double *observed);

#endif
