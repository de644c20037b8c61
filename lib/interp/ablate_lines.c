#include "interp/ablate_lines.h"

#include <math.h>
#include <stdlib.h>

#include "format/metrics.h"

void ablate_line(const struct metric_sink *m, const char *prefix,
		 const char *comp, const char *what, double v)
{
	char metric[256];
	if (comp)
		snprintf(metric, sizeof metric, "%s/%s/%s", prefix, comp, what);
	else
		snprintf(metric, sizeof metric, "%s/%s", prefix, what);
	metric_print(m->out, m->run, m->step, metric, v);
}

void ablate_lines_eval(const struct metric_sink *m, const char *prefix,
		       const char *comp, struct eval_result r)
{
	ablate_line(m, prefix, comp, "loss", r.loss);
	ablate_line(m, prefix, comp, "acc", r.acc);
}

void ablate_lines_ranked(const struct metric_sink *m, const char *prefix,
			 const struct component *comps,
			 struct rank_result *res, int n)
{
	ablate_rank_sort(res, n);
	for (int i = 0; i < n; i++) {
		const char *name = comps[res[i].index].name;
		if (res[i].measured) {
			ablate_line(m, prefix, name, "loss_delta", res[i].loss_delta);
			ablate_line(m, prefix, name, "acc_delta", res[i].acc_delta);
		}
		if (res[i].attributed)
			ablate_line(m, prefix, name, "attrib", res[i].attrib);
		ablate_line(m, prefix, name, "rank", i + 1);
	}
}

void ablate_lines_joint(const struct metric_sink *m, const char *prefix,
			struct eval_result r, struct eval_result base, int n)
{
	ablate_line(m, prefix, "joint", "loss_delta", r.loss - base.loss);
	ablate_line(m, prefix, "joint", "acc_delta", r.acc - base.acc);
	ablate_line(m, prefix, "joint", "acc", r.acc);
	ablate_line(m, prefix, "joint", "size", n);
}

/* carried: the share of the accuracy change between the checkpoints
 * that the component's swap accounts for. */
static void time_lines(const struct metric_sink *m, const char *name,
		       struct time_pair p, struct eval_result bs,
		       struct eval_result bk, int rank)
{
	double change = bs.acc - bk.acc;
	ablate_line(m, "timepatch", name, "acc_delta", p.fwd.acc - bs.acc);
	ablate_line(m, "timepatch", name, "loss_delta", p.fwd.loss - bs.loss);
	ablate_line(m, "timepatch", name, "carried",
		    change != 0 ? (bs.acc - p.fwd.acc) / change : NAN);
	ablate_line(m, "timepatch", name, "reverse_acc_delta", p.rev.acc - bk.acc);
	ablate_line(m, "timepatch", name, "reverse_carried",
		    change != 0 ? (p.rev.acc - bk.acc) / change : NAN);
	ablate_line(m, "timepatch", name, "rank", rank);
}

int ablate_lines_time(const struct metric_sink *m, int64_t from_step,
		      const struct component *comps, int n,
		      const struct time_patch *t, struct traj_error *err)
{
	struct rank_result *res = ablate_rank_results_new(n);
	if (!res)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	ablate_line(m, "timepatch", NULL, "acc", t->bs.acc);
	ablate_line(m, "timepatch", NULL, "from_acc", t->bk.acc);
	ablate_line(m, "timepatch", NULL, "from_step", (double)from_step);
	for (int c = 0; c < n; c++) {
		res[c].measured = 1;
		res[c].importance = t->bs.acc - t->pair[c].fwd.acc;
	}
	ablate_rank_sort(res, n);
	for (int i = 0; i < n; i++)
		time_lines(m, comps[res[i].index].name, t->pair[res[i].index],
			   t->bs, t->bk, i + 1);
	free(res);
	return 0;
}

void ablate_lines_circuit(const struct metric_sink *m,
			  const struct component *comps, int n,
			  const unsigned char *keep, const double *imp,
			  const struct circuit_result *cr, int ncand,
			  double threshold, struct eval_result base)
{
	for (int i = 0; i < n; i++)
		if (keep[i])
			ablate_line(m, "circuit", comps[i].name, "importance",
				    imp[i]);
	ablate_line(m, "circuit", NULL, "size", cr->size);
	ablate_line(m, "circuit", NULL, "candidates", ncand);
	ablate_line(m, "circuit", NULL, "threshold", threshold);
	ablate_line(m, "circuit", NULL, "clean_loss", base.loss);
	ablate_line(m, "circuit", NULL, "clean_acc", base.acc);
	ablate_line(m, "circuit", NULL, "loss_delta", cr->eval.loss - base.loss);
	ablate_line(m, "circuit", NULL, "acc", cr->eval.acc);
}
