/* A sweep directory: the sweep's description (sweep.spec), one
 * configuration file per run (runs/ID.cfg) and, as runs go, their
 * streams, metric lines, logs and state markers (formats/sweep.md). */
#ifndef TRAJ_SWEEP_SWEEPDIR_H
#define TRAJ_SWEEP_SWEEPDIR_H

#include <stddef.h>

#include "common/error.h"
#include "sweep/spec.h"

/* Creates DIR and DIR/runs if needed and records the spec. A directory
 * that records another spec is refused (TRAJ_EUSAGE) unless `extend`,
 * which adds this spec to it. */
int sweep_dir_init(const char *dir, const struct sweep_spec *s, int extend,
		   struct traj_error *err);

/* Writes runs/ID.cfg for every configuration that has none, and the list
 * of the plan's ids, one a line, to DIR/plan-HASH.ids, whose path goes to
 * ids_path (size bytes): the Slurm array's index. */
int sweep_dir_write_plan(const char *dir, const struct sweep_plan *p,
			 char *ids_path, size_t size, struct traj_error *err);

/* "DIR/runs/ID.EXT" into buf; -1 when it does not fit. */
int sweep_run_path(char *buf, size_t size, const char *dir, const char *id,
		   const char *ext);

/* A run's configuration (runs/ID.cfg): the axis names ("name", or
 * "name!" for a flag) and values, in the sweep's axis order, and its
 * group. Caller frees with sweep_cfg_free. */
struct sweep_cfg {
	char group[17];
	char **names, **values;
	char **opts;            /* "--name", for the trainer */
	int n;
};
int sweep_cfg_read(const char *path, struct sweep_cfg *c, struct traj_error *err);
void sweep_cfg_free(struct sweep_cfg *c);
/* The trainer's arguments (room for 2 * n + 1). */
int sweep_cfg_argv(const struct sweep_cfg *c, char **argv);

#endif
