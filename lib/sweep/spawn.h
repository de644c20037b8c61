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

/* The path of program `name`: with `sibling`, first the one in the
 * directory of the running program (traj-train next to traj-sweep), then
 * one on PATH; NULL when none. The path lives in one of 4 static buffers
 * used in turn. */
const char *sweep_find_program(const char *name, int sibling);

#endif
