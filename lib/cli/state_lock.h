/* The lock of a state file kept between runs (traj score --state, traj
 * emerge --state): FILE.lock, a file of its own, since the state itself
 * is replaced by rename and a lock on the old one would guard nothing. */
#ifndef TRAJ_CLI_STATE_LOCK_H
#define TRAJ_CLI_STATE_LOCK_H

/* Takes an exclusive flock on STATE.lock (created if need be), waiting
 * for a run that holds it; returns the descriptor (closing it, or the
 * end of the process, releases the lock). Ends the program with status
 * 73 when the lock cannot be made. */
int cli_state_lock(const char *state);

#endif
