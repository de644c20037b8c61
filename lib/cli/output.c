#include "cli/output.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* The output being written, whose temporary file goes if the program
 * dies first. */
static struct atomic_file *pending;

static void remove_pending(void)
{
	if (pending && pending->f)
		atomic_abort(pending);
	pending = NULL;
}

void cli_output_open(struct cli_output *o, const char *path, int binary,
		     int force)
{
	static int registered;
	struct traj_error err;
	memset(o, 0, sizeof *o);
	if (!path || strcmp(path, "-") == 0) {
		o->f = stdout;
		o->name = "-";
		if (binary)
			cli_check_binary_output(stdout, force);
		return;
	}
	o->name = path;
	if (atomic_open(&o->af, path, &err) < 0)
		cli_die_error(NULL, &err);
	o->f = o->af.f;
	if (binary) /* -o /dev/tty is written through, a terminal too */
		cli_check_binary_output(o->f, force);
	if (!registered && atexit(remove_pending) == 0)
		registered = 1;
	pending = &o->af;
}

void cli_output_commit(struct cli_output *o)
{
	struct traj_error err;
	if (o->f == stdout)
		return;
	pending = NULL;
	if (atomic_commit(&o->af, &err) < 0)
		cli_die_error(NULL, &err);
	o->f = NULL;
}
