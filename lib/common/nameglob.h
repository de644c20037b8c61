/* Selecting tensors by name with shell patterns (-t/--tensors of
 * traj-snapshot, traj-diff, traj-convert). */
#ifndef TRAJ_NAMEGLOB_H
#define TRAJ_NAMEGLOB_H

/* Whether `name` matches one of the n patterns (fnmatch, no flags);
 * with no pattern every name matches. */
int nameglob_match(char *const *globs, int n, const char *name);

#endif
