#include "cli/state_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_state_lock(const char *state)
{
	size_t n = strlen(state) + sizeof ".lock";
	char *path = malloc(n);
	if (!path)
		cli_die(TRAJ_ENOMEM, "out of memory");
	snprintf(path, n, "%s.lock", state);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	int rc = fd < 0 ? -1 : flock(fd, LOCK_EX);
	while (rc < 0 && errno == EINTR)
		rc = flock(fd, LOCK_EX);
	if (rc < 0)
		cli_die(TRAJ_ECREATE, "cannot lock '%s': %s", path, strerror(errno));
	free(path);
	return fd;
}
