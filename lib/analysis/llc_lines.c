/* LLC metric lines; see llc_lines.h. */
#include "analysis/llc_lines.h"

#include "format/metrics.h"

void llc_lines(FILE *out, const char *run, int64_t step, const char *prefix,
	       const struct llc_result *r, const struct llc_config *c,
	       int trace, int details)
{
	char m[128];
	snprintf(m, sizeof m, "%s/mean", prefix);
	metric_print(out, run, step, m, r->mean);
	snprintf(m, sizeof m, "%s/std", prefix);
	metric_print(out, run, step, m, r->std);
	snprintf(m, sizeof m, "%s/init_loss", prefix);
	metric_print(out, run, step, m, r->init_loss);
	snprintf(m, sizeof m, "%s/below_init_frac", prefix);
	metric_print(out, run, step, m, r->below_frac);
	for (int ch = 0; details && ch < c->chains; ch++) {
		snprintf(m, sizeof m, "%s/chain/%d", prefix, ch);
		metric_print(out, run, step, m, r->chain_llc[ch]);
	}
	int every = trace ? (c->draws + trace - 1) / trace : 0;
	for (int ch = 0; details && every && ch < c->chains; ch++)
		for (int d = 0; d < c->draws; d += every) {
			snprintf(m, sizeof m, "%s/trace/%d/%d", prefix, ch, d);
			metric_print(out, run, step, m,
				     r->trace[(size_t)ch * c->draws + d]);
		}
}
