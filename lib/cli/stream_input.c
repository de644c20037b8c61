#include "cli/stream_input.h"

#include "cli/cli.h"

void cli_stream_open(struct cli_stream_input *in, const char *path,
		     const struct traj_read_limits *limits, int skip_optim)
{
	struct traj_error err;
	in->file = cli_open_input(path, &in->name);
	in->reader = stream_reader_open(in->file, in->name, limits, &err);
	if (!in->reader)
		cli_die_error(in->name, &err);
	if (skip_optim)
		stream_reader_skip_prefix(in->reader, "optim/");
}

void cli_stream_close(struct cli_stream_input *in)
{
	stream_reader_free(in->reader);
	cli_close_input(in->file);
	in->reader = NULL;
	in->file = NULL;
}

void cli_stream_read_subject(const char *path, const struct run_load *want,
			     struct run_subject *s, struct run_subject *other)
{
	struct cli_stream_input in;
	struct traj_error err;
	cli_stream_open(&in, path, NULL, 1);
	if (run_subject_read(in.reader, want, s, other, &err) < 0)
		cli_die_error(in.name, &err);
	cli_stream_close(&in);
}

int cli_stream_status(const struct traj_reader *r, int rc, int rec,
		      struct traj_error *err)
{
	if (rc < 0 && err->offset < 0)
		err->offset = stream_reader_offset(r);
	return rc < 0 || rec < 0 ? -1 : 0;
}

void cli_die_input(const char *name, const struct traj_error *err)
{
	cli_finish(TRAJ_OK);
	cli_die_error(name, err);
}
