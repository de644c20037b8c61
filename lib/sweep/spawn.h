/* Running another program (traj train, traj score) and waiting for it. */
#ifndef TRAJ_SWEEP_SPAWN_H
#define TRAJ_SWEEP_SPAWN_H

#include "common/error.h"

/* Runs argv[0] (a path) with stdin from /dev/null, stdout to out_fd and
 * stderr to err_fd, and waits. Returns its exit status, 128 + the signal
 * that ended it, or -1 with err set when it could not be started. Every
 * open descriptor without FD_CLOEXEC is inherited (a held lock stays held
 * while the child runs, even if its parent dies). */
int sweep_spawn(char *const argv[], int out_fd, int err_fd, struct traj_error *err);

#endif
