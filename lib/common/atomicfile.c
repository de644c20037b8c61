#include "common/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void release(struct atomic_file *a)
{
	free(a->path);
	free(a->tmp);
	memset(a, 0, sizeof *a);
}

int atomic_open(struct atomic_file *a, const char *path, struct traj_error *err)
{
	memset(a, 0, sizeof *a);
	size_t n = strlen(path);
	a->path = strdup(path);
	a->tmp = malloc(n + 16);
	if (!a->path || !a->tmp) {
		release(a);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	/* ".name.XXXXXX" beside the destination: same file system, so the
	 * rename is atomic; hidden, so globs like *.traj skip it. */
	const char *slash = strrchr(path, '/');
	size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
	snprintf(a->tmp, n + 16, "%.*s.%s.XXXXXX", (int)dir, path, path + dir);
	int fd = mkstemp(a->tmp);
	if (fd < 0) {
		int e = errno;
		traj_fail(err, TRAJ_ECREATE, -1, "cannot create '%s': %s", path,
			  strerror(e));
		release(a);
		return -1;
	}
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	a->f = fdopen(fd, "wb");
	if (!a->f) {
		close(fd);
		unlink(a->tmp);
		release(a);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	return 0;
}

int atomic_commit(struct atomic_file *a, struct traj_error *err)
{
	errno = 0;
	int bad = fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0;
	int e = errno;
	if (fclose(a->f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	a->f = NULL;
	if (!bad && rename(a->tmp, a->path) != 0) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		traj_fail(err, TRAJ_EFAIL, -1, "cannot write '%s': %s", a->path,
			  e ? strerror(e) : "write error");
		unlink(a->tmp);
		release(a);
		return -1;
	}
	release(a);
	return 0;
}

void atomic_abort(struct atomic_file *a)
{
	if (a->f)
		fclose(a->f);
	if (a->tmp)
		unlink(a->tmp);
	release(a);
}
