#include "run/resume.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"

/* The state tensors ride in some checkpoints only (runmeta.h, --state). */
static int carries_state(const struct traj_ckpt *c)
{
	return stream_ckpt_find(c, RESUME_STATE_MARK) != NULL;
}

/* Reads to the end, noting the last run and its last checkpoint that
 * carries the resume state. Returns the last record code. */
static int scan_all(struct resume_point *p, int64_t *state_cut,
		    struct traj_error *err)
{
	int rec;
	while ((rec = stream_read_next(p->r, err)) > 0) {
		int64_t off = stream_reader_offset(p->r);
		if (rec == TRAJ_REC_RUN) {
			p->run_at = stream_reader_record_offset(p->r);
			p->run_end = p->cut = off;
			p->ended = 0;
			*state_cut = p->key_cut = -1;
		} else if (rec == TRAJ_REC_CKPT) {
			const struct traj_ckpt *c = stream_reader_ckpt(p->r);
			p->cut = off;
			if (carries_state(c))
				*state_cut = off;
			if (carries_state(c) && c->key)
				p->key_cut = off;
		} else if (rec == TRAJ_REC_END) {
			p->ended = 1;
		}
	}
	return rec;
}

/* Reads the stream again up to `cut`, so the reader holds that
 * checkpoint and the reference window a writer continues from. */
int resume_rescan(FILE *f, struct resume_point *p, int64_t cut,
		  struct traj_error *err)
{
	stream_reader_free(p->r);
	p->r = NULL;
	if (fseeko(f, 0, SEEK_SET) != 0)
		return traj_fail(err, TRAJ_EFAIL, -1, "cannot rewind: %s",
				 strerror(errno));
	p->r = stream_reader_open(f, NULL, NULL, err);
	if (!p->r)
		return -1;
	while (stream_reader_offset(p->r) < cut)
		if (stream_read_next(p->r, err) <= 0)
			return traj_fail(err, TRAJ_EDATA, stream_reader_offset(p->r),
					 "the file changed while resuming");
	p->cut = cut;
	p->ended = 0;
	p->run = stream_reader_run(p->r);
	return 0;
}

int resume_scan(FILE *f, struct resume_point *p, struct traj_error *err)
{
	int64_t state_cut = -1;
	memset(p, 0, sizeof *p);
	p->r = stream_reader_open(f, NULL, NULL, err);
	if (!p->r)
		return -1;
	int rec = scan_all(p, &state_cut, err);
	p->size = stream_reader_offset(p->r);
	if (rec < 0 && err->status != TRAJ_ETRUNC)
		return -1;
	p->torn = rec < 0;
	if (!stream_reader_run(p->r) || state_cut < 0)
		return traj_fail(err, TRAJ_EDATA, stream_reader_run(p->r) ? p->run_end : 0,
				 "no complete checkpoint with resume state"
				 " (optim/ tensors) to resume from");
	if (state_cut != p->cut && resume_rescan(f, p, state_cut, err) < 0)
		return -1;
	p->run = stream_reader_run(p->r);
	return 0;
}

void resume_point_free(struct resume_point *p)
{
	stream_reader_free(p->r);
	memset(p, 0, sizeof *p);
}

int resume_file_holds_run(const char *path)
{
	struct stat st;
	struct traj_error err;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	struct traj_reader *r = stream_reader_open(f, NULL, NULL, &err);
	int holds = r && stream_read_next(r, &err) == TRAJ_REC_RUN;
	stream_reader_free(r);
	fclose(f);
	return holds;
}

int resume_truncate(FILE *f, const struct resume_point *p,
		    struct traj_error *err)
{
	if (fflush(f) != 0 || ftruncate(fileno(f), (off_t)p->cut) != 0 ||
	    fseeko(f, (off_t)p->cut, SEEK_SET) != 0 || fsync(fileno(f)) != 0)
		return traj_fail(err, TRAJ_EFAIL, p->cut,
				 "cannot cut the file after the last checkpoint: %s",
				 strerror(errno));
	return 0;
}

/* Copies bytes [from, to) of `in` to `out`. */
static int copy_range(FILE *in, FILE *out, int64_t from, int64_t to)
{
	char buf[65536];
	if (fseeko(in, (off_t)from, SEEK_SET) != 0)
		return -1;
	while (from < to) {
		size_t want = to - from < (int64_t)sizeof buf ? (size_t)(to - from)
							      : sizeof buf;
		if (fread(buf, 1, want, in) != want ||
		    fwrite(buf, 1, want, out) != want)
			return -1;
		from += (int64_t)want;
	}
	return 0;
}

FILE *resume_rewrite(FILE *f, const char *path, const struct resume_point *p,
		     const cJSON *run, struct traj_error *err)
{
	struct atomic_file a;
	char *text = cJSON_PrintUnformatted(run);
	if (!text) {
		traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
		return NULL;
	}
	int rc = atomic_open(&a, path, err);
	if (rc == 0) {
		rc = copy_range(f, a.f, 0, p->run_at) ||
		     stream_write_record(a.f, text, strlen(text), err) ||
		     copy_range(f, a.f, p->run_end, p->cut);
		if (rc) {
			traj_fail(err, TRAJ_EFAIL, -1, "cannot rewrite '%s': %s",
				  path, strerror(errno ? errno : EIO));
			atomic_abort(&a);
		} else {
			rc = atomic_commit(&a, err);
		}
	}
	cJSON_free(text);
	if (rc)
		return NULL;
	FILE *out = fopen(path, "r+b");
	if (!out || fseeko(out, 0, SEEK_END) != 0) {
		traj_fail(err, TRAJ_EFAIL, -1, "cannot reopen '%s': %s", path,
			  strerror(errno));
		if (out)
			fclose(out);
		return NULL;
	}
	return out;
}
