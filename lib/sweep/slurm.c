/* The Slurm array job script of a sweep. */
#include <stdio.h>
#include <string.h>

#include "sweep/slurm.h"

static int safe(const char *s)
{
	return !s || !strpbrk(s, "'\n\\\"$`");
}

int sweep_slurm_script(FILE *out, const struct sweep_slurm *j)
{
	if (!safe(j->sweep) || !safe(j->dir) || !safe(j->ids) || !safe(j->time) ||
	    !safe(j->mem) || !safe(j->partition) || !safe(j->account) || j->n < 1)
		return -1;
	fprintf(out, "#!/bin/sh\n"
		"# A traj sweep as a Slurm array job (written by traj sweep slurm).\n"
		"# Task i runs the (i+1)-th run id of %s; a task that is\n"
		"# requeued or run twice resumes or skips its run.\n", j->ids);
	fprintf(out, "#SBATCH --job-name=traj-sweep\n");
	if (j->throttle > 0)
		fprintf(out, "#SBATCH --array=0-%d%%%d\n", j->n - 1, j->throttle);
	else
		fprintf(out, "#SBATCH --array=0-%d\n", j->n - 1);
	fprintf(out, "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n"
		"#SBATCH --requeue\n#SBATCH --open-mode=append\n"
		"#SBATCH --output=%s/slurm/%%A_%%a.out\n", j->dir);
	if (j->time)
		fprintf(out, "#SBATCH --time=%s\n", j->time);
	if (j->mem)
		fprintf(out, "#SBATCH --mem=%s\n", j->mem);
	if (j->partition)
		fprintf(out, "#SBATCH --partition=%s\n", j->partition);
	if (j->account)
		fprintf(out, "#SBATCH --account=%s\n", j->account);
	fprintf(out, "id=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" '%s')\n"
		"if [ -z \"$id\" ]; then\n"
		"\techo \"traj sweep: no run for array task $SLURM_ARRAY_TASK_ID\" >&2\n"
		"\texit 1\n"
		"fi\n"
		"exec '%s' job '%s' \"$id\"\n", j->ids, j->sweep, j->dir);
	return ferror(out) ? -1 : 0;
}
