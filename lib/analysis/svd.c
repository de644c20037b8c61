#include "analysis/svd.h"

#include <cblas.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/linalg.h"

/* LAPACK, column-major. The trailing size_t are gfortran's hidden lengths
 * of the character arguments. */
void dgesdd_(const char *jobz, const int *m, const int *n, double *a,
	     const int *lda, double *s, double *u, const int *ldu, double *vt,
	     const int *ldvt, double *work, const int *lwork, int *iwork,
	     int *info, size_t jobz_len);
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a,
	     const int *lda, double *w, double *work, const int *lwork,
	     int *iwork, const int *liwork, int *info, size_t jobz_len,
	     size_t uplo_len);

void svd_work_init(struct svd_work *w)
{
	memset(w, 0, sizeof *w);
	linalg_init(); /* else Debian's OpenBLAS may run its SSE3 kernels */
}

void svd_work_free(struct svd_work *w)
{
	free(w->a);
	free(w->work);
	free(w->iwork);
	memset(w, 0, sizeof *w);
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

static int lapack_failed(struct traj_error *err, const char *routine, int info)
{
	return traj_fail(err, TRAJ_EINTERNAL, -1, "%s: %s (info %d)", routine,
			 info > 0 ? "no convergence" : "bad argument", info);
}

int svd_values_dgesdd(struct svd_work *w, const double *a, int m, int n,
		      double *s, struct traj_error *err)
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
		return lapack_failed(err, "dgesdd workspace query", info);
	lwork = (int)query + 1;
	if (grow((void **)&w->work, &w->work_cap, lwork, sizeof *w->work) < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	memcpy(w->a, a, (size_t)m * (size_t)n * sizeof *a);
	dgesdd_("N", &cm, &cn, w->a, &lda, s, &dummy, &one, &dummy, &one,
		w->work, &lwork, w->iwork, &info, 1);
	return info != 0 ? lapack_failed(err, "dgesdd", info) : 0;
}

/* Eigenvalues only of the symmetric (k, k) matrix in w->a (its upper
 * triangle, row-major = lower, column-major), ascending, into lam. */
static int sym_eigenvalues(struct svd_work *w, int k, double *lam,
			   struct traj_error *err)
{
	int lwork = -1, liwork = -1, info = 0, iquery;
	double query;
	dsyevd_("N", "L", &k, w->a, &k, lam, &query, &lwork, &iquery, &liwork,
		&info, 1, 1);
	if (info != 0)
		return lapack_failed(err, "dsyevd workspace query", info);
	lwork = (int)query + 1;
	liwork = iquery > 1 ? iquery : 1;
	if (grow((void **)&w->work, &w->work_cap, lwork, sizeof *w->work) < 0 ||
	    grow((void **)&w->iwork, &w->iwork_cap, liwork, sizeof *w->iwork) < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	dsyevd_("N", "L", &k, w->a, &k, lam, w->work, &lwork, w->iwork,
		&liwork, &info, 1, 1);
	return info != 0 ? lapack_failed(err, "dsyevd", info) : 0;
}

int svd_values_gram(struct svd_work *w, const double *a, int m, int n,
		    double *s, struct traj_error *err)
{
	int k = m < n ? m : n;
	if (k == 0)
		return 0;
	if (grow((void **)&w->a, &w->a_cap, (int64_t)k * k, sizeof *w->a) < 0)
		return traj_fail(err, TRAJ_ENOMEM, -1, "out of memory");
	/* (k, k) Gram of the smaller side: A^T A when n <= m, else A A^T. */
	cblas_dsyrk(CblasRowMajor, CblasUpper, n <= m ? CblasTrans : CblasNoTrans,
		    k, n <= m ? m : n, 1.0, a, n, 0.0, w->a, k);
	if (sym_eigenvalues(w, k, s, err) < 0)
		return -1;
	for (int i = 0, j = k - 1; i < j; i++, j--) { /* to decreasing */
		double t = s[i];
		s[i] = s[j];
		s[j] = t;
	}
	for (int i = 0; i < k; i++)
		s[i] = s[i] > 0 ? sqrt(s[i]) : 0;
	return 0;
}

int svd_values(struct svd_work *w, const double *a, int m, int n, double *s,
	       struct traj_error *err)
{
	int k = m < n ? m : n;
	if (k == 0)
		return 0;
	w->calls++;
	if (svd_values_gram(w, a, m, n, s, err) < 0)
		return -1;
	if (s[k - 1] >= SVD_GRAM_MIN_RATIO * s[0])
		return 0;
	w->fallbacks++;
	return svd_values_dgesdd(w, a, m, n, s, err);
}

double svd_effective_rank(const double *s, int k)
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
