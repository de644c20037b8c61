#include "common/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Symbolic links followed at most, as the kernel does (ELOOP). */
#define MAX_LINKS 40

static void release(struct atomic_file *a)
{
	free(a->path);
	free(a->tmp);
	memset(a, 0, sizeof *a);
}

/* The descriptor N that `path` names as /dev/fd/N, /proc/self/fd/N,
 * /dev/stdout or /dev/stderr, or -1: such a name is the program's own
 * descriptor (a pipe, a `>(cmd)`, a file opened for appending), which a
 * new open would not always reach and a rename would replace. */
static int own_descriptor(const char *path)
{
	const char *n = NULL;
	if (strcmp(path, "/dev/stdout") == 0)
		return 1;
	if (strcmp(path, "/dev/stderr") == 0)
		return 2;
	if (strncmp(path, "/dev/fd/", 8) == 0)
		n = path + 8;
	else if (strncmp(path, "/proc/self/fd/", 14) == 0)
		n = path + 14;
	if (!n || !*n || strspn(n, "0123456789") != strlen(n) || strlen(n) > 9)
		return -1;
	return atoi(n);
}

/* Where a rename must happen for `path` to keep being what it is: the
 * end of its chain of symbolic links (a link to a file stays a link),
 * which may not exist yet. A new string, or NULL with errno set. */
static char *link_target(const char *path)
{
	char *p = strdup(path);
	for (int hops = 0; p; hops++) {
		struct stat st;
		char target[PATH_MAX];
		if (lstat(p, &st) < 0 || !S_ISLNK(st.st_mode))
			return p;
		ssize_t n = hops < MAX_LINKS ? readlink(p, target, sizeof target - 1) : -1;
		if (n < 0 || (size_t)n >= sizeof target - 1) {
			if (hops >= MAX_LINKS || n >= 0)
				errno = hops >= MAX_LINKS ? ELOOP : ENAMETOOLONG;
			free(p);
			return NULL;
		}
		target[n] = 0;
		const char *slash = strrchr(p, '/');
		size_t dir = target[0] == '/' || !slash ? 0 : (size_t)(slash - p) + 1;
		char *next = malloc(dir + (size_t)n + 1);
		if (next) {
			memcpy(next, p, dir);
			memcpy(next + dir, target, (size_t)n + 1);
		}
		free(p);
		p = next;
	}
	return NULL;
}

/* Writes straight into what `path` already is: a FIFO, a device, a
 * descriptor of the program's own. */
static int open_through(struct atomic_file *a, const char *path, int fd,
			struct traj_error *err)
{
	int e;
	if (fd >= 0)
		fd = dup(fd);
	else
		fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || !(a->f = fdopen(fd, "wb"))) {
		e = errno;
		if (fd >= 0)
			close(fd);
		traj_fail(err, TRAJ_ECREATE, -1, "cannot create '%s': %s", path,
			  strerror(e));
		release(a);
		return -1;
	}
	a->through = 1;
	return 0;
}

int atomic_open(struct atomic_file *a, const char *path, struct traj_error *err)
{
	struct stat st;
	memset(a, 0, sizeof *a);
	if (!(a->path = strdup(path)))
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int fd = own_descriptor(path);
	if (fd >= 0 || (stat(path, &st) == 0 && !S_ISREG(st.st_mode)))
		return open_through(a, path, fd, err);
	char *dest = link_target(path);
	if (!dest) {
		int e = errno;
		traj_fail(err, e == ENOMEM ? TRAJ_ENOMEM : TRAJ_ECREATE, -1,
			  "cannot create '%s': %s", path, strerror(e));
		release(a);
		return -1;
	}
	free(a->path);
	a->path = dest;
	size_t n = strlen(dest);
	if (!(a->tmp = malloc(n + 16))) {
		release(a);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	/* ".name.XXXXXX" beside the destination: same file system, so the
	 * rename is atomic; hidden, so globs like *.traj skip it. */
	const char *slash = strrchr(dest, '/');
	size_t dir = slash ? (size_t)(slash - dest) + 1 : 0;
	snprintf(a->tmp, n + 16, "%.*s.%s.XXXXXX", (int)dir, dest, dest + dir);
	fd = mkstemp(a->tmp);
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
	/* fsync is for the rename's sake; a pipe or a terminal has none */
	int bad = fflush(a->f) != 0 || ferror(a->f) ||
		  (!a->through && fsync(fileno(a->f)) != 0);
	int e = errno;
	if (fclose(a->f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	a->f = NULL;
	if (!bad && a->tmp && rename(a->tmp, a->path) != 0) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		traj_fail(err, TRAJ_EFAIL, -1, "cannot write '%s': %s", a->path,
			  e ? strerror(e) : "write error");
		if (a->tmp)
			unlink(a->tmp);
		release(a);
		errno = e;
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
