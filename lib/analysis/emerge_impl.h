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

#endif
