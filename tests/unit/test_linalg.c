/* The matrix-product wrappers against hand-computed products, and their
 * counting for benchmarks: nothing counted when off, 2 m n k per product
 * and one call each when on, zeroed when restarted. */
#include <string.h>

#include "harness.h"
#include "common/linalg.h"

static void test_products(void)
{
	/* A (2, 3), B (3, 2): A @ B = [[4, 5], [10, 11]]. */
	const float a[6] = { 1, 2, 3, 4, 5, 6 }, b[6] = { 1, 0, 0, 1, 1, 1 };
	float c[4] = { 1, 1, 1, 1 };
	linalg_matmul(2, 2, 3, a, b, 0.0f, c);
	CHECK(c[0] == 4 && c[1] == 5 && c[2] == 10 && c[3] == 11);
	linalg_matmul_nt(2, 2, 3, a, a, c); /* A @ A^T = [[14, 32], [32, 77]] */
	CHECK(c[0] == 14 && c[1] == 32 && c[2] == 32 && c[3] == 77);
	linalg_matmul_nt_acc(2, 2, 3, a, a, c);
	CHECK(c[0] == 28 && c[3] == 154);
	float d[9] = { 0 }; /* A^T @ A (3, 3): first row 17, 22, 27 */
	linalg_matmul_tn_acc(3, 3, 2, a, a, d);
	CHECK(d[0] == 17 && d[1] == 22 && d[2] == 27 && d[8] == 45);
}

static void test_counting(void)
{
	const float a[6] = { 1, 2, 3, 4, 5, 6 };
	float c[4], d[9] = { 0 };
	linalg_count(0);
	linalg_count(1);
	linalg_count(0);
	linalg_matmul_nt(2, 2, 3, a, a, c); /* off: not counted */
	struct linalg_counts n = linalg_counted();
	CHECK(n.calls == 0 && n.flop == 0 && n.seconds == 0);
	linalg_count(1);
	linalg_matmul_nt(2, 2, 3, a, a, c);
	linalg_matmul_tn_acc(3, 3, 2, a, a, d);
	n = linalg_counted();
	CHECK(n.calls == 2 && n.flop == 2.0 * (12 + 18) && n.seconds >= 0);
	linalg_count(1); /* restarting zeroes */
	linalg_matmul(2, 2, 3, a, a, 0.0f, c);
	linalg_count(0);
	n = linalg_counted();
	CHECK(n.calls == 1 && n.flop == 24);
}

/* Pinning the BLAS core: a known core this CPU can run becomes the core in
 * use, and gives the same products as before it was pinned when it is the
 * same core; an unknown name is refused naming the choices. */
static void test_set_core(void)
{
	struct traj_error err;
	CHECK(linalg_set_core("NoSuchCore", &err) < 0);
	CHECK(err.status == TRAJ_EUSAGE);
	CHECK(strstr(err.msg, "Haswell") != NULL);

	CHECK(linalg_set_core("prescott", &err) == 0);
	CHECK(strcmp(linalg_core(), "Prescott") == 0);
	float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, -1, 2, 0.5f, 3}, c[4];
	linalg_matmul(2, 2, 3, a, b, 0, c);
	CHECK(c[0] == 1 + 2 * -1 + 3 * 0.5f && c[3] == 4 * 0 + 5 * 2 + 6 * 3);
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
		CHECK(linalg_set_core("Haswell", &err) == 0);
		CHECK(strcmp(linalg_core(), "Haswell") == 0);
		float c2[4];
		linalg_matmul(2, 2, 3, a, b, 0, c2);
		CHECK(memcmp(c, c2, sizeof c) == 0); /* exact small integers */
	}
	/* linalg_init no longer overrides a pinned core */
	linalg_init();
	CHECK(strcmp(linalg_core(), "Prescott") == 0 || strcmp(linalg_core(), "Haswell") == 0);
	CHECK(strstr(linalg_library(), "OpenBLAS") != NULL);
}

int main(void)
{
	RUN(test_products);
	RUN(test_counting);
	RUN(test_set_core);
	return harness_done();
}
