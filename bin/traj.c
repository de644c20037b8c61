/* traj: run traj-COMMAND, git style. Looks next to its own executable
 * first, so a build tree works without installing, then on PATH. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char usage[] =
"Usage: traj COMMAND [ARG]...\n"
"       traj help COMMAND\n"
"Train small networks and analyse their training trajectories.\n"
"\n"
"Commands:\n"
"  train      train a model and stream its checkpoints\n"
"  score      loss and accuracy of every checkpoint, as metric lines\n"
"  snapshot   select, list, re-encode, join or split checkpoint streams\n"
"  emerge     find phase transitions in metric lines\n"
"  llc        local learning coefficient of every checkpoint, by SGLD\n"
"  progress   Nanda et al.'s progress measures for modular addition\n"
"  diff       how the weights move: distances, singular values, Fourier\n"
"  interpolate  loss, accuracy, barrier on the line between checkpoints\n"
"  convert    export a checkpoint to .npy, .npz, safetensors; import them\n"
"  probe      linear probes and CKA on activations at hook points\n"
"  ablate     ablation, patching, attribution with a budget, circuits\n"
"  attack     adversarial robustness (FGSM, PGD, minimal radius) per checkpoint\n"
"  prune      masks for lottery tickets: magnitude and random pruning\n"
"  plot       metric lines to a PNG or SVG picture (gnuplot)\n"
"  sweep      run traj train over many configurations (parallel, Slurm)\n"
"  predict    learn from a sweep whether and when runs generalise\n"
"\n"
"'traj COMMAND ...' runs the program traj-COMMAND with the arguments.\n"
"Checkpoint streams are described in traj-stream(5).\n"
"\n"
"  -h, --help       show this help\n"
"  -V, --version    show the version\n";

static int valid_command(const char *cmd)
{
	size_t n = strlen(cmd);
	return n > 0 && n < 64 && cmd[0] != '-' &&
	       strspn(cmd, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* The directory of this executable, or "" when it cannot be found. */
static void own_dir(char *dir, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", dir, size - 1);
	dir[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
}

static void run_command(const char *cmd, char **argv)
{
	char prog[96], path[PATH_MAX + 96];
	snprintf(prog, sizeof prog, "traj-%s", cmd);
	argv[0] = prog;
	own_dir(path, PATH_MAX);
	if (path[0]) {
		strcat(path, prog);
		if (access(path, X_OK) == 0)
			execv(path, argv);
	}
	execvp(prog, argv);
	if (errno == ENOENT)
		cli_usage_error("'%s' is not a traj command (see 'traj --help')", cmd);
	cli_die(TRAJ_EINTERNAL, "cannot run '%s': %s", prog, strerror(errno));
}

int main(int argc, char **argv)
{
	cli_init("traj");
	if (argc < 2)
		cli_usage_error("missing command");
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)
		cli_print_help(usage);
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0)
		cli_print_version();
	if (strcmp(cmd, "help") == 0) {
		if (argc < 3)
			cli_print_help(usage);
		char *help_argv[] = {NULL, "--help", NULL};
		cmd = argv[2];
		if (!valid_command(cmd))
			cli_usage_error("'%s' is not a traj command", cmd);
		run_command(cmd, help_argv);
	}
	if (!valid_command(cmd))
		cli_usage_error("'%s' is not a traj command (see 'traj --help')", cmd);
	run_command(cmd, argv + 1);
	return TRAJ_EINTERNAL;
}
