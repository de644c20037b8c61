/* An online detector of level changes in one noisy series, that reports a
 * change only once it is over and only when it is significant against the
 * series' own noise (analysis/noise.h).
 *
 * Watching. With W the smallest window (--warmup, default 8), at each new
 * point and for each scale w in W, 2W, 4W, 8W (as far as the current
 * segment reaches), the mean R of the last w points is compared with the
 * mean L of the w points before them; and the new point alone with L at
 * scale W (a spike lasting one checkpoint). An alarm needs |R - L| at
 * least min_delta and z = |R - L| / (tau sqrt(2 / w)) at least the
 * threshold (a point: |x - L| / sigma). The smallest alarming scale wins:
 * the larger scales see slow rises that no short window can tell from
 * noise.
 *
 * Moving. From the alarm on, the points of the change are kept until the
 * series settles: the mean of its last v points (v = max(W, w / 2)) and of
 * the v before them differ by less than min_delta / 2, or by less than 2
 * of their standard errors, and the ramp fitted to the kept points
 * (changepoint_ramp_fit) ended at least 2v points ago. Then
 *   before = the mean of the (up to max(2w, 4W)) points before the alarm
 *            window,
 *   after  = the mean of the last 2v points,
 *   z      = |after - before| / (tau sqrt(1/n_before + 1/n_after)),
 *            tau that of every point in memory but the ramp's, the level
 *            after moved onto the level before (each about its own mean):
 *            a change early in a series is judged against the noise of
 *            the level it reached too, not only of the few points before
 *            its alarm (a spike's point s.d. likewise),
 * and the change is a `rise` or a `fall` when |after - before| >=
 * min_delta and z >= threshold. It is placed at the middle of the ramp
 * fitted to the kept points (of a step, its first point at the new
 * level). Otherwise, when the series came back but some point
 * strayed by min_delta and threshold sigma from `before`, it is a `spike`
 * at the farthest point. Then a new segment starts at the settled points.
 *
 * A change is reported about 2v points after it is over, so feeding a
 * series in pieces gives the same changes as feeding it whole; one still
 * under way at the end of the input can be had as it stands
 * (changepoint_open), to be reported as provisional.
 * A slow drift that never settles gives nothing. Memory: 32 W points per
 * series, plus the points of a change under way. */
#ifndef TRAJ_CHANGEPOINT_H
#define TRAJ_CHANGEPOINT_H

#include <stdint.h>

#include "analysis/noise.h"
#include "common/error.h"

#define CHANGEPOINT_SCALES 4
/* the changes remembered while their points are in memory */
#define CHANGEPOINT_LEVELS 8

struct changepoint_opts {
	int window;          /* W, the smallest window, >= 2 */
	double threshold;    /* z needed, in noise s.d. */
	double min_delta;    /* the smallest change of interest, >= 0 */
};

struct cp_point { int64_t step; double value; };

/* A change taken out of the series, to measure the noise around it: the
 * points from step skip_first to skip_last left out (none when skip_first
 * > skip_last), and those from step shift_at on moved back by height. */
struct cp_level_change {
	int64_t skip_first, skip_last, shift_at;
	double height;
};

struct changepoint {
	struct cp_point *ring;   /* the last `cap` points, cap = 32 W */
	int cap, head, n;        /* n: points in the ring */
	int64_t seen;            /* points ever added (finite values) */
	int seg_n;               /* points of the current segment (<= n) */
	int moving;
	/* while moving: */
	struct cp_point *kept;   /* the points since the alarm window began */
	int nkept, kept_cap;
	double *ramp_work;       /* CHANGEPOINT_RAMP_WORK(kept_cap) doubles */
	int scale;               /* w of the alarm (W for one point) */
	int since;               /* points added since the alarm */
	double before;           /* level before the change */
	int n_before;
	struct noise_est noise;  /* the last estimate, made when `seen` was */
	int64_t noise_seen;      /* noise_seen (renewed every few points) */
	int have_noise;
	double *scratch;         /* 3 cap doubles, for the noise estimate */
	/* the changes found among the points in memory, taken out of them
	 * when their noise is measured: a step is not noise, and the
	 * detector would be deaf to the next change for as long as the
	 * step stays in memory */
	struct cp_level_change levels[CHANGEPOINT_LEVELS];
	int nlevels;
};

enum changepoint_kind { CP_RISE, CP_FALL, CP_SPIKE };

struct changepoint_change {
	enum changepoint_kind kind;
	int64_t step;        /* where the change is (the peak of a spike) */
	int64_t from, to;    /* last step still near the old level, first near the new */
	double before, after;/* the levels (after: the peak of a spike) */
	double z;            /* |after - before| in standard errors */
	int open;            /* still under way (changepoint_open) */
	struct noise_est noise;
	int n_before, n_after; /* the points of the two levels */
	struct cp_level_change level; /* of a settled change: its ramp (a
				    spike: its points) and height */
	const struct cp_point *points; /* the points of the change, valid */
	int npoints;                   /* until the next call */
	double *work;  /* CHANGEPOINT_RAMP_WORK(npoints) doubles, as long */
};

/* Returns 0, or -1 with err set (TRAJ_ENOMEM). */
int changepoint_init(struct changepoint *c, const struct changepoint_opts *o,
		     struct traj_error *err);
void changepoint_free(struct changepoint *c);
/* Forgets the series (keeps the memory). */
void changepoint_reset(struct changepoint *c);
/* Adds a point; returns 1 and fills *out when a change has settled, 0
 * when not, -1 with err set (TRAJ_ENOMEM). Non-finite values are
 * ignored. */
int changepoint_add(struct changepoint *c, const struct changepoint_opts *o,
		    int64_t step, double x, struct changepoint_change *out,
		    struct traj_error *err);
/* A change still under way, as it stands (after: the mean of its last
 * points); returns 1 and fills *out if that is already a significant rise
 * or fall, else 0. The detector goes on unchanged. */
int changepoint_open(struct changepoint *c, const struct changepoint_opts *o,
		     struct changepoint_change *out);
/* Appends a point to those of the change under way (restoring a saved
 * detector); -1 with err set (TRAJ_ENOMEM). */
int changepoint_keep(struct changepoint *c, const struct cp_point *p,
		     struct traj_error *err);
/* Only records the point, for changepoint_noise (no detection). */
void changepoint_observe(struct changepoint *c, int64_t step, double x);
/* The doubles changepoint_ramp_fit needs for n points. */
#define CHANGEPOINT_RAMP_WORK(n) (5 * ((size_t)(n) + 1))
/* The least-squares fit to the n points p of a ramp: one level up to
 * point *from, a straight line from there to point *to > *from, a second
 * level from there on (a step between neighbours: *to = *from + 1), in
 * work (CHANGEPOINT_RAMP_WORK(n) doubles: the caller holds them, so that
 * running out of memory is reported where it happens, not turned into
 * another answer). O(n^2) for n up to 128, then a coarse grid and a
 * refinement. */
void changepoint_ramp_fit(const struct cp_point *p, int n, double *work,
			  int *from, int *to);
/* The noise of the points in memory but the `skip_newest` newest, the n
 * changes lc taken out of them; -1 when too few are left. */
int changepoint_noise_without(struct changepoint *c, const struct changepoint_opts *o,
			      const struct cp_level_change *lc, int n,
			      int skip_newest, struct noise_est *out);
/* The noise of the series from its recent points; -1 when too few. */
int changepoint_noise(struct changepoint *c, const struct changepoint_opts *o,
		      struct noise_est *out);

#endif
