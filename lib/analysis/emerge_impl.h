/* The series table of analysis/emerge.c, shared with its state files
 * (emerge_state.c); private to the module. */
#ifndef TRAJ_EMERGE_IMPL_H
#define TRAJ_EMERGE_IMPL_H

#include "analysis/changepoint.h"
#include "analysis/emerge.h"
#include "analysis/steepest.h"

/* What was announced of the change under way. A state of version 3 says
 * only that something was: any final rise or fall confirms it. */
enum {
	EMERGE_ANNOUNCED_NONE, EMERGE_ANNOUNCED_RISING,
	EMERGE_ANNOUNCED_FALLING, EMERGE_ANNOUNCED_UNKNOWN
};

/* A change found in a series' first EMERGE_JUDGE_WINDOWS windows, held
 * back until then (emerge_held.c). */
struct early_change {
	enum changepoint_kind kind;
	int64_t step, from, to;
	double before, after;
	double z, noise;             /* as found */
	int n_before, n_after;
	int announced;               /* its provisional line (opts.early), an
					EMERGE_ANNOUNCED_*, at STEP announced_step */
	int64_t announced_step;
	int64_t first, at;           /* its first point; where it was found */
	struct steep_window steep;   /* its steepest window (opts.steepest) */
};

/* at most 6 changes settle in 96 points (16 after each alarm) */
#define EMERGE_EARLY_MAX 8

struct series {
	char *run, *metric;
	struct series *chain;    /* next in the hash bucket */
	struct series *next;     /* next in order of first appearance */
	int have_last;
	int64_t last_step;
	double last_value;
	int analyse;             /* steepest and changepoint look at it */
	unsigned char *holding;  /* (nwhen) the condition held at the last point */
	struct changepoint cp;   /* also keeps the recent points for the noise */
	int announced;           /* the change under way was (opts.early):
				    an EMERGE_ANNOUNCED_* */
	int64_t announced_step;  /* the STEP of that provisional line */
	struct steep_window steep; /* the steepest so far */
	double steep_z;          /* of the change that holds it */
	double steep_noise;
	struct early_change early[EMERGE_EARLY_MAX];
	int nearly;
};

/* A run's identity (emerge_run_identity), in order of first appearance. */
struct run_ident {
	char *run;
	uint64_t ident;
	struct run_ident *next;
};

struct emerge {
	const struct emerge_opts *o;
	struct run_ident *idents, *last_ident;
	struct series **buckets;
	size_t nbuckets, nseries;
	struct series *first, *last;
};

/* The series (run, metric), made if new; NULL with err set
 * (TRAJ_ENOMEM). */
struct series *emerge_series_get(struct emerge *e, const char *run,
				 const char *metric, struct traj_error *err);

/* "rise", "fall", "spike" by enum changepoint_kind */
extern const char *const emerge_kinds[];

/* The series is past its first EMERGE_JUDGE_WINDOWS windows. */
int emerge_past_judging(const struct emerge *e, const struct series *s);
/* The change c is to be held back: found so early that the noise it
 * stands out of is little known, and not so far out of it that more
 * points could not change that (and there is room). */
int emerge_holds(const struct emerge *e, const struct series *s,
		 const struct changepoint_change *c);
/* Holds the change c back, found at step `at`, its first point at
 * `first` (announced: its provisional line, an EMERGE_ANNOUNCED_*, which
 * it confirms). */
void emerge_hold(const struct emerge *e, struct series *s,
		 const struct changepoint_change *c, int announced,
		 int64_t first, int64_t at);
/* Judges the held changes against the noise of every point so far, the
 * changes found taken out (changepoint.h, levels): a change still
 * significant is printed, one that is not is dropped (its provisional
 * line, if any, withdrawn). Forgets them. Returns 0 or the emitter's
 * value. */
int emerge_judge_early(const struct emerge *e, struct series *s,
		       emerge_emit emit, void *ctx);
/* w, of a significant change of z over noise, if steeper than the
 * series' steepest so far. */
void emerge_offer_steepest(struct series *s, const struct steep_window *w,
			   double z, double noise);

#endif
