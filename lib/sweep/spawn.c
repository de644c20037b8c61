/* fork, exec, wait. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sweep/spawn.h"

int sweep_spawn(char *const argv[], int out_fd, int err_fd, struct traj_error *err)
{
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0)
		return traj_fail(err, TRAJ_EINTERNAL, -1, "cannot open /dev/null: %s",
				 strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(devnull);
		return traj_fail(err, TRAJ_ENOMEM, -1, "cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		if (dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		/* the parent reads this from err_fd as the run's error line */
		const char *m = "cannot run the program: ";
		if (write(2, m, strlen(m)) < 0 || write(2, argv[0], strlen(argv[0])) < 0 ||
		    write(2, "\n", 1) < 0)
			_exit(127);
		_exit(127);
	}
	close(devnull);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return traj_fail(err, TRAJ_EINTERNAL, -1, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

const char *sweep_find_program(const char *name, int sibling)
{
	static char buf[4][PATH_MAX];
	static int next;
	char *out = buf[next++ % 4];
	if (sibling) {
		ssize_t n = readlink("/proc/self/exe", out, PATH_MAX - 64);
		char *slash = n > 0 ? (out[n] = '\0', strrchr(out, '/')) : NULL;
		if (slash) {
			snprintf(slash + 1, 64, "%s", name);
			if (access(out, X_OK) == 0)
				return out;
		}
	}
	const char *path = getenv("PATH");
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");
		snprintf(out, PATH_MAX, "%.*s/%s", (int)len, p, name);
		if (len && access(out, X_OK) == 0)
			return out;
		p += len + (p[len] == ':');
	}
	return NULL;
}
