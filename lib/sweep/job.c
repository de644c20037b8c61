/* One resumable, never duplicated run of a sweep. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "sweep/job.h"
#include "sweep/spawn.h"
#include "sweep/sweepdir.h"

#define PATHLEN 4096

/* Trainer statuses that mean "nothing in this stream to resume from":
 * a stream cut before its first complete checkpoint with state. */
static int unresumable(int status)
{
	return status == TRAJ_EDATA || status == TRAJ_ENOINPUT || status == TRAJ_ETRUNC;
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The trainer's error line: the last line written to the log after
 * offset `from`. */
static void last_line(int fd, off_t from, char *why, size_t whylen)
{
	char buf[2048];
	off_t end = lseek(fd, 0, SEEK_END);
	off_t start = end - (off_t)sizeof buf + 1 > from ? end - (off_t)sizeof buf + 1 : from;
	ssize_t n = start < end ? pread(fd, buf, (size_t)(end - start), start) : 0;
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	/* the last line, unless it is a usage error's "Try '... --help'" */
	char *line = NULL;
	for (char *save, *l = strtok_r(buf, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save))
		if (!line || strncmp(l, "Try '", 5) != 0)
			line = l;
	snprintf(why, whylen, "%s", line ? line : "");
}

static int write_marker(const char *path, const char *text, struct traj_error *err)
{
	struct atomic_file a;
	if (atomic_open(&a, path, err) < 0)
		return -1;
	fputs(text, a.f);
	if (ferror(a.f)) {
		atomic_abort(&a);
		return traj_fail(err, TRAJ_EFAIL, -1, "cannot write '%s'", path);
	}
	return atomic_commit(&a, err);
}

static int record_failure(const char *dir, const char *id, int status, char *why,
			  size_t whylen, struct traj_error *err)
{
	char path[PATHLEN], text[1200];
	if (!why[0])
		snprintf(why, whylen, "exit status %d", status);
	snprintf(text, sizeof text, "%d\t%s\n", status, why);
	sweep_run_path(path, sizeof path, dir, id, ".failed");
	return write_marker(path, text, err);
}

/* Trains (fresh or resumed) into runs/ID.traj; returns the trainer's
 * status, or -1 with err set. */
static int train(const char *dir, const char *id, const struct sweep_tools *t,
		 int log_fd, int *resumed, struct traj_error *err)
{
	char traj[PATHLEN], cfgpath[PATHLEN];
	sweep_run_path(traj, sizeof traj, dir, id, ".traj");
	sweep_run_path(cfgpath, sizeof cfgpath, dir, id, ".cfg");
	*resumed = 0;
	struct stat st;
	if (stat(traj, &st) == 0 && st.st_size > 0) {
		char *argv[] = {(char *)t->train, "--resume", traj, "--threads", "1",
				"--quiet", NULL};
		int rc = sweep_spawn(argv, log_fd, log_fd, err);
		if (rc < 0 || !unresumable(rc)) {
			*resumed = 1;
			return rc;
		}
		dprintf(log_fd, "traj-sweep: nothing to resume in '%s' (status %d): "
			"training from the start\n", traj, rc);
	}
	unlink(traj);
	struct sweep_cfg cfg;
	if (sweep_cfg_read(cfgpath, &cfg, err) < 0)
		return -1;
	char **argv = calloc((size_t)(2 * cfg.n + 12), sizeof *argv);
	if (!argv) {
		sweep_cfg_free(&cfg);
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	}
	argv[0] = (char *)t->train;
	int n = 1 + sweep_cfg_argv(&cfg, argv + 1);
	const char *tail[] = {"--run-id", id, "--threads", "1", "--quiet", "--out", traj};
	for (size_t i = 0; i < sizeof tail / sizeof *tail; i++)
		argv[n++] = (char *)tail[i];
	argv[n] = NULL;
	int rc = sweep_spawn(argv, log_fd, log_fd, err);
	free(argv);
	sweep_cfg_free(&cfg);
	return rc;
}

static int score(const char *dir, const char *id, const struct sweep_tools *t,
		 int log_fd, struct traj_error *err)
{
	char traj[PATHLEN], tsv[PATHLEN];
	sweep_run_path(traj, sizeof traj, dir, id, ".traj");
	sweep_run_path(tsv, sizeof tsv, dir, id, ".tsv");
	struct atomic_file a;
	if (atomic_open(&a, tsv, err) < 0)
		return -1;
	fflush(a.f);
	char *argv[] = {(char *)t->score, "--threads", "1", traj, NULL};
	int rc = sweep_spawn(argv, fileno(a.f), log_fd, err);
	if (rc != 0) {
		atomic_abort(&a);
		return rc;
	}
	return atomic_commit(&a, err) < 0 ? -1 : 0;
}

int sweep_job_run(const char *dir, const char *id, const struct sweep_tools *t,
		  enum sweep_job_result *res, char *why, size_t whylen,
		  struct traj_error *err)
{
	char path[PATHLEN], done[PATHLEN], failed[PATHLEN];
	why[0] = '\0';
	if (sweep_run_path(path, sizeof path, dir, id, ".cfg") < 0)
		return traj_fail(err, TRAJ_EUSAGE, -1, "'%s': path too long", dir);
	if (!exists(path))
		return traj_fail(err, TRAJ_ENOINPUT, -1, "'%s': no such run in this sweep",
				 path);
	sweep_run_path(done, sizeof done, dir, id, ".done");
	sweep_run_path(failed, sizeof failed, dir, id, ".failed");
	sweep_run_path(path, sizeof path, dir, id, ".lock");
	/* Not close-on-exec: the trainer inherits the lock, so a trainer
	 * orphaned by a killed worker still keeps other workers away. A
	 * second worker waits, then finds the run done (or resumes what an
	 * orphan left). */
	int lock = open(path, O_RDWR | O_CREAT, 0666);
	if (lock < 0)
		return traj_fail(err, TRAJ_ECREATE, -1, "cannot create '%s': %s", path,
				 strerror(errno));
	while (flock(lock, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(lock);
			return traj_fail(err, TRAJ_EFAIL, -1, "cannot lock '%s': %s", path,
					 strerror(errno));
		}
	int rc = 0;
	if (exists(done) || exists(failed)) {
		*res = SWEEP_JOB_FINISHED;
		goto out;
	}
	sweep_run_path(path, sizeof path, dir, id, ".log");
	int log_fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (log_fd < 0) {
		rc = traj_fail(err, TRAJ_ECREATE, -1, "cannot create '%s': %s", path,
			       strerror(errno));
		goto out;
	}
	off_t from = lseek(log_fd, 0, SEEK_END);
	int resumed;
	int status = train(dir, id, t, log_fd, &resumed, err);
	if (status == 0)
		status = score(dir, id, t, log_fd, err);
	if (status < 0) {
		rc = -1;
	} else if (status > 0) {
		last_line(log_fd, from, why, whylen);
		rc = record_failure(dir, id, status, why, whylen, err);
		*res = SWEEP_JOB_FAILED;
	} else {
		rc = write_marker(done, "done\n", err);
		*res = resumed ? SWEEP_JOB_RESUMED : SWEEP_JOB_DONE;
	}
	close(log_fd);
out:
	close(lock);
	return rc;
}

const char *sweep_job_state(const char *dir, const char *id)
{
	char path[PATHLEN];
	if (sweep_run_path(path, sizeof path, dir, id, ".done") < 0)
		return "pending";
	if (exists(path))
		return "done";
	sweep_run_path(path, sizeof path, dir, id, ".failed");
	if (exists(path))
		return "failed";
	sweep_run_path(path, sizeof path, dir, id, ".lock");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		int busy = flock(fd, LOCK_SH | LOCK_NB) < 0;
		close(fd);
		if (busy)
			return "running";
	}
	sweep_run_path(path, sizeof path, dir, id, ".traj");
	return exists(path) ? "interrupted" : "pending";
}
