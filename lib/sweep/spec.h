/* A sweep description: axes over traj train's options and their values,
 * expanded into configurations, each named by a run id that is a readable
 * prefix plus a hash of the whole configuration (formats/sweep.md). */
#ifndef TRAJ_SWEEP_SPEC_H
#define TRAJ_SWEEP_SPEC_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

enum sweep_draw { SWEEP_GRID, SWEEP_UNIFORM, SWEEP_LOGUNIFORM, SWEEP_RANDINT };

#define SWEEP_NAME_MAX 48
#define SWEEP_VALUE_MAX 64
#define SWEEP_ID_MAX 96

struct sweep_axis {
	char name[SWEEP_NAME_MAX];   /* a traj train long option, no dashes */
	char opt[SWEEP_NAME_MAX + 2]; /* the same with its dashes */
	enum sweep_draw draw;        /* SWEEP_GRID: the listed values */
	double lo, hi;               /* a random axis: its range */
	char **values;               /* SWEEP_GRID: nvalues strings */
	int nvalues;
	int flag;                    /* an option without an argument: yes/no */
};

struct sweep_spec {
	struct sweep_axis *axes;     /* in the order given; naxes */
	int naxes;
	int draws;                   /* random axes: configurations per grid point */
	uint64_t draw_seed;
};

/* One configuration: a value for each axis of the spec (same order). */
struct sweep_config {
	char id[SWEEP_ID_MAX];
	char group[17];              /* hash of the configuration without its
					seeds: the unit of cross-validation */
	char **values;               /* naxes strings, owned */
};

struct sweep_plan {
	const struct sweep_spec *spec;
	struct sweep_config *configs;
	int n;
};

/* Adds or replaces (same name) an axis from "NAME=VALUES"; VALUES is one
 * of a,b,c  A..B  lin:LO:HI:N  log:LO:HI:N  uniform:LO:HI
 * loguniform:LO:HI  randint:LO:HI. "draws=N" and "draw-seed=N" set the
 * random draws. An error names the axis. */
int sweep_spec_add(struct sweep_spec *s, const char *arg, struct traj_error *err);
/* Reads a spec file: one NAME=VALUES a line, '#' comments, blank lines. */
int sweep_spec_read(struct sweep_spec *s, const char *path, struct traj_error *err);
void sweep_spec_free(struct sweep_spec *s);

/* Checks every axis name against the trainer's long options, given as a
 * list of "name" (takes a value) or "name!" (a flag); refuses options the
 * sweep sets itself. Marks flag axes and checks their values (yes, no). */
int sweep_spec_check(struct sweep_spec *s, const char *const *trainer_opts,
		     int nopts, struct traj_error *err);

/* The long options of traj train from its --help text, in the form
 * sweep_spec_check takes: "name", or "name!" for one without a value.
 * Caller frees each and the array. */
int sweep_trainer_options(const char *help, char ***opts, int *n,
			  struct traj_error *err);

/* The canonical text of a spec: sorted axes, one a line (a sweep
 * directory records it to recognise its own sweep). Caller frees. */
char *sweep_spec_text(const struct sweep_spec *s);

/* Expands the grid (and the random draws) into configurations with their
 * run ids; configurations with equal ids appear once. */
int sweep_plan_init(struct sweep_plan *p, const struct sweep_spec *s,
		    struct traj_error *err);
void sweep_plan_free(struct sweep_plan *p);

/* The trainer arguments of a configuration, one "--name" and its value
 * (if any) after another, into argv (room for 2 * naxes + 1); returns
 * the count. A flag whose value is "no" is left out. */
int sweep_config_argv(const struct sweep_spec *s, const struct sweep_config *c,
		      const char **argv);

/* Prints one line per configuration: its run id, a tab, the traj train
 * command (its --out under DIR/runs/ when dir is not NULL). Returns 0, or
 * -1 when out of memory or on a write error (ferror(out)). */
int sweep_plan_print(FILE *out, const struct sweep_plan *p, const char *dir);

/* Whether an axis holds a seed (seed, data-seed): configurations that
 * differ only in seeds share their group. */
int sweep_axis_is_seed(const char *name);

#endif
