/* Each axis value shown once to the trainer. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep/spawn.h"
#include "sweep/validate.h"

/* Runs the trainer on configuration c with --steps 0; 0 if accepted,
 * else the trainer's status with its first error line in msg. */
static int try_config(const struct sweep_spec *s, const struct sweep_config *c,
		      const char *train, char *msg, size_t size, struct traj_error *err)
{
	const char **argv = calloc((size_t)(2 * s->naxes + 16), sizeof *argv);
	if (!argv)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	argv[0] = train;
	int n = 1 + sweep_config_argv(s, c, argv + 1);
	const char *tail[] = {"--steps", "0", "--every", "0", "--no-state",
			      "--threads", "1", "--quiet", "--run-id", c->id};
	for (size_t i = 0; i < sizeof tail / sizeof *tail; i++)
		argv[n++] = tail[i];
	argv[n] = NULL;
	FILE *errf = tmpfile();
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int rc;
	if (!errf || out < 0) {
		rc = traj_fail(err, TRAJ_EINTERNAL, -1, "cannot create a temporary file");
	} else {
		rc = sweep_spawn((char *const *)argv, out, fileno(errf), err);
		msg[0] = '\0';
		rewind(errf);
		if (rc > 0 && fgets(msg, (int)size, errf))
			msg[strcspn(msg, "\n")] = '\0';
	}
	if (errf)
		fclose(errf);
	if (out >= 0)
		close(out);
	free(argv);
	return rc;
}

int sweep_plan_validate(const struct sweep_plan *p, const char *train,
			struct traj_error *err)
{
	const struct sweep_spec *s = p->spec;
	char *checked = calloc((size_t)p->n + 1, 1);
	if (!checked)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	int rc = 0;
	for (int i = 0; i < s->naxes && rc == 0; i++) {
		int nv = s->axes[i].draw == SWEEP_GRID ? s->axes[i].nvalues : 1;
		for (int v = 0; v < nv && rc == 0; v++) {
			int k = 0;
			if (s->axes[i].draw == SWEEP_GRID)
				while (k < p->n && strcmp(p->configs[k].values[i],
							  s->axes[i].values[v]))
					k++;
			if (k >= p->n || checked[k])
				continue;
			checked[k] = 1;
			char msg[400];
			int st = try_config(s, &p->configs[k], train, msg, sizeof msg, err);
			if (st < 0) {
				rc = -1;
			} else if (st == TRAJ_EUSAGE) {
				/* name the axis the trainer names, if it is one */
				int ax = i;
				const char *dd = strstr(msg, ": --");
				for (int j = 0; dd && j < s->naxes; j++) {
					size_t len = strlen(s->axes[j].name);
					if (!strncmp(dd + 4, s->axes[j].name, len) && dd[4 + len] == ':')
						ax = j;
				}
				const char *why = strncmp(msg, "traj-train: ", 12) ? msg : msg + 12;
				rc = traj_fail(err, TRAJ_EUSAGE, -1,
					       "axis '%s': value '%s': traj train refuses it (%s)",
					       s->axes[ax].name, p->configs[k].values[ax], why);
			} else if (st != 0) {
				rc = traj_fail(err, st == 127 ? TRAJ_EINTERNAL : (enum traj_status)st, -1,
					       "traj train failed on configuration %s: %s",
					       p->configs[k].id, msg[0] ? msg : "no message");
			}
		}
	}
	free(checked);
	return rc;
}
