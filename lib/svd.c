#include "svd.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK, column-major. The trailing size_t is gfortran's hidden length of
 * the character argument. */
void dgesdd_(const char *jobz, const int *m, const int *n, double *a,
	     const int *lda, double *s, double *u, const int *ldu, double *vt,
	     const int *ldvt, double *work, const int *lwork, int *iwork,
	     int *info, size_t jobz_len);

void svd_work_init(struct svd_work *w)
{
	memset(w, 0, sizeof *w);
}

void svd_work_free(struct svd_work *w)
{
	free(w->a);
	free(w->work);
	free(w->iwork);
	svd_work_init(w);
}

static int grow(void **p, int64_t *cap, int64_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	void *q = realloc(*p, (size_t)need * size);
	if (!q)
		return -1;
	*p = q;
	*cap = need;
	return 0;
}

int svd_values(struct svd_work *w, const double *a, int m, int n, double *s,
	       struct traj_error *err)
{
	/* Row-major (m, n) is column-major (n, m), the transpose: same
	 * singular values, no copy-transpose needed. */
	int cm = n, cn = m, lda = n > 1 ? n : 1, one = 1, info = 0, lwork = -1;
	int k = m < n ? m : n;
	double query, dummy;
	if (k == 0)
		return 0;
	if (grow((void **)&w->a, &w->a_cap, (int64_t)m * n, sizeof *w->a) < 0 ||
	    grow((void **)&w->iwork, &w->iwork_cap, 8 * (int64_t)k, sizeof *w->iwork) < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	dgesdd_("N", &cm, &cn, w->a, &lda, s, &dummy, &one, &dummy, &one,
		&query, &lwork, w->iwork, &info, 1);
	if (info != 0)
		return traj_fail(err, TRAJ_EINTERNAL, -1, "dgesdd workspace query: info %d", info);
	lwork = (int)query + 1;
	if (grow((void **)&w->work, &w->work_cap, lwork, sizeof *w->work) < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	memcpy(w->a, a, (size_t)m * (size_t)n * sizeof *a);
	dgesdd_("N", &cm, &cn, w->a, &lda, s, &dummy, &one, &dummy, &one,
		w->work, &lwork, w->iwork, &info, 1);
	if (info != 0)
		return traj_fail(err, TRAJ_EINTERNAL, -1,
				 "dgesdd: %s (info %d)", info > 0 ?
				 "no convergence" : "bad argument", info);
	return 0;
}

double effective_rank(const double *s, int k)
{
	double sum = 0, h = 0;
	for (int i = 0; i < k; i++)
		sum += s[i];
	if (!(sum > 0))
		return 0;
	for (int i = 0; i < k; i++) {
		double p = s[i] / sum;
		if (p > 0)
			h -= p * log(p);
	}
	return exp(h);
}
