/* Atomic output files (common/atomicfile.h): invisible until committed,
 * the old file kept on abort with nothing left behind, and a directory
 * that does not exist refused. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "harness.h"

static void test_atomic_file(void)
{
	char dir[] = "/tmp/traj-atomic-XXXXXX", path[64], listing[256];
	struct atomic_file a;
	struct traj_error err;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/out.txt", dir);
	CHECK(atomic_open(&a, path, &err) == 0);
	fputs("hello", a.f);
	CHECK(access(path, F_OK) != 0);   /* not visible before the commit */
	CHECK(atomic_commit(&a, &err) == 0);
	FILE *f = fopen(path, "r");
	CHECK(f && fgets(listing, sizeof listing, f) && strcmp(listing, "hello") == 0);
	if (f)
		fclose(f);
	CHECK(atomic_open(&a, path, &err) == 0);
	fputs("half", a.f);
	atomic_abort(&a);                   /* the old file stays */
	snprintf(listing, sizeof listing, "ls -A %s | wc -l | grep -qx 1", dir);
	CHECK(system(listing) == 0);
	snprintf(path, sizeof path, "%s/missing/out.txt", dir);
	CHECK(atomic_open(&a, path, &err) == -1 && err.status == TRAJ_ECREATE);
	snprintf(listing, sizeof listing, "rm -rf %s", dir);
	CHECK(system(listing) == 0);
}

int main(void)
{
	RUN(test_atomic_file);
	return harness_done();
}
